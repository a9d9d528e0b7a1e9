"""`funnelc apply FILE --to hubspot` end to end against the loopback fake of HubSpot's CRM
v3 pipelines and properties (tests/fakes/hubspot_server.py, built from HubSpot's public
API spec collection): every example applies, a second apply plans nothing, a changed
file plans exactly the change, the lost reasons become the options of
closed_lost_reason, a failure at any request leaves a state a re-run completes, bad
answers and plain http are refused with located messages, a plan over a limit sends no
write, and the token is never printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli
from funnelc.export import deploy, hubspot_client

try:
    from tests.fakes.hubspot_server import FakeHubSpot, Pipeline, running_fake_hubspot
except ModuleNotFoundError:  # pragma: no cover
    from fakes.hubspot_server import (  # type: ignore[no-redef]
        FakeHubSpot,
        Pipeline,
        running_fake_hubspot,
    )

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "hs-tok-DISTINCTIVE-41ab"
EXAMPLES = sorted((ROOT / "pipelines").glob("*.funnel"))

FUNNEL = """\
account "Test" {
  language en
}
team "Sales" size 2
field "Budget" money
field "Kind" enum("B2B", "B2C")
field "Email" email on contact
field "Position" text on contact
field "Tax id" text on company
source "Site" 10/day -> "Sales"."Lead"
pipeline "Sales" main sales {
  stage "Lead" {
    owner "Sales"
    -> "Offer" 50%
    -> lost "Not a fit" 50%
  }
  stage "Offer" key {
    requires "Budget"
    -> "Contract" 40%
    -> lost "Expensive" 60%
  }
  stage "Contract" {
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hubspot_client, "PER_S", 10_000)
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setenv(hubspot_client.TOKEN_ENV, TOKEN)


@pytest.fixture
def hs() -> Iterator[FakeHubSpot]:
    with running_fake_hubspot(TOKEN, burst=None) as fake:
        yield fake


def apply(fake: FakeHubSpot, path: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["apply", str(path), "--to", "hubspot", "--base-url",
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
                                                                 hs: FakeHubSpot) -> None:
    first = apply(hs, example, "--yes")
    assert first.exit_code == 0, first.output
    again = apply(hs, example)
    assert again.exit_code == 0, again.output
    assert changes(again) == []
    assert "nothing to do" in again.stdout


def test_plan_then_apply_pipelines_properties_and_lost_reasons(hs: FakeHubSpot,
                                                               tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    planned = apply(hs, path)
    assert planned.exit_code == 0, planned.output
    assert changes(planned) == [
        "+ create pipeline `Sales` with 5 stages (closed won/lost included)",
        "+ create 2 deal properties: `Budget` (number), `Kind` (enumeration)",
        "+ create 1 contact property: `Position` (string)",
        "+ create 1 company property: `Tax id` (string)",
        "~ deal property `closed_lost_reason`: make it a dropdown with the options "
        "`Not a fit`, `Expensive`",
    ]
    assert "by hand: 1 required field per stage" in planned.stdout
    assert not hs.calls("POST")
    assert apply(hs, path, "--yes").exit_code == 0
    stages = dict(hs.snapshot())["Sales"]
    assert [s for s, _ in stages] == ["Lead", "Offer", "Contract", "Closed won", "Closed lost"]
    assert all(p in {f"{k / 10:.1f}" for k in range(11)} for _, p in stages)
    reason = hs.props["deals"]["closed_lost_reason"]
    assert (reason.type, reason.field_type) == ("enumeration", "select")
    assert [o["label"] for o in reason.options] == ["Not a fit", "Expensive"]
    assert "email" in hs.props["contacts"] and not any(
        p.label == "Email" and not p.defined for p in hs.props["contacts"].values())
    assert len(hs.calls("POST")) == 4, "one pipeline request, one batch per object"


def test_a_changed_file_plans_exactly_the_change(hs: FakeHubSpot, tmp_path: Path) -> None:
    assert apply(hs, write(tmp_path, FUNNEL), "--yes").exit_code == 0
    changed = (FUNNEL.replace('enum("B2B", "B2C")', 'enum("B2B", "B2C", "B2G")')
               .replace('-> lost "Expensive" 60%', '-> lost "Expensive" 30%\n    '
                        '-> lost "No budget" 30%')
               .replace('  stage "Contract" {', '  stage "Demo" {\n    -> "Contract"\n  }\n'
                        '  stage "Contract" {').replace('-> "Contract" 40%', '-> "Demo" 40%'))
    path = write(tmp_path, changed, "g.funnel")
    planned = apply(hs, path)
    assert changes(planned) == [
        "+ add stage `Demo` to pipeline `Sales`",
        "~ update stage `Contract` of pipeline `Sales`: display order 2 → 3",
        "~ update stage `Closed won` of pipeline `Sales`: display order 3 → 4",
        "~ update stage `Closed lost` of pipeline `Sales`: display order 4 → 5",
        "~ deal property `kind`: add options `B2G`",
        "~ deal property `closed_lost_reason`: add options `No budget`",
    ], planned.output
    assert apply(hs, path, "--yes").exit_code == 0
    assert changes(apply(hs, path)) == []
    assert [o["label"] for o in hs.props["deals"]["closed_lost_reason"].options] == [
        "Not a fit", "Expensive", "No budget"]


def test_deletions_only_with_allow_delete(hs: FakeHubSpot, tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(hs, path, "--yes").exit_code == 0
    assert "= leave alone: pipeline `Sales Pipeline` (not in the file)" in apply(hs, path).stdout
    pruned = apply(hs, path, "--allow-delete", "--yes")
    assert pruned.exit_code == 0, pruned.output
    assert [p for p, _ in hs.snapshot()] == ["Sales"]
    assert "closed_lost_reason" in hs.props["deals"], "HubSpot's own properties stay"


def _clean_state(tmp_path: Path) -> tuple[object, int]:
    with running_fake_hubspot(TOKEN, burst=None) as fake:
        assert apply(fake, write(tmp_path, FUNNEL), "--yes").exit_code == 0
        return (fake.snapshot(), {o: sorted(p) for o, p in fake.props.items()}), \
            fake.request_count


@pytest.mark.parametrize("mode", ["refused", "done-but-lost"])
def test_a_failure_at_every_request_leaves_a_state_a_rerun_completes(mode: str,
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    clean, total = _clean_state(tmp_path)
    for number in range(1, total + 1):
        with running_fake_hubspot(TOKEN, burst=None) as fake:
            if mode == "refused":
                fake.fail_plan = {number: 500}
            else:
                fake.fail_after = {number}
            first = apply(fake, path, "--yes")
            assert "Traceback" not in first.output
            second = apply(fake, path, "--yes")
            assert second.exit_code == 0, (number, second.output)
            assert changes(apply(fake, path)) == [], number
            state = (fake.snapshot(), {o: sorted(p) for o, p in fake.props.items()})
            assert state == clean, number


@pytest.mark.parametrize(("body", "words"), [
    (b"<!DOCTYPE html><html>Service unavailable</html>", "HTML page"),
    (b'{"results": [{"id": "1", "label": "P", "displayOrder": 0, "sta', "cut off"),
    (b'{"results": {"id": "1"}}', "`results` is an object, expected an array"),
    (b'{"results": [{"id": 1, "label": "P", "stages": []}]}', "expected a string"),
])
def test_an_answer_not_shaped_as_documented_names_the_request(hs: FakeHubSpot, tmp_path: Path,
                                                              body: bytes, words: str) -> None:
    hs.garble = {1: body}
    result = apply(hs, write(tmp_path, FUNNEL))
    assert result.exit_code in (1, 2), result.output
    assert "GET" in result.stderr and "/crm/v3/pipelines/deals" in result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.output and "internal failure" not in result.output


def test_plain_http_only_to_loopback_and_the_token_never_printed(hs: FakeHubSpot,
                                                                 tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    remote = CliRunner().invoke(cli, ["apply", str(path), "--to", "hubspot", "--base-url",
                                      "http://api.hubapi.example"])
    assert remote.exit_code == 2
    assert "plain http is allowed only to a loopback address" in remote.output
    for args in (["--yes"], ["--format", "json"]):
        assert TOKEN not in apply(hs, path, *args).output
    hs.token = "another-token-123"
    refused = apply(hs, path)
    assert refused.exit_code == 2
    assert "refused the credential (401)" in refused.stderr and TOKEN not in refused.output


def test_a_plan_over_the_pipeline_limit_is_refused_before_any_write(hs: FakeHubSpot,
                                                                    tmp_path: Path) -> None:
    for k in range(99):
        hs.pipelines[f"p{k}"] = Pipeline(f"p{k}", f"Old {k}", k + 1)
    result = apply(hs, ROOT / "pipelines" / "courses.funnel", "--yes")
    assert result.exit_code == 1, result.output
    assert "HubSpot allows at most 100" in result.stderr
    assert {method for method, *_ in hs.log} == {"GET"}


def test_the_client_keeps_under_the_burst_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """100 requests per 10 s is the lowest tier's burst limit; a window of 10 requests
    per second is the same rule scaled down, so the test takes a second or two."""
    monkeypatch.setattr(hubspot_client, "PER_S", 10)
    with running_fake_hubspot(TOKEN, burst=10, window_s=1.0) as fake:
        result = apply(fake, ROOT / "pipelines" / "saleschef.funnel", "--yes")
        assert result.exit_code == 0, result.output
        assert all(status != 429 for *_, status in fake.log)
        assert fake.request_count > 10


def test_a_429_is_retried_with_back_off(hs: FakeHubSpot, tmp_path: Path) -> None:
    hs.fail_plan = {1: 429, 6: 429}
    result = apply(hs, write(tmp_path, FUNNEL), "--yes")
    assert result.exit_code == 0, result.output
    assert "2 retried" in result.stdout


def test_an_existing_pipeline_keeps_hand_named_closed_stages_and_case(hs: FakeHubSpot,
                                                                     tmp_path: Path) -> None:
    path = write(tmp_path, FUNNEL)
    assert apply(hs, path, "--yes").exit_code == 0
    sales = next(p for p in hs.pipelines.values() if p.label == "Sales")
    won = next(s for s in sales.stages if s.label == "Closed won")
    won.label = "Signed and paid"
    next(s for s in sales.stages if s.label == "Lead").label = "lead"
    planned = apply(hs, path)
    assert planned.exit_code == 0, planned.output
    assert changes(planned) == []
    assert "the closed won stage is called `Signed and paid` (named by hand): kept" in \
        planned.stdout
