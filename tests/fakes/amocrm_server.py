"""A loopback fake of amoCRM API v4: pipelines, statuses and custom fields.

Why this exists: ``funnelc apply amocrm`` talks to amoCRM over HTTP (httpx). Its
end-to-end tests must run without network and without a real account, yet still
exercise the parts of the contract that break clients in practice: HAL envelopes,
server-side renumbering of ``sort``, the 142/143 system statuses, the 21-colour
palette, ``required_statuses`` that must name real (pipeline, status) pairs,
paging, 401/403/429 and transient 5xx. This module plays that contract as it is
written down in ``/work/shared/research/crm-formats.md`` §1 (and, where that is
silent, the vendor page ``crm_platform/custom-fields``). Standard library only,
so it can never drift with a third-party mock library.

Use it through :func:`running_fake_amocrm`::

    with running_fake_amocrm(token="t") as amo:
        r = httpx.get(amo.base_url + "/api/v4/leads/pipelines", headers=amo.auth_headers)

Choices made where the contract is silent (a client that works here should also
work against the real service, so when in doubt the fake is the stricter one):

* Status codes: 400 = the request itself is wrong (per-item problems come in the
  ``validation-errors`` shape of §1.9); 422 = a well-formed request the account
  state forbids (50-pipeline limit, adding statuses past 100 to an existing
  pipeline, deleting the last pipeline / a pipeline with leads / a system status,
  changing a system status' sort or colour, paid "Super-fields" features).
  Deleting a predefined custom field answers 400, as the vendor's DELETE table
  has no 422.
* Request checks run in this order: account blocked (403) → ``fail_plan``
  injection → rate limit (429) → token (401) → JSON body (400) → route (404/405).
  Only requests that pass the rate-limit gate count towards the window, so the
  fake never *serves* more than ``rate_limit_per_s`` requests in any 1 s window.
* A pipeline created without ``_embedded.statuses`` gets only the three system
  statuses. Every pipeline gets «Неразобранное» (type 1, ``#c1c1c1``, sort 10)
  whatever ``is_unsorted_on`` says, as in the doc example.
* User statuses are always renumbered 20, 30, 40 … in the order of the ``sort``
  values sent (ties keep request order; a PATCHed ``sort`` wins ties). This
  reproduces both doc examples (sent 10 → got 20; POSTed 100/200 after four
  defaults → got 60/70). Clients must rely on relative order only.
* Colours must be one of the 21 palette strings exactly (lower-case).
  Colour/sort of system statuses cannot be set; 142/143 can only be renamed.
* ``request_id`` is echoed on pipelines (POST), on statuses created by
  ``POST …/statuses`` and on custom fields (POST/PATCH batch); it defaults to the
  item's index as a string. It is deliberately *not* echoed on statuses embedded
  in a new pipeline (§7: unconfirmed), so clients must map those by name/order.
* ``descriptions`` of statuses are returned only when the query has
  ``with=descriptions``.
* ``PATCH …/pipelines/{id}`` with ``_embedded`` is refused (statuses can be
  embedded only on creation); a real server may silently ignore it.
* Custom field ``code`` values are unique per entity (400 ``Duplicate``).
  ``PATCH`` of custom fields requires ``name`` (vendor table) and answers 201
  (vendor table); ``enums`` sent in PATCH replace the list, items with ``id``
  keep their id. ``required_statuses`` sent in PATCH replaces the whole list.
* Deleting a pipeline or status drops it from every field's
  ``required_statuses``/``hidden_statuses``.
* Loss reasons (``/api/v4/leads/loss_reasons``), as the official PHP SDK uses them
  (amocrm/amocrm-api-php, ``src/AmoCRM/EntitiesServices/Leads/LossReasons.php`` and
  ``src/AmoCRM/Models/Leads/LossReasons/LossReasonModel.php``): the list and the by-id
  answer carry ``id``, ``name``, ``sort``, ``created_at``, ``updated_at`` (what
  ``LossReasonModel::fromArray`` reads; the same fields as Kommo's reference
  developers.kommo.com/reference/loss-reasons) under ``_embedded.loss_reasons``
  (``getEntitiesFromResponse``); an empty list answers 204, as custom fields do.
  ``POST`` takes an array of ``toApi()`` bodies: ``name`` (required string), ``sort``
  (optional integer) and ``request_id``, which may not be 0 (the SDK sends index + 1:
  "Бага в API не принимает 0"), echoed in the answer (``processAction`` matches by
  it). ``PATCH …/loss_reasons/{id}`` (``updateOne``) changes one reason; a batch
  ``PATCH`` and a batch ``DELETE`` are refused (405: the SDK's ``update`` and
  ``delete`` throw NotAvailableForAction); ``DELETE …/{id}`` answers 204
  (``deleteOne``). Names are not required to be unique: nothing documents it.
"""

from __future__ import annotations

import contextlib
import http
import json
import re
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

__all__ = [
    "ACCOUNT_ID",
    "ENUM_FIELD_TYPES",
    "FIELD_TYPES",
    "LOST_STATUS_ID",
    "MAX_PIPELINES",
    "MAX_STATUSES_PER_PIPELINE",
    "STATUS_COLORS",
    "UNSORTED_COLOR",
    "WON_STATUS_ID",
    "AmoState",
    "CustomField",
    "Description",
    "EnumValue",
    "FailPlan",
    "LossReason",
    "FakeAmo",
    "LoggedRequest",
    "Pipeline",
    "Status",
    "running_fake_amocrm",
]

# --------------------------------------------------------------------------- contract constants

ACCOUNT_ID = 31_337_001
WON_STATUS_ID = 142
LOST_STATUS_ID = 143
SYSTEM_STATUS_IDS = frozenset({WON_STATUS_ID, LOST_STATUS_ID})
MAX_PIPELINES = 50
MAX_STATUSES_PER_PIPELINE = 100  # system statuses included (§1.1)
UNSORTED_NAME = "Неразобранное"
UNSORTED_COLOR = "#c1c1c1"
WON_NAME = "Успешно реализовано"
LOST_NAME = "Закрыто и не реализовано"
WON_COLOR = "#CCFF66"
LOST_COLOR = "#D5D8DB"
UNSORTED_SORT, WON_SORT, LOST_SORT = 10, 10_000, 11_000
FIRST_USER_SORT, USER_SORT_STEP = 20, 10

#: The only colours a client may set on a status (§1.2, ``StatusModel::COLORS``).
STATUS_COLORS: tuple[str, ...] = (
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb",
    "#ffc8c8", "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81",
    "#87f2c0", "#f9deff", "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea",
)
DEFAULT_STATUS_COLOR = STATUS_COLORS[0]
DESCRIPTION_LEVELS = ("newbie", "candidate", "master")
MAX_DESCRIPTION_CHARS = 1000

_COMMON_TYPES = frozenset({
    "text", "numeric", "checkbox", "select", "multiselect", "date", "url", "date_time",
    "textarea", "radiobutton", "streetaddress", "smart_address", "birthday",
    "legal_entity", "monetary", "file",
})
#: Field types a client may create per entity (§1.3 + vendor availability table).
FIELD_TYPES: dict[str, frozenset[str]] = {
    "leads": _COMMON_TYPES | {"tracking_data", "chained_list"},
    "contacts": _COMMON_TYPES | {"multitext"},
    "companies": _COMMON_TYPES,
}
ENUM_FIELD_TYPES = frozenset({"select", "multiselect", "radiobutton"})
SUPER_FIELD_TYPES = frozenset({"chained_list", "monetary"})
REMIND_VALUES = ("never", "day", "week", "month")
DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT = 50, 250

# --------------------------------------------------------------------------- account model


@dataclass
class Description:
    """One of at most three per-level texts attached to a status."""

    id: int
    level: str
    description: str


@dataclass
class Status:
    """A stage of a pipeline; ids 142/143 repeat in every pipeline, as in amoCRM."""

    id: int
    name: str
    sort: int
    pipeline_id: int
    color: str
    type: int = 0  # 1 = unsorted, 0 = everything else (142/143 included)
    is_editable: bool = True
    descriptions: list[Description] = field(default_factory=list)

    @property
    def is_system(self) -> bool:
        """Unsorted, won and lost: created by the server, never deletable."""
        return self.type == 1 or self.id in SYSTEM_STATUS_IDS


@dataclass
class Pipeline:
    """A lead pipeline with its statuses (kept in display order by ``sort``)."""

    id: int
    name: str
    sort: int
    is_main: bool
    is_unsorted_on: bool
    is_archive: bool = False
    statuses: list[Status] = field(default_factory=list)

    def status(self, status_id: int) -> Status | None:
        """The status with this id in this pipeline, if any."""
        return next((s for s in self.statuses if s.id == status_id), None)

    def status_by_name(self, name: str) -> Status | None:
        """First status with this exact name (test convenience)."""
        return next((s for s in self.statuses if s.name == name), None)

    def user_statuses(self) -> list[Status]:
        """Statuses that are neither unsorted nor 142/143, in display order."""
        return sorted((s for s in self.statuses if not s.is_system), key=lambda s: (s.sort, s.id))

    def ordered_statuses(self) -> list[Status]:
        """All statuses in the order amoCRM shows them."""
        return sorted(self.statuses, key=lambda s: (s.sort, s.id))


@dataclass
class EnumValue:
    """An option of a select/multiselect/radiobutton (or multitext) field."""

    id: int
    value: str
    sort: int
    code: str | None = None


@dataclass
class CustomField:
    """A custom field of ``leads``, ``contacts`` or ``companies``."""

    id: int
    entity: str
    name: str
    type: str
    sort: int
    code: str | None = None
    is_api_only: bool = False
    group_id: str | None = None
    enums: list[EnumValue] | None = None
    required_statuses: list[tuple[int, int]] = field(default_factory=list)  # (pipeline, status)
    hidden_statuses: list[tuple[int, int]] = field(default_factory=list)
    remind: str | None = None
    currency: str | None = None
    is_predefined: bool = False
    is_deletable: bool = True


@dataclass
class LossReason:
    """A loss reason of the account (one list for every pipeline)."""

    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int


@dataclass
class AmoState:
    """The whole fake account. Tests may read and edit it directly (under no lock:
    do it between requests, not while a client is running in another thread)."""

    account_id: int = ACCOUNT_ID
    pipelines: dict[int, Pipeline] = field(default_factory=dict)
    custom_fields: dict[str, dict[int, CustomField]] = field(
        default_factory=lambda: {entity: {} for entity in FIELD_TYPES}
    )
    #: Pipelines that "contain leads" and therefore cannot be deleted (§1.1).
    pipelines_with_leads: set[int] = field(default_factory=set)
    #: The paid "Супер-поля" option: hidden_statuses, chained_list, monetary.
    super_fields: bool = False
    loss_reasons: dict[int, LossReason] = field(default_factory=dict)
    _counters: dict[str, int] = field(
        default_factory=lambda: {
            "pipeline": 7_100_000, "status": 61_000_000, "field": 910_000,
            "enum": 520_000, "description": 3_000, "loss_reason": 4_203_700,
        }
    )

    def next_id(self, kind: str) -> int:
        """Allocate a fresh id of the given kind (pipeline/status/field/enum/description)."""
        self._counters[kind] += 1
        return self._counters[kind]

    @classmethod
    def new_account(cls) -> AmoState:
        """A freshly registered account: one main pipeline «Воронка» with the
        unsorted status, four default stages, 142 and 143; built-in contact and
        company fields (PHONE/EMAIL multitext …) so paging has something to page."""
        state = cls()
        pipeline = state.make_pipeline("Воронка", sort=1, is_main=True, is_unsorted_on=True)
        defaults = [
            ("Первичный контакт", "#99ccff"), ("Переговоры", "#ffff99"),
            ("Принимают решение", "#ffcc66"), ("Согласование договора", "#ffcccc"),
        ]
        user = [
            Status(state.next_id("status"), name, 0, pipeline.id, color) for name, color in defaults
        ]
        pipeline.statuses.extend(user)
        _renumber(user)
        phone_enums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
        email_enums = ["WORK", "PRIV", "OTHER"]
        im_enums = ["SKYPE", "ICQ", "JABBER", "GTALK", "MSN", "OTHER"]
        builtin = dict(is_predefined=True, is_deletable=False)
        state.add_custom_field("contacts", "Должность", "text", code="POSITION", sort=2, **builtin)
        state.add_custom_field("contacts", "Телефон", "multitext", code="PHONE", sort=4,
                               enums=phone_enums, **builtin)
        state.add_custom_field("contacts", "Email", "multitext", code="EMAIL", sort=6,
                               enums=email_enums, **builtin)
        state.add_custom_field("contacts", "Мгн. сообщения", "multitext", code="IM", sort=8,
                               enums=im_enums, **builtin)
        state.add_custom_field("companies", "Телефон", "multitext", code="PHONE", sort=4,
                               enums=phone_enums, **builtin)
        state.add_custom_field("companies", "Email", "multitext", code="EMAIL", sort=6,
                               enums=email_enums, **builtin)
        state.add_custom_field("companies", "Web", "url", code="WEB", sort=8, **builtin)
        state.add_custom_field("companies", "Адрес", "textarea", code="ADDRESS", sort=10, **builtin)
        return state

    def make_pipeline(self, name: str, *, sort: int, is_main: bool, is_unsorted_on: bool,
                      won_name: str = WON_NAME, lost_name: str = LOST_NAME) -> Pipeline:
        """Create and store a pipeline holding just the three system statuses."""
        pid = self.next_id("pipeline")
        pipeline = Pipeline(pid, name, sort, is_main, is_unsorted_on)
        pipeline.statuses = [
            Status(self.next_id("status"), UNSORTED_NAME, UNSORTED_SORT, pid, UNSORTED_COLOR,
                   type=1, is_editable=False),
            Status(WON_STATUS_ID, won_name, WON_SORT, pid, WON_COLOR, is_editable=False),
            Status(LOST_STATUS_ID, lost_name, LOST_SORT, pid, LOST_COLOR, is_editable=False),
        ]
        if is_main:
            for other in self.pipelines.values():
                other.is_main = False
        self.pipelines[pid] = pipeline
        return pipeline

    def add_custom_field(self, entity: str, name: str, type: str, *, code: str | None = None,
                         sort: int | None = None, enums: Sequence[str] | None = None,
                         required_statuses: Sequence[tuple[int, int]] = (),
                         is_predefined: bool = False, is_deletable: bool = True) -> CustomField:
        """Seed a field directly (no validation) — for tests that need a pre-existing account."""
        fields = self.custom_fields[entity]
        if sort is None:
            sort = max((f.sort for f in fields.values()), default=500) + 1
        enum_values = None
        if enums is not None:
            enum_values = [EnumValue(self.next_id("enum"), v, 2 * (i + 1)) for i, v in enumerate(enums)]
        cf = CustomField(self.next_id("field"), entity, name, type, sort, code=code,
                         enums=enum_values, required_statuses=list(required_statuses),
                         is_predefined=is_predefined, is_deletable=is_deletable)
        fields[cf.id] = cf
        return cf

    def add_loss_reason(self, name: str, sort: int | None = None) -> LossReason:
        """Seed a loss reason directly (no validation) — for tests of an existing account."""
        if sort is None:
            sort = max((r.sort for r in self.loss_reasons.values()), default=99_990) + 10
        now = int(time.time())
        reason = LossReason(self.next_id("loss_reason"), name, sort, now, now)
        self.loss_reasons[reason.id] = reason
        return reason

    def ordered_loss_reasons(self) -> list[LossReason]:
        """Loss reasons in the order amoCRM lists them (sort, then id)."""
        return sorted(self.loss_reasons.values(), key=lambda r: (r.sort, r.id))

    def main_pipeline(self) -> Pipeline | None:
        """The pipeline flagged ``is_main`` (None only if a client un-flagged it)."""
        return next((p for p in self.pipelines.values() if p.is_main), None)

    def pipeline_by_name(self, name: str) -> Pipeline | None:
        """First pipeline with this exact name (test convenience)."""
        return next((p for p in self.pipelines.values() if p.name == name), None)

    def ordered_pipelines(self) -> list[Pipeline]:
        """Pipelines in the order amoCRM lists them."""
        return sorted(self.pipelines.values(), key=lambda p: (p.sort, p.id))

    def has_status(self, pipeline_id: int, status_id: int) -> bool:
        """Whether (pipeline_id, status_id) names an existing stage."""
        pipeline = self.pipelines.get(pipeline_id)
        return pipeline is not None and pipeline.status(status_id) is not None

    def fields(self, entity: str) -> list[CustomField]:
        """Custom fields of an entity in list order (sort, then id)."""
        return sorted(self.custom_fields[entity].values(), key=lambda f: (f.sort, f.id))

    def field_by_code(self, entity: str, code: str) -> CustomField | None:
        """The field of an entity with this code, if any."""
        return next((f for f in self.custom_fields[entity].values() if f.code == code), None)

    def field_by_name(self, entity: str, name: str) -> CustomField | None:
        """First field of an entity with this exact name (test convenience)."""
        return next((f for f in self.custom_fields[entity].values() if f.name == name), None)

    def forget_status_refs(self, pipeline_id: int, status_id: int | None = None) -> None:
        """Drop (pipeline, status) pairs — or every pair of a pipeline — from all fields."""
        def keep(pair: tuple[int, int]) -> bool:
            return not (pair[0] == pipeline_id and (status_id is None or pair[1] == status_id))

        for fields in self.custom_fields.values():
            for cf in fields.values():
                cf.required_statuses = [p for p in cf.required_statuses if keep(p)]
                cf.hidden_statuses = [p for p in cf.hidden_statuses if keep(p)]


def _renumber(ordered_user_statuses: Sequence[Status]) -> None:
    """Give user statuses the server's sort values: 20, 30, 40 … (unsorted keeps 10)."""
    for i, status in enumerate(ordered_user_statuses):
        status.sort = FIRST_USER_SORT + USER_SORT_STEP * i


# --------------------------------------------------------------------------- errors and validation


class ApiError(Exception):
    """An error answer; rendered as ``application/problem+json``."""

    def __init__(self, status: int, detail: str, *, extra: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def problem(self) -> dict[str, Any]:
        """The problem+json body (validation errors first, as in the doc example)."""
        body: dict[str, Any] = dict(self.extra)
        body.update({
            "title": _phrase(self.status),
            "type": f"https://httpstatus.es/{self.status}",
            "status": self.status,
            "detail": self.detail,
        })
        return body


Err = dict[str, str]


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:  # an unusual code injected through fail_plan
        return "Error"


def _err(code: str, path: str, detail: str) -> Err:
    return {"code": code, "path": path, "detail": detail}


def _validation_failed(items: list[tuple[str, list[Err]]]) -> ApiError:
    """400 in the §1.9 shape: one entry per offending batch item."""
    errors = [{"request_id": rid, "errors": errs} for rid, errs in items if errs]
    return ApiError(400, "Request validation failed", extra={"validation-errors": errors})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_KIND_NAMES: dict[str, str] = {"str": "a non-empty string", "int": "an integer", "bool": "a boolean",
                               "list": "an array", "dict": "an object", "opt_str": "a string or null"}


def _check(obj: Mapping[str, Any], key: str, kind: str, errs: list[Err], prefix: str = "",
           *, required: bool = False) -> Any:
    """Type-check ``obj[key]``; record FieldMissing/InvalidType; return the value or None."""
    path = f"{prefix}{key}"
    if key not in obj:
        if required:
            errs.append(_err("FieldMissing", path, f"{key} is required"))
        return None
    value = obj[key]
    ok = {
        "str": isinstance(value, str) and bool(value.strip()),
        "opt_str": value is None or isinstance(value, str),
        "int": _is_int(value),
        "bool": isinstance(value, bool),
        "list": isinstance(value, list),
        "dict": isinstance(value, dict),
    }[kind]
    if not ok:
        errs.append(_err("InvalidType", path, f"{key} must be {_KIND_NAMES[kind]}"))
        return None
    return value


def _request_id(item: Any, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("request_id"), (str, int)):
        return str(item["request_id"])
    return str(index)


def _check_color(obj: Mapping[str, Any], errs: list[Err], prefix: str) -> None:
    if "color" in obj and obj["color"] not in STATUS_COLORS:
        errs.append(_err("NotSupportedChoice", f"{prefix}color",
                         f"color {obj['color']!r} is not one of the {len(STATUS_COLORS)} status colours"))


def _check_new_descriptions(value: Any, errs: list[Err], prefix: str) -> None:
    """``descriptions`` on creation: ≤3 items, distinct levels, ≤1000 chars each."""
    path = f"{prefix}descriptions"
    if not isinstance(value, list):
        errs.append(_err("InvalidType", path, "descriptions must be an array"))
        return
    for k, item in enumerate(value):
        if not isinstance(item, dict):
            errs.append(_err("InvalidType", f"{path}.{k}", "description must be an object"))
            continue
        _check_description_item(item, errs, f"{path}.{k}.")
    _check_description_set([d.get("level") for d in value if isinstance(d, dict)], errs, path)


def _check_description_item(item: Mapping[str, Any], errs: list[Err], prefix: str) -> None:
    level = _check(item, "level", "str", errs, prefix, required=True)
    if level is not None and level not in DESCRIPTION_LEVELS:
        errs.append(_err("NotSupportedChoice", f"{prefix}level", f"level must be one of {DESCRIPTION_LEVELS}"))
    text = _check(item, "description", "str", errs, prefix, required=True)
    if text is not None and len(text) > MAX_DESCRIPTION_CHARS:
        errs.append(_err("InvalidLength", f"{prefix}description",
                         f"description is longer than {MAX_DESCRIPTION_CHARS} characters"))


def _check_description_set(levels: Sequence[Any], errs: list[Err], path: str) -> None:
    if len(levels) > len(DESCRIPTION_LEVELS):
        errs.append(_err("LimitExceeded", path, "at most 3 descriptions per status"))
    if len(set(map(str, levels))) != len(levels):
        errs.append(_err("Duplicate", path, "each level may appear at most once"))


def _check_new_status(item: Any, errs: list[Err], prefix: str) -> None:
    """A user status to create: name and sort required, palette colour, descriptions."""
    if not isinstance(item, dict):
        errs.append(_err("InvalidType", prefix.rstrip("."), "status must be an object"))
        return
    _check(item, "name", "str", errs, prefix, required=True)
    _check(item, "sort", "int", errs, prefix, required=True)
    _check_color(item, errs, prefix)
    if "descriptions" in item:
        _check_new_descriptions(item["descriptions"], errs, prefix)


# --------------------------------------------------------------------------- request plumbing


class LoggedRequest(NamedTuple):
    """One served request: a plain tuple ``(method, path, query, body, status)``."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, None when empty, the raw text when it was not JSON
    status: int


#: Inject answers by 1-based request number: ``{3: 503}``; ``[503, None, 429]`` (position i
#: is request i+1, None = serve normally); or ``f(number, method, path) -> status | None``.
FailPlan = Mapping[int, int] | Sequence[int | None] | Callable[[int, str, str], int | None]


@dataclass
class _Call:
    """What a route handler needs from the request."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    base_url: str

    @property
    def with_(self) -> set[str]:
        return {w.strip() for w in self.query.get("with", "").split(",") if w.strip()}

    def require_array(self) -> list[Any]:
        if not isinstance(self.body, list) or not self.body:
            raise ApiError(400, "Request body must be a non-empty JSON array")
        return self.body

    def require_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        return self.body


Reply = tuple[int, Any]
_ENTITY = r"(leads|contacts|companies)"


class FakeAmo:
    """The fake service: state, HTTP server, request log and test knobs.

    Knobs (all plain attributes, change them at any time between requests):
    ``token`` (expected Bearer token), ``blocked`` (403 for everything),
    ``rate_limit_per_s`` (None/0 = unlimited), ``fail_plan`` (see :data:`FailPlan`),
    ``block_after_429`` (become blocked after that many 429s, like the real
    "account blocked for repeated excess"), ``delay_s`` (sleep before each answer),
    ``clock`` (monotonic seconds; inject a fake one for deterministic rate tests).
    """

    def __init__(self, token: str = "test-token", rate_limit_per_s: int | None = 7,
                 fail_plan: FailPlan | None = None, *, blocked: bool = False,
                 block_after_429: int | None = None, delay_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, state: AmoState | None = None) -> None:
        self.token = token
        self.rate_limit_per_s = rate_limit_per_s
        self.fail_plan: FailPlan | None = fail_plan
        self.blocked = blocked
        self.block_after_429 = block_after_429
        self.delay_s = delay_s
        self.clock = clock
        self.state: AmoState = state if state is not None else AmoState.new_account()
        self.requests: list[LoggedRequest] = []
        self.request_count = 0  # every request received, including refused ones
        self.rate_limited_count = 0
        self._window: deque[float] = deque()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("GET", re.compile(r"/api/v4/leads/pipelines"), self._list_pipelines),
            ("POST", re.compile(r"/api/v4/leads/pipelines"), self._create_pipelines),
            ("GET", re.compile(r"/api/v4/leads/pipelines/(\d+)"), self._get_pipeline),
            ("PATCH", re.compile(r"/api/v4/leads/pipelines/(\d+)"), self._patch_pipeline),
            ("DELETE", re.compile(r"/api/v4/leads/pipelines/(\d+)"), self._delete_pipeline),
            ("GET", re.compile(r"/api/v4/leads/pipelines/(\d+)/statuses"), self._list_statuses),
            ("POST", re.compile(r"/api/v4/leads/pipelines/(\d+)/statuses"), self._create_statuses),
            ("GET", re.compile(r"/api/v4/leads/pipelines/(\d+)/statuses/(\d+)"), self._get_status),
            ("PATCH", re.compile(r"/api/v4/leads/pipelines/(\d+)/statuses/(\d+)"), self._patch_status),
            ("DELETE", re.compile(r"/api/v4/leads/pipelines/(\d+)/statuses/(\d+)"), self._delete_status),
            ("GET", re.compile(rf"/api/v4/{_ENTITY}/custom_fields"), self._list_fields),
            ("POST", re.compile(rf"/api/v4/{_ENTITY}/custom_fields"), self._create_fields),
            ("PATCH", re.compile(rf"/api/v4/{_ENTITY}/custom_fields"), self._patch_fields),
            ("GET", re.compile(rf"/api/v4/{_ENTITY}/custom_fields/(\d+)"), self._get_field),
            ("PATCH", re.compile(rf"/api/v4/{_ENTITY}/custom_fields/(\d+)"), self._patch_field),
            ("DELETE", re.compile(rf"/api/v4/{_ENTITY}/custom_fields/(\d+)"), self._delete_field),
            ("GET", re.compile(r"/api/v4/leads/loss_reasons"), self._list_loss_reasons),
            ("POST", re.compile(r"/api/v4/leads/loss_reasons"), self._create_loss_reasons),
            ("GET", re.compile(r"/api/v4/leads/loss_reasons/(\d+)"), self._get_loss_reason),
            ("PATCH", re.compile(r"/api/v4/leads/loss_reasons/(\d+)"), self._patch_loss_reason),
            ("DELETE", re.compile(r"/api/v4/leads/loss_reasons/(\d+)"), self._delete_loss_reason),
        ]

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeAmo:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("fake amoCRM already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01},
            name="fake-amocrm", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeAmo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — the API root; paths start with ``/api/v4``."""
        if self._server is None:
            raise RuntimeError("fake amoCRM is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers a well-behaved client sends."""
        return {"Authorization": f"Bearer {self.token}"}

    # ---------------------------------------------------------------- knobs / helpers for tests

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status`` (replaces ``fail_plan``)."""
        with self._lock:
            first = self.request_count + 1
            self.fail_plan = {n: status for n in range(first, first + count)}

    def reset_rate_window(self) -> None:
        """Forget recent requests, as if a second had passed."""
        with self._lock:
            self._window.clear()

    def calls(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """The request log filtered by method and/or exact path."""
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and (path is None or r.path == path)]

    # ---------------------------------------------------------------- request pipeline

    def handle(self, method: str, target: str, headers: Mapping[str, str],
               raw_body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Serve one request; returns (status, headers, body bytes). Thread-safe."""
        if self.delay_s > 0:
            time.sleep(self.delay_s)
        url = urllib.parse.urlsplit(target)
        path = url.path
        query = {k: v for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True)}
        logged_body: Any = None
        with self._lock:
            self.request_count += 1
            number = self.request_count
            extra_headers: dict[str, str] = {}
            try:
                logged_body, body, bad_json = _parse_body(raw_body)
                if self.blocked:
                    raise ApiError(403, "Account is blocked")
                injected = self._planned_failure(number, method, path)
                if injected is not None:
                    raise ApiError(injected, f"Injected failure for request #{number} (fail_plan)")
                self._check_rate()
                self._check_auth(headers)
                if bad_json:
                    raise ApiError(400, "Request body is not valid JSON")
                status, payload = self._route(_Call(method, path, query, body, self.base_url))
            except ApiError as exc:
                status, payload = exc.status, exc.problem()
                extra_headers = exc.headers
            self.requests.append(LoggedRequest(method, path, query, logged_body, status))
        out_headers = dict(extra_headers)
        if status == 204:
            return status, out_headers, b""
        out_headers["Content-Type"] = "application/hal+json" if status < 400 else "application/problem+json"
        return status, out_headers, json.dumps(payload, ensure_ascii=False).encode("utf-8")

    def _planned_failure(self, number: int, method: str, path: str) -> int | None:
        plan = self.fail_plan
        if plan is None:
            return None
        if callable(plan):
            return plan(number, method, path)
        if isinstance(plan, Mapping):
            return plan.get(number)
        return plan[number - 1] if number <= len(plan) else None

    def _check_rate(self) -> None:
        limit = self.rate_limit_per_s
        if not limit:
            return
        now = self.clock()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= limit:
            self.rate_limited_count += 1
            if self.block_after_429 is not None and self.rate_limited_count >= self.block_after_429:
                self.blocked = True
            raise ApiError(429, f"Too many requests: more than {limit} per second")
        self._window.append(now)

    def _check_auth(self, headers: Mapping[str, str]) -> None:
        value = headers.get("Authorization")
        if not value:
            raise ApiError(401, "Authorization header is missing")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.token:
            raise ApiError(401, "Access token is invalid or expired")

    def _route(self, call: _Call) -> Reply:
        allowed: list[str] = []
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(call.path)
            if match is None:
                continue
            if method == call.method:
                args = [int(g) if g.isdigit() else g for g in match.groups()]
                return handler(call, *args)
            allowed.append(method)
        if allowed:
            raise ApiError(405, f"{call.method} is not allowed on {call.path}",
                           headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, f"No such endpoint: {call.path}")

    # ---------------------------------------------------------------- JSON views

    def _status_json(self, status: Status, base: str, *, descriptions: bool,
                     request_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": status.id, "name": status.name, "sort": status.sort,
            "is_editable": status.is_editable, "pipeline_id": status.pipeline_id,
            "color": status.color, "type": status.type, "account_id": self.state.account_id,
        }
        if request_id is not None:
            out["request_id"] = request_id
        if descriptions:
            # Shaped as the documented answer (tests/data/amocrm/statuses_with_descriptions.json,
            # "Список статусов воронки сделок"): each description also names its account,
            # pipeline and status, and when and by whom it was made.
            out["descriptions"] = [
                {"id": d.id, "account_id": self.state.account_id, "pipeline_id": status.pipeline_id,
                 "status_id": status.id, "level": d.level, "description": d.description,
                 "created_at": "2023-05-05 09:38:00", "updated_at": "2023-05-05 09:38:00",
                 "created_by": 12345, "updated_by": None}
                for d in status.descriptions
            ]
        out["_links"] = {"self": {"href": f"{base}/api/v4/leads/pipelines/{status.pipeline_id}/statuses/{status.id}"}}
        return out

    def _pipeline_json(self, pipeline: Pipeline, base: str, *,
                       request_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": pipeline.id, "name": pipeline.name, "sort": pipeline.sort,
            "is_main": pipeline.is_main, "is_unsorted_on": pipeline.is_unsorted_on,
            "is_archive": pipeline.is_archive, "account_id": self.state.account_id,
        }
        if request_id is not None:
            out["request_id"] = request_id
        out["_links"] = {"self": {"href": f"{base}/api/v4/leads/pipelines/{pipeline.id}"}}
        out["_embedded"] = {"statuses": [
            self._status_json(s, base, descriptions=False) for s in pipeline.ordered_statuses()
        ]}
        return out

    def _field_json(self, cf: CustomField, base: str, *, request_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": cf.id, "name": cf.name, "type": cf.type, "account_id": self.state.account_id,
            "code": cf.code, "sort": cf.sort, "is_api_only": cf.is_api_only,
            "enums": None if cf.enums is None else [
                {"id": e.id, "value": e.value, "sort": e.sort, "code": e.code}
                for e in sorted(cf.enums, key=lambda e: (e.sort, e.id))
            ],
            "group_id": cf.group_id, "required_statuses": _pairs_json(cf.required_statuses),
            "is_deletable": cf.is_deletable, "is_predefined": cf.is_predefined,
            "entity_type": cf.entity, "remind": cf.remind, "currency": cf.currency,
        }
        if cf.entity == "leads":
            out["hidden_statuses"] = _pairs_json(cf.hidden_statuses)
        if request_id is not None:
            out["request_id"] = request_id
        out["_links"] = {"self": {"href": f"{base}/api/v4/{cf.entity}/custom_fields/{cf.id}"}}
        return out

    @staticmethod
    def _collection(key: str, items: list[dict[str, Any]], self_href: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"_total_items": len(items)}
        if self_href is not None:
            out["_links"] = {"self": {"href": self_href}}
        out["_embedded"] = {key: items}
        return out

    # ---------------------------------------------------------------- pipelines

    def _pipeline_or_404(self, pipeline_id: int) -> Pipeline:
        pipeline = self.state.pipelines.get(pipeline_id)
        if pipeline is None:
            raise ApiError(404, f"Pipeline {pipeline_id} not found")
        return pipeline

    def _list_pipelines(self, call: _Call) -> Reply:
        items = [self._pipeline_json(p, call.base_url) for p in self.state.ordered_pipelines()]
        return 200, self._collection("pipelines", items, f"{call.base_url}{call.path}")

    def _get_pipeline(self, call: _Call, pipeline_id: int) -> Reply:
        return 200, self._pipeline_json(self._pipeline_or_404(pipeline_id), call.base_url)

    def _create_pipelines(self, call: _Call) -> Reply:
        items = call.require_array()
        problems: list[tuple[str, list[Err]]] = []
        for i, item in enumerate(items):
            errs: list[Err] = []
            if not isinstance(item, dict):
                errs.append(_err("InvalidType", "", "pipeline must be an object"))
            else:
                _check(item, "name", "str", errs, required=True)
                _check(item, "sort", "int", errs, required=True)
                _check(item, "is_main", "bool", errs, required=True)
                _check(item, "is_unsorted_on", "bool", errs, required=True)
                self._check_embedded_statuses(item, errs)
            problems.append((_request_id(item, i), errs))
        if any(errs for _, errs in problems):
            raise _validation_failed(problems)
        if len(self.state.pipelines) + len(items) > MAX_PIPELINES:
            raise ApiError(422, f"An account can hold at most {MAX_PIPELINES} pipelines")
        created: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            pipeline = self._build_pipeline(item)
            created.append(self._pipeline_json(pipeline, call.base_url, request_id=_request_id(item, i)))
        return 200, self._collection("pipelines", created, f"{call.base_url}{call.path}")

    @staticmethod
    def _check_embedded_statuses(item: Mapping[str, Any], errs: list[Err]) -> None:
        embedded = item.get("_embedded")
        if embedded is None:
            return
        if not isinstance(embedded, dict):
            errs.append(_err("InvalidType", "_embedded", "_embedded must be an object"))
            return
        statuses = embedded.get("statuses", [])
        if not isinstance(statuses, list):
            errs.append(_err("InvalidType", "_embedded.statuses", "statuses must be an array"))
            return
        user = 0
        seen_system: set[int] = set()
        for j, status in enumerate(statuses):
            prefix = f"_embedded.statuses.{j}."
            if isinstance(status, dict) and "id" in status:
                if not _is_int(status["id"]) or status["id"] not in SYSTEM_STATUS_IDS:
                    errs.append(_err("NotSupportedChoice", f"{prefix}id",
                                     "only the system statuses 142 and 143 may be passed with an id"))
                elif status["id"] in seen_system:
                    errs.append(_err("Duplicate", f"{prefix}id", f"status {status['id']} passed twice"))
                else:
                    seen_system.add(status["id"])
                    _check(status, "name", "str", errs, prefix, required=True)
                    for key in ("sort", "color"):
                        if key in status:
                            errs.append(_err("NotSupportedChoice", f"{prefix}{key}",
                                             f"{key} of a system status cannot be set"))
                continue
            user += 1
            _check_new_status(status, errs, prefix)
        if user + 3 > MAX_STATUSES_PER_PIPELINE:
            errs.append(_err("LimitExceeded", "_embedded.statuses",
                             f"at most {MAX_STATUSES_PER_PIPELINE} statuses per pipeline, "
                             f"the 3 system ones included ({user} user statuses sent)"))

    def _build_pipeline(self, item: Mapping[str, Any]) -> Pipeline:
        statuses = (item.get("_embedded") or {}).get("statuses", [])
        renames = {s["id"]: s["name"] for s in statuses if "id" in s}
        pipeline = self.state.make_pipeline(
            item["name"], sort=item["sort"], is_main=item["is_main"],
            is_unsorted_on=item["is_unsorted_on"],
            won_name=renames.get(WON_STATUS_ID, WON_NAME), lost_name=renames.get(LOST_STATUS_ID, LOST_NAME),
        )
        new = [s for s in statuses if "id" not in s]
        ordered = sorted(enumerate(new), key=lambda pair: (pair[1]["sort"], pair[0]))
        user = [self._new_status(pipeline.id, spec) for _, spec in ordered]
        pipeline.statuses.extend(user)
        _renumber(user)
        return pipeline

    def _new_status(self, pipeline_id: int, spec: Mapping[str, Any]) -> Status:
        status = Status(self.state.next_id("status"), spec["name"], spec["sort"], pipeline_id,
                        spec.get("color", DEFAULT_STATUS_COLOR))
        status.descriptions = [
            Description(self.state.next_id("description"), d["level"], d["description"])
            for d in spec.get("descriptions", [])
        ]
        return status

    def _patch_pipeline(self, call: _Call, pipeline_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        body = call.require_object()
        errs: list[Err] = []
        if "_embedded" in body:
            errs.append(_err("NotSupportedChoice", "_embedded",
                             "statuses can be embedded only when creating a pipeline"))
        keys = ("name", "sort", "is_main", "is_unsorted_on")
        if not any(k in body for k in keys):
            errs.append(_err("FieldMissing", "", f"pass at least one of {', '.join(keys)}"))
        _check(body, "name", "str", errs)
        _check(body, "sort", "int", errs)
        _check(body, "is_main", "bool", errs)
        _check(body, "is_unsorted_on", "bool", errs)
        if errs:
            raise _validation_failed([(_request_id(body, 0), errs)])
        for key in keys:
            if key in body:
                setattr(pipeline, key, body[key])
        if body.get("is_main") is True:
            for other in self.state.pipelines.values():
                other.is_main = other.id == pipeline.id
        return 200, self._pipeline_json(pipeline, call.base_url)

    def _delete_pipeline(self, call: _Call, pipeline_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        if len(self.state.pipelines) == 1:
            raise ApiError(422, "The last pipeline of an account cannot be deleted")
        if pipeline_id in self.state.pipelines_with_leads:
            raise ApiError(422, "A pipeline that contains leads cannot be deleted")
        del self.state.pipelines[pipeline_id]
        self.state.forget_status_refs(pipeline_id)
        if pipeline.is_main:
            self.state.ordered_pipelines()[0].is_main = True
        return 204, None

    # ---------------------------------------------------------------- statuses

    def _status_or_404(self, pipeline: Pipeline, status_id: int) -> Status:
        status = pipeline.status(status_id)
        if status is None:
            raise ApiError(404, f"Status {status_id} not found in pipeline {pipeline.id}")
        return status

    def _list_statuses(self, call: _Call, pipeline_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        with_desc = "descriptions" in call.with_
        items = [self._status_json(s, call.base_url, descriptions=with_desc) for s in pipeline.ordered_statuses()]
        return 200, self._collection("statuses", items, f"{call.base_url}{call.path}")

    def _get_status(self, call: _Call, pipeline_id: int, status_id: int) -> Reply:
        status = self._status_or_404(self._pipeline_or_404(pipeline_id), status_id)
        return 200, self._status_json(status, call.base_url, descriptions="descriptions" in call.with_)

    def _create_statuses(self, call: _Call, pipeline_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        items = call.require_array()
        problems: list[tuple[str, list[Err]]] = []
        for i, item in enumerate(items):
            errs: list[Err] = []
            if isinstance(item, dict) and "id" in item:
                errs.append(_err("NotSupportedChoice", "id", "ids are assigned by the server"))
            _check_new_status(item, errs, "")
            problems.append((_request_id(item, i), errs))
        if any(errs for _, errs in problems):
            raise _validation_failed(problems)
        if len(pipeline.statuses) + len(items) > MAX_STATUSES_PER_PIPELINE:
            raise ApiError(422, f"A pipeline can hold at most {MAX_STATUSES_PER_PIPELINE} statuses, "
                                f"system ones included; it has {len(pipeline.statuses)}")
        keyed: list[tuple[tuple[int, int, int], Status]] = [
            ((s.sort, 0, k), s) for k, s in enumerate(pipeline.user_statuses())
        ]
        created: list[tuple[str, Status]] = []
        for i, item in enumerate(items):
            status = self._new_status(pipeline.id, item)
            created.append((_request_id(item, i), status))
            keyed.append(((item["sort"], 1, i), status))
            pipeline.statuses.append(status)
        _renumber([s for _, s in sorted(keyed, key=lambda pair: pair[0])])
        out = [self._status_json(s, call.base_url, descriptions="descriptions" in call.with_, request_id=rid)
               for rid, s in created]
        return 200, self._collection("statuses", out, f"{call.base_url}{call.path}")

    def _patch_status(self, call: _Call, pipeline_id: int, status_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        status = self._status_or_404(pipeline, status_id)
        body = call.require_object()
        errs: list[Err] = []
        keys = ("name", "sort", "color", "descriptions")
        if not any(k in body for k in keys):
            errs.append(_err("FieldMissing", "", f"pass at least one of {', '.join(keys)}"))
        _check(body, "name", "str", errs)
        _check(body, "sort", "int", errs)
        _check_color(body, errs, "")
        new_descriptions = status.descriptions
        if "descriptions" in body:
            new_descriptions = self._patched_descriptions(status, body["descriptions"], errs)
        if errs:
            raise _validation_failed([(_request_id(body, 0), errs)])
        if status.is_system and ("sort" in body or "color" in body):
            raise ApiError(422, f"Sort and colour of system status {status.id} cannot be changed")
        if "name" in body:
            status.name = body["name"]
        if "color" in body:
            status.color = body["color"]
        status.descriptions = new_descriptions
        if "sort" in body:
            others = [((s.sort, 1, k), s) for k, s in enumerate(pipeline.user_statuses()) if s is not status]
            moved = ((body["sort"], 0, 0), status)
            _renumber([s for _, s in sorted([*others, moved], key=lambda pair: pair[0])])
        return 200, self._status_json(status, call.base_url, descriptions="descriptions" in call.with_)

    def _patched_descriptions(self, status: Status, value: Any, errs: list[Err]) -> list[Description]:
        """§1.2: id+level+description edits, no id creates, id+level without description deletes."""
        result = [Description(d.id, d.level, d.description) for d in status.descriptions]
        if not isinstance(value, list):
            errs.append(_err("InvalidType", "descriptions", "descriptions must be an array"))
            return result
        for k, item in enumerate(value):
            prefix = f"descriptions.{k}."
            if not isinstance(item, dict):
                errs.append(_err("InvalidType", prefix.rstrip("."), "description must be an object"))
                continue
            if "id" not in item:
                _check_description_item(item, errs, prefix)
                if "level" in item and "description" in item:
                    result.append(Description(self.state.next_id("description"), item["level"], item["description"]))
                continue
            existing = next((d for d in result if d.id == item["id"]), None)
            if existing is None:
                errs.append(_err("NotFound", f"{prefix}id", f"description {item['id']!r} not found"))
            elif "description" not in item:
                result.remove(existing)
            else:
                _check_description_item(item, errs, prefix)
                existing.level, existing.description = item.get("level", existing.level), item["description"]
        _check_description_set([d.level for d in result], errs, "descriptions")
        return result

    def _delete_status(self, call: _Call, pipeline_id: int, status_id: int) -> Reply:
        pipeline = self._pipeline_or_404(pipeline_id)
        status = self._status_or_404(pipeline, status_id)
        if status.is_system:
            raise ApiError(422, f"System status {status.id} ({status.name}) cannot be deleted")
        pipeline.statuses.remove(status)
        self.state.forget_status_refs(pipeline_id, status_id)
        return 204, None

    # ---------------------------------------------------------------- custom fields

    def _field_or_404(self, entity: str, field_id: int) -> CustomField:
        cf = self.state.custom_fields[entity].get(field_id)
        if cf is None:
            raise ApiError(404, f"Custom field {field_id} of {entity} not found")
        return cf

    def _list_fields(self, call: _Call, entity: str) -> Reply:
        page = _positive_int(call.query, "page", 1)
        limit = _positive_int(call.query, "limit", DEFAULT_PAGE_LIMIT)
        if limit > MAX_PAGE_LIMIT:
            raise _validation_failed([("0", [_err("InvalidValue", "limit", f"limit must be ≤ {MAX_PAGE_LIMIT}")])])
        fields = self.state.fields(entity)
        page_count = max(1, -(-len(fields) // limit))
        chunk = fields[(page - 1) * limit: page * limit]

        def href(number: int) -> str:
            return f"{call.base_url}{call.path}?limit={limit}&page={number}"

        links: dict[str, Any] = {"self": {"href": href(page)}}
        if page < page_count:
            links["next"] = {"href": href(page + 1)}
        if page > 1:
            links["prev"] = {"href": href(page - 1)}
        links["last"] = {"href": href(page_count)}
        return 200, {
            "_total_items": len(chunk), "_page": page, "_page_count": page_count, "_links": links,
            "_embedded": {"custom_fields": [self._field_json(cf, call.base_url) for cf in chunk]},
        }

    def _get_field(self, call: _Call, entity: str, field_id: int) -> Reply:
        return 200, self._field_json(self._field_or_404(entity, field_id), call.base_url)

    def _create_fields(self, call: _Call, entity: str) -> Reply:
        items = call.require_array()
        problems: list[tuple[str, list[Err]]] = []
        paid: list[str] = []
        codes = {f.code for f in self.state.custom_fields[entity].values() if f.code}
        for i, item in enumerate(items):
            errs: list[Err] = []
            if not isinstance(item, dict):
                errs.append(_err("InvalidType", "", "custom field must be an object"))
            else:
                ftype = _check(item, "type", "str", errs, required=True)
                if ftype is not None and ftype not in FIELD_TYPES[entity]:
                    errs.append(_err("NotSupportedChoice", "type",
                                     f"type {ftype!r} is not available for {entity}"))
                    ftype = None
                _check(item, "name", "str", errs, required=True)
                self._check_field_body(entity, item, ftype, errs, codes, paid, creating=True)
            problems.append((_request_id(item, i), errs))
        if any(errs for _, errs in problems):
            raise _validation_failed(problems)
        if paid:
            raise ApiError(422, f"{', '.join(sorted(set(paid)))} need the paid Super-fields option")
        out = []
        for i, item in enumerate(items):
            sort = item.get("sort")
            if sort is None:
                sort = max((f.sort for f in self.state.fields(entity)), default=500) + 1
            cf = CustomField(self.state.next_id("field"), entity, item["name"], item["type"], sort)
            self._apply_field_body(cf, item)
            self.state.custom_fields[entity][cf.id] = cf
            out.append(self._field_json(cf, call.base_url, request_id=_request_id(item, i)))
        return 201, self._collection("custom_fields", out, None)

    def _patch_fields(self, call: _Call, entity: str) -> Reply:
        items = call.require_array()
        return 201, self._collection("custom_fields", self._patch_many(call, entity, items), None)

    def _patch_field(self, call: _Call, entity: str, field_id: int) -> Reply:
        body = dict(call.require_object())
        if "id" in body and body["id"] != field_id:
            raise ApiError(400, f"Body id {body['id']!r} does not match the path id {field_id}")
        body["id"] = field_id
        self._field_or_404(entity, field_id)
        (result,) = self._patch_many(call, entity, [body])
        result.pop("request_id", None)
        return 201, result

    def _patch_many(self, call: _Call, entity: str, items: list[Any]) -> list[dict[str, Any]]:
        problems: list[tuple[str, list[Err]]] = []
        paid: list[str] = []
        targets: list[CustomField | None] = []
        for i, item in enumerate(items):
            errs: list[Err] = []
            cf: CustomField | None = None
            if not isinstance(item, dict):
                errs.append(_err("InvalidType", "", "custom field must be an object"))
            else:
                fid = _check(item, "id", "int", errs, required=True)
                cf = self.state.custom_fields[entity].get(fid) if fid is not None else None
                if fid is not None and cf is None:
                    errs.append(_err("NotFound", "id", f"custom field {fid} of {entity} not found"))
                _check(item, "name", "str", errs, required=True)
                if cf is not None:
                    if "type" in item and item["type"] != cf.type:
                        errs.append(_err("NotSupportedChoice", "type", "the type of a field cannot be changed"))
                    codes = {f.code for f in self.state.custom_fields[entity].values() if f.code and f is not cf}
                    self._check_field_body(entity, item, cf.type, errs, codes, paid, creating=False, current=cf)
            targets.append(cf)
            problems.append((_request_id(item, i), errs))
        if any(errs for _, errs in problems):
            raise _validation_failed(problems)
        if paid:
            raise ApiError(422, f"{', '.join(sorted(set(paid)))} need the paid Super-fields option")
        out = []
        for i, (item, cf) in enumerate(zip(items, targets)):
            assert cf is not None
            cf.name = item["name"]
            if "sort" in item:
                cf.sort = item["sort"]
            self._apply_field_body(cf, item)
            out.append(self._field_json(cf, call.base_url, request_id=_request_id(item, i)))
        return out

    def _check_field_body(self, entity: str, item: Mapping[str, Any], ftype: str | None, errs: list[Err],
                          codes: set[str | None], paid: list[str], *, creating: bool,
                          current: CustomField | None = None) -> None:
        """Checks shared by create and update (everything but id/type/name)."""
        _check(item, "sort", "int", errs)
        _check(item, "is_api_only", "bool", errs)
        _check(item, "group_id", "opt_str", errs)
        code = _check(item, "code", "opt_str", errs)
        if code:
            if code in codes:
                errs.append(_err("Duplicate", "code", f"code {code!r} is already used by another {entity} field"))
            codes.add(code)
        if ftype is None:
            return
        if ftype in SUPER_FIELD_TYPES and creating and not self.state.super_fields:
            paid.append(f"type {ftype}")
        if ftype == "monetary" and creating:
            currency = _check(item, "currency", "str", errs, required=True)
            if currency is not None and len(currency) != 3:
                errs.append(_err("InvalidValue", "currency", "currency must be a 3-letter code"))
        if "remind" in item and item["remind"] is not None:
            if ftype != "birthday":
                errs.append(_err("NotSupportedChoice", "remind", "remind is only for birthday fields"))
            elif item["remind"] not in REMIND_VALUES:
                errs.append(_err("NotSupportedChoice", "remind", f"remind must be one of {REMIND_VALUES}"))
        self._check_enums(item, ftype, errs, creating=creating, current=current)
        if "required_statuses" in item:
            self._check_pairs(item["required_statuses"], "required_statuses", errs)
        if item.get("hidden_statuses"):
            if entity != "leads":
                errs.append(_err("NotSupportedChoice", "hidden_statuses", "hidden_statuses exist only for leads"))
            else:
                self._check_pairs(item["hidden_statuses"], "hidden_statuses", errs)
                if not self.state.super_fields:
                    paid.append("hidden_statuses")

    @staticmethod
    def _check_enums(item: Mapping[str, Any], ftype: str, errs: list[Err], *, creating: bool,
                     current: CustomField | None) -> None:
        takes_enums = ftype in ENUM_FIELD_TYPES or ftype == "multitext"
        if "enums" not in item or item["enums"] is None:
            if creating and ftype in ENUM_FIELD_TYPES:
                errs.append(_err("FieldMissing", "enums", f"enums are required for {ftype} fields"))
            return
        if not takes_enums:
            errs.append(_err("NotSupportedChoice", "enums", f"{ftype} fields have no enums"))
            return
        enums = item["enums"]
        if not isinstance(enums, list) or (ftype in ENUM_FIELD_TYPES and not enums):
            errs.append(_err("InvalidType", "enums", "enums must be a non-empty array"))
            return
        known = {e.id for e in (current.enums or [])} if current is not None else set()
        for k, enum in enumerate(enums):
            prefix = f"enums.{k}."
            if not isinstance(enum, dict):
                errs.append(_err("InvalidType", prefix.rstrip("."), "enum must be an object"))
                continue
            if "id" in enum and (creating or enum["id"] not in known):
                errs.append(_err("NotFound", f"{prefix}id", f"enum {enum['id']!r} does not belong to this field"))
            _check(enum, "value", "str", errs, prefix, required=True)
            _check(enum, "sort", "int", errs, prefix, required=True)
            _check(enum, "code", "opt_str", errs, prefix)

    def _check_pairs(self, value: Any, key: str, errs: list[Err]) -> None:
        """Each item must be {pipeline_id, status_id} naming an existing stage."""
        if value is None:
            return
        if not isinstance(value, list):
            errs.append(_err("InvalidType", key, f"{key} must be an array or null"))
            return
        for k, pair in enumerate(value):
            path = f"{key}.{k}"
            if not isinstance(pair, dict):
                errs.append(_err("InvalidType", path, "expected {pipeline_id, status_id}"))
                continue
            before = len(errs)
            pid = _check(pair, "pipeline_id", "int", errs, f"{path}.", required=True)
            sid = _check(pair, "status_id", "int", errs, f"{path}.", required=True)
            if len(errs) == before and not self.state.has_status(pid, sid):
                errs.append(_err("NotFound", path, f"status {sid} does not exist in pipeline {pid}"))

    def _apply_field_body(self, cf: CustomField, item: Mapping[str, Any]) -> None:
        """Write validated optional attributes onto a field (create or update)."""
        for key in ("code", "is_api_only", "group_id", "remind", "currency"):
            if key in item:
                setattr(cf, key, item[key])
        if "required_statuses" in item:
            cf.required_statuses = _dedupe_pairs(item["required_statuses"] or [])
        if "hidden_statuses" in item:
            cf.hidden_statuses = _dedupe_pairs(item["hidden_statuses"] or [])
        if item.get("enums") is not None:
            # Enums not passed again lose their ids (vendor doc); passed ids are kept.
            cf.enums = [
                EnumValue(e["id"] if "id" in e else self.state.next_id("enum"), e["value"], e["sort"], e.get("code"))
                for e in item["enums"]
            ]
        elif cf.type in ENUM_FIELD_TYPES and cf.enums is None:
            cf.enums = []

    def _delete_field(self, call: _Call, entity: str, field_id: int) -> Reply:
        cf = self._field_or_404(entity, field_id)
        if not cf.is_deletable:
            raise ApiError(400, f"Custom field {field_id} ({cf.code or cf.name}) is predefined and cannot be deleted")
        del self.state.custom_fields[entity][field_id]
        return 204, None

    # ---------------------------------------------------------------- loss reasons

    def _loss_reason_json(self, reason: LossReason, base: str, *,
                          request_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": reason.id, "name": reason.name, "sort": reason.sort,
                               "created_at": reason.created_at, "updated_at": reason.updated_at}
        if request_id is not None:
            out["request_id"] = request_id
        out["_links"] = {"self": {"href": f"{base}/api/v4/leads/loss_reasons/{reason.id}"}}
        return out

    def _loss_reason_or_404(self, reason_id: int) -> LossReason:
        reason = self.state.loss_reasons.get(reason_id)
        if reason is None:
            raise ApiError(404, "Loss reason not found")
        return reason

    def _list_loss_reasons(self, call: _Call) -> Reply:
        items = [self._loss_reason_json(r, call.base_url) for r in self.state.ordered_loss_reasons()]
        if not items:
            return 204, None
        return 200, self._collection("loss_reasons", items, f"{call.base_url}{call.path}")

    def _get_loss_reason(self, call: _Call, reason_id: int) -> Reply:
        return 200, self._loss_reason_json(self._loss_reason_or_404(reason_id), call.base_url)

    @staticmethod
    def _check_loss_reason(item: Any, errs: list[Err]) -> None:
        """A ``LossReasonModel::toApi()`` body: name, optional sort, request_id not 0."""
        if not isinstance(item, dict):
            errs.append(_err("InvalidType", "", "loss reason must be an object"))
            return
        _check(item, "name", "str", errs, required=True)
        _check(item, "sort", "int", errs)
        if "request_id" in item:
            rid = item["request_id"]
            if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid) in ("", "0"):
                errs.append(_err("InvalidValue", "request_id",
                                 "request_id must be a non-empty string or a number other than 0"))
        unknown = set(item) - {"name", "sort", "request_id", "id"}
        for key in sorted(unknown):
            errs.append(_err("UnknownField", key, f"{key} cannot be set on a loss reason"))

    def _create_loss_reasons(self, call: _Call) -> Reply:
        items = call.require_array()
        problems: list[tuple[str, list[Err]]] = []
        for i, item in enumerate(items):
            errs: list[Err] = []
            self._check_loss_reason(item, errs)
            if isinstance(item, dict) and "id" in item:
                errs.append(_err("UnknownField", "id", "id cannot be sent when creating"))
            problems.append((_request_id(item, i), errs))
        if any(errs for _, errs in problems):
            raise _validation_failed(problems)
        out = []
        for i, item in enumerate(items):
            reason = self.state.add_loss_reason(item["name"], item.get("sort"))
            out.append(self._loss_reason_json(reason, call.base_url,
                                              request_id=_request_id(item, i)))
        return 200, self._collection("loss_reasons", out, None)

    def _patch_loss_reason(self, call: _Call, reason_id: int) -> Reply:
        body = call.require_object()
        reason = self._loss_reason_or_404(reason_id)
        errs: list[Err] = []
        self._check_loss_reason(body, errs)
        if errs:
            raise _validation_failed([(_request_id(body, 0), errs)])
        reason.name = body["name"]
        if body.get("sort") is not None:
            reason.sort = body["sort"]
        reason.updated_at = int(time.time())
        return 200, self._loss_reason_json(reason, call.base_url)

    def _delete_loss_reason(self, call: _Call, reason_id: int) -> Reply:
        self._loss_reason_or_404(reason_id)
        del self.state.loss_reasons[reason_id]
        return 204, None


def _pairs_json(pairs: Sequence[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"pipeline_id": p, "status_id": s} for p, s in pairs]


def _dedupe_pairs(pairs: Sequence[Mapping[str, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for pair in pairs:
        key = (pair["pipeline_id"], pair["status_id"])
        if key not in out:
            out.append(key)
    return out


def _positive_int(query: Mapping[str, str], key: str, default: int) -> int:
    raw = query.get(key)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _validation_failed([("0", [_err("InvalidValue", key, f"{key} must be a positive integer")])])
    return int(raw)


def _parse_body(raw: bytes) -> tuple[Any, Any, bool]:
    """(what to log, parsed body, whether it was invalid JSON)."""
    if not raw.strip():
        return None, None, False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), None, True
    try:
        body = json.loads(text)
    except ValueError:
        return text, None, True
    return body, body, False


# --------------------------------------------------------------------------- HTTP server


class _Server(ThreadingHTTPServer):
    """Threaded server that never blocks shutdown on idle keep-alive connections."""

    daemon_threads = True
    block_on_close = False
    fake: FakeAmo

    def server_bind(self) -> None:
        host = self.server_address[0]
        if host != "127.0.0.1":  # the fake must never be reachable from outside the machine
            raise ValueError(f"fake amoCRM binds loopback only, not {host!r}")
        super().server_bind()


class _Handler(BaseHTTPRequestHandler):
    """Translate HTTP/1.1 requests to :meth:`FakeAmo.handle` calls."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, so httpx reuses connections
    timeout = 10
    # One buffered write per answer (flushed by the base class) and TCP_NODELAY:
    # without them headers and body go out separately and Nagle + delayed ACK
    # add ~40 ms to every request, which would make rate-limit tests timing-prone.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        status, headers, body = self.server.fake.handle(self.command, self.path, self.headers, raw)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence per-request stderr noise; use ``FakeAmo.requests`` instead."""


@contextlib.contextmanager
def running_fake_amocrm(token: str = "test-token", rate_limit_per_s: int | None = 7,
                        fail_plan: FailPlan | None = None, *, blocked: bool = False,
                        block_after_429: int | None = None, delay_s: float = 0.0,
                        clock: Callable[[], float] = time.monotonic,
                        state: AmoState | None = None) -> Iterator[FakeAmo]:
    """Run a fresh fake account on a free loopback port for the duration of a ``with``."""
    fake = FakeAmo(token, rate_limit_per_s, fail_plan, blocked=blocked, block_after_429=block_after_429,
                   delay_s=delay_s, clock=clock, state=state)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
