"""Deal-size bands are named to the cent, not to whole units: an account that writes its
amounts in millions (a developer's «Сумма, млн»: 2.4 … 15.5) had its bands named «2–5»,
«5–7» and «8–16», as if the first two overlapped, where they hold 2.4–4.8 and 5.2–7.3
(docs/audit.md: «no two bands' names overlap»). Whole amounts keep their names
(«120 000»), trailing zeros dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
VALUES = [4.5, 4.8, 5.2, 6.1, 7.2, 7.3, 8.4, 9.9, 12.8, 3.6, 2.4, 15.5]


def _history(tmp_path: Path, *args: str) -> str:
    rows = ["deal_id,timestamp,pipeline,stage,loss_reason,value"]
    for i in range(60):
        value, day = VALUES[i % len(VALUES)], 2 + i % 25
        rows.append(f"D{i},2026-03-{day:02d}T09:00:00+00:00,Продажи,Заявка,,{value}")
        rows.append(f"D{i},2026-03-{day:02d}T10:00:00+00:00,Продажи,lost,Дорого,{value}")
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path), *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_json_names_each_band_by_its_amounts(tmp_path: Path) -> None:
    tables = json.loads(_history(tmp_path, "--format", "json"))["tables"]
    bands = [(r["group"], r["low"], r["high"]) for r in tables["loss_reasons_by"]
             if r["dimension"] == "size"]
    assert bands == [("2.4–4.8", 2.4, 4.8), ("5.2–7.3", 5.2, 7.3), ("8.4–15.5", 8.4, 15.5)]


@pytest.mark.parametrize(("lang", "names"), [
    ("en", ["2.4–4.8", "5.2–7.3", "8.4–15.5"]),
    ("ru", ["2,4–4,8", "5,2–7,3", "8,4–15,5"]),
    ("uk", ["2,4–4,8", "5,2–7,3", "8,4–15,5"])])
def test_the_tables_name_each_band_by_its_amounts(tmp_path: Path, lang: str,
                                                  names: list[str]) -> None:
    out = _history(tmp_path, "--lang", lang)
    for name in names:
        assert f"│ {name} " in out, out
