"""`after` delays net of waiting: simulation-based calibration.

A CRM history shows when a deal entered a stage and when it left, nothing in between.
In the model that time is queue wait + work + `after` (the wait includes the nights and
weekends a team is closed), so the raw times put the waits into `after`: a 1 h delay
in a stage a team of two works 10:00–19:00 reads as 7 h. The waits depend on the load
and the calendar, which only a simulation of the whole account knows; so:

1. The funnel with the fitted rates, shares and the current delays is simulated over the
   history's own dates (same weekdays, same months), from the simulator's Python API.
2. Each simulated visit of a stage gives its queue wait W (entry to first pick-up, `inf`
   when the SLA took it out of the queue) and the plain hours its SLA leaves (`inf`
   without SLA); its work S is drawn from the stage's `work`.
3. For each route of the stage, a delay A is chosen so that W + S + A, over the visits
   the SLA does not cut short (W + S + A before the SLA), matches the history's times
   in stage of the deals that left that way: `distance` is the gap in mean plus the mean
   gap over the deciles, relative to the observed mean. The random numbers are fixed
   (common random numbers), so the distance is a smooth function of the parameters.
4. Steps 1–3 run `ROUNDS` times: delays move deals into the next stage at other times
   of day, which changes that stage's waits. The rounds before the last only bring the
   delays near their values: they simulate a window at the start of the history with
   `EARLY_DEALS` deals (all of it when it is shorter) and fit exp alone; the last round
   simulates the whole span and chooses the family, with intervals.

Family, by a stated criterion: no delay at all when the exp fit's bootstrap interval
(below) reaches 0 and A = 0 is within `EMPIRICAL_DISTANCE` of the best family's distance,
or A = 0 comes within `BETTER` (relative) or 0.01 of the exp fit's distance;
else `exp` unless `lognormal` or `gamma` lowers the distance
by more than `BETTER` (relative) and 0.01; `empirical` (9 points) when even the best
is farther than `EMPIRICAL_DISTANCE`. The mean's 95 % interval is a bootstrap (`BOOT`
resamples of the history's times and the simulated visits, the mean re-solved with the
shape fixed): estimate ± 1.96 bootstrap standard errors, so it contains the estimate.
The residual reported per stage is the calibrated model's time in stage (mixture of its
routes, waits of the last run) against the history's: mean, median and 90th percentile.

When the history carries the moment a manager picked the deal up (a CSV's `picked_at`,
funnelc's records' `picked_hours`), W is each deal's own and no simulation is needed:
those stages are fitted by `picked.fit_picked` and left alone here.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .. import model as m
from ..i18n import N_
from ..i18n.note import Note
from .dists import EMPIRICAL_POINTS, FLOOR, HIDDEN, Z95, Candidate, DistFit
from .numpy_exact import FixedPointsInterp, mean_of, quantiles

if TYPE_CHECKING:
    from ..sim.compile import Network
    from .fit import StageFit
    from .picked import PickedFit

__all__ = ["StageResidual", "Calibration", "Visit", "calibrate_delays", "fit_route", "quantile_fn",
           "draw", "reweight_shares", "sla_cut",
           "ROUNDS", "BETTER", "EMPIRICAL_DISTANCE", "BOOT", "MAX_SIM"]

ROUNDS = 3
EARLY_DEALS = 100_000
"""Deals a calibration round before the last simulates (at least `EARLY_DAYS` days)."""
EARLY_DAYS = 56
BETTER = 0.10
EMPIRICAL_DISTANCE = 0.25
BOOT = 30
MAX_SIM = 5000
"""Simulated visits per stage used in the search (a random subset beyond this): the
deciles of 5 000 draws are within ~2 % of the full sample's."""
MAX_OBS = 20000
TARGET_VISITS = 25000
"""Simulated deals wanted in all: small histories are simulated several times over."""
QS = np.linspace(0.1, 0.9, 9)
GRID = np.concatenate([[1e-9], np.asarray(__import__("scipy.special", fromlist=["ndtr"]).ndtr(
    np.linspace(-5.5, 5.5, 241))), [1 - 1e-9]])
Key = tuple[str, ...]


@dataclass
class StageResidual:
    """How far the calibrated model's time in stage is from the history's (hours)."""

    pipeline: str
    stage: str
    n: int
    obs_mean: float
    sim_mean: float
    obs_p50: float
    sim_p50: float
    obs_p90: float
    sim_p90: float
    distance: float


@dataclass
class Calibration:
    method: str
    """"simulation", "picked up" (every stage from the history's pick-up times, nothing
    simulated) or "simulation and picked up"."""
    runs: int
    simulated_deals: int
    residuals: list[StageResidual] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    picked: list[tuple[str, str]] = field(default_factory=list)
    """Stages fitted from pick-up times rather than simulated (`picked`)."""
    unqueued: list[tuple[str, str]] = field(default_factory=list)
    """Stages fitted on `picked`'s path from their times in stage alone: deals wait for
    nobody there (no owner with `work`), so no pick-up is read."""


@dataclass
class Visit:
    """The simulated (or recorded) visits of one stage: wait, and hours until the SLA."""

    wait: np.ndarray
    deadline: np.ndarray
    entered: np.ndarray


# ---------------------------------------------------------------------------- one route
Quantile = Callable[[np.ndarray, float, float], np.ndarray]
_T = TypeVar("_T")


def quantile_fn(kind: str) -> Quantile:
    """Delay draws from uniforms `u` for a family with this mean and coefficient of
    variation (a fixed mapping: common random numbers). The gamma's inverse is
    interpolated from `GRID` points (in normal-score spacing, so the tails are dense):
    exact inversion of every draw costs 100 times more. What depends on the uniforms
    alone (the lognormal's normal scores, where each uniform falls among the gamma's
    points) is worked out once per sample, which the search reuses for every candidate."""
    from scipy import stats

    if kind == "exp":
        return lambda u, mean, cv: -mean * np.log1p(-u)
    if kind == "lognormal":
        scores = _per_sample(lambda u: np.asarray(stats.norm.ppf(u)))

        def logn(u: np.ndarray, mean: float, cv: float) -> np.ndarray:
            s2 = math.log1p(cv * cv)
            return mean * np.exp(-s2 / 2 + math.sqrt(s2) * scores(u))
        return logn

    placed = _per_sample(lambda u: FixedPointsInterp(u, GRID))

    def gam(u: np.ndarray, mean: float, cv: float) -> np.ndarray:
        a = 1.0 / (cv * cv)
        at = placed(u)
        return at(_gamma_grid(a, at.needed)) * mean / a
    return gam


def _per_sample(work: Callable[[np.ndarray], _T]) -> Callable[[np.ndarray], _T]:
    """`work(u)`, done again only when `u` is another array than the last one's."""
    last: list[tuple[np.ndarray, _T]] = []

    def get(u: np.ndarray) -> _T:
        if not last or last[0][0] is not u:
            last[:] = [(u, work(u))]
        return last[0][1]
    return get


_GAMMA_SHAPES = 256
"""Shapes whose grid quantiles are kept (the bootstrap asks for the same shape 30 times)."""
_gamma_cache: OrderedDict[float, np.ndarray] = OrderedDict()


def _gamma_grid(a: float, at: np.ndarray | None = None) -> np.ndarray:
    """The gamma(a) quantiles at `GRID`, or at its points `at` only (the others NaN, or
    kept from an earlier call). Each point is worked out when first asked for: 5 000
    uniforms fall in about two thirds of the grid's intervals (none below the 1e-4
    quantile), and the search asks for a new shape at almost every step, so a whole grid
    was a third wasted. `gammaincinv` is evaluated point by point, so a point's value is
    the same whichever others are asked with it."""
    from scipy import special

    got = _gamma_cache.get(a)
    if got is None:
        got = np.full(len(GRID), np.nan)
        _gamma_cache[a] = got
        if len(_gamma_cache) > _GAMMA_SHAPES:
            _gamma_cache.popitem(last=False)
    else:
        _gamma_cache.move_to_end(a)
    want = np.arange(len(GRID)) if at is None else at
    missing = want[np.isnan(got[want])]
    if len(missing):
        got[missing] = special.gammaincinv(a, GRID[missing])
    return got


@dataclass
class _Target:
    mean: float
    q: np.ndarray

    @classmethod
    def of(cls, t: np.ndarray) -> _Target:
        return cls(float(t.mean()), np.quantile(t, QS))


def _distance(sim: np.ndarray, tgt: _Target) -> float:
    if len(sim) < 20:
        return math.inf
    scale = max(tgt.mean, FLOOR)
    return (abs(mean_of(sim) - tgt.mean) + mean_of(np.abs(quantiles(sim, QS) - tgt.q))) / scale


def _survivors(base: np.ndarray, dl: np.ndarray, a: np.ndarray) -> np.ndarray:
    t = base + a
    return t[t < dl]


def sla_cut(sf: StageFit) -> bool:
    """Whether the stage's SLA took any deal out before its route's delay ran out.

    A stay share (declared, or deals still there) may hold deals it moved; without one,
    they are the stage's `sla` timeouts. When there is none, every route's sample is
    whole: a fit that takes the SLA as a cut reads the far end of a bounded delay (the
    10 days of `uniform(1d, 10d)` a little before a 100-working-hour SLA) as the start
    of a tail the SLA hid. The developer's «Договір підписано» `won after uniform(1d,
    10d)` came out as `gamma(6.57d, 3.8d)` (mean interval up to ∞) from pick-up times,
    and as no delay at all through the simulation (its exp candidate ran to a 42-day
    mean, every day of it past the SLA "hidden").
    """
    if not sf.sla:
        return False
    return any(r.key == ("stay",) or (r.key == ("sla",) and r.count > 0) for r in sf.routes)


def fit_route(obs: np.ndarray, base: np.ndarray, dl: np.ndarray, rng: np.random.Generator,
              interval: bool = True) -> tuple[DistFit, np.ndarray]:
    """The delay whose W + S + A (cut by the SLA) matches `obs`, the history's times in
    stage of one route; `base` = W + S of simulated visits, `dl` their SLA hours. Returns
    the fit and the simulated times of the winner. Without `interval` (a calibration
    round before the last) the mean's bootstrap is skipped: [mean, mean]. The family is
    chosen all the same: an exp where the delay is a gamma moves the next stage's
    arrivals to other hours, and the last round's waits with them (exp-only early rounds
    put delays of up to 6 h on routes that have none)."""
    from scipy import optimize

    obs = np.asarray(obs, dtype=float)
    obs = obs[np.isfinite(obs)]
    if len(obs) > MAX_OBS:
        obs = rng.choice(obs, MAX_OBS, replace=False)
    if len(base) > MAX_SIM:
        pick = rng.choice(len(base), MAX_SIM, replace=False)
        base, dl = base[pick], dl[pick]
    u = rng.random(len(base))
    tgt = _Target.of(obs)
    finite = base[np.isfinite(base)]
    m0 = max(tgt.mean - float(finite.mean()) if len(finite) else tgt.mean, tgt.mean * 0.05, FLOOR)
    cands: list[tuple[str, float, float, float]] = []
    qf_exp = quantile_fn("exp")
    none = _distance(_survivors(base, dl, np.zeros(len(base))), tgt)

    def d_exp(lm: float) -> float:
        return _distance(_survivors(base, dl, qf_exp(u, math.exp(lm), 1.0)), tgt)

    lo, hi = math.log(max(m0 / 30, FLOOR / 10)), math.log(max(m0 * 30, tgt.mean * 3, FLOOR))
    r = optimize.minimize_scalar(d_exp, bounds=(lo, hi), method="bounded",
                                 options={"xatol": 1e-3})
    cands.append(("exp", math.exp(r.x), 1.0, float(r.fun)))
    for kind in ("gamma", "lognormal"):
        qf = quantile_fn(kind)

        def d2(p: np.ndarray, qf: Quantile = qf) -> float:
            cv = math.exp(min(max(p[1], -4.0), 2.0))
            return _distance(_survivors(base, dl, qf(u, math.exp(p[0]), cv)), tgt)

        # Two starts: the exp fit, and the moments (mean and variance left once the
        # waits' are taken off), which finds narrow delays the exp fit cannot.
        var0 = max(float(obs.var()) - (float(finite.var()) if len(finite) > 1 else 0.0),
                   (0.05 * m0) ** 2)
        starts = [(math.log(cands[0][1]), 0.0), (math.log(m0), math.log(math.sqrt(var0) / m0))]
        got = []
        for x0 in starts:
            r2 = optimize.minimize(d2, np.array(x0), method="Nelder-Mead",
                                   options={"maxiter": 80, "xatol": 1e-3, "fatol": 1e-4})
            got.append((float(r2.fun), float(r2.x[0]), float(r2.x[1])))
        fun, lm, lcv = min(got)
        cands.append((kind, math.exp(lm), math.exp(min(max(lcv, -4.0), 2.0)), fun))
    best = ex = cands[0]
    for c in cands[1:]:
        if c[3] < ex[3] * (1 - BETTER) and c[3] < ex[3] - 0.01 and c[3] < best[3]:
            best = c
    kind, mean, cv, dist = best
    points: list[float] = []
    ex_low, _ = _boot(obs, base, dl, "exp", ex[1], 1.0, [], rng)
    # The exp bootstrap reaching 0 does not make "none" of a delay that A = 0 misses by
    # more than `EMPIRICAL_DISTANCE` beyond the best family: courses' «Связались» `lost
    # "Перестал отвечать" after uniform(3d, 7d)` (its SLA names the same reason) had an
    # exp candidate run to a 31-day mean whose bootstrap touched 0, and "none" (distance
    # 1.92, against gamma's 0.022 at 4.97 days) was written.
    if none <= ex[3] * (1 + BETTER) or none <= ex[3] + 0.01 or (
            ex_low <= 0.0 and none <= best[3] + EMPIRICAL_DISTANCE):
        # No delay explains the times as well: the route has none.
        return DistFit(len(obs), "none", 0.0, 0.0, 0.0, max(ex[1], 0.0),
                       [Candidate(k, mu, mu * c, float("nan"), float("nan"), float("nan"), d)
                        for k, mu, c, d in cands], method="calibrated",
                       distance=none), _survivors(base, dl, np.zeros(len(base)))
    sim_t = _survivors(base, dl, quantile_fn(kind)(u, mean, cv))
    if not math.isfinite(dist) or dist > EMPIRICAL_DISTANCE:
        # Comonotone difference of the quantiles: exact when the wait is constant.
        qs = (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS
        fin = base[np.isfinite(base)] if len(finite) else np.zeros(1)
        pts = np.maximum(np.quantile(obs, qs) - np.quantile(fin, qs), FLOOR)
        emp = rng.choice(pts, len(base))
        d_emp = _distance(_survivors(base, dl, emp), tgt)
        if d_emp < dist or not math.isfinite(dist):
            kind, mean, dist, points = "empirical", float(pts.mean()), d_emp, [float(p) for p in pts]
            cv = float(pts.std() / mean) if mean > 0 else 0.0
            sim_t = _survivors(base, dl, emp)
    lo_ci, hi_ci = _boot(obs, base, dl, kind, mean, cv, points, rng) if interval else (mean, mean)
    fit = DistFit(len(obs), kind, mean, mean * cv, lo_ci, hi_ci,
                  [Candidate(k, mu, mu * c, float("nan"), float("nan"), float("nan"), d)
                   for k, mu, c, d in cands], points=points, method="calibrated",
                  distance=dist)
    return fit, sim_t


def _boot(obs: np.ndarray, base: np.ndarray, dl: np.ndarray, kind: str, mean: float,
          cv: float, points: list[float], rng: np.random.Generator) -> tuple[float, float]:
    """Mean ± 1.96 bootstrap standard errors: both samples resampled, the mean re-solved
    (shape fixed) so that the survivors' mean matches the resampled history's."""
    from scipy import optimize

    if len(obs) < 2:
        return mean, mean
    pts = np.asarray(points) / mean if points else None
    qf = quantile_fn(kind if kind != "empirical" else "exp")
    means: list[float] = []
    n_b = min(len(base), 3000)
    for _ in range(BOOT):
        ob = obs[rng.integers(0, len(obs), len(obs))]
        idx = rng.integers(0, len(base), n_b)
        b, d = base[idx], dl[idx]
        u = rng.random(n_b)
        unit = (pts[rng.integers(0, len(pts), n_b)] if pts is not None
                else qf(u, 1.0, cv))
        target = float(ob.mean())

        def gap(lm: float, b: np.ndarray = b, d: np.ndarray = d, unit: np.ndarray = unit,
                target: float = target) -> float:
            s = _survivors(b, d, unit * math.exp(lm))
            return (mean_of(s) if len(s) else math.inf) - target

        a, z = math.log(max(mean / 1000, 1e-7)), math.log(max(mean * 10, 1e-5))
        try:
            ga, gz = gap(a), gap(z)
            if ga >= 0:
                means.append(0.0)  # this resample wants no delay at all
            elif gz > 0:
                means.append(math.exp(optimize.brentq(gap, a, z, xtol=1e-4)))
        except (ValueError, RuntimeError):
            continue
    if len(means) < 5:
        half = Z95 * mean * cv / math.sqrt(len(obs))
    else:
        half = Z95 * float(np.std(means, ddof=1))
    return max(mean - half, 0.0), mean + half


# ---------------------------------------------------------------------------- the account
class _Collector:
    """The record callback of a calibration run: of each visit of a stage being
    calibrated, its entry and wait (the rest of the row is dropped as it comes, instead
    of a million-row list of tuples held until the run ends)."""

    def __init__(self, net: Network, wanted: set[tuple[str, str]]) -> None:
        self.queues = {(s.pipeline_name, s.name): s.team >= 0 and s.work is not None
                       for s in net.stages if (s.pipeline_name, s.name) in wanted
                       and s.cadence is None}
        self.ents: dict[tuple[str, str], list[float]] = {k: [] for k in self.queues}
        self.waits: dict[tuple[str, str], list[float]] = {k: [] for k in self.queues}
        self.deals = 0
        """Deals created, over the runs (deal ids count from 0 in each run)."""
        self._top = -1

    def __call__(self, row: tuple[object, ...]) -> None:
        # Called for every row of every stage, most of them not calibrated: the deal and
        # the stage are read first, the rest only for a stage that is.
        deal = row[1]
        if deal > self._top:  # type: ignore[operator]
            self._top = deal  # type: ignore[assignment]
        key = row[2:4]
        queues = self.queues.get(key)  # type: ignore[arg-type]
        if queues is None:
            return
        ent, picked, left = row[4:7]
        if queues:
            if picked is not None:
                w = picked - ent  # type: ignore[operator]
            elif left is not None:
                w = math.inf  # left the queue by its SLA
            else:
                return  # still queued at the horizon: its wait is unknown
        else:
            w = 0.0
        self.ents[key].append(ent)  # type: ignore[index, arg-type]
        self.waits[key].append(w)  # type: ignore[index]

    def end_run(self) -> None:
        self.deals += self._top + 1
        self._top = -1

    def visits(self, net: Network, start: date) -> dict[tuple[str, str], Visit]:
        """Waits and SLA hours of the collected visits, stage by stage."""
        from ..sim.calendar import WorkCalendar

        cal = WorkCalendar.from_hours(net.account_hours, start)
        specs = {(s.pipeline_name, s.name): s for s in net.stages}
        out = {}
        for key, ents in self.ents.items():
            if not ents:
                continue
            ent = np.array(ents)
            sla = specs[key].sla_hours
            if sla is None:
                dl = np.full(len(ent), math.inf)
            elif cal.always_open:
                dl = np.full(len(ent), sla)
            else:
                dl = np.array([cal.add(e, sla) for e in ents]) - ent
            out[key] = Visit(np.array(self.waits[key]), dl, ent)
        return out


def _work(net: Network, key: tuple[str, str], n: int, rng: np.random.Generator) -> np.ndarray:
    from ..sim.dists import block_fn

    spec = next(s for s in net.stages if (s.pipeline_name, s.name) == key)
    if spec.work is None:
        return np.zeros(n)
    fn, const = block_fn(spec.work)
    return np.full(n, const) if fn is None else np.asarray(fn(rng, n))


def needs_calibration(funnel: m.FunnelFile) -> bool:
    """Whether time in stage differs from `after` anywhere: a stage with `work` or an
    SLA (a queue, a working-hours pause or a cut-off)."""
    return any(st.work is not None or st.sla is not None
               for p in funnel.pipelines for st in p.stages if st.cadence is None)


def calibrate_delays(fits: list[StageFit], rebuild: Callable[[], m.FunnelFile], start: date,
                     hours: float, seed: int = 1, max_deals: int | None = None,
                     done: PickedFit | None = None) -> Calibration:
    """Calibrate the `after` of every route of `fits` (changed in place) through the
    simulator; `rebuild()` is the fitted model with the current delays. `start` is the
    history's first day (local), `hours` its span. `done`: the stages already fitted
    from pick-up times (`picked.fit_picked`), left alone and reported beside."""
    from ..sim import SimConfig, compile_network
    from ..sim.budget import DEFAULT_MAX_DEALS, DealLimitExceeded, estimate_work
    from ..sim.engine import run_replication
    from .fit import MIN_DEALS
    from .refusal_note import refusal_note

    skip = done.done if done is not None else set()
    todo = [(sf, i) for sf in fits if not sf.cadence and sf.timed
            and (sf.pipeline, sf.stage) not in skip
            for i, r in enumerate(sf.routes)
            if r.samples is not None and len(r.samples) >= MIN_DEALS
            and r.key[0] not in ("stay", "sla") and not (r.key[0] == "copy" and r.outcome is None)]
    out = Calibration("simulation" if todo else "picked up", 0, 0)
    rng = np.random.default_rng([seed, 13])
    last: dict[tuple[int, int], np.ndarray] = dict(done.last) if done is not None else {}
    if done is not None and done.done:
        out.picked = sorted(done.done - done.unqueued)
        out.unqueued = sorted(done.unqueued)
        if todo:
            out.method = "simulation and picked up"
    if not todo:
        out.residuals = _residuals(fits, last, rng)
        return out
    days = max(1, math.ceil(hours / 24))
    cut: dict[tuple[str, str], tuple[StageFit, np.ndarray, np.ndarray]] = {}
    for rnd in range(ROUNDS):
        final = rnd == ROUNDS - 1
        model = rebuild()
        net = compile_network(model)
        per_hour = sum(s.per_hour * sum(s.profile) / 12 for s in net.sources) or 1e-9
        # The rounds before the last only bring the delays near their values, so that
        # the last round's waits come from a model close to the fitted one: a window at
        # the start of the history with EARLY_DEALS deals does that (a 1M-event history
        # simulated whole three times was most of the fit's time).
        run_days = days if final else min(days, max(
            EARLY_DAYS, math.ceil(EARLY_DEALS / (per_hour * 24))))
        reps = int(min(8, max(1, math.ceil(TARGET_VISITS / (per_hour * run_days * 24)))))
        span_h = min(hours, run_days * 24.0)
        # Refuse before running, as the back-test does: the engine's own stop at the
        # limit comes only after simulating that many deals (~20 s at 5 million).
        why = refusal_note(estimate_work([model], run_days, reps, start),
                           max_deals if max_deals is not None else DEFAULT_MAX_DEALS)
        if why is not None:
            out.notes.append(Note(N_("delays not calibrated: {why}"), why=why))
            return out
        collect = _Collector(net, {(sf.pipeline, sf.stage) for sf, _ in todo})
        try:
            for rep in range(reps):
                run_replication(net, SimConfig(days=run_days, warmup_days=0, reps=reps,
                                               seed=seed, start=start, max_deals=max_deals),
                                rep, collect)
                collect.end_run()
        except DealLimitExceeded as exc:
            # The engine's refusal, said in the note's language (str(exc) is its English)
            why = Note(N_("replication {rep} created more than {limit_count} deals and was "
                          "stopped (copies that multiply deals, or sources busier than their "
                          "rates say); shorten --days, or raise the limit with --max-deals N"),
                       rep=exc.rep, limit_count=exc.limit)
            out.notes.append(Note(N_("delays not calibrated: {why}"), why=why))
            return out
        out.runs += reps
        out.simulated_deals += collect.deals
        visits = collect.visits(net, start)
        del collect
        for sf, i in todo:
            key = (sf.pipeline, sf.stage)
            v = visits.get(key)
            r = sf.routes[i]
            if v is None or len(v.wait) < 20 or r.samples is None:
                continue
            # As in the history: visits that entered at least the stage's horizon before
            # the end, whose exit is seen only if it came before the end.
            mature = v.entered <= span_h - sf.horizon_h
            if mature.sum() < 20:
                continue
            dl = span_h - v.entered[mature]
            if sla_cut(sf):
                dl = np.minimum(v.deadline[mature], dl)
            base = v.wait[mature] + _work(net, key, int(mature.sum()), rng)
            fit, sim_t = fit_route(r.samples, base, dl, rng, interval=final)
            sf.routes[i] = replace(r, after=fit)
            if final:
                last[(id(sf), i)] = sim_t
                cut[key] = (sf, base, dl)
    for sf, base, dl in cut.values():
        if sla_cut(sf):
            reweight_shares(sf, base, dl, rng)
    out.residuals = _residuals(fits, last, rng)
    return out


def draw(fit: DistFit, u: np.ndarray) -> np.ndarray:
    """Values of `fit` at the uniforms `u`."""
    if fit.kind == "none":
        return np.zeros(len(u))
    if fit.kind == "fixed":
        return np.full(len(u), fit.mean)
    if fit.kind == "empirical" and fit.points:
        pts = np.asarray(fit.points)
        return pts[np.minimum((u * len(pts)).astype(int), len(pts) - 1)]
    cv = fit.sd / fit.mean if fit.mean > 0 else 1.0
    return quantile_fn(fit.kind if fit.kind in ("gamma", "lognormal") else "exp")(
        u, fit.mean, cv if fit.kind != "exp" else 1.0)


def reweight_shares(sf: StageFit, base: np.ndarray, dl: np.ndarray,
                    rng: np.random.Generator) -> None:
    """Shares as the funnel means them, before the SLA cuts: the history sees a route
    only when W + S + A came before the SLA, so a route with a long delay loses more
    deals to the SLA than one without. With s_r the share of the stage's visits
    (`base` = W + S, deadlines `dl`) that route r's fitted delay lets leave in time,
    the observed share n_r/N is p_r·s_r: p_r = n_r/(N·s_r). The SLA's exits are the
    `stay` share where the stage has one (stay = 1 − Σ p_r), else they are no share
    and the p_r are scaled to add up to 1. Each interval is the Wilson interval moved
    the same way, so it still contains its estimate."""
    shares = [r for r in sf.routes if r.key[0] not in ("sla", "copy") or r.outcome is not None]
    moving = [r for r in shares if r.key != ("stay",)]
    if not moving or len(base) < 20:
        return
    surv = []
    for r in moving:
        a = draw(r.after, rng.random(len(base))) if r.after is not None else 0.0
        surv.append(max(float(np.mean(base + a < dl)), 1e-3))
    q = [r.share / s for r, s in zip(moving, surv)]
    stay = next((r for r in shares if r.key == ("stay",)), None)
    scale = 1.0 / sum(q) if (stay is None or sum(q) > 1.0) and sum(q) > 0 else 1.0
    for r, s, qr in zip(moving, surv, q):
        low, high = min(r.low / s * scale, qr * scale), min(max(r.high / s * scale,
                                                                qr * scale), 1.0)
        if r.after is not None and r.after.beyond > HIDDEN:
            # How much of this route the SLA hides rests on the fitted tail: the share
            # lies between what was seen and what that tail says.
            low, high = min(low, r.low), max(high, r.high)
        r.low, r.high, r.share = low, high, qr * scale
    if stay is not None:
        new = max(0.0, 1.0 - sum(r.share for r in moving))
        d = stay.share - new
        low, high = max(0.0, min(stay.low - d, new)), min(1.0, max(stay.high - d, new))
        if any(r.after is not None and r.after.beyond > HIDDEN for r in moving):
            low, high = min(low, stay.low), max(high, stay.high)
        stay.low, stay.high, stay.share = low, high, new


def _residuals(fits: list[StageFit], last: dict[tuple[int, int], np.ndarray],
               rng: np.random.Generator) -> list[StageResidual]:
    res: list[StageResidual] = []
    for sf in fits:
        obs_parts, sim_parts = [], []
        for i, r in enumerate(sf.routes):
            sim_t = last.get((id(sf), i))
            if sim_t is None or r.samples is None or not len(sim_t):
                continue
            obs_parts.append(r.samples)
            # The route's model times at evenly spaced quantiles, as many as the history
            # has: its weight in the stage's mixture without resampling noise.
            n = len(r.samples)
            srt = np.sort(sim_t)
            sim_parts.append(srt[((np.arange(n) + 0.5) / n * len(srt)).astype(int)])
        if not obs_parts:
            continue
        o, s = np.concatenate(obs_parts), np.concatenate(sim_parts)
        res.append(StageResidual(sf.pipeline, sf.stage, len(o), float(o.mean()),
                                 float(s.mean()), float(np.median(o)), float(np.median(s)),
                                 float(np.quantile(o, 0.9)), float(np.quantile(s, 0.9)),
                                 _distance(s, _Target.of(o))))
    return res
