"""amoCRM's status colours: the fixed palette, the nearest palette colour to any hex, and
the colours funnelc picks when a stage names none.

amoCRM refuses any status colour outside its 21-colour palette (research note §1.2,
identical to `StatusModel::COLORS` of the official PHP library), so an export must
either use the stage's own colour when it is one of them or choose one. The chosen
colours follow the stage's position in its pipeline through a soft gradient (blue →
yellow → orange → pink → violet), the way amoCRM's own default pipeline goes from blue
to pink, so early and late stages read differently at a glance; key stages get the one
saturated green the gradient never uses, so they stand out wherever they are.
"""

from __future__ import annotations

import re

__all__ = ["PALETTE", "KEY_STAGE_COLOR", "GRADIENT", "in_palette", "nearest", "auto_color",
           "parse_hex"]

PALETTE: tuple[str, ...] = (
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb",
    "#ffc8c8", "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81",
    "#87f2c0", "#f9deff", "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea",
)

KEY_STAGE_COLOR = "#87f2c0"

GRADIENT: tuple[str, ...] = (
    "#c1e0ff", "#d6eaff", "#fffeb2", "#fffd7f", "#ffeab2", "#ffdc7f",
    "#ffce5a", "#ffdbdb", "#ffc8c8", "#f9deff", "#f3beff", "#ccc8f9",
)
"""Soft colours in display order; never contains KEY_STAGE_COLOR."""

_HEX6 = re.compile(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})")


def parse_hex(color: str) -> tuple[int, int, int] | None:
    """(r, g, b) of `#rrggbb`, or None for anything else (the FN225 check reports those)."""
    match = _HEX6.fullmatch(color)
    if match is None:
        return None
    r, g, b = (int(part, 16) for part in match.groups())
    return r, g, b


def in_palette(color: str) -> bool:
    """Palette membership ignores case: `#FFFEB2` is the same colour as `#fffeb2`."""
    return color.lower() in PALETTE


def nearest(color: str) -> str | None:
    """The palette colour closest to `color` by Euclidean RGB distance (ties: palette order)."""
    rgb = parse_hex(color)
    if rgb is None:
        return None

    def distance(candidate: str) -> int:
        other = parse_hex(candidate)
        assert other is not None
        return sum((a - b) ** 2 for a, b in zip(rgb, other))

    return min(PALETTE, key=distance)


def auto_color(index: int, count: int, key: bool) -> str:
    """The colour of stage `index` (0-based) of `count` when the file names none.

    The pipeline spans the whole gradient whatever its length: a four-stage pipeline goes
    blue, yellow, pink, violet, not four shades of blue."""
    if key:
        return KEY_STAGE_COLOR
    if count <= 1:
        return GRADIENT[0]
    position = round(index * (len(GRADIENT) - 1) / (count - 1))
    return GRADIENT[position]
