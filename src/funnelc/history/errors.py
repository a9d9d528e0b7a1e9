"""The two ways a history input can stop a command, told apart by exit code.

`HistoryInputError` (exit 2): the command line is at fault — a path that does not exist
or cannot be read, a folder with no history files, an option the inputs cannot serve, a
funnel file given where the history goes.
`HistoryDataError` (exit 1): a problem in the input — a file that is no history funnelc
reads (of no known format, binary, an archive or a workbook), or one of the right kind
whose content cannot be used (nested too deep, nothing in it, a history that spans no
time); the message names the file and the place, like every other problem in the input.
"""

from __future__ import annotations

__all__ = ["HistoryInputError", "HistoryDataError"]


class HistoryInputError(Exception):
    """An input the command line gets wrong (missing, unreadable, a funnel given as the
    history): a usage error, unlike a file of the wrong kind or messy content."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class HistoryDataError(HistoryInputError):
    """A file that is no history funnelc reads, or whose content cannot be used: a
    problem in the input."""

    exit_code = 1
