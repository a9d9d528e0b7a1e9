"""`funnelc whatif FILE [--scenario NAME…] [--set LINE…]`: the baseline and each scenario
on common random numbers, printed as per-scenario differences with paired 95%
confidence intervals; `--format json`, `--plot`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from .. import codes
from .common import EXIT_CLEAN, EXIT_PROBLEMS, print_diagnostics
from .convention import (
    deprecated_path_option,
    output_options,
    present,
    product_output,
    resolve_legacy,
    to_json,
)
from .output import guard
from .sim_options import check_scenarios, stack
from .whatif_options import (
    exit_on_override_error,
    make_config,
    override_lines,
    plot_outputs,
    run_options,
    run_or_exit,
    run_size,
    save_plot,
    set_option,
)

if TYPE_CHECKING:
    from ..whatif.runs import Variant
    from .sim_options import Prepared


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
    the scenario's difference from the baseline with the 95% confidence interval of the
    per-replication differences: conversion, revenue, respond breaches, SLA timeouts,
    cycle time, team utilization, plus graveyard verdicts that change.

    Exit code 0 when compared, 1 when the file has errors, 2 on a usage error.
    """
    config = make_config(days, warmup, reps, seed, start, jobs, max_deals)
    fmt, output_path, keep_text = resolve_legacy(fmt, output_path, json_path, "json", "--json")
    guard([product_output(fmt, output_path, "--json" if json_path else None),
           *plot_outputs(plot_path)], [file])

    from ..whatif.render import save_whatif_plot, whatif_json, whatif_text
    from ..whatif.service import compare_variants
    from .sim_options import guard_work, load_for_simulation

    prepared = load_for_simulation(file, None, color, "comparing scenarios of",
                                   run_size(config))
    variants = _variants(prepared, scenarios, sets)
    guard_work([v.model for v in variants], run_size(config))
    result = run_or_exit(lambda run: compare_variants(variants, config, run, prepared.path),
                         config, executor, scheduler, "what-if", prepared)
    if plot_path is not None:
        save_plot(plot_path, lambda png, svg: save_whatif_plot(result, png, svg),
                  result.language)
    present(fmt, output_path, lambda console: whatif_text(console, result, top),
            {"json": lambda: to_json(whatif_json(result))}, keep_text, color,
            language=result.language)
    raise SystemExit(EXIT_CLEAN)


def _variants(prepared: Prepared, scenarios: tuple[str, ...], sets: tuple[str, ...]
              ) -> list[Variant]:
    """The baseline, each chosen scenario (default: all, unless --set is given) and the
    --set lines as one more variant. Unknown names are usage errors with a suggestion."""
    from ..diagnostics import Diagnostic, Severity
    from ..scenarios import ScenarioError, apply_scenario, scenario_names
    from ..whatif.render import SET
    from ..whatif.runs import Variant

    model = prepared.model
    names = scenario_names(model)
    chosen = list(dict.fromkeys(scenarios))
    check_scenarios(chosen, names, prepared.path)
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
            diag = Diagnostic(codes.FN291, Severity.error, f"cannot apply scenario: {exc.message}",
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
            variants.append(Variant(SET, Overrides(model).apply(override_lines(sets)),
                                    tuple(sets)))
        except OverrideError as exc:
            exit_on_override_error(exc, prepared.colored)
    return variants
