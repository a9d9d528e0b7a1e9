"""What a syntax error most likely meant: a mistyped keyword, a unit written another way,
two statements on one line. `syntax._syntax_error` asks these before falling back to
"expected one of …", so the message names the fix ("did you mean `owner`?") instead of
the grammar's view of the text ("every `{` needs a matching `}`").

Pure functions of the error's text, token and expected terminals; no parser state but
what the caller passes in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .diagnostics import did_you_mean

__all__ = ["Hint", "keyword_guess", "unit_guess", "words_of_terminals"]


@dataclass(frozen=True)
class Hint:
    """A better message for a syntax error: what to say, where (offsets into the text),
    the label under the caret and the help line."""

    message: str
    start: int
    end: int
    label: str
    help: str


_WORD = re.compile(r"[^\W\d][\w-]*")
_PLAIN_WORDS = re.compile(r"\(\?:((?:[a-z][a-z-]*\|)*[a-z][a-z-]*)\)")


def words_of_terminals(expected: Iterable[str], pattern_of: Callable[[str], tuple[str, str] | None]
                       ) -> dict[str, str]:
    """word → terminal for the keyword-like terminals in `expected`: a plain string
    (`owner`) or an alternation of plain words (`colour|color`, the purposes).
    `pattern_of(name)` gives ("str" or "re", pattern text), or None for an unknown name."""
    words: dict[str, str] = {}
    for name in expected:
        found = pattern_of(name)
        if found is None:
            continue
        kind, value = found
        if kind == "str":
            if _WORD.fullmatch(value):
                words.setdefault(value, name)
            continue
        alternatives = _PLAIN_WORDS.fullmatch(value)
        if alternatives:
            for word in alternatives.group(1).split("|"):
                words.setdefault(word, name)
    return words


def keyword_guess(word: str, words: Iterable[str]) -> str | None:
    """The keyword `word` was probably meant to be (a typo of), if it is a word at all
    and not itself one of `words`."""
    if not _WORD.fullmatch(word):
        return None
    pool = list(words)
    if word in pool:
        return None
    guess = did_you_mean(word, pool)
    return guess if guess is not None and guess != word else None


# ------------------------------------------------------------------------------- units

_DURATION_UNITS: dict[str, str] = {}
for _unit, _spellings in {
    "s": "s sec secs second seconds с сек секунд секунда секунды секунду",
    "m": "min mins minute minutes мин минут минута минуты минуту хв хвилин хвилина хвилини "
         "хвилину",
    "h": "h hr hrs hour hours ч час часа часов год година години годин",
    "d": "d day days д дн день дня дней сут суток сутки днів дні доба діб",
    "w": "w wk wks week weeks нед неделя недели недель неделю тиж тиждень тижні тижнів",
}.items():
    for _spelling in _spellings.split():
        _DURATION_UNITS[_spelling] = _unit

_RATE_UNITS: dict[str, str] = {}
for _unit, _spellings in {
    "hour": "h hr hrs hour hours ч час год година",
    "day": "d day days д дн день сут сутки доба",
    "week": "w wk wks week weeks нед неделя неделю тиж тиждень",
    "month": "mo mon mons month months мес месяц міс місяць",
}.items():
    for _spelling in _spellings.split():
        _RATE_UNITS[_spelling] = _unit

_MINUTE_WORDS = frozenset("min mins minute minutes мин минут минута минуту хв хвилин хвилина хвилину".split())  # noqa: SIM905
_NUMBER_UNIT = re.compile(r"([0-9]+(?:\.[0-9]+)?)([ \t]*)(/?)[ \t]*([^\W\d_]+)")


def unit_guess(text: str, offset: int, want_duration: bool, want_rate: bool) -> Hint | None:
    """A number at `offset` written with a unit the language spells otherwise:
    `4.5/h` → `4.5/hour`, `30мин` → `30m`, `1 week` → `1w`, `15 минут` → `15m`. None
    when the text there is not a number and a unit, or the unit is not a known one."""
    found = _NUMBER_UNIT.match(text, offset)
    if found is None:
        return None
    number, space, slash, unit = found.groups()
    key = unit.casefold()
    start = found.start(3) if slash else found.start(4)
    if space and not slash and not want_duration:
        return None  # `10 per day`, `size 3 people`: not a unit written another way
    if slash or (want_rate and not want_duration):
        if not want_rate:
            return None
        if key == "m":
            return Hint(f"ambiguous rate unit `/{unit}`", start, found.end(4),
                        "per minute or per month?",
                        f"write `{number}/month` for a month; a rate per minute is written "
                        f"per hour: `{_times(number, 60)}/hour`")
        if key in _MINUTE_WORDS:
            return Hint(f"rates are not counted per minute (`/{unit}`)", start, found.end(4),
                        "not a unit of rates",
                        f"write it per hour: `{_times(number, 60)}/hour` is `{number}/{unit}`")
        meant = _RATE_UNITS.get(key)
        if meant is None:
            return None
        written = f"{number}/{meant}"
        return Hint(f"unknown rate unit `/{unit}`; did you mean `{written}`?", start,
                    found.end(4), "not a unit the language knows",
                    f"write `{written}`: a rate is a count per hour, day, week or month "
                    "(3/hour, 12/day, 300/month)")
    if not want_duration:
        return None
    meant = _DURATION_UNITS.get(key)
    if meant is None:
        return None
    written = f"{number}{meant}"
    return Hint(f"unknown duration unit `{unit}`; did you mean `{written}`?", start,
                found.end(4), "not a unit the language knows",
                f"write `{written}`: a duration is a number and s, m (minutes), h, d or w, "
                "with no space (30s, 15m, 2h, 3d, 1w)")


def _times(number: str, factor: int) -> str:
    value = float(number) * factor
    return f"{value:g}"
