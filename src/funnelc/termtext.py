"""Text for rich terminal output, where names from a funnel file or a CRM export are
shown as written.

rich reads `[...]` in a plain string as markup: a stage named
`[link=http://evil.example]click[/link]` would print as `click` with a hidden terminal
hyperlink behind it, `[bold red]x[/]` would colour the table, and a stray `[/]` makes rich
raise `MarkupError` in the middle of a table. So every console of funnelc is made here,
by `terminal_console`, `progress_console` or `file_console` (markup off: no string is
ever read as markup, whoever builds the table), styles are given as `Text` styles rather
than markup tags, and names go through `plain`, which also writes terminal control characters (an ESC starting an escape
sequence, a text-direction override) as `\\u001b` instead of sending them to the terminal.
"""

from __future__ import annotations

import re
from typing import IO

from rich.console import Console
from rich.text import Text

from .names import BIDI_CONTROLS, escape_invisible

__all__ = ["plain", "terminal_console", "progress_console", "file_console", "WIDE"]

WIDE = 160
"""Columns of a console that is not a terminal (a file or a pipe): long rows stay whole
instead of wrapping every cell."""

# C0 and C1 controls but the tab and the newline (rich lays those out), and the
# direction overrides: what would make the terminal act instead of show.
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def plain(text: str, style: str = "") -> Text:
    """`text` as it is written, in `style`: never read as markup, control characters
    written out (`\\u001b`)."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(lambda m: escape_invisible(m.group()), text)
    return Text(text, style=style)


def terminal_console(stderr: bool = False, width: int | None = None,
                     color: bool | None = None, **options: object) -> Console:
    """A console that never reads markup; `WIDE` columns when the output is not a
    terminal, unless `width` is given. `color` is `--color`: None decides by the terminal
    (rich honours `NO_COLOR` then), False never colours, True colours even into a pipe."""
    if color is False:
        options.setdefault("color_system", None)
    elif color is True:
        options.setdefault("force_terminal", True)
    console = Console(markup=False, stderr=stderr, width=width, **options)  # type: ignore[arg-type]
    if width is None and not console.is_terminal:
        console = Console(markup=False, stderr=stderr, width=WIDE, **options)  # type: ignore[arg-type]
    return console


def progress_console() -> Console:
    """The console of a progress bar: stderr, so stdout carries only the product."""
    return terminal_console(stderr=True)


def file_console(file: IO[str]) -> Console:
    """A console writing plain text into `file` (a text product written to a path): no
    colour, no terminal codes, `WIDE` columns, no highlighting of numbers."""
    return Console(file=file, markup=False, width=WIDE, color_system=None,
                   force_terminal=False, highlight=False)
