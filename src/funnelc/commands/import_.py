"""`funnelc import amocrm PIPELINES.json [--fields F.json]... [--statuses S.json]...
[--loss-reasons L.json]... -o FILE`.

Exit codes: 0 written (keys beyond amoCRM's documented answers are warnings), 1 an input
file is not usable (the message names the place inside the JSON) or, with `--strict`, has
unknown keys; 2 usage. The output is written atomically and only when everything was read.
"""

from __future__ import annotations

import click

from .common import EXIT_PROBLEMS
from .convention import deliver, info, to_json, verbosity_options
from .output import Output, guard
from .sim_options import stack


@click.command("import")
@click.argument("crm", type=click.Choice(["amocrm"]), metavar="CRM")
@click.argument("pipelines", type=click.Path(dir_okay=False), metavar="PIPELINES.json")
@click.option("--fields", "fields", multiple=True, type=click.Path(dir_okay=False),
              metavar="FIELDS.json",
              help="Answer of GET /api/v4/{leads,contacts,companies}/custom_fields (one per "
                   "entity and page; repeat the option).")
@click.option("--statuses", "statuses", multiple=True, type=click.Path(dir_okay=False),
              metavar="STATUSES.json",
              help="Answer of GET /api/v4/leads/pipelines/{id}/statuses?with=descriptions, "
                   "for the hints (repeat per pipeline).")
@click.option("--loss-reasons", "loss_reasons", multiple=True, type=click.Path(dir_okay=False),
              metavar="LOSS_REASONS.json",
              help="Answer of GET /api/v4/leads/loss_reasons: listed in the file's header "
                   "comment, for the `-> lost \"reason\"` outcomes (repeat per page).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print: text (the funnel file) or json (the funnel text with "
                   "what was imported and the warnings; schema import.schema.json). Goes "
                   "to stdout, or to -o/--output PATH.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Funnel file (or, with --format json, JSON file) to write; default: "
                   "stdout.")
@stack(verbosity_options())
@click.option("--strict", is_flag=True,
              help="Refuse keys amoCRM's documented answers do not have (exit 1, nothing "
                   "written); default: a warning for each, and the import goes on.")
@click.option("--ignore-unknown-keys", is_flag=True, hidden=True,
              help="Deprecated: unknown keys are warnings now; this only silences them.")
def import_command(crm: str, pipelines: str, fields: tuple[str, ...], statuses: tuple[str, ...],
                   loss_reasons: tuple[str, ...], fmt: str, output: str | None, strict: bool,
                   ignore_unknown_keys: bool) -> None:
    """Turn a CRM's pipelines JSON back into funnel text (CRM: amocrm).

    Pipelines and their stages (in amoCRM's order), colours, descriptions as hints,
    custom fields with their options, required fields per stage, and loss reasons (as a
    comment). amoCRM keeps no routing, so the stages have no outcomes: `funnelc check`
    will say so. Keys amoCRM's documented answers do not have are warnings (--strict:
    errors).
    """
    from ..importers.amocrm import import_files
    from ..importers.json_input import JsonProblem
    from ..importers.render import import_json, import_summary, unknown_line

    if strict and ignore_unknown_keys:
        raise click.UsageError("--strict refuses unknown keys and --ignore-unknown-keys "
                               "silences them: give one")
    if ignore_unknown_keys:
        click.echo("warning: `--ignore-unknown-keys` is deprecated and will be removed in the "
                   "next release: unknown keys no longer stop the import (they are "
                   "warnings); it only silences those warnings", err=True)
    guard([Output("-o", output)], [pipelines, *fields, *statuses, *loss_reasons])
    try:
        text, imported = import_files(pipelines, fields, statuses, loss_reasons,
                                      out_path=output or "<stdout>")
    except JsonProblem as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    unknown = [unknown_line(u) for u in imported.unknown_keys]
    if strict and unknown:
        for line in unknown:
            click.echo(f"error: {line}", err=True)
        click.echo("  = help: funnelc does not read these keys; without --strict they are "
                   "warnings and the import goes on", err=True)
        raise SystemExit(EXIT_PROBLEMS)
    _prove(text)
    if unknown and not ignore_unknown_keys:
        for line in unknown:
            click.echo(f"warning: {line}", err=True)
        click.echo("  = help: funnelc does not read them, so the import is complete; "
                   "--strict refuses such answers", err=True)
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        deliver(output, to_json(import_json(crm, text, imported)))
        return
    deliver(output, text)
    info(import_summary(imported, output, bool(loss_reasons)))


def _prove(text: str) -> None:
    """The written text must parse back: a name the language cannot hold would otherwise
    leave the user a file they cannot open."""
    from ..api import load_text

    loaded = load_text(text, "<import>", checks=False)
    if loaded.model is None:
        raise RuntimeError("the imported account did not render as valid funnel text: "
                           + "; ".join(d.message for d in loaded.diagnostics[:3]))
