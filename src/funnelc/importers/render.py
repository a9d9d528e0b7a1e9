"""What `funnelc import` says besides the funnel text itself: a line per unknown key,
the JSON of `--format json` (schema `import.schema.json`) and the one-line summary.
The funnel text is `importers.amocrm.render`'s; this module holds the rest, so the
command only decides where each goes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .amocrm import Imported, UnknownKey

if TYPE_CHECKING:
    from .json_input import JsonProblem
    from .run import ImportRun

__all__ = ["unknown_line", "import_json", "import_summary", "import_warnings",
           "import_refusal", "problem_lines"]


CRM_NAMES = {"amocrm": "amoCRM", "bitrix24": "Bitrix24"}
"""How the unknown-key lines name the CRM whose documented answers were checked."""


def unknown_line(u: UnknownKey, crm: str = "amocrm") -> str:
    """`FILE: PATH: unknown key …`, naming how many places are like it."""
    more = (f" (and {u.count - 1} more like it: {u.pattern})" if u.count > 1 else "")
    return (f"{u.file}: {u.path}: unknown key, not in {CRM_NAMES.get(crm, crm)}'s "
            f"documented answer{more}")


def import_json(crm: str, text: str, imported: Imported) -> JSONObject:
    """The funnel text with what was imported, the unknown keys and every warning
    (unknown keys first, as the command prints them)."""
    funnel = imported.funnel
    unknown: list[JSON] = [{"file": u.file, "path": u.path, "pattern": u.pattern,
                            "count": u.count} for u in imported.unknown_keys]
    return {
        "crm": crm, "funnel": text, "pipelines": len(funnel.pipelines),
        "stages": imported.stage_count, "fields": len(funnel.fields),
        "loss_reasons": [*imported.loss_reasons],
        "unknown_keys": unknown,
        "warnings": [*(unknown_line(u, crm) for u in imported.unknown_keys),
                     *imported.warnings]}


def import_summary(imported: Imported, output: str | None, reasons_given: bool) -> str:
    """`imported 2 pipelines, 9 stages …; next: funnelc check FILE` (stderr, unless -q)."""
    funnel = imported.funnel
    reasons = f", {counted(len(imported.loss_reasons), 'loss reason')}" if reasons_given else ""
    return (f"imported {counted(len(funnel.pipelines), 'pipeline')}, "
            f"{counted(imported.stage_count, 'stage')}, "
            f"{counted(len(funnel.fields), 'field')}{reasons}; next: "
            f"funnelc check {output if output not in (None, '-') else 'FILE'}")


def import_warnings(run: ImportRun, silence_unknown: bool) -> list[str]:
    """The stderr lines of an import that went through: unknown keys (unless silenced,
    with why they do not matter), then what was changed to fit the language."""
    lines: list[str] = []
    if run.imported.unknown_keys and not silence_unknown:
        lines += [f"warning: {unknown_line(u, run.crm)}" for u in run.imported.unknown_keys]
        lines.append("  = help: funnelc does not read them, so the import is complete; "
                     "--strict refuses such answers")
    return lines + [f"warning: {warning}" for warning in run.imported.warnings]


def import_refusal(run: ImportRun) -> list[str]:
    """The stderr lines of an import `--strict` refused (nothing written)."""
    return [*(f"error: {unknown_line(u, run.crm)}" for u in run.imported.unknown_keys),
            "  = help: funnelc does not read these keys; without --strict they are "
            "warnings and the import goes on"]


def problem_lines(exc: JsonProblem) -> list[str]:
    """An answer that could not be read: where and why, and a hint when there is one."""
    return [f"error: {exc}", *([f"  = help: {exc.hint}"] if exc.hint else [])]
