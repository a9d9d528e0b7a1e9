"""Issue 14, point 4: each graveyard segment's conversion with its 95% interval. «90+
дней: 0%» of 47 visits read as "dead", when 47 visits cannot tell 0% from 7%. The
interval is the delta method's variance of the Aalen–Johansen estimate, Wilson's at the
sample size that variance amounts to."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from cli_once import cli_ok, planted
from conftest import data_generator
from funnelc.history.competing_risks import incidence_interval
from funnelc.history.stats import wilson

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def test_with_every_visit_ended_the_interval_is_wilsons() -> None:
    # No visit still open: the share moved on is a plain binomial share.
    rng = np.random.default_rng(3)
    days = rng.exponential(5.0, 300)
    ways = rng.integers(0, 3, 300)  # 0, 1: moved on (two later stages); 2: lost
    k = int(np.isin(ways, [0, 1]).sum())
    assert incidence_interval(days, ways, frozenset({0, 1})) == pytest.approx(wilson(k, 300))


def test_the_interval_covers_the_truth_with_deals_still_open() -> None:
    # Moves on at 1/10 a day, lost at 1/15, watched for up to 40 days: the share moved on
    # by the longest watch t is 0.1 / (0.1 + 1/15) · (1 − exp(−(0.1 + 1/15) t)).
    rng = np.random.default_rng(7)
    covered, runs = 0, 300
    for _ in range(runs):
        move, lose, watch = (rng.exponential(10, 150), rng.exponential(15, 150),
                             rng.uniform(0, 40, 150))
        days = np.minimum(np.minimum(move, lose), watch)
        ways = np.where(watch < np.minimum(move, lose), -1, np.where(move < lose, 0, 1))
        rate = 0.1 + 1 / 15
        truth = 0.1 / rate * (1 - np.exp(-rate * days.max()))
        interval = incidence_interval(days, ways, frozenset({0}))
        assert interval is not None
        covered += interval[0] <= truth <= interval[1]
    assert 0.9 <= covered / runs <= 0.99  # 0.93 at this seed


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 0, shared read-only by the files that read it."""
    return planted("grave_b24_ru")


def test_each_segment_has_an_interval_holding_the_generators_share(export: Path) -> None:
    # The history the other grave_b24_ru files read too: run once a session (`cli_once`).
    result = cli_ok(["history", export / "bitrix24", "--tz", "Europe/Moscow", "--format",
                     "json", "-q"], ENV)
    rows = [r for r in json.loads(result.stdout)["tables"]["graveyard_segments"]
            if r["stage"] == "Думают" and r["kind"] == "age"]
    gen = data_generator("grave_b24_ru")
    visits = [d["think"] for d in json.loads((export / "truth.json").read_text("utf-8"))
              if d["think"]]
    for row in rows:
        # The generator's own draw followed to the end, past the export: of the visits
        # that lasted `from_days`, the share that moved on (47.4%, 22.9%, 7.0%, 1.5%).
        lasted = [v for v in visits if v["days"] >= row["from_days"]
                  and datetime.fromisoformat(v["entered"]) < gen.END]
        share = sum(v["moved"] for v in lasted) / len(lasted)
        assert row["conversion_low"] <= share <= row["conversion_high"], row
        assert row["conversion_low"] <= row["conversion"] <= row["conversion_high"]
    oldest = rows[-1]
    assert (oldest["converted"], oldest["conversion"]) == (0, 0.0)
    assert 0.05 < oldest["conversion_high"] < 0.1  # 0 of 47: up to 7.6%
