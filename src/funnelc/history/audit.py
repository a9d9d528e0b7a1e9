"""The audit a consultant sells, from a stage history: who loses the deals (managers),
who picks new deals up late (speed),
which source brings junk (sources, and whether marketing or sales moved the rate), why
deals are lost (loss reasons, and whether they are filled in), and how to segment the
graveyard — every finding with the deals and money at stake, in that order.

`history` shows the tables; `funnelc audit` lists the findings. Both call `run_audit`
on the tables `history` computes anyway: the audit is group-bys of one extra table
(`cohorts`), skipped for a dimension the history does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import polars as pl

from .analytics import HistoryTables, month_of
from .cohorts import Cohorts, build_cohorts, has_column
from .detectable import Detectable, detectable
from .findings import Finding
from .graveyard_segments import GraveyardSegments, graveyard_findings, graveyard_segments
from .junk import SourcePrice, junk_findings, junk_table
from .loss_reasons import LossTables, loss_findings, loss_tables
from .manager_field import named_on_wins, named_on_wins_findings
from .managers import (
    UNKNOWN_MANAGER,
    manager_findings,
    manager_summary,
    manager_table,
    within_decided,
    within_regulars,
    within_sources,
)
from .periods import Periods, PeriodsError, outside, refusal, unused_warning
from .sources import SourceTables, source_findings, source_tables
from .speed import speed_findings, speed_table

__all__ = ["Audit", "run_audit", "ordered"]


@dataclass
class Audit:
    managers: pl.DataFrame | None
    """`managers.manager_table`; None when the history names no manager."""
    sources: SourceTables | None
    """None when the history has no source."""
    losses: LossTables
    graveyard: GraveyardSegments
    findings: list[Finding]
    """In order of money at stake (then deals)."""
    stage_value: dict[tuple[str, str], float]
    currency: str | None = None
    """The account's currency (`account { currency UAH }`): the sentences people read
    write the money at stake with it («на кону 716 592 ₴»); None without one."""
    period_warnings: list[str] = field(default_factory=list)
    """The comparisons left out because they cannot use the named `--periods` while the
    other one does (English, like the usage errors: the command prints them on stderr)."""
    manager_summary: pl.DataFrame | None = None
    """`managers.manager_summary`: each manager across the stage pairs; None with
    `managers`."""
    junk: pl.DataFrame | None = None
    """`junk.junk_table`: each source's junk against the other sources'; None when the
    history has no source."""
    speed: pl.DataFrame | None = None
    """`speed.speed_table`: each manager's late first touches per stage against the rest
    of the team's; None when the history names no manager."""
    detectable: list[Detectable] = field(default_factory=list)
    """Per dimension compared, the smallest gap its tests could have told from chance:
    «no finding» is said with what the data could have shown."""


def ordered(findings: list[Finding]) -> list[Finding]:
    """Money at stake first (findings without a value after those with one), then
    deals, then where they are (a stable order for equal stakes)."""
    return sorted(findings, key=lambda f: (
        f.money is None, -(f.money or 0.0), -f.deals, f.kind, f.pipeline, f.stage or "",
        f.subject or ""))


def run_audit(t: HistoryTables, currency: str | None = None,
              periods: Periods | None = None,
              prices: dict[str, SourcePrice] | None = None,
              lone: Mapping[str, str] | None = None) -> Audit:
    """The audit of `t`; sources and loss-reason shifts compare `periods` when named,
    else the default periods (`periods.split`). Named periods are checked once, against
    the months a deal entered a stage in (PeriodsError when outside them); a comparison
    that cannot use them is left out with a warning (`Audit.period_warnings`), and when
    neither can, PeriodsError says why for both. `prices`: what the funnel says each
    source costs (`junk.source_prices`), for the money its junk cost. `lone`: pipeline →
    its only failure stage, whose losses the export gives no reason for
    (`DataQuality.lone_stages`)."""
    vis = t.visits.visits
    if periods is not None and vis.height:
        lo, hi = vis.select(lo=month_of("entered", t.tz).min(),
                            hi=month_of("entered", t.tz).max()).row(0)
        why = outside(periods, [lo, hi])
        if why:
            raise PeriodsError(why)
    with_managers, with_sources = has_column(t, "manager"), has_column(t, "source")
    cohorts: Cohorts | None = None
    if vis.height:
        cohorts = build_cohorts(t, with_pairs=with_managers or with_sources)
    findings: list[Finding] = []
    managers = sources = speed = None
    # A manager named only on the won deals compares nothing: said, and those pipelines
    # are left out of the managers' comparisons (`manager_field`).
    unnamed = named_on_wins(vis) if with_managers else []
    findings += named_on_wins_findings(unnamed)
    # An amount written only on the won deals: the stages' worth is priced from the wins
    # and the conversion (`cohorts._stage_value`), and a finding says why.
    findings += named_on_wins_findings(named_on_wins(vis, "value"), "value_on_wins")
    by_manager = cohorts
    if cohorts is not None and unnamed:
        left_out = [r.pipeline for r in unnamed]
        by_manager = replace(cohorts, pairs=cohorts.pairs.filter(
            ~pl.col("pipeline").cast(pl.Utf8).is_in(left_out)))
        with_managers = by_manager.pairs.height > 0
    if by_manager is not None and with_managers:
        managers = manager_table(by_manager, vis, t.visits.data_end)
        findings += manager_findings(managers, by_manager)
        speed = speed_table(by_manager, t.visits.routes, t.tz, t.visits.data_end)
        findings += _overlapping(speed_findings(speed), findings)
    if cohorts is not None and with_sources:
        sources = source_tables(cohorts, t.visits.data_end, t.tz, periods, t.visits.seen_from)
        findings += source_findings(sources)
    if by_manager is not None and with_managers and with_sources:
        # Routed leads: a manager's finding read within the sources (the junk's within
        # the managers is `junk_table`'s).
        findings = within_sources(findings, by_manager, t.visits.data_end)
    if by_manager is not None and managers is not None:
        # Regular clients' orders: a manager's finding read within the kinds of client
        # (the late pick-ups' in `speed_findings`), at the bar of the table's family.
        family = managers.filter(pl.col("manager") != UNKNOWN_MANAGER)["p_value"].to_list()
        findings = within_regulars(findings, by_manager, t.visits.data_end, family)
        # Deals left open: a flag that stands on them alone is not read as conversion.
        findings = within_decided(findings, by_manager, t.visits.data_end, family)
    value = cohorts.stage_value if cohorts is not None else {}
    # The table of a row per deal and stage pair is done with: freed before the loss
    # tables and the graveyard segments build theirs, it is not held at their peak
    # (issue 14).
    cohorts = by_manager = None
    losses = loss_tables(vis, t.tz, t.visits.data_end, periods, t.visits.seen_from,
                         t.visits.order)
    findings += loss_findings(losses, lone)
    junk = junk_table(vis, t.tz) if with_sources else None
    if junk is not None:
        findings += junk_findings(junk, prices or {})
    warnings = _unused(periods, sources, losses)
    graves = graveyard_segments(vis, t.graveyards, t.visits.data_end, t.touches,
                                t.visits.routes)
    findings += graveyard_findings(graves, value)
    return Audit(managers, sources, losses, graves, ordered(findings), value, currency,
                 warnings, manager_summary(managers, _by_source(findings), _by_clients(findings),
                                    _by_open(findings))
                 if managers is not None else None,
                 junk=junk, speed=speed, detectable=detectable(managers, sources))


def _overlapping(speed: list[Finding], found: list[Finding]) -> list[Finding]:
    """The speed findings, each marked when the same manager's conversion on the same
    step is a finding too: the late manager's lost deals are counted there as well, and
    a client adding the two sums would count them twice."""
    short = {(f.pipeline, f.stage, f.to_stage, f.subject) for f in found
             if f.kind == "manager_conversion"}
    return [replace(f, speed=replace(f.speed, overlaps=True))
            if f.speed is not None and (f.pipeline, f.stage, f.to_stage, f.subject) in short
            else f for f in speed]


def _by_source(findings: list[Finding]) -> dict[tuple[str, str, str, str], str]:
    """The manager flags a routed source explains, with the source (`within_sources`)."""
    return {(f.pipeline, f.stage or "", f.to_stage or "", f.subject or ""): f.entangled.other
            for f in findings if f.kind in ("manager_conversion", "manager_practice")
            and f.entangled is not None and f.entangled.explained}


def _by_clients(findings: list[Finding]) -> set[tuple[str, str, str, str]]:
    """The manager flags that do not hold within the kinds of client (`within_regulars`)."""
    return {(f.pipeline, f.stage or "", f.to_stage or "", f.subject or "")
            for f in findings if f.kind in ("manager_conversion", "manager_practice")
            and f.regulars is not None and not f.regulars.holds}


def _by_open(findings: list[Finding]) -> set[tuple[str, str, str, str]]:
    """The manager flags the deals left open explain (`within_decided`)."""
    return {(f.pipeline, f.stage or "", f.to_stage or "", f.subject or "")
            for f in findings if f.kind in ("manager_conversion", "manager_practice")
            and f.left_open is not None and f.left_open.explained}


def _unused(periods: Periods | None, sources: SourceTables | None,
            losses: LossTables) -> list[str]:
    """A warning per comparison that could not use the named periods, when the other
    one compared something over them; PeriodsError when none did."""
    if periods is None:
        return []
    unused = {part: why for part, why in (
        ("sources", sources.periods_unused if sources is not None else None),
        ("losses", losses.periods_unused)) if why}
    compared = ((sources is not None and sources.decomposition.height > 0)
                or losses.shifts.height > 0)
    if unused and not compared:
        raise PeriodsError(refusal(periods, unused))
    return [unused_warning(periods, part, why) for part, why in unused.items()]
