"""`funnelc import --from hubspot`: HubSpot CRM v3 answers → funnel text.

The answers are those `funnelc apply --to hubspot` reads (see `crm_answers`):
`GET /crm/v3/pipelines/deals` and `GET /crm/v3/properties/{deals,contacts,companies}`,
shaped as HubSpot's public API spec collection says (`Pipeline`, `PipelineStage`,
`Property`, `Option`).

What comes over: deal pipelines by display order, their open stages in order (the
closed ones, probability 1.0 and 0.0, are won and lost, not stages in the language),
the custom properties of deals, contacts and companies as fields, and the options of
`closed_lost_reason` as the loss reasons listed in the header (the language names a
reason only on a `-> lost "reason"` outcome). The contact's own `phone` and `email`, which a
funnel's first contact phone and email field stand for, are named in a note, not imported.
HubSpot has no main pipeline (the first
by display order is taken) and no per-stage required properties in its API."""

from __future__ import annotations

import json

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..numfmt import pct_rounded
from .amocrm import Imported, _one_line
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

OBJECTS = {"properties/deals": m.Entity.deal, "properties/contacts": m.Entity.contact,
           "properties/companies": m.Entity.company}
LOST_REASON = "closed_lost_reason"

HEADER = """\
Imported from HubSpot by `funnelc import --from hubspot`.
HubSpot stores no routing (moves between stages, shares, SLAs, teams, sources), so every
stage below is a parking stage: `funnelc check` reports each as never reached (FN215) and
each pipeline as having no way to won (FN216) until sources and outcomes are written."""

PROBABILITIES_NOTE = ("deal probabilities (not imported: funnelc's export computes them "
                      "from the routing): ")

LOSS_HEADER = """\
Options of the deal property closed_lost_reason (HubSpot ties them to no stage; an outcome
names one as `-> lost "reason" 20%` where such deals are lost):"""


def _kind(ptype: str, ftype: str) -> Kind | None:
    if ptype == "enumeration":
        return {"checkbox": "multi", "booleancheckbox": "bool"}.get(ftype, "enum")
    return {"string": "text", "number": "number", "date": "date", "datetime": "date",
            "bool": "bool", "phone_number": "phone"}.get(ptype)


def _probability(w: Walker, raw: JSONObject, where: str) -> tuple[float | None, bool | None]:
    """(the stage's win probability, whether HubSpot calls it closed) from its metadata.
    HubSpot answers strings (`{"isClosed": "true", "probability": "1.0"}`); its docs and
    some clients show numbers and booleans (`{"probability": 0.5}`): both are read.
    `isClosed` is None where the answer does not say it (then probability 1.0 and 0.0,
    «0.0 being Closed Lost and 1.0 being Closed Won», are the closed stages)."""
    meta = w.opt(raw, "metadata", where, OBJECT, nullable=True) or {}
    value = meta.get("probability")
    path = f"{where}.metadata.probability"
    wrong = f"expected a number from 0.0 to 1.0, found {json.dumps(value, ensure_ascii=False)}"
    probability: float | None = None
    if isinstance(value, str):
        try:
            probability = float(value)
        except ValueError:
            raise w.fail(path, wrong) from None
    elif value is not None:
        probability = w.expect(value, path, NUMBER)
    if probability is not None and not 0 <= probability <= 1:
        raise w.fail(path, wrong)
    closed = meta.get("isClosed")
    if isinstance(closed, str) and closed.lower() in ("true", "false"):
        return probability, closed.lower() == "true"
    return probability, closed if isinstance(closed, bool) else None


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
    that is not shaped as HubSpot documents it."""
    notes: list[str] = []
    pipes: list[tuple[int, str, list[Stage]]] = []
    archived: list[str] = []
    archived_stages: list[str] = []
    closed: dict[str, list[str]] = {}
    probabilities: list[str] = []
    w = source.walker("pipelines/deals")
    for raw, where in items_of(source, "pipelines/deals", "results"):
        label = w.get(raw, "label", where, STRING)
        if w.opt(raw, "archived", where, BOOLEAN, nullable=True, default=False):
            archived.append(label)
            continue
        stages: list[tuple[int, str, tuple[float | None, bool | None]]] = []
        items: list[JSON] = w.get(raw, "stages", where, ARRAY)
        for k, item in enumerate(items):
            path = f"{where}.stages[{k}]"
            s = w.expect(item, path, OBJECT)
            if w.opt(s, "archived", path, BOOLEAN, nullable=True, default=False):
                archived_stages.append(f"«{_one_line(label)}»: "
                                       f"«{_one_line(w.get(s, 'label', path, STRING))}»")
                continue
            stages.append((w.opt(s, "displayOrder", path, INTEGER, default=0),
                           w.get(s, "label", path, STRING), _probability(w, s, path)))
        stages.sort()
        kept = []
        for _, name, (p, is_closed) in stages:
            if is_closed is None:
                is_closed = p in (0.0, 1.0)
            if is_closed:
                closed.setdefault(f"{'won' if p == 1.0 else 'lost'} «{name}»",
                                  []).append(label)
            else:
                kept.append(Stage(name))
                if p is not None:
                    probabilities.append(f"«{label}»: «{name}» {pct_rounded(p)}")
        pipes.append((w.opt(raw, "displayOrder", where, INTEGER, default=0), label, kept))
    pipes.sort(key=lambda p: (p[0], p[1]))
    pipelines = [Pipeline(label, stages, main=i == 0) for i, (_, label, stages) in
                 enumerate(pipes)]
    if archived:
        notes.append("archived pipelines left out: "
                     + ", ".join(f"«{_one_line(p)}»" for p in archived))
    if archived_stages:
        notes.append("archived stages left out: " + ", ".join(archived_stages))
    for what, where_list in closed.items():
        notes.append(f"closed {what} in " + ", ".join(f"«{p}»" for p in where_list))
    if probabilities:
        notes.append(PROBABILITIES_NOTE + ", ".join(probabilities))
    fields: list[Field] = []
    reasons: list[str] = []
    builtin: list[tuple[str, str]] = []
    for key, entity in OBJECTS.items():
        w = source.walker(key)
        for raw, where in items_of(source, key, "results", required=False):
            name = w.get(raw, "name", where, STRING)
            raw_options: list[JSON] = w.opt(raw, "options", where, ARRAY, nullable=True) or []
            options = [w.expect(o, f"{where}.options[{k}]", OBJECT)
                       for k, o in enumerate(raw_options)]
            every = [w.get(o, "label", f"{where}.options[{k}]", STRING)
                     for k, o in enumerate(options)]
            labels = [v for v, o in zip(every, options, strict=True) if o.get("hidden") is not True]
            hidden = [v for v, o in zip(every, options, strict=True) if o.get("hidden") is True]
            if hidden:
                notes.append(f"property «{w.opt(raw, 'label', where, STRING, default=name)}»: "
                             "hidden options left out (HubSpot keeps them on deals, forms do "
                             "not offer them): " + ", ".join(f"«{_one_line(v)}»" for v in hidden))
            if entity is m.Entity.deal and name == LOST_REASON:
                reasons = [_one_line(r) for r in labels if r.strip()]
                continue
            if w.opt(raw, "hubspotDefined", where, BOOLEAN, nullable=True, default=False):
                if entity is m.Entity.contact and name in ("phone", "email"):
                    builtin.append(("contact", w.opt(raw, "label", where, STRING, default=name)))
                continue
            label = w.get(raw, "label", where, STRING)
            ptype = w.get(raw, "type", where, STRING)
            ftype = w.get(raw, "fieldType", where, STRING)
            kind = _kind(ptype, ftype)
            if kind is None:
                notes.append(f"property «{label}» ({ptype}) imported as text")
                kind = "text"
            fields.append(Field(label, kind, entity, labels if kind in ("enum", "multi") else []))
    if builtin:
        notes.append(builtin_fields_note(builtin))
    if not pipes and not archived:
        raise source.walker("pipelines/deals").fail(
            "pipelines/deals", "no deal pipelines: every HubSpot account has its default one",
            "save the answer of GET /crm/v3/pipelines/deals with the account's token")
    if not pipes:
        names = ", ".join(f"«{_one_line(p)}»" for p in archived)
        raise source.walker("pipelines/deals").fail(
            "pipelines/deals.results",
            f"every deal pipeline is archived ({names}): no pipeline left to import",
            "an account always keeps a pipeline in use, so this is likely not its list: "
            "save GET /crm/v3/pipelines/deals again (without ?archived=true); to "
            "import an archived pipeline, restore it first (PATCH "
            "/crm/v3/pipelines/deals/{pipelineId} with \"archived\": false)")
    if pipelines:
        notes.append(f"HubSpot has no main pipeline: «{pipelines[0].name}», first by display "
                     "order, is main here")
    imported = build(pipelines, fields, out_path, notes)
    imported.loss_reasons = list(dict.fromkeys(reasons))
    return render(imported, HEADER, LOSS_HEADER, "hubspot"), imported
