"""A loopback fake of HubSpot's CRM v3 deal pipelines and properties.

Every rule enforced here comes from HubSpot's public API spec collection
(`HubSpot/HubSpot-public-api-spec-collection` @9989379), cited by file:
P = `PublicApiSpecs/CRM/Pipelines/Rollouts/145896/v3/pipelines.json`,
R = `PublicApiSpecs/CRM/Properties/Rollouts/145899/v3/properties.json`,
and where the v3 description is silent, the research note's reading of HubSpot's legacy
docs (crm-formats.md §4: a pipeline label holds at most 36 characters, a pipeline at
most 100 stages). Where both are silent the fake is the stricter one:

* bodies: unknown keys refused (400, `category: VALIDATION_ERROR`), required keys
  missing (400), JSON types and enumerations checked, `metadata` values strings (P:
  `additionalProperties: {type: string}`), ids in paths must name live objects (404);
* deal stages: `metadata.probability` required, 0.0..1.0 in steps of 0.1 (P,
  `PipelineStageInput.metadata`); stage labels unique within a pipeline and pipeline
  labels unique (P, `label` descriptions);
* properties: `PropertyCreate` required keys and `type`/`fieldType` enumerations (R);
  `options` required for enumerations (R) with `OptionInput`'s required `hidden`,
  `label`, `value`; a `bool` is a `booleancheckbox`; `groupName` must name a group;
  names unique per object; HubSpot's own properties cannot be deleted;
* rate limit: `burst` requests per rolling `window_s` seconds (API usage guidelines: 100
  per 10 seconds on the lowest tier), else 429 `RATE_LIMIT` / `TEN_SECONDLY_ROLLING`;
* knobs: `fail_plan`, `fail_after` and `garble` as in the Pipedrive fake, and
  `max_pipelines` (a tier's pipeline limit).

Standard library only; binds 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

try:
    from .amocrm_server import _Handler, _Server
except ImportError:  # pragma: no cover
    from amocrm_server import _Handler, _Server  # type: ignore[no-redef]

__all__ = ["FakeHubSpot", "running_fake_hubspot"]

OBJECTS = ("deals", "contacts", "companies")
MAX_LABEL, MAX_STAGES = 36, 100  # crm-formats.md §4 (legacy v1 docs)
# R: PropertyCreate.type and .fieldType enumerations
TYPES = frozenset({"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"})
FIELD_TYPES = frozenset({"booleancheckbox", "calculation_equation", "checkbox", "date", "file",
                         "html", "number", "phonenumber", "radio", "select", "text",
                         "textarea"})
CREATE_KEYS = {"calculationFormula", "currencyPropertyName", "dataSensitivity", "description",
               "displayOrder", "externalOptions", "fieldType", "formField", "groupName",
               "hasUniqueValue", "hidden", "label", "name", "numberDisplayHint", "options",
               "referencedObjectType", "showCurrencySymbol", "textDisplayHint", "type"}
UPDATE_KEYS = CREATE_KEYS - {"dataSensitivity", "externalOptions", "hasUniqueValue", "name",
                             "referencedObjectType"}  # R: PropertyUpdate
OPTION_KEYS = {"description", "displayOrder", "hidden", "label", "value"}  # R: OptionInput
GROUPS = {"deals": ["dealinformation"], "contacts": ["contactinformation"],
          "companies": ["companyinformation"]}
PROBABILITIES = {f"{k / 10:.1f}" for k in range(11)}


class ApiError(Exception):
    def __init__(self, status: int, message: str, category: str = "VALIDATION_ERROR",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra or {}


@dataclass
class Stage:
    id: str
    label: str
    display_order: int
    metadata: dict[str, str]


@dataclass
class Pipeline:
    id: str
    label: str
    display_order: int
    stages: list[Stage] = field(default_factory=list)


@dataclass
class Prop:
    name: str
    label: str
    type: str
    field_type: str
    group: str
    options: list[dict[str, Any]] = field(default_factory=list)
    defined: bool = False


def _default_props() -> dict[str, dict[str, Prop]]:
    """A few of HubSpot's own properties (hubspotDefined), as a new portal has them."""
    def p(name: str, label: str, t: str, ft: str, group: str) -> Prop:
        return Prop(name, label, t, ft, group, defined=True)
    return {
        "deals": {x.name: x for x in [
            p("dealname", "Deal Name", "string", "text", "dealinformation"),
            p("amount", "Amount", "number", "number", "dealinformation"),
            p("closedate", "Close Date", "datetime", "date", "dealinformation"),
            p("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"),
            p("pipeline", "Pipeline", "enumeration", "select", "dealinformation"),
            p("closed_lost_reason", "Closed Lost Reason", "string", "textarea",
              "dealinformation"),
            p("closed_won_reason", "Closed Won Reason", "string", "textarea",
              "dealinformation")]},
        "contacts": {x.name: x for x in [
            p("email", "Email", "string", "text", "contactinformation"),
            p("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
            p("firstname", "First Name", "string", "text", "contactinformation")]},
        "companies": {x.name: x for x in [
            p("name", "Company name", "string", "text", "companyinformation"),
            p("domain", "Company Domain Name", "string", "text", "companyinformation")]},
    }


class FakeHubSpot:
    def __init__(self, token: str = "test-token", *, burst: int | None = 100,
                 window_s: float = 10.0, max_pipelines: int = 100) -> None:
        self.token = token
        self.burst = burst
        self.window_s = window_s
        self.max_pipelines = max_pipelines
        self.fail_plan: dict[int, int] = {}
        self.fail_after: set[int] = set()
        self.garble: dict[int, bytes] = {}
        self.request_count = 0
        self.log: list[tuple[str, str, Any, int]] = []
        self.props = _default_props()
        self._ids = 1000
        self._window: deque[float] = deque()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        default = Pipeline("default", "Sales Pipeline", 0)
        for k, (label, prob) in enumerate([
                ("Appointment Scheduled", "0.2"), ("Qualified To Buy", "0.4"),
                ("Presentation Scheduled", "0.6"), ("Decision Maker Bought-In", "0.8"),
                ("Contract Sent", "0.9"), ("Closed Won", "1.0"), ("Closed Lost", "0.0")]):
            meta = {"probability": prob}
            if prob in ("1.0", "0.0"):
                meta["isClosed"] = "true"
            default.stages.append(Stage(label.lower().replace(" ", "").replace("-", ""), label, k,
                                        meta))
        self.pipelines: dict[str, Pipeline] = {"default": default}

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeHubSpot:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[assignment]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                         daemon=True).start()
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

    def snapshot(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return [(p.label, [(s.label, s.metadata.get("probability", ""))
                           for s in sorted(p.stages, key=lambda s: (s.display_order, s.label))])
                for p in sorted(self.pipelines.values(), key=lambda p: (p.display_order, p.label))]

    def _next(self) -> str:
        self._ids += 1
        return str(self._ids)

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
                    raise ApiError(self.fail_plan[number], "Injected failure", "ERROR")
                self._rate()
                scheme, _, token = (headers.get("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or token != self.token:
                    raise ApiError(401, "Authentication credentials not found.",
                                   "INVALID_AUTHENTICATION")
                if raw.strip():
                    try:
                        body = json.loads(raw.decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        raise ApiError(400, "Invalid input JSON") from None
                status, payload = self._route(method, url.path, query, body)
                if number in self.fail_after:
                    raise ApiError(500, "internal error (after the change was made)", "ERROR")
            except ApiError as exc:
                status = exc.status
                # P/R: Error {category, correlationId, message}
                payload = {"status": "error", "message": exc.message,
                           "correlationId": str(uuid.uuid4()), "category": exc.category,
                           **exc.extra}
            self.log.append((method, url.path, body, status))
            if number in self.garble:
                garbled = self.garble[number]
                ctype = "text/html" if garbled.lstrip().startswith(b"<") else "application/json"
                return 200, {"Content-Type": ctype}, garbled
        if status == 204:
            return 204, {}, b""
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    def _rate(self) -> None:
        if not self.burst:
            return
        now = time.monotonic()
        while self._window and now - self._window[0] >= self.window_s:
            self._window.popleft()
        if len(self._window) >= self.burst:
            raise ApiError(429, "You have reached your ten_secondly_rolling limit.", "RATE_LIMITS",
                           {"errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"})
        self._window.append(now)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        routes: list[tuple[str, str, Any]] = [
            ("GET", r"/crm/v3/pipelines/(\w+)", self._list_pipelines),
            ("POST", r"/crm/v3/pipelines/(\w+)", self._create_pipeline),
            ("GET", r"/crm/v3/pipelines/(\w+)/([\w-]+)", self._get_pipeline),
            ("PATCH", r"/crm/v3/pipelines/(\w+)/([\w-]+)", self._patch_pipeline),
            ("DELETE", r"/crm/v3/pipelines/(\w+)/([\w-]+)", self._delete_pipeline),
            ("GET", r"/crm/v3/pipelines/(\w+)/([\w-]+)/stages", self._list_stages),
            ("POST", r"/crm/v3/pipelines/(\w+)/([\w-]+)/stages", self._create_stage),
            ("PATCH", r"/crm/v3/pipelines/(\w+)/([\w-]+)/stages/([\w-]+)", self._patch_stage),
            ("DELETE", r"/crm/v3/pipelines/(\w+)/([\w-]+)/stages/([\w-]+)", self._delete_stage),
            ("GET", r"/crm/v3/properties/(\w+)", self._list_props),
            ("POST", r"/crm/v3/properties/(\w+)", self._create_prop),
            ("POST", r"/crm/v3/properties/(\w+)/batch/create", self._batch_create),
            ("GET", r"/crm/v3/properties/(\w+)/(\w+)", self._get_prop),
            ("PATCH", r"/crm/v3/properties/(\w+)/(\w+)", self._patch_prop),
            ("DELETE", r"/crm/v3/properties/(\w+)/(\w+)", self._delete_prop),
        ]
        allowed = []
        for m, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                if m == method:
                    return handler(query, body, *match.groups())  # type: ignore[no-any-return]
                allowed.append(m)
        raise ApiError(405 if allowed else 404, f"{method} {path} is not an endpoint",
                       "OBJECT_NOT_FOUND" if not allowed else "VALIDATION_ERROR")

    @staticmethod
    def _check(body: Any, keys: dict[str, Any], required: tuple[str, ...], what: str
               ) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, f"{what}: the body must be a JSON object")
        for key, value in body.items():
            if key not in keys:
                raise ApiError(400, f"{what}: unknown property `{key}`")
            kind = keys[key]
            if kind is not None and (not isinstance(value, kind)
                                     or (isinstance(value, bool) and kind is int)):
                raise ApiError(400, f"{what}: `{key}` has the wrong type")
        for key in required:
            if key not in body:
                raise ApiError(400, f"{what}: `{key}` is required")
        return body

    # ---------------------------------------------------------------- pipelines

    def _deals(self, object_type: str) -> None:
        if object_type != "deals":
            raise ApiError(400, f"this fake serves deal pipelines only, not {object_type}")

    def _stage_json(self, s: Stage) -> dict[str, Any]:
        # P: PipelineStage
        return {"id": s.id, "label": s.label, "displayOrder": s.display_order,
                "metadata": dict(s.metadata), "createdAt": "2026-12-05T00:00:00Z",
                "updatedAt": "2026-12-05T00:00:00Z", "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}

    def _pipeline_json(self, p: Pipeline) -> dict[str, Any]:
        # P: Pipeline
        return {"id": p.id, "label": p.label, "displayOrder": p.display_order,
                "stages": [self._stage_json(s) for s in p.stages],
                "createdAt": "2026-12-05T00:00:00Z", "updatedAt": "2026-12-05T00:00:00Z",
                "archived": False}

    def _pipeline(self, object_type: str, pid: str) -> Pipeline:
        self._deals(object_type)
        if pid not in self.pipelines:
            raise ApiError(404, f"pipeline {pid} does not exist", "OBJECT_NOT_FOUND")
        return self.pipelines[pid]

    def _stage_input(self, item: Any, where: str, patch: bool = False) -> dict[str, Any]:
        keys = {"displayOrder": int, "label": str, "metadata": dict, "stageId": str}
        if patch:  # P: PipelineStagePatchInput (metadata required)
            keys = {"archived": bool, "displayOrder": int, "label": str, "metadata": dict}
        s = self._check(item, keys, ("metadata",) if patch else
                        ("displayOrder", "label", "metadata"), where)
        meta = s["metadata"]
        for k, v in meta.items():
            if not isinstance(v, str):  # P: metadata additionalProperties are strings
                raise ApiError(400, f"{where}: metadata.{k} must be a string")
        # P: "For deals pipelines, the probability field is required ... between 0.0
        # and 1.0 in increments of 0.1"
        if meta.get("probability") not in PROBABILITIES:
            raise ApiError(400, f"{where}: metadata.probability must be 0.0..1.0 in steps of "
                           f"0.1, not {meta.get('probability')!r}")
        if "label" in s and not s["label"].strip():
            raise ApiError(400, f"{where}: label must not be empty")
        return s

    def _list_pipelines(self, query: dict[str, str], body: Any, object_type: str
                        ) -> tuple[int, Any]:
        self._deals(object_type)
        return 200, {"results": [self._pipeline_json(p) for p in self.pipelines.values()]}

    def _get_pipeline(self, query: dict[str, str], body: Any, object_type: str,
                      pid: str) -> tuple[int, Any]:
        return 200, self._pipeline_json(self._pipeline(object_type, pid))

    def _create_pipeline(self, query: dict[str, str], body: Any, object_type: str
                         ) -> tuple[int, Any]:
        self._deals(object_type)
        b = self._check(body, {"displayOrder": int, "label": str, "pipelineId": str,
                               "stages": list}, ("displayOrder", "label", "stages"),
                        "PipelineInput")
        self._label(b["label"])
        if len(self.pipelines) >= self.max_pipelines:
            raise ApiError(400, f"the portal holds its limit of {self.max_pipelines} pipelines")
        if not b["stages"]:
            raise ApiError(400, "PipelineInput: a pipeline needs stages")
        if len(b["stages"]) > MAX_STAGES:
            raise ApiError(400, f"a pipeline holds at most {MAX_STAGES} stages")
        stages = [self._stage_input(s, f"stages[{k}]") for k, s in enumerate(b["stages"])]
        labels = [s["label"].casefold() for s in stages]
        if len(set(labels)) != len(labels):  # P: "must be unique within that pipeline"
            raise ApiError(400, "stage labels must be unique within the pipeline")
        pipe = Pipeline(self._next(), b["label"], b["displayOrder"])
        pipe.stages = [Stage(self._next(), s["label"], s["displayOrder"], dict(s["metadata"]))
                       for s in stages]
        self.pipelines[pipe.id] = pipe
        return 201, self._pipeline_json(pipe)

    def _label(self, label: str, exclude: str | None = None) -> None:
        if not label.strip():
            raise ApiError(400, "label must not be empty")
        if len(label) > MAX_LABEL:
            raise ApiError(400, f"a pipeline label holds at most {MAX_LABEL} characters")
        if any(p.label == label and p.id != exclude for p in self.pipelines.values()):
            raise ApiError(409, f"a pipeline labelled {label!r} exists", "CONFLICT")

    def _patch_pipeline(self, query: dict[str, str], body: Any, object_type: str,
                        pid: str) -> tuple[int, Any]:
        pipe = self._pipeline(object_type, pid)
        b = self._check(body, {"archived": bool, "displayOrder": int, "label": str}, (),
                        "PipelinePatchInput")
        if "archived" in b:  # P: only when restoring an archived pipeline
            raise ApiError(400, "`archived` is only for restoring an archived pipeline")
        if "label" in b:
            self._label(b["label"], pid)
            pipe.label = b["label"]
        pipe.display_order = b.get("displayOrder", pipe.display_order)
        return 200, self._pipeline_json(pipe)

    def _delete_pipeline(self, query: dict[str, str], body: Any, object_type: str,
                         pid: str) -> tuple[int, Any]:
        self._pipeline(object_type, pid)
        if len(self.pipelines) == 1:
            raise ApiError(400, "a portal keeps at least one deal pipeline")
        del self.pipelines[pid]
        return 204, None

    def _list_stages(self, query: dict[str, str], body: Any, object_type: str,
                     pid: str) -> tuple[int, Any]:
        pipe = self._pipeline(object_type, pid)
        return 200, {"results": [self._stage_json(s) for s in pipe.stages]}

    def _create_stage(self, query: dict[str, str], body: Any, object_type: str,
                      pid: str) -> tuple[int, Any]:
        pipe = self._pipeline(object_type, pid)
        s = self._stage_input(body, "PipelineStageInput")
        if any(x.label.casefold() == s["label"].casefold() for x in pipe.stages):
            raise ApiError(409, f"a stage labelled {s['label']!r} exists in the pipeline",
                           "CONFLICT")
        if len(pipe.stages) >= MAX_STAGES:
            raise ApiError(400, f"a pipeline holds at most {MAX_STAGES} stages")
        stage = Stage(self._next(), s["label"], s["displayOrder"], dict(s["metadata"]))
        pipe.stages.append(stage)
        return 201, self._stage_json(stage)

    def _stage(self, pipe: Pipeline, sid: str) -> Stage:
        for s in pipe.stages:
            if s.id == sid:
                return s
        raise ApiError(404, f"stage {sid} does not exist", "OBJECT_NOT_FOUND")

    def _patch_stage(self, query: dict[str, str], body: Any, object_type: str, pid: str,
                     sid: str) -> tuple[int, Any]:
        pipe = self._pipeline(object_type, pid)
        stage = self._stage(pipe, sid)
        s = self._stage_input(body, "PipelineStagePatchInput", patch=True)
        if "label" in s:
            if any(x.label.casefold() == s["label"].casefold() and x.id != sid
                   for x in pipe.stages):
                raise ApiError(409, "stage labels must be unique within the pipeline",
                               "CONFLICT")
            stage.label = s["label"]
        stage.display_order = s.get("displayOrder", stage.display_order)
        stage.metadata = {**stage.metadata, **s["metadata"]}
        return 200, self._stage_json(stage)

    def _delete_stage(self, query: dict[str, str], body: Any, object_type: str, pid: str,
                      sid: str) -> tuple[int, Any]:
        pipe = self._pipeline(object_type, pid)
        stage = self._stage(pipe, sid)
        if len(pipe.stages) == 1:
            raise ApiError(400, "a pipeline keeps at least one stage")
        pipe.stages.remove(stage)
        return 204, None

    # ---------------------------------------------------------------- properties

    def _props(self, obj: str) -> dict[str, Prop]:
        if obj not in self.props:
            raise ApiError(400, f"unknown object type {obj}")
        return self.props[obj]

    def _prop_json(self, obj: str, p: Prop) -> dict[str, Any]:
        # R: Property (required: description, fieldType, groupName, label, name, options, type)
        return {"name": p.name, "label": p.label, "type": p.type, "fieldType": p.field_type,
                "groupName": p.group, "description": "", "options": [dict(o) for o in p.options],
                "hubspotDefined": p.defined, "archived": False, "displayOrder": -1,
                "createdAt": "2026-12-05T00:00:00Z", "updatedAt": "2026-12-05T00:00:00Z",
                "formField": False, "hidden": False}

    def _options(self, value: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ApiError(400, f"{where}: options must be an array")
        out = []
        for k, o in enumerate(value):
            opt = self._check(o, {"description": str, "displayOrder": int, "hidden": bool,
                                  "label": str, "value": str}, ("hidden", "label", "value"),
                              f"{where}.options[{k}]")
            if not opt["label"].strip() or not opt["value"].strip():
                raise ApiError(400, f"{where}.options[{k}]: label and value must not be empty")
            out.append(dict(opt))
        values = [o["value"] for o in out]
        if len(set(values)) != len(values):
            raise ApiError(400, f"{where}: option values must be unique")
        return out

    def _shape(self, ptype: str, ftype: str, options: list[dict[str, Any]], where: str) -> None:
        if ptype not in TYPES or ftype not in FIELD_TYPES:
            raise ApiError(400, f"{where}: type {ptype!r} / fieldType {ftype!r} not allowed")
        if ptype == "enumeration" and not options:  # R: required for enumerated properties
            raise ApiError(400, f"{where}: options are required for an enumeration")
        if ptype == "bool" and ftype != "booleancheckbox":
            raise ApiError(400, f"{where}: a bool property is a booleancheckbox")
        if ptype not in ("enumeration", "bool") and options:
            raise ApiError(400, f"{where}: a {ptype} property has no options")

    def _new_prop(self, obj: str, body: Any, where: str) -> Prop:
        types: dict[str, Any] = dict.fromkeys(CREATE_KEYS)
        types.update({"name": str, "label": str, "type": str, "fieldType": str,
                      "groupName": str, "options": list, "displayOrder": int, "hidden": bool})
        b = self._check(body, types, ("fieldType", "groupName", "label", "name", "type"), where)
        props = self._props(obj)
        if b["name"] in props:
            raise ApiError(409, f"{where}: a property named {b['name']!r} exists", "CONFLICT")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", b["name"]):
            raise ApiError(400, f"{where}: name {b['name']!r} must be lower-case letters, "
                           "digits and _")
        if b["groupName"] not in GROUPS[obj]:
            raise ApiError(400, f"{where}: group {b['groupName']!r} does not exist")
        options = self._options(b.get("options", []), where)
        self._shape(b["type"], b["fieldType"], options, where)
        return Prop(b["name"], b["label"], b["type"], b["fieldType"], b["groupName"], options)

    def _list_props(self, query: dict[str, str], body: Any, obj: str) -> tuple[int, Any]:
        return 200, {"results": [self._prop_json(obj, p) for p in self._props(obj).values()]}

    def _get_prop(self, query: dict[str, str], body: Any, obj: str, name: str
                  ) -> tuple[int, Any]:
        props = self._props(obj)
        if name not in props:
            raise ApiError(404, f"property {name} does not exist", "OBJECT_NOT_FOUND")
        return 200, self._prop_json(obj, props[name])

    def _create_prop(self, query: dict[str, str], body: Any, obj: str) -> tuple[int, Any]:
        prop = self._new_prop(obj, body, "PropertyCreate")
        self._props(obj)[prop.name] = prop
        return 201, self._prop_json(obj, prop)

    def _batch_create(self, query: dict[str, str], body: Any, obj: str) -> tuple[int, Any]:
        b = self._check(body, {"inputs": list}, ("inputs",), "BatchInputPropertyCreate")
        made = [self._new_prop(obj, item, f"inputs[{k}]") for k, item in enumerate(b["inputs"])]
        names = [p.name for p in made]
        if len(set(names)) != len(names):
            raise ApiError(400, "inputs name one property twice")
        for p in made:
            self._props(obj)[p.name] = p
        # R: BatchResponseProperty
        return 201, {"status": "COMPLETE", "results": [self._prop_json(obj, p) for p in made],
                     "startedAt": "2026-12-05T00:00:00Z", "completedAt": "2026-12-05T00:00:01Z"}

    def _patch_prop(self, query: dict[str, str], body: Any, obj: str, name: str
                    ) -> tuple[int, Any]:
        props = self._props(obj)
        if name not in props:
            raise ApiError(404, f"property {name} does not exist", "OBJECT_NOT_FOUND")
        prop = props[name]
        types: dict[str, Any] = dict.fromkeys(UPDATE_KEYS)
        types.update({"label": str, "type": str, "fieldType": str, "groupName": str,
                      "options": list})
        b = self._check(body, types, (), "PropertyUpdate")
        options = self._options(b["options"], "PropertyUpdate") if "options" in b \
            else prop.options
        ptype, ftype = b.get("type", prop.type), b.get("fieldType", prop.field_type)
        self._shape(ptype, ftype, options, "PropertyUpdate")
        prop.type, prop.field_type, prop.options = ptype, ftype, options
        prop.label = b.get("label", prop.label)
        return 200, self._prop_json(obj, prop)

    def _delete_prop(self, query: dict[str, str], body: Any, obj: str, name: str
                     ) -> tuple[int, Any]:
        props = self._props(obj)
        if name not in props:
            raise ApiError(404, f"property {name} does not exist", "OBJECT_NOT_FOUND")
        if props[name].defined:
            raise ApiError(400, f"{name} is a HubSpot-defined property: it cannot be deleted")
        del props[name]
        return 204, None


@contextlib.contextmanager
def running_fake_hubspot(token: str = "test-token", **knobs: Any) -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(token, **knobs).start()
    try:
        yield fake
    finally:
        fake.stop()
