"""What `funnelc forecast` shows and writes, from a `forecast.Forecast`: the terminal
tables (`print_forecast`), JSON (`forecast_json`, schema `forecast.schema.json`), a tidy
CSV (`forecast_csv`) and the fan chart (`fan_chart`: cumulative won revenue by week,
median with the 80 % and 95 % bands).

The tables, the notes under them and the chart are for the client, so their words
follow the account's `language` (ru, uk, en; English when unset), as the playbook
export does; the JSON's keys and notes and the CSV's columns stay English. Names are shown as written
(`termtext.plain`)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .. import csvsafe
from ..i18n import Translator, choose, translator
from ..i18n.moment import moment
from ..jsontypes import JSON, JSONObject
from ..numfmt import DASH, currency_sign, money_in
from .forecast import NEW, Band, Cell, Forecast, Period, Row

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from rich.console import Console
    from rich.table import Table

    from ..report.figures import RenderedFigure

__all__ = ["print_forecast", "forecast_warnings", "forecast_json", "forecast_csv", "fan_chart", "render_chart",
           "save_chart", "forecast_data", "heading", "forecast_notes",
           "written_line", "CSV_COLUMNS"]


def _texts(tr: Translator) -> dict[str, str]:
    """The tables' and the chart's words in `tr`'s language (`funnelc.i18n` catalogs)."""
    _ = tr.gettext
    return {
        "title": _("Forecast of won deals and revenue"),
        "as_of": _("as of {as_of} (history {start} – {end}, days in {tz})"),
        "window": _("{first} – {until}: {open} worth {value} and new arrivals from "
                    "{sources}; {runs}"),
        "window_no_sources": _("{first} – {until}: {open} worth {value}, no new arrivals "
                               "(no source brings deals); {runs}"),
        "by_week": _("By week"),
        "by_month": _("By month"),
        "by_origin": _("By pipeline and stage of origin, {first} – {until}"),
        "week": _("week of"),
        "month": _("month"),
        "days": _("days"),
        "won": _("won"),
        "revenue": _("revenue"),
        "expected": _("expected"),
        "i80": _("80%"),
        "i95": _("95%"),
        "pipeline": _("pipeline"),
        "origin": _("stage at {as_of}"),
        "open": _("open deals"),
        "new": _("new arrivals"),
        "all": _("all"),
        "account": _("whole account"),
        "intervals": _("Intervals: the 10th–90th and 2.5th–97.5th percentiles of the "
                       "simulated totals over the runs; expected is their mean."),
        "kind_process": _("They show how much one realisation varies with the funnel's "
                          "figures as given, not how uncertain those figures are "
                          "(--fit-uncertainty adds that)."),
        "kind_process_and_fit": _("They carry both how much one realisation varies and how "
                                  "uncertain the funnel's figures fitted from the history are "
                                  "(each run simulates its own draw of them)."),
        "chart": _("Won revenue from {first}, cumulative by week"),
        "median": _("median"),
        "band80": _("80% of runs"),
        "band95": _("95% of runs"),
        "partial": _("part"),
    }


INTERVALS_JSON = ("empirical quantiles of the simulated totals across the runs (each "
                  "bound one run's total, no interpolation): 80% = p10–p90, 95% = p2.5–p97.5; mean and median of "
                  "the same totals; no bounds with one run")
KIND_JSON = {
    "process": "every run simulates the funnel's figures as given: the intervals are the "
               "process's run-to-run variation only",
    "process_and_fit": "every run simulates its own draw of the funnel's figures fitted "
                       "on the history before the cut: the intervals carry the process's "
                       "variation and the fit's uncertainty",
}


def _tr(f: Forecast) -> Translator:
    """The forecast's language: `--lang`, else the account's (`Forecast.language`)."""
    return translator(choose(f.language))


def _t(f: Forecast) -> dict[str, str]:
    return _texts(_tr(f))


# ---------------------------------------------------------------------------- text
def _count(x: float | None, tr: Translator | None = None) -> str:
    """Deals: whole from 10 on, one decimal below (a mean need not be whole; the
    percentiles are whole, and print so)."""
    if x is None:
        return DASH
    tr = tr or translator("en")
    if abs(x) >= 10:
        return tr.number(round(x), 0)
    return tr.number(round(x, 1), 1)


def _money(tr: Translator, x: float, currency: str | None) -> str:
    """A forecast amount as funnelc writes money (`Translator.money`, compact): at most
    three significant digits and the currency's sign, «147 тыс. ₽», «1,13 млн ₽». A
    simulated mean read «146,78 тыс.» beside a column titled «выручка (RUB)» while the
    heading said ₽; two decimals of a thousand roubles claim a precision the runs lack.
    English writes money as the report and analyze do (`numfmt.money_in`: «€152k»,
    «RUB 152k»); Babel's compact form read «€150K» beside the report's «€152k». A no-break
    space keeps a figure and its sign on one line, as `Translator.money` does."""
    x = float(f"{x:.3g}")
    if tr.lang == "en":
        return money_in(x, currency, "en").replace(" ", "\u00a0")
    return tr.money(x, currency, compact=True) if currency else tr.compact(x)


def _cash(f: Forecast, x: float | None) -> str:
    return _money(_tr(f), x, f.currency) if x is not None else DASH


def _cash_range(f: Forecast, lo: float | None, hi: float | None) -> str:
    """A band of amounts with one currency sign: «753 тыс.–1,32 млн ₽», «$753k–1.32M»."""
    if lo is None or hi is None:
        return DASH
    tr = _tr(f)
    a, b = _money(tr, lo, f.currency), _money(tr, hi, f.currency)
    if a == b:
        return a
    if f.currency:
        sign = currency_sign(f.currency, tr.lang)  # as `_money` writes it
        if a.endswith(sign) and b.endswith(sign):
            a = a[:-len(sign)].rstrip("\u00a0 ")
        elif a.startswith(sign) and b.startswith(sign):
            b = b[len(sign):].lstrip("\u00a0 ")
    return f"{a}–{b}"


def _range(lo: float | None, hi: float | None, fmt: Callable[[float], str]) -> str:
    if lo is None or hi is None:
        return DASH
    a, b = fmt(lo), fmt(hi)
    return a if a == b else f"{a}–{b}"


def _figures(f: Forecast, c: Cell) -> list[str]:
    w, r = c.won, c.revenue
    tr = _tr(f)

    def count(x: float | None) -> str:
        return _count(x, tr)

    return [count(w.mean), _range(w.p10, w.p90, count), _range(w.p2_5, w.p97_5, count),
            _cash(f, r.mean), _cash_range(f, r.p10, r.p90), _cash_range(f, r.p2_5, r.p97_5)]


def _figure_columns(table: Table, t: dict[str, str], f: Forecast) -> None:
    # The cells carry the currency's sign: «выручка (RUB)» above «147 тыс. ₽» said it twice.
    for head in (f"{t['won']}\n{t['expected']}", f"{t['won']}\n{t['i80']}",
                 f"{t['won']}\n{t['i95']}", f"{t['revenue']}\n{t['expected']}",
                 f"{t['revenue']}\n{t['i80']}", f"{t['revenue']}\n{t['i95']}"):
        table.add_column(head, justify="right")


def _period_table(f: Forecast, title: str, periods: tuple[Period, ...],
                  cells: tuple[Cell, ...]) -> Table:
    from rich.table import Table

    from ..termtext import plain

    t = _t(f)
    table = Table(title=plain(title), title_justify="left")
    table.add_column(t["week"] if periods and periods[0].kind == "week" else t["month"])
    table.add_column(t["days"], justify="right")
    _figure_columns(table, t, f)
    for p, c in zip(periods, cells):
        # A week by its first day as the language says it («28 ноября 2026»; English ISO).
        label = _tr(f).day(p.first) if p.kind == "week" else _month_label(p, _tr(f))
        table.add_row(label, str(p.days) + ("" if p.whole else f" ({t['partial']})"),
                      *_figures(f, c))
    return table


def _month_label(p: Period, tr: Translator) -> str:
    """A month row as the language names it, «сентябрь 2026» (it read «2026-09»);
    English keeps the ISO month, as the JSON and the CSV."""
    from .month_words import said

    return said([p.label], tr)


def _origin_label(f: Forecast, row: Row) -> str:
    t = _t(f)
    if row.pipeline is None:
        return t["account"]
    if row.origin == "all":
        return t["all"]
    if row.origin == "new":
        return t["new"]
    stage = _tr(f).quote(row.origin_stage)
    return stage if row.origin_pipeline == row.pipeline else \
        f"{row.origin_pipeline} › {stage}"


def _origin_table(f: Forecast) -> Table:
    from rich.table import Table

    from ..termtext import plain

    t = _t(f)
    d = _tr(f).day
    title = t["by_origin"].format(as_of=d(f.as_of), first=d(f.first_day), until=d(f.until))
    table = Table(title=plain(title), title_justify="left")
    table.add_column(t["pipeline"])
    table.add_column(t["origin"].format(as_of=d(f.runs_from)))
    table.add_column(t["open"], justify="right")
    _figure_columns(table, t, f)
    last: str | None = None
    for row in f.rows:
        name = row.pipeline or ""
        shown = name if name != last else ""
        last = name
        style = "bold" if row.origin == "all" else ""
        table.add_row(plain(shown, style), plain(_origin_label(f, row), style),
                      _tr(f).number(row.open_deals, 0) if row.origin != "new" else DASH,
                      *_figures(f, row.total), style=style or None)
    return table


def heading(f: Forecast) -> list[str]:
    """The lines above the tables, in the account's language."""
    t = _t(f)
    zone = f.tz
    lines = [t["title"] + " " + t["as_of"].format(
        as_of=_tr(f).day(f.as_of), start=_tr(f).day(f.history_start.date()),
        end=_tr(f).day(f.history_end.date()), tz=zone)]
    tr = _tr(f)
    n = len(f.sources)
    value = _money(tr, f.open_value, f.currency) if f.currency else tr.sig(f.open_value)
    key = "window" if n else "window_no_sources"
    runs = tr.ngettext("{n} run", "{n} runs", f.reps).format(n=tr.number(f.reps, 0))
    sources = tr.npgettext("from", "{n} source", "{n} sources", n).format(n=n)
    # «12 відкритих угод», not «відкрито угод: 12».
    open_deals = tr.ngettext("{n} open deal", "{n} open deals", f.open_deals).format(
        n=tr.number(f.open_deals, 0))
    lines.append(t[key].format(first=tr.day(f.first_day), until=tr.day(f.until), open=open_deals,
                               value=value, runs=runs, sources=sources))
    return lines


def _fit_note(f: Forecast, tr: Translator) -> str | None:
    """What the fit-aware intervals rest on: the span fitted and how many stages and
    sources kept the funnel's figures for want of deals."""
    if f.fit is None:
        return None
    from zoneinfo import ZoneInfo

    from .fit import MIN_DEALS
    from .uncertainty import PRIOR_DEALS

    fit = f.fit
    stages = tr.ngettext("{n} stage", "{n} stages", fit.stages_fitted).format(
        n=tr.number(fit.stages_fitted, 0))
    sources = tr.ngettext("{n} source", "{n} sources", fit.sources_fitted).format(
        n=tr.number(fit.sources_fitted, 0))
    text = tr.gettext("the intervals carry the fit's uncertainty: the funnel's figures were "
                      "fitted on the history from {first} to the cut ({stages}, {sources}) "
                      "and every run simulates its own draw of them").format(
        first=tr.day(fit.first.astimezone(ZoneInfo(f.tz)).date()), stages=stages,
        sources=sources)
    if fit.stages_kept:
        text += tr.ngettext(
            "; {n} stage with fewer than {min} deals behind its shares has them drawn "
            "around the funnel's from the deals seen there (the funnel's shares weigh as "
            "{prior} deals), its delays the funnel's, undrawn",
            "; {n} stages with fewer than {min} deals behind their shares have them drawn "
            "around the funnel's from the deals seen there (the funnel's shares weigh as "
            "{prior} deals), their delays the funnel's, undrawn", fit.stages_kept).format(
            n=tr.number(fit.stages_kept, 0), min=MIN_DEALS, prior=tr.number(PRIOR_DEALS, 0))
    if fit.sources_kept:
        text += tr.ngettext(
            "; {n} source with fewer than {min} deals keeps the funnel's rate, undrawn",
            "; {n} sources with fewer than {min} deals keep the funnel's rates, undrawn",
            fit.sources_kept).format(n=tr.number(fit.sources_kept, 0), min=MIN_DEALS)
    return text


def _overdue_note(f: Forecast, tr: Translator) -> str:
    """The open deals older than their stage lets a deal stay, with their value, stages
    and ages, what the runs do with them and what to do (a graveyard is forecast as
    closed: by the slowest way out, or by the shares where a team's queue may hold it)."""
    n = sum(o.deals for o in f.overdue)
    value = math.fsum(o.value for o in f.overdue)
    stages = []
    for o in f.overdue[:3]:
        lo, hi = math.floor(o.youngest_hours / 24.0), math.floor(o.oldest_hours / 24.0)
        age = (tr.duration(lo, "day") if lo == hi
               else tr.duration_range(lo, hi, "day"))
        stages.append(tr.gettext("{stage}: {n}, open {age}").format(
            stage=tr.quote(o.stage), n=tr.number(o.deals, 0), age=age))
    if len(f.overdue) > 3:
        rest = sum(o.deals for o in f.overdue[3:])
        stages.append(tr.ngettext("{n} more in other stages", "{n} more in other stages",
                                  rest).format(n=tr.number(rest, 0)))
    money = _money(tr, value, f.currency) if f.currency else tr.sig(value)
    if not any(o.waits for o in f.overdue):
        text = tr.ngettext(
            "{n} open deal ({value}) has been in its stage far longer than the funnel lets "
            "a deal stay there (not 1 in 100,000 of the deals entering it stays as long): "
            "{stages}; the funnel has no `stay` share or SLA that would keep it, and only "
            "the stage's slowest ways out explain such an age, so the runs close it by "
            "those ways. If nobody works it (a graveyard), close it in the CRM, or fit the "
            "funnel on the history (`funnelc fit` writes the share that stays)",
            "{n} open deals ({value}) have been in their stage far longer than the funnel "
            "lets a deal stay there (not 1 in 100,000 of the deals entering it stays as "
            "long): {stages}; the funnel has no `stay` share or SLA that would keep them, "
            "and only the stage's slowest ways out explain such an age, so the runs close "
            "them by those ways. If nobody works them (a graveyard), close them in the "
            "CRM, or fit the funnel on the history (`funnelc fit` writes the share that "
            "stays)", n)
    else:
        text = tr.ngettext(
            "{n} open deal ({value}) has been in its stage far longer than the funnel lets "
            "a deal stay there (not 1 in 100,000 of the deals entering it stays as long): "
            "{stages}; the funnel has no `stay` share or SLA that would keep it, so the "
            "runs close it: by the slowest ways out, the only ones that explain such an "
            "age, or, in a stage whose deals wait for a team's member, where the age may "
            "be that wait, by the shares, as new deals there close. If nobody works it (a "
            "graveyard), close it in the CRM, or fit the funnel on the history (`funnelc "
            "fit` writes the share that stays)",
            "{n} open deals ({value}) have been in their stage far longer than the funnel "
            "lets a deal stay there (not 1 in 100,000 of the deals entering it stays as "
            "long): {stages}; the funnel has no `stay` share or SLA that would keep them, "
            "so the runs close them: by the slowest ways out, the only ones that explain "
            "such an age, or, in a stage whose deals wait for a team's member, where the "
            "age may be that wait, by the shares, as new deals there close. If nobody "
            "works them (a graveyard), close them in the CRM, or fit the funnel on the "
            "history (`funnelc fit` writes the share that stays)", n)
    return text.format(n=tr.number(n, 0), value=money, stages="; ".join(stages))


def _kept_sentence(f: Forecast) -> str | None:
    """With fit-aware intervals, the figures too few deals stand behind to fit: the
    stages' shares drawn around the funnel's from those deals (`uncertainty`), their
    delays kept; the sources' figures kept, undrawn, which the intervals do not carry
    (the legend said the intervals carry the fitted figures' uncertainty even when no
    figure was fitted, and then named the small stages as carrying none: they were
    simulated at the file's shares in every run)."""
    if f.fit is None or not (f.fit.stages_kept or f.fit.sources_kept):
        return None
    from .fit import MIN_DEALS
    from .uncertainty import small_stages

    tr = _tr(f)
    stages: list[str] = []
    sources: list[str] = []
    if f.fit.result is not None:
        stages = [tr.quote(f"{s.pipeline}.{s.stage}") for s in small_stages(f.fit.result)]
        sources = [tr.quote(s.name) for s in f.fit.result.sources if s.deals < MIN_DEALS]
    if len(stages) != f.fit.stages_kept or len(stages) > 6:
        stages = [tr.ngettext("{n} stage", "{n} stages", f.fit.stages_kept).format(
            n=tr.number(f.fit.stages_kept, 0))] if f.fit.stages_kept else []
    if len(sources) != f.fit.sources_kept or len(sources) > 6:
        sources = [tr.ngettext("{n} source", "{n} sources", f.fit.sources_kept).format(
            n=tr.number(f.fit.sources_kept, 0))] if f.fit.sources_kept else []
    out = []
    if stages:
        out.append(tr.ngettext(
            "{stages}: too few deals to fit, so every run draws its shares around the "
            "funnel's from the deals seen there and the intervals carry how little those "
            "say; its delays are the funnel's as written.",
            "{stages}: too few deals to fit, so every run draws their shares around the "
            "funnel's from the deals seen there and the intervals carry how little those "
            "say; their delays are the funnel's as written.", f.fit.stages_kept).format(
            stages=tr.join(stages)))
    if sources:
        out.append(tr.gettext("Not for {kept}: too few deals to fit, so their figures are "
                              "the funnel's as written and the intervals carry none of "
                              "their uncertainty.").format(kept=tr.join(sources)))
    return " ".join(out)


def forecast_notes(f: Forecast, tr: Translator | None = None) -> list[str]:
    """How the runs were set up, in sentences (English unless `tr` says otherwise: the
    JSON's notes stay English): where they start, stand-in values, no new arrivals,
    the fit, events left out after --as-of."""
    tr = tr or translator("en")
    start = tr.ngettext(
        "every run starts at the end of {day} ({tz}) with the {n} deal open then, each in "
        "its stage since its real entry",
        "every run starts at the end of {day} ({tz}) with the {n} deals open then, each in "
        "its stage since its real entry", f.open_deals).format(
        day=tr.day(f.runs_from), tz=f.tz, n=tr.number(f.open_deals, 0))
    if f.sources:
        start += tr.gettext("; new deals arrive from the funnel's sources from {first} on"
                            ).format(first=tr.day(f.runs_from + timedelta(days=1)))
    notes = [start]
    if f.history_last_day is not None:
        gap = (f.as_of - f.history_last_day).days
        notes.append(tr.ngettext(
            "the history ends {gap} day before {day}, on {last}, and does not say what "
            "happened since: the runs simulate that day as well (open deals moving, new "
            "deals arriving) and count only the wins from {first} on; an export made today "
            "would start them from what really happened",
            "the history ends {gap} days before {day}, on {last}, and does not say what "
            "happened since: the runs simulate those days as well (open deals moving, new "
            "deals arriving) and count only the wins from {first} on; an export made today "
            "would start them from what really happened", gap).format(
            gap=tr.number(gap, 0), day=tr.day(f.as_of), last=tr.day(f.history_last_day),
            first=tr.day(f.first_day)))
    if f.arrivals:
        total = sum(n for _, n in f.arrivals)
        listed = [f"{tr.quote(name)} {tr.number(round(n), 0)}" for name, n in f.arrivals[:5]]
        if len(f.arrivals) > 5:
            listed.append(tr.ngettext("{n} more source", "{n} more sources",
                                      len(f.arrivals) - 5).format(n=len(f.arrivals) - 5))
        notes.append(tr.ngettext(
            "the funnel's sources bring about {n} new deal from {first} to {until} at their "
            "rates ({sources}): the base of the row {row}",
            "the funnel's sources bring about {n} new deals from {first} to {until} at their "
            "rates ({sources}): the base of the row {row}", round(total)).format(
            n=tr.number(round(total), 0), first=tr.day(f.first_day), until=tr.day(f.until),
            sources=", ".join(listed), row=tr.quote(_texts(tr)["new"])))
    if f.values_filled:
        notes.append(tr.ngettext(
            "{n} open deal had no amount in the history: the mean value the funnel file "
            "gives its source stands in",
            "{n} open deals had no amount in the history: the mean value the funnel file "
            "gives their source stands in", f.values_filled).format(n=tr.number(f.values_filled, 0)))
    if f.overdue:
        notes.append(_overdue_note(f, tr))
    if not f.sources:
        notes.append(tr.gettext("no source of the funnel brings deals: only the open deals "
                                "are forecast"))
    fit = _fit_note(f, tr)
    if fit is not None:
        notes.append(fit)
    if f.fit is not None and f.fit.result is not None:
        # What `funnelc fit` warns of on the same history: a source that reached a new
        # level is forecast at its old base rate, and the client must read that here.
        from functools import partial

        from ..i18n.note import say
        from ..i18n.words import route_label_text
        from .fit_report import warning_lines

        said = partial(say, tr=tr, label=partial(route_label_text, tr))
        notes.extend(tr.gettext("the fit: {warning}").format(warning=x)
                     for x in warning_lines(f.fit.result, said, tr, drawn=True))
    if f.left_out_until is not None:
        notes.append(tr.gettext("events after the end of {day} ({tz}) are left out (the "
                                "history goes on to {last})").format(
            day=tr.day(f.as_of), tz=f.tz, last=tr.day(f.left_out_until)))
    if f.arrivals_gone is not None:
        last, expected = f.arrivals_gone
        notes.append(tr.gettext(
            "no deal entered the funnel after {last} ({tz}), although its sources bring "
            "about {expected} by {day} at their base rates: the export seems to hold only the deals created by "
            "then (a filter on the creation date?); the new deals forecast assume the "
            "sources go on as the funnel says").format(
            last=moment(tr, last.astimezone(ZoneInfo(f.tz))), tz=f.tz,
            expected=tr.number(round(expected), 0), day=tr.day(f.runs_from)))
    if f.handoffs and f.sales:
        notes.append(tr.gettext("a win in {pipelines} hands the deal on (`won then copy`): it "
                                "is counted there and again where the deal goes on; the whole "
                                "account counts each sale, a win in {sales}, as its revenue "
                                "does, so the pipelines add up to more than the account").format(
            pipelines=", ".join(tr.quote(p) for p in f.handoffs),
            sales=", ".join(tr.quote(p) for p in f.sales)))
    elif f.handoffs:
        notes.append(tr.gettext("a win in {pipelines} hands the deal on (`won then copy`): it "
                                "is counted there and again where the deal is won in the end; "
                                "the whole account counts each deal once, at its final win, "
                                "so the pipelines add up to more than the account").format(
            pipelines=", ".join(tr.quote(p) for p in f.handoffs)))
    return notes


def written_line(f: Forecast, folder: str, files: Iterable[str]) -> str:
    """The line saying what -o wrote, in the forecast's language: the client reads it
    under the forecast («записаны …»), the file names as they are."""
    from ..atomic import folder_text
    return _tr(f).gettext("wrote {folder}/{files}").format(folder=folder_text(folder),
                                                            files=", ".join(files))


def forecast_warnings(f: Forecast) -> list[str]:
    """The stderr lines of a forecast: history names the funnel does not have, then the
    history's data quality; invisible characters shown escaped."""
    from ..names import escape_invisible
    from ..termtext import plain
    from .quality_render import summary_lines

    if f.data_quality is None:
        return [escape_invisible(line) for line in
                [*f.warnings, *(f"warning: {line}" for line in f.quality)]]
    # In the forecast's language, whose numbers may hold no-break spaces (`4 922`), so
    # only control characters are written out; «warning:» only when rows were dropped: a
    # reader's note alone (where the loss reasons came from) is not a problem.
    tr = _tr(f)
    quality = summary_lines(f.data_quality, tr)
    if f.data_quality.dropped_total:
        # The reader's notes keep their own «note:»: «warning: note: …» said both.
        notes = len(f.data_quality.notes)
        head, tail = quality[:len(quality) - notes], quality[len(quality) - notes:]
        quality = [f"{tr.gettext('warning:')} {line}" for line in head] + tail
    return ([escape_invisible(line) for line in f.warnings]
            + [plain(line).plain for line in quality])


def print_forecast(f: Forecast, console: Console) -> None:
    """The tables: the account by week and by month, then every pipeline and origin over
    the whole window; the method's notes last."""
    from ..termtext import plain

    t = _t(f)
    for line in heading(f):
        console.print(plain(line))
    acc = f.account
    console.print(_period_table(f, f"{t['account']}: {t['by_week'].lower()}", f.weeks,
                                acc.weeks))
    console.print(_period_table(f, f"{t['account']}: {t['by_month'].lower()}", f.months,
                                acc.months))
    console.print(_origin_table(f))
    if f.reps > 1:
        # One run has no interval (every cell «—»): nothing to explain.
        kept = _kept_sentence(f)
        console.print(plain(f"{t['intervals']} {t['kind_' + f.interval_kind]}"
                            + (f" {kept}" if kept else "")))
    tr = _tr(f)
    label = tr.gettext("note: {note}")
    for note in forecast_notes(f, tr):
        console.print(plain(label.format(note=note)))


# ---------------------------------------------------------------------------- JSON
def _band(b: Band) -> JSON:
    return {"mean": b.mean, "median": b.median, "p2_5": b.p2_5, "p10": b.p10,
            "p90": b.p90, "p97_5": b.p97_5}


def _cell(c: Cell) -> JSON:
    return {"won": _band(c.won), "revenue": _band(c.revenue)}


def _period(p: Period) -> JSON:
    return {"label": p.label, "first": p.first.isoformat(), "last": p.last.isoformat(),
            "days": p.days, "whole": p.whole}


def forecast_data(f: Forecast, inputs: Iterable[str], funnel_path: str) -> JSONObject:
    """The forecast as plain data (`forecast.schema.json`)."""
    return {
        "inputs": list(inputs),
        "funnel": funnel_path,
        "as_of": f.as_of.isoformat(),
        "first_day": f.first_day.isoformat(),
        "until": f.until.isoformat(),
        "tz": f.tz,
        "cut": f.cut.isoformat(),
        "history": {"start": f.history_start.isoformat(), "end": f.history_end.isoformat(),
                    "rows_dropped": f.rows_dropped},
        "runs": {"reps": f.reps, "seed": f.seed, "deals_simulated": f.deals_simulated,
                 "seconds": round(f.seconds, 3)},
        "intervals": f"{INTERVALS_JSON}; {KIND_JSON[f.interval_kind]}",
        "interval_kind": f.interval_kind,
        "fit": None if f.fit is None else {
            "first": f.fit.first.isoformat(), "cut": f.fit.cut.isoformat(),
            "stages_fitted": f.fit.stages_fitted, "stages_kept": f.fit.stages_kept,
            "sources_fitted": f.fit.sources_fitted, "sources_kept": f.fit.sources_kept},
        "currency": f.currency,
        "language": f.language,
        "open_deals": {"count": f.open_deals, "value": f.open_value},
        "sources": list(f.sources),
        "weeks": [_period(p) for p in f.weeks],
        "months": [_period(p) for p in f.months],
        "rows": [{"pipeline": r.pipeline, "origin": r.origin,
                  "origin_pipeline": r.origin_pipeline, "origin_stage": r.origin_stage,
                  "open_deals": r.open_deals, "open_value": r.open_value,
                  "weeks": [_cell(c) for c in r.weeks],
                  "months": [_cell(c) for c in r.months],
                  "total": _cell(r.total)} for r in f.rows],
        "cumulative": [_cell(c) for c in f.cumulative],
        "notes": list[JSON](forecast_notes(f)),
    }


def forecast_json(f: Forecast, inputs: Iterable[str], funnel_path: str) -> str:
    """The JSON text: UTF-8, indented (every figure is finite: totals of counts and
    amounts)."""
    import json

    return json.dumps(forecast_data(f, inputs, funnel_path), ensure_ascii=False, indent=2,
                      allow_nan=False) + "\n"


# ---------------------------------------------------------------------------- CSV
CSV_COLUMNS = ("pipeline", "origin", "origin_pipeline", "origin_stage", "open_deals",
               "period_kind", "period", "first_day", "last_day", "measure", "mean",
               "median", "p2_5", "p10", "p90", "p97_5")
"""One row per (row of the forecast, period, measure): tidy, for a spreadsheet's pivot.
`pipeline` empty is the whole account; `origin` is `all`, `open` or `new` (new arrivals);
`period_kind` is `week`, `month` or `total`; `measure` is `won` or `revenue`."""


def forecast_csv(f: Forecast) -> str:
    buf = io.StringIO()
    out = csvsafe.writer(buf)
    out.writerow(CSV_COLUMNS)
    total = Period("month", "total", f.first_day, f.until)
    for r in f.rows:
        origin = NEW if r.origin == "new" else r.origin
        head = [r.pipeline or "", origin, r.origin_pipeline or "", r.origin_stage or "",
                r.open_deals]
        blocks = [("week", p, c) for p, c in zip(f.weeks, r.weeks)]
        blocks += [("month", p, c) for p, c in zip(f.months, r.months)]
        blocks.append(("total", total, r.total))
        for kind, p, c in blocks:
            for measure, b in (("won", c.won), ("revenue", c.revenue)):
                out.writerow([*head, kind, p.label, p.first.isoformat(), p.last.isoformat(),
                              measure, b.mean, b.median, b.p2_5, b.p10, b.p90, b.p97_5])
    return buf.getvalue()


# ---------------------------------------------------------------------------- chart
def fan_chart(f: Forecast) -> Figure:
    """Cumulative won revenue of the account at the end of each week from the first
    day: the median, the 80 % band and the 95 % band across the runs."""
    from datetime import timedelta

    from matplotlib.dates import date2num, num2date
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    t = _t(f)
    fig = Figure(figsize=(9, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x = date2num([f.first_day] + [p.last + timedelta(days=1) for p in f.weeks])

    def series(pick: str) -> list[float]:
        out = [0.0]
        for c in f.cumulative:
            v = getattr(c.revenue, pick)
            out.append(v if v is not None else c.revenue.median)
        return out

    ax.fill_between(x, series("p2_5"), series("p97_5"), color="#9ecae1", alpha=0.45,
                    linewidth=0, label=t["band95"])
    ax.fill_between(x, series("p10"), series("p90"), color="#4292c6", alpha=0.55,
                    linewidth=0, label=t["band80"])
    ax.plot(x, series("median"), color="#08306b", linewidth=2, marker="o", markersize=3,
            label=t["median"])
    ax.set_title(t["chart"].format(first=_tr(f).day(f.first_day)), loc="left")
    ax.set_ylabel(t["revenue"])
    tr = _tr(f)
    # The ticks carry the currency's sign, as the tables' cells.
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _money(tr, v, f.currency)))
    # The days under the axis as the language writes them short («28 нояб. 2026»).
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: tr.day_short(num2date(v).date())))
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    fig.autofmt_xdate()
    return fig


def render_chart(f: Forecast) -> RenderedFigure:
    """The fan chart as PNG bytes and SVG text (the one figure saver's rendering)."""
    from matplotlib import rc_context

    from ..report.figures import STANDALONE, draws_figure, render_figure
    from ..report.plots import RC

    with rc_context(RC):
        return render_figure(draws_figure(fan_chart)(f), STANDALONE)


def save_chart(f: Forecast, png: str, svg: str, drawn: RenderedFigure | None = None
               ) -> list[str]:
    """The fan chart written as `png` and `svg` together (`atomic.write_all`); returns
    what matplotlib warned about while drawing. `drawn`: the chart `render_chart(f)`
    already gave (`forecast -o DIR --chart PATH` draws it once for both)."""
    from ..atomic import write_all

    out = drawn if drawn is not None else render_chart(f)
    write_all({png: out.png, svg: out.svg.encode("utf-8")})
    return out.warnings
