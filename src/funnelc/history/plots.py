"""The history plots, drawn from the analytics tables with matplotlib's Agg canvas (no
pyplot, no global state; the style is the report's own, `funnelc.report.plots`, and the
PNG+SVG rendering the one figure saver's, `funnelc.report.figures`): monthly inflow by
source, monthly conversion per stage pair, time in stage, the funnel shape, and
month-end backlog per stage."""

from __future__ import annotations

import contextlib
import functools
import math
import re
import textwrap
from collections.abc import Callable
from statistics import NormalDist
from typing import TYPE_CHECKING, cast

import polars as pl

from ..i18n import N_, Translator, choose, translator
from .analytics import HistoryTables
from .audit import Audit
from .stats import MIN_MONTH_DEALS, wilson

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["draw_history_plots"]

MAX_SERIES = 10
REST_COLOUR = "#d9d9d9"
"""The lumped sources' bars (hatched): a light grey the colour cycle does not hold."""
MAX_BARS = 40


def _fig(w: float, h: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), layout="constrained")


def _label(text: str, width: int = 40) -> str:
    """`text` cut to `width`; a trailing id (`#2002`) is kept whole: «удалённый
    пользователь #2002» cut to «удалённый пользоват…» lost which user it was."""
    if len(text) <= width:
        return text
    head, sep, tail = text.rpartition(" #")
    if sep and tail.isdigit() and len(tail) + 3 < width:
        return head[: width - len(tail) - 3] + "… #" + tail
    return text[: width - 1] + "…"


_INITIALS = re.compile(r"^(?P<name>.+?)(?P<initials>(?: [^\W\d_]\.)+)$")
"""A name followed by its initials, as CRMs list their users («Иванов А. П.»)."""


def manager_labels(names: list[str], width: int) -> list[str]:
    """Each manager's name for a plot, at most `width` characters where that keeps the
    names apart. Initials are kept and the surname shortened («Голенищев-Кут… М. И.»):
    cut from the end, «Голенищев-Кутузов М. И.» and «Голенищев-Кутузов М. А.» were both
    «Голенищев-Кутузов М…». Names that still read alike are written in full."""
    def short(name: str) -> str:
        if len(name) <= width:
            return name
        m = _INITIALS.match(name)
        if m is not None and len(m["initials"]) + 4 <= width:
            return m["name"][: width - len(m["initials"]) - 1] + "…" + m["initials"]
        return _label(name, width)

    out = [short(n) for n in names]
    seen: dict[str, set[str]] = {}
    for n, label in zip(names, out, strict=True):
        seen.setdefault(label, set()).add(n)
    return [n if len(seen[label]) > 1 else label for n, label in zip(names, out, strict=True)]


def _empty(fig: Figure, msg: str) -> Figure:
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, msg, ha="center", va="center", color="#8c8c8c")
    return fig


def _month_ticks(ax: Axes, tr: Translator) -> None:
    """The months under the x axis as the language writes them short, «июл. 2026»
    (`month_words.tick`; they read «2026-07»); English keeps the ISO month. Wraps the
    categorical axis's own formatter, which gives the month each tick stands for."""
    from matplotlib.ticker import FuncFormatter

    from .month_words import tick

    category = ax.xaxis.get_major_formatter()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, pos: tick(category(v, pos), tr)))
    ax.tick_params(axis="x", labelrotation=45)


def _months_axis(ax: Axes, df: pl.DataFrame) -> None:
    """Months along x in calendar order. The axis is categorical, ordered by first
    appearance: a first series that starts late would put the early months last."""
    ax.xaxis.update_units(sorted(df["month"].unique().to_list()))


def inflow_plot(t: HistoryTables, tr: Translator) -> Figure:
    _ = tr.gettext
    fig = _fig(9, 3.8)
    df = t.inflow
    if df.height == 0:
        return _empty(fig, _("no deals"))
    # A deal that starts in a pipeline only the funnel's copies enter (a converted lead's
    # deal, a lost lead's nurture copy) is no new demand: stacked on the sources' bars, a
    # Bitrix24 account's March read 144 new requests for its 104 leads. The table keeps
    # those rows; the plot says how many it leaves out.
    routes = t.visits.routes
    copied = list(routes.copied) if routes is not None else []
    copies = int(df.filter(pl.col("pipeline").is_in(copied))["deals"].sum()) if copied else 0
    df = df.filter(~pl.col("pipeline").is_in(copied)) if copied else df
    if df.height == 0:
        return _empty(fig, _("no deals"))
    months = sorted(df["month"].unique().to_list())
    # Ties broken by name: group_by's order varies from run to run, and the seven
    # branches' 300 deals each stacked in a different order every time.
    top = (df.group_by("source").agg(pl.col("deals").sum())
           .sort(["deals", "source"], descending=[True, False])["source"].to_list())
    # Past MAX_SERIES sources the smallest are one series, said as such in the client's
    # language with how many it holds, in a colour of its own: labelled "other" in the
    # first series' blue, it read as Olist's own source «other» (and that source was
    # drawn as the lump too).
    shown = top if len(top) <= MAX_SERIES else top[:MAX_SERIES - 1]
    rest = top[len(shown):]
    ax = fig.add_subplot()
    bottom = [0.0] * len(months)
    from matplotlib import rcParams

    colours = [c["color"] for c in rcParams["axes.prop_cycle"]]
    series: list[tuple[pl.Expr, str, dict[str, object]]] = [
        (pl.col("source") == src, _label(src, 36),
         {"color": colours[i % len(colours)]}) for i, src in enumerate(shown)]
    if rest:
        series.append((pl.col("source").is_in(rest),
                       _("other sources ({n})").format(n=tr.number(len(rest), 0)),
                       {"color": REST_COLOUR, "hatch": "//", "edgecolor": "#737373",
                        "linewidth": 0}))
    for which, label, style in series:
        by = dict(df.filter(which).group_by("month").agg(pl.col("deals").sum()).iter_rows())
        vals = [float(by.get(m, 0)) for m in months]
        ax.bar(months, vals, bottom=bottom, label=label, **style)  # type: ignore[arg-type]
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel(_("new deals"))
    if copies:
        fig.supxlabel(tr.ngettext(
            "{n} deal created by a copy into {pipelines} is not new demand: left out of "
            "the bars, the table lists it.",
            "{n} deals created by copies into {pipelines} are not new demand: left out of "
            "the bars, the table lists them.", copies).format(
                n=tr.number(copies, 0),
                pipelines=", ".join(tr.quote(c) for c in sorted(copied))),
            fontsize=7, color="#595959")
    # Beside the axes, in the figure's margin: the bars of a steady inflow reach the top
    # of the axes, and a legend inside («upper left», or "best", which finds no empty
    # corner either) sat on the realty agency's January bar.
    fig.legend(fontsize=7, frameon=False, loc="outside right upper")
    _month_ticks(ax, tr)
    return fig


def conversion_plot(t: HistoryTables, tr: Translator) -> Figure:
    from .report import pair_stage

    _ = tr.gettext
    fig = _fig(9, 3.8)
    df = t.conversion.filter(pl.col("month") != "all")
    if df.height == 0:
        return _empty(fig, _("no stage-to-stage moves"))
    ax = fig.add_subplot()
    _months_axis(ax, df)
    pairs = df.select("pipeline", "from_stage", "to_stage").unique(maintain_order=True).rows()
    hollow = survivors = False
    apart = 0
    for p, a, b in pairs[:MAX_SERIES]:
        sel = df.filter((pl.col("pipeline") == p) & (pl.col("from_stage") == a)
                        & (pl.col("to_stage") == b)).sort("month")
        # A month of too few deals (`stats.MIN_MONTH_DEALS`) is not a point of the line:
        # a realty agency's «Бронь → Сделка» of one deal in March, not converted, was a
        # 0 % the line ran down to, and the client read «conversion collapsed». It is
        # drawn apart (×) with its 95 % interval, which spans most of the axis.
        few = (sel.filter(pl.col("few")) if "few" in sel.columns
               else sel.clear())
        sel = sel.filter(~pl.col("few")) if "few" in sel.columns else sel
        months, pct = sel["month"].to_list(), sel["direct_pct"].to_list()
        done = (sel["complete"].to_list() if "complete" in sel.columns
                else [True] * sel.height)
        # A month before the export sees deals close holds its survivors only
        # (`maturity.seen_from`): drawn as one still moving, not as a fall from a peak.
        if "partial" in sel.columns:
            done = [d and not bool(p) for d, p in zip(done, sel["partial"].to_list())]
        # A month whose deals are still moving is joined by a dotted line, not a solid
        # one: an online school's «Квалификация → Пробный урок» ran solid from 53.5 % in
        # October to 0 % in a November of one deal, a collapse to the eye.
        line = ax.plot(months, [v if d else math.nan for v, d in zip(pct, done)],
                       marker="o", label=_label(f"{a} → {pair_stage(b, tr)}", 50))
        color = line[0].get_color()
        for i in range(1, len(months)):
            if not (done[i - 1] and done[i]):
                ax.plot(months[i - 1:i + 1], pct[i - 1:i + 1], linestyle=":", color=color)
        early = (sel.filter(pl.col("partial").fill_null(False)) if "partial" in sel.columns
                 else sel.clear())
        if "complete" in sel.columns:  # months whose deals are still moving: hollow
            young = sel.filter(pl.col("complete").not_()
                               & ~pl.col("month").is_in(early["month"].implode()))
            ax.plot(young["month"].to_list(), young["direct_pct"].to_list(), linestyle="none",
                    marker="o", markersize=8, markerfacecolor="white", color=color)
            hollow = hollow or young.height > 0
        if early.height:  # survivors of an export that starts mid-stream: hollow squares
            ax.plot(early["month"].to_list(), early["direct_pct"].to_list(), linestyle="none",
                    marker="s", markersize=7, markerfacecolor="white", color=color)
            survivors = True
        if (sel["with_returns"] != sel["direct"]).any():
            ax.plot(sel["month"].to_list(), sel["with_returns_pct"].to_list(), linestyle="--",
                    color=color, label="  " + _("incl. returned"))
        if few.height:
            from matplotlib.colors import to_rgba

            ys = few["direct_pct"].to_list()
            bounds = [wilson(k, n) for k, n in zip(few["direct"], few["entered"])]
            ax.errorbar(few["month"].to_list(), ys,
                        # At 0 or 100 % a bound may miss the point by a rounding:
                        # matplotlib refuses a negative error.
                        yerr=[[max(0.0, y - 100 * lo) for y, (lo, _hi) in zip(ys, bounds)],
                              [max(0.0, 100 * hi - y) for y, (_lo, hi) in zip(ys, bounds)]],
                        fmt="x", markersize=8, markeredgewidth=1.5, color=color,
                        elinewidth=0.8, capsize=3, ecolor=to_rgba(color, 0.6), clip_on=False,
                        zorder=4)
            apart += few.height
    if hollow:
        ax.plot([], [], linestyle="none", marker="o", markerfacecolor="white", color="grey",
                label=_("month not complete: its deals are still moving"))
    if survivors:
        ax.plot([], [], linestyle="none", marker="s", markerfacecolor="white", color="grey",
                label=_("month before the export sees deals close: its deals that had "
                        "closed are not in it"))
    if apart:
        ax.errorbar([], [], yerr=[[], []], fmt="x", color="grey", elinewidth=1, capsize=3,
                    label=tr.ngettext("fewer than {n} deal: 95% interval, not joined",
                                      "fewer than {n} deals: 95% interval, not joined",
                                      MIN_MONTH_DEALS).format(n=MIN_MONTH_DEALS))
        # Under the axes, so the reader of the plot knows the table has these months.
        fig.supxlabel(tr.ngettext(
            # TRANSLATORS: {n} is 4 (stats.MIN_MONTH_DEALS); the plural follows {k}.
            "{k} month of a stage pair has fewer than {n} deals: it is drawn apart (×), "
            "with its 95% interval, and not joined by the line; the table keeps it, its "
            "conversion marked †.",
            "{k} months of stage pairs have fewer than {n} deals: they are drawn apart "
            "(×), with their 95% intervals, and not joined by the lines; the table keeps "
            "them, their conversion marked †.", apart).format(k=apart, n=MIN_MONTH_DEALS),
            fontsize=7, color="#595959")
    ax.set_ylabel(_("conversion, %"))
    ax.set_ylim(bottom=0)
    # Beside the plot, not on it: placed "best" inside, it covered the lowest pairs' lines.
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    _month_ticks(ax, tr)
    return fig


OPEN_MARK_MIN = 5
"""Open deals a stage needs for the time chart to mark their median age (as many as a
graveyard needs)."""


def time_plot(t: HistoryTables, tr: Translator) -> Figure:
    _ = tr.gettext
    df = t.time_in_stage.filter(pl.col("n") > 0).head(MAX_BARS)
    fig = _fig(9, 0.32 * max(df.height, 3) + 1.2)
    if df.height == 0:
        return _empty(fig, _("no completed visits"))
    ax = fig.add_subplot()
    labels = [_label(f"{p} › {s}", 48) for p, s in zip(df["pipeline"], df["stage"])]
    y = list(range(df.height))
    # The deals still in a stage are not in its figures: where they are older than its
    # median, the bars understate the stage (a graveyard's finished visits are its short
    # ones), so their median age is marked, as the table gives it (it read «Думає» 3,8
    # days beside 135 open deals aged 87,7 days, and said nothing).
    opened: list[tuple[float, int]] = []
    if "open_age_median_h" in df.columns:
        opened = [(a, yy) for yy, a, med, k in zip(
            y, df["open_age_median_h"].to_list(), df["median_h"].to_list(),
            df["open"].to_list()) if a is not None and med is not None
            and k >= OPEN_MARK_MIN and a > med]
    # Hours columns: polars types max()/min() as any literal, these are floats (or null).
    top = cast("float | None", df["p90_h"].max())
    if opened and top is not None:
        top = max(top, *(a for a, _y in opened))
    low = cast("float | None", df["median_h"].min())
    log = bool(top and low and top / max(low, 1e-6) > 100)
    # Stays of months on a linear axis read in days: a real-estate agency's showing,
    # 90 days, was an axis of «часов на этапе» to 3 000.
    per = 24.0 if not log and top and top > 14 * 24 else 1.0
    ax.barh(y, (df["p90_h"] / per).to_list(), color="#c6d4e8", label="p90")
    ax.barh(y, (df["median_h"] / per).to_list(), color="#4c72b0", height=0.5,
            label=_("median"))
    ax.plot((df["mean_h"] / per).to_list(), y, "k|", markersize=12,
            label=_("mean"))
    if opened:
        ax.plot([a / per for a, _y in opened], [yy for _a, yy in opened], "D",
                color="#c44e52", markersize=5, linestyle="none",
                label=_("deals still there: median age"))
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    if log and top and low:
        from ..report.plots import log_hours_axis

        log_hours_axis(ax, max(low, 1 / 60), top, tr)
        ax.set_xlabel(_("time in stage (log scale)"))
    else:
        ax.set_xlabel(_("days in stage") if per == 24.0 else _("hours in stage"))
    # Above the axes, in one row: placed "best" inside, it had only the ends of the
    # shorter bars to sit on, and the bars fill the axes.
    fig.legend(fontsize=7, frameon=False, loc="outside upper right", ncols=4)
    return fig


def shape_plot(t: HistoryTables, tr: Translator) -> Figure:
    _ = tr.gettext
    df = t.shape.head(MAX_BARS)
    fig = _fig(9, 0.32 * max(df.height, 3) + 1.2)
    if df.height == 0:
        return _empty(fig, _("no deals"))
    ax = fig.add_subplot()
    y = list(range(df.height))
    colors = ["#55a868" if s == "won" else "#4c72b0" for s in df["stage"]]
    ax.barh(y, df["deals"].to_list(), color=colors)
    # The analytics add the deals won as a stage `won`: the plot names it as the tables
    # do («Closed won», «Успешно реализовано»), and writes its counts in the language's
    # digits («3 547 (92%)»).
    from .report import pair_stage

    ax.set_yticks(y, [_label(f"{p} › {pair_stage(s, tr)}", 48)
                      for p, s in zip(df["pipeline"], df["stage"])])
    ax.invert_yaxis()
    for yy, v, pc in zip(y, df["deals"].to_list(), df["pct_of_first"].to_list()):
        ax.text(v, yy, f" {tr.number(v, 0)} ({tr.number(round(pc), 0)}%)", va="center",
                fontsize=7)
    ax.set_xlabel(_("deals that entered"))
    return fig


def backlog_plot(t: HistoryTables, tr: Translator) -> Figure:
    _ = tr.gettext
    df = t.backlog
    fig = _fig(9, 3.8)
    if df.height == 0:
        return _empty(fig, _("no backlog"))
    graves = {(p, s) for p, s, g in t.graveyards.select("pipeline", "stage", "graveyard")
              .iter_rows() if g}
    # Ties broken by name: group_by's order varies from run to run, and so did the plot.
    top = (df.group_by(["pipeline", "stage"]).agg(pl.col("wip").max())
           .sort(["wip", "pipeline", "stage"], descending=[True, False, False])
           .head(MAX_SERIES).rows())
    ax = fig.add_subplot()
    _months_axis(ax, df)
    # Lines of several pipelines name theirs, as the time and shape plots do: two
    # pipelines' «Новая заявка» were two lines of the same name.
    spans = len({p for p, _s, _c in top}) > 1
    for p, s, _count in top:
        sel = df.filter((pl.col("pipeline") == p) & (pl.col("stage") == s)).sort("month")
        name = f"{p} › {s}" if spans else s
        ax.plot(sel["month"].to_list(), sel["wip"].to_list(), marker="o",
                linewidth=2.5 if (p, s) in graves else 1.2,
                label=_label(name + (" ⚠ " + _("graveyard") if (p, s) in graves else ""),
                             48 if spans else 44))
    ax.set_ylabel(_("deals in stage at month end"))
    # Beside the axes, in the figure's own margin (constrained layout makes room for
    # it): placed inside ("best"), it sat on the clinic's lines mid-plot.
    fig.legend(fontsize=7, frameon=False, loc="outside right upper")
    _month_ticks(ax, tr)
    return fig


FLAGGED = "#c44e52"
BETTER = "#55a868"
"""A manager the audit flagged for doing clearly better than the rest (a clinic's best
administrator was the red of a warning)."""
TEAM = "#4c72b0"
LIMITS = "#8c8c8c"
NO_MANAGER = "#8c8c8c"
DOT_PT, FLAGGED_PT = 7.0, 10.0
"""Marker sizes (points across) of a manager and of one the audit flagged."""


def funnel_axes_limits(ns: list[float], rates: list[float], p0: float
                       ) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x, y) limits of one funnel panel, from its points. From 0 they squeezed managers
    of similar volumes (14 000 to 15 000 deals, each a pixel apart) into one corner. x
    spans the volumes with a margin for the names; y the rates and the control limits
    at the smallest volume shown (where the funnel is widest), so whether a point lies
    inside can be read. The limits' curves run off the panel at smaller volumes."""
    from .stats import funnel_limits

    lo, hi = min(ns), max(ns)
    xpad = max(0.12 * (hi - lo), 0.06 * hi, 1.0)
    low, high = funnel_limits(p0, max(lo, 1.0))
    ys = [*rates, 100 * low, 100 * high, 100 * p0]
    ymin, ymax = min(ys), max(ys)
    ypad = max(0.15 * (ymax - ymin), 1.5)
    return ((max(0.0, lo - xpad), hi + xpad),
            (max(0.0, ymin - ypad), min(100.0, ymax + ypad)))


def _funnel_legend(fig: Figure, any_flagged: bool, tr: Translator,
                   any_better: bool = False, any_explained: bool = False,
                   comparisons: int = 1) -> None:
    """What the lines and points mean, once for all panels, under them: the client
    reads the control limits as the room chance leaves at a manager's volume, so the
    95% limits say they hold for one manager alone, and the audit's bar over all its
    comparisons is drawn and named beside them."""
    from matplotlib.lines import Line2D

    _ = tr.gettext
    handles = [
        Line2D([], [], color=TEAM, linewidth=1,
               label=_("team's rate (the managers the audit did not flag)")),
        Line2D([], [], color=LIMITS, linestyle="--", linewidth=1,
               label=_("95% control limits for one manager alone: of many managers and "
                       "steps, some fall outside them by chance") if comparisons > 1
               else _("95% control limits: how far chance goes at a manager's volume")),
    ]
    if comparisons > 1:
        handles.append(Line2D([], [], color=LIMITS, linestyle=":", linewidth=1.2,
                              label=tr.ngettext(
                                  "the audit's bar over its {n} comparison (Holm's "
                                  "correction): a manager outside it differs beyond chance",
                                  "the audit's bar over its {n} comparisons (Holm's "
                                  "correction): a manager outside it differs beyond chance",
                                  comparisons).format(n=comparisons)))
    handles.append(Line2D([], [], color=TEAM, marker="o", linestyle="none",
                          markersize=DOT_PT, label=_("manager")))
    if any_flagged:
        handles.append(Line2D([], [], color=FLAGGED, marker="D", linestyle="none",
                              markersize=FLAGGED_PT * 0.8, markeredgecolor="black",
                              label=_("flagged by the audit: differs beyond chance")))
    if any_better:
        handles.append(Line2D([], [], color=BETTER, marker="D", linestyle="none",
                              markersize=FLAGGED_PT * 0.8, markeredgecolor="black",
                              label=_("flagged by the audit: better than the team beyond "
                                      "chance")))
    if any_explained:
        handles.append(Line2D([], [], color="white", marker="D", linestyle="none",
                              markersize=FLAGGED_PT * 0.8, markeredgecolor="#333333",
                              markeredgewidth=1.5,
                              label=_("flagged by the audit, but explained otherwise or "
                                      "not clear: see the finding")))
    # Two columns of at most LEGEND_CHARS a line: in Russian the control limits' entry and
    # «отмечен аудитом, но отличие объясняется другим или неясно: см. находку» side by side
    # ran past both edges of the 9-inch figure, cut at «см. нахо».
    for h in handles:
        h.set_label(textwrap.fill(str(h.get_label()), LEGEND_CHARS))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False,
               fontsize=7.5)


LEGEND_CHARS = 60
"""The longest line of a funnel-plot legend entry: two columns of them fit the figure."""


def funnel_plot(a: Audit, tr: Translator) -> Figure:
    """Conversion against volume per manager, one panel per stage pair (the busiest
    first), with the team's rate (of the managers the audit did not flag) and its 95 %
    control limits: a manager outside the funnel differs by more than chance at his
    volume (Spiegelhalter's funnel plot). The axes fit the points and the names are
    laid out so none covers another (`label_layout`); the figure is laid out once for
    that, and its layout frozen."""
    _ = tr.gettext
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from .findings import ALPHA, explained_flags
    from .label_layout import LabelSpec, place_labels
    from .managers import UNKNOWN_MANAGER
    from .report import pair_stage, placeholder
    from .stats import funnel_limits

    # A manager whose every deal at a stage is too recent to judge has no point to draw.
    df = a.managers.filter(pl.col("entered") > 0) if a.managers is not None else None
    if df is None or df.height == 0:
        return _empty(_fig(9, 3), _("no managers in the history"))
    # The pairs where the audit flagged someone come first, then the busiest: ranked by
    # volume alone, a car dealer's three pipelines of three pairs each kept six panels,
    # and a manager flagged in a smaller pipeline's pair would have had none.
    pairs = (df.group_by(["pipeline", "from_stage", "to_stage"], maintain_order=True)
             .agg(pl.col("entered").sum(), pl.col("flagged").any().alias("clear"))
             .sort(["clear", "entered"], descending=True, maintain_order=True)
             .head(MAX_PANELS).select("pipeline", "from_stage", "to_stage", "entered").rows())
    # Panels of several pipelines name theirs, as the backlog plot's lines do: the
    # dealer's «Новая заявка → Квалификация» of new and of used cars were two panels of
    # one title.
    spans = len({p for p, _f, _t, _n in pairs}) > 1
    fig = _fig(9, 3.2 * len(pairs) + 0.6)
    # The figure is drawn three times (layout, PNG, SVG) and each draw formats every
    # tick of every panel again: the few distinct values are formatted once (issue 14).
    whole = functools.lru_cache(maxsize=None)(lambda v: tr.number(v, 0))
    tenths = functools.lru_cache(maxsize=None)(lambda v: tr.number(v, 1))
    axes = fig.subplots(len(pairs), 1, squeeze=False)
    panels: list[tuple[Axes, list[LabelSpec]]] = []
    explained = explained_flags(a.findings)
    # Holm's family of the managers' comparisons (`detectable` counts it alike): its
    # first rejection is at 5% over their number, two-sided.
    assert a.managers is not None
    comparisons = a.managers.filter(pl.col("manager") != UNKNOWN_MANAGER).height
    z_bar = NormalDist().inv_cdf(1 - ALPHA / (2 * max(comparisons, 1)))
    any_hollow = False
    solid: set[bool] = set()
    """Whether each flag drawn solid is «better» (the legend names only what is drawn)."""
    for ax, (p, f, to, _entered) in zip(axes[:, 0], pairs):
        sel = df.filter((pl.col("pipeline") == p) & (pl.col("from_stage") == f)
                        & (pl.col("to_stage") == to))
        ns = [float(n) for n in sel["entered"].to_list()]
        rates = [100 * (r or 0.0) for r in sel["rate"].to_list()]
        flagged = [bool(x) for x in sel["flagged"].to_list()]
        better = [bool(x) and (e or 0.0) < 0 for x, e in
                  zip(flagged, sel["deals_effect"].to_list())]
        names = sel["manager"].to_list()
        # A flag another reading explains (the rest's open deals, a routed source, the
        # mix of clients) is hollow: drawn as a plain «better beyond chance», it
        # contradicted its finding, which says the gap is not the manager's.
        hollow = [flagged[i] and (p, f, to, names[i]) in explained
                  for i in range(len(names))]
        # The norm the audit compared with: the managers it did not flag (a flagged
        # one is left out of everyone's rest). Drawn with him in, the line and its
        # limits sank, and every other manager sat above the upper limit, looking as
        # different as the one the audit named.
        # Nor the deals no one is named on, which are no one's rest either
        # (`managers._compare`): drawn in, a quarter of a team's deals unassigned at 10 %
        # pulled the line from 55 % to 44 %, and managers no different from each other
        # sat above its upper limit (`tests/test_mgr_funnel_plot_team.py`).
        named = sel.filter(pl.col("manager") != UNKNOWN_MANAGER)
        named = named if named.height else sel
        norm = named.filter(~pl.col("flagged")) if not named["flagged"].all() else named
        n0 = float(norm["entered"].sum())
        p0 = float(norm["reached"].sum()) / n0 if n0 else 0.0
        (xlo, xhi), (ylo, yhi) = funnel_axes_limits(ns, rates, p0)
        grid = [max(xlo, 1.0) * (xhi / max(xlo, 1.0)) ** (i / 120) for i in range(121)]
        lims = [funnel_limits(p0, n) for n in grid]
        ax.plot(grid, [100 * lo for lo, _ in lims], color=LIMITS, linestyle="--",
                linewidth=1, gid="limits95")
        ax.plot(grid, [100 * hi for _, hi in lims], color=LIMITS, linestyle="--",
                linewidth=1, gid="limits95")
        if comparisons > 1:
            # The 95% limits hold for one manager: of the audit's 27 comparisons about
            # one falls outside them by chance, unflagged (a window maker's closer at
            # 72% of 25 contracts against 90%, p = 0.0097, below the lower limit and
            # rightly not named). The audit's bar, 5% over its comparisons, is drawn too.
            bar = [funnel_limits(p0, n, z_bar) for n in grid]
            ax.plot(grid, [100 * lo for lo, _ in bar], color=LIMITS, linestyle=":",
                    linewidth=1.2, gid="limits_bar")
            ax.plot(grid, [100 * hi for _, hi in bar], color=LIMITS, linestyle=":",
                    linewidth=1.2, gid="limits_bar")
        ax.axhline(100 * p0, color=TEAM, linewidth=1, gid="team")
        for want in (False, True):  # the flagged drawn last, on top
            pts = [i for i, x in enumerate(flagged) if x is want and not hollow[i]]
            ax.scatter([ns[i] for i in pts], [rates[i] for i in pts],
                       s=(FLAGGED_PT if want else DOT_PT) ** 2, marker="D" if want else "o",
                       c=[(BETTER if better[i] else FLAGGED) if want else NO_MANAGER
                          if names[i] == UNKNOWN_MANAGER else TEAM for i in pts],
                       edgecolors="black" if want else "none", linewidths=0.8,
                       zorder=5 if want else 3, clip_on=False)
        pts = [i for i, x in enumerate(hollow) if x]
        if pts:
            ax.scatter([ns[i] for i in pts], [rates[i] for i in pts], s=FLAGGED_PT ** 2,
                       marker="D", facecolors="white",
                       edgecolors=[BETTER if better[i] else FLAGGED for i in pts],
                       linewidths=1.5, zorder=5, clip_on=False, gid="explained")
        ax.set_xlim(xlo, xhi)
        ax.set_ylim(ylo, yhi)
        # Deals are counted whole: on a narrow axis the default ticks fell on halves,
        # and 47.5 and 52.5 printed as 48 and 52 under a formatter of whole numbers.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: whole(v)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: tenths(v)))
        to = pair_stage(to, tr)
        # y given: matplotlib then leaves the title where it is (`_autotitlepos`) instead of
        # measuring the y axis's ticks to see whether the title clears them, at every
        # layout pass and draw, a tenth of the figure's time; the x axis is below and the
        # formatter writes no offset, so the title never moved: the files are the same.
        ax.set_title(_label(f"{p} › {f} → {to}" if spans else f"{f} → {to}", 90 if spans else 70),
                     fontsize=9, y=1.0)
        ax.set_xlabel(_("deals entered"))
        ax.set_ylabel(_("conversion, %"))
        # Names placed in this order: the flagged first (theirs must be next to the
        # point), then from left to right.
        order = sorted(range(len(ns)), key=lambda i: (not flagged[i], ns[i], rates[i]))
        labels = manager_labels([placeholder(n, tr) for n in names], 20)
        panels.append((ax, [LabelSpec(
            ns[i], rates[i],
            labels[i],
            (BETTER if better[i] else FLAGGED) if flagged[i] else "#333333",
            "bold" if flagged[i] and not hollow[i] else "normal")
            for i in order]))
        any_hollow = any_hollow or any(hollow)
        solid |= {better[i] for i in range(len(names)) if flagged[i] and not hollow[i]}
    _funnel_legend(fig, False in solid, tr, True in solid, any_hollow, comparisons)
    canvas = FigureCanvasAgg(fig)
    # Laid out, not drawn: the labels need the axes' places and the text sizes, not a
    # pass over every artist, and the PNG and SVG are drawn afterwards anyway (issue
    # 14). The constrained layout is what a draw runs first; run alone it places the
    # axes where a draw would (the files are byte-identical), for a quarter less time.
    layout = fig.get_layout_engine()
    if layout is not None:
        with contextlib.suppress(ValueError):  # as `Figure.draw` runs it
            layout.execute(fig)
    fig.set_layout_engine("none")
    renderer = canvas.get_renderer()
    px = fig.dpi / 72
    for ax, specs in panels:
        place_labels(ax, specs, FLAGGED_PT * px + 2, renderer)
    return fig


MAX_PANELS = 6


PLOTS: tuple[tuple[str, str, Callable[[HistoryTables, Translator], Figure]], ...] = (
    ("inflow", N_("New deals by month and source"), inflow_plot),
    ("conversion", N_("Stage-to-stage conversion by month"), conversion_plot),
    ("time_in_stage", N_("Time in stage: median, mean and 90th percentile"), time_plot),
    ("shape", N_("Funnel shape: deals that entered each stage"), shape_plot),
    ("backlog", N_("Backlog at month ends"), backlog_plot),
)
"""The plots, their titles (translated where drawn) and how each is drawn."""


def draw_history_plots(t: HistoryTables, audit: Audit | None = None,
                       tr: Translator | None = None
                       ) -> list[tuple[str, str, bytes, str, list[str]]]:
    """(name, title, png, svg, warnings) per plot; with an audit that names managers,
    also the managers' funnel plot."""
    from matplotlib import rc_context

    from ..report.figures import REPORT, draws_figure, render_figure
    from ..report.plots import RC

    tr = tr or translator(choose(None))
    out = []
    with rc_context(RC):
        for name, title, draw in PLOTS:
            fig = render_figure(draw(t, tr), REPORT)
            out.append((name, tr.gettext(title), fig.png, fig.svg, fig.warnings))
        if audit is not None and audit.managers is not None:
            fig = render_figure(draws_figure(funnel_plot)(audit, tr), REPORT)
            out.append(("managers_funnel", tr.gettext(
                "Managers: conversion against volume, with the team's 95% control limits"),
                fig.png, fig.svg, fig.warnings))
    return out
