"""Workshop mode (`funnelc serve FILE`): a local web page where the consultant and the
client edit a funnel and watch its diagram, exact figures, graveyards and staffing
change as they type.

The package is a layer above the features: it calls the same public API as the
command line (`api.load_text`, the linter, `analysis.exact`, `scenarios.apply_overrides`,
the simulation engine, the export registry) and turns the results into typed views the
page only draws. `app` (Starlette) is the one module that needs the optional extra
`funnelc[serve]`; everything else here is plain Python and is tested without a server.
"""

from __future__ import annotations

__all__ = ["EXTRA_MODULES", "missing_extra"]

EXTRA_MODULES = ("starlette", "uvicorn")
"""What `pip install 'funnelc[serve]'` adds, by import name."""


def missing_extra() -> list[str]:
    """The modules of the `serve` extra this installation lacks (found without
    importing them, so asking costs nothing)."""
    import importlib.util

    out = []
    for name in EXTRA_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            out.append(name)
    return out
