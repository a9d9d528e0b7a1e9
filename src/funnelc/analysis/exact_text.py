"""The exact figures as the words and table cells that `funnelc analyze` prints in the
terminal and the report writes in HTML. One place, so the two cannot come to disagree
about what a stage's row or a pipeline's remarks say; each caller passes its
percentage format (both write three significant digits, `2.78%`: analyze printed `2.8%`
beside the page's `2.78%`) and does its own escaping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..i18n import N_
from ..i18n.note import Note, say
from ..numfmt import DASH, hours, money_in, num
from .exact import (
    SLA_UNKNOWN_PATIENCE,
    SLA_UNKNOWN_SUM,
    SLA_UNKNOWN_WAIT,
    PipelineExact,
    QueueExact,
    StageExact,
    TeamExact,
)
from .money import COST_UNKNOWN, NO_COST_PRICED, UNPRICED_SOURCES, ExactMoney, MoneyFigures

__all__ = ["Legend", "LOAD_MARK", "team_load", "load_mark", "stage_notes", "mean_time",
           "stage_cells", "pipeline_remarks", "lower_bound", "sla_share", "sla_unknown_note", "busy_members",
           "unreachable_revenue",
           "MONEY_HEADERS", "SOURCE_MONEY_HEADERS", "money_rows", "source_money_rows",
           "source_money_headers",
           "money_remarks", "signed_return", "headers"]

if TYPE_CHECKING:
    from ..i18n.figures import Figures

Percent = Callable[[float | None], str]


def _(f: Figures | None, message: str) -> str:
    """`message` in the language of `f` (the report's page); as written for analyze,
    which passes no `f` and so never loads a catalog."""
    return message if f is None else f.tr.gettext(message)


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
            notes.insert(1, Note(N_("{share_pct} give up waiting (patience); {method}"),
                                 share_pct=s.queue.abandon_share, method=(s.queue.method,)))
    return notes


def mean_time(s: StageExact | None, f: Figures | None = None) -> str:
    """The exact mean time in stage, `≥` a lower bound when the queue wait is not known
    in closed form."""
    show = hours if f is None else f.hours
    if s is None:
        return DASH
    if s.mean_time_hours is not None:
        return show(s.mean_time_hours)
    if s.mean_time_lower_hours is not None:
        return "≥" + show(s.mean_time_lower_hours)
    return DASH


def stage_cells(s: StageExact, pct: Percent, f: Figures | None = None) -> list[str]:
    """stage, visits/lead, λ/day, P(win), mean time, load, wait, respond breach, timeout,
    sla cut (the share the SLA ends, `stay` included), occupancy: the row of the exact
    table without its note references (in the language of `f` when given)."""
    count = num if f is None else f.num
    load = DASH
    if s.team_load is not None:  # a share of the working time, as the teams' tables write it
        load = team_load(s.team_load, pct, s.team_capacity)
    queue = s.queue
    occupancy = count(s.occupancy_mean)
    if s.stuck_per_hour > 0:
        occupancy = (occupancy if s.occupancy_mean is not None else "∞") + " " + _(
            f, N_("(+{n}/day stuck)")).format(n=count(s.stuck_per_hour * 24))
    return [
        _(f, N_("{stage} (key)")).format(stage=s.stage) if s.key else s.stage,
        count(s.visits_per_lead, 4), count(s.arrivals_per_hour * 24), pct(s.p_win),
        mean_time(s, f), load,
        (hours if f is None else f.hours)(queue.wait_served_mean_hours) if queue else DASH,
        pct(queue.respond_breach) if queue and queue.respond_breach is not None else DASH,
        _unserved(queue, pct, f),
        sla_share(s.sla_ends, s.sla_cut_is_bound, pct),
        occupancy,
    ]


LOAD_MARK = N_("! — load ≥ 100%: more work comes to the team than it can do, so its queue "
               "grows without bound wherever no SLA or patience takes the waiting deals away")
"""What the `!` after a load means, said under every table that shows one (it was
explained nowhere)."""


def over(load: float | None, capacity: float | None = None) -> bool:
    """The team cannot keep up: its load at or past its capacity (`TeamExact.capacity`,
    ≥ 100%: the work it finishes after closing counts), so always ≥ 100%."""
    return load is not None and load >= (capacity if capacity is not None else 1.0)


def team_load(load: float, pct: Percent, capacity: float | None = None) -> str:
    """A team's load as a share of its working time (`111%`), marked `!` when the team
    cannot keep up (`over`; `LOAD_MARK`), as the stage rows write it: the page read
    «111%» in one table and «1.1 !» in another. The guide's two managers offered 108%
    keep up, finishing work after closing: «108%», no mark."""
    return pct(load) + (" !" if over(load, capacity) else "")


def load_mark(loads: Iterable[tuple[float | None, float | None]], f: Figures | None = None
              ) -> str | None:
    """`LOAD_MARK` in the language of `f` when one of `loads` ((load, capacity) pairs) is
    marked, else None."""
    return _(f, LOAD_MARK) if any(over(x, c) for x, c in loads) else None


def busy_members(t: TeamExact, f: Figures | None = None) -> str:
    """The team's busy members: the work asked of it while it keeps up; for a team that
    cannot, every member (its working time) and the work asked in members' worth beside
    it, `3 (work for 3.55)`: «busy members 3.55» of a team of 3 read as if 3.55 were."""
    count = num if f is None else f.num
    if t.stable:
        return count(t.busy_mean)
    return _(f, N_("{busy} (work for {offered})")).format(busy=count(t.busy_members),
                                                         offered=count(t.busy_mean))


def _teams_list(teams: Sequence[str], f: Figures | None) -> str:
    return ", ".join(f"\u201c{x}\u201d" if f is None else f.tr.quote(x) for x in teams)


def unreachable_revenue(teams: Sequence[str], f: Figures | None = None) -> str | None:
    """Said beside the expected revenue and won deals when a team that cannot keep up owns
    a stage: the figures are those of a served queue (the revenue printed as if it were
    reached, «unstable» only in a note)."""
    if not teams:
        return None
    return _(f, N_("not reachable as staffed: the queue of team {teams} grows without bound "
                   "(load ≥ 100%), so the wins and revenue that pass through its stages come "
                   "only once that backlog is cleared")).format(teams=_teams_list(teams, f))


def _unserved(queue: QueueExact | None, pct: Percent, f: Figures | None = None) -> str:
    """The timeout cell: deals the SLA takes from the queue and, after `+`, those whose
    patience runs out first (`gave up`)."""
    if queue is None:
        return DASH
    parts = []
    if queue.timeout_share is not None:
        parts.append(pct(queue.timeout_share))
    if queue.abandon_share is not None:
        parts.append(_(f, N_("{share} gave up")).format(share=pct(queue.abandon_share)))
    return " + ".join(parts) or DASH


def pipeline_remarks(p: PipelineExact, pct: Percent, f: Figures | None = None,
                     unstable: Sequence[str] = ()) -> list[str]:
    """What a pipeline's table cannot show: that its conversion and wins are not reachable
    as staffed (`unstable`: the teams owning its stages that cannot keep up), an assumed
    entry, the top three losses, and leads stuck for good or circling a loop."""
    extra = []
    if unstable:
        extra.append(_(f, N_("not reachable as staffed: the queue of team {teams} grows "
                             "without bound (load ≥ 100%), so the conversion and wins above "
                             "come only once that backlog is cleared")).format(
            teams=_teams_list(unstable, f)))
    if p.entry_assumed:
        extra.append(_(f, N_("nothing feeds this pipeline: figures are per lead entering its "
                             "first stage")))
    if p.p_lost:
        top = sorted(p.p_lost.items(), key=lambda kv: -kv[1])[:3]
        extra.append(_(f, N_("lost: {reasons}")).format(
            reasons=", ".join(f"{r} {pct(v)}" for r, v in top)))
    if p.p_stuck > 0:
        extra.append(_(f, N_("stuck for good: {share} of leads")).format(share=pct(p.p_stuck)))
    if p.p_loop > 0:
        extra.append(_(f, N_("circling a loop with no way out: {share} of leads")).format(
            share=pct(p.p_loop)))
    return extra


MONEY_HEADERS = ("", N_("per month"), N_("per year"))
SOURCE_MONEY_HEADERS = (N_("source"), N_("leads/month"), N_("won/month"), N_("revenue/month"),
                        N_("cost/month"), N_("cost per won"), N_("return on cost"))


def headers(names: tuple[str, ...], f: Figures | None = None) -> list[str]:
    """`MONEY_HEADERS` or `SOURCE_MONEY_HEADERS` in the language of `f`."""
    return [_(f, h) if h else h for h in names]


_UNPRICED = 4
"""Columns of the per-source table when no cost is priced: source, leads, won, revenue."""


def source_money_headers(money: ExactMoney, f: Figures | None = None) -> list[str]:
    """The per-source table's headers: without the cost columns when no cost is priced
    (`ExactMoney.costs_priced`), as `source_money_rows` leaves them out."""
    names = SOURCE_MONEY_HEADERS if money.costs_priced else SOURCE_MONEY_HEADERS[:_UNPRICED]
    return headers(names, f)


def signed_return(x: float | None, f: Figures | None = None) -> str:
    """Return on cost as a signed percentage (`+311%`, `+1,780%`; never `+1.78e+03%`), in
    the language of `f` when given (`+1 780%`)."""
    if x is None:
        return DASH
    return ("+" if x > 0 else "") + (num if f is None else f.num)(x * 100) + "%"


def _money_language(f: Figures | None) -> str:
    """The language money is written in: the output's, English without `f` (analyze's
    own English). It was the account's `language`, so `analyze --lang en` of a Russian
    account read «team Менеджеры: 3 × 90 тыс. ₽» among English words."""
    return "en" if f is None else f.tr.lang


def money_rows(money: ExactMoney, f: Figures | None = None) -> list[list[str]]:
    """revenue, team cost, lead cost, total cost, profit, won deals, cost per won deal:
    each per month and per year, money as the account writes it (`1.38 млрд ₽`). When
    the file prices no cost, revenue and won deals only: a cost of 0 is not known to be 0,
    and profit would repeat the revenue (`money_remarks` says so)."""
    cur, lang = money.currency, _money_language(f)

    def cash(x: float | None) -> str:
        return money_in(x, cur, lang)

    bound = "≤" if money.revenue_is_bound else ""

    def row(label: str, get: Callable[[MoneyFigures], float | None], fmt: Callable[
            [float | None], str] = cash, prefix: str = "") -> list[str]:
        return [_(f, label), prefix + fmt(get(money.per_month)),
                prefix + fmt(get(money.per_year))]

    won = row(N_("won deals"), lambda m: m.won, num if f is None else f.num, bound)
    if not money.costs_priced:
        return [row(N_("revenue"), lambda m: m.revenue, prefix=bound), won]
    return [row(N_("revenue"), lambda m: m.revenue, prefix=bound),
            row(N_("team cost"), lambda m: m.team_cost),
            row(N_("lead cost"), lambda m: m.lead_cost),
            row(N_("total cost"), lambda m: m.cost),
            row(N_("profit"), lambda m: m.profit, prefix=bound), won,
            row(N_("cost per won deal"), lambda m: m.cost_per_won)]


def source_money_rows(money: ExactMoney, f: Figures | None = None) -> list[list[str]]:
    """Per source and month: leads, wins, revenue, cost, cost per won, return on cost;
    then a row per paid team (its members × their monthly cost). Leads, wins and revenue
    only when the file prices no cost (`source_money_headers`)."""
    cur, lang = money.currency, _money_language(f)
    count = num if f is None else f.num
    # The source's name alone: the column is headed «source» (a cell read «источник
    # Калькулятор на сайте»); a team's row says «team …» itself.
    rows = [[s.source, count(s.leads_per_month),
             count(s.won_per_month),
             money_in(s.revenue_per_month, cur, lang) if s.revenue_per_month is not None
             else DASH, money_in(s.cost_per_month, cur, lang) if s.priced
             else _(f, COST_UNKNOWN),
             money_in(s.cost_per_won, cur, lang),
             signed_return(s.return_on_cost, f)] for s in money.sources]
    if not money.costs_priced:
        return [r[:_UNPRICED] for r in rows]
    rows += [[_(f, N_("team {team}: {size} × {cost}")).format(
        team=t.team, size=t.size, cost=money_in(t.member_cost_per_month, cur, lang)),
              "", "", "", money_in(t.cost_per_month, cur, lang), "", ""] for t in money.teams]
    return rows


def money_remarks(money: ExactMoney, pct: Percent, f: Figures | None = None) -> list[str]:
    """Who gives up waiting (and so brings nothing), how the year is formed, and what the
    money does not cover; first, when the file prices no cost, that the cost and profit
    rows are left out and why."""
    out = [] if money.costs_priced else [
        _(f, NO_COST_PRICED).format(cost="`cost`", budget="`budget`")]
    unpriced = [s.source for s in money.sources if not s.priced]
    if money.costs_priced and unpriced:
        out.append(_(f, UNPRICED_SOURCES).format(
            cost="`cost`", budget="`budget`",
            sources=", ".join(f"\u201c{x}\u201d" if f is None else f.tr.quote(x)
                             for x in unpriced)))
    for g in money.gave_up:
        if g.share is not None:
            out.append(_(f, N_("gave up waiting at {stage}: {share} of its deals ({n}/month), "
                               "taken out of the wins and revenue")).format(
                stage=g.stage, share=pct(g.share),
                n=(num if f is None else f.num)(g.per_month)))
    out.append(_(f, N_("per year: {basis}")).format(basis=_(f, money.year_basis)))
    out += money.notes if f is None else [say(n, f.tr, None, f.hours) for n in money.notes]
    return out


def sla_share(ends: float | None, bound: bool, pct: Percent) -> str:
    """The share of a stage's deals its SLA ends (`StageExact.sla_ends`), as analyze, the
    report and the workshop write it: «≥0,448%» where it is a lower bound, «—» without an
    SLA and where the bound is 0 (`StageExact.sla_ends_unknown`, said in a note): «≥0%»
    was true of every share and told the client nothing."""
    if ends is None or (bound and ends <= 0.0):
        return DASH
    return lower_bound(pct(ends), bound)


def sla_unknown_note(s: StageExact) -> str | None:
    """The note saying why the stage's SLA share is «—» (`StageExact.sla_ends_unknown`),
    for the outputs that print the share apart from the exact table's notes."""
    if not s.sla_ends_unknown:
        return None
    return next((n for n in s.notes
                 if n in (SLA_UNKNOWN_WAIT, SLA_UNKNOWN_SUM, SLA_UNKNOWN_PATIENCE)), None)


def lower_bound(text: str, bound: bool) -> str:
    """A share that may be a lower bound: `≥0.2%`; a positive bound too small to show is
    `>0%` (it read «≥<0.1%», at least less than a tenth)."""
    if not bound:
        return text
    return ">0%" if text.startswith("<") else "≥" + text
