"""The audit in words: one sentence per finding, the decomposition's verdict, the
sections `history` adds to its terminal, HTML and JSON output, and what `funnelc audit`
prints (text) or writes (JSON, schema audit.schema.json)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import polars as pl

from ..numfmt import percent
from .audit import Audit
from .findings import ALPHA, Finding
from .report import Column, Section

if TYPE_CHECKING:
    from rich.console import Console

    from ..jsontypes import JSONObject

__all__ = ["finding_text", "verdict", "audit_sections", "print_audit", "audit_json"]


def _pct(x: float | None) -> str:
    return "—" if x is None else percent(100 * x)


def _pp(x: float) -> str:
    return f"{100 * x:+.1f} pp"


def _money(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _deals(f: Finding) -> str:
    if f.deals_low is not None and f.deals_high is not None:
        return f"{f.deals:,.0f} deals (95 % interval {f.deals_low:,.0f}–{f.deals_high:,.0f})"
    return f"{f.deals:,.0f} deals"


def _where(f: Finding) -> str:
    pipe = f"«{f.pipeline}»" if f.pipeline else "the pipeline"
    if f.stage and f.to_stage:
        return f"{pipe} «{f.stage}» → «{f.to_stage}»"
    if f.stage:
        return f"{pipe} «{f.stage}»"
    return pipe


def finding_text(f: Finding) -> str:
    """One sentence a consultant can read out."""
    money = f"; {_money(f.money)} at stake" if f.money is not None else ""
    if f.kind == "manager_conversion":
        return (f"{f.subject} converts {_pct(f.observed)} on {_where(f)} against "
                f"{_pct(f.expected)} for the rest of the team ({f.n:,} deals, p = "
                f"{f.p_value:.2g}): {_deals(f)} short{money}.")
    if f.kind == "premature_losses":
        return (f"{f.subject} closes deals on {_where(f)} as lost that come back later: "
                f"{_pct(f.observed)} of {f.n:,} losses against {_pct(f.expected)} for the "
                f"rest (p = {f.p_value:.2g}); {_deals(f)} closed too early{money}.")
    if f.kind == "source_quality":
        a, b = f.periods or ("", "")
        return (f"Source «{f.subject}» converts {_pct(f.observed)} on {_where(f)} in {b} "
                f"against {_pct(f.expected)} in {a} (p = {f.p_value:.2g}): its leads got "
                f"worse, {_deals(f)} fewer{money}.")
    if f.kind == "source_mix":
        a, b = f.periods or ("", "")
        return (f"On {_where(f)} the mix of sources moved the rate between {a} and {b}: "
                f"more leads from worse sources, «{f.subject}» most; {_deals(f)}{money}.")
    if f.kind == "loss_reasons_missing":
        return (f"{_pct(f.observed)} of the {f.n:,} losses in {_where(f)} have no reason or a "
                f"catch-all one («Прочее», «Other»): {_deals(f)} whose reason nobody can "
                f"act on{money}. Make the reason required and drop the catch-all.")
    if f.kind == "loss_reason_shift":
        a, b = f.periods or ("", "")
        return (f"Loss reason «{f.subject}» in {_where(f)}: {_pct(f.expected)} of losses in "
                f"{a}, {_pct(f.observed)} in {b} (p = {f.p_value:.2g}, Benjamini–Hochberg "
                f"at {ALPHA:.0%}).")
    return (f"{_where(f)} is a graveyard: {f.n:,} deals hoard there; deals that sat long "
            f"convert {_pct(f.observed)} against {_pct(f.expected)} for fresh ones. "
            f"Segment it (proposal in the graveyard table){money}.")


SPREAD_SHARE = 0.5
"""A rate effect that no source carries half of is spread over the sources: the way
leads are worked changed (sales), not one source's leads (marketing)."""


def _number(x: object) -> float:
    """A figure of a table row (polars gives its cells untyped)."""
    if not isinstance(x, (int, float)):
        raise TypeError(f"expected a number, got {type(x).__name__}")
    return float(x)


def verdict(row: Mapping[str, object]) -> str:
    """The decomposition in one sentence: which effect dominates, and which source."""
    change, mix, rate = (_number(row[k]) for k in ("change", "mix_effect", "rate_effect"))
    word = "fell" if change < 0 else "rose"
    what = (f"the sources converting {'worse' if rate < 0 else 'better'} (rate effect)"
            if row["dominant"] == "rate" else "a different mix of sources (mix effect)")
    spread = (row["dominant"] == "rate"
              and abs(_number(row["top_source_rate_effect"])) < SPREAD_SHARE * abs(rate))
    side = ("every source converts worse: a sales matter, look at how leads are worked"
            if spread else
            "a marketing matter: look at that source's leads first" if row["dominant"] == "rate"
            else "a marketing matter: look at where the leads come from first")
    return (f"«{row['from_stage']}» → «{row['to_stage']}» {word} from "
            f"{_pct(_number(row['rate_first']))} in {row['first']} to "
            f"{_pct(_number(row['rate_last']))} in "
            f"{row['last']} ({_pp(change)}): mostly {what}, rate {_pp(rate)} and mix "
            f"{_pp(mix)}; source «{row['top_source']}» accounts for "
            f"{_pp(_number(row['top_source_effect']))} of it — {side}.")


def _c(key: str, title: str, fmt: Callable[[object], str] | None = None) -> Column:
    return Column(key, title, fmt or (lambda x: "—" if x is None else str(x)), fmt is not None)


def _frac(x: object) -> str:
    return "—" if x is None else _pct(_number(x))


def _num(x: object) -> str:
    return "—" if x is None else f"{_number(x):,.0f}"


def _int(x: object) -> str:
    return "—" if x is None else f"{int(_number(x)):,}"


def _pv(x: object) -> str:
    return "—" if x is None else f"{_number(x):.2g}"


def _flag(x: object) -> str:
    return "⚠ yes" if x else ""


def _hours(x: object) -> str:
    from ..report.fmt import hours

    return "—" if x is None else hours(_number(x))


def audit_sections(a: Audit) -> list[Section]:
    out: list[Section] = []
    findings = pl.DataFrame(
        [(i + 1, f.kind, f.pipeline, f.stage, f.subject, f.deals, f.money, finding_text(f))
         for i, f in enumerate(a.findings)],
        schema={"rank": pl.Int64, "kind": pl.Utf8, "pipeline": pl.Utf8, "stage": pl.Utf8,
                "subject": pl.Utf8, "deals": pl.Float64, "money": pl.Float64,
                "finding": pl.Utf8}, orient="row")
    out.append(Section("findings", "Audit findings, by money at stake",
                       "What the audit found (managers, sources, loss reasons, graveyards), "
                       "the largest stake first; the same list as `funnelc audit`.", findings,
                       [_c("rank", "#", _int), _c("finding", "finding"),
                        _c("deals", "deals", _num), _c("money", "money", _num)]))
    if a.managers is not None:
        out.append(Section(
            "managers", "Managers against the rest of the team",
            "Per stage pair and manager: deals entered, conversion to the next stage (with "
            "its Wilson 95 % interval and the beta-binomial shrunk value), the rest of the "
            f"team's, the gap in deals and money; flagged when clear after Holm's correction "
            f"over all managers and pairs (family-wise {ALPHA:.0%}). Premature losses: the "
            "share of the manager's losses that came back later.", a.managers,
            [_c("pipeline", "pipeline"), _c("from_stage", "from"), _c("to_stage", "to"),
             _c("manager", "manager"), _c("entered", "entered", _int),
             _c("rate", "conversion", _frac), _c("rate_low", "low", _frac),
             _c("rate_high", "high", _frac), _c("shrunk", "shrunk", _frac),
             _c("rest_rate", "rest", _frac), _c("deals_effect", "deals short", _num),
             _c("money", "money", _num), _c("p_value", "p", _pv),
             _c("flagged", "clear", _flag), _c("won_rate", "to won", _frac),
             _c("first_move_median_h", "first move", _hours),
             _c("lost", "lost", _int), _c("premature_pct", "came back", _frac),
             _c("premature_flagged", "premature", _flag), _c("top_reason", "top reason")]))
    if a.sources is not None:
        st = a.sources
        out.append(Section("source_months", "Conversion by source and month",
                           "Deals that entered the first stage that month, by source, and the "
                           "share that reached the second directly.", st.by_month,
                           [_c("pipeline", "pipeline"), _c("from_stage", "from"),
                            _c("to_stage", "to"), _c("source", "source"), _c("month", "month"),
                            _c("entered", "entered", _int), _c("rate", "conversion", _frac)]))
        out.append(Section(
            "source_changes", "Sources: first against last month",
            "Each source's conversion in the first and the last month whose deals have had "
            "time to convert; flagged when clear after Holm's correction (family-wise "
            f"{ALPHA:.0%}); the effect in deals of the last month and in money.", st.changes,
            [_c("pipeline", "pipeline"), _c("from_stage", "from"), _c("to_stage", "to"),
             _c("source", "source"), _c("first", "first"), _c("rate_first", "then", _frac),
             _c("last", "last"), _c("rate_last", "now", _frac),
             _c("entered_last", "entered", _int), _c("deals_effect", "deals lost", _num),
             _c("money", "money", _num), _c("p_value", "p", _pv),
             _c("flagged", "clear", _flag)]))
        dec = st.decomposition.with_columns(verdict=pl.Series(
            [verdict(r) for r in st.decomposition.iter_rows(named=True)], dtype=pl.Utf8))
        out.append(Section(
            "decomposition", "Marketing or sales? Mix and rate effects",
            "Kitagawa's shift-share decomposition of each pair's change between the two "
            "months: the mix effect (more leads from sources that convert worse) plus the "
            "rate effect (sources converting worse) is the change; the source that moved it "
            "most is named.", dec,
            [_c("pipeline", "pipeline"), _c("from_stage", "from"), _c("to_stage", "to"),
             _c("change", "change", lambda x: _pp(_number(x))),
             _c("mix_effect", "mix", lambda x: _pp(_number(x))),
             _c("rate_effect", "rate", lambda x: _pp(_number(x))), _c("verdict", "verdict")]))
    lt = a.losses
    out.append(Section("loss_reasons_by", "Loss reasons by month, source, manager and size",
                       "Losses by reason within each group (deal-size bands are the terciles "
                       "of the lost deals' values).", lt.by,
                       [_c("pipeline", "pipeline"), _c("dimension", "by"),
                        _c("group", "group"), _c("reason", "reason"),
                        _c("deals", "deals", _int), _c("share", "share", _frac)]))
    out.append(Section("loss_reasons_missing", "Losses without a usable reason",
                       "Losses with no reason or a catch-all one («Прочее», «Другое», «Інше», "
                       "«Other»): flagged from 10 % of a pipeline's losses.", lt.missing,
                       [_c("pipeline", "pipeline"), _c("losses", "losses", _int),
                        _c("no_reason", "no reason", _int), _c("catch_all", "catch-all", _int),
                        _c("share", "share", _frac), _c("value", "their value", _num),
                        _c("flagged", "finding", _flag)]))
    out.append(Section("loss_reason_shifts", "Loss reasons whose share changed",
                       "Share of each reason among the first and the last whole month's "
                       f"losses; flagged by Benjamini–Hochberg at a {ALPHA:.0%} false "
                       "discovery rate over all reasons.", lt.shifts,
                       [_c("pipeline", "pipeline"), _c("reason", "reason"),
                        _c("first", "first"), _c("share_first", "then", _frac),
                        _c("last", "last"), _c("share_last", "now", _frac),
                        _c("p_value", "p", _pv), _c("flagged", "changed", _flag)]))
    gs = a.graveyard
    out.append(Section("graveyard_segments", "Graveyard segments",
                       "Deals of each graveyard stage by age in the stage: of the visits that "
                       "lasted at least that long, the share that moved forward; deals there "
                       "now. Open deals also by their last recorded activity.", gs.segments,
                       [_c("pipeline", "pipeline"), _c("stage", "stage"),
                        _c("segment", "segment"), _c("reached", "lasted this long", _int),
                        _c("conversion", "then moved on", _frac),
                        _c("open_now", "there now", _int),
                        _c("open_value", "their value", _num)]))
    out.append(Section("graveyard_proposals", "Proposed segmentation stages",
                       "Where old deals convert less than half as well as fresh ones: an SLA "
                       "moves them to a cold stage; paste the stages into the funnel.",
                       gs.proposals,
                       [_c("pipeline", "pipeline"), _c("stage", "stage"),
                        _c("cold_after_days", "cold after, days", _num),
                        _c("warm_conversion", "warm", _frac),
                        _c("cold_conversion", "cold", _frac),
                        _c("funnel_text", "funnel text")]))
    return out


def print_audit(a: Audit, console: Console, head: str) -> None:
    from ..termtext import plain

    console.print(plain(head, style="bold"))
    if not a.findings:
        console.print(plain("No finding: no manager, source, loss reason or graveyard "
                            "stands out clearly."))
    for i, f in enumerate(a.findings, 1):
        console.print(plain(f"{i:>3}. {finding_text(f)}"))
    for r in a.graveyard.proposals.iter_rows(named=True):
        console.print(plain(f"\nProposed segmentation of «{r['stage']}»:"))
        console.print(plain(r["funnel_text"].rstrip()))


def finding_json(f: Finding) -> JSONObject:
    return {"kind": f.kind, "pipeline": f.pipeline, "stage": f.stage, "to_stage": f.to_stage,
            "subject": f.subject, "deals": f.deals, "deals_low": f.deals_low,
            "deals_high": f.deals_high, "money": f.money, "observed": f.observed,
            "expected": f.expected, "n": f.n, "p_value": f.p_value,
            "periods": list(f.periods) if f.periods else None, "text": finding_text(f)}


def audit_json(a: Audit, meta: Mapping[str, object]) -> str:
    data: dict[str, object] = dict(meta)
    data["findings"] = [finding_json(f) for f in a.findings]
    data["decomposition"] = [] if a.sources is None else [
        {**{k: v for k, v in r.items()}, "verdict": verdict(r)}
        for r in a.sources.decomposition.iter_rows(named=True)]
    data["proposals"] = [{"pipeline": r["pipeline"], "stage": r["stage"],
                          "cold_after_days": r["cold_after_days"],
                          "funnel_text": r["funnel_text"]}
                         for r in a.graveyard.proposals.iter_rows(named=True)]
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
