"""What `simulate` prints and writes: `SimResult` as JSON (`simulate_json`, schema
`funnelc simulate --schema`) and as rich tables for the terminal (`render_tables`): one
table per pipeline's stages, then teams, pipelines and warnings. Figures read
`mean ±half-width`; durations pick a unit a person reads at a glance (`40m`, `5.2h`,
`3.1d`). Names are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..i18n import choose, translator
from ..i18n.words import route_label_text, route_text
from ..numfmt import DASH, est, est_hours, est_money, hours, money_in, num
from ..termtext import plain
from .results import Estimate, MoneyResult, SimResult, StageResult

__all__ = ["render_tables", "simulate_json"]


def _timeouts(st: StageResult) -> str:
    t = st.timeouts
    if t.action is None:
        return DASH
    kinds = (("queued", t.queued), ("work", t.in_work), ("delay", t.in_delay),
             ("parked", t.parked))
    shown = [f"{num(e.mean)} {name}" for name, e in kinds if e.mean]
    return ", ".join(shown) or "0"


def _stage_table(result: SimResult, pipeline: str) -> Table:
    table = Table(title=plain(f"{pipeline}: stages"), title_justify="left")
    for col in ("stage", "entered", "time in stage\nmean / p90", "queue\nwait",
                "WIP\navg / end", "respond\nbreach %", "sla timeouts", "verdict"):
        table.add_column(col, justify="left" if col in ("stage", "sla timeouts", "verdict")
                         else "right")
    for st in result.stages:
        if st.pipeline != pipeline:
            continue
        verdict = (Text("graveyard", style="bold red") if st.graveyard.is_graveyard
                   else Text("ok"))
        table.add_row(
            plain(st.stage + (" (key)" if st.key else "")), est(st.entered),
            f"{hours(st.time_in_stage_hours.mean.mean)} / "
            f"{hours(st.time_in_stage_hours.p90.mean)}",
            est_hours(st.queue_wait_hours_mean) if st.queue_wait_hours_mean else DASH,
            f"{num(st.wip_time_average.mean)} / {num(st.wip_final.mean)}",
            est(st.respond_breach_pct) if st.respond_breach_pct is not None else DASH,
            _timeouts(st), verdict)
    return table


def _routes_table(result: SimResult, pipeline: str) -> Table:
    """Where the deals went: each way out with its declared and simulated share."""
    table = Table(title=plain(f"{pipeline}: ways out"), title_justify="left")
    tr = translator(choose(result.money.language if result.money else None))
    for col in ("stage", "way out", "declared", "deals", "simulated"):
        table.add_column(col, justify="left" if col in ("stage", "way out") else "right")
    for st in result.stages:
        if st.pipeline != pipeline:
            continue
        total = sum(o.count.mean or 0.0 for o in st.outcomes)
        for i, o in enumerate(st.outcomes):
            sim = (f"{(o.count.mean or 0.0) / total * 100:.3g}%" if total else DASH)
            way = route_text(tr, o.kind, o.target_stage, o.reason, o.copy_to)
            table.add_row(plain(st.stage if i == 0 else ""), plain(way),
                          f"{o.share * 100:.3g}%",
                          est(o.count), sim)
        if st.abandoned is not None:
            ab = st.abandoned
            share = (f"{ab.share.mean * 100:.3g}%" if ab.share.mean is not None else DASH)
            table.add_row(plain("" if st.outcomes else st.stage),
                          plain(f"patience {ab.patience}: {route_label_text(tr, ab.action)}"),
                          DASH, est(ab.count),
                          share)
        action = st.timeouts.action
        if action is not None:
            t = st.timeouts
            n = sum(e.mean or 0.0 for e in (t.queued, t.in_work, t.in_delay, t.parked))
            table.add_row(plain("" if st.outcomes else st.stage),
                          plain(f"sla {hours(t.sla_hours)}: {route_label_text(tr, action)}"),
                          DASH, num(n), DASH)
    return table


def _team_table(result: SimResult) -> Table:
    table = Table(title="teams", title_justify="left")
    for col in ("team", "size", "offered load ρ", "utilization", "queue avg", "queue max", ""):
        table.add_column(col, justify="left" if col in ("team", "") else "right")
    for t in result.teams:
        flag = Text("unstable", style="bold red") if t.unstable else Text("")
        table.add_row(plain(t.team), str(t.size), num(t.offered_load_rho),
                      est(t.utilization), est(t.queue_mean), est(t.queue_max), flag)
    return table


def _pipeline_table(result: SimResult) -> Table:
    cur = f" ({result.account.currency})" if result.account.currency else ""
    table = Table(title="pipelines", title_justify="left")
    for col in ("pipeline", "started", "won", "lost", "conversion", "cycle to won\nmean / p90",
                f"revenue{cur}", "funnel shape"):
        table.add_column(col, justify="left" if col in ("pipeline", "funnel shape") else "right")
    for p in result.pipelines:
        lost = sum(e.mean or 0.0 for e in p.lost_by_reason.values())
        conv = p.conversion
        conv_s = DASH if conv.mean is None else (
            f"{conv.mean * 100:.3g}%" + (f" ±{conv.ci95 * 100:.2g}" if conv.ci95 else ""))
        shape = ("ok" if p.funnel_shape.ok else
                 "grows at " + ", ".join(v.stage for v in p.funnel_shape.violations))
        table.add_row(plain(p.pipeline), est(p.started), est(p.won), num(lost), conv_s,
                      f"{hours(p.cycle_time_won_hours.mean.mean)} / "
                      f"{hours(p.cycle_time_won_hours.p90.mean)}",
                      est(p.revenue_won), plain(shape))
    return table


def _pct_of(fraction: float) -> str:
    x = fraction * 100
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _return(e: Estimate) -> str:
    """Return on cost as a signed percentage, `+311% ±96.9`."""
    if e.mean is None:
        return DASH
    sign = "+" if e.mean > 0 else ""
    half = f" ±{_pct_of(e.ci95)}" if e.ci95 else ""
    return f"{sign}{_pct_of(e.mean)}%{half}"


def _money_table(money: MoneyResult) -> Table:
    """Where the money comes from and goes: a row per source (return = what it brings
    over what it costs), a row per paid team, then the totals and the profit."""
    cur, lang = money.currency, money.language

    def cash(e: Estimate | None) -> str:
        return est_money(e, cur, lang)

    table = Table(title="money (observed window)", title_justify="left")
    for col in ("", "leads", "won", "revenue", "cost", "cost per won", "return on cost"):
        table.add_column(col, justify="left" if col == "" else "right")
    for s in money.sources:
        ret = DASH if s.return_on_cost is None else _return(s.return_on_cost)
        table.add_row(plain(f"source {s.source}"), est(s.leads), est(s.won), cash(s.revenue),
                      cash(s.cost), cash(s.cost_per_won), ret)
    for t in money.teams:
        table.add_row(plain(f"team {t.team}: {t.size} × "
                            f"{money_in(t.member_cost_per_month, cur, lang)}/month"),
                      "", "", "", money_in(t.cost, cur, lang), "", "")
    table.add_section()
    table.add_row("total", "", est(money.won), cash(money.revenue),
                  cash(money.cost), cash(money.cost_per_won), "")
    table.add_row(Text("profit", style="bold"), "", "", Text(cash(money.profit), style="bold"),
                  "", "", "")
    return table


def render_tables(result: SimResult, console: Console) -> None:
    r = result.run
    scen = f", scenario {r.scenario}" if r.scenario else ""
    console.print(plain(f"{r.file}{scen}: {r.reps} replications × {r.days} days "
                        f"({r.warmup_days} warm-up) from {r.start_date}, seed {r.seed}; "
                        "figures are mean ±95% CI", style="dim"))
    seen: list[str] = []
    for st in result.stages:
        if st.pipeline not in seen:
            seen.append(st.pipeline)
    parts: list[Table] = []
    for p in seen:
        parts += [_stage_table(result, p), _routes_table(result, p)]
    parts += [_team_table(result), _pipeline_table(result)]
    if result.money is not None:
        parts.append(_money_table(result.money))
    console.print(Group(*parts))
    for st in result.stages:
        for reason in st.graveyard.reasons:
            console.print(plain(f"graveyard {st.pipeline}.{st.stage}: {reason.message}",
                                style="red"))
    cur = f" {result.account.currency}" if result.account.currency else ""
    console.print(plain(f"revenue won: {est(result.account.revenue_won)}{cur} over "
                        f"{num(result.run.observed_hours / 24)} observed days"))
    for w in result.warnings:
        console.print(plain(f"warning[{w.code}]: {w.message}", style="yellow"))


def simulate_json(result: SimResult) -> str:
    """The result as `--format json` prints it (the pydantic model, indented)."""
    return result.model_dump_json(indent=2) + "\n"
