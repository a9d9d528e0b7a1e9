"""The lines the helps of FN126 and FN128-FN132 suggest are meant to be pasted: for every
flagged case of their case files (and seed 002's claims and interest scale), the
suggested line put where the help says parses, clears the finding, brings no other
finding of these rules, keeps the rest of the outcome it rewrites (its share, its
`after`), and adds no word of another language than the account's. FN127's help leaves
the target to the consultant (`-> … when …`: which route a value takes is the business's
decision), and FN126's help on conditions over two fields names no line. FN129 never asks
a stage a `source` feeds for the fields on entry (a lead from the form has no budget yet):
a win from there is required on the win itself, or goes through the key stage."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import CASES
from funnelc.api import load_text
from funnelc.diagnostics import Diagnostic
from funnelc.lint.config import LintConfig
from funnelc.lint.runner import lint
from test_lint_rules import read_cases

RULES = ("FN126", "FN127", "FN128", "FN129", "FN130", "FN131", "FN132")
PASTED = ("FN126", "FN128", "FN129", "FN130", "FN131", "FN132")
TICK = re.compile(r"`([^`]*)`")
AFTER = re.compile(r" after (\w+\([^)]*\)|\S+)")


def _found(text: str) -> list[Diagnostic]:
    loaded = load_text(text, "pasted.funnel")
    assert loaded.ok, [(d.code, d.message, d.span.line if d.span else 0)
                       for d in loaded.diagnostics]
    return list(lint(loaded, LintConfig(select=RULES)))


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _stage_end(lines: list[str], header: int) -> int:
    depth = 0
    for j in range(header, len(lines)):
        depth += lines[j].count("{") - lines[j].count("}")
        if depth <= 0:
            return j
    raise AssertionError(f"stage at line {header + 1} never closes")


def _stage_start(lines: list[str], k: int) -> int:
    while not lines[k].lstrip().startswith("stage "):
        k -= 1
    return k


def _header(lines: list[str], name: str) -> int:
    return next(i for i, ln in enumerate(lines) if ln.lstrip().startswith(f'stage "{name}"'))


def _insert(lines: list[str], header: int, new: str) -> None:
    """`new` as the first statement of the stage at `header` (a one-line stage opened up)."""
    ln = lines[header]
    m = re.match(r'(\s*stage "[^"]*"[^{]*)\{(.*)\}\s*$', ln)
    if m:
        lines[header:header + 1] = [m.group(1) + "{", _indent(ln) + "  " + new,
                                    _indent(ln) + "  " + m.group(2).strip(), _indent(ln) + "}"]
    else:
        lines.insert(header + 1, _indent(ln) + "  " + new)


def _replace(lines: list[str], i: int, new: str) -> None:
    old = lines[i].strip()
    assert AFTER.findall(old) == AFTER.findall(new), (old, new)
    assert re.search(r"\d+(\.\d+)?%", old) is None or re.search(
        r"\d+(\.\d+)?%", old).group(0) in new, (old, new)  # type: ignore[union-attr]
    lines[i] = _indent(lines[i]) + new


def _paste(text: str, d: Diagnostic) -> str:
    """`text` with the help's suggestion put where the help says."""
    assert d.span is not None and d.help is not None
    lines = text.split("\n")
    k = d.span.line - 1
    ticks = TICK.findall(d.help)
    if d.code == "FN126":
        fix = ticks[-1]
        head = " ".join(fix.split(" when ")[0].split(" ")[:2])
        start = _stage_start(lines, k)
        i = next(i for i in range(start, _stage_end(lines, start))
                 if lines[i].strip().startswith(head) and " when " in lines[i])
        _replace(lines, i, fix)
    elif d.code == "FN128":
        explained = d.help.startswith("the stage already")
        fix = ticks[0] if explained else ticks[-1]
        _replace(lines, k, fix)
        if ticks[0].startswith("field "):
            lines.insert(0, ticks[0])
        if ticks[0].startswith("pipeline "):
            lines.append(ticks[0])
        if explained:
            name = re.match(r'-> "([^"]*)"', fix).group(1)  # type: ignore[union-attr]
            end = _stage_end(lines, _stage_start(lines, k))
            pad = _indent(lines[end])
            lines[end + 1:end + 1] = [f'{pad}stage "{name}" {{', f"{pad}  {ticks[1]}",
                                      f"{pad}  {ticks[2]}", f"{pad}}}"]
    elif d.code == "FN129" and not d.help.startswith("require them on `"):
        _replace(lines, k, ticks[-1])  # the win: `when … filled`, or through the key stage
    elif d.code == "FN129":
        target = re.search(r"on `([^`]*)` too", d.help).group(1)  # type: ignore[union-attr]
        fed = re.search(rf'^source .*-> "[^"]*"\."{re.escape(target)}"', text, re.M)
        assert fed is None, f"a source's new deals cannot have them on entry: {d.help}"
        header = _header(lines, target)
        i = next((i for i in range(header, _stage_end(lines, header) + 1)
                  if lines[i].strip().startswith("requires ")), None)
        if i is None:
            _insert(lines, header, ticks[-1])
        else:
            lines[i] = _indent(lines[i]) + ticks[-1]
    elif d.code == "FN130":
        lines[k] = re.sub(r"\bdue \S+", ticks[-1], lines[k], count=1)
    elif d.code == "FN131":
        target = re.search(r"to stage `([^`]*)`", d.help).group(1)  # type: ignore[union-attr]
        _insert(lines, _header(lines, target), ticks[0])
    elif d.code == "FN132":
        old = re.search(r"stage `([^`]*)`", d.message).group(1)  # type: ignore[union-attr]
        return re.sub(rf'(stage |-> |\.)"{re.escape(old)}"', rf'\1"{ticks[-1]}"', text)
    return "\n".join(lines)


_OTHER_LETTERS = {"uk": re.compile("[ыэъё]", re.I), "ru": re.compile("[іїєґ]", re.I),
                  "en": re.compile("[а-яіїєґё]", re.I)}


def _language(text: str) -> str | None:
    m = re.search(r"^\s*language (\w+)", text, re.M)
    return m.group(1) if m else None


def _cases() -> list[tuple[str, str]]:
    out = []
    for code in PASTED:
        for case in read_cases(CASES / "lint" / f"{code}.cases"):
            if case.expect:
                out.append((f"{code}: {case.title}", case.text))
    for name in ("002-decisions-bad.funnel", "002-mistakes-bad.funnel",
                 "000-cottages-bad.funnel", "001-developer-bad.funnel"):
        out.append((name, (CASES / "lint" / "seeds" / name).read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize("text", [t for _, t in _cases()], ids=[i for i, _ in _cases()])
def test_each_suggested_line_pasted_in_clears_its_finding(text: str) -> None:
    before = _found(text)
    pasted = [d for d in before if d.code in PASTED and d.help and TICK.search(d.help)
              and not (d.code == "FN126" and " when " not in TICK.findall(d.help)[-1])]
    assert pasted or all(d.code not in PASTED for d in before)
    counted = Counter((d.code, d.message) for d in before)
    for d in pasted:
        after_text = _paste(text, d)
        after = Counter((x.code, x.message) for x in _found(after_text))
        assert after[(d.code, d.message)] < counted[(d.code, d.message)], (d.help, after_text)
        assert not after - counted, (d.help, list(after - counted))
        lang = _language(text)
        if lang in _OTHER_LETTERS:
            added = set(after_text.split("\n")) - set(text.split("\n"))
            wrong = [ln for ln in added if _OTHER_LETTERS[lang].search(ln)]
            assert not wrong, (lang, wrong)
