"""Names in the data ↔ names in the funnel file.

CRM exports and funnel files spell names apart in small ways (case, `ё`, doubled
spaces, quotes), so a name matches exactly first, then by its normal form. A CSV
without a pipeline column gets the pipeline whose stage has that name, when exactly
one has. Whatever matches nothing is listed, never guessed at.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

import polars as pl

from .. import model as m
from ..routing import build_flows
from .events import STAGE

__all__ = ["NameMatch", "match_names", "funnel_depths", "funnel_pairs", "normal"]


def normal(name: str) -> str:
    s = name.casefold().replace("ё", "е").strip().strip("\"'«»“”").strip()
    return re.sub(r"\s+", " ", s)


@dataclass
class NameMatch:
    pipelines: dict[str, str] = field(default_factory=dict)
    """data pipeline → funnel pipeline."""
    stages: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(data pipeline, data stage) → (funnel pipeline, funnel stage)."""
    unmatched_pipelines: list[str] = field(default_factory=list)
    unmatched_stages: list[tuple[str, str, int]] = field(default_factory=list)
    """(pipeline, stage, rows) found in the data and not in the funnel."""
    unseen_stages: list[tuple[str, str]] = field(default_factory=list)
    """Funnel stages no deal of the data ever entered."""


def match_names(events: pl.DataFrame, funnel: m.FunnelFile) -> tuple[pl.DataFrame, NameMatch]:
    """Events renamed to the funnel's names where they match."""
    nm = NameMatch()
    fpipes = {p.name.value: p for p in funnel.pipelines}
    pnorm = {normal(p): p for p in fpipes}
    snorm = {(p, normal(s.name.value)): s.name.value for p, pp in fpipes.items()
             for s in pp.stages}
    by_stage: dict[str, list[str]] = {}
    for p, pp in fpipes.items():
        for s in pp.stages:
            by_stage.setdefault(normal(s.name.value), []).append(p)
    pairs = (events.filter(pl.col("kind") == STAGE).group_by(["pipeline", "stage"])
             .agg(n=pl.len()).sort(["pipeline", "stage"]))
    for dp, ds, n in pairs.iter_rows():
        fp = (fpipes.get(dp) and dp) or pnorm.get(normal(dp or ""))
        if fp is None and not dp:
            owners = by_stage.get(normal(ds), [])
            fp = owners[0] if len(owners) == 1 else None
        if fp is None and len(fpipes) == 1 and not dp:
            fp = next(iter(fpipes))
        if fp is None:
            if dp not in nm.unmatched_pipelines:
                nm.unmatched_pipelines.append(dp)
            nm.unmatched_stages.append((dp, ds, n))
            continue
        nm.pipelines.setdefault(dp, fp)
        fs = snorm.get((fp, normal(ds)))
        if fs is None:
            nm.unmatched_stages.append((dp, ds, n))
            continue
        nm.stages[(dp, ds)] = (fp, fs)
    # Closing rows (won/lost) carry the pipeline only.
    for dp in events["pipeline"].unique().to_list():
        if dp not in nm.pipelines:
            fp = pnorm.get(normal(dp or ""))
            if fp is None and len(fpipes) == 1 and not dp:
                fp = next(iter(fpipes))
            if fp is not None:
                nm.pipelines[dp] = fp
    seen = set(nm.stages.values())
    nm.unseen_stages = [(p, s.name.value) for p, pp in fpipes.items() for s in pp.stages
                        if (p, s.name.value) not in seen]
    smap = pl.DataFrame([(a, b, c, d) for (a, b), (c, d) in nm.stages.items()],
                        schema={"pipeline": pl.Utf8, "stage": pl.Utf8, "fp": pl.Utf8,
                                "fs": pl.Utf8}, orient="row")
    pmap = pl.DataFrame(list(nm.pipelines.items()),
                        schema={"pipeline": pl.Utf8, "fpp": pl.Utf8}, orient="row")
    out = events.join(smap, on=["pipeline", "stage"], how="left").join(
        pmap, on="pipeline", how="left")
    out = out.with_columns(
        stage=pl.when(pl.col("kind") == STAGE).then(pl.coalesce(["fs", "stage"]))
        .otherwise(pl.col("stage")),
        pipeline=pl.coalesce(["fp", "fpp", "pipeline"]),
    ).drop(["fp", "fs", "fpp"])
    if "from_stage" in out.columns:
        out = out.join(smap.rename({"pipeline": "from_pipeline", "stage": "from_stage"}),
                       on=["from_pipeline", "from_stage"], how="left").with_columns(
            from_stage=pl.coalesce(["fs", "from_stage"]),
            from_pipeline=pl.coalesce(["fp", "from_pipeline"])).drop(["fp", "fs"])
    return out.sort(["deal_id", "ts", "seq"]), nm


def funnel_depths(funnel: m.FunnelFile) -> dict[str, dict[str, int]]:
    """Depth of every stage from its pipeline's entry stages (stages fed by a source or a
    copy, or that nothing leads to), along `->` moves: parallel entry stages share 0."""
    flows = build_flows(funnel)
    out: dict[str, dict[str, int]] = {}
    for pipe in funnel.pipelines:
        pn = pipe.name.value
        stages = [s.name.value for s in pipe.stages]
        succ: dict[str, list[str]] = {s: [] for s in stages}
        incoming: set[str] = set()
        entries: set[str] = set()
        for f in flows.pipeline_stages(pn):
            for r in f.routes:
                if r.kind == "stage" and r.stage and r.stage[0] == pn:
                    succ[f.key[1]].append(r.stage[1])
                    incoming.add(r.stage[1])
                if r.copy_to and r.copy_to[0] == pn:
                    entries.add(r.copy_to[1])
        for f in flows:
            for r in f.routes:
                if r.copy_to and r.copy_to[0] == pn:
                    entries.add(r.copy_to[1])
        for _, key in flows.sources:
            if key[0] == pn:
                entries.add(key[1])
        entries |= {s for s in stages if s not in incoming}
        depth: dict[str, int] = {}
        q = deque((s, 0) for s in stages if s in entries)
        while q:
            s, d = q.popleft()
            if s in depth:
                continue
            depth[s] = d
            for t in succ[s]:
                if t not in depth:
                    q.append((t, d + 1))
        top = max(depth.values(), default=-1)
        for s in stages:
            if s not in depth:
                top += 1
                depth[s] = top
        out[pn] = depth
    return out


def funnel_pairs(funnel: m.FunnelFile) -> list[tuple[str, str, str]]:
    """(pipeline, stage, next stage) for every `->` move the funnel allows forward."""
    depth = funnel_depths(funnel)
    out = []
    for f in build_flows(funnel):
        for r in f.routes:
            if r.kind == "stage" and r.stage and r.stage[0] == f.key[0]:
                d = depth[f.key[0]]
                if d.get(r.stage[1], 0) > d.get(f.key[1], 0):
                    pair = (f.key[0], f.key[1], r.stage[1])
                    if pair not in out:
                        out.append(pair)
    return out
