"""What `analyze` prints and writes: per pipeline a table of the exact stage figures with
its numbered notes, the teams, the expected revenue (rich); and the JSON. The words of a
row come from `exact_text`, shared with the report's HTML. Names are shown as written
(`termtext.plain`), never read as rich markup."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..jsontypes import JSONObject
from ..numfmt import money, num, pct_fixed
from ..termtext import plain
from .exact import AccountExact, PipelineExact
from .exact_text import (
    MONEY_HEADERS,
    SOURCE_MONEY_HEADERS,
    Legend,
    money_remarks,
    money_rows,
    pipeline_remarks,
    source_money_rows,
    stage_cells,
    stage_notes,
)
from .money import ExactMoney

__all__ = ["analyze_text", "analyze_json"]

_COLUMNS = (("stage", "left"), ("visits/lead", "right"), ("λ/day", "right"),
            ("P(win)", "right"), ("mean time", "right"), ("load", "right"),
            ("wait", "right"), ("respond breach", "right"), ("timeout", "right"),
            ("sla cut", "right"), ("occupancy", "right"), ("notes", "left"))


def analyze_json(result: AccountExact) -> JSONObject:
    """The exact analysis as data (schema `analyze.schema.json`)."""
    return result.to_dict()


def _pipeline_table(p: PipelineExact) -> tuple[Table, list[str]]:
    """The pipeline's table and its notes, numbered (see `Legend`)."""
    title = (f"{p.name}: conversion {pct_fixed(p.p_won)} of leads entering, "
             f"{num(p.inflow_per_hour * 24)}/day in, {num(p.won_per_month)} won/month")
    table = Table(title=plain(title), title_justify="left", show_lines=False)
    for header, justify in _COLUMNS:
        table.add_column(header, justify="left" if justify == "left" else "right",
                         overflow="fold")
    legend = Legend()
    for s in p.stages:
        table.add_row(*(plain(c) for c in stage_cells(s, pct_fixed)), legend.refs(stage_notes(s)))
    return table, legend.notes


def _teams_table(result: AccountExact) -> Table:
    teams = Table(title="teams", title_justify="left")
    for header in ("team", "size", "stages", "busy members", "load", "hours/week", "notes"):
        teams.add_column(header, overflow="fold")
    for t in result.teams:
        teams.add_row(plain(t.name), str(t.size), str(len(t.stages)), num(t.busy_mean),
                      num(t.load, 2) + ("" if t.stable else " !"),
                      num(t.working_hours_per_week), plain("; ".join(t.notes)))
    return teams


def _revenue(console: Console, result: AccountExact) -> None:
    currency = f" {result.currency}" if result.currency else ""
    net = result.money
    if result.revenue_per_month is not None and net is not None and net.gave_up:
        console.print(f"expected revenue: {money(result.revenue_per_month)}{currency} per month "
                      f"if every deal waited; {money(net.per_month.revenue)}{currency} without "
                      "the deals that give up waiting (money below)")
    elif result.revenue_per_month is not None:
        console.print(f"expected revenue: {money(result.revenue_per_month)}{currency} per month")
    else:
        console.print("expected revenue: no source has a `value`")
    for s in result.sources:
        console.print(plain(f"  {s.source} → {s.entry}: {num(s.leads_per_month)} leads/month, "
                            f"{num(s.wins_per_lead)} wins per lead"
                            + (f", {money(s.revenue_per_month)}{currency}/month"
                               if s.revenue_per_month is not None else "")))
    console.print(plain(f"  assumed: {result.revenue_assumption}"))


def _money(console: Console, money: ExactMoney, month_label: str) -> None:
    """The expected money: totals per month and year, then per source and paid team."""
    totals = Table(title=f"money (exact, {month_label})",
                   title_justify="left")
    for i, header in enumerate(MONEY_HEADERS):
        totals.add_column(header, justify="left" if i == 0 else "right")
    for row in money_rows(money):
        totals.add_row(*row, style="bold" if row[0] == "profit" else None)
    console.print(totals)
    per_source = Table(title="money per source (per month)", title_justify="left")
    for i, header in enumerate(SOURCE_MONEY_HEADERS):
        per_source.add_column(header, justify="left" if i == 0 else "right", overflow="fold")
    for row in source_money_rows(money):
        per_source.add_row(*(plain(c) for c in row))
    console.print(per_source)
    for line in money_remarks(money, pct_fixed):
        console.print(plain("  " + line), soft_wrap=True)


def analyze_text(console: Console, result: AccountExact) -> None:
    """Every pipeline's table with its notes and remarks, the teams, the revenue."""
    scenario = f", scenario {result.scenario}" if result.scenario else ""
    console.print(Text.assemble(("exact funnel maths", "bold"), plain(
        f" for {result.path} (sources at their {result.month_label} rate{scenario})")))
    for p in result.pipelines:
        console.print()
        table, legend = _pipeline_table(p)
        console.print(table)
        for i, note in enumerate(legend, 1):
            console.print(plain(f"  {i}: {note}"), soft_wrap=True)
        for line in pipeline_remarks(p, pct_fixed):
            console.print(plain("  " + line))
    if result.teams:
        console.print()
        console.print(_teams_table(result))
    console.print()
    _revenue(console, result)
    if result.money is not None:
        console.print()
        _money(console, result.money, result.month_label)
    for note in result.notes:
        console.print(plain(f"note: {note}"))
