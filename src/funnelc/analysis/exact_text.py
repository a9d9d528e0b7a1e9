"""The exact figures as the words and table cells that `funnelc analyze` prints in the
terminal and the report writes in HTML. One place, so the two cannot come to disagree
about what a stage's row or a pipeline's remarks say; each caller passes its own
percentage format (analyze prints `35.0%`, the report `35%`) and does its own escaping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..numfmt import DASH, hours, money_in, num
from .exact import PipelineExact, QueueExact, StageExact
from .money import ExactMoney, MoneyFigures

__all__ = ["Legend", "stage_notes", "mean_time", "stage_cells", "pipeline_remarks",
           "MONEY_HEADERS", "SOURCE_MONEY_HEADERS", "money_rows", "source_money_rows",
           "money_remarks", "signed_return"]

Percent = Callable[[float | None], str]


class Legend:
    """Notes numbered in order of first use: each distinct note is printed once under the
    table and a row refers to it by number, so a calendar account does not repeat the
    same reason on every row (and a 2 000-stage account renders in reasonable time)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._number: dict[str, int] = {}

    def refs(self, notes: Iterable[str]) -> str:
        """`1, 3`: the numbers of `notes`, numbering the new ones."""
        out = []
        for note in notes:
            if note not in self._number:
                self.notes.append(note)
                self._number[note] = len(self.notes)
            out.append(str(self._number[note]))
        return ", ".join(out)


def stage_notes(s: StageExact, queue_suffix: str = "") -> list[str]:
    """The stage's notes, led by why its queue has no closed form or else which closed
    form it has (`M/M/c` and `queue_suffix`: the report spells out that it applies)."""
    notes = list(s.notes)
    if s.owner is not None and s.work_mean_hours > 0 and not s.queueing.applies \
            and s.queueing.reason:
        notes.insert(0, s.queueing.reason)
    elif s.queue is not None:
        notes.insert(0, s.queue.model + queue_suffix)
        if s.queue.abandon_share is not None:
            notes.insert(1, f"{s.queue.abandon_share:.1%} give up waiting (patience); "
                            f"{s.queue.method}")
    return notes


def mean_time(s: StageExact | None) -> str:
    """The exact mean time in stage, `≥` a lower bound when the queue wait is not known
    in closed form."""
    if s is None:
        return DASH
    if s.mean_time_hours is not None:
        return hours(s.mean_time_hours)
    if s.mean_time_lower_hours is not None:
        return "≥" + hours(s.mean_time_lower_hours)
    return DASH


def stage_cells(s: StageExact, pct: Percent) -> list[str]:
    """stage, visits/lead, λ/day, P(win), mean time, load, wait, respond breach, timeout,
    sla cut, occupancy: the row of the exact table without its note references."""
    load = DASH
    if s.team_load is not None:
        load = num(s.team_load, 2) + (" !" if s.team_load >= 1 else "")
    queue = s.queue
    occupancy = num(s.occupancy_mean)
    if s.stuck_per_hour > 0:
        occupancy = (occupancy if s.occupancy_mean is not None else "∞") + \
            f" (+{num(s.stuck_per_hour * 24)}/day stuck)"
    return [
        s.stage + (" (key)" if s.key else ""), num(s.visits_per_lead, 4),
        num(s.arrivals_per_hour * 24), pct(s.p_win), mean_time(s), load,
        hours(queue.wait_served_mean_hours) if queue else DASH,
        pct(queue.respond_breach) if queue and queue.respond_breach is not None else DASH,
        _unserved(queue, pct),
        ("≥" if s.sla_cut_is_bound else "") + pct(s.sla_cut) if s.sla_cut is not None else DASH,
        occupancy,
    ]


def _unserved(queue: QueueExact | None, pct: Percent) -> str:
    """The timeout cell: deals the SLA takes from the queue and, after `+`, those whose
    patience runs out first (`gave up`)."""
    if queue is None:
        return DASH
    parts = []
    if queue.timeout_share is not None:
        parts.append(pct(queue.timeout_share))
    if queue.abandon_share is not None:
        parts.append(f"{pct(queue.abandon_share)} gave up")
    return " + ".join(parts) or DASH


def pipeline_remarks(p: PipelineExact, pct: Percent) -> list[str]:
    """What a pipeline's table cannot show: an assumed entry, the top three losses, and
    leads stuck for good or circling a loop."""
    extra = []
    if p.entry_assumed:
        extra.append("nothing feeds this pipeline: figures are per lead entering its first "
                     "stage")
    if p.p_lost:
        top = sorted(p.p_lost.items(), key=lambda kv: -kv[1])[:3]
        extra.append("lost: " + ", ".join(f"{r} {pct(v)}" for r, v in top))
    if p.p_stuck > 0:
        extra.append(f"stuck for good: {pct(p.p_stuck)} of leads")
    if p.p_loop > 0:
        extra.append(f"circling a loop with no way out: {pct(p.p_loop)} of leads")
    return extra


MONEY_HEADERS = ("", "per month", "per year")
SOURCE_MONEY_HEADERS = ("source", "leads/month", "won/month", "revenue/month", "cost/month",
                        "cost per won", "return on cost")


def signed_return(x: float | None) -> str:
    """Return on cost as a signed percentage (`+311%`), as simulate writes it."""
    if x is None:
        return DASH
    return ("+" if x > 0 else "") + f"{x * 100:.3g}%"


def money_rows(money: ExactMoney) -> list[list[str]]:
    """revenue, team cost, lead cost, total cost, profit, won deals, cost per won deal:
    each per month and per year, money as the account writes it (`1.38 млрд ₽`)."""
    cur, lang = money.currency, money.language

    def cash(x: float | None) -> str:
        return money_in(x, cur, lang)

    bound = "≤" if money.revenue_is_bound else ""

    def row(label: str, get: Callable[[MoneyFigures], float | None], fmt: Callable[
            [float | None], str] = cash, prefix: str = "") -> list[str]:
        return [label, prefix + fmt(get(money.per_month)), prefix + fmt(get(money.per_year))]

    return [row("revenue", lambda f: f.revenue, prefix=bound),
            row("team cost", lambda f: f.team_cost),
            row("lead cost", lambda f: f.lead_cost),
            row("total cost", lambda f: f.cost),
            row("profit", lambda f: f.profit, prefix=bound),
            row("won deals", lambda f: f.won, num, bound),
            row("cost per won deal", lambda f: f.cost_per_won)]


def source_money_rows(money: ExactMoney) -> list[list[str]]:
    """Per source and month: leads, wins, revenue, cost, cost per won, return on cost;
    then a row per paid team (its members × their monthly cost)."""
    cur, lang = money.currency, money.language
    rows = [[f"source {s.source}", num(s.leads_per_month), num(s.won_per_month),
             money_in(s.revenue_per_month, cur, lang) if s.revenue_per_month is not None
             else DASH, money_in(s.cost_per_month, cur, lang),
             money_in(s.cost_per_won, cur, lang),
             signed_return(s.return_on_cost)] for s in money.sources]
    rows += [[f"team {t.team}: {t.size} × {money_in(t.member_cost_per_month, cur, lang)}",
              "", "", "", money_in(t.cost_per_month, cur, lang), "", ""] for t in money.teams]
    return rows


def money_remarks(money: ExactMoney, pct: Percent) -> list[str]:
    """Who gives up waiting (and so brings nothing), how the year is formed, and what the
    money does not cover."""
    out = []
    for g in money.gave_up:
        if g.share is not None:
            out.append(f"gave up waiting at {g.stage}: {pct(g.share)} of its deals "
                       f"({num(g.per_month)}/month), taken out of the wins and revenue")
    out.append(f"per year: {money.year_basis}")
    out += money.notes
    return out
