"""What `sweep` prints and writes: the table of the chosen metrics per grid point
(rich), the JSON of every metric, the tidy CSV, and a plot per metric. Axis and metric
names are shown as written (`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import csvsafe
from ..i18n import Translator, choose, translator
from ..i18n.figures import CI_ENDS
from ..jsontypes import JSON, JSONObject
from ..numfmt import DASH, between, ends, low_end
from ..sim.results import Estimate, SimWarning
from ..sim.verdict_words import warning_text
from ..termtext import plain
from . import labels
from .metrics import MetricDef
from .render import fmt_estimate
from .service import SweepResult
from .sweep import tidy_rows

__all__ = ["sweep_text", "sweep_json", "sweep_csv", "save_sweep_plot"]


def sweep_text(console: Console, result: SweepResult) -> None:
    """The run, then one row per point: its axis values, each chosen metric's mean
    ±95 % CI, and how many stages are graveyards there; in the account's language
    (`--lang` overrides)."""
    from .staff_why import place_text

    tr = translator(choose(result.language))
    _ = tr.gettext
    points, r = result.sweep.points, result.run
    en = tr.lang == "en"
    console.print(plain(_("{file}: {points} × {reps} × {days} ({warmup} warm-up), seed {seed}, "
                          "common random numbers; ran on {where}; figures are mean ±95% CI"
                          ).format(
        file=r.file,
        points=(f"{len(points)} points" if en else
                tr.ngettext("{n} point", "{n} points", len(points)).format(n=len(points))),
        reps=(f"{r.reps} replications" if en else
              tr.ngettext("{n} replication", "{n} replications", r.reps).format(n=r.reps)),
        days=f"{r.days} days" if en else tr.duration(r.days, "day"),
        warmup=str(r.warmup_days) if en else tr.duration(r.warmup_days, "day"),
        seed=r.seed, where=place_text(tr, result.place, result.where)) + _window(tr, result)
        + "; " + _(CI_ENDS), style="dim"))
    if r.reps < 2:  # the header's «mean ±95% CI» cannot apply
        console.print(plain(_("one replication: figures without a 95% interval (--reps 2 or "
                              "more)"), style="yellow"))
    table = Table(title=tr.pgettext("table", "sweep"), title_justify="left")
    for s in result.specs:
        table.add_column(plain(labels.axis_text(tr, s)), justify="right")
    cells: list[Callable[[Estimate | None], str]] = []
    for d in result.chosen:
        # Values carry their unit (`%`, `5.2h`) except counts and money, whose unit (and
        # money's one scale for the whole column) the header says.
        unit = tr.pgettext("unit", d.unit) if d.unit == "deals" else d.unit
        cell: Callable[[Estimate | None], str] = functools.partial(fmt_estimate, d, tr=tr)
        if d.money:
            scale, unit = labels.money_scale(
                tr, [e.mean * d.scale for p in points
                     if (e := p.estimates.get(d.key)) is not None and e.mean is not None],
                d.unit or None)
            cell = functools.partial(_scaled, d, scale, tr)
        shown_unit = unit and d.unit not in ("%", "h")
        # A figure never wraps: rich breaks at a no-break space too, and a revenue cell
        # left its «₽» alone on the next line.
        table.add_column(plain(labels.metric_label(tr, d) + (f" ({unit})" if shown_unit else "")),
                         justify="right", no_wrap=True)
        cells.append(cell)
    table.add_column(_("graveyards"), justify="right")
    for p in points:
        axes: list[str | Text] = [plain(labels.value_text(tr, s, v))
                                  for s, v in zip(result.specs, p.values)]
        if p.overloaded and axes:
            # As staff marks a size the team cannot keep up at: «3 !».
            axes[0] = plain(f"{axes[0]} !", style="red")
        table.add_row(*axes,
                      *(cell(p.estimates.get(d.key)) for d, cell in zip(result.chosen, cells)),
                      str(len(p.graveyards)) if p.graveyards else "0")
    _fit(console, table)
    console.print(table)
    over = [o for p in points for o in p.overloaded]
    if over:
        # simulate's unstable-team warning (whatif's line per variant): a row whose queue
        # grows for as long as the run lasts only says how long the run was.
        teams = list(dict.fromkeys(tr.quote(o.team) for o in over))
        console.print(plain(tr.ngettext(
            "! at a point marked so, team {teams} cannot keep up (its load at or past what "
            "it can do), and nothing takes waiting deals out of its queue (no SLA or "
            "patience): the queue grows for as long as the run lasts, so the point's figures "
            "depend on the run's length (--days)",
            "! at a point marked so, one or more of the teams {teams} cannot keep up (their "
            "load at or past what they can do), and nothing takes waiting deals out of their "
            "queues (no SLA or patience): the queues grow for as long as the run lasts, so "
            "the point's figures depend on the run's length (--days)", len(teams)).format(
                teams=", ".join(teams)),
            style="yellow"))
    # simulate's short-window warning, once per pipeline, for the point whose wins take
    # longest (the others named by count): a replication with more wins than starts
    # counts 100%, as simulate counts it.
    short: dict[str, list[tuple[float, str, SimWarning]]] = {}
    for p, run in zip(points, result.sweep.runs):
        for w in run.result.warnings:
            if w.code == "short-window" and w.subject is not None:
                label = ", ".join(f"{labels.axis_text(tr, s)} = {labels.value_text(tr, s, v)}"
                                  for s, v in zip(result.specs, p.values))
                short.setdefault(w.subject, []).append((w.cycle_p90_hours or 0.0, label, w))
    for found in short.values():
        label, w = max(found, key=lambda x: x[0])[1:]
        where = plain(label)
        if len(found) > 1:
            where += " " + _("and {n} more").format(n=len(found) - 1)
        console.print(plain(f"{where}: {warning_text(tr, w)}", style="yellow"))


def _fit(console: Console, table: Table) -> None:
    """Make a table wider than the console fit by wrapping its headers, the longest
    first, never a cell: with every figure's column unwrapped
    (`no_wrap`, whole headers included), the axes and graveyards were the only columns
    rich could narrow, and a sweep of an SLA with four metrics on 160 columns headed its
    axis «Прода… расче… SLA (ч)» and its graveyards «кладби…»."""
    def width() -> int:
        return table.__rich_measure__(console, console.options).maximum

    if width() <= console.width:
        return
    for column in sorted(table.columns, key=lambda c: -cell_len(str(c.header))):
        header = str(column.header)
        cells = [cell_len(str(x)) for x in column.cells]
        column.width = max([*cells, *(cell_len(w) for w in header.split())])
        column.no_wrap = False  # the width holds every cell whole; the header wraps
        if width() <= console.width:
            return


def _window(tr: Translator, result: SweepResult) -> str:
    """`; money and deal counts over the 90 observed days` when a column is money or a
    count summed over them, as whatif's header says it: «выручка (млн ₽)» beside «120
    дней (разогрев 30 дней)» did not say over how long the revenue was earned (the window
    after the warm-up, not the run, nor a month)."""
    from .render import observed_text

    if not any(d.money or (d.unit == "deals" and d.name != "wip_final")
               for d in result.chosen):
        return ""
    return "; " + observed_text(tr, result.run.days - result.run.warmup_days)


def _scaled(d: MetricDef, scale: float, tr: Translator, e: Estimate | None) -> str:
    """A money estimate in its column's scale, the scale and sign in the header: `1,91
    ±0,0046` under «виручка (млрд ₽)», where the cell read «1,91 ±0,00463 млрд ₽» with
    its sign wrapped alone, and another row of the column could read «950 ±12 млн ₽»."""
    if e is None or e.mean is None or not math.isfinite(e.mean):
        return DASH
    text = labels.figure(tr, e.mean * d.scale / scale)
    cut = ends(e.mean, e.ci95, *d.limits) if e.ci95 else None
    if cut is not None:  # never a sum below 0: `0,5 [0–6,85]`
        return between(text, low_end(cut[0], lambda x: labels.figure(tr, x * d.scale / scale)),
                       labels.figure(tr, cut[1] * d.scale / scale))
    if e.ci95:
        text += " ±" + labels.figure(tr, e.ci95 * d.scale / scale, 2)
    return text


def sweep_json(result: SweepResult) -> JSONObject:
    """Every metric of every point, as the CSV has them (display units: percent for
    shares), with the run that produced them (schema `sweep.schema.json`)."""
    sweep = result.sweep
    points: list[JSON] = []
    for p in sweep.points:
        metrics: list[JSON] = []
        for d in sweep.space:
            e = p.estimates[d.key]
            metrics.append({"metric": d.name, "subject": d.subject, "label": d.label,
                            "unit": d.unit,
                            "mean": d.shown(e.mean), "ci95": d.shown(e.ci95),
                            "sd": d.shown(e.sd), "n": e.n})
        values: JSONObject = {s.axis: v for s, v in zip(sweep.specs, p.values)}
        overloaded: list[JSON] = [
            {"team": o.team, "load_pct": 100.0 * o.load, "capacity_pct": 100.0 * o.capacity,
             "stages": list(o.stages)} for o in p.overloaded]
        points.append({"point": p.index, "values": values, "label": p.label,
                       "metrics": metrics, "graveyards": list(p.graveyards),
                       "overloaded": overloaded})
    axes: list[JSON] = [s.axis for s in sweep.specs]
    return {"run": result.run.to_json(), "axes": axes, "points": points}


def sweep_csv(result: SweepResult) -> str:
    """The tidy CSV (`sweep.tidy_rows`): one row per point and metric."""
    header, rows = tidy_rows(result.sweep)
    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def save_sweep_plot(result: SweepResult, metric: MetricDef, png: str, svg: str) -> list[str]:
    """`metric` over the grid (a heat map and lines over two axes, a line over one) as
    `png` and `svg`; returns what matplotlib warned about."""
    from ..report.figures import save_figure
    from .plots import sweep_figure

    return save_figure(sweep_figure(result.sweep.points, result.specs, metric,
                                    translator(choose(result.language))), png, svg)
