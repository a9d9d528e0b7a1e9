"""English writes a percentage with no space before the sign, «95% interval», as it
writes «66.28%»; the English text read «95 % interval» in about a hundred places (the
msgids, and the --help of simulate, fit, forecast, whatif…). Russian and Ukrainian write
it as their figures are written, «95% интервал» beside «28,49%» (test_i18n)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

import funnelc
from funnelc.cli import cli

SPACED = re.compile(r"\d[ \u00a0]%")
LOCALE = Path(funnelc.__file__).parent / "locale"


def _commands() -> list[str]:
    return sorted(cli.list_commands(click.Context(cli)))


@pytest.mark.parametrize("name", _commands())
def test_english_help_has_no_space_before_percent(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help", "--lang", "en"], env={"COLUMNS": "200"})
    if result.exit_code != 0:  # a command without --lang
        result = CliRunner().invoke(cli, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not SPACED.findall(result.stdout), name


def test_no_english_message_has_a_space_before_percent() -> None:
    with open(LOCALE / "en" / "LC_MESSAGES" / "funnelc.po", "rb") as fh:
        catalog = read_po(fh)
    spaced = [m.id for m in catalog if m.id and any(
        SPACED.search(i) for i in (m.id if isinstance(m.id, tuple) else (m.id,)))]
    assert spaced == []


def test_russian_help_writes_its_percent_as_its_figures() -> None:
    result = CliRunner().invoke(cli, ["simulate", "--help", "--lang", "ru"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "с ее 95% доверительным интервалом" in " ".join(result.stdout.split())
    english = CliRunner().invoke(cli, ["simulate", "--help", "--lang", "en"],
                                 env={"COLUMNS": "200"}).stdout
    assert "A 95% confidence interval" in " ".join(english.split())


def test_forecast_help_names_its_bands_in_english() -> None:
    out = CliRunner().invoke(cli, ["forecast", "--help"], env={"COLUMNS": "200"}).stdout
    assert "median, 80% and 95% bands" in " ".join(out.split())
