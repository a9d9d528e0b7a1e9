"""The report's number formats: those of `funnelc.numfmt`, re-exported so the report's
modules read one place. SLA and respond limits in working hours are written by
`i18n.figures.Figures.limit`, as simulate's tables write them."""

from __future__ import annotations

from ..numfmt import DASH, est, est_hours, est_pct, hours, money, num, pct

__all__ = ["DASH", "num", "hours", "pct", "money", "est", "est_hours", "est_pct"]
