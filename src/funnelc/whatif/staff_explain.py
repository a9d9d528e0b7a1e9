"""Why the staffing answer is what it is (`funnelc staff`, issue 15 point 5).

Three kinds of evidence, all taken from simulations, none templated:

* for a respond target, the breaches at the size that just misses it, split by when the
  deal entered the stage (inside or outside the account's working hours, by weekday, as
  counted by the simulator per quarter hour of the week: `StageRep.respond_*_week`,
  "working hours" being the team's, when a member can pick the deal up) and
  by the queue priority of the stages (`queue key-first` serves key and later stages
  first); for an abandon target, the deals whose patience ran out, split the same way
  (`StageRep.entered_week`, `abandoned_week`);
* for a utilization target, the stages that bring the team's load (visits × work, from
  `analysis.exact`);
* levers: the same search run on a changed model (a model transformation through
  `scenarios.apply_overrides`, as `--set` lines are): the team opening an hour before
  the account's clocks start, and a FIFO queue instead of key-first. A lever is only
  simulated when the answer is far from the team's size in the file, and only when the
  evidence points at it.

The result is typed; `staff_render` writes the sentence and the tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from .. import model as m
from ..sim.calendar import WorkCalendar
from ..sim.compile import Network
from ..sim.config import SimConfig
from ..sim.stats import WEEK_QUARTERS, RepStats
from .executors import Runner
from .staffing import StaffingResult, search_staff
from .targets import Target

__all__ = ["WeekdayBreaches", "PriorityBreaches", "FirstTouch", "BreachSplit", "StageLoad", "Lever",
           "Explanation", "explain", "breach_split", "stage_breaches", "is_far",
           "LEVER_SHARE", "hours_spec"]

Cause = Literal["cadence", "outside-hours", "queue-priority", "queueing", "utilization",
                "graveyard", "unstable", "none"]

LEVER_MAX_REPS = 10
"""A lever's sizes get fewer replications than the answer's: it says roughly how many a
change would need, and its confidence says how roughly."""

LEVER_SHARE = 1 / 3
"""A cause that brings at least this share of the breaches gets its lever simulated."""


@dataclass(frozen=True)
class WeekdayBreaches:
    day: str
    """"mon" … "sun"."""
    checked: int
    breached: int
    outside_breached: int
    """Of `breached`, deals that entered outside working hours."""
    days: int = 0
    """How many times the weekday falls in the observed window (per replication); 0 when
    the window is not known."""


@dataclass(frozen=True)
class PriorityBreaches:
    rank: int
    """Place in the team's queue: 1 is served first (all equal under FIFO)."""
    of: int
    """Places in all (distinct priorities among the team's stages)."""
    stages: tuple[str, ...]
    checked: int
    breached: int


@dataclass(frozen=True)
class FirstTouch:
    """The first touch of a cadence that a member works (`work`), as the file has it."""

    channel: str | None
    """`call`, `email` …; None: the cadence has no touch a member works."""
    hours: float
    """When it is due, hours after the deal enters the stage (0: `now`)."""


@dataclass(frozen=True)
class BreachSplit:
    """Breaches of one respond target, summed over the replications of one size."""

    target: str
    size: int
    replications: int
    checked: int
    breached: int
    hours: str | None
    """The team's working hours (its own, else the account's), when members can pick a
    deal up (None: around the clock, and then nothing is "outside")."""
    clocks_in_hours: bool
    """Respond clocks count the account's working hours (they start at the next
    opening); else they run around the clock while the deal waits for the team."""
    inside_checked: int
    inside_breached: int
    outside_checked: int
    outside_breached: int
    by_weekday: tuple[WeekdayBreaches, ...]
    by_priority: tuple[PriorityBreaches, ...]
    queue: str
    """"fifo" or "key-first"."""
    kind: Literal["respond", "abandon"] = "respond"
    """What a "breach" is: a respond limit passed, or a deal that gave up waiting
    (`checked` then counts the deals that entered)."""
    unqueued_breached: int = 0
    """Of `breached`, the deals that were not waiting for a member when their limit ran
    out (`StageRep.respond_breached_unqueued_week`): in a cadence stage, deals whose
    first worked touch was not due yet, or that have none. No team size picks them up in
    time; only the rest waited in the queue (or for the team to open)."""
    unqueued_outside: int = 0
    """Of `unqueued_breached`, deals that entered outside working hours."""
    first_touch: FirstTouch | None = None
    """The target's cadence's first worked touch, when those breaches exist and every
    stage holding them has the same one."""
    limit_hours: float | None = None
    """The respond limit (hours; working hours when `clocks_in_hours`)."""
    account_hours: str | None = None
    """The account's working hours (`hours_spec`) the respond limit counts, when they are
    not around the clock (`Unreachable.account_hours` alike)."""

    @property
    def queued_outside(self) -> int:
        """Breaches by deals that entered outside working hours and waited for a member
        (the cadence's not counted)."""
        return self.outside_breached - self.unqueued_outside

    @property
    def queued_inside(self) -> int:
        """Breaches by deals that entered in working hours and waited in the queue."""
        return self.inside_breached - (self.unqueued_breached - self.unqueued_outside)

    @property
    def queued_outside_share(self) -> float:
        """Share of the breaches by deals that entered outside working hours and waited
        for the team to open (the cadence's breaches are not theirs)."""
        return self.queued_outside / self.breached if self.breached else 0.0

    @property
    def unqueued_share(self) -> float:
        """Share of the breaches that no team size could have avoided (the cadence's)."""
        return self.unqueued_breached / self.breached if self.breached else 0.0

    @property
    def outside_share(self) -> float:
        """Share of the breaches by deals that entered outside working hours."""
        return self.outside_breached / self.breached if self.breached else 0.0


@dataclass(frozen=True)
class StageLoad:
    stage: str
    busy: float
    """Members busy on average, around the clock (visits per hour × work per visit)."""
    share: float
    """Of the team's whole load."""


@dataclass(frozen=True)
class Lever:
    key: Literal["earlier-hours", "fifo"]
    change: str
    """The change as a scenario line (`team "T" hours …`, `queue fifo`)."""
    answer: int | None
    """Smallest size meeting every target with the change (None: none up to `limit`)."""
    limit: int
    confidence: str
    replications: int


@dataclass(frozen=True)
class Explanation:
    cause: Cause
    current: int
    """The team's size in the file (with --set and --scenario applied)."""
    far: bool
    """The answer is far from `current` (or there is none): the why goes before the
    table."""
    at: int | None
    """The size the evidence is measured at: the largest that misses (else the answer)."""
    missed: tuple[str, ...]
    """Targets `at` misses."""
    breaches: tuple[BreachSplit, ...]
    loads: tuple[StageLoad, ...]
    levers: tuple[Lever, ...]
    load: float | None = None
    """unstable: the team's load at `at` (share of its working time)."""
    capacity: float = 1.0
    """unstable: the load the team keeps up below."""


def is_far(answer: int | None, current: int) -> bool:
    """An answer the reader would not expect from the file: none at all, or more than
    half the team's size (and at least 3 members) away from it."""
    if answer is None:
        return True
    return abs(answer - current) > max(2, current // 2)


def hours_spec(h: m.Hours) -> str:
    """Working hours as the language writes them (`mon-fri 09:00-18:00, sat 10:00-15:00`)."""
    def clock(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    def entry(e: m.DayHours) -> str:
        days = e.first_day if e.first_day == e.last_day else f"{e.first_day}-{e.last_day}"
        return f"{days} {clock(e.start_minute)}-{clock(e.end_minute)}"

    return ", ".join(entry(e) for e in h.entries)


def _weekday(start: date, q: int) -> int:
    return (start.weekday() + q // 96) % 7


def breach_split(target: Target, reps: list[RepStats], size: int, net: Network,
                 start: date, observed: range | None = None) -> BreachSplit:
    """Breaches of `target` over `reps` (one simulated size, or one variant), by when the
    deal entered its stage and by the queue priority of the stages; for an abandon
    target, the abandonments among the deals that entered. `observed` (the days of the
    observed window, counted from `start`) gives each weekday's count of days in it: a
    window of 27 days holds one weekday 3 times and the others 4."""
    team = net.stages[target.stages[0]].team if target.stages else -1
    hours = net.teams[team].hours if team >= 0 else None
    cal = WorkCalendar.from_hours(hours, start)
    around_clock = hours is None or cal.always_open
    inside = [around_clock or cal.is_open(q / 4.0 + 0.125) for q in range(WEEK_QUARTERS)]
    checked = [0] * WEEK_QUARTERS
    breached = [0] * WEEK_QUARTERS
    unqueued = [0] * WEEK_QUARTERS
    held: set[int] = set()
    per_stage: dict[int, tuple[int, int]] = {}
    abandon = target.kind == "abandon"
    for rep in reps:
        for i in target.stages:
            sr = rep.stages[i]
            n, b = per_stage.get(i, (0, 0))
            if abandon:
                per_stage[i] = (n + sr.entered, b + sr.abandoned)
                weeks = zip(sr.entered_week, sr.abandoned_week)
            else:
                per_stage[i] = (n + sr.respond_checked, b + sr.respond_breached)
                weeks = zip(sr.respond_checked_week, sr.respond_breached_week)
                for q, u in enumerate(sr.respond_breached_unqueued_week):
                    if u:
                        unqueued[q] += u
                        held.add(i)
            for q, (k, x) in enumerate(weeks):
                checked[q] += k
                breached[q] += x
    days = []
    for d in range(7):
        qs = [q for q in range(WEEK_QUARTERS) if _weekday(start, q) == d]
        days.append(WeekdayBreaches(m.WEEKDAYS[d], sum(checked[q] for q in qs),
                                    sum(breached[q] for q in qs),
                                    sum(breached[q] for q in qs if not inside[q]),
                                    sum(1 for k in observed or () if (start.weekday() + k) % 7
                                        == d)))
    ranks = sorted({sp.queue_rank if net.key_first else 0
                    for sp in net.stages if sp.team == team and team >= 0})
    groups: dict[int, list[int]] = {}
    for i in target.stages:
        rank = net.stages[i].queue_rank if net.key_first else 0
        groups.setdefault(rank, []).append(i)
    prio = tuple(PriorityBreaches(
        ranks.index(rank) + 1, len(ranks),
        tuple(f"{net.stages[i].pipeline_name}.{net.stages[i].name}" for i in idx),
        sum(per_stage[i][0] for i in idx), sum(per_stage[i][1] for i in idx))
        for rank, idx in sorted(groups.items()))
    return BreachSplit(
        target.text.strip(), size, len(reps), sum(checked), sum(breached),
        None if around_clock or hours is None else hours_spec(hours),
        net.account_hours is not None,
        sum(k for k, ok in zip(checked, inside) if ok),
        sum(b for b, ok in zip(breached, inside) if ok),
        sum(k for k, ok in zip(checked, inside) if not ok),
        sum(b for b, ok in zip(breached, inside) if not ok),
        tuple(days), prio, "key-first" if net.key_first else "fifo",
        "abandon" if abandon else "respond", sum(unqueued),
        sum(u for u, ok in zip(unqueued, inside) if not ok),
        _first_touch(net, held), target.hours, _account_hours(net, start))


def _account_hours(net: Network, start: date) -> str | None:
    """The account's working hours, when respond limits count them and they are not
    around the clock (as `staffing_bound.cadence_bound` says them)."""
    if net.account_hours is None or WorkCalendar.from_hours(net.account_hours,
                                                            start).always_open:
        return None
    return hours_spec(net.account_hours)


def _first_touch(net: Network, stages: set[int]) -> FirstTouch | None:
    """The first worked touch shared by the cadences of `stages`, else None."""
    found = set()
    for i in stages:
        cad = net.stages[i].cadence
        if cad is None:
            return None
        k = next((k for k, w in enumerate(cad.work) if w is not None), None)
        found.add(FirstTouch(None, 0.0) if k is None else
                  FirstTouch(cad.channels[k], cad.offsets[k]))
    return found.pop() if len(found) == 1 else None


def stage_breaches(net: Network, reps: list[RepStats], start: date,
                   observed: range | None = None) -> tuple[BreachSplit, ...]:
    """The breach split of every stage with a respond limit over one variant's
    replications (what `whatif` and the report show beside the comparison)."""
    out = []
    for sp in net.stages:
        if sp.respond_hours is None or sp.team < 0:
            continue
        name = f"{sp.pipeline_name}.{sp.name}"
        t = Target(f"respond at {name}", "respond", 0.0, hours=sp.respond_hours,
                   stages=(sp.index,))
        split = breach_split(t, reps, net.teams[sp.team].size, net, start, observed)
        if split.checked:
            out.append(split)
    return tuple(out)


def _loads(model: m.FunnelFile, team: str) -> tuple[StageLoad, ...]:
    from ..analysis.exact import analyze_account

    acct = analyze_account(model)
    rows = []
    for name in acct.team(team).stages:
        pipe, _, stage = name.partition(".")
        sx = acct.stage(pipe, stage)
        rows.append((name, sx.arrivals_per_hour * sx.work_mean_hours))
    total = sum(b for _, b in rows)
    return tuple(sorted((StageLoad(n, b, b / total if total > 0 else 0.0) for n, b in rows),
                        key=lambda s: -s.busy))


def _earlier_hours(model: m.FunnelFile, team: str) -> tuple[m.FunnelFile, str] | None:
    """The model with the team opening an hour before the account's clocks (its own
    hours, else the account's, each day's start moved back by 60 minutes)."""
    from ..scenarios import apply_overrides
    from .variants import quote

    node = model.team(team)
    hours = node.hours if node is not None and node.hours is not None else (
        model.account.hours if model.account is not None else None)
    if node is None or hours is None:
        return None
    moved = m.Hours(span=hours.span, entries=tuple(
        e.model_copy(update={"start_minute": max(0, e.start_minute - 60), "text": ""})
        for e in hours.entries))
    if moved == hours:
        return None
    changed = apply_overrides(model, [m.Override(span=node.span, kind="team_hours",
                                                 subject=node.name, hours=moved)])
    return changed, f"team {quote(team)} hours {hours_spec(moved)}"


def _fifo(model: m.FunnelFile) -> tuple[m.FunnelFile, str] | None:
    acct = model.account
    if acct is None or acct.queue is not m.QueuePolicy.key_first:
        return None
    fifo = acct.model_copy(update={"queue": m.QueuePolicy.fifo})
    return model.model_copy(update={"accounts": (fifo, *model.accounts[1:])}), "queue fifo"


def explain(model: m.FunnelFile, net: Network, result: StaffingResult, config: SimConfig,
            runner: Runner, current: int, levers: bool = True) -> Explanation:
    """The evidence behind `result` (a search on `model`), and the levers that the
    evidence points at, each searched like the answer (sizes 1 … the answer)."""
    evals = result.evals
    answer = result.answer
    at = (answer - 1 if answer is not None and answer - 1 in evals else
          result.best if answer is None else answer)
    far = is_far(answer, current)
    ev = evals.get(at) if at is not None else None
    missed = tuple(t.text.strip() for t, ok in zip(result.targets, ev.meets) if not ok) \
        if ev is not None else ()
    splits = tuple(breach_split(t, ev.reps, ev.size, net, config.start,
                                range(config.warmup_days, config.days))
                   for t in result.targets if t.kind in ("respond", "abandon")
                   and ev is not None)
    loads = _loads(model, result.team) if any(t.kind == "utilization"
                                              for t in result.targets) else ()
    missed_kinds = {t.kind for t, ok in zip(result.targets, ev.meets) if not ok} \
        if ev is not None else set()
    cause: Cause = "none"
    split = next((s for s in splits if s.target in missed), None)
    if ev is not None and not ev.keeps_up and not missed:
        # Every target met as simulated, yet the team cannot keep up there.
        cause = "unstable"
    elif split is not None and split.breached:
        low_priority = any(p.rank > 1 for p in split.by_priority)
        if split.unqueued_share >= 0.5:
            # Most breaches are deals whose first worked touch was not due yet when the
            # limit ran out: no size, hours or queue order changes those.
            cause = "cadence"
        elif split.hours is not None and split.queued_outside_share >= 0.5:
            cause = "outside-hours"
        elif split.queue == "key-first" and low_priority:
            cause = "queue-priority"
        else:
            cause = "queueing"
    elif "utilization" in missed_kinds:
        cause = "utilization"
    elif "graveyard" in missed_kinds:
        cause = "graveyard"
    found: list[Lever] = []
    if levers and far and split is not None and split.breached:
        limit = answer - 1 if answer is not None else result.limit
        options: list[tuple[Literal["earlier-hours", "fifo"],
                            tuple[m.FunnelFile, str] | None]] = []
        if split.hours is not None and split.queued_outside_share >= LEVER_SHARE:
            options.append(("earlier-hours", _earlier_hours(model, result.team)))
        if split.queue == "key-first" and any(p.rank > 1 for p in split.by_priority):
            options.append(("fifo", _fifo(model)))
        for key, made in options:
            if made is None or limit < 1:
                continue
            variant, change = made
            before = runner.replications
            lever = search_staff(variant, result.team, result.targets, config, runner,
                                 limit=limit, max_reps=max(config.reps, LEVER_MAX_REPS),
                                 # Climbing from the closed forms' start: the calendar
                                 # approximation does not see what a lever changes (team
                                 # hours before the clocks start, a FIFO queue).
                                 start_size=min(result.start.closed_form_start, limit),
                                 curve_extra=0)
            found.append(Lever(key, change, lever.answer, limit,
                               lever.confidence, runner.replications - before))
    return Explanation(cause, current, far, at, missed, splits, loads, tuple(found),
                       load=ev.load if ev is not None else None,
                       capacity=result.start.capacity)
