"""`funnelc simulate --records` CSV → events: a simulated account read as if it were a
CRM's history. This is how the round-trip tests and the back-test compare a simulation
with real data through the very same analytics.

Each visit row becomes an entry into its stage at `entered_hours`, picked up by a member
at `picked_hours` (empty: nobody did, or the stage has no team); a visit that ended
`won` or `lost "reason"` adds the close at `left_hours`. Hours count from the start
date's midnight, UTC. Replications are kept apart by prefixing deal ids with `rep-`.
The records carry no source and no value: the source is the one whose target is the
deal's first stage (when exactly one is), the value stays empty. A `manager` column added
to the records (simulate writes none) is read as the row's manager, so a simulated
account can stand in for a team in the managers' audit and its plot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from ..csvsafe import unquote_expr
from .events import LOST, STAGE, WON
from .quality import DataQuality

__all__ = ["looks_like_records", "read_records_text", "records_table", "records_events",
           "RECORD_HEADER"]

RECORD_HEADER = "rep,deal_id,pipeline,stage,entered_hours"

SCHEMA = {"rep": pl.Int64, "deal_id": pl.Int64, "pipeline": pl.Utf8, "stage": pl.Utf8,
          "entered_hours": pl.Float64, "picked_hours": pl.Float64, "left_hours": pl.Float64,
          "outcome": pl.Utf8, "timeout_kind": pl.Utf8, "manager": pl.Utf8}
"""The records' columns and types (`manager` only when added by hand)."""
RECORD_COLUMNS = ("rep", "deal_id", "pipeline", "stage", "entered_hours", "picked_hours",
                  "left_hours", "outcome", "timeout_kind")
"""What the simulator writes (`sim.RECORD_COLUMNS`, not imported: history reads records
without loading the simulator)."""

TEXT_COLUMNS = ("pipeline", "stage", "outcome", "timeout_kind", "manager")
"""The columns `funnelc.csvsafe` may have neutralised when the records were written."""


def looks_like_records(text: str) -> bool:
    return text.lstrip("\ufeff").startswith(RECORD_HEADER)


def read_records_text(data: bytes | str, dq: DataQuality, seq0: int, start: date,
                      sources: dict[tuple[str, str], str] | None = None) -> pl.DataFrame:
    """`data`: the records file (UTF-8 bytes, or text). `sources`: (pipeline, stage) →
    source name, for first stages that one source feeds."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    raw = pl.read_csv(data, schema_overrides=SCHEMA, truncate_ragged_lines=True)
    # funnelc wrote names with a protective `'` where a spreadsheet would run them.
    raw = raw.with_columns(unquote_expr(c) for c in TEXT_COLUMNS if c in raw.columns)
    return records_events(raw, dq, seq0, start, sources)


def records_table(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """The simulator's record rows (`sim.RECORD_COLUMNS`, as the engine hands them to its
    record function) as the table `read_records_text` parses from their CSV: the same
    columns and types, for a caller that simulates and reads the run back as a history
    (the back-test) without writing and parsing a file. A time is a float either way,
    and the CSV wrote each as the shortest text that reads back as the same float."""
    return pl.DataFrame(rows, schema={c: SCHEMA[c] for c in RECORD_COLUMNS}, orient="row")


def records_events(raw: pl.DataFrame, dq: DataQuality, seq0: int, start: date,
                   sources: dict[tuple[str, str], str] | None = None) -> pl.DataFrame:
    """The events of a records table (read from a file, or `records_table`)."""
    dq.rows_read += raw.height
    bad = raw.filter(pl.col("entered_hours").is_null() | pl.col("deal_id").is_null())
    if bad.height:
        dq.drop("bad_timestamp", bad.height)
        raw = raw.filter(pl.col("entered_hours").is_not_null() & pl.col("deal_id").is_not_null())
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    base = pl.lit(origin).cast(pl.Datetime("us", "UTC"))

    def at(col: str) -> pl.Expr:
        return base + pl.duration(microseconds=(pl.col(col) * 3.6e9).round(0).cast(pl.Int64))

    raw = raw.with_columns(deal=pl.col("rep").cast(pl.Utf8) + "-" + pl.col("deal_id").cast(pl.Utf8),
                           i=pl.int_range(pl.len(), dtype=pl.Int64))
    reason = pl.col("outcome").str.extract(r'^lost "(.*?)"(?: \+ copy .*)?$', 1)
    closed = pl.col("outcome").str.starts_with("won") | pl.col("outcome").str.starts_with("lost")
    # Records written before `picked_hours` existed read as histories without pick-ups.
    picked = at("picked_hours") if "picked_hours" in raw.columns else pl.lit(
        None, pl.Datetime("us", "UTC"))
    manager = (pl.col("manager").str.strip_chars().replace("", None)
               if "manager" in raw.columns else pl.lit(None, pl.Utf8))
    enter = raw.select(deal_id="deal", ts=at("entered_hours"), pipeline="pipeline",
                       stage="stage", kind=pl.lit(STAGE), loss_reason=pl.lit(None, pl.Utf8),
                       picked=picked, manager=manager, o=pl.col("i") * 2)
    close = raw.filter(closed & pl.col("left_hours").is_not_null()).select(
        deal_id="deal", ts=at("left_hours"), pipeline="pipeline",
        stage=pl.when(pl.col("outcome").str.starts_with("won")).then(pl.lit("won"))
        .otherwise(pl.lit("lost")),
        kind=pl.when(pl.col("outcome").str.starts_with("won")).then(pl.lit(WON))
        .otherwise(pl.lit(LOST)),
        loss_reason=reason, picked=pl.lit(None, pl.Datetime("us", "UTC")), manager=manager,
        o=pl.col("i") * 2 + 1)
    dq.synthesized += close.height  # one record row holds both the entry and the close
    ev = pl.concat([enter, close]).sort("o")
    first = ev.sort(["deal_id", "ts", "o"]).group_by("deal_id").agg(
        p=pl.first("pipeline"), s=pl.first("stage"))
    src_map = pl.DataFrame([(p, s, n) for (p, s), n in (sources or {}).items()],
                           schema={"p": pl.Utf8, "s": pl.Utf8, "source": pl.Utf8}, orient="row")
    first = first.join(src_map, on=["p", "s"], how="left").select("deal_id", "source")
    return ev.join(first, on="deal_id", how="left").select(
        "deal_id", "ts", "pipeline", "stage", "kind", value=pl.lit(None, pl.Float64),
        loss_reason="loss_reason", source="source", from_pipeline=pl.lit(None, pl.Utf8),
        from_stage=pl.lit(None, pl.Utf8), seq=pl.lit(seq0, pl.Int64) + pl.col("o"),
        entry_known=pl.lit(True), picked="picked", manager="manager")
