"""`funnelc simulate FILE`: replications of the account's discrete-event simulation,
printed as tables, optionally as JSON (`--json`) and per-deal CSV (`--records`)."""

from __future__ import annotations

import sys
from datetime import date

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color, write_atomic


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date like 2025-01-01") from None


@click.command("simulate")
@click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Horizon in days, warm-up included.")
@click.option("--warmup", type=click.IntRange(min=0), default=30, show_default=True,
              help="Days simulated but left out of every statistic.")
@click.option("--reps", type=click.IntRange(min=1), default=10, show_default=True,
              help="Independent replications (confidence intervals need at least 2).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Seed of every random stream: the same seed gives the same output.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores); results do not depend on it.")
@click.option("--start", callback=_date, default=None, metavar="YYYY-MM-DD",
              help="Date of day 1 (calendar and monthly profiles) [default: 2018-01-01, a "
                   "Monday of a non-leap year].")
@click.option("--scenario", default=None, metavar="NAME",
              help="Apply this scenario's overrides first.")
@click.option("--json", "json_path", metavar="PATH", default=None,
              help="Write the results as JSON to PATH (`-` prints JSON instead of tables).")
@click.option("--records", "records_path", metavar="PATH", default=None,
              help="Write one CSV row per deal per stage visit to PATH.")
@click.option("--schema", is_flag=True,
              help="Print the JSON Schema of the --json output and exit.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def simulate_command(file: str | None, days: int, warmup: int, reps: int, seed: int,
                     jobs: int | None, start: date | None, scenario: str | None,
                     json_path: str | None, records_path: str | None, schema: bool,
                     color: str) -> None:
    """Simulate FILE: deals arrive from the sources, queue for team members, get worked,
    move on, time out by SLA; every figure is the mean of --reps replications with its
    95 % confidence interval.

    Exit code 0 when simulated (unstable teams are flagged, not refused), 1 when the
    file has errors, 2 on a usage error.
    """
    if schema:
        from ..sim.results import SCHEMA_PATH

        click.echo(SCHEMA_PATH.read_text(encoding="utf-8"), nl=False)
        raise SystemExit(EXIT_CLEAN)
    if file is None:
        raise click.UsageError("missing argument FILE")
    if warmup >= days:
        raise click.UsageError(f"--warmup ({warmup} days) must be shorter than --days "
                               f"({days} days)")

    from ..api import load_file

    loaded = load_file(file)
    sources = {loaded.source.path: loaded.source} if loaded.source is not None else {}
    colored = use_color(color)
    if loaded.usage_error:
        print_diagnostics(loaded.diagnostics, sources, "text", colored)
        raise SystemExit(EXIT_USAGE)
    if not loaded.ok or loaded.model is None:
        errors = [d for d in loaded.diagnostics if d.severity.value == "error"]
        print_diagnostics(errors or loaded.diagnostics, sources, "text", colored)
        click.echo("error: the file has errors; fix them before simulating it", err=True)
        raise SystemExit(EXIT_PROBLEMS)
    model = loaded.model

    from ..diagnostics import Diagnostic, Severity
    from ..scenarios import ScenarioError, apply_scenario, scenario_names

    if scenario is not None:
        if scenario not in scenario_names(model):
            from ..diagnostics import did_you_mean

            guess = did_you_mean(scenario, scenario_names(model))
            names = ", ".join(f"`{n}`" for n in scenario_names(model)) or "none"
            hint = f"did you mean `{guess}`?" if guess else f"scenarios in the file: {names}"
            raise click.BadParameter(f"no scenario `{scenario}` in {loaded.path}; {hint}",
                                     param_hint="'--scenario'")
        try:
            model = apply_scenario(model, scenario)
        except ScenarioError as exc:
            diag = Diagnostic("FN291", Severity.error, f"cannot apply scenario: {exc.message}",
                              loaded.path, exc.span, help=exc.help)
            print_diagnostics([diag], sources, "text", colored)
            raise SystemExit(EXIT_PROBLEMS) from None

    from ..sim import CompileError, SimConfig, compile_network
    from ..sim.summary import summarize

    config = SimConfig(days=days, warmup_days=warmup, reps=reps, seed=seed, jobs=jobs,
                       records=records_path,
                       **({"start": start} if start is not None else {}))
    try:
        net = compile_network(model)
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, sources, "text", colored)
        raise SystemExit(EXIT_PROBLEMS) from None

    try:
        reps_out = _run_with_progress(net, config)
    except OSError as exc:
        raise click.UsageError(f"cannot write {records_path}: {exc.strerror or exc}") from exc
    result = summarize(model, net, config, reps_out, scenario=scenario)

    if json_path is not None:
        data = result.model_dump_json(indent=2) + "\n"
        if json_path == "-":
            click.echo(data, nl=False)
            raise SystemExit(EXIT_CLEAN)
        try:
            write_atomic(json_path, data)
        except OSError as exc:
            raise click.UsageError(f"cannot write {json_path}: {exc.strerror or exc}") from exc

    from rich.console import Console

    from ..sim.table import render_tables

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # a file or pipe: wide rows instead of wrapped cells
    render_tables(result, console)
    raise SystemExit(EXIT_CLEAN)


def _run_with_progress(net, config):  # type: ignore[no-untyped-def]
    """Run the replications, with a progress bar on stderr when it is a terminal."""
    from ..sim.runner import run_replications

    if not sys.stderr.isatty():
        return run_replications(net, config)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("reps", total=config.reps)
        return run_replications(net, config,
                                lambda done, total: bar.update(task, completed=done))
