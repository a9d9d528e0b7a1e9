"""Figures for what-ifs, sweeps and staffing curves: matplotlib with the Agg backend
(no display needed), imported inside the functions so the CLI starts fast. The figures
are written by the one figure saver, `report.figures.save_figure` (PNG and SVG together,
atomically, in its STANDALONE style). Error bars are 95 % confidence intervals.

A client reads these figures: every axis speaks the metric's unit through a
`FuncFormatter` built on `numfmt` (money as the account writes it, `1.38 млрд ₽`; shares
as `12%` or, for differences, `+3 pp`; durations in days, hours or minutes, whichever
the data's size calls for), so matplotlib never shows its offset or scientific labels
(`1e7`, `+1.38e3`). The words of the figures stay in `_TEXT`, translated with the
catalogs into the account's language (`--lang` overrides), as are the metrics' labels,
the axes and the ticks (`labels`)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..i18n import C_, Translator, translator
from ..numfmt import BUSY, COUNT, SHARE, Limits, ends, money_in, num
from ..report.figures import draws_figure
from . import labels

if TYPE_CHECKING:
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

    from ..sim.results import Estimate
    from .compare import Comparison
    from .grid import SweepPoint, VarySpec
    from .metrics import MetricDef
    from .runs import VariantRun
    from .staffing import StaffingResult
    from .targets import Target

__all__ = ["whatif_figure", "sweep_figure", "staffing_figure"]


_TEXT = {
    "suptitle": C_("plot", "scenario − baseline, paired 95% interval (same random numbers)"),
    "suptitle one": C_("plot", "scenario − baseline, one replication: no 95% interval, so no "
                               "change is called better or worse (--reps 2 or more)"),
    "delta": C_("plot", "Δ {label}"),
    "days": C_("plot", "days"), "hours": C_("plot", "hours"),
    "minutes": C_("plot", "minutes"),
    "deals": C_("plot", "deals"),
    "simulated": C_("plot", "simulated (95% interval)"),
    "exact": C_("plot", "exact"),
    "offered load": C_("plot", "offered load"),
    "target": C_("plot", "target: {text}"),
    "answer": C_("plot", "answer: {size}"),
    "size of": C_("plot", "size of {team}"),
    "at": C_("plot", "at {fixed}"),
    "graveyard stages": C_("plot", "graveyard stages"),
    "utilization of": C_("plot", "utilization of {team} (%)"),
    "picked up within": C_("plot", "picked up within {limit} (%)"),
    "gave up waiting": C_("plot", "gave up waiting (%)"),
}
"""Every word the figures show (titles, units, legends), English msgids of the catalogs."""


def _t(tr: Translator | None, key: str) -> str:
    return (tr or translator("en")).pgettext("plot", _TEXT[key])


_HOURS_IN = {"days": 24.0, "hours": 1.0, "minutes": 1.0 / 60.0}


def _duration_unit(span_hours: float) -> str:
    """Days from two days up, minutes under an hour, else hours: the unit in which the
    figures of an axis read as small whole-ish numbers."""
    if span_hours >= 48.0:
        return "days"
    if span_hours < 1.0:
        return "minutes"
    return "hours"


def _span(values: Sequence[float]) -> float:
    finite = [abs(v) for v in values if math.isfinite(v)]
    return max(finite) if finite else 0.0


def _signed(text: str, x: float, signed: bool) -> str:
    return "+" + text if signed and x > 0 else text


def metric_axis(d: MetricDef, values: Sequence[float], *, signed: bool = False,
                tr: Translator | None = None) -> tuple[str, float, Callable[[float], str]]:
    """How an axis shows metric `d` whose values (in display units) are `values`: the
    title's unit suffix, the factor the plotted numbers are divided by, and the tick
    text. `signed`: the axis shows differences (a `+` on gains, percentage points)."""
    loc = tr if tr is not None and tr.lang != "en" else None
    number: Callable[[float], str] = (num if loc is None else
                                      functools.partial(labels.figure, loc))
    if d.money:
        currency, language = d.unit or None, d.language if tr is None else tr.lang
        if loc is not None:
            return "", 1.0, lambda x: _signed(labels.money(loc, x, currency), x, signed)
        return "", 1.0, lambda x: _signed(money_in(x, currency, language), x, signed)
    if d.unit == "%":
        mark = ((" " + loc.pgettext("unit", "pp")) if loc is not None else " pp") \
            if signed else "%"
        return "", 1.0, lambda x: _signed(number(x) + mark, x, signed)
    if d.unit == "h":
        unit = _duration_unit(_span(values))
        return f", {_t(tr, unit)}", _HOURS_IN[unit], lambda x: _signed(number(x), x, signed)
    suffix = (f" ({_t(tr, 'deals')})" if d.unit == "deals" else
              (f" ({d.unit})" if d.unit else ""))
    return suffix, 1.0, lambda x: _signed(number(x), x, signed)


def _ticks(axis: Axis, text: Callable[[float], str]) -> None:
    """Tick labels from `text`: a FuncFormatter has no offset and no scientific form."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda x, _pos: text(0.0 if x == 0 else x)))


def _step_ticks(axis: Axis, text: Callable[[float], str], values: Sequence[float],
                chars: int | None = None) -> None:
    """Ticks over the span of `values`, labelled as the tables write figures (`text`),
    at steps of 1, 2 or 5 of a power of ten, which that writing shows exactly (a step of
    2.5 put a colour bar's tick at 5.475, labelled «5,48%» beside «5,5%», and a what-if
    panel's at «+0,0025 п. п.»), and never two ticks of one label: over a range narrower
    than the figures' last digit only the first tick of each label is kept. `chars`: the
    most characters the labels may take together (a horizontal axis), fewer ticks until
    they fit. The sweep's colour bar and the what-if panels' axes."""
    from matplotlib.ticker import FixedLocator, MaxNLocator

    if not values:
        _ticks(axis, text)
        return
    low, high = min(values), max(values)
    kept: dict[str, float] = {}
    for nbins in (5, 4, 3, 2):
        if low == high:
            locs = [low]
        else:
            locs = [x for x in MaxNLocator(nbins=nbins, steps=[1, 2, 5, 10]).tick_values(low, high)
                    if low - 1e-9 * abs(high - low) <= x <= high + 1e-9 * abs(high - low)]
        kept = {}
        for x in locs:
            kept.setdefault(text(0.0 if x == 0 else x), x)
        if chars is None or sum(map(len, kept)) <= chars:
            break
    axis.set_major_locator(FixedLocator(list(kept.values()) or [low]))
    _ticks(axis, text)


_PANEL_CHARS = 38
"""The characters of tick labels a what-if panel's axis holds without their touching:
«0 ₽ +500 тыс. ₽ +1 млн ₽ +1,5 млн ₽ +2 млн ₽» (40) did not fit, «-20 п. п. … +10 п. п.» (34)
did."""


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@draws_figure
def whatif_figure(base: VariantRun, comparisons: Sequence[Comparison],
                  keys: Sequence[str], defs: dict[str, MetricDef],
                  tr: Translator | None = None) -> Figure:
    """Small multiples: one panel per metric, one bar per scenario (Δ against the
    baseline with its paired 95 % interval), green better / red worse / grey no change."""
    plt = _plt()

    n = len(keys)
    cols = min(3, max(n, 1))
    rows = math.ceil(n / cols) if n else 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.55 * len(comparisons) * rows
                                                  + 1.4 * rows), squeeze=False)
    colours = {"better": "#2e9e5b", "worse": "#d0453a", "changed": "#d9a21b",
               "no change": "#9a9a9a", "identical": "#c8c8c8"}
    names = [c.name for c in comparisons]
    for i, key in enumerate(keys):
        ax = axes[i // cols][i % cols]
        d = defs[key]
        vals, errs, cols_ = [], [], []
        reach: list[float] = []  # what picks a duration's unit: the table's rule
        for c in comparisons:
            delta = c.deltas.get(key)
            if delta is None or delta.diff.mean is None:
                vals.append(0.0)
                errs.append(0.0)
                cols_.append(colours["identical"])
                continue
            vals.append(delta.diff.mean * d.scale)
            errs.append((delta.diff.ci95 or 0.0) * d.scale)
            cols_.append(colours[delta.verdict])
            if delta.baseline.mean is not None:
                # The table's unit (render.fmt_delta): of the larger of the baseline and
                # the changed figure, so a half-hour gain on a six-day cycle reads in days
                # in both; the bar's own size picked hours or minutes.
                was = delta.baseline.mean * d.scale
                reach.append(max(abs(was), abs(was + vals[-1])))
        spans = ([abs(v) + e for v, e in zip(vals, errs)] if d.unit != "h" or not reach
                 else reach)
        suffix, per, text = metric_axis(d, spans, signed=True, tr=tr)
        y = list(range(len(names)))
        ax.barh(y, [v / per for v in vals], xerr=[e / per for e in errs], color=cols_,
                capsize=3)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(names if i % cols == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        if any(v or e for v, e in zip(vals, errs)):
            # Over the panel's span (the bars, their reach and margins), at the colour
            # bar's steps (no «+0,0025 п. п.»), as many as its width holds.
            _step_ticks(ax.xaxis, text, ax.get_xlim(), chars=_PANEL_CHARS)
        else:  # nothing moved: one tick at zero, not a scale of hundredths of a rouble
            ax.set_xticks([0.0])
            _ticks(ax.xaxis, text)
        ax.set_title(_t(tr, "delta").format(label=labels.metric_label(tr or translator("en"), d))
                     + suffix, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    # `--reps 1`: no interval to draw, and no bar coloured better or worse (the table's
    # line under its legend says the same).
    fig.suptitle(_t(tr, "suptitle" if len(base.reps) >= 2 else "suptitle one"), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


@draws_figure
def sweep_figure(points: Sequence[SweepPoint], specs: Sequence[VarySpec],
                 metric: MetricDef, tr: Translator | None = None) -> Figure:
    """One axis: the metric against it with a 95 % band. Two or more: a heat map over
    the first two (further axes at their first value) beside lines of the metric against
    the first axis, one per value of the second."""
    plt = _plt()
    tr = tr or translator("en")

    def axis(spec: VarySpec) -> str:
        return labels.axis_text(tr, spec)

    def at(spec: VarySpec) -> Callable[[float], str]:
        return lambda x: labels.value_text(tr, spec, x)

    def shown(p: SweepPoint) -> tuple[float, float]:
        e = p.estimates.get(metric.key)
        if e is None or e.mean is None:
            return math.nan, 0.0
        return e.mean * metric.scale, (e.ci95 or 0.0) * metric.scale

    suffix, per, text = metric_axis(metric, [abs(m) + h for m, h in map(shown, points)],
                                    tr=tr)

    def value(p: SweepPoint) -> tuple[float, float, float]:
        """The mean and its interval's reach below and above, held at the metric's limits
        (a share within 0–100 %, a count or money not below 0), as the table writes it."""
        m, _h = shown(p)
        below, above = _reach(p.estimates.get(metric.key), metric.limits, metric.scale)
        return m / per, below / per, above / per

    title = labels.metric_label(tr, metric) + suffix
    if len(specs) == 1:
        fig, ax = plt.subplots(figsize=(6, 4))
        xs = [p.values[0] for p in points]
        ys = [value(p) for p in points]
        m = [y for y, _, _ in ys]
        ax.plot(xs, m, marker="o")
        ax.fill_between(xs, [y - lo for y, lo, _ in ys], [y + hi for y, _, hi in ys],
                        alpha=0.25)
        ax.set_xlabel(axis(specs[0]))
        if len(xs) <= 15:
            ax.set_xticks(xs)
            ax.set_xticklabels([at(specs[0])(x) for x in xs], fontsize=8)
        else:
            _ticks(ax.xaxis, at(specs[0]))
        _ticks(ax.yaxis, text)
        ax.set_ylabel(title)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        return fig
    first = {k: p for k, p in ((tuple(p.values[2:]), p) for p in points)}
    rest = next(iter(first))  # the first value of every further axis
    sub = [p for p in points if tuple(p.values[2:]) == rest]
    xv = sorted({p.values[0] for p in sub})
    yv = sorted({p.values[1] for p in sub})
    grid = [[math.nan] * len(xv) for _ in yv]
    for p in sub:
        grid[yv.index(p.values[1])][xv.index(p.values[0])] = value(p)[0]
    fig, (hm, ln) = plt.subplots(1, 2, figsize=(12, 4.5))
    im = hm.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    hm.set_xticks(range(len(xv)))
    hm.set_xticklabels([at(specs[0])(x) for x in xv], fontsize=8)
    hm.set_yticks(range(len(yv)))
    hm.set_yticklabels([at(specs[1])(y) for y in yv], fontsize=8)
    hm.set_xlabel(axis(specs[0]))
    hm.set_ylabel(axis(specs[1]))
    finite = [v for row in grid for v in row if not math.isnan(v)]
    mid = (min(finite) + max(finite)) / 2 if finite else 0.0
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if not math.isnan(v):  # dark text on the light (yellow) end of viridis
                hm.text(c, r, text(v), ha="center", va="center", fontsize=7,
                        color="black" if v > mid else "white")
    bar = fig.colorbar(im, ax=hm)
    _step_ticks(bar.ax.yaxis, text, finite)
    # Named above the map: a colour bar's own label lands on long money ticks.
    hm.set_title(title, fontsize=10)
    for y in yv:
        line = sorted((p for p in sub if p.values[1] == y), key=lambda p: p.values[0])
        xs = [p.values[0] for p in line]
        vals = [value(p) for p in line]
        ln.errorbar(xs, [v for v, _, _ in vals],
                    yerr=[[lo for _, lo, _ in vals], [hi for _, _, hi in vals]], marker="o",
                    capsize=3, label=at(specs[1])(y))
    ln.set_xlabel(axis(specs[0]))
    ln.set_xticks(xv)
    ln.set_xticklabels([at(specs[0])(x) for x in xv], fontsize=8)
    _ticks(ln.yaxis, text)
    ln.set_ylabel(title)
    ln.grid(alpha=0.3)
    # Outside the axes, right of them: `loc="best"` weighs the lines' points, not their
    # error bars, and a Ukrainian revenue plot's legend sat on a bar and a line.
    ln.legend(fontsize=7, title=axis(specs[1]), title_fontsize=7, loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    if len(specs) > 2:
        fixed = ", ".join(f"{axis(s)} = {at(s)(v)}" for s, v in zip(specs[2:], rest))
        fig.suptitle(_t(tr, "at").format(fixed=fixed), fontsize=9)
    fig.tight_layout()
    return fig


def _target_label(t: Target, team: str, tr: Translator | None) -> tuple[str, bool]:
    """What a target's axis measures, and whether its figures are percentages (the ticks
    then say `%` themselves, so the `(%)` of the label is dropped)."""
    if tr is None:
        label = t.metric_label  # as typed: `picked up within 15m (%)`
    elif t.kind == "graveyard":
        label = _t(tr, "graveyard stages")
    elif t.kind == "utilization":
        label = _t(tr, "utilization of").format(team=team)
    elif t.kind == "respond":
        label = _t(tr, "picked up within").format(limit=tr.hours(t.hours))
    else:
        label = _t(tr, "gave up waiting")
    if label.endswith(" (%)"):
        return label[:-4], True
    return label, False


def _reach(e: Estimate | None, limits: Limits, scale: float) -> tuple[float, float]:
    """How far an estimate's 95 % interval reaches below and above its mean, in display
    units, held at the figure's natural limits (`numfmt.ends`): a band or error bar of a
    share or a count never crosses 0 (with 2 replications a sweep's conversion band went
    down to -16 %)."""
    if e is None or e.mean is None or not e.ci95:
        return 0.0, 0.0
    lo, hi = ends(e.mean, e.ci95, *limits) or (e.mean - e.ci95, e.mean + e.ci95)
    return (e.mean - lo) * scale, (hi - e.mean) * scale


@draws_figure
def staffing_figure(result: StaffingResult, tr: Translator | None = None) -> Figure:
    """One panel per target: the simulated metric against team size (95 % error bars),
    the exact (Erlang) curve where it applies, the target line and the answer.

    Only what is known is drawn between sizes: the simulated points are joined where
    the sizes are neighbours, never across sizes the search skipped (`--from-size 1`
    simulates 1, 2, 4, 8, 9: a line from 4 to 8 drew values nobody measured), and the
    exact curve, a closed form, is computed at every size of the range rather than
    joined straight between the simulated ones (Erlang C's 83.4% at 7 members read 70%
    off the line from 4 to 8). A utilization target's is the offered load, drawn where it
    is a busy share a team can have (at most 100%: beyond, the team cannot keep up, and
    1 member's 500% set the axis)."""
    from .staffing_exact import exact_value

    plt = _plt()
    number: Callable[[float], str] = (functools.partial(labels.figure, tr)
                                      if tr is not None and tr.lang != "en" else num)
    targets = result.targets
    fig, axes = plt.subplots(1, len(targets), figsize=(5.2 * len(targets), 4), squeeze=False)
    sizes = [pt.size for pt in result.curve]
    for i, target in enumerate(targets):
        ax = axes[0][i]
        ys, below, above = [], [], []
        limits = (COUNT if target.kind == "graveyard" else BUSY if target.kind == "utilization"
                  else SHARE)
        for pt in result.curve:
            e = pt.estimates[i]
            ys.append(math.nan if e.mean is None else e.mean * target.scale)
            lo, hi = _reach(e, limits, target.scale)
            below.append(lo)
            above.append(hi)
        bars = ax.errorbar(sizes, ys, yerr=[below, above], marker="o", capsize=3,
                           linestyle="none", label=_t(tr, "simulated"))
        color = bars.lines[0].get_color()
        k = 0
        while k < len(sizes):
            j = k
            while j + 1 < len(sizes) and sizes[j + 1] == sizes[j] + 1:
                j += 1
            if j > k:
                ax.plot(sizes[k:j + 1], ys[k:j + 1], color=color)
            k = j + 1
        spec = result.start.curve[i] if i < len(result.start.curve) else None
        exact: list[tuple[int, float]] = []
        if spec is not None and sizes:
            for c in range(min(sizes), max(sizes) + 1):
                x = exact_value(spec, c, result.start.busy, result.start.week)
                if x is not None and (target.kind != "utilization" or x <= 1.0 + 1e-12):
                    exact.append((c, x * target.scale))
        if exact:
            ax.plot([s for s, _ in exact], [v for _, v in exact], "k--",
                    linewidth=1, label=_t(tr, "offered load") if target.kind == "utilization"
                    else result.exact_model or _t(tr, "exact"))
        ax.axhline(target.threshold * target.scale, color="#d0453a", linewidth=1,
                   label=_t(tr, "target").format(
                       text=labels.target_text(tr or translator("en"), target)))
        if result.answer is not None:
            ax.axvline(result.answer, color="#2e9e5b", linewidth=1,
                       label=_t(tr, "answer").format(size=result.answer))
        ax.set_xlabel(_t(tr, "size of").format(team=result.team))
        label, share = _target_label(target, result.team, tr)
        ax.set_ylabel(label)
        _ticks(ax.yaxis, (lambda x: number(x) + "%") if share else number)
        ax.set_xticks(sizes)
        _ticks(ax.xaxis, lambda x: f"{x:.0f}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
