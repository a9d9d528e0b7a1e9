"""Replications → `MoneyResult`: each replication's revenue, costs and profit from what it
counted (final wins and their value per source, leads per source, observed hours) and the
prices `analysis.money` reads from the file; every figure is formed per replication and
only then estimated across them, so profit's interval is that of the difference, not
two intervals put side by side."""

from __future__ import annotations

import math

from .. import model as m
from ..analysis.markov import HOURS_PER_MONTH
from ..analysis.money import cost_rates, has_money
from .ci import estimate
from .compile import Network
from .results import MoneyResult, SourceMoney, TeamMoney
from .stats import NAN, RepStats

__all__ = ["money_result"]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else NAN


def money_result(funnel: m.FunnelFile, net: Network, reps: list[RepStats]
                 ) -> MoneyResult | None:
    """None when the file names no money or the replications carry no source counts."""
    if not has_money(funnel) or not reps or any(len(r.sources) != len(net.sources) + 1
                                                 for r in reps):
        return None
    rates = cost_rates(funnel)
    team_hourly = math.fsum(rates.team_per_hour(t.name, t.size) for t in net.teams)
    sources: list[SourceMoney] = []
    src_cost = [[rates.source_cost(s.name, float(r.sources[i].leads), r.observed_hours)
                 for r in reps] for i, s in enumerate(net.sources)]
    for i, s in enumerate(net.sources):
        rows = [r.sources[i] for r in reps]
        costs = src_cost[i]
        priced = rates.source_costs(s.name)
        sources.append(SourceMoney(
            source=s.name, leads=estimate(float(x.leads) for x in rows),
            won=estimate(float(x.won) for x in rows),
            revenue=estimate(x.won_value for x in rows), cost=estimate(costs),
            cost_per_won=estimate(_ratio(c, x.won) for c, x in zip(costs, rows))
            if priced else None,
            return_on_cost=estimate(_ratio(x.won_value - c, c) for c, x in zip(costs, rows))
            if priced else None))
    team_cost = [team_hourly * r.observed_hours for r in reps]
    lead_cost = [math.fsum(src_cost[i][k] for i in range(len(net.sources)))
                 for k in range(len(reps))]
    cost = [a + b for a, b in zip(team_cost, lead_cost)]
    won = [float(sum(x.won for x in r.sources)) for r in reps]
    account = funnel.account
    hours = reps[0].observed_hours
    return MoneyResult(
        currency=account.currency.value if account is not None and account.currency else None,
        language=account.language if account is not None else None,
        revenue=estimate(r.revenue_won for r in reps),
        team_cost=estimate(team_cost), lead_cost=estimate(lead_cost), cost=estimate(cost),
        profit=estimate(r.revenue_won - c for r, c in zip(reps, cost)),
        won=estimate(won), cost_per_won=estimate(_ratio(c, w) for c, w in zip(cost, won)),
        sources=sources,
        teams=[TeamMoney(team=t.name, size=t.size,
                         member_cost_per_month=rates.member_per_hour[t.name] * HOURS_PER_MONTH,
                         cost=rates.team_per_hour(t.name, t.size) * hours)
               for t in net.teams if t.name in rates.member_per_hour])
