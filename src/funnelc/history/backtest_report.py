"""`funnelc fit --backtest` output: the comparison as a rich table in the terminal, one
self-contained HTML page (the history report's layout, with a plot of every series:
observed months against the predicted band, the cut marked) and a JSON document.

Rows are built once (`rows`) and every renderer formats the same cells, so the terminal,
the HTML and the JSON cannot disagree.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
from datetime import UTC
from typing import TYPE_CHECKING

import polars as pl

from ..i18n import N_, Translator, choose, translator
from ..i18n.moment import moment
from ..i18n.note import say
from ..i18n.words import route_label_text
from .backtest import HOLDOUT, KINDS, Backtest, Figure
from .month_words import said, said_in, tick
from .report import Section, _c, render_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure
    from rich.console import Console

    from ..jsontypes import JSONObject

__all__ = ["print_backtest", "render_backtest_html", "render_backtest_json", "INTERVAL_TEXT",
           "backtest_plot", "said"]

INTERVAL_TEXT = N_(
    "95% prediction interval over the simulation runs: mean ± t(0.975, n−1)·sd·√(1 + 1/n), "
    "the range one more history of the fitted process falls in; every run simulates its own "
    "draw of the fitted numbers from their sampling uncertainty (shares resampled, rates from "
    "their Poisson posterior, delay means within their interval), so the band carries what "
    "the fit months cannot pin down as well as the process's own noise.")


class _Words:
    """The back-test's words in the output's language (the account's `language`,
    `--lang` overrides); English keeps what it always printed. JSON stays English."""

    def __init__(self, language: str | None) -> None:
        self.tr: Translator = translator(choose(language))
        self._ = self.tr.gettext
        self.english = self.tr.lang == "en"

    def fixed(self, x: float, digits: int) -> str:
        """`x` with `digits` decimals and the language's separators."""
        if self.english:
            return f"{x:.{digits}f}" if digits else f"{x:,.0f}"
        from babel.numbers import format_decimal

        from ..i18n import wide_decimals

        with wide_decimals():
            return format_decimal(x, format="#,##0" + ("." + "0" * digits if digits else ""),
                                  locale=self.tr.locale)

    def say(self, note: str) -> str:
        """A note of the fit (a way out named as the funnel writes it, `lost "X"`) in the
        language, its way out in words as `fit` says it («отказ «X»»)."""
        if self.english:
            return note
        return say(note, self.tr, functools.partial(route_label_text, self.tr))


@functools.cache
def _english() -> _Words:
    """The English words, made once (the default of every render)."""
    return _Words("en")


def _value(f: Figure, x: float, w: _Words) -> str:
    if f.kind == "conversion":
        return w.fixed(x, 1) + "%"
    if f.kind == "backlog" and f.month == HOLDOUT:
        return w.fixed(x, 1)
    return w.fixed(x, 0)


def _interval(f: Figure, w: _Words) -> str:
    """The band as the counts it holds: a month's deals won, lost or in a stage are
    whole, so the bounds are the first and last whole numbers inside. Rounded to the
    nearest, «38 – 44» was printed beside an observed 38 marked «below» (the band began
    at 38.4: Прогрев's losses in the school's September)."""
    if f.kind == "conversion" or (f.kind == "backlog" and f.month == HOLDOUT):
        return f"{_value(f, f.low, w)} – {_value(f, f.high, w)}"
    low, high = math.ceil(f.low - 1e-9), math.floor(f.high + 1e-9)
    if low > high:  # no whole number inside: the band between two counts
        return f"{w.fixed(f.low, 1)} – {w.fixed(f.high, 1)}"
    return f"{w.fixed(low, 0)} – {w.fixed(high, 0)}"


def _month(f: Figure, bt: Backtest, w: _Words) -> str:
    """The table's month cell: «сентябрь 2026», «контроль: сентябрь–октябрь 2026»
    (English keeps the ISO months its tables always showed)."""
    if f.month != HOLDOUT:
        return said([f.month], w.tr)
    return w._("holdout {month}").format(month=said(bt.holdout_months, w.tr))


def _mark(f: Figure, w: _Words) -> str:
    if f.inside:
        return w._("✓ inside")
    return w._("✗ above") if f.direction == "above" else w._("✗ below")


def label(f: Figure, many: bool, w: _Words | None = None) -> str:
    """A figure's name (`Figure.label`) in the language: `conversion Stage`, `won`."""
    w = w if w is not None else _english()
    if w.english:
        return f.label(many)
    _ = w._
    # Stages in the language's quotes, as every other line names them («Заявка»).
    if f.kind == "conversion":
        text = _("conversion {stage}").format(
            stage=" → ".join(w.tr.quote(x) for x in f.subject.split(" → ")))
    elif f.kind == "backlog":
        text = _("backlog {stage}").format(stage=w.tr.quote(f.subject))
    else:
        text = _("won deals") if f.kind == "won" else _("lost deals") if f.kind == "lost" \
            else f.kind
    return _("{pipeline}: {figure}").format(pipeline=f.pipeline, figure=text) if many else text


def verdict(bt: Backtest, w: _Words) -> str:
    """`Backtest.verdict` in the language, from its counts."""
    if w.english:
        return bt.verdict
    _ = w._
    n = len(bt.figures)
    if n == 0:
        return _("no figure to compare: the holdout has no deals")
    text = w.tr.ngettext("{inside} of {n} figure inside the 95% interval",
                         "{inside} of {n} figures inside the 95% interval", n).format(
        inside=bt.inside, n=n)
    out = [f for f in bt.figures if not f.inside]
    if out:
        worst = max(out, key=lambda f: abs(f.deviation or math.inf))
        # «в контроль 2026-09 – 2026-10» put the holdout's label where a month goes.
        where = _("; furthest out: {figure} over the holdout {months} ({direction})") \
            if worst.month == HOLDOUT else _("; furthest out: {figure} in {month} ({direction})")
        text += where.format(
            figure=label(worst, len(bt.pipelines) > 1, w), month=said_in(worst.month, w.tr),
            months=said(bt.holdout_months, w.tr),
            direction=_("above") if worst.direction == "above" else _("below"))
    return text


def rows(bt: Backtest, figures: list[Figure], w: _Words | None = None) -> list[dict[str, str]]:
    w = w if w is not None else _english()
    many = len(bt.pipelines) > 1
    out = []
    for f in figures:
        obs = _value(f, f.observed, w)
        if f.kind == "conversion" and f.deals is not None:
            obs = w._("{value} of {deals}").format(value=obs, deals=w.fixed(f.deals, 0))
        dev = f.deviation
        out.append({
            "month": _month(f, bt, w), "figure": label(f, many, w), "observed": obs,
            "predicted": _value(f, f.mean, w),
            "interval": _interval(f, w),
            "verdict": _mark(f, w), "sd": "—" if dev is None else (
                f"{dev:+.1f}" if w.english else ("+" if dev > 0 else "") + w.fixed(dev, 1))})
    return out


COLUMNS = (("month", N_("month")), ("figure", N_("figure")), ("observed", N_("observed")),
           ("predicted", N_("predicted")), ("interval", N_("95% interval")),
           ("verdict", N_("observed is")), ("sd", N_("sd off")))


def _head(bt: Backtest, w: _Words) -> list[str]:
    fit = bt.fit_prep.tables
    _ = w._
    ngettext = w.tr.ngettext
    # Each count with its noun (ngettext): «місяців: 5, угод: 1 234» wrote around the
    # plural where a client reads «5 місяців, 1 234 угоди».
    return [
        _("fitted on {fitted} ({months}, {deals}, {events}; cut {cut} UTC), compared on "
          "{compared} ({holdout}; months in {tz})").format(
            fitted=said(bt.fit_months, w.tr), compared=said(bt.holdout_months, w.tr),
            months=ngettext("{n} month", "{n} months", len(bt.fit_months)).format(
                n=len(bt.fit_months)),
            deals=ngettext("{n} deal", "{n} deals", fit.deals).format(n=w.fixed(fit.deals, 0)),
            events=ngettext("{n} event", "{n} events", fit.events).format(n=w.fixed(fit.events, 0)),
            cut=moment(w.tr, bt.cut.astimezone(UTC)),
            holdout=ngettext("{n} month", "{n} months", len(bt.holdout_months)).format(
                n=len(bt.holdout_months)), tz=bt.tz),
        _("{runs} (each with its own draw of the fitted numbers), seed {seed}: the holdout "
          "from the cut ({open}) for {days}, the fit months from {start}, empty; cut at the "
          "history's last event {end} UTC; {seconds} s").format(
            runs=ngettext("{n} simulation run", "{n} simulation runs", bt.reps).format(n=bt.reps),
            seed=bt.seed,
            open=ngettext("{n} open deal", "{n} open deals", bt.open_at_cut).format(
                n=w.fixed(bt.open_at_cut, 0)),
            days=ngettext("{n} day", "{n} days", bt.holdout_days).format(n=bt.holdout_days),
            start=w.tr.day(bt.start), end=moment(w.tr, bt.data_end.astimezone(UTC)),
            seconds=w.fixed(bt.seconds, 1)),
        *(w.say(n) for n in bt.notes),
    ]


def print_backtest(bt: Backtest, console: Console, language: str | None = None) -> None:
    """Figure labels carry CRM names: every cell is `termtext.plain`, never markup. In
    `language` (the account's; `--lang` overrides it)."""
    from rich.table import Table
    from rich.text import Text

    from ..termtext import plain
    w = _Words(language)
    _ = w._
    for line in _head(bt, w):
        console.print(plain(line))
    table = Table(title=_("Back-test: predicted against observed"), title_justify="left")
    for key, title in COLUMNS:
        table.add_column(_(title), justify="right" if key in ("observed", "predicted",
                                                               "interval", "sd") else "left",
                         overflow="fold")
    last = None
    for f, r in zip(bt.figures, rows(bt, bt.figures, w)):
        if last is not None and f.month != last:
            table.add_section()
        last = f.month
        style = None if f.inside else "bold red"
        table.add_row(*(plain(r[k]) for k, _t in COLUMNS), style=style)
    if not bt.figures:
        table.add_row(_("(none)"), *[""] * (len(COLUMNS) - 1))
    console.print(table)
    console.print(plain(_(INTERVAL_TEXT), style="dim"))
    for warning in _fit_warnings(bt, w):
        console.print(Text.assemble((_("warning:"), "yellow"), " ", plain(warning)))
    colour = "green" if bt.figures and bt.inside == len(bt.figures) else (
        "yellow" if bt.figures and bt.inside >= 0.9 * len(bt.figures) else "red")
    console.print(plain(_("verdict: {verdict}").format(verdict=verdict(bt, w)),
                        style=f"bold {colour}"))


def _fit_warnings(bt: Backtest, w: _Words | None = None) -> list[str]:
    w = w if w is not None else _english()
    from .fit_report import warning_lines

    return warning_lines(bt.fit, w.say, w.tr)


def _section(bt: Backtest, key: str, title: str, note: str, figures: list[Figure],
             w: _Words) -> Section:
    data = rows(bt, figures, w)
    frame = pl.DataFrame({k: [r[k] for r in data] for k, _t in COLUMNS},
                         schema={k: pl.Utf8 for k, _t in COLUMNS})
    return Section(key, title, note, frame, [_c(k, w._(t)) for k, t in COLUMNS])


# ---------------------------------------------------------------------------- plot
MAX_PANELS = 12


def backtest_plot(bt: Backtest, w: _Words | None = None) -> MplFigure:
    """One panel per series (a conversion, won, lost, a stage's backlog): the predicted
    mean and 95 % band over every month, the observed months as dots (red outside the
    band), the cut as a dashed line."""
    from matplotlib.figure import Figure as MplFigure

    from ..report.plots import BLUE, GREY, INK, RED

    w = w if w is not None else _english()
    _ = w._
    monthly = [f for f in bt.in_sample + bt.figures if f.month != HOLDOUT]
    series: dict[tuple[str, str, str], list[Figure]] = {}
    for f in monthly:
        series.setdefault((f.kind, f.pipeline, f.subject), []).append(f)
    order = {k: i for i, k in enumerate(KINDS)}
    rank = {p: i for i, p in enumerate(bt.pipelines)}
    keys = sorted(series, key=lambda k: (order[k[0]], rank.get(k[1], len(rank))))[:MAX_PANELS]
    cols = 3 if len(keys) > 4 else max(1, min(2, len(keys)))
    nrows = max(1, math.ceil(len(keys) / cols))
    fig = MplFigure(figsize=(9.5, 2.6 * nrows + 0.4), layout="constrained")
    if not keys:
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, _("no figure to compare"), ha="center", va="center", color=GREY)
        return fig
    axes = fig.subplots(nrows, cols, squeeze=False)
    months = bt.months
    x_of = {mo: i for i, mo in enumerate(months)}
    many = len(bt.pipelines) > 1
    for ax, key in zip(axes.flat, keys):
        fs = sorted(series[key], key=lambda f: x_of[f.month])
        xs = [x_of[f.month] for f in fs]
        ax.fill_between(xs, [f.low for f in fs], [f.high for f in fs], color=BLUE, alpha=0.18,
                        linewidth=0, label=_("95% interval"))
        ax.plot(xs, [f.mean for f in fs], color=BLUE, linewidth=1.2, label=_("predicted"))
        ax.scatter(xs, [f.observed for f in fs], s=16, zorder=3, label=_("observed"),
                   color=[INK if f.inside else RED for f in fs])
        ax.axvline(len(bt.fit_months) - 0.5, color=GREY, linestyle="--", linewidth=0.9)
        title = label(fs[0], many, w) + (", %" if key[0] == "conversion" else "")
        # Two lines of at most 34 characters: one line of 46 ran into the next panel's
        # title at three panels a row («…Квалификация, %Продажи: конверси…»).
        lines = textwrap.wrap(title, 34)
        ax.set_title("\n".join(lines[:2]) + ("…" if len(lines) > 2 else ""), fontsize=8.5)
        # The whole label: «26-07» read as the 26th of July.
        ax.set_xticks(range(len(months)), [tick(m, w.tr) for m in months], fontsize=7,
                      rotation=45)
        ax.tick_params(axis="y", labelsize=7)
        if key[0] != "conversion":
            ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    # In the figure's margin above the panels, at the left (constrained layout makes room
    # for it), as the history plots' legends: inside the first panel it lay on the
    # school's dots, and centred under the panels a phone showed its first third.
    fig.legend(*axes.flat[0].get_legend_handles_labels(), fontsize=7.5, frameon=False,
               loc="outside upper left", ncols=3)
    return fig


# ---------------------------------------------------------------------------- files
def render_backtest_html(bt: Backtest, inputs: list[str], language: str | None = None) -> str:
    """The page in `language` (the account's; `--lang` overrides it)."""
    from matplotlib import rc_context

    from ..report.figures import REPORT, render_svg
    from ..report.plots import RC
    w = _Words(language)
    _ = w._
    with rc_context(RC):
        # The page inlines the SVG; no PNG is drawn for it.
        drawn = render_svg(backtest_plot(bt, w), REPORT)
    svg, warns = drawn.svg, drawn.warnings
    head = [_("Inputs: {inputs}.").format(inputs=", ".join(inputs)), *_head(bt, w),
            _(INTERVAL_TEXT), _("Verdict: {verdict}.").format(verdict=verdict(bt, w))]
    secs = [
        _section(bt, "backtest", _("Predicted against observed (holdout)"),
                 _("Per month of the holdout and over the whole holdout: conversion of the "
                   "deals that entered the first stage that month (directly, before any loss), "
                   "deals won and lost that month, and deals in each stage at the month end "
                   "(over the holdout: the mean of its month ends)."), bt.figures, w),
        _section(bt, "in_sample", _("The fit months (in sample)"),
                 _("The months the fit saw, compared the same way: a check of the fit itself, "
                   "not counted in the verdict."), bt.in_sample, w),
    ]
    return render_html(_("Back-test of the fit"), head, secs,
                       [("backtest", _("Predicted (band) against observed (dots) by month; "
                                       "the dashed line is the cut"), svg)],
                       list(warns) + _fit_warnings(bt, w), tr=w.tr)


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
