"""Round trip: simulate a known funnel, write its history as amoCRM pages, Bitrix24
pages and CSV, fit, and recover every share and mean the funnel was built with.

Tolerances (one replication of 240 days, ~9 600 deals, fixed seed): source rate ±5 %,
shares ±3 points, delay means ±15 %, reopen share ±6 points, value mean ±10 %.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

import funnelc
from funnelc.cli import cli
from funnelc.history.load import load_history
from funnelc.routing import build_flows
from history_formats import write_amocrm, write_bitrix24, write_csv

KNOWN = """\
source "Сайт" 40/day -> "Продажи"."Новая заявка" value lognormal(100k, 50k)

pipeline "Продажи" main {
  stage "Новая заявка" {
    -> "Встреча" 60% after exp(1d)
    -> lost "Спам" 25% after exp(2h)
    -> lost "Нецелевой" 15% after exp(4h)
  }
  stage "Встреча" {
    -> won 40% after lognormal(3d, 2d)
    -> lost "Дорого" 60% after exp(2d)
  }
  reopen "Нецелевой" 20% after exp(5d) -> "Встреча"
}
"""
START = date(2019, 1, 1)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    root = tmp_path_factory.mktemp("roundtrip")
    funnel = root / "known.funnel"
    funnel.write_text(KNOWN, encoding="utf-8")
    records = root / "records.csv"
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", "240", "--warmup", "0",
                                   "--reps", "1", "--seed", "7", "--jobs", "1", "--start",
                                   START.isoformat(), "--records", str(records)])
    assert res.exit_code == 0, res.output
    model = funnelc.load(str(funnel)).model
    feeds = {key: src.name.value for src, key in build_flows(model).sources}
    ev = load_history([str(records)], records_start=START, record_sources=feeds).events
    # Records carry no deal value: draw one per deal from the source's distribution.
    deals = ev["deal_id"].unique().sort()
    rng = np.random.default_rng(11)
    sigma2 = np.log(1 + (50 / 100) ** 2)
    values = rng.lognormal(np.log(100_000) - sigma2 / 2, np.sqrt(sigma2), deals.len())
    ev = ev.drop("value").join(pl.DataFrame({"deal_id": deals, "value": values}), on="deal_id")
    return funnel, ev


def _fit(funnel: Path, src: Path, out: Path) -> funnelc.api.Loaded:
    res = CliRunner().invoke(cli, ["fit", str(src), "--funnel", str(funnel), "-o", str(out)])
    assert res.exit_code == 0, res.output
    loaded = funnelc.load(str(out))
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    return loaded


@pytest.mark.parametrize("fmt", ["csv", "amocrm", "bitrix24"])
def test_fit_recovers_the_known_funnel(history: tuple[Path, pl.DataFrame], tmp_path: Path,
                                       fmt: str) -> None:
    funnel, ev = history
    writer = {"csv": lambda: write_csv(ev, tmp_path / "h.csv"),
              "amocrm": lambda: write_amocrm(ev, tmp_path / "amo"),
              "bitrix24": lambda: write_bitrix24(ev, tmp_path / "bx")}[fmt]
    m = _fit(funnel, writer(), tmp_path / "fitted.funnel").model
    assert m is not None
    src = m.source("Сайт")
    assert src is not None
    assert src.rate.per_hour * 24 == pytest.approx(40, rel=0.05)
    assert src.value is not None and src.value.mean == pytest.approx(100_000, rel=0.10)
    pipe = m.pipeline("Продажи")
    assert pipe is not None
    new, meet = pipe.stages
    want_new = {"Встреча": (0.60, 24.0), "Спам": (0.25, 2.0), "Нецелевой": (0.15, 4.0)}
    for out in new.outcomes:
        key = out.target.ref.stage.value if out.target.kind == "stage" else out.target.reason.value
        share, mean = want_new[key]
        assert out.share is not None and out.share.value == pytest.approx(share, abs=0.03), key
        assert out.after is not None and out.after.mean == pytest.approx(mean, rel=0.15), key
    want_meet = {"won": (0.40, 72.0), "Дорого": (0.60, 48.0)}
    for out in meet.outcomes:
        key = "won" if out.target.kind == "won" else out.target.reason.value
        share, mean = want_meet[key]
        assert out.share is not None and out.share.value == pytest.approx(share, abs=0.03), key
        assert out.after is not None and out.after.mean == pytest.approx(mean, rel=0.15), key
    assert [o.share.value for o in new.outcomes] and sum(
        o.share.value for o in new.outcomes) == pytest.approx(1.0, abs=1e-9)
    (ro,) = pipe.reopens
    assert ro.share.value == pytest.approx(0.20, abs=0.06)
    assert ro.after is not None and ro.after.mean == pytest.approx(120.0, rel=0.25)


def test_fit_as_scenario_appends_a_checked_block(history: tuple[Path, pl.DataFrame],
                                                  tmp_path: Path) -> None:
    funnel, ev = history
    out = tmp_path / "with_scenario.funnel"
    res = CliRunner().invoke(cli, ["fit", str(write_csv(ev, tmp_path / "h.csv")), "--funnel",
                                   str(funnel), "--scenario", "Из истории", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(KNOWN.rstrip("\n"))
    loaded = funnelc.load(str(out))
    assert loaded.ok
    (sc,) = loaded.model.scenarios
    kinds = [o.kind for o in sc.overrides]
    assert kinds.count("stage_share") == 5 and "source_rate" in kinds
    assert "a scenario cannot change `after`" in res.output


def test_history_of_the_known_funnel(history: tuple[Path, pl.DataFrame], tmp_path: Path) -> None:
    funnel, ev = history
    res = CliRunner().invoke(cli, ["history", str(write_csv(ev, tmp_path / "h.csv")),
                                   "--funnel", str(funnel)])
    assert res.exit_code == 0, res.output
    assert "Losses that came back" in res.output and "Нецелевой" in res.output
