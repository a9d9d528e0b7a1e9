"""The stage-name rules measured on real stage names they were never tuned on.

`tests/data/stage_names/corpus.csv` holds 300+ stage names from public amoCRM, Bitrix24
and RetailCRM material (and the seeds), each with its source and a label fixed by
meaning. The split is by a hash of the name, so it never changes: the ~30 % in the test
split were not looked at while the classifier's rules were written (the tuning split
was). FN113 reports `task` names, FN114 `entity_state` names, FN109 reads
`process`/`conversion` names; `pytest -s` prints precision and recall per rule.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from funnelc.lint.naming import StageNameClass, classify_stage_name

CORPUS = Path(__file__).parent / "data" / "stage_names" / "corpus.csv"
RULE_CLASSES = {"FN113": ("task",), "FN114": ("entity_state",),
                "FN109": ("process", "conversion")}


def _rows() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def in_test_split(name: str) -> bool:
    """Fixed split: 3 names in 10, by the SHA-1 of the lower-cased name."""
    return int(hashlib.sha1(name.lower().encode()).hexdigest(), 16) % 10 < 3


def _scores(rows: list[dict[str, str]], klass: str) -> tuple[float, float, int]:
    tp = fp = fn = 0
    for row in rows:
        got = str(classify_stage_name(row["name"]).klass) == klass
        want = row["label"] == klass
        tp += got and want
        fp += got and not want
        fn += want and not got
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp + fn


def test_corpus_is_real_large_and_sourced() -> None:
    rows = _rows()
    assert len(rows) >= 300
    assert len({r["name"].lower().replace("ё", "е") for r in rows}) == len(rows)
    assert all(r["source"].strip() for r in rows)
    assert {r["label"] for r in rows} == {str(c) for c in StageNameClass}
    assert {r["language"] for r in rows} == {"ru", "uk", "en"}
    test = [r for r in rows if in_test_split(r["name"])]
    assert 0.2 < len(test) / len(rows) < 0.4


def _held_back_figures() -> tuple[dict[str, tuple[float, float]], dict[str, int], list[str]]:
    test = [r for r in _rows() if in_test_split(r["name"])]
    lines = [f"stage-name rules on the held-back split ({len(test)} names):"]
    figures: dict[str, tuple[float, float]] = {}
    supports: dict[str, int] = {}
    for code, classes in RULE_CLASSES.items():
        for klass in classes:
            precision, recall, support = _scores(test, klass)
            figures[f"{code}:{klass}"] = (precision, recall)
            supports[klass] = support
            lines.append(f"  {code} {klass:<13} precision {precision:.2f}  recall {recall:.2f}"
                         f"  ({support} names)")
    return figures, supports, lines


def test_rules_on_the_held_back_split() -> None:
    figures, supports, lines = _held_back_figures()
    print("\n" + "\n".join(lines))
    # Issue 14 asks for 30 names of each before a figure means much; the split holds 31
    # and 31 (tests/data/stage_names/README.md). It may grow, never shrink.
    assert supports["task"] >= 31 and supports["entity_state"] >= 31, supports
    assert figures["FN113:task"][0] >= 0.9 and figures["FN113:task"][1] >= 0.8
    # FN114 read from grammar and word classes (third parties, goods and their places,
    # records) reaches recall 0.81 (25 of 31) at precision 0.89 (25 of 28 flagged):
    # before, a list of forms gave 0.65 at 0.91 (20 of 22). The floors guard what it
    # reaches; test_fn114_meets_the_issue_target says when both targets are met.
    assert figures["FN114:entity_state"][0] >= 0.88
    assert figures["FN114:entity_state"][1] >= 0.8


@pytest.mark.xfail(strict=True, reason="FN114 precision on the held-back split is 0.89 (25 "
                   "of 28 flagged), issue 14 asks 0.9 (recall 0.81 meets its 0.8); the "
                   "classifier is not tuned on this split")
def test_fn114_meets_the_issue_target() -> None:
    figures, _, _ = _held_back_figures()
    assert figures["FN114:entity_state"][0] >= 0.9
    assert figures["FN114:entity_state"][1] >= 0.8
