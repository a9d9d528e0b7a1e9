"""`detectable.Detectable` in words, under the audit's findings: what was compared and
the smallest gap the tests would have flagged, so that «no finding» is not read as
«nothing is wrong»."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import polars as pl

from ..i18n import Translator
from .detectable import Detectable
from .report import Column, Section, pair_stage, points

if TYPE_CHECKING:
    from ..jsontypes import JSONObject

__all__ = ["detectable_text", "detectable_json", "detectable_section"]


def _points(g: float, tr: Translator) -> str:
    return points(tr, "", 100 * g)


def _how_far(d: Detectable, tr: Translator) -> str:
    """«at least 19.4 pp lower or 16.2 pp higher», then what no rate could show."""
    _ = tr.gettext
    if d.lower is not None and d.higher is not None:
        return _("at least {lower} lower or {higher} higher").format(
            lower=_points(d.lower, tr), higher=_points(d.higher, tr))
    if d.lower is not None:
        return _("at least {lower} lower").format(lower=_points(d.lower, tr))
    assert d.higher is not None
    return _("at least {higher} higher").format(higher=_points(d.higher, tr))


def _one_side(d: Detectable, tr: Translator) -> str:
    """The side no rate could show, when one side is out of reach (a rate near 0 % or
    100 %, or few deals)."""
    if d.higher is None:
        return " " + tr.gettext("A higher rate would not stand out at any size.")
    if d.lower is None:
        return " " + tr.gettext("A lower rate would not stand out, not even 0%.")
    return ""


def _deals(n: int, tr: Translator) -> str:
    return tr.ngettext("{n} deal", "{n} deals", n).format(n=tr.number(n, 0))


def detectable_text(d: Detectable, tr: Translator,
                    period: Callable[[str], str] = str) -> str:
    """One paragraph per dimension; `period` writes a period standing alone («январь–
    март 2026»)."""
    _ = tr.gettext
    pair = f"{tr.quote(d.from_stage)} → {tr.quote(pair_stage(d.to_stage, tr))}"
    # TRANSLATORS: after «at» (ru «на», uk «на»): the prepositional case.
    pairs = tr.npgettext("at", "{n} stage pair", "{n} stage pairs", d.pairs).format(
        n=tr.number(d.pairs, 0))
    tests = tr.ngettext("{n} comparison", "{n} comparisons", d.comparisons).format(
        n=tr.number(d.comparisons, 0))
    rate = tr.percent(d.rate, 1)
    seen = d.lower is not None or d.higher is not None
    if d.dimension == "managers":
        head = tr.ngettext(
            "{n} manager was compared with the rest of the team at {pairs} ({tests}, "
            "Holm's correction).",
            "{n} managers were compared with the rest of the team at {pairs} ({tests}, "
            "Holm's correction).", d.subjects).format(
            n=tr.number(d.subjects, 0), pairs=pairs, tests=tests)
        tail = _("At the busiest pair, {pair}, the typical manager has {deals}, and would be "
                 "flagged four times in five only when converting {how_far} than the rest "
                 "({rate} of {rest}); a smaller difference cannot be told from chance."
                 ) if seen else _(
            "At the busiest pair, {pair}, the typical manager has {deals}: too few to tell "
            "any difference from the rest ({rate} of {rest}) from chance.")
        # TRANSLATORS: {rest} follows «of» («74.9 % of 279 deals»): the genitive.
        rest = tr.npgettext("of", "{n} deal", "{n} deals", d.n_other).format(
            n=tr.number(d.n_other, 0))
        return head + " " + tail.format(
            pair=pair, deals=_deals(d.n, tr), rate=rate, rest=rest,
            how_far=_how_far(d, tr) if seen else "") + (_one_side(d, tr) if seen else "")
    head = tr.ngettext(
        "{n} source was compared between two periods, {first} and {last}, at {pairs} "
        "({tests}, Holm's correction).",
        "{n} sources were compared between two periods, {first} and {last}, at {pairs} "
        "({tests}, Holm's correction).", d.subjects).format(
        n=tr.number(d.subjects, 0), first=period(d.first or ""), last=period(d.last or ""),
        pairs=pairs, tests=tests)
    tail = _("At the busiest pair, {pair}, the largest source, {source}, had {before}, then "
             "{after}, and would be flagged four times in five only when its rate was "
             "{how_far} than in the first period ({rate}); a smaller change cannot be told "
             "from chance.") if seen else _(
        "At the busiest pair, {pair}, the largest source, {source}, had {before}, then "
        "{after}: too few to tell any change of its rate ({rate} in the first period) from "
        "chance.")
    return head + " " + tail.format(
        pair=pair, source=tr.quote(d.subject), before=_deals(d.n_other, tr),
        after=_deals(d.n, tr), rate=rate,
        how_far=_how_far(d, tr) if seen else "") + (_one_side(d, tr) if seen else "")


def detectable_section(ds: list[Detectable], tr: Translator,
                       period: Callable[[str], str] = str) -> Section:
    """The paragraphs as a table of history's report, beside the findings: history.html
    said «no finding» with nothing of what the data could have shown, which the audit's
    terminal has said since 19b48d8. The frame keeps the figures (history.json), the
    sentence is written from them."""
    said: dict[str, str] = {d.dimension: detectable_text(d, tr, period) for d in ds}
    frame = pl.DataFrame([_figures(d) for d in ds], schema=_SCHEMA, orient="row")
    return Section(
        "detectable", tr.gettext("What the comparisons could see"),
        tr.gettext("No finding does not mean that nothing is wrong: for what was compared "
                   "(managers, sources), the smallest gap the tests would flag four times in "
                   "five at the busiest stage pair."),
        frame, [Column("dimension", tr.gettext("comparison"),
                       from_row=lambda row: said[str(row["dimension"])])])


_SCHEMA = {"dimension": pl.Utf8, "subjects": pl.Int64, "pairs": pl.Int64,
           "comparisons": pl.Int64, "pipeline": pl.Utf8, "from_stage": pl.Utf8,
           "to_stage": pl.Utf8, "subject": pl.Utf8, "deals": pl.Int64,
           "deals_other": pl.Int64, "rate": pl.Float64, "lower": pl.Float64,
           "higher": pl.Float64, "first": pl.Utf8, "last": pl.Utf8}


def _figures(d: Detectable) -> tuple[object, ...]:
    return (d.dimension, d.subjects, d.pairs, d.comparisons, d.pipeline, d.from_stage,
            d.to_stage, d.subject, d.n, d.n_other, d.rate, d.lower, d.higher, d.first,
            d.last)


def detectable_json(d: Detectable) -> JSONObject:
    return {"dimension": d.dimension, "subjects": d.subjects, "pairs": d.pairs,
            "comparisons": d.comparisons, "pipeline": d.pipeline,
            "from_stage": d.from_stage, "to_stage": d.to_stage, "subject": d.subject,
            "deals": d.n, "deals_other": d.n_other, "rate": d.rate,
            "lower": d.lower, "higher": d.higher, "first": d.first, "last": d.last,
            "text": detectable_text(d, _english())}


def _english() -> Translator:
    from ..i18n import translator
    return translator("en")
