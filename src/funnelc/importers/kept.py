"""What an import cannot bring back beyond routing, said in the file's header: the parts of
a funnel no CRM's answers hold, and the field kinds each CRM keeps as another kind.

A round trip (export or apply, then import) gives back pipelines, stages, fields and
whatever else each CRM holds (docs/exports). What it cannot give back is said where the
consultant reads the imported file, never left for them to find by comparing: routing in
each importer's header, the rest here."""

from __future__ import annotations

from .. import model as m

__all__ = ["not_held_line", "kinds_note"]


_NAMES = {"amocrm": "amoCRM", "bitrix24": "Bitrix24", "pipedrive": "Pipedrive",
          "hubspot": "HubSpot", "salesforce": "Salesforce"}
_ALSO: dict[str, str] = {
    "amocrm": "",
    "bitrix24": "`hint`, `requires` (only a field required on entering every pipeline, "
                "MANDATORY, comes back), ",
    "pipedrive": "`hint`, `color`, ",
    "hubspot": "`hint`, `color`, `requires` (no API), ",
    "salesforce": "`hint` and `requires` beyond a stage value's description and a deal "
                  "field required on every opportunity (a Path's guidance and key fields, "
                  "and validation rules, are not read), `color`, ",
}
"""What a stage has in the funnel that this CRM's answers lack, beyond every CRM's list."""


def not_held_line(crm: str) -> str:
    """One header paragraph: what no answer of `crm` holds besides routing."""
    extra = ("; nor Pipedrive's lost reasons (no API: Company settings → Lost reasons)"
             if crm == "pipedrive" else "")
    return (f"Nor do {_NAMES[crm]}'s answers hold a stage's {_ALSO[crm]}`key`, owner, `work`, "
            "`respond`, `patience`, cadence or on-enter actions, `then copy`, reopens, a "
            f"pipeline's kind, the account block or scenarios{extra}: write them back from "
            "the funnel, if there is one.")


_CHANGED: dict[str, tuple[frozenset[str], str]] = {
    # crm: (the kinds here that may stand for another kind in the funnel, the words)
    "amocrm": (frozenset({"number", "text"}),
               "amoCRM keeps int and money fields as numeric (number here, an int's range "
               "lost) and a phone or email field other than a contact's or company's built-in "
               "one as text"),
    "bitrix24": (frozenset({"int", "text"}),
                 "Bitrix24 keeps an int field without its range, and a phone or email field "
                 "other than a contact's or company's built-in one as a string (text here)"),
    "pipedrive": (frozenset({"number", "text"}),
                  "Pipedrive keeps int fields as double (number here, the range lost) and url "
                  "and email fields as varchar (text here)"),
    "hubspot": (frozenset({"number", "text"}),
                "HubSpot has no int, money, url or email property (int and money are number "
                "here, an int's range lost; url and email are text)"),
    "salesforce": (frozenset({"int"}),
                   "Salesforce keeps an int field as a Number without decimals, its range "
                   "lost"),
}


def kinds_note(crm: str, fields: tuple[m.CardField, ...]) -> str | None:
    """The note on field kinds `crm` keeps as another kind, when the import has a field of
    a kind that may stand for one of them (None otherwise)."""
    kinds, words = _CHANGED[crm]
    if not any(f.type.kind in kinds for f in fields):
        return None
    either = " or ".join(sorted(kinds))
    article = "an" if either[0] in "aeiou" else "a"
    return f"{words}, so {article} {either} field here may be one of them in the funnel"
