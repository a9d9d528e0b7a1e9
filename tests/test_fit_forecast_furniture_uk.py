"""A Ukrainian consultant reads `funnelc fit` and `funnelc forecast` on the furniture
maker's Bitrix24 export (tests/data/furniture_uk/generate.py, seed 7): every line of the
terminal is Ukrainian, with the decimal comma, and the figures are the hand-counted ones."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"
FUNNEL = DATA / "dubok.funnel"
ENV = {"NO_COLOR": "1", "COLUMNS": "160"}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("furniture_uk")
    data_generator("furniture_uk").main(out, 7)
    return out


@pytest.fixture(scope="module")
def fitted(export: Path) -> tuple[Path, str]:
    out = export / "fitted.funnel"
    result = CliRunner().invoke(cli, ["fit", "--funnel", str(FUNNEL), str(export / "bitrix24"),
                                      "-o", str(out)], env=ENV)
    assert result.exit_code == 0, result.output
    return out, " ".join(result.output.replace("\u00a0", " ").split())


def test_fit_notes_write_added_shares_with_the_decimal_comma(fitted: tuple[Path, str]) -> None:
    # «додано: відмова «Угода провалена» 3.7%» beside «залишено 0,1%»: the funnel file's
    # number in a Ukrainian sentence.
    _, text = fitted
    assert "Продажі.Замір: додано: відмова «Угода провалена» 3,7% (є в даних" in text
    assert "Продажі.Договір: додано: відмова «Дорого» 1,4% (є в даних" in text
    assert "3.7%" not in text and "1.4%" not in text
    # The fitted file itself keeps the funnel language's numbers.
    assert 'lost "Угода провалена" 3.7% after' in fitted[0].read_text(encoding="utf-8")


def test_fit_data_quality_lines_are_ukrainian(fitted: tuple[Path, str]) -> None:
    # «data quality: 4,922 input records read, …» and «note: Bitrix24 history: loss
    # reasons read …» ended the Ukrainian report in English.
    _, text = fitted
    assert ("якість даних: прочитано 4 922 вхідні записи, збережено 4 922 події, нічого не "
            "відкинуто") in text
    assert "примітка: історія Bitrix24: причини програшу взято з поля угоди" in text
    assert "заповнено в 1 002 з 1 013 програних угод" in text
    for english in ("data quality", "input records", "loss reasons", "note:"):
        assert english not in text


def test_fit_reopen_warning_quotes_the_reason(fitted: tuple[Path, str]) -> None:
    # «повернення Угода провалена: замало угод…»: the reason ran into the sentence.
    assert "попередження: повернення «Угода провалена»: замало угод, щоб довіряти" in fitted[1]


def test_fit_share_of_measure_to_estimate_is_wilson_of_the_counted_visits(
        fitted: tuple[Path, str]) -> None:
    # «Замір» → «Розрахунок»: 385 of the 534 visits that ended in a share (the one SLA
    # timeout is not a share); Wilson 95 % by hand: 68.15 %–75.73 %.
    _, text = fitted
    k, n, z = 385, 534, 1.959964
    centre = (k / n + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (round(100 * (centre - half), 1), round(100 * (centre + half), 1)) == (68.1, 75.7)
    assert "→ «Розрахунок» │ 385 │ 72,1% │ 68,1%–75,7%" in text


def test_forecast_data_quality_is_ukrainian_and_not_a_warning(
        export: Path, fitted: tuple[Path, str]) -> None:
    # «warning: data quality: 4,922 input records read …» and «warning: note: …» on the
    # Ukrainian forecast's stderr: English, and a warning where nothing was dropped.
    result = CliRunner().invoke(cli, ["forecast", "--funnel", str(fitted[0]),
                                      str(export / "bitrix24"), "--reps", "20"], env=ENV)
    assert result.exit_code == 0, result.output
    err = result.stderr.replace("\u00a0", " ")
    assert ("якість даних: прочитано 4 922 вхідні записи, збережено 4 922 події, нічого не "
            "відкинуто") in err
    assert "примітка: історія Bitrix24: причини програшу взято" in err
    assert "\\u00a0" not in err
    for english in ("warning", "data quality", "note:", "попередження"):
        assert english not in err
