"""`--to dot`: a Graphviz DOT graph of the account (`dot -Tsvg`): pipelines as clusters,
shares on edges, handoffs dashed, key stages bold, SLAs under the stage name."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import FunnelFile
from .base import ExportResult
from .graph import GraphNode, build_graph


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node(n: GraphNode, respond: str = "respond ≤ {limit}") -> str:
    if n.kind == "stage":
        label = ("★ " if n.key else "") + n.label
        if n.sla:
            label += f"\nSLA {n.sla}"
        if n.respond:
            label += "\n" + respond.format(limit=n.respond)
        style = ', style="bold,rounded", penwidth=2' if n.key else ', style=rounded'
        return f"{n.id} [label={_q(label)}, shape=box{style}];"
    colors = {"won": "#d4f7d4", "lost": "#fde0e0", "stuck": "#fff3cd", "source": "#e3f2fd"}
    shape = {"won": "doublecircle", "lost": "octagon", "stuck": "folder",
             "source": "cds"}.get(n.kind, "box")
    return (f"{n.id} [label={_q(n.label)}, shape={shape}, style=filled, "
            f"fillcolor={_q(colors.get(n.kind, '#ffffff'))}];")


def render_dot(funnel: FunnelFile) -> str:
    g = build_graph(funnel)
    name = funnel.account.name.value if funnel.account else "account"
    lines = [f"digraph {_q(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for n in g.outside:
        lines.append(f"  {_node(n, g.respond)}")
    for c in g.clusters:
        lines.append(f"  subgraph cluster_{c.id} {{")
        lines.append(f"    label={_q(c.label)};")
        for n in c.nodes:
            lines.append(f"    {_node(n, g.respond)}")
        lines.append("  }")
    for e in g.edges:
        attrs = [f"label={_q(e.label)}"] if e.label else []
        if e.dashed:
            attrs.append("style=dashed")
        lines.append(f"  {e.src} -> {e.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DotExporter:
    name: str = "dot"
    description: str = "Graphviz DOT graph of all pipelines"
    folder: bool = False

    def export(self, funnel: FunnelFile) -> ExportResult:
        return ExportResult(files={"funnel.dot": render_dot(funnel)})


EXPORTER = DotExporter()
