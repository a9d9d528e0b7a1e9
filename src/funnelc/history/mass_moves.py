"""A CRM's mass action: one user moving a batch of other managers' deals into one stage.

A head of sales who closes the team's stale deals as lost at a quarter's end did not
work them: counted for her, a car dealer's head read «0% against 53.37% … 67 541 402 ₽
at stake», the audit's first finding, and the deals' managers were spared the losses
they had left to be cleaned up. The readers that name who moved each deal (amoCRM's
`created_by`, a CSV's per-row `manager`) count such a batch for each deal's own manager
instead (`read_amocrm._batches_to_responsible`, `read_csv.batches_to_owners`); the rule
and its thresholds are here, once.
"""

from __future__ import annotations

import polars as pl

__all__ = ["BATCH_MOVES", "BATCH_GAP_S", "batch_rows"]

BATCH_MOVES = 10
"""A mass action: this many moves or more by one user into one stage on deals other
users have, each within `BATCH_GAP_S` of the one before."""
BATCH_GAP_S = 60.0


def batch_rows(moves: pl.DataFrame) -> pl.Series:
    """The `_r` of the moves made in a batch: `BATCH_MOVES` or more by one user (`who`)
    into one `pipeline` and `stage`, each within `BATCH_GAP_S` seconds (`t`, float
    seconds) of the one before. `moves` holds only the moves on deals another user has
    (a user's moves of her own deals are her work however fast she makes them), with a
    known time. Sorted by a hash of (user, pipeline, stage) and time, not by the names (a
    string sort of a million events)."""
    if moves.height < BATCH_MOVES:
        return moves["_r"].clear()
    moves = (moves.select("_r", "t", g=pl.struct("who", "pipeline", "stage").hash())
             .sort(["g", "t"]))
    starts = ((pl.col("g") != pl.col("g").shift(1)).fill_null(True)
              | (pl.col("t").diff().fill_null(BATCH_GAP_S + 1.0) > BATCH_GAP_S))
    return (moves.with_columns(run=starts.cum_sum())
            .filter(pl.len().over("run") >= BATCH_MOVES)["_r"])
