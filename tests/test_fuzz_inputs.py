"""Mutation fuzzing of the REAL exports through the CLI: the planted-story exports of
tests/data (amoCRM school, Bitrix24 clinic and furniture maker, the furniture maker's CSV
and the spreadsheet variants of csv_spreadsheets_uk), cut down to a few dozen deals each,
then mutated as downloads and hands spoil them: a JSON value's type changed (string,
number, null, list, object), a key deleted, a record duplicated, an array emptied, a
timestamp out of range (year 0, 9999, negative epoch, 1e20), an id huge or a float,
pagination fields that lie (`_page`, `next`, `total`, `_links`); bytes cut at random,
re-encoded (UTF-16, Windows-1251), a BOM or NULs in the middle; CSV without its header,
with extra or short rows, enormous fields and unknown stage names.

Each mutated export goes through one of `history`, `audit`, `fit` and `forecast` with an
output option, as a user would run them. Whatever the input, the command ends with exit
0, 1 or 2 (2 only for a file that is no history at all), never a traceback or an
"internal failure"; every `error:` line names its input file; an output is either whole
(JSON that parses) or absent; the inputs are left as they were.

`tests/test_input_surfaces.py` fuzzes the same readers with synthetic records; this file
starts from the real ones, so the mutants reach deep (names that match the funnel, months
of history, fits) before they break. Generated inputs per reader: `EXAMPLES` (derandomized);
FUNNELC_FUZZ_EXAMPLES=N runs N fresh random inputs per reader (a bug hunt).
"""

from __future__ import annotations

import codecs
import copy
import gzip
import json
import os
import random
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, IN_CI, PIPELINES, PLANTED, data_generator
from funnelc.cli import cli

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

HUNT = int(os.environ.get("FUNNELC_FUZZ_EXAMPLES") or 0)
EXAMPLES = HUNT or (20 if IN_CI else 40)
"""Per reader, through `history --format json`, `audit`, `fit` and `forecast` (0.1-1 s
each)."""
PLOTTED = max(2, EXAMPLES // 10)
"""Per reader, through `history -o`, which draws the plots (PNG and SVG, 1-3 s a run): one
mutant in ten besides the others, as many as the one draw in ten of `history -o` among
the kinds above was meant to give. Drawn as one of those kinds, it came out of
hypothesis's derandomized draws anywhere from none to seven times in twenty (7 × 3 s of
the furniture maker's 24 s). The plots are drawn from the analytics' tables alone
(`history.plots.draw_history_plots` reads `HistoryTables` and the audit), which every
other mutant computes too; these mutants are for the drawing itself. A spreadsheet's
mutants get twice as many: most of them are refused before any table (a header lost, a
cell over the CSV field limit), and the test holds that some mutants of every reader
reach the drawing."""
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not HUNT,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FUNNELS = {"amocrm": DATA / "amocrm_school" / "school.funnel",
           "clinic_b24_ru": DATA / "clinic_b24_ru" / "clinic.funnel",
           "furniture_uk": DATA / "furniture_uk" / "dubok.funnel",
           "csv": DATA / "furniture_uk" / "dubok.funnel",
           "spreadsheets": DATA / "csv_spreadsheets_uk" / "svitlo.funnel"}


# ------------------------------------------------------------------ the real samples

def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _jsonl(pages: list[Any]) -> bytes:
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages).encode("utf-8")


@cache
def samples() -> dict[str, dict[str, bytes]]:
    """Each export as {file name: bytes}, cut to a few dozen deals so a run takes a
    fraction of a second: the events of two pages (with their real pagination) and the
    leads or deals they name, the account's pipelines, statuses and users whole."""
    out: dict[str, dict[str, bytes]] = {}
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-real-") as tmp:
        root = Path(tmp)
        for folder, (writer, seed) in PLANTED.items():
            getattr(data_generator(folder), writer)(root / folder, seed)

        school = root / "amocrm_school"
        pages = _lines(school / "events.jsonl")[:2]
        for page in pages:
            page["_embedded"]["events"] = page["_embedded"]["events"][:15]
        ids = {e["entity_id"] for p in pages for e in p["_embedded"]["events"]}
        leads = _lines(school / "leads.jsonl")
        first = leads[0]
        first["_embedded"]["leads"] = [lead for p in leads for lead in p["_embedded"]["leads"]
                                       if lead["id"] in ids]
        out["amocrm"] = {"events.jsonl": _jsonl(pages), "leads.jsonl": _jsonl([first])}
        for name in ("pipelines.json", "loss_reasons.json", "users.json"):
            out["amocrm"][name] = (school / name).read_bytes()

        for folder in ("clinic_b24_ru", "furniture_uk"):
            b24 = root / folder / "bitrix24"
            history = _lines(b24 / "stagehistory.jsonl")[0]
            history["result"]["items"] = history["result"]["items"][:40]
            owners = {i["OWNER_ID"] for i in history["result"]["items"]}
            deals = _lines(b24 / "deals.jsonl")
            deal_page = deals[0]
            deal_page["result"] = [d for p in deals for d in p["result"] if d["ID"] in owners]
            out[folder] = {"stagehistory.jsonl": _jsonl([history]),
                           "deals.jsonl": _jsonl([deal_page])}
            for name in ("statuses.json", "categories.json", "userfields.json", "users.json"):
                out[folder][name] = (b24 / name).read_bytes()

        rows = (root / "furniture_uk" / "history.csv").read_bytes().splitlines(keepends=True)
        out["csv"] = {"history.csv": b"".join(rows[:60])}
    for name, data in data_generator("csv_spreadsheets_uk").variants().items():
        out[f"spreadsheets/{name}"] = {name: data}
    return out


def test_the_samples_are_clean() -> None:
    """Unmutated, every sample reads with exit 0: a failure of the fuzz tests below is
    then the mutation's, not the sample's. (`--format json`: the exit code is the
    reading's; the terminal's tables, half the time of a run, print what it read.)"""
    for name, files in samples().items():
        with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
            folder = Path(tmp) / "in"
            folder.mkdir()
            for file, data in files.items():
                (folder / file).write_bytes(data)
            res = invoke(["history", "--format", "json", str(folder)])
            assert res.exit_code == 0, (name, res.output)


# ------------------------------------------------------------------ regressions
# One test per defect the properties below found, with the input that showed it.

def test_a_history_of_wins_alone_has_a_funnel_shape(tmp_path: Path) -> None:
    """A deal list whose only record is a win (a Bitrix24 crm.deal.list without its
    stage history, or this CSV) entered no stage: the shape's share was null and the
    plot of `history -o` an internal failure (round(None))."""
    path = tmp_path / "won.csv"
    path.write_text("deal_id,timestamp,stage\n1,2024-01-01T10:00:00Z,won\n", encoding="utf-8")
    out = tmp_path / "out"
    res = invoke(["history", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    shape = json.loads((out / "history.json").read_text(encoding="utf-8"))["tables"]["shape"]
    assert shape == [{"pipeline": "", "stage": "won", "deals": 1, "pct_of_first": 100.0}]
    assert (out / "plots").is_dir()


def test_a_bitrix24_deal_list_of_a_won_deal_alone(tmp_path: Path) -> None:
    deal = {"ID": "5002", "DATE_CREATE": "2026-01-12T15:46:30+03:00", "CATEGORY_ID": "0",
            "STAGE_ID": "WON", "STAGE_SEMANTIC_ID": "S", "OPPORTUNITY": "83000.00"}
    path = tmp_path / "deals.json"
    path.write_text(json.dumps({"result": [deal]}), encoding="utf-8")
    res = invoke(["history", str(path), "-o", str(tmp_path / "out")])
    # An internal failure once; a deal list without its stage history is now refused
    # with its place (it holds each deal's stage now, not a history).
    assert res.exit_code == 1, res.output
    assert "internal failure" not in res.output
    assert (f"error: {path} page 1: a Bitrix24 deal list without crm.stagehistory.list"
            in " ".join(res.output.split()))
    assert not (tmp_path / "out").exists()


def test_a_cell_over_csv_field_limit_below_a_quoted_line_break(tmp_path: Path) -> None:
    """polars reads a 200,000-character cell; the count of physical lines (needed once a
    quoted value holds a line break) used Python's csv, whose field limit is 131,072:
    an uncaught `_csv.Error`. Now the row is named with its line."""
    path = tmp_path / "big.csv"
    path.write_text('deal_id;stage;time;note\n1;new;2026-11-02T10:00:00Z;"a\nb"\n2;'
                    + "x" * 200_000 + ";2026-11-02T10:00:00Z;\n", encoding="utf-8")
    res = invoke(["history", str(path)])
    assert res.exit_code == 1, res.output
    assert f"error: {path}:4: not readable as CSV: field larger than field limit" in res.output


def test_forecast_of_a_history_whose_every_row_was_dropped(tmp_path: Path) -> None:
    """Every row longer than the header (dropped as `extra_fields`): forecast said
    "Usage: … Error: the history holds no events", exit 2, with no file and no reason.
    It is a problem of the input: exit 1, the file, and the drops with their lines."""
    path = tmp_path / "h.csv"
    path.write_text("deal_id;stage;time\n101;Нова заявка;02.11.2026 10:00;x\n"
                    "101;Замір;03.11.2026 09:05;y\n", encoding="utf-8")
    res = invoke(["forecast", "--funnel", str(FUNNELS["spreadsheets"]), str(path),
                  "-o", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert f"error: {path}: the history holds no events: every row was dropped" in res.output
    assert f"(first at {path}:2)" in res.output
    assert not (tmp_path / "out").exists()


def test_backtest_of_a_history_whose_every_row_was_dropped(tmp_path: Path) -> None:
    """The same history as above under `fit --backtest 1`: "Invalid value for
    '--backtest': the history holds no events" (exit 2) blamed the option."""
    path = tmp_path / "h.csv"
    path.write_text("deal_id;stage;time\n101;Нова заявка;02.11.2026 10:00;x\n"
                    "101;Замір;03.11.2026 09:05;y\n", encoding="utf-8")
    out = tmp_path / "fitted.funnel"
    res = invoke(["fit", "--funnel", str(FUNNELS["spreadsheets"]), str(path), "--backtest",
                  "1", "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert f"error: {path}: the history holds no events: every row was dropped" in res.output
    assert f"(first at {path}:2)" in res.output and "--backtest" not in res.output
    assert not out.exists()


def test_amounts_beyond_any_deal_are_read_as_unknown(tmp_path: Path) -> None:
    """`1e308` in a value cell made the sums infinite: fit's report (round(inf)), the
    forecast (fsum overflow) and audit's tables were internal failures; `1e20` made
    Babel's rounding fail (28 digits). Such amounts (beyond 1e15, or not finite) are now
    read as unknown and counted with their place, as an amount that is no number is."""
    path = tmp_path / "money.csv"
    lines = ["deal_id,time,pipeline,stage,value,source"]
    for d, value in enumerate(["1e308", "9" * 400, "Infinity", "1e20", "58000"] * 4):
        lines += [f"{d},2026-01-{d + 1:02d}T10:00:00+02:00,Продажі,Нова заявка,{value},Сайт",
                  f"{d},2026-01-{d + 2:02d}T10:00:00+02:00,Продажі,Замір,{value},Сайт"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    funnel = str(FUNNELS["csv"])
    for args in (["history", str(path)], ["audit", funnel, str(path)],
                 ["fit", "--funnel", funnel, str(path), "--lang", "uk"],
                 ["forecast", "--funnel", funnel, str(path), "--reps", "3"]):
        res = invoke(args)
        assert res.exit_code == 0, (args, res.output[-3000:])
        if args[0] in ("history", "audit"):
            # 16 deals (4 values of 5, 20 deals), each on two rows: one amount a deal.
            assert ("read 16 amounts out of range (infinite or beyond 10¹⁵) as unknown "
                    f"(first at {path}:2)") in " ".join(res.output.split()), res.output[-3000:]
    # A won lead has its `closed_at` (leads without events are read deal by deal).
    lead = {"id": 1, "price": 1e300, "status_id": 142, "pipeline_id": 1,
            "created_at": 1_700_000_000, "closed_at": 1_700_086_400}
    amo = tmp_path / "leads.json"
    amo.write_text(json.dumps({"_embedded": {"leads": [lead]}}), encoding="utf-8")
    res = invoke(["history", "--format", "json", str(amo)])
    assert res.exit_code == 0, res.output
    counts = json.loads(res.stdout)["quality"]["counts"]
    assert counts["implausible_values"] == 1 and "bad_values" not in counts


def test_a_stray_nul_byte_is_located_wherever_it_is(tmp_path: Path) -> None:
    """One NUL in the first 4 KB of a CSV called it "a binary file, not JSON or CSV" (exit
    2, no place); one further down was read into the stage's name, silently. Now both are
    a problem in the input with its line and column; a real binary file stays binary."""
    rows = ["deal_id,timestamp,stage"] + [f"{d},2026-01-{d:02d}T10:00:00Z,Нова заявка"
                                          for d in range(1, 29)] * 6
    for line in (6, 150):
        data = "\n".join(rows).encode("utf-8").splitlines(keepends=True)
        data[line - 1] = data[line - 1].replace(b"\xd0\x9d", b"\x00\xd0\x9d", 1)
        path = tmp_path / f"nul{line}.csv"
        path.write_bytes(b"".join(data))
        res = invoke(["history", str(path)])
        assert res.exit_code == 1, res.output
        column = len(f"{rows[line - 1].split(',')[0]},2026-01-01T10:00:00Z,") + 1
        assert (f"error: {path}:{line}:{column}: a NUL byte (\\0) in the text"
                in res.output), res.output
    gz = tmp_path / "h.csv"
    gz.write_bytes(gzip.compress("\n".join(rows).encode("utf-8")))
    res = invoke(["history", str(gz)])
    assert res.exit_code == 1 and f"error: {gz}: a binary file, not JSON or CSV" in res.output


# ------------------------------------------------------------------ JSON mutations

TIMES: list[Any] = [0, -1, -62135596800, -2 ** 63, 253402300800, 1e20, 1e308, 10 ** 30,
                    1.5, "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+03:00",
                    "9999-12-31T23:59:59+03:00", "10000-01-01", "2026-02-30T10:00:00+03:00",
                    "2026-01-01T25:61:00Z", "1e20", "-1", "", "now", "2026-13-01"]
IDS: list[Any] = [2 ** 63, 2 ** 64 + 1, 10 ** 40, -1, 0, 1.5, 1e20, "1.0", "", " 7", "७",
                  "9" * 5000]
VALUES: list[Any] = [None, True, False, 0, -1, 1.5, "", "x", " ", [], {}, [1, 2],
                     {"a": 1}, "Нова заявка", "\x00", "\u202e", "𝟘", "a" * 100_000,
                     *TIMES[:6], *IDS[:4]]
PAGING = {"_page": [0, -1, 10 ** 12, "2", None, []], "next": [0, "", None, {"href": 5}, 7, [],
                                                              "https://evil/?page=-1"],
          "total": [-1, 0, 10 ** 15, "many", None], "_total_items": [-1, 10 ** 15, "x"],
          "_links": [None, "x", {}, {"next": None}, {"next": {"href": None}}, []]}
AMOUNTS: list[Any] = [1e308, -1e308, "1e400", "Infinity", "NaN", -1, 1e20, "9" * 400, "1 234,50",
                      "", "0.00", "₴5 000", True]
AMOUNT_KEYS = {"price", "OPPORTUNITY", "value", "amount"}
TIME_KEYS = {"created_at", "updated_at", "closed_at", "CREATED_TIME", "DATE_CREATE",
             "DATE_MODIFY", "LAST_ACTIVITY_TIME", "CLOSEDATE"}
ID_KEYS = {"id", "entity_id", "pipeline_id", "status_id", "responsible_user_id",
           "loss_reason_id", "ID", "OWNER_ID", "CATEGORY_ID", "ASSIGNED_BY_ID", "sort", "SORT"}


def _nodes(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of the document, the root first."""
    found = [(path, doc)]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _nodes(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += _nodes(value, (*path, i))
    return found


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def mutate_json(doc: Any, rnd: random.Random) -> Any:
    """One spoiling of a parsed JSON document, in place where possible."""
    nodes = _nodes(doc)
    path, value = rnd.choice(nodes)
    op = rnd.choice(["retype", "retype", "delete", "duplicate", "empty", "time", "id",
                     "amount", "paging", "swap"])
    if op == "paging":
        keyed = [(p, v) for p, v in nodes if p and p[-1] in PAGING]
        if keyed:
            path, value = rnd.choice(keyed)
            _parent(doc, path)[path[-1]] = copy.deepcopy(rnd.choice(PAGING[path[-1]]))
            return doc
        op = "retype"
    if op in ("time", "id", "amount"):
        keys = {"time": TIME_KEYS, "id": ID_KEYS, "amount": AMOUNT_KEYS}[op]
        keyed = [(p, v) for p, v in nodes if p and p[-1] in keys]
        if keyed:
            path, value = rnd.choice(keyed)
            new = copy.deepcopy(rnd.choice({"time": TIMES, "id": IDS, "amount": AMOUNTS}[op]))
            if isinstance(value, str) and not isinstance(new, str) and rnd.random() < 0.5:
                new = str(new)
            _parent(doc, path)[path[-1]] = new
            return doc
        op = "retype"
    if not path:
        return copy.deepcopy(rnd.choice(VALUES)) if op == "retype" else doc
    parent = _parent(doc, path)
    if op == "retype":
        parent[path[-1]] = copy.deepcopy(rnd.choice(VALUES))
    elif op == "delete":
        del parent[path[-1]]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(path[-1], json.loads(json.dumps(value)))
    elif op == "duplicate" and isinstance(value, list) and value:
        value.append(json.loads(json.dumps(rnd.choice(value))))
    elif op == "empty" and isinstance(value, (list, dict)):
        value.clear()
    elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
        j = rnd.randrange(len(parent))
        parent[path[-1]], parent[j] = parent[j], parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(rnd.choice(VALUES))
    return doc


ENCODINGS = ["utf-16", "utf-16-be", "cp1251", "latin-1", "utf-8-sig", "utf-32"]


def spoil_bytes(data: bytes, rnd: random.Random) -> bytes:
    """What a download or an editor does to a file: cut it, re-encode it, or drop stray
    bytes into it."""
    op = rnd.choice(["truncate", "encode", "bom", "nul", "delete", "insert", "dup-line"])
    pos = rnd.randrange(len(data) + 1)
    if op == "truncate":
        return data[:pos]
    if op == "encode":
        text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
        return text.encode(rnd.choice(ENCODINGS), errors="replace")
    if op == "bom":
        return data[:pos] + codecs.BOM_UTF8 + data[pos:]
    if op == "nul":
        return data[:pos] + b"\x00" * rnd.randint(1, 3) + data[pos:]
    if op == "delete":
        return data[:pos] + data[pos + rnd.randint(1, 20):]
    if op == "insert":
        return data[:pos] + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 6))) \
            + data[pos:]
    lines = data.splitlines(keepends=True)
    if lines:
        k = rnd.randrange(len(lines))
        lines.insert(k, lines[k])
    return b"".join(lines)


def mutate_file(name: str, data: bytes, rnd: random.Random) -> bytes:
    """A JSON (Lines) file mutated as a document, then sometimes as bytes."""
    jsonl = name.endswith(".jsonl")
    try:
        doc: Any = _lines_of(data) if jsonl else json.loads(data)
    except ValueError:  # already spoilt as bytes by an earlier mutation
        return spoil_bytes(data, rnd)
    if rnd.random() < 0.75:
        for _ in range(rnd.randint(1, 3)):
            doc = mutate_json(doc, rnd)
        if jsonl and isinstance(doc, list):
            data = "".join(json.dumps(p, ensure_ascii=rnd.random() < 0.3) + "\n"
                           for p in doc).encode("utf-8")
        else:
            data = json.dumps(doc, ensure_ascii=rnd.random() < 0.3).encode("utf-8")
        if rnd.random() < 0.8:
            return data
    return spoil_bytes(data, rnd)


def _lines_of(data: bytes) -> list[Any]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


# ------------------------------------------------------------------ CSV mutations

NAMES = ["Невідомий етап", "won", "lost", "", "\x00", "Нова заявка;Замір", '"', "a\nb",
         "Продажі", "Неіснуюча воронка", "\ufeffНова заявка", "x" * 200_000, "1e308",
         "Infinity", "9" * 400, "-0", "1e20"]


def mutate_csv(data: bytes, rnd: random.Random) -> bytes:
    """A spreadsheet export spoilt by hand: cells, rows and the header."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return spoil_bytes(data, rnd)
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1251"), "cp1251"
    end = "\r\n" if "\r\n" in text else "\n"
    sep = max([";", ",", "\t"], key=text.count)
    rows = [line.split(sep) for line in text.split(end)]
    for _ in range(rnd.randint(1, 3)):
        op = rnd.choice(["header", "extra", "short", "cell", "time", "dup", "bom", "nul",
                         "huge", "bytes", "drop"])
        k = rnd.randrange(len(rows))
        row = rows[k]
        if op == "header" and len(rows) > 1:
            rows.pop(0)
        elif op == "extra":
            row += [rnd.choice(NAMES)] * rnd.randint(1, 4)
        elif op == "short" and row:
            del row[rnd.randrange(len(row)):]
        elif op in ("cell", "time", "huge") and row:
            i = rnd.randrange(len(row))
            pool = [str(t) for t in TIMES] if op == "time" else NAMES
            row[i] = "x" * 1_000_000 if op == "huge" else rnd.choice(pool)
        elif op == "dup":
            rows.insert(k, list(row))
        elif op == "bom" and row:
            row[rnd.randrange(len(row))] = "\ufeff" + row[0]
        elif op == "nul" and row:
            row[rnd.randrange(len(row))] += "\x00"
        elif op == "drop" and len(rows) > 1:
            rows.pop(k)
        elif op == "bytes":
            out = end.join(sep.join(r) for r in rows).encode(encoding, errors="replace")
            return spoil_bytes(out, rnd)
    return end.join(sep.join(r) for r in rows).encode(encoding, errors="replace")


# ------------------------------------------------------------------ running a command

def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"FUNNELC_DEBUG": None, "COLUMNS": "200"},
                              catch_exceptions=False)


COMMANDS = ["history", "history-json", "audit", "fit", "forecast"]
WEIGHTED = [*["history-json"] * 3, *["audit", "fit", "forecast"] * 2]
"""The kinds a mutant of `mutated_export` runs; `history -o` has mutants of its own."""


def command(kind: str, funnel: Path, inputs: Path, out: Path) -> list[str]:
    """The command line a user types, its product to `out` (a folder or a file)."""
    if kind == "history":
        return ["history", "--funnel", str(funnel), str(inputs), "-o", str(out)]
    if kind == "history-json":
        return ["history", "--format", "json", str(inputs)]
    if kind == "audit":
        return ["audit", "--format", "json", str(funnel), str(inputs), "-o", str(out)]
    if kind == "fit":
        return ["fit", "--funnel", str(funnel), str(inputs), "-o", str(out)]
    return ["forecast", "--funnel", str(funnel), str(inputs), "--reps", "3", "-o", str(out)]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def assert_sane(args: list[str], res: Result, inputs: Path, before: dict[str, bytes],
                out: Path | None, funnel: Path) -> None:
    text = res.output
    where = (args, text[-3000:])
    assert res.exit_code in (0, 1, 2), where
    assert "Traceback" not in text and "internal failure" not in text.lower(), where
    if res.exit_code == 2:
        assert "not a known history format" in text or "binary" in text \
            or "not UTF-8" in text, where
    for line in text.splitlines():
        if line.startswith("error:"):
            assert str(inputs) in line or any(n in line for n in before) \
                or str(funnel) in line or "--" in line, (line, where)
    if out is not None and out.exists():
        products = [out] if out.is_file() else sorted(out.iterdir())
        for product in products:
            assert not product.name.startswith(".") and "tmp" not in product.name, where
            if product.suffix == ".json":
                json.loads(product.read_text(encoding="utf-8"))
    if out is not None and res.exit_code == 2:
        assert not out.exists() or (out.is_dir() and not any(out.iterdir())), where
    assert snapshot(inputs) == before, (args, "an input changed")


SEEN: dict[str, list[int]] = {}
"""Exit codes per reader, for the count the report quotes and the check that the
mutants reach both read and refused inputs."""
PLOTS_DRAWN: dict[str, int] = {}
"""Per reader, the `history -o` runs that wrote their plots."""


def run_mutant(sample: str, files: dict[str, bytes], kind: str) -> Result:
    funnel = FUNNELS[sample.split("/")[0]]
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for name, data in files.items():
            (inputs / name).write_bytes(data)
        out = Path(tmp) / ("fitted.funnel" if kind == "fit" else
                           "audit.json" if kind == "audit" else "out")
        args = command(kind, funnel, inputs, out)
        before = snapshot(inputs)
        res = invoke(args)
        assert_sane(args, res, inputs, before, None if kind == "history-json" else out, funnel)
        if kind == "history-json" and res.exit_code in (0, 1) and res.stdout.strip():
            json.loads(res.stdout)
        reader = "csv" if sample.startswith("spreadsheets") else sample
        SEEN.setdefault(reader, []).append(res.exit_code)
        if kind == "history" and (out / "plots").is_dir():
            PLOTS_DRAWN[reader] = PLOTS_DRAWN.get(reader, 0) + 1
        return res


def mutated_export(prefix: str, mutate: Callable[[str, bytes, random.Random], bytes],
                   kinds: list[str] = WEIGHTED
                   ) -> st.SearchStrategy[tuple[str, dict[str, bytes], str]]:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, dict[str, bytes], str]:
        names = sorted(n for n in samples() if n.startswith(prefix))
        sample = draw(st.sampled_from(names))
        files = dict(samples()[sample])
        rnd = draw(st.randoms(use_true_random=False))
        for _ in range(draw(st.integers(1, 2))):
            name = rnd.choice(sorted(files))
            files[name] = mutate(name, files[name], rnd)
        if len(files) > 1 and draw(st.integers(0, 9)) == 0:
            del files[rnd.choice(sorted(files))]
        return sample, files, draw(st.sampled_from(kinds))
    return build()


# ------------------------------------------------------------------ the properties

@FUZZ
@given(mutated_export("amocrm", mutate_file))
def test_amocrm_export_mutants_never_crash(case: tuple[str, dict[str, bytes], str]) -> None:
    run_mutant(*case)


@FUZZ
@given(mutated_export("clinic_b24_ru", mutate_file))
def test_bitrix24_clinic_mutants_never_crash(case: tuple[str, dict[str, bytes], str]) -> None:
    run_mutant(*case)


@FUZZ
@given(mutated_export("furniture_uk", mutate_file))
def test_bitrix24_furniture_mutants_never_crash(case: tuple[str, dict[str, bytes], str]
                                                ) -> None:
    run_mutant(*case)


@FUZZ
@given(mutated_export("csv", lambda name, data, rnd: mutate_csv(data, rnd))
       | mutated_export("spreadsheets", lambda name, data, rnd: mutate_csv(data, rnd)))
def test_csv_mutants_never_crash(case: tuple[str, dict[str, bytes], str]) -> None:
    run_mutant(*case)


def _csv_mutant(name: str, data: bytes, rnd: random.Random) -> bytes:
    return mutate_csv(data, rnd)


@pytest.mark.parametrize("prefixes, mutate, examples", [
    (["amocrm"], mutate_file, PLOTTED), (["clinic_b24_ru"], mutate_file, PLOTTED),
    (["furniture_uk"], mutate_file, PLOTTED),
    (["csv", "spreadsheets"], _csv_mutant, 2 * PLOTTED)],
    ids=["amocrm", "clinic_b24_ru", "furniture_uk", "csv"])
def test_mutants_never_crash_the_plots(
        prefixes: list[str], mutate: Callable[[str, bytes, random.Random], bytes],
        examples: int) -> None:
    """`history -o` of each reader's mutants: the tables, history.json, history.html and
    the plots (`PLOTTED` mutants a reader)."""
    strategy = st.one_of(*(mutated_export(p, mutate, ["history"]) for p in prefixes))

    @settings(FUZZ, max_examples=examples)
    @given(strategy)
    def draw(case: tuple[str, dict[str, bytes], str]) -> None:
        run_mutant(*case)

    draw()


# ------------------------------------------------------------------ import

AMO = DATA / "amocrm"
B24 = DATA / "bitrix24"
IMPORTS: dict[str, list[tuple[str, str, Path]]] = {
    # (option before the file or "" for an argument, file name, shipped answer)
    "amocrm": [("", "pipelines.json", AMO / "pipelines.json"),
               ("--fields", "fields.json", AMO / "leads_custom_fields_every_type.json"),
               ("--statuses", "statuses.json", AMO / "statuses_with_descriptions.json"),
               ("--loss-reasons", "loss_reasons.json", AMO / "loss_reasons.json")],
    "bitrix24": [("", "categories.json", B24 / "crm_category_list.json"),
                 ("", "statuses.json", B24 / "crm_status_list.json"),
                 ("", "userfields.json", B24 / "crm_deal_userfield_list.json")],
}


@cache
def crm_answers() -> dict[str, bytes]:
    """HubSpot's and Pipedrive's saved answers as a person saves them (one JSON object, a
    key per GET request), read from the fakes after `apply` wrote a shipped example."""
    import httpx
    import pytest

    from funnelc.export import deploy, hubspot_client, pipedrive_client
    try:
        from tests.fakes.hubspot_server import running_fake_hubspot
        from tests.fakes.pipedrive_server import running_fake_pipedrive
    except ModuleNotFoundError:  # pragma: no cover
        from fakes.hubspot_server import running_fake_hubspot  # type: ignore[no-redef]
        from fakes.pipedrive_server import running_fake_pipedrive  # type: ignore[no-redef]

    token = "tok-fuzz-inputs"
    answers: dict[str, bytes] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hubspot_client, "PER_S", 10_000)
        mp.setattr(pipedrive_client, "PER_S", 10_000)
        mp.setattr(deploy, "BACKOFF_BASE_S", 0.001)
        mp.setenv(hubspot_client.TOKEN_ENV, token)
        mp.setenv(pipedrive_client.TOKEN_ENV, token)
        with running_fake_hubspot(token, burst=None) as hs:
            res = invoke(["apply", str(PIPELINES / "saleschef.funnel"), "--to", "hubspot",
                          "--base-url", hs.base_url, "--yes"])
            assert res.exit_code == 0, res.output
            headers = {"Authorization": f"Bearer {token}"}
            answers["hubspot"] = json.dumps(
                {key: httpx.get(f"{hs.base_url}/crm/v3/{key}", headers=headers).json()
                 for key in ("pipelines/deals", "properties/deals", "properties/contacts",
                             "properties/companies")}, ensure_ascii=False).encode("utf-8")
        with running_fake_pipedrive(token, burst=None) as pd:
            res = invoke(["apply", str(PIPELINES / "courses.funnel"), "--to", "pipedrive",
                          "--base-url", pd.base_url, "--yes"])
            assert res.exit_code == 0, res.output
            query = "?include_fields=required_fields,important_fields"
            answers["pipedrive"] = json.dumps(
                {key: httpx.get(f"{pd.base_url}/api/v2/{key}{q}",
                                headers={"x-api-token": token}).json()
                 for key, q in [("pipelines", ""), ("stages", ""), ("dealFields", query),
                                ("personFields", query), ("organizationFields", "")]},
                ensure_ascii=False).encode("utf-8")
    return answers


def import_inputs(crm: str) -> list[tuple[str, str, bytes]]:
    if crm in IMPORTS:
        return [(opt, name, path.read_bytes()) for opt, name, path in IMPORTS[crm]]
    return [("", "answers.json", crm_answers()[crm])]


@st.composite
def mutated_import(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, bytes]], bool]:
    crm = draw(st.sampled_from(["amocrm", "bitrix24", "hubspot", "pipedrive"]))
    files = import_inputs(crm)
    rnd = draw(st.randoms(use_true_random=False))
    for _ in range(draw(st.integers(1, 2))):
        k = rnd.randrange(len(files))
        opt, name, data = files[k]
        files[k] = (opt, name, mutate_file(name, data, rnd))
    return crm, files, draw(st.booleans())


@FUZZ
@given(mutated_import())
def test_import_mutants_never_crash(case: tuple[str, list[tuple[str, str, bytes]], bool]
                                    ) -> None:
    crm, files, strict = case
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        args = ["import", "--from", crm]
        for opt, name, data in files:
            (inputs / name).write_bytes(data)
            args += [opt, str(inputs / name)] if opt else [str(inputs / name)]
        out = Path(tmp) / "imported.funnel"
        args += ["-o", str(out), *(["--strict"] if strict else [])]
        before = snapshot(inputs)
        res = invoke(args)
        text, where = res.output, (args, res.output[-3000:])
        assert res.exit_code in (0, 1, 2), where
        assert "Traceback" not in text and "internal failure" not in text.lower(), where
        for line in text.splitlines():
            if line.startswith("error:"):
                assert str(inputs) in line or "--" in line, (line, where)
        if res.exit_code == 0:
            checked = invoke(["check", "--format", "json", str(out)])
            assert checked.exit_code in (0, 1), (checked.output, out.read_text("utf-8"))
        else:
            assert not out.exists(), where
        assert snapshot(inputs) == before, (args, "an input changed")


def test_the_mutants_reached_every_reader_deep_and_shallow() -> None:
    """Runs after the properties in file order (not alone, nor on another xdist worker):
    each reader saw inputs it read (exit 0) and inputs it refused or reported (1 or 2),
    or the properties would be testing one path only. The counts are printed with -s."""
    if len(SEEN) < 4:  # amocrm, clinic_b24_ru, furniture_uk, csv
        pytest.skip("the properties ran elsewhere (xdist) or not at all")
    for reader, codes in sorted(SEEN.items()):
        print(f"{reader}: {len(codes)} runs, exit 0/1/2 = "
              f"{codes.count(0)}/{codes.count(1)}/{codes.count(2)}")
        assert 0 in codes and {1, 2} & set(codes), (reader, codes)
    # And each reader's mutants reached the plots' drawing.
    assert sorted(PLOTS_DRAWN) == sorted(SEEN), PLOTS_DRAWN


def test_fit_of_a_history_whose_every_row_was_dropped(tmp_path: Path) -> None:
    """The same history under plain `fit`: it wrote the funnel's own figures back as a
    «fitted» funnel (exit 1, a warning «the history holds no events», half in the
    account's language). Nothing was fitted, so nothing is written: the error, the file
    and the drops with their lines."""
    path = tmp_path / "h.csv"
    path.write_text("deal_id;stage;time\n101;Нова заявка;02.11.2026 10:00;x\n"
                    "101;Замір;03.11.2026 09:05;y\n", encoding="utf-8")
    out = tmp_path / "fitted.funnel"
    res = invoke(["fit", "--funnel", str(FUNNELS["spreadsheets"]), str(path), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert f"error: {path}: the history holds no events: every row was dropped" in res.output
    assert f"(first at {path}:2)" in res.output and "попередження" not in res.output
    assert not out.exists()
