"""`--to json`: the typed model itself, valid against `funnelc schema`. For tools that
want the account as data without parsing the funnel language."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..model import FunnelFile
from .base import ExportResult


@dataclass(frozen=True)
class JsonModelExporter:
    name: str = "json"
    description: str = "the typed model as JSON (see `funnelc schema`)"
    folder: bool = False

    def export(self, funnel: FunnelFile) -> ExportResult:
        data = funnel.model_dump(mode="json")
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        return ExportResult(files={"funnel.json": text})


EXPORTER = JsonModelExporter()
