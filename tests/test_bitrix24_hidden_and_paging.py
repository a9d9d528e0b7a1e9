"""Bitrix24 apply against what a webhook's user may not see: pipelines it has no right to
read (crm.category.list leaves them out: b24restdocs api-reference/crm/universal/category/
crm-category-list.md, "Which funnels will be included in the list"; crm-category-get.md
answers ACCESS_DENIED for them), and stage lists longer than a page whose SORT values tie
across the page boundary (crm-status-list.md: ordered by the `order` given)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import deploy
from funnelc.export.bitrix24_account import read_snapshot
from funnelc.export.bitrix24_client import Bitrix24Client, Call, open_client
from funnelc.export.deploy import BadAnswer

try:
    from tests.fakes.bitrix24_server import FakeBitrix24, Stage, running_fake_bitrix24
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.bitrix24_server import (  # type: ignore[no-redef]
        FakeBitrix24,
        Stage,
        running_fake_bitrix24,
    )

FUNNEL = """\
account "Тест" {
  currency RUB
  language ru
}
team "Менеджеры" size 2
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main sales {
  stage "Заявка" {
    owner "Менеджеры"
    -> won then copy "Сервис"."Новый клиент"
  }
}
pipeline "Сервис" {
  stage "Новый клиент" {
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.01)


@pytest.fixture
def b24() -> Iterator[FakeBitrix24]:
    with running_fake_bitrix24() as fake:
        yield fake


def apply(fake: FakeBitrix24, path: Path, *extra: str) -> Result:
    fake.reset_rate_window()
    env = {"NO_COLOR": "1", "FUNNELC_DEBUG": None, "BITRIX24_WEBHOOK": fake.webhook}
    return CliRunner().invoke(cli, ["apply", str(path), "--to", "bitrix24", *extra], env=env)


def test_a_pipeline_the_webhook_user_cannot_read_is_warned_of_before_creating(
        b24: FakeBitrix24, tmp_path: Path) -> None:
    path = tmp_path / "account.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    st = b24.state
    st.category_add({"entityTypeId": 2, "fields": {"name": "Удалённая"}})  # id 1, deleted
    st.category_add({"entityTypeId": 2, "fields": {"name": "Сервис"}})     # id 2, hidden
    st.category_delete({"entityTypeId": 2, "id": 1})
    st.unreadable.add(2)
    plan = apply(b24, path)
    assert plan.exit_code == 0, plan.output
    assert "  + create pipeline `Сервис` with 1 stage" in plan.stdout.splitlines()
    assert ": 1 deal pipeline, 8 stages, 0 deal fields, 0 contact/company fields (read in 3 " \
        "requests)" in plan.stdout.splitlines()[0]  # the hidden one is not counted
    warning = next(line for line in plan.stdout.splitlines() if line.startswith("  ! "))
    assert "pipeline `Сервис` is to be created" in warning
    assert "cannot read 1 deal pipeline (id 2;" in warning  # not 1: NOT_FOUND, deleted
    assert "if it is `Сервис`, Bitrix24 will hold two pipelines of that name" in warning
    assert "the right to read every deal pipeline" in warning
    reads = [r.api_method for r in b24.requests]
    assert reads == ["crm.category.list", "batch", "batch"], reads  # nothing written
    # With the right to read it, the pipeline is the portal's: nothing created, no warning.
    st.unreadable.clear()
    seen = apply(b24, path)
    assert "create pipeline" not in seen.stdout and "  ! " not in seen.stdout, seen.stdout


def test_no_warning_when_every_skipped_id_is_a_deleted_pipeline(b24: FakeBitrix24,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "account.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    b24.state.category_add({"entityTypeId": 2, "fields": {"name": "Старая"}})
    b24.state.category_delete({"entityTypeId": 2, "id": 1})
    plan = apply(b24, path)
    assert plan.exit_code == 0, plan.output
    assert "  + create pipeline `Сервис` with 1 stage" in plan.stdout.splitlines()
    assert "  ! " not in plan.stdout, plan.stdout


def test_stages_of_equal_sort_across_a_page_boundary_are_read_once_each(b24: FakeBitrix24) -> None:
    st = b24.state
    # 70 stages, all of SORT 100 but the default ones: the first page of 50 ends inside
    # the run of equal SORT, which a list ordered by SORT alone may page differently.
    for k in range(70):
        st.stages.append(Stage(st._id(), "DEAL_STAGE", f"S{k}", f"Этап {k}", 100, "", False,
                               "#39A8EF"))
    expected = sorted(s.id for s in st.stages_of("DEAL_STAGE"))
    client = open_client(deploy.Connection(b24.webhook))
    try:
        snap = read_snapshot(client)
    finally:
        client.close()
    ids = [s.id for s in snap.default().stages]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids)), "a stage read twice"
    assert sorted(ids) == expected, "a stage skipped"
    assert ids == [s.id for s in st.stages_of("DEAL_STAGE")]  # SORT, then ID


def _client_answering(answer: dict[str, object]) -> tuple[Bitrix24Client, list[dict[str, object]]]:
    sent: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=answer)
    return open_client(deploy.Connection("https://portal.example/rest/1/code0123456789/",
                                         transport=httpx.MockTransport(handler))), sent


def test_the_probe_batch_runs_on_past_errors_and_a_batch_missing_a_result_is_located() -> None:
    calls = [Call("a", "crm.category.get", {"entityTypeId": 2, "id": 1}),
             Call("b", "crm.category.get", {"entityTypeId": 2, "id": 2})]
    client, sent = _client_answering({"result": {"result": {"a": {"category": {}}}, "result_error": {
        "b": {"error": "ACCESS_DENIED", "error_description": "Access denied"}}}})
    assert client.error_codes(calls) == {"b": "ACCESS_DENIED"}
    assert sent[0]["halt"] == 0  # batch.md: halt 0 runs every call
    client.close()
    client, _ = _client_answering({"result": {"result": {"a": 1}, "result_error": []}})
    with pytest.raises(BadAnswer, match=r"no result for call `b` \(crm\.category\.get\) and no error"):
        client.batch(calls)
    client.close()


def test_a_live_import_says_which_pipelines_the_webhook_user_cannot_read(
        b24: FakeBitrix24, tmp_path: Path) -> None:
    st = b24.state
    st.category_add({"entityTypeId": 2, "fields": {"name": "Сервис"}})  # id 1, hidden
    st.category_add({"entityTypeId": 2, "fields": {"name": "Партнёры"}})  # id 2, seen
    st.unreadable.add(1)
    out = tmp_path / "imported.funnel"
    env = {"NO_COLOR": "1", "FUNNELC_DEBUG": None, "BITRIX24_WEBHOOK": b24.webhook}
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "warning: the webhook's user cannot read 1 deal pipeline (id 1): crm.category.list " \
        "leaves it out, so the import does not have it." in result.stderr
    text = out.read_text(encoding="utf-8")
    assert '"Партнёры"' in text and '"Сервис"' not in text
    assert b24.webhook not in result.output
