"""Replications → `SimResult`: every figure becomes an `Estimate`, verdicts are drawn.

Replications arrive in index order whatever process ran them, and every sum here runs
in that order, so the result is the same to the byte for any number of workers.
"""

from __future__ import annotations

import math
from typing import Any, cast

from .. import model as m
from .calendar import WorkCalendar, limits_in_working_hours
from .ci import estimate
from .compile import Network, RouteSpec
from .config import SimConfig
from .engine import TIMEOUT_KINDS
from .money import money_result
from .results import (
    Abandonments,
    AccountResult,
    DurationStats,
    OpenDealsResult,
    OutcomeResult,
    PipelineResult,
    RunInfo,
    SimResult,
    SimWarning,
    StageResult,
    TeamResult,
    Timeouts,
)
from .stats import NAN, RepStats
from .verdicts import funnel_shape, graveyard, short_window_warning, unstable_warning

__all__ = ["summarize"]


def _durations(mean: list[float], p50: list[float], p90: list[float], p99: list[float]
               ) -> DurationStats:
    return DurationStats(mean=estimate(mean), p50=estimate(p50), p90=estimate(p90),
                         p99=estimate(p99))


def _dist_text(d: m.Dist) -> str:
    """A distribution as the author wrote it (`exp(2h)`, `30m`)."""
    args = ", ".join(q.text for q in d.args)
    return args if d.bare else f"{d.kind}({args})"


def _outcome(net: Network, r: RouteSpec, counts: list[float], shares: list[float]
             ) -> OutcomeResult:
    copy = None
    if r.copy_to >= 0:
        c = net.stages[r.copy_to]
        copy = f"{c.pipeline_name}.{c.name}"
    return OutcomeResult(
        route=r.label(list(net.stages)), kind=r.kind,
        via=cast(Any, r.via if r.via in ("outcome", "stay", "reply", "exhausted") else "outcome"),
        target_stage=net.stages[r.stage].name if r.stage >= 0 else None, reason=r.reason,
        copy_to=copy, share=r.share, count=estimate(counts),
        simulated_share=estimate(shares))


def summarize(funnel: m.FunnelFile, net: Network, config: SimConfig, reps: list[RepStats],
              scenario: str | None = None) -> SimResult:
    reps = sorted(reps, key=lambda r: r.rep)
    first_day = config.warmup_days + 1
    working = limits_in_working_hours(net.account_hours)
    stages: list[StageResult] = []
    for i, spec in enumerate(net.stages):
        rs = [r.stages[i] for r in reps]
        ndays = min(len(s.wip_daily) for s in rs)
        daily = [math.fsum(s.wip_daily[d] for s in rs) / len(rs) for d in range(ndays)]
        # Shares from the weighted exits (`StageRep.exits_weighted`), per replication.
        weighted = [math.fsum(s.exits_weighted) for s in rs]
        outcomes = [_outcome(net, route, [float(s.exits[j]) for s in rs],
                             [s.exits_weighted[j] / w if w > 0 else NAN
                              for s, w in zip(rs, weighted)])
                    for j, route in enumerate(spec.routes)]
        tk = {kind: estimate(float(s.timeouts[k]) for s in rs)
              for k, kind in enumerate(TIMEOUT_KINDS)}
        sla_label = spec.sla_route.label(list(net.stages)) if spec.sla_route else None
        abandoned = None
        if spec.patience is not None and spec.patience_route is not None:
            abandoned = Abandonments(
                action=spec.patience_route.label(list(net.stages)),
                patience=_dist_text(spec.patience),
                count=estimate(float(s.abandoned) for s in rs),
                share=estimate(s.abandoned / s.entered if s.entered else NAN for s in rs))
        respond = None
        if spec.respond_hours is not None and spec.team >= 0:
            respond = estimate(100.0 * s.respond_breached / s.respond_checked
                               if s.respond_checked else NAN for s in rs)
        stages.append(StageResult(
            pipeline=spec.pipeline_name, stage=spec.name, key=spec.key, owner=spec.owner,
            queues_for_team=spec.team >= 0,
            entered=estimate(float(s.entered) for s in rs),
            arrival_rate_per_hour=estimate(s.arrival_rate for s in rs),
            outcomes=outcomes,
            timeouts=Timeouts(action=sla_label, sla_hours=spec.sla_hours, **tk),
            abandoned=abandoned,
            respond_hours=spec.respond_hours, limits_in_working_hours=working,
            respond_breach_pct=respond,
            time_in_stage_hours=_durations([s.time_mean for s in rs], [s.time_p50 for s in rs],
                                           [s.time_p90 for s in rs], [s.time_p99 for s in rs]),
            queue_wait_hours_mean=(estimate(s.wait_mean for s in rs) if spec.team >= 0
                                   else None),
            wip_time_average=estimate(s.wip_mean for s in rs),
            wip_final=estimate(float(s.wip_final) for s in rs),
            wip_daily=daily, wip_daily_first_day=first_day,
            wip_growth_per_day=estimate(s.slope for s in rs),
            age_final_hours_mean=estimate(s.age_final_mean for s in rs),
            age_final_sla_hours_mean=estimate(s.age_final_sla_mean for s in rs),
            graveyard=graveyard(spec, rs, working)))

    warnings: list[SimWarning] = []
    # Offered load from the exact maths (analysis.exact), the one reading of team loads.
    from ..analysis.exact import analyze_account

    exact_teams = {t.name: t for t in analyze_account(funnel).teams}
    loads = {name: t.load for name, t in exact_teams.items()}
    teams: list[TeamResult] = []
    for j, team in enumerate(net.teams):
        ts = [r.teams[j] for r in reps]
        owned = [s for s in net.stages if s.team == j]
        rho = loads.get(team.name)
        # An SLA or patience takes waiting deals out of the queue: it cannot grow forever.
        no_sla = [f"{s.pipeline_name}.{s.name}" for s in owned
                  if s.sla_hours is None and s.patience is None]
        # The exact verdict: the load past what the team does finishing work at closing
        # (analysis.overtime), not past 100 % of its working hours.
        unstable = team.name in exact_teams and not exact_teams[team.name].stable and bool(no_sla)
        if unstable:
            warnings.append(unstable_warning(team.name, rho, no_sla))  # type: ignore[arg-type]
        cal = WorkCalendar.from_hours(team.hours, config.start)
        if cal.never_open and owned:
            warnings.append(SimWarning(
                code="never-open", subject=team.name,
                message=f"team `{team.name}` has no working hours: nobody ever picks deals up"))
        teams.append(TeamResult(
            team=team.name, size=team.size,
            stages=[f"{s.pipeline_name}.{s.name}" for s in owned],
            open_hours_per_week=cal.total,
            offered_load_rho=rho if rho is not None and math.isfinite(rho) else None,
            unstable=unstable,
            utilization=estimate(t.utilization for t in ts),
            queue_mean=estimate(t.queue_mean for t in ts),
            queue_max=estimate(float(t.queue_max) for t in ts),
            queue_final=estimate(float(t.queue_final) for t in ts)))

    pipelines: list[PipelineResult] = []
    for k, ps in enumerate(net.pipelines):
        pr = [r.pipelines[k] for r in reps]
        lost_reasons = sorted({x for p in pr for x in p.lost})
        reopen_reasons = sorted({x for p in pr for x in p.reopened})
        pipelines.append(PipelineResult(
            pipeline=ps.name, style=ps.style,
            started=estimate(float(p.started) for p in pr),
            won=estimate(float(p.won) for p in pr),
            # The total of each replication, then its spread across them: a sum of the
            # reasons' means has no interval (the pipelines' table read «won 225 ±12,3»
            # beside «lost 9 284»).
            lost=estimate(float(sum(p.lost.values())) for p in pr),
            lost_by_reason={x: estimate(float(p.lost.get(x, 0)) for p in pr)
                            for x in lost_reasons},
            reopened_by_reason={x: estimate(float(p.reopened.get(x, 0)) for p in pr)
                                for x in reopen_reasons},
            # The window's wins include deals started before it: a run with more wins than
            # starts (a pipeline that wins every deal, arrivals falling after the warm-up)
            # read «Рекламации 101% ±1,6», «177% [171%–100%]»; of the deals it started,
            # a run wins at most all.
            conversion=estimate(min(p.won, p.started) / p.started if p.started else NAN
                                for p in pr),
            revenue_won=estimate(p.won_value for p in pr),
            passed_on_won=estimate(float(p.via_won) for p in pr),
            passed_on_revenue=estimate(p.via_value for p in pr),
            passed_on_to=sorted({x for p in pr for x in p.via_to},
                                key=[q.name for q in net.pipelines].index),
            cycle_time_won_hours=_durations(
                [p.cycle_won_mean for p in pr], [p.cycle_won_p50 for p in pr],
                [p.cycle_won_p90 for p in pr], [p.cycle_won_p99 for p in pr]),
            cycle_time_closed_hours_mean=estimate(p.cycle_closed_mean for p in pr),
            funnel_shape=funnel_shape(ps, net, reps)))

    for pipe in pipelines:
        if (warning := short_window_warning(pipe, config.warmup_days * 24.0)) is not None:
            warnings.append(warning)
    if not net.sources:
        warnings.append(SimWarning(code="no-sources", subject=net.path,
                                   message="the file has no `source`: no deal is ever created"))
    account = funnel.account
    open_deals: list[OpenDealsResult] = []
    warm = [r.warm for r in reps if r.warm is not None]
    if warm and len(warm) == len(reps):
        for i, spec in enumerate(net.stages):
            if warm[0].deals[i]:
                open_deals.append(OpenDealsResult(
                    pipeline=spec.pipeline_name, stage=spec.name, deals=warm[0].deals[i],
                    won=estimate(float(w.won[i]) for w in warm),
                    revenue_won=estimate(w.won_value[i] for w in warm),
                    lost=estimate(float(w.lost[i]) for w in warm),
                    open_at_horizon=estimate(float(w.open_final[i]) for w in warm)))
    return SimResult(
        run=RunInfo(file=net.path, scenario=scenario, seed=config.seed, reps=config.reps,
                    days=config.days, warmup_days=config.warmup_days,
                    start_date=config.start.isoformat(),
                    observed_hours=reps[0].observed_hours if reps else 0.0),
        account=AccountResult(
            currency=account.currency.value if account is not None and account.currency
            else None,
            revenue_won=estimate(r.revenue_won for r in reps),
            deals_created=estimate(float(r.deals_created) for r in reps),
            open_at_horizon=estimate(float(r.open_final) for r in reps)),
        stages=stages, teams=teams, pipelines=pipelines, warnings=warnings,
        open_deals=open_deals, money=money_result(funnel, net, reps))
