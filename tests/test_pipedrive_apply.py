"""`funnelc apply FILE --to pipedrive` end to end against the loopback fake of Pipedrive's
API v2 (tests/fakes/pipedrive_server.py, built from the official client's
OpenAPI-generated models): every example applies, a second apply plans nothing, a
changed file plans exactly the change, a failure at any request leaves a state a
re-run completes, bad answers and plain http are refused with located messages, a plan
over a limit sends no write, the rate limit holds, and the token is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import deploy, pipedrive_client

try:
    from tests.fakes.pipedrive_server import FakePipedrive, running_fake_pipedrive
except ModuleNotFoundError:  # pragma: no cover
    from fakes.pipedrive_server import FakePipedrive, running_fake_pipedrive  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "pd-tok-DISTINCTIVE-7c1e"
EXAMPLES = sorted((ROOT / "pipelines").glob("*.funnel"))

FUNNEL = """\
account "Test" {
  language en
}
team "Sales" size 2
field "Budget" money
field "Kind" enum("B2B", "B2C")
field "Phone" phone on contact
field "Position" text on contact
source "Site" 10/day -> "Sales"."Lead"
pipeline "Sales" main sales {
  stage "Lead" {
    owner "Sales"
    sla 2d -> lost "Too slow"
    -> "Offer" 50%
    -> lost "Not a fit" 50%
  }
  stage "Offer" key {
    requires "Budget", "Kind", "Position"
    -> "Contract" 40%
    -> lost "Expensive" 60%
  }
  stage "Contract" {
    requires "Budget"
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """No waiting in tests: the client's limiter and back-off are exercised on their own."""
    monkeypatch.setattr(pipedrive_client, "PER_S", 10_000)
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setenv(pipedrive_client.TOKEN_ENV, TOKEN)


@pytest.fixture
def pd() -> Iterator[FakePipedrive]:
    with running_fake_pipedrive(TOKEN, burst=None) as fake:
        yield fake


def apply(fake: FakePipedrive, path: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["apply", str(path), "--to", "pipedrive", "--base-url",
                                    fake.base_url, *extra])


def changes(result: Result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines()
            if re.match(r"\s+[+~-] ", line)]


def write(tmp_path: Path, text: str, name: str = "f.funnel") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_applies_and_a_second_apply_plans_nothing(example: Path,
                                                                 pd: FakePipedrive) -> None:
    first = apply(pd, example, "--yes")
    assert first.exit_code == 0, first.output
    assert "applied" in first.stdout
    again = apply(pd, example)
    assert again.exit_code == 0, again.output
    assert changes(again) == []
    assert "nothing to do" in again.stdout
    assert all(method == "GET" for method, *_ in pd.log[-5:])


def test_plan_then_apply_builds_pipelines_stages_and_fields(pd: FakePipedrive,
                                                            tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    planned = apply(pd, path)
    assert planned.exit_code == 0, planned.output
    assert changes(planned) == [
        "+ create pipeline `Sales` with 3 stages",
        "+ create deal field `Budget` (monetary)",
        "+ create deal field `Kind` (enum)",
        "+ create person field `Position` (varchar)",
    ]
    assert not pd.calls("POST"), "a plan without --yes sends no write"
    assert apply(pd, path, "--yes").exit_code == 0
    sales = dict(pd.snapshot())["Sales"]
    assert [s[0] for s in sales] == ["Lead", "Offer", "Contract"]
    assert sales[0][2] == 2  # sla 2d → rotting after 2 days
    assert sales[2][2] is None
    budget = next(f for f in pd.fields["deal"].values() if f.name == "Budget")
    ids = {s.name: s.id for s in pd.stages.values()}
    assert budget.required == {"enabled": True, "stage_ids": [ids["Offer"], ids["Contract"]]}
    position = next(f for f in pd.fields["person"].values() if f.name == "Position")
    assert position.important == {"enabled": True, "stage_ids": [ids["Offer"]]}
    assert position.required == {"enabled": False}


def test_a_changed_file_plans_exactly_the_change(pd: FakePipedrive, tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(pd, path, "--yes").exit_code == 0
    changed = FUNNEL.replace('field "Kind" enum("B2B", "B2C")', 'field "Kind" enum("B2B", "B2C", "B2G")')
    changed = changed.replace("sla 2d -> lost", "sla 3d -> lost")
    changed = changed.replace('  stage "Contract" {', '  stage "Demo" {\n    -> "Contract"\n  }\n'
                              '  stage "Contract" {').replace('-> "Contract" 40%', '-> "Demo" 40%')
    path2 = write(tmp_path, changed, "g.funnel")
    planned = apply(pd, path2)
    assert changes(planned) == [
        "+ add stage `Demo` to pipeline `Sales`",
        "~ update stage `Lead` of pipeline `Sales`: rotting after 3 days",
        "~ put the stages of pipeline `Sales` in the file's order",
        "~ deal field `Kind`: add options `B2G`",
    ], planned.output
    assert apply(pd, path2, "--yes").exit_code == 0
    assert [s[0] for s in dict(pd.snapshot())["Sales"]] == ["Lead", "Offer", "Demo", "Contract"]
    assert changes(apply(pd, path2)) == []


def test_deletions_only_with_allow_delete_and_listed_apart(pd: FakePipedrive,
                                                          tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(pd, path, "--yes").exit_code == 0
    kept = apply(pd, path)
    assert "= leave alone: pipeline `Pipeline` (not in the file)" in kept.stdout
    pruned = apply(pd, path, "--allow-delete")
    assert "deletions (--allow-delete):" in pruned.stdout
    assert "- delete pipeline `Pipeline` (Pipedrive refuses if it holds deals)" in changes(pruned)
    assert apply(pd, path, "--allow-delete", "--yes").exit_code == 0
    assert [p for p, _ in pd.snapshot()] == ["Sales"]


def _clean_state(tmp_path: Path) -> tuple[list[object], int]:
    with running_fake_pipedrive(TOKEN, burst=None) as fake:
        assert apply(fake, write(tmp_path, FUNNEL), "--yes").exit_code == 0
        return fake.snapshot(), fake.request_count


@pytest.mark.parametrize("mode", ["refused", "done-but-lost"])
def test_a_failure_at_every_request_leaves_a_state_a_rerun_completes(mode: str,
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    clean, total = _clean_state(tmp_path)
    for number in range(1, total + 1):
        with running_fake_pipedrive(TOKEN, burst=None) as fake:
            if mode == "refused":
                fake.fail_plan = {number: 500}
            else:
                fake.fail_after = {number}
            first = apply(fake, path, "--yes")
            assert "Traceback" not in first.output
            if first.exit_code != 0:
                assert "not applied:" in first.stderr, first.output
            second = apply(fake, path, "--yes")
            assert second.exit_code == 0, (number, second.output)
            assert changes(apply(fake, path)) == [], number
            assert fake.snapshot() == clean, number
            names = [f.name for f in fake.fields["deal"].values()]
            assert len(names) == len(set(names)), f"request {number}: a field made twice"


def test_a_refusal_stops_and_says_what_was_and_was_not_applied(pd: FakePipedrive,
                                                               tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    pd.fail_plan = {pd.request_count + 5 + 5: 400}  # the 5th write: field `Budget`
    result = apply(pd, path, "--yes")
    assert result.exit_code == 1, result.output
    assert "applied: + create pipeline `Sales` with 3 stages" in result.stderr
    assert "not applied: + create deal field `Budget` (monetary)" in result.stderr
    assert "run apply again" in result.stderr


@pytest.mark.parametrize(("body", "words"), [
    (b"<html><body>502 Bad Gateway</body></html>", "HTML page"),
    (b'{"success": true, "data": [{"id": 1, "na', "cut off"),
    (b'{"success": true, "data": "pipelines"}', "`data` is a string, expected an array"),
    (b'{"success": true, "data": [{"id": "1", "name": "P"}]}', "expected an integer"),
])
def test_an_answer_not_shaped_as_documented_names_the_request(pd: FakePipedrive, tmp_path: Path,
                                                              body: bytes, words: str) -> None:
    pd.garble = {1: body}
    result = apply(pd, write(tmp_path, FUNNEL))
    assert result.exit_code in (1, 2), result.output
    assert "GET" in result.stderr and "/api/v2/pipelines" in result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.output and "internal failure" not in result.output


def test_plain_http_only_to_loopback_and_the_token_never_printed(pd: FakePipedrive,
                                                                 tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    remote = CliRunner().invoke(cli, ["apply", str(path), "--to", "pipedrive", "--base-url",
                                      "http://api.example.com"])
    assert remote.exit_code == 2
    assert "plain http is allowed only to a loopback address" in remote.output
    for args in (["--yes"], ["--format", "json"], ["-v"]):
        result = apply(pd, path, *args)
        assert TOKEN not in result.output
    pd.token = "another-token-123"
    refused = apply(pd, path)
    assert refused.exit_code == 2
    assert "refused the credential (401)" in refused.stderr
    assert TOKEN not in refused.output


def test_a_plan_over_a_limit_is_refused_before_any_write(pd: FakePipedrive,
                                                         tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL.replace('stage "Contract"', f'stage "{"C" * 300}"')
                 .replace('-> "Contract" 40%', f'-> "{"C" * 300}" 40%'))
    result = apply(pd, path, "--yes")
    assert result.exit_code == 1, result.output
    assert "Pipedrive holds at most 255" in result.stderr
    assert {method for method, *_ in pd.log} == {"GET"}


def test_the_client_keeps_under_the_burst_limit(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake answers 429 past 20 requests per 2 s, the lowest plan's burst limit; the
    client's own limiter keeps it from ever seeing one."""
    monkeypatch.setattr(pipedrive_client, "PER_S", 10)
    with running_fake_pipedrive(TOKEN, burst=20, window_s=2.0) as fake:
        result = apply(fake, ROOT / "pipelines" / "courses.funnel", "--yes")
        assert result.exit_code == 0, result.output
        assert all(status != 429 for *_, status in fake.log)
        assert fake.request_count > 20


def test_a_429_is_retried_with_back_off(pd: FakePipedrive, tmp_path: Path) -> None:
    pd.fail_plan = {1: 429, 7: 429}
    result = apply(pd, write(tmp_path, FUNNEL), "--yes")
    assert result.exit_code == 0, result.output
    assert "2 retried" in result.stdout


def test_a_field_of_another_type_is_left_as_it_is_with_a_warning(pd: FakePipedrive,
                                                                tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(pd, path, "--yes").exit_code == 0
    budget = next(f for f in pd.fields["deal"].values() if f.name == "Budget")
    budget.type = "double"
    planned = apply(pd, path)
    assert changes(planned) == []
    assert "deal field `Budget` is double in the account, monetary in the file: Pipedrive " \
        "cannot change a field's type; left as it is" in planned.stdout


def test_won_lost_requirements_set_by_hand_are_kept(pd: FakePipedrive, tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(pd, path, "--yes").exit_code == 0
    budget = next(f for f in pd.fields["deal"].values() if f.name == "Budget")
    pid = next(p.id for p in pd.pipelines.values() if p.name == "Sales")
    offer = next(s.id for s in pd.stages.values() if s.name == "Offer")
    budget.required = {"enabled": True, "stage_ids": [offer],
                       "statuses": {str(pid): ["won"]}}
    planned = apply(pd, path)
    assert changes(planned) == ["~ deal field `Budget`: required at `Sales` → `Contract`"]
    assert apply(pd, path, "--yes").exit_code == 0
    assert budget.required["statuses"] == {str(pid): ["won"]}
    assert len(budget.required["stage_ids"]) == 2
