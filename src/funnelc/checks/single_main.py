"""More than one `main` pipeline (FN211). `main` says where a bare stage name outside a
pipeline is read and which pipeline the CRM opens first: there can be only one."""

from __future__ import annotations

from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile
from .references import error

__all__ = ["check_single_main"]


def check_single_main(funnel: FunnelFile) -> Iterator[Diagnostic]:
    mains = [p for p in funnel.pipelines if p.main]
    for pipe in mains[1:]:
        yield error(codes.FN211, f"pipeline `{pipe.name.value}` is `main` too", funnel,
                    pipe.name.span, "second `main` pipeline",
                    secondary=(Label(mains[0].name.span, "already `main`"),),
                    help=f"keep `main` on one pipeline only (now `{mains[0].name.value}`)")
