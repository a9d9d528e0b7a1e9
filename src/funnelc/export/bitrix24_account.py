"""What a Bitrix24 portal holds for deals, read through REST: the side of the comparison
`funnelc apply --to bitrix24` plans against, as plain dataclasses.

Reads (three requests for any portal of up to 41 deal pipelines): `crm.category.list`
(entityTypeId 2; answer `result.categories[]` with `id`, `name`, `sort`, `isDefault`:
api-reference/crm/universal/category/crm-category-list.md), then one `batch` of
`crm.category.get` for the ids the list skipped (below), then one `batch` of
`crm.status.list` per pipeline, ordered by SORT then ID (pages of a list ordered by SORT
alone may repeat one of the stages of equal SORT and skip another at a page boundary:
the ID makes the order total), (filter ENTITY_ID `DEAL_STAGE` for the default pipeline,
`DEAL_STAGE_{id}` for the others; answer fields ID, ENTITY_ID, STATUS_ID, NAME, SORT,
SYSTEM, COLOR, SEMANTICS, EXTRA.SEMANTICS: api-reference/crm/status/crm-status-list.md)
and `crm.{deal,contact,company}.userfield.list` (ID, FIELD_NAME, USER_TYPE_ID, MULTIPLE,
MANDATORY, labels, LIST[] of ID/VALUE/SORT: api-reference/crm/deals/user-defined-fields/
crm-deal-userfield-list.md and its contact/company twins). Numbers come as strings
("SORT": "10"): both are taken. Each list answers one page of at most 50 items (`start`,
`next`): a full first page is read on page by page with the same filter.

A user field's labels (EDIT_FORM_LABEL, LIST_COLUMN_LABEL, LIST_FILTER_LABEL,
ERROR_MESSAGE, HELP_MESSAGE) come in a userfield.list answer only when it is filtered by
LANG, as strings in that language, "or are not returned at all" (crm-deal-userfield-
list.md, "Returned Data"). The list is asked in each language funnelc names things in
(`ru`, `ua` — Bitrix24's id of Ukrainian —, `en`: crm/data-types.md#lang-ids), three
calls an entity in the same batch, and each field's labels are put together per language,
`{"ru": …, "ua": …, "en": …}`, the shape crm.deal.userfield.get answers them in. A field's
`label` is the one in the portal's language (that of its pipeline and stage names, which
crm.category.list and crm.status.list answer in), else the nearest.

crm.category.list leaves out the pipelines the webhook's user has no right to read
(crm-category-list.md, "Which funnels will be included in the list"), so a pipeline
apply would create may already exist unseen. Deal category ids are given in sequence;
each id from 1 to the highest listed + PROBE_AHEAD that the list skipped (at most 50) is
asked with `crm.category.get` in one batch (halt 0): ACCESS_DENIED means a pipeline is
there that the user cannot read (crm-category-get.md, "Possible Error Codes"; NOT_FOUND,
a deleted one, is nothing). Those ids are `Snapshot.hidden`; one above the range asked
cannot be seen.

The answers are also kept as Bitrix24 sent them (`Snapshot.answers`), in the shapes of
those documents (the user fields with their labels per language), for `funnelc import
--from bitrix24` to read live.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from ..jsontypes import JSON, JSONObject
from .bitrix24_client import MAX_BATCH, Bitrix24Client, Call, query_string
from .deploy import BadAnswer, kind_of

__all__ = ["Stage", "Category", "UserField", "Snapshot", "read_snapshot", "ENTITIES",
           "entity_id", "FieldEntity"]

FieldEntity = Literal["deal", "contact", "company"]
ENTITIES: tuple[FieldEntity, ...] = ("deal", "contact", "company")
Semantics = Literal["process", "success", "failure"]
LABEL_LANGUAGES = ("ru", "ua", "en")
"""The languages the user fields' labels are asked in (`filter.LANG`)."""
LABEL_KEYS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "ERROR_MESSAGE",
              "HELP_MESSAGE")
"""crm-deal-userfield-list.md: the keys answered in the LANG asked, or not at all."""
UKRAINIAN = frozenset("іїєґІЇЄҐ")
PROBE_AHEAD = 10
"""Ids above the highest listed pipeline's asked with crm.category.get."""
STAGE_ORDER: JSONObject = {"SORT": "ASC", "ID": "ASC"}
"""crm.status.list's order: SORT, then ID so that pages follow one total order."""


def entity_id(category_id: int) -> str:
    """The stage list of a deal pipeline (crm-status-add.md: `DEAL_STAGE` for the default
    pipeline, `DEAL_STAGE_{id}` for the others)."""
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


@dataclass
class Stage:
    id: int
    status_id: str
    name: str
    sort: int
    semantics: Semantics
    system: bool
    color: str

    @property
    def code(self) -> str:
        """STATUS_ID without the `C{id}:` prefix of a non-default pipeline."""
        return self.status_id.split(":", 1)[1] if ":" in self.status_id else self.status_id


@dataclass
class Category:
    id: int
    name: str
    sort: int
    is_default: bool
    stages: list[Stage] = field(default_factory=list)

    @property
    def entity_id(self) -> str:
        return entity_id(self.id)

    def by_code(self, code: str) -> Stage | None:
        return next((s for s in self.stages if s.code == code), None)


@dataclass
class UserField:
    id: int
    entity: FieldEntity
    field_name: str
    label: str
    user_type: str
    multiple: bool
    mandatory: bool
    enums: list[tuple[int, str, int]] = field(default_factory=list)
    """(ID, VALUE, SORT) of an `enumeration`'s LIST."""
    labels: dict[str, str] = field(default_factory=dict)
    """Its label per language where the answer gives them so; `label` is one of them."""

    def named(self, name: str) -> bool:
        """Whether the field is called `name` in any language."""
        return name == self.label or name in self.labels.values()


@dataclass
class Snapshot:
    categories: list[Category]
    fields: list[UserField]
    answers: dict[str, JSON] = field(default_factory=dict)
    hidden: list[int] = field(default_factory=list)
    """Ids of deal pipelines that exist but the webhook's user cannot read."""

    def default(self) -> Category | None:
        return next((c for c in self.categories if c.is_default or c.id == 0), None)

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if not c.is_default and c.id != 0
                     and c.name == name), None)

    @property
    def stage_count(self) -> int:
        return sum(len(c.stages) for c in self.categories)


class _Shape(Exception):
    """An item of an answer is not shaped as documented (message: the path)."""


def _int(raw: JSONObject, key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _Shape(f"`{where}.{key}` is {kind_of(value)}, expected an integer")
    try:
        return int(value)
    except ValueError:
        raise _Shape(f"`{where}.{key}` is {str(value)[:30]!r}, expected an integer") from None


def _str(raw: JSONObject, key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise _Shape(f"`{where}.{key}` is {kind_of(value)}, expected a string")
    return value


def _obj(value: JSON, where: str) -> JSONObject:
    if not isinstance(value, dict):
        raise _Shape(f"`{where}` is {kind_of(value)}, expected an object")
    return value


def _portal_language(names: Iterable[str]) -> str:
    """The portal's language from its pipeline and stage names: `ua` for Ukrainian
    letters, `ru` for other Cyrillic, else `en` (as funnelc.importers.bitrix24 reads a
    saved answer)."""
    text = " ".join(names)
    if any(ch in UKRAINIAN for ch in text):
        return "ua"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "en"


def _label(raw: JSONObject, lang: str) -> tuple[str, dict[str, str]]:
    """A field's name and its names per language: EDIT_FORM_LABEL, else
    LIST_COLUMN_LABEL, else LIST_FILTER_LABEL, else the code. A label is a string (a list
    filtered by LANG) or an object by language (crm.deal.userfield.get, and this module's
    answers put together): taken in `lang`, then the other of ru/ua, en, the rest."""
    near = {"ua": ("ua", "ru", "en"), "ru": ("ru", "ua", "en")}.get(lang, (lang, "en"))
    for key in ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"):
        value = raw.get(key)
        if isinstance(value, dict):
            texts = {k: v for k, v in value.items() if isinstance(v, str) and v.strip()}
            first = next((k for k in (*near, *sorted(texts)) if k in texts), None)
            if first is not None:
                return texts[first], texts
        elif isinstance(value, str) and value.strip():
            return value, {}
    return str(raw.get("FIELD_NAME") or ""), {}


def _merge_languages(pages: dict[str, list[JSON]], where: str) -> list[JSON]:
    """One userfield.list answer a language (`{lang: items}`) → the fields once each, in
    the order first met, each label key an object `{lang: text}` of the languages that
    answered it (a label already given per language is kept as given)."""
    merged: dict[str, JSONObject] = {}
    for lang, items in pages.items():
        for k, raw in enumerate(items):
            item = _obj(raw, f"{where}[{k}]")
            key = str(_int(item, "ID", f"{where}[{k}]"))
            out = merged.setdefault(key, {n: v for n, v in item.items() if n not in LABEL_KEYS})
            for name in LABEL_KEYS:
                value = item.get(name)
                texts = out.get(name)
                known = texts if isinstance(texts, dict) else {}
                if isinstance(value, dict):
                    out[name] = {**value, **known}
                elif isinstance(value, str):
                    out[name] = {**known, lang: value}
    return list(merged.values())


def _yes(value: JSON) -> bool:
    return value in ("Y", True, 1, "1")


def parse_category(raw: JSON, where: str) -> Category:
    item = _obj(raw, where)
    return Category(_int(item, "id", where), _str(item, "name", where),
                    _int(item, "sort", where) if item.get("sort") is not None else 500,
                    _yes(item.get("isDefault")))


def parse_stage(raw: JSON, where: str) -> Stage:
    item = _obj(raw, where)
    sem = item.get("SEMANTICS")
    extra = item.get("EXTRA")
    words = extra.get("SEMANTICS") if isinstance(extra, dict) else None
    semantics: Semantics = ("success" if sem == "S" or words == "success" else
                            "failure" if sem == "F" or words in ("failure", "apology")
                            else "process")
    return Stage(_int(item, "ID", where), _str(item, "STATUS_ID", where),
                 _str(item, "NAME", where), _int(item, "SORT", where) if item.get("SORT")
                 is not None else 10, semantics, _yes(item.get("SYSTEM")),
                 _str(item, "COLOR", where, ""))


def parse_field(raw: JSON, where: str, entity: FieldEntity, lang: str = "en") -> UserField:
    item = _obj(raw, where)
    enums: list[tuple[int, str, int]] = []
    values = item.get("LIST")
    if values is not None:
        if not isinstance(values, list):
            raise _Shape(f"`{where}.LIST` is {kind_of(values)}, expected an array")
        for k, v in enumerate(values):
            e = _obj(v, f"{where}.LIST[{k}]")
            enums.append((_int(e, "ID", f"{where}.LIST[{k}]"), _str(e, "VALUE", f"{where}.LIST[{k}]"),
                          _int(e, "SORT", f"{where}.LIST[{k}]") if e.get("SORT") is not None else 0))
    label, labels = _label(item, lang)
    return UserField(_int(item, "ID", where), entity, _str(item, "FIELD_NAME", where), label,
                     _str(item, "USER_TYPE_ID", where), _yes(item.get("MULTIPLE")),
                     _yes(item.get("MANDATORY")), enums, labels)


def _items(client: Bitrix24Client, method: str, value: JSON, where: str) -> list[JSON]:
    if not isinstance(value, list):
        raise BadAnswer(f"{client.label('POST', method)}: `{where}` is {kind_of(value)}, "
                        "expected an array")
    return value


def read_snapshot(client: Bitrix24Client) -> Snapshot:
    """Deal pipelines with their stages and the user fields of deals, contacts and
    companies; `BadAnswer` naming the request and the item for any other shape."""
    raw_categories = client.list_all("crm.category.list", {"entityTypeId": 2}, "categories")
    try:
        categories = [parse_category(c, f"result.categories[{i}]")
                      for i, c in enumerate(raw_categories)]
    except _Shape as exc:
        raise BadAnswer(f"{client.label('POST', 'crm.category.list')}: {exc}") from None
    if not any(c.id == 0 or c.is_default for c in categories):
        categories.insert(0, Category(0, "", 0, True))  # list answers may leave it out
    hidden = _hidden_categories(client, {c.id for c in categories})
    calls = [Call(f"s{c.id}", "crm.status.list",
                  {"filter": {"ENTITY_ID": c.entity_id}, "order": STAGE_ORDER})
             for c in categories]
    calls += [Call(f"f_{e}_{lang}", f"crm.{e}.userfield.list", _field_query(lang))
              for e in ENTITIES for lang in LABEL_LANGUAGES]
    results: dict[str, JSON] = {}
    for start in range(0, len(calls), MAX_BATCH):
        results.update(client.batch(calls[start:start + MAX_BATCH]))
    statuses: list[JSON] = []
    for c in categories:
        method = f"crm.status.list ({c.entity_id})"
        items = _items(client, method, results.get(f"s{c.id}"), f"result.result.s{c.id}")
        if len(items) >= 50:  # a full page: read the rest the plain way
            items = client.list_all("crm.status.list", {"filter": {"ENTITY_ID": c.entity_id},
                                                         "order": STAGE_ORDER})
        try:
            c.stages = [parse_stage(s, f"result[{k}]") for k, s in enumerate(items)]
        except _Shape as exc:
            raise BadAnswer(f"{client.label('POST', method)}: {exc}") from None
        statuses += items
    fields: list[UserField] = []
    answers: dict[str, JSON] = {
        "crm.category.list": {"result": {"categories": raw_categories}},
        "crm.status.list": {"result": statuses}}
    lang = _portal_language([c.name for c in categories]
                           + [s.name for c in categories for s in c.stages])
    for e in ENTITIES:
        method = f"crm.{e}.userfield.list"
        pages: dict[str, list[JSON]] = {}
        for label_lang in LABEL_LANGUAGES:
            key = f"f_{e}_{label_lang}"
            items = _items(client, method, results.get(key), f"result.result.{key}")
            if len(items) >= 50:  # a full page: read the rest with the same filter
                items = client.list_all(method, _field_query(label_lang))
            pages[label_lang] = items
        try:
            items = _merge_languages(pages, "result")
            fields += [parse_field(f, f"result[{k}]", e, lang) for k, f in enumerate(items)]
        except _Shape as exc:
            raise BadAnswer(f"{client.label('POST', method)}: {exc}") from None
        answers[method] = {"result": items}
    return Snapshot(categories, fields, answers, hidden)


def _hidden_categories(client: Bitrix24Client, listed: set[int]) -> list[int]:
    """The ids crm.category.get answers ACCESS_DENIED among those the list skipped."""
    top = max(listed | {0}) + PROBE_AHEAD
    ids = [i for i in range(1, top + 1) if i not in listed][-MAX_BATCH:]
    if not ids:
        return []
    codes = client.error_codes([Call(f"c{i}", "crm.category.get", {"entityTypeId": 2, "id": i})
                                for i in ids])
    return [i for i in ids if codes.get(f"c{i}") == "ACCESS_DENIED"]


def _field_query(lang: str) -> JSONObject:
    """crm-deal-userfield-list.md: the labels come in the LANG filtered by; its default
    order (SORT, then ID) written out, so that pages follow one order."""
    return {"filter": {"LANG": lang}, "order": {"SORT": "ASC", "ID": "ASC"}}


def command(method: str, params: JSONObject) -> str:
    """`method?query` as a batch command is written (for messages and tests)."""
    return f"{method}?{urllib.parse.urlencode(query_string(params))}"
