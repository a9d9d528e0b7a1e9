"""Back-test (`funnelc fit --backtest N`): fit on the first months of a history, simulate
the rest, compare.

A known stationary funnel simulated for 8 months (2019-01 – 2019-08) and written as a
CRM CSV: fitted on 5 months, the 3 holdout months must fall inside the predicted 95 %
intervals for at least 85 % of the 28 figures (3 months and the whole holdout × 2
conversions, won, lost, 3 backlogs), every conversion over the whole holdout inside, and
the intervals as wide as the binomial / Poisson noise of one history — not the far
narrower interval of a simulated mean — and no backlog band stretched to 0 by a run
that missed a month end. A history whose qualification share falls from
70 % to 40 % after the cut (seed 003's fall) must be flagged: every qualification
figure of the holdout outside, below. The same seed gives the same back-test whatever
the number of worker processes.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

import funnelc
from conftest import reps
from funnelc.cli import cli
from funnelc.history.backtest import run_backtest
from funnelc.history.load import load_history
from funnelc.history.run import prepare
from funnelc.routing import build_flows
from history_formats import write_csv

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

STATIONARY = """\
source "Сайт" 30/day -> "Продажи"."Новая заявка"

pipeline "Продажи" main {
  stage "Новая заявка" {
    -> "Квалификация" 70% after exp(1d)
    -> lost "Спам" 30% after exp(4h)
  }
  stage "Квалификация" {
    -> "Встреча" 50% after lognormal(3d, 2d)
    -> lost "Нецелевой" 50% after exp(2d)
  }
  stage "Встреча" {
    -> won 40% after lognormal(5d, 3d)
    -> lost "Дорого" 60% after exp(4d)
  }
}
"""
# After the cut, qualification falls: the ads bring worse leads (seed 003).
FALLEN = STATIONARY.replace('"Квалификация" 70%', '"Квалификация" 40%').replace(
    '"Спам" 30%', '"Спам" 60%')
START = date(2019, 1, 1)
DAYS = 243  # 2019-01-01 – 2019-08-31: 8 calendar months
CUT = "2019-06-01"
QUAL = "Новая заявка → Квалификация"
MIN_INSIDE = 0.85


def _simulate(tmp: Path, name: str, text: str, seed: int) -> pl.DataFrame:
    funnel = tmp / f"{name}.funnel"
    funnel.write_text(text, encoding="utf-8")
    records = tmp / f"{name}.csv"
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", str(DAYS), "--warmup",
                                   "0", "--reps", "1", "--seed", str(seed), "--jobs", "1",
                                   "--start", START.isoformat(), "--records", str(records)])
    assert res.exit_code == 0, res.output
    model = funnelc.load(str(funnel)).model
    feeds = {key: src.name.value for src, key in build_flows(model).sources}
    ev = load_history([str(records)], records_start=START, record_sources=feeds).events
    return ev.with_columns(deal_id=pl.lit(name + "-") + pl.col("deal_id"))


@pytest.fixture(scope="module")
def histories(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(funnel file, stationary history CSV, history CSV with the fall after the cut)."""
    root = tmp_path_factory.mktemp("backtest")
    funnel = root / "known.funnel"
    funnel.write_text(STATIONARY, encoding="utf-8")
    same = _simulate(root, "same", STATIONARY, 7)
    fallen = _simulate(root, "fallen", FALLEN, 8)
    # Deals created before the cut live in the old regime (to their end), deals created
    # after it in the new one: one account whose lead quality changed on June 1.
    cut = pl.lit(CUT).str.to_datetime("%Y-%m-%d", time_zone="UTC")
    born = pl.col("ts").min().over("deal_id")
    changed = pl.concat([same.filter(born < cut), fallen.filter(born >= cut)])
    return (funnel, write_csv(same, root / "same.csv"),
            write_csv(changed.sort(["deal_id", "ts", "seq"]), root / "changed.csv"))


def _backtest(funnel: Path, history: Path, tmp: Path, runs: int, seed: int,
              *extra: str) -> tuple[dict, str]:  # type: ignore[type-arg]
    out = tmp / "bt.json"
    res = CliRunner().invoke(cli, ["fit", str(history), "--funnel", str(funnel), "--backtest",
                                   "5", "--reps", str(runs), "--seed", str(seed), "--json",
                                   str(out), *extra])
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text(encoding="utf-8")), res.output


def test_stationary_history_lies_inside_the_predicted_intervals(
        histories: tuple[Path, Path, Path], tmp_path: Path) -> None:
    funnel, same, _ = histories
    html, fitted = tmp_path / "bt.html", tmp_path / "fitted.funnel"
    data, output = _backtest(funnel, same, tmp_path, reps(40, 20), 1, "--html", str(html),
                             "-o", str(fitted))
    assert data["fit_months"] == ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05"]
    assert data["holdout_months"] == ["2019-06", "2019-07", "2019-08"]
    assert data["cut"] == "2019-06-01T00:00:00+00:00"
    figs = data["figures"]
    assert len(figs) == 4 * 7  # 3 months + the whole holdout, 7 figures each
    assert {f["kind"] for f in figs} == {"conversion", "won", "lost", "backlog"}
    inside = sum(f["inside"] for f in figs)
    assert data["verdict"]["inside"] == inside
    assert inside >= MIN_INSIDE * len(figs), [f for f in figs if not f["inside"]]
    assert f"{inside} of {len(figs)} figures inside the 95% interval" in output
    for f in figs:
        if f["kind"] == "conversion" and f["month"] == "holdout":
            assert f["inside"], f
    # Widths: the noise of one history, not the far narrower interval of a mean of runs.
    for f in figs:
        p = f["predicted"]
        width = p["high"] - p["low"]
        if f["kind"] == "conversion":
            q = p["mean"] / 100
            noise = 2 * 1.96 * 100 * math.sqrt(q * (1 - q) / f["deals"])
        elif f["kind"] in ("won", "lost") and f["month"] != "holdout":
            noise = 2 * 1.96 * math.sqrt(p["mean"])
        else:
            assert 0 < width < 1.6 * p["mean"], f  # backlog: queue noise, no closed form
            continue
        assert 0.7 * noise < width < 2.5 * noise, f
    # Month-end backlogs are counted at local midnight on both sides, and every run has
    # every month end: a run whose last event came earlier in its day than its first
    # used to have no backlog for the last month (counted as 0), which stretched the
    # August bands down to 0.
    for f in figs:
        if f["kind"] == "backlog":
            assert f["predicted"]["low"] > 0.3 * f["predicted"]["mean"], f
    # Every run simulates its own draw of the fitted numbers.
    assert data["simulation"]["draws"] == data["simulation"]["runs"] == reps(40, 20)
    # The in-sample months are there for reference and agree too.
    assert len(data["in_sample"]) == 5 * 7
    assert sum(f["inside"] for f in data["in_sample"]) >= MIN_INSIDE * 35
    # Every output: the HTML page with its plot, the fitted (first 5 months) funnel.
    page = html.read_text(encoding="utf-8")
    assert "Back-test of the fit" in page and "<svg" in page and data["verdict"]["text"] in page
    assert "http://" not in page and "https://" not in page
    loaded = funnelc.load(str(fitted))
    assert loaded.ok
    src = loaded.model.source("Сайт")
    assert src is not None and src.rate.per_hour * 24 == pytest.approx(30, rel=0.1)


def test_a_fall_in_qualification_after_the_cut_is_flagged(
        histories: tuple[Path, Path, Path], tmp_path: Path) -> None:
    funnel, _, changed = histories
    data, output = _backtest(funnel, changed, tmp_path, reps(20, 12), 2)
    qual = [f for f in data["figures"] if f["kind"] == "conversion" and f["subject"] == QUAL]
    assert [f["month"] for f in qual] == ["2019-06", "2019-07", "2019-08", "holdout"]
    for f in qual:
        assert not f["inside"] and f["direction"] == "below", f
        assert f["observed"] == pytest.approx(40, abs=5)
        # The fit saw 70 % (the last month's cohort is cut short by the end of the data).
        assert f["predicted"]["low"] > 60 and f["deviation_sd"] < -5
    # Fewer qualified deals: fewer meetings in the backlog and fewer wins downstream.
    low = {(f["kind"], f["subject"]) for f in data["figures"]
           if f["month"] == "holdout" and f["direction"] == "below"}
    assert ("backlog", "Встреча") in low
    assert data["verdict"]["inside"] < MIN_INSIDE * data["verdict"]["figures"]
    assert "✗ below" in output and "verdict:" in output
    # Before the cut nothing changed: the fit months agree with the fit.
    assert sum(f["inside"] for f in data["in_sample"]) >= MIN_INSIDE * len(data["in_sample"])


@pytest.mark.parametrize("args, message", [
    (["--backtest", "0"], "fit on at least 1 month (got 0)"),
    (["--backtest", "-2"], "fit on at least 1 month (got -2)"),
    (["--backtest", "8"], "the history covers 8 months (2019-01 – 2019-08 in UTC): fit on "
                          "at most 7"),
    (["--backtest", "12"], "fit on at most 7"),
    (["--backtest", "5", "--reps", "1"], "a prediction interval needs at least 2 runs"),
    (["--json", "x.json"], "--json belongs to the back-test: add --backtest N"),
    (["--reps", "10", "--html", "x.html"], "--reps, --html belong to the back-test"),
])
def test_usage_errors_exit_2(histories: tuple[Path, Path, Path], args: list[str],
                             message: str) -> None:
    funnel, same, _ = histories
    res = CliRunner().invoke(cli, ["fit", str(same), "--funnel", str(funnel), *args])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()), res.output
    assert "Traceback" not in res.output


def test_backtest_needs_a_funnel(histories: tuple[Path, Path, Path]) -> None:
    _, same, _ = histories
    res = CliRunner().invoke(cli, ["fit", str(same), "--backtest", "5"])
    assert res.exit_code == 2
    assert "Missing option '--funnel'" in res.output


def test_same_seed_same_backtest_whatever_the_workers(histories: tuple[Path, Path, Path],
                                                      tmp_path: Path) -> None:
    funnel, same, _ = histories
    one, _ = _backtest(funnel, same, tmp_path, 4, 5, "--jobs", "1")
    two, _ = _backtest(funnel, same, tmp_path, 4, 5, "--jobs", "2")
    assert one["figures"] == two["figures"] and one["in_sample"] == two["in_sample"]
    other, _ = _backtest(funnel, same, tmp_path, 4, 6, "--jobs", "1")
    assert other["figures"] != one["figures"]


def test_the_caller_sees_one_tick_per_run_whatever_the_workers(
        histories: tuple[Path, Path, Path]) -> None:
    """Each run is read back and measured in the worker that simulated it; the caller
    still ticks its progress once per run, in this process (one job) as over a pool of
    workers, and gets the same figures."""
    funnel, same, _ = histories
    model = funnelc.load(str(funnel)).model
    assert model is not None
    prep = prepare([str(same)], "UTC", model)
    results = {}
    for jobs in (1, 2):
        ticks: list[tuple[int, int]] = []

        def tick(done: int, all_: int, seen: list[tuple[int, int]] = ticks) -> None:
            seen.append((done, all_))

        bt = run_backtest(prep, model, 5, reps=3, seed=9, jobs=jobs, progress=tick)
        assert ticks == [(1, 3), (2, 3), (3, 3)]
        results[jobs] = (bt.figures, bt.in_sample)
    assert results[1] == results[2] and results[1][0]
