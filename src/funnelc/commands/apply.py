"""`funnelc apply amocrm FILE --subdomain S [--yes] [--prune] [--base-url URL]`.

Without `--yes` it only reads the account and prints the plan. The token comes from the
environment (AMOCRM_TOKEN) so it never lands in shell history, and it is scrubbed from
anything this command prints, errors included.

Exit codes: 0 done (or plan printed), 1 the file has errors / amoCRM cannot hold it /
amoCRM refused a change, 2 usage, token or rights problems, network failure.
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
    from ..export.amocrm_account import Account
    from ..export.amocrm_bundle import Bundle
    from ..export.amocrm_plan import Plan
    from ..jsontypes import JSONObject

TOKEN_ENV = "AMOCRM_TOKEN"


@click.command("apply")
@click.argument("crm", type=click.Choice(["amocrm"]), metavar="CRM")
@click.argument("file", type=click.Path(allow_dash=True))
@stack(output_options(what=" (json: the account read, the plan and what was applied; "
                           "schema apply.schema.json)"))
@click.option("--subdomain", metavar="S", help="Account subdomain: S.amocrm.ru.")
@click.option("--base-url", metavar="URL",
              help="API root instead of https://S.amocrm.ru (https; plain http only to a "
                   "loopback address).")
@click.option("--yes", is_flag=True, help="Carry the plan out (without it: only print the plan).")
@click.option("--prune", is_flag=True,
              help="Also delete statuses, pipelines and custom fields the file does not have.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def apply_command(crm: str, file: str, fmt: str, output_path: str | None,
                  subdomain: str | None, base_url: str | None, yes: bool, prune: bool,
                  color: str) -> None:
    """Plan and apply FILE to a live CRM account (CRM: amocrm).

    Reads the account (pipelines, statuses, custom fields of deals, contacts and
    companies), prints what would change — create pipeline, add status, rename status,
    create field, set a field's required statuses — and changes it only with --yes.
    Nothing is deleted unless --prune. The token is read from AMOCRM_TOKEN (a long-lived
    token of an account administrator).
    """
    import os

    token = (os.environ.get(TOKEN_ENV) or "").strip()
    if not token:
        raise click.UsageError(f"set {TOKEN_ENV} to an amoCRM access token (an account "
                               "administrator's long-lived token: amoCRM → Settings → "
                               "Integrations); it is read from the environment so it never "
                               "shows in shell history or the process list")
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise click.UsageError(f"{TOKEN_ENV} holds characters an access token cannot have "
                               "(spaces, line breaks or non-ASCII)")
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
    guard([product_output(fmt, output_path)], [file])
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
