"""The simulation budget's refusal as a `Note`: why `fit` left the delays uncalibrated,
said in the output's language. `sim.budget.refusal` builds the same sentence in English
for the commands' diagnostics; this keeps its figures, so the note's English is that
sentence word for word and its Russian and Ukrainian come from the catalogs."""

from __future__ import annotations

import math

from ..i18n.note import Note, _n
from ..sim.budget import EVENTS_PER_DEAL, WorkEstimate, refusal

__all__ = ["refusal_note"]


def refusal_note(est: WorkEstimate, max_deals: int) -> Note | None:
    """Why the run `est` is refused at `max_deals` (None: within the budget), with the
    default advice of `refusal`."""
    if refusal(est, max_deals) is None:
        return None
    where: dict[str, float | int] = {
        "per_day_count": est.deals_per_hour * 24, "days_count": est.hours / 24,
        "limit_count": float(max_deals)}
    if math.isfinite(est.deals) and est.deals > max_deals:
        return _n("the run would simulate about {deals_count} deals ({per_day_count} a day × "
                  "{days_count} days × {n} replication), above the limit of {limit_count} "
                  "deals; shorten --days, lower --reps or the sources' rates, or raise the "
                  "limit with --max-deals N (memory grows with the deals open at once, ~300 "
                  "bytes each)",
                  "the run would simulate about {deals_count} deals ({per_day_count} a day × "
                  "{days_count} days × {n} replications), above the limit of {limit_count} "
                  "deals; shorten --days, lower --reps or the sources' rates, or raise the "
                  "limit with --max-deals N (memory grows with the deals open at once, ~300 "
                  "bytes each)", est.runs, deals_count=est.deals, **where)
    where["limit_count"] = float(max_deals * EVENTS_PER_DEAL)
    per_deal = f"{est.events / max(est.deals, 1.0):.0f}"
    return _n("the run would process about {events_count} events ({per_day_count} a day × "
              "{days_count} days × {n} replication; {per_deal} per deal: stage visits and a "
              "daily snapshot of every stage), above the limit of {limit_count} ({per_max} per "
              "deal of --max-deals {max_count}); shorten --days or lower --reps, or raise "
              "--max-deals",
              "the run would process about {events_count} events ({per_day_count} a day × "
              "{days_count} days × {n} replications; {per_deal} per deal: stage visits and a "
              "daily snapshot of every stage), above the limit of {limit_count} ({per_max} per "
              "deal of --max-deals {max_count}); shorten --days or lower --reps, or raise "
              "--max-deals", est.runs, events_count=est.events,
              per_deal=per_deal, per_max=EVENTS_PER_DEAL,
              max_count=float(max_deals), **where)
