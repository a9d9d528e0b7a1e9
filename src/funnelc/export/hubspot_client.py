"""HubSpot CRM v3: the client and what a portal holds (deal pipelines with their stages,
the properties of deals, contacts and companies), read into plain dataclasses.

Sources: HubSpot's public API spec collection (`HubSpot/HubSpot-public-api-spec-
collection` @9989379, `PublicApiSpecs/CRM/Pipelines/Rollouts/145896/v3/pipelines.json`
and `PublicApiSpecs/CRM/Properties/Rollouts/145899/v3/properties.json`): answers are
`{results: [...]}` (`CollectionResponsePipelineNoPaging`,
`CollectionResponsePropertyNoPaging`), failures an `Error` `{category, correlationId,
message, errors[]}`. Authentication: `Authorization: Bearer` with a private app's (or an
OAuth) access token. Rate limit (developers.hubspot.com, "API usage guidelines and
limits"): the lowest tier's burst of 100 requests per rolling 10 seconds, kept as at
most 10 in any one second; 429 answers are retried with back-off.
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
    answer_list,
    answer_object,
    answer_str,
    kind_of,
    scrub,
)

__all__ = ["HubSpotClient", "HsStage", "HsPipeline", "HsProperty", "HsAccount",
           "parse_account", "OBJECTS", "DEFAULT_URL", "TOKEN_ENV", "PER_S"]

DEFAULT_URL = "https://api.hubapi.com"
TOKEN_ENV = "HUBSPOT_ACCESS_TOKEN"
PER_S = 10
OBJECTS = ("deals", "contacts", "companies")


class HubSpotClient(JsonHttp):
    crm = "HubSpot"

    def __init__(self, base_url: str, token: str, *, per_s: float | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 backoff_base_s: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(base_url, headers={"Authorization": f"Bearer {token}"},
                         per_s=PER_S if per_s is None else per_s,
                         secrets=[token], sleep=sleep, backoff_base_s=backoff_base_s,
                         transport=transport)

    def judge(self, response: httpx.Response, body: JSON, what: str) -> Judgement:
        """HubSpot's `Error`: its `message` and each `errors[].message`."""
        verdict = super().judge(response, body, what)
        if verdict.verdict in ("refused", "auth") and isinstance(body, dict):
            words = [str(body["message"])] if isinstance(body.get("message"), str) else []
            errors = body.get("errors")
            for item in errors if isinstance(errors, list) else []:
                text = item.get("message") if isinstance(item, dict) else None
                if isinstance(text, str):
                    words.append(text)
            hint = (f": check {TOKEN_ENV} (a private app's access token with the "
                    "crm.schemas.deals.write and crm.objects.*.write scopes)"
                    if verdict.verdict == "auth" else "")
            if words or hint:
                return Judgement(verdict.verdict, f"{verdict.message}: {'; '.join(words[:5])}"
                                 f"{hint}")
        return verdict

    def where(self, method: str, path: str) -> str:
        return scrub(f"{method} {self.base_url}{path}", self.secrets)

    def results(self, path: str) -> list[JSONObject]:
        body = self.request("GET", path)
        what = self.where("GET", path)
        return answer_list(answer_object(body, what, "").get("results"), what, "results")

    def obj(self, method: str, path: str, *, json: object = None) -> JSONObject:
        body = self.request(method, path, json=json,
                            idempotent=method in ("GET", "PUT", "PATCH", "DELETE"))
        return answer_object(body, self.where(method, path), "")


@dataclass
class HsStage:
    id: str
    label: str
    display_order: int
    probability: str | None


@dataclass
class HsPipeline:
    id: str
    label: str
    display_order: int
    stages: list[HsStage] = field(default_factory=list)

    def stage(self, label: str) -> HsStage | None:
        """By label; else by label ignoring case (HubSpot keeps labels unique that way,
        so adding `Lead` next to `lead` would be refused)."""
        return next((s for s in self.stages if s.label == label), None) or next(
            (s for s in self.stages if s.label.casefold() == label.casefold()), None)


@dataclass
class HsProperty:
    object: str
    name: str
    label: str
    type: str
    field_type: str
    options: list[JSONObject]
    """As HubSpot sent them (`label`, `value`, `hidden`, …): sent back on a PATCH."""
    defined: bool
    """`hubspotDefined`: built into HubSpot, never deleted."""


@dataclass
class HsAccount:
    pipelines: list[HsPipeline]
    properties: dict[str, list[HsProperty]]

    def pipeline(self, label: str) -> HsPipeline | None:
        return next((p for p in self.pipelines if p.label == label), None)

    def prop(self, obj: str, name: str | None = None, label: str | None = None
             ) -> HsProperty | None:
        for p in self.properties.get(obj, []):
            if (name is not None and p.name == name) or (label is not None and p.label == label):
                return p
        return None


def _int(raw: JSONObject, key: str, what: str, where: str) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadAnswer(f"{what}: `{where}.{key}` is {kind_of(value)}, expected an integer")
    return value


def _probability(raw: JSONObject, what: str, where: str) -> str | None:
    meta = raw.get("metadata")
    if meta is None:
        return None
    meta = answer_object(meta, what, f"{where}.metadata")
    value = meta.get("probability")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise BadAnswer(f"{what}: `{where}.metadata.probability` is {kind_of(value)}, "
                        "expected a string")
    try:
        return f"{float(value):.1f}"
    except ValueError:
        raise BadAnswer(f"{what}: `{where}.metadata.probability` is {str(value)[:20]!r}, "
                        "expected a number between 0.0 and 1.0") from None


def parse_pipeline(raw: JSONObject, what: str, where: str) -> HsPipeline:
    stages = [HsStage(answer_str(s, "id", what, f"{where}.stages[{k}]"),
                      answer_str(s, "label", what, f"{where}.stages[{k}]"),
                      _int(s, "displayOrder", what, f"{where}.stages[{k}]"),
                      _probability(s, what, f"{where}.stages[{k}]"))
              for k, s in enumerate(answer_list(raw.get("stages"), what, f"{where}.stages"))
              if s.get("archived") is not True]
    stages.sort(key=lambda s: (s.display_order, s.label))
    return HsPipeline(answer_str(raw, "id", what, where), answer_str(raw, "label", what, where),
                      _int(raw, "displayOrder", what, where), stages)


def parse_property(raw: JSONObject, obj: str, what: str, where: str) -> HsProperty:
    options = answer_list(raw.get("options"), what, f"{where}.options")
    for k, o in enumerate(options):
        answer_str(o, "label", what, f"{where}.options[{k}]")
        answer_str(o, "value", what, f"{where}.options[{k}]")
    return HsProperty(obj, answer_str(raw, "name", what, where),
                      answer_str(raw, "label", what, where), answer_str(raw, "type", what, where),
                      answer_str(raw, "fieldType", what, where), options,
                      raw.get("hubspotDefined") is True)


def parse_account(pipelines: list[JSONObject], properties: dict[str, list[JSONObject]],
                  where: Callable[[str], str]) -> HsAccount:
    """The portal from the `results` of each list; `where(path)` names the request (or
    the file). Archived pipelines, stages and properties are left out."""
    pipes = [parse_pipeline(p, where("pipelines/deals"), f"results[{i}]")
             for i, p in enumerate(pipelines) if p.get("archived") is not True]
    pipes.sort(key=lambda p: (p.display_order, p.label))
    props = {obj: [parse_property(p, obj, where(f"properties/{obj}"), f"results[{i}]")
                   for i, p in enumerate(properties.get(obj, [])) if p.get("archived") is not True]
             for obj in OBJECTS}
    return HsAccount(pipes, props)
