"""A Novosibirsk supplier of warehouse equipment («СибСкладТехника») on Bitrix24 in classic
mode: requests come in as LEADS, a lead the managers qualify is converted, and the
conversion creates a DEAL (its `LEAD_ID`) that goes through the deal pipeline. Written
independently of funnelc, with a planted story after seed 003 («кто не прав — маркетологи
или менеджеры?»):

* 1 March – 31 October 2026 (8 months), leads from three sources (`SOURCE_ID`): WEB
  («Веб-сайт»), ADVERTISING («Реклама»), CALL («Звонок»), four managers;
* from July (month 5) the ADVERTISING leads qualify at a third of their rate (45 % →
  15 %): the advertising was set up wrong — marketing broke it, not sales;
* Олег Смирнов closes leads he should not: a fifth of the leads that would have
  qualified, and he closes his junk with the catch-all status «Другое» (the others pick
  «Неверный номер», «Спам», «Нецелевой запрос» as the seed's 60 % / 25 % split says, and
  «Другое» for the rest); the same in every month and source.

Formats (Bitrix24 REST documentation, `bitrix24/b24restdocs` and its Russian twin
`bitrix-tools/b24-rest-docs`):

* `crm.stagehistory.list` (`api-reference/crm/crm-stage-history-list.md`): `entityTypeId`
  1 for leads, 2 for deals; items `ID`, `TYPE_ID` (1 created, 2 moved to an intermediate
  stage, 3 moved to a final stage, 5 pipeline changed), `OWNER_ID`, `CREATED_TIME` (ISO 8601
  with offset); a lead's items have `STATUS_ID` and `STATUS_SEMANTIC_ID` (P/S/F), a deal's
  `CATEGORY_ID`, `STAGE_ID` and `STAGE_SEMANTIC_ID`. `result.items[]`, `total`, `next`.
* `crm.status.list` (`api-reference/crm/status/crm-status-list.md`,
  `tutorials/crm/how-to-get-lists/how-to-get-stages-with-semantics.md`): lead statuses are
  the `STATUS` directory, deal stages of the main pipeline `DEAL_STAGE`, sources
  `SOURCE`; `EXTRA.SEMANTICS` process/success/failure. Called without a filter it answers
  every directory. The standard lead statuses NEW «Не обработан», IN_PROCESS «В работе»,
  PROCESSED «Обработан», CONVERTED «Качественный лид» (success), JUNK «Некачественный
  лид» (failure), renamed here to «Другое» as accounts do once they add their own failure
  statuses; the added ones' `STATUS_ID` "1", "2", "3" [inferred: numbered as accounts
  show them].
* `crm.lead.list` (`api-reference/crm/leads/crm-lead-list.md`): `ID`, `TITLE`, `STATUS_ID`,
  `STATUS_SEMANTIC_ID`, `SOURCE_ID`, `ASSIGNED_BY_ID`, `OPPORTUNITY`, `CURRENCY_ID`,
  `DATE_CREATE`, `DATE_MODIFY`, `DATE_CLOSED`; `crm.deal.list` (`crm-deal-list.md`): the
  same plus `LEAD_ID`, `CATEGORY_ID`, `STAGE_ID`, `STAGE_SEMANTIC_ID`. Converting a lead
  copies its source, responsible user and amount into the deal. Leads and deals are
  numbered separately, both from 1: lead 7 and deal 7 are different records.
* `crm.category.list` `entityTypeId` 2, `user.get` (`ID`, `NAME`, `LAST_NAME`).

Writes `bitrix24/` (leads_history.jsonl, deals_history.jsonl, leads.jsonl, deals.jsonl,
statuses.json, categories.json, users.json) and `truth.json`: each lead's path (time,
status id) with its source, manager and deal id, each deal's path with its lead id."""
from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

NSK = ZoneInfo("Asia/Novosibirsk")
START = datetime(2026, 3, 1, tzinfo=NSK)
END = datetime(2026, 11, 1, tzinfo=NSK)
CHANGE = datetime(2026, 7, 1, tzinfo=NSK)
"""Month 5: the advertising set up wrong."""
MANAGERS = {"11": ("Анна", "Петрова"), "12": ("Дмитрий", "Волков"),
            "13": ("Олег", "Смирнов"), "14": ("Ирина", "Захарова")}
JUNKER = "13"
# SOURCE_ID: (name in the SOURCE directory, leads a week, share qualified)
SOURCES = {"WEB": ("Веб-сайт", 8.0, 0.45), "ADVERTISING": ("Реклама", 12.0, 0.45),
           "CALL": ("Звонок", 5.0, 0.55)}
AD_AFTER = 0.15
LEAD_OPEN = [("NEW", "Не обработан"), ("IN_PROCESS", "В работе"), ("PROCESSED", "Обработан")]
CONVERTED = ("CONVERTED", "Качественный лид")
LEAD_FAIL = [("JUNK", "Другое"), ("1", "Неверный номер"), ("2", "Спам"),
             ("3", "Нецелевой запрос")]
CATCH_ALL = "JUNK"
DEAL_OPEN = [("NEW", "Новая сделка"), ("PREPARATION", "Подбор оборудования"),
             ("PREPAYMENT_INVOICE", "КП отправлено"), ("EXECUTING", "Счёт выставлен")]
DEAL_WON, DEAL_LOSE = ("WON", "Сделка успешна"), ("LOSE", "Сделка провалена")

Step = tuple[datetime, str]
"""(time, status or stage id)."""


def junk_reason(rng: random.Random, mgr: str) -> str:
    """The failure status a manager closes a bad lead with (seed 003: about 60 % wrong
    numbers and spam, 25 % off-target requests)."""
    if mgr == JUNKER and rng.random() < 0.8:
        return CATCH_ALL
    u = rng.random()
    return "1" if u < 0.35 else "2" if u < 0.60 else "3" if u < 0.85 else CATCH_ALL


def lead_path(rng: random.Random, src: str, mgr: str, t0: datetime) -> list[Step]:
    """A lead from its creation to its conversion, its failure status, or the end."""
    path: list[Step] = [(t0, "NEW")]
    t = t0 + timedelta(hours=rng.expovariate(1 / 4))
    path.append((t, "IN_PROCESS"))
    rate = AD_AFTER if src == "ADVERTISING" and t0 >= CHANGE else SOURCES[src][2]
    good = rng.random() < rate
    t += timedelta(hours=rng.uniform(4, 72))
    if good and mgr == JUNKER and rng.random() < 0.2:
        good = False  # closed as junk without a real look
        return [*path, (t, CATCH_ALL)]
    if not good:
        return [*path, (t, junk_reason(rng, mgr))]
    path.append((t, "PROCESSED"))
    t += timedelta(hours=rng.uniform(1, 30))
    return [*path, (t, "CONVERTED")]


def deal_path(rng: random.Random, t0: datetime) -> list[Step]:
    """A deal from the conversion that created it."""
    path: list[Step] = [(t0, "NEW")]
    t = t0
    for sid, p_on in (("PREPARATION", 0.85), ("PREPAYMENT_INVOICE", 0.75),
                      ("EXECUTING", 0.6)):
        t += timedelta(days=rng.uniform(1, 8))
        if rng.random() >= p_on:
            return [*path, (t, "LOSE")]
        path.append((t, sid))
    t += timedelta(days=rng.uniform(2, 14))
    return [*path, (t, "WON" if rng.random() < 0.8 else "LOSE")]


def _arrivals(rng: random.Random, per_week: float) -> Iterator[datetime]:
    t = START
    while True:
        t += timedelta(days=rng.expovariate(per_week / 7))
        if t >= END:
            return
        yield t.replace(hour=rng.randint(9, 18), minute=rng.randint(0, 59),
                        second=rng.randint(0, 59))


def _pages(rows: list[dict], items: bool) -> str:
    """List answers of 50 records, as the REST list methods page them."""
    out = []
    for p in range(0, len(rows), 50):
        page: dict = {"result": {"items": rows[p:p + 50]} if items else rows[p:p + 50],
                      "total": len(rows)}
        if p + 50 < len(rows):
            page["next"] = p + 50
        out.append(json.dumps(page, ensure_ascii=False))
    return "\n".join(out) + "\n"


def _sem(sid: str, final_ok: str, fails: set[str]) -> str:
    return "S" if sid == final_ok else "F" if sid in fails else "P"


def _type_id(k: int, sem: str) -> str:
    return "1" if k == 0 else "3" if sem != "P" else "2"


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def write(out: Path, seed: int = 3) -> None:
    rng = random.Random(seed)
    starts = sorted((t, src) for src, (_, per_week, _) in SOURCES.items()
                    for t in _arrivals(rng, per_week))
    lead_fail = {sid for sid, _ in LEAD_FAIL}
    leads: list[dict] = []
    deals: list[dict] = []
    lead_hist: list[dict] = []
    deal_hist: list[dict] = []
    truth_leads: list[dict] = []
    truth_deals: list[dict] = []
    for i, (t0, src) in enumerate(starts):
        lid = str(i + 1)
        mgr = rng.choice(sorted(MANAGERS))
        value = round(rng.lognormvariate(12.4, 0.5), -3)
        path = [s for s in lead_path(rng, src, mgr, t0) if s[0] < END]
        for k, (t, sid) in enumerate(path):
            sem = _sem(sid, "CONVERTED", lead_fail)
            lead_hist.append({"ID": "", "TYPE_ID": _type_id(k, sem), "OWNER_ID": lid,
                              "CREATED_TIME": _iso(t), "STATUS_SEMANTIC_ID": sem,
                              "STATUS_ID": sid})
        t_last, status = path[-1]
        sem = _sem(status, "CONVERTED", lead_fail)
        did = None
        if status == "CONVERTED":
            did = str(len(deals) + 1)
            dpath = [s for s in deal_path(rng, t_last + timedelta(seconds=2)) if s[0] < END]
            for k, (t, sid) in enumerate(dpath):
                dsem = _sem(sid, "WON", {"LOSE"})
                deal_hist.append({"ID": "", "TYPE_ID": _type_id(k, dsem), "OWNER_ID": did,
                                  "CREATED_TIME": _iso(t), "CATEGORY_ID": "0",
                                  "STAGE_SEMANTIC_ID": dsem, "STAGE_ID": sid})
            d_last, stage = dpath[-1]
            dsem = _sem(stage, "WON", {"LOSE"})
            deals.append({
                "ID": did, "TITLE": f"Сделка по лиду #{lid}", "TYPE_ID": "SALE",
                "CATEGORY_ID": "0", "STAGE_ID": stage, "STAGE_SEMANTIC_ID": dsem,
                "IS_NEW": "N", "IS_RECURRING": "N", "PROBABILITY": None,
                "CURRENCY_ID": "RUB", "OPPORTUNITY": f"{value:.2f}", "LEAD_ID": lid,
                "COMPANY_ID": "0", "CONTACT_ID": str(2000 + i), "SOURCE_ID": src,
                "ASSIGNED_BY_ID": mgr, "CREATED_BY_ID": mgr, "MODIFY_BY_ID": mgr,
                "DATE_CREATE": _iso(dpath[0][0]), "DATE_MODIFY": _iso(d_last),
                "CLOSED": "Y" if dsem != "P" else "N",
                "CLOSEDATE": _iso(d_last) if dsem != "P" else "",
                "LAST_ACTIVITY_TIME": _iso(d_last), "OPENED": "Y"})
            truth_deals.append({"id": did, "lead": lid, "source": SOURCES[src][0],
                                "manager": " ".join(MANAGERS[mgr]), "value": value,
                                "events": [(_iso(t), s) for t, s in dpath]})
        leads.append({
            "ID": lid, "TITLE": f"Заявка: стеллажи ({SOURCES[src][0]})", "STATUS_ID": status,
            "STATUS_SEMANTIC_ID": sem, "STATUS_DESCRIPTION": None, "SOURCE_ID": src,
            "SOURCE_DESCRIPTION": None, "ASSIGNED_BY_ID": mgr, "CREATED_BY_ID": "1",
            "MODIFY_BY_ID": mgr, "OPPORTUNITY": f"{value:.2f}", "CURRENCY_ID": "RUB",
            "COMPANY_ID": None, "CONTACT_ID": str(2000 + i) if did else None,
            "DATE_CREATE": _iso(t0), "DATE_MODIFY": _iso(t_last),
            "DATE_CLOSED": _iso(t_last) if sem != "P" else "", "OPENED": "Y",
            "IS_RETURN_CUSTOMER": "N"})
        truth_leads.append({"id": lid, "source": SOURCES[src][0], "source_id": src,
                            "manager": " ".join(MANAGERS[mgr]), "deal": did,
                            "events": [(_iso(t), s) for t, s in path]})
    bx = out / "bitrix24"
    bx.mkdir(parents=True, exist_ok=True)
    for name, hist in (("leads_history", lead_hist), ("deals_history", deal_hist)):
        hist.sort(key=lambda h: (h["CREATED_TIME"], int(h["OWNER_ID"])))
        for n, h in enumerate(hist):
            h["ID"] = str(n + 1)
        (bx / f"{name}.jsonl").write_text(_pages(hist, True), encoding="utf-8")
    (bx / "leads.jsonl").write_text(_pages(leads, False), encoding="utf-8")
    (bx / "deals.jsonl").write_text(_pages(deals, False), encoding="utf-8")
    statuses: list[dict] = []

    def directory(entity: str, rows: list[tuple[str, str, str | None]], cat: bool) -> None:
        for n, (sid, name, sem) in enumerate(rows):
            row = {"ID": str(len(statuses) + 1), "ENTITY_ID": entity, "STATUS_ID": sid,
                   "NAME": name, "NAME_INIT": name, "SORT": 10 * (n + 1),
                   "SYSTEM": "Y" if sid in ("NEW", "CONVERTED", "JUNK", "WON", "LOSE")
                   else "N"}
            if cat:
                row["CATEGORY_ID"] = "0"
            if sem is not None or entity != "SOURCE":
                row["SEMANTICS"] = sem
                row["EXTRA"] = {"SEMANTICS": {"S": "success", "F": "failure"}.get(
                    sem or "", "process"), "COLOR": "#39A8EF"}
            statuses.append(row)

    directory("STATUS", [(s, n, None) for s, n in LEAD_OPEN] + [(*CONVERTED, "S")]
              + [(s, n, "F") for s, n in LEAD_FAIL], False)
    directory("SOURCE", [(sid, v[0], None) for sid, v in SOURCES.items()], False)
    directory("DEAL_STAGE", [(s, n, None) for s, n in DEAL_OPEN] + [(*DEAL_WON, "S"),
                                                                     (*DEAL_LOSE, "F")], True)
    (bx / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                 ensure_ascii=False), encoding="utf-8")
    (bx / "categories.json").write_text(json.dumps(
        {"result": {"categories": [{"id": 0, "name": "Общая", "sort": 100,
                                    "entityTypeId": 2, "isDefault": "Y"}]}, "total": 1},
        ensure_ascii=False), encoding="utf-8")
    (bx / "users.json").write_text(json.dumps(
        {"result": [{"ID": k, "NAME": n, "LAST_NAME": last, "ACTIVE": True,
                     "WORK_POSITION": "Менеджер по продажам"}
                    for k, (n, last) in MANAGERS.items()], "total": len(MANAGERS)},
        ensure_ascii=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(
        {"end": _iso(END), "leads": truth_leads, "deals": truth_deals}, ensure_ascii=False),
        encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
