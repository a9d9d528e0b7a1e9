"""Which teams cannot keep up in a variant or a grid point: simulate's `unstable-team`
verdict (the exact load at or past the team's capacity, with stages that have neither an
SLA nor patience to take waiting deals out of its queue), read by whatif and sweep."""

from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from ..sim.compile import Network

__all__ = ["Overloaded", "overloaded_teams"]


@dataclass(frozen=True)
class Overloaded:
    """A team that cannot keep up in one variant (simulate's `unstable-team` verdict: the
    exact load at or past its capacity, and stages with neither SLA nor patience): its
    queue grows for as long as the run lasts, so the variant's figures depend on --days."""

    variant: str
    team: str
    load: float
    capacity: float
    stages: tuple[str, ...]


def overloaded_teams(variant: str, model: m.FunnelFile, net: Network) -> list[Overloaded]:
    """The teams of `model` that cannot keep up, as simulate's warning decides."""
    from ..analysis.exact import analyze_account

    out = []
    for t in analyze_account(model).teams:
        if t.stable:
            continue
        j = next((x.index for x in net.teams if x.name == t.name), -1)
        open_stages = tuple(f"{s.pipeline_name}.{s.name}" for s in net.stages
                            if s.team == j and j >= 0 and s.sla_hours is None
                            and s.patience is None)
        if open_stages:
            out.append(Overloaded(variant, t.name, t.load, t.capacity, open_stages))
    return out
