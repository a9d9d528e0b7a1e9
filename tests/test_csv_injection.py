"""CSV outputs never hand a spreadsheet a live formula (issue 11, section 6).

Every CSV funnelc writes (`simulate --records`, `report`'s stages.csv, `sweep --csv`,
`staff --csv`) is produced from an account whose names are formula payloads
(tests/hostile_names.py). A text cell starting with `=`, `+`, `-`, `@`, tab or CR must
carry a leading `'`; a number funnelc wrote must stay a plain number even when negative;
and funnelc reading its own records back (`history`, `fit`) must see the names exactly
as written.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from cli_once import cli_ok, out, shared_text
from funnelc import csvsafe
from funnelc.api import load_file
from funnelc.cli import cli
from hostile_names import FORMULAS, PIPELINE, STAGES, TEAM, hostile_funnel, q, reason

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
RUN = ["--days", "30", "--warmup", "0", "--reps", "2", "--seed", "1", "--jobs", "1"]


def invoke(args: list[str]) -> str:
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.output


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def assert_no_live_cell(path: Path, numeric: set[str]) -> None:
    """No cell of `path` (its header included) starts with a trigger, except the cells of
    the `numeric` columns, which must all be plain numbers (or empty)."""
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    for n, row in enumerate(table):
        for col, cell in zip(header, row):
            if n and col in numeric:
                if cell:
                    float(cell)  # a number as written, never a quoted one
            else:
                assert not cell.startswith(TRIGGERS), f"{path.name} row {n} {col}: {cell!r}"


@pytest.fixture(scope="module")
def hostile() -> Path:
    """The account, at the one path tests/test_output_escaping.py reads it from too: the
    report, the records and their history are run once for both files (`cli_once`)."""
    return shared_text("hostile.funnel", hostile_funnel())


@pytest.fixture(scope="module")
def records(hostile: Path) -> Path:
    """The documented round trip's first half: `funnelc simulate --records deals.csv`."""
    return cli_ok(["simulate", hostile, *RUN, "--records", out("deals.csv")]).path("deals.csv")


# ------------------------------------------------------------------- simulate --records


def test_records_write_hostile_names_as_text(records: Path) -> None:
    got = rows(records)
    assert_no_live_cell(records, {"rep", "deal_id", "entered_hours", "picked_hours",
                                  "left_hours"})
    stages = {r["stage"] for r in got}
    assert {csvsafe.unquote(s) for s in stages} == set(STAGES)
    # The rule exactly: one `'` in front of a trigger, names without one untouched.
    assert f"'{FORMULAS[0]}" in stages and "'+cmd" in stages and "'@SUM(1+1)" in stages
    assert "''=already quoted" in stages and "'93 plain quote" in stages
    assert "<script>alert(1)</script>" in stages
    assert {r["pipeline"] for r in got} == {"'" + PIPELINE}
    moves = {r["outcome"] for r in got if r["outcome"].startswith("'->")}
    assert "'-> +cmd" in moves  # `-> Stage` starts with `-`: text, so quoted too
    assert f'lost "{reason("+cmd")}"' in {r["outcome"] for r in got}


def test_records_round_trip_through_history_keeps_names_exact(records: Path) -> None:
    """`funnelc simulate --records deals.csv` then `funnelc history deals.csv`, without
    --funnel (whose name matching could hide a stray quote): names exactly as written."""
    # The run tests/test_output_escaping.py reads history.html of.
    history = cli_ok(["history", records, "-o", out("history")]).path("history")
    tables = json.loads((history / "history.json").read_text(encoding="utf-8"))["tables"]
    assert {r["stage"] for r in tables["time_in_stage"]} == set(STAGES)
    assert {r["pipeline"] for r in tables["time_in_stage"]} == {PIPELINE}
    assert {r["reason"] for r in tables["losses"]} == {reason(s) for s in STAGES}


def test_records_round_trip_through_fit_keeps_names_exact(records: Path, hostile: Path,
                                                          tmp_path: Path) -> None:
    fitted_path = tmp_path / "fitted.funnel"
    invoke(["fit", str(records), "--funnel", str(hostile), "-o", str(fitted_path)])
    fitted = load_file(str(fitted_path))
    assert fitted.ok and fitted.model is not None
    [pipe] = fitted.model.pipelines
    assert pipe.name.value == PIPELINE
    assert [s.name.value for s in pipe.stages] == STAGES


# ----------------------------------------------------------------- report, sweep, staff


def test_report_stages_csv_quotes_names_and_keeps_negative_numbers(hostile: Path) -> None:
    # The run tests/test_output_escaping.py reads report.html of.
    path = cli_ok(["report", hostile, *RUN, "-o", out("report")]).path("report") / "stages.csv"
    assert_no_live_cell(path, {"value"})
    got = rows(path)
    assert {csvsafe.unquote(r["stage"]) for r in got} >= set(STAGES)
    negative = [r["value"] for r in got if r["value"].startswith("-")]
    assert negative, "the run has negative figures (CI lower bounds, WIP growth)"
    assert all(float(v) < 0 for v in negative)


def test_sweep_csv_quotes_axis_and_subject_names(hostile: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.csv"
    invoke(["sweep", str(hostile), "--vary", f"team {q(TEAM)} size 1..2", *RUN,
            "--csv", str(sweep)])
    assert_no_live_cell(sweep, {"point", "mean", "ci95", "sd", "n"})
    header = next(csv.reader(sweep.open(encoding="utf-8")))
    assert header[1] == f"'{TEAM} size"
    subjects = {csvsafe.unquote(r["subject"]) for r in rows(sweep)}
    assert {f"{PIPELINE}.{s}" for s in STAGES} <= subjects


def test_staff_csv_keeps_figures_as_numbers(hostile: Path, tmp_path: Path) -> None:
    staff = tmp_path / "staff.csv"
    res = CliRunner().invoke(cli, ["staff", str(hostile), "--team", TEAM, "--target",
                                   "utilization <= 85%", *RUN, "--csv", str(staff)])
    assert res.exit_code in (0, 1), res.output
    assert_no_live_cell(staff, {"size", "value", "ci95", "n", "meets", "sure", "exact"})
    assert rows(staff)


# ------------------------------------------------------------------- the rule itself


@given(st.text(max_size=12))
def test_neutralise_is_safe_and_reversible(text: str) -> None:
    """Library-level on purpose: the funnel language refuses tab and CR in names, so only
    here can every trigger, and every run of leading quotes, be tried."""
    cell = csvsafe.neutralise(text)
    assert not cell.startswith(TRIGGERS)
    assert csvsafe.unquote(cell) == text
    assert cell == text or cell == "'" + text
    buf = io.StringIO()
    csvsafe.writer(buf).writerow([text, -3.5, csvsafe.Figure("-0.25"), None, 7])
    [back] = list(csv.reader(io.StringIO(buf.getvalue())))
    assert back == [cell, "-3.5", "-0.25", "", "7"]


def test_a_figure_must_be_a_number() -> None:
    for bad in ("=1+1", "-x", "\t-1", "@1"):
        with pytest.raises(ValueError):
            csvsafe.Figure(bad)
