"""Name labels beside scatter points that do not cover each other or the points.

Managers with similar volumes and rates sit close together on the funnel plot; their
names, each printed up and to the right of its point, fell on top of each other
(«M5M2M4M1»). Here each label takes the first free place around its point, nearest
first, in display coordinates, and one moved away from its point gets a thin leader
line back to it. The figure must be laid out (drawn) and its layout frozen before:
the free places are measured on the drawn axes, and a layout engine running again
would move the axes under the labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Text

__all__ = ["Box", "LabelSpec", "place_labels"]

GAP_PT = 3.0
"""Space between a point and its label, and between two labels, in points."""

RINGS = 14
"""How far a label may go from its point, in label heights, before it is given the
least crowded place instead of a free one."""


@dataclass(frozen=True)
class Box:
    """A rectangle in display coordinates (pixels), x0 < x1, y0 < y1."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        return (self.x0 < other.x1 + pad and other.x0 < self.x1 + pad
                and self.y0 < other.y1 + pad and other.y0 < self.y1 + pad)

    def inside(self, other: Box) -> bool:
        return (self.x0 >= other.x0 and self.x1 <= other.x1
                and self.y0 >= other.y0 and self.y1 <= other.y1)

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box nearest to (x, y): where a leader line meets it."""
        return min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1)


@dataclass(frozen=True)
class LabelSpec:
    """One label: its point in data coordinates, its text and how it looks."""

    x: float
    y: float
    text: str
    color: str = "#333333"
    weight: str = "normal"


# Directions tried around a point, as (dx, dy) unit steps: up-right first (where a
# reader looks for a point's name), then right, down-right, the left side, above, below.
_DIRECTIONS = ((1, 1), (1, 0), (1, -1), (-1, 1), (-1, 0), (-1, -1), (0, 1), (0, -1))


def _candidates(px: float, py: float, w: float, h: float, near: float, gap: float,
                ring: int) -> list[Box]:
    """Boxes of size w×h around (px, py), their nearest side `near + ring·(h + gap)`
    away, in the preferred order; from the second ring on also the in-between angles,
    so a label can slip into a gap between two others."""
    d = near + ring * (h + gap)
    dirs: list[tuple[float, float]] = [(float(a), float(b)) for a, b in _DIRECTIONS]
    if ring:
        dirs += [(math.cos(t), math.sin(t)) for t in
                 (math.pi * k / 8 for k in (1, 3, 5, 7, 9, 11, 13, 15))]
    out = []
    for dx, dy in dirs:
        qx, qy = px + d * dx, py + d * dy
        x0 = qx if dx > 0.1 else (qx - w if dx < -0.1 else qx - w / 2)
        y0 = qy if dy > 0.1 else (qy - h if dy < -0.1 else qy - h / 2)
        out.append(Box(x0, y0, x0 + w, y0 + h))
    return out


def _extent(t: Text, renderer: RendererBase) -> Box:
    e = t.get_window_extent(renderer)
    return Box(e.x0, e.y0, e.x1, e.y1)


def place_labels(ax: Axes, specs: Sequence[LabelSpec], marker_px: float,
                 renderer: RendererBase, fontsize: float = 7.0) -> list[Text]:
    """Draw each label of `specs`, in their order (the first gets the best place), at
    the first place that is inside the axes and free of every point's marker (a square
    of `marker_px` pixels) and of the labels placed before it. A label that finds none
    within `RINGS` goes where it covers the fewest others. Returns the labels' texts."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    dpi = fig.dpi
    gap = GAP_PT * dpi / 72
    e = ax.get_window_extent(renderer)
    frame = Box(e.x0 + 1, e.y0 + 1, e.x1 - 1, e.y1 - 1)
    pts = [tuple(ax.transData.transform((s.x, s.y))) for s in specs]
    half = marker_px / 2
    markers = [Box(px - half, py - half, px + half, py + half) for px, py in pts]
    placed: list[Box] = []
    texts: list[Text] = []
    for spec, (px, py) in zip(specs, pts):
        t = ax.text(spec.x, spec.y, spec.text, fontsize=fontsize, color=spec.color,
                    fontweight=spec.weight, ha="left", va="bottom", clip_on=False,
                    zorder=4)
        t.set_in_layout(False)
        size = _extent(t, renderer)
        w, h = size.x1 - size.x0, size.y1 - size.y0
        # Where the text's box actually starts relative to its anchor (the glyphs'
        # descent and the renderer's rounding put it a pixel or two off).
        ox, oy = size.x0 - px, size.y0 - py
        best: tuple[int, int, Box] | None = None
        chosen: tuple[int, Box] | None = None
        for ring in range(RINGS):
            for cand in _candidates(px, py, w, h, half + gap / 2, gap, ring):
                if not cand.inside(frame):
                    continue
                crowd = sum(cand.overlaps(b, gap / 2) for b in placed) + sum(
                    cand.overlaps(m) for m in markers)
                if crowd == 0:
                    chosen = (ring, cand)
                    break
                if best is None or crowd < best[0]:
                    best = (crowd, ring, cand)
            if chosen is not None:
                break
        if chosen is None:
            chosen = (best[1], best[2]) if best is not None else (0, Box(
                px + gap, py + gap, px + gap + w, py + gap + h))
        ring, box = chosen
        shift = ScaledTranslation((box.x0 - px - ox) / dpi, (box.y0 - py - oy) / dpi,
                                  fig.dpi_scale_trans)
        t.set_transform(ax.transData + shift)
        placed.append(box)
        texts.append(t)
        if ring:
            _leader(ax, (px, py), box.nearest(px, py), spec.color)
    return texts


def _leader(ax: Axes, point: tuple[float, float], end: tuple[float, float],
            color: str) -> None:
    """A thin line from a point to its label moved away from it."""
    inv = ax.transData.inverted()
    (x0, y0), (x1, y1) = inv.transform(point), inv.transform(end)
    (line,) = ax.plot([x0, x1], [y0, y1], color=color, linewidth=0.5, alpha=0.7,
                      clip_on=False, zorder=2, scalex=False, scaley=False)
    line.set_in_layout(False)
