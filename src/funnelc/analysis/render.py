"""What `analyze` prints and writes: per pipeline a table of the exact stage figures with
its numbered notes, the teams, the expected revenue (rich); and the JSON. The words of a
row come from `exact_text`, shared with the report's HTML. Names are shown as written
(`termtext.plain`), never read as rich markup. The words and figures follow the account's
`language` (`--lang` overrides it); English is analyze's own forms, with no catalog
loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import numfmt
from ..i18n import N_, choose
from ..i18n.note import say
from ..jsontypes import JSONObject
from ..numfmt import money_in, num
from ..termtext import plain
from .exact import AccountExact, PipelineExact
from .exact_text import (
    MONEY_HEADERS,
    Legend,
    busy_members,
    headers,
    load_mark,
    money_remarks,
    money_rows,
    pipeline_remarks,
    source_money_headers,
    source_money_rows,
    stage_cells,
    stage_notes,
    team_load,
    unreachable_revenue,
)
from .fast_table import FastTable
from .money import ExactMoney

if TYPE_CHECKING:
    from ..i18n.figures import Figures

__all__ = ["analyze_text", "analyze_json"]

_COLUMNS = ((N_("stage"), "left"), (N_("visits/lead"), "right"), (N_("λ/day"), "right"),
            (N_("P(win)"), "right"), (N_("mean time"), "right"), (N_("load"), "right"),
            (N_("wait"), "right"), (N_("respond breach"), "right"), (N_("timeout"), "right"),
            (N_("SLA cut"), "right"), (N_("occupancy"), "right"), (N_("notes"), "left"))
_TEAM_COLUMNS = (N_("team"), N_("size"), N_("stages"), N_("busy members"), N_("load"),
                 N_("hours/week"), N_("notes"))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class _Words:
    """The tables' words and figures in the output's language (the account's `language`,
    or `--lang`). English is analyze's own forms, with no catalog loaded, so an account
    without a language reads English with no catalog loaded."""

    def __init__(self, language: str | None) -> None:
        lang = choose(language)
        self.lang = lang
        self.f: Figures | None = None
        if lang != "en":
            from ..i18n import translator
            from ..i18n.figures import Figures

            self.f = Figures(translator(lang))

    def _(self, message: str) -> str:
        return message if self.f is None else self.f.tr.gettext(message)

    def num(self, x: float | None, digits: int = 3) -> str:
        return num(x, digits) if self.f is None else self.f.num(x, digits)

    def pct(self, fraction: float | None) -> str:
        """A share to three significant digits (`35%`, `2.78%`, `0.448%`; `2,78%` in ru
        and uk), as the report's page writes the same figure. It had one fixed decimal
        (`2.8%`, `0.4%`, `100.0%`) beside the page's `2.78%`, `0.448%`, `100%`."""
        return numfmt.pct(fraction) if self.f is None else self.f.pct(fraction)

    def say(self, note: str) -> str:
        """A note of the exact maths (`i18n.note.Note`) in the output's language."""
        return note if self.f is None else say(note, self.f.tr, None, self.f.hours)

    def cash(self, amount: float, currency: str | None) -> str:
        """An amount as the money tables below write it: `UAH 141M` in English (it read
        `141M UAH` above a table saying `270k ₴`; `numfmt.currency_mark`), `141 млн ₴`
        otherwise."""
        return money_in(amount, currency, self.lang)

    def month(self, month: str | None) -> str | None:
        """The month of `--month` as a word standing alone (`январь`), or None for the
        annual mean; English keeps the option's value (`jan`)."""
        if month is None or self.f is None or month not in _MONTHS:
            return month
        return self.f.tr.month(_MONTHS.index(month) + 1)

    def month_in(self, month: str) -> str:
        """The month after «в»/«у» (`январе`); English keeps the option's value."""
        if self.f is None or month not in _MONTHS:
            return month
        return self.f.tr.month_in(_MONTHS.index(month) + 1)


def analyze_json(result: AccountExact) -> JSONObject:
    """The exact analysis as data (schema `analyze.schema.json`)."""
    return result.to_dict()


def _pipeline_table(w: _Words, p: PipelineExact) -> tuple[Table, list[str]]:
    """The pipeline's table and its notes, numbered (see `Legend`)."""
    title = w._(N_("{pipeline}: conversion {share} of leads entering, {per_day}/day in, "
                   "{won} won/month")).format(pipeline=p.name, share=w.pct(p.p_won),
                                             per_day=w.num(p.inflow_per_hour * 24),
                                             won=w.num(p.won_per_month))
    table = Table(title=plain(title), title_justify="left", show_lines=False)
    for header, justify in _COLUMNS:
        table.add_column(w._(header), justify="left" if justify == "left" else "right",
                         overflow="fold")
    legend = Legend()
    for s in p.stages:
        table.add_row(*(plain(c) for c in stage_cells(s, w.pct, w.f)),
                      legend.refs(stage_notes(s)))
    return table, legend.notes


def _teams_table(w: _Words, result: AccountExact) -> Table:
    teams = Table(title=w._(N_("teams")), title_justify="left")
    for header in _TEAM_COLUMNS:
        teams.add_column(w._(header), overflow="fold")
    for t in result.teams:
        teams.add_row(plain(t.name), str(t.size), str(len(t.stages)), busy_members(t, w.f),
                      team_load(t.load, w.pct, t.capacity),
                      w.num(t.working_hours_per_week),
                      plain("; ".join(w.say(n) for n in t.notes)))
    return teams


def _revenue(console: Console, w: _Words, result: AccountExact) -> None:
    cur = result.currency
    net = result.money
    if result.revenue_per_month is not None and net is not None and net.gave_up:
        console.print(w._(N_("expected revenue: {amount} per month if every deal waited; "
                             "{net} without the deals that give up waiting (money below)"))
                      .format(amount=w.cash(result.revenue_per_month, cur),
                              net=w.cash(net.per_month.revenue, cur)))
    elif result.revenue_per_month is not None:
        console.print(w._(N_("expected revenue: {amount} per month")).format(
            amount=w.cash(result.revenue_per_month, cur)))
    else:
        console.print(w._(N_("expected revenue: no source has a `value`")))
    unreachable = unreachable_revenue(result.unstable_teams(), w.f)
    if unreachable is not None:
        console.print(plain("  " + unreachable), soft_wrap=True)
    for s in result.sources:
        fields = {"source": s.source, "entry": s.entry, "leads": w.num(s.leads_per_month),
                  "wins": w.num(s.wins_per_lead)}
        if s.revenue_per_month is not None:
            line = w._(N_("{source} → {entry}: {leads} leads/month, {wins} wins per lead, "
                          "{revenue}/month")).format(
                revenue=w.cash(s.revenue_per_month, cur), **fields)
        else:
            line = w._(N_("{source} → {entry}: {leads} leads/month, {wins} wins per lead"))\
                .format(**fields)
        console.print(plain("  " + line))
    console.print(plain("  " + w._(N_("assumed: {assumption}")).format(
        assumption=w._(result.revenue_assumption))))


def _money(console: Console, w: _Words, money: ExactMoney, month: str | None) -> None:
    """The expected money: totals per month and year, then per source and paid team."""
    title = (w._(N_("money (exact, annual mean)")) if month is None
             else w._(N_("money (exact, {month})")).format(month=w.month(month)))
    totals = Table(title=title, title_justify="left")
    for i, header in enumerate(headers(MONEY_HEADERS, w.f)):
        totals.add_column(header, justify="left" if i == 0 else "right")
    profit = w._("profit")
    for row in money_rows(money, w.f):
        totals.add_row(*row, style="bold" if row[0] == profit else None)
    console.print(totals)
    per_source = Table(title=w._(N_("money per source (per month)")), title_justify="left")
    for i, header in enumerate(source_money_headers(money, w.f)):
        per_source.add_column(header, justify="left" if i == 0 else "right", overflow="fold")
    for row in source_money_rows(money, w.f):
        per_source.add_row(*(plain(c) for c in row))
    console.print(per_source)
    for line in money_remarks(money, w.pct, w.f):
        console.print(plain("  " + line), soft_wrap=True)


def _heading(w: _Words, result: AccountExact) -> Text:
    """`exact funnel maths for FILE (sources at their annual mean rate, scenario X)`."""
    fields = {"path": result.path, "scenario": result.scenario or ""}
    if result.month is None:
        template = (N_("for {path} (sources at their annual mean rate, scenario {scenario})")
                    if result.scenario else N_("for {path} (sources at their annual mean rate)"))
    else:
        fields["month"] = w.month_in(result.month)
        template = (N_("for {path} (sources at their {month} rate, scenario {scenario})")
                    if result.scenario else N_("for {path} (sources at their {month} rate)"))
    return Text.assemble((w._(N_("exact funnel maths")), "bold"),
                         plain(" " + w._(template).format(**fields)))


def analyze_text(console: Console, result: AccountExact, language: str | None = None) -> None:
    """Every pipeline's table with its notes and remarks, the teams, the revenue: in
    `language` (the account's; `--lang` overrides it)."""
    w = _Words(language)
    console.print(_heading(w, result))
    for p in result.pipelines:
        console.print()
        table, legend = _pipeline_table(w, p)
        console.print(FastTable(table))
        for i, note in enumerate(legend, 1):
            console.print(plain(f"  {i}: {w.say(note)}"), soft_wrap=True)
        mark = load_mark(((s.team_load, s.team_capacity) for s in p.stages), w.f)
        if mark is not None:
            console.print(plain("  " + mark), soft_wrap=True)
        for line in pipeline_remarks(p, w.pct, w.f, result.unstable_teams(p)):
            console.print(plain("  " + line))
    if result.teams:
        console.print()
        console.print(FastTable(_teams_table(w, result)))
        mark = load_mark(((t.load, t.capacity) for t in result.teams), w.f)
        if mark is not None:
            console.print(plain("  " + mark), soft_wrap=True)
    console.print()
    _revenue(console, w, result)
    if result.money is not None:
        console.print()
        _money(console, w, result.money, result.month)
        unreachable = unreachable_revenue(result.unstable_teams(), w.f)
        if unreachable is not None:
            console.print(plain("  " + unreachable), soft_wrap=True)
    for note in result.notes:
        console.print(plain(w._(N_("note: {note}")).format(note=w.say(note))))
