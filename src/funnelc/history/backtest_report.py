"""`funnelc fit --backtest` output: the comparison as a rich table in the terminal, one
self-contained HTML page (the history report's layout, with a plot of every series:
observed months against the predicted band, the cut marked) and a JSON document.

Rows are built once (`rows`) and every renderer formats the same cells, so the terminal,
the HTML and the JSON cannot disagree.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import polars as pl

from .backtest import HOLDOUT, KINDS, Backtest, Figure
from .report import Section, _c, render_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure
    from rich.console import Console

    from ..jsontypes import JSONObject

__all__ = ["print_backtest", "render_backtest_html", "render_backtest_json", "INTERVAL_TEXT",
           "backtest_plot"]

INTERVAL_TEXT = (
    "95 % prediction interval over the simulation runs: mean ± t(0.975, n−1)·sd·√(1 + 1/n), "
    "the range one more history of the fitted process falls in; every run simulates its own "
    "draw of the fitted numbers from their sampling uncertainty (shares resampled, rates from "
    "their Poisson posterior, delay means within their interval), so the band carries what "
    "the fit months cannot pin down as well as the process's own noise.")


def _value(f: Figure, x: float) -> str:
    if f.kind == "conversion":
        return f"{x:.1f}%"
    if f.kind == "backlog" and f.month == HOLDOUT:
        return f"{x:.1f}"
    return f"{x:,.0f}"


def _month(f: Figure, bt: Backtest) -> str:
    if f.month != HOLDOUT:
        return f.month
    return f"holdout {bt.holdout_months[0]} – {bt.holdout_months[-1]}" if len(
        bt.holdout_months) > 1 else f"holdout {bt.holdout_months[0]}"


def _mark(f: Figure) -> str:
    return "✓ inside" if f.inside else f"✗ {f.direction}"


def rows(bt: Backtest, figures: list[Figure]) -> list[dict[str, str]]:
    many = len(bt.pipelines) > 1
    out = []
    for f in figures:
        obs = _value(f, f.observed)
        if f.kind == "conversion" and f.deals is not None:
            obs += f" of {f.deals:,}"
        dev = f.deviation
        out.append({
            "month": _month(f, bt), "figure": f.label(many), "observed": obs,
            "predicted": _value(f, f.mean),
            "interval": f"{_value(f, f.low)} – {_value(f, f.high)}",
            "verdict": _mark(f), "sd": "—" if dev is None else f"{dev:+.1f}"})
    return out


COLUMNS = (("month", "month"), ("figure", "figure"), ("observed", "observed"),
           ("predicted", "predicted"), ("interval", "95 % interval"),
           ("verdict", "observed is"), ("sd", "sd off"))


def _head(bt: Backtest) -> list[str]:
    fit = bt.fit_prep.tables
    return [
        f"fitted on {bt.fit_months[0]} – {bt.fit_months[-1]} ({len(bt.fit_months)} months, "
        f"{fit.deals:,} deals, {fit.events:,} events; cut {bt.cut:%Y-%m-%d %H:%M} UTC), "
        f"compared on {bt.holdout_months[0]} – {bt.holdout_months[-1]} "
        f"({len(bt.holdout_months)} months; months in {bt.tz})",
        f"{bt.reps} simulation runs (each with its own draw of the fitted numbers), seed "
        f"{bt.seed}: "
        f"the holdout from the cut with {bt.open_at_cut:,} open deals for {bt.holdout_days} "
        f"days, the fit months from {bt.start.isoformat()}, empty; cut at the history's last "
        f"event {bt.data_end:%Y-%m-%d %H:%M} UTC; {bt.seconds:.1f} s",
        *bt.notes,
    ]


def print_backtest(bt: Backtest, console: Console) -> None:
    """Figure labels carry CRM names: every cell is `termtext.plain`, never markup."""
    from rich.table import Table
    from rich.text import Text

    from ..termtext import plain
    for line in _head(bt):
        console.print(plain(line))
    table = Table(title="Back-test: predicted against observed", title_justify="left")
    for key, title in COLUMNS:
        table.add_column(title, justify="right" if key in ("observed", "predicted", "interval",
                                                             "sd") else "left",
                         overflow="fold")
    last = None
    for f, r in zip(bt.figures, rows(bt, bt.figures)):
        if last is not None and f.month != last:
            table.add_section()
        last = f.month
        style = None if f.inside else "bold red"
        table.add_row(*(plain(r[k]) for k, _ in COLUMNS), style=style)
    if not bt.figures:
        table.add_row("(none)", *[""] * (len(COLUMNS) - 1))
    console.print(table)
    console.print(plain(INTERVAL_TEXT, style="dim"))
    for w in _fit_warnings(bt):
        console.print(Text.assemble(("warning:", "yellow"), " ", plain(w)))
    colour = "green" if bt.figures and bt.inside == len(bt.figures) else (
        "yellow" if bt.figures and bt.inside >= 0.9 * len(bt.figures) else "red")
    console.print(plain(f"verdict: {bt.verdict}", style=f"bold {colour}"))


def _fit_warnings(bt: Backtest) -> list[str]:
    r = bt.fit
    out = list(r.warnings)
    out += [f"{s.name}: {w}" for s in r.sources for w in s.warnings]
    out += [f"{s.pipeline}.{s.stage}: {w}" for s in r.stages for w in s.warnings
            if not w.startswith("no deal of the data")]
    return out


def _section(bt: Backtest, key: str, title: str, note: str, figures: list[Figure]) -> Section:
    data = rows(bt, figures)
    frame = pl.DataFrame({k: [r[k] for r in data] for k, _ in COLUMNS},
                         schema={k: pl.Utf8 for k, _ in COLUMNS})
    return Section(key, title, note, frame, [_c(k, t) for k, t in COLUMNS])


# ---------------------------------------------------------------------------- plot
MAX_PANELS = 12


def backtest_plot(bt: Backtest) -> MplFigure:
    """One panel per series (a conversion, won, lost, a stage's backlog): the predicted
    mean and 95 % band over every month, the observed months as dots (red outside the
    band), the cut as a dashed line."""
    from matplotlib.figure import Figure as MplFigure

    from ..report.plots import BLUE, GREY, INK, RED

    monthly = [f for f in bt.in_sample + bt.figures if f.month != HOLDOUT]
    series: dict[tuple[str, str, str], list[Figure]] = {}
    for f in monthly:
        series.setdefault((f.kind, f.pipeline, f.subject), []).append(f)
    order = {k: i for i, k in enumerate(KINDS)}
    keys = sorted(series, key=lambda k: (order[k[0]], k[1]))[:MAX_PANELS]
    cols = 3 if len(keys) > 4 else max(1, min(2, len(keys)))
    nrows = max(1, math.ceil(len(keys) / cols))
    fig = MplFigure(figsize=(9.5, 2.6 * nrows + 0.4), layout="constrained")
    if not keys:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, "no figure to compare", ha="center", va="center", color=GREY)
        return fig
    axes = fig.subplots(nrows, cols, squeeze=False)
    months = bt.months
    x_of = {mo: i for i, mo in enumerate(months)}
    many = len(bt.pipelines) > 1
    for ax, key in zip(axes.flat, keys):
        fs = sorted(series[key], key=lambda f: x_of[f.month])
        xs = [x_of[f.month] for f in fs]
        ax.fill_between(xs, [f.low for f in fs], [f.high for f in fs], color=BLUE, alpha=0.18,
                        linewidth=0, label="95 % interval")
        ax.plot(xs, [f.mean for f in fs], color=BLUE, linewidth=1.2, label="predicted")
        ax.scatter(xs, [f.observed for f in fs], s=16, zorder=3, label="observed",
                   color=[INK if f.inside else RED for f in fs])
        ax.axvline(len(bt.fit_months) - 0.5, color=GREY, linestyle="--", linewidth=0.9)
        title = fs[0].label(many) + (", %" if key[0] == "conversion" else "")
        ax.set_title(title if len(title) <= 46 else title[:45] + "…", fontsize=8.5)
        ax.set_xticks(range(len(months)), [mo[2:] for mo in months], fontsize=7,
                      rotation=45)
        ax.tick_params(axis="y", labelsize=7)
        if key[0] != "conversion":
            ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6.5, frameon=False, loc="lower left")
    return fig


# ---------------------------------------------------------------------------- files
def render_backtest_html(bt: Backtest, inputs: list[str]) -> str:
    from matplotlib import rc_context

    from ..report.plots import RC, render
    with rc_context(RC):
        _, svg, warns = render(backtest_plot(bt))
    head = [f"Inputs: {', '.join(inputs)}.", *_head(bt), INTERVAL_TEXT,
            f"Verdict: {bt.verdict}."]
    secs = [
        _section(bt, "backtest", "Predicted against observed (holdout)",
                 "Per month of the holdout and over the whole holdout: conversion of the "
                 "deals that entered the first stage that month (directly, before any loss), "
                 "deals won and lost that month, and deals in each stage at the month end "
                 "(over the holdout: the mean of its month ends).", bt.figures),
        _section(bt, "in_sample", "The fit months (in sample)",
                 "The months the fit saw, compared the same way: a check of the fit itself, "
                 "not counted in the verdict.", bt.in_sample),
    ]
    return render_html("Back-test of the fit", head, secs,
                       [("backtest", "Predicted (band) against observed (dots) by month; "
                         "the dashed line is the cut", svg)],
                       list(warns) + _fit_warnings(bt))


def _figure_json(f: Figure) -> JSONObject:
    dev = f.deviation
    return {"kind": f.kind, "pipeline": f.pipeline, "subject": f.subject or None,
            "month": f.month, "unit": f.unit, "observed": f.observed, "deals": f.deals,
            "predicted": {"mean": f.mean, "sd": f.sd, "low": f.low, "high": f.high,
                          "runs": f.runs},
            "inside": f.inside, "direction": f.direction,
            "deviation_sd": None if dev is None else round(dev, 4)}


def render_backtest_json(bt: Backtest, inputs: list[str]) -> str:
    from .backtest import PER_DRAW

    n = len(bt.figures)
    data = {
        "inputs": inputs, "tz": bt.tz,
        "months": bt.months, "fit_months": bt.fit_months, "holdout_months": bt.holdout_months,
        "cut": bt.cut.isoformat(), "data_start": bt.data_start.isoformat(),
        "data_end": bt.data_end.isoformat(),
        "simulation": {"start_date": bt.start.isoformat(), "days": bt.days, "runs": bt.reps,
                       "draws": bt.draws, "runs_per_draw": PER_DRAW, "seed": bt.seed,
                       "starts": "holdout: at the cut, with the deals open there; fit "
                                 "months: empty, at the first day of the history",
                       "open_at_cut": bt.open_at_cut, "holdout_days": bt.holdout_days,
                       "seconds": round(bt.seconds, 2)},
        "interval": INTERVAL_TEXT,
        "verdict": {"inside": bt.inside, "figures": n,
                    "share": round(bt.inside / n, 4) if n else None, "text": bt.verdict},
        "figures": [_figure_json(f) for f in bt.figures],
        "in_sample": [_figure_json(f) for f in bt.in_sample],
        "fit_warnings": _fit_warnings(bt),
        "notes": bt.notes,
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"
