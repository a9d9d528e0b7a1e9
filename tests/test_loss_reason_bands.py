"""Loss reasons by deal-size band: each band is named by what it holds (a Russian
consultant's pass over `history` on the online school's export).

The bands were the terciles of the lost deals' values, named by the cuts: with the
school's three prices (30 000, 45 000, 60 000) a band named «45 000–60 000» held only the
60 000 deals, and with ties a band «100–300» sat beside «≤ 100» while holding no deal of
100. Now a band is one price when there are at most three, else a tercile cut at a value
(ties kept together), named by the least and greatest value of its deals."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli

SCHOOL = Path(__file__).resolve().parent / "data" / "amocrm_school"
ENV = {"NO_COLOR": "1", "COLUMNS": "160"}


def _history(*args: str) -> str:
    result = CliRunner().invoke(cli, ["history", *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def _size_rows(history_json: str) -> list[dict]:
    return [r for r in json.loads(history_json)["tables"]["loss_reasons_by"]
            if r["dimension"] == "size"]


def _bands(rows: list[dict]) -> dict[tuple[str, str], tuple[float | None, float | None, int]]:
    """(pipeline, group) → (low, high, lost deals) over all the group's reasons."""
    out: dict[tuple[str, str], tuple[float | None, float | None, int]] = {}
    for r in rows:
        key = (r["pipeline"], r["group"])
        n = out.get(key, (None, None, 0))[2]
        out[key] = (r["low"], r["high"], n + r["deals"])
    return out


def write_csv(path: Path, values: list[int | None]) -> Path:
    """A deal per value: it comes in and is lost an hour later («Дорого»)."""
    lines = ["deal_id,timestamp,pipeline,stage,loss_reason,value"]
    t = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for i, v in enumerate(values):
        at = t + timedelta(hours=3 * i)
        value = "" if v is None else str(v)
        lines.append(f"D{i},{at.isoformat()},Продажи,Заявка,,{value}")
        lines.append(f"D{i},{(at + timedelta(hours=1)).isoformat()},Продажи,lost,Дорого,{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TIES = [100] * 10 + [200] + [300] * 5 + [500] * 4 + [800] * 3 + [None]


@pytest.mark.parametrize(("values", "bands"), [
    # 23 values, 5 distinct: terciles cut at 100 and 300 (the 8th and 15th of them).
    # Before: «≤ 100», «100–300» (no deal of 100 in it), «> 300».
    (TIES, {"100": (100, 100, 10), "200–300": (200, 300, 6), "500–800": (500, 800, 7),
            "(no value)": (None, None, 1)}),
    # Three prices: a band each, whatever their counts.
    ([30000] * 4 + [45000] * 2 + [60000] * 7,
     {"30,000": (30000, 30000, 4), "45,000": (45000, 45000, 2), "60,000": (60000, 60000, 7)}),
    # Two prices, the upper one most of the deals: two bands, no empty third.
    ([1000] + [5000] * 8, {"1,000": (1000, 1000, 1), "5,000": (5000, 5000, 8)}),
    # Nine distinct values: three by three.
    ([1, 2, 3, 4, 5, 6, 7, 8, 9], {"1–3": (1, 3, 3), "4–6": (4, 6, 3), "7–9": (7, 9, 3)}),
])
def test_size_bands_are_named_by_the_deals_they_hold(
        tmp_path: Path, values: list[int | None],
        bands: dict[str, tuple[float | None, float | None, int]]) -> None:
    csv = write_csv(tmp_path / "h.csv", values)
    got = {g: v for (_p, g), v in _bands(_size_rows(_history(str(csv), "--format", "json")
                                                   )).items()}
    assert got == bands
    # Each band's bounds are its deals' least and greatest value; no two overlap.
    for low, high, n in got.values():
        if low is not None and high is not None:
            held = [v for v in values if v is not None and low <= v <= high]
            assert (min(held), max(held), len(held)) == (low, high, n)
    spans = sorted((lo, hi) for lo, hi, _ in got.values() if lo is not None and hi is not None)
    assert all(a[1] < b[0] for a, b in pairwise(spans))
    assert sum(n for *_, n in got.values()) == len(values)


def test_ties_in_the_terminal_in_russian(tmp_path: Path) -> None:
    csv = write_csv(tmp_path / "h.csv", TIES)
    out = _history(str(csv), "--lang", "ru")
    flat = " ".join(out.replace("\xa0", " ").replace("\u202f", " ").split())
    for label in ("│ размер сделки │ 100 │", "│ размер сделки │ 200–300 │",
                  "│ размер сделки │ 500–800 │"):
        assert label in flat, label
    assert "≤" not in flat and "> 300" not in flat


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = data_generator("amocrm_school")
    out = tmp_path_factory.mktemp("amocrm_school")
    gen.write(out, 3)
    return out


def test_the_schools_three_prices_are_three_bands(school: Path, tmp_path: Path) -> None:
    """Before: «≤ 30 000», «30 000–45 000» and «45 000–60 000», the last holding only the
    60 000 deals. Counted from the export's own leads: each lost lead (status 143) by
    pipeline and price, a price of 0 being no value."""
    expected: Counter[tuple[int, int]] = Counter()
    for line in (school / "leads.jsonl").read_text(encoding="utf-8").splitlines():
        for lead in json.loads(line)["_embedded"]["leads"]:
            if lead["status_id"] == 143:
                expected[(lead["pipeline_id"], lead["price"])] += 1
    pipelines = {8100001: "Продажи", 8100002: "Прогрев"}
    names = {0: "(no value)", 30000: "30,000", 45000: "45,000", 60000: "60,000"}
    out = _history(str(school), "--funnel", str(SCHOOL / "school.funnel"),
                   "--tz", "Europe/Moscow", "--format", "json")
    got = _bands(_size_rows(out))
    assert {k: n for k, (_lo, _hi, n) in got.items()} == {
        (pipelines[p], names[price]): n for (p, price), n in expected.items()}
    assert {(lo, hi) for lo, hi, _ in got.values()} == {
        (None, None), (30000, 30000), (45000, 45000), (60000, 60000)}
