"""The smallest team size that meets every service target, found by simulation started
from the exact answer where one exists.

Targets (one `--target` each):

* `respond 15m 90%` — at least 90 % of the deals the team picks up are picked up
  within 15 minutes of entering the stage, pooled over the team's stages that have a
  `respond` rule (all of its stages when none has one); `at "P"."S"` names one stage.
  The target's limit replaces the stages' own `respond` for the search (measurement
  only: it changes no deal's path, so the numbers stay common across sizes).
* `utilization <= 85%` (or `<`) — busy member-hours / working member-hours.
* `no graveyard` — none of the team's stages is a graveyard because of the team (WIP
  still growing at the horizon, deals older than the SLA). A stage whose `stay` has no
  SLA is a graveyard by design; no team size changes that, so it is reported, not
  counted.

Search. The exact maths gives a starting size: Erlang C (M/M/c) or M/M/c+D for a
respond target when the team serves that one stage with exponential work around the
clock, the offered load for utilization, and stability (load < 1) otherwise. The start
is simulated; if it meets every target the size steps down until it does not, else it
gallops up (+1, +2, +4, …) to the first size that meets them and bisects back. A
decision is "meets" when the mean meets the target; when the 95 % interval of the
answer or of the size below it straddles a target, those sizes get more replications
(doubling, up to `max_reps`) and the search is re-run on the sharper figures. Larger
teams are assumed never to do worse (monotone), which is what makes bisection valid.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from .. import model as m
from ..diagnostics import Diagnostic, Severity, SourceText, did_you_mean
from ..sim.ci import estimate
from ..sim.compile import Network, compile_network
from ..sim.config import SimConfig
from ..sim.results import Estimate
from ..sim.stats import NAN, RepStats
from ..span import Span
from .executors import Runner
from .variants import OverrideError

__all__ = ["Target", "parse_target", "SizeEval", "StaffingResult", "search_staff", "scan_staff",
           "with_respond_limits",
           "TARGET_KINDS", "team_stages", "exact_start"]

TARGET_KINDS = ("respond", "utilization", "no graveyard")

_DUR = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)(?![\w.])")
_PCT = re.compile(r"([0-9]+(?:\.[0-9]+)?)%")
_NAME = r'(?:"(?:[^"\\]|\\.)*"|[^\s."]+)'
_REF = re.compile(rf"({_NAME})(?:\.({_NAME}))?\s*$")


@dataclass(frozen=True)
class Target:
    text: str
    kind: Literal["respond", "utilization", "graveyard"]
    threshold: float
    """respond: share picked up in time (0.9); utilization: share (0.85); graveyard: 0."""
    strict: bool = False
    """utilization `<` rather than `<=`."""
    hours: float | None = None
    stages: tuple[int, ...] = ()
    """Indices into the network's stages the target covers."""
    scale: float = 100.0
    metric_label: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.kind == "respond"

    def met_by(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.kind == "respond":
            return value >= self.threshold - 1e-12
        if self.kind == "utilization":
            return value < self.threshold if self.strict else value <= self.threshold + 1e-12
        return value <= 0


def _unq(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1]) if s.startswith('"') else s


def team_stages(net: Network, team: str) -> list[int]:
    """The stages where deals queue for a member of `team`."""
    idx = next((t.index for t in net.teams if t.name == team), -1)
    return [s.index for s in net.stages if s.team == idx and idx >= 0]


def parse_target(text: str, origin: str, net: Network, team: str) -> Target:
    """One `--target`; raises `OverrideError` with a caret into `text`."""
    sources = {origin: SourceText(origin, text)}

    def fail(a: int, b: int, message: str, label: str = "", help: str | None = None
             ) -> OverrideError:
        b = max(b, a + 1)
        return OverrideError([Diagnostic(
            "FN293", Severity.error, message, origin,
            Span(line=1, column=a + 1, end_line=1, end_column=b + 1, start=a, end=b), label,
            help=help)], sources)

    s = text.strip()
    lead = len(text) - len(text.lstrip())
    owned = team_stages(net, team)
    word = s.split(" ", 1)[0] if s else ""
    if re.fullmatch(r"no\s+graveyards?", s):
        return Target(text, "graveyard", 0.0, stages=tuple(owned), scale=1.0,
                      metric_label="graveyard stages")
    if word == "utilization" or word == "utilisation":
        mt = re.fullmatch(r"utili[sz]ation\s*(<=|<)\s*" + _PCT.pattern, s)
        if mt is None:
            raise fail(lead, lead + len(s), "cannot read this utilization target",
                       "expected `utilization <= P%`", "e.g. `utilization <= 85%`")
        share = float(mt.group(2)) / 100.0
        if not 0 < share <= 1:
            a = lead + mt.start(2)
            raise fail(a, lead + mt.end(), "utilization target must be above 0% and at most "
                       "100%", "out of range")
        return Target(text, "utilization", share, strict=mt.group(1) == "<",
                      metric_label=f"utilization of {team} (%)")
    if word == "respond":
        rest = s[len("respond"):]
        mt = re.match(r"\s+" + _DUR.pattern + r"\s+" + _PCT.pattern, rest)
        if mt is None:
            raise fail(lead, lead + len(s), "cannot read this respond target",
                       "expected `respond DURATION P%`",
                       "e.g. `respond 15m 90%`: 90% of deals picked up within 15 minutes")
        hours = float(mt.group(1)) * m.HOURS_PER_UNIT[mt.group(2)]
        share = float(mt.group(3)) / 100.0
        off = lead + len("respond")
        if hours <= 0:
            raise fail(off + mt.start(1), off + mt.end(2), "the respond limit must be above 0")
        if not 0 < share < 1:
            raise fail(off + mt.start(3), off + mt.end(), "the share must be above 0% and "
                       "below 100%", "out of range",
                       "some deals always wait in a queue: 100% cannot be promised")
        tail = rest[mt.end():]
        stages: list[int]
        if tail.strip():
            at = re.match(r"\s+at\s+", tail)
            pos = off + mt.end()
            if at is None:
                raise fail(pos + len(tail) - len(tail.lstrip()), pos + len(tail),
                           "unexpected text after the respond target",
                           "expected `at \"Pipeline\".\"Stage\"` or nothing")
            ref_text = tail[at.end():]
            ref = _REF.match(ref_text)
            a = pos + at.end()
            if ref is None:
                raise fail(a, a + len(ref_text), "cannot read this stage name",
                           'expected "Pipeline"."Stage"')
            first, second = ref.group(1), ref.group(2)
            pipe, stage = (_unq(first), _unq(second)) if second else (None, _unq(first))
            hits = [sp for sp in net.stages if sp.name == stage
                    and (pipe is None or sp.pipeline_name == pipe)]
            if not hits:
                names = [f"{sp.pipeline_name}.{sp.name}" for sp in net.stages]
                wanted = f"{pipe}.{stage}" if pipe else stage
                guess = did_you_mean(wanted, names) or did_you_mean(
                    stage, [sp.name for sp in net.stages])
                raise fail(a, a + len(ref_text.rstrip()), f"unknown stage `{wanted}`",
                           "no stage of this name",
                           f"did you mean `{guess}`?" if guess else
                           "name a stage the team works, as \"Pipeline\".\"Stage\"")
            if len(hits) > 1:
                raise fail(a, a + len(ref_text.rstrip()), f"stage `{stage}` is in several "
                           "pipelines", "ambiguous", 'write it as "Pipeline"."Stage"')
            sp = hits[0]
            if sp.index not in owned:
                raise fail(a, a + len(ref_text.rstrip()),
                           f"team `{team}` does not work `{sp.pipeline_name}.{sp.name}`",
                           "another team's stage (or no queue there)",
                           "the team's stages: " + ", ".join(
                               f"`{net.stages[i].pipeline_name}.{net.stages[i].name}`"
                               for i in owned))
            stages = [sp.index]
        else:
            stages = [i for i in owned if net.stages[i].respond_hours is not None] or owned
        return Target(text, "respond", share, hours=hours, stages=tuple(stages),
                      metric_label=f"picked up within {mt.group(1)}{mt.group(2)} (%)")
    if word == "no":  # `no graveyrd`: judge the whole phrase
        word = s
    guess = did_you_mean(word, ["respond", "utilization", "no graveyard"])
    raise fail(lead, lead + max(len(word), 1), f"unknown target `{word or s}`",
               "expected respond, utilization or no graveyard",
               f"did you mean `{guess}`?" if guess else
               "targets: `respond 15m 90%`, `utilization <= 85%`, `no graveyard`")


# ----------------------------------------------------------------------- evaluation


@dataclass
class SizeEval:
    size: int
    reps: list[RepStats] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)
    """Per target: the per-replication values (graveyard: one value for the lot)."""
    estimates: list[Estimate] = field(default_factory=list)
    meets: list[bool] = field(default_factory=list)
    sure: list[bool] = field(default_factory=list)
    """The 95 % interval lies wholly on the side of the decision."""
    exact: list[float | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def meets_all(self) -> bool:
        return all(self.meets)


def _respond_value(rep: RepStats, stages: tuple[int, ...]) -> float:
    checked = sum(rep.stages[i].respond_checked for i in stages)
    breached = sum(rep.stages[i].respond_breached for i in stages)
    return (checked - breached) / checked if checked else NAN


def _judge(target: Target, est: Estimate) -> tuple[bool, bool]:
    """(meets, sure) from the mean and its 95 % interval."""
    meets = target.met_by(est.mean)
    if target.kind == "graveyard":
        return meets, True
    if est.mean is None or est.ci95 is None:
        return meets, False
    lo, hi = est.mean - est.ci95, est.mean + est.ci95
    if target.kind == "respond":
        return meets, (lo >= target.threshold) if meets else (hi < target.threshold)
    return meets, (hi <= target.threshold) if meets else (lo > target.threshold)


def _evaluate(ev: SizeEval, net: Network, targets: list[Target], team_index: int,
              exact: list[float | None]) -> None:
    from ..sim.verdicts import graveyard

    ev.values, ev.estimates, ev.meets, ev.sure, ev.notes = [], [], [], [], []
    for t in targets:
        if t.kind == "respond":
            vals = [_respond_value(r, t.stages) for r in ev.reps]
            est = estimate(vals)
        elif t.kind == "utilization":
            vals = [r.teams[team_index].utilization for r in ev.reps]
            est = estimate(vals)
        else:
            bad = 0
            for i in t.stages:
                verdict = graveyard(net.stages[i], [r.stages[i] for r in ev.reps])
                reasons = [x for x in verdict.reasons if x.code != "stay-without-sla"]
                if reasons:
                    bad += 1
                    ev.notes.append(f"{net.stages[i].pipeline_name}.{net.stages[i].name}: "
                                    f"{reasons[0].message}")
            vals = [float(bad)]
            est = Estimate(mean=float(bad), ci95=None, sd=None, n=len(ev.reps))
        meets, sure = _judge(t, est)
        ev.values.append(vals)
        ev.estimates.append(est)
        ev.meets.append(meets)
        ev.sure.append(sure)
    ev.exact = exact


# ----------------------------------------------------------------------- exact start


@dataclass(frozen=True)
class ExactStart:
    start: int
    why: str
    answers: tuple[int | None, ...]
    """Per target, the exact smallest size when a closed form applies, else None."""
    model: str | None
    """"Erlang C (M/M/c)", "M/M/c+D" or None."""
    curve: tuple[tuple[str, float, float, float, float | None] | None, ...]
    """Per target, what the exact curve needs: (kind, lam, mu, t, D) or None."""
    busy: float
    week: float


def _exact_value(spec: tuple[str, float, float, float, float | None] | None, c: int,
                 busy: float, week: float) -> float | None:
    from ..analysis import queueing as q
    from ..analysis.exact import mmcd_wait_tail

    if spec is None:
        return None
    kind, lam, mu, t, d = spec
    if kind == "load":
        return busy * 168.0 / (c * week) if c > 0 and week > 0 else None
    try:
        if d is None:
            if c * mu <= lam:
                return 0.0
            return 1.0 - q.mmc_wait_tail(c, lam, mu, t)
        return 1.0 - mmcd_wait_tail(c, lam, mu, d, t)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None


def exact_start(model: m.FunnelFile, net: Network, team: str, targets: list[Target]
                ) -> ExactStart:
    """Where to start: per target, the exact answer where a closed form describes it,
    else the smallest stable size; the start is the largest (every target must hold)."""
    from ..analysis import queueing as q
    from ..analysis.exact import analyze_account

    acct = analyze_account(model)
    tx = acct.team(team)
    busy, week = tx.busy_mean, tx.working_hours_per_week
    load_one = busy * 168.0 / week if week > 0 else math.inf  # load of a one-member team
    stable = max(1, math.floor(load_one) + 1) if math.isfinite(load_one) else 1
    team_node = model.team(team)
    around_clock = (team_node is not None and team_node.hours is None
                    and (model.account is None or model.account.hours is None))
    answers: list[int | None] = []
    curve: list[tuple[str, float, float, float, float | None] | None] = []
    label: str | None = None
    whys: list[str] = []
    start = 1
    for t in targets:
        want = t.text.strip()
        c = stable
        answer: int | None = None
        spec: tuple[str, float, float, float, float | None] | None = None
        if t.kind == "utilization":
            spec = ("load", 0.0, 0.0, 0.0, None)
            if math.isfinite(load_one):
                c = max(1, math.ceil(load_one / t.threshold - 1e-9))
                if t.strict and load_one / c >= t.threshold:
                    c += 1
            why = f"offered load {load_one:.3g} members' worth → {c} for `{want}`"
        elif t.kind == "respond" and len(t.stages) == 1 and len(tx.stages) == 1:
            sp = net.stages[t.stages[0]]
            node = model.pipeline(sp.pipeline_name)
            stage = next((s for s in node.stages if s.name.value == sp.name), None) \
                if node is not None else None
            lam = acct.stage(sp.pipeline_name, sp.name).arrivals_per_hour
            if (stage is not None and stage.cadence is None and stage.work is not None
                    and stage.work.kind == "exp" and around_clock and math.isfinite(lam)
                    and lam > 0 and t.hours is not None
                    and tx.stages[0] == f"{sp.pipeline_name}.{sp.name}"):
                mu = 1.0 / stage.work.mean
                d = stage.sla.after.hours if stage.sla is not None else None
                if d is None:
                    c = q.smallest_c_for_wait_tail(lam, mu, t.hours, t.threshold)
                    label = "Erlang C (M/M/c)"
                else:
                    c = 1
                    while 1.0 - _mmcd_tail(c, lam, mu, d, t.hours) < t.threshold and c < 10_000:
                        c += 1
                    label = "M/M/c+D"
                answer = c
                spec = ("wait", lam, mu, t.hours, d)
                why = f"{label} (λ={lam:.4g}/h, μ={mu:.4g}/h) → {c} for `{want}`"
            else:
                why = (f"no closed form for `{want}` (the team serves several stages, works "
                       f"by a calendar, or the work is not exponential): stable from {stable}")
        else:
            why = f"stable (offered load < 1) from {stable} for `{want}`"
        answers.append(answer)
        curve.append(spec)
        whys.append(why)
        start = max(start, c)
    return ExactStart(start=start, why="; ".join(whys), answers=tuple(answers), model=label,
                      curve=tuple(curve), busy=busy, week=week)


def _mmcd_tail(c: int, lam: float, mu: float, d: float, t: float) -> float:
    from ..analysis.exact import mmcd_wait_tail

    return mmcd_wait_tail(c, lam, mu, d, t)


# ----------------------------------------------------------------------- the search


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
    """`team T size N`, as `funnelc.scenarios` applies it."""
    teams = tuple(t.model_copy(update={"size": size}) if t.name.value == team else t
                  for t in model.teams)
    return model.model_copy(update={"teams": teams})


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
        return [_exact_value(spec, c, self.start.busy, self.start.week)
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
            _evaluate(evals[c], self.nets[c], self.targets, self.team_index,
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


def with_respond_limits(model: m.FunnelFile, net: Network, targets: list[Target]
                        ) -> m.FunnelFile:
    """The model with each respond target's limit as its stages' `respond` (what the
    simulator measures). Two respond targets on one stage: the later one's limit wins
    for that stage, so they are refused by the caller."""
    from .variants import OverrideLine, Overrides, stage_ref_text

    lines = []
    for t in targets:
        if t.kind != "respond":
            continue
        for i in t.stages:
            sp = net.stages[i]
            lines.append(OverrideLine(f"stage {stage_ref_text(sp.pipeline_name, sp.name)} "
                                      f"respond {_hours_text(t.hours or 0.0)}", "--target"))
    if not lines:
        return model
    return Overrides(model).apply(lines, name="--target")


def _hours_text(h: float) -> str:
    minutes = h * 60.0
    if abs(minutes - round(minutes)) < 1e-9:
        return f"{int(round(minutes))}m"
    seconds = h * 3600.0
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"
