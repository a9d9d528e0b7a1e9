"""Zone-less times where `--tz` moves its clocks (the defect: `2018-03-25 03:52:56`, in
the hour Europe/Kyiv skips in spring, was dropped as "timestamp missing or unreadable";
the time is perfectly readable, it just does not exist there).

A skipped local time is dropped with a reason of its own and its place; a local time the
autumn change repeats (`2018-10-28 03:30` happens twice in Kyiv) is read as the first and
counted, not dropped. Both readers of zone-less text (CSV and Bitrix24) do it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

CSV = """\
deal_id,timestamp,stage
1,2018-03-24 10:00:00,Новая
1,2018-03-25 03:52:56,Встреча
2,2018-10-27 10:00,Новая
2,2018-10-28 03:30,Встреча
"""
"""Line 3 in the spring gap, line 5 in the autumn overlap."""


@pytest.fixture
def dst_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file as a user names it, from the folder it is in (a short place, kept whole
    in the data-quality table)."""
    monkeypatch.chdir(tmp_path)
    Path("kyiv.csv").write_text(CSV, encoding="utf-8")
    return Path("kyiv.csv")


def _words(text: str) -> str:
    """The output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def test_skipped_local_time_has_its_own_reason_and_place(dst_csv: Path) -> None:
    res = CliRunner().invoke(cli, ["history", str(dst_csv), "--tz", "Europe/Kyiv"])
    assert res.exit_code == 1, res.output  # as for every data-quality drop
    out = _words(res.output)
    assert ("dropped 1 row: local time skipped by the clock change (it does not exist in the "
            f"--tz time zone; give the time with its UTC offset) (first at {dst_csv}:3)") in out
    assert "timestamp missing or unreadable" not in out
    assert ("ambiguous_local_times │ 1 │ local times the clock change made happen twice "
            "(read as the first)") in out
    assert f"(read as the first) │ {dst_csv}:5 │" in out


def test_the_same_in_json(dst_csv: Path) -> None:
    res = CliRunner().invoke(cli, ["history", str(dst_csv), "--tz", "Europe/Kyiv",
                                   "--format", "json"])
    assert res.exit_code == 1, res.output
    q = json.loads(res.output)["quality"]
    assert q["dropped"] == {"skipped_local_time": 1}
    assert q["counts"]["ambiguous_local_times"] == 1
    assert q["examples"]["drop:skipped_local_time"] == [f"{dst_csv}:3"]
    assert q["examples"]["ambiguous_local_times"] == [f"{dst_csv}:5"]
    assert q["rows_read"] == 4 and q["rows_kept"] == 3


def test_the_repeated_hour_is_read_as_the_first(dst_csv: Path) -> None:
    h = load_history([str(dst_csv)], tz="Europe/Kyiv")
    row = h.events.filter(h.events["deal_id"] == "2").sort("ts").row(-1, named=True)
    # 03:30 summer time (UTC+3), not 03:30 winter time (UTC+2).
    assert row["ts"].isoformat() == "2018-10-28T00:30:00+00:00"
    assert h.quality.balanced


def test_in_russian(dst_csv: Path) -> None:
    res = CliRunner().invoke(cli, ["history", str(dst_csv), "--tz", "Europe/Kyiv",
                                   "--lang", "ru"])
    assert res.exit_code == 1, res.output
    out = _words(res.output)
    assert ("местное время пропущено при переводе часов (в поясе --tz его не существует; "
            "укажите время со смещением от UTC)") in out
    assert ("ambiguous_local_times │ 1 │ местное время, наступившее дважды из-за перевода "
            "часов") in out
    assert f"впервые: {dst_csv}:3" in out


def test_in_utc_nothing_is_skipped_or_repeated(dst_csv: Path) -> None:
    q = load_history([str(dst_csv)], tz="UTC").quality
    assert q.dropped == {} and "ambiguous_local_times" not in q.counts


def test_bitrix24_history_and_quiet_deals(tmp_path: Path) -> None:
    """Bitrix24 writes offsets, but a portal export re-saved by hand may not: the history
    row in the gap and the never-moved deal created in it are both dropped as skipped;
    the history row in the overlap is counted as repeated."""
    def item(i: str, owner: int, t: str) -> dict[str, object]:
        return {"ID": i, "TYPE_ID": 1, "OWNER_ID": owner, "CREATED_TIME": t,
                "CATEGORY_ID": 0, "STAGE_ID": "NEW", "STAGE_SEMANTIC_ID": "P"}
    hist = {"result": {"items": [item("1", 5, "2018-03-25T03:10:00"),
                                 item("2", 6, "2018-10-28T03:30:00"),
                                 item("3", 7, "2018-10-28T12:00:00")]}}
    stages = {"result": [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW",
                          "NAME": "Новая", "SORT": "10"}]}
    deals = {"result": [{"ID": "9", "DATE_CREATE": "2018-03-25T03:20:00", "STAGE_ID": "NEW"}]}
    for name, doc in (("h.json", hist), ("s.json", stages), ("d.json", deals)):
        (tmp_path / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    q = load_history([str(tmp_path)], tz="Europe/Kyiv").quality
    assert q.dropped == {"skipped_local_time": 2}
    assert q.counts["ambiguous_local_times"] == 1
    assert q.balanced


@pytest.mark.parametrize("tz", ["UTC", "Europe/Kyiv"])
def test_a_deal_list_with_no_history_items_is_read(tmp_path: Path, tz: str) -> None:
    """Regression (found by test_input_surfaces' fuzzing): with no history item to read,
    the empty frame's skipped/repeated columns were untyped and `filter` failed with
    "predicate must be of type Boolean, got Null" — an internal failure for a deal list."""
    doc = {"result": {"items": [{"ID": 1, "DATE_CREATE": "2024-01-01T10:00:00Z",
                                 "STAGE_ID": "", "OPPORTUNITY": None}]}}
    path = tmp_path / "bx.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path), "--tz", tz])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "internal failure" not in res.output, res.output
    assert res.exit_code == 1, res.output
    assert "stage missing" in res.output
