"""The export panel: every export target's output for download (what `funnelc export
--to T` writes), and the amoCRM plan for the account (what `funnelc apply` prints
without `--yes`).

The plan reads the live account with the credentials of the server's environment
(`AMOCRM_TOKEN` and `AMOCRM_BASE_URL` or `AMOCRM_SUBDOMAIN`): the page never sees or
sends a token. Applying needs the page's explicit confirmation *and* those
credentials, and carries out a plan made afresh at that moment (the same two phases and
stop-at-first-failure as `apply --yes`).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from .. import model as m
from ..diagnostics import Severity
from ..export.registry import available, get_exporter

__all__ = ["Target", "ExportFile", "Exported", "AmoPlan", "ExportError", "targets", "export",
           "amocrm_plan", "TOKEN_ENV"]

TOKEN_ENV = "AMOCRM_TOKEN"
BASE_URL_ENV = "AMOCRM_BASE_URL"
SUBDOMAIN_ENV = "AMOCRM_SUBDOMAIN"


class ExportError(ValueError):
    """What the page asked cannot be done (unknown target, missing credentials, a CRM
    that refused); the message says what to do."""


@dataclass(frozen=True)
class Target:
    name: str
    description: str


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    text: str | None
    base64: str | None
    """Binary content (none of today's targets write any), base64-encoded."""


@dataclass(frozen=True)
class Exported:
    target: str
    files: tuple[ExportFile, ...]
    problems: tuple[str, ...]
    """What the target cannot hold (errors) or will treat differently (warnings)."""


@dataclass(frozen=True)
class AmoPlan:
    account: str
    lines: tuple[str, ...]
    changes: int
    errors: tuple[str, ...]
    applied: bool = False
    refused: tuple[str, ...] = ()


def targets() -> list[Target]:
    return [Target(name, get_exporter(name).description) for name in available()]


_MEDIA = {".json": "application/json", ".md": "text/markdown", ".html": "text/html",
          ".mmd": "text/plain", ".dot": "text/vnd.graphviz", ".xml": "application/xml"}


def export(funnel: m.FunnelFile, target: str) -> Exported:
    if target not in available():
        raise ExportError(f"no export target `{target}`; the targets are "
                          + ", ".join(available()))
    result = get_exporter(target).export(funnel)
    files = []
    for name, content in sorted(result.files.items()):
        media = _MEDIA.get(os.path.splitext(name)[1], "text/plain")
        if isinstance(content, bytes):
            files.append(ExportFile(name, "application/octet-stream", None,
                                    base64.b64encode(content).decode("ascii")))
        else:
            files.append(ExportFile(name, media, content, None))
    problems = tuple(f"{d.severity.value}: {d.message}" for d in result.diagnostics
                     if d.severity in (Severity.error, Severity.warning))
    if any(d.severity is Severity.error for d in result.diagnostics):
        files = []  # what the CRM cannot hold is not offered half-made
    return Exported(target, tuple(files), problems)


def _credentials() -> tuple[str, str]:
    from ..export.amocrm_client import check_base_url, default_base_url

    token = os.environ.get(TOKEN_ENV, "").strip()
    base = os.environ.get(BASE_URL_ENV, "").strip()
    sub = os.environ.get(SUBDOMAIN_ENV, "").strip()
    if not token or not (base or sub):
        raise ExportError(f"set {TOKEN_ENV} and {BASE_URL_ENV} (or {SUBDOMAIN_ENV}) in the "
                          "environment of `funnelc serve` and restart it: the page never "
                          "asks for a token")
    try:
        return (check_base_url(base) if base else default_base_url(sub)), token
    except ValueError as exc:
        raise ExportError(str(exc)) from None


def amocrm_plan(funnel: m.FunnelFile, apply: bool = False) -> AmoPlan:
    """Read the account and plan; with `apply` (the page's confirmation) carry it out."""
    from ..export.amocrm import build_bundle
    from ..export.amocrm_apply import execute, plan_for
    from ..export.amocrm_client import AmoClient, AmoError
    from ..export.render import plan_text

    url, token = _credentials()
    bundle, diags = build_bundle(funnel)
    errors = [d.message for d in diags if d.severity is Severity.error]
    if errors:
        return AmoPlan(url, (), 0, tuple(errors))
    try:
        with AmoClient(url, token) as client:
            plan, account = plan_for(client, bundle, prune=False)
            lines = tuple(plan_text(url, plan, account, bundle, client.stats.requests))
            changes = len(plan.lines())
            if plan.errors or not apply or changes == 0:
                return AmoPlan(url, lines, changes, tuple(str(e) for e in plan.errors))
            refused, _ = execute(client, plan, lambda text: None)
            return AmoPlan(url, lines, changes, (), applied=True,
                           refused=tuple(str(r) for r in refused))
    except AmoError as exc:
        raise ExportError(str(exc).replace(token, "***")) from None
