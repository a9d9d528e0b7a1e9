"""A loopback fake of Bitrix24 REST for deal pipelines, stages and user fields.

Built from Bitrix24's own REST documentation (bitrix24/b24restdocs, the source of
apidocs.bitrix24.com; research note /work/shared/research/crm-formats.md §2). Each rule
cites its file (paths relative to that repository). Where the docs are silent the fake
is the stricter one, and says so (`[stricter]`). Standard library only.

Use it through :func:`running_fake_bitrix24`::

    with running_fake_bitrix24() as b24:
        httpx.post(b24.webhook + "crm.category.list", json={"entityTypeId": 2})

Calls: `POST /rest/{user}/{code}/{method}` (incoming webhook) or `POST /rest/{method}`
with `auth` in the JSON body (OAuth) — settings/how-to-call-rest-api/batch.md, the two
cURL examples; a `.json` suffix on the method is accepted.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_STAGES = [  # api-reference/crm/status/crm-status-list.md, the answer's example
    ("NEW", "New", 10, "", "Y", "#39A8EF"), ("PREPARATION", "Document preparation", 20, "", "N", "#2FC6F6"),
    ("PREPAYMENT_INVOICE", "Prepayment invoice", 30, "", "N", "#55D0E0"),
    ("EXECUTING", "In progress", 40, "", "N", "#47E4C2"),
    ("FINAL_INVOICE", "Final invoice", 50, "", "N", "#FFA900"),
    ("WON", "Deal won", 60, "S", "Y", "#7BD500"), ("LOSE", "Deal lost", 70, "F", "Y", "#FF5752"),
    ("APOLOGY", "Analyze failure", 80, "F", "N", "#FF5752")]
# [stricter] a new deal category starts with the same stage list as the default pipeline
# (research §2.1: "a new category comes with pre-installed stages").
USER_TYPES = {"string", "integer", "double", "boolean", "datetime", "date", "money", "url",
              "address", "enumeration", "file", "employee", "crm_status", "iblock_section",
              "iblock_element", "crm"}  # crm-deal-userfield-add.md, USER_TYPE_ID
STATUS_ID_RE = re.compile(r"[A-Za-z0-9_-]+")  # crm-status-add.md, "Restrictions for STATUS_ID"
FIELD_NAME_RE = re.compile(r"[A-Z0-9_]+")  # crm-deal-userfield-add.md, FIELD_NAME
USERFIELD_ENTITIES = {"deal": "CRM_DEAL", "contact": "CRM_CONTACT", "company": "CRM_COMPANY"}
PAGE = 50  # crm-status-list.md: "returns a single page (max 50 records)"
MAX_BATCH = 50  # settings/how-to-call-rest-api/batch.md
LANGUAGES = frozenset({"ar", "br", "de", "en", "fr", "hi", "id", "it", "ja", "la", "ms", "pl",
                       "ru", "sc", "tc", "th", "tr", "ua", "vn"})  # crm/data-types.md#lang-ids
PORTAL_LANGUAGES = ("ru", "en", "ua", "de")
# [stricter] the languages a LABEL is written in ("set for all language identifiers",
# crm-deal-userfield-add.md): a portal's installed languages; a list filtered by another
# LANG gives null labels.


class RestError(Exception):
    """An error answer: `{"error": code, "error_description": text}` with `status`
    (_includes/system-errors.md)."""

    def __init__(self, code: str, text: str, status: int = 400) -> None:
        super().__init__(text)
        self.code, self.text, self.status = code, text, status


@dataclass
class Stage:
    id: int
    entity_id: str
    status_id: str
    name: str
    sort: int
    semantics: str  # "", "S", "F"
    system: bool
    color: str
    deals: int = 0

    def answer(self, category_id: int) -> dict[str, Any]:
        # crm-status-list.md: numbers as strings, SEMANTICS null for in-progress,
        # EXTRA.SEMANTICS in words.
        words = {"": "process", "S": "success", "F": "failure"}[self.semantics]
        return {"ID": str(self.id), "ENTITY_ID": self.entity_id, "STATUS_ID": self.status_id,
                "NAME": self.name, "NAME_INIT": "", "SORT": str(self.sort),
                "SYSTEM": "Y" if self.system else "N",
                "CATEGORY_ID": str(category_id) if category_id else None, "COLOR": self.color,
                "SEMANTICS": self.semantics or None, "EXTRA": {"SEMANTICS": words, "COLOR": self.color}}


@dataclass
class Category:
    id: int
    name: str
    sort: int
    deals: int = 0

    @property
    def entity_id(self) -> str:
        return "DEAL_STAGE" if self.id == 0 else f"DEAL_STAGE_{self.id}"

    def answer(self) -> dict[str, Any]:
        # crm-category-list.md: originId/originatorId on deal categories but the default
        out: dict[str, Any] = {"id": self.id, "name": self.name, "sort": self.sort,
                               "entityTypeId": 2, "isDefault": "Y" if self.id == 0 else "N"}
        if self.id:
            out.update(originId="", originatorId="")
        return out


@dataclass
class UserField:
    id: int
    entity: str
    field_name: str
    user_type: str
    label: str
    multiple: bool
    mandatory: bool
    sort: int
    items: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """The label per language where it differs from `label` (crm-deal-userfield-add.md:
    EDIT_FORM_LABEL as a `lang_map`, "the value from LABEL will be set for all languages
    that were not provided"). A field made by hand in the portal's interface may have a
    label in some languages only: seed it with `label=""` and `labels`."""

    def text(self, lang: str) -> str | None:
        """The label in `lang`: [stricter] null where the field has none in it (the docs
        do not show a list filtered by a language the label was not written in)."""
        if lang in self.labels:
            return self.labels[lang]
        return self.label if lang in PORTAL_LANGUAGES and self.label else None

    def answer(self, lang: str | None = None) -> dict[str, Any]:
        # crm-deal-userfield-list.md, the answer's example. Its "Returned Data": the labels
        # "are returned either as `string` when passing `filter.LANG`, or are not returned
        # at all" (so in crm-contact-userfield-list.md; crm-company-userfield-list.md: "as
        # `string` when passing `filter.LANG`").
        out: dict[str, Any] = {
            "ID": str(self.id), "ENTITY_ID": USERFIELD_ENTITIES[self.entity],
            "FIELD_NAME": self.field_name, "USER_TYPE_ID": self.user_type, "XML_ID": None,
            "SORT": str(self.sort), "MULTIPLE": "Y" if self.multiple else "N",
            "MANDATORY": "Y" if self.mandatory else "N", "SHOW_FILTER": "N",
            "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N", "SETTINGS": {}}
        if lang is not None:
            text = self.text(lang)
            out.update({"EDIT_FORM_LABEL": text, "LIST_COLUMN_LABEL": text,
                        "LIST_FILTER_LABEL": text, "ERROR_MESSAGE": None, "HELP_MESSAGE": None})
        if self.user_type == "enumeration":
            out["LIST"] = [{"ID": str(i["ID"]), "SORT": str(i["SORT"]), "VALUE": i["VALUE"],
                            "DEF": "N", "XML_ID": f"x{i['ID']}"} for i in self.items]
        return out


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise RestError("ERROR_CORE", f"{what} must be an integer")
    try:
        return int(str(value).strip())
    except ValueError:
        raise RestError("ERROR_CORE", f"{what} must be an integer") from None


def _yn(value: Any, what: str) -> bool:
    if value in ("Y", "N"):
        return value == "Y"
    if value in (True, False, 1, 0, "1", "0"):  # crm-deal-userfield-add.md: boolean Y/N
        return value in (True, 1, "1")
    raise RestError("ERROR_CORE", f"{what} must be Y or N")


def parse_query(query: str) -> dict[str, Any]:
    """PHP's parse_str: `fields[NAME]=x&fields[LIST][0][VALUE]=y` → nested dicts (the
    form of a batch command: batch.md "method?parameter=value")."""
    out: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _listish(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    raise RestError("ERROR_CORE", "LIST must be an array")


class State:
    """The portal: deal categories with their stage lists, and user fields."""

    def __init__(self) -> None:
        self.next_id = 101
        self.categories: list[Category] = [Category(0, "General", 300)]
        self.stages: list[Stage] = []
        self.fields: list[UserField] = []
        self.unreadable: set[int] = set()
        """Ids of the deal categories the webhook's user has no right to read:
        crm-category-list.md ("Which funnels will be included in the list") leaves them
        out of crm.category.list, and crm-category-get.md answers ACCESS_DENIED for them
        (NOT_FOUND for an id no category has)."""
        self._seed(self.categories[0])

    def _id(self) -> int:
        self.next_id += 2
        return self.next_id

    def _seed(self, cat: Category) -> None:
        prefix = f"C{cat.id}:" if cat.id else ""
        for code, name, sort, sem, system, color in DEFAULT_STAGES:
            self.stages.append(Stage(self._id(), cat.entity_id, prefix + code, name, sort, sem,
                                     system == "Y", color))

    def category(self, cid: int) -> Category:
        for c in self.categories:
            if c.id == cid:
                return c
        raise RestError("NOT_FOUND", f"category {cid} not found", 400)

    def stages_of(self, entity_id: str) -> list[Stage]:
        return sorted((s for s in self.stages if s.entity_id == entity_id), key=lambda s: (s.sort, s.id))

    def category_of(self, entity_id: str) -> Category:
        for c in self.categories:
            if c.entity_id == entity_id:
                return c
        raise RestError("ERROR_CORE", f"ENTITY_ID {entity_id} is not a stage list")

    # ---------------------------------------------------------------- categories
    # api-reference/crm/universal/category/crm-category-{add,update,delete,list}.md

    def _category_fields(self, fields: Any, creating: bool) -> dict[str, Any]:
        if not isinstance(fields, dict):
            raise RestError("ERROR_CORE", "fields is required")
        if "isDefault" in fields:  # crm-category-add.md 65: not available for deals
            raise RestError("ERROR_CORE", "isDefault is not available for deal pipelines")
        name = fields.get("name")
        if creating or "name" in fields:
            if not isinstance(name, str) or not name.strip():
                raise RestError("ERROR_CORE", "Field 'NAME' is required")
            if len(name) > 255:
                raise RestError("ERROR_CORE", "name is longer than 255 characters")
        return fields

    def _entity_type(self, params: dict[str, Any]) -> None:
        if "entityTypeId" not in params:
            raise RestError("ERROR_CORE", "entityTypeId is required")
        if _int(params["entityTypeId"], "entityTypeId") != 2:
            raise RestError("ENTITY_TYPE_NOT_SUPPORTED", "this fake holds deal pipelines only")

    def category_add(self, p: dict[str, Any]) -> Any:
        self._entity_type(p)
        f = self._category_fields(p.get("fields"), True)
        sort = max(0, _int(f.get("sort", 500), "sort"))  # negative → 0, default 500
        cat = Category(max(c.id for c in self.categories) + 1, f["name"], sort)
        self.categories.append(cat)
        self._seed(cat)
        return {"category": cat.answer()}

    def category_update(self, p: dict[str, Any]) -> Any:
        self._entity_type(p)
        cat = self.category(_int(p.get("id"), "id"))
        f = self._category_fields(p.get("fields"), False)
        if "name" in f:
            cat.name = f["name"]
        if "sort" in f:
            cat.sort = max(0, _int(f["sort"], "sort"))
        return {"category": cat.answer()}

    def category_delete(self, p: dict[str, Any]) -> Any:
        self._entity_type(p)
        cat = self.category(_int(p.get("id"), "id"))
        if cat.id == 0:  # crm-category-delete.md: the default category cannot be deleted
            raise RestError("ERROR_CORE", "the default pipeline cannot be deleted")
        if cat.deals:
            raise RestError("ERROR_CORE", "the pipeline holds deals")
        self.categories.remove(cat)
        self.stages = [s for s in self.stages if s.entity_id != cat.entity_id]
        return True

    def category_list(self, p: dict[str, Any]) -> list[Any]:
        self._entity_type(p)
        return [c.answer() for c in sorted(self.categories, key=lambda c: (c.sort, c.id))
                if c.id not in self.unreadable]

    def category_get(self, p: dict[str, Any]) -> Any:
        self._entity_type(p)
        cat = self.category(_int(p.get("id"), "id"))  # NOT_FOUND: "Element not found"
        if cat.id in self.unreadable:
            raise RestError("ACCESS_DENIED", "Access denied", 400)
        return {"category": cat.answer()}

    # ---------------------------------------------------------------- stages
    # api-reference/crm/status/crm-status-{add,update,delete,list}.md

    def _order_ok(self, entity_id: str, changed: Stage) -> None:
        """crm-status-add.md "Restrictions for SORT": In progress < Success < Failure.
        [stricter] checked on update as well as on add."""
        stages = self.stages_of(entity_id)
        won = [s.sort for s in stages if s.semantics == "S"]
        if not won:
            return
        if any(s.semantics == "" and s.sort >= won[0] for s in stages):
            raise RestError("ERROR_CORE", "Cannot create more stages after the final stage "
                            "because the final successful stage already exists")
        if any(s.semantics == "F" and s.sort <= won[0] for s in stages):
            raise RestError("ERROR_CORE", "failure stages must come after the success stage")

    def status_add(self, p: dict[str, Any]) -> Any:
        f = p.get("fields")
        if not isinstance(f, dict):
            raise RestError("ERROR_CORE", "fields is required")
        for key in ("ENTITY_ID", "STATUS_ID", "NAME"):  # required (crm-status-add.md)
            if not isinstance(f.get(key), str) or not f[key].strip():
                raise RestError("ERROR_CORE", f"Field '{key}' is required")
        cat = self.category_of(f["ENTITY_ID"])
        prefix = f"C{cat.id}:" if cat.id else ""
        code = f["STATUS_ID"][len(prefix):] if prefix and f["STATUS_ID"].startswith(prefix) \
            else f["STATUS_ID"]
        limit = 22 - len(prefix)  # 22 for DEAL_STAGE; [stricter] minus the prefix elsewhere
        if not STATUS_ID_RE.fullmatch(code) or len(code) > limit:
            raise RestError("ERROR_CORE", f"STATUS_ID must be at most {limit} characters of "
                            "Latin letters, digits, - and _")
        if any(s.status_id == prefix + code for s in self.stages if s.entity_id == cat.entity_id):
            raise RestError("ERROR_CORE", "The specified status ID already exists.")
        sem = f.get("SEMANTICS", "")
        if sem not in ("", "S", "F"):
            raise RestError("ERROR_CORE", "SEMANTICS must be S, F or empty")
        if sem == "S" and any(s.semantics == "S" for s in self.stages_of(cat.entity_id)):
            raise RestError("ERROR_CORE", "the final successful stage already exists")
        color = f.get("COLOR", "")
        if color and not re.fullmatch(r"#[0-9A-Fa-f]{6}", str(color)):
            raise RestError("ERROR_CORE", "COLOR must be a hex colour such as #39A8EF")
        stage = Stage(self._id(), cat.entity_id, prefix + code, f["NAME"],
                      _int(f.get("SORT", 10), "SORT"), sem, False, str(color))
        self.stages.append(stage)
        try:
            self._order_ok(cat.entity_id, stage)
        except RestError:
            self.stages.remove(stage)
            raise
        return stage.id

    def _stage(self, p: dict[str, Any]) -> Stage:
        sid = _int(p.get("id"), "id")
        for s in self.stages:
            if s.id == sid:
                return s
        raise RestError("ERROR_CORE", f"status {sid} not found")

    def status_update(self, p: dict[str, Any]) -> Any:
        stage = self._stage(p)
        f = p.get("fields")
        if not isinstance(f, dict):
            raise RestError("ERROR_CORE", "fields is required")
        if "SEMANTICS" in f and (f["SEMANTICS"] or "") != stage.semantics:
            raise RestError("ERROR_CORE", "SEMANTICS cannot be changed")  # crm-status-fields.md isImmutable
        before = (stage.name, stage.sort, stage.color)
        if "NAME" in f:  # crm.status.update accepts NAME, SORT, COLOR (crm-status-update.md)
            if not str(f["NAME"]).strip():
                raise RestError("ERROR_CORE", "Field 'NAME' is required")
            stage.name = str(f["NAME"])
        if "SORT" in f:
            stage.sort = _int(f["SORT"], "SORT")
        if "COLOR" in f:
            stage.color = str(f["COLOR"])
        try:
            self._order_ok(stage.entity_id, stage)
        except RestError:
            stage.name, stage.sort, stage.color = before
            raise
        return True

    def status_delete(self, p: dict[str, Any]) -> Any:
        stage = self._stage(p)
        forced = str((p.get("params") or {}).get("FORCED", "N")) == "Y"
        if stage.system and not forced:  # crm-status-delete.md: FORCED for system items
            raise RestError("ERROR_CORE", "system stages are deleted only with FORCED=Y")
        if stage.deals:
            raise RestError("ERROR_CORE", "the stage holds deals")
        self.stages.remove(stage)
        return True

    def status_list(self, p: dict[str, Any]) -> list[Any]:
        flt = p.get("filter") or {}
        out = [s for s in self.stages
               if all(str(getattr(s, {"ENTITY_ID": "entity_id", "STATUS_ID": "status_id"}.get(k, k.lower()),
                                  None)) == str(v) for k, v in flt.items())]
        # crm-status-list.md: sorted by the `order` given (any field of crm.status.fields).
        # [stricter] stages of equal SORT come in no set order unless ID is a key too, and
        # each page is its own query: here ties run by ID on the first page and against it
        # on the others, so a page boundary inside a run of equal SORT repeats one stage
        # and skips another, as LIMIT/OFFSET over a non-unique ORDER BY may.
        order = p.get("order") or {}
        first = not _int(p.get("start", 0) or 0, "start")
        if "ID" in order:
            out.sort(key=lambda s: (s.sort, s.id if order["ID"] != "DESC" else -s.id))
        else:
            out.sort(key=lambda s: (s.sort, s.id if first else -s.id))
        return [s.answer(self.category_of(s.entity_id).id) for s in out]

    # ---------------------------------------------------------------- user fields
    # api-reference/crm/deals/user-defined-fields/crm-deal-userfield-*.md (contacts and
    # companies: api-reference/crm/contacts/userfield/, companies/userfields/)

    def _items(self, raw: Any) -> list[dict[str, Any]]:
        items = []
        for k, item in enumerate(_listish(raw)):
            if not isinstance(item, dict):
                raise RestError("ERROR_CORE", f"LIST[{k}] must be an object")
            if not str(item.get("VALUE") or "").strip():
                continue  # "List elements with an empty or missing VALUE will be ignored"
            items.append(item)
        return items

    def userfield_add(self, entity: str, p: dict[str, Any]) -> Any:
        f = p.get("fields")
        if not isinstance(f, dict):
            raise RestError("ERROR_CORE", "fields is required")
        utype = f.get("USER_TYPE_ID")
        if utype not in USER_TYPES:
            raise RestError("ERROR_CORE", f"USER_TYPE_ID {utype!r} is not a field type")
        name = str(f.get("FIELD_NAME") or "").upper()
        if not name:
            raise RestError("ERROR_CORE", "FIELD_NAME is required")
        if name.startswith("UF_CRM_"):
            full = name
        elif name.startswith("UF_"):
            full = "UF_CRM_" + name[3:]
        else:
            full = "UF_CRM_" + name
        if not FIELD_NAME_RE.fullmatch(full) or len(full) > 50:
            raise RestError("ERROR_CORE", "FIELD_NAME: at most 50 characters with the prefix, A-Z 0-9 _")
        if any(x.field_name == full and x.entity == entity for x in self.fields):
            raise RestError("ERROR_CORE", f"a field {full} already exists")
        multiple = _yn(f.get("MULTIPLE", "N"), "MULTIPLE")
        if multiple and utype == "boolean":
            raise RestError("ERROR_CORE", "fields of type boolean cannot be multiple")
        sort = _int(f.get("SORT", 100), "SORT")
        if sort <= 0:
            raise RestError("ERROR_CORE", "SORT must be greater than zero")
        # crm-deal-userfield-add.md: EDIT_FORM_LABEL is a string (every language) or a
        # lang_map (LABEL for the languages it leaves out).
        edit = f.get("EDIT_FORM_LABEL")
        per_language = ({str(k): str(v) for k, v in edit.items() if str(k) in LANGUAGES}
                        if isinstance(edit, dict) else {})
        label = f.get("LABEL") or (edit if isinstance(edit, str) else None) or full
        uf = UserField(self._id(), entity, full, utype, str(label), multiple,
                       _yn(f.get("MANDATORY", "N"), "MANDATORY"), sort, labels=per_language)
        if "LIST" in f:
            for k, item in enumerate(self._items(f["LIST"])):
                uf.items.append({"ID": self._id(), "VALUE": str(item["VALUE"]),
                                 "SORT": _int(item.get("SORT", 10 * (k + 1)), "LIST.SORT")})
        self.fields.append(uf)
        return uf.id

    def _field(self, entity: str, p: dict[str, Any]) -> UserField:
        fid = _int(p.get("id"), "id")
        for x in self.fields:
            if x.id == fid and x.entity == entity:
                return x
        raise RestError("ERROR_CORE", f"user field {fid} not found")

    def userfield_update(self, entity: str, p: dict[str, Any]) -> Any:
        uf = self._field(entity, p)
        f = p.get("fields")
        if not isinstance(f, dict):
            raise RestError("ERROR_CORE", "fields is required")
        # USER_TYPE_ID, FIELD_NAME, MULTIPLE are not in the update table: ignored
        # ("An incorrect field in fields will be ignored").
        if "MANDATORY" in f:
            uf.mandatory = _yn(f["MANDATORY"], "MANDATORY")
        if "SORT" in f:
            sort = _int(f["SORT"], "SORT")
            if sort <= 0:
                raise RestError("ERROR_CORE", "SORT must be greater than zero")
            uf.sort = sort
        if "LIST" in f and uf.user_type == "enumeration":
            kept: list[dict[str, Any]] = []
            for item in _listish(f["LIST"]):
                if not isinstance(item, dict):
                    raise RestError("ERROR_CORE", "LIST items must be objects")
                if "ID" in item:
                    iid = _int(item["ID"], "LIST.ID")
                    old = next((i for i in uf.items if i["ID"] == iid), None)
                    if old is None:
                        raise RestError("ERROR_CORE", f"LIST item {iid} not found")
                    if str(item.get("DEL", "N")) == "Y":
                        continue
                    kept.append({"ID": iid, "VALUE": str(item.get("VALUE", old["VALUE"])),
                                 "SORT": _int(item.get("SORT", old["SORT"]), "LIST.SORT")})
                elif str(item.get("VALUE") or "").strip():
                    kept.append({"ID": self._id(), "VALUE": str(item["VALUE"]),
                                 "SORT": _int(item.get("SORT", 10), "LIST.SORT")})
            uf.items = kept
        return True

    def userfield_delete(self, entity: str, p: dict[str, Any]) -> Any:
        self.fields.remove(self._field(entity, p))
        return True

    def userfield_list(self, entity: str, p: dict[str, Any]) -> list[Any]:
        # crm-deal-userfield-list.md: filter LANG ("a language identifier") gives the
        # labels in that language; without it the answer has no labels.
        flt = p.get("filter") or {}
        if not isinstance(flt, dict):
            raise RestError("", "Parameter 'filter' must be array.")
        lang = flt.get("LANG")
        return [x.answer(None if lang is None else str(lang))
                for x in sorted(self.fields, key=lambda x: (x.sort, x.id)) if x.entity == entity]

    # ---------------------------------------------------------------- dispatch

    LISTS = frozenset({"crm.category.list", "crm.status.list", "crm.deal.userfield.list",
             "crm.contact.userfield.list", "crm.company.userfield.list"})

    def run(self, method: str, params: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """(result, extra top-level keys such as `next`/`total`)."""
        table = {"crm.category.add": self.category_add, "crm.category.update": self.category_update,
                 "crm.category.delete": self.category_delete, "crm.category.list": self.category_list,
                 "crm.category.get": self.category_get,
                 "crm.status.add": self.status_add, "crm.status.update": self.status_update,
                 "crm.status.delete": self.status_delete, "crm.status.list": self.status_list}
        m = re.fullmatch(r"crm\.(deal|contact|company)\.userfield\.(add|update|delete|list)", method)
        if m:
            entity, op = m.groups()
            fn = getattr(self, f"userfield_{op}")
            result = fn(entity, params)
        elif method in table:
            result = table[method](params)
        else:
            raise RestError("ERROR_METHOD_NOT_FOUND", f"Method not found: {method}", 404)
        if method in self.LISTS:
            start = _int(params.get("start", 0) or 0, "start")
            total = len(result)
            page = result[start:start + PAGE]
            extra: dict[str, Any] = {"total": total}
            if start + PAGE < total:
                extra["next"] = start + PAGE
            if method == "crm.category.list":
                return {"categories": page}, extra
            return page, extra
        return result, {}


_REF = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]+\])*)")


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    """batch.md: `$result[key][field]…` in a later call's parameter is the value from an
    earlier call's result."""
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, str) and "$result[" in value:
        def one(m: re.Match[str]) -> str:
            node = results.get(m.group(1))
            for part in re.findall(r"\[([^\]]+)\]", m.group(2)):
                node = node[int(part)] if isinstance(node, list) else (node or {}).get(part)
            return "" if node is None else str(node)
        return _REF.sub(one, value)
    return value


@dataclass
class Logged:
    method: str
    path: str
    api_method: str
    status: int
    commands: int


FailPlan = dict[int, str]
"""Request number (1-based) → how to fail it: `"503"` (QUERY_LIMIT_EXCEEDED, before doing
anything), `"500-before"`, `"500-after"` (the work is done, then a 500), `"html"` (a
proxy's HTML page instead of JSON, after the work), `"cut"` (JSON cut off, after)."""


class FakeBitrix24:
    def __init__(self, *, user: int = 1, code: str = "fakewebhookcode0123456789",
                 oauth_token: str = "oauth-fake-token-0123456789",
                 burst: int | None = 50, drain_per_s: float = 2.0,
                 fail_plan: FailPlan | None = None) -> None:
        self.state = State()
        self.user, self.code, self.oauth_token = user, code, oauth_token
        self.burst, self.drain_per_s = burst, drain_per_s  # limits.md: X=50, Y=2 per second
        self.fail_plan: FailPlan = dict(fail_plan or {})
        self.requests: list[Logged] = []
        self.count = 0
        self._bucket = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()
        self.base_url = ""

    @property
    def webhook(self) -> str:
        return f"{self.base_url}/rest/{self.user}/{self.code}/"

    def reset_rate_window(self) -> None:
        with self._lock:
            self._bucket = 0.0

    def _leak(self) -> bool:
        """limits.md (leaky bucket): the counter grows by one a request and drains by
        Y a second; over X the request is refused with 503 QUERY_LIMIT_EXCEEDED."""
        if self.burst is None:
            return True
        now = time.monotonic()
        self._bucket = max(0.0, self._bucket - (now - self._at) * self.drain_per_s)
        self._at = now
        if self._bucket + 1 > self.burst:
            return False
        self._bucket += 1
        return True

    def handle(self, path: str, body: bytes) -> tuple[int, bytes, str]:
        with self._lock:
            self.count += 1
            number = self.count
            parts = [p for p in urllib.parse.urlsplit(path).path.split("/") if p]
            method = (parts[-1] if parts else "").removesuffix(".json")
            inject = self.fail_plan.pop(number, None)
            status, answer, ctype = self._handle(parts, method, body, inject)
            commands = 0
            if method == "batch":
                with contextlib.suppress(Exception):
                    commands = len(json.loads(body or b"{}").get("cmd") or {})
            self.requests.append(Logged("POST", path, method, status, commands))
            return status, answer, ctype

    def _handle(self, parts: list[str], method: str, raw: bytes, inject: str | None
                ) -> tuple[int, bytes, str]:
        def error(code: str, text: str, status: int) -> tuple[int, bytes, str]:
            return status, json.dumps({"error": code, "error_description": text}).encode(), \
                "application/json"
        if inject in ("503",) or not self._leak():
            return error("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        if inject == "500-before":
            return error("INTERNAL_SERVER_ERROR", "Internal server error", 500)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return error("ERROR_CORE", "the body is not JSON", 400)
        if not isinstance(body, dict):
            return error("ERROR_CORE", "the body must be an object", 400)
        if len(parts) == 4 and parts[0] == "rest":
            if parts[1] != str(self.user) or parts[2] != self.code:
                return error("NO_AUTH_FOUND", "Wrong authorization data", 401)
        elif len(parts) == 2 and parts[0] == "rest":
            if body.get("auth") != self.oauth_token:
                return error("NO_AUTH_FOUND" if "auth" not in body else "expired_token",
                             "Wrong authorization data", 401)
        else:
            return 404, b"<html><body>Not Found</body></html>", "text/html"
        body.pop("auth", None)
        try:
            if method == "batch":
                result: Any = self._batch(body)
                extra: dict[str, Any] = {}
            else:
                result, extra = self.state.run(method, body)
        except RestError as exc:
            return error(exc.code, exc.text, exc.status)
        answer = json.dumps({"result": result, **extra, "time": {"start": time.time()}},
                            ensure_ascii=False).encode()
        if inject == "500-after":
            return error("INTERNAL_SERVER_ERROR", "Internal server error", 500)
        if inject == "html":
            return 502, b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "text/html"
        if inject == "cut":
            return 200, answer[: len(answer) // 2], "application/json"
        return 200, answer, "application/json"

    def _batch(self, body: dict[str, Any]) -> dict[str, Any]:
        """batch.md: ≤ 50 calls run in order; halt stops at the first error; errors under
        result_error by key; no batch inside a batch."""
        cmd = body.get("cmd")
        if not isinstance(cmd, dict) or not cmd:
            raise RestError("ERROR_CORE", "cmd is required")
        halt = str(body.get("halt", 0)) in ("1", "true", "True")
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        totals: dict[str, Any] = {}
        nexts: dict[str, Any] = {}
        for n, (key, command) in enumerate(cmd.items()):
            if n >= MAX_BATCH:
                errors[key] = {"error": "ERROR_BATCH_LENGTH_EXCEEDED",
                               "error_description": "Max batch length exceeded"}
                continue
            method, _, query = str(command).partition("?")
            if method == "batch":
                errors[key] = {"error": "ERROR_BATCH_METHOD_NOT_ALLOWED",
                               "error_description": "Method is not allowed for batch usage"}
            else:
                try:
                    params = _resolve(parse_query(query), results)
                    result, extra = self.state.run(method, params)
                    results[key] = result
                    if "total" in extra:
                        totals[key] = extra["total"]
                    if "next" in extra:
                        nexts[key] = extra["next"]
                except RestError as exc:
                    errors[key] = {"error": exc.code, "error_description": exc.text}
            if errors and halt:
                break
        return {"result": results or [], "result_error": errors or [],
                "result_total": totals or [], "result_next": nexts or [], "result_time": []}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBitrix24


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        status, answer, ctype = self.server.fake.handle(self.path, self.rfile.read(length))
        self.send_response(status)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if "json" in ctype else ""))
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST


@contextlib.contextmanager
def running_fake_bitrix24(**kwargs: Any) -> Iterator[FakeBitrix24]:
    fake = FakeBitrix24(**kwargs)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # serve_forever polls for shutdown every 0.5 s by default: half a second lost at
    # the end of every fake (test_bitrix24_apply starts over a hundred).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
