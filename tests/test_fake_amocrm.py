"""Tests of the loopback amoCRM fake (tests/fakes/amocrm_server.py).

Why: the future ``funnelc apply amocrm`` tests will trust this fake to behave like
amoCRM API v4 as written in crm-formats.md §1. If the fake drifts from that
contract, client bugs pass silently — so its own contract points are pinned here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

try:  # works whether or not tests/ ever becomes a package
    from tests.fakes.amocrm_server import (
        LOST_STATUS_ID,
        STATUS_COLORS,
        WON_STATUS_ID,
        FakeAmo,
        running_fake_amocrm,
    )
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.amocrm_server import (  # type: ignore[no-redef]
        LOST_STATUS_ID,
        STATUS_COLORS,
        WON_STATUS_ID,
        FakeAmo,
        running_fake_amocrm,
    )

PIPELINES = "/api/v4/leads/pipelines"
PROBLEM_KEYS = {"title", "type", "status", "detail"}


class FakeClock:
    """A hand-driven monotonic clock, so rate-limit tests do not depend on timing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def amo() -> Iterator[FakeAmo]:
    """A fresh account with the rate limit off, for tests about data, not limits."""
    with running_fake_amocrm(token="secret", rate_limit_per_s=None) as fake:
        yield fake


@pytest.fixture
def client(amo: FakeAmo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers, timeout=5) as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Every error must be problem+json with the four standard keys."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status and body["type"] == f"https://httpstatus.es/{status}"
    return body


def validation_paths(response: httpx.Response) -> dict[str, list[str]]:
    """request_id -> error paths of a §1.9 validation-errors answer."""
    body = assert_problem(response, 400)
    return {item["request_id"]: [e["path"] for e in item["errors"]] for item in body["validation-errors"]}


def b2b_pipeline(**overrides: Any) -> dict[str, Any]:
    """The doc's own example request (§1.1)."""
    pipeline: dict[str, Any] = {
        "name": "B2B", "sort": 20, "is_main": False, "is_unsorted_on": True, "request_id": "pl-b2b",
        "_embedded": {"statuses": [
            {"id": 142, "name": "Оплачено"},
            {"id": 143, "name": "Отказ"},
            {"name": "КП отправлено", "sort": 20, "color": "#98cbff"},
            {"name": "Квалификация", "sort": 10, "color": "#fffeb2"},
        ]},
    }
    pipeline.update(overrides)
    return pipeline


# --------------------------------------------------------------------------- pipelines


def test_fresh_account_has_one_main_pipeline_with_system_statuses(amo: FakeAmo, client: httpx.Client) -> None:
    r = client.get(PIPELINES)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/hal+json")
    body = r.json()
    assert body["_total_items"] == 1 and body["_links"]["self"]["href"] == amo.base_url + PIPELINES
    (pipeline,) = body["_embedded"]["pipelines"]
    assert pipeline["name"] == "Воронка" and pipeline["is_main"] is True and pipeline["is_archive"] is False
    statuses = pipeline["_embedded"]["statuses"]
    assert [s["sort"] for s in statuses] == sorted(s["sort"] for s in statuses)
    unsorted, won, lost = statuses[0], statuses[-2], statuses[-1]
    assert (unsorted["type"], unsorted["color"], unsorted["sort"]) == (1, "#c1c1c1", 10)
    assert (won["id"], won["name"], won["sort"], won["is_editable"]) == (142, "Успешно реализовано", 10000, False)
    assert (lost["id"], lost["name"], lost["sort"], lost["is_editable"]) == (
        143, "Закрыто и не реализовано", 11000, False)
    assert len(statuses) > 3 and all(s["pipeline_id"] == pipeline["id"] for s in statuses)
    assert "descriptions" not in statuses[1]


def test_create_pipeline_renumbers_sort_renames_142_and_echoes_request_id(amo: FakeAmo, client: httpx.Client) -> None:
    r = client.post(PIPELINES, json=[b2b_pipeline()])
    assert r.status_code == 200, r.text
    (created,) = r.json()["_embedded"]["pipelines"]
    assert created["request_id"] == "pl-b2b" and created["name"] == "B2B"
    got = [(s["name"], s["sort"], s["type"]) for s in created["_embedded"]["statuses"]]
    assert got == [
        ("Неразобранное", 10, 1), ("Квалификация", 20, 0), ("КП отправлено", 30, 0),
        ("Оплачено", 10000, 0), ("Отказ", 11000, 0),
    ]
    assert "request_id" not in created["_embedded"]["statuses"][1]  # unconfirmed upstream: not echoed
    assert client.get(PIPELINES).json()["_total_items"] == 2
    stored = amo.state.pipelines[created["id"]]
    assert stored.status(WON_STATUS_ID).name == "Оплачено" and stored.status(LOST_STATUS_ID).name == "Отказ"
    # the other pipeline keeps its own 142 name
    assert amo.state.pipeline_by_name("Воронка").status(WON_STATUS_ID).name == "Успешно реализовано"


def test_create_pipeline_validation_errors(client: httpx.Client) -> None:
    bad = b2b_pipeline(request_id="x")
    del bad["is_main"]
    bad["_embedded"]["statuses"][2]["color"] = "#123456"
    r = client.post(PIPELINES, json=[{"name": "ok", "sort": 1, "is_main": False, "is_unsorted_on": False}, bad])
    assert validation_paths(r) == {"x": ["is_main", "_embedded.statuses.2.color"]}
    too_many = [{"name": f"s{i}", "sort": i} for i in range(98)]
    r = client.post(PIPELINES, json=[b2b_pipeline(_embedded={"statuses": too_many})])
    assert validation_paths(r) == {"pl-b2b": ["_embedded.statuses"]}
    assert_problem(client.post(PIPELINES, json={"name": "not an array"}), 400)
    assert client.get(PIPELINES).json()["_total_items"] == 1  # batches are all-or-nothing


def test_pipeline_limit_patch_get_and_delete(amo: FakeAmo, client: httpx.Client) -> None:
    main_id = amo.state.main_pipeline().id
    assert_problem(client.delete(f"{PIPELINES}/{main_id}"), 422)  # the last pipeline
    batch = [b2b_pipeline(name=f"P{i}", request_id=str(i)) for i in range(49)]
    assert client.post(PIPELINES, json=batch).status_code == 200
    assert_problem(client.post(PIPELINES, json=[b2b_pipeline()]), 422)  # 51st
    new_id = amo.state.pipeline_by_name("P0").id
    r = client.patch(f"{PIPELINES}/{new_id}", json={"name": "Главная", "is_main": True})
    assert r.status_code == 200 and r.json()["is_main"] is True
    assert client.get(f"{PIPELINES}/{main_id}").json()["is_main"] is False
    assert validation_paths(client.patch(f"{PIPELINES}/{new_id}", json={"_embedded": {"statuses": []}}))
    amo.state.pipelines_with_leads.add(new_id)
    assert_problem(client.delete(f"{PIPELINES}/{new_id}"), 422)
    assert client.delete(f"{PIPELINES}/{main_id}").status_code == 204
    assert_problem(client.get(f"{PIPELINES}/{main_id}"), 404)


# --------------------------------------------------------------------------- statuses


def test_statuses_crud_descriptions_and_system_protection(amo: FakeAmo, client: httpx.Client) -> None:
    pid = amo.state.main_pipeline().id
    base = f"{PIPELINES}/{pid}/statuses"
    r = client.post(base, json=[
        {"name": "A", "sort": 100, "color": "#87f2c0", "request_id": "a",
         "descriptions": [{"level": "newbie", "description": "Позвонить в течение часа"}]},
        {"name": "B", "sort": 200},
    ])
    assert r.status_code == 200, r.text
    created = r.json()["_embedded"]["statuses"]
    assert [(s["request_id"], s["sort"]) for s in created] == [("a", 60), ("1", 70)]  # the doc example
    a_id = created[0]["id"]
    assert "descriptions" not in client.get(f"{base}/{a_id}").json()
    with_desc = client.get(base, params={"with": "descriptions"}).json()["_embedded"]["statuses"]
    (a,) = [s for s in with_desc if s["id"] == a_id]
    assert [d["level"] for d in a["descriptions"]] == ["newbie"]
    desc_id = a["descriptions"][0]["id"]
    r = client.patch(f"{base}/{a_id}", params={"with": "descriptions"},
                     json={"sort": 5, "descriptions": [{"id": desc_id, "level": "newbie"},
                                                       {"level": "master", "description": "x"}]})
    assert r.status_code == 200 and r.json()["sort"] == 20
    assert [d["level"] for d in r.json()["descriptions"]] == ["master"]
    assert validation_paths(client.patch(f"{base}/{a_id}", json={"color": "#000000"})) == {"0": ["color"]}
    assert_problem(client.patch(f"{base}/{WON_STATUS_ID}", json={"sort": 1}), 422)
    assert client.patch(f"{base}/{WON_STATUS_ID}", json={"name": "Сделка"}).status_code == 200
    assert_problem(client.delete(f"{base}/{LOST_STATUS_ID}"), 422)
    assert client.delete(f"{base}/{a_id}").status_code == 204
    assert_problem(client.get(f"{base}/{a_id}"), 404)


# --------------------------------------------------------------------------- custom fields


def test_custom_fields_paging_follows_next_links(client: httpx.Client) -> None:
    seen: list[dict[str, Any]] = []
    url: str | None = "/api/v4/contacts/custom_fields?limit=2"
    pages = 0
    while url is not None:
        body = client.get(url).json()
        pages += 1
        assert body["_page"] == pages and body["_total_items"] == len(body["_embedded"]["custom_fields"]) <= 2
        seen += body["_embedded"]["custom_fields"]
        url = body["_links"].get("next", {}).get("href")
    assert pages == 2 and body["_page_count"] == 2
    by_code = {f["code"]: f for f in seen}
    assert {"PHONE", "EMAIL"} <= by_code.keys() and len(seen) == len({f["id"] for f in seen})
    assert by_code["PHONE"]["type"] == "multitext" and by_code["PHONE"]["enums"][0]["value"] == "WORK"
    everything = client.get("/api/v4/contacts/custom_fields").json()["_embedded"]["custom_fields"]
    assert [f["id"] for f in everything] == [f["id"] for f in seen]  # default limit 50 → one page
    assert_problem(client.get("/api/v4/contacts/custom_fields", params={"limit": 251}), 400)


def test_custom_fields_required_statuses_must_name_existing_stages(amo: FakeAmo, client: httpx.Client) -> None:
    pipeline = amo.state.main_pipeline()
    stage = pipeline.user_statuses()[1]
    url = "/api/v4/leads/custom_fields"
    bad = client.post(url, json=[
        {"name": "Бюджет", "type": "numeric",
         "required_statuses": [{"pipeline_id": pipeline.id, "status_id": stage.id},
                               {"pipeline_id": pipeline.id, "status_id": 999}]},
        {"name": "Источник", "type": "select", "request_id": "src"},
        {"name": "Телефон", "type": "multitext"},
        {"name": "Чужой", "type": "text", "required_statuses": [{"pipeline_id": 1, "status_id": 142}]},
    ])
    assert validation_paths(bad) == {"0": ["required_statuses.1"], "src": ["enums"], "2": ["type"],
                                      "3": ["required_statuses.0"]}
    assert amo.state.fields("leads") == []
    r = client.post(url, json=[
        {"name": "Бюджет", "type": "numeric", "code": "BUDGET",
         "required_statuses": [{"pipeline_id": pipeline.id, "status_id": stage.id},
                               {"pipeline_id": pipeline.id, "status_id": WON_STATUS_ID}]},
        {"name": "Источник", "type": "select", "enums": [{"value": "Сайт", "sort": 1}, {"value": "Звонок", "sort": 2}]},
    ])
    assert r.status_code == 201, r.text
    budget, source = r.json()["_embedded"]["custom_fields"]
    assert budget["required_statuses"] == [{"pipeline_id": pipeline.id, "status_id": stage.id},
                                           {"pipeline_id": pipeline.id, "status_id": WON_STATUS_ID}]
    assert all(isinstance(e["id"], int) for e in source["enums"]) and source["request_id"] == "1"
    dup = client.post(url, json=[{"name": "x", "type": "text", "code": "BUDGET"}])
    assert validation_paths(dup) == {"0": ["code"]}

    # PATCH replaces required_statuses; enums keep passed ids, drop the rest
    keep = source["enums"][0]
    r = client.patch(url, json=[{"id": source["id"], "name": "Источник лида",
                                 "enums": [keep, {"value": "Реклама", "sort": 3}]},
                                {"id": budget["id"], "name": "Бюджет", "required_statuses": []}])
    assert r.status_code == 201, r.text
    patched_source, patched_budget = r.json()["_embedded"]["custom_fields"]
    assert patched_source["enums"][0]["id"] == keep["id"] and len(patched_source["enums"]) == 2
    assert patched_budget["required_statuses"] == []
    r = client.patch(f"{url}/{budget['id']}", json={"name": "Бюджет, ₽",
                                                     "required_statuses": [{"pipeline_id": pipeline.id,
                                                                            "status_id": stage.id}]})
    assert r.status_code == 201 and r.json()["name"] == "Бюджет, ₽"
    # deleting the stage drops it from required_statuses
    assert client.delete(f"{PIPELINES}/{pipeline.id}/statuses/{stage.id}").status_code == 204
    assert client.get(f"{url}/{budget['id']}").json()["required_statuses"] == []
    assert client.delete(f"{url}/{budget['id']}").status_code == 204
    phone = amo.state.field_by_code("contacts", "PHONE")
    assert_problem(client.delete(f"/api/v4/contacts/custom_fields/{phone.id}"), 400)  # predefined


# --------------------------------------------------------------------------- auth, limits, faults


def test_bad_or_missing_token_is_401_and_blocked_account_is_403() -> None:
    with running_fake_amocrm(token="right") as amo, httpx.Client(base_url=amo.base_url, timeout=5) as c:
        body = assert_problem(c.get(PIPELINES, headers={"Authorization": "Bearer wrong"}), 401)
        assert body["title"] == "Unauthorized"
        assert_problem(c.get(PIPELINES), 401)
        assert c.get(PIPELINES, headers={"Authorization": "Bearer right"}).status_code == 200
        amo.blocked = True
        assert_problem(c.get(PIPELINES, headers={"Authorization": "Bearer right"}), 403)
        assert [r.status for r in amo.requests] == [401, 401, 200, 403]


def test_rate_limit_sliding_window_with_fake_clock() -> None:
    clock = FakeClock()
    with running_fake_amocrm(token="t", clock=clock) as amo, \
            httpx.Client(base_url=amo.base_url, headers=amo.auth_headers, timeout=5) as c:
        assert [c.get(PIPELINES).status_code for _ in range(7)] == [200] * 7
        assert_problem(c.get(PIPELINES), 429)
        clock.now += 0.999
        assert c.get(PIPELINES).status_code == 429  # window still holds 7 served requests
        clock.now += 0.001
        assert c.get(PIPELINES).status_code == 200


def test_rate_limit_real_clock_burst() -> None:
    with running_fake_amocrm(token="t") as amo, \
            httpx.Client(base_url=amo.base_url, headers=amo.auth_headers, timeout=5) as c:
        codes = [c.get(PIPELINES).status_code for _ in range(8)]
    assert codes == [200] * 7 + [429]


def test_fail_plan_injects_answers_by_request_number() -> None:
    with running_fake_amocrm(token="t", fail_plan={2: 503, 3: 429}) as amo, \
            httpx.Client(base_url=amo.base_url, headers=amo.auth_headers, timeout=5) as c:
        assert [c.get(PIPELINES).status_code for _ in range(4)] == [200, 503, 429, 200]
        amo.fail_plan = lambda n, method, path: 500 if method == "POST" else None
        assert_problem(c.post(PIPELINES, json=[b2b_pipeline()]), 500)
        amo.fail_next(1, 502)
        assert c.get(PIPELINES).status_code == 502 and c.get(PIPELINES).status_code == 200
    with running_fake_amocrm(token="t", fail_plan=[503, None, 504]) as amo, \
            httpx.Client(base_url=amo.base_url, headers=amo.auth_headers, timeout=5) as c:
        assert [c.get(PIPELINES).status_code for _ in range(4)] == [503, 200, 504, 200]


def test_plumbing_404_405_bad_json_request_log_and_loopback(amo: FakeAmo, client: httpx.Client) -> None:
    assert amo.base_url.startswith("http://127.0.0.1:")
    assert_problem(client.get("/api/v4/leads/nowhere"), 404)
    r = client.put(PIPELINES, json=[])
    assert_problem(r, 405)
    assert r.headers["allow"] == "GET, POST"
    assert_problem(client.post(PIPELINES, content=b"[{not json", headers={"Content-Type": "application/json"}), 400)
    client.get(f"{PIPELINES}/{amo.state.main_pipeline().id}/statuses", params={"with": "descriptions"})
    method, path, query, body, status = amo.requests[-1]
    assert (method, query, body, status) == ("GET", {"with": "descriptions"}, None, 200)
    assert path.endswith("/statuses")
    assert amo.requests[2].body == "[{not json" and amo.calls("PUT")[0].body == []
    assert set(STATUS_COLORS) == {c.lower() for c in STATUS_COLORS} and len(STATUS_COLORS) == 21
