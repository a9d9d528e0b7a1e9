"""A Moscow private clinic's Bitrix24 history with a planted story, written independently
of funnelc. Two categories: «Первичные» (new patients) and «Повторные» (returning ones);
a tenth of the new requests turn out to be returning patients and the administrator moves
the deal to «Повторные» (a category change, `TYPE_ID` 5, the same deal). The story:

* Марина Соколова gets 92 % of the booked patients to the consultation, the team 72 %;
* from September Продокторов sends four times as many requests, converting as it always
  did (mix), while Яндекс.Директ's requests book a consultation 35 % of the time instead
  of 60 % (rate);
* from September «Дорого» takes 45 % of the treatment plans above 150 000 ₽ (12 % below
  and before);
* July and August: 60 % of the requests and 15 points fewer patients at the
  consultation, for every administrator and source; Ольга Морозова, hired for the
  summer (15 June – 31 August), works only then.

Writes a Bitrix24 export folder (`bitrix24/`: crm.stagehistory.list, crm.deal.list,
crm.status.list, crm.category.list, user.get, crm.deal.userfield.list answers) and
`truth.json` with each deal's path."""
from __future__ import annotations

import json
import math
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 1, 12, tzinfo=MSK)
END = datetime(2026, 12, 1, tzinfo=MSK)
CHANGE = datetime(2026, 9, 1, tzinfo=MSK)
"""The last three months: Продокторов's growth, Яндекс.Директ's fall, «Дорого» on dear plans."""
MANAGERS = {"21": ("Анна", "Кузнецова"), "22": ("Марина", "Соколова"),
            "23": ("Екатерина", "Попова"), "24": ("Наталья", "Лебедева"),
            "25": ("Светлана", "Новикова"), "26": ("Ольга", "Морозова")}
STRONG = "22"
SUMMER_TEMP = "26"
TEMP_FROM, TEMP_TO = datetime(2026, 6, 15, tzinfo=MSK), datetime(2026, 9, 1, tzinfo=MSK)
# SOURCE_ID: (name, requests a week into «Первичные», share booking a consultation)
SOURCES = {"WEB": ("Сайт", 7.0, 0.55), "UC_YDIRECT": ("Яндекс.Директ", 8.0, 0.60),
           "CALL": ("Звонок", 5.0, 0.65), "RECOMMENDATION": ("Рекомендация", 3.0, 0.80),
           "UC_PRODOC": ("Продокторов", 2.0, 0.75)}
REPEAT_SOURCES = {"CALL": 3.0, "WEB": 1.5}
"""Returning patients' own requests into «Повторные», a week."""
PRIMARY = [("NEW", "Новая заявка"), ("PREPARATION", "Записан на консультацию"),
           ("PREPAYMENT_INVOICE", "Консультация проведена"), ("EXECUTING", "План лечения")]
REPEAT = [("C1:NEW", "Новое обращение"), ("C1:PREPARATION", "Записан на приём"),
          ("C1:EXECUTING", "Приём проведён")]
FINAL = {"0": (("WON", "Оплачено"), ("LOSE", "Провал")),
         "1": (("C1:WON", "Оплачено"), ("C1:LOSE", "Провал"))}
REASONS = {"41": "Не дозвонились", "42": "Передумал", "43": "Не пришёл", "44": "Дорого",
           "45": "Выбрал другую клинику", "46": "Лечение не нужно"}
RID = {v: k for k, v in REASONS.items()}
DEAR = 150_000
LOSS_FIELD = "UF_CRM_1701234567"

Event = tuple[datetime, str, str, str | None]
"""(time, category id, stage id, loss reason)."""


def summer(t: datetime) -> bool:
    return t.month in (7, 8)


def show_up(mgr: str, t: datetime) -> float:
    """Share of the booked patients who come to the consultation."""
    return (0.92 if mgr == STRONG else 0.72) - (0.15 if summer(t) else 0.0)


def primary_path(rng: random.Random, src: str, mgr: str, value: float,
                 t0: datetime) -> list[Event]:
    ev: list[Event] = [(t0, "0", "NEW", None)]
    t = t0 + timedelta(hours=rng.expovariate(1 / 6))
    if rng.random() < 0.10:  # a returning patient: moved to «Повторные»
        ev.append((t, "1", "C1:NEW", None))
        return ev + repeat_path(rng, t, start=False)
    book = SOURCES[src][2]
    if src == "UC_YDIRECT" and t0 >= CHANGE:
        book = 0.35
    if rng.random() >= book:
        ev.append((t, "0", "LOSE", "Не дозвонились" if rng.random() < 0.6 else "Передумал"))
        return ev
    ev.append((t, "0", "PREPARATION", None))
    t += timedelta(days=rng.uniform(1, 6))  # the consultation's date
    if rng.random() >= show_up(mgr, t):
        ev.append((t, "0", "LOSE", "Не пришёл"))
        return ev
    ev.append((t, "0", "PREPAYMENT_INVOICE", None))
    t += timedelta(hours=rng.expovariate(1 / 20))
    if rng.random() >= 0.80:
        ev.append((t, "0", "LOSE", "Лечение не нужно"))
        return ev
    ev.append((t, "0", "EXECUTING", None))
    t += timedelta(days=rng.expovariate(1 / 4))
    dear = 0.45 if value > DEAR and t0 >= CHANGE else 0.12
    u = rng.random()
    if u < dear:
        ev.append((t, "0", "LOSE", "Дорого"))
    elif u < dear + 0.10:
        ev.append((t, "0", "LOSE", "Выбрал другую клинику"))
    else:
        ev.append((t, "0", "WON", None))
    return ev


def repeat_path(rng: random.Random, t: datetime, start: bool = True) -> list[Event]:
    ev: list[Event] = [(t, "1", "C1:NEW", None)] if start else []
    t += timedelta(hours=rng.expovariate(1 / 4))
    if rng.random() >= 0.75:
        ev.append((t, "1", "C1:LOSE", "Передумал"))
        return ev
    ev.append((t, "1", "C1:PREPARATION", None))
    t += timedelta(days=rng.uniform(1, 5))
    if rng.random() >= 0.85:
        ev.append((t, "1", "C1:LOSE", "Не пришёл"))
        return ev
    ev.append((t, "1", "C1:EXECUTING", None))
    t += timedelta(days=rng.expovariate(1 / 2))
    ev.append((t, "1", "C1:WON", None) if rng.random() < 0.70
              else (t, "1", "C1:LOSE", "Дорого"))
    return ev


def _arrivals(rng: random.Random, per_week: float, boost: float = 1.0) -> Iterator[datetime]:
    t = START
    while True:
        rate = per_week * (0.6 if summer(t) else 1.0) * (boost if t >= CHANGE else 1.0)
        t += timedelta(days=rng.expovariate(rate / 7))
        if t >= END:
            return
        yield t.replace(hour=rng.randint(9, 19), minute=rng.randint(0, 59))


def _manager(rng: random.Random, t: datetime) -> str:
    on = [m for m in sorted(MANAGERS)
          if m != SUMMER_TEMP or TEMP_FROM <= t < TEMP_TO]
    return rng.choice(on)


def _pages(rows: list[dict], key: str | None) -> str:
    out = []
    for p in range(0, len(rows), 50):
        page: dict = {"result": {key: rows[p:p + 50]} if key else rows[p:p + 50],
                      "total": len(rows)}
        if p + 50 < len(rows):
            page["next"] = p + 50
        out.append(json.dumps(page, ensure_ascii=False))
    return "\n".join(out) + "\n"


def main(out: Path, seed: int = 2) -> None:
    rng = random.Random(seed)
    starts: list[tuple[datetime, str, str]] = []  # (created, category, source)
    for src, (_, per_week, _) in SOURCES.items():
        boost = 4.0 if src == "UC_PRODOC" else 1.0
        starts += [(t, "0", src) for t in _arrivals(rng, per_week, boost)]
    for src, per_week in REPEAT_SOURCES.items():
        starts += [(t, "1", src) for t in _arrivals(rng, per_week)]
    starts.sort()
    hist: list[dict] = []
    deals: list[dict] = []
    truth: list[dict] = []
    for i, (t0, cat0, src) in enumerate(starts):
        did = str(5000 + i)
        mgr = _manager(rng, t0)
        sigma = 0.6
        value = round(rng.lognormvariate(math.log(80_000) - sigma ** 2 / 2, sigma), -3)
        if cat0 == "1":
            value = round(value / 4, -2)
        path = (primary_path(rng, src, mgr, value, t0) if cat0 == "0"
                else repeat_path(rng, t0))
        path = [e for e in path if e[0] < END]
        prev_cat = cat0
        for k, (t, cat, st, _r) in enumerate(path):
            sem = "S" if st.endswith("WON") else "F" if st.endswith("LOSE") else "P"
            type_id = "1" if k == 0 else "5" if cat != prev_cat else "3" if sem != "P" else "2"
            prev_cat = cat
            hist.append({"ID": "", "TYPE_ID": type_id, "OWNER_ID": did,
                         "CREATED_TIME": t.isoformat(timespec="seconds"),
                         "CATEGORY_ID": cat, "STAGE_SEMANTIC_ID": sem, "STAGE_ID": st})
        t_last, cat, st, why = path[-1]
        la = t_last + timedelta(hours=rng.uniform(0, 30))
        la = min(la, END - timedelta(minutes=1))
        sem = "S" if st.endswith("WON") else "F" if st.endswith("LOSE") else "P"
        deals.append({"ID": did, "TITLE": f"Сделка #{did}",
                      "DATE_CREATE": t0.isoformat(timespec="seconds"), "CATEGORY_ID": cat,
                      "STAGE_ID": st, "STAGE_SEMANTIC_ID": sem,
                      "OPPORTUNITY": f"{value:.2f}", "CURRENCY_ID": "RUB", "SOURCE_ID": src,
                      "ASSIGNED_BY_ID": mgr, "LAST_ACTIVITY_TIME": la.isoformat(timespec="seconds"),
                      "DATE_MODIFY": la.isoformat(timespec="seconds"),
                      "MOVED_TIME": t_last.isoformat(timespec="seconds"), "MOVED_BY_ID": mgr,
                      LOSS_FIELD: RID[why] if why else ""})
        truth.append({"id": did, "source": (SOURCES.get(src) or ("Звонок" if src == "CALL"
                                                                 else "Сайт",))[0],
                      "manager": " ".join(MANAGERS[mgr]), "value": value,
                      "events": [(t.isoformat(), c, s, r) for t, c, s, r in path]})
    hist.sort(key=lambda h: (h["CREATED_TIME"], int(h["OWNER_ID"])))
    for n, h in enumerate(hist):
        h["ID"] = str(n + 1)
    bx = out / "bitrix24"
    bx.mkdir(parents=True, exist_ok=True)
    (bx / "stagehistory.jsonl").write_text(_pages(hist, "items"), encoding="utf-8")
    (bx / "deals.jsonl").write_text(_pages(deals, None), encoding="utf-8")
    statuses: list[dict] = []
    for cat, stages in (("0", PRIMARY), ("1", REPEAT)):
        entity = "DEAL_STAGE" if cat == "0" else f"DEAL_STAGE_{cat}"
        (won, won_name), (lose, lose_name) = FINAL[cat]
        rows = [(sid, name, None) for sid, name in stages] + [(won, won_name, "S"),
                                                              (lose, lose_name, "F")]
        for n, (sid, name, sem) in enumerate(rows):
            statuses.append({"ID": str(len(statuses) + 1), "ENTITY_ID": entity,
                             "STATUS_ID": sid, "NAME": name, "NAME_INIT": name,
                             "SORT": 10 * (n + 1), "SYSTEM": "Y" if sem else "N",
                             "CATEGORY_ID": cat, "SEMANTICS": sem,
                             "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(
                                 sem or "", "process")}})
    statuses += [{"ID": str(100 + n), "ENTITY_ID": "SOURCE", "STATUS_ID": sid, "NAME": v[0],
                  "SORT": 10 * (n + 1), "SYSTEM": "N"} for n, (sid, v) in enumerate(SOURCES.items())]
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [
            {"id": 0, "name": "Первичные", "sort": 100, "entityTypeId": 2, "isDefault": "Y"},
            {"id": 1, "name": "Повторные", "sort": 200, "entityTypeId": 2, "isDefault": "N"}]},
         "total": 2}, ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": last, "ACTIVE": True,
                     "WORK_POSITION": "Администратор"}
                    for k, (n, last) in MANAGERS.items()], "total": len(MANAGERS)},
        ensure_ascii=False), encoding="utf-8")
    (bx / "userfields.json").write_text(json.dumps(
        {"result": [{"ID": "512", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": LOSS_FIELD,
                     "USER_TYPE_ID": "enumeration", "MULTIPLE": "N", "MANDATORY": "N",
                     "EDIT_FORM_LABEL": "Причина отказа", "LIST_COLUMN_LABEL": "Причина отказа",
                     "LIST_FILTER_LABEL": "Причина отказа",
                     "LIST": [{"ID": k, "VALUE": v, "SORT": 10 * (n + 1), "DEF": "N"}
                              for n, (k, v) in enumerate(REASONS.items())]}], "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
