"""The shape of the amoCRM bundle (`funnelc export --to amocrm`) and of the request
bodies `funnelc apply` sends, as TypedDicts.

Why TypedDicts and not dataclasses: the bundle *is* JSON — the bodies go to amoCRM's
API as they are, and the file is read by other clients — so its values stay plain dicts
(key order as built, nothing to convert), while mypy still knows every key the builder
writes and the planner reads. The JSON Schema of the file is
`export/schemas/amocrm.schema.json`; these types say the same for the code.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from ..jsontypes import JSON

__all__ = ["Description", "DescriptionPatch", "StatusBody", "Embedded", "PipelineBody",
           "EnumBody", "FieldBody", "BuiltinField", "StageRef", "RequiredEntry", "Bundle",
           "StatusPatch", "EnumItem", "RequiredPair", "FieldPatch", "LossReasonBody"]


class Description(TypedDict):
    """A status description as the bundle holds it (the stage `hint`)."""

    level: str
    description: str


class DescriptionPatch(TypedDict):
    """A description in a status PATCH: `id` (as amoCRM sent it) replaces that one."""

    id: NotRequired[JSON]
    level: str
    description: str


class StatusBody(TypedDict):
    """A status in `_embedded.statuses`: a user status (name, sort, colour, descriptions)
    or a rename of a system status (`id` 142/143 and a name only)."""

    id: NotRequired[int]
    name: str
    sort: NotRequired[int]
    color: NotRequired[str]
    descriptions: NotRequired[list[Description]]


class Embedded(TypedDict):
    statuses: list[StatusBody]


class PipelineBody(TypedDict):
    """The body of `POST /api/v4/leads/pipelines` for one pipeline."""

    name: str
    sort: int
    is_main: bool
    is_unsorted_on: bool
    request_id: str
    _embedded: Embedded


class EnumBody(TypedDict):
    value: str
    sort: int


class FieldBody(TypedDict):
    """An item of `POST /api/v4/{entity}/custom_fields`."""

    name: str
    type: str
    enums: NotRequired[list[EnumBody]]


class BuiltinField(TypedDict):
    """A file field that is amoCRM's own PHONE/EMAIL field of contacts or companies."""

    entity: str
    code: str
    field: str


class StageRef(TypedDict):
    """A status by name: ids exist only once the pipelines do."""

    pipeline: str
    status: str


class RequiredEntry(TypedDict):
    entity: str
    field: str
    code: NotRequired[str]
    statuses: list[StageRef]


class Bundle(TypedDict):
    """`amocrm.json`: what the account should hold."""

    format: str
    version: int
    account: str | None
    pipelines: list[PipelineBody]
    custom_fields: dict[str, list[FieldBody]]
    builtin_fields: list[BuiltinField]
    required_statuses: list[RequiredEntry]
    auto_colors: list[StageRef]
    loss_reasons: list[str]
    notes: list[str]


class StatusPatch(TypedDict, total=False):
    """The body of `PATCH …/statuses/{id}`: only what changes."""

    color: str
    descriptions: list[DescriptionPatch]


class RequiredPair(TypedDict):
    pipeline_id: int
    status_id: int


class EnumItem(TypedDict):
    """An enum value the account already has, sent back as amoCRM gave it (a PATCH
    replaces the whole list, so the existing values go along with the new ones)."""

    id: JSON
    value: JSON
    sort: JSON


class FieldPatch(TypedDict):
    """An item of `PATCH /api/v4/{entity}/custom_fields`."""

    id: int
    name: str
    required_statuses: NotRequired[list[RequiredPair]]
    enums: NotRequired[list[EnumItem | EnumBody]]


class LossReasonBody(TypedDict):
    """An item of `POST /api/v4/leads/loss_reasons`, as the official PHP SDK's
    `LossReasonModel::toApi` builds it: `request_id` is never "0" (amoCRM refuses 0)."""

    name: str
    sort: int
    request_id: str
