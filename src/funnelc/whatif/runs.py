"""Simulate a list of variants of one account on common random numbers: compile each,
run the same replication indices of every one on an executor, then summarise each one
as `funnelc simulate` would and keep the per-replication metric values for pairing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import model as m
from ..sim.compile import Network, compile_network
from ..sim.config import SimConfig
from ..sim.results import SimResult
from ..sim.stats import RepStats
from .executors import Runner
from .metrics import MetricDef, main_pipeline, metric_space, rep_values

__all__ = ["Variant", "VariantRun", "run_variants"]


@dataclass(frozen=True)
class Variant:
    name: str
    """"baseline", a scenario's name, `--set`, or a grid point's label."""
    model: m.FunnelFile
    changes: tuple[str, ...] = ()
    """The override lines that made it, as text (for reports)."""


@dataclass
class VariantRun:
    variant: Variant
    net: Network
    reps: list[RepStats]
    result: SimResult
    values: list[dict[str, float]]
    """Per replication (in index order): metric key → value."""
    space: list[MetricDef] = field(default_factory=list)

    def series(self, key: str) -> list[float]:
        nan = float("nan")
        return [v.get(key, nan) for v in self.values]


def run_variants(variants: Sequence[Variant], config: SimConfig, runner: Runner
                 ) -> list[VariantRun]:
    """Every variant over replications 0 … reps-1. Raises `CompileError` for a variant
    the simulator cannot run."""
    from ..sim.summary import summarize

    nets = [compile_network(v.model) for v in variants]
    all_reps = runner.run(nets, [range(config.reps)] * len(variants))
    out: list[VariantRun] = []
    for v, net, reps in zip(variants, nets, all_reps):
        main = main_pipeline(v.model)
        scenario = None if v.name == "baseline" else v.name
        result = summarize(v.model, net, config, reps, scenario=scenario)
        out.append(VariantRun(v, net, reps, result, [rep_values(net, r, main) for r in reps],
                              metric_space(v.model, net)))
    return out
