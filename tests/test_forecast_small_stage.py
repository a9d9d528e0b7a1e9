"""`funnelc forecast --fit-uncertainty` where one stage has too few deals to fit: its
shares are drawn around the funnel's from the few deals seen (`uncertainty.PRIOR_DEALS`,
Dirichlet), so the intervals carry how little those deals tell, and the output says
which stages were treated so. They used to keep the funnel's figures as if known
exactly: the interval was narrowest where the history was thinnest."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import reps
from funnelc.cli import cli

TRUTH = """\
account "Known truth" {
  currency USD
}

source "Web" 3/day -> "Sales"."Lead" value 1000

pipeline "Sales" main {
  stage "Lead" {
    -> "Talk" 30% after exp(2d)
    -> lost "No" 70% after exp(2d)
  }
  stage "Talk" {
    -> won 65% after exp(4d)
    -> lost "Dear" 35% after exp(4d)
  }
}
"""
HAND_MADE = TRUTH.replace("won 65%", "won 30%").replace('"Dear" 35%', '"Dear" 70%')
"""The consultant's funnel: «Talk» wins 30 %, where the account wins 65 %. Thirty days
of history see ~27 deals reach «Talk», 7-22 of them old enough to have left (fewer than
30): too few to fit."""

DAYS, CUT_DAY = 60, 30
AS_OF, UNTIL = "2018-01-30", "2018-03-01"
"""Day 30 of the simulated history (from 2018-01-01) is today; days 31-60 are what the
account went on to do."""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"}, prog_name="funnelc")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small-stage")
    (out / "truth.funnel").write_text(TRUTH, encoding="utf-8")
    (out / "hand.funnel").write_text(HAND_MADE, encoding="utf-8")
    return out


def history(folder: Path, seed: int) -> Path:
    path = folder / f"truth-{seed}.csv"
    res = invoke("simulate", str(folder / "truth.funnel"), "--days", str(DAYS), "--warmup",
                 "0", "--reps", "1", "--jobs", "1", "--seed", str(seed), "--records",
                 str(path), "-q")
    assert res.exit_code == 0, res.output
    return path


def realised_wins(records: Path) -> int:
    with open(records, encoding="utf-8", newline="") as fh:
        return sum(1 for row in csv.DictReader(fh) if row["outcome"] == "won"
                   and CUT_DAY * 24.0 <= float(row["left_hours"]) < DAYS * 24.0)


def forecast(records: Path, funnel: Path, runs: int, *extra: str) -> dict[str, Any]:
    res = invoke("forecast", str(records), "--funnel", str(funnel), "--as-of", AS_OF,
                 "--until", UNTIL, "--reps", str(runs), "--jobs", "1", "--seed", "5",
                 "--fit-uncertainty", "--format", "json", *extra)
    assert res.exit_code == 0, res.output
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def test_a_stage_too_small_to_fit_carries_its_uncertainty(folder: Path) -> None:
    """12 accounts of the truth forecast with the hand-made funnel: the 95 % interval of
    the wins must hold what each went on to win about as often as it says (at least 10
    of 12: fewer has probability 2 % at 95 %), the 80 % one neither never nor always.
    With the funnel's 30 % taken as known the intervals held none of the 12 (the
    forecasts' mean 7.7 wins, the accounts' 19.2); drawn, 12 and 9 (mean 16.4). The
    seeds are fixed: the test is deterministic."""
    runs = reps(60, 40)
    inside95 = inside80 = 0
    accounts = 12
    for seed in range(1, accounts + 1):
        records = history(folder, 300 + seed)
        data = forecast(records, folder / "hand.funnel", runs)
        assert data["fit"]["stages_kept"] == 1, data["fit"]
        band = data["rows"][0]["total"]["won"]
        won = realised_wins(records)
        inside95 += band["p2_5"] <= won <= band["p97_5"]
        inside80 += band["p10"] <= won <= band["p90"]
    assert inside95 >= accounts - 2, (inside95, inside80, accounts)
    assert 6 <= inside80 <= accounts - 1, (inside95, inside80, accounts)


def test_the_output_names_the_stage_and_says_how_it_was_treated(folder: Path) -> None:
    records = history(folder, 301)
    data = forecast(records, folder / "hand.funnel", 5)
    notes = " ".join(data["notes"])
    assert ("1 stage with fewer than 30 deals behind its shares has them drawn around the "
            "funnel's from the deals seen there (the funnel's shares weigh as 2 deals), its "
            "delays the funnel's, undrawn") in notes, notes
    res = invoke("forecast", str(records), "--funnel", str(folder / "hand.funnel"), "--as-of",
                 AS_OF, "--until", UNTIL, "--reps", "5", "--jobs", "1", "--fit-uncertainty")
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("“Sales.Talk”: too few deals to fit, so every run draws its shares around the "
            "funnel's from the deals seen there and the intervals carry how little those say; "
            "its delays are the funnel's as written.") in text, text
    assert "Not for" not in text, "the source was fitted: 90 deals"
