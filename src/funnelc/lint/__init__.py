"""funnelc.lint: the lint rules (FN1xx) and what runs them.

`lint(loaded, config=None)` returns the findings for a loaded file; `RULES` is the rule
registry; `LintConfig` / `config_for(path)` read `[tool.funnelc.lint]`. Exports load
lazily, so importing `funnelc.lint.naming` alone stays as cheap as its docstring says.
"""

from __future__ import annotations

from typing import Any

__all__ = ["lint", "lint_report", "lint_model", "RULES", "LintConfig", "config_for"]

_EXPORTS = {
    "lint": "runner", "lint_report": "runner", "lint_model": "runner", "RULES": "rules",
    "LintConfig": "config", "config_for": "config",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
