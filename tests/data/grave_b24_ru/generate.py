"""A Moscow corporate-training company's Bitrix24 history with a planted graveyard (issue 14
point 4, seed 000: «этап … — настоящее кладбище сделок»), written independently of funnelc.

One pipeline: «Новая заявка» → «Выявление потребностей» → «КП отправлено» → «Думают» →
«Договор и счёт» → won. Deals hoard in «Думают» for months. The story, drawn day by day
for each deal in «Думают» (its age `a` in the stage and the days `s` since its last call or
e-mail): it moves on to «Договор и счёт» with a daily chance `MOVE[a band] × TOUCH[s band]`,
is lost at `LOSE_DAY` a day (and at `CLEANUP_DAY` more once untouched 30+ days), and is
called or written to at its manager's daily rate, falling with its age. So the fresh
deals (under a week) move on about 40 % of the time, those 60+ days old about 2 %; the
deals touched in the last 14 days about 35 %, those untouched 30+ days about 3 %.

Every deal is drawn to its end, past the export's end (`END`): `truth.json` has each deal's
whole path, and its visit to «Думают» with the days of its activities, so the tests count
the true conversions without the censoring the export has.

Writes a Bitrix24 export folder (`bitrix24/`: crm.stagehistory.list, crm.deal.list,
crm.status.list, crm.category.list, user.get, crm.deal.userfield.list and
crm.activity.list answers) and `truth.json`."""
from __future__ import annotations

import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
START = datetime(2026, 4, 1, tzinfo=MSK)
END = datetime(2026, 12, 1, tzinfo=MSK)
HORIZON_DAYS = 720
"""How far past the start a deal's path is drawn: to its end, whatever the export sees."""
MANAGERS = {"11": ("Ирина", "Волкова", 0.30), "12": ("Дмитрий", "Орлов", 0.22),
            "13": ("Алексей", "Смирнов", 0.15), "14": ("Ольга", "Зайцева", 0.10)}
"""ID: first name, last name, daily chance of calling or writing a fresh deal in «Думают»."""
SOURCES = {"WEB": ("Сайт", 6.0), "CALL": ("Звонок", 4.0),
           "RECOMMENDATION": ("Рекомендация", 2.0), "UC_EXPO": ("Выставка", 2.0)}
"""SOURCE_ID: name, deals a week."""
STAGES = [("NEW", "Новая заявка"), ("PREPARATION", "Выявление потребностей"),
          ("PREPAYMENT_INVOICE", "КП отправлено"), ("EXECUTING", "Думают"),
          ("FINAL_INVOICE", "Договор и счёт")]
WON, LOSE = ("WON", "Сделка успешна"), ("LOSE", "Сделка провалена")
THINK = "EXECUTING"
REASONS = {"61": "Не дозвонились", "62": "Нет потребности", "63": "Дорого",
           "64": "Не отвечает", "65": "Выбрали другого", "66": "Передумали"}
RID = {v: k for k, v in REASONS.items()}
LOSS_FIELD = "UF_CRM_1712345678"

AGE_BANDS = (0, 7, 30, 60)
MOVE = (0.025, 0.006, 0.002, 0.0003)
"""Daily chance of moving on from «Думают» by age band (0–7, 7–30, 30–60, 60+ days)…"""
TOUCH_BANDS = (0, 14, 30)
TOUCH = (2.0, 0.4, 0.1)
"""…times this by the days since the last activity (under 14, 14–30, 30+)."""
LOSE_DAY = 0.005
CLEANUP_DAY = 0.003

Event = tuple[datetime, str, str | None]
"""(time, stage id, loss reason)."""


def _band(x: float, bands: tuple[int, ...]) -> int:
    return max(i for i, lo in enumerate(bands) if x >= lo)


def think(rng: random.Random, mgr: str, t0: datetime) -> tuple[list[float], float, str]:
    """A visit to «Думают» from `t0`, drawn day by day: the days of its activities (from
    the entry), the day it ended and how ("FINAL_INVOICE" or a loss reason)."""
    diligence = MANAGERS[mgr][2]
    acts = [0.0]  # the proposal's follow-up e-mail on entering
    day = 0
    while True:
        t = day + rng.random()
        s = day - acts[-1]
        move = MOVE[_band(day, AGE_BANDS)] * TOUCH[_band(s, TOUCH_BANDS)]
        lose = LOSE_DAY + (CLEANUP_DAY if s >= 30 else 0.0)
        u = rng.random()
        if u < move:
            return acts, t, "FINAL_INVOICE"
        if u < move + lose:
            why = "Не отвечает" if s >= 14 else rng.choice(["Дорого", "Выбрали другого"])
            return acts, t, why
        fade = 1.0 if day < 14 else 0.3 if day < 45 else 0.05
        if rng.random() < diligence * fade:
            acts.append(t)
        day += 1
        if day > HORIZON_DAYS:
            return acts, float(day), "Не отвечает"


def path(rng: random.Random, mgr: str, t0: datetime) -> tuple[list[Event], dict | None]:
    ev: list[Event] = [(t0, "NEW", None)]
    t = t0 + timedelta(hours=rng.expovariate(1 / 5))
    if rng.random() < 0.2:
        return ev + [(t, "LOSE", "Не дозвонились")], None
    ev.append((t, "PREPARATION", None))
    t += timedelta(days=rng.expovariate(1 / 2))
    if rng.random() < 0.25:
        return ev + [(t, "LOSE", "Нет потребности")], None
    ev.append((t, "PREPAYMENT_INVOICE", None))
    t += timedelta(days=rng.expovariate(1 / 3))
    if rng.random() < 0.1:
        return ev + [(t, "LOSE", "Дорого")], None
    ev.append((t, THINK, None))
    acts, d, how = think(rng, mgr, t)
    visit = {"entered": t.isoformat(), "activities": acts, "days": d, "moved": how ==
             "FINAL_INVOICE"}
    t += timedelta(days=d)
    if how != "FINAL_INVOICE":
        return ev + [(t, "LOSE", how)], visit
    ev.append((t, "FINAL_INVOICE", None))
    t += timedelta(days=rng.uniform(2, 10))
    ev.append((t, "WON", None) if rng.random() < 0.85 else (t, "LOSE", "Передумали"))
    return ev, visit


def _pages(rows: list[dict], key: str | None) -> str:
    out = []
    for p in range(0, len(rows), 50):
        page: dict = {"result": {key: rows[p:p + 50]} if key else rows[p:p + 50],
                      "total": len(rows)}
        if p + 50 < len(rows):
            page["next"] = p + 50
        out.append(json.dumps(page, ensure_ascii=False))
    return "\n".join(out) + "\n"


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def main(out: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    starts: list[tuple[datetime, str]] = []
    for src, (_, per_week) in SOURCES.items():
        t = START
        while True:
            t += timedelta(days=rng.expovariate(per_week / 7))
            if t >= END:
                break
            starts.append((t.replace(hour=rng.randint(9, 18), minute=rng.randint(0, 59)), src))
    starts.sort()
    hist: list[dict] = []
    deals: list[dict] = []
    activities: list[dict] = []
    truth: list[dict] = []
    for i, (t0, src) in enumerate(starts):
        did = str(3000 + i)
        mgr = rng.choice(sorted(MANAGERS))
        sigma = 0.5
        value = round(rng.lognormvariate(math.log(250_000) - sigma ** 2 / 2, sigma), -3)
        full, visit = path(rng, mgr, t0)
        seen = [e for e in full if e[0] < END]
        for k, (t, st, _r) in enumerate(seen):
            sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
            hist.append({"ID": "", "TYPE_ID": "1" if k == 0 else "3" if sem != "P" else "2",
                         "OWNER_ID": did, "CREATED_TIME": _iso(t), "CATEGORY_ID": "0",
                         "STAGE_SEMANTIC_ID": sem, "STAGE_ID": st})
        # Calls and e-mails: one at each move the export saw, and those of «Думают».
        touches = [t for t, _, _ in seen]
        if visit is not None:
            t_in = datetime.fromisoformat(visit["entered"])
            touches += [t_in + timedelta(days=a) for a in visit["activities"][1:]]
        touches = sorted(t for t in touches if t < END)
        for t in touches:
            kind = rng.choice(("2", "4"))  # 2 call, 4 e-mail
            activities.append({
                "ID": "", "OWNER_ID": did, "OWNER_TYPE_ID": "2", "TYPE_ID": kind,
                "PROVIDER_ID": "VOXIMPLANT_CALL" if kind == "2" else "CRM_EMAIL",
                "SUBJECT": "Звонок клиенту" if kind == "2" else "Письмо клиенту",
                "CREATED": _iso(t), "START_TIME": _iso(t), "END_TIME": _iso(t),
                "COMPLETED": "Y", "DIRECTION": "2", "RESPONSIBLE_ID": mgr,
                "AUTHOR_ID": mgr})
        t_last, st, why = seen[-1]
        sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
        deals.append({"ID": did, "TITLE": f"Обучение: сделка #{did}",
                      "DATE_CREATE": _iso(t0), "CATEGORY_ID": "0", "STAGE_ID": st,
                      "STAGE_SEMANTIC_ID": sem, "OPPORTUNITY": f"{value:.2f}",
                      "CURRENCY_ID": "RUB", "SOURCE_ID": src, "ASSIGNED_BY_ID": mgr,
                      "LAST_ACTIVITY_TIME": _iso(touches[-1]),
                      "DATE_MODIFY": _iso(max(touches[-1], t_last)),
                      "CLOSED": "Y" if sem != "P" else "N",
                      LOSS_FIELD: RID[why] if why else ""})
        truth.append({"id": did, "source": SOURCES[src][0],
                      "manager": " ".join(MANAGERS[mgr][:2]), "value": value,
                      "events": [(t.isoformat(), s, r) for t, s, r in full],
                      "think": visit})
    hist.sort(key=lambda h: (h["CREATED_TIME"], int(h["OWNER_ID"])))
    for n, h in enumerate(hist):
        h["ID"] = str(n + 1)
    activities.sort(key=lambda a: (a["CREATED"], int(a["OWNER_ID"])))
    for n, a in enumerate(activities):
        a["ID"] = str(90000 + n)
    bx = out / "bitrix24"
    bx.mkdir(parents=True, exist_ok=True)
    (bx / "stagehistory.jsonl").write_text(_pages(hist, "items"), encoding="utf-8")
    (bx / "deals.jsonl").write_text(_pages(deals, None), encoding="utf-8")
    (bx / "activities.jsonl").write_text(_pages(activities, None), encoding="utf-8")
    rows = [(sid, name, None) for sid, name in STAGES] + [(*WON, "S"), (*LOSE, "F")]
    statuses = [{"ID": str(n + 1), "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": sid, "NAME": name,
                 "NAME_INIT": name, "SORT": 10 * (n + 1), "SYSTEM": "Y" if sem else "N",
                 "CATEGORY_ID": "0", "SEMANTICS": sem,
                 "EXTRA": {"SEMANTICS": {"S": "success", "F": "failure"}.get(sem or "",
                                                                             "process")}}
                for n, (sid, name, sem) in enumerate(rows)]
    statuses += [{"ID": str(100 + n), "ENTITY_ID": "SOURCE", "STATUS_ID": sid, "NAME": v[0],
                  "SORT": 10 * (n + 1), "SYSTEM": "N"} for n, (sid, v) in enumerate(SOURCES.items())]
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 0, "name": "Продажи обучения", "sort": 100,
                                    "entityTypeId": 2, "isDefault": "Y"}]}, "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": last, "ACTIVE": True,
                     "WORK_POSITION": "Менеджер по продажам"}
                    for k, (n, last, _) in MANAGERS.items()], "total": len(MANAGERS)},
        ensure_ascii=False), encoding="utf-8")
    (bx / "userfields.json").write_text(json.dumps(
        {"result": [{"ID": "610", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": LOSS_FIELD,
                     "USER_TYPE_ID": "enumeration", "MULTIPLE": "N", "MANDATORY": "N",
                     "EDIT_FORM_LABEL": "Причина отказа", "LIST_COLUMN_LABEL": "Причина отказа",
                     "LIST_FILTER_LABEL": "Причина отказа",
                     "LIST": [{"ID": k, "VALUE": v, "SORT": 10 * (n + 1), "DEF": "N"}
                              for n, (k, v) in enumerate(REASONS.items())]}], "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
