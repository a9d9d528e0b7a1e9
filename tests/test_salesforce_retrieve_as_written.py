"""`funnelc import --from salesforce` on metadata as a real org's retrieve writes it, not
as the reference pages show it.

The shapes come from a real org's source-format retrieve, Gusto/sfdc @
641100bc947b569ceca372ef74c54fc86139a2f0, `force-app/main/default/`:

* `objects/Opportunity/businessProcesses/Benefits Renewal Sales Process.businessProcess-meta.xml`
  lists its values by name (`Alignment Complete`, `Alignment In Progress`, `Alignment in
  Progress %28PC%29`, `Alternates Requested`, `Closed Admin`, …), not in the order of
  `standardValueSets/OpportunityStage.standardValueSet-meta.xml` (where `Engaged` comes
  before all of them), and writes the value set's `Alignment in Progress (PC)` with its
  parentheses percent-encoded;
* `objects/Opportunity/businessProcesses/Growth%2FExpansion.businessProcess-meta.xml` has
  `<fullName>Growth%2FExpansion</fullName>`, and its record type
  (`recordTypes/Growth_Expansion…`) `<businessProcess>Growth%2FExpansion</businessProcess>`
  for the sales process the org calls «Growth/Expansion»;
* the value set holds values no active sales process uses (`Backlog`, `Prospecting`,
  the closed `Closed Lost Disqualified`);
* `objects/Account/fields/Benefits_State__c.field-meta.xml`: picklist values with
  `<isActive>false</isActive>`; `Onboarding_Survey_Best_Time_To_Contact__c`: values whose
  label is not their API name (`AFTER_FIRST_PAYROLL` / «After First Payroll»);
  `HI_Closed_Lost_Detail_2__c`: a dependent picklist (`<controllingField>`);
* `<required>true</required>` is the CustomField reference's `required` (Gusto's fields
  all have false).

The files below are written for this test in those shapes, with a Ukrainian org's names
(the test copies no file of that repository). Before the fix the retrieve failed at the
encoded value (exit 1), and once past it the stages came out in the files' alphabetical
order, and the unused stages, inactive and relabelled values, the dependency and the
required field went without a word."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.api import load_text
from funnelc.cli import cli

STAGES_QUERY = (Path(__file__).resolve().parent / "data" / "salesforce" / "rest"
                / "opportunity_stages.json")
NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
SOURCE = "force-app/main/default"


def _value(name: str, closed: bool = False, won: bool = False, p: int = 10) -> str:
    return (f"<standardValue><fullName>{name}</fullName><default>false</default>"
            f"<label>{name}</label><closed>{str(closed).lower()}</closed>"
            f"<forecastCategory>{'Closed' if won else 'Omitted' if closed else 'Pipeline'}"
            f"</forecastCategory><probability>{p}</probability>"
            f"<won>{str(won).lower()}</won></standardValue>")


def _process(name: str, values: list[str]) -> str:
    body = "".join(f"<values><fullName>{v}</fullName><default>false</default></values>"
                   for v in values)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<BusinessProcess {NS}>\n'
            f"<fullName>{name}</fullName><isActive>true</isActive>{body}</BusinessProcess>\n")


def _picklist(api: str, label: str, values: list[tuple[str, str, bool]], extra: str = "",
              required: bool = False) -> str:
    body = "".join(f"<value><fullName>{a}</fullName><default>false</default>"
                   + ("" if active else "<isActive>false</isActive>")
                   + f"<label>{lab}</label></value>" for a, lab, active in values)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomField {NS}>\n'
            f"<fullName>{api}</fullName><label>{label}</label>"
            f"<required>{str(required).lower()}</required><type>Picklist</type>"
            f"<valueSet>{extra}<restricted>true</restricted><valueSetDefinition>"
            f"<sorted>false</sorted>{body}</valueSetDefinition></valueSet></CustomField>\n")


def _org(root: Path) -> Path:
    files = {
        "standardValueSets/OpportunityStage.standardValueSet-meta.xml":
            f'<?xml version="1.0" encoding="UTF-8"?>\n<StandardValueSet {NS}>'
            "<sorted>false</sorted>"
            + _value("Новий") + _value("Замір", p=30) + _value("Кошторис (КП)", p=50)
            + _value("Бэклог", p=5) + _value("Договір", p=80)
            + _value("Виграно", True, True, 100) + _value("Програно", True, p=0)
            + _value("Дубль", True, p=0) + "</StandardValueSet>\n",
        # values by name, parentheses percent-encoded, as Gusto's retrieve writes them
        "objects/Opportunity/businessProcesses/Вікна%2FДвері.businessProcess-meta.xml":
            _process("Вікна%2FДвері", ["Виграно", "Договір", "Замір",
                                        "Кошторис %28КП%29", "Новий", "Програно"]),
        "objects/Opportunity/recordTypes/Windows.recordType-meta.xml":
            f'<?xml version="1.0" encoding="UTF-8"?>\n<RecordType {NS}>'
            "<fullName>Windows</fullName><active>true</active>"
            "<businessProcess>Вікна%2FДвері</businessProcess><label>Вікна</label>"
            "</RecordType>\n",
        "objects/Opportunity/fields/Region__c.field-meta.xml": _picklist(
            "Region__c", "Область", [("Kyiv", "Київська", True), ("Lviv", "Львівська", True),
                                     ("Krym", "Кримська", False)], required=True),
        "objects/Opportunity/fields/District__c.field-meta.xml": _picklist(
            "District__c", "Район", [("Bucha", "Bucha", True), ("Sambir", "Sambir", True)],
            "<controllingField>Region__c</controllingField>"),
        "objects/Account/fields/Segment__c.field-meta.xml": _picklist(
            "Segment__c", "Сегмент", [("B2B", "B2B", True)], required=True),
    }
    for rel, text in files.items():
        path = root / SOURCE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_retrieve_as_a_real_org_writes_it_imports_in_the_org_s_order_with_every_loss_noted(
        tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(_org(tmp_path))])
    assert result.exit_code == 0, result.output
    back = load_text(result.stdout, "o.funnel", checks=False).model
    assert back is not None
    # the process «Вікна/Двері», its stages in OpportunityStage's order, not by name
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in back.pipelines] == [
        ("Вікна/Двері", ["Новий", "Замір", "Кошторис (КП)", "Договір"])]
    # a required deal field is required from the first stage
    assert [r.value for r in back.pipelines[0].stages[0].requires] == ["Область"]
    text = " ".join(result.stdout.split("\n# "))
    assert "record types: «Вікна» → «Вікна/Двері»" in text
    assert ("stages of OpportunityStage in no active sales process left out: «Бэклог», "
            "«Дубль» (closed)") in text
    assert ("deal field «Область» (Region__c, Picklist): inactive values left out (records "
            "may still hold them): «Кримська»") in text
    assert ("deal field «Область» (Region__c, Picklist): values named by their label; records "
            "hold the API name: «Київська» (Kyiv), «Львівська» (Lviv)") in text
    assert ("deal field «Район» (District__c, Picklist) is a dependent picklist: which of its "
            "values Salesforce offers depends on «Область» (Region__c); here every value is "
            "offered") in text
    assert ("deal fields required on every opportunity (`required`), so required at the "
            "first stage of every pipeline here: «Область»") in text
    assert ("required on every contact or account (not a stage's `requires`): company field "
            "«Сегмент» (Segment__c)") in text
    assert "- Програно" in result.stdout  # the loss reason the process uses


def test_won_and_lost_values_labelled_otherwise_are_noted(tmp_path: Path) -> None:
    """A closed value whose label is not its API name (the won value «Виграно» shown as
    «Угоду укладено», the loss reason «Програно» as «Відмова»): only open stages' labels
    were noted, so the loss reason listed in the header was not what the managers pick."""
    org = _org(tmp_path)
    path = org / SOURCE / "standardValueSets/OpportunityStage.standardValueSet-meta.xml"
    path.write_text(path.read_text(encoding="utf-8")
                    .replace("<label>Виграно</label>", "<label>Угоду укладено</label>")
                    .replace("<label>Програно</label>", "<label>Відмова</label>"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(org)])
    assert result.exit_code == 0, result.output
    assert ("# - stages, won and lost values named by their API value (what OpportunityHistory's "
            "StageName holds), labelled otherwise in Salesforce: «Виграно» (label «Угоду "
            "укладено»), «Програно» (label «Відмова»)\n") in result.stdout


def test_the_describe_s_required_dependent_and_relabelled_values_are_noted(
        tmp_path: Path) -> None:
    """The REST describe says the same things its own way (REST API Developer Guide, sObject
    Describe; the Field type of the SOAP API): `nillable` false on a custom field that is
    no checkbox (a checkbox is never nillable) is a required field, `dependentPicklist` and
    `controllerName` a dependent picklist, `picklistValues[]{active, label, value}` values
    that may be inactive or labelled otherwise. They were read as an optional field with
    its active labels, without a word."""
    def field(name: str, label: str, **more: object) -> dict[str, object]:
        return {"name": name, "label": label, "custom": True, "calculated": False,
                "nillable": True, "type": "picklist", "scale": 0, **more}

    describe = {"name": "Opportunity", "label": "Opportunity", "custom": False, "fields": [
        field("Region__c", "Область", nillable=False, picklistValues=[
            {"active": True, "defaultValue": False, "label": "Київська", "validFor": None,
             "value": "Kyiv"},
            {"active": False, "defaultValue": False, "label": "Кримська", "validFor": None,
             "value": "Krym"}]),
        field("District__c", "Район", dependentPicklist=True, controllerName="Region__c",
              picklistValues=[{"active": True, "defaultValue": False, "label": "Bucha",
                               "validFor": "gAAA", "value": "Bucha"}]),
        field("Signed__c", "Підписано", nillable=False, type="boolean")]}
    path = tmp_path / "describe.json"
    path.write_text(json.dumps(describe, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(STAGES_QUERY),
                                      str(path)])
    assert result.exit_code == 0, result.output
    back = load_text(result.stdout, "o.funnel", checks=False).model
    assert back is not None
    assert [r.value for r in back.pipelines[0].stages[0].requires] == ["Область"]
    text = " ".join(result.stdout.split("\n# "))
    assert "«Область» (Region__c, Picklist): inactive values left out" in text
    assert "records hold the API name: «Київська» (Kyiv)" in text
    assert "depends on «Область» (Region__c)" in text
    # the checkbox, never nillable, is not a required field
    assert "first stage of every pipeline here: «Область»\n" in result.stdout


def test_stage_labels_translated_for_other_users_are_noted(tmp_path: Path) -> None:
    """An org whose users work in Russian or Ukrainian often keeps English stage values and
    translates their labels in the Translation Workbench: `standardValueSetTranslations/
    OpportunityStage-ru.standardValueSetTranslation-meta.xml`, `valueTranslation{masterLabel,
    translation}` (the StandardValueSetTranslation reference's example; a value not
    translated has a comment for its translation). The file was skipped unread, so what the
    client's managers call each stage was lost without a word."""
    org = _org(tmp_path)
    path = (org / SOURCE / "standardValueSetTranslations"
            / "OpportunityStage-ru.standardValueSetTranslation-meta.xml")
    path.parent.mkdir(parents=True)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<StandardValueSetTranslation {NS}>\n'
        "<valueTranslation><masterLabel>Замір</masterLabel><translation>Замер</translation>"
        "</valueTranslation><valueTranslation><masterLabel>Договір</masterLabel>"
        "<translation><!-- Договір --></translation></valueTranslation>"
        "</StandardValueSetTranslation>\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(org)])
    assert result.exit_code == 0, result.output
    assert ("# - stage labels translated for ru users (Translation Workbench), not imported: "
            "the stages keep their API names: «Замір» → «Замер»\n") in result.stdout


def test_a_stage_value_s_description_is_its_hint(tmp_path: Path) -> None:
    """A stage value's `<description>` (Gusto's OpportunityStage value set writes what each
    stage means there, on several lines: «Engaged»: "Positive customer response\\n\\n2-way
    contact …") was dropped; it is the stage's hint, on one line, the joining noted."""
    org = _org(tmp_path)
    path = org / SOURCE / "standardValueSets/OpportunityStage.standardValueSet-meta.xml"
    text = path.read_text(encoding="utf-8").replace(
        "<label>Замір</label>",
        "<description>Виїзд на об'єкт\n\nЗамірник узгоджує час з клієнтом</description>"
        "<label>Замір</label>")
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(org)])
    assert result.exit_code == 0, result.output
    back = load_text(result.stdout, "o.funnel", checks=False).model
    assert back is not None
    hints = {s.name.value: s.hint.value if s.hint else None for s in back.pipelines[0].stages}
    assert hints == {"Новий": None, "Замір": "Виїзд на об'єкт Замірник узгоджує час з клієнтом",
                     "Кошторис (КП)": None, "Договір": None}
    assert ("# - stages whose description (the hint here) had line breaks, joined (a hint is "
            "one line): «Замір»\n") in result.stdout


def test_field_labels_translated_for_other_users_are_noted(tmp_path: Path) -> None:
    """The Translation Workbench keeps a field's label and picklist values per language in
    the object's translation: source format `objectTranslations/Opportunity-uk/
    Region__c.fieldTranslation-meta.xml` (CustomFieldTranslation `label`, `name`,
    `picklistValues{masterLabel, translation}`, as the CustomObjectTranslation reference and
    the retrieves of SFDX tools write it), Metadata API format `objectTranslations/
    Account-ru.objectTranslation` with the same under `fields`. Both were skipped unread."""
    org = _org(tmp_path)
    source = org / SOURCE / "objectTranslations" / "Opportunity-uk"
    source.mkdir(parents=True)
    (source / "Region__c.fieldTranslation-meta.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomFieldTranslation {NS}>\n'
        "<label>Регіон</label><name>Region__c</name>"
        "<picklistValues><masterLabel>Київська</masterLabel><translation>Київщина"
        "</translation></picklistValues><picklistValues><masterLabel>Львівська</masterLabel>"
        "<translation><!-- Львівська --></translation></picklistValues>"
        "</CustomFieldTranslation>\n", encoding="utf-8")
    (org / "objectTranslations").mkdir()
    (org / "objectTranslations" / "Account-ru.objectTranslation").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObjectTranslation {NS}>\n'
        "<fields><label>Сегмент рынка</label><name>Segment__c</name></fields>"
        "</CustomObjectTranslation>\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "salesforce", str(org)])
    assert result.exit_code == 0, result.output
    assert ("# - field labels translated for ru users (Translation Workbench), not imported: "
            "the fields keep their labels: company field «Сегмент» (Segment__c) → «Сегмент "
            "рынка»\n") in result.stdout
    assert ("# - field labels translated for uk users (Translation Workbench), not imported: "
            "the fields keep their labels: deal field «Область» (Region__c) → «Регіон» "
            "(values: «Київська» → «Київщина»)\n") in result.stdout
