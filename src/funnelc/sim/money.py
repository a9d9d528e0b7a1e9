"""Replications → `MoneyResult`: each replication's revenue, costs and profit from what it
counted (final wins and their value per source, leads per source, observed hours) and the
prices `analysis.money` reads from the file; every figure is formed per replication and
only then estimated across them, so profit's interval is that of the difference, not
two intervals put side by side."""

from __future__ import annotations

import math
from typing import NamedTuple

from .. import model as m
from ..analysis.markov import HOURS_PER_MONTH
from ..analysis.money import CostRates, cost_rates, has_money, prices_cost
from .ci import estimate
from .compile import Network
from .results import MoneyResult, SourceMoney, TeamMoney
from .stats import NAN, RepStats

__all__ = ["money_result", "RepMoney", "rep_money"]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else NAN


class RepMoney(NamedTuple):
    """One replication's money over its observed window."""

    revenue: float
    team_cost: float
    lead_cost: float
    cost: float
    profit: float
    won: float
    cost_per_won: float
    """NaN when the replication won nothing."""


def rep_money(rates: CostRates, net: Network, rep: RepStats) -> RepMoney:
    """The money of one replication, as `money_result` forms it: what-if comparisons
    pair these replication by replication, so their baseline is simulate's figure."""
    hours = rep.observed_hours
    team = math.fsum(rates.team_per_hour(t.name, t.size) for t in net.teams) * hours
    leads = math.fsum(rates.source_cost(s.name, float(r.leads), hours)
                      for s, r in zip(net.sources, rep.sources))
    cost = team + leads
    won = float(sum(x.won for x in rep.sources))
    return RepMoney(rep.revenue_won, team, leads, cost, rep.revenue_won - cost, won,
                    _ratio(cost, won))


def money_result(funnel: m.FunnelFile, net: Network, reps: list[RepStats]
                 ) -> MoneyResult | None:
    """None when the file names no money or the replications carry no source counts."""
    if not has_money(funnel) or not reps or any(len(r.sources) != len(net.sources) + 1
                                                 for r in reps):
        return None
    rates = cost_rates(funnel)
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
            revenue=estimate(x.won_value for x in rows), cost=estimate(costs), priced=priced,
            cost_per_won=estimate(_ratio(c, x.won) for c, x in zip(costs, rows))
            if priced else None,
            return_on_cost=estimate(_ratio(x.won_value - c, c) for c, x in zip(costs, rows))
            if priced else None))
    per_rep = [rep_money(rates, net, r) for r in reps]
    account = funnel.account
    hours = reps[0].observed_hours
    return MoneyResult(
        currency=account.currency.value if account is not None and account.currency else None,
        language=account.language if account is not None else None,
        costs_priced=prices_cost(funnel),
        revenue=estimate(x.revenue for x in per_rep),
        team_cost=estimate(x.team_cost for x in per_rep),
        lead_cost=estimate(x.lead_cost for x in per_rep),
        cost=estimate(x.cost for x in per_rep), profit=estimate(x.profit for x in per_rep),
        won=estimate(x.won for x in per_rep),
        cost_per_won=estimate(x.cost_per_won for x in per_rep),
        sources=sources,
        teams=[TeamMoney(team=t.name, size=t.size,
                         member_cost_per_month=rates.member_per_hour[t.name] * HOURS_PER_MONTH,
                         cost=rates.team_per_hour(t.name, t.size) * hours)
               for t in net.teams if t.name in rates.member_per_hour])
