"""Syntax errors that guess what was meant (issue 16, section 3): mistyped keywords,
units spelt another way, two statements on one line, one error for a mistyped top-level
block; and every syntax error's help speaks about its own line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CASES
from funnelc.cli import cli
from funnelc.syntax_hints import unit_guess

ERRORS = CASES / "errors"
SYNTAX_CODES = {"FN001", "FN002", "FN003", "FN004"}
_TOKEN = re.compile(r"[^\W\d_][\w-]*|\d+(?:\.\d+)?|->|[{}()\";,]")
"""Words, numbers (any script's digits) and the punctuation that means something."""

BASE = """account "Студия" {
  currency RUB
}
team "Менеджеры" size 2
source "Сайт" 5/day -> "Продажи"."Заявка"
pipeline "Продажи" main sales {
  stage "Заявка" {
    owner "Менеджеры"
    -> won 30%
    -> lost "Отказ" 70%
  }
}
"""


def _check(tmp_path: Path, text: str) -> tuple[int, list[dict[str, object]]]:
    path = tmp_path / "f.funnel"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(path)])
    return result.exit_code, json.loads(result.output)["diagnostics"]


def _syntax_cases() -> list[tuple[str, dict[str, object]]]:
    found = []
    for golden in sorted(ERRORS.glob("*.json")):
        for d in json.loads(golden.read_text(encoding="utf-8"))["diagnostics"]:
            if d["code"] in SYNTAX_CODES:
                found.append((golden.stem, d))
    return found


def test_the_golden_cases_hold_syntax_errors() -> None:
    assert len(_syntax_cases()) >= 15


@pytest.mark.parametrize(("case", "diag"), _syntax_cases(),
                         ids=lambda v: v if isinstance(v, str) else str(v["code"]))
def test_every_syntax_help_mentions_a_token_of_its_own_line(case: str,
                                                            diag: dict[str, object]) -> None:
    """A help that names nothing on the line ("every `{` needs a matching `}`" under a
    mistyped keyword) sends the reader looking elsewhere."""
    source = ERRORS / f"{case}.funnel"
    if not source.exists():
        pytest.skip(f"{case} is generated (binary input): no line to read")
    span = diag["span"]
    assert isinstance(span, dict)
    line = source.read_text(encoding="utf-8").splitlines()[span["line"] - 1]
    help_text = diag["help"]
    assert isinstance(help_text, str) and help_text, f"{case}: no help"
    tokens = set(_TOKEN.findall(line))
    assert any(tok in help_text for tok in tokens), (case, line, help_text)


def test_a_mistyped_statement_gets_the_keyword(tmp_path: Path) -> None:
    code, diags = _check(tmp_path, BASE.replace("    owner", "    ownr"))
    assert code == 1
    assert [d["message"] for d in diags] == ["unknown statement `ownr`; did you mean `owner`?"]
    assert diags[0]["help"] == "replace `ownr` with `owner`"


def test_a_mistyped_value_word_gets_the_word(tmp_path: Path) -> None:
    code, diags = _check(tmp_path, BASE.replace("main sales", "main salse"))
    assert code == 1
    assert diags[0]["message"] == "unexpected `salse`; did you mean `sales`?"


def test_a_mistyped_pipeline_block_is_one_error(tmp_path: Path) -> None:
    code, diags = _check(tmp_path, BASE.replace("pipeline", "pipline"))
    assert code == 1
    assert [d["message"] for d in diags] == [
        "unknown statement `pipline`; did you mean `pipeline`?"]


def test_an_error_after_a_skipped_block_is_still_reported(tmp_path: Path) -> None:
    text = BASE.replace("pipeline", "pipline") + 'team "Второй" size two\n'
    code, diags = _check(tmp_path, text)
    assert code == 1
    assert len(diags) == 2
    assert diags[1]["span"]["line"] == 13  # type: ignore[index]


def test_a_garbage_line_without_a_block_does_not_hide_the_next_error(tmp_path: Path) -> None:
    text = BASE.replace('team "Менеджеры" size 2', 'tem "Менеджеры" size 2\nteam "Б" size two')
    code, diags = _check(tmp_path, text)
    assert code == 1
    assert [d["span"]["line"] for d in diags] == [4, 5]  # type: ignore[index]
    assert diags[0]["message"] == "unknown statement `tem`; did you mean `team`?"


def test_two_statements_on_one_line(tmp_path: Path) -> None:
    code, diags = _check(tmp_path, BASE.replace('owner "Менеджеры"', 'owner "Менеджеры" work 10m'))
    assert code == 1
    assert diags[0]["message"] == "two statements on one line"
    assert diags[0]["help"] == "put each statement on its own line: start a new line before `work`"
    assert diags[0]["span"]["column"] == 23  # type: ignore[index]


@pytest.mark.parametrize(("written", "meant", "caret"), [
    ("4.5/h", "4.5/hour", "/h"),
    ("3/д", "3/day", "/д"),
    ("2/wk", "2/week", "/wk"),
    ("300/мес", "300/month", "/мес"),
])
def test_rate_units_written_another_way(tmp_path: Path, written: str, meant: str,
                                        caret: str) -> None:
    code, diags = _check(tmp_path, BASE.replace("5/day", written))
    assert code == 1
    d = diags[0]
    assert d["message"] == f"unknown rate unit `{caret}`; did you mean `{meant}`?"
    span = d["span"]
    assert isinstance(span, dict)
    line = BASE.replace("5/day", written).splitlines()[span["line"] - 1]
    assert line[span["column"] - 1:span["end_column"] - 1] == caret


def test_per_minute_and_bare_m_are_refused_with_the_reason(tmp_path: Path) -> None:
    _, diags = _check(tmp_path, BASE.replace("5/day", "5/m"))
    assert diags[0]["message"] == "ambiguous rate unit `/m`"
    assert "5/month" in str(diags[0]["help"]) and "300/hour" in str(diags[0]["help"])
    _, diags = _check(tmp_path, BASE.replace("5/day", "2/мин"))
    assert "120/hour" in str(diags[0]["help"])


@pytest.mark.parametrize(("statement", "meant"), [
    ("work 30мин", "30m"),
    ("work 15 минут", "15m"),
    ("work 2 hours", "2h"),
    ("respond 1 день", "1d"),
    ("work 3хв", "3m"),
])
def test_duration_units_written_another_way(tmp_path: Path, statement: str, meant: str) -> None:
    text = BASE.replace('owner "Менеджеры"', f'owner "Менеджеры"\n    {statement}')
    code, diags = _check(tmp_path, text)
    assert code == 1
    assert str(diags[0]["message"]).endswith(f"did you mean `{meant}`?"), diags[0]


def test_after_one_week(tmp_path: Path) -> None:
    code, diags = _check(tmp_path, BASE.replace("-> won 30%", "-> won 30% after 1 week"))
    assert code == 1
    assert diags[0]["message"] == "unknown duration unit `week`; did you mean `1w`?"


def test_a_rate_without_unit(tmp_path: Path) -> None:
    _, diags = _check(tmp_path, BASE.replace("5/day", "10"))
    assert diags[0]["message"] == "the rate `10` has no unit of time"
    assert "10/day" in str(diags[0]["help"])


@pytest.mark.parametrize(("written", "said", "fix"), [
    ("value 5000₽", "an amount is written without its currency (`₽`)", "`5000`"),
    ("value 5000руб", "an amount is written without its currency (`руб`)", "`5000`"),
    ("value 5000 руб.", "an amount is written without its currency (`руб.`)", "`5000`"),
    ("value 12k грн", "an amount is written without its currency (`грн`)", "`12k`"),
    ("cost 300тыс", "`тыс` is no word of an amount; did you mean `300k`?", "`300k`"),
    ("value 1.5 млн", "`млн` is no word of an amount; did you mean `1.5M`?", "`1.5M`"),
])
def test_an_amount_written_as_a_price_gets_the_bare_figure(tmp_path: Path, written: str,
                                                           said: str, fix: str) -> None:
    """`value 5000₽` read «unexpected character `₽`» with «every `{` needs a matching
    `}`», `5000руб` «unknown duration unit `руб`», `5000 руб.` and `300 тыс` «one
    statement per line»: an amount is written bare, in the account's currency."""
    text = BASE.replace('-> "Продажи"."Заявка"', f'-> "Продажи"."Заявка" {written}')
    code, diags = _check(tmp_path, text)
    assert code == 1 and len(diags) == 1, diags
    assert diags[0]["message"] == said and fix in str(diags[0]["help"]), diags[0]


def test_unit_guess_leaves_unknown_words_alone() -> None:
    assert unit_guess("10 per day", 0, want_duration=False, want_rate=True) is None
    assert unit_guess("size 3 people", 5, want_duration=False, want_rate=False) is None
    assert unit_guess("30 parsecs", 0, want_duration=True, want_rate=False) is None
