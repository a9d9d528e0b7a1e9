"""How a funnel `field` becomes an amoCRM custom field (research note §1.3).

amoCRM's field types are richer than the language's, but a few of the language's have no
free equivalent: `money` would be `monetary`, which only the paid "Super-fields" option
allows, so it goes out as `numeric`; `int(1..10)` is `numeric` too (amoCRM keeps no
range). Contacts and companies already have built-in multitext PHONE and EMAIL fields,
so the first `phone`/`email` field of those entities *is* the built-in one (nothing is
created; `requires` on it still works); on deals, where no such field exists, they are
plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import model as m
from .amocrm_bundle import EnumBody, FieldBody

__all__ = ["ENTITY_PATHS", "MappedField", "map_fields", "BUILTIN_CODES"]

ENTITY_PATHS: dict[m.Entity, str] = {
    m.Entity.deal: "leads", m.Entity.contact: "contacts", m.Entity.company: "companies",
}
"""Language entity → the path segment of amoCRM's custom-field endpoints."""

BUILTIN_CODES: dict[str, str] = {"phone": "PHONE", "email": "EMAIL"}

_SIMPLE_TYPES: dict[str, str] = {
    "text": "text", "number": "numeric", "int": "numeric", "money": "numeric",
    "date": "date", "url": "url", "bool": "checkbox", "phone": "text", "email": "text",
}


@dataclass(frozen=True)
class MappedField:
    """One funnel field as amoCRM will hold it."""

    field: m.CardField
    entity: str
    """`leads`, `contacts` or `companies`."""
    body: FieldBody | None
    """The `POST /api/v4/{entity}/custom_fields` item, or None for a built-in field."""
    builtin_code: str | None = None
    """`PHONE`/`EMAIL` when the field is amoCRM's own multitext field."""
    note: str | None = None


def _body(card: m.CardField) -> tuple[FieldBody, str | None]:
    kind = card.type.kind
    name = card.name.value
    if kind in ("enum", "multi"):
        enums: list[EnumBody] = [{"value": v.value, "sort": i + 1}
                                 for i, v in enumerate(card.type.values)]
        return {"name": name, "type": "select" if kind == "enum" else "multiselect",
                "enums": enums}, None
    note = None
    if kind == "money":
        note = (f"field «{name}» (money) is exported as `numeric`: amoCRM's `monetary` type "
                "needs the paid Super-fields option")
    elif kind == "int" and card.type.low is not None:
        note = (f"field «{name}» is exported as `numeric`: amoCRM does not keep the range "
                f"{card.type.low}..{card.type.high}")
    elif kind in ("phone", "email"):
        note = (f"field «{name}» ({kind}) is exported as `text`: only contacts and companies "
                f"have amoCRM's built-in {BUILTIN_CODES[kind]} field")
    return {"name": name, "type": _SIMPLE_TYPES[kind]}, note


def map_fields(funnel: m.FunnelFile) -> list[MappedField]:
    """Every field of the file, in the order written."""
    out: list[MappedField] = []
    builtin_taken: set[tuple[str, str]] = set()
    for card in funnel.fields:
        entity = ENTITY_PATHS[card.entity]
        kind = card.type.kind
        if kind in BUILTIN_CODES and entity != "leads":
            code = BUILTIN_CODES[kind]
            if (entity, code) not in builtin_taken:
                builtin_taken.add((entity, code))
                out.append(MappedField(card, entity, None, code,
                                       f"field «{card.name.value}» is amoCRM's built-in {code} "
                                       f"field of {entity}: nothing is created"))
                continue
            body, _ = _body(card)
            out.append(MappedField(card, entity, body, None,
                                   f"field «{card.name.value}» is exported as `text`: the "
                                   f"built-in {code} field of {entity} is already taken by an "
                                   "earlier field"))
            continue
        body, note = _body(card)
        out.append(MappedField(card, entity, body, None, note))
    return out
