"""A deal list (one row per deal: its current stage, and the dates it has) read as the
stage history it holds, or refused where it holds none.

The export a consultant is handed first is a deal list: amoCRM's and Bitrix24's «Экспорт»
of the deals' table, Pipedrive's and HubSpot's deal exports. Each row is a deal *now*:
its stage, manager, source, amount, creation and close dates. Read as a history (one row
per deal entering a stage), every deal entered its current stage once and never moved:
a won deal won without passing any stage, an open one a «dead end» nobody left. On a
public 8,800-deal list (Prospecting → Engaging → Won/Lost) the audit's one finding was
«Engaging is a dead end: 1,577 deals pile up there and no deal has moved on», about
the stage all 6,711 closed deals had passed.

A deal list holds a history only where it has a date column per stage: HubSpot's `Date
entered "Stage (Pipeline)"`, a spreadsheet's `entered Engaging` or «Дата входа в этап
Переговоры». Those rows are read as the deal entering each dated stage, then winning or
losing (its current stage says which) at the close date (`CLOSED_NAMES`), in that order
on a tie: a deal engaged and won the same day entered first. A deal whose current place
has no date (an open stage without its entry date, a close without its close date) is
left out whole and counted (`undated_stage`): read without it, the deal would look as if
it still sat in the last stage it has a date for.

A deal list without such columns but with each deal's creation date (amoCRM's «Экспорт»,
Pipedrive's and HubSpot's deal exports as saved) is read deal by deal
(`deal_level_columns`): every deal enters one stage, `DEAL_LEVEL_STAGES`, when it was
created, and leaves it when won or lost, at its close date. Its current stage is not
dated, so the stages between are not read; what a consultant asks first is: win rates
by manager, source, month and deal size, loss reasons, time to close, open deals' age.
amoCRM's leads pages saved without events are such a list too (`read_amocrm._deal_level`).
Without a creation date the list is refused (`HistoryDataError`, exit 1), with what to
export instead; a list whose only date is named as the rows' time («Дата» for the engage
date) is told from a history by its rows: nearly every deal on one row, and many of them
closed without entering any stage (`refuse_one_row_deals`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from .errors import HistoryDataError
from .quality import DataQuality

__all__ = ["DealListColumns", "Entered", "deal_list_columns", "deal_list_dates", "long_rows",
           "refuse_one_row_deals", "DEAL_LIST_HINT", "CLOSED_NAMES", "CREATED_NAMES",
           "ONE_ROW_SHARE", "CLOSED_FIRST_SHARE", "MIN_DEALS", "DEAL_LEVEL_STAGES", "STAGE_HISTORY_HINT",
           "STAGE_CHANGE_NAMES", "stage_change_column", "refuse_undated_closes",
           "deal_level_stage",
           "deal_level_columns"]

CLOSED_NAMES = frozenset({"close date", "closed at", "closed", "closed date", "closedate",
                          "close time", "deal closed on", "closed on", "дата закрытия",
                          "закрыта", "дата закриття", "закрито"})
"""Header names (as `read_csv._header_name` spells them) of a deal's close date."""
CREATED_NAMES = frozenset({"created", "create date", "created date", "createdate",
                           "createddate", "deal created", "дата создания", "создана",
                           "дата створення", "створено"})
"""… and of its creation date: a deal list's, never a move's. Salesforce's `CreatedDate` is
the time a row was written in its OpportunityHistory (`read_csv.COLUMN_ALIASES`) and the
deal's creation in its Opportunity table: the latter where the table has
`LastStageChangeDate`, which only the Opportunity has (`STAGE_CHANGE_NAMES`)."""
STAGE_CHANGE_NAMES = frozenset({"last stage change date", "laststagechangedate",
                                "last stage change"})
"""Header names of the time a deal last changed stage: Salesforce's Opportunity
`LastStageChangeDate` (read-only, API 52.0 and later). For a closed deal it is the move
into its won or lost stage, its close, and is read as such before a close date: the
Opportunity's `CloseDate` is the close its owner planned, which Salesforce moves to the
day of the close only when a deal is won before it (Salesforce Help, knowledge article
004517774), never when it is lost."""

_ENTERED = re.compile(
    r"^\s*(?:date[ _]+)?entered[ _:]+(?P<en>.+?)\s*$"
    r"|^\s*(?:дата[ _]+)?(?:входа|перехода)[ _]+(?:в|на)[ _]+(?:этап|стадию)?[ _:]*(?P<ru>.+?)\s*$"
    r"|^\s*(?:дата[ _]+)?(?:входу|переходу)[ _]+(?:в|на|до)[ _]+(?:етап|стадію)?[ _:]*"
    r"(?P<uk>.+?)\s*$",
    re.IGNORECASE)
_QUOTES = "\"'«»“”„"
_NOT_STAGES = frozenset({"at", "on", "by", "date", "time", "timestamp", "datetime"})
_SUFFIX = re.compile(r"^(?P<stage>.+?)\s*\((?P<pipeline>[^()]+)\)$")

ONE_ROW_SHARE = 0.95
"""A file whose deals have one row each, nearly all of them, …"""
CLOSED_FIRST_SHARE = 0.2
"""… and at least this share of them won or lost with no stage before, is a deal list."""
MIN_DEALS = 30
"""Fewer deals than this say nothing either way (a test file, one week of a history)."""


@dataclass(frozen=True)
class Entered:
    """A column of entry dates: the stage it dates, and the pipeline HubSpot writes in
    the column's name («Date entered "Contract sent (Sales Pipeline)"»), None without."""
    column: str
    stage: str
    pipeline: str | None = None


@dataclass(frozen=True)
class DealListColumns:
    """The columns that make a table a deal list: per-stage entry dates (in the file's
    order) and the close date. A won or lost stage's entry column (HubSpot's
    «Closed won») dates the close."""

    entered: tuple[Entered, ...]
    closed: str | None


def _entered_stage(column: str) -> str | None:
    found = _ENTERED.match(column.replace("\u00a0", " "))
    if found is None:
        return None
    stage = next(g for g in found.group("en", "ru", "uk") if g is not None)
    stage = stage.strip().strip(_QUOTES).strip()
    # `entered_at`, "Entered by": a row's time or its author, not a stage's date.
    return stage if stage and stage.lower() not in _NOT_STAGES else None


def _closed_column(columns: list[str], header_name: dict[str, str]) -> str | None:
    """The column dating a deal's close: its last stage change where there is one
    (`STAGE_CHANGE_NAMES`), else its close date."""
    return (stage_change_column(columns, header_name)
            or next((c for c in columns if header_name[c] in CLOSED_NAMES), None))


def stage_change_column(columns: list[str], header_name: dict[str, str]) -> str | None:
    """The column of each deal's last stage change (`STAGE_CHANGE_NAMES`), if any: a table
    with one is a deal list, whatever its other dates are named."""
    return next((c for c in columns if header_name[c] in STAGE_CHANGE_NAMES), None)


def deal_list_dates(columns: list[str], header_name: dict[str, str]) -> list[str]:
    """The columns of a table without a time column that date a deal, not a move: its
    creation and close dates (a deal list saved with no date per stage)."""
    return [c for c in columns if header_name[c] in CLOSED_NAMES | CREATED_NAMES]


DEAL_LEVEL_STAGES = {"en": "Open deal", "ru": "Сделка в работе", "uk": "Угода в роботі"}
"""The one stage a deal list without dates per stage is read in. funnelc names it, not the
data: a reader names it in the data's language (`deal_level_stage`), and a report renames
it into the report's (`run.prepare`), as it says won and lost in its own words."""
_UK_LETTERS = re.compile("[іїєґІЇЄҐ]")
_CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def deal_level_columns(columns: list[str], header_name: dict[str, str]
                       ) -> DealListColumns | None:
    """A deal list without a date per stage read deal by deal (`DEAL_LEVEL_STAGES`): its
    creation date column as the entry into the one stage, its close date as the close;
    None without a creation date."""
    created = next((c for c in columns if header_name[c] in CREATED_NAMES), None)
    if created is None:
        return None
    return DealListColumns((Entered(created, deal_level_stage(columns)),),
                           _closed_column(columns, header_name))


def deal_level_stage(words: list[str]) -> str:
    """The one stage of a list read deal by deal (`DEAL_LEVEL_STAGES`), in the language
    of `words`: a CSV's column names, an amoCRM account's status names."""
    text = " ".join(words)
    return DEAL_LEVEL_STAGES["uk" if _UK_LETTERS.search(text) else
                             "ru" if _CYRILLIC.search(text) else "en"]


def deal_list_columns(columns: list[str], header_name: dict[str, str], has_pipeline: bool,
                      where: str = "") -> DealListColumns | None:
    """The deal-list columns of a table (`header_name`: each column's normalised name),
    or None when it has no per-stage entry dates (a close date alone may be a column
    of a history's rows: `refuse_one_row_deals` tells a deal list by its rows). When
    every entry column ends in a pipeline in parentheses, that is its pipeline; columns
    of several pipelines need the file's pipeline column to tell a row's (refused
    without: `HistoryDataError`, at `where`, the header's place)."""
    named = [(c, s) for c in columns if (s := _entered_stage(c)) is not None]
    if not named:
        return None
    split = [_SUFFIX.match(s) for _, s in named]
    entered = [Entered(c, s) for c, s in named]
    if all(split):
        entered = [Entered(c, m.group("stage").strip(), m.group("pipeline").strip())
                   for (c, _), m in zip(named, split, strict=True) if m is not None]
        pipelines = sorted({e.pipeline for e in entered if e.pipeline is not None})
        if len(pipelines) > 1 and not has_pipeline:
            raise HistoryDataError(
                f"{where}: the entry date columns name {len(pipelines)} pipelines "
                f"({', '.join(f'«{p}»' for p in pipelines)}) and the file has no pipeline "
                "column to tell which one each deal is in",
                "export the «Pipeline» column too (HubSpot: add the Pipeline property to "
                "the exported columns)")
    return DealListColumns(tuple(entered), _closed_column(columns, header_name))


def long_rows(raw: pl.DataFrame, listed: DealListColumns, cols: dict[str, str],
              outcome: pl.Expr, line: pl.Expr, path: str, dq: DataQuality,
              closing: frozenset[str] = frozenset()) -> pl.DataFrame:
    """The deal list `raw` (text columns; `cols`: `read_csv.header_map`'s keys) as the
    long table a history CSV is: one row per dated stage entry, then the close, with the
    columns `deal_id`, `timestamp`, `stage`, `kind`, the deal's other columns repeated,
    `slot` (the event's place within its row: entries in the file's order, the close
    last) and the row's `line`. `outcome`: `won`/`lost`/null per row, from its current
    stage (or `kind` column); `closing`: the won and lost stages' names, lower case,
    whose entry columns date the close. An entry column of another pipeline than the
    row's (HubSpot writes one per stage of every pipeline) is not the row's."""
    keep = {k: cols[k] for k in ("deal_id", "pipeline", "value", "loss_reason", "source",
                                 "manager", "last_activity", "contact", "currency") if k in cols}
    stages = [e for e in listed.entered if e.stage.lower() not in closing]
    closes = [e for e in listed.entered if e.stage.lower() in closing]
    row_pipe = (pl.col(cols["pipeline"]).str.strip_chars() if "pipeline" in cols
                else pl.lit(None, pl.Utf8))

    def cell(e: Entered) -> pl.Expr:
        date = pl.col(e.column).str.strip_chars().replace("", None)
        if e.pipeline is None or "pipeline" not in cols:
            return date
        return pl.when(row_pipe == e.pipeline).then(date)

    close_dates = [cell(e) for e in closes]
    if listed.closed is not None:
        close_dates.append(pl.col(listed.closed).str.strip_chars().replace("", None))
    base = raw.select(
        *(pl.col(c).alias(k) for k, c in keep.items()),
        current=pl.col(cols["stage"]).str.strip_chars(),
        outcome=outcome,
        closed_at=pl.coalesce(close_dates) if close_dates else pl.lit(None, pl.Utf8),
        line=line,
        **{f"\x00e{i}": cell(e) for i, e in enumerate(stages)})
    current_dated = pl.lit(False)
    for i, e in enumerate(stages):
        current_dated = current_dated | ((pl.col("current") == e.stage)
                                         & pl.col(f"\x00e{i}").is_not_null())
    placed = (pl.when(pl.col("outcome").is_not_null()).then(pl.col("closed_at").is_not_null())
              .otherwise(current_dated))
    refuse_undated_closes(base, listed, path)
    undated = base.filter(~placed)
    if undated.height:
        dq.drop("undated_stage", undated.height, where=f"{path}:{undated['line'][0]}")
        base = base.filter(placed)
    shared = [k for k in keep if k not in ("deal_id", "pipeline")]
    pipes = {e.pipeline for e in listed.entered}

    def pipeline(e: Entered | None) -> pl.Expr:
        if "pipeline" in keep:
            return pl.col("pipeline")
        if e is not None and e.pipeline is not None:
            return pl.lit(e.pipeline)
        one = next(iter(pipes)) if len(pipes) == 1 else None
        return pl.lit(one, pl.Utf8)

    parts = [base.filter(pl.col(f"\x00e{i}").is_not_null()).select(
        "deal_id", *shared, pipeline=pipeline(e), timestamp=pl.col(f"\x00e{i}"),
        stage=pl.lit(e.stage), kind=pl.lit("stage"), slot=pl.lit(i, pl.Int64), line="line")
        for i, e in enumerate(stages)]
    parts.append(base.filter(pl.col("outcome").is_not_null()).select(
        "deal_id", *shared, pipeline=pipeline(None), timestamp="closed_at", stage="current",
        kind="outcome", slot=pl.lit(len(stages), pl.Int64), line="line"))
    out = pl.concat(parts, how="vertical_relaxed")
    dq.synthesized += out.height - base.height
    if "loss_reason" in out.columns:
        out = out.with_columns(loss_reason=pl.when(pl.col("kind") == "lost")
                               .then(pl.col("loss_reason")))
    return out


def refuse_undated_closes(base: pl.DataFrame, listed: DealListColumns, path: str) -> None:
    """Refuse a deal list most of whose closed deals have no close date (`HistoryDataError`,
    at the first one's line): each is left out whole (`undated_stage`), so what was read
    would be the open deals and the few closes that are dated, a list of deals that all
    «pile up». A public Salesforce Opportunity table with `LastStageChangeDate` filled in
    on 2 of its 146 closed deals read as 73 open deals, «98.63% hoarded»."""
    closed = base.filter(pl.col("outcome").is_not_null())
    undated = closed.filter(pl.col("closed_at").is_null())
    if undated.height == 0 or 2 * undated.height <= closed.height:
        return
    named = f"«{listed.closed}»" if listed.closed is not None else "close date"
    first = int(undated.sort("line")["line"][0])
    raise HistoryDataError(
        f"{path}:{first}: {undated.height} of the {closed.height} won or lost "
        f"deals have no {named}: each would be left out whole, and what is left would be "
        "the open deals and the few closes that are dated, not the account",
        "export the deals' close dates (Salesforce's Opportunity: `LastStageChangeDate`; "
        "Bitrix24: `MOVED_TIME`; a spreadsheet: «Дата закрытия», `Close Date`), or the "
        "stage history (docs/history.md, «Deal lists»)")


STAGE_HISTORY_HINT = (
    "export the stage history (amoCRM events pages with the leads, Bitrix24 "
    "crm.stagehistory.list, or a CSV with one row per deal entering a stage), or give "
    "each stage a column "
    "with the date the deal entered it, `entered <stage>` / «Дата входа в этап <stage>» "
    "(docs/history.md, «Deal lists»)")
"""What to give for the figures of stages."""
DEAL_LIST_HINT = (
    "export the stage history (amoCRM events pages with the leads, Bitrix24 "
    "crm.stagehistory.list, or a CSV with one row per deal entering a stage), give each "
    "stage a column with "
    "the date the deal entered it (`entered <stage>` / «Дата входа в этап <stage>»), or "
    "give each deal its creation date («Дата создания», `Create Date`) to read the list "
    "deal by deal; Salesforce's Opportunity: add `LastStageChangeDate`, the time a closed "
    "deal was closed (its `CloseDate` is the close its owner planned), or export "
    "OpportunityHistory (docs/history.md, «Deal lists»)")
"""… and for a deal list refused: a creation date is enough for the deals' figures."""


def refuse_one_row_deals(events: pl.DataFrame, path: str, won: str, lost: str) -> None:
    """Refuse a CSV read as a history whose deals nearly all have one row, many of them
    a win or a loss with no stage before it: the current stages of a deal list whose
    dates carry no column name this reader knows as a close date."""
    if events.height == 0:
        return
    per = events.group_by("deal_id").agg(n=pl.len(), kind=pl.col("kind").first(),
                                         line=pl.col("line").first(),
                                         stage=pl.col("stage").first())
    deals = per.height
    if deals < MIN_DEALS:
        return
    single = per.filter(pl.col("n") == 1)
    closed = single.filter(pl.col("kind").is_in([won, lost]))
    if single.height < ONE_ROW_SHARE * deals or closed.height < CLOSED_FIRST_SHARE * deals:
        return
    example = closed.sort("line").row(0, named=True)
    raise HistoryDataError(
        f"{path}:{example['line']}: a deal list, not a stage history: {single.height} of "
        f"{deals} deals have one row, and {closed.height} of them are won or lost without "
        f"entering any stage (deal {example['deal_id']}, «{example['stage']}»): the "
        "conversion between stages, the time in each and the deals piling up cannot be "
        "read from where each deal is now",
        DEAL_LIST_HINT)
