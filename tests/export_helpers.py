"""Small helpers the export tests share: funnel texts that pass `check`, loading them,
the documented placeholder rule applied as a runner would, and a JSON Schema check."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema

from conftest import ROOT
from funnelc.api import load_text
from funnelc.diagnostics import Diagnostic, SourceText, render_text
from funnelc.model import FunnelFile

SCHEMAS = ROOT / "src" / "funnelc" / "export" / "schemas"


def chain(names: list[str], last: str = "-> won") -> str:
    """Stages chained one after another so the file passes `check`."""
    out = []
    for i, name in enumerate(names):
        target = f'-> "{names[i + 1]}"' if i + 1 < len(names) else last
        out.append(f'  stage "{name}" {{ {target} }}')
    return "\n".join(out)


def account(body: str, head: str = "", language: str | None = None) -> str:
    lang = f"\n  language {language}" if language else ""
    return f'account "A" {{\n  currency RUB{lang}\n}}\n{head}\n{body}\n'


def one_pipeline(stages: str, head: str = "", first: str = "Заявка", name: str = "Продажи",
                 language: str | None = None) -> str:
    return account(f'pipeline "{name}" main {{\n{stages}\n}}',
                   head + f'\nsource "Сайт" 1/day -> "{name}"."{first}"', language)


def pipelines(pipes: list[tuple[str, str, str]], head: str = "",
              language: str | None = None) -> str:
    """Several pipelines (name, stages, first stage), the first `main`, each fed by a
    source so every stage is reached."""
    body = "\n".join(f'pipeline "{name}"{" main" if i == 0 else ""} {{\n{stages}\n}}'
                     for i, (name, stages, _first) in enumerate(pipes))
    sources = "\n".join(f'source "Источник {i}" 1/day -> "{name}"."{first}"'
                        for i, (name, _stages, first) in enumerate(pipes))
    return account(body, head + "\n" + sources, language)


def load(text: str) -> FunnelFile:
    loaded = load_text(text, "t.funnel")
    assert loaded.ok and loaded.model is not None, render_text(
        loaded.errors, {"t.funnel": SourceText("t.funnel", text)})
    return loaded.model


def load_unchecked(text: str) -> FunnelFile:
    """The model without the semantic checks, for an exporter's own guard against what
    `check` already refuses (a blank name is FN234 before any export runs)."""
    loaded = load_text(text, "t.funnel", checks=False)
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    return loaded.model


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def validate(target: str, data: Any) -> None:
    schema = json.loads((SCHEMAS / f"{target}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if part.isdigit() else data[part]
    return data


def _paths(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(path, string) of every string in `data`; list items are `name[]`."""
    out: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, f"{prefix}.{k}" if prefix else k)
    elif isinstance(data, list):
        for v in data:
            out += _paths(v, prefix + "[]")
    elif isinstance(data, str):
        out.append((prefix, data))
    return out


def placeholders_in(request: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, placeholder id) of every `{id}` in a request, outside `id`/`returns`."""
    body = {k: v for k, v in request.items() if k not in ("id", "returns")}
    return [(path, ref) for path, text in _paths(body) for ref in _PLACEHOLDER.findall(text)]


def substitute(value: Any, known: dict[str, Any]) -> Any:
    """The bundle's documented rule: an exact `{id}` becomes the value itself, `{id}`
    inside a longer string its text."""
    if isinstance(value, dict):
        return {k: substitute(v, known) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, known) for v in value]
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole[1] in known:
            return known[whole[1]]
        return _PLACEHOLDER.sub(lambda mt: str(known[mt[1]]) if mt[1] in known else mt[0], value)
    return value


def answer_with(path: str, value: Any) -> Any:
    """A minimal answer holding `value` at `path` (the shape `returns` names)."""
    parts = path.split(".")
    out: Any = value
    for part in reversed(parts):
        out = [out] if part.isdigit() else {part: out}
    return out
