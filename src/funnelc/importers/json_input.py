"""Reading a CRM's JSON answer saved to a file, with a message for every way it can be
wrong that names the place inside the JSON (`_embedded.pipelines[2].name: expected a
string`), because the person importing did not write the file and cannot guess.

Limits: 50 MB (an amoCRM account's pipelines and fields are a few hundred kB; anything
bigger is the wrong export), UTF-8 (a BOM is fine), and complete JSON (a truncated
download is named as such).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_JSON_BYTES", "JsonProblem", "read_json", "Walker"]

MAX_JSON_BYTES = 50 * 1024 * 1024

_KINDS: dict[str, tuple[type, ...]] = {
    "a string": (str,), "an integer": (int,), "a boolean": (bool,), "an array": (list,),
    "an object": (dict,), "a number": (int, float),
}


class JsonProblem(Exception):
    """The file cannot be imported; the message says where and why."""

    def __init__(self, file: str, where: str, message: str, hint: str | None = None) -> None:
        self.file, self.where, self.message, self.hint = file, where, message, hint
        place = f"{file}: {where}" if where else file
        super().__init__(f"{place}: {message}")


def read_json(path: str) -> Any:
    """Parse a JSON file or raise `JsonProblem` (missing, too big, not UTF-8, truncated …)."""
    if not os.path.exists(path):
        raise JsonProblem(path, "", "no such file")
    if os.path.isdir(path):
        raise JsonProblem(path, "", "is a directory, not a JSON file")
    size = os.path.getsize(path)
    if size > MAX_JSON_BYTES:
        raise JsonProblem(path, "", f"is {size / 1024 / 1024:.1f} MB, over the 50 MB limit",
                          "an account's pipelines and fields take a few hundred kB: is this the "
                          "right file?")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise JsonProblem(path, "", f"cannot read: {exc.strerror}") from None
    if not data.strip():
        raise JsonProblem(path, "", "is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonProblem(path, "", f"is not UTF-8 text (byte {exc.start})",
                          "save the API answer as it came (amoCRM sends UTF-8)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ("the JSON stops before it is complete: was the download cut off?"
                if _unfinished(text) else None)
        raise JsonProblem(path, f"line {exc.lineno} column {exc.colno}",
                          f"not valid JSON: {exc.msg.lower()}", hint) from None
    except RecursionError:
        raise JsonProblem(path, "", "is nested too deeply to be an amoCRM answer") from None


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

    def expect(self, value: Any, where: str, kind: str) -> Any:
        ok = isinstance(value, _KINDS[kind])
        if kind in ("an integer", "a number") and isinstance(value, bool):
            ok = False
        if not ok:
            raise self.fail(where, f"expected {kind}, found {describe(value)}")
        return value

    def get(self, obj: dict[str, Any], key: str, where: str, kind: str, *,
            required: bool = True, nullable: bool = False, default: Any = None) -> Any:
        path = f"{where}.{key}" if where else key
        if key not in obj:
            if required:
                raise self.fail(path, "missing")
            return default
        value = obj[key]
        if value is None and nullable:
            return default
        return self.expect(value, path, kind)

    def keys(self, obj: dict[str, Any], where: str, known: Iterable[str]) -> None:
        """Note every key of `obj` that is not in `known`."""
        allowed = known if isinstance(known, frozenset) else frozenset(known)
        for key in obj:
            if key not in allowed:
                self.unknown.append(f"{where}.{key}" if where else key)


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
