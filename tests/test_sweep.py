"""`funnelc sweep`: `--vary` specs (ranges, steps, units, the optional word `rate`), the
errors a bad spec gets (a caret into the spec, a did-you-mean for a name that names
nothing, a clear word for an empty range), and the tidy CSV: every point × metric once,
axis columns holding the grid, nothing missing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.whatif.grid import grid_values, parse_vary
from funnelc.whatif.variants import OverrideError
from ops_line import OPS_LINE

FUNNEL = """
team Ops size 2
team Back size 1
source Calls 6/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    respond 10m
    sla 2h -> lost "no answer"
    -> Done 40%
    -> lost "no" 60%
  }
  stage Done {
    owner Back
    work 5m
    -> won
  }
}
"""
FAST = ["--days", "4", "--warmup", "1", "--reps", "2", "--jobs", "1"]


@pytest.fixture
def funnel(tmp_path: Path) -> str:
    path = tmp_path / "a.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("spec, values, first_line", [
    ('team "Ops" size 2..5', (2, 3, 4, 5), 'team "Ops" size 2'),
    ('team Ops size 2..8 step 3', (2, 5, 8), "team Ops size 2"),
    ('source "Calls" rate 10..40/day step 10', (10, 20, 30, 40), 'source "Calls" 10/day'),
    ('source Calls 1/hour..3/hour', (1, 2, 3), "source Calls 1/hour"),
    ('source Calls rate 7..21/day step 7/week', tuple(range(7, 22)), "source Calls 7/day"),
    ("stage Line.In respond 1d..2d step 12h", (1, 1.5, 2), "stage Line.In respond 1d"),
    ("stage Line.In respond 5m..15m step 5m", (5, 10, 15), "stage Line.In respond 5m"),
    ('stage Line.In sla 1h..3h -> lost "x"', (1, 2, 3), 'stage Line.In sla 1h -> lost "x"'),
    ('team "2..3" size 1..2', (1, 2), 'team "2..3" size 1'),
])
def test_vary_values_and_lines(spec: str, values: tuple[float, ...], first_line: str) -> None:
    v = parse_vary(spec)
    assert v.values == tuple(float(x) for x in values)
    assert v.line(v.values[0]).text == first_line


def test_grid_is_every_combination_first_axis_slowest() -> None:
    a = parse_vary("team Ops size 1..2")
    b = parse_vary("source Calls 1..3/hour")
    assert grid_values([a, b]) == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]


@pytest.mark.parametrize("spec, message, caret", [
    ("team Ops size 8..2", "empty range `8..2`", "^^^^"),
    ("team Ops size 2..3 step 0", "empty range: the step is 0", "^"),
    ("team Ops size", "no range to vary", "^"),
    ("source Calls 1/day..3/week", "different units", "^" * 13),
    ("source Calls rate 1..2/day step 1h", "step's unit does not fit", "^^"),
    ("team Ops size 1..2 hours 3..4", "two ranges", "^^^^"),
])
def test_bad_spec_gets_a_diagnostic(spec: str, message: str, caret: str) -> None:
    with pytest.raises(OverrideError) as exc:
        parse_vary(spec)
    d = exc.value.diagnostics[0]
    assert message in d.message
    assert d.code == "FN292" and d.span is not None
    assert d.span.end - d.span.start == len(caret)


def test_vary_naming_nothing_says_did_you_mean(funnel: str) -> None:
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", 'team "Opz" size 1..3', *FAST])
    assert r.exit_code == 2
    assert "unknown team `Opz`" in r.output and "did you mean `Ops`?" in r.output
    assert "--> --vary:1:6" in r.output
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "source Cals rate 1..3/hour",
                                 *FAST])
    assert r.exit_code == 2
    assert "did you mean `Calls`?" in r.output and "--> --vary:1:8" in r.output
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 3..1", *FAST])
    assert r.exit_code == 2 and "empty range" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 0..1", *FAST])
    assert r.exit_code == 2 and "FN217" in r.output  # a zero team, from the checks


def test_unknown_metric_says_did_you_mean(funnel: str) -> None:
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..2",
                                 "--metric", "utilizaton:Ops", *FAST])
    assert r.exit_code == 2 and "did you mean `utilization`?" in r.output
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..2",
                                 "--metric", "utilization:Opz", *FAST])
    assert r.exit_code == 2 and "did you mean `utilization:Ops`?" in r.output


def _csv(funnel: str, *args: str) -> tuple[list[str], list[list[str]]]:
    r = CliRunner().invoke(cli, ["sweep", funnel, *args, *FAST, "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.output)))
    return rows[0], rows[1:]


def test_sweep_csv_is_complete_and_tidy(funnel: str) -> None:
    header, rows = _csv(funnel, "--vary", "team Ops size 1..3",
                        "--vary", "source Calls rate 4..8/hour step 4")
    assert header == ["point", "Ops size", "Calls rate (/hour)", "metric", "subject", "unit",
                      "mean", "ci95", "sd", "n", "first_day", "last_day"]
    points = {r[0] for r in rows}
    assert points == {str(i) for i in range(6)}
    # Axis columns hold the grid, first axis slowest.
    grid = sorted({(int(r[0]), r[1], r[2]) for r in rows})
    assert [(g[1], g[2]) for g in grid] == [("1", "4"), ("1", "8"), ("2", "4"), ("2", "8"),
                                            ("3", "4"), ("3", "8")]
    # Every point has the same (metric, subject) rows, each once.
    per_point: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        per_point.setdefault(r[0], []).append((r[3], r[4]))
    first = per_point["0"]
    assert len(first) == len(set(first)), "a (metric, subject) twice in one point"
    assert all(sorted(v) == sorted(first) for v in per_point.values())
    wanted = {("conversion", "Line"), ("revenue", ""), ("respond_breach_pct", ""),
              ("respond_breach_pct", "Line.In"), ("timeouts", ""), ("timeouts", "Line.In"),
              ("utilization", "Ops"), ("utilization", "Back"), ("wait_hours", "Line.In"),
              ("cycle_time_hours", "Line"), ("graveyard", "Line.In"), ("graveyards", "")}
    assert wanted <= set(first)
    # Values are numbers wherever replications had one; n is the replication count.
    for r in rows:
        if r[3] not in ("graveyard", "graveyards") and int(r[9]) > 0:
            float(r[6])
        assert r[9].isdigit()
    util = {(r[1], r[2]): float(r[6]) for r in rows if r[3:5] == ["utilization", "Ops"]}
    assert util[("1", "8")] > util[("3", "8")], "more members, lower utilization"
    assert util[("2", "8")] > util[("2", "4")], "more calls, higher utilization"


def test_sweep_table_and_plots(funnel: str, tmp_path: Path) -> None:
    plot = tmp_path / "sw"
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..2",
                                 "--vary", "source Calls rate 4..8/hour step 4",
                                 "--metric", "utilization:Ops", "--metric", "conversion",
                                 "--plot", str(plot), *FAST])
    assert r.exit_code == 0, r.output
    assert "Ops size" in r.output and "utilization Ops" in r.output
    for name in ("sw-utilization-Ops", "sw-conversion"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (tmp_path / f"{name}.svg").stat().st_size > 1000
    one = tmp_path / "one"
    r = CliRunner().invoke(cli, ["sweep", funnel, "--vary", "team Ops size 1..3",
                                 "--plot", str(one) + ".png", *FAST])
    assert r.exit_code == 0, r.output
    # Without --metric: the headline and the resized team's utilization, one figure each.
    for name in ("conversion", "revenue", "timeouts", "utilization-Ops"):
        assert (tmp_path / f"one-{name}.png").exists(), name


BUSY = OPS_LINE


def test_a_point_whose_team_cannot_keep_up_is_marked(tmp_path: Path) -> None:
    """20 calls an hour of 15 minutes' work are 5 members' worth: at 3, 4 and 5 members
    the queue grows for as long as the run lasts (simulate's unstable-team, whatif's line
    per variant), so those rows' figures only say how long the run was. The table marks
    them `!` with a line saying why, and the JSON and CSV say which team per point."""
    path = tmp_path / "busy.funnel"
    path.write_text(BUSY, encoding="utf-8")
    args = ["sweep", str(path), "--vary", "team Ops size 3..6", *FAST]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    rows = {line.split("│")[1].strip(): line for line in r.output.splitlines()
            if line.count("│") > 2 and line.split("│")[1].strip()[:1].isdigit()}
    assert sorted(rows) == ["3 !", "4 !", "5 !", "6"], rows
    flat = " ".join(r.output.split())
    assert ("! at a point marked so, team “Ops” cannot keep up (its load at or past what it "
            "can do), and nothing takes waiting deals out of its queue (no SLA or patience): the "
            "queue grows for as long as the run lasts, so the point's figures depend on the "
            "run's length (--days)") in flat, flat
    r = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    points = json.loads(r.output)["points"]
    assert [[o["team"] for o in p["overloaded"]] for p in points] == [["Ops"]] * 3 + [[]]
    assert points[0]["overloaded"][0]["load_pct"] == pytest.approx(500 / 3)
    assert points[0]["overloaded"][0]["stages"] == ["Line.In"]
    _, rows_csv = _csv(str(path), "--vary", "team Ops size 3..6")
    marks = {(r[1], r[3]): r[5] for r in rows_csv if r[2] == "overloaded"}
    assert marks == {("3", "Ops"): "1", ("4", "Ops"): "1", ("5", "Ops"): "1", ("6", "Ops"): "0"}


QUICK_WINS = """
team Ops size 50
source Calls 2/hour -> Line.In
pipeline Line main {
  stage In {
    owner Ops
    work exp(15m)
    -> won after exp(3h)
  }
}
"""


def test_conversion_is_capped_as_simulate_caps_it(tmp_path: Path) -> None:
    """A pipeline that wins every deal three hours after it comes, over 2 observed days:
    the window's wins include deals started in the warm-up, so a replication can win
    more than it started. simulate counts such a replication 100% (99.3% [96.2%–100%]);
    sweep read «102% ±13» at the file's own 2/hour and whatif's baseline alike."""
    path = tmp_path / "wins.funnel"
    path.write_text(QUICK_WINS, encoding="utf-8")
    run = ["--days", "3", "--warmup", "1", "--reps", "3", "--jobs", "1"]
    r = CliRunner().invoke(cli, ["simulate", str(path), *run, "--format", "json"])
    assert r.exit_code == 0, r.output
    simulated = 100 * json.loads(r.output)["pipelines"][0]["conversion"]["mean"]
    assert simulated <= 100
    r = CliRunner().invoke(cli, ["sweep", str(path), "--vary", "source Calls rate 1..3/hour",
                                 *run, "--format", "json"])
    assert r.exit_code == 0, r.output
    conv = [next(m["mean"] for m in p["metrics"] if m["metric"] == "conversion")
            for p in json.loads(r.output)["points"]]
    assert max(conv) <= 100, conv
    assert conv[1] == pytest.approx(simulated), (conv, simulated)
    r = CliRunner().invoke(cli, ["whatif", str(path), "--set", "source Calls 3/hour", *run,
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    base = next(m for m in json.loads(r.output)["metrics"] if m["key"] == "conversion")
    assert base["baseline"]["mean"] == pytest.approx(simulated)


def test_sweep_and_whatif_say_why_a_short_window_reads_low(tmp_path: Path) -> None:
    """With no warm-up the window starts empty: the first hours lack the wins of deals
    that would have started before (wins take up to about 7 hours here). simulate warns
    (short-window); sweep and whatif printed the figures with no word."""
    path = tmp_path / "wins.funnel"
    path.write_text(QUICK_WINS, encoding="utf-8")
    run = ["--days", "3", "--warmup", "0", "--reps", "3", "--jobs", "1"]
    r = CliRunner().invoke(cli, ["sweep", str(path), "--vary", "source Calls rate 1..3/hour",
                                 *run])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert " and 2 more: pipeline `Line`: 90% of its wins take up to" in flat, flat
    assert flat.count("90% of its wins") == 1  # once per pipeline, not per point
    r = CliRunner().invoke(cli, ["whatif", str(path), "--set", "source Calls 3/hour", *run])
    assert r.exit_code == 0, r.output
    flat = " ".join(r.output.split())
    assert "baseline: pipeline `Line`: 90% of its wins take up to" in flat, flat
    assert "change (--set): pipeline `Line`: 90% of its wins take up to" in flat, flat
