"""A funnel file given where a history goes — `funnelc fit deals.csv my.funnel`, the
natural first try, or `history my.funnel deals.csv` — is named as a funnel, with the
way to give it, instead of a bare "not a known history format" or "Missing option"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = 'pipeline "Продажи" sales {\n  stage "Заявка" { -> won }\n}\n'
CSV = "deal_id,timestamp,stage\n1,2024-01-01T10:00:00,Заявка\n1,2024-01-02T10:00:00,won\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "my.funnel").write_text(FUNNEL, encoding="utf-8")
    (tmp_path / "funnel.txt").write_text(FUNNEL, encoding="utf-8")
    (tmp_path / "deals.csv").write_text(CSV, encoding="utf-8")
    return tmp_path / "my.funnel", tmp_path / "funnel.txt", tmp_path / "deals.csv"


@pytest.mark.parametrize("command", ["fit", "forecast"])
def test_a_missing_funnel_option_names_the_funnel_among_the_inputs(
        files: tuple[Path, Path, Path], command: str) -> None:
    funnel, _, csv = files
    out = CliRunner().invoke(cli, [command, str(csv), str(funnel)])
    assert out.exit_code == 2
    assert "Missing option '--funnel'" in out.output
    assert f"{funnel} is a funnel file, not a history: write `--funnel {funnel}`" in out.output
    plain = CliRunner().invoke(cli, [command, str(csv)])
    assert plain.exit_code == 2 and "is a funnel file" not in plain.output


def test_history_says_a_funnel_is_no_history_by_its_name_or_its_text(
        files: tuple[Path, Path, Path]) -> None:
    funnel, text, csv = files
    for path in (funnel, text):
        out = CliRunner().invoke(cli, ["history", str(path), str(csv)])
        assert out.exit_code == 2
        assert f"{path}: not a known history format" in out.output
        assert "this is a funnel file: give it with `--funnel`" in out.output
    junk = funnel.with_name("notes.txt")
    junk.write_text("hello\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["history", str(junk), str(csv)])
    assert out.exit_code == 1 and "this is a funnel file" not in out.output
