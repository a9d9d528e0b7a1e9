"""What a scenario's cost figures leave unsaid about its sources' prices.

A scenario that changes a source's leads (`source "Instagram" 50/week`, or its
`profile`) keeps the source's prices as written: a per-lead `cost` is paid per lead, so
it follows the leads; a `budget` is paid per unit of time whatever the source brings, so
it stays what it was unless the scenario changes it too (`source "Instagram" budget
40k/month`). Twice the leads from a budgeted source then cost nothing more, and the
what-if's cost difference reads `0`: right for what the file says, misleading for a
consultant who meant "twice the advertising". And a source with neither price costs what
the file does not say: its leads add nothing to the costs, which is not the same as
costing nothing.

`price_notes` finds both cases in one scenario so that the renderers can say so beside
the figures (`render`, `report_section`) and the JSON can carry them. Pure: models in,
notes out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .. import model as m
from ..analysis.markov import source_rate_per_hour
from ..analysis.money import prices_cost
from ..fmt import name_text
from ..jsontypes import JSONObject

__all__ = ["PriceNote", "price_notes"]


@dataclass(frozen=True)
class PriceNote:
    source: str
    kind: Literal["budget_kept", "unpriced"]
    """`budget_kept`: the source's leads changed and its `budget` did not;
    `unpriced`: its leads changed and it has no `cost` or `budget`, so what they cost is
    unknown (not in the costs)."""
    ratio: float
    """The scenario's leads over the file's (annual mean, profiles included)."""
    budget: str | None = None
    """`budget_kept`: the budget as written (`20k/month`)."""
    line: str | None = None
    """`budget_kept`: the scenario line that would scale the budget with the leads
    (`source "Instagram" budget 40k/month`), to paste if more leads cost more."""

    def to_json(self) -> JSONObject:
        return {"source": self.source, "kind": self.kind, "ratio": self.ratio,
                "budget": self.budget, "line": self.line}


def _amount(x: float) -> str:
    """An amount as the language writes one, three significant digits (`40k`, `27.4k`,
    `1.2M`, `950`)."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= scale:
            return f"{float(f'{x / scale:.3g}'):g}{suffix}"
    return f"{float(f'{x:.3g}'):g}"


def price_notes(base: m.FunnelFile, variant: m.FunnelFile) -> list[PriceNote]:
    """The sources whose leads `variant` changes against `base` and whose cost figures
    need a word: a budget kept as it was, or no price at all. Nothing when neither model
    prices a cost (the outputs then show no cost)."""
    if not (prices_cost(base) or prices_cost(variant)):
        return []
    out: list[PriceNote] = []
    for src in variant.sources:
        old = base.source(src.name.value)
        if old is None:
            continue
        before, after = source_rate_per_hour(old), source_rate_per_hour(src)
        if math.isclose(before, after, rel_tol=1e-12, abs_tol=0.0):
            continue
        ratio = after / before if before > 0 else math.inf
        if src.budget is not None and old.budget is not None \
                and math.isclose(src.budget.per_hour, old.budget.per_hour, rel_tol=1e-12):
            line = None
            if math.isfinite(ratio) and ratio > 0:
                line = (f"source {name_text(src.name)} budget "
                        f"{_amount(src.budget.count * ratio)}/{src.budget.unit}")
            out.append(PriceNote(src.name.value, "budget_kept", ratio, src.budget.text, line))
        elif src.budget is None and src.cost is None:
            out.append(PriceNote(src.name.value, "unpriced", ratio))
    return out
