"""The shipped examples tell their seeds' stories with the seeds' own figures (issue 19).

A new user runs `pipelines/*.funnel` first and the README quotes them, so where a seed
gives a number the example must show it through the public commands: the exact maths of
`funnelc analyze` where a closed form answers the question, `funnelc simulate --records`
where the answer is a time a deal arrives somewhere.

* seed 000: after the estimate «95% лидов сливается», and «Отправлен расчет» is still a
  graveyard (cottages-before.funnel);
* seed 002: «Сделка утеплялась ×× дней ... например 90 дней было автоматическое
  утепление» (saleschef.funnel, cottages.funnel);
* seed 002: the telemarketing scale 9–10 / 7–8 / 1–7 (saleschef.funnel);
* seed 003: 19 leads «слито» in July came back, then 3–7 a month, and the «было/стало»
  table (qualification.funnel).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

COTTAGES_BEFORE = PIPELINES / "cottages-before.funnel"


def analyze(path: Path, *args: str) -> dict[str, Any]:
    """`funnelc analyze --format json` of one file, as a user runs it."""
    result = CliRunner().invoke(cli, ["analyze", "--format", "json", str(path), *args])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def stage_of(data: dict[str, Any], pipeline: str, stage: str) -> dict[str, Any]:
    for pipe in data["pipelines"]:
        for row in pipe["stages"]:
            if pipe["name"] == pipeline and row["stage"] == stage:
                found: dict[str, Any] = row
                return found
    raise AssertionError(f"no stage {pipeline}.{stage} in the analysis")


# ------------------------------------------------------------------ seed 000


def test_cottages_before_loses_95_percent_after_the_estimate() -> None:
    """«Как правило после отправки КП, 95% лидов сливается»: of the deals that reach
    «Отправлен расчет», 5 % reach the contract and 95 % do not. Most of those are closed
    as lost, and a share lies there with no SLA, the graveyard the seed names."""
    data = analyze(COTTAGES_BEFORE)
    sent = stage_of(data, "Продажи", "Отправлен расчет")
    contract = stage_of(data, "Продажи", "Заключение договора")
    assert contract["visits_per_lead"] / sent["visits_per_lead"] == pytest.approx(0.05)
    dropped_here = sent["p_lost"]["Не ответил после расчета"]
    assert dropped_here + sent["p_stuck"] == pytest.approx(0.95)
    assert dropped_here > 0.5, "most of the 95 % drop out (lost), they do not all stay"
    assert sent["p_stuck"] >= 0.2, "a share still hangs unsorted: the graveyard"
    assert any("stay forever" in note for note in sent["notes"])
