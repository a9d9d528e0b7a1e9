"""Compare an export bundle with what the account holds and decide what to change.

Matching is by name (pipelines by name; user statuses by name inside their pipeline;
custom fields by name inside their entity; the built-in PHONE/EMAIL fields by code),
because names are all the funnel file has and ids differ per account. The rules:

* a pipeline missing from the account is created with its statuses embedded (the only
  moment amoCRM accepts them); a status missing from an existing pipeline is added with
  a sort that places it after the file's previous stage; existing statuses are never
  reordered;
* an existing status gets the file's colour only when the file names one (colours
  funnelc chose are not forced on statuses someone coloured by hand) and the file's hint
  as its description when they differ;
* 142/143 are renamed in existing pipelines only while they still carry one of
  amoCRM's default names: a name someone gave them by hand is kept;
* a field missing from its entity is created; an existing one gets missing enum values
  and the `required_statuses` the file asks for, *added* to the ones it has (amoCRM
  replaces the whole list on PATCH, so the union is sent) — a field's type is never
  changed (amoCRM cannot);
* a loss reason (`lost "reason"` anywhere in the file) missing from the account's one
  list is created, after the reasons it has, in the file's order; reasons are matched
  by name and never renamed or reordered;
* nothing is deleted unless `prune`: then user statuses, pipelines, deletable custom
  fields and loss reasons the file does not have are deleted and `required_statuses`
  become exactly the file's. Enum values are never removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .amocrm import MAX_PIPELINES, MAX_STATUSES, SYSTEM_STATUS_NAMES
from .amocrm_account import (
    ENTITIES,
    WON_ID,
    Account,
    RemoteField,
    RemoteLossReason,
    RemotePipeline,
    RemoteStatus,
    json_int,
)
from .amocrm_bundle import (
    Bundle,
    EnumBody,
    FieldBody,
    LossReasonBody,
    PipelineBody,
    StatusBody,
    StatusPatch,
)

__all__ = ["Plan", "StatusAdd", "SystemRename", "StatusUpdate", "FieldChange", "make_plan",
           "ENTITY_WORDS", "DEFAULT_SYSTEM_NAMES"]

ENTITY_WORDS = {"leads": "deal", "contacts": "contact", "companies": "company"}

DEFAULT_SYSTEM_NAMES: frozenset[str] = frozenset(
    {name for pair in SYSTEM_STATUS_NAMES.values() for name in pair}
    | {"Успешно реализовано", "Закрыто и не реализовано", "Closed - won", "Closed - lost",
       "Successfully realized", "Closed and not realized"})
"""Names amoCRM (or Kommo) gives 142/143 by itself; any other name was chosen by a person."""


def q(name: str) -> str:
    return f"`{name}`"


@dataclass
class StatusAdd:
    pipeline: RemotePipeline
    body: StatusBody


@dataclass
class SystemRename:
    pipeline: RemotePipeline
    status_id: int
    old: str
    new: str


@dataclass
class StatusUpdate:
    pipeline: RemotePipeline
    status: RemoteStatus
    patch: StatusPatch
    what: list[str]


@dataclass
class FieldChange:
    """Phase two's work on one field: enum values to add and the statuses it must be
    required in (names; ids are looked up after phase one has created them)."""

    entity: str
    name: str
    code: str | None
    remote: RemoteField | None
    """None: the field is created in phase one."""
    add_enums: list[EnumBody] = field(default_factory=list)
    wanted: list[tuple[str, str]] = field(default_factory=list)
    requires_change: bool = False
    shown_added: list[tuple[str, str]] = field(default_factory=list)
    shown_removed: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Plan:
    prune: bool
    pipelines_to_create: list[PipelineBody] = field(default_factory=list)
    status_adds: list[StatusAdd] = field(default_factory=list)
    renames: list[SystemRename] = field(default_factory=list)
    status_updates: list[StatusUpdate] = field(default_factory=list)
    mains: list[RemotePipeline] = field(default_factory=list)
    fields_to_create: dict[str, list[FieldBody]] = field(
        default_factory=lambda: {e: [] for e in ENTITIES})
    field_changes: list[FieldChange] = field(default_factory=list)
    loss_reasons_to_create: list[LossReasonBody] = field(default_factory=list)
    delete_statuses: list[tuple[RemotePipeline, RemoteStatus]] = field(default_factory=list)
    delete_pipelines: list[RemotePipeline] = field(default_factory=list)
    delete_fields: list[RemoteField] = field(default_factory=list)
    delete_loss_reasons: list[RemoteLossReason] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The plan as one line per change (`+` create, `~` change, `-` delete)."""
        out: list[str] = []
        for body in self.pipelines_to_create:
            statuses = [s for s in body.get("_embedded", {}).get("statuses", []) if "id" not in s]
            extra = ", main" if body.get("is_main") else ""
            out.append(f"+ create pipeline {q(body['name'])} with {len(statuses)} statuses{extra}")
        for add in self.status_adds:
            out.append(f"+ add status {q(add.body['name'])} to pipeline {q(add.pipeline.name)}")
        for r in self.renames:
            kind = "won" if r.status_id == WON_ID else "lost"
            out.append(f"~ rename {kind} status {r.status_id} of pipeline {q(r.pipeline.name)}: "
                       f"{q(r.old)} → {q(r.new)}")
        for u in self.status_updates:
            out.append(f"~ update status {q(u.status.name)} of pipeline {q(u.pipeline.name)}: "
                       + ", ".join(u.what))
        for p in self.mains:
            out.append(f"~ make {q(p.name)} the main pipeline")
        for entity in ENTITIES:
            for fbody in self.fields_to_create[entity]:
                out.append(f"+ create {ENTITY_WORDS[entity]} field {q(fbody['name'])} "
                           f"({fbody['type']})")
        for c in self.field_changes:
            label = f"{ENTITY_WORDS[c.entity]} field {q(c.name)}"
            if c.add_enums:
                out.append(f"~ {label}: add values " + ", ".join(q(e["value"]) for e in c.add_enums))
            if c.requires_change:
                if c.shown_added:
                    out.append(f"~ {label}: required to enter "
                               + ", ".join(f"{q(p)} → {q(s)}" for p, s in c.shown_added))
                if c.shown_removed:
                    out.append(f"- {label}: no longer required to enter "
                               + ", ".join(f"{q(p)} → {q(s)}" for p, s in c.shown_removed))
        for new in self.loss_reasons_to_create:
            out.append(f"+ create loss reason {q(new['name'])}")
        for pipe, status in self.delete_statuses:
            out.append(f"- delete status {q(status.name)} of pipeline {q(pipe.name)} "
                       "(its deals move to the pipeline's first stage)")
        for pipe in self.delete_pipelines:
            out.append(f"- delete pipeline {q(pipe.name)} (amoCRM refuses if it holds deals)")
        for f in self.delete_fields:
            out.append(f"- delete {ENTITY_WORDS[f.entity]} field {q(f.name)} (its values are lost)")
        for gone in self.delete_loss_reasons:
            out.append(f"- delete loss reason {q(gone.name)}")
        return out

    @property
    def change_count(self) -> int:
        return len(self.lines())


def _new_status_sorts(pipe: RemotePipeline, file_statuses: list[StatusBody]) -> dict[str, int]:
    """Sort values that put each new status right after the file's previous stage that
    the pipeline already has (amoCRM renumbers sorts; only the order matters)."""
    out: dict[str, int] = {}
    anchor, k = 10, 0  # 10: the unsorted status, always first
    for status in file_statuses:
        existing = pipe.user_status(status["name"])
        if existing is not None:
            anchor, k = existing.sort, 0
            continue
        k += 1
        out[status["name"]] = anchor + k
    return out


class _Planner:
    def __init__(self, bundle: Bundle, account: Account, prune: bool) -> None:
        self.bundle = bundle
        self.account = account
        self.plan = Plan(prune)
        self.auto = {(a["pipeline"], a["status"]) for a in bundle.get("auto_colors", [])}

    def _warn_duplicates(self) -> None:
        seen: dict[str, int] = {}
        for p in self.account.pipelines:
            seen[p.name] = seen.get(p.name, 0) + 1
        for name, count in seen.items():
            if count > 1:
                first = self.account.pipeline(name)
                assert first is not None
                self.plan.warnings.append(f"the account has {count} pipelines named {q(name)}: "
                                          f"funnelc uses the first (id {first.id})")

    def pipelines(self) -> None:
        plan, account = self.plan, self.account
        self._warn_duplicates()
        file_names = {b["name"] for b in self.bundle["pipelines"]}
        for body in self.bundle["pipelines"]:
            remote = account.pipeline(body["name"])
            if remote is None:
                plan.pipelines_to_create.append(body)
                continue
            self._existing_pipeline(remote, body)
        for remote in account.pipelines:
            if remote.name in file_names:
                continue
            if plan.prune:
                plan.delete_pipelines.append(remote)
            else:
                plan.kept.append(f"pipeline {q(remote.name)} (not in the file)")
        total = len(account.pipelines) + len(plan.pipelines_to_create) - len(plan.delete_pipelines)
        if total > MAX_PIPELINES:
            plan.errors.append(
                f"the account would hold {total} pipelines ({len(account.pipelines)} now, "
                f"{len(plan.pipelines_to_create)} to create): amoCRM allows at most {MAX_PIPELINES}")

    def _existing_pipeline(self, remote: RemotePipeline, body: PipelineBody) -> None:
        plan = self.plan
        statuses = body.get("_embedded", {}).get("statuses", [])
        user = [s for s in statuses if "id" not in s]
        sorts = _new_status_sorts(remote, user)
        names = {s["name"] for s in user}
        for status in user:
            existing = remote.user_status(status["name"])
            if existing is None:
                new_body = status.copy()
                new_body["sort"] = sorts[status["name"]]
                plan.status_adds.append(StatusAdd(remote, new_body))
            else:
                self._existing_status(remote, existing, status)
        for system in (s for s in statuses if "id" in s):
            current = remote.status(system["id"])
            if current is None or current.name == system["name"]:
                continue
            if current.name in DEFAULT_SYSTEM_NAMES:
                plan.renames.append(SystemRename(remote, system["id"], current.name, system["name"]))
            else:
                plan.warnings.append(
                    f"status {system['id']} of pipeline {q(remote.name)} is called "
                    f"{q(current.name)} (named by hand): left as it is")
        extra = [s for s in remote.user_statuses if s.name not in names]
        if plan.prune:
            plan.delete_statuses.extend((remote, s) for s in extra)
        elif extra:
            plan.kept.append(f"statuses of {q(remote.name)} not in the file: "
                             + ", ".join(q(s.name) for s in extra))
        if body.get("is_main") and not remote.is_main:
            plan.mains.append(remote)
        after = (len(remote.statuses) + sum(1 for a in plan.status_adds if a.pipeline is remote)
                 - sum(1 for p, _ in plan.delete_statuses if p is remote))
        if after > MAX_STATUSES:
            plan.errors.append(
                f"pipeline {q(remote.name)} would hold {after} statuses (system ones included): "
                f"amoCRM allows at most {MAX_STATUSES}")

    def _existing_status(self, pipe: RemotePipeline, remote: RemoteStatus,
                         body: StatusBody) -> None:
        patch: StatusPatch = {}
        what: list[str] = []
        color = body.get("color")
        if (color and (pipe.name, body["name"]) not in self.auto
                and color.lower() != remote.color.lower()):
            patch["color"] = color
            what.append(f"colour {remote.color} → {color}")
        wanted = next((d for d in body.get("descriptions", []) if d["level"] == "newbie"), None)
        if wanted is not None and remote.descriptions is not None:
            current = remote.description("newbie")
            if current is None:
                patch["descriptions"] = [{"level": "newbie", "description": wanted["description"]}]
                what.append("add the hint as its description")
            elif current.get("description") != wanted["description"]:
                patch["descriptions"] = [{"id": current["id"], "level": "newbie",
                                          "description": wanted["description"]}]
                what.append("replace its description with the hint")
        if patch:
            self.plan.status_updates.append(StatusUpdate(pipe, remote, patch, what))

    # ------------------------------------------------------------------ fields

    def fields(self) -> None:
        plan, account = self.plan, self.account
        wanted: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for entry in self.bundle.get("required_statuses", []):
            key = (entry["entity"], entry.get("code") or entry["field"])
            wanted[key] = [(s["pipeline"], s["status"]) for s in entry["statuses"]]
        in_file: dict[str, set[str]] = {e: set() for e in ENTITIES}
        for entity in ENTITIES:
            for body in self.bundle["custom_fields"][entity]:
                in_file[entity].add(body["name"])
                remote = account.field(entity, name=body["name"])
                if remote is None:
                    plan.fields_to_create[entity].append(body)
                self._field(entity, body["name"], None, remote, body, wanted.get((entity, body["name"]), []))
        for builtin in self.bundle.get("builtin_fields", []):
            entity, code = builtin["entity"], builtin["code"]
            remote = account.field(entity, code=code)
            if remote is None:
                plan.warnings.append(f"the account has no built-in {code} field of {entity}: "
                                     f"field {q(builtin['field'])} is left out")
                continue
            in_file[entity].add(remote.name)
            self._field(entity, builtin["field"], code, remote, None, wanted.get((entity, code), []))
        for entity in ENTITIES:
            seen: dict[str, int] = {}
            for f in account.fields.get(entity, []):
                seen[f.name] = seen.get(f.name, 0) + 1
            for name, count in seen.items():
                if count > 1 and name in in_file[entity]:
                    first = account.field(entity, name=name)
                    assert first is not None
                    plan.warnings.append(f"the account has {count} {ENTITY_WORDS[entity]} fields "
                                         f"named {q(name)}: funnelc uses the first (id {first.id})")
        others = [f for e in ENTITIES for f in account.fields.get(e, []) if f.name not in in_file[e]]
        if plan.prune:
            plan.delete_fields.extend(f for f in others if f.deletable)
        elif others:
            counts = {e: sum(1 for f in others if f.entity == e) for e in ENTITIES}
            plan.kept.append(f"{len(others)} custom fields not in the file ("
                             + ", ".join(f"{ENTITY_WORDS[e]} {n}" for e, n in counts.items() if n)
                             + ")")

    def _field(self, entity: str, name: str, code: str | None, remote: RemoteField | None,
               body: FieldBody | None, wanted: list[tuple[str, str]]) -> None:
        change = FieldChange(entity, name, code, remote, wanted=wanted)
        if remote is not None and body is not None:
            if remote.type != body["type"]:
                self.plan.warnings.append(
                    f"{ENTITY_WORDS[entity]} field {q(name)} is {remote.type} in the account, "
                    f"{body['type']} in the file: amoCRM cannot change a field's type; left as it is")
            have = {str(e.get("value")) for e in remote.enums}
            top = max((json_int(e.get("sort") or 0) for e in remote.enums), default=0)
            for item in body.get("enums", []):
                if item["value"] not in have:
                    top += 1
                    change.add_enums.append({"value": item["value"], "sort": top})
        current = set(remote.required) if remote is not None else set()
        names = self._pair_names()
        resolved: set[tuple[int, int]] = set()
        for pair in wanted:
            ids = self._ids(pair)
            if ids is None or ids not in current:
                change.shown_added.append(pair)
            if ids is not None:
                resolved.add(ids)
        if self.plan.prune:
            change.shown_removed = [names.get(p, (f"pipeline {p[0]}", f"status {p[1]}"))
                                    for p in sorted(current - resolved)]
        change.requires_change = bool(change.shown_added or change.shown_removed)
        if change.add_enums or change.requires_change:
            self.plan.field_changes.append(change)

    def _ids(self, pair: tuple[str, str]) -> tuple[int, int] | None:
        pipe = self.account.pipeline(pair[0])
        if pipe is None:
            return None
        status = pipe.user_status(pair[1])
        return (pipe.id, status.id) if status is not None else None

    def _pair_names(self) -> dict[tuple[int, int], tuple[str, str]]:
        return {(p.id, s.id): (p.name, s.name) for p in self.account.pipelines for s in p.statuses}


def _loss_reasons(plan: Plan, wanted: list[str], account: Account) -> None:
    """Create the file's reasons the account lacks, sorted after the ones it has."""
    top = max((r.sort for r in account.loss_reasons), default=0)
    have = {r.name for r in account.loss_reasons}
    for name in wanted:
        if name in have:
            continue
        have.add(name)
        top += 10
        # request_id counts from 1: amoCRM refuses 0 (the official PHP SDK's toApi)
        plan.loss_reasons_to_create.append(
            {"name": name, "sort": top, "request_id": str(len(plan.loss_reasons_to_create) + 1)})
    others = [r for r in account.loss_reasons if r.name not in set(wanted)]
    if plan.prune:
        plan.delete_loss_reasons.extend(others)
    elif others:
        plan.kept.append("loss reasons not in the file: " + ", ".join(q(r.name) for r in others))


def make_plan(bundle: Bundle, account: Account, *, prune: bool = False) -> Plan:
    planner = _Planner(bundle, account, prune)
    planner.pipelines()
    planner.fields()
    _loss_reasons(planner.plan, bundle.get("loss_reasons", []), account)
    return planner.plan
