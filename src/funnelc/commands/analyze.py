"""`funnelc analyze FILE`: the exact funnel maths (win probabilities, visits, flows, team
loads, Erlang waits) as tables, and as JSON with `--format json`."""

from __future__ import annotations

import click

from .common import EXIT_CLEAN
from .convention import (
    deprecated_path_option,
    lang_option,
    output_options,
    present,
    product_output,
    resolve_legacy,
    to_json,
)
from .output import guard
from .sim_options import stack

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
@lang_option()
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
    from ..analysis.render import analyze_json, analyze_text
    from .sim_options import load_for_simulation

    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, json_path, "json", "--json")
    guard([product_output(fmt, output_path, "--json" if json_path else None)], [file])
    model = load_for_simulation(file, scenario, color, "analysing").model

    result = analyze_account(model, month.lower() if month else None)
    result.scenario = scenario
    account = model.account
    language = account.language if account is not None else None
    present(fmt, output_path, lambda console: analyze_text(console, result, language),
            {"json": lambda: to_json(analyze_json(result))}, keep_text, color,
            width=_width(), highlight=False, language=language)
    raise SystemExit(EXIT_CLEAN)


def _width() -> int:
    """Columns of the tables on stdout: the terminal's, but at least 120 (twelve columns
    stay readable); 200 into a pipe."""
    import shutil
    import sys

    width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 200
    return max(width, 120)
