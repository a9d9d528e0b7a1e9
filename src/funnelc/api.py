"""The public API the CLI wraps: load a funnel file into the typed model plus its
diagnostics. Everything else (exports, simulation, reports) starts from `Loaded.model`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import codes
from .build import parse_and_build
from .checks import run_checks
from .diagnostics import Diagnostic, Severity, SourceText
from .model import FunnelFile
from .source import decode_source, normalize_line_ends, read_source
from .span import Span

__all__ = ["Loaded", "load", "load_text", "load_file", "finish_checks"]


@dataclass
class Loaded:
    """A loaded file: the model (None if the text did not parse) and every finding."""

    path: str
    model: FunnelFile | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceText | None = None
    usage_error: bool = False
    comments: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file has no errors (warnings do not count)."""
        return self.model is not None and not any(
            d.severity is Severity.error for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.error]


def load_text(text: str, path: str = "<string>", *, checks: bool = True) -> Loaded:
    """Parse, build and check funnel text. `checks=False` stops after building the model
    (the formatter needs only that)."""
    from .gcpause import gc_paused

    with gc_paused():
        return _load_text(text, path, checks=checks)


def _load_text(text: str, path: str, *, checks: bool) -> Loaded:
    text = normalize_line_ends(text)
    src = SourceText(path, text)
    if not text.strip():
        diag = Diagnostic(codes.FN010, Severity.error, "the file is empty", path,
                          Span(line=1, column=1, end_line=1, end_column=1, start=0, end=0),
                          "nothing to check here",
                          help='start with `account "Name" { currency RUB }` and a `pipeline`; '
                               "see README.md for the language")
        return Loaded(path, None, [diag], src)
    built = parse_and_build(text, path)
    if built.model is None:
        return Loaded(path, None, built.diagnostics, src, comments=built.comments)
    diags = run_checks(built.model) if checks else []
    return Loaded(path, built.model, diags, src, comments=built.comments)


def load_file(path: str | os.PathLike[str], *, checks: bool = True) -> Loaded:
    """Read and load a file (`-` reads stdin)."""
    p = os.fspath(path)
    read = read_source(p)
    if read.source is None or read.diagnostics:
        return Loaded(p if p != "-" else "<stdin>", None, read.diagnostics, read.source,
                      usage_error=read.usage_error)
    return load_text(read.source.text, read.source.path, checks=checks)


def finish_checks(loaded: Loaded) -> None:
    """Run the semantic checks on a file loaded with `checks=False`, adding their findings
    to `loaded.diagnostics`: the same findings `checks=True` gives. `check` builds first
    and checks second so that lint can start on the model in between
    (`lint.background`)."""
    if loaded.model is None:
        return
    from .gcpause import gc_paused

    with gc_paused():
        loaded.diagnostics.extend(run_checks(loaded.model))


def load(path_or_text: str | os.PathLike[str], *, checks: bool = True) -> Loaded:
    """Load a file by path, or funnel text given directly.

    A `Path`, `-`, or a string naming an existing file is read from disk; any other
    string is taken as funnel text (funnel text always has a space or a line break,
    a path to a missing file usually does not, and gets a clear "no such file").
    """
    if isinstance(path_or_text, os.PathLike):
        return load_file(path_or_text, checks=checks)
    s = str(path_or_text)
    if s == "-" or ("\n" not in s and (os.path.exists(s) or s.endswith(".funnel")
                                       or " " not in s)):
        return load_file(s, checks=checks)
    return load_text(s, checks=checks)


def load_bytes(data: bytes, path: str = "<bytes>", *, checks: bool = True) -> Loaded:
    read = decode_source(data, path)
    if read.source is None or read.diagnostics:
        return Loaded(path, None, read.diagnostics, read.source)
    return load_text(read.source.text, path, checks=checks)
