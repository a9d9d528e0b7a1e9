"""`funnelc history INPUT... [-o DIR]`: what a CRM's stage history says — inflow,
monthly conversion, losses, time in stage, broken moves, comebacks, graveyards, shape —
in the terminal, and with `-o` as `history.html`, `history.json` and plots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS
from .convention import deliver, info, lang_option, verbosity_options
from .sim_options import stack

if TYPE_CHECKING:
    from ..history.analytics import HistoryTables
    from ..history.audit import Audit
    from ..history.periods import Periods
    from ..history.quality import DataQuality
    from ..history.report import Section
    from ..history.run import Prepared
    from ..i18n import Translator
    from ..model import FunnelFile


def tz_option(fn):
    return click.option(
        "--tz", default="UTC", show_default=True, metavar="ZONE",
        help="Time zone of timestamps written without one, and of month boundaries "
             "(e.g. Europe/Moscow).")(fn)


LOSS_FIELD_HELP = ("Bitrix24: the deal userfield that holds the loss reason (e.g. "
                   "UF_CRM_1712345678), instead of the one whose label names a loss reason "
                   "(«Причина отказа», \"Loss reason\"); where it is empty, the failure "
                   "stage's name is the reason.")


def loss_field_option(fn):
    return click.option("--loss-field", "loss_field", metavar="UF_CODE", default=None,
                         help=LOSS_FIELD_HELP)(fn)


PERIODS_HELP = ("Compare sources and loss reasons over these two periods of months, FIRST..LAST,FIRST..LAST "
                "(e.g. 2026-01..2026-03,2026-09..2026-11; a period may be one month), "
                "instead of the first and the last third of the months old enough to judge "
                "(one to three months each; the months between are not compared).")


def _parse_periods(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    from ..history.periods import PeriodsError, parse_periods

    try:
        return parse_periods(value)
    except PeriodsError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def periods_option(fn):
    return click.option("--periods", "periods", metavar="FIRST..LAST,FIRST..LAST",
                        default=None, callback=_parse_periods, help=PERIODS_HELP)(fn)


def audit_or_exit(t: HistoryTables, currency: str | None, periods: Periods | None,
                  funnel: FunnelFile | None = None,
                  lone: dict[str, str] | None = None) -> Audit:
    """`run_audit`, or exit 2 with a usage error when the named periods do not fit the
    data (outside its months, or no comparison has a month old enough in both); a
    comparison only the other one could use the periods for is a warning on stderr.
    The sources' prices are `funnel`'s (`cost`, `budget`); `lone`: the pipelines whose
    only failure stage leaves their losses without a reason (`DataQuality.lone_stages`)."""
    from ..history.audit import run_audit
    from ..history.junk import source_prices
    from ..history.periods import PeriodsError

    try:
        audit = run_audit(t, currency, periods, source_prices(funnel), lone)
    except PeriodsError as exc:
        raise click.BadParameter(str(exc), param_hint="'--periods'") from None
    for warning in audit.period_warnings:
        click.echo(f"warning: {warning}", err=True)
    return audit


def check_tz(tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone `{tz}` (try Europe/Moscow or UTC)",
                                 param_hint="'--tz'") from None
    return_freed_memory()  # before polars is first imported, or it never takes effect
    import polars as pl

    try:
        # The system's tz database also holds what polars' (IANA's names) does not:
        # `posix/…`, `right/…`, `localtime`, `Factory`; the readers would fail on them.
        pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(tz)
    except pl.exceptions.PolarsError:
        raise click.BadParameter(f"unknown time zone `{tz}` (try Europe/Moscow or UTC; "
                                 "names as IANA writes them, without `posix/` or `right/`)",
                                 param_hint="'--tz'") from None


JEMALLOC_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"
"""polars allocates with its own jemalloc, which keeps freed pages for a while (polars
sets half a second) before giving them back. `history` frees and allocates columns of a
million rows one after another, so the kept pages were a sixth of its peak
(pola-rs/polars#23128): returned at once, the 1M-event benchmark peaks ~100 MB lower
for a few per cent more time."""

POLARS_OWN_CONF = "dirty_decay_ms:500,muzzy_decay_ms:1000"
"""What polars writes into `_RJEM_MALLOC_CONF` when imported (then appends what was
there), so a child of a Python process that imported polars inherits it: not a choice
of the user's."""


def return_freed_memory() -> None:
    """Ask polars' allocator to return freed memory at once, unless the user configured
    it (`_RJEM_MALLOC_CONF`). Only takes effect before polars is first imported in the
    process, which on the command line is now."""
    import os
    import sys

    if "polars" in sys.modules:
        return
    users = os.environ.get("_RJEM_MALLOC_CONF", "")
    while users.startswith(POLARS_OWN_CONF):
        users = users[len(POLARS_OWN_CONF):].lstrip(",")
    if not users:
        os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF


@click.command("history")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print: text (the tables) or json (history.json itself; schema "
                   "history.schema.json).")
@click.option("-o", "--output", "out_dir", metavar="DIR", default=None,
              help="Write history.html, history.json and the plots (PNG, SVG) into DIR "
                   "(the product is a folder, so -o names a folder here).")
@stack(verbosity_options())
@click.option("--funnel", "funnel_path", metavar="FILE", default=None,
              help="A funnel file: match names to it and take the stage order from it.")
@tz_option
@loss_field_option
@periods_option
@click.option("--rows", "max_rows", type=click.IntRange(1), default=40, show_default=True,
              help="Rows shown per table in the terminal (files hold them all).")
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def history_command(inputs: tuple[str, ...], fmt: str, out_dir: str | None, funnel_path: str | None,
                    tz: str, loss_field: str | None, periods: Periods | None, max_rows: int,
                    color: str) -> None:
    """Analyse stage history: amoCRM events/leads/pipelines JSON, Bitrix24
    crm.stagehistory.list/crm.status.list JSON, or a CSV (deal id, timestamp, pipeline,
    stage, optional value and loss reason), or a deal list (one row per deal: a date
    per stage, or its creation and close dates, read deal by deal). Files and folders,
    in any order.

    Exit code 0 when every input row was used, 1 when a file is not a history funnelc
    reads, rows had to be dropped or a file was cut off (the data-quality table says
    which and where), 2 on a usage error.
    """
    check_tz(tz)
    return_freed_memory()
    if out_dir is not None:
        from .output import guard_folder

        guard_folder("-o", out_dir, [*inputs, funnel_path])
    funnel = None
    if funnel_path is not None:
        from .sim_options import load_for_simulation

        funnel = load_for_simulation(funnel_path, None, color, "matching history to").model
    tr = _translator(funnel)
    prepared = prepare_or_exit(list(inputs), tz, funnel, loss_field, deal_level=True,
                               lang=tr.lang)
    refuse_empty(prepared)
    warn_unmatched(prepared, funnel_path)
    account = funnel.account if funnel is not None else None
    currency = account.currency.value if account is not None and account.currency else None
    audit, secs = _analyse(prepared, funnel_path, tr, currency, periods, funnel)
    dq = prepared.history.quality
    lost = dq.dropped_total or dq.counts.get("truncated_files", 0)
    if fmt == "json":
        from ..history.report import render_json, written_line

        # The file's text is the one printed: rendered once.
        text = render_json(secs, dq, _meta(prepared.tables, list(inputs), tz))
        if out_dir is not None:
            write_outputs(out_dir, secs, prepared.tables, dq, list(inputs), tz, audit, tr,
                          text)
            info(written_line(out_dir, tr))
        deliver(None, text)
    else:
        _print_text(prepared, secs, tz, max_rows, color, tr)
        if out_dir is not None:
            from ..history.report import written_line

            write_outputs(out_dir, secs, prepared.tables, dq, list(inputs), tz, audit, tr)
            click.echo(written_line(out_dir, tr))
    raise SystemExit(EXIT_PROBLEMS if lost else EXIT_CLEAN)


def _translator(funnel: FunnelFile | None) -> Translator:
    """The language of history's tables, page and plots: `--lang`, else the account's
    `language` when a funnel is given, else English."""
    from ..i18n import choose, translator

    account = funnel.account if funnel is not None else None
    return translator(choose(account.language if account is not None else None))


def prepare_or_exit(inputs: list[str], tz: str, funnel: FunnelFile | None,
                    loss_field: str | None = None, deal_level: bool = False,
                    lang: str | None = None) -> Prepared:
    """The history read and matched to `funnel` (`history.run.prepare`, `deal_level` and
    `lang` as there), or its `HistoryInputError` as an error line with a hint and the
    error's exit code."""
    from ..history.load import HistoryInputError
    from ..history.run import prepare

    try:
        prepared = prepare(inputs, tz, funnel, loss_field=loss_field, deal_level=deal_level,
                           lang=lang)
    except HistoryInputError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        raise SystemExit(exc.exit_code) from None
    return prepared


def refuse_empty(prepared: Prepared) -> None:
    """Exit 1 when every row of the history was dropped, with the data-quality lines
    that say why and where: `history` printed twenty empty tables, and `audit` «no
    findings» about a history of no events (a Salesforce export whose every time was
    unreadable), where `fit` and `forecast` refuse it."""
    from ..history.quality_render import summary_lines

    if prepared.tables.visits.data_start is not None:
        return
    dq = prepared.history.quality
    files = ", ".join(dict.fromkeys(f[0] for f in dq.files)) or "the history"
    click.echo(f"error: {files}: the history holds no events: every row was dropped", err=True)
    click.echo("  = help: the lines below say why and where; fix those rows", err=True)
    for line in summary_lines(dq):
        click.echo(line, err=True)
    raise SystemExit(EXIT_PROBLEMS)


def warn_unmatched(prepared: Prepared, funnel_path: str | None) -> None:
    """The history's stage names that match no stage of the funnel, each with the
    closest stage, on stderr; exit 1 when none matches (another account's funnel).
    `history` and `fit` say it alike."""
    if prepared.names is None or funnel_path is None:
        return
    from ..history.report import unmatched_names
    from ..names import escape_invisible

    error, lines = unmatched_names(prepared.names, prepared.history.place, funnel_path)
    for line in lines:
        click.echo(escape_invisible(line), err=True)
    if error:
        raise SystemExit(EXIT_PROBLEMS)


def _analyse(prepared: Prepared, funnel_path: str | None, tr: Translator,
             currency: str | None = None, periods: Periods | None = None,
             funnel: FunnelFile | None = None) -> tuple[Audit, list[Section]]:
    """The audit and every table `history` shows, the data quality and names last."""
    from ..history.audit_render import audit_sections
    from ..history.report import names_section, quality_section, sections

    extra = [quality_section(prepared.history.quality, tr)]
    if prepared.names is not None and funnel_path is not None:
        extra.append(names_section(prepared.names, prepared.history.place, tr))
    audit = audit_or_exit(prepared.tables, currency, periods, funnel,
                          prepared.history.quality.lone_stages())
    return audit, sections(prepared.tables, [
        *audit_sections(audit, tr, prepared.tables.conversion), *extra], tr)


def _print_text(prepared: Prepared, secs: list[Section], tz: str, max_rows: int,
                color: str, tr: Translator) -> None:
    """The tables in the terminal, headed by the span and the stage order's source."""
    from rich.text import Text

    from ..history.report import head_line, order_note, print_quality, print_terminal
    from ..termtext import plain, terminal_console
    from .convention import color_choice

    t = prepared.tables
    console = terminal_console(color=color_choice(color))
    counts, span = head_line(t, tz, tr)
    console.print(Text.assemble((counts, "bold"), plain(span)))
    console.print(plain(order_note(t, tr)))
    print_terminal(secs, console, max_rows, tr)
    print_quality(prepared.history.quality, console, tr)


def _meta(t: HistoryTables, inputs: list[str], tz: str) -> dict[str, Any]:
    """What history.json says about the run besides the tables."""
    from ..history.report import order_note
    from ..i18n import translator

    v = t.visits
    return {"deals": t.deals, "events": t.events, "tz": tz, "inputs": inputs,
            "order": {"source": v.order_source, "inferred": v.order_source == "data",
                      "note": order_note(t, translator("en")), "stages": v.order}}


def write_outputs(out_dir: str, secs: list[Section], t: HistoryTables, dq: DataQuality,
                  inputs: list[str], tz: str, audit: Audit | None = None,
                  tr: Translator | None = None, json_text: str | None = None) -> None:
    """Every file rendered first, then written all or nothing (`output.write_folder`).
    `json_text`: history.json already rendered (`--format json` prints it too)."""
    from ..history.plots import draw_history_plots
    from ..history.report import page_head, page_title, render_html, render_json
    from .output import write_folder

    plots = draw_history_plots(t, audit, tr)
    files: dict[str, str | bytes] = {}
    for name, _, png, svg, _ in plots:
        files[f"plots/{name}.png"] = png
        files[f"plots/{name}.svg"] = svg
    warns = sorted({w for *_, ws in plots for w in ws})
    files["history.html"] = render_html(
        page_title(tr), page_head(t, inputs, tz, tr), secs,
        [(n, ti, svg) for n, ti, _, svg, _ in plots], warns, tr)
    files["history.json"] = (json_text if json_text is not None
                             else render_json(secs, dq, _meta(t, inputs, tz)))
    write_folder("-o", out_dir, files, inputs)
