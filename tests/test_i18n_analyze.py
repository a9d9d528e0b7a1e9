"""`funnelc analyze` speaks the account's language (issue 16, section 1), run the way a
user runs it: a `language ru` example (courses) and the `uk` one (developer). The oracle
of "no English left" is built from the English msgids of analyze's renders and of the
exact maths' notes: any of their words in a Russian or Ukrainian output means a string
was not translated. A few exact phrases are checked as well, `--lang` overrides the
account, and `--lang en` prints the English analyze always printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli
from i18n_oracle import english_words, from_renders

ANALYZE_RENDERS = ("funnelc/analysis/render.py", "funnelc/analysis/exact_text.py",
                   "funnelc/analysis/exact.py", "funnelc/analysis/money.py")

KEPT = {"funnelc", "analyze", "simulate", "value", "money", "after", "copy", "then", "fixed",
        "respond", "stay", "patience", "with", "cadence", "won"}
"""Words analyze keeps in every language: the funnel language's keywords (`then copy`,
`value`, a work's kind `fixed`), quoted as written, and the command names."""

COURSES = str(PIPELINES / "courses.funnel")
DEVELOPER = str(PIPELINES / "developer.funnel")
SCENARIO = "Ответ в Директ за 5 минут"


ENGLISH = english_words(from_renders(ANALYZE_RENDERS), min_len=4, kept=KEPT, drop_code=True)


def _english_in(text: str) -> list[str]:
    """The oracle's words in `text`, less the file's path and what is quoted as written."""
    text = re.sub(r"`[^`]*`", " ", text.replace(str(PIPELINES), " "))
    text = re.sub(r"\S+\.funnel\b", " ", text)
    return sorted({w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)} & ENGLISH)


def _analyze(*args: str) -> str:
    result = CliRunner().invoke(cli, ["analyze", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_oracle_knows_analyze_words() -> None:
    assert {"conversion", "expected", "revenue", "assumptions", "occupancy", "teams",
            "exact", "maths", "sources", "annual"} <= ENGLISH


@pytest.mark.parametrize(("args", "phrases"), [
    ((COURSES, "--scenario", SCENARIO, "--month", "mar"), [
        "точный расчёт воронки для ", "(источники — с интенсивностью в марте, сценарий "
        + SCENARIO + ")", "Продажи курсов: конверсия ", "от входящих лидов",
        "ожидаемая выручка: ", "лидов в месяц — ", "допущение: выручка в месяц",
        "деньги (точный расчёт, март)", "деньги по источникам (в месяц)", "примечание: ",
        "команды", "занято сотрудников"]),
    ((DEVELOPER,), [
        "точний розрахунок воронки для ", "(джерела — із середньорічною інтенсивністю)",
        "Продаж квартир: конверсія 7,06% від вхідних лідів", "(ключовий)",
        "припущення не виконуються: команда спільна для 2 етапів",
        "у середньому 3,64 календарного дня", "SLA забирає не менше 1,73% угод",
        "відмови: Не вдалося зв'язатися 22,2%",
        "очікувана виручка: 141 млн ₴ на місяць", "лідів на місяць — 261, успіхів на лід — ",
        "гроші (точний розрахунок, у середньому за рік)", "гроші за джерелами (на місяць)",
        "примітка: акаунт має робочий календар"]),
])
def test_analyze_speaks_the_account_language(args: tuple[str, ...],
                                             phrases: list[str]) -> None:
    out = _analyze(*args)
    assert _english_in(out) == []
    flat = " ".join(out.split())
    for phrase in phrases:
        assert " ".join(phrase.split()) in flat, phrase


def test_analyze_lang_overrides_the_account() -> None:
    uk = _analyze(COURSES, "--lang", "uk")
    assert _english_in(uk) == []
    assert "точний розрахунок воронки" in uk and "точный расчёт" not in uk


def test_analyze_in_english_with_lang_en() -> None:
    out = _analyze(DEVELOPER, "--lang", "en")
    assert out.startswith("exact funnel maths for ")
    assert "(sources at their annual mean rate)" in out
    assert "Продаж квартир: conversion 7.06% of leads entering" in out
    # English writes a hryvnia account's money with the code before it, as its CLDR data
    # does and the audit writes it (numfmt.currency_mark); it read «141M ₴».
    assert "expected revenue: UAH\u00a0141M per month" in out  # the sign never wraps away
    assert "assumptions do not hold: team shared by 2 stages" in out
    assert "money per source (per month)" in out


def test_analyze_json_keeps_english_keys_and_notes() -> None:
    """JSON is data: its keys and notes stay as they were, whatever the language."""
    import json

    data = json.loads(_analyze(DEVELOPER, "--format", "json", "--lang", "uk"))
    assert data["month"] == "annual mean"
    assert any("team shared by 2 stages" in n for p in data["pipelines"] for s in p["stages"]
               for n in s.get("notes", []) + [s.get("queueing", {}).get("reason") or ""])


GIVE_UPS = """\
account "Деньги" {{
  currency RUB
  language {lang}
}}

team "Менеджеры" size 3 cost 90k/month

source "Сайт" 2.5/hour -> "Продажи"."Заявка" value 40k cost 500

pipeline "Продажи" main {{
  stage "Заявка" {{
    owner "Менеджеры"
    work {work}
    patience {patience} -> lost "Ушел к конкурентам"
    -> "Договор" 60%
    -> lost "Отказ" 40%
  }}
  stage "Договор" {{
    {owner}
    -> won 50%
    -> lost "Не подписал" 50%
  }}
}}
"""
"""A stage whose deals give up waiting: on its own team with exponential work (a closed
form, computed by quadrature), or sharing the team with fixed work (no closed form)."""

SHARED = {"work": "1h", "patience": "exp(20m)", "owner": 'owner "Менеджеры"\n    work exp(30m)'}
ALONE_EXP = {"work": "exp(1h)", "patience": "exp(20m)", "owner": ""}
ALONE_FIXED = {"work": "exp(1h)", "patience": "20m", "owner": ""}


@pytest.mark.parametrize(("lang", "shape", "phrases"), [
    ("ru", SHARED, ["нет формулы для сделок, которые не дожидаются (команда общая для 2 этапов; "
                    "работа постоянной длительности, а не экспоненциальная)"]),
    ("uk", SHARED, ["немає формули для угод, які не дочікуються (команда спільна для 2 етапів; "
                    "робота сталої тривалості, а не експоненційна)"]),
    ("ru", ALONE_EXP, ["не дожидаются (терпение); Эрланг A: плотность виртуального ожидания"]),
    ("uk", ALONE_EXP, ["не дочікуються (терпіння); Ерланг A: щільність віртуального очікування"]),
    ("ru", ALONE_FIXED, ["не дожидаются (терпение); M/M/c+G: плотность виртуального ожидания"]),
    ("uk", ALONE_FIXED, ["не дочікуються (терпіння); M/M/c+G: щільність віртуального "
                         "очікування"]),
])
def test_give_ups_reasons_and_method_in_the_account_language(
        tmp_path: Path, lang: str, shape: dict[str, str], phrases: list[str]) -> None:
    """Regression: the note on give-ups with no closed form embedded its English reasons
    («…не дожидаются (team shared by 2 stages; work is not exponential (fixed))»), and the
    give-up note named its method in English («Erlang A: the offered-wait density…»)."""
    funnel = tmp_path / "f.funnel"
    funnel.write_text(GIVE_UPS.format(lang=lang, **shape), encoding="utf-8")
    out = _analyze(str(funnel))
    assert _english_in(out.replace(str(tmp_path), " ")) == []
    flat = " ".join(out.split())
    for phrase in phrases:
        assert phrase in flat, phrase


def test_give_ups_reasons_stay_english_with_lang_en(tmp_path: Path) -> None:
    funnel = tmp_path / "f.funnel"
    funnel.write_text(GIVE_UPS.format(lang="ru", **SHARED), encoding="utf-8")
    flat = " ".join(_analyze(str(funnel), "--lang", "en").split())
    assert ("no closed form for the deals that give up waiting (team shared by 2 stages; "
            "work of fixed length, not exponential)") in flat
    import json

    data = json.loads(_analyze(str(funnel), "--format", "json"))
    assert data["money"]["gave_up"][0]["reason"] == ("team shared by 2 stages; work of fixed "
                                                     "length, not exponential")
