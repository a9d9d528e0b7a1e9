"""`funnelc staff --target 'abandon <= P%'` (issue 15): the patience target. On a
one-stage M/M/c+M funnel the answer equals the smallest size whose Erlang A abandonment
share meets the target, computed here from the birth-death chain (not funnelc's
formula); the target is refused, with its place and a hint, where no deal can give up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

LAM, WORK_MIN, PATIENCE_MIN, SHARE = 20.0, 15.0, 10.0, 0.05

ONE_STAGE = f"""
team Ops size 3
source Calls {LAM:g}/hour -> Line.In
pipeline Line main {{
  stage In {{
    owner Ops
    work exp({WORK_MIN:g}m)
    patience exp({PATIENCE_MIN:g}m) -> lost "Ушел к конкурентам"
    -> won
  }}
}}
"""
FAST = ["--days", "6", "--warmup", "1", "--jobs", "1"]


def _abandon_share(c: int, lam: float, mu: float, theta: float, states: int = 400) -> float:
    """P(abandon) of M/M/c+M from its birth-death chain: π_n ∝ Π λ / (min(k, c)μ +
    (k - c)⁺θ); abandonments per hour are θ·E[(N - c)⁺], a share of λ."""
    weights = [1.0]
    for n in range(1, states):
        weights.append(weights[-1] * lam / (min(n, c) * mu + max(n - c, 0) * theta))
    total = sum(weights)
    queued = sum(max(n - c, 0) * w for n, w in enumerate(weights)) / total
    return theta * queued / lam


def _exact_minimal_c(share: float) -> int:
    mu, theta = 60.0 / WORK_MIN, 60.0 / PATIENCE_MIN
    return next(c for c in range(1, 100) if _abandon_share(c, LAM, mu, theta) <= share)


@pytest.fixture
def one_stage(tmp_path: Path) -> str:
    path = tmp_path / "patience.funnel"
    path.write_text(ONE_STAGE, encoding="utf-8")
    return str(path)


def _staff(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["staff", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("from_size", [None, "1"])
def test_abandon_target_equals_erlang_a(one_stage: str, from_size: str | None) -> None:
    want = _exact_minimal_c(SHARE)
    # The neighbours are far from the target, so simulation can settle them quickly.
    mu, theta = 60.0 / WORK_MIN, 60.0 / PATIENCE_MIN
    assert _abandon_share(want - 1, LAM, mu, theta) > 1.15 * SHARE
    assert _abandon_share(want, LAM, mu, theta) < 0.7 * SHARE
    extra = ["--from-size", from_size] if from_size else []
    code, out, err = _staff(one_stage, "--team", "Ops", "--target", "abandon <= 5%",
                            *FAST, *extra, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["answer"] == want
    assert data["exact"]["model"] == "Erlang A (M/M/c+M)"
    assert data["exact"]["answers"] == [want]
    by_size = {p["size"]: p for p in data["curve"]}
    assert want - 1 in by_size and want in by_size
    for c in (want - 1, want):
        exact = _abandon_share(c, LAM, mu, theta)
        assert by_size[c]["targets"][0]["exact"] == pytest.approx(exact * 100.0, rel=1e-9)


def test_abandon_target_text_names_the_share(one_stage: str) -> None:
    code, out, err = _staff(one_stage, "--team", "Ops", "--target", "abandon < 5%", *FAST)
    assert code == 0, err
    assert "gave up waiting < 5%" in out  # the target in words (`abandon < 5%` typed)
    assert f"smallest size of `Ops` meeting every target: {_exact_minimal_c(SHARE)}" in out


@pytest.mark.parametrize(("target", "message"), [
    ("abandon 5%", "cannot read this abandon target"),
    ("abandon <= 120%", "the abandon share must be at least 0% and below 100%"),
    ("abandonn <= 5%", "did you mean `abandon`?"),
])
def test_bad_abandon_targets(one_stage: str, target: str, message: str) -> None:
    code, _, err = _staff(one_stage, "--team", "Ops", "--target", target, *FAST)
    assert code == 2, err
    assert message in err
    assert "Traceback" not in err


def test_abandon_without_patience_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nopatience.funnel"
    path.write_text(ONE_STAGE.replace('    patience exp(10m) -> lost "Ушел к конкурентам"\n',
                                      ""), encoding="utf-8")
    code, _, err = _staff(str(path), "--team", "Ops", "--target", "abandon <= 5%", *FAST)
    assert code == 2, err
    assert "none of team `Ops`'s stages has a `patience`" in err
    assert "--target:1:1" in err


HOURS = """
team Ops size 3 hours mon-fri 09:00-18:00
source Calls 4/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    patience exp(2h) -> lost "gone"
    -> won
  }
}
"""


def test_abandonments_split_by_arrival_name_the_closed_hours(tmp_path: Path) -> None:
    """Leads arrive around the clock, the team works weekdays 09-18 and patience is two
    hours: the deals that give up are those arriving while the team is closed, so no
    size meets the target; the explanation says so, and its split adds up to the
    simulated abandonments at the size it is measured at."""
    path = tmp_path / "hours.funnel"
    path.write_text(HOURS, encoding="utf-8")
    code, out, err = _staff(str(path), "--team", "Ops", "--target", "abandon <= 10%",
                            "--days", "21", "--warmup", "3", "--jobs", "1", "--max-size", "12",
                            "--no-levers", "--format", "json")
    assert code == 1, err
    data = json.loads(out)
    why = data["explanation"]
    assert why["cause"] == "outside-hours"
    split = why["breaches"][0]
    assert split["kind"] == "abandon"
    assert split["outside_share"] > 90.0
    assert "abandonments of “gave up waiting ≤ 10%”" in why["why"]
    assert split["breached"] == sum(d["breached"] for d in split["by_weekday"])
    assert split["breached"] == (split["inside_hours"]["breached"]
                                 + split["outside_hours"]["breached"])
    assert split["checked"] == sum(d["checked"] for d in split["by_weekday"])
    point = next(p for p in data["curve"] if p["size"] == why["at"])
    pooled = 100.0 * split["breached"] / split["checked"]
    value, ci = point["targets"][0]["value"], point["targets"][0]["ci95"]
    assert abs(pooled - value) <= max(ci, 0.5)


def test_calendar_approximation_starts_saleschef_beside_its_answer(root: Path) -> None:
    """Saleschef's «Менеджеры» work nine stages by a calendar: no closed form, so the
    search starts one below the calendar approximation, and finds what the same search
    climbing from size 1 finds (same replications, common random numbers). On this short
    horizon the answer is below the estimate: the search steps down to it."""
    args = [str(root / "pipelines" / "saleschef.funnel"), "--team", "Менеджеры", "--target",
            "respond 30m 60%", "--days", "45", "--warmup", "15", "--jobs", "1",
            "--no-levers", "--format", "json"]
    code, out, err = _staff(*args)
    assert code == 0, err
    data = json.loads(out)
    assert "approximately" in data["exact"]["why"]
    assert data["exact"]["model"] is None
    code, out, err = _staff(*args, "--from-size", "1")
    assert code == 0, err
    climbed = json.loads(out)
    assert data["answer"] == climbed["answer"]
    assert data["exact"]["search_started_at"] == climbed["exact"]["start"]
