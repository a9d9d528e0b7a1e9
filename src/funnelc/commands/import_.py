"""`funnelc import amocrm PIPELINES.json [--fields F.json]... [--statuses S.json]... -o FILE`.

Exit codes: 0 written, 1 an input file is not usable (the message names the place inside
the JSON), 2 usage. The output is written atomically and only when everything was read.
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print: text (the funnel file) or json (the funnel text with "
                   "what was imported and the warnings; schema import.schema.json). Goes "
                   "to stdout, or to -o/--output PATH.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Funnel file (or, with --format json, JSON file) to write; default: "
                   "stdout.")
@stack(verbosity_options())
@click.option("--ignore-unknown-keys", is_flag=True,
              help="Skip keys amoCRM's documented answers do not have (default: refuse).")
def import_command(crm: str, pipelines: str, fields: tuple[str, ...], statuses: tuple[str, ...],
                   fmt: str, output: str | None, ignore_unknown_keys: bool) -> None:
    """Turn a CRM's pipelines JSON back into funnel text (CRM: amocrm).

    Pipelines and their stages (in amoCRM's order), colours, descriptions as hints,
    custom fields with their options, and required fields per stage. amoCRM keeps no
    routing, so the stages have no outcomes: `funnelc check` will say so.
    """
    from ..importers.amocrm import import_files
    from ..importers.json_input import JsonProblem

    guard([Output("-o", output)], [pipelines, *fields, *statuses])
    try:
        text, imported, ignored = import_files(pipelines, fields, statuses,
                                               out_path=output or "<stdout>",
                                               lenient=ignore_unknown_keys)
    except JsonProblem as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    _prove(text)
    for path in ignored:
        click.echo(f"warning: {path}: unknown key ignored", err=True)
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    funnel = imported.funnel
    if fmt == "json":
        deliver(output, to_json({
            "crm": crm, "funnel": text, "pipelines": len(funnel.pipelines),
            "stages": imported.stage_count, "fields": len(funnel.fields),
            "warnings": [*(f"{p}: unknown key ignored" for p in ignored),
                         *imported.warnings]}))
        return
    deliver(output, text)
    info(f"imported {len(funnel.pipelines)} pipeline(s), {imported.stage_count} stage(s), "
         f"{len(funnel.fields)} field(s); next: funnelc check "
         f"{output if output not in (None, '-') else 'FILE'}")


def _prove(text: str) -> None:
    """The written text must parse back: a name the language cannot hold would otherwise
    leave the user a file they cannot open."""
    from ..api import load_text

    loaded = load_text(text, "<import>", checks=False)
    if loaded.model is None:
        raise RuntimeError("the imported account did not render as valid funnel text: "
                           + "; ".join(d.message for d in loaded.diagnostics[:3]))
