"""Every lint rule against its case file (`tests/cases/lint/FNxxx.cases`: flagged and
clean snippets with the exact codes and lines expected), and against the Bad and Good
examples of its own docstring, so the generated docs cannot show an example the rule
does not actually flag (or flags when it should not)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CASES
from funnelc.api import load_text
from funnelc.lint.config import LintConfig, config_from_table
from funnelc.lint.rules import RULES
from funnelc.lint.runner import lint

LINT_CASES = CASES / "lint"


@dataclass
class Case:
    file: Path
    title: str
    expect: list[str]
    options: dict[str, object]
    select: list[str]
    text: str

    @property
    def id(self) -> str:
        return f"{self.file.stem}: {self.title}"


def read_cases(path: Path) -> list[Case]:
    """Parse one case file (format in tests/cases/lint/README.md)."""
    code = path.stem
    cases: list[Case] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("=== "):
            i += 1
            continue
        title = lines[i][4:].strip()
        i += 1
        expect: list[str] = []
        options: dict[str, object] = {}
        select = [code]
        while lines[i] != "---":
            key, _, value = lines[i].partition(":")
            if key == "expect":
                expect = [] if value.strip() == "clean" else value.split()
            elif key == "options":
                options.update(tomllib.loads(value.strip()))
            elif key == "select":
                select = [s.strip() for s in value.split(",") if s.strip()]
            else:
                raise ValueError(f"{path}: unknown case header {lines[i]!r}")
            i += 1
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("=== "):
            body.append(lines[i])
            i += 1
        cases.append(Case(path, title, sorted(expect), options, select,
                          "\n".join(body) + "\n"))
    return cases


CASE_FILES = sorted(LINT_CASES.glob("FN*.cases"))
ALL_CASES = [c for f in CASE_FILES for c in read_cases(f)]


def run_case(case: Case) -> list[str]:
    loaded = load_text(case.text, f"{case.file.stem}.funnel")
    assert loaded.ok, [(d.code, d.message, d.span.line if d.span else None)
                       for d in loaded.diagnostics]
    table: dict[str, object] = {"select": case.select}
    if case.options:
        table[case.file.stem] = case.options
    config = config_from_table(table, "case", None)
    return sorted(f"{d.code}@{d.span.line}" for d in lint(loaded, config) if d.span)


def test_every_rule_has_a_case_file_with_flagged_and_clean_cases() -> None:
    by_file = {f.stem: read_cases(f) for f in CASE_FILES}
    assert sorted(by_file) == sorted(r.code for r in RULES)
    for code, cases in by_file.items():
        assert any(c.expect for c in cases), f"{code}: no flagged case"
        assert any(not c.expect for c in cases), f"{code}: no clean case"
        flagged = [c for c in cases if c.expect]
        assert all(all(e.startswith(code + "@") for e in c.expect) or len(c.select) > 1
                   for c in flagged), code


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_case(case: Case) -> None:
    assert run_case(case) == case.expect


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_examples(rule: object) -> None:
    """Bad is flagged by the rule, Good is not; both are valid funnels. All rules run,
    as in `funnelc check`, so the examples are realistic; only this rule is asserted."""
    docs = rule.docs()  # type: ignore[attr-defined]
    assert docs.what and docs.why and docs.bad and docs.good and docs.seed
    code = rule.code  # type: ignore[attr-defined]
    for kind, text in (("bad", docs.bad), ("good", docs.good)):
        loaded = load_text(text + "\n", f"{code}-{kind}.funnel")
        assert loaded.ok, (kind, [(d.code, d.message) for d in loaded.diagnostics])
        codes = [d.code for d in lint(loaded, LintConfig())]
        assert (code in codes) == (kind == "bad"), (kind, codes)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_metadata(rule: object) -> None:
    r = rule
    assert re.fullmatch(r"FN1\d\d", r.code)  # type: ignore[attr-defined]
    assert re.fullmatch(r"[a-z]+(-[a-z]+)+", r.name)  # type: ignore[attr-defined]
    assert r.kind in ("problem", "suggestion", "style")  # type: ignore[attr-defined]
    assert r.default_severity.value in ("warning", "note")  # type: ignore[attr-defined]
    assert r.title and r.title[0].islower()  # type: ignore[attr-defined]
    documented = r.docs().options  # type: ignore[attr-defined]
    assert set(documented) == set(r.options), "every option documented, none invented"  # type: ignore[attr-defined]


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({r.name for r in RULES}) == len(RULES)
