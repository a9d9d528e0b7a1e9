"""Names in the data ↔ names in the funnel file.

CRM exports and funnel files spell names apart in small ways (case, `ё`, doubled
spaces, quotes), so a name matches exactly first, then by its normal form. A CSV
without a pipeline column gets the pipeline whose stage has that name, when exactly
one has; so does a CRM export of one pipeline it does not name (`#0`: Bitrix24's deals
without the `crm.category.list` answer, amoCRM's without the pipelines answer), which
matched no pipeline of any funnel. Whatever matches nothing is listed, never guessed at,
with one exception the data itself proves: a name close to a funnel stage of its pipeline
whose every entry comes after (or before) every entry of that stage's own name is the
same stage renamed in the CRM mid-history («Demo» became «Demo held»), read as the
funnel's stage and said (`NameMatch.merged`). Read as two stages, the old name's
conversion fell to 0 % from the rename on, and every source «got worse» at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from .. import model as m
from ..routing import build_flows
from .events import STAGE, renamed_after, stage_spans
from .order import funnel_routes
from .read_bitrix24 import DEFAULT_PIPELINES

__all__ = ["NameMatch", "Suggestion", "match_names", "funnel_depths", "funnel_pairs", "normal"]


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
    suggestions: list[Suggestion] = field(default_factory=list)
    """One per unmatched stage, in the order of `unmatched_stages`: where the data first
    has it and the funnel's closest name."""
    merged: list[Suggestion] = field(default_factory=list)
    """Names of the data read as the funnel stage they were renamed from or to (each has
    `renamed` and `closest`); they are in `stages` too. A funnel that declares both names
    keeps them apart: then both match exactly and nothing is merged."""


@dataclass(frozen=True)
class Suggestion:
    """An unmatched name of the data, where it first occurs and the closest name of the
    funnel (None when none is close enough to be a misspelling)."""

    pipeline: str
    stage: str
    events: int
    first_seq: int
    """`seq` of its first event (`load.History.place` turns it into file:line)."""
    closest: tuple[str, str] | None
    closest_at: tuple[int, int] | None
    """Line and column of the closest stage's name in the funnel file."""
    renamed: tuple[str, str, str, str] | None = None
    """(the old name, the day it was last entered, the new name, the day it was first
    entered; days ISO) when the data holds this name and the closest one, and every
    entry of one comes before every entry of the other: the CRM renamed the stage
    mid-history («Demo» became «Demo held»), in either direction."""


MERGE_MIN = 5
"""Entries each name needs before a switch from one to the other is read as a rename and
the two are merged: one deal moved from «Замір» to «Замер» the next day is a slip of
spelling to point at, not a rename the whole history proves."""


def _suggest(funnel: m.FunnelFile, fp: str | None, stage: str) -> tuple[str, str] | None:
    """The funnel stage most like `stage`: in its pipeline when that one matched, else in
    any pipeline; also a name that matches a stage of another pipeline exactly."""
    from ..diagnostics import did_you_mean

    pipes = [p for p in funnel.pipelines if p.name.value == fp] or list(funnel.pipelines)
    for pool in (pipes, list(funnel.pipelines)):
        names = {s.name.value: p.name.value for p in pool for s in p.stages}
        guess = did_you_mean(stage, names)
        if guess is not None:
            return names[guess], guess
    return None


def _renamed(this: tuple[str, datetime, datetime], other: tuple[str, datetime, datetime]
             ) -> tuple[str, str, str, str] | None:
    """`Suggestion.renamed` of two names of one pipeline, each (name, first, last entry)."""
    old, new = (other, this) if renamed_after(other[2], this[1]) else (this, other)
    if not renamed_after(old[2], new[1]):
        return None
    return old[0], old[2].date().isoformat(), new[0], new[1].date().isoformat()


def _stage_at(funnel: m.FunnelFile, key: tuple[str, str]) -> tuple[int, int] | None:
    for p in funnel.pipelines:
        if p.name.value == key[0]:
            for s in p.stages:
                if s.name.value == key[1]:
                    return (s.name.span.line, s.name.span.column)
    return None


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
    pairs = stage_spans(events).select("pipeline", "stage", "n", first="seq", since="since",
                                       until="until").sort(["pipeline", "stage"])
    spans = {(dp, normal(ds)): (ds, since, until)
             for dp, ds, _n, _f, since, until in pairs.iter_rows()}
    entries = {(dp, normal(ds)): n for dp, ds, n, _f, _s, _u in pairs.iter_rows()}
    data_pipes = events["pipeline"].unique().to_list()
    # The readers' placeholder for a pipeline the export does not name, alone in the data
    # (Bitrix24 without crm.category.list names its default pipeline as the CRM does).
    nameless = data_pipes[0] if len(data_pipes) == 1 and (re.fullmatch(
        r"#\d+", data_pipes[0] or "") or data_pipes[0] in DEFAULT_PIPELINES) else None

    def unnamed(dp: str | None) -> bool:
        return not dp or dp == nameless

    for dp, ds, n, first, since, until in pairs.iter_rows():
        fp = (fpipes.get(dp) and dp) or pnorm.get(normal(dp or ""))
        if fp is None and unnamed(dp):
            owners = by_stage.get(normal(ds), [])
            fp = owners[0] if len(owners) == 1 else None
        if fp is None and len(fpipes) == 1 and unnamed(dp):
            fp = next(iter(fpipes))
        if fp is None:
            if dp not in nm.unmatched_pipelines:
                nm.unmatched_pipelines.append(dp)
        else:
            nm.pipelines.setdefault(dp, fp)
        fs = snorm.get((fp, normal(ds))) if fp is not None else None
        if fp is None or fs is None:
            guess = _suggest(funnel, fp, ds)
            other = spans.get((dp, normal(guess[1]))) if guess else None
            renamed = _renamed((ds, since, until), other) if other else None
            found = Suggestion(dp, ds, n, first, guess,
                               _stage_at(funnel, guess) if guess else None, renamed)
            if (renamed is not None and guess is not None and fp is not None
                    and guess[0] == fp and min(n, entries[dp, normal(guess[1])]) >= MERGE_MIN):
                nm.stages[(dp, ds)] = guess
                nm.merged.append(found)
                continue
            nm.unmatched_stages.append((dp, ds, n))
            nm.suggestions.append(found)
            continue
        nm.stages[(dp, ds)] = (fp, fs)
    # Closing rows (won/lost) carry the pipeline only.
    for dp in data_pipes:
        if dp not in nm.pipelines:
            fp = pnorm.get(normal(dp or ""))
            if fp is None and len(fpipes) == 1 and unnamed(dp):
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
    """Position of every stage in its pipeline, in the order the file declares them:
    the order `analyse` takes as its hint (the name is older than the rule; it was the
    depth from the entry stages, which put a stage fed by a source, like seed 004's
    «Заявка», before the stage that leads to it)."""
    return {p: {s: i for i, s in enumerate(lst)} for p, lst in funnel_routes(funnel).order.items()}


def funnel_pairs(funnel: m.FunnelFile) -> list[tuple[str, str, str]]:
    """(pipeline, stage, later stage) for every `->` route within a pipeline towards a
    stage the file declares after it: the conversions to tabulate."""
    pos = funnel_depths(funnel)
    out: list[tuple[str, str, str]] = []
    for f in build_flows(funnel):
        p = f.key[0]
        for r in f.routes:
            to = r.stage
            if r.kind == "stage" and to is not None and to[0] == p and (
                    pos[p].get(to[1], -1) > pos[p][f.key[1]]):
                pair = (p, f.key[1], to[1])
                if pair not in out:
                    out.append(pair)
    return out
