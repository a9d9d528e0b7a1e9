"""The parser: `dsl/grammar.lark` under Lark's LALR(1) with the contextual lexer, plus
error recovery so one run reports every broken statement, not only the first.

Recovery is panic mode at statement boundaries: after an error the parser drops tokens
up to the end of the line, then pops its stack back to a state that can take a line
break, so the next statement parses normally. Errors on a line already reported are
suppressed (they are almost always echoes of the first).
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from . import codes, lark_adapter
from .diagnostics import Diagnostic, Label, Severity
from .source import normalize_line_ends
from .span import Span
from .syntax_hints import (
    Hint,
    arrow_guess,
    channel_hint,
    decimal_comma_guess,
    glued_word_guess,
    keyword_guess,
    money_guess,
    number_before,
    open_braces,
    unit_guess,
    words_of_terminals,
)

__all__ = ["parser", "strict_parser", "parse_text", "parse_reduced", "Reducer", "ParseResult",
           "CHANNELS", "HUMAN_TERMINALS", "humanize_terminal", "fast_path_available"]

CHANNELS: tuple[str, ...] = ("call", "whatsapp", "telegram", "viber", "email", "sms", "chat",
                             "meeting")
"""The grammar's channels (`CHANNEL`), in the order the docs list them; `model.Channel`
holds the same words (tests/test_fmt.py checks the three agree)."""

HUMAN_TERMINALS: dict[str, str] = {
    "DURATION": "a duration like 15m",
    "RATE": "a rate like 12/day",
    "PERCENT": "a share like 35%",
    "AMOUNT": "an amount like 250k",
    "INT": "a whole number",
    "STRING": 'a quoted text like "Продажи"',
    "NAME": "a name",
    "CLOCK_RANGE": "working hours like 09:00-18:00",
    "_NL": "a line break",
    "$END": "the end of the file",
    "_ARROW": "`->`",
    "_LBRACE": "`{`",
    "_RBRACE": "`}`",
    "_LPAR": "`(`",
    "_RPAR": "`)`",
    "_COMMA": "`,`",
    "_DOT": "`.`",
    "_DOTDOT": "`..`",
    "_DASH": "`-`",
    "LANG": "a language (ru, en, uk)",
    "QUEUE_POLICY": "a queue policy (fifo, key-first)",
    "ENTITY": "an entity (deal, contact, company)",
    "SIMPLE_TYPE": "a field type (text, number, money, date, phone, email, url, bool, int, enum, multi)",
    "STYLE": "a pipeline style (process, conversion)",
    "PURPOSE": "a pipeline purpose (qualification, telemarketing, sales, production, delivery, "
               "claims, nurture, regulars, winback)",
    "CHANNEL": f"a channel ({', '.join(CHANNELS)})",
    "WEEKDAY": "a weekday (mon … sun)",
    "MONTH": "a month (jan … dec)",
    "DIST_KIND": "a distribution (fixed, exp, uniform, triangular, lognormal, gamma, empirical)",
    "BOOL": "yes or no",
    "CMP_OP": "a comparison (=, !=, <, <=, >, >=)",
    "COLOR": "`color`",
}

# Terminals that say the same thing to a reader; listing both is noise.
_REDUNDANT = {"INT_TYPE", "ENUM", "MULTI"}


@functools.cache
def parser() -> Lark:
    """The Lark parser, built once per process and cached on disk between processes.

    A cold build costs ~90 ms (and ~600 ms when `interegular` is installed, which makes
    Lark check every pair of terminals for collisions); loading the cache costs ~15 ms,
    which keeps `funnelc check` well inside its start-up budget. Lark stores a hash of
    the grammar and options in the cache file and rebuilds when they change. The
    collision check still runs in the test suite, through `strict_parser()`.
    """
    text = _grammar_text()
    cache = _cache_path()
    with lark_adapter.without_collision_check():
        return Lark(text, parser="lalr", lexer="contextual", propagate_positions=True,
                    maybe_placeholders=True, lexer_callbacks={"COMMENT": _collect_comment},
                    cache=cache if cache else False)


def strict_parser() -> Lark:
    """The same grammar under `strict=True`: any shift/reduce or terminal collision
    raises. Used by the tests, never at run time (it needs `interegular` and 0.5 s)."""
    return Lark(_grammar_text(), parser="lalr", lexer="contextual", strict=True,
                maybe_placeholders=True)


def _grammar_text() -> str:
    return resources.files("funnelc.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")


def _cache_path() -> str | None:
    import os
    import tempfile

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for folder in (os.path.join(base, "funnelc"), os.path.join(tempfile.gettempdir(),
                                                              f"funnelc-{os.getuid()}")):
        try:
            os.makedirs(folder, exist_ok=True)
            if os.access(folder, os.W_OK):
                return os.path.join(folder, "grammar.lark-cache")
        except OSError:
            continue
    return None


# Comments are ignored by the grammar; the lexer hands each to this sink instead, so the
# formatter can put them back. A stack keeps nested/reentrant parses apart.
_COMMENT_SINKS: list[list[Token]] = []


def _collect_comment(tok: Token) -> Token:
    if _COMMENT_SINKS:
        _COMMENT_SINKS[-1].append(tok)
    return tok


def humanize_terminal(name: str) -> str:
    if name in HUMAN_TERMINALS:
        return HUMAN_TERMINALS[name]
    try:
        term = parser().get_terminal(name)
    except KeyError:
        return name.lower()
    if isinstance(term.pattern, PatternStr):
        return f"`{term.pattern.value}`"
    return name.lower()


def _expected_phrase(expected: set[str]) -> str:
    names = [e for e in expected if e not in _REDUNDANT]
    if "SIMPLE_TYPE" in expected:
        names = [e for e in names if e not in ("INT_TYPE", "ENUM", "MULTI")]
    # A stray line break is always acceptable somewhere; it only confuses the list.
    if len(names) > 1:
        names = [e for e in names if e != "_NL"]
    phrases = sorted({humanize_terminal(e) for e in names},
                     key=lambda p: (not p.startswith("a"), p))
    if not phrases:
        return "something else"
    if len(phrases) == 1:
        return phrases[0]
    if len(phrases) > 8:
        return "one of " + ", ".join(phrases[:8]) + ", …"
    return "one of " + ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    text = str(tok)
    if len(text) > 30:
        text = text[:27] + "…"
    return f"`{text}`"


def _token_span(tok: Token, text: str) -> Span:
    start = tok.start_pos if tok.start_pos is not None else len(text)
    end = tok.end_pos if tok.end_pos is not None else start
    line = tok.line if tok.line is not None else text.count("\n", 0, start) + 1
    col = tok.column if tok.column is not None else start - text.rfind("\n", 0, start)
    if tok.type == "_NL":
        # Point at the end of the line, not at the indentation of the next one.
        return Span(line=line, column=col, end_line=line, end_column=col + 1,
                    start=start, end=start + 1)
    end_line = tok.end_line if tok.end_line is not None else line
    end_col = tok.end_column if tok.end_column is not None else col + max(end - start, 1)
    if end == start:
        end_col = col + 1
    return Span(line=line, column=col, end_line=end_line, end_column=end_col,
                start=start, end=max(end, start + 1))


def _after_token_span(tok: Token) -> Span:
    """A one-column span just after `tok`: where a missing piece should have been."""
    assert tok.end_pos is not None and tok.end_line is not None and tok.end_column is not None
    return Span(line=tok.end_line, column=tok.end_column, end_line=tok.end_line,
                end_column=tok.end_column + 1, start=tok.end_pos, end=tok.end_pos + 1)


def _eof_span(text: str) -> Span:
    offset = len(text.rstrip())
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Span(line=line, column=col, end_line=line, end_column=col + 1,
                start=offset, end=offset + 1)


_HELP_BY_EXPECTED: list[tuple[str, str]] = [
    ("DURATION", "durations are written as a number and a unit: 30s, 15m, 2h, 3d, 1w"),
    ("RATE", "rates are written as a count per unit of time: 12/day, 3/hour, 300/month"),
    ("PERCENT", "shares are written as percentages: 35%, 12.5%"),
    ("STRING", 'names with spaces or Cyrillic are written in double quotes: "Первичный контакт"'),
    ("_RBRACE", "every `{` needs a matching `}`"),
    # Fallbacks, so every syntax error says how to go on (bad-input tests hold this).
    ("INT", "whole numbers are written with the digits 0-9: size 3"),
    ("ACCOUNT", "each top-level line starts with `account`, `team`, `field`, `source`, "
                "`pipeline` or `scenario`; a `{` opens a block only after one of them"),
    ("_NL", "one statement per line: the statement is complete here, so start what "
            "follows on a new line (or remove it)"),
    ("$END", "one statement per line: the statement is complete here, so start what "
             "follows on a new line (or remove it)"),
]


@dataclass
class ParseResult:
    tree: Tree[Token] | None
    diagnostics: list[Diagnostic]
    comments: list[Token]


def _syntax_error(e: UnexpectedInput, text: str, path: str) -> Diagnostic:
    if isinstance(e, UnexpectedCharacters):
        offset = e.pos_in_stream or 0  # lark types it optional; a lexer error sets it
        ch = text[offset] if offset < len(text) else ""
        span = Span(line=e.line, column=e.column, end_line=e.line, end_column=e.column + 1,
                    start=offset, end=offset + 1)
        if ch == '"':
            return Diagnostic(codes.FN003, Severity.error, "unterminated text in quotes", path, span,
                              "this quote is never closed on its line",
                              help='close the text with `"` before the end of the line; '
                                   'write a quote inside text as \\"')
        expected = set(e.allowed or ())
        if ch.isdigit() and not ch.isascii():
            number = re.match(r"\d+", text[offset:offset + 40])
            written = number.group() if number else ch
            return Diagnostic(codes.FN002, Severity.error, f"non-ASCII digit `{ch}`", path, span,
                              "only the digits 0-9 are numbers here",
                              help=f"retype `{written}` with the ASCII digits 0-9")
        if ch.isdigit():
            hint = (decimal_comma_guess(text, offset)
                    or (money_guess(text, offset) if "AMOUNT" in expected else None)
                    or unit_guess(text, offset, "DURATION" in expected, "RATE" in expected)
                    or glued_word_guess(text, offset))
            if hint is not None:
                return _hinted(codes.FN002, hint, text, path)
        amount = number_before(text, offset) if ch in "₽₴$€" else None
        money = money_guess(text, amount) if amount is not None else None
        if money is not None:  # `value 5000₽`: the amount ended, the sign is unexpected
            return _hinted(codes.FN002, money, text, path)
        arrow = arrow_guess(text, offset)
        if arrow is not None:
            return _hinted(codes.FN002, arrow, text, path)
        shown = repr(ch)[1:-1] if not ch.isprintable() or ch.isspace() else ch
        label = f"expected {_expected_phrase(expected)}" if expected else ""
        helps = [h for term, h in _HELP_BY_EXPECTED if term in expected]
        if ch == ";":  # two statements on one line, as in C or SQL
            helps = ["one statement per line: there is no `;` in the language, start the "
                     "next statement on a new line"]
        return Diagnostic(codes.FN002, Severity.error, f"unexpected character `{shown}`", path, span,
                          label, help=helps[0] if helps else None)
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    expected = set(e.accepts or e.expected or ())
    phrase = _expected_phrase(expected)
    helps = [h for term, h in _HELP_BY_EXPECTED if term in expected]
    help_text = helps[0] if helps else None
    if tok.type == "$END":
        span = _eof_span(text)
        if "_RBRACE" in expected:
            return Diagnostic(codes.FN004, Severity.error, "unexpected end of file", path, span,
                              "expected `}` to close the block", help="every `{` needs a matching `}`")
        return Diagnostic(codes.FN004, Severity.error, "unexpected end of file", path, span,
                          f"expected {phrase}", help=help_text)
    prev = e.token_history[-1] if e.token_history else None
    unclosed = _unclosed_block(tok, prev, expected, text, path)
    if unclosed is not None:
        return unclosed
    hint = _token_hint(e, tok, prev, expected, text)
    if hint is not None:
        return _hinted(codes.FN001, hint, text, path)
    if tok.type in ("_NL", "_RBRACE") and prev is not None and prev.end_pos is not None:
        span = _after_token_span(prev)
        return Diagnostic(codes.FN001, Severity.error,
                          f"statement ends too early after `{prev}`" if tok.type == "_NL"
                          else f"unexpected `}}` after `{prev}`",
                          path, span, f"expected {phrase} here", help=help_text)
    if prev is not None and prev.type not in ("_NL", "_LBRACE"):
        # Say what the expected piece was to follow, so the help points into the line.
        follows = f"after `{_short(str(prev))}`"
        help_text = (f"{follows}: {help_text}" if help_text is not None
                     else f"write {phrase} {follows}, or remove {_describe_token(tok)}")
    elif help_text is None:
        help_text = f"remove {_describe_token(tok)} or write {phrase} in its place"
    return Diagnostic(codes.FN001, Severity.error, f"unexpected {_describe_token(tok)}", path,
                      _token_span(tok, text), f"expected {phrase}", help=help_text)


_BLOCK_KEYWORDS = frozenset({"STAGE", "PIPELINE", "SCENARIO", "ACCOUNT", "TEAM", "FIELD",
                             "SOURCE", "REOPEN", "CADENCE"})
"""Keywords that start a statement of some block: one where its block cannot take it
most often means the `}` of the block before is missing."""


def _unclosed_block(tok: Token, prev: Token | None, expected: set[str], text: str,
                    path: str) -> Diagnostic | None:
    """`stage "B" {` starting inside stage "A", whose `}` is missing (the file has more
    `{` than `}`): say which block is left open, not what the keyword resembles (it
    used to be «unknown statement `stage`; did you mean `stay`?»)."""
    if tok.type not in _BLOCK_KEYWORDS or tok.type in expected or tok.start_pos is None:
        return None
    if prev is not None and prev.type not in ("_NL", "_LBRACE"):
        return None
    stack, surplus = open_braces(text, tok.start_pos)
    if not stack or surplus <= 0:
        return None
    brace = stack[-1]
    row_start = text.rfind("\n", 0, brace) + 1
    header = " ".join(text[row_start:brace].split())
    if not header:
        return None
    line = text.count("\n", 0, brace) + 1
    column = brace - row_start + 1
    brace_span = Span(line=line, column=column, end_line=line, end_column=column + 1,
                      start=brace, end=brace + 1)
    word = str(tok)
    return Diagnostic(
        codes.FN001, Severity.error, f"unexpected `{word}` inside `{_short(header)}`", path,
        _token_span(tok, text), f"`{word}` cannot start here: the block above is still open",
        secondary=(Label(brace_span, "this `{` is never closed"),),
        help=f"close `{_short(header)}` with a `}}` before line {tok.line}")


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "…"


def _hinted(code: str, hint: Hint, text: str, path: str) -> Diagnostic:
    line = text.count("\n", 0, hint.start) + 1
    column = hint.start - (text.rfind("\n", 0, hint.start) + 1) + 1
    span = Span(line=line, column=column, end_line=line, end_column=column + hint.end - hint.start,
                start=hint.start, end=hint.end)
    return Diagnostic(code, Severity.error, hint.message, path, span, hint.label, help=hint.help)


def _terminal_pattern(name: str) -> tuple[str, str] | None:
    try:
        pattern = parser().get_terminal(name).pattern
    except KeyError:
        return None
    return ("str" if isinstance(pattern, PatternStr) else "re", pattern.value)


_NUMBERS = ("INT", "AMOUNT")


def _token_hint(e: UnexpectedToken, tok: Token, prev: Token | None, expected: set[str],
                text: str) -> Hint | None:
    """What the token most likely meant (`syntax_hints`), or None."""
    start = tok.start_pos
    if start is None:
        return None
    word = str(tok)
    # `work 1,5h`, `20,0%`: a decimal comma, as Russian and Ukrainian write numbers. The
    # parser stops at the comma after `1`, or at `20`, which no share can start.
    if (tok.type == "_COMMA" and prev is not None and prev.type in _NUMBERS
            and prev.start_pos is not None and prev.end_pos == start):
        hint = decimal_comma_guess(text, prev.start_pos)
        if hint is not None:
            return hint
    if tok.type in _NUMBERS:
        hint = decimal_comma_guess(text, start)
        if hint is not None:
            return hint
    # `after 1 week`, `work 15 минут`: a number, then a unit spelt as a word; `value
    # 5000 руб`, `cost 300 тыс`: an amount, then its currency or its thousands.
    if (prev is not None and prev.type in _NUMBERS and prev.start_pos is not None
            and prev.end_pos is not None and not text[prev.end_pos:start].strip()):
        hint = (money_guess(text, prev.start_pos) if prev.type == "AMOUNT" else None) \
            or unit_guess(text, prev.start_pos, True, False)
        if hint is not None:
            return hint
    if tok.type in _NUMBERS and ("DURATION" in expected or "RATE" in expected):
        hint = unit_guess(text, start, "DURATION" in expected, "RATE" in expected)
        if hint is not None:
            return hint
        end = tok.end_pos or start + len(word)
        if "RATE" in expected:
            return Hint(f"the rate `{word}` has no unit of time", start, end,
                        "expected a rate like 12/day",
                        f"write `{word}` per unit of time: `{word}/day`, `{word}/week` or "
                        f"`{word}/month`")
        if "DURATION" in expected and "AMOUNT" not in expected:
            return Hint(f"the duration `{word}` has no unit", start, end,
                        "expected a duration like 15m",
                        f"write `{word}` with its unit: `{word}m`, `{word}h` or `{word}d`")
    if _starts_statement_after_break(e):
        return Hint("two statements on one line", start, tok.end_pos or start + len(word),
                    f"`{_short(word)}` starts a new statement",
                    f"put each statement on its own line: start a new line before "
                    f"`{_short(word)}`")
    guess = keyword_guess(word, words_of_terminals(expected, _terminal_pattern))
    if guess is None:
        if "CHANNEL" in expected and tok.type == "NAME":
            # `viber 30m 20%` before viber was a channel, `signal "…"`: the parser's view
            # (a `}` would close the cadence) sent the reader to count braces. A keyword
            # (`sla` inside a cadence) keeps the brace hint: the cadence is left open.
            return channel_hint(word, start, tok.end_pos or start + len(word), CHANNELS)
        return None
    first = prev is None or prev.type in ("_NL", "_LBRACE")
    what = "unknown statement" if first else "unexpected"
    return Hint(f"{what} `{_short(word)}`; did you mean `{guess}`?", start,
                tok.end_pos or start + len(word), f"expected {_expected_phrase(expected)}",
                f"replace `{_short(word)}` with `{guess}`")


def _starts_statement_after_break(e: UnexpectedToken) -> bool:
    """Whether the unexpected token would be right on a new line: the parser takes a
    line break here, and after one, this token (`owner "T" work 10m` on one line)."""
    ip = getattr(e, "interactive_parser", None)
    if ip is None or e.token.type in ("_NL", "$END", "_RBRACE"):
        return False
    if "_NL" not in set(e.accepts or e.expected or ()):
        return False
    try:
        # Only the parser's states decide what it accepts: the probe shares the values
        # (no deep copy of the tree so far) and so must build nothing from them, as
        # Lark's own `accepts` does.
        probe = ip.copy(deepcopy_values=False)
        conf = copy.copy(probe.parser_state.parse_conf)
        conf.callbacks = {}
        probe.parser_state.parse_conf = conf
        probe.feed_token(Token("_NL", "\n"))
        return e.token.type in probe.accepts()
    except UnexpectedInput:
        return False


_TOP_LEVEL = frozenset({"ACCOUNT", "PIPELINE", "SOURCE", "TEAM"})
"""Terminals only the top level accepts: an error that expects them is outside every block."""


MAX_RECOVERIES = 2000
"""Errors the parser recovers from before it gives up. Only the first error of a line
is reported, but each costs a copy of the parser state: a line of 100,000 quotes (each
`""` an unexpected token) took 25 s to `check` and a minute to `fmt`."""


def parse_text(text: str, path: str) -> ParseResult:
    """Parse, collecting every syntax error; the tree is None if anything was wrong.

    Lark counts lines at `\n` only, so lone CRs become LFs first (same length: the
    offsets of the tokens are still offsets into `text`)."""
    text = normalize_line_ends(text)
    diags: list[Diagnostic] = []
    comments: list[Token] = []
    reported_lines: set[int] = set()
    lark = parser()

    skipping: list[int] = []  # [brace depth, line of the error] while skipping a block
    recoveries = [0]

    def on_error(e: UnexpectedInput) -> bool:
        recoveries[0] += 1
        if recoveries[0] > MAX_RECOVERIES:
            return False
        line = getattr(e, "line", None) or 0
        if skipping and isinstance(e, UnexpectedToken) and set(e.accepts or ()) >= _TOP_LEVEL:
            # A mistyped top-level keyword (`pipline "P" {`): the rest of its block is
            # one error, not one per line.
            depth, first_line = skipping
            kind = e.token.type
            if kind == "_LBRACE":
                skipping[0] = depth + 1
                return True
            if kind == "_RBRACE":
                skipping[0] = depth - 1
                if skipping[0] <= 0:
                    skipping.clear()
                return True
            if depth > 0 or line == first_line:
                return True
            skipping.clear()
        elif skipping:
            skipping.clear()
        if isinstance(e, UnexpectedToken) and e.token.type == "$END":
            if not diags or diags[-1].code != codes.FN004:
                diags.append(_syntax_error(e, text, path))
            return False
        if line not in reported_lines:
            d = _syntax_error(e, text, path)
            diags.append(d)
            reported_lines.add(line)
            if d.span is not None:
                reported_lines.add(d.span.line)
            if isinstance(e, UnexpectedToken) and set(e.accepts or ()) >= _TOP_LEVEL:
                skipping[:] = [1 if e.token.type == "_LBRACE" else 0, line]
        if len(diags) >= 50:
            return False
        if isinstance(e, UnexpectedToken) and e.token.type == "_NL":
            return _resync_at_newline(e)
        return True

    try:
        # Lexer callbacks see ignored terminals too: that is how comments reach `fmt`.
        tree = _parse_with_comments(lark, text, on_error, comments)
    except UnexpectedInput as e:  # recovery gave up (end of file, or too many errors)
        if not diags:
            diags.append(_syntax_error(e, text, path))
        return ParseResult(None, diags, comments)
    if diags:
        return ParseResult(None, diags, comments)
    return ParseResult(tree, diags, comments)


def _parse_with_comments(lark: Lark, text: str, on_error: Callable[[UnexpectedInput], bool],
                         comments: list[Token]) -> Tree[Token]:
    _COMMENT_SINKS.append(comments)
    try:
        return lark.parse(text, on_error=on_error)
    finally:
        _COMMENT_SINKS.pop()


def _resync_at_newline(e: UnexpectedToken) -> bool:
    """Pop the parser stack back to a state that takes a line break, then feed it."""
    ip = e.interactive_parser
    state_stack, value_stack, states = lark_adapter.parser_states(ip)
    while len(state_stack) > 1:
        if "_NL" in states[state_stack[-1]]:
            try:
                probe = ip.copy()  # type: ignore[no-untyped-call]  # lark leaves it untyped
                probe.feed_token(e.token)
            except UnexpectedInput:
                pass
            else:
                ip.feed_token(e.token)
                return True
        state_stack.pop()
        value_stack.pop()
    return True


# ---------------------------------------------------------------------------- reduced parse

Reducer = Callable[[Token | None, Token | None, list[Any]], Any]
"""What `parse_reduced` calls for a rule: (first token of the rule's text, last token,
its children as `parse_text`'s tree would hold them, each nested rule already reduced)
-> any value. The tokens give the span Lark's `propagate_positions` would give the node
(None for a rule that matched no text)."""


class _Reduced(tuple):  # type: ignore[type-arg]  # (value, first token, last token)
    """A reduced rule on the parser's stack: `(value, first, last)`, its value and the
    first and last tokens of its text (what `propagate_positions` would have turned into
    its meta). A tuple made by `tuple.__new__` in C (`_reduced`), read by index: a class
    with an `__init__` cost a Python call per reduction, 328 000 on a 20 000-stage
    pipeline."""

    __slots__ = ()


_reduced: Callable[[tuple[Any, Token | None, Token | None]], _Reduced] = \
    functools.partial(tuple.__new__, _Reduced)


def fast_path_available() -> bool:
    """Whether `parse_reduced` can run: Lark's internals are what `lark_adapter` expects."""
    try:
        lark_adapter.tables(parser())
    except lark_adapter.Unavailable:
        return False
    return True


def parse_reduced(text: str, reducers: Mapping[str, Reducer], comments: list[Token]) -> Any:
    """Parse error-free text straight into the values `reducers` make, with no parse tree.

    The fast path of loading a file: building Lark's tree (a `Tree` and a `Meta` per
    rule, positions propagated through three wrappers per reduction) and walking it
    again cost more than lexing on a 20 000-stage pipeline. Here each reduction calls
    `reducers[rule name](first, last, children)` directly; children are exactly those
    the tree would have had (filtered tokens dropped, `[x]` placeholders as None, inlined
    `?rule`s and `x*` repetitions spliced). Rules without a reducer (Lark's repetition
    helpers) are spliced into their parent, as in the tree.

    Raises `UnexpectedInput` at the first syntax error, without recovery: callers then
    call `parse_text`, which reports every error. Comment tokens go to `comments`.
    Raises `lark_adapter.Unavailable` when Lark's internals are not the expected ones;
    callers then use `parse_text` too.
    """
    driver = _driver(lark_adapter.tables(parser()))
    _COMMENT_SINKS.append(comments)
    outer = getattr(_PARSE, "reducers", None)
    _PARSE.reducers = reducers
    try:
        result = _drive(driver, normalize_line_ends(text))
    finally:
        _PARSE.reducers = outer
        _COMMENT_SINKS.pop()
    return result[0] if isinstance(result, _Reduced) else result


# The reducers of this thread's parse under way (`parse_reduced`, which restores the
# outer one when it returns). The rules' steps read them from here, so the steps are
# made once per parser, not per file.
_PARSE = threading.local()


@dataclass(frozen=True)
class _Driver:
    """What `_drive` needs of the tables, made once per parser: every file used to
    rebuild it (the steps of every rule, the table with them, the lexers' tuples and
    `_single_space_is_blank`), which cost three times the parse of a small file."""

    actions: dict[int, dict[str, Any]]
    lexers: dict[int, tuple[Any, frozenset[str], frozenset[str], dict[str, Any]]]
    start: int
    end: int
    skip_space: bool


_DRIVERS: dict[int, tuple[lark_adapter.Tables, _Driver]] = {}
"""`_driver`'s answers by the identity of the tables (kept alive beside each)."""


def _driver(tables: lark_adapter.Tables) -> _Driver:
    known = _DRIVERS.get(id(tables))
    if known is not None and known[0] is tables:
        return known[1]
    steps = {rule: (shape.size, _reduction(shape), shape.origin)
             for rule, shape in tables.shapes.items()}
    actions = {state: {kind: arg if type(arg) is int else steps[arg]
                       for kind, arg in row.items()}
               for state, row in tables.actions.items()}
    # One tuple per state: an unpack is cheaper than four attribute reads per token.
    lexers = {state: (lex.match, lex.ignore, lex.newline, lex.callbacks)
              for state, lex in tables.lexers.items()}
    driver = _Driver(actions, lexers, tables.start, tables.end,
                     _single_space_is_blank(tables))
    _DRIVERS[id(tables)] = (tables, driver)
    return driver


class _NoToken(UnexpectedInput):
    """No terminal of the parser's state matches here (`_drive`); the caller falls back
    to `parse_text`, which says what is wrong."""


def _drive(driver: _Driver, text: str) -> Any:
    """Lark's contextual lexer (`ContextualLexer.lex`, `BasicLexer.next_token`) and LALR
    loop (`ParserState.feed_token`) for error-free text, as one loop: lex a token with
    the terminals of the parser's current state (Lark's patterns, callbacks and line
    counting), then shift it, reducing through the rules' steps first. The same tokens
    and reductions as Lark, without its per-token method calls, generator and asserts.
    Any error raises `UnexpectedInput`; the caller then parses again with `parse_text`."""
    actions, lexers = driver.actions, driver.lexers
    new_str = str.__new__
    end_state = driver.end
    state_stack: list[int] = [driver.start]
    value_stack: list[Any] = []
    last: Token | None = None
    pos, line, line_start, end = 0, 1, 0, len(text)
    skip_space = driver.skip_space
    while pos < end:
        if skip_space and text[pos] == " " and text[pos + 1:pos + 2] not in _BLANKS:
            pos += 1
            continue
        lex_match, ignore, newline, callbacks = lexers[state_stack[-1]]
        match = lex_match(text, pos, end)
        if match is None:
            raise _NoToken()
        value, kind = match.group(0), match.lastgroup
        ignored = kind in ignore
        callback = callbacks.get(kind)
        start, start_line, column = pos, line, pos - line_start + 1
        if kind in newline:
            newlines = value.count("\n")
            if newlines:
                line += newlines
                line_start = pos + value.rindex("\n") + 1
        pos += len(value)
        if ignored and callback is None:
            continue
        # `lark_adapter.new_token`, inlined: a call per token was a tenth of the loop.
        token = new_str(Token, value)
        token.type, token.value, token.start_pos = kind, value, start
        token.line, token.column = start_line, column
        token.end_line, token.end_column, token.end_pos = line, pos - line_start + 1, pos
        if callback is not None:
            token = callback(token)
        if ignored:
            continue
        last = token
        kind = token.type
        while True:
            step = actions[state_stack[-1]].get(kind)
            if type(step) is int:
                state_stack.append(step)
                value_stack.append(token)
                break
            if step is None:
                raise UnexpectedToken(  # type: ignore[no-untyped-call]  # lark leaves it untyped
                    token, set(actions[state_stack[-1]]))
            size, reduce, origin = step
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value_stack.append(reduce(children))
            state_stack.append(actions[state_stack[-1]][origin])
    token = Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0, 1, 1)
    while True:
        step = actions[state_stack[-1]].get("$END")
        if step is None or type(step) is int:  # Lark's tables never shift $END
            raise UnexpectedToken(token, set(actions[state_stack[-1]]))  # type: ignore[no-untyped-call]
        size, reduce, origin = step
        if size:
            children = value_stack[-size:]
            del state_stack[-size:]
            del value_stack[-size:]
        else:
            children = []
        value = reduce(children)
        state_stack.append(actions[state_stack[-1]][origin])
        value_stack.append(value)
        if state_stack[-1] == end_state:
            return value


_BLANKS = (" ", "\t", "\f")
"""Characters that would extend a run of inline whitespace past one space."""


def _single_space_is_blank(tables: lark_adapter.Tables) -> bool:
    """Whether one space followed by a non-blank is, in every parser state, an ignored
    token of length 1 with no callback: then `_drive` steps over it without the lexer
    (about a third of a file's matches are single spaces between words)."""
    for lex in tables.lexers.values():
        for follow in ("a", "1", '"', "-", "\n", "#", "{"):
            found = lex.match(" " + follow, 0, 2)
            if (found is None or found.end() != 1 or found.lastgroup not in lex.ignore
                    or found.lastgroup in lex.callbacks or found.lastgroup in lex.newline):
                return False
    return True


def _extent(raw: list[Any]) -> tuple[Token | None, Token | None]:
    """First and last token of a rule's text, skipping children that hold no text (as
    `propagate_positions` skips empty nodes and placeholders)."""
    first = last = None
    for c in raw:
        first = c[1] if type(c) is _Reduced else c if isinstance(c, Token) else None
        if first is not None:
            break
    for c in reversed(raw):
        last = c[2] if type(c) is _Reduced else c if isinstance(c, Token) else None
        if last is not None:
            break
    return first, last


def _first_of(raw: list[Any]) -> Any:
    return raw[0]


def _reduction(shape: lark_adapter.RuleShape) -> Callable[[list[Any]], Any]:
    """The step of one grammar rule: Lark's child filter, single-child inlining and
    position propagation (`lark.parse_tree_builder`) in one step, then the reducer of the
    parse under way (`_PARSE.reducers`)."""
    include = shape.include
    trailing_nones = shape.trailing_nones
    key = shape.key
    parse = _PARSE
    inline_single = shape.expand1
    # Most rules keep every child as it is: one comprehension instead of the filter loop.
    keep_all = (trailing_nones == 0 and len(include) == shape.size
                and all(not expand and not nones for _, expand, nones in include))
    if inline_single and keep_all and shape.size == 1:
        # `?rule: x` hands x up unchanged: a token or None as it is, a node with the
        # same value and extent (so the same _Reduced serves).
        return _first_of

    def reduce(raw: list[Any]) -> Any:
        if keep_all:
            children = [c[0] if type(c) is _Reduced else c for c in raw]
        else:
            children = []
            for i, expand, nones in include:
                if nones:
                    children += [None] * nones
                child = raw[i]
                if expand:
                    if children:
                        children += child[0]
                    else:  # a left-recursive repetition: extend its list, do not copy it
                        children = child[0]
                else:
                    children.append(child[0] if type(child) is _Reduced else child)
            if trailing_nones:
                children += [None] * trailing_nones
        first = last = None
        if raw:
            head, tail = raw[0], raw[-1]
            first = head[1] if type(head) is _Reduced else head
            last = tail[2] if type(tail) is _Reduced else tail
            if not isinstance(first, Token) or not isinstance(last, Token):
                first, last = _extent(raw)
        if inline_single and len(children) == 1:
            only = children[0]
            # Lark hands the single child up as it is: a token (or None) keeps its own
            # position; a node takes the extent of this rule's text.
            if only is None or isinstance(only, Token):
                return only
            return _reduced((only, first, last))
        reducer = parse.reducers.get(key)
        if reducer is None:
            return _reduced((children, first, last))
        return _reduced((reducer(first, last, children), first, last))

    return reduce
