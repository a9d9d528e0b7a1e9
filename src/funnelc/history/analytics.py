"""The tables of `funnelc history`, each a small polars frame computed from the visits
(`transitions.Visits`) with group-bys and joins, never a loop over deals.

Months are calendar months in the account's time zone (`--tz`, UTC by default); a deal
belongs to the month it entered the stage the row is about (cohorts), so a month's
conversion counts deals that entered then, whenever they moved on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from .events import LOST, REASON_NOT_KEPT, STAGE, WON
from .load import History
from .maturity import mature_months, seen_from, whole_months
from .order import FunnelRoutes
from .stats import MIN_MONTH_DEALS
from .transitions import OPEN, Visits, build_visits, by_deal, client_returns, kept_losses, returns

__all__ = ["HistoryTables", "analyse", "analyse_conversion", "GRAVEYARD_MIN_DAYS", "month_of", "months_of"]

GRAVEYARD_MIN_DAYS = 14.0
"""A deal still in a stage counts as hoarded when it has been there longer than 95 % of
the stage's visits that move on take (`_leavers_p95`), than its SLA when the funnel gives one
(`order.FunnelRoutes.sla_hours`, in working hours of its age when the account's `hours`
make it count them), and at least this many days."""
GRAVEYARD_MIN_SHARE = 0.05
GRAVEYARD_MIN_DEALS = 5
"""A stage is a graveyard when its hoarded deals are at least 5 and at least 5 % of the
deals that ever entered it (seed 002: «кладбище сделок»)."""


def month_of(col: str, tz: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(tz).dt.strftime("%Y-%m")


def months_of(times: pl.Series, tz: str) -> pl.Series:
    """`month_of` of a column of UTC moments, as categories: each moment looked up
    between the instants the months of `tz` begin (a binary search over a dozen), not
    converted and formatted one by one, which took 0.07 s of the 677,245 rows of the
    1M-event benchmark's pair table against 0.015 (issue 14). Should the clocks change
    within a few hours of a month's start (Havana's and Asunción's midnight, where a
    jump across midnight or a fall back from the new month into the old one could not
    be looked up so), the column is formatted moment by moment."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    def slow() -> pl.Series:
        return times.dt.convert_time_zone(tz).dt.strftime("%Y-%m").cast(pl.Categorical)

    lo, hi = times.min(), times.max()
    if times.null_count() or not isinstance(lo, datetime) or not isinstance(hi, datetime):
        return slow()
    zone = ZoneInfo(tz)
    near = timedelta(hours=6)
    first, last = lo.astimezone(zone), hi.astimezone(zone)
    y, m = first.year, first.month
    starts: list[datetime] = []
    labels: list[str] = []
    while (y, m) <= (last.year, last.month):
        start = datetime(y, m, 1, tzinfo=zone).astimezone(UTC)
        if (start - near).astimezone(zone).utcoffset() \
                != (start + near).astimezone(zone).utcoffset():
            return slow()
        starts.append(start)
        labels.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    at = pl.Series(starts, dtype=times.dtype).search_sorted(times, side="right") - 1
    return pl.Series(times.name, labels).cast(pl.Categorical).gather(at)


@dataclass
class HistoryTables:
    inflow: pl.DataFrame
    conversion: pl.DataFrame
    losses: pl.DataFrame
    time_in_stage: pl.DataFrame
    moves: pl.DataFrame
    """Moves other than a declared (with a funnel) or one-rank (without) step forward,
    per (pipeline, from, to pipeline, to): kind, deals, stages skipped, declared, and
    whether it is a problem (undeclared; without a funnel, a skip or a move back)."""
    moves_summary: pl.DataFrame
    comebacks: pl.DataFrame
    graveyards: pl.DataFrame
    shape: pl.DataFrame
    backlog: pl.DataFrame
    """Deals in each stage at each month end (WIP), for the back-test and the plots."""
    visits: Visits
    tz: str
    deals: int = 0
    events: int = 0
    notes: list[str] = field(default_factory=list)
    touches: pl.DataFrame | None = None
    """The deals' completed activities (`load.History.touches`), for the graveyard's
    segments by the days a deal went untouched; None when the export has none."""


def analyse(history: History, order_hint: dict[str, dict[str, int]] | None = None,
            pairs: list[tuple[str, str, str]] | None = None, *,
            routes: FunnelRoutes | None = None) -> HistoryTables:
    """`routes`: the funnel's stage order and declared moves (`order.funnel_routes`);
    `order_hint`: the funnel's order alone (pipeline → stage → position); `pairs`:
    (pipeline, from, to) whose conversion to tabulate (the funnel's stage-to-stage
    outcomes), else every pair of stages on consecutive ranks that the data shows a
    direct move between."""
    tz = history.tz
    ev = history.events
    v = _ranked_visits(history, order_hint, routes)
    vis = v.visits
    moves, summary = _moves(vis, v)
    return HistoryTables(
        inflow=_inflow(ev, tz, routes.copied if routes else frozenset()),
        conversion=_conversion_of(v, ev, pairs, tz),
        losses=_in_order(_losses(vis), v.order), time_in_stage=_time_in_stage(vis, v),
        moves=moves, moves_summary=summary,
        comebacks=_comebacks(ev, tz), graveyards=_graveyards(vis, v, tz),
        shape=_shape(vis, ev, v.order), backlog=backlog(vis, v, tz), visits=v, tz=tz,
        deals=ev["deal_id"].n_unique() if ev.height else 0, events=ev.height,
        touches=history.touches)


def analyse_conversion(history: History, order_hint: dict[str, dict[str, int]] | None = None,
                       pairs: list[tuple[str, str, str]] | None = None
                       ) -> tuple[pl.DataFrame, Visits]:
    """`analyse`'s conversion table and visits alone, the same to the last row: what a
    back-test measures of each simulation run (`backtest_figures`), without the other
    tables, two thirds of `analyse`'s time."""
    v = _ranked_visits(history, order_hint, None)
    return _conversion_of(v, history.events, pairs, history.tz), v


def _ranked_visits(history: History, order_hint: dict[str, dict[str, int]] | None,
                   routes: FunnelRoutes | None) -> Visits:
    """The visits, each with the rank of its stage and of the stage it left for, and the
    moment the history holds its cohorts whole from."""
    v = build_visits(history.events, order_hint, history.catalog, routes=routes)
    vis = v.visits
    rank = _ranks(v.rank)
    # Joined on the key columns alone, then added: a join of the whole table copies
    # every column of it.
    keys = vis.lazy().select("pipeline", "stage", "to_pipeline", "to_stage")
    ranks = keys.join(rank.lazy(), on=["pipeline", "stage"], how="left",
                      maintain_order="left").join(
        rank.lazy().rename({"pipeline": "to_pipeline", "stage": "to_stage", "rank": "to_rank"}),
        on=["to_pipeline", "to_stage"], how="left", maintain_order="left").select(
        "rank", "to_rank").collect()
    vis = vis.with_columns(ranks.get_column("rank"), ranks.get_column("to_rank"))
    del ranks
    v.visits = vis
    v.seen_from = seen_from(vis, v.data_start)
    return v


def _conversion_of(v: Visits, ev: pl.DataFrame, pairs: list[tuple[str, str, str]] | None,
                   tz: str) -> pl.DataFrame:
    vis = v.visits
    return _conversion(vis, ev, _with_won(vis, pairs or _pairs(vis, v), v.order), tz,
                       v.seen_from)


def _ranks(rank: dict[tuple[str, str], int]) -> pl.DataFrame:
    rows = [(p, s, r) for (p, s), r in rank.items()]
    return pl.DataFrame(rows, schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "rank": pl.Int64},
                        orient="row")


def _pairs(vis: pl.DataFrame, v: Visits) -> list[tuple[str, str, str]]:
    moved = vis.lazy().filter(
        (pl.col("exit") == STAGE) & (pl.col("to_pipeline") == pl.col("pipeline"))
        & (pl.col("to_rank") == pl.col("rank") + 1)).group_by(
        ["pipeline", "stage", "to_stage"]).agg(n=pl.len()).collect()
    seen = {(p, a, b) for p, a, b, _ in moved.iter_rows()}
    out = []
    for p, lst in v.order.items():
        for a in lst:
            for b in lst:
                if (p, a, b) in seen:
                    out.append((p, a, b))
    return out


def _with_won(vis: pl.DataFrame, pairs: list[tuple[str, str, str]],
              order: dict[str, list[str]] | None = None) -> list[tuple[str, str, str]]:
    """`pairs` with each pipeline's step from its closing stage to the win after its
    last pair: the stage most of its wins were closed from, among the stages of its
    pairs (the later one in the pairs' order on a tie); the audit's pairs are these
    (`cohorts._pairs`). Stage pairs alone never showed the last step: a Kyiv school's
    trial lessons paid for falling from 40 % to 24 % in every source was in the audit and
    in no month of the conversion table or its plot.

    A pipeline with wins and no stage pair (one working stage: «Engaging» → won or
    lost, what a deal list with one dated stage holds) gets its step too, from the stage
    most of its wins were closed from (the later in `order` on a tie): without it, the
    public 8,800-deal list had no conversion, no manager and no source compared at all."""
    rank: dict[tuple[str, str], int] = {}
    for p, a, b in pairs:
        for s in (a, b):
            rank.setdefault((p, s), len(rank))
    wins = (vis.lazy().filter(pl.col("exit") == WON).group_by(["pipeline", "stage"])
            .agg(n=pl.len()).collect())
    last = {p: i for i, (p, _a, _b) in enumerate(pairs)}
    best: dict[str, tuple[int, int, str]] = {}
    for p, s, n in wins.iter_rows():
        at = rank.get((p, s))
        if at is None and p not in last:
            stages = (order or {}).get(p, [])
            at = stages.index(s) if s in stages else -1
        if at is not None and (p not in best or (n, at) > best[p][:2]):
            best[p] = (n, at, s)
    out: list[tuple[str, str, str]] = []
    for i, (p, a, b) in enumerate(pairs):
        out.append((p, a, b))
        if last[p] == i and p in best:
            out.append((p, best[p][2], WON))
    out += [(p, best[p][2], WON) for p in sorted(best) if p not in last]
    return out


def _inflow(ev: pl.DataFrame, tz: str, copied: frozenset[str] = frozenset()
            ) -> pl.DataFrame:
    """New deals per month, pipeline they started in and source (a deal's source, else
    the stage it started in).
    A deal that starts in a pipeline only copies enter (`copied`) is listed by that stage
    too, whatever source it carries: amoCRM copies a lost lead, utm fields and all, into
    the nurture pipeline as a new lead, and an online school's «Прогрев» copies were
    counted as the sources' new leads (vk 46 in July for the 40 that came, and 7 «new»
    leads in a November that brought none)."""
    d = pl.col("deal_id")
    first = by_deal(ev).lazy().filter((d != d.shift(1)).fill_null(True)).select(
        "ts", "source", "pipeline", "stage").collect()
    first = first.with_columns(
        month=month_of("ts", tz),
        source=pl.coalesce([pl.when(~pl.col("pipeline").is_in(list(copied)))
                            .then(pl.col("source")),
                            pl.when(pl.col("pipeline") == "")  # a CSV without pipelines
                            .then(pl.lit("→ ") + pl.col("stage"))
                            .otherwise(pl.lit("→ ") + pl.col("pipeline") + pl.lit(".")
                                       + pl.col("stage"))]))
    # By pipeline too: a clinic's January «Звонок» 23 were 16 new patients and 7
    # returning ones who called into «Повторные», read as one source's 23 new leads.
    keys = ["month", "pipeline", "source"]
    return first.group_by(keys).agg(deals=pl.len()).sort(keys)


def _conversion(vis: pl.DataFrame, ev: pl.DataFrame, pairs: list[tuple[str, str, str]],
                tz: str, since: datetime | None = None) -> pl.DataFrame:
    """Stage-to-stage conversion by the month deals entered the first stage of the pair:
    `direct` counts deals that entered the second stage (or were won from the first: they
    went past it) before any loss, `with_returns`
    also those that got there after being lost and brought back (seed 003's «было» and
    «стало»). `complete` is false for a month whose deals have not all had time to move
    on (`maturity`): its conversion will still rise, and read as a fall it misleads.
    `few` is true for a month of fewer than `stats.MIN_MONTH_DEALS` deals: its
    conversion says nothing of the month (the plot draws it apart, the tables mark it);
    both are null on the `all` row. `partial` is true for a month that began before the
    history holds its cohorts whole (`since`, `maturity.seen_from`: an export that starts
    mid-stream keeps the month's deals still open then, not those that had closed), null
    on the `all` row."""
    end = ev["ts"].max() if ev.height else None
    data_end = end if isinstance(end, datetime) else None
    lost = ev.lazy().filter(pl.col("kind") == LOST).select("deal_id", "pipeline", tl="ts").collect()
    out: list[pl.DataFrame] = []
    for pipe, a, b in pairs:
        if pipe is not None:  # "" is a CSV without a pipeline column
            fa = (vis.lazy().filter((pl.col("pipeline") == pipe) & (pl.col("stage") == a))
                  .group_by("deal_id").agg(ta=pl.col("entered").min()).collect())
            if fa.height == 0:
                continue
            # A deal won from `a` itself went past `b` (a lead converted straight from «В
            # работе», a deal closed won from any stage): reached. One that left `a` for
            # another stage did not, whatever came of it later: counting its win made a
            # furniture maker's «Розрахунок → Думає» 345 of 404 when 267 ever were in
            # «Думає» (78 went straight to «Договір», a route the funnel declares, and
            # won; the 21 of them who did not win were not counted).
            to_b = vis.lazy().filter((pl.col("pipeline") == pipe) & (pl.col("stage") == b)
                                     ).select("deal_id", t="entered")
            # The step to the win itself takes a win from any stage.
            won_at = vis.lazy().filter((pl.col("exit") == WON) & (pl.col("pipeline") == pipe)
                                       & ((pl.col("stage") == a) | pl.lit(b == WON))
                                       ).select("deal_id", t="left")
            r = (pl.concat([to_b, won_at]).collect()
                 .join(fa, on="deal_id").filter(pl.col("t") > pl.col("ta"))
                 .group_by("deal_id").agg(tb=pl.col("t").min()))
            lo = (lost.filter(pl.col("pipeline") == pipe).join(fa, on="deal_id")
                  .filter(pl.col("tl") >= pl.col("ta")).group_by("deal_id")
                  .agg(tl=pl.col("tl").min()))
            c = fa.join(r, on="deal_id", how="left").join(lo, on="deal_id", how="left")
            c = c.with_columns(month=month_of("ta", tz),
                               any=pl.col("tb").is_not_null(),
                               direct=pl.col("tb").is_not_null()
                               & (pl.col("tl").is_null() | (pl.col("tb") < pl.col("tl"))))
            g = c.group_by("month").agg(entered=pl.len(), direct=pl.col("direct").sum(),
                                        with_returns=pl.col("any").sum())
            took = c.select((pl.col("tb") - pl.col("ta")).dt.total_microseconds() / 3.6e9)
            months = sorted(m for m in g["month"].to_list() if m is not None)
            ready = mature_months(months, took.to_series(), data_end, tz)
            g = g.with_columns(complete=pl.col("month").is_in(ready))
            tot = c.select(month=pl.lit("all"), entered=pl.len(), direct=pl.col("direct").sum(),
                           with_returns=pl.col("any").sum(),
                           complete=pl.lit(None, pl.Boolean))
            g = pl.concat([g.sort("month"), tot]).with_columns(
                pipeline=pl.lit(pipe), from_stage=pl.lit(a), to_stage=pl.lit(b))
            out.append(g)
    if not out:
        return pl.DataFrame(schema={"pipeline": pl.Utf8, "from_stage": pl.Utf8,
                                    "to_stage": pl.Utf8, "month": pl.Utf8, "entered": pl.UInt32,
                                    "direct": pl.UInt32, "with_returns": pl.UInt32,
                                    "direct_pct": pl.Float64, "with_returns_pct": pl.Float64,
                                    "complete": pl.Boolean, "few": pl.Boolean,
                                    "partial": pl.Boolean})
    res = pl.concat(out).select("pipeline", "from_stage", "to_stage", "month",
                                pl.col("entered").cast(pl.UInt32),
                                pl.col("direct").cast(pl.UInt32),
                                pl.col("with_returns").cast(pl.UInt32), "complete")
    months = [m for m in res["month"].unique().to_list() if m != "all"]
    whole = set(whole_months(months, since, tz))
    cut = {m: m not in whole for m in months}
    return res.with_columns(direct_pct=100 * pl.col("direct") / pl.col("entered"),
                            with_returns_pct=100 * pl.col("with_returns") / pl.col("entered"),
                            few=pl.when(pl.col("month") != "all")
                            .then(pl.col("entered") < MIN_MONTH_DEALS),
                            partial=pl.col("month").replace_strict(cut, default=None,
                                                                   return_dtype=pl.Boolean)
                            ).select(pl.exclude("complete", "few", "partial"), "complete", "few",
                                     "partial")


def _reason(reason: str, unkept: str) -> pl.Expr:
    """A loss's reason as the tables name it: «(reason not kept)» where the export did
    not keep it (Bitrix24's field after a comeback), «(no reason)» where nobody gave one."""
    return (pl.when(pl.col(unkept).fill_null(False)).then(pl.lit(REASON_NOT_KEPT))
            .otherwise(pl.col(reason).fill_null("(no reason)")))


def _losses(vis: pl.DataFrame) -> pl.DataFrame:
    # A loss undone within the hour (reopened and lost again: a misclick, a reason
    # changed) is one loss and one exit with the visit after it, whose reason is the
    # settled one (`transitions.undone`): counted twice, a reason changed on reopening
    # read as a loss for each reason.
    kept = vis.lazy().filter(~pl.col("undone")) if "undone" in vis.columns else vis.lazy()
    lost = kept.filter(pl.col("exit") == LOST).with_columns(
        reason=_reason("reason", "reason_unkept"))
    exits = (kept.filter(pl.col("exit") != OPEN).group_by(["pipeline", "stage"])
             .agg(exits=pl.len()).collect())
    g = lost.group_by(["pipeline", "stage", "reason"]).agg(deals=pl.len()).collect()
    g = g.join(exits, on=["pipeline", "stage"]).with_columns(
        share_of_losses=100 * pl.col("deals") / pl.col("deals").sum().over(["pipeline", "stage"]),
        share_of_exits=100 * pl.col("deals") / pl.col("exits"))
    return g.sort(["pipeline", "stage", "deals", "reason"], descending=[False, False, True, False])


def _by_stage(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The frame with pipeline and stage as categories: grouping a million rows by two
    string columns hashed and held every key (the largest transient of `history`); the
    results are cast back (`_named`)."""
    return frame.with_columns(pl.col("pipeline", "stage").cast(pl.Categorical))


def _named(frame: pl.LazyFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("pipeline", "stage").cast(pl.Utf8)).collect()


def _time_in_stage(vis: pl.DataFrame, v: Visits) -> pl.DataFrame:
    done = _by_stage(vis.lazy().select("pipeline", "stage", "hours")
                     .filter(pl.col("hours").is_not_null()))
    g = _named(done.group_by(["pipeline", "stage"]).agg(
        n=pl.len(), mean_h=pl.col("hours").mean(), p10_h=pl.col("hours").quantile(0.1),
        median_h=pl.col("hours").median(), p90_h=pl.col("hours").quantile(0.9),
        max_h=pl.col("hours").max()))
    # The visits still open at the end of the data are not in the figures (their time is
    # not known yet), so their median age is given beside them: a graveyard's finished
    # visits are its short ones («Думає»: median 3,8 days, its 135 open deals 87,7 days).
    end = v.data_end
    opn = (vis.lazy().filter(pl.col("exit") == OPEN).group_by(["pipeline", "stage"])
           .agg(open=pl.len(), open_age_median_h=(
               pl.lit(end).cast(pl.Datetime("us", "UTC")) - pl.col("entered"))
               .dt.total_microseconds().median() / 3.6e9).collect())
    g = g.join(opn, on=["pipeline", "stage"], how="full", coalesce=True).with_columns(
        pl.col("n").fill_null(0), pl.col("open").fill_null(0))
    return _in_order(g, v.order)


def _in_order(df: pl.DataFrame, order: dict[str, list[str]]) -> pl.DataFrame:
    pos = pl.DataFrame([(p, s, i, j) for i, (p, lst) in enumerate(order.items())
                        for j, s in enumerate(lst)],
                       schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "pi": pl.Int64,
                               "si": pl.Int64}, orient="row")
    # A stage the order does not hold goes last, by name; the rows of one stage keep the
    # order they came in (the backlog's months).
    return (df.join(pos, on=["pipeline", "stage"], how="left", maintain_order="left")
            .sort(["pi", "si", "pipeline", "stage"], nulls_last=True, maintain_order=True)
            .drop(["pi", "si"]))


MOVE_KINDS = ("forward", "skip", "backward", "sideways", "other pipeline")
"""Moves by the ranks of their stages; `sideways` stays on one rank (parallel stages
of an inferred order, or the same stage entered again)."""


def _moves(vis: pl.DataFrame, v: Visits) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every move from a stage to a stage, classified; (the moves worth a look, the
    summary per pipeline). With a funnel a move is declared or not (`FunnelRoutes`), and
    only an undeclared one counts as a skip or a move back; without one, a move is judged
    by the ranks of the order in use (`Visits.rank`)."""
    g = (vis.lazy().filter(pl.col("exit") == STAGE)
         .group_by(["pipeline", "stage", "to_pipeline", "to_stage"])
         .agg(deals=pl.len(), rank=pl.col("rank").first(), to_rank=pl.col("to_rank").first())
         .collect())
    routes = v.routes
    rows = []
    for p, a, p2, b, n, r, r2 in g.iter_rows():
        declared = None if routes is None else (p, a, p2, b) in routes.declared
        skipped = None
        if p2 != p:
            kind = "other pipeline"
        elif r is None or r2 is None or r2 == r:
            kind = "sideways"
        elif r2 < r:
            kind = "backward"
        elif routes is None:
            kind = "forward" if r2 == r + 1 else "skip"
            skipped = r2 - r - 1 if kind == "skip" else None
        elif declared:
            kind = "forward"
        else:
            kind = "skip"
            steps = routes.steps(p, a, b)
            skipped = steps - 1 if steps is not None else None
        rows.append((p, kind, a, p2, b, n, skipped, declared))
    frame = pl.DataFrame(rows, schema={
        "pipeline": pl.Utf8, "kind": pl.Utf8, "stage": pl.Utf8, "to_pipeline": pl.Utf8,
        "to_stage": pl.Utf8, "deals": pl.Int64, "skipped": pl.Int64, "declared": pl.Boolean},
        orient="row")
    problem = pl.col("kind").is_in(["skip", "backward"]) if routes is None else (
        ~pl.col("declared"))
    shown = frame.filter(problem | (pl.col("kind") != "forward")).with_columns(
        problem=problem)
    prank = {p: i for i, p in enumerate(v.order)}
    shown = shown.with_columns(
        o=pl.col("pipeline").replace_strict(prank, default=len(prank), return_dtype=pl.Int64),
        k=pl.col("kind").replace_strict({k: i for i, k in enumerate(MOVE_KINDS)},
                                        return_dtype=pl.Int64),
    ).sort(["o", "pipeline", "problem", "k", "deals", "stage", "to_pipeline", "to_stage"],
           descending=[False, False, True, False, True, False, False, False]).drop(["o", "k"])
    n = pl.col("deals")
    undeclared = (~pl.col("declared")).fill_null(False)
    counted = ((pl.col("kind") == "skip") | (pl.col("kind") == "backward")) & (
        undeclared if routes is not None else pl.lit(True))
    summary = frame.group_by("pipeline").agg(
        moves=n.sum(),
        forward=n.filter(pl.col("kind") == "forward").sum(),
        skips=n.filter(counted & (pl.col("kind") == "skip")).sum(),
        backward=n.filter(counted & (pl.col("kind") == "backward")).sum(),
        declared=n.filter(pl.col("declared")).sum() if routes is not None
        else pl.lit(None, pl.Int64),
        undeclared=n.filter(undeclared).sum() if routes is not None else pl.lit(None, pl.Int64),
        declared_backward=n.filter(pl.col("declared").fill_null(False)
                                   & (pl.col("kind") == "backward")).sum(),
        other_pipeline=n.filter(pl.col("kind") == "other pipeline").sum(),
    ).with_columns(
        pl.col(c).cast(pl.Int64) for c in ("moves", "forward", "skips", "backward", "declared",
                                           "undeclared", "declared_backward", "other_pipeline")
    ).with_columns(
        backward_pct=100 * pl.col("backward") / pl.col("moves"),
        skip_pct=100 * pl.col("skips") / pl.col("moves"),
        undeclared_pct=100 * pl.col("undeclared") / pl.col("moves"),
    ).with_columns(o=pl.col("pipeline").replace_strict(prank, default=len(prank),
                                                       return_dtype=pl.Int64)
                   ).sort(["o", "pipeline"]).drop("o")
    return shown, summary


def _comebacks(ev: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Deals lost and later brought back (seed 003: 19 leads «слиты», then qualified),
    or whose client came back as a new deal (seed 001: a warm lead closed as lost comes
    back as a new lead of the same contact; `transitions.client_returns`), by the month
    they were lost, the reason and where they came back to. `new_deal` counts the
    latter: the audit's premature losses are counted alike."""
    r = pl.concat([returns(ev).with_columns(new_deal=pl.lit(False)),
                   client_returns(ev).with_columns(new_deal=pl.lit(True))])
    # A loss undone within the hour (reopened and closed again) is one loss with the
    # next, not two (`transitions.undone`).
    lost = kept_losses(ev).lazy().with_columns(
        month=month_of("ts", tz), reason=_reason("loss_reason", "reason_unkept"))
    lost_n = lost.group_by(["pipeline", "month", "reason"]).agg(lost=pl.len()).collect()
    r = r.with_columns(month=month_of("lost_at", tz), reason=_reason("reason", "reason_unkept"))
    g = r.group_by(["pipeline", "month", "reason"]).agg(
        came_back=pl.len(), new_deal=pl.col("new_deal").sum().cast(pl.Int64),
        won_later=pl.col("won_later").sum(),
        median_days=pl.col("hours").median() / 24,
        # Of stages tied as the most frequent, the first by name: mode() returns the tied
        # in no fixed order, and «back to» changed between runs.
        back_to=pl.col("back_stage").mode().sort().first())
    # A loss whose reason the export did not keep is a loss the deal came back from
    # (Bitrix24 keeps a deal's current reason): its row holds comebacks alone, and its
    # share read 100 % in every month of a furniture maker's history where 20 of about
    # 1,000 losses came back. No share, then.
    # came_back_pct is a percent, as every `_pct` of the history's tables (direct_pct,
    # hoarded_pct ...); came_back_share is the same as a fraction, as every `share` and
    # `rate` (the audit's tables): a script that read it beside those was 100x off.
    kept = pl.col("reason") != REASON_NOT_KEPT
    g = g.join(lost_n, on=["pipeline", "month", "reason"], how="left").with_columns(
        came_back_pct=pl.when(kept).then(100 * pl.col("came_back") / pl.col("lost")),
        came_back_share=pl.when(kept).then(pl.col("came_back") / pl.col("lost")))
    # The reason breaks a tie: the group-by's rows come in no fixed order, and tied rows
    # changed places from run to run (terminal, JSON, page).
    return g.sort(["pipeline", "month", "came_back", "reason"],
                  descending=[False, False, True, False])


def _leavers_p95(vis: pl.DataFrame, end: object) -> pl.DataFrame:
    """Per stage, the time by which 95 % of the visits that move on from it (to a later
    stage of its pipeline, or won) have moved on, with the other exits as competing ones
    and the visits still there counted for as long as they were watched (Aalen–Johansen:
    the share moved on by t, over the share moved on by the longest watch). The losses
    are left out of the yardstick: a graveyard is cleared by losing its old deals months
    later, and counting those clearances made the yardstick of a stage where deals hoard
    the graveyard's own age — «Думают», where 95 % of the deals that moved on did so
    within 34 days, read 171 days and called 4 of its 62 open deals (median age 82 days)
    hoarded; now 41 days and 42 deals (`tests/test_grave_b24_ru_graveyard.py`). The
    visits that ended are the short ones of a young history, so the deals still there
    are counted as watched, not dropped. A stage no deal moved on from keeps the
    percentile of every visit that left it."""
    key = ["pipeline", "stage"]
    age = (pl.lit(end).cast(pl.Datetime("us", "UTC")) - pl.col("entered")
           ).dt.total_microseconds() / 3.6e9
    forward = ((pl.col("exit") == WON)
               | ((pl.col("exit") == STAGE) & (pl.col("to_pipeline") == pl.col("pipeline"))
                  & (pl.col("to_rank") > pl.col("rank")))).fill_null(False)
    rows = _by_stage(vis.lazy().filter(pl.col("entry_known")).select(
        *key, h=pl.coalesce([pl.col("hours"), age]), left=pl.col("exit") != OPEN,
        forward=forward)
        .filter(pl.col("h").is_not_null())
        .sort([*key, "h", "left"], descending=[False, False, False, True]))
    at_risk = (pl.len().over(key) - pl.int_range(pl.len()).over(key)).cast(pl.Float64)
    step = pl.when(pl.col("left")).then((1 - 1 / at_risk).log()).otherwise(0.0)
    # The share that left by t (every exit), and the share that moved on by t: each move
    # on takes 1/at-risk of the deals still there just before it. One pass, collected
    # once: the two percentiles are read from the same rows.
    rows = rows.with_columns(at_risk=at_risk, stay=step.cum_sum().over(key).exp())
    before = pl.col("stay").shift(1).over(key).fill_null(1.0)
    rows = rows.with_columns(
        moved=(before * pl.col("forward").cast(pl.Float64) / pl.col("at_risk"))
        .cum_sum().over(key))
    done = rows.with_columns(
        share_left=(1 - pl.col("stay")) / (1 - pl.col("stay")).last().over(key),
        share_moved=pl.col("moved") / pl.col("moved").last().over(key)).filter(
        pl.col("left")).select(*key, "h", "forward", "share_left", "share_moved").collect()

    def p95(rows_done: pl.DataFrame, share: str) -> pl.DataFrame:
        return (rows_done.filter(pl.col(share) >= 0.95 - 1e-12).group_by(key)
                .agg(p95_h=pl.col("h").min())
                .with_columns(pl.col("pipeline", "stage").cast(pl.Utf8)))

    movers = p95(done.filter(pl.col("forward")), "share_moved")
    leavers = p95(done, "share_left").join(movers.select(*key), on=key, how="anti")
    return pl.concat([movers, leavers])


def _graveyards(vis: pl.DataFrame, v: Visits, tz: str = "UTC") -> pl.DataFrame:
    end = v.data_end
    done = _named(_by_stage(vis.lazy().select("pipeline", "stage", "hours")
                            .filter(pl.col("hours").is_not_null()))
                  .group_by(["pipeline", "stage"]).agg(median_h=pl.col("hours").median()))
    done = done.join(_leavers_p95(vis, end), on=["pipeline", "stage"], how="left")
    ent = vis.group_by(["pipeline", "stage"]).agg(entered=pl.len())
    # A deal's age on the clock, and against its stage's SLA: when the account's `hours`
    # make the SLA count working hours (`FunnelRoutes.hours`, as the simulator runs it),
    # its age in those working hours (`speed.hours_between`).
    calendar = v.routes.hours if v.routes is not None else None
    still = vis.lazy().filter(pl.col("exit") == OPEN).select(
        "pipeline", "stage", "entered", end=pl.lit(end).cast(pl.Datetime("us", "UTC"))
    ).with_columns(age_h=(pl.col("end") - pl.col("entered")).dt.total_microseconds() / 3.6e9)
    if calendar is not None:
        from .speed import hours_between

        still = still.with_columns(sla_age_h=hours_between("entered", "end", tz, calendar))
    else:
        still = still.with_columns(sla_age_h=pl.col("age_h"))
    opn = still.select("pipeline", "stage", "age_h", "sla_age_h").collect()
    g = (ent.join(done, on=["pipeline", "stage"], how="left")
         .join(opn.group_by(["pipeline", "stage"]).agg(open=pl.len(),
                                                       age_median_h=pl.col("age_h").median()),
               on=["pipeline", "stage"], how="left"))
    # A stage's SLA, when the funnel gives one: deals younger than it wait for it by
    # design. The visits that ended are the short ones in a young history, so their 95th
    # percentile alone called a reminder stage's deals hoarded before their SLA was due.
    sla = pl.DataFrame([(p, s, h) for (p, s), h in (v.routes.sla_hours if v.routes else {}).items()],
                       schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "sla_h": pl.Float64},
                       orient="row")
    g = g.join(sla, on=["pipeline", "stage"], how="left")
    # The SLA is set against the age it counts (working hours with the account's `hours`):
    # set against the clock age, `sla 740h`, some three months of a school's 57-hour
    # week, read as 30.8 days and called 6 of its deals hoarded well inside it, and
    # `sla 193h`, 30 days of a 45-hour week as FN124 writes it, as 8 days.
    limit = pl.max_horizontal(pl.col("p95_h").fill_null(0.0), pl.lit(GRAVEYARD_MIN_DAYS * 24))
    stale = opn.join(g.select("pipeline", "stage", "sla_h", limit=limit),
                     on=["pipeline", "stage"]).filter(
        (pl.col("age_h") > pl.col("limit"))
        & (pl.col("sla_h").is_null() | (pl.col("sla_age_h") > pl.col("sla_h")))
    ).group_by(["pipeline", "stage"]).agg(hoarded=pl.len())
    g = g.join(stale, on=["pipeline", "stage"], how="left").with_columns(
        pl.col("open").fill_null(0), pl.col("hoarded").fill_null(0))
    g = g.with_columns(hoarded_pct=100 * pl.col("hoarded") / pl.col("entered"),
                       graveyard=(pl.col("hoarded") >= GRAVEYARD_MIN_DEALS)
                       & (pl.col("hoarded") >= GRAVEYARD_MIN_SHARE * pl.col("entered")))
    return _in_order(g, v.order)


def _shape(vis: pl.DataFrame, ev: pl.DataFrame, order: dict[str, list[str]]) -> pl.DataFrame:
    """Deals that ever entered each stage, and won, per pipeline: the funnel's shape."""
    g = vis.group_by(["pipeline", "stage"]).agg(deals=pl.col("deal_id").n_unique())
    won = ev.lazy().filter(pl.col("kind") == WON).group_by("pipeline").agg(
        deals=pl.col("deal_id").n_unique()).with_columns(stage=pl.lit("won")
                                                         ).sort("pipeline").collect()
    g = _in_order(g, order)
    g = pl.concat([g, won.select("pipeline", "stage", pl.col("deals").cast(g["deals"].dtype))])
    # A deal whose export holds only its win (a Bitrix24 deal list without the stage
    # history) entered the pipeline too: without it the share was null (no stage visits).
    # So did one that holds only its loss (Salesforce's history of a deal created lost):
    # counted with the wins alone, 13 such deals of a public org's 219 raised its share
    # won from 89 of 219 (40.6 %) to 43.2 %.
    entered = pl.concat([vis.select("pipeline", pl.col("deal_id").cast(pl.Utf8)),
                         ev.filter(pl.col("kind").is_in([WON, LOST])).select(
                             "pipeline", pl.col("deal_id").cast(pl.Utf8))])
    total = entered.group_by("pipeline").agg(total=pl.col("deal_id").n_unique())
    g = g.join(total, on="pipeline", how="left").with_columns(
        pct_of_first=100 * pl.col("deals") / pl.col("total")).drop("total")
    prank = {p: i for i, p in enumerate(order)}
    return g.with_columns(o=pl.col("pipeline").replace_strict(prank, default=len(prank)),
                          i=pl.int_range(pl.len())).sort(["o", "i"]).drop(["o", "i"])


def backlog(vis: pl.DataFrame, v: Visits, tz: str) -> pl.DataFrame:
    """Deals sitting in each stage at the end of each month of the data (WIP)."""
    if vis.height == 0 or v.data_start is None:
        return pl.DataFrame(schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "month": pl.Utf8,
                                    "wip": pl.UInt32})
    ends = pl.datetime_range(
        pl.lit(v.data_start).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz)
        .dt.truncate("1mo").dt.offset_by("1mo"),
        pl.lit(v.data_end).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz)
        .dt.truncate("1mo").dt.offset_by("1mo"),
        interval="1mo", eager=True).dt.convert_time_zone("UTC")
    frames = []
    for t in ends.to_list():
        at = vis.lazy().filter(
            (pl.col("entered") < t) & (pl.col("left").is_null() | (pl.col("left") >= t)))
        month = (t.astimezone(__import__("zoneinfo").ZoneInfo(tz)) if tz != "UTC" else t)
        label = _prev_month(month.year, month.month)
        frames.append(at.group_by(["pipeline", "stage"]).agg(wip=pl.len().cast(pl.UInt32))
                      .with_columns(month=pl.lit(label)).collect())
    if not frames:
        return pl.DataFrame(schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "month": pl.Utf8,
                                    "wip": pl.UInt32})
    return _in_order(pl.concat(frames).select("pipeline", "stage", "month", "wip").sort(
        ["pipeline", "stage", "month"]), v.order)


def _prev_month(year: int, month: int) -> str:
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
