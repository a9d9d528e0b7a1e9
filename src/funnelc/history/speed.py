"""Who picks deals up late (issue 14, point 1; seed 004: «ответить клиенту за 15 минут»,
«позвонить лиду за 15 минут»), and what the delay costs.

A deal's *wait* at a stage runs from its first entry to the stage until its first
pick-up there (`picked`: amoCRM's calls, messages and completed tasks, Bitrix24's
activities, a CSV's `picked_at`), or until it left the stage when it left unpicked (the
`respond` rule's breach, docs/semantics.md). A stage whose visits that ended mostly
carry no pick-up (`PICKED_SHARE`), as every stage of a history without them, is
timed to the first move instead, and the text says so. With `hours` in the account the
wait counts working hours, as the funnel's `respond` and `sla` do: a lead of Friday
evening taken on Monday at 09:10 waited ten minutes.

A deal is *late* when it waited longer than the stage's `respond` (the funnel's
answer-within rule for the first touch), or, without one or without pick-ups (a first
move is no touch: against «15 minutes» every lead would be late), longer than the team's
median wait at the stage (half the team's deals waited less). A deal never picked up that is still waiting counts
as late once older than that limit; younger, it is not judged yet (dropping every unpicked
deal would hide exactly the leads nobody called).

Each manager's late share at each stage (its first pair in `history`'s order; timed to
first moves, only each pipeline's entry stage, where the first move is taking the lead,
and not one whose only ways out are won and lost)
is compared with the rest of the team's: two-sided pooled z test (`stats.two_proportion_p`), Holm
over every (manager, stage) at `ALPHA`, Newcombe's interval of the gap, as the
conversion comparison does. A manager is named when clearly later than the rest, with
at least `MIN_LATE` late deals.

What it costs is read from the rest of the team's own deals at that stage: their
conversion to the next stage when taken late and when taken on time (judged deals only,
`managers`' maturity rule). When that gap is clear (two-sided z test, Holm over the
named rows), the deals at stake are the manager's deals × (late share − the rest's) ×
the conversion gap, priced at the next stage's worth (`Cohorts.stage_value`). When it is
not, the finding names the delay with no money: the data do not show speed changing
conversion here. Timed to first moves there is no money either: the wait ends with
the move or the loss itself, so late deals convert worse by construction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .cohorts import Cohorts
from .events import WON
from .findings import ALPHA, Finding, Speed
from .managers import UNKNOWN_MANAGER, client_mix, holm_bar
from .maturity import MATURITY_QUANTILE
from .stats import holm, newcombe, two_proportion_p

if TYPE_CHECKING:
    from .. import model as m
    from .order import FunnelRoutes

__all__ = ["speed_table", "speed_findings", "hours_between", "MIN_LATE"]

PICKED_SHARE = 0.5
"""A stage is timed to pick-ups when at least this share of its visits that ended carry
one, as `picked.PICKED_SHARE` fits from them (not imported: `picked` brings scipy)."""
MIN_LATE = 10
"""A manager is named from 10 late deals (as the junk and missing-reason findings)."""
HOUR_US = 3.6e9
_MONDAY = datetime(1970, 1, 5)
"""A Monday 00:00: local times are counted in hours from it, weeks aligned."""

_SCHEMA: dict[str, pl.DataType] = {
    "pipeline": pl.Utf8(), "stage": pl.Utf8(), "to_stage": pl.Utf8(), "manager": pl.Utf8(),
    "deals": pl.Int64(), "late": pl.Int64(), "share": pl.Float64(), "waiting": pl.Int64(),
    "median_wait_h": pl.Float64(), "rest_deals": pl.Int64(), "rest_late": pl.Int64(),
    "rest_share": pl.Float64(), "diff_low": pl.Float64(), "diff_high": pl.Float64(),
    "p_value": pl.Float64(), "flagged": pl.Boolean(), "limit_h": pl.Float64(),
    "limit": pl.Utf8(), "measure": pl.Utf8(), "working": pl.Boolean(),
    "rest_late_reached": pl.Int64(), "rest_late_judged": pl.Int64(),
    "rest_on_time_reached": pl.Int64(), "rest_on_time_judged": pl.Int64(),
    "conv_p": pl.Float64(), "conv_clear": pl.Boolean(), "deals_effect": pl.Float64(),
    "money": pl.Float64(), "regular_deals": pl.Int64(), "regular_late": pl.Int64(),
    "rest_regular_deals": pl.Int64(), "rest_regular_late": pl.Int64()}


def _working_clock(col: str, tz: str, hours: m.Hours) -> pl.Expr:
    """Working hours of the account's calendar from `_MONDAY` (local) to `col`."""
    from ..sim.calendar import WEEK, WorkCalendar

    cal = WorkCalendar.from_hours(hours, date(1970, 1, 5))
    starts = np.array(cal.starts)
    ends, cum, total = np.array(cal.ends), np.array(cal.cum), cal.total

    def clock(u: pl.Series) -> pl.Series:
        x = u.to_numpy()
        k = np.floor(x / WEEK)
        r = x - k * WEEK
        i = np.searchsorted(starts, r, side="right") - 1
        j = np.clip(i, 0, max(len(starts) - 1, 0))
        within = (np.where(i < 0, 0.0, cum[j] + np.minimum(r, ends[j]) - starts[j])
                  if len(starts) else np.zeros_like(r))
        return pl.Series(k * total + within, dtype=pl.Float64)

    local = pl.col(col).dt.convert_time_zone(tz).dt.replace_time_zone(None)
    u = (local - pl.lit(_MONDAY)).dt.total_microseconds() / HOUR_US
    return u.map_batches(clock, return_dtype=pl.Float64)


def hours_between(a: str, b: str, tz: str, hours: m.Hours | None) -> pl.Expr:
    """Hours from `a` to `b`: working hours of `hours` when given, else on the clock (the
    wait for a first touch here, a deal's age against its `sla` in `analytics`)."""
    if hours is None:
        return (pl.col(b) - pl.col(a)).dt.total_microseconds() / HOUR_US
    return _working_clock(b, tz, hours) - _working_clock(a, tz, hours)


def speed_table(c: Cohorts, routes: FunnelRoutes | None, tz: str,
                data_end: datetime | None) -> pl.DataFrame:
    """One row per (pipeline, stage, manager) (module docstring), each stage's first pair
    in `history`'s order; `flagged` marks a manager clearly later than the rest."""
    if c.pairs.height == 0 or data_end is None:
        return pl.DataFrame(schema=_SCHEMA)
    main: dict[tuple[str, str], str] = {}
    first: dict[tuple[str, str], int] = {}
    for i, (p, a, b) in enumerate(c.order):
        main.setdefault((p, a), b)
        first.setdefault((p, a), i)
    hours = routes.hours if routes is not None else None
    respond = routes.respond_hours if routes is not None else {}
    end = pl.lit(data_end).cast(pl.Datetime("us", "UTC"))
    # Eager, step by step, on the cohorts' categories: the lazy plan over the same rows
    # cast to strings took 0.66 s and some 80 MB more at the 1M-event benchmark's
    # 677 245 pair rows; the names are strings again only in the small result. Each
    # stage's first pair picked, grouped and joined by its number (`Cohorts.pairs`'
    # `pair`), not by the three names: a third less time again (issue 14).
    d = (c.pairs.lazy().filter(pl.col("known") & pl.col("pair").is_in(list(first.values())))
         .select("pair", "manager", "ta", "tp", "tx", "direct", "lost", "hours_to",
                 regular=pl.col("regular") if "regular" in c.pairs.columns else pl.lit(False))
         .collect())
    # Timed to pick-ups where most visits that ended carry one, else to the first move;
    # timed to first moves, only each pipeline's entry stage is compared: there the first
    # move is taking the new lead; at a later stage it is how long the stage's work took
    # (a meeting booked for next week), not who left a client waiting.
    # An entry stage whose only ways out are won and lost (a deal list's «Engaging»:
    # engaged, then won or lost) has no move that takes the lead: its first move is the
    # outcome, and timing it measured the sales cycle, «late» for a deal that took over
    # the median 45 days to close. Such a pipeline is not compared.
    entry: dict[str, str | None] = {}
    for (p, a), b in main.items():
        entry.setdefault(p, a if b != WON else None)
    ended = pl.col("tx").is_not_null()
    info = (d.group_by("pair")
            .agg(by_pick=((pl.col("tp").is_not_null() & ended).sum()
                          >= PICKED_SHARE * ended.sum()) & ended.any(),
                 p90=pl.col("hours_to").quantile(MATURITY_QUANTILE).fill_null(0.0))
            .join(c.names(), on="pair")
            .filter(pl.col("by_pick") | (pl.col("from_stage") == pl.col("pipeline")
                                          .replace_strict(entry, default=None)))
            .select("pair", "by_pick", "p90"))
    d = d.join(info, on="pair")
    d = d.with_columns(stop=pl.when(pl.col("by_pick"))
                       .then(pl.coalesce("tp", "tx")).otherwise(pl.col("tx")),
                       end=end)
    d = d.with_columns(wait=pl.when(pl.col("stop").is_not_null())
                       .then(hours_between("ta", "stop", tz, hours)),
                       age=hours_between("ta", "end", tz, hours))
    if d.height == 0:
        return pl.DataFrame(schema=_SCHEMA)
    limits = {first[k]: h for k, h in respond.items() if k in first}
    limit = (pl.col("pair").replace_strict(limits, default=None, return_dtype=pl.Float64)
             if limits else pl.lit(None, dtype=pl.Float64))
    matured = (pl.col("ta") + pl.duration(microseconds=(pl.col("p90") * HOUR_US)
                                          .cast(pl.Int64)) <= pl.col("end"))
    d = (d.with_columns(respond=limit)
         # The norm is for the first touch: a first move is not one (every lead would be
         # late against «15 minutes»), so without pick-ups the team's median is the limit.
         .with_columns(respond=pl.when(pl.col("by_pick")).then(pl.col("respond")))
         .with_columns(limit_h=pl.coalesce("respond", pl.col("wait").median()
                                           .over("pair")),
                       judged=pl.col("direct") | pl.col("lost") | matured)
         .with_columns(late=pl.when(pl.col("wait").is_not_null())
                       .then(pl.col("wait") > pl.col("limit_h"))
                       .when(pl.col("age") > pl.col("limit_h")).then(pl.lit(True))))
    d = d.filter(pl.col("late").is_not_null())
    late, on_time = pl.col("late"), ~pl.col("late")
    per = (d.group_by("pair", "manager")
           .agg(deals=pl.len(), late=late.sum().cast(pl.Int64),
                waiting=(pl.col("wait").is_null()).sum().cast(pl.Int64),
                median_wait_h=pl.col("wait").median(),
                late_reached=(late & pl.col("judged") & pl.col("direct")).sum().cast(pl.Int64),
                late_judged=(late & pl.col("judged")).sum().cast(pl.Int64),
                on_reached=(on_time & pl.col("judged") & pl.col("direct")).sum().cast(pl.Int64),
                on_judged=(on_time & pl.col("judged")).sum().cast(pl.Int64),
                reg_deals=pl.col("regular").sum().cast(pl.Int64),
                reg_late=(late & pl.col("regular")).sum().cast(pl.Int64),
                limit_h=pl.col("limit_h").first(), respond=pl.col("respond").first(),
                by_pick=pl.col("by_pick").first())
           .join(c.names().rename({"from_stage": "stage"}), on="pair")
           .select("pipeline", "stage", "to_stage",
                   pl.col("manager").cast(pl.Utf8).fill_null(UNKNOWN_MANAGER),
                   pl.exclude("pair", "pipeline", "stage", "to_stage", "manager")))
    rank = {k: i for i, k in enumerate(main)}
    recs = sorted(per.iter_rows(named=True),
                  key=lambda r: (rank.get((r["pipeline"], r["stage"]), len(rank)),
                                 r["manager"]))
    # As `managers` does: a clear laggard makes everyone else look quick against a rest
    # that includes him (the four who call in minutes read p = 1e-06 «faster»), so the
    # comparison is repeated with the managers flagged so far left out of everyone
    # else's rest, until the flags stop changing.
    out: set[tuple[str, str, str]] = set()
    rows: list[dict[str, object]] = []
    for _ in range(MAX_ROUNDS):
        totals: dict[tuple[object, object], dict[str, int]] = {}
        for q in recs:
            t = totals.setdefault((q["pipeline"], q["stage"]), dict.fromkeys(_COUNTS, 0))
            # The deals nobody is named on are no one of the team (`managers._compare`).
            if (str(q["pipeline"]), str(q["stage"]), str(q["manager"])) not in out \
                    and q["manager"] != UNKNOWN_MANAGER:
                for col in _COUNTS:
                    t[col] += int(q[col])
        rows = [_row(r, totals, out, hours is not None) for r in recs]
        tested = [i for i, r in enumerate(rows) if r["p_value"] is not None]
        flagged: set[tuple[str, str, str]] = set()
        for i, clear in zip(tested, holm([float(rows[i]["p_value"])  # type: ignore[arg-type]
                                          for i in tested], ALPHA), strict=True):
            r = rows[i]
            r["flagged"] = (clear and float(r["share"]) > float(r["rest_share"])  # type: ignore[arg-type]
                            and int(r["late"]) >= MIN_LATE)  # type: ignore[call-overload]
            if r["flagged"]:
                flagged.add((str(r["pipeline"]), str(r["stage"]), str(r["manager"])))
        if flagged == out:
            break
        out = flagged
    _cost(rows, c.stage_value)
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row") if rows \
        else pl.DataFrame(schema=_SCHEMA)


MAX_ROUNDS = 5


_COUNTS = ("deals", "late", "late_reached", "late_judged", "on_reached", "on_judged",
           "reg_deals", "reg_late")


def _row(r: dict[str, object], totals: dict[tuple[object, object], dict[str, int]],
         out: set[tuple[str, str, str]], working: bool) -> dict[str, object]:
    """Manager row `r` against the rest of its stage's team, the managers in `out` left
    out of the rest. `totals`: per (pipeline, stage), the sums of `_COUNTS` over the
    named managers not in `out`."""
    def n(x: object) -> int:
        return int(x) if isinstance(x, (int, float)) else 0

    own = (str(r["pipeline"]), str(r["stage"]), str(r["manager"])) not in out \
        and r["manager"] != UNKNOWN_MANAGER
    total = totals[(r["pipeline"], r["stage"])]

    def rest(col: str) -> int:
        return total[col] - (n(r[col]) if own else 0)

    k, m = n(r["late"]), n(r["deals"])
    rn, rk = rest("deals"), rest("late")
    lo = hi = pv = None
    if rn and r["manager"] != UNKNOWN_MANAGER:
        _d, lo, hi = newcombe(k, m, rk, rn)
        pv = two_proportion_p(k, m, rk, rn)
    return {
        "pipeline": r["pipeline"], "stage": r["stage"], "to_stage": r["to_stage"],
        "manager": r["manager"], "deals": m, "late": k, "share": k / m,
        "waiting": r["waiting"], "median_wait_h": r["median_wait_h"], "rest_deals": rn,
        "rest_late": rk, "rest_share": rk / rn if rn else None, "diff_low": lo,
        "diff_high": hi, "p_value": pv, "flagged": False, "limit_h": r["limit_h"],
        "limit": "respond" if r["respond"] is not None else "median",
        "measure": "picked" if r["by_pick"] else "move", "working": working,
        "rest_late_reached": rest("late_reached"), "rest_late_judged": rest("late_judged"),
        "rest_on_time_reached": rest("on_reached"), "rest_on_time_judged": rest("on_judged"),
        "conv_p": None, "conv_clear": False, "deals_effect": None, "money": None,
        "regular_deals": n(r["reg_deals"]), "regular_late": n(r["reg_late"]),
        "rest_regular_deals": rest("reg_deals"), "rest_regular_late": rest("reg_late")}


def _cost(rows: list[dict[str, object]], value: dict[tuple[str, str], float]) -> None:
    """On the flagged rows: the rest's conversion when taken late against on time
    (two-sided z test, Holm over the flagged rows), and where it is clearly worse late,
    the deals at stake and their money (module docstring)."""
    # Timed to the first move, the wait ends with the outcome itself (a slow loss is a
    # late deal that did not move on): the rest's conversion by speed would be circular.
    flagged = [r for r in rows if r["flagged"] and r["measure"] == "picked"]
    for r in flagged:
        lk, ln = int(r["rest_late_reached"]), int(r["rest_late_judged"])  # type: ignore[call-overload]
        ok, on = int(r["rest_on_time_reached"]), int(r["rest_on_time_judged"])  # type: ignore[call-overload]
        r["conv_p"] = two_proportion_p(ok, on, lk, ln) if ln and on else None
    tested = [r for r in flagged if r["conv_p"] is not None]
    for r, clear in zip(tested, holm([float(r["conv_p"]) for r in tested], ALPHA),  # type: ignore[arg-type]
                        strict=True):
        lk, ln = int(r["rest_late_reached"]), int(r["rest_late_judged"])  # type: ignore[call-overload]
        ok, on = int(r["rest_on_time_reached"]), int(r["rest_on_time_judged"])  # type: ignore[call-overload]
        gap = ok / on - lk / ln
        r["conv_clear"] = clear and gap > 0
        if r["conv_clear"]:
            effect = (int(r["deals"]) * (float(r["share"]) - float(r["rest_share"]))  # type: ignore[call-overload, arg-type]
                      * gap)
            r["deals_effect"] = effect
            worth = value.get((str(r["pipeline"]), str(r["to_stage"])))
            r["money"] = effect * worth if worth is not None else None


def _cell(r: dict[str, object]) -> tuple[int, int, int, int]:
    """A speed row's (late orders, orders, late new business, new business)."""
    late, deals = int(r["late"]), int(r["deals"])  # type: ignore[call-overload]
    rl, rd = int(r["regular_late"]), int(r["regular_deals"])  # type: ignore[call-overload]
    return rl, rd, late - rl, deals - rd


def speed_findings(table: pl.DataFrame) -> list[Finding]:
    """A finding per manager clearly later than the rest at a stage, read within the
    kinds of client where the stage has regular clients' orders (`managers.client_mix`,
    at the bar Holm held the row to): a key-account manager's
    regulars, taken sooner, made the rest quick and a new-business manager «late» (88
    of 144 against 356 of 744; among new clients' requests, 68 of 110 against 181 of
    326). When it does not hold within the kinds, the finding says so and has no money at
    stake."""
    out: list[Finding] = []
    family = table["p_value"].drop_nulls().to_list() if table.height else []
    for r in table.filter(pl.col("flagged")).iter_rows(named=True):
        extra = r["late"] - r["deals"] * r["rest_share"]
        at_stake = r["deals_effect"]
        mix = None
        if r["regular_deals"] or r["rest_regular_deals"]:
            # The rest as the row's comparison has it: the stage's other managers not
            # flagged (a flagged one is left out of everyone's rest).
            rest = [_cell(q) for q in table.filter(
                (pl.col("pipeline") == r["pipeline"]) & (pl.col("stage") == r["stage"])
                & (pl.col("manager") != r["manager"]) & ~pl.col("flagged")
                ).iter_rows(named=True)]
            mix = client_mix(_cell(r), rest, worse=False,
                             level=holm_bar(float(r["p_value"]), family))
        if mix is not None and not mix.holds:
            at_stake, r["money"] = None, None
        out.append(Finding(
            "manager_speed", r["pipeline"], r["stage"], r["to_stage"], r["manager"],
            at_stake if at_stake is not None else extra, None, None, r["money"], r["share"],
            r["rest_share"], r["deals"], r["p_value"],
            speed=Speed(r["late"], r["rest_late"], r["rest_deals"], r["diff_low"],
                        r["diff_high"], r["limit_h"], r["limit"], r["measure"], r["working"],
                        r["waiting"], extra, r["rest_late_reached"], r["rest_late_judged"],
                        r["rest_on_time_reached"], r["rest_on_time_judged"], r["conv_p"],
                        r["conv_clear"]), regulars=mix))
    return out
