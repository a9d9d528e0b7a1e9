"""The canonical layout of funnel text (`funnelc fmt`): model + comments → text.

The formatter renders the *model*, not the parse tree, because "formats to the same
model" is the property that matters to every other part of funnelc, and the model keeps
what a layout needs: literal texts (`90m` stays `90m`), whether a name was quoted, and
the order statements were written in. Layout never reorders anything.

Two things the model does not hold are taken from the source text: comments (lexer
tokens, attached by position) and the second value of a statement written twice (an
error `check` reports, but formatting must not silently drop what the author wrote:
such a repeat is re-parsed on its own and rendered like any other statement).

Safety, as in black: the output is parsed again and must give the same model (spans
aside), the same comments, and the same text when formatted a second time; otherwise
`FormatInternalError` is raised and the caller writes nothing.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from . import model as m
from .api import Loaded, load_text
from .diagnostics import NOQA_COMMENT, Diagnostic

__all__ = [
    "INDENT", "TRAILING_GAP", "FormatError", "FormatSyntaxError", "FormatInternalError",
    "format_text", "format_loaded", "format_funnel", "format_model", "strip_spans",
    "model_equal_ignoring_spans", "comment_texts", "quote", "name_text",
]

INDENT = "  "
"""One block level."""
TRAILING_GAP = "  "
"""Between code and a comment on the same line (two spaces, as in PEP 8), so the
comment reads as a remark on the line rather than as part of it."""

_BOM = "\ufeff"
_NAME_RE = re.compile(r"[^\W\d](?:[^\W\d]|[0-9]|-)*")
"""The grammar's NAME terminal: what may be written without quotes."""
_SAME_REQUIRES = re.compile(r"[\s\\]*,[\s\\]*")
"""The gap between two names of one `requires` line (the next line starts with the
keyword, so a gap holding only a comma and blanks means the same statement)."""
_LINE_CONT = re.compile(r"\\[ \t]*\r?\n")
_SOURCE_OPTION = re.compile(r"(?<![\w-])(?:value|profile|cost|budget)(?![\w-])")
_SINGLE_STAGE_KINDS = frozenset({"owner", "work", "sla", "patience", "respond", "hint", "color",
                                 "alias", "stay", "cadence"})
_OUTCOME_OPTION_KINDS = frozenset({"after", "when", "copy"})
_ROUTE_KINDS = frozenset({"reply", "exhausted"})
_BLOCK_ITEMS = frozenset({"accounts", "pipelines", "scenarios"})
_ITEM_GROUPS = ("accounts", "teams", "fields", "sources", "pipelines", "scenarios")


# ---------------------------------------------------------------------------- errors
class FormatError(Exception):
    """Base of everything `fmt` refuses to do."""


class FormatSyntaxError(FormatError):
    """The text does not parse: there is nothing to format until the syntax is fixed."""

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.diagnostics: list[Diagnostic] = list(loaded.diagnostics)
        n = len(self.diagnostics)
        super().__init__(f"{loaded.path}: cannot format text with {n} syntax "
                         f"error{'s' if n != 1 else ''}; fix the syntax first")


class FormatInternalError(FormatError):
    """The formatter's own output failed a safety check: a bug in funnelc, never the
    user's fault; the file must be left as it is."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"internal formatter failure on {path}: {reason}")


# ---------------------------------------------------------------------------- public API
def format_text(text: str, path: str = "<string>") -> str:
    """Format funnel text; raises `FormatSyntaxError` if it does not parse."""
    if text.startswith(_BOM):
        text = text[1:]
    return format_loaded(load_text(text, path, checks=False))


def format_loaded(loaded: Loaded) -> str:
    """Format a loaded file (from `load_text(..., checks=False)`) and prove the result:
    same model, same comments, stable under a second pass."""
    if loaded.model is None or loaded.source is None:
        raise FormatSyntaxError(loaded)
    try:
        out = format_model(loaded.model, loaded.comments, loaded.source.text)
        _prove(loaded, out)
    except FormatInternalError as exc:
        raise FormatInternalError(loaded.path, exc.reason) from exc
    except Exception as exc:  # any slip in here is a bug, reported as such
        raise FormatInternalError(loaded.path, f"{type(exc).__name__}: {exc}") from exc
    return out


format_funnel = format_loaded


def format_model(funnel: m.FunnelFile, comments: Sequence[Any] = (),
                 source: str | None = None) -> str:
    """Render a model in the canonical layout, without the safety checks.

    `comments` are the lexer's COMMENT tokens and `source` the text they came from;
    both are optional, so a model built by hand (an importer) renders too: missing
    written-order tuples fall back to a fixed order.
    """
    if comments and source is None:
        raise ValueError("comments need the source text they came from")
    lines = _Layout(source).file(funnel)
    return _weave(lines, list(comments), source or "")


def comment_texts(comments: Iterable[Any]) -> list[str]:
    """Comment texts as `fmt` writes them (trailing blanks dropped), sorted: the
    multiset that must survive formatting."""
    return sorted(_comment_text(c) for c in comments)


def strip_spans(value: Any) -> Any:
    """A model (or its dump) as plain data with every position removed, for comparing
    what two texts mean regardless of where things sit."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, dict):
        if set(value) == _SPAN_KEYS:
            return None
        return {k: strip_spans(v) for k, v in value.items() if k not in ("span", "size_span")}
    if isinstance(value, (list, tuple)):
        return [strip_spans(v) for v in value]
    return value


_SPAN_KEYS = frozenset({"line", "column", "end_line", "end_column", "start", "end"})


def model_equal_ignoring_spans(a: m.FunnelFile, b: m.FunnelFile) -> bool:
    return bool(strip_spans(a) == strip_spans(b))


# ---------------------------------------------------------------------------- safety
def _prove(loaded: Loaded, out: str) -> None:
    assert loaded.model is not None and loaded.source is not None
    path = loaded.path
    if not out:
        # Only blanks and line continuations: nothing to keep, and `load_text` calls an
        # empty text an error, so it cannot be re-read; check that nothing was there.
        if loaded.comments or any(getattr(loaded.model, g) for g in _ITEM_GROUPS):
            raise FormatInternalError(path, "the formatted text is empty")
        return
    again = load_text(out, path, checks=False)
    if again.model is None or again.source is None:
        first = again.diagnostics[0] if again.diagnostics else None
        where = f" (line {first.span.line}: {first.message})" if first and first.span else ""
        raise FormatInternalError(path, f"the formatted text does not parse{where}")
    before, after = strip_spans(loaded.model), strip_spans(again.model)
    if before != after:
        raise FormatInternalError(
            path, f"the formatted text means something else ({_first_difference(before, after)})")
    if _repeat_values(loaded.model, loaded.source.text) != _repeat_values(again.model, out):
        raise FormatInternalError(path, "a statement written twice changed its value")
    if comment_texts(loaded.comments) != comment_texts(again.comments):
        lost = Counter(comment_texts(loaded.comments)) - Counter(comment_texts(again.comments))
        raise FormatInternalError(path, f"comments were not preserved (missing: {sorted(lost)[:3]})")
    if format_model(again.model, again.comments, out) != out:
        raise FormatInternalError(path, "formatting the output again changes it (unstable layout)")


def _first_difference(a: Any, b: Any, where: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if a.get(key) != b.get(key):
                return _first_difference(a.get(key), b.get(key), f"{where}.{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where or 'file'}: {len(a)} items became {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
    return f"{where or 'file'}: {str(a)[:60]!r} became {str(b)[:60]!r}"


def _repeat_values(funnel: m.FunnelFile, source: str) -> list[Any]:
    """What every repeated statement means, which the model keeps only as a span: read
    back from the text before and after formatting, so a repeat cannot change its value.
    (Parsed, not rendered: the check must not share the code it checks.)"""
    layout = _Layout(source)
    out: list[Any] = []
    for stage in (s for p in funnel.pipelines for s in p.stages):
        for kind, span in stage.duplicates:
            if kind == "cadence":
                out.append(layout.masked_cadence(span)[0])
            elif kind in _SINGLE_STAGE_KINDS:
                out.append(layout.stage_fragment(span))
            elif kind in _OUTCOME_OPTION_KINDS:
                out.append(layout.option_fragment(span))
            else:
                out.append(layout.route_fragment(kind, span))
    for acc in funnel.accounts:
        out.extend(layout.account_repeats(acc))
    for src in funnel.sources:
        raws = layout.source_option_texts(src)
        seen: set[str] = set()
        for kind, raw in zip(src.options, raws):
            if kind in seen:
                out.append(layout.source_fragment(raw))
            seen.add(kind)
    return strip_spans(out)


# ---------------------------------------------------------------------------- pieces of text
def quote(value: str) -> str:
    """A quoted text with `"` and `\\` escaped (the only escapes the grammar knows)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def name_text(name: m.Name) -> str:
    """Bare if the author wrote it bare and it is a valid bare name, else quoted."""
    if not name.quoted and _NAME_RE.fullmatch(name.value):
        return name.value
    return quote(name.value)


def _ref(ref: m.StageRef) -> str:
    if ref.pipeline is None:
        return name_text(ref.stage)
    return f"{name_text(ref.pipeline)}.{name_text(ref.stage)}"


def _dist(d: m.Dist) -> str:
    if d.bare and len(d.args) == 1:
        return d.args[0].text
    return f"{d.kind}(" + ", ".join(q.text for q in d.args) + ")"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _day(e: m.DayHours) -> str:
    if e.text:
        return e.text
    days = e.first_day if e.first_day == e.last_day else f"{e.first_day}-{e.last_day}"
    return f"{days} {_clock(e.start_minute)}-{_clock(e.end_minute)}"


def _hours(h: m.Hours) -> str:
    return ", ".join(_day(e) for e in h.entries)


def _target(t: m.StageTarget | m.WonTarget | m.LostTarget) -> str:
    if isinstance(t, m.StageTarget):
        return _ref(t.ref)
    if isinstance(t, m.WonTarget):
        return "won"
    return f"lost {quote(t.reason.value)}"


def _copy(c: m.Copy | None) -> str:
    return "" if c is None else f" then copy {_ref(c.ref)}"


def _profile(shares: Sequence[m.MonthShare]) -> str:
    return "profile " + ", ".join(f"{s.month} {s.share.text}" for s in shares)


def _literal(c: m.Comparison) -> str:
    if c.value_text:
        return c.value_text
    v = c.value
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, m.Name):
        return quote(v.value)
    if isinstance(v, (m.Quantity, m.Share)):
        return v.text
    return ""


def _condition(cond: m.Condition) -> str:
    terms = [f"{name_text(c.field)} filled" if c.op == "filled"
             else f"{name_text(c.field)} {c.op} {_literal(c)}" for c in cond.terms]
    return " and ".join(terms)


def _action(a: m.TaskAction | m.MessageAction | m.AssignAction) -> str:
    if isinstance(a, m.TaskAction):
        due = f" due {a.due.text}" if a.due is not None else ""
        to = f" to {name_text(a.team)}" if a.team is not None else ""
        return f"on enter task {quote(a.text.value)}{due}{to}"
    if isinstance(a, m.MessageAction):
        return f"on enter message {a.channel.value} {quote(a.template.value)}"
    return f"on enter assign {name_text(a.team)}"


def _sla(s: m.Sla) -> str:
    return f"sla {s.after.text} -> {_target(s.target)}{_copy(s.copy_to)}"


def _patience(p: m.Patience) -> str:
    return f"patience {_dist(p.dist)} -> {_target(p.target)}{_copy(p.copy_to)}"


def _field_type(t: m.FieldType) -> str:
    if t.kind == "int" and t.low is not None and t.high is not None:
        return f"int({t.low}..{t.high})"
    if t.kind in ("enum", "multi"):
        return f"{t.kind}(" + ", ".join(quote(v.value) for v in t.values) + ")"
    return t.kind


def _account_stmt(acc: m.Account, kind: str) -> str:
    if kind == "currency" and acc.currency is not None:
        return f"currency {acc.currency.value}"
    if kind == "hours" and acc.hours is not None:
        return f"hours {_hours(acc.hours)}"
    if kind == "language" and acc.language is not None:
        return f"language {acc.language}"
    if kind == "queue" and acc.queue is not None:
        return f"queue {acc.queue.value}"
    raise ValueError(f"account statement `{kind}` has no value")


def _stage_single(st: m.Stage, kind: str) -> str:
    if kind == "owner" and st.owner is not None:
        return f"owner {name_text(st.owner)}"
    if kind == "work" and st.work is not None:
        return f"work {_dist(st.work)}"
    if kind == "sla" and st.sla is not None:
        return _sla(st.sla)
    if kind == "patience" and st.patience is not None:
        return _patience(st.patience)
    if kind == "respond" and st.respond is not None:
        return f"respond {st.respond.text}"
    if kind == "hint" and st.hint is not None:
        return f"hint {quote(st.hint.value)}"
    if kind == "color" and st.color is not None:
        return f"color {quote(st.color.value)}"
    if kind == "alias" and st.alias is not None:
        return f"alias {st.alias.crm} {quote(st.alias.name.value)}"
    if kind == "stay" and st.stay is not None:
        return f"stay {st.stay.text}"
    raise ValueError(f"stage statement `{kind}` has no value")


def _outcome_option(out: m.Outcome, kind: str) -> str:
    if kind == "after" and out.after is not None:
        return f"after {_dist(out.after)}"
    if kind == "when" and out.when is not None:
        return f"when {_condition(out.when)}"
    if kind == "copy" and out.copy_to is not None:
        return f"then copy {_ref(out.copy_to.ref)}"
    raise ValueError(f"outcome option `{kind}` has no value")


def _source_option(src: m.Source, kind: str) -> str:
    if kind == "value" and src.value is not None:
        return f"value {_dist(src.value)}"
    if kind == "profile":
        return _profile(src.profile)
    if kind == "cost" and src.cost is not None:
        return f"cost {src.cost.text}"
    if kind == "budget" and src.budget is not None:
        return f"budget {src.budget.text}"
    raise ValueError(f"source option `{kind}` has no value")


def _route(kind: str, route: m.CadenceRoute) -> str:
    return f"on {kind} -> {_target(route.target)}{_copy(route.copy_to)}"


def _touch(t: m.Touch) -> str:
    when = "now" if t.offset is None else t.offset.text
    work = f" work {_dist(t.work)}" if t.work is not None else ""
    return f"{t.channel.value} {when} {t.reply.text}{work}"


def _reopen(r: m.Reopen) -> str:
    after = f" after {_dist(r.after)}" if r.after is not None else ""
    return f"reopen {quote(r.reason.value)} {r.share.text}{after} -> {_ref(r.target)}"


def _override(o: m.Override) -> str:
    subject = name_text(o.subject) if o.subject is not None else ""
    stage = _ref(o.stage) if o.stage is not None else ""
    if o.kind == "team_size":
        return f"team {subject} size {o.size}"
    if o.kind == "team_hours" and o.hours is not None:
        return f"team {subject} hours {_hours(o.hours)}"
    if o.kind == "source_rate" and o.rate is not None:
        return f"source {subject} {o.rate.text}"
    if o.kind == "source_profile":
        return f"source {subject} {_profile(o.profile)}"
    if o.kind == "source_cost" and o.cost is not None:
        return f"source {subject} cost {o.cost.text}"
    if o.kind == "source_budget" and o.budget is not None:
        return f"source {subject} budget {o.budget.text}"
    if o.kind == "stage_work" and o.work is not None:
        return f"stage {stage} work {_dist(o.work)}"
    if o.kind == "stage_sla" and o.sla is not None:
        return f"stage {stage} {_sla(o.sla)}"
    if o.kind == "stage_respond" and o.respond is not None:
        return f"stage {stage} respond {o.respond.text}"
    if o.kind == "stage_owner" and o.owner is not None:
        return f"stage {stage} owner {name_text(o.owner)}"
    if o.kind == "stage_share" and o.target is not None and o.share is not None:
        return f"stage {stage} -> {_target(o.target)} {o.share.text}"
    if o.kind == "stage_stay" and o.share is not None:
        return f"stage {stage} stay {o.share.text}"
    raise ValueError(f"scenario change `{o.kind}` is missing its value")


def _team(t: m.Team) -> str:
    hours = f" hours {_hours(t.hours)}" if t.hours is not None else ""
    cost = f" cost {t.cost.text}" if t.cost is not None else ""
    return f"team {name_text(t.name)} size {t.size}{cost}{hours}"


def _field(f: m.CardField) -> str:
    entity = f" on {f.entity.value}" if f.entity_explicit or f.entity is not m.Entity.deal else ""
    return f"field {name_text(f.name)} {_field_type(f.type)}{entity}"


# ---------------------------------------------------------------------------- written order
# A model built by hand (not parsed) may carry no written-order tuples; these give the
# order a reader expects.
def _file_order(f: m.FunnelFile) -> Sequence[tuple[str, int]]:
    if f.order:
        return f.order
    return [(g, i) for g in _ITEM_GROUPS for i in range(len(getattr(f, g)))]


def _account_order(a: m.Account) -> Sequence[str]:
    if a.statements:
        return a.statements
    return [k for k in ("currency", "hours", "language", "queue") if getattr(a, k) is not None]


def _stage_order(st: m.Stage) -> Sequence[str]:
    if st.order:
        return st.order
    order = [k for k in ("owner", "work", "sla", "patience", "respond")
             if getattr(st, k) is not None]
    order += ["on_enter"] * len(st.on_enter)
    order += ["requires"] if st.requires else []
    order += [k for k in ("hint", "color", "alias") if getattr(st, k) is not None]
    order += ["outcome"] * len(st.outcomes)
    order += [k for k in ("stay", "cadence") if getattr(st, k) is not None]
    return order


def _pipeline_order(p: m.Pipeline) -> Sequence[str]:
    return p.order or ["stage"] * len(p.stages) + ["reopen"] * len(p.reopens)


def _pipeline_flags(p: m.Pipeline) -> Sequence[str]:
    if p.flags:
        return p.flags
    flags = ["main"] if p.main else []
    flags += [x.value for x in (p.style, p.purpose) if x is not None]
    return flags


def _cadence_order(c: m.Cadence) -> Sequence[str]:
    if c.order:
        return c.order
    return (["touch"] * len(c.touches) + (["reply"] if c.on_reply else [])
            + (["exhausted"] if c.on_exhausted else []))


def _outcome_order(o: m.Outcome) -> Sequence[str]:
    if o.options:
        return o.options
    return [k for k, v in (("after", o.after), ("when", o.when), ("copy", o.copy_to)) if v]


def _source_order(s: m.Source) -> Sequence[str]:
    if s.options:
        return s.options
    return ((["value"] if s.value is not None else []) + (["profile"] if s.profile else [])
            + (["cost"] if s.cost is not None else [])
            + (["budget"] if s.budget is not None else []))


# ---------------------------------------------------------------------------- layout
@dataclass
class _Line:
    """One output line of code, with the source offsets its code came from (`start`
    where it begins, `end` where it ends) so comments can find their place."""

    depth: int
    text: str
    start: int
    end: int
    kind: str  # "open" (a block header ending in `{`), "close" (`}`) or "stmt"
    blank_before: bool = False


@dataclass
class _Layout:
    """Model → lines. `src` (the parsed text) is needed only for comments and repeats;
    without it offsets are zero and repeats are skipped."""

    src: str | None
    lines: list[_Line] = field(default_factory=list)

    def emit(self, depth: int, text: str, start: int, end: int, kind: str = "stmt",
             blank: bool = False) -> None:
        self.lines.append(_Line(depth, text, start, end, kind, blank))

    # ------------------------------------------------------------ braces in the source
    def open_brace(self, after: int) -> int:
        """Offset of the `{` that opens a block whose header ends at `after` (between
        them there are only flag words and blanks: a comment would swallow the `{`)."""
        if self.src is None:
            return 0
        return self.src.index("{", after)

    def close_brace(self, pos: int) -> int:
        """Offset of the `}` that closes a block whose last content ends at `pos`."""
        src = self.src
        if src is None:
            return 0
        n = len(src)
        while pos < n:
            c = src[pos]
            if c == "}":
                return pos
            if c == "#":
                nl = src.find("\n", pos)
                pos = n if nl < 0 else nl
            elif c in " \t\f\r\n\\":
                pos += 1
            else:
                break
        raise FormatInternalError("<source>", f"expected `}}` at offset {pos}")

    def block(self, depth: int, header: str, node_start: int, header_end: int,
              blank: bool) -> int:
        ob = self.open_brace(header_end)
        self.emit(depth, header + " {", node_start, ob + 1, "open", blank)
        return ob + 1

    def end_block(self, depth: int, pos: int) -> int:
        cb = self.close_brace(pos)
        self.emit(depth, "}", cb, cb + 1, "close")
        return cb + 1

    # ------------------------------------------------------------ file
    def file(self, f: m.FunnelFile) -> list[_Line]:
        prev: str | None = None
        for group, index in _file_order(f):
            item = getattr(f, group)[index]
            blank = prev is not None and (group != prev or group in _BLOCK_ITEMS
                                          or prev in _BLOCK_ITEMS)
            if group == "accounts":
                self.account(item, blank)
            elif group == "pipelines":
                self.pipeline(item, blank)
            elif group == "scenarios":
                self.scenario(item, blank)
            elif group == "teams":
                self.emit(0, _team(item), item.span.start, item.span.end, blank=blank)
            elif group == "fields":
                self.emit(0, _field(item), item.span.start, item.span.end, blank=blank)
            else:
                self.source(item, blank)
            prev = group
        return self.lines

    # ------------------------------------------------------------ account
    def account(self, acc: m.Account, blank: bool) -> None:
        pos = self.block(0, f"account {name_text(acc.name)}", acc.span.start, acc.name.span.end,
                         blank)
        order = _account_order(acc)
        body = self.account_body(pos) if self.src is not None else []
        seen: set[str] = set()
        for i, kind in enumerate(order):
            start, end = body[i] if i < len(body) else (0, 0)
            if kind in seen:
                if self.src is None:
                    continue
                text = self.account_repeat(self.src[start:end])
            else:
                text = _account_stmt(acc, kind)
            seen.add(kind)
            self.emit(1, text, start, end)
            pos = max(pos, end)
        self.end_block(0, pos)

    def account_body(self, pos: int) -> list[tuple[int, int]]:
        """Offsets of the account's statements: the model keeps no position for some of
        them (`language`, `queue`) and no value for repeats. Account statements hold no
        quoted text, so a plain scan finds them."""
        assert self.src is not None
        src, n = self.src, len(self.src)
        found: list[tuple[int, int]] = []
        start = end = -1
        while pos < n and src[pos] != "}":
            c = src[pos]
            if c == "#":
                nl = src.find("\n", pos)
                pos = n if nl < 0 else nl
                continue
            if c == "\\":
                cont = _LINE_CONT.match(src, pos)
                if cont:
                    pos = cont.end()
                    continue
            if c == "\n":
                if start >= 0:
                    found.append((start, end))
                start = -1
            elif c not in " \t\f\r":
                if start < 0:
                    start = pos
                end = pos + 1
            pos += 1
        if start >= 0:
            found.append((start, end))
        return found

    def account_repeats(self, acc: m.Account) -> list[m.Account]:
        if self.src is None:
            return []
        body = self.account_body(self.open_brace(acc.name.span.end) + 1)
        seen: set[str] = set()
        out = []
        for kind, (start, end) in zip(acc.statements, body):
            if kind in seen:
                out.append(self.account_fragment(self.src[start:end]))
            seen.add(kind)
        return out

    # ------------------------------------------------------------ sources
    def source(self, src: m.Source, blank: bool) -> None:
        parts = [f"source {name_text(src.name)} {src.rate.text} -> {_ref(src.target)}"]
        raws = self.source_option_texts(src) if self.src is not None else []
        seen: set[str] = set()
        for i, kind in enumerate(_source_order(src)):
            if kind in seen:
                if i < len(raws):
                    parts.append(self.source_repeat(raws[i]))
            else:
                parts.append(_source_option(src, kind))
            seen.add(kind)
        self.emit(0, " ".join(parts), src.span.start, src.span.end, blank=blank)

    def source_option_texts(self, src: m.Source) -> list[str]:
        """The options of a source line as written. They hold no quoted text, and their
        keywords appear nowhere else in them, so the keywords split them."""
        if self.src is None:
            return []
        tail = self.src[src.target.span.end:src.span.end]
        starts = [mt.start() for mt in _SOURCE_OPTION.finditer(tail)] + [len(tail)]
        return [re.sub(r"[\s\\]+$", "", tail[a:b]) for a, b in itertools.pairwise(starts)]

    # ------------------------------------------------------------ pipelines and stages
    def pipeline(self, p: m.Pipeline, blank: bool) -> None:
        header = " ".join([f"pipeline {name_text(p.name)}", *_pipeline_flags(p)])
        pos = self.block(0, header, p.span.start, p.name.span.end, blank)
        counts: Counter[str] = Counter()
        prev: str | None = None
        for kind in _pipeline_order(p):
            n = counts[kind]
            counts[kind] += 1
            gap = prev is not None and "stage" in (kind, prev)
            if kind == "stage":
                pos = self.stage(p.stages[n], gap)
            else:
                r = p.reopens[n]
                self.emit(1, _reopen(r), r.span.start, r.span.end, blank=gap)
                pos = r.span.end
            prev = kind
        self.end_block(0, pos)

    def stage(self, st: m.Stage, blank: bool) -> int:
        header = f"stage {name_text(st.name)}" + (" key" if st.key else "")
        pos = self.block(1, header, st.span.start, st.name.span.end, blank)
        repeats: dict[str, list[m.Span]] = {}
        for kind, span in st.duplicates:
            repeats.setdefault(kind, []).append(span)
        groups = self.requires_groups(st.requires)
        counts: Counter[str] = Counter()
        for kind in _stage_order(st):
            n = counts[kind]
            counts[kind] += 1
            if kind in _SINGLE_STAGE_KINDS and n > 0:
                if self.src is None or n > len(repeats.get(kind, ())):
                    continue
                span = repeats[kind][n - 1]
                if kind == "cadence":
                    cad, routes = self.masked_cadence(span)
                    pos = self.cadence(cad, routes)
                else:
                    self.emit(2, self.stage_repeat(kind, span), span.start, span.end)
                    pos = span.end
            elif kind == "cadence" and st.cadence is not None:
                inside = [(k, s) for k, s in st.duplicates if k in _ROUTE_KINDS
                          and st.cadence.span.start <= s.start < st.cadence.span.end]
                pos = self.cadence(st.cadence, inside)
            elif kind == "outcome":
                out = st.outcomes[n]
                options = [s for k, s in st.duplicates if k in _OUTCOME_OPTION_KINDS
                           and out.span.start <= s.start < out.span.end]
                self.emit(2, self.outcome(out, options), out.span.start, out.span.end)
                pos = out.span.end
            elif kind == "on_enter":
                a = st.on_enter[n]
                self.emit(2, _action(a), a.span.start, a.span.end)
                pos = a.span.end
            elif kind == "requires":
                if n >= len(groups):
                    continue
                names = groups[n]
                self.emit(2, "requires " + ", ".join(name_text(x) for x in names),
                          names[0].span.start, names[-1].span.end)
                pos = names[-1].span.end
            else:
                text = _stage_single(st, kind)
                span = _single_span(st, kind)
                self.emit(2, text, span.start, span.end)
                pos = span.end
        return self.end_block(1, pos)

    def requires_groups(self, names: Sequence[m.Name]) -> list[list[m.Name]]:
        """Split the stage's `requires` names back into the lines they were written on
        (the model concatenates them)."""
        groups: list[list[m.Name]] = []
        for name in names:
            if groups and (self.src is None or _SAME_REQUIRES.fullmatch(
                    self.src, groups[-1][-1].span.end, name.span.start)):
                groups[-1].append(name)
            else:
                groups.append([name])
        return groups

    def outcome(self, out: m.Outcome, repeats: list[m.Span]) -> str:
        parts = [f"-> {_target(out.target)}"]
        if out.share is not None:
            parts.append(out.share.text)
        seen: set[str] = set()
        later = iter(repeats)
        for kind in _outcome_order(out):
            if kind in seen:
                span = next(later, None)
                if span is not None:
                    parts.append(self.option_repeat(span))
            else:
                parts.append(_outcome_option(out, kind))
            seen.add(kind)
        return " ".join(parts)

    def cadence(self, cad: m.Cadence, repeats: list[tuple[str, m.Span]]) -> int:
        """`repeats`: the (kind, span) of `on reply`/`on exhausted` lines written twice
        in this cadence."""
        pos = self.block(2, "cadence", cad.span.start, cad.span.start, False)
        counts: Counter[str] = Counter()
        for kind in _cadence_order(cad):
            n = counts[kind]
            counts[kind] += 1
            if kind == "touch":
                t = cad.touches[n]
                self.emit(3, _touch(t), t.span.start, t.span.end)
                pos = t.span.end
                continue
            route = cad.on_reply if kind == "reply" else cad.on_exhausted
            if n == 0 and route is not None:
                self.emit(3, _route(kind, route), route.span.start, route.span.end)
                pos = route.span.end
                continue
            spans = [s for k, s in repeats if k == kind]
            if self.src is not None and 0 < n <= len(spans):
                span = spans[n - 1]
                self.emit(3, self.route_repeat(kind, span), span.start, span.end)
                pos = span.end
        return self.end_block(2, pos)

    # ------------------------------------------------------------ scenarios
    def scenario(self, sc: m.Scenario, blank: bool) -> None:
        pos = self.block(0, f"scenario {name_text(sc.name)}", sc.span.start, sc.name.span.end,
                         blank)
        for o in sc.overrides:
            self.emit(1, _override(o), o.span.start, o.span.end)
            pos = o.span.end
        self.end_block(0, pos)

    # ------------------------------------------------------------ repeated statements
    # The model keeps only the first value of a statement written twice. The repeat is
    # parsed on its own inside a minimal wrapper and rendered like any statement.
    def _fragment(self, wrapper: str) -> m.FunnelFile:
        loaded = load_text(wrapper, "<repeat>", checks=False)
        if loaded.model is None:
            raise FormatInternalError("<source>", f"cannot re-read a repeated statement: {wrapper!r}")
        return loaded.model

    def stage_fragment(self, span: m.Span) -> m.Stage:
        assert self.src is not None
        frag = self.src[span.start:span.end]
        return self._fragment(f"pipeline x {{\nstage x {{\n{frag}\n}}\n}}\n").pipelines[0].stages[0]

    def option_fragment(self, span: m.Span) -> m.Outcome:
        assert self.src is not None
        frag = self.src[span.start:span.end]
        f = self._fragment(f"pipeline x {{\nstage x {{\n-> won {frag}\n}}\n}}\n")
        return f.pipelines[0].stages[0].outcomes[0]

    def route_fragment(self, kind: str, span: m.Span) -> m.CadenceRoute:
        assert self.src is not None
        frag = self.src[span.start:span.end]
        f = self._fragment(f"pipeline x {{\nstage x {{\ncadence {{\n{frag}\n}}\n}}\n}}\n")
        cad = f.pipelines[0].stages[0].cadence
        assert cad is not None
        route = cad.on_reply if kind == "reply" else cad.on_exhausted
        assert route is not None
        return route

    def account_fragment(self, frag: str) -> m.Account:
        return self._fragment(f"account x {{\n{frag}\n}}\n").accounts[0]

    def source_fragment(self, frag: str) -> m.Source:
        return self._fragment(f"source x 1/day -> x {frag}\n").sources[0]

    def stage_repeat(self, kind: str, span: m.Span) -> str:
        return _stage_single(self.stage_fragment(span), kind)

    def option_repeat(self, span: m.Span) -> str:
        out = self.option_fragment(span)
        return _outcome_option(out, out.options[0])

    def route_repeat(self, kind: str, span: m.Span) -> str:
        return _route(kind, self.route_fragment(kind, span))

    def account_repeat(self, frag: str) -> str:
        acc = self.account_fragment(frag)
        return _account_stmt(acc, acc.statements[0])

    def source_repeat(self, frag: str) -> str:
        src = self.source_fragment(frag)
        return _source_option(src, src.options[0])

    def masked_cadence(self, span: m.Span) -> tuple[m.Cadence, list[tuple[str, m.Span]]]:
        """A second `cadence` block in a stage: parse the original text with everything
        but that block blanked out (offsets unchanged, so its comments still find their
        places) under a minimal pipeline and stage, written into the blanked part."""
        assert self.src is not None
        # The block's span may or may not include its `}`, depending on how the tree
        # builder propagates positions; its last inner token never ends in `}`.
        if self.src[span.end - 1] == "}":
            close = span.end - 1
        else:
            close = self.close_brace(max(span.end, self.open_brace(span.start) + 1))
        chars = [c if c == "\n" else " " for c in self.src]
        chars[span.start:close + 1] = self.src[span.start:close + 1]
        prefix = "pipeline x{stage x{"
        suffix = "}}"
        if span.start < len(prefix) + 1 or len(chars) < close + 1 + len(suffix):
            raise FormatInternalError("<source>", "no room to re-read a repeated cadence")
        chars[0:len(prefix)] = prefix
        chars[close + 1:close + 1 + len(suffix)] = suffix
        st = self._fragment("".join(chars)).pipelines[0].stages[0]
        assert st.cadence is not None
        return st.cadence, [(k, s) for k, s in st.duplicates if k in _ROUTE_KINDS]


def _single_span(st: m.Stage, kind: str) -> m.Span:
    node = {"owner": st.owner, "work": st.work, "sla": st.sla, "patience": st.patience,
            "respond": st.respond, "hint": st.hint, "color": st.color, "alias": st.alias,
            "stay": st.stay}[kind]
    assert node is not None
    return node.span


# ---------------------------------------------------------------------------- comments
def _comment_text(tok: Any) -> str:
    return str(tok).rstrip(" \t\r\f\v")


def _keep_suppressed_lines(lines: list[_Line], comments: list[Any], src: str) -> list[_Line]:
    """A line of source that ends in a `# funnelc: noqa` comment and would be opened
    up into several lines (`stage "X" { -> won }  # funnelc: noqa FN101`) stays one
    line: a suppression hides what its line holds (a stage's header line, everything in
    the stage), so moving the comment to any one of the new lines would bring back the
    findings of the others (findings h4, section 3: the comment landed after `}`, and
    2 warnings and 1 note became 7 warnings and 2 notes). The lines are joined with
    single spaces, which `fmt` gives again on its own output."""
    ends = [ln.end for ln in lines]
    groups: list[tuple[int, int]] = []
    for c in comments:
        if not NOQA_COMMENT.search(str(c)):
            continue
        row_start = src.rfind("\n", 0, c.start_pos) + 1
        if src[row_start:c.start_pos].strip(" \t\f\r"):
            last = bisect.bisect_right(ends, c.start_pos) - 1
            first = last
            while first > 0 and ends[first - 1] > row_start:
                first -= 1
            if 0 <= first < last:
                groups.append((first, last))
    if not groups:
        return lines
    out = list(lines)
    for first, last in sorted(groups, reverse=True):
        run = out[first:last + 1]
        net = sum(ln.kind == "open" for ln in run) - sum(ln.kind == "close" for ln in run)
        kind = "open" if net > 0 else "close" if run[0].kind == "close" else "stmt"
        out[first:last + 1] = [_Line(run[0].depth, " ".join(ln.text for ln in run),
                                     run[0].start, run[-1].end, kind, run[0].blank_before)]
    return out


def _weave(lines: list[_Line], comments: list[Any], src: str) -> str:
    """Put the comments back between the lines and lay out blank lines.

    A comment after code on its line stays at the end of the line that holds that code;
    a comment on a line of its own goes before the line of the next code (at that
    code's indentation; one level in when that code is a closing `}`), or at the end of
    the file. Blank lines are canonical (`_Line.blank_before`), plus one blank line kept
    wherever the author had one next to an own-line comment, so commented sections stay
    apart. Never a blank line first, last, right after `{` or right before `}`.
    """
    line_starts = [0] + [i + 1 for i, c in enumerate(src) if c == "\n"]
    source_lines = src.split("\n")

    def blank_above(offset: int) -> bool:
        row = bisect.bisect_right(line_starts, offset) - 1  # 0-based row of offset
        return row >= 1 and not source_lines[row - 1].strip(" \t\f\r")

    lines = _keep_suppressed_lines(lines, comments, src)
    starts = [ln.start for ln in lines]
    ends = [ln.end for ln in lines]
    leading: dict[int, list[Any]] = {}
    trailing: dict[int, list[Any]] = {}
    tail: list[Any] = []
    for c in sorted(comments, key=lambda t: t.start_pos):
        row_start = src.rfind("\n", 0, c.start_pos) + 1
        own_line = not src[row_start:c.start_pos].strip(" \t\f\r")
        i = bisect.bisect_right(ends, c.start_pos) - 1
        if not own_line and i >= 0:
            trailing.setdefault(i, []).append(c)
            continue
        j = bisect.bisect_left(starts, c.end_pos)
        if j < len(lines):
            leading.setdefault(j, []).append(c)
        else:
            tail.append(c)

    out: list[str] = []
    state = {"blank": False, "last": ""}

    def put(depth: int, text: str, kind: str) -> None:
        if state["blank"] and out and state["last"] != "open" and kind != "close":
            out.append("")
        state["blank"] = False
        out.append(INDENT * depth + text)
        state["last"] = kind

    for i, ln in enumerate(lines):
        if ln.blank_before:
            state["blank"] = True
        before = leading.get(i, [])
        depth = ln.depth + 1 if ln.kind == "close" else ln.depth
        for c in before:
            if blank_above(c.start_pos):
                state["blank"] = True
            put(depth, _comment_text(c), "comment")
        if before and blank_above(ln.start):
            state["blank"] = True
        after = trailing.get(i, [])
        text = ln.text + (TRAILING_GAP + _comment_text(after[0]) if after else "")
        put(ln.depth, text, ln.kind)
        for c in after[1:]:  # cannot happen with parsed text; kept so nothing is lost
            put(ln.depth + (1 if ln.kind == "open" else 0), _comment_text(c), "comment")
    for c in tail:
        if blank_above(c.start_pos):
            state["blank"] = True
        put(0, _comment_text(c), "comment")
    return "\n".join(out) + "\n" if out else ""
