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
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("csvinj")
    funnel = root / "hostile.funnel"
    funnel.write_text(hostile_funnel(), encoding="utf-8")
    return funnel


@pytest.fixture(scope="module")
def records(hostile: Path) -> Path:
    """The documented round trip's first half: `funnelc simulate --records deals.csv`."""
    out = hostile.parent / "deals.csv"
    invoke(["simulate", str(hostile), *RUN, "--records", str(out)])
    return out


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
    out = records.parent / "history"
    invoke(["history", str(records), "-o", str(out)])
    tables = json.loads((out / "history.json").read_text(encoding="utf-8"))["tables"]
    assert {r["stage"] for r in tables["time_in_stage"]} == set(STAGES)
    assert {r["pipeline"] for r in tables["time_in_stage"]} == {PIPELINE}
    assert {r["reason"] for r in tables["losses"]} == {reason(s) for s in STAGES}


def test_records_round_trip_through_fit_keeps_names_exact(records: Path,
                                                          hostile: Path) -> None:
    out = records.parent / "fitted.funnel"
    invoke(["fit", str(records), "--funnel", str(hostile), "-o", str(out)])
    fitted = load_file(str(out))
    assert fitted.ok and fitted.model is not None
    [pipe] = fitted.model.pipelines
    assert pipe.name.value == PIPELINE
    assert [s.name.value for s in pipe.stages] == STAGES


# ----------------------------------------------------------------- report, sweep, staff


def test_report_stages_csv_quotes_names_and_keeps_negative_numbers(hostile: Path) -> None:
    out = hostile.parent / "report"
    invoke(["report", str(hostile), *RUN, "-o", str(out)])
    path = out / "stages.csv"
    assert_no_live_cell(path, {"value"})
    got = rows(path)
    assert {csvsafe.unquote(r["stage"]) for r in got} >= set(STAGES)
    negative = [r["value"] for r in got if r["value"].startswith("-")]
    assert negative, "the run has negative figures (CI lower bounds, WIP growth)"
    assert all(float(v) < 0 for v in negative)


def test_sweep_csv_quotes_axis_and_subject_names(hostile: Path) -> None:
    out = hostile.parent / "sweep.csv"
    invoke(["sweep", str(hostile), "--vary", f"team {q(TEAM)} size 1..2", *RUN,
            "--csv", str(out)])
    assert_no_live_cell(out, {"point", "mean", "ci95", "sd", "n"})
    header = next(csv.reader(out.open(encoding="utf-8")))
    assert header[1] == f"'{TEAM} size"
    subjects = {csvsafe.unquote(r["subject"]) for r in rows(out)}
    assert {f"{PIPELINE}.{s}" for s in STAGES} <= subjects


def test_staff_csv_keeps_figures_as_numbers(hostile: Path) -> None:
    out = hostile.parent / "staff.csv"
    res = CliRunner().invoke(cli, ["staff", str(hostile), "--team", TEAM, "--target",
                                   "utilization <= 85%", *RUN, "--csv", str(out)])
    assert res.exit_code in (0, 1), res.output
    assert_no_live_cell(out, {"size", "value", "ci95", "n", "meets", "sure", "exact"})
    assert rows(out)


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
