"""Closed-form queueing anchors (funnelc.analysis.queueing) against the research note §3 check
values, independent formulas, an exact birth-death chain, and a small FCFS simulation."""

from __future__ import annotations

import heapq
import math
import os
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from funnelc.analysis import queueing as q
from funnelc.analysis.queueing import (
    erlang_a,
    erlang_b,
    erlang_c,
    jackson_arrival_rates,
    mg_inf_occupancy_mean,
    mmc_deterministic_patience,
    mmc_queue_length_mean,
    mmc_sojourn_mean,
    mmc_sojourn_tail,
    mmc_wait_mean,
    mmc_wait_tail,
    smallest_c_for_wait_tail,
)

# Check values in the note are rounded to 6 decimals (4 for Lq and the Jackson example), so the
# tolerance is half a unit in the last printed place.
TOL6 = 5e-7
TOL4 = 5e-5


# --------------------------------------------------------------------------- independent references


def _erlang_b_closed(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def _erlang_c_closed(c: int, a: float) -> float:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def _erlang_a_birth_death(
    c: int, lam: float, mu: float, theta: float
) -> tuple[float, float, float]:
    """P(W>0), P(Ab), E[Wq] from a truncated M/M/c+M birth-death chain (PASTA + Little)."""
    n_max = int(c + 4 * lam / theta + 40 * math.sqrt(lam / theta + c) + 200)
    logp = [0.0]
    for n in range(1, n_max):
        logp.append(logp[-1] + math.log(lam) - math.log(min(n, c) * mu + max(n - c, 0) * theta))
    top = max(logp)
    p = [math.exp(v - top) for v in logp]
    z = sum(p)
    p = [v / z for v in p]
    queue_mean = sum((n - c) * p[n] for n in range(c, n_max))
    return sum(p[c:]), theta * queue_mean / lam, queue_mean / lam


def _simulate_mmc_deadline(
    c: int,
    lam: float,
    mu: float,
    D: float,
    n: int,
    seed: int,
    warmup: int = 10_000,
    batches: int = 20,
) -> dict[str, tuple[float, float]]:
    """Kiefer–Wolfowitz FCFS M/M/c where a deal whose offered wait exceeds D leaves at time D.

    Returns {metric: (estimate, batch-means standard error)} for p_abandon, wait_mean, p_wait.
    An abandoning deal never occupies a manager, so it does not change later offered waits.
    """
    rng = random.Random(seed)
    expo = rng.expovariate
    free = [0.0] * c  # heap of times at which each manager becomes free
    now = 0.0
    size = n // batches
    sums = {"p_abandon": [0.0] * batches, "wait_mean": [0.0] * batches, "p_wait": [0.0] * batches}
    for i in range(warmup + size * batches):
        now += expo(lam)
        earliest = free[0]
        offered = earliest - now if earliest > now else 0.0
        if offered > D:
            waited, abandoned = D, 1.0
        else:
            waited, abandoned = offered, 0.0
            heapq.heapreplace(free, now + offered + expo(mu))
        if i >= warmup:
            b = (i - warmup) // size
            sums["p_abandon"][b] += abandoned
            sums["wait_mean"][b] += waited
            sums["p_wait"][b] += offered > 0.0
    out = {}
    for key, per_batch in sums.items():
        means = [s / size for s in per_batch]
        out[key] = (statistics.fmean(means), statistics.stdev(means) / math.sqrt(batches))
    return out


# --------------------------------------------------------------------------- Erlang B / C


def test_erlang_b_recursion_matches_closed_formula():
    """The stable Erlang B recursion equals a^c/c! / sum_k a^k/k! for small pools."""
    for c in range(0, 12):
        for a in (0.0, 0.1, 0.9, 2.5, 4.5, 7.0, 15.0):
            assert erlang_b(c, a) == pytest.approx(_erlang_b_closed(c, a), rel=1e-12, abs=1e-15)


def test_erlang_b_large_pool_is_finite():
    """Erlang B works for pools where a^c and c! would overflow floats."""
    b = erlang_b(2000, 1900.0)
    assert 0.0 < b < 1.0
    assert erlang_c(2000, 1900.0) > b


def test_erlang_c_matches_closed_formula():
    """Erlang C via B(c,a)/(1 - rho(1 - B)) equals the textbook sum form."""
    for c, a in ((1, 0.5), (2, 1.5), (5, 4.5), (8, 3.0), (10, 9.9)):
        assert erlang_c(c, a) == pytest.approx(_erlang_c_closed(c, a), rel=1e-11)


def test_mmc_check_values_from_research_note():
    """M/M/5, lam=4.5, mu=1 reproduces C, Wq, Lq, P(Wq>1), P(Wq+S>4) from §3.2."""
    assert erlang_c(5, 4.5) == pytest.approx(0.762493, abs=TOL6)
    assert mmc_wait_mean(5, 4.5, 1.0) == pytest.approx(1.524986, abs=TOL6)
    assert mmc_queue_length_mean(5, 4.5, 1.0) == pytest.approx(6.8624, abs=TOL4)
    assert mmc_wait_tail(5, 4.5, 1.0, 1.0) == pytest.approx(0.462476, abs=TOL6)
    assert mmc_sojourn_tail(5, 4.5, 1.0, 4.0) == pytest.approx(0.196769, abs=TOL6)
    assert mmc_sojourn_mean(5, 4.5, 1.0) == pytest.approx(1.524986 + 1.0, abs=TOL6)


def test_unstable_erlang_c_raises():
    """Erlang C and the M/M/c metrics refuse a >= c (no steady state) with ValueError."""
    with pytest.raises(ValueError):
        erlang_c(5, 5.0)
    with pytest.raises(ValueError):
        erlang_c(5, 6.0)
    with pytest.raises(ValueError):
        mmc_wait_mean(3, 3.0, 1.0)
    with pytest.raises(ValueError):
        mmc_sojourn_tail(2, 5.0, 2.0, 1.0)


def test_sojourn_tail_gamma_equals_mu_case():
    """When c*mu - lam == mu the sojourn tail is (1-C)e^{-mu t} + C(1+mu t)e^{-mu t},
    and it is continuous across that point."""
    c, lam, mu = 2, 1.0, 1.0  # gamma = 2 - 1 = 1 = mu
    cw = erlang_c(c, lam / mu)
    for t in (0.0, 0.5, 2.0, 10.0):
        expected = (1 - cw) * math.exp(-mu * t) + cw * (1 + mu * t) * math.exp(-mu * t)
        assert mmc_sojourn_tail(c, lam, mu, t) == pytest.approx(expected, rel=1e-13)
        # Approaching the removable singularity from either side gives the same value.
        for eps in (1e-7, -1e-7):
            assert mmc_sojourn_tail(c, lam + eps, mu, t) == pytest.approx(expected, rel=1e-6)


def test_sojourn_tail_matches_numerical_convolution():
    """P(Wq+S>t) agrees with integrating the Wq density against the exponential work tail."""
    c, lam, mu, t = 3, 2.0, 1.5, 1.7  # gamma = 2.5 != mu
    cw = erlang_c(c, lam / mu)
    gamma = c * mu - lam
    steps = 20_000
    h = t / steps
    # P(Wq+S>t) = (1-C) e^{-mu t} + int_0^t C gamma e^{-gamma w} e^{-mu (t-w)} dw + P(Wq > t)
    integral = sum(
        (0.5 if k in (0, steps) else 1.0) * cw * gamma * math.exp(-gamma * k * h - mu * (t - k * h))
        for k in range(steps + 1)
    ) * h
    expected = (1 - cw) * math.exp(-mu * t) + integral + cw * math.exp(-gamma * t)
    assert mmc_sojourn_tail(c, lam, mu, t) == pytest.approx(expected, rel=1e-7)
    assert mmc_sojourn_tail(c, lam, mu, 0.0) == pytest.approx(1.0, abs=1e-15)
    assert mmc_wait_tail(c, lam, mu, 0.0) == pytest.approx(cw, abs=1e-15)


# --------------------------------------------------------------------------- Erlang A


def test_erlang_a_check_values_from_research_note():
    """M/M/5+M, lam=4.5, mu=1, theta=0.5 gives P(W>0), P(Ab), E[Wq] from §3.3."""
    r = erlang_a(5, 4.5, 1.0, 0.5)
    assert r.p_wait == pytest.approx(0.527642, abs=TOL6)
    assert r.p_abandon == pytest.approx(0.109869, abs=TOL6)
    assert r.wait_mean == pytest.approx(0.219737, abs=TOL6)


@pytest.mark.parametrize(
    "c,lam,mu,theta",
    [
        (5, 4.5, 1.0, 0.5),
        (5, 6.0, 1.0, 0.5),  # overloaded
        (5, 5.0, 1.0, 0.5),  # lam == c mu exactly
        (1, 5.0, 1.0, 0.1),  # heavy overload, single manager
        (50, 48.0, 1.0, 0.05),
        (200, 240.0, 1.0, 0.02),  # large overloaded pool: A overflows floats
        (20, 10.0, 1.0, 5.0),  # impatience faster than service
        (10, 9.99, 1.0, 1e-3),  # near-critical, patient
    ],
)
def test_erlang_a_matches_birth_death_chain(c, lam, mu, theta):
    """Erlang A equals the stationary M/M/c+M birth-death chain, stable and overloaded alike."""
    r = erlang_a(c, lam, mu, theta)
    p_wait, p_ab, wq = _erlang_a_birth_death(c, lam, mu, theta)
    assert r.p_wait == pytest.approx(p_wait, abs=1e-10)
    assert r.p_abandon == pytest.approx(p_ab, abs=1e-10)
    assert r.wait_mean == pytest.approx(wq, rel=1e-9, abs=1e-12)


def test_erlang_a_approaches_erlang_c_as_patience_grows():
    """For a stable pool, theta -> 0 recovers Erlang C: P(W>0) -> C, E[Wq] -> C/(c mu - lam)."""
    for c, lam, mu in ((5, 4.5, 1.0), (1, 0.7, 1.0), (20, 17.0, 1.0), (3, 1.0, 0.5)):
        cw = erlang_c(c, lam / mu)
        wq = mmc_wait_mean(c, lam, mu)
        r = erlang_a(c, lam, mu, 1e-7)
        assert r.p_wait == pytest.approx(cw, rel=1e-5)
        assert r.wait_mean == pytest.approx(wq, rel=1e-5)
        assert r.p_abandon == pytest.approx(1e-7 * wq, rel=1e-5)
        # And the gap shrinks monotonically with theta.
        gaps = [abs(erlang_a(c, lam, mu, th).wait_mean - wq) for th in (1e-1, 1e-2, 1e-3, 1e-4)]
        assert gaps == sorted(gaps, reverse=True)


def test_erlang_a_deep_overload_throughput_is_capped():
    """In deep overload the served rate lam(1 - P(Ab)) approaches the pool capacity c mu."""
    r = erlang_a(10, 100.0, 1.0, 0.01)
    assert r.p_wait == pytest.approx(1.0, abs=1e-12)
    assert 100.0 * (1 - r.p_abandon) == pytest.approx(10.0, rel=1e-6)
    assert math.isfinite(r.wait_mean)


# --------------------------------------------------------------------------- M/M/c+D


def test_mmc_deterministic_patience_check_values_from_research_note():
    """M/M/5+D, D=1: P(W>0) and P(Ab) at lam=4.5, and P(Ab) at overloaded lam=6 (§3.4)."""
    r = mmc_deterministic_patience(5, 4.5, 1.0, 1.0)
    assert r.p_wait == pytest.approx(0.593151, abs=TOL6)
    assert r.p_abandon == pytest.approx(0.079222, abs=TOL6)
    overloaded = mmc_deterministic_patience(5, 6.0, 1.0, 1.0)
    assert overloaded.p_abandon == pytest.approx(0.207750, abs=TOL6)


def test_mmc_deterministic_patience_limits():
    """D=0 is the Erlang B loss system; a huge D in a stable pool is Erlang C; deep overload
    serves exactly c mu and makes the mean wait approach D."""
    r0 = mmc_deterministic_patience(5, 4.5, 1.0, 0.0)
    b = erlang_b(5, 4.5)
    assert r0.p_wait == pytest.approx(b, rel=1e-12)
    assert r0.p_abandon == pytest.approx(b, rel=1e-12)
    assert r0.wait_mean == 0.0
    r_inf = mmc_deterministic_patience(5, 4.5, 1.0, 1e4)
    assert r_inf.p_wait == pytest.approx(erlang_c(5, 4.5), rel=1e-12)
    assert r_inf.wait_mean == pytest.approx(mmc_wait_mean(5, 4.5, 1.0), rel=1e-12)
    assert r_inf.p_abandon < 1e-300
    r_over = mmc_deterministic_patience(5, 50.0, 1.0, 100.0)  # u = 4500: rescaled branch
    assert r_over.p_abandon == pytest.approx(0.9, rel=1e-12)
    assert r_over.wait_mean == pytest.approx(100.0, rel=1e-3)


def test_mmc_deterministic_patience_is_continuous_at_critical_load():
    """lam == c mu (the removable 0/0 in J and in the wait integral) matches its neighbours."""
    at = mmc_deterministic_patience(4, 4.0, 1.0, 0.7)
    for eps in (1e-6, -1e-6):
        near = mmc_deterministic_patience(4, 4.0 + eps, 1.0, 0.7)
        assert near.p_abandon == pytest.approx(at.p_abandon, rel=1e-5)
        assert near.wait_mean == pytest.approx(at.wait_mean, rel=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "c,lam,mu,D,seed",
    [
        (5, 4.5, 1.0, 1.0, 11),  # the §4.2 configuration
        (5, 6.0, 1.0, 1.0, 12),  # overloaded
        (4, 4.0, 1.0, 0.7, 13),  # lam == c mu
    ],
)
def test_mmc_deterministic_patience_matches_fcfs_simulation(c, lam, mu, D, seed):
    """P(Ab), P(W>0) and the all-arrivals mean wait E[min(V, D)] agree with a 200k-deal
    Kiefer–Wolfowitz FCFS simulation with SLA reneging, within 4 batch-means standard errors."""
    r = mmc_deterministic_patience(c, lam, mu, D)
    sim = _simulate_mmc_deadline(c, lam, mu, D, n=200_000, seed=seed)
    exact_values = {"p_abandon": r.p_abandon, "p_wait": r.p_wait, "wait_mean": r.wait_mean}
    for key, exact in exact_values.items():
        est, se = sim[key]
        assert abs(est - exact) <= 4 * se, f"{key}: sim {est:.5f} ± {se:.5f}, exact {exact:.5f}"


# --------------------------------------------------------------------------- networks, M/G/inf


def test_jackson_network_check_values_from_research_note():
    """§4.4: gamma=(2,0,0) with a feedback loop gives lam=(2,1.75,1.4) and per-station Erlang C
    waits Wq=(0.4444, 3.2667, 0.3337)."""
    P = [[0.0, 0.7, 0.0], [0.0, 0.0, 0.8], [0.0, 0.25, 0.0]]
    lam = jackson_arrival_rates([2.0, 0.0, 0.0], P)
    assert lam == pytest.approx([2.0, 1.75, 1.4], abs=1e-12)
    mus, cs = (1.0, 1.0, 0.8), (3, 2, 3)
    wq = [mmc_wait_mean(c, la, m) for c, la, m in zip(cs, lam, mus)]
    assert wq == pytest.approx([0.4444, 3.2667, 0.3337], abs=TOL4)


def test_jackson_solution_satisfies_traffic_equations():
    """The solver returns lam with lam = gamma + P^T lam, also when pivoting is needed."""
    gamma = [1.0, 0.5, 0.0, 2.0]
    P = [
        [0.0, 0.6, 0.3, 0.0],
        [0.2, 0.0, 0.5, 0.1],
        [0.0, 0.3, 0.0, 0.6],
        [0.1, 0.0, 0.4, 0.0],
    ]
    lam = jackson_arrival_rates(gamma, P)
    for i in range(4):
        inflow = gamma[i] + sum(P[j][i] * lam[j] for j in range(4))
        assert lam[i] == pytest.approx(inflow, rel=1e-12)


def test_jackson_rejects_bad_input():
    """A closed loop deals can never leave is singular; a wrong-shaped matrix is rejected."""
    with pytest.raises(ValueError):
        jackson_arrival_rates([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError):
        jackson_arrival_rates([1.0, 0.0], [[0.0, 1.0]])


def test_mg_inf_occupancy_mean_is_littles_law():
    """Pure-delay stage occupancy is lam E[S] (§3.7), e.g. 200 leads/day × 1.2 days = 240."""
    assert mg_inf_occupancy_mean(200.0, 1.2) == pytest.approx(240.0)
    assert mg_inf_occupancy_mean(0.0, 5.0) == 0.0


# --------------------------------------------------------------------------- staffing


def test_staffing_hand_checked_mm1_mm2():
    """lam=0.5, mu=1, t=0: P(Wq<=0) is 1-rho=0.5 with c=1 and 1-C(2,0.5)=0.9 with c=2
    (B(2,.5)=1/13, C=0.1), and above 0.9 needs c=3."""
    assert smallest_c_for_wait_tail(0.5, 1.0, 0.0, 0.5) == 1
    assert smallest_c_for_wait_tail(0.5, 1.0, 0.0, 0.6) == 2
    assert smallest_c_for_wait_tail(0.5, 1.0, 0.0, 0.9) == 2
    assert smallest_c_for_wait_tail(0.5, 1.0, 0.0, 0.91) == 3
    # M/M/1 at t=2: P(Wq<=2) = 1 - 0.5 e^{-1} = 0.81606
    assert smallest_c_for_wait_tail(0.5, 1.0, 2.0, 0.816) == 1
    assert smallest_c_for_wait_tail(0.5, 1.0, 2.0, 0.8161) == 2


def test_staffing_research_note_pool():
    """lam=4.5, mu=1, t=1: c=5 gives P(Wq<=1)=1-0.462476=0.537524 (§3.2), so a 50% target
    needs 5, a 54% target needs more; and any returned c meets the target while c-1 does not."""
    assert smallest_c_for_wait_tail(4.5, 1.0, 1.0, 0.5) == 5
    assert smallest_c_for_wait_tail(4.5, 1.0, 1.0, 0.537) == 5
    assert smallest_c_for_wait_tail(4.5, 1.0, 1.0, 0.538) == 6
    assert smallest_c_for_wait_tail(4.5, 1.0, 1.0, 0.0) == 5  # smallest stable pool
    cases = ((4.5, 1.0, 1.0, 0.8), (120.0, 2.0, 0.25, 0.95), (3.0, 0.2, 1.0, 0.99))
    for lam, mu, t, target in cases:
        c = smallest_c_for_wait_tail(lam, mu, t, target)
        assert 1 - mmc_wait_tail(c, lam, mu, t) >= target
        if c - 1 > lam / mu:
            assert 1 - mmc_wait_tail(c - 1, lam, mu, t) < target


def test_staffing_edge_cases():
    """No arrivals need no staff; an unreachable 100% target is rejected."""
    assert smallest_c_for_wait_tail(0.0, 1.0, 1.0, 0.99) == 0
    with pytest.raises(ValueError):
        smallest_c_for_wait_tail(4.5, 1.0, 1.0, 1.0)


# --------------------------------------------------------------------------- packaging


def test_module_import_does_not_pull_numpy_or_scipy():
    """Importing the module stays cheap: numpy/scipy are loaded only inside erlang_a overload."""
    src = Path(q.__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    code = (
        "import sys, funnelc.analysis.queueing as m; "
        "m.erlang_a(5, 4.5, 1.0, 0.5); m.mmc_deterministic_patience(5, 6.0, 1.0, 1.0); "
        "bad = [k for k in ('numpy', 'scipy') if k in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
