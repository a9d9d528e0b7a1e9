"""`funnelc simulate FILE`: replications of the account's discrete-event simulation,
printed as tables or as JSON (`--format json`), and per-deal CSV (`--records`)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date

import click

from .common import EXIT_CLEAN
from .convention import (
    deprecated_path_option,
    lang_option,
    output_options,
    present,
    product_output,
    resolve_legacy,
)
from .output import Output, guard, via_file
from .sim_options import (
    RunSize,
    check_run_options,
    compile_or_exit,
    load_for_simulation,
    simulate_or_exit,
    simulation_options,
    stack,
)


@click.command("simulate")
@click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options(what=" (json: schema `funnelc simulate --schema`)"))
@simulation_options()
@deprecated_path_option("--json", "json_path", "--format json -o PATH")
@click.option("--records", "records_path", metavar="PATH", default=None,
              help="Write one CSV row per deal per stage visit to PATH (`-` prints the "
                   "CSV instead of tables).")
@click.option("--schema", is_flag=True,
              help="Print the JSON Schema of the --format json output and exit.")
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def simulate_command(file: str | None, fmt: str, output_path: str | None, days: int, warmup: int, reps: int, seed: int,
                     jobs: int | None, start: date | None, scenario: str | None,
                     json_path: str | None, records_path: str | None, schema: bool,
                     color: str, max_deals: int) -> None:
    """Simulate FILE: deals arrive from the sources, queue for team members, get worked,
    move on, time out by SLA; every figure is the mean of --reps replications with its
    95% confidence interval.

    Exit code 0 when simulated (unstable teams are flagged, not refused), 1 when the
    file has errors, 2 on a usage error.
    """
    if schema:
        from ..sim.results import SCHEMA_PATH

        click.echo(SCHEMA_PATH.read_text(encoding="utf-8"), nl=False)
        raise SystemExit(EXIT_CLEAN)
    if file is None:
        raise click.UsageError("missing argument FILE")
    check_run_options(days, warmup)
    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, json_path, "json", "--json")
    guard([product_output(fmt, output_path, "--json" if json_path else None),
           Output("--records", records_path)], [file])
    prepared = load_for_simulation(file, scenario, color, "simulating",
                                   RunSize(days, reps, start, max_deals))

    from ..sim import DEFAULT_START, SimConfig
    from ..sim.table import render_tables, simulate_json

    net = compile_or_exit(prepared)
    with via_file(records_path) if records_path else nullcontext(None) as records:
        config = SimConfig(days=days, warmup_days=warmup, reps=reps, seed=seed, jobs=jobs,
                           records=records if records_path else None,
                           start=start or DEFAULT_START, max_deals=max_deals)
        result = simulate_or_exit(prepared, net, config, scenario).result
    if fmt != "text" or records_path != "-":  # `--records -`: the CSV replaces the tables
        account = prepared.model.account
        language = account.language if account is not None else None
        present(fmt, output_path, lambda console: render_tables(result, console, language),
                {"json": lambda: simulate_json(result)}, keep_text and records_path != "-",
                color, language=language)
    raise SystemExit(EXIT_CLEAN)
