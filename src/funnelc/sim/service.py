"""The service function of `simulate` and `report`: run the replications of a compiled
account and summarise them. Returns the typed `Simulation` (the summary and the
replications it came from, which the report's plots read); printing is the command's
and the render module's (`sim.table`)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from .compile import Network
from .config import SimConfig
from .results import SimResult
from .runner import Progress, run_replications
from .stats import RepStats
from .summary import summarize

__all__ = ["Simulation", "run_simulation"]


@dataclass(frozen=True)
class Simulation:
    """A simulated account: every figure (`result`) and the replications behind them."""

    result: SimResult
    reps: list[RepStats]


def run_simulation(model: m.FunnelFile, net: Network, config: SimConfig,
                   progress: Progress | None = None, scenario: str | None = None
                   ) -> Simulation:
    """`config.reps` replications of `net` (compiled from `model`, with `scenario`
    already applied; its name is only recorded), summarised. Raises
    `budget.DealLimitExceeded` when a replication goes over the deal budget."""
    reps = run_replications(net, config, progress)
    return Simulation(summarize(model, net, config, reps, scenario=scenario), reps)
