"""The optional "What-if" section of `report.html` (`funnelc report --whatif`): every
scenario of the file against the run the report already made, on common random
numbers, as a table of paired differences and the comparison plot (inline SVG). The
report's own run is reused as the baseline, so only the scenarios are simulated."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ..i18n import N_, Translator
from .compare import Comparison, compare, headline_keys
from .metrics import main_pipeline, metric_space, rep_values
from .render import (
    fmt_delta,
    fmt_estimate,
    months_outside,
    months_outside_text,
    price_note_text,
    profile_reset_text,
    profile_resets,
    scenario_price_notes,
    unchanged,
    unchanged_text,
)
from .runs import Variant, VariantRun, run_variants

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim.compile import Network
    from ..sim.config import SimConfig
    from ..sim.results import SimResult
    from ..sim.stats import RepStats
    from .executors import Runner
    from .service import RunRecord
    from .staff_explain import BreachSplit

__all__ = ["whatif_section", "section_title", "SECTION_ID"]

SECTION_ID = "whatif"
_HEADING = "What-if: the scenarios against this run"


def section_title(language: str | None = None) -> str:
    """The report's nav entry for the section in the page's language: the head of the
    section's heading, before its colon («Що як», «Что если», «What-if»), as the other
    entries name their sections («Кладовища» for «Кладовища: де накопичуються угоди»).
    The nav said «What-if» in a Ukrainian report."""
    from ..i18n import choose, translator

    return translator(choose(language)).gettext(_HEADING).split(":")[0].strip()

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

    breaches = [(v.variant.name, stage_breaches(v.net, v.reps, config.start,
                                                range(config.warmup_days, config.days)))
                for v in (base, *others)]
    from ..i18n import choose, translator

    lang = model.account.language if model.account is not None else None
    from .service import RunRecord

    return _render(base, comparisons, breaches, translator(choose(lang)),
                   RunRecord.of("", config))


def _render(base: VariantRun, comparisons: list[Comparison],
            breaches: list[tuple[str, tuple[BreachSplit, ...]]] | None = None,
            tr: Translator | None = None, run: RunRecord | None = None) -> str:
    from ..i18n import translator
    from ..report.figures import STANDALONE, render_svg
    from ..report.html import figure_html, table_html
    from ..report.markup import code_spans
    from ..sim.ci import estimate
    from .labels import metric_label
    from .plots import whatif_figure
    from .staff_why import breach_line, graveyard_why, variant_name

    tr = tr or translator("en")
    _ = tr.gettext
    keys = headline_keys(base)
    defs = {d.key: d for d in base.space}
    heading = _("What-if: the scenarios against this run")  # = _HEADING (extracted here)
    # `--reps 1`: no interval to speak of, in the note or under the plot (as its title).
    paired = len(base.reps) >= 2
    out = [f'<section id="{SECTION_ID}"><h2>{_e(heading)}</h2>',
           f'<p class="note">{_e(_(_NOTE if paired else _NOTE_ONE))}</p><ul>']
    for c in comparisons:
        lines = "; ".join(f"<code>{_e(x)}</code>" for x in c.run.variant.changes)
        out.append(f"<li><b>{_e(c.name)}</b>: {lines}</li>")
    # The report's table: one column per scenario, a card a metric on a phone.
    metric, this_run = _("metric"), _("this run")
    cells = []
    for key in keys:
        d = defs[key]
        row = [_e(metric_label(tr, d)), _e(fmt_estimate(d, estimate(base.series(key)), tr))]
        for c in comparisons:
            delta = c.deltas.get(key)
            row.append("—" if delta is None else
                       f'<span class="{_CLASS[delta.verdict]}">'
                       f"{_e(_minus(fmt_delta(d, delta.diff, tr, delta.baseline.mean)))}</span>")
        cells.append(row)
    out.append("</ul>" + table_html([metric, this_run, *(f"Δ {c.name}" for c in comparisons)],
                                    cells, set(range(1, len(comparisons) + 2)),
                                    caption=heading))
    notes = scenario_price_notes(base, comparisons)
    if notes:
        out.append("<ul>" + "".join(f'<li class="warn">{code_spans(price_note_text(tr, name, n))}'
                                    "</li>" for name, n in notes) + "</ul>")
    if run is not None:
        same = []
        for c in comparisons:
            same += [profile_reset_text(tr, c.name, source, reset)
                     for source, reset in profile_resets(base, c)]
            outside = months_outside(base, c, run)
            same += [months_outside_text(tr, c.name, source, months, run)
                     for source, months in outside]
            if unchanged(c) and not outside:
                same.append(unchanged_text(tr, c.name, run))
        if same:
            out.append("<ul>" + "".join(f'<li class="warn">{_e(x)}</li>' for x in same)
                       + "</ul>")
    changes = [(c.name, v) for c in comparisons for v in c.verdicts]
    if changes:
        out.append("<ul>")
        for name, v in changes:
            if v.now_graveyard:
                text = (_("{scenario}: {stage} becomes a graveyard: {why}") if v.reasons else
                        _("{scenario}: {stage} becomes a graveyard"))
                line = text.format(scenario=name, stage=v.stage, why=graveyard_why(tr, v))
                out.append(f'<li class="bad">{_e(line)}</li>')
            else:
                line = _("{scenario}: {stage} is no longer a graveyard").format(
                    scenario=name, stage=v.stage)
                out.append(f'<li class="ok">{_e(line)}</li>')
        out.append("</ul>")
    rows = [(variant_name(tr, name, k == 0), b) for k, (name, splits)
            in enumerate(breaches or []) for b in splits if b.breached]
    if rows:

        out.append(f"<p>{_e(_(_BREACHES))}</p><ul>")
        out += [f"<li><b>{_e(name)}</b>: {_e(b.target.removeprefix('respond at '))}: "
                f"{_e(breach_line(tr, b))}</li>" for name, b in rows]
        out.append("</ul>")
    # The same SVG `funnelc whatif --plot` writes, through the one figure saver.
    svg = render_svg(whatif_figure(base, comparisons, keys, defs, tr), STANDALONE).svg
    caption = _e(_("Scenario − this run, paired 95% intervals ({command} writes it as PNG "
                   "and SVG).") if paired else
                 _("Scenario − this run, one replication: no 95% interval ({command} writes it "
                   "as PNG and SVG).")).format(command="<code>funnelc whatif FILE --plot PATH</code>")
    out.append(figure_html(svg, "plot-whatif", caption) + "</section>")
    return "".join(out)


def _minus(text: str) -> str:
    """A difference with the minus sign (U+2212) the page's other figures and the
    history's write: «-1,1 п. п.» beside «−19,7 в. п.»."""
    return "\u2212" + text[1:] if text.startswith("-") else text


_NOTE = N_("Each scenario ran the same replications as the run above, so it saw the same "
           "arrivals and draws wherever it changes nothing (common random numbers). Figures "
           "are the scenario's difference from this run with the 95% interval of the "
           "per-replication differences; green is better, red worse, amber a change with no "
           "better side, grey no significant change.")
_NOTE_ONE = N_("Each scenario ran the same replication as the run above, so it saw the same "
               "arrivals and draws wherever it changes nothing (common random numbers). "
               "Figures are the scenario's difference from this run in its one replication, "
               "with no 95% interval, so no change is called better or worse (--reps 2 or "
               "more).")
_BREACHES = N_("Respond breaches by when the deal arrived (the team's working hours, "
               "weekday):")
