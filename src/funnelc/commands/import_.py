"""`funnelc import --from amocrm PIPELINES.json [--fields F.json]... [--statuses S.json]...
[--loss-reasons L.json]... -o FILE` (the old spelling `import amocrm PIPELINES.json` still
works) and `funnelc import --from bitrix24 [ANSWER.json]... -o FILE` (without files: read
live with BITRIX24_WEBHOOK or --credentials-file).

Exit codes: 0 written (keys beyond amoCRM's documented answers are warnings), 1 an input
file is not usable (the message names the place inside the JSON) or, with `--strict`, has
unknown keys; 2 usage. The output is written atomically and only when everything was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE
from .convention import deliver, info, to_json, verbosity_options
from .output import Output, guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..jsontypes import JSON


CRMS = ("amocrm", "bitrix24", "pipedrive", "hubspot")
IMPORTERS = {"bitrix24": "funnelc.importers.bitrix24",
             "pipedrive": "funnelc.importers.pipedrive", "hubspot": "funnelc.importers.hubspot"}
"""CRM → the importer module (`import_files(paths, out_path)`, `import_answers(answers,
out_path)`); amoCRM keeps its own options below."""


@click.command("import")
@click.argument("answers", nargs=-1, type=click.Path(dir_okay=False), metavar="[ANSWER.json]...")
@click.option("--from", "crm", type=click.Choice(CRMS), default=None,
              help="The CRM the answers come from (default: amocrm, whose first ANSWER is "
                   "PIPELINES.json). Bitrix24: answers of crm.category.list, crm.status.list "
                   "and crm.{deal,contact,company}.userfield.list. Pipedrive, HubSpot: one "
                   "JSON object whose keys name the GET requests apply reads (pipelines, "
                   "stages, dealFields …; pipelines/deals, properties/deals …). None: read "
                   "live.")
@click.option("--credentials-file", metavar="PATH", type=click.Path(dir_okay=False),
              help="Live import: read the credential from this file instead of the "
                   "environment variable (BITRIX24_WEBHOOK, …).")
@click.option("--base-url", metavar="URL",
              help="Live import with an OAuth token: the portal's REST root (https).")
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
def import_command(answers: tuple[str, ...], crm: str | None, credentials_file: str | None,
                   base_url: str | None, fields: tuple[str, ...], statuses: tuple[str, ...],
                   loss_reasons: tuple[str, ...], fmt: str, output: str | None, strict: bool,
                   ignore_unknown_keys: bool) -> None:
    """Turn a CRM's answers back into funnel text (--from amocrm, bitrix24, pipedrive, hubspot).

    Pipelines and their stages (in amoCRM's order), colours, descriptions as hints,
    custom fields with their options, required fields per stage, and loss reasons (as a
    comment). amoCRM keeps no routing, so the stages have no outcomes: `funnelc check`
    will say so. Keys amoCRM's documented answers do not have are warnings (--strict:
    errors).
    """
    from ..importers.amocrm import import_files
    from ..importers.json_input import JsonProblem
    from ..importers.render import import_json, import_summary, unknown_line

    if answers and answers[0] in CRMS and crm is None:
        crm, answers = answers[0], answers[1:]  # the old spelling: import amocrm FILE
    crm = crm or "amocrm"
    if crm != "amocrm":
        if fields or statuses or loss_reasons:
            raise click.UsageError("--fields, --statuses and --loss-reasons are amoCRM's")
        _import_other(crm, answers, credentials_file, base_url, fmt, output)
        return
    if not answers:
        raise click.UsageError("give amoCRM's PIPELINES.json (GET /api/v4/leads/pipelines)")
    if len(answers) > 1:
        raise click.UsageError("amoCRM takes one PIPELINES.json; give the other answers with "
                               "--fields, --statuses and --loss-reasons")
    pipelines = answers[0]
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


def _import_other(crm: str, answers: tuple[str, ...], credentials_file: str | None,
                  base_url: str | None, fmt: str, output: str | None) -> None:
    """Bitrix24 (and the CRMs that join it): saved answers, or live when none are given."""
    import importlib

    from ..importers.json_input import JsonProblem
    from ..importers.render import import_json, import_summary

    if crm not in IMPORTERS:
        raise click.UsageError(f"import --from {crm} is not available in this build")
    module = importlib.import_module(IMPORTERS[crm])
    guard([Output("-o", output)], [*answers, credentials_file])
    try:
        if answers:
            text, imported = module.import_files(answers, out_path=output or "<stdout>")
        else:
            text, imported = module.import_answers(
                _read_live(crm, credentials_file, base_url), out_path=output or "<stdout>")
    except JsonProblem as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(f"  = help: {exc.hint}", err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    _prove(text)
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    if fmt == "json":
        deliver(output, to_json(import_json(crm, text, imported)))
        return
    deliver(output, text)
    info(import_summary(imported, output, bool(imported.loss_reasons)))


def _read_live(crm: str, credentials_file: str | None, base_url: str | None) -> dict[str, JSON]:
    """The account's answers, read with the credential of `apply --to CRM`."""
    from ..export.deploy import (
        AuthError,
        BadAnswer,
        Connection,
        DeployError,
        NetworkError,
        load_target,
        scrub,
    )
    from .apply import _secret

    spec, opener = load_target(crm)
    secret = _secret(spec.secret_env, credentials_file,
                     f"give the saved answers, or set {spec.secret_env} to "
                     f"{spec.secret_words} to read the account live")
    try:
        target = opener(Connection(secret, base_url))
    except ValueError as exc:
        raise click.UsageError(scrub(str(exc), [secret])) from None
    secrets = [secret, *getattr(target, "secrets", [])]
    try:
        target.read()
        return target.answers()
    except (AuthError, NetworkError) as exc:
        click.echo(scrub(f"error: {exc}", secrets), err=True)
        raise SystemExit(EXIT_USAGE) from None
    except (BadAnswer, DeployError) as exc:
        click.echo(scrub(f"error: {exc}", secrets), err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    finally:
        target.close()
