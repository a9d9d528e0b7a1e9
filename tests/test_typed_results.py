"""Issue 12: results are typed, no `Any`. The exporters, `apply`, the importers, the SARIF
log and the report summary hold JSON as `jsontypes.JSON`/`JSONObject` (or TypedDicts,
for the amoCRM bundle) and narrow it where they read it; this keeps `Any` from coming
back into an annotation there (mypy accepts `Any` silently, so it cannot guard this).

The check reads annotations with `ast`: parameters, returns, annotated assignments and
class fields, `typing.Any` spelt either way. A comment that names `Any` (where a
third-party API returns it) is no annotation and is allowed."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "funnelc"
TYPED = sorted([
    *(PACKAGE / "export").glob("*.py"),
    *(PACKAGE / "importers").glob("*.py"),
    PACKAGE / "lint" / "sarif.py",
    PACKAGE / "report" / "summary.py",
    PACKAGE / "commands" / "export.py",
    PACKAGE / "commands" / "apply.py",
    PACKAGE / "commands" / "import_.py",
    PACKAGE / "jsontypes.py",
])


def _names_any(node: ast.AST | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:  # a quoted annotation: "dict[str, Any]"
            return _names_any(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return False
    return any((isinstance(n, ast.Name) and n.id == "Any")
               or (isinstance(n, ast.Attribute) and n.attr == "Any")
               for n in ast.walk(node))


def any_annotations(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: what` for every annotation in `source` that names `Any`."""
    found: list[str] = []

    def note(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                        *filter(None, (args.vararg, args.kwarg))]:
                if _names_any(arg.annotation):
                    note(arg, f"parameter `{arg.arg}` of `{node.name}`")
            if _names_any(node.returns):
                note(node, f"return of `{node.name}`")
        elif isinstance(node, ast.AnnAssign) and _names_any(node.annotation):
            note(node, f"annotation of `{ast.unparse(node.target)}`")
    return found


def test_the_scan_finds_any_in_every_place_an_annotation_can_hold_it() -> None:
    source = (
        "from typing import Any\n"
        "import typing\n"
        "def f(a: Any, *, b: 'list[Any]') -> dict[str, Any]: ...\n"
        "class R:\n"
        "    payload: typing.Any\n"
        "x: int = 1  # Any in a comment is fine\n"
    )
    assert any_annotations(source) == [
        "<source>:3: parameter `a` of `f`",
        "<source>:3: parameter `b` of `f`",
        "<source>:3: return of `f`",
        "<source>:5: annotation of `payload`",
    ]


@pytest.mark.parametrize("path", TYPED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_any_in_the_annotations_of_results_and_payloads(path: Path) -> None:
    found = any_annotations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, ("annotated with Any (use jsontypes.JSON/JSONObject and narrow "
                       "with isinstance, or a TypedDict/dataclass):\n" + "\n".join(found))
