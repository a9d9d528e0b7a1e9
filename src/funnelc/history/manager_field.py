"""Where the manager is named only on the deals that were won, which makes comparing
managers meaningless: a data-quality finding, and the managers are not compared there.
The same for the amount (`value_on_wins`): written only on the won deals (Olist's
`declared_monthly_revenue`, a CRM's «бюджет» filled at the contract), it says nothing of
what the open and lost deals are worth; a stage's worth is then the won deals' mean
amount times the share of deals won (`cohorts._stage_value`), and the finding says so.

Some accounts set the responsible manager when a deal is won (a closer, a commission
field), not when it is taken up. Olist's public marketing funnel (8,000 qualified leads,
842 closed) names a sales rep on each closed deal and on no other: read as it is, every
rep «converts 100 % against 0 % for the rest of the team»: 22 of its 23 findings, whose
«rest» was the deals nobody was named on. Who worked, and lost, the others is unknown.

A pipeline is read so when, of its deals, at least `MIN_DEALS`, at least
`UNNAMED_SHARE` have no manager, at least `WON_SHARE` of those with one were won, and at
most `OTHERS_NAMED` of those not won have one. An account that names the manager from
the start (amoCRM's responsible user, Bitrix24's ASSIGNED_BY_ID) never is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from .events import WON
from .findings import Finding

__all__ = ["NamedOnWins", "named_on_wins", "named_on_wins_findings", "MIN_DEALS",
           "UNNAMED_SHARE", "WON_SHARE", "OTHERS_NAMED"]

MIN_DEALS = 30
UNNAMED_SHARE = 0.3
WON_SHARE = 0.9
OTHERS_NAMED = 0.1


@dataclass(frozen=True)
class NamedOnWins:
    """A pipeline whose manager is named on the won deals: `named` of its `deals` have
    one, `named_won` of them won; `others` deals were not won, `others_named` of them
    have one."""
    pipeline: str
    deals: int
    named: int
    named_won: int
    others: int
    others_named: int


def named_on_wins(vis: pl.DataFrame, column: str = "manager") -> list[NamedOnWins]:
    """The pipelines of the visits `vis` (`column`, `exit` per visit) whose manager (or
    amount: `column="value"`) is named only on their won deals."""
    if column not in vis.columns or vis.height == 0:
        return []
    # A deal without a manager has a visit without one: with fewer such visits than a
    # pipeline of `MIN_DEALS` would need such deals, no pipeline is read so, and the
    # group-by over every deal is not done (an account that names its managers, as
    # amoCRM and Bitrix24 do: a tenth of a second at 1M events, issue 14).
    if vis[column].null_count() < UNNAMED_SHARE * MIN_DEALS:
        return []
    deals = (vis.lazy().group_by("deal_id", "pipeline")
             .agg(named=pl.col(column).is_not_null().any(), won=(pl.col("exit") == WON).any())
             .group_by("pipeline")
             .agg(deals=pl.len(), named=pl.col("named").sum(),
                  named_won=(pl.col("named") & pl.col("won")).sum(),
                  others=(~pl.col("won")).sum(),
                  others_named=(pl.col("named") & ~pl.col("won")).sum())
             .sort("pipeline").collect())
    out = []
    for p, n, named, named_won, others, others_named in deals.iter_rows():
        if (n >= MIN_DEALS and named and n - named >= UNNAMED_SHARE * n
                and named_won >= WON_SHARE * named and others_named <= OTHERS_NAMED * others):
            out.append(NamedOnWins(str(p), int(n), int(named), int(named_won), int(others),
                                   int(others_named)))
    return out


def named_on_wins_findings(rows: list[NamedOnWins],
                           kind: Literal["manager_on_wins", "value_on_wins"] = "manager_on_wins"
                           ) -> list[Finding]:
    """One data-quality finding per such pipeline: `n` deals named, `observed` the share
    of them won, `deals` the deals not won (whose manager, or amount, is unknown),
    `expected` the share of those named."""
    return [Finding(kind, r.pipeline, None, None, None, float(r.others), None,
                    None, None, r.named_won / r.named, r.others_named / r.others
                    if r.others else 0.0, r.named, None) for r in rows]
