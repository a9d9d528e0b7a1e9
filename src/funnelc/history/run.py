"""What `history`, `fit` and the back-test share: read the inputs, rename to the
funnel's names when there is a funnel, and compute the tables."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl

from .. import model as m
from .analytics import HistoryTables, analyse
from .deal_list import DEAL_LEVEL_STAGES, STAGE_HISTORY_HINT
from .errors import HistoryDataError
from .events import STAGE
from .load import History, load_history
from .match import NameMatch, funnel_pairs, match_names
from .order import funnel_routes
from .quality import EXPORTS

__all__ = ["Prepared", "prepare", "record_sources"]


@dataclass
class Prepared:
    history: History
    tables: HistoryTables
    names: NameMatch | None


def _merged_renames(history: History, names: NameMatch) -> None:
    """The data-quality notes of renamed stages that the funnel's stage read as one
    (`NameMatch.merged`) say so, instead of «read as two stages»."""
    pairs = {(g.pipeline, *sorted((g.renamed[0], g.renamed[2])))
             for g in names.merged if g.renamed is not None}
    notes = history.quality.notes
    for i, note in enumerate(notes):
        r = note.renamed
        if note.kind == "renamed_stage" and r is not None and (
                r[0], *sorted((r[1], r[3]))) in pairs:
            notes[i] = replace(note, kind="renamed_stage_merged")


def record_sources(funnel: m.FunnelFile | None) -> dict[tuple[str, str], str]:
    """(pipeline, stage) → source, for stages exactly one source feeds: how simulator
    records, which carry no source, get one."""
    if funnel is None:
        return {}
    from ..routing import build_flows

    by_stage: dict[tuple[str, str], list[str]] = {}
    for src, key in build_flows(funnel).sources:
        by_stage.setdefault(key, []).append(src.name.value)
    return {k: v[0] for k, v in by_stage.items() if len(v) == 1}


def prepare(inputs: list[str], tz: str, funnel: m.FunnelFile | None,
            records_start: date | None = None, loss_field: str | None = None,
            deal_level: bool = False) -> Prepared:
    """The history read, matched to `funnel` and analysed. A deal list read deal by deal
    (`deal_list.deal_level_columns`) has one stage of its own, which is no stage of the
    funnel: `history` and `audit` (`deal_level`) compare its deals as they are, on the
    funnel's account and prices; `fit` and `forecast` need the funnel's stages, and it
    is refused there (`HistoryDataError`): every stage figure would be the funnel's own."""
    history = load_history(inputs, tz, records_start, record_sources(funnel),
                           loss_field=loss_field)
    names = None
    pairs = routes = None
    whole = next((n for n in history.quality.notes if n.kind == "deal_level"), None)
    if whole is not None:
        # A CRM export's note names the export («amoCRM events and leads»), not a file:
        # the error names what the command was given.
        where = ", ".join(inputs) if whole.path in EXPORTS else whole.path
        if not deal_level:
            raise HistoryDataError(
                f"{where}: a deal list with no date per stage, read deal by deal: it has "
                "no figures of the funnel's stages (conversions, times in stage) to work "
                "from", STAGE_HISTORY_HINT)
        staged = history.events.filter(pl.col("kind") == STAGE)["stage"].unique().to_list()
        other = sorted(set(staged) - set(DEAL_LEVEL_STAGES.values()))
        if other:
            raise HistoryDataError(
                f"{where}: a deal list with no date per stage, read deal by deal, given "
                f"with a stage history (stages «{'», «'.join(other[:3])}»"
                f"{', …' if len(other) > 3 else ''}): its deals would sit in a stage of "
                "their own beside the history's", "give the deal list or the history alone")
    if funnel is not None and whole is None:
        history.events, names = match_names(history.events, funnel)
        _merged_renames(history, names)
        pairs, routes = funnel_pairs(funnel), funnel_routes(funnel)
    tables = analyse(history, None, pairs, routes=routes)
    return Prepared(history, tables, names)
