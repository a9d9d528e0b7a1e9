"""A funnel's first phone and email field of a contact (and company) is the CRM's own
built-in field after `apply`: nothing is created for it, so its name is nowhere in the
CRM and `import` cannot bring the field back. It must say so in the header's notes,
naming the built-in fields it left out, rather than drop them without a word (review:
`field "Телефон" phone on contact` vanished from Bitrix24's import once the export used
the built-in PHONE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_cli import apply_then_import, fast, funnel_file  # noqa: F401  (fast: autouse fixture)
from funnelc.api import load_text

TOKEN = "tok-builtin-7f3a"
FUNNEL = """\
account "Меблі" {
  currency UAH
}
field "Бюджет" money
field "Телефон" phone on contact
field "Пошта" email on contact
field "Пошта компанії" email on company
source "Сайт" 5/day -> "Продажі"."Заявка"
pipeline "Продажі" main {
  stage "Заявка" {
    requires "Бюджет"
    -> won 50%
    -> lost "Дорого" 50%
  }
}
"""


@pytest.mark.parametrize(("crm", "named"), [
    ("amocrm", ["contact «Телефон»", "contact «Email»", "company «Email»"]),
    ("bitrix24", ["contact «PHONE»", "contact «EMAIL»", "company «EMAIL»"]),
    ("pipedrive", ["contact «Phone»", "contact «Email»"]),
    ("hubspot", ["contact «Phone Number»", "contact «Email»"]),
])
def test_import_names_the_builtin_phone_and_email_it_leaves_out(
        crm: str, named: list[str], tmp_path: Path) -> None:
    text = apply_then_import(crm, funnel_file(tmp_path, FUNNEL), tmp_path, TOKEN)
    model = load_text(text, "<import>", checks=False).model
    assert model is not None
    fields = {f.name.value for f in model.fields}
    assert "Телефон" not in fields and "Пошта" not in fields  # the CRM's own fields
    note = next((line for line in text.splitlines() if "built-in fields not imported" in line),
                None)
    assert note is not None, text
    for words in named:
        assert words in note
    assert '`field "Телефон" phone on contact`' in note


def test_amocrm_names_the_builtin_fields_it_imports_under_its_own_names(tmp_path: Path) -> None:
    """A contact email a stage requires comes back from amoCRM, but as amoCRM's built-in
    «Email» and the stage's `requires "Пошта"` as `requires "Email"`: the funnel's name is
    nowhere in amoCRM. The header said nothing of it; now a note says which imported
    fields are built-in and that their names are amoCRM's."""
    funnel = funnel_file(tmp_path, FUNNEL.replace('requires "Бюджет"', 'requires "Бюджет", "Пошта"'))
    text = apply_then_import("amocrm", funnel, tmp_path, TOKEN)
    model = load_text(text, "<import>", checks=False).model
    assert model is not None
    assert [r.value for r in model.pipelines[-1].stages[0].requires] == ["Бюджет", "Email"]
    assert ("built-in fields, imported as a stage requires them: contact «Email» (EMAIL); a "
            "funnel's first phone and email field of a contact or company is one of these, "
            "whatever the funnel called it, so the name here is amoCRM's") in text
