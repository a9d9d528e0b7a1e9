"""One row per deal and stage pair, the raw material of the audit's comparisons: the
deal's first entry into the pair's first stage (its month, the manager who had it
there, its source and value), whether it then reached the second stage directly
(before any loss, as `analytics` counts conversion), whether it was won, and how it
was lost. Managers, sources and loss reasons are group-bys of this one table, so each
dimension costs a group-by, not another pass over the visits.

Also the money a deal in each stage is worth: the won value of the deals that entered
it, per deal that entered it with a value (deals whose value is missing are taken to be
worth what the others are). An effect in deals times that is the effect in money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import polars as pl

from .analytics import HistoryTables, months_of
from .events import LOST, WON
from .exact_sum import exact_mean, exact_sum
from .transitions import COMEBACK_DAYS, REOPEN_HOURS, first_new_deal, regular_orders

__all__ = ["COMEBACK_DAYS", "Cohorts", "build_cohorts", "has_column", "pair_month"]


@dataclass
class Cohorts:
    pairs: pl.DataFrame
    """pipeline, from_stage, to_stage, pair (the pair's place in `order`: the tables
    group by it, one integer, not by the three names: a group-by of the 677,245 rows of
    the 1M-event benchmark by the names and the manager took ten times as long, issue
    14), gid (the deal, as a number), ta, month, manager,
    source, value (the text columns are categories: the table has a row per deal and
    pair, and strings repeated on every row were most of its memory),
    direct (reached the second stage, or was won from the first, before any loss), won (won
    after `ta`), lost (lost
    before reaching it), reason (of that loss), came_back (lost, and the client came
    back: `reopened` or `new_deal`), reopened (the same deal came back into the pipeline
    after the loss and was worked again: `_reopens`), new_deal (not reopened, but a later
    deal of the same contact entered
    the pipeline within `COMEBACK_DAYS` of the loss, and the client had not bought before
    it: `transitions.first_new_deal`), repeat_order (not reopened, and the client, who
    had bought before the loss, placed its next order so: no comeback), new_manager
    (who had that new deal at its first stage), new_won (whether it was won),
    hours_to (from `ta` to reaching the
    second stage), tl (that loss's moment), back_hours (from the loss to the comeback:
    the deal's reopening, or the new deal's entry), tp (the first pick-up in that
    first visit of the first stage, null without one), tx (when that visit ended, null
    while open) and known (whether its entry is known): `speed` times the wait for a
    first touch from them; regular (the deal is a regular client's order,
    `transitions.regular_orders`; False when the history names no client): the
    managers' comparisons read a flagged difference within the kinds of client."""
    stage_value: dict[tuple[str, str], float]
    """(pipeline, stage) → won value per deal with a value that entered it; absent
    without values."""
    order: list[tuple[str, str, str]] = field(default_factory=list)
    """The stage pairs in `history`'s order (the funnel's, with `--funnel`): the
    audit's tables list them so, not alphabetically."""

    def names(self) -> pl.DataFrame:
        """`pair` → its pipeline, from_stage and to_stage (strings): the small table the
        audit's tables, grouped by `pair`, take their names from."""
        return pl.DataFrame(self.order, schema={"pipeline": pl.Utf8, "from_stage": pl.Utf8,
                                                "to_stage": pl.Utf8},
                            orient="row").with_row_index("pair")

    def rank(self) -> pl.Expr:
        """Each row's place in `order` (pipeline, from_stage, to_stage), to sort by."""
        index = {"\x1f".join(k): i for i, k in enumerate(self.order)}
        key = pl.concat_str([pl.col(c).cast(pl.Utf8)
                             for c in ("pipeline", "from_stage", "to_stage")], separator="\x1f")
        return key.replace_strict(index, default=len(index), return_dtype=pl.Int64)


def pair_month() -> pl.Expr:
    """`pm`: one integer for a pair row's pair and month (the month's category number
    beside the pair's), for the group-bys by both: by the two columns a group-by
    row-encodes its keys, and took six times as long on the 677,245 rows of the
    1M-event benchmark (issue 14). The groups take their `pair` and `month` back with
    `first()`."""
    month = pl.col("month").to_physical().cast(pl.Int64).fill_null(-1)
    return (pl.col("pair").cast(pl.Int64) * 2 ** 32 + month).alias("pm")


def has_column(t: HistoryTables, name: str) -> bool:
    """Whether the history tells `name` (manager, source, last_activity) for any visit."""
    vis = t.visits.visits
    return name in vis.columns and vis[name].null_count() < vis.height


def build_cohorts(t: HistoryTables, with_pairs: bool = True) -> Cohorts:
    """`with_pairs=False`: the stage values alone (what loss reasons and graveyards
    need), without the per-pair table managers and sources group.

    Everything comes from the visits (a loss is a visit that ended `lost`, a win one
    that ended `won`), keyed by integers: visits are sorted by deal, so a deal is a run
    of rows (`gid`), and pipeline and stage are categories. Grouping and joining the
    deal id strings of a million events held hundreds of megabytes."""
    vis = t.visits.visits
    tz = t.tz
    d = pl.col("deal_id")
    base = vis.lazy().select(
        gid=(d != d.shift(1)).fill_null(True).cum_sum().cast(pl.Int64),
        pipeline=pl.col("pipeline").cast(pl.Categorical),
        stage=pl.col("stage").cast(pl.Categorical),
        entered="entered", left="left", exit="exit", reason="reason",
        manager=pl.col("manager").cast(pl.Categorical),
        source=pl.col("source").cast(pl.Categorical), value="value",
        contact="contact", picked="picked", known="entry_known",
        again="reopened").collect().lazy()
    # The last win of each deal and pipeline, joined to the entries: a window over
    # (gid, pipeline) on every visit cost three times as much (issue 14).
    wins = (base.filter(pl.col("exit") == WON).group_by(["gid", "pipeline"])
            .agg(tw=pl.col("left").max()))
    # Collected once: the stage values and the pair table both read it, and a lazy
    # frame read twice is computed twice.
    entries = (base.filter(pl.struct("gid", "pipeline", "stage").is_first_distinct())
               .join(wins, on=["gid", "pipeline"], how="left", maintain_order="left")
               .select("gid", "pipeline", "stage", "manager", "source", "value",
                       ta="entered", won=(pl.col("tw") >= pl.col("entered")).fill_null(False),
                       tp="picked", tx="left", known="known")
               .collect().lazy())
    stage_value = _stage_value(entries)
    pairs = _pairs(t) if with_pairs else []
    if pairs:
        closing = {p: a for p, a, b in pairs if b == WON}
        stage_value.update(_won_value(base, closing))
    if not pairs:
        return Cohorts(pl.DataFrame(schema=_PAIRS), stage_value, pairs)
    # `pair`: each pair's place in `order`, the one key the audit's tables group by.
    ptab = pl.DataFrame(pairs, schema={"pipeline": pl.Utf8, "from_stage": pl.Utf8,
                                       "to_stage": pl.Utf8}, orient="row").with_columns(
        pl.col("pipeline", "from_stage", "to_stage").cast(pl.Categorical)
    ).with_row_index("pair")
    # Each pair's second stage numbered (`k`): the reaches are joined on one integer, the
    # deal and that number (`gid · K + k`); on the three columns (gid, pipeline,
    # to_stage) the join took twice as long (issue 14).
    targets = ptab.select("pipeline", "to_stage").unique(maintain_order=True).with_row_index("k")
    ptab = ptab.join(targets, on=["pipeline", "to_stage"], maintain_order="left")
    gk = (pl.col("gid") * targets.height + pl.col("k").cast(pl.Int64)).alias("gk")
    # Each row of `a` (a deal's first entry into a pair's first stage) is numbered:
    # what follows it is grouped by that one integer, not by the four columns (gid,
    # pipeline, from_stage, to_stage) that identify it, and put back in place by it
    # (issue 14).
    first = (ptab.lazy().join(entries.rename({"stage": "from_stage"}),
                              on=["pipeline", "from_stage"]).collect())
    first = first.with_columns(months_of(first["ta"], tz).alias("month")).with_row_index("i")
    a = first.lazy()
    # A deal won from the pair's first stage itself went past the second: reached, at
    # the moment of its win (a lead converted straight from «В работе»); not one that
    # left it for another stage (`analytics._conversion`). The step to the win takes a
    # win from any stage.
    wins_at = base.filter(pl.col("exit") == WON).select("gid", "pipeline", from_stage="stage",
                                                        tb="left")
    to_win = pl.col("to_stage") == WON
    b = pl.concat([
        base.select("gid", "pipeline", to_stage="stage", tb="entered")
        .join(targets.lazy(), on=["pipeline", "to_stage"]).select(gk, "tb"),
        wins_at.join(ptab.lazy().filter(~to_win).select("pipeline", "from_stage", "k"),
                     on=["pipeline", "from_stage"]).select(gk, "tb"),
        wins_at.join(targets.lazy().filter(to_win), on="pipeline").select(gk, "tb"),
    ]).collect().lazy()
    reach = (a.select("i", gk, "ta")
             .join(b, on="gk")
             .filter(pl.col("tb") > pl.col("ta"))
             .group_by("i").agg(tb=pl.col("tb").min()))
    # How long the deals that made it took: a month is judged only once that long has
    # passed since its end (`maturity.mature_months`), or late cohorts look worse.
    # Each pair row's first loss, at or after its entry. Keyed by one integer, the deal
    # and its pipeline's category (`gp`): joined on the two columns it took a third
    # longer (issue 14).
    gp = (pl.col("gid") * 2 ** 32 + pl.col("pipeline").to_physical().cast(pl.Int64)).alias("gp")
    lost = base.filter(pl.col("exit") == LOST).select(gp, tl="left",
                                                       lreason="reason").collect().lazy()
    # The visits' table of categories and the entries are not needed from here on:
    # freed before the joins, they are not part of the audit's peak memory.
    del wins, entries
    # The losses are in the visits' order, by deal and then in time, and the join keeps
    # the rows of `a` and within each its losses in that order: a row's first loss is
    # its first joined row, found without sorting each row's losses by time (half the
    # time of `sort_by`, issue 14). Checked: should a deal's losses be out of time
    # order, they are sorted as before.
    losses = (a.select("i", gp, "ta").join(lost, on="gp", maintain_order="left_right")
              .filter(pl.col("tl") >= pl.col("ta")))
    first_loss = (losses.group_by("i")
                  .agg(pl.col("lreason").first(), pl.col("tl").first(), least=pl.col("tl").min())
                  .collect())
    if not (first_loss["tl"] == first_loss["least"]).all():
        first_loss = (losses.group_by("i")
                      .agg(pl.col("lreason").sort_by("tl").first(), pl.col("tl").min())
                      .collect())
    first_loss = first_loss.select("i", "lreason", "tl")
    reached = reach.collect()
    n = first.height
    reopens = _reopens(a, base, lost, first_loss)
    deals = _deals(base) if has_column(t, "contact") else None
    anew = _new_deals(deals, a, first_loss) if deals is not None else None
    regular = (a.select("i", "gid", "pipeline")
               .join(regular_orders(deals, "gid", "t0", "won_at", t.visits.data_start),
                     on=["gid", "pipeline"])
               .filter(pl.col("regular")).select("i").collect()["i"]
               if deals is not None else pl.Series("i", [], dtype=pl.UInt32))
    del base, deals
    out = (a.with_columns(_spread(n, reached["i"], reached["tb"]),
                          _spread(n, first_loss["i"], first_loss["tl"]),
                          _spread(n, first_loss["i"], first_loss["lreason"]),
                          _spread(n, reopens["i"], reopens["tr"]),
                          _spread(n, reopens["i"], reopens["tq"]),
                          *(_spread(n, anew["i"], anew[c]) if anew is not None else
                            pl.repeat(None, n, dtype=dt, eager=True).alias(c)
                            for c, dt in (("tn", pl.Datetime("us", "UTC")), ("nm", pl.Utf8),
                                          ("nwon", pl.Boolean), ("nrep", pl.Boolean))))
           .with_columns(
               direct=pl.col("tb").is_not_null()
               & (pl.col("tl").is_null() | (pl.col("tb") < pl.col("tl"))),
               lost=pl.col("tl").is_not_null()
               & (pl.col("tb").is_null() | (pl.col("tl") < pl.col("tb"))),
               # Lost, then the second stage reached, or back in the pipeline and not
               # lost again within the hour (`_reopens`).
               reopened=pl.col("tl").is_not_null() & (
                   (pl.col("tb").is_not_null() & (pl.col("tl") < pl.col("tb")))
                   | (pl.col("tb").is_null() & pl.col("tr").is_not_null() & (
                       pl.col("tq").is_null()
                       | (pl.col("tq") - pl.col("tl") >= timedelta(hours=REOPEN_HOURS))))),
               hours_to=pl.when(pl.col("tb").is_not_null()).then(
                   (pl.col("tb") - pl.col("ta")).dt.total_microseconds() / 3.6e9))
           .with_columns(new_deal=pl.col("lost") & ~pl.col("reopened")
                         & pl.col("tn").is_not_null() & ~pl.col("nrep"),
                         repeat_order=pl.col("lost") & ~pl.col("reopened")
                         & pl.col("tn").is_not_null() & pl.col("nrep"))
           .with_columns(came_back=pl.col("reopened") | pl.col("new_deal"),
                         new_manager=pl.when(pl.col("new_deal")).then(pl.col("nm")),
                         new_won=pl.when(pl.col("new_deal")).then(pl.col("nwon")))
           .with_columns(back_hours=pl.when(pl.col("reopened")).then(
               (pl.coalesce(["tr", "tb"]) - pl.col("tl")).dt.total_microseconds() / 3.6e9)
               .when(pl.col("new_deal")).then(
               (pl.col("tn") - pl.col("tl")).dt.total_microseconds() / 3.6e9))
           .with_columns(reason=pl.when(pl.col("lost")).then(pl.col("lreason")),
                         regular=pl.col("i").is_in(regular.implode()))
           .select(list(_PAIRS)).collect())
    return Cohorts(out, stage_value, pairs)


_PAIRS: dict[str, pl.DataType] = {
    "pipeline": pl.Categorical(), "from_stage": pl.Categorical(), "to_stage": pl.Categorical(),
    "pair": pl.UInt32(), "gid": pl.Int64(), "ta": pl.Datetime("us", "UTC"), "month": pl.Categorical(),
    "manager": pl.Categorical(), "source": pl.Categorical(), "value": pl.Float64(),
    "direct": pl.Boolean(), "won": pl.Boolean(),
    "lost": pl.Boolean(), "reason": pl.Utf8(), "came_back": pl.Boolean(),
    "reopened": pl.Boolean(), "new_deal": pl.Boolean(), "new_manager": pl.Utf8(),
    "new_won": pl.Boolean(), "repeat_order": pl.Boolean(),
    "hours_to": pl.Float64(), "tl": pl.Datetime("us", "UTC"), "back_hours": pl.Float64(),
    "tp": pl.Datetime("us", "UTC"), "tx": pl.Datetime("us", "UTC"), "known": pl.Boolean(),
    "regular": pl.Boolean()}


def _reopens(a: pl.LazyFrame, base: pl.LazyFrame, lost: pl.LazyFrame,
             first_loss: pl.DataFrame) -> pl.DataFrame:
    """For each pair row `i` lost at `tl` (`first_loss`): `tr`, when the same deal next
    entered a stage of the same pipeline after the loss (it was reopened), and `tq`, its
    first loss after that (null when it was not lost again); rows never reopened are
    absent. A reopened deal came back when it was not lost again within `REOPEN_HOURS`
    (or reached the pair's second stage): the client did, as a new deal of the same
    client does when it enters the pipeline, whatever comes of it. Counted only once it
    reached the pair's second stage, as before, a deal the client reopened and that was
    worked for weeks at the stage it was lost at, and lost again, was no comeback, while
    a new deal of the same client, lost at its first stage, was (a furniture maker's
    manager whose lukewarm «Замір» deals are reopened there read 10 of 42 back, and reads
    13 of 43, as his generator drew them, against the rest's 5 of 87, now 5 of 89; a
    SaaS rep who reopens 12 of his 27 early «Trial» losses read 7 of 22, now 12 of 26).
    Not lost again within the hour of the loss, because a deal
    reopened by mistake or only to change its loss reason is closed again in minutes:
    the client did not come back. Into another pipeline (a re-engagement pipeline the
    company moves old losses to) is no comeback either: a new deal counts only in the
    same pipeline too."""
    gp = (pl.col("gid") * 2 ** 32 + pl.col("pipeline").to_physical().cast(pl.Int64)).alias("gp")
    rows = (first_loss.lazy().select("i", "tl")
            .join(a.select("i", gp), on="i"))
    # Only the visits entered after a loss of the deal (`Visits.visits`' reopened): a
    # join of the losses with every visit of their deals cost 0.13 s at the 1M-event
    # benchmark (issue 14).
    back = (rows.join(base.filter(pl.col("again")).select(gp, tr="entered"), on="gp")
            .filter(pl.col("tr") > pl.col("tl"))
            .group_by("i").agg(pl.col("gp").first(), tr=pl.col("tr").min()))
    return (back.join(lost.select("gp", tq="tl"), on="gp", how="left")
            .group_by("i").agg(pl.col("tr").first(),
                               tq=pl.col("tq").filter(pl.col("tq") > pl.col("tr")).min())
            .collect())


def _deals(base: pl.LazyFrame) -> pl.LazyFrame:
    """One row per deal (`gid`) and pipeline of a named client: `contact`, its entry `t0`,
    its manager at its first stage (`nm`), whether it was won (`nwon`) and when
    (`won_at`, null when not)."""
    return (base.filter(pl.col("contact").is_not_null())
            .group_by(["gid", "pipeline"])
            .agg(pl.col("contact").first(), t0=pl.col("entered").min(),
                 nm=pl.col("manager").cast(pl.Utf8).sort_by("entered").first(),
                 nwon=(pl.col("exit") == WON).any(),
                 won_at=pl.col("left").filter(pl.col("exit") == WON).min())
            .collect().lazy())


def _new_deals(deals: pl.LazyFrame, a: pl.LazyFrame, first_loss: pl.DataFrame
               ) -> pl.DataFrame:
    """For each pair row `i` lost at `tl` (`first_loss`): `tn`, the first entry into the
    same pipeline of another deal of the deal's contact, after the loss and within
    `COMEBACK_DAYS`, with that deal's manager at its first stage (`nm`), whether it was
    won (`nwon`) and whether it is a buyer's next order (`nrep`: the client had bought in
    the pipeline before the loss, `transitions.first_new_deal`); rows with none are
    absent. A deal of the contact opened before the loss (two deals at once) is no
    comeback: the client had not left (`deals`: `_deals`)."""
    losses = (first_loss.lazy().select("i", "tl")
              .join(a.select("i", "gid", "pipeline"), on="i")
              .join(deals.select("gid", "pipeline", "contact"), on=["gid", "pipeline"]))
    return (first_new_deal(losses, deals, "gid", "tl", "t0", "won_at", ["i"])
            .select("i", tn="t0", nm="nm", nwon="nwon", nrep="repeat").collect())


def _spread(n: int, at: pl.Series, values: pl.Series) -> pl.Series:
    """`values` put at rows `at` of a column of `n` nulls: a left join on a row number,
    without the join."""
    return pl.repeat(None, n, dtype=values.dtype, eager=True).alias(values.name).scatter(
        at, values)


def _pairs(t: HistoryTables) -> list[tuple[str, str, str]]:
    """The stage pairs `history` tabulates conversion for, in its order, with each
    pipeline's step from its closing stage to the win (`analytics._with_won`): stage
    pairs alone never compared it, and a closer who loses deals at «Договор» was
    invisible (seed 002: «кто из менеджеров не может продавать следующий этап» — for
    the last stage, the next one is the win)."""
    conv = t.conversion
    if conv.height == 0:
        return []
    return conv.select("pipeline", "from_stage", "to_stage").unique(maintain_order=True).rows()


def _won_value(base: pl.LazyFrame, closing: dict[str, str]) -> dict[tuple[str, str], float]:
    """(pipeline, won) → the value of a won deal with a value: what a deal that reaches
    won from the closing stage is worth."""
    g = (base.filter(pl.col("exit") == WON)
         .filter(pl.struct("gid", "pipeline").is_first_distinct())
         .with_columns(pl.col("pipeline").cast(pl.Utf8))
         .filter(pl.col("pipeline").is_in(list(closing)))
         .group_by("pipeline").agg(v=exact_mean(pl.col("value"))).collect())
    return {(p, WON): float(v) for p, v in g.iter_rows() if v is not None}


def _stage_value(entries: pl.LazyFrame) -> dict[tuple[str, str], float]:
    """(pipeline, stage) → what a deal entering the stage is worth: the mean amount of
    its won deals that have one, times the share of its deals that were won. A deal
    without an amount is taken to be worth what the others are, won or not: dividing the
    won value by every deal understated each stage's worth, and every sum at stake, by
    the share of deals whose value was not filled in (27 % on a history with 30 % of
    values missing); dividing it by the deals with an amount priced every deal as a sure
    win where the amount is written at the win only (Olist's `declared_monthly_revenue`,
    a CRM's «бюджет» filled at the contract: 999 a deal where 842 wins of 1,000 among
    8,000 deals make 105). A stage none of whose won deals has an amount has no worth;
    one none of whose deals was won is worth nothing when its deals have amounts."""
    g = entries.group_by(["pipeline", "stage"]).agg(
        n=pl.len(), valued=pl.col("value").is_not_null().sum(), won=pl.col("won").sum(),
        won_valued=(pl.col("won") & pl.col("value").is_not_null()).sum(),
        won_value=exact_sum(pl.col("value").filter(pl.col("won")))).collect()
    out: dict[tuple[str, str], float] = {}
    for p, s, n, k, won, wk, v in g.iter_rows():
        if wk:
            out[(str(p), str(s))] = float(v) / wk * won / n
        elif k and not won:
            out[(str(p), str(s))] = 0.0
    return out
