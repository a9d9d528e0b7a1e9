"""The order pytest-xdist hands the test files out in (tests/conftest.py): the longest
first by tests/durations.json, so that no file of half a minute starts when the other
worker has nothing left to do; a file's tests stay together and in their order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import conftest
from conftest import ROOT


@dataclass
class Item:
    """What the ordering reads of a collected test: its file and its markers."""

    path: Path
    name: str
    markers: set[str] = field(default_factory=set)

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


def _ordered(items: list[Item]) -> list[str]:
    conftest.pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    return [f"{item.path.name}::{item.name}" for item in items]


def test_the_longest_files_go_first_each_files_tests_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "durations.json"
    table.write_text(json.dumps({"tests/test_b.py": 30.0, "tests/test_c.py": 2.5,
                                 "tests/test_gone.py": 99.0}), encoding="utf-8")
    monkeypatch.setattr(conftest, "DURATIONS", table)
    tests = ROOT / "tests"
    items = [Item(tests / "test_a.py", "one"), Item(tests / "test_a.py", "two"),
             Item(tests / "test_b.py", "one"), Item(tests / "test_c.py", "one"),
             Item(tests / "test_b.py", "two"), Item(tests / "test_d.py", "one", {"slow"}),
             Item(tests / "test_e.py", "one")]
    # b (30 s), d (marked slow, not measured yet: 10 s), c (2.5 s), then a and e (not
    # listed, 0 s) in the order they were collected.
    assert _ordered(items) == ["test_b.py::one", "test_b.py::two", "test_d.py::one",
                               "test_c.py::one", "test_a.py::one", "test_a.py::two",
                               "test_e.py::one"]


def test_without_a_table_the_slow_files_go_first(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "DURATIONS", tmp_path / "missing.json")
    tests = ROOT / "tests"
    items = [Item(tests / "test_a.py", "one"), Item(tests / "test_b.py", "one", {"slow"}),
             Item(tests / "test_a.py", "two")]
    assert _ordered(items) == ["test_b.py::one", "test_a.py::one", "test_a.py::two"]


def test_the_table_lists_files_by_their_path_from_the_checkout() -> None:
    table = json.loads(conftest.DURATIONS.read_text(encoding="utf-8"))
    assert table and all(key.startswith("tests/test_") and key.endswith(".py")
                         and isinstance(seconds, (int, float)) and seconds >= 0
                         for key, seconds in table.items())
