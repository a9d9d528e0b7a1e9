"""Streaming statistics: what one replication keeps instead of per-deal records.

Durations go into a fixed-size log-bucket histogram (1 % relative accuracy for any
quantile, 2 300 counters whatever the number of deals), after being buffered in a compact
`array('d')` that the engine appends to and the daily snapshot flushes: an append is the
only per-deal cost. A replication ends as a `RepStats`: plain numbers, cheap to pickle
back from a worker process and to merge across replications.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LogHistogram", "StageRep", "TeamRep", "PipelineRep", "SourceRep", "RepStats",
           "DailyWins", "ols_slope",
           "expected_wip", "NAN", "WEEK_QUARTERS", "week_quarter"]

NAN = float("nan")

WEEK_QUARTERS = 672
"""Quarter hours in a week: the bins of `StageRep.respond_checked_week`."""


def week_quarter(t: float) -> int:
    """The quarter hour of the week of simulation time `t` (hours from 00:00 of the start
    date), 0 … 671; bin 0 is the start date's weekday at 00:00-00:15, not Monday."""
    return math.floor(t * 4.0) % WEEK_QUARTERS


class LogHistogram:
    """Quantile sketch of non-negative durations in hours.

    Buckets are geometric with ratio 1.02 between 1e-4 h (a third of a second) and 1e6 h,
    so a reported quantile is within 1 % of a true sample quantile; values outside the
    range are clamped into the end buckets and exact zeros are counted apart. Each bucket
    also keeps the sum, the least and the greatest of its values: a quantile is the
    bucket's geometric middle held within those two (a fixed 90-day stay read «89,4 дн.»,
    the middle of its bucket, below every value recorded), and the mean is exact.

    `window` (start, end hours of the observed window, the run starting at 0 with no deal):
    a visit of length T that ended inside the window could have started at only
    end − max(T, start) of the window's end − start hours (a run starts empty, so a visit
    longer than the warm-up has lost the entries before time 0), so each bucket is weighted
    back up by (end − start) / (end − max(T, start)) (at most 10×), as `expected_wip`
    does. Without it a stage whose deals stay 90 days read its mean 88,5 дн., under the
    exact 88,8 (its short stays over-represented).
    """

    LO = 1e-4
    HI = 1e6
    RATIO = 1.02

    __slots__ = ("counts", "sums", "least", "most", "zeros", "buf", "_inv_log")

    def __init__(self) -> None:
        self._inv_log = 1.0 / math.log(self.RATIO)
        n = math.ceil(math.log(self.HI / self.LO) * self._inv_log) + 1
        self.counts = np.zeros(n, dtype=np.int64)
        self.sums = np.zeros(n, dtype=np.float64)
        self.least = np.full(n, np.inf)
        self.most = np.full(n, -np.inf)
        self.zeros = 0
        self.buf = array("d")
        """Pending values; the owner appends, `flush()` folds them into the counts."""

    def flush(self) -> None:
        if not self.buf:
            return
        x = np.frombuffer(self.buf, dtype=np.float64)
        pos = x > 0.0
        self.zeros += int(x.size - np.count_nonzero(pos))
        if pos.any():
            v = x[pos]
            idx = np.floor(np.log(np.clip(v, self.LO, self.HI) / self.LO) * self._inv_log)
            idx = np.clip(idx.astype(np.int64), 0, self.counts.size - 1)
            self.counts += np.bincount(idx, minlength=self.counts.size)
            self.sums += np.bincount(idx, weights=v, minlength=self.counts.size)
            np.minimum.at(self.least, idx, v)
            np.maximum.at(self.most, idx, v)
        del x
        self.buf = array("d")

    def reset(self) -> None:
        self.counts[:] = 0
        self.sums[:] = 0.0
        self.least[:] = np.inf
        self.most[:] = -np.inf
        self.zeros = 0
        self.buf = array("d")

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.zeros + len(self.buf)

    def middles(self) -> np.ndarray:
        """Each bucket's geometric middle, in hours."""
        return self.LO * self.RATIO ** (np.arange(self.counts.size) + 0.5)

    def weights(self, window: tuple[float, float] | None) -> np.ndarray:
        """Each bucket's weight for `window` (see the class): 1 for visits no longer than
        the warm-up, up to 10 for the longest; all 1 without a window."""
        if window is None:
            return np.ones(self.counts.size)
        start, end = window
        seen = np.maximum(end - np.maximum(self.middles(), start), (end - start) / 10.0)
        out: np.ndarray = (end - start) / seen
        return out

    def quantile(self, q: float, window: tuple[float, float] | None = None) -> float:
        """The q-quantile (0 < q < 1) of everything recorded (weighted for `window`),
        never outside the values its bucket holds; NaN when empty."""
        self.flush()
        counts = self.counts * self.weights(window)
        n = float(counts.sum()) + self.zeros
        if n == 0:
            return NAN
        rank = q * n
        if rank < self.zeros:
            return 0.0
        cum = np.cumsum(counts) + self.zeros
        i = int(np.searchsorted(cum, rank, side="right"))
        i = min(i, self.counts.size - 1)
        # Geometric middle of the bucket, within the values it holds.
        mid = float(self.LO * self.RATIO ** (i + 0.5))
        if self.counts[i] == 0:
            return mid
        return min(max(mid, float(self.least[i])), float(self.most[i]))

    def mean(self, window: tuple[float, float] | None = None) -> float:
        """The mean of everything recorded (weighted for `window`); NaN when empty."""
        self.flush()
        w = self.weights(window)
        n = float((self.counts * w).sum()) + self.zeros
        return float((self.sums * w).sum()) / n if n > 0 else NAN


def ols_slope(y: list[float]) -> tuple[float, float]:
    """Least-squares slope of y against 0, 1, 2… and its standard error; NaN when there
    are fewer than 4 points."""
    n = len(y)
    if n < 4:
        return NAN, NAN
    x = np.arange(n, dtype=float)
    yy = np.asarray(y, dtype=float)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    slope = float(xc @ (yy - yy.mean())) / sxx
    resid = yy - yy.mean() - slope * xc
    se = math.sqrt(max(float(resid @ resid), 0.0) / (n - 2) / sxx)
    return slope, se


def expected_wip(entries_cum: array[float] | list[float], hist: LogHistogram, last: int,
                 window: tuple[float, float]) -> np.ndarray:
    """The WIP the stage's own arrivals explain, at the end of each of the `last` days.

    Deals in the stage at time t are those that entered at s <= t and stayed longer than
    t - s, so with entries e_j on day j and S(u) = P(time in stage > u),
    E[WIP at the end of day t] = sum_j e_j * a_(t-j), a_k being S averaged over lags
    [24k, 24k + 24) h (entry times spread over the day): the M/G/inf occupancy
    (`analysis.queueing.mg_inf_occupancy_mean` for a constant rate), here driven by the
    simulated arrivals, so a seasonal profile, a slow start from an empty account and
    upstream stages filling up all move it exactly as they move the WIP. S is the time in
    stage of the deals that left during the observed `window` (start, end hours); a visit
    of length T ends inside it for only (end - max(T, start)) / (end - start) of the entry
    times that one of length 0 has, so long visits are weighted back up by the inverse of
    that (capped at 10x). A stage that is not piling up keeps WIP - expected level; deals
    nobody moves, or a queue that grows, make the difference grow (their time in stage is
    not in S, or grows beyond what S says).

    `entries_cum` holds the entries since the start at the end of each day, day 1 first.
    """
    cum = np.asarray(entries_cum, dtype=np.float64)
    days = cum.size
    hist.flush()
    n_left = float(hist.counts.sum()) + hist.zeros
    if days == 0 or n_left == 0:
        return np.zeros(min(last, days))
    mid = hist.middles()  # as in `quantile`
    counts = hist.counts * hist.weights(window)
    n_left = float(counts.sum()) + hist.zeros
    # G(x) = E[(T - x)+] from suffix sums over the buckets; a_k = (G(24k) - G(24k+24)) / 24.
    c_tail = np.append(np.cumsum(counts[::-1])[::-1], 0.0)
    v_tail = np.append(np.cumsum((counts * mid)[::-1])[::-1], 0.0)
    x = 24.0 * np.arange(days + 1)
    first_above = np.searchsorted(mid, x, side="right")
    g = (v_tail[first_above] - x * c_tail[first_above]) / n_left
    a = (g[:-1] - g[1:]) / 24.0
    entries = np.diff(cum, prepend=0.0)
    return np.convolve(entries, a)[:days][days - last:]


@dataclass
class StageRep:
    """One stage in one replication, over the observed window (after warm-up)."""

    entered: int = 0
    exits: list[int] = field(default_factory=list)
    """Deals that left by each route (for a `stay` route: deals that drew it)."""
    exits_weighted: list[float] = field(default_factory=list)
    """`exits` with each deal weighted for the run's empty start (`Engine._weight`): what
    the shares of the ways out are read from."""
    timeouts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    """SLA timeouts by what the deal was doing: queued, in work, in delay, parked (stay)."""
    abandoned: int = 0
    """Deals whose patience ran out while they waited for a member (they left by the
    stage's `patience` route)."""
    left: int = 0
    respond_checked: int = 0
    respond_breached: int = 0
    respond_checked_week: list[int] = field(default_factory=list)
    """`respond_checked` by the quarter hour of the week the deal entered the stage
    (`week_quarter`; empty without a respond limit): what tells a breach by a deal that
    arrived outside working hours from one that arrived inside them."""
    respond_breached_week: list[int] = field(default_factory=list)
    respond_breached_unqueued_week: list[int] = field(default_factory=list)
    """Of `respond_breached_week`, the deals that were not waiting in the team's queue when
    their limit ran out: in a cadence stage, deals whose first worked touch was not due
    yet (or that have none). No team size picks them up in time; the rest breached
    waiting for a member (or for the team to open)."""
    entered_week: list[int] = field(default_factory=list)
    """`entered` by the quarter hour of the week, on a stage with a `patience` (else
    empty): with `abandoned_week`, splits abandonments as the respond lists split
    breaches."""
    abandoned_week: list[int] = field(default_factory=list)
    time_mean: float = NAN
    time_p50: float = NAN
    time_p90: float = NAN
    time_p99: float = NAN
    picks: int = 0
    wait_mean: float = NAN
    wip_mean: float = 0.0
    wip_final: int = 0
    wip_daily: list[float] = field(default_factory=list)
    age_final_mean: float = NAN
    """Mean age (hours since entry) of the deals still in the stage at the horizon."""
    age_final_sla_mean: float = NAN
    """The same age counted the way the stage's SLA counts (working hours with a calendar)."""
    slope: float = NAN
    """Daily WIP growth over the second half of the observed window (deals per day)."""
    slope_se: float = NAN
    excess_slope: float = NAN
    """Daily growth, over the second half of the window, of the WIP beyond what the
    stage's arrivals explain (`expected_wip`): what the graveyard verdict tests."""
    excess_slope_se: float = NAN
    arrival_rate: float = 0.0
    """Entries per hour."""


@dataclass
class TeamRep:
    busy_hours: float = 0.0
    available_hours: float = 0.0
    utilization: float = NAN
    queue_mean: float = 0.0
    queue_max: int = 0
    queue_final: int = 0


@dataclass
class PipelineRep:
    started: int = 0
    won: int = 0
    won_value: float = 0.0
    """Value of the wins that book revenue here (`PipelineSpec.books`): every win of a
    `sales` pipeline when the file declares one, else those not handed on with `then
    copy` (a handoff passes the value to its copy, which books it when it is won)."""
    via_won: int = 0
    """Booking wins in other pipelines of deals that left this one by a `then copy`
    since their chain last booked (booked there, in their `won_value`)."""
    via_value: float = 0.0
    """Their value: what this pipeline brought, already in the winners' revenue."""
    via_to: list[str] = field(default_factory=list)
    """The pipelines those wins were booked in."""
    lost: dict[str, int] = field(default_factory=dict)
    reopened: dict[str, int] = field(default_factory=dict)
    cycle_won_mean: float = NAN
    cycle_won_p50: float = NAN
    cycle_won_p90: float = NAN
    cycle_won_p99: float = NAN
    cycle_closed_mean: float = NAN


@dataclass
class SourceRep:
    """One source in one replication, over the observed window: what its money figures
    are made of (costs from `leads`, revenue from the wins that book it, of the deals it
    brought, their `then copy` copies included)."""

    leads: int = 0
    won: int = 0
    won_value: float = 0.0


@dataclass
class WarmRep:
    """What became of the open deals of a warm start, per stage of origin (lists indexed
    like the network's stages), counted from t=0 whatever the warm-up."""

    deals: list[int]
    won: list[int]
    won_value: list[float]
    """Value booked by their wins (a handoff books at the copy)."""
    lost: list[int]
    """Lost for good (a deal lost and waiting to be reopened is still open)."""
    open_final: list[int]


@dataclass
class DailyWins:
    """Wins of one replication per simulated day (index: whole days since t=0), of one
    (pipeline the win is in, origin): what a forecast adds up by week and month. `origin`
    is the network stage index an open deal of the warm start was in at t=0 (a copy made
    by `then copy` keeps its parent's), or -1 for a deal that arrived during the run."""

    pipeline: str
    origin: int
    won: list[int]
    handed_on: list[int]
    """Of `won`, the wins handed on with `then copy` (the copy's own win comes later):
    without `sales` pipelines the account counts a deal once, at its final win; with them
    it counts every win of a sales pipeline, handed on or not (`routing.sales_pipelines`)."""
    value: list[float]
    """Revenue booked per day, where `PipelineRep.won_value` books it (a sale handed on
    to production books here; a handoff without `sales` pipelines books at the copy)."""


@dataclass
class RepStats:
    rep: int
    observed_hours: float
    stages: list[StageRep]
    teams: list[TeamRep]
    pipelines: list[PipelineRep]
    deals_created: int = 0
    revenue_won: float = 0.0
    open_final: int = 0
    events: int = 0
    warm: WarmRep | None = None
    """Open deals of a warm start (`SimConfig.open_deals`), None without them."""
    daily_wins: list[DailyWins] = field(default_factory=list)
    """Wins per day by pipeline and origin, with `SimConfig.daily_wins` (else empty)."""
    sources: list[SourceRep] = field(default_factory=list)
    """Per source of the network (its order), then one for the deals no source brought
    during the run (a warm start's open deals): leads and the wins that book revenue."""
