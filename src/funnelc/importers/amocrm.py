"""`funnelc import amocrm`: amoCRM's own GET answers → funnel text, so a consultant can
audit an existing account with `funnelc check`.

Inputs are the answers as amoCRM sends them: `GET /api/v4/leads/pipelines` (required),
`GET /api/v4/{leads,contacts,companies}/custom_fields` pages (`--fields`, repeatable),
`GET /api/v4/leads/pipelines/{id}/statuses?with=descriptions` (`--statuses`,
repeatable: the pipelines list carries no descriptions, and descriptions are the hints)
and `GET /api/v4/leads/loss_reasons` (`--loss-reasons`). The answer about one item
(`GET …/{id}`) is taken wherever the list is. Every key of the documented answers is
known; any other is collected (`Imported.unknown_keys`), not refused: amoCRM adds keys
without notice, and the command decides whether they are warnings or errors.

What comes over: pipelines in amoCRM's order (`main` kept; archived ones left out),
their user statuses in sort order as stages (the unsorted status and won/lost 142/143
are not stages in the language), any hex colour, the `newbie` description as `hint`,
custom fields with their enums, and each field's `required_statuses` as `requires` on
those stages. Built-in fields (PHONE, EMAIL …) come over only when a stage requires them;
the contact's and company's PHONE and EMAIL left out are named in a note (`builtins`).
Loss reasons are listed in the header comment: the language names a reason only on a
`-> lost "reason"` outcome, and amoCRM ties reasons to no stage.

What cannot: routing. amoCRM stores no transitions, shares, SLAs, teams or sources, and
inventing them (say, a `-> next` chain) would make `check` and the simulator report
things about the account that nobody knows. So every stage is imported as a parking
stage (no outcomes, no `stay`): `check` then says, truthfully, that no stage is reached
(FN215) and no pipeline has a way to won (FN216) until the consultant writes sources and
outcomes — while every lint rule about names, fields and colours applies as is. The
file's header comment says so, and lists whatever else was left out or renamed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NoReturn, TypeVar

from .. import model as m
from ..jsontypes import JSON, JSONObject
from ..names import escape_invisible, is_blank, strip_invisible
from ..span import NOWHERE
from .builtins import builtin_fields_note
from .json_input import (
    ARRAY,
    BOOLEAN,
    INTEGER,
    OBJECT,
    STRING,
    JsonProblem,
    Walker,
    another_kind,
    read_json,
)
from .kept import kinds_note, not_held_line

__all__ = ["AmoStatus", "AmoPipeline", "AmoField", "AmoLossReason", "Imported", "UnknownKey",
           "JsonProblem", "parse_pipelines", "parse_statuses", "parse_fields",
           "parse_loss_reasons", "build_funnel", "render", "import_files"]

# Every key of amoCRM's documented answers, so that a real account imports without a
# warning. Sources: the official pages (amocrm.ru/developers/content/crm_platform/
# leads_pipelines and /custom-fields, as converted in biradrags/amo-docs @001c0f3a,
# amocrm_docs_md/crm_platform/*.md), Kommo's loss-reason reference
# (developers.kommo.com/reference/loss-reasons) and the official PHP SDK's `fromArray`
# readers (amocrm/amocrm-api-php @1354d8a, src/AmoCRM/Models/...). The test fixtures in
# tests/data/amocrm/ are those pages' own examples.
RESPONSE_KEYS = frozenset({"_total_items", "_page", "_page_count", "_links", "_embedded"})
PIPELINE_KEYS = frozenset({"id", "name", "sort", "is_main", "is_unsorted_on", "is_archive",
                           "account_id", "request_id", "_links", "_embedded"})
STATUS_KEYS = frozenset({"id", "name", "sort", "is_editable", "pipeline_id", "color", "type",
                         "account_id", "request_id", "descriptions", "_links"})
DESCRIPTION_KEYS = frozenset({"id", "level", "description", "account_id", "status_id",
                              "pipeline_id", "created_at", "updated_at", "created_by",
                              "updated_by"})
"""`descriptions[]` of `GET …/statuses?with=descriptions` (leads_pipelines.md, the
answer's table and example; SDK `StatusDescriptionModel::fromArray`)."""
FIELD_KEYS = frozenset({"id", "name", "type", "account_id", "code", "sort", "is_api_only",
                        "enums", "group_id", "required_statuses", "hidden_statuses",
                        "is_deletable", "is_predefined", "is_computed", "entity_type",
                        "catalog_id", "tracking_callback", "remind", "triggers", "currency",
                        "chained_lists", "search_in", "nested", "settings", "is_visible",
                        "is_required", "request_id", "_links"})
"""A field of `GET /api/v4/{entity}/custom_fields` for every entity and type
(custom-fields.md: `is_computed` on leads, `catalog_id`/`nested` on catalogs;
SDK `CustomFieldModel::fromArray`). `nested`, `chained_lists` and `settings` belong to
types the language has no place for and are not read."""
LOSS_REASON_KEYS = frozenset({"id", "name", "sort", "created_at", "updated_at", "request_id",
                              "_links"})
"""`GET /api/v4/leads/loss_reasons` (Kommo reference; the `loss_reason` of a lead in
leads-api.md; SDK `LossReasonModel`)."""
ENUM_KEYS = frozenset({"id", "value", "sort", "code"})
PAIR_KEYS = frozenset({"pipeline_id", "status_id"})
BUILTIN_CODES = frozenset({"PHONE", "EMAIL", "POSITION", "IM", "WEB", "ADDRESS"})
WON_ID, LOST_ID = 142, 143
T = TypeVar("T")

ENTITIES: dict[str, m.Entity] = {
    "leads": m.Entity.deal, "contacts": m.Entity.contact, "companies": m.Entity.company,
}
FieldKind = Literal["text", "number", "money", "date", "phone", "email", "url", "bool",
                    "int", "enum", "multi"]
"""The kinds `model.FieldType` takes (mypy checks the two agree where a kind is used)."""
SIMPLE_TYPES: dict[str, FieldKind] = {
    "text": "text", "textarea": "text", "numeric": "number", "checkbox": "bool",
    "date": "date", "date_time": "date", "birthday": "date", "url": "url", "monetary": "money",
    "price": "number",
}
ENUM_TYPES: dict[str, FieldKind] = {"select": "enum", "radiobutton": "enum", "multiselect": "multi"}
_ENTITY_IN_HREF = re.compile(r"/api/v4/(leads|contacts|companies|customers)/custom_fields")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_SPACES = re.compile("[\t\v\f\x1c-\x1f\x85\u2028\u2029]")
"""Separators that end a line or a field (Python's `str.splitlines` set): a space, not
nothing, so that `A<tab>B` stays two words."""
_SURROGATES = re.compile("[\ud800-\udfff]")
_HEX = re.compile(r"#?([0-9a-f]{6}|[0-9a-f]{3})")


@dataclass
class AmoStatus:
    id: int
    name: str
    sort: int
    color: str | None
    type: int
    pipeline_id: int | None = None
    descriptions: dict[str, str] | None = None
    where: str = ""
    """File and JSON path of the status, for warnings about it."""


@dataclass
class AmoPipeline:
    id: int
    name: str
    sort: int
    is_main: bool
    is_archive: bool
    statuses: list[AmoStatus]


@dataclass
class AmoField:
    id: int
    entity: str
    name: str
    type: str
    code: str | None
    predefined: bool
    enums: list[tuple[str, int]]
    required: list[tuple[int, int]]


# ---------------------------------------------------------------- parsing amoCRM's answers

def _embedded_list(w: Walker, data: JSONObject, key: str) -> tuple[list[JSON], str]:
    """The item list of a HAL collection answer and its path."""
    w.keys(data, "", RESPONSE_KEYS)
    if "_embedded" not in data:
        others = [key for key in data if key not in RESPONSE_KEYS]
        raise w.fail("_embedded", f"missing: amoCRM's answer keeps its {key} under "
                     f"`_embedded.{key}`", another_kind(data, "amocrm") or (
                         f"this file has {', '.join(f'`{k}`' for k in others[:3])} instead: "
                         "save the answer as amoCRM sent it" if others else
                         "save the answer as amoCRM sent it"))
    embedded = w.get(data, "_embedded", "", OBJECT)
    w.keys(embedded, "_embedded", (key,))
    items = w.get(embedded, key, "_embedded", ARRAY)
    return items, f"_embedded.{key}"


def _not_an_answer(w: Walker, data: JSON, what: str) -> NoReturn:
    from .json_input import describe

    raise w.fail("", f"expected an object (amoCRM's answer to {what}), found {describe(data)}",
                 f"save the answer of {what} as amoCRM sent it: an object whose items are under "
                 "`_embedded`")


def _descriptions(w: Walker, raw: JSONObject, where: str) -> dict[str, str] | None:
    items = w.opt(raw, "descriptions", where, ARRAY, nullable=True)
    if items is None:
        return None
    out: dict[str, str] = {}
    for k, item in enumerate(items):
        path = f"{where}.descriptions[{k}]"
        obj = w.expect(item, path, OBJECT)
        w.keys(obj, path, DESCRIPTION_KEYS)
        level = w.get(obj, "level", path, STRING)
        text = w.opt(obj, "description", path, STRING, nullable=True)
        if text:
            out.setdefault(level, text)
    return out


def _status(w: Walker, item: JSON, where: str) -> AmoStatus:
    raw = w.expect(item, where, OBJECT)
    w.keys(raw, where, STATUS_KEYS)
    return AmoStatus(
        id=w.get(raw, "id", where, INTEGER),
        name=w.get(raw, "name", where, STRING),
        sort=w.opt(raw, "sort", where, INTEGER, default=0),
        color=w.opt(raw, "color", where, STRING, nullable=True),
        type=w.opt(raw, "type", where, INTEGER, default=0),
        pipeline_id=w.opt(raw, "pipeline_id", where, INTEGER, nullable=True),
        descriptions=_descriptions(w, raw, where),
        where=f"{w.file}: {where}",
    )


def _pipeline(w: Walker, item: JSON, where: str) -> AmoPipeline:
    raw = w.expect(item, where, OBJECT)
    w.keys(raw, where, PIPELINE_KEYS)
    embedded = w.get(raw, "_embedded", where, OBJECT)
    inner = f"{where}._embedded" if where else "_embedded"
    w.keys(embedded, inner, ("statuses",))
    statuses = w.get(embedded, "statuses", inner, ARRAY)
    return AmoPipeline(
        id=w.get(raw, "id", where, INTEGER),
        name=w.get(raw, "name", where, STRING),
        sort=w.opt(raw, "sort", where, INTEGER, default=0),
        is_main=w.opt(raw, "is_main", where, BOOLEAN, default=False),
        is_archive=w.opt(raw, "is_archive", where, BOOLEAN, default=False),
        statuses=[_status(w, s, f"{inner}.statuses[{k}]") for k, s in enumerate(statuses)],
    )


def parse_pipelines(data: JSON, w: Walker) -> list[AmoPipeline]:
    """The answer to `GET /api/v4/leads/pipelines` (or to `GET …/pipelines/{id}`)."""
    if isinstance(data, dict) and "id" in data and "_embedded" in data:
        return [_pipeline(w, data, "")]
    if not isinstance(data, dict):
        _not_an_answer(w, data, "GET /api/v4/leads/pipelines")
    items, where = _embedded_list(w, data, "pipelines")
    if not items:
        raise w.fail(where, "no pipelines: every amoCRM account has its main pipeline",
                     "save the answer of GET /api/v4/leads/pipelines with the account's "
                     "token, without filters or a page past the last")
    return [_pipeline(w, p, f"{where}[{k}]") for k, p in enumerate(items)]


def _single(data: JSONObject) -> bool:
    """True for the answer about one item (`GET …/{id}`): the item itself, not a
    collection around it."""
    return "id" in data and "_embedded" not in data


def parse_statuses(data: JSON, w: Walker) -> list[AmoStatus]:
    """The answer to `GET /api/v4/leads/pipelines/{id}/statuses?with=descriptions` (or to
    `GET …/statuses/{id}?with=descriptions`)."""
    what = "GET /api/v4/leads/pipelines/{id}/statuses"
    if not isinstance(data, dict):
        _not_an_answer(w, data, what)
    items: list[JSON]
    if _single(data):
        items, where, paths = [data], "", [""]
    else:
        items, where = _embedded_list(w, data, "statuses")
        paths = [f"{where}[{k}]" for k in range(len(items))]
    out = [_status(w, s, path) for s, path in zip(items, paths, strict=True)]
    for path, status in zip(paths, out, strict=True):
        if status.pipeline_id is None:
            raise w.fail(f"{path}.pipeline_id" if path else "pipeline_id",
                         "missing: needed to tell which pipeline the status belongs to")
    return out


def _pairs(w: Walker, raw: JSONObject, key: str, where: str) -> list[tuple[int, int]]:
    items = w.opt(raw, key, where, ARRAY, nullable=True) or []
    out = []
    for k, pair in enumerate(items):
        path = f"{where}.{key}[{k}]"
        obj = w.expect(pair, path, OBJECT)
        w.keys(obj, path, PAIR_KEYS)
        out.append((w.get(obj, "pipeline_id", path, INTEGER),
                    w.get(obj, "status_id", path, INTEGER)))
    return out


def _field(w: Walker, item: JSON, where: str, default_entity: str | None) -> AmoField:
    raw = w.expect(item, where, OBJECT)
    w.keys(raw, where, FIELD_KEYS)
    entity = w.opt(raw, "entity_type", where, STRING, nullable=True) or default_entity
    if entity is None:
        raise w.fail(f"{where}.entity_type", "missing, and the answer's `_links.self` does not "
                     "name the entity either", "save the answer as amoCRM sent it")
    enums = []
    values = w.opt(raw, "enums", where, ARRAY, nullable=True) or []
    for k, value in enumerate(values):
        path = f"{where}.enums[{k}]"
        enum = w.expect(value, path, OBJECT)
        w.keys(enum, path, ENUM_KEYS)
        enums.append((w.get(enum, "value", path, STRING),
                      w.opt(enum, "sort", path, INTEGER, default=k)))
    code = w.opt(raw, "code", where, STRING, nullable=True)
    predefined = w.opt(raw, "is_predefined", where, BOOLEAN, nullable=True,
                       default=code in BUILTIN_CODES)
    parsed = AmoField(
        id=w.get(raw, "id", where, INTEGER), entity=entity,
        name=w.get(raw, "name", where, STRING), type=w.get(raw, "type", where, STRING),
        code=code, predefined=bool(predefined), enums=enums,
        required=_pairs(w, raw, "required_statuses", where))
    _pairs(w, raw, "hidden_statuses", where)
    return parsed


def _entity_of(w: Walker, raw: JSONObject, where: str) -> str | None:
    """The entity named by an answer's `_links.self.href` (`/api/v4/leads/custom_fields…`):
    the list answer's items carry no `entity_type` of their own."""
    inner = f"{where}._links" if where else "_links"
    links = w.opt(raw, "_links", where, OBJECT, nullable=True) or {}
    link = w.opt(links, "self", inner, OBJECT, nullable=True) or {}
    href = w.opt(link, "href", f"{inner}.self", STRING, nullable=True) or ""
    match = _ENTITY_IN_HREF.search(href)
    return match.group(1) if match else None


def parse_fields(data: JSON, w: Walker) -> list[AmoField]:
    """One page of `GET /api/v4/{entity}/custom_fields` (or `GET …/custom_fields/{id}`)."""
    what = "GET /api/v4/{entity}/custom_fields"
    if not isinstance(data, dict):
        _not_an_answer(w, data, what)
    if _single(data):
        return [_field(w, data, "", _entity_of(w, data, ""))]
    items, where = _embedded_list(w, data, "custom_fields")
    default_entity = _entity_of(w, data, "")
    return [_field(w, f, f"{where}[{k}]", default_entity) for k, f in enumerate(items)]


@dataclass
class AmoLossReason:
    id: int
    name: str
    sort: int


def _loss_reason(w: Walker, item: JSON, where: str) -> AmoLossReason:
    raw = w.expect(item, where, OBJECT)
    w.keys(raw, where, LOSS_REASON_KEYS)
    return AmoLossReason(
        id=w.get(raw, "id", where, INTEGER),
        name=w.get(raw, "name", where, STRING),
        sort=w.opt(raw, "sort", where, INTEGER, nullable=True, default=0))


def parse_loss_reasons(data: JSON, w: Walker) -> list[AmoLossReason]:
    """The answer to `GET /api/v4/leads/loss_reasons` (or `GET …/loss_reasons/{id}`)."""
    if not isinstance(data, dict):
        _not_an_answer(w, data, "GET /api/v4/leads/loss_reasons")
    if _single(data):
        return [_loss_reason(w, data, "")]
    items, where = _embedded_list(w, data, "loss_reasons")
    return [_loss_reason(w, r, f"{where}[{k}]") for k, r in enumerate(items)]


# ---------------------------------------------------------------- building the funnel

def _name(value: str) -> m.Name:
    return m.Name(span=NOWHERE, value=value, quoted=True)


def _one_line(text: str) -> str:
    """`text` on one line, without the characters `check` refuses in a name (FN235:
    zero-width spaces, direction marks, escape codes, fillers; `names.strip_invisible`
    is their one definition), and an imported file must check. A lone surrogate (JSON
    can spell one, `\\ud800`) is dropped too: no UTF-8 file can hold it. What is left
    may be blank (FN234): callers then name it. Callers note each name that changed."""
    text = _LINE_BREAKS.sub(" ", text)
    if not text.isprintable():
        text = _SURROGATES.sub("", _SPACES.sub(" ", text))
    return strip_invisible(text).strip()


def _named(text: str) -> str:
    """`_one_line(text)`, or `Без названия` when nothing visible is left (`is_blank`:
    what `check` calls blank, FN234)."""
    name = _one_line(text)
    return "Без названия" if is_blank(name) else name


def option_values(raw: list[str], field_name: str, notes: list[str]) -> tuple[m.Name, ...]:
    """A field's options as the language takes them: each on one line, without what
    `check` calls invisible, blank ones left out and each option once, compared ignoring
    case as `check` does (FN220); every option left out or merged is noted. The CRMs keep
    « A » beside «A», «Да» beside «да», or a blank option, and an imported file must
    check."""
    kept: dict[str, str] = {}
    blank = 0
    merged: list[str] = []
    for value in raw:
        clean = _one_line(value)
        if is_blank(clean):
            blank += 1
            continue
        key = clean.casefold()
        if key in kept or clean != value:
            merged.append(f"option «{escape_invisible(value)}» is «{kept.get(key, clean)}» here")
        kept.setdefault(key, clean)
    if blank:
        notes.append(f"field «{field_name}»: {blank} blank option{'s' if blank > 1 else ''} "
                     "left out")
    if merged:
        notes.append(f"field «{field_name}»: " + ", ".join(merged) + " (an option is one line, "
                     "and listed once, ignoring case)")
    return tuple(_name(v) for v in kept.values())


def _unique(name: str, taken: set[str], alternative: str | None = None) -> str:
    if name not in taken:
        taken.add(name)
        return name
    base = f"{name} ({alternative})" if alternative else name
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base} ({n})"
        n += 1
    taken.add(candidate)
    return candidate


@dataclass
class Imported:
    funnel: m.FunnelFile
    header: list[str] = field(default_factory=list)
    stage_count: int = 0
    warnings: list[str] = field(default_factory=list)
    """What was changed to fit the language, with the file and JSON path of each."""
    loss_reasons: list[str] = field(default_factory=list)
    """The account's loss reasons in amoCRM's order, each on one line."""
    unknown_keys: list[UnknownKey] = field(default_factory=list)
    """Keys the answers had beyond amoCRM's documented ones (not read)."""


@dataclass(frozen=True)
class UnknownKey:
    """A key outside amoCRM's documented answer, once per file and place: a key amoCRM
    starts sending on every status is one finding (`count` places), not hundreds."""

    file: str
    path: str
    """The first place it was met (`_embedded.statuses[3].probability`)."""
    pattern: str
    """Every place like it (`_embedded.statuses[*].probability`)."""
    count: int


_INDEX = re.compile(r"\[\d+\]")


def group_unknown(file: str, paths: list[str]) -> list[UnknownKey]:
    """The unknown keys of one file, one `UnknownKey` per place pattern, in the order met."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for path in paths:
        pattern = _INDEX.sub("[*]", path)
        first.setdefault(pattern, path)
        counts[pattern] = counts.get(pattern, 0) + 1
    return [UnknownKey(file, path, pattern, counts[pattern]) for pattern, path in first.items()]


def normal_color(raw: str) -> str | None:
    """amoCRM's colour as the language writes it (`#rrggbb`, lower case), or None when
    it is no colour at all. amoCRM's API takes colours loosely (upper case, a stray
    space, a missing `#`, even a template placeholder such as `{id}`); the language
    takes exactly `#rrggbb`."""
    m = _HEX.fullmatch(raw.strip().lower())
    if m is None:
        return None
    digits = m.group(1)
    return "#" + (digits if len(digits) == 6 else "".join(ch * 2 for ch in digits))


class _Build:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.warnings: list[str] = []
        """Changes the user should hear about now, each naming its place in the input."""
        self.stage_of: dict[tuple[int, int], tuple[int, int]] = {}
        """(pipeline id, status id) → (pipeline index, stage index) in the output."""
        self.requires: dict[tuple[int, int], list[m.Name]] = {}
        self.system_names: dict[tuple[int, str], list[str]] = {}
        """(142 or 143, its name) → pipelines where it is called that."""

    def pipelines(self, pipelines: list[AmoPipeline], described: dict[tuple[int, int], dict[str, str]]
                  ) -> list[tuple[AmoPipeline, str, list[tuple[AmoStatus, str]]]]:
        taken: set[str] = set()
        out: list[tuple[AmoPipeline, str, list[tuple[AmoStatus, str]]]] = []
        archived = [p for p in pipelines if p.is_archive]
        if archived:
            self.notes.append("archived pipelines left out: " + ", ".join(f"«{p.name}»" for p in archived))
        main_seen = False
        for pipe in sorted((p for p in pipelines if not p.is_archive), key=lambda p: (p.sort, p.id)):
            name = _unique(_named(pipe.name), taken)
            if name != pipe.name:
                self.notes.append(f"pipeline «{escape_invisible(pipe.name)}» is called «{name}» here (names must be "
                                  "unique and on one line)")
            if pipe.is_main and main_seen:
                self.notes.append(f"«{name}» was also marked main in amoCRM; only the first is")
            stages: list[tuple[AmoStatus, str]] = []
            stage_names: set[str] = set()
            for status in sorted(pipe.statuses, key=lambda s: (s.sort, s.id)):
                if status.type == 1 or status.id in (WON_ID, LOST_ID):
                    if status.id in (WON_ID, LOST_ID):
                        self.system_names.setdefault((status.id, status.name), []).append(name)
                    continue
                stage_name = _unique(_named(status.name), stage_names)
                if stage_name != status.name:
                    self.notes.append(f"«{name}»: status «{escape_invisible(status.name)}» is called "
                                      f"«{stage_name}» here")
                extra = described.get((pipe.id, status.id))
                if extra is not None:
                    status.descriptions = extra
                self.stage_of[(pipe.id, status.id)] = (len(out), len(stages))
                stages.append((status, stage_name))
            out.append((pipe, name, stages))
            main_seen = main_seen or pipe.is_main
        for (sid, status_name), where in sorted(self.system_names.items()):
            kind = "won" if sid == WON_ID else "lost"
            place = ("every pipeline" if len(where) == len(out)
                     else ", ".join(f"«{p}»" for p in where))
            self.notes.append(f"{kind} status {sid} is «{status_name}» in {place}")
        return out

    def fields(self, fields: list[AmoField], wanted_statuses: set[tuple[int, int]]) -> list[m.CardField]:
        out: list[m.CardField] = []
        taken: set[str] = set()
        left_out: list[tuple[str, str]] = []
        builtin_here: list[str] = []
        for f in fields:
            if f.entity not in ENTITIES:
                self.notes.append(f"field «{f.name}» of {f.entity} left out: the language has "
                                  "fields of deals, contacts and companies only")
                continue
            required_here = [p for p in f.required if p in wanted_statuses]
            if f.predefined and not required_here:
                # every account has them; they matter only when a stage requires them
                if f.code in ("PHONE", "EMAIL") and f.entity in ("contacts", "companies"):
                    left_out.append((ENTITIES[f.entity].value, escape_invisible(f.name)))
                continue
            ftype = self._type(f)
            if ftype is None:
                continue
            entity = ENTITIES[f.entity]
            name = _unique(_named(f.name), taken, entity.value)
            if f.predefined and f.code in ("PHONE", "EMAIL"):
                builtin_here.append(f"{entity.value} «{name}» ({f.code})")
            if name != f.name:
                self.notes.append(f"{entity.value} field «{escape_invisible(f.name)}» is called «{name}» here "
                                  "(field names must be unique across entities)")
            out.append(m.CardField(span=NOWHERE, name=_name(name), type=ftype, entity=entity,
                                   entity_explicit=entity is not m.Entity.deal))
            for pair in f.required:
                if pair in self.stage_of:
                    self.requires.setdefault(pair, []).append(_name(name))
                elif pair[1] in (WON_ID, LOST_ID):
                    kind = "won" if pair[1] == WON_ID else "lost"
                    self.notes.append(f"field «{name}» is required to close as {kind} "
                                      f"(pipeline {pair[0]}): the language has no place for that")
        if builtin_here:
            self.notes.append("built-in fields, imported as a stage requires them: "
                              + ", ".join(builtin_here) + "; a funnel's first phone and email "
                              "field of a contact or company is one of these, whatever the "
                              "funnel called it, so the name here is amoCRM's")
        if left_out:
            self.notes.append(builtin_fields_note(left_out, " (no stage requires them)"))
        return out

    def _type(self, f: AmoField) -> m.FieldType | None:
        if f.type in ENUM_TYPES:
            values = option_values([v for v, _ in sorted(f.enums, key=lambda e: e[1])],
                                   f.name, self.notes)
            if values:
                return m.FieldType(span=NOWHERE, kind=ENUM_TYPES[f.type], values=values)
            self.notes.append(f"field «{f.name}» ({f.type}) has no options: imported as text")
            return m.FieldType(span=NOWHERE, kind="text")
        if f.type == "multitext":
            kind: FieldKind = "phone" if f.code == "PHONE" else "email" if f.code == "EMAIL" else "text"
            return m.FieldType(span=NOWHERE, kind=kind)
        if f.type in SIMPLE_TYPES:
            if f.type in ("date_time", "birthday", "price"):
                self.notes.append(f"field «{f.name}» ({f.type}) imported as "
                                  f"{SIMPLE_TYPES[f.type]}")
            return m.FieldType(span=NOWHERE, kind=SIMPLE_TYPES[f.type])
        self.notes.append(f"field «{f.name}» ({f.type}) imported as text: the language has no "
                          "such type")
        return m.FieldType(span=NOWHERE, kind="text")

    def stage(self, status: AmoStatus, name: str, key: tuple[int, int]) -> m.Stage:
        hint = None
        texts = status.descriptions or {}
        if texts:
            level = "newbie" if "newbie" in texts else sorted(texts)[0]
            hint = _one_line(texts[level])
            if hint != texts[level]:
                self.notes.append(f"«{name}»: line breaks of the description joined (a hint is one line)")
            dropped = sorted(set(texts) - {level})
            if dropped:
                self.notes.append(f"«{name}»: descriptions for {', '.join(dropped)} left out "
                                  f"(the hint is the {level} one)")
        requires = tuple(self.requires.get(key, ()))
        color = self.color(status, name)
        return m.Stage(span=NOWHERE, name=_name(name),
                       hint=_name(hint) if hint else None,
                       color=_name(color) if color else None,
                       requires=requires)

    def color(self, status: AmoStatus, name: str) -> str | None:
        raw = status.color
        if not raw:
            return None
        color = normal_color(raw)
        place = f"{status.where}.color" if status.where else f"status «{name}»"
        if color is None:
            text = f"status «{name}»: colour {raw!r} is not a colour (#rrggbb): left out"
        elif color != raw:
            text = f"status «{name}»: colour {raw!r} written {color!r}"
        else:
            return color
        self.notes.append(text)
        self.warnings.append(f"{place}: {text}")
        return color


def loss_reason_names(reasons: list[AmoLossReason]) -> list[str]:
    """The names in amoCRM's order (sort, then id), each once and on one line; blank
    ones and a reason given twice (the same page saved twice) are left out."""
    names: list[str] = []
    seen: set[int] = set()
    for reason in sorted(reasons, key=lambda r: (r.sort, r.id)):
        name = _one_line(reason.name)
        if reason.id in seen or is_blank(name) or name in names:
            continue
        seen.add(reason.id)
        names.append(name)
    return names


def build_funnel(pipelines: list[AmoPipeline], fields: list[AmoField],
                 statuses: list[AmoStatus] | None = None, path: str = "imported.funnel",
                 loss_reasons: list[AmoLossReason] | None = None) -> Imported:
    """The funnel model of the account. Loss reasons do not enter the model: in the
    language a reason lives only on a `-> lost "reason"` outcome, and amoCRM ties none
    to a stage, so they are listed in the header comment for whoever writes outcomes."""
    b = _Build()
    described: dict[tuple[int, int], dict[str, str]] = {
        (s.pipeline_id, s.id): s.descriptions for s in statuses or []
        if s.pipeline_id is not None and s.descriptions is not None}
    layout = b.pipelines(pipelines, described)
    card_fields = b.fields(fields, set(b.stage_of))
    out_pipes: list[m.Pipeline] = []
    main_done = False
    count = 0
    for pipe, name, stages in layout:
        model_stages = tuple(b.stage(s, n, (pipe.id, s.id)) for s, n in stages)
        count += len(model_stages)
        main = pipe.is_main and not main_done
        main_done = main_done or main
        out_pipes.append(m.Pipeline(span=NOWHERE, name=_name(name), main=main, stages=model_stages))
    funnel = m.FunnelFile(span=NOWHERE, path=path, fields=tuple(card_fields), pipelines=tuple(out_pipes))
    return Imported(funnel, b.notes, count, b.warnings,
                    loss_reason_names(loss_reasons or []))


HEADER = """\
Imported from amoCRM by `funnelc import amocrm`.
amoCRM stores no routing (moves between stages, shares, SLAs, teams, sources), so every
stage below is a parking stage: `funnelc check` reports each as never reached (FN215) and
each pipeline as having no way to won (FN216) until sources and outcomes are written.
Lint findings about names, fields and colours apply as they are."""


LOSS_HEADER = """\
Loss reasons in amoCRM (one list for the account, tied to no stage; an outcome names
one as `-> lost "reason" 20%` where such deals are lost):"""


def _wrap(text: str) -> list[str]:
    """A header paragraph in lines of at most 90 characters."""
    import textwrap

    return textwrap.wrap(text, 90, break_long_words=False, break_on_hyphens=False)


def render(imported: Imported) -> str:
    """Funnel text: the header comment, then the model in `fmt`'s canonical layout."""
    from ..fmt import format_model

    lines = HEADER.splitlines() + _wrap(not_held_line("amocrm"))
    notes = [*imported.header, *filter(None, [kinds_note("amocrm", imported.funnel.fields)])]
    if notes:
        lines += ["", "Notes:"] + [f"- {_one_line(note)}" for note in notes]
    if imported.loss_reasons:
        lines += ["", *LOSS_HEADER.splitlines()] + [f"- {name}" for name in imported.loss_reasons]
    head = "\n".join(f"# {line}".rstrip() for line in lines)
    return head + "\n\n" + format_model(imported.funnel)


def _listed(path: str, w: Walker, parse: Callable[[JSON, Walker], list[T]]) -> list[T]:
    """The items of a list answer; an empty file is amoCRM's 204 No Content, its answer
    to a list with nothing in it (an account without company fields or loss reasons),
    which `curl -o` saves as an empty file."""
    data = read_json(path, empty_ok=True)
    return [] if data is None else parse(data, w)


def import_files(pipelines_path: str, fields_paths: tuple[str, ...] = (),
                 statuses_paths: tuple[str, ...] = (), loss_reasons_paths: tuple[str, ...] = (),
                 *, out_path: str = "imported.funnel") -> tuple[str, Imported]:
    """(funnel text, what was imported). Raises `JsonProblem` for a file that cannot be
    read as amoCRM's answer; keys beyond the documented ones are not a problem here but
    are listed in `Imported.unknown_keys`, for the caller to warn about or refuse."""
    unknown: list[UnknownKey] = []
    w = Walker(pipelines_path)
    pipelines = parse_pipelines(read_json(pipelines_path), w)
    unknown += group_unknown(pipelines_path, w.unknown)
    fields: list[AmoField] = []
    for path in fields_paths:
        w = Walker(path)
        fields += _listed(path, w, parse_fields)
        unknown += group_unknown(path, w.unknown)
    statuses: list[AmoStatus] = []
    for path in statuses_paths:
        w = Walker(path)
        statuses += _listed(path, w, parse_statuses)
        unknown += group_unknown(path, w.unknown)
    reasons: list[AmoLossReason] = []
    for path in loss_reasons_paths:
        w = Walker(path)
        reasons += _listed(path, w, parse_loss_reasons)
        unknown += group_unknown(path, w.unknown)
    seen: set[tuple[str, int]] = set()
    unique_fields = []
    order = {entity: i for i, entity in enumerate(ENTITIES)}
    for f in sorted(fields, key=lambda f: (order.get(f.entity, len(order)), f.entity)):
        if (f.entity, f.id) not in seen:  # the same page given twice must not double them
            seen.add((f.entity, f.id))
            unique_fields.append(f)
    imported = build_funnel(pipelines, unique_fields, statuses, out_path, reasons)
    imported.unknown_keys = unknown
    return render(imported), imported
