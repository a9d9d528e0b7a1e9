"""`--to salesforce`: the metadata folder is well-formed XML in the Metadata API namespace
using only the documented elements, in the documented order (StandardValueSet /
StandardValue, BusinessProcess / PicklistValue with its required `default`, Package), its
values and sales processes follow the account, names are escaped and made API-safe, and
FN350-FN356 (custom fields too); `alias salesforce "…"` names a stage in Salesforce (saleschef exports with
it); `--to salesforce-sfdx` writes the same metadata as an sfdx project in source format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from export_helpers import chain, codes, load, load_unchecked, one_pipeline, pipelines
from funnelc.cli import cli
from funnelc.diagnostics import Severity
from funnelc.export.salesforce import (
    API_VERSION,
    OBJECT_PATH,
    PACKAGE_PATH,
    VALUE_SET_PATH,
    build_metadata,
    build_source,
    process_name,
)

NS = "{http://soap.sforce.com/2006/04/metadata}"
# Element lists from the Metadata API reference (research note crm-formats.md §5).
STANDARD_VALUE = {"fullName", "default", "label", "description", "isActive", "color", "closed",
                  "won", "probability", "forecastCategory", "converted", "reverseRole", "reviewed",
                  "highPriority", "groupingString", "cssExposed", "allowEmail"}
VALUE_SET = {"sorted", "standardValue", "groupingStringEnum"}
BUSINESS_PROCESS = {"fullName", "description", "isActive", "namespacePrefix", "values"}
PICKLIST_VALUE = {"fullName", "default"}
FORECAST = {"BestCase", "Closed", "Forecast", "MostLikely", "Omitted", "Pipeline"}
# Element order of each type's <xsd:sequence> in the Metadata API WSDL (`fullName`, from
# the base type Metadata, first; CustomValue's elements before StandardValue's own).
STANDARD_VALUE_ORDER = ["fullName", "color", "default", "description", "isActive", "label",
                        "allowEmail", "closed", "converted", "cssExposed", "forecastCategory",
                        "groupingString", "highPriority", "probability", "reverseRole",
                        "reviewed", "won"]
BUSINESS_PROCESS_ORDER = ["fullName", "description", "isActive", "namespacePrefix", "values"]
PICKLIST_VALUE_ORDER = ["fullName", "default"]


def in_documented_order(names: list[str], order: list[str]) -> bool:
    positions = [order.index(n) for n in names]
    return positions == sorted(positions)


def check_business_process(bp: ET.Element) -> None:
    names = [local(c) for c in bp]
    assert set(names) <= BUSINESS_PROCESS and in_documented_order(names, BUSINESS_PROCESS_ORDER)
    for value in bp.findall(f"{NS}values"):
        inner = [local(c) for c in value]
        # PicklistValue's `default` is a boolean without minOccurs="0": required
        assert inner == PICKLIST_VALUE_ORDER and value.findtext(f"{NS}default") == "false"


def local(el: ET.Element) -> str:
    assert el.tag.startswith(NS), el.tag
    return el.tag[len(NS):]


def parse(files: dict[str, str]) -> tuple[ET.Element, ET.Element, ET.Element]:
    """The three files parsed, each checked against the documented element lists (the
    Contact and Account objects, with custom fields only, are read by the fields' test)."""
    assert set(files) - {"objects/Contact.object", "objects/Account.object"} == {
        PACKAGE_PATH, VALUE_SET_PATH, OBJECT_PATH}
    value_set = ET.fromstring(files[VALUE_SET_PATH].encode("utf-8"))
    assert local(value_set) == "StandardValueSet"
    for child in value_set:
        assert local(child) in VALUE_SET
        if local(child) == "standardValue":
            names = [local(c) for c in child]
            assert set(names) <= STANDARD_VALUE and len(names) == len(set(names))
            assert in_documented_order(names, STANDARD_VALUE_ORDER), names
            assert {"fullName", "label", "closed", "won", "probability", "forecastCategory"} <= set(names)
            assert child.findtext(f"{NS}forecastCategory") in FORECAST
            assert 0 <= int(child.findtext(f"{NS}probability") or "-1") <= 100
            assert len(child.findtext(f"{NS}fullName") or "") <= 40
    obj = ET.fromstring(files[OBJECT_PATH].encode("utf-8"))
    assert local(obj) == "CustomObject"
    kinds = [local(child) for child in obj]
    assert kinds == sorted(kinds)  # businessProcesses, then fields (CustomObject's order)
    for child in obj:
        assert local(child) in ("businessProcesses", "fields")
        if local(child) == "businessProcesses":
            check_business_process(child)
    package = ET.fromstring(files[PACKAGE_PATH].encode("utf-8"))
    assert local(package) == "Package"
    assert package.findtext(f"{NS}version") == API_VERSION
    return value_set, obj, package


def values(value_set: ET.Element) -> dict[str, dict[str, str]]:
    return {v.findtext(f"{NS}fullName") or "": {local(c): c.text or "" for c in v}
            for v in value_set.findall(f"{NS}standardValue")}


def processes(obj: ET.Element) -> dict[str, tuple[str, list[str]]]:
    return {bp.findtext(f"{NS}fullName") or "": (
        bp.findtext(f"{NS}description") or "",
        [v.findtext(f"{NS}fullName") or "" for v in bp.findall(f"{NS}values")])
        for bp in obj.findall(f"{NS}businessProcesses")}


def export(text: str) -> dict[str, str]:
    files, diags = build_metadata(load(text))
    assert diags == []
    return files


TWO = pipelines([
    ("Продажи", '  stage "Заявка" { -> "КП" 50%\n -> lost "Нецелевой" 50% }\n'
                '  stage "КП" key { -> won 40%\n -> lost "Дорого" 60% then copy "Дожим"."Ждём" }',
     "Заявка"),
    ("Дожим", '  stage "Ждём" { -> won 10%\n -> lost "Дорого" 90% }', "Ждём")])


def test_value_set_holds_every_stage_then_won_then_lost() -> None:
    value_set, _, _ = parse(export(TWO))
    got = values(value_set)
    assert list(got) == ["Заявка", "КП", "Ждём", "Closed Won", "Нецелевой", "Дорого"]
    assert got["Заявка"] == {"fullName": "Заявка", "default": "false", "label": "Заявка",
                             "closed": "false", "forecastCategory": "Pipeline",
                             "probability": "20", "won": "false"}
    assert (got["КП"]["forecastCategory"], got["КП"]["probability"]) == ("BestCase", "40")
    assert (got["Closed Won"]["closed"], got["Closed Won"]["won"],
            got["Closed Won"]["probability"], got["Closed Won"]["forecastCategory"]) == \
        ("true", "true", "100", "Closed")
    assert (got["Дорого"]["closed"], got["Дорого"]["won"], got["Дорого"]["probability"],
            got["Дорого"]["forecastCategory"]) == ("true", "false", "0", "Omitted")
    assert value_set.findtext(f"{NS}sorted") == "false"


def test_one_sales_process_per_pipeline_with_its_own_won_and_lost_values() -> None:
    _, obj, package = parse(export(TWO))
    assert processes(obj) == {
        "Prodazhi": ("Продажи", ["Заявка", "КП", "Closed Won", "Нецелевой", "Дорого"]),
        "Dozhim": ("Дожим", ["Ждём", "Closed Won", "Дорого"])}
    types = {t.findtext(f"{NS}name"): [m.text for m in t.findall(f"{NS}members")]
             for t in package.findall(f"{NS}types")}
    assert types == {"BusinessProcess": ["Opportunity.Prodazhi", "Opportunity.Dozhim"],
                     "StandardValueSet": ["OpportunityStage"]}


def test_a_pipeline_without_lost_reasons_gets_the_closed_lost_value() -> None:
    _, obj, _ = parse(export(one_pipeline(chain(["Заявка"]), language="ru")))
    assert processes(obj)["Prodazhi"][1] == ["Заявка", "Успешно реализовано",
                                             "Закрыто и не реализовано"]


def test_names_are_escaped_and_round_trip() -> None:
    name = "Цена <5% & 'скидка'"
    files = export(one_pipeline(chain(["Заявка", name]), name="A&B <Опт>"))
    value_set, obj, _ = parse(files)
    assert name in values(value_set)
    assert processes(obj)["A_B_Opt"][0] == "A&B <Опт>"
    assert "&amp;" in files[VALUE_SET_PATH] and "&lt;" in files[VALUE_SET_PATH]


def test_manual_steps_are_an_xml_comment_in_package_xml() -> None:
    text = one_pipeline('  stage "Заявка" { requires "Бюджет"\n sla 2h -> lost "Долго -- ждали"\n'
                        ' -> won }', 'field "Бюджет" money')
    files = export(text)
    comment = files[PACKAGE_PATH].split("<!--", 1)[1].split("-->", 1)[0]
    assert "--" not in comment
    assert "record type" in comment and "Бюджет" in comment and "Flow" in comment
    parse(files)


@pytest.mark.parametrize(("name", "api"), [
    ("Продажи", "Prodazhi"), ("Продажи курсов", "Prodazhi_kursov"), ("1С: внедрение", "P_1S_vnedrenie"),
    ("Дозрівання", "Dozrivannja"), ("B2B -- опт", "B2B_opt"), ("★★★", "")])
def test_process_names_are_api_safe(name: str, api: str) -> None:
    got = process_name(name, None)
    assert got == api
    if got:
        assert got[0].isalpha() and "__" not in got and not got.endswith("_") and len(got) <= 40


def test_process_names_are_unique() -> None:
    text = pipelines([("Продажи", chain(["Заявка"]), "Заявка"), ("Prodazhi", chain(["Новый"]), "Новый"),
                      ("ПРОДАЖИ!", chain(["Старт"]), "Старт")])
    _, obj, _ = parse(export(text))
    assert list(processes(obj)) == ["Prodazhi", "Prodazhi_2", "PRODAZhI_3"]


def test_value_over_40_characters_is_fn350() -> None:
    ok = "Д" * 40
    assert build_metadata(load(one_pipeline(chain(["Заявка", ok]))))[1] == []
    diags = build_metadata(load(one_pipeline(chain(["Заявка", ok + "Д"]))))[1]
    assert codes(diags) == ["FN350"] and "41" in diags[0].message
    reason = one_pipeline(f'  stage "Заявка" {{ -> won 50%\n -> lost "{"П" * 41}" 50% }}')
    assert codes(build_metadata(load(reason))[1]) == ["FN350"]


def test_pipeline_name_problems_are_fn351_and_fn352() -> None:
    text = pipelines([("Продажи", chain(["Заявка"]), "Заявка"), ("★★★", chain(["Новый"]), "Новый"),
                      ("П" * 256, chain(["Старт"]), "Старт")])
    assert codes(build_metadata(load(text))[1]) == ["FN352", "FN351"]


def test_a_name_both_open_and_closed_is_fn353() -> None:
    text = one_pipeline('  stage "Заявка" { -> "Дорого" 50%\n -> lost "Нецелевой" 50% }\n'
                        '  stage "Дорого" { -> won 50%\n -> lost "Дорого" 50% }')
    diags = build_metadata(load(text))[1]
    assert codes(diags) == ["FN353"]
    won = one_pipeline(chain(["Заявка", "Closed Won"]))
    assert codes(build_metadata(load(won))[1]) == ["FN353"]


def test_a_shared_stage_with_different_probabilities_is_a_warning_fn354() -> None:
    text = pipelines([("Продажи", chain(["Заявка", "Оплата"]), "Заявка"),
                      ("Сервис", '  stage "Оплата" { -> won 50%\n -> lost "Нет" 50% }', "Оплата")])
    files, diags = build_metadata(load(text))
    assert codes(diags) == ["FN354"] and diags[0].severity is Severity.warning
    value_set, obj, _ = parse(files)
    assert values(value_set)["Оплата"]["probability"] == "100"
    assert "Оплата" in processes(obj)["Servis"][1]


def test_blank_names_are_fn355() -> None:
    text = one_pipeline('  stage " " { -> won 50%\n -> lost "  " 50% }', first=" ")
    assert codes(build_metadata(load_unchecked(text))[1]) == ["FN355", "FN355"]


CUSTOM_FIELD = ["fullName", "defaultValue", "label", "length", "precision", "required", "scale",
                "type", "valueSet", "visibleLines"]
"""CustomField's elements funnelc writes, in the order of the Metadata API's CustomField
(fullName inherited from Metadata first, the rest in the WSDL's alphabetical sequence, as a
retrieved field lists them: `label, required, trackHistory, type, valueSet`)."""


def test_fields_are_custom_fields_of_their_object_in_the_documented_order() -> None:
    """Each field but the standard Contact.Phone is a CustomField of Opportunity, Contact or
    Account, `NAME__c` unique in its object, its elements in the WSDL's order, a picklist's
    options a restricted value set; package.xml lists each as a CustomField member."""
    text = one_pipeline(chain(["Заявка"]), head='field "Бюджет" money\nfield "Мест" int(1..9)\n'
                        'field "Тип" multi("А", "Б & В")\nfield "Телефон" phone on contact\n'
                        'field "Второй телефон" phone on contact\nfield "Бюджет!" text')
    files, diags = build_metadata(load(text))
    assert diags == []
    opportunity = ET.fromstring(files[OBJECT_PATH])
    fields = {f.findtext(f"{NS}fullName"): f for f in opportunity.findall(f"{NS}fields")}
    assert list(fields) == ["Bjudzhet__c", "Mest__c", "Tip__c", "Bjudzhet_2__c"]
    for f in fields.values():
        tags = [c.tag.removeprefix(NS) for c in f]
        assert tags == [t for t in CUSTOM_FIELD if t in tags]
    assert fields["Mest__c"].findtext(f"{NS}scale") == "0"
    assert fields["Tip__c"].findtext(f"{NS}type") == "MultiselectPicklist"
    options = fields["Tip__c"].findall(f"{NS}valueSet/{NS}valueSetDefinition/{NS}value")
    assert [o.findtext(f"{NS}label") for o in options] == ["А", "Б & В"]
    contact = ET.fromstring(files["objects/Contact.object"])
    assert [f.findtext(f"{NS}label") for f in contact.findall(f"{NS}fields")] == ["Второй телефон"]
    members = ET.fromstring(files[PACKAGE_PATH]).findall(f"{NS}types")
    custom = [t for t in members if t.findtext(f"{NS}name") == "CustomField"]
    assert [m.text for m in custom[0].findall(f"{NS}members")] == [
        "Opportunity.Bjudzhet__c", "Opportunity.Mest__c", "Opportunity.Tip__c",
        "Contact.Vtoroj_telefon__c", "Opportunity.Bjudzhet_2__c"]


def test_a_field_name_over_40_characters_or_an_option_over_255_is_fn356() -> None:
    ok = one_pipeline(chain(["Заявка"]), head=f'field "{"Д" * 40}" text')
    assert build_metadata(load(ok))[1] == []
    long = one_pipeline(chain(["Заявка"]), head=f'field "{"Д" * 41}" enum("{"О" * 256}", "Б")')
    diags = build_metadata(load_unchecked(long))[1]
    assert codes(diags) == ["FN356", "FN356"]
    assert "41 characters" in diags[0].message and "256 characters" in diags[1].message


def test_cli_writes_the_folder_and_requires_o(tmp_path: Path) -> None:
    src = tmp_path / "a.funnel"
    src.write_text(TWO, encoding="utf-8")
    runner = CliRunner()
    no_o = runner.invoke(cli, ["export", str(src), "--to", "salesforce"])
    assert no_o.exit_code == 2 and "give -o DIR" in no_o.output
    dash = runner.invoke(cli, ["export", str(src), "--to", "salesforce", "-o", "-"])
    assert dash.exit_code == 2 and not (Path.cwd() / "-").exists()
    out = tmp_path / "deploy"
    ok = runner.invoke(cli, ["export", str(src), "--to", "salesforce", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    files = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
             for p in out.rglob("*") if p.is_file()}
    parse(files)
    assert not [p for p in out.rglob(".funnelc-*")]


# ---------------------------------------------------------------- issue 17: deployable as is

def test_every_sales_process_value_carries_default_false() -> None:
    files = export(TWO)
    _, obj, _ = parse(files)
    values_ = obj.findall(f"{NS}businessProcesses/{NS}values")
    assert len(values_) == 8
    assert "<default>" in files[OBJECT_PATH].split("<values>", 1)[1].split("</values>", 1)[0]


LONG = "Отправили клиенту предложение о следующей покупке"


def test_an_alias_is_the_stage_s_salesforce_value() -> None:
    text = one_pipeline(f'  stage "Заявка" {{ -> "{LONG}" }}\n'
                        f'  stage "{LONG}" {{\n    alias salesforce "Предложили покупку"\n'
                        '    -> won 50%\n    -> lost "Нет" 50%\n  }')
    files = export(text)  # no FN350: the value is the alias
    value_set, obj, _ = parse(files)
    assert list(values(value_set)) == ["Заявка", "Предложили покупку", "Closed Won", "Нет"]
    assert processes(obj)["Prodazhi"][1] == ["Заявка", "Предложили покупку", "Closed Won", "Нет"]
    assert LONG not in files[VALUE_SET_PATH] + files[OBJECT_PATH]


def test_an_alias_over_40_characters_is_fn350_at_the_alias() -> None:
    text = one_pipeline(f'  stage "Заявка" {{\n    alias salesforce "{"А" * 41}"\n    -> won\n  }}')
    diags = build_metadata(load(text))[1]
    assert codes(diags) == ["FN350"]
    line = text.splitlines()[diags[0].span.line - 1]
    assert line.strip().startswith("alias salesforce")
    assert "alias salesforce" in (diags[0].help or "")


def test_an_alias_named_like_the_won_value_is_fn353() -> None:
    text = one_pipeline('  stage "Заявка" {\n    alias salesforce "Closed Won"\n    -> won\n  }')
    assert codes(build_metadata(load(text))[1]) == ["FN353"]


def test_the_alias_changes_no_other_export() -> None:
    plain = one_pipeline(f'  stage "Заявка" {{ -> "{LONG}" }}\n  stage "{LONG}" {{ -> won }}')
    aliased = plain.replace(f'stage "{LONG}" {{', f'stage "{LONG}" {{ alias salesforce "Коротко"\n')
    from funnelc.export.registry import get_exporter

    for target in ("amocrm", "bitrix24", "pipedrive", "hubspot", "mermaid", "playbook-md"):
        exporter = get_exporter(target)
        assert exporter.export(load(plain)).files == exporter.export(load(aliased)).files, target


@pytest.mark.parametrize("target", ["salesforce", "salesforce-sfdx"])
def test_saleschef_exports_with_its_alias(target: str, tmp_path: Path) -> None:
    """pipelines/saleschef.funnel could not be exported to Salesforce (a 49-character
    stage name, FN350): the stage keeps its name and has a Salesforce alias."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", str(ROOT / "pipelines" / "saleschef.funnel"),
                                      "--to", target, "-o", str(out)], env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    # The note is in the account's language (saleschef's is Russian), as every client
    # command writes it.
    assert result.stderr.strip().startswith("записан"), result.stderr
    text = "".join(p.read_text(encoding="utf-8") for p in out.rglob("*.*"))
    assert "<fullName>Предложили следующую покупку</fullName>" in text
    assert LONG not in text


def sfdx(text: str) -> dict[str, str]:
    files, diags = build_source(load(text))
    assert diags == []
    return files


def test_source_format_is_an_sfdx_project_of_the_same_metadata() -> None:
    files = sfdx(TWO)
    meta = export(TWO)
    root = "force-app/main/default/"
    assert sorted(files) == [
        root + "objects/Opportunity/businessProcesses/Dozhim.businessProcess-meta.xml",
        root + "objects/Opportunity/businessProcesses/Prodazhi.businessProcess-meta.xml",
        root + "standardValueSets/OpportunityStage.standardValueSet-meta.xml",
        "manifest/package.xml", "sfdx-project.json"]
    project = json.loads(files["sfdx-project.json"])
    assert project["packageDirectories"] == [{"path": "force-app", "default": True}]
    assert project["sourceApiVersion"] == API_VERSION and re.fullmatch(r"\w+", project["name"])
    assert files[root + "standardValueSets/OpportunityStage.standardValueSet-meta.xml"] == \
        meta[VALUE_SET_PATH]
    _, obj, package = parse(meta)
    composed = {bp.findtext(f"{NS}fullName"): ET.tostring(bp) for bp in obj}
    for name in ("Prodazhi", "Dozhim"):
        path = f"{root}objects/Opportunity/businessProcesses/{name}.businessProcess-meta.xml"
        bp = ET.fromstring(files[path].encode("utf-8"))
        assert local(bp) == "BusinessProcess" and bp.findtext(f"{NS}fullName") == name
        check_business_process(bp)
        # the decomposed file holds what the composed one does, element for element
        def content(el: ET.Element) -> list[tuple[str, str]]:
            return [(local(c), (c.text or "").strip()) for c in el.iter()][1:]

        assert content(bp) == content(ET.fromstring(composed[name]))
    manifest = ET.fromstring(files["manifest/package.xml"].encode("utf-8"))
    assert ET.tostring(manifest) == ET.tostring(package)
    assert "source-dir" in files["manifest/package.xml"]


def test_cli_writes_the_sfdx_project(tmp_path: Path) -> None:
    src = tmp_path / "a.funnel"
    src.write_text(TWO, encoding="utf-8")
    out = tmp_path / "project"
    ok = CliRunner().invoke(cli, ["export", str(src), "--to", "salesforce-sfdx", "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert (out / "sfdx-project.json").is_file()
    assert (out / "force-app/main/default/objects/Opportunity/businessProcesses"
            / "Prodazhi.businessProcess-meta.xml").is_file()
    bad = tmp_path / "bad.funnel"
    bad.write_text(one_pipeline(chain(["Заявка", "Д" * 41])), encoding="utf-8")
    refused = CliRunner().invoke(cli, ["export", str(bad), "--to", "salesforce-sfdx", "-o",
                                       str(tmp_path / "none")])
    assert refused.exit_code == 1 and "FN350" in refused.stderr
    assert not (tmp_path / "none").exists()


def test_readme_names_the_won_and_lost_values_the_ru_export_writes() -> None:
    _, obj, _ = parse(export(one_pipeline(chain(["Заявка"]), language="ru")))
    won, lost = processes(obj)["Prodazhi"][1][1:]
    # The export's documentation moved from README to the docs site (issue 16).
    page = (ROOT / "docs" / "exports" / "salesforce.md").read_text(encoding="utf-8")
    section = page.split("**Salesforce** (`--to salesforce", 1)[1]
    text = " ".join(section.split())
    assert f'"{won}"' in text and f'"{lost}"' in text, (won, lost)
