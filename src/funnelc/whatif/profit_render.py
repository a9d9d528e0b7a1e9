"""What `staff --objective profit` prints and writes: the answer and its flat region in one
sentence, the exact optimum and why (or why there is none), then the profit curve by size
(simulated per month with its 95 % interval, the paired difference from the best, the
exact figure where a closed form applies, whether the size meets the targets). JSON: the
targets' staffing document (`staff_render.staff_json`) with `objective` and `profit`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..jsontypes import JSONObject
from ..numfmt import DASH, est_money, money_in
from ..termtext import plain
from .staff_render import staff_json
from .staffing_profit import ProfitStaffResult

__all__ = ["profit_text", "profit_json"]


def profit_text(console: Console, result: ProfitStaffResult) -> None:
    p, run = result.profit, result.outcome.run
    cur, lang = p.currency, p.language
    console.print(plain(f"{run.file}: {run.reps} replications × {run.days} days first, more "
                        f"where sizes are close; profit per month (730 h), mean ±95% CI",
                        style="dim"))
    if p.best is None:
        console.print(plain(f"no size of `{p.team}` up to {p.limit} meets every target",
                            style="bold red"))
    else:
        best = next(x for x in p.points if x.size == p.best)
        flat = ("" if p.flat is None or p.flat[0] == p.flat[1] else
                f"; sizes {p.flat[0]}–{p.flat[1]} are within the noise of it")
        bound = (" meeting " + ", ".join(t.text.strip() for t in p.targets)
                 if p.targets else "")
        console.print(plain(f"most profitable size of `{p.team}`{bound}: {p.best} "
                            f"({est_money(best.profit, cur, lang)} a month){flat}",
                            style="bold"))
    console.print(plain(f"confidence: {p.confidence} — {p.confidence_text}"))
    console.print(plain(f"exact: {p.exact_why}" if p.exact is not None else p.exact_why,
                        style="dim"))
    table = Table(title=plain(f"profit by size of {p.team}"), title_justify="left")
    for col in ("size", "reps", "profit / month", "vs best", "exact", "revenue", "cost",
                "targets"):
        table.add_column(col, justify="right" if col != "targets" else "left")
    for x in p.points:
        mark = " ◀" if x.size == p.best else ""
        table.add_row(f"{x.size}{mark}", str(x.replications),
                      est_money(x.profit, cur, lang),
                      DASH if x.versus_best is None else est_money(x.versus_best, cur, lang),
                      money_in(x.exact, cur, lang), est_money(x.revenue, cur, lang),
                      est_money(x.cost, cur, lang),
                      ("met" if x.feasible else "missed") if p.targets else DASH)
    console.print(table)
    for note in p.notes:
        console.print(plain(f"note: {note}", style="yellow"))


def profit_json(result: ProfitStaffResult) -> JSONObject:
    """The staffing document (schema `staff.schema.json`) with the profit search."""
    p = result.profit

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
                  {"model": p.exact.model, "optimum": p.exact.optimum, "why": p.exact.why}),
        "exact_why": p.exact_why, "start": p.start, "replications": p.replications,
        "confidence": p.confidence, "confidence_text": p.confidence_text,
        "notes": list(p.notes),
        "sizes": [{"size": x.size, "replications": x.replications,
                   "profit_per_month": est(x.profit), "revenue_per_month": est(x.revenue),
                   "cost_per_month": est(x.cost), "versus_best": est(x.versus_best),
                   "meets_targets": x.feasible, "exact_profit_per_month": x.exact}
                  for x in p.points],
    }
    return out
