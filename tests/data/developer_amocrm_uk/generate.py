"""A Kyiv developer's amoCRM export with a story known in advance (the consultant's pass
on premature losses that come back as a NEW lead of the same client, issue 14 point 1,
seed 001: «щоб ліди не погіршували KPI, менеджер просто відправляє такого ліда у
програні угоди. Але насправді цей лід має потенціал»; `tests/test_developer_uk_*.py`).

Story (months in Europe/Kyiv, February–October 2026, export of 2026-11-30):
* «Продаж квартир»: Нова заявка → Кваліфікація → Зустріч призначена → Зустріч відбулася
  → Бронь → Договір → won. 110 new clients a month, each its own contact, handed round
  the five managers in turn.
* Коваленко Олена (4002) closes 40 % of her deals at «Зустріч відбулася» as lost within
  2–14 days («Не актуально» / «Думає»), the others 12 %. 35 % of her clients closed so
  come back 30–90 days later as a NEW lead of the same contact (amoCRM makes one for a
  known contact's call or form), taken by any of the five managers; every other loss at
  «Зустріч відбулася» comes back so 5 % of the time, a loss at another stage 3 % (30–150
  days). 10 % of the other managers' later losses at «Зустріч відбулася» («Дорого»,
  «Купив в іншого забудовника») whose client made no new lead are the same lead reopened
  to «Бронь» 10–40 days later. 10 % of the other losses of February–March come back
  only after 200–260 days: a new purchase, past any comeback window.
* A lead that comes back is a client's second chance and does not come back again.
* A fifth of the leads list a second contact (the spouse) first, `is_main` false.
* Prices in hryvnias, 1.6–6.5 million; every lead priced.
* Pages: events 100 a page, newest first; leads 250 a page with `_embedded.contacts`.

Run: python tests/data/developer_amocrm_uk/generate.py [OUT_DIR]  (default: export/ beside it)
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=KYIV)
PIPE = 7300001
PIPE_NAME = "Продаж квартир"
STAGES = ["Нова заявка", "Кваліфікація", "Зустріч призначена", "Зустріч відбулася", "Бронь",
          "Договір"]
ST = {n: 71000001 + i for i, n in enumerate(STAGES)}
WON, LOST = 142, 143
MEETING = "Зустріч відбулася"
REASONS = {"Не відповідає": 701, "Не цільовий": 702, "Не прийшов на зустріч": 703,
           "Не актуально": 704, "Думає": 705, "Дорого": 706,
           "Купив в іншого забудовника": 707, "Не схвалили іпотеку": 708}
HEAD, KOVALENKO = 4001, 4002
USERS = {HEAD: "Керівник відділу продажів", KOVALENKO: "Коваленко Олена",
         4003: "Шевчук Андрій", 4004: "Бондар Ірина", 4005: "Мельник Олег",
         4006: "Ткаченко Марія"}
TEAM = [KOVALENKO, 4003, 4004, 4005, 4006]
MONTHS = [(2026, m) for m in range(2, 11)]
PER_MONTH = 110
EARLY_LOSS = {KOVALENKO: 0.40}
"""Share of a manager's deals at «Зустріч відбулася» closed early as lost (others 12 %)."""
BACK_EARLY = 0.35
"""Share of Коваленко's early losses whose client comes back as a new lead."""
BACK_OTHER, BACK_ELSEWHERE, REOPEN, LATE = 0.05, 0.03, 0.10, 0.10
HOST = "https://zhk-dnipro.amocrm.ua"
ACCOUNT = 31550001


def ts(d: datetime) -> int:
    return int(d.timestamp())


@dataclass
class Deal:
    """The generator's own record of one lead: what the tests count by hand."""
    lid: int
    contact: int
    created: datetime
    price: int
    owner: int
    path: list[tuple[datetime, int, str]] = field(default_factory=list)
    """(time, created_by, to) of each status change: a stage name, "won" or "lost"."""
    reason: str | None = None
    """The lead's loss reason in the export (its last loss's, if it ends lost)."""
    back_of: int | None = None
    """The lead this one is the client's return for (its `lid`)."""
    spouse: int | None = None


@dataclass
class Account:
    rng: random.Random
    deals: list[Deal] = field(default_factory=list)
    leads: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    next_lead: int = 52000001
    next_contact: int = 91000001
    next_event: int = 1

    def event(self, lead: int, who: int, when: datetime, before: int, after: int) -> None:
        eid = f"01js{self.next_event:022d}"
        self.next_event += 1
        self.events.append({
            "id": eid, "type": "lead_status_changed", "entity_id": lead,
            "entity_type": "lead", "created_by": who, "created_at": ts(when),
            "value_after": [{"lead_status": {"id": after, "pipeline_id": PIPE}}],
            "value_before": [{"lead_status": {"id": before, "pipeline_id": PIPE}}],
            "account_id": ACCOUNT,
            "_links": {"self": {"href": f"{HOST}/api/v4/events/{eid}"}},
            "_embedded": {"entity": {"id": lead, "_links": {"self": {
                "href": f"{HOST}/api/v4/leads/{lead}"}}}}})


def sid(to: str) -> int:
    return WON if to == "won" else LOST if to == "lost" else ST[to]


def new_deal(acc: Account, created: datetime, owner: int, contact: int | None = None,
             back_of: int | None = None) -> Deal:
    r = acc.rng
    if contact is None:
        contact = acc.next_contact
        acc.next_contact += 1
    d = Deal(acc.next_lead, contact, created, r.randrange(1600, 6501) * 1000, owner,
             back_of=back_of)
    acc.next_lead += 1
    if r.random() < 0.2:
        d.spouse = acc.next_contact
        acc.next_contact += 1
    acc.deals.append(d)
    return d


def simulate(acc: Account, d: Deal) -> list[tuple[datetime, int]]:
    """The lead's path; returns the comebacks it causes: (when, contact)."""
    r = acc.rng
    o = d.owner
    t = d.created
    back: list[tuple[datetime, int]] = []

    def lose(at: datetime, reason: str, chance: float, lo: float, hi: float) -> None:
        d.path.append((at, o, "lost"))
        d.reason = reason
        if d.back_of is None and r.random() < chance:
            back.append((at + timedelta(days=r.uniform(lo, hi)), d.contact))
        elif d.back_of is None and at.month <= 3 and r.random() < LATE:
            back.append((at + timedelta(days=r.uniform(200, 260)), d.contact))

    for stage, nxt, p_loss, reason, lo, hi in (
            ("Нова заявка", "Кваліфікація", 0.15, "Не відповідає", 0.1, 2),
            ("Кваліфікація", "Зустріч призначена", 0.15, "Не цільовий", 1, 5),
            ("Зустріч призначена", MEETING, 0.15, "Не прийшов на зустріч", 2, 10)):
        t += timedelta(days=r.uniform(lo, hi))
        if r.random() < p_loss:
            lose(t, reason, BACK_ELSEWHERE, 30, 150)
            return back
        d.path.append((t, o, nxt))
    early = EARLY_LOSS.get(o, 0.12)
    if r.random() < early:
        t += timedelta(days=r.uniform(2, 14))
        lose(t, r.choice(["Не актуально", "Думає"]),
             BACK_EARLY if o == KOVALENKO else BACK_OTHER, 30, 90)
        return back
    t += timedelta(days=r.uniform(5, 30))
    if r.random() < 0.2:
        lose(t, r.choice(["Дорого", "Купив в іншого забудовника"]), BACK_OTHER, 30, 90)
        if o == KOVALENKO or back or d.back_of is not None or r.random() >= REOPEN:
            return back
        # The same lead reopened: the client called the manager back.
        t += timedelta(days=r.uniform(10, 40))
        d.reason = None
    d.path.append((t, o, "Бронь"))
    t += timedelta(days=r.uniform(3, 20))
    if r.random() < 0.15:
        lose(t, "Не схвалили іпотеку", BACK_ELSEWHERE, 30, 150)
        return back
    d.path.append((t, o, "Договір"))
    t += timedelta(days=r.uniform(5, 25))
    d.path.append((t, o, "won"))
    return back


def build(seed: int = 1) -> Account:
    acc = Account(random.Random(seed))
    r = acc.rng
    k = 0
    fresh: list[Deal] = []
    for y, m in MONTHS:
        start = datetime(y, m, 1, tzinfo=KYIV)
        end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=KYIV)
        span = (end - start).total_seconds()
        for t in sorted(start + timedelta(seconds=r.uniform(3 * 3600, span - 3 * 3600))
                        for _ in range(PER_MONTH)):
            fresh.append(new_deal(acc, t, TEAM[k % len(TEAM)]))
            k += 1
    for d in fresh:
        for when, contact in simulate(acc, d):
            if when <= NOW:
                simulate(acc, new_deal(acc, when, r.choice(TEAM), contact, d.lid))
    for d in acc.deals:
        d.path = [p for p in d.path if p[0] <= NOW]
        if not d.path or d.path[-1][2] != "lost":
            d.reason = None
        record(acc, d)
    return acc


def record(acc: Account, d: Deal) -> None:
    last = d.path[-1][2] if d.path else STAGES[0]
    closed = d.path[-1][0] if last in ("won", "lost") else None
    updated = d.path[-1][0] if d.path else d.created
    contacts = [{"id": d.contact, "is_main": True,
                 "_links": {"self": {"href": f"{HOST}/api/v4/contacts/{d.contact}"}}}]
    if d.spouse is not None:
        contacts.insert(0, {"id": d.spouse, "is_main": False, "_links": {"self": {
            "href": f"{HOST}/api/v4/contacts/{d.spouse}"}}})
    rec: dict = {
        "id": d.lid, "name": f"Квартира, угода #{d.lid}", "price": d.price,
        "responsible_user_id": d.owner, "group_id": 0, "status_id": sid(last),
        "pipeline_id": PIPE, "loss_reason_id": REASONS[d.reason] if d.reason else None,
        "created_by": 0, "updated_by": d.owner, "created_at": ts(d.created),
        "updated_at": ts(updated), "closed_at": ts(closed) if closed else None,
        "closest_task_at": None, "is_deleted": False, "custom_fields_values": None,
        "score": None, "account_id": ACCOUNT, "labor_cost": None,
        "_links": {"self": {"href": f"{HOST}/api/v4/leads/{d.lid}"}},
        "_embedded": {"tags": [], "companies": [], "contacts": contacts}}
    if d.reason:
        rec["_embedded"]["loss_reason"] = [{
            "id": REASONS[d.reason], "name": d.reason, "sort": 100000,
            "created_at": 1577836800, "updated_at": 1577836800,
            "_links": {"self": {"href": f"{HOST}/api/v4/leads/loss_reasons/{REASONS[d.reason]}"}}}]
    acc.leads.append(rec)
    cur = ST[STAGES[0]]
    for when, user, to in d.path:
        acc.event(d.lid, user, when, cur, sid(to))
        cur = sid(to)


def pipelines() -> dict:
    sts = [{"id": ST[n], "name": n, "sort": 10 * (i + 1), "is_editable": True,
            "pipeline_id": PIPE, "color": "#99ccff", "type": 0, "account_id": ACCOUNT}
           for i, n in enumerate(STAGES)]
    sts += [{"id": WON, "name": "Успішно реалізовано", "sort": 10000, "is_editable": False,
             "pipeline_id": PIPE, "color": "#CCFF66", "type": 0, "account_id": ACCOUNT},
            {"id": LOST, "name": "Закрито і не реалізовано", "sort": 11000,
             "is_editable": False, "pipeline_id": PIPE, "color": "#D5D8DB", "type": 0,
             "account_id": ACCOUNT}]
    return {"_total_items": 1, "_links": {"self": {"href": f"{HOST}/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": [{
                "id": PIPE, "name": PIPE_NAME, "sort": 1, "is_main": True,
                "is_unsorted_on": False, "is_archive": False, "account_id": ACCOUNT,
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
        out.append({"_page": page, "_links": links, "_embedded": {kind: items[i:i + limit]}})
    return out


def write(out: Path, seed: int = 1) -> Account:
    acc = build(seed)
    out.mkdir(parents=True, exist_ok=True)
    events = sorted(acc.events, key=lambda e: (-e["created_at"], e["id"]))
    line = lambda p: json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n"  # noqa: E731
    (out / "events.jsonl").write_text(
        "".join(map(line, pages("events", events, 100, "events"))), encoding="utf-8")
    (out / "leads.jsonl").write_text(
        "".join(map(line, pages("leads", acc.leads, 250, "leads?with=contacts"))),
        encoding="utf-8")
    (out / "pipelines.json").write_text(line(pipelines()), encoding="utf-8")
    (out / "users.json").write_text(line({"_total_items": len(USERS), "_page": 1, "_links": {
        "self": {"href": f"{HOST}/api/v4/users?page=1&limit=250"}}, "_embedded": {"users": [
            {"id": uid, "name": name, "email": f"user{uid}@zhk-dnipro.example", "lang": "uk",
             "rights": {}, "_links": {"self": {"href": f"{HOST}/api/v4/users/{uid}"}}}
            for uid, name in USERS.items()]}}), encoding="utf-8")
    return acc


B24_STAGE = {n: f"C3:{k}" for n, k in zip(STAGES, (
    "NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "UC_CONTRACT"))}
B24_STAGE.update(won="C3:WON", lost="C3:LOSE")


def write_bitrix24(out: Path, acc: Account) -> None:
    """The same leads as a Bitrix24 account's deals (category 3 «Продаж квартир»): the
    client is the deal's CONTACT_ID, a lead's spouse is left out (a deal has one
    CONTACT_ID, the main one)."""
    out.mkdir(parents=True, exist_ok=True)
    hist, deals = [], []
    for d in acc.deals:
        steps = [(d.created, STAGES[0]), *((t, to) for t, _, to in d.path)]
        for k, (t, to) in enumerate(steps):
            sem = "S" if to == "won" else "F" if to == "lost" else "P"
            hist.append({"ID": str(len(hist) + 1),
                         "TYPE_ID": "1" if k == 0 else "3" if sem != "P" else "2",
                         "OWNER_ID": str(d.lid), "CREATED_TIME": t.isoformat(timespec="seconds"),
                         "CATEGORY_ID": "3", "STAGE_SEMANTIC_ID": sem, "STAGE_ID": B24_STAGE[to]})
        last = steps[-1][1]
        deals.append({"ID": str(d.lid), "TITLE": f"Квартира, угода #{d.lid}",
                      "DATE_CREATE": d.created.isoformat(timespec="seconds"), "CATEGORY_ID": "3",
                      "STAGE_ID": B24_STAGE[last],
                      "STAGE_SEMANTIC_ID": "S" if last == "won" else "F" if last == "lost" else "P",
                      "OPPORTUNITY": f"{d.price:.2f}", "CURRENCY_ID": "UAH",
                      "ASSIGNED_BY_ID": str(d.owner), "CONTACT_ID": str(d.contact)})
    hist.sort(key=lambda h: h["CREATED_TIME"])
    for i, h in enumerate(hist, 1):
        h["ID"] = str(i)

    def paged(items: list[dict], key: str | None) -> str:
        lines = []
        for p in range(0, len(items), 50):
            body = items[p:p + 50]
            page: dict = {"result": {key: body} if key else body, "total": len(items)}
            if p + 50 < len(items):
                page["next"] = p + 50
            lines.append(json.dumps(page, ensure_ascii=False) + "\n")
        return "".join(lines)

    (out / "stagehistory.jsonl").write_text(paged(hist, "items"), encoding="utf-8")
    (out / "deals.jsonl").write_text(paged(deals, None), encoding="utf-8")
    names = [*STAGES, "won", "lost"]
    statuses = [{"ID": str(i + 1), "ENTITY_ID": "DEAL_STAGE_3", "STATUS_ID": B24_STAGE[n],
                 "NAME": {"won": "Угода успішна", "lost": "Угода провалена"}.get(n, n),
                 "SORT": 10 * (i + 1), "SYSTEM": "N", "CATEGORY_ID": "3",
                 "SEMANTICS": {"won": "S", "lost": "F"}.get(n)} for i, n in enumerate(names)]
    (out / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                  ensure_ascii=False), encoding="utf-8")
    (out / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 3, "name": PIPE_NAME, "sort": 100,
                                    "entityTypeId": 2, "isDefault": "N"}]}},
        ensure_ascii=False), encoding="utf-8")
    (out / "users.json").write_text(json.dumps(
        {"result": [{"ID": str(k), "NAME": n.split()[1] if " " in n else n,
                     "LAST_NAME": n.split()[0] if " " in n else "", "ACTIVE": True}
                    for k, n in USERS.items()], "total": len(USERS)},
        ensure_ascii=False), encoding="utf-8")


def write_csv(path: Path, acc: Account) -> None:
    """The same leads as a spreadsheet of stage changes with the client's column
    («Клієнт»: the contact's id) and the manager's name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for d in acc.deals:
        for t, to in [(d.created, STAGES[0]), *((t, to) for t, _, to in d.path)]:
            stage = {"won": "Успішно реалізовано", "lost": "Закрито і не реалізовано"}.get(to, to)
            rows.append((t, d.lid, stage, d.reason if to == "lost" else "", d.contact,
                         USERS[d.owner], d.price))
    rows.sort(key=lambda r: (r[0], r[1]))
    lines = ["Угода;Дата;Воронка;Етап;Причина відмови;Клієнт;Відповідальний;Бюджет"]
    lines += [f"{lid};{t.isoformat(timespec='seconds')};{PIPE_NAME};{stage};{why or ''};"
              f"{contact};{who};{price}" for t, lid, stage, why, contact, who, price in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "export"
    acc = write(target)
    print(f"{len(acc.deals)} leads, {len(acc.events)} events -> {target}")
