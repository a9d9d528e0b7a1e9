"""Warm start (issue 13, part 4): a simulation that starts from the deals open at t=0.

Checked against closed forms: with an `exp` stay and no arrivals, N open deals leave as a
pure death process whatever their ages (N·e^(-t/mean) still open at t); with a fixed or
uniform delay the remaining stay is the residual given the time already spent (a fresh
draw would be visibly longer); an old deal in a stage with a `stay` share is almost
surely parked; SLA and respond clocks count from the real entry; open deals meet the
team's queue oldest first; their wins book their value; the records tell them apart.
Bad open deals get messages naming the deal and the closest stage.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import pytest

import funnelc
from conftest import reps
from funnelc import model as m
from funnelc.sim import OpenDeal, SimConfig, SimResult, WarmStartError, simulate

QUIET = """\
source S 1/day -> "P"."A"
scenario "quiet" {
  source S 0/day
}
"""
"""A funnel must have a source to pass the checks; its `quiet` scenario has no arrivals."""


def _model(text: str) -> m.FunnelFile:
    loaded = funnelc.load_text(text if "source" in text else QUIET + text, "<warm>")
    assert loaded.ok and loaded.model is not None, loaded.diagnostics
    return loaded.model


def _run(text: str, deals: list[OpenDeal], days: int, reps: int = 1, seed: int = 1,
         records: Path | None = None) -> SimResult:
    return simulate(_model(text), SimConfig(
        days=days, warmup_days=0, reps=reps, seed=seed, jobs=1, open_deals=tuple(deals),
        records=str(records) if records is not None else None,
        scenario=None if "source" in text else "quiet"))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


EXP = """\
pipeline "P" {
  stage "A" {
    -> won 60% after exp(2d)
    -> lost "Нет" 40% after exp(2d)
  }
}
"""


def test_exp_stay_leaves_as_a_death_process_whatever_the_ages() -> None:
    n, reps, days = 1000, 20, 3
    deals = [OpenDeal("P", "A", -float(i % 240), value=10.0) for i in range(n)]
    res = _run(EXP, deals, days, reps)
    (od,) = res.open_deals
    assert (od.pipeline, od.stage, od.deals) == ("P", "A", n)
    p = math.exp(-days * 24 / 48)  # still open at the horizon: memoryless, age is moot
    total = n * reps
    sd = math.sqrt(total * p * (1 - p))
    assert abs(od.open_at_horizon.mean * reps - total * p) < 4.5 * sd
    # Those that left: 60 % won, each booking its value; counted by the pipeline too.
    left = total * (1 - p)
    assert abs(od.won.mean * reps - 0.6 * left) < 4.5 * math.sqrt(left * 0.24)
    assert od.revenue_won.mean == pytest.approx(10.0 * od.won.mean)
    assert res.pipeline("P").won.mean == od.won.mean
    assert res.pipeline("P").started.mean == 0  # they started before the run
    assert res.stage("P", "A").entered.mean == 0
    assert res.stage("P", "A").wip_final.mean == od.open_at_horizon.mean
    assert res.account.open_at_horizon.mean == od.open_at_horizon.mean
    assert od.won.mean + od.lost.mean + od.open_at_horizon.mean == pytest.approx(n)


def test_a_fixed_delay_counts_from_the_real_entry(tmp_path: Path) -> None:
    text = 'pipeline "P" {\n  stage "A" {\n    -> won 100% after 10d\n  }\n}\n'
    rec = tmp_path / "rec.csv"
    _run(text, [OpenDeal("P", "A", -96.0, value=5.0, ref="crm-1"),
                OpenDeal("P", "A", 0.0)], 20, records=rec)
    rows = _rows(rec)
    by_id = {r["deal_id"]: r for r in rows}
    # Open deals are ids 1..N in the order given, entered at their own (negative) time.
    assert by_id["1"]["entered_hours"] == "-96.0" and by_id["1"]["outcome"] == "won"
    assert float(by_id["1"]["left_hours"]) == pytest.approx(240 - 96)
    assert float(by_id["2"]["left_hours"]) == pytest.approx(240)


def test_residual_of_a_uniform_is_uniform(tmp_path: Path) -> None:
    text = ('pipeline "P" {\n  stage "A" {\n    -> won 100% after uniform(2d, 4d)\n'
            '  }\n}\n')
    rec = tmp_path / "rec.csv"
    _run(text, [OpenDeal("P", "A", -72.0)] * 2000, 2, records=rec)
    left = [float(r["left_hours"]) for r in _rows(rec)]
    assert len(left) == 2000 and max(left) <= 24.0 + 1e-9
    mean = sum(left) / len(left)
    assert abs(mean - 12.0) < 4.5 * 24 / math.sqrt(12 * 2000)


def test_an_old_deal_in_a_stage_with_stay_is_parked() -> None:
    text = ('pipeline "P" {\n  stage "A" {\n    -> won 50% after 1d\n    stay 50%\n'
            '  }\n}\n')
    old = _run(text, [OpenDeal("P", "A", -48.0)] * 300, 30)
    assert old.open_deals[0].won.mean == 0 and old.open_deals[0].open_at_horizon.mean == 300
    # Half a day in: it is still in the `won` half with P = 0.5 / (0.5 + 0.5).
    young = _run(text, [OpenDeal("P", "A", -12.0)] * 1000, 30, reps=4)
    won = young.open_deals[0].won.mean * 4
    assert abs(won - 2000) < 4.5 * math.sqrt(4000 * 0.25)


def test_sla_counts_from_the_real_entry(tmp_path: Path) -> None:
    text = ('pipeline "P" {\n  stage "A" {\n    sla 2d -> "B"\n    stay 100%\n  }\n'
            '  stage "B" {\n    -> won 100%\n  }\n}\n')
    rec = tmp_path / "rec.csv"
    _run(text, [OpenDeal("P", "A", -24.0), OpenDeal("P", "A", -72.0)], 5, records=rec)
    rows = {r["deal_id"]: r for r in _rows(rec) if r["stage"] == "A"}
    assert float(rows["1"]["left_hours"]) == pytest.approx(24.0)
    assert rows["1"]["outcome"] == "'-> B" and rows["1"]["timeout_kind"] == "parked"
    assert float(rows["2"]["left_hours"]) == 0.0  # overdue: the SLA fires at once


def test_open_deals_meet_the_team_oldest_first(tmp_path: Path) -> None:
    text = ('team T size 1\npipeline "P" {\n  stage "A" {\n    owner T\n    work 1h\n'
            '    -> won 100%\n  }\n}\n')
    rec = tmp_path / "rec.csv"
    # Just entered (age 0): all still need their work; one member takes one at a time,
    # the one that entered first first.
    deals = [OpenDeal("P", "A", 0.0, ref="new"), OpenDeal("P", "A", -0.5, ref="old")]
    _run(text, deals + [OpenDeal("P", "A", 0.0)], 1, records=rec)
    left = {r["deal_id"]: float(r["left_hours"]) for r in _rows(rec)}
    # Deal 2 entered first: its work (1 h, 0.5 h of it done by the unknown draw or not)
    # goes first; the other two follow one hour apart, in the order given.
    assert left["2"] <= 1.0 and left["1"] == pytest.approx(left["2"] + 1.0)
    assert left["3"] == pytest.approx(left["2"] + 2.0)


def test_a_deal_past_its_work_waits_out_its_delay_without_the_team(tmp_path: Path) -> None:
    text = ('team T size 1\npipeline "P" {\n  stage "A" {\n    owner T\n    work 1h\n'
            '    -> won 100% after 10d\n  }\n}\n')
    rec = tmp_path / "rec.csv"
    _run(text, [OpenDeal("P", "A", -48.0)] * 5, 12, records=rec)
    left = [float(r["left_hours"]) for r in _rows(rec)]
    # Work 1 h + delay 240 h from the real entry 48 h ago: all at 193 h, no queue.
    assert left == pytest.approx([193.0] * 5)


def test_cadence_touches_due_before_the_start_are_behind_it(tmp_path: Path) -> None:
    text = ('pipeline "P" {\n  stage "A" {\n    cadence {\n      call now 1%\n'
            '      call 1d 1%\n      call 3d 1%\n      on reply -> "B"\n'
            '      on exhausted -> lost "Молчит"\n    }\n  }\n'
            '  stage "B" {\n    -> won 100%\n  }\n}\n')
    rec = tmp_path / "rec.csv"
    _run(text, [OpenDeal("P", "A", -36.0)] * 50 + [OpenDeal("P", "A", -12.0)] * 50, 5,
         records=rec)
    rows = [r for r in _rows(rec) if r["stage"] == "A"]
    assert len(rows) == 100
    for r in rows:
        if r["outcome"] == "'-> B":  # replied (records quote a leading `-`)
            continue
        # The latest touch already due is made at t=0 (no reply to it yet: the deal is
        # still there), the later ones at their own offset from the real entry:
        # 36 h in, the 1d touch now and the last at 72 - 36; 12 h in, the first now, the
        # 1d touch at 12 h and the last at 60 h.
        expected = 36.0 if int(r["deal_id"]) <= 50 else 60.0
        assert float(r["left_hours"]) == pytest.approx(expected), r
    replied = [float(r["left_hours"]) for r in rows if r["outcome"] == "'-> B"]
    assert all(t in (0.0, 12.0, 36.0, 60.0) for t in replied), replied


def test_new_arrivals_and_open_deals_together() -> None:
    text = 'source S 10/day -> "P"."A"\n' + EXP
    res = _run(text, [OpenDeal("P", "A", -24.0, 100.0)] * 50, 30, reps=3)
    (od,) = res.open_deals
    assert od.deals == 50 and od.open_at_horizon.mean < 5
    assert res.pipeline("P").won.mean > od.won.mean  # new deals win too
    assert res.pipeline("P").started.mean > 250


def test_unknown_stage_names_the_deal_and_the_closest_stage() -> None:
    with pytest.raises(WarmStartError) as err:
        _run(EXP, [OpenDeal("P", "A"), OpenDeal("P", "a", ref="crm-7"),
                   OpenDeal("PP", "A")], 3)
    assert err.value.problems == [
        "open deal #2 (crm-7): stage 'a' is not in pipeline 'P'; closest: 'A'",
        "open deal #3: pipeline 'PP' is not in the funnel; closest: 'P'"]


@pytest.mark.parametrize("deal, message", [
    (OpenDeal("P", "A", 5.0), "open deal #1: entered_hours must be a finite number of hours, "
                              "0 or before the start (negative); got 5.0"),
    (OpenDeal("P", "A", float("nan")), "entered_hours must be a finite number"),
    (OpenDeal("P", "A", -1.0, value=-3.0), "value must be a finite amount, 0 or more"),
    (OpenDeal("P", "A", -1.0, born_hours=2.0), "born_hours must be finite and not after"),
])
def test_bad_open_deals_are_refused_with_their_place(deal: OpenDeal, message: str) -> None:
    with pytest.raises(ValueError, match="open deal #1") as err:
        SimConfig(open_deals=(deal,))
    assert message in str(err.value)


def test_same_seed_same_run_whatever_the_workers() -> None:
    text = 'source S 20/day -> "P"."A"\n' + EXP
    deals = tuple(OpenDeal("P", "A", -float(i), 1.0) for i in range(300))
    model = _model(text)
    one = simulate(model, SimConfig(days=20, warmup_days=0, reps=4, seed=9, jobs=1,
                                    open_deals=deals))
    two = simulate(model, SimConfig(days=20, warmup_days=0, reps=4, seed=9, jobs=2,
                                    open_deals=deals))
    assert one == two


# An overdue deal (older than almost every stay the funnel draws) leaves by way r with
# probability share_r × S_r(age), S_r the survival of its stay by r (work + delay); the
# engine's rejection draw gave up after WARM_TRIES tries and took the last drawn way,
# i.e. the plain shares: 30 days into EXP_10_4 a deal was won 77% of the time (98.9%
# by the closed form), 100 days in 50% (~100%). Each case: N deals of one age, a 20-day
# horizon; won, lost and still open at its end against the closed form
# P(r, left by H | there at a) = share_r (S_r(a) - S_r(a + H)) / Σ share S(a).
EXP_10_4 = """\
pipeline "P" {
  stage "A" {
    -> won 50% after exp(10d)
    -> lost "Нет" 50% after exp(4d)
  }
}
"""
LOGNORMAL = """\
pipeline "P" {
  stage "A" {
    -> won 50% after lognormal(10d, 10d)
    -> lost "Нет" 50% after lognormal(3d, 2d)
  }
}
"""
WORK_AND_DELAY = """\
pipeline "P" {
  stage "A" {
    work exp(1d)
    -> won 50% after exp(10d)
    -> lost "Нет" 50% after exp(4d)
  }
}
"""
H = 20 * 24.0


def _exp_sf(mean_d: float) -> Callable[[float], float]:
    return lambda t: math.exp(-t / (mean_d * 24))


def _lognormal_sf(mean_d: float, sd_d: float) -> Callable[[float], float]:
    s2 = math.log1p((sd_d / mean_d) ** 2)
    mu, sigma = math.log(mean_d * 24) - s2 / 2, math.sqrt(s2)
    return lambda t: 0.5 * math.erfc((math.log(t) - mu) / (sigma * math.sqrt(2)))


def _work_then_exp_sf(work_d: float, after_d: float) -> Callable[[float], float]:
    """P(W + D > t) for exponential W and D (hypoexponential)."""
    m1, m2 = work_d * 24, after_d * 24
    return lambda t: (m1 * math.exp(-t / m1) - m2 * math.exp(-t / m2)) / (m1 - m2)


SURVIVALS = {"exp": (EXP_10_4, _exp_sf(10), _exp_sf(4)),
             "lognormal": (LOGNORMAL, _lognormal_sf(10, 10), _lognormal_sf(3, 2)),
             "work_and_delay": (WORK_AND_DELAY, _work_then_exp_sf(1, 10),
                                _work_then_exp_sf(1, 4))}


@pytest.mark.parametrize("case", list(SURVIVALS))
@pytest.mark.parametrize("age_days", [0, 5, 30, 100])
def test_an_open_deal_leaves_by_the_way_its_age_makes_likely(case: str,
                                                             age_days: int) -> None:
    text, sf_won, sf_lost = SURVIVALS[case]
    a = age_days * 24.0
    n = reps(3000, 1200)
    res = _run(text, [OpenDeal("P", "A", -a)] * n, int(H / 24))
    (od,) = res.open_deals
    there = 0.5 * sf_won(a) + 0.5 * sf_lost(a) if a > 0 else 1.0
    won = 0.5 * ((sf_won(a) if a > 0 else 1.0) - sf_won(a + H)) / there
    lost = 0.5 * ((sf_lost(a) if a > 0 else 1.0) - sf_lost(a + H)) / there
    for got, p in ((od.won.mean, won), (od.lost.mean, lost),
                   (od.open_at_horizon.mean, 1.0 - won - lost)):
        sd = math.sqrt(n * p * (1 - p))
        assert abs(got - n * p) <= 4.5 * sd + 1.0, (case, age_days, got / n, p)


def test_a_deal_older_than_every_way_allows_takes_the_longest() -> None:
    """Uniform stays of at most 2 and 5 days, a deal 10 days in: no way out explains it
    (each S_r = 0), so it takes the one that can last longest, its delay afresh."""
    text = ('pipeline "P" {\n  stage "A" {\n    -> won 70% after uniform(1d, 2d)\n'
            '    -> lost "Нет" 30% after uniform(1d, 5d)\n  }\n}\n')
    res = _run(text, [OpenDeal("P", "A", -240.0)] * 200, 6)
    (od,) = res.open_deals
    assert (od.won.mean, od.lost.mean) == (0, 200)


def test_a_lead_older_than_its_call_in_a_team_stage_leaves_by_the_shares() -> None:
    """A stage a team works (an owner and `work`): a lead 60 hours in, whose call takes 6
    minutes, may have waited for a member over a weekend, which the funnel does not
    describe; the only way out that explains its age by the funnel's timing (the 5%
    after exp(2h)) is not taken for all of them: its way out goes by the shares."""
    text = ('team T size 5\npipeline "P" {\n  stage "A" {\n    owner T\n    work 6m\n'
            '    -> won 5% after exp(2h)\n    -> lost "Нет" 95%\n  }\n}\n')
    n = reps(2000, 800)
    res = _run(text, [OpenDeal("P", "A", -60.0)] * n, 10)
    (od,) = res.open_deals
    assert abs(od.won.mean - 0.05 * n) <= 4.5 * math.sqrt(n * 0.05 * 0.95)


def test_overdue_deals_are_drawn_the_same_for_the_same_seed() -> None:
    deals = [OpenDeal("P", "A", -24.0 * (20 + i % 90), 1.0) for i in range(300)]
    one, two = (_run(WORK_AND_DELAY, deals, 30, reps=2, seed=5) for _ in range(2))
    assert one == two
    assert _run(WORK_AND_DELAY, deals, 30, reps=2, seed=6) != one
