"""The report's graveyard box says a team busy past its closing time was busy all of its
working time and how much more after closing, not «занята 101% рабочего времени».
Regression (page review F5): cottages' box read «она была занята 101% рабочего времени»;
utilization counts work finishing after closing, which only a note under the teams
table said."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """\
account "T" {
  currency USD
  language LANG
  hours mon-fri 09:00-18:00
}

team "Sales" size 1

source "Web" 30/day -> "P"."New"

pipeline "P" main sales {
  stage "New" {
    owner "Sales"
    work exp(30m)
    -> won 50%
    -> lost "No" 50%
  }
}
"""


@pytest.mark.parametrize(("lang", "said"), [
    ("en", r"was busy all of its working time, and ([\d.]+)% more finishing work after "
           r"closing"),
    ("ru", r"была занята всё своё рабочее время и ещё ([\d,]+)% — доделывая работу после "
           r"закрытия")], ids=["en", "ru"])
def test_a_team_busy_past_closing_is_said_to_be_busy_all_its_hours(
        tmp_path: Path, lang: str, said: str) -> None:
    path = tmp_path / "f.funnel"
    path.write_text(FUNNEL.replace("LANG", lang), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", str(path), "-o", str(out), "--days", "60",
                                      "--warmup", "10", "--reps", "2", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    page = " ".join(page.replace("\u00a0", " ").split())
    found = re.search(said, page)
    assert found, re.findall(r"(?:The cause|Причина)[^<]*", page)
    over = float(found.group(1).replace(",", "."))
    assert 0 < over < 20  # the overtime, not the whole utilization
    assert not re.search(r"(?:busy|занята) 1\d\d(?:[.,]\d+)?%", page)
