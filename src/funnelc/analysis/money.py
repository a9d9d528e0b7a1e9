"""What the account's money is made of, read once from the model for every engine: the
cost of a member-hour per team (`team T size 3 cost 90k/month`), the cost per lead and
the budget per hour of each source (`cost 500`, `budget 300k/month`), and whether the file
names money at all. The simulator multiplies these by what a replication counted (leads,
observed hours, team sizes), analyze by the exact rates, the staffing search by a team
size: one reading, so the three cannot price a member or a lead differently.

A member is paid by the clock (a month is 730 h, as for rates), open or closed: a
salary does not stop at night. Pure Python, no imports beyond the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import model as m

__all__ = ["CostRates", "cost_rates", "has_money", "profit_rate"]


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
    return (any(t.cost is not None for t in funnel.teams)
            or any(s.value is not None or s.cost is not None or s.budget is not None
                   for s in funnel.sources))


def profit_rate(revenue_per_hour: float, other_costs_per_hour: float, member_per_hour: float,
                size: int) -> float:
    """Profit per hour of a team of `size`: what its work brings in, less every other
    cost, less its members' pay. The staffing search weighs sizes by it."""
    return revenue_per_hour - other_costs_per_hour - size * member_per_hour
