"""What a lint rule is: metadata (code, kebab-case name, kind, default severity, options)
plus a `check` that reads the model and yields `Finding`s.

Rules do not build `Diagnostic`s themselves: the runner stamps code, name, path and the
configured severity on each finding, so a rule cannot get those wrong and a user's
`severity` setting applies everywhere alike. Rule documentation lives in the rule's
docstring (sections What/Why/Bad/Good/Seed, numpy-style underlines); `funnelc rule`,
`docs/rules.md` and SARIF metadata are all generated from it, and the tests run every
Bad and Good example, so the docs cannot lie.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ..diagnostics import Label, Severity
from ..model import FunnelFile, Hours, Pipeline, Purpose, Stage
from ..routing import Exit, exits
from ..span import Span

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..analysis.markov import AccountChain
    from ..routing import Flows, StageFlow, StageKey
    from .naming import Classification

__all__ = ["Rule", "Finding", "LintContext", "RuleDocs", "OptionValue", "Kind",
           "is_sales", "percent", "stage_at", "iter_stages", "stages_named_as", "exits",
           "purpose_name", "pipelines_not_exempt", "stages_not_exempt", "example_language",
           "ExampleLanguage", "account_hours", "calendar_days", "letters_language", "CalendarDays", "working_days",
           "ORDER_PURPOSES", "copies", "aged_segment"]

Kind = Literal["problem", "suggestion", "style"]
ExampleLanguage = Literal["ru", "uk", "en"]
OptionValue = int | float | bool | str | list[str]

_SECTIONS = ("What", "Why", "Bad", "Good", "Seed", "Options")


@dataclass(slots=True)
class Finding:
    """One thing a rule found, before the runner turns it into a `Diagnostic`.

    Not frozen: a frozen dataclass sets each field through `object.__setattr__`, five
    times slower, and three rules find one per stage (58 000 on a 20 000-stage
    pipeline). The runner reads it once and drops it."""

    message: str
    span: Span | None
    label: str = ""
    secondary: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None


@dataclass(frozen=True)
class RuleDocs:
    """A rule's docstring cut into its sections (`what` is the first paragraph)."""

    what: str
    why: str
    bad: str
    good: str
    seed: str
    options: dict[str, str] = field(default_factory=dict)
    """Option name → what it means, from an `Options` section of `name: text` lines."""


@dataclass(frozen=True)
class StageEntries:
    """`LintContext.entries`: the stages something is copied into, the stages a source
    leads into (by the model stage's identity), and each stage's moves in (the stage
    they come from, and what makes them: an outcome, an `sla`, a cadence)."""

    copied: frozenset[StageKey]
    sourced: frozenset[int]
    into: dict[StageKey, list[tuple[StageKey, str]]]


class LintContext:
    """The file being linted, with the shared, lazily computed views rules read: the
    routing `Flows`, the exact `AccountChain` and stage-name classifications. Lazy, so a
    run that selects only structural rules never pays for the Markov solve or pymorphy3."""

    def __init__(self, funnel: FunnelFile) -> None:
        self.funnel = funnel
        self._classes: dict[str, Classification] = {}

    @functools.cached_property
    def flows(self) -> Flows:
        from ..routing import build_flows

        return build_flows(self.funnel)

    @functools.cached_property
    def chain(self) -> AccountChain:
        from ..analysis.markov import account_chain

        return account_chain(self.funnel, flows=self.flows)

    @functools.cached_property
    def stage_classes(self) -> list[tuple[Stage, str, Classification]]:
        """Every stage with its name's class (as text) and classification, in file
        order: three naming rules read every stage of a 20 000-stage pipeline."""
        classify = self.classify
        out = []
        for pipe in self.funnel.pipelines:
            for stage in pipe.stages:
                c = classify(stage.name.value)
                out.append((stage, str(c.klass), c))
        return out

    @functools.cached_property
    def entries(self) -> StageEntries:
        """How deals enter each stage, gathered in one pass over the routes: FN116 asks
        it of every stage of a pipeline (`aged_segment`), and a scan of every route per
        stage made `check` quadratic in a pipeline's stages."""
        copied: set[StageKey] = set()
        into: dict[StageKey, list[tuple[StageKey, str]]] = {}
        for f in self.flows.stages.values():
            for r in f.routes:
                if r.copy_to is not None:
                    copied.add(r.copy_to)
                if r.kind == "stage" and r.stage is not None:
                    into.setdefault(r.stage, []).append((f.key, r.via))
        sourced: set[int] = set()
        for source in self.funnel.sources:
            found = self.funnel.resolve(source.target, None)
            if found is not None:
                sourced.add(id(found[1]))
        return StageEntries(frozenset(copied), frozenset(sourced), into)

    def classify(self, name: str) -> Classification:
        """`classify_stage_name`, asked once per name per run (three naming rules ask
        about every stage; the answer is a frozen value)."""
        found = self._classes.get(name)
        if found is None:
            from .naming import classify_stage_name

            found = self._classes[name] = classify_stage_name(name)
        return found


class Rule:
    """Base of every lint rule. Subclasses set the class attributes and `check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    title: ClassVar[str]
    """One short line: `funnelc rules`, SARIF `shortDescription`, the docs index."""
    kind: ClassVar[Kind]
    default_severity: ClassVar[Severity]
    options: ClassVar[Mapping[str, OptionValue]] = {}
    """Option name (kebab-case, as written in the config) → default value."""

    def check(self, ctx: LintContext, opts: Mapping[str, Any]) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def docs(cls) -> RuleDocs:
        return parse_docstring(inspect.getdoc(cls) or "")



def parse_docstring(doc: str) -> RuleDocs:
    """Cut a numpy-style docstring (`Why` over `---`) into `RuleDocs`; the text before
    the first heading is What. Code blocks (Bad/Good) are dedented."""
    parts: dict[str, list[str]] = {"What": []}
    current = "What"
    lines = doc.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() in _SECTIONS and re.fullmatch(r"-{3,}", nxt.strip()):
            current = line.strip()
            parts.setdefault(current, [])
            i += 2
            continue
        parts[current].append(line)
        i += 1

    def text(name: str) -> str:
        return "\n".join(parts.get(name, [])).strip("\n")

    def code(name: str) -> str:
        return inspect.cleandoc(text(name)) if text(name) else ""

    options: dict[str, str] = {}
    for line in parts.get("Options", []):
        m = re.match(r"\s*`?([a-z][a-z0-9-]*)`?\s*:\s*(.+)", line)
        if m:
            options[m.group(1)] = m.group(2).strip()
        elif options and line.strip():
            last = list(options)[-1]
            options[last] += " " + line.strip()
    return RuleDocs(what=" ".join(text("What").split()), why=" ".join(text("Why").split()),
                    bad=code("Bad"), good=code("Good"), seed=" ".join(text("Seed").split()),
                    options=options)


# ----------------------------------------------------------------------- helpers for rules


def is_sales(pipe: Pipeline, funnel: FunnelFile) -> bool:
    """A sales pipeline: declared `sales`, or an undeclared one that is `main` or alone
    (an account's only funnel is its sales funnel unless it says otherwise)."""
    if pipe.purpose is not None:
        return pipe.purpose is Purpose.sales
    return pipe.main or len(funnel.pipelines) == 1


def percent(x: float) -> str:
    """`35%`, `2.5%`, `0.3%`: shares as a consultant writes them."""
    v = x * 100
    if abs(v - round(v)) < 1e-6:
        return f"{round(v)}%"
    return f"{v:.1f}%" if v >= 1 else f"{v:.2g}%"


def stage_at(funnel: FunnelFile, offset: int) -> Stage | None:
    """The stage whose text holds a character offset (for stage-wide suppressions)."""
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            if stage.span.start <= offset < max(stage.span.end, stage.span.start + 1):
                return stage
    return None


def iter_stages(funnel: FunnelFile) -> Iterator[tuple[Pipeline, int, Stage]]:
    for pipe in funnel.pipelines:
        for i, stage in enumerate(pipe.stages):
            yield pipe, i, stage


def stages_named_as(ctx: LintContext, klass: str, opts: Mapping[str, Any]
                    ) -> Iterator[tuple[Stage, Classification]]:
    """Stages whose name classifies as `klass`, with the classification, minus the names
    the rule's `allow` option lists: the naming rules then differ only in their words, and
    a name the user allowed is never classified (no pymorphy3 load for it)."""
    allowed = set(opts["allow"])
    if not allowed:
        for stage, found, c in ctx.stage_classes:
            if found == klass:
                yield stage, c
        return
    for _, _, stage in iter_stages(ctx.funnel):
        if stage.name.value in allowed:
            continue
        c = ctx.classify(stage.name.value)
        if str(c.klass) == klass:
            yield stage, c


def purpose_name(pipe: Pipeline) -> str:
    return pipe.purpose.value if pipe.purpose is not None else ""


def copies(ctx: LintContext, pipe: Pipeline, *, patience: bool = False
           ) -> Iterator[tuple[Stage, Exit, Pipeline]]:
    """Every way out of `pipe`'s stages that copies the deal (`then copy`), in the order
    written, with the pipeline the copy goes into (the pipeline itself included; a copy
    into nowhere is the checks' to report). The walk FN104, FN110 and FN125 share to ask
    what a lost, timed-out or won deal is copied into."""
    for stage in pipe.stages:
        for out in exits(stage, patience=patience):
            if out.copy_to is not None:
                found = ctx.funnel.resolve(out.copy_to.ref, pipe)
                if found is not None:
                    yield stage, out, found[0]


def aged_segment(ctx: LintContext, pipe: Pipeline, stage: StageFlow) -> bool:
    """Whether every deal enters `stage` (a stage of `pipe`) by
    another stage's `sla`: not the pipeline's first stage, no source's, nothing copied
    into it, and every route into it an `sla`. Such a stage holds the deals that aged
    out of another, a segment of the base already (the cold stage `funnelc audit`
    proposes to split off a graveyard, seed 000): FN116 and FN117 do not read it as a
    step every deal takes nor ask to segment it again."""
    entries = ctx.entries
    if (stage.stage is pipe.stages[0] or stage.key in entries.copied
            or id(stage.stage) in entries.sourced):
        return False
    into = [via for key, via in entries.into.get(stage.key, ())
            if key != stage.key and key[0] == stage.key[0]]
    return bool(into) and all(via == "sla" for via in into)


def pipelines_not_exempt(funnel: FunnelFile, opts: Mapping[str, Any]) -> Iterator[Pipeline]:
    """The pipelines whose purpose the rule's `exempt-purposes` option does not name: one
    reading of the option, so every rule that has it leaves out the same pipelines."""
    exempt = set(opts["exempt-purposes"])
    for pipe in funnel.pipelines:
        if purpose_name(pipe) not in exempt:
            yield pipe


def stages_not_exempt(funnel: FunnelFile, opts: Mapping[str, Any]) -> Iterator[Stage]:
    """The stages of `pipelines_not_exempt`, in file order."""
    for pipe in pipelines_not_exempt(funnel, opts):
        yield from pipe.stages


def example_language(ctx: LintContext, names: Iterable[str] = ()) -> ExampleLanguage:
    """The language a finding's example names (stages, loss reasons, pipelines) are
    written in: the account's `language`, else the one most of `names` read as, else
    Russian, the seeds' language. A Ukrainian client who is told to add
    `lost "Долго думает"` reads a Russian name as a translation error, not as advice."""
    for account in ctx.funnel.accounts:
        if account.language:
            return account.language
    from .naming import detect_language

    found: list[ExampleLanguage] = []
    for name in names:
        lang = detect_language(name)
        if lang == "ru" or lang == "uk" or lang == "en":
            found.append(lang)
    return max(found, key=found.count) if found else "ru"


def letters_language(ctx: LintContext, names: Iterable[str] = ()) -> ExampleLanguage:
    """`example_language` read from letters alone, for rules that must not load
    pymorphy3: the account's `language`, else Ukrainian when a name has і, ї, є or ґ,
    English when every name is Latin, else Russian."""
    for account in ctx.funnel.accounts:
        if account.language:
            return account.language
    text = " ".join(names).lower()
    if any(ch in text for ch in "іїєґ"):
        return "uk"
    if text and not re.search(r"[а-яё]", text):
        return "en"
    return "ru"


ORDER_PURPOSES = frozenset({"production", "delivery", "claims"})
"""Pipelines of a paid order or an open claim: nothing there is lost on a timer or
warmed (seed 002, mistake 2 is about sales deals that hang); a late order is escalated."""


def account_hours(funnel: FunnelFile) -> Hours | None:
    """The account's working calendar, which `sla` and `respond` count (None: 24/7)."""
    return next((a.hours for a in funnel.accounts if a.hours is not None), None)


@dataclass(frozen=True, slots=True)
class CalendarDays:
    """How a span of calendar days is written as an `sla` on an account.

    `text` is the duration to write (`7d` on a 24/7 account, `45h` with
    `hours mon-fri 09:00-18:00`); `note` says why when it is in working hours, else ""."""

    text: str
    note: str


def calendar_days(funnel: FunnelFile, days: float) -> CalendarDays:
    """The `sla` that lasts about `days` calendar days on this account. With `hours` in the
    account an `sla` counts working time only, so `d` is 24 *working* hours (docs/
    reference.md, "Working time and calendar time"): `sla 7d` on mon-fri 09:00-18:00 is
    168 working hours, about 19 working days. A week is the calendar's working hours."""
    from ..analysis.working_time import WEEK_HOURS, working_hours_per_week

    hours = account_hours(funnel)
    whole = f"{days:g}d"
    if hours is None:
        return CalendarDays(whole, "")
    week = working_hours_per_week(hours)
    if week <= 0 or week >= WEEK_HOURS - 1e-9:
        return CalendarDays(whole, "")
    text = f"{max(1, round(week * days / 7))}h"
    return CalendarDays(text, (
        f"`{text}` is the working time of {days:g} calendar days on this account: with the "
        f"account's `hours` an `sla` counts working hours only, and `{whole}` would be "
        f"{round(days * 24)} working hours, about {working_days(hours, days * 24)} working "
        "days"))


def working_days(hours: Hours, working_hours: float) -> int:
    """About how many working days `working_hours` of a calendar take (a working day is
    the week's working hours over the days that have any)."""
    from ..analysis.working_time import working_hours_per_week

    days = {d for e in hours.entries for d in e.days if e.end_minute != e.start_minute}
    per_day = working_hours_per_week(hours) / max(1, len(days))
    return round(working_hours / per_day) if per_day > 0 else 0
