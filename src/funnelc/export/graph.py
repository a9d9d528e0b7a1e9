"""The account as a plain graph (nodes, edges, clusters), built once from the routing
reading and rendered by the Mermaid and Graphviz exporters (and `serve`'s diagram) alike.

The diagram's own words (`won`, `lost: X`, `no reply`, `(main)`, `reopen 10%`) are in the
account's `language` (`--lang` overrides it), from the catalogs (context `diagram`); the
account's names are shown as written. A route's delay is said as the playbook says it
(`wording.delay_words`, brief: `exp(3d)` is «в среднем через 3 дня», `triangular(2h, 1d,
3d)` «через 2 часа – 3 дня»; the edge said `через exp(3d)`). Elsewhere than in English
a source's rate says its figure in the language's numbers and its unit in the language
(`14/тиж.`, `90 000/мес.` of `90k/month`: `14/week` put an English word on a Ukrainian
client's diagram), and an SLA or respond limit is said as `simulate` and the playbook
say it (`16 роб. год`; `21d` of a calendar is 504 working hours, which `21d` on the
diagram passed off as 21 days)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import C_, Translator, choose, translator
from ..i18n.figures import Figures
from ..model import Duration, FunnelFile, LostTarget, Rate, WonTarget
from ..numfmt import pct_rounded
from ..routing import Route, StageKey, build_flows
from .wording import delay_words, share_words


@dataclass
class GraphNode:
    id: str
    label: str
    kind: str  # "stage", "won", "lost", "stuck", "source"
    key: bool = False
    sla: str | None = None
    respond: str | None = None


@dataclass
class GraphEdge:
    src: str
    dst: str
    label: str
    dashed: bool = False
    """Handoffs (`then copy`) are dashed: a new deal, not the same deal moving."""


@dataclass
class Cluster:
    id: str
    label: str
    nodes: list[GraphNode] = field(default_factory=list)


@dataclass
class AccountGraph:
    clusters: list[Cluster]
    outside: list[GraphNode]
    edges: list[GraphEdge]
    respond: str = "respond ≤ {limit}"
    """How a stage's respond limit is written under its name (`{limit}` as in the file)."""


_CONTEXT = "diagram"
_WORDS = {
    "won": C_("diagram", "won"), "lost": C_("diagram", "lost: {reason}"),
    "stuck": C_("diagram", "stays forever"), "reply": C_("diagram", "reply"),
    "no reply": C_("diagram", "no reply"), "copy": C_("diagram", "copy"),
    "timeout": C_("diagram", "timeout {after}"),
    "reopen": C_("diagram", "reopen {share}"), "main": C_("diagram", "{pipeline} (main)"),
    "respond": C_("diagram", "respond ≤ {limit}"),
    "sla won": C_("diagram", "won"), "sla lost": C_("diagram", 'lost "{reason}"'),
    "hour": C_("diagram", "{count}/hour"), "day": C_("diagram", "{count}/day"),
    "week": C_("diagram", "{count}/week"), "month": C_("diagram", "{count}/month"),
}
"""The diagram's words by role; English is what the diagrams always said."""


class _Words:
    def __init__(self, tr: Translator) -> None:
        self.tr = tr

    def __call__(self, role: str, **fields: str) -> str:
        text = self.tr.pgettext(_CONTEXT, _WORDS[role])
        return text.format(**fields) if fields else text

    def limit(self, limit: Duration, working: bool) -> str:
        """An SLA or respond limit: as written in English (`16h`); in the language's units
        elsewhere, in working hours when the account's calendar counts them."""
        if self.tr.lang == "en":
            return limit.text
        return Figures(self.tr).limit(limit.hours, working)

    def rate(self, rate: Rate) -> str:
        """A source's rate: as written in English (`14/week`, `2.5/day`); elsewhere the
        figure in the language's numbers (`2,5`, `90 000` of `90k`) and its unit in words."""
        if self.tr.lang == "en":
            return rate.text
        return self(rate.unit, count=self.tr.number(rate.count))

    def share(self, x: float) -> str:
        """A route's share as the diagrams write it (`74.5%`; `74,5%` in ru and uk)."""
        text = pct_rounded(x)
        return text if self.tr.lang == "en" else text.replace(".", ",")


def _route_label(route: Route, say: _Words) -> str:
    parts = [say.share(route.share)]
    if route.via == "sla":
        parts.append("SLA")
    elif route.via in ("reply", "exhausted"):
        parts.append(say("reply") if route.via == "reply" else say("no reply"))
    if route.after is not None and route.via != "sla":
        parts.append(delay_words(route.after, say.tr, brief=True))
    return " ".join(parts)


def build_graph(funnel: FunnelFile, language: str | None = None) -> AccountGraph:
    """The account's graph, its words in `language` (default: the account's; `--lang`
    overrides both)."""
    say = _Words(translator(choose(language if language is not None else
                                   funnel.account.language if funnel.account else None)))
    flows = build_flows(funnel)
    # With the account's calendar, SLA and respond limits count working hours.
    working = funnel.account is not None and funnel.account.hours is not None
    ids: dict[StageKey, str] = {}
    clusters: list[Cluster] = []
    for pi, pipe in enumerate(funnel.pipelines):
        cluster = Cluster(f"p{pi}", say("main", pipeline=pipe.name.value) if pipe.main
                          else pipe.name.value)
        for si, stage in enumerate(pipe.stages):
            key = (pipe.name.value, stage.name.value)
            if key in ids:
                continue
            ids[key] = f"p{pi}s{si}"
            cluster.nodes.append(GraphNode(
                ids[key], stage.name.value, "stage", key=stage.key,
                sla=f"{say.limit(stage.sla.after, working)} → "
                    f"{_target_text(stage.sla.target, say)}" if stage.sla else None,
                respond=say.limit(stage.respond, working) if stage.respond else None))
        clusters.append(cluster)
    edges: list[GraphEdge] = []
    terminal: dict[tuple[str, str], str] = {}

    def terminal_node(pi: int, kind: str, label: str) -> str:
        nid = f"p{pi}{kind}{len([k for k in terminal if k[0] == str(pi)])}"
        found = terminal.get((str(pi), kind + label))
        if found:
            return found
        terminal[(str(pi), kind + label)] = nid
        clusters[pi].nodes.append(GraphNode(nid, label, kind))
        return nid

    pipe_index = {p.name.value: i for i, p in enumerate(funnel.pipelines)}
    for flow in flows:
        pi = pipe_index[flow.key[0]]
        src = ids[flow.key]
        for route in flow.routes:
            if route.kind == "stage" and route.stage in ids:
                dst = ids[route.stage]
            elif route.kind == "won":
                dst = terminal_node(pi, "won", say("won"))
            elif route.kind == "lost":
                dst = terminal_node(pi, "lost", say("lost", reason=str(route.reason)))
            elif route.kind == "stuck":
                dst = terminal_node(pi, "stuck", say("stuck"))
            else:
                continue
            edges.append(GraphEdge(src, dst, _route_label(route, say)))
            if route.copy_to is not None and route.copy_to in ids:
                edges.append(GraphEdge(dst, ids[route.copy_to], say("copy"), dashed=True))
        sla = flow.stage.sla
        if sla is not None and not any(r.via == "sla" for r in flow.routes):
            # The timeout path exists even with no `stay`: queued or slow deals take it.
            target = sla.target
            timeout_dst: str | None
            if isinstance(target, WonTarget):
                timeout_dst = terminal_node(pi, "won", say("won"))
            elif isinstance(target, LostTarget):
                timeout_dst = terminal_node(pi, "lost", say("lost", reason=target.reason.value))
            else:
                found = funnel.resolve(target.ref, flow.pipeline)
                timeout_dst = ids.get((found[0].name.value, found[1].name.value)) if found else None
            if timeout_dst is not None:
                edges.append(GraphEdge(src, timeout_dst,
                                       say("timeout", after=say.limit(sla.after, working))))
                if sla.copy_to is not None:
                    found = funnel.resolve(sla.copy_to.ref, flow.pipeline)
                    if found is not None and (copy_key := (found[0].name.value,
                                                           found[1].name.value)) in ids:
                        edges.append(GraphEdge(timeout_dst, ids[copy_key], say("copy"),
                                               dashed=True))
    for ro_list in flows.reopens.values():
        for reopen, key in ro_list:
            pi = pipe_index[key[0]]
            lost = terminal.get((str(pi), "lost" + say("lost", reason=reopen.reason.value)))
            if lost and key in ids:
                edges.append(GraphEdge(lost, ids[key],
                                       say("reopen", share=share_words(reopen.share, say.tr)),
                                       dashed=True))
    outside: list[GraphNode] = []
    for si, (source, key) in enumerate(flows.sources):
        nid = f"src{si}"
        outside.append(GraphNode(nid, f"{source.name.value}: {say.rate(source.rate)}", "source"))
        if key in ids:
            edges.append(GraphEdge(nid, ids[key], ""))
    return AccountGraph(clusters, outside, edges, say("respond", limit="{limit}"))


def _target_text(target: object, say: _Words) -> str:
    from ..model import LostTarget, StageTarget, WonTarget

    if isinstance(target, WonTarget):
        return say("sla won")
    if isinstance(target, LostTarget):
        return say("sla lost", reason=target.reason.value)
    assert isinstance(target, StageTarget)
    return target.ref.stage.value
