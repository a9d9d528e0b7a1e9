"""The optional "What-if" section of `report.html` (`funnelc report --whatif`): every
scenario of the file against the run the report already made, on common random
numbers, as a table of paired differences and the comparison plot (inline SVG). The
report's own run is reused as the baseline, so only the scenarios are simulated."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .compare import Comparison, compare, headline_keys
from .metrics import main_pipeline, metric_space, rep_values
from .render import fmt_delta, fmt_estimate
from .runs import Variant, VariantRun, run_variants

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim.compile import Network
    from ..sim.config import SimConfig
    from ..sim.results import SimResult
    from ..sim.stats import RepStats
    from .executors import Runner
    from .staff_explain import BreachSplit

__all__ = ["whatif_section", "SECTION_ID", "SECTION_TITLE"]

SECTION_ID = "whatif"
SECTION_TITLE = "What-if"

_CLASS = {"better": "ok", "worse": "bad", "changed": "warn", "no change": "note",
          "identical": "note"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def whatif_section(model: FunnelFile, net: Network, config: SimConfig, reps: list[RepStats],
                   result: SimResult, runner: Runner, source_text: str = "") -> str | None:
    """The section's HTML, or None when the file has no scenario."""
    from ..scenarios import apply_scenario

    if not model.scenarios:
        return None
    base = VariantRun(Variant("baseline", model), net, reps, result,
                      [rep_values(net, r, main_pipeline(model)) for r in reps],
                      metric_space(model, net))
    variants = []
    for scen in model.scenarios:
        lines = tuple(source_text[o.span.start:o.span.end].strip() for o in scen.overrides) \
            if source_text else ()
        variants.append(Variant(scen.name.value, apply_scenario(model, scen.name.value), lines))
    others = run_variants(variants, config, runner)
    comparisons = compare(base, others)
    from .staff_explain import stage_breaches

    breaches = [(v.variant.name, stage_breaches(v.net, v.reps, config.start))
                for v in (base, *others)]
    return _render(base, comparisons, breaches)


def _render(base: VariantRun, comparisons: list[Comparison],
            breaches: list[tuple[str, tuple[BreachSplit, ...]]] | None = None) -> str:
    from ..report.figures import STANDALONE, render_svg
    from ..report.html import inline_svg
    from ..sim.ci import estimate
    from .plots import whatif_figure

    keys = headline_keys(base)
    defs = {d.key: d for d in base.space}
    out = [f'<section id="{SECTION_ID}"><h2>What-if: the scenarios against this run</h2>',
           '<p class="note">Each scenario ran the same replications as the run above, so '
           "it saw the same arrivals and draws wherever it changes nothing (common random "
           "numbers). Figures are the scenario's difference from this run with the 95 % "
           "interval of the per-replication differences; green is better, red worse, "
           "amber a change with no better side, grey no significant change.</p><ul>"]
    for c in comparisons:
        lines = "; ".join(f"<code>{_e(x)}</code>" for x in c.run.variant.changes)
        out.append(f"<li><b>{_e(c.name)}</b>: {lines}</li>")
    # In the report's sideways-scrolling box: one column per scenario is wider than a phone.
    out.append('</ul><div class="scroll"><table><thead><tr><th>metric</th>'
               '<th class="n">this run</th>')
    out += [f'<th class="n">Δ {_e(c.name)}</th>' for c in comparisons]
    out.append("</tr></thead><tbody>")
    for key in keys:
        d = defs[key]
        out.append(f"<tr><td>{_e(d.label)}</td>"
                   f'<td class="n">{_e(fmt_estimate(d, estimate(base.series(key))))}</td>')
        for c in comparisons:
            delta = c.deltas.get(key)
            if delta is None:
                out.append('<td class="n">—</td>')
            else:
                out.append(f'<td class="n {_CLASS[delta.verdict]}">'
                           f"{_e(fmt_delta(d, delta.diff))}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    changes = [(c.name, v) for c in comparisons for v in c.verdicts]
    if changes:
        out.append("<ul>")
        for name, v in changes:
            if v.now_graveyard:
                why = f": {_e(v.reasons[0])}" if v.reasons else ""
                out.append(f'<li class="bad">{_e(name)}: {_e(v.stage)} becomes a '
                           f"graveyard{why}</li>")
            else:
                out.append(f'<li class="ok">{_e(name)}: {_e(v.stage)} is no longer a '
                           "graveyard</li>")
        out.append("</ul>")
    rows = [(name, b) for name, splits in breaches or [] for b in splits if b.breached]
    if rows:
        from .staff_render import breach_line

        out.append("<p>Respond breaches by when the deal arrived (the team's working "
                   "hours, weekday):</p><ul>")
        out += [f"<li><b>{_e(name)}</b>: {_e(b.target.removeprefix('respond at '))}: "
                f"{_e(breach_line(b))}</li>" for name, b in rows]
        out.append("</ul>")
    # The same SVG `funnelc whatif --plot` writes, through the one figure saver.
    svg = render_svg(whatif_figure(base, comparisons, keys, defs), STANDALONE).svg
    out.append(f"<figure>{inline_svg(svg, 'plot-whatif')}"
               '<figcaption id="plot-whatif-caption">Scenario − this run, paired 95 % '
               "intervals (<code>funnelc whatif FILE --plot PATH</code> writes it as PNG and "
               "SVG).</figcaption></figure></section>")
    return "".join(out)
