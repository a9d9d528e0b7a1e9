"""How visits to a stage end, read with the deals still there counted right.

A deal still open at the end of the export has not failed to move on: it was watched
for as long as it has sat there. Counting it as "did not convert" makes every old age
band of a stage look dead, because the oldest visits are mostly the open ones — in a
history that starts empty (a new account, an export of the deals created since a date)
even a stage that converts steadily at every age. Two standard tools of survival
analysis read such data without that bias:

* the **Aalen–Johansen estimator** of the cumulative incidence of each way out (moved
  on, lost for a reason, …) among the visits that reached an age, each visit in the risk
  set for exactly as long as it was watched; it says "of the deals that sat 30 days,
  x % moved on later" and leaves the rest as "still there at the longest watch";
* the **exposure test** of whether deals move on less often per day of their age after
  a cut than before it: moves forward per deal-day at risk on each side (a piecewise
  constant hazard), compared by the exact conditional binomial test (given the moves on
  both sides, each falls after the cut with the share of the deal-days that lie there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .stats import wilson

__all__ = ["Incidence", "cumulative_incidence", "incidence_interval",
           "incidence_variance", "ExposureTest",
           "exposure_test"]


@dataclass(frozen=True)
class Incidence:
    at_risk: int
    """Visits that reached the age the estimate starts from."""
    shares: dict[int, float]
    """Each way out's (by its code) cumulative incidence from that age (to the longest
    watch, or to `until`); ways that never happened are left out."""
    remaining: float
    """Still in the stage at the end of the window: 1 − the sum of `shares`."""


def _watched(durations: np.ndarray, ways: np.ndarray, since: float, until: float | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The visits that lasted at least `since` (durations, ways) and which of them ended
    by a way out before `until`: what both estimates count from."""
    d = np.asarray(durations, dtype=float)
    w = np.asarray(ways, dtype=np.int64)
    keep = d >= since
    d, w = d[keep], w[keep]
    exits = w >= 0
    if until is not None:
        exits &= d < until
    return d, w, exits


def cumulative_incidence(durations: np.ndarray, ways: np.ndarray,
                         since: float = 0.0, until: float | None = None) -> Incidence:
    """Aalen–Johansen cumulative incidence of each way out among the visits that lasted at
    least `since` (days, or any unit), counting exits before `until` only. `ways[i]` is
    visit i's way out as a code ≥ 0, −1 for a visit still open (censored at its
    duration). Vectorised: a graveyard of a million-event history has 10⁵ visits."""
    d, w, exits = _watched(durations, ways, since, until)
    n = d.size
    if n == 0:
        return Incidence(0, {}, 1.0)
    if not exits.any():
        return Incidence(n, {}, 1.0)
    order = np.sort(d)
    times, events = np.unique(d[exits], return_inverse=True)
    # At risk at t: every kept visit lasting at least t (a visit censored at t counts).
    at_risk = n - np.searchsorted(order, times, side="left")
    hazard = np.bincount(events, minlength=times.size) / at_risk
    survival_before = np.concatenate([[1.0], np.cumprod(1.0 - hazard)[:-1]])
    weight = (survival_before / at_risk)[events]
    by_way = np.bincount(w[exits], weights=weight)
    shares = {int(k): float(v) for k, v in enumerate(by_way) if v > 0}
    return Incidence(n, shares, float(np.prod(1.0 - hazard)))


def incidence_interval(durations: np.ndarray, ways: np.ndarray, of: frozenset[int],
                       since: float = 0.0, until: float | None = None
                       ) -> tuple[float, float] | None:
    """95 % interval of the cumulative incidence of the ways `of` taken together (as
    `cumulative_incidence` estimates it, to the longest watch or `until`), None when no
    visit reached `since`. The variance is the delta method's over the hazards at each
    exit time (given the visits at risk, the exits by `of` and by the other ways are
    multinomial, independent across times); with one way out it is Greenwood's, and with
    no visit still open the binomial p(1 − p)/n. The interval is Wilson's at the sample
    size that variance amounts to (p(1 − p)/variance), so it stays within 0–100 % and
    says something when nothing moved on (0 of 47: 0–7.6 %, at the visits that
    reached)."""
    got = incidence_variance(durations, ways, of, since, until)
    if got is None:
        return None
    n, total, var = got
    # All or none (to rounding: a product of a thousand hazards leaves 1e-14): the
    # binomial's k of n, as `wilson` reads it at the visits counted.
    if total <= 1e-9 or total >= 1.0 - 1e-9 or var <= 0.0:
        return wilson(min(max(total, 0.0), 1.0) * n, n)
    m = total * (1 - total) / var
    return wilson(total * m, m)


def incidence_variance(durations: np.ndarray, ways: np.ndarray, of: frozenset[int],
                       since: float = 0.0, until: float | None = None
                       ) -> tuple[int, float, float] | None:
    """The visits counted, the cumulative incidence of the ways `of` taken together and
    its delta-method variance (see `incidence_interval`); None when no visit reached
    `since`. p(1 − p)/variance is the number of fully watched visits the estimate is
    worth: what a draw of the shares (`uncertainty`) takes as its sample size."""
    d, w, exits = _watched(durations, ways, since, until)
    n = d.size
    if n == 0:
        return None
    if not exits.any():
        return n, 0.0, 0.0
    order = np.sort(d)
    times, events = np.unique(d[exits], return_inverse=True)
    at_risk = (n - np.searchsorted(order, times, side="left")).astype(float)
    mine = np.isin(w[exits], list(of))
    hk = np.bincount(events, weights=mine.astype(float), minlength=times.size) / at_risk
    ho = np.bincount(events, weights=(~mine).astype(float), minlength=times.size) / at_risk
    h = hk + ho
    s_before = np.concatenate([[1.0], np.cumprod(1.0 - h)[:-1]])
    f = np.cumsum(s_before * hk)
    total = float(f[-1])
    # dF/dh_k at time j: S(j−1) − B, dF/dh_o: −B, with B the incidence still to come
    # after j over 1 − h_j (0 where every visit left at j: nothing comes after).
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(h < 1.0, (total - f) / (1.0 - h), 0.0)
    a = s_before - b
    var = float(np.sum((a * a * hk * (1 - hk) + b * b * ho * (1 - ho) + 2 * a * b * hk * ho)
                       / at_risk))
    return n, total, var


@dataclass(frozen=True)
class ExposureTest:
    cut: float
    moves_before: int
    days_before: float
    moves_after: int
    days_after: float
    ratio: float | None
    """Moves per deal-day after the cut over those before it; None when either side has
    no deal-days or nothing moved before."""
    p_value: float
    """One-sided: the chance of so few moves after the cut if the rate per day were the
    same on both sides."""


def exposure_test(durations: np.ndarray, moved: np.ndarray, cut: float) -> ExposureTest:
    """Moves per deal-day of age below `cut` against at or above it. `moved[i]`: visit i
    ended by the move counted (its other endings and open visits only add days)."""
    # scipy.special, not scipy.stats: the same binomial tail without a second of import.
    from scipy.special import bdtr

    d = np.asarray(durations, dtype=float)
    mv = np.asarray(moved, dtype=bool)
    days_before = float(np.minimum(d, cut).sum())
    days_after = float(np.maximum(d - cut, 0.0).sum())
    before = int((mv & (d < cut)).sum())
    after = int((mv & (d >= cut)).sum())
    if days_before <= 0 or days_after <= 0 or before == 0:
        return ExposureTest(cut, before, days_before, after, days_after, None, 1.0)
    ratio = (after / days_after) / (before / days_before)
    share_after = days_after / (days_before + days_after)
    p = float(bdtr(after, before + after, share_after))
    return ExposureTest(cut, before, days_before, after, days_after, ratio, min(1.0, p))
