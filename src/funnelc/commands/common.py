"""Helpers shared by subcommands: printing diagnostics, exit codes. Writing outputs is
`funnelc.commands.output`'s job."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence

import click

from ..atomic import write_atomic as _write_atomic
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
                      fmt: str = "text", color: bool = False, lang: str | None = None) -> None:
    """Text goes to stderr (it is a report about the input); JSON to stdout (it is data).
    `lang` (by default the command's `--lang`) translates the text; JSON stays English
    (data, searchable codes)."""
    if fmt == "json":
        click.echo(render_json(diags))
        return
    if diags:
        if lang is None:
            from .convention import chosen_lang

            lang = chosen_lang()
        # click strips escape codes on a stream that is not a terminal unless told: a
        # colour asked for (`--color always`, FORCE_COLOR) reaches a pipe too.
        click.echo(render_text(diags, sources, color=color, lang=lang), err=True, nl=False,
                   color=True if color else None)
        summary = summary_line(diags, lang)
        click.echo(summary, err=True)


def exit_code_for(diags: Iterable[Diagnostic], usage_error: bool = False) -> int:
    if usage_error:
        return EXIT_USAGE
    return EXIT_PROBLEMS if any(d.severity in (Severity.error, Severity.warning)
                                for d in diags) else EXIT_CLEAN


def write_atomic(path: str, data: str | bytes) -> None:
    """`funnelc.atomic.write_atomic`, kept here for `fmt --write` (which rewrites its
    inputs on purpose, so it does not go through `output`'s input guard)."""
    _write_atomic(path, data)


class FunnelOption(click.Option):
    """A required `--funnel`: when it is missing and a `.funnel` file is among the
    inputs, the error says to write `--funnel` before it (`funnelc fit deals.csv
    my.funnel` is the natural first try, and `audit` takes the funnel first)."""

    def process_value(self, ctx: click.Context, value: object) -> object:
        try:
            return super().process_value(ctx, value)
        except click.MissingParameter:
            inputs = ctx.params.get("inputs") or ()
            guess = next((str(p) for p in inputs if str(p).endswith(".funnel")), None)
            if guess is None:
                raise
            raise click.MissingParameter(f"{guess} is a funnel file, not a history: write "
                                         f"`--funnel {guess}`", ctx=ctx, param=self) from None
