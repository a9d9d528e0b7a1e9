"""Two things of one kind with the same name (FN207): teams, fields, sources, pipelines,
scenarios, and stages within one pipeline. References are by name, so the second one
could never be named; and a CRM would get two stages it cannot tell apart. Names that a
manager sees as one count as the same: names differing only in case or spaces, in
invisible characters (a zero-width space), or in look-alike letters of another script
(Latin `A` and Cyrillic `А`); see `funnelc.names.skeleton`. Blank names are FN234's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import codes
from ..diagnostics import Diagnostic, Label
from ..model import FunnelFile, Name
from ..names import describe_char, invisible_chars, is_blank, skeleton
from .references import error

__all__ = ["check_duplicate_names"]


def _repeats(kind: str, names: Iterable[Name], funnel: FunnelFile,
             where: str = "") -> Iterator[Diagnostic]:
    first: dict[str, Name] = {}
    for name in names:
        if is_blank(name.value):
            continue
        earlier = first.setdefault(skeleton(name.value), name)
        if earlier is name:
            continue
        note = _how_they_differ(earlier.value, name.value)
        yield error(codes.FN207, f"{kind} `{name.value}` is defined twice{where}", funnel, name.span,
                    f"second {kind} of this name",
                    secondary=(Label(earlier.span, "first defined here"),),
                    notes=(note,) if note else (),
                    help=f"rename one of them, or merge them into one {kind}")


def _how_they_differ(a: str, b: str) -> str | None:
    """Why two names with one skeleton are one name to a reader (None when equal)."""
    if a == b:
        return None
    if " ".join(a.split()).casefold() == " ".join(b.split()).casefold():
        return (f"`{a}` and `{b}` differ only in case or spaces, which a manager in the "
                "CRM cannot tell apart")
    hidden = invisible_chars(a) + invisible_chars(b)
    if hidden:
        chars = ", ".join(dict.fromkeys(describe_char(ch) for _, ch in hidden))
        return (f"`{a}` and `{b}` differ only in invisible characters ({chars}), which "
                "print as nothing")
    pair = _first_lookalike(a, b)
    if pair is not None:
        x, y = pair
        return (f"`{a}` and `{b}` look the same but are spelt with different letters: "
                f"`{x}` is {describe_char(x)} and `{y}` is {describe_char(y)}")
    return (f"`{a}` and `{b}` look the same to a reader (compatibility forms or "
            "look-alike letters)")


def _first_lookalike(a: str, b: str) -> tuple[str, str] | None:
    """The first pair of different letters at one place, when the names align."""
    if len(a) != len(b):
        return None
    for x, y in zip(a, b):
        if x != y and x.casefold() != y.casefold():
            return x, y
    return None


def check_duplicate_names(funnel: FunnelFile) -> Iterator[Diagnostic]:
    yield from _repeats("team", (t.name for t in funnel.teams), funnel)
    yield from _repeats("field", (f.name for f in funnel.fields), funnel)
    yield from _repeats("source", (s.name for s in funnel.sources), funnel)
    yield from _repeats("pipeline", (p.name for p in funnel.pipelines), funnel)
    yield from _repeats("scenario", (s.name for s in funnel.scenarios), funnel)
    for pipe in funnel.pipelines:
        yield from _repeats("stage", (s.name for s in pipe.stages), funnel,
                            f" in `{pipe.name.value}`")
