"""Sources: marketing or sales? (seed 003: qualification fell 44.62 % → 12.04 %, and the
sales team blamed the leads while marketing blamed the sales team.)

Conversion of every stage pair by source and month; each source's change between two
periods of months whose deals have had time to convert — by default the first and the
last third of such months, one to three months each, the months between left out (a
trend's ends, not two adjacent halves that dilute it; `periods`), or the ranges the
consultant names — (two-sided test on the periods' deals, Holm's correction
over all sources and pairs, family-wise 5 %); and the change of the overall rate split by
Kitagawa's shift-share decomposition into a *mix* effect (more leads from a source that
converts worse) and a *rate* effect (the sources themselves converting worse):

    ΔR = Σ (w2 − w1)·((r1 + r2)/2 − R̄)  +  Σ (r2 − r1)·(w1 + w2)/2
         mix                               rate

with w a source's share of the pair's entries, r its conversion in each period and R̄
the mean of the pair's overall rate in the two periods (Σ (w2 − w1) = 0, so R̄ changes
no total, only how the mix effect is shared among the sources). The two add up to the
change exactly, source by source; the source named is the one with the largest part of
the dominant effect (of the mix effect for a mix shift, of the rate effect for a rate
one), with that part, and whether that source's own change is clear after Holm
(`top_source_flagged`): a rate verdict blames a source only when it is, so the verdict
and the findings say the same (a clinic's verdict named Яндекс.Директ «вопрос
маркетинга» while the audit listed no source finding).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl
from polars.datatypes import DataTypeClass

from .cohorts import Cohorts, pair_month
from .exact_sum import exact_sum
from .findings import ALPHA, Finding, entangled_of
from .maturity import mature_months, whole_months
from .periods import SOURCES_UNUSED, Periods, PeriodsError, label, split
from .stats import (
    changes_agree_p,
    holm,
    newcombe,
    routed_manager,
    two_proportion_p,
)

__all__ = ["SourceTables", "source_tables", "source_findings", "UNKNOWN_SOURCE",
           "PeriodsError", "SPREAD_SHARE", "spread", "UNKNOWN_LIMIT", "unknown_heavy"]

UNKNOWN_SOURCE = "(no source)"
UNKNOWN_LIMIT = 0.2
"""Deals with no source making up this share of either period leave the change unsplit
(`unknown_heavy`)."""
MIN_SHARE_OF_CHANGE = 0.01
"""A mix or rate shift below one point of conversion is no finding."""
SPREAD_SHARE = 0.5
"""A rate effect that no source carries half of is spread over the sources: the way
leads are worked changed (sales), not one source's leads (marketing)."""


def spread(row: dict[str, object]) -> bool:
    """Whether a decomposition row's change is the rate's, spread over the sources (the
    verdict's «a sales matter»): no source carries `SPREAD_SHARE` of the rate effect; or
    the source that carries most of it is not clearly changed itself (not flagged after
    Holm), every source's conversion moved the rate effect's way and their changes agree
    with one common change (`sources_agree_p` at least `ALPHA`).

    A source's part of a common fall is its share of the deals, so by the first rule
    alone the largest source of a fall in every source made it «one source's»: a Kharkiv
    supplier's «КП надіслано» → «Переговори», 68.84 % → 50 % (p = 0.0012), Сайт −25 pp,
    prom.ua −14, Дзвінок −11, Сайт 47 % of the deals and 63 % of the rate effect and not
    flagged, read «too little to blame one source's leads» and was no finding
    (`tests/test_loss_uk_sales.py`). A flagged source keeps the first rule: small sources'
    noise agrees with anything, and seed 003's advertising, 40 % → 15 % beside two small
    sources that fell by chance, would have been read as the sales team's
    (`tests/test_b24_leads_ru.py`)."""
    if row["dominant"] != "rate":
        return False
    rate = float(row["rate_effect"])  # type: ignore[arg-type]
    top = float(row["top_source_rate_effect"])  # type: ignore[arg-type]
    if abs(top) < SPREAD_SHARE * abs(rate):
        return True
    agree = row.get("sources_agree_p")
    return (row.get("top_source_flagged") is False and bool(row.get("sources_same_way"))
            and isinstance(agree, float) and agree >= ALPHA)


def unknown_heavy(row: dict[str, object]) -> bool:
    """Whether a decomposition row's deals with no source make up `UNKNOWN_LIMIT` or
    more of either period: what their sources were is unknown, so neither the mix nor
    the rate effect says what the leads did. A CRM that started recording sources in
    May read its whole January–June fall as «more leads from worse sources, «Реклама»
    most», the first period's deals all «(no source)» and counted as one more source
    that shrank (`tests/test_mgr2_unknown_sources.py`)."""
    shares = (row.get("unknown_first"), row.get("unknown_last"))
    if any(isinstance(x, float) and x >= UNKNOWN_LIMIT for x in shares):
        return True
    # Fewer of them, but carrying more of the effect that dominates than any source:
    # the source named would not be the one that moved the rate.
    mine, top, effect = (row.get(k) for k in (
        "unknown_effect", "top_source_mix_effect" if row.get("dominant") == "mix"
        else "top_source_rate_effect", "mix_effect" if row.get("dominant") == "mix"
        else "rate_effect"))
    return (isinstance(mine, float) and isinstance(top, float) and isinstance(effect, float)
            and mine * effect > 0 and abs(mine) > abs(top))


@dataclass
class SourceTables:
    by_month: pl.DataFrame
    changes: pl.DataFrame
    decomposition: pl.DataFrame
    periods_unused: str | None = None
    """Why named periods compared no stage pair though the history has some (the audit
    warns, or refuses the periods when the loss reasons cannot use them either)."""


_Schema = dict[str, pl.DataType | DataTypeClass]
ENTANGLED_STRUCT = pl.Struct({
    "manager": pl.Utf8, "share": pl.Float64, "within_p": pl.Float64,
    "explained": pl.Boolean, "outside_k": pl.Int64, "outside_n": pl.Int64,
    "rest_k": pl.Int64, "rest_n": pl.Int64, "other_k": pl.Int64, "other_n": pl.Int64,
    "other_p": pl.Float64})
"""A difference read within the managers (`stats.routed_manager`, `findings.Entangled`)."""
_CHANGES: _Schema = {
    "pipeline": pl.Utf8, "from_stage": pl.Utf8, "to_stage": pl.Utf8, "source": pl.Utf8,
    "first": pl.Utf8, "last": pl.Utf8,
    "first_months": pl.List(pl.Utf8), "last_months": pl.List(pl.Utf8),
    "entered_first": pl.Int64, "rate_first": pl.Float64, "entered_last": pl.Int64,
    "rate_last": pl.Float64, "diff": pl.Float64, "diff_low": pl.Float64,
    "diff_high": pl.Float64, "p_value": pl.Float64, "flagged": pl.Boolean,
    "deals_effect": pl.Float64, "deals_low": pl.Float64, "deals_high": pl.Float64,
    "money": pl.Float64, "entangled": ENTANGLED_STRUCT, "within_days": pl.Float64}
"""`first`/`last` name the periods (`2026-01`, `2026-01..2026-03`); `first_months` and
`last_months` list the months old enough that each holds; `within_days`: both periods'
deals count as converted within that many days of entry (null: until the export's
end, when it is not known)."""
_DECOMP: _Schema = {
    "pipeline": pl.Utf8, "from_stage": pl.Utf8, "to_stage": pl.Utf8, "first": pl.Utf8,
    "last": pl.Utf8, "first_months": pl.List(pl.Utf8), "last_months": pl.List(pl.Utf8),
    "rate_first": pl.Float64, "rate_last": pl.Float64, "change": pl.Float64,
    "mix_effect": pl.Float64, "rate_effect": pl.Float64, "dominant": pl.Utf8,
    "top_source": pl.Utf8, "top_source_effect": pl.Float64,
    "top_source_rate_effect": pl.Float64, "top_source_mix_effect": pl.Float64,
    "top_source_flagged": pl.Boolean, "top_source_entered_first": pl.Int64,
    "top_source_entered_last": pl.Int64, "entered_first": pl.Int64, "entered_last": pl.Int64,
    "p_value": pl.Float64, "sources": pl.Int64, "sources_agree_p": pl.Float64,
    "sources_same_way": pl.Boolean, "money": pl.Float64, "entangled": ENTANGLED_STRUCT,
    "within_days": pl.Float64, "unknown_first": pl.Float64, "unknown_last": pl.Float64,
    "unknown_effect": pl.Float64}
"""`unknown_first`/`_last`: the share of each period's deals with no source;
`unknown_effect`: their part of the effect that dominates (`unknown_heavy`).
`entangled`: on a pair whose mix of sources is a finding, the top source against the
other sources read within the managers (`_mix_within_managers`), else null.
`top_source_entered_first`/`_last`: the top source's deals in each period, of
`entered_first`/`_last` (its share of the pair's, which the mix effect weighs)."""


def source_tables(c: Cohorts, data_end: datetime | None = None, tz: str = "UTC",
                  periods: Periods | None = None, since: datetime | None = None
                  ) -> SourceTables:
    """The tables, comparing the default periods or the named `periods` (checked
    against the data's months by the audit, `periods.outside`; `periods_unused` says
    when they hold no month old enough to judge). `since`: from when the history holds
    its cohorts whole (`maturity.seen_from`); the months before are not compared."""
    pairs = c.pairs
    keys = ["pipeline", "from_stage", "to_stage"]
    # Each pair's months and the last entry of each month, in `history`'s order of the
    # pairs: what the periods and the windows are chosen from. Then one group-by by
    # source and month counts both the reaches and those within the window: a group-by
    # of the 677,245 pair rows by five columns, for the table, for the months and again
    # for the window's counts, took 0.1 s of CPU each and 125 MB of fresh pages at the
    # 1M-event benchmark (issue 14).
    # Grouped by the pair's number (`Cohorts.pairs`' `pair`), the names joined to the
    # groups: grouped by the three names, these group-bys took ten times as long.
    # And by one integer, the pair's number and the month's category (`pair_month`): by
    # the two columns, a group-by row-encodes its keys, six times as long (issue 14).
    names = c.names()
    months_of = (pairs.lazy().group_by(pair_month())
                 .agg(pl.col("pair", "month").first(), last=pl.col("ta").max())
                 .drop("pm").collect()
                 .join(names, on="pair").sort(["pair", "month"]))
    changes: list[dict[str, object]] = []
    decomp: list[dict[str, object]] = []
    # Only the column it needs is split by pair: splitting the whole table copied all of
    # it (issue 14). Its nulls are left out first, as `mature_months` leaves them out:
    # split with them, it took twice as long.
    waits = {c.order[k]: g["hours_to"]
             for (k,), g in pairs.select("pair", "hours_to")
             .filter(pl.col("hours_to").is_not_null()).group_by("pair")}
    plans: list[tuple[str, str, str, list[str], list[str]]] = []
    for (p, a, b), grp in months_of.group_by(keys, maintain_order=True):
        months = whole_months(mature_months(
            sorted(str(m) for m in grp["month"].to_list()),
            waits.get((p, a, b), pl.Series([], dtype=pl.Float64)), data_end, tz), since, tz)
        early, late = split(months, periods)
        if early and late:
            plans.append((str(p), str(a), str(b), early, late))
    del waits
    # Both periods' deals are counted as converted within the same time of their entry:
    # the time the youngest deal of the later period has been followed. Counted until
    # the export's end, the earlier period had longer to convert: Olist's January 2018
    # leads, followed ~300 days, against May's 167–197, read «every source converts
    # worse in 2018-05 (13.32% → 9.98%, p = 0.0098)»; within 167 days it is 12.45% →
    # 9.90%.
    window = _windows(months_of, plans, data_end)
    del months_of
    judged = _judged(pairs, window, {k: i for i, k in enumerate(c.order)})
    both = (pairs.with_columns(within=judged["direct"]).lazy()
            .group_by(pair_month(), "source")
            .agg(pl.col("pair", "month").first(), entered=pl.len(),
                 reached=pl.col("direct").sum().cast(pl.Int64),
                 within=pl.col("within").sum().cast(pl.Int64),
                 value_sum=exact_sum(pl.col("value")),
                 valued=pl.col("value").is_not_null().sum().cast(pl.Int64))
            .select("pair", "source", "month", "entered", "reached", "within", "value_sum",
                    "valued").collect()
            .join(names, on="pair")
            .with_columns(pl.col("source", "month").cast(pl.Utf8))
            .with_columns(pl.col("source").fill_null(UNKNOWN_SOURCE)))
    by_month = (both.sort(["pair", "source", "month"])
                .select(*keys, "source", "month", "entered", "reached",
                        rate=pl.col("reached") / pl.col("entered")))
    counts = both.select("pair", "source", "month", "entered", "value_sum", "valued",
                         reached="within")
    del both
    by_pair = {c.order[k]: g for (k,), g in counts.group_by("pair")}
    for p, a, b, early, late in plans:
        cells = by_pair.get((p, a, b))
        if cells is None:
            continue
        hours = window.get((p, a, b))
        days = hours / 24 if hours is not None else None
        first, last = label(early), label(late)
        in_first, in_last = set(early), set(late)
        per: dict[str, tuple[int, int, int, int]] = {}
        priced: dict[str, tuple[list[float], int]] = {}
        for s, m, n, k, v, nv in cells.sort(["source", "month"]).select(
                "source", "month", "entered", "reached", "value_sum", "valued").iter_rows():
            if m in in_first or m in in_last:
                n1, k1, n2, k2 = per.get(s, (0, 0, 0, 0))
                per[s] = (n1 + n, k1 + k, n2, k2) if m in in_first else (n1, k1, n2 + n, k2 + k)
            if m in in_last and nv:
                vs, vn = priced.setdefault(s, ([], 0))
                priced[s] = ([*vs, float(v)], vn + int(nv))
        worth = c.stage_value.get((p, b))
        size = _relative_size(priced)
        for s, (n1, k1, n2, k2) in sorted(per.items()):
            if not n1 or not n2:
                continue
            d, lo, hi = newcombe(k2, n2, k1, n1)
            changes.append({
                "pipeline": p, "from_stage": a, "to_stage": b, "source": s, "first": first,
                "last": last, "first_months": early, "last_months": late, "entered_first": n1,
                "rate_first": k1 / n1, "entered_last": n2,
                "rate_last": k2 / n2, "diff": d, "diff_low": lo, "diff_high": hi,
                "p_value": two_proportion_p(k2, n2, k1, n1), "flagged": False,
                "deals_effect": -d * n2, "deals_low": -hi * n2, "deals_high": -lo * n2,
                "money": -d * n2 * worth * size.get(s, 1.0) if worth is not None else None,
                "entangled": None, "within_days": days})
        decomp.append({**_kitagawa(p, a, b, (early, late), per, worth), "within_days": days})
    unused = SOURCES_UNUSED if periods is not None and not decomp and by_month.height else None
    rejected = holm([float(r["p_value"]) for r in changes], ALPHA)  # type: ignore[arg-type]
    clear: set[tuple[object, ...]] = set()
    for r, rej in zip(changes, rejected):
        r["flagged"] = rej
        if rej:
            clear.add((r["pipeline"], r["from_stage"], r["to_stage"], r["source"]))
            if float(r["diff"]) < 0 and "manager" in pairs.columns:  # type: ignore[arg-type]
                r["entangled"] = _within_managers(judged, r)
    for row in decomp:
        row["top_source_flagged"] = (row["pipeline"], row["from_stage"], row["to_stage"],
                                     row["top_source"]) in clear
        row["entangled"] = (_mix_within_managers(judged, row)
                            if _effect_kind(row) == "source_mix" and "manager" in pairs.columns
                            else None)
    return SourceTables(by_month, pl.DataFrame(changes, schema=_CHANGES, orient="row"),
                        pl.DataFrame(decomp, schema=_DECOMP, orient="row"), unused)




def _relative_size(priced: dict[str, tuple[list[float], int]]) -> dict[str, float]:
    """Source → its mean deal value against the pair's, over the later period's deals
    with a value (`priced`: per source, its months' value sums and how many deals had
    one): what the deals a source's change cost are worth beside the pair's average
    deal, as a manager's are (`managers._relative_size`). The deals a source lost are
    its own: an advertising source whose deals were worth three times the site's had
    each of them priced as the average deal, two thirds of its worth
    (`tests/test_mgr_source_money.py`), and a furniture maker's Instagram, whose deals
    were smaller than the rest's, above its worth. A source without a valued deal keeps
    the pair's worth (1)."""
    total = math.fsum(v for vs, _n in priced.values() for v in vs)
    count = sum(n for _vs, n in priced.values())
    if not total or not count:
        return {}
    team = total / count
    return {s: math.fsum(vs) / n / team for s, (vs, n) in priced.items() if n}


def _within_managers(pairs: pl.DataFrame, r: dict[str, object]) -> dict[str, object] | None:
    """A source's clear fall (`r`, a row of `_CHANGES`) read within the managers, when
    one manager is routed its last period's deals (`stats.routed`): the leads were
    handed to a manager who converts every source worse (seed 003's quarrel, «отдел
    продаж объяснял ситуацию некачественными лидами»), and the source looked as if its
    leads got worse. Each manager is a stratum, the last period against the first
    (Cochran–Mantel–Haenszel); the fall is that manager's when it is not clear within
    the managers and the manager converts the other sources' last-period deals clearly
    worse than the rest of the team. Only flagged falls are read again: Holm's family
    is the table's."""
    at, managers = _cells(pairs, r, str(r["source"]))
    return routed_manager({m: (*at(m, True, True), *at(m, True, False)) for m in managers},
                          {m: at(m, True, True) for m in managers},
                          {m: at(m, False, True) for m in managers}, False, ALPHA)


def _effect_kind(r: dict[str, object]) -> Literal["source_mix", "source_rate"] | None:
    """Which finding pair `r` (a row of `_DECOMP`) is, if any. Only a change beyond
    chance is explained, as the decomposition's verdict says: an online school's
    «Квалификация» → «Пробный урок», 54.55 % → 53.54 % (p = 0.89, "nothing to split"),
    was still a finding «состав источников сдвинул конверсию». Every source converting
    worse is the sales side of the question (`source_rate`): without it the audit
    listed a school's qualification mix (marketing, 137 thousand ₴) and nothing of its
    trial lessons paid 40% → 24% in every source (sales, 339 thousand ₴), which only the
    decomposition's table said. Else a mix that lowered the rate (`source_mix`)."""
    if r["p_value"] is None or _num(r, "p_value") >= ALPHA or unknown_heavy(r):
        return None
    if _num(r, "sources") >= 2 and spread(r) and _num(r, "rate_effect") <= -MIN_SHARE_OF_CHANGE \
            and not r["top_source_flagged"]:
        return "source_rate"
    if r["dominant"] == "mix" and _num(r, "mix_effect") <= -MIN_SHARE_OF_CHANGE:
        return "source_mix"
    return None


def _num(r: dict[str, object], key: str) -> float:
    v = r[key]
    if not isinstance(v, (int, float)):
        raise TypeError(f"decomposition {key}: expected a number, got {v!r}")
    return float(v)


def _mix_within_managers(pairs: pl.DataFrame, r: dict[str, object]
                         ) -> dict[str, object] | None:
    """A mix of sources that lowered a pair's rate (`r`, a row of `_DECOMP`) read within
    the managers, when one manager is routed the source that carried it (`stats.routed`):
    marketing bought more of a source whose requests convert worse only as that manager
    works them (seed 003's quarrel again: a kitchen maker bought six times as many Авито
    requests, 80 % of them went to a junior who qualifies half as well on every source,
    and the audit said «больше заявок из худших источников, больше всего из «Авито»»).
    Each manager is a stratum, the source against the other sources over both periods
    (Cochran–Mantel–Haenszel); the source's being worse is that manager's when it is not
    clear within the managers and the manager converts the other sources clearly worse
    than the rest of the team."""
    at, managers = _cells(pairs, r, str(r["top_source"]))

    def both(m: str, mine: bool) -> tuple[int, int]:
        (k1, n1), (k2, n2) = at(m, mine, False), at(m, mine, True)
        return k1 + k2, n1 + n2

    return routed_manager({m: (*both(m, True), *both(m, False)) for m in managers},
                          {m: both(m, True) for m in managers},
                          {m: both(m, False) for m in managers}, False, ALPHA)


def _cells(pairs: pl.DataFrame, r: dict[str, object], source: str
           ) -> tuple[Callable[[str, bool, bool], tuple[int, int]], set[str]]:
    """The deals of pair `r` in its two periods (`first_months`, `last_months`) by
    manager ("" for none), `source`'s or another's, and period: (reached, entered) at
    (manager, the source's, the last period's); and the managers."""
    early = [str(m) for m in r["first_months"]]  # type: ignore[attr-defined]
    late = [str(m) for m in r["last_months"]]  # type: ignore[attr-defined]
    cells = (pairs.filter((pl.col("pipeline").cast(pl.Utf8) == r["pipeline"])
                          & (pl.col("from_stage").cast(pl.Utf8) == r["from_stage"])
                          & (pl.col("to_stage").cast(pl.Utf8) == r["to_stage"])
                          & pl.col("month").cast(pl.Utf8).is_in(early + late))
             .group_by(manager=pl.col("manager").cast(pl.Utf8).fill_null(""),
                       mine=pl.col("source").cast(pl.Utf8).fill_null(UNKNOWN_SOURCE)
                       == source,
                       late=pl.col("month").cast(pl.Utf8).is_in(late))
             .agg(n=pl.len(), k=pl.col("direct").sum()))
    per: dict[tuple[str, bool, bool], tuple[int, int]] = {
        (str(m), bool(mine), bool(lt)): (int(k), int(n))
        for m, mine, lt, n, k in cells.select("manager", "mine", "late", "n", "k").iter_rows()}

    def at(m: str, mine: bool, lt: bool) -> tuple[int, int]:
        return per.get((m, mine, lt), (0, 0))

    return at, {m for m, _mine, _lt in per}


def _windows(months: pl.DataFrame, plans: list[tuple[str, str, str, list[str], list[str]]],
             data_end: datetime | None) -> dict[tuple[str, str, str], float]:
    """(pipeline, from, to) → the hours every deal of the later period has been followed:
    from the last entry of its youngest month to the export's end. `months`: per pair
    and month, its `last` entry."""
    if data_end is None or not plans:
        return {}
    keys = ["pipeline", "from_stage", "to_stage"]
    last = {tuple(str(x) for x in k): t for *k, t in
            months.select(*keys, "month", "last").iter_rows()}
    out = {}
    for p, a, b, _early, late in plans:
        t = last.get((p, a, b, late[-1]))
        if isinstance(t, datetime):
            out[(p, a, b)] = max(0.0, (data_end - t).total_seconds() / 3600.0)
    return out


def _judged(pairs: pl.DataFrame, window: dict[tuple[str, str, str], float],
            ids: dict[tuple[str, str, str], int]) -> pl.DataFrame:
    """`pairs` with `direct` true only for a deal that reached the next stage within its
    pair's `window` of entry (pairs without one as they are). `ids`: each pair's number
    in the table (`Cohorts.pairs`' `pair`)."""
    if not window:
        return pairs
    # Each pair's window looked up by its number: a key string built for every row (the
    # three names joined, then looked up) took 0.4 s of the audit's CPU on the
    # benchmark's 677,000 rows, comparisons of the category columns with each pair's
    # names 0.07 s, this 0.01 s (issue 14).
    hours = pl.col("pair").replace_strict({ids[k]: v for k, v in window.items()},
                                          default=None, return_dtype=pl.Float64)
    return pairs.with_columns(direct=pl.when(hours.is_null()).then(pl.col("direct"))
                              .otherwise(pl.col("direct") & (pl.col("hours_to") <= hours)
                                         .fill_null(False)))


def _kitagawa(p: str, a: str, b: str, blocks: tuple[list[str], list[str]],
              per: dict[str, tuple[int, int, int, int]], worth: float | None
              ) -> dict[str, object]:
    n1 = sum(v[0] for v in per.values())
    n2 = sum(v[2] for v in per.values())
    k1 = sum(v[1] for v in per.values())
    k2 = sum(v[3] for v in per.values())
    r_all1 = k1 / n1 if n1 else 0.0
    r_all2 = k2 / n2 if n2 else 0.0
    # Each source's part of the mix effect is measured from the pair's average rate:
    # the shares add up to one in both periods, so this leaves the total unchanged,
    # but a source only moves the rate by gaining (or losing) share while converting
    # worse (or better) than the rest. Uncentred, the source whose share changed most
    # carried the largest part whatever its rate: a good source losing share was named
    # as the one "bringing worse leads", and a steady pair's change of +0.4 pp had a
    # source "accounting for +15.6 pp" of it.
    centre = (r_all1 + r_all2) / 2
    mix = rate = 0.0
    parts: list[tuple[str, float, float, int, int]] = []
    for s, (sn1, sk1, sn2, sk2) in per.items():
        w1 = sn1 / n1 if n1 else 0.0
        w2 = sn2 / n2 if n2 else 0.0
        r1 = sk1 / sn1 if sn1 else None
        r2 = sk2 / sn2 if sn2 else None
        # A source missing from one period has no rate there; its weight is 0 then, so
        # the other period's rate stands in without changing the sum.
        r1v = r1 if r1 is not None else (r2 or 0.0)
        r2v = r2 if r2 is not None else (r1 or 0.0)
        m_s = (w2 - w1) * ((r1v + r2v) / 2 - centre)
        r_s = (r2v - r1v) * (w1 + w2) / 2
        mix += m_s
        rate += r_s
        parts.append((s, m_s, r_s, sn1, sn2))
    change = r_all2 - r_all1
    dominant = "rate" if abs(rate) >= abs(mix) else "mix"
    # The source named is the one that carried most of the dominant effect: by its
    # total, a mix shift was pinned on a source whose own rate fell a lot while its
    # share hardly moved, not on the one whose share tripled at a below-average rate.
    # Most of it, the effect's way: by the size of its part alone, a fall was pinned on
    # a source whose part rose the rate («accounts for +6 pp of it», a source converting
    # better named as the one whose leads got worse) when the other sources' parts
    # outweighed it together (`tests/test_mgr_source_named.py`).
    # Never the deals with no source: «look at that source's leads» cannot be done
    # for them, and a source named must be one the client can act on.
    effect = rate if dominant == "rate" else mix
    part = (lambda x: x[2]) if dominant == "rate" else (lambda x: x[1])
    named = [x for x in parts if x[0] != UNKNOWN_SOURCE]
    same = [x for x in named if part(x) * effect > 0]
    top = (max(same or named, key=lambda x: abs(part(x))) if named
           else ("", 0.0, 0.0, 0, 0))
    unknown = per.get(UNKNOWN_SOURCE, (0, 0, 0, 0))
    unknown_part = next((part(x) for x in parts if x[0] == UNKNOWN_SOURCE), None)
    return {"pipeline": p, "from_stage": a, "to_stage": b, "first": label(blocks[0]),
            "last": label(blocks[1]), "first_months": blocks[0], "last_months": blocks[1],
            "rate_first": r_all1, "rate_last": r_all2, "change": change, "mix_effect": mix,
            "rate_effect": rate, "dominant": dominant,
            "top_source": top[0], "top_source_effect": top[1] + top[2],
            "top_source_mix_effect": top[1], "top_source_rate_effect": top[2],
            "top_source_entered_first": top[3], "top_source_entered_last": top[4],
            "entered_first": n1, "entered_last": n2,
            # Whether the change itself is more than chance, and how many sources the
            # history names: the sentence explains only a real change, and splits it
            # between marketing and sales only when there are two sources to compare.
            "p_value": two_proportion_p(k2, n2, k1, n1),
            "sources": sum(1 for s in per if s != UNKNOWN_SOURCE),
            # Whether the sources changed alike (Cochran's Q) and all the rate effect's
            # way: a fall in every source is the sales side even when one source, being
            # the largest, carries most of it (`spread`).
            "sources_agree_p": changes_agree_p([(k1, n1, k2, n2)
                                                 for n1, k1, n2, k2 in per.values()]),
            "sources_same_way": all((sk2 / sn2 - sk1 / sn1) * rate > 0
                                    for sn1, sk1, sn2, sk2 in per.values() if sn1 and sn2),
            "money": -change * n2 * worth if worth is not None else None,
            "unknown_first": unknown[0] / n1 if n1 else None,
            "unknown_last": unknown[2] / n2 if n2 else None, "unknown_effect": unknown_part}


def source_findings(st: SourceTables) -> list[Finding]:
    out: list[Finding] = []
    # Deals with no source are no source whose leads the client can look at: their
    # change stays in the table, unnamed in the findings (`unknown_heavy`).
    for r in st.changes.filter(pl.col("flagged") & (pl.col("diff") < 0)
                               & (pl.col("source") != UNKNOWN_SOURCE)).iter_rows(named=True):
        ent = entangled_of(r["entangled"])
        explained = ent is not None and ent.explained
        # The deals that moved on in each period, back from its rate and its deals (the
        # rate is their quotient): the sentence gives each rate its base.
        n_first, n_last = int(r["entered_first"]), int(r["entered_last"])
        counts = (round(r["rate_first"] * n_first), n_first,
                  round(r["rate_last"] * n_last), n_last)
        out.append(Finding("source_quality", r["pipeline"], r["from_stage"], r["to_stage"],
                           r["source"], r["deals_effect"],
                           None if explained else r["deals_low"],
                           None if explained else r["deals_high"],
                           None if explained else r["money"], r["rate_last"], r["rate_first"],
                           r["entered_last"], r["p_value"], (r["first"], r["last"]),
                           within_days=r["within_days"], entangled=ent, counts=counts))
    for r in st.decomposition.iter_rows(named=True):
        kind = _effect_kind(r)
        if kind is not None:
            out.append(_effect_finding(kind, r, r["rate_effect" if kind == "source_rate"
                                                  else "mix_effect"]))
    return out


def _effect_finding(kind: Literal["source_mix", "source_rate"], r: dict[str, object],
                    effect: float) -> Finding:
    """The decomposition's mix or rate effect of pair `r` (a row of `_DECOMP`) as a
    finding: the deals it cost in the last period and its share of the change's money."""
    def num(key: str) -> float:
        return _num(r, key)

    def text(key: str) -> str:
        return str(r[key])

    change, entered = num("change"), int(num("entered_last"))
    money = None if r["money"] is None or not change else num("money") * effect / change
    ent = entangled_of(r["entangled"]) if kind == "source_mix" else None
    if ent is not None and ent.explained:
        money = None
    # A mix finding gives its source's share of the deals in each period: the source
    # that carried the fall either grew converting worse or shrank converting better,
    # and the sentence says which.
    counts = ((int(num("top_source_entered_first")), int(num("entered_first")),
               int(num("top_source_entered_last")), entered)
              if kind == "source_mix" else None)
    return Finding(kind, text("pipeline"), text("from_stage"), text("to_stage"),
                   text("top_source") if kind == "source_mix" else None,
                   -effect * entered, None, None, money, num("rate_last"),
                   num("rate_first"), entered,
                   num("p_value") if kind == "source_rate" else None,
                   (text("first"), text("last")),
                   within_days=None if r["within_days"] is None else num("within_days"),
                   entangled=ent, counts=counts)
