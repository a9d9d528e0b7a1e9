"""Export targets by name → the module that implements them (imported lazily). Each
module exposes `EXPORTER`, an object following `export.base.Exporter`."""

from __future__ import annotations

import importlib
from typing import cast

from .base import Exporter

TARGETS: dict[str, str] = {
    "amocrm": "funnelc.export.amocrm",
    "bitrix24": "funnelc.export.bitrix24",
    "pipedrive": "funnelc.export.pipedrive",
    "hubspot": "funnelc.export.hubspot",
    "salesforce": "funnelc.export.salesforce",
    "salesforce-sfdx": "funnelc.export.salesforce",
    "mermaid": "funnelc.export.mermaid",
    "dot": "funnelc.export.dot",
    "playbook-md": "funnelc.export.playbook",
    "playbook-html": "funnelc.export.playbook",
    "json": "funnelc.export.json_model",
}


def available() -> list[str]:
    """Targets whose module exists in this installation."""
    import importlib.util

    out = []
    for name, module in TARGETS.items():
        try:
            if importlib.util.find_spec(module) is not None:
                out.append(name)
        except ModuleNotFoundError:
            continue
    return out


def get_exporter(name: str) -> Exporter:
    module = importlib.import_module(TARGETS[name])
    exporters = getattr(module, "EXPORTERS", None)
    # The module is chosen by name at run time: its EXPORTER(S) are Any to the checker.
    if exporters is not None:
        return cast(Exporter, exporters[name])
    return cast(Exporter, module.EXPORTER)
