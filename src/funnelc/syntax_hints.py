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

__all__ = ["Hint", "channel_hint", "keyword_guess", "unit_guess", "words_of_terminals", "decimal_comma_guess",
           "arrow_guess", "glued_word_guess", "money_guess", "open_braces"]


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


def channel_hint(word: str, start: int, end: int, channels: Iterable[str]) -> Hint | None:
    """A word where a channel is expected that is none of the channels (`signal`,
    `instagram`): name the channels, and `chat` for a messenger the language does not
    know, instead of the parser's other choices (`on`, `}`)."""
    if not _WORD.fullmatch(word):
        return None
    names = list(channels)
    listed = ", ".join(f"`{n}`" for n in names[:-1]) + f" or `{names[-1]}`"
    return Hint(f"unknown channel `{word}`; channels are {listed}", start, end,
                "not a channel the language knows",
                "write one of these channels; `chat` stands for any other messenger")


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
    if not space:
        compound = _compound_duration(text, offset)
        if compound is not None:
            return compound
    meant = _DURATION_UNITS.get(key)
    if meant is None:
        if space:
            return None  # `after 2 then …`: not a unit written another way
        if len(set(key)) == 1 and key[0] in _UNIT_HOURS:
            meant = key[0]  # `3dd`, `2hh`: a unit letter typed twice
        else:
            return Hint(f"unknown duration unit `{unit}`", start, found.end(4),
                        "not a unit the language knows",
                        "a duration is a number and s, m (minutes), h, d or w, with no space "
                        "(30s, 15m, 2h, 3d, 1w)")
    written = f"{number}{meant}"
    return Hint(f"unknown duration unit `{unit}`; did you mean `{written}`?", start,
                found.end(4), "not a unit the language knows",
                f"write `{written}`: a duration is a number and s, m (minutes), h, d or w, "
                "with no space (30s, 15m, 2h, 3d, 1w)")


_UNIT_HOURS = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0}
_COMPOUND = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:min|s|m|h|d|w)){2,}(?![\w.])")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)")


def _compound_duration(text: str, offset: int) -> Hint | None:
    """`3d2h`, `1h30m`: a duration in several units, which the language does not take.
    The fix is the sum in one unit (the largest that keeps it whole: `74h`, `90m`), never
    the first part alone, which would drop the rest."""
    found = _COMPOUND.match(text, offset)
    if found is None:
        return None
    seconds = round(sum(float(n) * _UNIT_HOURS["m" if u == "min" else u] * 3600
                        for n, u in _PART.findall(found.group())))
    fix = f"{seconds}s"
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            fix = f"{seconds // size}{unit}"
            break
    written = found.group()
    return Hint(f"the duration `{written}` has more than one unit", found.start(), found.end(),
                "one number and one unit", f"write `{fix}`: a duration is one number and one "
                "unit (30s, 15m, 2h, 3d, 1w)")


_DECIMAL_COMMA = re.compile(r"([0-9]+),([0-9]+)(%|/[^\W\d_]+|[^\W\d_]+)?")


def decimal_comma_guess(text: str, offset: int) -> Hint | None:
    """A number at `offset` written with a decimal comma (`1,5h`, `20,0%`), as Russian
    and Ukrainian write them."""
    found = _DECIMAL_COMMA.match(text, offset)
    if found is None or (offset and text[offset - 1].isdigit()):
        return None
    whole, fraction, rest = found.group(1), found.group(2), found.group(3) or ""
    fix = f"{whole}.{fraction}{rest}"
    return Hint(f"decimal comma in `{found.group()}`", found.start(), found.end(),
                "decimals are written with a point", f"write `{fix}`")


_GLUED = re.compile(r"([0-9]+(?:\.[0-9]+)?)([^\W\d_][\w-]*)")


def glued_word_guess(text: str, offset: int) -> Hint | None:
    """A number at `offset` run into a word that is no unit (`size 3x`, `size 3человека`):
    a number ends before a letter, so the lexer stops at its first digit, and the message
    read «unexpected character `3`» with the help «whole numbers are written with the
    digits 0-9: size 3», of a digit that is one. Asked after `unit_guess`."""
    found = _GLUED.match(text, offset)
    if found is None or (offset and text[offset - 1].isdigit()):
        return None
    number, word = found.groups()
    return Hint(f"the number `{number}` runs into `{word}`", found.start(2), found.end(),
                "not part of the number",
                f"write `{number}`, with a space before any word after it")


_CURRENCY_WORDS = frozenset(
    ["₽", "₴", "$", "€", "руб", "рубль", "рубля", "рублей", "р", "rub", "rur", "грн",
     "гривна", "гривны", "гривен", "гривня", "гривні", "гривень", "uah", "usd", "eur", "euro",
     "евро", "євро", "долл", "доллар", "долларов", "дол", "долар", "доларів"])
_SCALE_WORDS = {
    **dict.fromkeys(["тыс", "тысяч", "тысячи", "тысяча", "тис", "тисяч", "тисячі"], "k"),
    **dict.fromkeys(["млн", "миллион", "миллиона", "миллионов", "мільйон", "мільйона",
                     "мільйонів"], "M")}
_NUMBER_MONEY = re.compile(r"([0-9]+(?:\.[0-9]+)?[kKM]?)([ \t]*)(₽|₴|\$|€|[^\W\d_]+)(\.?)")


def money_guess(text: str, offset: int) -> Hint | None:
    """An amount at `offset` written with its currency or a word for thousands, as a
    Russian or Ukrainian price is (`value 5000₽`, `5000 руб.`, `cost 300 тыс`): the
    message read «unexpected character `₽`» with the help «every `{` needs a matching
    `}`», «unknown duration unit `руб`» (a value may be a duration's distribution) or
    «one statement per line». The language writes an amount bare, in the account's
    currency, thousands as `k` and millions as `M`."""
    found = _NUMBER_MONEY.match(text, offset)
    if found is None or (offset and (text[offset - 1].isdigit() or text[offset - 1] == ".")):
        return None
    number, _space, word, dot = found.groups()
    key = word.casefold()
    scale = _SCALE_WORDS.get(key)
    if scale is not None and number[-1].isdigit():
        return Hint(f"`{word}` is no word of an amount; did you mean `{number}{scale}`?",
                    found.start(3), found.end(4), "thousands are `k`, millions `M`",
                    f"write `{number}{scale}`: an amount is a number, with `k` for thousands "
                    "or `M` for millions (`300k`, `1.5M`), in the account's currency")
    if key in _CURRENCY_WORDS:
        return Hint(f"an amount is written without its currency (`{word}{dot}`)",
                    found.start(3), found.end(4), "the account's `currency` says it",
                    f"write `{number}`: every amount is in the account's currency (`currency` "
                    "in the `account` block: `RUB`, `UAH`, `USD`, …)")
    return None


def number_before(text: str, offset: int) -> int | None:
    """Where the number that ends right before `offset` (spaces between allowed) starts,
    or None."""
    found = re.search(r"[0-9]+(?:\.[0-9]+)?[kKM]?[ \t]*\Z", text[max(0, offset - 40):offset])
    if found is None:
        return None
    return max(0, offset - 40) + found.start()


_ARROWS = frozenset("→⟶⇒⟹➔➜➝➞⇨⮕")
_DASHES = frozenset("–—−‐‑")


def arrow_guess(text: str, offset: int) -> Hint | None:
    """An arrow an editor or a word processor made of `->`: `→`, or a long dash and `>`."""
    ch = text[offset:offset + 1]
    if ch in _ARROWS:
        end = offset + 1
    elif ch in _DASHES and text[offset + 1:offset + 2] == ">":
        end = offset + 2
    else:
        return None
    written = text[offset:end]
    target = _NEXT_WORD.match(text, end)
    fix = "->" + (f" {target.group(1)}" if target else "")
    return Hint(f"`{written}` is not an arrow of the language; did you mean `->`?", offset, end,
                "an arrow is written `->`",
                f"write `{fix}`: the arrow is a hyphen and `>` (an editor may turn them into "
                "`→` as you type)")


_NEXT_WORD = re.compile(r'[ \t]*("(?:[^"\\\r\n]|\\.)*"|[^\s#"]+)')


_BRACES = re.compile(r'"(?:[^"\\\r\n]|\\.)*"?|#[^\r\n]*|[{}]')


def open_braces(text: str, end: int | None = None) -> tuple[list[int], int]:
    """The offsets of the `{` still open at `end` (innermost last), and how many more `{`
    than `}` the whole text has; quoted text and comments are skipped."""
    stack: list[int] = []
    depth = 0
    for found in _BRACES.finditer(text):
        ch = found.group()
        if ch == "{":
            depth += 1
            if end is None or found.start() < end:
                stack.append(found.start())
        elif ch == "}":
            depth -= 1
            if (end is None or found.start() < end) and stack:
                stack.pop()
    return stack, depth


def _times(number: str, factor: int) -> str:
    value = float(number) * factor
    return f"{value:g}"
