"""What `funnelc export` and `funnelc apply` print or write.

Export: from an exporter's `ExportResult`, the target's own file as it is, its files
for a folder, or all of them as one JSON object (`--format json`). Apply: the account
as read and the plan, as lines and as the JSON of `--format json` (schema
`apply.schema.json`). One place, so the commands only choose between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..jsontypes import JSONObject
from ..numfmt import counted
from .base import ExportResult

if TYPE_CHECKING:  # only their attributes are read: `export` need not load httpx
    from .amocrm_account import Account
    from .amocrm_bundle import Bundle
    from .amocrm_plan import Plan
    from .deploy import ApplyReport
    from .deploy import Plan as DeployPlan
    from .deploy_run import DeployRun

__all__ = ["export_json", "export_files", "export_single", "plan_text", "plan_json",
           "applied_json", "deploy_plan_text", "deploy_plan_json", "deploy_applied_json",
           "Said", "planned_only", "deploy_shown", "deploy_said", "deploy_json"]


class Said(NamedTuple):
    """A line for the terminal: on stdout (the product) or, with `err`, on stderr."""

    text: str
    err: bool = False


def planned_only(changes: int) -> str:
    """The last line of a plan printed without --yes."""
    return (f"{counted(changes, 'change')} planned; nothing was changed: run again with --yes to "
            "apply them")


def export_json(target: str, result: ExportResult) -> JSONObject:
    """Every file of the target by name, in name order, as text (schema
    `export.schema.json`): a folder target fits in one JSON document too."""
    files: JSONObject = {
        name: content if isinstance(content, str) else content.decode("utf-8")
        for name, content in sorted(result.files.items())}
    return {"target": target, "files": files}


def export_files(result: ExportResult) -> dict[str, str | bytes]:
    """The files of a folder target, in name order (the order they are written in)."""
    return dict(sorted(result.files.items()))


def export_single(result: ExportResult) -> str | bytes:
    """The content of a single-file target (the caller checked `result.single`)."""
    (_name, content), = result.files.items()
    return content


def _field_count(account: Account) -> int:
    return sum(len(v) for v in account.fields.values())


def plan_text(url: str, plan: Plan, account: Account, bundle: Bundle, read: int) -> list[str]:
    """The account as read, then one line per change, warning and thing left alone."""
    lines = [f"account {url}: {len(account.pipelines)} pipelines, {_field_count(account)} "
             f"custom fields, {len(account.loss_reasons)} loss reasons (read in {read} "
             "requests)"]
    lines += [f"  {line}" for line in plan.lines()]
    lines += [f"  ! {warning}" for warning in plan.warnings]
    lines += [f"  = leave alone: {kept}" for kept in plan.kept]
    return lines


def plan_json(url: str, plan: Plan, account: Account, bundle: Bundle, read: int) -> JSONObject:
    """The account and the plan, before anything is applied (`applied` false)."""
    return {"account": url, "pipelines": len(account.pipelines),
            "custom_fields": _field_count(account), "loss_reasons": len(account.loss_reasons),
            "read_requests": read, "changes": [*plan.lines()], "warnings": [*plan.warnings],
            "left_alone": [*plan.kept], "errors": [*plan.errors], "applied": False,
            "refused": []}


def applied_json(refused: list[str], requests: int, retries: int) -> JSONObject:
    """What `plan_json` gains once the plan was carried out."""
    return {"applied": True, "refused": [*refused], "requests": requests, "retries": retries}


def deploy_plan_text(title: str, where: str, described: str, plan: DeployPlan[object],
                     read: int) -> list[str]:
    """`apply --to CRM` (export/deploy.py): the account as read, one line per create and
    update, then the deletions apart, warnings, what is left alone and what is by hand."""
    lines = [f"{title} account {where}: {described} (read in {read} requests)"]
    lines += [f"  {step.line}" for step in plan.steps]
    if plan.deletions:
        lines.append("  deletions (--allow-delete):")
        lines += [f"    {step.line}" for step in plan.deletions]
    lines += [f"  ! {warning}" for warning in plan.warnings]
    lines += [f"  = leave alone: {kept}" for kept in plan.left_alone]
    lines += [f"  = by hand: {item}" for item in plan.by_hand]
    return lines


def deploy_plan_json(crm: str, where: str, plan: DeployPlan[object], read: int) -> JSONObject:
    """The plan of `apply --to CRM` before anything is applied (`applied` false)."""
    return {"crm": crm, "account": where, "read_requests": read,
            "changes": [s.line for s in plan.steps],
            "deletions": [s.line for s in plan.deletions],
            "warnings": [*plan.warnings], "left_alone": [*plan.left_alone],
            "by_hand": [*plan.by_hand], "errors": [*plan.errors], "applied": False,
            "refused": []}


def deploy_applied_json(report: ApplyReport, requests: int, retries: int) -> JSONObject:
    """What `deploy_plan_json` gains once the plan was carried out (or stopped)."""
    return {"applied": True, "applied_changes": [*report.applied],
            "not_applied": [*report.not_applied],
            "refused": [str(report.failure)] if report.failure is not None else [],
            "requests": requests, "retries": retries}


def deploy_shown(run: DeployRun) -> list[str]:
    """The plan of a `DeployRun`, printed as soon as it is known (before any change)."""
    assert run.plan is not None
    return deploy_plan_text(run.spec.title, run.where, run.described, run.plan, run.read)


def deploy_said(run: DeployRun) -> list[Said]:
    """Everything after the plan: why nothing was changed, or what was applied and, if
    it stopped, what was not and how to finish."""
    stop = [Said("  = note: nothing was changed", True)]
    if run.stopped is not None:
        return [Said(f"error: {run.stopped}", True), *stop]
    plan = run.plan
    assert plan is not None
    if plan.errors:
        return [*(Said(f"error: {error}", True) for error in plan.errors),
                Said("  = note: nothing was changed (no request was sent past the reads)",
                     True)]
    lines = plan.lines()
    if not lines:
        return [Said(f"nothing to do: the {run.spec.title} account already matches the file")]
    report = run.applied
    if report is None:
        return [Said(planned_only(len(lines)))]
    said = [Said(f"applied {len(report.applied)} of {counted(len(lines), 'change')} with "
                 f"{run.requests - run.read} requests in {report.seconds:.1f} s "
                 f"({run.requests} requests in all, {run.retries} retried)")]
    if report.failure is None:
        return said
    said.append(Said(f"error: {report.failure}", True))
    if report.applied:
        said.append(Said("  = note: applied: " + "; ".join(report.applied), True))
    said.append(Said("  = note: not applied: " + "; ".join(report.not_applied), True))
    said.append(Said("  = help: fix the cause and run apply again: it plans only what is "
                     "still missing", True))
    return said


def deploy_json(run: DeployRun) -> JSONObject:
    """`--format json` of a `DeployRun`: empty when it stopped before a plan (the error
    went to stderr), the plan, and what was applied once it was."""
    if run.plan is None:
        return {}
    out = deploy_plan_json(run.spec.name, run.where, run.plan, run.read)
    if run.applied is not None:
        out.update(deploy_applied_json(run.applied, run.requests, run.retries))
    return out
