"""Writing the report folder: everything is rendered in memory first, then each file goes
to DIR through a temporary file and a rename. A reader never sees half a file, a failed
run leaves no temporary file behind, and a run refused before rendering (a file with
errors, a bad option) never creates DIR at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from ..commands.common import write_atomic

__all__ = ["write_report", "ReportWriteError"]


class ReportWriteError(OSError):
    """DIR cannot be created or a file in it cannot be written."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


def write_report(folder: str | os.PathLike[str], files: Mapping[str, str | bytes]) -> list[Path]:
    """Write `files` (name → content) into `folder`, creating it; returns the paths in
    the order given."""
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise ReportWriteError(str(target), "it exists and is not a folder")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportWriteError(str(target), exc.strerror or str(exc)) from exc
    written: list[Path] = []
    for name, content in files.items():
        path = target / name
        try:
            write_atomic(str(path), content)
        except OSError as exc:
            raise ReportWriteError(str(path), exc.strerror or str(exc)) from exc
        written.append(path)
    return written
