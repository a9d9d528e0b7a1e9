"""Every use of Lark's private internals, in one place (issue 12).

Why: `syntax.parse_reduced` (the fast path of loading a file) drives Lark's LALR table
and contextual lexer itself, without a parse tree: on a 20 000-stage pipeline Lark's
own loop, `Tree`s and position propagation cost more than all the checks. That needs
objects Lark does not promise to keep (`Scanner._mres`, `ParsingFrontend._verify_start`,
the parse table, the child filters of `parse_tree_builder`). They are read here once
per process and turned into plain tables (`Tables`), so a change in Lark breaks this
module only, and `tables()` then raises `Unavailable`: the loader falls back to the
tree path (`syntax.parse_text`: slower, same model). tests/test_lark_adapter.py checks
the internals are still there and that both paths give the same model.

Verified with Lark 1.2.2, 1.3.0 and 1.3.1 (the range pinned in pyproject.toml).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lark import Lark, Token

__all__ = ["Unavailable", "Tables", "LexState", "RuleShape", "tables", "new_token",
           "without_collision_check", "parser_states", "VERIFIED_LARK"]

VERIFIED_LARK = ("1.2.2", "1.3.0", "1.3.1")
"""Lark releases the fast path was checked against (parse-equivalence test)."""


class Unavailable(Exception):
    """Lark's internals are not what this module expects (a newer Lark)."""


@dataclass(frozen=True)
class LexState:
    """What the contextual lexer does in one parser state: `match(text, pos, end)` tries
    the state's terminals in Lark's order and priority (one compiled alternation, as
    Lark builds it); which kinds are ignored, may hold line breaks, have callbacks."""

    match: Callable[[str, int, int], Any]
    ignore: frozenset[str]
    newline: frozenset[str]
    callbacks: dict[str, Callable[[Token], Token]]


@dataclass(frozen=True)
class RuleShape:
    """How Lark's tree builder makes a node of one rule (`parse_tree_builder`): which
    of the matched symbols become children (`include`: index, splice it, Nones before
    it for absent `[x]`), Nones after, whether a single child is handed up as it is."""

    key: str
    origin: str
    size: int
    include: tuple[tuple[int, bool, int], ...]
    trailing_nones: int
    expand1: bool


@dataclass(frozen=True)
class Tables:
    """Lark's LALR table and lexers as plain data. `actions[state][terminal or rule
    name]` is the next state (an int: shift or goto) or the rule to reduce by."""

    actions: dict[int, dict[str, Any]]
    start: int
    end: int
    lexers: dict[int, LexState]
    shapes: dict[Any, RuleShape]


def _match_any(mres: list[Any]) -> Callable[[str, int, int], Any]:
    if len(mres) == 1:
        return mres[0].match

    def match(text: str, pos: int, end: int) -> Any:
        for mre in mres:
            found = mre.match(text, pos, end)
            if found:
                return found
        return None

    return match


@functools.cache
def _tables_of(lark: Lark) -> Tables:
    try:
        from lark.parse_tree_builder import maybe_create_child_filter
        from lark.parsers.lalr_analysis import Shift

        frontend = lark.parser
        table = frontend.parser.parser.parse_table
        start = frontend._verify_start(None)
        actions: dict[int, dict[str, Any]] = {
            state: {kind: arg for kind, (_action, arg) in row.items()}
            for state, row in table.states.items()}
        for state, row in table.states.items():
            for _kind, (action, arg) in row.items():
                if action is Shift and not isinstance(arg, int):
                    raise Unavailable(f"a shift to {arg!r} in state {state}")
                if action is not Shift and isinstance(arg, int):
                    raise Unavailable(f"a reduction by {arg!r} in state {state}")
        lexers: dict[int, LexState] = {}
        for state, basic in frontend.lexer.lexers.items():
            scanner = basic.scanner  # builds `callback` too
            lexers[state] = LexState(_match_any(list(scanner._mres)),
                                     frozenset(basic.ignore_types),
                                     frozenset(basic.newline_types), dict(basic.callback))
        shapes = {rule: _shape(rule, maybe_create_child_filter) for rule in lark.rules}
        return Tables(actions, table.start_states[start], table.end_states[start], lexers,
                      shapes)
    except Unavailable:
        raise
    except (AttributeError, ImportError, KeyError, TypeError, ValueError) as e:
        raise Unavailable(f"Lark's internals changed: {type(e).__name__}: {e}") from e


def _shape(rule: Any, maybe_create_child_filter: Any) -> RuleShape:
    options = rule.options
    size = len(rule.expansion)
    child_filter = maybe_create_child_filter(rule.expansion, options.keep_all_tokens, False,
                                             options.empty_indices)
    if child_filter is None:
        include, trailing = tuple((i, False, 0) for i in range(size)), 0
    elif len(child_filter.args) == 2:  # ChildFilterLALR: placeholders for [x]
        include, trailing = tuple(child_filter.args[0]), child_filter.args[1]
    elif len(child_filter.args) == 1:  # ChildFilterLALR_NoPlaceholders
        include, trailing = tuple((i, e, 0) for i, e in child_filter.args[0]), 0
    else:
        raise Unavailable(f"a child filter with {len(child_filter.args)} arguments")
    for entry in include:
        if len(entry) != 3:
            raise Unavailable(f"a child filter entry {entry!r}")
    return RuleShape(rule.alias or options.template_source or rule.origin.name,
                     rule.origin.name, size, include, int(trailing),
                     bool(options.expand1) and not rule.alias)


def tables(lark: Lark) -> Tables:
    """The plain tables of `lark` (cached per parser). Raises `Unavailable`."""
    return _tables_of(lark)


_new_str = str.__new__


def new_token(kind: str, value: str, start: int, line: int, column: int, end_line: int,
              end_column: int, end: int) -> Token:
    """`Token(kind, value, start, line, column, end_line, end_column, end)` without its
    two Python-level constructor calls (Token is a `str` with slots)."""
    token: Token = _new_str(Token, value)
    token.type, token.value, token.start_pos = kind, value, start
    token.line, token.column = line, column
    token.end_line, token.end_column, token.end_pos = end_line, end_column, end
    return token


@contextlib.contextmanager
def without_collision_check() -> Iterator[None]:
    """Build a parser without Lark's terminal-collision check (it needs `interegular`
    and 0.5 s; the tests run it through `syntax.strict_parser`)."""
    try:
        import lark.lexer as lark_lexer
        saved = lark_lexer.has_interegular
    except (ImportError, AttributeError):
        yield
        return
    lark_lexer.has_interegular = False
    try:
        yield
    finally:
        lark_lexer.has_interegular = saved


def parser_states(interactive: Any) -> tuple[list[int], list[Any], dict[int, dict[str, Any]]]:
    """The state stack, value stack and parse table of an interactive parser (error
    recovery pops them back to a state that takes a line break)."""
    state = interactive.parser_state
    return state.state_stack, state.value_stack, state.parse_conf.states
