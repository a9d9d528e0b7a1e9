"""What a Bitrix24 portal holds for deals, read through REST: the side of the comparison
`funnelc apply --to bitrix24` plans against, as plain dataclasses.

Reads (two requests for any portal of up to 46 deal pipelines): `crm.category.list`
(entityTypeId 2; answer `result.categories[]` with `id`, `name`, `sort`, `isDefault`:
api-reference/crm/universal/category/crm-category-list.md), then one `batch` of
`crm.status.list` per pipeline (filter ENTITY_ID `DEAL_STAGE` for the default pipeline,
`DEAL_STAGE_{id}` for the others; answer fields ID, ENTITY_ID, STATUS_ID, NAME, SORT,
SYSTEM, COLOR, SEMANTICS, EXTRA.SEMANTICS: api-reference/crm/status/crm-status-list.md)
and `crm.{deal,contact,company}.userfield.list` (ID, FIELD_NAME, USER_TYPE_ID, MULTIPLE,
MANDATORY, labels, LIST[] of ID/VALUE/SORT: api-reference/crm/deals/user-defined-fields/
crm-deal-userfield-list.md and its contact/company twins). Numbers come as strings
("SORT": "10"): both are taken.

The answers are also kept as Bitrix24 sent them (`Snapshot.answers`), in the shapes of
those documents, for `funnelc import --from bitrix24` to read live.
"""

from __future__ import annotations

import urllib.parse
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


@dataclass
class Snapshot:
    categories: list[Category]
    fields: list[UserField]
    answers: dict[str, JSON] = field(default_factory=dict)

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


def _label(raw: JSONObject) -> str:
    """A field's name: EDIT_FORM_LABEL, else LIST_COLUMN_LABEL, else the code. A label
    may be a string or a map by language (`lang_map`)."""
    for key in ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"):
        value = raw.get(key)
        if isinstance(value, dict):
            texts = [v for k in ("en", "ru", *sorted(value)) if isinstance(v := value.get(k), str)
                     and v.strip()]
            value = texts[0] if texts else None
        if isinstance(value, str) and value.strip():
            return value
    return str(raw.get("FIELD_NAME") or "")


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


def parse_field(raw: JSON, where: str, entity: FieldEntity) -> UserField:
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
    return UserField(_int(item, "ID", where), entity, _str(item, "FIELD_NAME", where), _label(item),
                     _str(item, "USER_TYPE_ID", where), _yes(item.get("MULTIPLE")),
                     _yes(item.get("MANDATORY")), enums)


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
    calls = [Call(f"s{c.id}", "crm.status.list",
                  {"filter": {"ENTITY_ID": c.entity_id}, "order": {"SORT": "ASC"}})
             for c in categories]
    calls += [Call(f"f_{e}", f"crm.{e}.userfield.list", {"order": {"SORT": "ASC"}})
              for e in ENTITIES]
    results: dict[str, JSON] = {}
    for start in range(0, len(calls), MAX_BATCH):
        results.update(client.batch(calls[start:start + MAX_BATCH]))
    statuses: list[JSON] = []
    for c in categories:
        method = f"crm.status.list ({c.entity_id})"
        items = _items(client, method, results.get(f"s{c.id}"), f"result.result.s{c.id}")
        if len(items) >= 50:  # a full page: read the rest the plain way
            items = client.list_all("crm.status.list", {"filter": {"ENTITY_ID": c.entity_id},
                                                         "order": {"SORT": "ASC"}})
        try:
            c.stages = [parse_stage(s, f"result[{k}]") for k, s in enumerate(items)]
        except _Shape as exc:
            raise BadAnswer(f"{client.label('POST', method)}: {exc}") from None
        statuses += items
    fields: list[UserField] = []
    answers: dict[str, JSON] = {
        "crm.category.list": {"result": {"categories": raw_categories}},
        "crm.status.list": {"result": statuses}}
    for e in ENTITIES:
        method = f"crm.{e}.userfield.list"
        items = _items(client, method, results.get(f"f_{e}"), f"result.result.f_{e}")
        if len(items) >= 50:
            items = client.list_all(method, {"order": {"SORT": "ASC"}})
        try:
            fields += [parse_field(f, f"result[{k}]", e) for k, f in enumerate(items)]
        except _Shape as exc:
            raise BadAnswer(f"{client.label('POST', method)}: {exc}") from None
        answers[method] = {"result": items}
    return Snapshot(categories, fields, answers)


def command(method: str, params: JSONObject) -> str:
    """`method?query` as a batch command is written (for messages and tests)."""
    return f"{method}?{urllib.parse.urlencode(query_string(params))}"
