"""A plain CSV of stage history, for every CRM without a reader of its own.

One row per deal entering a stage. Columns are found by header name (any case, `ё` as
`е`, any order; Russian and Ukrainian headers too, `COLUMN_ALIASES`): deal id, time,
stage, and optionally pipeline, value, loss reason, source, manager (who had the deal at
the row; a mass action's moves count for the deal's manager before it,
`batches_to_owners`), last activity (the deal's last activity, for the graveyard's
segments), contact (the client, `contact` or `client`: a later deal of the same client
after a loss is the client coming back), `kind` (`won`/`lost`/`stage`) and
`picked_at` (when a manager first picked the deal up in that stage; an unreadable one,
or one before the row's time, is counted and read as unknown). Without a `kind`
column, a stage named `won`/`lost` (or amoCRM's, Bitrix24's, HubSpot's and Salesforce's
names for them: «Успешно реализовано», «Закрыто и не реализовано», «Угода успішна», WON,
LOSE, "Closed won", "Closed lost") closes the deal. Separators `,`, `;` and tab are recognised from the header line.

What spreadsheets write is read as they meant it, or counted with its line, never
guessed: amounts with spaces, NBSPs, currency signs and a decimal comma (`parse_amounts`);
dates as `timeparse` lists them, slash dates in the order the file's own dates settle
(`slash_date_order`; a file that settles none is refused); rows with more cells than the
header (an unquoted `1234,50` in a comma-separated file shifts every cell after it) are
dropped as `extra_fields`, not read shifted; rows with every cell empty (what Excel
leaves below a table) are no records, and a totals row («Итого», «Разом», "Total") is
counted as `totals_rows`, not read as a deal. The header may sit below a report's title
(`csv_header_line`); a day column beside a clock column is one moment (`header_map`).
Places are physical lines, also below a quoted value that holds line breaks.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import polars as pl

from .deal_list import (
    CREATED_NAMES,
    DEAL_LIST_HINT,
    DealListColumns,
    deal_level_columns,
    deal_list_columns,
    deal_list_dates,
    long_rows,
    refuse_one_row_deals,
    stage_change_column,
)
from .errors import HistoryDataError
from .events import LOST, STAGE, WON, Catalog, empty_events
from .mass_moves import batch_rows
from .quality import DataQuality, QualityNote
from .timeparse import (
    ACCEPTED_TIMES,
    ParsedTimes,
    SlashOrder,
    TimeBounds,
    parse_timestamps,
    screen_times,
    slash_date_order,
    time_form,
)

__all__ = ["read_csv_text", "read_csv_table", "csv_events", "CsvTable", "looks_like_csv",
           "COLUMN_ALIASES", "WON_NAMES", "LOST_NAMES", "parse_amounts", "csv_header_line",
           "header_map", "split_header", "crm_order", "deal_table", "csv_deal_records",
           "batches_to_owners", "CURRENCY_CODES", "header_currency", "row_currency",
           "in_one_csv_currency"]

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal_id", "deal", "lead_id", "lead", "id", "deal id", "record id",
                "opportunity id", "opportunityid", "opp id", "oppid", "сделка", "id сделки",
                "номер сделки", "№ сделки", "угода", "id угоди", "номер угоди", "№ угоди"),
    "ts": ("timestamp", "ts", "time", "date", "datetime", "moved_at", "created_at", "дата",
           "время", "дата изменения", "дата и время", "дата перехода", "час", "дата і час",
           "дата зміни", "дата переходу", "createddate"),
    "pipeline": ("pipeline", "funnel", "воронка", "воронка продаж", "направление",
                 "напрямок"),
    "stage": ("stage", "status", "этап", "статус", "stage_name", "stagename", "deal stage",
              "стадия", "этап сделки",
              "етап", "стадія", "етап угоди"),
    "value": ("value", "price", "amount", "sum", "сумма", "бюджет", "сумма сделки", "сума",
              "сума угоди", *("amount in company currency", "amount in home currency",
                              "amountinhomecurrency")),
    "loss_reason": ("loss_reason", "reason", "lost_reason", "closed lost reason", "причина", "причина отказа",
                    "причина провала", "причина відмови", "причина програшу"),
    "source": ("source", "utm_source", "lead source", "leadsource", "источник", "джерело"),
    "kind": ("kind", "outcome", "type", "status"),
    "picked": ("picked_at", "picked", "picked_up_at", "first_touch", "first_touch_at",
               "взята в работу", "первое касание", "взято в роботу", "перше касання"),
    "manager": ("manager", "responsible", "responsible_user", "owner", "assigned_to",
                "owner.name", "owner name", "ownerid", "owner id",
                "deal owner", "opportunity owner", "sales rep", "sales agent",
                "менеджер", "ответственный", "відповідальний"),
    "last_activity": ("last_activity", "last_activity_at", "last_activity_time",
                      "last activity date",
                      "последняя активность", "остання активність"),
    "contact": ("contact", "contact_id", "client", "client_id", "customer", "customer_id",
                "контакт", "клиент", "клієнт", "id контакта", "id контакту"),
    "stage_sort": ("sortorder", "sort order", "stage_sort", "stage sort order"),
    "currency": ("currency", "currencyisocode", "currency iso code", "currency code",
                 "deal currency code", "валюта", "валюта сделки", "валюта угоди",
                 "код валюты", "код валюти"),
}
"""Header names per column, lower case, `ё` as `е`, spaces collapsed, `_` as a space
(`Loss reason` is `loss_reason`: an English export spells its headers with spaces).
`currency` is the deal's currency (Pipedrive's «Deal - Currency», HubSpot's «Currency»,
Salesforce's `CurrencyIsoCode`, amoCRM's and Bitrix24's «Валюта»: `row_currency`).
`stage_sort` is the CRM's own position of the row's stage (Salesforce's OpportunityHistory
`SortOrder`): the stages' order, as amoCRM's `sort` and Bitrix24's `SORT` are (`crm_order`)."""
WON_NAMES = frozenset({"won", "успешно реализовано", "сделка успешна", "успешно", "win",
                       "выиграна", "c:won", "успішно реалізовано", "угода успішна",
                       "успішно", "виграна", "closed won", "closed-won", "closedwon"})
LOST_NAMES = frozenset({"lost", "lose", "закрыто и не реализовано", "сделка провалена",
                        "провал", "проиграна", "отказ", "закрито і не реалізовано",
                        "угода провалена", "програна", "відмова", "closed lost",
                        "closed-lost", "closedlost"})
TOTALS_WORDS = frozenset({"итого", "итог", "всего", "разом", "усього", "всього", "підсумок",
                          "total", "totals", "grand total"})
"""What a spreadsheet's totals row says in its first cells (with or without `:`)."""


_UNIT = re.compile(r"\s*(?:,\s*|\(\s*)(?:руб\.?|р\.|₽|грн\.?|₴|uah|rub|usd|eur|gbp|\$|€|£)"
                   r"\s*\)?$|\s+[₽₴$€£]$")
"""A currency after a column's name («Сумма, руб.», «Сума (₴)», "Amount, USD", a sign
alone: «Бюджет ₽»)."""


_OBJECT = re.compile(r"^deal - ")
"""Pipedrive's export names each column after its object («Deal - Stage», «Deal - Owner»)."""


def _header_name(column: str) -> str:
    name = column.strip().strip('"').strip().lower().replace("ё", "е").replace("_", " ")
    return _OBJECT.sub("", _UNIT.sub("", re.sub(r"\s+", " ", name)))


CONVERTED_NAMES = frozenset({"amount in company currency", "amount in home currency",
                             "amountinhomecurrency"})
"""The amount in the account's one currency, converted by the CRM (HubSpot's deal
property `amount_in_home_currency`, «Amount in company currency» in its exports)."""
DAY_NAMES = ("date", "дата")
CLOCK_NAMES = ("time", "время", "час")


def header_map(columns: list[str]) -> dict[str, str]:
    """Column key → the file's column. A day column beside a clock column («Дата» and
    «Время», `date` and `time`: some reports split the moment in two) is `ts` and
    `clock`, read together: the day alone put every move at midnight, unseen."""
    norm = {c: _header_name(c) for c in columns}
    out: dict[str, str] = {}
    for key, aliases in COLUMN_ALIASES.items():
        names = {a.replace("_", " ") for a in aliases}
        found = [c for c, n in norm.items() if n in names and c not in out.values()]
        # A deal's «Status» beside its «Stage» (Pipedrive: open, won, lost) is not the stage;
        # a row's own «Id» beside its deal's (Salesforce's OpportunityHistory as Data
        # Loader saves it: ID, OPPORTUNITYID, CREATEDDATE, STAGENAME…) is not the deal.
        # Salesforce's `OwnerId` beside the owner's name (`Owner.Name`) is not the manager.
        if len(found) > 1 and key in ("stage", "deal_id", "manager"):
            found = [c for c in found if norm[c] not in ("status", "id", "ownerid", "owner id")
                     ] or found
        if key == "value":
            # HubSpot's «Amount in company currency» beside the deal's own «Amount»: the
            # CRM's conversion at the account's rates, one currency for every deal.
            found = [c for c in found if norm[c] in CONVERTED_NAMES] or found
        if found:
            out[key] = found[0]
    if out.get("value") is not None and norm[out["value"]] in CONVERTED_NAMES:
        out.pop("currency", None)  # the deal's currency, not the converted amount's
    day = next((c for c, n in norm.items() if n in DAY_NAMES), None)
    clock = next((c for c, n in norm.items() if n in CLOCK_NAMES), None)
    if day is not None and clock is not None and out.get("ts") in (day, clock):
        out["ts"], out["clock"] = day, clock
    return out


def looks_like_csv(text: str) -> bool:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if first.lstrip().startswith(("{", "[")):
        return False
    cols = split_header(first)
    found = header_map(cols)
    return "deal_id" in found and "stage" in found


def split_header(first: str) -> list[str]:
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


EXTRA = "\x00extra"
"""The column `_read_table` adds for a row's cells beyond the header's (joined by the
separator), so that `csv_events` drops the row with its line instead of reading its
cells shifted; and `LINE`, the physical line each row starts on."""
LINE = "\x00line"


def _read_table(data: bytes, sep: str, dq: DataQuality, path: str) -> pl.DataFrame:
    """The table, every cell text. Polars first; it refuses a row with more cells than
    the header (rather than truncating it unseen), and then Python's csv reads the
    file, keeping those cells in `EXTRA`. Where a quoted value holds line breaks, rows
    and lines part: `LINE` then says where each row starts."""
    try:
        frame = pl.read_csv(data, separator=sep, infer_schema=False,
                            truncate_ragged_lines=False)
    except Exception:  # noqa: BLE001 - polars refuses some broken files; csv reads them
        return _read_slowly(data, sep, dq, path)
    if data.count(b"\n") > frame.height + 1 and _quoted_breaks(frame):
        lines = _row_lines(data, sep)
        if lines is None or len(lines) != frame.height:
            return _read_slowly(data, sep, dq, path)
        frame = frame.with_columns(pl.Series(LINE, lines, pl.Int64))
    return frame


def _quoted_breaks(frame: pl.DataFrame) -> bool:
    return any(frame[c].str.contains("\n", literal=True).any() for c in frame.columns)


def _row_lines(data: bytes, sep: str) -> list[int] | None:
    """The physical line each row (after the header) starts on, or None where Python's
    csv gives up on a row polars read (a cell over its field limit): the slow reader
    then names that line."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=sep)
    out: list[int] = []
    end = 0
    try:
        for i, _ in enumerate(reader):
            if i:
                out.append(end + 1)
            end = reader.line_num
    except csv.Error:
        return None
    return out


def _read_slowly(data: bytes, sep: str, dq: DataQuality, path: str) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=sep)
    rows: list[list[str]] = []
    starts: list[int] = []
    end = 0
    try:
        for row in reader:
            rows.append(row)
            starts.append(end + 1)
            end = reader.line_num
    except csv.Error as exc:
        raise HistoryDataError(f"{path}:{reader.line_num}: not readable as CSV: {exc}; "
                               "save the table again as CSV (UTF-8)") from None
    if not rows:
        return pl.DataFrame()
    header, body = _unique_names(rows[0]), rows[1:]
    width = len(header)
    # A separator after every row's last cell (some writers end each line with one) is
    # no shift; any other row longer than the header is, even when its overflow is empty
    # (`1,…,1234,50,` with an empty reason).
    filled = [r for r in body if any(c.strip() for c in r)]
    trailing = bool(filled) and all(len(r) > width and not "".join(r[width:]).strip()
                                    for r in filled)
    fixed = [(r + [None] * width)[:width]
             + [None if trailing or len(r) <= width else sep.join(r[width:])] for r in body]
    dq.note("slow_csv", path)
    return pl.DataFrame(fixed, schema={**{h: pl.Utf8 for h in header}, EXTRA: pl.Utf8},
                        orient="row").with_columns(pl.Series(LINE, starts[1:], pl.Int64))


@dataclass
class CsvTable:
    """A CSV read as text columns, nothing interpreted yet. `csv_events` consumes it (it
    takes the frame out), so that the raw columns are freed as soon as the ones it needs
    are picked, however many references to the table the caller keeps."""

    frame: pl.DataFrame | None
    path: str
    truncated: bool
    """The file ends mid-line (a cut download)."""
    cut_short: bool = False
    """The file ends mid-line in a row with fewer cells than the header: certainly cut
    (a file that merely lacks its last line break, as some spreadsheets save it, ends
    in a whole row)."""
    skipped: int = 0
    """Lines above the header (a report's title), which places count too."""
    per: int = 1
    """Events per row: one in a history, up to one per stage and the close in a deal
    list (`deal_list`); an event's `seq` is the first `seq` + line × `per` + its slot."""
    catalog: Catalog | None = None
    """The CRM's order of the stages where the file carries it (`stage_sort`), set by
    `csv_events` (`crm_order`)."""


TITLE_LINES = 10
"""How far below the top of a file its header may be: a CRM's report saved from a
spreadsheet starts with its title («Отчёт по сделкам за ноябрь»), a blank line, filters."""


def csv_header_line(data: bytes) -> int | None:
    """The 0-based line of the first of the file's first `TITLE_LINES` lines that is a
    history CSV's header (`looks_like_csv`), or None."""
    for i, line in enumerate(data[:65536].split(b"\n")[:TITLE_LINES]):
        if looks_like_csv(line.decode("utf-8", errors="replace")):
            return i
    return None


def read_csv_table(data: bytes | str, path: str, dq: DataQuality, skip: int = 0) -> CsvTable:
    """One CSV (UTF-8 bytes with LF line ends, or text) as a table of text columns; the
    separator (`,`, `;` or tab) is the one its header line holds most of. `skip`: the
    lines above the header (`csv_header_line`), left out and counted in the places."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for _ in range(skip):
        data = data[data.find(b"\n") + 1:]
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].decode("utf-8", errors="replace")
    sep = max((",", ";", "\t"), key=first.count)
    return CsvTable(_read_table(data, sep, dq, path), path, not data.endswith(b"\n"),
                    _cut_short(data, sep, first), skip)


def _cut_short(data: bytes, sep: str, header: str) -> bool:
    """True when the file ends mid-line in a row of fewer cells than its header: a
    download cut in its last row, which would otherwise be read as a row whose last
    cells are empty (an amount 99500 cut to 99, its source and manager lost). A last
    line with an odd number of quotes may be the end of a row that began lines above
    (a quoted value with line breaks): not judged."""
    if data.endswith(b"\n"):
        return False
    last = data[data.rfind(b"\n") + 1:].decode("utf-8", errors="replace")
    if not last.strip() or last.count('"') % 2:
        return False
    cells = next(csv.reader([last], delimiter=sep), [])
    return len(cells) < len(next(csv.reader([header], delimiter=sep), []))


def read_csv_text(data: bytes | str, path: str, dq: DataQuality, seq0: int, tz: str,
                  bounds: TimeBounds | None = None) -> pl.DataFrame:
    """The rows of one CSV as events (`read_csv_table`, then `csv_events`), their
    amounts in one currency (`in_one_csv_currency`)."""
    return in_one_csv_currency([csv_events(read_csv_table(data, path, dq), dq, seq0, tz,
                                           bounds)], path, dq)[0]


PARSE_CHUNK = 200_000
"""Timestamps parsed this many at a time: every accepted format is tried on every value,
so one pass over a million values held a dozen full columns of candidates at once."""


def _parse_times(values: pl.Series, tz: str, order: SlashOrder | None = None) -> ParsedTimes:
    if len(values) <= PARSE_CHUNK:
        return parse_timestamps(values, tz, order)
    parts = [parse_timestamps(values.slice(i, PARSE_CHUNK), tz, order)
             for i in range(0, len(values), PARSE_CHUNK)]
    return ParsedTimes(pl.concat([p.ts for p in parts]), pl.concat([p.naive for p in parts]),
                       pl.concat([p.unit for p in parts]), pl.concat([p.skipped for p in parts]),
                       pl.concat([p.ambiguous for p in parts]))


UNREADABLE_SHARE = 0.9
"""At this share of a file's times unreadable, the file is refused (`HistoryDataError`)
rather than its rows dropped one by one: the column is written in a form not read."""


def _refuse_unreadable_times(df: pl.DataFrame, parsed: ParsedTimes, path: str,
                             column: str | None) -> None:
    """Refuse a file whose times (nearly) all fail to read, naming the column, the first
    value with its line and what it looks like, and the forms read. Dropped one by one,
    a Salesforce export with 12-hour times (`02/23/26 08:55 PM`) lost its 48 rows as
    «timestamp missing or unreadable» with no word of why, and the audit of the nothing
    left said «no findings»."""
    written = df["t"].is_not_null()
    unread = df.filter(parsed.ts.is_null() & written & ~parsed.skipped)
    if unread.height == 0 or unread.height < UNREADABLE_SHARE * int(written.sum()):
        return
    first = str(unread["t"][0])
    form = time_form(first)
    where = f"column `{column}`" if column else "the deal list's date columns"
    raise HistoryDataError(
        f"{path}:{unread['line'][0]}: no time in {where} can be read "
        f"({unread.height} of {int(written.sum())} unreadable): the first is `{first}`"
        + (f", {form}" if form else ""),
        "save the column as YYYY-MM-DD HH:MM (a 24-hour clock, a four-digit year) and "
        f"read it again; the forms read: {ACCEPTED_TIMES}")


def csv_events(table: CsvTable, dq: DataQuality, seq0: int, tz: str,
               bounds: TimeBounds | None = None) -> pl.DataFrame:
    """The rows of a CSV table as events; rows without a deal, a readable and plausible
    time or a stage are counted as dropped, each reason with the first lines it
    happened on."""
    raw, path, truncated = table.frame, table.path, table.truncated
    table.frame = None
    if raw is None or raw.height == 0:
        return empty_events()
    cols = header_map(raw.columns)
    unit = header_currency(cols["value"]) if "value" in cols else None
    text = [c for c in raw.columns if c not in (LINE, EXTRA)]
    spelled = {c: _header_name(c) for c in text}
    listed = deal_list_columns(text, spelled, "pipeline" in cols, f"{path}:{table.skipped + 1}")
    whole = None
    if (listed is None and "ts" in cols and spelled.get(cols["ts"]) in CREATED_NAMES
            and stage_change_column(text, spelled) is not None):
        # Salesforce's Opportunity table: its `CreatedDate` is each deal's creation, not a
        # row's time as in OpportunityHistory (which has no `LastStageChangeDate`).
        cols = {k: v for k, v in cols.items() if k != "ts"}
    if "ts" not in cols and listed is None:
        names = ", ".join(f"«{c}»" for c in text)
        dated = deal_list_dates(text, spelled)
        listed = whole = deal_level_columns(text, spelled)
        if whole is None and dated:
            # amoCRM's «Экспорт»: «Дата создания», «Дата закрытия», no time of a move.
            raise HistoryDataError(
                f"{path}:{table.skipped + 1}: a deal list, not a stage history: its dates "
                f"({', '.join(f'«{c}»' for c in dated)}) say when each deal was closed, "
                "not when it was created or entered each stage", DEAL_LIST_HINT)
        if whole is None:
            raise HistoryDataError(
                f"{path}:{table.skipped + 1}: no time column among {names}: every row would "
                "be dropped",
                "call the column that holds each row's time `timestamp`, `date` or «Дата» "
                "(docs/history.md, «CSV from a spreadsheet», lists every name read)")
    if table.skipped:
        raw = raw.with_columns((pl.col(LINE) if LINE in raw.columns else
                                pl.int_range(pl.len(), dtype=pl.Int64) + 2)
                               .add(table.skipped).alias(LINE))
    n = raw.height
    last_line = int(raw[LINE][-1]) if LINE in raw.columns else n + 1
    raw = _without_blank_and_totals(
        raw, cols if listed is None else {k: v for k, v in cols.items() if k != "ts"}, path, dq)
    if raw.height == 0:
        return empty_events()
    dq.rows_read += raw.height
    if listed is not None:
        raw = _deal_list_rows(raw, listed, cols, path, dq, whole is not None)
        table.per = len(listed.entered) + 1
        if whole is not None:
            dq.notes.append(QualityNote("deal_level", path, kept=raw[LINE].n_unique(),
                                        deal_level=(whole.entered[0].stage,
                                                    whole.entered[0].column, whole.closed)))
        cols = header_map(raw.columns)

    def col(key: str) -> pl.Expr:
        c = cols.get(key)
        if c is None:
            return pl.lit(None, pl.Utf8)
        return pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None)

    optional = [col(k).alias(a) for k, a in (("manager", "manager"), ("last_activity", "la"),
                                             ("contact", "contact"))
                if k in cols]
    line = pl.col(LINE) if LINE in raw.columns else pl.int_range(pl.len(), dtype=pl.Int64) + 2
    extra = pl.col(EXTRA).is_not_null() if EXTRA in raw.columns else pl.lit(False)
    when = col("ts")
    if "clock" in cols:
        # «05.12.2026» and «14:30» → «05.12.2026 14:30»; a day written with a zero time
        # (`05.12.2026 0:00:00`, a date cell formatted with its time) takes the clock's.
        # A clock cell that holds a whole moment is read alone.
        day = when.str.replace(r"\s+0?0:00(?::00)?$", "")
        clock = col("clock")
        when = (pl.when(clock.is_null()).then(when)
                .when(clock.str.contains(r"^\d{1,2}:\d{2}(?::\d{2})?$"))
                .then(pl.concat_str([day, clock], separator=" ")).otherwise(clock))
    df = raw.select(*optional, deal_id=col("deal_id"), t=when, pipeline=col("pipeline"),
                    stage=col("stage"), value=col("value"), loss_reason=col("loss_reason"),
                    source=col("source"), kindcol=col("kind"), p=col("picked"),
                    line=line, extra=extra,
                    **({"sort": col("stage_sort")} if "stage_sort" in cols else {}),
                    **({"cur_col": col("currency")} if "currency" in cols else {}),
                    slot=pl.col("slot") if "slot" in raw.columns else pl.lit(0, pl.Int64))
    del raw
    order = _slash_order(df, path, dq)
    parsed = _parse_times(df["t"], tz, order)
    _refuse_unreadable_times(df, parsed, path, cols.get("ts") if listed is None else None)
    why, mixed = screen_times(parsed.ts, parsed.unit, bounds or TimeBounds.default())
    df = df.drop("t").with_columns(ts=parsed.ts, naive=parsed.naive, why=why,
                                   skipped=parsed.skipped, twice=parsed.ambiguous)
    del parsed, why
    dq.count("naive_timestamps", int(df["naive"].sum()))
    dq.note_mixed_units(path, mixed)
    cut_last = table.cut_short or (truncated and _cut_in_a_cell(df, last_line, tz, order))
    cut = pl.lit(cut_last) & (pl.col("line") == last_line)
    for reason, cond in (("truncated", cut), ("extra_fields", pl.col("extra")),
                         ("no_deal_id", pl.col("deal_id").is_null()),
                         ("mixed_time_units", (pl.col("why") == "mixed_time_units").fill_null(False)),
                         ("implausible_timestamp",
                          (pl.col("why") == "implausible_timestamp").fill_null(False)),
                         ("skipped_local_time", pl.col("skipped")),
                         ("bad_timestamp", pl.col("ts").is_null()),
                         ("no_stage", pl.col("stage").is_null())):
        bad = df.filter(cond)
        if bad.height:
            last = bad["line"][-1] == last_line
            if truncated and last:
                # The last line of a file that ends mid-line: the cut, not bad data.
                dq.count("truncated_files", where=f"{path}:{last_line}")
                dq.drop("truncated", 1, where=f"{path}:{last_line}")
                if bad.height > 1:
                    dq.drop(reason, bad.height - 1, where=f"{path}:{bad['line'][0]}")
            else:
                dq.drop(reason, bad.height, where=f"{path}:{bad['line'][0]}")
            df = df.filter(~cond)
    if whole is not None:
        df = _whole_deals(df, path, dq)
    twice = df.filter(pl.col("twice"))["line"]
    if len(twice):
        dq.count("ambiguous_local_times", len(twice), where=f"{path}:{twice[0]}")
    df = df.drop("skipped", "twice", "extra")
    df = _with_picked(df, tz, path, dq, order)
    if "la" in df.columns:
        df = _with_last_activity(df, tz, order)
    kind = _kind(pl.col("kindcol"), pl.col("stage"))
    if "sort" in df.columns:
        table.catalog = crm_order(df.select(pipeline=pl.col("pipeline").fill_null(""),
                                            stage="stage", sort="sort", line="line",
                                            stage_row=kind == STAGE))
        df = df.drop("sort")
    df = df.with_columns(cur=row_currency(
        pl.col("value"), pl.col("cur_col") if "cur_col" in df.columns else None, unit)
        if unit or "cur_col" in df.columns or df["value"].str.contains(_MARKED).any()
        else pl.lit(None, pl.Utf8))
    df = df.with_columns(value=parse_amounts(df["value"]))
    unread = df.filter(pl.col("value").is_nan())["line"]
    if len(unread):
        dq.count("bad_values", len(unread), where=f"{path}:{unread[0]}")
    value = pl.col("value").fill_nan(None)
    # Without the column, no column: `events.normalize` adds it as nulls that cost
    # nothing (a column of parsed nulls a million long costs 16 MB).
    kept: list[str] = [c for c in ("manager", "last_activity", "contact") if c in df.columns]
    # A currency only where a row names one: `in_one_csv_currency` reads it, then drops it.
    if df["cur"].null_count() < df.height:
        kept.append("cur")
    out = df.select(
        "deal_id", "ts", *kept, pipeline=pl.col("pipeline").fill_null(""), stage="stage", kind=kind,
        value=value,
        loss_reason=pl.when(kind == LOST).then(pl.col("loss_reason")),
        source="source", from_pipeline=pl.lit(None, pl.Utf8), from_stage=pl.lit(None, pl.Utf8),
        seq=pl.lit(seq0, pl.Int64) + pl.col("line") * table.per + pl.col("slot"),
        entry_known=pl.lit(True), picked=pl.when(kind == STAGE).then(pl.col("picked")))
    if listed is None:
        refuse_one_row_deals(out.select("deal_id", "kind", "stage",
                                        line=(pl.col("seq") - seq0)), path, WON, LOST)
    return out


def batches_to_owners(events: pl.DataFrame, csv: pl.Expr, tz: str) -> pl.DataFrame:
    """`events` (sorted by deal, time and input order: `events.normalize`) with a mass
    action's moves in a CSV history (the rows where `csv` holds) counted for each deal's
    own manager. A row's `manager` names who had the deal at that row, and an export
    from a CRM names there whoever made the move: a head of sales who closes the team's
    stale deals as lost in one go at a quarter's end is named on each of those losses,
    and was compared as the manager of every one («0 of 12 against 24 of 48», a finding),
    while the managers who had left them open were spared the losses. So, as amoCRM's
    mass actions (`mass_moves.batch_rows`): `BATCH_MOVES` moves or more by one manager
    into one stage of deals whose row before names another manager, each within
    `BATCH_GAP_S` of the one before, count for that other manager. Read after the
    histories are joined and sorted, so a quarter's batch finds the deals' earlier rows
    in another file. A deal's first row, a manager's moves of her own deals (however
    fast) and moves one at a time stay as written; so does a time without a clock (a day
    alone, read as midnight), which cannot tell a batch from a day's work."""
    if events["manager"].null_count() == events.height:
        return events
    same = pl.col("deal_id") == pl.col("deal_id").shift(1)
    owner = pl.when(same).then(pl.col("manager").shift(1))
    rows = events.select("pipeline", "stage", "ts", who="manager", owner=owner,
                         mine=csv).with_row_index("_r")
    moves = rows.filter(pl.col("mine") & pl.col("owner").is_not_null()
                        & pl.col("who").is_not_null() & (pl.col("who") != pl.col("owner"))
                        & pl.col("ts").is_not_null())
    local = pl.col("ts").dt.convert_time_zone(tz)
    moves = moves.filter((local.dt.hour() > 0) | (local.dt.minute() > 0)
                         | (local.dt.second() > 0))
    batch = batch_rows(moves.select("_r", "who", "pipeline", "stage",
                                    t=pl.col("ts").dt.epoch("us") / 1e6))
    if batch.is_empty():
        return events
    moved = rows.filter(pl.col("_r").is_in(batch.implode()))
    return events.with_columns(events["manager"].scatter(moved["_r"], moved["owner"]))


def deal_table(table: CsvTable) -> DealListColumns | None:
    """The creation (and close) columns of a deal list `csv_events` would read deal by
    deal (`deal_list.deal_level_columns`: no time of a move, a creation date; Salesforce's
    Opportunity table), else None: a history, or a list with a date per stage."""
    raw = table.frame
    if raw is None or raw.height == 0:
        return None
    text = [c for c in raw.columns if c not in (LINE, EXTRA)]
    spelled = {c: _header_name(c) for c in text}
    cols = header_map(text)
    if "deal_id" not in cols or "stage" not in cols or deal_list_columns(
            text, spelled, "pipeline" in cols, f"{table.path}:{table.skipped + 1}") is not None:
        return None
    if "ts" in cols and not (spelled[cols["ts"]] in CREATED_NAMES
                             and stage_change_column(text, spelled) is not None):
        return None
    return deal_level_columns(text, spelled)


def csv_deal_records(table: CsvTable, listed: DealListColumns, dq: DataQuality, tz: str
                     ) -> pl.DataFrame:
    """A deal list's rows as the deals' records (`deal_records`): `deal_id`, `created`
    (its creation date column, `listed`), its current `pipeline`, `stage` and `kind`,
    `value`, `manager`, `source`, `contact`, `last_activity`, `loss_reason` (of a lost
    deal) and the row's `line`, and `cur` (`row_currency`) where an amount names its
    currency; the first row of a deal that has two. The table is left as it is
    (`csv_events` may read it yet)."""
    raw = table.frame
    assert raw is not None
    cols = header_map([c for c in raw.columns if c not in (LINE, EXTRA)])
    unit = header_currency(cols["value"]) if "value" in cols else None
    line = pl.col(LINE) if LINE in raw.columns else pl.int_range(pl.len(), dtype=pl.Int64) + 2

    def col(key: str) -> pl.Expr:
        c = cols.get(key)
        if c is None:
            return pl.lit(None, pl.Utf8)
        return pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None)

    df = raw.select(
        deal_id=col("deal_id"),
        t=pl.col(listed.entered[0].column).str.strip_chars().replace("", None),
        pipeline=col("pipeline").fill_null(""), stage=col("stage"), value=col("value"),
        manager=col("manager"), source=col("source"), contact=col("contact"),
        la=col("last_activity"), loss_reason=col("loss_reason"), kindcol=col("kind"),
        line=line.add(table.skipped), cur=row_currency(
            col("value"), col("currency") if "currency" in cols else None, unit))
    df = df.filter(pl.col("deal_id").is_not_null()).unique("deal_id", keep="first",
                                                           maintain_order=True)
    named = ["cur"] if df["cur"].null_count() < df.height else []
    order = _slash_order(df, table.path, dq)
    kind = _kind(pl.col("kindcol"), pl.col("stage"))
    return df.with_columns(
        created=_parse_times(df["t"], tz, order).ts,
        last_activity=_parse_times(df["la"], tz, order).ts,
        value=parse_amounts(df["value"]).fill_nan(None)).select(
        "deal_id", "created", "pipeline", "stage", kind.alias("kind"), "value", "manager",
        "source", "contact", "last_activity",
        pl.when(kind == LOST).then(pl.col("loss_reason")).alias("loss_reason"), "line",
        *named)


def crm_order(rows: pl.DataFrame) -> Catalog | None:
    """Each pipeline's stages in the CRM's own order, from the rows' `sort` (text: the
    stage's position, Salesforce's `SortOrder`), as amoCRM's `sort` and Bitrix24's `SORT`
    give it; None when no row has a number there. Only the stages deals work in
    (`stage_row`): won and lost close a deal and are in no order, as in those CRMs. A
    stage written with several positions (its stages reordered in the CRM while the
    history was written, or a cell typed over in a spreadsheet) takes the one most of
    its rows carry, the lower one on a tie; stages of one position keep the order they
    first appear in."""
    pos = (rows.filter(pl.col("stage_row"))
           .with_columns(sort=pl.col("sort").str.replace(",", ".")
                         .cast(pl.Float64, strict=False))
           .filter(pl.col("sort").is_not_null() & pl.col("sort").is_finite()
                   & pl.col("stage").is_not_null()))
    if pos.height == 0:
        return None
    per = (pos.group_by("pipeline", "stage", "sort")
           .agg(n=pl.len(), line=pl.col("line").min())
           .sort(["pipeline", "stage", "n", "sort"], descending=[False, False, True, False])
           .group_by("pipeline", "stage", maintain_order=True)
           .agg(pl.col("sort").first(), pl.col("line").min())
           .sort(["pipeline", "sort", "line"]))
    cat = Catalog()
    for pipeline, stage, _, _ in per.iter_rows():
        cat.add(pipeline, stage)
    return cat


def _whole_deals(df: pl.DataFrame, path: str, dq: DataQuality) -> pl.DataFrame:
    """A deal list read deal by deal keeps a row's close only with its entry: a creation
    date that did not parse (31.02.2026) left the close, a deal won without entering
    (`undated_stage`, as a row without its creation date is); a close before the
    creation would be a negative time in work (`closed_before_created`). Such rows are
    left out whole, each counted with its first line."""
    entry = df.filter(pl.col("slot") == 0).select("line", created="ts")
    closes = df.filter(pl.col("slot") > 0).join(entry, on="line", how="left")
    # (reason, its rows, events a row loses here: the close; the entry and the close)
    for reason, bad, events in (
            ("undated_stage", closes.filter(pl.col("created").is_null()), 1),
            ("closed_before_created", closes.filter(pl.col("ts") < pl.col("created")), 2)):
        if bad.height:
            dq.drop(reason, events * bad.height, where=f"{path}:{bad.sort('line')['line'][0]}")
            df = df.filter(~pl.col("line").is_in(bad["line"].implode()))
    return df


def _kind(kindcol: pl.Expr, stage: pl.Expr) -> pl.Expr:
    """What a row is (`WON`, `LOST`, `STAGE`): its `kind` column when that says it, else
    its stage's name (`WON_NAMES`, `LOST_NAMES`). Any other word in the column (a `type`
    of «B2B», «B2C») is no kind: the stage's name says it; it made every win and loss a
    stage, unseen."""
    kc, low = kindcol.str.to_lowercase(), stage.str.to_lowercase()
    return (pl.when(kc.is_in(["won", "win", "s"])).then(pl.lit(WON))
            .when(kc.is_in(["lost", "lose", "f"])).then(pl.lit(LOST))
            .when(kc.is_in(["stage", "p", "move", "moved"])).then(pl.lit(STAGE))
            .when(low.is_in(list(WON_NAMES))).then(pl.lit(WON))
            .when(low.is_in(list(LOST_NAMES))).then(pl.lit(LOST))
            .otherwise(pl.lit(STAGE)))


def _deal_list_rows(raw: pl.DataFrame, listed: DealListColumns, cols: dict[str, str],
                    path: str, dq: DataQuality, whole: bool = False) -> pl.DataFrame:
    """A deal list's rows as the long table (`deal_list.long_rows`); a row with cells
    beyond the header's is dropped with its line first, as a history's row is. `whole`:
    read deal by deal (`deal_list.deal_level_columns`): an open deal is in the one stage,
    whatever its current stage, and a deal without its creation date is left out whole
    (`undated_stage`), as a deal whose place has no date is."""
    line = pl.col(LINE) if LINE in raw.columns else pl.int_range(pl.len(), dtype=pl.Int64) + 2
    raw = raw.with_columns(line.alias(LINE))
    if EXTRA in raw.columns:
        shifted = raw.filter(pl.col(EXTRA).is_not_null())
        if shifted.height:
            dq.drop("extra_fields", shifted.height, where=f"{path}:{shifted[LINE][0]}")
            raw = raw.filter(pl.col(EXTRA).is_null())
    kind = _kind(pl.col(cols["kind"]).str.strip_chars() if "kind" in cols
                 else pl.lit(None, pl.Utf8), pl.col(cols["stage"]).str.strip_chars())
    outcome = pl.when(kind != STAGE).then(kind)
    if whole:
        created = listed.entered[0]
        nameless = raw.filter(pl.col(created.column).str.strip_chars().replace("", None)
                              .is_null())
        if nameless.height:
            dq.drop("undated_stage", nameless.height, where=f"{path}:{nameless[LINE][0]}")
            raw = raw.filter(pl.col(created.column).str.strip_chars().replace("", None)
                             .is_not_null())
        raw = raw.with_columns(pl.when(kind == STAGE).then(pl.lit(created.stage))
                               .otherwise(pl.col(cols["stage"])).alias(cols["stage"]))
    return long_rows(raw, listed, cols, outcome, pl.col(LINE), path, dq,
                     WON_NAMES | LOST_NAMES).rename({"line": LINE})


def _cut_in_a_cell(df: pl.DataFrame, last_line: int, tz: str, order: SlashOrder | None
                   ) -> bool:
    """True when the last row of a file that ends mid-line has an amount, a pick-up or a
    last-activity time that does not read: the download was cut in that cell («…,20» for
    a date). Those cells are read around, as unknown, in any other row."""
    row = df.filter(pl.col("line") == last_line)
    if row.height != 1:
        return False
    for name in ("p", "la"):
        if name in row.columns and row[name][0] is not None \
                and parse_timestamps(row[name], tz, order).ts[0] is None:
            return True
    value = row["value"]
    return value[0] is not None and bool(parse_amounts(value).is_nan()[0])


def _with_last_activity(df: pl.DataFrame, tz: str, order: SlashOrder | None) -> pl.DataFrame:
    """Column `la` (the deal's last activity, text) parsed into `last_activity`; one
    that does not parse is unknown (it only segments the graveyard)."""
    return df.with_columns(last_activity=_parse_times(df["la"], tz, order).ts).drop("la")


def _with_picked(df: pl.DataFrame, tz: str, path: str, dq: DataQuality,
                 order: SlashOrder | None) -> pl.DataFrame:
    """Column `p` (pick-up time text) parsed into `picked`. A pick-up time that does not
    parse, or comes before the row's own time, is no reason to lose the stage entry: it
    is counted (`bad_pick_up_times`, with its line) and read as unknown. So is a zone-less
    one the clocks skipped in `tz`, under a name of its own (`skipped_local_time`: it is
    readable, it just does not exist there); one they repeat is read as the first and
    counted as `ambiguous_local_times`, as the rows' own times are."""
    if df["p"].null_count() == df.height:
        return df.drop("p").with_columns(picked=pl.lit(None, pl.Datetime("us", "UTC")))
    parsed = _parse_times(df["p"], tz, order)
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


def _slash_order(df: pl.DataFrame, path: str, dq: DataQuality) -> SlashOrder | None:
    """How the file's `A/B/YYYY` times read, from the times themselves; a file whose
    slash dates could all be either (no number above 12), or that writes both, is
    refused: a history read with days and months swapped looks like a real one. Where
    such dates are under half of the times, they are left unread (dropped as
    `bad_timestamp` with their line) rather than the file refused. The order read is
    noted with the value that settles it (`slash_dates`): `03/04/2026` is 4 March in
    an American file, 3 April in a European one, and the reader is told which."""
    found = slash_date_order(df["t"])
    if found.order is not None and found.settled_by is not None:
        dq.notes.append(QualityNote(
            "slash_dates", f"{path}:{df['line'][found.settled_by]}",
            slash=(found.order, str(df["t"][found.settled_by]))))
    if found.count == 0 or found.order is not None:
        return found.order
    if 2 * found.count < df.height - df["t"].null_count():
        return None  # a few odd rows in a file of other dates: dropped with their line
    lines = df["line"]
    times = df["t"]
    assert found.first is not None
    if found.other is None:
        raise HistoryDataError(
            f"{path}:{lines[found.first]}: `{times[found.first]}`: no date of the file "
            "tells whether it is day/month/year or month/day/year (every number before the "
            "year is 12 or less)",
            "save the dates as YYYY-MM-DD or DD.MM.YYYY (in Excel: Format Cells → Date, or "
            "the locale Russian/Ukrainian), then read the file again")
    raise HistoryDataError(
        f"{path}:{lines[found.first]}: `{times[found.first]}` is day/month/year, but "
        f"{path}:{lines[found.other]}: `{times[found.other]}` is month/day/year",
        "save the dates as YYYY-MM-DD or DD.MM.YYYY, then read the file again")


def _without_blank_and_totals(raw: pl.DataFrame, cols: dict[str, str], path: str,
                              dq: DataQuality) -> pl.DataFrame:
    """The rows that can be records: not every cell empty (Excel leaves such rows below
    a table), and not a totals row — one without a time whose first cell, or deal,
    pipeline or stage cell, says «Итого», «Разом», "Total" …. A totals row is counted
    (`totals_rows`, with its line) but is no record; an empty one is skipped silently:
    it holds nothing. Both have no time,
    so only the rows without one are looked at."""
    text = [c for c in raw.columns if c not in (LINE, EXTRA)]
    if not text:
        return raw

    def empty(c: str) -> pl.Expr:
        return pl.col(c).str.strip_chars().replace("", None).is_null()

    no_time = raw.select(empty(cols["ts"]) if "ts" in cols else pl.lit(True, pl.Boolean)
                         ).to_series()
    if not no_time.any():
        return raw
    numbered = raw.with_row_index("\x00row")
    if LINE not in raw.columns:
        numbered = numbered.with_columns(pl.col("\x00row").cast(pl.Int64).add(2).alias(LINE))
    labels = {text[0], *(cols[k] for k in ("deal_id", "pipeline", "stage") if k in cols)}
    word = pl.any_horizontal(
        pl.col(c).str.strip_chars().str.strip_chars_end(":.").str.to_lowercase()
        .is_in(list(TOTALS_WORDS)).fill_null(False) for c in labels)
    extra = pl.col(EXTRA).is_null() if EXTRA in raw.columns else pl.lit(True)
    marks = numbered.filter(no_time).select(
        "\x00row", LINE, blank=pl.all_horizontal([empty(c) for c in text]) & extra,
        totals=word)
    gone = marks.filter(pl.col("blank") | pl.col("totals"))
    if gone.height == 0:
        return raw
    totals = gone.filter(pl.col("totals") & ~pl.col("blank"))[LINE]
    if len(totals):
        dq.count("totals_rows", len(totals), where=f"{path}:{totals[0]}")
    keep = ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(gone["\x00row"].implode())
    return raw.filter(keep)


_SIGNS = r"(?i)(?:₽|₴|\$|€|£|(?:руб|грн|uah|rub|rur|usd|eur|gbp)\.?|\bр\.|\bгр\.)"
"""A currency's sign or code anywhere in an amount cell, written apart or not
(«12500руб», «5000грн.», `300USD`, `USD300`), and (`_END_SIGN`, once the spaces are
gone) «р»/«гр» at its end («12500р.»): what is left is a number or is counted as
`bad_values`, so a code read inside a word only ever leaves a word that is no number."""
_END_SIGN = r"(?i)г?р\.?$"
_GROUPED = r"^-?[1-9]\d{0,2}(?:[.,]\d{3})+$"


def parse_amounts(values: pl.Series) -> pl.Series:
    """Amounts as spreadsheets write them, as numbers: `1 234,50` (spaces, NBSPs, thin
    spaces, apostrophes group thousands), `1234.5`, `12 345 ₽`, `₴ 5 000`, `1 234 грн.`,
    `1,234.50` and `1.234,50` (the last mark is the decimal one). A lone mark followed
    by exactly three digits groups thousands (`1,234` and `1.234` are 1234: an amount
    has at most two decimals), any other lone mark is decimal (`1234,5`). Empty and a
    dash (`—`, `-`) are no value (null); anything else that is no number is NaN, so
    that the caller can count it."""
    if values.dtype != pl.Utf8:
        return values.cast(pl.Float64, strict=False)
    fast = values.cast(pl.Float64, strict=False)
    if fast.null_count() == values.null_count() and not values.str.contains(
            _GROUPED).any():
        return fast
    raw = pl.col("v")
    # Each step a column of its own: as one expression, the cell without its signs was
    # worked out again at every use (fourteen regex passes over a million cells).
    frame = pl.DataFrame({"v": values}).with_columns(
        s=raw.str.replace_all(_SIGNS, "").str.replace_all(r"[\s\u00a0\u202f\u2009'’]", "")
        .str.replace(_END_SIGN, ""))
    s = pl.col("s")
    both = s.str.contains(r"\.") & s.str.contains(",")
    dot_last = s.str.contains(r",\d*\.\d*$")
    frame = frame.select(number=(
        pl.when(raw.is_null() | raw.str.contains(r"^[-—–‒−]?$")).then(pl.lit(None, pl.Utf8))
        .when(both & dot_last).then(s.str.replace_all(",", ""))
        .when(both).then(s.str.replace_all(r"\.", "").str.replace(",", "."))
        .when(s.str.contains(_GROUPED)).then(s.str.replace_all(r"[.,]", ""))
        .otherwise(s.str.replace(",", "."))))
    number = pl.col("number")
    parsed = number.cast(pl.Float64, strict=False)
    return frame.select(
        pl.when(number.is_not_null() & parsed.is_null()).then(float("nan"))
        .otherwise(parsed).alias("value")).to_series()


CURRENCY_CODES: dict[str, str] = {
    "₽": "RUB", "руб": "RUB", "р": "RUB", "rub": "RUB", "rur": "RUB", "рубль": "RUB",
    "₴": "UAH", "грн": "UAH", "гр": "UAH", "uah": "UAH", "гривна": "UAH", "гривня": "UAH",
    "$": "USD", "usd": "USD", "us$": "USD", "€": "EUR", "eur": "EUR", "£": "GBP",
    "gbp": "GBP",
    # A currency column's full names (a CRM's spreadsheet export may write the name, not
    # the code): read as the code an amount's sign gives, or a rouble account's
    # «Российский рубль» would be another currency than its own RUB.
    "российский рубль": "RUB", "рубли": "RUB", "рублей": "RUB", "russian ruble": "RUB",
    "украинская гривна": "UAH", "українська гривня": "UAH", "ukrainian hryvnia": "UAH",
    "доллар": "USD", "доллар сша": "USD", "долар": "USD", "долар сша": "USD",
    "us dollar": "USD", "евро": "EUR", "євро": "EUR", "euro": "EUR",
    "фунт стерлингов": "GBP", "фунт стерлінгів": "GBP", "pound sterling": "GBP",
    "белорусский рубль": "BYN", "тенге": "KZT", "казахстанский тенге": "KZT"}
"""The signs and words an amount or a currency cell writes, lower case without a final
dot, as ISO 4217 codes: «$1,000.00», «12 500 грн», «1 234 р.», «€ 2 000», `USD 300`,
«Доллар США»."""
_MARKED = r"[^\d\s.,\-\u00a0\u202f\u2009'’]"
"""A cell with anything but digits, marks and spaces: only such a cell can name a currency."""
_CELL_SIGN = r"(?i)(₽|₴|\$|€|£|руб|грн|uah|rub|rur|usd|eur|gbp|\bр\.|\bгр\.|(?:р|гр)\.?\s*$)"


def _code(sign: pl.Expr) -> pl.Expr:
    return sign.str.strip_chars(". ").str.to_lowercase().replace_strict(
        list(CURRENCY_CODES), list(CURRENCY_CODES.values()), default=None,
        return_dtype=pl.Utf8)


def header_currency(column: str) -> str | None:
    """The currency a column's name gives its cells («Сумма, руб.», «Сума (₴)», "Amount,
    USD"), or None."""
    name = re.sub(r"\s+", " ", column.strip().strip('"').strip().lower())
    unit = _UNIT.search(name)
    found = re.search(_CELL_SIGN, unit.group(0)) if unit else None
    return CURRENCY_CODES.get(found.group(0).strip(". ").lower()) if found else None


def row_currency(amount: pl.Expr, column: pl.Expr | None, unit: str | None) -> pl.Expr:
    """Each row's currency: the sign or code in its amount cell, else its currency
    column's (a code, a sign or a currency's name; another word is kept as written, a
    currency of its own), else the amount column's unit (`header_currency`); null when
    none says it. The cell comes first: it is what the spreadsheet shows."""
    cell = _code(amount.str.extract(_CELL_SIGN, 1))
    parts = [cell]
    if column is not None:
        text = column.str.strip_chars()
        parts.append(pl.coalesce(
            _code(text), pl.when(text.str.contains(r"^[A-Za-z]{3}$")).then(text.str.to_uppercase()),
            text))
    parts.append(pl.lit(unit, pl.Utf8))
    return pl.when(amount.is_not_null()).then(pl.coalesce(parts))


def in_one_csv_currency(frames: list[pl.DataFrame], where: str, dq: DataQuality,
                        account: str | None = None) -> list[pl.DataFrame]:
    """The CSV events `frames` with their amounts in one currency
    (`deal_currency.in_one_currency`, no rates: a spreadsheet carries none), their
    `cur` columns dropped, and the note when the deals are priced in several. Read
    over every CSV input at once: two files, each in a currency of its own, are summed
    together as one currency would be. `account`: the account's currency
    (`deal_currency.in_one_currency`'s `prefer`)."""
    from .deal_currency import in_one_currency

    marked = [f for f in frames if "cur" in f.columns]
    if not marked:
        return frames
    value = pl.col("value")
    deals = pl.concat([f.select("deal_id", "cur", "value") for f in marked]).filter(
        value.is_not_null() & (value != 0) & pl.col("cur").is_not_null()
    ).unique(["deal_id", "cur"])
    one, converted = in_one_currency(value, "cur", deals, None, "csv", account)
    if converted is not None:
        dq.notes.append(QualityNote("currencies", where, currencies=converted))
    return [f.with_columns(value=one).drop("cur") if "cur" in f.columns else f
            for f in frames]
