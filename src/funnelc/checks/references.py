"""Where a funnel file names stages, and how those names resolve; plus the little text
helpers every check's message uses. Several checks walk the same references (unknown
names, moves into another pipeline, reachability, the way to `won`): they share this walk
so they all agree on what counts as a reference and which pipeline a bare name is read in.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from ..diagnostics import Diagnostic, Label, Severity, did_you_mean
from ..model import (
    FunnelFile,
    Node,
    Pipeline,
    Stage,
    StageRef,
    StageTarget,
    Target,
    WonTarget,
)
from ..routing import Exit, exits
from ..span import Span

__all__ = ["StageUse", "Exit", "ROLE_OF_VIA", "stage_uses", "resolved_uses", "routes",
           "stage_routes", "find_stage", "lookup", "lookup_lenient", "scenario_stage",
           "target_key", "target_text", "quote", "pct", "listing", "error", "SHARE_TOLERANCE"]

SHARE_TOLERANCE = 1e-9
"""Shares are compared with this tolerance: 33.3% + 33.3% + 33.4% is 100%."""


class StageUse(NamedTuple):
    """One place where the file names a stage.

    A named tuple rather than a frozen dataclass: a 20 000-stage file makes 60 000 of
    them, and a frozen dataclass's `__init__` costs three times as much."""

    ref: StageRef
    home: Pipeline | None
    """The pipeline a bare stage name is read in; None when there is none to read it in
    (outside every pipeline, with several pipelines and no `main`)."""
    role: str
    """What the reference does: source, outcome, sla, on reply, on exhausted, copy, reopen,
    scenario, scenario sla."""
    move: bool
    """True when a deal moves there directly, which only works inside `home`."""
    stage: Stage | None = None
    """The stage the reference is written in (None for sources, reopens, scenarios)."""
    node: Node | None = None
    """The statement holding the reference (an `Outcome`, `Sla`, `CadenceRoute`...)."""


ROLE_OF_VIA = {"outcome": "outcome", "sla": "sla", "reply": "on reply",
               "exhausted": "on exhausted", "patience": "patience"}
"""`StageUse.role` of a reference written in a stage's `Exit`, by the exit's `via`."""


def routes(stage: Stage) -> Iterator[Exit]:
    """Every way a deal leaves `stage` (`routing.exits`, the patience route included)."""
    return exits(stage, patience=True)


def find_stage(pipe: Pipeline, name: str) -> Stage | None:
    return next((s for s in pipe.stages if s.name.value == name), None)


def lookup(funnel: FunnelFile, ref: StageRef, home: Pipeline | None
           ) -> tuple[Pipeline, Stage] | None:
    """The stage a reference names, reading a bare name in `home`; exact names only."""
    return funnel.resolve(ref, home)


def lookup_lenient(funnel: FunnelFile, ref: StageRef, home: Pipeline | None
                   ) -> tuple[Pipeline, Stage] | None:
    """Like `lookup`, but a typo resolves to the stage "did you mean" would suggest.

    Used by graph checks so that one misspelt name is reported once (as unknown), not
    again as an unreachable stage and a pipeline without a way to `won`.
    """
    found = lookup(funnel, ref, home)
    if found is not None:
        return found
    if ref.pipeline is None and home is None:
        holders = [p for p in funnel.pipelines if find_stage(p, ref.stage.value) is not None]
        if holders:  # a bare name outside pipelines (FN203): read it where it exists
            stage = find_stage(holders[0], ref.stage.value)
            assert stage is not None
            return holders[0], stage
    if ref.pipeline is None:
        pipe = home
    else:
        pipe = funnel.pipeline(ref.pipeline.value)
        if pipe is None:
            guess = did_you_mean(ref.pipeline.value, [p.name.value for p in funnel.pipelines])
            pipe = funnel.pipeline(guess) if guess else None
    if pipe is None:
        return None
    guess = did_you_mean(ref.stage.value, [s.name.value for s in pipe.stages])
    stage = find_stage(pipe, guess) if guess else None
    return (pipe, stage) if stage is not None else None


def scenario_stage(funnel: FunnelFile, ref: StageRef | None) -> tuple[Pipeline, Stage] | None:
    """The stage a scenario override changes."""
    if ref is None:
        return None
    return lookup(funnel, ref, funnel.default_pipeline())


class _Walk:
    """The references and routes of one file, listed once and shared by the checks (four
    checks read every reference and two every route; regenerating them per check was a
    fifth of `check` on a 20 000-stage pipeline)."""

    def __init__(self, funnel: FunnelFile) -> None:
        self.routes: dict[int, tuple[Exit, ...]] = {
            id(stage): tuple(routes(stage)) for pipe in funnel.pipelines for stage in pipe.stages}
        self.uses: tuple[StageUse, ...] = tuple(_stage_uses(funnel, self.routes))
        self._found: tuple[tuple[Pipeline, Stage] | None, ...] | None = None

    def found(self, funnel: FunnelFile) -> tuple[tuple[Pipeline, Stage] | None, ...]:
        """`lookup_lenient` of each use, in the order of `uses` (two graph checks read
        every reference; resolving them once halves that work). The walk must not hold
        the model: it is kept until the model dies."""
        if self._found is None:
            self._found = tuple(lookup_lenient(funnel, use.ref, use.home) for use in self.uses)
        return self._found


_WALKS: dict[int, tuple[weakref.ReferenceType[FunnelFile], _Walk]] = {}


def _walk(funnel: FunnelFile) -> _Walk:
    """The file's `_Walk`, kept (by identity, dropped with the model) like the model's
    name index, so equality and serialisation of the frozen model stay untouched."""
    key = id(funnel)
    entry = _WALKS.get(key)
    if entry is not None and entry[0]() is funnel:
        return entry[1]
    walk = _Walk(funnel)

    def forget(_ref: weakref.ReferenceType[FunnelFile], k: int = key) -> None:
        _WALKS.pop(k, None)

    _WALKS[key] = (weakref.ref(funnel, forget), walk)
    return walk


def stage_routes(funnel: FunnelFile, stage: Stage) -> tuple[Exit, ...]:
    """`routes(stage)` of a stage of `funnel`, listed once per file."""
    found = _walk(funnel).routes.get(id(stage))
    return found if found is not None else tuple(routes(stage))


def stage_uses(funnel: FunnelFile) -> tuple[StageUse, ...]:
    """Every stage reference in the file, with the pipeline it is read in (listed once
    per file)."""
    return _walk(funnel).uses


def resolved_uses(funnel: FunnelFile
                  ) -> Iterator[tuple[StageUse, tuple[Pipeline, Stage] | None]]:
    """`stage_uses` with `lookup_lenient` of each, resolved once per file."""
    walk = _walk(funnel)
    return zip(walk.uses, walk.found(funnel))


def _stage_uses(funnel: FunnelFile, stage_routes: dict[int, tuple[Exit, ...]]
                ) -> Iterator[StageUse]:
    outside = funnel.default_pipeline()
    for src in funnel.sources:
        yield StageUse(src.target, outside, "source", False, node=src)
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            for route in stage_routes[id(stage)]:
                if isinstance(route.target, StageTarget):
                    yield StageUse(route.target.ref, pipe, ROLE_OF_VIA[route.via], True, stage,
                                   route.node)
                if route.copy_to is not None:
                    yield StageUse(route.copy_to.ref, pipe, "copy", False, stage, route.copy_to)
        for reopen in pipe.reopens:
            yield StageUse(reopen.target, pipe, "reopen", True, node=reopen)
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.stage is None:
                continue
            yield StageUse(ovr.stage, outside, "scenario", False, node=ovr)
            if ovr.sla is None:
                continue
            found = scenario_stage(funnel, ovr.stage)
            home = found[0] if found else None
            if isinstance(ovr.sla.target, StageTarget) and home is not None:
                yield StageUse(ovr.sla.target.ref, home, "scenario sla", True,
                               found[1] if found else None, ovr.sla)
            if ovr.sla.copy_to is not None and home is not None:
                yield StageUse(ovr.sla.copy_to.ref, home, "copy", False,
                               found[1] if found else None, ovr.sla.copy_to)


def target_key(target: Target, home: Pipeline | None) -> tuple[str, ...]:
    """What a target means, independent of how it was spelt (`"S"` = `"P"."S"` in P)."""
    if isinstance(target, StageTarget):
        pipe = target.ref.pipeline.value if target.ref.pipeline else (
            home.name.value if home else "")
        return ("stage", pipe, target.ref.stage.value)
    if isinstance(target, WonTarget):
        return ("won",)
    return ("lost", target.reason.value)


def target_text(target: Target) -> str:
    """A target as the author would write it after `->`."""
    if isinstance(target, StageTarget):
        return target.ref.display()
    if isinstance(target, WonTarget):
        return "won"
    return f"lost {quote(target.reason.value)}"


def quote(name: str) -> str:
    """A name as funnel text: in double quotes, inner quotes escaped."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pct(fraction: float) -> str:
    """A fraction as the author writes shares: 0.35 → `35%`, 0.125 → `12.5%`."""
    text = f"{fraction * 100:.6f}".rstrip("0").rstrip(".")
    return f"{'0' if text in ('', '-0') else text}%"


def listing(names: Iterable[str], limit: int = 6) -> str:
    """`A`, `B` and `C` (and N more)."""
    items = [f"`{n}`" for n in dict.fromkeys(names)]
    if not items:
        return "none"
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def error(code: str, message: str, funnel: FunnelFile, span: Span | None, label: str = "", *,
          secondary: Iterable[Label] = (), notes: Iterable[str] = (),
          help: str | None = None) -> Diagnostic:
    """An error diagnostic about `funnel` (checks only ever report errors)."""
    return Diagnostic(code, Severity.error, message, funnel.path, span, label,
                      tuple(secondary), tuple(notes), help)
