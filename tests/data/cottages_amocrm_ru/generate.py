"""A Moscow-region cottage builder's amoCRM export with seed 000's graveyard planted in
«Отправлен расчет» (issue 14 point 4: «в этапе "ОТПРАВЛЕН РАСЧЕТ" остаются лежать
большое количество лидов. Этот этап настоящее кладбище сделок»), written independently
of funnelc (`tests/test_cottages_ru_*.py`).

Story (Europe/Moscow, leads January–October 2026, export of 2026-11-05 12:00):
* One pipeline, the seed's four stages: «Расчет с сайта» → «Первичный контакт» →
  «Отправлен расчет» → «Заключение договора» → won (142) / lost (143).
* 3 managers (users 5101–5103), each lead's responsible one from its creation.
* «Расчет с сайта»: the manager calls back (a touch) within hours; 85 % go on to
  «Первичный контакт» in 0.2–2 days, the rest are lost «Не дозвонились».
* «Первичный контакт»: 80 % get the calculation sent («Отправлен расчет») in 1–5 days,
  the rest are lost «Не целевой».
* «Отправлен расчет», the graveyard: the manager follows the calculation up — a first
  call 1–4 days after it was sent, then more at exponential gaps (mean 5 days), each
  with chance `FOLLOW` of another, and after that a reminder call a month with chance
  `REMIND`. Only a touch moves a deal on: each one has chance `MOVE` of sending it to
  «Заключение договора» 0.5–3 days later. A deal not moved on is cleared out as lost
  «Не отвечает» `CLEAR` of the time, 60–240 days after the calculation; the rest stay
  forever. So about 5 % move on, most deals sit there for months, and the deals
  touched in the last 14 days move on far more often than the untouched ones (a deal
  moves on only within 3 days of a touch).
* «Заключение договора»: won 70 % in 5–20 days, else lost «Выбрали другого подрядчика».
* Touches in the export: calls as `outgoing_call` events on the lead's contact (as
  telephony logs them: the leads answer lists `_embedded.contacts`), every third touch a
  WhatsApp `outgoing_chat_message` on the lead, every fifth a completed task
  (`task_completed` on the task, the task in the tasks answer).
* Prices: 4–15 million roubles.

Every deal is drawn to its end past the export (`Deal.path`, `Deal.touches`): the tests
count the true figures from these records, the export sees what happened before NOW.

Run: python tests/data/cottages_amocrm_ru/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=MSK)
PIPE = 7700001
ST = {"Неразобранное": 66000001, "Расчет с сайта": 66000002, "Первичный контакт": 66000003,
      "Отправлен расчет": 66000004, "Заключение договора": 66000005}
CALC = "Отправлен расчет"
WON, LOST = 142, 143
REASONS = {"Не дозвонились": 701, "Не целевой": 702, "Не отвечает": 703,
           "Выбрали другого подрядчика": 704}
USERS = {5101: "Кузнецова Марина", 5102: "Павлов Сергей", 5103: "Егоров Антон"}
MONTHS = [(2026, m) for m in range(1, 11)]
PER_MONTH = 80
HOST = "https://kottedzh-stroy.amocrm.ru"
FOLLOW, REMIND, MOVE, CLEAR = 0.55, 0.2, 0.013, 0.3


def ts(d: datetime) -> int:
    return int(d.timestamp())


class Deal:
    """The generator's own record of one lead, drawn to its end (no dataclass: the tests
    load this file as a module of no package)."""

    def __init__(self, lid: int, created: datetime, price: int, owner: int) -> None:
        self.lid, self.created, self.price, self.owner = lid, created, price, owner
        self.path: list[tuple[datetime, str]] = []
        """(time, to) of each status change: a stage name, "won" or "lost"."""
        self.reason: str | None = None
        self.touches: list[datetime] = []
        """Every call, message or completed task of its manager on the deal."""
        self.calc_in: datetime | None = None
        """When it entered «Отправлен расчет»."""
        self.calc_out: tuple[datetime, str] | None = None
        """When and how it left «Отправлен расчет» («Заключение договора» or "lost"),
        None when it never does."""


def simulate(r: random.Random, d: Deal) -> None:
    t = d.created + timedelta(hours=r.uniform(0.3, 6))
    d.touches.append(t)
    t += timedelta(days=r.uniform(0.2, 2))
    if r.random() >= 0.85:
        d.path.append((t, "lost"))
        d.reason = "Не дозвонились"
        return
    d.path.append((t, "Первичный контакт"))
    d.touches.append(t)
    t += timedelta(days=r.uniform(1, 5))
    if r.random() >= 0.8:
        d.path.append((t, "lost"))
        d.reason = "Не целевой"
        return
    d.path.append((t, CALC))
    d.touches.append(t)
    d.calc_in = t0 = t
    calls: list[datetime] = []
    c = t0 + timedelta(days=r.uniform(1, 4))
    calls.append(c)
    while r.random() < FOLLOW:
        c += timedelta(days=r.expovariate(1 / 5))
        calls.append(c)
    month = t0 + timedelta(days=30)
    while month < t0 + timedelta(days=400):
        if r.random() < REMIND:
            calls.append(month + timedelta(days=r.uniform(0, 30)))
        month += timedelta(days=30)
    calls.sort()
    clear = t0 + timedelta(days=r.uniform(60, 240)) if r.random() < CLEAR else None
    for c in calls:
        if clear is not None and c >= clear:
            break
        d.touches.append(c)
        if r.random() < MOVE:
            t = c + timedelta(days=r.uniform(0.5, 3))
            d.calc_out = (t, "Заключение договора")
            d.path.append((t, "Заключение договора"))
            d.touches.append(t)
            t += timedelta(days=r.uniform(5, 20))
            if r.random() < 0.7:
                d.path.append((t, "won"))
            else:
                d.path.append((t, "lost"))
                d.reason = "Выбрали другого подрядчика"
            return
    if clear is not None:
        d.calc_out = (clear, "lost")
        d.path.append((clear, "lost"))
        d.reason = "Не отвечает"


def build(seed: int = 0) -> list[Deal]:
    r = random.Random(seed)
    deals: list[Deal] = []
    lid = 31000001
    for y, m in MONTHS:
        start = datetime(y, m, 1, tzinfo=MSK)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=MSK)
        span = (end - start).total_seconds()
        for t in sorted(start + timedelta(seconds=r.uniform(3600, span - 3600))
                        for _ in range(PER_MONTH)):
            d = Deal(lid, t, r.randrange(40, 151) * 100_000, sorted(USERS)[lid % 3])
            lid += 1
            simulate(r, d)
            deals.append(d)
    return deals


class _Writer:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.leads: list[dict] = []
        self.tasks: list[dict] = []
        self.n = 0

    def event(self, kind: str, entity: int, etype: str, who: int, when: datetime,
              before: object = None, after: object = None) -> None:
        self.n += 1
        eid = f"01kq{self.n:022d}"
        self.events.append({
            "id": eid, "type": kind, "entity_id": entity, "entity_type": etype,
            "created_by": who, "created_at": ts(when), "value_after": after or [],
            "value_before": before or [], "account_id": 30550001,
            "_links": {"self": {"href": f"{HOST}/api/v4/events/{eid}"}},
            "_embedded": {"entity": {"id": entity, "_links": {"self": {
                "href": f"{HOST}/api/v4/{etype}s/{entity}"}}}}})


def _sid(to: str) -> int:
    return WON if to == "won" else LOST if to == "lost" else ST[to]


def _record(w: _Writer, d: Deal) -> None:
    seen = [(t, to) for t, to in d.path if t <= NOW]
    last = seen[-1][1] if seen else "Расчет с сайта"
    closed = seen[-1][0] if last in ("won", "lost") else None
    touches = [t for t in d.touches if t <= NOW]
    updated = max([d.created, *(t for t, _ in seen), *touches])
    contact = d.lid + 9_000_000
    reason = d.reason if last == "lost" else None
    rec: dict = {
        "id": d.lid, "name": f"Расчет коттеджа #{d.lid}", "price": d.price,
        "responsible_user_id": d.owner, "group_id": 0, "status_id": _sid(last),
        "pipeline_id": PIPE, "loss_reason_id": REASONS[reason] if reason else None,
        "created_by": 0, "updated_by": d.owner, "created_at": ts(d.created),
        "updated_at": ts(updated), "closed_at": ts(closed) if closed else None,
        "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
        "score": None, "account_id": 30550001, "labor_cost": None,
        "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d.lid}"}},
        "_embedded": {"tags": [], "companies": [], "contacts": [
            {"id": contact, "is_main": True,
             "_links": {"self": {"href": f"{HOST}/api/v4/contacts/{contact}"}}}]}}
    if reason:
        rec["_embedded"]["loss_reason"] = [{"id": REASONS[reason], "name": reason,
                                            "sort": 100000}]
    w.leads.append(rec)
    cur = ST["Расчет с сайта"]
    for when, to in seen:
        w.event("lead_status_changed", d.lid, "lead", d.owner, when,
                [{"lead_status": {"id": cur, "pipeline_id": PIPE}}],
                [{"lead_status": {"id": _sid(to), "pipeline_id": PIPE}}])
        cur = _sid(to)
    for k, t in enumerate(touches):
        if k % 5 == 4:
            tid = d.lid * 10 + k
            w.event("task_completed", tid, "task", d.owner, t)
            w.tasks.append({"id": tid, "created_by": d.owner, "updated_by": d.owner,
                            "created_at": ts(t - timedelta(days=1)), "updated_at": ts(t),
                            "responsible_user_id": d.owner, "group_id": 0,
                            "entity_id": d.lid, "entity_type": "leads", "is_completed": True,
                            "task_type_id": 1, "text": "Перезвонить по расчету",
                            "duration": 0, "complete_till": ts(t), "result": {},
                            "account_id": 30550001})
        elif k % 3 == 2:
            w.event("outgoing_chat_message", d.lid, "lead", d.owner, t)
        else:
            w.event("outgoing_call", contact, "contact", d.owner, t)


def _pipelines() -> dict:
    sts = [{"id": sid, "name": n, "sort": 10 * (i + 1), "is_editable": n != "Неразобранное",
            "pipeline_id": PIPE, "color": "#99ccff", "type": int(n == "Неразобранное"),
            "account_id": 30550001} for i, (n, sid) in enumerate(ST.items())]
    sts += [{"id": WON, "name": "Успешно реализовано", "sort": 10000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#CCFF66", "type": 0, "account_id": 30550001},
            {"id": LOST, "name": "Закрыто и не реализовано", "sort": 11000,
             "is_editable": False, "pipeline_id": PIPE, "color": "#D5D8DB", "type": 0,
             "account_id": 30550001}]
    return {"_total_items": 1, "_embedded": {"pipelines": [{
        "id": PIPE, "name": "Продажи коттеджей", "sort": 1, "is_main": True,
        "is_unsorted_on": True, "is_archive": False, "account_id": 30550001,
        "_embedded": {"statuses": sts}}]}}


def _pages(kind: str, items: list[dict], limit: int) -> list[dict]:
    return [{"_page": i // limit + 1, "_embedded": {kind: items[i:i + limit]}}
            for i in range(0, len(items), limit)]


def write(out: Path, seed: int = 0) -> list[Deal]:
    """The export as of NOW into `out`; returns the generator's records."""
    deals = build(seed)
    w = _Writer()
    for d in deals:
        _record(w, d)
    out.mkdir(parents=True, exist_ok=True)
    events = sorted(w.events, key=lambda e: (-e["created_at"], e["id"]))

    def line(p: object) -> str:
        return json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"

    (out / "events.jsonl").write_text("".join(map(line, _pages("events", events, 250))),
                                      encoding="utf-8")
    (out / "leads.jsonl").write_text("".join(map(line, _pages("leads", w.leads, 250))),
                                     encoding="utf-8")
    (out / "tasks.jsonl").write_text("".join(map(line, _pages("tasks", w.tasks, 250))),
                                     encoding="utf-8")
    (out / "pipelines.json").write_text(line(_pipelines()), encoding="utf-8")
    (out / "users.json").write_text(line({"_total_items": len(USERS), "_embedded": {"users": [
        {"id": uid, "name": name, "email": f"user{uid}@kottedzh.example", "lang": "ru"}
        for uid, name in USERS.items()]}}), encoding="utf-8")
    return deals


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("export")
    ds = write(target)
    print(f"{len(ds)} leads -> {target}")
