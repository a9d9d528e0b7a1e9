"""Models changed by override lines typed on the command line (`--set`, `--vary`): the
lines are wrapped as `scenario "--set" { LINE }` and parsed by the language's own parser,
once; every variant made from them is a model transformation
(`funnelc.scenarios.apply_overrides`) checked by the same semantic checks as a scenario
in the file. So the command line accepts exactly the scenario grammar, and a typo gets the
usual diagnostic, with its caret moved from the wrapped text back into the string the user
typed (`--> --set:1:6`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from .. import codes
from .. import model as m
from ..diagnostics import Diagnostic, Severity, SourceText
from ..span import Span

__all__ = ["OverrideLine", "OverrideError", "Overrides", "Parsed", "combine", "quote", "stage_ref_text"]

_PATH = "<override>"
_N = TypeVar("_N", bound=m.Node)


def quote(name: str) -> str:
    """A name as funnel text: always quoted, so any Unicode name reads back unchanged."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stage_ref_text(pipeline: str, stage: str) -> str:
    return f"{quote(pipeline)}.{quote(stage)}"


@dataclass(frozen=True)
class OverrideLine:
    """One override line for the parser, and how to point back at what the user typed.

    `text` is what the parser reads; `shown` is the user's own string that a caret
    points into (they differ for a `--vary` value substituted into its range);
    `to_shown` maps an offset in `text` to one in `shown`.
    """

    text: str
    origin: str
    shown: str | None = None
    to_shown: Callable[[int], int] | None = None

    @property
    def display(self) -> str:
        return self.shown if self.shown is not None else self.text

    def map(self, offset: int) -> int:
        return self.to_shown(offset) if self.to_shown is not None else offset


class OverrideError(Exception):
    """Override lines that cannot be parsed, checked or applied: the diagnostics, with
    the sources their carets point into."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, SourceText]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = sources


def _key(d: Diagnostic) -> tuple[str, str, int, int]:
    return (d.code, d.message, d.span.start if d.span else -1, d.span.end if d.span else -1)


@dataclass(frozen=True)
class Parsed:
    """Override lines read by the grammar (once), and how to point back into them: the
    spans of `scenario`'s overrides are offsets into the wrapped text, line `i` starting
    at `starts[i]`."""

    scenario: m.Scenario
    lines: tuple[OverrideLine, ...]
    starts: tuple[int, ...]

    @property
    def sources(self) -> dict[str, SourceText]:
        return {ln.origin: SourceText(ln.origin, ln.display) for ln in self.lines}

    def error(self, diagnostics: Sequence[Diagnostic]) -> OverrideError:
        """The diagnostics moved onto the lines the user typed."""
        remap = _Remap(self.lines, list(self.starts))
        return OverrideError([remap(d) for d in diagnostics], self.sources)


class Overrides:
    """Parses, checks and applies override lines against one base model.

    The lines are parsed once (`parse`); every variant made from them is a model
    transformation (`funnelc.scenarios.apply_overrides`), checked by running the checks
    on the base model carrying the overrides as a scenario, so a problem is reported on
    the override that causes it, in the string the user typed. The base model's own
    findings (it has passed the checks, so usually none) are computed once and
    subtracted, so only problems the overrides introduce are reported.
    """

    def __init__(self, base: m.FunnelFile) -> None:
        self.base = base
        self._known: set[tuple[str, str, int, int]] | None = None

    def _base_keys(self) -> set[tuple[str, str, int, int]]:
        if self._known is None:
            from ..checks import run_checks

            bare = self.base.model_copy(update={"scenarios": (), "path": _PATH})
            self._known = {_key(d) for d in run_checks(bare)}
        return self._known

    def parse(self, lines: Sequence[OverrideLine], name: str = "--set") -> Parsed:
        """The lines as one scenario named `name`, read by the language's parser;
        raises `OverrideError` for a line that is not exactly one override."""
        from ..build import NumberTooLong, UnknownEscapes, build_model
        from ..syntax import parse_text

        sources = {ln.origin: SourceText(ln.origin, ln.display) for ln in lines}
        problems: list[Diagnostic] = []
        for ln in lines:
            if "\n" in ln.text or "\r" in ln.text:
                problems.append(_whole(ln, "one override per option: the text has a line break",
                                       "repeat the option for each change"))
            elif not ln.text.strip() or ln.text.lstrip().startswith("#"):
                problems.append(_whole(ln, "empty override",
                                       'write one change, e.g. `team "Менеджеры" size 5`',
                                       codes.FN010))
        if problems:
            raise OverrideError(problems, sources)

        head = f"scenario {quote(name)} {{\n"
        starts = _starts(head, lines)
        wrapped = head + "".join(ln.text + "\n" for ln in lines) + "}\n"
        remap = _Remap(lines, starts)

        parsed = parse_text(wrapped, _PATH)
        if parsed.tree is None:
            raise OverrideError([remap(d) for d in parsed.diagnostics], sources)
        try:
            built = build_model(parsed.tree, _PATH, wrapped)
        except NumberTooLong as exc:
            raise OverrideError([remap(exc.diagnostic)], sources) from None
        except UnknownEscapes as exc:
            raise OverrideError([remap(d) for d in exc.diagnostics], sources) from None
        scen = built.scenarios[0] if len(built.scenarios) == 1 else None
        extra = (built.accounts or built.teams or built.fields or built.sources
                 or built.pipelines)
        if scen is None or extra or len(scen.overrides) != len(lines):
            raise OverrideError([_whole(ln, "expected exactly one override on this line",
                                        "write one change such as `team \"T\" size 5` or "
                                        "`source \"S\" 40/day`; see `scenario` in the README")
                                 for ln in lines], sources)
        for ln, start, ovr in zip(lines, starts, scen.overrides):
            if not start <= ovr.span.start <= start + len(ln.text):
                raise OverrideError([_whole(ln, "expected exactly one override on this line",
                                            "repeat the option for each change")], sources)
        return Parsed(scen, tuple(lines), tuple(starts))

    def check(self, parsed: Parsed, overrides: Sequence[m.Override] | None = None) -> None:
        """Run the checks on the base model carrying `overrides` (default: the parsed
        ones; a sweep point passes its own, made from them) as the scenario; raises
        `OverrideError` located in the lines the user typed."""
        from ..checks import run_checks

        scen = parsed.scenario if overrides is None else parsed.scenario.model_copy(
            update={"overrides": tuple(overrides)})
        combined = self.base.model_copy(update={"scenarios": (scen,), "path": _PATH})
        known = self._base_keys()
        found = [d for d in run_checks(combined) if _key(d) not in known]
        if found:
            raise parsed.error(found)

    def scenario(self, lines: Sequence[OverrideLine], name: str = "--set") -> m.Scenario:
        """The lines as one checked scenario named `name`; raises `OverrideError`."""
        parsed = self.parse(lines, name)
        self.check(parsed)
        return parsed.scenario

    def apply(self, lines: Sequence[OverrideLine], name: str = "--set") -> m.FunnelFile:
        """The base model with the lines applied in order; raises `OverrideError`."""
        parsed = self.parse(lines, name)
        return self.variant(parsed)

    def variant(self, parsed: Parsed, overrides: Sequence[m.Override] | None = None
                ) -> m.FunnelFile:
        """The base model with `overrides` (default: the parsed ones) checked and
        applied; raises `OverrideError` located in the lines the user typed."""
        from ..scenarios import ScenarioError, apply_overrides

        ovrs = parsed.scenario.overrides if overrides is None else tuple(overrides)
        self.check(parsed, ovrs)
        try:
            return apply_overrides(self.base, ovrs)
        except ScenarioError as exc:
            raise parsed.error([Diagnostic(codes.FN291, Severity.error,
                                           f"cannot apply: {exc.message}", _PATH, exc.span,
                                           help=exc.help)]) from None


def combine(parts: Sequence[Parsed], name: str) -> Parsed:
    """Lines parsed apart (each `--vary` alone, so a parse error names its spec) as if
    parsed together: the overrides' spans moved to where their line sits in the joint
    text, so that a finding about the combination points into the right string."""
    lines = [ln for p in parts for ln in p.lines]
    starts = _starts(f"scenario {quote(name)} {{\n", lines)
    ovrs: list[m.Override] = []
    for p in parts:
        for i, (ovr, old) in enumerate(zip(p.scenario.overrides, p.starts)):
            k = len(ovrs)
            ovrs.append(_shift(ovr, starts[k] - old, k - i))
    scen = parts[0].scenario.model_copy(update={"overrides": tuple(ovrs)})
    return Parsed(scen, tuple(lines), tuple(starts))


def _shift(node: _N, by: int, lines: int) -> _N:
    """`node` with every span moved `by` characters and `lines` lines on."""
    def move(value: object) -> object:
        if isinstance(value, Span):
            return value.model_copy(update={
                "start": value.start + by, "end": value.end + by,
                "line": value.line + lines, "end_line": value.end_line + lines})
        if isinstance(value, m.Node):
            return value.model_copy(update={k: move(getattr(value, k))
                                            for k in type(value).model_fields})
        if isinstance(value, tuple):
            return tuple(move(v) for v in value)
        return value

    return move(node)  # type: ignore[return-value]


def _starts(head: str, lines: Sequence[OverrideLine]) -> list[int]:
    """Where each line starts in `head` + the lines, one per text line."""
    starts, pos = [], len(head)
    for ln in lines:
        starts.append(pos)
        pos += len(ln.text) + 1
    return starts


def _whole(ln: OverrideLine, message: str, help: str, code: str = codes.FN001) -> Diagnostic:
    shown = ln.display
    return Diagnostic(code, Severity.error, message,
                      ln.origin,
                      Span(line=1, column=1, end_line=1, end_column=max(len(shown), 1) + 1,
                           start=0, end=max(len(shown), 1)),
                      "", help=help)


class _Remap:
    """Moves a diagnostic about the wrapped text onto the line the user typed."""

    def __init__(self, lines: Sequence[OverrideLine], starts: list[int]) -> None:
        self.lines = lines
        self.starts = starts

    def _line_of(self, offset: int) -> int:
        for i in range(len(self.lines) - 1, -1, -1):
            if offset >= self.starts[i]:
                return i
        return 0

    def _span(self, span: Span, i: int) -> Span:
        ln = self.lines[i]
        n = len(ln.text)
        a = min(max(span.start - self.starts[i], 0), n)
        b = min(max(span.end - self.starts[i], a), n)
        a2, b2 = ln.map(a), ln.map(b)
        if b2 <= a2:
            b2 = a2 + 1
        return Span(line=1, column=a2 + 1, end_line=1, end_column=b2 + 1, start=a2, end=b2)

    def __call__(self, d: Diagnostic) -> Diagnostic:
        if d.span is None:
            ln = self.lines[0]
            return replace(d, path=ln.origin)
        i = self._line_of(d.span.start)
        # Secondary labels point into the base file ("declared here"), not at this line.
        return replace(d, path=self.lines[i].origin, span=self._span(d.span, i), secondary=())
