"""The file's delays and shares in the client's words, the one wording the playbook and
the diagrams (Mermaid, DOT, `serve`'s diagram) share: the diagram of a Ukrainian account
wrote «75% через triangular(2h, 1d, 3d)» while its playbook said «через 2 години – 3 дні,
найчастіше через 1 день», and the playbook copied a cadence's `0.5%` as typed next to its
own «74,5%».

`delay_words(exp(2d))` is «в среднем через 2 дня» / «в середньому через 2 дні» / "after 2
days on average", with CLDR's plural forms and the language's numbers; `brief=True` (a
diagram's edge) leaves out the most likely delay of a `triangular`, so the edge reads
«75% через 2 години – 3 дні» and the playbook gives the rest. `share_words` is a share
the file gives (`0.5%`) with its digits, in the language's numbers (`0,5%`)."""

from __future__ import annotations

import re

from .. import model as m
from ..i18n import Translator

__all__ = ["UNITS", "parse_duration", "duration_words", "delay_words", "share_words"]

UNITS = {"s": "second", "m": "minute", "min": "minute", "h": "hour", "d": "day", "w": "week"}
"""The duration suffixes of the language and the unit each names."""

_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(min|s|m|h|d|w)$")


def parse_duration(text: str) -> tuple[float, str] | None:
    """`15m` → (15, minute); None for anything the words cannot say."""
    match = _DURATION_RE.fullmatch(text)
    return None if match is None else (float(match[1]), UNITS[match[2]])


def duration_words(text: str, tr: Translator, after: bool = False) -> str:
    """`15m` → `15 minutes` / `15 минут` / `15 хвилин`, with CLDR's plural forms;
    `after` gives the form that follows «через» (`через 1 минуту`). Anything else is
    shown as written."""
    parsed = parse_duration(text)
    return text if parsed is None else tr.duration(parsed[0], parsed[1], after)


def _range(lo: str, hi: str, tr: Translator) -> str:
    """`1d`, `5d` → `1–5 days` / `1–5 дней`; bounds in different units in full."""
    a, b = parse_duration(lo), parse_duration(hi)
    if a is not None and b is not None and a[1] == b[1]:
        return tr.duration_range(a[0], b[0], a[1], after=True)
    return f"{duration_words(lo, tr, True)} – {duration_words(hi, tr, True)}"


def delay_words(d: m.Dist, tr: Translator, *, brief: bool = False) -> str:
    """A delay as a manager reads it: `exp(3d)` → `after 3 days on average`,
    `uniform(1d, 5d)` → `after 1–5 days`, `triangular(2h, 1d, 3d)` → `after 2 hours – 3
    days, most often after 1 day` (`after 2 hours – 3 days` when `brief`)."""
    _ = tr.gettext
    texts = [q.text for q in d.args]
    if d.bare or d.kind == "fixed":
        return _("after {after}").format(after=duration_words(texts[0], tr, True))
    if d.kind in ("exp", "lognormal", "gamma"):
        return _("after {after} on average").format(after=duration_words(texts[0], tr, True))
    if d.kind == "uniform":
        return _("after {range}").format(range=_range(texts[0], texts[1], tr))
    if d.kind == "triangular":
        if brief:
            return _("after {range}").format(range=_range(texts[0], texts[2], tr))
        return _("after {range}, most often after {mode}").format(
            range=_range(texts[0], texts[2], tr), mode=duration_words(texts[1], tr, True))
    values = _(" or ").join(duration_words(t, tr, True) for t in texts)
    return _("after {values}").format(values=values)


def share_words(share: m.Share, tr: Translator) -> str:
    """A share of the file with the digits it was written with: as written in English
    (`2.5%`); with the decimal comma of Russian and Ukrainian (`2,5%`), whose clients read
    `2.5` as a foreign number."""
    if tr.lang == "en":
        return share.text
    digits = len(share.text.rstrip("%").partition(".")[2])
    return tr.percent(share.value, digits)
