"""`funnelc fit INPUT... --funnel FILE -o FITTED.funnel`: the funnel's numbers learned
from a CRM's stage history (rates, month profile, shares, delays, reopens), printed with
confidence intervals and goodness of fit, written as a funnel file (or, with
`--scenario NAME`, as a scenario block appended to the funnel's text)."""

from __future__ import annotations

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE
from .history import check_tz, tz_option


@click.command("fit")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--funnel", "funnel_path", metavar="FILE", required=True,
              help="The funnel whose numbers to fit (names are matched to its stages).")
@click.option("-o", "--output", "out_path", metavar="PATH", default=None,
              help="Write the fitted funnel (or the funnel with the scenario) to PATH.")
@click.option("--scenario", "scenario", metavar="NAME", default=None,
              help="Write the fit as `scenario NAME { … }` appended to the funnel instead.")
@tz_option
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def fit_command(inputs: tuple[str, ...], funnel_path: str, out_path: str | None,
                scenario: str | None, tz: str, color: str) -> None:
    """Fit FILE's source rates and month profile, outcome shares, `after` delays, time
    in stage, loss-reason and reopen shares to the history in INPUT (the formats of
    `funnelc history`). Delays are chosen among exp, lognormal, gamma and empirical by
    AIC, with a Kolmogorov–Smirnov check; shares carry 95 % Wilson intervals.

    Exit code 0 when fitted and written, 1 when the funnel has errors or rows of the
    history had to be dropped, 2 on a usage error.
    """
    check_tz(tz)
    from .sim_options import load_for_simulation

    prepared_funnel = load_for_simulation(funnel_path, None, color, "fitting")
    funnel = prepared_funnel.model
    if scenario is not None and scenario in [s.name.value for s in funnel.scenarios]:
        raise click.BadParameter(f"{funnel_path} already has a scenario `{scenario}`",
                                 param_hint="'--scenario'")

    from rich.console import Console

    from ..history.fit import fit_funnel
    from ..history.fit_report import print_fit
    from ..history.load import HistoryInputError
    from ..history.run import prepare

    try:
        prep = prepare(list(inputs), tz, funnel)
    except HistoryInputError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_USAGE) from None
    result = fit_funnel(prep, funnel, tz)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    text, notes = _render(funnel, result, scenario, prepared_funnel.path)
    print_fit(result, prep, notes, console)
    if out_path is not None:
        from .common import write_atomic

        try:
            write_atomic(out_path, text)
        except OSError as exc:
            raise click.UsageError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
        console.print(f"wrote {out_path}")
    dq = prep.history.quality
    raise SystemExit(EXIT_PROBLEMS if dq.dropped_total else EXIT_CLEAN)


def _render(funnel, result, scenario, path):  # type: ignore[no-untyped-def]
    """The output text, proven to load without errors."""
    from ..api import load_file, load_text
    from ..fmt import format_model
    from ..history.apply_fit import apply_fit, fit_scenario

    loaded = load_file(path)
    if scenario is not None:
        written = fit_scenario(funnel, result, scenario)
        block = format_model(written.model)
        src = loaded.source.text if loaded.source is not None else ""
        text = src.rstrip("\n") + "\n\n# Fitted by `funnelc fit` from stage history.\n" + block
    else:
        written = apply_fit(funnel, result)
        try:
            text = format_model(written.model, loaded.comments,
                                loaded.source.text if loaded.source else None)
            ok = load_text(text, path).ok
        except Exception:  # noqa: BLE001 - comments could not be placed: write without them
            ok = False
        if not ok:
            text = format_model(written.model)
            written.notes.append("comments of the funnel file could not be kept")
    check = load_text(text, path)
    errors = [d for d in check.diagnostics if d.severity.value == "error"]
    if errors:
        msg = "; ".join(f"{d.code} {d.message}" for d in errors[:3])
        click.echo(f"error: internal failure: the fitted funnel does not check ({msg})", err=True)
        raise SystemExit(EXIT_USAGE)
    return text, written.notes
