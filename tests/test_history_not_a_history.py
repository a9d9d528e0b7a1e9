"""A file that is no history funnelc reads is a problem in the input (exit 1, with the
file's name and a hint), the same in every command that reads a history; the command
line at fault (a missing path, a funnel file given as the history) stays a usage error
(exit 2). `history notes.txt` used to exit 2, as if the command had been mistyped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FUNNEL = str(ROOT / "pipelines" / "courses.funnel")


def _args(command: str, history: str) -> list[str]:
    if command == "audit":
        return ["audit", FUNNEL, history]
    if command == "history":
        return ["history", history]
    if command == "backtest":
        return ["fit", history, "--funnel", FUNNEL, "--backtest", "1"]
    return [command, history, "--funnel", FUNNEL]


COMMANDS = ["history", "fit", "backtest", "forecast", "audit"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_of_no_known_format_is_a_problem_in_the_input(tmp_path: Path,
                                                             command: str) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\nworld\n", encoding="utf-8")
    res = CliRunner().invoke(cli, _args(command, str(junk)))
    assert res.exit_code == 1, res.output
    assert f"error: {junk}: not a known history format (amoCRM" in res.output
    assert "= help: save the deals' stage history from the CRM" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("command", COMMANDS)
def test_a_binary_file_is_a_problem_in_the_input(tmp_path: Path, command: str) -> None:
    blob = tmp_path / "export.csv"
    blob.write_bytes(bytes(range(256)) * 16)
    res = CliRunner().invoke(cli, _args(command, str(blob)))
    assert res.exit_code == 1, res.output
    assert f"error: {blob}: a binary file, not JSON or CSV" in res.output
    assert "= help: funnelc reads amoCRM events/leads/pipelines JSON" in res.output


def test_an_archive_and_a_workbook_are_problems_in_the_input(tmp_path: Path) -> None:
    zipped = tmp_path / "export.zip"
    zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    book = tmp_path / "deals.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    for path, says in ((zipped, "a ZIP archive"), (book, "a spreadsheet workbook")):
        res = CliRunner().invoke(cli, ["history", str(path)])
        assert res.exit_code == 1 and f"{path}: {says}" in res.output, res.output


@pytest.mark.parametrize("command", COMMANDS)
def test_the_command_line_at_fault_stays_a_usage_error(tmp_path: Path, command: str) -> None:
    res = CliRunner().invoke(cli, _args(command, str(tmp_path / "missing.csv")))
    assert res.exit_code == 2 and "no such file or folder" in res.output, res.output


def test_a_funnel_given_as_the_history_is_a_usage_error() -> None:
    res = CliRunner().invoke(cli, ["history", FUNNEL])
    assert res.exit_code == 2, res.output
    assert "this is a funnel file: give it with `--funnel`" in res.output
