"""A CSV download cut in its last row is a cut file (exit 1, the row dropped and named),
however the cut falls; a file that merely lacks its last line break is read whole.

Regression: only a cut that made the last row unreadable (no time, no stage) was seen.
A row cut in an amount, with its last cells missing («…,Нова заявка,99» of 99500), was
kept with the value 99 and no source or manager; a row cut in a last-activity date
(«…,Андрій Шевченко,20») was kept with exit 0 and «nothing dropped»; a row cut in a
stage name made a stage «Нова заяв» the CRM had «renamed». Found by a new-user review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

HEADER = "deal_id,time,pipeline,stage,value,loss_reason,source,manager,last_activity"
ROWS = [f"{i},2026-02-{2 + i // 3:02d}T10:00:00+02:00,Продажі,"
        f"{('Нова заявка', 'Замір', 'Договір')[i % 3]},99500,,Сайт,Андрій Шевченко,"
        f"2026-02-{3 + i // 3:02d}T12:00:00+02:00" for i in range(30)]
WHOLE = "\n".join([HEADER, *ROWS])  # no line break after the last row


def _run(tmp_path: Path, text: str) -> tuple[int, dict[str, object]]:
    path = tmp_path / "history.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"])
    assert "Traceback" not in result.output
    quality: dict[str, object] = json.loads(result.stdout)["quality"]
    return result.exit_code, quality


@pytest.mark.parametrize("cut_at", [
    "Андрій Шевченко,20",  # in the last-activity date: every cell there, one unreadable
    ",99",  # in the amount: the cells after it missing
    ",Дого",  # in the stage name: a stage the CRM never had
], ids=["date", "amount", "stage"])
def test_a_row_cut_anywhere_is_dropped_as_the_cut(tmp_path: Path, cut_at: str) -> None:
    text = WHOLE[:WHOLE.rindex(cut_at) + len(cut_at)]
    code, quality = _run(tmp_path, text)
    assert code == 1
    assert quality["dropped"] == {"truncated": 1}
    assert quality["counts"]["truncated_files"] == 1  # type: ignore[index]
    assert quality["rows_kept"] == 29


def test_a_whole_last_row_without_a_line_break_is_read(tmp_path: Path) -> None:
    """Some spreadsheets save a CSV with no line break after its last row."""
    code, quality = _run(tmp_path, WHOLE)
    assert code == 0
    assert quality["dropped"] == {} and quality["rows_kept"] == 30
    assert "truncated_files" not in quality["counts"]  # type: ignore[operator]
