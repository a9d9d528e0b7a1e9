"""Inputs → one event table: detect each file's format by its content, hand every
document to the reader that knows it, then normalise (`events.normalize`).

A folder stands for the `.json`, `.jsonl`, `.ndjson`, `.csv` and `.txt` files in it (a
download of 10 000 API pages is a folder). Formats are recognised by shape, not by
file name: amoCRM documents have `_embedded.events|leads|pipelines`, Bitrix24 ones a
`result`, a CSV has deal/stage headers, simulator records a `rep,deal_id,…` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import polars as pl

from .deal_records import covers, entries_without_history, with_records
from .errors import HistoryDataError, HistoryInputError
from .events import Catalog, normalize
from .jsonpages import JsonNestingError, read_documents
from .quality import DataQuality
from .read_amocrm import AmoCollector, is_amocrm
from .read_bitrix24 import BitrixCollector, is_bitrix24
from .read_csv import (
    CsvTable,
    batches_to_owners,
    csv_deal_records,
    csv_events,
    csv_header_line,
    deal_table,
    header_map,
    in_one_csv_currency,
    looks_like_csv,
    read_csv_table,
    split_header,
)
from .read_records import looks_like_records, read_records_text, records_events, records_table
from .timeparse import TimeBounds

__all__ = ["History", "HistoryInputError", "HistoryDataError", "load_history", "history_of_records",
           "expand_inputs"]

SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".txt", ".tsv")


@dataclass(frozen=True)
class Origin:
    """Which input the events with `seq` in [first, end) came from, and how a `seq`
    turns back into a place in it."""

    first: int
    end: int
    path: str
    unit: Literal["line", "record", "file"]
    """`line`: seq = first + line of a CSV × `per` (+ the event's slot in its row, in a
    deal list); `record`: two seqs per simulator record (the entry and the close), after
    the header line; `file`: JSON pages, no finer place."""
    per: int = 1

    def place(self, seq: int) -> str:
        if self.unit == "line":
            return f"{self.path}:{(seq - self.first) // self.per}"
        if self.unit == "record":
            return f"{self.path}:{(seq - self.first) // 2 + 2}"
        return self.path


@dataclass
class History:
    events: pl.DataFrame
    catalog: Catalog
    quality: DataQuality
    tz: str = "UTC"
    formats: set[str] = field(default_factory=set)
    origins: list[Origin] = field(default_factory=list)
    touches: pl.DataFrame | None = None
    """Each deal's completed activities (deal_id, at UTC) where the export lists them
    (Bitrix24 `crm.activity.list`; amoCRM's calls, messages and completed tasks, the
    touches `picked` reads), else None."""
    written: pl.DataFrame | None = None
    """Deal attributes a later row wrote (deal_id, column, since: `events._first_written`),
    spread back onto the deal's earlier rows: a cut reads them as unknown before `since`
    (`events.known_at`). None when no attribute was written late."""

    def place(self, seq: int) -> str | None:
        """The input (and line, where the format has lines) an event's `seq` came from."""
        return _place(self.origins, seq)


def expand_inputs(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
            if not files:
                raise HistoryInputError(f"{p}: folder holds no .json/.jsonl/.csv files")
            out.extend(files)
        elif path.is_file():
            out.append(path)
        else:
            raise HistoryInputError(f"{p}: no such file or folder")
    return out


KNOWN_FORMATS = ("amoCRM events/leads/pipelines JSON, Bitrix24 crm.stagehistory.list/"
                 "crm.status.list JSON, CSV with deal and stage columns, or `funnelc "
                 "simulate --records` CSV")
"""The history formats funnelc reads, as the messages of a file of another kind list them."""
NO_FORMAT_HINT = ("save the deals' stage history from the CRM in one of these; a CSV from a "
                  "spreadsheet needs a deal and a stage column (docs/history.md, «CSV from a "
                  "spreadsheet»)")

_BINARY_BYTES = bytes([*range(0, 9), *range(14, 32)])
"""Control bytes text never holds (tab, line ends and form feed apart): more than 1 % of
a file's first 4 KB (and more than four) and it is binary, not text with a stray NUL."""


def _read_utf8(path: Path, dq: DataQuality) -> bytes:
    """The file as UTF-8 bytes with LF line ends. Bytes, not text: polars parses bytes in
    place, while a `str` costs two to four bytes a character and `io.StringIO` copies it
    again (on a 76 MB CSV that was 450 MB of the command's peak)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HistoryInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's «Unicode text» (UTF-16 with its BOM, tab-separated): text, not binary.
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryDataError(f"{path}: byte {exc.start}: not readable as UTF-16 "
                                   "although the file starts as UTF-16",
                                   "save the table again as CSV UTF-8") from None
    if data.startswith(b"PK\x03\x04") and path.suffix.lower() not in (".xlsx", ".xlsm",
                                                                     ".ods"):
        raise HistoryDataError(f"{path}: a ZIP archive, not JSON or CSV",
                               "unpack it and give the files, or the folder they are in")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise HistoryDataError(
            f"{path}: a spreadsheet workbook (Excel .xlsx/.xls or LibreOffice .ods), not CSV",
            "save the sheet as CSV: Excel «CSV UTF-8», LibreOffice «Text CSV» with UTF-8, "
            "Google Sheets «Download → CSV»")
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:4096]
        control = sum(head.count(bytes([c])) for c in _BINARY_BYTES)
        if control * 100 > len(head) and control > 4:
            raise HistoryDataError(f"{path}: a binary file, not JSON or CSV",
                                   f"funnelc reads {KNOWN_FORMATS}")
        # Text with a stray NUL (a cut copy, an editor's slip): refused with its place,
        # where a NUL in the first 4 KB called the file binary (exit 2, no place) and
        # one further down was read into a stage's name.
        before = data[:nul].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise HistoryDataError(f"{path}:{line}:{column}: a NUL byte (\\0) in the text, "
                               "which no CSV or JSON export holds",
                               "remove the NUL bytes (e.g. tr -d '\\000' < old > new) and "
                               "check the rows around them")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        dq.note("windows_1251", str(path))
        data = data.decode("cp1251", errors="replace").encode("utf-8")
    if b"\r" in data:
        # Windows (CR LF) and old Mac (CR alone) line ends: every reader splits on LF.
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def _first_line(data: bytes) -> str:
    end = data.find(b"\n")
    return data[: end if end >= 0 else len(data)].decode("utf-8", errors="replace")


def _line_col(text: str, at: int) -> str:
    line = text.count("\n", 0, at) + 1
    return f"{line}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"


@dataclass
class _Reading:
    """What reading the inputs gathers, file by file."""

    tz: str
    bounds: TimeBounds
    records_start: date | None
    record_sources: dict[tuple[str, str], str] | None
    dq: DataQuality = field(default_factory=DataQuality)
    currency: str | None = None
    """The account's currency: a CSV's amounts are read in it (`in_one_csv_currency`)."""
    amo: AmoCollector = field(default_factory=AmoCollector)
    bx: BitrixCollector = field(default_factory=BitrixCollector)
    frames: list[pl.DataFrame] = field(default_factory=list)
    formats: set[str] = field(default_factory=set)
    held: list[str] = field(default_factory=list)
    """Why a file gave no rows, for the message when no file gave any."""
    seq: int = 0
    origins: list[Origin] = field(default_factory=list)
    json_files: list[str] = field(default_factory=list)
    catalog: Catalog = field(default_factory=Catalog)
    """The CRM's order of stages a CSV carries (`read_csv.crm_order`)."""
    csv_frames: list[int] = field(default_factory=list)
    """Which of `frames` are a CSV's stage history (the deal tables' join reads them)."""
    deal_tables: list[tuple[CsvTable, int]] = field(default_factory=list)
    """CSV deal lists read deal by deal alone (`read_csv.deal_table`), each with its
    first `seq`: read after every input, as the records of a history's deals where one
    holds them (`_read_deal_tables`)."""


def _read_file(path: Path, r: _Reading) -> None:
    """One input into `r`. A function of its own so that the file's bytes and text are
    freed when it returns, not held through the next file and the analysis."""
    dq = r.dq
    data = _read_utf8(path, dq)
    name = str(path)
    first = _first_line(data)
    head = data.lstrip(b"\xef\xbb\xbf \t\n")[:1].decode("ascii", errors="replace")
    if looks_like_records(first):
        from ..sim import DEFAULT_START

        _add_records(read_records_text(data, dq, r.seq, r.records_start or DEFAULT_START,
                                       r.record_sources), name, r)
    elif head in ("{", "["):
        text = data.decode("utf-8")
        del data  # the text alone is enough from here on
        try:
            docs, cut = read_documents(text)
        except JsonNestingError as exc:
            raise HistoryDataError(
                f"{name}:{_line_col(text, exc.at)}: JSON nested more than {exc.limit} "
                "levels deep; no CRM export is: is this the right file?") from None
        if cut is not None:
            # A place as every other is given, `file:line:col`: «(byte 383381 of
            # 383453)» was English in a Russian table.
            dq.count("truncated_files", where=f"{name}:{_line_col(text, cut.at)}")
            if cut.partial:
                dq.rows_read += 1
                dq.drop("truncated", where=name)
        n = 0
        for i, doc in enumerate(_flatten(docs)):
            n += _dispatch(doc, f"{name} page {i + 1}", r.amo, r.bx, dq, r.formats)
        if not n:
            r.held.append(f"{name}: JSON without amoCRM or Bitrix24 records")
        else:
            r.json_files.append(name)
        dq.files.append((name, "/".join(sorted(r.formats & {"amocrm", "bitrix24"})) or "json",
                         n))
    elif (skip := 0 if looks_like_csv(first) else csv_header_line(data)) is not None:
        before = dq.rows_read
        table = read_csv_table(data, name, dq, skip)
        lines = data.count(b"\n")
        del data  # parsed: free the bytes before the columns are interpreted
        if deal_table(table) is not None:
            # A deal list: the records of a history's deals if another input holds them,
            # which may come later (`_read_deal_tables`). Two events a row at most.
            span = (2 * lines + 4) * 2
            r.deal_tables.append((table, r.seq))
            r.origins.append(Origin(r.seq, r.seq + span, name, "line", 2))
            r.seq += span
            r.formats.add("csv")
            return
        f = csv_events(table, dq, r.seq, r.tz, r.bounds)
        if table.catalog is not None:
            r.catalog.merge(table.catalog)
        if dq.rows_read == before:
            r.held.append(f"{name}: a CSV header and no rows")
        r.csv_frames.append(len(r.frames))
        r.frames.append(f)
        span = (f.height + 2 + lines) * table.per
        r.origins.append(Origin(r.seq, r.seq + span, name, "line", table.per))
        r.seq += span
        dq.files.append((name, "csv", f.height))
        r.formats.add("csv")
    elif not data.decode("utf-8").strip():
        dq.note("empty_file", name)
        dq.files.append((name, "empty", 0))
        r.held.append(f"{name}: an empty file")
    else:
        text = data[:4096].decode("utf-8", errors="replace")
        funnel = name.endswith(".funnel") or re.search(
            r'^\s*(pipeline|source|account|team|field)\s+"', text, re.MULTILINE) is not None
        # A file of no shape funnelc reads is a problem in the input (exit 1, with the
        # formats it does read); a funnel file given as the history is the command line
        # at fault, as `fit deals.csv my.funnel`'s missing `--funnel` is (exit 2).
        error = HistoryInputError if funnel else HistoryDataError
        raise error(
            f"{name}: not a known history format ({KNOWN_FORMATS})",
            hint="this is a funnel file: give it with `--funnel` (history, fit, forecast) "
                 "or first (`funnelc audit FILE.funnel HISTORY...`)" if funnel
            else _csv_hint(first) or NO_FORMAT_HINT)


def _add_records(f: pl.DataFrame, name: str, r: _Reading) -> None:
    r.frames.append(f)
    r.origins.append(Origin(r.seq, r.seq + 2 * f.height + 2, name, "record"))
    r.seq += 2 * f.height + 2
    r.dq.files.append((name, "simulator records", f.height))
    r.formats.add("records")


def _csv_hint(first: str) -> str | None:
    """For a table whose header names no deal or no stage column, which of the two it
    lacks and what it has: the user's columns, not a list of formats. Excel's «CSV
    UTF-8» starts with a byte-order mark: not part of the first name («\ufeffOppID» was
    quoted with it, an invisible character in the user's column)."""
    names = split_header(first.removeprefix("\ufeff"))
    if len(names) < 2:
        return None
    found = header_map(names)
    missing = [what for key, what in (("deal_id", "deal"), ("stage", "stage"))
               if key not in found]
    have = ", ".join(f"«{n.strip()}»" for n in names[:12])
    return (f"a table with no {' and no '.join(missing)} column among {have}: call them "
            "`deal_id` / «Сделка» / «Угода» and `stage` / «Этап» / «Етап» "
            "(docs/history.md, «CSV from a spreadsheet», lists every name read)")


def load_history(paths: list[str], tz: str = "UTC", records_start: date | None = None,
                 record_sources: dict[tuple[str, str], str] | None = None,
                 bounds: TimeBounds | None = None, loss_field: str | None = None,
                 currency: str | None = None) -> History:
    """Every input read into one event table. Raises `HistoryInputError` for an input
    that is no history at all, `HistoryDataError` for one whose content cannot be used
    (too deeply nested, not one row of history in any input). `loss_field`: the Bitrix24
    deal userfield that holds the loss reason (`--loss-field`), instead of the one whose
    label says so. `currency`: the account's, which the amounts of a CSV that names
    their currency and of Bitrix24's deals are read in (`deal_currency.in_one_currency`)."""
    r = _Reading(tz, bounds or TimeBounds.default(), records_start, record_sources,
                 dq=DataQuality(tz=tz), currency=currency)
    r.bx.loss_field = loss_field
    r.bx.currency = currency
    for path in expand_inputs(paths):
        _read_file(path, r)
    _read_deal_tables(r)
    if loss_field is not None and not r.bx.deals:
        raise HistoryInputError(
            f"--loss-field {loss_field}: the inputs hold no Bitrix24 deal list to read it from",
            'give crm.deal.list saved with select ["*", "UF_*"] (amoCRM keeps its own loss '
            "reason, read without the option)")
    return _assemble(r)


def _read_deal_tables(r: _Reading) -> None:
    """Each CSV deal list (`r.deal_tables`): where the CSV histories hold most of its
    deals, their records (`deal_records`: manager, value, source, client; its deals with
    no history row enter their current stage at their creation); else read as it is
    alone, deal by deal or refused (`read_csv.csv_events`)."""
    dq = r.dq
    for table, seq0 in r.deal_tables:
        listed = deal_table(table)
        assert listed is not None
        ids = pl.concat([r.frames[i]["deal_id"] for i in r.csv_frames]) if r.csv_frames \
            else pl.Series("deal_id", [], pl.Utf8)
        records = csv_deal_records(table, listed, dq, r.tz)
        if covers(ids, records):
            table.frame = None
            for i in r.csv_frames:
                r.frames[i] = with_records(r.frames[i], records)
            f = entries_without_history(records, ids, seq0, 2, table.path, dq)
        else:
            before = dq.rows_read
            f = csv_events(table, dq, seq0, r.tz, r.bounds)
            if dq.rows_read == before:
                r.held.append(f"{table.path}: a CSV header and no rows")
        r.frames.append(f)
        dq.files.append((table.path, "csv", records.height))


def _assemble(r: _Reading) -> History:
    """The events of every input read into `r`, as one history."""
    tz = r.tz
    dq, frames = r.dq, r.frames
    catalog = r.catalog
    if r.amo.seen_any or r.bx.seen_any:
        first = r.seq
        if r.amo.seen_any:
            f = r.amo.build(dq, r.seq, r.bounds)
            r.seq += f.height + 1
            frames.append(f)
            catalog.merge(r.amo.catalog())
        if r.bx.seen_any:
            f = r.bx.build(dq, r.seq, tz, r.bounds)
            r.seq += f.height + 1
            frames.append(f)
            catalog.merge(r.bx.catalog())
        # The readers number their events from `first` on, not always densely: the
        # pages own every seq from there.
        r.origins.append(Origin(first, 2**62, ", ".join(r.json_files), "file"))
    if dq.rows_read == 0:
        what = "; ".join(r.held) or (", ".join(name for name, _, _ in dq.files)
                                     + ": names of pipelines and stages, but no stage changes")
        raise HistoryDataError(
            f"no history to read: {what}",
            "give the stage-change export too (amoCRM events or leads, Bitrix24 "
            "crm.stagehistory.list, or a CSV with one row per deal entering a stage)")
    csv_names = [name for name, kind, _ in dq.files if kind == "csv"]
    frames[:] = in_one_csv_currency(frames, ", ".join(csv_names), dq, r.currency)
    written: list[pl.DataFrame] = []
    events = normalize(frames, dq, lambda seq: _place(r.origins, seq), written)
    frames.clear()
    csv = [(o.first, o.end) for o in r.origins if o.unit == "line"]
    if csv:
        seq = pl.col("seq")
        events = batches_to_owners(events, pl.any_horizontal(
            [(seq >= a) & (seq < b) for a, b in csv]), tz)
    touch = [f for f in (r.amo.touch_frame() if r.amo.seen_any else None,
                         r.bx.touch_frame(tz) if r.bx.seen_any else None) if f is not None]
    return History(events, catalog, dq, tz, r.formats, r.origins,
                   pl.concat(touch) if touch else None,
                   pl.concat(written) if written else None)


def history_of_records(rows: list[tuple[object, ...]], start: date, name: str,
                       record_sources: dict[tuple[str, str], str] | None = None) -> History:
    """A simulation's record rows (`read_records.records_table`) read as `load_history`
    reads the same records from their CSV file, in UTC: the same events, without the
    file. `name` stands for the file in the data-quality notes."""
    r = _Reading("UTC", TimeBounds.default(), start, record_sources, dq=DataQuality(tz="UTC"))
    _add_records(records_events(records_table(rows), r.dq, r.seq, start, record_sources),
                 name, r)
    return _assemble(r)


def _place(origins: list[Origin], seq: int) -> str | None:
    for o in origins:
        if o.first <= seq < o.end:
            return o.place(seq)
    return None


def _flatten(docs: list[Any]) -> list[Any]:
    """A JSON array of pages is pages; an array of bare records stays one document."""
    out: list[Any] = []
    for d in docs:
        if isinstance(d, list) and d and all(isinstance(x, dict) and (
                is_amocrm(x) in ("events", "leads", "pipelines", "statuses", "loss_reasons")
                or (is_bitrix24(x) is not None and "result" in x)) for x in d[:3]):
            out.extend(d)
        else:
            out.append(d)
    return out


def _dispatch(doc: Any, where: str, amo: AmoCollector, bx: BitrixCollector, dq: DataQuality,
              formats: set[str], depth: int = 0) -> int:
    """Hand one document to its reader; a list of bare records goes item by item (lists
    of lists, as far as an export nests them, which is not far)."""
    if isinstance(doc, dict) and "_embedded" in doc and doc["_embedded"] and not isinstance(
            doc["_embedded"], dict):
        raise HistoryDataError(
            f"{where}: `_embedded` is {_describe(doc['_embedded'])}; amoCRM pages hold an "
            "object there (`_embedded.events`, `.leads` or `.pipelines`)",
            "save the API answer as it came")
    kind = is_amocrm(doc)
    if kind is not None:
        amo.add(kind, doc, where, dq)
        formats.add("amocrm")
        return 1
    kind = is_bitrix24(doc)
    if kind is not None:
        if kind != "empty":
            bx.add(kind, doc, where, dq)
        formats.add("bitrix24")
        return 1
    if isinstance(doc, list) and depth < 4:
        n = 0
        for i, item in enumerate(doc):
            n += _dispatch(item, f"{where} item {i + 1}", amo, bx, dq, formats, depth + 1)
        return n
    if isinstance(doc, dict) and "_embedded" in doc and not doc["_embedded"]:
        return 0  # an empty page
    dq.count("ambiguous_inputs", where=where)
    return 0


def _describe(value: Any) -> str:
    for kind, name in ((bool, "a boolean"), (str, "a string"), (list, "an array"),
                       (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return name
    return "null" if value is None else "an object"
