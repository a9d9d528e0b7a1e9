"""What `simulate` prints and writes: `SimResult` as JSON (`simulate_json`, schema
`funnelc simulate --schema`) and as rich tables for the terminal (`render_tables`): one
table per pipeline's stages, then teams, pipelines and warnings. Figures read
`mean ±half-width`; durations pick a unit a person reads at a glance (`40m`, `5.2h`,
`3.1d`). Names are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..analysis.money import COST_UNKNOWN, NO_COST_PRICED, UNPRICED_SOURCES
from ..i18n import choose, translator
from ..i18n.figures import CI_ENDS, Figures
from ..i18n.words import route_label_text, route_text
from ..numfmt import BUSY, COUNT, DASH, SHARE, SIGNED, between, ends, est, low_end, money_in
from ..termtext import plain
from .results import Estimate, MoneyResult, SimResult, StageResult
from .verdict_words import (
    passed_on_cell,
    passed_on_text,
    reason_clause,
    warning_text,
    weighted_shares_note,
)

__all__ = ["render_tables", "simulate_json"]


class _Words:
    """The tables' words and figures in the output's language (`funnelc.i18n`): the
    account's `language`, or `--lang`; English keeps the forms it always had."""

    def __init__(self, language: str | None) -> None:
        self.tr = translator(choose(language))
        self.f = Figures(self.tr)
        self._ = self.tr.gettext


def _timeouts(w: _Words, st: StageResult) -> str:
    t = st.timeouts
    if t.action is None:
        return DASH
    _ = w._
    kinds = ((_("{n} queued"), t.queued), (_("{n} work"), t.in_work),
             (_("{n} delay"), t.in_delay), (_("{n} parked"), t.parked))
    shown = [text.format(n=w.f.num(e.mean)) for text, e in kinds if e.mean]
    return ", ".join(shown) or "0"


def _stage_name(w: _Words, st: StageResult) -> str:
    return w._("{stage} (key)").format(stage=st.stage) if st.key else st.stage


def _stage_table(w: _Words, result: SimResult, pipeline: str) -> Table:
    _, f = w._, w.f
    table = Table(title=plain(_("{pipeline}: stages").format(pipeline=pipeline)),
                  title_justify="left")
    for col, left in ((_("stage"), True), (_("entered"), False),
                      (_("time in stage\nmean / p90"), False), (_("queue\nwait"), False),
                      (_("WIP\navg / end"), False), (_("respond\nbreach %"), False),
                      (_("sla timeouts"), True), (_("verdict"), True)):
        table.add_column(col, justify="left" if left else "right")
    for st in result.stages:
        if st.pipeline != pipeline:
            continue
        verdict = (Text(_("graveyard"), style="bold red") if st.graveyard.is_graveyard
                   else Text(_("ok")))
        table.add_row(
            plain(_stage_name(w, st)), f.est(st.entered),
            f"{f.hours(st.time_in_stage_hours.mean.mean)} / "
            f"{f.hours(st.time_in_stage_hours.p90.mean)}",
            f.est_hours(st.queue_wait_hours_mean) if st.queue_wait_hours_mean else DASH,
            f"{f.num(st.wip_time_average.mean)} / {f.num(st.wip_final.mean)}",
            f.est(st.respond_breach_pct, limits=(0.0, 100.0))
            if st.respond_breach_pct is not None else DASH,
            _timeouts(w, st), verdict)
    return table


def _share(w: _Words, fraction: float) -> str:
    """A share as the ways-out table writes it (`71.8%`: three significant digits)."""
    return f"{fraction * 100:.3g}%" if w.f.english else w.tr.pct(fraction)


def _routes_table(w: _Words, result: SimResult, pipeline: str) -> Table:
    """Where the deals went: each way out with its declared and simulated share."""
    _, f, tr = w._, w.f, w.tr
    note = weighted_shares_note(tr, [st for st in result.stages if st.pipeline == pipeline])
    table = Table(title=plain(_("{pipeline}: ways out").format(pipeline=pipeline)),
                  title_justify="left", caption=plain(note) if note else None,
                  caption_justify="left")
    for col, left in ((_("stage"), True), (_("way out"), True), (_("declared"), False),
                      (_("deals"), False), (_("simulated"), False)):
        table.add_column(col, justify="left" if left else "right")
    for st in result.stages:
        if st.pipeline != pipeline:
            continue
        for i, o in enumerate(st.outcomes):
            weighted = o.simulated_share.mean
            sim = _share(w, weighted) if weighted is not None else DASH
            way = route_text(tr, o.kind, o.target_stage, o.reason, o.copy_to)
            table.add_row(plain(st.stage if i == 0 else ""), plain(way), _share(w, o.share),
                          f.est(o.count), sim)
        if st.abandoned is not None:
            ab = st.abandoned
            share = _share(w, ab.share.mean) if ab.share.mean is not None else DASH
            table.add_row(plain("" if st.outcomes else st.stage),
                          plain(_("patience {patience}: {action}").format(
                              patience=ab.patience, action=route_label_text(tr, ab.action))),
                          DASH, f.est(ab.count), share)
        action = st.timeouts.action
        if action is not None:
            t = st.timeouts
            n = sum(e.mean or 0.0 for e in (t.queued, t.in_work, t.in_delay, t.parked))
            table.add_row(plain("" if st.outcomes else st.stage),
                          plain(_("sla {limit}: {action}").format(
                              limit=f.limit(t.sla_hours, st.limits_in_working_hours),
                              action=route_label_text(tr, action))),
                          DASH, f.num(n), DASH)
    return table


def _team_table(w: _Words, result: SimResult) -> Table:
    _, f = w._, w.f
    table = Table(title=_("teams"), title_justify="left")
    unstable = any(t.unstable for t in result.teams)  # the flag's column only when needed
    for col, left in ((_("team"), True), (_("size"), False), (_("offered load ρ"), False),
                      (_("utilization"), False), (_("queue avg"), False),
                      (_("queue max"), False), *((("", True),) if unstable else ())):
        table.add_column(col, justify="left" if left else "right")
    for t in result.teams:
        # Load and utilization as shares of working time, as analyze and the report write
        # them («111%», «86,4% [53,9%–100%]»); this table read «1,11» and «0,996 [0,964–1]».
        # Utilization counts the work finished after closing, so it passes 100 %: held
        # at 0 only (BUSY), not at 100 % («101% [101%–100%]» for cottages).
        row: list[Text | str] = [plain(t.team), str(t.size), f.pct(t.offered_load_rho),
                                 f.est_pct(t.utilization, BUSY), f.est(t.queue_mean),
                                 f.est(t.queue_max)]
        if unstable:
            row.append(Text(_("unstable"), style="bold red") if t.unstable else Text(""))
        table.add_row(*row)
    return table


def _conversion(w: _Words, conv: Estimate) -> str:
    if conv.mean is None:
        return DASH
    cut = ends(conv.mean, conv.ci95, *SHARE) if conv.ci95 else None
    if cut is not None:  # `1.35% [0–18.4%]`, never a share below 0 or above 100 %
        return w.f.est_pct(conv) if not w.f.english else between(
            f"{conv.mean * 100:.3g}%", low_end(cut[0], lambda x: f"{x * 100:.3g}%"),
            f"{cut[1] * 100:.3g}%")
    if w.f.english:
        return f"{conv.mean * 100:.3g}%" + (f" ±{conv.ci95 * 100:.2g}" if conv.ci95 else "")
    return w.tr.pct(conv.mean) + (f" ±{w.tr.sig(conv.ci95 * 100, 2)}" if conv.ci95 else "")


def _cash(e: Estimate | None, currency: str | None, lang: str, signed: bool = False) -> str:
    """Each figure with its scale and sign, `1,4 млрд ₽ ±76 млн ₽`, as the report's page,
    its money line and analyze write it (`numfmt.est_money`): this table read «1,4 ±0,076
    млрд ₽» beside the page's form. An amount's interval is held at 0 by its ends
    (`5,54 млн ₽ [0–11,1 млн ₽]`) unless it is `signed` (profit)."""
    return est(e, lambda x: money_in(x, currency, lang), limits=SIGNED if signed else COUNT)


def _pipeline_table(w: _Words, result: SimResult) -> Table:
    _, f = w._, w.f
    cur = result.account.currency
    # Every language writes each figure as money (`$14M [0–$32.8M]`, `6,03 млн ₽ ±2,32 млн
    # ₽`), as the money table below and the report's page do; English wrote
    # «14,000,000 [0–32,754,828]» under «revenue (USD)». Without a currency, plain figures.
    revenue = _("revenue")
    table = Table(title=_("pipelines"), title_justify="left")
    for col, left in ((_("pipeline"), True), (_("started"), False), (_("won"), False),
                      (_("lost"), False), (_("conversion"), False),
                      (_("cycle to won\nmean / p90"), False), (revenue, False),
                      (_("funnel shape"), True)):
        table.add_column(col, justify="left" if left else "right")
    for p in result.pipelines:
        shape = (_("ok") if p.funnel_shape.ok else
                 _("grows at {stages}").format(
                     stages=", ".join(v.stage for v in p.funnel_shape.violations)))
        table.add_row(plain(p.pipeline), f.est(p.started), f.est(p.won), f.est(p.lost),
                      _conversion(w, p.conversion),
                      f"{f.hours(p.cycle_time_won_hours.mean.mean)} / "
                      f"{f.hours(p.cycle_time_won_hours.p90.mean)}",
                      plain(passed_on_cell(p) or (_cash(p.revenue_won, cur, w.tr.lang)
                                                  if cur else f.est(p.revenue_won))),
                      plain(shape))
    return table


def _pct_of(fraction: float) -> str:
    x = fraction * 100
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _return(e: Estimate, f: Figures) -> str:
    """Return on cost as a signed percentage, `+311% ±96.9`; in Russian and Ukrainian
    with the language's digits (`+1 176% ±72,5`: `1,176%` read there as 1.176 %)."""
    if e.mean is None:
        return DASH
    pct_of = _pct_of if f.english else (lambda x: f.num(x * 100))
    sign = "+" if e.mean > 0 else ""
    half = f" ±{pct_of(e.ci95)}" if e.ci95 else ""
    return f"{sign}{pct_of(e.mean)}%{half}"


def _money_table(w: _Words, money: MoneyResult) -> Table:
    """Where the money comes from and goes: a row per source (return = what it brings
    over what it costs), a row per paid team, then the totals and the profit. When the
    file prices no cost, only leads, wins and revenue (`render_tables` says why under
    the table): a cost of 0 would make the profit read as the revenue."""
    cur, lang = money.currency, w.tr.lang  # as the tables' language writes money
    _, f = w._, w.f
    priced = money.costs_priced

    def cash(e: Estimate | None) -> str:
        return _cash(e, cur, lang)

    table = Table(title=_("money (observed window)"), title_justify="left")
    columns = [("", True), (_("leads"), False), (_("won"), False), (_("revenue"), False)]
    if priced:
        columns += [(_("cost"), False), (_("cost per won"), False),
                    (_("return on cost"), False)]
    for col, left in columns:
        table.add_column(col, justify="left" if left else "right")
    for s in money.sources:
        row: list[Text | str] = [plain(_("source {source}").format(source=s.source)),
                                 f.est(s.leads), f.est(s.won), cash(s.revenue)]
        if priced:
            ret = DASH if s.return_on_cost is None else _return(s.return_on_cost, f)
            row += [cash(s.cost) if s.priced else _(COST_UNKNOWN), cash(s.cost_per_won), ret]
        table.add_row(*row)
    for t in money.teams:
        table.add_row(plain(_("team {team}: {size} × {cost}/month").format(
                          team=t.team, size=t.size,
                          cost=money_in(t.member_cost_per_month, cur, lang))),
                      "", "", "", money_in(t.cost, cur, lang), "", "")
    table.add_section()
    if not priced:
        table.add_row(_("total"), "", f.est(money.won), cash(money.revenue))
        return table
    table.add_row(_("total"), "", f.est(money.won), cash(money.revenue),
                  cash(money.cost), cash(money.cost_per_won), "")
    table.add_row(Text(_("profit"), style="bold"), "", "",
                  Text(_cash(money.profit, cur, lang, signed=True), style="bold"), "", "", "")
    return table


def _run_line(w: _Words, result: SimResult) -> str:
    r = result.run
    _, tr = w._, w.tr
    scen = _(", scenario {scenario}").format(scenario=r.scenario) if r.scenario else ""
    # One replication has no interval: the line said «figures are mean ±95% CI» and
    # explained «x [a–b]» over figures with neither (sweep's header did, dc40a5e).
    one = r.reps < 2
    line = (_("{file}{scenario}: {replications} × {days} ({warmup} warm-up) from {date}, "
              "seed {seed}; one replication, so no interval: a 95% interval needs --reps 2 or "
              "more") if one else
            _("{file}{scenario}: {replications} × {days} ({warmup} warm-up) from {date}, "
              "seed {seed}; figures are mean ±95% CI")).format(
        file=r.file, scenario=scen,
        replications=tr.ngettext("{n} replication", "{n} replications", r.reps).format(
            n=r.reps),
        days=tr.ngettext("{n} day", "{n} days", r.days).format(n=r.days),
        warmup=r.warmup_days, date=r.start_date if w.f.english else tr.date(r.start_date),
        seed=r.seed)
    return line if one else line + "; " + _(CI_ENDS)


def render_tables(result: SimResult, console: Console, language: str | None = None) -> None:
    """The tables in `language` (the account's; `--lang` overrides it; by default the
    language its money is written in)."""
    w = _Words(language if language is not None
               else result.money.language if result.money is not None else None)
    _ = w._
    console.print(plain(_run_line(w, result), style="dim"))
    seen: list[str] = []
    for st in result.stages:
        if st.pipeline not in seen:
            seen.append(st.pipeline)
    parts: list[Table] = []
    for p in seen:
        parts += [_stage_table(w, result, p), _routes_table(w, result, p)]
    parts += [_team_table(w, result), _pipeline_table(w, result)]
    if result.money is not None:
        parts.append(_money_table(w, result.money))
    console.print(Group(*parts))
    for pr in result.pipelines:
        passed = passed_on_text(w.tr, pr, _cash(pr.passed_on_revenue, result.account.currency,
                                                w.tr.lang))
        if passed is not None:
            console.print(plain(passed), soft_wrap=True)
    if result.money is not None and not result.money.costs_priced:
        console.print(plain(_(NO_COST_PRICED).format(cost="`cost`", budget="`budget`")),
                      soft_wrap=True)
    unpriced = [s.source for s in result.money.sources if not s.priced] \
        if result.money is not None and result.money.costs_priced else []
    if unpriced:
        console.print(plain(_(UNPRICED_SOURCES).format(
            cost="`cost`", budget="`budget`",
            sources=", ".join(w.tr.quote(x) for x in unpriced))), soft_wrap=True)
    for st in result.stages:
        for reason in st.graveyard.reasons:
            text = reason.message if w.f.english else reason_clause(w.tr, st, reason)
            console.print(plain(_("graveyard {pipeline}.{stage}: {reason}").format(
                pipeline=st.pipeline, stage=st.stage, reason=text), style="red"))
    won = result.account.revenue_won
    # As the report's money line: each figure with its scale and sign, in every language.
    revenue = (_cash(won, result.account.currency, w.tr.lang) if result.account.currency
               or not w.f.english else w.f.est(won))
    console.print(plain(_("revenue won: {revenue} over {days} observed days").format(
        revenue=revenue, days=w.f.num(result.run.observed_hours / 24))))
    for warning in result.warnings:
        # The code is for whoever reads English diagnostics; a client reads «попередження:».
        head = f"warning[{warning.code}]:" if w.f.english else _("warning:")
        console.print(plain(f"{head} {warning_text(w.tr, warning)}", style="yellow"))


def simulate_json(result: SimResult) -> str:
    """The result as `--format json` prints it (the pydantic model, indented)."""
    return result.model_dump_json(indent=2) + "\n"
