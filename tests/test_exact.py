"""Per-stage exact figures (`funnelc.analysis.exact`) and `funnelc analyze`: Erlang C and
M/M/c+D equal `queueing`'s numbers where they apply, the reasons where they do not, team
loads, Poisson occupancy, working-hours SLAs, revenue, JSON, and the command itself."""

from __future__ import annotations

import heapq
import itertools
import json
import math
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import CASES, PIPELINES, reps
from funnelc import load_file, load_text
from funnelc.analysis import queueing as q
from funnelc.analysis.exact import (
    analyze_account,
    cadence_work_mean,
    mmcd_served_tail,
    mmcd_wait_tail,
)
from funnelc.analysis.working_time import mean_wallclock_hours, weekly_intervals
from funnelc.cli import cli
from funnelc.model import FunnelFile

ANALYSIS = CASES / "analysis"
UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"


def model(text: str, *, checks: bool = True) -> FunnelFile:
    loaded = load_text(text, "<test>", checks=checks)
    assert loaded.model is not None, loaded.diagnostics
    if checks:
        assert loaded.ok, [(d.code, d.message) for d in loaded.errors]
    return loaded.model


def one_stage(stage_body: str, *, rate: str = "6/hour", team: str = "team T size 3",
              head: str = "") -> FunnelFile:
    return model(f"""{head}
{team}
source S {rate} -> "P"."A"
pipeline P main {{
  stage A {{
{stage_body}
  }}
}}
""")


# ------------------------------------------------------------------- Erlang C, M/M/c+D


def test_single_exponential_stage_equals_erlang_c() -> None:
    funnel = one_stage("""
    owner T
    work exp(20m)
    respond 30m
    -> won 60% after exp(2h)
    -> lost "no" 40%""")
    st = analyze_account(funnel).stage("P", "A")
    lam, mu, c = 6.0, 3.0, 3
    assert st.queueing.applies and st.queueing.reason is None
    assert st.queue is not None and st.queue.model == "M/M/c"
    assert st.queue.p_wait == pytest.approx(q.erlang_c(c, lam / mu), rel=1e-12)
    assert st.queue.wait_mean_hours == pytest.approx(q.mmc_wait_mean(c, lam, mu), rel=1e-12)
    assert st.queue.respond_breach == pytest.approx(q.mmc_wait_tail(c, lam, mu, 0.5), rel=1e-12)
    assert st.queue.timeout_share is None
    expected_time = q.mmc_sojourn_mean(c, lam, mu) + 0.6 * 2.0
    assert st.mean_time_hours == pytest.approx(expected_time, rel=1e-12)
    assert st.occupancy_kind == "little"
    assert st.occupancy_mean == pytest.approx(lam * expected_time, rel=1e-12)
    assert st.team_load == pytest.approx(lam / (c * mu))


def test_stage_with_sla_uses_mmc_plus_d() -> None:
    funnel = one_stage("""
    owner T
    work exp(30m)
    sla 15m -> lost "slow"
    respond 10m
    -> won 50% after 1h
    -> lost "no" 30%
    stay 20%""", rate="5/hour")
    st = analyze_account(funnel).stage("P", "A")
    lam, mu, c, d = 5.0, 2.0, 3, 0.25
    res = q.mmc_deterministic_patience(c, lam, mu, d)
    assert st.queue is not None and st.queue.model == "M/M/c+D"
    assert st.queue.timeout_share == pytest.approx(res.p_abandon, rel=1e-12)
    assert st.queue.p_wait == pytest.approx(res.p_wait, rel=1e-12)
    assert st.queue.wait_mean_hours == pytest.approx(res.wait_mean, rel=1e-12)
    assert st.queue.wait_served_mean_hours == pytest.approx(
        (res.wait_mean - res.p_abandon * d) / (1 - res.p_abandon), rel=1e-12)
    assert st.queue.respond_breach == pytest.approx(mmcd_wait_tail(c, lam, mu, d, 1 / 6))
    # The 1 h delay always outlasts a 15 min SLA: every picked-up deal bound for `won` is
    # cut; the others are cut when wait + work passes 15 min.
    p_ab = res.p_abandon
    tail = mmcd_served_tail(c, lam, mu, d)
    assert st.sla_cut == pytest.approx(p_ab + 0.5 * (1 - p_ab) + 0.5 * tail(d), rel=1e-12)
    assert not st.sla_cut_is_bound
    assert any("the SLA takes" in n for n in st.notes)


def _simulate_mmcd_stage(c: int, lam: float, mu: float, d: float,
                         routes: list[tuple[float, float]], n: int, seed: int):
    """FCFS pool with one SLA D capping the queue and the route's constant delay; work in
    progress at D finishes first (then the SLA moves the deal), as in funnelc's engine:
    returns (share the SLA takes before the outcome, mean time in stage)."""
    rng = random.Random(seed)
    free = [0.0] * c
    now = total_time = 0.0
    cut = 0
    shares = [s for s, _ in routes]
    for _ in range(n):
        now += rng.expovariate(lam)
        v = max(0.0, free[0] - now)
        if v > d:
            cut += 1
            total_time += d
            continue
        work = rng.expovariate(mu)
        heapq.heapreplace(free, now + v + work)
        _, delay = routes[rng.choices(range(len(routes)), shares)[0]]
        overrun = max(0.0, v + work - d)  # the member finishes what is under way
        if delay < 0:  # the stay share: leaves at D, cut only if the work runs past it
            cut += v + work > d
            total_time += d + overrun
            continue
        t = v + work + delay
        cut += t > d
        total_time += min(t, d) + overrun
    return cut / n, total_time / n


def test_sla_capped_mmcd_stage_matches_simulation() -> None:
    funnel = one_stage("""
    owner T
    work exp(30m)
    sla 2h -> lost "slow"
    -> won 50% after 30m
    -> lost "no" 30%
    stay 20%""", rate="5/hour")
    st = analyze_account(funnel).stage("P", "A")
    assert not st.sla_cut_is_bound and st.mean_time_hours is not None
    n = reps(200_000, 100_000)
    cut, time = _simulate_mmcd_stage(3, 5.0, 2.0, 2.0, [(0.5, 0.5), (0.3, 0.0), (0.2, -1.0)],
                                     n, seed=5)
    assert st.sla_cut == pytest.approx(cut, abs=0.01)
    assert st.mean_time_hours == pytest.approx(time, rel=0.02)
    assert st.occupancy_mean == pytest.approx(5.0 * st.mean_time_hours)
    tail = mmcd_served_tail(3, 5.0, 2.0, 2.0)
    p_ab = q.mmc_deterministic_patience(3, 5.0, 2.0, 2.0).p_abandon
    assert tail(0.0) == pytest.approx(1 - p_ab, rel=1e-12)
    assert tail(-1.0) == pytest.approx(1 - p_ab, rel=1e-12)


def test_overloaded_stage_with_sla_still_has_closed_forms() -> None:
    funnel = one_stage("""
    owner T
    work exp(30m)
    sla 1h -> lost "slow"
    -> won 100%""", rate="8/hour")
    st = analyze_account(funnel).stage("P", "A")
    assert st.queueing.applies
    assert st.queue is not None
    assert st.queue.timeout_share == pytest.approx(
        q.mmc_deterministic_patience(3, 8.0, 2.0, 1.0).p_abandon, rel=1e-12)
    assert st.team_load == pytest.approx(8 / 6)


def test_mmcd_wait_tail_meets_its_limits() -> None:
    c, lam, mu, d = 4, 3.5, 1.0, 1.5
    res = q.mmc_deterministic_patience(c, lam, mu, d)
    assert mmcd_wait_tail(c, lam, mu, d, 0.0) == pytest.approx(res.p_wait, rel=1e-12)
    assert mmcd_wait_tail(c, lam, mu, d, d) == pytest.approx(res.p_abandon, rel=1e-12)
    assert mmcd_wait_tail(c, lam, mu, d, 5 * d) == 0.0  # pulled at D, before the limit
    assert mmcd_wait_tail(c, lam, mu, 400.0, 0.7) == pytest.approx(
        q.mmc_wait_tail(c, lam, mu, 0.7), rel=1e-9)
    # Deep overload takes the rescaled branch and stays continuous at t = D.
    over = q.mmc_deterministic_patience(2, 30.0, 1.0, 3.0)
    assert mmcd_wait_tail(2, 30.0, 1.0, 3.0, 3.0 - 1e-12) == pytest.approx(over.p_abandon)
    assert mmcd_wait_tail(2, 30.0, 1.0, 3.0, 0.0) == pytest.approx(over.p_wait, rel=1e-9)
    ts = [i * d / 20 for i in range(21)]
    tails = [mmcd_wait_tail(c, lam, mu, d, t) for t in ts]
    assert all(a >= b for a, b in itertools.pairwise(tails))


def test_mmcd_wait_tail_against_simulation() -> None:
    """FCFS with one deterministic patience D: a deal abandons exactly when its offered
    wait (earliest free member − arrival) exceeds D, and abandoners take no member."""
    c, lam, mu, d, t0 = 2, 2.5, 1.0, 1.0, 0.4
    n = reps(200_000, 100_000)
    rng = random.Random(11)
    free = [0.0] * c
    now = 0.0
    over_t0 = abandoned = 0
    for _ in range(n):
        now += rng.expovariate(lam)
        v = max(0.0, free[0] - now)
        if v > t0:
            over_t0 += 1
        if v > d:
            abandoned += 1
            continue
        heapq.heapreplace(free, now + v + rng.expovariate(mu))
    assert over_t0 / n == pytest.approx(mmcd_wait_tail(c, lam, mu, d, t0), abs=0.012)
    assert abandoned / n == pytest.approx(
        q.mmc_deterministic_patience(c, lam, mu, d).p_abandon, abs=0.012)


# ------------------------------------------------------------------- where they do not hold


def test_team_shared_by_two_stages() -> None:
    funnel = model("""
team T size 3
source S 2/hour -> "P"."A"
pipeline P main {
  stage A { owner T
            work exp(20m)
            -> B 50%
            -> lost "no" 50% }
  stage B { owner T
            work exp(40m)
            -> won 100% }
}
""")
    res = analyze_account(funnel)
    a = res.stage("P", "A")
    assert not a.queueing.applies
    assert a.queueing.reason == "assumptions do not hold: team shared by 2 stages"
    assert a.queue is None and a.mean_time_hours is None
    assert a.mean_time_lower_hours == pytest.approx(1 / 3)
    team = res.team("T")
    assert team.busy_mean == pytest.approx(2 * 1 / 3 + 1 * 2 / 3)
    assert team.load == pytest.approx(team.busy_mean / 3)
    assert team.stable


@pytest.mark.parametrize("body, head, team, reason", [
    ("owner T\n work 20m\n -> won 100%", "", "team T size 3",
     "work of fixed length, not exponential"),
    ("owner T\n work lognormal(20m, 10m)\n -> won 100%", "", "team T size 3",
     "work lognormally distributed, not exponential"),
    ("owner T\n work exp(20m)\n -> won 100%", "account A { hours mon-fri 09:00-18:00 }",
     "team T size 3", "working calendar: closed forms assume 24/7"),
    ("owner T\n work exp(20m)\n -> won 100%", "", "team T size 3 hours mon-sat 08:00-20:00",
     "working calendar: closed forms assume 24/7"),
    ("owner T\n work exp(40m)\n -> won 100%", "", "team T size 3",
     "unstable: load 133% ≥ 100%, the queue grows without bound"),
    ("owner T\n cadence {\n call now 50% work exp(5m)\n call 1d 50% work exp(5m)\n"
     " on reply -> won\n on exhausted -> lost \"silent\" }", "", "team T size 3",
     "work is not exponential (cadence: several touches per deal)"),
])
def test_reasons_when_assumptions_do_not_hold(body: str, head: str, team: str,
                                              reason: str) -> None:
    st = analyze_account(one_stage(body, team=team, head=head)).stage("P", "A")
    assert not st.queueing.applies
    assert st.queueing.reason == "assumptions do not hold: " + reason
    assert st.queue is None and st.mean_time_hours is None and st.occupancy_mean is None


def test_unstable_team_is_flagged() -> None:
    res = analyze_account(one_stage("owner T\n work exp(40m)\n -> won 100%"))
    team = res.team("T")
    assert team.load == pytest.approx(6 * (2 / 3) / 3)
    assert not team.stable
    assert "unstable" in team.notes[0]


def test_team_load_counts_working_hours() -> None:
    funnel = one_stage("owner T\n work 30m\n -> won 100%", rate="10/day",
                       team="team T size 2 hours mon-fri 09:00-18:00")
    team = analyze_account(funnel).team("T")
    assert team.working_hours_per_week == 45
    assert team.load_24_7 == pytest.approx(10 / 24 * 0.5 / 2)
    assert team.load == pytest.approx(10 * 7 * 0.5 / (2 * 45))


def test_cadence_work_counts_only_touches_that_happen() -> None:
    funnel = one_stage("""
    owner T
    work 10m
    cadence {
      call now 30% work 6m
      whatsapp 1h 20%
      call 1d 10% work 12m
      on reply -> won
      on exhausted -> lost "silent"
    }""")
    stage = funnel.pipelines[0].stages[0]
    assert cadence_work_mean(stage) == pytest.approx(0.1 + 0.7 * (10 / 60) + 0.7 * 0.8 * 0.2)


# ------------------------------------------------------------------- delay stages, calendar


def test_stage_without_owner_is_m_g_infinity() -> None:
    funnel = one_stage("""
    -> won 30% after exp(4h)
    -> lost "no" 50% after uniform(1h, 3h)
    stay 20%""", team="", rate="12/day")
    st = analyze_account(funnel).stage("P", "A")
    assert st.queue is None
    assert st.queueing.reason == "no queue: no owner team with work here"
    assert st.mean_time_hours == pytest.approx((0.3 * 4 + 0.5 * 2) / 0.8)
    assert st.occupancy_kind == "poisson"
    assert st.occupancy_mean == pytest.approx(0.5 * (0.3 * 4 + 0.5 * 2))
    assert st.stuck_per_hour == pytest.approx(0.5 * 0.2)
    assert any("pile up by 2.4/day" in n for n in st.notes)


def test_sla_in_working_hours_uses_wall_clock_mean() -> None:
    head = "account A { hours mon-fri 09:00-18:00 }"
    funnel = one_stage("""
    sla 2d -> lost "slow"
    -> won 30% after exp(4h)
    stay 70%""", team="", rate="12/day", head=head)
    st = analyze_account(funnel).stage("P", "A")
    wall = mean_wallclock_hours(funnel.account.hours, 48.0)
    assert wall > 48 * 168 / 45 * 0.9
    assert st.mean_time_hours == pytest.approx(0.3 * 4 + 0.7 * wall)
    assert st.occupancy_mean == pytest.approx(0.5 * (0.3 * 4 + 0.7 * wall))
    assert any("counts working hours" in n for n in st.notes)


def _brute_wallclock(intervals: tuple[tuple[float, float], ...], d: float, n: int) -> float:
    total = 0.0
    week_work = sum(b - a for a, b in intervals)
    for i in range(n):
        t = (i + 0.5) / n * 168.0
        weeks = math.floor(d / week_work - 1e-9)  # whole weeks of work take 168 h each
        rem, s = d - weeks * week_work, t + weeks * 168.0
        while rem > 1e-12:
            week = math.floor(s / 168.0) * 168.0
            w = s - week
            nxt = next(((a, b) for a, b in intervals if w < b), None)
            if nxt is None:
                s = week + 168.0
                continue
            start = max(w, nxt[0])
            take = min(rem, nxt[1] - start)
            rem -= take
            s = week + start + take
        total += s - t
    return total / n


@pytest.mark.parametrize("hours", ["mon-fri 09:00-18:00, sat 10:00-14:00",
                                   "mon-sun 22:00-06:00", "wed 12:00-13:00"])
@pytest.mark.parametrize("d", [0.25, 1.0, 9.0, 49.0, 336.0])
def test_working_time_mean_matches_brute_force(hours: str, d: float) -> None:
    funnel = model(f"account A {{ hours {hours} }}\n", checks=False)
    h = funnel.account.hours
    exact = mean_wallclock_hours(h, d)
    brute = _brute_wallclock(weekly_intervals(h), d, 4000)
    assert exact == pytest.approx(brute, rel=2e-3, abs=0.05)


def test_round_the_clock_calendar_changes_nothing() -> None:
    funnel = model("account A { hours mon-sun 00:00-24:00 }\n", checks=False)
    assert mean_wallclock_hours(funnel.account.hours, 30.0) == pytest.approx(30.0)
    assert mean_wallclock_hours(None, 30.0) == 30.0


# ------------------------------------------------------------------- account level


def test_revenue_and_conversion() -> None:
    funnel = model("""
source Web 10/day -> "Sales"."Lead" value uniform(100k, 300k) profile dec 200%
source Ads 5/day -> "Sales"."Lead"
pipeline Sales main {
  stage Lead { -> won 30% then copy "Prod"."New"
               -> lost "no" 70% }
}
pipeline Prod production {
  stage New { -> won 90%
              -> lost "refund" 10% }
}
""")
    res = analyze_account(funnel, "dec")
    assert res.month_label == "dec"
    web = next(s for s in res.sources if s.source == "Web")
    assert web.leads_per_month == pytest.approx(20 / 24 * 730)
    assert web.wins_per_lead == pytest.approx(0.27)
    assert res.revenue_per_month == pytest.approx(20 / 24 * 730 * 200_000 * 0.27)
    assert any("Ads" in n for n in res.notes)
    sales = next(p for p in res.pipelines if p.name == "Sales")
    assert sales.p_won == pytest.approx(0.3)
    assert sales.won_per_month == pytest.approx(25 / 24 * 0.3 * 730)
    annual = analyze_account(funnel)
    assert annual.month_label == "annual mean"
    assert annual.revenue_per_month == pytest.approx(
        10 * (13 / 12) / 24 * 730 * 200_000 * 0.27)


def test_to_dict_is_strict_json_with_units() -> None:
    funnel = model("""
source S 10/day -> "P"."A"
pipeline P main {
  stage A { -> B 50%
            -> won 50% }
  stage B { -> C }
  stage C { -> B }
}
""", checks=False)
    data = analyze_account(funnel).to_dict()
    text = json.dumps(data, allow_nan=False)
    b = json.loads(text)["pipelines"][0]["stages"][1]
    assert b["arrivals_per_hour"] is None and b["p_loop"] == 1.0
    assert {"arrivals_per_day", "mean_time_hours", "work_mean_hours"} <= set(b)
    assert data["month"] == "annual mean"
    assert any("does not settle" in n for n in b["notes"])


# ------------------------------------------------------------------- the command


def invoke(*args: str):
    return CliRunner().invoke(cli, ["analyze", *args], env={"NO_COLOR": "1"},
                              prog_name="funnelc")


def _approx_equal(got: Any, want: Any, where: str = "$") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), where
        for k in want:
            _approx_equal(got[k], want[k], f"{where}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _approx_equal(g, w, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), where
    else:
        assert got == want, where


def test_analyze_prints_tables_and_writes_golden_json(tmp_path: Path) -> None:
    src = ANALYSIS / "cottages_fixed.funnel"
    out = tmp_path / "analysis.json"
    # The account speaks Russian: its tables are read in English here (--lang en), in
    # Russian in test_i18n_analyze.
    result = invoke(str(src), "--json", str(out), "--lang", "en")
    assert result.exit_code == 0, result.output
    for text in ("Расчет с сайта", "Первичный контакт", "conversion 39.3%", "teams",
                 "expected revenue", "respond breach", "working calendar"):
        assert text in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    data["path"] = "cottages_fixed.funnel"
    golden = ANALYSIS / "cottages_fixed.analysis.json"
    if UPDATE:
        golden.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert golden.exists(), (f"no golden {golden.name}: "
                             "regenerate with FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_exact.py")
    _approx_equal(data, json.loads(golden.read_text(encoding="utf-8")))


def test_analyze_json_to_stdout_and_month() -> None:
    src = str(ANALYSIS / "cottages_fixed.funnel")
    annual = json.loads(invoke(src, "--format", "json").output)
    sep = json.loads(invoke(src, "--format", "json", "--month", "SEP").output)
    assert annual["month"] == "annual mean" and sep["month"] == "sep"
    lam = annual["pipelines"][0]["stages"][0]["arrivals_per_day"]
    lam_sep = sep["pipelines"][0]["stages"][0]["arrivals_per_day"]
    assert lam_sep / lam == pytest.approx(1.5 / ((0.8 + 1.5 + 10) / 12))


def test_analyze_erlang_columns(tmp_path: Path) -> None:
    path = tmp_path / "erlang.funnel"
    path.write_text("""team T size 3
source S 6/hour -> "P"."A"
pipeline P main {
  stage A { owner T
            work exp(20m)
            respond 30m
            -> won 60%
            -> lost "no" 40% }
}
""", encoding="utf-8")
    result = invoke(str(path))
    assert result.exit_code == 0, result.output
    wait = q.mmc_wait_mean(3, 6.0, 3.0) * 60
    breach = q.mmc_wait_tail(3, 6.0, 3.0, 0.5) * 100
    assert f"{wait:.3g}m" in result.output
    assert f"{breach:.3g}%" in result.output  # three significant digits, as the report
    assert "M/M/c" in result.output


def test_analyze_refuses_a_file_with_errors(tmp_path: Path) -> None:
    example = ANALYSIS / "example.funnel"
    loaded = load_file(example)
    result = invoke(str(example))
    if loaded.ok:
        assert result.exit_code == 0 and "Расчет с сайта" in result.output
    else:
        assert result.exit_code == 1
        assert "the file has errors" in result.output
        assert loaded.errors[0].code in result.output
    bad = tmp_path / "bad.funnel"
    bad.write_text('pipeline P { stage S { -> nope } }\n', encoding="utf-8")
    result = invoke(str(bad))
    assert result.exit_code == 1
    assert "FN201" in result.output and "Traceback" not in result.output


def test_analyze_usage_errors(tmp_path: Path) -> None:
    assert invoke(str(tmp_path / "missing.funnel")).exit_code == 2
    assert invoke(str(ANALYSIS / "cottages_fixed.funnel"), "--month", "janvier").exit_code == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    result = invoke(str(ANALYSIS / "cottages_fixed.funnel"), "--json", str(blocker / "out.json"))
    assert result.exit_code == 2 and "cannot write" in result.output


PIPELINE_FILES = sorted(PIPELINES.glob("*.funnel"))


@pytest.mark.parametrize("path", PIPELINE_FILES, ids=[p.name for p in PIPELINE_FILES])
def test_analyze_every_shipped_pipeline(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    loaded = load_file(copy)
    out = tmp_path / "out.json"
    result = invoke(str(copy), "--json", str(out))
    if not loaded.ok:
        assert result.exit_code == 1
        return
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    for p in data["pipelines"]:
        for s in p["stages"]:
            assert s["p_win"] is None or 0.0 <= s["p_win"] <= 1.0 + 1e-12
            fate = s["p_win"] + sum(s["p_lost"].values()) + s["p_stuck"] + s["p_loop"]
            assert fate == pytest.approx(1.0, abs=1e-9)


# ------------------------------------------------------------------- the sla cut


DISTS = ["fixed(3h)", "exp(2h)", "uniform(1h, 5h)", "uniform(0h, 3h)", "triangular(1h, 2h, 6h)",
         "triangular(0h, 0h, 4h)", "lognormal(3h, 2h)", "gamma(3h, 1h)", "gamma(2h, 4h)",
         "empirical(1h, 2h, 8h)"]


def _dist(text: str):
    funnel = model(f'source S 1/day -> "P"."A"\npipeline P main {{ stage A {{ -> won 100% '
                   f"after {text} }} }}\n", checks=False)
    return funnel.pipelines[0].stages[0].outcomes[0].after


@pytest.mark.parametrize("text", DISTS)
def test_survival_and_truncated_mean_match_sampling(text: str) -> None:
    np = pytest.importorskip("numpy")
    from funnelc.analysis.survival import survival, truncated_mean
    from funnelc.sim.dists import block_fn

    dist = _dist(text)
    fn, const = block_fn(dist)
    rng = np.random.default_rng(5)
    xs = fn(rng, 400_000) if fn is not None else np.full(10, const)
    for x in (0.0, 0.5, 2.0, 3.0, 4.5, 9.0):
        assert survival(dist, x) == pytest.approx(float((xs > x).mean()), abs=4e-3), x
        assert truncated_mean(dist, x) == pytest.approx(float(np.minimum(xs, x).mean()),
                                                        rel=5e-3, abs=2e-3), x
    assert truncated_mean(dist, 1e6) == pytest.approx(float(xs.mean()), rel=5e-3)


def test_regularized_gamma_matches_scipy() -> None:
    special = pytest.importorskip("scipy.special")
    from funnelc.analysis.survival import regularized_gamma_p

    for a in (0.25, 1.0, 2.5, 9.0, 40.0):
        for x in (0.01, 0.5, 1.0, 3.0, 10.0, 60.0):
            assert regularized_gamma_p(a, x) == pytest.approx(float(special.gammainc(a, x)),
                                                              abs=1e-13)


@pytest.mark.parametrize("hours", ["mon-fri 09:00-18:00, sat 10:00-14:00", "wed 12:00-13:00",
                                   "mon-sun 08:00-20:00"])
@pytest.mark.parametrize("d", [0.25, 9.0, 49.0])
def test_wallclock_length_distribution(hours: str, d: float) -> None:
    from funnelc.analysis.working_time import wallclock_length

    h = model(f"account A {{ hours {hours} }}\n", checks=False).account.hours
    length = wallclock_length(h, d)
    total = sum(p for _, p in length.atoms) + sum(p for *_, p in length.stretches)
    assert total == pytest.approx(1.0, abs=1e-12)
    assert length.mean == pytest.approx(mean_wallclock_hours(h, d), rel=1e-12)
    assert length.prob_at_most(1e9) == pytest.approx(1.0)
    assert length.prob_at_most(d - 1e-9) == 0.0


@pytest.mark.parametrize("text", ["exp(2h)", "fixed(3h)", "lognormal(20h, 30h)"])
def test_prob_exceeds_a_calendar_sla_matches_simulation(text: str) -> None:
    """Deals enter at uniformly random moments; the sla of 9 working hours runs by the
    calendar; count the ones whose delay is longer."""
    np = pytest.importorskip("numpy")
    from funnelc.analysis.exact import prob_exceeds
    from funnelc.analysis.working_time import wallclock_length, weekly_intervals
    from funnelc.sim.dists import block_fn

    h = model("account A { hours mon-fri 09:00-18:00, sat 10:00-14:00 }\n",
              checks=False).account.hours
    dist = _dist(text)
    n = reps(20_000, 10_000)
    rng = np.random.default_rng(3)
    fn, const = block_fn(dist)
    delays = fn(rng, n) if fn is not None else np.full(n, const)
    starts = rng.uniform(0, 168, n)
    iv = weekly_intervals(h)
    walls = np.array([_brute_one(iv, 9.0, t) for t in starts])
    simulated = float((delays + 0.5 > walls).mean())
    assert prob_exceeds(dist, wallclock_length(h, 9.0), shift=0.5) == pytest.approx(
        simulated, abs=0.015)


def _brute_one(intervals, d: float, t: float) -> float:
    rem, s = d, t
    while rem > 1e-12:
        week = math.floor(s / 168.0) * 168.0
        w = s - week
        nxt = next(((a, b) for a, b in intervals if w < b), None)
        if nxt is None:
            s = week + 168.0
            continue
        start = max(w, nxt[0])
        take = min(rem, nxt[1] - start)
        rem -= take
        s = week + start + take
    return s - t


def test_sla_cut_is_exact_without_a_queue() -> None:
    funnel = one_stage("""
    sla 4h -> lost "slow"
    -> won 30% after exp(2h)
    -> lost "no" 50% after fixed(5h)
    stay 20%""", team="", rate="12/day")
    st = analyze_account(funnel).stage("P", "A")
    assert not st.sla_cut_is_bound
    assert st.sla_cut == pytest.approx(0.3 * math.exp(-2.0) + 0.5 * 1.0, rel=1e-12)
    assert any("the SLA takes 54.1%" in n for n in st.notes)


def test_sla_ends_counts_the_stay_share_it_moves() -> None:
    """The share of a stage's deals its SLA ends: the `stay` share, which it moves by
    design, and the deals whose `after` runs past it. Regression (page review F3):
    cottages.funnel's «Прогрет 90 дней» (stay 97%, 3% after exp(10d), SLA 180 working
    hours) showed only the 3% part, «≥0,244%», beside 3 134 of its 3 588 simulated deals
    moved by the SLA."""
    funnel = one_stage("""
    sla 7d -> lost "silent"
    -> won 3% after exp(10d)
    stay 97%""", team="", rate="12/day")
    st = analyze_account(funnel).stage("P", "A")
    took = 0.03 * math.exp(-7.0 / 10.0)  # P(exp(10d) > 7d) of the 3%
    assert not st.sla_cut_is_bound
    assert st.sla_cut == pytest.approx(took, rel=1e-12)
    assert st.sla_ends == pytest.approx(0.97 + took, rel=1e-12)
    # Behind a queue (M/M/c+D, the SLA also pulling deals from the queue): the stay
    # deals picked up all leave by the SLA, those it pulls from the queue are p_ab.
    funnel = one_stage("""
    owner T
    work exp(20m)
    sla 15m -> lost "slow"
    -> won 50%
    stay 50%""")
    st = analyze_account(funnel).stage("P", "A")
    lam, mu, c, d = 6.0, 3.0, 3, 0.25
    p_ab = q.mmc_deterministic_patience(c, lam, mu, d).p_abandon
    tail = mmcd_served_tail(c, lam, mu, d)
    assert st.sla_cut == pytest.approx(p_ab + 0.5 * tail(d) + 0.5 * tail(d), rel=1e-12)
    assert st.sla_ends == pytest.approx(p_ab + 0.5 * (1 - p_ab) + 0.5 * tail(d), rel=1e-12)
    # No stay: the SLA ends what it cuts.
    st = analyze_account(one_stage("""
    sla 4h -> lost "slow"
    -> won 100% after exp(2h)""", team="")).stage("P", "A")
    assert st.sla_ends == pytest.approx(st.sla_cut) == pytest.approx(math.exp(-2.0))


def test_an_sla_ends_work_without_an_owner_at_once(tmp_path: Path) -> None:
    """`work` without an owner is nobody's time, a plain delay: the SLA ends it at once, as
    it ends an `after` delay and as the simulator does (docs/semantics.md). Exponential
    work of mean m = 10 h under `sla 4h`: the SLA takes e^(-0.4) = 67.0% of the deals and
    a deal stays E[min(W, 4 h)] = m(1 - e^(-0.4)) = 3.30 h. The maths let the work finish
    first, as a member's: min(W, L) + (W - L)⁺ = W, 10 h."""
    path = tmp_path / "making.funnel"
    path.write_text("""source S 40/hour -> P.Making
pipeline P { stage Making {
    work exp(10h)
    sla 4h -> lost "late"
    -> won } }
""", encoding="utf-8")
    result = invoke(str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    (st,) = json.loads(result.stdout)["pipelines"][0]["stages"]
    assert not st["sla_cut_is_bound"]
    assert st["sla_cut"] == pytest.approx(math.exp(-0.4), rel=1e-9)
    assert st["sla_ends"] == pytest.approx(math.exp(-0.4), rel=1e-9)
    assert st["mean_time_hours"] == pytest.approx(10.0 * (1.0 - math.exp(-0.4)), rel=1e-9)
    assert st["occupancy_mean"] == pytest.approx(40.0 * 10.0 * (1.0 - math.exp(-0.4)))
    # The stay share leaves at the SLA whether its work is over or not: L, not max(W, L).
    funnel = one_stage("""
    work exp(10h)
    sla 4h -> lost "late"
    -> won 50%
    stay 50%""", team="", rate="12/day")
    a = analyze_account(funnel).stage("P", "A")
    assert a.mean_time_hours == pytest.approx(0.5 * 10.0 * (1.0 - math.exp(-0.4)) + 0.5 * 4.0)
    assert a.sla_cut == pytest.approx(math.exp(-0.4))
    assert a.sla_ends == pytest.approx(0.5 + 0.5 * math.exp(-0.4))


MIXED_WORK = """
account "A" {
  currency RUB
  hours mon-fri 09:00-18:00
}
team Sales size 3 hours mon-sun 00:00-24:00
source Web 6/hour -> P.Call
pipeline P main {
  stage Call {
    owner Sales
    work exp(20m)
    -> Making 60%
    -> lost "no" 40%
  }
  stage Making {
    work exp(16h)
    sla 9h -> lost "late"
    -> won 80% after 4h
    -> lost "defect" 20%
  }
}
"""


def test_exact_and_simulated_agree_on_owned_and_ownerless_work(tmp_path: Path) -> None:
    """A call line (3 members around the clock, M/M/3) hands 60% of its deals to
    production, `work exp(16h)` with no owner, under an SLA of 9 working hours of the
    account's mon-fri 09:00-18:00 (30.1 h on the clock on average, from 9 h to about
    three days over a weekend). The SLA cuts production short at once, before or during
    its `after`: P(W + after > L) and E[min(W + after, L)] over L's wall-clock law, and the
    simulator moves the same deals at the same moments (its timeouts are `in_delay`)."""
    path = tmp_path / "mixed.funnel"
    path.write_text(MIXED_WORK, encoding="utf-8")
    result = invoke(str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    exact = {s["stage"]: s for s in json.loads(result.stdout)["pipelines"][0]["stages"]}
    run = CliRunner().invoke(cli, ["simulate", str(path), "--format", "json", "--days", "56",
                                   "--warmup", "7", "--reps", str(reps(4, 3)), "--seed",
                                   "5", "--jobs", "1", "-q"])
    assert run.exit_code == 0, run.output
    sim = {s["stage"]: s for s in json.loads(run.stdout)["stages"]}

    def agrees(est: dict[str, Any], want: float, rel: float) -> bool:
        return abs(est["mean"] - want) <= max(est["ci95"] * 1.5, rel * want)

    call = exact["Call"]
    assert call["queue"]["model"] == "M/M/c"
    assert agrees(sim["Call"]["time_in_stage_hours"]["mean"], call["mean_time_hours"], 0.03)
    making = exact["Making"]
    assert not making["sla_cut_is_bound"] and making["mean_time_hours"] is not None
    t = sim["Making"]["timeouts"]
    assert t["in_work"]["mean"] == 0 and t["parked"]["mean"] == 0
    left = t["in_delay"]["mean"] + sum(o["count"]["mean"] for o in sim["Making"]["outcomes"])
    assert t["in_delay"]["mean"] / left == pytest.approx(making["sla_cut"], abs=0.015)
    assert agrees(sim["Making"]["time_in_stage_hours"]["mean"], making["mean_time_hours"], 0.02)


def test_sla_cut_of_a_cadence_without_a_queue() -> None:
    funnel = one_stage("""
    sla 20h -> lost "slow"
    cadence {
      call now 30%
      whatsapp 1h 20%
      call 1d 10%
      on reply -> won
      on exhausted -> lost "silent"
    }""", team="")
    st = analyze_account(funnel).stage("P", "A")
    # Deals still in the cadence at 20 h: no reply to the first two touches.
    assert st.sla_cut == pytest.approx(0.7 * 0.8, rel=1e-12)
    assert not st.sla_cut_is_bound


def test_no_sla_no_cut() -> None:
    st = analyze_account(one_stage("-> won 100% after exp(2h)", team="")).stage("P", "A")
    assert st.sla_cut is None and not st.sla_cut_is_bound


@pytest.mark.parametrize("text", DISTS)
def test_integrated_truncated_mean_is_the_integral(text: str) -> None:
    from funnelc.analysis.survival import integrated_truncated_mean, truncated_mean

    dist = _dist(text)
    for x in (0.7, 2.5, 4.0, 12.0):
        n = 4000
        h = x / n
        numeric = sum(truncated_mean(dist, (i + 0.5) * h) for i in range(n)) * h
        assert integrated_truncated_mean(dist, x) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_capped_mean_over_a_calendar_sla_matches_simulation() -> None:
    np = pytest.importorskip("numpy")
    from funnelc.analysis.exact import _capped_mean
    from funnelc.analysis.working_time import wallclock_length, weekly_intervals
    from funnelc.sim.dists import block_fn

    h = model("account A { hours mon-fri 09:00-18:00 }\n", checks=False).account.hours
    dist = _dist("lognormal(20h, 30h)")
    n = reps(20_000, 10_000)
    rng = np.random.default_rng(9)
    fn, _ = block_fn(dist)
    delays = fn(rng, n)
    iv = weekly_intervals(h)
    walls = np.array([_brute_one(iv, 9.0, t) for t in rng.uniform(0, 168, n)])
    simulated = float(np.minimum(delays + 1.0, walls).mean())
    assert _capped_mean(dist, 1.0, wallclock_length(h, 9.0)) == pytest.approx(simulated,
                                                                               rel=0.02)


def test_analyze_applies_a_scenario() -> None:
    src = str(ANALYSIS / "cottages_fixed.funnel")
    base = json.loads(invoke(src, "--format", "json").output)
    more = json.loads(invoke(src, "--format", "json", "--scenario", "Больше людей").output)
    assert base["scenario"] is None and more["scenario"] == "Больше людей"
    team = {t["name"]: t for t in base["teams"]}["Менеджеры"]
    team_more = {t["name"]: t for t in more["teams"]}["Менеджеры"]
    # 24/day instead of 12/day and 4 managers instead of 3: load × 2 × 3/4.
    assert team_more["size"] == 4
    assert team_more["load"] == pytest.approx(team["load"] * 2 * 3 / 4)
    result = invoke(src, "--scenario", "Меньше людей")
    assert result.exit_code == 2 and "did you mean" in result.output


# ------------------------------------------- a team's capacity: work finished after closing

CLOSING = """\
account "Test" {{
  currency USD
  hours mon-fri 09:00-18:00
  language en
}}

team "Callers" size 1

source "Web" {rate}/day -> "Sales"."New" value 1000

pipeline "Sales" main sales {{
  stage "New" {{
    owner "Callers"
    work triangular(1h, 2h, 4h)
    -> won 50%
    -> lost "Price" 50%
  }}
}}
"""


def _queue(path: Path, days: int) -> tuple[float, float, list[str]]:
    res = CliRunner().invoke(cli, ["simulate", str(path), "--days", str(days), "--warmup",
                                   "50", "--reps", "4", "--jobs", "1", "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.stdout)
    team = data["teams"][0]
    return (team["queue_mean"]["mean"], team["utilization"]["mean"],
            [w["code"] for w in data["warnings"]])


@pytest.mark.parametrize("rate, keeps_up", [(2.92, True), (3.36, False)])
def test_a_team_keeps_up_past_its_working_hours_as_the_simulator_does(
        tmp_path: Path, rate: float, keeps_up: bool) -> None:
    """A member finishes the work in progress at closing (docs/semantics.md), so a team
    with 1–4 h work over 9 h days does H + E[S²]/(2E[S]) = 10.25 h a day: 113.9% of its
    working hours. analyze called a load of 106% «unstable: … grows without bound» and
    simulate warned `unstable-team`, while the simulated queue stayed flat (the guide's
    step 3: 108%, a flat queue from 180 to 730 days). Near that boundary, on both sides,
    the exact verdict is the simulation's: at 106% the queue is as long at 800 days as at
    200, at 122% it grows with the run, and the saturated team's utilization is the
    capacity analyze gives."""
    path = tmp_path / "closing.funnel"
    path.write_text(CLOSING.format(rate=rate), encoding="utf-8")
    res = CliRunner().invoke(cli, ["analyze", str(path), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
    team = json.loads(res.stdout)["teams"][0]
    assert team["load"] == pytest.approx(rate * 7 * 7 / 3 / 45, rel=1e-6)  # 106% / 122%
    assert team["load"] > 1
    assert team["capacity"] == pytest.approx((9 + 1.25) / 9, rel=1e-3)
    assert team["stable"] is keeps_up
    text = CliRunner().invoke(cli, ["analyze", str(path)]).stdout
    assert ("unstable" in text) is not keeps_up and (" !" in text) is not keeps_up, text

    short, _, warned = _queue(path, 200)
    long, utilization, _ = _queue(path, 800)
    assert ("unstable-team" in warned) is not keeps_up, warned
    if keeps_up:
        assert long < 1.5 * short, (short, long)
    else:
        assert long > 2 * short, (short, long)
        assert utilization == pytest.approx(team["capacity"], rel=0.02)
