"""`report.html`: one self-contained page (inline CSS, plots as inline SVG, no script,
no external reference) that a consultant can mail to the client or print.

Order: the graveyards first (the headline, in plain words), then the run and its
money (simulated beside the exact figures, written as the account writes money:
`1.38 млн ₽`), the funnel, each pipeline's stages (simulation beside the exact maths, with the
notes saying where the exact maths' assumptions do not hold), teams, respond and SLA
figures, the funnel-shape check, and the exact analysis in full. Every piece of text
that comes from the file or the run is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from ..analysis.exact_text import (
    MONEY_HEADERS,
    Legend,
    busy_members,
    headers,
    load_mark,
    mean_time,
    money_remarks,
    money_rows,
    pipeline_remarks,
    signed_return,
    sla_share,
    sla_unknown_note,
    source_money_headers,
    source_money_rows,
    stage_cells,
    stage_notes,
    team_load,
    unreachable_revenue,
)
from ..analysis.money import COST_UNKNOWN, NO_COST_PRICED, UNPRICED_SOURCES
from ..i18n import N_, Translator, choose, translator
from ..i18n.figures import CI_ENDS, Figures
from ..i18n.note import say
from ..i18n.words import route_label_text
from ..model import MONTHS
from ..numfmt import BUSY, COUNT, SIGNED, est_money, money_in
from ..sim.verdict_words import (
    passed_on_cell,
    passed_on_text,
    reasons_text,
    warning_text,
    weighted_shares_note,
)
from .fmt import DASH, est, money
from .markup import code_spans, e

if TYPE_CHECKING:
    from ..analysis.exact import PipelineExact, StageExact
    from ..analysis.money import ExactMoney, MoneyFigures
    from ..sim.results import Estimate, MoneyResult, StageResult
    from .data import ReportData
    from .headline import Headline
    from .plots import Plot

__all__ = ["render_html", "inline_svg", "figure_html", "table_html"]

_APPLIES = " closed form applies"
"""What the report writes after the queue model in a stage's notes (analyze prints the
model alone)."""

CSS = """
:root { --ink: #222; --muted: #666; --line: #ddd; --red: #b3262d; --redbg: #fdf1f1;
        --green: #2f7d45; --blue: #3b5f9e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 14px/1.45 "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
p { margin: 6px 0; }
.sub, .note, figcaption { color: var(--muted); }
.note { font-size: 12.5px; }
nav { margin: 14px 0 0; font-size: 13px; display: flex; flex-wrap: wrap; gap: 2px 14px; }
nav a { color: var(--blue); text-decoration: none; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; margin: 8px 0 4px; }
table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
caption.sr { position: absolute; width: 1px; height: 1px; overflow: hidden;
             clip: rect(0 0 0 0); white-space: nowrap; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 7px; vertical-align: top;
         overflow-wrap: anywhere; }
thead th { text-align: left; background: #f6f6f6; font-weight: 600; }
/* A row's name is its header (<th scope="row">), written as the other cells are. */
tbody th { text-align: left; font-weight: normal; background: none; min-width: 9em;
           overflow-wrap: break-word; }  /* «Адміністратори», not «Адміністратор/и» */
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
thead th, thead th.n { white-space: normal; overflow-wrap: normal; hyphens: manual; }
/* A figure of several parts (mean, half-width, exact) breaks between them, never inside
   one, so that the stage table fits a desktop page; the half-width is the smaller part. */
td.n.parts { white-space: normal; }
td.n.parts > span { white-space: nowrap; }
.ci { font-size: 11px; color: #555; }
tr.grave td, tr.grave th { background: var(--redbg); }
.bad { color: var(--red); font-weight: 600; }
.ok { color: var(--green); }
td > .bad, td > .ok { overflow-wrap: normal; }  /* «не справляется», not «не справ/ляетс/я» */
.headline { border: 2px solid var(--red); background: var(--redbg); border-radius: 6px;
            padding: 12px 16px; margin: 12px 0; }
.headline h3 { margin: 0 0 6px; color: var(--red); }
.headline .advice { margin-top: 8px; }
.clean { border: 2px solid var(--green); border-radius: 6px; padding: 12px 16px; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
         gap: 8px 18px; margin: 10px 0; }
.facts div { border-left: 3px solid var(--line); padding-left: 8px; min-width: 0;
             overflow-wrap: anywhere; }
.facts b { display: block; font-size: 17px; }
h1, h2, h3, p, li, figcaption { overflow-wrap: anywhere; }
figure { margin: 14px 0; }
figure svg { width: 100%; height: auto; display: block; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; font-size: 12.5px; }
ol.notes { font-size: 12.5px; color: var(--muted); margin: 4px 0 10px; padding-left: 22px; }
.warn { color: #8a5a00; }
@media (max-width: 600px) { main { padding: 14px 12px 40px; } h1 { font-size: 21px; }
  .facts { grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
  /* A phone reads each row as a card, every figure beside its column's name: in a
     sideways-scrolling table the money and the verdict were off-screen. */
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
                      clip: rect(0 0 0 0); }
  table.stack, table.stack tbody, table.stack tr, table.stack td,
  table.stack tbody th { display: block; width: auto; min-width: 0; }
  table.stack tr { border-bottom: 2px solid var(--line); padding: 3px 0 5px; }
  table.stack td, table.stack tbody th { border: 0; padding: 1px 4px; }
  table.stack tbody th { font-weight: 600; }
  table.stack td:empty { display: none; }
  table.stack td[data-label] { text-align: right; white-space: normal; }
  table.stack td[data-label]::before { content: attr(data-label); float: left;
    margin-right: 10px; color: var(--muted); text-align: left; font-weight: normal;
    white-space: normal; }
  /* A chart keeps its own scale and scrolls sideways: shrunk to the phone, its stage
     names and axis figures were 3 px high. */
  .fig { overflow-y: hidden; }
  .fig svg { width: var(--natural, 760px); max-width: none; } }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
               figure, table, .headline { break-inside: avoid; } }
"""


def inline_svg(svg: str, prefix: str) -> str:
    """A matplotlib SVG ready to sit inside HTML: no XML prolog, doctype, metadata or
    namespace declarations, every id prefixed so that several plots on one page cannot
    collide, and sized by its container (the viewBox keeps the proportions)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    seen: dict[str, int] = {}

    def unique(m: re.Match[str]) -> str:
        # matplotlib gives every artist of one gid that id (the history's managers plot
        # wrote `team` for each of its six panels): the second is `team-2`, and so on.
        name = m.group(1)
        seen[name] = seen.get(name, 0) + 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        return f'id="{prefix}-{name}{suffix}"'

    svg = re.sub(r'\bid="([^"]+)"', unique, svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'<svg([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    # The HTML parser puts <svg> and xlink:href in their namespaces by itself; without the
    # declarations the page holds no http(s) address at all.
    svg = re.sub(r'\sxmlns(:xlink)?="[^"]*"', "", svg)
    return svg.replace("<svg", f'<svg role="img" aria-labelledby="{prefix}-caption"', 1)


_VERDICTS = {"wip-growing": N_("the pile keeps growing"),
             "older-than-sla": N_("deals older than the SLA"),
             "stay-without-sla": N_("deals stay with no SLA")}
"""The graveyard verdicts' codes (`sim.verdicts`) as the page says them; English keeps
the codes, which summary.json and `simulate --format json` carry."""


class _Words:
    """The page's words and figures in the account's language (`--lang` overrides;
    `funnelc.i18n`). English keeps the forms the page always had."""

    def __init__(self, data: ReportData) -> None:
        money = data.result.money
        self.tr: Translator = translator(choose(
            data.language if data.language is not None
            else money.language if money is not None else None))
        self._ = self.tr.gettext
        self.f = Figures(self.tr)
        self.english = self.f.english
        self.one_run = data.result.run.reps < 2
        """One replication: its figures have no interval, and the notes and captions say
        so instead of describing a ± or a band that is not drawn (`--reps 1`)."""

    def limit(self, h: float | None, working: bool) -> str:
        """An SLA or respond limit, in working time when it counts the account's working
        hours (as simulate's tables write it, `i18n.figures.Figures.limit`)."""
        return self.f.limit(h, working)

    def say(self, note: str) -> str:
        """A note of the exact maths (`i18n.note.Note`) in the page's language."""
        return note if self.english else say(note, self.tr, None, self.f.hours)

    def applies(self) -> str:
        """What the page writes after a stage's queue model (analyze prints the model
        alone)."""
        return _APPLIES if self.english else " " + self._("closed form applies")

    def also(self, name: str) -> str:
        """`(also <code>x.png</code> and <code>x.svg</code>)` after a caption."""
        return self._("(also {png} and {svg})").format(
            png=f"<code>{e(name)}.png</code>", svg=f"<code>{e(name)}.svg</code>")

    def verdict(self, grave: bool) -> str:
        return (f'<span class="bad">{e(self._("graveyard"))}</span>' if grave
                else f'<span class="ok">{e(self._("ok"))}</span>')

    def code(self, template: str, plain: dict[str, str] | None = None, **names: str) -> str:
        """A translated sentence, escaped, with `{name}` filled by `<code>name</code>` (the
        file's keywords stay as written) and the `plain` figures escaped as text."""
        parts = {k: f"<code>{e(v)}</code>" for k, v in names.items()}
        parts.update({k: e(v) for k, v in (plain or {}).items()})
        return e(self._(template)).format(**parts)


_PART = re.compile(r" (?=±|\[|/ )")
"""Where a figure of several parts may break: before its half-width (`±7,57 дн.`), its
interval's ends (`[0–16,3]`) and its exact counterpart (`/ 10 254`)."""


def _number_cell(cell: str) -> tuple[str, str]:
    """A numeric cell's class and content: a figure of several parts is one unbroken
    span a part, the half-width in the smaller `.ci`, and the cell may wrap between them.
    The stage tables' «10 234 ±61,6 / 10 254» on one line made the table 1 258 px in a
    1 124 px page: the verdict «кладбище» was cut and the notes column off-screen."""
    parts = _PART.split(cell) if "<" not in cell else [cell]
    if len(parts) == 1:
        return "n", cell
    spans = [f'<span class="ci">{x}</span>' if x.startswith("±") else f"<span>{x}</span>"
             for x in parts]
    return "n parts", " ".join(spans)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int],
           row_classes: Sequence[str] | None = None, caption: str = "",
           row_spans: Sequence[int] | None = None) -> str:
    """Cells are already-escaped HTML; a row's first cell is its header (`<th
    scope="row">`), `caption` (plain text) names the table to a screen reader (the page
    shows the heading above it). `row_spans`: how many rows a row's first cell spans, 0
    where a row above spans it (the row then has no first cell)."""
    # In a box of its own that scrolls sideways: a wide table never runs past the page.
    # On a phone (`table.stack`) each row is a card, each cell named by `data-label`.
    out = ['<div class="scroll"><table class="stack">']
    if caption:
        out.append(f'<caption class="sr">{e(caption)}</caption>')
    out.append("<thead><tr>")
    for i, h in enumerate(headers):
        cls = ' class="n"' if i in numeric else ""
        out.append(f'<th scope="col"{cls}>{e(h)}</th>')
    out.append("</tr></thead><tbody>")
    labels = [f' data-label="{e(h)}"' if h else "" for h in headers]
    for k, row in enumerate(rows):
        cls = row_classes[k] if row_classes is not None and row_classes[k] else ""
        out.append(f'<tr class="{cls}">' if cls else "<tr>")
        span = row_spans[k] if row_spans is not None else 1
        first = 0 if span else 1  # the row's columns start after a spanned first cell
        for i, cell in enumerate(row, start=first):
            if i == 0:
                rowspan = f' rowspan="{span}"' if span > 1 else ""
                out.append(f'<th scope="row"{rowspan}>{cell}</th>')
            elif i in numeric:
                kind, content = _number_cell(cell)
                out.append(f'<td class="{kind}"{labels[i]}>{content}</td>')
            else:
                out.append(f"<td{labels[i]}>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


table_html = _table
"""The page's table, for the sections other commands add (`--whatif`)."""


_NATURAL = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"')


def figure_html(svg: str, prefix: str, caption: str) -> str:
    """A plot on the page (`caption`: already-escaped HTML): in a box that scrolls
    sideways, where a phone shows it at its own scale (`--natural`, its width in CSS px)
    rather than shrunk to the screen."""
    found = _NATURAL.search(svg)
    natural = f' style="--natural: {round(float(found.group(1)) * 4 / 3)}px"' if found else ""
    return (f'<figure><div class="scroll fig"{natural}>{inline_svg(svg, prefix)}</div>'
            f'<figcaption id="{prefix}-caption">{caption}</figcaption></figure>')


def _figure(w: _Words, plot: Plot | None, caption: str) -> str:
    if plot is None:
        return ""
    return figure_html(plot.svg, f"plot-{plot.name}", f"{e(caption)} {w.also(plot.name)}")


# ----------------------------------------------------------------------- sections


def _graveyards(w: _Words, data: ReportData, heads: list[Headline], plot: Plot | None) -> str:
    _ = w._
    out = ['<section id="graveyards"><h2>' + e(_("Graveyards: where deals pile up")) + '</h2>']
    if not heads:
        out.append('<div class="clean"><b>' + e(_("No graveyard.")) + '</b> '
                   + e(_("No stage piles up deals that nobody moves on: every stage's backlog "
                         "levels off, no deal outlives its SLA and no stage leaves deals "
                         "without one.")) + "</div>")
    for h in heads:
        owner = (" · " + e(_("works it: «{team}»").format(team=h.owner))) if h.owner else ""
        codes = h.codes if w.english else [_(_VERDICTS.get(c, c)) for c in h.codes]
        verdict = _("verdict: {codes}").format(codes=", ".join(codes))
        out.append(f'<div class="headline"><h3>{e(h.pipeline)} › {e(h.stage)}</h3>'
                   f'<p class="note">{e(verdict)}{owner}</p>')
        out.append("".join(f"<p>{code_spans(s)}</p>" for s in h.story))
        if h.advice:
            out.append('<div class="advice"><b>' + e(_("What to try.")) + '</b> '
                       + " ".join(code_spans(a) for a in h.advice) + "</div>")
        st = next((s for s in data.result.stages
                   if s.pipeline == h.pipeline and s.stage == h.stage), None)
        reasons = data.reasons(h.pipeline, h.stage)
        if reasons:
            words = ("; ".join(r.message for r in reasons) + "." if w.english or st is None
                     else reasons_text(w.tr, st, ci=True))
            out.append('<p class="note">' + e(_("The simulation's words: {reasons}").format(
                reasons=words)) + "</p>")
        out.append("</div>")
    out.append('<p class="note">' + w.code(
        N_("A stage is a graveyard when its backlog is still growing at the end of the run (the "
        "slope of the second half of the daily backlog, 95% CI above zero and at least one "
        "deal), when the deals left in it are older than its SLA, or when part of its deals "
        "stay there ({stay}) with no SLA to move them."), stay="stay") + "</p>")
    out.append(_figure(w, plot, _("Deals in each stage at the end of each day, in the one "
                                  "replication; graveyards in red with the verdict under the "
                                  "panel.") if w.one_run else
                       _("Deals in each stage at the end of each day: mean over the "
                         "replications with its 95% CI band; graveyards in red with "
                         "the verdict under the panel.")))
    out.append("</section>")
    return "".join(out)


def _expected_money(w: _Words, data: ReportData) -> str:
    """The exact expectation of revenue per month, as the summary's card shows it."""
    ex = data.exact
    cur = data.result.account.currency or ""
    if ex.money is not None:  # «≤»: an upper bound (SLAs ending deals as lost, overload)
        return e(("≤" if ex.money.revenue_is_bound else "")
                 + money_in(ex.money.per_month.revenue, ex.money.currency, w.tr.lang))
    if ex.revenue_per_month is not None:
        return (f"{e(money(ex.revenue_per_month))} {e(cur)}" if w.english
                else e(money_in(ex.revenue_per_month, cur or None, w.tr.lang)))
    return w.code(N_("no source has a {value}"), value="value")


def _cash(w: _Words, value: Estimate, currency: str) -> str:
    """A simulated amount as money in the page's language, each figure with its scale and
    sign (`136 млн ₽ ±10,2 млн ₽`), as the Money table writes it: the pipelines' table
    read «1,5 ±0,112 млрд ₽» under a table saying «136 млн ₽ ±10,2 млн ₽»."""
    return est_money(value, currency or None, w.tr.lang)


def _summary(w: _Words, data: ReportData) -> str:
    r = data.result
    run = r.run
    _, f, tr = w._, w.f, w.tr
    cur = r.account.currency or ""
    observed = run.observed_hours / 24.0
    ex = data.exact
    won = r.account.revenue_won
    # Money as the Money table writes it in every language (`€1.57M ±€178k`): English
    # read `1.57M ±178k EUR` beside a card saying `€152k`.
    won_text = e(_cash(w, won, cur))
    facts = [
        (_("account"), e(data.account)),
        (_("file"), f"<code>{e(run.file)}</code>"),
        (_("scenario"), e(run.scenario) if run.scenario else e(_("none (the file as written)"))),
        (_("horizon"), e(_("{days} from {date}, first {warmup} left out: {observed} observed")
                         .format(days=tr.ngettext("{n} day", "{n} days", run.days)
                                 .format(n=run.days),
                                 date=run.start_date if w.english else tr.date(run.start_date),
                                 warmup=run.warmup_days, observed=f.num(observed)))),
        (_("replications"), e(_("{reps}, seed {seed}").format(reps=run.reps, seed=run.seed))),
        (_("revenue won in {days} days").format(days=f.num(observed)), won_text),
        (_("expected revenue per month (exact)"), _expected_money(w, data)),
        *(((_("expected profit per month (exact)"),
            e(money_in(ex.money.per_month.profit, ex.money.currency, w.tr.lang))),)
          if ex.money is not None and ex.money.costs_priced else ()),
        (_("deals created"), e(f.est(r.account.deals_created))),
        (_("open at the end"), e(f.est(r.account.open_at_horizon))),
    ]
    out = ['<section id="summary"><h2>' + e(_("Summary")) + '</h2><div class="facts">']
    out += [f"<div>{e(k)}<b>{v}</b></div>" for k, v in facts]
    out.append("</div>")
    rows = []
    for p in r.pipelines:
        pe = next((x for x in ex.pipelines if x.name == p.pipeline), None)
        # The lost total with its own interval, as the wins have theirs: the page read
        # «225 ±12,3» won beside «9 284» lost, a sum of the reasons' means.
        rows.append([e(p.pipeline), e(f.est(p.started)), e(f.est(p.won)), e(f.est(p.lost)),
                     e(f.est_pct(p.conversion)),
                     e(("≤" if pe.upper_bound else "") + f.pct(pe.p_won) if pe else DASH),
                     e(passed_on_cell(p) or _cash(w, p.revenue_won, cur)),
                     e(f"{f.hours(p.cycle_time_won_hours.mean.mean)} / "
                       f"{f.hours(p.cycle_time_won_hours.p90.mean)}")])
    out.append("<h3>" + e(_('Pipelines')) + "</h3>")
    # Each figure is written as money (`5,54 ±5,15 млн ₽`, `€1.17M ±€193k`), so the
    # header names no currency.
    revenue = _("revenue won")
    out.append(_table([_("pipeline"), _("started"), _("won"), _("lost"),
                       _("conversion (simulated)"), _("conversion (exact)"), revenue,
                       _("cycle to won mean / p90")], rows, {1, 2, 3, 4, 5, 6, 7},
                      caption=_("Pipelines")))
    out += _upper_bounds(w, data)
    for p in r.pipelines:
        passed = passed_on_text(tr, p, _cash(w, p.passed_on_revenue, cur))
        if passed is not None:
            out.append('<p class="note">' + code_spans(passed) + "</p>")
    if w.one_run:
        out.append('<p class="note">' + w.code(
            N_("Simulated figures are those of the one replication, with no interval (a 95% "
               "confidence interval needs two or more), and count the observed window only. "
               "Exact figures are the steady state at the sources' annual mean rate "
               "({analyze}); the simulation starts empty and follows the monthly profile, so "
               "the two differ where deals wait long or the season matters."),
            analyze="funnelc analyze") + "</p>")
    else:
        out.append('<p class="note">' + w.code(
            N_("Simulated figures are the mean over the replications ± the half-width of its 95% "
            "confidence interval (Student t) and count the observed window only. Exact figures "
            "are the steady state at the sources' annual mean rate ({analyze}); the simulation "
            "starts empty and follows the monthly profile, so the two differ where deals wait "
            "long or the season matters."), analyze="funnelc analyze") + " "
            + e(_(CI_ENDS)) + "</p>")
    out.append(_money(w, data))
    if r.warnings:
        out.append("<h3>" + e(_('Warnings')) + "</h3><ul>")
        out += [f'<li class="warn">{code_spans(warning_text(w.tr, x))}</li>' for x in r.warnings]
        out.append("</ul>")
    out.append("</section>")
    return "".join(out)


def _upper_bounds(w: _Words, data: ReportData) -> list[str]:
    """Under the pipelines: each pipeline whose exact figures are upper bounds («≤»), why,
    and, when its simulated conversion is below the exact one beyond its 95% interval,
    that the simulation is the figure to plan with. saleschef's summary read «ожидаемая
    выручка в месяц (точно) 15,6 млн ₽» and «Продажи» 16,9% exact beside 11,1% ±0,78
    simulated, with no «≤» and no word of why."""
    out = []
    teams = {t.name for t in data.exact.teams}
    for p in data.result.pipelines:
        pe = next((x for x in data.exact.pipelines if x.name == p.pipeline), None)
        if pe is None or not pe.upper_bound:
            continue
        stages = [x.removeprefix(p.pipeline + ".") for x in pe.upper_bound if x not in teams]
        reasons = []
        if stages:
            reasons.append(w._("the deals an SLA ends as lost before their outcome at "
                               "{stages}").format(stages=", ".join(
                                   w.tr.quote(x) for x in stages[:4])
                                   + (", …" if len(stages) > 4 else "")))
        busy = [x for x in pe.upper_bound if x in teams]
        if busy:
            reasons.append(w._("the deals left waiting by {teams}, which cannot keep up")
                           .format(teams=", ".join(w.tr.quote(x) for x in busy)))
        text = w._("≤ «{pipeline}»: its exact conversion, wins and the revenue through it are "
                   "upper bounds, since the maths counts by the declared shares {reasons}.")\
            .format(pipeline=p.pipeline, reasons=w._(" and ").join(reasons))
        conv = p.conversion
        if conv.mean is not None and conv.ci95 is not None and conv.mean + conv.ci95 < pe.p_won:
            text += " " + w._("The simulation, which moves those deals, converts {simulated} "
                              "against the exact {exact}: plan with the simulation.").format(
                simulated=w.f.est_pct(conv), exact=w.f.pct(pe.p_won))
        out.append(f'<p class="note">{e(text)}</p>')
    return out


def _money(w: _Words, data: ReportData) -> str:
    """Revenue, costs and profit: the simulation per month of its window (mean ± 95 %
    CI) beside the exact expectation per month and per year; then each source and paid
    team, simulated / exact. Empty when the file names no value, cost or budget."""
    sim, exact = data.result.money, data.exact.money
    if sim is None and exact is None:
        return ""
    _ = w._
    hours_observed = data.result.run.observed_hours
    per_month = 730.0 / hours_observed if hours_observed > 0 else float("nan")
    cur = sim.currency if sim is not None else exact.currency if exact is not None else None
    lang = w.tr.lang  # money as the page's language writes it (`--lang` included)

    def cash(x: float | None) -> str:
        return money_in(x, cur, lang)

    # Both come from the same file; without a priced cost the page shows revenue and won
    # deals only, since a cost of 0 would make profit read as the revenue.
    priced = sim.costs_priced if sim is not None else exact is not None and exact.costs_priced
    out = ['<h3 id="money">' + e(_("Money")) + '</h3>']
    rows = []
    # (label, simulate's field, the exact figure, scaled from the window to a month)
    lines: list[tuple[str, str, Callable[[MoneyFigures], float | None], bool]] = [
        (_("revenue"), "revenue", lambda m: m.revenue, True),
        (_("team cost"), "team_cost", lambda m: m.team_cost, True),
        (_("lead cost"), "lead_cost", lambda m: m.lead_cost, True),
        (_("total cost"), "cost", lambda m: m.cost, True),
        (_("profit"), "profit", lambda m: m.profit, True),
        (_("won deals"), "won", lambda m: m.won, True),
        (_("cost per won deal"), "cost_per_won", lambda m: m.cost_per_won, False)]
    if not priced:
        lines = [x for x in lines if x[1] in ("revenue", "won")]
    bound = "≤" if exact is not None and exact.revenue_is_bound else ""
    for label, key, get, scales in lines:
        fmt: Callable[[float | None], str] = w.f.num if key == "won" else cash
        simulated = DASH
        if sim is not None:
            figure: Estimate = getattr(sim, key)
            limits = SIGNED if key == "profit" else COUNT  # an amount is never below 0
            simulated = (est(figure, fmt, per_month if scales else 1.0, limits) if w.english
                         else w.f.est(figure, fmt, per_month if scales else 1.0, limits))
        exact_cells = [DASH, DASH]
        if exact is not None:
            pre = bound if key in ("revenue", "profit", "won") else ""
            exact_cells = [pre + fmt(get(exact.per_month)), pre + fmt(get(exact.per_year))]
        row = [e(label), e(simulated), *(e(c) for c in exact_cells)]
        if key == "profit":
            row = [f"<b>{c}</b>" for c in row]
        rows.append(row)
    # The corner names the rows (a screen reader read the column as nameless).
    out.append(_table([_("metric"), _("simulated, per month"), _("exact, per month"),
                       _("exact, per year")], rows, {1, 2, 3}, caption=_("Money")))
    unreachable = unreachable_revenue(data.exact.unstable_teams(), w.f) if exact else None
    if unreachable is not None:  # the exact columns are those of a served queue
        out.append(f'<p class="note bad">{e(unreachable)}</p>')
    out.append(_source_money(w, sim, exact, per_month, cash, priced))
    if not priced:
        out.append('<p class="note">' + w.code(NO_COST_PRICED, cost="cost", budget="budget")
                   + "</p>")
    unpriced = ([s.source for s in sim.sources if not s.priced] if sim is not None else
                [s.source for s in exact.sources if not s.priced] if exact is not None else [])
    if priced and unpriced:
        out.append('<p class="note">' + w.code(UNPRICED_SOURCES, plain={
            "sources": ", ".join(w.tr.quote(x) for x in unpriced)}, cost="cost",
            budget="budget") + "</p>")
    observed = hours_observed / 24.0
    if not priced and w.one_run:
        out.append('<p class="note">' + w.code(
            N_("Simulated money is what the {days} observed days of the one replication "
               "brought, scaled to a month of 730 h (no interval: a 95% interval needs two "
               "replications or more). Exact money is the steady state at the sources' annual "
               "mean rate ({analyze}), with the deals that give up waiting taken out; ≤ marks "
               "an upper bound."),
            plain={"days": w.f.num(observed)}, analyze="funnelc analyze") + "</p>")
        return "".join(out)
    if not priced:
        out.append('<p class="note">' + w.code(
            N_("Simulated money is what the {days} observed days brought, scaled to a month "
               "of 730 h (mean ± the half-width of its 95% interval). Exact money is the "
               "steady state at the sources' annual mean rate ({analyze}), with the deals "
               "that give up waiting taken out; ≤ marks an upper bound."),
            plain={"days": w.f.num(observed)}, analyze="funnelc analyze") + "</p>")
        return "".join(out)
    if w.one_run:
        out.append('<p class="note">' + w.code(
            N_("Simulated money is what the {days} observed days of the one replication "
               "brought and cost, scaled to a month of 730 h (no interval: a 95% interval "
               "needs two replications or more). Members are paid by the clock, open or "
               "closed. Exact money is the steady state at the sources' annual mean rate "
               "({analyze}), with the deals that give up waiting taken out; ≤ marks an upper "
               "bound."), plain={"days": w.f.num(observed)}, analyze="funnelc analyze")
            + "</p>")
        return "".join(out)
    out.append('<p class="note">' + w.code(
        N_("Simulated money is what the {days} observed days brought and cost, scaled to a "
        "month of 730 h (mean ± the half-width of its 95% interval; each figure formed per "
        "replication, so profit's interval is that of the difference). Members are paid by "
        "the clock, open or closed. Exact money is the steady state at the sources' annual "
        "mean rate ({analyze}), with the deals that give up waiting taken out; ≤ marks an "
        "upper bound."), plain={"days": w.f.num(observed)}, analyze="funnelc analyze")
        + "</p>")
    return "".join(out)


def _source_money(w: _Words, sim: MoneyResult | None, exact: ExactMoney | None,
                  per_month: float, cash: Callable[[float | None], str], priced: bool) -> str:
    """Per source (and paid team), per month: simulated / exact; leads, wins and revenue
    only when the file prices no cost."""
    _, f = w._, w.f
    exact_by = {s.source: s for s in exact.sources} if exact is not None else {}
    names = [s.source for s in sim.sources] if sim is not None else list(exact_by)
    sim_by = {s.source: s for s in sim.sources} if sim is not None else {}

    def estimate(x: Estimate, fmt: Callable[[float | None], str], scale: float = 1.0) -> str:
        return est(x, fmt, scale) if w.english else f.est(x, fmt, scale)

    rows = []
    for name in names:
        s, x = sim_by.get(name), exact_by.get(name)

        def pair(sim_text: str, exact_text: str) -> str:
            return f"{e(sim_text)} / {e(exact_text)}"

        ret = DASH
        if s is not None and s.return_on_cost is not None and s.return_on_cost.mean is not None:
            ret = signed_return(s.return_on_cost.mean, None if w.english else f)
        rows.append([
            e(name),
            pair(estimate(s.leads, f.num, per_month) if s else DASH,
                 f.num(x.leads_per_month) if x else DASH),
            pair(estimate(s.won, f.num, per_month) if s else DASH,
                 f.num(x.won_per_month) if x else DASH),
            pair(estimate(s.revenue, cash, per_month) if s else DASH,
                 cash(x.revenue_per_month) if x and x.revenue_per_month is not None else DASH),
            pair((estimate(s.cost, cash, per_month) if s.priced else _(COST_UNKNOWN))
                 if s else DASH,
                 (cash(x.cost_per_month) if x.priced else _(COST_UNKNOWN)) if x else DASH),
            pair(estimate(s.cost_per_won, cash) if s and s.cost_per_won else DASH,
                 cash(x.cost_per_won) if x else DASH),
            pair(ret, signed_return(x.return_on_cost, None if w.english else f)
                 if x else DASH)])
    teams = exact.teams if exact is not None else []
    for t in teams:
        rows.append([e(_("team {team}: {size} × {cost}").format(
                         team=t.team, size=t.size, cost=cash(t.member_cost_per_month))),
                     "", "", "", e(cash(t.cost_per_month)), "", ""])
    if not rows:
        return ""
    if not priced:
        return _table([_("source"), _("leads"), _("won"), _("revenue")],
                      [r[:4] for r in rows], {1, 2, 3}, caption=_("Money"))
    return _table([_("source"), _("leads"), _("won"), _("revenue"), _("cost"),
                   _("cost per won"), _("return on cost")], rows, {1, 2, 3, 4, 5, 6},
                  caption=_("Money"))


def _exact_stage(data: ReportData, pipeline: str, stage: str) -> StageExact | None:
    try:
        return data.exact.stage(pipeline, stage)
    except KeyError:
        return None


def _pipelines(w: _Words, data: ReportData, time_plot: Plot | None) -> str:
    _, f = w._, w.f
    out = ['<section id="stages"><h2>' + e(_("Stages: simulation beside the exact maths")) + '</h2>',
           '<p class="note">' + e(_(
               "Each pair reads {simulated} / {exact}. ≥ marks a lower bound (the queue wait "
               "is not known in closed form). The notes under each table say where the exact "
               "maths' assumptions do not hold; there the simulation is the figure to trust."))
           .format(simulated="<i>" + e(_('simulated')) + "</i>", exact="<i>" + e(_('exact')) + "</i>")
           + "</p>"]
    for p in data.result.pipelines:
        stages = [s for s in data.result.stages if s.pipeline == p.pipeline]
        rows, classes = [], []
        legend = Legend()
        for st in stages:
            ex = _exact_stage(data, st.pipeline, st.stage)
            refs = legend.refs(stage_notes(ex, w.applies()) if ex is not None else [])
            expected = data.stage_value(st.pipeline, st.stage, "entered_deals", "exact")
            grave = st.graveyard.is_graveyard
            wait_ex = f.hours(ex.queue.wait_served_mean_hours) if ex is not None and ex.queue \
                else DASH
            occ_ex = f.num(ex.occupancy_mean) if ex is not None and \
                ex.occupancy_mean is not None else DASH
            name = _("{stage} (key)").format(stage=st.stage) if st.key else st.stage
            rows.append([
                e(name),
                f"{e(f.est(st.entered))} / {e(f.num(expected))}",
                e(f.pct(ex.p_win) if ex else DASH),
                f"{e(f.est_hours(st.time_in_stage_hours.mean))} / {e(mean_time(ex, f))}",
                e(f"{f.hours(st.time_in_stage_hours.p50.mean)} / "
                  f"{f.hours(st.time_in_stage_hours.p90.mean)}"),
                f"{e(f.est_hours(st.queue_wait_hours_mean))} / {e(wait_ex)}"
                if st.queue_wait_hours_mean is not None else DASH,
                f"{e(f.est(st.wip_time_average))} / {e(occ_ex)}",
                e(f.est(st.wip_final)), w.verdict(grave), e(refs)])
            classes.append("grave" if grave else "")
        out.append(f"<h3>{e(p.pipeline)}</h3>")
        out.append(_table([_("stage"), _("entered"), _("P(win) exact"), _("time in stage mean"),
                           "p50 / p90", _("wait for a member"), _("deals in stage (avg)"),
                           _("at the end"), _("verdict"), _("notes")],
                          rows, {1, 2, 3, 4, 5, 6, 7}, classes,
                          caption=f'{_("Stages: simulation beside the exact maths")}: '
                                  f"{p.pipeline}"))
        if legend.notes:
            out.append('<ol class="notes">' + "".join(f"<li>{code_spans(w.say(n))}</li>" for n in legend.notes)
                       + "</ol>")
        out.append(_ways_out(w, stages))
    out.append(_figure(w, time_plot, _("Time in stage of the deals that left each stage "
                                       "(one replication): median, mean, 90th percentile, "
                                       "and the exact mean or its lower bound.")
                       if w.one_run else
                       _("Time in stage of the deals that left each stage: "
                         "median, mean with its 95% CI, 90th percentile, and "
                         "the exact mean or its lower bound.")))
    out.append("</section>")
    return "".join(out)


def _ways_out(w: _Words, stages: list[StageResult]) -> str:
    from ..i18n.words import route_text

    _, f = w._, w.f
    rows, spans = [], []
    for st in stages:
        for i, o in enumerate(st.outcomes):
            share = o.simulated_share.mean
            sim = f.pct(share) if share is not None else DASH
            way = route_text(w.tr, o.kind, o.target_stage, o.reason, o.copy_to)
            # The stage names its ways out once, as the header of all their rows.
            rows.append(([e(st.stage)] if i == 0 else [])
                        + [e(way), e(f.pct(o.share)), e(sim), e(f.est(o.count))])
            spans.append(len(st.outcomes) if i == 0 else 0)
    if not rows:
        return ""
    title = _("Ways out: declared share beside the simulated one")
    note = weighted_shares_note(w.tr, stages)
    return ("<details><summary>" + e(title) + "</summary>"
            + _table([_("stage"), _("way out"), _("declared"), _("simulated"), _("deals")],
                     rows, {2, 3, 4}, caption=title, row_spans=spans)
            + (f'<p class="note">{e(note)}</p>' if note else "")
            + "</details>")


def _teams(w: _Words, data: ReportData, plot: Plot | None) -> str:
    _, f = w._, w.f
    out = ['<section id="teams"><h2>' + e(_("Teams")) + '</h2>']
    rows, classes = [], []
    for t in data.result.teams:
        try:
            te = data.exact.team(t.team)
            notes = "; ".join(w.say(n) for n in te.notes)
        except StopIteration:
            notes = ""
        flag = ('<span class="bad">' + e(_("unstable")) + '</span>' if t.unstable
                else '<span class="ok">' + e(_("ok")) + '</span>')
        rows.append([e(t.team), e(t.size), e(f.num(t.open_hours_per_week)),
                     e(f.pct(t.offered_load_rho)), e(f.est_pct(t.utilization, BUSY)),
                     e(f.est(t.queue_mean)), e(f.est(t.queue_max)), e(f.est(t.queue_final)),
                     flag, code_spans(notes)])
        classes.append("grave" if t.unstable else "")
    if rows:
        out.append(_table([_("team"), _("size"), _("hours/week"), _("offered load ρ (exact)"),
                           _("utilization (simulated)"), _("queue avg"), _("queue max"),
                           _("queue at end"), _("verdict"), _("notes")],
                          rows, {1, 2, 3, 4, 5, 6, 7}, classes, caption=_("Teams")))
        out.append('<p class="note">' + e(_(
            "ρ is the work offered per available member-hour from the exact flows (annual "
            "average); at ρ ≥ 100% the team cannot keep up, and with a stage that has no SLA its "
            "queue grows for as long as the account runs (unstable). Utilization is busy "
            "member-hours over working member-hours; work finishing after closing counts, so "
            "it can pass 100% slightly.")) + "</p>")
    else:
        out.append("<p>" + e(_('The file has no teams.')) + "</p>")
    out.append(_figure(w, plot, _("Busy share of each team's working hours (simulated, one "
                                  "replication), the exact offered load ρ and the 100% line.")
                       if w.one_run else
                       _("Busy share of each team's working hours (simulated, 95% "
                         "CI), the exact offered load ρ and the 100% line.")))
    out.append("</section>")
    return "".join(out)


def _respond_sla(w: _Words, data: ReportData) -> str:
    _, f = w._, w.f
    rows, classes = [], []
    unknown: dict[str, list[str]] = {}  # why an SLA cut is «—» -> the stages
    for st in data.result.stages:
        t = st.timeouts
        working = st.limits_in_working_hours
        if st.respond_hours is None and t.action is None:
            continue
        ex = _exact_stage(data, st.pipeline, st.stage)
        breach_ex = DASH
        if ex is not None and ex.queue is not None and ex.queue.respond_breach is not None:
            breach_ex = f.pct(ex.queue.respond_breach)
        cut = DASH
        if ex is not None:  # «—» where the bound is 0, said under the table
            cut = sla_share(ex.sla_ends, ex.sla_cut_is_bound, f.pct)
            why = sla_unknown_note(ex)
            if why is not None:
                unknown.setdefault(w.say(why), []).append(f"{st.pipeline} › {st.stage}")
        rows.append([
            e(f"{st.pipeline} › {st.stage}"),
            e(w.limit(st.respond_hours, working)) if st.respond_hours is not None else DASH,
            (f"{e(f.est(st.respond_breach_pct, limits=(0.0, 100.0)))}%"
             if st.respond_breach_pct is not None
             and st.respond_breach_pct.mean is not None else DASH) + f" / {e(breach_ex)}",
            e(w.limit(t.sla_hours, working)) if t.sla_hours is not None else DASH,
            e(t.action if w.english else route_label_text(w.tr, t.action)) if t.action else DASH,
            e(f.est(t.queued)) if t.action else DASH, e(f.est(t.in_work)) if t.action else DASH,
            e(f.est(t.in_delay)) if t.action else DASH, e(f.est(t.parked)) if t.action else DASH,
            e(cut)])
        classes.append("grave" if st.graveyard.is_graveyard else "")
    out = ['<section id="respond-sla"><h2>' + e(_("Respond rule and SLA timeouts")) + '</h2>']
    if not rows:
        out.append("<p>" + w.code(N_("No stage has a {respond} rule or an {sla}."),
                                  respond="respond", sla="sla") + "</p>")
    else:
        out.append(_table([_("stage"), _("respond within"), _("breach % simulated / exact"),
                           "SLA", _("SLA action"),
                           _("timed out: queued"), _("in work"), _("in delay"), _("parked"),
                           _("SLA cut (exact)")], rows, {1, 2, 3, 5, 6, 7, 8, 9}, classes,
                          caption=_("Respond rule and SLA timeouts")))
        out.append('<p class="note">' + w.code(
            N_("A respond breach is a first pick-up later than entry + the limit (or leaving "
            "unpicked after it). SLA timeouts count the deals the SLA moved, by what they were "
            "doing: waiting for a member (queued), being worked by a member (the work "
            "finished first), waiting an {after} delay, work without an owner team (nobody's "
            "time) or the next cadence touch (in delay), or left by {stay} (parked). The SLA "
            "cut is the exact share of the stage's deals the SLA ends: the "
            "{stay} share, which it moves by design, and the deals whose wait, work or {after} "
            "ran past it before their outcome (that part alone is in a note of the exact "
            "table); ≥ marks a lower bound, where a queue's wait is not known exactly. The "
            "simulated timeouts count the observed window only, so the deals that entered in "
            "its last SLA time have not timed out yet. Working hours count when the account "
            "has a calendar."), after="after", stay="stay") + "</p>")
        out += ['<p class="note">' + e(_("{column} «—» at {stages}: {why}").format(
            column=_("SLA cut (exact)"), stages=", ".join(stages), why=why)) + "</p>"
            for why, stages in unknown.items()]
    out.append("</section>")
    return "".join(out)


def _shape(w: _Words, data: ReportData, plot: Plot | None) -> str:
    _, f = w._, w.f
    out = ['<section id="funnel"><h2>' + e(_("Funnel and its shape")) + '</h2>',
           _figure(w, plot, _("Deals entering each stage over the observed window (simulated, "
                              "one replication) and the count the exact maths expects; "
                              "graveyards in red, won in green.") if w.one_run else
                   _("Deals entering each stage over the observed window (simulated "
                     "mean with 95% CI) and the count the exact maths expects; "
                     "graveyards in red, won in green."))]
    out.append("<p>" + e(_("In a funnel, the number of deals falls stage by stage; a stage "
                           "entered by more deals than the stage before it means deals skip "
                           "stages, come back, or the stages are activities rather than steps "
                           "(the integrators' funnel-shape rule).")) + "</p><ul>")
    for p in data.result.pipelines:
        if p.funnel_shape.ok:
            out.append(f'<li><b>{e(p.pipeline)}</b>: <span class="ok">'
                       f'' + e(_("counts fall stage by stage")) + '</span></li>')
        else:
            parts = [e(w.tr.ngettext(
                "«{stage}» entered by {n} deal, more than «{previous}» ({previous_n})",
                "«{stage}» entered by {n} deals, more than «{previous}» ({previous_n})",
                round(v.entered)).format(stage=v.stage, n=f.num(v.entered),
                                         previous=v.previous_stage,
                                         previous_n=f.num(v.previous_entered)))
                     for v in p.funnel_shape.violations]
            out.append(f'<li><b>{e(p.pipeline)}</b>: <span class="bad">' + e(_("grows")) + '</span>: '
                       + "; ".join(parts) + "</li>")
    out.append("</ul></section>")
    return "".join(out)


def _exact_pipeline(w: _Words, p: PipelineExact, unstable: list[str]) -> str:
    _, f = w._, w.f
    legend = Legend()
    rows = [[e(cell) for cell in stage_cells(s, f.pct, f)]
            + [e(legend.refs(stage_notes(s, w.applies())))] for s in p.stages]
    title = _("{pipeline}: conversion {share} of leads entering, {per_day}/day in, "
              "{won} won/month").format(pipeline=p.name, share=f.pct(p.p_won),
                                        per_day=f.num(p.inflow_per_hour * 24),
                                        won=f.num(p.won_per_month))
    out = [f"<h3>{e(title)}</h3>",
           _table([_("stage"), _("visits/lead"), _("λ/day"), _("P(win)"), _("mean time"),
                   _("load"), _("wait"), _("respond breach"), _("timeout"), _("SLA cut"),
                   _("occupancy"), _("notes")], rows, set(range(1, 11)),
                  caption=f'{_("Exact analysis")}: {p.name}')]
    if legend.notes:
        out.append('<ol class="notes">' + "".join(f"<li>{code_spans(w.say(n))}</li>" for n in legend.notes)
                   + "</ol>")
    mark = load_mark(((s.team_load, s.team_capacity) for s in p.stages), f)
    if mark is not None:
        out.append(f'<p class="note">{e(mark)}</p>')
    out += [f'<p class="note">{e(x)}</p>' for x in pipeline_remarks(p, f.pct, f, unstable)]
    return "".join(out)


def _exact_money(w: _Words, m: ExactMoney, percent: Callable[[float | None], str]) -> str:
    """analyze's money table, per month and per year, and per source and paid team."""
    out = ["<h3>" + e(w._('Money')) + "</h3>",
           _table([w._("metric"), *headers(MONEY_HEADERS, w.f)[1:]],
                  [[e(c) for c in row] for row in money_rows(m, w.f)], {1, 2},
                  caption=f'{w._("Exact analysis")}: {w._("Money")}'),
           _table(source_money_headers(m, w.f),
                  [[e(c) for c in row] for row in source_money_rows(m, w.f)],
                  {1, 2, 3, 4, 5, 6}, caption=f'{w._("Exact analysis")}: {w._("Money")}')]
    # The remarks mark the file's keywords as a terminal does (`cost`); the page codes them.
    out += ['<p class="note">' + code_spans(x) + "</p>"
            for x in money_remarks(m, percent, w.f)]
    return "".join(out)


def _month_word(w: _Words, month: str) -> str:
    """`--month mar` as the page's language names it («март», «березень»); English keeps
    the option's own word."""
    if w.english or month not in MONTHS:
        return month
    return w.tr.month(MONTHS.index(month) + 1)


def _exact(w: _Words, data: ReportData) -> str:
    _, f = w._, w.f
    ex = data.exact
    out = ['<section id="exact"><h2>' + e(_("Exact analysis")) + '</h2>',
           '<p class="note">' + (w.code(
               N_("What follows from the file without simulating ({analyze}), sources at "
                  "their annual mean rate."), analyze="funnelc analyze") if ex.month is None
               else w.code(N_("What follows from the file without simulating ({analyze}), "
                              "sources at their rate for {month}."),
                           plain={"month": _month_word(w, ex.month)},
                           analyze="funnelc analyze"))
           + "</p>"]
    for p in ex.pipelines:
        out.append(_exact_pipeline(w, p, ex.unstable_teams(p)))
    if ex.teams:
        rows = [[e(t.name), e(t.size), e(len(t.stages)), e(busy_members(t, f)),
                 e(team_load(t.load, f.pct, t.capacity)),
                 e(f.num(t.working_hours_per_week)),
                 code_spans("; ".join(w.say(n) for n in t.notes))]
                for t in ex.teams]
        out.append("<h3>" + e(_('Teams')) + "</h3>" + _table(
            [_("team"), _("size"), _("stages"), _("busy members"), _("load"), _("hours/week"),
             _("notes")], rows, {1, 2, 3, 4, 5},
            caption=f'{_("Exact analysis")}: {_("Teams")}'))
        mark = load_mark(((t.load, t.capacity) for t in ex.teams), f)
        if mark is not None:
            out.append(f'<p class="note">{e(mark)}</p>')
    cur = ex.currency or ""
    out.append("<h3>" + e(_('Revenue')) + "</h3>")
    if ex.revenue_per_month is not None:
        amount = money_in(ex.revenue_per_month, cur or None, w.tr.lang)  # `€165k`
        out.append("<p>" + e(_("Expected revenue: {amount} per month.")).format(
            amount=f"<b>{e(amount)}</b>") + "</p>")
    else:
        out.append("<p>" + w.code(N_("No source has a {value}."), value="value") + "</p>")
    unreachable = unreachable_revenue(ex.unstable_teams(), f)
    if unreachable is not None:
        out.append(f'<p class="note bad">{e(unreachable)}</p>')
    def cash(x: float | None) -> str:
        # Money in every language (`€4.07M`, `4,07 млн ₽`), as the page's other tables.
        if x is None:
            return DASH
        return money_in(x, cur or None, w.tr.lang)

    rows = [[e(s.source), e(s.entry), e(f.num(s.leads_per_month)), e(f.num(s.wins_per_lead)),
             e(cash(s.revenue_per_month))] for s in ex.sources]
    if rows:
        revenue = _("revenue/month")
        out.append(_table([_("source"), _("enters"), _("leads/month"), _("wins per lead"),
                           revenue], rows, {2, 3, 4},
                          caption=f'{_("Exact analysis")}: {_("Revenue")}'))
    out.append('<p class="note">' + code_spans(_("Assumed: {assumption}").format(
        assumption=_(ex.revenue_assumption))) + "</p>")
    if ex.money is not None:
        out.append(_exact_money(w, ex.money, f.pct))
    out += ['<p class="note">' + code_spans(_("note: {note}").format(note=w.say(n))) + "</p>"
            for n in ex.notes]
    out.append("<h3>" + e(_('Assumptions')) + "</h3><ul>")
    out += [f'<li class="note">{code_spans(_(a))}</li>' for a in ex.assumptions]
    out.append("</ul></section>")
    return "".join(out)


def render_html(data: ReportData, heads: list[Headline], plots: Sequence[Plot],
                version: str, files: Sequence[str],
                extra_sections: Sequence[tuple[str, str, str]] = ()) -> str:
    """`extra_sections`: optional (anchor, nav title, HTML) sections from other commands
    (`--whatif`), placed before the exact analysis. The page speaks the account's
    language (`--lang` overrides)."""
    w = _Words(data)
    _, tr = w._, w.tr
    by_name = {p.name: p for p in plots}
    run = data.result.run
    scen = _(", scenario «{scenario}»").format(scenario=run.scenario) if run.scenario else ""
    nav = "".join(f'<a href="#{a}">{e(t)}</a>' for a, t in (
        ("graveyards", _("Graveyards")), ("summary", _("Summary")),
        *((("money", _("Money")),) if data.result.money is not None
          or data.exact.money is not None else ()),
        ("funnel", _("Funnel")),
        ("stages", _("Stages")), ("teams", _("Teams")), ("respond-sla", _("Respond & SLA")),
        *((a, t) for a, t, _s in extra_sections), ("exact", _("Exact analysis"))))
    run_line = e(_("funnelc report of {file}{scenario}: {replications} × {days} ({warmup} "
                   "warm-up) from {date}, seed {seed}. funnelc {version}.")).format(
        file=f"<code>{e(run.file)}</code>", scenario=e(scen),
        replications=e(tr.ngettext("{n} replication", "{n} replications", run.reps)
                       .format(n=run.reps)),
        days=e(tr.ngettext("{n} day", "{n} days", run.days).format(n=run.days)),
        warmup=run.warmup_days,
        date=e(run.start_date if w.english else tr.date(run.start_date)), seed=run.seed,
        version=e(version))
    body = [
        "<header>",
        f"<h1>{e(data.account)}</h1>",
        f'<p class="sub">{run_line}</p>',
        f"<nav>{nav}</nav></header>",
        _graveyards(w, data, heads, by_name.get("backlog")),
        _summary(w, data),
        _shape(w, data, by_name.get("funnel")),
        _pipelines(w, data, by_name.get("time_in_stage")),
        _teams(w, data, by_name.get("utilization")),
        _respond_sla(w, data),
        *(section for _a, _t, section in extra_sections),
        _exact(w, data),
        '<footer><p class="note">' + e(_("Files written with this page: {files}.")).format(
            files=", ".join(f"<code>{e(name)}</code>" for name in files)) + "</p></footer>",
    ]
    return (f"<!DOCTYPE html>\n<html lang=\"{tr.lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>" + e(_("funnelc report: {account}").format(account=data.account))
            + "</title>\n"
            f"<style>{CSS}</style>\n</head>\n"
            "<body><main>\n" + "\n".join(body) + "\n</main></body>\n</html>\n")
