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


def test_rules_on_the_held_back_split() -> None:
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
    print("\n" + "\n".join(lines))
    # A figure on a handful of names means little: the split must keep what it holds now
    # (issue 14 asks for 30 of each; see tests/data/stage_names/README.md).
    assert supports["task"] >= 18 and supports["entity_state"] >= 10, supports
    assert figures["FN113:task"][0] >= 0.9 and figures["FN113:task"][1] >= 0.8
    assert figures["FN114:entity_state"][0] >= 0.9 and figures["FN114:entity_state"][1] >= 0.8
