"""`--to bitrix24`: the REST calls that build the account's deal pipelines in Bitrix24
(`bitrix24.json`, JSON Schema `export/schemas/bitrix24.schema.json`).

Contract: research note `crm-formats.md` §2. Bitrix24 has no "create a pipeline with its
stages" call: a pipeline is a deal category (`crm.category.add`, entityTypeId 2) and each
stage a `crm.status.add` in the category's stage list `DEAL_STAGE_{id}`. The main
pipeline is the portal's default pipeline (category 0, list `DEAL_STAGE`). Ids exist only
after creation, so later calls carry `{placeholders}` (see `crm_common`).

Every deal stage list already holds system stages that REST cannot create or (without
force) delete: `NEW` (where new deals land: the first stage), `WON` (the only success
stage, semantics `S`) and `LOSE` (failure, `F`), with the documented SORT 10 / 60 / 70,
and non-system defaults (`PREPARATION`, `PREPAYMENT_INVOICE`, `EXECUTING`,
`FINAL_INVOICE`, `APOLOGY`). Bitrix24 requires in-progress < success < failure by SORT
and refuses to add an in-progress stage after the success stage, so per pipeline the
calls

1. look up `LOSE`, `WON` and `NEW` (`crm.status.list` by STATUS_ID; `C{id}:` prefixed
   in a category, as `crm.status.entity.types` reports them) and move LOSE, then WON,
   above every stage to come (`crm.status.update`, SORT);
2. make `NEW` the file's first stage (NAME, SORT 10, COLOR) — it keeps the code `NEW`;
3. add the other stages (semantics `""`, SORT 20, 30, …, then WON, then LOSE);
4. add one failure stage (`F`) per `lost "reason"` after LOSE (Bitrix24 allows several;
   they are where a manager closes a deal as lost for that reason).

STATUS_IDs: at most 22 characters from `[A-Za-z0-9_-]` (documented for `DEAL_STAGE`);
inside a category Bitrix24 prepends `C{id}:` and the documentation only says the limit
"depends on the pipeline identifier", so category codes keep to 22 − len("C999:") = 17
characters (conservative: category ids up to three digits). Codes are the name
transliterated (`crm_common.code_stem`), upper-cased, cut to the limit and made unique
in their list with `_2`, `_3`… (the default stages' codes count as taken). A lost
reason's code is `LOST_` + its stem (`LOST` when nothing is left).

Diagnostics (errors; nothing is written):

FN320–FN322, defined with their meanings in `funnelc.codes` (the error-code pages of
the docs are generated from there).

What REST cannot do is listed under `manual_steps`: deleting the default stages, deal
fields and stage-dependent required fields (no REST method configures them), robots for
on-enter tasks and messages, SLA timers and `respond` limits (robots are placed in the
UI), stage hints (a Bitrix24 stage has no description) and `patience` (managers close
the deals whose client gave up). The first
`phone` and `email` field of contacts and of companies are Bitrix24's built-in multiple
fields PHONE and EMAIL (`crm.multifield.fields`), as they are amoCRM's, Pipedrive's and
HubSpot's built-in ones: nothing is created for them (a user field beside them would
leave managers two phone fields, the requirement on the empty one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Severity
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .base import ExportResult
from .crm_common import (
    PLACEHOLDER_RULE,
    blank_name,
    builtin_fields,
    code_stem,
    language,
    lost_reasons,
    stage_by_hand,
)

__all__ = ["EXPORTER", "build_calls", "MAX_STATUS_ID", "CATEGORY_STATUS_ID", "NAME_LIMIT",
           "DEFAULT_STAGE_CODES", "status_code", "BUILTIN_ENTITIES", "builtin_multifields"]

FORMAT = "funnelc/bitrix24-calls"
FILE_NAME = "bitrix24.json"
MAX_STATUS_ID = 22
CATEGORY_PREFIX_RESERVE = len("C999:")
CATEGORY_STATUS_ID = MAX_STATUS_ID - CATEGORY_PREFIX_RESERVE
NAME_LIMIT = 255
DEFAULT_STAGE_CODES = ("NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING",
                       "FINAL_INVOICE", "WON", "LOSE", "APOLOGY")
"""Codes a deal stage list starts with (documented `crm.status.list` answer)."""
REMOVABLE_DEFAULTS = ("PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE",
                      "APOLOGY")
PLACEHOLDER_FIELDS = ["params.id", "params.fields.ENTITY_ID", "params.filter.ENTITY_ID",
                      "params.filter.STATUS_ID"]

BUILTIN_ENTITIES = frozenset({m.Entity.contact, m.Entity.company})
"""Records with Bitrix24's built-in multiple fields PHONE and EMAIL (crm.multifield.fields:
"in leads, contacts and companies these are PHONE, EMAIL, WEB and IM"); deals have none."""


def builtin_multifields(funnel: m.FunnelFile) -> dict[tuple[m.Entity, str], str]:
    """(entity, field name) → `PHONE`/`EMAIL`: the file's first phone and email field of
    contacts and of companies *are* Bitrix24's built-in multiple fields (nothing is
    created, as in amoCRM, Pipedrive and HubSpot)."""
    return builtin_fields(funnel, BUILTIN_ENTITIES)


# Pleasant, distinct colours for in-progress stages (Bitrix24 accepts any hex).
PROGRESS_COLORS = ["#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#7BD500", "#FFA900",
                   "#FFCA00", "#F7A700", "#BBED21", "#00C4FB"]
FAILURE_COLOR = "#FF5752"


def status_code(name: str, lang: str | None) -> str:
    """Upper-case ASCII STATUS_ID stem of a name; empty when nothing is left."""
    return code_stem(name, lang).upper()


def _unique(code: str, used: set[str], limit: int) -> str:
    base = code[:limit].rstrip("_")
    candidate = base
    n = 2
    while candidate in used:
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)].rstrip("_") + suffix
        n += 1
    used.add(candidate)
    return candidate


def _error(code: str, message: str, path: str, span: m.Span, label: str, help: str) -> Diagnostic:
    return Diagnostic(code, Severity.error, message, path, span, label, help=help)


@dataclass
class _Pipeline:
    """Calls for one pipeline, built in the order Bitrix24 accepts them."""

    funnel: m.FunnelFile
    pipe: m.Pipeline
    index: int
    calls: list[JSON]
    manual: list[str]
    diags: list[Diagnostic]

    def build(self) -> None:
        pipe, lang = self.pipe, language(self.funnel)
        path = self.funnel.path
        first_note = len(self.manual)
        for name, what in [(pipe.name, "pipeline")] + [(s.name, "stage") for s in pipe.stages]:
            d = blank_name(codes.FN322, "Bitrix24", name, what, path)
            if d is not None:
                self.diags.append(d)
        if len(pipe.name.value) > NAME_LIMIT:
            self.diags.append(_error(
                codes.FN320, f"pipeline name is {len(pipe.name.value)} characters: Bitrix24 "
                f"holds at most {NAME_LIMIT}", path, pipe.name.span, "too long for Bitrix24",
                "shorten the pipeline name"))
        if pipe.main:
            ref, entity, prefix, limit = "default", "DEAL_STAGE", "", MAX_STATUS_ID
            where = "the default pipeline"
        else:
            ref = f"category_{self.index}"
            self.calls.append({
                "id": ref, "method": "crm.category.add",
                # No `isDefault`: crm-category-add.md says it is not available for deals.
                "params": {"entityTypeId": 2, "fields": {
                    "name": pipe.name.value, "sort": (self.index + 1) * 100}},
                "returns": "result.category.id"})
            entity, prefix, limit = f"DEAL_STAGE_{{{ref}}}", f"C{{{ref}}}:", CATEGORY_STATUS_ID
            where = "the new category"
        n = len(pipe.stages)
        won_sort = 10 * n + 100
        lose_sort = won_sort + 100
        # LOSE first: raising WON above a LOSE still at 70 would put success after failure.
        self._system(ref, entity, prefix, "LOSE", {"SORT": lose_sort})
        self._system(ref, entity, prefix, "WON", {"SORT": won_sort})
        used = set(DEFAULT_STAGE_CODES)
        for si, stage in enumerate(pipe.stages):
            color = (stage.color.value.upper() if stage.color is not None
                     else PROGRESS_COLORS[si % len(PROGRESS_COLORS)])
            sort = 10 * (si + 1)
            if si == 0:
                self._system(ref, entity, prefix, "NEW",
                             {"NAME": stage.name.value, "SORT": sort, "COLOR": color})
            else:
                code = status_code(stage.name.value, lang)
                if not code:
                    self.diags.append(_error(
                        codes.FN321, f"stage name `{stage.name.value}` leaves no Latin letter or "
                        "digit for a Bitrix24 STATUS_ID", path, stage.name.span,
                        "nothing left after transliteration",
                        "add a letter or digit to the name (STATUS_IDs use [A-Za-z0-9_-])"))
                    continue
                self.calls.append({
                    "id": f"{ref}_stage_{si}", "method": "crm.status.add",
                    "params": {"fields": {
                        "ENTITY_ID": entity, "STATUS_ID": _unique(code, used, limit),
                        "NAME": stage.name.value, "SORT": sort, "COLOR": color,
                        "SEMANTICS": ""}}})
            self._stage_notes(stage)
        for k, (reason, _node) in enumerate(lost_reasons(pipe), 1):
            code = status_code(reason, lang)
            status_id = _unique("LOST_" + code if code else "LOST", used, limit)
            self.calls.append({
                "id": f"{ref}_lost_{k}", "method": "crm.status.add",
                "params": {"fields": {
                    "ENTITY_ID": entity, "STATUS_ID": status_id, "NAME": reason,
                    "SORT": lose_sort + 10 * k, "COLOR": FAILURE_COLOR, "SEMANTICS": "F"}}})
        self.manual.insert(first_note, (
            f"«{pipe.name.value}»: after the calls, delete the stages "
            f"{', '.join(REMOVABLE_DEFAULTS)} that {where} starts with, if it has them "
            "(crm.status.delete; ids from crm.status.list with ENTITY_ID "
            f"{entity.replace('{' + ref + '}', '<id>')}): they would sit between the new stages"))

    def _system(self, ref: str, entity: str, prefix: str, code: str, fields: JSONObject) -> None:
        """Look up a system stage by its code, then update it (REST cannot create them)."""
        lookup = f"{ref}_{code.lower()}"
        self.calls.append({"id": lookup, "method": "crm.status.list",
                           "params": {"filter": {"ENTITY_ID": entity, "STATUS_ID": prefix + code}},
                           "returns": "result.0.ID"})
        self.calls.append({"id": f"{lookup}_update", "method": "crm.status.update",
                           "params": {"id": f"{{{lookup}}}", "fields": fields}})

    def _stage_notes(self, stage: m.Stage) -> None:
        where = f"«{self.pipe.name.value}» → «{stage.name.value}»"
        if stage.requires:
            self.manual.append(f"{where}: make " + ", ".join(f"«{f.value}»" for f in stage.requires)
                               + " required for this stage (Bitrix24 has no REST method for "
                               "stage-dependent required fields)")
        if stage.on_enter:
            self.manual.append(f"{where}: add robots for "
                               f"{counted(len(stage.on_enter), 'on-enter action')} "
                               "(robots are placed in the UI)")
        calendar = self.funnel.account is not None and self.funnel.account.hours is not None
        if stage.sla is not None:
            self.manual.append(f"{where}: a robot with a {stage.sla.after.text} delay"
                               + (" (working time)" if calendar else "")
                               + " for the SLA (Bitrix24 has no per-stage time limit in REST)")
        self.manual += [f"{where}: {step}" for step in stage_by_hand(
            stage, "Bitrix24", "a robot", calendar=calendar)]


def build_calls(funnel: m.FunnelFile, path: str | None = None) -> tuple[JSONObject, list[Diagnostic]]:
    """The bundle and what Bitrix24 cannot hold (errors mean: do not use the bundle)."""
    diags: list[Diagnostic] = []
    calls: list[JSON] = []
    manual: list[str] = []
    pipelines = sorted(funnel.pipelines, key=lambda p: not p.main)
    for index, pipe in enumerate(pipelines):
        _Pipeline(funnel, pipe, index, calls, manual, diags).build()
    builtin = builtin_multifields(funnel)
    for (entity, name), code in builtin.items():
        whose = "contacts" if entity is m.Entity.contact else "companies"
        manual.append(f"«{name}» is Bitrix24's built-in {code} field of {whose}: nothing to "
                      "create")
    user = [f for f in funnel.fields if (f.entity, f.name.value) not in builtin]
    if user:
        manual.append("create the fields " + ", ".join(f"«{f.name.value}»" for f in user)
                      + " in the CRM settings (user fields are not part of this bundle)")
    bundle: JSONObject = {
        "format": FORMAT,
        "version": 1,
        "account": funnel.account.name.value if funnel.account is not None else None,
        "placeholders": PLACEHOLDER_RULE,
        "placeholder_fields": [*PLACEHOLDER_FIELDS],
        "calls": calls,
        "manual_steps": [*manual],
    }
    return bundle, sorted(diags, key=Diagnostic.sort_key)


@dataclass(frozen=True)
class Bitrix24Exporter:
    name: str = "bitrix24"
    description: str = "Bitrix24 REST calls (crm.category.add, crm.status.add/update)"
    folder: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        bundle, diags = build_calls(funnel)
        text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
        return ExportResult(files={FILE_NAME: text}, diagnostics=diags)


EXPORTER = Bitrix24Exporter()
