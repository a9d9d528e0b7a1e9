"""What `funnelc export` and `funnelc apply` print or write.

Export: from an exporter's `ExportResult`, the target's own file as it is, its files
for a folder, or all of them as one JSON object (`--format json`). Apply: the account
as read and the plan, as lines and as the JSON of `--format json` (schema
`apply.schema.json`). One place, so the commands only choose between them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..jsontypes import JSONObject
from .base import ExportResult

if TYPE_CHECKING:  # only their attributes are read: `export` need not load httpx
    from .amocrm_account import Account
    from .amocrm_bundle import Bundle
    from .amocrm_plan import Plan

__all__ = ["export_json", "export_files", "export_single", "plan_text", "plan_json",
           "applied_json"]


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
    """The account as read, then one line per change, warning, thing left alone and
    loss reason to create by hand."""
    lines = [f"account {url}: {len(account.pipelines)} pipelines, {_field_count(account)} "
             f"custom fields (read in {read} requests)"]
    lines += [f"  {line}" for line in plan.lines()]
    lines += [f"  ! {warning}" for warning in plan.warnings]
    lines += [f"  = leave alone: {kept}" for kept in plan.kept]
    reasons = bundle["loss_reasons"]
    if reasons:
        lines.append(f"  = by hand: {len(reasons)} loss reason(s) in amoCRM's settings (apply "
                     "cannot create them): " + ", ".join(f"`{r}`" for r in reasons))
    return lines


def plan_json(url: str, plan: Plan, account: Account, bundle: Bundle, read: int) -> JSONObject:
    """The account and the plan, before anything is applied (`applied` false)."""
    return {"account": url, "pipelines": len(account.pipelines),
            "custom_fields": _field_count(account), "read_requests": read,
            "changes": [*plan.lines()], "warnings": [*plan.warnings],
            "left_alone": [*plan.kept], "by_hand_loss_reasons": [*bundle["loss_reasons"]],
            "errors": [*plan.errors], "applied": False, "refused": []}


def applied_json(refused: list[str], requests: int, retries: int) -> JSONObject:
    """What `plan_json` gains once the plan was carried out."""
    return {"applied": True, "refused": [*refused], "requests": requests, "retries": retries}
