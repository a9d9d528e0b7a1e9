"""A deal still open in a stage is credited to whoever is responsible for it now, not to
the one who moved it in and handed it over (issue 14, point 1: managers per stage).

amoCRM: a qualifier (Дарья) moves each of 40 leads into «Встреча» and hands it to a
closer (Анна, `entity_responsible_changed`); Анна wins 20 and 20 are still open with
her. The open ones were Дарья's, the one who moved them in: «Встреча» → won read Дарья 0
of 20 and Анна 20 of 20, and both were flagged, where Анна converted 20 of 40. The lead's
`responsible_user_id` is who has it now (amoCRM API v4, leads: `responsible_user_id`,
«ID пользователя, ответственного за сделку»).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from funnelc.cli import cli

T0 = 1767261600  # 2026-01-01 10:00 UTC
DAY = 86400
ANNA, DARIA = 1, 5


def _write(folder: Path, hand_over: bool = True) -> None:
    statuses = [{"id": 701, "name": "Новая", "sort": 10, "pipeline_id": 77},
                {"id": 702, "name": "Встреча", "sort": 20, "pipeline_id": 77},
                {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 77},
                {"id": 143, "name": "Закрыто и не реализовано", "sort": 10000,
                 "pipeline_id": 77}]
    leads: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []

    def event(kind: str, lead: int, at: int, who: int, before: object, after: object) -> None:
        events.append({"id": f"01ev{len(events) + 1}", "type": kind, "entity_id": lead,
                       "entity_type": "lead", "created_by": who, "created_at": at,
                       "account_id": 1, "value_before": [before], "value_after": [after]})

    for i in range(40):
        lead, t, won = 100 + i, T0 + i * DAY, i % 2 == 0
        leads.append({"id": lead, "name": "x", "price": 1000,
                      "responsible_user_id": ANNA if hand_over else DARIA,
                      "status_id": 142 if won else 702, "pipeline_id": 77, "created_by": DARIA,
                      "updated_by": ANNA, "created_at": t, "updated_at": t + 3 * DAY,
                      "account_id": 1})
        event("lead_status_changed", lead, t + 3600, DARIA,
              {"lead_status": {"id": 701, "pipeline_id": 77}},
              {"lead_status": {"id": 702, "pipeline_id": 77}})
        if hand_over:
            event("entity_responsible_changed", lead, t + 7200, DARIA,
                  {"responsible_user": {"id": DARIA}}, {"responsible_user": {"id": ANNA}})
        if won:
            event("lead_status_changed", lead, t + 2 * DAY, ANNA if hand_over else DARIA,
                  {"lead_status": {"id": 702, "pipeline_id": 77}},
                  {"lead_status": {"id": 142, "pipeline_id": 77}})
    # A lead months later: every open one has waited long enough to be judged.
    leads.append({"id": 999, "name": "z", "price": 1000, "responsible_user_id": ANNA,
                  "status_id": 701, "pipeline_id": 77, "created_by": ANNA, "updated_by": ANNA,
                  "created_at": T0 + 200 * DAY, "updated_at": T0 + 200 * DAY, "account_id": 1})
    events.sort(key=lambda e: -int(e["created_at"]))
    docs = {"pipelines.json": {"_embedded": {"pipelines": [
                {"id": 77, "name": "Продажи", "sort": 1, "is_main": True,
                 "_embedded": {"statuses": statuses}}]}},
            "users.json": {"_embedded": {"users": [{"id": ANNA, "name": "Анна"},
                                                   {"id": DARIA, "name": "Дарья"}]}},
            "leads.json": {"_embedded": {"leads": leads}},
            "events.json": {"_page": 1, "_embedded": {"events": events}}}
    folder.mkdir()
    for name, doc in docs.items():
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _meeting_to_won(folder: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["history", str(folder), "--format", "json", "-q"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    tables = json.loads(result.stdout)["tables"]
    rows = {r["manager"]: r for r in tables["managers"]
            if r["from_stage"] == "Встреча" and r["to_stage"] == "won"}
    return rows, tables["findings"]


def test_an_open_deal_handed_over_is_the_holders(tmp_path: Path) -> None:
    _write(tmp_path / "export")
    rows, findings = _meeting_to_won(tmp_path / "export")
    assert sorted(rows) == ["Анна"]
    assert (rows["Анна"]["entered"], rows["Анна"]["reached"]) == (40, 20)
    assert not [f for f in findings if f["kind"].startswith("manager")]


def test_without_a_hand_over_the_mover_keeps_her_deals(tmp_path: Path) -> None:
    # The control: Дарья moves, keeps and wins her leads; nothing is anyone else's.
    _write(tmp_path / "export", hand_over=False)
    rows, _findings = _meeting_to_won(tmp_path / "export")
    assert sorted(rows) == ["Дарья"]
    assert (rows["Дарья"]["entered"], rows["Дарья"]["reached"]) == (40, 20)
