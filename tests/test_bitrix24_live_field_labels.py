"""A live read of Bitrix24 (`funnelc import --from bitrix24`, `funnelc apply --to bitrix24`)
gets the user fields' labels. crm.{deal,contact,company}.userfield.list answers the labels
(EDIT_FORM_LABEL, LIST_COLUMN_LABEL, …) only when filtered by LANG, as strings in that
language, "or are not returned at all" (bitrix24/b24restdocs,
api-reference/crm/deals/user-defined-fields/crm-deal-userfield-list.md, "Returned Data");
the fake (tests/fakes/bitrix24_server.py) answers so. The read asked without LANG: every
field came back named by its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.export import deploy

try:
    from tests.fakes.bitrix24_server import FakeBitrix24, UserField, running_fake_bitrix24
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.bitrix24_server import (  # type: ignore[no-redef]
        FakeBitrix24,
        UserField,
        running_fake_bitrix24,
    )


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.01)


UKRAINIAN_STAGES = {"NEW": "Нова заявка", "PREPARATION": "Підготовка документів"}


def _portal(fake: FakeBitrix24, fields: list[tuple[str, str, str, dict[str, str]]]) -> None:
    """A Ukrainian portal (its stage names are Ukrainian) holding `fields`: (entity,
    FIELD_NAME, USER_TYPE_ID, label per language) made by hand, as the portal's
    interface does (a label in some languages only)."""
    st = fake.state
    st.categories[0].name = "Продажі"
    for s in st.stages:
        s.name = UKRAINIAN_STAGES.get(s.status_id, s.name)
    for k, (entity, code, user_type, labels) in enumerate(fields):
        st.fields.append(UserField(st._id(), entity, code, user_type, "", False, False,
                                   100 + k, labels=labels))


def _import(fake: FakeBitrix24) -> Result:
    return CliRunner().invoke(cli, ["import", "--from", "bitrix24"],
                              env={"BITRIX24_WEBHOOK": fake.webhook, "NO_COLOR": "1",
                                   "FUNNELC_DEBUG": None})


def _field_names(result: Result) -> list[tuple[str, str]]:
    assert result.exit_code == 0, result.output
    model = load_text(result.stdout, "<imported>", checks=False).model
    assert model is not None
    return [(f.entity.value, f.name.value) for f in model.fields]


def test_a_live_import_names_fields_by_their_labels_in_the_account_s_language() -> None:
    """Before: `field "UF_CRM_1724077760"`, `field "UF_CRM_BUDZHET"` (the codes); now the
    Ukrainian labels, the Russian one where no Ukrainian is written (and noted)."""
    with running_fake_bitrix24() as b24:
        _portal(b24, [
            ("deal", "UF_CRM_1724077760", "string",
             {"ua": "Джерело", "ru": "Источник", "en": "Source"}),
            ("deal", "UF_CRM_BUDZHET", "money", {"ru": "Бюджет"}),
            ("contact", "UF_CRM_1724077999", "string", {"ua": "Посада", "en": "Position"})])
        asked: list[object] = []
        listing = b24.state.userfield_list

        def spy(entity: str, params: dict[str, Any]) -> list[Any]:
            asked.append((params.get("filter") or {}).get("LANG"))
            return listing(entity, params)

        b24.state.userfield_list = spy  # type: ignore[method-assign]
        result = _import(b24)
        assert _field_names(result) == [("deal", "Джерело"), ("deal", "Бюджет"),
                                        ("contact", "Посада")]
        assert "UF_CRM_BUDZHET: «Бюджет» (ru)" in " ".join(result.stdout.split("\n# "))
        # asked the way the docs show: filter.LANG, Bitrix24's language ids
        assert asked and set(asked) <= {"ru", "ua", "en"}, asked


def test_apply_finds_a_field_made_by_hand_by_its_label(tmp_path: Path) -> None:
    """The funnel's «Джерело» is the portal's UF_CRM_1724077760: before, with no labels
    read, the plan created a second «Джерело» and left the portal's one «not in the
    file»."""
    funnel = ('account "Тест" { language uk }\nfield "Джерело" text\n'
              'source "Сайт" 10/day -> "Продажі"."Нова заявка"\n'
              'pipeline "Продажі" main {\n  stage "Нова заявка" { -> won }\n}\n')
    path = tmp_path / "a.funnel"
    path.write_text(funnel, encoding="utf-8")
    with running_fake_bitrix24() as b24:
        _portal(b24, [("deal", "UF_CRM_1724077760", "string", {"ua": "Джерело"})])
        result = CliRunner().invoke(cli, ["apply", str(path), "--to", "bitrix24"],
                                    env={"BITRIX24_WEBHOOK": b24.webhook, "NO_COLOR": "1",
                                         "FUNNELC_DEBUG": None})
        assert result.exit_code == 0, result.output
        assert "create deal field" not in result.stdout, result.stdout
        assert "not in the file: `UF_CRM" not in result.stdout, result.stdout


def test_more_than_a_page_of_fields_keeps_every_label() -> None:
    """60 deal fields: the second page is read with the same LANG filter."""
    with running_fake_bitrix24() as b24:
        _portal(b24, [("deal", f"UF_CRM_F{k}", "string", {"ua": f"Поле {k}"})
                      for k in range(60)])
        names = _field_names(_import(b24))
        assert names == [("deal", f"Поле {k}") for k in range(60)]


def test_a_saved_list_without_labels_says_how_to_ask_for_them(tmp_path: Path) -> None:
    """A crm.deal.userfield.list saved without filter.LANG has no labels: the fields are
    named by their codes, and the note says so and how to save the list with them."""
    stages = {"result": [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW",
                          "NAME": "Підготовка документів", "SORT": "10",
                          "SEMANTICS": None}]}
    fields = {"result": [{"ID": "7", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_1724077760",
                          "USER_TYPE_ID": "string", "MULTIPLE": "N", "MANDATORY": "N"}]}
    for name, answer in (("stages", stages), ("fields", fields)):
        (tmp_path / f"{name}.json").write_text(json.dumps(answer, ensure_ascii=False),
                                               encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24",
                                      str(tmp_path / "stages.json"), str(tmp_path / "fields.json")])
    assert _field_names(result) == [("deal", "UF_CRM_1724077760")]
    text = " ".join(result.stdout.split("\n# "))
    assert ("fields without a label in the answers, named by their codes (crm.*.userfield.list "
            'gives the labels only when filtered by LANG: save it with {"filter": {"LANG": '
            '"ua"}}): UF_CRM_1724077760') in text, result.stdout
