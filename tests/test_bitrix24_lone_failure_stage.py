"""Issue 14 point 3 on a standard Bitrix24 pipeline: its only failure stage, «Сделка
провалена» (`LOSE`), is where every loss of the pipeline goes, so its name tells no loss
from another and is no reason. An export without a loss-reason deal field read it as
every loss's reason: the training company's 352 losses (tests/data/grave_b24_ru, seed 0,
saved without `crm.deal.userfield.list`) had 0 % without a reason and the audit said
nothing of them. Now they have none, and the finding says why and what to export.

Leads keep their failure statuses as reasons, even a lone «Некачественный лид» (junk is
the reason): tests/test_b24_leads_ru.py. Every figure is counted from the generators' own
records (`truth.json`)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli_once import cli_ok, planted
from conftest import DATA, data_generator
from funnelc.cli import cli

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
FUNNEL = DATA / "grave_b24_ru" / "training.funnel"
PIPELINE = "Продажи обучения"


@pytest.fixture(scope="module")
def no_field(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The training company's export saved without the userfields answer: its deals
    still carry `UF_CRM_…` enum IDs, but nothing says which field is the loss reason."""
    folder = tmp_path_factory.mktemp("grave-no-field") / "bitrix24"
    shutil.copytree(planted("grave_b24_ru") / "bitrix24", folder)
    (folder / "userfields.json").unlink()
    return folder


@pytest.fixture(scope="module")
def losses() -> tuple[int, float]:
    """The losses the export holds (before its end) and their deals' value, summed per
    loss, from the generator's records."""
    export = planted("grave_b24_ru")
    end = data_generator("grave_b24_ru").END
    n, value = 0, 0.0
    for d in json.loads((export / "truth.json").read_text(encoding="utf-8")):
        for t, stage, _reason in d["events"]:
            if stage == "LOSE" and datetime.fromisoformat(t) < end:
                n += 1
                value += d["value"]
    return n, value


def _history(*args: object) -> dict[str, Any]:
    return json.loads(cli_ok(["history", *args, "--format", "json"], ENV).output)


def test_the_losses_of_a_lone_failure_stage_have_no_reason(
        no_field: Path, losses: tuple[int, float]) -> None:
    """352 losses worth 88 311 000 ₽: all without a reason (before: 0 without one, every
    loss «Сделка провалена»), flagged, and the finding names the cause."""
    n, value = losses
    data = _history(no_field, "--funnel", FUNNEL)
    reasons = {r["reason"] for r in data["tables"]["losses"]}
    assert reasons == {"(no reason)"}
    missing = data["tables"]["loss_reasons_missing"]
    assert [(r["pipeline"], r["losses"], r["no_reason"], r["share"], r["value"], r["flagged"])
            for r in missing] == [(PIPELINE, n, n, 1.0, value, True)]
    assert (n, value) == (352, 88_311_000.0)
    found = [f for f in data["tables"]["findings"] if f["kind"] == "loss_reasons_missing"]
    assert len(found) == 1 and found[0]["deals"] == n
    assert ("The pipeline has one failure stage, “Сделка провалена”, which tells no loss from "
            "another, and the reason is in no deal field of the export") in found[0]["finding"]
    assert (f"Bitrix24 history: {n} losses have no reason: “Сделка провалена” of “{PIPELINE}” "
            "is their pipeline's only failure stage") in data["quality"]["notes"][0]


def test_the_audit_says_the_cause_in_the_accounts_language(
        no_field: Path, losses: tuple[int, float]) -> None:
    n, _value = losses
    ran = CliRunner().invoke(cli, ["audit", str(FUNNEL), str(no_field)], env=ENV)
    assert ran.exit_code == 0, ran.output
    text = " ".join(ran.output.split())
    assert "Находок нет" not in text
    assert f"100% отказов в воронке «{PIPELINE}» (всего {n}) без причины" in text
    assert "В воронке одна стадия провала, «Сделка провалена»" in text
    assert "crm.deal.userfield.list" in text and 'select ["*", "UF_*"]' in text
    assert "--loss-field" in text
    ran = CliRunner().invoke(cli, ["audit", str(FUNNEL), str(no_field), "--format", "json"],
                             env=ENV)
    found = [f for f in json.loads(ran.stdout)["findings"]
             if f["kind"] == "loss_reasons_missing"]
    assert [(f["n"], f["observed"], f["lone_failure_stage"]) for f in found] == [
        (n, 1.0, "Сделка провалена")]


def test_with_the_field_the_reasons_are_the_fields() -> None:
    """The same export with its userfields answer: every loss takes the field's reason,
    none is «Сделка провалена» nor without one, and no finding."""
    export = planted("grave_b24_ru")
    truth = json.loads((export / "truth.json").read_text(encoding="utf-8"))
    end = data_generator("grave_b24_ru").END
    by_hand = Counter(r for d in truth for t, s, r in d["events"]
                      if s == "LOSE" and datetime.fromisoformat(t) < end)
    data = _history(export / "bitrix24", "--funnel", FUNNEL)
    got: Counter[str] = Counter()
    for r in data["tables"]["losses"]:
        got[r["reason"]] += r["deals"]
    assert got == by_hand
    assert [(r["no_reason"], r["flagged"]) for r in data["tables"]["loss_reasons_missing"]
            ] == [(0, False)]

