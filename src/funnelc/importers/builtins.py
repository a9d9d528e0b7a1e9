"""The note an import writes about a CRM's built-in phone and email fields.

An export maps a funnel's first `phone` and first `email` field of a contact (and, in
amoCRM and Bitrix24, of a company) to the CRM's own field: amoCRM's PHONE/EMAIL,
Bitrix24's PHONE/EMAIL multifields, Pipedrive's person `phone`/`email`, HubSpot's contact
`phone`/`email` (`export.crm_common.builtin_fields`). Nothing is created for them, so the
funnel's name for the field exists nowhere in the CRM, and an import cannot tell whether
the funnel had such a field. It does not invent one (every account has these fields, and a
funnel without them would gain four); it says which built-in fields it left out and how
to write one back, so the field is never lost without a word."""

from __future__ import annotations

__all__ = ["builtin_fields_note"]


def builtin_fields_note(fields: list[tuple[str, str]], where: str = "") -> str:
    """`fields`: (entity, the CRM's name of the field), e.g. ("contact", "Phone");
    `where`: how the CRM's answers hold them, when they do not list them."""
    listed = ", ".join(f"{entity} «{name}»" for entity, name in fields)
    return (f"built-in fields not imported{where}: {listed}; a funnel's first phone and "
            "email field of a contact or company is one of these, under any name: write it "
            'back (`field "Телефон" phone on contact`) where stages require it')
