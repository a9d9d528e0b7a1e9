"""A rich `Table` drawn without rich's per-cell machinery when nothing but its text can
show: the same characters, a tenth of the time.

`funnelc analyze` prints one table row per stage; on a 2 000-stage account rich spent
~1.9 s measuring and rendering 24 000 cells (each one a `Padding` around a `Text`, wrapped,
split into segments, cropped and shaped), more than loading and analysing the file
together. When the console writes no styles (a pipe, a file, `NO_COLOR`, `--color
never`), a cell that fits its column on one line is just its text padded with spaces, so
`FastTable` writes those lines itself: column widths by rich's own rules (the same
measurements, rich's `_collapse_widths` and `ratio_reduce` when the table is wider than
the console), the box characters from the table's own `Box`, and any cell that does not
fit (it wraps or folds) rendered by rich itself. Anything it does not reproduce (styles
on the terminal, a caption, row styles, section lines, fixed widths, expanding tables)
goes to rich unchanged; tests/test_fast_table.py compares both outputs on random tables.
"""

from __future__ import annotations

from rich._ratio import ratio_reduce
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..termtext import Unbroken

__all__ = ["FastTable", "plain_table_lines"]


class FastTable:
    """Prints `table` exactly as rich would; fast when the console shows no styles."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        drawn = plain_table_lines(self.table, console, options)
        if drawn is None:
            yield self.table
            return
        title, lines = drawn
        yield from title
        new_line = Segment.line()
        for line in lines:
            yield Segment(line)
            yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table)


def _plain_enough(table: Table, console: Console) -> bool:
    """Whether only text can show: no colour system, nothing recorded, and none of the
    table features this module does not draw."""
    if console.color_system is not None or console.record or console.legacy_windows:
        return False
    if (table.box is None or not table.show_header or table.show_footer
            or not table.show_edge or table.show_lines or table.leading or table.expand
            or table.width is not None or table.min_width is not None or table.caption
            or table.row_styles or not table.pad_edge or table.collapse_padding
            or tuple(table.padding) != (0, 1, 0, 1) or not table.columns or not table.rows):
        return False
    if any(row.end_section or row.style for row in table.rows):
        return False
    return all(c.width is None and c.min_width is None and c.max_width is None
               and c.ratio is None and not c.no_wrap and c.vertical == "top"
               for c in table.columns)


def _as_text(console: Console, options: ConsoleOptions, cell: object) -> Text | None:
    """The cell as the Text rich would render (a string as `render_str` reads it), or
    None when it is something else or carries its own layout settings."""
    if isinstance(cell, str):
        cell = console.render_str(cell, markup=options.markup, highlight=False)
    if not isinstance(cell, Text) or type(cell) not in (Text, Unbroken):
        return None
    if cell.justify is not None or cell.overflow is not None or cell.no_wrap is not None:
        return None
    if cell.end != "\n" or getattr(cell, "vertical", None) is not None:
        return None
    return cell


def _column_width(longest: int, width: int) -> int:
    """`Table._measure_column(...).maximum` at `width` for a column whose longest line
    (header included) is `longest` cells: rich measures each cell as a `Padding` of one
    column either side around a `Text` (`Measurement.get`, normalised and capped at every
    step), and only the maximum matters for the widths; that chain reduces to this."""
    if width < 1:
        return 0
    if width < 3:  # no room for the padding: `Padding.__rich_measure__` gives the width
        return width
    return min(max(0, longest) + 2, width)


def _longest_line(plain: str) -> int:
    """`Text.__rich_measure__(...).maximum`: the widest of its lines, in cells."""
    lines = plain.splitlines()
    return max(cell_len(line) for line in lines) if lines else 0


def _widths(table: Table, longest: list[int], max_width: int) -> list[int]:
    """`Table._calculate_column_widths` for a table that does not expand, with rich's own
    reductions when it is wider than `max_width`."""
    widths = [_column_width(n, max_width) or 1 for n in longest]
    if sum(widths) > max_width:
        widths = table._collapse_widths(widths, [True] * len(widths), max_width)
        if sum(widths) > max_width:
            widths = ratio_reduce(sum(widths) - max_width, [1] * len(widths), widths, widths)
        widths = [_column_width(n, w) or 0 for n, w in zip(longest, widths)]
    return widths


def _cell_lines(console: Console, options: ConsoleOptions, text: Text, width: int,
                justify: str, overflow: str, highlight: bool) -> list[str]:
    """The lines of one cell `width` wide, padding included, as rich draws them."""
    plain = text.plain
    inner = width - 2
    if (justify in ("left", "right") and "\n" not in plain and "\t" not in plain
            and plain == plain.strip() and inner >= 1):
        size = cell_len(plain)
        if size <= inner:
            fill = " " * (inner - size)
            return [f" {plain}{fill} " if justify == "left" else f" {fill}{plain} "]
    cell_options = options.update(width=width, justify=justify,  # type: ignore[arg-type]
                                  no_wrap=False, overflow=overflow,  # type: ignore[arg-type]
                                  height=None, highlight=highlight)
    rendered = console.render_lines(Padding(text, (0, 1, 0, 1)), cell_options)
    return ["".join(seg.text for seg in line) for line in rendered]


def plain_table_lines(table: Table, console: Console, options: ConsoleOptions
                      ) -> tuple[list[Segment], list[str]] | None:
    """(the title's segments, the table's lines) exactly as rich would print `table` on
    this console, or None when that takes rich itself (see the module docstring)."""
    if not _plain_enough(table, console):
        return None
    columns = table.columns
    extra = table._extra_width
    max_width = options.max_width - extra
    texts: list[list[Text]] = []
    for column in columns:
        col: list[Text] = []
        for cell in (column.header, *column.cells):
            text = _as_text(console, options, cell)
            if text is None:
                return None
            col.append(text)
        texts.append(col)
    if max_width < 1 or any(len(col) != len(table.rows) + 1 for col in texts):
        return None
    longest = [max(_longest_line(t.plain) for t in col) for col in texts]
    widths = _widths(table, longest, max_width)
    if any(w < 3 for w in widths):
        return None
    table_width = sum(widths) + extra
    render_options = options.update(width=table_width, highlight=table.highlight, height=None)
    title: list[Segment] = []
    if table.title:
        title_text = (console.render_str(table.title, style=Style.pick_first(
            table.title_style, "table.title"), highlight=False)
            if isinstance(table.title, str) else table.title)
        title = list(console.render(title_text, render_options.update(
            justify=table.title_justify)))
    box = table.box
    assert box is not None
    box = box.substitute(render_options, safe=table.safe_box if table.safe_box is not None
                         else console.safe_box)
    lines = [box.get_top(widths)]
    n_rows = len(table.rows) + 1
    edges = ((box.head_left, box.head_vertical, box.head_right),
             (box.mid_left, box.mid_vertical, box.mid_right),
             (box.foot_left, box.foot_vertical, box.foot_right))
    for index in range(n_rows):
        cells = [_cell_lines(console, render_options, texts[c][index], widths[c],
                             column.justify, column.overflow or "fold", column.highlight)
                 for c, column in enumerate(columns)]
        height = max(len(cell) for cell in cells)
        if height > 1:
            cells = [_shape(cell, w, height, bottom=index == 0)
                     for cell, w in zip(cells, widths)]
        left, divider, right = edges[0 if index == 0 else (2 if index == n_rows - 1 else 1)]
        for line_no in range(height):
            lines.append(left + divider.join(cell[line_no] for cell in cells) + right)
        if index == 0:
            lines.append(box.get_row(widths, "head", edge=True))
    lines.append(box.get_bottom(widths))
    return title, lines


def _shape(cell: list[str], width: int, height: int, bottom: bool) -> list[str]:
    """A cell's lines made `height` high with blank lines: below it (rows are top
    aligned), above it for the header (rich aligns the header row to the bottom)."""
    blank = [" " * width] * (height - len(cell))
    return blank + cell if bottom else cell + blank
