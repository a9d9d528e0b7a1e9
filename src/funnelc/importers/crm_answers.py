"""What the Pipedrive and HubSpot importers share: the saved answers they read, a
builder of the funnel model from plain pipelines/stages/fields, and the funnel text with
its header comment.

Input. `funnelc apply --to CRM` reads an account with a few GET requests; the importer
takes the same answers, as the apply target's `answers()` gives them or as saved by
hand: one JSON object whose keys name the requests (Pipedrive: `pipelines`, `stages`,
`dealFields`, `personFields`, `organizationFields`; HubSpot: `pipelines/deals`,
`properties/deals`, `properties/contacts`, `properties/companies`) and whose values are
the answers as the CRM sent them (one page; several pages as an array of answers).

Like the amoCRM importer, no routing comes over (no CRM stores it): every stage is a
parking stage and the header says so."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..span import NOWHERE
from .amocrm import Imported, _name, _named, _one_line, _unique, _wrap, option_values
from .json_input import ARRAY, OBJECT, Walker, another_kind
from .kept import kinds_note, not_held_line

__all__ = ["Stage", "Pipeline", "Field", "Answers", "read_answers", "build", "render",
           "items_of", "Kind"]

Kind = str
"""A funnel field kind (`model.FieldType.kind`)."""


@dataclass(eq=False)
class Field:
    name: str
    kind: Kind
    entity: m.Entity
    values: list[str] = field(default_factory=list)


@dataclass
class Stage:
    name: str
    requires: list[Field] = field(default_factory=list)
    """The fields required to enter it (themselves, not their names: a deal's and a
    contact's field may share a name, and the file's name of each may differ)."""
    hint: str | None = None
    """What the CRM says about the stage (Salesforce: the stage value's description),
    on one line."""


@dataclass
class Pipeline:
    name: str
    stages: list[Stage]
    main: bool = False


@dataclass
class Answers:
    """The answers by request name, and the file each came from (for messages)."""

    answers: JSONObject
    files: dict[str, str]
    default: str

    def walker(self, key: str) -> Walker:
        return Walker(self.files.get(key, self.default))


def read_answers(paths: tuple[str, ...] | list[str]) -> Answers:
    """Saved answers: each file a JSON object whose keys name requests; a key in
    several files is several pages (their answers in file order)."""
    from .json_input import read_json

    merged: JSONObject = {}
    files: dict[str, str] = {}
    for path in paths:
        w = Walker(path)
        raw = read_json(path)
        if not isinstance(raw, dict):
            from .json_input import describe

            raise w.fail("", f"expected an object, found {describe(raw)}",
                         "save the answers funnelc apply reads: one JSON object, a key per "
                         "request (its answer as the CRM sent it)")
        data: JSONObject = raw
        for key, value in data.items():
            if key in merged:
                before = merged[key]
                merged[key] = [*(before if isinstance(before, list) else [before]),
                               *(value if isinstance(value, list) else [value])]
            else:
                merged[key] = value
                files[key] = path
    return Answers(merged, files, paths[0] if paths else "<answers>")


def items_of(source: Answers, key: str, list_key: str, *,
             required: bool = True) -> list[tuple[JSONObject, str]]:
    """The items of one request's answer(s) (`data` or `results`), with their paths.
    An answer is an object; several pages are an array of answers."""
    w = source.walker(key)
    answers = source.answers
    if key not in answers:
        if required:
            crm = "hubspot" if "/" in key else "pipedrive"
            raise w.fail(key, f"missing: the answer to the `{key}` request",
                         another_kind(answers, crm) or
                         "save the answers funnelc apply reads: one JSON object, a key per "
                         "request")
        return []
    raw = answers[key]
    pages: list[tuple[JSON, str]] = ([(p, f"{key}[{i}]") for i, p in enumerate(raw)]
                                     if isinstance(raw, list) else [(raw, key)])
    out: list[tuple[JSONObject, str]] = []
    for page, where in pages:
        obj = w.expect(page, where, OBJECT)
        items = w.opt(obj, list_key, where, ARRAY, nullable=True) or []
        for k, item in enumerate(items):
            path = f"{where}.{list_key}[{k}]"
            out.append((w.expect(item, path, OBJECT), path))
    return out


def build(pipelines: list[Pipeline], fields: list[Field], path: str,
          notes: list[str]) -> Imported:
    """The funnel model: names made unique and one-line (each change noted), every
    stage a parking stage with its `requires`."""
    taken: set[str] = set()
    card_fields: list[m.CardField] = []
    renamed: dict[int, str] = {}
    """The file's name of each field, by the field's id()."""
    for f in fields:
        name = _unique(_named(f.name), taken, f.entity.value)
        if name != f.name:
            notes.append(f"{f.entity.value} field «{f.name}» is called «{name}» here")
        renamed[id(f)] = name
        values = option_values(f.values, name, notes)
        kind = f.kind
        if kind in ("enum", "multi") and not values:
            notes.append(f"field «{name}» has no options: imported as text")
            kind = "text"
        card_fields.append(m.CardField(
            span=NOWHERE, name=_name(name),
            type=m.FieldType(span=NOWHERE, kind=kind, values=values),  # type: ignore[arg-type]
            entity=f.entity, entity_explicit=f.entity is not m.Entity.deal))
    out: list[m.Pipeline] = []
    pipe_names: set[str] = set()
    count = 0
    main_done = False
    for pipe in pipelines:
        name = _unique(_named(pipe.name), pipe_names)
        if name != pipe.name:
            notes.append(f"pipeline «{pipe.name}» is called «{name}» here")
        stage_names: set[str] = set()
        stages = []
        for stage in pipe.stages:
            stage_name = _unique(_named(stage.name), stage_names)
            if stage_name != stage.name:
                notes.append(f"«{name}»: stage «{stage.name}» is called «{stage_name}» here")
            requires = tuple(dict.fromkeys(_name(renamed[id(r)]) for r in stage.requires
                                           if id(r) in renamed))
            hint = _one_line(stage.hint) if stage.hint else ""
            stages.append(m.Stage(span=NOWHERE, name=_name(stage_name), requires=requires,
                                  hint=_name(hint) if hint else None))
        count += len(stages)
        main = pipe.main and not main_done
        main_done = main_done or main
        out.append(m.Pipeline(span=NOWHERE, name=_name(name), main=main, stages=tuple(stages)))
    funnel = m.FunnelFile(span=NOWHERE, path=path, fields=tuple(card_fields),
                          pipelines=tuple(out))
    return Imported(funnel, notes, count, [])


def render(imported: Imported, header: str, loss_header: str, crm: str) -> str:
    """Funnel text: the header comment (what the CRM's answers do not hold, notes and loss
    reasons listed), then the model in `fmt`'s canonical layout. `crm`: `pipedrive` or
    `hubspot`."""
    from ..fmt import format_model

    lines = header.splitlines() + _wrap(not_held_line(crm))
    notes = [*imported.header, *filter(None, [kinds_note(crm, imported.funnel.fields)])]
    if notes:
        lines += ["", "Notes:"] + [f"- {_one_line(note)}" for note in notes]
    if imported.loss_reasons:
        lines += ["", *loss_header.splitlines()] + [f"- {r}" for r in imported.loss_reasons]
    head = "\n".join(f"# {line}".rstrip() for line in lines)
    return head + "\n\n" + format_model(imported.funnel)
