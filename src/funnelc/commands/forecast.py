"""`funnelc forecast HISTORY... --funnel FILE [--as-of DATE] [--until DATE]`: won deals
and revenue expected by week and by month from today's open deals plus new arrivals,
with 80% and 95% intervals, per pipeline and stage of origin (`history.forecast`);
printed as tables, JSON or CSV, and with `-o DIR` / `--chart PATH` a fan chart."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from ..limits import MAX_JOBS
from .common import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE, FunnelOption
from .convention import info, lang_option, present, verbosity_options
from .history import check_tz, loss_field_option, tz_option
from .output import guard, guard_folder
from .sim_options import REPS_HELP, max_deals_option, reps_range, seed_option, stack
from .whatif_options import plot_outputs, save_plot

if TYPE_CHECKING:
    from ..history.forecast import Forecast, ForecastRequest
    from ..report.figures import RenderedFigure

DEFAULT_REPS = 200
"""`funnelc.history.forecast.DEFAULT_REPS`, which `--help` must not import."""
FOLDER_FILES = ("forecast.txt", "forecast.json", "forecast.csv", "forecast.png",
                "forecast.svg")


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"`{value}` is not a date like 2025-01-31") from None


@click.command("forecast")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(), metavar="HISTORY...")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True,
              help="What to print on stdout: text (the tables), json (schema "
                   "forecast.schema.json) or csv (one row per figure, period and row, "
                   "tidy). -o DIR writes all three and the chart besides.")
@click.option("-o", "--output", "out_dir", metavar="DIR", default=None,
              help="Also write forecast.txt, forecast.json, forecast.csv and the fan chart "
                   "(forecast.png, forecast.svg) into DIR, all or nothing (the product is a "
                   "folder, so -o names a folder here).")
@stack(verbosity_options())
@click.option("--funnel", "funnel_path", metavar="FILE", required=True, cls=FunnelOption,
              help="The funnel to simulate (a fitted one: `funnelc fit`); the history's "
                   "names are matched to its stages.")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", callback=_day, default=None,
              help="Today: the history's events to the end of this day count, and the "
                   "deals open then start the runs; after the history's last day the runs "
                   "start at its end and simulate the days between, counting the wins "
                   "after today  [default: the day of the history's last event]")
@click.option("--until", "until", metavar="YYYY-MM-DD", callback=_day, default=None,
              help="The last day forecast, after --as-of  [default: the end of the month "
                   "after --as-of's]")
@click.option("--scenario", metavar="NAME", default=None,
              help="Apply this scenario of the funnel first (a source stopped, a bigger "
                   "team): the forecast of that variant.")
@click.option("--fit-uncertainty", "fit_uncertainty", is_flag=True, default=False,
              help="Fit the funnel's figures (shares, delays, source rates and values) on "
                   "the history up to --as-of, as `funnelc fit` does, and simulate every "
                   "run with its own draw of them, so the intervals also carry how "
                   "uncertain the fitted figures are. Without it the funnel's figures are "
                   "simulated as given and the intervals are the runs' variation only.")
@tz_option
@loss_field_option
@click.option("--chart", "chart_path", metavar="PATH", default=None,
              help="Write the fan chart (cumulative won revenue by week: median, 80% and "
                   "95% bands) as PATH.png and PATH.svg.")
@click.option("--reps", type=reps_range(1), default=DEFAULT_REPS, show_default=True,
              help=f"{REPS_HELP} The forecast's intervals are percentiles of the runs: "
                   "200 put five runs beyond each 95% bound.")
@seed_option()
@click.option("--jobs", type=click.IntRange(min=1, max=MAX_JOBS), default=None,
              help="Worker processes (default: all cores); results do not depend on it.")
@max_deals_option()
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the tables and the diagnostics.")
def forecast_command(inputs: tuple[str, ...], fmt: str, out_dir: str | None,
                     funnel_path: str, as_of: date | None, until: date | None,
                     scenario: str | None, fit_uncertainty: bool, tz: str,
                     loss_field: str | None, chart_path: str | None, reps: int, seed: int, jobs: int | None,
                     max_deals: int, color: str) -> None:
    """Forecast the deals won and the revenue they bring, by week and by month, from
    the deals open today in HISTORY (the formats of `funnelc history`) plus the new
    deals the funnel's sources bring: the funnel is simulated --reps times from today's
    state, each open deal in its stage since its real entry.

    Every figure has its expected value (the mean over the runs) and its 80% and 95%
    intervals (the 10th–90th and 2.5th–97.5th percentiles of the runs), for the whole
    account, each pipeline, and each stage the open deals were in today, new arrivals
    apart. With --fit-uncertainty the figures are fitted on the history and drawn anew
    for every run, so the intervals also carry the fit's uncertainty; the output says
    which kind they are.

    Exit code 0 when forecast, 1 when the funnel has errors, a file is not a history
    funnelc reads, history rows had to be dropped or open deals sit in stages the funnel
    does not have, 2 on a usage error.
    """
    check_tz(tz)
    if fit_uncertainty and scenario is not None:
        raise click.UsageError(
            "--fit-uncertainty replaces the funnel's figures with the ones fitted on the "
            f"history, which would undo --scenario {scenario!r}; forecast the scenario "
            "without --fit-uncertainty, or fit first (`funnelc fit`) and write the "
            "scenario's changes into the fitted funnel")
    if as_of is not None and until is not None and until <= as_of:
        raise click.BadParameter(f"{until} is not after --as-of {as_of}: the forecast runs "
                                 "from the day after --as-of to --until",
                                 param_hint="'--until'")
    if out_dir is not None:
        guard_folder("-o", out_dir, [*inputs, funnel_path])
    guard(plot_outputs(chart_path, "--chart"), [*inputs, funnel_path])
    from ..history.forecast import ForecastRequest
    from .sim_options import compile_or_exit, load_for_simulation

    funnel_file = load_for_simulation(funnel_path, scenario, color, "forecasting with")
    compile_or_exit(funnel_file)  # what the simulator cannot run: its diagnostics, exit 1
    result = _forecast(list(inputs), ForecastRequest(funnel_file.model, tz, as_of, until, reps,
                                                     seed, jobs, max_deals, fit_uncertainty),
                       funnel_path, loss_field)
    _show(result, fmt, out_dir, chart_path, list(inputs), funnel_path, color)
    raise SystemExit(EXIT_PROBLEMS if result.rows_dropped else EXIT_CLEAN)


def _forecast(inputs: list[str], request: ForecastRequest, funnel_path: str,
              loss_field: str | None = None) -> Forecast:
    """The history read and forecast (`history.forecast.run_forecast`, with a progress
    bar), or its refusal as a message and an exit code; its warnings on stderr."""
    from ..history.forecast import ForecastInputError, ForecastUsageError, run_forecast
    from ..history.forecast_render import forecast_warnings
    from ..names import escape_invisible
    from ..sim.budget import DealLimitExceeded, WorkRefused
    from .history import prepare_or_exit
    from .output import progress_bar

    prep = prepare_or_exit(inputs, request.tz, request.funnel, loss_field)
    try:
        with progress_bar("forecast: simulating", total=request.reps) as progress:
            result = run_forecast(prep, request, funnel_path, progress)
    except ForecastUsageError as exc:
        if exc.option is not None:
            raise click.BadParameter(str(exc), param_hint=f"'{exc.option}'") from None
        raise click.UsageError(str(exc)) from None
    except ForecastInputError as exc:
        for line in exc.lines:
            click.echo(escape_invisible(line), err=True)
        raise SystemExit(exc.exit_code) from None
    except (DealLimitExceeded, WorkRefused) as exc:  # a limit, not a failure: exit 2
        click.echo(f"error: forecast: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    for line in forecast_warnings(result):
        click.echo(line, err=True)
    return result


def _show(result: Forecast, fmt: str, out_dir: str | None, chart_path: str | None,
          inputs: list[str], funnel_path: str, color: str) -> None:
    """The folder of -o, the chart of --chart, then --format's output on stdout. The fan
    chart is drawn once: with both -o and --chart, --chart writes the folder's drawing."""
    from ..history.forecast_render import forecast_csv, forecast_json, print_forecast

    drawn = None
    if out_dir is not None:
        drawn = _write_folder(out_dir, result, inputs, funnel_path)
    if chart_path is not None:
        from ..history.forecast_render import save_chart

        save_plot(chart_path, lambda png, svg: save_chart(result, png, svg, drawn),
                  result.language)
    present(fmt, None, lambda console: print_forecast(result, console),
            {"json": lambda: forecast_json(result, inputs, funnel_path),
             "csv": lambda: forecast_csv(result)}, color=color)


def _write_folder(out_dir: str, result: Forecast, inputs: list[str], funnel_path: str
                  ) -> RenderedFigure:
    """Every file rendered first, then written all or nothing (`output.write_folder`);
    returns the fan chart as drawn, for --chart."""
    import io

    from ..history.forecast_render import (
        forecast_csv,
        forecast_json,
        print_forecast,
        render_chart,
        written_line,
    )
    from ..termtext import file_console
    from .convention import drawing_warnings
    from .output import write_folder

    text = io.StringIO()
    print_forecast(result, file_console(text))
    chart = render_chart(result)
    drawing_warnings(chart.warnings)
    files: dict[str, str | bytes] = {
        "forecast.txt": text.getvalue(), "forecast.json": forecast_json(result, inputs,
                                                                          funnel_path),
        "forecast.csv": forecast_csv(result), "forecast.png": chart.png,
        "forecast.svg": chart.svg}
    write_folder("-o", out_dir, files, [*inputs, funnel_path])
    info(written_line(result, out_dir, FOLDER_FILES))
    return chart
