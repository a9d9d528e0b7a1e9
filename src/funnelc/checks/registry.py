"""The list of semantic checks, in order. Adding a check = one module + one line here."""

from __future__ import annotations

from typing import Callable, Iterable

from ..diagnostics import Diagnostic
from ..model import FunnelFile

Check = Callable[[FunnelFile], Iterable[Diagnostic]]

CHECKS: tuple[Check, ...] = ()


def run_checks(funnel: FunnelFile) -> list[Diagnostic]:
    """Run every semantic check; findings sorted by position so output reads top-down."""
    out: list[Diagnostic] = []
    for check in CHECKS:
        out.extend(check(funnel))
    return sorted(out, key=Diagnostic.sort_key)
