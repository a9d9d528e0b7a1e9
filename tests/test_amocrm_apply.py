"""`funnelc apply amocrm` end to end against the loopback fake of amoCRM API v4
(tests/fakes/amocrm_server.py): plan on a fresh account, apply, re-apply = empty plan,
429/5xx back-off, 401/403, required_statuses resolved to real ids, --prune, the token
never printed, HTTPS-only base URLs, and the client-side rate limiter against the
fake's 429 threshold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import amocrm_client
from funnelc.export.amocrm_client import AmoClient, RateLimiter

try:  # works whether or not tests/ ever becomes a package
    from tests.fakes.amocrm_server import AmoState, FakeAmo, running_fake_amocrm
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.amocrm_server import AmoState, FakeAmo, running_fake_amocrm  # type: ignore[no-redef]

TOKEN = "tok-Zq81-DISTINCTIVE-9f3e"
PIPELINES = "/api/v4/leads/pipelines"

FUNNEL = """\
account "Тест" {
  currency RUB
  language en
}
team "Менеджеры" size 2
field "Бюджет" money
field "Тип" enum("B2B", "B2C")
field "Телефон" phone on contact
field "Сайт" url on company
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main sales {
  stage "Заявка" {
    owner "Менеджеры"
    hint "Позвонить за 15 минут"
    color "#fffeb2"
    -> "КП" 50%
    -> lost "Нецелевой" 50%
  }
  stage "КП" key {
    requires "Бюджет", "Телефон", "Тип"
    -> "Договор" 40%
    -> lost "Дорого" 60%
  }
  stage "Договор" {
    requires "Бюджет"
    -> won then copy "Сервис"."Новый клиент"
  }
}
pipeline "Сервис" {
  stage "Новый клиент" {
    requires "Тип"
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real backoff waits seconds; the logic under test is the same with 10 ms."""
    monkeypatch.setattr(amocrm_client, "BACKOFF_BASE_S", 0.01)


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "account.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return path


@pytest.fixture
def amo() -> Iterator[FakeAmo]:
    with running_fake_amocrm(token=TOKEN) as fake:
        yield fake


def apply(amo: FakeAmo, path: Path, *extra: str, token: str | None = TOKEN) -> Result:
    amo.reset_rate_window()  # each CLI run is a fresh client; a human waits between runs
    env = {"NO_COLOR": "1", "FUNNELC_DEBUG": None, "AMOCRM_TOKEN": token}
    return CliRunner().invoke(cli, ["apply", "amocrm", str(path), "--base-url", amo.base_url, *extra],
                              env=env)


def writes(amo: FakeAmo) -> list[Any]:
    return [r for r in amo.requests if r.method != "GET"]


def plan_lines(result: Result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]


# ---------------------------------------------------------------- the main path

def test_plan_on_a_fresh_account_changes_nothing(amo: FakeAmo, funnel: Path) -> None:
    result = apply(amo, funnel)
    assert result.exit_code == 0, result.output
    lines = plan_lines(result)
    assert "+ create pipeline `Продажи` with 3 statuses, main" in lines
    assert "+ create pipeline `Сервис` with 1 statuses" in lines
    assert "+ create deal field `Бюджет` (numeric)" in lines
    assert "+ create deal field `Тип` (select)" in lines
    assert "+ create company field `Сайт` (url)" in lines
    assert "~ deal field `Бюджет`: required to enter `Продажи` → `КП`, `Продажи` → `Договор`" in lines
    assert "~ contact field `Телефон`: required to enter `Продажи` → `КП`" in lines
    assert "= leave alone: pipeline `Воронка` (not in the file)" in lines
    assert not any(line.startswith("-") for line in lines)
    assert "run again with --yes" in result.stdout
    assert writes(amo) == []
    assert [r.path for r in amo.requests] == [PIPELINES, "/api/v4/leads/custom_fields",
                                              "/api/v4/contacts/custom_fields",
                                              "/api/v4/companies/custom_fields",
                                              "/api/v4/leads/loss_reasons"]


def test_apply_builds_the_account_and_a_second_apply_plans_nothing(amo: FakeAmo, funnel: Path) -> None:
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 0, result.output
    assert "applied 10 changes" in result.stdout  # 8, and the two loss reasons
    assert [r.name for r in amo.state.ordered_loss_reasons()] == ["Нецелевой", "Дорого"]
    sales = amo.state.pipeline_by_name("Продажи")
    service = amo.state.pipeline_by_name("Сервис")
    assert sales is not None and service is not None
    assert sales.is_main and sales.is_unsorted_on and not service.is_unsorted_on
    assert [s.name for s in sales.user_statuses()] == ["Заявка", "КП", "Договор"]
    first = sales.status_by_name("Заявка")
    assert first is not None and first.color == "#fffeb2"
    assert [(d.level, d.description) for d in first.descriptions] == [("newbie", "Позвонить за 15 минут")]
    assert sales.status(142).name == "Closed - won" and sales.status(143).name == "Closed - lost"
    # required_statuses carry the server's real ids, resolved in phase two
    kp, contract = sales.status_by_name("КП"), sales.status_by_name("Договор")
    new_client = service.status_by_name("Новый клиент")
    budget = amo.state.field_by_name("leads", "Бюджет")
    kind = amo.state.field_by_name("leads", "Тип")
    phone = amo.state.field_by_code("contacts", "PHONE")
    assert budget.required_statuses == [(sales.id, kp.id), (sales.id, contract.id)]
    assert kind.required_statuses == [(sales.id, kp.id), (service.id, new_client.id)]
    assert [e.value for e in kind.enums] == ["B2B", "B2C"]
    assert phone.required_statuses == [(sales.id, kp.id)]
    assert amo.state.field_by_name("companies", "Сайт").type == "url"
    assert amo.rate_limited_count == 0
    before = len(amo.requests)
    again = apply(amo, funnel, "--yes")
    assert again.exit_code == 0, again.output
    assert "nothing to do: the account already matches the file" in again.stdout
    assert [r.method for r in amo.requests[before:]] == ["GET"] * len(amo.requests[before:])


def test_changes_to_an_existing_pipeline(amo: FakeAmo, tmp_path: Path) -> None:
    """Add a status between existing ones, recolour and describe an existing one, rename
    the default-named 142; a status renamed by hand (143) is left alone."""
    pipe = amo.state.pipeline_by_name("Воронка")
    pipe.status(143).name = "Отказ"  # a person chose this name
    path = tmp_path / "f.funnel"
    path.write_text("""\
account "A" {
  currency RUB
  language en
}
field "Тип" enum("B2B", "B2C", "Госзаказ")
source "Сайт" 1/day -> "Воронка"."Первичный контакт"
pipeline "Воронка" main {
  stage "Первичный контакт" { -> "Квалификация" }
  stage "Квалификация" { -> "Переговоры" }
  stage "Переговоры" {
    color "#98cbff"
    hint "Выяснить бюджет"
    -> won
  }
}
""", encoding="utf-8")
    amo.state.add_custom_field("leads", "Тип", "select", enums=["B2B", "B2C"])
    result = apply(amo, path)
    lines = plan_lines(result)
    assert "+ add status `Квалификация` to pipeline `Воронка`" in lines
    assert ("~ rename won status 142 of pipeline `Воронка`: `Успешно реализовано` → `Closed - won`"
            in lines)
    assert ("~ update status `Переговоры` of pipeline `Воронка`: colour #ffff99 → #98cbff, "
            "add the hint as its description") in lines
    assert "~ deal field `Тип`: add values `Госзаказ`" in lines
    assert any("status 143 of pipeline `Воронка` is called `Отказ`" in line for line in lines)
    assert "= leave alone: statuses of `Воронка` not in the file: `Принимают решение`, `Согласование договора`" in lines
    assert apply(amo, path, "--yes").exit_code == 0
    assert [s.name for s in pipe.user_statuses()] == [
        "Первичный контакт", "Квалификация", "Переговоры", "Принимают решение", "Согласование договора"]
    talks = pipe.status_by_name("Переговоры")
    assert talks.color == "#98cbff" and talks.descriptions[0].description == "Выяснить бюджет"
    assert pipe.status(142).name == "Closed - won" and pipe.status(143).name == "Отказ"
    kind = amo.state.field_by_name("leads", "Тип")
    assert [e.value for e in kind.enums] == ["B2B", "B2C", "Госзаказ"]
    assert "nothing to do" in apply(amo, path).stdout


def test_main_flag_moves_to_an_existing_pipeline(amo: FakeAmo, tmp_path: Path) -> None:
    amo.state.make_pipeline("Сервис", sort=50, is_main=False, is_unsorted_on=False)
    path = tmp_path / "f.funnel"
    path.write_text('account "A" { currency RUB }\nsource "S" 1/day -> "Сервис"."Новый"\n'
                    'pipeline "Сервис" main { stage "Новый" { -> won } }\n', encoding="utf-8")
    assert "~ make `Сервис` the main pipeline" in plan_lines(apply(amo, path))
    assert apply(amo, path, "--yes").exit_code == 0
    assert amo.state.main_pipeline().name == "Сервис"
    assert "nothing to do" in apply(amo, path).stdout


def test_prune_lists_deletions_only_with_the_flag(amo: FakeAmo, funnel: Path) -> None:
    assert apply(amo, funnel, "--yes").exit_code == 0
    sales = amo.state.pipeline_by_name("Продажи")
    amo.state.add_custom_field("leads", "Старое поле", "text")
    amo.state.add_custom_field("leads", "Бюджет", "numeric")  # a second field of that name
    stray_status = amo.state.next_id("status")
    from fakes.amocrm_server import Status  # noqa: PLC0415 - only this test seeds a status by hand
    sales.statuses.append(Status(stray_status, "Лишний", 25, sales.id, "#fffeb2"))
    without = apply(amo, funnel)
    assert not any(line.startswith("-") for line in plan_lines(without))
    assert any("leave alone: statuses of `Продажи` not in the file: `Лишний`" in ln for ln in plan_lines(without))
    assert any("leave alone: pipeline `Воронка`" in ln for ln in plan_lines(without))
    pruned = apply(amo, funnel, "--prune")
    lines = plan_lines(pruned)
    assert "- delete status `Лишний` of pipeline `Продажи` (its deals move to the pipeline's first stage)" in lines
    assert "- delete pipeline `Воронка` (amoCRM refuses if it holds deals)" in lines
    assert "- delete deal field `Старое поле` (its values are lost)" in lines
    assert "! the account has 2 deal fields named `Бюджет`: funnelc uses the first" in " ".join(lines)
    assert not any("Бюджет" in line and line.startswith("-") for line in lines)
    written = len(writes(amo))
    assert len(writes(amo)) == written  # plans write nothing
    done = apply(amo, funnel, "--prune", "--yes")
    assert done.exit_code == 0, done.output
    assert amo.state.pipeline_by_name("Воронка") is None
    assert sales.status_by_name("Лишний") is None
    assert amo.state.field_by_name("leads", "Старое поле") is None
    assert "nothing to do" in apply(amo, funnel, "--prune").stdout


def test_refused_deletion_is_reported_and_the_rest_goes_on(amo: FakeAmo, funnel: Path) -> None:
    assert apply(amo, funnel, "--yes").exit_code == 0
    amo.state.pipelines_with_leads.add(amo.state.pipeline_by_name("Воронка").id)
    amo.state.add_custom_field("leads", "Старое поле", "text")
    result = apply(amo, funnel, "--prune", "--yes")
    assert result.exit_code == 1
    assert "pipeline `Воронка` was not deleted" in result.stderr
    assert amo.state.field_by_name("leads", "Старое поле") is None


# ---------------------------------------------------------------- retries and errors

def test_429_is_backed_off_and_retried(amo: FakeAmo, funnel: Path) -> None:
    amo.fail_plan = {1: 429, 2: 429, 6: 429}
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 0, result.output
    statuses = [r.status for r in amo.requests]
    assert statuses[:3] == [429, 429, 200] and statuses[5] == 429
    assert "3 retried" in result.stdout
    assert amo.state.pipeline_by_name("Продажи") is not None


def test_retry_after_is_honoured() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0.25"}), httpx.Response(200, json={})])
    slept: list[float] = []
    transport = httpx.MockTransport(lambda request: next(answers))
    with AmoClient("https://x.amocrm.ru", TOKEN, transport=transport, sleep=slept.append) as client:
        assert client.request("GET", PIPELINES) == {}
    assert slept == [0.25]


def test_backoff_grows_exponentially_with_jitter() -> None:
    client = AmoClient("https://x.amocrm.ru", TOKEN, backoff_base_s=1.0)
    waits = [client.backoff(n) for n in (1, 2, 3, 4)]
    for n, wait in enumerate(waits, start=1):
        assert 2 ** (n - 1) / 2 <= wait <= 2 ** (n - 1)
    client.close()


def test_5xx_is_retried(amo: FakeAmo, funnel: Path) -> None:
    post_pipelines = {"n": 0}

    def plan(number: int, method: str, path: str) -> int | None:
        if number == 2:
            return 503  # a GET
        if method == "POST" and path == PIPELINES and post_pipelines["n"] == 0:
            post_pipelines["n"] += 1
            return 502  # a POST: reconciled (re-read) before it is sent again
        return None

    amo.fail_plan = plan
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 0, result.output
    assert [p.name for p in amo.state.ordered_pipelines()].count("Продажи") == 1
    log = [(r.method, r.path, r.status) for r in amo.requests]
    failed = log.index(("POST", PIPELINES, 502))
    assert log[failed + 1] == ("GET", PIPELINES, 200)
    assert log[failed + 2] == ("POST", PIPELINES, 200)


def test_5xx_after_the_server_created_the_items_creates_no_duplicates(amo: FakeAmo) -> None:
    """The dangerous case: amoCRM made the pipeline, then answered 500. The executor
    re-reads and does not send it again."""
    from funnelc.api import load_text
    from funnelc.export.amocrm import build_bundle
    from funnelc.export.amocrm_apply import execute, plan_for

    class LosesFirstAnswer(httpx.HTTPTransport):
        lost = False

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.method == "POST" and request.url.path == PIPELINES and not self.lost:
                self.lost = True
                response.read()
                return httpx.Response(500)
            return response

    bundle, _ = build_bundle(load_text(FUNNEL, "f.funnel").model)
    with AmoClient(amo.base_url, TOKEN, transport=LosesFirstAnswer(), sleep=lambda s: None) as client:
        plan, _ = plan_for(client, bundle, prune=False)
        refused, _ = execute(client, plan, lambda text: None)
    assert refused == []
    names = [p.name for p in amo.state.ordered_pipelines()]
    assert names.count("Продажи") == 1 and names.count("Сервис") == 1
    assert len(amo.calls("POST", PIPELINES)) == 1
    assert amo.state.field_by_name("leads", "Бюджет").required_statuses


def test_5xx_that_never_ends_gives_up(amo: FakeAmo, funnel: Path) -> None:
    amo.fail_plan = lambda number, method, path: 503
    result = apply(amo, funnel)
    assert result.exit_code == 2
    assert "gave up after 5 attempts" in result.stderr
    assert len(amo.requests) == 5


def test_401_stops_with_a_token_message(amo: FakeAmo, funnel: Path) -> None:
    result = apply(amo, funnel, "--yes", token="tok-WRONG-7c1d-DISTINCTIVE")
    assert result.exit_code == 2
    assert "401" in result.stderr and "AMOCRM_TOKEN" in result.stderr
    assert "tok-WRONG-7c1d-DISTINCTIVE" not in result.output
    assert len(amo.requests) == 1


def test_403_stops_with_a_rights_message(amo: FakeAmo, funnel: Path) -> None:
    amo.blocked = True
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 2
    assert "403" in result.stderr and "administrator" in result.stderr
    assert len(amo.requests) == 1


def test_403_on_a_write_stops_before_anything_else(amo: FakeAmo, funnel: Path) -> None:
    amo.fail_plan = lambda number, method, path: 403 if method == "POST" else None
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 2
    assert len(writes(amo)) == 1


def test_refusal_of_a_change_is_exit_1_with_amocrm_s_reason(amo: FakeAmo, funnel: Path) -> None:
    amo.fail_plan = lambda number, method, path: 422 if method == "POST" else None
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 1
    assert "amoCRM refused POST /api/v4/leads/pipelines (422" in result.stderr


def test_account_limits_are_checked_before_any_change(funnel: Path) -> None:
    state = AmoState.new_account()
    for i in range(49):
        state.make_pipeline(f"Старая {i}", sort=100 + i, is_main=False, is_unsorted_on=False)
    with running_fake_amocrm(token=TOKEN, state=state) as amo:
        result = apply(amo, funnel, "--yes")
        assert result.exit_code == 1
        assert "would hold 52 pipelines" in result.stderr
        assert writes(amo) == []


def test_fields_are_found_on_later_pages(funnel: Path) -> None:
    state = AmoState.new_account()
    for i in range(260):
        state.add_custom_field("leads", f"Поле {i}", "text")
    state.add_custom_field("leads", "Бюджет", "numeric")
    with running_fake_amocrm(token=TOKEN, state=state) as amo:
        result = apply(amo, funnel)
        assert result.exit_code == 0, result.output
        assert "+ create deal field `Бюджет` (numeric)" not in plan_lines(result)
        pages = [r.query.get("page") for r in amo.calls("GET", "/api/v4/leads/custom_fields")]
        assert pages == ["1", "2"]


# ---------------------------------------------------------------- the token and the transport

def test_the_token_never_appears_in_any_output(amo: FakeAmo, funnel: Path, tmp_path: Path) -> None:
    outputs = [apply(amo, funnel), apply(amo, funnel, "--yes"), apply(amo, funnel, "--yes")]
    amo.fail_plan = lambda number, method, path: 503
    outputs.append(apply(amo, funnel))
    amo.fail_plan = lambda number, method, path: 400
    outputs.append(apply(amo, funnel))
    amo.fail_plan = None
    amo.blocked = True
    outputs.append(apply(amo, funnel))
    amo.token = "another"
    amo.blocked = False
    outputs.append(apply(amo, funnel))
    broken = tmp_path / "broken.funnel"
    broken.write_text('pipeline "P" { stage "S" { color "#123456"\n -> won } }\n', encoding="utf-8")
    outputs.append(apply(amo, broken))
    outputs.append(CliRunner().invoke(cli, ["apply", "amocrm", str(funnel), "--base-url", "http://example.com"],
                                      env={"AMOCRM_TOKEN": TOKEN, "FUNNELC_DEBUG": None}))
    for result in outputs:
        assert TOKEN not in result.output
    assert {r.exit_code for r in outputs} == {0, 1, 2}
    assert not any(TOKEN in str(r.body) for r in amo.requests)


def test_internal_failure_message_is_scrubbed(amo: FakeAmo, funnel: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from funnelc.export import amocrm_apply

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"something broke near Bearer {TOKEN}")

    monkeypatch.setattr(amocrm_apply, "plan_for", boom)
    result = apply(amo, funnel)
    assert result.exit_code == 2
    assert "internal failure" in result.stderr and TOKEN not in result.output


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.1:8080", "ftp://127.0.0.1",
                                 "https://user:pw@x.amocrm.ru", "http://127.0.0.1.example.com"])
def test_plain_http_only_to_loopback(url: str, funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", "amocrm", str(funnel), "--base-url", url],
                                env={"AMOCRM_TOKEN": TOKEN})
    assert result.exit_code == 2
    assert "--base-url" in result.output


def test_loopback_names_are_allowed() -> None:
    for url in ("http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://x.kommo.com/"):
        assert amocrm_client.check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize("subdomain", ["evil.com/x", "a b", "-x", ""])
def test_subdomain_must_be_a_subdomain(subdomain: str, funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", "amocrm", str(funnel), "--subdomain", subdomain],
                                env={"AMOCRM_TOKEN": TOKEN})
    assert result.exit_code == 2


def test_default_base_url_is_https_amocrm_ru() -> None:
    assert amocrm_client.default_base_url("MyShop") == "https://myshop.amocrm.ru"


@pytest.mark.parametrize("token", [None, "", "  ", "has space", "два"])
def test_missing_or_malformed_token_is_a_usage_error(token: str | None, funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", "amocrm", str(funnel), "--subdomain", "x"],
                                env={"AMOCRM_TOKEN": token})
    assert result.exit_code == 2
    assert "AMOCRM_TOKEN" in result.output


def test_file_errors_stop_before_any_request(amo: FakeAmo, tmp_path: Path) -> None:
    bad = tmp_path / "bad.funnel"
    bad.write_text('pipeline "P" { stage "S" { color "#123456"\n -> won } }\n', encoding="utf-8")
    result = apply(amo, bad)
    assert result.exit_code == 1
    assert amo.requests == []


# ---------------------------------------------------------------- the rate limiter

class SharedClock:
    """One virtual clock for the client's limiter and the fake's window: sleeping
    advances it, so the test is exact and instant."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("per_s, expect_429", [(7, False), (20, True)])
def test_limiter_stays_under_the_fake_429_threshold(per_s: int, expect_429: bool) -> None:
    clock = SharedClock()
    with running_fake_amocrm(token=TOKEN, rate_limit_per_s=7, clock=clock) as amo:
        limiter = RateLimiter(per_s, clock=clock, sleep=clock.sleep)
        with AmoClient(amo.base_url, TOKEN, limiter=limiter, sleep=clock.sleep, max_attempts=1) as client:
            try:
                for _ in range(50):
                    client.request("GET", PIPELINES)
                    clock.now += 0.001  # each request takes a millisecond
            except amocrm_client.AmoNetworkError:
                pass
        assert (amo.rate_limited_count > 0) is expect_429
        if not expect_429:
            assert len(amo.requests) == 50
            assert clock.now - 5000.0 >= 6.0  # 50 requests at 7/s need 7 windows


def test_limiter_in_real_time() -> None:
    with running_fake_amocrm(token=TOKEN, rate_limit_per_s=7) as amo:
        with AmoClient(amo.base_url, TOKEN) as client:
            start = time.monotonic()
            for _ in range(15):
                client.request("GET", PIPELINES)
            elapsed = time.monotonic() - start
        assert amo.rate_limited_count == 0
        assert elapsed >= 2.0  # requests 8 and 15 had to wait for a new window
