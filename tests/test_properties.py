"""Property tests for the parser and the formatter (hypothesis).

1. Every example file formats to text that parses to the same model (spans aside),
   keeps every comment in order, and is a fixed point of `fmt`.
2. The same holds for random funnel texts written by a generator over every construct
   of the language, in random layouts: random names (Cyrillic, quotes, backslashes),
   comments in random places, blank lines, odd indentation, tabs, line continuations,
   one-line blocks, CRLF, statements written twice.
3. Nothing crashes: random text, random bytes, mutated examples and strings generated
   from the grammar itself go through `load_text`, `load_bytes`, `fmt` and the `check`
   command, and always end in a model or diagnostics, never in an exception.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import lark
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import funnelc
from conftest import CASES, PIPELINES, ROOT, reps
from funnelc.api import Loaded
from funnelc.cli import cli
from funnelc.diagnostics import Severity
from funnelc.fmt import (
    FormatSyntaxError,
    format_loaded,
    format_text,
    model_equal_ignoring_spans,
    quote,
)

GRAMMAR = (ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8")
KEYWORDS = frozenset(re.findall(r'"([^"\\]+)"', GRAMMAR))
"""Every literal in the grammar: a bare name must not be one of them."""

EXAMPLES = sorted(PIPELINES.glob("*.funnel")) + sorted((CASES / "fmt").glob("*.funnel"))
EXAMPLE_TEXTS = [p.read_bytes().decode("utf-8").lstrip("\ufeff") for p in EXAMPLES]

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])
# The costly properties (a generated text takes ~20 ms to draw, a grammar string more) try
# half as many inputs under CI (`reps`), as the other fuzz tests do: the same property, a
# smaller search; a developer's run searches the full count.


# ---------------------------------------------------------------------------- the properties
def comment_sequence(loaded: Loaded) -> list[str]:
    return [str(c).rstrip(" \t\r\f\v") for c in sorted(loaded.comments, key=lambda c: c.start_pos)]


def assert_round_trip(loaded: Loaded) -> str:
    """fmt(x) parses to x's model, keeps x's comments in order, and is a fixed point;
    its layout is clean. Returns fmt(x)."""
    assert loaded.model is not None
    out = format_loaded(loaded)
    if not out:  # a text of blanks and line continuations: nothing to keep
        assert not loaded.comments and not loaded.model.order
        return out
    again = funnelc.load_text(out, loaded.path, checks=False)
    assert again.model is not None, [d.message for d in again.diagnostics]
    assert model_equal_ignoring_spans(loaded.model, again.model)
    assert comment_sequence(again) == comment_sequence(loaded)
    assert format_text(out, loaded.path) == out
    if out:
        assert out.endswith("\n") and not out.endswith("\n\n") and not out.startswith("\n")
    assert "\n\n\n" not in out and "\r\n" not in out and not out.startswith("\ufeff")
    for line in out.split("\n"):
        assert line == line.rstrip(" \t"), repr(line)
        indent = len(line) - len(line.lstrip(" \t"))
        assert line[:indent] == " " * indent and indent % 2 == 0, repr(line)
    return out


# ---------------------------------------------------------------------------- 1. examples
def test_there_are_examples() -> None:
    assert len([p for p in EXAMPLES if p.parent == PIPELINES]) >= 1
    assert (CASES / "fmt" / "example.funnel").exists()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_examples_round_trip(path: Path) -> None:
    text = path.read_bytes().decode("utf-8").lstrip("\ufeff")
    loaded = funnelc.load_text(text, str(path), checks=False)
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    assert_round_trip(loaded)


# ---------------------------------------------------------------------------- 2. a generator
# The generator is plain functions of `draw` over module-level primitive strategies: a
# strategy object built per draw costs more than the draw itself (hypothesis validates
# every new strategy), which made generation ten times slower than parsing.
#
# Layout noise is weighted towards the ordinary so most texts look like real files, with
# every odd form the grammar allows appearing often enough to matter.
GAP = st.sampled_from([" "] * 8 + ["  ", "\t", " \t ", " \\\n    ", "\\\n"])
TIGHT = st.sampled_from(["", "", "", " "])
INDENT_NOISE = st.sampled_from(["", " ", "   ", "\t", "      ", "\t  "])
BLANK_NOISE = st.sampled_from(["", "", "  ", "\t"])
BARE_START = "abcxyzABCXYZабвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЖЯіїєґІЇЄҐ_"
BARE_REST = BARE_START + "0123456789-"
TEXT_CHARS = st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",))
"""Anything but a line end (`\n`, or a `\r`, which ends a line too) or a lone surrogate."""
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
CHANNELS = ["call", "whatsapp", "telegram", "viber", "email", "sms", "chat", "meeting"]

BOOL = st.booleans()
DICE = {n: st.integers(0, n) for n in range(1, 10)}
BARE_NAMES = st.builds(lambda a, b: a + b, st.sampled_from(BARE_START),
                       st.text(BARE_REST, max_size=8)).filter(lambda s: s not in KEYWORDS)
TEXTS = st.one_of(st.text(TEXT_CHARS, max_size=10), st.text('"\\ Ёж#{}', max_size=6),
                  st.sampled_from(["", "Продажи", "Первичный контакт", 'a "b" \\ c']))
COMMENTS = st.builds(lambda t: "#" + t, st.text(TEXT_CHARS, max_size=20))
NUMBERS = st.builds(lambda i, frac: f"{i}{frac}", st.integers(0, 999),
                    st.sampled_from(["", "", ".5", ".25", ".0"]))
DURATIONS = st.builds(lambda n, u: n + u, NUMBERS, st.sampled_from(["s", "m", "min", "h", "d", "w"]))
RATES = st.builds(lambda n, u: f"{n}/{u}", NUMBERS, st.sampled_from(["hour", "day", "week", "month"]))
MONEY_RATES = st.builds(lambda n, s, u: f"{n}{s}/{u}", NUMBERS, st.sampled_from(["", "k", "K", "M"]),
                        st.sampled_from(["hour", "day", "week", "month"]))
PERCENTS = st.builds(lambda n: n + "%", NUMBERS)
AMOUNTS = st.builds(lambda n, s: n + s, NUMBERS, st.sampled_from(["", "k", "K", "M"]))
QUANTITIES = st.one_of(DURATIONS, AMOUNTS)
INTS = st.builds(lambda i, pad: ("0" if pad else "") + str(i), st.integers(0, 999), BOOL)
CLOCKS = st.builds(lambda a, b, c, d: f"{a:02d}:{b:02d}-{c:02d}:{d:02d}", st.integers(0, 23),
                   st.integers(0, 59), st.integers(0, 23), st.integers(0, 59))
SAMPLED = {key: st.sampled_from(values) for key, values in {
    "weekday": WEEKDAYS, "month": MONTHS, "channel": CHANNELS,
    "dist": ["fixed", "exp", "uniform", "triangular", "lognormal", "gamma", "empirical"],
    "op": ["=", "!=", "<", "<=", ">", ">="], "bool": ["yes", "no"],
    "color": ["color", "colour"], "language": ["ru", "en", "uk"], "queue": ["fifo", "key-first"],
    "entity": ["deal", "contact", "company"], "enum": ["enum", "multi"],
    "simple": ["text", "number", "money", "date", "phone", "email", "url", "bool", "int"],
    "flag": ["main", "process", "conversion", "qualification", "sales", "nurture", "winback",
             "claims"],
    "stage stmt": ["owner", "work", "sla", "patience", "respond", "task", "message", "assign", "requires",
                   "hint", "color", "alias", "outcome", "outcome", "stay", "cadence"],
    "cadence stmt": ["touch", "touch", "reply", "exhausted"],
    "outcome option": ["after", "when", "copy"],
    "account stmt": ["currency", "hours", "language", "queue"],
    "source option": ["value", "profile", "cost", "budget"],
    "newline": ["\n", "\n", "\n", "\r\n"], "end": ["\n", "\n", "", "\n\n"],
}.items()}


def pick(draw: st.DrawFn, key: str) -> str:
    return draw(SAMPLED[key])


def one_in(draw: st.DrawFn, n: int) -> bool:
    return draw(DICE[n - 1]) == 0


def count(draw: st.DrawFn, low: int, high: int) -> int:
    return low + draw(DICE[high - low]) if high > low else low


def quoted(draw: st.DrawFn) -> str:
    # Only `\"` and `\\` are escapes (TEXTS hold both): any other `\x` is an error, FN005.
    return quote(draw(TEXTS))


def name(draw: st.DrawFn) -> str:
    return draw(BARE_NAMES) if draw(BOOL) else quoted(draw)


def joined(draw: st.DrawFn, item: Callable[[st.DrawFn], str], sep: str) -> str:
    out = item(draw)
    for _ in range(count(draw, 0, 2)):
        out += draw(TIGHT) + sep + draw(GAP) + item(draw)
    return out


def words(draw: st.DrawFn, *parts: str) -> str:
    """Join statement words with random gaps."""
    out = parts[0]
    for p in parts[1:]:
        out += draw(GAP) + p
    return out


def optional(draw: st.DrawFn, text: Callable[[], str]) -> list[str]:
    return [text()] if draw(BOOL) else []


def day_hours(draw: st.DrawFn) -> str:
    days = pick(draw, "weekday")
    if draw(BOOL):
        days += draw(TIGHT) + "-" + draw(TIGHT) + pick(draw, "weekday")
    return days + draw(GAP) + draw(CLOCKS)


def hours_spec(draw: st.DrawFn) -> str:
    return joined(draw, day_hours, ",")


def dist(draw: st.DrawFn) -> str:
    if draw(BOOL):
        return draw(QUANTITIES)
    args = joined(draw, lambda d: d(QUANTITIES), ",")
    return pick(draw, "dist") + draw(TIGHT) + "(" + draw(TIGHT) + args + draw(TIGHT) + ")"


def ref(draw: st.DrawFn) -> str:
    if draw(BOOL):
        return name(draw)
    return name(draw) + draw(TIGHT) + "." + draw(TIGHT) + name(draw)


def target(draw: st.DrawFn) -> str:
    kind = draw(DICE[3])
    if kind == 0:
        return "won"
    if kind == 1:
        return "lost" + draw(GAP) + quoted(draw)
    return ref(draw)


def copy(draw: st.DrawFn) -> str:
    return "then" + draw(GAP) + "copy" + draw(GAP) + ref(draw)


def comparison(draw: st.DrawFn) -> str:
    field = name(draw)
    if one_in(draw, 5):
        return field + draw(GAP) + "filled"
    kind = draw(DICE[4])
    value = (quoted(draw) if kind == 0 else pick(draw, "bool") if kind == 1
             else draw((AMOUNTS, DURATIONS, PERCENTS)[kind - 2]))
    return field + draw(GAP) + pick(draw, "op") + draw(GAP) + value


def profile(draw: st.DrawFn) -> str:
    return words(draw, "profile", joined(draw, lambda d: pick(d, "month") + " " + d(PERCENTS), ","))


# A node of the generated file: ("leaf", text) or ("block", header, children).
Node = tuple


def stage_statement(draw: st.DrawFn) -> Node:
    kind = pick(draw, "stage stmt")
    if kind == "owner":
        return ("leaf", words(draw, "owner", name(draw)))
    if kind == "work":
        return ("leaf", words(draw, "work", dist(draw)))
    if kind == "sla":
        return ("leaf", words(draw, "sla", draw(DURATIONS), "->", target(draw),
                              *optional(draw, lambda: copy(draw))))
    if kind == "patience":
        return ("leaf", words(draw, "patience", dist(draw), "->", target(draw),
                              *optional(draw, lambda: copy(draw))))
    if kind == "respond":
        return ("leaf", words(draw, "respond", draw(DURATIONS)))
    if kind == "task":
        return ("leaf", words(draw, "on", "enter", "task", quoted(draw),
                              *optional(draw, lambda: words(draw, "due", draw(DURATIONS))),
                              *optional(draw, lambda: words(draw, "to", name(draw)))))
    if kind == "message":
        return ("leaf", words(draw, "on", "enter", "message", pick(draw, "channel"), quoted(draw)))
    if kind == "assign":
        return ("leaf", words(draw, "on", "enter", "assign", name(draw)))
    if kind == "requires":
        return ("leaf", words(draw, "requires", joined(draw, name, ",")))
    if kind == "hint":
        return ("leaf", words(draw, "hint", quoted(draw)))
    if kind == "color":
        return ("leaf", words(draw, pick(draw, "color"), quoted(draw)))
    if kind == "alias":
        return ("leaf", words(draw, "alias", "salesforce", quoted(draw)))
    if kind == "stay":
        return ("leaf", words(draw, "stay", draw(PERCENTS)))
    if kind == "outcome":
        parts = ["->", target(draw)] + optional(draw, lambda: draw(PERCENTS))
        for _ in range(count(draw, 0, 3)):
            option = pick(draw, "outcome option")
            if option == "after":
                parts.append(words(draw, "after", dist(draw)))
            elif option == "when":
                parts.append(words(draw, "when", joined(draw, comparison, " and")))
            else:
                parts.append(copy(draw))
        return ("leaf", words(draw, *parts))
    children: list[Node] = []
    for _ in range(count(draw, 1, 5)):  # an empty cadence is covered by one-line blocks
        item = pick(draw, "cadence stmt")
        if item == "touch":
            when = "now" if draw(BOOL) else draw(DURATIONS)
            children.append(("leaf", words(
                draw, pick(draw, "channel"), when, draw(PERCENTS),
                *optional(draw, lambda: words(draw, "work", dist(draw))))))
        else:
            children.append(("leaf", words(draw, "on", item, "->", target(draw),
                                           *optional(draw, lambda: copy(draw)))))
    return ("block", "cadence", children)


def stage(draw: st.DrawFn) -> Node:
    header = words(draw, "stage", name(draw), *(["key"] if draw(BOOL) else []))
    return ("block", header, [stage_statement(draw) for _ in range(count(draw, 0, 6))])


def reopen(draw: st.DrawFn) -> Node:
    return ("leaf", words(draw, "reopen", quoted(draw), draw(PERCENTS),
                          *optional(draw, lambda: words(draw, "after", dist(draw))),
                          "->", ref(draw)))


def pipeline(draw: st.DrawFn) -> Node:
    flags = [pick(draw, "flag") for _ in range(count(draw, 0, 3))]
    body = [stage(draw) if draw(DICE[2]) else reopen(draw) for _ in range(count(draw, 0, 4))]
    return ("block", words(draw, "pipeline", name(draw), *flags), body)


def account(draw: st.DrawFn) -> Node:
    body: list[Node] = []
    for _ in range(count(draw, 0, 5)):
        kind = pick(draw, "account stmt")
        value = (draw(BARE_NAMES) if kind == "currency" else hours_spec(draw) if kind == "hours"
                 else pick(draw, kind))
        body.append(("leaf", words(draw, kind, value)))
    return ("block", words(draw, "account", name(draw)), body)


def source_option(draw: st.DrawFn) -> str:
    kind = pick(draw, "source option")
    if kind == "value":
        return words(draw, "value", dist(draw))
    if kind == "cost":
        return words(draw, "cost", draw(AMOUNTS))
    if kind == "budget":
        return words(draw, "budget", draw(MONEY_RATES))
    return profile(draw)


def source(draw: st.DrawFn) -> Node:
    options = [source_option(draw) for _ in range(count(draw, 0, 3))]
    return ("leaf", words(draw, "source", name(draw), draw(MONEY_RATES), "->", ref(draw),
                          *options))


def team(draw: st.DrawFn) -> Node:
    return ("leaf", words(draw, "team", name(draw), "size", draw(INTS),
                          *optional(draw, lambda: words(draw, "cost", draw(MONEY_RATES))),
                          *optional(draw, lambda: words(draw, "hours", hours_spec(draw)))))


def field(draw: st.DrawFn) -> Node:
    kind = draw(DICE[3])
    if kind == 0:
        ftype = pick(draw, "simple")
    elif kind == 1:
        ftype = ("int" + draw(TIGHT) + "(" + draw(TIGHT) + draw(INTS) + draw(TIGHT) + ".."
                 + draw(TIGHT) + draw(INTS) + draw(TIGHT) + ")")
    else:
        ftype = (pick(draw, "enum") + draw(TIGHT) + "(" + draw(TIGHT) + joined(draw, quoted, ",")
                 + draw(TIGHT) + ")")
    entity = optional(draw, lambda: words(draw, "on", pick(draw, "entity")))
    return ("leaf", words(draw, "field", name(draw), ftype, *entity))


def scenario(draw: st.DrawFn) -> Node:
    body: list[Node] = []
    for _ in range(count(draw, 0, 5)):
        def stage_() -> str:
            return words(draw, "stage", ref(draw))
        text = [
            lambda: words(draw, "team", name(draw), "size", draw(INTS)),
            lambda: words(draw, "team", name(draw), "hours", hours_spec(draw)),
            lambda: words(draw, "source", name(draw), draw(RATES)),
            lambda: words(draw, "source", name(draw), profile(draw)),
            lambda: words(draw, "source", name(draw), "cost", draw(AMOUNTS)),
            lambda: words(draw, "source", name(draw), "budget", draw(MONEY_RATES)),
            lambda: words(draw, stage_(), "work", dist(draw)),
            lambda: words(draw, stage_(), "sla", draw(DURATIONS), "->", target(draw),
                          *optional(draw, lambda: copy(draw))),
            lambda: words(draw, stage_(), "respond", draw(DURATIONS)),
            lambda: words(draw, stage_(), "owner", name(draw)),
            lambda: words(draw, stage_(), "->", target(draw), draw(PERCENTS)),
            lambda: words(draw, stage_(), "stay", draw(PERCENTS)),
        ][draw(st.integers(0, 11))]()
        body.append(("leaf", text))
    return ("block", words(draw, "scenario", name(draw)), body)


ITEMS = (team, field, source, pipeline, pipeline, scenario, account, account)


def inline(node: Node) -> str | None:
    """The one-line form of a node (`stage S { stay 100% }`), if it has one."""
    if node[0] == "leaf":
        return node[1]
    children = node[2]
    if not children:
        return node[1] + " {}"
    if len(children) == 1:
        inner = inline(children[0])
        if inner is not None:
            return f"{node[1]} {{ {inner} }}"
    return None


def layout(draw: st.DrawFn, items: list[Node]) -> str:
    """Write nodes out as text with random comments, blank lines and indentation."""
    lines: list[str] = []

    def indent(depth: int) -> str:
        return draw(INDENT_NOISE) if one_in(draw, 4) else "  " * depth

    def trailing() -> str:
        return draw(GAP) + draw(COMMENTS) if one_in(draw, 5) else ""

    def noise(depth: int) -> None:
        for _ in range(count(draw, 1, 2) if one_in(draw, 4) else 0):
            lines.append(draw(BLANK_NOISE) if draw(BOOL) else indent(depth) + draw(COMMENTS))

    def write(node: Node, depth: int) -> None:
        one_line = inline(node)
        if one_line is not None and (node[0] == "leaf" or one_in(draw, 4)):
            lines.append(indent(depth) + one_line + trailing())
            return
        lines.append(indent(depth) + node[1] + draw(GAP) + "{" + trailing())
        children = node[2]
        for i, child in enumerate(children):
            noise(depth + 1)
            if i == len(children) - 1 and child[0] == "leaf" and one_in(draw, 6):
                lines.append(indent(depth + 1) + child[1] + draw(GAP) + "}" + trailing())
                return
            write(child, depth + 1)
        noise(depth + 1)
        lines.append(indent(depth) + "}" + trailing())

    noise(0)
    for item in items:
        write(item, 0)
        noise(0)
    newline = pick(draw, "newline")
    return ("\n".join(lines) + pick(draw, "end")).replace("\n", newline)


@st.composite
def funnel_texts(draw: st.DrawFn) -> str:
    items = [draw(st.sampled_from(ITEMS))(draw) for _ in range(count(draw, 1, 5))]
    return layout(draw, items)


@settings(FAST, max_examples=reps(150, 75))
@given(funnel_texts())
def test_generated_texts_round_trip(text: str) -> None:
    loaded = funnelc.load_text(text, "generated.funnel", checks=False)
    assert loaded.model is not None, ([d.message for d in loaded.diagnostics], text)
    assert_round_trip(loaded)


def constructs(text: str) -> set[str]:
    """The language constructs a text uses, read from its model (layout aside)."""
    f = funnelc.load_text(text, "g.funnel", checks=False).model
    assert f is not None
    found: set[str] = set()
    found |= {k for k in ("accounts", "teams", "fields", "sources", "pipelines", "scenarios")
              if getattr(f, k)}
    found |= {"team hours" for t in f.teams if t.hours}
    found |= {"team cost" for t in f.teams if t.cost}
    found |= {f"field {x.type.kind}" for x in f.fields} | {"entity" for x in f.fields
                                                           if x.entity_explicit}
    found |= {f"source {o}" for x in f.sources for o in x.options}
    found |= {f"account {k}" for a in f.accounts for k in a.statements}
    found |= {f"flag {x}" for p in f.pipelines for x in p.flags}
    found |= {f"override {o.kind}" for sc in f.scenarios for o in sc.overrides}
    for p in f.pipelines:
        found |= set(p.order)
        for st_ in p.stages:
            found |= {f"stage {k}" for k in st_.order} | ({"key"} if st_.key else set())
            found |= {f"action {a.kind}" for a in st_.on_enter}
            found |= {f"option {o}" for out in st_.outcomes for o in out.options}
            found |= {f"target {out.target.kind}" for out in st_.outcomes}
            found |= {"repeat"} if st_.duplicates else set()
            if st_.cadence:
                found |= {f"cadence {k}" for k in st_.cadence.order}
    found |= {"comment"} if "#" in text else set()
    found |= {"line continuation"} if "\\\n" in text or "\\\r\n" in text else set()
    found |= {"crlf"} if "\r\n" in text else set()
    found |= {"one-line block"} if re.search(r"\{[^\n#]*\}", text) else set()
    return found


class _Covered(Exception):
    """Every construct was seen: the rest of a batch would change nothing."""


def test_the_generator_covers_the_language() -> None:
    """Generated texts use every construct of the language (a guard against a generator
    that silently stops producing some). Fixed seeds, so it cannot flake."""
    seen: set[str] = set()

    def collect_with(seed_value: int) -> None:
        # A batch stops at the text that completes the set (seed 7: the 204th of 300;
        # generating a text is nine tenths of the cost), without shrinking it.
        @seed(seed_value)
        @settings(max_examples=300, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate])
        @given(funnel_texts())
        def collect(text: str) -> None:
            seen.update(constructs(text))
            if not _wanted() - seen:
                raise _Covered

        with contextlib.suppress(_Covered):
            collect()

    # Fixed seeds: deterministic; a second and third batch only run if the first one
    # (cut short by Hypothesis on a very loaded machine) missed a rare construct. Seed 7
    # first: its 300 texts cover everything; 20261123's missed `cadence reply` and cost
    # every run a second batch (6 s).
    for seed_value in (7, 20261123, 42):
        collect_with(seed_value)
        if not _wanted() - seen:
            break
    assert _wanted() - seen == set()


def _wanted() -> set[str]:
    wanted = {"accounts", "teams", "fields", "sources", "pipelines", "scenarios", "team hours",
              "team cost", "entity", "source value", "source profile", "source cost",
              "source budget", "key", "stage", "reopen", "repeat",
              "comment", "line continuation", "crlf", "one-line block",
              "target stage", "target won", "target lost", "flag main", "flag process"}
    wanted |= {f"field {k}" for k in ("text", "int", "enum", "multi")}
    wanted |= {f"account {k}" for k in ("currency", "hours", "language", "queue")}
    wanted |= {f"stage {k}" for k in ("owner", "work", "sla", "patience", "respond", "on_enter",
                                      "requires",
                                      "hint", "color", "alias", "outcome", "stay", "cadence")}
    wanted |= {f"action {k}" for k in ("task", "message", "assign")}
    wanted |= {f"option {k}" for k in ("after", "when", "copy")}
    wanted |= {f"cadence {k}" for k in ("touch", "reply", "exhausted")}
    wanted |= {f"override {k}" for k in ("team_size", "team_hours", "source_rate",
                                         "source_profile", "source_cost", "source_budget",
                                         "stage_work", "stage_sla",
                                         "stage_respond", "stage_owner", "stage_share",
                                         "stage_stay")}
    return wanted


# ---------------------------------------------------------------------------- 3. never crashes
def assert_sane(loaded: Loaded) -> None:
    """A load ends in a model or in diagnostics that explain why not."""
    if loaded.model is None:
        assert any(d.severity is Severity.error for d in loaded.diagnostics)
    for d in loaded.diagnostics:
        assert d.code.startswith("FN") and d.message


def assert_formats_if_it_parses(text: str) -> None:
    loaded = funnelc.load_text(text, "fuzz.funnel", checks=False)
    if loaded.model is None:
        with pytest.raises(FormatSyntaxError):
            format_loaded(loaded)
        return
    assert_round_trip(loaded)


def test_check_survives_a_now_touch_after_a_timed_touch() -> None:
    """Found by `test_mutated_examples_never_crash`: FN228 (touches out of time order)
    asserted instead of reporting when the later touch is `now`."""
    text = "pipeline P {\n stage A {\n  cadence {\n   call 1h 10%\n   sms now 5%\n  }\n }\n}\n"
    loaded = funnelc.load_text(text, "now.funnel")
    assert_sane(loaded)
    assert any(d.code == "FN228" for d in loaded.diagnostics)


TOKEN_SOUP = st.lists(st.sampled_from(sorted(KEYWORDS) + [
    " ", " ", "\n", "\n", "{", "}", '"', '"x"', "#", "\\", "\\\n", "->", ".", ",", "(", ")",
    "15m", "12/day", "35%", "3M", "09:00-18:00", "7", "Имя", "a-b", "\t", "\r\n", "\ufeff", "٣"]),
    max_size=60).map("".join)


@settings(FAST, max_examples=200)
@given(st.one_of(st.text(max_size=200), TOKEN_SOUP))
def test_random_text_never_crashes(text: str) -> None:
    assert_sane(funnelc.load_text(text, "fuzz.funnel"))
    assert_formats_if_it_parses(text)


@settings(FAST, max_examples=100)
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    assert_sane(funnelc.load_bytes(data, "fuzz.funnel"))


MUTATION_CHARS = st.sampled_from(list('{}"#\\-.,()%/:\n\t 0a') + ["Я", "->", "\r", "\x00", "٣"])


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLE_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate", "flip"]))
        i = draw(st.integers(0, len(lines) - 1))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        if op in ("delete", "duplicate", "swap"):
            text = "\n".join(lines)
        elif op == "insert":
            text = text[:pos] + "".join(draw(st.lists(MUTATION_CHARS, min_size=1, max_size=3))) + text[pos:]
        elif op == "truncate":
            text = text[:pos]
        else:
            text = text[:pos] + draw(MUTATION_CHARS) + text[pos + 1:]
    return text


@settings(FAST, max_examples=reps(80, 40))
@given(mutated_examples())
def test_mutated_examples_never_crash(text: str) -> None:
    assert_sane(funnelc.load_text(text, "mutant.funnel"))
    assert_formats_if_it_parses(text)


@settings(FAST, max_examples=25)
@given(st.one_of(mutated_examples(), TOKEN_SOUP))
def test_check_command_never_crashes(text: str) -> None:
    result = CliRunner().invoke(cli, ["check", "-"], input=text.encode("utf-8", "replace"))
    assert result.exit_code in (0, 1), (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    formatted = CliRunner().invoke(cli, ["fmt", "-"], input=text.encode("utf-8", "replace"))
    assert formatted.exit_code in (0, 1), (formatted.output, formatted.exception)


def grammar_strings() -> st.SearchStrategy[str]:
    """Strings generated from `dsl/grammar.lark` itself. `from_lark` glues terminals
    together (a keyword next to a name lexes as one name) and an ignored comment would
    swallow the rest of its line (see the research note on hypothesis #1804), so each
    terminal is drawn with a space either side and comments are left to the generator
    above."""
    grammar = lark.Lark(GRAMMAR, parser="lalr", lexer="contextual")
    explicit = {t.name: st.from_regex(t.pattern.to_regexp(), fullmatch=True).map(
        lambda s: f" {s} ") for t in grammar.terminals}
    explicit.update({"COMMENT": st.just(" "), "WS_INLINE": st.just(" "),
                     "LINE_CONT": st.just(" \\\n "),
                     "_NL": st.sampled_from(["\n", "\n  ", "\n\n", "\r\n"])})
    return from_lark(grammar, explicit=explicit)


@settings(FAST, max_examples=reps(100, 50))
@given(st.deferred(grammar_strings))
def test_grammar_generated_strings_parse_or_explain(text: str) -> None:
    loaded = funnelc.load_text(text, "grammar.funnel")
    assert_sane(loaded)
    assert_formats_if_it_parses(text)

