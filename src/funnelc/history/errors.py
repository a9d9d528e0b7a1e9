"""The two ways a history input can stop a command, told apart by exit code.

`HistoryInputError` (exit 2): the input cannot be read at all — missing, binary, of no
known shape — a problem with the command line, not with the data.
`HistoryDataError` (exit 1): the file is the right kind but its content cannot be used
(nested too deep, nothing in it, a history that spans no time); the message names the
file and the place, like every other problem in the input.
"""

from __future__ import annotations

__all__ = ["HistoryInputError", "HistoryDataError"]


class HistoryInputError(Exception):
    """An input that cannot be read at all (missing, a binary file, no known shape):
    a usage error, unlike messy content, which is counted and read around."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class HistoryDataError(HistoryInputError):
    """An input of a known kind whose content cannot be used: a problem in the input."""

    exit_code = 1
