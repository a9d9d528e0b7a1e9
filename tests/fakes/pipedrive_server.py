"""A loopback fake of Pipedrive's API v2 (pipelines, stages, deal/person/organization
fields) and the one v1 request funnelc uses (`PUT /api/v1/stages/{id}` for `order_nr`).

Every rule enforced here comes from the official client `pipedrive/client-nodejs`
@97e5382, whose models and API classes are generated from Pipedrive's OpenAPI; each
rule cites its file (paths under `src/versions/v2/`). Where the description is silent
the fake is the stricter one, so a client that works here should work against the real
service:

* bodies: unknown keys are refused (400), required keys missing (400), wrong JSON types
  (400), enumerations checked, ids must name live objects (404 for the path's id, 400
  for an id inside a body);
* answers: `{success: true, data}`; lists carry `additional_data.next_cursor` (cursor
  paging, `limit` at most 500 — `api/pipelines-api.ts` "a maximum value of 500");
* failures: `{success: false, error, error_info}` with the HTTP status;
* rate limit: at most `burst` requests per rolling `window_s` seconds, else 429
  (pipedrive.readme.io/docs/core-api-concepts-rate-limiting: burst limits per rolling
  2-second window; the lowest plan's 20 is the default);
* knobs: `fail_plan` (request number → status, answered before anything happens),
  `fail_after` (request numbers that are *carried out* and then answered 500: the
  "created but the answer was lost" case), `garble` (request number → raw body sent
  with 200).

Standard library only; binds 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

try:
    from .amocrm_server import _Handler, _Server
except ImportError:  # pragma: no cover - imported as a top-level module
    from amocrm_server import _Handler, _Server  # type: ignore[no-redef]

__all__ = ["FakePipedrive", "running_fake_pipedrive", "FIELD_TYPES_ADD", "ENDPOINTS"]

# api/{deal,person,organization}-fields-api.ts: the three field endpoints.
ENDPOINTS = {"dealFields": "deal", "personFields": "person", "organizationFields": "organization"}
# models/add-deal-field-request.ts (and add-person/add-organization-field-request.ts):
# `AddDealFieldRequestFieldTypeConst`, the types a field can be created with.
FIELD_TYPES_ADD = frozenset({"varchar", "text", "double", "phone", "date", "daterange", "time",
                             "timerange", "set", "enum", "varchar_auto", "address", "monetary",
                             "org", "people", "user"})
# add-deal-field-request.ts: "Field options (required for enum and set field types)".
OPTION_TYPES = frozenset({"enum", "set"})
# add-deal-field-request-required-fields.ts: `statuses` values.
STATUSES = frozenset({"won", "lost"})
MAX_LIMIT = 500  # api/*-api.ts: "a maximum value of 500 is allowed"
ADD_PIPELINE_KEYS = {"name": str, "is_deal_probability_enabled": bool}  # add-pipeline-request.ts
# add-stage-request.ts / update-stage-request.ts
STAGE_KEYS = {"name": str, "pipeline_id": int, "deal_probability": (int, float),
              "is_deal_rot_enabled": bool, "days_to_rotten": int}
V1_STAGE_KEYS = {**STAGE_KEYS, "order_nr": int}  # v1 UpdateStageRequest (crm-formats.md §3.2)
# add-deal-field-request.ts; update-deal-field-request.ts has no field_type/options.
ADD_FIELD_KEYS = {"field_name", "field_type", "options", "ui_visibility", "important_fields",
                  "required_fields", "description"}
UPDATE_FIELD_KEYS = {"field_name", "ui_visibility", "important_fields", "required_fields",
                     "description"}
# Built-in fields every company has (is_custom_field false): they cannot be deleted.
BUILTIN_FIELDS = {
    "deal": [("title", "Title", "varchar"), ("value", "Value", "monetary"),
             ("stage_id", "Stage", "stage"), ("status", "Status", "status")],
    "person": [("name", "Name", "varchar"), ("phone", "Phone", "phone"),
               ("email", "Email", "varchar")],
    "organization": [("name", "Name", "varchar"), ("address", "Address", "address")],
}


class ApiError(Exception):
    def __init__(self, status: int, error: str, info: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.info = info


@dataclass
class Stage:
    id: int
    name: str
    pipeline_id: int
    order_nr: int
    deal_probability: int = 100
    is_deal_rot_enabled: bool = False
    days_to_rotten: int | None = None


@dataclass
class Pipeline:
    id: int
    name: str
    order_nr: int
    is_deal_probability_enabled: bool = False


@dataclass
class Field:
    code: str
    name: str
    type: str
    custom: bool
    options: list[dict[str, Any]] = field(default_factory=list)
    required: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    important: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    description: str | None = None


class FakePipedrive:
    def __init__(self, token: str = "test-token", *, burst: int | None = 20,
                 window_s: float = 2.0) -> None:
        self.token = token
        self.burst = burst
        self.window_s = window_s
        self.fail_plan: dict[int, int] = {}
        self.fail_after: set[int] = set()
        self.garble: dict[int, bytes] = {}
        self.pipelines: dict[int, Pipeline] = {}
        self.stages: dict[int, Stage] = {}
        self.fields: dict[str, dict[str, Field]] = {e: {} for e in ENDPOINTS.values()}
        self.request_count = 0
        self.log: list[tuple[str, str, Any, int]] = []
        self._ids = 0
        self._window: deque[float] = deque()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for entity, items in BUILTIN_FIELDS.items():
            for code, name, ftype in items:
                self.fields[entity][code] = Field(code, name, ftype, custom=False)
        # A new company has one pipeline with the default stages (ids from 1).
        pipe = self._new_pipeline("Pipeline", True)
        for name in ("Qualified", "Contact Made", "Demo Scheduled", "Proposal Made",
                     "Negotiations Started"):
            self._new_stage(pipe.id, name)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakePipedrive:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[assignment]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def calls(self, method: str | None = None) -> list[tuple[str, str, Any, int]]:
        return [c for c in self.log if method is None or c[0] == method]

    # ---------------------------------------------------------------- state helpers

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    def _new_pipeline(self, name: str, probability: bool) -> Pipeline:
        order = max((p.order_nr for p in self.pipelines.values()), default=-1) + 1
        pipe = Pipeline(self._next(), name, order, probability)
        self.pipelines[pipe.id] = pipe
        return pipe

    def _new_stage(self, pipeline_id: int, name: str) -> Stage:
        order = max((s.order_nr for s in self.stages.values() if s.pipeline_id == pipeline_id),
                    default=0) + 1
        stage = Stage(self._next(), name, pipeline_id, order)
        self.stages[stage.id] = stage
        return stage

    def snapshot(self) -> list[tuple[str, list[tuple[str, int, int | None]]]]:
        """Pipelines in order with their stages (name, probability, rotting days)."""
        out = []
        for pipe in sorted(self.pipelines.values(), key=lambda p: (p.order_nr, p.id)):
            stages = sorted((s for s in self.stages.values() if s.pipeline_id == pipe.id),
                            key=lambda s: (s.order_nr, s.id))
            out.append((pipe.name, [(s.name, s.deal_probability, s.days_to_rotten)
                                    for s in stages]))
        return out

    # ---------------------------------------------------------------- plumbing

    def handle(self, method: str, target: str, headers: Any,
               raw: bytes) -> tuple[int, dict[str, str], bytes]:
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        with self._lock:
            self.request_count += 1
            number = self.request_count
            body: Any = None
            try:
                if number in self.fail_plan:
                    raise ApiError(self.fail_plan[number], "Injected failure")
                self._rate()
                self._auth(headers)
                if raw.strip():
                    try:
                        body = json.loads(raw.decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        raise ApiError(400, "Request body is not valid JSON") from None
                status, payload = self._route(method, url.path, query, body)
                if number in self.fail_after:
                    raise ApiError(500, "Internal server error (after the change was made)")
            except ApiError as exc:
                status = exc.status
                payload = {"success": False, "error": exc.error, "error_info": exc.info,
                           "errorCode": exc.status}
            self.log.append((method, url.path, body, status))
            if number in self.garble:
                garbled = self.garble[number]
                ctype = "text/html" if garbled.lstrip().startswith(b"<") else "application/json"
                return 200, {"Content-Type": ctype}, garbled
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _rate(self) -> None:
        if not self.burst:
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= self.window_s:
            self._window.popleft()
        if len(self._window) >= self.burst:
            raise ApiError(429, "Rate limit exceeded", f"{self.burst} per {self.window_s} s")
        self._window.append(now)

    def _auth(self, headers: Any) -> None:
        token = headers.get("x-api-token")
        if token is None:
            scheme, _, token = (headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer":
                token = None
        if token != self.token:
            raise ApiError(401, "unauthorized access")

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/api/v2/pipelines", self._list_pipelines),
            ("POST", r"/api/v2/pipelines", self._add_pipeline),
            ("GET", r"/api/v2/pipelines/(\d+)", self._get_pipeline),
            ("PATCH", r"/api/v2/pipelines/(\d+)", self._patch_pipeline),
            ("DELETE", r"/api/v2/pipelines/(\d+)", self._delete_pipeline),
            ("GET", r"/api/v2/stages", self._list_stages),
            ("POST", r"/api/v2/stages", self._add_stage),
            ("GET", r"/api/v2/stages/(\d+)", self._get_stage),
            ("PATCH", r"/api/v2/stages/(\d+)", self._patch_stage),
            ("DELETE", r"/api/v2/stages/(\d+)", self._delete_stage),
            ("PUT", r"/api/v1/stages/(\d+)", self._v1_update_stage),
            ("GET", r"/api/v2/(dealFields|personFields|organizationFields)", self._list_fields),
            ("POST", r"/api/v2/(dealFields|personFields|organizationFields)", self._add_field),
            ("GET", r"/api/v2/(dealFields|personFields|organizationFields)/(\w+)", self._get_field),
            ("PATCH", r"/api/v2/(dealFields|personFields|organizationFields)/(\w+)",
             self._patch_field),
            ("DELETE", r"/api/v2/(dealFields|personFields|organizationFields)/(\w+)",
             self._delete_field),
            ("POST", r"/api/v2/(dealFields|personFields|organizationFields)/(\w+)/options",
             self._add_options),
        ]
        allowed = []
        for m, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                if m == method:
                    args = [int(g) if g.isdigit() else g for g in match.groups()]
                    return handler(query, body, *args)  # type: ignore[no-any-return]
                allowed.append(m)
        raise ApiError(405 if allowed else 404, f"{method} {path} is not an endpoint")

    # ---------------------------------------------------------------- validation

    @staticmethod
    def _object(body: Any, keys: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        for key, value in body.items():
            if key not in keys:
                raise ApiError(400, f"Unknown parameter `{key}`")
            kind = keys[key]
            if isinstance(value, bool) and kind is not bool:
                raise ApiError(400, f"`{key}` must be {getattr(kind, '__name__', 'a number')}")
            if not isinstance(value, kind):
                raise ApiError(400, f"`{key}` must be {getattr(kind, '__name__', 'a number')}")
        for key in required:
            if key not in body:
                raise ApiError(400, f"`{key}` is required")
        if isinstance(body.get("name"), str) and not body["name"].strip():
            raise ApiError(400, "`name` must not be empty")
        return body

    @staticmethod
    def _page(items: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, Any]:
        limit = query.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise ApiError(400, f"`limit` must be 1..{MAX_LIMIT}")
        start = int(query.get("cursor") or 0)
        chunk = items[start:start + int(limit)]
        nxt = str(start + int(limit)) if start + int(limit) < len(items) else None
        return 200, {"success": True, "data": chunk, "additional_data": {"next_cursor": nxt}}

    # ---------------------------------------------------------------- pipelines

    def _pipeline_json(self, p: Pipeline) -> dict[str, Any]:
        # models/get-pipelines-response-all-of-data-inner.ts
        return {"id": p.id, "name": p.name, "order_nr": p.order_nr, "is_deleted": False,
                "is_deal_probability_enabled": p.is_deal_probability_enabled,
                "add_time": "2026-12-05T00:00:00Z", "update_time": "2026-12-05T00:00:00Z"}

    def _pipeline(self, pid: int) -> Pipeline:
        if pid not in self.pipelines:
            raise ApiError(404, "Pipeline not found")
        return self.pipelines[pid]

    def _list_pipelines(self, query: dict[str, str], body: Any) -> tuple[int, Any]:
        items = sorted(self.pipelines.values(), key=lambda p: p.id)
        return self._page([self._pipeline_json(p) for p in items], query)

    def _get_pipeline(self, query: dict[str, str], body: Any, pid: int) -> tuple[int, Any]:
        return 200, {"success": True, "data": self._pipeline_json(self._pipeline(pid))}

    def _add_pipeline(self, query: dict[str, str], body: Any) -> tuple[int, Any]:
        b = self._object(body, ADD_PIPELINE_KEYS, ("name",))
        pipe = self._new_pipeline(b["name"], b.get("is_deal_probability_enabled", True))
        return 200, {"success": True, "data": self._pipeline_json(pipe)}

    def _patch_pipeline(self, query: dict[str, str], body: Any, pid: int) -> tuple[int, Any]:
        pipe = self._pipeline(pid)
        b = self._object(body, ADD_PIPELINE_KEYS, ())  # update-pipeline-request.ts
        pipe.name = b.get("name", pipe.name)
        pipe.is_deal_probability_enabled = b.get("is_deal_probability_enabled",
                                                 pipe.is_deal_probability_enabled)
        return 200, {"success": True, "data": self._pipeline_json(pipe)}

    def _delete_pipeline(self, query: dict[str, str], body: Any, pid: int) -> tuple[int, Any]:
        self._pipeline(pid)
        del self.pipelines[pid]
        for sid in [s.id for s in self.stages.values() if s.pipeline_id == pid]:
            self._forget_stage(sid)
        return 200, {"success": True, "data": {"id": pid}}

    # ---------------------------------------------------------------- stages

    def _stage_json(self, s: Stage) -> dict[str, Any]:
        # models/stage-item.ts
        return {"id": s.id, "order_nr": s.order_nr, "name": s.name, "is_deleted": False,
                "deal_probability": s.deal_probability, "pipeline_id": s.pipeline_id,
                "is_deal_rot_enabled": s.is_deal_rot_enabled,
                "days_to_rotten": s.days_to_rotten,
                "add_time": "2026-12-05T00:00:00Z", "update_time": "2026-12-05T00:00:00Z"}

    def _stage(self, sid: int) -> Stage:
        if sid not in self.stages:
            raise ApiError(404, "Stage not found")
        return self.stages[sid]

    def _list_stages(self, query: dict[str, str], body: Any) -> tuple[int, Any]:
        items = sorted(self.stages.values(), key=lambda s: s.id)
        if "pipeline_id" in query:
            items = [s for s in items if str(s.pipeline_id) == query["pipeline_id"]]
        return self._page([self._stage_json(s) for s in items], query)

    def _get_stage(self, query: dict[str, str], body: Any, sid: int) -> tuple[int, Any]:
        return 200, {"success": True, "data": self._stage_json(self._stage(sid))}

    def _stage_values(self, stage: Stage, b: dict[str, Any]) -> None:
        if "pipeline_id" in b:
            if b["pipeline_id"] not in self.pipelines:
                raise ApiError(400, f"pipeline_id {b['pipeline_id']} is not a pipeline")
            stage.pipeline_id = b["pipeline_id"]
        if "deal_probability" in b:
            # add-stage-request.ts: "The success probability percentage"
            if not 0 <= b["deal_probability"] <= 100:
                raise ApiError(400, "`deal_probability` is a percentage: 0..100")
            stage.deal_probability = round(b["deal_probability"])
        stage.name = b.get("name", stage.name)
        stage.is_deal_rot_enabled = b.get("is_deal_rot_enabled", stage.is_deal_rot_enabled)
        if "days_to_rotten" in b:
            if b["days_to_rotten"] < 1:
                raise ApiError(400, "`days_to_rotten` must be at least 1")
            stage.days_to_rotten = b["days_to_rotten"]
        # add-stage-request.ts: days_to_rotten "Applies only if the is_deal_rot_enabled is set"
        if not stage.is_deal_rot_enabled:
            stage.days_to_rotten = None

    def _add_stage(self, query: dict[str, str], body: Any) -> tuple[int, Any]:
        b = self._object(body, STAGE_KEYS, ("name", "pipeline_id"))
        if b["pipeline_id"] not in self.pipelines:
            raise ApiError(400, f"pipeline_id {b['pipeline_id']} is not a pipeline")
        stage = self._new_stage(b["pipeline_id"], b["name"])
        try:
            self._stage_values(stage, b)
        except ApiError:
            del self.stages[stage.id]
            raise
        return 200, {"success": True, "data": self._stage_json(stage)}

    def _patch_stage(self, query: dict[str, str], body: Any, sid: int) -> tuple[int, Any]:
        stage = self._stage(sid)
        self._stage_values(stage, self._object(body, STAGE_KEYS, ()))
        return 200, {"success": True, "data": self._stage_json(stage)}

    def _v1_update_stage(self, query: dict[str, str], body: Any, sid: int) -> tuple[int, Any]:
        stage = self._stage(sid)
        b = self._object(body, V1_STAGE_KEYS, ())
        if "order_nr" in b:
            if b["order_nr"] < 0:
                raise ApiError(400, "`order_nr` must not be negative")
            stage.order_nr = b["order_nr"]
        self._stage_values(stage, {k: v for k, v in b.items() if k != "order_nr"})
        return 200, {"success": True, "data": self._stage_json(stage)}

    def _delete_stage(self, query: dict[str, str], body: Any, sid: int) -> tuple[int, Any]:
        self._stage(sid)
        self._forget_stage(sid)
        return 200, {"success": True, "data": {"id": sid}}

    def _forget_stage(self, sid: int) -> None:
        del self.stages[sid]
        for fields in self.fields.values():
            for f in fields.values():
                for conf in (f.required, f.important):
                    if sid in conf.get("stage_ids", []):
                        conf["stage_ids"] = [i for i in conf["stage_ids"] if i != sid]

    # ---------------------------------------------------------------- fields

    def _field_json(self, f: Field, include: set[str]) -> dict[str, Any]:
        # models/get-deal-fields200-response-data-inner.ts
        out: dict[str, Any] = {
            "field_name": f.name, "field_code": f.code, "description": f.description or "",
            "field_type": f.type, "is_custom_field": f.custom,
            "is_optional_response_field": False,
            "options": [dict(o) for o in f.options] if f.type in OPTION_TYPES else None,
            "subfields": None}
        if "required_fields" in include:
            out["required_fields"] = json.loads(json.dumps(f.required))
        if "important_fields" in include:
            out["important_fields"] = json.loads(json.dumps(f.important))
        if "ui_visibility" in include:
            out["ui_visibility"] = {"add_visible_flag": False, "details_visible_flag": True}
        return out

    def _field(self, entity: str, code: str) -> Field:
        if code not in self.fields[entity]:
            raise ApiError(404, "Field not found")
        return self.fields[entity][code]

    @staticmethod
    def _include(query: dict[str, str]) -> set[str]:
        raw = query.get("include_fields", "")
        parts = {p for p in raw.split(",") if p}
        bad = parts - {"ui_visibility", "important_fields", "required_fields"}
        if bad:  # api/deal-fields-api.ts: include_fields enumeration
            raise ApiError(400, f"`include_fields` cannot hold {sorted(bad)}")
        return parts

    def _list_fields(self, query: dict[str, str], body: Any, endpoint: str) -> tuple[int, Any]:
        include = self._include(query)
        items = [self._field_json(f, include) for f in self.fields[ENDPOINTS[endpoint]].values()]
        return self._page(items, query)

    def _get_field(self, query: dict[str, str], body: Any, endpoint: str,
                   code: str) -> tuple[int, Any]:
        f = self._field(ENDPOINTS[endpoint], code)
        return 200, {"success": True, "data": self._field_json(f, self._include(query))}

    def _stage_ids(self, value: Any, where: str) -> list[int]:
        if not isinstance(value, list) or any(isinstance(i, bool) or not isinstance(i, int)
                                              for i in value):
            raise ApiError(400, f"`{where}.stage_ids` must be an array of integers")
        for sid in value:
            # add-deal-field-request-required-fields.ts: "Must reference valid, active deal stages"
            if sid not in self.stages:
                raise ApiError(400, f"`{where}.stage_ids` names stage {sid}, which does not exist")
        return list(value)

    def _config(self, entity: str, value: Any, which: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ApiError(400, f"`{which}` must be an object")
        allowed = {"enabled", "stage_ids"}
        if which == "required_fields":
            # add-person-field-request-required-fields.ts: persons/organizations are
            # required everywhere (`enabled` only); deals also by stage and status.
            allowed = {"enabled", "stage_ids", "statuses"} if entity == "deal" else {"enabled"}
        for key in value:
            if key not in allowed:
                raise ApiError(400, f"`{which}.{key}` is not accepted for {entity} fields")
        out: dict[str, Any] = {"enabled": False}
        if "enabled" in value:
            if not isinstance(value["enabled"], bool):
                raise ApiError(400, f"`{which}.enabled` must be a boolean")
            out["enabled"] = value["enabled"]
        if "stage_ids" in value:
            out["stage_ids"] = self._stage_ids(value["stage_ids"], which)
        if "statuses" in value:
            statuses = value["statuses"]
            if not isinstance(statuses, dict):
                raise ApiError(400, f"`{which}.statuses` must be an object")
            for pid, items in statuses.items():
                if not pid.isdigit() or int(pid) not in self.pipelines:
                    raise ApiError(400, f"`{which}.statuses` names pipeline {pid}, which does "
                                   "not exist")
                if not isinstance(items, list) or not set(items) <= STATUSES:
                    raise ApiError(400, f"`{which}.statuses` values are arrays of won/lost")
            out["statuses"] = statuses
        if not out["enabled"] and out.get("stage_ids"):
            # required-fields.ts: "Empty array when enabled is false"
            raise ApiError(400, f"`{which}.stage_ids` must be empty when enabled is false")
        return out

    def _add_field(self, query: dict[str, str], body: Any, endpoint: str) -> tuple[int, Any]:
        entity = ENDPOINTS[endpoint]
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        for key in body:
            if key not in ADD_FIELD_KEYS:
                raise ApiError(400, f"Unknown parameter `{key}`")
        for key in ("field_name", "field_type"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise ApiError(400, f"`{key}` is required (a non-empty string)")
        ftype = body["field_type"]
        if ftype not in FIELD_TYPES_ADD:
            raise ApiError(400, f"`field_type` {ftype!r} is not one of the documented types")
        options = body.get("options")
        if ftype in OPTION_TYPES:
            if not isinstance(options, list) or not options:
                raise ApiError(400, "`options` are required for enum and set fields")
        elif options is not None:
            raise ApiError(400, f"`options` are only for enum and set fields, not {ftype}")
        f = Field(hashlib.sha1(f"{entity}:{self._next()}".encode()).hexdigest(),
                  body["field_name"], ftype, custom=True)
        for item in options or []:
            self._option(f, item)
        if "required_fields" in body:
            f.required = self._config(entity, body["required_fields"], "required_fields")
        if "important_fields" in body:
            f.important = self._config(entity, body["important_fields"], "important_fields")
        self.fields[entity][f.code] = f
        return 200, {"success": True, "data": self._field_json(f, {"required_fields",
                                                                    "important_fields"})}

    def _option(self, f: Field, item: Any) -> dict[str, Any]:
        # add-deal-field-request-options-inner.ts: `label` (required string)
        if not isinstance(item, dict) or set(item) != {"label"} or not isinstance(
                item["label"], str) or not item["label"].strip():
            raise ApiError(400, "each option is `{label}` with a non-empty string")
        option = {"id": self._next(), "label": item["label"], "color": None}
        f.options.append(option)
        return option

    def _patch_field(self, query: dict[str, str], body: Any, endpoint: str,
                     code: str) -> tuple[int, Any]:
        entity = ENDPOINTS[endpoint]
        f = self._field(entity, code)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        for key in body:
            if key not in UPDATE_FIELD_KEYS:  # update-deal-field-request.ts
                raise ApiError(400, f"`{key}` cannot be updated")
        if "required_fields" in body:
            f.required = self._config(entity, body["required_fields"], "required_fields")
        if "important_fields" in body:
            f.important = self._config(entity, body["important_fields"], "important_fields")
        if "field_name" in body:
            f.name = body["field_name"]
        return 200, {"success": True, "data": self._field_json(f, {"required_fields",
                                                                    "important_fields"})}

    def _delete_field(self, query: dict[str, str], body: Any, endpoint: str,
                      code: str) -> tuple[int, Any]:
        entity = ENDPOINTS[endpoint]
        f = self._field(entity, code)
        if not f.custom:
            raise ApiError(400, "System fields cannot be deleted")
        del self.fields[entity][code]
        return 200, {"success": True, "data": {"id": code}}

    def _add_options(self, query: dict[str, str], body: Any, endpoint: str,
                     code: str) -> tuple[int, Any]:
        f = self._field(ENDPOINTS[endpoint], code)
        if f.type not in OPTION_TYPES:
            raise ApiError(400, f"a {f.type} field has no options")
        # models/add-deal-field-options-request-inner.ts: a non-empty array of {label}
        if not isinstance(body, list) or not body:
            raise ApiError(400, "The request body must be a non-empty array of options")
        added = [self._option(f, item) for item in body]
        return 200, {"success": True, "data": added}


@contextlib.contextmanager
def running_fake_pipedrive(token: str = "test-token", *, burst: int | None = 20,
                           window_s: float = 2.0) -> Iterator[FakePipedrive]:
    fake = FakePipedrive(token, burst=burst, window_s=window_s).start()
    try:
        yield fake
    finally:
        fake.stop()
