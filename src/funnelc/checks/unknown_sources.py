"""Source names in scenarios that name no `source` (FN206): the what-if would change
nothing, and the comparison against the baseline would be silently meaningless."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile
from .references import quote
from .unknown_names import unknown_name

__all__ = ["check_unknown_sources"]


def check_unknown_sources(funnel: FunnelFile) -> Iterator[Diagnostic]:
    known = [s.name.value for s in funnel.sources]
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.kind.startswith("source_") and ovr.subject is not None \
                    and ovr.subject.value not in known:
                yield unknown_name(codes.FN206, "source", ovr.subject, known, funnel,
                                   f'source {quote(ovr.subject.value)} 10/day -> "Pipeline"."Stage"')
