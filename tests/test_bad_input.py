"""Every kind of wrong file a user can hand to `funnelc check` gets exactly one clear
diagnostic (code, `file:line:col` where a position exists, a help line), exit 1 for a
problem in the input or 2 for a command-line problem, and never a traceback, in text
and in JSON, in process and in a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import funnelc
from conftest import CASES
from funnelc.cli import cli

CLEAN = CASES / "cli" / "clean.funnel"
MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    """A bad input: how to make it, and the one diagnostic it must produce."""

    make: Callable[[Path], Path]
    code: str
    exit: int
    position: tuple[int, int] | None  # (line, column) the diagnostic points at


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path
    return make


def _directory(tmp: Path) -> Path:
    path = tmp / "pipelines.funnel"
    path.mkdir()
    return path


def _too_large(tmp: Path) -> Path:
    path = tmp / "huge.funnel"
    line = b"# a comment line that pads the file\n"
    with open(path, "wb") as fh:
        fh.write(line * (10 * MB // len(line) + 2))
    return path


CASES_BAD: dict[str, Case] = {
    "empty": Case(_write("empty.funnel", b""), "FN010", 1, (1, 1)),
    "whitespace-only": Case(_write("blank.funnel", b"  \n\t\n   \r\n"), "FN010", 1, (1, 1)),
    "nul-bytes": Case(_write("nul.funnel", b"team A size 3\x00\x00\x01"), "FN011", 1, None),
    "png": Case(_write("logo.funnel", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"),
                "FN011", 1, None),
    "cp1251": Case(_write("cp1251.funnel", 'team "Менеджеры" size 3\n'.encode("cp1251")),
                   "FN011", 1, (1, 7)),
    "utf-16": Case(_write("utf16.funnel", 'team "Менеджеры" size 3\n'.encode("utf-16")),
                   "FN011", 1, None),
    "bom-with-error": Case(_write("bom.funnel", "\ufeffteam A size x\n".encode("utf-8")),
                           "FN001", 1, (1, 13)),
    "crlf-with-error": Case(_write("crlf.funnel", b"team A size 3\r\nteam B size x3\r\n"),
                            "FN001", 1, (2, 13)),
    "over-10-mb": Case(_too_large, "FN012", 1, None),
    "10000-braces": Case(_write("braces.funnel", b"{" * 10_000), "FN001", 1, (1, 1)),
    "1-mb-line": Case(_write("long.funnel", b"team A size 3 " + b"x" * MB + b"\n"),
                      "FN001", 1, (1, 15)),
    "directory": Case(_directory, "FN013", 2, None),
    "missing": Case(lambda tmp: tmp / "no-such.funnel", "FN013", 2, None),
    "dev-null": Case(lambda tmp: Path(os.devnull), "FN010", 1, (1, 1)),
}


def _check(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, ["check", *args], input=input, env={"NO_COLOR": "1"},
                              prog_name="funnelc")


def _assert_one_text_diagnostic(output: str, path: str, case: Case) -> None:
    assert "Traceback" not in output
    assert output.count("error[") == 1, output[:3000]
    assert f"error[{case.code}]" in output
    if case.position is not None:
        line, col = case.position
        assert f"--> {path}:{line}:{col}\n" in output
    else:
        assert f"--> {path}\n" in output
    assert "= help: " in output
    assert len(output) < 3000, "a diagnostic about bad input must stay readable"


def _assert_one_json_diagnostic(stdout: str, path: str, case: Case) -> None:
    [diag] = json.loads(stdout)["diagnostics"]
    assert diag["code"] == case.code
    assert diag["path"] == path
    assert diag["help"]
    if case.position is not None:
        assert (diag["span"]["line"], diag["span"]["column"]) == case.position
    else:
        assert diag["span"] is None


@pytest.mark.parametrize("name", list(CASES_BAD))
def test_bad_input_in_process(name: str, tmp_path: Path) -> None:
    case = CASES_BAD[name]
    path = str(case.make(tmp_path))
    text = _check(path)
    assert text.exit_code == case.exit, text.output[:3000]
    _assert_one_text_diagnostic(text.output, path, case)
    as_json = _check("--format", "json", path)
    assert as_json.exit_code == case.exit
    assert "Traceback" not in as_json.output
    _assert_one_json_diagnostic(as_json.stdout, path, case)


@pytest.mark.parametrize("name", list(CASES_BAD))
def test_bad_input_in_a_real_process(name: str, tmp_path: Path) -> None:
    case = CASES_BAD[name]
    path = str(case.make(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "funnelc", "check", path], cwd=tmp_path,
                          env=dict(os.environ, NO_COLOR="1"), capture_output=True,
                          timeout=120)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == case.exit, stderr[:3000]
    assert proc.stdout == b""
    _assert_one_text_diagnostic(stderr, path, case)


# ---------------------------------------------------------------- accepted oddities

def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.funnel"
    path.write_bytes(b"\xef\xbb\xbf" + CLEAN.read_bytes())
    result = _check(str(path))
    assert result.exit_code == 0, result.output


def test_crlf_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "crlf.funnel"
    path.write_bytes(CLEAN.read_bytes().replace(b"\n", b"\r\n"))
    result = _check(str(path))
    assert result.exit_code == 0, result.output


def test_crlf_caret_sits_under_the_token(tmp_path: Path) -> None:
    path = tmp_path / "crlf.funnel"
    path.write_bytes(b"team A size 3\r\nteam B size x3\r\n")
    out = _check(str(path)).output
    assert "\r" not in out
    source_line = next(ln for ln in out.splitlines() if ln.startswith("2 | "))
    caret_line = next(ln for ln in out.splitlines() if "^" in ln)
    assert source_line.index("x3") == caret_line.index("^^ ")


def test_long_comment_line_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "comment.funnel"
    path.write_bytes(b"# " + b"x" * MB + b"\n" + CLEAN.read_bytes())
    assert _check(str(path)).exit_code == 0


def test_error_deep_inside_a_long_line_shows_the_spot(tmp_path: Path) -> None:
    path = tmp_path / "far.funnel"
    path.write_bytes(b"team A size " + b" " * 500_000 + b"@ 3\n")
    out = _check(str(path)).output
    assert f"{path}:1:500013" in out
    source_line = next(ln for ln in out.splitlines() if ln.startswith("1 | "))
    caret_line = next(ln for ln in out.splitlines() if "^" in ln)
    assert source_line[caret_line.index("^")] == "@"
    assert len(out) < 3000


# ---------------------------------------------------------------- stdin and special files

def test_stdin_over_10_mb(tmp_path: Path) -> None:
    result = _check("-", input=b"# padding\n" * (MB + 10))
    assert result.exit_code == 1
    assert result.output.count("error[") == 1
    assert "error[FN012]" in result.output and "<stdin>" in result.output


def test_stdin_binary() -> None:
    result = _check("-", input=b"\x00\x01\x02")
    assert result.exit_code == 1
    assert "error[FN011]" in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_read_like_a_pipe(tmp_path: Path) -> None:
    """`funnelc check <(generate)` hands funnelc a FIFO: it must be read, not refused."""
    fifo = tmp_path / "pipe.funnel"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(CLEAN.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = _check(str(fifo))
    writer.join(timeout=10)
    assert result.exit_code == 0, result.output


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.funnel"
    path.write_bytes(CLEAN.read_bytes())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions do not stop reading")
        result = _check(str(path))
        assert result.exit_code == 2
        assert result.output.count("error[") == 1
        assert "error[FN013]" in result.output and "cannot read" in result.output
        assert "Traceback" not in result.output
    finally:
        path.chmod(0o644)


# ---------------------------------------------------------------- nesting

def test_nested_stages_do_not_recurse(tmp_path: Path) -> None:
    """The grammar has no unbounded nesting; 5000 nested blocks must give syntax
    errors (capped), not a RecursionError."""
    text = 'pipeline "P" {\n' + 'stage "S" {\n' * 5000 + "}\n" * 5001
    loaded = funnelc.load_text(text, "nested.funnel")
    assert loaded.model is None
    assert 1 <= len(loaded.diagnostics) <= 50
    assert {d.code for d in loaded.diagnostics} <= {"FN001", "FN004"}
    path = tmp_path / "nested.funnel"
    path.write_text(text, encoding="utf-8")
    result = _check(str(path))
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_api_never_raises_on_braces() -> None:
    for text in ("{" * 10_000, "}" * 10_000, "(" * 10_000, '"' * 10_001):
        loaded = funnelc.load_text(text, "x.funnel")
        assert loaded.model is None and loaded.diagnostics
