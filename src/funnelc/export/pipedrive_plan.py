"""What a Pipedrive account should hold for a funnel file, and the difference with what
it holds: the plan `funnelc apply --to pipedrive` prints and carries out.

The wanted state is the export's (`export/pipedrive.py`: the same field types, stage
probabilities and rotting days), matched by name because names are all the file has:
pipelines by name, stages by name inside their pipeline, fields by name inside their
entity. The rules:

* a missing pipeline is created (deal probability on) and its stages added in file
  order; a missing stage is added to an existing pipeline, and when the file's stages
  are not in the file's order there, they are renumbered (v1 `order_nr`, the only way);
* an existing stage gets the file's probability and rotting when they differ;
* a missing field is created with its options; an existing one gets the options it
  lacks (never removed) and the stages the file requires it at, *added* to the ones it
  has (`required_fields.stage_ids` of deal fields; a person or organization field can
  only be required everywhere, so the stages that require it mark it important there:
  `important_fields.stage_ids`); won/lost requirements (`required_fields.statuses`) a
  person set are always kept;
* a field's type is never changed (a warning says so); the person's built-in phone and
  email stand for the file's first contact phone and email field;
* nothing is deleted unless `prune`: then stages, pipelines and custom fields the file
  does not have are deleted, and the stage lists become exactly the file's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .crm_common import sla_calendar_days, win_probabilities, yes_no
from .pipedrive import FIELD_TYPES, PERSON_BUILTIN
from .pipedrive_client import PdAccount, PdField, PdPipeline, PdStage

__all__ = ["WantStage", "WantPipeline", "WantField", "Wanted", "wanted_state", "PdPlan",
           "make_plan", "ENTITY_OF", "MAX_NAME"]

ENTITY_OF: dict[m.Entity, str] = {m.Entity.deal: "deal", m.Entity.contact: "person",
                                  m.Entity.company: "organization"}
MAX_NAME = 255
"""Pipedrive's text limit (`varchar`, `add-deal-field-request.ts`), taken for names too."""


def q(name: str) -> str:
    return f"`{name}`"


@dataclass(frozen=True)
class WantStage:
    name: str
    probability: int
    days_to_rotten: int | None


@dataclass(frozen=True)
class WantPipeline:
    name: str
    stages: tuple[WantStage, ...]


@dataclass
class WantField:
    entity: str
    name: str
    type: str
    options: list[str]
    required: list[tuple[str, str]]
    """(pipeline, stage) pairs: deal fields are required there."""
    important: list[tuple[str, str]]
    """(pipeline, stage) pairs: person/organization fields are highlighted there."""


@dataclass
class Wanted:
    pipelines: list[WantPipeline]
    fields: list[WantField]
    builtin: list[tuple[str, str]] = field(default_factory=list)
    """(file field, person field code) stood for by a built-in field."""


def wanted_state(funnel: m.FunnelFile) -> Wanted:
    probability = win_probabilities(funnel)
    pipelines: list[WantPipeline] = []
    for pipe in sorted(funnel.pipelines, key=lambda p: not p.main):
        stages: list[WantStage] = []
        for stage in pipe.stages:
            days = sla_calendar_days(funnel, stage.sla) if stage.sla is not None else None
            p = probability.get((pipe.name.value, stage.name.value), 0.0)
            stages.append(WantStage(stage.name.value, round(100 * p), days))
        pipelines.append(WantPipeline(pipe.name.value, tuple(stages)))
    required: dict[str, list[tuple[str, str]]] = {}
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            for name in stage.requires:
                pairs = required.setdefault(name.value, [])
                if (pipe.name.value, stage.name.value) not in pairs:
                    pairs.append((pipe.name.value, stage.name.value))
    yes, no = yes_no(funnel)
    fields: list[WantField] = []
    builtin: list[tuple[str, str]] = []
    used: set[str] = set()
    for card in funnel.fields:
        kind, entity = card.type.kind, ENTITY_OF[card.entity]
        if entity == "person" and kind in PERSON_BUILTIN and kind not in used:
            used.add(kind)
            builtin.append((card.name.value, PERSON_BUILTIN[kind]))
            continue
        options = ([v.value for v in card.type.values] if kind in ("enum", "multi")
                   else [yes, no] if kind == "bool" else [])
        pairs = required.get(card.name.value, [])
        fields.append(WantField(entity, card.name.value, FIELD_TYPES[kind], options,
                                pairs if entity == "deal" else [],
                                pairs if entity != "deal" else []))
    return Wanted(pipelines, fields, builtin)


@dataclass
class StageAdd:
    pipeline: str
    stage: WantStage
    pipeline_id: int | None
    """None: the pipeline is created in this apply."""


@dataclass
class StageUpdate:
    pipeline: str
    remote: PdStage
    body: JSONObject
    what: list[str]


@dataclass
class FieldWork:
    """Work on an existing field: options to add and stage lists to set (names: the
    ids of stages created in this apply are known only afterwards)."""

    remote: PdField
    add_options: list[str] = field(default_factory=list)
    required: list[tuple[str, str]] | None = None
    important: list[tuple[str, str]] | None = None
    keep_required: list[int] = field(default_factory=list)
    keep_important: list[int] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)


@dataclass
class PdPlan:
    prune: bool
    pipelines_to_create: list[WantPipeline] = field(default_factory=list)
    probability_on: list[PdPipeline] = field(default_factory=list)
    stage_adds: list[StageAdd] = field(default_factory=list)
    stage_updates: list[StageUpdate] = field(default_factory=list)
    reorders: list[tuple[PdPipeline, list[str]]] = field(default_factory=list)
    fields_to_create: list[WantField] = field(default_factory=list)
    field_work: list[FieldWork] = field(default_factory=list)
    delete_stages: list[tuple[PdPipeline, PdStage]] = field(default_factory=list)
    delete_pipelines: list[PdPipeline] = field(default_factory=list)
    delete_fields: list[PdField] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out: list[str] = []
        for p in self.pipelines_to_create:
            out.append(f"+ create pipeline {q(p.name)} with {len(p.stages)} stages")
        for pipe in self.probability_on:
            out.append(f"~ pipeline {q(pipe.name)}: turn deal probability on")
        for add in self.stage_adds:
            if add.pipeline_id is not None:
                out.append(f"+ add stage {q(add.stage.name)} to pipeline {q(add.pipeline)}")
        for u in self.stage_updates:
            out.append(f"~ update stage {q(u.remote.name)} of pipeline {q(u.pipeline)}: "
                       + ", ".join(u.what))
        for pipe, _names in self.reorders:
            out.append(f"~ put the stages of pipeline {q(pipe.name)} in the file's order")
        for f in self.fields_to_create:
            out.append(f"+ create {f.entity} field {q(f.name)} ({f.type})")
        for w in self.field_work:
            out += [f"~ {w.remote.entity} field {q(w.remote.name)}: {s}" for s in w.shown]
        for pipe, stage in self.delete_stages:
            out.append(f"- delete stage {q(stage.name)} of pipeline {q(pipe.name)}")
        for pipe in self.delete_pipelines:
            out.append(f"- delete pipeline {q(pipe.name)} (Pipedrive refuses if it holds deals)")
        for gone in self.delete_fields:
            out.append(f"- delete {gone.entity} field {q(gone.name)} (its values are lost)")
        return out

    @property
    def deletions(self) -> list[str]:
        return [line for line in self.lines() if line.startswith("- ")]

    @property
    def change_count(self) -> int:
        return len(self.lines())


def _stage_patch(want: WantStage, remote: PdStage) -> tuple[JSONObject, list[str]]:
    body: JSONObject = {}
    what: list[str] = []
    if remote.deal_probability != want.probability:
        body["deal_probability"] = want.probability
        what.append(f"probability {remote.deal_probability}% → {want.probability}%")
    rot = want.days_to_rotten is not None
    if remote.rot != rot or (rot and remote.days_to_rotten != want.days_to_rotten):
        body["is_deal_rot_enabled"] = rot
        if want.days_to_rotten is not None:
            body["days_to_rotten"] = want.days_to_rotten
            what.append(f"rotting after {counted(want.days_to_rotten, 'day')}")
        else:
            what.append("no rotting")
    return body, what


class _Planner:
    def __init__(self, wanted: Wanted, account: PdAccount, prune: bool) -> None:
        self.wanted = wanted
        self.account = account
        self.plan = PdPlan(prune)

    def limits(self) -> None:
        names = [(p.name, "pipeline") for p in self.wanted.pipelines]
        names += [(s.name, "stage") for p in self.wanted.pipelines for s in p.stages]
        names += [(f.name, "field") for f in self.wanted.fields]
        names += [(o, "option") for f in self.wanted.fields for o in f.options]
        for name, what in names:
            if len(name) > MAX_NAME:
                self.plan.errors.append(f"{what} name {q(name[:40] + '…')} is {len(name)} "
                                        f"characters: Pipedrive holds at most {MAX_NAME}")

    def pipelines(self) -> None:
        plan, account = self.plan, self.account
        names = {p.name for p in self.wanted.pipelines}
        for want in self.wanted.pipelines:
            remote = account.pipeline(want.name)
            if remote is None:
                plan.pipelines_to_create.append(want)
                plan.stage_adds += [StageAdd(want.name, s, None) for s in want.stages]
                continue
            if not remote.probability_enabled:
                plan.probability_on.append(remote)
            self._stages(remote, want)
        for remote in account.pipelines:
            if remote.name in names:
                continue
            if plan.prune:
                plan.delete_pipelines.append(remote)
            else:
                plan.kept.append(f"pipeline {q(remote.name)} (not in the file)")

    def _stages(self, remote: PdPipeline, want: WantPipeline) -> None:
        plan = self.plan
        for stage in want.stages:
            existing = remote.stage(stage.name)
            if existing is None:
                plan.stage_adds.append(StageAdd(remote.name, stage, remote.id))
                continue
            body, what = _stage_patch(stage, existing)
            if body:
                plan.stage_updates.append(StageUpdate(remote.name, existing, body, what))
        file_names = [s.name for s in want.stages]
        extra = [s for s in remote.stages if s.name not in file_names]
        if plan.prune:
            plan.delete_stages += [(remote, s) for s in extra]
        elif extra:
            plan.kept.append(f"stages of {q(remote.name)} not in the file: "
                             + ", ".join(q(s.name) for s in extra))
        # New stages land at the end (v2 takes no order): if the result is not the
        # file's order, the file's stages are renumbered.
        added = [a.stage.name for a in plan.stage_adds if a.pipeline_id == remote.id]
        if [s.name for s in remote.stages if s.name in file_names] + added != file_names:
            plan.reorders.append((remote, file_names))

    def fields(self) -> None:
        plan, account = self.plan, self.account
        names = self.account.stage_names()
        by_pair = {v: k for k, v in names.items()}
        in_file: dict[str, set[str]] = {e: set() for e in account.fields}
        for want in self.wanted.fields:
            in_file.setdefault(want.entity, set()).add(want.name)
            remote = account.field(want.entity, want.name)
            if remote is None:
                plan.fields_to_create.append(want)
                continue
            work = FieldWork(remote)
            if remote.type != want.type:
                plan.warnings.append(f"{want.entity} field {q(want.name)} is {remote.type} in "
                                     f"the account, {want.type} in the file: Pipedrive cannot "
                                     "change a field's type; left as it is")
            elif want.options:
                have = {label for _, label in remote.options}
                work.add_options = [o for o in want.options if o not in have]
                if work.add_options:
                    work.shown.append("add options " + ", ".join(q(o) for o in work.add_options))
            for which, pairs in (("required", want.required), ("important", want.important)):
                current = remote.stage_ids(which)
                resolved = {by_pair[p] for p in pairs if p in by_pair}
                missing = [p for p in pairs if by_pair.get(p) not in current]
                if plan.prune:
                    gone = [names.get(i, ("?", f"stage {i}")) for i in current
                            if i not in resolved]
                    keep: list[int] = []
                else:
                    gone, keep = [], [i for i in current if i not in resolved]
                if missing or gone:
                    setattr(work, which, list(pairs))
                    if which == "required":
                        work.keep_required = keep
                    else:
                        work.keep_important = keep
                    if missing:
                        work.shown.append(f"{which} at " + ", ".join(
                            f"{q(p)} → {q(s)}" for p, s in missing))
                    if gone:
                        work.shown.append(f"no longer {which} at " + ", ".join(
                            f"{q(p)} → {q(s)}" for p, s in gone))
            if work.shown:
                plan.field_work.append(work)
        for code_name, code in self.wanted.builtin:
            if not any(f.code == code for f in account.fields.get("person", [])):
                plan.warnings.append(f"the account has no built-in person {code} field: "
                                     f"{q(code_name)} is left out")
        others = [f2 for e, fs in account.fields.items() for f2 in fs
                  if f2.custom and f2.name not in in_file.get(e, set())]
        if plan.prune:
            plan.delete_fields += others
        elif others:
            plan.kept.append(f"{counted(len(others), 'custom field')} not in the file")


def make_plan(wanted: Wanted, account: PdAccount, *, prune: bool = False) -> PdPlan:
    planner = _Planner(wanted, account, prune)
    planner.limits()
    planner.pipelines()
    planner.fields()
    return planner.plan


def field_body(want: WantField, ids: dict[tuple[str, str], int]) -> dict[str, JSON]:
    """The `POST /api/v2/<entity>Fields` body (`add-deal-field-request.ts`)."""
    body: dict[str, JSON] = {"field_name": want.name, "field_type": want.type}
    if want.options:
        body["options"] = [{"label": o} for o in want.options]
    if want.required:
        body["required_fields"] = {"enabled": True,
                                   "stage_ids": [ids[p] for p in want.required]}
    if want.important:
        body["important_fields"] = {"enabled": True,
                                    "stage_ids": [ids[p] for p in want.important]}
    return body
