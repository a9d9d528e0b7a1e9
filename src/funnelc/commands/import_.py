"""`funnelc import --from amocrm PIPELINES.json [--fields F.json]... [--statuses S.json]...
[--loss-reasons L.json]... -o FILE` (the old spelling `import amocrm PIPELINES.json` still
works), `funnelc import --from bitrix24 [ANSWER.json]... -o FILE` (without files: read
live with BITRIX24_WEBHOOK or --credentials-file) and `funnelc import --from salesforce
DIR|ZIP|FILE... -o FILE` (metadata retrieved from an org; no live read).

Exit codes: 0 written (keys beyond amoCRM's documented answers are warnings), 1 an input
file is not usable (the message names the place inside the JSON) or, with `--strict`, has
unknown keys; 2 usage, or a file that cannot be read at all (missing, a folder). The
output is written atomically and only when everything was read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE
from .convention import deliver, info, to_json, verbosity_options
from .output import Output, guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..importers.run import ImportRequest
    from ..jsontypes import JSON


CRMS = ("amocrm", "bitrix24", "pipedrive", "hubspot", "salesforce")
IMPORTERS = ("bitrix24", "pipedrive", "hubspot", "salesforce")
"""The CRMs of `importers.run.IMPORTERS` (which `--help` need not import); amoCRM keeps
its own options below."""


@click.command("import")
@click.argument("answers", nargs=-1, type=click.Path(), metavar="[ANSWER]...")
@click.option("--from", "crm", type=click.Choice(CRMS), default=None,
              help="The CRM the answers come from (default: amocrm, whose first ANSWER is "
                   "PIPELINES.json). Bitrix24: answers of crm.category.list, crm.status.list "
                   "and crm.{deal,contact,company}.userfield.list. Pipedrive, HubSpot: one "
                   "JSON object whose keys name the GET requests apply reads (pipelines, "
                   "stages, dealFields …; pipelines/deals, properties/deals …). Salesforce: "
                   "the folder or zip `sf project retrieve start` wrote (OpportunityStage, "
                   "sales processes, record types, custom fields), its files, or saved REST "
                   "answers (the OpportunityStage query, an object's describe). None: read "
                   "live (not Salesforce).")
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
              help="amoCRM and Bitrix24: refuse keys the CRM's documented answers do not "
                   "have (exit 1, nothing written); default: a warning for each, and the "
                   "import goes on.")
@click.option("--ignore-unknown-keys", is_flag=True, hidden=True,
              help="Deprecated: unknown keys are warnings now; this only silences them.")
def import_command(answers: tuple[str, ...], crm: str | None, credentials_file: str | None,
                   base_url: str | None, fields: tuple[str, ...], statuses: tuple[str, ...],
                   loss_reasons: tuple[str, ...], fmt: str, output: str | None, strict: bool,
                   ignore_unknown_keys: bool) -> None:
    """Turn a CRM's answers back into funnel text (--from amocrm, bitrix24, pipedrive,
    hubspot, salesforce).

    Pipelines and their stages (in the CRM's order), colours, descriptions as hints,
    custom fields with their options, required fields per stage, and loss reasons (as a
    comment). No CRM keeps routing, so the stages have no outcomes: `funnelc check`
    will say so. Keys amoCRM's documented answers do not have are warnings (--strict:
    errors).
    """
    from ..importers.run import ImportRequest

    if answers and answers[0] in CRMS and crm is None:
        crm, answers = answers[0], answers[1:]  # the old spelling: import amocrm FILE
    crm = crm or "amocrm"
    if crm == "amocrm":
        _amocrm_usage(answers, strict, ignore_unknown_keys)
    elif fields or statuses or loss_reasons:
        raise click.UsageError("--fields, --statuses and --loss-reasons are amoCRM's")
    elif strict and crm not in STRICT_CRMS:
        raise click.UsageError(f"--strict checks amoCRM's and Bitrix24's answers against "
                               f"their documentation; import --from {crm} has no such check")
    elif crm not in IMPORTERS:
        raise click.UsageError(f"import --from {crm} is not available in this build")
    elif crm == "salesforce" and not answers:
        raise click.UsageError("give the metadata retrieved from the org: the folder or zip "
                               "of `sf project retrieve start` (Salesforce is not read live)")
    elif crm == "salesforce" and (credentials_file or base_url):
        raise click.UsageError("--credentials-file and --base-url are for a live import; "
                               "Salesforce is imported from retrieved metadata")
    guard([Output("-o", output)], [*answers, *fields, *statuses, *loss_reasons,
                                   *([credentials_file] if crm != "amocrm" else [])])
    live = None if answers or crm == "amocrm" else _read_live(crm, credentials_file, base_url)
    _import(ImportRequest(crm, answers, fields, statuses, loss_reasons, live,
                          output or "<stdout>", strict),
            fmt, output, silence_unknown=ignore_unknown_keys)


STRICT_CRMS = frozenset({"amocrm", "bitrix24"})
"""The importers that know every key of their CRM's documented answers."""


def _amocrm_usage(answers: tuple[str, ...], strict: bool, ignore_unknown_keys: bool) -> None:
    """amoCRM's arguments: one PIPELINES.json, and at most one of --strict and the
    deprecated --ignore-unknown-keys (which still silences, with a warning)."""
    if not answers:
        raise click.UsageError("give amoCRM's PIPELINES.json (GET /api/v4/leads/pipelines)")
    if len(answers) > 1:
        raise click.UsageError("amoCRM takes one PIPELINES.json; give the other answers with "
                               "--fields, --statuses and --loss-reasons")
    if strict and ignore_unknown_keys:
        raise click.UsageError("--strict refuses unknown keys and --ignore-unknown-keys "
                               "silences them: give one")
    if ignore_unknown_keys:
        click.echo("warning: `--ignore-unknown-keys` is deprecated and will be removed in the "
                   "next release: unknown keys no longer stop the import (they are "
                   "warnings); it only silences those warnings", err=True)


def _import(request: ImportRequest, fmt: str, output: str | None, *,
            silence_unknown: bool) -> None:
    """Run the import (`importers.run`), say what `importers.render` says, write."""
    from ..importers.json_input import JsonProblem
    from ..importers.render import (
        import_json,
        import_refusal,
        import_summary,
        import_warnings,
        problem_lines,
    )
    from ..importers.run import run_import

    try:
        run = run_import(request)
    except JsonProblem as exc:
        _stderr(problem_lines(exc))
        raise SystemExit(EXIT_USAGE if exc.io else EXIT_PROBLEMS) from None
    if run.refused:
        _stderr(import_refusal(run))
        raise SystemExit(EXIT_PROBLEMS)
    _stderr(import_warnings(run, silence_unknown and request.crm == "amocrm"))
    if fmt == "json":
        deliver(output, to_json(import_json(run.crm, run.text, run.imported)))
        return
    deliver(output, run.text)
    info(import_summary(run.imported, output, run.reasons_given))


def _stderr(lines: list[str]) -> None:
    for line in lines:
        click.echo(line, err=True)


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
        # What the account holds but the credential cannot read (Bitrix24's pipelines the
        # webhook's user has no right to): the import is without it.
        for line in getattr(target, "read_warnings", list)():
            click.echo(scrub(f"warning: {line}", secrets), err=True)
        return target.answers()
    except (AuthError, NetworkError) as exc:
        click.echo(scrub(f"error: {exc}", secrets), err=True)
        raise SystemExit(EXIT_USAGE) from None
    except (BadAnswer, DeployError) as exc:
        click.echo(scrub(f"error: {exc}", secrets), err=True)
        raise SystemExit(EXIT_PROBLEMS) from None
    finally:
        target.close()
