"""`--to amocrm`: one JSON bundle (`amocrm.json`) with the bodies amoCRM API v4 takes to
build the account, for `funnelc apply amocrm` or any other client.

Contract: /work/shared/research/crm-formats.md §1 (amoCRM API v4) and §7 (the two-phase
plan). The bundle (JSON Schema: `export/schemas/amocrm.schema.json`) holds

* `pipelines` — the body of `POST /api/v4/leads/pipelines`: name, sort, is_main,
  is_unsorted_on, `_embedded.statuses` (name, sort, palette colour, the stage `hint` as
  the `newbie` description), plus renames of the system statuses 142/143 (see below);
* `custom_fields` — bodies of `POST /api/v4/{leads,contacts,companies}/custom_fields`;
  `builtin_fields` — file fields that *are* amoCRM's built-in PHONE/EMAIL fields;
* `required_statuses` — each field's `requires` stages **by name** (`{"pipeline",
  "status"}`): amoCRM wants status ids, which exist only after the pipelines do, so a
  client resolves them in a second phase;
* `auto_colors` — the statuses whose colour funnelc chose (the file named none), so a
  client does not overwrite colours set by hand in an existing account;
* `loss_reasons` — every `lost "reason"`: in amoCRM they are loss reasons, not statuses
  (all lost deals end in status 143); `notes` — what amoCRM cannot hold.

Won/lost statuses 142/143. The language has no name for them (`-> won` names no stage),
so a file names them only through `account { language … }`, the language of generated
text: the bundle then calls them by amoCRM's own default words in that language
(`ru` Успешно реализовано / Закрыто и не реализовано, `uk` Успішно реалізовано /
Закрито і не реалізовано, `en` Closed - won / Closed - lost). Without `language` they are
left as amoCRM names them.

`is_unsorted_on` (amoCRM's inbox of incoming leads) is on for pipelines some `source`
enters — that is where incoming leads arrive — and off for the others.

Limits (an error `Diagnostic` pointing at the funnel source; nothing is written):

FN301–FN305, defined with their meanings in `funnelc.codes` (the error-code pages of
the docs are generated from there).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Label, Severity
from ..names import is_blank
from ..numfmt import counted
from .amocrm_bundle import (
    BuiltinField,
    Bundle,
    Description,
    FieldBody,
    PipelineBody,
    RequiredEntry,
    StageRef,
    StatusBody,
)
from .amocrm_fields import map_fields
from .amocrm_palette import PALETTE, auto_color, in_palette, nearest, parse_hex
from .base import ExportResult
from .crm_common import account_lost_reasons

__all__ = ["EXPORTER", "build_bundle", "MAX_PIPELINES", "MAX_STATUSES", "SYSTEM_STATUSES",
           "MAX_USER_STATUSES", "MAX_DESCRIPTION", "SYSTEM_STATUS_NAMES", "FORMAT", "FILE_NAME"]

FORMAT = "funnelc/amocrm-bundle"
FORMAT_VERSION = 1
FILE_NAME = "amocrm.json"
MAX_PIPELINES = 50
MAX_STATUSES = 100
SYSTEM_STATUSES = 3
MAX_USER_STATUSES = MAX_STATUSES - SYSTEM_STATUSES
MAX_DESCRIPTION = 1000
WON_ID, LOST_ID = 142, 143

SYSTEM_STATUS_NAMES: dict[str, tuple[str, str]] = {
    "ru": ("Успешно реализовано", "Закрыто и не реализовано"),
    "uk": ("Успішно реалізовано", "Закрито і не реалізовано"),
    "en": ("Closed - won", "Closed - lost"),
}
"""amoCRM's default won/lost names per account language (the ru pair is the API's own)."""


def _error(code: str, message: str, funnel: m.FunnelFile, span: m.Span, label: str, *,
           secondary: tuple[Label, ...] = (), notes: tuple[str, ...] = (),
           help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.error, message, funnel.path, span, label,
                      secondary=secondary, notes=notes, help=help)


@dataclass
class _Builder:
    funnel: m.FunnelFile

    def __post_init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self.notes: list[str] = []

    # ------------------------------------------------------------------ checks

    def _blank(self, name: m.Name, what: str) -> None:
        if is_blank(name.value):  # the predicate `check` uses (FN234)
            self.diagnostics.append(_error(
                codes.FN305, f"{what} name is blank", self.funnel, name.span,
                "amoCRM needs a non-empty name", help=f"give the {what} a name"))

    def _check_pipeline_count(self) -> None:
        pipes = self.funnel.pipelines
        if len(pipes) <= MAX_PIPELINES:
            return
        first_over = pipes[MAX_PIPELINES]
        self.diagnostics.append(_error(
            codes.FN301, f"{len(pipes)} pipelines: amoCRM holds at most {MAX_PIPELINES} per account",
            self.funnel, first_over.name.span, f"pipeline {MAX_PIPELINES + 1} is over the limit",
            notes=(f"{counted(len(pipes) - MAX_PIPELINES, 'pipeline')} too many",),
            help="merge pipelines that differ only by source or product (a deal field can "
                 "tell them apart), or split the account"))

    def _check_stage_count(self, pipe: m.Pipeline) -> None:
        n = len(pipe.stages)
        if n <= MAX_USER_STATUSES:
            return
        over = pipe.stages[MAX_USER_STATUSES]
        self.diagnostics.append(_error(
            codes.FN302, f"pipeline `{pipe.name.value}` has {n} stages: amoCRM holds at most "
            f"{MAX_USER_STATUSES}", self.funnel, pipe.name.span, f"{n} stages",
            secondary=(Label(over.name.span, f"stage {MAX_USER_STATUSES + 1} is over the limit"),),
            notes=(f"amoCRM allows {MAX_STATUSES} statuses per pipeline, its {SYSTEM_STATUSES} "
                   "system statuses (unsorted, won 142, lost 143) included",),
            help="move deal states that are not decision steps into a field, or split the "
                 "pipeline"))

    def _color(self, pipe: m.Pipeline, stage: m.Stage, index: int) -> tuple[str, bool]:
        """(colour to send, whether funnelc chose it)."""
        if stage.color is None:
            return auto_color(index, len(pipe.stages), stage.key), True
        value = stage.color.value
        if in_palette(value):
            return value.lower(), False
        if parse_hex(value) is not None:  # malformed colours are FN225's to report
            guess = nearest(value)
            first = not any(d.code == codes.FN303 for d in self.diagnostics)
            self.diagnostics.append(_error(
                codes.FN303, f"colour `{value}` is not one of amoCRM's {len(PALETTE)} status colours",
                self.funnel, stage.color.span, "amoCRM refuses this colour",
                notes=("amoCRM status colours: " + " ".join(PALETTE),) if first else (),
                help=f'did you mean `"{guess}"`? (the nearest palette colour)'))
        return value, False

    def _description(self, stage: m.Stage) -> list[Description] | None:
        if stage.hint is None:
            return None
        text = stage.hint.value
        if len(text) > MAX_DESCRIPTION:
            self.diagnostics.append(_error(
                codes.FN304, f"hint of stage `{stage.name.value}` is {len(text)} characters: an amoCRM "
                f"status description holds at most {MAX_DESCRIPTION}", self.funnel,
                stage.hint.span, f"{len(text) - MAX_DESCRIPTION} characters too many",
                help="shorten the hint; put the long version in the playbook"))
        if is_blank(text):
            return None
        return [{"level": "newbie", "description": text}]

    # ------------------------------------------------------------------ parts

    def pipelines(self) -> tuple[list[PipelineBody], list[StageRef]]:
        self._check_pipeline_count()
        entered = {found[0].name.value for src in self.funnel.sources
                   if (found := self.funnel.resolve(src.target, None)) is not None}
        account = self.funnel.account
        system_names = SYSTEM_STATUS_NAMES.get(account.language) if account and account.language else None
        bodies: list[PipelineBody] = []
        auto: list[StageRef] = []
        for i, pipe in enumerate(self.funnel.pipelines):
            self._blank(pipe.name, "pipeline")
            self._check_stage_count(pipe)
            statuses: list[StatusBody] = []
            if system_names is not None:
                statuses.append({"id": WON_ID, "name": system_names[0]})
                statuses.append({"id": LOST_ID, "name": system_names[1]})
            for j, stage in enumerate(pipe.stages):
                self._blank(stage.name, "stage")
                color, chosen = self._color(pipe, stage, j)
                status: StatusBody = {"name": stage.name.value, "sort": (j + 1) * 10,
                                      "color": color}
                descriptions = self._description(stage)
                if descriptions is not None:
                    status["descriptions"] = descriptions
                statuses.append(status)
                if chosen:
                    auto.append({"pipeline": pipe.name.value, "status": stage.name.value})
            bodies.append({
                "name": pipe.name.value,
                "sort": (i + 1) * 10,
                "is_main": pipe.main,
                "is_unsorted_on": pipe.name.value in entered,
                "request_id": pipe.name.value,
                "_embedded": {"statuses": statuses},
            })
        return bodies, auto

    def fields(self) -> tuple[dict[str, list[FieldBody]], list[BuiltinField],
                              list[RequiredEntry]]:
        custom: dict[str, list[FieldBody]] = {"leads": [], "contacts": [], "companies": []}
        builtin: list[BuiltinField] = []
        required: list[RequiredEntry] = []
        wanted = self._required_by_field()
        for mapped in map_fields(self.funnel):
            card = mapped.field
            self._blank(card.name, "field")
            for value in card.type.values:
                self._blank(value, "enum value")
            if mapped.note:
                self.notes.append(mapped.note)
            if mapped.body is not None:
                custom[mapped.entity].append(mapped.body)
            else:
                builtin.append({"entity": mapped.entity, "code": mapped.builtin_code or "",
                                "field": card.name.value})
            pairs = wanted.get(card.name.value)
            if pairs:
                refs: list[StageRef] = [{"pipeline": p, "status": s} for p, s in pairs]
                code = mapped.builtin_code
                required.append(  # the key order of the file: `code` before `statuses`
                    {"entity": mapped.entity, "field": card.name.value, "code": code,
                     "statuses": refs} if code else
                    {"entity": mapped.entity, "field": card.name.value, "statuses": refs})
        return custom, builtin, required

    def _required_by_field(self) -> dict[str, list[tuple[str, str]]]:
        """Field name → (pipeline, stage) pairs whose `requires` name it, in file order.
        Unknown field names are the checker's (FN2xx) to report; they are skipped here."""
        out: dict[str, list[tuple[str, str]]] = {}
        known = {f.name.value for f in self.funnel.fields}
        for pipe in self.funnel.pipelines:
            for stage in pipe.stages:
                for name in stage.requires:
                    if name.value not in known:
                        continue
                    pair = (pipe.name.value, stage.name.value)
                    pairs = out.setdefault(name.value, [])
                    if pair not in pairs:
                        pairs.append(pair)
        return out

    def loss_reasons(self) -> list[str]:
        return account_lost_reasons(self.funnel)

    def general_notes(self, reasons: list[str]) -> None:
        stages = [s for p in self.funnel.pipelines for s in p.stages]
        if reasons:
            self.notes.append("lost reasons are amoCRM loss reasons (every lost deal ends in "
                              "status 143): funnelc apply creates them in the account's one "
                              "list (POST /api/v4/leads/loss_reasons)")
        if any(s.sla is not None or s.respond is not None for s in stages):
            self.notes.append("sla and respond are not exported: amoCRM has no per-stage time "
                              "limit; enforce them with a watcher or the Digital Pipeline")
        if any(s.patience is not None for s in stages):
            self.notes.append("patience is not exported: amoCRM cannot tell when a client gave "
                              "up waiting; managers close those deals by hand (their lost "
                              "reason is among loss_reasons)")
        if any(s.on_enter for s in stages):
            self.notes.append("on enter actions are not exported: amoCRM's Digital Pipeline "
                              "is configured in its web interface only")
        self.notes.append("outcome shares, cadences, reopens, teams, sources and scenarios are "
                          "funnelc's model of how the account works: amoCRM has no place for them")


def build_bundle(funnel: m.FunnelFile) -> tuple[Bundle, list[Diagnostic]]:
    """The bundle and what amoCRM cannot hold (errors mean: do not use the bundle)."""
    b = _Builder(funnel)
    pipelines, auto = b.pipelines()
    custom, builtin, required = b.fields()
    reasons = b.loss_reasons()
    b.general_notes(reasons)
    account = funnel.account
    bundle: Bundle = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "account": account.name.value if account is not None else None,
        "pipelines": pipelines,
        "custom_fields": custom,
        "builtin_fields": builtin,
        "required_statuses": required,
        "auto_colors": auto,
        "loss_reasons": reasons,
        "notes": b.notes,
    }
    diags = sorted(b.diagnostics, key=Diagnostic.sort_key)
    return bundle, diags


def dumps(bundle: Bundle) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"


class AmoCrmExporter:
    name = "amocrm"
    description = "amoCRM API v4 bundle: pipelines, statuses, custom fields, required statuses"
    folder = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        bundle, diags = build_bundle(funnel)
        return ExportResult(files={FILE_NAME: dumps(bundle)}, diagnostics=diags)


EXPORTER = AmoCrmExporter()
