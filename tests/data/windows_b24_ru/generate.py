"""A Novosibirsk window and renovation firm («ОкнаСибСервис») on Bitrix24, deals only,
with a planted story after issue 14 («какой источник приносит мусор») and seed 003
(qualification falling: marketing's junk or sales' mistakes?). Written independently of
funnelc:

* 1 March – 31 October 2026 (8 months), one pipeline («Продажи»), four managers, four
  sources (`SOURCE_ID`): UC_YDIRECT «Яндекс Директ», UC_AVITO «Авито», WEB «Сайт»,
  RECOMMENDATION «Рекомендации»;
* Авито brings junk: 45 % of its requests are lost at «Новая заявка» as «Нецелевой»,
  «Спам» or «Не наш регион», against 8 % of every other source's, in every month (the
  share does not move: no period shift); 3 % of the requests that pass the first stage
  are found non-target at «Консультация» later, whatever their source;
* past the first stage every source converts alike: «Не дозвонились» and «Передумал» at
  «Консультация», «Дорого» at «Замер» and «КП отправлено», «Выбрал конкурента» at «КП
  отправлено», «Передумал» at «Договор».

Formats (Bitrix24 REST documentation, as tests/data/clinic_b24_ru/generate.py):
`crm.stagehistory.list` (`TYPE_ID` 1 created, 2 moved, 3 final; `CATEGORY_ID`,
`STAGE_ID`, `STAGE_SEMANTIC_ID` P/S/F), `crm.deal.list` (`SOURCE_ID`, `ASSIGNED_BY_ID`,
`OPPORTUNITY`, the loss-reason userfield's enum ID), `crm.status.list` (the deal stages
and the `SOURCE` directory), `crm.category.list`, `user.get`, `crm.deal.userfield.list`
(an enumeration labelled «Причина отказа»).

Writes `bitrix24/` and `truth.json`: each deal's source, manager, value and path
(time, stage id, loss reason)."""
from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

NSK = ZoneInfo("Asia/Novosibirsk")
START = datetime(2026, 3, 1, tzinfo=NSK)
END = datetime(2026, 11, 1, tzinfo=NSK)
MANAGERS = {"31": ("Алексей", "Кравцов"), "32": ("Елена", "Мороз"),
            "33": ("Сергей", "Белов"), "34": ("Татьяна", "Ким")}
# SOURCE_ID: (name in the SOURCE directory, requests a week, share of junk at the first stage)
SOURCES = {"UC_YDIRECT": ("Яндекс Директ", 6.0, 0.08), "UC_AVITO": ("Авито", 7.0, 0.45),
           "WEB": ("Сайт", 4.0, 0.08), "RECOMMENDATION": ("Рекомендации", 2.0, 0.08)}
JUNK = [("Нецелевой", 0.40), ("Спам", 0.35), ("Не наш регион", 0.25)]
STAGES = [("NEW", "Новая заявка"), ("PREPARATION", "Консультация"),
          ("PREPAYMENT_INVOICE", "Замер"), ("EXECUTING", "КП отправлено"),
          ("FINAL_INVOICE", "Договор")]
WON, LOSE = ("WON", "Сделка успешна"), ("LOSE", "Сделка провалена")
REASONS = {"61": "Нецелевой", "62": "Спам", "63": "Не наш регион", "64": "Не дозвонились",
           "65": "Передумал", "66": "Дорого", "67": "Выбрал конкурента"}
RID = {v: k for k, v in REASONS.items()}
LOSS_FIELD = "UF_CRM_1709876543"

Event = tuple[datetime, str, str | None]
"""(time, stage id, loss reason)."""


def _pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    u = rng.random() * sum(w for _, w in options)
    for name, w in options:
        u -= w
        if u < 0:
            return name
    return options[-1][0]


def path(rng: random.Random, src: str, t0: datetime) -> list[Event]:
    ev: list[Event] = [(t0, "NEW", None)]
    t = t0 + timedelta(hours=rng.expovariate(1 / 3))
    if rng.random() < SOURCES[src][2]:
        return ev + [(t, "LOSE", _pick(rng, JUNK))]
    ev.append((t, "PREPARATION", None))
    t += timedelta(hours=rng.uniform(4, 72))
    u = rng.random()
    if u < 0.03:
        return ev + [(t, "LOSE", "Нецелевой")]
    if u < 0.13:
        return ev + [(t, "LOSE", "Не дозвонились")]
    if u < 0.21:
        return ev + [(t, "LOSE", "Передумал")]
    ev.append((t, "PREPAYMENT_INVOICE", None))
    t += timedelta(days=rng.uniform(1, 5))
    u = rng.random()
    if u < 0.15:
        return ev + [(t, "LOSE", "Дорого")]
    ev.append((t, "EXECUTING", None))
    t += timedelta(days=rng.uniform(1, 3))
    u = rng.random()
    if u < 0.20:
        return ev + [(t, "LOSE", "Дорого")]
    if u < 0.35:
        return ev + [(t, "LOSE", "Выбрал конкурента")]
    ev.append((t, "FINAL_INVOICE", None))
    t += timedelta(days=rng.uniform(3, 14))
    return ev + [(t, "WON", None) if rng.random() < 0.85 else (t, "LOSE", "Передумал")]


def _arrivals(rng: random.Random, per_week: float) -> Iterator[datetime]:
    t = START
    while True:
        t += timedelta(days=rng.expovariate(per_week / 7))
        if t >= END:
            return
        yield t.replace(hour=rng.randint(8, 20), minute=rng.randint(0, 59))


def _pages(rows: list[dict], key: str | None) -> str:
    out = []
    for p in range(0, len(rows), 50):
        page: dict = {"result": {key: rows[p:p + 50]} if key else rows[p:p + 50],
                      "total": len(rows)}
        if p + 50 < len(rows):
            page["next"] = p + 50
        out.append(json.dumps(page, ensure_ascii=False))
    return "\n".join(out) + "\n"


def main(out: Path, seed: int = 3) -> None:
    rng = random.Random(seed)
    starts: list[tuple[datetime, str]] = []
    for src, (_, per_week, _) in SOURCES.items():
        starts += [(t, src) for t in _arrivals(rng, per_week)]
    starts.sort()
    hist: list[dict] = []
    deals: list[dict] = []
    truth: list[dict] = []
    for i, (t0, src) in enumerate(starts):
        did = str(7000 + i)
        mgr = rng.choice(sorted(MANAGERS))
        sigma = 0.5
        value = round(rng.lognormvariate(math.log(140_000) - sigma ** 2 / 2, sigma), -3)
        steps = [e for e in path(rng, src, t0) if e[0] < END]
        for k, (t, st, _r) in enumerate(steps):
            sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
            hist.append({"ID": "", "TYPE_ID": "1" if k == 0 else "3" if sem != "P" else "2",
                         "OWNER_ID": did, "CREATED_TIME": t.isoformat(timespec="seconds"),
                         "CATEGORY_ID": "0", "STAGE_SEMANTIC_ID": sem, "STAGE_ID": st})
        t_last, st, why = steps[-1]
        la = min(t_last + timedelta(hours=rng.uniform(0, 30)), END - timedelta(minutes=1))
        sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
        deals.append({"ID": did, "TITLE": f"Окна #{did}",
                      "DATE_CREATE": t0.isoformat(timespec="seconds"), "CATEGORY_ID": "0",
                      "STAGE_ID": st, "STAGE_SEMANTIC_ID": sem,
                      "OPPORTUNITY": f"{value:.2f}", "CURRENCY_ID": "RUB", "SOURCE_ID": src,
                      "ASSIGNED_BY_ID": mgr, "LAST_ACTIVITY_TIME": la.isoformat(timespec="seconds"),
                      "DATE_MODIFY": la.isoformat(timespec="seconds"),
                      LOSS_FIELD: RID[why] if why else ""})
        truth.append({"id": did, "source": SOURCES[src][0],
                      "manager": " ".join(MANAGERS[mgr]), "value": value,
                      "events": [(t.isoformat(), s, r) for t, s, r in steps]})
    hist.sort(key=lambda h: (h["CREATED_TIME"], int(h["OWNER_ID"])))
    for n, h in enumerate(hist):
        h["ID"] = str(n + 1)
    bx = out / "bitrix24"
    bx.mkdir(parents=True, exist_ok=True)
    (bx / "stagehistory.jsonl").write_text(_pages(hist, "items"), encoding="utf-8")
    (bx / "deals.jsonl").write_text(_pages(deals, None), encoding="utf-8")
    rows = [(sid, name, None) for sid, name in STAGES] + [(*WON, "S"), (*LOSE, "F")]
    statuses = [{"ID": str(n + 1), "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": sid, "NAME": name,
                 "NAME_INIT": name, "SORT": 10 * (n + 1), "SYSTEM": "Y" if sem else "N",
                 "CATEGORY_ID": "0", "SEMANTICS": sem,
                 "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(sem or "", "process")}}
                for n, (sid, name, sem) in enumerate(rows)]
    statuses += [{"ID": str(100 + n), "ENTITY_ID": "SOURCE", "STATUS_ID": sid, "NAME": v[0],
                  "SORT": 10 * (n + 1), "SYSTEM": "N"} for n, (sid, v) in enumerate(SOURCES.items())]
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 0, "name": "Продажи", "sort": 100, "entityTypeId": 2,
                                    "isDefault": "Y"}]}, "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": last, "ACTIVE": True,
                     "WORK_POSITION": "Менеджер"} for k, (n, last) in MANAGERS.items()],
         "total": len(MANAGERS)}, ensure_ascii=False), encoding="utf-8")
    (bx / "userfields.json").write_text(json.dumps(
        {"result": [{"ID": "731", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": LOSS_FIELD,
                     "USER_TYPE_ID": "enumeration", "MULTIPLE": "N", "MANDATORY": "N",
                     "EDIT_FORM_LABEL": "Причина отказа", "LIST_COLUMN_LABEL": "Причина отказа",
                     "LIST_FILTER_LABEL": "Причина отказа",
                     "LIST": [{"ID": k, "VALUE": v, "SORT": 10 * (n + 1), "DEF": "N"}
                              for n, (k, v) in enumerate(REASONS.items())]}], "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
