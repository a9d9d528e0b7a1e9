"""One row per deal and stage pair, the raw material of the audit's comparisons: the
deal's first entry into the pair's first stage (its month, the manager who had it
there, its source and value), whether it then reached the second stage directly
(before any loss, as `analytics` counts conversion), whether it was won, and how it
was lost. Managers, sources and loss reasons are group-bys of this one table, so each
dimension costs a group-by, not another pass over the visits.

Also the money a deal in each stage is worth: the won value of the deals that entered
it, per deal that entered it. An effect in deals times that is the effect in money.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .analytics import HistoryTables, month_of
from .events import LOST, WON

__all__ = ["Cohorts", "build_cohorts", "has_column"]


@dataclass
class Cohorts:
    pairs: pl.DataFrame
    """pipeline, from_stage, to_stage, deal_id, ta, month, manager, source, value,
    direct (reached the second stage before any loss), won (won after `ta`), lost (lost
    before reaching it), reason (of that loss), came_back (lost, then entered a stage
    again), hours_to (from `ta` to reaching the second stage)."""
    entries: pl.DataFrame
    """pipeline, stage, deal_id, ta, month, manager, source, value, won: each deal's
    first entry into each stage."""
    stage_value: dict[tuple[str, str], float]
    """(pipeline, stage) → won value per deal that entered it; absent without values."""


def has_column(t: HistoryTables, name: str) -> bool:
    """Whether the history tells `name` (manager, source, last_activity) for any visit."""
    vis = t.visits.visits
    return name in vis.columns and vis[name].null_count() < vis.height


def build_cohorts(t: HistoryTables, events: pl.DataFrame) -> Cohorts:
    vis = t.visits.visits
    tz = t.tz
    first = (vis.lazy().select("pipeline", "stage", "deal_id", "entered", "manager", "source",
                               "value")
             .group_by(["pipeline", "stage", "deal_id"], maintain_order=True)
             .agg(ta=pl.col("entered").first(), manager=pl.col("manager").first(),
                  source=pl.col("source").first(), value=pl.col("value").first())
             .collect())
    closes = events.lazy().filter(pl.col("kind").is_in([WON, LOST])).select(
        "deal_id", "pipeline", "kind", tc="ts", reason="loss_reason").collect()
    won = (closes.lazy().filter(pl.col("kind") == WON).group_by(["deal_id", "pipeline"])
           .agg(tw=pl.col("tc").max()))
    entries = (first.lazy().join(won, on=["deal_id", "pipeline"], how="left")
               .with_columns(won=(pl.col("tw") >= pl.col("ta")).fill_null(False),
                             month=month_of("ta", tz)).drop("tw").collect())
    stage_value = _stage_value(entries)
    pairs = _pairs(t)
    if not pairs:
        empty = entries.head(0).with_columns(
            from_stage=pl.lit(None, pl.Utf8), to_stage=pl.lit(None, pl.Utf8),
            direct=pl.lit(None, pl.Boolean), lost=pl.lit(None, pl.Boolean),
            reason=pl.lit(None, pl.Utf8), came_back=pl.lit(None, pl.Boolean),
            hours_to=pl.lit(None, pl.Float64))
        return Cohorts(empty, entries, stage_value)
    ptab = pl.DataFrame(pairs, schema={"pipeline": pl.Utf8, "from_stage": pl.Utf8,
                                       "to_stage": pl.Utf8}, orient="row")
    a = ptab.lazy().join(entries.lazy().rename({"stage": "from_stage"}),
                         on=["pipeline", "from_stage"])
    b = (vis.lazy().select("deal_id", "pipeline", to_stage="stage", tb="entered")
         .join(ptab.lazy().select("pipeline", "to_stage").unique(), on=["pipeline", "to_stage"]))
    reach = (a.select("deal_id", "pipeline", "from_stage", "to_stage", "ta")
             .join(b, on=["deal_id", "pipeline", "to_stage"])
             .filter(pl.col("tb") > pl.col("ta"))
             .group_by(["deal_id", "pipeline", "from_stage", "to_stage"])
             .agg(tb=pl.col("tb").min()))
    # How long the deals that made it took: a month is judged only once that long has
    # passed since its end (`sources.mature_months`), or late cohorts look worse.
    lost = closes.lazy().filter(pl.col("kind") == LOST).select("deal_id", "pipeline", "tc",
                                                                "reason")
    first_loss = (a.select("deal_id", "pipeline", "from_stage", "to_stage", "ta")
                  .join(lost, on=["deal_id", "pipeline"])
                  .filter(pl.col("tc") >= pl.col("ta"))
                  .group_by(["deal_id", "pipeline", "from_stage", "to_stage"])
                  .agg(tl=pl.col("tc").min(), reason=pl.col("reason").sort_by("tc").first()))
    keys = ["deal_id", "pipeline", "from_stage", "to_stage"]
    out = (a.join(reach, on=keys, how="left").join(first_loss, on=keys, how="left")
           .with_columns(
               direct=pl.col("tb").is_not_null()
               & (pl.col("tl").is_null() | (pl.col("tb") < pl.col("tl"))),
               lost=pl.col("tl").is_not_null()
               & (pl.col("tb").is_null() | (pl.col("tl") < pl.col("tb"))),
               came_back=pl.col("tl").is_not_null() & pl.col("tb").is_not_null()
               & (pl.col("tl") < pl.col("tb")),
               hours_to=pl.when(pl.col("tb").is_not_null()).then(
                   (pl.col("tb") - pl.col("ta")).dt.total_microseconds() / 3.6e9))
           .with_columns(reason=pl.when(pl.col("lost")).then(pl.col("reason")))
           .drop("tb", "tl").collect())
    return Cohorts(out, entries, stage_value)


def _pairs(t: HistoryTables) -> list[tuple[str, str, str]]:
    """The stage pairs `history` tabulates conversion for, in its order."""
    conv = t.conversion
    if conv.height == 0:
        return []
    return conv.select("pipeline", "from_stage", "to_stage").unique(maintain_order=True).rows()


def _stage_value(entries: pl.DataFrame) -> dict[tuple[str, str], float]:
    if entries["value"].null_count() == entries.height:
        return {}
    g = entries.group_by(["pipeline", "stage"]).agg(
        n=pl.len(), won_value=pl.col("value").filter(pl.col("won")).fill_null(0.0).sum())
    return {(p, s): float(v) / n for p, s, n, v in g.iter_rows() if n}
