"""`import --from amocrm` notes a status it renames with the CRM's name made visible:
«Лечение\\u200bначато» is called «Лечениеначато» here. The note printed the CRM's name
raw, so it read «Лечениеначато» is called «Лечениеначато» (the same text twice); and a
status named with a ZWJ emoji (👨‍💻) is kept whole, not split into 👨💻 (findings h4,
section 5)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli
from test_amocrm_import import answer, pipeline, status, write


def test_a_renamed_status_is_noted_with_its_invisible_character_shown(tmp_path: Path) -> None:
    data = answer([pipeline(1, "Первичка", [status(21, "Лечение\u200bначато", 20),
                                            status(22, "Записан 👨\u200d💻", 30)])])
    result = CliRunner().invoke(cli, ["import", "--from", "amocrm", write(tmp_path, "p.json", data)])
    assert result.exit_code == 0, result.output
    assert "status «Лечение\\u200bначато» is called «Лечениеначато» here" in result.stdout
    assert 'stage "Записан 👨\u200d💻" {' in result.stdout
    assert "Записан 👨💻" not in result.stdout
