"""`audit`'s data-quality notes are client text in the account's language whether or not
rows were dropped. Regression: with a row dropped, the notes went out with the English
warnings, «warning: note: h.csv:2: slash dates read as month/day/year …», for a Russian
account whose notes read «примечание: …» when nothing was dropped. Found by a new-user
review on Maven's public deal list."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """\
account "Проверка" {
  language ru
}
source "Сайт" 2/day -> "Продажи"."Новая"
pipeline "Продажи" main sales {
  stage "Новая" {
    -> "Встреча" 60%
    -> lost "Дорого" 40%
  }
  stage "Встреча" {
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


@pytest.mark.parametrize("dropped", [False, True], ids=["clean", "a-row-dropped"])
def test_notes_follow_the_account_language(tmp_path: Path, dropped: bool) -> None:
    rows = ["deal_id,time,stage,manager"]
    for i in range(40):
        day = 13 + i % 15  # slash dates with a day above 12 in second place: a note
        rows.append(f"D{i},03/{day:02d}/2026 10:00,Новая,Анна")
        rows.append(f"D{i},03/{day:02d}/2026 15:00,{('Встреча', 'lost')[i % 2]},Анна")
    if dropped:
        rows.append("D99,not a time,Новая,Анна")
    history = tmp_path / "h.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    funnel = tmp_path / "f.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    result = CliRunner().invoke(cli, ["audit", str(funnel), str(history)])
    assert result.exit_code == (1 if dropped else 0), result.output
    err = " ".join(result.stderr.split())
    assert "примечание: " in err and "даты через косую черту прочитаны как месяц/день/год" in err
    assert "note:" not in err and "slash dates" not in err
    assert ("warning: dropped 1 row" in err) is dropped  # the diagnostics stay English
