"""Every `funnel` code block of README.md and docs/ is checked (issue 16, section 4): a
consultant copies them, so none may fail `funnelc check`.

* ```` ```funnel ```` — a whole file: no error at all (lint findings are allowed; some
  examples exist to show them). `--8<-- "pipelines/X.funnel"` blocks include a shipped
  example, checked as that file.
* ```` ```funnel fragment ```` — a piece of a file (a stage, a source line, a scenario):
  checked inside a wrapper that completes it. A stage's statements get a stage, stages
  get a pipeline, and names the fragment refers to but does not define (teams, fields,
  sources, pipelines, stages of other pipelines) are declared around it; a stage nothing
  reaches gets a source. Everything the fragment writes itself is checked as written, and
  a name that looks like a typo of a defined one (the checker offers "did you mean") is
  not completed but reported.
* ```` ```funnel fragment in=pipelines/X.funnel ```` — a piece that only makes sense in a
  shipped example: checked appended to that file, in place of the file's item of the
  same kind and name if it has one.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT
from funnelc import load_text
from funnelc.diagnostics import Diagnostic

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>funnel[^\n]*)\n(?P<body>.*?)^(?P=indent)```",
                   re.S | re.M)
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^"]+)"\s*$')
ITEMS = ("account", "team", "field", "source", "pipeline", "scenario")
QUOTED = r'(?:"(?:[^"\\]|\\.)*"|[^\s".{}]+)'


@dataclass(frozen=True)
class Block:
    path: str
    line: int
    info: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    found = []
    for m in FENCE.finditer(text):
        body = textwrap.dedent(m.group("indent") + m.group("body").replace(
            "\n" + m.group("indent"), "\n"))
        found.append(Block(rel, text.count("\n", 0, m.start()) + 1, m.group("info").strip(),
                           body))
    return found


BLOCKS = [b for p in doc_files() for b in blocks_of(p)]


def _name(text: str) -> str:
    return text[1:-1] if text.startswith('"') else text


def _q(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _first_word(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.split()[0]
    return ""


class Wrapper:
    """A fragment with the declarations it needs around it, grown from the checker's
    "unknown …" and "never reached" findings until nothing more can be completed."""

    PIPE = "Документация"

    def __init__(self, fragment: str) -> None:
        first = _first_word(fragment)
        if first in ITEMS:
            self.body = fragment
            self.home: str | None = None
        elif first == "stage":
            self.body = (f"pipeline {_q(self.PIPE)} main {{\n"
                         + textwrap.indent(fragment, "  ") + "}\n")
            self.home = self.PIPE
        else:
            self.body = (f"pipeline {_q(self.PIPE)} main {{\n  stage \"Фрагмент\" {{\n"
                         + textwrap.indent(fragment, "    ") + "  }\n}\n")
            self.home = self.PIPE
        self.extra: list[str] = []
        self.stages: dict[str, list[str]] = {}  # pipelines the wrapper declares
        self.fragment_start = 0

    def text(self) -> str:
        pipes = [f"pipeline {_q(p)} {{\n" + "".join(
            f"  stage {_q(s)} {{ -> won }}\n" for s in stages) + "}\n"
            for p, stages in self.stages.items()]
        head = "".join(line + "\n" for line in self.extra) + "".join(pipes)
        self.fragment_start = len(head)
        return head + self.body

    def complete(self, diags: list[Diagnostic], text: str) -> bool:
        """Declare what one round of findings asks for; False when nothing could be."""
        grew = False
        for d in diags:
            said = re.search(r"`([^`]*)`", d.message)
            name = said.group(1) if said else ""
            typo = bool(d.help and "did you mean" in d.help)
            span = d.span
            after = text[span.end:span.end + 200] if span else ""
            if d.code == "FN204" and not typo:
                grew |= self._add(f"team {_q(name)} size 1")
            elif d.code == "FN205" and not typo:
                grew |= self._add(f"field {_q(name)} number")
            elif d.code == "FN206" and not typo:
                target = self._any_stage(text)
                grew |= self._add(f"source {_q(name)} 1/day -> {target}")
            elif d.code == "FN202" and not typo:
                stage = re.match(r"\s*\.\s*(" + QUOTED + ")", after)
                stages = self.stages.setdefault(name, [])
                if stage and _name(stage.group(1)) not in stages:
                    stages.append(_name(stage.group(1)))
                grew = True
            elif d.code == "FN201" and not typo:
                pipe = re.search(r"in `([^`]*)`", (d.labels[0].message if d.labels else "")
                                 + " " + d.message)
                where = pipe.group(1) if pipe else None
                if where in self.stages and name not in self.stages[where]:
                    self.stages[where].append(name)
                    grew = True
                elif where is None or where == self.home:
                    grew |= self._add_home_stage(name)
            elif d.code == "FN215":
                pipe = re.search(r'-> ("(?:[^"\\]|\\.)*")\.', d.help or "")
                ref = f"{pipe.group(1)}.{_q(name)}" if pipe else _q(name)
                grew |= self._add(f"source \"Источник {len(self.extra)}\" 1/day -> {ref}")
        return grew

    def _add(self, line: str) -> bool:
        if line in self.extra:
            return False
        self.extra.append(line)
        return True

    def _add_home_stage(self, name: str) -> bool:
        if self.home is None:
            return False
        stage = f"  stage {_q(name)} {{ -> won }}\n"
        if stage in self.body:
            return False
        self.body = self.body[: self.body.rstrip().rfind("}")] + stage + "}\n"
        return True

    def _any_stage(self, text: str) -> str:
        m = re.search(r"pipeline (" + QUOTED + r")[^{]*\{\s*stage (" + QUOTED + ")", text)
        return f"{m.group(1)}.{m.group(2)}" if m else '"Документация"."Фрагмент"'


def _problems(diags: list[Diagnostic]) -> str:
    return "; ".join(f"{d.code} {d.message}" + (f" ({d.help})" if d.help else "")
                     for d in diags)


def _without_items_of(fragment: str, base: str) -> str:
    """`base` less the blocks the fragment writes again (same kind and name): the
    fragment stands in for them, as a variant of that item."""
    for m in re.finditer(r"^(" + "|".join(ITEMS) + r") (" + QUOTED + r")[^\n]*\{\s*$",
                         fragment, re.M):
        head = re.compile(r"^" + m.group(1) + r" " + re.escape(m.group(2)) + r"[^\n]*\{\s*$"
                          r".*?^\}\s*$\n?", re.S | re.M)
        base = head.sub("", base, count=1)
    return base


def checked_text(block: Block) -> tuple[str, str]:
    """(the text to check, where it comes from) for one block."""
    include = INCLUDE.match(block.text.strip())
    if include:
        path = ROOT / include.group("path")
        assert path.exists(), f"{block.id}: includes a missing file {include.group('path')}"
        return path.read_text(encoding="utf-8"), include.group("path")
    words = block.info.split()
    assert words[0] == "funnel" and all(
        w == "fragment" or w.startswith("in=") for w in words[1:]), \
        f"{block.id}: unknown info string ```{block.info}"
    context = next((w[3:] for w in words if w.startswith("in=")), None)
    if context is not None:
        assert "fragment" in words, f"{block.id}: in= is for fragments"
        base = _without_items_of(block.text, (ROOT / context).read_text(encoding="utf-8"))
        return base.rstrip("\n") + "\n\n" + block.text, f"{block.id} in {context}"
    if "fragment" not in words:
        return block.text, block.id
    wrapper = Wrapper(block.text)
    for _ in range(12):
        text = wrapper.text()
        loaded = load_text(text, block.id)
        if not loaded.errors or not wrapper.complete(loaded.errors, text):
            break
    return wrapper.text(), f"{block.id} (wrapped)"


def test_the_docs_have_funnel_blocks() -> None:
    """The extraction finds the blocks: the README's tour, the reference's constructs,
    the seeds' includes, the rules' examples."""
    by_file: dict[str, int] = {}
    for b in BLOCKS:
        by_file[b.path] = by_file.get(b.path, 0) + 1
    assert by_file.get("README.md", 0) >= 1, by_file
    assert by_file.get("docs/seeds.md", 0) >= 5, by_file
    assert by_file.get("docs/rules.md", 0) >= 40, by_file
    assert sum(by_file.values()) >= 60, by_file
    assert any(b.info.startswith("funnel fragment") for b in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_funnel_block_checks_without_errors(block: Block) -> None:
    text, origin = checked_text(block)
    loaded = load_text(text, origin)
    assert loaded.model is not None and loaded.errors == [], (
        f"{origin}: {_problems(loaded.errors)}\n--- checked text ---\n{text}")


def test_a_wrapper_does_not_hide_a_typo() -> None:
    """A fragment that moves to a misspelt stage of its own pipeline still fails."""
    typo = Block("t.md", 1, "funnel fragment",
                 'stage "Замер" {\n  -> "Догвор" 50%\n  -> lost "Нет" 50%\n}\n'
                 'stage "Договор" { -> won }\n')
    text, origin = checked_text(typo)
    assert [d.code for d in load_text(text, origin).errors] == ["FN201"]


def test_a_wrapper_completes_what_a_stage_refers_to() -> None:
    """The exact stage fragment of the language reference: a team, fields, a move into
    another pipeline, all declared elsewhere in a real file."""
    fragment = Block("t.md", 1, "funnel fragment", textwrap.dedent("""\
        stage "Договор подписан" key {
          owner "Менеджеры"
          requires "Сумма договора"
          on enter task "Выставить счет" due 2h to "Бухгалтерия"
          -> won 92% then copy "Производство"."Новый заказ"
          -> lost "Не внес предоплату" 8%
        }
        """))
    text, origin = checked_text(fragment)
    assert load_text(text, origin).errors == []
    assert 'team "Менеджеры"' in text and 'pipeline "Производство"' in text
