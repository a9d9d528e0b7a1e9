"""Shared shape of the "unknown team / field / source" errors: the same label, a
did-you-mean, and otherwise how to declare the missing thing."""

from __future__ import annotations

from collections.abc import Iterable

from ..diagnostics import Diagnostic, did_you_mean
from ..model import FunnelFile, Name
from .references import error, listing

__all__ = ["unknown_name"]


def unknown_name(code: str, kind: str, name: Name, candidates: Iterable[str],
                 funnel: FunnelFile, declare: str) -> Diagnostic:
    """`unknown team `X``, labelled under the name, helped by the closest known one."""
    pool = list(candidates)
    guess = did_you_mean(name.value, pool)
    if guess is not None:
        help_text = f"did you mean `{guess}`?"
    elif pool:
        help_text = f"the {kind}s are {listing(pool)}; or declare it: `{declare}`"
    else:
        help_text = f"declare it: `{declare}`"
    return error(code, f"unknown {kind} `{name.value}`", funnel, name.span,
                 f"no {kind} of this name", help=help_text)
