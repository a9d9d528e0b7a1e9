"""What the account's money is made of, read once from the model for every engine: the
cost of a member-hour per team (`team T size 3 cost 90k/month`), the cost per lead and
the budget per hour of each source (`cost 500`, `budget 300k/month`), and whether the file
names money at all. The simulator multiplies these by what a replication counted (leads,
observed hours, team sizes), analyze by the exact rates, the staffing search by a team
size: one reading, so the three cannot price a member or a lead differently.

A member is paid by the clock (a month is 730 h, as for rates), open or closed: a
salary does not stop at night. `period_money` turns exact rates (leads per hour, expected
wins that book revenue per lead, mean deal values) into `analyze`'s money for a period:
the same prices, and the same wins booked (`routing.sales_pipelines`), so analyze's
profit is what simulate's converges to. Pure Python, no imports
beyond the model and the catalogs' marker `N_`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .. import model as m
from ..i18n import N_
from ..routing import sales_pipelines
from .markov import HOURS_PER_MONTH

__all__ = ["CostRates", "cost_rates", "has_money", "prices_cost", "NO_COST_PRICED",
           "COST_UNKNOWN", "UNPRICED_SOURCES",
           "profit_rate", "MoneyFigures", "SourceFlow", "SourceMoneyExact", "TeamMoneyExact",
           "GaveUp", "ExactMoney", "period_money", "sources_per_month", "sum_figures",
           "revenue_assumption"]


@dataclass(frozen=True)
class CostRates:
    """The money rates of one file (missing entries cost nothing)."""

    member_per_hour: dict[str, float]
    """Team name → what one member costs per hour on the clock."""
    per_lead: dict[str, float]
    """Source name → what one lead costs."""
    budget_per_hour: dict[str, float]
    """Source name → its budget per hour on the clock, whatever it brings."""

    def team_per_hour(self, team: str, size: int) -> float:
        return size * self.member_per_hour.get(team, 0.0)

    def source_cost(self, source: str, leads: float, hours: float) -> float:
        """What a source costs for `leads` leads over `hours` hours."""
        return (leads * self.per_lead.get(source, 0.0)
                + hours * self.budget_per_hour.get(source, 0.0))

    def source_costs(self, source: str) -> bool:
        return source in self.per_lead or source in self.budget_per_hour

    @property
    def priced(self) -> bool:
        """Some cost is priced: a team `cost` or a source `cost` or `budget`, declared,
        even at 0 (every declared one has an entry). Without one the costs are unknown,
        not zero: outputs then show revenue and won deals only, because a cost of 0 would
        make profit read as the revenue. `prices_cost` asks it of a file."""
        return bool(self.member_per_hour or self.per_lead or self.budget_per_hour)


def cost_rates(funnel: m.FunnelFile) -> CostRates:
    return CostRates(
        member_per_hour={t.name.value: t.cost.per_hour for t in funnel.teams
                         if t.cost is not None},
        per_lead={s.name.value: s.cost.value for s in funnel.sources if s.cost is not None},
        budget_per_hour={s.name.value: s.budget.per_hour for s in funnel.sources
                         if s.budget is not None})


def has_money(funnel: m.FunnelFile) -> bool:
    """The file gives a deal value, a cost or a budget somewhere: money figures mean
    something (without any, every one of them would be zero)."""
    return prices_cost(funnel) or any(s.value is not None for s in funnel.sources)


NO_COST_PRICED = N_("no cost is priced (no team {cost}, no source {cost} or {budget}): "
                    "revenue and won deals only, no cost or profit")
"""The note every money output gives instead of cost and profit rows when `prices_cost`
is false: translated with the output's catalog, `{cost}` and `{budget}` filled with the
keywords as the output marks code (`` `cost` `` in a terminal, <code> on a page)."""


COST_UNKNOWN = N_("unknown")
"""The cost cell of a source the file gives no `cost` or `budget`, in an account that
prices other costs: its cost is not known to be 0."""

UNPRICED_SOURCES = N_("no {cost} or {budget} for {sources}: what their leads cost is "
                      "unknown, and the cost totals leave it out")
"""The note under a money table with such sources (`{sources}` quoted by the caller)."""


_REVENUE_AT_FINAL_WIN = N_(
    "revenue per month = Σ over sources of leads per month × the source's mean value × "
    "expected wins per lead along the copy chain: a `won` that hands the deal on with "
    "`then copy` counts when its copy is won (a sale counts when production wins it), "
    "copies made at lost or moving handoffs count when they are won (nurture), and the "
    "value does not change on the way (deals that give up waiting count as if they "
    "waited; the money table leaves them out)")
_REVENUE_AT_SALES = N_(
    "revenue per month = Σ over sources of leads per month × the source's mean value × "
    "expected sales per lead along the copy chain: every `won` in a `sales` pipeline is a "
    "sale, `then copy` or not (a sale handed to production counts at once, a repeat order "
    "copied back into sales counts again), a `won` in any other pipeline is no sale (a "
    "handoff to sales, or fulfilment after it), copies made at lost or moving handoffs "
    "count when they are sold (nurture), and the value does not change on the way (deals "
    "that give up waiting count as if they waited; the money table leaves them out)")


def revenue_assumption(funnel: m.FunnelFile) -> str:
    """The sentence (a msgid) saying how `analyze` forms revenue, by the rule the file
    falls under (`routing.sales_pipelines`)."""
    return _REVENUE_AT_FINAL_WIN if sales_pipelines(funnel) is None else _REVENUE_AT_SALES


def prices_cost(funnel: m.FunnelFile) -> bool:
    """The file prices a cost (`CostRates.priced`): a team `cost` or a source `cost` or
    `budget`, declared, even at 0."""
    return cost_rates(funnel).priced


def profit_rate(revenue_per_hour: float, other_costs_per_hour: float, member_per_hour: float,
                size: int) -> float:
    """Profit per hour of a team of `size`: what its work brings in, less every other
    cost, less its members' pay. The staffing search weighs sizes by it."""
    return revenue_per_hour - other_costs_per_hour - size * member_per_hour


# ----------------------------------------------------------------------- exact money


@dataclass(frozen=True)
class SourceFlow:
    """What the exact maths says of one source, as the money needs it."""

    source: str
    leads_per_hour: float
    value_mean: float | None
    """The source's mean deal value; None when it has no `value` (its wins bring 0)."""
    wins_per_lead: float
    """Expected wins that book revenue per lead (`markov.StageChain.wins_with_copies`:
    copies followed, deals that give up taken out)."""


@dataclass(frozen=True)
class MoneyFigures:
    """Revenue, costs and profit of one period (a month or a year), exact expectations."""

    revenue: float
    """Expected value of the wins that book revenue (`routing.sales_pipelines`)."""
    team_cost: float
    lead_cost: float
    """Per-lead costs and budgets of the sources."""
    cost: float
    profit: float
    won: float
    """Expected wins that book revenue: every win of a `sales` pipeline when the file
    declares one (a repeat order counts again), else the final wins (a deal counts once,
    at its last win)."""
    cost_per_won: float | None
    """cost / won; None when nothing is won."""


@dataclass(frozen=True)
class SourceMoneyExact:
    """One source over a month (730 h)."""

    source: str
    leads_per_month: float
    won_per_month: float
    revenue_per_month: float | None
    """None when the source has no `value`."""
    cost_per_month: float
    cost_per_won: float | None
    """None when the source costs nothing or wins nothing."""
    return_on_cost: float | None
    """(revenue − cost) / cost, as simulate's; None when the source costs nothing."""
    priced: bool = True
    """The file gives the source a `cost` or `budget` (even 0). False: what its leads
    cost is unknown, and `cost_per_month` is 0 only because nothing is known; outputs say
    it is unknown (`COST_UNKNOWN`, `UNPRICED_SOURCES`), never 0."""


@dataclass(frozen=True)
class TeamMoneyExact:
    team: str
    size: int
    member_cost_per_month: float
    cost_per_month: float


@dataclass(frozen=True)
class GaveUp:
    """A stage with `patience`: the share of its deals that give up waiting, as the money
    counts it (flows feeding it are those left after earlier stages' give-ups)."""

    stage: str
    """"Pipeline.Stage"."""
    share: float | None
    """None when no closed form gives it (then revenue counts them as if they waited)."""
    per_month: float | None
    reason: str | None = None
    """Why there is no closed form."""


@dataclass(frozen=True)
class ExactMoney:
    """`analyze`'s money: exact expectations at the sources' rates, per month (730 h) and
    per year."""

    currency: str | None
    language: str | None
    per_month: MoneyFigures
    per_year: MoneyFigures
    year_basis: str
    """How the year was formed: 12 × the month, or the twelve months of the profiles."""
    sources: list[SourceMoneyExact]
    """Per source, per month."""
    teams: list[TeamMoneyExact]
    """Teams with a member cost."""
    gave_up: list[GaveUp]
    revenue_is_bound: bool
    """True when revenue (and won deals, profit) is an upper bound: a stage's give-ups have
    no closed form, an SLA ends deals as lost before their outcome, or a team cannot keep
    up (`PipelineExact.upper_bound`)."""
    notes: list[str]
    costs_priced: bool
    """The file prices a cost (`prices_cost`); when False every cost here is 0 because
    none is known, so renderers show revenue and won deals only, never cost or profit."""


def _figures(revenue: float, team_cost: float, lead_cost: float, won: float) -> MoneyFigures:
    cost = team_cost + lead_cost
    return MoneyFigures(revenue, team_cost, lead_cost, cost, revenue - cost, won,
                        cost / won if won > 0 else None)


def sum_figures(parts: Iterable[MoneyFigures]) -> MoneyFigures:
    """Periods added up (the twelve months of a seasonal year): sums, and the cost per
    won deal of the sums, not a mean of ratios."""
    items = list(parts)
    return _figures(math.fsum(x.revenue for x in items), math.fsum(x.team_cost for x in items),
                    math.fsum(x.lead_cost for x in items), math.fsum(x.won for x in items))


def _source_money(rates: CostRates, f: SourceFlow, hours: float) -> SourceMoneyExact:
    leads = f.leads_per_hour * hours
    won = leads * f.wins_per_lead
    revenue = won * f.value_mean if f.value_mean is not None else None
    cost = rates.source_cost(f.source, leads, hours)
    priced = rates.source_costs(f.source)
    return SourceMoneyExact(f.source, leads, won, revenue, cost,
                            cost / won if priced and won > 0 else None,
                            ((revenue or 0.0) - cost) / cost if priced and cost > 0 else None,
                            priced)


def period_money(rates: CostRates, teams: Sequence[tuple[str, int]],
                 flows: Sequence[SourceFlow], hours: float) -> MoneyFigures:
    """The expected money of `hours` hours at steady rates: revenue = Σ leads × wins per
    lead × mean value; team cost = Σ members × hourly cost × hours (paid by the clock);
    lead cost = Σ leads × cost per lead + budget × hours."""
    sources = [_source_money(rates, f, hours) for f in flows]
    team_cost = math.fsum(rates.team_per_hour(name, size) for name, size in teams) * hours
    return _figures(math.fsum(s.revenue_per_month or 0.0 for s in sources), team_cost,
                    math.fsum(s.cost_per_month for s in sources),
                    math.fsum(s.won_per_month for s in sources))


def sources_per_month(rates: CostRates, flows: Sequence[SourceFlow]) -> list[SourceMoneyExact]:
    """Each source's leads, wins, revenue and cost over a month (730 h)."""
    return [_source_money(rates, f, HOURS_PER_MONTH) for f in flows]
