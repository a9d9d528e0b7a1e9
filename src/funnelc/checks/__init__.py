"""Semantic checks: the errors a funnel file must not have. Each check is a small pure
function in its own module, `check_<what>(funnel) -> Iterable[Diagnostic]`, registered
in `CHECKS` below in the order their findings read best. Codes are FN2xx.

The registry lives in `registry.py` so that a check module can import shared helpers
without importing every other check.
"""

from .registry import CHECKS, run_checks

__all__ = ["CHECKS", "run_checks"]
