"""Tests for funnelc.lint.naming: the stage-name classifier lint rules build on.

The labelled data set (tests/data/stage_names.tsv) holds real stage names from the seed
articles and CRM defaults, labelled by meaning; the accuracy floor keeps the rules
honest without forcing every hard case, and the printed confusion summary (pytest -n 0 -s)
shows where they disagree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from funnelc.lint.naming import Classification, StageNameClass, classify_stage_name, detect_language

DATA = Path(__file__).parent / "data" / "stage_names.tsv"
SRC = Path(__file__).resolve().parents[1] / "src"


def _load_rows() -> list[tuple[str, StageNameClass, str]]:
    """Read name/expected_class/source rows, skipping the header and # comments."""
    rows: list[tuple[str, StageNameClass, str]] = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        name, expected, source = line.split("\t")
        rows.append((name, StageNameClass(expected), source))
    return rows


def test_data_set_is_large_enough_and_unique() -> None:
    rows = _load_rows()
    assert len(rows) >= 120
    assert len({name for name, _, _ in rows}) == len(rows)
    assert {klass for _, klass, _ in rows} == set(StageNameClass)


def test_accuracy_on_labelled_stage_names() -> None:
    rows = _load_rows()
    confusion: Counter[tuple[StageNameClass, StageNameClass]] = Counter()
    misses: list[str] = []
    for name, expected, source in rows:
        got = classify_stage_name(name)
        confusion[(expected, got.klass)] += 1
        if got.klass is not expected:
            misses.append(f"  {name!r} [{source}]: expected {expected}, got {got.klass} "
                          f"({got.reason})")
    correct = sum(n for (e, g), n in confusion.items() if e is g)
    accuracy = correct / len(rows)
    classes = list(StageNameClass)
    width = max(len(c) for c in classes) + 2
    lines = [f"stage-name classifier: accuracy {accuracy:.3f} ({correct}/{len(rows)})",
             "rows = expected, columns = predicted",
             " " * width + "".join(f"{c[:10]:>12}" for c in classes)]
    for e in classes:
        lines.append(f"{e:<{width}}" + "".join(f"{confusion[(e, g)]:>12}" for g in classes))
    if misses:
        lines.append("misses:")
        lines.extend(misses)
    print("\n" + "\n".join(lines))
    assert accuracy >= 0.90


@pytest.mark.parametrize(("name", "expected"), [
    ("ждем оплату", StageNameClass.PROCESS),
    ("Ждем оплату", StageNameClass.PROCESS),
    ("Клиент согласовывает", StageNameClass.PROCESS),
    ("согласовывает", StageNameClass.PROCESS),
    ("Ожидаем подписания договора", StageNameClass.PROCESS),
    ("оплата получена", StageNameClass.CONVERSION),
    ("согласованы", StageNameClass.CONVERSION),
    ("Правки согласованы", StageNameClass.CONVERSION),
    ("Подписал договор", StageNameClass.CONVERSION),
    ("перезвонить", StageNameClass.TASK),
    ("позвони", StageNameClass.TASK),
    ("Не дозвонился", StageNameClass.TASK),
    ("Перший дзвінок", StageNameClass.TASK),
    ("Повторний дзвінок", StageNameClass.TASK),
    ("Зустріч призначена", StageNameClass.TASK),
    ("Бронь", StageNameClass.ENTITY_STATE),
    ("Новый лид", StageNameClass.NEUTRAL),
    ("Согласовали созвон/демонстрацию", StageNameClass.CONVERSION),
])
def test_seed_examples(name: str, expected: StageNameClass) -> None:
    got = classify_stage_name(name)
    assert got.klass is expected, got


def test_reason_quotes_the_word_and_language_is_reported() -> None:
    got = classify_stage_name("Подписал договор")
    assert got == Classification(StageNameClass.CONVERSION,
                                 '"подписал" is a past perfective verb', "ru")
    assert classify_stage_name("Перший дзвінок").language == "uk"
    assert classify_stage_name("Closed won").language == "en"
    assert detect_language("Переговори") == "uk"  # no і/ї/є/ґ, but Ukrainian
    assert detect_language("Переговоры") == "ru"
    assert classify_stage_name("1234").klass is StageNameClass.NEUTRAL


def test_results_are_cached() -> None:
    assert classify_stage_name("Оплата получена") is classify_stage_name("Оплата получена")


def test_import_is_lazy_and_never_pulls_numpy() -> None:
    """The check path has a ~400 ms budget: importing must not load the dictionaries."""
    code = (
        "import sys\n"
        "import funnelc.lint.naming as n\n"
        "assert 'pymorphy3' not in sys.modules, 'pymorphy3 loaded at import'\n"
        "before = set(sys.modules)\n"
        "n.classify_stage_name('Ждем оплату'); n.classify_stage_name('Перший дзвінок')\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "assert 'pymorphy3' in new and 'numpy' not in new, sorted(new)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
