"""One abbreviation for a unit in each language, whatever output writes it. A native-speaker
review of one Ukrainian account read «150/тиж.» on its diagram, «100/тижд.» in `sweep`'s
table and a third form, «тижн.», is the tables' short week; the report's time-in-stage
ticks wrote «1 д.», «30 д.» (uk) where every table of the page writes «5,73 дн.». Now
«тиж.» and «дн.» in Ukrainian, «нед.» and «дн.» in Russian."""

from __future__ import annotations

import re

import pytest

from funnelc.i18n import catalogs, translator

WEEK = {"ru": "нед.", "uk": "тиж."}
DAY = "дн."


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_the_week_is_abbreviated_one_way(lang: str) -> None:
    tr = translator(lang)
    week = WEEK[lang]
    assert tr.pgettext("rate", "/week") == "/" + week  # sweep: «100/тиж.», «потік (/тиж.)»
    assert tr.pgettext("unit", "w") == week  # the tables' short units
    assert tr.pgettext("diagram", "{count}/week") == "{count}/" + week  # a source's rate
    assert tr.pgettext("tick", "1w") == "1 " + week  # the report's time axis


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_the_time_axis_writes_days_as_the_tables_do(lang: str) -> None:
    tr = translator(lang)
    assert tr.pgettext("unit", "{n}d").format(n="5,73") == "5,73 " + DAY
    for tick in ("1d", "3d", "30d", "90d"):
        assert tr.pgettext("tick", tick) == f"{tick[:-1]} {DAY}"


def test_no_other_week_or_day_abbreviation_in_the_ukrainian_catalog() -> None:
    strays = []
    for message in catalogs.read_catalog("uk"):
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in texts:
            if re.search(r"тижд\.|тижн\.|\d д\.|\} д\.", text or ""):
                strays.append((message.context, message.id, text))
    assert strays == []
