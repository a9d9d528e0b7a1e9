"""Staffing by profit (`funnelc staff --objective profit`): the team size with the highest
expected profit, the sizes within the noise of it (the flat region), started from the
exact optimum where a closed form gives the profit of every size and confirmed by
simulation on common random numbers.

Profit at a size is revenue (booked where `simulate` books it: at every win of a `sales`
pipeline when the account declares one, else at a deal's final win;
`routing.sales_pipelines`) less every cost of the file (`analysis.money`: members by the
clock, leads, budgets), per replication, as `simulate` counts it. A size is compared with
the best by the *paired* difference over the same replication indices (common random
numbers), so the noise both share cancels; a size is in the flat region while the 95 %
interval of that difference reaches 0. Service targets (`--target`) are constraints: only
sizes meeting them (by the mean, as `staff` decides) can be the answer, and larger teams are
assumed never to do worse on them (monotone).

The exact profit (`exact_profit`) applies where `analyze`'s maths describe the whole
revenue: the team works one stage, every source feeds that stage and nothing else does,
exponential work around the clock, and either no `patience` (M/M/c: revenue is the
same at every stable size) or an exponential one that loses the deal (Erlang A: the
revenue of the deals that give up is lost). Elsewhere the search starts from the
smallest stable size and says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .. import model as m
from ..analysis.markov import HOURS_PER_MONTH
from ..analysis.money import CostRates, cost_rates, profit_rate
from ..sim.ci import estimate
from ..sim.compile import Network
from ..sim.config import SimConfig
from ..sim.results import Estimate
from ..sim.stats import RepStats
from .executors import Runner
from .staffing import ConfidenceWhy, SizeRuns, StaffingResult
from .targets import Target

if TYPE_CHECKING:
    from .service import StaffResult

__all__ = ["ExactProfit", "ExactProfitWhy", "ProfitPoint", "ProfitStaffing", "ProfitStaffResult", "exact_profit",
           "search_profit", "rep_profit", "size_team_for_profit"]


@dataclass(frozen=True)
class ExactProfit:
    """Expected profit per month by size from the closed form, and its optimum."""

    model: str
    """"Erlang A (M/M/c+M)" or "M/M/c"."""
    optimum: int
    per_month: dict[int, float]
    """Size → expected profit per month (unstable sizes left out)."""
    why: ExactProfitWhy


ExactWhyKind = Literal["found", "several-stages", "calendar", "not-exponential", "sla",
                       "patience", "elsewhere", "unstable"]


@dataclass(frozen=True)
class ExactProfitWhy:
    """Why there is a closed-form profit optimum or not (data; `staff_why` says it):
    found (`model` with rates `lam`, `mu`, `theta` per hour gives `best`), or the reason
    none describes the team (`limit`: no size up to it is stable)."""

    kind: ExactWhyKind
    model: str | None = None
    lam: float | None = None
    mu: float | None = None
    theta: float | None = None
    best: int | None = None
    limit: int | None = None


@dataclass
class ProfitPoint:
    size: int
    replications: int
    profit: Estimate
    """Profit per month (730 h), simulated."""
    revenue: Estimate
    cost: Estimate
    versus_best: Estimate | None
    """Paired difference from the best size, per month (None at the best itself)."""
    feasible: bool
    """Meets every `--target` (by the mean); True without targets."""
    exact: float | None


@dataclass
class ProfitStaffing:
    team: str
    targets: list[Target]
    best: int | None
    """None when no size up to the limit meets the targets."""
    flat: tuple[int, int] | None
    """Smallest and largest size whose profit is within the noise of the best."""
    points: list[ProfitPoint]
    exact: ExactProfit | None
    exact_why: ExactProfitWhy
    start: int
    replications: int
    limit: int
    confidence: str
    confidence_why: ConfidenceWhy
    currency: str | None
    language: str | None
    staffing: StaffingResult
    """The same search as the targets' one sees it (sizes, replications, targets met),
    for the shared JSON and CSV."""
    notes: list[Literal["no-cost"]] = field(default_factory=list)
    """no-cost: the team has no `cost`, so a member looks free."""


def rep_profit(rates: CostRates, net: Network, rep: RepStats) -> tuple[float, float, float]:
    """(revenue, cost, profit) of one replication per month, as `simulate` counts them."""
    hours = rep.observed_hours
    team = math.fsum(rates.team_per_hour(t.name, t.size) for t in net.teams) * hours
    leads = math.fsum(rates.source_cost(s.name, float(r.leads), hours)
                      for s, r in zip(net.sources, rep.sources))
    scale = HOURS_PER_MONTH / hours if hours > 0 else math.nan
    cost = (team + leads) * scale
    revenue = rep.revenue_won * scale
    return revenue, cost, revenue - cost


def exact_profit(model: m.FunnelFile, team: str, limit: int
                 ) -> tuple[ExactProfit | None, ExactProfitWhy]:
    """The exact expected profit of every size 1 … limit where a closed form describes the
    team's whole effect on revenue, else (None, why not)."""
    from ..analysis import queueing as q
    from ..analysis.exact import analyze_account

    acct = analyze_account(model)
    tx = acct.team(team)
    node = model.team(team)
    if node is None or len(tx.stages) != 1:
        return None, ExactProfitWhy("several-stages")
    if node.hours is not None or (model.account is not None and model.account.hours is not None):
        return None, ExactProfitWhy("calendar")
    pname, sname = tx.stages[0].split(".", 1)
    pipe = model.pipeline(pname)
    stage = next((s for s in pipe.stages if s.name.value == sname), None) if pipe else None
    if stage is None or stage.work is None or stage.work.kind != "exp" or stage.cadence:
        return None, ExactProfitWhy("not-exponential")
    if stage.sla is not None:
        return None, ExactProfitWhy("sla")
    patience = stage.patience
    if patience is not None and (patience.dist.kind != "exp" or patience.copy_to is not None
                                 or not isinstance(patience.target, m.LostTarget)):
        return None, ExactProfitWhy("patience")
    lam = acct.stage(pname, sname).arrivals_per_hour
    fed = math.fsum(s.leads_per_month for s in acct.sources
                    if s.entry == f"{pname}.{sname}") / HOURS_PER_MONTH
    if not (lam > 0 and math.isfinite(lam)) or abs(fed - lam) > 1e-9 * lam \
            or len(acct.sources) != sum(s.entry == f"{pname}.{sname}" for s in acct.sources):
        return None, ExactProfitWhy("elsewhere")
    rates = cost_rates(model)
    revenue = (acct.revenue_per_month or 0.0) / HOURS_PER_MONTH
    others = math.fsum(rates.team_per_hour(t.name.value, t.size) for t in model.teams
                       if t.name.value != team)
    others += math.fsum(s.leads_per_month / HOURS_PER_MONTH * rates.per_lead.get(s.source, 0.0)
                        + rates.budget_per_hour.get(s.source, 0.0) for s in acct.sources)
    member = rates.member_per_hour.get(team, 0.0)
    mu = 1.0 / stage.work.mean
    curve: dict[int, float] = {}
    for c in range(1, limit + 1):
        if patience is None:
            if c * mu <= lam:
                continue
            kept = 1.0
        else:
            kept = 1.0 - q.erlang_a(c, lam, mu, 1.0 / patience.dist.mean).p_abandon
        curve[c] = profit_rate(revenue * kept, others, member, c) * HOURS_PER_MONTH
    if not curve:
        return None, ExactProfitWhy("unstable", limit=limit)
    best = max(curve, key=lambda c: (curve[c], -c))
    label = "Erlang A (M/M/c+M)" if patience is not None else "M/M/c"
    why = ExactProfitWhy("found", label, lam, mu,
                         1.0 / patience.dist.mean if patience is not None else None, best)
    return ExactProfit(label, best, curve, why), why


class _Profits:
    """Per size, the per-replication profit (per month), grown with the size's runs."""

    def __init__(self, sz: SizeRuns, rates: CostRates) -> None:
        self.sz, self.rates = sz, rates

    def rows(self, c: int) -> list[tuple[float, float, float]]:
        ev = self.sz.evals[c]
        net = self.sz.nets[c]
        return [rep_profit(self.rates, net, r) for r in ev.reps]

    def profit(self, c: int) -> list[float]:
        return [p for _, _, p in self.rows(c)]

    def diff(self, c: int, best: int) -> Estimate:
        a, b = self.profit(c), self.profit(best)
        n = min(len(a), len(b))
        return estimate(x - y for x, y in zip(a[:n], b[:n]))


def _worse(d: Estimate) -> bool:
    """The paired difference from the best is below 0 with 95 % confidence."""
    return d.mean is not None and d.ci95 is not None and d.mean + d.ci95 < 0


def search_profit(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
                  runner: Runner, limit: int = 50, max_reps: int | None = None,
                  start_size: int | None = None) -> ProfitStaffing:
    """The most profitable size of `team` in 1 … limit meeting every target.

    From the start (the exact optimum where one applies, else the smallest stable size)
    it climbs to the neighbour with the higher mean profit among the sizes meeting the
    targets, then widens the flat region on both sides until a size is worse than the
    best with 95 % confidence; the sizes still in contention get more replications
    together (so they stay paired) until that is decided or they reach `max_reps`.
    """
    sz = SizeRuns(model, team, targets, runner)
    rates = cost_rates(model)
    profits = _Profits(sz, rates)
    exact, exact_why = exact_profit(model, team, limit)
    reps0 = config.reps
    cap = max(reps0, max_reps if max_reps is not None else max(40, 4 * reps0))
    first = start_size if start_size is not None else (
        exact.optimum if exact is not None else sz.start.start)
    first = min(max(first, 1), limit)
    runner.plan(8 * reps0)

    def run(sizes: list[int], reps: int) -> None:
        sz.ensure([c for c in sizes if 1 <= c <= limit], reps)

    def mean(c: int) -> float:
        e = estimate(profits.profit(c))
        return e.mean if e.mean is not None else -math.inf

    def ok(c: int) -> bool:
        return sz.evals[c].meets_all

    # Up to the smallest size meeting the targets (monotone: every larger one does too).
    c = first
    run([c], reps0)
    while not ok(c) and c < limit:
        c += 1
        run([c], reps0)
    best: int | None = c if ok(c) else None
    flat: tuple[int, int] | None = None
    while best is not None:  # climb to the neighbour with the higher mean
        run([best - 1, best + 1], reps0)
        up = [x for x in (best - 1, best + 1) if 1 <= x <= limit and ok(x)]
        nxt = max(up, key=mean, default=best)
        if mean(nxt) <= mean(best):
            break
        best = nxt
    while best is not None:  # the flat region, settled by more paired replications
        n = len(sz.evals[best].reps)
        lo = best
        while lo - 1 >= 1:
            run([lo - 1], n)
            if not ok(lo - 1) or _worse(profits.diff(lo - 1, best)):
                break
            lo -= 1
        hi = best
        while hi + 1 <= limit:
            run([hi + 1], n)
            if _worse(profits.diff(hi + 1, best)):
                break
            hi += 1
        flat = (lo, hi)
        top = max((x for x in range(lo, hi + 1) if ok(x)), key=mean, default=best)
        if top != best:
            best = top
            continue
        if lo == hi or n >= cap:
            break
        run(list(range(max(lo - 1, 1), min(hi + 1, limit) + 1)), min(cap, 2 * n))
    points = []
    for c in sorted(sz.evals):
        rows = profits.rows(c)
        points.append(ProfitPoint(
            size=c, replications=len(rows),
            profit=estimate(p for _, _, p in rows), revenue=estimate(r for r, _, _ in rows),
            cost=estimate(k for _, k, _ in rows),
            versus_best=None if best is None or c == best else profits.diff(c, best),
            feasible=ok(c), exact=exact.per_month.get(c) if exact is not None else None))
    conf, text = _confidence(best, flat, sz, cap, limit, targets)
    account = model.account
    staffing = StaffingResult(
        team, targets, best, None, limit, sz.start, sz.evals, [sz.evals[c] for c in sorted(sz.evals)],
        sz.counted, sorted(sz.searched), first, "--from-size" if start_size is not None else "",
        conf, text, exact.model if exact is not None else sz.start.model, [], cap)
    notes: list[Literal["no-cost"]] = []
    if not any(t.cost is not None for t in model.teams if t.name.value == team):
        notes.append("no-cost")
    return ProfitStaffing(team, targets, best, flat, points, exact, exact_why, first,
                          sz.counted, limit, conf, text,
                          account.currency.value if account and account.currency else None,
                          account.language if account else None, staffing, notes)


def _confidence(best: int | None, flat: tuple[int, int] | None, sz: SizeRuns, cap: int,
                limit: int, targets: list[Target]) -> tuple[str, ConfidenceWhy]:
    if best is None:
        return "low", ConfidenceWhy("none-meets", None, limit)
    n = len(sz.evals[best].reps)
    below = sz.evals.get(best - 1)
    bound = targets and below is not None and not below.meets_all
    if flat is None or flat == (best, best):
        return "high", ConfidenceWhy("profit-bound" if bound else "profit-sure", best, limit, n)
    return "moderate", ConfidenceWhy("profit-flat", best, limit, n, flat=flat,
                                     capped=n >= cap)


@dataclass(frozen=True)
class ProfitStaffResult:
    """`staff --objective profit`: the profit search, and the same search in the shape
    the targets' outputs (JSON, CSV) read."""

    profit: ProfitStaffing
    outcome: StaffResult


def size_team_for_profit(model: m.FunnelFile, team: str, targets: list[Target],
                         config: SimConfig, runner: Runner, path: str, limit: int,
                         max_reps: int | None, start_size: int | None) -> ProfitStaffResult:
    """The most profitable size of `team` meeting every target (`search_profit`); `model`
    must carry the targets' respond limits (`staffing.with_respond_limits`)."""
    from .service import RunRecord, StaffResult

    found = search_profit(model, team, targets, config, runner, limit, max_reps, start_size)
    return ProfitStaffResult(found, StaffResult(found.staffing, RunRecord.of(path, config),
                                                runner.describe(), None,
                                                runner.place(), found.language))
