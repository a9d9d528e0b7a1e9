"""amoCRM API v4 exports → events.

Inputs (any number of pages, in any files, in any order): `GET /api/v4/events` pages
(only `lead_status_changed` is read: `value_before`/`value_after` hold
`[{"lead_status": {"id", "pipeline_id"}}]`), `GET /api/v4/leads` pages (`created_at`,
`closed_at`, `price` (0, amoCRM's empty budget, is no value), `status_id`, `pipeline_id`,
`loss_reason_id` or
`_embedded.loss_reason`, `source_id` or `_embedded.source`, and `custom_fields_values`,
whose tracking field `UTM_SOURCE` sources a lead without either), the pipelines response
(`_embedded.pipelines[]._embedded.statuses[]`: names and `sort`), and optionally
`GET /api/v4/leads/loss_reasons` for reason names and `GET /api/v4/users`
(`_embedded.users[]`: `id`, `name`) for the names of managers (a user a whole users
answer does not list was deleted: `deleted user #ID`).

Pick-ups (`picked`, issue 13 point 3): the first touch of a manager after a lead entered
a stage, while it is still there, is when that visit was picked up. Touches are the
events of a manager reaching the client or closing a task — `outgoing_call`,
`outgoing_sms`, `outgoing_chat_message`, `task_completed` and `task_result_added` (the
event types of amoCRM's events-and-notes page) — and the completed tasks of
`GET /api/v4/tasks` (`is_completed` true, `entity_type` "leads"). An event counts on its
lead (`entity_type` "lead"); a `task_completed` event on its task (`entity_type` "task")
counts on the task's lead when the tasks answer names it; an event on a contact (where
telephony and chats often log calls and messages) counts on every lead of that contact,
as the leads answer lists them with `with=contacts` (`_embedded.contacts[].id`) — it
picks up only a visit in progress at that moment. A completed task without its
event counts at its `updated_at` (amoCRM records no completion time; `complete_till` is
the deadline the manager was given, not when the work was done). Events by user 0
(robots, Salesbot, integrations) are nobody picking the deal up and do not count. The
same touches are the deals' activities (`touch_frame`), which the graveyard's activity
bands read as Bitrix24's `crm.activity.list`.

Managers: a status change is worked by its event's `created_by` (0 is amoCRM itself, a
robot or an integration: then whoever was responsible for the lead at that moment, as for
a mass action's change on a lead of another user, `_batches_to_responsible`); the
lead's first stage by who was responsible when it was created. Who was responsible when
is read from the `entity_responsible_changed` events (`value_before`/`value_after`:
`[{"responsible_user": {"id"}}]`), else it is the lead's `responsible_user_id` — which is
only who has the lead now: a robot's move of a lead handed over later, or of a lead of a
manager who has since left, went to the new owner. A lead's `updated_at` is its last
activity.

A lead enters its first stage (the `from` side of its earliest status change, or its
current status if it never moved) at `created_at`; each event is an entry into its
`to` status: 142 is won, 143 is lost. amoCRM keeps one loss reason per lead, the
current one: the lead's last loss carries it. A loss the lead came back from before it
was lost again, and a last loss reopened with the reason empty, have no reason in the
export (`reason_unkept`, counted in a `loss_field_reopened` note), as Bitrix24's.
"""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .amocrm_inbox import fold_inbox
from .deal_list import deal_level_stage
from .errors import HistoryDataError
from .events import LOST, STAGE, WON, Catalog, empty_events
from .mass_moves import batch_rows
from .quality import EXPORTS, DataQuality, QualityNote
from .timeparse import TimeBounds, epoch_unit, from_epoch_seconds, screen_times

__all__ = ["AmoCollector", "is_amocrm"]

WON_ID, LOST_ID = 142, 143
TOUCH_TYPES = frozenset({"outgoing_call", "outgoing_sms", "outgoing_chat_message",
                         "task_completed", "task_result_added"})
"""Event types that are a manager acting on the deal (amoCRM events-and-notes, «Типы
событий»): incoming calls and messages are the client's, status and field changes are
bookkeeping."""


def _status(value: Any) -> tuple[int, int] | None:
    """(status id, pipeline id) of a `value_before`/`value_after` list."""
    if isinstance(value, list) and value:
        value = value[0]
    if not isinstance(value, dict):
        return None
    ls = value.get("lead_status")
    if not isinstance(ls, dict):
        return None
    sid, pid = _int(ls.get("id")), _int(ls.get("pipeline_id") or 0)
    return (sid, pid) if sid is not None and pid is not None else None


_INT64 = 2 ** 63


def _int(v: Any) -> int | None:
    """An id as amoCRM writes it (number or digit string), or None for anything else —
    including numbers no 64-bit column can hold, and infinity."""
    if v is None or v == "" or isinstance(v, (bool, list, dict)):
        return None
    try:
        n = int(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return n if -_INT64 <= n < _INT64 else None


def _time(v: Any) -> float | None:
    """A Unix time (seconds or milliseconds) as a float, or None when it is no number.
    Out-of-range values stay: `timeparse.screen_times` reports them as implausible."""
    if v is None or v == "" or isinstance(v, (bool, list, dict)):
        return None
    try:
        t = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return None if t != t else t


def _list(doc: dict[str, Any], key: str, where: str) -> list[Any]:
    """`doc["_embedded"][key]` as a list; null is an empty page, anything else an error."""
    items = doc["_embedded"][key]
    if items is None:
        return []
    if not isinstance(items, list):
        kind = ("a string" if isinstance(items, str) else "an object" if isinstance(items, dict)
                else "a number" if isinstance(items, (int, float)) else "not an array")
        raise HistoryDataError(f"{where}: `_embedded.{key}` is {kind}; amoCRM sends an "
                               "array there", "save the API answer as it came")
    return items


def _utm_source(fields: Any, where: str) -> str | None:
    """The lead's utm_source: its tracking field (`field_type` "tracking_data") of
    `field_code` `UTM_SOURCE`, or one named `utm_source`, among `custom_fields_values`."""
    if fields is None:
        return None
    if not isinstance(fields, list):
        raise HistoryDataError(f"{where}: `custom_fields_values` is {_kind(fields)}; amoCRM "
                               "sends an array of fields there (or null)",
                               "save the API answer as it came")
    for f in fields:
        if not isinstance(f, dict) or not (
                f.get("field_code") == "UTM_SOURCE"
                or str(f.get("field_name") or "").strip().lower() == "utm_source"):
            continue
        values = f.get("values")
        if not isinstance(values, list):
            raise HistoryDataError(
                f"{where}: the utm_source field's `values` is {_kind(values)}; amoCRM sends "
                'an array of {"value": ...} there', "save the API answer as it came")
        for v in values:
            text = v.get("value") if isinstance(v, dict) else None
            if isinstance(text, (str, int, float)) and not isinstance(text, bool) \
                    and str(text).strip():
                return str(text).strip()
    return None


def _kind(value: Any) -> str:
    return ("null" if value is None else "a string" if isinstance(value, str)
            else "an object" if isinstance(value, dict) else "a boolean"
            if isinstance(value, bool) else "a number" if isinstance(value, (int, float))
            else "an array" if isinstance(value, list) else "not an array")


def is_amocrm(doc: Any) -> str | None:
    """Which amoCRM response a document is, or None."""
    if isinstance(doc, dict) and "_embedded" not in doc and isinstance(
            doc.get("status"), int) and doc["status"] >= 400 and isinstance(doc.get("title"), str):
        return "error"  # application/problem+json: 401, 402 (unpaid), 403, 429...
    if isinstance(doc, dict):
        emb = doc.get("_embedded")
        if isinstance(emb, dict):
            for key in ("events", "leads", "pipelines", "statuses", "loss_reasons", "users",
                        "tasks"):
                if key in emb:
                    return key
        if "type" in doc and "value_after" in doc:
            return "event"
        if "status_id" in doc and "pipeline_id" in doc and "created_at" in doc:
            return "lead"
        if "is_main" in doc and "_embedded" in doc:
            return "pipeline"
        if "is_completed" in doc and "complete_till" in doc and "entity_type" in doc:
            return "task"
    return None


@dataclass
class _Lead:
    created: float | None
    price: float | None
    status: tuple[int, int] | None
    reason: str | None
    reason_id: int | None
    source: str | None
    where: str
    responsible: int | None = None
    updated: float | None = None
    utm: bool = False
    """Sourced by its utm_source, having no source of its own."""
    contact: int | None = None
    """The lead's main contact (`_embedded.contacts[]` with `is_main`, else the first)."""
    closed: float | None = None
    """`closed_at`: when a won or lost lead was closed (read only without events)."""


@dataclass
class AmoCollector:
    """Gathers every amoCRM piece first: names and lead records may come after the events
    that need them."""

    ev_id: list[str] = field(default_factory=list)
    ev_deal: array = field(default_factory=lambda: array("q"))
    ev_time: array = field(default_factory=lambda: array("d"))
    ev_before: array = field(default_factory=lambda: array("q"))
    ev_before_p: array = field(default_factory=lambda: array("q"))
    ev_after: array = field(default_factory=lambda: array("q"))
    ev_after_p: array = field(default_factory=lambda: array("q"))
    ev_where: list[str] = field(default_factory=list)
    ev_user: array = field(default_factory=lambda: array("q"))
    handovers: list[tuple[int, float, int, int]] = field(default_factory=list)
    """`entity_responsible_changed` of leads: (lead, time, responsible before, after)."""
    touch_deal: array = field(default_factory=lambda: array("q"))
    touch_time: array = field(default_factory=lambda: array("d"))
    task_touch: dict[int, float] = field(default_factory=dict)
    """Task id → when its `task_completed` event says it was completed (the task's lead
    is in the tasks answer, which may come later)."""
    tasks: dict[int, tuple[int, float | None]] = field(default_factory=dict)
    """Completed tasks on leads: task id → (lead id, `updated_at`)."""
    contact_touch: list[tuple[int, float]] = field(default_factory=list)
    """Touches on contacts: (contact id, time), spread over the contact's leads in `build`."""
    contact_leads: dict[int, list[int]] = field(default_factory=dict)
    """Contact id → its leads (`_embedded.contacts` of the leads answer)."""
    users: dict[int, str] = field(default_factory=dict)
    users_total: int | None = None
    """The users answer's `_total_items` (every user of the account): when that many
    were read, a user it does not list was deleted, not left out of a cut file."""
    leads: dict[int, _Lead] = field(default_factory=dict)
    pipelines: dict[int, str] = field(default_factory=dict)
    statuses: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)
    inbox: set[tuple[int, int]] = field(default_factory=set)
    """(pipeline, status) of each pipeline's incoming leads («Неразобранное», `type` 1):
    not a stage (`amocrm_inbox`)."""
    reasons: dict[int, str] = field(default_factory=dict)
    seen_any: bool = False
    pages_seen: dict[str, str] = field(default_factory=dict)
    """A page's whole text → where it was first read: an export tool that retried a
    request saved the same page twice."""

    def add(self, kind: str, doc: Any, where: str, dq: DataQuality) -> None:
        self.seen_any = True
        if kind in ("events", "leads") and self._repeated(doc, kind, where, dq):
            return
        if kind == "error":
            # Counted as a record of no known shape, a users answer saved with an
            # expired token left every manager nameless without a word.
            detail = doc.get("detail")
            raise HistoryDataError(
                f"{where}: an amoCRM error answer (HTTP {doc['status']} {doc['title']}"
                f"{': ' + str(detail) if detail and detail != doc['title'] else ''}), not data",
                "request it again and save the answer that has `_embedded`")
        if kind == "events":
            for i, e in enumerate(_list(doc, "events", where)):
                self._event(e, f"{where} event {i + 1}", dq)
        elif kind == "event":
            self._event(doc, where, dq)
        elif kind == "leads":
            for i, lead in enumerate(_list(doc, "leads", where)):
                self._lead(lead, f"{where} lead {i + 1}", dq)
        elif kind == "lead":
            self._lead(doc, where, dq)
        elif kind == "pipelines":
            for p in _list(doc, "pipelines", where):
                self._pipeline(p)
        elif kind == "pipeline":
            self._pipeline(doc)
        elif kind == "statuses":
            for s in _list(doc, "statuses", where):
                self._one_status(s, None)
        elif kind == "loss_reasons":
            for r in _list(doc, "loss_reasons", where):
                rid = _int(r.get("id")) if isinstance(r, dict) else None
                if rid is not None:
                    self.reasons[rid] = str(r.get("name", rid))
        elif kind == "tasks":
            for t in _list(doc, "tasks", where):
                self._task(t)
        elif kind == "task":
            self._task(doc)
        elif kind == "users":
            total = doc.get("_total_items")
            if isinstance(total, int) and not isinstance(total, bool):
                self.users_total = max(total, self.users_total or 0)
            for u in _list(doc, "users", where):
                uid = _int(u.get("id")) if isinstance(u, dict) else None
                if uid is not None and isinstance(u, dict) and u.get("name"):
                    self.users[uid] = str(u["name"])

    def _repeated(self, doc: Any, kind: str, where: str, dq: DataQuality) -> bool:
        """Whether this page is one read before, word for word (noted once per repeat).
        Its records were each counted as a duplicate and dropped, and an export that lost
        nothing said 250 rows were dropped, leads among «duplicate events», exit 1. A
        page that repeats only some records (pages shifted by new events) is not this:
        its records are still counted one by one."""
        try:
            text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):
            return False
        first = self.pages_seen.setdefault(text, where)
        if first == where:
            return False
        items = doc["_embedded"][kind]
        dq.notes.append(QualityNote("repeated_page", where, kept=len(items) if isinstance(
            items, list) else 0, label=first))
        return True

    # ---------------------------------------------------------------- pieces
    def _event(self, e: Any, where: str, dq: DataQuality) -> None:
        if not isinstance(e, dict):
            dq.rows_read += 1
            dq.drop("unparsable", where=where)
            return
        kind = e.get("type")
        if isinstance(kind, str) and kind in TOUCH_TYPES:  # a list or a dict is no touch
            self._touch(e)
            return
        if kind == "entity_responsible_changed" and e.get("entity_type", "lead") == "lead":
            self._handover(e)
            return
        if e.get("type") != "lead_status_changed" or e.get("entity_type", "lead") != "lead":
            dq.count("ignored_event_types", where=where)
            return
        dq.rows_read += 1
        deal = _int(e.get("entity_id"))
        t = _time(e.get("created_at"))
        before, after = _status(e.get("value_before")), _status(e.get("value_after"))
        if deal is None:
            dq.drop("no_deal_id", where=where)
            return
        if t is None:
            dq.drop("bad_timestamp", where=where)
            return
        if after is None:
            dq.drop("no_stage", where=where)
            return
        if before == after:
            dq.drop("unchanged_status", where=where)
            return
        self.ev_id.append(str(e.get("id", "")))
        self.ev_deal.append(deal)
        self.ev_time.append(t)
        self.ev_before.append(before[0] if before else -1)
        self.ev_before_p.append(before[1] if before else -1)
        self.ev_after.append(after[0])
        self.ev_after_p.append(after[1])
        self.ev_where.append(where)
        self.ev_user.append(_int(e.get("created_by")) or 0)

    def _handover(self, e: dict[str, Any]) -> None:
        """A lead handed from one manager to another; one that names no one is skipped."""
        def who(value: Any) -> int | None:
            if isinstance(value, list) and value:
                value = value[0]
            user = value.get("responsible_user") if isinstance(value, dict) else None
            return _int(user.get("id")) if isinstance(user, dict) else None

        lead, t = _int(e.get("entity_id")), _time(e.get("created_at"))
        before, after = who(e.get("value_before")), who(e.get("value_after"))
        if lead is not None and t is not None and after:
            self.handovers.append((lead, t, before or 0, after))

    def _touch(self, e: dict[str, Any]) -> None:
        """A manager's touch on a lead, or on a task (resolved to its lead in `build`)."""
        t, who, entity = _time(e.get("created_at")), _int(e.get("created_by")), _int(
            e.get("entity_id"))
        if t is None or not who or entity is None:
            return
        kind = e.get("entity_type")
        if kind in ("lead", "leads"):
            self.touch_deal.append(entity)
            self.touch_time.append(t)
        elif kind in ("task", "tasks") and e.get("type") == "task_completed":
            self.task_touch[entity] = min(t, self.task_touch.get(entity, t))
        elif kind in ("contact", "contacts"):
            self.contact_touch.append((entity, t))

    def _task(self, task: Any) -> None:
        if not isinstance(task, dict) or task.get("is_completed") is not True:
            return
        tid, lead = _int(task.get("id")), _int(task.get("entity_id"))
        if tid is not None and lead is not None and task.get("entity_type") == "leads":
            self.tasks[tid] = (lead, _time(task.get("updated_at")))

    def _touches(self) -> pl.DataFrame:
        """Every touch as (deal, t): the events on leads, those on contacts once per lead
        of the contact, and each completed task at its `task_completed` event if there
        is one, else at its `updated_at`."""
        deals, times = list(self.touch_deal), list(self.touch_time)
        for contact, at in self.contact_touch:
            for lead in self.contact_leads.get(contact, ()):
                deals.append(lead)
                times.append(at)
        for tid, (lead, updated) in self.tasks.items():
            done = self.task_touch.get(tid, updated)
            if done is not None:
                deals.append(lead)
                times.append(done)
        return pl.DataFrame({"deal": pl.Series(deals, dtype=pl.Int64),
                             "t": pl.Series(times, dtype=pl.Float64)})

    def touch_frame(self) -> pl.DataFrame | None:
        """The deals' touches (deal_id, at UTC) for the graveyard's activity bands, as
        Bitrix24's `crm.activity.list` gives them; None when the export holds none."""
        t = self._touches().filter(pl.col("t").is_finite())
        if not t.height:
            return None
        return (pl.DataFrame({"deal_id": t["deal"].cast(pl.Utf8),
                              "at": from_epoch_seconds(t["t"])})
                .filter(pl.col("at").is_not_null()).sort("deal_id", "at"))

    def _lead(self, lead: Any, where: str, dq: DataQuality) -> None:
        if not isinstance(lead, dict) or _int(lead.get("id")) is None:
            dq.rows_read += 1
            dq.drop("no_deal_id", where=where)
            return
        emb = lead.get("_embedded") or {}
        reason = None
        lr = emb.get("loss_reason") if isinstance(emb, dict) else None
        if isinstance(lr, list) and lr:
            lr = lr[0]
        if isinstance(lr, dict) and lr.get("name"):
            reason = str(lr["name"])
        source = emb_source = None
        src = emb.get("source") if isinstance(emb, dict) else None
        if isinstance(src, dict) and src.get("name"):
            source = emb_source = str(src["name"])
        elif lead.get("source_id") not in (None, ""):
            source = f"source #{lead['source_id']}"
        else:
            source = _utm_source(lead.get("custom_fields_values"), where)
        price = lead.get("price")
        try:
            price_f = float(price) if price not in (None, "") else None
        except (TypeError, ValueError):
            price_f = None
        if price_f == 0:
            # amoCRM has no empty budget: a lead nobody priced says `"price": 0`. Read as
            # a value, every such deal was one worth nothing, and each stage's worth shrank.
            price_f = None
        st = _int(lead.get("status_id"))
        pid = _int(lead.get("pipeline_id"))
        lid = int(lead["id"])
        contacts = emb.get("contacts") if isinstance(emb, dict) else None
        main = None
        for c in contacts if isinstance(contacts, list) else []:
            cid = _int(c.get("id")) if isinstance(c, dict) else None
            if cid is not None and lid not in self.contact_leads.get(cid, ()):
                self.contact_leads.setdefault(cid, []).append(lid)
            if cid is not None and (main is None or c.get("is_main") is True):
                main = cid
        if lid in self.leads:
            dq.rows_read += 1
            dq.count("duplicates", where=where)
            dq.drop("duplicate", where=where)
            return
        self.leads[lid] = _Lead(_time(lead.get("created_at")), price_f,
                                (st, pid or 0) if st is not None else None, reason,
                                _int(lead.get("loss_reason_id")), source, where,
                                _int(lead.get("responsible_user_id")) or None,
                                _time(lead.get("updated_at")),
                                source is not None and emb_source is None
                                and lead.get("source_id") in (None, ""), main,
                                _time(lead.get("closed_at")))

    def _pipeline(self, p: Any) -> None:
        pid = _int(p.get("id")) if isinstance(p, dict) else None
        if pid is None:
            return
        self.pipelines[pid] = str(p.get("name", f"#{pid}"))
        emb = p.get("_embedded")
        statuses = emb.get("statuses") if isinstance(emb, dict) else None
        for s in statuses if isinstance(statuses, list) else []:
            self._one_status(s, pid)

    def _one_status(self, s: Any, pid: int | None) -> None:
        sid = _int(s.get("id")) if isinstance(s, dict) else None
        if sid is None:
            return
        p = pid if pid is not None else _int(s.get("pipeline_id")) or 0
        self.statuses[(p, sid)] = (str(s.get("name", f"#{sid}")), _int(s.get("sort")) or 0)
        if _int(s.get("type")) == 1:
            self.inbox.add((p, sid))

    # ---------------------------------------------------------------- assembly
    def catalog(self) -> Catalog:
        cat = Catalog()
        by_pipe: dict[int, list[tuple[int, str, int]]] = {}
        for (pid, sid), (name, sort) in self.statuses.items():
            if sid in (WON_ID, LOST_ID) or (pid, sid) in self.inbox:
                continue
            by_pipe.setdefault(pid, []).append((sort, name, sid))
        for pid, lst in by_pipe.items():
            for _, name, _ in sorted(lst):
                cat.add(self.pipelines.get(pid, f"#{pid}"), name)
        return cat

    def _inbox_names(self) -> tuple[dict[str, str], dict[str, str]]:
        """Per pipeline (by name): its inbox status's name, and its first stage."""
        cat = self.catalog()
        inbox = {self.pipelines.get(pid, f"#{pid}"): self.statuses[(pid, sid)][0]
                 for pid, sid in self.inbox}
        return inbox, {p: lst[0] for p, lst in cat.stages.items() if p in inbox and lst}

    def _names(self, sid: int, pid: int, dq: DataQuality, where: str) -> tuple[str, str, str]:
        """(pipeline, stage, kind) of a status; unknown ones are named `#id` (and counted
        per row later, once all rows are known)."""
        pipe = self.pipelines.get(pid)
        if pipe is None:
            pipe = f"#{pid}"
            if self.pipelines:
                dq.examples.setdefault("unknown_pipelines", []).append(f"{where} (pipeline {pid})")
        kind = WON if sid == WON_ID else LOST if sid == LOST_ID else STAGE
        hit = self.statuses.get((pid, sid))
        if hit is None:
            hit = next((v for (p, s), v in self.statuses.items() if s == sid), None)
        if hit is not None:
            return pipe, hit[0], kind
        if kind == WON:
            return pipe, "won", kind
        if kind == LOST:
            return pipe, "lost", kind
        if self.statuses:
            ex = dq.examples.setdefault("unknown_stage_ids", [])
            if len(ex) < 3:
                ex.append(f"{where} (status {sid})")
        return pipe, f"#{sid}", kind

    def build(self, dq: DataQuality, seq0: int, bounds: TimeBounds | None = None) -> pl.DataFrame:
        if not self.ev_deal and not self.leads:
            return empty_events()
        names: dict[tuple[int, int], tuple[str, str, str]] = {}

        def name(sid: int, pid: int, where: str) -> tuple[str, str, str]:
            key = (pid, sid)
            hit = names.get(key)
            if hit is None:
                hit = names[key] = self._names(sid, pid, dq, where)
            return hit

        ev = pl.DataFrame({
            "eid": self.ev_id, "deal": pl.Series(self.ev_deal, dtype=pl.Int64),
            "t": pl.Series(self.ev_time, dtype=pl.Float64),
            "b": pl.Series(self.ev_before, dtype=pl.Int64),
            "bp": pl.Series(self.ev_before_p, dtype=pl.Int64),
            "a": pl.Series(self.ev_after, dtype=pl.Int64),
            "ap": pl.Series(self.ev_after_p, dtype=pl.Int64),
            "i": pl.Series(range(len(self.ev_deal)), dtype=pl.Int64),
            "u": pl.Series(self.ev_user, dtype=pl.Int64),
        })
        # Lead records.
        lead_rows = [(lid, ld.created, ld.price, ld.status[0] if ld.status else None,
                      ld.status[1] if ld.status else None,
                      ld.reason or (self.reasons.get(ld.reason_id) if ld.reason_id else None)
                      or (f"#{ld.reason_id}" if ld.reason_id else None), ld.source,
                      ld.responsible, ld.updated, ld.contact, ld.closed)
                     for lid, ld in self.leads.items()]
        leads = pl.DataFrame(lead_rows, schema={"deal": pl.Int64, "created": pl.Float64,
                                                "value": pl.Float64, "ls": pl.Int64,
                                                "lp": pl.Int64, "reason": pl.Utf8,
                                                "source": pl.Utf8, "resp": pl.Int64,
                                                "updated": pl.Float64,
                                                "cid": pl.Int64, "closed": pl.Float64},
                             orient="row")
        # No events at all: the leads are a deal list, each lead's status now and its
        # dates (`_deal_level`).
        whole = not self.ev_deal
        dq.rows_read += leads.height
        # Times: both units mixed in one account, or dates no CRM history holds, are
        # dropped with their reason (a lead's bad `created_at` drops its first stage).
        where_l = [lead.where for lead in self.leads.values()]
        why, mixed = screen_times(
            pl.concat([from_epoch_seconds(ev["t"]), from_epoch_seconds(leads["created"])]),
            pl.concat([epoch_unit(ev["t"]), epoch_unit(leads["created"])]),
            bounds or TimeBounds.default())
        dq.note_mixed_units(EXPORTS[0], mixed)
        why_ev, why_l = why[:ev.height], why[ev.height:]
        if why_ev.null_count() < ev.height:
            for reason in ("mixed_time_units", "implausible_timestamp"):
                hit = (why_ev == reason).fill_null(False)
                n = int(hit.sum())
                if n:
                    dq.drop(reason, n, where=self.ev_where[int(hit.arg_true()[0])])
            ev = ev.filter(why_ev.is_null())
        leads = leads.with_columns(cwhy=why_l).with_columns(
            created=pl.when(pl.col("cwhy").is_null()).then(pl.col("created")),
            cwhy=pl.when(pl.col("created").is_null() | pl.col("cwhy").is_not_null())
            .then(pl.col("cwhy").fill_null(pl.lit("bad_timestamp"))))
        for reason in ("mixed_time_units", "implausible_timestamp"):
            hit = (why_l == reason).fill_null(False)
            if hit.any():
                ex = dq.examples.setdefault("drop:" + reason, [])
                if len(ex) < 3:
                    ex.append(where_l[int(hit.arg_true()[0])])
        # Duplicate events: the same event id seen twice (overlapping pages).
        before = ev.height
        ev = ev.filter((pl.col("eid") == "") | ~pl.col("eid").is_duplicated()
                       | pl.col("eid").is_first_distinct())
        if before - ev.height:
            dq.count("duplicates", before - ev.height)
            dq.drop("duplicate", before - ev.height)
        # Status names, looked up once per distinct (status, pipeline).
        pairs = pl.concat([ev.select(s=pl.col("a"), p=pl.col("ap"), i=pl.col("i")),
                           ev.select(s=pl.col("b"), p=pl.col("bp"), i=pl.col("i"))]
                          ).filter(pl.col("s") >= 0).group_by(["s", "p"]).agg(pl.col("i").min())
        where = self.ev_where
        rows = [(s, p, *name(s, p, where[i])) for s, p, i in pairs.iter_rows()]
        lookup = pl.DataFrame(rows, schema={"s": pl.Int64, "p": pl.Int64, "pipeline": pl.Utf8,
                                            "stage": pl.Utf8, "kind": pl.Utf8}, orient="row")
        ev = (ev.join(lookup.rename({"s": "a", "p": "ap"}), on=["a", "ap"], how="left")
              .join(lookup.select(b="s", bp="p", from_pipeline="pipeline", from_stage="stage"),
                    on=["b", "bp"], how="left"))
        first = (ev.sort(["deal", "t", "i"]).group_by("deal", maintain_order=True)
                 .agg(pl.first("b"), pl.first("bp"), pl.first("t"), pl.first("i")))
        known = first.join(leads, on="deal", how="inner")
        orphan = first.join(leads, on="deal", how="anti")
        quiet = leads.join(first, on="deal", how="anti")
        if not whole:
            dq.count("deals_no_history", quiet.height, where=(
                self.leads[quiet["deal"][0]].where if quiet.height else None))
        dq.count("deals_without_lead", orphan.height)
        # First-stage rows: leads with events (from side at created_at), leads without
        # events (current status at created_at), events without a lead (from side, time unknown).
        starts = []
        bad = known.filter(pl.col("created").is_null() | (pl.col("b") < 0))
        if bad.height:
            _drop_by_reason(bad.filter(pl.col("created").is_null()), dq)
            dq.drop("no_stage", bad.filter(pl.col("created").is_not_null()).height)
        k = known.filter(pl.col("created").is_not_null() & (pl.col("b") >= 0))
        starts.append(k.select("deal", t="created", s="b", p="bp", known=pl.lit(True),
                               i=pl.col("i")))
        q_ok = quiet.filter(pl.col("created").is_not_null() & pl.col("ls").is_not_null())
        _drop_by_reason(quiet.filter(pl.col("created").is_null()), dq)
        dq.drop("no_stage", quiet.filter(pl.col("created").is_not_null()
                                         & pl.col("ls").is_null()).height)
        starts.append(q_ok.select("deal", t="created", s="ls", p="lp", known=pl.lit(True),
                                  i=pl.lit(-1, pl.Int64)))
        o = orphan.filter(pl.col("b") >= 0)
        dq.synthesized += o.height
        starts.append(o.select("deal", t="t", s="b", p="bp", known=pl.lit(False), i=pl.col("i")))
        start = pl.concat(starts)
        srows = [(s, p, *name(s, p, where[i] if i >= 0 else "lead")) for s, p, i in
                 start.select("s", "p", "i").unique(subset=["s", "p"]).iter_rows()]
        slook = pl.DataFrame(srows, schema={"s": pl.Int64, "p": pl.Int64, "pipeline": pl.Utf8,
                                            "stage": pl.Utf8, "kind": pl.Utf8}, orient="row")
        start = start.join(slook, on=["s", "p"], how="left")
        if whole:
            start, ev = _deal_level(start, leads, dq)
        attrs = leads.select("deal", "value", "source", "reason", "resp", "updated",
                             has_lead=pl.lit(True), contact=pl.col("cid").cast(pl.Utf8),
                             holder_uid=pl.col("resp"))
        start = start.sort(["deal"]).with_columns(
            seq=pl.lit(seq0, pl.Int64) + pl.int_range(pl.len(), dtype=pl.Int64))
        ev = ev.with_columns(seq=pl.lit(seq0 + start.height, pl.Int64) + _chronological(ev))
        out = pl.concat([
            start.select("deal", "t", "pipeline", "stage", "kind",
                         from_pipeline=pl.lit(None, pl.Utf8), from_stage=pl.lit(None, pl.Utf8),
                         entry_known="known", seq="seq", u=pl.lit(0, pl.Int64)),
            ev.select("deal", "t", "pipeline", "stage", "kind", "from_pipeline", "from_stage",
                      entry_known=pl.lit(True), seq="seq", u="u"),
        ]).join(attrs, on="deal", how="left")
        out = _batches_to_responsible(_responsible_then(out, self.handovers))
        user = pl.when(pl.col("u") > 0).then(pl.col("u")).otherwise(pl.col("resp"))
        users = pl.DataFrame(list(self.users.items()), schema={"uid": pl.Int64, "uname": pl.Utf8},
                             orient="row")
        out = out.with_columns(uid=user).join(users, on="uid", how="left", maintain_order="left")
        out = out.join(users.rename({"uid": "holder_uid", "uname": "hname"}), on="holder_uid",
                       how="left", maintain_order="left")
        gone = ("deleted user #" if self.users_total is not None
                and len(self.users) >= self.users_total else "user #")
        out = out.with_columns(
            deal_id=pl.col("deal").cast(pl.Utf8),
            ts=from_epoch_seconds(out["t"]),
            loss_reason=pl.when(pl.col("kind") == LOST).then(pl.col("reason")),
            # A user a whole users answer (all its `_total_items` read) does not list was
            # deleted from the account (a manager who was fired: amoCRM keeps her id on
            # her moves and leads). Read as «user #2002», like a user of an export saved
            # without the answer or with it cut, the owner had no hint that the column's
            # stranger was the one who left.
            manager=pl.coalesce([pl.col("uname"), pl.lit(gone) + pl.col("uid").cast(pl.Utf8)]),
            # Who has the lead now (its `responsible_user_id`): an open deal is hers.
            holder=pl.when(pl.col("holder_uid") > 0).then(pl.coalesce(
                [pl.col("hname"), pl.lit(gone) + pl.col("holder_uid").cast(pl.Utf8)])),
            last_activity=from_epoch_seconds(out["updated"]),
        )
        # amoCRM keeps one loss reason per lead, the current one: it belongs to the
        # lead's last loss. A loss the lead came back from before it was lost again has
        # none in the export, nor has its last loss when the lead was reopened after it
        # and the reason is empty (reopening may have cleared it): as Bitrix24's, such a
        # loss is `reason_unkept`, not a loss nobody gave a reason for. A lead without
        # its record in the leads pages has no reason known at all: nothing to tell apart.
        lost = pl.col("kind") == LOST
        last_lost = (out.filter(lost).group_by("deal").agg(last=pl.col("t").max()))
        out = out.join(last_lost, on="deal", how="left")
        reopened = pl.col("t") < pl.col("t").max().over("deal")
        unkept = (lost & pl.col("has_lead").fill_null(False)
                  & ((pl.col("t") < pl.col("last"))
                     | (reopened & pl.col("loss_reason").is_null())))
        out = out.with_columns(unkept=unkept.fill_null(False)).with_columns(
            loss_reason=pl.when((pl.col("t") == pl.col("last")) & ~pl.col("unkept"))
            .then(pl.col("loss_reason")),
            reason_unkept=pl.when(pl.col("unkept")).then(pl.lit(True)))
        not_kept = int(out["unkept"].sum())
        if not_kept:
            dq.notes.append(QualityNote("loss_field_reopened", EXPORTS[0], left_out=not_kept,
                                        field="loss_reason_id"))
        utm = sum(ld.utm for ld in self.leads.values())
        if utm:
            dq.notes.append(QualityNote("utm_source", EXPORTS[0], kept=utm))
        if self.statuses:
            dq.count("unknown_stage_ids", out.filter(
                (pl.col("kind") == STAGE) & pl.col("stage").str.starts_with("#")).height)
        if self.pipelines:
            dq.count("unknown_pipelines", out.filter(pl.col("pipeline").str.starts_with("#")).height)
        inbox, first_stage = self._inbox_names()
        out, accepted, folded = fold_inbox(out, inbox, first_stage)
        for f in folded:
            dq.notes.append(QualityNote("amocrm_inbox", EXPORTS[0], kept=f.leads,
                                        inbox=(f.pipeline, f.stage, f.first)))
        touches = self._touches()
        return _with_picked(out, pl.concat([touches, accepted]) if accepted.height else touches)


def _deal_level(start: pl.DataFrame, leads: pl.DataFrame, dq: DataQuality
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Leads pages without any events page read deal by deal, as a CSV deal list is
    (`deal_list.deal_level_columns`): a lead's status now, said at its creation, made
    every lead enter its current status the day it was created and never move (a school's
    986 leads: «"Пробный урок" is a dead end … no deal has moved on from it»), and a won
    one win without entering any stage. Each lead enters one stage of its own at
    `created_at` (`start`'s rows, named in the statuses' language) and a won or lost one
    leaves it at `closed_at` (the rows returned as events); a closed lead without
    `closed_at` is left out whole (`undated_stage`), as is one closed before it was
    created (`closed_before_created`)."""
    stage = deal_level_stage(start["stage"].drop_nulls().unique().sort().to_list())
    closing = pl.col("kind").is_in([WON, LOST])
    start = start.join(leads.select("deal", "closed"), on="deal", how="left")
    for reason, bad in (("undated_stage", closing & pl.col("closed").is_null()),
                        ("closed_before_created", closing & (pl.col("closed") < pl.col("t")))):
        n = start.filter(bad).height
        if n:
            dq.drop(reason, n)
            start = start.filter(~bad.fill_null(False))
    ends = start.filter(closing).select(
        "deal", t="closed", pipeline="pipeline", stage="stage", kind="kind",
        from_pipeline="pipeline", from_stage=pl.lit(stage), u=pl.lit(0, pl.Int64),
        i=pl.int_range(pl.len(), dtype=pl.Int64))
    dq.synthesized += ends.height
    dq.notes.append(QualityNote("deal_level", EXPORTS[0], kept=start.height,
                                deal_level=(stage, "created_at", "closed_at")))
    return (start.drop("closed").with_columns(stage=pl.lit(stage), kind=pl.lit(STAGE)), ends)


def _batches_to_responsible(out: pl.DataFrame) -> pl.DataFrame:
    """A status change made in a batch (amoCRM's mass action on the leads list:
    `mass_moves.batch_rows`, one user moving `BATCH_MOVES` leads or more that other users
    are responsible for into one status, each within `BATCH_GAP_S` of the one before)
    counts for each lead's responsible user, as a robot's change does (`u` 0). Changes
    one at a time, and a user's changes on her own leads, stay hers."""
    rows = out.with_row_index("_r")
    # Only a change on another user's lead can move.
    moves = rows.filter((pl.col("u") > 0) & (pl.col("resp") > 0)
                        & (pl.col("u") != pl.col("resp")) & pl.col("t").is_not_null())
    batch = batch_rows(moves.select("_r", "t", "pipeline", "stage", who="u"))
    if batch.is_empty():
        return out
    return rows.with_columns(u=pl.when(pl.col("_r").is_in(batch.implode()))
                             .then(pl.lit(0, pl.Int64)).otherwise(pl.col("u"))).drop("_r")


def _responsible_then(out: pl.DataFrame, handovers: list[tuple[int, float, int, int]]
                      ) -> pl.DataFrame:
    """`resp` of each row as of the row's time: the `after` of the lead's last handover
    at or before it, else the `before` of its first handover, else (a lead never handed
    over) the lead's `responsible_user_id` as it was."""
    if not handovers:
        return out
    h = pl.DataFrame(handovers, schema={"deal": pl.Int64, "ht": pl.Float64, "before": pl.Int64,
                                        "after": pl.Int64}, orient="row").sort("ht")
    first = h.group_by("deal").agg(pl.col("before").first())
    rows = out.with_row_index("_r")
    then = (rows.select("_r", "deal", "t").filter(pl.col("t").is_not_null()).sort("t")
            .join_asof(h.select("deal", "ht", "after"), left_on="t", right_on="ht", by="deal",
                       strategy="backward", check_sortedness=False)
            .join(first, on="deal", how="left")
            .select("_r", then=pl.coalesce([pl.col("after"),
                                            pl.when(pl.col("before") > 0).then("before")])))
    return (rows.join(then, on="_r", how="left", maintain_order="left")
            .with_columns(resp=pl.coalesce(["then", "resp"])).drop("_r", "then"))


def _with_picked(out: pl.DataFrame, touches: pl.DataFrame) -> pl.DataFrame:
    """`picked` of each stage entry: the deal's first touch at or after the entry and
    before its next row (the visit's end); null when nobody touched it in that stage.
    Touch times are screened as the rows' are: one out of every plausible range can only
    fall outside every visit."""
    if touches.height == 0:
        return out
    touches = touches.filter(pl.col("t").is_finite())
    touches = touches.with_columns(tt=from_epoch_seconds(touches["t"]))
    rows = out.with_row_index("_r").select("_r", "deal", "ts", "kind")
    nxt = rows.sort(["deal", "ts", "_r"]).with_columns(
        until=pl.col("ts").shift(-1).over("deal"))
    first = nxt.filter(pl.col("kind") == STAGE).sort("ts").join_asof(
        touches.select("deal", "tt").drop_nulls().sort("tt"), left_on="ts", right_on="tt",
        by="deal", strategy="forward", check_sortedness=False)
    picked = first.select("_r", picked=pl.when(
        pl.col("until").is_null() | (pl.col("tt") < pl.col("until"))).then(pl.col("tt")))
    return out.with_row_index("_r").join(picked, on="_r", how="left",
                                         maintain_order="left").drop("_r")


def _chronological(ev: pl.DataFrame) -> pl.Expr:
    """The events' input order, oldest first. amoCRM's events pages list the newest
    first: an export saved as it came runs backwards, and read as it stands every move of
    every deal was counted "out of time order". When most of a deal's consecutive events
    in the file go back in time, the file order is read reversed; an event against that
    direction is still counted."""
    same = pl.col("deal") == pl.col("deal").shift(1)
    back, forth = ev.sort(["deal", "i"]).select(
        back=(same & (pl.col("t") < pl.col("t").shift(1))).sum(),
        forth=(same & (pl.col("t") > pl.col("t").shift(1))).sum()).row(0)
    return -pl.col("i") + ev.height if (back or 0) > (forth or 0) else pl.col("i")


def _drop_by_reason(rows: pl.DataFrame, dq: DataQuality) -> None:
    """Count first-stage rows lost to their lead's `created_at`, by why it was unusable."""
    for reason, n in rows.group_by("cwhy").len().iter_rows():
        dq.drop(reason or "bad_timestamp", n)
