"""What `funnelc export` prints or writes, from an exporter's `ExportResult`: the
target's own file as it is, its files for a folder, or all of them as one JSON object
(`--format json`). One place, so the command only chooses between them."""

from __future__ import annotations

from ..jsontypes import JSONObject
from .base import ExportResult

__all__ = ["export_json", "export_files", "export_single"]


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
