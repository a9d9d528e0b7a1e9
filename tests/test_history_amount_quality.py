"""An amount `history` could not use is counted by what is wrong with it, so that the
consultant can tell the client which cells to mend and how: a cell that is no number
(«abc», «договорная») is written again as a number; a number out of range (`1e308`,
`Infinity`, beyond 10¹⁵) is a slip or a corrupt cell. Both were one `bad_values` count
whose sentence said «no number» of `1e308` too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from funnelc.cli import cli

ROOT = Path(__file__).resolve().parent.parent
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def _run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=ENV)


@pytest.fixture()
def history(tmp_path: Path) -> Path:
    """Four deals, one «abc» amount (line 3) and one 1e308 (line 4)."""
    path = tmp_path / "deals.csv"
    path.write_text("deal_id,time,stage,value\n"
                    "1,2026-01-05T10:00:00+00:00,Заявка,1000\n"
                    "2,2026-01-06T10:00:00+00:00,Заявка,abc\n"
                    "3,2026-01-07T10:00:00+00:00,Заявка,1e308\n"
                    "4,2026-01-08T10:00:00+00:00,Заявка,2500\n", encoding="utf-8")
    return path


def test_history_counts_a_word_and_a_wild_number_apart(history: Path) -> None:
    res = _run("history", history, "--lang", "en")
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert f"read 1 amount that is no number as unknown (first at {history}:3)" in out
    assert (f"read 1 amount out of range (infinite or beyond 10¹⁵) as unknown (first at "
            f"{history}:4)") in out
    assert "2 amounts that are no number" not in out
    data = json.loads(_run("history", history, "--format", "json").stdout)["quality"]
    assert data["counts"]["bad_values"] == 1
    assert data["counts"]["implausible_values"] == 1
    assert data["examples"]["bad_values"] == [f"{history}:3"]
    assert data["examples"]["implausible_values"] == [f"{history}:4"]


@pytest.mark.parametrize(("lang", "word", "wild"), [
    ("ru", "1 сумма — не число", "1 сумма вне допустимого диапазона"),
    ("uk", "1 сума — не число", "1 сума поза допустимим діапазоном"),
])
def test_the_two_sentences_in_russian_and_ukrainian(history: Path, lang: str, word: str,
                                                    wild: str) -> None:
    res = _run("history", history, "--lang", lang)
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert f"{word}, " in out and f"{history}:3" in out
    assert wild in out and f"{history}:4" in out


def test_audit_names_both_too(history: Path) -> None:
    res = _run("audit", ROOT / "pipelines" / "courses.funnel", history)
    assert res.exit_code == 0, res.output
    text = " ".join(res.stderr.split())
    assert f"read 1 amount that is no number as unknown (first at {history}:3)" in text
    assert ("read 1 amount out of range (infinite or beyond 10¹⁵) as unknown (first at "
            f"{history}:4)") in text
