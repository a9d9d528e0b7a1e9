"""Writing the report folder: everything is rendered in memory first, then every file
goes to DIR through a temporary file, and only when all are written are they renamed
into place (`funnelc.atomic.write_all`). A reader never sees half a file, a full disk
leaves the old report whole and no temporary file behind, and a run refused before
rendering (a file with errors, a bad option) never creates DIR at all."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..atomic import write_all

__all__ = ["write_report", "ReportWriteError"]


class ReportWriteError(OSError):
    """DIR cannot be created or a file in it cannot be written."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def write_report(folder: str | os.PathLike[str], files: Mapping[str, str | bytes]) -> list[Path]:
    """Write `files` (name → content) into `folder`, creating it (and removing it again
    when the files cannot all be written); returns the paths in the order given."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ReportWriteError(str(target), "it exists and is not a folder")
    paths = [target / name for name in files]
    try:
        write_all({str(path): content for path, content in zip(paths, files.values())})
    except OSError as exc:
        raise ReportWriteError(str(exc.filename or target), exc.strerror or str(exc)) from exc
    return paths
