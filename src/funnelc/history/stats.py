"""The few statistics the audit needs, in plain Python (no scipy): intervals for a
share, for the difference of two shares, a two-sided test of that difference, the
corrections for many tests at once, and beta-binomial shrinkage of small samples.

Why these: a manager with 9 of 20 against a team's 300 of 600 is not "worse", and a
consultant who flags him loses the room. The Wilson interval stays honest at small
counts and at 0 or 100 %; Newcombe's interval for a difference is built from two
Wilson intervals; Holm's step-down keeps the chance of any false flag among many
managers and stages at the level asked (family-wise), Benjamini–Hochberg keeps the
expected share of false findings among many loss reasons at its level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

__all__ = ["Z95", "MIN_MONTH_DEALS", "wilson", "newcombe", "two_proportion_p", "holm", "benjamini_hochberg",
           "shrink", "funnel_limits", "chi2_sf", "changes_agree_p", "POWER", "power",
           "detectable_gap", "mantel_haenszel_p", "mantel_haenszel", "routed", "ROUTED_SHARE", "ROUTED_RATIO",
           "MIN_ROUTED", "routed_manager"]

Z95 = 1.959963984540054

MIN_MONTH_DEALS = 4
"""The fewest deals a month's conversion is read from. Below it, the month cannot say
whether its conversion was above or below half, whatever happened: none of 3 deals
converting leaves a 95 % Wilson interval of 0–56 %, all 3 one of 44–100 %; from 4 deals
on the extremes fall on one side (0–49 %, 51–100 %). A realty agency's «Бронь → Сделка»
of one deal in March, not converted, was drawn as a 0 % point and read as a collapse."""


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of the share k/n; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(k1: float, n1: float, k2: float, n2: float, z: float = Z95
             ) -> tuple[float, float, float]:
    """(p1 - p2, lower, upper): Newcombe's hybrid score interval of a difference of two
    independent shares (his method 10)."""
    p1 = k1 / n1 if n1 else 0.0
    p2 = k2 / n2 if n2 else 0.0
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def two_proportion_p(k1: float, n1: float, k2: float, n2: float) -> float:
    """Two-sided p-value of the pooled z test that two shares are equal; 1 when either
    sample is empty or nothing varies."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    p = (k1 + k2) / (n1 + n2)
    var = p * (1 - p) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    z = abs(k1 / n1 - k2 / n2) / math.sqrt(var)
    return math.erfc(z / math.sqrt(2))


def holm(pvalues: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down: which hypotheses are rejected with the family-wise error rate
    at `alpha`."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    m = len(pvalues)
    out = [False] * m
    for rank, i in enumerate(order):
        if pvalues[i] > alpha / (m - rank):
            break
        out[i] = True
    return out


def benjamini_hochberg(pvalues: Sequence[float], q: float = 0.05) -> list[bool]:
    """Benjamini–Hochberg: which are rejected with the false discovery rate at `q`."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    cut = -1
    for rank, i in enumerate(order):
        if pvalues[i] <= q * (rank + 1) / m:
            cut = rank
    out = [False] * m
    for rank, i in enumerate(order):
        out[i] = rank <= cut
    return out


def shrink(k: float, n: float, ks: Sequence[float], ns: Sequence[float]) -> float:
    """The share k/n pulled towards the group's by an empirical-Bayes beta-binomial
    prior fitted to all members (`ks`/`ns`) by the method of moments: a manager with
    3 deals lands near the team, one with 300 near his own share."""
    total_n = sum(ns)
    if total_n <= 0:
        return k / n if n else 0.0
    mu = sum(ks) / total_n
    if len(ns) < 2 or mu <= 0 or mu >= 1:
        return (k + mu) / (n + 1) if n else mu
    # Between-member variance of the true shares, net of the binomial noise.
    w = [x / total_n for x in ns]
    observed = sum(wi * ((ki / ni if ni else mu) - mu) ** 2 for wi, ki, ni in zip(w, ks, ns))
    noise = sum(wi * mu * (1 - mu) / ni for wi, ni in zip(w, ns) if ni)
    between = max(observed - noise, 1e-9)
    strength = max(mu * (1 - mu) / between - 1, 0.0)  # a + b of the beta prior
    return (k + mu * strength) / (n + strength) if n + strength > 0 else mu


def funnel_limits(p: float, n: float, z: float = Z95) -> tuple[float, float]:
    """95 % control limits of a funnel plot: where a member converting at the group's
    share `p` with `n` deals falls 95 % of the time (normal approximation)."""
    if n <= 0:
        return 0.0, 1.0
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n)
    return max(0.0, p - half), min(1.0, p + half)


def chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for X ~ chi-square with `df` (a positive whole number) degrees of
    freedom, by the closed forms of the whole-number case (no scipy on this path)."""
    if x <= 0:
        return 1.0
    half = x / 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    # Odd: erfc(√(x/2)) + √(2x/π)·e^(−x/2)·Σ x^(i−1) / (1·3·…·(2i−1)), i = 1 … (df−1)/2.
    term, series = 1.0, 0.0
    for i in range(1, (df - 1) // 2 + 1):
        term = 1.0 if i == 1 else term * x / (2 * i - 1)
        series += term
    return min(1.0, math.erfc(math.sqrt(half))
               + math.sqrt(2 * x / math.pi) * math.exp(-half) * series)


def changes_agree_p(groups: Sequence[tuple[float, float, float, float]]) -> float | None:
    """Whether groups (k1, n1, k2, n2: successes and trials in two periods) changed by
    one common amount: Cochran's Q over their changes p2 − p1, each weighted by its
    inverse variance, on chi-square with one degree fewer than the groups. The shares
    take one success and one failure more (Agresti–Caffo), so a group at 0 or 100 %
    still has a variance. A small p says the groups changed differently; None for fewer
    than two groups."""
    parts: list[tuple[float, float]] = []
    for k1, n1, k2, n2 in groups:
        if n1 <= 0 or n2 <= 0:
            continue
        p1, p2 = (k1 + 1) / (n1 + 2), (k2 + 1) / (n2 + 2)
        var = p1 * (1 - p1) / (n1 + 2) + p2 * (1 - p2) / (n2 + 2)
        parts.append((p2 - p1, 1 / var))
    if len(parts) < 2:
        return None
    total = sum(w for _, w in parts)
    mean = sum(d * w for d, w in parts) / total
    q = sum(w * (d - mean) ** 2 for d, w in parts)
    return chi2_sf(q, len(parts) - 1)


def mantel_haenszel_p(strata: Sequence[tuple[float, float, float, float]]) -> float:
    """Two-sided p-value of the Cochran–Mantel–Haenszel test that a group converts as the
    rest within every stratum: each stratum's (k1, n1, k2, n2) is the group's successes
    and trials and the rest's; the successes of the group are compared with what each
    stratum's own pooled rate gives it (hypergeometric variance, no continuity
    correction), on chi-square with one degree of freedom. A stratum where only one side
    has deals, or nothing varies, says nothing and is skipped; 1 when none is left.

    Why: routed leads entangle a source with a manager (80 % of Авито's requests to one
    manager), and a difference that vanishes within the other dimension's strata is that
    dimension's, not the group's (`entangled`)."""
    return mantel_haenszel(strata)[0]


def mantel_haenszel(strata: Sequence[tuple[float, float, float, float]]
                    ) -> tuple[float, float]:
    """`mantel_haenszel_p` and the way it goes: the group's successes over what the
    strata's pooled rates give it (positive: the group converts more).

    The sums are exact (`math.fsum`), so they do not depend on the strata's order:
    callers build strata from polars' `group_by`, whose order changes from run to run,
    and a plain running sum put different last digits into audit's `within_p`."""
    excesses: list[float] = []
    variances: list[float] = []
    for k1, n1, k2, n2 in strata:
        n = n1 + n2
        if n1 <= 0 or n2 <= 0 or n < 2:
            continue
        k = k1 + k2
        excesses.append(k1 - n1 * k / n)
        variances.append(n1 * n2 * k * (n - k) / (n * n * (n - 1)))
    excess, var = math.fsum(excesses), math.fsum(variances)
    if var <= 0:
        return 1.0, excess
    return math.erfc(abs(excess) / math.sqrt(2 * var)), excess


ROUTED_SHARE = 1 / 3
ROUTED_RATIO = 2.0


def routed(share: float, elsewhere: float) -> bool:
    """Whether a manager who works `share` of a source's deals and `elsewhere` of the
    other sources' is routed that source: at least `ROUTED_SHARE` of it and
    `ROUTED_RATIO` times the share elsewhere. «More than half» missed a junior handed 80 %
    of Авито's requests for the last three of six months (42 % of them over the six,
    5 % of the other sources'), and would call routing a manager who has 60 % of every
    source."""
    return share >= ROUTED_SHARE and share >= ROUTED_RATIO * elsewhere


MIN_ROUTED = 10
"""The fewest deals of a source a manager works for the source to be read as routed to
that manager (and a manager to a source)."""


def routed_manager(strata: dict[str, tuple[int, int, int, int]],
                   mine: dict[str, tuple[int, int]], elsewhere: dict[str, tuple[int, int]],
                   higher: bool, alpha: float) -> dict[str, object] | None:
    """A source's flagged difference read within the managers, when one manager is
    routed the source (`routed`): per manager (the key; "" for deals with none), its
    Cochran–Mantel–Haenszel stratum `strata`, its (k, n) of the source's deals `mine`
    and of the other deals `elsewhere`. None when no named manager is routed it. The
    difference is the manager's (`explained`) when it is not clear within the managers
    and the manager is itself clearly different on the other deals the same way
    (`higher`: a larger k/n, as junk; else a smaller one, as a conversion). The counts
    are `findings.Entangled`'s: the source with the other managers (`outside`), the other
    deals with the other managers (`rest`), the manager's other deals (`other`). One
    rule for a source's junk (`junk`) and its fall between periods (`sources`)."""
    total = sum(n for _k, n in mine.values())
    named = [(n, m) for m, (_k, n) in mine.items() if m and n >= MIN_ROUTED]
    if not total or not named:
        return None
    n_top, top = max(named)
    total_other = sum(n for _k, n in elsewhere.values())
    top_other = elsewhere.get(top, (0, 0))
    if not routed(n_top / total, top_other[1] / total_other if total_other else 0.0):
        return None
    within = mantel_haenszel_p(list(strata.values()))
    others = [m for m in strata if m != top]
    ok = sum(mine.get(m, (0, 0))[0] for m in others)
    on = sum(mine.get(m, (0, 0))[1] for m in others)
    rk = sum(elsewhere.get(m, (0, 0))[0] for m in others)
    rn = sum(elsewhere.get(m, (0, 0))[1] for m in others)
    tk, tn = top_other
    other_p = two_proportion_p(tk, tn, rk, rn)
    same_way = tn > 0 and rn > 0 and ((tk / tn > rk / rn) if higher else (tk / tn < rk / rn))
    return {"manager": top, "share": n_top / total, "within_p": within,
            "explained": within >= alpha and other_p < alpha and same_way,
            "outside_k": ok, "outside_n": on, "rest_k": rk, "rest_n": rn,
            "other_k": tk, "other_n": tn, "other_p": other_p}


POWER = 0.8
"""Four times in five: the usual power a study is planned for."""

_N = NormalDist()


def power(n1: float, n2: float, p1: float, p2: float, alpha: float) -> float:
    """Probability that the two-sided pooled z test at `alpha` tells `p1` (of `n1`
    deals) from `p2` (of `n2`), by the normal approximation."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    z = _N.inv_cdf(1 - alpha / 2)
    pooled = (n1 * p1 + n2 * p2) / (n1 + n2)
    null_sd = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    sd = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    d = abs(p1 - p2)
    if sd == 0:
        return 1.0 if d > 0 else 0.0
    return _N.cdf((d - z * null_sd) / sd) + _N.cdf((-d - z * null_sd) / sd)


def detectable_gap(n1: float, n2: float, p2: float, alpha: float, lower: bool,
                   target: float = POWER) -> float | None:
    """The smallest gap (a fraction, not points) below (`lower`) or above `p2` at which
    a share of `n1` deals is told from `p2` of `n2` with probability `target`; None when
    no share down to 0 % (or up to 100 %) would be."""
    room = p2 if lower else 1 - p2
    if room <= 0:
        return None

    def seen(d: float) -> float:
        return power(n1, n2, p2 - d if lower else p2 + d, p2, alpha)

    if seen(room) < target:
        return None
    lo, hi = 0.0, room
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if seen(mid) >= target else (mid, hi)
    return hi
