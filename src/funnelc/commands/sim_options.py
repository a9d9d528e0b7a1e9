"""What every command that simulates shares: the run options (`--days`, `--warmup`,
`--reps`, `--seed`, `--jobs`, `--start`, `--scenario`), loading a file that must be free
of errors, applying the scenario, and running the replications with a progress bar.

One module, so that `simulate`, `report` and the what-if commands validate the same
options the same way and refuse the same files with the same words. Imports only click
at module level: the heavy parts load inside the functions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Sequence

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color

if TYPE_CHECKING:
    from ..diagnostics import SourceText
    from ..model import FunnelFile
    from ..sim import Network, SimConfig
    from ..sim.stats import RepStats

__all__ = ["simulation_options", "stack", "horizon_options", "seed_option", "check_run_options",
           "load_for_simulation", "Prepared", "compile_or_exit", "run_with_progress"]


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date like 2025-01-01") from None


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def stack(options: Sequence[Decorator]) -> Decorator:
    """One decorator applying `options` so that `--help` lists them in the given order
    (click lists the option applied last first)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def horizon_options(days: int, warmup: int) -> list[Decorator]:
    """--days and --warmup: every command that simulates reads the horizon alike, with
    its own defaults."""
    return [
        click.option("--days", type=click.IntRange(min=1), default=days, show_default=True,
                     help="Horizon in days, warm-up included."),
        click.option("--warmup", type=click.IntRange(min=0), default=warmup,
                     show_default=True,
                     help="Days simulated but left out of every statistic."),
    ]


def seed_option() -> Decorator:
    """--seed, alike in every command that simulates (a fresh decorator per command)."""
    return click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
                        help="Seed of every random stream: the same seed gives the same "
                             "output.")


def simulation_options(days: int = 365, warmup: int = 30, reps: int = 10) -> Decorator:
    """Decorator adding the run options; a command may choose its own defaults."""
    return stack([
        *horizon_options(days, warmup),
        click.option("--reps", type=click.IntRange(min=1), default=reps, show_default=True,
                     help="Independent replications (confidence intervals need at "
                          "least 2)."),
        seed_option(),
        click.option("--jobs", type=click.IntRange(min=1), default=None,
                     help="Worker processes (default: all cores); results do not "
                          "depend on it."),
        click.option("--start", callback=_date, default=None, metavar="YYYY-MM-DD",
                     help="Date of day 1 (calendar and monthly profiles) [default: "
                          "2018-01-01, a Monday of a non-leap year]."),
        click.option("--scenario", default=None, metavar="NAME",
                     help="Apply this scenario's overrides first."),
    ])


def check_run_options(days: int, warmup: int) -> None:
    """What click's ranges cannot say alone."""
    if warmup >= days:
        raise click.UsageError(f"--warmup ({warmup} days) must be shorter than --days "
                               f"({days} days)")


@dataclass
class Prepared:
    """A file ready to simulate: the model (scenario applied) and what diagnostics need."""

    path: str
    model: FunnelFile
    sources: dict[str, SourceText]
    colored: bool


def load_for_simulation(file: str, scenario: str | None, color: str, verb: str
                        ) -> Prepared:
    """Load FILE, refuse it when it has errors (exit 1; exit 2 when it cannot be read),
    and apply `scenario` (an unknown name is a usage error with a suggestion). `verb`
    finishes "fix them before …" in the refusal."""
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
        click.echo(f"error: the file has errors; fix them before {verb} it", err=True)
        raise SystemExit(EXIT_PROBLEMS)
    model = loaded.model
    if scenario is not None:
        from ..diagnostics import Diagnostic, Severity, did_you_mean
        from ..scenarios import ScenarioError, apply_scenario, scenario_names

        names = scenario_names(model)
        if scenario not in names:
            guess = did_you_mean(scenario, names)
            listed = ", ".join(f"`{n}`" for n in names) or "none"
            hint = f"did you mean `{guess}`?" if guess else f"scenarios in the file: {listed}"
            raise click.BadParameter(f"no scenario `{scenario}` in {loaded.path}; {hint}",
                                     param_hint="'--scenario'")
        try:
            model = apply_scenario(model, scenario)
        except ScenarioError as exc:
            diag = Diagnostic("FN291", Severity.error, f"cannot apply scenario: {exc.message}",
                              loaded.path, exc.span, help=exc.help)
            print_diagnostics([diag], sources, "text", colored)
            raise SystemExit(EXIT_PROBLEMS) from None
    return Prepared(path=loaded.path, model=model, sources=sources, colored=colored)


def compile_or_exit(prepared: Prepared) -> Network:
    """The simulation tables, or the diagnostics that prevent them (exit 1)."""
    from ..sim import CompileError, compile_network

    try:
        return compile_network(prepared.model)
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, prepared.sources, "text", prepared.colored)
        raise SystemExit(EXIT_PROBLEMS) from None


def run_with_progress(net: Network, config: SimConfig) -> list[RepStats]:
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
