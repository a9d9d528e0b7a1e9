"""An export cut by the leads' creation date: the online school's amoCRM export
(tests/data/amocrm_school/generate.py, seed 3) holds no lead created after 2026-10-31
while its events run to 2026-11-27, and copies into «Прогрев» were still made in November.
Those copies are no source's leads, yet the gap check counted them, so November was not a
gap but a month without leads: every source was written `profile nov 0%`, a forecast of
no leads next November. The gap is judged on the deals counted as leads, and the warning
names the month in the client's language («за ноябрь»)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import planted_export
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "amocrm_school"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    out = planted_export(tmp_path_factory, "amocrm_school")
    files = [str(p) for p in sorted(out.iterdir())]
    target = out.parent / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", *files, "--funnel", str(DATA / "school.funnel"),
                                   "--tz", "Europe/Moscow", "-o", str(target)],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return target.read_text(encoding="utf-8"), " ".join(res.output.split())


def test_a_trailing_month_without_leads_is_a_gap_not_a_zero_profile(
        fitted: tuple[str, str]) -> None:
    text, _ = fitted
    sources = [line for line in text.splitlines() if line.startswith("source ")]
    assert len(sources) == 3
    assert not any(re.search(r"\bnov 0%", s) for s in sources), sources


def test_the_gap_is_named_in_the_clients_language(fitted: tuple[str, str]) -> None:
    _, report = fitted
    assert "ни одной сделки не создано за ноябрь" in report, report
    assert "а не месяц без лидов; в профиле для него оставлена доля из воронки" in report
    assert " nov," not in report
