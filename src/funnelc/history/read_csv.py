"""A plain CSV of stage history, for every CRM without a reader of its own.

One row per deal entering a stage. Columns are found by header name (any case, any
order; Russian headers too): deal id (`deal_id`, `deal`, `lead_id`, `id`, `сделка`),
time (`timestamp`, `ts`, `time`, `date`, `moved_at`, `дата`, `время`), `stage`
(`status`, `этап`, `статус`), and optionally `pipeline` (`воронка`), `value` (`price`,
`amount`, `сумма`, `бюджет`), `loss_reason` (`reason`, `причина`, `причина отказа`),
`source` (`источник`, `utm_source`), `manager` (`responsible`, `owner`,
`менеджер`, `ответственный`), `last_activity` (the deal's last activity, for the
graveyard's segments), `kind` (`won`/`lost`/`stage`) and `picked_at`
(`first_touch`, `picked`, `взята в работу`, `первое касание`: when a manager first
picked the deal up in that stage; an unreadable one, or one before the row's time, is
counted and read as unknown). Without a
`kind` column, a stage named `won`/`lost` (or amoCRM's and Bitrix24's names for them:
«Успешно реализовано», «Закрыто и не реализовано», WON, LOSE) closes the deal.
Separators `,`, `;` and tab are recognised from the header line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import polars as pl

from .errors import HistoryDataError
from .events import LOST, STAGE, WON, empty_events
from .quality import DataQuality
from .timeparse import ParsedTimes, TimeBounds, parse_timestamps, screen_times

__all__ = ["read_csv_text", "read_csv_table", "csv_events", "CsvTable", "looks_like_csv",
           "COLUMN_ALIASES", "WON_NAMES", "LOST_NAMES"]

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal_id", "deal", "lead_id", "lead", "id", "deal id", "сделка", "id сделки",
                "номер сделки"),
    "ts": ("timestamp", "ts", "time", "date", "datetime", "moved_at", "created_at", "дата",
           "время", "дата изменения"),
    "pipeline": ("pipeline", "funnel", "воронка"),
    "stage": ("stage", "status", "этап", "статус", "stage_name"),
    "value": ("value", "price", "amount", "sum", "сумма", "бюджет"),
    "loss_reason": ("loss_reason", "reason", "lost_reason", "причина", "причина отказа"),
    "source": ("source", "utm_source", "источник"),
    "kind": ("kind", "outcome", "type"),
    "picked": ("picked_at", "picked", "picked_up_at", "first_touch", "first_touch_at",
               "взята в работу", "первое касание"),
    "manager": ("manager", "responsible", "responsible_user", "owner", "assigned_to",
                "менеджер", "ответственный"),
    "last_activity": ("last_activity", "last_activity_at", "last_activity_time",
                      "последняя активность"),
}
WON_NAMES = frozenset({"won", "успешно реализовано", "сделка успешна", "успешно", "win",
                       "выиграна", "c:won"})
LOST_NAMES = frozenset({"lost", "lose", "закрыто и не реализовано", "сделка провалена",
                        "провал", "проиграна", "отказ"})


def _header_map(columns: list[str]) -> dict[str, str]:
    norm = {c: c.strip().strip('"').strip().lower() for c in columns}
    out: dict[str, str] = {}
    for key, aliases in COLUMN_ALIASES.items():
        for c, n in norm.items():
            if n in aliases and c not in out.values():
                out[key] = c
                break
    return out


def looks_like_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.lstrip().startswith(("{", "[")):
        return False
    cols = _split_header(first)
    found = _header_map(cols)
    return "deal_id" in found and "stage" in found


def _split_header(first: str) -> list[str]:
    sep = max((",", ";", "\t"), key=first.count)
    try:
        return [c for c in next(csv.reader([first], delimiter=sep), [])]
    except csv.Error:
        return []  # a header line csv cannot split is no header of ours


def _unique_names(header: list[str]) -> list[str]:
    """Header names made unique (`a`, `a_2` …): a table cannot hold two equal columns."""
    seen: set[str] = set()
    out = []
    for h in header:
        name, n = h, 2
        while name in seen:
            name, n = f"{h}_{n}", n + 1
        seen.add(name)
        out.append(name)
    return out


def _read_table(data: bytes, sep: str, dq: DataQuality, path: str) -> pl.DataFrame:
    try:
        return pl.read_csv(data, separator=sep, infer_schema=False, truncate_ragged_lines=True)
    except Exception:  # noqa: BLE001 - polars refuses some broken files; csv reads them
        pass
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=sep)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise HistoryDataError(f"{path}:{reader.line_num}: not readable as CSV: {exc}; "
                               "save the table again as CSV (UTF-8)") from None
    if not rows:
        return pl.DataFrame()
    header, body = _unique_names(rows[0]), rows[1:]
    width = len(header)
    fixed = [(r + [None] * width)[:width] for r in body]
    dq.note("slow_csv", path)
    return pl.DataFrame(fixed, schema={h: pl.Utf8 for h in header}, orient="row")


@dataclass
class CsvTable:
    """A CSV read as text columns, nothing interpreted yet. `csv_events` consumes it (it
    takes the frame out), so that the raw columns are freed as soon as the ones it needs
    are picked, however many references to the table the caller keeps."""

    frame: pl.DataFrame | None
    path: str
    truncated: bool
    """The file ends mid-line (a cut download)."""


def read_csv_table(data: bytes | str, path: str, dq: DataQuality) -> CsvTable:
    """One CSV (UTF-8 bytes with LF line ends, or text) as a table of text columns; the
    separator (`,`, `;` or tab) is the one its header line holds most of."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8", errors="replace")
    sep = max((",", ";", "\t"), key=first.count)
    return CsvTable(_read_table(data, sep, dq, path), path, not data.endswith(b"\n"))


def read_csv_text(data: bytes | str, path: str, dq: DataQuality, seq0: int, tz: str,
                  bounds: TimeBounds | None = None) -> pl.DataFrame:
    """The rows of one CSV as events (`read_csv_table`, then `csv_events`)."""
    return csv_events(read_csv_table(data, path, dq), dq, seq0, tz, bounds)


PARSE_CHUNK = 200_000
"""Timestamps parsed this many at a time: every accepted format is tried on every value,
so one pass over a million values held a dozen full columns of candidates at once."""


def _parse_times(values: pl.Series, tz: str) -> ParsedTimes:
    if len(values) <= PARSE_CHUNK:
        return parse_timestamps(values, tz)
    parts = [parse_timestamps(values.slice(i, PARSE_CHUNK), tz)
             for i in range(0, len(values), PARSE_CHUNK)]
    return ParsedTimes(pl.concat([p.ts for p in parts]), pl.concat([p.naive for p in parts]),
                       pl.concat([p.unit for p in parts]), pl.concat([p.skipped for p in parts]),
                       pl.concat([p.ambiguous for p in parts]))


def csv_events(table: CsvTable, dq: DataQuality, seq0: int, tz: str,
               bounds: TimeBounds | None = None) -> pl.DataFrame:
    """The rows of a CSV table as events; rows without a deal, a readable and plausible
    time or a stage are counted as dropped, each reason with the first lines it
    happened on."""
    raw, path, truncated = table.frame, table.path, table.truncated
    table.frame = None
    if raw is None or raw.height == 0:
        return empty_events()
    cols = _header_map(raw.columns)
    n = raw.height
    dq.rows_read += n

    def col(key: str) -> pl.Expr:
        c = cols.get(key)
        if c is None:
            return pl.lit(None, pl.Utf8)
        return pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None)

    optional = [col(k).alias(a) for k, a in (("manager", "manager"), ("last_activity", "la"))
                if k in cols]
    df = raw.select(*optional, deal_id=col("deal_id"), t=col("ts"), pipeline=col("pipeline"),
                    stage=col("stage"), value=col("value"), loss_reason=col("loss_reason"),
                    source=col("source"), kindcol=col("kind"), p=col("picked"),
                    line=pl.int_range(pl.len(), dtype=pl.Int64) + 2)
    del raw
    parsed = _parse_times(df["t"], tz)
    why, mixed = screen_times(parsed.ts, parsed.unit, bounds or TimeBounds.default())
    df = df.drop("t").with_columns(ts=parsed.ts, naive=parsed.naive, why=why,
                                   skipped=parsed.skipped, twice=parsed.ambiguous)
    del parsed, why
    dq.count("naive_timestamps", int(df["naive"].sum()))
    dq.note_mixed_units(path, mixed)
    for reason, cond in (("no_deal_id", pl.col("deal_id").is_null()),
                         ("mixed_time_units", (pl.col("why") == "mixed_time_units").fill_null(False)),
                         ("implausible_timestamp",
                          (pl.col("why") == "implausible_timestamp").fill_null(False)),
                         ("skipped_local_time", pl.col("skipped")),
                         ("bad_timestamp", pl.col("ts").is_null()),
                         ("no_stage", pl.col("stage").is_null())):
        bad = df.filter(cond)
        if bad.height:
            last = bad["line"][-1] == n + 1
            if truncated and last:
                # The last line of a file that ends mid-line: the cut, not bad data.
                dq.count("truncated_files", where=f"{path}:{n + 1}")
                dq.drop("truncated", 1, where=f"{path}:{n + 1}")
                if bad.height > 1:
                    dq.drop(reason, bad.height - 1, where=f"{path}:{bad['line'][0]}")
            else:
                dq.drop(reason, bad.height, where=f"{path}:{bad['line'][0]}")
            df = df.filter(~cond)
    twice = df.filter(pl.col("twice"))["line"]
    if len(twice):
        dq.count("ambiguous_local_times", len(twice), where=f"{path}:{twice[0]}")
    df = df.drop("skipped", "twice")
    df = _with_picked(df, tz, path, dq)
    if "la" in df.columns:
        df = _with_last_activity(df, tz)
    low = pl.col("stage").str.to_lowercase()
    kc = pl.col("kindcol").str.to_lowercase()
    kind = (pl.when(kc.is_in(["won", "win", "s"])).then(pl.lit(WON))
            .when(kc.is_in(["lost", "lose", "f"])).then(pl.lit(LOST))
            .when(kc.is_not_null()).then(pl.lit(STAGE))
            .when(low.is_in(list(WON_NAMES))).then(pl.lit(WON))
            .when(low.is_in(list(LOST_NAMES))).then(pl.lit(LOST))
            .otherwise(pl.lit(STAGE)))
    value = pl.col("value").str.replace_all(r"[\s\u00a0]", "").str.replace(",", ".")
    # Without the column, no column: `events.normalize` adds it as nulls that cost
    # nothing (a column of parsed nulls a million long costs 16 MB).
    kept = [c for c in ("manager", "last_activity") if c in df.columns]
    return df.select(
        "deal_id", "ts", *kept, pipeline=pl.col("pipeline").fill_null(""), stage="stage", kind=kind,
        value=value.cast(pl.Float64, strict=False),
        loss_reason=pl.when(kind == LOST).then(pl.col("loss_reason")),
        source="source", from_pipeline=pl.lit(None, pl.Utf8), from_stage=pl.lit(None, pl.Utf8),
        seq=pl.lit(seq0, pl.Int64) + pl.col("line"), entry_known=pl.lit(True),
        picked=pl.when(kind == STAGE).then(pl.col("picked")))


def _with_last_activity(df: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Column `la` (the deal's last activity, text) parsed into `last_activity`; one
    that does not parse is unknown (it only segments the graveyard)."""
    return df.with_columns(last_activity=_parse_times(df["la"], tz).ts).drop("la")


def _with_picked(df: pl.DataFrame, tz: str, path: str, dq: DataQuality) -> pl.DataFrame:
    """Column `p` (pick-up time text) parsed into `picked`. A pick-up time that does not
    parse, or comes before the row's own time, is no reason to lose the stage entry: it
    is counted (`bad_pick_up_times`, with its line) and read as unknown. So is a zone-less
    one the clocks skipped in `tz`, under a name of its own (`skipped_local_time`: it is
    readable, it just does not exist there); one they repeat is read as the first and
    counted as `ambiguous_local_times`, as the rows' own times are."""
    if df["p"].null_count() == df.height:
        return df.drop("p").with_columns(picked=pl.lit(None, pl.Datetime("us", "UTC")))
    parsed = _parse_times(df["p"], tz)
    df = df.with_columns(picked=parsed.ts, p_skipped=parsed.skipped, p_twice=parsed.ambiguous)
    del parsed
    skipped = pl.col("p_skipped")
    bad = (pl.col("p").is_not_null() & ~skipped
           & (pl.col("picked").is_null() | (pl.col("picked") < pl.col("ts"))))
    for kind, cond in (("skipped_local_time", skipped), ("bad_pick_up_times", bad),
                       ("ambiguous_local_times", pl.col("p_twice") & ~bad)):
        lines = df.filter(cond)["line"]
        if len(lines):
            dq.count(kind, len(lines), where=f"{path}:{lines[0]}")
    return df.with_columns(picked=pl.when(bad).then(None).otherwise(pl.col("picked"))
                           ).drop("p", "p_skipped", "p_twice")
