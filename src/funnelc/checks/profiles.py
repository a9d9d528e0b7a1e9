"""A month listed twice in a source's seasonal profile (FN230): which multiplier holds
for that month would be a guess."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, MonthShare
from .references import error

__all__ = ["check_profiles"]


def _repeats(funnel: FunnelFile, profile: Iterable[MonthShare], owner: str
             ) -> Iterator[Diagnostic]:
    first: dict[str, MonthShare] = {}
    for ms in profile:
        earlier = first.setdefault(ms.month, ms)
        if earlier is not ms:
            yield error(codes.FN230, f"`{ms.month}` is listed twice in the profile of {owner}",
                        funnel, ms.span, "listed again here",
                        secondary=(Label(earlier.span, "first listed here"),),
                        help=f"keep one `{ms.month}` entry with the month's multiplier")


def check_profiles(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for src in funnel.sources:
        yield from _repeats(funnel, src.profile, f"source `{src.name.value}`")
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.kind == "source_profile" and ovr.subject is not None:
                yield from _repeats(funnel, ovr.profile, f"source `{ovr.subject.value}`")
