"""A sweep: every combination of the `--vary` values, simulated on common random numbers
(the same replication indices at every point, so neighbouring points differ by the change,
not by luck), summarised per point, and laid out as a tidy table: one row per point and
metric, one column per axis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from .. import codes
from .. import model as m
from ..csvsafe import Figure
from ..sim.ci import estimate
from ..sim.config import SimConfig
from .executors import Runner
from .grid import (
    MAX_POINTS,
    AxisSlot,
    SweepPoint,
    VarySpec,
    axis_label,
    axis_parts,
    axis_slot,
    grid_values,
)
from .metrics import METRICS, MetricDef
from .overload import overloaded_teams
from .runs import Variant, VariantRun, run_variants
from .variants import OverrideError, Overrides, Parsed, combine

__all__ = ["Sweep", "sweep_variants", "run_sweep", "collect", "default_metrics", "tidy_rows", "TIDY_COLUMNS",
           "TooManyPoints"]

TIDY_COLUMNS = ("point", "metric", "subject", "unit", "mean", "ci95", "sd", "n", "first_day",
                "last_day")
"""Columns after `point` and the axes: see `tidy_rows`."""


class TooManyPoints(ValueError):
    pass


@dataclass
class Sweep:
    specs: list[VarySpec]
    points: list[SweepPoint]
    runs: list[VariantRun]
    space: list[MetricDef]


def sweep_variants(base: m.FunnelFile, specs: Sequence[VarySpec]
                   ) -> tuple[list[VarySpec], list[Variant]]:
    """The specs with their axes named, and the model of every grid point. Each spec is
    parsed once; a point is its axes' overrides with the point's values put in, checked
    and applied to `base` as a model (`Overrides.variant`). Raises `OverrideError` for a
    spec that names nothing or a value the checks refuse, `TooManyPoints` for a huge
    grid."""
    total = math.prod(len(s.values) for s in specs)
    if total > MAX_POINTS:
        raise TooManyPoints(f"the grid has {total} points (at most {MAX_POINTS}); give "
                            "larger steps or fewer --vary")
    ov = Overrides(base)
    specs = list(specs)
    parts: list[Parsed] = []
    slots: list[AxisSlot] = []
    for i, spec in enumerate(specs):
        # Each spec is parsed alone, once, and checked alone first: an error then points
        # at the spec that has it.
        line = spec.line(spec.values[0])
        parsed = ov.parse([line], name="--vary")
        ov.check(parsed)
        slot = axis_slot(spec, line, parsed.scenario.overrides[0], parsed.starts[0])
        if len(spec.values) > 1:
            ov.check(parsed, [slot.at(spec.values[-1])])
        what, subject = axis_parts(slot.override)
        specs[i] = replace(spec, axis=axis_label(spec, slot.override), axis_what=what,
                           axis_subject=subject)
        parts.append(parsed)
        slots.append(slot)
    seen: set[str] = set()
    for spec in specs:
        if spec.axis not in seen:
            seen.add(spec.axis)
            continue
        from ..diagnostics import Diagnostic, Severity, SourceText
        from ..span import Span

        raise OverrideError([Diagnostic(
            codes.FN292, Severity.error, f"`{spec.axis}` is varied twice", spec.origin,
            Span(line=1, column=1, end_line=1, end_column=len(spec.text) + 1, start=0,
                 end=len(spec.text)), "a second --vary of the same thing",
            help="give all its values in one range")],
            {spec.origin: SourceText(spec.origin, spec.text)})
    joint = combine(parts, "--vary")
    slots = [replace(slot, spec=spec, override=ovr)
             for slot, spec, ovr in zip(slots, specs, joint.scenario.overrides)]
    variants: list[Variant] = []
    for values in grid_values(specs):
        label = ", ".join(f"{s.axis} = {s.value_text(v)}" for s, v in zip(specs, values))
        model = ov.variant(joint, [slot.at(v) for slot, v in zip(slots, values)])
        variants.append(Variant(label, model,
                                tuple(s.line(v).text for s, v in zip(specs, values))))
    return specs, variants


def collect(specs: Sequence[VarySpec], runs: Sequence[VariantRun]) -> Sweep:
    """Per-point estimates of every metric any point has (in the first point's order)."""
    keys: dict[str, MetricDef] = {}
    for r in runs:
        for d in r.space:
            keys.setdefault(d.key, d)
    space = list(keys.values())
    points = [SweepPoint(index=i, values=values, label=r.variant.name,
                         estimates={d.key: estimate(r.series(d.key)) for d in space},
                         graveyards=[f"{s.pipeline}.{s.stage}" for s in r.result.stages
                                     if s.graveyard.is_graveyard],
                         overloaded=overloaded_teams(r.variant.name, r.variant.model, r.net))
              for i, (values, r) in enumerate(zip(grid_values(specs), runs))]
    return Sweep(list(specs), points, list(runs), space)


def run_sweep(base: m.FunnelFile, specs: Sequence[VarySpec], config: SimConfig,
              runner: Runner) -> Sweep:
    specs, variants = sweep_variants(base, specs)
    return collect(specs, run_variants(variants, config, runner))


def _num(x: float | None) -> Figure:
    """A number cell: marked as one, so `funnelc.csvsafe` never prefixes a negative."""
    if x is None or not math.isfinite(x):
        return Figure("")
    if float(x).is_integer() and abs(x) < 1e15:
        return Figure(str(int(x)))
    return Figure(repr(float(x)))


def tidy_rows(sweep: Sweep) -> tuple[list[str], list[list[str]]]:
    """Header and rows: `point`, one column per axis (its value in the axis's unit),
    then `metric`, `subject` (pipeline, team or `Pipeline.Stage`; empty for the
    account), `unit`, `mean`, `ci95` (95 % half-width), `sd`, `n` (replications with a
    value). Every point has the same rows: every metric of the account (`conversion`,
    `won` and `cycle_time_hours` per pipeline only, not again for the main one), then
    `graveyard` per stage (1 when the stage is a graveyard, 0 when not),
    `graveyards` (how many) and `overloaded` per team (1 when the team cannot keep up
    at the point: simulate's `unstable-team`, its queue growing for as long as the run
    lasts; 0 when it can). Values are in display units (percent for shares). Each row
    ends with `first_day` and `last_day` (ISO dates): the observed days, after the
    warm-up, over which its money and counts were summed and its shares and times
    measured, as forecast's CSV dates its rows (a spreadsheet has no JSON `run`).
    Number cells are `csvsafe.Figure`s; names (axes, subjects) are text, which the CSV
    writer neutralises."""
    header = ["point", *(s.axis for s in sweep.specs), *TIDY_COLUMNS[1:]]
    rows: list[list[str]] = []
    stages = [f"{s.pipeline}.{s.stage}" for s in sweep.runs[0].result.stages] \
        if sweep.runs else []
    reps = sweep.runs[0].result.run.reps if sweep.runs else 0
    teams = [t.name for t in sweep.runs[0].net.teams] if sweep.runs else []
    days: list[str] = ["", ""]
    if sweep.runs:
        run = sweep.runs[0].result.run
        start = date.fromisoformat(run.start_date)
        days = [(start + timedelta(days=run.warmup_days)).isoformat(),
                (start + timedelta(days=run.days - 1)).isoformat()]
    for p in sweep.points:
        head = [_num(p.index), *(_num(v) for v in p.values)]
        for d in sweep.space:
            if d.subject is None and METRICS[d.name].whole == "main":
                continue  # the same figure as the main pipeline's row
            e = p.estimates[d.key]
            rows.append(head + [d.name, d.subject or "", d.unit,
                                _num(d.shown(e.mean)), _num(d.shown(e.ci95)),
                                _num(d.shown(e.sd)), _num(e.n), *days])
        for st in stages:
            rows.append(head + ["graveyard", st, "", _num(int(st in p.graveyards)), "",
                                "", _num(reps), *days])
        rows.append(head + ["graveyards", "", "stages", _num(len(p.graveyards)), "", "",
                            _num(reps), *days])
        over = {o.team for o in p.overloaded}
        for team in teams:
            rows.append(head + ["overloaded", team, "", _num(int(team in over)), "", "",
                                _num(reps), *days])
    return header, rows


def default_metrics(specs: Sequence[VarySpec], space: list[MetricDef]) -> list[MetricDef]:
    """What the sweep table shows without --metric: the account headline and the
    utilization of every team whose size is varied."""
    have = {d.key: d for d in space}
    out = [have[k] for k in ("conversion", "revenue", "profit", "respond_breach_pct", "timeouts")
           if k in have]
    for s in specs:
        if s.axis.endswith(" size"):
            key = f"utilization:{s.axis[: -len(' size')]}"
            if key in have:
                out.append(have[key])
    return out
