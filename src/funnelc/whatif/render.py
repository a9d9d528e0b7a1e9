"""What `whatif` prints and writes: the comparison table (rich), its JSON and its
plot; and the number formats `sweep` and `staff` share with it: a value reads in its own
unit (`23.4%`, `5.2h`, `3.1d`, `1,250`, money as the account writes it: `1.38 млн ₽`,
`$1.38M`), a difference says its sign and, for percentages, that it is in percentage
points. Scenario, stage and team names are shown as written
(`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..jsontypes import JSON, JSONObject
from ..numfmt import DASH, hours, hours_like, money_in, money_pm
from ..sim.ci import estimate
from ..sim.results import Estimate
from ..termtext import plain
from .compare import Comparison, Delta, headline_keys
from .metrics import MetricDef
from .service import WhatifResult

__all__ = ["fmt_value", "fmt_estimate", "fmt_delta", "render_whatif", "delta_style",
           "whatif_text", "whatif_json", "save_whatif_plot"]


def _compact(x: float) -> str:
    a = abs(x)
    if a >= 1e6:
        return f"{x / 1e6:.3g}M"
    if a >= 1e4:
        return f"{x / 1e3:.3g}k"
    if a >= 100:
        return f"{x:.0f}"
    if a == 0:
        return "0"
    return f"{x:.3g}"


def _money(d: MetricDef, v: float) -> str:
    return money_in(v, d.unit or None, d.language)


def fmt_value(d: MetricDef, x: float | None) -> str:
    """A value in display units (x as stored: fractions for shares)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    v = x * d.scale
    if d.money:
        return _money(d, v)
    if d.unit == "%":
        return f"{v:.3g}%"
    if d.unit == "h":
        return hours(v)
    return _compact(v)


def _spread(d: MetricDef, x: float, like: float) -> str:
    """A half-width in the unit of the figure it belongs to (`like`, display units):
    `6.07d ±0.2d`, never `6.07d ±4.32m`."""
    v = x * d.scale
    if d.money:
        return _money(d, v)
    if d.unit == "%":
        return f"{v:.2g}"
    if d.unit == "h":
        return hours_like(v, like)
    return _compact(v)


def fmt_estimate(d: MetricDef, e: Estimate | None) -> str:
    """`42.2% ±8.1`, `6.07d ±0.2d`, `202 ±126 млн ₽` (money's scale and sign once)."""
    if e is None or e.mean is None:
        return DASH
    if d.money and e.ci95 and math.isfinite(e.mean):
        return money_pm(e.mean * d.scale, e.ci95 * d.scale, d.unit or None, d.language)
    text = fmt_value(d, e.mean)
    if e.ci95:
        text += f" ±{_spread(d, e.ci95, e.mean * d.scale)}"
    return text


def fmt_delta(d: MetricDef, delta: Estimate) -> str:
    """`+3.1pp ±1.2`, `-2.5h ±40m`, `+120k ±30k`, `+1.2 млн ₽ ±310 тыс. ₽`, `0`
    (exactly)."""
    if delta.mean is None:
        return DASH
    v = delta.mean * d.scale
    if v == 0 and not delta.ci95:
        return _money(d, 0.0) if d.money else "0"
    sign = "+" if v > 0 else ("-" if v < 0 else "±")
    if d.money and delta.ci95:
        return sign + money_pm(abs(v), delta.ci95 * d.scale, d.unit or None, d.language)
    if d.money:
        body = _money(d, abs(v))
    elif d.unit == "%":
        body = f"{abs(v):.2g}pp"
    elif d.unit == "h":
        body = hours(abs(v))
    else:
        body = _compact(abs(v))
    text = sign + body
    if delta.ci95:
        text += f" ±{_spread(d, delta.ci95, v)}"
    return text


def delta_style(delta: Delta) -> str:
    return {"better": "green", "worse": "red", "changed": "yellow", "no change": "dim",
            "identical": "dim"}[delta.verdict]


def render_whatif(console: Console, header: str, base_values: dict[str, Estimate],
                  defs: dict[str, MetricDef], keys: Sequence[str],
                  comparisons: Sequence[Comparison], top: int) -> None:
    console.print(plain(header, style="dim"))
    for c in comparisons:
        if c.run.variant.changes:
            console.print(plain(f"{c.name}: " + "; ".join(c.run.variant.changes), style="dim"))
    table = Table(title="what-if: scenario − baseline (paired 95% CI)", title_justify="left")
    table.add_column("metric")
    table.add_column("baseline", justify="right")
    for c in comparisons:
        table.add_column(plain(f"Δ {c.name}"), justify="right")
    for key in keys:
        d = defs[key]
        row: list[str | Text] = [plain(d.label), fmt_estimate(d, base_values[key])]
        for c in comparisons:
            delta = c.deltas.get(key)
            if delta is None:
                row.append(DASH)
            else:
                row.append(Text(fmt_delta(d, delta.diff), style=delta_style(delta)))
        table.add_row(*row)
    console.print(table)
    console.print(Text("green: better, red: worse, yellow: changed (the 95% interval of the "
                       "difference excludes 0); grey: no significant change", style="dim"))
    for c in comparisons:
        for v in c.verdicts:
            if v.now_graveyard:
                why = f": {v.reasons[0]}" if v.reasons else ""
                console.print(plain(f"{c.name}: {v.stage} becomes a graveyard{why}",
                                    style="red"))
            else:
                console.print(plain(f"{c.name}: {v.stage} is no longer a graveyard",
                                    style="green"))
        shown = set(keys)
        # Per pipeline, team and stage (the account-level ones are in the table).
        others = [x for k, x in c.deltas.items()
                  if k not in shown and x.significant and x.metric.subject is not None]
        others.sort(key=lambda x: -abs(x.relative_pct or 0.0))
        if others and top > 0:
            console.print(plain(f"{c.name}: other significant changes", style="bold"))
            for x in others[:top]:
                rel = (f" ({x.relative_pct:+.3g}%)" if x.relative_pct is not None else "")
                console.print(plain(f"  {x.metric.label}: {fmt_estimate(x.metric, x.baseline)}"
                                    f" → {fmt_value(x.metric, x.value.mean)}, "
                                    f"Δ {fmt_delta(x.metric, x.diff)}{rel}",
                                    style=delta_style(x)))
            if len(others) > top:
                console.print(Text(f"  … and {len(others) - top} more (--top, --json)",
                                   style="dim"))


def whatif_text(console: Console, result: WhatifResult, top: int) -> None:
    """The comparison as `funnelc whatif` prints it: the run, then `render_whatif`."""
    r, n = result.run, len(result.comparisons)
    header = (f"{r.file}: baseline and {n} scenario{'s' if n != 1 else ''}, {r.reps} "
              f"replications × {r.days} days ({r.warmup_days} warm-up), seed {r.seed}, "
              f"common random numbers; ran on {result.where}")
    base = result.base
    defs = {d.key: d for d in base.space}
    if any(d.money for d in defs.values()):
        header += f"; money over the {r.days - r.warmup_days} observed days"
    base_values = {k: estimate(base.series(k)) for k in defs}
    render_whatif(console, header, base_values, defs, headline_keys(base),
                  result.comparisons, top)
    _breaches_text(console, result)


def _breaches_text(console: Console, result: WhatifResult) -> None:
    """Where each variant's respond breaches come from: deals arriving outside working
    hours, on which days (the why behind a respond figure that barely moves)."""
    from .staff_render import breach_line

    rows = [(name, b) for name, splits in result.breaches for b in splits if b.breached]
    if not rows:
        return
    console.print(plain("respond breaches by when the deal arrived:", style="bold"))
    for name, b in rows:
        console.print(plain(f"  {name}: {b.target.removeprefix('respond at ')}: "
                            f"{breach_line(b)}"))


def _est(e: Estimate, scale: float) -> JSONObject:
    def sc(x: float | None) -> float | None:
        return None if x is None else x * scale
    return {"mean": sc(e.mean), "ci95": sc(e.ci95), "sd": sc(e.sd), "n": e.n}


def whatif_json(result: WhatifResult) -> JSONObject:
    """Everything the what-if computed, in display units (percent for shares), and the
    run (schema `whatif.schema.json`)."""
    from .staff_render import breach_json

    base = result.base
    metrics: list[JSON] = [
        {"key": d.key, "name": d.name, "subject": d.subject, "label": d.label,
         "unit": d.unit, "better": d.better,
         "baseline": _est(estimate(base.series(d.key)), d.scale)}
        for d in base.space]
    scenarios: list[JSON] = [{
        "name": c.name,
        "changes": list(c.run.variant.changes),
        "deltas": {k: {"value": _est(d.value, d.metric.scale),
                       "diff": _est(d.diff, d.metric.scale),
                       "relative_pct": d.relative_pct, "significant": d.significant,
                       "verdict": d.verdict}
                   for k, d in c.deltas.items()},
        "graveyard_changes": [{"stage": v.stage, "now_graveyard": v.now_graveyard,
                               "reasons": list(v.reasons)} for v in c.verdicts],
        "graveyards": [*c.still_graveyards, *(v.stage for v in c.verdicts
                                              if v.now_graveyard)],
    } for c in result.comparisons]
    return {
        "baseline": {"changes": [], "graveyards": [f"{s.pipeline}.{s.stage}"
                                                   for s in base.result.stages
                                                   if s.graveyard.is_graveyard]},
        "metrics": metrics,
        "scenarios": scenarios,
        "run": result.run.to_json(),
        "respond_breaches": [{"variant": name, "stages": [breach_json(b) for b in splits]}
                             for name, splits in result.breaches],
    }


def save_whatif_plot(result: WhatifResult, png: str, svg: str) -> list[str]:
    """The comparison plot as `png` and `svg`; returns what matplotlib warned about."""
    from ..report.figures import save_figure
    from .plots import whatif_figure

    base = result.base
    defs = {d.key: d for d in base.space}
    fig = whatif_figure(base, result.comparisons, headline_keys(base), defs)
    return save_figure(fig, png, svg)
