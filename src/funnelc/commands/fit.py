"""`funnelc fit INPUT... --funnel FILE -o FITTED.funnel`: the funnel's numbers learned
from a CRM's stage history (rates, month profile, shares, delays, reopens), printed with
confidence intervals and goodness of fit, written as a funnel file (or, with
`--scenario NAME`, as a scenario block appended to the funnel's text).

With `--backtest N` it fits on the first N months only, simulates the rest with the
fitted funnel and compares (`funnelc.history.backtest`); `-o` then writes the funnel that
was tested, `--json` and `--html` the comparison."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from ..limits import DEFAULT_MAX_DEALS, MAX_JOBS
from .common import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE, FunnelOption
from .convention import deliver, lang_option, to_json, verbosity, verbosity_options
from .history import check_tz, loss_field_option, tz_option
from .sim_options import REPS_HELP, reps_range, stack

if TYPE_CHECKING:
    from rich.console import Console

    from ..history.fit import FitResult
    from ..history.quality import DataQuality
    from ..history.run import Prepared as HistoryPrepared
    from .sim_options import Prepared

T = TypeVar("T")

DEFAULT_REPS = 40
"""Back-test runs (`funnelc.history.backtest.DEFAULT_REPS`, which the CLI must not import)."""


@click.command("fit")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--funnel", "funnel_path", metavar="FILE", required=True, cls=FunnelOption,
              help="The funnel whose numbers to fit (names are matched to its stages).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print on stdout: text (the fit report) or json (the fitted "
                   "funnel text and its notes, or with --backtest the comparison; schema "
                   "fit.schema.json); the report then goes to stderr.")
@click.option("-o", "--output", "out_path", metavar="PATH", default=None,
              help="Write the fitted funnel (or the funnel with the scenario) to PATH "
                   "(`-` prints it, and the fit report goes to stderr). PATH may not be "
                   "--funnel itself unless --in-place is given. The fitted funnel is fit's "
                   "product, so -o names it with either --format.")
@stack(verbosity_options())
@click.option("--in-place", "in_place", is_flag=True,
              help="Write the fitted funnel over the --funnel file itself (atomically; "
                   "implies -o FUNNEL). Without it, -o refuses to overwrite --funnel.")
@click.option("--scenario", "scenario", metavar="NAME", default=None,
              help="Write the fit as `scenario NAME { … }` appended to the funnel instead.")
@tz_option
@loss_field_option
@click.option("--backtest", "backtest", type=int, metavar="N", default=None,
              help="Fit on the first N months only, simulate the months after with the "
                   "fitted funnel and compare conversion, won/lost and backlog with what "
                   "happened (95% prediction intervals).")
@click.option("--reps", type=reps_range(1), default=None,
              help=f"Back-test: {REPS_HELP} The back-test's prediction intervals need at "
                   f"least 2.  [default: {DEFAULT_REPS}]")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Back-test: seed of every random stream  [default: 1]")
@click.option("--jobs", type=click.IntRange(min=1, max=MAX_JOBS), default=None,
              help="Back-test: worker processes (default: all cores); results do not "
                   "depend on it.")
@click.option("--max-deals", type=click.IntRange(min=1), default=None, metavar="N",
              help="Back-test: refuse runs expected to simulate more deals than this in "
                   "all (estimated from the fitted rates over the history's span), and stop "
                   f"a run that creates more  [default: {DEFAULT_MAX_DEALS}]")
@click.option("--json", "json_path", metavar="PATH", default=None,
              help="Back-test: write the comparison as JSON to PATH.")
@click.option("--html", "html_path", metavar="PATH", default=None,
              help="Back-test: write the comparison as a self-contained HTML page to PATH.")
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def fit_command(inputs: tuple[str, ...], funnel_path: str, fmt: str, out_path: str | None,
                in_place: bool, scenario: str | None, tz: str, loss_field: str | None,
                backtest: int | None, reps: int | None,
                seed: int | None, jobs: int | None, max_deals: int | None,
                json_path: str | None, html_path: str | None, color: str) -> None:
    """Fit FILE's source rates and month profile, outcome shares, `after` delays, time
    in stage, loss-reason and reopen shares to the history in INPUT (the formats of
    `funnelc history`). Delays are chosen among exp, lognormal, gamma and empirical by
    AIC, with a Kolmogorov–Smirnov check; shares carry 95% Wilson intervals.

    With --backtest N: fit on the first N calendar months of the history (in --tz),
    simulate the months after the cut with the fitted funnel (every run starts at the
    cut with the deals the history has open there, each in its stage since its real
    entry; the fit months are simulated from an empty account, for reference) and print,
    per month and over the holdout, predicted against observed stage-to-stage
    conversion, deals won and lost, and deals in each stage at the month ends, with 95%
    prediction intervals and a verdict. Months after the history's last new deal are
    not compared when the fitted sources make that silence implausible (an export
    filtered by creation date). -o then writes the funnel fitted on the N months.

    Exit code 0 when fitted and written, 1 when the funnel has errors, a file is not a
    history funnelc reads or rows of the history had to be dropped, 2 on a usage error.
    """
    check_tz(tz)
    _check_backtest_options(backtest, reps, seed, jobs, json_path, html_path, max_deals)
    json_path = _json_path(fmt, out_path, backtest, json_path)
    out_path = _check_outputs(inputs, funnel_path, out_path, in_place, json_path, html_path)
    prepared_funnel, prep = _load(inputs, funnel_path, scenario, tz, color, loss_field)
    console = _report_console(fmt, out_path, json_path, html_path, color=color)
    if backtest is not None:
        _run_backtest(prep, prepared_funnel.model, backtest, tz, reps or DEFAULT_REPS,
                      1 if seed is None else seed, jobs, out_path, json_path, html_path,
                      scenario, prepared_funnel, list(inputs), console, max_deals)
        return
    from ..history.fit import fit_funnel

    result = _or_exit(lambda: fit_funnel(prep, prepared_funnel.model, tz),
                      prep.history.quality)
    _deliver(result, prep, prepared_funnel, scenario, out_path, fmt, console)


def _load(inputs: tuple[str, ...], funnel_path: str, scenario: str | None, tz: str,
          color: str, loss_field: str | None = None) -> tuple[Prepared, HistoryPrepared]:
    """The funnel (its diagnostics printed; exit 1 when it has errors) and the history
    matched to it. Stage names of the history that match no stage of the funnel are
    warned about as `history` does, with the closest stage for each; when none matches
    at all, nothing is fitted (exit 1): every figure would be the funnel's own."""
    from .history import prepare_or_exit, warn_unmatched
    from .sim_options import load_for_simulation

    prepared_funnel = load_for_simulation(funnel_path, None, color, "fitting")
    funnel = prepared_funnel.model
    if scenario is not None and scenario in [s.name.value for s in funnel.scenarios]:
        raise click.BadParameter(f"{funnel_path} already has a scenario `{scenario}`",
                                 param_hint="'--scenario'")
    prep = prepare_or_exit(list(inputs), tz, funnel, loss_field)
    warn_unmatched(prep, funnel_path)
    return prepared_funnel, prep


def _deliver(result: FitResult, prep: HistoryPrepared, prepared_funnel: Prepared,
             scenario: str | None, out_path: str | None, fmt: str, console: Console) -> None:
    """The fit report (`fit_report.print_fit`), the fitted funnel to -o, the JSON to
    stdout with --format json; exits 1 when rows of the history were dropped."""
    from ..history.fit_report import print_fit
    from ..termtext import plain

    text, notes = _render(prepared_funnel.model, result, scenario, prepared_funnel)
    account = prepared_funnel.model.account
    language = account.language if account is not None else None
    print_fit(result, prep, notes, console, language,
              account.currency.value if account and account.currency else None)
    if out_path is not None:
        from ..i18n import choose, translator
        from .output import emit

        emit(out_path, text)
        if out_path != "-":
            wrote = translator(choose(language)).gettext("wrote {path}")
            console.print(plain(wrote.format(path=out_path)))
    dq = prep.history.quality
    if fmt == "json":
        from ..history.fit_json import fit_figures

        deliver(None, to_json({"funnel": prepared_funnel.path, "scenario": scenario,
                               "fitted": text, "notes": list(notes),
                               "rows_dropped": dq.dropped_total, **fit_figures(result)}))
    raise SystemExit(EXIT_PROBLEMS if dq.dropped_total else EXIT_CLEAN)


def _json_path(fmt: str, out_path: str | None, backtest: int | None,
               json_path: str | None) -> str | None:
    """Where the back-test's JSON goes: `--format json` sends it to stdout, which then
    cannot also carry the funnel (`-o -`) or share it with `--json PATH`."""
    if fmt != "json":
        return json_path
    if out_path == "-":
        raise click.UsageError("--format json and -o - both ask for stdout; give -o a "
                               "file path")
    if backtest is None:
        return json_path
    if json_path is not None:
        raise click.UsageError("--format json prints the back-test's JSON on stdout "
                               "and --json PATH writes it to a file; give one of them")
    return "-"


def _report_console(fmt: str, *paths: str | None, color: str = "auto") -> Console:
    """The console of the fit report: stderr when stdout carries an output (`-`, or
    --format json), nowhere beside JSON with -q."""
    from ..termtext import terminal_console
    from .convention import color_choice

    if fmt == "json" and verbosity().quiet:
        import io

        return terminal_console(file=io.StringIO())
    return terminal_console(stderr=fmt == "json" or "-" in paths, color=color_choice(color))


def _or_exit(step: Callable[[], T], quality: DataQuality | None = None) -> T:
    """`step()`, or its `HistoryInputError` as an error line with a hint and the
    error's exit code; a `HistoryDataError` also says the history's data quality (which
    rows were dropped, and where), when `quality` is given."""
    from ..history.errors import HistoryDataError
    from ..history.load import HistoryInputError

    try:
        return step()
    except HistoryInputError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        if isinstance(exc, HistoryDataError) and quality is not None:
            from ..history.quality_render import summary_lines

            for line in summary_lines(quality):
                click.echo(line, err=True)
        raise SystemExit(exc.exit_code) from None


def _check_outputs(inputs: tuple[str, ...], funnel_path: str, out_path: str | None,
                   in_place: bool, json_path: str | None, html_path: str | None
                   ) -> str | None:
    """The -o path to write (the funnel itself with --in-place), after refusing every
    output that would destroy an input: the history always, the funnel unless
    --in-place asks for exactly that."""
    from ..atomic import same_file
    from .output import Output, guard

    if in_place:
        if funnel_path == "-":
            raise click.UsageError("--in-place cannot write over stdin; give --funnel FILE")
        if out_path is not None and not same_file(out_path, funnel_path):
            raise click.UsageError(f"--in-place writes over {funnel_path}, and -o names "
                                   f"another file ({out_path}); give one of them")
        out_path = funnel_path
    reports = [Output("--json", json_path), Output("--html", html_path)]
    guard([Output("-o", out_path), *reports], inputs)
    guard(reports, [funnel_path])
    if not in_place:
        guard([Output("-o", out_path, input_hint="add --in-place to write the fitted "
                      "funnel over it on purpose")], [funnel_path])
    return out_path


def _check_backtest_options(backtest: int | None, reps: int | None, seed: int | None,
                            jobs: int | None, json_path: str | None,
                            html_path: str | None, max_deals: int | None) -> None:
    if backtest is None:
        given = [name for name, v in (("--reps", reps), ("--seed", seed), ("--jobs", jobs),
                                      ("--json", json_path), ("--html", html_path),
                                      ("--max-deals", max_deals))
                 if v is not None]
        if given:
            raise click.UsageError(f"{', '.join(given)} belong{'s' if len(given) == 1 else ''}"
                                   " to the back-test: add --backtest N (months to fit on)")
        return
    if backtest < 1:
        raise click.BadParameter(f"fit on at least 1 month (got {backtest}); N is the number "
                                 "of months at the start of the history to fit on",
                                 param_hint="'--backtest'")
    if reps is not None and reps < 2:
        raise click.BadParameter(f"a prediction interval needs at least 2 runs (got {reps})",
                                 param_hint="'--reps'")


def _run_backtest(prep, funnel, months, tz, reps, seed, jobs, out_path, json_path,
                  html_path, scenario, funnel_file, inputs, console, max_deals) -> None:
    from ..history.backtest import BacktestError, run_backtest
    from ..history.backtest_report import (
        print_backtest,
        render_backtest_html,
        render_backtest_json,
        said,
    )
    from ..history.errors import HistoryDataError
    from ..sim import CompileError
    from ..sim.budget import DealLimitExceeded, WorkRefused
    from ..termtext import plain
    from .output import emit, progress_bar

    def run(progress):
        return run_backtest(prep, funnel, months, tz, reps, seed, jobs, progress, max_deals)

    try:
        with progress_bar("back-test: simulating", total=reps) as progress:
            bt = run(progress)
    except BacktestError as exc:
        raise click.BadParameter(str(exc), param_hint="'--backtest'") from None
    except HistoryDataError as exc:  # every row dropped: the data quality says where
        from ..history.quality_render import summary_lines

        click.echo(f"error: {exc}", err=True)
        click.echo(f"  = help: {exc.hint}", err=True)
        for line in summary_lines(prep.history.quality):
            click.echo(line, err=True)
        raise SystemExit(exc.exit_code) from None
    except (DealLimitExceeded, WorkRefused) as exc:  # a limit, not a failure: exit 2
        click.echo(f"error: back-test: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    except (RuntimeError, CompileError) as exc:
        click.echo(f"error: internal failure: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    from ..i18n import choose, translator
    from ..i18n.note import say
    from ..i18n.words import route_label_text

    language = funnel.account.language if funnel.account is not None else None
    tr = translator(choose(language))
    print_backtest(bt, console, language)
    if out_path is not None:
        text, notes = _render(funnel, bt.fit, scenario, funnel_file)
        emit(out_path, text)
        for n in notes:
            # A way out in words («отказ «Дорого»»), as `fit` says its notes.
            console.print(plain(tr.gettext("note: {note}").format(
                note=say(n, tr, functools.partial(route_label_text, tr)))))
        if out_path != "-":
            console.print(plain(tr.gettext("wrote {path} (fitted on {months})").format(
                path=out_path, months=said(bt.fit_months, tr))))
    html = functools.partial(render_backtest_html, language=language)
    for path, render in ((json_path, render_backtest_json), (html_path, html)):
        if path is not None:
            emit(path, render(bt, inputs))
            if path != "-":
                console.print(plain(tr.gettext("wrote {path}").format(path=path)))
    dq = prep.history.quality
    raise SystemExit(EXIT_PROBLEMS if dq.dropped_total else EXIT_CLEAN)


def _render(funnel, result, scenario, prepared):
    """The output text (`history.apply_fit.fitted_text`: checked as a model, the
    file's comments kept) and the writer's notes."""
    from ..history.apply_fit import FitDoesNotCheck, fitted_text

    src = prepared.sources.get(prepared.path)
    try:
        return fitted_text(funnel, result, scenario, prepared.comments,
                           src.text if src is not None else None)
    except FitDoesNotCheck as exc:
        click.echo(f"error: internal failure: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
