"""Resource guards (issue 11): every command that simulates refuses a run too big to
finish before building anything (exit 2, the estimate, the limit and `--max-deals`),
caps --days/--reps/--jobs, and a replication that creates more deals than the budget
stops with the same kind of message; `check` stays linear in stages per pipeline."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES, ROOT
from funnelc.cli import cli

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_check import chain as _chain  # the benchmark's own pipeline

# The exact input of the issue: one source of a million deals an hour.
MILLION = """account "A" {
  currency RUB
}

team "T" size 3

source "S" 1000000/hour -> "P"."A"

pipeline "P" main sales {
  stage "A" {
    owner "T"
    work 5m
    -> "B" 80% after exp(4h)
    -> lost "X" 20%
  }
  stage "B" {
    -> won 50% after exp(1d)
    -> lost "Y" 50%
  }
}
"""

# Copies that multiply: no finite steady state, so only the engine's limit can stop it.
COPY_LOOP = """account "A" {
  currency RUB
}
source "S" 50/day -> "X"."A"
pipeline "X" main sales {
  stage "A" {
    -> won 100% after exp(2h) then copy "Y"."B"
  }
}
pipeline "Y" {
  stage "B" {
    -> won 100% after exp(2h) then copy "X"."A"
  }
}
"""


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def million(tmp_path: Path) -> Path:
    path = tmp_path / "million.funnel"
    path.write_text(MILLION, encoding="utf-8")
    return path


def _refused(code: int, out: str) -> None:
    assert code == 2, out
    assert "Traceback" not in out and "internal failure" not in out
    assert "the run would simulate about" in out and "billion deals" in out, out
    assert "above the limit of 5 million deals" in out
    assert "--max-deals N" in out


def test_simulate_refuses_a_million_an_hour_before_building_anything(million: Path) -> None:
    code, out = _run(["simulate", str(million), "--reps", "1"])
    _refused(code, out)
    assert "24 million a day × 365 days × 1 replication" in out


@pytest.mark.parametrize("args", [
    ["report", "-o", "{tmp}/out"],
    ["whatif", "--set", 'team "T" size 5', "--reps", "2"],
    ["sweep", "--vary", 'team "T" size 2..3', "--reps", "2"],
    ["staff", "--team", "T", "--target", "utilization <= 85%", "--reps", "2"],
])
def test_every_command_that_simulates_is_guarded(million: Path, tmp_path: Path,
                                                 args: list[str]) -> None:
    argv = [args[0], str(million)] + [a.replace("{tmp}", str(tmp_path)) for a in args[1:]]
    code, out = _run(argv)
    _refused(code, out)
    assert not (tmp_path / "out").exists(), "nothing is written when refused"


def test_sweep_counts_every_point(tmp_path: Path) -> None:
    """Each point alone fits the budget; the grid of 4 points × 2 replications does not."""
    path = tmp_path / "f.funnel"
    path.write_text(MILLION.replace("1000000/hour", "100/hour"), encoding="utf-8")
    base = ["sweep", str(path), "--vary", 'team "T" size 2..5', "--reps", "2", "--days", "30",
            "--warmup", "1"]
    code, out = _run(base + ["--max-deals", "300000"])
    assert code == 2 and "8 replications" in out and "above the limit of 300 000" in out, out


def test_max_deals_raises_the_limit(million: Path) -> None:
    """The refusal names the estimate; --max-deals above it lets the budget check pass
    (the run itself is then stopped by the per-replication limit, far below it here)."""
    code, out = _run(["simulate", str(million), "--reps", "1", "--days", "2", "--warmup", "1",
                      "--max-deals", "10000"])
    assert code == 2 and "48 million deals" in out
    assert "above the limit of 10 000 deals" in out


def test_a_replication_over_the_limit_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "loop.funnel"
    path.write_text(COPY_LOOP, encoding="utf-8")
    records = tmp_path / "records.csv"
    code, out = _run(["simulate", str(path), "--reps", "2", "--days", "60", "--warmup", "1",
                      "--jobs", "1", "--max-deals", "2000", "--records", str(records)])
    assert code == 2, out
    assert "created more than 2 000 deals and was stopped" in out
    assert "--max-deals N" in out and "Traceback" not in out
    assert not records.exists(), "no half-written records"
    code, out = _run(["whatif", str(path), "--set", 'source "S" 60/day', "--reps", "2",
                      "--days", "60", "--warmup", "1", "--jobs", "1", "--max-deals", "2000"])
    assert code == 2 and "created more than 2 000 deals" in out, out


@pytest.mark.parametrize("option,value,cmd", [
    ("--days", "1000000000", "simulate"), ("--days", "36501", "whatif"),
    ("--reps", "10001", "simulate"), ("--reps", "10001", "sweep"),
    ("--jobs", "257", "simulate"), ("--jobs", "100000", "staff"),
    ("--max-deals", "0", "report"),
])
def test_options_are_capped(option: str, value: str, cmd: str) -> None:
    code, out = _run([cmd, str(PIPELINES / "cottages.funnel"), option, value])
    assert code == 2, out
    assert f"Invalid value for '{option}'" in out and "is not in the range" in out, out


def test_fit_caps_its_backtest_options(tmp_path: Path) -> None:
    code, out = _run(["fit", str(tmp_path / "h.csv"), "--funnel",
                      str(PIPELINES / "cottages.funnel"), "--backtest", "2", "--reps", "100000"])
    assert code == 2 and "Invalid value for '--reps'" in out, out


# --------------------------------------------------------------- guards found in review


def _history_entering_b(path: Path) -> Path:
    """Three months of deals that all enter `"P"."B"`: the fit keeps source "S" of the
    million funnel at its declared 1 000 000/hour (no deal of the data enters `"A"`)."""
    rows = ["deal_id,timestamp,pipeline,stage"]
    for i in range(120):
        day = i * 85 // 120
        rows.append(f"{i},2024-{1 + day // 30:02d}-{1 + day % 30:02d} 10:00,P,B")
        rows.append(f"{i},2024-{1 + day // 30:02d}-{1 + day % 30:02d} 16:00,P,"
                    + ("won" if i % 2 else "lost"))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _timed(args: list[str]) -> tuple[int, str, float]:
    """Exit code, output and seconds of the second of two identical runs (the first
    pays for imports: polars, SciPy)."""
    _run(args)
    start = time.perf_counter()
    code, out = _run(args)
    return code, out, time.perf_counter() - start


def test_fit_backtest_estimates_its_runs_once_the_history_is_loaded(million: Path,
                                                                   tmp_path: Path) -> None:
    """The horizon of a back-test is the history's span and its rates are the fitted
    ones: the budget is checked after the fit and before any run (it used to simulate
    ~20 s until the engine stopped the first run at 5 million deals)."""
    history = _history_entering_b(tmp_path / "h.csv")
    args = ["fit", str(history), "--funnel", str(million), "--backtest", "2", "--reps", "2",
            "--jobs", "1"]
    code, out, seconds = _timed(args)
    assert code == 2, out
    assert out.startswith("error: back-test: the run would simulate about"), out
    assert "billion deals (24 million a day × 85 days × 2 replications)" in out
    assert "above the limit of 5 million deals" in out and "--max-deals N" in out
    assert "lower --reps or back-test a shorter history" in out
    assert seconds < 1.0, f"refused after {seconds:.1f} s"
    code, out = _run(args + ["--max-deals", "1000"])
    assert code == 2 and "above the limit of 1 000 deals" in out, out


def test_fit_max_deals_belongs_to_the_backtest(million: Path, tmp_path: Path) -> None:
    code, out = _run(["fit", str(tmp_path / "h.csv"), "--funnel", str(million),
                      "--max-deals", "10"])
    assert code == 2 and "--max-deals belongs to the back-test" in out, out


def test_staff_checks_the_model_its_set_changed(tmp_path: Path) -> None:
    """`--set 'source "S" 1000000/hour'` is applied after the file's own check: the
    budget is checked on the model the search simulates, before the first size runs."""
    path = tmp_path / "f.funnel"
    path.write_text(MILLION.replace("1000000/hour", "100/hour"), encoding="utf-8")
    code, out, seconds = _timed(["staff", str(path), "--team", "T", "--target",
                                 "utilization <= 85%", "--reps", "2", "--jobs", "1",
                                 "--set", 'source "S" 1000000/hour'])
    _refused(code, out)
    assert "24 million a day × 365 days × 2 replications" in out
    assert seconds < 1.0, f"refused after {seconds:.1f} s"


def test_staff_charges_every_size_before_it_runs(tmp_path: Path) -> None:
    """The search decides its work as it goes: each size's replications are charged
    before they run, so it stops at the first size over --max-deals, not after it."""
    path = tmp_path / "f.funnel"
    path.write_text(MILLION.replace("1000000/hour", "100/hour"), encoding="utf-8")
    code, out = _run(["staff", str(path), "--team", "T", "--target", "utilization <= 50%",
                      "--reps", "2", "--days", "5", "--warmup", "1", "--jobs", "1",
                      "--max-deals", "30000"])
    assert code == 2, out
    # The search adds replications one at a time while a size's interval straddles the
    # target (issue 15): the third is charged, and refused, before it runs.
    assert "the run would simulate about 36 000 deals (2 400 a day × 5 days × 3 " \
           "replications), above the limit of 30 000 deals" in out, out
    assert "lower --max-size, --max-reps or --reps, shorten --days, or raise the limit " \
           "with --max-deals N" in out
    assert "2 replications had run; the next one was refused before starting" in out
    assert "Traceback" not in out and "internal failure" not in out


def test_report_whatif_counts_the_scenario_runs(tmp_path: Path) -> None:
    """A base run within the budget and a scenario of `source "S" 1000000/hour`: the
    what-if section simulates the scenario too, so the report is refused up front."""
    path = tmp_path / "f.funnel"
    path.write_text(MILLION.replace("1000000/hour", "100/hour")
                    + '\nscenario "Rush" {\n  source "S" 1000000/hour\n}\n', encoding="utf-8")
    out_dir = tmp_path / "out"
    code, out, seconds = _timed(["report", str(path), "-o", str(out_dir), "--whatif",
                                 "--reps", "2"])
    _refused(code, out)
    assert "24 million a day × 365 days × 4 replications" in out  # base and scenario
    assert seconds < 1.0, f"refused after {seconds:.1f} s"
    assert not out_dir.exists(), "nothing is written when refused"


def test_a_shipped_example_is_well_within_the_budget() -> None:
    from funnelc.api import load_file
    from funnelc.limits import DEFAULT_MAX_DEALS
    from funnelc.sim.budget import estimate_work
    from funnelc.sim.config import DEFAULT_START

    for path in sorted(PIPELINES.glob("*.funnel")):
        model = load_file(str(path)).model
        assert model is not None
        est = estimate_work([model], 365, 10, DEFAULT_START)
        assert 0 < est.deals < DEFAULT_MAX_DEALS / 10, (path.name, est)


def test_the_estimate_follows_the_monthly_profile(tmp_path: Path) -> None:
    """A 31-day run in a 300 % month counts that month's rate, not the annual mean."""
    from datetime import date

    from funnelc.api import load_file
    from funnelc.sim.budget import estimate_work

    path = tmp_path / "f.funnel"
    path.write_text(MILLION.replace('1000000/hour -> "P"."A"',
                                    '100/month -> "P"."A" profile oct 300%'), encoding="utf-8")
    model = load_file(str(path)).model
    assert model is not None
    month = 31 * 24 / 730
    oct_ = estimate_work([model], 31, 2, date(2018, 10, 1))
    assert oct_.deals == pytest.approx(2 * 300 * month, rel=1e-9)
    assert estimate_work([model], 31, 1, date(2018, 1, 1)).deals == pytest.approx(100 * month)


# --------------------------------------------------------------------- check stays linear


def _funnelc_lines(path: Path) -> int:
    """Lines of funnelc's own code executed by `check` (not timed: a count, the same on
    any machine). Library code (Lark, pydantic) is not traced, which keeps this cheap."""
    import funnelc

    root = str(Path(funnelc.__file__).parent)
    count = 0

    def local(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return local

    def trace(frame, event, arg):  # type: ignore[no-untyped-def]
        return local if frame.f_code.co_filename.startswith(root) else None

    runner = CliRunner()
    sys.settrace(trace)
    try:
        result = runner.invoke(cli, ["check", str(path)], catch_exceptions=False)
    finally:
        sys.settrace(None)
    assert result.exit_code in (0, 1) and "error[" not in result.output, result.output[-2000:]
    return count


def test_check_is_linear_in_stages_per_pipeline(tmp_path: Path) -> None:
    """8× the stages may cost at most ~8× the lines: the three quadratic spots of issue 11
    (stage names rebuilt per reference, a stage scan per lint finding, fill-in from the
    reopen hub in the flow solver) each made this ratio grow with n."""
    small, big = tmp_path / "small.funnel", tmp_path / "big.funnel"
    small.write_text(_chain(150), encoding="utf-8")
    big.write_text(_chain(1200), encoding="utf-8")
    _funnelc_lines(small)  # imports and caches out of the count
    ratio = _funnelc_lines(big) / _funnelc_lines(small)
    assert ratio < 8 * 1.25, f"check grew {ratio:.1f}× for 8× the stages"


def test_hub_ordering_gives_the_same_flows() -> None:
    """The solver's hub-last order changes the elimination, not the answer."""
    from funnelc.analysis.markov import _solve_block

    n = 200
    rows: list[dict[int, float]] = []
    for i in range(n):
        row = {i: 1.0}
        if i + 1 < n:
            row[i + 1] = -0.8
        row[1] = row.get(1, 0.0) - 0.1
        rows.append(row)
    rhs = [{"won": 0.1} for _ in range(n)]
    fast = _solve_block(rows, rhs)
    plain = _solve_block(rows, rhs, reorder=False)
    assert fast is not None and plain is not None
    for a, b in zip(fast, plain):
        assert a["won"] == pytest.approx(b["won"], rel=1e-9)
