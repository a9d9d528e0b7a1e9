"""`--vary` specs and the grid they span.

A spec is a scenario line with a range where its value goes:

    team "Менеджеры" size 2..8
    source "Сайт и квиз" rate 10..40/day step 10      (the word `rate` is optional)
    stage "Продажи"."КП отправлено" respond 15m..2h step 15m
    stage "Продажи"."КП отправлено" sla 3d..10d step 1d -> lost "Долго думает"

`A..B [step S]` expands to A, A+S, … up to B (step 1 by default); the unit may be
written on either end or both, and the step may use another unit of the same kind
(`1d..3d step 12h`). The line with the first value is parsed like a `--set` line
(`funnelc.whatif.variants`), once, so a spec accepts exactly what a scenario accepts
and a wrong name gets the same did-you-mean, its caret pointing into the `--vary`
string. The parsed override is the axis's template (`AxisSlot`): every other value is
put into the model node the range stands for, never into text parsed again.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Severity, SourceText
from ..span import Span
from .overload import Overloaded
from .variants import OverrideError, OverrideLine

__all__ = ["VarySpec", "parse_vary", "grid_values", "MAX_VALUES", "MAX_POINTS", "SweepPoint",
           "axis_label", "axis_parts", "AxisSlot", "axis_slot"]

MAX_VALUES = 500
"""Values one axis may take: more is almost surely a mistyped step."""
MAX_POINTS = 10_000

_NUM = r"[0-9]+(?:\.[0-9]+)?"
_UNIT = r"(?:%|/(?:hour|day|week|month)|min|s|m|h|d|w|k|K|M)?"
_RANGE = re.compile(rf"({_NUM})({_UNIT})\.\.({_NUM})({_UNIT})"
                    rf"(?:\s+step\s+({_NUM})({_UNIT}))?(?![\w.%/])")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"?')
_RATE_WORD = re.compile(r'^(\s*source\s+(?:"(?:[^"\\]|\\.)*"|[^\s"]+)\s+)rate(\s+)')

_FAMILY: dict[str, tuple[str, float]] = {
    **{u: ("duration", h) for u, h in m.HOURS_PER_UNIT.items()},
    **{f"/{u}": ("rate", 1.0 / h) for u, h in m.HOURS_PER_RATE_UNIT.items()},
    "%": ("percent", 1.0), "k": ("amount", 1e3), "K": ("amount", 1e3), "M": ("amount", 1e6),
    "": ("number", 1.0),
}
"""Unit → (kind, size in the kind's base unit: hours, per hour, percent, ones)."""


def _fmt_number(x: float) -> str:
    if x == int(x):
        return str(int(x))
    return f"{x:.10f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class VarySpec:
    text: str
    """As the user typed it."""
    origin: str
    """"--vary", or "--vary #2" when there are several."""
    start: int
    end: int
    """The range (and its step) in `text`."""
    values: tuple[float, ...]
    unit: str
    parse_text: str = ""
    """`text` without the optional word `rate`, with the range in place."""
    cut: tuple[int, int] = (0, 0)
    """Where `rate ` was cut from `text` (offset, length), (0, 0) if not."""
    axis: str = field(default="")
    """Column name: `Менеджеры size`, `Сайт и квиз rate (/day)` (set after parsing)."""
    axis_what: str = ""
    """What of the subject varies (`size`, `rate`, `profile`, `work`, `sla`, `respond`,
    `stay`, `share`; empty for another kind of line): the renderers say it in the
    output's language."""
    axis_subject: str = ""
    """The team, source or `Pipeline.Stage` the axis changes."""

    def value_text(self, value: float) -> str:
        return _fmt_number(value) + self.unit

    def line(self, value: float) -> OverrideLine:
        """The override line for one value, mapping offsets back into `text`."""
        cut_at, cut_len = self.cut
        p_start, p_end = self.start - cut_len, self.end - cut_len
        vt = self.value_text(value)
        body = self.parse_text[:p_start] + vt + self.parse_text[p_end:]
        start, end = self.start, self.end

        def to_shown(o: int) -> int:
            # Undo the substitution, then the cut of `rate `.
            if o < p_start:
                q = o
            elif o < p_start + len(vt):
                return start + min(o - p_start, end - start - 1)
            else:
                q = o - len(vt) + (p_end - p_start)
            return q + cut_len if cut_len and q >= cut_at else q

        return OverrideLine(text=body, origin=self.origin, shown=self.text, to_shown=to_shown)


def _diag(origin: str, text: str, a: int, b: int, message: str, label: str,
          help: str | None) -> Diagnostic:
    b = max(b, a + 1)
    return Diagnostic(codes.FN292, Severity.error, message, origin,
                      Span(line=1, column=a + 1, end_line=1, end_column=b + 1, start=a, end=b),
                      label, help=help)


def parse_vary(text: str, origin: str = "--vary") -> VarySpec:
    """One `--vary` spec; raises `OverrideError` (a diagnostic with a caret into `text`)."""
    sources = {origin: SourceText(origin, text)}

    def fail(a: int, b: int, message: str, label: str = "", help: str | None = None
             ) -> OverrideError:
        return OverrideError([_diag(origin, text, a, b, message, label, help)], sources)

    quoted = [mt.span() for mt in _QUOTED.finditer(text)]
    found = [mt for mt in _RANGE.finditer(text)
             if not any(a <= mt.start() < b for a, b in quoted)]
    example = ('e.g. `team "Менеджеры" size 2..8` or '
               '`source "Сайт" rate 10..40/day step 10`')
    if not found:
        raise fail(len(text.rstrip()), len(text.rstrip()) + 1, "no range to vary",
                   "expected a range like `2..8` here", f"write the values as A..B [step S], {example}")
    if len(found) > 1:
        mt = found[1]
        raise fail(mt.start(), mt.end(), "two ranges in one --vary",
                   "a second range", "vary one thing per --vary; give another --vary for this")
    mt = found[0]
    lo_s, lo_u, hi_s, hi_u, step_s, step_u = mt.groups()
    if lo_u and hi_u and lo_u != hi_u:
        raise fail(mt.start(), mt.end(3) + len(hi_u), "the range's ends have different units",
                   f"`{lo_u}` and `{hi_u}`", "write both ends in one unit")
    unit = hi_u or lo_u or ""
    kind, size = _FAMILY[unit]
    lo, hi = float(lo_s), float(hi_s)
    step = 1.0
    if step_s is not None:
        s_unit = step_u or unit
        s_kind, s_size = _FAMILY[s_unit]
        if s_kind != kind:
            raise fail(mt.start(5), mt.end(), "the step's unit does not fit the range",
                       f"a {s_kind} step for a {kind} range",
                       f"write the step in {unit or 'plain numbers'}")
        step = float(step_s) * s_size / size
    if step <= 0:
        raise fail(mt.start(5), mt.end(), "empty range: the step is 0", "step must be above 0",
                   f"e.g. step {_fmt_number(max((hi - lo) / 4, 1.0))}{unit}")
    if hi < lo:
        raise fail(mt.start(), mt.end(), f"empty range `{mt.group(0)}`: the first value is "
                   "above the last", "this range has no values",
                   f"write it upwards: `{hi_s}{unit}..{lo_s}{unit}`")
    count = math.floor((hi - lo) / step + 1e-9) + 1
    if count > MAX_VALUES:
        raise fail(mt.start(), mt.end(), f"the range has {count} values (at most {MAX_VALUES})",
                   "too many values", "give a larger step")
    values = tuple(round(lo + i * step, 9) for i in range(count))

    cut = (0, 0)
    parse = text
    rate = _RATE_WORD.match(text)
    if rate is not None and rate.end() <= mt.start():
        at = rate.end(1)
        cut = (at, rate.end() - at)
        parse = text[:at] + text[rate.end():]
    return VarySpec(text=text, origin=origin, start=mt.start(), end=mt.end(), values=values,
                    unit=unit, parse_text=parse, cut=cut)


def axis_parts(ovr: m.Override) -> tuple[str, str]:
    """(what varies, of which subject) for `VarySpec.axis_what` and `axis_subject`."""
    stage = (f"{ovr.stage.pipeline.value}.{ovr.stage.stage.value}"
             if ovr.stage is not None and ovr.stage.pipeline is not None
             else ovr.stage.stage.value if ovr.stage is not None else "")
    subject = ovr.subject.value if ovr.subject is not None else ""
    what = {"team_size": "size", "source_rate": "rate", "source_profile": "profile",
            "source_cost": "cost", "source_budget": "budget",
            "stage_work": "work", "stage_sla": "sla", "stage_respond": "respond",
            "stage_stay": "stay", "stage_share": "share"}.get(ovr.kind, "")
    return what, (stage if ovr.kind.startswith("stage_") else subject) if what else ""


def axis_label(spec: VarySpec, ovr: m.Override) -> str:
    """What the axis is called in tables, CSV columns and plots."""
    unit = f" ({spec.unit})" if spec.unit else ""
    stage = (f"{ovr.stage.pipeline.value}.{ovr.stage.stage.value}"
             if ovr.stage is not None and ovr.stage.pipeline is not None
             else ovr.stage.stage.value if ovr.stage is not None else "")
    subject = ovr.subject.value if ovr.subject is not None else ""
    k = ovr.kind
    if k == "team_size":
        return f"{subject} size"
    if k == "source_rate":
        return f"{subject} rate{unit}"
    if k == "source_profile":
        return f"{subject} profile{unit}"
    if k in ("source_cost", "source_budget"):
        return f"{subject} {k.removeprefix('source_')}{unit}"
    if k in ("stage_work", "stage_sla", "stage_respond", "stage_stay"):
        return f"{stage} {k.removeprefix('stage_')}{unit}"
    if k == "stage_share":
        return f"{stage} share{unit}"
    return re.sub(r"\s+", " ", (spec.text[:spec.start] + spec.text[spec.end:])).strip() + unit


Path = tuple[str | int, ...]
"""Field names and tuple indices from an override down to one node in it."""


@dataclass(frozen=True)
class AxisSlot:
    """One `--vary` axis as a model transformation: the override parsed from the line
    with the first value, and where in it the range stands (`path`; `("size",)` for a
    team size, a bare number)."""

    spec: VarySpec
    line: OverrideLine
    override: m.Override
    path: Path

    def at(self, value: float) -> m.Override:
        """The override with `value` in the range's place; raises `OverrideError`
        when the value cannot stand there (a fractional team size)."""
        text = self.spec.value_text(value)
        if self.path == ("size",):
            if not text.isdigit():
                raise self._refuse(text, "a team size is a whole number")
            return self.override.model_copy(update={"size": int(text)})
        from ..scenarios import literal_like

        leaf = literal_like(_get(self.override, self.path), text)
        if leaf is None:  # pragma: no cover - the range's unit family fits the literal
            raise self._refuse(text, "the range's unit does not fit the value it replaces")
        return _put(self.override, self.path, leaf)

    def _refuse(self, text: str, why: str) -> OverrideError:
        spec = self.spec
        return OverrideError([_diag(spec.origin, spec.text, spec.start, spec.end,
                                    f"`{text}` cannot stand here: {why}", "in this range",
                                    "give a range whose every value fits")],
                             {spec.origin: SourceText(spec.origin, spec.text)})


def axis_slot(spec: VarySpec, line: OverrideLine, ovr: m.Override, start: int) -> AxisSlot:
    """The axis of `spec`, whose first-value `line` was parsed into `ovr` with the line
    starting at offset `start` of the parsed text. Raises `OverrideError` when the range
    stands for no single value of the override (e.g. inside a name)."""
    at = start + spec.start - spec.cut[1]
    end = at + len(spec.value_text(spec.values[0]))
    path = _find(ovr, at, end, ())
    if path is None and ovr.kind == "team_size" and ovr.span.end == end:
        path = ("size",)
    if path is None:
        raise OverrideError([_diag(spec.origin, spec.text, spec.start, spec.end,
                                   "this range stands for no value of the override",
                                   "nothing to vary here",
                                   "put the range where a size, rate, duration or share "
                                   "goes")], {spec.origin: SourceText(spec.origin, spec.text)})
    return AxisSlot(spec, line, ovr, path)


_LEAVES = (m.Quantity, m.Duration, m.Share, m.Rate)


def _find(node: object, a: int, b: int, path: Path) -> Path | None:
    if isinstance(node, _LEAVES):
        return path if (node.span.start, node.span.end) == (a, b) else None
    if isinstance(node, m.Node):
        for name in type(node).model_fields:
            if name != "span":
                hit = _find(getattr(node, name), a, b, path + (name,))
                if hit is not None:
                    return hit
    elif isinstance(node, tuple):
        for i, item in enumerate(node):
            hit = _find(item, a, b, path + (i,))
            if hit is not None:
                return hit
    return None


def _get(node: object, path: Path) -> m.Node:
    for step in path:
        node = node[step] if isinstance(step, int) else getattr(node, step)  # type: ignore[index]
    assert isinstance(node, m.Node)
    return node


def _put(node: object, path: Path, leaf: m.Node) -> m.Override:
    """A copy of `node` with the node at `path` replaced by `leaf` (the rest shared)."""
    def put(at: object, rest: Path) -> object:
        if not rest:
            return leaf
        step, tail = rest[0], rest[1:]
        if isinstance(step, int):
            items = list(at)  # type: ignore[call-overload]
            items[step] = put(items[step], tail)
            return tuple(items)
        assert isinstance(at, m.Node)
        return at.model_copy(update={step: put(getattr(at, step), tail)})

    out = put(node, path)
    assert isinstance(out, m.Override)
    return out


def grid_values(specs: Sequence[VarySpec]) -> list[tuple[float, ...]]:
    """Every combination, the first spec varying slowest (the order of the CSV rows)."""
    return list(itertools.product(*(s.values for s in specs)))


@dataclass
class SweepPoint:
    index: int
    values: tuple[float, ...]
    label: str
    estimates: dict
    """Metric key → Estimate (stored units; `MetricDef.scale` for display)."""
    graveyards: list[str]
    overloaded: list[Overloaded] = field(default_factory=list)
    """The teams that cannot keep up at this point (simulate's `unstable-team`)."""
