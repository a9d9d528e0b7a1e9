"""`staff` on the cottage builder's account (pipelines/cottages.funnel, `language ru`, and
the same file with `language uk`), searching one size only (`--max-size 12`, below the
estimate): the last line said «поиск: 3 прогона при размерах 12» (uk «при розмірах 12»,
en «at sizes 12») for one size, and the breaches by arrival time read «93,7% нарушений
(из этих сделок с нарушением 93,7%)» (uk «(з цих угод з порушенням 93,7%)»), which
parses as «of those deals, with a breach 93.7%» instead of «93.7% of them breached»."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

RU = PIPELINES / "cottages.funnel"
ARGS = ("--team", "Менеджеры", "--target", "respond 15m 80%", "--target",
        "utilization <= 85%", "--max-size", "12", "--reps", "2", "--no-levers",
        "--days", "120")
"""120 days, not the default 365: the tests read the wording, and at 12 managers the
out-of-hours arrivals break the respond target whatever the horizon (exit 1, the same
lines; a third of the time)."""


def staff(path: Path, *more: str) -> str:
    result = CliRunner().invoke(cli, ["staff", str(path), *ARGS, *more],
                                env={"NO_COLOR": "1", "COLUMNS": "1000"})
    assert result.exit_code == 1, result.output  # no size up to 12 meets the targets
    return re.sub(r"\s+", " ", result.output)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    uk = tmp_path_factory.mktemp("staff") / "cottages_uk.funnel"
    uk.write_text(RU.read_text("utf-8").replace("  language ru\n", "  language uk\n"),
                  "utf-8")
    return {"ru": staff(RU), "uk": staff(uk), "en": staff(RU, "--lang", "en")}


def test_one_size_searched_is_said_in_the_singular(outputs: dict[str, str]) -> None:
    assert re.search(r"поиск: 2 прогона при размере 12 \(сначала 2, затем больше", outputs["ru"])
    # uk says «за розміру», as the rest of its staff text («за 3 ціль …»): «при розмірі» is
    # a Russism.
    assert re.search(r"пошук: 2 прогони за розміру 12 \(спершу 2, потім більше", outputs["uk"])
    assert re.search(r"search: 2 replications at size 12 \(2 first, more", outputs["en"])
    assert "при размерах" not in outputs["ru"] and "розмірах" not in outputs["uk"]
    assert "при розмір" not in outputs["uk"]
    assert "at sizes" not in outputs["en"]
    # Nothing is compared across sizes when there is one.
    assert "общие случайные числа для всех размеров" not in outputs["ru"]


def test_breaches_by_arrival_time_say_who_breached(outputs: dict[str, str]) -> None:
    ru = re.search(r"поступили в нерабочее время: [\d,]+% нарушений \(из этих сделок "
                   r"нарушение у [\d,]+%\), в рабочее: [\d,]+% \(нарушение у [\d,]+%\)",
                   outputs["ru"])
    uk = re.search(r"надійшли в неробочий час: [\d,]+% порушень \(з цих угод порушення "
                   r"має [\d,]+%\), у робочий: [\d,]+% \(порушення має [\d,]+%\)",
                   outputs["uk"])
    assert ru and uk, (outputs["ru"], outputs["uk"])
    assert "с нарушением 9" not in outputs["ru"] and "з порушенням 9" not in outputs["uk"]
