"""Field names that name no `field` (FN205): `requires` lists and `when` conditions.
A required field the card does not have would block the stage in the CRM."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import FunnelFile, Name
from .references import quote
from .unknown_names import unknown_name

__all__ = ["check_unknown_fields"]


def _field_names(funnel: FunnelFile) -> Iterator[Name]:
    for pipe in funnel.pipelines:
        for stage in pipe.stages:
            yield from stage.requires
            for out in stage.outcomes:
                if out.when is not None:
                    yield from (term.field for term in out.when.terms)


def check_unknown_fields(funnel: FunnelFile) -> Iterator[Diagnostic]:
    known = [f.name.value for f in funnel.fields]
    for name in _field_names(funnel):
        if name.value not in known:
            yield unknown_name(codes.FN205, "field", name, known, funnel,
                               f"field {quote(name.value)} text")
