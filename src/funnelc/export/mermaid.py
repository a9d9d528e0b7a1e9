"""`--to mermaid`: a Mermaid flowchart of the account (paste into GitHub/GitLab markdown
or mermaid.live): pipelines as subgraphs, shares on edges, handoffs dashed, key stages
bold, SLAs under the stage name."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import FunnelFile
from .base import ExportResult
from .graph import GraphNode, build_graph

_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;"}


def _text(s: str) -> str:
    """User text inside a double-quoted Mermaid label. Labels are HTML and Mermaid reads
    `#name;` as an entity, so `#` goes first, then the quote, `<`, `>` and `&`, each as a
    Mermaid entity code (a stage called `<b>` or `Звонок #1;` shows as written). A
    backtick too: a label wrapped in backticks is a Mermaid Markdown string."""
    return "".join(_ENTITIES.get(ch, ch) for ch in s)


def _node(n: GraphNode, respond: str = "respond ≤ {limit}") -> str:
    label = _text(n.label)
    if n.kind == "stage":
        extra = []
        if n.key:
            label = f"<b>★ {label}</b>"
        if n.sla:
            extra.append(f"SLA {_text(n.sla)}")
        if n.respond:
            extra.append(_text(respond.format(limit=n.respond)))
        if extra:
            label += "<br/><small>" + "; ".join(extra) + "</small>"
        return f'{n.id}["{label}"]'
    if n.kind == "won":
        return f'{n.id}(["{label}"]):::won'
    if n.kind == "lost":
        return f'{n.id}(["{label}"]):::lost'
    if n.kind == "stuck":
        return f'{n.id}[/"{label}"/]:::stuck'
    return f'{n.id}>"{label}"]'


def render_mermaid(funnel: FunnelFile) -> str:
    g = build_graph(funnel)
    lines = ["flowchart LR"]
    for n in g.outside:
        lines.append(f"  {_node(n, g.respond)}")
    for c in g.clusters:
        lines.append(f'  subgraph {c.id}["{_text(c.label)}"]')
        lines.append("    direction LR")
        for n in c.nodes:
            lines.append(f"    {_node(n, g.respond)}")
        lines.append("  end")
    for e in g.edges:
        arrow = "-.->" if e.dashed else "-->"
        label = f'|"{_text(e.label)}"|' if e.label else ""
        lines.append(f"  {e.src} {arrow}{label} {e.dst}")
    lines += [
        "  classDef won fill:#d4f7d4,stroke:#2e7d32",
        "  classDef lost fill:#fde0e0,stroke:#c62828",
        "  classDef stuck fill:#fff3cd,stroke:#b8860b",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MermaidExporter:
    name: str = "mermaid"
    description: str = "Mermaid flowchart of all pipelines"
    folder: bool = False

    def export(self, funnel: FunnelFile) -> ExportResult:
        return ExportResult(files={"funnel.mmd": render_mermaid(funnel)})


EXPORTER = MermaidExporter()
