"""What `funnelc import` says besides the funnel text itself: a line per unknown key,
the JSON of `--format json` (schema `import.schema.json`) and the one-line summary.
The funnel text is `importers.amocrm.render`'s; this module holds the rest, so the
command only decides where each goes."""

from __future__ import annotations

from ..jsontypes import JSON, JSONObject
from .amocrm import Imported, UnknownKey

__all__ = ["unknown_line", "import_json", "import_summary"]


def unknown_line(u: UnknownKey) -> str:
    """`FILE: PATH: unknown key …`, naming how many places are like it."""
    more = (f" (and {u.count - 1} more like it: {u.pattern})" if u.count > 1 else "")
    return f"{u.file}: {u.path}: unknown key, not in amoCRM's documented answer{more}"


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
        "warnings": [*map(unknown_line, imported.unknown_keys), *imported.warnings]}


def import_summary(imported: Imported, output: str | None, reasons_given: bool) -> str:
    """`imported N pipeline(s) …; next: funnelc check FILE` (stderr, unless -q)."""
    funnel = imported.funnel
    reasons = f", {len(imported.loss_reasons)} loss reason(s)" if reasons_given else ""
    return (f"imported {len(funnel.pipelines)} pipeline(s), {imported.stage_count} stage(s), "
            f"{len(funnel.fields)} field(s){reasons}; next: "
            f"funnelc check {output if output not in (None, '-') else 'FILE'}")
