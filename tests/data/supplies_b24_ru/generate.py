"""A Yekaterinburg packaging wholesaler («УралТараСнаб»: stretch film, boxes, tape for
warehouses and shops) on Bitrix24, deals only, one pipeline («Продажи»), with a planted
story after issue 14 point 1 and seed 001 («щоб ліди не погіршували KPI, менеджер
відправляє ліда у програні»), written independently of funnelc:

* the account's whole history, 1 November 2024 – 1 November 2026: the key-account
  manager alone on Bitrix24 for the first year, the new-business team (four managers)
  from 1 November 2025;
* Ольга Сорокина («41») is the key-account manager: 22 regular clients (warehouses,
  chains) order every 30–60 days, each order a deal of the client's CONTACT_ID
  (source «Существующий клиент»). 22 % of her quotes are lost honestly at «КП
  отправлено» («Дорого», «Перенесли закупку», «Купили у конкурента»), and the client
  orders again at its usual interval all the same: its next order is a repeat purchase,
  not the lost quote revived;
* Денис Жуков («42») closes lukewarm new prospects as lost at «Расчёт КП» («Не
  актуально») to keep his figures: 70 % of his lukewarm prospects (45 % of all prospects
  are lukewarm). 60 % of those clients come back as a new deal of the same contact
  10–60 days later (warm by then), to whichever new-business manager takes it;
* Анна Лебедева, Игорь Панов, Марина Гусева («43»–«45») and Жуков take the new prospects
  (8 a week, from the site, calls, a trade show), honest losses at every stage (10 % at
  «Расчёт КП»; of the clients lost there or at «КП отправлено» honestly, 6 % come back
  within 20–150 days); a third of the
  prospects they win become repeat buyers who order from the same manager every 45–120
  days, with the regulars' 22 % of quotes lost.

Formats (Bitrix24 REST documentation, as tests/data/windows_b24_ru/generate.py):
`crm.stagehistory.list`, `crm.deal.list` (`CONTACT_ID`, `COMPANY_ID`, `SOURCE_ID`,
`ASSIGNED_BY_ID`, `OPPORTUNITY`, the loss-reason userfield's enum ID), `crm.status.list`
(deal stages and the `SOURCE` directory), `crm.category.list`, `user.get`,
`crm.deal.userfield.list`.

`write(out, seed)` writes `bitrix24/` and returns the deals (`Deal`): the tests count
the truth from them. `write(out, seed, orders_source="CALL")` is the same account whose
buyers' orders (the regulars' and the won prospects' next ones) carry an ordinary source
(«Звонок»: the client phoned the order in) instead of «Существующий клиент», as many
accounts keep them: the same draw, only `SOURCE_ID` differs, so nothing but the source
tells a buyer's order from a new client's request (tests/test_supplies_regulars.py)."""
from __future__ import annotations

import json
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

YEKT = ZoneInfo("Asia/Yekaterinburg")
OPENED = datetime(2024, 11, 1, tzinfo=YEKT)
START = datetime(2025, 11, 1, tzinfo=YEKT)
END = datetime(2026, 11, 1, tzinfo=YEKT)
KAM = "41"
CULPRIT = "42"
HUNTERS = ["42", "43", "44", "45"]
MANAGERS = {"41": ("Ольга", "Сорокина", "Менеджер по ключевым клиентам"),
            "42": ("Денис", "Жуков", "Менеджер по продажам"),
            "43": ("Анна", "Лебедева", "Менеджер по продажам"),
            "44": ("Игорь", "Панов", "Менеджер по продажам"),
            "45": ("Марина", "Гусева", "Менеджер по продажам")}
SOURCES = {"PARTNER": "Существующий клиент", "WEB": "Веб-сайт", "CALL": "Звонок",
           "TRADE_SHOW": "Выставка"}
STAGES = [("NEW", "Новая заявка"), ("PREPARATION", "Расчёт КП"),
          ("EXECUTING", "КП отправлено"), ("FINAL_INVOICE", "Счёт выставлен")]
WON, LOSE = ("WON", "Сделка успешна"), ("LOSE", "Сделка провалена")
REASONS = {"71": "Нецелевой запрос", "72": "Не актуально", "73": "Дорого",
           "74": "Перенесли закупку", "75": "Купили у конкурента", "76": "Не оплатили",
           "77": "Нет ответа"}
RID = {v: k for k, v in REASONS.items()}
LOSS_FIELD = "UF_CRM_1712345678"
REGULARS = 22
PROSPECTS_A_WEEK = 8.0
QUOTE_LOST = 0.22

Event = tuple[datetime, str, str | None]
"""(time, stage id, loss reason)."""


@dataclass
class Deal:
    id: str
    contact: str
    manager: str
    kind: str
    """regular (a key account's order), prospect (a new client's first request),
    returned (a prospect who came back after a loss), repeat (a won prospect's next
    order)."""
    value: float
    source: str
    path: list[Event] = field(default_factory=list)

    @property
    def created(self) -> datetime:
        return self.path[0][0]

    @property
    def won_at(self) -> datetime | None:
        return next((t for t, s, _ in self.path if s == "WON"), None)


def _pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    u = rng.random() * sum(w for _, w in options)
    for name, w in options:
        u -= w
        if u < 0:
            return name
    return options[-1][0]


def _work(t: datetime) -> datetime:
    """The moment moved into working hours (Mon–Fri 9–18): managers act then."""
    t = t.astimezone(YEKT)
    while t.weekday() >= 5 or not 9 <= t.hour < 18:
        if t.hour < 9 and t.weekday() < 5:
            t = t.replace(hour=9)
        else:
            t = (t + timedelta(days=1)).replace(hour=9)
    return t


def order_path(rng: random.Random, t0: datetime) -> list[Event]:
    """A known client's order: calculated and quoted at once; 22 % of quotes lost."""
    t = _work(t0)
    ev: list[Event] = [(t, "NEW", None)]
    t = _work(t + timedelta(hours=rng.expovariate(1 / 2)))
    ev.append((t, "PREPARATION", None))
    t = _work(t + timedelta(hours=rng.uniform(4, 48)))
    ev.append((t, "EXECUTING", None))
    t = _work(t + timedelta(days=rng.uniform(2, 10)))
    if rng.random() < QUOTE_LOST:
        why = _pick(rng, [("Дорого", 0.45), ("Перенесли закупку", 0.35),
                          ("Купили у конкурента", 0.2)])
        return ev + [(t, "LOSE", why)]
    ev.append((t, "FINAL_INVOICE", None))
    t = _work(t + timedelta(days=rng.uniform(1, 7)))
    return ev + [(t, "WON", None) if rng.random() < 0.97 else (t, "LOSE", "Не оплатили")]


def prospect_path(rng: random.Random, t0: datetime, manager: str, lukewarm: bool
                  ) -> tuple[list[Event], bool]:
    """A new client's request; whether it was closed as lost to keep the figures."""
    t = _work(t0)
    ev: list[Event] = [(t, "NEW", None)]
    t = _work(t + timedelta(hours=rng.expovariate(1 / 3)))
    if rng.random() < 0.08:
        return ev + [(t, "LOSE", "Нецелевой запрос")], False
    ev.append((t, "PREPARATION", None))
    t = _work(t + timedelta(days=rng.uniform(1, 5)))
    if manager == CULPRIT and lukewarm and rng.random() < 0.7:
        return ev + [(t, "LOSE", "Не актуально")], True
    if rng.random() < 0.10:
        return ev + [(t, "LOSE", _pick(rng, [("Не актуально", 0.6), ("Нет ответа", 0.4)]))
                     ], False
    ev.append((t, "EXECUTING", None))
    t = _work(t + timedelta(days=rng.uniform(2, 14)))
    if rng.random() < (0.45 if lukewarm else 0.20):
        why = _pick(rng, [("Дорого", 0.5), ("Купили у конкурента", 0.3), ("Нет ответа", 0.2)])
        return ev + [(t, "LOSE", why)], False
    ev.append((t, "FINAL_INVOICE", None))
    t = _work(t + timedelta(days=rng.uniform(1, 7)))
    return ev + [(t, "WON", None) if rng.random() < 0.92 else (t, "LOSE", "Не оплатили")], False


def _value(rng: random.Random, mean: float) -> float:
    sigma = 0.5
    return round(rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma), -2)


def draw(seed: int = 1, orders_source: str = "PARTNER") -> list[Deal]:
    rng = random.Random(seed)
    deals: list[Deal] = []
    ids = iter(range(5001, 100_000))

    def add(contact: str, manager: str, kind: str, mean: float, source: str,
            path: list[Event]) -> Deal:
        d = Deal("", contact, manager, kind, _value(rng, mean), source,
                 [e for e in path if e[0] < END])
        if d.path:  # a request of the last evening, taken after the export
            d.id = str(next(ids))
            deals.append(d)
        return d

    for c in range(REGULARS):
        contact = str(301 + c)
        t = OPENED + timedelta(days=rng.uniform(0, 45), hours=rng.uniform(9, 17))
        while t < END:
            add(contact, KAM, "regular", 180_000, orders_source, order_path(rng, t))
            t += timedelta(days=rng.uniform(30, 60))
    t = START
    n = 0
    while True:
        t += timedelta(days=rng.expovariate(PROSPECTS_A_WEEK / 7))
        if t >= END:
            break
        n += 1
        contact = str(1001 + n)
        mgr = rng.choice(HUNTERS)
        src = _pick(rng, [("WEB", 0.5), ("CALL", 0.35), ("TRADE_SHOW", 0.15)])
        lukewarm = rng.random() < 0.45
        path, premature = prospect_path(rng, t, mgr, lukewarm)
        d = add(contact, mgr, "prospect", 120_000, src, path)
        last = d.path[-1] if d.path else (t, "NEW", None)
        if last[1] == "LOSE" and len(d.path) in (3, 4):
            # Lost at «Расчёт КП» or «КП отправлено»: the premature ones come back 60 %
            # of the time, warm; the honest ones rarely.
            back = rng.random() < (0.6 if premature else 0.06)
            if back:
                tb = last[0] + (timedelta(days=rng.uniform(10, 60)) if premature
                                else timedelta(days=rng.uniform(20, 150)))
                if tb < END:
                    p2, _ = prospect_path(rng, tb, (m2 := rng.choice(HUNTERS)), False)
                    d = add(contact, m2, "returned", 120_000, "CALL", p2)
        if d.path and d.path[-1][1] == "WON" and rng.random() < 1 / 3:
            tr = d.path[-1][0] + timedelta(days=rng.uniform(45, 120))
            while tr < END:
                add(contact, d.manager, "repeat", 150_000, orders_source,
                    order_path(rng, tr))
                tr += timedelta(days=rng.uniform(45, 120))
    deals.sort(key=lambda d: (d.created, int(d.id)))
    return deals


def _pages(rows: list[dict], key: str | None) -> str:  # type: ignore[type-arg]
    out = []
    for p in range(0, len(rows), 50):
        page: dict = {"result": {key: rows[p:p + 50]} if key else rows[p:p + 50],  # type: ignore[type-arg]
                      "total": len(rows)}
        if p + 50 < len(rows):
            page["next"] = p + 50
        out.append(json.dumps(page, ensure_ascii=False))
    return "\n".join(out) + "\n"


def write(out: Path, seed: int = 1, orders_source: str = "PARTNER") -> list[Deal]:
    deals = draw(seed, orders_source)
    rng = random.Random(seed + 1000)
    hist: list[dict] = []  # type: ignore[type-arg]
    rows: list[dict] = []  # type: ignore[type-arg]
    for d in deals:
        for k, (t, st, _r) in enumerate(d.path):
            sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
            hist.append({"ID": "", "TYPE_ID": "1" if k == 0 else "3" if sem != "P" else "2",
                         "OWNER_ID": d.id, "CREATED_TIME": t.isoformat(timespec="seconds"),
                         "CATEGORY_ID": "0", "STAGE_SEMANTIC_ID": sem, "STAGE_ID": st})
        t_last, st, why = d.path[-1]
        la = min(t_last + timedelta(hours=rng.uniform(0, 30)), END - timedelta(minutes=1))
        sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
        rows.append({"ID": d.id, "TITLE": f"Заказ упаковки #{d.id}",
                     "DATE_CREATE": d.created.isoformat(timespec="seconds"),
                     "CATEGORY_ID": "0", "STAGE_ID": st, "STAGE_SEMANTIC_ID": sem,
                     "OPPORTUNITY": f"{d.value:.2f}", "CURRENCY_ID": "RUB",
                     "SOURCE_ID": d.source, "ASSIGNED_BY_ID": d.manager,
                     "CONTACT_ID": d.contact, "COMPANY_ID": str(int(d.contact) + 20_000),
                     "LAST_ACTIVITY_TIME": la.isoformat(timespec="seconds"),
                     "DATE_MODIFY": la.isoformat(timespec="seconds"),
                     LOSS_FIELD: RID[why] if why else ""})
    hist.sort(key=lambda h: (h["CREATED_TIME"], int(h["OWNER_ID"])))
    for n, h in enumerate(hist):
        h["ID"] = str(n + 1)
    bx = out / "bitrix24"
    bx.mkdir(parents=True, exist_ok=True)
    (bx / "stagehistory.jsonl").write_text(_pages(hist, "items"), encoding="utf-8")
    (bx / "deals.jsonl").write_text(_pages(rows, None), encoding="utf-8")
    st_rows = [(sid, name, None) for sid, name in STAGES] + [(*WON, "S"), (*LOSE, "F")]
    statuses = [{"ID": str(n + 1), "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": sid, "NAME": name,
                 "NAME_INIT": name, "SORT": 10 * (n + 1), "SYSTEM": "Y" if sem else "N",
                 "CATEGORY_ID": "0", "SEMANTICS": sem,
                 "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(sem or "",
                                                                            "process")}}
                for n, (sid, name, sem) in enumerate(st_rows)]
    statuses += [{"ID": str(100 + n), "ENTITY_ID": "SOURCE", "STATUS_ID": sid, "NAME": name,
                  "SORT": 10 * (n + 1), "SYSTEM": "Y"} for n, (sid, name) in
                 enumerate(SOURCES.items())]
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 0, "name": "Продажи", "sort": 100, "entityTypeId": 2,
                                    "isDefault": "Y"}]}, "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": last, "ACTIVE": True,
                     "WORK_POSITION": pos} for k, (n, last, pos) in MANAGERS.items()],
         "total": len(MANAGERS)}, ensure_ascii=False), encoding="utf-8")
    (bx / "userfields.json").write_text(json.dumps(
        {"result": [{"ID": "741", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": LOSS_FIELD,
                     "USER_TYPE_ID": "enumeration", "MULTIPLE": "N", "MANDATORY": "N",
                     "EDIT_FORM_LABEL": "Причина отказа", "LIST_COLUMN_LABEL": "Причина отказа",
                     "LIST_FILTER_LABEL": "Причина отказа",
                     "LIST": [{"ID": k, "VALUE": v, "SORT": 10 * (n + 1), "DEF": "N"}
                              for n, (k, v) in enumerate(REASONS.items())]}], "total": 1},
        ensure_ascii=False), encoding="utf-8")
    return deals


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1,
          sys.argv[3] if len(sys.argv) > 3 else "PARTNER")
