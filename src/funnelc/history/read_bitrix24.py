"""Bitrix24 REST exports → events.

Inputs: `crm.stagehistory.list` pages (`result.items[]`: `TYPE_ID` 1 created, 2 moved, 3
moved to a final stage, 5 pipeline changed; `OWNER_ID`, `CREATED_TIME` ISO 8601 with
offset, `CATEGORY_ID`, `STAGE_ID`, `STAGE_SEMANTIC_ID` P/S/F; leads have `STATUS_ID`
and `STATUS_SEMANTIC_ID` instead), `crm.status.list` for stage names and order
(`STATUS_ID`, `NAME`, `SORT`, `CATEGORY_ID`, `SEMANTICS`), optionally
`crm.category.list` for pipeline names, `crm.deal.list` pages for value
(`OPPORTUNITY`; "0.00", the amount of a deal nobody priced, is no value), source
(`SOURCE_ID`), manager (`ASSIGNED_BY_ID`), client (`CONTACT_ID`: a later deal of the
same contact is the client coming back after a loss), last activity
(`LAST_ACTIVITY_TIME`, else `DATE_MODIFY`) and deals that never moved (`DATE_CREATE`;
without any history item, the list is read deal by deal to each closed deal's
`MOVED_TIME`: `BitrixCollector._deal_by_deal`),
optionally `crm.activity.list` pages (each completed call, e-mail or meeting of a deal:
`OWNER_TYPE_ID` 2, `OWNER_ID`, `END_TIME`; a lead's, `OWNER_TYPE_ID` 1), for the
graveyard's segments by the days a deal went untouched, and
`user.get` (`result[]`: `ID`, `NAME`, `LAST_NAME`) for the managers' names. The history
items name no user: a deal's manager is its responsible user on every row.

`crm.status.list` called without a filter answers with every directory of the account
(`crm.status.entity.types`): lead statuses (`STATUS`), sources (`SOURCE`), deal types,
industries... Only stage directories are stages (`DEAL_STAGE`, `DEAL_STAGE_{n}`, smart
processes' `..._STAGE_...`, and `STATUS` for lead histories); `SOURCE` names the deals'
`SOURCE_ID` («Веб-сайт» for `WEB`); the others are not read. Lead statuses and deal stages
share codes (`NEW` is both «Не обработан» and «Новая»), so each history item is named
from its own kind's directory.

Every history item is an entry into its stage. Semantic S is won, F is lost. Bitrix24
has no loss reason of its own: an account with several failure stages ("Анализ причины
провала" and the like) names the reason by the stage, but the standard pipeline has one
(«Сделка провалена», `LOSE` / `C{n}:LOSE`), and integrators keep the reason in a deal
userfield, a list whose values are enum IDs. A deal pipeline whose failure stages (those
of `crm.status.list` and those the history enters) number exactly one names no reason by
it: every loss of the pipeline goes there. Its losses take their reason from the field
or have none, as an amoCRM lead's without `loss_reason_id`: read as «Сделка провалена», a
standard pipeline's 320 losses had 0 % without a reason and the audit said nothing. The
leads' failure statuses stay reasons, even a lone «Некачественный лид» (`JUNK`): junk is
the reason (`junk`). With `crm.deal.userfield.list` (`FIELD_NAME`, `USER_TYPE_ID`, the
labels `EDIT_FORM_LABEL`/`LIST_COLUMN_LABEL`/`LIST_FILTER_LABEL`, as text or per language,
and `LIST[]` of `{ID, VALUE}`) or `crm.deal.fields` (`UF_...` keys with `listLabel`,
`formLabel`, `filterLabel` and `items[]` of `{ID, VALUE}`) saved, and the deals listed with
their userfields (`select: ["*", "UF_*"]`), a deal's last loss takes its reason from the
field whose label names a loss reason (`loss_field_label`), or from the field given by
`--loss-field`; the failure stage's name stays the reason of a deal with the field empty,
where the pipeline has several failure stages.
The field keeps a deal's current value only: a loss the deal was reopened from before it
was lost again, and a last loss reopened with the field empty, have no reason in the
export (`reason_unkept`, counted in a `loss_field_reopened` note), not the stage's name.
A multiple field gives its first value; an enum ID the answers do not list is `#ID`.

A deal's source is its `SOURCE_ID` (named from the `SOURCE` directory), else its
`UTM_SOURCE` (the advertising system of the deal's standard UTM fields), else its lead's.

An account in classic mode takes requests in as leads (`crm.stagehistory.list` with
`entityTypeId` 1, `crm.lead.list`) and converts the good ones into deals (`LEAD_ID`).
Leads and deals are numbered apart, both from 1: lead 7 is not deal 7, so a lead is
keyed `L7` and its statuses make a pipeline of their own («Лиды», «Ліди», "Leads", in
the language its statuses are named in), whose success (`CONVERTED`) is the lead's won.
Read under the deal ids and the main deal pipeline, the leads' and the deals' events
made one record of two, and «Не обработан» a stage between «Новая» and the deal's next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .deal_currency import Rates, in_one_currency, rate_of
from .deal_list import deal_level_stage
from .errors import HistoryDataError, HistoryInputError
from .events import LOST, STAGE, WON, Catalog, empty_events
from .quality import EXPORTS, DataQuality, QualityNote
from .timeparse import TimeBounds, parse_timestamps, screen_times

__all__ = ["BitrixCollector", "is_bitrix24", "loss_field_label", "DEFAULT_PIPELINES"]

DEFAULT_PIPELINES = frozenset({"Общая", "Загальна", "General"})
"""Bitrix24's name of the default deal pipeline (category 0) in the account's language:
what an export without `crm.category.list` calls it («#0» read as a code in every table),
and what `match` takes for a pipeline the export does not name."""

_LEVEL_ID = "funnelc: deal by deal"
"""The stage id of the one stage of a deal list read deal by deal (Bitrix24's ids are
capitals and digits: none is this)."""

_LOSS_LABEL = re.compile(
    r"причин\w*\W+(?:\w+\W+)?(?:отказ|провал|проигр|поражен|відмов|програш|невдач)"
    r"|(?:loss|lost|losing)\s+reason|reason\s+(?:for|of)\s+(?:the\s+)?(?:loss|losing)",
    re.IGNORECASE)


def loss_field_label(label: str) -> bool:
    """Whether a userfield's label names a loss reason: «Причина отказа», «Причина
    провала», «Причина проигрыша», «Причина відмови», "Loss reason", "Lost reason"."""
    return _LOSS_LABEL.search(label) is not None


def is_bitrix24(doc: Any) -> str | None:
    if isinstance(doc, dict) and "result" not in doc and isinstance(doc.get("error"), str) \
            and "error_description" in doc:
        return "error"  # {"error": "expired_token", "error_description": "..."}
    if isinstance(doc, dict) and "result" in doc:
        res = doc["result"]
        if isinstance(res, dict):
            if res and all(isinstance(v, dict) and "type" in v and "isDynamic" in v
                           for v in res.values()):
                return "fields"  # crm.deal.fields: field code → its description
            if isinstance(res.get("items"), list):
                return "history" if _looks_history(res["items"]) else (
                    "deals" if _looks_deal(res["items"]) else None)
            if isinstance(res.get("categories"), list):
                return "categories"
            if res and all(isinstance(r, dict) and "ID" in r for r in res.values()):
                return "keyed"
            return None
        if isinstance(res, list):
            if not res:
                return "empty"
            if _looks_activity(res):
                return "activities"
            if _looks_history(res):
                return "history"
            if all(isinstance(r, dict) and "FIELD_NAME" in r and "USER_TYPE_ID" in r
                   for r in res[:5]):
                return "userfields"
            if all(isinstance(r, dict) and "CURRENCY" in r and "AMOUNT" in r for r in res[:5]):
                return "currencies"
            if all(isinstance(r, dict) and "STATUS_ID" in r and "ENTITY_ID" in r for r in res[:5]):
                return "statuses"
            if _looks_deal(res):
                return "deals"
            if all(isinstance(r, dict) and "ID" in r and "NAME" in r
                   and ("LAST_NAME" in r or "USER_TYPE" in r) for r in res[:5]):
                return "users"
            if all(isinstance(r, dict) and "NAME" in r and "ID" in r for r in res[:5]):
                return "categories"
    if isinstance(doc, dict) and "OWNER_ID" in doc and "CREATED_TIME" in doc:
        return "history_item"
    return None


def _is_stage_directory(entity: str) -> bool:
    """Whether a `crm.status.list` directory (`ENTITY_ID`) holds stages: `STATUS` (leads),
    `DEAL_STAGE`, `DEAL_STAGE_{n}`, `DYNAMIC_{type}_STAGE_{n}`, `SMART_INVOICE_STAGE_{n}`,
    `QUOTE_STATUS`, `INVOICE_STATUS`; not `SOURCE`, `DEAL_TYPE`, `INDUSTRY` and the like."""
    return entity == "STATUS" or "_STAGE" in entity or entity.endswith("_STATUS")


def _looks_history(items: list[Any]) -> bool:
    head = [r for r in items[:5] if isinstance(r, dict)]
    return bool(head) and all("OWNER_ID" in r and "CREATED_TIME" in r for r in head)


def _looks_activity(items: list[Any]) -> bool:
    """`crm.activity.list` records: calls, e-mails, meetings, each with its owner
    (`OWNER_TYPE_ID`, `OWNER_ID`) and times."""
    head = [r for r in items[:5] if isinstance(r, dict)]
    return bool(head) and all("OWNER_TYPE_ID" in r and "OWNER_ID" in r
                              and ("START_TIME" in r or "END_TIME" in r) for r in head)


def _looks_deal(items: list[Any]) -> bool:
    head = [r for r in items[:5] if isinstance(r, dict)]
    return bool(head) and all("ID" in r and "DATE_CREATE" in r for r in head)


def _text(value: Any) -> str | None:
    """A scalar field as text; arrays, objects, booleans and empty strings are no value
    (a Bitrix24 field that holds `[]` or `{}` was not filled in)."""
    if type(value) is str:  # most fields: a third of the time building the events
        return value or None
    if value is None or value == "" or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _field_value(value: Any, uf: UserField) -> str | None:
    """A deal's value of a userfield as a name: the first of a multiple field, an enum ID
    by its item (`#ID` when the items do not list it)."""
    if isinstance(value, list):
        value = next((v for v in value if _text(v) is not None), None)
    text = _text(value)
    if text is None:
        return None
    if text in uf.items:
        return uf.items[text]
    return f"#{text}" if uf.listed or uf.items else text


def lead_key(lead_id: str) -> str:
    """A lead's key among the events: leads and deals are numbered apart."""
    return f"L{lead_id}"


LEAD_CAT = "lead"
"""The `cat` of a lead's rows: leads have no pipeline (`CATEGORY_ID`) of their own."""


def _is_lead(record: dict[str, Any]) -> bool:
    """A `crm.lead.list` record or a lead's history item: `STATUS_ID`, no `STAGE_ID`."""
    return "STAGE_ID" not in record and "STATUS_ID" in record


def _items(doc: Any) -> list[Any]:
    res = doc.get("result") if isinstance(doc, dict) else None
    if isinstance(res, dict):
        res = res.get("items") or res.get("categories")
    return list(res) if isinstance(res, list) else []


@dataclass(frozen=True)
class UserField:
    """A deal userfield as `crm.deal.userfield.list` or `crm.deal.fields` describes it."""

    code: str
    """`UF_CRM_...`."""
    labels: tuple[str, ...]
    """Its labels, every language given."""
    items: dict[str, str]
    """Enum ID → the item's name, for a list field."""
    listed: bool
    """A list field (`enumeration`): a value the items do not name is an unknown `#ID`."""


def _labels(*values: Any) -> tuple[str, ...]:
    """Labels given as text, or per language (`{"ru": ..., "en": ...}`)."""
    out: list[str] = []
    for v in values:
        for text in (v.values() if isinstance(v, dict) else (v,)):
            if isinstance(text, str) and text.strip() and text.strip() not in out:
                out.append(text.strip())
    return tuple(out)


def _enum_items(items: Any, where: str, key: str) -> dict[str, str]:
    """`{ID, VALUE}` items of a list field; any other shape is refused with its place."""
    if items is None:
        return {}
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and _text(i.get("ID")) is not None for i in items):
        raise HistoryDataError(
            f"{where}: `{key}` is not an array of {{ID, VALUE}} items; Bitrix24 lists a "
            "list field's values so", "save the API answer as it came")
    return {str(_text(i["ID"])): str(i.get("VALUE") or f"#{_text(i['ID'])}") for i in items}


@dataclass
class BitrixCollector:
    history: list[dict[str, Any]] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    """`crm.lead.list` records (`STATUS_ID`, no `STAGE_ID`)."""
    stages: dict[str, tuple[str, int, str, str]] = field(default_factory=dict)
    """STATUS_ID → (name, sort, category id, semantics) of deal (and smart process) stages."""
    lead_stages: dict[str, tuple[str, int, str, str]] = field(default_factory=dict)
    """The same for lead statuses (`ENTITY_ID` "STATUS")."""
    sources: dict[str, str] = field(default_factory=dict)
    """SOURCE_ID → its name (`crm.status.list` entries of `ENTITY_ID` "SOURCE")."""
    lead_items: bool = False
    """Whether a history item is a lead's (`STATUS_ID`, no `STAGE_ID`)."""
    categories: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    """User ID → "NAME LAST_NAME" (`user.get`)."""
    userfields: dict[str, UserField] = field(default_factory=dict)
    """Deal userfields by code (`crm.deal.userfield.list`, `crm.deal.fields`)."""
    touches: list[tuple[str, str]] = field(default_factory=list)
    """(deal key, time) of each completed activity of a deal or lead (`crm.activity.list`:
    a call, an e-mail, a meeting done; a planned one is no touch yet)."""
    loss_field: str | None = None
    """`--loss-field`: the userfield that holds the loss reason, instead of the one
    whose label names it."""
    currency: str | None = None
    """The account's currency (the funnel's): the deals' amounts are read in it
    (`deal_currency.in_one_currency`'s `prefer`)."""
    rates: Rates | None = None
    """`crm.currency.list`: each currency's rate to the base one (`deal_currency`)."""
    seen_any: bool = False
    deals_at: str | None = None
    """The first deal list page's place, for a deal list given without any history."""
    record_at: dict[str, str] = field(default_factory=dict)
    """A deal's or lead's (`lead_key`) place in the deal list pages."""
    level: str | None = None
    """The one stage of a deal list read deal by deal (`_deal_by_deal`), else None."""

    def add(self, kind: str, doc: Any, where: str, dq: DataQuality) -> None:
        self.seen_any = True
        if kind == "error":
            detail = _text(doc.get("error_description"))
            raise HistoryDataError(
                f"{where}: a Bitrix24 error answer ({doc['error']}"
                f"{': ' + detail if detail else ''}), not data",
                "call the method again and save the answer that has `result`")
        if kind == "keyed":
            # Read as nothing, a user.get saved this way lost every manager's name
            # without a word («user #1001» everywhere) and a deal list every value.
            raise HistoryDataError(
                f"{where}: `result` is an object of records keyed by their ID; Bitrix24's "
                "list methods (user.get, crm.deal.list, crm.status.list) answer with an "
                "array there", "save the API answer as it came")
        if kind == "history":
            for i, item in enumerate(_items(doc)):
                self._item(item, f"{where} item {i + 1}", dq)
        elif kind == "history_item":
            self._item(doc, where, dq)
        elif kind == "statuses":
            for s in _items(doc):
                if isinstance(s, dict) and s.get("STATUS_ID"):
                    entity = str(s.get("ENTITY_ID") or "")
                    if entity == "SOURCE":
                        if _text(s.get("NAME")):
                            self.sources[str(s["STATUS_ID"])] = str(s["NAME"])
                        continue
                    if entity and not _is_stage_directory(entity):
                        continue
                    extra = s.get("EXTRA") or {}
                    sem = str(s.get("SEMANTICS") or (extra.get("SEMANTICS") if isinstance(
                        extra, dict) else "") or "")
                    sem = {"success": "S", "failure": "F", "apology": "F",
                           "process": ""}.get(sem, sem)
                    try:
                        sort = int(s.get("SORT") or 0)
                    except (TypeError, ValueError, OverflowError):
                        sort = 0
                    cat = s.get("CATEGORY_ID")
                    if cat in (None, ""):
                        ent = str(s.get("ENTITY_ID") or "")
                        cat = ent.rsplit("_", 1)[1] if ent.startswith("DEAL_STAGE_") else "0"
                    into = self.lead_stages if entity == "STATUS" else self.stages
                    into[str(s["STATUS_ID"])] = (str(s.get("NAME") or s["STATUS_ID"]), sort,
                                                 str(cat), sem)
        elif kind == "categories":
            for c in _items(doc):
                if isinstance(c, dict):
                    cid = c.get("id", c.get("ID"))
                    if cid is not None:
                        self.categories[str(cid)] = str(c.get("name", c.get("NAME", cid)))
        elif kind == "users":
            for u in _items(doc):
                uid = _text(u.get("ID")) if isinstance(u, dict) else None
                if uid is not None and isinstance(u, dict):
                    name = " ".join(p for p in (_text(u.get("NAME")), _text(u.get("LAST_NAME")))
                                    if p)
                    if name:
                        self.users[uid] = name
        elif kind == "deals":
            self.deals_at = self.deals_at or where
            for i, d in enumerate(_items(doc)):
                if isinstance(d, dict):
                    (self.leads if _is_lead(d) else self.deals).append(d)
                    key = self._owner(d, "ID")
                    if key is not None:
                        self.record_at.setdefault(key, f"{where} item {i + 1}")
        elif kind == "activities":
            for a in _items(doc):
                if not isinstance(a, dict) or _text(a.get("COMPLETED")) not in ("Y", None):
                    continue
                owner = _text(a.get("OWNER_ID"))
                kind_id = _text(a.get("OWNER_TYPE_ID"))
                at = (_text(a.get("END_TIME")) or _text(a.get("START_TIME"))
                      or _text(a.get("CREATED")))
                if owner is not None and at is not None and kind_id in ("1", "2"):
                    self.touches.append((lead_key(owner) if kind_id == "1" else owner, at))
        elif kind == "currencies":
            rates = self.rates or Rates({}, None)
            for c in _items(doc):
                code = _text(c.get("CURRENCY")) if isinstance(c, dict) else None
                rate = rate_of(c) if isinstance(c, dict) else None
                if code is None or rate is None:
                    continue
                rates.to_base[code] = rate
                if _text(c.get("BASE")) == "Y":
                    rates.base = code
            self.rates = rates
        elif kind == "userfields":
            for i, uf in enumerate(_items(doc)):
                self._userfield(uf, f"{where} item {i + 1}")
        elif kind == "fields":
            for code, desc in doc["result"].items():
                if str(code).upper().startswith("UF_"):
                    here = f"{where} field {code}"
                    self._add_field(UserField(
                        str(code), _labels(desc.get("listLabel"), desc.get("formLabel"),
                                           desc.get("filterLabel")),
                        _enum_items(desc.get("items"), here, "items"),
                        desc.get("type") == "enumeration"))

    def _userfield(self, uf: Any, where: str) -> None:
        """One `crm.deal.userfield.list` entry; a lead's or contact's is not a deal's."""
        if not isinstance(uf, dict) or not isinstance(uf.get("FIELD_NAME"), str):
            raise HistoryDataError(f"{where}: a userfield without `FIELD_NAME`",
                                   "save the crm.deal.userfield.list answer as it came")
        if uf.get("ENTITY_ID") not in (None, "", "CRM_DEAL"):
            return
        self._add_field(UserField(
            uf["FIELD_NAME"], _labels(uf.get("EDIT_FORM_LABEL"), uf.get("LIST_COLUMN_LABEL"),
                                      uf.get("LIST_FILTER_LABEL")),
            _enum_items(uf.get("LIST"), f"{where} ({uf['FIELD_NAME']})", "LIST"),
            uf.get("USER_TYPE_ID") == "enumeration"))

    def _add_field(self, uf: UserField) -> None:
        """Both answers may describe a field: labels and items add up."""
        had = self.userfields.get(uf.code)
        if had is not None:
            uf = UserField(uf.code, _labels(*had.labels, *uf.labels),
                           {**had.items, **uf.items}, had.listed or uf.listed)
        self.userfields[uf.code] = uf

    def _item(self, item: Any, where: str, dq: DataQuality) -> None:
        dq.rows_read += 1
        if not isinstance(item, dict):
            dq.drop("unparsable", where=where)
            return
        if _is_lead(item):
            self.lead_items = True
        self.history.append(item)
        self.where.append(where)

    def _owner(self, record: dict[str, Any], key: str = "OWNER_ID") -> str | None:
        """The record's key among the events: a deal's ID, a lead's `lead_key`."""
        oid = _text(record.get(key))
        return lead_key(oid) if oid is not None and _is_lead(record) else oid

    def _user(self, value: Any) -> str | None:
        """A user id as the manager's name (`user.get`), else `user #ID`."""
        uid = _text(value)
        if uid is None or uid == "0":
            return None
        return self.users.get(uid) or f"user #{uid}"

    def _loss_field(self) -> UserField | None:
        """The userfield that holds the loss reason: `--loss-field`, else the one whose
        label names a loss reason — of several, the one filled on most lost deals."""
        if self.loss_field is not None:
            code = self.loss_field
            known = self.userfields.get(code) or next(
                (f for c, f in self.userfields.items() if c.upper() == code.upper()), None)
            code = known.code if known is not None else code
            if not any(code in d for d in self.deals):
                seen = sorted({k for d in self.deals for k in d if k.upper().startswith("UF_")})
                if known is None:
                    named = [f"{c} «{self.userfields[c].labels[0]}»" if c in self.userfields
                             and self.userfields[c].labels else c for c in seen]
                    raise HistoryInputError(
                        f"--loss-field {code}: no deal userfield of the Bitrix24 export has "
                        "this code",
                        f"its deals have {', '.join(named)}" if seen else
                        'the deals were listed without their userfields: save crm.deal.list '
                        'with select ["*", "UF_*"]')
                raise HistoryDataError(
                    f"--loss-field {code}: the field is described, but no deal of the deal "
                    "list has it" + ("" if seen else " (the list holds no userfields at all)"),
                    'save crm.deal.list with select ["*", "UF_*"]: without it Bitrix24 '
                    "leaves the userfields out")
            return known or UserField(code, (), {}, False)
        found = [f for f in self.userfields.values() if any(map(loss_field_label, f.labels))]
        if not found:
            return None
        lost = [d for d in self.deals if _text(d.get("STAGE_SEMANTIC_ID")) == "F"] or self.deals
        return max(found, key=lambda f: sum(_field_value(d.get(f.code), f) is not None
                                           for d in lost))

    def _lone_failure(self, out: pl.DataFrame) -> dict[str, str]:
        """The deal pipelines (`cat`) whose failure stages, the status list's and those
        the history enters, number exactly one, with its name: it tells no loss of the
        pipeline from another, so it is no reason. Leads keep theirs («Некачественный
        лид» is junk)."""
        fails: dict[str, set[str]] = {}
        for sid, (_n, _s, c, sem) in self.stages.items():
            if sem == "F":
                fails.setdefault(c, set()).add(sid)
        seen = (out.filter((pl.col("kind") == LOST) & ~pl.col("lead"))
                .select("cat", "stage_id", "stage").unique())
        names: dict[str, str] = {}
        for c, sid, name in seen.iter_rows():
            fails.setdefault(str(c), set()).add(str(sid))
            names[str(sid)] = str(name)
        return {c: names.get(next(iter(ids))) or self.stages[next(iter(ids))][0]
                for c, ids in fails.items() if len(ids) == 1 and c != LEAD_CAT}

    def _pipeline_name(self, cat: str) -> str:
        if cat == LEAD_CAT:
            return self._lead_pipeline()
        if cat in self.categories:
            return self.categories[cat]
        return self._default_pipeline() if cat in ("", "0") else f"#{cat}"

    def _default_pipeline(self) -> str:
        """The default deal pipeline without `crm.category.list`, named as Bitrix24 names
        it in the language the account named its deal stages in (`DEFAULT_PIPELINES`)."""
        names = " ".join(n for n, *_ in self.stages.values()).casefold()
        if re.search("[іїєґ]", names):
            return "Загальна"
        return "Общая" if re.search("[а-яё]", names) else "General"

    def _lead_pipeline(self) -> str:
        """The leads' pipeline, named as Bitrix24 names the section in the language the
        account named its lead statuses in (the export does not say the account's)."""
        names = " ".join(n for n, *_ in self.lead_stages.values()).casefold()
        if re.search("[іїєґ]", names):
            return "Ліди"
        return "Лиды" if re.search("[а-яё]", names) else "Leads"

    def catalog(self) -> Catalog:
        cat = Catalog()
        # Lead statuses are stages only of an export with leads: an unfiltered status
        # list of a deal history holds them too. They are the leads' pipeline's stages.
        known = list(self.stages.values())
        if self.lead_items or self.leads:
            known += [(n, sort, LEAD_CAT, sem) for n, sort, _c, sem in self.lead_stages.values()]
        for name, _sort, c, sem in sorted(known, key=lambda v: v[1]):
            if sem not in ("S", "F"):
                cat.add(self._pipeline_name(c), name)
        return cat

    def touch_frame(self, tz: str) -> pl.DataFrame | None:
        """The deals' completed activities (deal_id, at), None without `crm.activity.list`;
        a time that does not parse is left out."""
        if not self.touches:
            return None
        ts = parse_timestamps(pl.Series([t for _, t in self.touches], dtype=pl.Utf8), tz).ts
        return (pl.DataFrame({"deal_id": [d for d, _ in self.touches], "at": ts})
                .filter(pl.col("at").is_not_null()).sort("deal_id", "at"))

    def _deal_by_deal(self, dq: DataQuality, tz: str, bounds: TimeBounds) -> None:
        """A deal list without any `crm.stagehistory.list` item, read deal by deal, as an
        amoCRM leads list without events is: each deal (and lead) enters one stage of its
        own (`deal_list.DEAL_LEVEL_STAGES`, in the account's language) at `DATE_CREATE`
        and a closed one leaves it won or lost at `MOVED_TIME`, when it was moved to its
        current stage (a lead without it, at `DATE_CLOSED`). Read as it stands, each deal
        entered its stage now when it was created and never moved: a clinic's 1,278
        deals audited as «Находок нет», its three planted findings gone. `CLOSEDATE` is
        no close: it is the date the manager planned. The records become history items;
        one left without a usable creation, or closed without a usable close or before
        its creation, is left out whole, so no deal is won without entering. Refused
        (`HistoryDataError`) when no closed record has its close time: the list was
        saved with a `select` that left `MOVED_TIME` out."""
        records: list[tuple[dict[str, Any], str]] = []
        seen: set[str] = set()
        for r in (*self.deals, *self.leads):
            key = self._owner(r, "ID")
            if key is None:  # counted with the deal list (`no_deal_id`)
                continue
            if key in seen:  # overlapping pages: the deal's first record is read
                dq.rows_read += 1
                dq.count("duplicates")
                dq.drop("duplicate")
                continue
            seen.add(key)
            records.append((r, key))

        def semantics(r: dict[str, Any]) -> str:
            sid = _text(r.get("STAGE_ID", r.get("STATUS_ID")))
            known = (self.lead_stages if _is_lead(r) else self.stages).get(sid or "")
            return (_text(r.get("STAGE_SEMANTIC_ID", r.get("STATUS_SEMANTIC_ID")))
                    or (known[3] if known else "") or "P")

        sem = [semantics(r) for r, _ in records]
        closes = [_text(r.get("MOVED_TIME")) or (_text(r.get("DATE_CLOSED")) if _is_lead(r)
                                                 else None) for r, _ in records]
        closing = [m in ("S", "F") for m in sem]
        # Most closes undated: each such deal would be left out whole, and what is left
        # the open deals and a few closes (`deal_list.refuse_undated_closes`, the rule
        # of a CSV deal list).
        undated = sum(1 for c, shut in zip(closes, closing, strict=True) if shut and not c)
        if undated and 2 * undated > sum(closing):
            raise HistoryDataError(
                f"{self.deals_at}: a Bitrix24 deal list without crm.stagehistory.list and "
                f"without MOVED_TIME on {undated} of its {sum(closing)} won or lost deals: it "
                "holds each deal's stage now, not when it entered each stage or closed",
                'export crm.stagehistory.list (entityTypeId 2 for deals, 1 for leads) '
                'beside crm.deal.list, or save crm.deal.list with select ["*", "UF_*"]: '
                "its MOVED_TIME dates each closed deal's close (docs/history.md lists the "
                "Bitrix24 answers read)")
        created = pl.Series([_text(r.get("DATE_CREATE")) for r, _ in records], dtype=pl.Utf8)
        pc = parse_timestamps(created, tz)
        pz = parse_timestamps(pl.Series(closes, dtype=pl.Utf8), tz)
        cwhy, _ = screen_times(pc.ts, pc.unit, bounds)
        zwhy, _ = screen_times(pz.ts, pz.unit, bounds)
        t = pl.DataFrame({"c": pc.ts, "z": pz.ts, "cwhy": cwhy, "zwhy": zwhy,
                          "cskip": pc.skipped, "shut": closing})
        why = t.select(pl.when(pl.col("c").is_null() | pl.col("cwhy").is_not_null())
                       .then(pl.coalesce(pl.col("cwhy"), pl.when("cskip").then(
                           pl.lit("skipped_local_time")), pl.lit("bad_timestamp")))
                       .when(pl.col("shut") & (pl.col("z").is_null()
                                               | pl.col("zwhy").is_not_null()))
                       .then(pl.lit("undated_stage"))
                       .when(pl.col("shut") & (pl.col("z") < pl.col("c")))
                       .then(pl.lit("closed_before_created"))).to_series().to_list()
        dq.rows_read += len(records)
        self.level = deal_level_stage([
            *(n for n, *_ in (*self.stages.values(), *self.lead_stages.values())),
            *self.categories.values(), *self.users.values(), *self.sources.values()])
        kept = 0
        for (r, key), reason, m, close in zip(records, why, sem, closes, strict=True):
            where = self.record_at.get(key, self.deals_at or "crm.deal.list")
            if reason is not None:
                dq.drop(reason, where=where)
                continue
            kept += 1
            lead = _is_lead(r)
            stage_key, sem_key = (("STATUS_ID", "STATUS_SEMANTIC_ID") if lead
                                  else ("STAGE_ID", "STAGE_SEMANTIC_ID"))
            cat = {} if lead else {"CATEGORY_ID": r.get("CATEGORY_ID")}
            self.history.append({"OWNER_ID": r.get("ID"), "CREATED_TIME": r.get("DATE_CREATE"),
                                 stage_key: _LEVEL_ID, sem_key: "P", **cat})
            self.where.append(where)
            if m in ("S", "F"):
                self.history.append({"OWNER_ID": r.get("ID"), "CREATED_TIME": close,
                                     stage_key: r.get(stage_key), sem_key: m, **cat})
                self.where.append(where)
                dq.synthesized += 1
        self.lead_items = self.lead_items or any(_is_lead(r) for r, _ in records)
        dq.notes.append(QualityNote("deal_level", EXPORTS[1], kept=kept, deal_level=(
            self.level, "DATE_CREATE", "MOVED_TIME" if self.deals else "DATE_CLOSED")))

    def build(self, dq: DataQuality, seq0: int, tz: str,
              bounds: TimeBounds | None = None) -> pl.DataFrame:
        if not self.history and not self.deals and not self.leads:
            return empty_events()
        if not self.history:
            self._deal_by_deal(dq, tz, bounds or TimeBounds.default())
        cols = {
            "id": [_text(h.get("ID")) or "" for h in self.history],
            "owner": [self._owner(h) for h in self.history],
            "time": [_text(h.get("CREATED_TIME")) for h in self.history],
            "cat": [LEAD_CAT if _is_lead(h) else _text(h.get("CATEGORY_ID")) or "0"
                    for h in self.history],
            "stage_id": [_text(h.get("STAGE_ID", h.get("STATUS_ID"))) for h in self.history],
            "sem": [_text(h.get("STAGE_SEMANTIC_ID", h.get("STATUS_SEMANTIC_ID")))
                    for h in self.history],
            "lead": [_is_lead(h) for h in self.history],
            "i": list(range(len(self.history))),
        }
        hist = pl.DataFrame(cols, schema={"id": pl.Utf8, "owner": pl.Utf8, "time": pl.Utf8,
                                          "cat": pl.Utf8, "stage_id": pl.Utf8, "sem": pl.Utf8,
                                          "lead": pl.Boolean, "i": pl.Int64})
        before = hist.height
        # Leads' and deals' history items are numbered apart (two tables): deal item 5
        # is not a repeat of lead item 5.
        hist = hist.filter((pl.col("id") == "")
                           | pl.struct("lead", "id").is_first_distinct())
        if before - hist.height:
            dq.count("duplicates", before - hist.height)
            dq.drop("duplicate", before - hist.height)
        parsed = parse_timestamps(hist["time"], tz)
        why, mixed = screen_times(parsed.ts, parsed.unit, bounds or TimeBounds.default())
        hist = hist.with_columns(ts=parsed.ts, naive=parsed.naive, why=why,
                                 skipped=parsed.skipped, twice=parsed.ambiguous)
        dq.count("naive_timestamps", int(hist["naive"].sum()))
        dq.note_mixed_units(EXPORTS[1], mixed)
        for reason, cond in (("no_deal_id", pl.col("owner").is_null()),
                             ("mixed_time_units",
                              (pl.col("why") == "mixed_time_units").fill_null(False)),
                             ("implausible_timestamp",
                              (pl.col("why") == "implausible_timestamp").fill_null(False)),
                             ("skipped_local_time", pl.col("skipped")),
                             ("bad_timestamp", pl.col("ts").is_null()),
                             ("no_stage", pl.col("stage_id").is_null())):
            bad = hist.filter(cond)
            if bad.height:
                dq.drop(reason, bad.height, where=self.where[bad["i"][0]])
                hist = hist.filter(~cond)
        twice = hist.filter(pl.col("twice"))["i"]
        if len(twice):
            dq.count("ambiguous_local_times", len(twice), where=self.where[twice[0]])
        # Deals that never moved: in the deal list, absent from the history.
        field_ = self._loss_field()
        records = [*self.deals, *self.leads]
        deals = pl.DataFrame({
            "owner": [self._owner(d, "ID") for d in records],
            "created": [_text(d.get("DATE_CREATE")) for d in records],
            "cat": [LEAD_CAT if _is_lead(d) else _text(d.get("CATEGORY_ID")) or "0"
                    for d in records],
            "stage_id": [_text(d.get("STAGE_ID", d.get("STATUS_ID"))) for d in records],
            "sem": [_text(d.get("STAGE_SEMANTIC_ID", d.get("STATUS_SEMANTIC_ID")))
                    for d in records],
            "value": [_text(d.get("OPPORTUNITY")) for d in records],
            "cur": [_text(d.get("CURRENCY_ID")) for d in records],
            "source": [_text(d.get("SOURCE_ID")) for d in records],
            "utm": [_text(d.get("UTM_SOURCE")) for d in records],
            "manager": [self._user(d.get("ASSIGNED_BY_ID")) for d in records],
            "la": [_text(d.get("LAST_ACTIVITY_TIME")) or _text(d.get("DATE_MODIFY"))
                   for d in records],
            "why": [_field_value(d.get(field_.code), field_) if field_ and not _is_lead(d)
                    else None for d in records],
            "lead_of": [None if _is_lead(d) or _text(d.get("LEAD_ID")) in (None, "0")
                        else lead_key(str(_text(d.get("LEAD_ID")))) for d in records],
            "is_lead": [_is_lead(d) for d in records],
            "contact": [None if _text(d.get("CONTACT_ID")) in (None, "0")
                        else _text(d.get("CONTACT_ID")) for d in records],
        }, schema={"owner": pl.Utf8, "created": pl.Utf8, "cat": pl.Utf8, "stage_id": pl.Utf8,
                   "sem": pl.Utf8, "value": pl.Utf8, "cur": pl.Utf8, "source": pl.Utf8,
                   "utm": pl.Utf8,
                   "manager": pl.Utf8, "la": pl.Utf8, "why": pl.Utf8, "lead_of": pl.Utf8,
                   "is_lead": pl.Boolean, "contact": pl.Utf8})
        nameless = deals.filter(pl.col("owner").is_null()).height
        if nameless:  # a deal record without an ID cannot be matched to anything
            dq.rows_read += nameless
            dq.drop("no_deal_id", nameless)
            deals = deals.filter(pl.col("owner").is_not_null())
        deals = deals.unique(subset=["owner"], keep="first", maintain_order=True)
        # Read deal by deal, every record is in the history already or was left out
        # whole (`_deal_by_deal`): none is a deal that never moved.
        quiet = (deals.clear() if self.level is not None else
                 deals.join(hist.select("owner").unique(), on="owner", how="anti"))
        dq.rows_read += quiet.height
        if quiet.height:
            dq.count("deals_no_history", quiet.height)
            qt = parse_timestamps(quiet["created"], tz)
            qwhy, _ = screen_times(qt.ts, qt.unit, bounds or TimeBounds.default())
            qwhy = pl.select(pl.when(qt.skipped).then(pl.lit("skipped_local_time"))
                             .otherwise(qwhy)).to_series()
            quiet = quiet.with_columns(ts=pl.when(qwhy.is_null()).then(qt.ts), why=qwhy)
            dq.count("naive_timestamps", int(qt.naive.sum()))
            kept_twice = int((qt.ambiguous & quiet["ts"].is_not_null()
                              & quiet["stage_id"].is_not_null()).sum())
            dq.count("ambiguous_local_times", kept_twice)
            bad = quiet.filter(pl.col("ts").is_null() | pl.col("stage_id").is_null())
            for reason, n in bad.filter(pl.col("ts").is_null()).group_by("why").len().iter_rows():
                dq.drop(reason or "bad_timestamp", n)
            dq.drop("no_stage", bad.filter(pl.col("ts").is_not_null()).height)
            quiet = quiet.filter(pl.col("ts").is_not_null() & pl.col("stage_id").is_not_null())
        base = hist.select("owner", "ts", "cat", "stage_id", "sem", "lead",
                           seq=pl.lit(seq0, pl.Int64) + pl.col("i"))
        if quiet.height:
            base = pl.concat([base, quiet.select(
                "owner", "ts", "cat", "stage_id", "sem", lead=pl.col("is_lead"),
                seq=pl.lit(seq0 + len(self.history), pl.Int64)
                + pl.int_range(pl.len(), dtype=pl.Int64))])
        # A lead's status is named from the lead statuses, a deal's stage from the deal
        # stages; either falls back on the other (a status list saved without ENTITY_ID).
        rows = [(sid, n, s, False) for sid, (n, _, _, s) in self.stages.items()]
        rows += [(sid, n, s, True) for sid, (n, _, _, s) in self.lead_stages.items()]
        if self.level is not None:
            rows += [(_LEVEL_ID, self.level, "P", lead) for lead in (False, True)]
        own = pl.DataFrame(rows, schema={"stage_id": pl.Utf8, "name": pl.Utf8, "ssem": pl.Utf8,
                                         "lead": pl.Boolean}, orient="row")
        other = own.select("stage_id", oname="name", osem="ssem", lead=~pl.col("lead")).unique(
            subset=["stage_id", "lead"], keep="first")
        cats = pl.DataFrame([(c, self._pipeline_name(c)) for c in
                             base["cat"].unique().to_list()],
                            schema={"cat": pl.Utf8, "pipeline": pl.Utf8}, orient="row")
        out = (base.join(own, on=["stage_id", "lead"], how="left")
               .join(other, on=["stage_id", "lead"], how="left")
               .with_columns(name=pl.coalesce("name", "oname"), ssem=pl.coalesce("ssem", "osem"))
               .join(cats, on="cat", how="left"))
        unknown = out.filter(pl.col("name").is_null())
        if (self.stages or self.lead_stages) and unknown.height:
            dq.count("unknown_stage_ids", unknown.height,
                     where=f"stage {unknown['stage_id'][0]}")
        sem = pl.coalesce([pl.col("sem"), pl.col("ssem"), pl.lit("P")])
        stage_name = pl.coalesce([pl.col("name"), pl.lit("#") + pl.col("stage_id")])
        kind = (pl.when(sem == "S").then(pl.lit(WON)).when(sem == "F").then(pl.lit(LOST))
                .otherwise(pl.lit(STAGE)))
        # OPPORTUNITY "0.00" is Bitrix24's empty amount, no value (as amoCRM's price 0).
        value = pl.col("value").cast(pl.Float64, strict=False)
        # A deal without SOURCE_ID is sourced by its UTM_SOURCE (the advertising system),
        # else by the lead it was converted from, as is its manager.
        own_source = pl.coalesce(pl.col("source").replace(self.sources), pl.col("utm"))
        lead_attrs = deals.filter("is_lead").select(
            lead_of="owner", lead_source=own_source, lead_manager="manager")
        deals = deals.join(lead_attrs, on="lead_of", how="left")
        one, converted = in_one_currency(value, "cur", deals, self.rates,
                                         prefer=self.currency)
        if converted is not None:
            dq.notes.append(QualityNote("currencies", EXPORTS[1], currencies=converted))
        attrs = deals.select("owner", value=pl.when(value != 0).then(one),
                             source=pl.coalesce(own_source, pl.col("lead_source")),
                             manager=pl.coalesce("manager", "lead_manager"),
                             last_activity=parse_timestamps(deals["la"], tz).ts,
                             why=pl.col("why"), contact=pl.col("contact"))
        utm = deals.filter(pl.col("source").is_null() & pl.col("utm").is_not_null()).height
        if utm:
            dq.notes.append(QualityNote("utm_source", EXPORTS[1], kept=utm))
        out = out.join(attrs, on="owner", how="left").with_columns(kind=kind,
                                                                  stage=stage_name)
        # The field holds a deal's current reason: that of its last loss. A loss the deal
        # came back from before it was lost again has none in the export, nor has its last
        # loss when the deal was reopened after it and the field is empty (reopening may
        # have cleared it): neither is the failure stage's name, which no manager chose.
        lost = pl.col("kind") == LOST
        last = lost & (pl.col("ts") == pl.col("ts").filter(lost).max().over("owner"))
        reopened = pl.col("ts") < pl.col("ts").max().over("owner")
        out = out.with_columns(last=last.fill_null(False), reopened=reopened.fill_null(False))
        listed = field_ is not None and any(field_.code in d for d in self.deals)
        unkept = (lost & ~pl.col("lead")
                  & (~pl.col("last") | (pl.col("reopened") & pl.col("why").is_null()))
                  if listed else pl.lit(False))
        lone = self._lone_failure(out)
        out = out.with_columns(unkept=unkept, lone=~pl.col("lead") & pl.col("cat").is_in(
            list(lone)))
        ends = out.filter(pl.col("last") & ~pl.col("lead"))
        staged = ends.filter(~pl.col("lone"))
        alone = {c: (self._pipeline_name(c), name) for c, name in sorted(lone.items())
                 if ends.filter(pl.col("cat") == c).height}
        label = field_.labels[0] if field_ is not None and field_.labels else None
        if field_ is not None and not listed:
            # crm.deal.list leaves the userfields out unless `select` asks for UF_*.
            if staged.height:
                dq.notes.append(QualityNote("loss_field_unlisted", EXPORTS[1],
                                            left_out=staged.height, field=field_.code,
                                            label=label))
        elif field_ is not None:
            read = ends.filter(~pl.col("unkept"))
            dq.notes.append(QualityNote(
                "loss_field", EXPORTS[1], kept=int(read["why"].is_not_null().sum()),
                left_out=int(read["why"].is_null().sum()), field=field_.code, label=label,
                lone=tuple(pair for c, pair in alone.items() if read.filter(
                    (pl.col("cat") == c) & pl.col("why").is_null()).height)))
            not_kept = int(out["unkept"].sum())
            if not_kept:
                dq.notes.append(QualityNote(
                    "loss_field_reopened", EXPORTS[1], left_out=not_kept, field=field_.code,
                    label=label))
        elif self.deals and staged.height:
            # Without it, the losses of a pipeline with several failure stages are
            # named by their stage.
            dq.notes.append(QualityNote("loss_field", EXPORTS[1], left_out=staged.height))
        if not listed and (self.deals or self.level is not None) and alone:
            # A standard pipeline's losses all read «Сделка провалена»: no reason at all.
            dq.notes.append(QualityNote(
                "loss_stage_alone", EXPORTS[1],
                left_out=int(out.filter(lost & pl.col("lone")).height),
                field=field_.code if field_ is not None else None, label=label,
                lone=tuple(alone.values())))
        return out.select(
            deal_id="owner", ts="ts", pipeline="pipeline", stage="stage", kind="kind",
            value="value", loss_reason=pl.when(lost & ~pl.col("unkept")).then(
                pl.coalesce(pl.when(pl.col("last")).then(pl.col("why")),
                            pl.when(~pl.col("lone")).then(pl.col("stage")))),
            source="source", from_pipeline=pl.lit(None, pl.Utf8),
            from_stage=pl.lit(None, pl.Utf8), seq="seq", entry_known=pl.lit(True),
            manager="manager", last_activity="last_activity",
            reason_unkept=pl.when(pl.col("unkept")).then(pl.lit(True)), contact="contact")
