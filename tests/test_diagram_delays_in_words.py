"""`funnelc export --to mermaid|dot` says a route's delay in the account's words, as the
playbook of the same file says it (one function, `export.wording.delay_words`): a
native-speaker review read «75% через triangular(2h, 1d, 3d)» and «10% через exp(2d)» on
the diagrams of the cottages account (ru, and its copy with `language uk`) while the
playbook said «через 2 години – 3 дні, найчастіше через 1 день» and «в середньому через
2 дні». An edge keeps to the range of a `triangular` (the playbook adds its most likely
delay). A source's rate and a reopen's share are in the language's numbers too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

COTTAGES = PIPELINES / "cottages.funnel"

EDGES = {
    "ru": ["75% через 2 часа – 3 дня", "10% в среднем через 2 дня", "75% через 1–5 дней",
           "3% в среднем через 10 дней"],
    "uk": ["75% через 2 години – 3 дні", "10% в середньому через 2 дні", "75% через 1–5 днів",
           "3% в середньому через 10 днів"],
    "en": ["75% after 2 hours – 3 days", "10% after 2 days on average", "75% after 1–5 days",
           "3% after 10 days on average"],
}
"""The edges «Первичный контакт» → «Отправлен расчет» (`triangular(2h, 1d, 3d)`),
«Отправлен расчет» → «Договорился о встрече» (`exp(2d)`), «Договорился о встрече» →
«Пришел на встречу» (`uniform(1d, 5d)`) and «Прогрет 90 дней» → «Проявил интерес»
(`exp(10d)`)."""

DSL = re.compile(r"\b(?:exp|uniform|triangular|lognormal|gamma|fixed|empirical)\(")
UNITS = re.compile(r"\d[hdwm]\b")
"""The file's units: English diagrams keep the SLA's limit as written (`timeout 27h`)."""


def export(path: Path, target: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["export", str(path), "--to", target, *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def account_in(language: str, tmp_path: Path) -> Path:
    """The cottages account with `language` (the review's `cottages_uk.funnel`)."""
    text = COTTAGES.read_text(encoding="utf-8")
    path = tmp_path / f"cottages_{language}.funnel"
    path.write_text(text.replace("  language ru\n", f"  language {language}\n"), encoding="utf-8")
    return path


def edge_labels(out: str, target: str) -> list[str]:
    if target == "mermaid":
        return re.findall(r'-->\|"([^"]*)"\|', out)
    return re.findall(r' -> \S+ \[label="([^"]*)"', out)


@pytest.mark.parametrize("target", ["mermaid", "dot"])
@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_diagram_edges_say_delays_in_the_account_language(language: str, target: str,
                                                          tmp_path: Path) -> None:
    out = export(account_in(language, tmp_path), target)
    labels = edge_labels(out, target)
    for edge in EDGES[language]:
        assert edge in labels, (edge, labels)
    assert [label for label in labels if DSL.search(label)] == []
    if language != "en":
        assert [label for label in labels if UNITS.search(label)] == []


@pytest.mark.parametrize("language", ["uk", "en"])
def test_lang_gives_the_delays_in_its_words(language: str) -> None:
    labels = edge_labels(export(COTTAGES, "mermaid", "--lang", language), "mermaid")
    for edge in EDGES[language]:
        assert edge in labels


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_the_diagram_and_the_playbook_word_a_delay_alike(language: str,
                                                         tmp_path: Path) -> None:
    path = account_in(language, tmp_path)
    playbook = export(path, "playbook-md")
    labels = edge_labels(export(path, "mermaid"), "mermaid")
    for edge in EDGES[language]:
        delay = edge.split(" ", 1)[1]
        assert delay in playbook, delay
    # The playbook goes on with the triangular's most likely delay; the edge stops.
    most_often = {"ru": "через 2 часа – 3 дня, чаще всего через 1 день",
                  "uk": "через 2 години – 3 дні, найчастіше через 1 день",
                  "en": "after 2 hours – 3 days, most often after 1 day"}[language]
    assert most_often in playbook
    assert not any("1 день" in label or "1 day" in label for label in labels)


FIGURES = '''account "A" {{
  currency RUB
  language {language}
}}
source "Сайт" 90k/month -> "Продажи"."Заявка"
source "Реклама" 2.5/day -> "Продажи"."Заявка"
pipeline "Продажи" main {{
  stage "Заявка" {{
    -> won 50% after 1.5d
    -> lost "Дорого" 50%
  }}
  reopen "Дорого" 12.5% after exp(3d) -> "Заявка"
}}
'''


@pytest.mark.parametrize(("language", "phrases"), [
    ("ru", ["Сайт: 90\xa0000/мес.", "Реклама: 2,5/день", "возврат 12,5%", "50% через 36 часов"]),
    ("uk", ["Сайт: 90\xa0000/міс.", "Реклама: 2,5/день", "повернення 12,5%", "50% через 36 годин"]),
    ("en", ["Сайт: 90k/month", "Реклама: 2.5/day", "reopen 12.5%", "50% after 36 hours"]),
])
def test_rates_and_reopens_are_in_the_language_numbers(language: str, phrases: list[str],
                                                       tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(FIGURES.format(language=language), encoding="utf-8")
    for target in ("mermaid", "dot"):
        out = export(path, target)
        for phrase in phrases:
            assert phrase in out, (target, phrase)
        if language != "en":
            assert "90k" not in out and "12.5%" not in out and "2.5/" not in out
