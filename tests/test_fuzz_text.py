"""Fuzzing the funnel-text surface through the CLI (issue 11): the shipped examples in
`pipelines/`, mutated at the byte level (random insertions and deletions, CR/LF swaps,
control, zero-width and direction-control characters, invalid UTF-8, truncation), go
through `check`, `fmt` and `export --to json -o out` as a user would run them.

Whatever the bytes, each command must end with exit code 0, 1 or 2, never print a
traceback or an "internal failure", write its output only when it succeeds, and leave
the input file as it was. `tests/test_properties.py` fuzzes the library (`load_text`,
`fmt`) on text; this file fuzzes the commands on files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import IN_CI, PIPELINES
from funnelc.cli import cli

EXAMPLES = {p.name: p.read_bytes() for p in sorted(PIPELINES.glob("*.funnel"))}
MAX_EXAMPLES = 250 if IN_CI else 400
"""Generated inputs per run; each goes through three commands (about 60 ms in all:
250 inputs take some 15 s)."""

NASTY = [
    b"\r", b"\n", b"\r\n", b"\n\r", b"\x00", b"\t", b"\x0b", b"\x0c", b"\x1b[31m", b"\x7f",
    b"\xff", b"\xc3", b"\xe2\x80", b"\xef\xbb\xbf",                      # invalid / BOM
    "\u200b".encode(), "\u200d".encode(), "\u200e".encode(), "\u202e".encode(),
    "\u2066".encode(), "\u2069".encode(), "\ufeff".encode(), "\u00a0".encode(),
    "\u2028".encode(), "\u0306".encode(), "А".encode(), "٣".encode(), "😀".encode(),
    b'"', b"\\", b"{", b"}", b"#", b"->", b"%", b" ", b"\\\n",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = EXAMPLES[draw(st.sampled_from(sorted(EXAMPLES)))]
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["insert", "delete", "cr-lf", "replace", "truncate",
                                   "random-bytes"]))
        pos = draw(st.integers(0, len(data)))
        if op == "insert":
            data = data[:pos] + b"".join(draw(st.lists(st.sampled_from(NASTY), min_size=1,
                                                        max_size=4))) + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + draw(st.integers(1, 40)):]
        elif op == "cr-lf":
            old, new = draw(st.sampled_from([(b"\n", b"\r"), (b"\n", b"\r\n"), (b"\n", b"\n\r"),
                                             (b"\r\n", b"\n"), (b"\n", b"\x85")]))
            if draw(st.booleans()):
                data = data.replace(old, new)
            else:  # only from here on: a file with mixed line ends
                data = data[:pos] + data[pos:].replace(old, new, draw(st.integers(1, 20)))
        elif op == "replace":
            data = data[:pos] + draw(st.sampled_from(NASTY)) + data[pos + 1:]
        elif op == "truncate":
            data = data[:pos]
        else:
            data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    return data


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, (args, repr(result.exception))
    return result.exit_code, result.output


def _assert_sane(args: list[str], code: int, output: str) -> None:
    assert code in (0, 1, 2), (args, code, output[-2000:])
    assert "Traceback" not in output, (args, output[-2000:])
    assert "internal failure" not in output.lower(), (args, output[-2000:])


@settings(deadline=None, max_examples=MAX_EXAMPLES, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_files_never_crash_a_command(data: bytes) -> None:
    with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
        folder = Path(tmp)
        source = folder / "input.funnel"
        source.write_bytes(data)
        out = folder / "model.json"

        code, output = _run(["check", "--color", "never", str(source)])
        _assert_sane(["check"], code, output)

        code, output = _run(["fmt", "--color", "never", str(source)])
        _assert_sane(["fmt"], code, output)

        code, output = _run(["export", "--to", "json", "-o", str(out), "--color", "never",
                             str(source)])
        _assert_sane(["export"], code, output)
        written = sorted(p.name for p in folder.iterdir())
        if code == 0:
            assert written == ["input.funnel", "model.json"], written
            assert out.stat().st_size > 0
        else:
            assert written == ["input.funnel"], (written, output[-2000:])

        assert source.read_bytes() == data, "the input file was changed"


def test_the_mutator_reaches_every_kind_of_input() -> None:
    """Guard for the generator above: across a fixed batch it must produce files that
    check clean and files with errors, files that are not UTF-8, with lone CRs and with
    invisible characters, or the fuzz test would be exercising one path only."""
    codes: set[str] = set()

    @settings(max_examples=60, database=None, derandomize=True, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated())
    def sample(data: bytes) -> None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            codes.add("not utf-8")
        if b"\r" in data.replace(b"\r\n", b""):
            codes.add("lone cr")
        if any(ch in data for ch in ("\u202e".encode(), "\u200b".encode())):
            codes.add("invisible")
        with tempfile.TemporaryDirectory(prefix="funnelc-fuzz-") as tmp:
            source = Path(tmp) / "input.funnel"
            source.write_bytes(data)
            codes.add(f"exit {_run(['check', '--no-lint', str(source)])[0]}")

    sample()
    assert {"not utf-8", "lone cr", "invisible", "exit 0", "exit 1"} <= codes, codes
