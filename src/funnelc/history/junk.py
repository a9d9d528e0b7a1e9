"""Which source brings junk (issue 14; seed 003: the reasons must be filled in to tell
marketing's junk from sales' mistakes), and what it costs.

A *junk reason* is read from the data, not from a word list: a loss reason (not the
empty one nor a catch-all, `catch_all.is_catch_all`) more than half of whose losses in
a pipeline are at its *qualifying stage*, the first stage, in the pipeline's order, that
loses deals (at least `FIRST_LOSSES` of the pipeline's losses): where a request is judged
before anyone works it, and the request itself was the trouble («Нецелевой», «Спам»,
«Не наш регион», «Не наш профіль», «Дубль»...). It is the entry stage («Новая заявка»),
or the one after an inbox nobody is lost from: a Bitrix24 lead goes «Не обработан» →
«В работе», and is judged there. A list of words misses each account's own
(and its language's); the stage a reason is given at is in every export. The rule does
not look at the sources, so the source comparison below stays an honest test: choosing
the reasons by how unevenly the sources have them would make any source look guilty of
them. A reason given at the first call as often as later («Передумал») is not junk, nor
is one given after the qualifying stage («Не дозвонились» at «Консультация»).

A source's *junk* is its deals lost at the qualifying stage with a junk reason, of all its
deals in the pipeline but the orders of buyers (where the export names the deal's client:
a deal of a client who had a deal won in the pipeline before it entered, is that buyer's
next order, not a lead, `transitions.first_purchases`); it is compared with the same share of the pipeline's other
deals (every other source together), two-sided pooled two-proportion z test (the counts
are hundreds: the normal approximation holds, and it is the test of the audit's other
comparisons), Holm's correction over every source of every pipeline (family-wise 5 %,
`ALPHA`), and Newcombe's interval of the difference. A source is named when its share is
clearly above the rest's, with at least `MIN_JUNK` junk deals.

What the junk cost is the funnel's price of the source (`source "Авито" … cost 600`,
`budget 45k/month`): junk deals × the cost per lead, plus the budget paid over the
calendar months the source's deals came in, times the source's junk share. A source the
funnel gives no price has no money (None), which the sentence says: not a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from polars.datatypes import DataTypeClass

from .analytics import months_of
from .catch_all import catch_alls_among
from .deal_list import DEAL_LEVEL_STAGES
from .events import REASON_NOT_KEPT, WON
from .findings import ALPHA, Contact, Finding, Junk, entangled_of
from .loss_reasons import NO_REASON
from .sources import ENTANGLED_STRUCT, UNKNOWN_SOURCE
from .stats import holm, newcombe, routed_manager, two_proportion_p
from .transitions import first_purchases

if TYPE_CHECKING:
    from .. import model as m

__all__ = ["SourcePrice", "junk_table", "junk_findings", "source_prices", "MIN_JUNK",
           "JUNK_AT_ENTRY"]

MIN_JUNK = 10
"""A source is named for its junk from 10 junk deals (as the missing reasons' finding)."""
JUNK_AT_ENTRY = 0.5
"""A reason is junk when more than this share of its losses is at the qualifying stage."""
FIRST_LOSSES = 0.05
"""The qualifying stage is the first stage with at least this share of the pipeline's
losses (an inbox that loses a deal now and then is not where requests are judged)."""
HOURS_PER_MONTH = 730.0
"""A month of a `budget` (the language's month: 730 hours)."""


@dataclass(frozen=True)
class SourcePrice:
    """What the funnel says a source costs: per lead (`cost`) and per month (`budget`)."""
    per_lead: float | None = None
    per_month: float | None = None


def source_prices(funnel: m.FunnelFile | None) -> dict[str, SourcePrice]:
    """Each source's price as the funnel gives it (sources with neither left out)."""
    out: dict[str, SourcePrice] = {}
    for s in funnel.sources if funnel is not None else ():
        per_lead = s.cost.value if s.cost is not None else None
        per_month = s.budget.per_hour * HOURS_PER_MONTH if s.budget is not None else None
        if per_lead is not None or per_month is not None:
            out[_key(s.name.value)] = SourcePrice(per_lead, per_month)
    return out


def _key(name: str) -> str:
    """A source's name as the prices are looked up: case and outer spaces aside, as the
    history's names are matched to the funnel's."""
    return " ".join(name.split()).casefold()


_SCHEMA: dict[str, pl.DataType | DataTypeClass] = {
           "pipeline": pl.Utf8, "stage": pl.Utf8, "source": pl.Utf8, "deals": pl.Int64,
           "junk": pl.Int64, "share": pl.Float64, "rest_deals": pl.Int64,
           "rest_junk": pl.Int64, "rest_share": pl.Float64, "diff_low": pl.Float64,
           "diff_high": pl.Float64, "p_value": pl.Float64, "flagged": pl.Boolean,
           "months": pl.Int64, "reasons": pl.List(pl.Struct({"reason": pl.Utf8,
                                                              "junk": pl.Int64})),
           "entangled": ENTANGLED_STRUCT,
           "contact": pl.Struct({
               "reasons": pl.List(pl.Utf8), "count": pl.Int64, "hours": pl.Float64,
               "rest_count": pl.Int64, "rest_hours": pl.Float64, "p_value": pl.Float64,
               "sooner": pl.Boolean})}


def junk_table(visits: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Per pipeline and source (pipelines with two named sources or more and some junk;
    the largest junk share first): its deals, those lost at the qualifying stage with a junk reason, the
    rest's, the test (module docstring), the calendar months its deals came in and its
    junk by reason (most first)."""
    if not visits.height or "source" not in visits.columns \
            or visits["source"].null_count() == visits.height:
        return pl.DataFrame(schema=_SCHEMA)
    # Each deal's first visit in each pipeline: the visits are in entered order per deal
    # (`transitions.build_visits`), so it is the deal's first row in the pipeline. A
    # group-by sorting each deal's visits by time cost three times as much (issue 14).
    first = (visits.lazy().filter(_first_in_pipeline(visits))
             .select("deal_id", "pipeline", "stage", "source", "entered").collect())
    first = first.with_columns(months_of(first["entered"], tz).alias("month"))
    first = _leads(visits, first).drop("entered")
    entry = _qualifying(visits, first)
    # A list read deal by deal has every loss at its one stage: each reason would be
    # junk («Дорого» too), so there is no qualifying stage to judge requests at.
    whole = {p for p, s in entry.items() if s in DEAL_LEVEL_STAGES.values()}
    if whole:
        entry = {p: s for p, s in entry.items() if p not in whole}
        first = first.filter(~pl.col("pipeline").is_in(list(whole)))
        visits = visits.filter(~pl.col("pipeline").is_in(list(whole)))
        if not entry:
            return pl.DataFrame(schema=_SCHEMA)
    # The catch-all reasons («Другое», « другое ») are found among the distinct reasons:
    # trimmed and lowercased row by row, the losses' reasons took 0.05 s of the 1M-event
    # benchmark (issue 14).
    catch_all = pl.Series(catch_alls_among(visits["reason"].unique().to_list()),
                          dtype=pl.Utf8)
    # The columns read, then the losses with a reason: filtered whole and at once, it
    # took a third longer (issue 14).
    lost = (visits.lazy().select("deal_id", "pipeline", "stage", "exit", "reason",
                                 "reason_unkept", "hours")
            .filter((pl.col("exit") == "lost") & pl.col("reason").is_not_null()
                    & (pl.col("reason") != NO_REASON)
                    & (pl.col("reason") != REASON_NOT_KEPT)
                    & ~pl.col("reason").is_in(catch_all.implode())
                    & ~pl.col("reason_unkept").fill_null(False))
            .with_columns(at_entry=pl.col("stage") == pl.col("pipeline")
                          .replace_strict(entry, default=None)).collect())
    junk_reasons = (lost.group_by("pipeline", "reason")
                    .agg(share=pl.col("at_entry").mean())
                    .filter(pl.col("share") > JUNK_AT_ENTRY).select("pipeline", "reason"))
    junk = (lost.filter(pl.col("at_entry"))
            .join(junk_reasons, on=["pipeline", "reason"])
            .group_by("deal_id", "pipeline").agg(pl.col("reason", "hours").last()))
    deals = (first.join(junk, on=["deal_id", "pipeline"], how="left")
             .with_columns(source=pl.col("source").fill_null(UNKNOWN_SOURCE)))
    rows: list[dict[str, object]] = []
    # (junk, deals, the rest's junk, the rest's deals, p) of each row.
    tested: list[tuple[int, int, int, int, float]] = []
    groups: dict[str, pl.DataFrame] = {}
    for (p,), grp in deals.group_by(["pipeline"], maintain_order=True):
        groups[str(p)] = grp
        per = (grp.group_by("source")
               .agg(deals=pl.len(), junk=pl.col("reason").is_not_null().sum(),
                    months=pl.col("month").n_unique())
               .sort("source"))
        if per.filter(pl.col("source") != UNKNOWN_SOURCE).height < 2:
            continue
        total, total_junk = int(per["deals"].sum()), int(per["junk"].sum())
        if not total_junk:
            continue  # no junk reason in the pipeline: nothing to compare, no test
        by_reason = (grp.filter(pl.col("reason").is_not_null())
                     .group_by("source", "reason").agg(junk=pl.len())
                     .sort(["junk", "reason"], descending=[True, False]))
        for s, n, k, months in per.iter_rows():
            if s == UNKNOWN_SOURCE:
                continue
            rn, rk = total - n, total_junk - k
            _d, lo, hi = newcombe(k, n, rk, rn)
            tested.append((k, n, rk, rn, two_proportion_p(k, n, rk, rn)))
            rows.append({"pipeline": str(p), "stage": entry[p], "source": s, "deals": n,
                         "junk": k, "share": k / n, "rest_deals": rn, "rest_junk": rk,
                         "rest_share": rk / rn if rn else None, "diff_low": lo,
                         "diff_high": hi, "p_value": tested[-1][4],
                         "flagged": False, "months": months, "entangled": None,
                         "contact": None,
                         "reasons": by_reason.filter(pl.col("source") == s)
                         .select("reason", "junk").to_dicts()})
    worked: dict[str, pl.DataFrame] = {}
    tests = [(float(k / n), rk / rn if rn else None, k, p_value)
             for k, n, rk, rn, p_value in tested]
    for r, (share, rest, k, _p), clear in zip(rows, tests, holm([t[3] for t in tests], ALPHA),
                                             strict=True):
        r["flagged"] = clear and rest is not None and share > rest and k >= MIN_JUNK
        if r["flagged"] and "manager" in visits.columns:
            p = str(r["pipeline"])
            if p not in worked:
                worked[p] = _with_managers(visits, groups[p])
            r["entangled"] = _within_managers(worked[p], str(r["source"]))
        if r["flagged"]:
            r["contact"] = _contact(groups[str(r["pipeline"])], r)
    # The most junk first in each pipeline, as a consultant reads the table.
    return (pl.DataFrame(rows, schema=_SCHEMA, orient="row")
            .sort(["pipeline", "share", "source"], descending=[False, True, False]) if rows
            else pl.DataFrame(schema=_SCHEMA))


def _first_in_pipeline(visits: pl.DataFrame) -> pl.Expr:
    """Whether a visit is its deal's first in its pipeline (the visits sorted by deal).
    When no deal moves between pipelines, as in most exports, that is the first row of
    each deal: found by comparing neighbours, not by hashing every (deal, pipeline)
    pair, a third of the time (issue 14)."""
    d, p = pl.col("deal_id"), pl.col("pipeline")
    new = (d != d.shift(1)).fill_null(True)
    if visits.select((new | p.eq_missing(p.shift(1))).all()).item():
        return new
    return pl.struct("deal_id", "pipeline").is_first_distinct()


def _contact(grp: pl.DataFrame, r: dict[str, object]) -> dict[str, object] | None:
    """How long a flagged source's requests lost as failed contact attempts («Не
    дозвонились», `lint.naming.is_failed_contact`) were called, against the other
    sources' lost for the same reasons, when such losses make half of its junk or more.
    The rule of junk reads them as the lead's: a request lost at the first call. Seed
    004's integrator calls within 15 minutes and closes after five attempts; a team that
    gives up on one source's requests within two hours, and calls the others' for days,
    made that source «bring junk» (tests/data/routing_csv_ru, story «give_up»). `grp`:
    the pipeline's deals with their junk reason and its `hours` at the qualifying
    stage."""
    from ..lint.naming import is_failed_contact

    reasons = [str(x["reason"]) for x in r["reasons"]  # type: ignore[attr-defined]
               if is_failed_contact(str(x["reason"]))]
    if not reasons:
        return None
    called = grp.filter(pl.col("reason").is_in(reasons) & pl.col("hours").is_not_null())
    mine = called.filter(pl.col("source") == r["source"])["hours"].to_numpy()
    rest = called.filter(pl.col("source") != r["source"])["hours"].to_numpy()
    if len(mine) < MIN_JUNK or 2 * len(mine) < int(r["junk"]):  # type: ignore[call-overload]
        return None
    p = None
    if len(rest) >= MIN_JUNK:
        from scipy.stats import mannwhitneyu

        p = float(mannwhitneyu(mine, rest, alternative="two-sided").pvalue)
    hours, rest_hours = float(np.median(mine)), float(np.median(rest)) if len(rest) else None
    return {"reasons": reasons, "count": len(mine), "hours": hours, "rest_count": len(rest),
            "rest_hours": rest_hours, "p_value": p,
            "sooner": p is not None and p < ALPHA and rest_hours is not None
            and hours < rest_hours}


def _leads(visits: pl.DataFrame, first: pl.DataFrame) -> pl.DataFrame:
    """`first` (each deal's first visit in each pipeline, with its `entered`) without the
    orders of buyers: deals of a client with a deal won in the pipeline before they
    entered. A packaging wholesaler's 425 orders of clients who had bought, none of them
    junk, made the site's 13 junk requests of 213 read as 6.1% against the other
    sources' 1.93% (p = 0.0016), a finding, where the other sources' leads had 13 of 250
    (tests/test_supplies_repeat_buyers.py)."""
    if "contact" not in visits.columns or visits["contact"].null_count() == visits.height:
        return first
    deals = (visits.lazy().filter(pl.col("contact").is_not_null())
             .group_by("deal_id", "pipeline")
             .agg(pl.col("contact").first(),
                  won_at=pl.col("left").filter(pl.col("exit") == WON).min()))
    orders = (deals.join(first_purchases(deals, "won_at"), on=["pipeline", "contact"])
              .join(first.lazy().select("deal_id", "pipeline", "entered"),
                    on=["deal_id", "pipeline"])
              .filter(pl.col("first_buy") < pl.col("entered")).select("deal_id", "pipeline"))
    return first.join(orders.collect(), on=["deal_id", "pipeline"], how="anti")


def _with_managers(visits: pl.DataFrame, grp: pl.DataFrame) -> pl.DataFrame:
    """One pipeline's deals (`grp`) with the manager of each deal's first visit, read
    only for a flagged source: issue 14 allows managers and sources 1.3 times the plain
    history's time, and taken with every deal's first stage and source the manager was
    a third column sorted per deal whether or not any source was flagged."""
    p = grp["pipeline"][0]
    first = (visits.lazy().filter(pl.col("pipeline") == p)
             .join(grp.lazy().select("deal_id"), on="deal_id", how="semi")
             .group_by("deal_id").agg(pl.col("manager").sort_by("entered").first())
             .collect())
    return grp.join(first, on="deal_id", how="left")


def _within_managers(grp: pl.DataFrame, source: str) -> dict[str, object] | None:
    """A flagged source's junk read within the managers (`Entangled`), when one manager
    is routed it (`stats.routed`): routed leads (80 % of Авито's requests to the
    junior, who closes half of his leads as «Нецелевой» on every source) made the
    source look like junk for how it is worked. Each manager's deals are a stratum, the
    source against the other sources in it (Cochran–Mantel–Haenszel); the finding is the
    manager's when that is not clear and the manager's junk on the other sources is
    clearly above the other managers' there. Only flagged sources are read again: Holm's
    family is the table's, and a source can only lose its blame here."""
    cells = (grp.with_columns(pl.col("manager").fill_null(""),
                              mine=pl.col("source") == source)
             .group_by("manager", "mine")
             .agg(n=pl.len(), k=pl.col("reason").is_not_null().sum()))
    per: dict[str, list[int]] = {}
    for who, mine, n, k in cells.select("manager", "mine", "n", "k").iter_rows():
        cell = per.setdefault(str(who), [0, 0, 0, 0])
        cell[0 if mine else 2] += int(k)
        cell[1 if mine else 3] += int(n)
    return routed_manager({w: (c[0], c[1], c[2], c[3]) for w, c in per.items()},
                          {w: (c[0], c[1]) for w, c in per.items()},
                          {w: (c[2], c[3]) for w, c in per.items()}, True, ALPHA)


def _qualifying(visits: pl.DataFrame, first: pl.DataFrame) -> dict[str, str]:
    """Each pipeline's qualifying stage (module docstring): the lowest-ranked stage with
    `FIRST_LOSSES` of its lost visits; the stage most of its deals enter at when none
    has."""
    entry = dict(first.group_by("pipeline", "stage").len()
                 .sort(["pipeline", "len", "stage"], descending=[False, True, False])
                 .unique("pipeline", keep="first", maintain_order=True)
                 .select("pipeline", "stage").iter_rows())
    if "rank" not in visits.columns:
        return entry
    # Lazy, so that only the three columns read are taken from the lost visits: filtered
    # whole, every column of a quarter of the visits was copied (issue 14).
    stages = (visits.lazy().filter(pl.col("exit") == "lost")
              .group_by("pipeline", "stage").agg(n=pl.len(), rank=pl.col("rank").min())
              .collect()
              .filter(pl.col("n") >= FIRST_LOSSES * pl.col("n").sum().over("pipeline"))
              .sort(["pipeline", "rank", "stage"], nulls_last=True)
              .unique("pipeline", keep="first", maintain_order=True))
    return {**entry, **dict(stages.select("pipeline", "stage").iter_rows())}


def junk_findings(table: pl.DataFrame, prices: dict[str, SourcePrice]) -> list[Finding]:
    """A finding per flagged source, with what its junk cost when the funnel prices it."""
    out: list[Finding] = []
    for r in table.filter(pl.col("flagged")).iter_rows(named=True):
        price = prices.get(_key(r["source"]))
        money = None
        if price is not None:
            money = ((r["junk"] * price.per_lead if price.per_lead is not None else 0.0)
                     + (price.per_month * r["months"] * r["share"]
                        if price.per_month is not None else 0.0))
        extra = r["junk"] - r["deals"] * r["rest_share"]
        ent = entangled_of(r["entangled"])
        c = r["contact"]
        contact = Contact(tuple(c["reasons"]), c["count"], c["hours"], c["rest_count"],
                          c["rest_hours"], c["p_value"], c["sooner"]) if c else None
        # Junk that is how the requests are worked (routed to one manager, or given up
        # on sooner) has no money at stake: it is not what the leads cost.
        worked_so = (ent is not None and ent.explained) or (contact is not None
                                                            and contact.sooner)
        out.append(Finding(
            "source_junk", r["pipeline"], r["stage"], None, r["source"], float(r["junk"]),
            None, None, None if worked_so else money,
            r["share"], r["rest_share"], r["deals"], r["p_value"],
            junk=Junk(tuple((x["reason"], x["junk"]) for x in r["reasons"]),
                      r["rest_junk"], r["rest_deals"], r["diff_low"], r["diff_high"],
                      extra, price.per_lead if price else None,
                      price.per_month if price else None, r["months"], contact),
            entangled=ent))
    return out
