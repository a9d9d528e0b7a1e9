"""`funnelc apply FILE --to pipedrive`: the Pipedrive target of export/deploy.py.

Read (pipelines, stages, the fields of deals, persons and organizations with their
required/important configuration), plan (`pipedrive_plan`), then one step per change
in the order the ids demand: pipelines with their stages, stage changes and order,
fields (a field required at a stage names the stage's id), and last, with
--allow-delete only, the deletions.

A POST that meets a 5xx or a cut connection may still have created its item, so before
sending it again the step reads the list and takes the item if it is there; a step that
creates a pipeline with its stages resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import model as m
from ..diagnostics import Diagnostic
from ..jsontypes import JSON, JSONObject
from ..numfmt import counted
from . import deploy as d
from .crm_common import account_lost_reasons, stage_by_hand
from .deploy import answer_int, answer_str
from .pipedrive import main_pipeline_step
from .pipedrive_client import (
    DEFAULT_URL,
    FIELD_ENTITIES,
    FIELDS_QUERY,
    TOKEN_ENV,
    PdAccount,
    PdField,
    PipedriveClient,
    parse_account,
)
from .pipedrive_plan import (
    FieldWork,
    PdPlan,
    WantField,
    WantPipeline,
    WantStage,
    field_body,
    make_plan,
    wanted_state,
)

__all__ = ["SPEC", "open_target", "PipedriveTarget", "PdAction", "to_steps"]

SPEC = d.TargetSpec(
    name="pipedrive", title="Pipedrive", secret_env=TOKEN_ENV,
    secret_words="a Pipedrive API token (Settings → Personal preferences → API) of a user who "
                 "may change the company's pipelines and fields",
    base_url_help=f"optional: the API root, {DEFAULT_URL} by default")


@dataclass(frozen=True)
class CreatePipeline:
    want: WantPipeline


@dataclass(frozen=True)
class ProbabilityOn:
    pipeline_id: int


@dataclass(frozen=True)
class AddStage:
    pipeline: str
    stage: WantStage


@dataclass(frozen=True)
class UpdateStage:
    stage_id: int
    body: JSONObject


@dataclass(frozen=True)
class Reorder:
    pipeline: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class CreateField:
    want: WantField


@dataclass(frozen=True)
class UpdateField:
    work: FieldWork


@dataclass(frozen=True)
class Delete:
    path: str


PdAction = (CreatePipeline | ProbabilityOn | AddStage | UpdateStage | Reorder | CreateField
            | UpdateField | Delete)


def _text(line: str) -> str:
    return line[2:]


def to_steps(plan: PdPlan) -> d.Plan[PdAction]:
    """The plan as the frame's steps, in the order they can be carried out."""
    out: d.Plan[PdAction] = d.Plan(warnings=[*plan.warnings], errors=[*plan.errors],
                                   left_alone=[*plan.kept])
    steps = out.steps
    for want in plan.pipelines_to_create:
        steps.append(d.Step("create", f"create pipeline `{want.name}` with {len(want.stages)} "
                            "stages", CreatePipeline(want)))
    for pipe in plan.probability_on:
        steps.append(d.Step("update", f"pipeline `{pipe.name}`: turn deal probability on",
                            ProbabilityOn(pipe.id)))
    for add in plan.stage_adds:
        if add.pipeline_id is not None:
            steps.append(d.Step("create", f"add stage `{add.stage.name}` to pipeline "
                                f"`{add.pipeline}`", AddStage(add.pipeline, add.stage)))
    for u in plan.stage_updates:
        steps.append(d.Step("update", f"update stage `{u.remote.name}` of pipeline "
                            f"`{u.pipeline}`: " + ", ".join(u.what),
                            UpdateStage(u.remote.id, u.body)))
    for pipe, names in plan.reorders:
        steps.append(d.Step("update", f"put the stages of pipeline `{pipe.name}` in the "
                            "file's order", Reorder(pipe.name, tuple(names))))
    for f in plan.fields_to_create:
        steps.append(d.Step("create", f"create {f.entity} field `{f.name}` ({f.type})",
                            CreateField(f)))
    for w in plan.field_work:
        steps.append(d.Step("update", f"{w.remote.entity} field `{w.remote.name}`: "
                            + "; ".join(w.shown), UpdateField(w)))
    for pipe, stage in plan.delete_stages:
        out.deletions.append(d.Step("delete", f"delete stage `{stage.name}` of pipeline "
                                    f"`{pipe.name}`", Delete(f"/api/v2/stages/{stage.id}")))
    for pipe in plan.delete_pipelines:
        out.deletions.append(d.Step("delete", f"delete pipeline `{pipe.name}` (Pipedrive "
                                    "refuses if it holds deals)",
                                    Delete(f"/api/v2/pipelines/{pipe.id}")))
    for gone in plan.delete_fields:
        out.deletions.append(d.Step(
            "delete", f"delete {gone.entity} field `{gone.name}` (its values are lost)",
            Delete(f"/api/v2/{FIELD_ENTITIES[gone.entity]}/{gone.code}")))
    return out


class PipedriveTarget:
    """A session with one Pipedrive company (the `deploy.Target` protocol)."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client
        self.stats = client.stats
        self.where = client.base_url
        self.secrets = client.secrets
        self._answers: dict[str, JSON] = {}
        self.pipeline_ids: dict[str, int] = {}
        self.stage_ids: dict[tuple[str, str], int] = {}
        self.by_hand: list[str] = []

    # ------------------------------------------------------------------ reading

    def check(self, funnel: m.FunnelFile) -> list[Diagnostic]:
        from .pipedrive import build_requests

        return build_requests(funnel)[1]

    def read(self) -> PdAccount:
        raw: dict[str, list[JSONObject]] = {
            "pipelines": self.client.pages("/api/v2/pipelines"),
            "stages": self.client.pages("/api/v2/stages")}
        for endpoint in FIELD_ENTITIES.values():
            raw[endpoint] = self.client.pages(f"/api/v2/{endpoint}",
                                              {"include_fields": FIELDS_QUERY})
        for key, items in raw.items():
            self._answers[key] = {"success": True, "data": [*items]}
        account = parse_account(raw["pipelines"], raw["stages"],
                                {e: raw[p] for e, p in FIELD_ENTITIES.items()},
                                lambda endpoint: self.client.where("GET", f"/api/v2/{endpoint}"))
        self.pipeline_ids = {p.name: p.id for p in reversed(account.pipelines)}
        self.stage_ids = {pair: sid for sid, pair in reversed(list(account.stage_names().items()))}
        return account

    def describe(self, snapshot: PdAccount) -> str:
        stages = sum(len(p.stages) for p in snapshot.pipelines)
        custom = sum(1 for fs in snapshot.fields.values() for f in fs if f.custom)
        return f"{len(snapshot.pipelines)} pipelines, {stages} stages, {custom} custom fields"

    def plan(self, funnel: m.FunnelFile, snapshot: PdAccount, *,
             allow_delete: bool) -> d.Plan[PdAction]:
        out = to_steps(make_plan(wanted_state(funnel), snapshot, prune=allow_delete))
        main = next((p.name.value for p in funnel.pipelines if p.main), None)
        first = min(snapshot.pipelines, key=lambda p: (p.order_nr, p.id), default=None)
        if main is not None and first is not None and first.name != main:
            # New pipelines are added after the company's: the default stays its first.
            out.by_hand.append(main_pipeline_step(main, first.name))
        reasons = account_lost_reasons(funnel)
        if reasons:
            out.by_hand.append("lost reasons under Company settings → Lost reasons (no API): "
                               + ", ".join(f"`{r}`" for r in reasons))
        actions = sum(len(s.on_enter) for p in funnel.pipelines for s in p.stages)
        if actions:
            out.by_hand.append(f"{counted(actions, 'on-enter action')} as workflow automations (no API)")
        calendar = funnel.account is not None and funnel.account.hours is not None
        out.by_hand += [f"«{p.name.value}» → «{s.name.value}»: {step}"
                        for p in funnel.pipelines for s in p.stages
                        for step in stage_by_hand(s, "Pipedrive", "a workflow automation",
                                                  calendar=calendar)]
        return out

    def answers(self) -> dict[str, JSON]:
        return dict(self._answers)

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ steps

    def apply_step(self, step: d.Step[PdAction]) -> None:
        action = step.action
        c = self.client
        if isinstance(action, CreatePipeline):
            self._create_pipeline(action.want)
        elif isinstance(action, ProbabilityOn):
            c.data("PATCH", f"/api/v2/pipelines/{action.pipeline_id}",
                   json={"is_deal_probability_enabled": True})
        elif isinstance(action, AddStage):
            self._add_stage(action.pipeline, action.stage)
        elif isinstance(action, UpdateStage):
            c.data("PATCH", f"/api/v2/stages/{action.stage_id}", json=action.body)
        elif isinstance(action, Reorder):
            for number, name in enumerate(action.names, start=1):
                sid = self.stage_ids.get((action.pipeline, name))
                if sid is not None:
                    # v2 takes no order; v1's stage update takes `order_nr` (§3.2)
                    c.data("PUT", f"/api/v1/stages/{sid}", json={"order_nr": number})
        elif isinstance(action, CreateField):
            self._create_field(action.want)
        elif isinstance(action, UpdateField):
            self._update_field(action.work)
        else:
            try:
                c.request("DELETE", action.path, idempotent=True)
            except d.ApiError as exc:
                if exc.status != 404:  # 404: already gone (a DELETE retried after it worked)
                    raise

    def _create(self, path: str, body: JSONObject, find: Callable[[], JSON]) -> JSONObject:
        """POST once; after a 5xx or a cut connection, look for the item before sending
        the POST again (at most the client's attempt count)."""
        for attempt in range(1, self.client.max_attempts + 1):
            try:
                return self.client.data_object("POST", path, json=body)
            except d.ServerError as exc:
                found = find()
                if isinstance(found, dict):
                    return found
                if attempt == self.client.max_attempts:
                    raise d.NetworkError(f"{exc}; gave up after {attempt} attempts") from None
                self.client.stats.retries += 1
                self.client.sleep(self.client.backoff(attempt))
        raise AssertionError("unreachable")

    def _find(self, path: str, params: dict[str, str | int], key: str, value: str) -> JSON:
        for raw in self.client.pages(path, params):
            if raw.get(key) == value and raw.get("is_deleted") is not True:
                return raw
        return None

    def _create_pipeline(self, want: WantPipeline) -> None:
        pid = self.pipeline_ids.get(want.name)
        if pid is None:  # a step that stopped after the pipeline was made resumes here
            raw = self._create("/api/v2/pipelines",
                               {"name": want.name, "is_deal_probability_enabled": True},
                               lambda: self._find("/api/v2/pipelines", {}, "name", want.name))
            pid = answer_int(raw, "id", self.client.where("POST", "/api/v2/pipelines"), "data")
            self.pipeline_ids[want.name] = pid
        for stage in want.stages:
            if (want.name, stage.name) not in self.stage_ids:
                self._add_stage(want.name, stage)

    def _add_stage(self, pipeline: str, stage: WantStage) -> None:
        pid = self.pipeline_ids.get(pipeline)
        if pid is None:
            raise d.ApiError(f"pipeline `{pipeline}` was not found after creating it")
        body: JSONObject = {"name": stage.name, "pipeline_id": pid,
                            "deal_probability": stage.probability,
                            "is_deal_rot_enabled": stage.days_to_rotten is not None}
        if stage.days_to_rotten is not None:
            body["days_to_rotten"] = stage.days_to_rotten
        raw = self._create("/api/v2/stages", body,
                           lambda: self._find("/api/v2/stages", {"pipeline_id": pid}, "name",
                                              stage.name))
        self.stage_ids[(pipeline, stage.name)] = answer_int(
            raw, "id", self.client.where("POST", "/api/v2/stages"), "data")

    def _ids(self, pairs: list[tuple[str, str]]) -> list[int]:
        out: list[int] = []
        for pair in pairs:
            if pair not in self.stage_ids:
                raise d.ApiError(f"stage `{pair[1]}` of pipeline `{pair[0]}` was not found "
                                 "after creating it")
            out.append(self.stage_ids[pair])
        return out

    def _create_field(self, want: WantField) -> None:
        path = f"/api/v2/{FIELD_ENTITIES[want.entity]}"
        pairs = want.required + want.important
        body = field_body(want, dict(zip(pairs, self._ids(pairs), strict=True)))
        raw = self._create(path, body, lambda: self._find(path, {}, "field_name", want.name))
        answer_str(raw, "field_code", self.client.where("POST", path), "data")

    def _update_field(self, work: FieldWork) -> None:
        remote: PdField = work.remote
        path = f"/api/v2/{FIELD_ENTITIES[remote.entity]}/{remote.code}"
        if work.add_options:
            have = {label for _, label in self._options(path)}
            new = [{"label": o} for o in work.add_options if o not in have]
            if new:
                self.client.request("POST", f"{path}/options", json=new)
        patch: JSONObject = {}
        if work.required is not None:
            ids = list(dict.fromkeys(work.keep_required + self._ids(work.required)))
            required: JSONObject = {"enabled": bool(ids) or bool(remote.required.get("statuses")),
                                    "stage_ids": [*ids]}
            if "statuses" in remote.required:  # won/lost requirements a person set: kept
                required["statuses"] = remote.required["statuses"]
            patch["required_fields"] = required
        if work.important is not None:
            ids = list(dict.fromkeys(work.keep_important + self._ids(work.important)))
            patch["important_fields"] = {"enabled": bool(ids), "stage_ids": [*ids]}
        if patch:
            self.client.data("PATCH", path, json=patch)

    def _options(self, path: str) -> list[tuple[int, str]]:
        """The field's options now (an options POST retried after a 5xx must not add
        them twice)."""
        raw = self.client.data_object("GET", path)
        what = self.client.where("GET", path)
        opts = raw.get("options")
        return [(answer_int(o, "id", what, "data.options"), answer_str(o, "label", what,
                                                                      "data.options"))
                for o in (opts if isinstance(opts, list) else []) if isinstance(o, dict)]


def open_target(connection: d.Connection) -> PipedriveTarget:
    """The session (ValueError for a base URL that is not allowed)."""
    url = d.check_url(connection.base_url or DEFAULT_URL)
    return PipedriveTarget(PipedriveClient(url, connection.secret, sleep=connection.sleep,
                                           transport=connection.transport))
