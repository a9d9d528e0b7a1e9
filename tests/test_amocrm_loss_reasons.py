"""`funnelc apply` creates amoCRM loss reasons (issue 17): the file's `lost "reason"`s
go to `POST /api/v4/leads/loss_reasons` (the official PHP SDK's endpoint), planned as
create / leave alone, deleted only with --allow-delete; a second apply plans nothing; a
failure at any request leaves a state a re-run completes; what was applied imports back
with `import --loss-reasons`. The fake (tests/fakes/amocrm_server.py) enforces the SDK's
shape of the endpoint (name required, request_id never 0, no batch PATCH/DELETE)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.export import amocrm_client
from funnelc.export.amocrm import build_bundle
from funnelc.export.amocrm_apply import execute, plan_for
from funnelc.export.amocrm_client import AmoClient, AmoError, RateLimiter

try:  # works whether or not tests/ ever becomes a package
    from tests.fakes.amocrm_server import FakeAmo, running_fake_amocrm
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.amocrm_server import FakeAmo, running_fake_amocrm  # type: ignore[no-redef]

TOKEN = "tok-LR-7c1d-DISTINCTIVE"
REASONS = "/api/v4/leads/loss_reasons"

FUNNEL = """\
account "Тест" {
  language ru
}
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main {
  stage "Заявка" {
    -> "КП" 50%
    -> lost "Нецелевой" 50%
  }
  stage "КП" {
    -> won 40%
    -> lost "Дорого" 40%
    -> lost "Купил у конкурента" 20%
  }
}
"""
WANTED = ["Нецелевой", "Дорого", "Купил у конкурента"]


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
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


def apply(amo: FakeAmo, path: Path, *extra: str) -> Result:
    amo.reset_rate_window()
    env = {"NO_COLOR": "1", "FUNNELC_DEBUG": None, "AMOCRM_TOKEN": TOKEN}
    return CliRunner().invoke(cli, ["apply", str(path), "--base-url", amo.base_url, *extra],
                              env=env)


def plan_lines(result: Result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]


def names(amo: FakeAmo) -> list[str]:
    return [r.name for r in amo.state.ordered_loss_reasons()]


def test_plan_lists_the_reasons_to_create_and_sends_nothing(amo: FakeAmo, funnel: Path) -> None:
    result = apply(amo, funnel)
    assert result.exit_code == 0, result.output
    lines = plan_lines(result)
    assert [ln for ln in lines if "loss reason" in ln] == [
        f"+ create loss reason `{n}`" for n in WANTED]
    assert "by hand" not in result.stdout
    assert "0 loss reasons" in result.stdout.splitlines()[0]
    assert [r.method for r in amo.requests] == ["GET"] * len(amo.requests)
    assert names(amo) == []


def test_apply_creates_them_in_one_batch_and_a_second_apply_plans_nothing(
        amo: FakeAmo, funnel: Path) -> None:
    result = apply(amo, funnel, "--yes")
    assert result.exit_code == 0, result.output
    assert "created 3 loss reasons" in result.stderr
    assert names(amo) == WANTED
    (post,) = amo.calls("POST", REASONS)
    assert post.status == 200
    assert [item["name"] for item in post.body] == WANTED
    assert all(item["request_id"] not in ("0", 0) for item in post.body)
    before = len(amo.requests)
    again = apply(amo, funnel, "--yes")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.stdout
    assert {r.method for r in amo.requests[before:]} == {"GET"}


def test_reasons_the_account_has_are_kept_or_deleted_only_when_allowed(
        amo: FakeAmo, funnel: Path) -> None:
    amo.state.add_loss_reason("Дорого")
    amo.state.add_loss_reason("Старая причина")
    plan = plan_lines(apply(amo, funnel))
    assert [ln for ln in plan if "loss reason" in ln] == [
        "+ create loss reason `Нецелевой`", "+ create loss reason `Купил у конкурента`",
        "= leave alone: loss reasons not in the file: `Старая причина`"]
    pruned = plan_lines(apply(amo, funnel, "--allow-delete"))
    assert "- delete loss reason `Старая причина`" in pruned
    assert not any(ln.startswith("- delete loss reason `Дорого`") for ln in pruned)
    assert apply(amo, funnel, "--yes").exit_code == 0
    assert names(amo) == ["Дорого", "Старая причина", "Нецелевой", "Купил у конкурента"]
    done = apply(amo, funnel, "--allow-delete", "--yes")
    assert done.exit_code == 0, done.output
    assert names(amo) == ["Дорого", "Нецелевой", "Купил у конкурента"]
    assert amo.calls("DELETE")[-1].path.startswith(REASONS + "/")
    assert "nothing to do" in apply(amo, funnel, "--allow-delete").stdout


def test_plan_json_counts_the_account_s_reasons(amo: FakeAmo, funnel: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    amo.state.add_loss_reason("Дорого")
    result = apply(amo, funnel, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["loss_reasons"] == 1 and "by_hand_loss_reasons" not in data
    assert "+ create loss reason `Нецелевой`" in data["changes"]
    schema = json.loads(CliRunner().invoke(cli, ["schema", "apply"]).stdout)
    jsonschema.validate(data, schema)


def _run_library(amo: FakeAmo, text: str = FUNNEL, *, prune: bool = False,
                 transport: httpx.BaseTransport | None = None) -> list[str]:
    """Plan and apply through the library with a limiter the fake never trips, so the
    loop below stays fast; the CLI path is the same code (tests above)."""
    model = load_text(text, "f.funnel").model
    assert model is not None
    bundle, _ = build_bundle(model)
    amo.reset_rate_window()
    with AmoClient(amo.base_url, TOKEN, limiter=RateLimiter(1000), sleep=lambda s: None,
                   max_attempts=2, transport=transport) as client:
        plan, _ = plan_for(client, bundle, prune=prune)
        lines = plan.lines()
        execute(client, plan, lambda line: None)
    return lines


def test_a_failure_at_any_request_leaves_a_state_a_rerun_completes() -> None:
    """From request n on the server answers 503 (it went down): apply stops; once it is
    back, a re-run completes and a third run plans nothing, for every n."""
    with running_fake_amocrm(token=TOKEN, rate_limit_per_s=None) as probe:
        _run_library(probe)
        total = probe.request_count
    assert total >= 7  # the reads, the pipeline, the reasons and the read-backs
    for n in range(1, total + 1):
        with running_fake_amocrm(token=TOKEN, rate_limit_per_s=None) as amo:
            amo.fail_plan = lambda number, method, path, n=n: 503 if number >= n else None
            with pytest.raises(AmoError):
                _run_library(amo)
            amo.fail_plan = None
            _run_library(amo)
            assert names(amo) == WANTED, n
            assert _run_library(amo) == [], n


def test_a_lost_answer_to_the_post_creates_no_duplicates() -> None:
    """amoCRM created the reasons, then the answer was lost (a 500): the executor re-reads
    the list and sends nothing again."""

    class LosesFirstAnswer(httpx.HTTPTransport):
        lost = False

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = super().handle_request(request)
            if request.method == "POST" and request.url.path == REASONS and not self.lost:
                self.lost = True
                response.read()
                return httpx.Response(500)
            return response

    with running_fake_amocrm(token=TOKEN, rate_limit_per_s=None) as amo:
        _run_library(amo, transport=LosesFirstAnswer())
        assert names(amo) == WANTED
        assert len(amo.calls("POST", REASONS)) == 1
        assert _run_library(amo) == []


def test_fake_refuses_what_the_sdk_documents_as_wrong(amo: FakeAmo) -> None:
    headers = {**amo.auth_headers, "Content-Type": "application/json"}
    with httpx.Client(base_url=amo.base_url, headers=headers) as http:
        assert http.get(REASONS).status_code == 204  # none yet
        bad = http.post(REASONS, json=[{"name": "A", "request_id": 0}, {"sort": 5}])
        assert bad.status_code == 400
        errors = bad.json()["validation-errors"]
        assert [e["errors"][0]["path"] for e in errors] == ["request_id", "name"]
        made = http.post(REASONS, json=[{"name": "A", "request_id": "1"}])
        assert made.status_code == 200
        item = made.json()["_embedded"]["loss_reasons"][0]
        assert item["request_id"] == "1" and item["name"] == "A"
        assert http.patch(REASONS, json=[{"id": item["id"], "name": "B"}]).status_code == 405
        assert http.patch(f"{REASONS}/{item['id']}", json={"name": "B"}).status_code == 200
        listed = http.get(REASONS).json()["_embedded"]["loss_reasons"]
        assert set(listed[0]) == {"id", "name", "sort", "created_at", "updated_at", "_links"}
        amo.reset_rate_window()
        assert http.delete(f"{REASONS}/{item['id']}").status_code == 204
        assert http.get(f"{REASONS}/{item['id']}").status_code == 404


def test_round_trip_with_import_loss_reasons(amo: FakeAmo, funnel: Path, tmp_path: Path) -> None:
    assert apply(amo, funnel, "--yes").exit_code == 0
    answers = {}
    amo.reset_rate_window()
    with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers) as http:
        for name, path in (("pipelines", "/api/v4/leads/pipelines"), ("reasons", REASONS)):
            answers[name] = tmp_path / f"{name}.json"
            answers[name].write_text(http.get(path).text, encoding="utf-8")
    out = tmp_path / "imported.funnel"
    result = CliRunner().invoke(cli, ["import", "--from", "amocrm", str(answers["pipelines"]),
                                      "--loss-reasons", str(answers["reasons"]), "--strict",
                                      "-o", str(out)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    listed = [ln[4:] for ln in text.splitlines() if ln.startswith("# - ")]
    assert listed[-3:] == WANTED
    # the imported names, written as the outcomes of a file, plan no loss reason to create
    outcomes = "\n".join(f'    -> lost "{name}" 25%' for name in listed[-3:])
    back = (f'source "S" 1/day -> "P"."A"\npipeline "P" {{\n  stage "A" {{\n    -> won 25%\n'
            f"{outcomes}\n  }}\n}}\n")
    path = tmp_path / "back.funnel"
    path.write_text(back, encoding="utf-8")
    replanned = apply(amo, path)
    assert replanned.exit_code == 0, replanned.output
    assert not any("loss reason" in ln for ln in plan_lines(replanned))
