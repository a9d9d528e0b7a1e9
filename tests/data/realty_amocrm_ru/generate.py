"""A Yekaterinburg real-estate agency's amoCRM export with a story known in advance (the
consultant's pass on long cycles and a fired manager, `tests/test_realty_amocrm_ru.py`).

Story (months in Asia/Yekaterinburg, UTC+5, January–October 2026, export of 2026-11-30):
* «Покупка»: Заявка → Консультация → Показ → Бронь → Сделка → won (142, moved by a
  robot, `created_by` 0 — the registration service). Buyers take 2–6 months from the
  showing to the deal: Показ → Бронь 45–150 days, Бронь → Сделка 5–25 days, Сделка → won
  3–14 days. Months from July on are too young to judge their wins.
* 40 leads a month, every month alike: the true conversion does not change.
* Managers: Орлова Елена (2002) is fired on 2026-04-15: she is gone from
  `/api/v4/users`; all her leads (closed ones too) are handed to Белов Игорь (2003) by
  the head (`entity_responsible_changed`, `created_by` 2001); her moves keep
  `created_by` 2002. She took 70 % of her showings to a reservation, the team 50 %.
* Prices in roubles, 2.5–30 million; every 8th lead has price 0 (unknown, not free).
* Pages: events 100 a page, newest first (a deal's events fall on several pages);
  the export tool retried events page 3 and leads page 2: both are in the files twice.

Run: python tests/data/realty_amocrm_ru/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

YEKT = ZoneInfo("Asia/Yekaterinburg")
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=YEKT)
FIRED = datetime(2026, 4, 15, 11, 0, tzinfo=YEKT)
PIPE = 9200001
ST = {"Неразобранное": 81000001, "Заявка": 81000002, "Консультация": 81000003,
      "Показ": 81000004, "Бронь": 81000005, "Сделка": 81000006}
WON, LOST = 142, 143
REASONS = {"Не выходит на связь": 601, "Передумал покупать": 602, "Дорого": 603,
           "Купил через другое агентство": 604, "Не одобрили ипотеку": 605}
HEAD, ORLOVA, BELOV = 2001, 2002, 2003
USERS = {HEAD: "Руководитель Агентства", ORLOVA: "Орлова Елена", BELOV: "Белов Игорь",
         2004: "Зайцева Ксения", 2005: "Морозов Андрей"}
SHOWN = [ORLOVA, BELOV, 2004, 2005]
MONTHS = [(2026, m) for m in range(1, 11)]
PER_MONTH = 40
HOST = "https://etazhi-ekb.amocrm.ru"


def ts(d: datetime) -> int:
    return int(d.timestamp())


class Deal:
    """The generator's own record of one lead: what the tests count by hand. (No
    dataclass: the tests load this file as a module of no package.)"""

    def __init__(self, lid: int, created: datetime, price: int, owner0: int) -> None:
        self.lid, self.created, self.price, self.owner0 = lid, created, price, owner0
        self.path: list[tuple[datetime, int, str]] = []
        """(time, created_by, to) of each status change: a stage name, "won" or "lost"."""
        self.reason: str | None = None
        self.owner = owner0
        """responsible_user_id in the export (after any handover)."""


class Account:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.deals: list[Deal] = []
        self.leads: list[dict] = []
        self.events: list[dict] = []
        self.next_event = 1

    def event(self, lead: int, kind: str, who: int, when: datetime, before, after) -> None:
        eid = f"01jr{self.next_event:022d}"
        self.next_event += 1
        self.events.append({
            "id": eid, "type": kind, "entity_id": lead, "entity_type": "lead",
            "created_by": who, "created_at": ts(when), "value_after": after,
            "value_before": before, "account_id": 29110001,
            "_links": {"self": {"href": f"{HOST}/api/v4/events/{eid}"}},
            "_embedded": {"entity": {"id": lead, "_links": {"self": {
                "href": f"{HOST}/api/v4/leads/{lead}"}}}}})


def sid(to: str) -> int:
    return WON if to == "won" else LOST if to == "lost" else ST[to]


def simulate(acc: Account, d: Deal) -> None:
    r = acc.rng
    owner = d.owner0

    def by(when: datetime) -> int:
        nonlocal owner
        if owner == ORLOVA and when >= FIRED:
            owner = BELOV
        return owner

    t = d.created + timedelta(days=r.uniform(0.5, 3))
    if r.random() < 0.25:
        d.path.append((t, by(t), "lost"))
        d.reason = "Не выходит на связь"
    else:
        d.path.append((t, by(t), "Консультация"))
        t += timedelta(days=r.uniform(2, 12))
        if r.random() < 0.3:
            d.path.append((t, by(t), "lost"))
            d.reason = r.choice(["Передумал покупать", "Дорого"])
        else:
            d.path.append((t, by(t), "Показ"))
            rate = 0.7 if by(t) == ORLOVA else 0.5
            if r.random() < rate:
                t += timedelta(days=r.uniform(45, 150))
                d.path.append((t, by(t), "Бронь"))
                t += timedelta(days=r.uniform(5, 25))
                if r.random() < 0.85:
                    d.path.append((t, by(t), "Сделка"))
                    t += timedelta(days=r.uniform(3, 14))
                    by(t)
                    d.path.append((t, 0, "won"))
                else:
                    d.path.append((t, by(t), "lost"))
                    d.reason = "Не одобрили ипотеку"
            else:
                t += timedelta(days=r.uniform(20, 150))
                d.path.append((t, by(t), "lost"))
                d.reason = r.choice(["Купил через другое агентство", "Не одобрили ипотеку"])
    d.path = [p for p in d.path if p[0] <= NOW]
    if d.reason and (not d.path or d.path[-1][2] != "lost"):
        d.reason = None
    # A fired user's leads are all handed over, closed ones too.
    d.owner = BELOV if d.owner0 == ORLOVA else d.owner0


def build(seed: int = 2) -> Account:
    acc = Account(seed)
    r = acc.rng
    lid = 41000001
    k = 0
    for y, m in MONTHS:
        start = datetime(y, m, 1, tzinfo=YEKT)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=YEKT)
        span = (end - start).total_seconds()
        times = sorted(start + timedelta(seconds=r.uniform(2 * 3600, span - 2 * 3600))
                       for _ in range(PER_MONTH))
        for t in times:
            team = [u for u in SHOWN if not (u == ORLOVA and t >= FIRED)]
            owner = team[k % len(team)]
            k += 1
            price = 0 if lid % 8 == 0 else r.randrange(25, 301) * 100_000
            d = Deal(lid, t, price, owner)
            lid += 1
            simulate(acc, d)
            acc.deals.append(d)
    for d in acc.deals:
        record(acc, d)
    return acc


def record(acc: Account, d: Deal) -> None:
    last = d.path[-1][2] if d.path else "Заявка"
    closed = d.path[-1][0] if last in ("won", "lost") else None
    updated = d.path[-1][0] if d.path else d.created
    if d.owner0 == ORLOVA and updated < FIRED:
        updated = FIRED
    rec: dict = {
        "id": d.lid, "name": f"Покупка квартиры #{d.lid}", "price": d.price,
        "responsible_user_id": d.owner, "group_id": 0, "status_id": sid(last),
        "pipeline_id": PIPE, "loss_reason_id": REASONS[d.reason] if d.reason else None,
        "created_by": 0, "updated_by": d.owner, "created_at": ts(d.created),
        "updated_at": ts(updated), "closed_at": ts(closed) if closed else None,
        "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
        "score": None, "account_id": 29110001, "labor_cost": None,
        "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d.lid}"}},
        "_embedded": {"tags": [], "companies": []}}
    if d.reason:
        rec["_embedded"]["loss_reason"] = [{
            "id": REASONS[d.reason], "name": d.reason, "sort": 100000,
            "created_at": 1577836800, "updated_at": 1577836800,
            "_links": {"self": {"href": f"{HOST}/api/v4/leads/loss_reasons/{REASONS[d.reason]}"}}}]
    acc.leads.append(rec)
    cur = ST["Заявка"]
    for when, user, to in d.path:
        acc.event(d.lid, "lead_status_changed", user, when,
                  [{"lead_status": {"id": cur, "pipeline_id": PIPE}}],
                  [{"lead_status": {"id": sid(to), "pipeline_id": PIPE}}])
        cur = sid(to)
    if d.owner0 == ORLOVA:
        acc.event(d.lid, "entity_responsible_changed", HEAD, FIRED,
                  [{"responsible_user": {"id": ORLOVA}}], [{"responsible_user": {"id": BELOV}}])


def pipelines() -> dict:
    names = list(ST)
    sts = [{"id": ST[n], "name": n, "sort": 10 * (i + 1), "is_editable": n != "Неразобранное",
            "pipeline_id": PIPE, "color": "#99ccff", "type": int(n == "Неразобранное"),
            "account_id": 29110001} for i, n in enumerate(names)]
    sts += [{"id": WON, "name": "Успешно реализовано", "sort": 10000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#CCFF66", "type": 0, "account_id": 29110001},
            {"id": LOST, "name": "Закрыто и не реализовано", "sort": 11000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#D5D8DB", "type": 0, "account_id": 29110001}]
    return {"_total_items": 1, "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": [{
                "id": PIPE, "name": "Покупка", "sort": 1, "is_main": True,
                "is_unsorted_on": True, "is_archive": False, "account_id": 29110001,
                "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines/{PIPE}"}},
                "_embedded": {"statuses": sts}}]}}


def pages(kind: str, items: list[dict], limit: int, path: str) -> list[dict]:
    out = []
    for i in range(0, len(items), limit):
        page = i // limit + 1
        base = f"{HOST}/api/v4/{path}?limit={limit}"
        links = {"self": {"href": f"{base}&page={page}"}}
        if i + limit < len(items):
            links["next"] = {"href": f"{base}&page={page + 1}"}
        if page > 1:
            links["prev"] = {"href": f"{base}&page={page - 1}"}
        out.append({"_page": page, "_links": links, "_embedded": {kind: items[i:i + limit]}})
    return out


def write(out: Path, seed: int = 2, cut: datetime | None = None) -> Account:
    """The export as of NOW, or as of `cut` (events after it left out, as an export taken
    a month earlier would have them — the leads keep their later fields)."""
    acc = build(seed)
    out.mkdir(parents=True, exist_ok=True)
    events = sorted(acc.events, key=lambda e: (-e["created_at"], e["id"]))
    leads = acc.leads
    if cut is not None:
        events = [e for e in events if e["created_at"] <= ts(cut)]
        leads = [lead for lead in leads if lead["created_at"] <= ts(cut)]
    ev_pages = pages("events", events, 100, "events")
    ev_pages.append(ev_pages[2])  # the export tool retried page 3
    ld_pages = pages("leads", leads, 250, "leads")
    if len(ld_pages) > 1:
        ld_pages.append(ld_pages[1])  # and leads page 2
    line = lambda p: json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"  # noqa: E731
    (out / "events.jsonl").write_text("".join(map(line, ev_pages)), encoding="utf-8")
    (out / "leads.jsonl").write_text("".join(map(line, ld_pages)), encoding="utf-8")
    (out / "pipelines.json").write_text(line(pipelines()), encoding="utf-8")
    (out / "users.json").write_text(line({"_total_items": 4, "_page": 1, "_links": {
        "self": {"href": f"{HOST}/api/v4/users?page=1&limit=250"}}, "_embedded": {"users": [
            {"id": uid, "name": name, "email": f"user{uid}@etazhi-ekb.example", "lang": "ru",
             "rights": {}, "_links": {"self": {"href": f"{HOST}/api/v4/users/{uid}"}}}
            for uid, name in USERS.items() if uid != ORLOVA]}}), encoding="utf-8")
    return acc


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("export")
    a = write(target)
    print(f"{len(a.leads)} leads, {len(a.events)} events -> {target}")
