"""One-click fixes the page offers under a finding:

* **did you mean**: a finding whose help is `did you mean `X`?` (an unknown stage,
  team, source or field name) replaces the text it points at with `X`, quoted the way
  the original was;
* **noqa**: a lint finding (never an error: errors cannot be suppressed) gets
  `# funnelc: noqa CODE` on the line it starts on, or its code added to the `noqa`
  comment already there.

A fix is a list of text edits; the page applies them in the editor and the next check
shows whether the finding went away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..diagnostics import Diagnostic, Severity
from .offsets import Utf16

__all__ = ["TextEdit", "Fix", "fixes_for"]

_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_NOQA = re.compile(r"#\s*funnelc\s*:\s*noqa\b\s*:?", re.IGNORECASE)


@dataclass(frozen=True)
class TextEdit:
    """Replace `[start, end)` with `insert`."""

    start: int
    end: int
    insert: str


@dataclass(frozen=True)
class Fix:
    title: str
    kind: str
    """`did-you-mean` or `noqa`."""
    edits: tuple[TextEdit, ...]

    def in_units(self, utf16: Utf16) -> Fix:
        """The same fix with offsets in the editor's UTF-16 units."""
        return Fix(self.title, self.kind, tuple(TextEdit(utf16.at(e.start), utf16.at(e.end),
                                                         e.insert) for e in self.edits))


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _did_you_mean(d: Diagnostic, text: str) -> Fix | None:
    if d.span is None or not d.help:
        return None
    found = _DID_YOU_MEAN.search(d.help)
    if found is None:
        return None
    guess = found.group(1)
    written = text[d.span.start:d.span.end]
    if guess.startswith("-> ") and not written.lstrip().startswith("->"):
        guess = guess[3:]
    if "\n" in written or not written.strip():
        return None
    if written.startswith('"') and not guess.startswith('"'):
        guess = _quoted(guess)
    if guess == written:
        return None
    return Fix(f"replace with {guess}", "did-you-mean",
               (TextEdit(d.span.start, d.span.end, guess),))


def _line_bounds(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end < 0 else end


def _noqa(d: Diagnostic, text: str, comments: Iterable[Any]) -> Fix | None:
    if d.span is None or d.severity is Severity.error or not d.code.startswith("FN1") \
            or d.code == "FN100":
        return None
    line_start, line_end = _line_bounds(text, d.span.start)
    for tok in comments:
        at = int(tok.start_pos)
        if line_start <= at < line_end:
            value = str(tok.value)
            found = _NOQA.search(value)
            if found is not None:
                return Fix(f"suppress {d.code} here (noqa)", "noqa",
                           (TextEdit(at + found.end(), at + found.end(), f" {d.code},"),))
            # Another comment on the line: it becomes the suppression's reason.
            return Fix(f"suppress {d.code} here (noqa)", "noqa",
                       (TextEdit(at, at + 1, f"# funnelc: noqa {d.code} —"),))
    return Fix(f"suppress {d.code} here (noqa)", "noqa",
               (TextEdit(line_end, line_end, f"  # funnelc: noqa {d.code}"),))


def fixes_for(d: Diagnostic, text: str, comments: Iterable[Any]) -> list[Fix]:
    """The fixes to offer under finding `d` of `text` (code point offsets)."""
    out = []
    for fix in (_did_you_mean(d, text), _noqa(d, text, comments)):
        if fix is not None:
            out.append(fix)
    return out
