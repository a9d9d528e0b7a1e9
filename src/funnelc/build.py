"""Parse tree → typed model. Pure construction: it never judges the content (that is the
checks' job), it only records what was written and where, including statements written
twice, so a check can point at the repeat.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput
from lark.tree import Meta

from . import codes
from . import model as m
from .diagnostics import Diagnostic, Severity
from .lark_adapter import Unavailable
from .names import normalize_name
from .span import Span
from .syntax import Reducer, parse_reduced, parse_text

__all__ = ["build_model", "parse_and_build", "Built", "span_of", "UnknownEscapes", "KNOWN_ESCAPES"]

_AMOUNT_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6}
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)$")
_AMOUNT_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)([kKM]?)$")

# The model's classes built without validation: the grammar already typed every value
# (see `model.trusted_constructor`); spans are made the same way.
_Account = m.trusted_constructor(m.Account)
_Alias = m.trusted_constructor(m.Alias)
_AssignAction = m.trusted_constructor(m.AssignAction)
_Cadence = m.trusted_constructor(m.Cadence)
_CadenceRoute = m.trusted_constructor(m.CadenceRoute)
_CardField = m.trusted_constructor(m.CardField)
_Comparison = m.trusted_constructor(m.Comparison)
_Condition = m.trusted_constructor(m.Condition)
_Copy = m.trusted_constructor(m.Copy)
_DayHours = m.trusted_constructor(m.DayHours)
_Dist = m.trusted_constructor(m.Dist)
_Duration = m.trusted_constructor(m.Duration)
_FieldType = m.trusted_constructor(m.FieldType)
_FunnelFile = m.trusted_constructor(m.FunnelFile)
_Hours = m.trusted_constructor(m.Hours)
_LostTarget = m.trusted_constructor(m.LostTarget)
_MessageAction = m.trusted_constructor(m.MessageAction)
_MonthShare = m.trusted_constructor(m.MonthShare)
_Name = m.trusted_constructor(m.Name)
_Outcome = m.trusted_constructor(m.Outcome)
_Patience = m.trusted_constructor(m.Patience)
_Override = m.trusted_constructor(m.Override)
_Pipeline = m.trusted_constructor(m.Pipeline)
_Quantity = m.trusted_constructor(m.Quantity)
_Rate = m.trusted_constructor(m.Rate)
_Reopen = m.trusted_constructor(m.Reopen)
_Scenario = m.trusted_constructor(m.Scenario)
_Share = m.trusted_constructor(m.Share)
_Sla = m.trusted_constructor(m.Sla)
_Source = m.trusted_constructor(m.Source)
_Stage = m.trusted_constructor(m.Stage)
_StageRef = m.trusted_constructor(m.StageRef)
_StageTarget = m.trusted_constructor(m.StageTarget)
_TaskAction = m.trusted_constructor(m.TaskAction)
_Team = m.trusted_constructor(m.Team)
_Touch = m.trusted_constructor(m.Touch)
_WonTarget = m.trusted_constructor(m.WonTarget)
_Span = m.trusted_span


def span_of(tok: Token) -> Span:
    # lark types a token's end and offsets as optional; its lexer always sets them.
    return _Span(tok.line, tok.column, tok.end_line, tok.end_column,  # type: ignore[arg-type]
                 tok.start_pos, tok.end_pos)  # type: ignore[arg-type]


MAX_DIGITS = 4300
"""The longest whole number Python turns from text into an int (`sys.int_info`'s
default limit, a guard against quadratic conversions): a longer one is a located
syntax error, not a ValueError out of the builder."""


class NumberTooLong(ValueError):
    """A whole number of more than `MAX_DIGITS` digits; `diagnostic` locates it."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _int(tok: Token, path: str) -> int:
    text = str(tok)
    if len(text) > MAX_DIGITS:
        raise NumberTooLong(Diagnostic(
            codes.FN001, Severity.error, f"a number of {len(text):,} digits", path,
            span_of(tok), f"at most {MAX_DIGITS:,} digits",
            help="write the number it should be (a team size, a bound of an int field)"))
    return int(text)


def meta_span(meta: Meta) -> Span:
    return _Span(meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos,
                 meta.end_pos)


KNOWN_ESCAPES = frozenset('"\\')
"""The characters a backslash escapes in quoted text. Any other `\\x` is an error
(FN005), as in TOML and JSON: it used to mean `x`, which silently turned a Windows path
`C:\\Users\\new` into `C:Usersnew` (and `fmt` wrote it back so)."""

_ESCAPE = re.compile(r"\\(.)")


class UnknownEscapes(ValueError):
    """Quoted texts with a backslash before a character it does not escape; one
    located FN005 error per such backslash, in the order written."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(diagnostics[0].message)
        self.diagnostics = diagnostics


# The STRING tokens with an unknown escape, collected while a file is built (`_escapes`):
# one error for each, not only the first. Per thread, as the parse's reducers.
_BAD_TEXTS = threading.local()


@contextlib.contextmanager
def _escapes(path: str) -> Iterator[None]:
    """Collect the unknown escapes of the texts built inside; raise `UnknownEscapes`
    at the end if there were any."""
    outer = getattr(_BAD_TEXTS, "sink", None)
    sink: list[Token] = []
    _BAD_TEXTS.sink = sink
    try:
        yield
    finally:
        _BAD_TEXTS.sink = outer
    if sink:
        raise UnknownEscapes([d for tok in sink for d in _escape_errors(tok, path)])


def _escape_errors(tok: Token, path: str) -> list[Diagnostic]:
    out = []
    for found in _ESCAPE.finditer(str(tok), 1, len(tok) - 1):
        ch = found[1]
        if ch in KNOWN_ESCAPES:
            continue
        # A quoted text is one line: its columns are the token's plus the offset.
        at = found.start()
        start = (tok.start_pos or 0) + at
        column = (tok.column or 1) + at
        line = tok.line or 1
        written = found[0]
        out.append(Diagnostic(
            codes.FN005, Severity.error, f"unknown escape `{written}` in quoted text", path,
            _Span(line, column, line, column + len(written), start, start + len(written)),
            'a backslash escapes only `"` and `\\`',
            help=f"write `\\{written}` to keep the backslash: `\\\\` is a backslash, "
                 f'`\\"` a quote, and there are no other escapes (no `\\n` or `\\t`)'))
    return out


def _unquote(tok: Token) -> str:
    body = str(tok)[1:-1]
    if "\\" not in body:
        return body
    if any(found[1] not in KNOWN_ESCAPES for found in _ESCAPE.finditer(body)):
        sink = getattr(_BAD_TEXTS, "sink", None)
        if sink is None:
            raise UnknownEscapes(_escape_errors(tok, "<text>"))
        sink.append(tok)
    return _ESCAPE.sub(r"\1", body)


def _name_from_token(tok: Token) -> m.Name:
    # NFC, so that a name typed with a combining accent is the name typed without one
    # (the span still covers the text as written).
    if tok.type == "STRING":
        return _Name(span=span_of(tok), value=normalize_name(_unquote(tok)), quoted=True)
    return _Name(span=span_of(tok), value=normalize_name(str(tok)), quoted=False)


def _duration(tok: Token) -> m.Duration:
    match = _DURATION_RE.match(str(tok))
    assert match, tok
    return _Duration(span=span_of(tok), hours=float(match[1]) * m.HOURS_PER_UNIT[match[2]],
                      text=str(tok))


def _quantity(tok: Token) -> m.Quantity:
    if tok.type == "DURATION":
        d = _duration(tok)
        return _Quantity(span=d.span, kind="duration", value=d.hours, text=d.text)
    match = _AMOUNT_RE.match(str(tok))
    assert match, tok
    return _Quantity(span=span_of(tok), kind="amount",
                      value=float(match[1]) * _AMOUNT_SCALE[match[2]], text=str(tok))


def _share(tok: Token) -> m.Share:
    return _Share(span=span_of(tok), value=float(str(tok)[:-1]) / 100.0, text=str(tok))


def _rate(tok: Token) -> m.Rate:
    count, unit = str(tok).split("/")
    match = _AMOUNT_RE.match(count)
    assert match, tok
    return _Rate(span=span_of(tok), count=float(match[1]) * _AMOUNT_SCALE[match[2]], unit=unit,
                 text=str(tok))


def _tokens(children: Iterable[Any], *types: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type in types]


def _first(children: Iterable[Any], cls: type) -> Any:
    return next((c for c in children if isinstance(c, cls)), None)


def _all(children: Iterable[Any], cls: type) -> list[Any]:
    return [c for c in children if isinstance(c, cls)]


_UNSPANNED = frozenset({"name", "string_list", "start"})
"""Rules whose builder never reads the rule's span (it uses its tokens' own)."""


class _Stmt:
    """A statement on its way into its parent node: kind, value and span."""

    __slots__ = ("kind", "value", "span")

    def __init__(self, kind: str, value: Any, span: Span) -> None:
        self.kind, self.value, self.span = kind, value, span


class _ToModel:
    """Tree → model. A direct post-order walk with a dispatch table: Lark's
    `Transformer` with `v_args(meta=True)` allocates a wrapper per node and visits every
    token, which cost a third of `check` on a large account."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._dispatch = {name: getattr(self, name) for name in dir(type(self))
                          if not name.startswith("_") and name not in ("walk", "reducers")}

    def walk(self, tree: Tree[Token]) -> Any:
        """Post-order walk; the grammar's nesting is shallow, so recursion is bounded."""
        children = [self.walk(c) if isinstance(c, Tree) else c for c in tree.children]
        meta = tree.meta
        return self._dispatch[tree.data](None if meta.empty else meta_span(meta), children)

    def reducers(self) -> dict[str, Reducer]:
        """The same methods as `syntax.parse_reduced` reducers (no tree, no walk)."""
        def reducer(method: Any, spanned: bool) -> Reducer:
            def reduce(first: Token | None, last: Token | None, ch: list[Any]) -> Any:
                if not spanned or first is None or last is None:
                    return method(None, ch)
                return method(_Span(first.line, first.column, last.end_line,  # type: ignore[arg-type]
                                    last.end_column, first.start_pos, last.end_pos),  # type: ignore[arg-type]
                              ch)
            return reduce

        return {name: reducer(method, name not in _UNSPANNED)
                for name, method in self._dispatch.items()}

    # ---------------------------------------------------------------- shared pieces
    def name(self, span: Span, ch: list[Any]) -> m.Name:
        return _name_from_token(ch[0])

    def stage_ref(self, span: Span, ch: list[Any]) -> m.StageRef:
        if len(ch) == 1:
            return _StageRef(span=span, pipeline=None, stage=ch[0])
        return _StageRef(span=span, pipeline=ch[0], stage=ch[1])

    def dist_fixed_bare(self, span: Span, ch: list[Any]) -> m.Dist:
        return _Dist(span=span, kind="fixed", args=(_quantity(ch[0]),), bare=True)

    def dist_call(self, span: Span, ch: list[Any]) -> m.Dist:
        kind = str(ch[0])
        args = tuple(_quantity(t) for t in ch[1:] if isinstance(t, Token))
        return _Dist(span=span, kind=kind, args=args)

    def stage_target(self, span: Span, ch: list[Any]) -> m.StageTarget:
        return _StageTarget(span=span, ref=ch[0])

    def won_target(self, span: Span, ch: list[Any]) -> m.WonTarget:
        return _WonTarget(span=span)

    def lost_target(self, span: Span, ch: list[Any]) -> m.LostTarget:
        return _LostTarget(span=span, reason=_name_from_token(ch[1]))

    def copy(self, span: Span, ch: list[Any]) -> m.Copy:
        return _Copy(span=span, ref=_first(ch, m.StageRef))

    # ---------------------------------------------------------------- hours
    def days(self, span: Span, ch: list[Any]) -> tuple[str, str, Span]:
        first = str(ch[0])
        last = str(ch[1]) if len(ch) > 1 and ch[1] is not None else first
        return first, last, span

    def day_hours(self, span: Span, ch: list[Any]) -> m.DayHours:
        first, last, _ = ch[0]
        clock = str(ch[1])
        a, b = clock.split("-")
        start = int(a[:2]) * 60 + int(a[3:])
        end = int(b[:2]) * 60 + int(b[3:])
        text = (first if first == last else f"{first}-{last}") + " " + clock
        return _DayHours(span=span, first_day=first, last_day=last,
                          start_minute=start, end_minute=end, text=text)

    def hours_spec(self, span: Span, ch: list[Any]) -> m.Hours:
        return _Hours(span=span, entries=tuple(_all(ch, m.DayHours)))

    # ---------------------------------------------------------------- account
    def currency_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("currency", _name_from_token(ch[1]), span)

    def language_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("language", str(ch[1]), span)

    def queue_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("queue", m.QueuePolicy(str(ch[1])), span)

    def hours_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("hours", ch[1], span)

    def account(self, span: Span, ch: list[Any]) -> m.Account:
        values: dict[str, Any] = {}
        order: list[str] = []
        for st in _all(ch, _Stmt):
            order.append(st.kind)
            values.setdefault(st.kind, st.value)
        return _Account(span=span, name=_first(ch, m.Name), statements=tuple(order),
                         **values)

    # ---------------------------------------------------------------- teams and fields
    def team_cost(self, span: Span, ch: list[Any]) -> m.Rate:
        return _rate(ch[1])

    def team(self, span: Span, ch: list[Any]) -> m.Team:
        size_tok = _tokens(ch, "INT")[0]
        return _Team(span=span, name=_first(ch, m.Name), size=_int(size_tok, self.path),
                      size_span=span_of(size_tok), cost=_first(ch, m.Rate),
                      hours=_first(ch, m.Hours))

    def simple_type(self, span: Span, ch: list[Any]) -> m.FieldType:
        return _FieldType(span=span, kind=str(ch[0]))

    def int_type(self, span: Span, ch: list[Any]) -> m.FieldType:
        ints = _tokens(ch, "INT")
        if ints:
            return _FieldType(span=span, kind="int", low=_int(ints[0], self.path),
                              high=_int(ints[1], self.path))
        return _FieldType(span=span, kind="int")

    def string_list(self, span: Span, ch: list[Any]) -> tuple[m.Name, ...]:
        return tuple(_name_from_token(t) for t in ch)

    def enum_type(self, span: Span, ch: list[Any]) -> m.FieldType:
        return _FieldType(span=span, kind="enum", values=_first(ch, tuple))

    def multi_type(self, span: Span, ch: list[Any]) -> m.FieldType:
        return _FieldType(span=span, kind="multi", values=_first(ch, tuple))

    def field(self, span: Span, ch: list[Any]) -> m.CardField:
        entity = _tokens(ch, "ENTITY")
        return _CardField(span=span, name=_first(ch, m.Name), type=_first(ch, m.FieldType),
                           entity=m.Entity(str(entity[0])) if entity else m.Entity.deal,
                           entity_explicit=bool(entity))

    # ---------------------------------------------------------------- sources
    def month_share(self, span: Span, ch: list[Any]) -> m.MonthShare:
        return _MonthShare(span=span, month=str(ch[0]), share=_share(ch[1]))

    def value_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("value", ch[1], span)

    def cost_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("cost", _quantity(ch[1]), span)

    def budget_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("budget", _rate(ch[1]), span)

    def profile_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("profile", tuple(_all(ch, m.MonthShare)), span)

    def source(self, span: Span, ch: list[Any]) -> m.Source:
        opts = _all(ch, _Stmt)
        values: dict[str, Any] = {}
        for o in opts:
            values.setdefault(o.kind, o.value)
        return _Source(span=span, name=_first(ch, m.Name), rate=_rate(_tokens(ch, "RATE")[0]),
                        target=_first(ch, m.StageRef), options=tuple(o.kind for o in opts), **values)

    # ---------------------------------------------------------------- stages
    def owner_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("owner", ch[1], span)

    def work_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("work", ch[1], span)

    def sla_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        sla = _Sla(span=span, after=_duration(ch[1]), target=ch[2], copy_to=ch[3])
        return _Stmt("sla", sla, span)

    def patience_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        patience = _Patience(span=span, dist=ch[1], target=ch[2], copy_to=ch[3])
        return _Stmt("patience", patience, span)

    def respond_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("respond", _duration(ch[1]), span)

    def task_action(self, span: Span, ch: list[Any]) -> m.TaskAction:
        due = _tokens(ch, "DURATION")
        return _TaskAction(span=span, text=_name_from_token(ch[1]),
                            due=_duration(due[0]) if due else None, team=_first(ch, m.Name))

    def message_action(self, span: Span, ch: list[Any]) -> m.MessageAction:
        return _MessageAction(span=span, channel=m.Channel(str(ch[1])),
                               template=_name_from_token(ch[2]))

    def assign_action(self, span: Span, ch: list[Any]) -> m.AssignAction:
        return _AssignAction(span=span, team=ch[1])

    def on_enter(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("on_enter", ch[2], span)

    def requires_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("requires", tuple(_all(ch, m.Name)), span)

    def hint_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("hint", _name_from_token(ch[1]), span)

    def color_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("color", _name_from_token(ch[1]), span)

    def alias_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("alias", _Alias(span=span, crm=str(ch[1]), name=_name_from_token(ch[2])),
                     span)

    def after_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("after", ch[1], span)

    def when_opt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("when", ch[1], span)

    def comparison(self, span: Span, ch: list[Any]) -> m.Comparison:
        field, op, lit = ch[0], str(ch[1]), ch[2]
        value: Any
        if lit.type == "STRING":
            value = _name_from_token(lit)
        elif lit.type == "PERCENT":
            value = _share(lit)
        elif lit.type == "BOOL":
            value = str(lit) == "yes"
        else:
            value = _quantity(lit)
        return _Comparison(span=span, field=field, op=op, value=value,
                            value_text=str(lit))

    def filled(self, span: Span, ch: list[Any]) -> m.Comparison:
        return _Comparison(span=span, field=ch[0], op="filled")

    def condition(self, span: Span, ch: list[Any]) -> m.Condition:
        return _Condition(span=span, terms=tuple(_all(ch, m.Comparison)))

    def outcome(self, span: Span, ch: list[Any]) -> _Stmt:
        target = ch[0]
        share_tok = ch[1]
        opts = [c if isinstance(c, _Stmt) else _Stmt("copy", c, c.span) for c in ch[2:]
                if c is not None]
        values: dict[str, Any] = {}
        for o in opts:
            key = {"after": "after", "when": "when", "copy": "copy_to"}[o.kind]
            values.setdefault(key, o.value)
        out = _Outcome(span=span, target=target,
                        share=_share(share_tok) if share_tok is not None else None,
                        options=tuple(o.kind for o in opts), **values)
        return _Stmt("outcome", (out, [o for o in opts]), span)

    def stay_stmt(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("stay", _share(ch[1]), span)

    def touch(self, span: Span, ch: list[Any]) -> _Stmt:
        offset = None if ch[1].type == "NOW" else _duration(ch[1])
        touch = _Touch(span=span, channel=m.Channel(str(ch[0])), offset=offset,
                        reply=_share(ch[2]), work=ch[4] if len(ch) > 4 else None)
        return _Stmt("touch", touch, span)

    def on_reply(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("reply", _CadenceRoute(span=span, target=ch[2], copy_to=ch[3]),
                     span)

    def on_exhausted(self, span: Span, ch: list[Any]) -> _Stmt:
        return _Stmt("exhausted", _CadenceRoute(span=span, target=ch[2], copy_to=ch[3]),
                     span)

    def cadence(self, span: Span, ch: list[Any]) -> _Stmt:
        stmts = _all(ch, _Stmt)
        routes: dict[str, Any] = {}
        for st in stmts:
            if st.kind in ("reply", "exhausted"):
                routes.setdefault("on_" + st.kind, st.value)
        cad = _Cadence(span=span, touches=tuple(s.value for s in stmts if s.kind == "touch"),
                        order=tuple(s.kind for s in stmts), **routes)
        dups = _repeats(stmts, ("reply", "exhausted"))
        return _Stmt("cadence", (cad, dups), span)

    def stage(self, span: Span, ch: list[Any]) -> m.Stage:
        stmts = _all(ch, _Stmt)
        single = ("owner", "work", "sla", "patience", "respond", "hint", "color", "alias",
                  "stay", "cadence")
        values: dict[str, Any] = {}
        dups: list[tuple[str, Span]] = list(_repeats(stmts, single))
        outcomes: list[m.Outcome] = []
        actions: list[Any] = []
        requires: list[m.Name] = []
        for st in stmts:
            if st.kind == "outcome":
                out, opts = st.value
                outcomes.append(out)
                seen: set[str] = set()
                for o in opts:
                    if o.kind in seen:
                        dups.append((o.kind, o.span))
                    seen.add(o.kind)
            elif st.kind == "on_enter":
                actions.append(st.value)
            elif st.kind == "requires":
                requires.extend(st.value)
            elif st.kind == "cadence":
                cad, cad_dups = st.value
                values.setdefault("cadence", cad)
                dups.extend(cad_dups)
            else:
                values.setdefault(st.kind, st.value)
        return _Stage(span=span, name=_first(ch, m.Name),
                       key=bool(_tokens(ch, "KEY")), outcomes=tuple(outcomes),
                       on_enter=tuple(actions), requires=tuple(requires),
                       order=tuple(s.kind for s in stmts), duplicates=tuple(dups), **values)

    def reopen(self, span: Span, ch: list[Any]) -> m.Reopen:
        return _Reopen(span=span, reason=_name_from_token(ch[1]), share=_share(ch[2]),
                        after=ch[4], target=ch[5])

    def pipeline(self, span: Span, ch: list[Any]) -> m.Pipeline:
        flags = [t for t in ch if isinstance(t, Token) and t.type in ("MAIN", "STYLE", "PURPOSE")]
        style = next((m.Style(str(t)) for t in flags if t.type == "STYLE"), None)
        purpose = next((m.Purpose(str(t)) for t in flags if t.type == "PURPOSE"), None)
        body = [c for c in ch if isinstance(c, (m.Stage, m.Reopen))]
        return _Pipeline(span=span, name=_first(ch, m.Name),
                          main=any(t.type == "MAIN" for t in flags), style=style, purpose=purpose,
                          stages=tuple(_all(body, m.Stage)), reopens=tuple(_all(body, m.Reopen)),
                          order=tuple("stage" if isinstance(c, m.Stage) else "reopen" for c in body),
                          flags=tuple(str(t) for t in flags))

    # ---------------------------------------------------------------- scenarios
    def team_size_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="team_size", subject=ch[1], size=_int(ch[3], self.path))

    def team_hours_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="team_hours", subject=ch[1], hours=ch[3])

    def source_rate_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="source_rate", subject=ch[1], rate=_rate(ch[2]))

    def source_profile_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="source_profile", subject=ch[1],
                          profile=ch[2].value)

    def source_cost_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="source_cost", subject=ch[1], cost=ch[2].value)

    def source_budget_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="source_budget", subject=ch[1], budget=ch[2].value)

    def stage_work_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="stage_work", stage=ch[1], work=ch[3])

    def stage_sla_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        sla = _Sla(span=span, after=_duration(ch[3]), target=ch[4], copy_to=ch[5])
        return _Override(span=span, kind="stage_sla", stage=ch[1], sla=sla)

    def stage_respond_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="stage_respond", stage=ch[1],
                          respond=_duration(ch[3]))

    def stage_owner_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="stage_owner", stage=ch[1], owner=ch[3])

    def stage_share_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="stage_share", stage=ch[1], target=ch[2],
                          share=_share(ch[3]))

    def stage_stay_ovr(self, span: Span, ch: list[Any]) -> m.Override:
        return _Override(span=span, kind="stage_stay", stage=ch[1], share=_share(ch[3]))

    def scenario(self, span: Span, ch: list[Any]) -> m.Scenario:
        return _Scenario(span=span, name=_first(ch, m.Name),
                          overrides=tuple(_all(ch, m.Override)))

    # ---------------------------------------------------------------- file
    def start(self, span: Span | None, ch: list[Any]) -> dict[str, Any]:
        groups: dict[str, list[Any]] = {"accounts": [], "teams": [], "fields": [], "sources": [],
                                        "pipelines": [], "scenarios": []}
        kinds: dict[type, str] = {m.Account: "accounts", m.Team: "teams", m.CardField: "fields",
                 m.Source: "sources", m.Pipeline: "pipelines", m.Scenario: "scenarios"}
        order: list[tuple[str, int]] = []
        for item in ch:
            kind = kinds.get(type(item))
            if kind is None:
                continue
            order.append((kind, len(groups[kind])))
            groups[kind].append(item)
        return {"groups": groups, "order": order}


def _repeats(stmts: list[_Stmt], kinds: tuple[str, ...]) -> list[tuple[str, Span]]:
    seen: set[str] = set()
    out: list[tuple[str, Span]] = []
    for st in stmts:
        if st.kind in kinds:
            if st.kind in seen:
                out.append((st.kind, st.span))
            seen.add(st.kind)
    return out


def build_model(tree: Tree[Token], path: str, text: str) -> m.FunnelFile:
    """Turn a parse tree (from `syntax.parse_text`) into the typed model. Raises
    `NumberTooLong` or `UnknownEscapes` (every unknown escape of the file)."""
    with _escapes(path):
        data = _ToModel(path).walk(tree)
    return _file(data, path, text)


@dataclass
class Built:
    """Text read into the model: `model` is None when the text has syntax errors, all of
    which are in `diagnostics`. `comments` are the comment tokens (for `fmt` and lint)."""

    model: m.FunnelFile | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[Token] = field(default_factory=list)


def parse_and_build(text: str, path: str) -> Built:
    """Parse and build in one pass (`syntax.parse_reduced`: the builder's methods run as
    the parser reduces, no parse tree is made) — the same model as `build_model` on
    `parse_text`'s tree, in less than half the time and memory. Text with a syntax
    error is parsed again by `parse_text`, whose recovery reports every error; so is
    any text when Lark's internals are not those `lark_adapter` knows."""
    comments: list[Token] = []
    try:
        with _escapes(path):
            data = parse_reduced(text, _ToModel(path).reducers(), comments)
    except (UnexpectedInput, Unavailable):  # Unavailable: a Lark this fast path does not know
        parsed = parse_text(text, path)
        if parsed.tree is None:
            return Built(None, parsed.diagnostics, parsed.comments)
        try:
            model = build_model(parsed.tree, path, text)
        except NumberTooLong as exc:
            return Built(None, [*parsed.diagnostics, exc.diagnostic], parsed.comments)
        except UnknownEscapes as exc:
            return Built(None, [*parsed.diagnostics, *exc.diagnostics], parsed.comments)
        return Built(model, parsed.diagnostics, parsed.comments)
    except NumberTooLong as exc:
        return Built(None, [exc.diagnostic], comments)
    except UnknownEscapes as exc:
        return Built(None, exc.diagnostics, comments)
    return Built(_file(data, path, text), [], comments)


def _file(data: dict[str, Any], path: str, text: str) -> m.FunnelFile:
    end = len(text)
    whole = Span(line=1, column=1, end_line=text.count("\n") + 1,
                 end_column=end - (text.rfind("\n") + 1) + 1, start=0, end=end)
    groups = data["groups"]
    return _FunnelFile(span=whole, path=path, order=tuple(data["order"]),
                        **{k: tuple(v) for k, v in groups.items()})
