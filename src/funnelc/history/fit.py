"""Fit a funnel's numbers to history: what `funnelc fit` computes before writing.

* Outcome shares per stage from every visit of the stage, the deals still open counted
  for as long as they were watched: each way out's share is its cumulative incidence at
  the horizon (the age at least `MIN_DEALS` visits could reach; Aalen–Johansen,
  `_incidence_shares`), what is still open then `stay`. Exits are matched to the
  stage's outcomes by target (a stage, `won`, `lost "reason"`; a move into another
  pipeline matches an outcome that copies there); exits to an SLA's target at the SLA
  time (working hours when the account has a calendar) count as the stay share the SLA
  moves. 95 % intervals (the delta method's variance, as Wilson's at the sample size it
  amounts to). Where deals were still leaving late in the history the shares are a lower
  bound, and a warning says so. In a stage the funnel gives no `stay` whose deals were
  still leaving (or with deals old enough to have left still open), the shares and the
  delays are fitted together by maximum likelihood of the mixture of its ways out
  (`_mixture_shares`, `mixture`): an open deal counts for each way by how likely that
  way still was at its age; where the data cannot tell the shares (a way no deal took
  yet, a delay mostly past the history) the fit says so and the writer keeps the
  funnel's. The counts
  and the delays come from the *mature* visits: those that entered at least H before
  the end of the data, H = the stage's 99th percentile of completed time (at least its
  SLA), at most half the data span.
* `after` per outcome: time in stage of the deals that left that way. The model's time
  in stage is queue wait + work + after; where the funnel has `work` or an SLA the
  delays are calibrated through the simulator (`calibrate`), else fitted by
  `dists.fit_sample` (the wait and work are then nil).
* Source rates: new deals per hour over the data span (a deal created by a `then copy`
  is not an arrival); month profile: each calendar month's rate over the base rate,
  listed only where its exact Poisson 95 % interval excludes it; the base rate is the
  pooled rate of the months not listed (`_profile_fit`), with its exact interval. Value: the deals'
  amounts, fitted like durations.
* Reopen shares: of the losses at least H_r before the end (H_r = max(7 days, the 95th
  percentile of comeback delays)), those that came back; delay fitted. A comeback whose
  loss reason the CRM did not keep (amoCRM and Bitrix24 keep a deal's current reason
  only) counts for the pipeline's only reopen, or for the only one into the stage it came
  back to, with its loss among that reason's; into a stage several reopens lead to, those
  reopens get no share (`_unkept_comebacks` warns with what the data tells).

Anything based on fewer than `MIN_DEALS` deals carries a warning, and the writer keeps
the funnel's value for it (`apply_fit`). Every interval contains its estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from .. import model as m
from ..i18n import N_
from ..i18n.note import Note, WorkingLimit, _n
from ..numfmt import counted
from ..routing import build_flows
from .calibrate import Calibration, calibrate_delays, needs_calibration
from .competing_risks import Incidence, cumulative_incidence, incidence_interval, incidence_variance
from .dists import HIDDEN, DistFit, beyond_share, fit_sample, fit_truncated
from .events import LOST, STAGE, WON, bulk_days, local_day
from .match import normal
from .mixture import WayData, fit_mixture
from .order import week_hours
from .run import Prepared
from .transitions import OPEN, kept_losses, returns

__all__ = ["MIN_DEALS", "RouteFit", "StageFit", "SourceFit", "ReopenFit", "FitResult",
           "fit_funnel", "wilson", "at_recent_level"]

MIN_DEALS = 30
"""Below this many deals a share or a mean is printed with a warning: a Wilson interval
on 30 deals is still ±15 points wide around 50 %."""
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

RouteKey = tuple[str, ...]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


@dataclass
class RouteFit:
    key: RouteKey
    label: str
    count: int
    share: float = 0.0
    low: float = 0.0
    high: float = 1.0
    outcome: int | None = None
    """Index of the funnel outcome this route is; None for `stay` or a route the funnel
    lacks (added by the writer)."""
    after: DistFit | None = None
    samples: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Times in stage (hours) of the mature visits that left this way: what
    `calibrate` matches."""
    waits: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The same visits' waits until a manager picked them up (hours; NaN where the
    history does not tell): what `picked` fits from."""
    entered: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The same visits' entry times (hours since the Unix epoch): their SLA deadlines."""
    told: bool = True
    """False where the data cannot tell the share (`_mixture_shares`: no deal had taken
    this way yet while deals were still leaving, or its delay lies mostly past the
    history): the share is not printed and the writer keeps the funnel's shares."""


@dataclass
class StageFit:
    pipeline: str
    stage: str
    mature: int
    routes: list[RouteFit]
    time: DistFit | None
    horizon_h: float
    cadence: bool = False
    warnings: list[str] = field(default_factory=list)
    sla: bool = False
    """The stage has an SLA: its shares are corrected for the deals it cuts
    (`calibrate.reweight_shares`)."""
    timed: bool = False
    """The stage has work or an SLA: time in stage is more than `after`, and the
    delays are made net of it (`picked`, else `calibrate`)."""
    work: DistFit | None = None
    """`work` measured from pick-up times (`picked`): None when the history has none
    or too few, and the funnel's is kept."""
    shares_horizon_h: float | None = None
    """The age the shares are read at (`_incidence_shares`): at least `MIN_DEALS` of the
    stage's visits were watched that long."""
    effective: float | None = None
    """The number of fully watched visits the shares are worth (the visits still open
    count for part of one): the sample size of a draw of them (`uncertainty`)."""


Way = Literal["by source name", "by entry stage", "shared", "no deals"]
"""How a source's deals were told apart from the others'."""


@dataclass
class SourceFit:
    name: str
    deals: int
    hours: float
    per_hour: float
    low: float
    high: float
    profile: dict[str, tuple[float, float, float, bool]]
    """month → (ratio, low, high, listed)."""
    value: DistFit | None
    how: Way
    """How its deals were told apart; "shared": an entry stage another source feeds too,
    the deals split in the funnel's proportions of rate × month profile (`shared_share`: this
    source's part on average)."""
    warnings: list[str] = field(default_factory=list)
    shared_share: float | None = None
    plain_months: list[str] = field(default_factory=list)
    """The months the profile leaves at 100 % (the base rate is theirs)."""
    recent: tuple[float, float, float] | None = None
    """When its last months ran at a new level (`_trailing_level`): their deals, hours
    and rate per hour, what a forecast of the months after takes (`at_recent_level`)."""


@dataclass
class ReopenFit:
    pipeline: str
    reason: str
    lost: int
    back: int
    share: float
    low: float
    high: float
    target: str | None
    delay: DistFit | None
    in_funnel: bool
    warnings: list[str] = field(default_factory=list)
    not_kept: int = 0
    """Comebacks whose loss reason the export did not keep (amoCRM and Bitrix24 hold a
    deal's current reason only) into a stage this and another of the funnel's reopens
    lead to: any of them may be this reason's, so `share` (of the comebacks whose reason
    is known) is no share of the reason's losses, and the writer keeps the funnel's."""
    credited: int = 0
    """Comebacks whose loss reason the export did not keep, credited to this reopen as
    the funnel's only one in the pipeline or the only one into the stage they came back
    to (in `back`, and their losses in `lost`): the funnel's assumption that only its
    declared reasons come back, which the pipeline's warning names."""


@dataclass
class FitResult:
    stages: list[StageFit]
    sources: list[SourceFit]
    reopens: list[ReopenFit]
    warnings: list[str]
    span_hours: float
    calibration: Calibration | None = None
    """How the delays were made net of queue waits and work (None: not needed, or
    not asked for)."""
    since: datetime | None = None
    """From when the fit read the history (`maturity.seen_from`, an export that starts
    mid-stream); None: from its first event."""


def _target_key(funnel: m.FunnelFile, pipe: m.Pipeline, t: m.Target) -> RouteKey | None:
    if isinstance(t, m.WonTarget):
        return ("won",)
    if isinstance(t, m.LostTarget):
        return ("lost", normal(t.reason.value))
    hit = funnel.resolve(t.ref, pipe)
    return ("stage", hit[0].name.value, hit[1].name.value) if hit else None


def _label(key: RouteKey, reason_text: str | None = None) -> str:
    if key[0] == "stage":
        return f"-> {key[2]}"
    if key[0] == "copy":
        return f"-> {key[1]}.{key[2]} (other pipeline)"
    if key[0] == "lost":
        return f'lost "{reason_text or key[1]}"'
    return key[0]


def _hours_between(t0: datetime, t1: datetime) -> float:
    return (t1 - t0).total_seconds() / 3600.0


def fit_funnel(prep: Prepared, funnel: m.FunnelFile, tz: str = "UTC",
               calibrate: bool = True) -> FitResult:
    """The fit; with `calibrate`, `after` delays net of queue waits and work through
    the simulator (`calibrate.calibrate_delays`) wherever the funnel has work or SLAs."""
    t = prep.tables
    vis = t.visits.visits
    start, end = t.visits.data_start, t.visits.data_end
    warnings: list[str] = []
    if start is None or end is None:
        from .errors import HistoryDataError

        # Rows were given (an empty file is refused when read), so every one was dropped:
        # a funnel «fitted» on nothing would be the file's own figures under a new name.
        files = ", ".join(dict.fromkeys(f[0] for f in prep.history.quality.files)) or "the history"
        raise HistoryDataError(f"{files}: the history holds no events: every row was dropped",
                               "the data-quality lines below say why and where; fix those rows")
    span = _hours_between(start, end)
    if span <= 0:
        from .errors import HistoryDataError

        files = ", ".join(path for path, _, _ in prep.history.quality.files) or "the history"
        raise HistoryDataError(
            f"{files}: the history spans no time: its {counted(t.events, 'event')} all happened at "
            f"{start:%Y-%m-%d %H:%M:%S} UTC, and rates per hour and times in stage need "
            "events at two moments at least",
            "fit on an export that covers weeks or months of stage changes")
    first = _first_events(prep.history.events)
    since = t.visits.seen_from
    if since is not None and start < since < end:
        # An export that starts mid-stream holds, of the deals before `since`, only those
        # still open when it starts: their shares read as «nobody wins» and their months
        # as few leads. Olist's public leads (closes from December) fitted «won 0.8%»
        # from June–November's survivors, for the 14% the whole months won.
        early = int(vis.filter(pl.col("entered") < since).height)
        vis = vis.filter(pl.col("entered") >= since)
        first = first.filter(pl.col("ts") >= since)
        warnings.append(_n(
            "the history starts mid-stream: it has no deal that closed before {since_day}, "
            "so the deals of the days before hold only those still open then; their "
            "{count} stage visit is left out of the shares, delays and source rates, "
            "which are fitted from {since_day} on",
            "the history starts mid-stream: it has no deal that closed before {since_day}, "
            "so the deals of the days before hold only those still open then; their "
            "{count} stage visits are left out of the shares, delays and source rates, "
            "which are fitted from {since_day} on",
            early, count=early, since_day=since.astimezone(ZoneInfo(tz)).date().isoformat()))
        start = since
        span = _hours_between(start, end)
    bulk = bulk_days(first.filter(pl.col("kind") == STAGE), tz)
    if bulk.height:
        # Imported deals nobody works are no outcome of a stage: 282 untouched webinar
        # attendees fitted «Inbound lead» `stay 25%` for every lead to come.
        imported = first.join(bulk.select("pipeline", "day"), left_on=["pipeline", local_day(tz)],
                              right_on=["pipeline", "day"], how="semi")["deal_id"]
        vis = vis.filter(~pl.col("deal_id").is_in(imported.implode()))
    # One pass splits the visits by stage: a filter per stage scanned a million rows
    # forty times over.
    parts = vis.select("pipeline", "stage", "entered", "left", "hours", "exit", "reason",
                       "to_pipeline", "to_stage", "picked").partition_by(
        ["pipeline", "stage"], as_dict=True)
    empty = vis.clear()
    stages = [_fit_stage(funnel, pipe, st, parts.get((pipe.name.value, st.name.value), empty),
                         end, span, tz, start)
              for pipe in funnel.pipelines for st in pipe.stages]
    sources = _fit_sources(funnel, first, start, end, tz, warnings)
    reopens = _fit_reopens(funnel, prep.history.events, end, span, warnings)
    result = FitResult(stages, sources, reopens, warnings, span,
                       since=start if start != t.visits.data_start else None)
    if calibrate and needs_calibration(funnel):
        from .apply_fit import apply_fit
        from .picked import fit_picked

        picked = fit_picked(stages, funnel, parts, end, tz, start)
        base = funnel.model_copy(update={"scenarios": (), "order": tuple(
            item for item in funnel.order if item[0] != "scenarios")})
        local = start.astimezone(ZoneInfo(tz))
        result.calibration = calibrate_delays(
            stages, lambda: apply_fit(base, result).model, local.date(),
            _hours_between(local.replace(hour=0, minute=0, second=0, microsecond=0), end),
            done=picked)
        warnings.extend(result.calibration.notes)
    return result


# ---------------------------------------------------------------------------- stages
def _fit_stage(funnel: m.FunnelFile, pipe: m.Pipeline, st: m.Stage, mine: pl.DataFrame,
               end: datetime, span: float, tz: str, start: datetime) -> StageFit:
    """`mine`: the visits of this stage."""
    pn, sn = pipe.name.value, st.name.value
    done = mine.filter(pl.col("hours").is_not_null())
    p99 = float(done["hours"].quantile(0.99) or 0.0) if done.height else 0.0
    sla_h = st.sla.after.hours if st.sla is not None else 0.0
    # A visit is mature once it had time to leave by the 99th percentile and by the SLA,
    # both on the clock: an SLA that counts the account's working hours lasts longer
    # there, by the week's hours (the school's `sla 193h`, 30 days of its 45-hour week,
    # made visits of 8.4 days mature).
    week = week_hours(funnel)
    horizon = min(max(p99, sla_h * 1.05 * (168.0 / week if week else 1.0)), span / 2)
    cutoff = end - timedelta(hours=horizon)
    mature = mine.filter(pl.col("entered") <= cutoff)
    # Time in stage of the mature visits that left, as the delays: of every visit that
    # left, the young ones are the quick ones. (Not cut at each visit's age as a delay
    # can be, `fit_delay`: it mixes the routes, and a family's tail fitted past the end
    # of the history to a mix read 41.7 days as 154.)
    left = mature.filter(pl.col("hours").is_not_null())
    time = fit_sample(left["hours"].to_numpy()) if left.height else None
    fit = StageFit(pn, sn, mature.height, [], time, horizon, cadence=st.cadence is not None,
                   sla=st.sla is not None, timed=st.work is not None or st.sla is not None)
    if mine.height == 0:
        fit.warnings.append(Note(N_("no deal of the data entered this stage: its numbers are "
                                    "kept")))
        return fit
    if mature.height < MIN_DEALS:
        fit.warnings.append(_n("too few deals to trust: {count} visit old enough to have "
                               "left (fewer than {min}); the funnel's shares and delays kept",
                               "too few deals to trust: {count} visits old enough to have "
                               "left (fewer than {min}); the funnel's shares and delays kept",
                               mature.height, count=mature.height, min=MIN_DEALS))
    # Observed route of every mature visit.
    key_expr = (
        pl.when(pl.col("exit") == OPEN).then(pl.concat_list([pl.lit("stay")]))
        .when(pl.col("exit") == WON).then(pl.concat_list([pl.lit("won")]))
        .when(pl.col("exit") == LOST).then(pl.concat_list(
            [pl.lit("lost"), pl.col("reason").fill_null("").map_elements(
                normal, return_dtype=pl.Utf8)]))
        .when(pl.col("to_pipeline") == pl.lit(pn)).then(pl.concat_list(
            [pl.lit("stage"), pl.col("to_pipeline"), pl.col("to_stage")]))
        .otherwise(pl.concat_list([pl.lit("copy"), pl.col("to_pipeline"), pl.col("to_stage")])))
    # Every visit's route: the shares read them all (the young ones censored at their
    # age, `_incidence_shares`); the delays and the SLA check the mature ones, as before.
    all_rows = mine.with_columns(
        key=key_expr, wait=(pl.col("picked") - pl.col("entered")).dt.total_microseconds()
        / 3.6e9, ent_h=pl.col("entered").dt.epoch("us") / 3.6e9,
        age=(pl.lit(end) - pl.col("entered")).dt.total_microseconds() / 3.6e9,
        is_mature=pl.col("entered") <= cutoff,
    ).with_columns(watched=pl.col("hours").fill_null(pl.col("age"))
    ).select("key", "hours", "reason", "entered", "left", "wait", "ent_h", "watched", "age",
             "is_mature")
    all_keys = [tuple(k) for k in all_rows["key"].to_list()]
    watched = all_rows["watched"].to_numpy().astype(float)
    ages = all_rows["age"].to_numpy().astype(float)
    rows = all_rows.filter(pl.col("is_mature"))
    keys = [tuple(k) for k in rows["key"].to_list()]
    hours = rows["hours"].to_list()
    waits = rows["wait"].fill_null(math.nan).to_list()
    ent_h = rows["ent_h"].to_list()
    seen = rows["age"].to_list()
    reasons = rows["reason"].to_list()
    # SLA: leaving for the SLA's target at the SLA time is the stay share moving on.
    if st.sla is not None:
        sla_key = _target_key(funnel, pipe, st.sla.target)
        clock = _clock(funnel, tz, start)
        ents, lefts = rows["entered"].to_list(), rows["left"].to_list()
        if sla_key is not None:
            moved: RouteKey = ("stay",) if st.stay is not None else ("sla",)
            for i, k in enumerate(keys):
                if k == sla_key and lefts[i] is not None:
                    elapsed = clock(ents[i], lefts[i])
                    if elapsed >= 0.98 * sla_h:
                        keys[i] = moved
            a_ents, a_lefts = all_rows["entered"].to_list(), all_rows["left"].to_list()
            for i, k in enumerate(all_keys):
                if (k == sla_key and a_lefts[i] is not None
                        and clock(a_ents[i], a_lefts[i]) >= 0.98 * sla_h):
                    all_keys[i] = ("stay",) if st.stay is not None else ("sla",)
        from ..sim.calendar import limits_in_working_hours

        # The note says the SLA as the file counts it: in working hours on a calendar
        # («80 роб. год», English the file's `80h`), not as clock time («3,3 дня»).
        shown: float | WorkingLimit = (
            WorkingLimit(st.sla.after.text, sla_h)
            if funnel.account is not None and funnel.account.hours is not None
            and limits_in_working_hours(funnel.account.hours) else sla_h)
        _check_sla_kept(fit, keys, hours, ents, lefts, clock, sla_h, shown)
    counts: dict[RouteKey, int] = {}
    durs: dict[RouteKey, list[float]] = {}
    wts: dict[RouteKey, list[float]] = {}
    ent_by: dict[RouteKey, list[float]] = {}
    age_by: dict[RouteKey, list[float]] = {}
    text: dict[RouteKey, str] = {}
    for k, h, r, w, e, a in zip(keys, hours, reasons, waits, ent_h, seen):
        counts[k] = counts.get(k, 0) + 1
        if h is not None and k != ("stay",):
            durs.setdefault(k, []).append(h)
            wts.setdefault(k, []).append(w)
            ent_by.setdefault(k, []).append(e)
            age_by.setdefault(k, []).append(a)
        if k[0] == "lost" and r:
            text.setdefault(k, r)
    # Losses whose reason the CRM did not keep (amoCRM: all but a lead's last) are
    # spread over the stage's known reasons in proportion.
    unknown = counts.pop(("lost", ""), 0)
    unknown_durs = durs.pop(("lost", ""), [])
    unknown_wts = wts.pop(("lost", ""), [])
    unknown_ent = ent_by.pop(("lost", ""), [])
    unknown_age = age_by.pop(("lost", ""), [])
    if unknown:
        known = {k: c for k, c in counts.items() if k[0] == "lost"}
        if not known:
            known = {_target_key(funnel, pipe, o.target): 1 for o in st.outcomes  # type: ignore[misc]
                     if isinstance(o.target, m.LostTarget)}
            # No loss has a reason (a deal list, Maven's; Bitrix24 without the field):
            # the losses' times are known all the same, and they time the funnel's loss
            # routes, which kept their hand-written `after` while taking the share.
            for k in known:
                durs[k] = list(unknown_durs)
                wts[k] = list(unknown_wts)
                ent_by[k] = list(unknown_ent)
                age_by[k] = list(unknown_age)
            if len(known) > 1 and unknown_durs:
                fit.warnings.append(Note(N_(
                    "no loss of this stage has a reason: each loss route's delay is fitted "
                    "from all its losses' times")))
        if known:
            total = sum(known.values())
            for k, c in known.items():
                counts[k] = counts.get(k, 0) + round(unknown * c / total)
        else:
            counts[("lost", "")] = unknown
            text[("lost", "")] = "(reason not recorded)"
        fit.warnings.append(_n("{count} loss without a recorded reason, spread over the "
                               "stage's loss reasons in proportion",
                               "{count} losses without a recorded reason, spread over the "
                               "stage's loss reasons in proportion", unknown, count=unknown))
    routes: list[RouteFit] = []
    taken: set[RouteKey] = set()
    work = st.work.mean if st.work is not None else 0.0
    for i, out in enumerate(st.outcomes):
        key = _target_key(funnel, pipe, out.target)
        if key is None:
            continue
        alias = [key]
        if out.copy_to is not None:
            hit = funnel.resolve(out.copy_to.ref, pipe)
            if hit is not None and hit[0].name.value != pn:
                alias.append(("copy", hit[0].name.value, hit[1].name.value))
        c = sum(counts.get(a, 0) for a in alias if a not in taken)
        d = [x for a in alias if a not in taken for x in durs.get(a, [])]
        w = [x for a in alias if a not in taken for x in wts.get(a, [])]
        e = [x for a in alias if a not in taken for x in ent_by.get(a, [])]
        cut = [x for a in alias if a not in taken for x in age_by.get(a, [])]
        taken.update(alias)
        label = _label(key, out.target.reason.value if isinstance(out.target, m.LostTarget) else None)
        routes.append(RouteFit(key, label, c, outcome=i,
                               after=(fit_delay(np.array(d) - work, np.array(cut) - work,
                                                st.cadence is None) if d else None),
                               samples=np.array(d) if d else None,
                               waits=np.array(w) if d else None,
                               entered=np.array(e) if d else None))
    extra = sorted((k for k in counts if k not in taken and k not in (("stay",), ("sla",))),
                   key=lambda k: -counts[k])
    for k in extra:
        d = durs.get(k, [])
        cut = age_by.get(k, [])
        routes.append(RouteFit(k, _label(k, text.get(k)), counts[k],
                               after=(fit_delay(np.array(d) - work, np.array(cut) - work,
                                                st.cadence is None) if d else None),
                               samples=np.array(d) if d else None,
                               waits=np.array(wts.get(k, [])) if d else None,
                               entered=np.array(ent_by.get(k, [])) if d else None))
    if counts.get(("stay",), 0) or st.stay is not None:
        routes.append(RouteFit(("stay",), "stay", counts.get(("stay",), 0)))
    # Timeouts of a stage without `stay` come from outcomes whose delay outlasted the SLA;
    # which outcome is unknown, so they are left out of the shares (the simulation makes
    # them again from the fitted delays), and so are moves into a pipeline no outcome
    # copies to (the language cannot say them).
    if counts.get(("sla",), 0):
        routes.append(RouteFit(("sla",), "sla timeout (not a share)", counts[("sla",)]))
    fit.routes = routes
    _incidence_shares(fit, funnel, pipe, st, all_keys,
                      [x is None for x in all_rows["left"].to_list()], watched, ages, counts)
    if st.cadence is not None:
        fit.warnings.append(Note(N_("routes by its cadence: shares are shown, not written")))
    return fit


CUT_SEEN = 0.02
"""A delay is fitted as cut at each visit's age (`fit_delay`) when its plain fit puts
more than this share of itself past the ages the history watched the visits for."""


CUT_UNSEEN_MAX = 0.5
"""A cut fit (`fit_delay`) with more than this share of itself past the ages the visits
were watched is the family's guess: the plain fit is kept."""


def fit_delay(values: np.ndarray, ages: np.ndarray, cut_ok: bool = True) -> DistFit | None:
    """A delay (or time in stage) from the visits that left, each seen only because it
    left before the history ended: `ages[i]` is how long visit i could have been
    watched (end − entered), and a visit whose delay outlasts it is not in the sample.
    The plain fit (`fit_sample`) reads the times as they are; where its best family puts
    more than `CUT_SEEN` of itself past those ages, the sample is visibly cut and the
    delay is fitted as cut at each visit's own age (`fit_truncated`: f(x)/F(age)), its
    share past the ages told (`DistFit.beyond`). The mature visits were entered at least
    the 99th percentile of the times that left before the end, but where deals were
    still leaving that percentile is itself too short: 120 days of 20 deals a day, 40 %
    won after exp(60 d), read the win's delay as gamma(33.9 d) [31.0, 37.2 d]; cut at
    each deal's age it is exp(57.1 d) [33.9 d, ∞). `cut_ok` False (a cadence's stage,
    whose replies come at its touches, no family's shape) keeps the plain fit."""
    plain = fit_sample(values)
    if (plain is None or not cut_ok or plain.kind == "fixed" or not plain.candidates
            or plain.n < MIN_DEALS):
        # Under `MIN_DEALS` the funnel's delay is kept (`apply_fit`), and a cut fit of a
        # handful of times is the optimiser's guess.
        return plain
    best = min(plain.candidates, key=lambda c: c.aic)
    lcv = math.log(best.sd / best.mean) if best.kind != "exp" and best.mean > 0 and best.sd > 0 \
        else 0.0
    if best.mean <= 0 or beyond_share(best.kind, math.log(best.mean), lcv,
                                      np.asarray(ages, dtype=float)) <= CUT_SEEN:
        return plain
    cut = fit_truncated(values, ages)
    if cut is None or cut.beyond > CUT_UNSEEN_MAX:
        # Most of it past the end: the family's tail, not the data, would make the
        # delay (a cadence's replies at 0, 7, 30 and 60 days, cut at 180, read as a
        # gamma of 2.5e16 hours); the times as seen are kept.
        return plain
    cut.method = "cut"
    return cut


SHARE_STILL_LEAVING = 0.05
"""A stage's shares are a lower bound (`_incidence_shares` warns) when at least this part
of what left it by the horizon left in the horizon's second half (3 deals at least), and
as much of it is still open there: its deals had not finished leaving when the history
ends. Olist's leads, cut at 31 March 2018: 6 % of the 11.6 % won by 109 days came after
55 days, and the deals watched went on to win 14 %."""


def _incidence_shares(fit: StageFit, funnel: m.FunnelFile, pipe: m.Pipeline, st: m.Stage,
                      keys: list[RouteKey], is_open: list[bool], watched: np.ndarray,
                      ages: np.ndarray, mature_counts: dict[RouteKey, int]) -> None:
    """Each route's share as its cumulative incidence at the horizon, every visit of the
    stage counted, those still open censored at their age (the Aalen–Johansen estimator,
    `competing_risks`; e.g. Andersen, Borgan, Gill & Keiding, *Statistical Models Based on
    Counting Processes*, 1993, §IV.4). Counting only the visits old enough to have left
    read a win that comes late as «stays»: Olist's leads, whose wins come after 163 days
    for 10 % of them, fitted won 9.7 % on the deals watched at least 59 days, for the 14 %
    they won in the end. The horizon is the age at least `MIN_DEALS` visits could reach
    (entered that long before the end); still open then is `stay` (with its own exits, an
    SLA's moves). A stage the funnel gives no stay whose deals were still leaving, or
    with visits old enough to have left still open (3 at least), takes `_mixture_shares` instead (a
    stay route there, those visits, is a share of its own in the mixture): shared out as
    the exits by the horizon were, its open deals read the quick ways too large. SLA
    timeouts of a stage without `stay` and moves into a pipeline no
    outcome copies to are no share: they are ways out of their own here, and the shares
    are of the rest (CIF_r / (1 − their CIF), k / (n − theirs) when nothing is open).
    With nothing open every share is the count's k / n and its interval Wilson's. The
    routes' `count`s stay the mature visits' (what the delays are fitted from);
    `fit.effective` is the sample size the shares are worth."""
    code: dict[RouteKey, int] = {}
    for i, r in enumerate(fit.routes):
        code[r.key] = i
        if r.outcome is not None:
            out = st.outcomes[r.outcome]
            if out.copy_to is not None:
                hit = funnel.resolve(out.copy_to.ref, pipe)
                if hit is not None and hit[0].name.value != pipe.name.value:
                    code.setdefault(("copy", hit[0].name.value, hit[1].name.value), i)
    aside = frozenset(i for i, r in enumerate(fit.routes)
                      if r.key[0] == "sla" or (r.key[0] == "copy" and r.outcome is None))
    # Losses without a reason go to the stage's loss routes in proportion, as the
    # mature counts spread them (`_fit_stage`): deal by deal, in turn.
    known = {k: c for k, c in mature_counts.items() if k[0] == "lost" and k[1] and k in code}
    if not known:
        known = {k: 1 for k in code if k[0] == "lost" and k[1]}
    spread = list(known)
    cum = np.cumsum([known[k] for k in spread], dtype=float)
    stay = code.get(("stay",))
    n_unknown = sum(1 for k in keys if k == ("lost", ""))
    ways = np.full(len(keys), -2, dtype=np.int64)
    j = 0
    for i, k in enumerate(keys):
        if is_open[i]:
            ways[i] = -1
        elif k == ("lost", "") and spread:
            at = (j + 0.5) / n_unknown * float(cum[-1])
            ways[i] = code[spread[min(int(np.searchsorted(cum, at)), len(spread) - 1)]]
            j += 1
        elif k in code:
            ways[i] = code[k]
    keep = ways != -2
    d, w = watched[keep], ways[keep]
    if d.size == 0:
        return
    # How long a visit could be watched is its age at the end, whether it left or not.
    top = np.sort(ages[keep])[::-1]
    horizon = float(top[min(MIN_DEALS, top.size) - 1])
    until = float(np.nextafter(horizon, math.inf))
    inc = cumulative_incidence(d, w, until=until)
    gone = sum(v for c, v in inc.shares.items() if c in aside)
    # Still open at the horizon, as a share of what the shares are of (the aside ways
    # left out), whether it is then read as stay or shared out below.
    open_pct = inc.remaining / (1.0 - gone) if gone < 1.0 - 1e-9 else 0.0
    if stay is None:
        # No stay route (none in the funnel, no mature visit still there): what is
        # still open at the horizon leaves as the others did.
        gone += inc.remaining
    if gone >= 1.0 - 1e-9:
        return
    scale = 1.0 / (1.0 - gone)
    exits = frozenset(c for c in inc.shares if c != stay and c not in aside)
    # Still leaving at the horizon: the shares are those within it, a lower bound.
    left_by = sum(v for c, v in inc.shares.items() if c in exits)
    early = cumulative_incidence(d, w, until=0.5 * horizon)
    left_early = sum(v for c, v in early.shares.items() if c in exits)
    late = int((np.isin(w, list(exits)) & (d >= 0.5 * horizon) & (d < until)).sum())
    leaving = (left_by > 0 and inc.remaining >= SHARE_STILL_LEAVING and late >= 3
               and left_by - left_early >= SHARE_STILL_LEAVING * left_by)
    # A stage the funnel gives no stay whose deals were still leaving, or where visits
    # old enough to have left are still open (a stay the fit reads, 3 at least): shared
    # out as those that had left, or read as stay, the open deals would read the slow
    # ways too small (`_mixture_shares`). Elsewhere what is open is too little to move a
    # share: as before.
    read_stay = stay is not None and fit.routes[stay].count >= 3
    if st.stay is None and (leaving or read_stay) and _mixture_shares(
            fit, d, w, aside, stay, ages[keep], inc, horizon, open_pct, leaving):
        fit.shares_horizon_h = horizon
        return
    fit.effective = float(d.size)
    got = incidence_variance(d, w, exits, until=until) if exits else None
    if got is not None:
        _, left, var = got
        if 1e-9 < left < 1.0 - 1e-9 and var > 0.0:
            fit.effective = min(float(d.size), left * (1 - left) / var)
    for i, r in enumerate(fit.routes):
        if i in aside:
            continue
        if i == stay:
            r.share = (inc.shares.get(i, 0.0) + inc.remaining) * scale
            other = (incidence_interval(d, w, exits | aside, until=until) if exits | aside
                     else (0.0, 0.0))
            assert other is not None
            r.low, r.high = max(0.0, 1.0 - other[1]) * scale, min(1.0, (1.0 - other[0]) * scale)
        else:
            r.share = inc.shares.get(i, 0.0) * scale
            ci = incidence_interval(d, w, frozenset({i}), until=until)
            assert ci is not None
            r.low, r.high = ci[0] * scale, min(1.0, ci[1] * scale)
        r.low, r.high = min(r.low, r.share), max(r.high, r.share)
    fit.shares_horizon_h = horizon
    if not leaving:
        return
    if stay is not None:
        fit.warnings.append(Note(N_(
            "its deals were still leaving when the history ends: its shares are those "
            "within {horizon_hours}, the longest time the history watched {min} of its "
            "deals, and {open_pct} were still there then (read as stay); a deal that "
            "leaves later is not counted, so the shares of its ways out are a lower bound: "
            "fit on a longer history"),
            horizon_hours=horizon, min=MIN_DEALS, open_pct=open_pct))
    else:
        # No stay to read them as: they were shared out above as the deals that left by
        # the horizon did, and those are the quick ones.
        fit.warnings.append(Note(N_(
            "its deals were still leaving when the history ends: its shares are those "
            "within {horizon_hours}, the longest time the history watched {min} of its "
            "deals, and {open_pct} were still there then; the stage has no stay, so they "
            "are shared out as the deals that had left by then, and the quick ways out "
            "are read too large, the slow ones too small: fit on a longer history"),
            horizon_hours=horizon, min=MIN_DEALS, open_pct=open_pct))


def _family(r: RouteFit, times: np.ndarray) -> str:
    """The family a way's delay is read with in the mixture (`_mixture_shares`): the one
    its delay was fitted with, the lowest-AIC one where the sample's quantiles were
    printed; lognormal for an SLA's timeouts and ways too few to have a fit."""
    a = r.after
    if a is not None and a.kind in ("exp", "lognormal", "gamma"):
        return a.kind
    if a is not None and a.candidates:
        return min(a.candidates, key=lambda c: c.aic).kind
    return "lognormal" if np.unique(times).size > 1 else "exp"


def _mixture_shares(fit: StageFit, d: np.ndarray, w: np.ndarray, aside: frozenset[int],
                    stay: int | None, ages: np.ndarray, inc: Incidence, horizon: float,
                    open_pct: float, leaving: bool) -> bool:
    """The shares of a stage the funnel gives no stay, its deals still leaving or some old
    enough to have left still open, by maximum
    likelihood of the mixture of its ways out (`mixture`): a deal still open counts for
    each way by how likely that way still was at its age. Sharing the open deals out as
    those that had left did read the quick ways too large: 400 deals of a campaign in
    the last 5 of 40 days, 30 % lost after exp(1 d) and 70 % won after 4–10 days, read
    lost 70.5 % [66.2–74.6 %]; the mixture reads 29.9 % [25.0–35.4 %]. Where a stay
    route was read (visits old enough to have left still open), staying is a way of its
    own, with no delay. The data cannot tell the shares where a way no deal had taken
    yet while deals were still leaving, or where a way's fitted delay lies mostly past
    the oldest visit's age: then no share is printed (`RouteFit.told`) and the writer
    keeps the funnel's. Where deals read as staying (5 % or more) may yet leave by a way
    whose delay lies partly (over `HIDDEN`) past that age, a warning says so: grave_b24_ru's
    «Думают», a graveyard (stay 5.3 %, «Не отвечает» 6.9 % past 240 days). False when
    the mixture could not be fitted (the Aalen–Johansen shares shared out stand)."""
    ways = sorted(int(c) for c in np.unique(w[w >= 0]) if c != stay)
    data = [WayData(_family(fit.routes[c], d[w == c]), d[w == c]) for c in ways]
    start = [inc.shares.get(c, 0.0) for c in ways]
    if stay is not None:
        # Visits old enough to have left and still there: the deals that never leave
        # are a way of their own, with no delay (the stay the writer adds).
        ways.append(stay)
        data.append(WayData("stay", np.zeros(0)))
        start.append(inc.remaining)
    if sum(start) <= 0:
        start = [1.0] * len(ways)
    got = fit_mixture(data, d[w == -1], start, float(np.max(ages)))
    if got is None:
        return False
    by = dict(zip(ways, range(len(ways))))
    gone = sum(got.shares[by[c]] for c in ways if c in aside)
    if gone >= 1.0 - 1e-9:
        return False
    scale = 1.0 / (1.0 - gone)
    fit.effective = got.effective
    untold: list[Note] = []
    for i, r in enumerate(fit.routes):
        if i in aside:
            continue
        if i not in by:
            # Taken by none: none, at most what so many deals leave unseen (Wilson's).
            r.share, r.low, r.high = 0.0, 0.0, wilson(0, max(1, round(got.effective)))[1]
            if leaving and r.outcome is not None:
                untold.append(Note(N_(
                    "the data cannot tell this stage's shares: no deal had taken {label} "
                    "yet when the history ends, while {open_pct} of its deals were still "
                    "there at {horizon_hours}; the funnel's shares are kept"),
                    label=r.label, open_pct=open_pct, horizon_hours=horizon))
            continue
        j = by[i]
        r.share = got.shares[j] * scale
        r.low, r.high = got.low[j] * scale, min(1.0, got.high[j] * scale)
        r.low, r.high = min(r.low, r.share), max(r.high, r.share)
        if got.unseen[j] > CUT_UNSEEN_MAX:
            untold.append(Note(N_(
                "the data cannot tell this stage's shares: the delay of {label}, fitted "
                "with the deals still open, lies {unseen_pct} past the oldest visit's age "
                "({oldest_hours}), where the family's tail, not the data, would make it; "
                "the funnel's shares are kept"),
                label=r.label, unseen_pct=got.unseen[j], oldest_hours=float(np.max(ages))))
    if stay is not None and not untold:
        slow = max((j for j in range(len(ways)) if ways[j] != stay),
                   key=lambda j: got.unseen[j], default=None)
        stays = got.shares[by[stay]] * scale
        if slow is not None and stays >= SHARE_STILL_LEAVING and got.unseen[slow] > HIDDEN:
            # Deals that never leave, or deals of a way whose delay runs past the
            # history, still to leave it: the history cannot tell them apart, and what
            # is read as stay rests on the fitted delay's tail. The shares stand (a
            # graveyard's stay is real): what remains uncertain is said.
            fit.warnings.append(Note(N_(
                "{stay_pct} of this stage's deals read as staying for good, while the delay "
                "of {label}, fitted with the deals still open, lies {unseen_pct} past the "
                "oldest visit's age ({oldest_hours}): some of them may yet leave that way, "
                "and how many is the fitted delay's guess"),
                stay_pct=stays, label=fit.routes[ways[slow]].label,
                unseen_pct=got.unseen[slow], oldest_hours=float(np.max(ages))))
    if untold:
        # The shares add up to one: where one cannot be told, neither can the rest.
        for i, r in enumerate(fit.routes):
            r.told = i in aside
        fit.warnings.extend(untold)
        return True
    if not leaving:
        return True
    fit.warnings.append(Note(N_(
        "its deals were still leaving when the history ends: {open_pct} were still "
        "there at {horizon_hours}, the longest time the history watched {min} of its "
        "deals; the stage has no stay, so each deal still open counts for each way out "
        "by how likely that way still was at its age, the shares and delays fitted "
        "together; how the slow ways end past the deals' ages is the fitted delays' "
        "guess: fit on a longer history"),
        horizon_hours=horizon, min=MIN_DEALS, open_pct=open_pct))
    return True


SLA_LATE = 1.1
"""A deal left "after the SLA ran out" when it took this many times the SLA's working
hours, plus an hour (a CRM's robot runs its timers every few minutes, not instantly)."""


def _check_sla_kept(fit: StageFit, keys: list[RouteKey], hours: list[float | None],
                    ents: list[datetime], lefts: list[datetime | None],
                    clock: Callable[[datetime, datetime], float], sla_h: float,
                    shown: float | WorkingLimit | None = None) -> None:
    """Whether the account lives by the stage's SLA: where more than 5 % of the deals that
    left another way (at least 3) left after it had run out, or more of them than it
    took, nothing applies it, and the
    times of the routes are whole samples, not times an SLA cut short (`fit.sla` False,
    see `calibrate.sla_cut`). Read as cut, one timeout among 195 deals made the furniture
    maker's «Договір» (`sla 40h`, deals leaving after 2.8 days on average, a fifth of
    them after the 40 working hours) a `gamma` of 31.8 days that the simulated SLA then
    cut for 82 % of the deals."""
    late = exits = taken = 0
    for i, k in enumerate(keys):
        if k in (("sla",), ("stay",)):
            taken += k == ("sla",) or lefts[i] is not None
            continue
        left = lefts[i]
        h = hours[i]
        if left is None or h is None:
            continue
        exits += 1
        # Working hours never exceed calendar hours: only long visits need the calendar.
        if h > SLA_LATE * sla_h + 1.0 and clock(ents[i], left) > SLA_LATE * sla_h + 1.0:
            late += 1
    # More deals outlived the SLA and left another way than it took: it is not what
    # ends the stage's visits, however few outlived it. The furniture maker's
    # «Кваліфіковано» (`sla 40h`), which the CRM never applied, had 32 of 730 (4.4 %)
    # and none taken; read as kept, its shares and delays were "corrected" for cuts
    # that never happened (a loss reason at 25.2 % for the 20.0 % counted) and the
    # fitted funnel, simulated, converted 7.5 % of the leads for the history's 15 %.
    if late >= 3 and (late > 0.05 * exits or late > taken):
        fit.sla = False
        fit.warnings.append(Note(N_(
            "the sla ({sla_hours}) is not kept in the data: {late} of {exits} deals left "
            "another way after it had run out, and it took {taken}; the delays are fitted "
            "to the times the deals took, and the simulation, which applies the sla, cuts "
            "such deals: drop the sla, or have the CRM apply it"),
            sla_hours=sla_h if shown is None else shown, late=late, exits=exits, taken=taken))


def _clock(funnel: m.FunnelFile, tz: str,
           start: datetime) -> Callable[[datetime, datetime], float]:
    """Working hours between two instants, by the account's calendar (all hours if none)."""
    acc = funnel.account
    if acc is None or acc.hours is None:
        return lambda a, b: _hours_between(a, b)
    from ..sim.calendar import WorkCalendar

    zone = ZoneInfo(tz)
    local0 = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    cal = WorkCalendar.from_hours(acc.hours, local0.date())

    def elapsed(a: datetime, b: datetime) -> float:
        ta = _hours_between(local0, a.astimezone(zone))
        tb = _hours_between(local0, b.astimezone(zone))
        return cal.hours_between(ta, tb)

    return elapsed


# ---------------------------------------------------------------------------- sources
def _first_events(ev: pl.DataFrame) -> pl.DataFrame:
    """Each deal's first event: where and when it was created, its source and value."""
    return ev.sort(["deal_id", "ts", "seq"]).group_by("deal_id").agg(
        pl.first("ts"), pl.first("pipeline"), pl.first("stage"), pl.first("source"),
        pl.first("value"), pl.first("kind"), pl.first("seq"))


def _fit_sources(funnel: m.FunnelFile, first: pl.DataFrame, start: datetime, end: datetime,
                 tz: str, warnings: list[str]) -> list[SourceFit]:
    """`first`: `_first_events`."""
    flows = build_flows(funnel)
    copy_targets = {r.copy_to for f in flows for r in f.routes if r.copy_to}
    copy_targets |= {(ro[1][0], ro[1][1]) for lst in flows.reopens.values() for ro in lst} & set()
    fed: dict[tuple[str, str], list[m.Source]] = {}
    feeds: dict[str, str] = {}
    for src, key in flows.sources:
        fed.setdefault(key, []).append(src)
        feeds[src.name.value] = key[0]
    copies_only = {k[0] for k in copy_targets} - set(feeds.values())
    first = _without_bulk(first.filter(pl.col("kind") == STAGE), tz, warnings)
    by_name = {normal(s.name.value): s.name.value for s in funnel.sources}
    data_names = {normal(x) for x in first["source"].drop_nulls().unique().to_list()}
    use_names = bool(data_names & set(by_name))
    rows: dict[str, list[tuple[datetime, float | None]]] = {s.name.value: [] for s in funnel.sources}
    parts: dict[str, list[float]] = {s.name.value: [] for s in funnel.sources}
    zone = ZoneInfo(tz)
    how: dict[str, Way] = {}
    ambiguous = 0
    elsewhere: dict[tuple[str, str], int] = {}
    # Creation times of the deals counted as some source's leads: what a gap is judged on.
    # Copies into a nurture pipeline, made long after the export's last lead, had hidden a
    # trailing month without leads, fitted as `profile nov 0%` on every source.
    arrived: list[datetime] = []
    for ts, p, s, src, val in first.select("ts", "pipeline", "stage", "source", "value").iter_rows():
        name = by_name.get(normal(src)) if (use_names and src) else None
        if name is not None and feeds.get(name, p) != p:
            # A CRM's source list is the account's, not a pipeline's: a clinic's returning
            # patients who called («Звонок») start in «Повторные», and counted as the
            # «Звонок» that feeds «Первичные» they raised its rate by half (37 a month,
            # 22.4 new patients) and left «Повторные»'s own source without a deal; an
            # online school's copies into «Прогрев» were 90 more «Сайт» leads (330, not 240).
            # A deal of a pipeline only copies enter (`then copy`, no source: a Bitrix24
            # lead's deal) keeps its source by design and is no news: warned of, every
            # converted lead was one.
            if p not in copies_only:
                elsewhere[name, p] = elsewhere.get((name, p), 0) + 1
            name = None
        if name is not None:
            arrived.append(ts)
            rows[name].append((ts, val))
            parts[name].append(1.0)
            how[name] = "by source name"
            continue
        feeders = fed.get((p, s), [])
        if not feeders:
            continue  # copies and stages no source feeds
        arrived.append(ts)
        if len(feeders) == 1:
            rows[feeders[0].name.value].append((ts, val))
            parts[feeders[0].name.value].append(1.0)
            how.setdefault(feeders[0].name.value, "by entry stage")
        else:
            ambiguous += 1
            # Shared entry stage, no source names: split in the funnel's proportions of
            # the deal's month (rate × profile), or a flat source took the seasonality of
            # a seasonal one it shares the stage with.
            month = MONTHS[ts.astimezone(zone).month - 1]
            rates = [f.rate.per_hour * _month_share(f, month) for f in feeders]
            total = sum(rates)
            for f, r in zip(feeders, rates):
                rows[f.name.value].append((ts, None if val is None else val))
                parts[f.name.value].append(r / total if total > 0 else 1.0 / len(feeders))
                how[f.name.value] = "shared"
    for (name, pipe), count in sorted(elsewhere.items()):
        warnings.append(_n("source «{source}»: {count} deal of that name started in pipeline "
                           "«{pipeline}», which the source does not feed, and is not counted "
                           "as one of its leads",
                           "source «{source}»: {count} deals of that name started in pipeline "
                           "«{pipeline}», which the source does not feed, and are not counted "
                           "as its leads",
                           count, count=count, source=name, pipeline=pipe))
    if ambiguous:
        warnings.append(_n("{count} deal entered a stage several sources feed and carries "
                           "no source name: rates split in the funnel's proportions",
                           "{count} deals entered a stage several sources feed and carry "
                           "no source name: rates split in the funnel's proportions",
                           ambiguous, count=ambiguous))
    gaps, usual = _gap_months(arrived, start, end, zone)
    if gaps:
        warnings.append(_n("no deal at all was created in {gap_months}, while the other "
                           "months had {count} a month on average: taken as a gap in the "
                           "history, not as a month without leads; the profile keeps the "
                           "funnel's ratio there",
                           "no deal at all was created in {gap_months}, while the other "
                           "months had {count} a month on average: taken as a gap in the "
                           "history, not as months without leads; the profile keeps the "
                           "funnel's ratio there", len(gaps), gap_months=tuple(gaps),
                           count=round(usual)))
    span = _hours_between(start, end)
    out = []
    for src in funnel.sources:
        got = rows[src.name.value]
        way = how.get(src.name.value, "no deals")
        out.append(_one_source(src, got, parts[src.name.value], start, end, span, tz, way,
                               frozenset(gaps)))
    return out


def _without_bulk(first: pl.DataFrame, tz: str, warnings: list[str]) -> pl.DataFrame:
    """The deals' first events less those of a day of bulk creation (`bulk_days`): 300
    imported webinar attendees fitted `profile jun 2974%`, a wave of leads every June."""
    bulk = bulk_days(first, tz)
    if bulk.height == 0:
        return first
    day = local_day(tz)
    for pipe, when, n, _seq in bulk.iter_rows():
        warnings.append(_n("{count} deal created in pipeline «{pipeline}» on {bulk_day}, a "
                           "day of bulk creation (an import), is not counted as a lead of "
                           "its source, nor in the outcome shares and delays of its stages",
                           "{count} deals created in pipeline «{pipeline}» on {bulk_day}, a "
                           "day of bulk creation (an import), are not counted as leads of "
                           "their sources, nor in the outcome shares and delays of their "
                           "stages", n, count=n, pipeline=pipe,
                           bulk_day=when.isoformat()))
    return first.join(bulk.select("pipeline", "day"), left_on=["pipeline", day],
                      right_on=["pipeline", "day"], how="anti")


GAP_EXPECTED = 10.0
"""A month without a single new deal is a gap in the history when the other months' rate
would have brought at least this many (the chance of none is then below e^-10)."""


def _month_hours(start: datetime, end: datetime, zone: ZoneInfo) -> dict[str, float]:
    """Hours of data in each month of the year (summed over the years)."""
    covered: dict[str, float] = {}
    cur = start.astimezone(zone)
    stop = end.astimezone(zone)
    while cur < stop:
        nxt = (cur.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=32)
               ).replace(day=1)
        seg_end = min(nxt, stop)
        mo = MONTHS[cur.month - 1]
        covered[mo] = covered.get(mo, 0.0) + _hours_between(cur, seg_end)
        cur = seg_end
    return covered


def _gap_months(created: list[datetime], start: datetime, end: datetime, zone: ZoneInfo
                ) -> tuple[list[str], float]:
    """The months (of those the data covers at least half of) in which the whole account
    created no deal although its rate elsewhere says there would be `GAP_EXPECTED` or
    more, and the other months' deals per month. An export that skipped two months
    otherwise came back as `profile jul 0%, aug 0%` on every source: a forecast of no
    leads next summer."""
    hours = {mo: h for mo, h in _month_hours(start, end, zone).items() if h >= 0.5 * 28 * 24}
    counts: dict[str, int] = {}
    for ts in created:
        mo = MONTHS[ts.astimezone(zone).month - 1]
        counts[mo] = counts.get(mo, 0) + 1
    empty = [mo for mo in hours if counts.get(mo, 0) == 0]
    rest = sum(h for mo, h in hours.items() if mo not in empty)
    if not empty or rest <= 0:
        return [], 0.0
    per_hour = sum(counts.values()) / rest
    gaps = [mo for mo in MONTHS if mo in empty and per_hour * hours[mo] >= GAP_EXPECTED]
    return gaps, per_hour * 730.5


def _month_share(src: m.Source, month: str) -> float:
    """The source's declared profile for `month` (1 where it lists none)."""
    return next((ms.share.value for ms in src.profile if ms.month == month), 1.0)


def _key_of(funnel: m.FunnelFile, src: m.Source) -> tuple[str, str] | None:
    hit = funnel.resolve(src.target, None)
    return (hit[0].name.value, hit[1].name.value) if hit else None


def _poisson(k: float) -> tuple[float, float]:
    from scipy import stats

    lo = stats.chi2.ppf(0.025, 2 * k) / 2 if k > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * k + 2) / 2
    return float(lo), float(hi)


def _one_source(src: m.Source, got: list[tuple[datetime, float | None]], parts: list[float],
                start: datetime, end: datetime, span: float, tz: str,
                how: Way, gaps: frozenset[str] = frozenset()) -> SourceFit:
    """`parts`: the part of each deal of `got` that is this source's (1, or its share
    of a shared entry stage in the deal's month); `gaps`: months the history misses
    (`_gap_months`), left out of the rate and the profile."""
    k = float(sum(parts))
    weight = k / len(got) if got else 1.0
    per_hour = k / span if span > 0 else 0.0
    lo, hi = _poisson(k)
    fit = SourceFit(src.name.value, round(k), span, per_hour, lo / span, hi / span, {},
                    None, how, shared_share=weight if how == "shared" else None)
    if round(k) == 0:
        # «лишь 0 сделок»: a source the history never saw has its own sentence.
        fit.warnings.append(Note(N_("source «{source}» is not in the history: the funnel's "
                                    "rate, profile and value kept"), source=src.name.value))
    elif k < MIN_DEALS:
        few = f"{k:.0f}"
        fit.warnings.append(_n("too few deals to trust: {count} deal (fewer than {min}); the "
                               "funnel's rate, profile and value kept",
                               "too few deals to trust: {count} deals (fewer than {min}); the "
                               "funnel's rate, profile and value kept", round(k),
                               count=few, min=MIN_DEALS))
    if not got:
        return fit
    zone = ZoneInfo(tz)
    # Hours of data in each calendar month (of each year), then per month of the year.
    counts: dict[str, float] = {}
    for (ts, _), part in zip(got, parts):
        mo = MONTHS[ts.astimezone(zone).month - 1]
        counts[mo] = counts.get(mo, 0.0) + part
    covered = _month_hours(start, end, zone)
    full = {mo: h for mo, h in covered.items() if h >= 0.5 * 28 * 24 and mo not in gaps}
    if len(full) >= 2:
        _profile_fit(fit, {mo: counts.get(mo, 0.0) for mo in full}, full)
        _trailing_level(fit, start, end, zone, full)
    values = np.array([v for _, v in got if v is not None and v > 0], dtype=float)
    if len(values):
        fit.value = fit_sample(values, floor=1.0)
    return fit


def _trailing_level(fit: SourceFit, start: datetime, end: datetime, zone: ZoneInfo,
                    full: dict[str, float]) -> None:
    """Warn when the history's last two or more months are all listed on the same side
    of the base rate: a source that grew (or fell) to a new level, which a month profile
    repeats only in the same months of a year. A clinic's Продокторов, four times the
    requests from September, was fitted `profile oct 434%, nov 423%` and forecast at
    its old 7.9 a month for December, without a word. A history over a year pools each
    month's years and is not judged."""
    seq: list[str] = []
    year, month = start.astimezone(zone).year, start.astimezone(zone).month
    last = end.astimezone(zone)
    while (year, month) <= (last.year, last.month):
        seq.append(MONTHS[month - 1])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if len(seq) != len(set(seq)):
        return
    seq = [mo for mo in seq if mo in full]
    run: list[str] = []
    for mo in reversed(seq):
        ratio = fit.profile.get(mo)
        if ratio is None or not ratio[3] or (
                run and (ratio[0] > 1) != (fit.profile[run[0]][0] > 1)):
            break
        run.append(mo)
    if len(run) < 2 or len(run) == len(seq):
        return
    n = len(run)
    hours = sum(full[mo] for mo in run)
    deals = sum(fit.profile[mo][0] * fit.per_hour * full[mo] for mo in run)
    fit.recent = (deals, hours, deals / hours)
    fit.warnings.append(_n(
        "source «{source}»: its last {n} month ran at {ratio_list} of the base rate; as a "
        "month profile that repeats only in the same months of a year, so the months after "
        "are forecast at the base rate: if it is the source's new level, raise its rate",
        "source «{source}»: its last {n} months ran at {ratio_list} of the base rate; as a "
        "month profile that repeats only in the same months of a year, so the months after "
        "are forecast at the base rate: if it is the source's new level, raise its rate",
        n, source=fit.name,
        ratio_list=tuple(f"{round(100 * fit.profile[mo][0])}%" for mo in reversed(run))))


def at_recent_level(fit: FitResult) -> FitResult:
    """The fit as a forecast of the months after the history takes it: a source whose
    last months ran at a new level (`SourceFit.recent`) at that level, flat, instead of
    its base rate, with a note that says both rates in place of the warning. Olist's
    «Заявки с сайта» ran at 285–302 % of its base in January–March 2018 and was forecast
    at the base, a third of its April leads."""
    from dataclasses import replace

    out = []
    for s in fit.sources:
        if s.recent is None:
            out.append(s)
            continue
        deals, hours, per_hour = s.recent
        lo, hi = _poisson(deals)
        note = Note(N_("source «{source}»: its last months ran at a new level: its new deals "
                       "are forecast at that level, {level:.1f} a day, not at the base rate "
                       "of {base:.1f} a day"), source=s.name, level=per_hour * 24,
                    base=s.per_hour * 24)
        out.append(replace(s, deals=round(deals), hours=hours, per_hour=per_hour,
                           low=lo / hours, high=hi / hours,
                           profile={mo: (1.0, 1.0, 1.0, False) for mo in MONTHS},
                           plain_months=list(MONTHS), recent=None,
                           warnings=[note if "new level" in w else w for w in s.warnings]))
    return replace(fit, sources=out)


def _profile_fit(fit: SourceFit, counts: dict[str, float], hours: dict[str, float]) -> None:
    """Rate and month profile as the funnel says them: `rate` is the rate of the months
    at 100 %, `profile` the other months' ratio to it. A month is listed when its exact
    Poisson 95 % interval excludes the base rate; the base rate is then the pooled rate
    of the months not listed (a Poisson model with one rate for them and one per listed
    month, whose maximum-likelihood estimates these are), with the exact Poisson interval
    of that pooled count. Repeated until the listed months no longer change (start: the
    median month)."""
    rates = {mo: counts[mo] / h for mo, h in hours.items()}
    base = float(np.median(list(rates.values())))
    if base <= 0:
        return
    listed: set[str] = set()
    for _ in range(10):
        new = set()
        for mo, c in counts.items():
            lo, hi = _poisson(c)
            ratio = rates[mo] / base
            if (lo / hours[mo] > base or hi / hours[mo] < base) and round(ratio * 100) != 100:
                new.add(mo)
        if len(new) == len(counts):
            # Every month differs from the median: the month closest to it is the base.
            new.discard(min(counts, key=lambda mo: abs(rates[mo] - base)))
        plain = [mo for mo in counts if mo not in new]
        k, h = sum(counts[mo] for mo in plain), sum(hours[mo] for mo in plain)
        base_new = k / h
        done = new == listed and base_new == base
        listed, base = new, base_new
        if done or base <= 0:
            break
    if base <= 0:
        return
    plain = [mo for mo in counts if mo not in listed]
    k, h = sum(counts[mo] for mo in plain), sum(hours[mo] for mo in plain)
    lo, hi = _poisson(k)
    fit.per_hour, fit.low, fit.high = base, lo / h, hi / h
    fit.plain_months = plain if listed else []
    for mo, c in counts.items():
        rlo, rhi = _ratio_interval(c, hours[mo], k, h, mo in listed)
        fit.profile[mo] = (rates[mo] / base, rlo, rhi, mo in listed)


def _ratio_interval(c: float, h_m: float, k: float, h: float, apart: bool
                    ) -> tuple[float, float]:
    """95 % interval of a month's rate (c deals in h_m hours) over the base rate (k deals in
    h hours), both counts Poisson: given their total, the month's count is binomial, and
    the Clopper–Pearson interval of its share maps onto the ratio. `apart`: the month is
    listed, its deals not among the base's k (share c / (c + k), ratio p / (1 − p) · h /
    h_m); else they are part of k (share c / k, ratio p · h / h_m). The month's Poisson
    interval over the base rate as if it were known held a generated April's 160 % in 35
    of 40 histories: with 570 deals against 1 780, the base's own ±5 % was left out."""
    from scipy import stats

    n = c + k if apart else k
    if n <= 0 or h_m <= 0:
        return 0.0, math.inf
    lo = float(stats.beta.ppf(0.025, c, n - c + 1)) if c > 0 else 0.0
    hi = float(stats.beta.ppf(0.975, c + 1, n - c)) if c < n else 1.0
    if apart:
        odds = lambda p: p / (1.0 - p) if p < 1.0 else math.inf  # noqa: E731
        return odds(lo) * h / h_m, odds(hi) * h / h_m
    return lo * h / h_m, hi * h / h_m


# ---------------------------------------------------------------------------- reopens
def _fit_reopens(funnel: m.FunnelFile, ev: pl.DataFrame, end: datetime,
                 span: float, warnings: list[str]) -> list[ReopenFit]:
    # A loss reopened and lost again within the hour is neither a loss of its own nor a
    # comeback (`transitions.undone`): the simulated reopen is a loss brought back.
    back = returns(ev)
    lost = kept_losses(ev).with_columns(
        r=pl.col("loss_reason").fill_null("").map_elements(normal, return_dtype=pl.Utf8))
    back = back.with_columns(r=pl.col("reason").fill_null("").map_elements(
        normal, return_dtype=pl.Utf8))
    unkept = set(back.filter(pl.col("reason_unkept"))["pipeline"].unique().to_list())
    out: list[ReopenFit] = []
    seen: set[tuple[str, str]] = set()
    wanted: list[tuple[str, str, str, bool]] = []
    for pipe in funnel.pipelines:
        for ro in pipe.reopens:
            wanted.append((pipe.name.value, normal(ro.reason.value), ro.reason.value, True))
    # A reason the funnel does not declare is fitted from the data only where every
    # comeback's reason is known: elsewhere its losses that came back are not its own.
    for p, r, reason in back.select("pipeline", "r", "reason").unique().iter_rows():
        if funnel.pipeline(p) is not None and p not in unkept:
            wanted.append((p, r, reason or "", False))
    only = {p.name.value: normal(p.reopens[0].reason.value) for p in funnel.pipelines
            if len({normal(ro.reason.value) for ro in p.reopens}) == 1}
    by_target = _reopen_targets(funnel)
    sole = {key: rs[0] for key, rs in by_target.items() if len(set(rs)) == 1}
    for p, r, text, in_funnel in wanted:
        if (p, r) in seen or (r == "" and not in_funnel):
            continue
        seen.add((p, r))
        # A comeback whose loss reason is not known (the CRM kept none for it, or none
        # was given) is credited to the pipeline's only reopen, or to the only one into
        # the stage it came back to: in the funnel only declared reasons come back, each
        # to its reopen's stage. Into a stage several reopens lead to, it cannot be told
        # whose it is: a reason among those gets no share where such comebacks' reason
        # was not kept (`not_kept`).
        mine = [st for (pp, st), rr in sole.items() if pp == p and rr == r]
        shared = [st for (pp, st), rs in by_target.items()
                  if pp == p and len(set(rs)) > 1 and r in rs]
        unknown = pl.col("r") == ""
        if only.get(p) != r:
            unknown = unknown & pl.col("back_stage").is_in(mine)
        b = back.filter((pl.col("pipeline") == p) & ((pl.col("r") == r) | unknown))
        not_kept = 0 if only.get(p) == r else back.filter(
            (pl.col("pipeline") == p) & pl.col("reason_unkept")
            & pl.col("back_stage").is_in(shared)).height
        delays = b["hours"].to_numpy()
        h = max(7 * 24.0, float(np.quantile(delays, 0.95)) if len(delays) else 0.0)
        h = min(h, span / 2)
        cutoff = end - timedelta(hours=h)
        lo = lost.filter((pl.col("pipeline") == p) & (pl.col("r") == r)
                         & (pl.col("ts") <= cutoff))
        bm = b.filter(pl.col("lost_at") <= cutoff)
        # A credited comeback's loss is one of the reason's losses too.
        unrecorded = bm.filter(pl.col("r") == "").height if r != "" else 0
        n, k = lo.height + unrecorded, bm.height
        wl, wh = wilson(k, n)
        # The first by name of the tied (mode() returns them in no fixed order).
        target = b["back_stage"].mode().sort().to_list()[0] if b.height else None
        fit = ReopenFit(p, text, n, k, k / n if n else 0.0, wl, wh, target,
                        fit_sample(delays) if len(delays) else None, in_funnel,
                        not_kept=not_kept,
                        credited=int(b["reason_unkept"].sum()) if r != "" else 0)
        if fit.not_kept:
            out.append(fit)
            continue
        if n < MIN_DEALS:
            fit.warnings.append(_n("too few deals to trust: {count} loss old enough to have "
                                   "come back (fewer than {min}); the funnel's share kept",
                                   "too few deals to trust: {count} losses old enough to have "
                                   "come back (fewer than {min}); the funnel's share kept",
                                   n, count=n, min=MIN_DEALS))
        out.append(fit)
    _unkept_comebacks(funnel, ev, back, end, span, only, by_target, warnings)
    return out


def _reopen_targets(funnel: m.FunnelFile) -> dict[tuple[str, str], list[str]]:
    """Per (pipeline, stage), the reasons (normalised) of the funnel's reopens that bring
    deals back to that stage of their own pipeline."""
    by_target: dict[tuple[str, str], list[str]] = {}
    for pipe in funnel.pipelines:
        for ro in pipe.reopens:
            hit = funnel.resolve(ro.target, pipe)
            if hit is not None and hit[0].name.value == pipe.name.value:
                by_target.setdefault((pipe.name.value, hit[1].name.value), []).append(
                    normal(ro.reason.value))
    return by_target


def _unkept_comebacks(funnel: m.FunnelFile, ev: pl.DataFrame, back: pl.DataFrame,
                      end: datetime, span: float, only: dict[str, str],
                      by_target: dict[tuple[str, str], list[str]],
                      warnings: list[str]) -> None:
    """Warn, per pipeline of the funnel, of the comebacks whose loss reason the export
    did not keep (`events.reason_unkept`: amoCRM and Bitrix24 keep a deal's current
    reason only), and say what was done with them — credited to the reopen the funnel
    says they are (`_fit_reopens`), or to none — and what the data tells whatever the
    reasons: of the pipeline's losses old enough to have come back (H_r as for a reopen,
    over all its comebacks), how many did. The credit is the funnel's assumption, not a
    reading of the data: where deals lost for undeclared reasons come back too, the
    credited share is too high, and the warning says so."""
    for pipe in funnel.pipelines:
        p = pipe.name.value
        mine = back.filter(pl.col("pipeline") == p)
        gone = mine.filter(pl.col("reason_unkept"))
        u = gone.height
        if not u:
            continue
        h = min(max(7 * 24.0, float(np.quantile(mine["hours"].to_numpy(), 0.95))), span / 2)
        cutoff = end - timedelta(hours=h)
        lost = kept_losses(ev).filter((pl.col("pipeline") == p)
                                      & (pl.col("ts") <= cutoff)).height
        came = mine.filter(pl.col("lost_at") <= cutoff).height
        figures: dict[str, str | int | float] = {
            "where": p, "back": came, "lost": lost, "back_share": came / lost if lost else 0.0}
        if not pipe.reopens:
            warnings.append(_n(
                "{where}: {count} loss that came back has no reason in the export (the CRM "
                "keeps only a deal's current reason), so no reopen share per reason is written "
                "(the funnel's reopen shares are kept); of the losses old enough to have come "
                "back, {back} of {lost} did ({back_share}); to fit the shares per reason, "
                "export the loss-reason field's history or a CSV with each loss's reason",
                "{where}: {count} losses that came back have no reason in the export (the CRM "
                "keeps only a deal's current reason), so no reopen share per reason is written "
                "(the funnel's reopen shares are kept); of the losses old enough to have come "
                "back, {back} of {lost} did ({back_share}); to fit the shares per reason, "
                "export the loss-reason field's history or a CSV with each loss's reason",
                u, count=u, **figures))
            continue
        stages = gone["back_stage"].to_list()
        sole = {st for (pp, st), rs in by_target.items() if pp == p and len(set(rs)) == 1}
        shared = {st: rs for (pp, st), rs in by_target.items() if pp == p and len(set(rs)) > 1}
        if p in only:
            credited, torn, elsewhere = u, 0, 0
        else:
            credited = sum(1 for st in stages if st in sole)
            torn = sum(1 for st in stages if st in shared)
            elsewhere = u - credited - torn
        if credited:
            warnings.append(_n(
                "{where}: {count} loss that came back has no reason in the export (the CRM "
                "keeps only a deal's current reason); it is credited to the funnel's reopen "
                "into the stage it came back to (or the pipeline's only reopen) and counted "
                "among that reason's losses, as the funnel says only its declared reasons come "
                "back: if deals lost for other reasons came back too, that share is too high; "
                "of all the losses old enough to have come back, {back} of {lost} did "
                "({back_share}); a CSV with each loss's reason, or the loss-reason field's "
                "history, would tell",
                "{where}: {count} losses that came back have no reason in the export (the CRM "
                "keeps only a deal's current reason); each is credited to the funnel's reopen "
                "into the stage it came back to (or the pipeline's only reopen) and counted "
                "among that reason's losses, as the funnel says only its declared reasons come "
                "back: if deals lost for other reasons came back too, those shares are too "
                "high; of all the losses old enough to have come back, {back} of {lost} did "
                "({back_share}); a CSV with each loss's reason, or the loss-reason field's "
                "history, would tell",
                credited, count=credited, **figures))
        if torn:
            reasons = tuple(sorted({ro.reason.value for st, rs in shared.items()
                                    if st in stages for ro in pipe.reopens
                                    if normal(ro.reason.value) in rs}))
            warnings.append(_n(
                "{where}: {count} loss that came back has no reason in the export (the CRM "
                "keeps only a deal's current reason) and came back to a stage several of the "
                "funnel's reopens lead to ({reasons_list}): the data cannot tell whose it is, "
                "so no share is written for them (the funnel's reopen shares are kept); of all "
                "the losses old enough to have come back, {back} of {lost} did ({back_share}); "
                "to fit them, export the loss-reason field's history or a CSV with each loss's "
                "reason",
                "{where}: {count} losses that came back have no reason in the export (the CRM "
                "keeps only a deal's current reason) and came back to a stage several of the "
                "funnel's reopens lead to ({reasons_list}): the data cannot tell whose they "
                "are, so no share is written for them (the funnel's reopen shares are kept); of "
                "all the losses old enough to have come back, {back} of {lost} did "
                "({back_share}); to fit them, export the loss-reason field's history or a CSV "
                "with each loss's reason",
                torn, count=torn, reasons_list=reasons, **figures))
        if elsewhere:
            warnings.append(_n(
                "{where}: {count} loss that came back has no reason in the export (the CRM "
                "keeps only a deal's current reason) and came back to a stage none of the "
                "funnel's reopens leads to: it is credited to no reopen",
                "{where}: {count} losses that came back have no reason in the export (the CRM "
                "keeps only a deal's current reason) and came back to stages none of the "
                "funnel's reopens leads to: they are credited to no reopen",
                elsewhere, where=p, count=elsewhere))
