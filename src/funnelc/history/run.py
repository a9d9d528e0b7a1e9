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


def _name_deal_level(history: History, lang: str) -> None:
    """The one stage of a deal list read deal by deal, named by the reader in the data's
    language (`deal_list.deal_level_stage`), renamed into `lang`, the report's: funnelc
    names it, so the client reads it in the report's words beside the won and lost the
    report names («Угода в роботі» → «Успішно реалізовано» on a Ukrainian account's
    report of a Russian-headed list, not «Сделка в работе» → «Успішно реалізовано»).
    The names the data gives (its closing stages, pipelines, reasons) stay as they are."""
    named = DEAL_LEVEL_STAGES[lang]
    notes = history.quality.notes
    read = {n.deal_level[0] for n in notes if n.deal_level is not None} - {named}
    if not read:
        return
    ev = history.events
    history.events = ev.with_columns(
        stage=pl.when((pl.col("kind") == STAGE) & pl.col("stage").is_in(list(read)))
        .then(pl.lit(named)).otherwise(pl.col("stage")),
        from_stage=pl.when(pl.col("from_stage").is_in(list(read)))
        .then(pl.lit(named)).otherwise(pl.col("from_stage")))
    for stages in history.catalog.stages.values():
        stages[:] = [named if s in read else s for s in stages]
    for i, note in enumerate(notes):
        if note.deal_level is not None and note.deal_level[0] in read:
            notes[i] = replace(note, deal_level=(named, *note.deal_level[1:]))


def prepare(inputs: list[str], tz: str, funnel: m.FunnelFile | None,
            records_start: date | None = None, loss_field: str | None = None,
            deal_level: bool = False, lang: str | None = None) -> Prepared:
    """The history read, matched to `funnel` and analysed. A deal list read deal by deal
    (`deal_list.deal_level_columns`) has one stage of its own, which is no stage of the
    funnel: `history` and `audit` (`deal_level`) compare its deals as they are, on the
    funnel's account and prices, its stage named in `lang`, the report's language
    (`_name_deal_level`; None: as read); `fit` and `forecast` need the funnel's stages,
    and it is refused there (`HistoryDataError`): every stage figure would be the
    funnel's own."""
    account = funnel.account if funnel is not None else None
    history = load_history(inputs, tz, records_start, record_sources(funnel),
                           loss_field=loss_field,
                           currency=account.currency.value if account and account.currency
                           else None)
    if lang is not None:
        _name_deal_level(history, lang)
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
