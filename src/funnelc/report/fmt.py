"""Numbers as a person reads them in the report: `40m`, `5.2h`, `3.1d`, `12%`,
`1,250`, `±`. Pure functions, no imports beyond math."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sim.results import Estimate

__all__ = ["DASH", "num", "hours", "limit", "pct", "money", "est", "est_hours", "est_pct"]

DASH = "—"


def _bad(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def num(x: float | None, digits: int = 3) -> str:
    if _bad(x):
        return DASH
    assert x is not None
    if math.isinf(x):
        return "∞"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def hours(h: float | None) -> str:
    if _bad(h):
        return DASH
    assert h is not None
    if math.isinf(h):
        return "∞"
    if h < 1.0:
        return f"{h * 60:.3g}m"
    if h < 48.0:
        return f"{h:.3g}h"
    return f"{h / 24:.3g}d"


def limit(h: float | None, working: bool) -> str:
    """An SLA or respond limit: counted in working hours when the account has a calendar,
    so `180 working h` rather than a misleading `7.5d`."""
    if _bad(h) or not working:
        return hours(h)
    assert h is not None
    if h < 1.0:
        return f"{h * 60:.3g} working min"
    return f"{h:.4g} working h"


def pct(fraction: float | None, digits: int = 3) -> str:
    """A fraction (0.35) as a percentage (35%)."""
    if _bad(fraction):
        return DASH
    assert fraction is not None
    if math.isinf(fraction):
        return "∞"
    if fraction == 0:
        return "0%"
    if 0 < abs(fraction) < 0.001:
        return "<0.1%"
    return f"{fraction * 100:.{digits}g}%"


def money(x: float | None) -> str:
    if _bad(x):
        return DASH
    assert x is not None
    if math.isinf(x):
        return "∞"
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def est(e: Estimate | None, fmt=num, scale: float = 1.0) -> str:  # type: ignore[no-untyped-def]
    """`mean ±half-width` (the half-width of the 95 % CI) or just the mean."""
    if e is None or e.mean is None:
        return DASH
    if e.ci95 is None or e.ci95 == 0:
        return fmt(e.mean * scale)
    return f"{fmt(e.mean * scale)} ±{fmt(e.ci95 * scale)}"


def est_hours(e: Estimate | None) -> str:
    return est(e, hours)


def est_pct(e: Estimate | None) -> str:
    """A fraction estimate as percentages."""
    if e is None or e.mean is None:
        return DASH
    if e.ci95 is None or e.ci95 == 0:
        return pct(e.mean)
    return f"{pct(e.mean)} ±{e.ci95 * 100:.2g}"
