"""`--to pipedrive`: the API v2 requests that build the account in Pipedrive
(`pipedrive.json`, JSON Schema `export/schemas/pipedrive.schema.json`).

Contract: research note `crm-formats.md` §3 (v1 pipeline/stage endpoints are deprecated
and gone from the official SDK, so only v2 is used). In order:

* `POST /api/v2/pipelines` per pipeline: `name`, `is_deal_probability_enabled: true`.
  The `main` pipeline goes first of the file's. Pipedrive takes the pipeline with the
  lowest `order_nr` as the default, v2 has no `order_nr` on creation, and every company
  already has a pipeline (a new one: "Pipeline"), which the new ones are added after: so
  making the main pipeline the default (dragging it first under Pipelines) is a manual
  step, here and in `apply`'s plan.
* `POST /api/v2/stages` per stage, in file order: `name`, `pipeline_id` (the placeholder
  `{pipeline_N}`, see `crm_common`), `deal_probability` = round(100 × the stage's exact
  win probability: `analysis.markov`, reopens included, copies excluded), and for a stage
  with an `sla`: `is_deal_rot_enabled: true`, `days_to_rotten` = the SLA in whole
  calendar days (below). Without `sla`: `is_deal_rot_enabled: false`.
* `POST /api/v2/dealFields` per deal field (after the stages, because stage-dependent
  requirements name stage ids): `field_name`, `field_type`, `options` for enum/set, and for
  a field some stages `requires`: `required_fields: {enabled: true, stage_ids:
  ["{pipeline_N_stage_M}", …]}`. Contact fields go to `POST /api/v2/personFields`,
  company fields to `POST /api/v2/organizationFields`: those can only be required
  everywhere, not per stage, so a `requires` naming them becomes a manual step.

Won and lost are not stages in Pipedrive: they are a deal's status (open / won / lost),
set with the Won/Lost buttons on any stage. `lost "reason"` becomes a lost reason, which
is kept in the company settings (no API found): a manual step. A stage's `hint` (a stage
has no description), `respond` (an automation would warn) and `patience` (managers close
the deals whose client gave up) have no place in Pipedrive either: manual steps per stage.

SLA → rotting. Pipedrive marks a deal "rotten" after `days_to_rotten` days *without an
update* in the stage — an inactivity timer, not time in stage, and it only marks the deal
(the SLA's target move is not done). An SLA counts working hours when the account has a
calendar, so the days are calendar days by which the SLA has run out whenever the deal
entered: ceil(longest calendar length of the SLA / 24 h), at least 1 (an `sla 27h` in a
mon-fri 09:00-18:00 account is 3 working days, up to 5 calendar days over a weekend).
Whether Pipedrive's count skips weekends is not documented; calendar days make a deal
rot no earlier than its SLA.

Field types (Pipedrive has no boolean and no integer type):

| funnel | Pipedrive |
|---|---|
| text, email, url | `varchar` (text up to 255 characters) |
| number, int, int(a..b) | `double` (no range kept) |
| money | `monetary` |
| date | `date` |
| phone | `phone`; the first phone field on a contact *is* the person's built-in phone (nothing created) |
| email on a contact | the first one *is* the person's built-in email (nothing created) |
| bool | `enum` with the options yes / no in the account's language |
| enum(…) / multi(…) | `enum` / `set` with the options |

Diagnostics (errors; nothing is written): FN330 a blank pipeline, stage, field or option
name (Pipedrive requires `name` / `field_name` / option `label`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .base import ExportResult
from .crm_common import (
    PLACEHOLDER_RULE,
    account_lost_reasons,
    blank_name,
    sla_calendar_days,
    stage_by_hand,
    win_probabilities,
    yes_no,
)

__all__ = ["EXPORTER", "build_requests", "FIELD_TYPES", "main_pipeline_step"]

FORMAT = "funnelc/pipedrive-requests"
FILE_NAME = "pipedrive.json"
API = "https://api.pipedrive.com"
PLACEHOLDER_FIELDS = ["body.pipeline_id", "body.required_fields.stage_ids[]"]

FIELD_TYPES: dict[str, str] = {
    "text": "varchar", "email": "varchar", "url": "varchar", "number": "double", "int": "double",
    "money": "monetary", "date": "date", "phone": "phone", "bool": "enum", "enum": "enum",
    "multi": "set",
}
FIELD_PATHS: dict[m.Entity, str] = {
    m.Entity.deal: "/api/v2/dealFields", m.Entity.contact: "/api/v2/personFields",
    m.Entity.company: "/api/v2/organizationFields",
}
PERSON_BUILTIN = {"phone": "phone", "email": "email"}


def main_pipeline_step(main: str, default: str | None) -> str:
    """The manual step that makes the file's main pipeline Pipedrive's default: the
    company's first pipeline (lowest `order_nr`) is, and new pipelines are added after the
    ones it has. `default`: the account's first pipeline, when it was read."""
    now = (f"now «{default}»" if default is not None
           else "a company already has one, and new pipelines are added after it")
    return (f"«{main}» is the main pipeline: drag it to the first place under Pipelines "
            f"(Pipedrive's default pipeline is the first one: {now})")


@dataclass
class _Builder:
    funnel: m.FunnelFile

    def __post_init__(self) -> None:
        self.requests: list[JSON] = []
        self.manual: list[str] = []
        self.diags: list[Diagnostic] = []
        self.stage_refs: dict[tuple[str, str], str] = {}
        self.probability = win_probabilities(self.funnel)

    def _blank(self, name: m.Name, what: str) -> None:
        d = blank_name(codes.FN330, "Pipedrive", name, what, self.funnel.path)
        if d is not None:
            self.diags.append(d)

    def pipelines(self) -> None:
        ordered = sorted(self.funnel.pipelines, key=lambda p: not p.main)
        for pi, pipe in enumerate(ordered):
            self._blank(pipe.name, "pipeline")
            ref = f"pipeline_{pi}"
            self.requests.append({
                "id": ref, "method": "POST", "path": "/api/v2/pipelines",
                "body": {"name": pipe.name.value, "is_deal_probability_enabled": True},
                "returns": "data.id"})
            for si, stage in enumerate(pipe.stages):
                self._blank(stage.name, "stage")
                sref = f"{ref}_stage_{si}"
                self.stage_refs[(pipe.name.value, stage.name.value)] = sref
                p = self.probability.get((pipe.name.value, stage.name.value), 0.0)
                body: JSONObject = {"name": stage.name.value, "pipeline_id": f"{{{ref}}}",
                                        "deal_probability": round(100 * p)}
                days = sla_calendar_days(self.funnel, stage.sla) if stage.sla is not None else None
                if days is not None:
                    body["is_deal_rot_enabled"] = True
                    body["days_to_rotten"] = days
                else:
                    body["is_deal_rot_enabled"] = False
                self.requests.append({"id": sref, "method": "POST", "path": "/api/v2/stages",
                                      "body": body, "returns": "data.id"})
                self._stage_notes(pipe, stage)
        if any(p.main for p in self.funnel.pipelines):
            self.manual.append(main_pipeline_step(ordered[0].name.value, None))

    def _stage_notes(self, pipe: m.Pipeline, stage: m.Stage) -> None:
        where = f"«{pipe.name.value}» → «{stage.name.value}»"
        if stage.on_enter:
            self.manual.append(f"{where}: a workflow automation for "
                               f"{counted(len(stage.on_enter), 'on-enter action')} "
                               "(no API for automations was found)")
        account = self.funnel.account
        self.manual += [f"{where}: {step}" for step in stage_by_hand(
            stage, "Pipedrive", "a workflow automation",
            calendar=account is not None and account.hours is not None)]

    def fields(self) -> None:
        required = self._required_by_field()
        yes, no = yes_no(self.funnel)
        builtin_used: set[str] = set()
        for fi, card in enumerate(self.funnel.fields):
            self._blank(card.name, "field")
            kind = card.type.kind
            stages = required.get(card.name.value, [])
            if (card.entity is m.Entity.contact and kind in PERSON_BUILTIN
                    and kind not in builtin_used):
                builtin_used.add(kind)
                if stages:
                    self._manual_required(card, stages, "the person's built-in "
                                          f"{PERSON_BUILTIN[kind]} field")
                continue
            body: JSONObject = {"field_name": card.name.value, "field_type": FIELD_TYPES[kind]}
            if kind in ("enum", "multi"):
                for value in card.type.values:
                    self._blank(value, "option")
                body["options"] = [{"label": v.value} for v in card.type.values]
            elif kind == "bool":
                body["options"] = [{"label": yes}, {"label": no}]
            if stages and card.entity is m.Entity.deal:
                body["required_fields"] = {"enabled": True,
                                           "stage_ids": [f"{{{self.stage_refs[k]}}}" for k in stages]}
            elif stages:
                self._manual_required(card, stages, "a person/organization field")
            self.requests.append({"id": f"field_{fi}", "method": "POST",
                                  "path": FIELD_PATHS[card.entity], "body": body})

    def _manual_required(self, card: m.CardField, stages: list[tuple[str, str]], what: str) -> None:
        self.manual.append(f"«{card.name.value}» is {what}, which Pipedrive can require only "
                           "everywhere, not per stage: check it by hand at "
                           + ", ".join(f"«{p}» → «{s}»" for p, s in stages))

    def _required_by_field(self) -> dict[str, list[tuple[str, str]]]:
        """Field name → the (pipeline, stage) pairs whose `requires` name it."""
        out: dict[str, list[tuple[str, str]]] = {}
        known = {f.name.value for f in self.funnel.fields}
        for pipe in self.funnel.pipelines:
            for stage in pipe.stages:
                for name in stage.requires:
                    pair = (pipe.name.value, stage.name.value)
                    if name.value in known and pair not in out.setdefault(name.value, []):
                        out[name.value].append(pair)
        return out

    def general_notes(self) -> None:
        reasons = account_lost_reasons(self.funnel)
        if reasons:
            self.manual.append("add the lost reasons under Company settings → Lost reasons: "
                               + ", ".join(f"«{r}»" for r in reasons))
        for card in self.funnel.fields:
            if card.type.kind == "int" and card.type.low is not None:
                self.manual.append(f"«{card.name.value}» is a number field: Pipedrive does not keep "
                                   f"the range {card.type.low}..{card.type.high}")
        if any(s.sla is not None for p in self.funnel.pipelines for s in p.stages):
            self.manual.append("an SLA becomes rotting: Pipedrive marks a deal not updated for "
                               "days_to_rotten days, and does not move it to the SLA's target")


def build_requests(funnel: m.FunnelFile) -> tuple[JSONObject, list[Diagnostic]]:
    """The bundle and what Pipedrive cannot hold (errors mean: do not use the bundle)."""
    b = _Builder(funnel)
    b.pipelines()
    b.fields()
    b.general_notes()
    bundle: JSONObject = {
        "format": FORMAT,
        "version": 1,
        "account": funnel.account.name.value if funnel.account is not None else None,
        "api": API,
        "placeholders": PLACEHOLDER_RULE,
        "placeholder_fields": [*PLACEHOLDER_FIELDS],
        "requests": b.requests,
        "manual_steps": [*b.manual],
    }
    return bundle, sorted(b.diags, key=Diagnostic.sort_key)


@dataclass(frozen=True)
class PipedriveExporter:
    name: str = "pipedrive"
    description: str = "Pipedrive API v2 requests (pipelines, stages with probability and rotting, fields)"
    folder: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        bundle, diags = build_requests(funnel)
        text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
        return ExportResult(files={FILE_NAME: text}, diagnostics=diags)


EXPORTER = PipedriveExporter()
