"""`funnelc whatif FILE [--scenario NAME…] [--set LINE…]`: the baseline and each scenario
on common random numbers, printed as per-scenario differences with paired 95 %
confidence intervals; `--format json`, `--plot`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS, print_diagnostics
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
    from rich.console import Console

    from ..whatif.compare import Comparison
    from ..whatif.runs import Variant, VariantRun
    from .sim_options import Prepared
from .whatif_options import (
    exit_on_override_error,
    make_config,
    override_lines,
    plot_outputs,
    plot_paths,
    run_options,
    run_record,
    run_size,
    run_variants_or_exit,
    set_option,
)


@click.command("whatif")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options(what=" (json: schema whatif.schema.json)"))
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME",
              help="A scenario of the file to compare (repeatable; default: every scenario "
                   "when no --set is given).")
@set_option
@run_options(reps=10)
@deprecated_path_option("--json", "json_path", "--format json -o PATH")
@click.option("--plot", "plot_path", metavar="PATH", default=None,
              help="Write the comparison plot as PATH.png and PATH.svg.")
@click.option("--top", type=click.IntRange(min=0), default=5, show_default=True,
              help="Other significant changes listed per scenario (stages, pipelines).")
def whatif_command(file: str, fmt: str, output_path: str | None, scenarios: tuple[str, ...],
                   sets: tuple[str, ...], days: int,
                   warmup: int, reps: int, seed: int, start: date | None, jobs: int | None,
                   executor: str | None, scheduler: str | None, color: str,
                   json_path: str | None, plot_path: str | None, top: int,
                   max_deals: int) -> None:
    """Compare scenarios of FILE with the file as written.

    The baseline and every scenario run the same replication indices, so each
    replication of a scenario sees the same arrivals and draws as the baseline's wherever
    the scenario does not change them (common random numbers). Each figure is shown as
    the scenario's difference from the baseline with the 95 % confidence interval of the
    per-replication differences: conversion, revenue, respond breaches, SLA timeouts,
    cycle time, team utilization, plus graveyard verdicts that change.

    Exit code 0 when compared, 1 when the file has errors, 2 on a usage error.
    """
    config = make_config(days, warmup, reps, seed, start, jobs, max_deals)
    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, json_path, "json", "--json")
    guard([product_output(fmt, output_path, "--json" if json_path else None),
           *plot_outputs(plot_path)], [file])

    from .sim_options import guard_work, load_for_simulation

    prepared = load_for_simulation(file, None, color, "comparing scenarios of",
                                   run_size(config))
    variants = _variants(prepared, scenarios, sets)
    guard_work([v.model for v in variants], run_size(config))
    runs, where = run_variants_or_exit(variants, config, executor, scheduler, "what-if",
                                       prepared)

    from ..whatif.compare import compare

    comparisons = compare(runs[0], runs[1:])
    if plot_path is not None:
        _plot(plot_path, runs[0], comparisons)
    if fmt == "json":
        from ..whatif.compare import comparison_json

        data = comparison_json(runs[0], comparisons)
        data["run"] = run_record(prepared.path, config)
        deliver(output_path, to_json(data))
        if not keep_text:
            raise SystemExit(EXIT_CLEAN)
        output_path = None
    header = (f"{prepared.path}: baseline and {len(comparisons)} scenario"
              f"{'s' if len(comparisons) != 1 else ''}, {reps} replications × {days} days "
              f"({warmup} warm-up), seed {seed}, common random numbers; ran on {where}")
    with text_output(output_path) as console:
        _print(console, header, runs[0], comparisons, top)
    if output_path not in (None, "-"):
        info(f"wrote {output_path}")
    raise SystemExit(EXIT_CLEAN)


def _variants(prepared: Prepared, scenarios: tuple[str, ...], sets: tuple[str, ...]
              ) -> list[Variant]:
    """The baseline, each chosen scenario (default: all, unless --set is given) and the
    --set lines as one more variant. Unknown names are usage errors with a suggestion."""
    from ..diagnostics import Diagnostic, Severity, did_you_mean
    from ..scenarios import ScenarioError, apply_scenario, scenario_names
    from ..whatif.runs import Variant

    model = prepared.model
    names = scenario_names(model)
    chosen = list(dict.fromkeys(scenarios))
    for name in chosen:
        if name not in names:
            guess = did_you_mean(name, names)
            listed = ", ".join(f"`{n}`" for n in names) or "none"
            hint = f"did you mean `{guess}`?" if guess else f"scenarios in the file: {listed}"
            raise click.BadParameter(f"no scenario `{name}` in {prepared.path}; {hint}",
                                     param_hint="'--scenario'")
    if not chosen and not sets:
        if not names:
            raise click.UsageError(f"{prepared.path} has no `scenario` block: add one, or "
                                   "describe a change with --set 'team \"T\" size 5'")
        chosen = names
    text = prepared.sources[prepared.path].text if prepared.path in prepared.sources else ""
    variants = [Variant("baseline", model)]
    for name in chosen:
        try:
            changed = apply_scenario(model, name)
        except ScenarioError as exc:
            diag = Diagnostic("FN291", Severity.error, f"cannot apply scenario: {exc.message}",
                              prepared.path, exc.span, help=exc.help)
            print_diagnostics([diag], prepared.sources, "text", prepared.colored)
            raise SystemExit(EXIT_PROBLEMS) from None
        scen = next(s for s in model.scenarios if s.name.value == name)
        lines = tuple(text[o.span.start:o.span.end].strip() for o in scen.overrides) if text \
            else ()
        variants.append(Variant(name, changed, lines))
    if sets:
        from ..whatif.variants import OverrideError, Overrides

        try:
            variants.append(Variant("--set", Overrides(model).apply(override_lines(sets)),
                                    tuple(sets)))
        except OverrideError as exc:
            exit_on_override_error(exc, prepared.colored)
    return variants


def _plot(plot_path: str, base: VariantRun, comparisons: list[Comparison]) -> None:
    from ..report.figures import save_figure
    from ..whatif.compare import headline_keys
    from ..whatif.plots import whatif_figure
    from .convention import drawing_warnings

    png, svg = plot_paths(plot_path)
    defs = {d.key: d for d in base.space}
    with writing(png):
        fig = whatif_figure(base, comparisons, headline_keys(base), defs)
        drawing_warnings(save_figure(fig, png, svg))
    info(f"plot: {png}, {svg}")


def _print(console: Console, header: str, base: VariantRun, comparisons: list[Comparison],
           top: int) -> None:
    from ..sim.ci import estimate
    from ..whatif.compare import headline_keys
    from ..whatif.render import render_whatif

    defs = {d.key: d for d in base.space}
    base_values = {k: estimate(base.series(k)) for k in defs}
    render_whatif(console, header, base_values, defs, headline_keys(base), comparisons, top)
