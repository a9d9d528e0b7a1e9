"""The oracle of the "no English left" tests: the English words of a group of catalog
messages (the renders a test covers, or a message context), which must not appear in
that output when it speaks Russian or Ukrainian. Placeholders (`{name}`) are left out,
and so are spans quoted as written (`then copy`) when `drop_code` is set."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from babel.messages.catalog import Message

from funnelc.i18n import catalogs


def english_words(keep: Callable[[Message], bool], *, min_len: int,
                  kept: Iterable[str] = (), drop_code: bool = False) -> set[str]:
    """Lower-cased words of at least `min_len` letters in the English messages `keep`
    accepts (singular and plural), less the words in `kept`."""
    skip = r"\{[^{}]*\}" + (r"|`[^`]*`" if drop_code else "")
    word = re.compile(rf"[A-Za-z]{{{min_len},}}")
    words: set[str] = set()
    for message in catalogs.read_catalog("en"):
        if not message.id or not keep(message):
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for text in ids:
            words |= {w.lower() for w in word.findall(re.sub(skip, " ", text))}
    return words - {w.lower() for w in kept}


def from_renders(renders: Iterable[str]) -> Callable[[Message], bool]:
    """Messages extracted from any of these files (`funnelc/sim/table.py`)."""
    files = set(renders)
    return lambda message: any(loc in files for loc, _ in message.locations)


def in_context(context: str) -> Callable[[Message], bool]:
    """Messages of one context (`diagram`, `workshop`)."""
    return lambda message: message.context == context
