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

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import click

from ..numfmt import counted
from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color
from .convention import deliver, output_options, product_output, to_json
from .output import guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..api import Loaded
    from ..diagnostics import Diagnostic
    from ..export.amocrm_bundle import Bundle
    from ..export.deploy import Connection, Target, TargetSpec
    from ..export.render import Said
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
    crm, file = _crm_and_file(crm, file, legacy_file)
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
    url = _amocrm_url(base_url, subdomain)
    _deliver(fmt, output_path, [file, credentials_file], [token],
             lambda say: _run(file, url, token, yes=yes, prune=prune, color=color, say=say))


def _crm_and_file(crm: str | None, file: str, legacy_file: str | None) -> tuple[str, str]:
    """The CRM and the FILE, from `--to` or the old spelling `apply amocrm FILE`."""
    if legacy_file is not None:
        if file not in CRMS:
            raise click.UsageError(f"got two files ({file}, {legacy_file}): give one FILE and "
                                   "the CRM with --to")
        if crm is not None and crm != file:
            raise click.UsageError(f"`apply {file} FILE` and `--to {crm}` name two CRMs")
        crm, file = file, legacy_file
    return crm or "amocrm", file


def _amocrm_url(base_url: str | None, subdomain: str | None) -> str:
    """The amoCRM API root from --base-url or --subdomain (one is required)."""
    from ..export.amocrm_client import check_base_url, default_base_url

    try:
        if base_url is not None:
            return check_base_url(base_url)
        if subdomain is not None:
            return default_base_url(subdomain)
    except ValueError as exc:
        raise click.BadParameter(str(exc),
                                 param_hint="--base-url" if base_url else "--subdomain") from None
    raise click.UsageError("give --subdomain S (for S.amocrm.ru) or --base-url URL")


class _Say:
    """Where a run's lines go: stdout lines to the terminal, or kept for `-o`, or (with
    `--format json`) left out in favour of `report`; stderr lines always to stderr.
    Every line is scrubbed of the secrets first, including those a target adds."""

    def __init__(self, fmt: str, output_path: str | None, secrets: list[str]) -> None:
        self.secrets = secrets
        self.report: JSONObject | None = {} if fmt == "json" else None
        self.captured: list[str] | None = \
            [] if fmt == "text" and output_path not in (None, "-") else None

    def __call__(self, text: str, err: bool = False) -> None:
        text = _scrub(text, self.secrets)
        if self.captured is not None and not err:
            self.captured.append(text)
        elif self.report is None or err:
            click.echo(text, err=err)

    def err(self, text: str) -> None:
        self(text, err=True)

    def all(self, lines: Iterable[str | Said]) -> None:
        for line in lines:
            if isinstance(line, str):
                self(line)
            else:
                self(line.text, line.err)


def _deliver(fmt: str, output_path: str | None, inputs: list[str | None], secrets: list[str],
             run: Callable[[_Say], int]) -> None:
    """Run with the output guarded, then write what was kept for -o or the JSON report;
    no traceback (and no secret) reaches the user. Exits with the run's code."""
    import os

    guard([product_output(fmt, output_path)], inputs)
    say = _Say(fmt, output_path, secrets)
    try:
        code = run(say)
        if say.report:
            deliver(output_path, _scrub(to_json(say.report), secrets))
        elif say.captured:
            deliver(output_path, "".join(f"{line}\n" for line in say.captured))
    except click.ClickException:
        raise
    except Exception as exc:
        if os.environ.get("FUNNELC_DEBUG"):
            raise
        click.echo(_scrub(f"error: internal failure: {type(exc).__name__}: {exc}", secrets),
                   err=True)
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


def _scrub(text: str, secrets: list[str]) -> str:
    """Belt and braces: nothing printed should hold a secret (`deploy.scrub`)."""
    from ..export.deploy import scrub

    return scrub(text, secrets)


def _run(file: str, url: str, token: str, *, yes: bool, prune: bool, color: str,
         say: _Say) -> int:
    """Plan (and with `yes` apply); the account, the plan and the outcome are said
    (`_Say` sends them to the terminal, to -o or, for `--format json`, to its report)."""
    from ..export.amocrm_apply import execute, plan_for
    from ..export.amocrm_client import AmoApiError, AmoAuthError, AmoClient, AmoError
    from ..export.render import Said, applied_json, plan_json, plan_text, planned_only

    bundle = _bundle(file, color)
    if isinstance(bundle, int):
        return bundle
    started = False
    try:
        with AmoClient(url, token) as client:
            plan, account = plan_for(client, bundle, prune=prune)
            read = client.stats.requests
            say.all(plan_text(url, plan, account, bundle, read))
            if say.report is not None:
                say.report.update(plan_json(url, plan, account, bundle, read))
            lines = plan.lines()
            if plan.errors:
                say.all(Said(f"error: {error}", True) for error in plan.errors)
                say.err("nothing was changed")
                return EXIT_PROBLEMS
            if not lines:
                say("nothing to do: the account already matches the file")
                return 0
            if not yes:
                say(planned_only(len(lines)))
                return 0
            started = True
            refused, seconds = execute(client, plan, say.err)
            total = client.stats.requests
            if say.report is not None:
                say.report.update(applied_json([str(r) for r in refused], total,
                                               client.stats.retries))
            say(f"applied {counted(len(lines) - len(refused), 'change')} with {total - read} requests "
                f"in {seconds:.1f} s ({total} requests in all, {client.stats.retries} retried)")
            say.all(Said(f"error: {item}", True) for item in refused)
            return EXIT_PROBLEMS if refused else 0
    except AmoError as exc:
        say.err(f"error: {exc}")
        if isinstance(exc, AmoAuthError):
            return EXIT_USAGE
        say.err("  = note: the changes before this one were made; fix the cause and run "
                "apply again: it plans only what is still missing" if started
                else "  = note: nothing was changed")
        return EXIT_PROBLEMS if isinstance(exc, AmoApiError) else EXIT_USAGE


def _load(file: str, color: str) -> Loaded | int:
    """FILE loaded and checked, or the exit code after printing its errors."""
    from ..api import load_file

    loaded = load_file(file)
    if loaded.usage_error:
        _print(loaded, loaded.diagnostics, color)
        return EXIT_USAGE
    if not loaded.ok or loaded.model is None:
        _print(loaded, loaded.errors or loaded.diagnostics, color)
        return EXIT_PROBLEMS
    return loaded


def _print(loaded: Loaded, diags: list[Diagnostic], color: str) -> None:
    sources = {loaded.source.path: loaded.source} if loaded.source else {}
    print_diagnostics(diags, sources, "text", use_color(color))


def _bundle(file: str, color: str) -> Bundle | int:
    """What amoCRM should hold, built from FILE; or the exit code after printing why
    it cannot be (errors in the file, or what amoCRM cannot hold)."""
    from ..diagnostics import Severity
    from ..export.amocrm import build_bundle

    loaded = _load(file, color)
    if isinstance(loaded, int):
        return loaded
    assert loaded.model is not None
    bundle, diags = build_bundle(loaded.model)
    if any(d.severity is Severity.error for d in diags):
        _print(loaded, diags, color)
        return EXIT_PROBLEMS
    return bundle


# ---------------------------------------------------------------- every other CRM

def _apply_target(crm: str, file: str, fmt: str, output_path: str | None,
                  base_url: str | None, credentials_file: str | None, yes: bool,
                  allow_delete: bool, color: str) -> None:
    from ..export.deploy import TARGETS, Connection, load_target

    if crm not in TARGETS:
        raise click.UsageError(f"apply --to {crm} is not available in this build")
    spec, opener = load_target(crm)
    secret = _secret(spec.secret_env, credentials_file,
                     f"set {spec.secret_env} to {spec.secret_words}, or give "
                     "--credentials-file; it is read from the environment so it never shows "
                     "in shell history or the process list")
    _deliver(fmt, output_path, [file, credentials_file], [secret],
             lambda say: _run_target(spec, opener, Connection(secret, base_url), file,
                                     yes=yes, allow_delete=allow_delete, color=color, say=say))


def _run_target(spec: TargetSpec, opener: Callable[[Connection], Target[object, object]],
                connection: Connection, file: str, *, yes: bool, allow_delete: bool,
                color: str, say: _Say) -> int:
    """Read, plan, print; with `yes` apply step by step (`export.deploy_run`)."""
    from ..export.deploy_run import run_deploy
    from ..export.render import deploy_json, deploy_said, deploy_shown

    loaded = _load(file, color)
    if isinstance(loaded, int):
        return loaded
    assert loaded.model is not None
    try:
        target = opener(connection)
    except ValueError as exc:
        say.err(f"error: {exc}")
        return EXIT_USAGE
    say.secrets.extend(target.secrets)
    run = run_deploy(spec, target, loaded.model, yes=yes, allow_delete=allow_delete,
                     shown=lambda run: say.all(deploy_shown(run)), progress=say.err)
    if run.refusals:
        _print(loaded, run.refusals, color)
    else:
        say.all(deploy_said(run))
    if say.report is not None:
        say.report.update(deploy_json(run))
    return run.exit_code
