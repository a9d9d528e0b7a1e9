"""The simulator against closed forms (`funnelc.analysis.queueing`, `analysis.markov`):
Erlang C wait and tail, Erlang A, M/M/c+D, a Jackson network with feedback, absorbing-
chain win probabilities, M/G/inf occupancy, and Little's law on every stage of every
example account.

Each test asserts that the exact value lies inside the simulated 99 % confidence
interval (Student t over replications) AND that the interval is narrow enough to mean
something. Under CI (`reps()`) there are fewer replications; the assertions are the same.
"""

from __future__ import annotations

import math

import pytest

from conftest import PIPELINES, reps
from funnelc import load_file, load_text
from funnelc.analysis import queueing as q
from funnelc.analysis.markov import win_probabilities
from funnelc.model import FunnelFile
from funnelc.sim import SimConfig, compile_network, simulate
from funnelc.sim.ci import estimate, t_quantile
from funnelc.sim.results import Estimate, SimResult
from funnelc.sim.runner import run_replications
from funnelc.sim.summary import summarize

pytestmark = pytest.mark.slow


def model(text: str) -> FunnelFile:
    loaded = load_text(text, "<validation>")
    assert loaded.ok and loaded.model is not None, [d.message for d in loaded.diagnostics]
    return loaded.model


def half99(e: Estimate) -> float:
    assert e.sd is not None and e.n >= 2
    return t_quantile(0.995, e.n - 1) * e.sd / math.sqrt(e.n)


def check(e: Estimate | None, exact: float, narrow: float = 0.05, what: str = "") -> None:
    """exact inside the 99 % CI, and the 95 % half-width under `narrow` of the value."""
    assert e is not None and e.mean is not None and e.ci95 is not None
    assert abs(e.mean - exact) <= half99(e), \
        f"{what}: simulated {e.mean:.5g} ± {half99(e):.3g} (99%) misses exact {exact:.5g}"
    assert e.ci95 < narrow * abs(exact), \
        f"{what}: half-width {e.ci95:.3g} is not under {narrow:.0%} of {exact:.5g}"


MMC = """
team T size 5
source S {lam}/hour -> P.A
pipeline P {{ stage A {{ owner T
  work exp(1h)
  respond 1h
  {sla}
  -> won }} }}
"""


def test_erlang_c_mean_wait_and_wait_tail() -> None:
    """M/M/5 at rho = 0.8: E[Wq] = C/(c mu - lam); P(Wq > 1 h) = C e^{-(c mu - lam)},
    read as the share of respond-1h breaches (a breach is a pick-up later than 1 h)."""
    r = simulate(model(MMC.format(lam=4.0, sla="")),
                 SimConfig(days=1500, warmup_days=20, reps=reps(12, 8), seed=11))
    st = r.stage("P", "A")
    check(st.queue_wait_hours_mean, q.mmc_wait_mean(5, 4.0, 1.0), what="E[Wq]")
    check(st.respond_breach_pct, 100 * q.mmc_wait_tail(5, 4.0, 1.0, 1.0), what="P(Wq>1)")
    check(st.time_in_stage_hours.mean, q.mmc_sojourn_mean(5, 4.0, 1.0), what="W")


def timeout_share(m: FunnelFile, config: SimConfig, net=None) -> Estimate:  # type: ignore[no-untyped-def]
    """Per replication: deals that left the queue by the SLA / deals that entered."""
    out = run_replications(net if net is not None else compile_network(m), config)
    return estimate(r.stages[0].timeouts[0] / r.stages[0].entered for r in out)


def test_mmc_plus_d_share_of_deals_timing_out_in_the_queue() -> None:
    """A hard SLA of 1 h on M/M/5 at rho = 0.9: deals still waiting for a member at
    entry + 1 h leave the queue. Exact P(Ab) from the offered-wait density (§3.4)."""
    m = model(MMC.format(lam=4.5, sla='sla 1h -> lost "late"'))
    share = timeout_share(m, SimConfig(days=500, warmup_days=10, reps=reps(10, 6), seed=12))
    check(share, q.mmc_deterministic_patience(5, 4.5, 1.0, 1.0).p_abandon, what="P(Ab)")


def test_erlang_a_exponential_patience() -> None:
    """M/M/5+M (theta = 0.5/h) through the language's `patience exp(2h)`: only deals
    still queued when their patience runs out abandon (as in Erlang A); a deal already
    being worked finishes."""
    m = model(MMC.format(lam=4.5, sla='patience exp(2h) -> lost "gave up"'))
    out = run_replications(compile_network(m),
                           SimConfig(days=500, warmup_days=10, reps=reps(10, 6), seed=13))
    share = estimate(r.stages[0].abandoned / r.stages[0].entered for r in out)
    check(share, q.erlang_a(5, 4.5, 1.0, 0.5).p_abandon, what="Erlang A P(Ab)")


JACKSON = """
team T1 size 3
team T2 size 2
team T3 size 3
source S 2/hour -> P.A
pipeline P {
  stage A { owner T1
    work exp(1h)
    -> B 70%
    -> won 30% }
  stage B { owner T2
    work exp(1h)
    -> C 80%
    -> won 20% }
  stage C { owner T3
    work exp(75m)
    -> B 25%
    -> won 75% }
}
"""


def test_jackson_network_with_feedback() -> None:
    """Research note §4.4: gamma = (2, 0, 0), routing with the C -> B feedback loop,
    mu = (1, 1, 0.8), c = (3, 2, 3). Product form: each stage is M/M/c at its total
    arrival rate, so per-visit waits and times in stage are Erlang C's."""
    r = simulate(model(JACKSON), SimConfig(days=1000, warmup_days=20, reps=reps(10, 8),
                                           seed=14))
    lam = q.jackson_arrival_rates([2, 0, 0], [[0, .7, 0], [0, 0, .8], [0, .25, 0]])
    for name, c, lam_i, mu, narrow in (("A", 3, lam[0], 1.0, 0.05), ("B", 2, lam[1], 1.0, 0.08),
                                       ("C", 3, lam[2], 0.8, 0.05)):
        st = r.stage("P", name)
        check(st.arrival_rate_per_hour, lam_i, narrow=0.02, what=f"lambda {name}")
        check(st.time_in_stage_hours.mean, q.mmc_sojourn_mean(c, lam_i, mu), narrow=narrow,
              what=f"W {name}")
        wq = st.queue_wait_hours_mean
        assert wq is not None and wq.mean is not None
        assert abs(wq.mean - q.mmc_wait_mean(c, lam_i, mu)) <= half99(wq), f"Wq {name}"


REWORK = """
source Web 200/day -> Sales.Lead
pipeline Sales main {
  stage Lead { -> Qualified 40% after lognormal(1h, 1h)
               -> lost "junk" 60% after lognormal(1h, 1h) }
  stage Qualified { -> Meeting 60% after lognormal(3h, 2h)
                    -> lost "no budget" 40% after lognormal(3h, 2h) }
  stage Meeting { -> Proposal 70% after lognormal(5h, 4h)
                  -> lost "no show" 30% after lognormal(5h, 4h) }
  stage Proposal { -> Negotiation 60% after lognormal(4h, 4h)
                   -> Meeting 10% after lognormal(4h, 4h)
                   -> lost "too expensive" 30% after lognormal(4h, 4h) }
  stage Negotiation { -> won 55% after lognormal(7h, 6h)
                      -> Proposal 20% after lognormal(7h, 6h)
                      -> lost "competitor" 25% after lognormal(7h, 6h) }
  reopen "no show" 20% after exp(2d) -> Meeting
}
"""


def test_absorbing_chain_win_probability_with_rework_loops() -> None:
    """Share of deals won = the absorbing chain's P(won) from the entry stage, with
    rework loops and a reopen (times are hours against a 200-day horizon, so deals
    still open at the horizon barely bias the share)."""
    m = model(REWORK)
    exact = win_probabilities(m)[("Sales", "Lead")]
    r = simulate(m, SimConfig(days=200, warmup_days=5, reps=reps(10, 6), seed=15))
    check(r.pipeline("Sales").conversion, exact, what="P(won)")


def test_mg_infinity_occupancy_is_lambda_times_mean_time() -> None:
    """A stage nobody works, with a lognormal delay: M/G/inf, L = lambda E[S] for any
    distribution of S (insensitivity)."""
    text = """
source S 30/day -> P.Wait
pipeline P { stage Wait { -> won 100% after lognormal(2d, 3d) } }
"""
    r = simulate(model(text), SimConfig(days=400, warmup_days=30, reps=reps(10, 6),
                                        seed=16))
    st = r.stage("P", "Wait")
    check(st.wip_time_average, q.mg_inf_occupancy_mean(30 / 24, 48.0), what="L")
    check(st.time_in_stage_hours.mean, 48.0, what="E[S]")


EXAMPLES = sorted(PIPELINES.glob("*.funnel"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_littles_law_on_every_stage_of_the_examples(path) -> None:
    """L = lambda W per stage, replication by replication. The window starts and ends
    with deals inside, so the identity holds up to edge terms of order W/T; the 99 % CI
    of the paired difference must reach within 5 % of L. Stages where deals never leave
    (stay without SLA) or pile up (graveyards) have no finite W and are skipped, and so
    are stages whose W exceeds 1/20 of the window (a 90-day nurture cadence in a year)."""
    loaded = load_file(path)
    if not loaded.ok or loaded.model is None:
        pytest.skip(f"{path.name} has errors")
    m = loaded.model
    net = compile_network(m)
    config = SimConfig(days=365, warmup_days=30, reps=reps(6, 4), seed=17)
    reps_out = run_replications(net, config)
    result: SimResult = summarize(m, net, config, reps_out)
    checked = 0
    for i, spec in enumerate(net.stages):
        st = result.stages[i]
        if st.graveyard.is_graveyard or (spec.has_stay and spec.sla_hours is None):
            continue
        rows = [r.stages[i] for r in reps_out]
        if min(r.left for r in rows) < 30:
            continue  # too few deals through this stage to say anything
        if (estimate(r.time_mean for r in rows).mean or 0.0) > reps_out[0].observed_hours / 20:
            continue  # edge terms of order W/T would swamp the comparison
        diff = estimate(r.wip_mean - r.arrival_rate * r.time_mean for r in rows)
        big = estimate(r.wip_mean for r in rows).mean or 0.0
        assert diff.mean is not None
        assert abs(diff.mean) <= half99(diff) + 0.05 * big, \
            (f"{spec.pipeline_name}.{spec.name}: L = {big:.4g}, L - lambda W = "
             f"{diff.mean:.3g} ± {half99(diff):.3g}")
        checked += 1
    assert checked > 0
    print(f"{path.name}: Little checked on {checked} of {len(net.stages)} stages")
