"""What every command that simulates shares: the run options (`--days`, `--warmup`,
`--reps`, `--seed`, `--jobs`, `--start`, `--scenario`), loading a file that must be free
of errors, applying the scenario, and running the replications with a progress bar.

One module, so that `simulate`, `report` and the what-if commands validate the same
options the same way and refuse the same files with the same words. Imports only click
at module level: the heavy parts load inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from .. import codes
from ..limits import DEFAULT_MAX_DEALS, EVENTS_PER_DEAL, MAX_DAYS, MAX_JOBS, MAX_REPS
from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color
from .output import progress_bar

if TYPE_CHECKING:
    from lark import Token

    from ..diagnostics import SourceText
    from ..model import FunnelFile
    from ..sim import Network, SimConfig
    from ..sim.service import Simulation

__all__ = ["simulation_options", "stack", "horizon_options", "seed_option", "check_run_options",
           "load_for_simulation", "Prepared", "compile_or_exit", "simulate_or_exit",
           "max_deals_option", "jobs_range", "reps_option", "REPS_HELP", "RunSize", "guard_work", "deal_limit_exit"]


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
        click.option("--days", type=click.IntRange(min=1, max=MAX_DAYS), default=days,
                     show_default=True,
                     help=f"Horizon in days, warm-up included (at most {MAX_DAYS})."),
        click.option("--warmup", type=click.IntRange(min=0, max=MAX_DAYS), default=warmup,
                     show_default=True,
                     help="Days simulated but left out of every statistic."),
    ]


def seed_option() -> Decorator:
    """--seed, alike in every command that simulates (a fresh decorator per command)."""
    return click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
                        help="Seed of every random stream: the same seed gives the same "
                             "output.")


def max_deals_option() -> Decorator:
    """--max-deals: the work budget of every command that simulates (`funnelc.limits`)."""
    return click.option(
        "--max-deals", type=click.IntRange(min=1), default=DEFAULT_MAX_DEALS,
        show_default=True, metavar="N",
        help="Refuse a run expected to simulate more deals than this in all (replications "
             f"and variants together; events: {EVENTS_PER_DEAL} per deal), and stop a "
             "replication that creates more.")


def jobs_range() -> click.IntRange:
    return click.IntRange(min=1, max=MAX_JOBS)


def reps_range(least: int) -> click.IntRange:
    return click.IntRange(min=least, max=MAX_REPS)


REPS_HELP = (f"Independent replications, 1 to {MAX_REPS}; every variant of a comparison "
             "runs the same ones (common random numbers). A 95% confidence interval "
             "needs at least 2: with 1, figures are shown without one.")


def reps_option(default: int) -> Decorator:
    """--reps: one bound and one help in every command that simulates."""
    return click.option("--reps", type=reps_range(1), default=default, show_default=True,
                        help=REPS_HELP)


def simulation_options(days: int = 365, warmup: int = 30, reps: int = 10) -> Decorator:
    """Decorator adding the run options; a command may choose its own defaults."""
    return stack([
        *horizon_options(days, warmup),
        reps_option(reps),
        seed_option(),
        click.option("--start", callback=_date, default=None, metavar="YYYY-MM-DD",
                     help="Date of day 1 (calendar and monthly profiles) [default: "
                          "2018-01-01, a Monday of a non-leap year]."),
        click.option("--jobs", type=jobs_range(), default=None,
                     help="Worker processes (default: all cores); results do not "
                          "depend on it."),
        click.option("--scenario", default=None, metavar="NAME",
                     help="Apply this scenario's overrides first."),
        max_deals_option(),
    ])


def check_run_options(days: int, warmup: int) -> None:
    """What click's ranges cannot say alone."""
    if warmup >= days:
        raise click.UsageError(f"--warmup ({warmup} days) must be shorter than --days "
                               f"({days} days)")


@dataclass(frozen=True)
class RunSize:
    """What the work budget needs to know of a run before loading its file."""

    days: int
    reps: int
    start: date | None
    max_deals: int


def guard_work(models: Sequence[FunnelFile], size: RunSize) -> None:
    """Refuse (exit 2) a run whose expected work is above the budget: solved from the
    exact flows in milliseconds, before any simulation table is built."""
    from ..sim.budget import estimate_work, refusal
    from ..sim.config import DEFAULT_START

    est = estimate_work(models, size.days, size.reps, size.start or DEFAULT_START)
    why = refusal(est, size.max_deals)
    if why is not None:
        raise click.UsageError(why)


def deal_limit_exit(exc: BaseException) -> None:
    """A replication went over the deal budget while running: a limit error (exit 2)."""
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(EXIT_USAGE)


@dataclass
class Prepared:
    """A file ready to simulate: the model (scenario applied) and what diagnostics need."""

    path: str
    model: FunnelFile
    sources: dict[str, SourceText]
    colored: bool
    comments: list[Token] = field(default_factory=list)
    """The file's comment tokens (for a writer that keeps them, `fit -o`)."""


def check_scenarios(chosen: Sequence[str], names: Sequence[str], path: str) -> None:
    """Every `--scenario` name is one of the file's (`names`); else a usage error with
    the closest name, or the list."""
    from ..diagnostics import did_you_mean

    for name in chosen:
        if name not in names:
            guess = did_you_mean(name, list(names))
            listed = ", ".join(f"`{n}`" for n in names) or "none"
            hint = f"did you mean `{guess}`?" if guess else f"scenarios in the file: {listed}"
            raise click.BadParameter(f"no scenario `{name}` in {path}; {hint}",
                                     param_hint="'--scenario'")


def load_for_simulation(file: str, scenario: str | None, color: str, verb: str,
                        work: RunSize | None = None) -> Prepared:
    """Load FILE, refuse it when it has errors (exit 1; exit 2 when it cannot be read),
    and apply `scenario` (an unknown name is a usage error with a suggestion). `verb`
    finishes "fix them before …" in the refusal. With `work`, a run above the work
    budget is refused too (`guard_work`)."""
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
        from ..diagnostics import Diagnostic, Severity
        from ..scenarios import ScenarioError, apply_scenario, scenario_names

        check_scenarios([scenario], scenario_names(model), loaded.path)
        try:
            model = apply_scenario(model, scenario)
        except ScenarioError as exc:
            diag = Diagnostic(codes.FN291, Severity.error, f"cannot apply scenario: {exc.message}",
                              loaded.path, exc.span, help=exc.help)
            print_diagnostics([diag], sources, "text", colored)
            raise SystemExit(EXIT_PROBLEMS) from None
    if work is not None:
        guard_work([model], work)
    return Prepared(path=loaded.path, model=model, sources=sources, colored=colored,
                    comments=loaded.comments)


def compile_or_exit(prepared: Prepared) -> Network:
    """The simulation tables, or the diagnostics that prevent them (exit 1)."""
    from ..sim import CompileError, compile_network

    try:
        return compile_network(prepared.model)
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, prepared.sources, "text", prepared.colored)
        raise SystemExit(EXIT_PROBLEMS) from None


def simulate_or_exit(prepared: Prepared, net: Network, config: SimConfig,
                     scenario: str | None = None) -> Simulation:
    """Run and summarise the replications (`sim.service.run_simulation`), with a progress
    bar on stderr when it is a terminal; a replication over the deal budget is a limit
    error (exit 2)."""
    from ..sim.budget import DealLimitExceeded
    from ..sim.service import run_simulation

    try:
        with progress_bar("simulating", total=config.reps) as progress:
            return run_simulation(prepared.model, net, config, progress, scenario)
    except DealLimitExceeded as exc:
        deal_limit_exit(exc)
        raise  # unreachable: deal_limit_exit exits
