"""Every command's outputs, in one place: `-` means stdout; an output that is one of the
command's inputs (after links) is refused before any work is done; a folder where a file
is expected, or a file where a folder is, is a usage error; files are written through
`funnelc.atomic` (atomic for regular files, directly for FIFOs and devices, links kept);
and an `OSError` while writing (full disk, closed pipe, no permission) becomes one
`error: cannot write PATH: reason` line with exit 2, never an internal failure.

Commands call `guard` (or `guard_folder`) first, with every output option and every
input path, then `emit`, `write_folder` or `writing` when the output is ready."""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import click

from ..atomic import is_inside, is_special, same_file, write_all, write_atomic

__all__ = ["STDOUT", "Output", "OutputError", "guard", "guard_folder", "emit", "echo",
           "write_folder", "refuse_inputs", "writing", "via_file", "stdout_error",
           "os_failure", "progress_bar", "ProgressCallback"]

STDOUT = "-"
EXIT_IO = 2

ProgressCallback = Callable[[int, int], None]
"""Told (work done, work in all) as a long run goes: the shape every runner accepts."""

_HINTS = {
    errno.ENOSPC: "the disk is full: free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere",
    errno.EPIPE: "the program reading the output closed it early",
    errno.EACCES: "check the permissions of the file and of its folder",
    errno.EPERM: "check the permissions of the file and of its folder",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.EISDIR: "give a file path, e.g. one inside that folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENXIO: "nothing is listening there (a socket or a FIFO without a reader)",
}


class OutputError(click.ClickException):
    """An output could not be written: an I/O error (exit 2), not a bug and not a
    problem in the input."""

    exit_code = EXIT_IO

    def __init__(self, path: str, reason: str, hint: str | None = None,
                 verb: str = "cannot write") -> None:
        super().__init__(f"{verb} {path}: {reason}")
        self.path = path
        self.reason = reason
        self.hint = hint

    @classmethod
    def from_os(cls, path: str, exc: OSError, verb: str = "cannot write") -> OutputError:
        return cls(path, exc.strerror or str(exc), _HINTS.get(exc.errno or 0), verb)

    def show(self, file: object = None) -> None:
        click.echo(f"error: {self.message}", err=True)
        if self.hint:
            click.echo(f"  = help: {self.hint}", err=True)


def os_failure(exc: OSError) -> OutputError:
    """An `OSError` that escaped a command: about a named file (reading or writing it,
    which the error does not tell), else about stdout, the one stream without a name."""
    if exc.filename is not None and exc.errno != errno.EPIPE:
        return OutputError.from_os(str(exc.filename), exc, verb="I/O error on")
    return stdout_error(exc)


def stdout_error(exc: OSError) -> OutputError:
    """Standard output failed (a closed pipe, `> /dev/full`): the descriptor is pointed
    at /dev/null so the interpreter's last flush cannot fail a second time."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass
    return OutputError.from_os("<stdout>", exc)


@dataclass(frozen=True)
class Output:
    """One output option of a command: how it is shown in messages (`--json`), the path
    given (None when the option was not used), and whether `-` may stand for stdout."""

    option: str
    path: str | None
    stdout_ok: bool = True
    input_hint: str = "give another path"
    """What to do instead when the path is one of the inputs."""


def _real_inputs(inputs: Iterable[str | None]) -> list[str]:
    return [p for p in inputs if p is not None and p != STDOUT and os.path.exists(p)]


def _refuse_input(out: Output, path: str, inputs: list[str]) -> None:
    if is_special(path):
        return  # a terminal or pipe may be both read and written
    for inp in inputs:
        if os.path.isfile(inp) and same_file(path, inp):
            what = f"{path} is the input file" if os.path.abspath(inp) == \
                os.path.abspath(path) else f"{path} is the same file as the input {inp}"
            raise click.BadParameter(f"{what}: writing the output there would destroy "
                                     f"it; {out.input_hint}", param_hint=f"'{out.option}'")
        if os.path.isdir(inp) and is_inside(path, inp):
            raise click.BadParameter(
                f"{path} is inside the input folder {inp}, so the next run would read it "
                "as input; write it elsewhere", param_hint=f"'{out.option}'")


def guard(outputs: Sequence[Output], inputs: Iterable[str | None]) -> None:
    """Refuse, before any work, outputs that would destroy an input, a folder given
    where a file is written, `-` where stdout cannot stand, and two outputs to one
    path. Usage errors (exit 2)."""
    real = _real_inputs(inputs)
    given = [o for o in outputs if o.path is not None]
    to_stdout = [o for o in given if o.path == STDOUT]
    for out in to_stdout:
        if not out.stdout_ok:
            raise click.BadParameter("`-` (stdout) cannot stand for this output; give a "
                                     "path", param_hint=f"'{out.option}'")
    if len(to_stdout) > 1:
        names = " and ".join(o.option for o in to_stdout)
        raise click.UsageError(f"{names} both ask for stdout (`-`); send one of them to "
                               "a file")
    files = [o for o in given if o.path != STDOUT]
    for i, out in enumerate(files):
        path = out.path
        assert path is not None
        if os.path.isdir(path):
            raise OutputError(path, f"it is a folder, and {out.option} writes a file",
                              "give a file path, e.g. one inside that folder")
        _refuse_input(out, path, real)
        for other in files[:i]:
            if other.path is not None and same_file(path, other.path) \
                    and not is_special(path):
                raise click.UsageError(f"{other.option} and {out.option} both write "
                                       f"{path}; give each its own path")


def guard_folder(option: str, folder: str, inputs: Iterable[str | None]) -> None:
    """Refuse a folder output that is `-`, an existing file or one of the input
    folders (its files would be read as input next time)."""
    if folder == STDOUT:
        raise click.BadParameter("this writes several files, which `-` (stdout) cannot "
                                 f"hold: give {option} DIR", param_hint=f"'{option}'")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise click.BadParameter(f"`{folder}` is a file, not a folder: give {option} DIR",
                                 param_hint=f"'{option}'")
    for inp in _real_inputs(inputs):
        if os.path.isdir(inp) and same_file(folder, inp):
            raise click.BadParameter(f"{folder} is an input folder; writing into it would "
                                     "mix the outputs with the inputs; give another folder",
                                     param_hint=f"'{option}'")


def echo(data: str | bytes) -> None:
    """Write `data` to stdout as it is (no newline added); a closed pipe or a full disk
    is an `OutputError`."""
    try:
        click.echo(data, nl=False)
        sys.stdout.flush()
    except OSError as exc:
        raise stdout_error(exc) from None


def emit(path: str, data: str | bytes) -> None:
    """`data` to `path` (`-`: stdout), safely; errors as `OutputError`."""
    if path == STDOUT:
        echo(data)
        return
    with writing(path):
        write_atomic(path, data)


@contextmanager
def writing(path: str) -> Iterator[None]:
    """Turn an `OSError` raised inside the block into an `OutputError` naming the file
    it was about (or `path`): for library writers such as the plots and the records."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError.from_os(exc.filename or path, exc) from None


@contextmanager
def via_file(path: str) -> Iterator[str]:
    """A path a library can write a file to: `path` itself, or, for `-`, a temporary
    file whose contents are copied to stdout when the block ends without an error."""
    if path != STDOUT:
        with writing(path):
            yield path
        return
    folder = tempfile.mkdtemp(prefix="funnelc-out-")
    try:
        tmp = os.path.join(folder, "out")
        yield tmp
        if os.path.exists(tmp):
            with open(tmp, "rb") as fh:
                try:
                    sys.stdout.flush()
                    shutil.copyfileobj(fh, sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                except OSError as exc:
                    raise stdout_error(exc) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def refuse_inputs(option: str, paths: Iterable[str], inputs: Iterable[str | None]) -> None:
    """Refuse (usage error) when any of the files about to be written into a folder is
    one of the inputs, before any of them is written."""
    real = _real_inputs(inputs)
    out = Output(option, None, input_hint="give another folder")
    for path in paths:
        _refuse_input(out, path, real)


def write_folder(option: str, folder: str, files: Mapping[str, str | bytes],
                 inputs: Iterable[str | None]) -> list[str]:
    """Write `files` (relative name → content) into `folder` all or nothing; refuse,
    before writing any, a name that would replace an input. Returns the paths written."""
    inputs = list(inputs)
    guard_folder(option, folder, inputs)
    targets = {os.path.join(folder, rel): content for rel, content in files.items()}
    refuse_inputs(option, targets, inputs)
    with writing(folder):
        write_all(targets)
    return list(targets)


@contextmanager
def progress_bar(label: str, unit: str = "", total: int | None = None
                 ) -> Iterator[ProgressCallback | None]:
    """A transient progress bar on stderr (`label`, bar, done/all, `unit`, time spent)
    while the block runs, when stderr is a terminal; yields the callback to hand the
    runner, or None when there is no terminal to draw on (a pipe, a log, a test), so
    stdout carries only the product and logs stay free of redraws."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from ..termtext import progress_console

    columns: list[ProgressColumn] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=progress_console(), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, all_: int) -> None:
            bar.update(task, completed=done, total=all_)

        yield update
