"""`summary.json`: the report's figures for programs, and its JSON Schema.

It holds the whole simulation result (the `funnelc simulate --json` contract,
`sim/results_schema.json`), the whole exact analysis (`funnelc analyze --json`), the
counts the exact maths expects over the simulated window, and the graveyard headline.
Keys name their units (durations `_hours`, rates `_per_hour` / `_per_day` /
`_per_month`, percentages `_pct`; other shares are fractions) and `units` says so.

The shipped schema (`summary_schema.json`) is generated from the models: the
simulation's pydantic models and the analysis dataclasses, adjusted for what
`AccountExact.to_dict()` does (unbounded numbers become null, per-day rates are added,
every field is always present). `FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_report.py`
regenerates it; the test fails when the two disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ..jsontypes import JSON, JSONObject
from ..sim.results import SimResult

if TYPE_CHECKING:
    from .data import ReportData
    from .headline import Headline

__all__ = ["SUMMARY_SCHEMA_VERSION", "SUMMARY_SCHEMA_PATH", "summary_schema",
           "summary_schema_text", "summary_json", "Summary"]

SUMMARY_SCHEMA_VERSION = 1
SUMMARY_SCHEMA_PATH = Path(__file__).with_name("summary_schema.json")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Units(_Out):
    durations: Literal["hours"] = Field(description="Every duration (keys ending in `_hours`).")
    rates: str = Field(description="Per hour unless the key says `_per_day` or `_per_month` "
                                   "(a month is 730 hours).")
    shares: str = Field(description="Fractions (0.35), except keys ending in `_pct`, which "
                                    "are percentages (35).")
    counts: str
    money: str | None = Field(description="The account's currency; null when it has none.")


class GraveyardHeadline(_Out):
    pipeline: str
    stage: str
    owner: str | None
    codes: list[str] = Field(description="The verdict codes (see the simulation's "
                                         "graveyard.reasons).")
    story: list[str] = Field(description="What happens there, in plain words.")
    advice: list[str] = Field(description="What to try.")


class HeadlineOut(_Out):
    text: str = Field(description="One line: the graveyards, biggest pile first.")
    graveyards: list[GraveyardHeadline]


class ExpectedStage(_Out):
    pipeline: str
    stage: str
    entered_deals: float | None = Field(description="Deals the exact maths expects to enter "
                                                    "during the observed window.")


class ExpectedPipeline(_Out):
    pipeline: str
    won_deals: float | None = Field(description="Wins the exact maths expects during the "
                                                "observed window.")


class ExactInWindow(_Out):
    """The exact steady-state flows summed over the observed window, month by month (so a
    source profile counts), to set beside the simulated counts."""

    stages: list[ExpectedStage]
    pipelines: list[ExpectedPipeline]


class Summary(_Out):
    schema_version: int = SUMMARY_SCHEMA_VERSION
    generated_by: str
    units: Units
    files: list[str] = Field(description="Files the report wrote, relative to its folder.")
    headline: HeadlineOut
    exact_in_window: ExactInWindow
    simulation: SimResult
    # pydantic's JsonValue: the same recursive JSON type as jsontypes.JSONObject (mypy
    # takes one for the other), spelt so pydantic can build a validator and a schema.
    analysis: dict[str, JsonValue] = Field(description="The exact analysis (`funnelc "
                                                       "analyze --json`).")


def _object(node: JSON) -> JSONObject:
    """A schema node pydantic builds as an object (a definition, `properties`)."""
    if not isinstance(node, dict):
        raise TypeError(f"expected a JSON Schema object, found {type(node).__name__}")
    return node


def _at(node: JSONObject, *keys: str) -> JSONObject:
    """The object at `node[k1][k2]…`."""
    for key in keys:
        node = _object(node[key])
    return node


def _nullable_numbers(node: JSON) -> JSON:
    """`to_dict` turns unbounded floats into null: every number may be null."""
    if isinstance(node, dict):
        out = {k: _nullable_numbers(v) for k, v in node.items()}
        if out.get("type") == "number":
            out["type"] = ["number", "null"]
        return out
    if isinstance(node, list):
        return [_nullable_numbers(v) for v in node]
    return node


def _analysis_schema() -> JSONObject:
    from pydantic import TypeAdapter

    from ..analysis.exact import AccountExact

    built: JSON = TypeAdapter(AccountExact).json_schema(mode="serialization")
    schema = _object(_nullable_numbers(built))
    defs = _object(schema.pop("$defs", {}))
    defs["AccountExact"] = schema
    per_day: JSONObject = {"type": ["number", "null"]}
    _at(defs, "PipelineExact", "properties")["inflow_per_day"] = {
        **per_day, "description": "inflow_per_hour × 24"}
    _at(defs, "StageExact", "properties")["arrivals_per_day"] = {
        **per_day, "description": "arrivals_per_hour × 24"}
    names: JSONObject = {"type": "array", "items": {"type": "string"}}
    _at(defs, "PipelineExact", "properties")["unstable_teams"] = {
        **names, "description": "The teams owning a stage of this pipeline that cannot keep "
                                "up (load ≥ its capacity, ≥ 1): its conversion and wins are not reachable as "
                                "staffed."}
    _at(defs, "TeamExact", "properties")["busy_members"] = {
        **per_day, "description": "Members busy on average over the week: busy_mean (the "
                                  "work asked) while the team is stable, all of its working "
                                  "time (size × working hours / 168) when it is not."}
    _at(schema, "properties")["unstable_teams"] = {
        **names, "description": "Teams that cannot keep up (load ≥ capacity) and own a stage: the "
                                "wins and revenue through their stages are not reachable as "
                                "staffed."}
    _at(schema, "properties")["month"] = {
        "type": "string", "description": 'The month analysed, or "annual mean".'}
    for node in defs.values():
        d = _object(node)
        if "properties" in d:
            d["additionalProperties"] = False
            d["required"] = [*sorted(_object(d["properties"]))]
    return defs


def summary_schema() -> JSONObject:
    """JSON Schema (draft 2020-12) of summary.json."""
    schema: JSONObject = Summary.model_json_schema(mode="serialization")
    analysis = _analysis_schema()
    defs = _at(schema, "$defs")
    defs.pop("JsonValue", None)  # `analysis`'s own: its place is taken by AccountExact below
    clash = set(analysis) & set(defs)
    assert not clash, f"schema definitions clash: {clash}"
    defs.update(analysis)
    _at(schema, "properties")["analysis"] = {"$ref": "#/$defs/AccountExact",
                                        "description": "The exact analysis (`funnelc analyze "
                                                       "--json`)."}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "funnelc report summary.json"
    return schema


def summary_schema_text() -> str:
    """The schema as shipped: sorted keys, two-space indent, trailing newline."""
    return json.dumps(summary_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def summary_json(data: ReportData, heads: list[Headline], one_line: str, files: list[str],
                 version: str) -> str:
    result = data.result
    summary = Summary(
        generated_by=f"funnelc {version}",
        units=Units(durations="hours",
                    rates="per hour unless the key says _per_day or _per_month (730 h)",
                    shares="fractions, except keys ending in _pct (percent)",
                    counts="deals, over the observed window unless the key says otherwise",
                    money=result.account.currency),
        files=files,
        headline=HeadlineOut(text=one_line, graveyards=[
            GraveyardHeadline(pipeline=h.pipeline, stage=h.stage, owner=h.owner,
                              codes=h.codes, story=h.story, advice=h.advice) for h in heads]),
        exact_in_window=ExactInWindow(
            stages=[ExpectedStage(pipeline=s.pipeline, stage=s.stage,
                                  entered_deals=data.stage_value(s.pipeline, s.stage,
                                                                 "entered_deals", "exact"))
                    for s in result.stages],
            pipelines=[ExpectedPipeline(pipeline=p.pipeline,
                                        won_deals=data.pipeline_value(p.pipeline, "won_deals",
                                                                      "exact"))
                       for p in result.pipelines]),
        simulation=result,
        analysis=data.exact.to_dict())
    return json.dumps(summary.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
