"""The one file the page edits: read it, tell when it changed on disk, and save the
page's text atomically (`funnelc.atomic`) unless the file changed since the page last
read it, in which case the save is refused with the disk's text so the page can ask
which to keep.

A version is the SHA-256 of the file's bytes: an editor that rewrites the file with the
same bytes changes nothing, and a change within the same second of mtime is still seen.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass

from ..atomic import write_atomic
from ..source import decode_source, normalize_line_ends

__all__ = ["Snapshot", "SaveResult", "Workspace", "WorkspaceError", "version_of"]


class WorkspaceError(Exception):
    """The file cannot be read or written; the message names it and says why."""


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    """The file as on disk: its text (line ends as `\\n`) and version."""

    path: str
    text: str
    version: str


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    version: str
    """The version now on disk (the new one when saved)."""
    conflict: bool = False
    disk_text: str | None = None
    """With a conflict: what the file holds now."""


class Workspace:
    """One funnel file on disk, shared by every request of the server."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.shown = path
        self._lock = threading.Lock()

    def _read_bytes(self) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            raise WorkspaceError(f"{self.shown}: no such file") from None
        except OSError as exc:
            raise WorkspaceError(f"{self.shown}: cannot read: {exc.strerror or exc}") from None

    def read(self) -> Snapshot:
        data = self._read_bytes()
        read = decode_source(data, self.shown)
        if read.source is None:
            reason = read.diagnostics[0].message if read.diagnostics else "not UTF-8 text"
            raise WorkspaceError(f"{self.shown}: {reason}")
        return Snapshot(self.shown, normalize_line_ends(read.source.text), version_of(data))

    def version(self) -> str:
        return version_of(self._read_bytes())

    def save(self, text: str, base_version: str, force: bool = False) -> SaveResult:
        """Write `text` if the file is still at `base_version` (or `force`)."""
        with self._lock:
            current = self.read()
            if current.version != base_version and not force:
                return SaveResult(False, current.version, conflict=True,
                                  disk_text=current.text)
            data = text.encode("utf-8")
            try:
                write_atomic(self.path, data)
            except OSError as exc:
                raise WorkspaceError(f"{self.shown}: cannot save: "
                                     f"{exc.strerror or exc}; the file was not changed"
                                     ) from None
            return SaveResult(True, version_of(data))
