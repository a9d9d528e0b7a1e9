"""A furniture maker's Bitrix24 history with a planted story, written independently of
funnelc: 5 managers, of whom Тарас Мельник loses twice as many deals at «Замір» and
closes lukewarm ones as lost that come back; Instagram qualifies worse after February;
«Інше» on 30 % of losses; «Думає» hoards deals. Writes a Bitrix24 export folder and a
plain CSV of the same events; also `truth.json` with each deal's path."""
from __future__ import annotations

import csv
import math
import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")
START = datetime(2026, 1, 5, tzinfo=KYIV)
END = datetime(2026, 7, 1, tzinfo=KYIV)
MANAGERS = {"11": ("Олена", "Коваленко"), "12": ("Андрій", "Шевченко"),
            "13": ("Ірина", "Бондаренко"), "14": ("Тарас", "Мельник"),
            "15": ("Оксана", "Ткаченко")}
WEAK = "14"
SOURCES = {"WEB": ("Сайт", 20, 80_000), "UC_INSTA": ("Instagram", 24, 60_000),
           "RECOMMENDATION": ("Рекомендації", 8, 100_000)}
STAGES = [("NEW", "Нова заявка"), ("PREPARATION", "Кваліфіковано"), ("UC_MEASURE", "Замір"),
          ("UC_CALC", "Розрахунок"), ("UC_THINK", "Думає"), ("UC_CONTRACT", "Договір"),
          ("EXECUTING", "Виробництво")]
NAME = dict(STAGES)
REASONS = {"1": "Нецільовий", "2": "Дорого", "3": "Неактуально", "4": "Обрали конкурента",
           "5": "Інше"}
RID = {v: k for k, v in REASONS.items()}


def reason(rng: random.Random, specific: str) -> str:
    return "Інше" if rng.random() < 0.30 else specific


def deal_path(rng: random.Random, src: str, mgr: str, t0: datetime) -> list[tuple[datetime, str, str | None]]:
    """Events (time, stage id or WON/LOSE, reason) of one deal from its creation."""
    ev: list[tuple[datetime, str, str | None]] = [(t0, "NEW", None)]
    t = t0
    def at(days: float) -> datetime:
        return t + timedelta(days=days)
    # Нова заявка: Instagram qualifies 65 % in Jan-Feb, 30 % from March
    q = {"WEB": 0.65, "RECOMMENDATION": 0.80}.get(src, 0.65 if t0.month <= 2 else 0.30)
    t = at(rng.expovariate(1.0))
    if rng.random() >= q:
        ev.append((t, "LOSE", reason(rng, "Нецільовий")))
        return ev
    ev.append((t, "PREPARATION", None))
    t = at(rng.expovariate(1 / 2))
    if rng.random() >= 0.75:
        ev.append((t, "LOSE", reason(rng, "Дорого")))
        return ev
    ev.append((t, "UC_MEASURE", None))
    while True:  # Замір, with comebacks
        t = at(rng.expovariate(1 / 3))
        lose = 0.40 if mgr == WEAK else 0.20
        if rng.random() < lose:
            ev.append((t, "LOSE", reason(rng, "Неактуально")))
            back = 0.35 if mgr == WEAK else 0.05
            if rng.random() < back:
                t = at(rng.uniform(10, 40))
                ev.append((t, "UC_MEASURE", None))
                continue
            return ev
        break
    ev.append((t, "UC_CALC", None))
    t = at(rng.expovariate(1 / 2))
    u = rng.random()
    if u < 0.10:
        ev.append((t, "LOSE", reason(rng, "Дорого")))
        return ev
    if u < 0.75:
        ev.append((t, "UC_THINK", None))
        u = rng.random()
        if u < 0.50:
            return ev  # hoarded: nobody moves it
        if u < 0.85:
            t = at(rng.expovariate(1 / 5))
        else:
            t = at(rng.expovariate(1 / 10))
            ev.append((t, "LOSE", reason(rng, "Обрали конкурента")))
            return ev
    ev.append((t, "UC_CONTRACT", None))
    t = at(rng.expovariate(1 / 3))
    if rng.random() < 0.10:
        ev.append((t, "LOSE", reason(rng, "Дорого")))
        return ev
    ev.append((t, "EXECUTING", None))
    ev.append((at(rng.uniform(10, 20)), "WON", None))
    return ev


def main(out: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    deals = []
    for src, (_, per_week, mean) in SOURCES.items():
        t = START
        while True:
            t += timedelta(days=rng.expovariate(per_week / 7))
            if t >= END:
                break
            # working-hours-ish creation time
            t_c = t.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))
            mgr = rng.choice(sorted(MANAGERS))
            sigma = 0.4

            value = round(rng.lognormvariate(math.log(mean) - sigma ** 2 / 2, sigma), -2)
            deals.append((t_c, src, mgr, value))
    deals.sort()
    out.mkdir(parents=True, exist_ok=True)
    hist, deal_rows, csv_rows, truth = [], [], [], []
    hid = 0
    for i, (t0, src, mgr, value) in enumerate(deals):
        did = str(1000 + i)
        ev = [e for e in deal_path(rng, src, mgr, t0) if e[0] < END]
        for k, (t, st, _r) in enumerate(ev):
            hid += 1
            sem = "S" if st == "WON" else "F" if st == "LOSE" else "P"
            hist.append({"ID": str(hid), "TYPE_ID": "1" if k == 0 else "3" if sem != "P" else "2",
                         "OWNER_ID": did, "CREATED_TIME": t.isoformat(timespec="seconds"),
                         "CATEGORY_ID": "0", "STAGE_SEMANTIC_ID": sem, "STAGE_ID": st})
            csv_rows.append({"deal_id": did, "time": t.isoformat(timespec="seconds"),
                             "pipeline": "Продажі",
                             "stage": "won" if st == "WON" else "lost" if st == "LOSE" else NAME[st],
                             "value": f"{value:.0f}", "loss_reason": _r or "",
                             "source": SOURCES[src][0],
                             "manager": " ".join(MANAGERS[mgr]), "last_activity": ""})
        last_t, last_st, last_r = ev[-1]
        la = last_t + timedelta(days=min(rng.uniform(0, 5), max((END - last_t).days - 0.01, 0)))
        for r in csv_rows[-len(ev):]:
            r["last_activity"] = la.isoformat(timespec="seconds")
        sem = "S" if last_st == "WON" else "F" if last_st == "LOSE" else "P"
        d = {"ID": did, "TITLE": f"Угода #{did}", "DATE_CREATE": t0.isoformat(timespec="seconds"),
             "CATEGORY_ID": "0", "STAGE_ID": last_st, "STAGE_SEMANTIC_ID": sem,
             "OPPORTUNITY": f"{value:.2f}", "CURRENCY_ID": "UAH", "SOURCE_ID": src,
             "ASSIGNED_BY_ID": mgr, "LAST_ACTIVITY_TIME": la.isoformat(timespec="seconds"),
             "UF_CRM_1712345678": RID[last_r] if last_r else None}
        deal_rows.append(d)
        truth.append({"id": did, "source": SOURCES[src][0], "manager": " ".join(MANAGERS[mgr]),
                      "value": value, "events": [(t.isoformat(), st, r) for t, st, r in ev]})
    # crm.stagehistory.list pages of 50
    bx = out / "bitrix24"
    bx.mkdir(exist_ok=True)
    hist.sort(key=lambda h: int(h["ID"]))
    with open(bx / "stagehistory.jsonl", "w", encoding="utf-8") as f:
        for p in range(0, len(hist), 50):
            page = {"result": {"items": hist[p:p + 50]}, "total": len(hist)}
            if p + 50 < len(hist):
                page["next"] = p + 50
            f.write(json.dumps(page, ensure_ascii=False) + "\n")
    with open(bx / "deals.jsonl", "w", encoding="utf-8") as f:
        for p in range(0, len(deal_rows), 50):
            page = {"result": deal_rows[p:p + 50], "total": len(deal_rows)}
            if p + 50 < len(deal_rows):
                page["next"] = p + 50
            f.write(json.dumps(page, ensure_ascii=False) + "\n")
    statuses = [{"ID": str(n + 1), "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": sid, "NAME": name,
                 "SORT": 10 * (n + 1), "SYSTEM": "N", "CATEGORY_ID": "0",
                 "SEMANTICS": None} for n, (sid, name) in enumerate(STAGES)]
    statuses += [{"ID": "20", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "WON",
                  "NAME": "Угода успішна", "SORT": 100, "SYSTEM": "Y", "CATEGORY_ID": "0",
                  "SEMANTICS": "S"},
                 {"ID": "21", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "LOSE",
                  "NAME": "Угода провалена", "SORT": 110, "SYSTEM": "Y", "CATEGORY_ID": "0",
                  "SEMANTICS": "F"}]
    statuses += [{"ID": str(30 + n), "ENTITY_ID": "SOURCE", "STATUS_ID": sid, "NAME": v[0],
                  "SORT": 10 * n, "SYSTEM": "N"} for n, (sid, v) in enumerate(SOURCES.items())]
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 0, "name": "Продажі", "sort": 100,
                                    "entityTypeId": 2, "isDefault": "Y"}]}},
        ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": l, "ACTIVE": True}
                    for k, (n, l) in MANAGERS.items()], "total": 5},
        ensure_ascii=False), encoding="utf-8")
    (bx / "userfields.json").write_text(json.dumps(
        {"result": [{"ID": "301", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_1712345678",
                     "USER_TYPE_ID": "enumeration", "MULTIPLE": "N",
                     "EDIT_FORM_LABEL": "Причина відмови", "LIST_COLUMN_LABEL": "Причина відмови",
                     "LIST_FILTER_LABEL": "Причина відмови",
                     "LIST": [{"ID": k, "VALUE": v, "SORT": 10 * int(k), "DEF": "N"}
                              for k, v in REASONS.items()]}], "total": 1},
        ensure_ascii=False), encoding="utf-8")
    with open(out / "history.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(csv_rows[0]))
        w.writeheader()
        csv_rows.sort(key=lambda r: (r["time"], int(r["deal_id"])))
        w.writerows(csv_rows)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 7)
