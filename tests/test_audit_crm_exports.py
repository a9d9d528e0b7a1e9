"""A consultant's acceptance pass on `funnelc audit` and `history` from amoCRM and Bitrix24
API exports: small answers shaped as the vendors document them, every number worked out
by hand, each the exact input of a defect the pass found.

Shapes: Bitrix24 `crm.status.list` (bitrix24/b24restdocs, api-reference/crm/status/
crm-status-list.md: `ID`, `ENTITY_ID`, `STATUS_ID`, `NAME`, `SORT` as strings, `SEMANTICS`,
`EXTRA.SEMANTICS`; called without a filter it answers with every directory of
crm-status-entity-types.md: `STATUS`, `SOURCE`, `DEAL_STAGE`, `DEAL_TYPE`, ...),
`crm.stagehistory.list` (`result.items[]`, `next`, `total`), `crm.deal.list` (string ids,
`SOURCE_ID`, `ASSIGNED_BY_ID`); amoCRM v4 (biradrags/amo-docs, crm_platform/leads-api.md
and events-and-notes.md: `_embedded.leads[]`, `price`, `responsible_user_id`,
`_links.next`; events `lead_status_changed` and `entity_responsible_changed`).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli


def _history(folder: Path) -> dict:
    result = CliRunner().invoke(cli, ["history", str(folder), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _status(i: int, entity: str, code: str, name: str, sort: int,
            sem: str | None = None) -> dict:
    extra = {"S": "success", "F": "failure"}.get(sem or "", "process")
    return {"ID": str(100 + i), "ENTITY_ID": entity, "STATUS_ID": code, "NAME": name,
            "NAME_INIT": "", "SORT": str(sort), "SYSTEM": "N", "CATEGORY_ID": None,
            "COLOR": "#39A8EF", "SEMANTICS": sem, "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"}}


def _bitrix24_unfiltered_statuses(folder: Path) -> Path:
    """Four deals, two per source, all in «Новая» on 1–4 March 2024; deals 1 and 3 reach
    «Встреча», deal 2 is lost, deal 4 stays. The status list is `crm.status.list` without
    a filter: the deal stages, then lead statuses (whose `NEW` is «Не обработан»),
    sources and deal types."""
    folder.mkdir()
    statuses = [_status(i, *row) for i, row in enumerate([  # type: ignore[arg-type]
        ("DEAL_STAGE", "NEW", "Новая", 10), ("DEAL_STAGE", "PREPARATION", "Встреча", 20),
        ("DEAL_STAGE", "WON", "Сделка успешна", 60, "S"),
        ("DEAL_STAGE", "LOSE", "Сделка провалена", 70, "F"),
        ("STATUS", "NEW", "Не обработан", 10), ("STATUS", "IN_PROCESS", "В работе", 20),
        ("STATUS", "CONVERTED", "Качественный лид", 40, "S"),
        ("STATUS", "JUNK", "Некачественный лид", 50, "F"),
        ("SOURCE", "CALL", "Звонок", 10), ("SOURCE", "WEB", "Веб-сайт", 20),
        ("SOURCE", "ADVERTISING", "Реклама", 30),
        ("DEAL_TYPE", "SALE", "Продажа", 10), ("DEAL_TYPE", "COMPLEX", "Комплексная продажа", 20),
    ])]
    items = []
    for d, path in enumerate((["NEW", "PREPARATION"], ["NEW", "LOSE"], ["NEW", "PREPARATION"],
                              ["NEW"]), start=1):
        for k, stage in enumerate(path):
            items.append({"ID": str(len(items) + 1), "TYPE_ID": "1" if k == 0 else "2",
                          "OWNER_ID": str(d), "CREATED_TIME": f"2024-03-0{d}T1{k}:00:00+03:00",
                          "CATEGORY_ID": "0", "STAGE_ID": stage,
                          "STAGE_SEMANTIC_ID": "F" if stage == "LOSE" else "P"})
    deals = [{"ID": str(d), "TITLE": f"Сделка {d}", "CATEGORY_ID": "0", "STAGE_ID": "NEW",
              "OPPORTUNITY": "10000.00", "ASSIGNED_BY_ID": "1",
              "SOURCE_ID": "WEB" if d <= 2 else "ADVERTISING",
              "DATE_CREATE": f"2024-03-0{d}T10:00:00+03:00",
              "DATE_MODIFY": f"2024-03-0{d}T11:00:00+03:00"} for d in range(1, 5)]
    for name, doc in (("crm.status.list.json", {"result": statuses, "total": len(statuses)}),
                      ("crm.stagehistory.list.json", {"result": {"items": items},
                                                      "total": len(items)}),
                      ("crm.deal.list.json", {"result": deals, "total": 4})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def test_bitrix24_unfiltered_status_list_reads_deal_stages_and_names_sources(
        tmp_path: Path) -> None:
    """Every entry of the status list was a stage: «Звонок», «Продажа», «В работе» came
    between «Новая» and «Встреча» in the pipeline's order, so no pair of the history's
    stages was adjacent and `history` had no conversion, no managers and no sources at
    all; the lead status `NEW` named the deals' «Новая» «Не обработан»; and the sources
    were the codes `WEB` and `ADVERTISING`. By hand: «Новая» → «Встреча» 2 of 4, «Веб-
    сайт» 1 of 2, «Реклама» 1 of 2."""
    data = _history(_bitrix24_unfiltered_statuses(tmp_path / "b24"))
    assert data["order"]["stages"] == {"#0": ["Новая", "Встреча"]}
    (row,) = [r for r in data["tables"]["conversion"] if r["month"] == "all"]
    assert (row["from_stage"], row["to_stage"], row["entered"], row["direct"]) == (
        "Новая", "Встреча", 4, 2)
    inflow = {(r["source"], r["deals"]) for r in data["tables"]["inflow"]}
    assert inflow == {("Веб-сайт", 2), ("Реклама", 2)}
    months = {(r["source"], r["entered"], r["reached"])
              for r in data["tables"]["source_months"]}
    assert months == {("Веб-сайт", 2, 1), ("Реклама", 2, 1)}
