"""`--periods` is checked once for the sources and the loss-reason shifts, with one
message, and a part that cannot use the named periods is a warning for that part, not
a refused run.

The sources compare the months deals entered a stage pair's first stage; the loss
reasons compare cohorts, the months deals came into the pipeline. Each had its own
`outside` check over its own months, so on a history whose new deals stop before its
stage moves do, a period the sources compare was refused for the loss reasons (exit 2).
The clinic (tests/data/clinic_b24_ru, seed 2) decides its deals within three weeks, so
no month after its last new deal is old enough for the sources: the refusal is shown on
a history counted by hand, the rest on the clinic's export.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import planted_export
from funnelc.cli import cli

CLINIC = Path(__file__).resolve().parent / "data" / "clinic_b24_ru" / "clinic.funnel"
FUNNEL = """\
source "Сайт" 20/month -> "Продажи"."Заявка"
pipeline "Продажи" sales {
  stage "Заявка" {
    -> "Договор" 50%
    -> lost "Дорого" 50%
  }
  stage "Договор" { -> "Оплата" }
  stage "Оплата" { -> won }
}
"""


def write_history(path: Path) -> Path:
    """In each month of January to June 2026, 20 deals come into «Заявка» on the 5th;
    10 are lost «Дорого» two days later, 10 sign «Договор» 35 days after they came and
    reach «Оплата» an hour after that, then are won on 10 August, the history's last
    event. So the deals of June sign in July: July is a month of the pair «Договор» →
    «Оплата» (old enough: it ended more than an hour before 10 August), and no deal came
    in then."""
    lines = ["deal_id,timestamp,pipeline,stage,loss_reason,source"]
    for month in range(1, 7):
        entered = datetime(2026, month, 5, 10, tzinfo=UTC)
        for i in range(20):
            deal = f"D{month}-{i}"
            lines.append(f"{deal},{entered.isoformat()},Продажи,Заявка,,Сайт")
            if i < 10:
                lines.append(f"{deal},{(entered + timedelta(days=2)).isoformat()},"
                             "Продажи,lost,Дорого,Сайт")
                continue
            signed = entered + timedelta(days=35)
            lines.append(f"{deal},{signed.isoformat()},Продажи,Договор,,Сайт")
            lines.append(f"{deal},{(signed + timedelta(hours=1)).isoformat()},"
                         "Продажи,Оплата,,Сайт")
            lines.append(f"{deal},2026-08-10T10:00:00+00:00,Продажи,won,,Сайт")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_export(tmp_path_factory, "clinic_b24_ru") / "bitrix24"


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "160"})
    return r.exit_code, r.stdout, " ".join(r.stderr.split())


@pytest.mark.parametrize("command", ["history", "audit"])
def test_a_period_the_sources_compare_is_not_refused_for_the_loss_reasons(
        tmp_path: Path, command: str) -> None:
    """`--periods 2026-01..2026-02,2026-07`: the sources compare «Договор» → «Оплата»,
    signed in February (January's deals) against July (June's); no deal came in in July,
    so the loss-reason shifts are left out with a warning that says so and the run goes
    on (exit 0), in `history` and `audit` alike. Before: exit 2, «period 2026-07 is
    outside the data, whose deals entered from 2026-01 to 2026-06»."""
    path = write_history(tmp_path / "h.csv")
    (funnel := tmp_path / "f.funnel").write_text(FUNNEL, encoding="utf-8")
    args = ["history", str(path)] if command == "history" else ["audit", str(funnel), str(path)]
    code, out, err = _run(*args, "--format", "json", "--periods", "2026-01..2026-02,2026-07")
    assert code == 0, err
    assert err == ("warning: --periods 2026-01..2026-02,2026-07: the loss-reason shifts are "
                   "not compared: no deal came into a pipeline in 2026-07 (loss reasons are "
                   "compared by the month a deal came in)"), err
    doc = json.loads(out)
    tables = doc["tables"] if command == "history" else doc
    (row,) = tables["decomposition"]
    # The pair's months in the named ranges: no deal signed in January.
    assert (row["from_stage"], row["to_stage"], row["first"], row["last"]) == (
        "Договор", "Оплата", "2026-02", "2026-07")
    assert (row["first_months"], row["last_months"]) == (["2026-02"], ["2026-07"])
    if command == "history":
        assert tables["loss_reason_shifts"] == []
    # The default periods compare both, without a warning.
    code, out, err = _run(*args, "--format", "json")
    assert code == 0 and err == "", err
    if command == "history":
        assert json.loads(out)["tables"]["loss_reason_shifts"]


def test_periods_neither_part_can_use_are_one_usage_error(clinic: Path) -> None:
    """The clinic, `--periods 2026-01..2026-02,2026-11`: November has not ended before
    the export, so no stage pair has it old enough, and its new deals have not been
    followed long enough for their losses: one usage error that names both parts."""
    code, out, err = _run("history", str(clinic), "--tz", "Europe/Moscow", "--format", "json",
                          "--periods", "2026-01..2026-02,2026-11")
    assert code == 2 and out == "", err
    assert ("Invalid value for '--periods': neither the sources nor the loss-reason shifts "
            "can be compared over 2026-01..2026-02 and 2026-11: the sources: no stage pair "
            "has months old enough to judge in both periods") in err, err
    assert ("the loss reasons: no pipeline has months of new deals old enough to judge in "
            "both periods") in err, err
    assert err.count("Error") == 1 and "warning" not in err


@pytest.mark.parametrize("command", ["history", "audit"])
def test_outside_the_data_is_one_check_and_one_message(clinic: Path, command: str) -> None:
    """The data's months are those a deal entered a stage in: one check and one message
    for both parts."""
    args = (["history", str(clinic)] if command == "history"
            else ["audit", str(CLINIC), str(clinic)])
    code, out, err = _run(*args, "--tz", "Europe/Moscow", "--format", "json",
                          "--periods", "2026-01,2026-11..2026-12")
    assert code == 2 and out == "", err
    assert ("Invalid value for '--periods': period 2026-11..2026-12 is outside the data, "
            "whose deals entered stages from 2026-01 to 2026-11") in err, err
    assert err.count("Error") == 1 and "Traceback" not in err
