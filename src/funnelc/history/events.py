"""The normalised event table every reader produces and every analysis reads.

One row per happening: a deal entering a stage (`kind` "stage"), or closing as won or
lost (`kind` "won"/"lost", `stage` the CRM's name of that closing status). Deal
attributes (value, source) sit on every row of the deal: columnar tables prefer a
repeated value to a join. `from_pipeline`/`from_stage` hold the stage a CRM event says
the deal moved *from* (null when the format does not say), to spot missing events.
`manager` is who worked the deal at that row (amoCRM: the user who changed the status,
else the lead's responsible user; Bitrix24: the deal's `ASSIGNED_BY_ID`; CSV: a
`manager` column) and `last_activity` the deal's last recorded activity (amoCRM
`updated_at`, Bitrix24 `LAST_ACTIVITY_TIME`, CSV `last_activity`); both null where the
input does not tell, and spread over the deal's rows like value and source.
`picked` (on a stage entry) is when a manager first picked the deal up in that stage —
a CSV's `picked_at`/`first_touch`, funnelc's records' `picked_hours`, amoCRM's first
outgoing call, SMS or chat message or completed task of a manager after the entry
(`read_amocrm`) — null where the input does not tell: with it,
`fit` separates the queue wait from work and delay without simulating.
`contact` is the client the deal is for (amoCRM: the lead's main contact of
`_embedded.contacts`; Bitrix24: the deal's `CONTACT_ID`; CSV: a `contact`/`client`
column), spread over the deal's rows, null where the input does not tell: a client
who comes back after a loss usually comes as a new deal of the same contact, and only
this column ties the two (`cohorts`' comebacks).
`holder` is who is responsible for the deal now, at the export (amoCRM: the lead's
`responsible_user_id`), spread over the deal's rows, null where the input does not
tell: a deal still open in a stage is the holder's, not the one who moved it in before
handing it over (`transitions`).
`reason_unkept` (on a loss) is true where the export did not keep the loss's reason:
Bitrix24's loss-reason field holds a deal's current value only, so a loss the deal came
back from has none. Its `loss_reason` is then null, and the analyses name it
`REASON_NOT_KEPT`, not "(no reason)": nobody left it empty, and it is no manager's choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from .quality import DataQuality, QualityNote

__all__ = ["EVENT_SCHEMA", "OPTIONAL_COLUMNS", "Catalog", "empty_events", "normalize", "WON", "LOST",
           "known_at",
           "STAGE", "REASON_NOT_KEPT"]

STAGE, WON, LOST = "stage", "won", "lost"
REASON_NOT_KEPT = "(reason not kept)"
"""What the analyses write for a loss whose reason the export did not keep
(`reason_unkept`): a machine value in the JSON, words of the output's language in tables."""

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.Utf8(),
    "ts": pl.Datetime("us", "UTC"),
    "pipeline": pl.Utf8(),
    "stage": pl.Utf8(),
    "kind": pl.Utf8(),
    "value": pl.Float64(),
    "loss_reason": pl.Utf8(),
    "source": pl.Utf8(),
    "from_pipeline": pl.Utf8(),
    "from_stage": pl.Utf8(),
    "seq": pl.Int64(),
    "entry_known": pl.Boolean(),
    "picked": pl.Datetime("us", "UTC"),
    "manager": pl.Utf8(),
    "last_activity": pl.Datetime("us", "UTC"),
    "reason_unkept": pl.Boolean(),
    "contact": pl.Utf8(),
    "holder": pl.Utf8(),
}
OPTIONAL_COLUMNS = ("picked", "manager", "last_activity", "reason_unkept", "contact", "holder")
"""Columns a reader may leave out (its format never has them): `normalize` adds them as
nulls, so a reader that knows nothing of pick-ups needs no change."""


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


@dataclass
class Catalog:
    """Pipelines and their stages in the CRM's order (amoCRM `sort`, Bitrix24 `SORT`, a
    CSV's `SortOrder`), as far as the inputs tell; a CSV without such a column tells
    nothing and the order is inferred later."""

    stages: dict[str, list[str]] = field(default_factory=dict)

    def add(self, pipeline: str, stage: str) -> None:
        lst = self.stages.setdefault(pipeline, [])
        if stage not in lst:
            lst.append(stage)

    def merge(self, other: Catalog) -> None:
        for p, lst in other.stages.items():
            for s in lst:
                self.add(p, s)


def _sort_in_place(ev: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """`ev.sort(by)`, column by column: each sorted column replaces its unsorted one, so
    that the peak is the table and one column, not two tables. Only worth it, and only
    done, when `ev` holds the sole reference to its columns (as in `normalize`)."""
    idx = ev.select(pl.arg_sort_by(by)).to_series()
    cols: list[pl.Series] = []
    for name in list(ev.columns):
        cols.append(ev.get_column(name).gather(idx))
        ev = ev.drop(name)
    return pl.DataFrame(cols)


def _duplicates(ev: pl.DataFrame) -> pl.Series | None:
    """Rows repeating an earlier one (same deal, time, pipeline, stage and kind) of `ev`
    sorted by (deal, time, input order); None when there is none. Only rows sharing
    their deal and time with a neighbour can repeat one: those few are hashed, not the
    whole table."""
    same_dt = ((pl.col("deal_id") == pl.col("deal_id").shift(1))
               & (pl.col("ts") == pl.col("ts").shift(1))).fill_null(False)
    tied = ev.select(t=same_dt | same_dt.shift(-1).fill_null(False)).to_series()
    if not tied.any():
        return None
    rows = ev.with_row_index("i").filter(tied)
    rep = rows.select("i", rep=~pl.struct("deal_id", "ts", "pipeline", "stage", "kind")
                      .is_first_distinct()).filter(pl.col("rep"))
    if rep.height == 0:
        return None
    return pl.repeat(False, ev.height, eager=True).scatter(rep["i"], True)


def _repeated_stages(ev: pl.DataFrame) -> pl.Series | None:
    """Rows of `ev` (sorted by deal, time, input order) that move a deal into the stage it
    is already in: a stage row right after a stage row of the same deal, pipeline and
    stage; None when there is none. A deal cannot enter the stage it sits in, so such a
    row is no move: Salesforce's OpportunityHistory writes one whenever the amount or the
    close date changes (a fifth of a public org's rows), a spreadsheet one per weekly
    snapshot. Read as moves, each started a new visit: the stage was «entered» once per
    row, its time cut into pieces and its deals' age reset. amoCRM's reader drops its
    own such events (`unchanged_status`); this is the same rule for every format."""
    same = pl.col("deal_id") == pl.col("deal_id").shift(1)
    again = (same & (pl.col("kind") == STAGE) & (pl.col("kind").shift(1) == STAGE)
             & pl.col("stage").eq_missing(pl.col("stage").shift(1))
             & pl.col("pipeline").eq_missing(pl.col("pipeline").shift(1))).fill_null(False)
    rep = ev.select(again).to_series()
    return rep if rep.any() else None


def _complete(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in OPTIONAL_COLUMNS if c not in frame.columns]
    if not missing:
        return frame
    return frame.with_columns(pl.lit(None, EVENT_SCHEMA[c]).alias(c) for c in missing)


def _one_spelling(ev: pl.DataFrame, col: str
                  ) -> tuple[pl.DataFrame, list[tuple[str, str, int, int, int]]]:
    """`col` with the spellings of one name that differ only in case and spaces
    («Дорого», «дорого », «ДОРОГО») written as the most frequent of them. A CRM's list
    of reasons typed by hand, or two exports merged, split one reason into several:
    each then held part of its losses, and neither its share nor a change in it was
    the reason's. Managers and sources typed by hand split the same way («Иванов»,
    «иванов »): two managers, each with half a workload, compared with each other.
    Also the merges, each (spelling, the spelling read, its records, the records of the
    one read, the first `seq` of the spelling): the history says every one of them
    (`spelling_merged`), so that no name is read as another unsaid."""
    if ev[col].null_count() == ev.height:
        return ev, []
    key = pl.col(col).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    spellings = (ev.lazy().filter(pl.col(col).is_not_null()).group_by(col)
                 .agg(n=pl.len(), seq=pl.col("seq").min())
                 .with_columns(key=key)
                 .sort(["key", "n", col], descending=[False, True, False])
                 .with_columns(shown=pl.col(col).first().over("key").str.strip_chars(),
                               shown_n=pl.col("n").first().over("key"))
                 .filter(pl.col(col) != pl.col("shown")).collect())
    if spellings.height == 0:
        return ev, []
    merged = [(str(r[col]), str(r["shown"]), int(r["n"]), int(r["shown_n"]), int(r["seq"]))
              for r in spellings.iter_rows(named=True)
              # A name with spaces around it is the same text to a reader: not said.
              if str(r[col]).strip() != str(r["shown"])]
    return (ev.with_columns(pl.col(col).replace(dict(zip(spellings[col], spellings["shown"])))),
            merged)


LOOKALIKE_NAMES = 200
"""A column with more names than this (a free-text field, not a list) is not searched for
names that spell one word in two scripts: the pairs grow as its square."""


def _spelled_apart(ev: pl.DataFrame, col: str) -> list[tuple[str, str, int, int, int]]:
    """Names of `col` written in two scripts that spell one word («Instagram» and
    «Інстаграм», `names.sounds_alike`), each (the more frequent, the other, their records,
    the other's first `seq`). They are kept apart: «Інстаграм» may be the same account,
    or a page of the school's in Ukrainian — the consultant knows, the tool does not."""
    from ..names import sounds_alike

    if ev[col].null_count() == ev.height:
        return []
    counts = (ev.lazy().filter(pl.col(col).is_not_null()).group_by(col)
              .agg(n=pl.len(), seq=pl.col("seq").min())
              .sort(["n", col], descending=[True, False]).collect())
    if counts.height > LOOKALIKE_NAMES:
        return []
    rows = [(str(r[col]), int(r["n"]), int(r["seq"])) for r in counts.iter_rows(named=True)]
    return [(a, b, na, nb, sb) for i, (a, na, _) in enumerate(rows)
            for b, nb, sb in rows[i + 1:] if sounds_alike(a, b)]


def _first_place(rows: pl.DataFrame, place: Callable[[int], str | None] | None) -> str | None:
    """The input place of the earliest of `rows` (by `seq`), where `place` knows it."""
    if place is None or rows.height == 0:
        return None
    return place(int(rows["seq"].sort()[0]))


BULK_DAY = 100
BULK_TIMES = 10
"""A pipeline's day with at least `BULK_DAY` new deals and `BULK_TIMES` times its median
day (over the days it got any) was an import, not that day's leads."""


def bulk_days(firsts: pl.DataFrame, tz: str = "UTC") -> pl.DataFrame:
    """The days of bulk creation (`pipeline`, `day` in `tz`, `n` deals, the first `seq`):
    a list imported into the CRM in one go (300 webinar attendees on one afternoon) reads
    as that month's leads, a collapse of its conversion and a graveyard. `firsts`: each
    deal's first event (`pipeline`, `ts`, `seq`)."""
    return (firsts.group_by("pipeline", day=local_day(tz))
            .agg(n=pl.len(), seq=pl.col("seq").min())
            .with_columns(usual=pl.col("n").median().over("pipeline"))
            .filter((pl.col("n") >= BULK_DAY) & (pl.col("n") >= BULK_TIMES * pl.col("usual")))
            .drop("usual").sort("pipeline", "day"))


def local_day(tz: str) -> pl.Expr:
    """The day of `ts` (UTC) in `tz`: an import at 23:30 in Kyiv is one day, not two."""
    return pl.col("ts").dt.convert_time_zone(tz).dt.date()


def _count_bulk_created(firsts: pl.DataFrame, dq: DataQuality,
                        place: Callable[[int], str | None] | None) -> None:
    """Count (`bulk_created`, with the first place) the deals of `bulk_days`, so that the
    consultant is told where the import is."""
    bulk = bulk_days(firsts, dq.tz)
    if bulk.height:
        dq.count("bulk_created", int(bulk["n"].sum()), where=_first_place(bulk, place))


def stage_spans(ev: pl.DataFrame) -> pl.DataFrame:
    """Each stage name of each pipeline with its entries: how many (`n`), the first input
    row (`seq`), the first and the last moment (`since`, `until`). A renamed stage is
    found from these spans by one rule (`renamed_after`), by the data-quality note below
    without a funnel and by `match.match_names` with one."""
    return (ev.filter(pl.col("kind") == STAGE).group_by("pipeline", "stage")
            .agg(n=pl.len(), seq=pl.col("seq").min(), since=pl.col("ts").min(),
                 until=pl.col("ts").max()))


def renamed_after(old_until: datetime, new_since: datetime) -> bool:
    """Whether a name first entered after another's last entry: the CRM renamed the
    stage then (when the names are close). Both in use at once, they are two stages, or
    one with a misspelling."""
    return old_until < new_since


def _note_renamed_stages(ev: pl.DataFrame, dq: DataQuality,
                         place: Callable[[int], str | None] | None) -> None:
    """Note two close names of one pipeline's stage («Demo», «Demo held») when every entry
    of one comes before every entry of the other: the CRM renamed the stage mid-history,
    and the two names would read as two stages (the old one's conversion falling to 0 %
    from the rename on), with or without a funnel file to match them to."""
    from ..diagnostics import did_you_mean

    spans = stage_spans(ev).sort("pipeline", "since")
    for (pipe,), rows in spans.group_by("pipeline", maintain_order=True):
        names = rows.rows(named=True)
        for i, new in enumerate(names):
            older = [o for o in names[:i] if renamed_after(o["until"], new["since"])]
            guess = did_you_mean(new["stage"], [o["stage"] for o in older])
            if guess is None:
                continue
            old = next(o for o in older if o["stage"] == guess)
            at = place(new["seq"]) if place is not None else None
            dq.notes.append(QualityNote(
                "renamed_stage", at or "", renamed=(
                    str(pipe), old["stage"], old["until"].date().isoformat(), new["stage"],
                    new["since"].date().isoformat())))


MAX_AMOUNT = 1e15
"""The largest deal amount read (a thousand trillion in any currency). Beyond it, or
infinite (`1e400`, `Infinity`), an amount is a slip or a corrupt cell: read as a figure
it made every sum infinite and the fit's and forecast's numbers unprintable."""


WRITTEN_SCHEMA: dict[str, pl.DataType] = {"deal_id": pl.Utf8(), "column": pl.Utf8(),
                                          "since": pl.Datetime("us", "UTC")}


def _first_written(ev: pl.DataFrame, columns: Sequence[str]) -> list[pl.DataFrame]:
    """Per deal and attribute of `columns` that an earlier row of the deal lacks, when
    the deal's rows first wrote it (before the fill spreads it over every row): what a
    cut reads as not yet known (`known_at`). CRMs fill a deal's amount when it is won."""
    # One pass over the deals for every column (a group-by each took 0.3 s a column on a
    # million events), by `normalize`'s integer deal groups where they are there.
    key = "gid" if "gid" in ev.columns else "deal_id"
    firsts = ev.group_by(key).agg(
        pl.col("deal_id").first(), pl.col("ts").min().alias("start"),
        *(pl.col("ts").filter(pl.col(c).is_not_null()).min().alias(c) for c in columns))
    out = []
    for c in columns:
        late = firsts.filter(pl.col(c) > pl.col("start"))
        if late.height:
            out.append(late.select("deal_id", pl.lit(c).alias("column"),
                                   pl.col(c).alias("since")).cast(pl.Schema(WRITTEN_SCHEMA)))
    return out


def known_at(ev: pl.DataFrame, written: pl.DataFrame | None, cut: datetime) -> pl.DataFrame:
    """The events before `cut` with each deal attribute as it was known then: one a
    later row wrote (`_first_written`) is null on them. A forecast `--as-of` a day read
    the amounts of deals won after it from their win rows: 10.8 M of Olist's 15.7 M open
    value came from the future."""
    before = ev.filter(pl.col("ts") < cut)
    if written is None or written.height == 0:
        return before
    late = written.filter(pl.col("since") >= cut)
    for c in late["column"].unique().to_list():
        ids = late.filter(pl.col("column") == c)["deal_id"].implode()
        before = before.with_columns(
            pl.when(pl.col("deal_id").is_in(ids)).then(None).otherwise(pl.col(c)).alias(c))
    return before


def _plausible_values(ev: pl.DataFrame, dq: DataQuality,
                      place: Callable[[int], str | None] | None) -> pl.DataFrame:
    """Amounts beyond `MAX_AMOUNT` or infinite read as unknown, counted as
    `implausible_values` with the first place; a NaN a reader let through (amoCRM's JSON
    may hold one) as `bad_values`, as every reader counts an amount that is no number.
    Two counts, because the client mends them differently: a word in the amount's cell
    is written again as a number, a number out of range is a slip or a corrupt cell
    (both were `bad_values`, whose sentence said «no number» of `1e308`)."""
    v = pl.col("value")
    kinds = {"bad_values": v.is_nan(),
             "implausible_values": v.is_infinite() | (v.abs() > MAX_AMOUNT)}
    # A deal's amount, not each of its events: amoCRM and Bitrix24 give it once a deal
    # and it rides on every event («read 5 amounts» of one lead moved four times), a
    # spreadsheet repeats it on every row; the client corrects it once, in the CRM.
    found = ev.select(**{k: pl.col("deal_id").filter(cond).n_unique()
                         for k, cond in kinds.items()}).row(0, named=True)
    if not any(found.values()):
        return ev
    for kind, cond in kinds.items():
        if found[kind]:
            dq.count(kind, found[kind], where=_first_place(ev.filter(cond), place))
    implausible = kinds["bad_values"] | kinds["implausible_values"]
    return ev.with_columns(value=pl.when(implausible).then(None).otherwise(v))


def normalize(frames: list[pl.DataFrame], dq: DataQuality,
              place: Callable[[int], str | None] | None = None,
              written: list[pl.DataFrame] | None = None) -> pl.DataFrame:
    """Concatenate the readers' frames, drop exact duplicates, sort each deal's events by
    time and count what that revealed (out-of-order input, broken move chains, moves
    between pipelines). Deal attributes are spread over all rows of the deal. `place`
    turns an event's `seq` into its input and line (`History.place`), so that a
    duplicate and an event out of order are counted with the first place to look.

    Consumes `frames` (the list is emptied): the readers' tables are freed as soon as
    they are concatenated, not held through the sorts (a million events are ~70 MB a
    copy).

    `written`, when given, receives `_first_written`'s tables: a deal attribute spread back
    onto the rows before the one that wrote it was not known at those rows' time."""
    parts = [_complete(f).select(list(EVENT_SCHEMA)).cast(pl.Schema(EVENT_SCHEMA))
             for f in frames if f.height]
    frames.clear()
    if not parts:
        return empty_events()
    ev = pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]
    parts.clear()
    ev = _plausible_values(ev, dq, place)
    for col in ("loss_reason", "manager", "source"):
        ev, merged = _one_spelling(ev, col)
        for other, shown, n, n_shown, seq in merged:
            at = place(seq) if place is not None else None
            dq.notes.append(QualityNote("spelling_merged", at or "",
                                        spelling=(col, shown, other, n, n_shown)))
        for name, other, n, n_other, seq in _spelled_apart(ev, col):
            at = place(seq) if place is not None else None
            dq.notes.append(QualityNote("spelling_apart", at or "",
                                        spelling=(col, name, other, n, n_other)))
    # Optional columns the inputs do not have at all are left out of the sorts and put
    # back as nulls at the end: sorting gathers every column, and a gathered column of
    # nulls a million long is allocated in full.
    absent = [c for c in OPTIONAL_COLUMNS if ev[c].null_count() == ev.height]
    ev = _sort_in_place(ev.drop(absent), ["deal_id", "ts", "seq"])
    dup = _duplicates(ev)
    if dup is not None:
        first = _first_place(ev.filter(dup), place)
        ev = ev.filter(~dup)
        dq.count("duplicates", int(dup.sum()), where=first)
        dq.drop("duplicate", int(dup.sum()), where=first)
    # Out of order: within a deal, in input order, an event earlier than the one before.
    # Window functions over a string key hash it every time; within rows sorted by deal,
    # "the previous row of the same deal" is a shift masked at deal boundaries instead.
    same = pl.col("deal_id") == pl.col("deal_id").shift(1)
    back = ev.select("deal_id", "seq", "ts").sort(["deal_id", "seq"]).select(
        "seq", back=(same & (pl.col("ts") < pl.col("ts").shift(1))).fill_null(False))
    ooo = int(back["back"].sum())
    if ooo:
        dq.count("out_of_order", ooo, where=_first_place(back.filter("back"), place))
    ev = ev.with_columns(gid=(~same).fill_null(True).cum_sum())
    partial = [c for c in ("value", "source", "manager", "last_activity", "contact", "holder")
               if c in ev.columns and ev[c].null_count() not in (0, ev.height)]
    if written is not None and partial:
        written.extend(_first_written(ev, partial))
    if partial:
        ev = ev.with_columns(
            pl.col(c).fill_null(strategy="forward").fill_null(strategy="backward").over("gid")
            for c in partial)
    ev = ev.drop("gid")
    rep = _repeated_stages(ev)
    if rep is not None:
        first = _first_place(ev.filter(rep), place)
        ev = ev.filter(~rep)
        dq.drop("unchanged_status", int(rep.sum()), where=first)
    prev_p = pl.when(same).then(pl.col("pipeline").shift(1))
    prev_s = pl.when(same).then(pl.col("stage").shift(1))
    checks = ev.select(
        broken=(pl.col("from_stage").is_not_null() & prev_s.is_not_null()
                & ((pl.col("from_stage") != prev_s) | (pl.col("from_pipeline") != prev_p))).sum(),
        cross=(prev_p.is_not_null() & (pl.col("pipeline") != prev_p)
               & (pl.col("kind") == STAGE)).sum(),
    ).row(0)
    dq.count("broken_chains", int(checks[0] or 0))
    dq.count("cross_pipeline_moves", int(checks[1] or 0))
    _count_bulk_created(ev.filter(~same.fill_null(False)), dq, place)
    _note_renamed_stages(ev, dq, place)
    dq.rows_kept = ev.height
    if absent:
        ev = ev.with_columns(pl.lit(None, EVENT_SCHEMA[c]).alias(c) for c in absent).select(
            list(EVENT_SCHEMA))
    return ev
