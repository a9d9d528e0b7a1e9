"""What-if sliders: for each team size, source rate and stage SLA, a control whose value
becomes a scenario override (`scenarios.apply_overrides`, the mechanism `whatif` and
`sweep` use), the exact figures of the variant beside the file's baseline, and "save as
scenario", which writes the overrides into the file as a `scenario` block through the
model and the formatter (never by pasting text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .. import model as m
from ..analysis.exact import analyze_account
from ..analysis.exact_text import sla_share
from ..api import load_text
from ..fmt import _override, format_model
from ..i18n import Translator, translator
from ..i18n.figures import Figures as FigureWords
from ..numfmt import money_in
from ..scenarios import ScenarioError, apply_overrides, duration_of, rate_of
from ..span import Span
from . import i18n
from .live import Figures, figures_of

__all__ = ["Control", "Change", "Delta", "WhatIf", "LeverError", "controls_for", "what_if",
           "apply_changes",
           "with_scenario"]


class LeverError(ValueError):
    """A change the page sent that the model cannot take (a team that no longer exists,
    a value out of range): said in words, answered with HTTP 400."""


@dataclass(frozen=True)
class Control:
    """One slider: `kind` is the override kind, `subject` the team or source name, or
    the stage as `pipeline` + `subject`."""

    kind: str
    subject: str
    pipeline: str | None
    label: str
    value: float
    low: float
    high: float
    step: float
    unit: str


@dataclass(frozen=True)
class Change:
    kind: str
    subject: str
    value: float
    pipeline: str | None = None


@dataclass(frozen=True)
class Delta:
    """A figure of the baseline and of the variant (`what` names it for people; a
    stage's `subject` is its name, in `pipeline`)."""

    what: str
    subject: str
    baseline: float | None
    variant: float | None
    baseline_text: str = "—"
    """`baseline` as the account's language writes it, in its unit (money as the report
    writes it: `160 млн ₽`, `$1.2M`)."""
    variant_text: str = "—"
    pipeline: str | None = None


@dataclass(frozen=True)
class WhatIf:
    lines: tuple[str, ...]
    """The overrides as a `scenario` block would hold them."""
    deltas: tuple[Delta, ...]
    variant: Figures
    notes: tuple[str, ...] = ()
    """What the figures cannot show, in the page's language (a team's size moves no
    exact won deals or revenue: the exact maths assumes every deal is worked)."""


def _number(x: float) -> str:
    """`4`, `2.5`: the literal for a value the slider produced."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def controls_for(funnel: m.FunnelFile) -> list[Control]:
    out = []
    for t in funnel.teams:
        out.append(Control("team_size", t.name.value, None, f"team {t.name.value}: size",
                           t.size, 1, max(t.size * 3, t.size + 5), 1, ""))
    for s in funnel.sources:
        c = s.rate.count
        out.append(Control("source_rate", s.name.value, None, f"source {s.name.value}: rate",
                           c, 0, max(c * 3, 10), 1 if c >= 10 else 0.5, f"/{s.rate.unit}"))
    for p in funnel.pipelines:
        for st in p.stages:
            if st.sla is not None:
                h = st.sla.after.hours
                out.append(Control("stage_sla", st.name.value, p.name.value,
                                   f"{p.name.value}.{st.name.value}: sla", round(h, 2),
                                   1, max(h * 3, 24), 1, "h"))
    return out


_END = Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0)


def _name(value: str, span: Span) -> m.Name:
    return m.Name(span=span, value=value, quoted=True)


def _override_for(funnel: m.FunnelFile, ch: Change, span: Span) -> m.Override:
    if ch.kind == "team_size":
        if funnel.team(ch.subject) is None:
            raise LeverError(f"no team `{ch.subject}` in the file")
        if ch.value < 1 or ch.value != int(ch.value):
            raise LeverError(f"team `{ch.subject}`: size must be a whole number, at least 1")
        return m.Override(span=span, kind="team_size", subject=_name(ch.subject, span),
                          size=int(ch.value))
    if ch.kind == "source_rate":
        source = funnel.source(ch.subject)
        if source is None:
            raise LeverError(f"no source `{ch.subject}` in the file")
        rate = rate_of(f"{_number(max(ch.value, 0.0))}/{source.rate.unit}", span)
        if rate is None:  # pragma: no cover - _number always gives a literal
            raise LeverError(f"source `{ch.subject}`: {ch.value} is not a rate")
        return m.Override(span=span, kind="source_rate", subject=_name(ch.subject, span),
                          rate=rate)
    if ch.kind == "stage_sla":
        found = funnel.resolve(m.StageRef(span=span, pipeline=_name(ch.pipeline or "", span),
                                          stage=_name(ch.subject, span)), None) \
            if ch.pipeline else None
        if found is None or found[1].sla is None:
            raise LeverError(f"no stage `{ch.pipeline}.{ch.subject}` with an sla in the file")
        if ch.value <= 0:
            raise LeverError("an sla must be longer than 0 hours")
        after = duration_of(f"{_number(ch.value)}h", span)
        assert after is not None
        sla = found[1].sla.model_copy(update={"after": after})
        return m.Override(span=span, kind="stage_sla",
                          stage=m.StageRef(span=span, pipeline=_name(found[0].name.value, span),
                                           stage=_name(found[1].name.value, span)), sla=sla)
    raise LeverError(f"unknown control `{ch.kind}`")


def _deltas(base: Figures, variant: Figures, tr: Translator) -> list[Delta]:
    words = FigureWords(tr)

    def count(x: float | None) -> str:
        return "—" if x is None else tr.number(x, 1)

    def hours(x: float | None) -> str:
        return "—" if x is None else words.hours(x)

    def share(x: float | None) -> str:
        return "—" if x is None else tr.pct(x)

    def cut(x: float | None, bound: bool) -> str:
        """The SLA's share as the exact table writes it (`exact_text.sla_share`): «≥» where
        it is a lower bound, «—» where that bound is 0 (it wrote «≥0%»)."""
        return sla_share(x, bound, words.pct)

    def money(x: float | None) -> str:
        return "—" if x is None else money_in(x, base.currency, tr.lang)

    out = []
    v_teams = {t.name: t for t in variant.teams}
    for t in base.teams:
        vt = v_teams.get(t.name)
        v = vt.load if vt else None
        out.append(Delta("load ρ", t.name, t.load, v, t.load_text,
                         vt.load_text if vt else "—"))
    v_pipes = {p.name: p for p in variant.pipelines}
    for p in base.pipelines:
        vp = v_pipes.get(p.name)
        v = vp.won_per_month if vp else None
        out.append(Delta("won per month", p.name, p.won_per_month, v,
                         count(p.won_per_month), count(v)))
    v_stages = {(s.pipeline, s.stage): s for s in variant.stages}
    for s in base.stages:
        vs = v_stages.get((s.pipeline, s.stage))
        if vs is None:
            continue
        if s.wait_mean_hours is not None or vs.wait_mean_hours is not None:
            out.append(Delta("mean wait, h", s.stage, s.wait_mean_hours, vs.wait_mean_hours,
                             hours(s.wait_mean_hours), hours(vs.wait_mean_hours), s.pipeline))
        if s.respond_breach is not None or vs.respond_breach is not None:
            out.append(Delta("respond breach", s.stage, s.respond_breach, vs.respond_breach,
                             share(s.respond_breach), share(vs.respond_breach), s.pipeline))
        # The share of the stage's deals its SLA ends, where it moves: what an SLA slider
        # changes in the exact maths (an SLA of 30 → 5 working hours on developer's
        # «Інтерес підтверджено» moved no row: wins and revenue follow the routes' shares).
        if s.sla_ends != vs.sla_ends:
            out.append(Delta("SLA cut", s.stage, s.sla_ends, vs.sla_ends,
                             cut(s.sla_ends, s.sla_ends_is_bound),
                             cut(vs.sla_ends, vs.sla_ends_is_bound), s.pipeline))
    if base.revenue_per_month is not None:
        out.append(Delta("revenue per month", "account", base.revenue_per_month,
                         variant.revenue_per_month, money(base.revenue_per_month),
                         money(variant.revenue_per_month)))
    return out


def apply_changes(funnel: m.FunnelFile, changes: Sequence[Change]) -> m.FunnelFile:
    """`funnel` with the sliders' `changes` applied as scenario overrides."""
    try:
        return apply_overrides(funnel, [_override_for(funnel, ch, _END) for ch in changes])
    except ScenarioError as exc:
        raise LeverError(exc.message) from None


def what_if(funnel: m.FunnelFile, changes: Sequence[Change]) -> WhatIf:
    """The exact figures of `funnel` with `changes` applied, against the file's own."""
    overrides = [_override_for(funnel, ch, _END) for ch in changes]
    try:
        variant_model = apply_overrides(funnel, overrides)
    except ScenarioError as exc:
        raise LeverError(exc.message) from None
    language = i18n.language_of(funnel)
    base = figures_of(analyze_account(funnel), language)
    variant = figures_of(analyze_account(variant_model), language)
    # The exact maths has every deal worked whatever the team's size and follow the
    # routes' shares whatever the SLA (its won deals and revenue come from the shares
    # alone; only ρ, the wait and the breaches see the team, only the SLA's share sees the
    # SLA): said, or a bigger team or a looser SLA would seem to change nothing.
    notes = tuple(i18n.word(language, f"{kind}_note") for kind in ("team_size", "stage_sla")
                  if any(ch.kind == kind for ch in changes))
    deltas = tuple(_deltas(base, variant, translator(language)))
    # A load marked «!» in the table says under it what «!» means, as the exact tables do
    # (the tab showed «111% !» and nowhere said it).
    mark = base.load_mark or variant.load_mark
    if mark is not None and any(d.what == "load ρ" and "!" in d.baseline_text + d.variant_text
                                for d in deltas):
        notes += (mark,)
    return WhatIf(tuple(_override(o) for o in overrides), deltas, variant, notes)


def with_scenario(text: str, path: str, name: str, changes: Sequence[Change]) -> str:
    """`text` with a new `scenario "name" { … }` holding `changes`, formatted. Raises
    `LeverError` when the text has errors, the name is taken or a change is bad."""
    loaded = load_text(text, path)
    if not loaded.ok or loaded.model is None:
        raise LeverError("the file has errors: fix them before saving a scenario")
    funnel = loaded.model
    name = name.strip()
    if not name:
        raise LeverError("give the scenario a name")
    if any(s.name.value == name for s in funnel.scenarios):
        raise LeverError(f"the file already has a scenario `{name}`: choose another name")
    if not changes:
        raise LeverError("move a slider first: the scenario would change nothing")
    source = loaded.source.text if loaded.source is not None else text
    # The formatter reads a block's braces from the source text: the new block's are a
    # `{}` after the file's end, where its nodes' spans point (header, then contents).
    n = len(source)
    line = source.count("\n") + 2
    header = Span(line=line, column=1, end_line=line, end_column=1, start=n + 1, end=n + 1)
    inside = Span(line=line, column=2, end_line=line, end_column=2, start=n + 2, end=n + 2)
    scenario = m.Scenario(span=header, name=_name(name, header),
                          overrides=tuple(_override_for(funnel, ch, inside) for ch in changes))
    order = (*funnel.order, ("scenarios", len(funnel.scenarios))) if funnel.order else ()
    new_model = funnel.model_copy(update={"scenarios": (*funnel.scenarios, scenario),
                                          "order": order})
    out = format_model(new_model, loaded.comments, source + "\n{}")
    check = load_text(out, path)
    if not check.ok:  # pragma: no cover - the formatter and the checks disagree: a bug
        raise LeverError("the scenario could not be written: " +
                         "; ".join(d.message for d in check.errors))
    return out
