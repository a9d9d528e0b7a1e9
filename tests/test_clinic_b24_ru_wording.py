"""Wording and layout defects a consultant's pass found reading `history`, `audit`, `fit`
and `forecast` on the clinic's Bitrix24 export (tests/data/clinic_b24_ru, seed 2) as the
clinic's owner would: each test is the defect's regression test on that data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "clinic_b24_ru"
FUNNEL = DATA / "clinic.funnel"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clinic_b24_ru")
    data_generator("clinic_b24_ru").main(out, 2)
    return out / "bitrix24"


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def history_text(export: Path) -> str:
    return _run("history", str(export), "--funnel", str(FUNNEL), "--tz", "Europe/Moscow")


@pytest.fixture(scope="module")
def history_json(export: Path) -> dict[str, Any]:
    return json.loads(_run("history", str(export), "--funnel", str(FUNNEL), "--tz",
                           "Europe/Moscow", "--format", "json"))


def test_money_is_never_split_across_lines(export: Path, history_text: str) -> None:
    # The findings table wrapped «на кону 5 043 / 397 ₽»: rich wraps at every space,
    # a no-break one too, and the currency sign followed an ordinary space.
    money = f"5{NBSP}043{NBSP}397{NBSP}₽"
    assert any(money in line for line in history_text.splitlines()), history_text
    audit = _run("audit", str(FUNNEL), str(export), "--tz", "Europe/Moscow")
    assert any(money in line for line in audit.splitlines()), audit
