"""Writing an output file without ever destroying something else: the one module that
knows what stands at an output path and how to write there. Below every layer, so the
CLI's outputs, the report, the plots and the simulator's per-deal records share it.

* A regular file or a new path is written into a temporary file beside it and renamed
  over it: a reader never sees half a file, and a failure leaves the old one intact.
* A symlink is followed: its target is replaced that way and the link is kept.
* A FIFO, character device or socket (`/dev/stdout`, `/dev/null`, a named pipe) is
  written directly and never replaced: renaming over it would turn the node into a file.
* A directory where a file is expected is refused (`IsADirectoryError`).

Every `OSError` raised while writing names the path it was about (`filename`), so the
layer above can say which output failed."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["atomic_file", "folder_text", "write_atomic", "write_all", "same_file", "is_inside",
           "is_special", "scratch_dir"]

_FD_ALIASES = ("/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/")
"""Paths that name an open descriptor of this process: replacing what they resolve to
would write to a new file while the descriptor (the shell's `> out.txt`) keeps the old."""


def folder_text(folder: str) -> str:
    """A folder as a message writes it before `/NAME`: without its trailing separators, so
    `-o fcdir/` reads «wrote fcdir/forecast.txt», not «fcdir//forecast.txt» (the root `/`
    gives `""`, so «/forecast.txt»)."""
    return folder.rstrip("/" + os.sep)


def same_file(a: str, b: str) -> bool:
    """True when `a` and `b` are the same file or folder after following links (same
    device and inode; for paths not there yet, the same resolved path)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def is_inside(path: str, folder: str) -> bool:
    """True when `path` (existing or not) sits directly in `folder` after following
    links: writing it adds a file to that folder."""
    parent = os.path.dirname(os.path.abspath(path)) or "."
    return os.path.isdir(folder) and same_file(parent, folder)


def is_special(path: str) -> bool:
    """True for an existing FIFO, device, socket, or a path naming one of this process's
    descriptors: written directly, never replaced."""
    absolute = os.path.abspath(path)
    if absolute.startswith(_FD_ALIASES):
        return os.path.exists(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def scratch_dir(path: str) -> str:
    """Where temporary material for `path` belongs: beside the file a link resolves to
    (same file system, so the final rename is atomic), or the system's temporary folder
    for a special file."""
    if is_special(path):
        return tempfile.gettempdir()
    return os.path.dirname(os.path.realpath(path)) or "."


def _refuse_directory(path: str) -> None:
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", path)


def _named(exc: OSError, path: str, tmp: str | None = None) -> OSError:
    """`exc`, naming `path` (as the user gave it) rather than nothing or our temporary."""
    if exc.filename is None or (tmp is not None and exc.filename == tmp):
        exc.filename, exc.filename2 = path, None
    return exc


@contextmanager
def atomic_file(path: str, *, text: bool = False, keep_mode: bool = True
                ) -> Iterator[IO[Any]]:
    """A file handle whose contents replace `path` when the block ends without an
    exception; on one, `path` is left as it was and the temporary file is removed.

    Binary unless `text` (then UTF-8 with newlines untranslated, as `csv` wants). The
    new file gets the permissions of the one it replaces when `keep_mode`, else (and
    for a new file) 0o644 rather than mkstemp's private 0o600. Special files are
    written directly (see the module's docstring)."""
    _refuse_directory(path)
    if is_special(path):
        try:
            with (open(path, "w", newline="", encoding="utf-8") if text
                  else open(path, "wb")) as fh:
                yield fh
        except OSError as exc:
            raise _named(exc, path) from exc
        return
    target = os.path.realpath(path)
    _refuse_directory(target)
    folder = os.path.dirname(target) or "."
    made: list[str] = []
    try:
        _makedirs(folder, made)
        fd, tmp = tempfile.mkstemp(prefix=".funnelc-", dir=folder)
    except OSError as exc:
        _remove_folders(made)
        raise _named(exc, path) from exc
    try:
        with (os.fdopen(fd, "w", newline="", encoding="utf-8") if text
              else os.fdopen(fd, "wb")) as fh:
            yield fh
        _set_mode(tmp, target, keep_mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _remove_folders(made)
        if isinstance(exc, OSError):
            raise _named(exc, path, tmp) from exc
        raise


def _set_mode(tmp: str, target: str, keep_mode: bool) -> None:
    if keep_mode and os.path.exists(target):
        try:
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            return
        except OSError:
            pass
    os.chmod(tmp, 0o644)


def _makedirs(folder: str, made: list[str]) -> None:
    """`os.makedirs`, noting in `made` (outermost first) each folder it created."""
    missing: list[str] = []
    while folder and not os.path.isdir(folder):
        if os.path.lexists(folder):
            raise NotADirectoryError(errno.ENOTDIR, "a part of the path is a file", folder)
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for path in reversed(missing):
        os.mkdir(path)
        made.append(path)


def _remove_folders(made: list[str]) -> None:
    """Undo `_makedirs` after a failure: each folder goes only if still empty."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_atomic(path: str, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `path` through `atomic_file`."""
    with atomic_file(path) as fh:
        fh.write(_bytes(data))


def write_all(files: Mapping[str, str | bytes]) -> None:
    """Write several files all or nothing, as far as a file system allows: every
    regular file is first written in full to its temporary twin; only when all of them
    are there are they renamed into place (then the special files are written). A full
    disk or a refused folder halfway leaves every path as it was."""
    for path in files:
        _refuse_directory(path)
    staged: list[tuple[str, str, str]] = []  # (temporary, target, path as given)
    direct: list[str] = []
    made: list[str] = []  # folders this call created, removed again on failure
    try:
        for path, data in files.items():
            if is_special(path):
                direct.append(path)
                continue
            target = os.path.realpath(path)
            _refuse_directory(target)
            folder = os.path.dirname(target) or "."
            try:
                _makedirs(folder, made)
                fd, tmp = tempfile.mkstemp(prefix=".funnelc-", dir=folder)
            except OSError as exc:
                raise _named(exc, path) from exc
            staged.append((tmp, target, path))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_bytes(data))
                _set_mode(tmp, target, True)
            except OSError as exc:
                raise _named(exc, path) from exc
        for tmp, target, path in staged:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _named(exc, path, tmp) from exc
    except BaseException:
        for tmp, _, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        _remove_folders(made)
        raise
    for path in direct:
        write_atomic(path, files[path])
