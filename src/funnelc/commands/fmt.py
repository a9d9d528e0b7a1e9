"""`funnelc fmt [--check|--diff|--write] FILE...`: rewrite funnel files in the canonical
layout. Like `check`, it loads only the parser and the formatter (never simpy, numpy
or matplotlib), so it is fast enough to run on every save."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color
from .convention import chosen_lang, deliver, info, lang_option, output_options, to_json
from .output import Output, guard
from .sim_options import stack

if TYPE_CHECKING:
    from ..api import Loaded
    from ..diagnostics import Diagnostic, SourceText


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options(what=" (json: every file's status, and the formatted text or diff "
                           "where printed; schema fmt.schema.json)"))
@click.option("--check", "check", is_flag=True,
              help="Change nothing; list the files that would change and exit 1 if any would.")
@click.option("--diff", "diff", is_flag=True,
              help="Change nothing; print a unified diff and exit 1 if any file would change.")
@click.option("--write", "write", is_flag=True,
              help="Rewrite, atomically, the files not already in the canonical layout.")
@lang_option(help="Language of the diagnostics and of --help: ru, uk or en (the default); "
                  "json stays English.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def fmt_command(files: tuple[str, ...], fmt: str, output_path: str | None, check: bool,
                diff: bool, write: bool, color: str) -> None:
    """Format FILES in the canonical layout (use - for stdin).

    Without an option, print the formatted text of one file to stdout. A file with
    syntax errors is never changed: its errors are printed as `check` prints them.

    Exit code 0 when done (with --check or --diff: when nothing would change), 1 when a
    file has syntax errors or would change, 2 on a usage error or an internal failure.
    """
    modes = [name for name, on in (("--check", check), ("--diff", diff), ("--write", write)) if on]
    if len(modes) > 1:
        raise click.UsageError(f"{' and '.join(modes)} cannot be combined; give one of them")
    mode = modes[0][2:] if modes else "print"
    if mode == "write" and "-" in files:
        raise click.UsageError("--write cannot rewrite stdin (`-`); leave out --write to print "
                               "the formatted text")
    if mode == "print" and len(files) > 1:
        raise click.UsageError("several files need --write, --check or --diff (without them, "
                               "fmt prints the formatted text of one file)")
    if mode == "write" and output_path is not None:
        raise click.UsageError("--write rewrites the files themselves; leave out -o")
    guard([Output("-o", output_path)], files)
    raise SystemExit(_run(files, mode, use_color(color), fmt, output_path))


@dataclass
class _Input:
    loaded: Loaded
    raw: bytes | None
    """The bytes as read, to tell a file that differs only by a BOM from one that is done."""


def _read(path: str) -> _Input:
    from ..api import Loaded, load_text
    from ..source import MAX_BYTES, decode_source, read_source

    if path == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        read = decode_source(data, "<stdin>")
        raw: bytes | None = data
    else:
        read = read_source(path)
        raw = None
        if read.source is not None and not read.diagnostics:
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
            except OSError:
                raw = None
    shown = path if path != "-" else "<stdin>"
    if read.source is None or read.diagnostics:
        return _Input(Loaded(shown, None, list(read.diagnostics), read.source,
                             usage_error=read.usage_error), raw)
    return _Input(load_text(read.source.text, read.source.path, checks=False), raw)


@dataclass
class _Run:
    """What a run of `fmt` gathers over its files: the diagnostics to print, the
    product for stdout (or -o), a record per file for --format json, and what decides
    the exit code."""

    mode: str
    fmt: str
    diags: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceText] = field(default_factory=dict)
    product: list[str] = field(default_factory=list)
    records: list[dict[str, object]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    usage: bool = False
    failed: bool = False
    """An internal failure of the formatter, or a file that could not be written."""
    problems: bool = False

    def exit_code(self) -> int:
        if self.usage or self.failed:
            return EXIT_USAGE
        if self.problems or (self.mode in ("check", "diff") and self.changed):
            return EXIT_PROBLEMS
        return EXIT_CLEAN


def _run(files: tuple[str, ...], mode: str, color: bool, fmt: str = "text",
         output_path: str | None = None) -> int:
    run = _Run(mode, fmt)
    for path in files:
        _one(path, run)
    if fmt == "json":
        from ..diagnostics import diagnostics_to_dicts

        deliver(output_path, to_json({"mode": mode, "files": run.records,
                                      "diagnostics": diagnostics_to_dicts(run.diags)}))
        print_diagnostics(run.diags, run.sources, "text", color, chosen_lang())
    else:
        if run.product or output_path not in (None, "-"):
            deliver(output_path, "".join(run.product))
        print_diagnostics(run.diags, run.sources, "text", color, chosen_lang())
        if mode != "print":
            _summary(mode, len(run.changed), run.unchanged)
    return run.exit_code()


def _one(path: str, run: _Run) -> None:
    """Format one file the way `run.mode` asks, recording the outcome in `run`."""
    from ..fmt import FormatInternalError, format_loaded
    from .common import write_atomic

    item = _read(path)
    loaded = item.loaded
    if loaded.source is not None:
        run.sources[loaded.source.path] = loaded.source
    record: dict[str, object] = {"path": loaded.path, "status": "error"}
    run.records.append(record)
    if loaded.model is None:
        run.diags.extend(loaded.diagnostics)
        run.usage = run.usage or loaded.usage_error
        run.problems = run.problems or not loaded.usage_error
        return
    try:
        out = format_loaded(loaded)
    except FormatInternalError as exc:
        click.echo(f"error: internal failure while formatting {loaded.path}: {exc.reason}\n"
                   f"  = note: {'nothing was written' if run.mode == 'write' else 'no output given'}"
                   " for this file\n"
                   "  = help: this is a bug in funnelc; please report it with the file",
                   err=True)
        run.failed = True
        return
    text = loaded.source.text if loaded.source is not None else ""
    raw = item.raw if item.raw is not None else text.encode("utf-8")
    record["changed"] = changed = raw != out.encode("utf-8")
    if run.mode == "print":
        run.product.append(out)
        record.update(status="formatted", formatted=out)
        return
    if not changed:
        run.unchanged += 1
        record["status"] = "unchanged"
        return
    run.changed.append(loaded.path)
    if run.mode == "diff":
        diff = _diff(loaded.path, text, out)
        run.product.append(diff)
        record.update(status="would_reformat", diff=diff)
        return
    if run.mode == "write":
        try:
            write_atomic(path, out)
        except OSError as exc:
            click.echo(f"error: cannot write {loaded.path}: {exc.strerror or exc}\n"
                       "  = note: the file was left as it was", err=True)
            run.failed = True
            return
    record["status"] = "reformatted" if run.mode == "write" else "would_reformat"
    if run.fmt == "text":
        info(f"{'reformatted' if run.mode == 'write' else 'would reformat'} {loaded.path}")


def _summary(mode: str, changed: int, unchanged: int) -> None:
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    if mode == "write":
        parts = [f"{files(changed)} reformatted"] if changed else []
    else:
        parts = [f"{files(changed)} would be reformatted"] if changed else []
    if unchanged:
        parts.append(f"{files(unchanged)} already formatted")
    if parts:
        info(", ".join(parts))


def _lines(text: str) -> list[str]:
    """Lines with their ends, split at `\\n` only: the language's only line break (a
    form feed inside a comment must not split a diff line)."""
    return [piece for piece in re.split(r"(?<=\n)", text) if piece]


def _diff(path: str, before: str, after: str) -> str:
    """The unified diff of one file (empty, with a note on stderr, when only the
    byte-order mark or the line ends differ)."""
    import difflib

    if before == after:  # only the byte-order mark or lone-CR line ends differ
        info(f"{path}: would remove the byte-order mark or turn CR line ends into LF")
        return ""
    out = []
    for line in difflib.unified_diff(_lines(before), _lines(after), fromfile=path,
                                     tofile=f"{path} (formatted)"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


__all__ = ["fmt_command"]
