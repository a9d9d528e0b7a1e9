"""Diagnostics: one value type for every finding (syntax, semantic, lint, export limits)
and one renderer, so all of funnelc speaks in the same rustc-like voice:

    error[FN201]: unknown stage `Первичный контат`
      --> pipelines/cottages.funnel:12:8
       |
    12 |     -> "Первичный контат" 80%
       |        ^^^^^^^^^^^^^^^^^^ no stage of this name in `Продажи`
       |
       = help: did you mean `Первичный контакт`?

Messages are lowercase and say *what*; only `help` says how to fix it.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum

from .names import escape_invisible
from .span import Span

__all__ = ["Severity", "Label", "Diagnostic", "SourceText", "render_text", "render_json",
           "did_you_mean", "summary_line", "diagnostics_to_dicts", "NOQA_COMMENT"]

NOQA_COMMENT = re.compile(r"#\s*funnelc\s*:\s*noqa\b\s*:?", re.IGNORECASE)
"""A suppression comment (`# funnelc: noqa FN101 — reason`), found anywhere in a
comment's text: read by lint (`lint.noqa`), and kept on its line by `fmt`, since it
suppresses what its line holds."""


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    note = "note"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "note": 2}[self.value]


@dataclass(frozen=True)
class Label:
    span: Span
    message: str = ""


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    path: str
    span: Span | None
    label: str = ""
    secondary: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str | None = None
    name: str | None = None
    """Kebab-case rule name for lint findings (`stage-without-sla`)."""

    @staticmethod
    def many(code: str, severity: Severity, path: str, name: str | None,
             found: Iterable[tuple[str, Span | None, str, tuple[Label, ...], tuple[str, ...],
                                   str | None]]) -> Iterator[Diagnostic]:
        """One diagnostic per (message, span, label, secondary, notes, help), equal to
        what the constructor makes, without its per-field frozen `__setattr__` (a lint
        run can make 58 000 of them)."""
        new, set_dict = object.__new__, object.__setattr__
        for message, span, label, secondary, notes, help_ in found:
            d = new(Diagnostic)
            set_dict(d, "__dict__", {"code": code, "severity": severity, "message": message,
                                     "path": path, "span": span, "label": label,
                                     "secondary": secondary, "notes": notes, "help": help_,
                                     "name": name})
            yield d

    def with_severity(self, severity: Severity) -> Diagnostic:
        return Diagnostic(self.code, severity, self.message, self.path, self.span, self.label,
                          self.secondary, self.notes, self.help, self.name)

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return (self.path, 0, 0, self.code)
        return (self.path, self.span.start, self.span.end, self.code)


@dataclass
class SourceText:
    """A file's text with a line index, so rendering a caret costs no rescans."""

    path: str
    text: str
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        # str.find runs in C: a per-character Python loop cost 0.2 s on a 27 000-line file.
        starts = [0]
        find = self.text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        if "\r" in self.text:
            # A lone CR ends a line too, as in `source.normalize_line_ends` (text built
            # in memory may not have been through it).
            import re

            starts = [0] + [m.end() for m in re.finditer(r"\r\n?|\n", self.text)]
        self._starts = starts

    def line(self, number: int) -> str:
        """The text of a 1-based line without its line break."""
        if number < 1 or number > len(self._starts):
            return ""
        start = self._starts[number - 1]
        end = self._starts[number] - 1 if number < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        import bisect

        idx = bisect.bisect_right(self._starts, offset) - 1
        return idx + 1, offset - self._starts[idx] + 1


def _width(text: str) -> int:
    """Terminal columns a string takes, so carets line up under wide CJK characters."""
    if text.isascii():  # no ASCII character is combining, wide or fullwidth
        return len(text)
    widths = _CHAR_WIDTHS
    w = 0
    for ch in text:
        cw = widths.get(ch)
        if cw is None:
            cw = widths[ch] = (0 if unicodedata.combining(ch) else
                               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1)
        w += cw
    return w


_CHAR_WIDTHS: dict[str, int] = {}
"""Columns of each character met so far (two Unicode lookups per character and caret
were most of rendering 58 000 findings)."""


def _expand_tabs(text: str) -> str:
    return text.replace("\t", "    ")


def _shown(text: str) -> str:
    """Source text as the terminal gets it: invisible and control characters escaped
    (`\u200b`), so a diagnostic shows what is really in the file and a bidi override or
    an escape sequence in it cannot redraw the line; tabs as four spaces."""
    return _expand_tabs(escape_invisible(text))


_MAX_SHOWN = 160
"""Longest source excerpt shown per line: a 1 MB line (minified or generated input)
must give a readable diagnostic, not a megabyte of terminal output."""


def _clip_window(text: str, column: int) -> tuple[int, int]:
    """0-based `[lo, hi)` of the part of a line to show so that `column` is visible."""
    if len(text) <= _MAX_SHOWN:
        return 0, len(text)
    lo = max(0, min(column - 1 - _MAX_SHOWN // 3, len(text) - _MAX_SHOWN))
    return lo, lo + _MAX_SHOWN


def render_text(diags: Sequence[Diagnostic], sources: dict[str, SourceText],
                color: bool = False, lang: str | None = None) -> str:
    """Render findings in rustc layout; plain text unless `color` (ANSI) is asked for.

    `lang` (`--lang ru|uk`) renders the messages, labels, notes, helps and the layout's
    words in that language (`funnelc.i18n.diagnostics`); the findings themselves stay
    English, and nothing of the translation is loaded without it."""
    memo = _Memo()
    words = _ENGLISH_WORDS
    if lang is not None and lang != "en":
        from .i18n.diagnostics import localizer

        loc = localizer(lang)
        diags = [loc.diagnostic(d) for d in diags]
        words = (loc.words.error, loc.words.warning, loc.words.note, loc.words.help)
    return "\n".join([_render_one(d, sources.get(d.path), color, memo, words) for d in diags])


_ENGLISH_WORDS = ("error", "warning", "note", "help")
"""error, warning, note (the severities' names) and help, as the layout writes them."""

_WORD_AT = {"error": 0, "warning": 1, "note": 2}


class _Memo:
    """What rendering many findings repeats, worked out once per run: paths, helps and
    notes escaped; source lines and their shown excerpts; the widths of the text before
    and under each caret (58 000 findings on one file share a few thousand lines)."""

    __slots__ = ("escaped", "excerpts", "widths")

    def __init__(self) -> None:
        self.escaped: dict[str, str] = {}
        self.excerpts: dict[tuple[int, int, int], tuple[str, str]] = {}
        self.widths: dict[str, int] = {}

    def esc(self, text: str) -> str:
        done = self.escaped.get(text)
        if done is None:
            done = self.escaped[text] = escape_invisible(text)
        return done

    def width(self, text: str) -> int:
        """`_width(_shown(text))`, remembered."""
        done = self.widths.get(text)
        if done is None:
            done = self.widths[text] = _width(_shown(text))
        return done


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}
_BOLD = "\x1b[1m"
_BLUE = "\x1b[1;34m"
_RESET = "\x1b[0m"


def _render_one(d: Diagnostic, src: SourceText | None, color: bool,
                memo: _Memo | None = None,
                words: tuple[str, str, str, str] = _ENGLISH_WORDS) -> str:
    memo = memo if memo is not None else _Memo()
    escaped = memo.escaped

    def esc(text: str) -> str:
        # The memo's dict read inline: four lookups per finding, 58 000 findings.
        done = escaped.get(text)
        return done if done is not None else memo.esc(text)

    def c(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    severity = d.severity.value
    if words is _ENGLISH_WORDS:
        head = f"{severity}[{d.code}]"
    else:
        head = f"{words[_WORD_AT[severity]]}[{d.code}]"
    note_word, help_word = words[2], words[3]
    if color:
        lines = [c(head, _COLORS[severity]) + c(f": {esc(d.message)}", _BOLD)]
    else:
        lines = [f"{head}: {esc(d.message)}"]
    if d.span is None:
        lines.append(f"  --> {esc(d.path)}")
    else:
        span = d.span
        # (span, message, the primary label?) without a Label per finding.
        labels = [(span, d.label, True)]
        for lab in d.secondary:
            labels.append((lab.span, lab.message, lab.span == span and lab.message == d.label))
        widths = memo.widths
        gutter = len(str(max([lab[0].line for lab in labels]) if d.secondary else span.line))
        pad = " " * gutter
        bar = c("|", _BLUE)
        lines.append(f"{pad}--> {esc(d.path)}:{span.line}:{span.column}")
        if src is not None:
            lines.append(f"{pad} {bar}")
            shown: dict[int, tuple[int, int]] = {}
            if len(labels) > 1:
                labels.sort(key=lambda lb: (lb[0].line, lb[0].column))
            for lab_span, lab_message, primary in labels:
                ln = lab_span.line
                text = src.line(ln)
                if ln not in shown:
                    lo, hi = _clip_window(text, lab_span.column)
                    key = (id(src), ln, lo)
                    cached = memo.excerpts.get(key)
                    if cached is None or cached[0] != text:
                        excerpt = (("…" if lo else "") + text[lo:hi]
                                   + ("…" if hi < len(text) else ""))
                        cached = memo.excerpts[key] = (text, _shown(excerpt))
                    lines.append(f"{c(str(ln).rjust(gutter), _BLUE)} {bar} "
                                 f"{cached[1]}".rstrip())
                    shown[ln] = (lo, hi)
                lo, hi = shown[ln]
                start_col = max(lab_span.column, 1)
                if lab_span.end_line == ln:
                    end_col = max(lab_span.end_column, start_col + 1)
                else:
                    end_col = len(text) + 1
                end_col = min(end_col, max(len(text) + 1, start_col + 1))
                start_col = min(max(start_col, lo + 1), hi + 1)
                end_col = max(min(end_col, hi + 1), start_col + 1)
                piece = text[lo : start_col - 1]
                width = widths.get(piece)
                before = (1 if lo else 0) + (width if width is not None else memo.width(piece))
                piece = text[start_col - 1 : end_col - 1]
                width = widths.get(piece)
                under = max(width if width is not None else memo.width(piece), 1)
                mark = ("^" if primary else "-") * under
                mark_c = c(mark, _COLORS[severity] if primary else _BLUE) if color else mark
                msg = f" {esc(lab_message)}" if lab_message else ""
                lines.append(f"{pad} {bar} {' ' * before}{mark_c}{msg}".rstrip())
            if d.notes or d.help:
                lines.append(f"{pad} {bar}")
        for note in d.notes:
            lines.append(f"{pad} = {note_word}: {esc(note)}")
        if d.help:
            lines.append(f"{pad} = {help_word}: {esc(d.help)}")
        lines.append("")
        return "\n".join(lines)
    for note in d.notes:
        lines.append(f"   = {note_word}: {esc(note)}")
    if d.help:
        lines.append(f"   = {help_word}: {esc(d.help)}")
    lines.append("")
    return "\n".join(lines)


def summary_line(diags: Iterable[Diagnostic], lang: str | None = None) -> str:
    """`2 errors, 1 warning` style closing line, empty when there is nothing to say;
    in `lang` (`2 ошибки, 1 предупреждение`) when it is given and not English."""
    counts = {"error": 0, "warning": 0, "note": 0}
    for d in diags:
        counts[d.severity.value] += 1
    if lang is not None and lang != "en":
        from .i18n.diagnostics import localizer

        return localizer(lang).summary(counts)
    parts = []
    for sev in ("error", "warning", "note"):
        n = counts[sev]
        if n:
            parts.append(f"{n} {sev}{'' if n == 1 else 's'}")
    return ", ".join(parts)


def _span_dict(span: Span | None) -> dict[str, int] | None:
    if span is None:
        return None
    return {"line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column, "start": span.start, "end": span.end}


def diagnostics_to_dicts(diags: Iterable[Diagnostic]) -> list[dict[str, object]]:
    """Plain-data form of findings (LSP-shaped spans), for JSON and SARIF writers."""
    return [
        {
            "code": d.code,
            "name": d.name,
            "severity": d.severity.value,
            "message": d.message,
            "path": d.path,
            "span": _span_dict(d.span),
            "label": d.label,
            "secondary": [{"span": _span_dict(lb.span), "message": lb.message}
                          for lb in d.secondary],
            "notes": list(d.notes),
            "help": d.help,
        }
        for d in diags
    ]


def render_json(diags: Sequence[Diagnostic]) -> str:
    text = json.dumps({"diagnostics": diagnostics_to_dicts(diags),
                       "summary": summary_line(diags) or "clean"},
                      ensure_ascii=False, indent=2)
    return _json_escape_invisible(text)


def _json_escape_invisible(text: str) -> str:
    """Invisible characters as JSON escapes: the same data once parsed, but a bidi
    override in a name cannot reorder the terminal a user prints the JSON to.
    (json.dumps escapes only C0 controls itself; outside strings JSON text is ASCII, so
    every character escaped here is inside a string.)"""
    if all(line == escape_invisible(line) for line in text.split("\n")):
        return text

    def json_escape(ch: str) -> str:
        if escape_invisible(ch) == ch:
            return ch
        cp = ord(ch)
        if cp <= 0xFFFF:
            return f"\\u{cp:04x}"
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"

    return "".join(json_escape(ch) if ch != "\n" else ch for ch in text)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate, case-insensitively, if it is close enough to be a typo."""
    pool = list(dict.fromkeys(candidates))
    if not pool:
        return None
    lowered = {c.casefold(): c for c in pool}
    if word.casefold() in lowered:
        return lowered[word.casefold()]
    match = difflib.get_close_matches(word.casefold(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
