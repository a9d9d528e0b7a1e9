"""The report's number formats: those of `funnelc.numfmt` (re-exported, so the report's
modules read one place) plus `limit`, for SLA and respond limits counted in working
hours, which only the report shows."""

from __future__ import annotations

from ..numfmt import DASH, est, est_hours, est_pct, hours, missing, money, num, pct

__all__ = ["DASH", "num", "hours", "limit", "pct", "money", "est", "est_hours", "est_pct"]


def limit(h: float | None, working: bool) -> str:
    """An SLA or respond limit: counted in working hours when the account has a calendar,
    so `180 working h` rather than a misleading `7.5d`."""
    if missing(h) or not working:
        return hours(h)
    assert h is not None
    if h < 1.0:
        return f"{h * 60:.3g} working min"
    return f"{h:.4g} working h"
