"""One `funnelc import`: a CRM's answers (saved files, or answers the command read live)
turned into funnel text, proved to parse back. The command parses options, calls
`run_import` and hands the `ImportRun` to `importers.render`.

amoCRM reads its answers from named files (PIPELINES.json, --fields, --statuses,
--loss-reasons); every other CRM has one module in `IMPORTERS` with
`import_files(paths, out_path)` and `import_answers(answers, out_path)`."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .amocrm import Imported

if TYPE_CHECKING:
    from ..jsontypes import JSON

__all__ = ["IMPORTERS", "ImportRequest", "ImportRun", "run_import", "ImportNotProved"]

IMPORTERS: dict[str, str] = {
    "bitrix24": "funnelc.importers.bitrix24",
    "pipedrive": "funnelc.importers.pipedrive",
    "hubspot": "funnelc.importers.hubspot",
    "salesforce": "funnelc.importers.salesforce",
}
"""CRM → the importer module (imported only when used); amoCRM is `importers.amocrm`."""


class ImportNotProved(RuntimeError):
    """The rendered text did not parse back: a defect of the importer, not of the input
    (a name the language cannot hold would otherwise leave the user a file they cannot
    open)."""


@dataclass(frozen=True)
class ImportRequest:
    crm: str
    answers: tuple[str, ...] = ()
    """Saved answer files (amoCRM: the one PIPELINES.json)."""
    fields: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    loss_reasons: tuple[str, ...] = ()
    """amoCRM's other answers, by kind."""
    live: dict[str, JSON] | None = None
    """The answers read from the account, when no file is given (not amoCRM)."""
    out_path: str = "<stdout>"
    """Where the funnel goes, as its header and warnings name it."""
    strict: bool = False
    """Refuse answers with keys the CRM's documented answers do not have."""


@dataclass(frozen=True)
class ImportRun:
    """The funnel text and what was imported; `refused` when `strict` met unknown keys
    (then nothing is to be written)."""

    crm: str
    text: str
    imported: Imported
    refused: bool = False
    reasons_given: bool = False
    """Whether the summary counts loss reasons (amoCRM: --loss-reasons was given)."""


def run_import(request: ImportRequest) -> ImportRun:
    """Read, build, render and prove. Raises `JsonProblem` (located) for an answer that
    cannot be read as the CRM's documented one."""
    text: str
    imported: Imported
    if request.crm == "amocrm":
        from .amocrm import import_files

        text, imported = import_files(request.answers[0], request.fields, request.statuses,
                                      request.loss_reasons, out_path=request.out_path)
        reasons_given = bool(request.loss_reasons)
    else:
        module = importlib.import_module(IMPORTERS[request.crm])
        if request.answers or request.live is None:
            text, imported = module.import_files(request.answers, out_path=request.out_path)
        else:
            text, imported = module.import_answers(request.live, out_path=request.out_path)
        reasons_given = bool(imported.loss_reasons)
    if request.strict and imported.unknown_keys:
        return ImportRun(request.crm, text, imported, refused=True, reasons_given=reasons_given)
    _prove(text)
    return ImportRun(request.crm, text, imported, reasons_given=reasons_given)


def _prove(text: str) -> None:
    from ..api import load_text

    loaded = load_text(text, "<import>", checks=False)
    if loaded.model is None:
        raise ImportNotProved("the imported account did not render as valid funnel text: "
                              + "; ".join(d.message for d in loaded.diagnostics[:3]))
