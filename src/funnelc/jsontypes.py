"""The type of a JSON document as the commands print it: what `json.dumps` takes and
`json.loads` gives back. One recursive alias, so that a result built for `--format json`
says what it holds instead of `Any`, and mypy checks every value put into it."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["JSON", "JSONObject"]

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"
"""Any JSON value: an object, an array, a string, a number, true/false or null."""

JSONObject: TypeAlias = "dict[str, JSON]"
"""A JSON object: what the `--format json` output of a command is at its top."""
