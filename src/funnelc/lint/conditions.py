"""The values of a field a `when` condition admits, for the rules that compare the
outcomes of one stage: FN126 (two outcomes a deal can meet both) and FN127 (values no
outcome routes).

A condition is a conjunction of comparisons (`"F" OP value`, `"F" filled`), so what it
admits of one field is the intersection of its terms on that field: a union of
intervals for a number (`int`, `int(low..high)`, `number`, `money`), a set of options for
an `enum` or a `bool`, and a set or all-but-a-set of texts for `text`, `phone`, `email`
and `url`. A term this module cannot read (a `date`, a `multi` select, a comparison its
field's type does not take, like `"Тип" >= 5`) makes the projection unknown (None), and
the rules then say nothing rather than guess. An empty field meets no comparison (the
CRM's triggers compare filled fields), so the empty value is left out: whether a field is
filled is FN122's business.

`proved_filled` reads a condition the other way round, for FN129: the fields every deal
that meets it certainly has filled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..model import CardField, Comparison, Condition, FunnelFile, Name, Quantity

__all__ = ["Interval", "Numbers", "Choices", "Values", "FieldDomain", "field_domains",
           "admits", "condition_text", "number_text", "source_text", "proved_filled"]

_INF = math.inf


@dataclass(frozen=True, slots=True)
class Interval:
    lo: float
    lo_in: bool
    hi: float
    hi_in: bool

    @property
    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and not (self.lo_in and self.hi_in))


@dataclass(frozen=True, slots=True)
class Numbers:
    """A union of disjoint intervals in increasing order; `integer`: only whole numbers
    (then every interval is closed with whole or infinite ends)."""

    parts: tuple[Interval, ...]
    integer: bool

    @staticmethod
    def of(parts: Iterable[Interval], integer: bool) -> Numbers:
        out: list[Interval] = []
        for p in sorted(parts, key=lambda p: (p.lo, not p.lo_in)):
            if integer:
                lo = p.lo if math.isinf(p.lo) else (math.ceil(p.lo) if p.lo_in
                                                    else math.floor(p.lo) + 1)
                hi = p.hi if math.isinf(p.hi) else (math.floor(p.hi) if p.hi_in
                                                    else math.ceil(p.hi) - 1)
                p = Interval(lo, True, hi, True)
            if p.empty:
                continue
            if out:
                last = out[-1]
                touches = (p.lo < last.hi or (p.lo == last.hi and (p.lo_in or last.hi_in))
                           or (integer and p.lo == last.hi + 1))
                if touches:
                    if (p.hi, p.hi_in) > (last.hi, last.hi_in):
                        out[-1] = Interval(last.lo, last.lo_in, p.hi, p.hi_in)
                    continue
            out.append(p)
        return Numbers(tuple(out), integer)

    @property
    def empty(self) -> bool:
        return not self.parts

    def __and__(self, other: Numbers) -> Numbers:
        out: list[Interval] = []
        for a in self.parts:
            for b in other.parts:
                lo, lo_in = max((a.lo, not a.lo_in), (b.lo, not b.lo_in))
                hi, hi_in = min((a.hi, a.hi_in), (b.hi, b.hi_in))
                out.append(Interval(lo, not lo_in, hi, hi_in))
        return Numbers.of(out, self.integer and other.integer)

    def __or__(self, other: Numbers) -> Numbers:
        return Numbers.of(self.parts + other.parts, self.integer and other.integer)

    def __sub__(self, other: Numbers) -> Numbers:
        rest = self
        for b in other.parts:
            rest = rest & Numbers.of((Interval(-_INF, False, b.lo, not b.lo_in),
                                      Interval(b.hi, not b.hi_in, _INF, False)), self.integer)
        return rest

    def describe(self, money: bool = False) -> str:
        """`9–10`, `7`, `≤ 6`, `≥ 80k`, `< 80k`, `1–6, 9`: as a consultant reads them."""
        return ", ".join(_describe(p, self.integer, money) for p in self.parts)


def _describe(p: Interval, integer: bool, money: bool) -> str:
    lo, hi = number_text(p.lo, money), number_text(p.hi, money)
    if math.isinf(p.lo) and math.isinf(p.hi):
        return ""  # never shown: the rules word a whole field's values apart
    if math.isinf(p.lo):
        return f"{'≤' if p.hi_in else '<'} {hi}"
    if math.isinf(p.hi):
        return f"{'≥' if p.lo_in else '>'} {lo}"
    if p.lo == p.hi:
        return lo
    if integer or (p.lo_in and p.hi_in):
        return f"{lo}–{hi}"
    return f"{'[' if p.lo_in else '('}{lo}, {hi}{']' if p.hi_in else ')'}"


def number_text(v: float, money: bool = False) -> str:
    """A number as the funnel language writes it: `9`, `2.5`, `80k`, `1.5M` (amounts)."""
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if money and v and v % 1_000_000 == 0:
        return f"{v / 1_000_000:g}M"
    if money and v and v % 1_000 == 0:
        return f"{v / 1_000:g}k"
    return f"{v:g}" if v != int(v) else str(int(v))


@dataclass(frozen=True, slots=True)
class Choices:
    """Options of an `enum`/`bool` (`cofinite` False), or, for a text field whose
    values are unlisted, either exactly `values` or anything but them (`cofinite`)."""

    values: frozenset[str]
    cofinite: bool = False

    @property
    def empty(self) -> bool:
        return not self.cofinite and not self.values

    def __and__(self, other: Choices) -> Choices:
        if self.cofinite and other.cofinite:
            return Choices(self.values | other.values, True)
        if self.cofinite:
            return Choices(other.values - self.values)
        if other.cofinite:
            return Choices(self.values - other.values)
        return Choices(self.values & other.values)

    def __or__(self, other: Choices) -> Choices:
        if self.cofinite and other.cofinite:
            return Choices(self.values & other.values, True)
        if self.cofinite:
            return Choices(self.values - other.values, True)
        if other.cofinite:
            return Choices(other.values - self.values, True)
        return Choices(self.values | other.values)

    def __sub__(self, other: Choices) -> Choices:
        return self & Choices(other.values, not other.cofinite)


Values = Numbers | Choices


@dataclass(frozen=True, slots=True)
class FieldDomain:
    """What a field can hold, and how its values are written."""

    field: CardField
    all: Values
    options: tuple[str, ...] = ()
    """An `enum`'s options (as declared) or `yes`, `no`: the order to list them in."""

    @property
    def kind(self) -> str:
        return self.field.type.kind

    @property
    def finite(self) -> bool:
        """Every value can be listed or ranged over: an enum, a bool, a number."""
        return isinstance(self.all, Numbers) or not self.all.cofinite

    def describe(self, values: Values) -> str:
        if isinstance(values, Numbers):
            return values.describe(self.kind == "money")
        if values.cofinite:
            return "≠ " + ", ".join(f"`{v}`" for v in sorted(values.values))
        return "= " + (", ".join(f"`{o}`" for o in self.options if o in values.values)
                       or ", ".join(f"`{v}`" for v in sorted(values.values)))

    def listed(self, values: Values) -> list[str]:
        """The options of `values` in declared order (enum/bool)."""
        assert isinstance(values, Choices)
        return [o for o in self.options if o in values.values]


_TEXT_KINDS = ("text", "phone", "email", "url")


def field_domains(funnel: FunnelFile) -> dict[str, FieldDomain]:
    """Every field these rules can read, by name."""
    out: dict[str, FieldDomain] = {}
    for fld in funnel.fields:
        t = fld.type
        if t.kind == "enum":
            opts = tuple(dict.fromkeys(v.value for v in t.values))
            out[fld.name.value] = FieldDomain(fld, Choices(frozenset(opts)), opts)
        elif t.kind == "bool":
            out[fld.name.value] = FieldDomain(fld, Choices(frozenset(("yes", "no"))),
                                              ("yes", "no"))
        elif t.kind in _TEXT_KINDS:
            out[fld.name.value] = FieldDomain(fld, Choices(frozenset(), True))
        elif t.kind in ("int", "number", "money"):
            lo = float(t.low) if t.kind == "int" and t.low is not None else (
                0.0 if t.kind == "money" else -_INF)
            hi = float(t.high) if t.kind == "int" and t.high is not None else _INF
            out[fld.name.value] = FieldDomain(
                fld, Numbers.of((Interval(lo, True, hi, True),), t.kind == "int"))
    return out


def _term(domain: FieldDomain, term: Comparison) -> Values | None:
    if term.op == "filled":
        return domain.all
    value = term.value
    if isinstance(domain.all, Choices):
        if domain.kind == "bool":
            if not isinstance(value, bool):
                return None
            text = "yes" if value else "no"
        elif isinstance(value, Name):
            text = value.value
            if domain.kind == "enum":  # options are compared ignoring case, as CRMs do
                text = next((o for o in domain.options if o.casefold() == text.casefold()),
                            text)
        else:
            return None
        if term.op == "=":
            return domain.all & Choices(frozenset((text,)))
        if term.op == "!=":
            return domain.all - Choices(frozenset((text,)))
        return None
    if not isinstance(value, Quantity) or value.kind != "amount":
        return None
    v, integer = value.value, domain.all.integer
    ranges = {"=": [Interval(v, True, v, True)],
              "!=": [Interval(-_INF, False, v, False), Interval(v, False, _INF, False)],
              "<": [Interval(-_INF, False, v, False)], "<=": [Interval(-_INF, False, v, True)],
              ">": [Interval(v, False, _INF, False)], ">=": [Interval(v, True, _INF, False)]}
    return domain.all & Numbers.of(ranges[term.op], integer)


def admits(condition: Condition, domain: FieldDomain) -> Values | None:
    """The values of `domain`'s field the condition lets through (all of them when it
    does not read the field); None when one of its terms on the field cannot be read."""
    found = domain.all
    for term in condition.terms:
        if term.field.value != domain.field.name.value:
            continue
        got = _term(domain, term)
        if got is None:
            return None
        found = found & got  # type: ignore[operator]
    return found


def condition_text(domain: FieldDomain, values: Values) -> str | None:
    """`"F" >= 7 and "F" <= 8`, `"F" = "Возврат средств"`: a condition that admits
    exactly `values` (one value or one interval), None when one `when` cannot say it."""
    name = f'"{domain.field.name.value}"'
    if isinstance(values, Choices):
        if values.cofinite or len(values.values) != 1:
            return None
        (v,) = values.values
        if domain.kind == "bool":
            return f"{name} = {v}"
        return f'{name} = "{v}"'
    if len(values.parts) != 1:
        return None
    p = values.parts[0]
    assert isinstance(domain.all, Numbers)
    whole = domain.all.parts[0] if len(domain.all.parts) == 1 else None
    money = domain.kind == "money"
    if p.lo == p.hi:
        return f"{name} = {number_text(p.lo, money)}"
    terms: list[str] = []
    if p.lo != -_INF and (whole is None or (p.lo, p.lo_in) != (whole.lo, whole.lo_in)):
        terms.append(f"{name} {'>=' if p.lo_in else '>'} {number_text(p.lo, money)}")
    if p.hi != _INF and (whole is None or (p.hi, p.hi_in) != (whole.hi, whole.hi_in)):
        terms.append(f"{name} {'<=' if p.hi_in else '<'} {number_text(p.hi, money)}")
    return " and ".join(terms) if terms else f"{name} filled"


def source_text(terms: Sequence[Comparison]) -> str:
    """The comparisons as written: `"Интерес (1-10)" >= 9`."""
    return " and ".join(f'"{t.field.value}" filled' if t.op == "filled"
                        else f'"{t.field.value}" {t.op} {t.value_text}' for t in terms)


def proved_filled(condition: Condition | None, kinds: Mapping[str, str]) -> frozenset[str]:
    """The fields a deal that meets `condition` has filled (`kinds`: each field's type).
    `"F" filled` proves F, and so does a test of its value (`=`, `<`, `<=`, `>`, `>=`): an
    empty field has no value to compare. A condition is a conjunction, so it proves what
    each of its terms proves. A negation proves nothing: `"F" != "X"` may be meant to let
    an empty card through («anything but X»), and `"F" = no` on a `bool` is met by a box
    nobody ticked, which is how the CRM shows an empty one."""
    if condition is None:
        return frozenset()
    return frozenset(t.field.value for t in condition.terms
                     if t.op != "!=" and not (t.value is False
                                              and kinds.get(t.field.value) == "bool"))
