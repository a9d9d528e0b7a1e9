"""The service functions of `whatif`, `sweep` and `staff`: given the variants (or the
grid, or the team and targets) and a `Runner`, run the replications and return one typed
result that the render modules (`render`, `sweep_render`, `staff_render`) turn into
tables, JSON, CSV and plots. No printing and no option parsing here: the commands do
that, so the same result serves the terminal, a file and the report alike.

Each function raises `sim.CompileError` when a variant cannot be simulated; the command
shows its diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import model as m
from ..jsontypes import JSONObject
from ..sim.budget import WorkBudget, estimate_work
from ..sim.config import SimConfig
from .compare import Comparison, compare
from .executors import Runner, RunPlace
from .grid import VarySpec
from .metrics import MetricDef
from .overload import Overloaded, overloaded_teams
from .runs import Variant, VariantRun, run_variants
from .staff_explain import BreachSplit, Explanation, explain, stage_breaches
from .staffing import StaffingResult, search_staff
from .sweep import Sweep, collect, default_metrics
from .targets import Target

__all__ = ["RunRecord", "WhatifResult", "SweepResult", "StaffResult", "compare_variants",
           "sweep_grid", "size_team", "staffing_budget", "Overloaded", "overloaded_teams"]


@dataclass(frozen=True)
class RunRecord:
    """What produced the figures: the `run` object of the JSON outputs and the header
    line of the tables."""

    file: str
    reps: int
    days: int
    warmup_days: int
    seed: int
    start_date: str

    @classmethod
    def of(cls, path: str, config: SimConfig) -> RunRecord:
        return cls(path, config.reps, config.days, config.warmup_days, config.seed,
                   config.start.isoformat())

    def to_json(self, with_file: bool = True) -> JSONObject:
        head: JSONObject = {"file": self.file} if with_file else {}
        return {**head, "reps": self.reps, "days": self.days,
                "warmup_days": self.warmup_days, "seed": self.seed,
                "start_date": self.start_date}


@dataclass(frozen=True)
class WhatifResult:
    """The baseline run and each scenario's comparison with it."""

    base: VariantRun
    comparisons: list[Comparison]
    run: RunRecord
    where: str
    """Where the replications ran (`Runner.describe`)."""
    breaches: list[tuple[str, tuple[BreachSplit, ...]]] = field(default_factory=list)
    """Per variant (baseline first): the respond breaches of each stage with a respond
    limit, by when the deal arrived and by queue priority (`staff_explain`)."""
    place: RunPlace | None = None
    """`where` as data (`Runner.place`), said in the output's language."""
    language: str | None = None
    """The account's `language`: the text, tables and plots speak it (`--lang`
    overrides)."""
    overloaded: list[Overloaded] = field(default_factory=list)
    """Per variant (baseline first), the teams that cannot keep up in it."""


@dataclass(frozen=True)
class SweepResult:
    """Every grid point's estimates, and the metrics the table and plots show."""

    sweep: Sweep
    specs: list[VarySpec]
    chosen: list[MetricDef]
    run: RunRecord
    where: str
    place: RunPlace | None = None
    language: str | None = None
    """The account's `language` (see `WhatifResult.language`)."""


@dataclass(frozen=True)
class StaffResult:
    """The staffing search's answer and curve, with the run that produced them."""

    staffing: StaffingResult
    run: RunRecord
    where: str
    explanation: Explanation | None = None
    """Why the answer is what it is (`staff_explain`); None when not asked for."""
    place: RunPlace | None = None
    language: str | None = None
    """The account's `language` (see `WhatifResult.language`)."""


def _language(model: m.FunnelFile) -> str | None:
    return model.account.language if model.account is not None else None


def compare_variants(variants: Sequence[Variant], config: SimConfig, runner: Runner,
                     path: str) -> WhatifResult:
    """Run the baseline (`variants[0]`) and every other variant on common random
    numbers and compare each with the baseline."""
    runs = run_variants(variants, config, runner)
    window = range(config.warmup_days, config.days)
    breaches = [(r.variant.name, stage_breaches(r.net, r.reps, config.start, window))
                for r in runs]
    overloaded = [o for r in runs for o in overloaded_teams(r.variant.name, r.variant.model,
                                                            r.net)]
    return WhatifResult(runs[0], compare(runs[0], runs[1:]), RunRecord.of(path, config),
                        runner.describe(), breaches, runner.place(),
                        _language(variants[0].model), overloaded)


def sweep_grid(specs: Sequence[VarySpec], variants: Sequence[Variant],
               chosen: Sequence[MetricDef], config: SimConfig, runner: Runner,
               path: str) -> SweepResult:
    """Run every grid point (`sweep_variants`) and summarise it; without `chosen`
    metrics, the table shows `default_metrics`."""
    sweep = collect(specs, run_variants(variants, config, runner))
    metrics = list(chosen) or default_metrics(specs, sweep.space)
    return SweepResult(sweep, list(specs), metrics, RunRecord.of(path, config),
                       runner.describe(), runner.place(),
                       _language(variants[0].model) if variants else None)


def staffing_budget(model: m.FunnelFile, config: SimConfig, max_deals: int) -> WorkBudget:
    """The work budget of a staffing search, charged batch by batch as the search
    decides its sizes and replications. Team sizes change queues, not how many deals the
    sources and copies create, so one replication costs the same at any size."""
    return WorkBudget(estimate_work([model], config.days, 1, config.start), max_deals,
                      "lower --max-size, --max-reps or --reps, shorten --days")


def size_team(model: m.FunnelFile, team: str, targets: list[Target], config: SimConfig,
              runner: Runner, path: str, limit: int, max_reps: int | None,
              start_size: int | None, curve_extra: int, levers: bool = True) -> StaffResult:
    """The smallest size of `team` meeting every target (`search_staff`) and why
    (`staff_explain.explain`: the breaches' split, the load's split and, when the answer
    is far from the file's size, the levers simulated); `model` must carry the targets'
    respond limits (`staffing.with_respond_limits`)."""
    from ..sim.compile import compile_network

    result = search_staff(model, team, targets, config, runner, limit=limit,
                          max_reps=max_reps, start_size=start_size, curve_extra=curve_extra)
    subject = model.team(team)
    current = subject.size if subject is not None else 0
    why = explain(model, compile_network(model), result, config, runner, current, levers)
    return StaffResult(result, RunRecord.of(path, config), runner.describe(), why, runner.place(),
                       _language(model))
