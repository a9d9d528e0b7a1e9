"""Events → stage visits: when each deal entered each stage, when and how it left.

All of it is window expressions over the event table sorted by (deal, time): the row
after a stage entry is how the deal left it (another stage, won, lost) and when; a
stage entry with nothing after it is still open at the end of the data (censored: its
time in stage is at least `data_end - entered`). A `lost` row followed by a stage entry
is a deal that came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import polars as pl

from .events import LOST, STAGE, WON, Catalog

__all__ = ["Visits", "build_visits", "stage_order", "returns", "OPEN"]

OPEN = "open"
HOUR_US = 3_600_000_000


@dataclass
class Visits:
    visits: pl.DataFrame
    """deal_id, pipeline, stage, entered, left, hours, entry_known, exit (stage/won/lost/open),
    to_pipeline, to_stage, reason, source, value, first_ts (deal's first event),
    reopened (entered after the deal had been lost once)."""
    data_start: datetime | None
    """First and last event (UTC); None when there are no events."""
    data_end: datetime | None
    order: dict[str, list[str]]
    rank: dict[tuple[str, str], int]
    """Depth of each stage in its pipeline: parallel stages (two entry stages) share one;
    a move to a deeper rank + 2 or more skips a stage, to a lower rank goes backward."""


def build_visits(events: pl.DataFrame, order_hint: dict[str, dict[str, int]] | None = None,
                 catalog: Catalog | None = None) -> Visits:
    ev = events.sort(["deal_id", "ts", "seq"])
    # Rows are sorted by deal: the next row of the same deal is a shift masked where the
    # deal changes (cheaper than windows hashing the string key).
    same_next = pl.col("deal_id") == pl.col("deal_id").shift(-1)
    nxt = lambda c: pl.when(same_next).then(pl.col(c).shift(-1))  # noqa: E731
    ev = ev.with_columns(gid=(pl.col("deal_id") != pl.col("deal_id").shift(1))
                         .fill_null(True).cum_sum())
    ev = ev.with_columns(
        n_kind=nxt("kind"), n_ts=nxt("ts"), n_pipeline=nxt("pipeline"), n_stage=nxt("stage"),
        n_reason=nxt("loss_reason"),
        first_ts=pl.col("ts").first().over("gid"),
        lost_before=(pl.col("kind") == LOST).cast(pl.Int32).cum_sum().over("gid")
        - (pl.col("kind") == LOST).cast(pl.Int32),
        visit_no=pl.int_range(pl.len()).over("gid"),
    )
    visits = ev.filter(pl.col("kind") == STAGE).select(
        "deal_id", "pipeline", "stage", entered="ts", left="n_ts",
        hours=pl.when(pl.col("entry_known")).then(
            (pl.col("n_ts") - pl.col("ts")).dt.total_microseconds() / HOUR_US),
        entry_known="entry_known",
        exit=pl.coalesce([pl.col("n_kind"), pl.lit(OPEN)]),
        to_pipeline="n_pipeline",
        to_stage=pl.when(pl.col("n_kind") == STAGE).then(pl.col("n_stage")),
        reason=pl.when(pl.col("n_kind") == LOST).then(pl.col("n_reason")),
        source="source", value="value", first_ts="first_ts",
        reopened=pl.col("lost_before") > 0, visit_no="visit_no",
    )
    # "ts" is a UTC datetime column; polars types min()/max() as any literal.
    start = cast("datetime | None", events["ts"].min()) if events.height else None
    end = cast("datetime | None", events["ts"].max()) if events.height else None
    order, rank = stage_order(visits, order_hint or {}, catalog)
    return Visits(visits, start, end, order, rank)


def stage_order(visits: pl.DataFrame, hint: dict[str, dict[str, int]],
                catalog: Catalog | None) -> tuple[dict[str, list[str]], dict[tuple[str, str], int]]:
    """Stages of each pipeline in funnel order, and their ranks: the funnel file's depths
    where given (`hint`: pipeline → stage → depth from the entry stages), else the CRM's
    linear order (`sort`), else as the data shows it (the mean position of the stage in
    deals' paths, rounded: two entry stages both sit at 0). Stages the data has and the
    order source lacks follow, in the data's order."""
    ranks = (visits.with_columns(rank=pl.int_range(pl.len()).over(["deal_id", "pipeline"]))
             .group_by(["pipeline", "stage"]).agg(pl.col("rank").mean(), n=pl.len())
             .sort(["pipeline", "rank", "n"], descending=[False, False, True]))
    data: dict[str, list[str]] = {}
    for p, s, _, _ in ranks.iter_rows():
        data.setdefault(p, []).append(s)
    mean_pos = {(p, s): r for p, s, r, _ in ranks.iter_rows()}
    out: dict[str, list[str]] = {}
    rank: dict[tuple[str, str], int] = {}
    for p, seen in data.items():
        h = hint.get(p) or {}
        if h:
            base = sorted(h, key=lambda s: h[s])
            depth = dict(h)
        else:
            base = list((catalog.stages.get(p) if catalog else None) or [])
            depth = {s: i for i, s in enumerate(base)} if base else {
                s: round(mean_pos[(p, s)]) for s in seen}
            base = base or sorted(seen, key=lambda s: (depth[s], seen.index(s)))
        lst = [s for s in base if s in seen] + [s for s in seen if s not in base]
        out[p] = lst
        top = max(depth.values(), default=-1)
        for s in lst:
            if s not in depth:
                top += 1
                depth[s] = top
            rank[(p, s)] = depth[s]
    return out, rank


def returns(events: pl.DataFrame) -> pl.DataFrame:
    """Every loss followed by a stage entry of the same deal: the deal came back.
    Columns: deal_id, pipeline (where it was lost), lost_at, reason, back_at, back_pipeline,
    back_stage, hours (lost → back), won_later."""
    same_next = pl.col("deal_id") == pl.col("deal_id").shift(-1)
    ev = events.sort(["deal_id", "ts", "seq"]).with_columns(
        gid=(pl.col("deal_id") != pl.col("deal_id").shift(1)).fill_null(True).cum_sum())
    ev = ev.with_columns(
        n_kind=pl.when(same_next).then(pl.col("kind").shift(-1)),
        n_ts=pl.when(same_next).then(pl.col("ts").shift(-1)),
        n_pipeline=pl.when(same_next).then(pl.col("pipeline").shift(-1)),
        n_stage=pl.when(same_next).then(pl.col("stage").shift(-1)),
        won_after=(pl.col("kind") == WON).cast(pl.Int32).reverse().cum_sum().reverse()
        .over("gid") > 0,
    )
    return ev.filter((pl.col("kind") == LOST) & (pl.col("n_kind") == STAGE)).select(
        "deal_id", "pipeline", lost_at="ts", reason="loss_reason", back_at="n_ts",
        back_pipeline="n_pipeline", back_stage="n_stage",
        hours=(pl.col("n_ts") - pl.col("ts")).dt.total_microseconds() / HOUR_US,
        won_later="won_after")
