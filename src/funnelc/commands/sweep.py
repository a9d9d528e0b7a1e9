"""`funnelc sweep FILE --vary SPEC [--vary SPEC…]`: simulate every combination of the
varied values; a table of chosen metrics, a tidy CSV of every metric, and plots."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_CLEAN
from .convention import (
    deliver,
    deprecated_path_option,
    info,
    output_options,
    product_output,
    resolve_legacy,
    text_output,
    to_json,
)
from .output import guard, writing
from .sim_options import stack

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..whatif.grid import VarySpec
    from ..whatif.metrics import MetricDef
    from ..whatif.runs import Variant
    from ..whatif.sweep import Sweep
    from .sim_options import Prepared
from .whatif_options import (
    compile_model_or_exit,
    exit_on_override_error,
    make_config,
    model_with_sets,
    plot_outputs,
    plot_paths,
    run_options,
    run_size,
    run_variants_or_exit,
    set_option,
)


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

    from .sim_options import load_for_simulation

    prepared = load_for_simulation(file, scenario, color, "sweeping", run_size(config))
    base = model_with_sets(prepared.model, sets, prepared.colored)

    specs, variants = _grid(base, varies, prepared)

    from .sim_options import guard_work

    guard_work([v.model for v in variants], run_size(config))
    chosen = _metrics(metrics, variants[0].model, prepared)  # refused before simulating
    runs, where = run_variants_or_exit(variants, config, executor, scheduler, "sweep",
                                       prepared)

    from ..whatif.sweep import collect, default_metrics

    sweep = collect(specs, runs)
    chosen = chosen or default_metrics(specs, sweep.space)
    plots = [] if plot_path is None else [
        (d, plot_path if len(chosen) == 1 else _suffixed(plot_path, d.key)) for d in chosen]
    guard([product, *(o for _, t in plots for o in plot_outputs(t))], [file])
    if fmt == "csv":
        deliver(output_path, _csv(sweep))
    elif fmt == "json":
        deliver(output_path, to_json(_as_json(sweep, prepared.path, config)))
    for d, target in plots:
        _plot(target, sweep, specs, d)
    if fmt != "text" and not keep_text:
        raise SystemExit(EXIT_CLEAN)
    if keep_text:
        output_path = None
    with text_output(output_path) as console:
        _print(console, sweep, specs, chosen, prepared.path, config, where)
    if output_path not in (None, "-"):
        info(f"wrote {output_path}")
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


def _csv(sweep: Sweep) -> str:
    import io

    from .. import csvsafe
    from ..whatif.sweep import tidy_rows

    header, rows = tidy_rows(sweep)
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _plot(target: str, sweep: Sweep, specs: list[VarySpec], metric: MetricDef) -> None:
    from ..report.figures import save_figure
    from ..whatif.plots import sweep_figure
    from .convention import drawing_warnings

    png, svg = plot_paths(target)
    with writing(png):
        drawing_warnings(save_figure(sweep_figure(sweep.points, specs, metric), png, svg))
    info(f"plot: {png}")
    info(f"plot: {svg}")


def _print(console: Any, sweep: Any, specs: Any, chosen: Any, path: str, config: Any,
           where: str) -> None:
    from rich.table import Table

    from ..termtext import plain
    from ..whatif.render import fmt_estimate

    points = sweep.points
    reps, days, warmup, seed = config.reps, config.days, config.warmup_days, config.seed
    console.print(plain(f"{path}: {len(points)} points × {reps} replications × "
                        f"{days} days ({warmup} warm-up), seed {seed}, common random numbers; "
                        f"ran on {where}; figures are mean ±95% CI", style="dim"))
    table = Table(title="sweep", title_justify="left")
    for s in specs:
        table.add_column(plain(s.axis), justify="right")
    for d in chosen:
        table.add_column(plain(d.label + (f" ({d.unit})" if d.unit and d.unit != "%" else "")),
                         justify="right")
    table.add_column("graveyards", justify="right")
    for p in points:
        table.add_row(*(plain(s.value_text(v)) for s, v in zip(specs, p.values)),
                      *(fmt_estimate(d, p.estimates.get(d.key)) for d in chosen),
                      str(len(p.graveyards)) if p.graveyards else "0")
    console.print(table)


def _as_json(sweep: Any, path: str, config: Any) -> dict[str, Any]:
    """Every metric of every point, as the CSV has them (display units: percent for
    shares), with the run that produced them."""
    points = []
    for p in sweep.points:
        metrics = []
        for d in sweep.space:
            e = p.estimates[d.key]
            metrics.append({"metric": d.name, "subject": d.subject, "unit": d.unit,
                            "mean": d.shown(e.mean), "ci95": d.shown(e.ci95),
                            "sd": d.shown(e.sd), "n": e.n})
        points.append({"point": p.index,
                       "values": {s.axis: v for s, v in zip(sweep.specs, p.values)},
                       "label": p.label, "metrics": metrics, "graveyards": list(p.graveyards)})
    return {"run": {"file": path, "reps": config.reps, "days": config.days,
                    "warmup_days": config.warmup_days, "seed": config.seed,
                    "start_date": config.start.isoformat()},
            "axes": [s.axis for s in sweep.specs], "points": points}


def _suffixed(path: str, key: str) -> str:
    base = path
    for suffix in (".png", ".svg"):
        base = base.removesuffix(suffix)
    slug = re.sub(r'[\s/\\:*?"<>|]+', "_", key.replace(":", "-")).strip("_")
    return f"{base}-{slug}"
