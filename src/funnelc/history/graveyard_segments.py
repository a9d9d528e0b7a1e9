"""Segment the graveyard (seed 000: «этап «Отправлен расчет» — настоящее кладбище
сделок … правильно — между этапами 3 и 4 создать дополнительные этапы, сегментируя
базу: холодные, теплые …»).

For each stage `analytics` calls a graveyard, its visits are split by age in the stage
(bands of days) and its open deals also by their last recorded activity; with the deals'
activities in the export (Bitrix24 `crm.activity.list`), each activity band also has its
conversion: of the visits that went that long untouched in the stage, the share that
moved on later (clocked from that moment, as the age bands are from entry). A band's
conversion is the number a consultant needs — «of the deals that sat 30 days here, 2 %
moved on later; of all that came in, 15 %» — estimated with the deals still there
counted only for as long as they were watched (`competing_risks`): a graveyard's old
bands are mostly open deals, and counting them as failures made every stage of a young
history look like one (a reminder stage whose SLA moves every deal on at day 23 was
"converting 0 % after a week" on deals that had not reached day 23 yet).

A cut is proposed only where deals move on clearly less often per day of their age
after it: under half the rate before it, by an exact test with Holm's correction over
every candidate cut of every graveyard stage (family-wise 5 %). The proposal is the
stage with an SLA sending deals that old to a «cold» stage, and the cold stage; each
with its ways out in the shares the data shows (the moves, the losses by reason, and
`stay` for the deals still there), so the shares add up to 100 % and the text is valid
funnel text to paste into the pipeline (a model rendered by the formatter).

The cold stage has a lifetime too, or its `stay` is a graveyard again (FN103 on paste):
it lasts until the age by which 95 % of the stage's deals that moved on had moved on
(the graveyards' yardstick), and then loses its deals for the cold stage's commonest
loss reason and, when the account's funnel has a nurture pipeline, copies them there
for marketing to warm up (seed 000: «лиды с некоторых этапов … должны попадать
маркетологам на прогревы»). With `hours` in the account an SLA counts working hours,
so the calendar days the data measures are written as the working hours of as many
days of the account's week (`sla 50h  # 7 календарных дней`).
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from .. import model as m
from ..span import Span
from .competing_risks import ExposureTest, cumulative_incidence, exposure_test, incidence_interval
from .findings import ALPHA, Finding
from .order import FunnelRoutes
from .stats import holm

__all__ = ["GraveyardSegments", "graveyard_segments", "graveyard_findings", "AGE_BANDS_DAYS",
           "COLD_RATIO", "proposal_text", "ProposalFacts", "ColdEnd"]

AGE_BANDS_DAYS = (0, 7, 30, 90)
ACTIVITY_BANDS_DAYS = (14, 60)
COLD_RATIO = 0.5
"""A cut is proposed where deals move on at under half the rate per day they did before."""

_SEG = {"pipeline": pl.Utf8, "stage": pl.Utf8, "segment": pl.Utf8, "kind": pl.Utf8,
        "from_days": pl.Float64, "to_days": pl.Float64, "reached": pl.Int64,
        "converted": pl.Int64, "conversion": pl.Float64, "conversion_low": pl.Float64,
        "conversion_high": pl.Float64, "open_now": pl.Int64,
        "open_value": pl.Float64}
_PROP = {"pipeline": pl.Utf8, "stage": pl.Utf8, "cold_after_days": pl.Float64,
         "fresh_conversion": pl.Float64, "warm_conversion": pl.Float64,
         "cold_conversion": pl.Float64, "rate_ratio": pl.Float64, "daily_before": pl.Float64,
         "daily_after": pl.Float64, "p_value": pl.Float64,
         "reached": pl.Int64, "hoarded": pl.Int64, "next_stage": pl.Utf8,
         "next_only": pl.Boolean,
         "moved_p95_days": pl.Float64, "cold_sla_days": pl.Int64, "cold_reason": pl.Utf8,
         "nurture": pl.Utf8, "week_hours": pl.Float64, "funnel_text": pl.Utf8}

_UNSEG = {"pipeline": pl.Utf8, "stage": pl.Utf8, "hoarded": pl.Int64, "moved_on": pl.Boolean}

_NAMES = {"ru": ("Холодные", "Причина не указана"), "uk": ("Холодні", "Причину не вказано"),
          "en": ("Cold", "No reason given")}

Way = tuple[str, str | None]
"""How a visit ended, as funnel text can say it: ("stage", name), ("won", None) or
("lost", reason)."""


@dataclass(frozen=True)
class ProposalFacts:
    """What the account's funnel tells the proposal: where cold deals are warmed up, and
    whether its SLAs count working hours."""

    nurture: tuple[str, str] | None = None
    """The first stage of the funnel's first `nurture` pipeline (pipeline, stage)."""
    week_hours: float | None = None
    """The account's working hours a week when its SLAs count working time, else None."""


@dataclass
class GraveyardSegments:
    segments: pl.DataFrame
    proposals: pl.DataFrame
    unsegmented: pl.DataFrame
    """The graveyards with no proposal: pipeline, stage, hoarded, moved_on (whether any
    deal of the stage ever moved on). Deals hoard there all the same (seed 000), so each
    is a finding of its own."""


@dataclass(frozen=True)
class _Stage:
    pipeline: str
    stage: str
    hoarded: int
    age: np.ndarray
    """Days in the stage: to the exit, or to the end of the data for an open visit."""
    codes: np.ndarray
    """Each visit's way out as an index into `ways`; −1 while it is still there."""
    ways: list[Way]
    forward: frozenset[int]
    """The codes of the ways forward: won, or a later stage of the pipeline."""
    moved: np.ndarray
    """Whether each visit ended by a way forward."""
    next_stage: str | None
    moved_p95_days: float | None
    """The graveyards' yardstick: the age by which 95 % of the deals that moved on had."""
    idle: Idle | None = None
    """What the deals' activities show, when the export lists them."""

    @property
    def forward_is_next(self) -> bool:
        """Whether every visit that moved on went to `next_stage` (none won straight
        from here, none moved to another later stage)."""
        return [self.ways[k] for k in self.forward] == [("stage", self.next_stage)]


@dataclass(frozen=True)
class Idle:
    """Of the stage's visits, the share that moved on (`all_conversion`), and of those
    that went `days` untouched there (`reached`), the share that moved on later."""

    days: float
    reached: int
    conversion: float
    all_conversion: float


def _band_label(lo: float, hi: float | None) -> str:
    return f"{lo:g}–{hi:g} days" if hi is not None else f"{lo:g}+ days"


_SEP = "\x1f"


def _way_label(pipeline: str) -> pl.Expr:
    """How a visit ended as one string (kind, separator, what); null while it is open or
    when it left into another pipeline (funnel text writes that as a won deal's copy,
    not a move): counted as still here, for as long as it was watched."""
    exit_ = pl.col("exit")
    return (pl.when(exit_ == "won").then(pl.lit("won" + _SEP))
            .when(exit_ == "lost").then(pl.lit("lost" + _SEP) + pl.col("reason").fill_null(""))
            .when((exit_ == "stage") & pl.col("to_stage").is_not_null()
                  & (pl.col("to_pipeline") == pipeline))
            .then(pl.lit("stage" + _SEP) + pl.col("to_stage")))


def _as_way(label: str) -> Way:
    kind, what = label.split(_SEP, 1)
    return (kind, what or None)


def _touch_days(touches: pl.DataFrame | None, deals: pl.Series) -> dict[str, np.ndarray]:
    """Each deal's completed activities as sorted days since the epoch."""
    if touches is None or not touches.height:
        return {}
    g = (touches.filter(pl.col("deal_id").is_in(deals.unique().implode()))
         .group_by("deal_id").agg(pl.col("at").dt.epoch("us").sort() / 8.64e10))
    return {d: np.asarray(a, dtype=float) for d, a in g.iter_rows()}


def _untouched(entered: np.ndarray, stop: np.ndarray, deals: list[str],
               touches: dict[str, np.ndarray], days: float) -> tuple[np.ndarray, np.ndarray]:
    """Per visit, whether it went `days` without a touch while in the stage, and the time
    from that moment to its exit (or to the end of the data). The clock starts at the
    deal's last touch before it entered (a deal untouched for weeks before is untouched
    on entering), else at its entry, and every touch in the stage restarts it."""
    reached = np.zeros(entered.size, dtype=bool)
    rest = np.zeros(entered.size)
    empty = np.empty(0)
    for i, (e, x, d) in enumerate(zip(entered, stop, deals, strict=True)):
        t = touches.get(d, empty)
        before = t[t <= e]
        refs = [before[-1] if before.size else e, *t[(t > e) & (t < x)]]
        for r, nxt in zip(refs, [*refs[1:], x], strict=True):
            at = max(r + days, e)
            if at < nxt:
                reached[i], rest[i] = True, x - at
                break
    return reached, rest


def graveyard_segments(visits: pl.DataFrame, graveyards: pl.DataFrame,
                       data_end: datetime | None,
                       touches: pl.DataFrame | None = None,
                       routes: FunnelRoutes | None = None) -> GraveyardSegments:
    """`touches`: the deals' completed activities (deal_id, at), when the export lists
    them: the activity bands then also say, of the visits that went that long untouched,
    the share that moved on later (as the age bands do). `routes`: the funnel's, whose
    nurture pipeline and working week the proposal uses."""
    graves = graveyards.filter(pl.col("graveyard")).select(
        "pipeline", "stage", "hoarded", "p95_h").rows()
    if not graves or data_end is None:
        return GraveyardSegments(pl.DataFrame(schema=_SEG), pl.DataFrame(schema=_PROP),
                                 pl.DataFrame(schema=_UNSEG))
    end = pl.lit(data_end).cast(pl.Datetime("us", "UTC"))
    seg_rows: list[dict[str, object]] = []
    stages: list[_Stage] = []
    for pipe, stage, hoarded, p95_h in graves:
        v = visits.filter((pl.col("pipeline") == pipe) & (pl.col("stage") == stage)).select(
            "deal_id", "exit", "to_stage", "value", "entry_known", "last_activity",
            entered_day=pl.col("entered").dt.epoch("us") / 8.64e10,
            stop_day=pl.coalesce([pl.col("left"), end]).dt.epoch("us") / 8.64e10,
            way=_way_label(pipe),
            age=((pl.coalesce([pl.col("left"), end]) - pl.col("entered"))
                 .dt.total_microseconds() / 8.64e10),
            forward=(pl.col("exit") == "won")
            | ((pl.col("exit") == "stage") & (pl.col("to_pipeline") == pipe)
               & (pl.col("to_rank") > pl.col("rank"))).fill_null(False),
            since=(end - pl.coalesce([pl.col("last_activity"), pl.col("entered")]))
            .dt.total_microseconds() / 8.64e10)
        # A visit whose entry the export did not see has no known age.
        aged = v.filter(pl.col("entry_known"))
        labels = aged["way"].drop_nulls().unique().sort().to_list()
        codes = aged["way"].replace_strict(labels, list(range(len(labels))), default=-1,
                                           return_dtype=pl.Int64).to_numpy()
        index = {lab: i for i, lab in enumerate(labels)}
        forward = frozenset(index[lab] for lab in aged.filter(pl.col("forward"))["way"]
                            .drop_nulls().unique().to_list())
        age = aged["age"].to_numpy().astype(float)
        moved = np.isin(codes, list(forward))
        for i, lo in enumerate(AGE_BANDS_DAYS):
            hi = AGE_BANDS_DAYS[i + 1] if i + 1 < len(AGE_BANDS_DAYS) else None
            inc = cumulative_incidence(age, codes, since=float(lo))
            low, high = incidence_interval(age, codes, forward, since=float(lo)) or (None, None)
            opn = aged.filter((pl.col("exit") == "open") & (pl.col("age") >= lo)
                              & (pl.col("age") < hi if hi is not None else pl.lit(True)))
            seg_rows.append({
                "pipeline": pipe, "stage": stage, "segment": _band_label(lo, hi),
                "kind": "age", "from_days": float(lo),
                "to_days": float(hi) if hi is not None else None, "reached": inc.at_risk,
                "converted": int((moved & (age >= lo)).sum()),
                "conversion": _forward(inc.shares, forward) if inc.at_risk else None,
                "conversion_low": low, "conversion_high": high, "open_now": opn.height,
                "open_value": _worth(opn["value"])})
        touched = _touch_days(touches, v["deal_id"])
        if touched:
            # The open deals' days since their last touch, from the activities too.
            last = np.array([_last_before(touched.get(d), x) for d, x in
                             zip(v["deal_id"], v["stop_day"], strict=True)])
            v = v.with_columns(since=pl.Series(v["stop_day"].to_numpy() - np.where(
                np.isnan(last), v["entered_day"].to_numpy(), last)))
        opn = v.filter(pl.col("exit") == "open")
        every: float | None = None
        idle: Idle | None = None
        if touched or opn["last_activity"].null_count() < opn.height:
            since = 0.0
            for upto in (*ACTIVITY_BANDS_DAYS, None):
                sel = opn.filter((pl.col("since") >= since)
                                 & (pl.col("since") < upto if upto is not None else pl.lit(True)))
                row: dict[str, object] = {
                    "pipeline": pipe, "stage": stage,
                    "segment": "last activity " + _band_label(since, upto) + " ago",
                    "kind": "activity", "from_days": since,
                    "to_days": float(upto) if upto is not None else None,
                    "reached": None, "converted": None, "conversion": None,
                    "conversion_low": None, "conversion_high": None,
                    "open_now": sel.height, "open_value": _worth(sel["value"])}
                if touched:
                    hit, rest = _untouched(aged["entered_day"].to_numpy(),
                                           aged["stop_day"].to_numpy(),
                                           aged["deal_id"].to_list(), touched, since)
                    inc = cumulative_incidence(rest[hit], codes[hit])
                    low, high = incidence_interval(rest[hit], codes[hit], forward) \
                        or (None, None)
                    row.update(reached=inc.at_risk, converted=int((moved & hit).sum()),
                               conversion=_forward(inc.shares, forward) if inc.at_risk
                               else None, conversion_low=low, conversion_high=high)
                    if since == 0 and inc.at_risk:
                        every = _forward(inc.shares, forward)
                    elif since == ACTIVITY_BANDS_DAYS[0] and inc.at_risk and every is not None:
                        idle = Idle(since, inc.at_risk, _forward(inc.shares, forward), every)
                seg_rows.append(row)
                since = float(upto) if upto is not None else since
        nxt = (aged.filter(pl.col("forward") & pl.col("way").str.starts_with("stage" + _SEP))
               .group_by("to_stage").len().sort(["len", "to_stage"], descending=[True, False]))
        stages.append(_Stage(pipe, stage, int(hoarded), age, codes,
                             [_as_way(lab) for lab in labels], forward, moved,
                             nxt["to_stage"][0] if nxt.height else None,
                             p95_h / 24 if p95_h is not None and p95_h == p95_h else None,
                             idle))
    facts = ProposalFacts(routes.nurture, routes.week_hours) if routes else ProposalFacts()
    proposals = pl.DataFrame(_proposals(stages, facts), schema=_PROP, orient="row")
    cut = set(proposals.select("pipeline", "stage").iter_rows())
    unsegmented = [(s.pipeline, s.stage, s.hoarded, bool(s.forward))
                   for s in stages if (s.pipeline, s.stage) not in cut]
    return GraveyardSegments(pl.DataFrame(seg_rows, schema=_SEG, orient="row"), proposals,
                             pl.DataFrame(unsegmented, schema=_UNSEG, orient="row"))


def _last_before(t: np.ndarray | None, x: float) -> float:
    """The last touch at or before `x` (days), NaN without one."""
    if t is None:
        return float("nan")
    k = int(np.searchsorted(t, x, side="right"))
    return float(t[k - 1]) if k else float("nan")


def _worth(values: pl.Series) -> float | None:
    """What the deals are worth; unknown (not 0) when none of them has a value."""
    return float(values.sum()) if values.len() and values.null_count() < values.len() else \
        (0.0 if not values.len() else None)


def _forward(shares: dict[int, float], forward: frozenset[int]) -> float:
    return sum(v for k, v in shares.items() if k in forward)


def _cold_days(cut: float, moved_p95_days: float | None) -> int:
    """The cold stage's lifetime in days: until the stage's yardstick (the age by which
    95 % of the deals that moved on had), at least as long as the warm part."""
    warm = max(1, round(cut))
    if moved_p95_days is None or moved_p95_days <= cut:
        return warm
    return max(warm, math.ceil(moved_p95_days - cut))


def _cold_reason(cold: dict[Way, float], no_reason: str) -> str:
    """The cold deals' commonest loss reason (the first by name on a tie)."""
    lost = sorted(((-v, what or no_reason) for (kind, what), v in cold.items()
                   if kind == "lost" and v > 0))
    return lost[0][1] if lost else no_reason


def _proposals(stages: list[_Stage], facts: ProposalFacts) -> list[dict[str, object]]:
    """One test per candidate cut (each band's lower bound past the first) of every
    graveyard stage that has moves forward; Holm over all of them. A stage's cut is its
    earliest rejected candidate with a rate ratio under `COLD_RATIO`."""
    tests = [(s, exposure_test(s.age, s.moved, float(cut)))
             for s in stages if s.next_stage is not None and s.moved.any()
             for cut in AGE_BANDS_DAYS[1:]]
    rejected = holm([t.p_value for _, t in tests], ALPHA)
    chosen: dict[tuple[str, str], tuple[_Stage, ExposureTest]] = {}
    for (s, t), rej in zip(tests, rejected, strict=True):
        key = (s.pipeline, s.stage)
        if rej and t.ratio is not None and t.ratio < COLD_RATIO and key not in chosen:
            chosen[key] = (s, t)
    rows: list[dict[str, object]] = []
    for s, t in chosen.values():
        cut, ratio, p = t.cut, t.ratio, t.p_value
        fresh = cumulative_incidence(s.age, s.codes)
        warm = cumulative_incidence(s.age, s.codes, until=cut)
        cold = cumulative_incidence(s.age, s.codes, since=cut)
        assert s.next_stage is not None
        cold_ways = {s.ways[k]: v for k, v in cold.shares.items()}
        days = _cold_days(cut, s.moved_p95_days)
        reason = _cold_reason(cold_ways, _NAMES[_language(s.pipeline + s.stage)][1])
        rows.append({
            "pipeline": s.pipeline, "stage": s.stage, "cold_after_days": cut,
            "fresh_conversion": _forward(fresh.shares, s.forward),
            "warm_conversion": _forward(warm.shares, s.forward),
            "cold_conversion": _forward(cold.shares, s.forward), "rate_ratio": ratio,
            # exposure_test returns no ratio without deal-days on both sides: both > 0.
            "daily_before": t.moves_before / t.days_before,
            "daily_after": t.moves_after / t.days_after,
            "p_value": p, "reached": cold.at_risk, "hoarded": s.hoarded,
            "next_stage": s.next_stage, "next_only": s.forward_is_next,
            "moved_p95_days": s.moved_p95_days,
            "cold_sla_days": days, "cold_reason": reason,
            "nurture": ".".join(facts.nurture) if facts.nurture else None,
            "week_hours": facts.week_hours,
            "funnel_text": proposal_text(s.pipeline, s.stage, cut,
                                         {s.ways[k]: v for k, v in warm.shares.items()},
                                         cold_ways, ColdEnd(days, reason, s.moved_p95_days,
                                                                fresh.at_risk, cold.at_risk),
                                         facts, s.idle)})
    return rows


def _language(text: str) -> str:
    if any(ch in text for ch in "іїєґІЇЄҐ"):
        return "uk"
    return "ru" if any("а" <= ch.lower() <= "я" or ch in "ёЁ" for ch in text) else "en"


def _tenths(shares: dict[Way, float]) -> tuple[list[tuple[Way, int]], int]:
    """Shares as whole tenths of a percent adding up to 1000 with `stay` (largest
    remainder), the ways that round to nothing left out: FN212 wants exactly 100 %."""
    items = sorted(shares.items(), key=lambda kv: -kv[1])
    stay = max(0.0, 1.0 - sum(v for _, v in items))
    raw = [v * 1000 for _, v in items] + [stay * 1000]
    base = [int(x) for x in raw]
    short = 1000 - sum(base)
    for i in sorted(range(len(raw)), key=lambda i: -(raw[i] - base[i]))[:short]:
        base[i] += 1
    ways = [(w, t) for (w, _), t in zip(items, base, strict=False) if t > 0]
    return ways, base[-1]


@dataclass(frozen=True)
class ColdEnd:
    """The cold stage's lifetime: `days` (`_cold_days`), then lost for `reason`;
    `moved_p95_days` is the yardstick the days come from, said in the text."""

    days: int
    reason: str
    moved_p95_days: float | None = None
    came_in: int | None = None
    """The visits the shares are of: all that came in (the warm part's), and those that
    stayed until the cut (the cold stage's)."""
    stayed: int | None = None


def proposal_text(pipeline: str, stage: str, cold_after_days: float,
                  warm: dict[Way, float], cold: dict[Way, float],
                  end: ColdEnd | None = None, facts: ProposalFacts | None = None,
                  idle: Idle | None = None) -> str:
    """The graveyard stage with an SLA sending deals that old to a cold stage, and the
    cold stage: each with its ways out in the shares the data shows (`warm`: before the
    cut; `cold`: of the deals that reached it) and `stay` for the rest. The cold stage's
    `stay` waits for its SLA (`end`, by default as long as the warm part): lost, and
    copied into the nurture pipeline of `facts` when there is one. Built as a model and
    rendered by `fmt`; the comments say the calendar days an SLA in working hours
    stands for, where the cold stage's lifetime comes from, and (`idle`) how much less
    often the deals left untouched move on."""
    from ..fmt import format_model
    from ..i18n import translator

    facts = facts or ProposalFacts()
    sp = Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0)
    lang = _language(pipeline + stage)
    tr = translator(lang)
    cold_name, no_reason = _NAMES[lang]
    end = end or ColdEnd(max(1, round(cold_after_days)), _cold_reason(cold, no_reason))

    def name(value: str) -> m.Name:
        return m.Name(span=sp, value=value, quoted=True)

    def share(tenths: int) -> m.Share:
        text = f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"
        return m.Share(span=sp, value=tenths / 1000, text=text)

    def target(way: Way) -> m.Target:
        kind, what = way
        if kind == "won":
            return m.WonTarget(span=sp)
        if kind == "lost":
            return m.LostTarget(span=sp, reason=name(what or no_reason))
        return m.StageTarget(span=sp, ref=m.StageRef(span=sp, pipeline=None,
                                                     stage=name(what or "")))

    def routes(shares: dict[Way, float]) -> tuple[tuple[m.Outcome, ...], m.Share | None]:
        merged: dict[Way, float] = {}
        for (kind, what), v in shares.items():
            key: Way = (kind, (what or no_reason) if kind == "lost" else what)
            merged[key] = merged.get(key, 0.0) + v
        ways, stay = _tenths(merged)
        outs = tuple(m.Outcome(span=sp, target=target(w), share=share(t)) for w, t in ways)
        return outs, share(stay) if stay else None

    def lifetime(days: int) -> tuple[m.Duration, str | None]:
        """`Nd`, or the working hours of as many days of the account's week."""
        if facts.week_hours is None:
            return m.Duration(span=sp, hours=days * 24.0, text=f"{days}d"), None
        hours = max(1, round(days * facts.week_hours / 7))
        return (m.Duration(span=sp, hours=float(hours), text=f"{hours}h"),
                tr.ngettext("{days} calendar day", "{days} calendar days", days)
                .format(days=days))

    days = max(1, round(cold_after_days))
    warm_after, warm_note = lifetime(days)
    sla = m.Sla(span=sp, after=warm_after,
                target=m.StageTarget(span=sp, ref=m.StageRef(span=sp, pipeline=None,
                                                             stage=name(cold_name))))
    cold_after, cold_note = lifetime(end.days)
    copy = (m.Copy(span=sp, ref=m.StageRef(span=sp, pipeline=name(facts.nurture[0]),
                                           stage=name(facts.nurture[1])))
            if facts.nurture else None)
    cold_sla = m.Sla(span=sp, after=cold_after,
                     target=m.LostTarget(span=sp, reason=name(end.reason)), copy_to=copy)
    why = []
    if end.stayed is not None:
        why.append(tr.ngettext(
            "shares of the {n} deal that stayed {days} days or more in «{stage}»",
            "shares of the {n} deals that stayed {days} days or more in «{stage}»",
            end.stayed).format(n=end.stayed, days=days, stage=stage))
    if end.moved_p95_days is not None and end.moved_p95_days > cold_after_days:
        within = math.ceil(end.moved_p95_days)
        why.append(tr.ngettext(
            "95% of the deals that moved on from «{stage}» did so within {days} day",
            "95% of the deals that moved on from «{stage}» did so within {days} days",
            within).format(stage=stage, days=within))
    if copy is None:
        why.append(tr.gettext("the funnel has no nurture pipeline: add one and copy these "
                              "deals there («then copy») for marketing to warm them up"))
    warm_why = []
    if end.came_in is not None:
        warm_why.append(tr.ngettext(
            "shares of the {n} deal that came in, in its first {days} days here",
            "shares of the {n} deals that came in, in their first {days} days here",
            end.came_in).format(n=end.came_in, days=days))
    hint = None
    if idle is not None and idle.conversion < idle.all_conversion:
        # The manager's hint in the CRM, from the deals' activities: untouched deals
        # hardly move on (seed 000's «не дозвоны» are the cold stage's work).
        hint = name(tr.gettext(
            "Call at least every {days} days: of the deals left that long untouched, "
            "{idle} moved on later, of all {all}.").format(
                days=f"{idle.days:g}", idle=tr.percent(idle.conversion, 2),
                all=tr.percent(idle.all_conversion, 2)).replace("\u00a0", " "))
    task = m.TaskAction(span=sp, text=name(tr.gettext("Call the client: the deal has gone "
                                                      "cold")))
    warm_out, warm_stay = routes(warm)
    cold_out, cold_stay = routes(cold)
    stages = (
        m.Stage(span=sp, name=name(stage), sla=sla, outcomes=warm_out, stay=warm_stay),
        m.Stage(span=sp, name=name(cold_name), sla=cold_sla, on_enter=(task,), hint=hint,
                outcomes=cold_out, stay=cold_stay),
    )
    pipe = m.Pipeline(span=sp, name=name(pipeline), stages=stages)
    text = format_model(m.FunnelFile(span=sp, path="<proposal>", pipelines=(pipe,)))
    notes = iter([(warm_note, warm_why), (cold_note, why)])
    lines = []
    for line in text.split("\n"):
        if line.lstrip().startswith("sla "):
            note, above = next(notes)
            indent = line[:len(line) - len(line.lstrip())]
            lines += [f"{indent}# {part}" for x in above
                      for part in textwrap.wrap(x, 96 - len(indent))]
            line = f"{line}  # {note}" if note else line
        lines.append(line)
    # The language's no-break spaces (`3,64 %`) as plain ones: text to paste anywhere.
    return "\n".join(lines).replace("\u00a0", " ").replace("\u202f", " ")


def graveyard_findings(gs: GraveyardSegments, stage_value: dict[tuple[str, str], float]
                       ) -> list[Finding]:
    out: list[Finding] = []
    for r in gs.proposals.iter_rows(named=True):
        worth = stage_value.get((r["pipeline"], r["stage"]))
        # The stage the deals moved on to is named only when it is their one way
        # forward: the conversions count every way forward (a later stage, or won), and
        # «71.32% moved on to "Value Proposition"» was said of a stage 25 of a public
        # org's 135 old deals went to, the rest moving to two others or won.
        out.append(Finding("graveyard", r["pipeline"], r["stage"],
                           r["next_stage"] if r["next_only"] else None, None,
                           float(r["hoarded"]), None, None,
                           r["hoarded"] * worth if worth is not None else None,
                           r["cold_conversion"], r["fresh_conversion"], int(r["reached"]),
                           r["p_value"], after_days=r["cold_after_days"],
                           daily=(r["daily_before"], r["daily_after"])))
    for r in gs.unsegmented.iter_rows(named=True):
        worth = stage_value.get((r["pipeline"], r["stage"]))
        out.append(Finding("hoarding" if r["moved_on"] else "dead_end", r["pipeline"],
                           r["stage"], None, None, float(r["hoarded"]), None, None,
                           r["hoarded"] * worth if worth is not None else None, None, None,
                           int(r["hoarded"]), None))
    return out
