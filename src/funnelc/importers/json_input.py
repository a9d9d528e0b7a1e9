"""Reading a CRM's JSON answer saved to a file, with a message for every way it can be
wrong that names the place inside the JSON (`_embedded.pipelines[2].name: expected a
string`), because the person importing did not write the file and cannot guess.

Limits: 50 MB (an amoCRM account's pipelines and fields are a few hundred kB; anything
bigger is the wrong export), UTF-8 (a BOM is fine), and complete JSON (a truncated
download is named as such).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeGuard, TypeVar, overload

from ..jsontypes import JSON, JSONObject

__all__ = ["MAX_JSON_BYTES", "JsonProblem", "read_json", "Walker", "Kind", "STRING", "INTEGER",
           "BOOLEAN", "ARRAY", "OBJECT", "NUMBER", "describe", "another_kind"]

MAX_JSON_BYTES = 50 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Kind(Generic[T]):
    """A kind of JSON value the importer expects, with its words for a message: the
    Walker returns the value narrowed to `T` or raises naming its path."""

    words: str
    """`a string`, `an integer` …: what the message says was expected."""
    test: Callable[[JSON], TypeGuard[T]]


def _is_str(value: JSON) -> TypeGuard[str]:
    return isinstance(value, str)


def _is_int(value: JSON) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_bool(value: JSON) -> TypeGuard[bool]:
    return isinstance(value, bool)


def _is_array(value: JSON) -> TypeGuard[list[JSON]]:
    return isinstance(value, list)


def _is_object(value: JSON) -> TypeGuard[JSONObject]:
    return isinstance(value, dict)


def _is_number(value: JSON) -> TypeGuard[int | float]:
    """A finite number: an answer read live (not through `read_json`) may hold NaN or
    Infinity, which Python's json reads and `round()` refuses."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


STRING: Kind[str] = Kind("a string", _is_str)
INTEGER: Kind[int] = Kind("an integer", _is_int)
"""An integer, not a boolean (JSON's `true` is no id)."""
BOOLEAN: Kind[bool] = Kind("a boolean", _is_bool)
ARRAY: Kind[list[JSON]] = Kind("an array", _is_array)
OBJECT: Kind[JSONObject] = Kind("an object", _is_object)
NUMBER: Kind[int | float] = Kind("a number", _is_number)


class JsonProblem(Exception):
    """The file cannot be imported; the message says where and why. `io`: the file could
    not be read at all (missing, a folder, no permission), an I/O failure (exit 2) rather
    than a problem in the input (exit 1), as `check` and `history` say it."""

    def __init__(self, file: str, where: str, message: str, hint: str | None = None, *,
                 io: bool = False) -> None:
        self.file, self.where, self.message, self.hint = file, where, message, hint
        self.io = io
        place = f"{file}: {where}" if where else file
        super().__init__(f"{place}: {message}")


def read_json(path: str, *, empty_ok: bool = False) -> JSON:
    """Parse a JSON file or raise `JsonProblem` (missing, too big, not UTF-8, truncated …).
    `empty_ok`: an empty file is None, not a problem (amoCRM answers an empty list with
    204 No Content, which `curl -o` saves as an empty file)."""
    if not os.path.exists(path):
        raise JsonProblem(path, "", "no such file", io=True)
    if os.path.isdir(path):
        raise JsonProblem(path, "", "is a directory, not a JSON file", io=True)
    size = os.path.getsize(path)
    if size > MAX_JSON_BYTES:
        raise JsonProblem(path, "", f"is {size / 1024 / 1024:.1f} MB, over the 50 MB limit",
                          "an account's pipelines and fields take a few hundred kB: is this the "
                          "right file?")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise JsonProblem(path, "", f"cannot read: {exc.strerror}", io=True) from None
    if not data.strip():
        if empty_ok:
            return None
        raise JsonProblem(path, "", "is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonProblem(path, "", f"is not UTF-8 text (byte {exc.start})",
                          "save the API answer as it came (amoCRM sends UTF-8)") from None
    try:
        data_read: JSON = json.loads(text, parse_constant=_constant, parse_float=_float,
                                     parse_int=_int)  # typeshed says Any: it gives JSON
        return data_read
    except _BadNumber as exc:
        found = re.search(r"[:\[,]\s*(" + re.escape(exc.literal) + ")", text)  # a value
        at = found.start(1) if found else max(text.find(exc.literal), 0)
        line = text.count("\n", 0, at) + 1
        column = at - text.rfind("\n", 0, at)
        shown = exc.literal if len(exc.literal) <= 24 else exc.literal[:20] + "…"
        raise JsonProblem(path, f"line {line} column {column}", f"`{shown}` {exc.why}",
                          "save the answer as the CRM sent it") from None
    except json.JSONDecodeError as exc:
        hint = ("the JSON stops before it is complete: was the download cut off?"
                if _unfinished(text) else None)
        raise JsonProblem(path, f"line {exc.lineno} column {exc.colno}",
                          f"not valid JSON: {exc.msg.lower()}", hint) from None
    except RecursionError:
        raise JsonProblem(path, "", "is nested too deeply to be an amoCRM answer") from None


MAX_DIGITS = 30
"""An integer of more digits is no id, order or count a CRM sends (Python would refuse
to convert one of over 4,300 digits: an internal failure instead of a message)."""


class _BadNumber(ValueError):
    """A number JSON cannot hold, or none a CRM sends: its text and why."""

    def __init__(self, literal: str, why: str) -> None:
        super().__init__(literal)
        self.literal, self.why = literal, why


def _constant(name: str) -> float:
    raise _BadNumber(name, "is not JSON: JSON has no NaN or Infinity")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(text, "is too large for a number")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _BadNumber(text, f"has {len(text.lstrip('-'))} digits: no CRM's id or count has "
                         f"over {MAX_DIGITS}")
    return int(text)


def _unfinished(text: str) -> bool:
    """True when the text ends inside a string or with brackets still open: a cut-off
    download rather than a wrong character somewhere in the middle."""
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return in_string or depth > 0


@dataclass
class Walker:
    """Typed access into parsed JSON that raises `JsonProblem` naming the exact path.

    Keys outside the documented answer are collected in `unknown`, never raised: a CRM
    adds keys to its answers without notice, and refusing a whole account for a key the
    importer would not read anyway helps nobody. Whether they are warnings or errors is
    the command's choice (`--strict`)."""

    file: str
    unknown: list[str] = field(default_factory=list)
    """JSON paths of the keys not in the documented answer, in the order met."""

    def fail(self, where: str, message: str, hint: str | None = None) -> JsonProblem:
        return JsonProblem(self.file, where or "the top level", message, hint)

    def expect(self, value: JSON, where: str, kind: Kind[T]) -> T:
        """`value` as `kind`, or `JsonProblem` at `where`."""
        if not kind.test(value):
            raise self.fail(where, f"expected {kind.words}, found {describe(value)}")
        return value

    def get(self, obj: JSONObject, key: str, where: str, kind: Kind[T]) -> T:
        """The value of a key the answer must have."""
        path = f"{where}.{key}" if where else key
        if key not in obj:
            raise self.fail(path, "missing")
        return self.expect(obj[key], path, kind)

    @overload
    def opt(self, obj: JSONObject, key: str, where: str, kind: Kind[T], *,
            nullable: bool = False, default: T) -> T: ...

    @overload
    def opt(self, obj: JSONObject, key: str, where: str, kind: Kind[T], *,
            nullable: bool = False, default: None = None) -> T | None: ...

    def opt(self, obj: JSONObject, key: str, where: str, kind: Kind[T], *,
            nullable: bool = False, default: T | None = None) -> T | None:
        """The value of a key the answer may leave out (`default` then), or, when
        `nullable`, set to null (`default` too)."""
        if key not in obj:
            return default
        value = obj[key]
        if value is None and nullable:
            return default
        return self.expect(value, f"{where}.{key}" if where else key, kind)

    def keys(self, obj: JSONObject, where: str, known: Iterable[str]) -> None:
        """Note every key of `obj` that is not in `known`."""
        allowed = known if isinstance(known, frozenset) else frozenset(known)
        for key in obj:
            if key not in allowed:
                self.unknown.append(f"{where}.{key}" if where else key)


def describe(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number" if math.isfinite(value) else f"{value} (not a JSON number)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


_IMPORT = {"amocrm": "funnelc import amocrm FILE", "bitrix24": "funnelc import --from bitrix24 FILE",
           "pipedrive": "funnelc import --from pipedrive FILE",
           "hubspot": "funnelc import --from hubspot FILE"}
_PIPEDRIVE_KEYS = frozenset({"pipelines", "stages", "dealFields", "personFields",
                             "organizationFields"})


def another_kind(data: JSON, crm: str) -> str | None:
    """A help for a file that is not `crm`'s answer but recognisably something else: funnelc's
    own export (a plan for the CRM, not what it holds) or another CRM's answers. None when
    it is neither (the caller's own message then says what is missing)."""
    if not isinstance(data, dict):
        return None
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt.startswith("funnelc/"):
        return (f"this is funnelc's own export (`{fmt}`), what is to be sent to the CRM, not "
                "what the CRM holds: apply it (`funnelc apply FILE.funnel --to CRM`), then "
                "import the CRM's answers")
    if "accounts" in data and "span" in data:
        return ("this is funnelc's JSON model (`export --to json`), not a CRM's answer: "
                "import reads what a CRM holds (the model came from a .funnel file)")
    if "_embedded" in data or "_links" in data:
        other = "amocrm"
    elif "result" in data:
        other = "bitrix24"
    elif "pipelines/deals" in data or any(str(k).startswith("properties/") for k in data):
        other = "hubspot"
    elif _PIPEDRIVE_KEYS & set(data):
        other = "pipedrive"
    else:
        return None
    if other == crm:
        return None
    names = {"amocrm": "amoCRM", "bitrix24": "Bitrix24", "pipedrive": "Pipedrive",
             "hubspot": "HubSpot"}
    return f"this looks like {names[other]}'s answer: `{_IMPORT[other]}`"
