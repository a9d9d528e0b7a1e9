"""`--to mermaid` and `--to dot`: a small structural parser for each output (balanced
blocks and braces outside quoted strings, every edge's ends declared, quoted labels
closed), run on every example and on names full of markup characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PIPELINES
from export_helpers import chain, load, one_pipeline
from funnelc.api import load_file
from funnelc.export.dot import render_dot
from funnelc.export.mermaid import render_mermaid

EXAMPLES = sorted(PIPELINES.glob("*.funnel"))

NASTY = "Звонок #1; <b>A&B</b> [x] {y} 100%|z"
FUNNEL = one_pipeline(
    f'  stage "Заявка" {{ -> "{NASTY}" 70%\n -> lost "Нецелевой: «спам»" 30% }}\n'
    f'  stage "{NASTY}" key {{ sla 2d -> lost "Долго"\n -> won 40% after exp(2d)\n'
    '   -> lost "Дорого" 20% then copy "Дожим"."Ждём"\n stay 40% }\n'
    '  reopen "Дорого" 10% -> "Заявка"') + \
    'pipeline "Дожим" {\n  stage "Ждём" { -> won 10%\n stay 90% }\n}\n'

# ----------------------------------------------------------------------------- Mermaid

_M_NODE = re.compile(r'^(\w+)(\["|\(\["|>"|\[/")(.*?)("\]|"\]\)|"\]|"/\])(:::\w+)?$')
_M_EDGE = re.compile(r'^(\w+) (-->|-\.->)(\|"([^"]*)"\|)? (\w+)$')


def check_mermaid(text: str) -> dict[str, str]:
    """Node id → label; asserts the structure a Mermaid flowchart needs."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    depth = 0
    for raw in lines[1:]:
        line = raw.strip()
        if line.startswith("subgraph "):
            match = re.fullmatch(r'subgraph (\w+)\["([^"]*)"\]', line)
            assert match, line
            depth += 1
        elif line == "end":
            depth -= 1
            assert depth >= 0
        elif line.startswith(("direction ", "classDef ")):
            continue
        elif (edge := _M_EDGE.fullmatch(line)) is not None:
            edges.append((edge[1], edge[5]))
        else:
            node = _M_NODE.fullmatch(line)
            assert node, f"not a node, edge or block: {line!r}"
            label = node[3]
            assert '"' not in label, f"raw quote inside a label: {line!r}"
            assert node[1] not in nodes, f"node {node[1]} declared twice"
            nodes[node[1]] = label
    assert depth == 0, "subgraph without end"
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} to an undeclared node"
    return nodes


def mermaid_entities_decoded(label: str) -> str:
    """What Mermaid shows: `#name;` / `#35;` entity codes decoded, HTML tags dropped."""
    import html

    label = re.sub(r"<[^>]+>", "", label)
    return html.unescape(re.sub(r"#(\w+);", lambda m: f"&#{m[1]};" if m[1].isdigit() else f"&{m[1]};", label))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_mermaid_of_every_example_is_well_formed(path: Path) -> None:
    loaded = load_file(str(path))
    assert loaded.model is not None
    nodes = check_mermaid(render_mermaid(loaded.model))
    stage_count = sum(len(p.stages) for p in loaded.model.pipelines)
    assert len([n for n in nodes if re.fullmatch(r"p\d+s\d+", n)]) == stage_count


def test_mermaid_escapes_markup_in_names() -> None:
    text = render_mermaid(load(FUNNEL))
    nodes = check_mermaid(text)
    shown = {mermaid_entities_decoded(label).split("SLA")[0].strip("★ ") for label in nodes.values()}
    assert NASTY in shown
    assert "<b>A" not in text.replace("<b>★", "")  # the name's own tags are entities
    assert "-.->|\"copy\"|" in text and "reopen 10%" in text  # handoff and reopen dashed
    assert ":::stuck" in text and ":::won" in text and ":::lost" in text


# ----------------------------------------------------------------------------- DOT

_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|->|[{}\[\];,=]|[^\s{}\[\];,="]+')


def check_dot(text: str) -> dict[str, str]:
    """Node id → label; asserts balanced braces and brackets outside quoted strings and
    that every edge's ends are declared nodes."""
    tokens = _TOKEN.findall(text)
    assert "".join(tokens).replace(" ", "") == re.sub(r"\s+", "", text), "untokenisable text"
    assert tokens[:2] == ["digraph", tokens[1]] and tokens[1].startswith('"')
    depth = brackets = 0
    statements: list[list[str]] = [[]]
    for tok in tokens[2:]:
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            assert depth >= 0
        elif tok == "[":
            brackets += 1
        elif tok == "]":
            brackets -= 1
        if tok in ("{", "}", ";") and brackets == 0:
            statements.append([])
        else:
            statements[-1].append(tok)
    assert depth == 0 and brackets == 0
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for st in statements:
        if not st or st[0] in ("node", "edge", "subgraph", "rankdir", "label"):
            continue
        if len(st) >= 3 and st[1] == "->":
            edges.append((st[0], st[2]))
        elif len(st) > 1 and st[1] == "[":
            label = st[st.index("label") + 2]
            nodes[st[0]] = label[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} to an undeclared node"
    return nodes


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_dot_of_every_example_is_well_formed(path: Path) -> None:
    loaded = load_file(str(path))
    assert loaded.model is not None
    nodes = check_dot(render_dot(loaded.model))
    stage_count = sum(len(p.stages) for p in loaded.model.pipelines)
    assert len([n for n in nodes if re.fullmatch(r"p\d+s\d+", n)]) == stage_count


def test_dot_keeps_names_as_written() -> None:
    text = render_dot(load(FUNNEL))
    nodes = check_dot(text)
    assert any(label.split("\\n")[0] == f"★ {NASTY}" for label in nodes.values())
    assert "style=dashed" in text and 'label="copy"' in text


def test_structural_checks_catch_broken_output() -> None:
    good = render_dot(load(one_pipeline(chain(["Заявка"]))))
    with pytest.raises(AssertionError):
        check_dot(good.replace("p0s0 [", "p9s9 [", 1))
    with pytest.raises(AssertionError):
        check_dot(good.rstrip().rstrip("}"))
    mermaid = render_mermaid(load(one_pipeline(chain(["Заявка"]))))
    with pytest.raises(AssertionError):
        check_mermaid(mermaid.replace("  end\n", "", 1))
    with pytest.raises(AssertionError):
        check_mermaid(mermaid.replace('p0s0["Заявка"]', 'p0s0["За"явка"]'))
