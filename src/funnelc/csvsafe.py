"""CSV cells a spreadsheet will not run as formulas: the one place every funnelc CSV
writer goes through (`simulate --records`, `report`'s stages.csv, `sweep --csv`,
`staff --csv`), and the one place that undoes it when funnelc reads its own CSV back.

Why: pipeline, stage, team and loss-reason names are free text. Written as is, a stage
called `=HYPERLINK("http://x","y")`, `+cmd` or `@SUM(1+1)` becomes a live formula in
whichever spreadsheet opens the file. The OWASP CSV-injection rule applies: a text cell
whose first character is `=`, `+`, `-`, `@`, tab or carriage return is written with a
single quote `'` in front, which spreadsheets take as "this is text" and do not show.

Text and numbers are told apart by the type of the value *before* it is formatted, never
by looking at the text: a `str` cell is text and is neutralised; an `int`, a `float`, None
(an empty cell) or a `Figure` (the text of a number funnelc formatted itself, checked to
be one when made) is a number and is written as is, so `-3.5` stays a number. A stage
named `-3` is text, so it is written `'-3`.

The rule is reversible so that round trips stay exact. A cell that starts with any run
of `'` followed by a trigger character gets one more `'` (`'=x` is written `''=x`);
`unquote` drops one `'` from exactly those cells and leaves every other cell alone, so a
name that merely starts with `'` (`'93 model`) reads back as written.

Standard library only: the CLI imports this on its fast paths.
"""

from __future__ import annotations

import csv
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

__all__ = ["TRIGGERS", "Figure", "neutralise", "safe_row", "SafeWriter", "writer", "unquote",
           "UNQUOTE_PATTERN", "unquote_expr"]

TRIGGERS = frozenset("=+-@\t\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""

QUOTE = "'"

UNQUOTE_PATTERN = r"^'('*[=+\-@\t\r])"
"""A cell `neutralise` changed: one added `'`, then what was written. Replacing the
match with group 1 undoes it (what `unquote` and `unquote_expr` do)."""

_UNQUOTE = re.compile(UNQUOTE_PATTERN)


class Figure(str):
    """The text of a number funnelc formatted itself (`3`, `-0.25`, `1e-05`, or empty for
    a missing figure): written as is. Refuses text that is not a number, so a name can
    never pass as one."""

    __slots__ = ()

    def __new__(cls, text: str) -> Figure:
        if text:
            float(text)  # ValueError for anything that is not a number
            if text != text.strip():
                raise ValueError(f"a figure has no blanks around it: {text!r}")
        return super().__new__(cls, text)


def neutralise(text: str) -> str:
    """`text` as a CSV text cell: with a `'` in front when a spreadsheet would otherwise
    run it (see the module docstring for the exact, reversible rule)."""
    head = text[:1]
    if head == QUOTE:
        head = text.lstrip(QUOTE)[:1]
    return QUOTE + text if head in TRIGGERS else text


def unquote(cell: str) -> str:
    """Undo `neutralise` on a cell read back from a funnelc CSV."""
    return _UNQUOTE.sub(r"\1", cell, count=1) if cell[:1] == QUOTE else cell


_AS_IS = frozenset({int, float, bool, type(None), Figure})
"""Cell types written as they are: numbers, and None for an empty cell."""

_HEADS = TRIGGERS | {QUOTE}
"""First characters of the text cells `neutralise` may change."""


def _other(cell: Any) -> Any:
    """A cell of any other type: numbers as they are, anything else as its text."""
    if isinstance(cell, numbers.Number):  # Decimal, Fraction, numpy scalars
        return cell
    return neutralise(str(cell))


def safe_row(row: Iterable[Any]) -> list[Any]:
    """The row with every text cell neutralised and every number left as it is."""
    # The simulator's records call this once per stage visit: exact types first, and
    # neutralise only for the few texts whose first character could need it.
    return [c if (t := type(c)) in _AS_IS
            else ((neutralise(c) if c[:1] in _HEADS else c) if t is str else _other(c))
            for c in row]


class SafeWriter:
    """`csv.writer` with `safe_row` applied to every row.

    With `text_columns` (the positions of the text cells, for a caller whose rows have a
    fixed layout) only those cells are neutralised and every other cell must be a number
    or None. The simulator's records take this path: hundreds of thousands of rows whose
    names come from a small set, so each distinct text is neutralised once and remembered
    (measured: +0.4 µs a row against +1.3 µs for the general path, on a ~13 µs row)."""

    def __init__(self, fh: IO[str], text_columns: Sequence[int] | None = None,
                 **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)
        if text_columns is not None:
            self.writerow = _columns_writer(  # type: ignore[assignment]
                self._w.writerow, tuple(text_columns))

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


_MEMO_LIMIT = 4096
"""Distinct texts a fixed-layout writer remembers (an account's names and route labels
fit many times over); beyond it each is neutralised again, memory stays bounded."""


def _columns_writer(write: Callable[[list[Any]], Any], text: tuple[int, ...]
                    ) -> Callable[[Iterable[Any]], Any]:
    memo: dict[str, str] = {}

    def writerow(row: Iterable[Any]) -> Any:
        cells = list(row)
        for i in text:
            cell = cells[i]
            if not isinstance(cell, str):
                continue  # an empty (None) cell
            safe = memo.get(cell)
            if safe is None:
                safe = neutralise(cell)
                if len(memo) < _MEMO_LIMIT:
                    memo[cell] = safe
            cells[i] = safe
        return write(cells)

    return writerow


def writer(fh: IO[str], text_columns: Sequence[int] | None = None, **kwargs: Any
           ) -> SafeWriter:
    """A CSV writer whose text cells cannot become formulas; other arguments as
    `csv.writer` (see `SafeWriter` for `text_columns`)."""
    return SafeWriter(fh, text_columns, **kwargs)


def unquote_expr(column: str) -> pl.Expr:
    """`unquote` as a polars expression, for readers that load funnelc CSVs with polars
    (imported here, lazily, so the module itself stays standard-library only)."""
    import polars as pl

    return pl.col(column).str.replace(UNQUOTE_PATTERN, "$1")
