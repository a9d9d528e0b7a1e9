"""What `staff --objective profit` prints and writes: the answer and its flat region in one
sentence, the exact optimum and why (or why there is none), then the profit curve by size
(simulated per month with its 95 % interval, the paired difference from the best, the
exact figure where a closed form applies, whether the size meets the targets). JSON: the
targets' staffing document (`staff_render.staff_json`) with `objective` and `profit`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..i18n import C_, Translator, choose, translator
from ..i18n.figures import CI_ENDS
from ..jsontypes import JSONObject
from ..numfmt import COUNT, DASH, SIGNED, money_in
from ..numfmt import est as est_text
from ..sim.results import Estimate
from ..termtext import plain
from . import labels
from .staff_render import staff_json
from .staff_why import confidence_text, exact_profit_text, profit_note
from .staffing_profit import ProfitStaffResult

__all__ = ["profit_text", "profit_json"]


def profit_text(console: Console, result: ProfitStaffResult) -> None:
    """The answer, the exact optimum and the curve, in the account's language (`--lang`
    overrides), its reasons too (`staff_why`)."""
    p, run = result.profit, result.outcome.run
    cur, lang = p.currency, p.language
    tr = translator(choose(lang))
    _ = tr.gettext

    def money_one(x: float | None) -> str:
        if tr.lang == "en" or x is None or x != x:
            return money_in(x, cur, lang)
        return labels.money(tr, x, cur)

    def money_est(e: Estimate | None, signed: bool = False) -> str:
        """`6,4 ±0,32 млн ₽` in Russian and Ukrainian (scale and sign once); English as
        it always read. An amount's interval is held at 0 (`[0–…]`) unless `signed`
        (profit and its distance from the best)."""
        if tr.lang == "en" or e is None or e.mean is None or not e.ci95:
            return est_text(e, lambda x: money_in(x, cur, lang), limits=SIGNED if signed else COUNT
                       ) if tr.lang == "en" else (
                DASH if e is None or e.mean is None else labels.money(tr, e.mean, cur))
        return labels.money_estimate(tr, e.mean, e.ci95, cur, None if signed else 0.0)

    console.print(plain(tr.ngettext(
        "{file}: {reps} replication × {days} first, more where sizes are close; profit per "
        "month (730 h), mean ±95% CI",
        "{file}: {reps} replications × {days} first, more where sizes are close; profit per "
        "month (730 h), mean ±95% CI", run.reps).format(
            file=run.file, reps=run.reps, days=tr.duration(run.days, "day")) + "; " + _(CI_ENDS),
        style="dim"))
    if p.best is None:
        console.print(plain(_("no size of `{team}` up to {limit} meets every target").format(
            team=p.team, limit=p.limit), style="bold red"))
    else:
        best = next(x for x in p.points if x.size == p.best)
        flat = ("" if p.flat is None or p.flat[0] == p.flat[1] else
                _("; sizes {low}–{high} are within the noise of it").format(
                    low=p.flat[0], high=p.flat[1]))
        money = money_est(best.profit, signed=True)
        if p.targets:
            text = _("most profitable size of `{team}` meeting {targets}: {best} ({money} a "
                     "month){flat}")
        else:
            text = _("most profitable size of `{team}`: {best} ({money} a month){flat}")
        console.print(plain(text.format(
            team=p.team, targets=", ".join(t.text.strip() for t in p.targets), best=p.best,
            money=money, flat=flat), style="bold"))
    console.print(plain(_("confidence: {level} — {why}").format(
        level=tr.pgettext("confidence", p.confidence),
        why=confidence_text(tr, p.confidence_why))))
    exact_why = exact_profit_text(tr, p.exact_why)
    console.print(plain(_("exact: {why}").format(why=exact_why) if p.exact is not None
                        else exact_why, style="dim"))
    table = Table(title=plain(_("profit by size of {team}").format(team=p.team)),
                  title_justify="left")
    for col in (_("size"), _("reps"), _("profit / month"), _("vs best"), _("exact"),
                _("revenue"), _("cost")):
        table.add_column(col, justify="right")
    table.add_column(_("targets"), justify="left")
    for x in p.points:
        mark = " ◀" if x.size == p.best else ""
        table.add_row(f"{x.size}{mark}", str(x.replications),
                      money_est(x.profit, signed=True),
                      DASH if x.versus_best is None else money_est(x.versus_best, signed=True),
                      money_one(x.exact), money_est(x.revenue), money_est(x.cost),
                      (_("met") if x.feasible else _("missed")) if p.targets else DASH)
    console.print(table)
    for note in p.notes:
        console.print(plain(_("note: {note}").format(note=profit_note(tr, note, p.team)),
                            style="yellow"))


CONFIDENCE_LEVELS = (C_("confidence", "high"), C_("confidence", "moderate"),
                     C_("confidence", "low"))
"""The search's confidence words (staffing's `confidence`), translated where shown."""


def profit_json(result: ProfitStaffResult) -> JSONObject:
    """The staffing document (schema `staff.schema.json`) with the profit search."""
    p = result.profit
    en: Translator = translator("en")

    def est(e: object) -> JSONObject | None:
        if e is None:
            return None
        from ..sim.results import Estimate

        assert isinstance(e, Estimate)
        return {"mean": e.mean, "ci95": e.ci95, "n": e.n}

    out = staff_json(result.outcome)
    out["objective"] = "profit"
    out["profit"] = {
        "currency": p.currency, "best": p.best,
        "flat_region": None if p.flat is None else {"from": p.flat[0], "to": p.flat[1]},
        "exact": (None if p.exact is None else
                  {"model": p.exact.model, "optimum": p.exact.optimum,
                   "why": exact_profit_text(en, p.exact.why)}),
        "exact_why": exact_profit_text(en, p.exact_why),
        "exact_why_kind": p.exact_why.kind, "start": p.start,
        "replications": p.replications,
        "confidence": p.confidence, "confidence_text": confidence_text(en, p.confidence_why),
        "notes": [profit_note(en, n, p.team) for n in p.notes],
        "note_kinds": list(p.notes),
        "sizes": [{"size": x.size, "replications": x.replications,
                   "profit_per_month": est(x.profit), "revenue_per_month": est(x.revenue),
                   "cost_per_month": est(x.cost), "versus_best": est(x.versus_best),
                   "meets_targets": x.feasible, "exact_profit_per_month": x.exact}
                  for x in p.points],
    }
    return out
