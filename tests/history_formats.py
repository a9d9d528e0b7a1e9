"""Test-data writers: one event table (as `funnelc.history` normalises it) written back
out as the exports the readers take: amoCRM API pages, Bitrix24 REST pages, plain CSV.
Used by the round-trip tests (simulate → export → read → fit) and the benchmark.

The writers follow the documented shapes (shared/research/crm-formats.md §1.1, §6):
amoCRM `lead_status_changed` with one-element `value_before`/`value_after`, leads with
`created_at`/`price`/`_embedded.loss_reason`, pipelines with `_embedded.statuses`;
Bitrix24 `crm.stagehistory.list` items with TYPE_ID/OWNER_ID/CREATED_TIME (ISO 8601,
+03:00)/CATEGORY_ID/STAGE_ID/STAGE_SEMANTIC_ID, `crm.status.list` and `crm.deal.list`.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import polars as pl

MSK = timezone(timedelta(hours=3))


def _deal_int(ids: list[str]) -> dict[str, int]:
    return {d: 1000 + i for i, d in enumerate(sorted(set(ids)))}


def write_csv(events: pl.DataFrame, path: Path) -> Path:
    events.select(
        deal_id="deal_id", timestamp=pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        pipeline="pipeline",
        stage=pl.when(pl.col("kind") == "stage").then(pl.col("stage")).otherwise(pl.col("kind")),
        value="value", loss_reason="loss_reason", source="source",
    ).write_csv(path)
    return path


def _stage_lists(events: pl.DataFrame) -> dict[str, list[str]]:
    st = (events.filter(pl.col("kind") == "stage").group_by(["pipeline", "stage"])
          .agg(pl.col("ts").min()).sort("ts"))
    out: dict[str, list[str]] = {}
    for p, s, _ in st.iter_rows():
        out.setdefault(p, []).append(s)
    return out


def write_amocrm(events: pl.DataFrame, folder: Path, page: int = 100,
                 reopen_clears_reason: bool = False) -> Path:
    """events.jsonl (one API page per line), leads.json, pipelines.json. A lead keeps its
    last loss's reason; with `reopen_clears_reason`, a lead moved back into a stage after
    a loss has none (as a Bitrix24 deal's field emptied on reopening)."""
    folder.mkdir(parents=True, exist_ok=True)
    stages = _stage_lists(events)
    pids = {p: 5000 + i for i, p in enumerate(stages)}
    sids: dict[tuple[str, str], int] = {}
    pipelines = []
    for p, lst in stages.items():
        statuses = [{"id": pids[p] * 10, "name": "Неразобранное", "sort": 10, "type": 1,
                     "pipeline_id": pids[p]}]
        for i, s in enumerate(lst):
            sids[(p, s)] = pids[p] * 100 + i
            statuses.append({"id": sids[(p, s)], "name": s, "sort": 20 + 10 * i, "type": 0,
                             "pipeline_id": pids[p], "is_editable": True})
        statuses += [{"id": 142, "name": "Успешно реализовано", "sort": 10000,
                      "pipeline_id": pids[p]},
                     {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000,
                      "pipeline_id": pids[p]}]
        pipelines.append({"id": pids[p], "name": p, "sort": len(pipelines) + 1,
                          "is_main": not pipelines, "is_unsorted_on": True,
                          "_embedded": {"statuses": statuses}})
    (folder / "pipelines.json").write_text(json.dumps(
        {"_total_items": len(pipelines), "_embedded": {"pipelines": pipelines}},
        ensure_ascii=False), encoding="utf-8")
    ids = _deal_int(events["deal_id"].to_list())
    ev = events.sort(["deal_id", "ts"])
    pages: list[list[dict]] = [[]]
    leads: dict[int, dict] = {}
    prev: dict[str, tuple[int, int]] = {}
    n = 0
    for d, ts, p, s, kind, value, reason, source in ev.select(
            "deal_id", "ts", "pipeline", "stage", "kind", "value", "loss_reason",
            "source").iter_rows():
        lid = ids[d]
        status = (142 if kind == "won" else 143 if kind == "lost" else sids[(p, s)], pids[p])
        t = int(ts.timestamp())
        if d not in prev:
            lead = {"id": lid, "name": f"Сделка {lid}", "price": int(value or 0),
                    "status_id": status[0], "pipeline_id": status[1], "created_at": t,
                    "closed_at": None, "loss_reason_id": None, "_embedded": {}}
            if source:
                lead["source_id"] = abs(hash(source)) % 10000
                lead["_embedded"]["source"] = {"id": lead["source_id"], "name": source}
            leads[lid] = lead
        else:
            n += 1
            if len(pages[-1]) == page:
                pages.append([])
            pages[-1].append({
                "id": f"ev{n:012d}", "type": "lead_status_changed", "entity_id": lid,
                "entity_type": "lead", "created_by": 0, "created_at": t, "account_id": 1,
                "value_before": [{"lead_status": {"id": prev[d][0], "pipeline_id": prev[d][1]}}],
                "value_after": [{"lead_status": {"id": status[0], "pipeline_id": status[1]}}],
                "_embedded": {"entity": {"id": lid}}})
            leads[lid]["status_id"], leads[lid]["pipeline_id"] = status
            if kind in ("won", "lost"):
                leads[lid]["closed_at"] = t
            if kind == "lost" and reason:
                leads[lid]["_embedded"]["loss_reason"] = [
                    {"id": abs(hash(reason)) % 100000, "name": reason}]
            elif kind == "stage" and reopen_clears_reason:
                leads[lid]["_embedded"].pop("loss_reason", None)
        prev[d] = status
    with (folder / "events.jsonl").open("w", encoding="utf-8") as fh:
        for i, items in enumerate(pages):
            fh.write(json.dumps({"_page": i + 1, "_embedded": {"events": items}},
                                ensure_ascii=False) + "\n")
    lead_list = list(leads.values())
    (folder / "leads.json").write_text(json.dumps(
        [{"_page": i // 250 + 1, "_embedded": {"leads": lead_list[i:i + 250]}}
         for i in range(0, len(lead_list), 250)], ensure_ascii=False), encoding="utf-8")
    return folder


def write_bitrix24(events: pl.DataFrame, folder: Path, page: int = 50) -> Path:
    """history.jsonl (crm.stagehistory.list pages), statuses.json (crm.status.list),
    categories.json (crm.category.list), deals.json (crm.deal.list)."""
    folder.mkdir(parents=True, exist_ok=True)
    stages = _stage_lists(events)
    cats = {p: i for i, p in enumerate(stages)}
    sids: dict[tuple[str, str], str] = {}
    statuses = []
    for p, lst in stages.items():
        c = cats[p]
        ent = "DEAL_STAGE" if c == 0 else f"DEAL_STAGE_{c}"
        pre = "" if c == 0 else f"C{c}:"
        for i, s in enumerate(lst):
            sids[(p, s)] = f"{pre}S{i}"
            statuses.append({"ID": str(len(statuses) + 1), "ENTITY_ID": ent,
                             "STATUS_ID": sids[(p, s)], "NAME": s, "SORT": str(10 * (i + 1)),
                             "CATEGORY_ID": str(c), "SEMANTICS": None,
                             "EXTRA": {"SEMANTICS": "process"}})
        sids[(p, "won")] = f"{pre}WON"
        statuses.append({"ID": str(len(statuses) + 1), "ENTITY_ID": ent, "STATUS_ID": f"{pre}WON",
                         "NAME": "Сделка успешна", "SORT": "1000", "CATEGORY_ID": str(c),
                         "SEMANTICS": "S", "EXTRA": {"SEMANTICS": "success"}})
        reasons = sorted(set(events.filter((pl.col("pipeline") == p) & (pl.col("kind") == "lost"))
                             ["loss_reason"].fill_null("Сделка провалена").to_list()))
        for k, r in enumerate(reasons):
            sids[(p, "lost:" + r)] = f"{pre}LOSE{k}"
            statuses.append({"ID": str(len(statuses) + 1), "ENTITY_ID": ent,
                             "STATUS_ID": f"{pre}LOSE{k}", "NAME": r, "SORT": str(1100 + k),
                             "CATEGORY_ID": str(c), "SEMANTICS": "F",
                             "EXTRA": {"SEMANTICS": "failure"}})
    (folder / "statuses.json").write_text(json.dumps({"result": statuses, "total": len(statuses)},
                                                     ensure_ascii=False), encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps({"result": {"categories": [
        {"id": c, "name": p, "sort": 100 * (c + 1), "entityTypeId": 2,
         "isDefault": "Y" if c == 0 else "N"} for p, c in cats.items()]}}, ensure_ascii=False),
        encoding="utf-8")
    ids = _deal_int(events["deal_id"].to_list())
    items: list[dict] = []
    deals: dict[int, dict] = {}
    seen: set[str] = set()
    for d, ts, p, s, kind, value, reason, source in events.sort(["deal_id", "ts"]).select(
            "deal_id", "ts", "pipeline", "stage", "kind", "value", "loss_reason",
            "source").iter_rows():
        key = (p, "won") if kind == "won" else (p, "lost:" + (reason or "Сделка провалена")) \
            if kind == "lost" else (p, s)
        stamp = ts.astimezone(MSK).isoformat(timespec="seconds")
        first = d not in seen
        seen.add(d)
        items.append({"ID": str(len(items) + 1), "TYPE_ID": 1 if first else (
            3 if kind != "stage" else 2), "OWNER_ID": ids[d], "CREATED_TIME": stamp,
            "CATEGORY_ID": cats[p], "STAGE_ID": sids[key],
            "STAGE_SEMANTIC_ID": "S" if kind == "won" else "F" if kind == "lost" else "P"})
        if first:
            deals[ids[d]] = {"ID": str(ids[d]), "TITLE": f"Сделка {ids[d]}",
                             "DATE_CREATE": stamp, "CATEGORY_ID": str(cats[p]),
                             "STAGE_ID": sids[key], "OPPORTUNITY": f"{value or 0:.2f}",
                             "SOURCE_ID": source}
    with (folder / "history.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(0, len(items), page):
            fh.write(json.dumps({"result": {"items": items[i:i + page]}, "total": len(items),
                                 "next": i + page}, ensure_ascii=False) + "\n")
    (folder / "deals.json").write_text(json.dumps({"result": list(deals.values()),
                                                   "total": len(deals)}, ensure_ascii=False),
                                       encoding="utf-8")
    return folder


def amocrm_sales_pipeline() -> dict[str, Any]:
    """`GET /api/v4/leads/pipelines` of an account with one pipeline «Продажи» (77):
    «Новая» (701), «Встреча» (702) and the two closing statuses amoCRM gives every
    pipeline (142 won, 143 lost)."""
    statuses = [{"id": 701, "name": "Новая", "sort": 10, "pipeline_id": 77, "type": 0},
                {"id": 702, "name": "Встреча", "sort": 20, "pipeline_id": 77, "type": 0},
                {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 77},
                {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000,
                 "pipeline_id": 77}]
    return {"_total_items": 1, "_embedded": {"pipelines": [{
        "id": 77, "name": "Продажи", "sort": 1, "is_main": True, "is_unsorted_on": True,
        "_embedded": {"statuses": statuses}}]}}


def write_branches(path: Path) -> Path:
    """Seven branches as pipelines, one team each (tests/test_bigteam_ru.py): six of 300
    requests whose three managers reach «Встреча» half the time, and one of 90 where
    «Воронов В. В.» reaches it 5 % of the time, the others 60 %. A manager flagged in
    the small pipeline must keep his panel of the funnel plot; the bars of the inflow
    plot tie at 300 deals each."""
    rng = random.Random(5)
    lines = ["deal_id,timestamp,pipeline,stage,manager"]
    t0 = datetime(2026, 1, 5, 9)
    teams = {f"Филиал {i}": (300, {"Орлов": 0.5, "Зайцев": 0.5, "Соболев": 0.5})
             for i in range(1, 7)}
    teams["Филиал 7"] = (90, {"Воронов В. В.": 0.05, "Лисицын Л. Л.": 0.6, "Ершов Е. Е.": 0.6})
    n = 0
    for pipeline, (count, team) in teams.items():
        for _ in range(count):
            n += 1
            who = rng.choice(sorted(team))
            t = t0 + timedelta(hours=3 * n)
            nxt = "Встреча" if rng.random() < team[who] else "lost"
            lines += [f"D{n},{t.isoformat()},{pipeline},Заявка,{who}",
                      f"D{n},{(t + timedelta(hours=2)).isoformat()},{pipeline},{nxt},{who}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
