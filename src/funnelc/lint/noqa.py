"""Suppression comments: `# funnelc: noqa FN101, stage-without-hint — reason`.

A suppression on a stage's header line (`stage "X" {  # funnelc: noqa FN106 — …`)
covers every finding inside that stage; on any other line it covers findings whose span
starts on that line (a pipeline's header line, an outcome, a field). Codes and rule
names may be mixed, separated by commas or spaces, after an optional colon; whatever
follows them (best after a dash: `— reason`) is the justification. `# funnelc: noqa`
without codes suppresses every lint finding there. Errors cannot be suppressed.

Suppressions are read from the comment tokens the parser collects (`Loaded.comments`),
never from raw text, so a `#` inside a quoted name is never mistaken for one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import NOQA_COMMENT, Diagnostic
from ..model import FunnelFile, Stage
from ..span import Span
from .rules import find_rule

__all__ = ["Suppression", "SuppressedCode", "parse_suppressions", "Matcher"]

_NOQA = NOQA_COMMENT
_ITEM = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


@dataclass
class SuppressedCode:
    text: str
    """As written (`FN101`, `stage-without-hint`)."""
    code: str | None
    """The rule's code, or None when the text names no lint rule."""
    span: Span
    used: bool = False


@dataclass
class Suppression:
    line: int
    span: Span
    """The whole comment."""
    codes: list[SuppressedCode] = field(default_factory=list)
    reason: str = ""
    used: bool = False
    """For a blanket suppression (no codes): whether it hid anything."""

    @property
    def blanket(self) -> bool:
        return not self.codes


def _looks_like_code(word: str) -> bool:
    return bool(re.fullmatch(r"[Ff][Nn]\d+", word))


def parse_suppressions(comments: Iterable[Any]) -> list[Suppression]:
    """Suppressions in comment tokens (anything with `value`, `line`, `column`,
    `start_pos`)."""
    out: list[Suppression] = []
    for tok in comments:
        text = str(tok.value)
        m = _NOQA.search(text)
        if m is None:
            continue
        line, col, start = int(tok.line), int(tok.column), int(tok.start_pos)
        span = Span(line=line, column=col, end_line=line, end_column=col + len(text),
                    start=start, end=start + len(text))
        sup = Suppression(line, span)
        pos = m.end()
        while True:
            gap = re.match(r"[\s,]*", text[pos:])
            at = pos + (gap.end() if gap else 0)
            item = _ITEM.match(text, at)
            if item is None:
                break
            word = item.group(0)
            rule = find_rule(word)
            if rule is None and not _looks_like_code(word):
                break  # the reason starts here
            if item.end() < len(text) and not re.match(r"[\s,]", text[item.end()]):
                break  # `FN101x` or `name:` is prose, not a code
            c0 = col + at
            sup.codes.append(SuppressedCode(
                word, rule.code if rule is not None else None,
                Span(line=line, column=c0, end_line=line, end_column=c0 + len(word),
                     start=start + at, end=start + at + len(word))))
            pos = item.end()
        sup.reason = text[pos:].strip().lstrip("—–-:").strip()
        out.append(sup)
    return out


class Matcher:
    """Decides which findings the suppressions hide, remembering which were used."""

    def __init__(self, suppressions: list[Suppression], funnel: FunnelFile) -> None:
        self.suppressions = suppressions
        self.funnel = funnel
        self._by_line: dict[int, list[Suppression]] = {}
        for s in suppressions:
            self._by_line.setdefault(s.line, []).append(s)
        self._starts: list[int] | None = None
        self._stages: list[Stage] = []

    def _stage_at(self, offset: int) -> Stage | None:
        """The stage whose text holds `offset`, by bisection over the stages sorted by
        start (built once): a scan per finding made lint quadratic in stages (issue 11)."""
        if self._starts is None:
            self._stages = sorted((st for p in self.funnel.pipelines for st in p.stages),
                                  key=lambda st: st.span.start)
            self._starts = [st.span.start for st in self._stages]
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return None
        stage = self._stages[i]
        return stage if offset < max(stage.span.end, stage.span.start + 1) else None

    def suppressed(self, diag: Diagnostic, blanket: bool = True) -> Suppression | None:
        """The suppression hiding `diag`, if any (marking it used). `blanket=False`
        ignores code-less suppressions: a blanket `noqa` must not hide its own FN100."""
        if diag.span is None or not self.suppressions:
            return None
        lines = [diag.span.line]
        stage = self._stage_at(diag.span.start)
        if stage is not None and stage.span.line != diag.span.line:
            lines.append(stage.span.line)
        for line in lines:
            for sup in self._by_line.get(line, []):
                if sup.blanket:
                    if blanket:
                        sup.used = True
                        return sup
                    continue
                for c in sup.codes:
                    if c.code == diag.code:
                        c.used = True
                        return sup
        return None
