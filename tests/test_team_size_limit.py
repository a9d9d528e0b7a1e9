"""A team larger than any CRM account is a slip, found by `check` with its place (FN239):
`team "Продажи" size 100000000000000000000` passed without a word, and `analyze`,
`simulate` and `staff` took it at its word. The limit is `limits.MAX_TEAM_SIZE` (10,000:
the largest Bitrix24 plan's users); a scenario, a `--set` line and `staff --max-size`
keep to it too."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelc.cli import cli
from funnelc.limits import MAX_TEAM_SIZE

HUGE = "100000000000000000000"
FUNNEL = """team "Продажи" size {size}

source "Сайт" 5/day -> "Воронка"."Заявка"

pipeline "Воронка" main {{
  stage "Заявка" {{
    owner "Продажи"
    work 30m
    -> won 50%
    -> lost "Дорого" 50%
  }}
}}
"""
QUICK = ("--reps", "1", "--days", "40", "--warmup", "5", "--jobs", "1")


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env={"NO_COLOR": "1"})


def _funnel(tmp_path: Path, size: object) -> Path:
    path = tmp_path / "team.funnel"
    path.write_text(FUNNEL.format(size=size), encoding="utf-8")
    return path


def test_check_finds_the_team_with_its_place(tmp_path: Path) -> None:
    path = _funnel(tmp_path, HUGE)
    res = _run("check", path)
    assert res.exit_code == 1
    assert "error[FN239]: team `Продажи` is larger than any CRM account" in res.output
    assert f"--> {path}:1:21" in res.output
    assert f"1 | team \"Продажи\" size {HUGE}" in res.output
    assert f"  |                     {'^' * len(HUGE)} more than 10,000 members" in res.output
    assert "= help: write the number of people in the team" in res.output


@pytest.mark.parametrize("command", [
    ("simulate", *QUICK),
    ("analyze",),
    ("staff", "--team", "Продажи", "--target", "utilization <= 80%", *QUICK),
])
def test_the_commands_that_run_it_refuse_it(tmp_path: Path, command: tuple[str, ...]) -> None:
    path = _funnel(tmp_path, HUGE)
    res = _run(command[0], path, *command[1:])
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "error[FN239]" in res.output and "Traceback" not in res.output
    assert "the file has errors" in res.output


def test_a_set_line_and_the_staff_options_keep_to_it(tmp_path: Path) -> None:
    path = _funnel(tmp_path, 2)
    res = _run("whatif", path, "--set", f'team "Продажи" size {HUGE}', *QUICK)
    assert res.exit_code == 2, res.output  # a bad --set line is a usage error
    assert "error[FN239]: scenario makes a team larger than any CRM account" in res.output
    assert "--> --set:1:1" in res.output
    for option in ("--max-size", "--from-size"):
        res = _run("staff", path, "--team", "Продажи", "--target", "utilization <= 80%",
                   option, HUGE)
        assert res.exit_code == 2, res.output
        assert f"'{option}': {HUGE} is not in the range 1<=x<=10000" in res.output


def test_the_largest_team_passes(tmp_path: Path) -> None:
    assert "FN239" not in _run("check", _funnel(tmp_path, MAX_TEAM_SIZE)).output
    assert "FN239" in _run("check", _funnel(tmp_path, MAX_TEAM_SIZE + 1)).output


SIZES = st.one_of(st.integers(min_value=-10, max_value=3 * MAX_TEAM_SIZE).map(str),
                  st.integers(min_value=0, max_value=10**4000).map(str),
                  st.text("0123456789", min_size=1, max_size=5000))
"""Any whole number as written: small, near the limit, huge, longer than the 4,300 digits
Python turns into an int, with leading zeros, negative."""


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=SIZES)
def test_check_never_crashes_on_any_size(tmp_path: Path, size: str) -> None:
    res = _run("check", _funnel(tmp_path, size))
    assert res.exit_code in (0, 1), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    if size.startswith("-") or len(size) > 4300:
        assert "error[FN001]" in res.output  # not a size the grammar reads, or too long
    elif int(size) > MAX_TEAM_SIZE:
        assert "error[FN239]" in res.output
    elif int(size) == 0:
        assert "error[FN217]" in res.output
    else:
        assert "error" not in res.output
