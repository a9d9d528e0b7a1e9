"""amoCRM pick-up times (issue 13, point 3): the first touch of a manager after a lead
entered a stage — an outgoing call, SMS or chat message, a completed task — is when that
visit was picked up, and `funnelc fit` then fits `work` and `after` from it without
simulating.

Every answer below is shaped like amoCRM's documented one (tests/data/amocrm/SOURCES.md:
the events, tasks, leads and pipelines pages and their examples). The history is
deterministic, so the fitted figures are exact and show that each touch landed on its
own visit: a touch taken from the wrong visit, a robot's SMS or a task's deadline
(`complete_till`) would each move them. A few seconds in all.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from desk_funnel import desk_funnel
from funnelc.cli import cli

DATA = Path(__file__).parent / "data" / "amocrm"
T0 = int(datetime(2021, 3, 1, 9, tzinfo=UTC).timestamp())
H = 3600
NEW, CALL, WON, LOST = 101, 102, 142, 143
PIPE = 3177727
SPAM, EXPENSIVE = 7001, 7002
MANAGER, ROBOT = 939801, 0

FUNNEL = desk_funnel("""\
  stage "New" {
    owner "Sales"
    work 10m
    -> "Call" 60% after exp(1h)
    -> lost "Spam" 40%
  }
  stage "Call" {
    owner "Sales"
    work 15m
    -> won 50% after exp(5h)
    -> lost "Expensive" 50%
  }
""")


def _links(path: str) -> dict[str, Any]:
    return {"self": {"href": f"https://example.amocrm.ru/api/v4/{path}"}}


def _event(eid: str, kind: str, entity: str, entity_id: int, at: int, by: int,
           after: list[Any], before: list[Any] | None = None) -> dict[str, Any]:
    """An item of `GET /api/v4/events` (events-and-notes, «Список событий», example)."""
    return {"id": eid, "type": kind, "entity_id": entity_id, "entity_type": entity,
            "created_by": by, "created_at": at, "value_after": after,
            "value_before": before or [], "account_id": 17079858,
            "_links": _links(f"events/{eid}"),
            "_embedded": {"entity": {"id": entity_id, "_links": _links(f"{entity}s/{entity_id}")}}}


def _status(sid: int) -> list[dict[str, Any]]:
    return [{"lead_status": {"id": sid, "pipeline_id": PIPE}}]


def _task(tid: int, lead: int, created: int, updated: int, deadline: int) -> dict[str, Any]:
    """An item of `GET /api/v4/tasks` (tasks-api, «Список задач», example)."""
    return {"id": tid, "created_by": MANAGER, "updated_by": MANAGER, "created_at": created,
            "updated_at": updated, "responsible_user_id": MANAGER, "group_id": 0,
            "entity_id": lead, "entity_type": "leads", "duration": 0, "is_completed": True,
            "task_type_id": 1, "text": "Позвонить клиенту", "result": [],
            "complete_till": deadline, "account_id": 321321, "_links": _links(f"tasks/{tid}")}


def _lead(lid: int, created: int, status: int, closed: int | None,
          reason: int | None) -> dict[str, Any]:
    """An item of `GET /api/v4/leads` (leads-api, «Список сделок», example)."""
    return {"id": lid, "name": f"Сделка {lid}", "price": 1000, "responsible_user_id": MANAGER,
            "group_id": 0, "status_id": status, "pipeline_id": PIPE, "loss_reason_id": reason,
            "created_by": MANAGER, "updated_by": MANAGER, "created_at": created,
            "updated_at": closed or created, "closed_at": closed, "closest_task_at": None,
            "is_deleted": False, "custom_fields_values": None, "score": None,
            "account_id": 28805383, "labor_cost": None, "_links": _links(f"leads/{lid}"),
            "_embedded": {"tags": [], "companies": [], "contacts": [
                {"id": 3_000_000 + lid - 5_000_000, "is_main": True,
                 "_links": _links(f"contacts/{3_000_000 + lid - 5_000_000}")}]}}


def _history(n: int) -> dict[str, dict[str, Any]]:
    """Leads that wait 0.25–30 h for their pick-up in «New», are worked 20 minutes and
    move to «Call» 1 h later (or are lost as spam at once), then wait 0.5–20 h in
    «Call», are worked 30 minutes and won 3 h later (or lost as too expensive at once).
    The pick-ups come as every kind of touch amoCRM records; decoys around them must not
    count."""
    events: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    for i in range(n):
        lid = 5_000_000 + i
        created = T0 + int(7.3 * H * i)
        # A robot's SMS right after the lead came in: nobody picked it up.
        events.append(_event(f"sms{i}", "outgoing_sms", "lead", lid, created + 60, ROBOT,
                             [{"note": {"id": 90_000_000 + i}}]))
        picked = created + int(((i * 37) % 30 + 0.25) * H)
        tid = 7_000_000 + i
        if i % 5 < 3 and i % 7 == 6:
            # Moved on without anyone touching it in «New»: its first touch is in «Call»
            # and must not be taken for this visit's pick-up.
            pass
        elif i % 3 == 0:
            events.append(_event(f"call{i}", "outgoing_call", "lead", lid, picked, MANAGER,
                                 [{"note": {"id": 80_000_000 + i}}]))
        elif i % 3 == 1:
            # The event says when the task was completed; the task was edited later.
            events.append(_event(f"done{i}", "task_completed", "task", tid, picked, MANAGER, []))
            tasks.append(_task(tid, lid, created, picked + 3 * H, created + 48 * H))
        else:
            # No event: the task's last change is its completion, whatever its deadline.
            tasks.append(_task(tid, lid, created, picked, created + 2 * H))
        done = picked + 20 * 60
        if i % 5 >= 3:
            events.append(_event(f"s{i}a", "lead_status_changed", "lead", lid, done, MANAGER,
                                 _status(LOST), _status(NEW)))
            # A call after the lead was lost belongs to no visit.
            events.append(_event(f"late{i}", "outgoing_call", "lead", lid, done + 2 * H,
                                 MANAGER, [{"note": {"id": 70_000_000 + i}}]))
            leads.append(_lead(lid, created, LOST, done, SPAM))
            continue
        entered = done + H
        events.append(_event(f"s{i}a", "lead_status_changed", "lead", lid, entered, MANAGER,
                             _status(CALL), _status(NEW)))
        picked2 = entered + int(((i * 53) % 20 + 0.5) * H)
        chat = i % 4 == 1
        kind = "outgoing_chat_message" if chat else "outgoing_call"
        after = [{"message": {"id": f"m-{i}"}}] if chat else [{"note": {"id": 60_000_000 + i}}]
        # Calls are logged on the lead's contact, as telephony often does: most of the
        # pick-ups in «Call» are known only through the leads' `_embedded.contacts`.
        on_contact = not chat
        events.append(_event(f"t{i}", kind, "contact" if on_contact else "lead",
                             3_000_000 + i if on_contact else lid, picked2, MANAGER, after))
        done2 = picked2 + 30 * 60
        won = i % 4 < 2
        closed = done2 + 3 * H if won else done2
        events.append(_event(f"s{i}b", "lead_status_changed", "lead", lid, closed, MANAGER,
                             _status(WON if won else LOST), _status(CALL)))
        leads.append(_lead(lid, created, WON if won else LOST, closed,
                           None if won else EXPENSIVE))
    page = {"_page": 1, "_links": _links("events?page=1")}
    return {
        "events.json": {**page, "_embedded": {"events": events}},
        "tasks.json": {**page, "_embedded": {"tasks": tasks}},
        "leads.json": {**page, "_embedded": {"leads": leads}},
        "pipelines.json": {"_total_items": 1, "_links": _links("leads/pipelines"), "_embedded": {
            "pipelines": [{
                "id": PIPE, "name": "Sales", "sort": 1, "is_main": True,
                "is_unsorted_on": False, "is_archive": False, "account_id": 12345678,
                "_links": _links(f"leads/pipelines/{PIPE}"),
                "_embedded": {"statuses": [
                    {"id": sid, "name": name, "sort": sort, "is_editable": sid < 142,
                     "pipeline_id": PIPE, "color": "#fffeb2", "type": 0,
                     "account_id": 12345678, "_links": _links(f"leads/pipelines/{PIPE}/statuses/{sid}")}
                    for sid, name, sort in ((NEW, "New", 10), (CALL, "Call", 20),
                                            (WON, "Успешно реализовано", 10000),
                                            (LOST, "Закрыто и не реализовано", 11000))]}}]}},
        "loss_reasons.json": {"_total_items": 2, "_links": _links("leads/loss_reasons"),
                              "_embedded": {"loss_reasons": [
                                  {"id": rid, "name": name, "sort": k, "created_at": T0,
                                   "updated_at": T0, "_links": _links(f"leads/loss_reasons/{rid}")}
                                  for k, (rid, name) in enumerate(((SPAM, "Spam"),
                                                                   (EXPENSIVE, "Expensive")))]}},
    }


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("amo_picked")
    for name, doc in _history(300).items():
        (root / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (root / "desk.funnel").write_text(FUNNEL, encoding="utf-8")
    out = root / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(root / "events.json"), str(root / "tasks.json"),
                                   str(root / "leads.json"), str(root / "pipelines.json"),
                                   str(root / "loss_reasons.json"), "--funnel",
                                   str(root / "desk.funnel"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    return out.read_text(encoding="utf-8"), res.output


def test_fit_takes_the_direct_path_from_amocrm_touches(fitted: tuple[str, str]) -> None:
    _, output = fitted
    assert "Delays 2 stages from the pick-up times the history carries" in output, output
    assert re.search(r"\d+ runs|simulated deals", output) is None, output


def test_each_touch_lands_on_its_own_visit(fitted: tuple[str, str]) -> None:
    """Work and delays come out exact: every visit's wait is its own touch's."""
    text, _ = fitted
    assert re.search(r'stage "New" \{[^}]*work 20m\b', text), text
    assert re.search(r'stage "Call" \{[^}]*work 30m\b', text), text
    assert re.search(r'-> "Call" [\d.]+% after 1h\b', text), text
    assert re.search(r"-> won [\d.]+% after 3h\b", text), text
    assert re.search(r'-> lost "Spam" [\d.]+%\s*$', text, re.M), text
    assert re.search(r'-> lost "Expensive" [\d.]+%\s*$', text, re.M), text


def test_documented_tasks_and_events_examples_are_read(tmp_path: Path) -> None:
    """amoCRM's own examples of the tasks list and of a touch event, with a lead they
    name: read without a complaint (no ambiguous input, no unknown event type counted
    against the history)."""
    lead = _lead(167353, 1575300000, NEW, None, None)
    (tmp_path / "leads.json").write_text(json.dumps({"_embedded": {"leads": [lead]}}),
                                         encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(DATA / "tasks.json"),
                                   str(DATA / "event_outgoing_call.json"),
                                   str(tmp_path / "leads.json"), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    text = json.dumps(doc)
    assert "ambiguous_inputs" not in text and "ignored_event_types" not in text, text
