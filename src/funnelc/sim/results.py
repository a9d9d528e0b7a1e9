"""The typed result of `funnelc simulate`: the contract that reports, what-ifs and sweeps
read. Every figure is an `Estimate` over replications (mean, 95 % Student-t half-width,
standard deviation, number of replications that had a value). Field names carry their
unit: durations are in hours (`_hours`), rates per hour (`_per_hour`), shares in percent
(`_pct`) or as fractions (`share`, `conversion`), money in the account's currency.

The shipped JSON Schema (`results_schema.json`) is generated from these models;
`FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_sim.py` regenerates it, and the test fails
when the two disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..jsontypes import JSONObject

__all__ = [
    "Estimate", "DurationStats", "OutcomeResult", "Timeouts", "Abandonments", "VerdictReason", "Graveyard",
    "StageResult", "TeamResult", "ShapeViolation", "FunnelShape", "PipelineResult",
    "AccountResult", "RunInfo", "SimWarning", "OpenDealsResult", "SourceMoney", "TeamMoney",
    "MoneyResult", "SimResult", "SCHEMA_PATH", "results_schema",
    "SCHEMA_VERSION", "schema_text",
]

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("results_schema.json")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Estimate(_Out):
    """A figure estimated from independent replications."""

    mean: float | None = Field(description="Mean over the replications that had a value; "
                                           "null when none had one.")
    ci95: float | None = Field(description="Half-width of the 95% confidence interval "
                                           "(Student t, n-1 degrees of freedom); null when "
                                           "n < 2. mean - ci95 may fall below a figure's "
                                           "natural limit (a count, a duration or money "
                                           "below 0; a share below 0 or above 1) when the "
                                           "replications are few or the figure is near its "
                                           "limit: the interval is then the part inside "
                                           "the limit, as the text outputs print it "
                                           "(`6 [0–31.4]`).")
    sd: float | None = Field(description="Standard deviation between replications (n-1).")
    n: int = Field(description="Replications that had a value (e.g. a stage nobody left "
                               "has no time in stage).")


class DurationStats(_Out):
    """Time in stage (entry to leaving), hours: mean and quantiles per replication,
    quantiles from a sketch with 1 % relative accuracy."""

    mean: Estimate
    p50: Estimate
    p90: Estimate
    p99: Estimate


class OutcomeResult(_Out):
    route: str = Field(description='How the way out reads: "-> Stage", "won", '
                                   '\'lost "reason"\', "stay", plus " + copy P.S".')
    kind: Literal["stage", "won", "lost", "stay"]
    via: Literal["outcome", "stay", "reply", "exhausted"]
    target_stage: str | None = None
    reason: str | None = None
    copy_to: str | None = Field(None, description='"Pipeline.Stage" of the handoff copy.')
    share: float = Field(description="Share the file gives this way out (fraction); for a "
                                     "cadence, the chance implied by its touches.")
    count: Estimate = Field(description="Deals that left by it during the observed window "
                                        "(for `stay`: deals that drew it).")
    simulated_share: Estimate = Field(description=(
        "Its share of the stage's ways out in the simulation (fraction): per replication, "
        "its deals over all the ways' deals, each deal weighted for the run's empty start as "
        "the time in stage is (a deal that stayed T hours counts (end − start) / (end − "
        "max(T, start)) of the observed window, at most 10): a way out slower than the "
        "warm-up is not under-counted. `count` is the unweighted number."))


class Timeouts(_Out):
    """Deals that left by the stage's `sla`, by what they were doing when it ran out."""

    action: str | None = Field(description="The SLA action as a route, null without sla.")
    sla_hours: float | None = Field(description="SLA limit, hours; working hours when the "
                                                "stage's limits_in_working_hours is true.")
    queued: Estimate = Field(description="Waiting for a member: left the queue at once.")
    in_work: Estimate = Field(description="Being worked by a member of the owner team: the "
                                          "work finished, then the action applied instead "
                                          "of the outcome.")
    in_delay: Estimate = Field(description="Waiting an outcome's `after` delay, `work` without "
                                           "an owner (nobody's time) or the next cadence "
                                           "touch: the action applied at once.")
    parked: Estimate = Field(description="In the `stay` share: only the SLA moves them.")


class Abandonments(_Out):
    """Deals whose patience ran out while they waited for a member of the owner team."""

    action: str = Field(description="The patience route, as a route reads.")
    patience: str = Field(description="The patience distribution as written, e.g. exp(2h).")
    count: Estimate = Field(description="Deals that left the queue by it during the observed "
                                        "window.")
    share: Estimate = Field(description="Those deals / deals that entered the stage "
                                        "(fraction), per replication.")


class VerdictReason(_Out):
    code: Literal["wip-growing", "older-than-sla", "stay-without-sla"]
    message: str
    growth_per_day: float | None = Field(
        default=None, description="For wip-growing: the daily growth of the pile beyond "
                                  "what the stage's arrivals explain (second half of the "
                                  "run), the figure the message and the backlog plot give.")
    growth_ci95: float | None = Field(
        default=None, description="For wip-growing: the half-width of the 95% CI of "
                                  "growth_per_day (the message gives its two ends).")


class Graveyard(_Out):
    """Is this stage a deal graveyard (deals pile up and nobody moves them)?"""

    is_graveyard: bool
    reasons: list[VerdictReason]


class StageResult(_Out):
    pipeline: str
    stage: str
    key: bool
    owner: str | None
    queues_for_team: bool = Field(description="Deals here wait for a member of the owner "
                                              "team (the stage has an owner and work, or a "
                                              "cadence).")
    entered: Estimate = Field(description="Deals that entered during the observed window.")
    arrival_rate_per_hour: Estimate
    outcomes: list[OutcomeResult]
    timeouts: Timeouts
    abandoned: Abandonments | None = Field(
        None, description="The stage's `patience`: deals that gave up waiting; null "
                          "without patience.")
    respond_hours: float | None
    limits_in_working_hours: bool = Field(
        description="The stage's `sla` (timeouts.sla_hours) and `respond` (respond_hours) "
                    "count the working hours of the account's `hours`, not clock hours: "
                    "with a 10-hour working day `sla 200h` runs out after 20 working days, "
                    "not 8.33 days. False when the account has no `hours` (or they are "
                    "open around the clock).")
    respond_breach_pct: Estimate | None = Field(
        description="Percent of deals first picked up later than entry + respond (or never "
                    "picked up before leaving, later than that, or still waiting at the end "
                    "past it), of the deals whose answer is decided in the observed window "
                    "(one still inside its limit at the end is not counted); null without "
                    "respond or without an owner to pick deals up.")
    time_in_stage_hours: DurationStats
    queue_wait_hours_mean: Estimate | None = Field(
        description="Mean wait for a free member per pick-up; null where nobody picks up.")
    wip_time_average: Estimate = Field(description="Time-average number of deals in the "
                                                   "stage (queued, worked, waiting, parked).")
    wip_final: Estimate = Field(description="Deals in the stage at the horizon.")
    wip_daily: list[float] = Field(description="Deals in the stage at the end of each "
                                               "observed day, mean over replications.")
    wip_daily_first_day: int = Field(description="Day number (1-based, counted from the "
                                                 "start date) of wip_daily[0].")
    wip_growth_per_day: Estimate = Field(description="Least-squares slope of wip_daily over "
                                                     "the second half of the window.")
    age_final_hours_mean: Estimate = Field(description="Mean age of the deals still in the "
                                                       "stage at the horizon, hours.")
    age_final_sla_hours_mean: Estimate = Field(
        description="The same age counted as the stage's SLA counts it: working hours when "
                    "limits_in_working_hours is true, else clock hours; the older-than-sla "
                    "verdict compares it with timeouts.sla_hours. Mean null without an sla.")
    graveyard: Graveyard


class TeamResult(_Out):
    team: str
    size: int
    stages: list[str] = Field(description='"Pipeline.Stage" of every stage it works.')
    open_hours_per_week: float
    offered_load_rho: float | None = Field(
        description="Offered work per available member-hour from the exact flow rates "
                    "(annual average); >= 1 means the queue cannot keep up; null when the "
                    "flows have no finite solution.")
    unstable: bool = Field(description="rho at or past the team's capacity (>= 1: the "
                                       "work finished after closing counts, analyze's "
                                       "teams[].capacity) and some stage it works has no "
                                       "sla: its queue grows with the horizon.")
    utilization: Estimate = Field(description="Busy member-hours / available member-hours "
                                              "(work finishing after closing counts, so it "
                                              "can exceed 1 slightly).")
    queue_mean: Estimate = Field(description="Time-average number of deals waiting.")
    queue_max: Estimate
    queue_final: Estimate


class ShapeViolation(_Out):
    stage: str
    previous_stage: str
    entered: float
    previous_entered: float


class FunnelShape(_Out):
    """Seed 002: in a funnel, counts fall stage by stage. A violation is a stage entered
    by significantly more deals (paired 95 % CI of the difference above 0) than the stage
    before it."""

    ok: bool
    violations: list[ShapeViolation]


class PipelineResult(_Out):
    pipeline: str
    style: str | None
    started: Estimate = Field(description="Deals that started in the pipeline (from "
                                          "sources and handoff copies).")
    won: Estimate
    lost: Estimate = Field(description=(
        "Deals lost for good, every reason together (reopened ones are not counted): per "
        "replication the sum of its losses over the reasons, then estimated across the "
        "replications, so ci95 is the total's own (the reasons' half-widths do not add up "
        "to it). Its mean equals the sum of lost_by_reason's means."))
    lost_by_reason: dict[str, Estimate] = Field(description="Deals lost for good (reopened "
                                                            "ones are not counted here).")
    reopened_by_reason: dict[str, Estimate]
    conversion: Estimate = Field(description=(
        "won / started in the observed window, fraction, at most 1: the window's wins "
        "include deals started before it, so a replication with more wins than starts "
        "counts 1."))
    revenue_won: Estimate = Field(description="Value of the wins that book revenue here. "
                                              "With `sales` pipelines declared: every win "
                                              "of a `sales` pipeline, `then copy` or not, "
                                              "and none elsewhere. Without: the final wins "
                                              "(a win handed on with `then copy` books at "
                                              "its copy's final win, not here).")
    passed_on_won: Estimate = Field(
        description="Wins booked in other pipelines (`passed_on_to`) of deals that left this "
                    "one by a `then copy` since their chain last booked (a nurture "
                    "pipeline's wins handed back to sales, production and regulars bringing "
                    "a repeat sale); counted once, in the winner's `revenue_won`, so adding "
                    "these to it double counts.")
    passed_on_revenue: Estimate = Field(description="Value of those wins: the revenue this "
                                                    "pipeline brings, booked elsewhere.")
    passed_on_to: list[str] = Field(description="The pipelines those wins were booked in.")
    cycle_time_won_hours: DurationStats = Field(description="From start in the pipeline "
                                                            "to won.")
    cycle_time_closed_hours_mean: Estimate = Field(description="Start to won or lost.")
    funnel_shape: FunnelShape


class AccountResult(_Out):
    currency: str | None
    revenue_won: Estimate
    deals_created: Estimate
    open_at_horizon: Estimate = Field(description="Deals in some stage or waiting to be "
                                                  "reopened at the horizon.")


class SourceMoney(_Out):
    """One source's money over the observed window: its cost against the revenue of the
    deals it brought (the wins that book revenue, `then copy` copies included)."""

    source: str
    leads: Estimate = Field(description="Leads it brought during the observed window.")
    won: Estimate = Field(description="Wins that book revenue, of the deals it brought: "
                                      "every win in a `sales` pipeline when the file "
                                      "declares one, else the final wins (a win handed on "
                                      "with `then copy` counts at its copy's win).")
    revenue: Estimate = Field(description="Value of those wins.")
    cost: Estimate = Field(description="leads x `cost` per lead + `budget` x observed "
                                       "hours; 0 when not `priced`.")
    priced: bool = Field(True, description="The file gives the source a `cost` or `budget` "
                                           "(even 0). When false what its leads cost is "
                                           "unknown: `cost` is 0 only because nothing is "
                                           "known, and the cost totals leave it out.")
    cost_per_won: Estimate | None = Field(
        description="cost / won, per replication; null when the source costs nothing.")
    return_on_cost: Estimate | None = Field(
        description="(revenue - cost) / cost, per replication (1.5 = every unit spent "
                    "brings 2.5 back); team costs are not in it; null when the source "
                    "costs nothing.")


class TeamMoney(_Out):
    team: str
    size: int
    member_cost_per_month: float = Field(description="`cost` of one member per month "
                                                     "(730 h).")
    cost: float = Field(description="size x member cost over the observed window (paid "
                                    "by the clock, open or closed).")


class MoneyResult(_Out):
    """Revenue, costs and profit over the observed window, in the account's currency.
    Every figure is per replication, then estimated across them."""

    currency: str | None
    language: str | None = Field(description="The account's language, in which money is "
                                             "written for reading (1.38 млрд ₽).")
    costs_priced: bool = Field(
        description="The file prices a cost: a team `cost` or a source `cost` or `budget`, "
                    "even 0. When false no cost is known: every cost figure below is 0 and "
                    "profit equals revenue, so only revenue and won deals mean something "
                    "(the tables show those alone).")
    revenue: Estimate = Field(description="Value of the wins that book revenue (`won` of "
                                          "the sources).")
    team_cost: Estimate = Field(description="What the teams' members cost.")
    lead_cost: Estimate = Field(description="What the sources cost: per lead and budgets.")
    cost: Estimate = Field(description="team_cost + lead_cost.")
    profit: Estimate = Field(description="revenue - cost.")
    won: Estimate = Field(description="Final wins (a deal counts once, at its last win).")
    cost_per_won: Estimate = Field(description="cost / won, per replication.")
    sources: list[SourceMoney]
    teams: list[TeamMoney] = Field(description="Teams with a member cost.")


class RunInfo(_Out):
    file: str
    scenario: str | None
    seed: int
    reps: int
    days: int
    warmup_days: int
    start_date: str = Field(description="Day 1 of the simulation clock (ISO date); the "
                                        "clock counts hours from its midnight.")
    observed_hours: float = Field(description="Length of the window statistics cover.")


class SimWarning(_Out):
    code: Literal["unstable-team", "no-sources", "never-open", "short-window"]
    subject: str
    message: str
    rho: float | None = Field(default=None, description="unstable-team: the offered load "
                                                         "(work offered / work the team can do).")
    stages: list[str] = Field(default_factory=list,
                              description="unstable-team: the team's stages with no SLA or "
                                          "patience (pipeline.stage), whose queue grows.")
    cycle_p90_hours: float | None = Field(
        default=None, description="short-window: the 90th percentile of the pipeline's "
                                  "start-to-won time, hours.")
    warmup_hours: float | None = Field(
        default=None, description="short-window: the warm-up, hours.")


class OpenDealsResult(_Out):
    """What became of the deals open at t=0 (warm start) that were in one stage then,
    counted from t=0 to the horizon whatever the warm-up."""

    pipeline: str
    stage: str = Field(description="The stage they were in at t=0 (stage of origin).")
    deals: int = Field(description="Deals open in this stage at t=0.")
    won: Estimate
    revenue_won: Estimate = Field(description="Value booked by their wins (as a pipeline's "
                                              "`revenue_won`: a handoff books at its copy).")
    lost: Estimate = Field(description="Lost for good.")
    open_at_horizon: Estimate


class SimResult(_Out):
    schema_version: int = SCHEMA_VERSION
    run: RunInfo
    account: AccountResult
    stages: list[StageResult]
    teams: list[TeamResult]
    pipelines: list[PipelineResult]
    warnings: list[SimWarning]
    open_deals: list[OpenDealsResult] = Field(
        default_factory=list, description="Warm start: the deals open at t=0 by stage of "
                                          "origin (stages that had some); empty when the "
                                          "run started empty.")
    money: MoneyResult | None = Field(
        None, description="Revenue, costs, profit, cost per won deal and return per "
                          "source; null when the file gives no value, cost or budget.")

    def stage(self, pipeline: str, stage: str) -> StageResult:
        return next(s for s in self.stages if s.pipeline == pipeline and s.stage == stage)

    def team(self, name: str) -> TeamResult:
        return next(t for t in self.teams if t.team == name)

    def pipeline(self, name: str) -> PipelineResult:
        return next(p for p in self.pipelines if p.pipeline == name)


def results_schema() -> JSONObject:
    """JSON Schema of `funnelc simulate --json` output."""
    schema = SimResult.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "funnelc simulate result"
    return schema


def schema_text() -> str:
    """The schema as shipped: sorted keys, two-space indent, trailing newline."""
    return json.dumps(results_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
