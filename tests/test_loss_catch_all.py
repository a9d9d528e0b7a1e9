"""The catch-all loss reasons are the ones real accounts write, not only a closed list
of spellings: «Прочие причины», «Інше (вкажіть)», "Other (please specify)", « другое »,
«—», «Не указано» say nothing, and a reason that says something after the word for
"other" («Другой город», «Другое направление бизнеса», «Другое (переезд)») is a reason.
With the closed list the data-quality finding counted 6 of these 24 losses without a
usable reason where there are 16, and named three of the eight catch-alls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.catch_all import is_catch_all

ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
SAYS_NOTHING = ["Прочие причины", "Інше (вкажіть)", "Other (please specify)", " другое ",
                "—", "Не указано", "Прочее", "Іншe"]  # the last with a Latin «e»
MORE_NOTHING = ["Другие причины (см. комментарий)", "Прочее/другое", "Другое / не указано",
                "Інше (зазначте)", "Other - see notes", "n/a"]
SAYS_SOMETHING = ["Другой город", "Другое направление бизнеса", "Другое (переезд)", "Дорого"]
MORE_SOMETHING = ["Другое не подошло", "Купил/передумал", "Другие приоритеты"]


@pytest.mark.parametrize("reason", SAYS_NOTHING + MORE_NOTHING)
def test_a_catch_all_as_written_says_nothing(reason: str) -> None:
    assert is_catch_all(reason)


@pytest.mark.parametrize("reason", SAYS_SOMETHING + MORE_SOMETHING)
def test_a_reason_after_the_word_other_is_a_reason(reason: str) -> None:
    assert not is_catch_all(reason)


def _history(tmp_path: Path) -> str:
    rows = ["deal_id,timestamp,pipeline,stage,loss_reason,value"]
    # Each reason twice: the finding needs at least 10 losses without a usable reason.
    for i, reason in enumerate(2 * (SAYS_NOTHING + SAYS_SOMETHING)):
        rows.append(f"D{i},2026-03-{i + 2:02d}T09:00:00+00:00,Продажи,Заявка,,100")
        rows.append(f'D{i},2026-03-{i + 2:02d}T10:00:00+00:00,Продажи,lost,"{reason}",100')
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(path), "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_finding_counts_every_catch_all_and_only_them(tmp_path: Path) -> None:
    tables = json.loads(_history(tmp_path))["tables"]
    (missing,) = tables["loss_reasons_missing"]
    assert (missing["losses"], missing["no_reason"], missing["catch_all"]) == (24, 0, 16)
    assert missing["share"] == pytest.approx(16 / 24)
    (finding,) = [f for f in tables["findings"] if f["kind"] == "loss_reasons_missing"]
    named = finding["subject"]
    assert all(f"{r}" in named for r in ("Прочие причины", "Інше (вкажіть)", "Не указано"))
    assert not any(r in named for r in SAYS_SOMETHING)
