"""`funnelc export --to mermaid|dot` writes the diagram's own words in the account's
language (issue 16, section 1), run the way a user runs it on a `language ru` example
(cottages) and the `uk` one (developer). The oracle of "no English left" is built from the
diagram's msgids (context `diagram`) and the delays' words the diagrams share with the
playbook (`export/wording.py`, the units after «через»); the account's names are shown as
written, a route's delay in words (`75% через 2 часа – 3 дня` of `triangular(2h, 1d,
3d)`), its SLA and respond limits in the language's working time (`15 роб. хв`, as
`simulate` says them). `--lang` overrides the account."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli
from i18n_oracle import english_words, from_renders, in_context

KEPT = {"sla"}
"""The funnel keyword the diagrams keep in every language."""


_DIAGRAM, _AFTER = in_context("diagram"), in_context("after")
_DELAYS = from_renders(["funnelc/export/wording.py"])
ENGLISH = english_words(lambda m: _DIAGRAM(m) or _AFTER(m) or _DELAYS(m), min_len=3, kept=KEPT)


def _export(*args: str) -> str:
    result = CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _english_in(text: str) -> list[str]:
    # Node ids (p0s1, p0lost3), Mermaid/DOT syntax and the file's own notation go first.
    text = re.sub(r"(?m)^\s*classDef .*$", " ", text)
    text = re.sub(r"\b(?:flowchart|subgraph|direction|classDef|digraph|rankdir|label|shape|"
                  r"style|fillcolor|fontname|fontsize|penwidth|fill|stroke|end)\b", " ", text)
    text = re.sub(r"\b(?:p\d+[a-z]*\d*|src\d+)\b|:::\w+|\w+\([^()]*\)", " ", text)
    return sorted({w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)} & ENGLISH)


def test_the_oracle_knows_the_diagram_words() -> None:
    assert {"won", "lost", "reply", "after", "copy", "timeout", "reopen", "main",
            "respond", "stays", "forever", "average", "days", "hours"} <= ENGLISH


@pytest.mark.parametrize(("name", "target", "phrases"), [
    ("cottages", "mermaid", ['subgraph p0["Продажи (основная)"]', "<small>реакция ≤ 15 раб. мин</small>",
                             '(["успех"]):::won', "SLA 9 раб. ч → успех", '|"74,5% ответ"|',
                             '|"25,5% нет ответа"|', '|"75% через 2 часа – 3 дня"|',
                             '(["отказ: ']),
    ("cottages", "dot", ['label="Продажи (основная)";', "→ отказ «", 'label="успех"']),
    ("developer", "mermaid", ['subgraph p0["Продаж квартир (основна)"]',
                              "<small>реакція ≤ 15 роб. хв</small>",
                              "SLA 30 роб. год → відмова «Неактуально»",
                              '(["відмова: Неактуально"]):::lost', '(["успіх"]):::won']),
    ("developer", "dot", ['label="Продаж квартир (основна)";', 'label="успіх"',
                          "\\nреакція ≤ 15 роб. хв"]),
])
def test_the_diagram_speaks_the_account_language(name: str, target: str,
                                                 phrases: list[str]) -> None:
    out = _export(str(PIPELINES / f"{name}.funnel"), "--to", target)
    assert _english_in(out) == []
    for phrase in phrases:
        assert phrase in out, phrase


def test_lang_overrides_the_account() -> None:
    uk = _export(str(PIPELINES / "cottages.funnel"), "--to", "mermaid", "--lang", "uk")
    assert 'subgraph p0["Продажи (основна)"]' in uk and "(основная)" not in uk
    en = _export(str(PIPELINES / "cottages.funnel"), "--to", "mermaid", "--lang", "en")
    assert 'subgraph p0["Продажи (main)"]' in en
    assert '|"74.5% reply"|' in en and '(["won"]):::won' in en
    assert "<small>respond ≤ 15m</small>" in en
