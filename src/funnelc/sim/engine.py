"""The discrete-event engine: one replication of a compiled account on SimPy's clock.

Design (why it looks like this):

* SimPy's `Environment` keeps the clock and the event heap, but deals are not processes:
  every future happening is a bare event carrying a callback and a payload (`_Call`).
  A generator process per deal costs 3-5x more per deal in SimPy.
  A deal is itself the event of its end of work and a source the event of its next
  arrival, so the two hottest happenings allocate nothing. SimPy is driven through its
  public API (`schedule`, `run`, `now`); the one detail below it (how an event is marked
  as succeeded) lives in `simpy_adapter.py`, which says why and is tested per release.
* Timers are never searched for or removed. An SLA timer, an `after` delay or a cadence
  wait carries the deal's version stamp taken when it was set; the deal's version moves on
  whenever it enters or leaves a stage, so a stale timer finds a different number and does
  nothing. Team queues skip entries whose deal has moved on the same way (and are rebuilt
  once dead entries outnumber live ones). Timers more than a day ahead wait in a second
  heap that a daily sweep drains, so thousands of parked deals with SLA timers do not
  deepen the heap every event goes through; the sweep drops the ones already stale (most
  SLA deadlines: the deal left in time), which then never become events. Nothing scans
  waiting deals: the cost per event does not grow with the backlog.
* The cyclic garbage collector is off during a run: nothing the engine creates per deal
  forms a cycle, and the collector would only rescan the growing heap again and again.
* Statistics stream into counters, time integrals and quantile sketches; a deal that
  nobody will ever move again (a `stay` share without an SLA) is not even kept in memory
  unless per-deal records were asked for.
* Random numbers come in blocks from one stream per purpose and per stage/source/outcome
  (see `rng.py`), so a change to one stage never shifts another stage's draws.

Semantics are documented in README "Simulation semantics"; `engine.Deal` states:
QUEUED (waiting for a member), WORK (a member works it), DELAY (its outcome is drawn and
it waits the outcome's `after`), STAY (nobody moves it), CADENCE (waiting for the next
touch), LIMBO (lost, waiting to be reopened), GONE (won or lost for good).
"""

from __future__ import annotations

import gc
import math
from array import array
from collections import deque
from collections.abc import Callable
from datetime import date
from functools import partial
from itertools import count
from typing import Any

import numpy as np

from ..limits import DEFAULT_MAX_DEALS
from .budget import DealLimitExceeded
from .calendar import WorkCalendar
from .compile import Network, RouteSpec, StageSpec
from .config import SimConfig
from .dists import Sampler
from .residual import Ways, pick, way_out
from .residual import draw as residual_draw
from .rng import stream
from .simpy_adapter import NORMAL, Callbacks, Happening, new_environment, scheduler
from .stats import (
    NAN,
    WEEK_QUARTERS,
    DailyWins,
    LogHistogram,
    PipelineRep,
    RepStats,
    SourceRep,
    StageRep,
    TeamRep,
    WarmRep,
    expected_wip,
    ols_slope,
    week_quarter,
)
from .warm import OpenDeal, warm_plan

__all__ = ["Engine", "Deal", "TIMEOUT_KINDS", "run_replication"]

QUEUED, WORK, DELAY, STAY, CADENCE, LIMBO, GONE = range(7)

K_STAGE, K_WON, K_LOST, K_STAY = range(4)
_KIND = {"stage": K_STAGE, "won": K_WON, "lost": K_LOST, "stay": K_STAY}

TO_QUEUED, TO_WORK, TO_DELAY, TO_PARKED, ABANDONED = range(5)
TIMEOUT_KINDS = ("queued", "in_work", "in_delay", "parked")
LEAVE_KINDS = (*TIMEOUT_KINDS, "abandoned")
"""How a deal left other than by an outcome, as per-deal records write it: by the SLA
(what it was doing then) or, `abandoned`, by its patience while queued."""

FAR = 24.0
"""Hours: a timer further ahead than this waits in the far heap (see `Engine._at`)."""

UNPICKED = -math.inf
"""`Deal.picked` of a deal no member has picked up in its stage (tested as `< -1e300`,
a constant, as cheap as the `< 0.0` it replaces: warm-start deals carry negative times)."""

WARM_TRIES = 32
"""Draws of (work, outcome, delay) tried per open deal before it counts as overdue and
the same law is computed instead of sampled (see `Engine._warm_deal`, `residual`)."""
TOUCH_MADE_H = 24.0
"""A warm-start deal's cadence touch due more than this many hours before t=0 was made
(and, the deal being still there, not answered); a later one may still wait in the
team's queue and is made at t=0."""

COMPACT_SLACK = 1024
"""Dead queue entries tolerated beyond the live ones before a queue is rebuilt."""

FLUSH_AT = 4096
"""Buffered durations folded into a sketch at the next day's end once this many wait:
numpy's per-call cost is paid per 4096 deals, and memory stays 8 bytes per pending one."""

RecordFn = Callable[[tuple[Any, ...]], Any]


class _Call(Happening):
    """A future happening: a callback with a payload (a team's calendar change, a day's
    end, a reopening), in SimPy's own slot for an event's value. `callbacks` is a tuple
    made once per engine, so scheduling allocates nothing but this two-slot object."""

    __slots__ = ("_value",)

    def __init__(self, callbacks: Callbacks, value: Any) -> None:
        self.callbacks = callbacks
        self._value = value


class _Timer(Happening):
    """A deal's versioned timer (SLA, `after` delay, cadence touch, patience, end of
    ownerless work): the deal and its version stamp when the timer was set. It does
    nothing once the deal's version has moved on (see the module docstring), so a far
    one found stale by `Engine._sweep` is dropped there, never scheduled."""

    __slots__ = ("d", "ver")
    d: Deal
    ver: int

    def __init__(self, callbacks: Callbacks, d: Deal) -> None:
        self.callbacks = callbacks
        self.d = d
        self.ver = d.ver


class _Tally:
    """Money counts of one source in the observed window: leads it brought, and the wins
    that book revenue (and their value) of the deals it brought, copies included. The
    engine keeps one more for the deals no source brought during the run (a warm start's
    open deals)."""

    __slots__ = ("leads", "won", "value")

    def __init__(self) -> None:
        self.leads = 0
        self.won = 0
        self.value = 0.0


class Deal(Happening):
    """A deal. It is also the event of its own end of work (at most one member works a
    deal at a time), which saves creating an event object per pick-up; `work` without an
    owner in a stage with an SLA is a versioned timer instead (the SLA may end it)."""

    __slots__ = ("id", "value", "st", "entered", "ver", "state", "born", "picked",
                 "queued_at", "pending", "touch", "sla_hit", "wentered", "resp_by", "src")
    callbacks: Callbacks | None
    id: int
    value: float
    src: _Tally
    """The tally of the source that brought the deal (a copy keeps its parent's)."""
    st: _Stage
    """The stage the deal is in (or was last in)."""
    entered: float
    ver: int
    """Version stamp: moves on at every entry and exit; timers carry the one they saw."""
    state: int
    born: float
    """When the deal started in its pipeline (cycle time)."""
    picked: float
    """First pick-up in the current stage; `UNPICKED` before it (an open deal of a warm
    start may have been picked up before t=0, at a negative time)."""
    queued_at: float
    pending: _Route
    """The outcome a deal in DELAY will take when its delay ends."""
    touch: int
    sla_hit: bool
    """The SLA ran out while a member worked the deal: the action follows the work."""
    wentered: float
    """Working-hours clock at entry (for the SLA age with a calendar)."""
    resp_by: float

    def __init__(self, id: int, value: float, born: float) -> None:
        # Only what is read before being written; every other slot is set on the path
        # that later reads it (entry sets the clocks, queueing sets queued_at, …).
        self.id = id
        self.value = value
        self.born = born
        self.ver = 0
        self.sla_hit = False


_new = object.__new__


def _unqueued(d: Deal) -> bool:
    """A deal breaching its respond limit, never picked up, was not waiting in its team's
    queue when the limit ran out: in a cadence stage its first worked touch was not due
    yet (or it has none), so no team size could have picked it up in time. A plain
    stage's deal queues at entry (or, with a team but no work, is never queued)."""
    return not (d.state == QUEUED and d.entered <= d.queued_at <= d.resp_by)


def _entries(t: _Team) -> int:
    """Entries in a team's queue, those of deals that left it included."""
    return len(t.q) if t.fifo else sum(map(len, t.q))


def _count_breach(st: _Stage, d: Deal, unqueued: bool) -> None:
    """One respond breach decided in the window, in the stage's totals and its entry's
    quarter of the week; `unqueued`: the deal was not waiting in the team's queue when
    the limit ran out (the cadence's breaches, not the team's)."""
    q = week_quarter(d.entered)
    st.resp_n += 1
    st.resp_b += 1
    st.resp_nw[q] += 1
    st.resp_bw[q] += 1
    if unqueued:
        st.resp_uw[q] += 1


def _uniforms(g: np.random.Generator, n: int) -> np.ndarray:
    """n uniforms in [0, 1)."""
    return g.random(n)


def _route_indices(k: int, probs: np.ndarray, g: np.random.Generator, n: int) -> np.ndarray:
    """n route indices drawn with the stage's shares."""
    return g.choice(k, n, p=probs)


class _Route:
    __slots__ = ("kind", "stage", "reason", "after", "copy", "idx", "label", "spec")

    def __init__(self, spec: RouteSpec, idx: int, after: Sampler | None, label: str) -> None:
        self.spec = spec
        self.kind = _KIND[spec.kind]
        self.stage: _Stage | None = None
        self.reason = spec.reason
        self.after = after
        self.copy: _Stage | None = None
        self.idx = idx
        self.label = label


class _Team:
    __slots__ = ("name", "size", "free", "open", "fifo", "q", "qlen", "qarea", "qlast", "qmax",
                 "barea", "blast", "cal", "changes", "seq", "lo")

    def __init__(self, name: str, size: int, cal: WorkCalendar, fifo: bool) -> None:
        self.name = name
        self.size = size
        self.free = size
        self.open = True
        self.fifo = fifo
        self.q: Any = deque() if fifo else []
        """FIFO: one deque of (deal, version). `key-first`: one deque per queue rank of
        the stages the team serves, in rank order (`_Stage.qi`), served from the first
        non-empty one (stages of equal rank share one, in order of arrival):
        the order of a heap on (rank, arrival) at O(1) a deal, where a heap of thousands
        of waiting deals (a warm start's backlog) cost ~1 µs more per push and pop."""
        self.lo = 0
        """`key-first`: every deque of `q` before this index is empty, so the search for
        the first non-empty one starts here: a backlog in the last of nine ranks cost
        seven empty deques looked at per pick-up (cottages.funnel)."""
        self.qlen = 0
        self.qarea = 0.0
        self.qlast = 0.0
        self.qmax = 0
        self.barea = 0.0
        self.blast = 0.0
        self.cal = cal
        self.changes: Any = None
        self.seq = count()


class _Pipe:
    __slots__ = ("name", "idx", "books", "started", "won", "won_value", "lost", "reopened",
                 "reopens", "cyc_won", "cyc_won_sum", "cyc_lost_sum", "lost_n", "limbo",
                 "via_won", "via_value", "via_to")

    def __init__(self, name: str, idx: int = 0, books: bool | None = None) -> None:
        self.name = name
        self.idx = idx
        self.books = books
        """Which wins book revenue (`PipelineSpec.books`): None, those not handed on with
        `then copy`; True, every one (a `sales` pipeline); False, none."""
        self.started = 0
        self.won = 0
        self.won_value = 0.0
        self.via_won = 0
        """Booking wins in another pipeline of deals that went through this one (left it
        by a `then copy`) since their chain's previous booking: counted there, once; this
        says what the pipeline brings."""
        self.via_value = 0.0
        self.via_to: set[int] = set()
        """Indices of the pipelines those wins were booked in."""
        self.lost: dict[str, int] = {}
        self.reopened: dict[str, int] = {}
        self.reopens: dict[str, tuple[Sampler, list[tuple[float, Sampler | None, _Stage]]]] = {}
        self.cyc_won = LogHistogram()
        self.cyc_won_sum = 0.0
        self.cyc_lost_sum = 0.0
        self.lost_n = 0
        self.limbo = 0


class _Stage:
    __slots__ = (
        "spec", "idx", "pipe", "team", "work", "free_work", "routes", "single", "choice",
        "direct", "clocks", "patience", "pat_route", "sla", "sla_route", "respond", "cad_off",
        "cad_p",
        "cad_work", "cad_n", "cad_reply",
        "cad_exhausted", "replies", "rank", "qi", "cal_sla", "unpicked",
        # statistics
        "entered", "wip", "area", "last", "sum_in", "sum_win", "left", "hist",
        "exits", "wexits", "to", "resp_n", "resp_b", "resp_nw", "resp_bw", "resp_uw", "pat_nw", "pat_bw",
        "wait_sum", "picks", "daily",
        "in_base", "daily_in")

    def __init__(self, spec: StageSpec) -> None:
        self.spec = spec
        self.idx = spec.index
        self.pipe: _Pipe | None = None
        self.team: _Team | None = None
        self.work: Sampler | None = None
        self.free_work: Sampler | None = None
        self.routes: list[_Route] = []
        self.single: _Route | None = None
        self.direct: _Route | None = None
        """The single route when it moves the deal at once (no draw, no delay, not stay)."""
        self.choice: Sampler | None = None
        self.sla = spec.sla_hours
        self.sla_route: _Route | None = None
        # Respond is about a member picking the deal up: without one it is not measured.
        self.respond = spec.respond_hours if spec.team >= 0 else None
        self.cad_off: tuple[float, ...] | None = None
        self.cad_p: tuple[float, ...] = ()
        self.cad_work: list[Sampler | None] = []
        self.cad_n = 0
        self.cad_reply: _Route | None = None
        self.cad_exhausted: _Route | None = None
        self.replies: Sampler | None = None
        self.unpicked: dict[int, Deal] | None = (
            {} if spec.cadence is not None and self.respond is not None else None)
        """A cadence stage with a respond limit: its deals no member has picked up yet, by
        id. Until its first worked touch falls due such a deal waits on a timer, in no
        team's queue, so the horizon's count of breaches (`_count_breaches_still_waiting`)
        reads them here."""
        self.rank = spec.queue_rank
        self.qi = 0
        """This stage's deque in its team's `key-first` queue (see `_Team.q`)."""
        self.cal_sla: WorkCalendar | None = None
        self.clocks = False
        """Entry needs `_start_clocks` (an SLA, a respond limit, or records)."""
        self.patience: Sampler | None = None
        """Patience of a deal that has to queue (drawn only for those)."""
        self.pat_route: _Route | None = None
        self.entered = 0
        self.wip = 0
        self.area = 0.0
        self.last = 0.0
        self.sum_in = 0.0
        self.sum_win = 0.0
        self.left = 0
        self.hist = LogHistogram()
        self.exits = [0] * len(spec.routes)
        self.wexits = [0.0] * len(spec.routes)
        """`exits` with each deal weighted for the run's empty start (`Engine._weight`)."""
        self.to = [0, 0, 0, 0, 0]
        """SLA timeouts by `TIMEOUT_KINDS`, then abandonments (patience)."""
        self.resp_n = 0
        self.resp_b = 0
        self.resp_nw: list[int] = [0] * WEEK_QUARTERS if self.respond is not None else []
        self.resp_bw: list[int] = [0] * WEEK_QUARTERS if self.respond is not None else []
        """`resp_n`, `resp_b` by the quarter hour of the week the deal entered (`week_quarter`)."""
        self.resp_uw: list[int] = [0] * WEEK_QUARTERS if self.respond is not None else []
        """Of `resp_bw`, the breaches of deals that were not waiting in the team's queue
        when their limit ran out (`_unqueued`): in a cadence stage, a first worked touch
        not due yet; no team size picks those up in time."""
        self.pat_nw: list[int] = []
        self.pat_bw: list[int] = []
        """With a `patience`: entries and abandonments by the quarter hour of the week the
        deal entered (what splits abandonments by arrival inside/outside working hours)."""
        self.wait_sum = 0.0
        self.picks = 0
        self.daily = array("d")
        self.in_base = 0
        """Entries before the end of warm-up (`entered` restarts from 0 there)."""
        self.daily_in = array("d")
        """Entries since the start (warm-up included) at the end of each day."""


class _Source(Happening):
    """A source. It is also the event of its own next arrival (one is pending at a time)."""

    callbacks: Callbacks | None
    __slots__ = ("stage", "values", "exp", "inv", "const", "mi", "ends", "rates", "pipe",
                 "tally")

    def __init__(self, stage: _Stage, values: Sampler | None, exp: Sampler, per_hour: float,
                 profile: tuple[float, ...], start: date, horizon: float) -> None:
        self.stage = stage
        self.values = values
        self.exp = exp
        self.tally = _Tally()
        self.const = all(p == 1.0 for p in profile)
        self.inv = 1.0 / per_hour if per_hour > 0 else math.inf
        self.mi = 0
        self.ends: list[float] = []
        self.rates: list[float] = []
        if not self.const:
            y, mo = start.year, start.month
            origin = date(start.year, start.month, start.day)
            while not self.ends or self.ends[-1] < horizon:
                ny, nmo = (y + 1, 1) if mo == 12 else (y, mo + 1)
                end = (date(ny, nmo, 1) - origin).days * 24.0
                self.ends.append(end)
                self.rates.append(per_hour * profile[mo - 1])
                y, mo = ny, nmo

    def next_gap(self, t: float) -> float:
        """Hours from t to the next arrival: unit-rate exponential gaps mapped through the
        cumulative intensity (rate piecewise constant per calendar month).

        A gap, not a time, because SimPy schedules by delay: within t's own month the gap
        is `e / r`, so the clock's `t + gap` is the arrival time bit for bit; an arrival in
        a later month is `time - t` (SimPy adds t back, as for every timer)."""
        e = self.exp.take()
        if self.const:
            return e * self.inv
        i = self.mi
        ends, rates = self.ends, self.rates
        n = len(ends)
        start = t
        while i < n:
            r = rates[i]
            if r > 0.0:
                gap = e / r
                nt = t + gap
                if nt < ends[i]:
                    self.mi = i
                    return gap if t == start else nt - start
                e -= (ends[i] - t) * r
            t = ends[i]
            i += 1
        self.mi = n
        return math.inf


class _WarmDraws:
    """A stage's draws for open deals of a warm start, from streams of their own (purpose
    "warm"), so that how many deals are open never shifts the draws of new deals."""

    __slots__ = ("work", "choice", "afters", "routes", "single", "_key", "_gen", "_dist",
                 "_ways", "_u", "_queues")

    def __init__(self, st: _Stage, gen: Callable[..., np.random.Generator]) -> None:
        spec = st.spec
        sk = (spec.pipeline_name, spec.name)
        work = spec.work if (st.work is not None or st.free_work is not None) else None
        self._key = sk
        self._gen = gen
        self._dist = work
        self._ways: Ways | None = None
        self._u: Sampler | None = None
        self._queues = st.work is not None
        """Its deals wait in a team's queue for their work (an owner and `work`)."""
        self.work = Sampler(work, gen("warm", *sk, "work"), 64) if work is not None else None
        self.routes = st.routes
        self.single = st.single
        self.choice = (Sampler.of(partial(_route_indices, len(spec.routes), np.array(
            [r.share for r in spec.routes], dtype=float) / sum(r.share for r in spec.routes)),
            gen("warm", *sk, "outcomes"), 64) if st.single is None and st.routes else None)
        self.afters = [Sampler(rs.after, gen("warm", *sk, str(i)), 64)
                       if rs.after is not None and rs.kind != "stay" else None
                       for i, rs in enumerate(spec.routes)]

    def draw(self, age: float) -> tuple[float, _Route, float]:
        """(work left, outcome, delay left after the work) of a deal `age` hours into
        the stage, given that it is still there (see `Engine._warm_deal`)."""
        r = self.single
        for _ in range(WARM_TRIES):
            w = self.work.take() if self.work is not None else 0.0
            if self.single is None:
                r = self.routes[int(self.choice.take())]  # type: ignore[union-attr]
            assert r is not None
            after = self.afters[r.idx]
            dd = math.inf if r.kind == K_STAY else (after.take() if after is not None
                                                     else 0.0)
            if w + dd > age or age <= 0.0:
                if w > age:
                    return w - age, r, 0.0
                return 0.0, r, w + dd - age
        assert r is not None
        if self._queues:
            # The age may be a wait for a member, which the funnel does not describe (a
            # weekend, a backlog): it says nothing of the way out (see `Engine._warm_deal`).
            after = self.afters[r.idx]
            return 0.0, r, after.take() if after is not None else 0.0
        return self._overdue(age, r)

    def _overdue(self, age: float, last: _Route) -> tuple[float, _Route, float]:
        """`draw` for a deal no try explained: the same conditional law computed from
        the distributions (`residual`), from a stream of its own ("overdue"), so that
        the draws of every other deal stay as they were. A deal that outlived every way
        out takes the longest-lasting one by share (`last`, the last way drawn by the
        shares, if it is one of them, else one of them drawn) and its delay afresh, as
        every overdue deal did before: the same numbers where all ways last as long."""
        ways, u = self._ways, self._u
        if ways is None or u is None:
            ways = self._ways = tuple(
                (r.spec.share, r.kind == K_STAY, None if r.kind == K_STAY else r.spec.after)
                for r in self.routes)
            u = self._u = Sampler.of(_uniforms, self._gen("warm", *self._key, "overdue"), 64)
        plan = way_out(self._dist, ways, age)
        if plan.outlived:
            r = last
            if all(w.route != r.idx for w in plan.ways):
                r = self.routes[pick(plan, 1.0 - u.take()).route]
            after = self.afters[r.idx]
            return 0.0, r, after.take() if after is not None else 0.0
        w, k, dd = residual_draw(plan, self._dist, ways, age, 1.0 - u.take(),
                                 1.0 - u.take(), 1.0 - u.take())
        return w, self.routes[k], dd


class Engine:
    """One replication. Build, optionally `preload`, then `run()` for a `RepStats`."""

    def __init__(self, net: Network, config: SimConfig, rep: int,
                 record: RecordFn | None = None) -> None:
        self.net = net
        self.config = config
        self.rep = rep
        self.horizon = config.horizon_hours
        self.warmup = config.warmup_hours
        self._w_span = self.horizon - self.warmup
        self._w_floor = self._w_span / 10.0
        self.env = new_environment()
        self._sched = scheduler(self.env)
        self._on_arrive = (self._arrive,)
        self._on_done = (self._done,)
        self._on_free_done = (self._free_done,)
        self._on_free_timer = (self._free_timer,)
        self._on_sla = (self._sla,)
        self._on_patience = (self._patience,)
        self._on_delay = (self._delay_done,)
        self._on_touch = (self._touch_timer,)
        self._on_reopen = (self._reopen,)
        self._on_change = (self._change,)
        self._on_reset = (self._reset,)
        self._on_day = (self._day,)
        self._on_sweep = (self._sweep,)
        self._far: dict[float, list[tuple[float, int, Any]]] = {}
        """Far timers as (due, sequence, event) by the day they fall in (`due // FAR`,
        exact): a sweep takes the days it covers and sorts them, in the order a heap would
        pop them, where a heap of 10 000 parked deals' timers paid ~1 µs per timer."""
        self._far_seq = count()
        self._record = record
        self._open: dict[int, Deal] | None = {} if record is not None else None
        self._ids = count(1)
        self._other = _Tally()
        """Money counts of the deals no source brought during the run (warm start)."""
        self._max_deals = config.max_deals if config.max_deals is not None else DEFAULT_MAX_DEALS
        """Deals this replication may create (`budget`): memory stays bounded whatever
        the flows do, copies that multiply included."""
        self.observed_from = 0.0
        self._warm_lo = 1
        self._warm_hi = 0
        """Ids of the open deals of a warm start: `_warm_lo` .. `_warm_hi` (none: 1 .. 0)."""
        self._warm_origin: list[int] = []
        self._warm_stats: WarmRep | None = None
        self._daily: dict[tuple[str, int], DailyWins] | None = (
            {} if config.daily_wins else None)
        """Wins per day by (pipeline, origin), with `config.daily_wins`."""
        self._copy_origin: dict[int, int] = {}
        """Copy id → origin, for copies (`then copy`) of open deals, with `_daily`."""
        self._via: dict[int, int] = {}
        """Copy id → bit mask of the pipelines its chain left by a `then copy` since the
        chain last booked revenue (bit = pipeline index): at the win that books it, each of
        them (but the winner's) is credited with the win in `_Pipe.via_won`/`via_value`.
        A sale handed on (`won then copy` in a `sales` pipeline) books, so its copy starts
        a new mask with only that pipeline. Only copies have an entry."""
        seed = config.seed
        start = config.start

        def gen(purpose: Any, *names: str) -> np.random.Generator:
            return stream(seed, rep, purpose, *names)

        self._gen = gen

        self.sla_cal = WorkCalendar.from_hours(net.account_hours, start)
        self._work_cal = None if self.sla_cal.always_open else self.sla_cal
        """The account's calendar when SLA and respond limits count working hours."""
        self.pipes = [_Pipe(p.name, i, p.books) for i, p in enumerate(net.pipelines)]
        self.teams = [_Team(t.name, t.size, WorkCalendar.from_hours(t.hours, start),
                            not net.key_first) for t in net.teams]
        self.stages = [_Stage(s) for s in net.stages]
        stage_labels = list(net.stages)
        for st, spec in zip(self.stages, net.stages):
            sk = (spec.pipeline_name, spec.name)
            st.pipe = self.pipes[spec.pipeline]
            if spec.team >= 0:
                st.team = self.teams[spec.team]
                if spec.work is not None and spec.cadence is None:
                    st.work = Sampler(spec.work, gen("work", *sk))
            elif spec.work is not None and spec.cadence is None:
                st.free_work = Sampler(spec.work, gen("work", *sk))
            if spec.patience is not None and spec.patience_route is not None:
                st.patience = Sampler(spec.patience, gen("delays", *sk, "patience"))
                st.pat_route = _Route(spec.patience_route, -1, None,
                                      spec.patience_route.label(stage_labels))
                st.pat_nw = [0] * WEEK_QUARTERS
                st.pat_bw = [0] * WEEK_QUARTERS
            if spec.sla_hours is not None:
                st.cal_sla = None if self.sla_cal.always_open else self.sla_cal
            for i, rs in enumerate(spec.routes):
                after = Sampler(rs.after, gen("delays", *sk, str(i))) if rs.after else None
                st.routes.append(_Route(rs, i, after, rs.label(stage_labels)))
            if spec.sla_route is not None:
                st.sla_route = _Route(spec.sla_route, -1, None, spec.sla_route.label(stage_labels))
            if spec.cadence is not None:
                cad = spec.cadence
                st.cad_off = cad.offsets
                st.cad_p = cad.reply
                st.cad_n = len(cad.offsets)
                st.cad_work = [Sampler(w, gen("work", *sk, f"touch{k}"))
                               if (w is not None and st.team is not None) else None
                               for k, w in enumerate(cad.work)]
                st.cad_reply = st.routes[cad.on_reply]
                st.cad_exhausted = st.routes[cad.on_exhausted]
                st.replies = Sampler.of(lambda g, n: g.random(n), gen("replies", *sk))
            elif len(st.routes) == 1:
                st.single = st.routes[0]
                if st.single.after is None and st.single.kind != K_STAY:
                    st.direct = st.single
            else:
                probs = np.array([r.share for r in spec.routes], dtype=float)
                probs = probs / probs.sum()
                k = len(probs)
                st.choice = Sampler.of(partial(_route_indices, k, probs), gen("outcomes", *sk))
        for t in self.teams:
            if not t.fifo:
                ranks = sorted({st.rank for st in self.stages if st.team is t})
                for st in self.stages:
                    if st.team is t:
                        st.qi = ranks.index(st.rank)
                t.q = [deque() for _ in ranks]
        for st in self.stages:
            st.clocks = st.sla is not None or st.respond is not None or record is not None
            for r in (st.routes + ([st.sla_route] if st.sla_route else [])
                      + ([st.pat_route] if st.pat_route else [])):
                if r.spec.stage >= 0:
                    r.stage = self.stages[r.spec.stage]
                if r.spec.copy_to >= 0:
                    r.copy = self.stages[r.spec.copy_to]
        for ps, pipe in zip(net.pipelines, self.pipes):
            for reason, reopens in ps.reopens.items():
                cum = 0.0
                table: list[tuple[float, Sampler | None, _Stage]] = []
                for j, ro in enumerate(reopens):
                    cum += ro.share
                    after = (Sampler(ro.after, gen("reopens", ps.name, reason, str(j)))
                             if ro.after is not None else None)
                    table.append((cum, after, self.stages[ro.stage]))
                u = Sampler.of(lambda g, n: g.random(n), gen("reopens", ps.name, reason))
                pipe.reopens[reason] = (u, table)
        self.sources = [
            _Source(self.stages[s.stage],
                    Sampler(s.value, gen("values", s.name)) if s.value is not None else None,
                    Sampler.of(lambda g, n: g.exponential(1.0, n), gen("arrivals", s.name)),
                    s.per_hour, s.profile, start, self.horizon)
            for s in net.sources]

    # ------------------------------------------------------------------ scheduling

    def _later(self, delay: float, callbacks: tuple[Callable[[Any], None], ...], value: Any
               ) -> None:
        self._at(_Call(callbacks, value), delay)

    def _at(self, ev: Any, delay: float) -> None:
        """Schedule `ev` after `delay`: into SimPy's heap when it is near, else into the
        far heap, which `_sweep` drains a day ahead. Far timers (SLA deadlines of parked
        deals, long delays) thus never deepen the heap every other event goes through, so
        a backlog of waiting deals costs nothing per event."""
        if delay < FAR:
            self._sched(ev, NORMAL, delay)
        else:
            due = self.env.now + delay
            if due < self.horizon:  # one due at the horizon or later would never fire
                item = (due, next(self._far_seq), ev)
                day = self._far.get(due // FAR)
                if day is None:
                    self._far[due // FAR] = [item]
                else:
                    day.append(item)

    def _sweep(self, ev: _Call) -> None:
        now = self.env.now
        far = self._far
        limit = now + 2 * FAR
        top = limit // FAR
        due_soon: list[tuple[float, int, Any]] = []
        # Every timer due before `now + FAR` was taken by an earlier sweep; one day back
        # is a margin. The days wholly before `limit`, then the part of `top` before it.
        day = float(now // FAR - 1)
        while day < top:
            got = far.pop(day, None)
            if got is not None:
                due_soon += got
            day += 1.0
        part = far.get(top)
        if part is not None and top * FAR < limit:
            due_soon += [x for x in part if x[0] < limit]
            far[top] = [x for x in part if x[0] >= limit]
        # A stale timer would do nothing when it fires: most are SLA deadlines of stages
        # their deals have left. Dropping them keeps the order of the others (SimPy breaks
        # ties by the order of scheduling, which stays the same) and spares their events.
        due_soon = [x for x in due_soon if type(x[2]) is not _Timer or x[2].d.ver == x[2].ver]
        due_soon.sort()  # by (due, sequence): sequences are unique, events never compared
        sched = self._sched
        for due, _, item in due_soon:
            sched(item, NORMAL, due - now)
        if now + FAR < self.horizon:
            self._sched(_Call(self._on_sweep, None), NORMAL, FAR)

    # ------------------------------------------------------------------ public hooks

    def preload(self, stage_index: int, n: int) -> None:
        """Put n deals into a stage at time 0, as if an existing backlog were imported
        (used by benchmarks and tests; they enter exactly like new deals)."""
        st = self.stages[stage_index]
        for _ in range(n):
            d = self._new_deal(0.0, st)
            self._enter(d, st, 0.0)

    # ------------------------------------------------------------------ warm start

    def _warm_start(self, deals: tuple[OpenDeal, ...]) -> None:
        """Put the open deals of `config.open_deals` into their stages at t=0.

        They take ids `_warm_lo` .. `_warm_hi` in the order given (records tell them
        apart by that range and by an entry time before 0) and enter oldest first, so a
        FIFO queue serves them in the order they entered. They do not count as entries
        or as pipeline starts of the run (they entered before it), but they hold WIP,
        meet the teams, win, lose and book revenue like any deal, and `RepStats.warm`
        counts what became of them per stage of origin."""
        plan = warm_plan(self.net, deals)
        where = plan.where
        lo = next(self._ids)
        n = len(deals)
        if lo + n - 1 > self._max_deals:
            raise DealLimitExceeded(self._max_deals, self.rep)
        self._ids = count(lo + n)
        self._warm_lo, self._warm_hi = lo, lo + n - 1
        self._warm_origin = where
        k = len(self.stages)
        self._warm_stats = warm = WarmRep(deals=[0] * k, won=[0] * k, won_value=[0.0] * k,
                                          lost=[0] * k, open_final=[0] * k)
        draws: dict[int, _WarmDraws] = {}
        stages = self.stages
        entered, value, born = plan.entered, plan.value, plan.born
        for i in plan.order:
            st = stages[where[i]]
            wd = draws.get(st.idx)
            if wd is None:
                wd = draws[st.idx] = _WarmDraws(st, self._gen)
            e = entered[i]
            d = Deal(lo + i, value[i], born[i])
            d.src = self._other
            warm.deals[st.idx] += 1
            self._warm_deal(d, st, e, wd)

    def _warm_deal(self, d: Deal, st: _Stage, e: float, wd: _WarmDraws) -> None:
        """One open deal, in stage `st` since `e` (<= 0), at t=0.

        Its clocks run from its real entry: an SLA or respond limit counts from `e` (one
        already run out fires at t=0), a cadence's touches are due at `e` + offset.
        Its remaining stay is the *conditional residual*: (work, outcome, delay) are
        drawn as for a new deal until work + delay exceeds the age `a` = -e (rejection
        sampling, exact for every distribution), i.e. given that it has not left yet. A
        deal old enough to fall in the `stay` share is more likely to be there; a deal
        whose work would outlast `a` is being worked (it keeps a free member for the
        rest of it, or waits in the queue for a fresh work draw when none is free: the
        time it already waited is unknown, so the draw assumes none); otherwise it waits
        out the rest of its outcome's delay. A deal that no draw in `WARM_TRIES` explains
        is overdue, and the same law is computed from the distributions (`residual`):
        outcome r with probability ∝ share_r × P(work + delay_r > a), the rest of its
        stay given it exceeds a, from a stream of its own; the draws of the other deals
        do not move. One that outlived every outcome (beyond a uniform's upper bound)
        takes the longest-lasting one (by share among ties) and its delay afresh. In a
        stage whose deals wait in a team's queue for their work (an owner and `work`),
        the age may be a wait for a member (a weekend, a backlog) that the funnel does
        not describe, so it says nothing of the outcome: an overdue deal there takes the
        outcome by the shares and its delay afresh (memoryless; exact for `exp`). In a
        cadence stage the touches due before t=0 are taken as
        made without a reply (it is still there), except the latest when it fell due in
        the last `TOUCH_MADE_H` hours or closes the cadence: that one may still wait in
        the queue and is made at t=0."""
        st.wip += 1
        st.sum_in += e
        d.st = st
        d.entered = e
        d.ver += 1
        d.picked = UNPICKED
        if self._open is not None:
            self._open[d.id] = d
        if st.sla is not None:
            # At t=0 a deadline is its delay; one at the horizon or later never fires
            # (`_at` would drop it), so it is not even made (months-long SLAs of parked
            # deals, thousands of them in a forecast).
            cal = st.cal_sla
            if cal is None:
                due = max(0.0, e + st.sla)
                if due < self.horizon:
                    self._at(_Timer(self._on_sla, d), due)
            else:
                d.wentered = cal.clock(e)
                st.sum_win += d.wentered
                due = max(0.0, cal.add(e, st.sla))
                if due < self.horizon:
                    self._at(_Timer(self._on_sla, d), due)
        if st.respond is not None:
            d.resp_by = (e + st.respond if self.sla_cal.always_open
                         else self.sla_cal.add(e, st.respond))
        age = -e
        if st.cad_off is not None:
            offs = st.cad_off
            touch = 0
            while touch + 1 < st.cad_n and offs[touch + 1] <= age:
                touch += 1
            if touch + 1 < st.cad_n and age - offs[touch] > TOUCH_MADE_H:
                # Made long ago and not answered (the deal is still here): making it
                # again at t=0 gave every parked deal a second chance to reply.
                touch += 1
            d.touch = touch
            if touch > 0 and st.team is not None:
                d.picked = e  # earlier touches were made (when exactly is unknown)
            elif st.unpicked is not None:
                st.unpicked[d.id] = d
            self._touch_due(d, st, 0.0)
            return
        work_left, r, delay_left = wd.draw(age)
        if work_left > 0.0:
            t = st.team
            if t is None:
                self._free_work(d, st, work_left)
            elif t.free > 0 and t.open and t.qlen == 0:
                t.free -= 1
                d.state = WORK
                d.picked = e
                d.callbacks = self._on_done
                self._at(d, work_left)
            else:
                self._enqueue(t, d, 0.0)
            return
        if st.team is not None:
            d.picked = e
        if r.kind == K_STAY:
            d.state = STAY
        else:
            d.state = DELAY
            d.pending = r
            self._at(_Timer(self._on_delay, d), delay_left)

    def _warm_closed(self, d: Deal, won: bool, value: float) -> None:
        """An open deal of the warm start (or a reopened one) is won or lost for good."""
        if d.id < self._warm_lo:
            return
        w: WarmRep = self._warm_stats  # type: ignore[assignment]
        o = self._warm_origin[d.id - self._warm_lo]
        if won:
            w.won[o] += 1
            w.won_value[o] += value
        else:
            w.lost[o] += 1

    def _origin(self, deal_id: int) -> int:
        """The stage index an open deal of the warm start was in at t=0 (a copy: its
        parent's), or -1 for a deal that arrived during the run."""
        if self._warm_lo <= deal_id <= self._warm_hi:
            return self._warm_origin[deal_id - self._warm_lo]
        return self._copy_origin.get(deal_id, -1)

    def _daily_win(self, deal_id: int, p: _Pipe, now: float, handed_on: bool,
                   value: float) -> None:
        """Count a win on its day for `RepStats.daily_wins`, with `value` the revenue it
        books (0 for a handoff or a fulfilment win, see `_leave`)."""
        assert self._daily is not None
        key = (p.name, self._origin(deal_id))
        row = self._daily.get(key)
        if row is None:
            days = self.config.days
            row = self._daily[key] = DailyWins(key[0], key[1], [0] * days, [0] * days,
                                               [0.0] * days)
        day = min(int(now // 24.0), len(row.won) - 1)
        row.won[day] += 1
        if handed_on:
            row.handed_on[day] += 1
        row.value[day] += value

    def run(self) -> RepStats:
        env = self.env
        for src in self.sources:
            t = src.next_gap(0.0)
            if t < self.horizon:
                src.callbacks = self._on_arrive
                self._at(src, t)
        for team in self.teams:
            team.open = team.cal.is_open(0.0)
            team.changes = team.cal.changes(0.0)
            self._next_change(team)
        if self.horizon > FAR:
            self._sched(_Call(self._on_sweep, None), NORMAL, FAR)
        if self.config.open_deals:
            self._warm_start(self.config.open_deals)
        if self.warmup > 0:
            self._later(self.warmup, self._on_reset, None)
        # Daily snapshots from day 1: WIP is kept for the observed days only, entries for
        # every day (the expected WIP is a convolution over all of them).
        self.first_day = int(self.warmup // 24)
        if self.config.days > 1:
            self._later(24.0, self._on_day, 1)
        # Deals, events and timers never form reference cycles (a deal points at its
        # stage, never back), so reference counting frees them all; the cyclic collector
        # would only rescan the growing event heap again and again. It is switched off
        # for the run, and the engine's own cycles (bound methods) are broken after it.
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            env.run(until=self.horizon)
            return self._finish()
        finally:
            self._release()
            if gc_was_on:
                gc.enable()

    def _release(self) -> None:
        """Drop the bound-method tuples and pending events so that the engine is freed by
        reference counting as soon as its caller lets go of it."""
        for name in ("_on_arrive", "_on_done", "_on_free_done", "_on_free_timer", "_on_sla",
                     "_on_patience", "_on_delay",
                     "_on_touch", "_on_reopen", "_on_change", "_on_reset", "_on_day",
                     "_on_sweep"):
            setattr(self, name, ())
        del self.env  # and with it the heap of pending events and their callbacks
        self._far.clear()
        for t in self.teams:
            t.q.clear()
            t.changes = None

    # ------------------------------------------------------------------ arrivals and deals

    def _new_deal(self, now: float, st: _Stage, value: float = 0.0) -> Deal:
        st.pipe.started += 1  # type: ignore[union-attr]
        i = next(self._ids)
        if i > self._max_deals:
            raise DealLimitExceeded(self._max_deals, self.rep)
        d = Deal(i, value, now)
        d.src = self._other
        return d

    def _arrive(self, ev: _Source) -> None:
        src: _Source = ev
        now = self.env.now
        if src.const:
            buf = src.exp.buf
            gap = (buf.pop() if buf else src.exp.take()) * src.inv
        else:
            gap = src.next_gap(now)
        nt = now + gap
        if nt < self.horizon:
            src.callbacks = self._on_arrive
            if nt - now < FAR:
                self._sched(src, NORMAL, gap)
            else:
                self._at(src, nt - now)
        st = src.stage
        st.pipe.started += 1  # type: ignore[union-attr]
        # Deal(...) without the call frame of __init__: this is once per deal.
        d = _new(Deal)
        d.id = i = next(self._ids)
        if i > self._max_deals:
            raise DealLimitExceeded(self._max_deals, self.rep)
        d.value = src.values.take() if src.values is not None else 0.0
        d.src = tally = src.tally
        tally.leads += 1
        d.born = now
        d.ver = 0
        d.sla_hit = False
        self._enter(d, st, now)

    def _enter(self, d: Deal, st: _Stage, now: float) -> None:
        st.area += st.wip * (now - st.last)
        st.last = now
        st.wip += 1
        st.entered += 1
        if st.pat_nw:
            st.pat_nw[week_quarter(now)] += 1
        st.sum_in += now
        d.st = st
        d.entered = now
        d.ver += 1
        d.picked = UNPICKED
        if st.clocks:
            self._start_clocks(d, st, now)
        if st.cad_off is not None:
            d.touch = 0
            if st.unpicked is not None:
                st.unpicked[d.id] = d
            self._touch_due(d, st, now)
        elif st.team is not None:
            t = st.team
            if t.free > 0 and t.open and t.qlen == 0:
                # `_start` for a deal picked up the moment it arrives (the common case in
                # a stable team), inlined: no wait to record, always its first pick-up.
                t.barea += (t.size - t.free) * (now - t.blast)
                t.blast = now
                t.free -= 1
                d.state = WORK
                d.picked = now
                st.picks += 1
                if st.respond is not None:
                    st.resp_n += 1
                    st.resp_nw[week_quarter(now)] += 1
                w = st.work
                buf = w.buf  # type: ignore[union-attr]
                d.callbacks = self._on_done
                dt = buf.pop() if buf else w.take()  # type: ignore[union-attr]
                if dt < FAR:
                    self._sched(d, NORMAL, dt)
                else:
                    self._at(d, dt)
            else:
                self._enqueue(t, d, now)
        elif st.free_work is not None:
            self._free_work(d, st, st.free_work.take())
        else:
            self._decide(d, st, now)

    def _free_work(self, d: Deal, st: _Stage, dt: float) -> None:
        """Start `dt` hours of `work` without an owner: a plain delay, nobody's time.
        Without an SLA nothing can interrupt it, so the deal is its own event (no
        allocation); with one the SLA may end it first (`_sla`: the action applies at
        once, as in an `after` delay), so its end is a timer with the deal's version
        stamp, which then finds a deal that has moved on and does nothing."""
        d.state = WORK
        if st.sla is None:
            d.callbacks = self._on_free_done
            self._at(d, dt)
        else:
            self._at(_Timer(self._on_free_timer, d), dt)

    def _start_clocks(self, d: Deal, st: _Stage, now: float) -> None:
        """SLA timer, respond limit, record keeping: what only some stages need at entry."""
        if self._open is not None:
            self._open[d.id] = d
        cal = self._work_cal
        if cal is None:
            if st.sla is not None:
                self._at(_Timer(self._on_sla, d), st.sla)
            if st.respond is not None:
                d.resp_by = now + st.respond
            return
        if st.sla is None and st.respond is None:
            return  # clocks only for the records
        # The account's calendar is read once for the clock, the deadline and the limit.
        w = cal.worked(now)
        if st.sla is not None:
            d.wentered = w - cal.base  # `cal.clock(now)`
            st.sum_win += d.wentered
            due = cal.add_worked(now, w, st.sla)
            if due < math.inf:
                self._at(_Timer(self._on_sla, d), due - now)
        if st.respond is not None:
            d.resp_by = cal.add_worked(now, w, st.respond)

    def _decide(self, d: Deal, st: _Stage, now: float) -> None:
        """Draw the outcome of a stage and act on it."""
        r = st.single
        if r is None:
            ch: Sampler = st.choice  # type: ignore[assignment]
            buf = ch.buf  # `ch.take()` without its call (as for every per-deal draw)
            r = st.routes[buf.pop() if buf else ch.take()]  # type: ignore[call-overload]
        if r.kind == K_STAY:
            st.exits[r.idx] += 1
            st.wexits[r.idx] += self._weight(now - d.entered)
            d.state = STAY
            return
        if r.after is not None:
            d.state = DELAY
            d.pending = r
            buf = r.after.buf
            self._at(_Timer(self._on_delay, d), buf.pop() if buf else r.after.take())
            return
        self._leave(d, st, r, now, -1)

    def _weight(self, t: float) -> float:
        """A deal leaving after `t` hours in the stage, as the observed window (warm-up to
        horizon) would count it with no empty start: a visit that long could have ended in
        the window only if it began at `max(t, warm-up)` or later, so it counts
        span / (horizon − max(t, warm-up)), at most 10, as `LogHistogram.weights` weighs
        the time in stage. A run starts empty: unweighted, a stage's long ways out lost the
        exits of the deals that would have entered before time 0 (a 120-day way out
        declared 50% read 42.4% beside a 1-day one)."""
        if t <= self.warmup:
            return 1.0
        return self._w_span / max(self.horizon - t, self._w_floor)

    def _leave(self, d: Deal, st: _Stage, r: _Route, now: float, timeout: int) -> None:
        st.area += st.wip * (now - st.last)
        st.last = now
        st.wip -= 1
        st.sum_in -= d.entered
        if st.cal_sla is not None:
            st.sum_win -= d.wentered
        dt = now - d.entered
        st.hist.buf.append(dt)
        if timeout < 0:
            st.exits[r.idx] += 1
            st.wexits[r.idx] += (1.0 if dt <= self.warmup else  # `_weight(dt)`, inlined
                                 self._w_span / max(self.horizon - dt, self._w_floor))
        else:
            st.to[timeout] += 1
        if st.respond is not None and d.picked < -1e300:
            # Left without ever being picked up: a breach once the limit has run out,
            # decided when it ran out (counted only if that is in the observed window).
            if st.unpicked is not None:
                st.unpicked.pop(d.id, None)
            if now < d.resp_by:
                st.resp_n += 1
                st.resp_nw[week_quarter(d.entered)] += 1
            elif d.resp_by >= self.observed_from:
                _count_breach(st, d, _unqueued(d))
        d.ver += 1
        if self._record is not None:
            self._emit(d, st, now, r.label, LEAVE_KINDS[timeout] if timeout >= 0 else "")
        k = r.kind
        if r.copy is not None:
            copy = self._new_deal(now, r.copy, d.value)
            copy.src = d.src
            pipe_bit = 1 << st.pipe.idx  # type: ignore[union-attr]
            # A sale handed on books here (below): the chain's next booking is brought
            # by the pipelines it leaves from now on, this one first.
            sale = k == K_WON and st.pipe.books  # type: ignore[union-attr]
            self._via[copy.id] = pipe_bit if sale else self._via.get(d.id, 0) | pipe_bit
            if self._daily is not None:
                o = self._origin(d.id)
                if o >= 0:
                    self._copy_origin[copy.id] = o
            self._enter(copy, r.copy, now)
        if k == K_STAGE:
            self._enter(d, r.stage, now)  # type: ignore[arg-type]
        elif k == K_WON:
            d.state = GONE
            p = st.pipe
            p.won += 1  # type: ignore[union-attr]
            books = p.books  # type: ignore[union-attr]
            # Where revenue is booked (`routing.sales_pipelines`, as `analysis.markov`
            # counts it). With `sales` pipelines declared, at every win in them, handed on
            # to production or not, and a repeat order copied back into sales books again;
            # a win elsewhere is a handoff or fulfilment. Without, once per copy chain, at
            # its final win: a win that hands the deal on (`won then copy`) passes the
            # same value to its copy, which books it when it is won.
            booked = books if books is not None else r.copy is None
            if booked:
                p.won_value += d.value  # type: ignore[union-attr]
                tally = d.src
                tally.won += 1
                tally.value += d.value
                if self._via:
                    via = self._via.pop(d.id, 0) & ~(1 << p.idx)  # type: ignore[union-attr]
                    if via:
                        self._credit_via(via, p.idx, d.value)  # type: ignore[union-attr]
            elif self._via:
                self._via.pop(d.id, None)  # a copy carries the mask on, if any
            cycle = now - d.born
            p.cyc_won_sum += cycle  # type: ignore[union-attr]
            p.cyc_won.buf.append(cycle)  # type: ignore[union-attr]
            if d.id <= self._warm_hi:
                self._warm_closed(d, True, d.value if booked else 0.0)
            if self._daily is not None:
                self._daily_win(d.id, p, now, r.copy is not None,  # type: ignore[arg-type]
                                d.value if booked else 0.0)
        elif k == K_LOST:
            self._lost(d, st.pipe, r.reason, now)  # type: ignore[arg-type]
        else:  # an SLA whose target is `stay` cannot be written; keep the deal parked
            d.state = STAY

    def _credit_via(self, via: int, winner: int, value: float) -> None:
        """A booking win in pipeline `winner` of a chain that went through the pipelines
        of bit mask `via` (`_via`): each of them brought it."""
        for q in self.pipes:
            if via >> q.idx & 1:
                q.via_won += 1
                q.via_value += value
                q.via_to.add(winner)

    def _lost(self, d: Deal, p: _Pipe, reason: str, now: float) -> None:
        ro = p.reopens.get(reason)
        if ro is not None:
            u = ro[0].take()
            for cum, after, stage in ro[1]:
                if u < cum:
                    p.reopened[reason] = p.reopened.get(reason, 0) + 1
                    p.limbo += 1
                    d.state = LIMBO
                    self._later(after.take() if after is not None else 0.0, self._on_reopen,
                                (d, stage))
                    return
        d.state = GONE
        if self._via:
            self._via.pop(d.id, None)  # lost for good: its chain brings no win
        if d.id <= self._warm_hi:
            self._warm_closed(d, False, 0.0)
        p.lost[reason] = p.lost.get(reason, 0) + 1
        p.lost_n += 1
        p.cyc_lost_sum += now - d.born

    def _reopen(self, ev: _Call) -> None:
        d, stage = ev._value
        stage.pipe.limbo -= 1
        self._enter(d, stage, self.env.now)

    # ------------------------------------------------------------------ timers

    def _sla(self, ev: _Timer) -> None:
        d = ev.d
        if d.ver != ev.ver:
            return
        st = d.st
        now = self.env.now
        state = d.state
        if state == WORK:
            if st.team is not None:
                d.sla_hit = True  # the member finishes; the timeout applies at the end of work
                return
            # `work` without an owner is nobody's time (production, a supplier, the
            # client's own process): a plain delay, which the CRM's timer ends at once.
            kind = TO_DELAY
        elif state == QUEUED:
            t: _Team = st.team  # type: ignore[assignment]  # only owned stages queue
            t.qarea += t.qlen * (now - t.qlast)
            t.qlast = now
            t.qlen -= 1
            kind = TO_QUEUED
            if _entries(t) > 2 * t.qlen + COMPACT_SLACK:
                self._compact(t)
        elif state == STAY:
            kind = TO_PARKED
        else:
            kind = TO_DELAY
        self._leave(d, st, st.sla_route, now, kind)  # type: ignore[arg-type]

    def _patience(self, ev: _Timer) -> None:
        """A deal's patience ran out: it leaves only if it is still waiting in the queue
        (a deal being worked, or past its work, stays: patience is about waiting)."""
        d = ev.d
        if d.ver != ev.ver or d.state != QUEUED:
            return
        st = d.st
        now = self.env.now
        t: _Team = st.team  # type: ignore[assignment]  # only owned stages queue
        t.qarea += t.qlen * (now - t.qlast)
        t.qlast = now
        t.qlen -= 1
        if _entries(t) > 2 * t.qlen + COMPACT_SLACK:
            self._compact(t)
        st.pat_bw[week_quarter(d.entered)] += 1
        self._leave(d, st, st.pat_route, now, ABANDONED)  # type: ignore[arg-type]

    def _delay_done(self, ev: _Timer) -> None:
        d = ev.d
        if d.ver != ev.ver:
            return
        self._leave(d, d.st, d.pending, self.env.now, -1)

    def _free_done(self, d: Deal) -> None:
        """The end of `work` without an owner in a stage without an SLA."""
        self._decide(d, d.st, self.env.now)

    def _free_timer(self, ev: _Timer) -> None:
        """The end of `work` without an owner in a stage with an SLA, unless the SLA
        ended it first (the deal's version has moved on)."""
        d = ev.d
        if d.ver != ev.ver:
            return
        self._decide(d, d.st, self.env.now)

    # ------------------------------------------------------------------ teams

    def _enqueue(self, t: _Team, d: Deal, now: float) -> None:
        d.state = QUEUED
        d.queued_at = now
        if t.free > 0 and t.open and t.qlen == 0:
            self._start(t, d, now)
            return
        t.qarea += t.qlen * (now - t.qlast)
        t.qlast = now
        t.qlen += 1
        if t.qlen > t.qmax:
            t.qmax = t.qlen
        if t.fifo:
            t.q.append((d, d.ver))
        else:
            i = d.st.qi
            t.q[i].append((d, d.ver))
            if i < t.lo:
                t.lo = i
        pat = d.st.patience
        if pat is not None:
            self._at(_Timer(self._on_patience, d), pat.take())

    def _start(self, t: _Team, d: Deal, now: float) -> None:
        t.barea += (t.size - t.free) * (now - t.blast)
        t.blast = now
        t.free -= 1
        d.state = WORK
        st = d.st
        st.wait_sum += now - d.queued_at
        st.picks += 1
        if d.picked < -1e300:
            d.picked = now
            if st.respond is not None:
                if st.unpicked is not None:
                    st.unpicked.pop(d.id, None)
                # A pick-up in time keeps the promise now; a late one broke it when the
                # limit ran out, so a breach of the warm-up is not the window's.
                if now <= d.resp_by:
                    st.resp_n += 1
                    st.resp_nw[week_quarter(d.entered)] += 1
                elif d.resp_by >= self.observed_from:
                    # unqueued: its touch fell due after the limit
                    _count_breach(st, d, d.queued_at > d.resp_by)
        w: Sampler = st.work if st.cad_off is None else st.cad_work[d.touch]  # type: ignore[assignment]
        buf = w.buf
        d.callbacks = self._on_done
        dt = buf.pop() if buf else w.take()
        if dt < FAR:
            self._sched(d, NORMAL, dt)
        else:
            self._at(d, dt)

    def _compact(self, t: _Team) -> None:
        """Drop the entries of deals that left the queue by their SLA.

        They are normally skipped when they reach the head; but under `key-first` a
        low-priority entry may never reach it while urgent work keeps coming, and a team
        closed for a long time never pops at all. Rebuilding once the dead entries
        outnumber the live ones keeps memory bounded at an amortised O(1) per timeout."""
        if t.fifo:
            t.q = deque(e for e in t.q if e[0].ver == e[1] and e[0].state == QUEUED)
        else:
            t.q = [deque(e for e in b if e[0].ver == e[1] and e[0].state == QUEUED)
                   for b in t.q]

    def _dispatch(self, t: _Team, now: float) -> None:
        q = t.q
        fifo = t.fifo
        while t.free > 0 and t.qlen > 0:
            if fifo:
                d, ver = q.popleft()
            else:
                i = t.lo
                while not q[i]:  # qlen > 0: some deque from `lo` on holds an entry
                    i += 1
                t.lo = i
                d, ver = q[i].popleft()
            if d.ver != ver or d.state != QUEUED:
                continue
            t.qarea += t.qlen * (now - t.qlast)
            t.qlast = now
            t.qlen -= 1
            self._start(t, d, now)
        if t.qlen == 0:
            if fifo:
                q.clear()
            else:
                for b in q:
                    b.clear()

    def _done(self, d: Deal) -> None:
        now = self.env.now
        st = d.st
        t: _Team = st.team  # type: ignore[assignment]  # only owned stages queue
        t.barea += (t.size - t.free) * (now - t.blast)
        t.blast = now
        t.free += 1
        if t.qlen and t.open:
            self._dispatch(t, now)
        if d.sla_hit:
            d.sla_hit = False
            self._leave(d, st, st.sla_route, now, TO_WORK)  # type: ignore[arg-type]
        elif st.cad_off is not None:
            self._touched(d, st, now)
        elif st.direct is not None:
            self._leave(d, st, st.direct, now, -1)
        else:
            self._decide(d, st, now)

    def _next_change(self, t: _Team) -> None:
        for when, opens in t.changes:
            if when < self.horizon:
                self._later(max(0.0, when - self.env.now), self._on_change, (t, opens))
            break

    def _change(self, ev: _Call) -> None:
        t, opens = ev._value
        t.open = opens
        if opens and t.qlen:
            self._dispatch(t, self.env.now)
        self._next_change(t)

    # ------------------------------------------------------------------ cadences

    def _touch_due(self, d: Deal, st: _Stage, now: float) -> None:
        due = d.entered + st.cad_off[d.touch]  # type: ignore[index]
        if due > now:
            d.state = CADENCE
            self._at(_Timer(self._on_touch, d), due - now)
        else:
            self._touch(d, st, now)

    def _touch_timer(self, ev: _Timer) -> None:
        d = ev.d
        if d.ver != ev.ver:
            return
        self._touch(d, d.st, self.env.now)

    def _touch(self, d: Deal, st: _Stage, now: float) -> None:
        if st.cad_work[d.touch] is not None:
            self._enqueue(st.team, d, now)  # type: ignore[arg-type]
        else:
            self._touched(d, st, now)

    def _touched(self, d: Deal, st: _Stage, now: float) -> None:
        """A touch is done: the first reply routes on, the last unanswered one gives up."""
        rs: Sampler = st.replies  # type: ignore[assignment]
        buf = rs.buf
        if (buf.pop() if buf else rs.take()) < st.cad_p[d.touch]:
            r = st.cad_reply
        else:
            d.touch += 1
            if d.touch < st.cad_n:
                self._touch_due(d, st, now)
                return
            r = st.cad_exhausted
        if r.kind == K_STAY:  # type: ignore[union-attr]
            st.exits[r.idx] += 1  # type: ignore[union-attr]
            st.wexits[r.idx] += self._weight(now - d.entered)  # type: ignore[union-attr]
            d.state = STAY
            return
        self._leave(d, st, r, now, -1)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ observation

    def _emit(self, d: Deal, st: _Stage, now: float | None, outcome: str, timeout: str) -> None:
        if self._open is not None and now is not None:
            self._open.pop(d.id, None)
        spec = st.spec
        self._record((self.rep, d.id, spec.pipeline_name, spec.name,  # type: ignore[misc]
                      d.entered, d.picked if d.picked > -1e300 else None, now, outcome, timeout))

    def _reset(self, ev: _Call) -> None:
        """End of warm-up: forget everything measured so far, keep the state."""
        now = self.env.now
        self.observed_from = now
        for st in self.stages:
            st.area = 0.0
            st.last = now
            st.in_base += st.entered
            st.entered = 0
            st.hist.reset()
            st.exits = [0] * len(st.exits)
            st.wexits = [0.0] * len(st.wexits)
            st.to = [0, 0, 0, 0, 0]
            st.resp_n = st.resp_b = 0
            st.resp_nw = [0] * len(st.resp_nw)
            st.resp_bw = [0] * len(st.resp_bw)
            st.resp_uw = [0] * len(st.resp_uw)
            st.pat_nw = [0] * len(st.pat_nw)
            st.pat_bw = [0] * len(st.pat_bw)
            st.wait_sum = 0.0
            st.picks = 0
        for t in self.teams:
            t.qarea = 0.0
            t.qlast = now
            t.qmax = t.qlen
            t.barea = 0.0
            t.blast = now
        for p in self.pipes:
            p.started = p.won = p.via_won = 0
            p.won_value = p.via_value = 0.0
            p.via_to = set()
            p.lost = {}
            p.reopened = {}
            p.cyc_won.reset()
            p.cyc_won_sum = p.cyc_lost_sum = 0.0
            p.lost_n = 0
        for tally in (*(src.tally for src in self.sources), self._other):
            tally.leads = tally.won = 0
            tally.value = 0.0

    def _day(self, ev: _Call) -> None:
        day: int = ev._value
        observed = day > self.first_day
        for st in self.stages:
            st.daily_in.append(float(st.in_base + st.entered))
            if observed:
                st.daily.append(float(st.wip))
            if len(st.hist.buf) >= FLUSH_AT:
                st.hist.flush()
        for p in self.pipes:
            if len(p.cyc_won.buf) >= FLUSH_AT:
                p.cyc_won.flush()
        if day + 1 < self.config.days:
            self._later(24.0, self._on_day, day + 1)

    def _count_breaches_still_waiting(self, now: float) -> None:
        """A deal still in its stage at the horizon, never picked up, whose respond limit
        ran out in the window: its breach is known, though it was never picked up nor
        left (an overloaded team's queue is mostly these). One still inside its limit is
        not counted at all: whether it will be answered in time is not known. Such deals
        wait in a team's queue, or, in a cadence stage, also on the timer of a first
        worked touch not due yet (or parked after touches that take no member): those
        stages list their unpicked deals (`_Stage.unpicked`). One scan at the end, not a
        cost per event."""
        t0 = self.observed_from
        seen: set[int] = set()

        def breach(d: Deal) -> None:
            seen.add(d.id)
            _count_breach(d.st, d, _unqueued(d))

        for t in self.teams:
            for queue in ((t.q,) if t.fifo else t.q):
                for d, ver in queue:
                    if d.ver != ver or d.state != QUEUED or d.picked > -1e300:
                        continue
                    st = d.st
                    if (st.respond is None or st.unpicked is not None
                            or not t0 <= d.resp_by < now or d.id in seen):
                        continue
                    breach(d)
        for st in self.stages:
            if st.unpicked is None:
                continue
            for d in st.unpicked.values():
                if d.st is st and d.picked < -1e300 and t0 <= d.resp_by < now:
                    breach(d)

    def _finish(self) -> RepStats:
        now = self.horizon
        span = now - self.observed_from
        window = (self.observed_from, now)
        self._count_breaches_still_waiting(now)
        stages: list[StageRep] = []
        for st in self.stages:
            left = sum(st.exits) + sum(st.to) - sum(st.exits[r.idx] for r in st.routes
                                                     if r.kind == K_STAY)
            st.area += st.wip * (now - st.last)
            st.last = now
            st.daily.append(float(st.wip))
            st.daily_in.append(float(st.in_base + st.entered))
            half = st.daily[len(st.daily) // 2:]
            slope, se = ols_slope(half.tolist())
            expected = expected_wip(st.daily_in, st.hist, len(st.daily), window)
            excess = np.frombuffer(st.daily, dtype=np.float64) - expected
            xslope, xse = ols_slope(excess[len(excess) // 2:].tolist())
            age = now - st.sum_in / st.wip if st.wip else NAN
            age_sla = NAN
            if st.sla is not None and st.wip:
                age_sla = (self.sla_cal.clock(now) - st.sum_win / st.wip
                           if st.cal_sla is not None else age)
            stages.append(StageRep(
                entered=st.entered, exits=list(st.exits), exits_weighted=list(st.wexits),
                timeouts=st.to[:4],
                abandoned=st.to[ABANDONED], left=left,
                respond_checked=st.resp_n, respond_breached=st.resp_b,
                respond_checked_week=st.resp_nw, respond_breached_week=st.resp_bw,
                respond_breached_unqueued_week=st.resp_uw,
                entered_week=st.pat_nw, abandoned_week=st.pat_bw,
                time_mean=st.hist.mean(window) if left else NAN,
                time_p50=st.hist.quantile(0.5, window), time_p90=st.hist.quantile(0.9, window),
                time_p99=st.hist.quantile(0.99, window), picks=st.picks,
                wait_mean=st.wait_sum / st.picks if st.picks else NAN,
                wip_mean=st.area / span, wip_final=st.wip, wip_daily=st.daily.tolist(),
                age_final_mean=age, age_final_sla_mean=age_sla, slope=slope, slope_se=se,
                excess_slope=xslope, excess_slope_se=xse,
                arrival_rate=st.entered / span))
        teams: list[TeamRep] = []
        for t in self.teams:
            t.barea += (t.size - t.free) * (now - t.blast)
            t.qarea += t.qlen * (now - t.qlast)
            avail = t.size * t.cal.hours_between(self.observed_from, now)
            teams.append(TeamRep(
                busy_hours=t.barea, available_hours=avail,
                utilization=t.barea / avail if avail > 0 else NAN, queue_mean=t.qarea / span,
                queue_max=t.qmax, queue_final=t.qlen))
        pipes: list[PipelineRep] = []
        for p in self.pipes:
            pipes.append(PipelineRep(
                started=p.started, won=p.won, won_value=p.won_value, lost=dict(p.lost),
                via_won=p.via_won, via_value=p.via_value,
                via_to=[self.pipes[i].name for i in sorted(p.via_to)],
                reopened=dict(p.reopened),
                cycle_won_mean=p.cyc_won_sum / p.won if p.won else NAN,
                cycle_won_p50=p.cyc_won.quantile(0.5), cycle_won_p90=p.cyc_won.quantile(0.9),
                cycle_won_p99=p.cyc_won.quantile(0.99),
                cycle_closed_mean=((p.cyc_won_sum + p.cyc_lost_sum) / (p.won + p.lost_n)
                                   if p.won + p.lost_n else NAN)))
        if self._open is not None:
            for d in list(self._open.values()):
                self._emit(d, d.st, None, "open", "")
            self._open.clear()
        open_final = sum(st.wip for st in self.stages) + sum(p.limbo for p in self.pipes)
        warm = self._warm_stats
        if warm is not None:
            warm.open_final = [n - w - lo for n, w, lo in zip(warm.deals, warm.won, warm.lost)]
        return RepStats(rep=self.rep, observed_hours=span, stages=stages, teams=teams,
                        pipelines=pipes, deals_created=sum(p.started for p in self.pipes),
                        revenue_won=math.fsum(p.won_value for p in self.pipes),
                        open_final=open_final, warm=warm,
                        sources=[SourceRep(t.leads, t.won, t.value)
                                 for t in (*(src.tally for src in self.sources), self._other)],
                        daily_wins=list(self._daily.values()) if self._daily is not None
                        else [])


def run_replication(net: Network, config: SimConfig, rep: int,
                    record: RecordFn | None = None) -> RepStats:
    """Simulate replication `rep` of a compiled account."""
    return Engine(net, config, rep, record).run()
