"""`--to hubspot`: the CRM v3 requests that create the account's deal pipelines in HubSpot
(`hubspot.json`, JSON Schema `export/schemas/hubspot.schema.json`).

Contract: research note `crm-formats.md` §4. One `POST /crm/v3/pipelines/deals` per
pipeline, stages inline (no ids to carry between requests):

* pipeline: `label` (the name), `displayOrder` (file order, from 0), `stages`;
* each stage: `label` (the name; unique within the pipeline), `displayOrder` (file
  order), `metadata.probability` — the stage's exact win probability (`analysis.markov`,
  reopens included, copies excluded) rounded to HubSpot's steps of 0.1, as a string (the
  SDK types metadata as strings; answers carry strings too). HubSpot reads 0.0 as closed
  lost and 1.0 as closed won, so an open stage is kept inside 0.1..0.9: a stage almost
  nobody wins from is still open, and one that always ends won is not yet won;
* then one closed-won stage (probability "1.0") and **one** closed-lost stage ("0.0"):
  HubSpot has one closed-lost stage per pipeline; the `lost "reason"`s become values of
  the deal's "Closed lost reason" property (a manual step). Their labels are HubSpot's
  defaults ("Closed won" / "Closed lost") or, for a `ru`/`uk` account, the words Russian-
  speaking CRM users know ("Успешно реализовано" / "Закрыто и не реализовано").

Limits — HubSpot's v3 pages state none, the legacy v1 pages say a pipeline label holds at
most 36 characters and a pipeline at most 100 stages; the conservative reading is taken
(errors; nothing is written):

FN340–FN343, defined with their meanings in `funnelc.codes` (the error-code pages of
the docs are generated from there).

Not exported (manual steps): deal properties for the fields and per-stage required
properties ("conditional stage properties", no API found), SLAs, on-enter actions and
`respond` limits (workflows), lost reasons, stage hints (a HubSpot stage has no
description) and `patience` (managers close the deals whose client gave up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Label, Severity
from ..jsontypes import JSON, JSONObject
from .base import ExportResult
from .crm_common import (
    CLOSED_NAMES,
    blank_name,
    language,
    lost_reasons,
    stage_by_hand,
    win_probabilities,
)

__all__ = ["EXPORTER", "build_requests", "probability_text", "MAX_LABEL", "MAX_STAGES",
           "main_pipeline_step"]

FORMAT = "funnelc/hubspot-pipelines"
FILE_NAME = "hubspot.json"
MAX_LABEL = 36
MAX_STAGES = 100
CLOSED_STAGES = 2
DEFAULT_CLOSED = ("Closed won", "Closed lost")


def probability_text(p: float) -> str:
    """An open stage's probability in HubSpot's steps: nearest 0.1, kept in 0.1..0.9
    because 0.0 and 1.0 mean closed lost / closed won."""
    tenths = int(p * 10 + 0.5)  # half up, not banker's rounding
    return f"{min(9, max(1, tenths)) / 10:.1f}"


def _error(code: str, message: str, funnel: m.FunnelFile, span: m.Span, label: str, *,
           secondary: tuple[Label, ...] = (), help: str | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.error, message, funnel.path, span, label,
                      secondary=secondary, help=help)


def main_pipeline_step(main: str, default: str | None) -> str:
    """The manual step for the file's main pipeline: HubSpot's default deal pipeline (id
    `default`) cannot be replaced or deleted, so it stays beside the new ones.
    `default`: its label, when the account was read."""
    which = f"«{default}»" if default is not None else ""
    return (f"«{main}» is the main pipeline: HubSpot's default deal pipeline {which}".rstrip()
            + " stays as it is (rename or hide it in the pipeline settings)")


def build_requests(funnel: m.FunnelFile) -> tuple[JSONObject, list[Diagnostic]]:
    """The bundle and what HubSpot cannot hold (errors mean: do not use the bundle)."""
    diags: list[Diagnostic] = []
    probability = win_probabilities(funnel)
    won_label, lost_label = CLOSED_NAMES.get(language(funnel) or "en", DEFAULT_CLOSED)
    requests: list[JSON] = []
    manual: list[str] = []
    calendar = funnel.account is not None and funnel.account.hours is not None
    for pi, pipe in enumerate(funnel.pipelines):
        for name, what in [(pipe.name, "pipeline")] + [(s.name, "stage") for s in pipe.stages]:
            d = blank_name(codes.FN343, "HubSpot", name, what, funnel.path)
            if d is not None:
                diags.append(d)
        if len(pipe.name.value) > MAX_LABEL:
            diags.append(_error(
                codes.FN340, f"pipeline name is {len(pipe.name.value)} characters: a HubSpot pipeline "
                f"label holds at most {MAX_LABEL}", funnel, pipe.name.span,
                f"{len(pipe.name.value) - MAX_LABEL} characters too many",
                help="shorten the pipeline name"))
        total = len(pipe.stages) + CLOSED_STAGES
        if total > MAX_STAGES:
            over = pipe.stages[MAX_STAGES - CLOSED_STAGES]
            diags.append(_error(
                codes.FN342, f"pipeline `{pipe.name.value}` needs {total} HubSpot stages (its "
                f"{len(pipe.stages)} and closed won/lost): a pipeline holds at most {MAX_STAGES}",
                funnel, pipe.name.span, f"{total} stages",
                secondary=(Label(over.name.span, "the first stage over the limit"),),
                help="move deal states that are not decision steps into a property, or split "
                     "the pipeline"))
        seen: dict[str, m.Name] = {}
        closed_keys = {won_label.casefold(): "the closed won stage",
                       lost_label.casefold(): "the closed lost stage"}
        stages: list[JSON] = []
        for si, stage in enumerate(pipe.stages):
            key = stage.name.value.casefold()
            if key in seen or key in closed_keys:
                other = seen.get(key)
                diags.append(_error(
                    codes.FN341, f"stage label `{stage.name.value}` is used twice in pipeline "
                    f"`{pipe.name.value}`: HubSpot stage labels are unique within a pipeline",
                    funnel, stage.name.span, "same label" if other else
                    f"same label as {closed_keys.get(key)}",
                    secondary=(Label(other.span, "first used here"),) if other else (),
                    help="rename one of the stages"))
            seen.setdefault(key, stage.name)
            p = probability.get((pipe.name.value, stage.name.value), 0.0)
            stages.append({"label": stage.name.value, "displayOrder": si,
                           "metadata": {"probability": probability_text(p)}})
            where = f"«{pipe.name.value}» → «{stage.name.value}»"
            if stage.requires:
                manual.append(f"{where}: require " + ", ".join(f"«{f.value}»" for f in stage.requires)
                              + " as conditional stage properties (pipeline settings)")
            wanted = (["the on-enter actions"] if stage.on_enter else []) + (
                [f"the SLA ({stage.sla.after.text})"] if stage.sla is not None else [])
            if wanted:
                manual.append(f"{where}: a workflow for " + " and ".join(wanted))
            manual += [f"{where}: {step}" for step in stage_by_hand(
                stage, "HubSpot", "a workflow", calendar=calendar)]
        n = len(pipe.stages)
        stages.append({"label": won_label, "displayOrder": n, "metadata": {"probability": "1.0"}})
        stages.append({"label": lost_label, "displayOrder": n + 1, "metadata": {"probability": "0.0"}})
        reasons = [r for r, _ in lost_reasons(pipe)]
        if reasons:
            manual.append(f"«{pipe.name.value}»: add the options " + ", ".join(f"«{r}»" for r in reasons)
                          + " to the deal property \"Closed lost reason\" (HubSpot has one closed "
                          "lost stage per pipeline)")
        requests.append({"method": "POST", "path": "/crm/v3/pipelines/deals",
                         "body": {"label": pipe.name.value, "displayOrder": pi, "stages": stages}})
    if funnel.fields:
        manual.insert(0, "create the deal/contact/company properties "
                      + ", ".join(f"«{f.name.value}»" for f in funnel.fields)
                      + " (properties are not part of this bundle)")
    if any(p.main for p in funnel.pipelines):
        main = next(p for p in funnel.pipelines if p.main)
        manual.insert(0, main_pipeline_step(main.name.value, None))
    bundle: JSONObject = {
        "format": FORMAT,
        "version": 1,
        "account": funnel.account.name.value if funnel.account is not None else None,
        "requests": requests,
        "manual_steps": [*manual],
    }
    return bundle, sorted(diags, key=Diagnostic.sort_key)


@dataclass(frozen=True)
class HubSpotExporter:
    name: str = "hubspot"
    description: str = "HubSpot CRM v3 deal pipelines with stage probabilities"
    folder: bool = False

    def export(self, funnel: m.FunnelFile) -> ExportResult:
        bundle, diags = build_requests(funnel)
        text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
        return ExportResult(files={FILE_NAME: text}, diagnostics=diags)


EXPORTER = HubSpotExporter()
