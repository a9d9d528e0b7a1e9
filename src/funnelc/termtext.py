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
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text

from .names import BIDI_CONTROLS, escape_invisible

__all__ = ["plain", "words", "Unbroken", "terminal_console", "progress_console", "file_console", "WIDE"]

WIDE = 160
"""Columns of a console that is not a terminal (a file or a pipe): long rows stay whole
instead of wrapping every cell."""

# C0 and C1 controls but the tab and the newline (rich lays those out), and the
# direction overrides: what would make the terminal act instead of show.
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


KEEP_TOGETHER = "\u00a0\u202f"
"""The no-break spaces: between a number's digit groups and before its currency
(`5 043 397 ₽` in ru and uk, as Babel writes it)."""
_MASKS = {ord(c): chr(0xE000 + i) for i, c in enumerate(KEEP_TOGETHER)}
"""Private-use characters one cell wide that are not whitespace: what the no-break
spaces are while rich looks for where to wrap."""
_UNMASKS = {ord(m): chr(c) for c, m in _MASKS.items()}
_BREAKS = re.compile(f"[^\\S{KEEP_TOGETHER}]+")


def words(text: str) -> list[str]:
    """The runs of `text` a terminal may not break: split at ordinary spaces only, so a
    figure written with no-break spaces («RUB 1,206,883», «5 043 397 ₽») is one word.
    A table that sized its columns by `str.split` (which splits at U+00A0 too) made
    them narrower than such a figure, and rich cut its last digit off."""
    return [w for w in _BREAKS.split(text) if w]


class Unbroken(Text):
    """A `Text` that never wraps at a no-break space. rich wraps at every `\\s`, and
    Python counts U+00A0 as one: a finding's «на кону 5 043 397 ₽» wrapped as «5 043 /
    397 ₽», a reader's figure cut in two."""

    def __rich__(self) -> _Whole:
        """What rich renders: `console.print` joins the `Text`s it is given into a plain
        one, which would wrap at the no-break spaces again."""
        return _Whole(self)

    def wrap(self, console: Console, width: int, **options: Any) -> Lines:
        masked = self.copy()
        masked.plain = self.plain.translate(_MASKS)
        lines = Text.wrap(masked, console, width, **options)
        for line in lines:
            line.plain = line.plain.translate(_UNMASKS)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """As `Text`'s, but its narrowest is the widest run between ordinary spaces."""
        widest = Text.__rich_measure__(self, console, options).maximum
        words = [w for w in _BREAKS.split(self.plain) if w]
        return Measurement(max((cell_len(w) for w in words), default=widest), widest)


class _Whole:
    """An `Unbroken` as rich renders it, where `console.print` cannot join it into a
    plain `Text`."""

    def __init__(self, text: Unbroken) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.text.__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.text.__rich_measure__(console, options)


def plain(text: str, style: str = "") -> Text:
    """`text` as it is written, in `style`: never read as markup, control characters
    written out (`\\u001b`); a number written with no-break spaces stays on one line."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(lambda m: escape_invisible(m.group()), text)
    if any(c in text for c in KEEP_TOGETHER):
        return Unbroken(text, style=style)
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
