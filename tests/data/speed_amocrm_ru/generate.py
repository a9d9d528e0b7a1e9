"""An online-courses school's amoCRM export with seed 004's standard broken by one manager
(issue 14 point 1: «время до первого касания» per manager; seed 004: «позвонить лиду за
15 минут»), written independently of funnelc (`tests/test_speed_amocrm_ru.py`).

Story (Europe/Moscow, leads March–October 2026, export of 2026-11-02 12:00; the account
works mon-fri 09:00-19:00, and the funnel's «Новая заявка» says `respond 15m`):
* One pipeline «Продажи курсов»: «Новая заявка» → «Квалификация» → «Встреча» →
  «Договор» → won (142) / lost (143). 90 leads a month from the site and Директ, at any
  hour of any day, handed round five managers (users 6101–6105), each lead its own
  responsible manager from creation.
* «Новая заявка»: the manager calls (`outgoing_call` on the lead). The wait is drawn in
  working time: four managers' exponential with a mean of 10 working minutes (22 % past
  the 15 minutes), Петров Игорь's (6102) with a mean of 3 working hours (92 % past). After
  the call the card moves within 10 minutes to 3 working hours: to «Квалификация» with
  chance 0.55 when the lead was called within 15 working minutes, 0.33 when later (a
  lead that waits calls a competitor), else it is lost «Не дозвонились» or «Ушел к
  конкурентам» 1–3 days after the call.
* Later stages: everyone calls with the same speed (a mean of 2 working hours), then
  «Квалификация» → «Встреча» 60 % in 1–5 days (else lost «Дорого»), «Встреча» →
  «Договор» 50 % in 2–10 days (else «Думает»), «Договор» → won 70 % in 3–15 days (else
  «Выбрали другую школу»).
* Prices 60–240 thousand roubles.

`build(seed, slow=None)` draws a team of equal speed (the null world of the false-alarm
test); `write(out, seed, calls=False)` leaves the calls out (a history without pick-ups).
Every lead is drawn to its end past the export (`Deal.path`, `Deal.calls`); the tests
count the true figures from these records with `working_hours` below.

Run: python tests/data/speed_amocrm_ru/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=MSK)
PIPE = 8100001
PIPE_NAME = "Продажи курсов"
STAGES = ["Новая заявка", "Квалификация", "Встреча", "Договор"]
NEW = STAGES[0]
ST = {n: 81000001 + i for i, n in enumerate(STAGES)}
WON, LOST = 142, 143
REASONS = {"Не дозвонились": 801, "Ушел к конкурентам": 802, "Дорого": 803, "Думает": 804,
           "Выбрали другую школу": 805}
USERS = {6101: "Смирнова Анна", 6102: "Петров Игорь", 6103: "Козлова Мария",
         6104: "Волков Денис", 6105: "Орлова Екатерина"}
SLOW = 6102
MONTHS = [(2026, m) for m in range(3, 11)]
PER_MONTH = 90
FAST_MEAN_H, SLOW_MEAN_H = 10 / 60, 3.0
RESPOND_H = 0.25
"""The funnel's `respond 15m` on «Новая заявка»."""
MOVE_ON_TIME, MOVE_LATE = 0.55, 0.33
OPEN_H, CLOSE_H = 9, 19
HOST = "https://kursy-pro.amocrm.ru"
ACCOUNT = 30660001


def ts(d: datetime) -> int:
    return int(d.timestamp())


def _open(t: datetime) -> tuple[datetime, datetime] | None:
    """The working day's (start, end) if `t` is in working time, else None."""
    if t.weekday() >= 5:
        return None
    a = t.replace(hour=OPEN_H, minute=0, second=0, microsecond=0)
    b = t.replace(hour=CLOSE_H, minute=0, second=0, microsecond=0)
    return (a, b) if a <= t < b else None


def _next_open(t: datetime) -> datetime:
    """The next moment of working time at or after `t`."""
    while True:
        if _open(t) is not None:
            return t
        if t.weekday() < 5 and t.hour < OPEN_H:
            return t.replace(hour=OPEN_H, minute=0, second=0, microsecond=0)
        t = (t + timedelta(days=1)).replace(hour=OPEN_H, minute=0, second=0, microsecond=0)
        if t.weekday() < 5:
            return t


def add_working(t: datetime, hours: float) -> datetime:
    """`t` plus `hours` of working time (Moscow wall clock, mon-fri 09:00-19:00)."""
    t = _next_open(t)
    while True:
        _a, b = _open(t)  # type: ignore[misc]
        left = (b - t).total_seconds() / 3600
        if hours <= left:
            return t + timedelta(hours=hours)
        hours -= left
        t = _next_open(b)


def working_hours(a: datetime, b: datetime) -> float:
    """Working hours between `a` and `b` (a day at a time)."""
    a, b = a.astimezone(MSK), b.astimezone(MSK)
    total = 0.0
    day = a.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= b:
        if day.weekday() < 5:
            lo = max(a, day.replace(hour=OPEN_H))
            hi = min(b, day.replace(hour=CLOSE_H))
            total += max(0.0, (hi - lo).total_seconds() / 3600)
        day = (day + timedelta(days=1)).replace(hour=0)
    return total


class Deal:
    """The generator's own record of one lead (no dataclass: the tests load this file as
    a module of no package)."""

    def __init__(self, lid: int, created: datetime, price: int, owner: int) -> None:
        self.lid, self.created, self.price, self.owner = lid, created, price, owner
        self.path: list[tuple[datetime, str]] = []
        """(time, to) of each status change: a stage name, "won" or "lost"."""
        self.reason: str | None = None
        self.calls: list[datetime] = []
        """The manager's calls, one a stage, the first at «Новая заявка»."""


def simulate(r: random.Random, d: Deal, slow: int | None) -> None:
    mean = SLOW_MEAN_H if d.owner == slow else FAST_MEAN_H
    call = add_working(d.created, r.expovariate(1 / mean))
    d.calls.append(call)
    late = working_hours(d.created, call) > RESPOND_H
    if r.random() >= (MOVE_LATE if late else MOVE_ON_TIME):
        d.path.append((call + timedelta(days=r.uniform(1, 3)), "lost"))
        d.reason = r.choice(["Не дозвонились", "Ушел к конкурентам"])
        return
    t = add_working(call, r.uniform(1 / 6, 3))
    d.path.append((t, STAGES[1]))
    for stage, nxt, p, lo, hi, reason in (
            (STAGES[1], STAGES[2], 0.6, 1, 5, "Дорого"),
            (STAGES[2], STAGES[3], 0.5, 2, 10, "Думает"),
            (STAGES[3], "won", 0.7, 3, 15, "Выбрали другую школу")):
        c = add_working(t, r.expovariate(1 / 2))
        d.calls.append(c)
        t = max(c, t) + timedelta(days=r.uniform(lo, hi))
        if r.random() >= p:
            d.path.append((t, "lost"))
            d.reason = reason
            return
        d.path.append((t, nxt))


def build(seed: int = 4, slow: int | None = SLOW) -> list[Deal]:
    r = random.Random(seed)
    deals: list[Deal] = []
    lid = 41000001
    team = sorted(USERS)
    for y, m in MONTHS:
        start = datetime(y, m, 1, tzinfo=MSK)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=MSK)
        span = (end - start).total_seconds()
        for t in sorted(start + timedelta(seconds=r.randrange(0, int(span)))
                        for _ in range(PER_MONTH)):
            d = Deal(lid, t, r.randrange(60, 241) * 1000, team[(lid - 1) % len(team)])
            lid += 1
            simulate(r, d, slow)
            deals.append(d)
    return deals


def _sid(to: str) -> int:
    return WON if to == "won" else LOST if to == "lost" else ST[to]


def _event(events: list[dict], kind: str, lead: int, who: int, when: datetime,
           before: object = None, after: object = None) -> None:
    eid = f"01kr{len(events) + 1:022d}"
    events.append({
        "id": eid, "type": kind, "entity_id": lead, "entity_type": "lead",
        "created_by": who, "created_at": ts(when), "value_after": after or [],
        "value_before": before or [], "account_id": ACCOUNT,
        "_links": {"self": {"href": f"{HOST}/api/v4/events/{eid}"}},
        "_embedded": {"entity": {"id": lead, "_links": {"self": {
            "href": f"{HOST}/api/v4/leads/{lead}"}}}}})


def _record(events: list[dict], leads: list[dict], d: Deal, calls: bool) -> None:
    seen = [(t, to) for t, to in d.path if t <= NOW]
    last = seen[-1][1] if seen else NEW
    closed = seen[-1][0] if last in ("won", "lost") else None
    touched = [c for c in d.calls if c <= NOW] if calls else []
    updated = max([d.created, *(t for t, _ in seen), *touched])
    reason = d.reason if last == "lost" else None
    rec: dict = {
        "id": d.lid, "name": f"Заявка на курс #{d.lid}", "price": d.price,
        "responsible_user_id": d.owner, "group_id": 0, "status_id": _sid(last),
        "pipeline_id": PIPE, "loss_reason_id": REASONS[reason] if reason else None,
        "created_by": 0, "updated_by": d.owner, "created_at": ts(d.created),
        "updated_at": ts(updated), "closed_at": ts(closed) if closed else None,
        "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
        "score": None, "account_id": ACCOUNT, "labor_cost": None,
        "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d.lid}"}},
        "_embedded": {"tags": [], "companies": [], "contacts": []}}
    if reason:
        rec["_embedded"]["loss_reason"] = [{"id": REASONS[reason], "name": reason,
                                            "sort": 100000}]
    leads.append(rec)
    cur = ST[NEW]
    for when, to in seen:
        _event(events, "lead_status_changed", d.lid, d.owner, when,
               [{"lead_status": {"id": cur, "pipeline_id": PIPE}}],
               [{"lead_status": {"id": _sid(to), "pipeline_id": PIPE}}])
        cur = _sid(to)
    for c in touched:
        _event(events, "outgoing_call", d.lid, d.owner, c)


def pipelines() -> dict:
    sts = [{"id": ST[n], "name": n, "sort": 10 * (i + 1), "is_editable": True,
            "pipeline_id": PIPE, "color": "#99ccff", "type": 0, "account_id": ACCOUNT}
           for i, n in enumerate(STAGES)]
    sts += [{"id": WON, "name": "Успешно реализовано", "sort": 10000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#CCFF66", "type": 0, "account_id": ACCOUNT},
            {"id": LOST, "name": "Закрыто и не реализовано", "sort": 11000,
             "is_editable": False, "pipeline_id": PIPE, "color": "#D5D8DB", "type": 0,
             "account_id": ACCOUNT}]
    return {"_total_items": 1, "_embedded": {"pipelines": [{
        "id": PIPE, "name": PIPE_NAME, "sort": 1, "is_main": True, "is_unsorted_on": False,
        "is_archive": False, "account_id": ACCOUNT, "_embedded": {"statuses": sts}}]}}


def write(out: Path, seed: int = 4, slow: int | None = SLOW, calls: bool = True
          ) -> list[Deal]:
    """The export as of NOW into `out`; returns the generator's records."""
    deals = build(seed, slow)
    events: list[dict] = []
    leads: list[dict] = []
    for d in deals:
        _record(events, leads, d, calls)
    out.mkdir(parents=True, exist_ok=True)
    events.sort(key=lambda e: (-e["created_at"], e["id"]))

    def line(p: object) -> str:
        return json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"

    def pages(kind: str, items: list[dict]) -> str:
        return "".join(line({"_page": i // 250 + 1, "_embedded": {kind: items[i:i + 250]}})
                       for i in range(0, len(items), 250))

    (out / "events.jsonl").write_text(pages("events", events), encoding="utf-8")
    (out / "leads.jsonl").write_text(pages("leads", leads), encoding="utf-8")
    (out / "pipelines.json").write_text(line(pipelines()), encoding="utf-8")
    (out / "users.json").write_text(line({"_total_items": len(USERS), "_embedded": {"users": [
        {"id": uid, "name": name, "email": f"user{uid}@kursy.example", "lang": "ru"}
        for uid, name in USERS.items()]}}), encoding="utf-8")
    return deals


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("export")
    ds = write(target)
    print(f"{len(ds)} leads -> {target}")
