"""What the page shows while the text is edited: the findings of `check` (errors and
lint, with their one-click fixes), the account as a graph, and the exact figures per
stage, team and pipeline. One call per keystroke pause, so it does only what `check`
and `analyze` do and nothing the simulation does (saleschef: ~0.1 s).

Offsets are those of the page's editor: UTF-16 code units of the text with `\\n` line
ends (CodeMirror's), so an underline lands on the characters the checker meant even
after an emoji in a name.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..analysis.exact import AccountExact, analyze_account
from ..api import Loaded, load_text
from ..diagnostics import Diagnostic, Severity
from ..export.graph import AccountGraph, build_graph
from ..lint.config import LintConfig
from ..lint.runner import lint_report
from ..numfmt import DASH
from ..source import normalize_line_ends
from .fixes import Fix, fixes_for
from .offsets import Utf16

__all__ = ["LiveDiagnostic", "StageFigures", "TeamFigures", "PipelineFigures", "Figures",
           "LiveView", "evaluate", "evaluate_loaded", "figures_of"]


@dataclass(frozen=True)
class LiveDiagnostic:
    """One finding, placed for the editor (`start`/`end` in UTF-16 units) and for
    people (`line`:`column`, 1-based, as `check` prints them)."""

    code: str
    name: str | None
    severity: str
    message: str
    label: str
    help: str | None
    notes: tuple[str, ...]
    line: int
    column: int
    start: int
    end: int
    fixes: tuple[Fix, ...] = ()


@dataclass(frozen=True)
class StageFigures:
    """`analyze`'s row of a stage: the figures the live view prints beside it."""

    pipeline: str
    stage: str
    key: bool
    owner: str | None
    p_win: float
    arrivals_per_day: float
    visits_per_lead: float
    team_load: float | None
    """ρ of the owner team (its share of working time needed), None without an owner."""
    team_load_text: str | None
    """`team_load` as analyze and the report write it (`exact_text.team_load`): a share of
    the team's working time, `!` when the team cannot keep up, «111% !»."""
    queue_model: str | None
    """`M/M/c`, `M/M/c+D`, … where a closed form applies, else None (see `note`)."""
    p_wait: float | None
    wait_mean_hours: float | None
    respond_breach: float | None
    timeout_share: float | None
    sla_ends: float | None
    """The share of the stage's deals its SLA ends, `stay` included (`StageExact.sla_ends`,
    the report's and analyze's «SLA cut»); None without an SLA."""
    sla_ends_is_bound: bool
    """`sla_ends` is a lower bound (the page writes «≥»), as in the report."""
    sla_note: str | None
    """Why the SLA's share is «—» though the stage has an SLA (its lower bound is 0:
    `StageExact.sla_ends_unknown`), in the page's language: a numbered note, as analyze's."""
    mean_time_hours: float | None
    note: str | None
    """Why the closed-form queue figures (`p_wait`, `wait_mean_hours`, `respond_breach`)
    are missing, in the page's language (`analyze`'s note, as the report's footnotes)."""
    said: dict[str, str]
    """The row as analyze writes it in the page's language (`exact_text.stage_cells`):
    `p_win` «2,58%», `arrivals` (a day) «30», `p_wait`, `wait` «16,6 ч», `breach` and
    `sla_ends` «≥0,448%»; «—» where there is no figure (`sla_ends`: "" without an SLA)."""


@dataclass(frozen=True)
class TeamFigures:
    name: str
    size: int
    load: float
    """Share of the team's working time the stages it owns need (ρ)."""
    busy_mean: float
    stable: bool
    load_text: str
    """`load` as analyze and the report write it: «111% !», «28,7%»."""
    over: bool
    """The team cannot keep up: its load at or past its capacity (`exact_text.over`: a
    team finishing its work after closing keeps up past 100 %), the `!` of `load_text`."""


@dataclass(frozen=True)
class PipelineFigures:
    name: str
    p_won: float
    won_per_month: float
    inflow_per_day: float


@dataclass(frozen=True)
class Figures:
    """The exact maths of one model (the file's, or a what-if variant's)."""

    stages: tuple[StageFigures, ...]
    teams: tuple[TeamFigures, ...]
    pipelines: tuple[PipelineFigures, ...]
    revenue_per_month: float | None
    currency: str | None
    load_mark: str | None = None
    """What the `!` after a load means (`exact_text.LOAD_MARK`) in the page's language,
    when a load carries one: said under the tables, as analyze and the report do."""


@dataclass(frozen=True)
class LiveView:
    """The answer to one edit. `figures` and `graph` are None while the text has errors
    (the page keeps showing the last valid ones, marked as such)."""

    ok: bool
    diagnostics: tuple[LiveDiagnostic, ...]
    summary: str
    """How many findings, in the page's language (`2 ошибки, 1 предупреждение`), or its
    word for none."""
    graph: AccountGraph | None
    figures: Figures | None
    elapsed_ms: float
    notes: tuple[str, ...] = field(default=())
    language: str = "en"
    """The language of the page's words: the account's (or `--lang`), else the one the
    caller gave (the text does not load)."""


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def figures_of(result: AccountExact, language: str = "en") -> Figures:
    """The exact result, cut down to what the live view prints; the notes in `language`."""
    from ..analysis.exact_text import load_mark, over, sla_unknown_note, stage_cells, team_load
    from ..i18n import translator
    from ..i18n.figures import Figures as FigureWords
    from ..i18n.note import say

    tr = translator(language)
    words = FigureWords(tr)
    load = {t.name: t.load for t in result.teams}
    stages = []
    for p in result.pipelines:
        for s in p.stages:
            q = s.queue
            # analyze's cells, by analyze's function: the page wrote P(win) «2,6%» and
            # the SLA's share «≥0,4%» with one decimal of its own beside analyze's and
            # the what-if's «2,58%», «≥0,448%».
            cells = stage_cells(s, words.pct, words)
            p_wait = _finite(q.p_wait) if q is not None else None
            sla_note = sla_unknown_note(s)
            stages.append(StageFigures(
                pipeline=s.pipeline, stage=s.stage, key=s.key, owner=s.owner,
                p_win=s.p_win, arrivals_per_day=s.arrivals_per_hour * 24.0,
                visits_per_lead=s.visits_per_lead,
                team_load=_finite(load.get(s.owner)) if s.owner else None,
                team_load_text=team_load(load[s.owner], words.pct, s.team_capacity)
                if s.owner in load and math.isfinite(load[s.owner]) else None,
                queue_model=q.model if q is not None else None,
                p_wait=_finite(q.p_wait) if q is not None else None,
                wait_mean_hours=_finite(q.wait_served_mean_hours) if q is not None else None,
                respond_breach=_finite(q.respond_breach) if q is not None else None,
                timeout_share=_finite(q.timeout_share) if q is not None else None,
                sla_ends=_finite(s.sla_ends), sla_ends_is_bound=s.sla_cut_is_bound,
                sla_note=say(sla_note, tr) if sla_note is not None else None,
                mean_time_hours=_finite(s.mean_time_hours),
                note=say(s.queueing.reason, tr)
                if not s.queueing.applies and s.queueing.reason else None,
                said={"p_win": cells[3], "arrivals": cells[2],
                      "p_wait": words.pct(p_wait) if p_wait is not None else DASH,
                      "wait": cells[6], "breach": cells[7],
                      "sla_ends": cells[9] if s.sla_ends is not None else ""}))
    # Loads as analyze and the report write them, «111% !» with the legend of the mark:
    # the page read «1,11» in red wherever the load reached 1, a figure with no unit
    # beside the simulation's «Загрузка 99,6%», and red also for a team that keeps up by
    # finishing after closing, which the report does not mark.
    teams = tuple(TeamFigures(t.name, t.size, t.load, t.busy_mean, t.stable,
                              team_load(t.load, words.pct, t.capacity),
                              over(t.load, t.capacity))
                  for t in result.teams)
    pipelines = tuple(PipelineFigures(p.name, p.p_won, p.won_per_month,
                                      p.inflow_per_hour * 24.0) for p in result.pipelines)
    return Figures(tuple(stages), teams, pipelines, _finite(result.revenue_per_month),
                   result.currency,
                   load_mark(((t.load, t.capacity) for t in result.teams), words))


def _placed(d: Diagnostic, utf16: Utf16, loaded: Loaded, text: str) -> LiveDiagnostic:
    span = d.span
    start = span.start if span is not None else 0
    end = span.end if span is not None else 0
    return LiveDiagnostic(
        code=d.code, name=d.name, severity=d.severity.value, message=d.message,
        label=d.label, help=d.help, notes=tuple(d.notes),
        line=span.line if span is not None else 1, column=span.column if span is not None else 1,
        start=utf16.at(start), end=utf16.at(max(end, start)),
        fixes=tuple(f.in_units(utf16) for f in fixes_for(d, text, loaded.comments)))


def evaluate(text: str, path: str, config: LintConfig | None = None,
             language: str | None = None) -> LiveView:
    """Check, lint (with `config`, the file's lint configuration) and analyse funnel
    `text` (named `path` in messages) as `check` and `analyze` would; the page's words in
    the account's language (`language` when the text does not load)."""
    return evaluate_loaded(text, path, config, language)[0]


def evaluate_loaded(text: str, path: str, config: LintConfig | None = None,
                    language: str | None = None) -> tuple[LiveView, Loaded]:
    """`evaluate`, and the loaded text it read: the caller needs the model too (the
    sliders) and must not parse the text a second time (on a 2 800-line account a parse
    is half of a keystroke's time)."""
    from ..diagnostics import summary_line
    from .i18n import language_of, word

    began = time.perf_counter()
    text = normalize_line_ends(text)
    loaded = load_text(text, path)
    found = list(loaded.diagnostics)
    if loaded.ok:
        found += lint_report(loaded, config).diagnostics
    found.sort(key=Diagnostic.sort_key)
    lang = language_of(loaded.model) if loaded.model is not None else (language or "en")
    utf16 = Utf16(text)
    placed = tuple(_placed(d, utf16, loaded, text) for d in found)
    graph = figures = None
    notes: list[str] = []
    if loaded.ok and loaded.model is not None:
        graph = build_graph(loaded.model)
        figures = figures_of(analyze_account(loaded.model), lang)
    elif not any(d.severity is Severity.error for d in found) and loaded.model is None:
        notes.append("the text did not load")
    summary = summary_line(found, lang) or word(lang, "no_findings")
    view = LiveView(ok=loaded.ok, diagnostics=placed, summary=summary,
                    graph=graph, figures=figures,
                    elapsed_ms=(time.perf_counter() - began) * 1000.0, notes=tuple(notes),
                    language=lang)
    return view, loaded
