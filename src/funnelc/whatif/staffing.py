"""The smallest team size that meets every service target (`funnelc staff`), found by
simulation started from the exact answer where one exists (`staffing_exact`).

Every size is simulated *sequentially*: a few replications first, then more only while
its 95 % interval still straddles a target and it is below the cap (`SizeRuns.settle`),
so a size far from the answer costs two or three replications and only the sizes next to
the answer pay for precision. All sizes run the same replication indices (common random
numbers). If the start meets every target (`targets`) the size steps down until the
size below does not; else the search brackets the answer upwards by extrapolating the
missed targets' values (galloping +1, +2, +4 … where they cannot be), then closes the
bracket by interpolation with bisection as the safeguard. Larger teams are assumed never
to do worse (monotone), which is what makes bracketing valid; `scan_staff` is the
brute-force reference the tests and benchmarks hold the search to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from .. import model as m
from ..sim.compile import Network, compile_network
from ..sim.config import SimConfig
from .executors import Runner
from .staffing_exact import ExactStart, exact_start, exact_value
from .targets import SizeEval, Target, evaluate, parse_target, team_stages, with_respond_limits

__all__ = ["StaffingResult", "ConfidenceWhy", "search_staff", "scan_staff", "Target", "parse_target",
           "team_stages", "with_respond_limits", "SizeEval", "SizeRuns"]


ConfidenceKind = Literal["none-meets", "sure", "unsure", "profit-sure", "profit-bound",
                         "profit-flat"]


@dataclass(frozen=True)
class ConfidenceWhy:
    """What the confidence of an answer rests on (data; `staff_why` says it)."""

    kind: ConfidenceKind
    """none-meets: no size up to `limit` meets every target (`size`: the best found);
    sure: `size` meets every target with 95 % confidence and the one below misses (or is
    0); unsure: the intervals of `shaky` reach past their targets at `size`, or the size
    below misses only on average (`below_unsure`); profit-sure: `size` has the highest
    profit and its neighbours earn less with 95 % confidence; profit-bound: `size` is the
    smallest meeting the targets and the sizes above earn less; profit-flat: the sizes
    `flat` are within the noise of the best (`capped`: at the replication cap)."""
    size: int | None
    limit: int
    replications: int = 0
    shaky: tuple[str, ...] = ()
    below_unsure: bool = False
    below_unstable: bool = False
    """sure: the size below is sure to miss because the team cannot keep up there."""
    flat: tuple[int, int] | None = None
    capped: bool = False


@dataclass
class StaffingResult:
    team: str
    targets: list[Target]
    answer: int | None
    best: int | None
    """When nothing up to the limit meets every target: the size closest to it."""
    limit: int
    start: ExactStart
    evals: dict[int, SizeEval]
    curve: list[SizeEval]
    search_replications: int
    """Replications the search simulated (the extra curve sizes not counted)."""
    search_sizes: list[int]
    started_at: int
    """The size the search simulated first (the exact start unless overridden)."""
    started_because: str
    """Why it is not the exact start: "--from-size", "--max-size" or ""."""
    confidence: str
    """"high", "moderate" or "low"."""
    confidence_why: ConfidenceWhy
    exact_model: str | None
    structural: list[str] = field(default_factory=list)
    """Team stages that are graveyards whatever the size (stay without sla)."""
    max_reps: int = 0
    """The most replications a size could get (`SizeEval.settled` or this many)."""


def _with_size(model: m.FunnelFile, team: str, size: int) -> m.FunnelFile:
    """The model with `team T size N` applied (a model transformation, no text)."""
    from ..scenarios import apply_overrides

    subject = model.team(team)
    assert subject is not None
    return apply_overrides(model, [m.Override(span=subject.span, kind="team_size",
                                              subject=subject.name, size=size)])


class SizeRuns:
    """Simulated sizes of one team, grown replication by replication on demand. Every
    size runs the same replication indices (common random numbers), so two sizes differ
    only by the team, and any size's first n replications are the same whoever asked."""

    def __init__(self, model: m.FunnelFile, team: str, targets: list[Target],
                 runner: Runner) -> None:
        self.model, self.team, self.targets, self.runner = model, team, targets, runner
        self.base_net = compile_network(model)
        self.team_index = next(t.index for t in self.base_net.teams if t.name == team)
        self.start = exact_start(model, self.base_net, team, targets)
        self.evals: dict[int, SizeEval] = {}
        self.nets: dict[int, Network] = {}
        self.counted = 0
        self.searched: set[int] = set()

    def exact_values(self, c: int) -> list[float | None]:
        return [exact_value(spec, c, self.start.busy, self.start.week)
                for spec in self.start.curve]

    def ensure(self, sizes: list[int], reps: int, count: bool = True) -> None:
        """Every size in `sizes` simulated over replications 0 … reps-1 (one batch of
        work for the executor, so several sizes run in parallel)."""
        evals = self.evals
        todo = [c for c in sizes if len(evals.setdefault(c, SizeEval(c)).reps) < reps]
        if not todo:
            return
        for c in todo:
            if c not in self.nets:
                self.nets[c] = compile_network(_with_size(self.model, self.team, c))
        wanted = [range(len(evals[c].reps), reps) for c in todo]
        got = self.runner.run([self.nets[c] for c in todo], wanted)
        for c, w, rs in zip(todo, wanted, got):
            evals[c].reps.extend(rs)
            if count:
                self.counted += len(w)
                self.searched.add(c)
            evaluate(evals[c], self.nets[c], self.targets, self.team_index,
                     self.exact_values(c))
            evals[c].keeps_up = self.start.keeps_up(c)
            evals[c].load = self.start.load_at(c)

    def settle(self, c: int, first: int, cap: int) -> SizeEval:
        """Size `c` simulated until its decision is sure (`SizeEval.settled`) or it has
        `cap` replications: `first` replications, then as many more as the 95 % interval
        needs to clear the nearest undecided target by the current spread (at least one
        per worker, at most doubling per round)."""
        self.ensure([c], first)
        ev = self.evals[c]
        while not ev.settled and len(ev.reps) < cap:
            n = len(ev.reps)
            step = max(1, self.runner.executor.workers)
            grow = min(max(n + step, _reps_needed(ev, self.targets)), 2 * n + step, cap)
            self.ensure([c], grow)
        return ev


def _reps_needed(ev: SizeEval, targets: list[Target]) -> int:
    """Replications at which the 95 % interval of each undecided target would stop
    reaching its threshold, if the mean and spread stayed as they are (z ≈ 2.1 for the
    t quantile at a dozen replications): the smallest over the missed targets (one
    sure miss decides), the largest when every target must be shown met."""
    need: list[int] = []
    for t, e, ok, sure in zip(targets, ev.estimates, ev.meets, ev.sure):
        if sure or e.mean is None or e.sd is None or (ok and not ev.meets_all):
            continue
        margin = abs(e.mean - t.threshold)
        if margin <= 0:
            need.append(10**6)
            continue
        need.append(math.ceil((2.1 * e.sd / margin) ** 2) + 1)
    if not need:
        return 0
    return max(need) if ev.meets_all else min(need)


def _shortfall(t: Target, value: float | None) -> float | None:
    """How far a size's value is from meeting `t`, increasing with the team's size and
    0 at the threshold (for interpolating the next size); None for `no graveyard`."""
    if value is None or t.kind == "graveyard":
        return None
    return value - t.threshold if t.kind == "respond" else t.threshold - value


def _guess(evals: dict[int, SizeEval], targets: list[Target], lo: int, hi: int | None,
           limit: int) -> int | None:
    """The next size to simulate by interpolating (between a miss `lo` and a meet `hi`)
    or extrapolating (above `lo`) each missed target's value over the sizes simulated so
    far; the largest guess wins (every target must hold). None when no target can be
    interpolated (then the caller gallops or bisects)."""
    guesses: list[float] = []
    below = sorted(c for c in evals if c <= lo)
    for i, t in enumerate(targets):
        if evals[lo].meets[i]:
            continue
        y_lo = _shortfall(t, evals[lo].estimates[i].mean)
        if y_lo is None:
            return None
        other = hi if hi is not None else (below[-2] if len(below) >= 2 else None)
        if other is None:
            return None
        y_o = _shortfall(t, evals[other].estimates[i].mean)
        if y_o is None or (y_o - y_lo) * (other - lo) <= 0:
            return None
        guesses.append(lo + (0.0 - y_lo) * (other - lo) / (y_o - y_lo))
    if not guesses:
        return None
    g = math.ceil(max(guesses) - 1e-9)
    top = hi - 1 if hi is not None else min(limit, max(4 * lo, lo + 4))
    return min(max(g, lo + 1), top)


def scan_staff(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
               runner: Runner, sizes: range) -> tuple[int | None, dict[int, SizeEval]]:
    """The brute-force reference: simulate every size in `sizes` with `config.reps`
    replications and take the smallest meeting every target (by the mean, as the
    search decides)."""
    sz = SizeRuns(model, team, targets, runner)
    sz.ensure(list(sizes), config.reps)
    answer = next((c for c in sizes if sz.evals[c].meets_all), None)
    return answer, sz.evals


def search_staff(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
                 runner: Runner, limit: int = 50, max_reps: int | None = None,
                 start_size: int | None = None, curve_extra: int = 1) -> StaffingResult:
    """Find the smallest size of `team` in 1 … limit meeting every target.

    Each size is simulated sequentially (`SizeRuns.settle`): `config.reps` replications
    first, more until its 95 % interval clears the targets or it has `max_reps`. From
    the start (the exact answer where one applies) the search steps down while the size
    below meets; else it brackets upwards by extrapolating the missed targets' values
    (galloping +1, +2, +4 … where nothing can be extrapolated) and closes the bracket by
    interpolation, falling back to bisection whenever an interpolated step does not halve
    it. Larger teams are assumed never to do worse (monotone).

    `model` must already carry the targets' respond limits (see `with_respond_limits`).
    `start_size` overrides the exact start (to test the search on its own).
    """
    sz = SizeRuns(model, team, targets, runner)
    base_net, start, evals = sz.base_net, sz.start, sz.evals
    reps0 = config.reps
    cap = max(reps0, max_reps if max_reps is not None else max(40, 4 * reps0))
    first = min(max(start_size if start_size is not None else start.start, 1), limit)
    # The progress bar's whole: a dozen sizes at their first replications, more as found.
    runner.plan(12 * reps0)

    def meets(c: int) -> bool:
        return sz.settle(c, reps0, cap).meets_all

    def search() -> int | None:
        c = first
        if meets(c):
            while c > 1 and meets(c - 1):
                c -= 1
            return c
        lo, hi, step = c, None, 1
        while hi is None:
            if lo >= limit:
                return None
            g = _guess(evals, targets, lo, None, limit)
            nxt = g if g is not None else min(lo + step, limit)
            step *= 2
            if meets(nxt):
                hi = nxt
            else:
                lo = nxt
        halved = True
        while hi - lo > 1:
            g = _guess(evals, targets, lo, hi, limit) if halved else None
            mid = g if g is not None else (lo + hi) // 2
            width = hi - lo
            if meets(mid):
                hi = mid
            else:
                lo = mid
            halved = hi - lo <= width // 2
        return hi

    answer = search()

    best = None
    if answer is None:
        def shortfall(ev: SizeEval) -> tuple[int, float]:
            miss = 0.0
            for t, e in zip(targets, ev.estimates):
                if e.mean is None:
                    miss += 1.0
                elif t.kind == "respond":
                    miss += max(0.0, t.threshold - e.mean)
                elif t.kind in ("utilization", "abandon"):
                    miss += max(0.0, e.mean - t.threshold)
                else:
                    miss += e.mean
            return (-sum(ev.meets), miss)
        # A size the team cannot keep up at is never the best (its figures flatter it).
        best = min(evals.values(),
                   key=lambda ev: (not ev.keeps_up, shortfall(ev), ev.size)).size

    # The curve: everything simulated, plus `curve_extra` sizes above the answer.
    if answer is not None and curve_extra > 0:
        extra = [c for c in range(answer + 1, min(answer + curve_extra, limit) + 1)
                 if c not in evals]
        sz.ensure(extra, reps0, count=False)
    curve = [evals[c] for c in sorted(evals)]

    conf, text = _confidence(answer, evals, targets, best, limit)
    structural = []
    for t in targets:
        if t.kind == "graveyard":
            for i in t.stages:
                sp = base_net.stages[i]
                if sp.sla_hours is None and any(r.kind == "stay" and r.share > 0
                                                for r in sp.routes):
                    structural.append(f"{sp.pipeline_name}.{sp.name}")
    return StaffingResult(team, targets, answer, best, limit, start, evals, curve, sz.counted,
                          sorted(sz.searched), first,
                          "--from-size" if start_size is not None else
                          "--max-size" if first != start.start else "",
                          conf, text, start.model, structural, cap)


def _confidence(answer: int | None, evals: dict[int, SizeEval], targets: list[Target],
                best: int | None, limit: int) -> tuple[str, ConfidenceWhy]:
    if answer is None:
        return "low", ConfidenceWhy("none-meets", best, limit)
    at = evals[answer]
    below = evals.get(answer - 1)
    meets_sure = all(at.sure)
    if answer == 1:
        below_sure = True
    else:
        below_sure = below is not None and (not below.keeps_up or any(
            (not ok) and sure for ok, sure in zip(below.meets, below.sure)))
    n = len(at.reps)
    if meets_sure and below_sure:
        return "high", ConfidenceWhy("sure", answer, limit, n,
                                     below_unstable=below is not None and not below.keeps_up)
    shaky = () if meets_sure else tuple(t.text.strip() for t, s in zip(targets, at.sure)
                                        if not s)
    level = "moderate" if (meets_sure or below_sure) else "low"
    return level, ConfidenceWhy("unsure", answer, limit, n, shaky,
                                below_unsure=not below_sure and below is not None)
