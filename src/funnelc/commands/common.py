"""Helpers shared by subcommands: printing diagnostics, atomic file writes, exit codes."""

from __future__ import annotations

import os
import sys
from typing import Iterable, Sequence

import click

from ..atomic import atomic_file
from ..diagnostics import Diagnostic, Severity, SourceText, render_json, render_text, summary_line

EXIT_CLEAN = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def use_color(choice: str) -> bool:
    """`auto` honours NO_COLOR / FORCE_COLOR and colours only a terminal."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stderr.isatty()


def print_diagnostics(diags: Sequence[Diagnostic], sources: dict[str, SourceText],
                      fmt: str = "text", color: bool = False) -> None:
    """Text goes to stderr (it is a report about the input); JSON to stdout (it is data)."""
    if fmt == "json":
        click.echo(render_json(diags))
        return
    if diags:
        click.echo(render_text(diags, sources, color=color), err=True, nl=False)
        summary = summary_line(diags)
        click.echo(summary, err=True)


def exit_code_for(diags: Iterable[Diagnostic], usage_error: bool = False) -> int:
    if usage_error:
        return EXIT_USAGE
    return EXIT_PROBLEMS if any(d.severity in (Severity.error, Severity.warning)
                                for d in diags) else EXIT_CLEAN


def write_atomic(path: str, data: str | bytes) -> None:
    """Write to a temp file beside `path`, then rename: a reader never sees half a file,
    and a crash leaves the old file intact (see `funnelc.atomic`)."""
    with atomic_file(path) as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
