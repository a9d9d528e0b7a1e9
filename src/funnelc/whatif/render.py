"""What `whatif` prints and writes: the comparison table (rich), its JSON and its
plot; and the number formats `sweep` and `staff` share with it: a value reads in its own
unit (`23.4%`, `5.2h`, `3.1d`, `1,250`, money as the account writes it: `1.38 млн ₽`,
`$1.38M`), a difference says its sign and, for percentages, that it is in percentage
points. Scenario, stage and team names are shown as written
(`termtext.plain`), never read as rich markup."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..i18n import Translator, choose, translator
from ..i18n.figures import CI_ENDS
from ..jsontypes import JSON, JSONObject
from ..numfmt import DASH, between, ends, hours, hours_like, low_end, money_in, money_pm
from ..sim.ci import estimate
from ..sim.results import Estimate
from ..sim.verdict_words import warning_text
from ..termtext import plain
from . import labels
from .compare import Comparison, Delta, headline_keys
from .metrics import MetricDef
from .prices import PriceNote, price_notes
from .runs import VariantRun
from .service import RunRecord, WhatifResult

__all__ = ["fmt_value", "fmt_estimate", "fmt_delta", "render_whatif", "delta_style",
           "price_note_text", "scenario_price_notes",
           "whatif_text", "whatif_json", "save_whatif_plot", "unchanged", "unchanged_text", "observed_text",
           "months_outside", "months_outside_text", "profile_resets", "profile_reset_text"]


def _sig(x: float, digits: int) -> str:
    """`x` to `digits` significant digits in English, never in scientific notation, by
    `labels.figure`'s rule for the other languages: a sliver below a hundredth is rounded
    to four decimals. `.2g` printed a change of 1e-05 points as «+1e-05pp» and one of 100
    points as «+1e+02pp»."""
    if x != 0 and abs(x) < 0.01:
        text = f"{x:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    text = f"{x:.{digits}g}"
    return f"{x:.0f}" if "e" in text else text


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
    return _sig(x, 3)


def _money(d: MetricDef, v: float, tr: Translator | None) -> str:
    if tr is not None and tr.lang != "en":
        return labels.money(tr, v, d.unit or None)
    # `--lang en` on a Russian account writes English money (`₽1.38B`), not `1.38 млрд ₽`.
    return money_in(v, d.unit or None, d.language if tr is None else tr.lang)


def _local(tr: Translator | None) -> Translator | None:
    """The translator when the output speaks another language than English: English keeps
    the formats it always had (`numfmt`)."""
    return tr if tr is not None and tr.lang != "en" else None


def fmt_value(d: MetricDef, x: float | None, tr: Translator | None = None) -> str:
    """A value in display units (x as stored: fractions for shares), in `tr`'s language."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return DASH
    v = x * d.scale
    loc = _local(tr)
    if d.money:
        return _money(d, v, tr)
    if d.unit == "%":
        return (labels.figure(loc, v) if loc else _sig(v, 3)) + "%"
    if d.unit == "h":
        return labels.duration(loc, v) if loc else hours(v)
    return labels.count(loc, v) if loc else _compact(v)


def _spread(d: MetricDef, x: float, like: float, tr: Translator | None) -> str:
    """A half-width in the unit of the figure it belongs to (`like`, display units):
    `6.07d ±0.2d`, never `6.07d ±4.32m`."""
    v = x * d.scale
    loc = _local(tr)
    if d.money:
        return _money(d, v, tr)
    if d.unit == "%":
        return labels.figure(loc, v, 2) if loc else _sig(v, 2)
    if d.unit == "h":
        return labels.duration(loc, v, like) if loc else hours_like(v, like)
    return labels.count(loc, v) if loc else _compact(v)


def _money_pm(d: MetricDef, mean: float, half: float, tr: Translator | None,
              low: float | None = 0.0) -> str:
    if tr is not None and tr.lang != "en":
        return labels.money_estimate(tr, mean, half, d.unit or None, low)
    return money_pm(mean, half, d.unit or None, d.language if tr is None else tr.lang, low)


def _noise(half: float | None, mean: float) -> bool:
    """A half-width that is only floating-point noise around a figure every replication
    shares (a team busy 100% of its time in each: sd 2.5e-13), to be read as none: it
    printed «100% ±3.3e-13»."""
    return not half or half <= 1e-9 * abs(mean)


def fmt_estimate(d: MetricDef, e: Estimate | None, tr: Translator | None = None) -> str:
    """`42.2% ±8.1`, `6.07d ±0.2d`, `202 ±126 млн ₽` (money's scale and sign once); the
    interval's ends where it crosses the figure's natural limit (`0.5 [0–6.85]` deals,
    `1.35% [0–18.4%]`: `MetricDef.limits`)."""
    if e is not None and e.mean is not None and e.ci95 and _noise(e.ci95, e.mean):
        e = e.model_copy(update={"ci95": 0.0})
    if e is None or e.mean is None:
        return DASH
    if d.money and e.ci95 and math.isfinite(e.mean):
        return _money_pm(d, e.mean * d.scale, e.ci95 * d.scale, tr, d.limits[0])
    cut = ends(e.mean, e.ci95, *d.limits) if e.ci95 else None
    if cut is not None:
        return between(fmt_value(d, e.mean, tr),
                       low_end(cut[0], lambda x: fmt_value(d, x, tr)), fmt_value(d, cut[1], tr))
    text = fmt_value(d, e.mean, tr)
    if e.ci95:
        text += f" ±{_spread(d, e.ci95, e.mean * d.scale, tr)}"
    return text


def fmt_delta(d: MetricDef, delta: Estimate, tr: Translator | None = None,
              like: float | None = None) -> str:
    """`+3.1pp ±1.2`, `-2.5h ±40m`, `+120k ±30k`, `+1.2 млн ₽ ±310 тыс. ₽`, `0`
    (exactly); in another language `+3,1 п.п. ±1,2`, `-2,5 ч ±40 мин`. A duration takes
    the unit of `like`, the baseline it changes (stored units), when given: «18,4 дн.
    ±6,48 дн.» beside «-12,2 ч ±94 ч» made a client convert hours to days to compare; or
    the changed figure's, when that is the larger: «32 хв → 7,01 дн., Δ +10 059 хв ±191
    хв» made them convert minutes to days."""
    if delta.mean is not None and delta.ci95 and _noise(delta.ci95, delta.mean):
        delta = delta.model_copy(update={"ci95": 0.0})
    if delta.mean is None:
        return DASH
    v = delta.mean * d.scale
    if delta.ci95 and abs(v) <= 1e-9 * delta.ci95 * d.scale:
        # A mean of differences that cancel, up to rounding (+x and -x: 1.3e-14), is 0: it
        # read «+0 п. п. ±3,3» (saleschef's «Бухгалтерия» under «Жесткий SLA по КП»).
        v = 0.0
    unit_of = v if like is None else max(abs(like * d.scale), abs(like * d.scale + v))
    if v == 0 and not delta.ci95:
        return _money(d, 0.0, tr) if d.money else "0"
    # No sign on a zero: «±0 п. п. ±7,8» carried two ± for «0 ±7,8».
    sign = "+" if v > 0 else ("-" if v < 0 else "")
    if d.money and delta.ci95:
        return sign + _money_pm(d, abs(v), delta.ci95 * d.scale, tr, None)
    loc = _local(tr)
    if d.money:
        body = _money(d, abs(v), tr)
    elif d.unit == "%":
        # No-break spaces: a narrow table cell wrapped «+3,1» from its «п. п.».
        body = ((labels.figure(loc, abs(v), 2) + " " + loc.pgettext("unit", "pp"))
                .replace(" ", "\u00a0") if loc else _sig(abs(v), 2) + "pp")
    elif d.unit == "h":
        body = labels.duration(loc, abs(v), unit_of) if loc else hours_like(abs(v), unit_of)
    else:
        body = labels.count(loc, abs(v)) if loc else _compact(abs(v))
    text = sign + body
    if delta.ci95:
        text += f" ±{_spread(d, delta.ci95, unit_of, tr)}"
    return text


def price_note_text(tr: Translator, scenario: str, note: PriceNote) -> str:
    """A `PriceNote` as a sentence, the file's code in backticks."""
    if note.kind == "budget_kept":
        text = tr.gettext("{scenario}: the budget of {source} stays `{budget}`: the scenario "
                          "changes its leads, not what it pays for them, so its cost does not "
                          "change; if more leads cost more, add `{line}`")
    else:
        text = tr.gettext("{scenario}: {source} has no `cost` or `budget`: what its leads "
                          "cost is unknown, and the costs leave it out")
    return text.format(scenario=scenario, source=tr.quote(note.source), budget=note.budget,
                       line=note.line)


def scenario_price_notes(result_base: VariantRun, comparisons: Sequence[Comparison]
                         ) -> list[tuple[str, PriceNote]]:
    """(scenario, note) for every source whose leads a scenario changes and whose cost
    figure needs a word (`prices.price_notes`)."""
    return [(c.name, n) for c in comparisons
            for n in price_notes(result_base.variant.model, c.run.variant.model)]


def delta_style(delta: Delta) -> str:
    return {"better": "green", "worse": "red", "changed": "yellow", "no change": "dim",
            "identical": "dim"}[delta.verdict]


def render_whatif(console: Console, header: str, base_values: dict[str, Estimate],
                  defs: dict[str, MetricDef], keys: Sequence[str],
                  comparisons: Sequence[Comparison], top: int,
                  tr: Translator | None = None, base: VariantRun | None = None) -> None:
    """The comparison table, what the cost rows leave unsaid about the sources' prices
    (with the `base` run), the graveyard verdicts that change and the other significant
    changes per scenario, in `tr`'s language (English without one)."""
    from .staff_why import graveyard_why

    tr = tr or translator("en")
    _ = tr.gettext
    console.print(plain(header, style="dim"))
    for c in comparisons:
        if c.run.variant.changes:
            # The scenario's own lines, marked as the file's code (the report shows them as
            # <code>): bare, «source "Facebook" 15/week» read as English in a Ukrainian run.
            console.print(plain(f"{c.name}: " + "; ".join(f"`{x}`" for x in c.run.variant.changes),
                                style="dim"))
    # `--reps 1`: no interval, so the title does not promise one (as the plot's, 52c4f04).
    one = not any(e.n >= 2 for e in base_values.values())
    table = Table(title=_("what-if: scenario − baseline (one replication, no 95% interval)")
                  if one else _("what-if: scenario − baseline (paired 95% CI)"),
                  title_justify="left")
    table.add_column(_("metric"))
    table.add_column(_("baseline"), justify="right")
    for c in comparisons:
        table.add_column(plain(f"Δ {c.name}"), justify="right")
    for key in keys:
        d = defs[key]
        row: list[str | Text] = [plain(labels.metric_label(tr, d)),
                                 fmt_estimate(d, base_values[key], tr)]
        for c in comparisons:
            delta = c.deltas.get(key)
            if delta is None:
                row.append(DASH)
            else:
                row.append(Text(fmt_delta(d, delta.diff, tr, delta.baseline.mean),
                                style=delta_style(delta)))
        table.add_row(*row)
    console.print(table)
    if one:
        # `--reps 1`: neither legend applies (no interval, so no colour and no ends); the
        # colours' legend above this line read as if «-21 п. п.» in grey were «no
        # significant change».
        console.print(plain(_("one replication: no 95% interval, so no change is called "
                              "better or worse (--reps 2 or more)"), style="yellow"))
    else:
        console.print(Text(_("green: better, red: worse, yellow: changed (the 95% interval of "
                             "the difference excludes 0); grey: no significant change"),
                           style="dim"))
        console.print(plain(_(CI_ENDS), style="dim"))
    if base is not None:
        for name, note in scenario_price_notes(base, comparisons):
            console.print(plain(price_note_text(tr, name, note)), soft_wrap=True)
    for c in comparisons:
        for v in c.verdicts:
            if v.now_graveyard:
                text = (_("{scenario}: {stage} becomes a graveyard: {why}") if v.reasons else
                        _("{scenario}: {stage} becomes a graveyard"))
                console.print(plain(text.format(scenario=c.name, stage=v.stage,
                                                why=graveyard_why(tr, v)), style="red"))
            else:
                console.print(plain(_("{scenario}: {stage} is no longer a graveyard").format(
                    scenario=c.name, stage=v.stage), style="green"))
        _others(console, c, set(keys), top, tr)


def _relative(tr: Translator, pct: float | None) -> str:
    if pct is None:
        return ""
    if tr.lang == "en":
        return f" ({pct:+.3g}%)"
    return f" ({'+' if pct > 0 else ''}{tr.sig(pct)}%)"


def _others(console: Console, c: Comparison, shown: set[str], top: int,
            tr: Translator) -> None:
    """Per pipeline, team and stage, the significant changes (the account-level ones are
    in the table), largest relative change first."""
    _ = tr.gettext
    others = [x for k, x in c.deltas.items()
              if k not in shown and x.significant and x.metric.subject is not None]
    others.sort(key=lambda x: -abs(x.relative_pct or 0.0))
    if not others or top <= 0:
        return
    console.print(plain(_("{scenario}: other significant changes").format(scenario=c.name),
                        style="bold"))
    for x in others[:top]:
        console.print(plain(f"  {labels.metric_label(tr, x.metric)}: "
                            f"{fmt_estimate(x.metric, x.baseline, tr)}"
                            f" → {fmt_value(x.metric, x.value.mean, tr)}, "
                            f"Δ {fmt_delta(x.metric, x.diff, tr, x.baseline.mean)}"
                            f"{_relative(tr, x.relative_pct)}",
                            style=delta_style(x)))
    if len(others) > top:
        more = len(others) - top
        # The options that show them: --top, or the JSON (`--json` is deprecated and not
        # in --help; the clinic's Ukrainian what-if named it).
        console.print(Text("  " + tr.ngettext("… and {n} more (--top, --format json)",
                                              "… and {n} more (--top, --format json)",
                                              more).format(
                                                  n=more), style="dim"))


def whatif_text(console: Console, result: WhatifResult, top: int) -> None:
    """The comparison as `funnelc whatif` prints it: the run, then `render_whatif`, in the
    account's language (`--lang` overrides)."""
    from .staff_why import place_text

    tr = translator(choose(result.language))
    _ = tr.gettext
    result = named(result, tr)
    r, n = result.run, len(result.comparisons)
    header = tr.ngettext(
        "{file}: baseline and {n} scenario, {reps} × {days} ({warmup} warm-up), seed {seed}, "
        "common random numbers; ran on {where}",
        "{file}: baseline and {n} scenarios, {reps} × {days} ({warmup} warm-up), seed {seed}, "
        "common random numbers; ran on {where}", n).format(
            file=r.file, n=n, reps=_replications(tr, r.reps), days=_days(tr, r.days),
            warmup=_days(tr, r.warmup_days, warmup=True), seed=r.seed,
            where=place_text(tr, result.place, result.where))
    base = result.base
    defs = {d.key: d for d in base.space}
    if any(d.money for d in defs.values()):
        header += "; " + observed_text(tr, r.days - r.warmup_days)
    base_values = {k: estimate(base.series(k)) for k in defs}
    render_whatif(console, header, base_values, defs, headline_keys(base),
                  result.comparisons, top, tr, base)
    for c in result.comparisons:
        for source, reset in profile_resets(base, c):
            console.print(plain(profile_reset_text(tr, c.name, source, reset),
                                style="yellow"))
        outside = months_outside(base, c, r)
        for source, months in outside:
            console.print(plain(months_outside_text(tr, c.name, source, months, r),
                                style="yellow"))
        if unchanged(c) and not outside:
            console.print(plain(unchanged_text(tr, c.name, r), style="yellow"))
    for o in result.overloaded:
        # simulate's unstable-team warning, per variant: a «+38 pp» of conversion between
        # two sizes of a team that keeps up in neither only says how long the run was.
        shown = ", ".join(f"`{st}`" for st in o.stages[:3])
        if len(o.stages) > 3:
            shown += " " + _("and {n} more").format(n=len(o.stages) - 3)
        console.print(Text(_("{variant}: team {team} cannot keep up (load {load}, at or past "
                             "the {capacity} it can do), and nothing takes waiting deals out "
                             "of its queue at {stages} (no SLA or patience): the queue grows "
                             "for as long as the run lasts, so this variant's figures depend "
                             "on the run's length (--days)").format(
            variant=_("baseline") if o.variant == "baseline" else o.variant,
            team=tr.quote(o.team), load=tr.pct(o.load), capacity=tr.pct(o.capacity),
            stages=shown), style="yellow"))
    runs = [(_("baseline"), base), *((c.name, c.run) for c in result.comparisons)]
    for name, run in runs:
        # simulate's short-window warning, per variant: the window's first weeks lack the
        # wins of deals that would have started before it (and a replication with more
        # wins than starts counts 100%, as simulate counts it).
        for w in run.result.warnings:
            if w.code == "short-window":
                console.print(plain(f"{name}: {warning_text(tr, w)}", style="yellow"))
    _breaches_text(console, result, tr)


SET = "--set"
"""The name of the variant the `--set` lines make (`commands.whatif`): its JSON name."""


def named(result: WhatifResult, tr: Translator) -> WhatifResult:
    """`result` with the `--set` variant named as a client reads it, «change (--set)»
    («изменение (--set)», «зміна (--set)»), in every table, line and plot: the table's
    column read «Δ --set». Its lines follow the name on the header's line, as a
    scenario's do; the JSON keeps `--set`."""
    label = tr.gettext("change (--set)")

    def name(n: str) -> str:
        return label if n == SET else n

    return dataclasses.replace(
        result,
        comparisons=[dataclasses.replace(c, name=name(c.name)) for c in result.comparisons],
        breaches=[(name(n), b) for n, b in result.breaches],
        overloaded=[dataclasses.replace(o, variant=name(o.variant)) for o in result.overloaded])


def observed_text(tr: Translator, n: int) -> str:
    """Over how long money and deal counts were summed: the observed days after the
    warm-up. «деньги за 335 наблюдаемых дней» left «срабатывания SLA 8 532» (summed over
    the same days) to be read as a year's or the whole run's."""
    return tr.ngettext("money and deal counts over the {n} observed day",
                       "money and deal counts over the {n} observed days", n).format(n=n)


def unchanged(c: Comparison) -> bool:
    """Every figure of every replication is the baseline's, and no graveyard changes."""
    return bool(c.deltas) and all(d.identical for d in c.deltas.values()) and not c.verdicts


def unchanged_text(tr: Translator, scenario: str, run: RunRecord) -> str:
    """Why a scenario's column is all «0»: «Реклама настроена правильно» (qualification,
    its sources' profiles for August to October) over 120 days from January read as if
    fixing the ads changed nothing, when the run never reached those months."""
    from datetime import date, timedelta

    start = date.fromisoformat(run.start_date)
    end = start + timedelta(days=run.days - 1)
    return tr.gettext(
        "{scenario}: every figure is the baseline's, in every replication: nothing the "
        "scenario changes acts within the run ({start} – {end}); a month of a profile "
        "outside these dates, or a stage no deal reaches, changes nothing").format(
            scenario=scenario, start=tr.day(start), end=tr.day(end))


def _run_months(run: RunRecord) -> set[int]:
    """The calendar months (0 = January) the run's days fall in."""
    from datetime import date, timedelta

    start = date.fromisoformat(run.start_date)
    if run.days >= 366:
        return set(range(12))
    return {(start + timedelta(days=k)).month - 1 for k in range(run.days)}


def months_outside(base: VariantRun, c: Comparison, run: RunRecord
                   ) -> list[tuple[str, list[int]]]:
    """The sources whose leads the scenario changes only in months the run does not reach
    (source, those months, 0 = January): «Осенний пик» raises «Сайт и квиз» in September
    to November, and a run of 200 days from January never sees it."""
    was = {s.name: s for s in base.net.sources}
    reached = _run_months(run)
    out: list[tuple[str, list[int]]] = []
    for s in c.run.net.sources:
        b = was.get(s.name)
        if b is None or b.stage != s.stage:
            continue
        moved = [k for k in range(12) if not math.isclose(
            b.per_hour * b.profile[k], s.per_hour * s.profile[k], rel_tol=1e-12)]
        if moved and not reached.intersection(moved):
            out.append((s.name, moved))
    return out


def profile_resets(base: VariantRun, c: Comparison) -> list[tuple[str, list[tuple[int, float]]]]:
    """The sources whose `profile` the scenario replaces, with the months of the old
    profile the new one does not name (1 = January, the old share as a fraction): they go
    back to 100%, as scenarios.py replaces a profile whole. courses' «Третий продажник и
    реклама в Reels» writes `source "Сайт" profile sep 200%` and so also drops «Сайт»'s
    January 120% and its July and August dips, which nothing said."""
    from ..model import MONTHS

    was = {s.name.value: s for s in base.variant.model.sources}
    out: list[tuple[str, list[tuple[int, float]]]] = []
    for s in c.run.variant.model.sources:
        b = was.get(s.name.value)
        if b is None or not s.profile or s.profile == b.profile:
            continue
        named = {ms.month for ms in s.profile}
        dropped = [(MONTHS.index(ms.month) + 1, ms.share.value) for ms in b.profile
                   if ms.month not in named and ms.share.value != 1.0]
        if dropped:
            out.append((s.name.value, sorted(dropped)))
    return out


def profile_reset_text(tr: Translator, scenario: str, source: str,
                       months: list[tuple[int, float]]) -> str:
    return tr.gettext(
        "{scenario}: a `profile` line replaces the whole profile of {source}: the months it "
        "does not name go back to 100% (were {months})").format(
            scenario=scenario, source=tr.quote(source),
            months=", ".join(f"{tr.month(k)} {tr.number(100.0 * v, 1)}%" for k, v in months))


def months_outside_text(tr: Translator, scenario: str, source: str, months: list[int],
                        run: RunRecord) -> str:
    from datetime import date, timedelta

    start = date.fromisoformat(run.start_date)
    end = start + timedelta(days=run.days - 1)
    return tr.gettext(
        "{scenario}: it changes the leads of {source} only in {months}, which the run "
        "({start} – {end}) does not reach: that change is not in these figures (--start, "
        "--days)").format(scenario=scenario, source=tr.quote(source),
                          months=", ".join(tr.month(k + 1) for k in months),
                          start=tr.day(start), end=tr.day(end))


def _replications(tr: Translator, n: int) -> str:
    """`10 replications`, `1 replication` (English read «1 replications» with --reps 1)."""
    if tr.lang == "en":
        return f"{n} replication" if n == 1 else f"{n} replications"
    return tr.ngettext("{n} replication", "{n} replications", n).format(n=n)


def _days(tr: Translator, n: int, warmup: bool = False) -> str:
    """`365 days` and the warm-up's bare count (`30 warm-up`) as English always read;
    `365 дней`, `30 дней` in another language."""
    if tr.lang == "en":
        return str(n) if warmup else f"{n} days"
    return tr.duration(n, "day")


def _breaches_text(console: Console, result: WhatifResult, tr: Translator) -> None:
    """Where each variant's respond breaches come from: deals arriving outside working
    hours, on which days (the why behind a respond figure that barely moves)."""
    from .staff_why import breach_line, variant_name

    rows = [(variant_name(tr, name, k == 0), b) for k, (name, splits)
            in enumerate(result.breaches) for b in splits if b.breached]
    if not rows:
        return
    console.print(plain(tr.gettext("respond breaches by when the deal arrived:"),
                        style="bold"))
    for name, b in rows:
        console.print(plain(f"  {name}: {b.target.removeprefix('respond at ')}: "
                            f"{breach_line(tr, b)}"))


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
         "unit": d.unit, "diff_unit": "pp" if d.unit == "%" else d.unit, "better": d.better,
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
        "price_notes": [n.to_json() for n in price_notes(base.variant.model,
                                                         c.run.variant.model)],
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

    tr = translator(choose(result.language))
    base = result.base
    defs = {d.key: d for d in base.space}
    fig = whatif_figure(base, named(result, tr).comparisons, headline_keys(base), defs, tr)
    return save_figure(fig, png, svg)
