"""Coverage of the back-test's 95 % prediction intervals (issue 13, part 4).

Synthetic histories from two funnels (a fast three-stage one and a slow one with long,
skewed delays, where many deals are open at the cut), simulated for 8 months from
2018-01-01 and back-tested through the CLI with the fit on the first 5 months: the runs
start at the cut with the history's open deals (warm start) and each simulates its own
draw of the fitted numbers (`history.uncertainty`). When nothing changed, the holdout
figures (per month and over the whole holdout: conversions, won, lost, backlogs) must
fall inside their 95 % interval 90–98 % of the time: the pooled share over 24
back-tests (12 histories per funnel, ~670 figures), as a point estimate. Figures of one
back-test are correlated (an unusual history pushes several out at once): over 24
back-tests the share's standard error is about 1.2 points (bootstrap over back-tests),
so a coverage of 95 % passes with room on both sides, and the 88.7 % the back-test had
with runs sharing a draw by fours fails. Each back-test has 10 runs, under CI and off it:
the t interval over 10 runs is a 95 % one, and the coverage's precision comes from the 24
back-tests, not from the runs (20 runs took the whole suite past ten minutes on two cores
for the same assertion).

A change after the cut is flagged: when the arrivals halve, deals lost are below their
interval in every holdout month, and the holdout's wins and early backlogs below
theirs; when a share falls (deals born after the cut reach «Договор» from «КП» 15 % of
the time instead of 35 %), that conversion is below its interval in every holdout month.

`pytest -n 0 -s` prints the coverage per funnel and per kind of figure.
"""

from __future__ import annotations

import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history
from history_formats import write_csv

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

FAST = """\
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

SLOW = """\
source "Рекомендации" 8/day -> "Сделки"."Новая"

pipeline "Сделки" main {
  stage "Новая" {
    -> "КП" 60% after exp(2d)
    -> lost "Не дозвонились" 40% after exp(3d)
  }
  stage "КП" {
    -> "Договор" 35% after lognormal(10d, 6d)
    -> lost "Дорого" 65% after exp(12d)
  }
  stage "Договор" {
    -> won 80% after gamma(7d, 4d)
    -> lost "Передумал" 20% after exp(5d)
  }
}
"""
# The same account whose arrivals halve from June on (the cut is June 1).
HALVED = SLOW.replace("8/day -> \"Сделки\".\"Новая\"",
                      "8/day -> \"Сделки\".\"Новая\" profile jun 50%, jul 50%, aug 50%")

START = date(2018, 1, 1)  # what `fit` reads records from (`sim.DEFAULT_START`)
DAYS = 243  # 2018-01-01 – 2018-08-31
# The same account where deals born from June 1 on (the cut) rarely reach a contract.
FEWER_CONTRACTS = SLOW.replace('-> "Договор" 35%', '-> "Договор" 15%').replace(
    'lost "Дорого" 65%', 'lost "Дорого" 85%')

HISTORIES = 12
"""Histories per funnel: the same under CI (the number of back-tests is what makes the
coverage meaningful)."""
RUNS = 10
LOW, HIGH = 0.90, 0.98
PER_BACKTEST = 28
"""Figures of one back-test: 3 months and the whole holdout × (2 conversions, won,
lost, 3 backlogs)."""


def _history(root: Path, name: str, text: str, seed: int) -> Path:
    funnel = root / f"{name}-{seed}.funnel"
    funnel.write_text(text, encoding="utf-8")
    records = root / f"{name}-{seed}.csv"
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", str(DAYS), "--warmup",
                                   "0", "--reps", "1", "--seed", str(seed), "--jobs", "1",
                                   "--start", START.isoformat(), "--records", str(records)])
    assert res.exit_code == 0, res.output
    return records


def _backtest(root: Path, text: str, history: Path, seed: int,
              jobs: int = 2) -> dict:  # type: ignore[type-arg]
    funnel = root / f"fitted-from-{history.stem}.funnel"
    funnel.write_text(text, encoding="utf-8")
    out = root / f"bt-{history.stem}.json"
    res = CliRunner().invoke(cli, ["fit", str(history), "--funnel", str(funnel),
                                   "--backtest", "5", "--reps", str(RUNS), "--seed", str(seed),
                                   "--jobs", str(jobs), "--json", str(out)])
    assert res.exit_code == 0, res.output
    data: dict = json.loads(out.read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return data


def _stationary_backtest(root: Path, name: str, text: str,
                         seed: int) -> tuple[str, dict]:  # type: ignore[type-arg]
    return name, _backtest(root, text, _history(root, name, text, seed), seed, jobs=1)


@pytest.fixture(scope="module")
def stationary(tmp_path_factory: pytest.TempPathFactory
               ) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """The 24 back-tests, two at a time, each in one process: a back-test reads its
    history and fits on one core before its runs start, and small ones do not pay for a
    pool of workers, so two at a time keep both cores busy throughout. A back-test's
    figures depend on its seed only, not on the workers (tests/test_history_backtest.py),
    and every back-test writes its own files."""
    root = tmp_path_factory.mktemp("coverage")
    work = [(name, text, 100 + k) for name, text in (("fast", FAST), ("slow", SLOW))
            for k in range(HISTORIES)]
    # spawn, not fork: this process holds polars' threads.
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")
                             ) as pool:
        return list(pool.map(_stationary_backtest, [root] * len(work),
                             *(list(column) for column in zip(*work, strict=True))))


def _share(figures: list[dict]) -> tuple[int, int]:  # type: ignore[type-arg]
    return sum(f["inside"] for f in figures), len(figures)


def test_stationary_histories_fall_inside_90_to_98_percent_of_the_time(
        stationary: list[tuple[str, dict]]) -> None:  # type: ignore[type-arg]
    figures = [f for _, bt in stationary for f in bt["figures"]]
    inside, n = _share(figures)
    assert n >= 0.95 * PER_BACKTEST * len(stationary), n
    cells: dict[str, list[int]] = {}
    for name, bt in stationary:
        for f in bt["figures"]:
            span = "holdout" if f["month"] == "holdout" else "month"
            for key in (name, f"{f['kind']} {span}"):
                cell = cells.setdefault(key, [0, 0])
                cell[0] += f["inside"]
                cell[1] += 1
    print(f"\ncoverage {inside}/{n} = {inside / n:.3f} over {len(stationary)} back-tests "
          f"({RUNS} runs each); " + ", ".join(f"{k} {a}/{b} = {a / b:.3f}"
                                             for k, (a, b) in sorted(cells.items())))
    out = [f for f in figures if not f["inside"]]
    assert inside / n >= LOW, (f"coverage {inside}/{n} = {inside / n:.3f} is below {LOW:.0%}",
                               out)
    assert inside / n <= HIGH, (f"coverage {inside}/{n} = {inside / n:.3f} is above "
                                f"{HIGH:.0%}: intervals too wide")
    # Neither funnel hides behind the other.
    for name in ("fast", "slow"):
        a, b = cells[name]
        assert a / b >= 0.85, (name, a, b)
    # Every back-test started from the deals open at its cut, one draw per run.
    for _, bt in stationary:
        assert bt["simulation"]["open_at_cut"] > 0
        assert bt["simulation"]["starts"].startswith("holdout: at the cut")
        assert bt["simulation"]["draws"] == bt["simulation"]["runs"] == RUNS


def test_halved_arrivals_after_the_cut_are_flagged(tmp_path: Path) -> None:
    history = _history(tmp_path, "halved", HALVED, 7)
    bt = _backtest(tmp_path, SLOW, history, 7)
    lost = [f for f in bt["figures"] if f["kind"] == "lost"]
    assert [f["month"] for f in lost] == ["2018-06", "2018-07", "2018-08", "holdout"]
    for f in lost:  # most deals are lost at the first two stages: half of them
        assert f["direction"] == "below", f
        assert f["observed"] < 0.65 * f["predicted"]["mean"], f
    out = {(f["kind"], f["subject"]) for f in bt["figures"]
           if f["month"] == "holdout" and f["direction"] == "below"}
    assert {("won", None), ("backlog", "Новая"), ("backlog", "КП")} <= out
    assert bt["verdict"]["share"] < LOW
    # The deals already open at the cut did not change: the first holdout month's wins
    # (mostly theirs, the slow stages take weeks) are still where the fit put them.
    june = next(f for f in bt["figures"] if f["kind"] == "won" and f["month"] == "2018-06")
    assert june["inside"], june


def test_a_share_that_falls_after_the_cut_is_flagged(tmp_path: Path) -> None:
    # Deals born before the cut live in the old regime (to their end), deals born after
    # it in the new one: one account whose contracts got rarer on June 1.
    cut = pl.lit("2018-06-01").str.to_datetime("%Y-%m-%d", time_zone="UTC")
    parts = []
    for name, text, seed in (("before", SLOW, 11), ("after", FEWER_CONTRACTS, 12)):
        ev = load_history([str(_history(tmp_path, name, text, seed))], records_start=START,
                          record_sources={("Сделки", "Новая"): "Рекомендации"}).events
        born = pl.col("ts").min().over("deal_id")
        keep = born < cut if name == "before" else born >= cut
        parts.append(ev.filter(keep).with_columns(deal_id=pl.lit(name + "-") + pl.col("deal_id")))
    history = write_csv(pl.concat(parts).sort(["deal_id", "ts", "seq"]),
                        tmp_path / "changed.csv")
    bt = _backtest(tmp_path, SLOW, history, 11)
    conv = [f for f in bt["figures"]
            if f["kind"] == "conversion" and f["subject"] == "КП → Договор"]
    assert [f["month"] for f in conv] == ["2018-06", "2018-07", "2018-08", "holdout"]
    for f in conv:
        assert f["direction"] == "below", f
        assert f["observed"] < 0.7 * f["predicted"]["mean"], f
    # The first stage did not change: its conversion over the holdout is where it was.
    first = next(f for f in bt["figures"] if f["kind"] == "conversion"
                 and f["subject"] == "Новая → КП" and f["month"] == "holdout")
    assert first["inside"], first
    assert bt["verdict"]["share"] < LOW
