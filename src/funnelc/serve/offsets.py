"""Python indexes text by code point, the browser's editor by UTF-16 code unit: the two
differ after every character outside the Basic Multilingual Plane (an emoji in a stage
name). `Utf16` converts one way and back, at no cost for text without such
characters (every shipped example)."""

from __future__ import annotations

from bisect import bisect_left

__all__ = ["Utf16"]


class Utf16:
    """Offsets of one text in both units."""

    def __init__(self, text: str) -> None:
        # `max` scans in C: a text of the Basic Multilingual Plane alone (every shipped
        # example) skips the per-character walk, 15 ms of a keystroke on 120 kB.
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF] \
            if text and max(text) > "\uffff" else []
        self._length = len(text)

    def at(self, offset: int) -> int:
        """The UTF-16 offset of code point `offset`."""
        offset = max(0, min(offset, self._length))
        return offset + bisect_left(self._astral, offset)

    def back(self, unit: int) -> int:
        """The code point offset of UTF-16 offset `unit` (inside a pair: the pair's
        start)."""
        lo, hi = 0, self._length
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.at(mid) <= unit:
                lo = mid
            else:
                hi = mid - 1
        return lo
