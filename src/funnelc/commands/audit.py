"""`funnelc audit FILE.funnel HISTORY...`: the findings of a stage history's audit —
managers who convert clearly worse than the rest of the team, sources whose leads got
worse (and whether marketing or sales moved the rate), losses without a usable reason
and reasons whose share changed, graveyard stages with proposed segmentation stages —
in order of the money at stake (`history.audit`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS
from .convention import format_option, info, lang_option, output_option, present, verbosity_options
from .history import (
    audit_or_exit,
    check_tz,
    loss_field_option,
    periods_option,
    refuse_empty,
    return_freed_memory,
    tz_option,
)
from .output import Output, guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..history.periods import Periods


@click.command("audit")
@click.argument("funnel_path", metavar="FILE.funnel")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(), metavar="HISTORY...")
@format_option(what=" (json: schema audit.schema.json)")
@output_option()
@stack(verbosity_options())
@tz_option
@loss_field_option
@periods_option
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def audit_command(funnel_path: str, inputs: tuple[str, ...], fmt: str,
                  output_path: str | None, tz: str, loss_field: str | None,
                  periods: Periods | None, color: str) -> None:
    """Audit HISTORY (the formats of `funnelc history`) against FILE.funnel: the
    findings in order of money at stake. A manager or source is named only when the
    difference is statistically clear (Holm's correction, family-wise 5%); loss
    reasons whose share changed by Benjamini–Hochberg (false discovery rate 5%).

    Exit code 0 when every input row was used (the findings are the product, as
    `history`'s tables are), 1 when a file is not a history funnelc reads, rows had to be
    dropped or the history's names match no stage of the funnel, 2 on a usage error.
    """
    check_tz(tz)
    return_freed_memory()
    guard([Output("-o", output_path)], [*inputs, funnel_path])
    from .sim_options import load_for_simulation

    funnel = load_for_simulation(funnel_path, None, color, "auditing with").model

    from ..history.audit_render import audit_heading, audit_json, print_audit
    from ..history.load import HistoryInputError
    from ..history.quality_render import note_text
    from ..history.report import unmatched_names
    from ..history.run import prepare
    from ..i18n import choose, translator
    from ..names import escape_invisible
    from ..termtext import plain

    tr = translator(choose(funnel.account.language if funnel.account else None))
    try:
        prepared = prepare(list(inputs), tz, funnel, loss_field=loss_field, deal_level=True,
                           lang=tr.lang)
    except HistoryInputError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        raise SystemExit(exc.exit_code) from None
    refuse_empty(prepared)
    if prepared.names is not None:
        error, lines = unmatched_names(prepared.names, prepared.history.place, funnel_path)
        for line in lines:
            click.echo(escape_invisible(line), err=True)
        if error:
            raise SystemExit(EXIT_PROBLEMS)
    t, dq = prepared.tables, prepared.history.quality
    loud = dq.dropped_total or any(dq.counts.get(k) for k in (
        "bad_values", "implausible_values", "bulk_created"))
    lines = dq.summary() if loud else []
    if lines:
        lines = lines[:len(lines) - len(dq.notes)]  # the notes follow as notes, once
    for line in lines:
        click.echo(escape_invisible(f"warning: {line}"), err=True)
    # The notes are client text (as `history` and `fit` say them), the warnings above
    # diagnostics about rows: English whole. With rows dropped, the notes went with the
    # warnings: «warning: note: …» in English for a Russian account, whose notes read
    # «примечание: …» when nothing was dropped.
    for note in dq.notes:
        # plain(): control characters written out; its number's no-break spaces kept.
        info(str(plain(tr.gettext("note: {note}").format(note=note_text(note, tr)))))
    account = funnel.account
    audit = audit_or_exit(t, account.currency.value if account and account.currency else None,
                          periods, funnel, dq.lone_stages())
    head = audit_heading(t.deals, t.events, funnel_path, len(audit.findings), tr)
    meta = {"funnel": funnel_path, "inputs": list(inputs), "tz": tz, "deals": t.deals,
            "events": t.events}
    present(fmt, output_path, lambda console: print_audit(audit, console, head, tr),
            {"json": lambda: audit_json(audit, meta)}, color=color, language=tr.lang)
    lost = dq.dropped_total or dq.counts.get("truncated_files", 0)
    raise SystemExit(EXIT_PROBLEMS if lost else EXIT_CLEAN)
