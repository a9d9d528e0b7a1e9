"""The stage-name rules measured on real stage names they were never tuned on.

`tests/data/stage_names/corpus.csv` holds 300+ stage names from public amoCRM, Bitrix24
and RetailCRM material (and the seeds), each with its source and a label fixed by
meaning. The split is by a hash of the name, so it never changes: the ~30 % in the test
split were not looked at while the classifier's rules were written (the tuning split
was). FN113 reports `task` names, FN114 `entity_state` names, FN109 reads
`process`/`conversion` names; `pytest -n 0 -s` prints precision and recall per rule.
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
    # The corpus grew from 519 to 1,894 names on 2026-12-05 (four batches of whole lists,
    # labelled and committed before the classifier saw them); the split now holds 79 task
    # and 89 entity_state names. It may grow, never shrink.
    assert supports["task"] >= 79 and supports["entity_state"] >= 89, supports
    # Floors at what the rules reach on it (tests/data/stage_names/README.md): FN113
    # 0.90 / 0.71 (56 of 62 flagged, 56 of 79 found), FN114 0.84 / 0.54 (48 of 57, 48 of
    # 89). The rules as they were before that day reach 0.85 / 0.58 and 0.84 / 0.47 on the
    # same names; the 0.89 / 0.81 measured on the first 171-name split did not hold on
    # names from accounts, industries and systems the corpus had not seen.
    # test_rules_meet_the_issue_target says when issue 14's targets are met.
    assert figures["FN113:task"][0] >= 0.90 and figures["FN113:task"][1] >= 0.70
    assert figures["FN114:entity_state"][0] >= 0.84
    assert figures["FN114:entity_state"][1] >= 0.53


@pytest.mark.xfail(strict=True, reason="issue 14 asks precision >= 0.9 and recall >= 0.8 for "
                   "FN113 and FN114 on the held-back split; they reach 0.90 / 0.71 and 0.84 / "
                   "0.54 (583 names); the classifier is not tuned on this split")
def test_rules_meet_the_issue_target() -> None:
    figures, _, _ = _held_back_figures()
    assert figures["FN113:task"][0] >= 0.9 and figures["FN113:task"][1] >= 0.8
    assert figures["FN114:entity_state"][0] >= 0.9
    assert figures["FN114:entity_state"][1] >= 0.8


SECOND = CORPUS.with_name("second_annotator.csv")


def test_a_second_annotator_agrees_with_the_labels() -> None:
    """The labels are what the README's rules give, not one reader's taste: 450 tuning
    names, relabelled blind (no corpus label, no classifier, no source opened), agree
    with the corpus at Cohen's kappa 0.84. Read as a rule against the corpus, the second
    annotator reaches FN113 1.00 / 0.74 and FN114 0.86 / 0.94 (README, "Agreement"): the
    issue's 0.9 / 0.8 for both rules is above what two careful readers agree on."""
    with SECOND.open(encoding="utf-8", newline="") as fh:
        second = {r["name"]: r["label"] for r in csv.DictReader(fh)}
    corpus = {r["name"]: r["label"] for r in _rows()}
    assert len(second) >= 400 and set(second) <= set(corpus)
    assert not any(in_test_split(name) for name in second)  # the held-back split is never read
    pairs = [(corpus[name], label) for name, label in second.items()]
    classes = [str(c) for c in StageNameClass]
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    expected = sum(sum(a == k for a, _ in pairs) * sum(b == k for _, b in pairs)
                   for k in classes) / n / n
    kappa = (observed - expected) / (1 - expected)
    print(f"\nsecond annotator: agreement {observed:.2f}, Cohen's kappa {kappa:.2f} ({n} names)")
    assert kappa >= 0.8, kappa
