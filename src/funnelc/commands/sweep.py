"""`funnelc sweep FILE --vary SPEC [--vary SPEC…]`: simulate every combination of the
varied values; a table of chosen metrics, a tidy CSV of every metric, and plots."""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

import click

from .common import EXIT_CLEAN
from .convention import (
    deprecated_path_option,
    output_options,
    present,
    product_output,
    resolve_legacy,
    to_json,
)
from .output import guard
from .sim_options import stack
from .whatif_options import (
    compile_model_or_exit,
    exit_on_override_error,
    make_config,
    model_with_sets,
    plot_outputs,
    run_options,
    run_or_exit,
    run_size,
    save_plot,
    set_option,
)

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..whatif.grid import VarySpec
    from ..whatif.metrics import MetricDef
    from ..whatif.runs import Variant
    from .sim_options import Prepared


@click.command("sweep")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options("csv", what=" (json: schema sweep.schema.json; csv: one row per "
                             "point and metric)"))
@click.option("--vary", "varies", multiple=True, required=True, metavar="SPEC",
              help="A scenario line with a range for its value, e.g. "
                   "'team \"Менеджеры\" size 2..8' or 'source \"Сайт\" rate 10..40/day "
                   "step 10' (repeatable: the grid is every combination).")
@click.option("--metric", "metrics", multiple=True, metavar="NAME[:SUBJECT]",
              help="A metric for the table and plots, e.g. conversion, revenue, "
                   "utilization:Менеджеры, respond_breach_pct:Квалификация.Заявка получена "
                   "(repeatable; default: the account headline and the utilization of "
                   "resized teams).")
@deprecated_path_option("--csv", "csv_path", "--format csv -o PATH")
@click.option("--plot", "plot_path", metavar="PATH", default=None,
              help="Plot each --metric (heat map and lines over two axes, a line over "
                   "one) as PATH.png and PATH.svg; several metrics get PATH-METRIC.*.")
@click.option("--scenario", default=None, metavar="NAME",
              help="Apply this scenario of the file first (the sweep's base).")
@set_option
@run_options(reps=10)
def sweep_command(file: str, fmt: str, output_path: str | None, varies: tuple[str, ...], metrics: tuple[str, ...],
                  csv_path: str | None, plot_path: str | None, scenario: str | None,
                  sets: tuple[str, ...], days: int, warmup: int, reps: int, seed: int,
                  start: date | None, jobs: int | None, executor: str | None,
                  scheduler: str | None, color: str, max_deals: int) -> None:
    """Run FILE over a grid of variations.

    Every point uses the same replication indices (common random numbers), so
    neighbouring points differ by the change, not by luck. Exit code 0 when swept, 1
    when the file has errors, 2 on a usage error (a --vary that names nothing, an empty
    range, an unknown metric).
    """
    config = make_config(days, warmup, reps, seed, start, jobs, max_deals)
    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, csv_path, "csv", "--csv")
    product = product_output(fmt, output_path, "--csv" if csv_path else None)
    guard([product, *plot_outputs(plot_path)], [file])

    from ..whatif.service import sweep_grid
    from ..whatif.sweep_render import save_sweep_plot, sweep_csv, sweep_json, sweep_text
    from .sim_options import guard_work, load_for_simulation

    prepared = load_for_simulation(file, scenario, color, "sweeping", run_size(config))
    base = model_with_sets(prepared.model, sets, prepared.colored)
    specs, variants = _grid(base, varies, prepared)
    guard_work([v.model for v in variants], run_size(config))
    chosen = _metrics(metrics, variants[0].model, prepared)  # refused before simulating
    result = run_or_exit(
        lambda run: sweep_grid(specs, variants, chosen, config, run, prepared.path),
        config, executor, scheduler, "sweep", prepared)
    plots = [] if plot_path is None else [
        (d, plot_path if len(result.chosen) == 1 else _suffixed(plot_path, d.key))
        for d in result.chosen]
    guard([product, *(o for _, t in plots for o in plot_outputs(t))], [file])
    for d, target in plots:
        save_plot(target, partial(save_sweep_plot, result, d), result.language)
    present(fmt, output_path, lambda console: sweep_text(console, result),
            {"csv": lambda: sweep_csv(result), "json": lambda: to_json(sweep_json(result))},
            keep_text, color, language=result.language)
    raise SystemExit(EXIT_CLEAN)


def _grid(base: FunnelFile, varies: tuple[str, ...], prepared: Prepared
          ) -> tuple[list[VarySpec], list[Variant]]:
    """The --vary specs (axes named) and the model of every grid point; a spec that
    names nothing is a usage error with its diagnostics, a huge grid is refused."""
    from ..whatif.grid import parse_vary
    from ..whatif.sweep import TooManyPoints, sweep_variants
    from ..whatif.variants import OverrideError

    many = len(varies) > 1
    try:
        specs = [parse_vary(v, f"--vary #{i}" if many else "--vary")
                 for i, v in enumerate(varies, 1)]
        return sweep_variants(base, specs)
    except OverrideError as exc:
        exit_on_override_error(exc, prepared.colored)
        raise  # unreachable: exit_on_override_error exits
    except TooManyPoints as exc:
        raise click.UsageError(str(exc)) from None


def _metrics(texts: tuple[str, ...], first: FunnelFile, prepared: Prepared) -> list[MetricDef]:
    """The --metric names resolved against the first grid point (unknown: usage error)."""
    from ..whatif.metrics import MetricError, metric_space, resolve_metric

    space0 = metric_space(first, compile_model_or_exit(first, prepared))
    chosen = []
    for text in texts:
        try:
            chosen.append(resolve_metric(text, space0))
        except MetricError as exc:
            raise click.BadParameter(f"{exc.message}" + (f"; {exc.help}" if exc.help else ""),
                                     param_hint="'--metric'") from None
    return chosen


def _suffixed(path: str, key: str) -> str:
    base = path
    for suffix in (".png", ".svg"):
        base = base.removesuffix(suffix)
    slug = re.sub(r'[\s/\\:*?"<>|]+', "_", key.replace(":", "-")).strip("_")
    return f"{base}-{slug}"
