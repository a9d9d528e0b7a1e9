"""funnelc: a compiler, linter and simulator for CRM sales funnels written as text.

The public API is small: `load()` a file into the typed model with its diagnostics;
the CLI (`funnelc`) only wraps it. Heavy parts (simulation, plots, exports) live in
subpackages and are imported only when used, so `import funnelc` stays fast.

The names below are resolved on first access (PEP 562): `funnelc.cli` is a submodule,
so importing it runs this file, and `funnelc --help` must not pay ~250 ms for pydantic
and lark just to print text.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "load", "load_text", "load_file", "load_bytes", "Loaded",
           "Diagnostic", "Severity"]

_LAZY: dict[str, str] = {
    "load": "funnelc.api", "load_text": "funnelc.api", "load_file": "funnelc.api",
    "load_bytes": "funnelc.api", "Loaded": "funnelc.api",
    "Diagnostic": "funnelc.diagnostics", "Severity": "funnelc.diagnostics",
}

if TYPE_CHECKING:
    from .api import Loaded, load, load_bytes, load_file, load_text
    from .diagnostics import Diagnostic, Severity


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'funnelc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
