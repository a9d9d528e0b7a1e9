"""`funnelc apply FILE --to hubspot`: the HubSpot target of export/deploy.py.

Read (deal pipelines with their stages, the properties of deals, contacts and
companies), plan (`hubspot_plan`), then one step per change: a new pipeline with all its
stages in one request, stages added or changed in existing pipelines, new properties in
one batch request per object, options added to enumerations (the reasons of
`closed_lost_reason` among them), and last, with --allow-delete only, the deletions.

A POST that meets a 5xx or a cut connection may still have created what it asked for,
so before sending it again the step reads the portal and sends only what is missing."""

from __future__ import annotations

from collections.abc import Callable

from .. import model as m
from ..diagnostics import Diagnostic
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from . import deploy as d
from .crm_common import stage_by_hand
from .deploy import answer_list, answer_str
from .hubspot import main_pipeline_step
from .hubspot_client import (
    DEFAULT_URL,
    OBJECTS,
    TOKEN_ENV,
    HsAccount,
    HubSpotClient,
    parse_account,
)
from .hubspot_plan import (
    AddStage,
    CreatePipeline,
    CreateProperties,
    HsAction,
    UpdatePipeline,
    UpdateProperty,
    UpdateStage,
    make_plan,
    pipeline_body,
    property_patch,
    stage_body,
    wanted_state,
)

__all__ = ["SPEC", "open_target", "HubSpotTarget"]

SPEC = d.TargetSpec(
    name="hubspot", title="HubSpot", secret_env=TOKEN_ENV,
    secret_words="a HubSpot private app access token (Settings → Integrations → Private "
                 "apps) with the CRM schema and object scopes",
    base_url_help=f"optional: the API root, {DEFAULT_URL} by default")
PIPELINES = "/crm/v3/pipelines/deals"


class HubSpotTarget:
    """A session with one HubSpot portal (the `deploy.Target` protocol)."""

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self.stats = client.stats
        self.where = client.base_url
        self.secrets = client.secrets
        self._answers: dict[str, JSON] = {}
        self.pipeline_ids: dict[str, str] = {}
        self.options: dict[tuple[str, str], list[JSONObject]] = {}

    def check(self, funnel: m.FunnelFile) -> list[Diagnostic]:
        from .hubspot import build_requests

        return build_requests(funnel)[1]

    def read(self) -> HsAccount:
        pipelines = self.client.results(PIPELINES)
        props = {obj: self.client.results(f"/crm/v3/properties/{obj}") for obj in OBJECTS}
        self._answers["pipelines/deals"] = {"results": [*pipelines]}
        for obj, items in props.items():
            self._answers[f"properties/{obj}"] = {"results": [*items]}
        account = parse_account(pipelines, props,
                                lambda path: self.client.where("GET", f"/crm/v3/{path}"))
        self.pipeline_ids = {p.label: p.id for p in reversed(account.pipelines)}
        self.options = {(p.object, p.name): p.options
                        for obj in OBJECTS for p in account.properties[obj]}
        return account

    def describe(self, snapshot: HsAccount) -> str:
        stages = sum(len(p.stages) for p in snapshot.pipelines)
        custom = sum(1 for ps in snapshot.properties.values() for p in ps if not p.defined)
        return (f"{len(snapshot.pipelines)} deal pipelines, {stages} stages, {custom} custom "
                "properties")

    def plan(self, funnel: m.FunnelFile, snapshot: HsAccount, *,
             allow_delete: bool) -> d.Plan[HsAction]:
        out = make_plan(wanted_state(funnel), snapshot, allow_delete=allow_delete)
        main = next((p.name.value for p in funnel.pipelines if p.main), None)
        default = next((p for p in snapshot.pipelines if p.id == "default"), None)
        if main is not None and default is not None and default.label != main:
            out.by_hand.append(main_pipeline_step(main, default.label))
        requires = sum(len(s.requires) for p in funnel.pipelines for s in p.stages)
        if requires:
            out.by_hand.append(f"{counted(requires, 'required field')} per stage as conditional stage "
                               "properties (pipeline settings; no API)")
        workflows = sum(1 for p in funnel.pipelines for s in p.stages
                        if s.on_enter or s.sla is not None)
        if workflows:
            out.by_hand.append(f"{counted(workflows, 'stage')} with SLAs or on-enter actions as "
                               "workflows (no API)")
        calendar = funnel.account is not None and funnel.account.hours is not None
        out.by_hand += [f"«{p.name.value}» → «{s.name.value}»: {step}"
                        for p in funnel.pipelines for s in p.stages
                        for step in stage_by_hand(s, "HubSpot", "a workflow", calendar=calendar)]
        return out

    def answers(self) -> dict[str, JSON]:
        return dict(self._answers)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ steps

    def apply_step(self, step: d.Step[HsAction]) -> None:
        a = step.action
        c = self.client
        if isinstance(a, CreatePipeline):
            raw = self._create(PIPELINES, pipeline_body(a.want),
                               lambda: self._find_pipeline(a.want.label))
            self.pipeline_ids[a.want.label] = answer_str(raw, "id", c.where("POST", PIPELINES),
                                                         "")
        elif isinstance(a, UpdatePipeline):
            c.obj("PATCH", f"{PIPELINES}/{a.pipeline_id}", json={"displayOrder": a.display_order})
        elif isinstance(a, AddStage):
            pid = self.pipeline_ids[a.pipeline]
            path = f"{PIPELINES}/{pid}/stages"
            self._create(path, stage_body(a.stage), lambda: self._find_stage(pid, a.stage.label))
        elif isinstance(a, UpdateStage):
            c.obj("PATCH", f"{PIPELINES}/{a.pipeline_id}/stages/{a.stage_id}",
                  json={"displayOrder": a.display_order,
                        "metadata": {"probability": a.probability}})
        elif isinstance(a, CreateProperties):
            self._create_properties(a)
        elif isinstance(a, UpdateProperty):
            path = f"/crm/v3/properties/{a.object}/{a.name}"
            raw = c.obj("PATCH", path, json=property_patch(self.options.get((a.object, a.name),
                                                                            []), a))
            self.options[(a.object, a.name)] = answer_list(raw.get("options"),
                                                           c.where("PATCH", path), "options")
        else:
            try:
                c.request("DELETE", a.path, idempotent=True)
            except d.ApiError as exc:
                if exc.status != 404:  # already gone (a DELETE retried after it worked)
                    raise

    def _create(self, path: str, body: JSON, find: Callable[[], JSONObject | None]
                ) -> JSONObject:
        for attempt in range(1, self.client.max_attempts + 1):
            try:
                return self.client.obj("POST", path, json=body)
            except d.ServerError as exc:
                found = find()
                if found is not None:
                    return found
                if attempt == self.client.max_attempts:
                    raise d.NetworkError(f"{exc}; gave up after {attempt} attempts") from None
                self.client.stats.retries += 1
                self.client.sleep(self.client.backoff(attempt))
        raise AssertionError("unreachable")

    def _find_pipeline(self, label: str) -> JSONObject | None:
        return next((p for p in self.client.results(PIPELINES) if p.get("label") == label), None)

    def _find_stage(self, pipeline_id: str, label: str) -> JSONObject | None:
        return next((s for s in self.client.results(f"{PIPELINES}/{pipeline_id}/stages")
                     if s.get("label") == label), None)

    def _create_properties(self, a: CreateProperties) -> None:
        path = f"/crm/v3/properties/{a.object}/batch/create"
        pending = list(a.properties)
        for attempt in range(1, self.client.max_attempts + 1):
            try:
                raw = self.client.obj("POST", path, json={"inputs": [p.body() for p in pending]})
                what = self.client.where("POST", path)
                for k, item in enumerate(answer_list(raw.get("results"), what, "results")):
                    answer_str(item, "name", what, f"results[{k}]")
                return
            except d.ServerError as exc:
                have = {str(p.get("name")) for p in
                        self.client.results(f"/crm/v3/properties/{a.object}")}
                pending = [p for p in pending if p.name not in have]
                if not pending:
                    return
                if attempt == self.client.max_attempts:
                    raise d.NetworkError(f"{exc}; gave up after {attempt} attempts") from None
                self.client.stats.retries += 1
                self.client.sleep(self.client.backoff(attempt))


def open_target(connection: d.Connection) -> HubSpotTarget:
    """The session (ValueError for a base URL that is not allowed)."""
    url = d.check_url(connection.base_url or DEFAULT_URL)
    return HubSpotTarget(HubSpotClient(url, connection.secret, sleep=connection.sleep,
                                       transport=connection.transport))

