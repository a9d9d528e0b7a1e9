"""`funnelc import --from pipedrive`: Pipedrive's API v2 answers → funnel text.

The answers are those `funnelc apply --to pipedrive` reads (see `crm_answers`):
`GET /api/v2/pipelines`, `/api/v2/stages`, and `/api/v2/{deal,person,organization}Fields
?include_fields=required_fields,important_fields`, shaped as the official client's
models say (`pipedrive/client-nodejs` @97e5382, `src/versions/v2/models/`).

What comes over: pipelines in Pipedrive's order (the lowest `order_nr`, the default
pipeline, is `main`), their stages in order, custom fields with their options (an
`enum` with exactly the options yes/no is a `bool`), the stages a deal field is required
at (`required_fields.stage_ids`) and those a person or organization field is highlighted
at (`important_fields.stage_ids`, the way apply writes a contact or company field the
file requires) as `requires`. Noted in the header: the person's built-in phone and email
(a funnel's first contact phone and email field is that field, so it is not imported),
stage probabilities and rotting (an inactivity timer, not an SLA), fields required
everywhere or to close as won/lost, and field types the language does not have."""

from __future__ import annotations

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from .amocrm import Imported
from .builtins import builtin_fields_note
from .crm_answers import (
    Answers,
    Field,
    Kind,
    Pipeline,
    Stage,
    build,
    items_of,
    read_answers,
    render,
)
from .json_input import ARRAY, BOOLEAN, INTEGER, NUMBER, OBJECT, STRING, Walker

__all__ = ["import_answers", "import_files", "HEADER"]

ENTITIES = {"dealFields": m.Entity.deal, "personFields": m.Entity.contact,
            "organizationFields": m.Entity.company}
TYPES: dict[str, Kind] = {"varchar": "text", "varchar_auto": "text", "text": "text",
                          "double": "number", "int": "int", "monetary": "money",
                          "date": "date", "phone": "phone", "enum": "enum", "set": "multi",
                          "boolean": "bool"}
YES_NO = [{"Yes", "No"}, {"Да", "Нет"}, {"Так", "Ні"}]

HEADER = """\
Imported from Pipedrive by `funnelc import --from pipedrive`.
Pipedrive stores no routing (moves between stages, shares, SLAs, teams, sources), so every
stage below is a parking stage: `funnelc check` reports each as never reached (FN215) and
each pipeline as having no way to won (FN216) until sources and outcomes are written."""


def _ids(w: Walker, raw: JSONObject, key: str, where: str) -> tuple[bool, list[int]]:
    conf = w.opt(raw, key, where, OBJECT, nullable=True)
    if conf is None:
        return False, []
    path = f"{where}.{key}"
    enabled = w.opt(conf, "enabled", path, BOOLEAN, nullable=True, default=False)
    ids = w.opt(conf, "stage_ids", path, ARRAY, nullable=True) or []
    return enabled, [w.expect(i, f"{path}.stage_ids[{k}]", INTEGER) for k, i in enumerate(ids)]


def import_files(paths: tuple[str, ...] | list[str], out_path: str = "imported.funnel"
                 ) -> tuple[str, Imported]:
    """Saved answers (see `crm_answers.read_answers`) → (funnel text, what was imported)."""
    return _import(read_answers(paths), out_path)


def import_answers(answers: dict[str, JSON], out_path: str = "imported.funnel"
                   ) -> tuple[str, Imported]:
    """Answers read live (the apply target's `answers()`) → (funnel text, imported)."""
    return _import(Answers(answers, {}, "the account's answers"), out_path)


def _import(source: Answers, out_path: str) -> tuple[str, Imported]:
    """(funnel text, what was imported); `JsonProblem` naming the place for an answer
    that is not shaped as Pipedrive documents it."""
    notes: list[str] = []
    pipes: list[tuple[int, int, str]] = []
    w = source.walker("pipelines")
    deleted: set[JSON] = set()
    for raw, where in items_of(source, "pipelines", "data"):
        if raw.get("is_deleted") is True:
            deleted.add(raw.get("id"))
            continue
        pipes.append((w.opt(raw, "order_nr", where, INTEGER, default=0),
                      w.get(raw, "id", where, INTEGER), w.get(raw, "name", where, STRING)))
    pipes.sort()
    stages: dict[int, list[tuple[int, int, str]]] = {pid: [] for _, pid, _ in pipes}
    stage_of: dict[int, tuple[int, int]] = {}
    probability: dict[int, float] = {}
    rotting: dict[int, int] = {}
    """By stage id, for the notes (written after `build`, in the file's names)."""
    orphans: dict[int, list[str]] = {}
    """Stages of a pipeline the `pipelines` answer does not hold (a page not saved)."""
    w = source.walker("stages")
    for raw, where in items_of(source, "stages", "data"):
        if raw.get("is_deleted") is True:
            continue
        pid = w.get(raw, "pipeline_id", where, INTEGER)
        name = w.get(raw, "name", where, STRING)
        sid = w.get(raw, "id", where, INTEGER)
        if pid in stages:
            stages[pid].append((w.opt(raw, "order_nr", where, INTEGER, default=0), sid, name))
        elif pid not in deleted:
            orphans.setdefault(pid, []).append(name)
        p = w.opt(raw, "deal_probability", where, NUMBER, nullable=True)
        days = w.opt(raw, "days_to_rotten", where, INTEGER, nullable=True)
        rots = w.opt(raw, "is_deal_rot_enabled", where, BOOLEAN, nullable=True)
        if pid not in stages:
            continue
        if p is not None:
            probability[sid] = p
        if rots and days:
            rotting[sid] = days
    pipelines: list[Pipeline] = []
    for pi, (_, pid, name) in enumerate(pipes):
        ordered = sorted(stages[pid])
        for si, (_, sid, _) in enumerate(ordered):
            stage_of[sid] = (pi, si)
        pipelines.append(Pipeline(name, [Stage(n) for _, _, n in ordered], main=pi == 0))
    for pid, names in orphans.items():
        notes.append(f"stages of pipeline {pid}, which the `pipelines` answer does not hold, "
                     "left out: " + ", ".join(f"«{n}»" for n in names)
                     + " (save every page of GET /api/v2/pipelines)")
    if pipes:
        notes.append(f"«{pipes[0][2]}» has the lowest order_nr: Pipedrive's default pipeline, "
                     "so it is main")
    fields: list[Field] = []
    builtin: list[tuple[str, str]] = []
    for endpoint, entity in ENTITIES.items():
        w = source.walker(endpoint)
        for raw, where in items_of(source, endpoint, "data", required=False):
            if not w.opt(raw, "is_custom_field", where, BOOLEAN, default=False):
                code = w.opt(raw, "field_code", where, STRING, nullable=True)
                if entity is m.Entity.contact and code in ("phone", "email"):
                    builtin.append(("contact", w.opt(raw, "field_name", where, STRING,
                                                     nullable=True, default=code)))
                continue
            fields.append(_field(w, raw, where, entity, pipelines, stage_of, notes))
    if builtin:
        notes.append(builtin_fields_note(builtin))
    if not pipes and not deleted:
        raise source.walker("pipelines").fail(
            "pipelines", "no pipelines: every Pipedrive company has one",
            "save the answer of GET /api/v2/pipelines with a token of the company (every page)")
    imported = build(pipelines, fields, out_path, notes)
    named = {sid: (imported.funnel.pipelines[pi].name.value,
                   imported.funnel.pipelines[pi].stages[si].name.value)
             for sid, (pi, si) in sorted(stage_of.items(), key=lambda item: item[1])}
    """Stage id → (pipeline, stage) as the file calls them, in the file's order."""
    if probability.keys() & named.keys():
        imported.header.append(
            "deal probabilities (not imported: funnelc's export computes them from the "
            "routing): " + ", ".join(f"«{pn}»: «{sn}» {round(probability[sid])}%"
                                     for sid, (pn, sn) in named.items() if sid in probability))
    if rotting.keys() & named.keys():
        imported.header.append(
            "rotting (a deal not updated for so long is marked, not moved; an SLA is the "
            "nearest thing): " + ", ".join(f"«{pn}»: «{sn}» {counted(rotting[sid], 'day')}"
                                           for sid, (pn, sn) in named.items() if sid in rotting))
    return render(imported, HEADER, "", "pipedrive"), imported


def _field(w: Walker, raw: JSONObject, where: str, entity: m.Entity, pipelines: list[Pipeline],
           stage_of: dict[int, tuple[int, int]], notes: list[str]) -> Field:
    name = w.get(raw, "field_name", where, STRING)
    ftype = w.get(raw, "field_type", where, STRING)
    raw_options: list[JSON] = w.opt(raw, "options", where, ARRAY, nullable=True) or []
    options = [w.get(w.expect(o, f"{where}.options[{k}]", OBJECT), "label",
                     f"{where}.options[{k}]", STRING) for k, o in enumerate(raw_options)]
    kind = TYPES.get(ftype)
    if kind is None:
        notes.append(f"field «{name}» ({ftype}) imported as text: the language has no such type")
        kind = "text"
    if kind == "enum" and set(options) in YES_NO:
        kind, options = "bool", []
    out = Field(name, kind, entity, options if kind in ("enum", "multi") else [])
    enabled, required = _ids(w, raw, "required_fields", where)
    _, important = _ids(w, raw, "important_fields", where)
    conf = w.opt(raw, "required_fields", where, OBJECT, nullable=True) or {}
    if enabled and not required:
        notes.append(f"field «{name}» is required everywhere in Pipedrive")
    if conf.get("statuses"):
        notes.append(f"field «{name}» is required to close some deals as won/lost: the "
                     "language has no place for that")
    at = required if entity is m.Entity.deal else important
    for sid in at:
        if sid in stage_of:
            pi, si = stage_of[sid]
            pipelines[pi].stages[si].requires.append(out)
    return out
