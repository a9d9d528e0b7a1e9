"""`funnelc fit` in the terminal: every fitted number with its interval, the candidate
distributions with AIC and Kolmogorov–Smirnov goodness of fit, and every warning. CRM
names are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import math
from typing import Any

from ..report.fmt import hours as fmt_h
from .dists import DistFit
from .fit import MIN_DEALS, FitResult
from .report import print_quality
from .run import Prepared

__all__ = ["print_fit", "dist_text"]


def dist_text(d: DistFit | None, unit: str = "h") -> str:
    if d is None:
        return "—"
    f = fmt_h if unit == "h" else (lambda x: f"{x:,.0f}")
    few = f" ⚠ fewer than {MIN_DEALS}: the funnel's value kept" if d.n < MIN_DEALS else ""
    how = _how(d)
    if d.kind == "none":
        return f"no delay (below {f(d.ci_high)}){how} n={d.n}{few}"
    if d.beyond > 0:
        how += f", {d.beyond:.0%} of it past the SLA (the family's tail)"

    return (f"{d.kind} mean {f(d.mean)} [{f(max(d.ci_low, 0))}, {f(d.ci_high)}] "
            f"n={d.n}{how}{few}")


def _how(d: DistFit) -> str:
    """How a delay was found, when not by a plain likelihood fit of the times in stage."""
    dist = f", distance {d.distance:.3f}" if math.isfinite(d.distance) else ""
    if d.method == "calibrated":
        return f", calibrated{dist}"
    if d.method == "picked up":
        return f", from pick-up times{dist}"
    return ""


def _gof(d: DistFit | None) -> str:
    if d is None or not d.candidates:
        return ""
    if all(math.isfinite(c.distance) for c in d.candidates):
        return "; ".join(f"{c.kind} mean {fmt_h(c.mean)} distance {c.distance:.3f}"
                         for c in d.candidates)
    return "; ".join(f"{c.kind} AIC {c.aic:.0f} KS {c.ks:.3f} p={c.p:.3f}" for c in d.candidates)


def _print_calibration(r: FitResult, console: Any) -> None:
    from rich.table import Table

    from ..termtext import plain

    cal = r.calibration
    if cal is None or not cal.residuals:
        return
    picked = (f"{len(cal.picked)} stage(s) from the pick-up times the history carries "
              "(wait = picked − entered; work and delay from picked → left)"
              if cal.picked else "")
    sim = (f"calibrated through the simulator ({cal.runs} runs, {cal.simulated_deals:,} "
           "simulated deals)" if cal.method != "picked up" else "")
    how = "; ".join(x for x in (sim, picked) if x)
    t = Table(title=f"Delays {how}: time in stage, history vs model", title_justify="left")
    for c in ("stage", "deals", "mean", "median", "90th pct", "distance"):
        t.add_column(c, overflow="fold")
    for x in cal.residuals:
        t.add_row(plain(f"{x.pipeline}.{x.stage}"), f"{x.n:,}",
                  f"{fmt_h(x.obs_mean)} vs {fmt_h(x.sim_mean)}",
                  f"{fmt_h(x.obs_p50)} vs {fmt_h(x.sim_p50)}",
                  f"{fmt_h(x.obs_p90)} vs {fmt_h(x.sim_p90)}", f"{x.distance:.3f}")
    console.print(t)


def print_fit(r: FitResult, prep: Prepared, notes: list[str], console: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..termtext import plain

    dq = prep.history.quality
    console.print(plain(f"fitted from {prep.tables.deals:,} deals, {prep.tables.events:,} "
                        f"events over {r.span_hours / 24:.0f} days", style="bold"))
    t = Table(title="Sources", title_justify="left")
    for c in ("source", "deals", "rate", "95% CI", "month profile (listed*)", "value", "how"):
        t.add_column(c, overflow="fold")
    for s in r.sources:
        prof = ", ".join(f"{mo} {v[0]:.0%}{'*' if v[3] else ''}" for mo, v in s.profile.items())
        rate = f"{s.per_hour * 24:.2f}/day" + (
            f" ⚠ fewer than {MIN_DEALS} deals: the funnel's rate kept"
            if 0 < s.deals < MIN_DEALS else "")
        t.add_row(plain(s.name), f"{s.deals:,}", rate,
                  f"{s.low * 24:.2f}–{s.high * 24:.2f}", prof or "—", dist_text(s.value, "amt"),
                  plain(s.how + ("; " + "; ".join(s.warnings) if s.warnings else "")))
    console.print(t)
    t = Table(title="Outcome shares and delays per stage", title_justify="left")
    for c in ("stage", "route", "deals", "share", "95% CI", "after (fitted)", "goodness of fit"):
        t.add_column(c, overflow="fold")
    for sf in r.stages:
        first = True
        name = plain(f"{sf.pipeline}.{sf.stage}")
        for rt in sf.routes:
            share = "—" if rt.key[0] == "sla" else f"{rt.share:.1%}" + (
                " ⚠ kept" if sf.mature < MIN_DEALS else "")
            ci = "" if rt.key[0] == "sla" else f"{rt.low:.1%}–{rt.high:.1%}"
            new = "" if rt.outcome is not None or rt.key == ("stay",) else " (new)"
            t.add_row(name if first else "", plain(rt.label + new),
                      f"{rt.count:,}", share, ci, dist_text(rt.after), _gof(rt.after))
            first = False
        if sf.work is not None:
            t.add_row(name if first else "", "work (picked up → left, routes without after)",
                      f"{sf.work.n:,}", "", "", dist_text(sf.work), _gof(sf.work))
            first = False
        if sf.time is not None:
            t.add_row(name if first else "", "time in stage",
                      f"{sf.time.n:,}", "", "", dist_text(sf.time), _gof(sf.time))
            first = False
        for w in sf.warnings:
            t.add_row(name if first else "", plain(f"⚠ {w}", style="yellow"),
                      "", "", "", "", "")
            first = False
    console.print(t)
    if r.reopens:
        t = Table(title="Reopens (lost deals that came back)", title_justify="left")
        for c in ("pipeline", "reason", "lost", "came back", "share", "95% CI", "to", "delay"):
            t.add_column(c, overflow="fold")
        for ro in r.reopens:
            t.add_row(plain(ro.pipeline), plain(ro.reason + ("" if ro.in_funnel else " (new)")),
                      f"{ro.lost:,}", f"{ro.back:,}", f"{ro.share:.1%}" + (
                          " ⚠ kept" if ro.lost < MIN_DEALS else ""),
                      f"{ro.low:.1%}–{ro.high:.1%}", plain(ro.target or "—"),
                      dist_text(ro.delay))
        console.print(t)
    _print_calibration(r, console)
    nm = prep.names
    if nm is not None and (nm.unmatched_stages or nm.unseen_stages):
        console.print(plain("names not matched", style="bold"))
        for pn, sn, count in nm.unmatched_stages:
            console.print(plain(f"  in the data, not in the funnel: {pn}.{sn} ({count} events)"))
        for pn, sn in nm.unseen_stages:
            console.print(plain(f"  in the funnel, not in the data: {pn}.{sn}"))
    for w in r.warnings + [w for s in r.sources for w in s.warnings] + [
            f"reopen {ro.reason}: {w}" for ro in r.reopens for w in ro.warnings]:
        console.print(Text.assemble(("warning:", "yellow"), " ", plain(w)))
    for note in notes:
        console.print(plain(f"note: {note}"))
    if dq.counts:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(dq.counts.items()))
        console.print(Text.assemble(("anomalies", "bold"), plain(f" (counted, kept): {counts}")))
    if dq.dropped or dq.notes:
        print_quality(dq, console)
    console.print("delays: lowest AIC among exp/lognormal/gamma; empirical quantiles when the "
                  "best fails KS at 1 % (n ≥ 50); in stages with work or an SLA, net of "
                  "queue waits and work: from the pick-up times where the history has them, "
                  "else calibrated through the simulator (distance: gap in mean "
                  "and deciles over the observed mean); means: the family's own 95 % "
                  "interval (calibrated: bootstrap); shares: 95 % Wilson; rates: exact "
                  f"Poisson; fewer than {MIN_DEALS} deals behind a figure (⚠): the funnel's "
                  "value kept")
