"""Staffing targets: what `--target` accepts, and how a simulated size is judged
against them.

* `respond 15m 90%` — at least 90 % of the deals the team picks up are picked up
  within 15 minutes of entering the stage, pooled over the team's stages that have a
  `respond` rule (all of its stages when none has one); `at "P"."S"` names one stage.
  The target's limit replaces the stages' own `respond` for the search (measurement
  only: it changes no deal's path, so the numbers stay common across sizes).
* `utilization <= 85%` (or `<`) — busy member-hours / working member-hours.
* `abandon <= 5%` (or `<`) — at most 5 % of the deals entering the team's stages that
  have a `patience` leave the queue because it ran out (pooled over those stages;
  `at "P"."S"` names one). Judged, like the others, on the simulated share with its
  95 % interval; Erlang A gives the start where the team's one stage allows it.
* `no graveyard` — none of the team's stages is a graveyard because of the team (WIP
  still growing at the horizon, deals older than the SLA). A stage whose `stay` has no
  SLA is a graveyard by design; no team size changes that, so it is reported, not
  counted.

A size *meets* a target when the mean over replications does; the decision is *sure*
when the 95 % interval lies wholly on the side of the decision.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Severity, SourceText, did_you_mean
from ..sim.ci import estimate
from ..sim.compile import Network
from ..sim.results import Estimate
from ..sim.stats import NAN, RepStats
from ..span import Span
from .variants import OverrideError

__all__ = ["Target", "parse_target", "team_stages", "with_respond_limits", "SizeEval",
           "evaluate", "TARGET_KINDS"]

TARGET_KINDS = ("respond", "utilization", "abandon", "no graveyard")

_DUR = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)(?![\w.])")
_PCT = re.compile(r"([0-9]+(?:\.[0-9]+)?)%")
_NAME = r'(?:"(?:[^"\\]|\\.)*"|[^\s."]+)'
_REF = re.compile(rf"({_NAME})(?:\.({_NAME}))?\s*$")


@dataclass(frozen=True)
class Target:
    text: str
    kind: Literal["respond", "utilization", "abandon", "graveyard"]
    threshold: float
    """respond: share picked up in time (0.9); utilization, abandon: share (0.85, 0.05);
    graveyard: 0."""
    strict: bool = False
    """utilization or abandon `<` rather than `<=`."""
    hours: float | None = None
    stages: tuple[int, ...] = ()
    """Indices into the network's stages the target covers."""
    scale: float = 100.0
    metric_label: str = ""
    at: str | None = None
    """The one stage named by `at "P"."S"` (respond, abandon), as `P.S`; None: the
    team's stages."""

    @property
    def higher_is_better(self) -> bool:
        return self.kind == "respond"

    def met_by(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.kind == "respond":
            return value >= self.threshold - 1e-12
        if self.kind in ("utilization", "abandon"):
            return value < self.threshold if self.strict else value <= self.threshold + 1e-12
        return value <= 0


def _unq(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1]) if s.startswith('"') else s


def _stage_name(net: Network, index: int | None) -> str | None:
    if index is None:
        return None
    sp = net.stages[index]
    return f"{sp.pipeline_name}.{sp.name}"


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
            codes.FN293, Severity.error, message, origin,
            Span(line=1, column=a + 1, end_line=1, end_column=b + 1, start=a, end=b), label,
            help=help)], sources)

    s = text.strip()
    lead = len(text) - len(text.lstrip())
    owned = team_stages(net, team)
    word = s.split(" ", 1)[0] if s else ""

    def at_stage(tail: str, pos: int) -> int | None:
        """The stage named by `at "P"."S"` in `tail` (at `pos` in the text), or None."""
        what = word
        if tail.strip():
            at = re.match(r"\s+at\s+", tail)
            if at is None:
                raise fail(pos + len(tail) - len(tail.lstrip()), pos + len(tail),
                           f"unexpected text after the {what} target",
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
            return sp.index
        return None

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
        pos = off + mt.end()
        named = at_stage(rest[mt.end():], pos)
        stages = [named] if named is not None else (
            [i for i in owned if net.stages[i].respond_hours is not None] or owned)
        return Target(text, "respond", share, hours=hours, stages=tuple(stages),
                      metric_label=f"picked up within {mt.group(1)}{mt.group(2)} (%)",
                      at=_stage_name(net, named))
    if word == "abandon":
        mt = re.match(r"abandon\s*(<=|<)\s*" + _PCT.pattern, s)
        if mt is None:
            raise fail(lead, lead + len(s), "cannot read this abandon target",
                       "expected `abandon <= P%`",
                       "e.g. `abandon <= 5%`: at most 5% of deals give up waiting "
                       "(their `patience` runs out)")
        share = float(mt.group(2)) / 100.0
        if not 0 <= share < 1 or (share == 0 and mt.group(1) == "<"):
            a = lead + mt.start(2)
            raise fail(a, lead + mt.end(), "the abandon share must be at least 0% and "
                       "below 100%", "out of range")
        named = at_stage(s[mt.end():], lead + mt.end())
        patient = [i for i in owned if net.stages[i].patience is not None]
        if named is not None and named not in patient:
            sp = net.stages[named]
            raise fail(lead + mt.end(), lead + len(s),
                       f"stage `{sp.pipeline_name}.{sp.name}` has no `patience`",
                       "no deal gives up waiting here",
                       "give the stage `patience DIST -> lost \"…\"`, or name one that has it")
        if not patient:
            raise fail(lead, lead + len("abandon"),
                       f"none of team `{team}`'s stages has a `patience`",
                       "no deal ever gives up waiting",
                       "add `patience DIST -> lost \"…\"` to a stage the team works, or "
                       "target `respond` instead")
        return Target(text, "abandon", share, strict=mt.group(1) == "<",
                      stages=(named,) if named is not None else tuple(patient),
                      metric_label="gave up waiting (%)", at=_stage_name(net, named))
    if word == "no":  # `no graveyrd`: judge the whole phrase
        word = s
    guess = did_you_mean(word, ["respond", "utilization", "abandon", "no graveyard"])
    raise fail(lead, lead + max(len(word), 1), f"unknown target `{word or s}`",
               "expected respond, utilization, abandon or no graveyard",
               f"did you mean `{guess}`?" if guess else
               "targets: `respond 15m 90%`, `utilization <= 85%`, `abandon <= 5%`, "
               "`no graveyard`")


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
    keeps_up: bool = True
    """False where the team cannot keep up at this size (`ExactStart.keeps_up`): its
    queue grows for as long as the run lasts, and the size meets no target whatever the
    run's figures say (a long respond limit is kept in a short run by a growing queue)."""
    load: float | None = None
    """The team's load at this size (share of its working time the work needs)."""

    @property
    def meets_all(self) -> bool:
        return self.keeps_up and all(self.meets)

    @property
    def settled(self) -> bool:
        """The decision is sure: every target met with its interval clear of the
        threshold, or one missed with its interval wholly on the missing side (or the
        team cannot keep up). A size that is not settled is decided by its mean, and
        says so (`?` in the table)."""
        if not self.keeps_up:
            return True
        if self.meets_all:
            return all(self.sure)
        return any(sure and not ok for ok, sure in zip(self.meets, self.sure))


def _respond_value(rep: RepStats, stages: tuple[int, ...]) -> float:
    checked = sum(rep.stages[i].respond_checked for i in stages)
    breached = sum(rep.stages[i].respond_breached for i in stages)
    return (checked - breached) / checked if checked else NAN


def _abandon_value(rep: RepStats, stages: tuple[int, ...]) -> float:
    entered = sum(rep.stages[i].entered for i in stages)
    return sum(rep.stages[i].abandoned for i in stages) / entered if entered else NAN


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


def evaluate(ev: SizeEval, net: Network, targets: list[Target], team_index: int,
              exact: list[float | None]) -> None:
    from ..sim.calendar import limits_in_working_hours
    from ..sim.verdicts import graveyard

    ev.values, ev.estimates, ev.meets, ev.sure, ev.notes = [], [], [], [], []
    for t in targets:
        if t.kind == "respond":
            vals = [_respond_value(r, t.stages) for r in ev.reps]
            est = estimate(vals)
        elif t.kind == "utilization":
            vals = [r.teams[team_index].utilization for r in ev.reps]
            est = estimate(vals)
        elif t.kind == "abandon":
            vals = [_abandon_value(r, t.stages) for r in ev.reps]
            est = estimate(vals)
        else:
            bad = 0
            for i in t.stages:
                verdict = graveyard(net.stages[i], [r.stages[i] for r in ev.reps],
                                    limits_in_working_hours(net.account_hours))
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


def with_respond_limits(model: m.FunnelFile, net: Network, targets: list[Target]
                        ) -> m.FunnelFile:
    """The model with each respond target's limit as its stages' `respond` (what the
    simulator measures), applied as `stage "P"."S" respond LIMIT` overrides on the
    model. Two respond targets on one stage: the later one's limit wins for that stage,
    so they are refused by the caller."""
    from ..scenarios import apply_overrides, duration_of

    overrides = []
    for t in targets:
        if t.kind != "respond":
            continue
        limit = duration_of(_hours_text(t.hours or 0.0))
        assert limit is not None
        for i in t.stages:
            sp = net.stages[i]
            ref = m.StageRef(span=limit.span, pipeline=m.Name(span=limit.span,
                                                               value=sp.pipeline_name, quoted=True),
                             stage=m.Name(span=limit.span, value=sp.name, quoted=True))
            overrides.append(m.Override(span=limit.span, kind="stage_respond", stage=ref,
                                        respond=limit))
    return apply_overrides(model, overrides) if overrides else model


def _hours_text(h: float) -> str:
    """The limit as a literal (whole minutes, else seconds): the node is built from it
    as the parser would, so the limit simulates exactly as if written in the file."""
    minutes = h * 60.0
    if abs(minutes - round(minutes)) < 1e-9:
        return f"{round(minutes)}m"
    seconds = h * 3600.0
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"
