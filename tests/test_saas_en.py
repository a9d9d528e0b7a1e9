"""A Kyiv consultant's pass, in English, over a B2B SaaS company's generic CSV export
(tests/data/saas_en/generate.py, seed 1): wins and losses are the stages «Closed won» and
«Closed lost», headers are spelt with spaces («Loss reason», «Deal owner»), amounts
`€1,250.50`, dates `MM/DD/YYYY`; the CRM renamed «Demo» to «Demo held» on 2026-05-01;
Ryan Cole closes trials as lost early and reopens some; a bulk import put 300 deals into
«Inbound lead» on 2026-06-16. Every figure asserted here was counted from the
generator's own truth (`truth.json`), not from funnelc's tables."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "saas_en"
FUNNEL = DATA / "cloudly.funnel"
RENAMED = datetime(2026, 5, 1)
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saas_en")
    data_generator("saas_en").write(out, 1)
    return out


@pytest.fixture(scope="module")
def truth(export: Path) -> list[dict]:
    return json.loads((export / "truth.json").read_text(encoding="utf-8"))


def _exported(t: str, stage: str) -> str:
    return "Demo held" if stage == "Demo" and datetime.fromisoformat(t) >= RENAMED else stage


def _run(*args: str, code: int = 0) -> tuple[str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


@pytest.fixture(scope="module")
def history(export: Path) -> dict:
    out, _ = _run("history", str(export / "history.csv"), "--funnel", str(FUNNEL),
                  "--format", "json")
    return json.loads(out)


def test_closed_won_and_closed_lost_close_the_deal(history: dict, truth: list[dict]) -> None:
    # HubSpot's and Salesforce's names for the closing stages were read as two more open
    # stages: no deal was ever lost or won, the loss reasons table said «(none)».
    won = sum(1 for d in truth for e in d["events"] if e[1] == "Closed won")
    lost = sum(1 for d in truth for e in d["events"] if e[1] == "Closed lost")
    assert (won, lost) == (258, 846)
    stages = {r["stage"] for r in history["tables"]["time_in_stage"]}
    assert not stages & {"Closed won", "Closed lost"}
    assert sum(r["deals"] for r in history["tables"]["losses"]) == lost


def test_loss_reasons_by_stage_are_the_generators(history: dict, truth: list[dict]) -> None:
    # «Loss reason» (a header with a space) was not the loss_reason column: every loss
    # had «(no reason)». Counted per loss, by the stage the deal was lost from.
    expected: Counter[tuple[str, str, str]] = Counter()
    for d in truth:
        prev = None
        for t, stage, why in d["events"]:
            if stage == "Closed lost":
                expected[d["pipeline"], prev, why] += 1
            else:
                prev = _exported(t, stage)
    got = {(r["pipeline"], r["stage"], r["reason"]): r["deals"]
           for r in history["tables"]["losses"]}
    assert got == dict(expected)
    assert got["New business", "Trial", "No response"] == 91


def test_deal_owner_is_the_manager_column(history: dict, truth: list[dict]) -> None:
    managers = {r["manager"] for r in history["tables"]["managers"]}
    assert managers == {d["manager"] for d in truth}


def test_a_renamed_stage_is_told_with_its_days_place_and_what_to_do(export: Path) -> None:
    _, err = _run("history", str(export / "history.csv"), "--funnel", str(FUNNEL), "-q")
    text = " ".join(err.split())
    assert ('"New business"."Demo held" (289 events): did you mean "New business"."Demo"'
            in text)
    assert ('"Demo" was last entered on 2026-04-29, "Demo held" first on 2026-05-01: the '
            "CRM renamed the stage" in text)
    assert 'every "Demo held" as "Demo"' in text
    assert "history.csv:1514" in text


def test_a_renamed_stage_is_told_when_the_funnel_has_the_new_name(export: Path,
                                                                  tmp_path: Path) -> None:
    held = tmp_path / "held.funnel"
    held.write_text(FUNNEL.read_text(encoding="utf-8").replace('"Demo"', '"Demo held"'),
                    encoding="utf-8")
    _, err = _run("history", str(export / "history.csv"), "--funnel", str(held), "-q")
    text = " ".join(err.split())
    assert '"New business"."Demo" (169 events): did you mean "New business"."Demo held"' in text
    assert '"Demo" was last entered on 2026-04-29, "Demo held" first on 2026-05-01' in text
    assert 'every "Demo" as "Demo held"' in text
