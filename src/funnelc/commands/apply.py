"""`funnelc apply FILE [--to amocrm|bitrix24|pipedrive|hubspot] [--yes] [--allow-delete]`.

Without `--yes` it only reads the account and prints the plan. amoCRM is the default
target and keeps its own path (export/amocrm_*); every other CRM goes through the shared
frame of `export/deploy.py` (read → plan → apply step by step, stop at the first
failure). The old spelling `funnelc apply amocrm FILE` still works.

Credentials come from the environment (AMOCRM_TOKEN, BITRIX24_WEBHOOK, …) or from a file
(`--credentials-file`), so they never land in shell history, and they are scrubbed from
anything this command prints, errors included.

Exit codes: 0 done (or plan printed), 1 the file has errors / the CRM cannot hold it /
the CRM refused a change or answered what its docs do not say, 2 usage, credential or
rights problems, network failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color
from .convention import deliver, output_options, product_output, to_json
from .output import guard
from .sim_options import stack

if TYPE_CHECKING:
    from .. import model as m
    from ..export.amocrm_account import Account
    from ..export.amocrm_bundle import Bundle
    from ..export.amocrm_plan import Plan
    from ..export.deploy import Connection, Target, TargetSpec
    from ..jsontypes import JSONObject

TOKEN_ENV = "AMOCRM_TOKEN"
CRMS = ("amocrm", "bitrix24", "pipedrive", "hubspot")


class _LegacyArgument(click.Argument):
    """The FILE of the old spelling `apply amocrm FILE`: accepted, not shown in usage."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


@click.command("apply")
@click.argument("file", type=click.Path(allow_dash=True))
@click.argument("legacy_file", required=False, cls=_LegacyArgument)
@stack(output_options(what=" (json: the account read, the plan and what was applied; "
                           "schema apply.schema.json)"))
@click.option("--to", "crm", type=click.Choice(CRMS), default=None,
              help="The CRM to apply to (default: amocrm).")
@click.option("--subdomain", metavar="S", help="amoCRM: account subdomain, S.amocrm.ru.")
@click.option("--base-url", metavar="URL",
              help="API root instead of the CRM's own (https; plain http only to a loopback "
                   "address). Bitrix24: the portal's REST root, with an OAuth token.")
@click.option("--credentials-file", metavar="PATH", type=click.Path(dir_okay=False),
              help="Read the credential from this file instead of the environment variable "
                   "(AMOCRM_TOKEN, BITRIX24_WEBHOOK, PIPEDRIVE_TOKEN, HUBSPOT_TOKEN).")
@click.option("--yes", is_flag=True, help="Carry the plan out (without it: only print the plan).")
@click.option("--allow-delete", "--prune", "prune", is_flag=True,
              help="Also delete stages, pipelines and fields the file does not have (listed "
                   "apart in the plan).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def apply_command(file: str, legacy_file: str | None, fmt: str, output_path: str | None,
                  crm: str | None, subdomain: str | None, base_url: str | None,
                  credentials_file: str | None, yes: bool, prune: bool, color: str) -> None:
    """Plan and apply FILE to a live CRM account (--to amocrm, bitrix24, pipedrive, hubspot).

    Reads the account (pipelines, stages, custom fields), prints what would change —
    create, update, leave alone, and with --allow-delete what would be deleted, listed
    apart — and changes it only with --yes, one step at a time, stopping at the first
    failure and saying what was and was not applied. Applying again plans nothing.
    """
    import os

    if legacy_file is not None:
        if file not in CRMS:
            raise click.UsageError(f"got two files ({file}, {legacy_file}): give one FILE and "
                                   "the CRM with --to")
        if crm is not None and crm != file:
            raise click.UsageError(f"`apply {file} FILE` and `--to {crm}` name two CRMs")
        crm, file = file, legacy_file
    crm = crm or "amocrm"
    if crm != "amocrm":
        if subdomain is not None:
            raise click.BadParameter("--subdomain is amoCRM's; give --base-url for "
                                     f"{crm}", param_hint="--subdomain")
        _apply_target(crm, file, fmt, output_path, base_url, credentials_file, yes, prune,
                      color)
        return
    token = _secret(TOKEN_ENV, credentials_file,
                    f"set {TOKEN_ENV} to an amoCRM access token (an account administrator's "
                    "long-lived token: amoCRM → Settings → Integrations), or give "
                    "--credentials-file; it is read from the environment so it never shows in "
                    "shell history or the process list")
    from ..export.amocrm_client import check_base_url, default_base_url

    try:
        if base_url is not None:
            url = check_base_url(base_url)
        elif subdomain is not None:
            url = default_base_url(subdomain)
        else:
            raise click.UsageError("give --subdomain S (for S.amocrm.ru) or --base-url URL")
    except ValueError as exc:
        raise click.BadParameter(str(exc),
                                 param_hint="--base-url" if base_url else "--subdomain") from None
    guard([product_output(fmt, output_path)], [file, credentials_file])
    report: JSONObject | None = {} if fmt == "json" else None
    captured: list[str] | None = [] if fmt == "text" and output_path not in (None, "-") \
        else None
    try:
        code = _run(file, url, token, yes=yes, prune=prune, color=color, report=report,
                    captured=captured)
        if report:
            deliver(output_path, _scrub(to_json(report), token))
        elif captured:
            deliver(output_path, "".join(f"{line}\n" for line in captured))
    except click.ClickException:
        raise
    except Exception as exc:  # no traceback (and no token) reaches the user
        if os.environ.get("FUNNELC_DEBUG"):
            raise
        click.echo(_scrub(f"error: internal failure: {type(exc).__name__}: {exc}", token), err=True)
        code = EXIT_USAGE
    raise SystemExit(code)


def _secret(env: str, credentials_file: str | None, missing: str) -> str:
    """The credential from `--credentials-file` or the environment variable `env`,
    checked for what no credential holds; a usage error that never shows its value."""
    import os

    from ..export.deploy import check_secret

    if credentials_file is not None:
        try:
            with open(credentials_file, encoding="utf-8") as handle:
                raw = handle.read(65536)
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise click.BadParameter(f"cannot read {credentials_file}: {reason}",
                                     param_hint="--credentials-file") from None
        source = f"--credentials-file {credentials_file}"
    else:
        raw = os.environ.get(env) or ""
        if not raw.strip():
            raise click.UsageError(missing)
        source = env
    try:
        return check_secret(raw, source)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _scrub(text: str, token: str) -> str:
    """Belt and braces: nothing printed should hold the token, but if it ever did, it is
    masked. (A token under 8 characters is no real amoCRM token and would mask words.)"""
    return text.replace(token, "***") if len(token) >= 8 else text


def _run(file: str, url: str, token: str, *, yes: bool, prune: bool, color: str,
         report: JSONObject | None = None, captured: list[str] | None = None) -> int:
    """Plan (and with `yes` apply); the account, the plan and the outcome are printed,
    or, with `report`, collected there for `--format json` (errors still go to
    stderr); with `captured`, the lines meant for stdout are collected there for -o."""
    from ..export.amocrm_apply import execute, plan_for
    from ..export.amocrm_client import AmoApiError, AmoAuthError, AmoClient, AmoError
    from ..export.render import applied_json

    def say(text: str, err: bool = False) -> None:
        if captured is not None and not err:
            captured.append(_scrub(text, token))
        elif report is None or err:
            click.echo(_scrub(text, token), err=err)

    bundle = _bundle(file, color)
    if isinstance(bundle, int):
        return bundle
    started = False
    try:
        with AmoClient(url, token) as client:
            plan, account = plan_for(client, bundle, prune=prune)
            read = client.stats.requests
            _show_plan(say, url, plan, account, bundle, read, report)
            lines = plan.lines()
            if plan.errors:
                for error in plan.errors:
                    say(f"error: {error}", err=True)
                say("nothing was changed", err=True)
                return EXIT_PROBLEMS
            if not lines:
                say("nothing to do: the account already matches the file")
                return 0
            if not yes:
                say(f"{len(lines)} change(s) planned; nothing was changed: run again with --yes "
                    "to apply them")
                return 0
            started = True
            refused, seconds = execute(client, plan, lambda text: say(text, err=True))
            total = client.stats.requests
            if report is not None:
                report.update(applied_json([str(r) for r in refused], total,
                                           client.stats.retries))
            say(f"applied {len(lines) - len(refused)} change(s) with {total - read} requests "
                f"in {seconds:.1f} s ({total} requests in all, {client.stats.retries} retried)")
            for item in refused:
                say(f"error: {item}", err=True)
            return EXIT_PROBLEMS if refused else 0
    except AmoAuthError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_USAGE
    except AmoApiError as exc:
        say(f"error: {exc}", err=True)
        _partial_note(say, started)
        return EXIT_PROBLEMS
    except AmoError as exc:
        say(f"error: {exc}", err=True)
        _partial_note(say, started)
        return EXIT_USAGE


def _bundle(file: str, color: str) -> Bundle | int:
    """What amoCRM should hold, built from FILE; or the exit code after printing why
    it cannot be (errors in the file, or what amoCRM cannot hold)."""
    from ..api import load_file
    from ..diagnostics import Severity
    from ..export.amocrm import build_bundle

    loaded = load_file(file)
    sources = {loaded.source.path: loaded.source} if loaded.source else {}
    if loaded.usage_error:
        print_diagnostics(loaded.diagnostics, sources, "text", use_color(color))
        return EXIT_USAGE
    if not loaded.ok or loaded.model is None:
        print_diagnostics(loaded.errors or loaded.diagnostics, sources, "text", use_color(color))
        return EXIT_PROBLEMS
    bundle, diags = build_bundle(loaded.model)
    if any(d.severity is Severity.error for d in diags):
        print_diagnostics(diags, sources, "text", use_color(color))
        return EXIT_PROBLEMS
    return bundle


def _show_plan(say: Callable[..., None], url: str, plan: Plan, account: Account,
               bundle: Bundle, read: int, report: JSONObject | None) -> None:
    """The account as read and the plan, as lines (and into `report` for JSON)."""
    from ..export.render import plan_json, plan_text

    for line in plan_text(url, plan, account, bundle, read):
        say(line)
    if report is not None:
        report.update(plan_json(url, plan, account, bundle, read))


def _partial_note(say: Callable[..., None], started: bool) -> None:
    if started:
        say("  = note: the changes before this one were made; fix the cause and run apply "
            "again: it plans only what is still missing", err=True)
    else:
        say("  = note: nothing was changed", err=True)


# ---------------------------------------------------------------- every other CRM

def _apply_target(crm: str, file: str, fmt: str, output_path: str | None,
                  base_url: str | None, credentials_file: str | None, yes: bool,
                  allow_delete: bool, color: str) -> None:
    import os

    from ..export.deploy import TARGETS, Connection, load_target

    if crm not in TARGETS:
        raise click.UsageError(f"apply --to {crm} is not available in this build")
    spec, opener = load_target(crm)
    secret = _secret(spec.secret_env, credentials_file,
                     f"set {spec.secret_env} to {spec.secret_words}, or give "
                     "--credentials-file; it is read from the environment so it never shows "
                     "in shell history or the process list")
    guard([product_output(fmt, output_path)], [file, credentials_file])
    report: JSONObject | None = {} if fmt == "json" else None
    captured: list[str] | None = [] if fmt == "text" and output_path not in (None, "-") \
        else None
    secrets = [secret]
    try:
        code = _run_target(spec, opener, Connection(secret, base_url), file, yes=yes,
                           allow_delete=allow_delete, color=color, report=report,
                           captured=captured, secrets=secrets)
        if report:
            deliver(output_path, _scrub_all(to_json(report), secrets))
        elif captured:
            deliver(output_path, "".join(f"{line}\n" for line in captured))
    except click.ClickException:
        raise
    except Exception as exc:  # no traceback (and no secret) reaches the user
        if os.environ.get("FUNNELC_DEBUG"):
            raise
        click.echo(_scrub_all(f"error: internal failure: {type(exc).__name__}: {exc}", secrets),
                   err=True)
        code = EXIT_USAGE
    raise SystemExit(code)


def _scrub_all(text: str, secrets: list[str]) -> str:
    from ..export.deploy import scrub

    return scrub(text, secrets)


def _model(file: str, color: str) -> m.FunnelFile | int:
    """The checked model of FILE, or the exit code after printing its errors."""
    from ..api import load_file

    loaded = load_file(file)
    sources = {loaded.source.path: loaded.source} if loaded.source else {}
    if loaded.usage_error:
        print_diagnostics(loaded.diagnostics, sources, "text", use_color(color))
        return EXIT_USAGE
    if not loaded.ok or loaded.model is None:
        print_diagnostics(loaded.errors or loaded.diagnostics, sources, "text", use_color(color))
        return EXIT_PROBLEMS
    return loaded.model


def _run_target(spec: TargetSpec, opener: Callable[[Connection], Target[object, object]],
                connection: Connection, file: str, *, yes: bool, allow_delete: bool,
                color: str, report: JSONObject | None, captured: list[str] | None,
                secrets: list[str]) -> int:
    """Read, plan, print; with `yes` apply step by step (see export/deploy.py)."""
    from ..api import load_file
    from ..diagnostics import Severity
    from ..export.deploy import AuthError, BadAnswer, DeployError, NetworkError, execute
    from ..export.render import deploy_applied_json, deploy_plan_json, deploy_plan_text

    def say(text: str, err: bool = False) -> None:
        text = _scrub_all(text, secrets)
        if captured is not None and not err:
            captured.append(text)
        elif report is None or err:
            click.echo(text, err=err)

    model = _model(file, color)
    if isinstance(model, int):
        return model
    try:
        target = opener(connection)
    except ValueError as exc:
        say(f"error: {exc}", err=True)
        return EXIT_USAGE
    secrets.extend(getattr(target, "secrets", []))
    try:
        diags = target.check(model)
        if any(d.severity is Severity.error for d in diags):
            loaded = load_file(file)
            sources = {loaded.source.path: loaded.source} if loaded.source else {}
            print_diagnostics(diags, sources, "text", use_color(color))
            return EXIT_PROBLEMS
        snapshot = target.read()
        read = target.stats.requests
        plan = target.plan(model, snapshot, allow_delete=allow_delete)
        where = getattr(target, "where", spec.title)
        for line in deploy_plan_text(spec.title, where, target.describe(snapshot), plan, read):
            say(line)
        if report is not None:
            report.update(deploy_plan_json(spec.name, where, plan, read))
        if plan.errors:
            for error in plan.errors:
                say(f"error: {error}", err=True)
            say("  = note: nothing was changed (no request was sent past the reads)", err=True)
            return EXIT_PROBLEMS
        lines = plan.lines()
        if not lines:
            say(f"nothing to do: the {spec.title} account already matches the file")
            return 0
        if not yes:
            say(f"{len(lines)} change(s) planned; nothing was changed: run again with --yes "
                "to apply them")
            return 0
        outcome = execute(target, plan, lambda text: say(text, err=True))
        total = target.stats.requests
        if report is not None:
            report.update(deploy_applied_json(outcome, total, target.stats.retries))
        say(f"applied {len(outcome.applied)} of {len(lines)} change(s) with {total - read} "
            f"requests in {outcome.seconds:.1f} s ({total} requests in all, "
            f"{target.stats.retries} retried)")
        failure = outcome.failure
        if failure is None:
            return 0
        say(f"error: {failure}", err=True)
        if outcome.applied:
            say("  = note: applied: " + "; ".join(outcome.applied), err=True)
        say("  = note: not applied: " + "; ".join(outcome.not_applied), err=True)
        say("  = help: fix the cause and run apply again: it plans only what is still "
            "missing", err=True)
        return EXIT_USAGE if isinstance(failure, (AuthError, NetworkError)) else EXIT_PROBLEMS
    except (AuthError, NetworkError) as exc:
        say(f"error: {exc}", err=True)
        say("  = note: nothing was changed", err=True)
        return EXIT_USAGE
    except BadAnswer as exc:
        say(f"error: {exc}", err=True)
        say("  = note: nothing was changed", err=True)
        return EXIT_PROBLEMS
    except DeployError as exc:
        say(f"error: {exc}", err=True)
        say("  = note: nothing was changed", err=True)
        return EXIT_PROBLEMS
    finally:
        target.close()
