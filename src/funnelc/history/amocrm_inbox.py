"""amoCRM's incoming leads («Неразобранное», a status of `type` 1) read as what the
funnel means by them: the lead has arrived at the pipeline's first stage and waits for a
manager to take it.

Every amoCRM pipeline has this status first (`sort` 10); leads from forms, calls, chats
and mail land there until a manager accepts them (to the first stage, or the one chosen)
or declines them (amoCRM deletes a declined lead, so the export never has it).
funnelc's own export writes a pipeline some source enters with `is_unsorted_on`, never as
a stage. Read as a stage, the inbox matched no stage of the funnel (a warning telling the
consultant to add it), and the first stage's time and pick-up started at acceptance, so
the wait for a manager — what `respond` promises — was nowhere.

So a visit to the inbox is folded into the stage the lead was accepted to: that stage is
entered when the lead arrived, and the acceptance is a touch (`picked`, unless the lead
was touched before). A lead still in the inbox at the export, or closed straight from it,
is at the pipeline's first stage since it arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .events import STAGE

__all__ = ["Inbox", "fold_inbox"]


@dataclass(frozen=True)
class Inbox:
    """What the fold did in one pipeline, for the history's note."""

    pipeline: str
    stage: str
    """The inbox status's name («Неразобранное»)."""
    first: str
    """The pipeline's first stage, where a lead not accepted anywhere else is."""
    leads: int
    """Visits to the inbox folded."""


def fold_inbox(out: pl.DataFrame, inbox: dict[str, str], first: dict[str, str]
               ) -> tuple[pl.DataFrame, pl.DataFrame, list[Inbox]]:
    """`out`: the reader's rows (deal, t, ts, pipeline, stage, kind, from_pipeline,
    from_stage, entry_known, seq, …); `inbox`: pipeline → its inbox status's name;
    `first`: pipeline → its first stage. Returns the rows without inbox visits, the
    acceptances as touches (deal, t) and what was folded, per pipeline."""
    touches = pl.DataFrame(schema={"deal": pl.Int64, "t": pl.Float64})
    if not inbox or out.height == 0:
        return out, touches, []
    names = pl.DataFrame(list(inbox.items()), schema={"pipeline": pl.Utf8, "ibx": pl.Utf8},
                         orient="row")
    firsts = pl.DataFrame(list(first.items()), schema={"pipeline": pl.Utf8, "fst": pl.Utf8},
                          orient="row")
    rows = (out.with_row_index("_r").sort(["deal", "t", "seq"], nulls_last=True)
            .join(names, on="pipeline", how="left", maintain_order="left"))
    is_inbox = (pl.col("kind") == STAGE) & (pl.col("stage") == pl.col("ibx"))
    rows = rows.with_columns(inb=is_inbox.fill_null(False))
    if not rows["inb"].any():
        return out, touches, []
    nxt = rows.with_columns(
        n_r=pl.col("_r").shift(-1).over("deal"), n_kind=pl.col("kind").shift(-1).over("deal"),
        n_pipe=pl.col("pipeline").shift(-1).over("deal"),
        n_inb=pl.col("inb").shift(-1).over("deal"), n_t=pl.col("t").shift(-1).over("deal"))
    visits = nxt.filter(pl.col("inb"))
    # Accepted: the next row enters a stage of the same pipeline.
    accepted = visits.filter((pl.col("n_kind") == STAGE) & (pl.col("n_pipe") == pl.col("pipeline"))
                             & ~pl.col("n_inb").fill_null(True))
    moved = accepted.select(
        _r="n_r", a_t="t", a_ts="ts", a_fp="from_pipeline", a_fs="from_stage",
        a_known="entry_known")
    touches = accepted.select("deal", t="n_t").drop_nulls()
    # Every other visit: at the first stage since it arrived.
    kept = visits.join(accepted.select("_r"), on="_r", how="anti").select(
        "_r", "pipeline").join(firsts, on="pipeline", how="left")
    result = (out.with_row_index("_r")
              .join(accepted.select("_r", drop=pl.lit(True)), on="_r", how="left",
                    maintain_order="left")
              .filter(pl.col("drop").is_null())
              .join(moved, on="_r", how="left", maintain_order="left")
              .join(kept.select("_r", "fst"), on="_r", how="left", maintain_order="left"))
    folded = pl.col("a_t").is_not_null()
    result = result.with_columns(
        t=pl.when(folded).then("a_t").otherwise("t"),
        ts=pl.when(folded).then("a_ts").otherwise("ts"),
        from_pipeline=pl.when(folded).then("a_fp").otherwise("from_pipeline"),
        from_stage=pl.when(folded).then("a_fs").otherwise("from_stage"),
        entry_known=pl.when(folded).then("a_known").otherwise("entry_known"),
        stage=pl.coalesce(["fst", "stage"]),
    ).drop("_r", "drop", "a_t", "a_ts", "a_fp", "a_fs", "a_known", "fst")
    # A row that left the inbox for another pipeline, or was closed from it, came from
    # the first stage.
    result = result.join(names.rename({"pipeline": "from_pipeline"}), on="from_pipeline",
                         how="left", maintain_order="left").join(
        firsts.rename({"pipeline": "from_pipeline"}), on="from_pipeline", how="left",
        maintain_order="left").with_columns(
        from_stage=pl.when(pl.col("from_stage") == pl.col("ibx")).then("fst")
        .otherwise("from_stage")).drop("ibx", "fst")
    counts = visits.group_by("pipeline").len().sort("pipeline")
    done = [Inbox(p, inbox[p], first.get(p, inbox[p]), n) for p, n in counts.iter_rows()]
    return result, touches, done
