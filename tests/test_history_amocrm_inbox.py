"""amoCRM's incoming leads («Неразобранное», the status of `type` 1 every pipeline has
first) are the pipeline's inbox, not a stage (`history.amocrm_inbox`). Read as a stage,
a real export's inbox matched no stage of the funnel, with a help telling the consultant
to spell it in the funnel (which funnelc's own export writes as `is_unsorted_on`, never as
a stage), and the first stage's clock and pick-up started only when a manager accepted the
lead: the wait for a manager, what `respond` promises, was nowhere.

The answers are shaped like amoCRM's documented ones (tests/data/amocrm/SOURCES.md: the
events, leads and pipelines pages; the unsorted status `type` 1 and `sort` 10 as in
/work/shared/research/crm-formats.md's pipelines answer)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

T0 = int(datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp())
H = 3600
PIPE = 7010001
INBOX, NEW, MEET, WON, LOST = 61000001, 61000002, 61000003, 142, 143
MANAGER = 4001
FUNNEL = """\
source "Сайт" 5/day -> "Продажи"."Заявка"
pipeline "Продажи" main {
  stage "Заявка" {
    -> "Встреча" 50%
    -> lost "Спам" 50%
  }
  stage "Встреча" {
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


def _links(path: str) -> dict[str, Any]:
    return {"self": {"href": f"https://okna.amocrm.ru/api/v4/{path}"}}


def _move(eid: str, lead: int, at: int, after: int, before: int) -> dict[str, Any]:
    """A `lead_status_changed` item of `GET /api/v4/events`."""
    return {"id": eid, "type": "lead_status_changed", "entity_id": lead, "entity_type": "lead",
            "created_by": MANAGER, "created_at": at,
            "value_after": [{"lead_status": {"id": after, "pipeline_id": PIPE}}],
            "value_before": [{"lead_status": {"id": before, "pipeline_id": PIPE}}],
            "account_id": 1, "_links": _links(f"events/{eid}")}


def _lead(lid: int, created: int, status: int) -> dict[str, Any]:
    return {"id": lid, "name": f"Заявка {lid}", "price": 50000, "responsible_user_id": MANAGER,
            "group_id": 0, "status_id": status, "pipeline_id": PIPE, "loss_reason_id": None,
            "created_by": 0, "updated_by": MANAGER, "created_at": created,
            "updated_at": created, "closed_at": None, "is_deleted": False,
            "custom_fields_values": None, "account_id": 1, "_links": _links(f"leads/{lid}"),
            "_embedded": {"tags": [], "companies": []}}


# lead: (arrival offset h, [(event offset h, to, from)], status at the export)
LEADS: dict[int, tuple[float, list[tuple[float, int, int]], int]] = {
    # Accepted to «Заявка» after 2 h, met the next day, won.
    1: (0, [(2, NEW, INBOX), (26, MEET, NEW), (72, WON, MEET)], WON),
    # Accepted straight to «Встреча» after half an hour, lost two days later.
    2: (1, [(1.5, MEET, INBOX), (49, LOST, MEET)], LOST),
    # Still waiting in the inbox at the export.
    3: (5, [], INBOX),
    # Closed as lost from the inbox after an hour.
    4: (6, [(7, LOST, INBOX)], LOST),
    # Entered by hand into «Заявка» (no inbox), met after 3 h.
    5: (8, [(11, MEET, NEW)], MEET),
}


def _export(root: Path) -> list[str]:
    events, leads = [], []
    for lid, (arrive, moves, status) in LEADS.items():
        leads.append(_lead(lid, T0 + int(arrive * H), status))
        for k, (at, to, frm) in enumerate(moves):
            events.append(_move(f"e{lid}-{k}", lid, T0 + int(at * H), to, frm))
    statuses = [(INBOX, "Неразобранное", 10, 1), (NEW, "Заявка", 20, 0),
                (MEET, "Встреча", 30, 0), (WON, "Успешно реализовано", 10000, 0),
                (LOST, "Закрыто и не реализовано", 11000, 0)]
    docs = {
        "events.json": {"_page": 1, "_links": _links("events"), "_embedded": {"events": events}},
        "leads.json": {"_page": 1, "_links": _links("leads"), "_embedded": {"leads": leads}},
        "pipelines.json": {"_total_items": 1, "_links": _links("leads/pipelines"), "_embedded": {
            "pipelines": [{"id": PIPE, "name": "Продажи", "sort": 1, "is_main": True,
                           "is_unsorted_on": True, "is_archive": False, "account_id": 1,
                           "_embedded": {"statuses": [
                               {"id": sid, "name": name, "sort": sort, "is_editable": kind == 0
                                and sid < 142, "pipeline_id": PIPE, "color": "#c1c1c1",
                                "type": kind, "account_id": 1}
                               for sid, name, sort, kind in statuses]}}]}},
    }
    paths = []
    for name, doc in docs.items():
        (root / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(str(root / name))
    return paths


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return _export(tmp_path_factory.mktemp("inbox"))


def _at(hours: float) -> datetime:
    return datetime.fromtimestamp(T0 + int(hours * H), UTC)


def test_the_inbox_is_the_first_stage_from_arrival_picked_at_acceptance(
        export: list[str]) -> None:
    h = load_history(export)
    assert h.catalog.stages == {"Продажи": ["Заявка", "Встреча"]}
    ev = h.events.sort(["deal_id", "ts"])
    assert "Неразобранное" not in ev["stage"].to_list()
    assert "Неразобранное" not in ev["from_stage"].drop_nulls().to_list()

    def rows(deal: str) -> list[tuple[object, ...]]:
        return ev.filter(pl.col("deal_id") == deal).select(
            "ts", "stage", "kind", "from_stage", "picked").rows()

    # Entered «Заявка» when it arrived, picked up when accepted 2 h later.
    assert rows("1")[0] == (_at(0), "Заявка", "stage", None, _at(2))
    assert [r[1:3] for r in rows("1")][:2] == [("Заявка", "stage"), ("Встреча", "stage")]
    assert rows("1")[2][2] == "won"
    # Accepted to «Встреча»: there since its arrival, picked at the acceptance.
    assert rows("2")[0] == (_at(1), "Встреча", "stage", None, _at(1.5))
    assert rows("2")[1][2:4] == ("lost", "Встреча")
    # Still in the inbox: at «Заявка» since it arrived, nobody has picked it up.
    assert rows("3") == [(_at(5), "Заявка", "stage", None, None)]
    # Lost from the inbox: lost from «Заявка», never picked up.
    assert rows("4")[0] == (_at(6), "Заявка", "stage", None, None)
    assert rows("4")[1][2:4] == ("lost", "Заявка")
    # No inbox: as before.
    assert rows("5")[0][:4] == (_at(8), "Заявка", "stage", None)
    [note] = [n for n in h.quality.notes if n.kind == "amocrm_inbox"]
    assert (note.kept, note.inbox) == (4, ("Продажи", "Неразобранное", "Заявка"))


def test_the_inbox_matches_the_funnel_and_is_said(export: list[str], tmp_path: Path) -> None:
    funnel = tmp_path / "okna.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", *export, "--funnel", str(funnel), "--lang", "ru",
                                   "-o", str(tmp_path / "out")], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "matches no stage" not in text
    assert ("«Неразобранное» воронки «Продажи» — входящие заявки amoCRM, а не этап: "
            "4 заявки читаются как находящиеся на «Заявка» с момента поступления") in text
