"""English money is abbreviated one way in every output: «€152k», as the report's Money
table and analyze write it (`numfmt.money_in`). The forecast wrote Babel's compact form,
«€150K», so a consultant pasting the forecast beside the report showed two styles.
The SaaS account (tests/data/saas_en, EUR) with its renamed stage mended."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DATA = Path(__file__).resolve().parent / "data" / "saas_en"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
MONEY = re.compile(r"€[\d.,]+[kKMB]?")
RUNS = ("--reps", "10")
"""The tests read how money is written, not the forecast's figures: 10 runs print every
table and band the default 200 do (a tenth of the time)."""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saas_en_money")
    data_generator("saas_en").write(out, 1)
    path = out / "fixed.csv"
    text = (out / "history.csv").read_text(encoding="utf-8")
    path.write_text(text.replace(",Demo held,", ",Demo,"), encoding="utf-8")
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_forecast_abbreviates_english_money_as_the_report_does(history: Path) -> None:
    out = _run("forecast", str(history), "--funnel", str(DATA / "cloudly.funnel"), "-q",
               *RUNS)
    amounts = MONEY.findall(out)
    assert len(amounts) > 20, out
    assert not [a for a in amounts if a.endswith("K")], amounts
    assert any(a.endswith("k") for a in amounts) and "open deals worth €1.68M" in out
    # A band says its sign once: «€15.7k–50.2k».
    assert re.search(r"€[\d.]+k–[\d.]+k\b", out), out
    analyzed = MONEY.findall(_run("analyze", str(DATA / "cloudly.funnel")))
    assert any(a.endswith("k") for a in analyzed)
    assert not [a for a in analyzed if a.endswith("K")], analyzed


def test_russian_forecast_keeps_its_words(history: Path) -> None:
    out = _run("forecast", str(history), "--funnel", str(DATA / "cloudly.funnel"), "-q",
               *RUNS, "--lang", "ru")
    assert "тыс.\u00a0€" in out and "K" not in "".join(MONEY.findall(out))
