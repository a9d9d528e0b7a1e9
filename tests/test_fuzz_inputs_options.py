"""Option values and funnel text a user can get wrong, through the CLI: `--tz` and
`--periods` of the history commands, `-o` at an input or where a folder is expected or
on a disk that fills up halfway, and funnel files with numbers, nesting and lines far
beyond anything real. `tests/test_fuzz_text.py` mutates the shipped funnels byte by byte;
this file adds the sizes its mutations never reach (a number of 5,000 digits, a line of a
million quotes, thousands of nested blocks).

Whatever the value: exit 0, 1 or 2 (2 for the option), never a traceback or an
"internal failure"; an option's error names the option; no output is left behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, IN_CI, PIPELINES
from funnelc.cli import cli

HUNT = int(os.environ.get("FUNNELC_FUZZ_EXAMPLES") or 0)
FUZZ = settings(max_examples=HUNT or (25 if IN_CI else 50), deadline=None, database=None,
                derandomize=not HUNT,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
FUNNEL = DATA / "csv_spreadsheets_uk" / "svitlo.funnel"
HISTORY = ("deal_id,time,pipeline,stage,value,source\n"
           "1,2026-01-05T10:00:00+02:00,Продажі,Нова заявка,1000,Сайт\n"
           "1,2026-01-07T10:00:00+02:00,Продажі,Замір,1000,Сайт\n"
           "1,2026-02-09T12:00:00+02:00,Продажі,won,1000,Сайт\n"
           "2,2026-02-02T11:00:00+02:00,Продажі,Нова заявка,2000,Instagram\n"
           "2,2026-03-04T11:00:00+02:00,Продажі,lost,2000,Instagram\n"
           "3,2026-03-05T09:00:00+02:00,Продажі,Нова заявка,3000,Сайт\n")


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"FUNNELC_DEBUG": None, "COLUMNS": "200"},
                              catch_exceptions=False)


def assert_sane(res: Result) -> None:
    assert res.exit_code in (0, 1, 2), res.output[-3000:]
    assert "Traceback" not in res.output, res.output[-3000:]
    assert "internal failure" not in res.output.lower(), res.output[-3000:]


# ------------------------------------------------------------------ --tz, --periods

@pytest.mark.parametrize("zone", ["posix/Europe/Kyiv", "right/UTC", "localtime", "Factory"])
@pytest.mark.parametrize("command", ["history", "fit", "forecast", "audit"])
def test_a_zone_the_system_has_but_polars_does_not(tmp_path: Path, zone: str,
                                                   command: str) -> None:
    """zoneinfo reads these from /usr/share/zoneinfo; polars (IANA's names) refuses
    them, and the readers did so as an internal failure. Now `--tz` refuses them."""
    history = tmp_path / "h.csv"
    history.write_text(HISTORY, encoding="utf-8")
    args = {"history": ["history", str(history)],
            "fit": ["fit", "--funnel", str(FUNNEL), str(history)],
            "forecast": ["forecast", "--funnel", str(FUNNEL), str(history), "--reps", "2"],
            "audit": ["audit", str(FUNNEL), str(history)]}[command]
    res = invoke([*args, "--tz", zone])
    assert res.exit_code == 2, res.output
    assert f"Invalid value for '--tz': unknown time zone `{zone}`" in res.output


def test_a_month_in_fullwidth_digits_is_no_month(tmp_path: Path) -> None:
    """`\\d` matched «２０２６», and the period was then compared as text: "ends before it
    starts" for a period that does not."""
    history = tmp_path / "h.csv"
    history.write_text(HISTORY, encoding="utf-8")
    res = invoke(["history", str(history), "--periods", "２０２６-01..2026-01,2026-02..2026-02"])
    assert res.exit_code == 2, res.output
    assert "`２０２６-01` is not a month written as YYYY-MM" in res.output


ZONES = ["UTC", "Europe/Kyiv", "Europe/Moscow", "EST5EDT", "Etc/GMT-3"]
MONTHS = ["2026-01", "2026-02", "2026-03", "2025-12", "0000-01", "9999-12", "2026-13",
          "2026-00", "2026-1", "26-01", "２０２６-01", "2026‐01", ""]


@st.composite
def spoilt(draw: st.DrawFn, good: list[str]) -> str:
    text = draw(st.sampled_from(good))
    for _ in range(draw(st.integers(0, 2))):
        pos = draw(st.integers(0, len(text)))
        piece = draw(st.sampled_from(["/", "..", ",", " ", "\x00", "\u202e", "posix/",
                                      "right/", "+03:00", "-", "😀", "\n"])
                     | st.text(max_size=4))
        text = text[:pos] + piece + text[pos + draw(st.integers(0, 2)):]
    return text


@st.composite
def periods(draw: st.DrawFn) -> str:
    parts = [f"{draw(st.sampled_from(MONTHS))}..{draw(st.sampled_from(MONTHS))}"
             for _ in range(draw(st.integers(1, 3)))]
    return draw(spoilt([",".join(parts)]))


@FUZZ
@given(zone=spoilt(ZONES), span=periods(), command=st.sampled_from(["history", "audit"]))
def test_tz_and_periods_never_crash(zone: str, span: str, command: str) -> None:
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
        history = Path(tmp) / "h.csv"
        history.write_text(HISTORY, encoding="utf-8")
        args = (["history", str(history)] if command == "history"
                else ["audit", str(FUNNEL), str(history)])
        res = invoke([*args, "--tz", zone, "--periods", span])
        assert_sane(res)
        if res.exit_code == 2:
            assert "'--tz'" in res.output or "'--periods'" in res.output, res.output
        assert history.read_text(encoding="utf-8") == HISTORY


# ------------------------------------------------------------------ -o

def test_outputs_over_inputs_or_files_where_folders_go_are_refused(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text(HISTORY, encoding="utf-8")
    funnel = tmp_path / "f.funnel"
    funnel.write_bytes(FUNNEL.read_bytes())
    named = tmp_path / "history.json"  # an export named as history -o writes its product
    named.write_text(json.dumps({"_embedded": {"events": [
        {"id": "a", "type": "lead_status_changed", "entity_id": 1, "entity_type": "lead",
         "created_at": 1_700_000_000, "value_before": [{"lead_status": {"id": 1,
                                                                         "pipeline_id": 1}}],
         "value_after": [{"lead_status": {"id": 2, "pipeline_id": 1}}]}]}}),
        encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for args, option in [
        (["history", str(history), "-o", str(history)], "'-o'"),
        (["history", str(named), "-o", str(tmp_path)], "'-o'"),
        (["audit", str(funnel), str(history), "-o", str(history)], "'-o'"),
        (["audit", str(funnel), str(history), "-o", str(funnel)], "'-o'"),
        (["fit", "--funnel", str(funnel), str(history), "-o", str(funnel)], "'-o'"),
        (["fit", "--funnel", str(funnel), str(history), "-o", str(history)], "'-o'"),
        (["forecast", "--funnel", str(funnel), str(history), "-o", str(history)], "'-o'"),
    ]:
        res = invoke(args)
        assert res.exit_code == 2, (args, res.output)
        assert option in res.output, (args, res.output)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


_PLOTS: list[object] = []
"""The plots of `history -o` on HISTORY, drawn by the first case below for the others."""


@pytest.mark.parametrize("command,fail_at", [("history", 1), ("history", 7), ("history", 12),
                                             ("forecast", 1), ("forecast", 5)])
def test_a_disk_full_halfway_through_a_folder_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, fail_at: int) -> None:
    """The `fail_at`-th file of the -o folder (of 12 and 5: the last one too) cannot be made (ENOSPC, simulated at the
    atomic writer's temporary as tests/test_outputs.py does): exit 2 naming the file,
    and neither the folder nor any file of it is left. The history cases run the same
    command on the same input, whose plots (every file is rendered before the first is
    written) are drawn once: the same bytes, in a third of the time."""
    import funnelc.atomic as atomic
    import funnelc.history.plots as plots

    draw = plots.draw_history_plots

    def drawn_once(*args: object, **kw: object) -> object:
        if not _PLOTS:
            _PLOTS.append(draw(*args, **kw))  # type: ignore[arg-type]
        return _PLOTS[0]

    monkeypatch.setattr(plots, "draw_history_plots", drawn_once)

    real = atomic.tempfile.mkstemp
    calls: list[int] = []

    def full_at(*args: object, **kw: object) -> tuple[int, str]:
        calls.append(1)
        if len(calls) == fail_at:
            raise OSError(28, "No space left on device")
        return real(*args, **kw)  # type: ignore[call-overload]

    history = tmp_path / "h.csv"
    history.write_text(HISTORY, encoding="utf-8")
    out = tmp_path / "new" / "out"
    monkeypatch.setattr(atomic.tempfile, "mkstemp", full_at)
    args = (["history", str(history), "-o", str(out)] if command == "history" else
            ["forecast", "--funnel", str(FUNNEL), str(history), "--reps", "2", "-o", str(out)])
    res = invoke(args)
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output and "internal failure" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv"]


# ------------------------------------------------------------------ funnel text sizes

def test_a_number_of_5000_digits_is_a_located_error(tmp_path: Path) -> None:
    """Python refuses to turn more than 4,300 digits into an int: `team "T" size 99…9`
    was a ValueError out of the builder (an internal failure) in check, fmt and --set."""
    path = tmp_path / "n.funnel"
    path.write_text('team "T" size ' + "9" * 5000 + "\n", encoding="utf-8")
    for args in (["check", str(path)], ["fmt", str(path)]):
        res = invoke(args)
        assert res.exit_code == 1, res.output
        assert "error[FN001]: a number of 5,000 digits" in res.output
        assert f"{path}:1:15" in res.output
    res = invoke(["whatif", str(PIPELINES / "cottages-before.funnel"), "--set",
                  'team "Менеджеры" size ' + "9" * 5000, "--days", "3", "--warmup", "1",
                  "--reps", "1"])
    assert res.exit_code == 2, res.output  # an option's value: a usage error
    assert "a number of 5,000 digits" in res.output and "--set:1:23" in res.output


def test_a_line_of_a_million_quotes_is_read_in_seconds(tmp_path: Path) -> None:
    """Each `""` after a valid file is an unexpected token the parser recovers from,
    one copy of its state each: 100,000 quotes took 25 s to check and a minute to fmt,
    a million seven minutes. Recovery now gives up after MAX_RECOVERIES."""
    path = tmp_path / "q.funnel"
    path.write_bytes((PIPELINES / "cottages-before.funnel").read_bytes() + b'"' * 1_000_000)
    for args in (["check", str(path)], ["fmt", str(path)]):
        t0 = time.perf_counter()
        res = invoke(args)
        assert res.exit_code == 1, res.output[-2000:]
        assert 'error[FN001]: unexpected `""`' in res.output
        assert time.perf_counter() - t0 < 15


SIZES = st.sampled_from([300, 3_000, 30_000])


@st.composite
def oversized(draw: st.DrawFn) -> bytes:
    """A shipped funnel with one thing far larger than life at a line boundary."""
    names = sorted(p.name for p in PIPELINES.glob("*.funnel"))
    data = (PIPELINES / draw(st.sampled_from(names))).read_bytes()
    lines = data.splitlines(keepends=True)
    at = draw(st.integers(0, len(lines)))
    n = draw(SIZES)
    piece = draw(st.sampled_from([
        b"{" * n + b"}" * n, b"pipeline \"X\" {\n" * n + b"}\n" * n, b"(" * n,
        b"team \"T\" size " + b"9" * (n * 2), b"# " + b"x" * (n * 30) + b"\n",
        b'"' * n, b'"' + "я".encode() * (n * 10) + b'"', b"a" * (n * 10),
        b"stage \"S\" { -> won 1" + b"0" * n + b"% }\n", b"\\" * n, b"-> " * n,
    ]))
    return b"".join(lines[:at]) + piece + b"\n" + b"".join(lines[at:])


@FUZZ
@given(oversized())
def test_oversized_funnels_never_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
        path = Path(tmp) / "big.funnel"
        path.write_bytes(data)
        for args in (["check", "--format", "json", str(path)], ["fmt", "--check", str(path)]):
            res = invoke(args)
            assert_sane(res)
            if args[0] == "check" and res.exit_code != 2:
                found = json.loads(res.output)["diagnostics"]
                assert all(d["path"] == str(path) for d in found), found[:3]
        assert path.read_bytes() == data
        res = invoke(["fmt", "--write", str(path)])
        assert_sane(res)
        if res.exit_code != 0:  # a file with syntax errors is never changed
            assert path.read_bytes() == data
        else:  # rewritten whole: the canonical layout, which reads the same way again
            assert invoke(["fmt", "--check", str(path)]).exit_code == 0
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["big.funnel"]
