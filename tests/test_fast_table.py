"""`analysis.fast_table.FastTable` prints a rich table exactly as rich does: random
tables (wide characters, words longer than their column, line breaks, tables wider than
the console, markup-looking and emoji-code strings) drawn both ways, character for
character; and `funnelc analyze` prints the same text as rich's own tables."""

from __future__ import annotations

import io

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from funnelc.analysis.fast_table import FastTable, plain_table_lines
from funnelc.cli import cli

_WORDS = st.text(alphabet="ab  xyzЯё漢字-%.:\u00a0", min_size=0, max_size=14)
_CELL = st.one_of(
    _WORDS,
    st.lists(_WORDS, min_size=2, max_size=3).map("\n".join),
    st.sampled_from(["—", "1, 2", ":smile: ok", "[bold]x[/]", " lead", "trail ", "", "a\tb"]),
    st.integers(0, 40).map(lambda n: "w" * n),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[Table, int]:
    n_cols = draw(st.integers(1, 5))
    title = draw(st.one_of(st.none(), _WORDS))
    table = Table(title=Text(title) if title else None, title_justify="left",
                  box=draw(st.sampled_from([box.HEAVY_HEAD, box.SQUARE, box.ASCII])))
    for _ in range(n_cols):
        table.add_column(draw(_CELL), justify=draw(st.sampled_from(["left", "right",
                                                                    "center"])),
                         overflow=draw(st.sampled_from(["fold", "ellipsis"])))
    for _ in range(draw(st.integers(0, 5))):
        table.add_row(*(Text(c) if draw(st.booleans()) else c
                        for c in draw(st.lists(_CELL, min_size=n_cols, max_size=n_cols))))
    return table, draw(st.integers(8, 90))


def _printed(renderable: object, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False,
                      markup=False, highlight=False)
    console.print(renderable)
    return out.getvalue()


@settings(max_examples=300, deadline=None)
@given(tables())
def test_fast_table_prints_what_rich_prints(drawn: tuple[Table, int]) -> None:
    table, width = drawn
    assert _printed(FastTable(table), width) == _printed(table, width)


def test_the_fast_path_is_taken_for_analyze_tables() -> None:
    """Guard against a silent fallback: a table like analyze's, wider than the console
    (its columns collapse, a long stage name folds), is drawn by the fast path."""
    table = Table(title=Text("P: conversion 12%"), title_justify="left")
    for header, justify in (("stage", "left"), ("visits/lead", "right"), ("notes", "left")):
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    table.add_row(Text("Заказ передан в работу 10 (ключевой)"), Text("0,08525"), "1, 7")
    table.add_row(Text("Lead"), Text("1"), "")
    console = Console(file=io.StringIO(), width=30, color_system=None, markup=False)
    assert plain_table_lines(table, console, console.options) is not None
    assert _printed(FastTable(table), 30) == _printed(table, 30)


def test_coloured_console_gets_rich_itself() -> None:
    table = Table(title="t")
    table.add_column("a")
    table.add_row("1")
    out = io.StringIO()
    console = Console(file=out, width=40, force_terminal=True, color_system="truecolor")
    assert plain_table_lines(table, console, console.options) is None
    console.print(FastTable(table))
    reference = io.StringIO()
    Console(file=reference, width=40, force_terminal=True,
            color_system="truecolor").print(table)
    assert out.getvalue() == reference.getvalue()


def test_analyze_prints_rich_tables_unchanged(tmp_path, monkeypatch) -> None:
    """`funnelc analyze` through the CLI, with the fast tables and with rich's own (the
    wrapper made a no-op): the same text, on an account whose key stage name folds."""
    funnel = tmp_path / "shop.funnel"
    funnel.write_text(
        'team "Sales" size 2\n'
        'source "Site" 5/day -> "Sales"."A stage whose name is long enough to fold here"\n'
        'pipeline "Sales" {\n'
        '  stage "A stage whose name is long enough to fold here" key {\n'
        '    owner "Sales"\n    work exp(20m)\n    respond 15m\n    sla 2d -> lost "late"\n'
        '    -> "B" 60%\n    -> lost "no" 35%\n    stay 5%\n  }\n'
        '  stage "B" {\n    -> won 40%\n    -> lost "price" 60%\n  }\n'
        '  reopen "late" 10% -> "B"\n}\n', encoding="utf-8")
    runner = CliRunner()
    fast = runner.invoke(cli, ["analyze", str(funnel)], env={"COLUMNS": "120"})
    assert fast.exit_code == 0, fast.output
    monkeypatch.setattr(FastTable, "__rich_console__",
                        lambda self, console, options: iter([self.table]))
    slow = runner.invoke(cli, ["analyze", str(funnel)], env={"COLUMNS": "120"})
    assert slow.exit_code == 0, slow.output
    assert "│" in fast.output and fast.output == slow.output
