"""The two periods a source comparison sets against each other: blocks of months, not
single months. A clinic's Продокторов had 3 of 8 deals in its first month, so a
month-against-month split gave its growth from 11 % to 28 % of the requests a negative
mix part, and Яндекс.Директ's fall from 62.5 % to 25 % was not clear after Holm on a
month's deals: a single month is too small and too noisy to stand for a period.

By default the first and the last third of the `n` months old enough to judge:
`k` = max(1, min(3, ⌊n/3⌋)) months each (2–5 months: one against one; 6–8: two against
two; 9 and more: three against three), the months between them left out. Adjacent
halves dilute a trend: an online school's vk leads grew 40, 60, 90, 120 a month, and
July–August against September–October gave p = 0.053 where July against October is
clear; seed 003's article compares July with October. The consultant can
name the two periods (`--periods 2026-01..2026-03,2026-09..2026-10`). A period is
labelled `2026-01` when it is one month, `2026-01..2026-03` when it is several (the
same syntax as the option; the months it holds are listed beside it).

Named periods are checked once, for the sources and the loss reasons alike, against the
months a deal entered a stage in (`outside`): the sources compare the months deals
entered a stage pair's first stage, the loss reasons the months deals came into the
pipeline, and both are among those. Each comparison then says why it compared nothing
over the periods (`SOURCES_UNUSED`, `losses_unused`): one that cannot use them is left
out with a warning (`unused_warning`) while the other goes on; when neither can, the
periods are refused with one message (`refusal`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Periods", "PeriodsError", "BLOCK", "default_block", "parse_periods",
           "label", "split", "outside", "said", "SOURCES_UNUSED", "losses_unused",
           "unused_warning", "refusal"]

BLOCK = 3
"""Most months per period by default (from nine months old enough on)."""

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII: `\d` takes ２０２６ too, compared as text


class PeriodsError(ValueError):
    """Periods a consultant named that cannot be compared: the message says why."""


@dataclass(frozen=True)
class Periods:
    """Two ranges of months (`YYYY-MM`, both ends included), the first before the
    second and not overlapping it."""

    first: tuple[str, str]
    last: tuple[str, str]


def default_block(n: int) -> int:
    """Months per period among `n` months old enough: a third of them, at least one and
    at most `BLOCK` (2–5 months: one against one, as the comparison did before blocks;
    6–8: two; 9 and more: three), so the two periods keep the trend's ends apart. Under
    two months there is nothing to compare: 0."""
    if n < 2:
        return 0
    return max(1, min(BLOCK, n // 3))


def _month(text: str) -> str:
    m = _MONTH.fullmatch(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        raise PeriodsError(f"`{text.strip()}` is not a month written as YYYY-MM (e.g. 2026-01)")
    return m.group(0)


def parse_periods(text: str) -> Periods:
    """`2026-01..2026-03,2026-10..2026-12` (a period may be one month: `2026-01`)."""
    parts = [p for p in text.split(",")]
    if len(parts) != 2:
        raise PeriodsError(f"expected two periods separated by a comma, got {len(parts)} "
                           "(e.g. 2026-01..2026-03,2026-10..2026-12)")
    ranges: list[tuple[str, str]] = []
    for part in parts:
        lo, sep, hi = part.partition("..")
        a = _month(lo)
        b = _month(hi) if sep else a
        if b < a:
            raise PeriodsError(f"period `{part.strip()}` ends before it starts")
        ranges.append((a, b))
    (a1, b1), (a2, b2) = ranges
    if a2 <= b1:
        raise PeriodsError(f"the periods {_said(a1, b1)} and {_said(a2, b2)} overlap or are "
                           "out of order: the first must end before the second starts")
    return Periods(ranges[0], ranges[1])


def label(months: list[str]) -> str:
    """`2026-01` for one month, `2026-01..2026-03` for a block."""
    return months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"


def _said(a: str, b: str) -> str:
    return label([a, b] if a != b else [a])


def split(months: list[str], periods: Periods | None) -> tuple[list[str], list[str]]:
    """The months (sorted, old enough) of each period: the first and the last
    `default_block` of them, or those inside the named ranges. Either may be empty."""
    if periods is None:
        k = default_block(len(months))
        return (months[:k], months[-k:]) if k else ([], [])
    (a1, b1), (a2, b2) = periods.first, periods.last
    return [m for m in months if a1 <= m <= b1], [m for m in months if a2 <= m <= b2]


def outside(periods: Periods, months: list[str]) -> str | None:
    """Why the named periods do not fit the data's months, or None. `months` (sorted) are
    the months a deal entered a stage in: every month either comparison can hold (a
    stage pair's and a cohort's), so one range is checked for both with one message."""
    if not months:
        return None
    lo, hi = months[0], months[-1]
    for a, b in (periods.first, periods.last):
        if a < lo or b > hi:
            return (f"period {_said(a, b)} is outside the data, whose "
                    f"deals entered stages from {lo} to {hi}")
    return None


def said(periods: Periods) -> str:
    """The periods as `--periods` takes them (`2026-01..2026-02,2026-07`)."""
    return f"{_said(*periods.first)},{_said(*periods.last)}"


SOURCES_UNUSED = ("no stage pair has months old enough to judge in both periods (the deals "
                  "of the last months are still moving)")
"""Why the sources compared nothing over named periods."""


def losses_unused(periods: Periods, cohort_months: list[str]) -> str:
    """Why the loss-reason shifts compared nothing over named periods: a period that no
    deal came into a pipeline in (the stage moves of older deals put it in the data), or
    the new deals of a period not followed long enough for their losses."""
    for months, (a, b) in zip(split(cohort_months, periods), (periods.first, periods.last),
                              strict=True):
        if not months:
            return (f"no deal came into a pipeline in {_said(a, b)} (loss reasons are "
                    "compared by the month a deal came in)")
    return ("no pipeline has months of new deals old enough to judge in both periods (the "
            "losses of the last months' deals are still coming)")


PARTS = {"sources": "the sources", "losses": "the loss-reason shifts"}
"""The comparisons that read `--periods`, as the warnings name them."""


def unused_warning(periods: Periods, part: str, why: str) -> str:
    """The warning for a comparison (`PARTS`) left out because it cannot use the named
    periods while the other one does."""
    return f"--periods {said(periods)}: {PARTS[part]} are not compared: {why}"


def refusal(periods: Periods, unused: dict[str, str]) -> str:
    """The one message refusing named periods no comparison can use (`unused`: why, per
    part that had deals to compare)."""
    if len(unused) == 1:
        return next(iter(unused.values()))
    whys = "; ".join(f"{'the loss reasons' if part == 'losses' else PARTS[part]}: {why}"
                     for part, why in unused.items())
    return (f"neither the sources nor the loss-reason shifts can be compared over "
            f"{_said(*periods.first)} and {_said(*periods.last)}: {whys}")
