"""A `lost "reason"` is exported to every CRM whichever way a deal reaches it: an outcome,
an `sla`, a cadence's `on exhausted`, and `patience` (a client who stopped waiting went
to a competitor, seed 004). A reason written only under `patience` was left out of every
CRM export (amoCRM's loss reasons, Bitrix24's failure stages, Pipedrive's and HubSpot's
lost-reason steps, Salesforce's closed values) and of `apply`, with no note: the CRM was
set up without a reason managers close deals with. One list
(`export.crm_common.lost_reasons`, read from `routing.exits`) feeds every exporter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result

from crm_cli import apply_plans, apply_then_import, fast, funnel_file, run  # noqa: F401 (fast: an autouse fixture)

FUNNEL = """\
account "Клиника" {
  language ru
}
team "Администраторы" size 1
source "Сайт" 5/day -> "Первичка"."Заявка"
pipeline "Первичка" main {
  stage "Заявка" {
    owner "Администраторы"
    work 5m
    sla 1d -> lost "Не дозвонились"
    patience exp(2h) -> lost "Ушел к конкурентам"
    -> "Напоминания" 70%
    -> lost "Нецелевой" 30%
  }
  stage "Напоминания" {
    cadence {
      call now 50%
      on reply -> won
      on exhausted -> lost "Пропал"
    }
  }
}
"""
REASONS = ["Не дозвонились", "Ушел к конкурентам", "Нецелевой", "Пропал"]
TOKEN = "tok-every-reason-DISTINCTIVE"


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    return funnel_file(tmp_path, FUNNEL)


@pytest.mark.parametrize("target", ["amocrm", "bitrix24", "pipedrive", "hubspot"])
def test_every_lost_reason_is_in_the_crm_bundle(funnel: Path, target: str) -> None:
    result = run(["export", str(funnel), "--to", target, "-q"])
    assert result.exit_code == 0, result.output
    missing = [r for r in REASONS if r not in result.stdout]
    assert missing == []


@pytest.mark.parametrize("target", ["salesforce", "salesforce-sfdx"])
def test_every_lost_reason_is_a_closed_salesforce_value(funnel: Path, target: str,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "sf"
    result = run(["export", str(funnel), "--to", target, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    value_set = next(out.rglob("OpportunityStage.standardValueSet*")).read_text(encoding="utf-8")
    missing = [r for r in REASONS if f"<fullName>{r}</fullName>" not in value_set]
    assert missing == []


def _plans(funnel: Path) -> Iterator[tuple[str, Result]]:
    return apply_plans(funnel, TOKEN)



def test_apply_plans_every_lost_reason_in_every_crm(funnel: Path) -> None:
    """The plan creates the reason (amoCRM, Bitrix24, HubSpot) or lists it by hand
    (Pipedrive, which has no API for lost reasons)."""
    missing: dict[str, list[str]] = {}
    for crm, result in _plans(funnel):
        assert result.exit_code == 0, (crm, result.output)
        missing[crm] = [r for r in REASONS if r not in result.stdout]
    assert missing == {"amocrm": [], "bitrix24": [], "pipedrive": [], "hubspot": []}


CASES_APART = """\
account "Меблі" {
  currency UAH
}
source "Сайт" 5/day -> "Продажі"."Заявка"
pipeline "Продажі" main {
  stage "Заявка" {
    -> "Договір" 60%
    -> lost "Дорого" 40%
  }
  stage "Договір" {
    -> won 90%
    -> lost "дорого" 10%
  }
}
"""


@pytest.mark.parametrize("crm", ["amocrm", "bitrix24", "hubspot"])
def test_reasons_apart_only_in_case_are_both_applied(crm: str, tmp_path: Path) -> None:
    """«Дорого» and «дорого» are two reasons to the checker. HubSpot's apply gave both the
    option value `dorogo` (each code was made unique against a fresh copy of the taken
    values), HubSpot refused the update («option values must be unique») and apply stopped
    with the lost reasons not applied, exit 1. Both must be applied, and come back."""
    text = apply_then_import(crm, funnel_file(tmp_path, CASES_APART), tmp_path, "tok-case-3e1")
    assert "# - Дорого" in text and "# - дорого" in text
