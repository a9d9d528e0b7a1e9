"""Working hours that are not a day's span (FN224): `09:75`, `18:00-09:00`, `08:00-26:00`.
The calendar turns SLAs into working time; an inverted or impossible span would make a
day with no working time, and deals would wait forever.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .. import codes
from ..diagnostics import Diagnostic
from ..model import DayHours, FunnelFile, Hours
from ..span import Span
from .references import error

__all__ = ["check_working_hours"]

_CLOCK = re.compile(r"[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$")
_NIGHT = "a shift over midnight is two entries: `mon 22:00-24:00, tue 00:00-06:00`"


def _all_hours(funnel: FunnelFile) -> Iterator[Hours]:
    for account in funnel.accounts:
        if account.hours is not None:
            yield account.hours
    for team in funnel.teams:
        if team.hours is not None:
            yield team.hours
    for scen in funnel.scenarios:
        for ovr in scen.overrides:
            if ovr.hours is not None:
                yield ovr.hours


def _clock_span(entry: DayHours) -> Span:
    """The `HH:MM-HH:MM` part: always the entry's last 11 characters, on its last line."""
    sp = entry.span
    return Span(line=sp.end_line, column=max(sp.end_column - 11, 1), end_line=sp.end_line,
                end_column=sp.end_column, start=max(sp.end - 11, 0), end=sp.end)


def _check(funnel: FunnelFile, entry: DayHours) -> Diagnostic | None:
    found = _CLOCK.search(entry.text)
    if found is None:
        return None
    clock = found.group(0)
    times = clock.split("-")
    for t in times:
        hh, mm = int(t[:2]), int(t[3:])
        if mm > 59 or hh > 24 or (hh == 24 and mm > 0):
            return error(codes.FN224, f"`{t}` is not a time of day", funnel, _clock_span(entry),
                         "times run from 00:00 to 24:00",
                         help="write hours 00-23 and minutes 00-59; 24:00 ends a day")
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in times)
    if start == end:
        return error(codes.FN224, f"working hours `{clock}` are empty", funnel, _clock_span(entry),
                     "starts and ends at the same time",
                     help="write the end of the working day, e.g. `10:00-19:00`; for round the "
                          "clock write `00:00-24:00`")
    if start > end:
        return error(codes.FN224, f"working hours `{clock}` end before they start", funnel,
                     _clock_span(entry), "no working time in this span",
                     help=f"write the start first; {_NIGHT}")
    return None


def check_working_hours(funnel: FunnelFile) -> Iterator[Diagnostic]:
    for hours in _all_hours(funnel):
        for entry in hours.entries:
            found = _check(funnel, entry)
            if found is not None:
                yield found
