"""`funnelc whatif` and `--set`: override lines from the command line are applied exactly
as the same line in a `scenario` block (one model-level test per override kind), bad
lines get a diagnostic with a caret into the typed string, common random numbers make an
identical scenario differ from the baseline by exactly zero, and paired intervals are
the Student t intervals of the per-replication differences."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import PIPELINES, reps
from funnelc import load_text
from funnelc.cli import cli
from funnelc.scenarios import apply_scenario
from funnelc.sim.ci import t_quantile
from funnelc.whatif.compare import paired
from funnelc.whatif.variants import OverrideError, OverrideLine, Overrides
from ops_line import OPS_LINE

BASE = """
account "A" { currency RUB }
team Sales size 2
team Night size 1 hours mon-fri 20:00-23:00
source Web 10/day -> P.First value 100k profile jan 50%
pipeline P main {
  stage First {
    owner Sales
    work 10m
    respond 30m
    -> Second 70%
    -> lost "junk" 30%
  }
  stage Second {
    owner Sales
    work 30m
    sla 5d -> lost "slow"
    -> won 60% after 1d
    -> lost "no budget" 20%
    stay 20%
  }
}
"""

KINDS: dict[str, tuple[list[str], Any]] = {
    "team_size": (["team Sales size 5"], lambda f: f.team("Sales").size == 5),
    "team_hours": (["team Sales hours mon-sat 08:00-20:00"],
                   lambda f: f.team("Sales").hours is not None),
    "source_rate": (["source Web 40/day"], lambda f: f.source("Web").rate.per_hour == 40 / 24),
    "source_profile": (["source Web profile sep 150%, oct 170%"],
                       lambda f: [p.month for p in f.source("Web").profile] == ["sep", "oct"]),
    "stage_work": (["stage P.Second work exp(45m)"],
                   lambda f: _stage(f, "Second").work.kind == "exp"),
    "stage_sla": (['stage P.First sla 2h -> lost "late"'],
                  lambda f: _stage(f, "First").sla.after.hours == 2.0),
    "stage_respond": (["stage P.First respond 5m"],
                      lambda f: abs(_stage(f, "First").respond.hours - 5 / 60) < 1e-12),
    "stage_owner": (["stage P.Second owner Night"],
                    lambda f: _stage(f, "Second").owner.value == "Night"),
    # Shares are set exactly, never rescaled: each needs its partner to stay at 100 %.
    "stage_share": (["stage P.Second -> won 70%", "stage P.Second stay 10%"],
                    lambda f: abs(_stage(f, "Second").outcomes[0].share.value - 0.7) < 1e-12),
    "stage_stay": (["stage P.Second stay 30%", 'stage P.Second -> lost "no budget" 10%'],
                   lambda f: abs(_stage(f, "Second").stay.value - 0.3) < 1e-12),
}
"""Override kind → (lines, what must hold after applying them)."""


def _holds(pred: Any, f: Any) -> bool:
    try:
        return bool(pred(f))
    except AttributeError:  # e.g. no sla at all before the change
        return False


def _stage(f: Any, name: str) -> Any:
    return next(s for s in f.pipeline("P").stages if s.name.value == name)


def _strip(obj: Any) -> Any:
    """The model as data without source positions (a --set line and a scenario line sit
    at different places; everything else must be equal)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if not k.endswith("span")}
    if isinstance(obj, (list, tuple)):
        return [_strip(v) for v in obj]
    return obj


def _model(extra: str = "") -> Any:
    loaded = load_text(BASE + extra, "<test>")
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    return loaded.model


@pytest.mark.parametrize("kind", list(KINDS))
def test_set_line_applies_exactly_like_the_scenario_line(kind: str) -> None:
    lines, holds = KINDS[kind]
    block = "scenario S {\n" + "\n".join(lines) + "\n}\n"
    model = _model(block)
    by_file = apply_scenario(model, "S")
    by_set = Overrides(model).apply([OverrideLine(t, "--set") for t in lines])
    assert _holds(holds, by_set), f"{kind}: the change did not happen"
    assert not _holds(holds, model), f"{kind}: the base already had it"
    assert _strip(by_set.model_dump()) == _strip(by_file.model_dump())
    assert by_set.scenarios == model.scenarios  # nothing left behind


def test_set_lines_are_checked_together() -> None:
    """A share change alone breaks 100 %; with its stay change beside it, it does not."""
    model = _model()
    ov = Overrides(model)
    with pytest.raises(OverrideError) as exc:
        ov.apply([OverrideLine("stage P.Second -> won 70%", "--set")])
    assert exc.value.diagnostics[0].code == "FN233"
    ov.apply([OverrideLine("stage P.Second -> won 70%", "--set #1"),
              OverrideLine("stage P.Second stay 10%", "--set #2")])


def write(tmp_path: Path, text: str, name: str = "a.funnel") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


MMC = """
team Ops size 2
source Calls 6/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(20m)
    respond 10m
    sla 2h -> lost "no answer"
    -> won 40%
    -> lost "no" 60%
  }
}
scenario Same { team Ops size 2 }
scenario Bigger { team Ops size 4 }
"""
FAST = ["--days", "5", "--warmup", "1"]


def test_bad_set_line_points_into_the_string(tmp_path: Path) -> None:
    f = write(tmp_path, MMC)
    r = CliRunner().invoke(cli, ["whatif", f, "--set", "team Opz size 4", *FAST])
    assert r.exit_code == 2
    assert "unknown team `Opz`" in r.output
    assert "--> --set:1:6" in r.output
    assert "team Opz size 4\n  |      ^^^" in r.output
    assert "did you mean `Ops`?" in r.output
    assert "Traceback" not in r.output


def test_set_syntax_error_and_several_lines(tmp_path: Path) -> None:
    f = write(tmp_path, MMC)
    r = CliRunner().invoke(cli, ["whatif", f, "--set", "team Ops size 4",
                                 "--set", "team Ops size", *FAST])
    assert r.exit_code == 2
    assert "--> --set #2:1:" in r.output and "expected a whole number" in r.output


def test_unknown_scenario_suggests_one(tmp_path: Path) -> None:
    f = write(tmp_path, MMC)
    r = CliRunner().invoke(cli, ["whatif", f, "--scenario", "Biger", *FAST])
    assert r.exit_code == 2
    assert "did you mean `Bigger`?" in r.output


def _whatif_json(f: str, *args: str) -> dict[str, Any]:
    r = CliRunner().invoke(cli, ["whatif", f, *args, *FAST, "--jobs", "1", "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_identical_scenario_differs_by_exactly_zero(tmp_path: Path) -> None:
    """Common random numbers: a scenario that changes nothing reproduces every
    replication of the baseline, so every difference is 0 with a zero-width interval."""
    f = write(tmp_path, MMC)
    data = _whatif_json(f, "--scenario", "Same", "--set", "team Ops size 2",
                        "--reps", str(reps(4, 3)))
    assert [s["name"] for s in data["scenarios"]] == ["Same", "--set"]
    for scen in data["scenarios"]:
        assert scen["deltas"], "no metric compared"
        for key, d in scen["deltas"].items():
            assert d["verdict"] == "identical", key
            if d["diff"]["mean"] is not None:
                assert d["diff"]["mean"] == 0.0 and d["diff"]["ci95"] in (0.0, None), key
        assert scen["graveyard_changes"] == []


def test_a_bigger_team_is_significantly_better(tmp_path: Path) -> None:
    f = write(tmp_path, MMC)
    data = _whatif_json(f, "--scenario", "Bigger", "--reps", str(reps(5, 4)))
    d = data["scenarios"][0]["deltas"]
    util = d["utilization:Ops"]
    assert util["significant"] and util["diff"]["mean"] < 0
    breach = d["respond_breach_pct"]
    assert breach["verdict"] == "better" and breach["diff"]["mean"] < 0
    assert d["timeouts"]["verdict"] == "better"
    # Arrivals do not depend on the team: the same deals came in every replication.
    assert d["wip_final"]["value"]["n"] == reps(5, 4)
    assert any(m["key"] == "conversion" for m in data["metrics"])


def test_paired_interval_is_student_t_over_differences() -> None:
    base = [10.0, 12.0, 11.0, 15.0]
    other = [11.0, 14.0, 11.5, 16.5]
    d = [o - b for b, o in zip(base, other)]
    mean = sum(d) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / 3)
    est = paired(base, other)
    assert est.mean == pytest.approx(mean)
    assert est.ci95 == pytest.approx(t_quantile(0.975, 3) * sd / 2)
    assert t_quantile(0.975, 3) == pytest.approx(3.182446, rel=1e-6)
    # A replication without a value on either side drops out of the pairs.
    assert paired([1.0, float("nan"), 3.0], [2.0, 5.0, 4.0]).n == 2


def test_whatif_on_saleschef_tables_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "cmp"
    r = CliRunner().invoke(cli, ["whatif", str(PIPELINES / "saleschef.funnel"), "--days", "40",
                                 "--warmup", "10", "--reps", "2", "--jobs", "1",
                                 "--plot", str(plot)])
    assert r.exit_code == 0, r.output
    for name in ("Осенний пик", "Третий дизайнер", "Жесткий SLA по КП"):
        assert f"Δ {name}" in r.output
    # saleschef is a `language ru` account: its labels are Russian (issue 16, section 1).
    assert "занятость: Менеджеры" in r.output
    assert (tmp_path / "cmp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "cmp.svg").read_text(encoding="utf-8")[:500]


def test_file_without_scenarios_needs_set(tmp_path: Path) -> None:
    f = write(tmp_path, MMC.split("scenario")[0])
    r = CliRunner().invoke(cli, ["whatif", f, *FAST])
    assert r.exit_code == 2
    assert "no `scenario` block" in r.output


def test_report_whatif_section(tmp_path: Path) -> None:
    f = write(tmp_path, MMC)
    out = tmp_path / "rep"
    r = CliRunner().invoke(cli, ["report", f, "-o", str(out), *FAST, "--reps", "2",
                                 "--jobs", "1", "--whatif"])
    assert r.exit_code == 0, r.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('<section id="whatif">') == 1
    assert '<a href="#whatif">What-if</a>' in page
    assert "Δ Bigger" in page and "Δ Same" in page
    assert page.index('id="whatif"') < page.index('id="exact"')
    assert "http://" not in page and "https://" not in page
    plain = tmp_path / "plain"
    r = CliRunner().invoke(cli, ["report", f, "-o", str(plain), *FAST, "--reps", "2",
                                 "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert 'id="whatif"' not in (plain / "report.html").read_text(encoding="utf-8")
    r = CliRunner().invoke(cli, ["report", f, "-o", str(plain), "--whatif", "--scenario",
                                 "Bigger"])
    assert r.exit_code == 2 and "leave out --scenario" in r.output


def test_a_figure_every_replication_shares_is_printed_without_float_noise(
        tmp_path: Path) -> None:
    """A team of 3 offered 5 members' worth is busy 100% of its time in every replication;
    the mean of those ones carries an sd of 1e-13, and the baseline read «100% ±3.3e-13»."""
    path = tmp_path / "busy.funnel"
    path.write_text(OPS_LINE, encoding="utf-8")
    r = CliRunner().invoke(cli, ["whatif", str(path), "--set", "team Ops size 5", "--days", "10",
                                 "--warmup", "2", "--reps", "3", "--jobs", "1"])
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "utilization Ops" in line)
    assert "e-1" not in row and "±3.3" not in row, row
    cells = [c.strip() for c in row.split("│")]
    assert cells[2] == "100%", row  # the baseline: no ± of a spread there is not


def test_a_variant_whose_team_cannot_keep_up_says_so(tmp_path: Path) -> None:
    """Three members offered 5 members' worth: the baseline's queue grows for as long as
    the run lasts, so its «conversion 61.7%» and the scenario's «+38 pp» only say how long
    the run was. simulate warns (unstable-team); whatif said nothing."""
    path = tmp_path / "busy.funnel"
    path.write_text(OPS_LINE, encoding="utf-8")
    r = CliRunner().invoke(cli, ["whatif", str(path), "--set", "team Ops size 6", "--days", "6",
                                 "--warmup", "1", "--reps", "2", "--jobs", "1"])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert ("baseline: team “Ops” cannot keep up (load 167%, at or past the 100% it can do), "
            "and nothing takes waiting deals out of its queue at `Line.In`") in flat
    assert "depend on the run's length (--days)" in flat
    assert "(--set): team" not in flat  # six members keep up (named «change (--set)»)
