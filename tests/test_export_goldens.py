"""`funnelc export` for every example and every target except amoCRM (its own test file):
the output matches a golden file, JSON outputs validate against their JSON Schema written
from the documented contract (`--to json` against `funnelc schema`), and an example a
target cannot hold has its diagnostics as the golden (`<example>.err`) with nothing written.

Goldens: `tests/cases/export/<target>/<example>.<ext>`; the Salesforce folder target has a
folder per example. Regenerate after an intended change with
`FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_export_goldens.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import CASES, PIPELINES, ROOT
from funnelc.cli import cli

GOLDEN = CASES / "export"
UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"
EXAMPLES = sorted(PIPELINES.glob("*.funnel"))
SCHEMAS = ROOT / "src" / "funnelc" / "export" / "schemas"

FILE_TARGETS: dict[str, str] = {
    "bitrix24": "json", "pipedrive": "json", "hubspot": "json", "mermaid": "mmd", "dot": "dot",
    "playbook-md": "md", "playbook-html": "html", "json": "json",
}
JSON_SCHEMA_TARGETS = ("bitrix24", "pipedrive", "hubspot")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples are exported by their path relative to the repository (it is in the
    output: the json model's `path`, diagnostics), whatever directory pytest runs from."""
    monkeypatch.chdir(ROOT)


def schema_for(target: str) -> dict:
    if target == "json":
        result = CliRunner().invoke(cli, ["schema"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)
    return json.loads((SCHEMAS / f"{target}.schema.json").read_text(encoding="utf-8"))


_SCHEMAS: dict[str, dict] = {}


def validate(target: str, data: object) -> None:
    if target not in _SCHEMAS:
        _SCHEMAS[target] = schema_for(target)
    jsonschema.Draft202012Validator(_SCHEMAS[target]).validate(data)


def run(args: list[str]):
    return CliRunner().invoke(cli, args, env={"NO_COLOR": "1"})


def check_golden(actual: str, golden: Path) -> None:
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden {golden}: run with FUNNELC_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8"), f"{golden} differs"


def drop_stale(folder: Path, stem: str) -> None:
    if not UPDATE:
        return
    for stale in folder.glob(f"{stem}.*"):
        stale.unlink()
    if (folder / stem).is_dir():
        shutil.rmtree(folder / stem)


@pytest.mark.parametrize("target", sorted(FILE_TARGETS))
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_file_target_matches_golden(target: str, path: Path) -> None:
    result = run(["export", str(path.relative_to(ROOT)), "--to", target])
    folder = GOLDEN / target
    drop_stale(folder, path.stem)
    if result.exit_code == 0:
        assert result.stderr == ""
        if FILE_TARGETS[target] == "json":
            data = json.loads(result.stdout)
            if target in JSON_SCHEMA_TARGETS or target == "json":
                validate(target, data)
        check_golden(result.stdout, folder / f"{path.stem}.{FILE_TARGETS[target]}")
    else:
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        check_golden(result.stderr, folder / f"{path.stem}.err")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_salesforce_folder_matches_golden(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sf"
    result = run(["export", str(path.relative_to(ROOT)), "--to", "salesforce", "-o", str(out)])
    folder = GOLDEN / "salesforce"
    drop_stale(folder, path.stem)
    if result.exit_code != 0:
        assert result.exit_code == 1, result.output
        assert not out.exists()
        check_golden(result.stderr, folder / f"{path.stem}.err")
        return
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "objects/Opportunity.object" in written and written[-2:] == [
        "package.xml", "standardValueSets/OpportunityStage.standardValueSet"]
    assert set(written[:-2]) <= {f"objects/{o}.object" for o in ("Opportunity", "Contact", "Account")}
    for rel in written:
        check_golden((out / rel).read_text(encoding="utf-8"), folder / path.stem / rel)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_salesforce_sfdx_project_matches_golden(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sfdx"
    result = run(["export", str(path.relative_to(ROOT)), "--to", "salesforce-sfdx", "-o",
                  str(out)])
    folder = GOLDEN / "salesforce-sfdx"
    drop_stale(folder, path.stem)
    if result.exit_code != 0:
        assert result.exit_code == 1, result.output
        assert not out.exists()
        check_golden(result.stderr, folder / f"{path.stem}.err")
        return
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    processes = "force-app/main/default/objects/Opportunity/businessProcesses/"
    fields = re.compile(r"force-app/main/default/objects/(Opportunity|Contact|Account)/fields/"
                        r"\w+__c\.field-meta\.xml")
    assert written[-3:] == [
        "force-app/main/default/standardValueSets/OpportunityStage.standardValueSet-meta.xml",
        "manifest/package.xml", "sfdx-project.json"]
    assert any(r.startswith(processes) for r in written) and all(
        (r.startswith(processes) and r.endswith(".businessProcess-meta.xml"))
        or fields.fullmatch(r) for r in written[:-3])
    for rel in written:
        check_golden((out / rel).read_text(encoding="utf-8"), folder / path.stem / rel)


def test_every_golden_belongs_to_an_example_and_target() -> None:
    stems = {p.stem for p in EXAMPLES}
    for target in [*FILE_TARGETS, "salesforce", "salesforce-sfdx"]:
        folder = GOLDEN / target
        assert folder.is_dir(), folder
        names = {p.name.split(".")[0] for p in folder.iterdir()}
        assert names <= stems, f"{target}: goldens of no example: {names - stems}"
        assert names == stems, f"{target}: examples without a golden: {stems - names}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_json_export_is_the_model_itself(path: Path) -> None:
    from funnelc.api import load_file
    from funnelc.model import FunnelFile

    loaded = load_file(str(path.relative_to(ROOT)))
    result = run(["export", str(path.relative_to(ROOT)), "--to", "json"])
    assert result.exit_code == 0, result.output
    assert FunnelFile.model_validate(json.loads(result.stdout)) == loaded.model
