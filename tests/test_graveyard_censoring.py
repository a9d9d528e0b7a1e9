"""Issue 14, point 4: a graveyard stage is segmented only where old deals clearly move on
less often, with the deals still there counted for as long as they were watched.

The age bands once counted an open deal as one that did not move on. A graveyard's old
bands are mostly open deals, so a stage converting at the same rate at every age looked
dead after a week, and the shipped saleschef's reminder stage («До покупки 30 дней»,
whose SLA moves every deal on at day 23) was "a graveyard: 0 % against 4.35 %" on six
deals that had not reached day 23 — with no test behind the cut.
"""

from __future__ import annotations

import json
import math
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.history.competing_risks import cumulative_incidence, exposure_test

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

ROOT = Path(__file__).resolve().parents[1]
STAGE, NEXT = "Отправлен расчет", "Заключение договора"
FWD, LOST, DAYS = 300, 600, 360
SEEDS = 12 if os.environ.get("CI") else 40


def steady_history(path: Path, seed: int) -> Path:
    """A history that starts empty: deals come in over DAYS days and leave «Отправлен
    расчет» at the same rate per day whatever their age (forward: mean FWD days; lost:
    mean LOST days), so about half of them are still there at the end of the export and
    the stage counts as a graveyard (deals older than its visits' 95th percentile)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=DAYS)
    lines = ["deal_id,timestamp,pipeline,stage,loss_reason,value"]
    for i in range(500):
        t0 = start + timedelta(days=rng.uniform(0, DAYS))
        rows = [(t0, "Расчет с сайта", ""), (t0 + timedelta(hours=2), STAGE, "")]
        t_fwd, t_lost = rng.expovariate(1 / FWD), rng.expovariate(1 / LOST)
        t = rows[-1][0] + timedelta(days=min(t_fwd, t_lost))
        if t < end:
            rows.append((t, NEXT, "") if t_fwd < t_lost else (t, "lost", "Дорого"))
        for ts, stage, reason in rows:
            lines.append(f"D{i},{ts.isoformat()},Продажи,{stage},{reason},100000")
    lines.append(f"END,{end.isoformat()},Продажи,Расчет с сайта,,100000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _history(path: Path) -> dict[str, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    tables: dict[str, list[dict[str, object]]] = json.loads(result.stdout)["tables"]
    return tables


def test_a_steady_stage_is_neither_a_graveyard_nor_segmented(tmp_path: Path) -> None:
    """Over many seeds the slow, steady stage is called a graveyard, or cut, no more
    often than the 5 % level allows (binomial bound at 0.001). Its deals still there at
    the end are old only next to the visits that had ended, the short ones of a young
    history: measured against those, it was a graveyard in 10 of 10 seeds; against the
    time 95 % of the leaving visits take with the open ones counted (Kaplan–Meier), it is
    not."""
    graves = proposed = 0
    for seed in range(SEEDS):
        tables = _history(steady_history(tmp_path / f"h{seed}.csv", seed))
        (row,) = [r for r in tables["graveyards"] if r["stage"] == STAGE]
        graves += bool(row["graveyard"])
        proposed += any(r["stage"] == STAGE for r in tables["graveyard_proposals"])
        if seed < 3:
            # Truth: 95 % of the visits that leave have left by −ln(0.05)·200 days ≈ 599;
            # the estimate stops at the longest watch (DAYS), which it reaches.
            assert row["p95_h"] / 24 > 0.8 * DAYS, row
    bound = int(stats.binom.ppf(0.999, SEEDS, 0.05))
    assert graves <= bound and proposed <= bound, (graves, proposed, SEEDS)


SALESCHEF = ROOT / "pipelines" / "saleschef.funnel"
REMINDER = "До покупки 30 дней"


@pytest.fixture(scope="module")
def saleschef_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = tmp_path_factory.mktemp("saleschef") / "sc.csv"
    sim = CliRunner().invoke(cli, ["simulate", str(SALESCHEF), "--days", "180", "--seed", "3",
                                   "--records", str(records), "-q"])
    assert sim.exit_code == 0, sim.output
    return records


@pytest.fixture(scope="module")
def saleschef_alone(saleschef_records: Path) -> dict[str, list[dict[str, object]]]:
    """`history sc.csv --format json` (no funnel): its tables, read by two tests."""
    return _history(saleschef_records)


def test_the_shipped_reminder_stage_is_not_a_finding(saleschef_records: Path) -> None:
    """The exact case: saleschef simulated for 180 days, seed 3. «До покупки 30 дней»
    moves 10 % on early and the rest by its 23-day SLA: deals there younger than 23 days
    are waiting by design, not dying."""
    result = CliRunner().invoke(cli, ["audit", str(SALESCHEF), str(saleschef_records),
                                      "--format", "json"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert not [f for f in data["findings"] if f["kind"] == "graveyard"], data["findings"]
    assert data["proposals"] == []


def test_deals_younger_than_the_stage_sla_are_not_hoarded(
        saleschef_records: Path, saleschef_alone: dict[str, list[dict[str, object]]]) -> None:
    """With the funnel, a deal younger than its stage's SLA waits for it: the reminder
    stage is no graveyard. From the data alone its finished visits are the early ones of
    a young history, and it still is one (their 95th percentile is all the data has)."""
    def reminder(tables: dict[str, list[dict[str, object]]]) -> dict[str, object]:
        (row,) = [r for r in tables["graveyards"] if r["stage"] == REMINDER]
        return dict(row)

    result = CliRunner().invoke(cli, ["history", str(saleschef_records), "--funnel",
                                      str(SALESCHEF), "--format", "json"], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert reminder(json.loads(result.stdout)["tables"])["hoarded"] == 0
    alone = reminder(saleschef_alone)
    assert alone["graveyard"] and alone["hoarded"] > 0


def test_cumulative_incidence_against_competing_exponentials() -> None:
    """Aalen–Johansen on competing exponential exits (forward rate a, lost rate b) with
    uniform censoring up to W: the forward share watched to W is a/(a+b)·(1−e^{−(a+b)W}),
    and from any age the same (no memory)."""
    rng = np.random.default_rng(7)
    a, b, w, n = 1 / 10, 1 / 20, 40.0, 40_000
    tf, tl, c = rng.exponential(1 / a, n), rng.exponential(1 / b, n), rng.uniform(0, w, n)
    t = np.minimum.reduce([tf, tl, c])
    forward, lost = 0, 1
    ways = np.where(t == c, -1, np.where(tf < tl, forward, lost))
    truth = a / (a + b) * (1 - math.exp(-(a + b) * w))
    inc = cumulative_incidence(t, ways)
    assert abs(inc.shares[forward] - truth) < 0.01
    assert abs(sum(inc.shares.values()) + inc.remaining - 1) < 1e-9
    later = cumulative_incidence(t, ways, since=10)
    truth_later = a / (a + b) * (1 - math.exp(-(a + b) * (w - 10)))
    assert abs(later.shares[forward] - truth_later) < 0.02
    window = cumulative_incidence(t, ways, until=5)
    assert abs(window.shares[forward] - a / (a + b) * (1 - math.exp(-(a + b) * 5))) < 0.01


def test_exposure_test_is_calibrated_and_finds_a_drop() -> None:
    """Same rate on both sides: p below 0.05 about 5 % of the time (one-sided); the rate
    halving after day 30: found."""
    rng = np.random.default_rng(11)
    low = 0
    for _ in range(400):
        exit_, watch = rng.exponential(20, 300), rng.uniform(0, 90, 300)
        low += exposure_test(np.minimum(exit_, watch), exit_ <= watch, 30).p_value < 0.05
    assert low <= stats.binom.ppf(0.999, 400, 0.05)
    early = rng.exponential(20, 600)
    late = 30 + rng.exponential(80, 600)
    t = np.where(early < 30, early, late)
    res = exposure_test(t, np.ones_like(t, dtype=bool), 30)
    assert res.ratio is not None and 0.15 < res.ratio < 0.4 and res.p_value < 1e-6


def test_the_seed_000_proposal_has_the_model_shares(tmp_path: Path) -> None:
    """The shipped cottages-before (seed 000's story): «Отправлен расчет» sends 5 % on
    after exp(10d), loses 65 % after exp(21d) and keeps 30 % for ever, with no SLA.
    Simulated for a year and audited, the proposal's shares are the model's: before a
    cut at c days, 5 %·(1 − e^(−c/10)) move on and 65 %·(1 − e^(−c/21)) are lost; of the
    deals still there at c, the rest of each divided by what is left. Within 2.5 points:
    a deal also waits for a free manager (working hours) before its clock starts."""
    funnel = ROOT / "pipelines" / "cottages-before.funnel"
    records = tmp_path / "cb.csv"
    sim = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", "365", "--seed", "5",
                                   "--records", str(records), "-q"])
    assert sim.exit_code == 0, sim.output
    out = CliRunner().invoke(cli, ["audit", str(funnel), str(records), "--format", "json"],
                             env={"NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    (prop,) = json.loads(out.stdout)["proposals"]
    assert prop["stage"] == "Отправлен расчет"
    c = prop["cold_after_days"]
    fwd, lost = 0.05 * (1 - math.exp(-c / 10)), 0.65 * (1 - math.exp(-c / 21))
    left = 1 - fwd - lost
    truth = {
        ("Отправлен расчет", "Заключение договора"): fwd,
        ("Отправлен расчет", "lost"): lost, ("Отправлен расчет", "stay"): left,
        ("Холодные", "Заключение договора"): (0.05 - fwd) / left,
        ("Холодные", "lost"): (0.65 - lost) / left, ("Холодные", "stay"): 0.30 / left}
    loaded = load_text(prop["funnel_text"], checks=False)
    got: dict[tuple[str, str], float] = {}
    for stage in loaded.model.pipelines[0].stages:
        for o in stage.outcomes:
            kind = o.target.kind
            got[(stage.name.value, "lost" if kind == "lost" else o.target.ref.stage.value)] = \
                o.share.value
        got[(stage.name.value, "stay")] = stage.stay.value if stage.stay else 0.0
    for key, want in truth.items():
        assert abs(got[key] - want) < 0.025, (key, got[key], want)
    assert abs(prop["warm_conversion"] - fwd) < 0.025
    assert abs(prop["cold_conversion"] - (0.05 - fwd) / left) < 0.025


def test_a_graveyard_without_an_age_cut_is_still_a_finding(
        saleschef_alone: dict[str, list[dict[str, object]]]) -> None:
    """From the data alone (no funnel), saleschef's «Клиент у нас не купил» holds the
    lost deals copied there and none has moved on within 180 days: a dead end. The
    reminder stage's deals hoard but old ones do not clearly move on less often: a
    graveyard with no cut, listed all the same, where the audit used to say nothing
    while the history table said "graveyard"."""
    tables = saleschef_alone
    kinds = {(f["stage"], f["kind"]) for f in tables["findings"]}
    graves = {r["stage"] for r in tables["graveyards"] if r["graveyard"]}
    assert ("Клиент у нас не купил", "dead_end") in kinds
    assert (REMINDER, "hoarding") in kinds
    proposed = {r["stage"] for r in tables["graveyard_proposals"]}
    # Every graveyard is a finding: a cut to paste, or one of these two.
    assert graves == proposed | {s for s, k in kinds if k in ("dead_end", "hoarding")}
