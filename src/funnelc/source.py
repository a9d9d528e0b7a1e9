"""Reading a funnel file from disk or stdin into text, with a diagnostic for every way a
file can be unreadable: missing, a directory, too large, binary, not UTF-8. A BOM and
CRLF line ends are accepted (editors on Windows write them) and cost nothing; so is a
lone CR (classic Mac OS, some exports), which every editor shows as a line end and so
must be one here too: read as plain text it would turn a whole file into one comment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from . import codes
from .diagnostics import Diagnostic, Severity, SourceText
from .span import Span

__all__ = ["MAX_BYTES", "ReadResult", "read_source", "decode_source", "normalize_line_ends"]

MAX_BYTES = 10 * 1024 * 1024
"""Largest file accepted: a whole account is a few hundred kB; 10 MB means a wrong file."""


_LONE_CR = re.compile(r"\r(?!\n)")


def normalize_line_ends(text: str) -> str:
    """Turn every lone CR into LF, so `\r`, `\n` and `\r\n` all end a line.

    The parser, the line index of diagnostics and the formatter count lines at `\n`;
    a file whose lines end in a lone CR would otherwise be one line (after a leading
    `#`, one comment: an empty model that checks clean). CRLF is left as it is, so the
    text keeps its length and every span offset is still an offset into the file.
    """
    if "\r" not in text:
        return text
    return _LONE_CR.sub("\n", text)


@dataclass
class ReadResult:
    source: SourceText | None
    diagnostics: list[Diagnostic]
    usage_error: bool = False
    """True when the problem is the command line (no such file), not the file's content."""


def _file_diag(code: str, message: str, path: str, help_text: str,
               span: Span | None = None, label: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.error, message, path, span, label, help=help_text)


def read_source(path: str) -> ReadResult:
    """Read `path` (or stdin for `-`)."""
    if path == "-":
        import sys

        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        return decode_source(data, "<stdin>")
    if not os.path.exists(path):
        return ReadResult(None, [_file_diag(codes.FN013, f"no such file `{path}`", path,
                                            "check the path; give `-` to read from stdin")],
                          usage_error=True)
    if os.path.isdir(path):
        return ReadResult(None, [_file_diag(codes.FN013, f"`{path}` is a directory, not a funnel file",
                                            path, f"give the files inside it, e.g. {path.rstrip('/')}/*.funnel")],
                          usage_error=True)
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            return ReadResult(None, [_file_diag(
                codes.FN012, f"file is too large ({size / 1024 / 1024:.1f} MB; the limit is 10 MB)",
                path, "a whole CRM account fits in a few hundred kB: is this the right file?")])
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return ReadResult(None, [_file_diag(codes.FN013, f"cannot read `{path}`: {exc.strerror}", path,
                                            "check the file's permissions")], usage_error=True)
    return decode_source(data, path)


def decode_source(data: bytes, path: str) -> ReadResult:
    """Bytes → text, refusing what is clearly not a funnel file."""
    if len(data) > MAX_BYTES:
        return ReadResult(None, [_file_diag(
            codes.FN012, "input is too large (over 10 MB)", path,
            "a whole CRM account fits in a few hundred kB: is this the right file?")])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows Notepad's "Unicode" encoding; without this it would read as binary.
        return ReadResult(None, [_file_diag(codes.FN011, "the file is UTF-16 text, not UTF-8", path,
                                            "save the file as UTF-8 (in Notepad: Save as → "
                                            "Encoding: UTF-8)")])
    if b"\x00" in data[:8192]:
        return ReadResult(None, [_file_diag(codes.FN011, "this is a binary file, not funnel text",
                                            path, "funnel files are UTF-8 text; check the path")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = normalize_line_ends(data[: exc.start].decode("utf-8", errors="replace"))
        line = prefix.count("\n") + 1
        col = len(prefix) - (prefix.rfind("\n") + 1) + 1
        span = Span(line=line, column=col, end_line=line, end_column=col + 1,
                    start=len(prefix), end=len(prefix) + 1)
        shown = SourceText(path, normalize_line_ends(data.decode("utf-8", errors="replace")))
        diag = _file_diag(codes.FN011, f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} "
                          f"at offset {exc.start})", path,
                          "save the file as UTF-8 (files from old Windows tools are often "
                          "cp1251: `iconv -f cp1251 -t utf-8`)", span, "this byte")
        return ReadResult(shown, [diag])
    return ReadResult(SourceText(path, normalize_line_ends(text)), [])
