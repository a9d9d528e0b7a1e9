"""The playbook writes every figure the file gives in the account's numbers: a
native-speaker review read «шанс ответа 0.5%» / «шанс відповіді 0.5%» (a cadence's
`email now 0.5%` copied as typed) on the cottages playbook that writes «74,5%» two
sections above. A reopen's share was copied as typed too. English keeps the file's
spelling."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

COTTAGES = PIPELINES / "cottages.funnel"


def export(path: Path, target: str) -> str:
    result = CliRunner().invoke(cli, ["export", str(path), "--to", target],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def account_in(language: str, tmp_path: Path, text: str | None = None) -> Path:
    text = text if text is not None else COTTAGES.read_text(encoding="utf-8")
    path = tmp_path / f"a_{language}.funnel"
    path.write_text(text.replace("  language ru\n", f"  language {language}\n"), encoding="utf-8")
    return path


@pytest.mark.parametrize("target", ["playbook-md", "playbook-html"])
@pytest.mark.parametrize(("language", "chance"), [
    ("ru", "шанс ответа 0,5%"), ("uk", "шанс відповіді 0,5%"), ("en", "reply chance 0.5%"),
])
def test_a_cadence_reply_chance_is_in_the_account_numbers(language: str, chance: str,
                                                          target: str, tmp_path: Path) -> None:
    out = export(account_in(language, tmp_path), target)
    assert out.count(chance) == 2  # «Передан на прогрев»: email now 0.5%, email 60d 0.5%
    if language != "en":
        assert "0.5%" not in out


REOPEN = '''account "A" {
  currency RUB
  language ru
}
source "Сайт" 1/day -> "Продажи"."Заявка"
pipeline "Продажи" main {
  stage "Заявка" {
    cadence {
      call now 12.25%
      on reply -> won
      on exhausted -> lost "Дорого"
    }
  }
  reopen "Дорого" 7.5% after exp(3d) -> "Заявка"
}
'''


@pytest.mark.parametrize(("language", "phrases"), [
    ("ru", ["7,5% сделок, закрытых как «Дорого»", "шанс ответа 12,25%"]),
    ("uk", ["7,5% угод, закритих як «Дорого»", "шанс відповіді 12,25%"]),
    ("en", ["7\\.5% of deals lost as “Дорого”", "reply chance 12.25%"]),  # `7.` escaped in Markdown
])
def test_a_reopen_share_keeps_its_digits_in_the_account_numbers(language: str,
                                                                phrases: list[str],
                                                                tmp_path: Path) -> None:
    out = export(account_in(language, tmp_path, REOPEN), "playbook-md")
    for phrase in phrases:
        assert phrase in out, phrase
