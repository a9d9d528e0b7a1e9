"""Seed 000's planted story on a cottage builder's amoCRM export
(tests/data/cottages_amocrm_ru/generate.py, seed 0): only a manager's call moves a deal
on from «Отправлен расчет», so the deals left untouched hardly ever move on. amoCRM's
touches (calls on the lead's contact, WhatsApp messages, completed tasks) must reach the
graveyard's activity bands as Bitrix24's `crm.activity.list` does, counted here by hand
from the generator's own records."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from conftest import data_generator
from cottages_export import data_end, days_between
from funnelc.cli import cli

CALC = "Отправлен расчет"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return data_generator("cottages_amocrm_ru")


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory, gen: ModuleType) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("cottages_amocrm_ru")
    return out, gen.write(out, 0)


def _untouched(d, days: float, end: datetime) -> bool:
    """Whether the visit went `days` without a touch in «Отправлен расчет» before it left
    it or the data ended (the clock starts at the last touch before it entered)."""
    stop = d.calc_out[0] if d.calc_out and d.calc_out[0] <= end else end
    seen = sorted(t for t in d.touches if t <= end)
    before = [t for t in seen if t <= d.calc_in]
    refs = [before[-1] if before else d.calc_in, *(t for t in seen if d.calc_in < t < stop)]
    return any(max(days_between(d.calc_in, r) + days, 0.0) < days_between(d.calc_in, nxt)
               for r, nxt in zip(refs, [*refs[1:], stop], strict=True))


def test_amocrm_calls_give_the_activity_bands_their_conversion(export,
                                                             gen: ModuleType) -> None:
    """The calls (on the contact), WhatsApp messages and completed tasks the export holds
    were read for pick-ups only: «последняя активность 14–60 дней назад» said «—» for
    what the deals left untouched did later, the planted story of the seed."""
    out, deals = export
    result = CliRunner().invoke(cli, ["history", str(out), "--tz", "Europe/Moscow",
                                      "--format", "json", "-q"], env=ENV)
    assert result.exit_code == 0, result.output
    rows = {r["segment"]: r for r in json.loads(result.stdout)["tables"]["graveyard_segments"]
            if r["stage"] == CALC}
    end = data_end(out)
    visits = [d for d in deals if d.calc_in is not None and d.calc_in <= gen.NOW]
    idle = [d for d in visits if _untouched(d, 14, end)]
    moved = [d for d in idle if d.calc_out and d.calc_out[1] != "lost" and d.calc_out[0] <= end]
    row = rows["last activity 14–60 days ago"]
    assert (row["reached"], row["converted"]) == (len(idle), len(moved)) == (497, 2)
    every = rows["0–7 days"]["conversion"]
    assert row["conversion"] is not None and row["conversion"] < every / 4
