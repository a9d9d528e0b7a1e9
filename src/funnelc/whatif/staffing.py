"""The smallest team size that meets every service target (`funnelc staff`), found by
simulation started from the exact answer where one exists (`staffing_exact`).

The start is simulated; if it meets every target (`targets`) the size steps down until
the size below does not, else it gallops up (+1, +2, +4, …) to the first size that meets
them and bisects back. When the 95 % interval of the answer or of the size below it
straddles a target, those sizes get more replications (doubling, up to `max_reps`) and
the search is re-run on the sharper figures. Larger teams are assumed never to do worse
(monotone), which is what makes bisection valid; `scan_staff` is the brute-force
reference the tests and benchmarks hold the search to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..sim.compile import Network, compile_network
from ..sim.config import SimConfig
from .executors import Runner
from .staffing_exact import ExactStart, exact_start, exact_value
from .targets import SizeEval, Target, evaluate, parse_target, team_stages, with_respond_limits

__all__ = ["StaffingResult", "search_staff", "scan_staff", "Target", "parse_target",
           "team_stages", "with_respond_limits", "SizeEval"]


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
    confidence_text: str
    exact_model: str | None
    structural: list[str] = field(default_factory=list)
    """Team stages that are graveyards whatever the size (stay without sla)."""


def _with_size(model: m.FunnelFile, team: str, size: int) -> m.FunnelFile:
    """The model with `team T size N` applied (a model transformation, no text)."""
    from ..scenarios import apply_overrides

    subject = model.team(team)
    assert subject is not None
    return apply_overrides(model, [m.Override(span=subject.span, kind="team_size",
                                              subject=subject.name, size=size)])


class _Sizes:
    """Simulated sizes of one team, grown replication by replication on demand."""

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


def scan_staff(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
               runner: Runner, sizes: range) -> tuple[int | None, dict[int, SizeEval]]:
    """The brute-force reference: simulate every size in `sizes` with `config.reps`
    replications and take the smallest meeting every target (by the mean, as the
    search decides)."""
    sz = _Sizes(model, team, targets, runner)
    sz.ensure(list(sizes), config.reps)
    answer = next((c for c in sizes if sz.evals[c].meets_all), None)
    return answer, sz.evals


def search_staff(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
                 runner: Runner, limit: int = 50, max_reps: int | None = None,
                 start_size: int | None = None, curve_extra: int = 1) -> StaffingResult:
    """Find the smallest size of `team` in 1 … limit meeting every target.

    `model` must already carry the targets' respond limits (see `with_respond_limits`).
    `start_size` overrides the exact start (to test the search on its own).
    """
    sz = _Sizes(model, team, targets, runner)
    base_net, start, evals, ensure = sz.base_net, sz.start, sz.evals, sz.ensure
    reps0 = config.reps
    max_reps = max(reps0, max_reps if max_reps is not None else 4 * reps0)

    def meets(c: int) -> bool:
        ensure([c], reps0)
        return evals[c].meets_all

    first = min(max(start_size if start_size is not None else start.start, 1), limit)

    def search() -> int | None:
        c = first
        if meets(c):
            while c > 1 and meets(c - 1):
                c -= 1
            return c
        lo, step = c, 1
        while lo < limit:
            hi = min(lo + step, limit)
            if meets(hi):
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if meets(mid):
                        hi = mid
                    else:
                        lo = mid
                return hi
            lo, step = hi, step * 2
        return None

    answer = search()
    for _ in range(8):  # refine: each round at least doubles the reps of a borderline size
        if answer is None:
            break
        critical = [c for c in (answer, answer - 1) if c >= 1 and c in evals]
        grow = [c for c in critical
                if not all(evals[c].sure) and len(evals[c].reps) < max_reps]
        if not grow:
            break
        for c in grow:
            ensure([c], min(max_reps, 2 * len(evals[c].reps)))
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
                elif t.kind == "utilization":
                    miss += max(0.0, e.mean - t.threshold)
                else:
                    miss += e.mean
            return (-sum(ev.meets), miss)
        best = min(evals.values(), key=lambda ev: (shortfall(ev), ev.size)).size

    # The curve: everything simulated, plus `curve_extra` sizes above the answer.
    if answer is not None and curve_extra > 0:
        extra = [c for c in range(answer + 1, min(answer + curve_extra, limit) + 1)
                 if c not in evals]
        ensure(extra, reps0, count=False)
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
                          conf, text, start.model, structural)


def _confidence(answer: int | None, evals: dict[int, SizeEval], targets: list[Target],
                best: int | None, limit: int) -> tuple[str, str]:
    if answer is None:
        return "low", (f"no size up to {limit} meets every target; the best found is {best}")
    at = evals[answer]
    below = evals.get(answer - 1)
    meets_sure = all(at.sure)
    if answer == 1:
        below_sure = True
    else:
        below_sure = below is not None and any(
            (not ok) and sure for ok, sure in zip(below.meets, below.sure))
    n = len(at.reps)
    if meets_sure and below_sure:
        lower = ("1 is the smallest size" if answer == 1 else
                 f"{answer - 1} misses a target with 95% confidence")
        return "high", (f"{answer} meets every target with 95% confidence ({n} replications) "
                        f"and {lower}")
    parts = []
    if not meets_sure:
        shaky = [t.text.strip() for t, s in zip(targets, at.sure) if not s]
        parts.append(f"at {answer} the 95% interval of {', '.join(shaky)} reaches past the "
                     "target")
    if not below_sure and below is not None:
        parts.append(f"{answer - 1} misses only on average (its interval reaches the target)")
    level = "moderate" if (meets_sure or below_sure) else "low"
    return level, ("; ".join(parts) + f" ({n} replications at {answer}); more replications "
                   "(--max-reps) or a longer horizon (--days) would settle it")
