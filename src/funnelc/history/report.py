"""`funnelc history` output: the same tables three ways — rich tables in the terminal,
one self-contained `history.html` (inline SVG plots, no script), `history.json` (every
table as records, plus the data-quality counts) — and the plots as PNG and SVG.

Tables are described once (`SECTIONS`: which columns, how each is formatted) and every
renderer walks the description, so the terminal and the HTML cannot disagree.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ..i18n import C_, N_, Translator, choose, translator
from ..i18n.figures import Figures
from ..report.markup import code_spans
from ..report.markup import e as _e
from .analytics import HistoryTables
from .events import REASON_NOT_KEPT, WON
from .match import NameMatch
from .quality import DataQuality
from .quality_render import quality_note, quality_rows, summary_lines
from .stats import MIN_MONTH_DEALS
from .transitions import COMEBACK_DAYS

__all__ = ["Section", "sections", "print_terminal", "print_quality", "render_html",
           "render_json", "Column", "names_section", "unmatched_names", "order_note",
           "quality_section", "head_line", "page_title", "page_head", "PLACEHOLDERS",
           "placeholder", "points", "written_line"]

Fmt = Callable[[Any], str]


def _txt(x: Any) -> str:
    return "—" if x is None else str(x)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    fmt: Fmt = _txt
    numeric: bool = False
    from_row: Callable[[dict[str, Any]], str] | None = None
    """The cell said from the whole row (a band from its bounds) instead of `fmt(value)`:
    the frame, and so the JSON, keeps its machine value."""
    terminal: bool = True
    """Shown in the terminal too; a detail column of a wide table (an interval's bounds)
    is left to the HTML and JSON, so the rest fit a terminal without words cut up."""


def _c(key: str, title: str, fmt: Fmt = _txt) -> Column:
    return Column(key, title, fmt, fmt is not _txt)


def _t(key: str, title: str, fmt: Fmt) -> Column:
    """A text column whose cells `fmt` words in the output's language."""
    return Column(key, title, fmt, False)


@dataclass
class Section:
    key: str
    title: str
    note: str
    frame: pl.DataFrame
    columns: list[Column]
    marks: str = ""
    """What the marks in the cells mean, printed under the terminal's table (which has
    no room for the note): a «†» nobody explained read as a footnote gone missing."""
    shown: pl.DataFrame | None = None
    """The rows the terminal and the HTML show, when not all of `frame` (None: all);
    the JSON keeps `frame` whole."""
    summary: tuple[str, ...] = ()
    """Sentences the terminal and the HTML say in place of the rows `shown` leaves out:
    an account that records no loss reason had 28 rows of «(no reason) 100%» and 10 of
    «p 1» for the one line that says so."""
    worded: dict[tuple[str, object], str] = field(default_factory=dict, repr=False,
                                                  compare=False)
    """(column, value) → the cell's text, filled by `_cells` (shared with the copies
    `replace` makes): the terminal and the HTML word each distinct value once."""


PLACEHOLDERS: dict[str, str] = {
    "(no source)": N_("(no source)"), "(no manager)": N_("(no manager)"),
    "(no reason)": N_("(no reason)"), "(no value)": N_("(no value)"),
    "(reason not kept)": N_("(reason not kept)"),
}
"""What the analytics write where a deal has no source, manager, loss reason or value:
machine values in the JSON, words of the output's language in tables and sentences."""


MOVE_KINDS: dict[str, str] = {
    "forward": C_("move", "forward"), "skip": C_("move", "skip"),
    "backward": C_("move", "backward"), "sideways": C_("move", "sideways"),
    "other pipeline": C_("move", "other pipeline"),
}
"""The kinds of a move (`analytics.MOVE_KINDS`): machine values in the JSON."""


UNKNOWN_USER = N_("user #{id}")
"""How the CRM readers name a user the export gives no name for (no users answer saved,
one cut off, a Bitrix24 `user.get` without the user): `user #1006` in the data, the
language's words here."""

DELETED_USER = N_("deleted user #{id}")
"""A user a saved amoCRM users answer does not list: one deleted from the account (a
manager who left), whose id stays on her moves and leads: `deleted user #2002`."""


def placeholder(x: object, tr: Translator) -> str:
    """A name as written, or the placeholder for a missing one in `tr`'s language."""
    if x is None:
        return "—"
    text = str(x)
    if text in PLACEHOLDERS:
        return tr.gettext(PLACEHOLDERS[text])
    if text.startswith("user #") and text[6:].isdigit():
        return tr.gettext(UNKNOWN_USER).format(id=text[6:])
    if text.startswith("deleted user #") and text[14:].isdigit():
        return tr.gettext(DELETED_USER).format(id=text[14:])
    return text


_WON_CONTEXT = "the win, as the second stage of a stage pair"
WON_STAGE = C_("the win, as the second stage of a stage pair", "Closed won")
"""How the tables and sentences name a pair's second stage when it is the win (`won` in
the data and the JSON: the closing stage's pair, `cohorts`): the name CRMs give the
won status (amoCRM's «Успешно реализовано», HubSpot's “Closed won”)."""


def points(tr: Translator, sign: str, value: float) -> str:
    """Percentage points as a sentence says them («+8,8 п. п.»), the unit held to its
    figure by no-break spaces, as money and p-values are: a terminal wrapped «8,8» at
    the end of one line and «п. п.» at the start of the next."""
    return tr.gettext("{sign}{value} pp").format(
        sign=sign, value=tr.number(value, 1)).replace(" ", "\u00a0")


def pair_stage(x: object, tr: Translator) -> str:
    """A stage pair's stage as the output's language names it: the win is «Успешно
    реализовано», any other stage its own name."""
    if x == WON:
        return tr.pgettext(_WON_CONTEXT, WON_STAGE)
    return "—" if x is None else str(x)


_MONTH = re.compile(r"\d{4}-\d{2}")
"""A month as the analytics key it (`2026-07`)."""


@dataclass(frozen=True)
class _Formats:
    """The cells' formats in one language (`funnelc.i18n`): counts, percentages (the
    analytics compute them in percent), hours and days, yes and no."""

    tr: Translator

    def int_(self, x: Any) -> str:
        return "—" if x is None else self.tr.number(int(x), 0)

    def pct(self, x: Any) -> str:
        return "—" if x is None else self.tr.percent(float(x) / 100.0, 2)

    def hours(self, x: Any) -> str:
        return "—" if x is None else self.tr.hours(float(x))

    def days(self, x: Any) -> str:
        return "—" if x is None else self.tr.hours(float(x) * 24)

    def yes(self, x: Any) -> str:
        return "⚠ " + self.tr.gettext("yes") if x else ""

    def yes_no(self, x: Any) -> str:
        if x is None:
            return "—"
        return self.tr.gettext("yes") if x else self.tr.gettext("no")

    def month(self, x: Any) -> str:
        """A month (`2025-03`), or every month together (the analytics' `all`): named as
        the language names a month standing alone, «март\u00a02025» on one line
        (`month_words.said`); the tables read «2025-03» in Russian and Ukrainian. English
        keeps the ISO month, as the JSON."""
        if x is None:
            return "—"
        if x == "all":
            return self.tr.gettext("all")
        from .month_words import said

        return said([str(x)], self.tr) if _MONTH.fullmatch(str(x)) else str(x)

    def incomplete(self) -> str:
        """The mark after a month not yet complete, on the month's line (« *»)."""
        return " *" if self.tr.lang == "en" else "\u00a0*"

    def few(self) -> str:
        """The mark after the conversion of a month of too few deals (« †»)."""
        return " †" if self.tr.lang == "en" else "\u00a0†"

    def partial(self) -> str:
        """The mark after a month before the export sees deals close (« ‡»)."""
        return " ‡" if self.tr.lang == "en" else "\u00a0‡"

    def conversion(self, key: str) -> Callable[[dict[str, Any]], str]:
        """A conversion cell of the month's row, marked when the month has too few
        deals (`stats.MIN_MONTH_DEALS`): the plot draws it apart, the table keeps it."""
        return lambda r: self.pct(r[key]) + (self.few() if r.get("few") else "")

    def name(self, x: Any) -> str:
        """A source, manager or reason as written, or the placeholder for none."""
        return placeholder(x, self.tr)

    def move(self, x: Any) -> str:
        """A move's kind (skip, backward, …) in words."""
        text = "—" if x is None else str(x)
        return self.tr.pgettext("move", MOVE_KINDS[text]) if text in MOVE_KINDS else text

    def shape_stage(self, x: Any) -> str:
        """A stage of the funnel shape, where the analytics add the deals won as `won`:
        named as every other table names the win («Closed won», «Успешно реализовано»),
        not «won» / «успех» beside the conversion table's «Closed won»."""
        return pair_stage(x, self.tr)


def _lang(tr: Translator | None) -> Translator:
    """`tr`, or the language `--lang` asks for (history may run without a funnel)."""
    return tr or translator(choose(None))


def sections(t: HistoryTables, extra: Sequence[Section] = (),
             tr: Translator | None = None) -> list[Section]:
    """history's tables, titled and formatted in `tr`'s language."""
    tr = _lang(tr)
    _ = tr.gettext
    f = _Formats(tr)
    conv = t.conversion
    # An SLA that counts the account's working hours reads in them («193 раб. ч»), as
    # simulate and the report write it: as a duration it read «8 дней», clock time it is
    # not (`Figures.limit`).
    working = t.visits.routes is not None and t.visits.routes.hours is not None

    def sla(x: Any) -> str:
        return f.hours(x) if x is None else Figures(tr).limit(float(x), working)

    return [
        Section("inflow", _("Lead inflow by month and source"),
                _("New deals by the month of their first event and the pipeline they "
                  "started in; a deal without a source, or a copy («then copy») into a "
                  "pipeline no source feeds, is shown by the stage it started in."), t.inflow,
                [_t("month", _("month"), f.month),
                 *([_t("pipeline", _("pipeline"), f.name)]
                   if t.inflow["pipeline"].n_unique() > 1 else []),
                 _t("source", _("source"), f.name), _c("deals", _("deals"), f.int_)],
                # The terminal has no room for the note: «→ Closed Lost» under «source»
                # read as a source named so.
                marks=_("«→ stage»: deals with no source (and copies into a pipeline no "
                        "source feeds), listed by the stage they started in.")
                if t.inflow["source"].str.starts_with("→ ").any() else ""),
        Section("conversion", _("Stage-to-stage conversion by month"),
                _("Deals that entered the first stage that month, and the share of them that "
                  "reached the second: directly (before any loss), and counting deals lost "
                  "and brought back. A month marked * is not "
                  "complete: its deals have not all had time to move on (the 90th percentile "
                  "of the time the others took has not passed since it ended), so its "
                  "conversion will still rise; do not read it as a fall.")
                + " " + tr.ngettext(
                    "A conversion marked † is of a month of fewer than {n} deal: whether "
                    "none or all of them moved on, its 95% interval spans both sides of "
                    "50%, so it says nothing of the month; the plot draws it apart.",
                    "A conversion marked † is of a month of fewer than {n} deals: whether "
                    "none or all of them moved on, its 95% interval spans both sides of "
                    "50%, so it says nothing of the month; the plot draws it apart.",
                    MIN_MONTH_DEALS).format(n=MIN_MONTH_DEALS)
                + (" " + _("A month marked ‡ came before the export sees deals close (it "
                           "starts mid-stream): the month's deals that had closed by then "
                           "are not in it, so its conversion is that of the survivors; the "
                           "comparisons between periods leave it out.")
                   if "partial" in conv.columns and conv["partial"].any() else ""), conv,
                [_c("pipeline", _("pipeline")), _c("from_stage", _("from")),
                 _t("to_stage", _("to"), lambda v: pair_stage(v, tr)),
                 Column("month", _("month"), f.month,
                        from_row=lambda r: f.month(r["month"])
                        + (f.incomplete() if r.get("complete") is False else "")
                        + (f.partial() if r.get("partial") else "")),
                 _c("entered", _("entered"), f.int_), _c("direct", _("reached"), f.int_),
                 Column("direct_pct", _("conversion"), f.pct, True,
                        from_row=f.conversion("direct_pct")),
                 _c("with_returns", _("incl. returned"), f.int_),
                 Column("with_returns_pct", _("conversion incl. returned"), f.pct, True,
                        from_row=f.conversion("with_returns_pct"))],
                conversion_marks(conv, tr)),
        Section("losses", _("Loss reasons by stage"),
                _("Losses from each stage, by reason (a deal lost, brought back and lost "
                  "again counts twice): share of the stage's losses and of all its exits."),
                t.losses,
                [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
                 _t("reason", _("reason"), f.name), _c("deals", _("losses"), f.int_),
                 _c("share_of_losses", _("of losses"), f.pct),
                 _c("share_of_exits", _("of exits"), f.pct)]),
        Section("time_in_stage", _("Time in stage"),
                _("Completed visits (entry to exit); «open» visits are still there at the end "
                  "of the data and not in the figures, their median age beside them. Where "
                  "that age is longer than the completed visits' median, the figures "
                  "understate the time deals spend in the stage: the deals that stay long "
                  "are the ones not finished yet (the chart marks their age)."),
                t.time_in_stage,
                [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
                 _c("n", _("visits"), f.int_), _c("mean_h", _("mean"), f.hours),
                 _c("p10_h", "p10", f.hours), _c("median_h", _("median"), f.hours),
                 _c("p90_h", "p90", f.hours), _c("max_h", _("max"), f.hours),
                 _c("open", _("open"), f.int_),
                 _c("open_age_median_h", _("open: median age"), f.hours)]),
        _moves_summary_section(t, tr),
        _moves_section(t, tr),
        Section("comebacks", _("Losses that came back"),
                _("Losses after which the deal was moved back into a stage of its pipeline "
                  "(leads written off and then qualified after all), or its client came "
                  "back as a new deal in the pipeline within {days} (where the export names "
                  "the deal's client; not a client who had bought in the pipeline before the "
                  "loss: its next order is a repeat purchase), by the month of the loss and "
                  "its reason. Each loss counts: a deal lost and brought back twice counts "
                  "twice. A deal reopened and lost again within an hour (closed by mistake, "
                  "or reopened to change the reason) is one loss and no comeback, and a deal "
                  "moved into another pipeline no comeback. The audit's premature losses "
                  "count deals instead, each deal's first loss at a stage.").format(
                    days=tr.duration(COMEBACK_DAYS, "day"))
                + _unkept_comebacks_note(t.comebacks, tr),
                t.comebacks,
                [_c("pipeline", _("pipeline")), _t("month", _("lost in"), f.month),
                 _t("reason", _("reason"), f.name), _c("lost", _("losses"), f.int_),
                 _c("came_back", _("came back"), f.int_),
                 _c("new_deal", _("as a new deal"), f.int_),
                 _c("came_back_pct", _("share"), f.pct),
                 _c("won_later", _("won later"), f.int_),
                 _c("median_days", _("median wait"), f.days), _c("back_to", _("back to"))],
                marks=_unkept_comebacks_note(t.comebacks, tr).strip()),
        Section("graveyards", _("Stages where deals pile up"),
                _("Deals still in a stage longer than 95% of the deals that moved on from it "
                  "(to a later stage or won) took to move on (the deals still there counted "
                  "for as long as they were watched), than its SLA when a funnel is given, and "
                  "at least 14 days; a stage is a graveyard with at least 5 such deals making "
                  "at least 5% of its entries. «Entries» counts a deal brought back into the "
                  "stage once more for each time it entered (the conversion and shape tables "
                  "count deals)."),
                t.graveyards,
                [_c("pipeline", _("pipeline")), _c("stage", _("stage")),
                 _c("entered", _("entries"), f.int_), _c("open", _("open now"), f.int_),
                 _c("age_median_h", _("median age"), f.hours),
                 _c("p95_h", _("95% move on within"), f.hours),
                 # The threshold is the longest of the three: without the SLA beside the
                 # 95th percentile, an online school's 20 deals older than «11,7 дня» read
                 # as «залежались 18» with no way to see the 30-day SLA that made it so.
                 _c("sla_h", _("SLA"), sla), _c("hoarded", _("hoarded"), f.int_),
                 _c("hoarded_pct", _("of entries"), f.pct),
                 _c("graveyard", _("graveyard"), f.yes)]),
        Section("shape", _("Funnel shape"),
                _("Deals that ever entered each stage, as a share of all deals that entered "
                  "the pipeline."),
                t.shape, [_c("pipeline", _("pipeline")), _t("stage", _("stage"), f.shape_stage),
                          _c("deals", _("deals"), f.int_),
                          _c("pct_of_first", _("of pipeline"), f.pct)]),
        *extra,
    ]


def conversion_marks(conv: pl.DataFrame, tr: Translator) -> str:
    """The marks the conversion table's cells carry, in words: «*» a month not complete,
    «‡» a month before the export sees deals close (`maturity.seen_from`), «†» a month
    of too few deals (`stats.MIN_MONTH_DEALS`)."""
    marks = []
    if "complete" in conv.columns and conv["complete"].not_().any():
        marks.append("* " + tr.gettext("month not complete: its deals are still moving"))
    if "partial" in conv.columns and conv["partial"].any():
        marks.append("‡ " + tr.gettext("month before the export sees deals close: its "
                                       "deals that had closed are not in it"))
    if "few" in conv.columns and conv["few"].any():
        marks.append("† " + tr.ngettext(
            "fewer than {n} deal: too few to read the month's conversion from",
            "fewer than {n} deals: too few to read the month's conversion from",
            MIN_MONTH_DEALS).format(n=MIN_MONTH_DEALS))
    return "; ".join(marks)


def order_note(t: HistoryTables, tr: Translator | None = None) -> str:
    """Where the stage order comes from, one sentence for every output."""
    _ = _lang(tr).gettext
    source = t.visits.order_source
    if source == "funnel":
        return _("Stages in the order the funnel file declares them; a move is judged "
                 "against the routes it declares.")
    if source == "crm":
        return _("Stages in the CRM's own order (its pipeline settings); no funnel file was "
                 "given, so no move is declared: give --funnel FILE to judge moves against "
                 "its routes.")
    if source == "deal_list":
        return _("One stage per deal, from its creation to its close: the deal list has no "
                 "date per stage, so the conversion between the CRM's stages and the time "
                 "in each are not read (see the data-quality note).")
    return _("Stage order inferred from the data (the most frequent moves between stages, "
             "kept where they agree): no funnel file or CRM order was given, so no move is "
             "declared; give --funnel FILE for the real order and routes.")


def _moves_summary_section(t: HistoryTables, tr: Translator) -> Section:
    _ = tr.gettext
    f = _Formats(tr)
    if t.visits.routes is not None:
        return Section(
            "moves_summary", _("Moves between stages"),
            _("Moves from stage to stage, judged against the funnel's routes: «declared» "
              "follow a route of the file (a declared loop back included: no problem); "
              "«not declared» follow none, split into skips (forward past stages) and moves "
              "back (both are signs of a broken funnel)."), t.moves_summary,
            [_c("pipeline", _("pipeline")), _c("moves", _("moves"), f.int_),
             _c("declared", _("declared"), f.int_),
             _c("declared_backward", _("of them back"), f.int_),
             _c("undeclared", _("not declared"), f.int_),
             _c("undeclared_pct", _("not declared %"), f.pct),
             _c("skips", _("skips"), f.int_), _c("backward", _("backward"), f.int_),
             _c("other_pipeline", _("to other pipeline"), f.int_)])
    return Section(
        "moves_summary", _("Backward moves and stage skips"),
        _("Moves between stages by the order in use (see above): forward by one stage, "
          "skipping stages, or backward (both are signs of a broken funnel). Without a "
          "funnel nothing is declared, so these are what the order suggests, not a verdict."),
        t.moves_summary,
        [_c("pipeline", _("pipeline")), _c("moves", _("moves"), f.int_),
         _c("forward", _("forward"), f.int_), _c("skips", _("skips"), f.int_),
         _c("skip_pct", _("skips %"), f.pct), _c("backward", _("backward"), f.int_),
         _c("backward_pct", _("backward %"), f.pct),
         _c("other_pipeline", _("to other pipeline"), f.int_)])


def _unkept_comebacks_note(comebacks: pl.DataFrame, tr: Translator) -> str:
    """What a «(reason not kept)» row of the comebacks is, when there is one: the losses
    a deal came back from, the only ones without a reason, so no share of anything."""
    if comebacks.height == 0 or REASON_NOT_KEPT not in comebacks["reason"].to_list():
        return ""
    return " " + tr.gettext(
        "«{unkept}»: the export keeps only a deal's current loss reason, so a loss the deal "
        "came back from has none; that row counts only the losses that came back, and a "
        "share of them would always read 100%.").format(
            unkept=tr.gettext(PLACEHOLDERS[REASON_NOT_KEPT]))


def _moves_section(t: HistoryTables, tr: Translator) -> Section:
    _ = tr.gettext
    f = _Formats(tr)
    funnel = t.visits.routes is not None
    if funnel:
        title = _("Moves the funnel does not declare")
        note = _("Undeclared moves first (a problem: «declared» no), then declared moves that "
                 "go back, sideways or to another pipeline; stages skipped count the stages "
                 "the funnel's shortest declared way passes between the two (— when no "
                 "declared way leads there).")
    else:
        title = _("Where the skips and backward moves go")
        note = _("Skips and moves back by the order in use, then moves between stages of one "
                 "rank and to other pipelines.")
    return Section(
        "moves", title, note, t.moves,
        [_c("pipeline", _("pipeline")), _t("kind", _("kind"), f.move), _c("stage", _("from")),
         _c("to_pipeline", _("to pipeline")), _c("to_stage", _("to")),
         _c("deals", _("deals"), f.int_), _c("skipped", _("stages skipped"), f.int_)]
        + ([_c("declared", _("declared"), f.yes_no)] if funnel else []))


def names_section(nm: NameMatch, place: Callable[[int], str | None],
                  tr: Translator | None = None) -> Section:
    """The names of the data and of the funnel that did not meet, with the closest
    funnel name for each of the data's and where the data first has it."""
    tr = _lang(tr)
    _ = tr.gettext
    rows: list[tuple[str, str, str, int, str | None, str | None]] = [
        (_("in data, not in funnel"), g.pipeline, g.stage, g.events,
         f"{g.closest[0]}.{g.closest[1]}" if g.closest else None, place(g.first_seq))
        for g in nm.suggestions]
    rows += [(_("in funnel, not in data"), p, s, 0, None, None) for p, s in nm.unseen_stages]
    frame = pl.DataFrame(rows, schema={"what": pl.Utf8, "pipeline": pl.Utf8, "stage": pl.Utf8,
                                       "rows": pl.Int64, "closest": pl.Utf8,
                                       "first_at": pl.Utf8}, orient="row")
    return Section("names", _("Names not matched to the funnel"),
                   tr.ngettext("{n} stage matched by name.", "{n} stages matched by name.",
                               len(nm.stages)).format(n=len(nm.stages)), frame,
                   [_c("what", _("what")), _c("pipeline", _("pipeline")),
                    _c("stage", _("stage")), _c("rows", _("events"), _Formats(tr).int_),
                    _c("closest", _("closest in the funnel")), _c("first_at", _("first at"))])


MAX_NAMES_LISTED = 20


def unmatched_names(nm: NameMatch, place: Callable[[int], str | None], funnel_path: str
                    ) -> tuple[bool, list[str]]:
    """(is it an error, the message's lines) when stage names of the history match no
    stage of the funnel; (False, []) when every name matched. An error when none
    matched at all: that is another account's funnel, or another CRM's export."""
    merged = _merged_lines(nm, place, funnel_path)
    if not nm.suggestions:
        return False, merged
    total = len(nm.suggestions) + len(nm.stages)
    events = sum(g.events for g in nm.suggestions)
    error = not nm.stages
    if error:
        head = (f"error: no stage name of the history matches a stage of {funnel_path} "
                f"({total:,} name{'' if total == 1 else 's'}, {events:,} "
                f"event{'' if events == 1 else 's'}): is it the funnel of this account?")
    else:
        some = len(nm.suggestions)
        head = (f"warning: {some:,} of {total:,} stage names of the history "
                f"match{'es' if some == 1 else ''} no stage of {funnel_path}; "
                f"{'its' if some == 1 else 'their'} {events:,} event"
                f"{' keeps' if events == 1 else 's keep'} the history's "
                f"name{'' if some == 1 else 's'}, and the funnel's order and routes do not "
                "cover them")
    lines = [head]
    for g in nm.suggestions[:MAX_NAMES_LISTED]:
        at = place(g.first_seq)
        name = f'"{g.pipeline}"."{g.stage}"' if g.pipeline else f'"{g.stage}"'
        if g.closest is None:
            guess = "no stage of the funnel is close"
        else:
            loc = (f" ({funnel_path}:{g.closest_at[0]}:{g.closest_at[1]})"
                   if g.closest_at else "")
            guess = f'did you mean "{g.closest[0]}"."{g.closest[1]}"{loc}?'
            if g.renamed is not None:
                old, last, new, first = g.renamed
                guess += (f' "{old}" was last entered on {last}, "{new}" first on {first}: '
                          "the CRM renamed the stage")
        lines.append(f"  --> {at + ': ' if at else ''}{name} ({g.events:,} event"
                     f"{'s' if g.events != 1 else ''}): {guess}")
    if len(nm.suggestions) > MAX_NAMES_LISTED:
        lines.append(f"  … {len(nm.suggestions) - MAX_NAMES_LISTED:,} more in the names table")
    lines.append("  = help: spell the stages alike in the funnel file and in the export "
                 "(case, ё/е, quotes and extra spaces do not matter), or give the funnel of "
                 "this account")
    renamed = next((g for g in nm.suggestions if g.renamed is not None and g.closest), None)
    if renamed is not None and renamed.closest is not None:
        lines.append(f'  = help: a renamed stage is one stage: write the funnel\'s name in '
                     f'the export\'s stage column (every "{renamed.stage}" as '
                     f'"{renamed.closest[1]}"), then read it again')
    return error, lines + merged


def _merged_lines(nm: NameMatch, place: Callable[[int], str | None], funnel_path: str
                  ) -> list[str]:
    """A warning for each name of the history read as the funnel stage it was renamed
    from or to (`NameMatch.merged`), with the days that show it and how to keep the two
    apart when they are two stages after all."""
    lines: list[str] = []
    for g in nm.merged:
        assert g.closest is not None and g.renamed is not None
        at = place(g.first_seq)
        old, last, new, first = g.renamed
        loc = f" ({funnel_path}:{g.closest_at[0]}:{g.closest_at[1]})" if g.closest_at else ""
        name = f'"{g.pipeline}"."{g.stage}"' if g.pipeline else f'"{g.stage}"'
        lines.append(f'warning: {name} ({g.events:,} event'
                     f'{"s" if g.events != 1 else ""}) is read as "{g.closest[0]}".'
                     f'"{g.closest[1]}"{loc}: "{old}" was last entered on {last}, "{new}" '
                     f"first on {first}: the CRM renamed the stage")
        if at:
            lines.append(f"  --> {at}: the first \"{g.stage}\"")
        lines.append(f'  = help: if they are two stages, declare both in {funnel_path}; '
                     "then each is read as itself")
    return lines


def quality_section(dq: DataQuality, tr: Translator | None = None) -> Section:
    """The data-quality table: every anomaly counter and drop reason, what it means and
    where it first happened."""
    tr = _lang(tr)
    _ = tr.gettext
    frame = pl.DataFrame(quality_rows(dq, tr), schema={"kind": pl.Utf8, "count": pl.Int64,
                                                       "meaning": pl.Utf8, "where": pl.Utf8},
                         orient="row")
    return Section("quality", _("Data quality"), quality_note(dq, tr), frame,
                   [_c("kind", _("kind")), _c("count", _("count"), _Formats(tr).int_),
                    _c("meaning", _("meaning")), _c("where", _("first places"))])


def head_line(t: HistoryTables, tz: str, tr: Translator | None = None) -> tuple[str, str]:
    """The terminal's first line in two parts, the counts (bold) and the span: «2 306
    сделок, 9 077 событий», «, 2018-01-01 – 2018-03-11 (месяцы по UTC)»."""
    tr = _lang(tr)
    counts = tr.gettext("{deals}, {events}").format(
        deals=tr.ngettext("{n} deal", "{n} deals", t.deals).format(n=tr.number(t.deals, 0)),
        events=tr.ngettext("{n} event", "{n} events", t.events).format(
            n=tr.number(t.events, 0)))
    v = t.visits
    span = (f", {_day_in(v.data_start, tz, tr)} – {_day_in(v.data_end, tz, tr)}"
            if v.data_start is not None and v.data_end is not None else "")
    return counts, span + " " + tr.gettext("(months in {tz})").format(tz=tz)


def _day_in(t: datetime, tz: str, tr: Translator) -> str:
    """The day of a UTC moment in the zone the months are counted in: an online school's
    first lead, 1 July 00:05 in Moscow, was the span's «2026-06-30» beside «(месяцы по
    Europe/Moscow)», a June the history has no month of. Said as the language says a day
    («1 июля 2026 – 27 ноября 2026»; English keeps 2026-07-01)."""
    from zoneinfo import ZoneInfo

    aware = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
    return tr.day(aware.astimezone(ZoneInfo(tz)).date())


def written_line(folder: str, tr: Translator | None = None) -> str:
    """The line after the terminal's tables saying what `-o` wrote."""
    from ..atomic import folder_text
    return _lang(tr).gettext("wrote {folder}/history.html, history.json and plots/").format(
        folder=folder_text(folder))


def page_title(tr: Translator | None = None) -> str:
    """The title of history.html."""
    return _lang(tr).gettext("Stage history")


def page_head(t: HistoryTables, inputs: Sequence[str], tz: str,
              tr: Translator | None = None) -> list[str]:
    """The sentences under history.html's title: what was read, and the stage order."""
    tr = _lang(tr)
    deals = tr.ngettext("{n} deal", "{n} deals", t.deals).format(n=tr.number(t.deals, 0))
    events = tr.ngettext("{n} event", "{n} events", t.events).format(
        n=tr.number(t.events, 0))
    return [tr.gettext("{deals} and {events} from {inputs}; months in {tz}.").format(
        deals=deals, events=events, inputs=", ".join(inputs), tz=tz), order_note(t, tr)]


def _cells(sec: Section, at: Sequence[int] | None = None) -> list[list[str]]:
    """The table's cells as text, of every row, or of the rows `at` in that order."""
    cols = [c for c in sec.columns if c.key in sec.frame.columns]
    frame = sec.frame if at is None else sec.frame[list(at)]
    return [[c.from_row(row) if c.from_row is not None else _worded(sec, c, row[c.key])
             for c in cols]
            for row in frame.iter_rows(named=True)]


def _worded(sec: Section, c: Column, v: Any) -> str:
    """`c.fmt(v)`, each distinct value of a column worded once (`Section.worded`): its
    values repeat (counts, shares, months), and each went through Babel, 7 000 numbers
    for one page of a furniture shop's history, 1 000 of them distinct. A float's key
    holds its sign (0.0 and -0.0 are equal keys but may be written apart); an
    unhashable value is worded every time."""
    key = (c.key, (float, v, math.copysign(1.0, v)) if isinstance(v, float) else (type(v), v))
    try:
        return sec.worded[key]
    except KeyError:
        sec.worded[key] = text = c.fmt(v)
        return text
    except TypeError:
        return c.fmt(v)


MAX_WORD = 24
"""The widest word a terminal column keeps whole; a longer one (a URL, an id) folds."""


def _fitted_widths(cols: Sequence[Column], rows: list[list[str]], mins: list[int | None],
                   room: int) -> list[int | None]:
    """Each column's widest, so that the table fits `room` cells of text: the widest
    columns give way first, none below its longest word (`mins`). rich's own squeeze
    evens out the excess and then widens each column back to its longest word, so a
    table whose words fit could still come out a few cells too wide, and the console
    cut its right-hand border (or a cell's end) off. None: no limit (the words do not
    fit at all, or the table fits as it is)."""
    from rich.cells import cell_len

    if any(m is None for m in mins) or room <= 0:
        return [None] * len(cols)
    least = [m or 1 for m in mins]
    natural = [max(least[k], *(cell_len(line) for text in (c.title, *(r[k] for r in rows))
                               for line in text.splitlines() or [""]))
               for k, c in enumerate(cols)]
    if sum(natural) <= room or sum(least) > room:
        return [None] * len(cols)
    widths = list(natural)
    while sum(widths) > room:
        excess = sum(widths) - room
        top = max(w for w, m in zip(widths, least, strict=True) if w > m)
        wide = [k for k, w in enumerate(widths) if w == top and w > least[k]]
        below = max((w for k, w in enumerate(widths) if w < top and w > least[k]),
                    default=0)
        step = max(1, min(top - below, -(-excess // len(wide))))
        for k in wide:
            widths[k] = max(least[k], widths[k] - step)
    return [w if w < n else None for w, n in zip(widths, natural, strict=True)]


def _kept_rows(sec: Section, max_rows: int) -> list[int]:
    """The rows a terminal cut to `max_rows` shows, in order: those the audit flagged (a
    `flagged` column) first, then the rest in the table's order, each kept in its place.
    A car dealer's 96 rows of managers were cut after the first 40, and the one flagged
    manager of its second pipeline was not among them: the terminal said «… 56 more
    rows» where the finding was. Only these rows are written out as text: the tables by
    source and month ran to hundreds of rows (issue 14)."""
    n = sec.frame.height
    if n <= max_rows or "flagged" not in sec.frame.columns:
        return list(range(min(n, max_rows)))
    flagged = [bool(v) for v in sec.frame["flagged"].to_list()]
    first = [i for i, f in enumerate(flagged) if f][:max_rows]
    first += [i for i, f in enumerate(flagged) if not f][:max_rows - len(first)]
    return sorted(first)


NARROW_LEAVES: dict[str, tuple[str, ...]] = {
    "managers": ("top_reason", "premature_flagged", "premature_pct", "lost", "p_value",
                 "money", "rest_rate"),
}
"""Per table, the columns a terminal too narrow for its words leaves to the HTML and
JSON, first to last: the details right of what names the row, its figures and the
audit's flag. Other tables keep every column (a verdict is the point of its row)."""


def _narrowed(key: str, cols: Sequence[Column], mins: list[int | None],
              width: int) -> list[int]:
    """The columns a terminal of `width` cells shows when the table's words do not fit:
    `NARROW_LEAVES` leave, in turn, until the rest fit whole. At 100 columns the
    managers' table cut every name and figure mid-word, «Иванов / а Е. А.» reading as
    the namesake «Иванов». All of them when nothing fits anyway."""
    kept = list(range(len(cols)))

    def need() -> int:
        return sum(mins[k] or 0 for k in kept) + len(kept) + 1

    index = {c.key: k for k, c in enumerate(cols)}
    for leaving in NARROW_LEAVES.get(key, ()):
        if need() <= width:
            break
        if leaving in index:
            kept.remove(index[leaving])
    return kept if need() <= width else list(range(len(cols)))


_INITIALS = re.compile(r"^(?P<name>\S.*?) (?P<initials>[^\W\d_]\.(?: [^\W\d_]\.)*)$")
"""A name followed by its initials, as CRMs list their users («Иванов А. П.»)."""


def whole_name(text: str) -> str:
    """`text` with no-break spaces before and between a name's closing initials
    («Иванов\u00a0А.\u00a0П.»), so that a table never breaks a name there: the managers'
    table wrapped «Иванов А. / П.» and «Иванов А. / С.», two namesakes told apart only
    on the second line, and «Иванова Е. А.» as «Иванов / а Е. А.»."""
    m = _INITIALS.match(text)
    if m is None:
        return text
    head = m["name"].rsplit(" ", 1)
    glued = "\u00a0".join([head[-1], *m["initials"].split(" ")])
    return " ".join([*head[:-1], glued])


def print_terminal(secs: Sequence[Section], console: Any, max_rows: int = 40,
                   tr: Translator | None = None) -> None:
    """Cells are `termtext.plain`: a CRM name like `[link=http://x]click[/link]` is shown
    as written, never read as rich markup (a hidden hyperlink, colours)."""
    from rich.table import Table

    from ..termtext import plain, words

    _ = _lang(tr).gettext
    for sec in secs:
        if sec.shown is not None:
            sec = replace(sec, frame=sec.shown)
        if sec.summary and not sec.frame.height:
            console.print(plain(sec.title), style="italic")
            for line in sec.summary:
                console.print(plain("  " + line))
            continue
        cols = [c for c in sec.columns if c.key in sec.frame.columns]
        shown = [i for i, c in enumerate(cols) if c.terminal]
        cols = [cols[i] for i in shown]
        total = sec.frame.height
        rows = [[whole_name(r[i]) for i in shown] for r in _cells(sec, _kept_rows(sec, max_rows))]
        # A column is at least as wide as its longest word: squeezed evenly, a wide
        # table cut names and figures mid-word («Бондарен / ко», «конверсі / я»). When
        # the words do not fit with the usual padding they go without it; when they do
        # not fit at all, the table's details leave for the HTML and JSON
        # (`_narrowed`), and only if that is not enough are the columns squeezed as
        # before (rich would crop the table's right-hand columns off instead).
        mins: list[int | None] = [
            min(max((len(w) for text in (c.title, *(r[k] for r in rows[:max_rows]))
                     for w in words(text)), default=1), MAX_WORD)
            for k, c in enumerate(cols)]
        need = sum(m or 0 for m in mins) + len(cols) + 1
        width = getattr(console, "width", 0) or need + 2 * len(cols)
        kept = _narrowed(sec.key, cols, mins, width)
        left_out = [c.title for k, c in enumerate(cols) if k not in kept]
        cols = [cols[k] for k in kept]
        rows = [[r[k] for k in kept] for r in rows]
        mins = [mins[k] for k in kept]
        need = sum(m or 0 for m in mins) + len(cols) + 1
        padding = (0, 1) if need + 2 * len(cols) <= width else (0, 0)
        if need > width:
            mins = [None] * len(cols)
        most = _fitted_widths(cols, rows[:max_rows], mins,
                              width - len(cols) - 1 - 2 * padding[1] * len(cols))
        table = Table(title=sec.title, title_justify="left", show_lines=False,
                      padding=padding)
        for c, least, top in zip(cols, mins, most, strict=True):
            table.add_column(c.title, justify="right" if c.numeric else "left",
                             overflow="fold", min_width=least, max_width=top)
        for r in rows[:max_rows]:
            table.add_row(*(plain(v) for v in r))
        if not rows:
            table.add_row(*([_("(none)")] + [""] * (len(cols) - 1)))
        console.print(table)
        for line in sec.summary:
            console.print(plain("  " + line))
        if sec.marks and rows:
            console.print(plain("  " + sec.marks))
        if total > max_rows:
            more = total - max_rows
            console.print("  … " + _lang(tr).ngettext(
                "{n} more row in the HTML and JSON", "{n} more rows in the HTML and JSON",
                more).format(n=_lang(tr).number(more, 0)))
        hidden = [c.title for c in sec.columns if c.key in sec.frame.columns and not c.terminal]
        hidden += left_out
        if hidden:
            # Each title in quotes: titles with commas of their own ran together, «…: від,
            # до, відмінність через заявки джерела, а не менеджера, на, переходів порівняно».
            console.print("  … " + _("also in the HTML and JSON: {columns}").format(
                columns=", ".join(_lang(tr).quote(title) for title in hidden)))


def print_quality(dq: DataQuality, console: Any, tr: Translator | None = None) -> None:
    """The data quality in sentences after the tables (`quality_render.summary_lines`),
    so that a terminal shows what was dropped and why, and where to look, as the HTML's
    note does; in yellow when rows were dropped."""
    from ..termtext import plain

    style = "yellow" if dq.dropped_total or dq.notes else ""
    for line in summary_lines(dq, _lang(tr)):
        console.print(plain(line, style=style))


# On a phone a plot keeps 760 px and scrolls sideways, as the tables do: shrunk to a 390 px
# screen, the back-test's twelve panels wrote their titles and ticks 3–4 px high.
CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #222; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 18px 24px 40px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ddd; }
p.note { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td { background: #fff3d6; }
td.k, th.k { position: sticky; left: 0; z-index: 1; background: #fff; box-shadow: 1px 0 0 #ddd;
  white-space: nowrap; }
th.k { background: #f6f6f6; } tr.flag td.k { background: #fff3d6; }
td.n, td.d { white-space: nowrap; }
td.s { min-width: 20em; }
figure { margin: 10px 0 18px; } figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 12.5px; color: #555; }
.warn { color: #8a5a00; font-size: 13px; }
nav.toc { font-size: 13px; } nav.toc ol { margin: 6px 0; padding-left: 22px; columns: 2 18em; }
td pre { margin: 0; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace;
  white-space: pre-wrap; }
div.scroll { overflow-x: auto; max-width: 100%; }
caption.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
@media (max-width: 700px) { main { padding: 14px 12px 40px; } figure { overflow-x: auto; }
  figure svg { width: 760px; max-width: none; } }
"""


_DATE_CELL = re.compile(r"[\d\-–.:* ]+")
"""A month, day or period (`2026-10 *`, `2026-01..2026-03`): one line, never cut at a hyphen
(a 390 px phone wrote «2026-» above «01» in every row)."""


def _text_cell(v: object) -> str:
    """Text of several lines (funnel text to paste) keeps its lines and indentation; a
    name with initials is one line (`whole_name`)."""
    text = whole_name(str(v))
    if "\n" in text:
        return f"<td><pre>{_e(text)}</pre></td>"
    if _DATE_CELL.fullmatch(text) and "-" in text:
        return f'<td class="d">{_e(text)}</td>'
    if len(text) >= SENTENCE and text.count(" ") >= SENTENCE // 10:
        return f'<td class="s">{_e(text)}</td>'
    return f"<td>{_e(text)}</td>"


SENTENCE = 80
"""A cell this long, of words, is a sentence (a verdict, a finding, what a count means):
it keeps a readable width (`td.s`) where the table is wider than the screen. On a 390 px
phone the sources' verdict column was squeezed to 131 px, a word a line, each row 400 px
high, the answer to «marketing or sales?» a narrow strip right of six columns."""


STICKY = frozenset({"manager"})
"""Columns that stay in sight while their table scrolls sideways: on a 390 px phone the
managers' table showed its pipeline and stages and no manager, and at 1,400 px the
«clear» column was read with the names scrolled away."""


def html_table(sec: Section, tr: Translator | None = None) -> str:
    cols = [c for c in sec.columns if c.key in sec.frame.columns]
    # In a box of its own that scrolls sideways: the managers' table (20 columns, 1,778
    # px) pushed the whole page past a 1,400 px window, headings and plots included.
    # The caption names the table to a screen reader (the heading above shows it).
    out = [f'<div class="scroll"><table><caption class="sr">{_e(sec.title)}</caption>'
           "<thead><tr>"]
    out += [f'<th scope="col" class="n">{_e(c.title)}</th>' if c.numeric else
            f'<th scope="col" class="k">{_e(c.title)}</th>' if c.key in STICKY else
            f'<th scope="col">{_e(c.title)}</th>' for c in cols]
    out.append("</tr></thead><tbody>")
    # A row the audit flagged is shaded: the managers' table is wider than a 1,400 px
    # page and its «clear» column, far right, was out of sight, so 3 flagged rows of a
    # car dealer's 96 looked like the others until the table was scrolled.
    flagged = ([bool(v) for v in sec.frame["flagged"].to_list()]
               if "flagged" in sec.frame.columns else [False] * sec.frame.height)
    for row, flag in zip(_cells(sec), flagged, strict=True):
        out.append(('<tr class="flag">' if flag else "<tr>") + "".join(
            f'<td class="n">{_e(v)}</td>' if c.numeric else
            f'<td class="k">{_e(whole_name(v))}</td>' if c.key in STICKY else _text_cell(v)
            for c, v in zip(cols, row)) + "</tr>")
    if not sec.frame.height:
        out.append(f'<tr><td colspan="{len(cols)}">{_e(_lang(tr).gettext("(none)"))}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


LEAD_SECTIONS = ("findings", "detectable")
"""Sections a page opens with, before its plots: the audit's findings, and what its
comparisons could have seen, are what the consultant reads first and shows the client;
under the plots and a dozen tables the findings were the eleventh heading of a long page."""
CONTENTS_FROM = 4
"""A page with this many headings or more lists them, linked, under its title."""


def render_html(title: str, head: list[str], secs: Sequence[Section],
                plots: Sequence[tuple[str, str, str]], warnings: Sequence[str] = (),
                tr: Translator | None = None) -> str:
    """`plots`: (name, title, svg text)."""
    from ..report.html import inline_svg

    tr = _lang(tr)
    body = [f"<h1>{_e(title)}</h1>"] + [f'<p class="note">{code_spans(h)}</p>' for h in head]
    if warnings:
        body.append("<ul>" + "".join(f'<li class="warn">{_e(w)}</li>' for w in warnings)
                    + "</ul>")
    first = [s for s in secs if s.key in LEAD_SECTIONS]
    rest = [s for s in secs if s.key not in LEAD_SECTIONS]
    plots_title = tr.gettext("Plots")
    entries = ([(s.key, s.title) for s in first] + ([("plots", plots_title)] if plots else [])
               + [(s.key, s.title) for s in rest])
    if len(entries) >= CONTENTS_FROM:
        contents = tr.gettext("Contents")
        body.append(f'<nav class="toc" aria-label="{_e(contents)}"><ol>'
                    + "".join(f'<li><a href="#{key}">{_e(t)}</a></li>' for key, t in entries)
                    + "</ol></nav>")
    for sec in first:
        _section_html(body, sec, tr)
    if plots:
        body.append(f'<h2 id="plots">{_e(plots_title)}</h2>')
        for name, ptitle, svg in plots:
            body.append(f"<figure class=\"scroll\">{inline_svg(svg, name)}"
                        f"<figcaption id=\"{name}-caption\">"
                        f"{_e(ptitle)}</figcaption></figure>")
    for sec in rest:
        _section_html(body, sec, tr)
    return (f"<!DOCTYPE html>\n<html lang=\"{tr.lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body><main>\n"
            + "\n".join(body) + "\n</main></body>\n</html>\n")


def _section_html(body: list[str], sec: Section, tr: Translator) -> None:
    body.append(f'<h2 id="{sec.key}">{_e(sec.title)}</h2>')
    if sec.note:
        body.append(f'<p class="note">{code_spans(sec.note)}</p>')
    body += [f"<p>{_e(line)}</p>" for line in sec.summary]
    if sec.shown is not None:
        sec = replace(sec, frame=sec.shown)
    if sec.frame.height or not sec.summary:
        body.append(html_table(sec, tr))


def _plain(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def render_json(secs: Sequence[Section], dq: DataQuality, meta: dict[str, Any]) -> str:
    data: dict[str, Any] = dict(meta)
    data["quality"] = dq.as_dict()
    data["tables"] = {s.key: [{k: _plain(v) for k, v in row.items()}
                              for row in s.frame.iter_rows(named=True)]
                      for s in secs if s.key != "quality"}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
