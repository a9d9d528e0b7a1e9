"""`funnelc apply --to pipedrive`: read the account, plan, and only when asked carry
the plan out, in the order the ids demand: pipelines, then their stages (a stage names
its pipeline's id), stage changes and order, then fields (a field required at a stage
names the stage's id), then, with `prune` only, the deletions.

Every step is idempotent by construction (the plan is a difference). A POST that meets
a 5xx or a cut connection may still have created its item, so before resending it the
executor reads the list again and takes the item if it is there. On the first failure
the apply stops (`ApplyStopped`) saying which of the plan's lines were done."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

from .. import model as m
from ..jsontypes import JSON, JSONObject
from .pipedrive_client import FIELD_ENTITIES, PdAccount, PipedriveClient, read_account
from .pipedrive_plan import PdPlan, Wanted, WantField, field_body, make_plan, q, wanted_state
from .rest_client import (
    ApplyStopped,
    CrmApiError,
    CrmAuthError,
    CrmError,
    CrmNetworkError,
    CrmServerError,
    answer_int,
    answer_str,
    progress,
)

__all__ = ["plan_for", "execute", "Applied"]


@dataclass
class Applied:
    refused: list[str]
    seconds: float


def plan_for(client: PipedriveClient, funnel: m.FunnelFile, *,
             prune: bool) -> tuple[PdPlan, PdAccount, Wanted]:
    wanted = wanted_state(funnel)
    account = read_account(client)
    return make_plan(wanted, account, prune=prune), account, wanted


class _Executor:
    def __init__(self, client: PipedriveClient, plan: PdPlan, account: PdAccount,
                 echo: Callable[[str], None]) -> None:
        self.client = client
        self.plan = plan
        self.echo = echo
        self.done: list[str] = []
        self.refused: list[str] = []
        self.pipeline_ids = {p.name: p.id for p in account.pipelines}
        self.stage_ids = {pair: sid for sid, pair in account.stage_names().items()}

    def _create(self, path: str, body: JSONObject, find: Callable[[], int | None],
                key: str = "id") -> JSON:
        """POST once; after a 5xx or a cut connection, the item is looked for before the
        POST is sent again (at most the client's attempt count)."""
        for attempt in range(1, self.client.max_attempts + 1):
            try:
                data = self.client.data_object("POST", path, json=body)
                return data.get(key)
            except CrmServerError as exc:
                found = find()
                if found is not None:
                    return found
                if attempt == self.client.max_attempts:
                    raise CrmNetworkError(f"{exc}; gave up after {attempt} attempts") from None
                self.client.stats.retries += 1
                self.client.sleep(self.client.backoff(attempt))
        raise AssertionError("unreachable")

    def _find_pipeline(self, name: str) -> int | None:
        for raw in self.client.pages("/api/v2/pipelines"):
            if raw.get("name") == name and raw.get("is_deleted") is not True:
                return answer_int(raw, "id", self.client.where("GET", "/api/v2/pipelines"), "data")
        return None

    def _find_stage(self, pipeline_id: int, name: str) -> int | None:
        for raw in self.client.pages("/api/v2/stages", {"pipeline_id": pipeline_id}):
            if raw.get("name") == name and raw.get("is_deleted") is not True:
                return answer_int(raw, "id", self.client.where("GET", "/api/v2/stages"), "data")
        return None

    def _find_field(self, entity: str, name: str) -> int | None:
        """1 when a field of that name exists (fields are named by code, not number)."""
        endpoint = FIELD_ENTITIES[entity]
        return 1 if any(raw.get("field_name") == name
                        for raw in self.client.pages(f"/api/v2/{endpoint}")) else None

    def _mark(self, line: str) -> None:
        self.done.append(line)

    # ------------------------------------------------------------------ steps

    def pipelines_and_stages(self) -> None:
        plan = self.plan
        created_stages: dict[str, int] = {}
        for want in plan.pipelines_to_create:
            raw = self._create("/api/v2/pipelines",
                               {"name": want.name, "is_deal_probability_enabled": True},
                               functools.partial(self._find_pipeline, want.name))
            pid = self._id(raw, "POST", "/api/v2/pipelines")
            self.pipeline_ids[want.name] = pid
            for stage in want.stages:
                self._add_stage(want.name, pid, stage.name, stage.probability,
                                stage.days_to_rotten)
                created_stages[want.name] = created_stages.get(want.name, 0) + 1
            self._mark(f"+ create pipeline {q(want.name)} with {len(want.stages)} stages")
        for pipe in plan.probability_on:
            self.client.data("PATCH", f"/api/v2/pipelines/{pipe.id}",
                             json={"is_deal_probability_enabled": True})
            self._mark(f"~ pipeline {q(pipe.name)}: turn deal probability on")
        for add in plan.stage_adds:
            if add.pipeline_id is None:
                continue
            self._add_stage(add.pipeline, add.pipeline_id, add.stage.name,
                            add.stage.probability, add.stage.days_to_rotten)
            self._mark(f"+ add stage {q(add.stage.name)} to pipeline {q(add.pipeline)}")
        for u in plan.stage_updates:
            self.client.data("PATCH", f"/api/v2/stages/{u.remote.id}", json=u.body)
            self._mark(f"~ update stage {q(u.remote.name)} of pipeline {q(u.pipeline)}: "
                       + ", ".join(u.what))
        for pipe, names in plan.reorders:
            for number, name in enumerate(names, start=1):
                sid = self.stage_ids.get((pipe.name, name))
                if sid is not None:
                    # v2 has no order; v1's update takes `order_nr` (crm-formats.md §3.2)
                    self.client.data("PUT", f"/api/v1/stages/{sid}", json={"order_nr": number})
            self._mark(f"~ put the stages of pipeline {q(pipe.name)} in the file's order")
        if plan.pipelines_to_create or plan.stage_adds:
            self.echo(f"created {len(plan.pipelines_to_create)} pipeline(s) and "
                      f"{len(plan.stage_adds)} stage(s)")

    def _add_stage(self, pipeline: str, pid: int, name: str, probability: int,
                   days: int | None) -> None:
        body: JSONObject = {"name": name, "pipeline_id": pid, "deal_probability": probability,
                            "is_deal_rot_enabled": days is not None}
        if days is not None:
            body["days_to_rotten"] = days
        raw = self._create("/api/v2/stages", body, lambda: self._find_stage(pid, name))
        self.stage_ids[(pipeline, name)] = self._id(raw, "POST", "/api/v2/stages")

    def _id(self, raw: JSON, method: str, path: str) -> int:
        return answer_int({"id": raw}, "id", self.client.where(method, path), "data")

    def _ids(self, pairs: list[tuple[str, str]]) -> list[int]:
        out: list[int] = []
        for pair in pairs:
            if pair not in self.stage_ids:
                raise CrmApiError(f"stage {q(pair[1])} of pipeline {q(pair[0])} was not found "
                                  "after creating it", 0)
            out.append(self.stage_ids[pair])
        return out

    def fields(self) -> None:
        plan = self.plan
        for want in plan.fields_to_create:
            self._create_field(want)
        if plan.fields_to_create:
            self.echo(f"created {len(plan.fields_to_create)} field(s)")
        for work in plan.field_work:
            remote = work.remote
            path = f"/api/v2/{FIELD_ENTITIES[remote.entity]}/{remote.code}"
            if work.add_options:
                self.client.request("POST", f"{path}/options",
                                    json=[{"label": o} for o in work.add_options])
            patch: JSONObject = {}
            if work.required is not None:
                ids = work.keep_required + self._ids(work.required)
                required: JSONObject = {"enabled": bool(ids) or bool(remote.required.get("statuses")),
                                        "stage_ids": list(dict.fromkeys(ids))}
                if "statuses" in remote.required:  # won/lost requirements: always kept
                    required["statuses"] = remote.required["statuses"]
                patch["required_fields"] = required
            if work.important is not None:
                ids = work.keep_important + self._ids(work.important)
                patch["important_fields"] = {"enabled": bool(ids),
                                             "stage_ids": list(dict.fromkeys(ids))}
            if patch:
                self.client.data("PATCH", path, json=patch)
            self.done += [f"~ {remote.entity} field {q(remote.name)}: {s}" for s in work.shown]
        if plan.field_work:
            self.echo(f"updated {len(plan.field_work)} field(s)")

    def _create_field(self, want: WantField) -> None:
        endpoint = FIELD_ENTITIES[want.entity]
        raw = self._create(f"/api/v2/{endpoint}", field_body(want, self._id_map(want)),
                           lambda: self._find_field(want.entity, want.name), key="field_code")
        if raw != 1:  # a code came back (1: found after a 5xx)
            answer_str({"field_code": raw}, "field_code",
                       self.client.where("POST", f"/api/v2/{endpoint}"), "data")
        self._mark(f"+ create {want.entity} field {q(want.name)} ({want.type})")

    def _id_map(self, want: WantField) -> dict[tuple[str, str], int]:
        pairs = want.required + want.important
        return dict(zip(pairs, self._ids(pairs), strict=True))

    def deletions(self) -> None:
        plan = self.plan
        targets = [(f"/api/v2/stages/{s.id}",
                    f"- delete stage {q(s.name)} of pipeline {q(p.name)}")
                   for p, s in plan.delete_stages]
        targets += [(f"/api/v2/pipelines/{p.id}",
                     f"- delete pipeline {q(p.name)} (Pipedrive refuses if it holds deals)")
                    for p in plan.delete_pipelines]
        targets += [(f"/api/v2/{FIELD_ENTITIES[f.entity]}/{f.code}",
                     f"- delete {f.entity} field {q(f.name)} (its values are lost)")
                    for f in plan.delete_fields]
        for path, line in targets:
            try:
                self.client.request("DELETE", path)
            except CrmAuthError:
                raise
            except CrmApiError as exc:
                if exc.status != 404:  # 404: already gone (a retried DELETE that worked)
                    self.refused.append(f"{line[2:]} was refused: {exc}")
                    continue
            self._mark(line)
        if targets:
            self.echo(f"deleted {len(targets) - len(self.refused)} of {len(targets)} item(s)")


def execute(client: PipedriveClient, plan: PdPlan, account: PdAccount,
            echo: Callable[[str], None]) -> Applied:
    """Carry the plan out; raises `ApplyStopped` at the first failure."""
    start = time.monotonic()
    ex = _Executor(client, plan, account, echo)
    try:
        ex.pipelines_and_stages()
        ex.fields()
        ex.deletions()
    except CrmError as exc:
        raise ApplyStopped(exc, ex.done, progress(plan.lines(), ex.done)) from None
    return Applied(ex.refused, time.monotonic() - start)
