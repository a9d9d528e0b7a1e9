"""What a HubSpot portal should hold for a funnel file, and the plan that gets it there.

The wanted pipelines are the export's (`export/hubspot.py`: labels, display order,
probabilities in HubSpot's steps of 0.1, one closed-won and one closed-lost stage);
properties are new here: each field of the file becomes a property of deals, contacts
or companies, and the `lost "reason"`s become the options of the deal property
`closed_lost_reason` (HubSpot has one closed-lost stage per pipeline).

Matching is by label (pipelines, stages inside their pipeline, properties inside their
object; a property also by its internal name), because names are all the file has:

* a missing pipeline is created with its stages in one request; a missing stage is
  added to an existing pipeline; an existing stage or pipeline gets the file's display
  order and probability when they differ; the closed won/lost stages of an existing
  pipeline are found by label, else by probability 1.0/0.0 (a label set by hand is kept);
* missing properties are created in one batch request per object; an existing
  enumeration gets the options it lacks (never removed); a property's type is changed
  only for `closed_lost_reason`, from HubSpot's free text to a dropdown of the reasons;
* nothing is deleted unless `allow_delete`: then stages, pipelines and custom properties
  the file does not have are deleted (HubSpot's own properties never).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from ..jsontypes import JSON, JSONObject
from . import deploy as d
from .crm_common import (
    CLOSED_NAMES,
    account_lost_reasons,
    code_stem,
    language,
    win_probabilities,
    yes_no,
)
from .hubspot import DEFAULT_CLOSED, MAX_STAGES, probability_text
from .hubspot_client import OBJECTS, HsAccount, HsPipeline, HsProperty

__all__ = ["WantStage", "WantPipeline", "WantProperty", "Wanted", "wanted_state", "make_plan",
           "HsAction", "CreatePipeline", "UpdatePipeline", "AddStage", "UpdateStage",
           "CreateProperties", "UpdateProperty", "DeleteThing", "MAX_PIPELINES",
           "LOST_REASON", "TYPES"]

MAX_PIPELINES = 100
"""Deal pipelines per portal on HubSpot's highest tier; a lower tier refuses earlier (a
located 4xx)."""
LOST_REASON = "closed_lost_reason"
OBJECT_OF: dict[m.Entity, str] = {m.Entity.deal: "deals", m.Entity.contact: "contacts",
                                  m.Entity.company: "companies"}
GROUPS = {"deals": "dealinformation", "contacts": "contactinformation",
          "companies": "companyinformation"}
"""The default property group of each object (`groupName` is required)."""
TYPES: dict[str, tuple[str, str]] = {
    "text": ("string", "text"), "email": ("string", "text"), "url": ("string", "text"),
    "phone": ("phone_number", "phonenumber"), "number": ("number", "number"),
    "int": ("number", "number"), "money": ("number", "number"), "date": ("date", "date"),
    "bool": ("bool", "booleancheckbox"), "enum": ("enumeration", "select"),
    "multi": ("enumeration", "checkbox"),
}
"""Funnel field kind → HubSpot (`type`, `fieldType`), both from `PropertyCreate`'s
enumerations."""
BUILTIN = {"email": "email", "phone": "phone"}
"""The first contact email/phone field of a file is HubSpot's own contact property."""
WORDS = {"deals": "deal", "contacts": "contact", "companies": "company"}


def q(name: str) -> str:
    return f"`{name}`"


@dataclass(frozen=True)
class WantStage:
    label: str
    order: int
    probability: str
    closed: str | None = None
    """"won" or "lost" for the closed stages."""


@dataclass(frozen=True)
class WantPipeline:
    label: str
    order: int
    stages: tuple[WantStage, ...]


@dataclass(frozen=True)
class WantProperty:
    object: str
    name: str
    label: str
    type: str
    field_type: str
    options: tuple[tuple[str, str], ...]
    """(label, value) pairs."""

    def body(self) -> JSONObject:
        """A `PropertyCreate` (`properties.json`)."""
        out: JSONObject = {"name": self.name, "label": self.label, "type": self.type,
                           "fieldType": self.field_type, "groupName": GROUPS[self.object]}
        if self.options:
            out["options"] = option_bodies(self.options)
        return out


def option_bodies(options: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[JSON]:
    """`OptionInput`s: `hidden`, `label`, `value` are required."""
    return [{"label": label, "value": value, "hidden": False, "displayOrder": k}
            for k, (label, value) in enumerate(options)]


@dataclass
class Wanted:
    pipelines: list[WantPipeline]
    properties: list[WantProperty]
    builtin: list[tuple[str, str]]
    reasons: list[str]


def _code(text: str, lang: str | None, taken: set[str], fallback: str) -> str:
    stem = code_stem(text, lang).lower()
    if not stem or not stem[0].isalpha():
        stem = f"{fallback}_{stem}".rstrip("_")
    code, n = stem, 2
    while code in taken:
        code, n = f"{stem}_{n}", n + 1
    taken.add(code)
    return code


def wanted_state(funnel: m.FunnelFile) -> Wanted:
    lang = language(funnel)
    won, lost = CLOSED_NAMES.get(lang or "en", DEFAULT_CLOSED)
    probability = win_probabilities(funnel)
    pipelines: list[WantPipeline] = []
    for pi, pipe in enumerate(funnel.pipelines):
        stages = [WantStage(s.name.value, si, probability_text(
            probability.get((pipe.name.value, s.name.value), 0.0)))
            for si, s in enumerate(pipe.stages)]
        n = len(stages)
        stages += [WantStage(won, n, "1.0", "won"), WantStage(lost, n + 1, "0.0", "lost")]
        pipelines.append(WantPipeline(pipe.name.value, pi, tuple(stages)))
    yes, no = yes_no(funnel)
    taken: dict[str, set[str]] = {o: set() for o in OBJECTS}
    props: list[WantProperty] = []
    builtin: list[tuple[str, str]] = []
    for card in funnel.fields:
        obj, kind = OBJECT_OF[card.entity], card.type.kind
        if obj == "contacts" and kind in BUILTIN and BUILTIN[kind] not in {b for _, b in builtin}:
            builtin.append((card.name.value, BUILTIN[kind]))
            continue
        ptype, ftype = TYPES[kind]
        options: list[tuple[str, str]] = []
        if kind == "bool":
            options = [(yes, "true"), (no, "false")]
        elif kind in ("enum", "multi"):
            values: set[str] = set()
            options = [(v.value, _code(v.value, lang, values, "option"))
                       for v in card.type.values]
        props.append(WantProperty(obj, _code(card.name.value, lang, taken[obj], "field"),
                                  card.name.value, ptype, ftype, tuple(options)))
    return Wanted(pipelines, props, builtin, account_lost_reasons(funnel))


# ---------------------------------------------------------------------- actions

@dataclass(frozen=True)
class CreatePipeline:
    want: WantPipeline


@dataclass(frozen=True)
class UpdatePipeline:
    pipeline_id: str
    display_order: int


@dataclass(frozen=True)
class AddStage:
    pipeline: str
    stage: WantStage


@dataclass(frozen=True)
class UpdateStage:
    pipeline_id: str
    stage_id: str
    display_order: int
    probability: str


@dataclass(frozen=True)
class CreateProperties:
    object: str
    properties: tuple[WantProperty, ...]


@dataclass(frozen=True)
class UpdateProperty:
    object: str
    name: str
    options: tuple[tuple[str, str], ...]
    """The new options, sent after the ones the property has."""
    make_enumeration: bool = False


@dataclass(frozen=True)
class DeleteThing:
    path: str


HsAction = (CreatePipeline | UpdatePipeline | AddStage | UpdateStage | CreateProperties
            | UpdateProperty | DeleteThing)


class _Planner:
    def __init__(self, wanted: Wanted, account: HsAccount, allow_delete: bool) -> None:
        self.wanted = wanted
        self.account = account
        self.allow_delete = allow_delete
        self.plan: d.Plan[HsAction] = d.Plan()

    def pipelines(self) -> None:
        plan, account = self.plan, self.account
        labels = {p.label for p in self.wanted.pipelines}
        creating = 0
        for want in self.wanted.pipelines:
            remote = account.pipeline(want.label)
            if remote is None:
                creating += 1
                plan.steps.append(d.Step("create", f"create pipeline {q(want.label)} with "
                                         f"{len(want.stages)} stages (closed won/lost included)",
                                         CreatePipeline(want)))
                continue
            if remote.display_order != want.order:
                plan.steps.append(d.Step("update", f"pipeline {q(want.label)}: display order "
                                         f"{remote.display_order} → {want.order}",
                                         UpdatePipeline(remote.id, want.order)))
            self._stages(remote, want)
        extra = [p for p in account.pipelines if p.label not in labels]
        for remote in extra:
            if self.allow_delete:
                plan.deletions.append(d.Step(
                    "delete", f"delete pipeline {q(remote.label)} (HubSpot refuses if deals "
                    "use it)", DeleteThing(f"/crm/v3/pipelines/deals/{remote.id}"
                                           "?validateReferencesBeforeDelete=true")))
            else:
                plan.left_alone.append(f"pipeline {q(remote.label)} (not in the file)")
        total = len(account.pipelines) + creating - (len(extra) if self.allow_delete else 0)
        if total > MAX_PIPELINES:
            plan.errors.append(f"the portal would hold {total} deal pipelines "
                               f"({len(account.pipelines)} now, {creating} to create): "
                               f"HubSpot allows at most {MAX_PIPELINES}")

    def _stages(self, remote: HsPipeline, want: WantPipeline) -> None:
        plan = self.plan
        used: set[str] = set()
        adds = 0
        for stage in want.stages:
            existing = remote.stage(stage.label)
            if existing is None and stage.closed is not None:
                existing = next((s for s in remote.stages if s.id not in used
                                 and s.probability == stage.probability
                                 and want_label_free(want, s.label)), None)
                if existing is not None:
                    plan.warnings.append(f"pipeline {q(remote.label)}: the closed {stage.closed} "
                                         f"stage is called {q(existing.label)} (named by hand): "
                                         "kept")
            if existing is None:
                adds += 1
                plan.steps.append(d.Step("create", f"add stage {q(stage.label)} to pipeline "
                                         f"{q(remote.label)}", AddStage(remote.label, stage)))
                continue
            used.add(existing.id)
            what = []
            if existing.display_order != stage.order:
                what.append(f"display order {existing.display_order} → {stage.order}")
            if existing.probability != stage.probability:
                what.append(f"probability {existing.probability} → {stage.probability}")
            if what:
                plan.steps.append(d.Step("update", f"update stage {q(existing.label)} of "
                                         f"pipeline {q(remote.label)}: " + ", ".join(what),
                                         UpdateStage(remote.id, existing.id, stage.order,
                                                     stage.probability)))
        extra = [s for s in remote.stages if s.id not in used]
        if self.allow_delete:
            plan.deletions += [d.Step("delete", f"delete stage {q(s.label)} of pipeline "
                                      f"{q(remote.label)}",
                                      DeleteThing(f"/crm/v3/pipelines/deals/{remote.id}/stages/"
                                                  f"{s.id}")) for s in extra]
        elif extra:
            plan.left_alone.append(f"stages of {q(remote.label)} not in the file: "
                                   + ", ".join(q(s.label) for s in extra))
        after = len(remote.stages) + adds - (len(extra) if self.allow_delete else 0)
        if after > MAX_STAGES:
            plan.errors.append(f"pipeline {q(remote.label)} would hold {after} stages: HubSpot "
                               f"allows at most {MAX_STAGES}")

    def properties(self) -> None:
        plan, account = self.plan, self.account
        to_create: dict[str, list[WantProperty]] = {o: [] for o in OBJECTS}
        in_file: dict[str, set[str]] = {o: set() for o in OBJECTS}
        for want in self.wanted.properties:
            remote = (account.prop(want.object, label=want.label)
                      or account.prop(want.object, name=want.name))
            if remote is None:
                to_create[want.object].append(want)
                continue
            in_file[want.object].add(remote.name)
            if remote.type != want.type:
                plan.warnings.append(f"{WORDS[want.object]} property {q(remote.label)} is "
                                     f"{remote.type} in the portal, {want.type} in the file: "
                                     "left as it is")
                continue
            self._options(remote, list(want.options), False)
        for obj, wants in to_create.items():
            if wants:
                plan.steps.append(d.Step("create", f"create {len(wants)} {WORDS[obj]} "
                                         "propert" + ("y" if len(wants) == 1 else "ies") + ": "
                                         + ", ".join(f"{q(w.label)} ({w.type})" for w in wants),
                                         CreateProperties(obj, tuple(wants))))
                in_file[obj] |= {w.name for w in wants}
        for label, name in self.wanted.builtin:
            in_file["contacts"].add(name)
            if account.prop("contacts", name=name) is None:
                plan.warnings.append(f"the portal has no contact property `{name}`: "
                                     f"{q(label)} is left out")
        if self.wanted.reasons:
            remote = account.prop("deals", name=LOST_REASON)
            if remote is None:
                plan.warnings.append(f"the portal has no deal property `{LOST_REASON}`: the "
                                     "lost reasons are left out")
                plan.by_hand.append("lost reasons: " + ", ".join(q(r) for r in self.wanted.reasons))
            else:
                # one set for all: «Дорого» and «дорого» both transliterate to `dorogo`, and
                # HubSpot refuses two options with one value (the whole update fails)
                taken: set[str] = {str(o.get("value")) for o in remote.options}
                have = {str(o.get("label")) for o in remote.options}
                lang = None
                options = [(r, _code(r, lang, taken, "reason")) for r in self.wanted.reasons
                           if r not in have]
                self._options(remote, options, remote.type != "enumeration")
        others = [p for o in OBJECTS for p in account.properties.get(o, [])
                  if not p.defined and p.name not in in_file[o]]
        if self.allow_delete:
            plan.deletions += [d.Step("delete", f"delete {WORDS[p.object]} property "
                                      f"{q(p.label)} (its values are lost)",
                                      DeleteThing(f"/crm/v3/properties/{p.object}/{p.name}"))
                               for p in others]
        elif others:
            plan.left_alone.append(f"{len(others)} custom propert"
                                   + ("y" if len(others) == 1 else "ies") + " not in the file")

    def _options(self, remote: HsProperty, wanted: list[tuple[str, str]], convert: bool) -> None:
        have_labels = {str(o.get("label")) for o in remote.options}
        have_values = {str(o.get("value")) for o in remote.options}
        new = [(label, value) for label, value in wanted
               if label not in have_labels and value not in have_values]
        if not new and not convert:
            return
        what = (f"make it a dropdown with the options {', '.join(q(n) for n, _ in new)}"
                if convert else "add options " + ", ".join(q(n) for n, _ in new))
        self.plan.steps.append(d.Step("update", f"{WORDS[remote.object]} property "
                                      f"{q(remote.name)}: {what}",
                                      UpdateProperty(remote.object, remote.name, tuple(new),
                                                     convert)))


def want_label_free(want: WantPipeline, label: str) -> bool:
    """True when no stage of the file has `label` (so the remote stage is not taken)."""
    return all(s.label != label for s in want.stages)


def make_plan(wanted: Wanted, account: HsAccount, *, allow_delete: bool = False
              ) -> d.Plan[HsAction]:
    planner = _Planner(wanted, account, allow_delete)
    planner.pipelines()
    planner.properties()
    # deletions run in the order stages, pipelines, properties: the frame runs them last
    planner.plan.deletions.sort(key=lambda s: 0 if "/stages/" in getattr(s.action, "path", "")
                                else 1 if "/pipelines/" in getattr(s.action, "path", "") else 2)
    return planner.plan


def property_patch(remote_options: list[JSONObject], action: UpdateProperty) -> JSONObject:
    """A `PropertyUpdate`: HubSpot replaces the options list, so the ones the property
    has are sent back first, then the new ones."""
    kept: list[JSON] = [{k: v for k, v in o.items()
                         if k in ("label", "value", "hidden", "displayOrder", "description")}
                        for o in remote_options]
    have = {str(o.get("value")) for o in remote_options}
    new = [o for o in option_bodies(list(action.options)) if isinstance(o, dict)
           and str(o.get("value")) not in have]
    for k, o in enumerate(new):
        if isinstance(o, dict):
            o["displayOrder"] = len(kept) + k
    body: JSONObject = {"options": [*kept, *new]}
    if action.make_enumeration:
        body["type"] = "enumeration"
        body["fieldType"] = "select"
    return body


def pipeline_body(want: WantPipeline) -> JSONObject:
    """A `PipelineInput` with its `PipelineStageInput`s."""
    return {"label": want.label, "displayOrder": want.order,
            "stages": [stage_body(s) for s in want.stages]}


def stage_body(stage: WantStage) -> JSON:
    return {"label": stage.label, "displayOrder": stage.order,
            "metadata": {"probability": stage.probability}}
