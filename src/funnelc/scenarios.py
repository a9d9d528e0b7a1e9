"""Scenarios: apply a `scenario` block's overrides to get the what-if model.

`apply_scenario(model, name)` is pure: it returns a new `FunnelFile` and leaves the
input untouched, so `simulate`, `whatif` and `sweep` can run the baseline and any number
of variants from one loaded file. Each override replaces one thing:

* `team T size N`, `team T hours …`
* `source S RATE`, `source S profile …` (the profile replaces the old one entirely)
* `source S cost AMOUNT` (per lead), `source S budget RATE` (money per time): the price
  replaces the old one; a source that had none gets it. A rate changed alone keeps the
  source's prices: a per-lead `cost` follows the leads, a `budget` stays what it was.
* `stage P.S work D`, `sla D -> T [then copy …]`, `respond D`, `owner T`
* `stage P.S -> TARGET P%`: the share of the stage's existing outcome with that target;
  `stage P.S stay P%`: the stay share (added if the stage had none). Shares are set
  exactly, never rescaled: the checker (FN232/FN233) makes sure a scenario's shares still
  add up to 100 %.

The checks report unknown names in scenarios; applying a scenario that still has one
raises `ScenarioError` with the span to point at.

`apply_overrides(model, overrides)` is the one way a variant is made: a scenario of the
file, `--set` lines, a sweep point, a staffing size, a target's respond limit. Variants
are transformed models, never funnel text printed and parsed again: text the user
wrote is parsed once, and values computed by funnelc (a grid value, a size, a fitted
number) become model nodes through the literal functions below, which give the node
the parser would build from the same literal (the tests hold them to the parser).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from . import model as m
from .checks.references import target_key
from .span import Span

__all__ = ["ScenarioError", "apply_overrides", "apply_scenario", "scenario_names", "duration_of",
           "quantity_of", "share_of", "rate_of", "literal_like"]


class ScenarioError(ValueError):
    """A scenario that cannot be applied to this model."""

    def __init__(self, message: str, span: Span | None = None, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.help = help


def scenario_names(funnel: m.FunnelFile) -> list[str]:
    return [s.name.value for s in funnel.scenarios]


def _with_order(node: m.Stage, kind: str) -> tuple[str, ...]:
    """A statement added by a scenario is appended to the stage's written order, so the
    formatter prints the what-if model like any other."""
    return node.order if kind in node.order else node.order + (kind,)


def _with_option(funnel: m.FunnelFile, ovr: m.Override, kind: str) -> tuple[str, ...]:
    """A cost or budget a scenario gives a source that had none is appended to its
    written options, so the formatter prints the what-if model like any other."""
    assert ovr.subject is not None
    src = funnel.source(ovr.subject.value)
    if src is None:
        return ()
    return src.options if kind in src.options else src.options + (kind,)


def _team(funnel: m.FunnelFile, ovr: m.Override, change: dict) -> m.FunnelFile:
    assert ovr.subject is not None
    name = ovr.subject.value
    if funnel.team(name) is None:
        raise ScenarioError(f"scenario changes team `{name}`, which does not exist", ovr.subject.span)
    teams = tuple(t.model_copy(update=change) if t.name.value == name else t for t in funnel.teams)
    return funnel.model_copy(update={"teams": teams})


def _source(funnel: m.FunnelFile, ovr: m.Override, change: dict) -> m.FunnelFile:
    assert ovr.subject is not None
    name = ovr.subject.value
    if funnel.source(name) is None:
        raise ScenarioError(f"scenario changes source `{name}`, which does not exist",
                            ovr.subject.span)
    sources = tuple(s.model_copy(update=change) if s.name.value == name else s
                    for s in funnel.sources)
    return funnel.model_copy(update={"sources": sources})


def _stage(funnel: m.FunnelFile, ovr: m.Override,
           change: Callable[[m.Pipeline, m.Stage], m.Stage]) -> m.FunnelFile:
    assert ovr.stage is not None
    found = funnel.resolve(ovr.stage, None)
    if found is None:
        raise ScenarioError(f"scenario changes stage {ovr.stage.display()}, which does not exist",
                            ovr.stage.span)
    pipe, stage = found
    new_stage = change(pipe, stage)
    stages = tuple(new_stage if s is stage else s for s in pipe.stages)
    new_pipe = pipe.model_copy(update={"stages": stages})
    pipes = tuple(new_pipe if p is pipe else p for p in funnel.pipelines)
    return funnel.model_copy(update={"pipelines": pipes})


def _set_share(ovr: m.Override) -> Callable[[m.Pipeline, m.Stage], m.Stage]:
    assert ovr.target is not None and ovr.share is not None
    target, share = ovr.target, ovr.share

    def change(pipe: m.Pipeline, stage: m.Stage) -> m.Stage:
        if stage.cadence is not None:
            raise ScenarioError(f"stage `{stage.name.value}` routes by its cadence; a scenario "
                                "cannot change its shares", target.span)
        want = target_key(target, pipe)
        outs = list(stage.outcomes)
        hits = [i for i, o in enumerate(outs) if target_key(o.target, pipe) == want]
        if not hits:
            raise ScenarioError(f"stage `{stage.name.value}` has no such outcome to change",
                                target.span)
        for i in hits:
            outs[i] = outs[i].model_copy(update={"share": share})
        return stage.model_copy(update={"outcomes": tuple(outs)})

    return change


def _set(kind: str, **values: object) -> Callable[[m.Pipeline, m.Stage], m.Stage]:
    def change(pipe: m.Pipeline, stage: m.Stage) -> m.Stage:
        return stage.model_copy(update={**values, "order": _with_order(stage, kind)})

    return change


def _apply(funnel: m.FunnelFile, ovr: m.Override) -> m.FunnelFile:
    k = ovr.kind
    if k == "team_size":
        return _team(funnel, ovr, {"size": ovr.size})
    if k == "team_hours":
        return _team(funnel, ovr, {"hours": ovr.hours})
    if k == "source_rate":
        return _source(funnel, ovr, {"rate": ovr.rate})
    if k == "source_profile":
        return _source(funnel, ovr, {"profile": ovr.profile})
    if k == "source_cost":
        return _source(funnel, ovr, {"cost": ovr.cost,
                                     "options": _with_option(funnel, ovr, "cost")})
    if k == "source_budget":
        return _source(funnel, ovr, {"budget": ovr.budget,
                                     "options": _with_option(funnel, ovr, "budget")})
    if k == "stage_work":
        return _stage(funnel, ovr, _set("work", work=ovr.work))
    if k == "stage_sla":
        return _stage(funnel, ovr, _set("sla", sla=ovr.sla))
    if k == "stage_respond":
        return _stage(funnel, ovr, _set("respond", respond=ovr.respond))
    if k == "stage_owner":
        assert ovr.owner is not None
        if funnel.team(ovr.owner.value) is None:
            raise ScenarioError(f"scenario makes team `{ovr.owner.value}` an owner, but it does "
                                "not exist", ovr.owner.span)
        return _stage(funnel, ovr, _set("owner", owner=ovr.owner))
    if k == "stage_share":
        return _stage(funnel, ovr, _set_share(ovr))
    if k == "stage_stay":
        def stay(pipe: m.Pipeline, stage: m.Stage) -> m.Stage:
            if stage.cadence is not None:
                raise ScenarioError(f"stage `{stage.name.value}` routes by its cadence and "
                                    "has no `stay`", ovr.span)
            return _set("stay", stay=ovr.share)(pipe, stage)
        return _stage(funnel, ovr, stay)
    raise ScenarioError(f"unknown override kind `{k}`", ovr.span)  # pragma: no cover


def apply_overrides(funnel: m.FunnelFile, overrides: Iterable[m.Override]) -> m.FunnelFile:
    """The model with `overrides` applied in order (a later one wins over an earlier one
    changing the same thing); `funnel` is left untouched. Raises `ScenarioError` for an
    override naming something the model does not have."""
    out = funnel
    for ovr in overrides:
        out = _apply(out, ovr)
    return out


def apply_scenario(funnel: m.FunnelFile, name: str) -> m.FunnelFile:
    """The model with scenario `name`'s overrides applied in the order written (a later
    line wins over an earlier one changing the same thing)."""
    scen = next((s for s in funnel.scenarios if s.name.value == name), None)
    if scen is None:
        from .diagnostics import did_you_mean

        names = scenario_names(funnel)
        guess = did_you_mean(name, names)
        hint = (f"did you mean `{guess}`?" if guess else
                ("scenarios in this file: " + ", ".join(f"`{n}`" for n in names)) if names
                else "this file has no `scenario` blocks")
        raise ScenarioError(f"no scenario `{name}` in {funnel.path}", None, hint)
    return apply_overrides(funnel, scen.overrides)


# ---------------------------------------------------------------------------- literals
# What `funnelc.build` makes of one literal token, for values funnelc computes itself:
# a node built from the text that would be written, so a variant simulates exactly as
# the same variant written in a file would (`90m` is 90 * (1/60) h, not 1.5 h).
_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_DURATION_RE = re.compile(_NUMBER + r"(min|s|m|h|d|w)")
_AMOUNT_RE = re.compile(_NUMBER + r"([kKM]?)")
_SHARE_RE = re.compile(_NUMBER + "%")
_RATE_RE = re.compile(_NUMBER + r"/(hour|day|week|month)")
_AMOUNT_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6}
_NO_SPAN = Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0)


def duration_of(text: str, span: Span | None = None) -> m.Duration | None:
    """`90m` as the parser reads it; None when `text` is not a duration literal."""
    mt = _DURATION_RE.fullmatch(text)
    if mt is None:
        return None
    return m.Duration(span=span or _NO_SPAN,
                      hours=float(mt[1]) * m.HOURS_PER_UNIT[mt[2]], text=text)


def quantity_of(text: str, kind: str, span: Span | None = None) -> m.Quantity | None:
    """A duration (`2.5d`) or amount (`120k`) argument of a distribution."""
    if kind == "duration":
        d = duration_of(text, span)
        return None if d is None else m.Quantity(span=d.span, kind="duration", value=d.hours,
                                                 text=text)
    mt = _AMOUNT_RE.fullmatch(text)
    if mt is None:
        return None
    return m.Quantity(span=span or _NO_SPAN, kind="amount",
                      value=float(mt[1]) * _AMOUNT_SCALE[mt[2]], text=text)


def share_of(text: str, span: Span | None = None) -> m.Share | None:
    """`35.5%` as the parser reads it."""
    mt = _SHARE_RE.fullmatch(text)
    return None if mt is None else m.Share(span=span or _NO_SPAN, value=float(mt[1]) / 100.0,
                                           text=text)


def rate_of(text: str, span: Span | None = None) -> m.Rate | None:
    """`12/day` as the parser reads it."""
    mt = _RATE_RE.fullmatch(text)
    return None if mt is None else m.Rate(span=span or _NO_SPAN, count=float(mt[1]),
                                          unit=mt[2], text=text)  # type: ignore[arg-type]


def literal_like(like: m.Node, text: str) -> m.Node | None:
    """The node `text` means where `like` stands (same type, same span), or None when
    `text` cannot stand there."""
    if isinstance(like, m.Quantity):
        return quantity_of(text, like.kind, like.span)
    if isinstance(like, m.Duration):
        return duration_of(text, like.span)
    if isinstance(like, m.Share):
        return share_of(text, like.span)
    if isinstance(like, m.Rate):
        return rate_of(text, like.span)
    return None
