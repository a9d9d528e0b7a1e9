"""How large a difference the audit's comparisons could have told from chance.

«No finding» over 400 deals reads as «every manager is fine», when it may only mean the
samples were too small to see anything: a realty agency's fired manager who took 70 % of
her showings to a reservation against the team's 50 % was not flagged, and the client
asks why. So the audit says, for managers and for sources, what it compared and the
smallest gap it would have flagged four times in five at the busiest stage pair.

The gap (`stats.detectable_gap`) is solved from the normal approximation of the pooled
two-proportion test the comparisons use (`stats.two_proportion_p`), at the level Holm's
correction asks of the first rejection (5 % over the number of comparisons): a single
real difference among many null ones is flagged about that often. For the small samples
of a stage pair the approximation errs on the safe side: at the gaps it gives, the exact
power (enumerated over both binomials) is 0.80–0.86 (`tests/test_audit_detectable.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from .findings import ALPHA
from .managers import UNKNOWN_MANAGER
from .sources import SourceTables
from .stats import detectable_gap

__all__ = ["Detectable", "detectable"]

@dataclass(frozen=True)
class Detectable:
    """What one dimension's comparisons could have seen at its busiest stage pair."""

    dimension: Literal["managers", "sources"]
    subjects: int
    """Managers (named ones) or sources compared."""
    pairs: int
    """Stage pairs compared."""
    comparisons: int
    """The Holm family: every (subject, pair) test."""
    pipeline: str
    from_stage: str
    to_stage: str
    """The busiest pair (the most deals judged), closing step (`won`) included."""
    subject: str
    """Managers: the manager with the median number of deals there; sources: the
    source with the most deals there."""
    n: int
    """The subject's deals (managers), the source's deals in the last period (sources)."""
    n_other: int
    """The rest of the team's deals; the source's deals in the first period."""
    rate: float
    """What the subject is compared with: the rest's rate; the first period's."""
    lower: float | None
    """The smallest fall flagged four times in five (a fraction); None: not even 0 %."""
    higher: float | None
    first: str | None = None
    last: str | None = None
    """The periods (sources only), as the changes table names them."""


def _gaps(n: float, n_other: float, rate: float, comparisons: int
          ) -> tuple[float | None, float | None]:
    alpha = ALPHA / max(comparisons, 1)
    return (detectable_gap(n, n_other, rate, alpha, lower=True),
            detectable_gap(n, n_other, rate, alpha, lower=False))


def _busiest(table: pl.DataFrame, count: str) -> pl.DataFrame:
    """The rows of the stage pair with the most deals (ties: the first in the table)."""
    keys = ["pipeline", "from_stage", "to_stage"]
    totals = table.group_by(keys, maintain_order=True).agg(pl.col(count).sum())
    top = totals.sort(count, descending=True, maintain_order=True).row(0, named=True)
    return table.filter(*(pl.col(k) == top[k] for k in keys))


def _managers(table: pl.DataFrame) -> Detectable | None:
    named = table.filter((pl.col("manager") != UNKNOWN_MANAGER) & (pl.col("entered") > 0)
                         & pl.col("rest_rate").is_not_null())
    if named.height == 0:
        return None
    at = _busiest(named, "entered").sort(["entered", "manager"])
    typical = at.row((at.height - 1) // 2, named=True)
    comparisons = table.filter(pl.col("manager") != UNKNOWN_MANAGER).height
    lower, higher = _gaps(typical["entered"], typical["rest_entered"], typical["rest_rate"],
                          comparisons)
    return Detectable(
        "managers", named["manager"].n_unique(),
        named.select("pipeline", "from_stage", "to_stage").unique().height, comparisons,
        typical["pipeline"], typical["from_stage"], typical["to_stage"], typical["manager"],
        typical["entered"], typical["rest_entered"], typical["rest_rate"], lower, higher)


def _sources(s: SourceTables) -> Detectable | None:
    ch = s.changes.filter((pl.col("entered_first") > 0) & (pl.col("entered_last") > 0)
                          & pl.col("rate_first").is_not_null())
    if ch.height == 0:
        return None
    at = _busiest(ch.with_columns(both=pl.col("entered_first") + pl.col("entered_last")),
                  "both").sort(["both", "source"], descending=[True, False])
    top = at.row(0, named=True)
    comparisons = s.changes.height
    lower, higher = _gaps(top["entered_last"], top["entered_first"], top["rate_first"],
                          comparisons)
    return Detectable(
        "sources", ch["source"].n_unique(),
        ch.select("pipeline", "from_stage", "to_stage").unique().height, comparisons,
        top["pipeline"], top["from_stage"], top["to_stage"], top["source"],
        top["entered_last"], top["entered_first"], top["rate_first"], lower, higher,
        top["first"], top["last"])


def detectable(managers: pl.DataFrame | None, sources: SourceTables | None
               ) -> list[Detectable]:
    """For each dimension the audit compared, what it could have seen."""
    out = [_managers(managers) if managers is not None and managers.height else None,
           _sources(sources) if sources is not None else None]
    return [d for d in out if d is not None]
