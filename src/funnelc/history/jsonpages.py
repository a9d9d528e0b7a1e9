"""JSON exports as they arrive: one API page, a JSON array of pages, one page per line
(JSON Lines), or any of these cut off mid-way by a failed download. A cut file is read
as far as it parses, item by item inside the page that was cut, and the rest is counted:
`Salvage` says where the text stopped making sense and how many bytes were left."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Salvage", "JsonNestingError", "read_documents", "MAX_DEPTH"]

MAX_DEPTH = 100
"""CRM pages nest a few levels; a text that makes Python's JSON decoder run out of stack
is reported at the first place it nests deeper than this."""


def _parse_int(text: str) -> int | float:
    """Integers as JSON holds them, except those too long for Python to convert (over
    4300 digits raise ValueError): no timestamp or id is, so they become infinity and
    are refused like any value out of range."""
    return int(text) if len(text) <= 4000 else float("inf")


_DECODER = json.JSONDecoder(parse_int=_parse_int)


class JsonNestingError(ValueError):
    """Arrays and objects nested deeper than `limit`, first at character `at`."""

    def __init__(self, at: int, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels at character {at}")
        self.at, self.limit = at, limit


_BRACKETS = re.compile(r'[\[\]{}"]')


def _too_deep(text: str, limit: int = MAX_DEPTH) -> int | None:
    """Where nesting first passes `limit` (outside strings), or None: the place to name
    once the decoder has given up."""
    depth = 0
    pos = 0
    n = len(text)
    while pos < n:
        m = _BRACKETS.search(text, pos)
        if m is None:
            return None
        ch = m.group()
        pos = m.end()
        if ch == '"':
            while True:  # skip the string, honouring backslash escapes
                q = text.find('"', pos)
                if q < 0:
                    return None
                k = q - 1
                while k >= pos and text[k] == "\\":
                    k -= 1
                pos = q + 1
                if (q - 1 - k) % 2 == 0:
                    break
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return m.start()
        else:
            depth -= 1
    return None


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


_WS = re.compile(r"[\s,]*")
_ITEM_KEYS = re.compile(
    r'"(events|leads|pipelines|statuses|loss_reasons|users|tasks|items|result|categories)"'
    r'\s*:\s*\[')
"""The arrays of records of every page the readers take (`read_amocrm.is_amocrm`,
`read_bitrix24.is_bitrix24`): a page cut inside one keeps the records before the cut."""


@dataclass
class Salvage:
    """Where a cut document stopped: `at` bytes of `size` parsed; `partial` is true when
    a half record was left over (one record lost, counted as dropped)."""

    at: int
    size: int
    partial: bool


def _wrap(key: str, items: list[Any]) -> Any:
    """Rebuild the container a salvaged item list came from, so classification works."""
    if key == "items":
        return {"result": {"items": items}}
    if key in ("result",):
        return {"result": items}
    if key == "categories":
        return {"result": {"categories": items}}
    return {"_embedded": {key: items}}


def _array(text: str, pos: int) -> tuple[list[Any], int, bool]:
    """Decode the elements of the array whose `[` is at `pos - 1`, as many as parse.
    Returns (elements, where decoding stopped, whether the array closed properly)."""
    items: list[Any] = []
    n = len(text)
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return items, pos, False
        if text[pos] == "]":
            return items, pos + 1, True
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except ValueError:
            return items, pos, False
        items.append(value)


def _salvage(text: str, start: int) -> tuple[list[Any], int]:
    """Documents recoverable from a cut text starting at `start`: whole elements of a
    top-level array, then the items of the page that was cut."""
    start = _WS.match(text, start).end()  # type: ignore[union-attr]
    docs: list[Any] = []
    if start < len(text) and text[start] == "[":
        elems, pos, closed = _array(text, start + 1)
        docs.extend(elems)
        if closed:
            return docs, pos
        start = pos
    m = _ITEM_KEYS.search(text, start)
    if m is None:
        return docs, start
    items, pos, _ = _array(text, m.end())
    if items:
        docs.append(_wrap(m.group(1), items))
    return docs, pos


def read_documents(text: str) -> tuple[list[Any], Salvage | None]:
    """All documents in a JSON or JSON Lines text, and where it was cut, if it was.
    Raises `JsonNestingError` for a text nested deeper than Python's decoder can go."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return _read_documents(text)
    except RecursionError:
        raise JsonNestingError(_too_deep(text) or 0, MAX_DEPTH) from None


def _read_documents(text: str) -> tuple[list[Any], Salvage | None]:
    stripped = text.strip()
    if not stripped:
        return [], None
    # `decode` of the whole text, less its last step: a JSON Lines text's first document
    # parses, then «Extra data» follows, and that document is the first line's (kept
    # rather than parsed again below).
    try:
        first, end = _DECODER.raw_decode(stripped)
    except ValueError:
        first, end = None, 0
    if end == len(stripped):
        return [first], None
    lines = [ln for ln in stripped.split("\n") if ln.strip()]
    if len(lines) > 1:
        docs: list[Any] = []
        offset = 0
        for i, line in enumerate(lines):
            if i == 0 and 0 < end <= len(line) and not line[end:].strip(" \t\r"):
                docs.append(first)
                offset += len(line.encode("utf-8")) + 1
                continue
            try:
                docs.append(_loads(line))
            except ValueError:
                if i == 0:
                    break  # not JSON Lines: one document spread over lines
                found, at = _salvage(line, 0)
                docs.extend(found)
                size = len(text.encode("utf-8"))
                cut = offset + len(line[:at].encode("utf-8"))
                rest = line[at:].strip()
                # Lines after a cut one are read too: a cut line in the middle of a file
                # (a broken append) must not hide the pages after it.
                for later in lines[i + 1:]:
                    try:
                        docs.append(_loads(later))
                    except ValueError:
                        more, _ = _salvage(later, 0)
                        docs.extend(more)
                return docs, Salvage(cut, size, bool(rest))
            offset += len(line.encode("utf-8")) + 1
        else:
            return docs, None
    found, at = _salvage(stripped, 0)
    rest = stripped[at:].strip()
    return found, Salvage(len(stripped[:at].encode("utf-8")), len(text.encode("utf-8")),
                          bool(rest))


def iter_items(doc: Any, *path: str) -> Iterator[Any]:
    """Items under a key path (`_embedded`, `events`), or nothing."""
    for key in path:
        if not isinstance(doc, dict):
            return
        doc = doc.get(key)
    if isinstance(doc, list):
        yield from doc
