"""`funnelc apply amocrm`: read the account, plan, and — only when asked — carry the plan
out in two phases (research note §7):

1. create pipelines (statuses embedded: amoCRM takes them only at creation), add
   statuses to existing pipelines, rename 142/143, update statuses, create fields;
2. read the pipelines back for the real status ids and PATCH each field's
   `required_statuses` (the whole list: a PATCH replaces it) and new enum values;

3. create the loss reasons the account lacks (one batch: amoCRM keeps one list for every
   pipeline);

then, with `prune` only, the deletions. Every step is idempotent by construction: the
plan is a difference, so applying twice plans nothing the second time.

A POST that fails with a 5xx may still have created its items, so before resending a
batch the executor re-reads what exists and resends only the missing items.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence

from ..numfmt import counted
from .amocrm_account import ENTITIES, Account, read_account
from .amocrm_bundle import Bundle, EnumBody, EnumItem, FieldPatch, StatusBody
from .amocrm_client import (
    AmoApiError,
    AmoAuthError,
    AmoClient,
    AmoNetworkError,
    AmoServerError,
    answer_int,
    embedded_items,
)
from .amocrm_plan import ENTITY_WORDS, FieldChange, Plan, make_plan, q

__all__ = ["plan_for", "execute", "BATCH"]

BATCH = 50
"""Items per batch request: amoCRM's documented batch ceiling elsewhere in v4 (§1.9)."""


def plan_for(client: AmoClient, bundle: Bundle, *, prune: bool) -> tuple[Plan, Account]:
    described = {p["name"] for p in bundle["pipelines"]
                 if any("descriptions" in s for s in p.get("_embedded", {}).get("statuses", []))}
    account = read_account(client, described)
    return make_plan(bundle, account, prune=prune), account


def _name(body: Mapping[str, object]) -> str:
    return str(body["name"])


class _Executor:
    def __init__(self, client: AmoClient, plan: Plan, echo: Callable[[str], None]) -> None:
        self.client = client
        self.plan = plan
        self.echo = echo
        self.created_fields: dict[str, dict[str, int]] = {e: {} for e in ENTITIES}
        self.refused: list[str] = []

    def _post_batch(self, path: str, items: Sequence[Mapping[str, object]], key: str,
                    present: Callable[[], dict[str, int]]) -> dict[str, int]:
        """Name → id of the created items (pipeline, status or field bodies: each has a
        `name`), in chunks of BATCH, reconciling after a 5xx."""
        ids: dict[str, int] = {}
        for start in range(0, len(items), BATCH):
            pending = items[start:start + BATCH]
            attempt = 1
            while pending:
                try:
                    body = self.client.request("POST", path, json=pending)
                except AmoServerError as exc:
                    if attempt >= self.client.max_attempts:
                        raise AmoNetworkError(f"{exc}; gave up after {attempt} attempts") from None
                    self.client.stats.retries += 1
                    self.client.sleep(self.client.backoff(attempt))
                    attempt += 1
                    now = present()
                    ids.update({_name(i): now[_name(i)] for i in pending if _name(i) in now})
                    pending = [i for i in pending if _name(i) not in now]
                    continue
                what = self.client.where("POST", path)
                for i, raw in enumerate(embedded_items(body, key, what)):
                    ids[str(raw.get("name"))] = answer_int(raw, "id", what, f"_embedded.{key}[{i}]")
                pending = []
        return ids

    def _pipeline_ids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        what = self.client.where("GET", "/api/v4/leads/pipelines")
        for i, p in enumerate(self.client.get_pipelines()):
            out.setdefault(str(p.get("name")), answer_int(p, "id", what, f"_embedded.pipelines[{i}]"))
        return out

    def _status_ids(self, pipeline_id: int) -> dict[str, int]:
        path = f"/api/v4/leads/pipelines/{pipeline_id}"
        what = self.client.where("GET", path)
        out: dict[str, int] = {}
        for i, s in enumerate(embedded_items(self.client.request("GET", path), "statuses", what)):
            where = f"_embedded.statuses[{i}]"
            sid = answer_int(s, "id", what, where)
            if answer_int(s, "type", what, where, default=0) == 0 and sid not in (142, 143):
                out.setdefault(str(s.get("name")), sid)
        return out

    def _field_ids(self, entity: str) -> dict[str, int]:
        out: dict[str, int] = {}
        what = self.client.where("GET", f"/api/v4/{entity}/custom_fields")
        for i, f in enumerate(self.client.get_custom_fields(entity)):
            out.setdefault(str(f.get("name")),
                           answer_int(f, "id", what, f"_embedded.custom_fields[{i}]"))
        return out

    # ------------------------------------------------------------------ phase one

    def phase_one(self) -> None:
        plan, client = self.plan, self.client
        if plan.pipelines_to_create:
            self._post_batch("/api/v4/leads/pipelines", plan.pipelines_to_create, "pipelines",
                             self._pipeline_ids)
            self.echo(f"created {counted(len(plan.pipelines_to_create), 'pipeline')}")
        by_pipeline: dict[int, list[StatusBody]] = {}
        for add in plan.status_adds:
            by_pipeline.setdefault(add.pipeline.id, []).append(add.body)
        for pid, bodies in by_pipeline.items():
            self._post_batch(f"/api/v4/leads/pipelines/{pid}/statuses", bodies, "statuses",
                             functools.partial(self._status_ids, pid))
        if plan.status_adds:
            self.echo(f"added {len(plan.status_adds)} status(es) to existing pipelines")
        for r in plan.renames:
            client.request("PATCH", f"/api/v4/leads/pipelines/{r.pipeline.id}/statuses/{r.status_id}",
                           json={"name": r.new})
        for u in plan.status_updates:
            client.request("PATCH", f"/api/v4/leads/pipelines/{u.pipeline.id}/statuses/{u.status.id}",
                           json=u.patch)
        for p in plan.mains:
            client.request("PATCH", f"/api/v4/leads/pipelines/{p.id}", json={"is_main": True})
        for entity in ENTITIES:
            fields = plan.fields_to_create[entity]
            if fields:
                self.created_fields[entity] = self._post_batch(
                    f"/api/v4/{entity}/custom_fields", fields, "custom_fields",
                    functools.partial(self._field_ids, entity))
                self.echo(f"created {counted(len(fields), ENTITY_WORDS[entity] + ' field')}")

    # ------------------------------------------------------------------ phase two

    def phase_two(self) -> None:
        changes = self.plan.field_changes
        if not changes:
            return
        ids: dict[tuple[str, str], tuple[int, int]] = {}
        if any(c.requires_change for c in changes):
            what = self.client.where("GET", "/api/v4/leads/pipelines")
            for i, raw in enumerate(self.client.get_pipelines()):  # read back: statuses have ids
                where = f"_embedded.pipelines[{i}]"
                pid = answer_int(raw, "id", what, where)
                for k, s in enumerate(embedded_items(raw, "statuses", what)):
                    sid = answer_int(s, "id", what, f"{where}._embedded.statuses[{k}]")
                    if answer_int(s, "type", what, f"{where}._embedded.statuses[{k}]",
                                  default=0) == 0 and sid not in (142, 143):
                        ids.setdefault((str(raw.get("name")), str(s.get("name"))), (pid, sid))
        patches: dict[str, list[FieldPatch]] = {e: [] for e in ENTITIES}
        for change in changes:
            item = self._field_patch(change, ids)
            if item is not None:
                patches[change.entity].append(item)
        for entity, items in patches.items():
            for start in range(0, len(items), BATCH):
                self.client.request("PATCH", f"/api/v4/{entity}/custom_fields",
                                    json=items[start:start + BATCH])
            if items:
                self.echo(f"updated {counted(len(items), ENTITY_WORDS[entity] + ' field')}: required "
                          "statuses and values")

    def _field_patch(self, change: FieldChange, ids: dict[tuple[str, str], tuple[int, int]]
                     ) -> FieldPatch | None:
        remote = change.remote
        if remote is not None:
            field_id, name, current = remote.id, remote.name, list(remote.required)
        else:
            created = self.created_fields[change.entity]
            if change.name not in created:
                raise AmoApiError(f"{ENTITY_WORDS[change.entity]} field {q(change.name)} was not "
                                  "found after creating it", 0)
            field_id, name, current = created[change.name], change.name, []
        item: FieldPatch = {"id": field_id, "name": name}
        if change.requires_change:
            wanted: list[tuple[int, int]] = []
            for pair in change.wanted:
                if pair not in ids:
                    raise AmoApiError(f"status {q(pair[1])} of pipeline {q(pair[0])} was not found "
                                      "after creating it", 0)
                if ids[pair] not in wanted:
                    wanted.append(ids[pair])
            final = wanted if self.plan.prune else current + [p for p in wanted if p not in current]
            item["required_statuses"] = [{"pipeline_id": p, "status_id": s} for p, s in final]
        if change.add_enums and remote is not None:
            kept: list[EnumItem | EnumBody] = [{"id": e["id"], "value": e["value"], "sort": e["sort"]}
                                               for e in remote.enums]
            item["enums"] = kept + list(change.add_enums)
        return item if len(item) > 2 else None

    # ------------------------------------------------------------------ loss reasons

    def _loss_reason_ids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        what = self.client.where("GET", "/api/v4/leads/loss_reasons")
        for i, r in enumerate(self.client.get_loss_reasons()):
            out.setdefault(str(r.get("name")),
                           answer_int(r, "id", what, f"_embedded.loss_reasons[{i}]"))
        return out

    def loss_reasons(self) -> None:
        bodies = self.plan.loss_reasons_to_create
        if bodies:
            self._post_batch("/api/v4/leads/loss_reasons", bodies, "loss_reasons",
                             self._loss_reason_ids)
            self.echo(f"created {counted(len(bodies), 'loss reason')}")

    # ------------------------------------------------------------------ deletions

    def deletions(self) -> None:
        plan = self.plan
        targets: list[tuple[str, str]] = []
        targets += [(f"/api/v4/leads/pipelines/{p.id}/statuses/{s.id}",
                     f"status {q(s.name)} of pipeline {q(p.name)}") for p, s in plan.delete_statuses]
        targets += [(f"/api/v4/leads/pipelines/{p.id}", f"pipeline {q(p.name)}")
                    for p in plan.delete_pipelines]
        targets += [(f"/api/v4/{f.entity}/custom_fields/{f.id}",
                     f"{ENTITY_WORDS[f.entity]} field {q(f.name)}") for f in plan.delete_fields]
        targets += [(f"/api/v4/leads/loss_reasons/{r.id}", f"loss reason {q(r.name)}")
                    for r in plan.delete_loss_reasons]
        for path, what in targets:
            try:
                self.client.request("DELETE", path)
            except AmoAuthError:
                raise
            except AmoApiError as exc:
                if exc.status == 404:  # already gone (e.g. a retried DELETE that had worked)
                    continue
                self.refused.append(f"{what} was not deleted: {exc}")
        if targets:
            self.echo(f"deleted {len(targets) - len(self.refused)} of {counted(len(targets), 'item')}")


def execute(client: AmoClient, plan: Plan, echo: Callable[[str], None]) -> tuple[list[str], float]:
    """Carry the plan out; (refused deletions, seconds)."""
    start = time.monotonic()
    ex = _Executor(client, plan, echo)
    ex.phase_one()
    ex.phase_two()
    ex.loss_reasons()
    ex.deletions()
    return ex.refused, time.monotonic() - start
