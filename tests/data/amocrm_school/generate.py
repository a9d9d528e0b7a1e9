"""An online school's amoCRM export with a story known in advance (the Russian consultant's
audit pass, `tests/test_audit_amocrm_school.py`).

Story (months in Europe/Moscow, July–October 2026):
* «Продажи»: Заявка → Квалификация → Пробный урок → Оплата → won (142, moved by a robot,
  `created_by` 0); lost deals «Дорого» / «Не подошло время» from Квалификация and Пробный
  урок are copied (a new lead, by the robot) into «Прогрев»."Рассылка".
* Sources: «Сайт» (`_embedded.source`), «yandex» and «vk» (utm_source tracking field).
  Each source qualifies at a fixed rate every month (Сайт 70 %, yandex 50 %, vk 20 %,
  exactly, per month cohort) while vk's volume triples (40 → 120 leads a month): the
  team's Заявка → Квалификация fall is pure mix.
* A robot (`created_by` 0) moves every third lead into «Пробный урок» (a booking form)
  and every payment to won.
* Managers: 6. Петров Сергей takes half as many qualified deals to the trial lesson
  (30 % against 60 %); Кузнецов Дмитрий leaves on 2026-09-15, his open deals are handed
  to Соколова Мария (`entity_responsible_changed`); Новиков Павел has only 10 deals,
  working like the team.
* Loss reasons: fixed shares per stage, 3 of every 20 losses without a reason (15 %).
* Price 0 (no budget) on every 10th lead.
* «Пробный урок» buries 12 % of its deals: nobody touches them again.
* Some leads are created in the first hours of a month in Moscow (still the previous
  month in UTC).

Run: python tests/data/amocrm_school/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=MSK)
SALES, NURTURE = 8100001, 8100002
ST = {"Неразобранное": 71000001, "Заявка": 71000002, "Квалификация": 71000003,
      "Пробный урок": 71000004, "Оплата": 71000005}
NURT = {"Неразобранное": 72000001, "Рассылка": 72000002}
WON, LOST = 142, 143
REASONS = {"Нецелевой": 501, "Не отвечает": 502, "Дорого": 503, "Не подошло время": 504,
           "Не ответил": 505}
USERS = {1000: "Руководитель Отдела", 1001: "Иванова Анна", 1002: "Петров Сергей",
         1003: "Смирнова Ольга", 1004: "Кузнецов Дмитрий", 1005: "Соколова Мария",
         1006: "Новиков Павел"}
LEAVES = datetime(2026, 9, 15, 10, 0, tzinfo=MSK)
MONTHS = [(2026, 7), (2026, 8), (2026, 9), (2026, 10)]
VOLUME = {"Сайт": [60, 60, 60, 60], "yandex": [60, 60, 60, 60], "vk": [40, 60, 90, 120]}
QUALIFY = {"Сайт": 0.7, "yandex": 0.5, "vk": 0.2}
SITE_SOURCE = {"id": 9001, "name": "Сайт", "type": "form"}
# Losses at each stage: reason by position in a cycle of 20 (None: no reason, 3 of 20).
LOSS_CYCLE = {
    "Заявка": ["Нецелевой"] * 11 + ["Не отвечает"] * 6 + [None] * 3,
    "Квалификация": ["Дорого"] * 8 + ["Не подошло время"] * 9 + [None] * 3,
    "Пробный урок": ["Дорого"] * 10 + ["Не подошло время"] * 7 + [None] * 3,
    "Оплата": ["Дорого"] * 17 + [None] * 3,
}
COPIED = {"Дорого", "Не подошло время"}


def ts(d: datetime) -> int:
    return int(d.timestamp())


class Account:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.leads: list[dict] = []
        self.events: list[dict] = []
        self.next_lead = 30000001
        self.next_event = 1
        self.loss_counter = {k: 0 for k in LOSS_CYCLE}

    def event(self, lead: int, kind: str, who: int, when: datetime, before, after) -> None:
        eid = f"01hs{self.next_event:022d}"
        self.next_event += 1
        self.events.append({
            "id": eid, "type": kind, "entity_id": lead, "entity_type": "lead",
            "created_by": who, "created_at": ts(when), "value_after": after,
            "value_before": before, "account_id": 31337001,
            "_links": {"self": {"href": f"https://school.amocrm.ru/api/v4/events/{eid}"}},
            "_embedded": {"entity": {"id": lead, "_links": {"self": {
                "href": f"https://school.amocrm.ru/api/v4/leads/{lead}"}}}}})

    def move(self, lead: int, who: int, when: datetime, frm: tuple[int, int],
             to: tuple[int, int]) -> None:
        self.event(lead, "lead_status_changed", who, when,
                   [{"lead_status": {"id": frm[0], "pipeline_id": frm[1]}}],
                   [{"lead_status": {"id": to[0], "pipeline_id": to[1]}}])

    def lead(self, created: datetime, status: tuple[int, int], responsible: int,
             price: int, reason: str | None, source: str | None, updated: datetime,
             closed: datetime | None) -> int:
        lid = self.next_lead
        self.next_lead += 1
        rec: dict = {
            "id": lid, "name": f"Сделка #{lid}", "price": price,
            "responsible_user_id": responsible, "group_id": 0, "status_id": status[0],
            "pipeline_id": status[1], "loss_reason_id": REASONS[reason] if reason else None,
            "created_by": 0, "updated_by": responsible, "created_at": ts(created),
            "updated_at": ts(updated), "closed_at": ts(closed) if closed else None,
            "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
            "score": None, "account_id": 31337001, "labor_cost": None,
            "_links": {"self": {"href": f"https://school.amocrm.ru/api/v4/leads/{lid}"}},
            "_embedded": {"tags": [], "companies": []}}
        if reason:
            rec["_embedded"]["loss_reason"] = [{
                "id": REASONS[reason], "name": reason, "sort": 100000, "created_at": 1577836800,
                "updated_at": 1577836800, "_links": {"self": {
                    "href": f"https://school.amocrm.ru/api/v4/leads/loss_reasons/{REASONS[reason]}"}}}]
        if source == "Сайт":
            rec["_embedded"]["source"] = dict(SITE_SOURCE)
        elif source:
            rec["custom_fields_values"] = [{
                "field_id": 700001, "field_name": "utm_source", "field_code": "UTM_SOURCE",
                "field_type": "tracking_data", "values": [{"value": source}]}]
        self.leads.append(rec)
        return lid

    def loss_reason(self, stage: str) -> str | None:
        i = self.loss_counter[stage]
        self.loss_counter[stage] += 1
        return LOSS_CYCLE[stage][i % 20]

    def copy_to_nurture(self, when: datetime, who: int, price: int, source: str | None) -> None:
        r = self.rng
        entered = when + timedelta(minutes=1)
        if r.random() < 0.1:
            end, out, reason = entered + timedelta(days=r.uniform(3, 25)), WON, None
        else:
            end, out, reason = entered + timedelta(days=30), LOST, "Не ответил"
        done = end <= NOW
        status = (out if done else NURT["Рассылка"], NURTURE)
        lid = self.lead(entered, status, who, price, reason if done else None, source,
                        end if done else entered, end if done else None)
        if done:
            self.move(lid, 0, end, (NURT["Рассылка"], NURTURE), (out, NURTURE))


def created_times(rng: random.Random, year: int, month: int, n: int) -> list[datetime]:
    start = datetime(year, month, 1, tzinfo=MSK)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=MSK)
    span = (end - start).total_seconds()
    times = [start + timedelta(seconds=rng.uniform(3 * 3600, span - 3 * 3600)) for _ in range(n)]
    # Two leads of every source in the month's first three hours in Moscow: still the
    # previous month in UTC.
    for i in range(min(2, n)):
        times[i] = start + timedelta(minutes=rng.uniform(5, 170))
    return sorted(times)


def build(seed: int = 3) -> Account:
    acc = Account(seed)
    r = acc.rng
    managers_all = [1001, 1002, 1003, 1004, 1005]
    novikov_left = 10
    plans = []
    for mi, (y, m) in enumerate(MONTHS):
        for src in ("Сайт", "yandex", "vk"):
            n = VOLUME[src][mi]
            times = created_times(r, y, m, n)
            order = list(range(n))
            r.shuffle(order)
            qualified = set(order[:round(n * QUALIFY[src])])
            for i, t in enumerate(times):
                plans.append((t, src, i in qualified))
    plans.sort(key=lambda p: p[0])
    for k, (t, src, qualifies) in enumerate(plans):
        team = [u for u in managers_all if not (u == 1004 and t >= LEAVES)]
        if novikov_left and k % 40 == 7:
            who = 1006
            novikov_left -= 1
        else:
            who = team[k % len(team)]
        simulate(acc, t, src, qualifies, who)
    return acc


def simulate(acc: Account, created: datetime, src: str, qualifies: bool, who: int) -> None:
    r = acc.rng
    price = 0 if (acc.next_lead % 10 == 0) else r.choice([30000, 45000, 60000])
    owner = who
    handed: datetime | None = None
    path: list[tuple[datetime, int, str]] = []  # (time, by, to stage or won/lost)

    def by(when: datetime) -> int:
        nonlocal owner, handed
        if owner == 1004 and when >= LEAVES and handed is None:
            handed = LEAVES
            owner = 1005
        return owner

    t = created + timedelta(hours=r.expovariate(1 / 24))
    reason: str | None = None
    copied = False
    if qualifies:
        path.append((t, by(t), "Квалификация"))
        t += timedelta(hours=r.expovariate(1 / 48))
        trial_rate = 0.3 if owner == 1002 else 0.6
        if r.random() < trial_rate:
            # Every third lead books the trial lesson through the school's form: the robot
            # moves it (created_by 0), for whoever is responsible then.
            mover = by(t)
            path.append((t, 0 if acc.next_lead % 3 == 0 else mover, "Пробный урок"))
            if r.random() >= 0.12:  # else buried: nobody moves it again
                t += timedelta(hours=r.expovariate(1 / 96))
                if r.random() < 0.6:
                    path.append((t, by(t), "Оплата"))
                    t += timedelta(hours=r.expovariate(1 / 72))
                    if r.random() < 0.8:
                        path.append((t, 0, "won"))
                    else:
                        reason = acc.loss_reason("Оплата")
                        path.append((t, by(t), "lost"))
                else:
                    reason = acc.loss_reason("Пробный урок")
                    path.append((t, by(t), "lost"))
                    copied = reason in COPIED
        else:
            reason = acc.loss_reason("Квалификация")
            path.append((t, by(t), "lost"))
            copied = reason in COPIED
    else:
        reason = acc.loss_reason("Заявка")
        path.append((t, by(t), "lost"))
    path = [p for p in path if p[0] <= NOW]
    if handed is None and owner == 1004 and NOW >= LEAVES:
        # When a user leaves, amoCRM hands all his leads over, closed ones too.
        owner, handed = 1005, LEAVES
    last = path[-1][2] if path else "Заявка"
    status = (WON if last == "won" else LOST if last == "lost" else ST[last], SALES)
    closed = path[-1][0] if last in ("won", "lost") else None
    updated = path[-1][0] if path else created
    if handed and handed > updated:
        updated = handed
    lid = acc.lead(created, status, owner, price, reason if last == "lost" else None, src,
                   updated, closed)
    cur = (ST["Заявка"], SALES)
    for when, user, to in path:
        nxt = (WON if to == "won" else LOST if to == "lost" else ST[to], SALES)
        acc.move(lid, user, when, cur, nxt)
        cur = nxt
    if handed:
        acc.event(lid, "entity_responsible_changed", 1000, handed,
                  [{"responsible_user": {"id": 1004}}], [{"responsible_user": {"id": 1005}}])
    if copied and last == "lost":
        acc.copy_to_nurture(path[-1][0], owner, price, src)


def pipelines() -> dict:
    def status(sid: int, name: str, sort: int, pid: int, typ: int = 0, color: str = "#99ccff",
               editable: bool = True) -> dict:
        return {"id": sid, "name": name, "sort": sort, "is_editable": editable,
                "pipeline_id": pid, "color": color, "type": typ, "account_id": 31337001,
                "_links": {"self": {"href": f"https://school.amocrm.ru/api/v4/leads/pipelines/{pid}/statuses/{sid}"}}}

    def pipe(pid: int, name: str, sort: int, main: bool, stages: dict[str, int]) -> dict:
        sts = [status(stages["Неразобранное"], "Неразобранное", 10, pid, 1, "#c1c1c1", False)]
        sts += [status(sid, n, 20 + 10 * i, pid) for i, (n, sid) in enumerate(
            (n, s) for n, s in stages.items() if n != "Неразобранное")]
        sts += [status(WON, "Успешно реализовано", 10000, pid, 0, "#CCFF66", False),
                status(LOST, "Закрыто и не реализовано", 11000, pid, 0, "#D5D8DB", False)]
        return {"id": pid, "name": name, "sort": sort, "is_main": main, "is_unsorted_on": True,
                "is_archive": False, "account_id": 31337001,
                "_links": {"self": {"href": f"https://school.amocrm.ru/api/v4/leads/pipelines/{pid}"}},
                "_embedded": {"statuses": sts}}

    return {"_total_items": 2, "_links": {"self": {"href": "https://school.amocrm.ru/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": [pipe(SALES, "Продажи", 1, True, ST),
                                        pipe(NURTURE, "Прогрев", 2, False, NURT)]}}


def pages(kind: str, items: list[dict], limit: int, path: str) -> list[dict]:
    out = []
    for i in range(0, len(items), limit):
        page = i // limit + 1
        base = f"https://school.amocrm.ru/api/v4/{path}?limit={limit}"
        links = {"self": {"href": f"{base}&page={page}"}}
        if i + limit < len(items):
            links["next"] = {"href": f"{base}&page={page + 1}"}
        if page > 1:
            links["prev"] = {"href": f"{base}&page={page - 1}"}
        out.append({"_page": page, "_links": links, "_embedded": {kind: items[i:i + limit]}})
    return out


def write(out: Path, seed: int = 3) -> Account:
    acc = build(seed)
    out.mkdir(parents=True, exist_ok=True)
    # The events API answers newest first.
    events = sorted(acc.events, key=lambda e: (-e["created_at"], e["id"]))
    dump = lambda name, doc: (out / name).write_text(  # noqa: E731
        json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    ev_pages = pages("events", events, 100, "events")
    (out / "events.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n" for p in ev_pages),
        encoding="utf-8")
    (out / "leads.jsonl").write_text(
        "".join(json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"
                for p in pages("leads", acc.leads, 250, "leads")), encoding="utf-8")
    dump("pipelines.json", pipelines())
    dump("users.json", {"_total_items": len(USERS), "_embedded": {"users": [
        {"id": uid, "name": name, "email": f"user{uid}@school.example", "lang": "ru",
         "rights": {}, "_links": {"self": {"href": f"https://school.amocrm.ru/api/v4/users/{uid}"}}}
        for uid, name in USERS.items()]}})
    dump("loss_reasons.json", {"_total_items": len(REASONS), "_embedded": {"loss_reasons": [
        {"id": rid, "name": name, "sort": 100000 + 10 * i, "created_at": 1577836800,
         "updated_at": 1577836800, "_links": {"self": {
             "href": f"https://school.amocrm.ru/api/v4/leads/loss_reasons/{rid}"}}}
        for i, (name, rid) in enumerate(REASONS.items())]}})
    return acc


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("export")
    a = write(target)
    print(f"{len(a.leads)} leads, {len(a.events)} events -> {target}")
