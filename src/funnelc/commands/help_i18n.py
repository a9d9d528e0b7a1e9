"""`--help` in the language of `--lang` (`funnelc check --lang ru --help`).

click answers `--help` while it parses, before `--lang`'s own callback has run (help is
an eager option), so the `funnelc` group searches a command's arguments for `--lang`
first, wherever it stands (`cli.LazyGroup.resolve_command`), notes it in the context's
shared `meta` and gives the command a `LocalizedContext`, whose formatter puts the
command's text, each option's help, click's headings and the `[default: …]` notes
through the catalog (context `help`, messages in `funnelc.i18n.help_texts`); a text the
catalog lacks is shown in English. Without `--lang` (or with `--lang en`) this is
click's own help, and `funnelc.i18n` is not imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import click

from .convention import LANG_CHOICES, LANG_META

if TYPE_CHECKING:
    from ..i18n import Translator

__all__ = ["LocalizedContext", "LocalizedHelpFormatter", "peek_lang"]

CONTEXT = "help"
USAGE = "Usage:"
"""click's prefix of the usage line (its msgid in help_texts; a literal in a lookup call
here would be extracted without its context)."""


def peek_lang(args: Sequence[str]) -> str | None:
    """The value of `--lang` among a command's arguments (`--lang ru`, `--lang=ru`), if
    it is one of the languages; arguments after `--` are files, not options."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in LANG_CHOICES:
            return value
    return None


class LocalizedHelpFormatter(click.HelpFormatter):
    """click's formatter with every text it is given looked up in the catalog."""

    def __init__(self, tr: Translator, width: int | None = None,
                 max_width: int | None = None) -> None:
        super().__init__(width=width, max_width=max_width)
        self.tr = tr

    def lookup(self, text: str) -> str:
        """`text` from the catalog (context `help`), or as it is."""
        return self.tr.pgettext(CONTEXT, text)

    def option_help(self, text: str) -> str:
        """An option's help with click's `  [default: x; required]` note after it."""
        translated = self.lookup(text)
        if translated != text or not text.endswith("]"):
            return translated
        base, sep, extra = text.rpartition("  [")
        if not sep:
            if not text.startswith("["):
                return translated
            base, extra = "", text[1:]
        parts = []
        for item in extra[:-1].split("; "):
            key, colon, value = item.partition(": ")
            parts.append(f"{self.lookup(key)}: {value}" if colon else self.lookup(item))
        shown = f"[{'; '.join(parts)}]"
        return f"{self.lookup(base)}  {shown}" if base else shown

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix=self.lookup(USAGE) + " ")

    def write_heading(self, heading: str) -> None:
        super().write_heading(self.lookup(heading))

    def write_text(self, text: str) -> None:
        super().write_text(self.lookup(text))

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        super().write_dl([(term, self.option_help(text)) for term, text in rows],
                         col_max=col_max, col_spacing=col_spacing)


class LocalizedContext(click.Context):
    """A command's context whose `--help` formatter speaks the `--lang` found among the
    arguments (`peek_lang`, stored in the shared `meta` by the group)."""

    def make_formatter(self) -> click.HelpFormatter:
        lang = self.meta.get(LANG_META)
        if not isinstance(lang, str) or lang == "en":
            return super().make_formatter()
        from ..i18n import translator

        return LocalizedHelpFormatter(translator(lang), width=self.terminal_width,
                                      max_width=self.max_content_width)
