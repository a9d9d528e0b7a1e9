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

import re
from pathlib import Path
from typing import Callable

import lark
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import funnelc
from funnelc.api import Loaded
from funnelc.cli import cli
from funnelc.diagnostics import Severity
from funnelc.fmt import FormatSyntaxError, format_loaded, format_text, model_equal_ignoring_spans, quote

from conftest import CASES, PIPELINES, ROOT

GRAMMAR = (ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8")
KEYWORDS = frozenset(re.findall(r'"([^"\\]+)"', GRAMMAR))
"""Every literal in the grammar: a bare name must not be one of them."""

EXAMPLES = sorted(PIPELINES.glob("*.funnel")) + sorted((CASES / "fmt").glob("*.funnel"))
EXAMPLE_TEXTS = [p.read_bytes().decode("utf-8").lstrip("\ufeff") for p in EXAMPLES]

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.data_too_large])


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
# Layout noise. Weighted towards the ordinary so most texts look like real files, with
# every odd form the grammar allows appearing often enough to matter.
GAP = st.sampled_from([" "] * 8 + ["  ", "\t", " \t ", " \\\n    ", "\\\n"])
TIGHT = st.sampled_from(["", "", "", " "])
INDENT_NOISE = st.sampled_from(["", " ", "   ", "\t", "      ", "\t  "])
BARE_START = "abcxyzABCXYZабвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЁЖЯіїєґІЇЄҐ_"
BARE_REST = BARE_START + "0123456789-"
TEXT_CHARS = st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))

bare_names = st.builds(lambda a, b: a + b, st.sampled_from(BARE_START),
                       st.text(BARE_REST, max_size=8)).filter(lambda s: s not in KEYWORDS)
texts = st.one_of(st.text(TEXT_CHARS, max_size=10),
                  st.text('"\\ Ёж#{}', max_size=6),
                  st.sampled_from(["", "Продажи", "Первичный контакт", 'a "b" \\ c']))
comment_texts = st.builds(lambda t: "#" + t, st.text(TEXT_CHARS, max_size=20))


@st.composite
def quoted(draw: st.DrawFn) -> str:
    value = draw(texts)
    if draw(st.integers(0, 5)) == 0:  # needless escapes: `\a` means `a`
        return '"' + "".join("\\" + c if c.isalpha() else quote(c)[1:-1] for c in value) + '"'
    return quote(value)


names = st.one_of(bare_names, quoted())


def num() -> st.SearchStrategy[str]:
    return st.builds(lambda i, frac: f"{i}{frac}", st.integers(0, 999),
                     st.sampled_from(["", "", ".5", ".25", ".0"]))


durations = st.builds(lambda n, u: n + u, num(), st.sampled_from(["s", "m", "min", "h", "d", "w"]))
rates = st.builds(lambda n, u: f"{n}/{u}", num(), st.sampled_from(["hour", "day", "week", "month"]))
percents = st.builds(lambda n: n + "%", num())
amounts = st.builds(lambda n, s: n + s, num(), st.sampled_from(["", "k", "K", "M"]))
ints = st.builds(lambda i, pad: ("0" if pad else "") + str(i), st.integers(0, 999), st.booleans())
clocks = st.builds(lambda a, b, c, d: f"{a:02d}:{b:02d}-{c:02d}:{d:02d}", st.integers(0, 23),
                   st.integers(0, 59), st.integers(0, 23), st.integers(0, 59))
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
CHANNELS = ["call", "whatsapp", "telegram", "email", "sms", "chat", "meeting"]


@st.composite
def joined(draw: st.DrawFn, items: st.SearchStrategy[str], sep: str, min_size: int = 1,
           max_size: int = 3) -> str:
    parts = draw(st.lists(items, min_size=min_size, max_size=max_size))
    out = parts[0]
    for p in parts[1:]:
        out += draw(TIGHT) + sep + draw(GAP) + p
    return out


@st.composite
def day_hours(draw: st.DrawFn) -> str:
    days = draw(st.sampled_from(WEEKDAYS))
    if draw(st.booleans()):
        days += draw(TIGHT) + "-" + draw(TIGHT) + draw(st.sampled_from(WEEKDAYS))
    return days + draw(GAP) + draw(clocks)


hours_specs = joined(day_hours(), ",")


@st.composite
def dists(draw: st.DrawFn) -> str:
    values = st.one_of(durations, amounts)
    if draw(st.booleans()):
        return draw(values)
    kind = draw(st.sampled_from(["fixed", "exp", "uniform", "triangular", "lognormal", "gamma",
                                 "empirical"]))
    return kind + draw(TIGHT) + "(" + draw(TIGHT) + draw(joined(values, ",")) + draw(TIGHT) + ")"


@st.composite
def refs(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(names)
    return draw(names) + draw(TIGHT) + "." + draw(TIGHT) + draw(names)


@st.composite
def targets(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return "won"
    if kind == 1:
        return "lost" + draw(GAP) + draw(quoted())
    return draw(refs())


@st.composite
def copies(draw: st.DrawFn) -> str:
    return "then" + draw(GAP) + "copy" + draw(GAP) + draw(refs())


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    field = draw(names)
    if draw(st.integers(0, 4)) == 0:
        return field + draw(GAP) + "filled"
    op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
    value = draw(st.one_of(quoted(), amounts, durations, percents, st.sampled_from(["yes", "no"])))
    return field + draw(GAP) + op + draw(GAP) + value


def words(draw: st.DrawFn, *parts: str) -> str:
    """Join statement words with random gaps."""
    out = parts[0]
    for p in parts[1:]:
        out += draw(GAP) + p
    return out


def optional(draw: st.DrawFn, text: Callable[[], str]) -> list[str]:
    return [text()] if draw(st.booleans()) else []


# A node of the generated file: ("leaf", text) or ("block", header, children).
Node = tuple


@st.composite
def stage_statements(draw: st.DrawFn) -> Node:
    kind = draw(st.sampled_from(["owner", "work", "sla", "respond", "task", "message", "assign",
                                 "requires", "hint", "color", "outcome", "outcome", "stay",
                                 "cadence"]))
    if kind == "owner":
        return ("leaf", words(draw, "owner", draw(names)))
    if kind == "work":
        return ("leaf", words(draw, "work", draw(dists())))
    if kind == "sla":
        return ("leaf", words(draw, "sla", draw(durations), "->", draw(targets()),
                              *optional(draw, lambda: draw(copies()))))
    if kind == "respond":
        return ("leaf", words(draw, "respond", draw(durations)))
    if kind == "task":
        return ("leaf", words(draw, "on", "enter", "task", draw(quoted()),
                              *optional(draw, lambda: words(draw, "due", draw(durations))),
                              *optional(draw, lambda: words(draw, "to", draw(names)))))
    if kind == "message":
        return ("leaf", words(draw, "on", "enter", "message", draw(st.sampled_from(CHANNELS)),
                              draw(quoted())))
    if kind == "assign":
        return ("leaf", words(draw, "on", "enter", "assign", draw(names)))
    if kind == "requires":
        return ("leaf", words(draw, "requires", draw(joined(names, ","))))
    if kind == "hint":
        return ("leaf", words(draw, "hint", draw(quoted())))
    if kind == "color":
        return ("leaf", words(draw, draw(st.sampled_from(["color", "colour"])), draw(quoted())))
    if kind == "stay":
        return ("leaf", words(draw, "stay", draw(percents)))
    if kind == "outcome":
        options = draw(st.lists(st.sampled_from(["after", "when", "copy"]), max_size=3))
        parts = ["->", draw(targets())] + optional(draw, lambda: draw(percents))
        for o in options:
            if o == "after":
                parts.append(words(draw, "after", draw(dists())))
            elif o == "when":
                parts.append(words(draw, "when", draw(joined(comparisons(), " and"))))
            else:
                parts.append(draw(copies()))
        return ("leaf", words(draw, *parts))
    children: list[Node] = []
    for item in draw(st.lists(st.sampled_from(["touch", "touch", "reply", "exhausted"]), max_size=5)):
        if item == "touch":
            children.append(("leaf", words(
                draw, draw(st.sampled_from(CHANNELS)), draw(st.one_of(st.just("now"), durations)),
                draw(percents), *optional(draw, lambda: words(draw, "work", draw(dists()))))))
        else:
            children.append(("leaf", words(draw, "on", item, "->", draw(targets()),
                                           *optional(draw, lambda: draw(copies())))))
    return ("block", "cadence", children)


@st.composite
def stages(draw: st.DrawFn) -> Node:
    header = words(draw, "stage", draw(names), *(["key"] if draw(st.booleans()) else []))
    return ("block", header, draw(st.lists(stage_statements(), max_size=6)))


@st.composite
def reopens(draw: st.DrawFn) -> Node:
    return ("leaf", words(draw, "reopen", draw(quoted()), draw(percents),
                          *optional(draw, lambda: words(draw, "after", draw(dists()))),
                          "->", draw(refs())))


@st.composite
def pipelines(draw: st.DrawFn) -> Node:
    flags = draw(st.lists(st.sampled_from(["main", "process", "conversion", "qualification",
                                           "sales", "nurture", "winback", "claims"]), max_size=3))
    body = draw(st.lists(st.one_of(stages(), stages(), reopens()), max_size=4))
    return ("block", words(draw, "pipeline", draw(names), *flags), body)


@st.composite
def accounts(draw: st.DrawFn) -> Node:
    body: list[Node] = []
    for kind in draw(st.lists(st.sampled_from(["currency", "hours", "language", "queue"]),
                              max_size=5)):
        value = {"currency": lambda: draw(bare_names),
                 "hours": lambda: draw(hours_specs),
                 "language": lambda: draw(st.sampled_from(["ru", "en", "uk"])),
                 "queue": lambda: draw(st.sampled_from(["fifo", "key-first"]))}[kind]()
        body.append(("leaf", words(draw, kind, value)))
    return ("block", words(draw, "account", draw(names)), body)


@st.composite
def profiles(draw: st.DrawFn) -> str:
    month_shares = st.builds(lambda mo, p: f"{mo} {p}", st.sampled_from(MONTHS), percents)
    return words(draw, "profile", draw(joined(month_shares, ",")))


@st.composite
def sources(draw: st.DrawFn) -> Node:
    options = []
    for kind in draw(st.lists(st.sampled_from(["value", "profile"]), max_size=3)):
        options.append(words(draw, "value", draw(dists())) if kind == "value" else draw(profiles()))
    return ("leaf", words(draw, "source", draw(names), draw(rates), "->", draw(refs()), *options))


@st.composite
def teams(draw: st.DrawFn) -> Node:
    return ("leaf", words(draw, "team", draw(names), "size", draw(ints),
                          *optional(draw, lambda: words(draw, "hours", draw(hours_specs)))))


@st.composite
def fields(draw: st.DrawFn) -> Node:
    simple = st.sampled_from(["text", "number", "money", "date", "phone", "email", "url", "bool",
                              "int"])
    kind = draw(st.integers(0, 3))
    if kind == 0:
        ftype = draw(simple)
    elif kind == 1:
        ftype = ("int" + draw(TIGHT) + "(" + draw(TIGHT) + draw(ints) + draw(TIGHT) + ".."
                 + draw(TIGHT) + draw(ints) + draw(TIGHT) + ")")
    else:
        ftype = (draw(st.sampled_from(["enum", "multi"])) + draw(TIGHT) + "(" + draw(TIGHT)
                 + draw(joined(quoted(), ",")) + draw(TIGHT) + ")")
    entity = optional(draw, lambda: words(draw, "on", draw(st.sampled_from(
        ["deal", "contact", "company"]))))
    return ("leaf", words(draw, "field", draw(names), ftype, *entity))


@st.composite
def scenarios(draw: st.DrawFn) -> Node:
    body: list[Node] = []
    for kind in draw(st.lists(st.integers(0, 9), max_size=5)):
        stage = lambda: words(draw, "stage", draw(refs()))  # noqa: E731
        text = [
            lambda: words(draw, "team", draw(names), "size", draw(ints)),
            lambda: words(draw, "team", draw(names), "hours", draw(hours_specs)),
            lambda: words(draw, "source", draw(names), draw(rates)),
            lambda: words(draw, "source", draw(names), draw(profiles())),
            lambda: words(draw, stage(), "work", draw(dists())),
            lambda: words(draw, stage(), "sla", draw(durations), "->", draw(targets()),
                          *optional(draw, lambda: draw(copies()))),
            lambda: words(draw, stage(), "respond", draw(durations)),
            lambda: words(draw, stage(), "owner", draw(names)),
            lambda: words(draw, stage(), "->", draw(targets()), draw(percents)),
            lambda: words(draw, stage(), "stay", draw(percents)),
        ][kind]()
        body.append(("leaf", text))
    return ("block", words(draw, "scenario", draw(names)), body)


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


@st.composite
def layout(draw: st.DrawFn, items: list[Node]) -> str:
    """Write nodes out as text with random comments, blank lines and indentation."""
    lines: list[str] = []

    def indent(depth: int) -> str:
        return "  " * depth if draw(st.integers(0, 3)) else draw(INDENT_NOISE)

    def trailing() -> str:
        return draw(GAP) + draw(comment_texts) if draw(st.integers(0, 4)) == 0 else ""

    def noise(depth: int) -> None:
        for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "", "  ", "\t"])))
            else:
                lines.append(indent(depth) + draw(comment_texts))

    def write(node: Node, depth: int) -> None:
        one_line = inline(node)
        if one_line is not None and (node[0] == "leaf" or draw(st.integers(0, 3)) == 0):
            lines.append(indent(depth) + one_line + trailing())
            return
        lines.append(indent(depth) + node[1] + draw(GAP) + "{" + trailing())
        children = node[2]
        for i, child in enumerate(children):
            noise(depth + 1)
            last = i == len(children) - 1
            if last and child[0] == "leaf" and draw(st.integers(0, 5)) == 0:
                lines.append(indent(depth + 1) + child[1] + draw(GAP) + "}" + trailing())
                return
            write(child, depth + 1)
        noise(depth + 1)
        lines.append(indent(depth) + "}" + trailing())

    noise(0)
    for item in items:
        write(item, 0)
        noise(0)
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    end = draw(st.sampled_from(["\n", "\n", "", "\n\n"]))
    return "\n".join(lines).replace("\n", newline) + end.replace("\n", newline)


@st.composite
def funnel_texts(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(teams(), fields(), sources(), pipelines(), pipelines(),
                                    scenarios(), accounts()), min_size=1, max_size=5))
    return draw(layout(items))


@settings(FAST, max_examples=150)
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


def test_the_generator_covers_the_language() -> None:
    """Generated texts use every construct of the language (a guard against a generator
    that silently stops producing some). Derandomized, so it cannot flake."""
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(funnel_texts())
    def collect(text: str) -> None:
        seen.update(constructs(text))

    collect()
    wanted = {"accounts", "teams", "fields", "sources", "pipelines", "scenarios", "team hours",
              "entity", "source value", "source profile", "key", "stage", "reopen", "repeat",
              "comment", "line continuation", "crlf", "one-line block",
              "target stage", "target won", "target lost", "flag main", "flag process"}
    wanted |= {f"field {k}" for k in ("text", "int", "enum", "multi")}
    wanted |= {f"account {k}" for k in ("currency", "hours", "language", "queue")}
    wanted |= {f"stage {k}" for k in ("owner", "work", "sla", "respond", "on_enter", "requires",
                                      "hint", "color", "outcome", "stay", "cadence")}
    wanted |= {f"action {k}" for k in ("task", "message", "assign")}
    wanted |= {f"option {k}" for k in ("after", "when", "copy")}
    wanted |= {f"cadence {k}" for k in ("touch", "reply", "exhausted")}
    wanted |= {f"override {k}" for k in ("team_size", "team_hours", "source_rate",
                                         "source_profile", "stage_work", "stage_sla",
                                         "stage_respond", "stage_owner", "stage_share",
                                         "stage_stay")}
    assert wanted - seen == set()


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


@settings(FAST, max_examples=80)
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


@settings(FAST, max_examples=100)
@given(st.deferred(grammar_strings))
def test_grammar_generated_strings_parse_or_explain(text: str) -> None:
    loaded = funnelc.load_text(text, "grammar.funnel")
    assert_sane(loaded)
    assert_formats_if_it_parses(text)

