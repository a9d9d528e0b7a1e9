"""One registry of diagnostic codes (issue 16, section 4): every code funnelc reports is
defined once, in `funnelc.codes` (lint codes: in their rule), and what a user sees for a
code (`check --format sarif`, the error-code pages) comes from that definition."""

from __future__ import annotations

import json
import re
from collections import Counter

from click.testing import CliRunner

from conftest import ROOT
from funnelc import codes
from funnelc.checks.registry import error_codes
from funnelc.cli import cli
from funnelc.lint.rules import RULES

SRC = ROOT / "src" / "funnelc"
USE = re.compile(r'"(FN\d{3})"|\bcodes\.(FN\d{3})\b')


def _used() -> dict[str, set[str]]:
    """Code → the source files (relative) that report it, as a literal or a constant."""
    used: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        if path.name == "codes.py":
            continue
        for literal, constant in USE.findall(path.read_text(encoding="utf-8")):
            used.setdefault(literal or constant, set()).add(str(path.relative_to(SRC)))
    return used


def test_every_code_used_in_src_is_registered() -> None:
    used = _used()
    assert len(used) > 90, "the scan found too few codes: the pattern or the layout changed"
    lint_codes = {r.code for r in RULES}
    unregistered = {c: sorted(f) for c, f in used.items()
                    if c not in codes.REGISTRY and c not in lint_codes}
    assert unregistered == {}, ("codes used in src/ but defined neither in funnelc/codes.py "
                                f"nor as a lint rule: {unregistered}")


def test_no_code_is_registered_twice() -> None:
    counts = Counter([i.code for i in codes.DEFINED] + [r.code for r in RULES])
    twice = sorted(c for c, n in counts.items() if n > 1)
    assert twice == [], f"codes defined more than once: {twice}"


def test_every_registered_code_is_reported_somewhere() -> None:
    """A definition nothing raises is a stale page in the docs."""
    dead = sorted(set(codes.REGISTRY) - set(_used()))
    assert dead == [], f"defined in funnelc/codes.py but reported nowhere: {dead}"


def test_constants_are_named_after_their_code() -> None:
    for info in codes.DEFINED:
        assert getattr(codes, info.code) == info.code, info.code
        assert re.fullmatch(r"FN[023]\d\d", info.code), info.code
        assert info.meaning and info.meaning[0] in "abcdefghijklmnopqrstuvwxyz`", info.code


def test_literal_codes_are_only_lint_rule_codes() -> None:
    """Raise sites use the constants: a string literal `"FN2xx"` outside codes.py is a
    second definition waiting to drift. (Lint rules name their own code, once.)"""
    literals = {c: sorted(files) for c, files in _used_literals().items()
                if c in codes.REGISTRY}
    assert literals == {}, f"use funnelc.codes constants instead of literals: {literals}"


def _used_literals() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        if path.name == "codes.py":
            continue
        for code in re.findall(r'"(FN\d{3})"', path.read_text(encoding="utf-8")):
            found.setdefault(code, set()).add(str(path.relative_to(SRC)))
    return found


def test_checker_table_is_the_registry() -> None:
    table = error_codes()
    assert table == {c: i.meaning for c, i in codes.REGISTRY.items()
                     if i.area in ("read", "check")}
    assert "FN290" not in table and "FN301" not in table


def test_sarif_names_a_code_with_its_registered_meaning() -> None:
    """The exact input of the FN215 golden case through `check --format sarif`: the
    rule entry of the code carries the registry's meaning."""
    case = ROOT / "tests" / "cases" / "errors" / "unreachable_stage.funnel"
    result = CliRunner().invoke(cli, ["check", "--format", "sarif", str(case)])
    assert result.exit_code == 1, result.output
    sarif = json.loads(result.stdout)
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["FN215"]["shortDescription"]["text"] == codes.REGISTRY["FN215"].meaning
