"""Exact closed-form queueing results for single stages and stage networks.

These are the anchors the simulator is validated against and the numbers `funnelc analyze`
prints next to simulated estimates.  Derivations and check values are in
`/work/shared/research/queueing-and-simulators.md` §3.

Conventions: ``c`` managers in a pool, arrival rate ``lam``, service rate per manager ``mu``,
offered load ``a = lam / mu``, utilisation ``rho = a / c``.  The functions are unit-agnostic:
any consistent time unit works (funnelc uses hours).

Only the standard library is imported at module level so that the CLI starts fast; scipy is
imported lazily inside :func:`erlang_a`, and only for overloaded pools.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

__all__ = [
    "AbandonmentMetrics",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "jackson_arrival_rates",
    "mg_inf_occupancy_mean",
    "mmc_deterministic_patience",
    "mmc_patience",
    "PatienceQueue",
    "mmc_queue_length_mean",
    "mmc_sojourn_mean",
    "mmc_sojourn_tail",
    "mmc_sojourn_tail_fn",
    "mmc_wait_mean",
    "mmc_wait_tail",
    "smallest_c_for_wait_tail",
]


# --------------------------------------------------------------------------- validation helpers


def _check_servers(c: int) -> None:
    if isinstance(c, bool) or not isinstance(c, int) or c < 0:
        raise ValueError(f"number of servers must be a non-negative int, got {c!r}")


def _check_positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")


def _check_nonnegative(name: str, value: float) -> None:
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be non-negative and finite, got {value!r}")


# --------------------------------------------------------------------------- Erlang B / C, M/M/c


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of an M/M/c/c loss system (Erlang B) with offered load ``a``.

    Used directly for loss stages and as the numerically safe building block of Erlang C,
    Erlang A and M/M/c+D.  The recursion B(k) = a B(k-1) / (k + a B(k-1)) never forms a^c or
    c!, so it stays accurate for thousands of servers where the textbook sum overflows.
    """
    _check_servers(c)
    _check_nonnegative("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(c: int, a: float, b: float) -> float:
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival has to wait in a stable M/M/c queue (Erlang C).

    Applies when arrivals are Poisson, work times are exponential, deals never leave the
    queue, and the pool is stable (``a < c``).  An unstable pool has no steady state, so
    ``a >= c`` raises ValueError instead of returning a meaningless number; use
    :func:`erlang_a` or :func:`mmc_deterministic_patience` when deals can time out.
    """
    _check_servers(c)
    _check_nonnegative("offered load a", a)
    if a >= c:
        raise ValueError(f"M/M/c is unstable: offered load a={a} >= c={c}")
    return _erlang_c_from_b(c, a, erlang_b(c, a))


def _stable_gap(c: int, lam: float, mu: float) -> float:
    """Return c*mu - lam after validating inputs; raises ValueError if not positive."""
    _check_servers(c)
    _check_nonnegative("arrival rate lam", lam)
    _check_positive("service rate mu", mu)
    gap = c * mu - lam
    if gap <= 0:
        raise ValueError(f"M/M/c is unstable: lam={lam} >= c*mu={c * mu}")
    return gap


def mmc_wait_mean(c: int, lam: float, mu: float) -> float:
    """Mean queue wait E[Wq] over all arrivals in a stable M/M/c queue: C / (c mu - lam).

    This is the reference for a simulated stage's mean waiting time before a manager picks a
    deal up, when nobody abandons.
    """
    gap = _stable_gap(c, lam, mu)
    return erlang_c(c, lam / mu) / gap


def mmc_wait_tail(c: int, lam: float, mu: float, t: float) -> float:
    """P(Wq > t) in a stable M/M/c queue: C exp(-(c mu - lam) t).

    Use for an SLA on time-to-pickup (queue wait only).  The conditional wait given waiting
    is exponential with rate c mu - lam, which is why the tail is a single exponential.
    """
    gap = _stable_gap(c, lam, mu)
    _check_nonnegative("threshold t", t)
    return erlang_c(c, lam / mu) * math.exp(-gap * t)


def mmc_sojourn_tail(c: int, lam: float, mu: float, t: float) -> float:
    """P(Wq + S > t) in a stable M/M/c queue: SLA on total time in stage (wait plus work).

    The sojourn is S with probability 1 - C and Exp(gamma) + S with probability C, where
    gamma = c mu - lam, so the tail is (1-C) e^{-mu t} + C (gamma e^{-mu t} - mu e^{-gamma t}) /
    (gamma - mu).  Near gamma == mu that quotient is 0/0; it is evaluated with expm1 so the
    limit (1 + mu t) e^{-mu t} is reached smoothly instead of by a special case alone.
    """
    _check_nonnegative("threshold t", t)
    return mmc_sojourn_tail_fn(c, lam, mu)(t)


def mmc_sojourn_tail_fn(c: int, lam: float, mu: float) -> Callable[[float], float]:
    """t ↦ P(Wq + S > t) (`mmc_sojourn_tail`) with Erlang C worked out once: an SLA
    of random wall-clock length reads the tail thousands of times (`exact`)."""
    gamma = _stable_gap(c, lam, mu)
    cw = erlang_c(c, lam / mu)
    d = gamma - mu

    def tail(t: float) -> float:
        t = max(t, 0.0)
        if abs(d) * t < 1.0:
            # e^{-mu t} * (1 + mu * (1 - e^{-d t}) / d), with (1 - e^{-dt})/d -> t as d -> 0.
            g = t if d == 0.0 else -math.expm1(-d * t) / d
            waited = math.exp(-mu * t) * (1.0 + mu * g)
        else:
            # Far from the removable singularity: the direct form has no harmful
            # cancellation and avoids inf * 0 when one exponential overflows.
            waited = (gamma * math.exp(-mu * t) - mu * math.exp(-gamma * t)) / d
        return (1.0 - cw) * math.exp(-mu * t) + cw * waited
    return tail


def mmc_queue_length_mean(c: int, lam: float, mu: float) -> float:
    """Mean number of deals waiting (not being worked) in a stable M/M/c queue, Lq = lam Wq.

    Little's law applied to the queue alone; compare with a simulated time-average backlog.
    """
    return lam * mmc_wait_mean(c, lam, mu)


def mmc_sojourn_mean(c: int, lam: float, mu: float) -> float:
    """Mean time in stage W = Wq + 1/mu in a stable M/M/c queue.

    With Jackson's theorem this is also the per-visit time at each station of an open
    network with per-stage pools (use the station's total arrival rate from
    :func:`jackson_arrival_rates`).
    """
    return mmc_wait_mean(c, lam, mu) + 1.0 / mu


# --------------------------------------------------------------------------- impatience


@dataclass(frozen=True, slots=True)
class AbandonmentMetrics:
    """Steady-state metrics of a pool whose queued deals can time out.

    ``p_wait``: share of arrivals that find every manager busy.
    ``p_abandon``: share of arrivals that leave the queue before a manager picks them up.
    ``wait_mean``: mean time spent in the queue, averaged over *all* arrivals (zero for those
    served at once; time until abandonment for those that leave), so ``lam * wait_mean`` is
    the mean queue length by Little's law.
    """

    p_wait: float
    p_abandon: float
    wait_mean: float


def _erlang_a_series(x: float, y: float) -> tuple[float, float]:
    """For y < x: A(x, y) and 1 - A(1 - y/x), both by positive series.

    A(x, y) = sum_{k>=0} y^k / ((x+1)...(x+k)), from gamma(x, y) = y^x e^{-y} sum_k y^k /
    (x (x+1)...(x+k)).  Telescoping rho*t_k - t_{k+1} = t_{k+1} (k+1)/x gives
    1 - A(1 - rho) = (1/x) sum_{k>=1} k t_k, which avoids the catastrophic cancellation of the
    direct form as theta -> 0 (where A -> 1/(1-rho)).
    """
    term = 1.0
    total = 1.0
    weighted = 0.0
    k = 0
    while True:
        k += 1
        term *= y / (x + k)
        total += term
        weighted += k * term
        # Ratios r_j = y / (x + j) decrease, so the tails after k are bounded geometrically:
        # sum_{m>=1} t_{k+m} <= t_k r/(1-r);
        # sum_{m>=1} (k+m) t_{k+m} <= t_k (k r/(1-r) + r/(1-r)^2).
        r = y / (x + k + 1)
        if r < 1.0:
            g = r / (1.0 - r)
            if term * g <= 1e-16 * total and term * (k * g + g / (1.0 - r)) <= 1e-16 * weighted:
                break
        if k > 10_000_000:  # pragma: no cover - unreachable for y < x; guards a hang.
            raise ArithmeticError("Erlang A series did not converge")
    return total, weighted / x


def _log_a_prefactor(x: float, y: float, gammaln: Callable[[float], float]) -> float:
    """ln(x e^y y^{-x} Gamma(x)) for y >= x, without the O(x ln x) cancellation.

    Written as (1/2) ln(2 pi x) + x (d - log1p(d)) + stirlerr(x) with d = (y - x)/x, where
    stirlerr(x) = ln Gamma(x) - [(x - 1/2) ln x - x + (1/2) ln(2 pi)].  Forming
    y - x ln y + gammaln(x) directly loses ~1e-10 relative accuracy when x ~ 1e5 (tiny theta).
    """
    d = (y - x) / x
    if x >= 15.0:
        inv = 1.0 / x
        inv2 = inv * inv
        stirlerr = inv * (
            1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188)))
        )
    else:
        stirlerr = float(gammaln(x)) - ((x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi))
    return 0.5 * math.log(2 * math.pi * x) + x * (d - math.log1p(d)) + stirlerr


def erlang_a(c: int, lam: float, mu: float, theta: float) -> AbandonmentMetrics:
    """M/M/c+M (Erlang A): a pool where each queued deal gives up after an Exp(theta) time.

    Applies when patience is memoryless (e.g. a lead goes cold at a constant hazard); for a
    hard SLA timeout use :func:`mmc_deterministic_patience`.  Abandonment keeps the system
    stable for every lam, so this is the reference for overloaded stages where Erlang C has
    no answer.  With E = B(c, a), x = c mu/theta, y = lam/theta and
    A(x, y) = x e^y y^{-x} gamma(x, y):
    P(W>0) = A E / (1 + (A-1) E), P(Ab) = [1/(rho A) + 1 - 1/rho] P(W>0), E[Wq] = P(Ab)/theta.

    A is evaluated by a cancellation-free series when lam < c mu, and via
    log-space scipy.special.gammainc/gammaln when lam >= c mu (A can exceed float range there,
    so the formulas are rearranged to use 1/A).
    """
    _check_servers(c)
    _check_nonnegative("arrival rate lam", lam)
    _check_positive("service rate mu", mu)
    _check_positive("patience rate theta", theta)
    if c == 0:
        # Nobody is ever served: every arrival waits and abandons after Exp(theta).
        if lam == 0:
            return AbandonmentMetrics(0.0, 0.0, 0.0)
        return AbandonmentMetrics(1.0, 1.0, 1.0 / theta)
    if lam == 0:
        return AbandonmentMetrics(0.0, 0.0, 0.0)

    e = erlang_b(c, lam / mu)
    rho = lam / (c * mu)
    x = c * mu / theta
    y = lam / theta
    if y < x:
        a_val, one_minus = _erlang_a_series(x, y)  # one_minus = 1 - A (1 - rho)
        inv_a = 1.0 / a_val
        p_wait = e / (e + (1.0 - e) * inv_a)
        ab_factor = one_minus * inv_a / rho  # = 1/(rho A) + 1 - 1/rho
    else:
        from scipy.special import gammainc, gammaln  # lazy: keep module import cheap

        # gammainc is the *regularized* lower gamma P(x, y); for y >= x it is >= ~0.5,
        # so its log never underflows.
        log_a = _log_a_prefactor(x, y, gammaln) + math.log(float(gammainc(x, y)))
        inv_a = math.exp(-log_a) if log_a < 700.0 else 0.0
        p_wait = e / (e + (1.0 - e) * inv_a)
        ab_factor = inv_a / rho + 1.0 - 1.0 / rho
    p_abandon = ab_factor * p_wait
    return AbandonmentMetrics(p_wait=p_wait, p_abandon=p_abandon, wait_mean=p_abandon / theta)


def mmc_deterministic_patience(c: int, lam: float, mu: float, D: float) -> AbandonmentMetrics:
    """M/M/c+D, FCFS: a queued deal is pulled when its SLA ``D`` expires before pickup.

    This models a hard time-to-pickup SLA with auto-escalation/auto-loss.  It is exact for
    FCFS with Poisson arrivals and exponential work, stable for every lam (overload included).
    From the offered-wait density (research note §3.4), with delta = lam - c mu, u = delta D,
    E_ = B(c-1, a) and p(x) = lam pi_{c-1} e^{delta x} on (0, D), lam pi_{c-1} e^{u - c mu (x-D)}
    beyond D:

    * J = (e^u - 1)/delta + e^u/(c mu); P(W>0) = lam J E_ / (1 + lam J E_);
      pi_{c-1} = E_ (1 - P(W>0)); P(Ab) = lam pi_{c-1} e^u / (c mu).
    * A deal waits min(V, D) where V is its offered wait, so the mean wait over all arrivals is
      E[min(V, D)] = lam pi_{c-1} int_0^D x e^{delta x} dx + D P(Ab)
      (verified against a direct simulation in tests/test_queueing_formulas.py).

    For u > 30 every quantity is rescaled by e^{-u} so deep overload does not overflow.
    """
    _check_servers(c)
    _check_nonnegative("arrival rate lam", lam)
    _check_positive("service rate mu", mu)
    _check_nonnegative("patience D", D)
    if lam == 0:
        return AbandonmentMetrics(0.0, 0.0, 0.0)
    if c == 0:
        # No managers: every arrival waits out its full SLA and leaves.
        return AbandonmentMetrics(1.0, 1.0, D)

    cmu = c * mu
    delta = lam - cmu
    u = delta * D
    k = lam * erlang_b(c - 1, lam / mu)  # lam * E_
    if u <= 30.0:
        eu = math.exp(u)
        first = D if delta == 0.0 else math.expm1(u) / delta  # int_0^D e^{delta x} dx
        if abs(u) < 0.5:
            # int_0^D x e^{delta x} dx = D^2 sum_k u^k / (k! (k+2)); avoids 0/0 near delta=0.
            s, fact_term, j = 0.0, 1.0, 0
            while True:
                add = fact_term / (j + 2)
                s += add
                if abs(add) < 1e-18 * abs(s):
                    break
                j += 1
                fact_term *= u / j
            second = D * D * s
        else:
            second = (1.0 + eu * (u - 1.0)) / (delta * delta)
        j_int = first + eu / cmu
        denom = 1.0 + k * j_int
        p_wait = k * j_int / denom
        p_abandon = k * eu / (cmu * denom)
        wait_mean = k * second / denom + D * p_abandon
    else:
        # delta > 0 and D > 0 here; multiply J, e^u and the x-moment by s = e^{-u}.
        s = math.exp(-u)
        j_scaled = -math.expm1(-u) / delta + 1.0 / cmu
        second_scaled = (s + u - 1.0) / (delta * delta)
        denom = s + k * j_scaled
        p_wait = k * j_scaled / denom
        p_abandon = k / (cmu * denom)
        wait_mean = k * second_scaled / denom + D * p_abandon
    return AbandonmentMetrics(p_wait=p_wait, p_abandon=p_abandon, wait_mean=wait_mean)


# ------------------------------------------------------------------ infinite server, networks


def mg_inf_occupancy_mean(lam: float, mean_service: float) -> float:
    """Mean number of deals in an M/G/infinity (pure-delay) stage: lam E[S].

    Applies to stages without a manager bottleneck (deals just age there).  By insensitivity
    the occupancy is Poisson with this mean for any time-in-stage distribution.
    """
    _check_nonnegative("arrival rate lam", lam)
    _check_nonnegative("mean_service", mean_service)
    return lam * mean_service


def jackson_arrival_rates(gamma: Sequence[float], P: Sequence[Sequence[float]]) -> list[float]:
    """Total arrival rate per station of an open network: solve lam = gamma + P^T lam.

    Needed because rework loops (e.g. Negotiation -> Proposal) make a station's load exceed
    its first-pass inflow; with per-stage pools and Markov routing each station then behaves
    as M/M/c at its total rate (Jackson's theorem).  ``P[i][j]`` is the probability of going
    from station i to j; rows may sum to less than 1 (the rest leaves the network).  Pure
    Python Gaussian elimination with partial pivoting, so importing it costs nothing.
    Raises ValueError for mismatched shapes or a singular system (a closed routing loop
    that deals can never leave).
    """
    n = len(gamma)
    if len(P) != n or any(len(row) != n for row in P):
        raise ValueError(f"routing matrix must be {n}x{n} to match gamma")
    # Augmented matrix [I - P^T | gamma].
    m = [[(1.0 if i == j else 0.0) - float(P[j][i]) for j in range(n)] + [float(gamma[i])]
         for i in range(n)]
    scale = max((abs(v) for row in m for v in row[:n]), default=1.0) or 1.0
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[piv][col]) <= 1e-12 * scale:
            raise ValueError("traffic equations are singular: some routing loop is never left")
        m[col], m[piv] = m[piv], m[col]
        pivot_row = m[col]
        pv = pivot_row[col]
        for r in range(col + 1, n):
            f = m[r][col] / pv
            if f != 0.0:
                row = m[r]
                for j in range(col, n + 1):
                    row[j] -= f * pivot_row[j]
    lam = [0.0] * n
    for i in range(n - 1, -1, -1):
        acc = m[i][n] - sum(m[i][j] * lam[j] for j in range(i + 1, n))
        lam[i] = acc / m[i][i]
    return lam


# --------------------------------------------------------------------------- staffing


def smallest_c_for_wait_tail(lam: float, mu: float, t: float, target_share: float) -> int:
    """Smallest pool size c with P(Wq <= t) >= target_share in M/M/c (Erlang C staffing).

    The service-level rule "target_share of deals picked up within t" used by the staffing
    search.  Only stable sizes (c > lam/mu) qualify; P(Wq <= t) increases with c, so the
    first c that meets the target is the answer.  A target of 1 or more can never be met
    when lam > 0 (some deals always wait), so it raises ValueError; lam == 0 needs no staff
    and returns 0.  Erlang B is updated incrementally, so the search is O(c).
    """
    _check_nonnegative("arrival rate lam", lam)
    _check_positive("service rate mu", mu)
    _check_nonnegative("threshold t", t)
    if lam == 0 and 0.0 <= target_share <= 1.0:
        return 0
    if not (0.0 <= target_share < 1.0):
        raise ValueError(f"target_share must be in [0, 1) when lam > 0, got {target_share!r}")
    a = lam / mu
    b = 1.0
    c = 0
    while True:
        c += 1
        b = a * b / (c + a * b)  # B(c, a) from B(c-1, a)
        if c <= a:
            continue
        cw = _erlang_c_from_b(c, a, b)
        if 1.0 - cw * math.exp(-(c * mu - lam) * t) >= target_share:
            return c


# --------------------------------------------------------------------------- general patience

_GL_NODES: tuple[tuple[float, float], ...] = ()


def _gauss_legendre() -> tuple[tuple[float, float], ...]:
    """20-point Gauss-Legendre nodes and weights on [-1, 1], by Newton on P_20 (once)."""
    global _GL_NODES
    if _GL_NODES:
        return _GL_NODES
    n = 20
    out: list[tuple[float, float]] = []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = n * (x * p1 - p0) / (x * x - 1.0)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-16:
                break
        p0, p1 = 1.0, x
        for k in range(2, n + 1):
            p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        dp = n * (x * p1 - p0) / (x * x - 1.0)
        out.append((x, 2.0 / ((1.0 - x * x) * dp * dp)))
    _GL_NODES = tuple(out)
    return _GL_NODES


def _panel(f: Callable[[float], float], a: float, b: float) -> float:
    half, mid = (b - a) / 2.0, (a + b) / 2.0
    return half * math.fsum(w * f(mid + half * x) for x, w in _gauss_legendre())


def _integrate(f: Callable[[float], float], a: float, b: float, scale: float,
               depth: int = 0) -> float:
    """∫ₐᵇ f for a smooth f: 20-point Gauss-Legendre, halved until the two halves agree
    with the whole to 1e-14 of `scale` (the size of the whole integral) or to 1e-11 of
    the part (the floor set by rounding in f itself: exp of a difference of large
    terms), at most 30 halvings deep."""
    if b <= a:
        return 0.0
    whole = _panel(f, a, b)
    mid = (a + b) / 2.0
    left, right = _panel(f, a, mid), _panel(f, mid, b)
    diff = abs(left + right - whole)
    if diff <= 1e-14 * max(scale, abs(whole)) or diff <= 1e-11 * abs(whole) or depth >= 30:
        return left + right
    return (_integrate(f, a, mid, scale, depth + 1)
            + _integrate(f, mid, b, scale, depth + 1))


def _log_erlang_b(c: int, a: float) -> float:
    """ln B(c, a) by the Erlang B recursion in log space: B(c, a) underflows for many
    servers at a light load (c = 1000, a = 1), its logarithm does not."""
    log_b = 0.0
    log_a = math.log(a)
    for k in range(1, c + 1):
        # B(k) = a B(k-1) / (k + a B(k-1)); a B(k-1) = exp(log_a + log_b)
        ab = math.exp(log_a + log_b) if log_a + log_b < 700.0 else math.inf
        log_b = log_a + log_b - (math.log(k + ab) if ab < math.inf else log_a + log_b)
    return log_b


@dataclass(frozen=True)
class PatienceQueue:
    """M/M/c+G with FCFS: Poisson arrivals ``lam``, ``c`` members working exponential
    times at rate ``mu``, and a deal that waits longer than its patience τ (survival
    Ḡ, any distribution, optionally cut at ``cap``: an SLA D pulls deals still waiting
    at D, so τ_eff = min(τ, D)) leaves the queue unserved.

    From the offered wait V (the wait a deal would have if it never gave up; research
    note §3.4, Baccelli-Hebuterne / Zeltyn-Mandelbaum 2005): P(V > 0) = P(W > 0) and,
    while all members are busy, V has density p(x) = λπ_{c−1}·exp(λH(x) − cμx) with
    H(x) = ∫₀ˣ Ḡ_eff. A deal is served iff V ≤ τ_eff, so P(Ab) = ∫p(1 − Ḡ_eff), the mean
    wait of served deals is ∫x·p·Ḡ_eff / (1 − P(Ab)), the mean wait of all deals is
    E[min(V, τ_eff)] = ∫p·H. The exponent is concave (its slope λḠ − cμ falls), so it
    is integrated relative to its maximum M (log space: no e^M, no factorial, any c)
    by adaptive Gauss-Legendre split at the kinks of Ḡ; exact for this model up to
    ~1e-12. Erlang A is the case Ḡ(x) = e^{−θx}; M/M/c+D the case τ = ∞ with a cap.
    Build with :func:`mmc_patience`."""

    c: int
    lam: float
    mu: float
    p_wait: float
    p_abandon: float
    """Share of deals that leave the queue unserved (patience or cap)."""
    p_abandon_cap: float
    """Of those, the share (of all deals) the cap D takes: still waiting and still
    patient at D."""
    wait_mean: float
    """Mean time in the queue over all deals (an abandoning deal counts its wait)."""
    wait_served_mean: float
    """Mean wait of the deals a member picks up."""
    _k: float
    """λπ_{c−1}·e^M: p(x) = _k·exp(f(x) − M)."""
    _m: float
    _survival: Callable[[float], float]
    _integrated: Callable[[float], float]
    _cap: float
    _breaks: tuple[float, ...]
    _end: float

    def _g(self, x: float) -> float:
        return self._survival(x) if x < self._cap else 0.0

    def _w(self, x: float) -> float:
        """exp(f(x) − M), f(x) = λH_eff(x) − cμx."""
        h = self._integrated(min(x, self._cap))
        return math.exp(self.lam * h - self.c * self.mu * x - self._m)

    def _pieces(self, a: float, b: float) -> list[tuple[float, float]]:
        cuts = sorted({a, b, *(x for x in self._breaks if a < x < b)})
        return list(pairwise(cuts))

    def _int(self, g: Callable[[float], float], a: float, b: float) -> float:
        """∫ₐᵇ exp(f − M)·g over [a, min(b, end)], plus the linear tail beyond a finite
        cap analytically where g is constant there (the caller says so by b = inf)."""
        hi = min(b, self._end)
        pieces = self._pieces(a, hi)

        def h(x: float) -> float:
            return self._w(x) * g(x)

        scale = sum(abs(_panel(h, lo_, hi_)) for lo_, hi_ in pieces)
        return math.fsum(_integrate(h, lo_, hi_, scale) for lo_, hi_ in pieces)

    def breach(self, t: float) -> float:
        """P(a deal breaches `respond t`) as the simulator counts it: picked up later than
        t, or left unserved at or after t: P(τ_eff ≥ t)·P(V > t)."""
        if t <= 0:
            return self.p_wait
        if t > self._cap or self._k == 0.0:
            return 0.0
        patient = self._survival(t - 1e-12 * max(1.0, t))  # P(τ ≥ t): the left limit
        return patient * self._k * self._tail_integral(t)

    def _tail_integral(self, t: float) -> float:
        """∫_t^∞ exp(f − M) dx (beyond a cap, f falls linearly: closed form)."""
        if t >= self._cap:
            return self._w(t) / (self.c * self.mu) if self.c > 0 else math.inf
        inner = self._int(lambda x: 1.0, t, self._cap)
        if math.isfinite(self._cap):
            inner += self._w(self._cap) / (self.c * self.mu)
        return inner

    def served_tail(self, y: float) -> float:
        """T(y) = P(V + S > y, the deal is served) for y ≥ 0 (S the member's work):
        (1 − P(W>0))e^{−μy} + ∫ p(x)Ḡ_eff(x)·P(S > y − x) dx. T(0) = 1 − P(Ab); for
        y ≥ D (a cap) T(y) = T(D)e^{−μ(y−D)}: those deals are past the wait, in work."""
        if y < 0:
            return 1.0 - self.p_abandon
        mu = self.mu
        if y > self._cap:
            return self.served_tail(self._cap) * math.exp(-mu * (y - self._cap))
        before = self._int(lambda x: self._g(x) * math.exp(-mu * (y - x)), 0.0, y)
        after = self._int(self._g, y, math.inf)
        return (1.0 - self.p_wait) * math.exp(-mu * y) + self._k * (before + after)


def mmc_patience(c: int, lam: float, mu: float, survival: Callable[[float], float],
                 integrated: Callable[[float], float], breaks: Sequence[float] = (),
                 cap: float | None = None) -> PatienceQueue:
    """The M/M/c+G queue of :class:`PatienceQueue`. ``survival(x)`` = P(τ > x),
    ``integrated(x)`` = ∫₀ˣ P(τ > u) du (= E[min(τ, x)]), ``breaks`` the points where
    Ḡ has a kink or a jump (a fixed value, a uniform's ends), ``cap`` an SLA D that also
    pulls waiting deals (None: none). Stable for every ``lam``: impatience empties the
    queue."""
    _check_servers(c)
    _check_nonnegative("arrival rate lam", lam)
    _check_positive("service rate mu", mu)
    d = math.inf if cap is None else cap
    if cap is not None:
        _check_nonnegative("cap D", cap)
    breaks = tuple(sorted({float(b) for b in breaks if 0.0 < b < d}))
    if lam == 0:
        return PatienceQueue(c, lam, mu, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, survival,
                             integrated, d, breaks, 0.0)

    def g(x: float) -> float:
        return survival(x) if x < d else 0.0

    cmu = c * mu
    # The exponent f = λH − cμx peaks where λḠ(x) = cμ (at 0 when λḠ(0) ≤ cμ).
    peak = 0.0
    if lam * g(0.0) > cmu:
        lo, hi = 0.0, 1.0
        while lam * g(hi) > cmu and hi < d:
            hi *= 2.0
        hi = min(hi, d)
        for _ in range(200):
            mid = (lo + hi) / 2.0
            if lam * g(mid) > cmu:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * hi:
                break
        peak = (lo + hi) / 2.0

    def f(x: float) -> float:
        return lam * integrated(min(x, d)) - cmu * x

    m = f(peak)
    # Right end: where f − M < −60 (e^{−60} ≈ 1e−26 of the peak), or the cap (beyond it
    # f falls linearly and its integral is closed form).
    scale = max(peak, 1.0 / max(cmu, 1e-300), 1e-9)
    end = peak + scale
    while f(end) - m > -60.0 and end < d:
        end = peak + 2.0 * (end - peak)
        if end > 1e12:
            break
    end = min(end, d)
    if c == 0:
        # Nobody is ever served: every deal waits out τ_eff.
        mean = integrated(d) if math.isfinite(d) else integrated(1e18)
        return PatienceQueue(c, lam, mu, 1.0, 1.0, survival(d) if math.isfinite(d) else 0.0,
                             mean, 0.0, 0.0, m, survival, integrated, d, breaks, end)
    q = PatienceQueue(c, lam, mu, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, m, survival, integrated, d,
                      (*breaks, peak) if peak > 0 else breaks, end)
    beyond_cap = q._w(d) / cmu if math.isfinite(d) and d <= end else 0.0
    j = q._int(lambda x: 1.0, 0.0, d) + beyond_cap
    log_k0 = math.log(lam) + _log_erlang_b(c - 1, lam / mu) + m  # ln(λE₋e^M)
    log_l = log_k0 + math.log(j)
    p_wait = 1.0 / (1.0 + math.exp(-log_l)) if log_l > -700.0 else math.exp(log_l)
    k = 1.0 / (math.exp(-log_k0) + j) if log_k0 > -700.0 else 0.0
    gone = q._int(lambda x: 1.0 - g(x), 0.0, d) + beyond_cap
    at_cap = 0.0
    if math.isfinite(d) and d <= end:
        # Left at D by the cap: V > D and still patient at D.
        at_cap = survival(d) * beyond_cap
    waited = q._int(lambda x: integrated(min(x, d)), 0.0, d)
    waited += (integrated(d) * beyond_cap) if beyond_cap else 0.0
    served_wait = q._int(lambda x: x * g(x), 0.0, d)
    p_ab = min(1.0, k * gone)
    return PatienceQueue(
        c, lam, mu, p_wait, p_ab, k * at_cap, k * waited,
        k * served_wait / (1.0 - p_ab) if p_ab < 1.0 else 0.0, k, m, survival, integrated,
        d, q._breaks, end)
