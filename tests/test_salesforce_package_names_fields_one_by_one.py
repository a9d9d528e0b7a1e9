"""Salesforce's package.xml: every component is its own `<members>` element (the Metadata
API's manifest: "one <members> element defined for each component"), and the comment at
its top, which names what the folder does not carry, names each field in «…». It listed
the custom fields comma-separated and bare («Custom fields are not part of this folder:
Жалоба, Бюджет, ₽, Возраст»), so the field «Бюджет, ₽» read as two fields, «Бюджет» and
«₽»; the required-fields step did the same, and named a stage by its file name where
Salesforce knows it by its `alias salesforce`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """\
account "Клиника" {
  currency RUB
  language ru
}
field "Жалоба" text
field "Бюджет, ₽" money
field "Возраст" int(0..120)
source "Сайт" 5/day -> "Первичка"."Заявка"
pipeline "Первичка" main {
  stage "Заявка" {
    -> "Записан на консультацию к врачу-стоматологу" 60%
    -> lost "Не дозвонились" 40%
  }
  stage "Записан на консультацию к врачу-стоматологу" {
    alias salesforce "Консультация"
    requires "Бюджет, ₽", "Возраст"
    -> won 70%
    -> lost "Не пришел" 30%
  }
}
"""
NS = "{http://soap.sforce.com/2006/04/metadata}"


@pytest.mark.parametrize("target, package", [("salesforce", "package.xml"),
                                             ("salesforce-sfdx", "manifest/package.xml")])
def test_the_package_names_each_field_and_each_member_once(tmp_path: Path, target: str,
                                                           package: str) -> None:
    source = tmp_path / "clinic.funnel"
    source.write_text(FUNNEL, encoding="utf-8")
    out = tmp_path / "sf"
    result = CliRunner().invoke(cli, ["export", str(source), "--to", target, "-o", str(out),
                                      "-q"])
    assert result.exit_code == 0, result.output
    text = (out / package).read_text(encoding="utf-8")
    notes = re.findall(r"^  - (.*)$", text, flags=re.M)
    assert ("The custom fields («Жалоба», «Бюджет, ₽», «Возраст») deploy visible to "
            "administrators only: give the profiles that use them field-level security and put "
            "them on the page layouts.") in notes
    assert ("«Первичка» (Pervichka) → «Консультация»: require «Бюджет, ₽», «Возраст» with a "
            "validation rule or as Path key fields") in notes
    root = ET.fromstring(text)
    members = {t.findtext(f"{NS}name"): [m.text for m in t.findall(f"{NS}members")]
               for t in root.findall(f"{NS}types")}
    assert members == {"BusinessProcess": ["Opportunity.Pervichka"],
                       "CustomField": ["Opportunity.Zhaloba__c", "Opportunity.Bjudzhet__c",
                                       "Opportunity.Vozrast__c"],
                       "StandardValueSet": ["OpportunityStage"]}


@pytest.mark.parametrize("target, package", [("salesforce", "package.xml"),
                                             ("salesforce-sfdx", "manifest/package.xml")])
def test_contact_phone_and_email_and_company_phone_are_standard_fields(
        tmp_path: Path, target: str, package: str) -> None:
    """Every org's Contact has Phone and Email and its Account has Phone: the comment told
    the consultant to create «Телефон» and «Email» as custom fields beside them (every
    shipped example with a contact phone), as Bitrix24's export did before c11daf8.
    The funnel's first contact phone and email and first company phone are those standard
    fields; a second phone and a company email (Account has none) stay custom."""
    text = FUNNEL.replace('field "Жалоба" text\n', 'field "Жалоба" text\n'
                          'field "Телефон" phone on contact\nfield "Email" email on contact\n'
                          'field "Второй телефон" phone on contact\n'
                          'field "Телефон офиса" phone on company\n'
                          'field "Email компании" email on company\n')
    source = tmp_path / "clinic.funnel"
    source.write_text(text, encoding="utf-8")
    out = tmp_path / "sf"
    result = CliRunner().invoke(cli, ["export", str(source), "--to", target, "-o", str(out),
                                      "-q"])
    assert result.exit_code == 0, result.output
    notes = re.findall(r"^  - (.*)$", (out / package).read_text(encoding="utf-8"), flags=re.M)
    assert ("The custom fields («Жалоба», «Второй телефон», «Email компании», «Бюджет, ₽», "
            "«Возраст») deploy visible to administrators only: give the profiles that use them "
            "field-level security and put them on the page layouts.") in notes
    assert "«Телефон» is the standard field Contact.Phone of every org: nothing to create." in notes
    assert "«Email» is the standard field Contact.Email of every org: nothing to create." in notes
    assert ("«Телефон офиса» is the standard field Account.Phone of every org: nothing to "
            "create.") in notes
