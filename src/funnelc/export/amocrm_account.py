"""What an amoCRM account holds, read through the API: the side of the comparison that
`funnelc apply` plans against. Plain dataclasses built from amoCRM's JSON, so the planner
never sees HAL envelopes. Loss reasons are read with the fields the official PHP SDK's
`LossReasonModel::fromArray` requires (`id`, `name`, `sort`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..jsontypes import JSON, JSONObject
from .amocrm_client import AmoBadAnswer, AmoClient

__all__ = ["RemoteStatus", "RemotePipeline", "RemoteField", "RemoteLossReason", "Account",
           "read_account", "parse_loss_reason",
           "parse_pipeline", "parse_field", "json_int", "ENTITIES", "WON_ID", "LOST_ID"]

ENTITIES = ("leads", "contacts", "companies")
WON_ID, LOST_ID = 142, 143
T = TypeVar("T")


@dataclass
class RemoteStatus:
    id: int
    name: str
    sort: int
    color: str
    type: int
    descriptions: list[JSONObject] | None = None
    """None when not read (amoCRM sends them only with `with=descriptions`)."""

    @property
    def system(self) -> bool:
        """Unsorted (type 1), won 142 and lost 143: created by amoCRM, never ours to delete."""
        return self.type == 1 or self.id in (WON_ID, LOST_ID)

    def description(self, level: str = "newbie") -> JSONObject | None:
        return next((d for d in self.descriptions or [] if d.get("level") == level), None)


@dataclass
class RemotePipeline:
    id: int
    name: str
    sort: int
    is_main: bool
    statuses: list[RemoteStatus] = field(default_factory=list)

    @property
    def user_statuses(self) -> list[RemoteStatus]:
        return sorted((s for s in self.statuses if not s.system), key=lambda s: (s.sort, s.id))

    def user_status(self, name: str) -> RemoteStatus | None:
        return next((s for s in self.user_statuses if s.name == name), None)

    def status(self, status_id: int) -> RemoteStatus | None:
        return next((s for s in self.statuses if s.id == status_id), None)


@dataclass
class RemoteField:
    id: int
    entity: str
    name: str
    type: str
    code: str | None
    enums: list[JSONObject]
    """As amoCRM sent them (each with an `id` and a `value`): sent back on a PATCH."""
    required: list[tuple[int, int]]
    deletable: bool


@dataclass
class RemoteLossReason:
    """One of the account's loss reasons (one list for every pipeline)."""

    id: int
    name: str
    sort: int


@dataclass
class Account:
    pipelines: list[RemotePipeline]
    fields: dict[str, list[RemoteField]]
    loss_reasons: list[RemoteLossReason] = field(default_factory=list)
    """In amoCRM's order (sort, then id)."""

    def loss_reason(self, name: str) -> RemoteLossReason | None:
        return next((r for r in self.loss_reasons if r.name == name), None)

    def pipeline(self, name: str) -> RemotePipeline | None:
        return next((p for p in self.pipelines if p.name == name), None)

    def field(self, entity: str, name: str | None = None, code: str | None = None) -> RemoteField | None:
        for f in self.fields.get(entity, []):
            if (code is not None and f.code == code) or (code is None and f.name == name):
                return f
        return None


def json_int(value: JSON) -> int:
    """`int(value)` for what an answer may hold there (a number, or digits in a string);
    TypeError for anything else, as `int()` itself would raise (`read_account` turns both
    into a message naming the request and the item)."""
    if isinstance(value, (int, float, str)):
        return int(value)
    raise TypeError(f"expected an integer, not {type(value).__name__}")


def _object(value: JSON) -> JSONObject:
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return value


def _objects(value: JSON, *keys: str) -> list[JSONObject] | None:
    """A list of objects each holding `keys`, None for null; TypeError/KeyError otherwise
    (`read_account` turns those into a message naming the request and the item)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise TypeError("expected a list")
    out: list[JSONObject] = []
    for item in value:
        item = _object(item)
        for key in keys:
            if key not in item:
                raise KeyError(key)
        out.append(item)
    return out


def _items(value: JSON) -> list[JSON]:
    """What `for item in value` gives: the items of an array, the keys of an object, the
    characters of a string (none of them a status pair, so skipped where pairs are read,
    as before this was typed); TypeError for a number, a boolean or null."""
    if isinstance(value, list):
        return value
    if isinstance(value, (dict, str)):
        return list(value)
    raise TypeError("expected a list")


def parse_status(raw: JSONObject) -> RemoteStatus:
    return RemoteStatus(json_int(raw["id"]), str(raw.get("name", "")),
                        json_int(raw.get("sort") or 0), str(raw.get("color") or ""),
                        json_int(raw.get("type") or 0), _objects(raw.get("descriptions")))


def parse_pipeline(raw: JSONObject) -> RemotePipeline:
    statuses = _items(_object(raw.get("_embedded") or {}).get("statuses") or [])
    return RemotePipeline(json_int(raw["id"]), str(raw.get("name", "")),
                          json_int(raw.get("sort") or 0), bool(raw.get("is_main")),
                          [parse_status(_object(s)) for s in statuses])


def parse_field(raw: JSONObject, entity: str) -> RemoteField:
    enums = _objects(raw.get("enums"), "id", "value") or []
    for e in enums:
        json_int(e["id"])  # the planner keeps enum ids and sorts as numbers: refuse others now
        json_int(e.get("sort") or 0)
    pairs = [(json_int(p["pipeline_id"]), json_int(p["status_id"]))
             for p in _items(raw.get("required_statuses") or [])
             if isinstance(p, dict) and "pipeline_id" in p and "status_id" in p]
    deletable = bool(raw.get("is_deletable", True)) and not raw.get("is_predefined", False)
    code = raw.get("code")
    return RemoteField(json_int(raw["id"]), entity, str(raw.get("name", "")),
                       str(raw.get("type", "")), code if isinstance(code, str) else None,
                       enums, pairs, deletable)


def parse_loss_reason(raw: JSONObject) -> RemoteLossReason:
    return RemoteLossReason(json_int(raw["id"]), str(raw["name"]), json_int(raw.get("sort") or 0))


def read_account(client: AmoClient, descriptions_for: set[str] | None = None) -> Account:
    """Pipelines with statuses, the custom fields of deals, contacts and companies
    (every page) and the loss reasons. Statuses' descriptions are read for the pipelines
    named in `descriptions_for` only: one more request each, and only they are compared."""
    what = client.where("GET", "/api/v4/leads/pipelines")
    pipelines = [_parsed(parse_pipeline, p, what, f"_embedded.pipelines[{i}]")
                 for i, p in enumerate(client.get_pipelines())]
    for pipe in pipelines:
        if descriptions_for and pipe.name in descriptions_for:
            what = client.where("GET", f"/api/v4/leads/pipelines/{pipe.id}/statuses")
            pipe.statuses = [_parsed(parse_status, s, what, f"_embedded.statuses[{i}]")
                             for i, s in enumerate(client.get_statuses(pipe.id))]
    # The lambda runs inside the comprehension, while `entity` is still this one.
    fields = {entity: [_parsed(lambda raw: parse_field(raw, entity), f,  # noqa: B023
                               client.where("GET", f"/api/v4/{entity}/custom_fields"),
                               f"_embedded.custom_fields[{i}]")
                       for i, f in enumerate(client.get_custom_fields(entity))]
              for entity in ENTITIES}
    what = client.where("GET", "/api/v4/leads/loss_reasons")
    reasons = [_parsed(parse_loss_reason, r, what, f"_embedded.loss_reasons[{i}]")
               for i, r in enumerate(client.get_loss_reasons())]
    reasons.sort(key=lambda r: (r.sort, r.id))
    return Account(pipelines, fields, reasons)


def _parsed(parse: Callable[[JSONObject], T], raw: JSONObject, what: str, where: str) -> T:
    """`parse(raw)`, or `AmoBadAnswer` naming the request and the item whose shape is not
    amoCRM's (a missing `id`, a string where a list belongs …)."""
    try:
        return parse(raw)
    except KeyError as exc:
        problem = f"`{where}.{exc.args[0]}` is missing"
    except (TypeError, ValueError, AttributeError, OverflowError):
        problem = f"`{where}` has a field of the wrong type"
    raise AmoBadAnswer(f"{what}: {problem}; expected amoCRM's answer shape", 0)
