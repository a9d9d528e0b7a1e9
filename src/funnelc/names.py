"""What a name looks like to a reader, as opposed to the code points it is made of.

Names are how a funnel file refers to its teams, pipelines and stages, and what a CRM
shows its managers. Three ways text can mean something other than it looks, each with
one predicate here so that the checks, the exports and the diagnostics agree:

* invisible characters: zero-width spaces and joiners, direction marks and overrides,
  the byte-order mark, control characters. Pasted from a chat or a web page, they make
  `Заявка` and `Заявка\\u200b` two different names that print the same;
* blank names: nothing left once invisible characters and spaces are taken away;
* look-alike letters across scripts: Latin `A`, Cyrillic `А` and Greek `Α` are three
  different letters that no one can tell apart on screen (a Russian keyboard layout
  switched mid-word gives them).

The look-alike table is a small hand-written one (Cyrillic and Greek letters that look
like a Latin letter, after case folding) rather than a dependency: the full Unicode
confusables data (e.g. the `confusable_homoglyphs` package) covers every script, ships
a data file of a few hundred kB to load on the way of `funnelc check`, and answers
"is this string mixed-script", not "are these two names the same to a reader", which
is what duplicate detection needs. Only the three scripts funnel files are written in
matter here.

And one way to write a name in Latin letters (`ascii_text`, `code_stem`): the CRM exports
make API names from it (a Salesforce sales process `Prodazhi` of the pipeline «Продажи»),
and the Salesforce import recognises such a name to give the pipeline its own name back.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

__all__ = ["BIDI_CONTROLS", "invisible_chars", "bidi_controls", "is_blank", "skeleton",
           "escape_invisible", "describe_char", "normalize_name", "is_plain",
           "strip_invisible", "sounds_alike", "ascii_text", "code_stem"]

# Unicode 14 (Python 3.11) control (Cc), format (Cf), line/paragraph separator (Zl, Zp)
# characters, plus the default-ignorable letters that draw nothing (combining grapheme
# joiner, Hangul fillers). tests/test_names.py checks the ranges against unicodedata.
_INVISIBLE_CLASS = (
    "\x00-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164"
    "\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]")

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Embeddings, overrides and isolates: they reorder how the rest of the line is drawn
(the "Trojan Source" characters, CVE-2021-42574)."""
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")

# Variation selectors pick an emoji's or a glyph's style ("❤️" is U+2764 U+FE0F): they
# belong in a name, but do not make two names different to a reader.
_IGNORED = re.compile(f"[{_INVISIBLE_CLASS}\ufe00-\ufe0f\u180b-\u180d\u180f"
                      "\U000e0100-\U000e01ef]")

_LOOKALIKES = str.maketrans({
    # Cyrillic (lower case: names are compared after case folding; upper-case look-alikes
    # such as В/B, Н/H, М/M, Т/T are listed by their lower-case letter).
    "а": "a", "в": "b", "е": "e", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ү": "y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ζ": "z", "ϲ": "c", "ϳ": "j",
})


def normalize_name(text: str) -> str:
    """NFC: `й` typed as `и` + combining breve is the same name as the precomposed `й`."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


_PRINTABLE_IGNORED = frozenset("\u034f\u115f\u1160\u3164\uffa0\u180b\u180c\u180d\u180f"
                               + "".join(map(chr, range(0xFE00, 0xFE10)))
                               + "".join(map(chr, range(0xE0100, 0xE01F0))))
"""The characters `_IGNORED` holds that `str.isprintable` lets through."""


def is_plain(text: str) -> bool:
    """True when a name has something visible and nothing hidden: the fast answer for
    almost every name (`check` asks it for every name of an account). False means "look
    closer" (a no-break space, say, is not printable but not invisible either). Every
    invisible character but a few is non-printable, so C-level string tests decide it."""
    if not text.isprintable() or not text.strip():
        return False
    return text.isascii() or _PRINTABLE_IGNORED.isdisjoint(text)


_EMOJI_GLUE = re.compile("[\u200d\U000e0020-\U000e007f]")
"""The invisible characters that belong inside an emoji: the zero-width joiner of
👨‍💻, 👩‍⚕️, 🏳️‍🌈, and the tags of a subdivision flag (🏴 + tags spelling `gbsct`)."""


@functools.cache
def _emoji_sequences() -> Any:
    """Emoji ZWJ and tag sequences (Unicode TR #51; the grapheme rule GB11 of UAX #29):
    a pictograph, its modifiers (skin tone, U+FE0F, tags: grapheme Extend), then more
    pictographs each after a ZWJ. Compiled once, on the first name that holds a joiner
    or a tag."""
    import regex

    emoji = r"\p{Extended_Pictographic}\p{Grapheme_Cluster_Break=Extend}*"
    return regex.compile(f"{emoji}(?:\u200d{emoji})*")


def _in_emoji(text: str, found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """`found` without the joiners and tags that are part of an emoji sequence."""
    if not any(_EMOJI_GLUE.match(ch) for _, ch in found):
        return found
    inside: set[int] = set()
    for mt in _emoji_sequences().finditer(text):
        inside.update(range(mt.start() + 1, mt.end()))
    return [(i, ch) for i, ch in found if i not in inside or not _EMOJI_GLUE.match(ch)]


def invisible_chars(text: str) -> list[tuple[int, str]]:
    """(index, character) of every invisible character in `text`. A zero-width joiner
    between two emoji (👨‍💻) and the tags of a flag are not invisible: they are part of
    one visible symbol, which removing them would split (👨💻)."""
    if text.isprintable() and text.isascii():
        return []
    return _in_emoji(text, [(mt.start(), mt.group()) for mt in _INVISIBLE.finditer(text)])


def bidi_controls(text: str) -> list[tuple[int, str]]:
    """(index, character) of every text-direction control in `text`."""
    if text.isascii():
        return []
    return [(mt.start(), mt.group()) for mt in _BIDI.finditer(text)]


def strip_invisible(text: str) -> str:
    """`text` without the characters `invisible_chars` finds: what a name taken from
    elsewhere (an importer) keeps so that `check` accepts it (FN235)."""
    if text.isprintable() and text.isascii():
        return text
    drop = {i for i, _ in invisible_chars(text)}
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def is_blank(text: str) -> bool:
    """True when nothing visible is left after removing invisible characters and
    trimming spaces: `""`, `"  "` and `"\\u200b"` are all blank. Checks and exports
    share this one test so that what `check` passes, an export never calls blank."""
    return not _IGNORED.sub("", text).strip()


def skeleton(text: str) -> str:
    """What a reader sees: compatibility forms folded (NFKC), invisible characters
    dropped, case folded, runs of spaces made one, and Cyrillic/Greek look-alikes
    mapped to their Latin letter. Two names with one skeleton are one name to a manager."""
    folded = unicodedata.normalize("NFKC", _IGNORED.sub("", text)).casefold()
    return " ".join(folded.translate(_LOOKALIKES).split())


_SPOKEN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e",
    "є": "e", "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "",
    "ы": "i", "ь": "", "э": "e", "ю": "u", "я": "a", "'": "", "’": "", "ʼ": ""})
"""Cyrillic letters as a Latin spelling of the same word would most likely write them:
loose on purpose (г as g, и/і/ї/й as i), so that «Інстаграм» and «Instagram», «Тікток»
and «TikTok» meet. Only `sounds_alike` uses it."""
_SPOKEN_LATIN = str.maketrans({"y": "i", "j": "i", "w": "v", "x": "ks", "q": "k"})
_SOUND_KEY = re.compile(r"[^a-z0-9]")


def _sound_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_SPOKEN)
    return _SOUND_KEY.sub("", folded.translate(_SPOKEN_LATIN))


def sounds_alike(a: str, b: str) -> bool:
    """True when `a` and `b` are written in different scripts (one holds Cyrillic
    letters, the other none) but spell one word: «Інстаграм» and «Instagram». A person
    typing a source or a manager by hand writes it either way; the two are most likely
    one, but a tool cannot know it, so the history says so rather than merging them."""
    if _has_cyrillic(a) == _has_cyrillic(b):
        return False
    ka, kb = _sound_key(a), _sound_key(b)
    if len(ka) < 3 or len(kb) < 3:
        return False
    from difflib import SequenceMatcher

    return ka == kb or SequenceMatcher(None, ka, kb).ratio() >= 0.85


def _has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def describe_char(ch: str) -> str:
    """`U+200B ZERO WIDTH SPACE`: how a diagnostic names a character it cannot show."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'control character')}"


def _escape(ch: str) -> str:
    cp = ord(ch)
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


_PRINTABLE_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0")
"""The characters `_INVISIBLE` holds that `str.isprintable` lets through (checked in
tests/test_names.py): a set test in C instead of a regex search for each of the 58 000
messages a big `check` prints."""


def escape_invisible(text: str) -> str:
    """`text` with every character that draws nothing, or changes how the terminal draws
    what follows, written as `\\u200b`: control and format characters, separators other
    than the space (a no-break space shows as `\\u00a0`), unassigned and private-use
    code points. Tabs stay (the renderer expands them)."""
    if text.isprintable() and (text.isascii() or _PRINTABLE_INVISIBLE.isdisjoint(text)):
        return text
    glue = [(i, ch) for i, ch in enumerate(text) if _EMOJI_GLUE.match(ch)]
    keep = {i for i, _ in glue} - {i for i, _ in _in_emoji(text, glue)}  # inside an emoji
    return "".join(_escape(ch) if i not in keep and ch != "\t"
                   and (not ch.isprintable() or _INVISIBLE.match(ch)) else ch
                   for i, ch in enumerate(text))


_UK_LETTERS = set("іїєґІЇЄҐ")


def ascii_text(text: str, lang: str | None) -> str:
    """`text` in Latin letters: Cyrillic transliterated (Ukrainian rules for a `uk`
    account or a name with Ukrainian-only letters, Russian otherwise), accents dropped
    (`Café` → `Cafe`), soft/hard-sign apostrophes removed. Other characters stay for the
    caller to filter."""
    from transliterate import translit  # type: ignore[import-untyped]

    rules = "uk" if lang == "uk" or any(ch in _UK_LETTERS for ch in text) else "ru"
    try:
        latin = translit(text, rules, reversed=True)
    except Exception:  # noqa: BLE001 - the library raises on text it cannot map
        latin = text
    latin = latin.replace("'", "").replace("’", "")
    decomposed = unicodedata.normalize("NFKD", latin)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def code_stem(text: str, lang: str | None) -> str:
    """ASCII identifier stem: `ascii_text`, every run of characters outside
    `[A-Za-z0-9]` turned into one `_`, no leading/trailing `_`. Empty when nothing
    Latin or digit is left (`★★★`, `—`): callers report that, never invent a code."""
    return re.sub(r"[^A-Za-z0-9]+", "_", ascii_text(text, lang)).strip("_")
