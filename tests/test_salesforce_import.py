"""`funnelc import --from salesforce`: an org's retrieved metadata becomes a funnel a
consultant can check and simulate.

The org in `tests/data/salesforce/org/` is written by hand in the source format
`sf project retrieve start` writes (`force-app/main/default/…-meta.xml`), element by
element as the Metadata API reference documents them: StandardValueSet / StandardValue
(`fullName, default, label, isActive, closed, forecastCategory, probability, won`, the
order of the sample `SFDC-Assets/adoption-sales` OpportunityStage file quoted in
`/work/shared/research/crm-formats.md` §5 and of jsforce's `schema.ts` 2291–2316),
BusinessProcess (`fullName, description, isActive, values{fullName, default}`, the
BusinessProcess reference page and schema.ts 1161–1167), RecordType (`fullName, active,
businessProcess, label`, the RecordType reference), CustomField (`fullName, label, type,
precision, scale, formula, valueSet{restricted, valueSetDefinition{sorted, value{fullName,
default, isActive, label}}}`, or `valueSet{valueSetName}` for a GlobalValueSet of
`customValue`s, the CustomField and GlobalValueSet references). Its source is
`tests/data/salesforce/SOURCES.md`."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.export.salesforce import standard_fields

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "salesforce"
ORG = DATA / "org"
GOLDEN = DATA / "org.funnel"
SOURCE = "force-app/main/default"
STAGES = f"{SOURCE}/standardValueSets/OpportunityStage.standardValueSet-meta.xml"
PROCESS = f"{SOURCE}/objects/Opportunity/businessProcesses/New Business.businessProcess-meta.xml"
FIELD = f"{SOURCE}/objects/Opportunity/fields/Budget__c.field-meta.xml"
EXAMPLES = sorted((ROOT / "pipelines").glob("*.funnel"))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "FUNNELC_DEBUG": None})


def test_the_org_imports_as_the_golden_funnel(tmp_path: Path) -> None:
    """Two active sales processes (the inactive third left out, noted) become two
    pipelines of their open stages in the process's order; the won values, the
    probabilities and forecast categories, the label that is not the API value, the
    inactive stage and the record types are notes; the closed values that are not won
    are the loss reasons listed; the custom fields of Opportunity, Contact and Account
    come with their kinds and active picklist values (a global value set's too), and a
    Percent, a DateTime, a Lookup and a formula field say what they became."""
    out = tmp_path / "org.funnel"
    result = run("import", "--from", "salesforce", str(ORG), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
    assert "imported 2 pipelines, 7 stages, 13 fields, 2 loss reasons" in result.stderr
    loaded = load_text(text, str(out))
    assert loaded.model is not None
    assert not [d for d in loaded.diagnostics if d.code in ("FN001", "FN002")]


def test_a_zip_of_the_retrieve_imports_the_same(tmp_path: Path) -> None:
    """`sf project retrieve start --target-metadata-dir` leaves a zip: it is read as the
    folder it holds (under a top folder of its own, as the Metadata API zips it)."""
    archive = tmp_path / "unpackaged.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(ORG.rglob("*")):
            if path.is_file():
                z.write(path, f"unpackaged/{path.relative_to(ORG).as_posix()}")
    result = run("import", "--from", "salesforce", str(archive))
    assert result.exit_code == 0, result.output
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


@pytest.mark.parametrize("target", ["salesforce", "salesforce-sfdx"])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_an_export_imports_back_with_its_pipelines_stages_fields_and_lost_reasons(
        example: Path, target: str, tmp_path: Path) -> None:
    """Export (Metadata API or source format) → import: every pipeline with its name
    (the sales process's description, its transliteration being the process name), every
    stage in order (its `alias salesforce` where it has one), every field with its entity,
    kind and options but the standard Contact.Phone/Email and Account.Phone (named in the
    header), every lost reason listed."""
    folder = tmp_path / "metadata"
    exported = run("export", str(example), "--to", target, "-o", str(folder))
    if exported.exit_code != 0:
        pytest.skip("Salesforce cannot hold this example (its golden .err says why)")
    result = run("import", "--from", "salesforce", str(folder))
    assert result.exit_code == 0, result.output
    original = load_text(example.read_text(encoding="utf-8"), str(example)).model
    back = load_text(result.stdout, "back.funnel").model
    assert original is not None and back is not None
    names = {}
    for pipe in original.pipelines:
        names[pipe.name.value] = [(s.alias.name.value if s.alias is not None
                                   and s.alias.crm == "salesforce" else s.name.value)
                                  for s in pipe.stages]
    assert {p.name.value: [s.name.value for s in p.stages] for p in back.pipelines} == names
    standard = standard_fields(original)
    fields = [(f.entity, f.name.value, f.type.kind, [v.value for v in f.type.values])
              for f in original.fields if (f.entity, f.name.value) not in standard]
    assert sorted(fields, key=str) == sorted(
        ((f.entity, f.name.value, f.type.kind, [v.value for v in f.type.values])
         for f in back.fields), key=str)
    if standard:
        assert "# - built-in fields not imported (standard fields of every org)" in result.stdout
    for pipe in original.pipelines:
        for stage in pipe.stages:
            for outcome in stage.outcomes:
                reason = getattr(outcome.target, "reason", None)
                if reason is not None:
                    assert f"# - {reason.value}\n" in result.stdout


def _broken(tmp_path: Path, path: str, old: str, new: str) -> Path:
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    file = org / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")
    return org


@pytest.mark.parametrize(("path", "old", "new", "words"), [
    (PROCESS, "<fullName>Qualification</fullName>", "<fullName>Qualifcation</fullName>",
     f"{PROCESS}: line 11: BusinessProcess/values[2]/fullName: stage 'Qualifcation' is not a "
     "value of OpportunityStage"),
    (STAGES, "<closed>false</closed>", "<closed>yes</closed>",
     f"{STAGES}: line 8: StandardValueSet/standardValue[1]/closed: expected true or false, "
     "found 'yes'"),
    (STAGES, "<probability>20</probability>", "<probability>twenty</probability>",
     f"{STAGES}: line 19: StandardValueSet/standardValue[2]/probability: expected a number, "
     "found 'twenty'"),
    (STAGES, "<probability>75</probability>", "<probability>750</probability>",
     "StandardValueSet/standardValue[5]/probability: a probability is a percent from 0 to 100"),
    (STAGES, "<fullName>Renewed</fullName>", "<fullName>Closed Won</fullName>",
     f"{STAGES}: line 78: StandardValueSet/standardValue[9]/fullName: stage value 'Closed Won' "
     "is listed twice (first on line 69)"),
    (STAGES, "</StandardValueSet>", "", f"{STAGES}: line 105 column 1: not well-formed XML: "
     "no element found"),
    (FIELD, "<type>Currency</type>", "", f"{FIELD}: line 2: CustomField: missing <type>"),
    (FIELD, "CustomField", "CustomObject", f"{FIELD}: line 2: CustomObject: expected "
     "<CustomField> as the root element, found <CustomObject>"),
    (PROCESS, '<?xml version="1.0" encoding="UTF-8"?>',
     '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>',
     f"{PROCESS}: line 1: has a DOCTYPE: Salesforce metadata files have none"),
])
def test_metadata_funnelc_cannot_read_is_located_exit_1(
        path: str, old: str, new: str, words: str, tmp_path: Path) -> None:
    """A file that is not what Salesforce writes is named with its line and XML path, and
    nothing is written (exit 1, no traceback)."""
    org = _broken(tmp_path, path, old, new)
    out = tmp_path / "out.funnel"
    result = run("import", "--from", "salesforce", str(org), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.output and not out.exists()


def test_without_the_stage_value_set_it_says_what_to_retrieve(tmp_path: Path) -> None:
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    (org / STAGES).unlink()
    result = run("import", "--from", "salesforce", str(org))
    assert result.exit_code == 1, result.output
    assert f"error: {org}: no OpportunityStage value set" in result.stderr
    assert "sf project retrieve start --metadata StandardValueSet:OpportunityStage" \
        in result.stderr


@pytest.mark.parametrize(("args", "code", "words"), [
    (["import", "--from", "salesforce"], 2, "give the metadata retrieved from the org"),
    (["import", "--from", "salesforce", "no-such-folder"], 2, "no-such-folder: no such file"),
    (["import", "--from", "salesforce", "--strict", str(ORG)], 2, "--strict checks"),
])
def test_usage(args: list[str], code: int, words: str) -> None:
    result = run(*args)
    assert result.exit_code == code, result.output
    assert words in result.output


def test_a_folder_without_opportunity_metadata_or_a_json_answer_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("import", "--from", "salesforce", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "holds no opportunity metadata funnelc reads" in result.stderr
    answer = tmp_path / "answer.json"
    answer.write_text('{"result": {"categories": []}}', encoding="utf-8")
    result = run("import", "--from", "salesforce", str(answer))
    assert result.exit_code == 1
    assert "this looks like Bitrix24's answer: `funnelc import --from bitrix24 FILE`" \
        in result.stderr


def test_an_org_without_sales_processes_is_one_pipeline_of_every_active_stage(
        tmp_path: Path) -> None:
    """An org that never made a sales process (no record types) shows every active stage
    to every user: one pipeline, with a note saying so."""
    org = tmp_path / "org"
    shutil.copytree(ORG, org)
    shutil.rmtree(org / SOURCE / "objects" / "Opportunity" / "businessProcesses")
    shutil.rmtree(org / SOURCE / "objects" / "Opportunity" / "recordTypes")
    result = run("import", "--from", "salesforce", str(org))
    assert result.exit_code == 0, result.output
    back = load_text(result.stdout, "o.funnel").model
    assert back is not None
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in back.pipelines] == [
        ("Opportunity", ["Prospecting", "Qualification", "Needs Analysis",
                         "Proposal/Price Quote", "Negotiation/Review", "Renewal Due"])]
    assert "no sales process given: every active stage is one pipeline" \
        in result.stdout


REST = DATA / "rest"
STAGES_QUERY = REST / "opportunity_stages.json"
DESCRIBE = REST / "opportunity_describe.json"


def test_the_rest_answers_import_as_one_pipeline_of_the_org_s_stages(tmp_path: Path) -> None:
    """Without a retrieve: the OpportunityStage query (closed, won, probability, in
    SortOrder, however the answer lists them) and Opportunity's describe (its custom
    fields) give the org's stages as one pipeline, the header saying the sales processes
    are in the metadata; `sf data query --json` (the records under `result`) reads alike.
    The query and describe answers of `tests/data/salesforce/rest/` are written by hand
    from the object reference's OpportunityStage fields (ApiName, MasterLabel, IsActive,
    IsClosed, IsWon, DefaultProbability, ForecastCategoryName, SortOrder) and the REST API
    guide's sObject Describe (`fields[]`: name, label, type, custom, calculated, scale,
    picklistValues{active, label, value}); see SOURCES.md."""
    result = run("import", "--from", "salesforce", str(STAGES_QUERY), str(DESCRIBE))
    assert result.exit_code == 0, result.output
    assert result.stdout == (DATA / "rest.funnel").read_text(encoding="utf-8")
    wrapped = tmp_path / "stages.json"
    records = json.loads(STAGES_QUERY.read_text(encoding="utf-8"))
    wrapped.write_text(json.dumps({"status": 0, "result": records}), encoding="utf-8")
    again = run("import", "--from", "salesforce", str(wrapped), str(DESCRIBE))
    assert again.exit_code == 0, again.output
    assert again.stdout == result.stdout
    both = run("import", "--from", "salesforce", str(ORG), str(DESCRIBE))
    assert both.stdout == GOLDEN.read_text(encoding="utf-8")  # a field is read once


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d["records"][2].pop("IsClosed"), "records[2].IsClosed: missing"),
    (lambda d: d["records"][0].update(DefaultProbability=250),
     "records[0].DefaultProbability: a probability is a percent from 0 to 100, found 250"),
    (lambda d: d.update(records=[{"attributes": {"type": "Lead"}, "Id": "x"}]),
     "is neither the OpportunityStage query nor the describe"),
    (lambda d: d.clear() or d.update(name="Lead", fields=[]),
     "name: the describe of Lead: funnelc reads the fields of Opportunity, Contact and Account"),
])
def test_a_rest_answer_funnelc_cannot_read_is_located(
        change: Callable[[dict[str, Any]], object], words: str, tmp_path: Path) -> None:
    data = json.loads(STAGES_QUERY.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("import", "--from", "salesforce", str(path))
    assert result.exit_code == 1, result.output
    assert f"{path}: {words}" in result.stderr, result.stderr
    assert "Traceback" not in result.output
