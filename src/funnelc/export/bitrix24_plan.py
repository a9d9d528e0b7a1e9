"""Compare a funnel with what a Bitrix24 portal holds and decide what to change.

Matching is by name, as names are all the funnel file has: the main pipeline is the
portal's default deal pipeline (category 0; renamed to the file's name), the others are
deal categories by name (api-reference/crm/universal/category/crm-category-add.md). In a
pipeline's stage list (crm-status-add.md):

* the file's first stage is the system stage `NEW` (where new deals land; REST cannot
  create system stages), renamed and coloured; the others are in-progress stages
  (SEMANTICS "") matched by NAME, added with a STATUS_ID made from the name as the
  export bundle makes it (`bitrix24.status_code`: ≤ 22 characters of [A-Za-z0-9_-],
  17 in a non-default pipeline, whose `C{id}:` prefix Bitrix24 adds itself);
* won is the one success stage `WON`, lost the system failure stage `LOSE`, and each
  `lost "reason"` of the file a failure stage (SEMANTICS "F") matched by NAME;
* SORT keeps the documented order "In progress" < "Success" < "Failure" at every step:
  failure stages are raised above where WON will be first, then WON, then the
  in-progress stages are placed 10, 20, 30 …; WON is moved only when it is not already
  above every in-progress stage that stays (so a second apply moves nothing);
* SEMANTICS is immutable (`crm.status.fields`: isImmutable) and `crm.status.update`
  takes only NAME, SORT, COLOR: a stage is never re-typed;
* colours: the file's colour is set when the file names one; a colour funnelc chose is
  given to new stages only, never forced on one someone coloured by hand.

The first phone and email field of contacts and of companies are the built-in multiple
fields PHONE and EMAIL (`bitrix24.builtin_multifields`): no user field is made for them,
the plan leaves them alone. User fields (crm-deal-userfield-add.md and its
contact/company twins): matched by label,
then by FIELD_NAME (`UF_CRM_` + the name's code, ≤ 50 characters); created with the
USER_TYPE_ID of the field's kind, MULTIPLE for `multi`, the LIST of an enum, and
MANDATORY "Y" only when the field is required on entering the first stage of every
pipeline (then every deal needs it from the start, which is what MANDATORY means);
other stage-dependent requirements have no REST method (research §2.3) and are listed
"by hand". Missing LIST values are added (existing ones sent back with their ID);
USER_TYPE_ID, FIELD_NAME and MULTIPLE cannot be changed (crm-deal-userfield-update.md
lists neither) — a different type is a warning.

Nothing is deleted without `allow_delete`; then in-progress and failure stages the file
does not have (never system ones), pipelines the file does not have (Bitrix24 refuses a
pipeline that holds deals) and user fields the file does not have are deleted, last.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .bitrix24 import (
    CATEGORY_STATUS_ID,
    DEFAULT_STAGE_CODES,
    FAILURE_COLOR,
    MAX_STATUS_ID,
    PROGRESS_COLORS,
    builtin_multifields,
    status_code,
)
from .bitrix24_account import ENTITIES, Category, FieldEntity, Snapshot, Stage, UserField
from .crm_common import code_stem, language, lost_reasons, stage_by_hand
from .deploy import Plan, Step

__all__ = ["CallAction", "NewCategory", "DeleteDefaults", "Action", "Want", "StageWant",
           "FieldWant", "make_plan", "category_steps", "wants", "USER_TYPES",
           "FIELD_CODE_LIMIT"]

USER_TYPES: dict[str, str] = {
    "text": "string", "phone": "string", "email": "string", "number": "double",
    "money": "money", "date": "date", "url": "url", "bool": "boolean", "int": "integer",
    "enum": "enumeration", "multi": "enumeration"}
"""USER_TYPE_ID of each field kind (crm-deal-userfield-add.md, USER_TYPE_ID values)."""
FIELD_CODE_LIMIT = 50 - len("UF_CRM_")
"""FIELD_NAME: 50 characters with the `UF_CRM_` prefix, A-Z 0-9 _ (crm-deal-userfield-add.md)."""
ENTITY_WORDS: dict[FieldEntity, str] = {"deal": "deal", "contact": "contact", "company": "company"}


def q(name: str) -> str:
    return f"`{name}`"


@dataclass(frozen=True)
class CallAction:
    """One REST call on objects that exist (ids known at plan time)."""

    method: str
    params: JSONObject


@dataclass(frozen=True)
class StageWant:
    name: str
    color: str | None
    """The file's colour, upper case (None: the file names none)."""
    auto_color: str


@dataclass(frozen=True)
class Want:
    """What one pipeline of the file asks of its stage list."""

    pipeline: str
    main: bool
    stages: tuple[StageWant, ...]
    reasons: tuple[str, ...]
    lang: str | None


@dataclass(frozen=True)
class NewCategory:
    """Create a pipeline, then shape the stage list Bitrix24 gives it."""

    want: Want
    sort: int


@dataclass(frozen=True)
class DeleteDefaults:
    """With allow_delete: remove the stages a new pipeline starts with that the file
    does not have (they exist only once it is created)."""

    want: Want


Action = CallAction | NewCategory | DeleteDefaults


@dataclass(frozen=True)
class FieldWant:
    entity: FieldEntity
    name: str
    kind: str
    values: tuple[str, ...]
    mandatory: bool


def _color(stage: m.Stage, index: int) -> StageWant:
    explicit = stage.color.value.upper() if stage.color is not None else None
    return StageWant(stage.name.value, explicit, PROGRESS_COLORS[index % len(PROGRESS_COLORS)])


def wants(funnel: m.FunnelFile) -> tuple[list[Want], list[FieldWant], list[str]]:
    """The file as Bitrix24 can hold it: pipelines (main first), fields, and what must be
    done by hand (stage-dependent requirements, robots, SLAs, respond, hints, patience)."""
    lang = language(funnel)
    pipelines = sorted(funnel.pipelines, key=lambda p: not p.main)
    out = [Want(p.name.value, p.main, tuple(_color(s, i) for i, s in enumerate(p.stages)),
                tuple(r for r, _ in lost_reasons(p)), lang) for p in pipelines]
    firsts = [p.stages[0] for p in funnel.pipelines if p.stages]
    by_hand: list[str] = []
    fields: list[FieldWant] = []
    builtin = builtin_multifields(funnel)
    for f in funnel.fields:
        if (f.entity, f.name.value) in builtin:
            continue
        mandatory = bool(firsts) and all(any(r.value == f.name.value for r in s.requires)
                                         for s in firsts)
        values = (tuple(v.value for v in f.type.values) if f.type.kind in ("enum", "multi")
                  else ())
        fields.append(FieldWant(f.entity.value, f.name.value, f.type.kind, values, mandatory))
    mandatory_names = {f.name for f in fields if f.mandatory}
    calendar = funnel.account is not None and funnel.account.hours is not None
    for p in funnel.pipelines:
        for i, s in enumerate(p.stages):
            where = f"«{p.name.value}» → «{s.name.value}»"
            extra = [r.value for r in s.requires if not (i == 0 and r.value in mandatory_names)]
            if extra:
                by_hand.append(f"{where}: make " + ", ".join(f"«{r}»" for r in extra)
                               + " required for this stage (no REST method sets "
                               "stage-dependent required fields)")
            if s.on_enter:
                by_hand.append(f"{where}: robots for {counted(len(s.on_enter), 'on-enter action')} "
                               "(robots are placed in the UI)")
            if s.sla is not None:
                by_hand.append(f"{where}: a robot with a {s.sla.after.text} delay"
                               + (" (working time)" if calendar else "")
                               + " for the SLA (no per-stage time limit in REST)")
            by_hand += [f"{where}: {step}" for step in stage_by_hand(
                s, "Bitrix24", "a robot", calendar=calendar)]
    return out, fields, by_hand


def _unique(code: str, used: set[str], limit: int) -> str:
    base = code[:limit].rstrip("_") or "STAGE"
    candidate, n = base, 2
    while candidate in used:
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)].rstrip("_") + suffix
        n += 1
    used.add(candidate)
    return candidate


@dataclass
class CategoryPlan:
    steps: list[Step[Action]] = field(default_factory=list)
    deletions: list[Step[Action]] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)


def _update(stage: Stage, fields: JSONObject) -> CallAction:
    return CallAction("crm.status.update", {"id": stage.id, "fields": fields})


def category_steps(cat: Category, want: Want, *, allow_delete: bool) -> CategoryPlan:
    """The stage changes of one existing pipeline, in an order that keeps Bitrix24's
    SORT rule true after every single call (see the module docstring)."""
    out = CategoryPlan()
    pipe = q(want.pipeline)
    stages = sorted(cat.stages, key=lambda s: (s.sort, s.id))
    process = [s for s in stages if s.semantics == "process"]
    failure = [s for s in stages if s.semantics == "failure"]
    won = next((s for s in stages if s.semantics == "success"), None)
    lose = cat.by_code("LOSE")
    new = cat.by_code("NEW")
    matched: dict[int, Stage] = {}
    used_ids: set[int] = set()
    for i, sw in enumerate(want.stages):
        hit = new if i == 0 and new is not None and new.semantics == "process" else None
        if hit is None:
            hit = next((s for s in process if s.name == sw.name and s.id not in used_ids
                        and (s is not new or i == 0)), None)
        if hit is not None:
            matched[i] = hit
            used_ids.add(hit.id)
    reasons: dict[str, Stage] = {}
    for reason in want.reasons:
        hit = next((s for s in failure if s.name == reason and s.id not in used_ids), None)
        if hit is not None:
            reasons[reason] = hit
            used_ids.add(hit.id)
    if lose is not None:
        used_ids.add(lose.id)
    if won is not None:
        used_ids.add(won.id)
    extra_process = [s for s in process if s.id not in used_ids]
    extra_failure = [s for s in failure if s.id not in used_ids]
    doomed = {s.id for s in extra_process + extra_failure if allow_delete and not s.system}
    staying = [s for s in extra_process if s.id not in doomed]
    n = len(want.stages)
    top = max([10 * n] + [s.sort for s in staying])
    won_sort = won.sort if won is not None else top + 100
    move_won = won is not None and won.sort <= top
    if move_won:
        won_sort = top + 100
    # 1. failure stages above where WON will be (raising keeps them above WON now).
    fail_top = max([won_sort] + [s.sort for s in failure])
    for s in failure:
        if s.sort <= won_sort:
            fail_top += 10
            kind = "lost stage" if s is lose else "failure stage"
            out.steps.append(Step("update", f"move {kind} {q(s.name)} of {pipe} after the won "
                                  f"stage (SORT {s.sort} → {fail_top})",
                                  _update(s, {"SORT": fail_top})))
    # 2. WON above every in-progress stage.
    if won is not None and move_won:
        out.steps.append(Step("update", f"move the won stage of {pipe} after the last stage "
                              f"(SORT {won.sort} → {won_sort})", _update(won, {"SORT": won_sort})))
    # 3. in-progress stages, in the file's order.
    limit = MAX_STATUS_ID if cat.id == 0 else CATEGORY_STATUS_ID
    codes = {s.code for s in stages} | set(DEFAULT_STAGE_CODES)
    for i, sw in enumerate(want.stages):
        sort = 10 * (i + 1)
        hit = matched.get(i)
        if hit is None:
            code = _unique(status_code(sw.name, want.lang) or "STAGE", codes, limit)
            out.steps.append(Step("create", f"add stage {q(sw.name)} to pipeline {pipe}",
                                  CallAction("crm.status.add", {"fields": {
                                      "ENTITY_ID": cat.entity_id, "STATUS_ID": code,
                                      "NAME": sw.name, "SORT": sort,
                                      "COLOR": sw.color or sw.auto_color, "SEMANTICS": ""}})))
            continue
        change: JSONObject = {}
        what = []
        if hit.name != sw.name:
            change["NAME"] = sw.name
            what.append(f"rename {q(hit.name)} → {q(sw.name)}")
        if hit.sort != sort:
            change["SORT"] = sort
            what.append(f"SORT {hit.sort} → {sort}")
        if sw.color is not None and hit.color.upper() != sw.color:
            change["COLOR"] = sw.color
            what.append(f"colour {hit.color or 'none'} → {sw.color}")
        if change:
            label = "first stage" if i == 0 and hit is new else f"stage {q(sw.name)}"
            out.steps.append(Step("update", f"update {label} of {pipe}: " + ", ".join(what),
                                  _update(hit, change)))
    # 4. a failure stage per lost reason.
    for k, reason in enumerate(r for r in want.reasons if r not in reasons):
        fail_top += 10
        stem = status_code(reason, want.lang)
        code = _unique("LOST_" + stem if stem else "LOST", codes, limit)
        out.steps.append(Step("create", f"add lost stage {q(reason)} to pipeline {pipe}",
                              CallAction("crm.status.add", {"fields": {
                                  "ENTITY_ID": cat.entity_id, "STATUS_ID": code, "NAME": reason,
                                  "SORT": fail_top, "COLOR": FAILURE_COLOR, "SEMANTICS": "F"}})))
        del k
    for s in extra_process + extra_failure:
        if s.id in doomed:
            out.deletions.append(Step("delete", f"delete stage {q(s.name)} of pipeline {pipe} "
                                      "(Bitrix24 refuses while deals are in it)",
                                      CallAction("crm.status.delete", {"id": s.id})))
    kept = [s for s in extra_process + extra_failure if s.id not in doomed]
    if kept:
        out.left_alone.append(f"stages of {pipe} not in the file: "
                              + ", ".join(q(s.name) for s in kept))
    return out


def _field_code(name: str, lang: str | None, used: set[str]) -> str:
    stem = (code_stem(name, lang).upper() or "FIELD")[:FIELD_CODE_LIMIT]
    return "UF_CRM_" + _unique(stem, used, FIELD_CODE_LIMIT)


def _field_steps(fw: FieldWant, remote: UserField | None, code: str, sort: int,
                 plan: Plan[Action]) -> None:
    method = f"crm.{fw.entity}.userfield"
    label = f"{ENTITY_WORDS[fw.entity]} field {q(fw.name)}"
    user_type = USER_TYPES[fw.kind]
    if remote is None:
        body: JSONObject = {"FIELD_NAME": code, "USER_TYPE_ID": user_type, "LABEL": fw.name,
                            "MULTIPLE": "Y" if fw.kind == "multi" else "N",
                            "MANDATORY": "Y" if fw.mandatory else "N", "SORT": sort}
        if fw.values:
            body["LIST"] = [{"VALUE": v, "SORT": 10 * (i + 1)} for i, v in enumerate(fw.values)]
        plan.steps.append(Step("create", f"create {label} ({user_type}"
                               + (", multiple" if fw.kind == "multi" else "")
                               + (", mandatory" if fw.mandatory else "") + ")",
                               CallAction(f"{method}.add", {"fields": body})))
        return
    if remote.user_type != user_type or remote.multiple != (fw.kind == "multi"):
        plan.warnings.append(f"{label} is {remote.user_type}"
                             + (" (multiple)" if remote.multiple else "")
                             + f" in Bitrix24, {user_type}"
                             + (" (multiple)" if fw.kind == "multi" else "")
                             + " in the file: a field's type cannot be changed; left as it is")
    change: JSONObject = {}
    what: list[str] = []
    if remote.mandatory != fw.mandatory:
        change["MANDATORY"] = "Y" if fw.mandatory else "N"
        what.append("mandatory" if fw.mandatory else "not mandatory")
    have = {v for _, v, _ in remote.enums}
    missing = [v for v in fw.values if v not in have]
    if missing and remote.user_type == "enumeration":
        top = max((s for _, _, s in remote.enums), default=0)
        items: list[JSON] = [{"ID": i, "VALUE": v, "SORT": s} for i, v, s in remote.enums]
        items += [{"VALUE": v, "SORT": top + 10 * (k + 1)} for k, v in enumerate(missing)]
        change["LIST"] = items
        what.append("add values " + ", ".join(q(v) for v in missing))
    if change:
        plan.steps.append(Step("update", f"{label}: " + "; ".join(what),
                               CallAction(f"{method}.update", {"id": remote.id, "fields": change})))


def _hidden_warning(name: str, hidden: list[int]) -> str:
    """A pipeline to be created while some exist that the webhook's user cannot read
    (crm.category.list leaves them out, crm.category.get answers ACCESS_DENIED): one of
    them may have the name, and Bitrix24 would then hold two pipelines of that name."""
    ids = ", ".join(str(i) for i in hidden)
    one = len(hidden) == 1
    return (f"pipeline {q(name)} is to be created, but the webhook's user cannot read "
            f"{counted(len(hidden), 'deal pipeline')} ({'id' if one else 'ids'} {ids}; "
            f"crm.category.list leaves {'it' if one else 'them'} out): if "
            f"{'it' if one else 'one of them'} is {q(name)}, "
            "Bitrix24 will hold two pipelines of that name. Give the webhook's user the "
            "right to read every deal pipeline (CRM access permissions: the user's role, "
            "Read on the deals of each pipeline) and plan again")


def make_plan(funnel: m.FunnelFile, snap: Snapshot, *, allow_delete: bool) -> Plan[Action]:
    plan: Plan[Action] = Plan()
    pipes, fields, by_hand = wants(funnel)
    plan.by_hand = by_hand
    plan.left_alone += [f"{ENTITY_WORDS[entity.value]} field {q(name)}: Bitrix24's built-in "
                        f"{code} (nothing created)"
                        for (entity, name), code in builtin_multifields(funnel).items()]
    names = {w.pipeline for w in pipes if not w.main}
    for index, want in enumerate(pipes):
        if want.main:
            cat = snap.default()
            if cat is None:
                plan.errors.append("the portal has no default deal pipeline to hold the main "
                                   f"pipeline {q(want.pipeline)}")
                continue
            if cat.name != want.pipeline:
                plan.steps.append(Step("update", f"rename the default pipeline {q(cat.name)} "
                                       f"→ {q(want.pipeline)}",
                                       CallAction("crm.category.update", {
                                           "entityTypeId": 2, "id": cat.id,
                                           "fields": {"name": want.pipeline}})))
        else:
            cat = snap.category(want.pipeline)
            if cat is None:
                plan.steps.append(Step("create", f"create pipeline {q(want.pipeline)} with "
                                       f"{counted(len(want.stages), 'stage')}"
                                       + (f" and {counted(len(want.reasons), 'lost stage')}"
                                          if want.reasons else ""),
                                       NewCategory(want, (index + 1) * 100)))
                if snap.hidden:
                    plan.warnings.append(_hidden_warning(want.pipeline, snap.hidden))
                if allow_delete:
                    plan.deletions.append(Step(
                        "delete", f"delete the stages new pipeline {q(want.pipeline)} starts "
                        "with that the file does not have", DeleteDefaults(want)))
                continue
        cp = category_steps(cat, want, allow_delete=allow_delete)
        plan.steps += cp.steps
        plan.deletions += cp.deletions
        plan.left_alone += cp.left_alone
    for cat in snap.categories:
        if cat.id == 0 or cat.is_default or cat.name in names:
            continue
        if allow_delete:
            plan.deletions.append(Step("delete", f"delete pipeline {q(cat.name)} (Bitrix24 "
                                       "refuses while it holds deals)",
                                       CallAction("crm.category.delete",
                                                  {"entityTypeId": 2, "id": cat.id})))
        else:
            plan.left_alone.append(f"pipeline {q(cat.name)} (not in the file)")
    _fields(funnel, snap, fields, plan, allow_delete)
    return plan


def _fields(funnel: m.FunnelFile, snap: Snapshot, fields: list[FieldWant], plan: Plan[Action],
            allow_delete: bool) -> None:
    lang = language(funnel)
    used = {f.field_name.removeprefix("UF_CRM_") for f in snap.fields}
    wanted: dict[FieldEntity, set[int]] = {e: set() for e in ENTITIES}
    for k, fw in enumerate(fields):
        stem = (code_stem(fw.name, lang).upper() or "FIELD")[:FIELD_CODE_LIMIT]
        mine = [f for f in snap.fields if f.entity == fw.entity and f.id not in wanted[fw.entity]]
        remote = (next((f for f in mine if f.named(fw.name)), None)
                  or next((f for f in mine if f.field_name == "UF_CRM_" + stem), None))
        code = "" if remote is not None else _field_code(fw.name, lang, used)
        if remote is not None:
            wanted[fw.entity].add(remote.id)
        _field_steps(fw, remote, code.removeprefix("UF_CRM_"), (k + 1) * 100, plan)
    others = [f for f in snap.fields if f.id not in wanted[f.entity]]
    for f in others:
        if allow_delete:
            plan.deletions.append(Step("delete", f"delete {ENTITY_WORDS[f.entity]} field "
                                       f"{q(f.label)} (its values are lost)",
                                       CallAction(f"crm.{f.entity}.userfield.delete",
                                                  {"id": f.id})))
    if others and not allow_delete:
        plan.left_alone.append(f"{counted(len(others), 'user field')} not in the file: "
                               + ", ".join(q(f.label) for f in others[:10])
                               + (" …" if len(others) > 10 else ""))
