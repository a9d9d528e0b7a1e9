"""A deal list given with the stage history of its deals: the deals' records, joined to
the history's events by deal id, as amoCRM's leads pages are to its events pages and
Bitrix24's `crm.deal.list` to `crm.stagehistory.list`.

Salesforce's Opportunity table (one row per deal: `Id`, `OwnerId`, `Amount`, `StageName`,
`CreatedDate` …) beside its OpportunityHistory (`OpportunityId`/`OppID`, `CreatedDate`,
`StageName`: one row per change) is the case in point. Alone, the table is a deal list,
read deal by deal or refused (`deal_list`); with the history it holds what the history
lacks: each deal's owner (its manager), amount, source and client. The history's own
cells come first (an OpportunityHistory row's `Amount` is the amount then); the record
fills what they leave empty, and `events.normalize` spreads it over the deal's rows.

A deal of the table with no row in the history never moved: it enters its current stage
at its creation date, as an amoCRM lead with no event does (`deals_no_history`); a deal
of the history with no record is counted (`deals_without_lead`). A table most of whose
deals are in no history given is no record of them (another account's list, ids numbered
apart): `covers` says so, and it is read as it would be alone.
"""

from __future__ import annotations

import polars as pl

from .quality import DataQuality

__all__ = ["ATTRIBUTES", "covers", "with_records", "entries_without_history"]

ATTRIBUTES = ("value", "manager", "source", "contact", "last_activity")
"""The record's columns a history's events take where their own cells are empty."""


def covers(history_ids: pl.Series, records: pl.DataFrame) -> bool:
    """Whether the history holds more than half of the records' deals: then they are
    its deals' records."""
    if records.height == 0:
        return False
    found = records["deal_id"].is_in(history_ids.unique().implode()).sum()
    return 2 * int(found) > records.height


def with_records(events: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """`events` (a CSV history's) with each deal's record attributes where the row has
    none of its own. An amount taken from the record takes its currency (`cur`) too."""
    attrs = records.select("deal_id", *(pl.col(c).alias(f"\x00r_{c}") for c in ATTRIBUTES),
                           *([pl.col("cur").alias("\x00r_cur")] if "cur" in records.columns
                             else []))
    joined = events.join(attrs, on="deal_id", how="left", maintain_order="left")
    if "cur" in records.columns:
        own = pl.col("cur") if "cur" in events.columns else pl.lit(None, pl.Utf8)
        joined = joined.with_columns(cur=pl.when(pl.col("value").is_null())
                                     .then(pl.col("\x00r_cur")).otherwise(own)).drop("\x00r_cur")
    return joined.with_columns(
        (pl.coalesce([pl.col(c), pl.col(f"\x00r_{c}")]) if c in events.columns
         else pl.col(f"\x00r_{c}")).alias(c) for c in ATTRIBUTES
    ).drop(f"\x00r_{c}" for c in ATTRIBUTES)


def entries_without_history(records: pl.DataFrame, history_ids: pl.Series, seq0: int,
                            per: int, path: str, dq: DataQuality) -> pl.DataFrame:
    """The records of deals the history has no row of, as events: each deal entering its
    current stage (or won or lost, where it is closed) at its creation; one without a
    readable creation date is dropped (`bad_timestamp`, with its line). Counts the deals
    on each side without the other (`deals_no_history`, `deals_without_lead`)."""
    quiet = records.filter(~pl.col("deal_id").is_in(history_ids.unique().implode()))
    orphans = history_ids.unique().filter(~history_ids.unique().is_in(
        records["deal_id"].implode())).len()
    dq.count("deals_without_lead", orphans)
    dq.rows_read += quiet.height
    undated = quiet.filter(pl.col("created").is_null())
    if undated.height:
        dq.drop("bad_timestamp", undated.height, where=f"{path}:{undated['line'][0]}")
    quiet = quiet.filter(pl.col("created").is_not_null())
    if quiet.height:
        dq.count("deals_no_history", quiet.height, where=f"{path}:{quiet['line'][0]}")
    return quiet.select(
        "deal_id", ts="created", pipeline="pipeline", stage="stage", kind="kind",
        value="value", loss_reason="loss_reason", source="source",
        from_pipeline=pl.lit(None, pl.Utf8), from_stage=pl.lit(None, pl.Utf8),
        seq=pl.lit(seq0, pl.Int64) + pl.col("line") * per, entry_known=pl.lit(True),
        picked=pl.lit(None, pl.Datetime("us", "UTC")), manager="manager",
        last_activity="last_activity", contact="contact",
        **({"cur": pl.col("cur")} if "cur" in quiet.columns else {}))
