"""What `whatif`, `sweep` and `staff` share beyond `sim_options`: the executor options
(`--executor`, `--scheduler`, `--jobs`), `--set` override lines, a progress bar over
(variant × replication) work, printing diagnostics about command-line strings, and
output paths. Imports only click at module level."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics
from .convention import lang_option
from .output import Output, progress_bar
from .sim_options import (
    Decorator,
    RunSize,
    _date,
    check_run_options,
    deal_limit_exit,
    horizon_options,
    jobs_range,
    max_deals_option,
    reps_option,
    seed_option,
    stack,
)

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim import Network, SimConfig
    from ..sim.budget import WorkBudget
    from ..whatif.executors import Runner
    from ..whatif.variants import OverrideError, OverrideLine
    from .sim_options import Prepared

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

__all__ = ["run_or_exit", "run_options", "set_option", "override_lines", "exit_on_override_error",
           "make_config", "runner", "plot_paths", "plot_outputs"]


def run_options(reps: int = 10, days: int = 365, warmup: int = 30) -> Decorator:
    """--days --warmup --reps --seed --start --jobs --executor --scheduler --max-deals
    --color (`convention.SHARED_ORDER`)."""
    return stack([
        *horizon_options(days, warmup),
        reps_option(reps),
        seed_option(),
        click.option("--start", callback=_date, default=None, metavar="YYYY-MM-DD",
                     help="Date of day 1 [default: 2018-01-01, a Monday]."),
        click.option("--jobs", type=jobs_range(), default=None,
                     help="Local worker processes (default: all cores; small runs "
                          "stay in one process); results do not depend on it."),
        click.option("--executor", type=click.Choice(["local", "dask"]), default=None,
                     help="Where replications run: local processes (default) or a "
                          "Dask cluster (needs --scheduler and `pip install "
                          "'funnelc[dask]'`)."),
        click.option("--scheduler", default=None, metavar="ADDRESS",
                     help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (implies "
                          "--executor dask)."),
        max_deals_option(),
        lang_option(),
        click.option("--color", type=click.Choice(["auto", "always", "never"]),
                     default="auto", show_default=True, help="Colour the diagnostics."),
    ])


def set_option(fn: F) -> F:
    """--set OVERRIDE, repeatable: one scenario made of command-line lines."""
    return click.option(
        "--set", "sets", multiple=True, metavar="OVERRIDE",
        help="One scenario line, e.g. 'team \"Менеджеры\" size 5' (repeatable; all --set "
             "lines together form one scenario).")(fn)


def override_lines(sets: Sequence[str], option: str = "--set") -> list[OverrideLine]:
    from ..whatif.variants import OverrideLine

    many = len(sets) > 1
    return [OverrideLine(text=s, origin=f"{option} #{i}" if many else option)
            for i, s in enumerate(sets, 1)]


def exit_on_override_error(exc: OverrideError, colored: bool) -> None:
    """Diagnostics about a command-line string: a usage error (exit 2)."""
    print_diagnostics(exc.diagnostics, exc.sources, "text", colored)
    raise SystemExit(EXIT_USAGE)


def make_config(days: int, warmup: int, reps: int, seed: int, start: date | None,
                jobs: int | None, max_deals: int | None = None) -> SimConfig:
    from ..sim import DEFAULT_START, SimConfig

    check_run_options(days, warmup)
    return SimConfig(days=days, warmup_days=warmup, reps=reps, seed=seed, jobs=jobs,
                     start=start or DEFAULT_START, max_deals=max_deals)


def run_size(config: SimConfig) -> RunSize:
    """The work budget of a what-if command, from its config (`make_config`)."""
    from ..limits import DEFAULT_MAX_DEALS

    return RunSize(config.days, config.reps, config.start,
                   config.max_deals if config.max_deals is not None else DEFAULT_MAX_DEALS)


@contextmanager
def runner(config: SimConfig, executor: str | None, scheduler: str | None,
           label: str, budget: WorkBudget | None = None) -> Iterator[Runner]:
    """A `Runner` on the chosen executor, with a progress bar on stderr when it is a
    terminal; the executor (worker pool, Dask client) is closed on the way out. A
    replication over the deal budget ends the command with a limit error (exit 2), and
    so does a batch that `budget` refuses before it starts."""
    from ..sim.budget import DealLimitExceeded, WorkRefused

    try:
        with _runner(config, executor, scheduler, label, budget) as run:
            yield run
    except DealLimitExceeded as exc:
        deal_limit_exit(exc)
    except WorkRefused as exc:
        raise click.UsageError(str(exc)) from None


@contextmanager
def _runner(config: SimConfig, executor: str | None, scheduler: str | None, label: str,
            budget: WorkBudget | None) -> Iterator[Runner]:
    from ..whatif.executors import ExecutorError, Runner, make_executor

    kind = executor or ("dask" if scheduler else "local")
    if kind == "local" and scheduler:
        raise click.UsageError("--scheduler is for --executor dask")
    try:
        ex = make_executor(kind, config.jobs, scheduler)
    except ExecutorError as exc:
        raise click.UsageError(str(exc)) from None
    with ex, progress_bar(label, "replications") as progress:
        yield Runner(ex, config, progress,
                     auto_serial=config.jobs is None and kind == "local", budget=budget)


def run_or_exit(service: Callable[[Runner], T], config: SimConfig, executor: str | None,
                scheduler: str | None, label: str, prepared: Prepared,
                budget: WorkBudget | None = None) -> T:
    """`service(runner)` on the chosen executor (`runner`), its result returned; a
    variant the simulator cannot compile ends the command with its diagnostics (exit 1)."""
    from ..sim import CompileError

    with runner(config, executor, scheduler, label, budget) as run:
        try:
            return service(run)
        except CompileError as exc:
            print_diagnostics(exc.diagnostics, prepared.sources, "text", prepared.colored)
            raise SystemExit(EXIT_PROBLEMS) from None


def compile_model_or_exit(model: FunnelFile, prepared: Prepared) -> Network:
    """The simulation tables of `model` (a variant of the prepared file), or its
    diagnostics and exit 1."""
    from ..sim import CompileError, compile_network

    try:
        return compile_network(model)
    except CompileError as exc:
        print_diagnostics(exc.diagnostics, prepared.sources, "text", prepared.colored)
        raise SystemExit(EXIT_PROBLEMS) from None


def plot_paths(path: str) -> tuple[str, str]:
    """PATH → (PATH.png, PATH.svg); a .png or .svg suffix given by the user is dropped."""
    base = path
    for suffix in (".png", ".svg", ".PNG", ".SVG"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base + ".png", base + ".svg"


def save_plot(path: str, draw: Callable[[str, str], list[str]], language: str | None
              ) -> None:
    """`--plot PATH`: `draw(png, svg)` writes both files (an `OSError` becomes a clean
    `cannot write` error); what matplotlib warned about goes to stderr, and the two
    paths as a note unless -q, in the client's language (the account's `language`,
    `--lang` over it) as the plot itself and the `wrote` line are: a Russian client
    read «plot: …» under «записан …»."""
    from ..i18n import choose, translator
    from .convention import drawing_warnings, info
    from .output import writing

    png, svg = plot_paths(path)
    with writing(png):
        drawing_warnings(draw(png, svg))
    info(translator(choose(language)).gettext("plot: {png}, {svg}").format(png=png, svg=svg))


def plot_outputs(path: str | None, option: str = "--plot") -> list[Output]:
    """The two files `--plot PATH` writes, for `output.guard` (`-` cannot hold two)."""
    if path is None:
        return []
    if path == "-":
        return [Output(option, path, stdout_ok=False)]
    return [Output(option, p) for p in plot_paths(path)]


def model_with_sets(model: FunnelFile, sets: Sequence[str], colored: bool
                    ) -> FunnelFile:
    """The model with the `--set` lines applied (bad lines: diagnostics, exit 2)."""
    if not sets:
        return model
    from ..whatif.variants import OverrideError, Overrides

    try:
        return Overrides(model).apply(override_lines(sets))
    except OverrideError as exc:
        exit_on_override_error(exc, colored)
        raise  # unreachable: exit_on_override_error exits
