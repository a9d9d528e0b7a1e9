"""Pipedrive API v2 (v1 only where v2 has no equivalent): the client and what an account
holds, read into plain dataclasses so the planner never sees envelopes.

Sources: the official client `pipedrive/client-nodejs` @97e5382, whose models are
generated from Pipedrive's OpenAPI (`src/versions/v2/api/{pipelines,stages,deal-fields,
person-fields,organization-fields}-api.ts`; answers `{success, data, additional_data:
{next_cursor}}`, `limit` at most 500). Authentication: the `x-api-token` header (an API
token) or `Authorization: Bearer` (OAuth). Rate limits (pipedrive.readme.io/docs/
core-api-concepts-rate-limiting): a daily token budget and a burst limit per rolling
2-second window, the lowest plan's 20 requests being the one kept here; 429 carries
Retry-After.

Stage order: API v2 cannot set it (`update-stage-request.ts` has no `order_nr`), v1's
`PUT /api/v1/stages/{id}` can (`order_nr`, research note crm-formats.md §3.2): that is
the one v1 request used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ..jsontypes import JSON, JSONObject
from .deploy import (
    BadAnswer,
    JsonHttp,
    Judgement,
    answer_int,
    answer_list,
    answer_object,
    answer_str,
    kind_of,
    scrub,
)

__all__ = ["PipedriveClient", "PdStage", "PdPipeline", "PdField", "PdAccount", "read_raw",
           "parse_account", "FIELD_ENTITIES", "DEFAULT_URL", "TOKEN_ENV", "PER_S",
           "FIELDS_QUERY"]

DEFAULT_URL = "https://api.pipedrive.com"
TOKEN_ENV = "PIPEDRIVE_API_TOKEN"
PER_S = 10
"""The lowest plan's burst limit, 20 requests per rolling 2 seconds, kept as at most 10
in any one second (which never exceeds 20 in any 2)."""
PAGE = 500
FIELD_ENTITIES: dict[str, str] = {"deal": "dealFields", "person": "personFields",
                                  "organization": "organizationFields"}
"""Entity → the v2 endpoint of its fields (`/api/v2/<endpoint>`)."""
FIELDS_QUERY = "ui_visibility,important_fields,required_fields"


class PipedriveClient(JsonHttp):
    crm = "Pipedrive"

    def __init__(self, base_url: str, token: str, *, per_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 backoff_base_s: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url, headers={"x-api-token": token},
                         per_s=PER_S if per_s is None else per_s,
                         secrets=[token], sleep=sleep, backoff_base_s=backoff_base_s,
                         transport=transport)

    def judge(self, response: httpx.Response, body: JSON, what: str) -> Judgement:
        """Pipedrive's failures are `{success: false, error, error_info}` with the HTTP
        status; 429 is the burst or daily limit."""
        verdict = super().judge(response, body, what)
        if verdict.verdict in ("refused", "auth") and isinstance(body, dict):
            words = "; ".join(str(body[k]) for k in ("error", "error_info")
                              if isinstance(body.get(k), str) and body[k])
            if words:
                hint = (f": check {TOKEN_ENV} (the API token of a user who may change the "
                        "company's pipelines and fields)" if verdict.verdict == "auth" else "")
                return Judgement(verdict.verdict, f"{verdict.message}: {words}{hint}")
        return verdict

    def where(self, method: str, path: str) -> str:
        return scrub(f"{method} {self.base_url}{path}", self.secrets)

    def data(self, method: str, path: str, *, json: object = None) -> JSON:
        """`data` of a v1/v2 answer `{success, data}`."""
        body = self.request(method, path, json=json, idempotent=method in ("GET", "PUT",
                                                                           "PATCH", "DELETE"))
        what = self.where(method, path)
        obj = answer_object(body, what, "")
        if obj.get("success") is False:
            raise BadAnswer(f"{what}: Pipedrive answered success false")
        return obj.get("data")

    def data_object(self, method: str, path: str, *, json: object = None) -> JSONObject:
        return answer_object(self.data(method, path, json=json), self.where(method, path), "data")

    def pages(self, path: str, params: dict[str, str | int] | None = None) -> list[JSONObject]:
        """Every page of a v2 list (cursor paging), each answer's `data` items in order."""
        out: list[JSONObject] = []
        cursor: str | None = None
        for page in range(1000):
            query: dict[str, str | int] = {**(params or {}), "limit": PAGE}
            if cursor:
                query["cursor"] = cursor
            body = self.request("GET", path, params=query)
            what = self.where("GET", path) + (f" (page {page + 1})" if page else "")
            obj = answer_object(body, what, "")
            out.extend(answer_list(obj.get("data"), what, "data"))
            extra = obj.get("additional_data")
            nxt = extra.get("next_cursor") if isinstance(extra, dict) else None
            if nxt is not None and not isinstance(nxt, str):
                raise BadAnswer(f"{what}: `additional_data.next_cursor` is {kind_of(nxt)}, "
                                "expected a string")
            if not nxt:
                break
            cursor = nxt
        return out


@dataclass
class PdStage:
    id: int
    name: str
    pipeline_id: int
    order_nr: int
    deal_probability: int
    rot: bool
    days_to_rotten: int | None


@dataclass
class PdPipeline:
    id: int
    name: str
    order_nr: int
    probability_enabled: bool
    stages: list[PdStage] = field(default_factory=list)

    def stage(self, name: str) -> PdStage | None:
        return next((s for s in self.stages if s.name == name), None)


@dataclass
class PdField:
    entity: str
    code: str
    name: str
    type: str
    custom: bool
    options: list[tuple[int, str]]
    required: JSONObject
    """`required_fields` as read (`enabled`, `stage_ids`, `statuses`); empty when absent."""
    important: JSONObject

    def stage_ids(self, which: str) -> list[int]:
        raw = self.required if which == "required" else self.important
        ids = raw.get("stage_ids")
        return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


@dataclass
class PdAccount:
    pipelines: list[PdPipeline]
    fields: dict[str, list[PdField]]

    def pipeline(self, name: str) -> PdPipeline | None:
        return next((p for p in self.pipelines if p.name == name), None)

    def field(self, entity: str, name: str) -> PdField | None:
        return next((f for f in self.fields.get(entity, []) if f.name == name), None)

    def stage_names(self) -> dict[int, tuple[str, str]]:
        return {s.id: (p.name, s.name) for p in self.pipelines for s in p.stages}


def _bool(raw: JSONObject, key: str, what: str, where: str) -> bool:
    value = raw.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadAnswer(f"{what}: `{where}.{key}` is {kind_of(value)}, expected a boolean")
    return value


def _number(raw: JSONObject, key: str, what: str, where: str) -> int:
    value = raw.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadAnswer(f"{what}: `{where}.{key}` is {kind_of(value)}, expected a number")
    return round(value)


def parse_pipeline(raw: JSONObject, what: str, where: str) -> PdPipeline:
    return PdPipeline(answer_int(raw, "id", what, where), answer_str(raw, "name", what, where),
                      answer_int(raw, "order_nr", what, where, default=0),
                      _bool(raw, "is_deal_probability_enabled", what, where))


def parse_stage(raw: JSONObject, what: str, where: str) -> PdStage:
    days = raw.get("days_to_rotten")
    return PdStage(answer_int(raw, "id", what, where), answer_str(raw, "name", what, where),
                   answer_int(raw, "pipeline_id", what, where),
                   answer_int(raw, "order_nr", what, where, default=0),
                   _number(raw, "deal_probability", what, where),
                   _bool(raw, "is_deal_rot_enabled", what, where),
                   None if days is None else answer_int(raw, "days_to_rotten", what, where))


def _config(raw: JSONObject, key: str, what: str, where: str) -> JSONObject:
    value = raw.get(key)
    if value is None:
        return {}
    obj = answer_object(value, what, f"{where}.{key}")
    ids = obj.get("stage_ids")
    if ids is not None and (not isinstance(ids, list)
                            or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)):
        raise BadAnswer(f"{what}: `{where}.{key}.stage_ids` is not an array of integers")
    return obj


def parse_field(raw: JSONObject, entity: str, what: str, where: str) -> PdField:
    options = [(answer_int(o, "id", what, f"{where}.options[{k}]"),
                answer_str(o, "label", what, f"{where}.options[{k}]"))
               for k, o in enumerate(answer_list(raw.get("options"), what, f"{where}.options"))]
    return PdField(entity, answer_str(raw, "field_code", what, where),
                   answer_str(raw, "field_name", what, where),
                   answer_str(raw, "field_type", what, where),
                   _bool(raw, "is_custom_field", what, where), options,
                   _config(raw, "required_fields", what, where),
                   _config(raw, "important_fields", what, where))


def parse_account(pipelines: list[JSONObject], stages: list[JSONObject],
                  fields: dict[str, list[JSONObject]], where: Callable[[str], str]) -> PdAccount:
    """The account from the `data` items of each list; `where(endpoint)` names the
    request (or the file) for messages. Deleted pipelines and stages are left out."""
    pipes = [parse_pipeline(p, where("pipelines"), f"data[{i}]") for i, p in enumerate(pipelines)
             if p.get("is_deleted") is not True]
    by_id = {p.id: p for p in pipes}
    for i, raw in enumerate(stages):
        if raw.get("is_deleted") is True:
            continue
        stage = parse_stage(raw, where("stages"), f"data[{i}]")
        if stage.pipeline_id in by_id:
            by_id[stage.pipeline_id].stages.append(stage)
    for pipe in pipes:
        pipe.stages.sort(key=lambda s: (s.order_nr, s.id))
    pipes.sort(key=lambda p: (p.order_nr, p.id))
    parsed = {entity: [parse_field(f, entity, where(FIELD_ENTITIES[entity]), f"data[{i}]")
                       for i, f in enumerate(fields.get(entity, []))]
              for entity in FIELD_ENTITIES}
    return PdAccount(pipes, parsed)


def read_raw(client: PipedriveClient) -> dict[str, list[JSONObject]]:
    """The `data` items of each list the account is read from, by endpoint name (the
    shape `funnelc import --from pipedrive` also takes from saved answers)."""
    out = {"pipelines": client.pages("/api/v2/pipelines"),
           "stages": client.pages("/api/v2/stages")}
    for endpoint in FIELD_ENTITIES.values():
        out[endpoint] = client.pages(f"/api/v2/{endpoint}", {"include_fields": FIELDS_QUERY})
    return out
