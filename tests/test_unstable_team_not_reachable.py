"""A team that cannot keep up: analyze and the report say that the wins and revenue
through its stages are not reachable as staffed, and show no more busy members than the
team has (a numbers review: a 3-person round-the-clock team at load 1.18).

analyze printed «busy members 3.55» for a team of 3 (3.55 is the work asked of it), and
$272k/month, 272 won/month and P(win) as if its queue were served, with «unstable» only in
a note; the report's «Exact analysis» the same."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """account "Test" {{
  currency USD
  language {language}
}}

team "Callers" size {size}

source "Web" 40/day -> "Sales"."New" value 1000

pipeline "Sales" main sales {{
  stage "New" {{
    owner "Callers"
    respond 15m
    work exp(2h)
    -> "Qualified" 60%
    -> lost "Junk" 40%
  }}
  stage "Qualified" {{
    -> "Proposal" 70% after exp(1d)
    -> lost "No budget" 20% after exp(2d)
    -> "New" 10% after exp(1d)
  }}
  stage "Proposal" {{
    -> won 50% after exp(3d)
    -> lost "Price" 50% after exp(3d)
  }}
}}
"""

WORDS = {
    "en": ("3 (work for 3.55)", "not reachable as staffed: the queue of team “Callers”",
           "so the conversion and wins above come only once that backlog is cleared",
           "so the wins and revenue that pass through its stages come only once that "
           "backlog is cleared"),
    "ru": ("3 (работы на 3,55)", "недостижимо при этом составе: очередь команды «Callers»",
           "поэтому конверсия и выигрыши выше придут, только когда этот завал разберут",
           "поэтому выигрыши и выручка, проходящие через её этапы, придут, только когда "
           "этот завал разберут"),
}


def _funnel(tmp_path: Path, language: str, size: int) -> Path:
    path = tmp_path / f"team_{language}_{size}.funnel"
    path.write_text(FUNNEL.format(language=language, size=size), encoding="utf-8")
    return path


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"COLUMNS": "300"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _busy_cell(text: str) -> str:
    row = next(line for line in text.splitlines() if line.startswith("│ Callers"))
    return row.strip("│").split("│")[3].strip()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_analyze_says_the_revenue_of_an_unstable_team_is_not_reachable(
        tmp_path: Path, language: str) -> None:
    busy, head, wins, revenue = WORDS[language]
    text = _run("analyze", str(_funnel(tmp_path, language, 3)))
    assert _busy_cell(text) == busy
    flat = " ".join(text.split())
    assert f"{head} " in flat and wins in flat and revenue in flat
    lines = [x.strip() for x in text.splitlines()]
    expected = next(i for i, x in enumerate(lines)
                    if x.startswith(("expected revenue:", "ожидаемая выручка:")))
    assert lines[expected + 1].startswith(head), lines[expected:expected + 2]
    # The JSON keeps busy_mean (the work asked) and says who is not served.
    data = json.loads(_run("analyze", str(_funnel(tmp_path, language, 3)), "--format", "json"))
    team = data["teams"][0]
    assert team["busy_mean"] == pytest.approx(3.546, abs=1e-3) and team["busy_members"] == 3
    assert data["unstable_teams"] == ["Callers"] == data["pipelines"][0]["unstable_teams"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_report_page_says_it_too(tmp_path: Path, language: str) -> None:
    busy, head, wins, revenue = WORDS[language]
    out = tmp_path / "report"
    _run("report", str(_funnel(tmp_path, language, 3)), "-o", str(out), "--days", "20",
         "--warmup", "2", "--reps", "1", "--jobs", "1", "-q")
    page = (out / "report.html").read_text(encoding="utf-8")
    start = page.index('<section id="exact"')
    exact = " ".join(html.unescape(re.sub(r"<[^>]+>", " ",
                                          page[start:page.index("</section>", start)])).split())
    assert f" {busy} " in exact and head in exact and wins in exact and revenue in exact
    summary = page[page.index('<section id="summary"'):start]
    assert head in html.unescape(summary)  # beside the Money table's exact columns


def test_a_team_that_keeps_up_has_no_such_note(tmp_path: Path) -> None:
    text = _run("analyze", str(_funnel(tmp_path, "en", 4)))
    assert _busy_cell(text) == "3.55" and "not reachable" not in text
    data = json.loads(_run("analyze", str(_funnel(tmp_path, "en", 4)), "--format", "json"))
    assert data["unstable_teams"] == [] and data["teams"][0]["busy_members"] == \
        pytest.approx(3.546, abs=1e-3)
