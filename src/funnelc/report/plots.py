"""The report's four plots, each drawn from the tidy tables of `report.data` (never the
engine) and saved as PNG and SVG:

* `funnel`: deals entering each stage per pipeline (simulated mean with its 95 % CI),
  the exact maths' expected count as a marker, graveyards in red;
* `backlog`: deals in each stage at the end of each day, mean and CI band across
  replications, graveyard panels red and captioned with the verdict;
* `utilization`: each team's busy share of its working hours with CI, the 100 % line and
  the exact offered load;
* `time_in_stage`: median, mean (with CI) and 90th percentile per stage, log scale when
  the stages differ by orders of magnitude.

matplotlib is imported inside the functions (the CLI must not pay for it elsewhere), and
figures are plain `Figure` objects rendered by the Agg canvas: no pyplot, no global
backend, no figure left open. Text is drawn as paths with DejaVu Sans (shipped with
matplotlib, Cyrillic included), so the SVGs need no font and render alike everywhere.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..i18n import C_, Translator, choose, translator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .data import ReportData

__all__ = ["Plot", "PLOTS", "draw_all", "funnel_plot", "backlog_plot", "utilization_plot",
           "time_in_stage_plot", "render"]

BLUE = "#4c72b0"
RED = "#c44e52"
GREEN = "#55a868"
GREY = "#8c8c8c"
INK = "#222222"

MAX_FUNNEL_PIPELINES = 8
MAX_FUNNEL_STAGES = 40
MAX_BACKLOG_PANELS = 24
MAX_TIME_ROWS = 60
MAX_TEAMS = 40

RC: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",
    "axes.unicode_minus": True,
}


@dataclass
class Plot:
    name: str
    title: str
    png: bytes
    svg: str
    warnings: list[str] = field(default_factory=list)
    """Drawing warnings (e.g. a character the font lacks), for the command to print."""


def _label(text: str, width: int = 38) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _tr(data: ReportData) -> Translator:
    """The plots speak the account's language (`--lang` overrides; `funnelc.i18n`)."""
    money = data.result.money
    return translator(choose(money.language if money is not None else None))


def _empty(fig: Figure, message: str) -> Figure:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", color=GREY)
    return fig


def _xerr(low: float | None, mean: float, high: float | None) -> tuple[float, float]:
    if low is None or high is None:
        return 0.0, 0.0
    return max(mean - low, 0.0), max(high - mean, 0.0)


# ----------------------------------------------------------------------- funnel


def funnel_plot(data: ReportData) -> Figure:
    """Bars of deals entering each stage, one panel per pipeline, ending with `won`."""
    pipelines = data.pipelines[:MAX_FUNNEL_PIPELINES]
    rows_per = [min(len(data.stages_of(p)), MAX_FUNNEL_STAGES) + 1 for p in pipelines]
    height = sum(0.32 * n + 0.9 for n in rows_per) + 0.6
    fig = _new_figure(9.5, max(height, 2.5))
    tr = _tr(data)
    _ = tr.gettext
    if not pipelines:
        return _empty(fig, _("no pipelines"))
    axes = fig.subplots(len(pipelines), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [max(n, 2) for n in rows_per]})[:, 0]
    observed = data.result.run.observed_hours / 24.0
    for ax, pipe in zip(axes, pipelines):
        stages = data.stages_of(pipe)
        shown = stages[:MAX_FUNNEL_STAGES]
        labels, means, errs, exact, colors = [], [], [], [], []
        for s in shown:
            mean = data.stage_value(pipe, s, "entered_deals", "mean") or 0.0
            means.append(mean)
            errs.append(_xerr(data.stage_value(pipe, s, "entered_deals", "ci95_low"), mean,
                              data.stage_value(pipe, s, "entered_deals", "ci95_high")))
            exact.append(data.stage_value(pipe, s, "entered_deals", "exact"))
            grave = data.is_graveyard(pipe, s)
            colors.append(RED if grave else BLUE)
            labels.append(_label(s) + ("  ⚠" if grave else ""))
        won = data.pipeline_value(pipe, "won_deals", "mean") or 0.0
        means.append(won)
        errs.append(_xerr(data.pipeline_value(pipe, "won_deals", "ci95_low"), won,
                          data.pipeline_value(pipe, "won_deals", "ci95_high")))
        exact.append(data.pipeline_value(pipe, "won_deals", "exact"))
        colors.append(GREEN)
        labels.append(_("won"))
        y = list(range(len(means)))
        ax.barh(y, means, color=colors, height=0.65,
                xerr=[[e[0] for e in errs], [e[1] for e in errs]],
                error_kw={"ecolor": INK, "capsize": 3, "elinewidth": 1})
        ex_y = [yy for yy, v in zip(y, exact) if v is not None]
        ex_v = [v for v in exact if v is not None]
        ax.scatter(ex_v, ex_y, marker="D", s=28, color="white", edgecolors=INK, zorder=3,
                   linewidths=1.2)
        top = max([m + e[1] for m, e in zip(means, errs)] + ex_v + [1.0])
        for yy, m, e, x in zip(y, means, errs, exact):
            if m >= 0.15 * top:  # inside the bar, at its start: clear of CI and marker
                ax.text(top * 0.01, yy, tr.sig(m), va="center", ha="left",
                        fontsize=8, color="white", fontweight="bold")
            else:  # just past the CI; past the marker only when it would sit on the text
                right = m + e[1]
                if x is not None and right <= x <= right + top * 0.08:
                    right = x
                ax.text(right + top * 0.02, yy, tr.sig(m), va="center", ha="left", fontsize=8,
                        color=INK)
        ax.set_yticks(y, labels)
        for tick, color in zip(ax.get_yticklabels(), colors):
            if color == RED:
                tick.set_color(RED)
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.12)
        conv = data.pipeline_value(pipe, "conversion", "mean")
        more = "  " + _("(first {n} of {total} stages)").format(
            n=MAX_FUNNEL_STAGES, total=len(stages)) if len(stages) > MAX_FUNNEL_STAGES else ""
        conv_ex = data.pipeline_value(pipe, "conversion", "exact")
        exact_text = " " + _("(exact {share})").format(share=tr.pct(conv_ex)) \
            if conv_ex is not None else ""
        if pipe == pipelines[0] and len(data.pipelines) > len(pipelines):
            more += "  · " + _("first {n} of {total} pipelines shown").format(
                n=len(pipelines), total=len(data.pipelines))
        ax.set_title(_("{pipeline}: conversion {share}").format(pipeline=pipe,
                                                                 share=tr.pct(conv))
                     + exact_text + more, loc="left")
        ax.set_xlabel(_("deals entering over the {days} observed").format(
            days=tr.duration(round(observed, 1), "day")))
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    one_run = data.result.run.reps < 2  # no interval to draw: the legend names none
    handles = [Patch(color=BLUE, label=_("simulated (one replication)") if one_run
                     else _("simulated mean (95% CI)")),
               Patch(color=RED, label=_("graveyard stage")), Patch(color=GREEN, label=_("won")),
               Line2D([], [], marker="D", ls="", color="white", markeredgecolor=INK,
                      label=_("exact maths (steady state)"))]
    fig.legend(handles=handles, loc="outside upper center", fontsize=8, frameon=False,
               ncol=4)
    return fig


# ----------------------------------------------------------------------- backlog


def _backlog_panels(data: ReportData) -> list[tuple[str, str]]:
    """Graveyards first, then the other stages in file order, up to the panel limit."""
    stages = [(s.pipeline, s.stage) for s in data.result.stages]
    graves = [k for k in stages if data.is_graveyard(*k)]
    rest = [k for k in stages if k not in graves]
    if len(graves) + len(rest) > MAX_BACKLOG_PANELS:
        rest.sort(key=lambda k: -(data.stage_value(k[0], k[1], "wip_time_average_deals", "mean")
                                  or 0.0))
        rest = rest[: max(MAX_BACKLOG_PANELS - len(graves), 0)]
        keep = set(rest)
        rest = [k for k in stages if k in keep]
    return (graves + rest)[:MAX_BACKLOG_PANELS]


def _reasons(data: ReportData, pipe: str, stage: str, tr: Translator) -> str:
    """Why the stage is a graveyard, in the plot's language: the verdicts' own figures
    (`sim.verdicts`), the sentences from the catalogs (`sim.verdict_words`)."""
    from ..sim.verdict_words import reasons_text

    st = next((s for s in data.result.stages if s.pipeline == pipe and s.stage == stage), None)
    if st is None:
        return " ".join(v.message + "." for v in data.reasons(pipe, stage))
    return reasons_text(tr, st)


def backlog_plot(data: ReportData) -> Figure:
    """Small multiples: one panel per stage, each with its own scale."""
    panels = _backlog_panels(data)
    ncols = min(3, max(len(panels), 1))
    nrows = max(math.ceil(len(panels) / ncols), 1)
    fig = _new_figure(3.7 * ncols + 0.4, 2.7 * nrows + 0.7)
    tr = _tr(data)
    _ = tr.gettext
    if not panels:
        return _empty(fig, _("no stages"))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    reps = data.result.run.reps
    total = len(data.result.stages)
    if reps > 1:
        title = tr.ngettext(
            "Deals in each stage at the end of each day (mean of {n} replication, 95% CI "
            "band; day 1 = {date})",
            "Deals in each stage at the end of each day (mean of {n} replications, 95% CI "
            "band; day 1 = {date})", reps)
    else:
        title = _("Deals in each stage at the end of each day (one replication, no CI band; "
                  "day 1 = {date})")
    title = title.format(n=reps, date=tr.date(data.result.run.start_date))
    if total > len(panels):
        title += "; " + _("{n} of {total} stages, graveyards first").format(n=len(panels),
                                                                              total=total)
    fig.suptitle(title, fontsize=10)
    for i, ax in enumerate(axes.flat):
        if i >= len(panels):
            ax.axis("off")
            continue
        pipe, stage = panels[i]
        rows = data.backlog_of(pipe, stage)
        grave = data.is_graveyard(pipe, stage)
        color = RED if grave else BLUE
        days = [r.day for r in rows]
        ax.fill_between(days, [r.wip_ci95_low for r in rows], [r.wip_ci95_high for r in rows],
                        color=color, alpha=0.22, linewidth=0)
        one_day = bool(days) and days[-1] == days[0]
        # A one-day run has one point: drawn as a dot on its day, the axis a day wide
        # around it (the same low and high limit printed matplotlib's «identical low and
        # high xlims» warning to the user, and a line of one point draws nothing).
        ax.plot(days, [r.wip_mean for r in rows], color=color, linewidth=1.4,
                **({"marker": "o", "markersize": 4} if one_day else {}))
        ax.set_ylim(bottom=0)
        if one_day:
            ax.set_xlim(days[0] - 0.5, days[0] + 0.5)
            ax.set_xticks([days[0]])
        elif days:
            ax.set_xlim(days[0], days[-1])
        title = _wrap(f"{pipe} › {stage}", 40)
        if grave:
            ax.set_facecolor("#fdf1f1")
            ax.set_title(_("GRAVEYARD: {stage}").format(stage=title), color=RED, fontsize=9,
                         loc="left",
                         fontweight="bold")
            reasons = _reasons(data, pipe, stage, tr)
            ax.set_xlabel(_wrap(reasons, 62), color=RED, fontsize=7, loc="left")
            for side in ("left", "bottom"):
                ax.spines[side].set_color(RED)
        else:
            ax.set_title(title, fontsize=9, loc="left")
            ax.set_xlabel(_("day"), fontsize=8)
        ax.tick_params(labelsize=7)
        if i % ncols == 0:
            ax.set_ylabel(_("deals"), fontsize=8)
    return fig


# ----------------------------------------------------------------------- utilization


def utilization_plot(data: ReportData) -> Figure:
    teams = [t for t in data.result.teams][:MAX_TEAMS]
    fig = _new_figure(8.5, 0.45 * len(teams) + 1.6)
    tr = _tr(data)
    _ = tr.gettext
    if not teams:
        return _empty(fig, _("no teams"))
    ax = fig.add_subplot()
    names, means, errs, rho, colors = [], [], [], [], []
    for t in teams:
        m = data.team_value(t.team, "utilization", "mean")
        mean = (m or 0.0) * 100
        low = data.team_value(t.team, "utilization", "ci95_low")
        high = data.team_value(t.team, "utilization", "ci95_high")
        means.append(mean)
        errs.append(_xerr(None if low is None else low * 100, mean,
                          None if high is None else high * 100))
        r = data.team_value(t.team, "offered_load_rho", "exact")
        rho.append(None if r is None else r * 100)
        colors.append(RED if t.unstable else BLUE)
        names.append(_label(t.team, 30) + f" ({t.size})" + ("  ⚠" if t.unstable else ""))
    y = list(range(len(teams)))
    ax.barh(y, means, color=colors, height=0.6,
            xerr=[[e[0] for e in errs], [e[1] for e in errs]],
            error_kw={"ecolor": INK, "capsize": 3, "elinewidth": 1})
    rho_y = [yy for yy, v in zip(y, rho) if v is not None]
    rho_v = [v for v in rho if v is not None]
    ax.scatter(rho_v, rho_y, marker="D", s=30, color="white", edgecolors=INK, zorder=3,
               linewidths=1.2, label=_("offered load ρ (exact maths)"))
    ax.axvline(100, color=INK, linestyle="--", linewidth=1, label=_("100% of working hours"))
    for yy, m in zip(y, means):
        ax.text(m + 1.5, yy - 0.28, tr.percent(m / 100.0), fontsize=8, color=INK, va="center")
    ax.set_yticks(y, names)
    for tick, color in zip(ax.get_yticklabels(), colors):
        if color == RED:
            tick.set_color(RED)
    ax.invert_yaxis()
    ax.set_xlim(0, max(means + rho_v + [100.0]) * 1.12)
    ax.set_xlabel(_("busy share of the team's working hours, % (simulated, one replication)")
                  if data.result.run.reps < 2 else
                  _("busy share of the team's working hours, % (simulated mean, 95% CI)"))
    unstable = any(t.unstable for t in teams)
    # Wrapped: the Russian title runs past the figure's right edge on one line.
    ax.set_title(_wrap(_("Team utilization (red ⚠ unstable: offered more work than its "
                         "hours, the queue grows without end)"), 80) if unstable
                 else _("Team utilization"), loc="left")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


# ----------------------------------------------------------------------- time in stage

_TICKS = ((1 / 60, C_("tick", "1m")), (5 / 60, C_("tick", "5m")), (15 / 60, C_("tick", "15m")),
          (1.0, C_("tick", "1h")), (4.0, C_("tick", "4h")), (24.0, C_("tick", "1d")),
          (72.0, C_("tick", "3d")), (168.0, C_("tick", "1w")), (720.0, C_("tick", "30d")),
          (2160.0, C_("tick", "90d")), (8760.0, C_("tick", "1y")))
"""The log axis's ticks: hours and their short labels (context `tick`)."""


def log_hours_axis(ax: Any, low: float, high: float, tr: Translator) -> None:
    """A log x axis of hours from `low` to `high` ticked in words a client reads (`1 ч`,
    `3 дн.`, `1 нед.`), not in powers of ten of hours."""
    ax.set_xscale("log")
    ax.set_xlim(low / 1.6, high * 1.6)
    ticks = [(t, s) for t, s in _TICKS if low / 1.6 <= t <= high * 1.6]
    ax.set_xticks([t for t, _s in ticks], [tr.pgettext("tick", s) for _t, s in ticks])
    ax.minorticks_off()


def time_in_stage_plot(data: ReportData) -> Figure:
    rows: list[tuple[str, str]] = []
    for s in data.result.stages:
        if data.stage_value(s.pipeline, s.stage, "time_in_stage_mean_hours", "mean") is not None:
            rows.append((s.pipeline, s.stage))
    total = len(rows)
    if total > MAX_TIME_ROWS:
        graves = [k for k in rows if data.is_graveyard(*k)]
        rest = sorted((k for k in rows if k not in graves),
                      key=lambda k: -(data.stage_value(k[0], k[1], "time_in_stage_mean_hours",
                                                       "mean") or 0.0))
        keep = set((graves + rest)[:MAX_TIME_ROWS])
        rows = [k for k in rows if k in keep]
    fig = _new_figure(9.5, 0.3 * len(rows) + 1.8)
    tr = _tr(data)
    _ = tr.gettext
    if not rows:
        return _empty(fig, _("no deal left any stage during the observed window"))
    ax = fig.add_subplot()
    several = len(data.pipelines) > 1
    values: list[float] = []
    drawn: set[str] = set()  # the exact marks drawn: "exact" (×), "bound" ([)
    for y, (pipe, stage) in enumerate(rows):
        # Called only within this iteration, so the loop variables are the current ones.
        get = lambda metric, e: data.stage_value(pipe, stage, metric, e)  # noqa: E731, B023
        p50 = get("time_in_stage_p50_hours", "mean")
        p90 = get("time_in_stage_p90_hours", "mean")
        mean = get("time_in_stage_mean_hours", "mean")
        assert mean is not None
        color = RED if data.is_graveyard(pipe, stage) else BLUE
        if p50 is not None and p90 is not None:
            ax.plot([p50, p90], [y, y], color=color, alpha=0.35, linewidth=4,
                    solid_capstyle="round")
        lo, hi = _xerr(get("time_in_stage_mean_hours", "ci95_low"), mean,
                       get("time_in_stage_mean_hours", "ci95_high"))
        ax.errorbar([mean], [y], xerr=[[lo], [hi]], fmt="D", color=color, markersize=5,
                    capsize=3, elinewidth=1)
        for v, marker in ((p50, "o"), (p90, ">")):
            if v is not None:
                ax.plot([v], [y], marker=marker, color=color, markersize=5, linestyle="")
        exact = get("time_in_stage_mean_hours", "exact")
        bound = get("time_in_stage_mean_hours", "exact_lower_bound")
        if exact is not None:
            ax.plot([exact], [y], marker="x", color=INK, markersize=6, linestyle="")
            drawn.add("exact")
        elif bound is not None:
            ax.plot([bound], [y], marker=r"$[$", color=INK, markersize=10, linestyle="")
            drawn.add("bound")
        values += [v for v in (p50, p90, mean, exact, bound) if v is not None and v > 0]
    labels = [_label(f"{p} › {s}" if several else s, 44) for p, s in rows]
    ax.set_yticks(range(len(rows)), labels)
    for tick, (pipe, stage) in zip(ax.get_yticklabels(), rows):
        if data.is_graveyard(pipe, stage):
            tick.set_color(RED)
    ax.invert_yaxis()
    lo_v, hi_v = (min(values), max(values)) if values else (1.0, 1.0)
    if hi_v / max(lo_v, 1e-9) > 30:
        log_hours_axis(ax, lo_v, hi_v, tr)
        ax.set_xlabel(_("time in stage (log scale)"))
    else:
        ax.set_xlim(0, hi_v * 1.1)
        ax.set_xlabel(_("time in stage, hours"))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=BLUE, label=_("median (p50)")),
               Line2D([], [], marker="D", ls="", color=BLUE,
                      label=_("mean") if data.result.run.reps < 2 else _("mean (95% CI)")),
               Line2D([], [], marker=">", ls="", color=BLUE, label=_("90th percentile"))]
    # The legend names the exact marks drawn: cottages.funnel's every exact time is a
    # lower bound, and its legend listed «точное среднее ×», drawn nowhere.
    if "exact" in drawn:
        handles.append(Line2D([], [], marker="x", ls="", color=INK, label=_("exact mean")))
    if "bound" in drawn:
        handles.append(Line2D([], [], marker=r"$[$", ls="", color=INK, markersize=10,
                              label=_("exact lower bound (queue wait unknown)")))
    if total > len(rows):
        title = _("Time in stage of the deals that left it ({n} of {total} stages); red: "
                  "graveyard").format(n=len(rows), total=total)
    else:
        title = _("Time in stage of the deals that left it; red: graveyard")
    ax.set_title(title, loc="left")
    # One row while the labels fit across the figure; Russian and Ukrainian ones do not
    # (the last was cut at «ожидание в очереди неизвестн»), so they take two rows. Under
    # the figure, not the axes: long stage names push the axes right, and a legend
    # centred on them ran off the figure («очікування в черзі невідо»).
    wide = sum(len(str(h.get_label())) for h in handles) > 110
    fig.legend(handles=handles, fontsize=7, frameon=False, loc="outside lower center",
               ncol=3 if wide else 5)
    return fig


# ----------------------------------------------------------------------- rendering


def render(fig: Figure) -> tuple[bytes, str, list[str]]:
    """PNG bytes, SVG text and any drawing warnings, in the report's style (through the
    one figure saver, `report.figures`)."""
    from .figures import REPORT, render_figure

    out = render_figure(fig, REPORT)
    return out.png, out.svg, out.warnings


PLOTS: tuple[tuple[str, str, Callable[[ReportData], Figure]], ...] = (
    ("funnel", "Deals entering each stage", funnel_plot),
    ("backlog", "Backlog over time per stage", backlog_plot),
    ("utilization", "Team utilization", utilization_plot),
    ("time_in_stage", "Time in stage", time_in_stage_plot),
)


def draw_all(data: ReportData) -> list[Plot]:
    import matplotlib

    out: list[Plot] = []
    with matplotlib.rc_context(RC):
        for name, title, draw in PLOTS:
            fig = draw(data)
            png, svg, caught = render(fig)
            out.append(Plot(name=name, title=title, png=png, svg=svg, warnings=caught))
    return out
