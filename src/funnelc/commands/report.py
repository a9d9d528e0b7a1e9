"""`funnelc report FILE -o DIR`: simulate the account, set the exact maths beside it, and
write the consultant's deliverable into DIR: `report.html` (self-contained),
`summary.json` (with a JSON Schema), `stages.csv` (tidy) and the plots as PNG and SVG."""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING

import click

from .common import EXIT_CLEAN
from .convention import deliver, info, lang_option, verbosity_options
from .output import guard_folder

if TYPE_CHECKING:
    from pathlib import Path

    from ..sim import Network, SimConfig
    from ..sim.results import SimResult
    from ..sim.stats import RepStats
    from .sim_options import Prepared

from .sim_options import (
    RunSize,
    check_run_options,
    compile_or_exit,
    load_for_simulation,
    simulate_or_exit,
    simulation_options,
    stack,
)


@click.command("report")
@click.argument("file", required=False, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print once the report is written: text (the files written and "
                   "the headline) or json (summary.json itself; schema `funnelc report "
                   "--schema`).")
@click.option("-o", "--output", "output", metavar="DIR", default=None,
              help="Folder to write the report into (created if missing; files in it with "
                   "the report's names are replaced). The report is a folder, so -o names "
                   "a folder here.")
@stack(verbosity_options())
@simulation_options()
@click.option("--whatif", is_flag=True,
              help="Add a What-if section: every scenario of the file against this run, "
                   "on common random numbers (simulates each scenario too).")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of summary.json and exit.")
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def report_command(file: str | None, fmt: str, output: str | None, days: int, warmup: int, reps: int,
                   seed: int, jobs: int | None, start: date | None, scenario: str | None,
                   whatif: bool, schema: bool, color: str, max_deals: int) -> None:
    """Write the report of FILE into DIR: the graveyards in plain words, the simulation
    (every figure the mean of --reps replications with its 95% confidence interval)
    beside the exact maths, teams, respond and SLA figures, and plots of the funnel, the
    backlog of every stage over time, team utilization and time in stage.

    Files: report.html, summary.json, stages.csv, funnel, backlog, utilization and
    time_in_stage as .png and .svg. Exit code 0 when written, 1 when the file has
    errors (nothing is written), 2 on a usage error.
    """
    if schema:
        from ..report.summary import SUMMARY_SCHEMA_PATH

        click.echo(SUMMARY_SCHEMA_PATH.read_text(encoding="utf-8"), nl=False)
        raise SystemExit(EXIT_CLEAN)
    file, output = _check_args(file, output, days, warmup, whatif, scenario)
    size = RunSize(days, reps, start, max_deals)
    prepared = load_for_simulation(file, scenario, color, "reporting on", size)
    if whatif and prepared.model.scenarios:
        from ..scenarios import apply_scenario
        from .sim_options import guard_work

        # The what-if section simulates every scenario as long as the base run.
        guard_work([prepared.model, *(apply_scenario(prepared.model, s.name.value)
                                      for s in prepared.model.scenarios)], size)

    from .. import __version__
    from ..report.build import build_report
    from ..sim import DEFAULT_START, SimConfig

    config = SimConfig(days=days, warmup_days=warmup, reps=reps, seed=seed, jobs=jobs,
                       start=start or DEFAULT_START, max_deals=max_deals)
    net = compile_or_exit(prepared)
    from ..report.terminal import drawing_line, simulating_line, wrote_line

    account = prepared.model.account
    language = account.language if account is not None else None
    info(simulating_line(language, reps, days, warmup, str(prepared.path), scenario))
    sim = simulate_or_exit(prepared, net, config, scenario)
    sections = _whatif_sections(prepared, net, config, sim.reps, sim.result) if whatif else []
    info(drawing_line(language))
    report = build_report(prepared.model, config, sim.reps, sim.result, __version__, sections)
    written = _write(output, report.files, file)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        summary = report.files["summary.json"]
        deliver(None, summary if isinstance(summary, str) else summary.decode("utf-8"))
        info(wrote_line(language, len(written), output))
        raise SystemExit(EXIT_CLEAN)
    from ..report.terminal import written_line

    click.echo(written_line(report.language, len(written), output))
    for path in written:
        click.echo(f"  {path}")
    click.echo(report.headline)
    if report.money is not None:
        click.echo(report.money)
    raise SystemExit(EXIT_CLEAN)


def _check_args(file: str | None, output: str | None, days: int, warmup: int, whatif: bool,
                scenario: str | None) -> tuple[str, str]:
    """FILE and DIR, both required (except with --schema), and options that fit."""
    if file is None:
        raise click.UsageError("missing argument FILE")
    if output is None:
        raise click.UsageError("missing option -o DIR (the folder to write the report into)")
    guard_folder("-o", output, [file])
    check_run_options(days, warmup)
    if whatif and scenario is not None:
        raise click.UsageError("--whatif compares the file's scenarios with the file as "
                               "written; leave out --scenario")
    return file, output


def _whatif_sections(prepared: Prepared, net: Network, config: SimConfig,
                     reps_out: list[RepStats], result: SimResult) -> list[tuple[str, str, str]]:
    """The optional What-if section (owned by `funnelc.whatif`): every scenario of the
    file against this run, on common random numbers."""
    from ..report.terminal import whatif_line
    from ..whatif.report_section import SECTION_ID, section_title, whatif_section
    from .whatif_options import runner

    account = prepared.model.account
    info(whatif_line(account.language if account is not None else None,
                     len(prepared.model.scenarios)))
    text = next(iter(prepared.sources.values())).text if prepared.sources else ""
    with runner(config, None, None, "what-if") as run:
        section = whatif_section(prepared.model, net, config, reps_out, result, run, text)
    if section is None:
        click.echo("warning: --whatif: the file has no scenario", err=True)
        return []
    return [(SECTION_ID, section_title(account.language if account is not None else None),
             section)]


def _write(output: str, files: dict[str, str | bytes], file: str) -> list[Path]:
    """The report's files into `output`, none of them over an input."""
    from ..report.writer import ReportWriteError, write_report
    from .output import OutputError, refuse_inputs

    refuse_inputs("-o", [os.path.join(output, name) for name in files], [file])
    try:
        return write_report(output, files)
    except ReportWriteError as exc:
        raise OutputError(exc.path, exc.reason) from None
