"""Segment the graveyard (seed 000: «этап «Отправлен расчет» — настоящее кладбище
сделок … правильно — между этапами 3 и 4 создать дополнительные этапы, сегментируя
базу: холодные, теплые …»).

For each stage `analytics` calls a graveyard, its visits are split by age in the stage
(bands of days) and its open deals also by their last recorded activity. A band's
conversion is what happened to the visits that lasted at least that long: of them,
the share that moved forward (a later stage or won). That is the number a consultant
needs: «a deal that has sat 30 days here converts 2 %, one of a week 15 %». Where it
falls below half of the fresh deals' conversion, the proposal cuts the stage: an SLA
moves deals that old to a «cold» stage, the rest go through a «warm» one, both with
the shares the data shows. The proposal is a funnel model rendered by the formatter,
so it is valid funnel text to paste.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from .. import model as m
from ..span import Span
from .findings import Finding

__all__ = ["GraveyardSegments", "graveyard_segments", "graveyard_findings", "AGE_BANDS_DAYS"]

AGE_BANDS_DAYS = (0, 7, 30, 90)
ACTIVITY_BANDS_DAYS = (14, 60)
COLD_RATIO = 0.5

_SEG = {"pipeline": pl.Utf8, "stage": pl.Utf8, "segment": pl.Utf8, "kind": pl.Utf8,
        "from_days": pl.Float64, "to_days": pl.Float64, "reached": pl.Int64,
        "converted": pl.Int64, "conversion": pl.Float64, "open_now": pl.Int64, "open_value": pl.Float64}
_PROP = {"pipeline": pl.Utf8, "stage": pl.Utf8, "cold_after_days": pl.Float64,
         "warm_conversion": pl.Float64, "cold_conversion": pl.Float64, "hoarded": pl.Int64,
         "next_stage": pl.Utf8, "funnel_text": pl.Utf8}

_NAMES = {"ru": ("Теплые", "Холодные"), "uk": ("Теплі", "Холодні"), "en": ("Warm", "Cold")}


@dataclass
class GraveyardSegments:
    segments: pl.DataFrame
    proposals: pl.DataFrame


def _band_label(lo: float, hi: float | None) -> str:
    return f"{lo:g}–{hi:g} days" if hi is not None else f"{lo:g}+ days"


def graveyard_segments(visits: pl.DataFrame, graveyards: pl.DataFrame,
                       data_end: datetime | None) -> GraveyardSegments:
    graves = graveyards.filter(pl.col("graveyard")).select("pipeline", "stage", "hoarded").rows()
    seg_rows: list[dict[str, object]] = []
    prop_rows: list[dict[str, object]] = []
    if not graves or data_end is None:
        return GraveyardSegments(pl.DataFrame(schema=_SEG), pl.DataFrame(schema=_PROP))
    end = pl.lit(data_end).cast(pl.Datetime("us", "UTC"))
    for pipe, stage, hoarded in graves:
        v = visits.filter((pl.col("pipeline") == pipe) & (pl.col("stage") == stage)).select(
            "exit", "rank", "to_rank", "value", "last_activity", "to_stage",
            age=((pl.coalesce([pl.col("left"), end]) - pl.col("entered"))
                 .dt.total_microseconds() / 8.64e10),
            forward=(pl.col("exit") == "won")
            | ((pl.col("exit") == "stage") & (pl.col("to_rank") > pl.col("rank"))).fill_null(False),
            since=(end - pl.coalesce([pl.col("last_activity"), pl.col("entered")]))
            .dt.total_microseconds() / 8.64e10)
        bands: list[tuple[float, float, float]] = []
        for i, lo in enumerate(AGE_BANDS_DAYS):
            hi = AGE_BANDS_DAYS[i + 1] if i + 1 < len(AGE_BANDS_DAYS) else None
            reached = v.filter(pl.col("age") >= lo)
            conv = int(reached["forward"].sum())
            opn = v.filter((pl.col("exit") == "open") & (pl.col("age") >= lo)
                           & (pl.col("age") < hi if hi is not None else pl.lit(True)))
            rate = conv / reached.height if reached.height else None
            seg_rows.append({"pipeline": pipe, "stage": stage, "segment": _band_label(lo, hi),
                             "kind": "age", "from_days": float(lo),
                             "to_days": float(hi) if hi is not None else None,
                             "reached": reached.height,
                             "converted": conv, "conversion": rate, "open_now": opn.height,
                             "open_value": opn["value"].sum() if opn.height else 0.0})
            if rate is not None:
                bands.append((float(lo), rate, float(reached.height)))
        opn = v.filter(pl.col("exit") == "open")
        known = opn["last_activity"].null_count() < opn.height
        if known:
            since = 0.0
            for upto in (*ACTIVITY_BANDS_DAYS, None):
                sel = opn.filter((pl.col("since") >= since)
                                 & (pl.col("since") < upto if upto is not None else pl.lit(True)))
                seg_rows.append({"pipeline": pipe, "stage": stage,
                                 "segment": "last activity " + _band_label(since, upto) + " ago",
                                 "kind": "activity", "from_days": since,
                                 "to_days": float(upto) if upto is not None else None,
                                 "reached": None,
                                 "converted": None, "conversion": None,
                                 "open_now": sel.height,
                                 "open_value": sel["value"].sum() if sel.height else 0.0})
                since = float(upto) if upto is not None else since
        nxt = (v.filter(pl.col("forward") & pl.col("to_stage").is_not_null())
               .group_by("to_stage").len().sort(["len", "to_stage"], descending=[True, False]))
        if not bands or nxt.height == 0:
            continue
        fresh = bands[0][1]
        cut = next((lo for lo, rate, _ in bands[1:] if rate < COLD_RATIO * fresh), None)
        if cut is None:
            continue
        warm = v.filter(pl.col("age") < cut)
        cold = v.filter(pl.col("age") >= cut)
        wc = int(warm["forward"].sum()) / warm.height if warm.height else 0.0
        cc = int(cold["forward"].sum()) / cold.height if cold.height else 0.0
        prop_rows.append({"pipeline": pipe, "stage": stage, "cold_after_days": cut,
                          "warm_conversion": wc, "cold_conversion": cc, "hoarded": hoarded,
                          "next_stage": nxt["to_stage"][0],
                          "funnel_text": proposal_text(pipe, stage, nxt["to_stage"][0], cut,
                                                       wc, cc)})
    return GraveyardSegments(pl.DataFrame(seg_rows, schema=_SEG, orient="row"),
                             pl.DataFrame(prop_rows, schema=_PROP, orient="row"))


def _language(text: str) -> str:
    if any(ch in text for ch in "іїєґІЇЄҐ"):
        return "uk"
    return "ru" if any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text) else "en"


def proposal_text(pipeline: str, stage: str, next_stage: str, cold_after_days: float,
                  warm_share: float, cold_share: float) -> str:
    """The segmentation stages as funnel text: the graveyard stage with an SLA sending
    deals that old to the cold stage, a warm and a cold stage moving on to the next
    stage with the shares the data shows. Built as a model and rendered by `fmt`."""
    from ..fmt import format_model

    sp = Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0)
    warm_name, cold_name = _NAMES[_language(pipeline + stage)]

    def name(value: str) -> m.Name:
        return m.Name(span=sp, value=value, quoted=True)

    def to(stage_name: str, share: float | None = None) -> m.Outcome:
        target = m.StageTarget(span=sp, ref=m.StageRef(span=sp, pipeline=None,
                                                       stage=name(stage_name)))
        pct = max(1, min(99, round(share * 100))) if share is not None else None
        return m.Outcome(span=sp, target=target, share=None if pct is None else m.Share(
            span=sp, value=pct / 100, text=f"{pct}%"))

    days = max(1, round(cold_after_days))
    sla = m.Sla(span=sp, after=m.Duration(span=sp, hours=days * 24.0, text=f"{days}d"),
                target=m.StageTarget(span=sp, ref=m.StageRef(span=sp, pipeline=None,
                                                             stage=name(cold_name))))
    stages = (
        m.Stage(span=sp, name=name(stage), sla=sla, outcomes=(to(warm_name),)),
        m.Stage(span=sp, name=name(warm_name), outcomes=(to(next_stage, warm_share),)),
        m.Stage(span=sp, name=name(cold_name), outcomes=(to(next_stage, cold_share),)),
    )
    pipe = m.Pipeline(span=sp, name=name(pipeline), stages=stages)
    return format_model(m.FunnelFile(span=sp, path="<proposal>", pipelines=(pipe,)))


def graveyard_findings(gs: GraveyardSegments, stage_value: dict[tuple[str, str], float]
                       ) -> list[Finding]:
    out: list[Finding] = []
    for r in gs.proposals.iter_rows(named=True):
        worth = stage_value.get((r["pipeline"], r["stage"]))
        out.append(Finding("graveyard", r["pipeline"], r["stage"], r["next_stage"], None,
                           float(r["hoarded"]), None, None,
                           r["hoarded"] * worth if worth is not None else None,
                           r["cold_conversion"], r["warm_conversion"], int(r["hoarded"]), None))
    return out
