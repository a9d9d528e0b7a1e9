"""Seed 003's audit as a fixture: four months of leads (July–October) whose
qualification rate fell from 44.62 % to 12.04 %, with the «слитые» leads that came back
after the audit (19 in July, 3–7 later). The history is generated here with a fixed
seed and exact counts per month, written as amoCRM API pages, and `funnelc history`
must reproduce the article's table, «было» and «стало»."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from history_formats import write_amocrm, write_csv

PIPE = "Квалификация"
NEW, QUAL = "Новый лид", "Лид квалифицирован"
# month → (leads, qualified directly, lost then brought back and qualified)
MONTHS = {7: (650, 290, 19), 8: (734, 243, 7), 9: (1148, 150, 4), 10: (972, 117, 5)}
WAS = {"2018-07": 44.62, "2018-08": 33.11, "2018-09": 13.07, "2018-10": 12.04}
NOW = {"2018-07": 47.65, "2018-08": 34.06, "2018-09": 13.41, "2018-10": 12.55}
# Of the bad leads: «около 60%» wrong numbers or spam, «примерно 25%» not the target.
REASONS = (("Неверный номер", 0.35), ("Спам", 0.25), ("Нецелевой запрос", 0.25),
           ("Не дозвонились", 0.15))


def seed003_events(seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    deal = 0
    for month, (n, k, back) in MONTHS.items():
        first = datetime(2018, month, 1, tzinfo=UTC)
        days = (datetime(2018, month + 1, 1, tzinfo=UTC) - first).days
        bad = n - k
        reasons: list[str] = []
        for name, share in REASONS:
            reasons += [name] * round(bad * share)
        reasons = (reasons + ["Не дозвонились"] * bad)[:bad]
        # Brought back: non-target leads («нецелевые»), as in the audit.
        returned = set(i for i, r in enumerate(reasons) if r == "Нецелевой запрос"
                       ).__iter__()
        back_ids = {next(returned) for _ in range(back)}
        outcomes = ["q"] * k + [f"l{i}" for i in range(bad)]
        rng.shuffle(outcomes)
        for o in outcomes:
            deal += 1
            d = f"L{deal}"
            t0 = first + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
            rows.append((d, t0, NEW, "stage", None))
            t1 = t0 + timedelta(minutes=rng.uniform(5, 60))
            if o == "q":
                rows.append((d, t1, QUAL, "stage", None))
                rows.append((d, t1 + timedelta(hours=2), "won", "won", None))
                continue
            i = int(o[1:])
            rows.append((d, t1, "lost", "lost", reasons[i]))
            if i in back_ids:
                t2 = t1 + timedelta(days=rng.uniform(3, 20))
                rows.append((d, t2, QUAL, "stage", None))
                rows.append((d, t2 + timedelta(hours=2), "won", "won", None))
    return pl.DataFrame(rows, schema={"deal_id": pl.Utf8, "ts": pl.Datetime("us", "UTC"),
                                      "stage": pl.Utf8, "kind": pl.Utf8,
                                      "loss_reason": pl.Utf8}, orient="row").with_columns(
        pipeline=pl.lit(PIPE), value=pl.lit(150_000.0), source=pl.lit(None, pl.Utf8))


def _table(out: Path) -> dict[str, dict]:
    data = json.loads((out / "history.json").read_text(encoding="utf-8"))
    return {r["month"]: r for r in data["tables"]["conversion"]
            if r["from_stage"] == NEW and r["to_stage"] == QUAL}, data


@pytest.mark.parametrize("fmt", ["amocrm", "csv"])
def test_history_reproduces_seed003_table(tmp_path: Path, fmt: str) -> None:
    ev = seed003_events()
    src = write_amocrm(ev, tmp_path / "amo") if fmt == "amocrm" else write_csv(
        ev, tmp_path / "history.csv")
    out = tmp_path / "report"
    res = CliRunner().invoke(cli, ["history", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    rows, data = _table(out)
    for month, was in WAS.items():
        assert rows[month]["direct_pct"] == pytest.approx(was, abs=0.01), month
        assert rows[month]["with_returns_pct"] == pytest.approx(NOW[month], abs=0.15), month
    # The loss reasons: about 60 % wrong numbers or spam, about 25 % not the target.
    losses = {r["reason"]: r["share_of_losses"] for r in data["tables"]["losses"]
              if r["stage"] == NEW}
    assert losses["Неверный номер"] + losses["Спам"] == pytest.approx(60, abs=1)
    assert losses["Нецелевой запрос"] == pytest.approx(25, abs=1)
    back = sum(r["came_back"] for r in data["tables"]["comebacks"] if r["month"] == "2018-07")
    assert back == 19
    assert (out / "history.html").read_text(encoding="utf-8").count("<svg") == 5
    assert (out / "plots" / "conversion.png").stat().st_size > 1000
    assert "44.62%" in res.output
