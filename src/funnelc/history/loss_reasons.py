"""Loss reasons by month, source, manager and deal-size band (seed 002: «причины отказа
по менеджерам», by average deal size); the share of losses with no reason or a
catch-all one («Прочее», «Другое», «Інше», «Other») as a data-quality finding (seed
003: reasons must be filled in to tell marketing's junk from sales' mistakes); and the
reasons whose share of losses changed, with the Benjamini–Hochberg correction over all
reasons (false discovery rate 5 %), when their rate per deal changed the same way too: a
reason that only gave way to another one that grew is not a finding.

A reason is read within the stages it is given at, each a stratum of a
Cochran–Mantel–Haenszel test: its share of the stage's losses, and its rate per deal that
reached the stage. Among all the losses, a stage before it that loses more deals makes its
share fall with nothing changed where it is given: marketing's junk, lost at
qualification, made «Дорого» fall from 30.56 % to 20.65 % of the losses (p < 0.001) while
among the losses at «КП», where it is given, it stayed about half (46.81 % → 52.24 %, p =
0.18; tests/test_loss_reason_shifts.py). The consultant reads the finding as «the
clients' objections changed»: that is a question about the stage.

The data-quality finding names the managers who leave the reasons out: each manager's
share of losses without a usable reason against the rest of the team's, Holm's correction
over all managers (family-wise 5 %), at least 10 % and 10 such losses of their own. A
Kharkiv supplier's «Інше» was 70 % of one manager's losses and 5 % of the others'; the
finding gave the pipeline's 16 % and left the consultant to find her in the tables. Such
a manager raises the finding even when the pipeline is under 10 %.

A change is read by cohort, not by the month of the loss: the deals that came into the
pipeline in one period of months against those of a later one, each loss counted within
the same number of days of the deal's entry. The periods are the sources' (`periods`): by
default the first and the last third of the cohort months old enough, one to three months
each, or the ranges the consultant names with `--periods`, so one audit compares sources
and loss reasons over the same months; a period's cohorts are pooled. By the month of the loss, a history
that starts empty (a new account, an export of the deals created since a date) has only
fast losses in its first month and the slow ones later, and one that ends has only slow
ones in its last: a steady account then "changes" its reasons at p < 1e-30
(tests/test_loss_reason_shifts.py). A cohort month is old enough when every deal of it has
been followed for the 90th percentile of the time from entry to loss; the follow-up is
the age every deal of the last period's youngest month has reached.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl
from polars.datatypes import DataTypeClass

from .analytics import month_of
from .catch_all import catch_alls_among
from .events import REASON_NOT_KEPT
from .exact_sum import exact_sum
from .findings import ALPHA, Band, Finding, Named, Upstream
from .maturity import MATURITY_QUANTILE, whole_months
from .periods import Periods, label, losses_unused, split
from .stats import benjamini_hochberg, holm, mantel_haenszel, newcombe, two_proportion_p

__all__ = ["LossTables", "loss_tables", "loss_findings", "NO_REASON", "MISSING_SHARE",
           "BAND_DIGITS"]

NO_REASON = "(no reason)"
BAND_DIGITS = 2
"""Decimals a size band's bounds are named with (trailing zeros dropped, so whole
amounts have none): to whole units, the bands of amounts in millions (2.4–4.8 and
5.2–7.3) read «2–5» and «5–7», as if they overlapped."""
MISSING_SHARE = 0.10
MISSING_MIN = 10
"""Losses without a usable reason are a finding from 10 % of a pipeline's losses (and
at least 10 of them): below that it is noise a consultant would not raise."""

_BY = {"pipeline": pl.Utf8, "dimension": pl.Utf8, "group": pl.Utf8, "reason": pl.Utf8,
       "deals": pl.Int64, "share": pl.Float64, "low": pl.Float64, "high": pl.Float64}
_MISSING = {"pipeline": pl.Utf8, "losses": pl.Int64, "no_reason": pl.Int64,
            "catch_all": pl.Int64, "share": pl.Float64, "value": pl.Float64,
            "flagged": pl.Boolean, "not_kept": pl.Int64}
_BY_MANAGER = {"pipeline": pl.Utf8, "manager": pl.Utf8, "losses": pl.Int64,
               "missing": pl.Int64, "share": pl.Float64, "rest_losses": pl.Int64,
               "rest_missing": pl.Int64, "rest_share": pl.Float64, "p_value": pl.Float64,
               "flagged": pl.Boolean}
_SHIFTS: dict[str, pl.DataType | DataTypeClass] = {
           "pipeline": pl.Utf8, "stage": pl.Utf8, "stages": pl.Int64, "reason": pl.Utf8,
           "first": pl.Utf8, "last": pl.Utf8,
           "first_months": pl.List(pl.Utf8), "last_months": pl.List(pl.Utf8),
           "within_days": pl.Float64, "losses_first": pl.Int64, "share_first": pl.Float64,
           "losses_last": pl.Int64, "share_last": pl.Float64,
           "losses_of_first": pl.Int64, "losses_of_last": pl.Int64, "diff": pl.Float64,
           "diff_low": pl.Float64,
           "diff_high": pl.Float64, "p_value": pl.Float64, "deals_first": pl.Int64,
           "rate_first": pl.Float64, "deals_last": pl.Int64, "rate_last": pl.Float64,
           "rate_p_value": pl.Float64, "flagged": pl.Boolean,
           "band_low": pl.Float64, "band_high": pl.Float64, "band_losses_first": pl.Int64,
           "band_first": pl.Int64, "band_losses_last": pl.Int64, "band_last": pl.Int64,
           "band_p_value": pl.Float64,
           "all_first": pl.Int64, "all_of_first": pl.Int64, "all_last": pl.Int64,
           "all_of_last": pl.Int64, "all_p_value": pl.Float64,
           "upstream_stage": pl.Utf8, "upstream_losses_first": pl.Int64,
           "upstream_deals_first": pl.Int64, "upstream_losses_last": pl.Int64,
           "upstream_deals_last": pl.Int64, "upstream_p_value": pl.Float64,
           "upstream_reason": pl.Utf8, "upstream_reason_first": pl.Int64,
           "upstream_reason_last": pl.Int64}


@dataclass
class LossTables:
    by: pl.DataFrame
    """pipeline, dimension (month/source/manager/size), group, reason, deals (the
    losses: a deal lost, brought back and lost again counts twice, one reopened and lost
    again within the hour once, under the later reason, so the shares of a
    group add up to 1; the key keeps its name for the JSON's readers), share of the
    group's losses; for a size band the least and greatest value of its deals
    (`low` <= value <= `high`, one value when equal; bands never overlap and every deal
    with a value is in one), which a renderer writes in the output's language."""
    missing: pl.DataFrame
    """Per pipeline: its losses whose reason the export kept (`losses`), of them those
    with no reason and a catch-all one, `flagged` (the finding: from `MISSING_SHARE` and
    `MISSING_MIN`, or with a manager `missing_by_manager` flags), and `not_kept`, the
    losses whose reason the export did not keep (`events.REASON_NOT_KEPT`): out of the
    share, as nobody chose to leave them without a reason."""
    shifts: pl.DataFrame
    """Per pipeline and reason, read within the `stages` it is given at (module
    docstring): the deals that came in the periods `first` and `last` (`2026-01` or
    `2026-01..2026-03`; `first_months` and `last_months` list the cohort months pooled in
    each), each loss counted within `within_days` of entry; `p_value` and `rate_p_value`
    the Cochran–Mantel–Haenszel tests over the stages; the figures (losses of
    `losses_of_*`, the share, deals that reached it, the rate) are the row's `stage`'s,
    the one that moved most. `all_*`: the reason's losses among all the pipeline's counted
    losses in each period and `all_p_value` (two-sided pooled z test); `upstream_*`, on a
    reason whose share of all the losses fell only because an earlier stage lost more
    deals, or rose only because it lost fewer (`_upstream`): that stage, its losses of the
    deals that reached it in each period and the test of the two, and the reason that
    moved most there the same way (its losses of the same deals); null otherwise."""
    catch_alls: dict[str, list[str]] = field(default_factory=dict)
    """Per pipeline, the catch-all reasons its losses have, as written, most frequent
    first: the finding names those the client uses, not a list of other CRMs' words."""
    missing_by_manager: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=_BY_MANAGER))
    """Per pipeline and manager: the manager's losses whose reason the export kept, of
    them `missing` without a usable one (no reason or a catch-all), and the same for the
    rest of the pipeline's team; `flagged` when the manager's share is clearly above the
    rest's (Holm over every pipeline's managers), at least `MISSING_SHARE` and
    `MISSING_MIN` losses. Most such losses first."""
    periods_unused: str | None = None
    """Why named periods compared no reason though some losses have a known entry (the
    audit warns, or refuses the periods when the sources cannot use them either)."""


def _bands(values: pl.Series) -> list[float] | None:
    """The cuts of the deal-size bands: a band holds the values up to its cut and above
    the one before (the last none). One band per value when there are at most three
    distinct ones (a school's 30 000, 45 000 and 60 000), else the terciles, each cut at
    a value so ties stay together; None when there are too few values to band.

    A band is named by the least and the greatest value of its deals, not by its
    cuts: a tercile between two prices labelled the upper band «45 000–60 000» when it
    held only 60 000 deals."""
    v = values.drop_nulls()
    distinct = v.unique().sort()
    if v.len() < 3 or distinct.len() < 2:
        return None
    if distinct.len() <= 3:
        return [float(x) for x in distinct.to_list()[:-1]]
    cuts = [v.quantile(1 / 3, "lower"), v.quantile(2 / 3, "lower")]
    top = float(distinct.max())  # type: ignore[arg-type]
    # A cut at the greatest value would leave its band empty; equal cuts make one band.
    return sorted({float(c) for c in cuts if c is not None and float(c) < top})


def _band_of(value: pl.Expr, cuts: list[float]) -> pl.Expr:
    """The band index of each value (0 for the lowest): how many cuts it is above; null
    for a deal without one."""
    band = pl.lit(0, dtype=pl.Int64)
    for cut in cuts:
        band = band + (value > cut).cast(pl.Int64)
    return band


def _amount(x: float) -> str:
    """A band's bound in the JSON's group name: `120,000`, `4.5` (`BAND_DIGITS`)."""
    return f"{x:,.{BAND_DIGITS}f}".rstrip("0").rstrip(".")


def _size_groups(lost: pl.DataFrame, cuts: list[float]) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The group, `low` and `high` of each lost deal's size band: the band's least and
    greatest value («45,000» alone when they are equal), «(no value)» without one."""
    band = _band_of(pl.col("value"), cuts)
    bounds = (lost.select(band=band, value=pl.col("value").cast(pl.Float64))
              .drop_nulls().group_by("band").agg(low=pl.col("value").min(),
                                                  high=pl.col("value").max())
              .sort("band").iter_rows())
    none = pl.lit(None, dtype=pl.Float64)
    group: pl.Expr = pl.lit("(no value)")
    low, high = none, none
    for i, lo, hi in bounds:
        text = _amount(lo) if lo == hi else f"{_amount(lo)}–{_amount(hi)}"
        group = pl.when(band == i).then(pl.lit(text)).otherwise(group)
        low = pl.when(band == i).then(pl.lit(lo, dtype=pl.Float64)).otherwise(low)
        high = pl.when(band == i).then(pl.lit(hi, dtype=pl.Float64)).otherwise(high)
    return group, low, high


def loss_tables(visits: pl.DataFrame, tz: str, data_end: datetime | None = None,
                periods: Periods | None = None, since: datetime | None = None,
                order: Mapping[str, list[str]] | None = None) -> LossTables:
    """The tables; the shifts compare the default periods or the named `periods`
    (checked against the data's months by the audit, `periods.outside`;
    `periods_unused` says why they compared nothing), over the cohorts the history holds
    whole (`since`, `maturity.seen_from`); `order` (pipeline → its stages in order)
    lists a pipeline's shifts stage by stage, else by the stage's name."""
    # When each deal came into the pipeline: its first visit there, if the data saw it
    # come (a deal met mid-way, its entry unknown, belongs to no cohort).
    entry = (visits.lazy().group_by(["deal_id", "pipeline"])
             .agg(entry=pl.col("entered").min(),
                  known=pl.col("entry_known").sort_by("entered").first())
             .select("deal_id", "pipeline",
                     entry=pl.when(pl.col("known")).then(pl.col("entry")))
             .collect().lazy())
    # A loss undone within the hour is one loss with the next (`transitions.undone`).
    undone = pl.col("undone") if "undone" in visits.columns else pl.lit(False)
    lost = (visits.lazy().filter((pl.col("exit") == "lost") & ~undone)
            .join(entry, on=["deal_id", "pipeline"], how="left", maintain_order="left")
            .select("pipeline", "stage", "source", "manager", "value", "entry", "left",
                    month=month_of("left", tz), cohort=month_of("entry", tz),
                    reason=pl.when(pl.col("reason_unkept").fill_null(False))
                    .then(pl.lit(REASON_NOT_KEPT))
                    .otherwise(pl.col("reason").fill_null(NO_REASON))).collect())
    parts = []
    cuts = _bands(lost["value"])
    none = pl.lit(None, dtype=pl.Float64)
    dims: list[tuple[str, pl.Expr, pl.Expr, pl.Expr]] = [("month", pl.col("month"), none, none)]
    if lost["source"].null_count() < lost.height:
        dims.append(("source", pl.col("source").fill_null("(no source)"), none, none))
    if lost["manager"].null_count() < lost.height:
        dims.append(("manager", pl.col("manager").fill_null("(no manager)"), none, none))
    if cuts is not None:
        dims.append(("size", *_size_groups(lost, cuts)))
    for name, expr, low, high in dims:
        g = (lost.lazy().with_columns(group=expr, low=low, high=high)
             .group_by(["pipeline", "group", "reason", "low", "high"])
             .agg(deals=pl.len().cast(pl.Int64))
             .with_columns(share=pl.col("deals") / pl.col("deals").sum()
                           .over(["pipeline", "group"]), dimension=pl.lit(name))
             .collect())
        parts.append(g.select(list(_BY)))
    # Size bands in the order of their values (by name «120,000» came before «50,000»).
    by = (pl.concat(parts).sort(["pipeline", "dimension", "low", "group", "deals", "reason"],
                                descending=[False, False, False, False, True, False])
          if parts else pl.DataFrame(schema=_BY))
    # The catch-alls are found among the distinct reasons (`catch_all`), then matched.
    caught = pl.col("reason").is_in(catch_alls_among(
        r for r in lost["reason"].unique().to_list() if r not in (NO_REASON, REASON_NOT_KEPT)))
    # A loss whose reason the export did not keep is in the tables by group (a manager's
    # or a month's losses are all there), but not in the share without a usable reason
    # nor among the reasons whose share changed: nobody left it empty.
    kept = pl.col("reason") != REASON_NOT_KEPT
    missing = (lost.lazy().group_by("pipeline").agg(
        not_kept=(~kept).sum().cast(pl.Int64),
        losses=kept.sum().cast(pl.Int64),
        no_reason=(pl.col("reason") == NO_REASON).sum().cast(pl.Int64),
        catch_all=caught.sum().cast(pl.Int64),
        value=exact_sum(pl.col("value").filter((pl.col("reason") == NO_REASON)
                                               | caught)))
        .with_columns(share=(pl.col("no_reason") + pl.col("catch_all")) / pl.col("losses"))
        .with_columns(flagged=(pl.col("share") >= MISSING_SHARE)
                      & (pl.col("no_reason") + pl.col("catch_all") >= MISSING_MIN))
        .sort("pipeline").collect().select(list(_MISSING)))
    cohorts = {(p, m): n for p, m, n in entry.filter(pl.col("entry").is_not_null())
               .group_by("pipeline", cohort=month_of("entry", tz)).agg(n=pl.len())
               .collect().iter_rows()}
    catch_alls: dict[str, list[str]] = {}
    for p, reason, _n in (lost.filter(caught)
                          .group_by("pipeline", "reason").len()
                          .sort(["pipeline", "len", "reason"], descending=[False, True, False])
                          .iter_rows()):
        catch_alls.setdefault(str(p), []).append(str(reason))
    # Each band's least and greatest value, as the size table names it.
    bounds = {} if cuts is None else {
        int(i): (float(lo), float(hi)) for i, lo, hi in
        lost.select(band=_band_of(pl.col("value"), cuts),
                    value=pl.col("value").cast(pl.Float64))
        .drop_nulls().group_by("band")
        .agg(lo=pl.col("value").min(), hi=pl.col("value").max()).iter_rows()}
    # Each visit of a stage that loses deals, by a deal whose entry is known: the deals of
    # a cohort that reached the stage, the base of a reason's rate there.
    # (The entry's month is taken per deal, not per visit.) Kept as each cohort's sorted
    # ages at the first arrival (`_shifts` counts those within its follow-up). Stage by
    # stage, joined on the deal within its pipeline: one query over every losing stage's
    # visits, joined and grouped on (deal, pipeline, stage, cohort), raised the peak
    # memory of the 1M-event benchmark by about 100 MB (issue 13).
    losing = lost.select("pipeline", "stage").unique().sort("pipeline", "stage")
    known_entry = (entry.filter(pl.col("entry").is_not_null())
                   .with_columns(cohort=month_of("entry", tz)).collect())
    reached_parts = [
        visits.lazy().filter((pl.col("pipeline") == p) & (pl.col("stage") == s))
        .select("deal_id", "entered")
        .join(known_entry.lazy().filter(pl.col("pipeline") == p)
              .select("deal_id", "entry", "cohort"), on="deal_id", how="inner")
        .group_by("deal_id", "cohort")
        .agg(after=(pl.col("entered") - pl.col("entry")).min())
        .group_by("cohort")
        .agg(pl.col("after").dt.total_microseconds().sort())
        .select(pipeline=pl.lit(p, dtype=pl.Utf8), stage=pl.lit(s, dtype=pl.Utf8),
                cohort="cohort", after="after").collect()
        for p, s in losing.iter_rows()]
    del known_entry
    reached = pl.concat(reached_parts) if reached_parts else pl.DataFrame(
        schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "cohort": pl.Utf8,
                "after": pl.List(pl.Int64)})
    del reached_parts
    shifts, judged = _shifts(lost.filter(kept), reached, data_end, periods, cuts, bounds,
                             since, tz, order)
    unused = None
    if periods is not None and judged and not shifts.height:
        unused = losses_unused(periods, sorted({m for _p, m in cohorts if m is not None}))
    useless = (pl.col("reason") == NO_REASON) | caught
    by_manager = _missing_by_manager(lost.filter(kept & pl.col("manager").is_not_null())
                                     .with_columns(useless=useless))
    # A manager who clearly hides the reasons is a finding even when the team's other
    # losses keep the pipeline under 10 %: one of ten managers writing «Інше» for half
    # of them is 6 % of the pipeline's losses.
    named = by_manager.filter(pl.col("flagged"))["pipeline"].unique().to_list()
    missing = missing.with_columns(flagged=pl.col("flagged") | pl.col("pipeline").is_in(named))
    return LossTables(by, missing, shifts, catch_alls, by_manager, unused)


def _missing_by_manager(lost: pl.DataFrame) -> pl.DataFrame:
    """Each manager's losses without a usable reason (`useless`) against the rest of the
    pipeline's team (module docstring)."""
    per = (lost.group_by("pipeline", "manager")
           .agg(losses=pl.len().cast(pl.Int64), missing=pl.col("useless").sum().cast(pl.Int64))
           .with_columns(rest_losses=pl.col("losses").sum().over("pipeline") - pl.col("losses"),
                         rest_missing=pl.col("missing").sum().over("pipeline")
                         - pl.col("missing"))
           .sort(["pipeline", "missing", "manager"], descending=[False, True, False]))
    rows = per.to_dicts()
    pvals = [two_proportion_p(r["missing"], r["losses"], r["rest_missing"], r["rest_losses"])
             for r in rows]
    for r, p, clear in zip(rows, pvals, holm(pvals, ALPHA), strict=True):
        share = r["missing"] / r["losses"]
        rest = r["rest_missing"] / r["rest_losses"] if r["rest_losses"] else None
        r.update(share=share, rest_share=rest, p_value=p,
                 flagged=clear and rest is not None and share > rest
                 and share >= MISSING_SHARE and r["missing"] >= MISSING_MIN)
    return pl.DataFrame(rows, schema=_BY_MANAGER, orient="row") if rows \
        else pl.DataFrame(schema=_BY_MANAGER)


def _shifts(lost: pl.DataFrame, reached: pl.DataFrame, data_end: datetime | None,
            periods: Periods | None, cuts: list[float] | None = None,
            bounds: dict[int, tuple[float, float]] | None = None,
            since: datetime | None = None, tz: str = "UTC",
            order: Mapping[str, list[str]] | None = None
            ) -> tuple[pl.DataFrame, bool]:
    """The first period's cohorts against the last one's, among the months old enough
    (module docstring), per pipeline and reason read within the stages it is lost at,
    and whether any pipeline had losses of deals whose entry is known to compare.
    `reached`: per pipeline, stage that loses deals and cohort month, `after`: the
    sorted ages (µs from the deal's entry) at which its deals whose entry is known first
    reached the stage, the base of a reason's rate there. Sorted ages, not a row per
    visit: a row per visit held about 45 MB more at the peak of the 1M-event benchmark."""
    rows: list[dict[str, object]] = []
    pvals: list[float] = []
    rate_pvals: list[float] = []
    same_way: list[bool] = []
    # Only the columns read here: with the losses' sources, managers and months, the copies
    # filtered from them below held about 45 MB more at the peak of the 1M-event benchmark.
    known = (lost.lazy().select("pipeline", "stage", "reason", "value", "entry", "left",
                                "cohort")
             .filter(pl.col("entry").is_not_null() & pl.col("left").is_not_null()).collect())
    judged = False
    counted_by: dict[tuple[str, str], tuple[pl.DataFrame, pl.DataFrame]] = {}
    per_pipeline: dict[str, tuple[dict[str, _Stage], dict[str, int]]] = {}
    # By pipeline name, as the other loss tables: in the losses' order the reasons whose
    # share changed came in a join's order, which changed from run to run.
    for (p,), grp in known.sort("pipeline", maintain_order=True).group_by(
            ["pipeline"], maintain_order=True):
        end = data_end or grp["left"].max()
        if not isinstance(end, datetime):
            continue
        judged = True
        age = (pl.col("left") - pl.col("entry")).dt.total_microseconds() / 3.6e9
        q = grp.select(age.quantile(MATURITY_QUANTILE)).item()
        last_in = dict(grp.group_by("cohort").agg(pl.col("entry").max()).iter_rows())
        months = sorted(m for m in last_in if m is not None)
        # Cohorts whose every deal has been followed for the 90th percentile of the time
        # to a loss; the youngest month of the last period sets the follow-up for both.
        old = whole_months([m for m in months
                            if last_in[m] + timedelta(hours=float(q or 0)) <= end], since, tz)
        early, late = split(old, periods)
        if not early or not late:
            continue
        first, last = label(early), label(late)
        within = end - last_in[late[-1]]
        counted = grp.filter(pl.col("left") - pl.col("entry") <= within)
        # The deals of each period that reached each stage within the follow-up: a loss
        # counted there was one of them.
        cut = int(within.total_seconds() * 1_000_000)
        came: dict[tuple[str, bool], int] = {}
        for s, c, ages in reached.filter(
                (pl.col("pipeline") == p) & pl.col("cohort").is_in(early + late)).select(
                "stage", "cohort", "after").iter_rows():
            key = (str(s), c in early)
            came[key] = came.get(key, 0) + bisect_right(ages, cut)
        rank = {s: i for i, s in enumerate((order or {}).get(str(p), []))}
        # Per stage: each reason's losses in each period, all the stage's losses, and the
        # deals that reached the stage.
        stages: dict[str, _Stage] = {}
        per_pipeline[str(p)] = (stages, rank)
        for stage in sorted((str(s) for s in counted["stage"].unique().to_list()),
                            key=lambda s: (rank.get(s, len(rank)), s)):
            at = counted.filter(pl.col("stage") == stage)
            a = at.filter(pl.col("cohort").is_in(early))
            b = at.filter(pl.col("cohort").is_in(late))
            counted_by[(str(p), stage)] = (a, b)
            na, nb = a.height, b.height
            stages[stage] = (dict(a.group_by("reason").len().iter_rows()),
                             dict(b.group_by("reason").len().iter_rows()), na, nb,
                             came.get((stage, True), 0) or na, came.get((stage, False), 0) or nb)
        reasons = sorted({str(r) for ca, cb, *_ in stages.values() for r in (*ca, *cb)})
        for reason in reasons:
            # The stages the reason is given at, each a stratum of the two tests: its
            # share of the stage's losses, and its rate per deal that reached the stage.
            at_stage = [(s, ca.get(reason, 0), na, cb.get(reason, 0), nb, da, db)
                        for s, (ca, cb, na, nb, da, db) in stages.items()
                        if ca.get(reason, 0) + cb.get(reason, 0)]
            pv, excess = mantel_haenszel([(kb, nb, ka, na)
                                          for _s, ka, na, kb, nb, _da, _db in at_stage])
            rate_pv, rate_excess = mantel_haenszel([(kb, db, ka, da)
                                                    for _s, ka, _na, kb, _nb, da, db in at_stage])
            pvals.append(pv)
            rate_pvals.append(rate_pv)
            same_way.append(excess * rate_excess > 0)
            # The row gives the figures of the stage that moved most the way the stages
            # together did (its share of the pooled excess), else of the reason's most
            # losses.
            sign = 1.0 if excess >= 0 else -1.0
            stage, ka, na, kb, nb, da, db = max(at_stage, key=lambda t: (
                sign * (t[3] - t[4] * (t[1] + t[3]) / (t[2] + t[4])), t[1] + t[3]))
            d, lo, hi = newcombe(kb, nb, ka, na)
            rows.append({"pipeline": p, "stage": stage, "stages": len(at_stage),
                         "reason": reason, "first": first, "last": last,
                         "first_months": early, "last_months": late,
                         "within_days": within.total_seconds() / 86400,
                         "losses_first": ka, "share_first": ka / na if na else None,
                         "losses_last": kb, "share_last": kb / nb if nb else None,
                         "losses_of_first": na, "losses_of_last": nb,
                         "diff": d, "diff_low": lo, "diff_high": hi, "p_value": pv,
                         "deals_first": da, "rate_first": ka / da if da else None,
                         "deals_last": db, "rate_last": kb / db if db else None,
                         "rate_p_value": rate_pv, "flagged": False,
                         "band_low": None, "band_high": None,
                         "band_losses_first": None, "band_first": None,
                         "band_losses_last": None, "band_last": None,
                         "band_p_value": None})
            rows[-1].update(_pooled(reason, stages))
    # A reason is read within the stages its deals are lost at: among all the losses, a
    # stage before it that loses more deals (marketing's junk lost at qualification)
    # makes its share fall with nothing changed where it is given. Within a stage, a
    # change of a reason's share of the losses is also a change of the other reasons'
    # shares: when one grows, the rest "fall" with as many losses as before. So a reason
    # is flagged only when its share of its stages' losses and its rate per deal that
    # reached them both moved, the same way (an intersection-union test: each a
    # Cochran–Mantel–Haenszel test over the stages, at the false discovery rate over the
    # reasons).
    all_clear = benjamini_hochberg([float(str(r["all_p_value"])) for r in rows], ALPHA)
    for r, by_share, by_rate, same, overall in zip(
            rows, benjamini_hochberg(pvals, ALPHA), benjamini_hochberg(rate_pvals, ALPHA),
            same_way, all_clear, strict=True):
        r["flagged"] = by_share and by_rate and same
        if overall and not by_share and not by_rate:
            r.update(_upstream(r, *per_pipeline[str(r["pipeline"])]))
        diff = r["diff"]
        if r["flagged"] and cuts and isinstance(diff, float):
            r.update(_band(*counted_by[(str(r["pipeline"]), str(r["stage"]))],
                           str(r["reason"]), diff, cuts, bounds or {}))
    return pl.DataFrame(rows, schema=_SHIFTS, orient="row"), judged


_Stage = tuple[dict[str, int], dict[str, int], int, int, int, int]
"""A stage's counted losses: each reason's in the first period and in the last, all of
them in each, and the deals that reached the stage in each."""


def _pooled(reason: str, stages: Mapping[str, _Stage]) -> dict[str, object]:
    """The reason's losses among all the pipeline's counted losses (every stage's), in
    each period, and the two-sided test of the two shares: how the reason's share of all
    the losses moved, the reading the stages' one replaced (module docstring)."""
    ka = sum(ca.get(reason, 0) for ca, *_ in stages.values())
    kb = sum(cb.get(reason, 0) for _ca, cb, *_ in stages.values())
    na = sum(t[2] for t in stages.values())
    nb = sum(t[3] for t in stages.values())
    return {"all_first": ka, "all_of_first": na, "all_last": kb, "all_of_last": nb,
            "all_p_value": two_proportion_p(kb, nb, ka, na) if na and nb else 1.0,
            **dict.fromkeys(k for k in _SHIFTS if k.startswith("upstream_"))}


def _upstream(row: Mapping[str, object], stages: Mapping[str, _Stage],
              rank: Mapping[str, int]) -> dict[str, object]:
    """Why a reason's share of all the losses moved while it held at the stages it is given
    at (neither test over them clear; its share of all the losses clearly apart): a stage
    before every one of them lost clearly more of the deals that reached it (two-sided
    pooled z test at `ALPHA`), and so a larger part of all the losses, when the share fell;
    clearly fewer, and so a smaller part, when it rose. That stage, the one whose part of
    all the losses moved most that way, with its losses of the deals that reached it in
    each period and the reason that moved most there the same way; empty when none is, or
    when the stages have no order. Without it the client heard nothing of why «Дорого» fell
    from 30.56% to 20.65% of all the losses once the audit no longer called it a change:
    the junk marketing brought, lost at qualification; nor why it rose when marketing
    cleaned its leads up and «Заявка» lost fewer of them, which the client read as price
    objections growing (tests/test_loss_reason_upstream.py)."""
    reason = str(row["reason"])
    ka, na = int(str(row["all_first"])), int(str(row["all_of_first"]))
    kb, nb = int(str(row["all_last"])), int(str(row["all_of_last"]))
    if not (na and nb and kb / nb != ka / na):
        return {}
    # +1: the share fell, so the earlier stage must have lost more; -1: it rose, fewer.
    way = 1 if kb / nb < ka / na else -1
    given = [s for s, (ca, cb, *_r) in stages.items() if ca.get(reason, 0) + cb.get(reason, 0)]
    if not given or any(s not in rank for s in given):
        return {}
    top = min(rank[s] for s in given)
    best: tuple[float, str] | None = None
    for s, (_ca, _cb, la, lb, da, db) in stages.items():
        if (s not in rank or rank[s] >= top or not da or not db
                or way * (lb / db - la / da) <= 0):
            continue
        if two_proportion_p(lb, db, la, da) >= ALPHA:
            continue
        moved = way * (lb / nb - la / na)
        if moved > 0 and (best is None or moved > best[0]):
            best = (moved, s)
    if best is None:
        return {}
    s = best[1]
    ca, cb, la, lb, da, db = stages[s]
    # The reason that moved most there the same way, per deal that reached the stage.
    why = max(sorted(set(ca) | set(cb)),
              key=lambda r: way * (cb.get(r, 0) / db - ca.get(r, 0) / da))
    return {"upstream_stage": s, "upstream_losses_first": la, "upstream_deals_first": da,
            "upstream_losses_last": lb, "upstream_deals_last": db,
            "upstream_p_value": two_proportion_p(lb, db, la, da), "upstream_reason": why,
            "upstream_reason_first": ca.get(why, 0), "upstream_reason_last": cb.get(why, 0)}


def _band(a: pl.DataFrame, b: pl.DataFrame, reason: str, diff: float, cuts: list[float],
          bounds: dict[int, tuple[float, float]]) -> dict[str, object]:
    """The deal-size band a flagged reason's share changed most in, the way it changed
    overall and by more: its share of the band's counted losses in each period, clear
    after Holm over the bands (`ALPHA`). A price list that loses the small deals is a
    matter for the small deals' prices, not for every deal's. Empty when none is."""
    tests = []
    for i in sorted(bounds):
        fa = a.filter(_band_of(pl.col("value"), cuts) == i)
        fb = b.filter(_band_of(pl.col("value"), cuts) == i)
        ka, na = int((fa["reason"] == reason).sum()), fa.height
        kb, nb = int((fb["reason"] == reason).sum()), fb.height
        if not na or not nb:
            continue
        tests.append((kb / nb - ka / na, two_proportion_p(kb, nb, ka, na), i, ka, na, kb, nb))
    clear = holm([t[1] for t in tests], ALPHA)
    moved = [t for t, ok in zip(tests, clear, strict=True)
             if ok and t[0] * diff > 0 and abs(t[0]) > abs(diff)]
    if not moved:
        return {}
    _d, pv, i, ka, na, kb, nb = max(moved, key=lambda t: abs(t[0]))
    return {"band_low": bounds[i][0], "band_high": bounds[i][1], "band_losses_first": ka,
            "band_first": na, "band_losses_last": kb, "band_last": nb, "band_p_value": pv}


def loss_findings(lt: LossTables, lone: Mapping[str, str] | None = None) -> list[Finding]:
    """Data quality and shifts: no money at stake of their own (the deals are lost
    either way), so they follow the findings that have one. `lone`: pipeline → its only
    failure stage, where the export has no loss-reason field (`DataQuality.lone_stages`):
    the cause of those losses without a reason."""
    out: list[Finding] = []
    for r in lt.missing.filter(pl.col("flagged")).iter_rows(named=True):
        bad = r["no_reason"] + r["catch_all"]
        names = lt.catch_alls.get(r["pipeline"])
        who = tuple(Named(m["manager"], m["missing"], m["losses"], m["rest_missing"],
                          m["rest_losses"], m["p_value"])
                    for m in lt.missing_by_manager.filter(
                        (pl.col("pipeline") == r["pipeline"]) & pl.col("flagged"))
                    .iter_rows(named=True))
        out.append(Finding("loss_reasons_missing", r["pipeline"], None, None,
                           ", ".join(names) if names else None,
                           float(bad), None, None, None, r["share"], None,
                           r["losses"], None, named=who,
                           lone_stage=(lone or {}).get(r["pipeline"])))
    for r in lt.shifts.filter(pl.col("flagged")).iter_rows(named=True):
        out.append(Finding("loss_reason_shift", r["pipeline"], r["stage"], None, r["reason"],
                           float(r["losses_last"]), None, None, None, r["share_last"],
                           r["share_first"], r["losses_last"], r["p_value"],
                           (r["first"], r["last"]), r["within_days"],
                           band=None if r["band_p_value"] is None else Band(
                               r["band_low"], r["band_high"], r["band_losses_first"],
                               r["band_first"], r["band_losses_last"], r["band_last"],
                               r["band_p_value"]),
                           counts=(r["losses_first"], r["losses_of_first"], r["losses_last"],
                                   r["losses_of_last"]), stages=r["stages"]))
    # A reason whose share of all the losses moved only because an earlier stage lost
    # more deals, or fewer: the sentence says so, where the shift no longer does
    # (`_upstream`).
    for r in lt.shifts.filter(pl.col("upstream_stage").is_not_null()).iter_rows(named=True):
        up = Upstream(r["upstream_stage"], r["upstream_losses_first"],
                      r["upstream_deals_first"], r["upstream_losses_last"],
                      r["upstream_deals_last"], r["upstream_p_value"], r["upstream_reason"],
                      r["upstream_reason_first"], r["upstream_reason_last"],
                      (r["all_first"], r["all_of_first"], r["all_last"], r["all_of_last"]),
                      r["p_value"])
        out.append(Finding("loss_reason_upstream", r["pipeline"], r["stage"], None,
                           r["reason"], float(r["all_last"]), None, None, None,
                           r["all_last"] / r["all_of_last"], r["all_first"] / r["all_of_first"],
                           r["all_of_last"], r["all_p_value"], (r["first"], r["last"]),
                           r["within_days"],
                           counts=(r["losses_first"], r["losses_of_first"], r["losses_last"],
                                   r["losses_of_last"]), stages=r["stages"], upstream=up))
    return out
