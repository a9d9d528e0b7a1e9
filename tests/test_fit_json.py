"""`funnelc fit --format json` carries the figures behind the fitted funnel: per stage the
visits, each way out's count, share and 95 % Wilson interval, the fitted delays; per source
the rate; per reason the reopen share; warnings in English. Before, the JSON held only the
funnel text and its notes, so a script had to re-parse generated text to get a share and
could not get its interval or the number of deals it stood on at all.

The history is written by hand: 40 deals enter «Квалификация» over 40 days; 30 move on to
«Договор» after 1…30 hours, 10 are lost «Дорого» after 2 days."""

from __future__ import annotations

import csv
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from funnelc.cli import cli

SCHEMA = Path(__file__).resolve().parents[1] / "src" / "funnelc" / "schemas" / "fit.schema.json"
FUNNEL = """\
account "Школа" { language ru }
team "Продажи" size 2
source "Сайт" 1/day -> "Продажи"."Квалификация"
pipeline "Продажи" main {
  stage "Квалификация" {
    owner "Продажи"
    -> "Договор" 50% after exp(1d)
    -> lost "Дорого" 50% after exp(1d)
  }
  stage "Договор" {
    owner "Продажи"
    -> won 100% after exp(1d)
  }
}
"""


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("fit_json")
    (tmp / "school.funnel").write_text(FUNNEL, encoding="utf-8")
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    rows: list[list[str]] = []
    for i in range(40):
        t0 = start + timedelta(days=i)
        rows.append([f"d{i}", t0.isoformat(), "Продажи", "Квалификация", "", "Сайт"])
        if i < 30:
            t1 = t0 + timedelta(hours=i + 1)
            rows.append([f"d{i}", t1.isoformat(), "Продажи", "Договор", "", "Сайт"])
            rows.append([f"d{i}", (t1 + timedelta(days=1)).isoformat(), "Продажи", "won", "",
                         "Сайт"])
        else:
            rows.append([f"d{i}", (t0 + timedelta(days=2)).isoformat(), "Продажи", "lost",
                         "Дорого", "Сайт"])
    rows.append(["end", (start + timedelta(days=90)).isoformat(), "Продажи", "Квалификация",
                 "", "Сайт"])
    with (tmp / "history.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["deal_id", "timestamp", "pipeline", "stage", "loss_reason", "source"])
        w.writerows(rows)
    res = CliRunner().invoke(cli, ["fit", str(tmp / "history.csv"), "--funnel",
                                   str(tmp / "school.funnel"), "--format", "json"])
    assert res.exit_code == 0, res.output
    data: dict[str, object] = json.loads(res.stdout)
    return data


def _stage(data: dict[str, object], name: str) -> dict[str, object]:
    stages = data["stages"]
    assert isinstance(stages, list)
    return next(s for s in stages if s["stage"] == name)


def test_the_json_follows_its_schema(fitted: dict[str, object]) -> None:
    jsonschema.validate(fitted, json.loads(SCHEMA.read_text(encoding="utf-8")))
    for key in ("stages", "sources", "reopens", "warnings", "span_hours"):
        assert key in fitted


def test_each_way_out_has_its_count_share_and_wilson_interval(
        fitted: dict[str, object]) -> None:
    qual = _stage(fitted, "Квалификация")
    assert qual["pipeline"] == "Продажи" and qual["mature"] == 40
    routes = {r["route"]: r for r in qual["routes"]}  # type: ignore[attr-defined]
    on, lost = routes["-> Договор"], routes['lost "Дорого"']
    assert (on["count"], lost["count"]) == (30, 10)
    assert on["share"] == pytest.approx(0.75) and lost["share"] == pytest.approx(0.25)
    # Wilson's 95 % interval of 30 of 40, worked by hand: (p + z²/2n ± z·√(p(1−p)/n +
    # z²/4n²)) / (1 + z²/n) with z = 1.96 gives 0.5980…0.8581.
    assert on["low"] == pytest.approx(0.5980, abs=5e-4)
    assert on["high"] == pytest.approx(0.8581, abs=5e-4)
    assert on["in_funnel"] and lost["in_funnel"]
    # The delays: 1…30 hours to «Договор» (mean 15.5 h), 48 hours to the loss.
    assert on["after"]["n"] == 30 and on["after"]["mean"] == pytest.approx(15.5, rel=1e-6)
    assert lost["after"]["kind"] == "fixed" and lost["after"]["mean"] == pytest.approx(48.0)
    # The funnel text says the same share as the file writes it.
    fitted_text = fitted["fitted"]
    assert isinstance(fitted_text, str) and '-> "Договор" 75% after' in fitted_text


def test_sources_carry_their_rate_with_an_interval(fitted: dict[str, object]) -> None:
    sources = fitted["sources"]
    assert isinstance(sources, list)
    site = next(s for s in sources if s["source"] == "Сайт")
    assert site["deals"] == 41 and site["how"] == "by source name"
    # April is the plain month: 10 deals in its 720 hours are the base rate; March's 30
    # deals came in the 711 hours the history watched (from 2 March 09:00), 3.04 times it.
    assert site["plain_months"] == ["apr"]
    assert site["per_hour"] == pytest.approx(10 / 720)
    assert site["per_day"] == pytest.approx(24 * 10 / 720)
    assert site["low"] < site["per_hour"] < site["high"]
    assert site["profile"]["mar"]["ratio"] == pytest.approx((30 / 711) / (10 / 720))
    fitted_text = fitted["fitted"]
    assert isinstance(fitted_text, str)
    assert 'source "Сайт" 10.1/month' in fitted_text and "mar 304%" in fitted_text


def test_a_months_ratio_interval_counts_the_base_rates_uncertainty_too(
        fitted: dict[str, object]) -> None:
    """March's 30 deals over April's 10 (the base): both counts are Poisson, so the
    ratio 3.04 is known to a relative sd of √(1/30 + 1/10) = 0.37, 95 % within about
    e^±0.7. The interval was March's Poisson interval over the base rate as if that were
    known, 2.05–4.34; now the exact interval of the two counts' ratio (Clopper–Pearson
    on March's 30 of the 40), 1.45–6.97. On generated 6-month histories (April at 160 %
    over ~1 780 base deals) the old interval held the truth in 35 of 40, now 37."""
    sources = fitted["sources"]
    assert isinstance(sources, list)
    mar = next(s for s in sources if s["source"] == "Сайт")["profile"]["mar"]
    ratio = (30 / 711) / (10 / 720)
    assert mar["low"] <= ratio * math.exp(-0.55) and mar["high"] >= ratio * math.exp(0.55), mar
    assert mar["low"] <= mar["ratio"] <= mar["high"], mar


def test_warnings_are_english_sentences(fitted: dict[str, object]) -> None:
    won = _stage(fitted, "Договор")
    assert won["mature"] == 30
    texts = [w for s in fitted["stages"] for w in s["warnings"]]  # type: ignore[attr-defined]
    texts += fitted["warnings"]  # type: ignore[operator]
    assert all(isinstance(t, str) and not any("а" <= ch <= "я" for ch in t.replace(
        "Квалификация", "").replace("Договор", "").replace("Дорого", "").replace(
        "Продажи", "").replace("Сайт", "")) for t in texts)
