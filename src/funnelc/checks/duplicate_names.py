"""Two things of one kind with the same name (FN207): teams, fields, sources, pipelines,
scenarios, and stages within one pipeline. References are by name, so the second one
could never be named; and a CRM would get two stages it cannot tell apart. Names that
differ only in case or spaces count as the same: a manager sees them as one.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Name
from .references import error

__all__ = ["check_duplicate_names"]


def _repeats(kind: str, names: Iterable[Name], funnel: FunnelFile,
             where: str = "") -> Iterator[Diagnostic]:
    first: dict[str, Name] = {}
    for name in names:
        earlier = first.setdefault(_same(name.value), name)
        if earlier is name:
            continue
        notes = () if earlier.value == name.value else (
            f"`{earlier.value}` and `{name.value}` differ only in case or spaces, which a "
            "manager in the CRM cannot tell apart",)
        yield error("FN207", f"{kind} `{name.value}` is defined twice{where}", funnel, name.span,
                    f"second {kind} of this name",
                    secondary=(Label(earlier.span, "first defined here"),), notes=notes,
                    help=f"rename one of them, or merge them into one {kind}")


def _same(name: str) -> str:
    """Names compare ignoring case and runs of spaces: `Заявка ` is `заявка`."""
    return " ".join(name.split()).casefold()


def check_duplicate_names(funnel: FunnelFile) -> Iterator[Diagnostic]:
    yield from _repeats("team", (t.name for t in funnel.teams), funnel)
    yield from _repeats("field", (f.name for f in funnel.fields), funnel)
    yield from _repeats("source", (s.name for s in funnel.sources), funnel)
    yield from _repeats("pipeline", (p.name for p in funnel.pipelines), funnel)
    yield from _repeats("scenario", (s.name for s in funnel.scenarios), funnel)
    for pipe in funnel.pipelines:
        yield from _repeats("stage", (s.name for s in pipe.stages), funnel,
                            f" in `{pipe.name.value}`")
