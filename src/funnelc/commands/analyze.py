"""`funnelc analyze FILE`: the exact funnel maths (win probabilities, visits, flows, team
loads, Erlang waits) as tables, and as JSON with `--format json`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..numfmt import money, num, pct_fixed
from .common import EXIT_CLEAN
from .convention import (
    deliver,
    deprecated_path_option,
    output_options,
    product_output,
    resolve_legacy,
    text_output,
    to_json,
)
from .output import guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..analysis.exact import AccountExact, PipelineExact

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@click.command("analyze")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options(what=" (json: schema analyze.schema.json)"))
@deprecated_path_option("--json", "json_path", "--format json -o PATH")
@click.option("--month", type=click.Choice(MONTHS, case_sensitive=False), default=None,
              help="Analyse the sources' rate in this month of their profile "
                   "(default: the annual mean).")
@click.option("--scenario", default=None, metavar="NAME",
              help="Apply this scenario's overrides first.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def analyze_command(file: str, fmt: str, output_path: str | None, json_path: str | None,
                    month: str | None, scenario: str | None, color: str) -> None:
    """Exact funnel maths for FILE: per stage expected visits per lead, arrivals, P(win),
    mean time in stage, team load, Erlang C wait, respond-breach and SLA-timeout shares,
    and occupancy; per pipeline its conversion; the account's expected revenue.

    Closed forms are shown only where their assumptions hold; elsewhere the notes
    column says why not. Exit code 0 when analysed, 1 when the file has errors,
    2 on a usage error.
    """
    from ..analysis.exact import analyze_account
    from .sim_options import load_for_simulation

    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, json_path, "json", "--json")
    guard([product_output(fmt, output_path, "--json" if json_path else None)], [file])
    model = load_for_simulation(file, scenario, color, "analysing").model

    result = analyze_account(model, month.lower() if month else None)
    result.scenario = scenario
    if fmt == "json":
        deliver(output_path, to_json(result.to_dict()))
        if not keep_text:
            raise SystemExit(EXIT_CLEAN)
        output_path = None
    if output_path in (None, "-"):
        _print_tables(result)
    else:
        with text_output(output_path) as console:
            _print_tables(result, console)
    raise SystemExit(EXIT_CLEAN)


# ----------------------------------------------------------------------- tables


def _pipeline_table(p: PipelineExact) -> tuple[Any, list[str]]:
    """The pipeline's table and its notes, numbered (see `Legend`)."""
    from rich.table import Table

    from ..analysis.exact_text import Legend, stage_cells, stage_notes
    from ..termtext import plain

    title = (f"{p.name}: conversion {pct_fixed(p.p_won)} of leads entering, "
             f"{num(p.inflow_per_hour * 24)}/day in, {num(p.won_per_month)} won/month")
    table = Table(title=plain(title), title_justify="left", show_lines=False)
    for header, justify in (("stage", "left"), ("visits/lead", "right"), ("λ/day", "right"),
                            ("P(win)", "right"), ("mean time", "right"), ("load", "right"),
                            ("wait", "right"), ("respond breach", "right"),
                            ("timeout", "right"), ("sla cut", "right"), ("occupancy", "right"),
                            ("notes", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    legend = Legend()
    for s in p.stages:
        table.add_row(*(plain(c) for c in stage_cells(s, pct_fixed)), legend.refs(stage_notes(s)))
    return table, legend.notes


def _print_tables(result: AccountExact, console: Any = None) -> None:
    import shutil
    import sys

    from rich.table import Table
    from rich.text import Text

    from ..analysis.exact_text import pipeline_remarks
    from ..termtext import plain, terminal_console

    if console is None:
        width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200
        console = terminal_console(width=max(width, 120), highlight=False, soft_wrap=False)
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
        teams = Table(title="teams", title_justify="left")
        for header in ("team", "size", "stages", "busy members", "load", "hours/week", "notes"):
            teams.add_column(header, overflow="fold")
        for t in result.teams:
            teams.add_row(plain(t.name), str(t.size), str(len(t.stages)), num(t.busy_mean),
                          num(t.load, 2) + ("" if t.stable else " !"),
                          num(t.working_hours_per_week), plain("; ".join(t.notes)))
        console.print(teams)

    console.print()
    currency = f" {result.currency}" if result.currency else ""
    if result.revenue_per_month is not None:
        console.print(f"expected revenue: {money(result.revenue_per_month)}{currency} per month")
    else:
        console.print("expected revenue: no source has a `value`")
    for s in result.sources:
        console.print(plain(f"  {s.source} → {s.entry}: {num(s.leads_per_month)} leads/month, "
                            f"{num(s.wins_per_lead)} wins per lead"
                            + (f", {money(s.revenue_per_month)}{currency}/month"
                               if s.revenue_per_month is not None else "")))
    console.print(plain(f"  assumed: {result.revenue_assumption}"))
    for note in result.notes:
        console.print(plain(f"note: {note}"))
