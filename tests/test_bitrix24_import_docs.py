"""`funnelc import --from bitrix24` against Bitrix24's documented answers (issue 13,
point 6, as amoCRM's import has it): every key of the answers' own examples is known, so
they import without a warning, also under `--strict`; a key outside them is a located
warning by default and, with `--strict`, an error with nothing written.

Fixtures: tests/data/bitrix24/ (SOURCES.md says where each comes from).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from funnelc.cli import cli

DATA = Path(__file__).parent / "data" / "bitrix24"
CATEGORIES, STAGES, FIELDS = (DATA / "crm_category_list.json", DATA / "crm_status_list.json",
                              DATA / "crm_deal_userfield_list.json")
DOCUMENTED = (CATEGORIES, STAGES, FIELDS)


def run_import(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", "--from", "bitrix24", *args],
                              env={"NO_COLOR": "1"})


def _with(tmp_path: Path, source: Path, change: Any) -> str:
    """`source` with `change(doc)` applied, as a new file."""
    doc = json.loads(source.read_text(encoding="utf-8"))
    change(doc)
    out = tmp_path / source.name
    out.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(out)


def test_documented_answers_import_without_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "imported.funnel"
    result = run_import(*map(str, DOCUMENTED), "--strict", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "unknown key" not in result.stderr
    text = out.read_text(encoding="utf-8")
    assert 'pipeline "General" main' in text and 'stage "Document preparation"' in text
    assert 'field "Radio" multi(' in text
    assert "- Failure reason analysis" in text


def test_each_documented_answer_alone_has_only_known_keys() -> None:
    for path in DOCUMENTED[:2]:
        result = run_import(str(path), "--strict")
        assert result.exit_code == 0, (path, result.output)
        assert "unknown key" not in result.stderr, path


def _probability(doc: dict[str, Any]) -> None:
    for item in doc["result"]:
        item["PROBABILITY"] = "50"
    doc["result"][2]["EXTRA"]["ICON"] = "star"


def test_unknown_keys_are_located_warnings_by_default(tmp_path: Path) -> None:
    stages = _with(tmp_path, STAGES, _probability)
    out = tmp_path / "imported.funnel"
    result = run_import(str(CATEGORIES), stages, "-o", str(out))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "unknown key" in line]
    assert warnings == [
        f"warning: {stages}: result[0].PROBABILITY: unknown key, not in Bitrix24's "
        "documented answer (and 7 more like it: result[*].PROBABILITY)",
        f"warning: {stages}: result[2].EXTRA.ICON: unknown key, not in Bitrix24's "
        "documented answer"], result.stderr
    assert "--strict refuses" in result.stderr
    assert 'stage "Document preparation"' in out.read_text(encoding="utf-8")


def test_unknown_keys_everywhere_are_found(tmp_path: Path) -> None:
    """The envelope, a category, a user field and one of its values."""
    def cats(doc: dict[str, Any]) -> None:
        doc["result"]["categories"][1]["stageCount"] = 7
        doc["next"] = 50
        doc["page"] = 2

    def fields(doc: dict[str, Any]) -> None:
        doc["result"][1]["LIST"][3]["COLOR"] = "red"
        doc["result"][4]["IS_MULTI_LANG"] = "N"

    result = run_import(_with(tmp_path, CATEGORIES, cats), str(STAGES),
                        _with(tmp_path, FIELDS, fields), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(Path(u["file"]).name, u["path"]) for u in data["unknown_keys"]] == [
        ("crm_category_list.json", "page"),
        ("crm_category_list.json", "result.categories[1].stageCount"),
        ("crm_deal_userfield_list.json", "result[1].LIST[3].COLOR"),
        ("crm_deal_userfield_list.json", "result[4].IS_MULTI_LANG")], data["unknown_keys"]
    assert all("Bitrix24's documented answer" in w for w in data["warnings"][:4])


def test_strict_refuses_unknown_keys_and_writes_nothing(tmp_path: Path) -> None:
    stages = _with(tmp_path, STAGES, _probability)
    out = tmp_path / "imported.funnel"
    result = run_import(str(CATEGORIES), stages, "--strict", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert (f"error: {stages}: result[0].PROBABILITY: unknown key, not in Bitrix24's "
            "documented answer (and 7 more like it") in result.stderr
    assert f"error: {stages}: result[2].EXTRA.ICON" in result.stderr
    assert "without --strict they are warnings" in result.stderr
    assert not out.exists()


def test_batch_answer_keys_are_known(tmp_path: Path) -> None:
    """A `batch` answer holding both lists, as batch.md documents its envelope."""
    cats = json.loads(CATEGORIES.read_text(encoding="utf-8"))
    stages = json.loads(STAGES.read_text(encoding="utf-8"))
    batch = {"result": {"result": {"cats": cats["result"], "stages": stages["result"]},
                        "result_error": [], "result_total": {"cats": 4, "stages": 8},
                        "result_next": [], "result_time": {}},
             "time": cats["time"]}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
    result = run_import(str(path), "--strict")
    assert result.exit_code == 0, result.output
    assert 'pipeline "General" main' in result.stdout


def test_strict_is_refused_where_no_documented_keys_are_known() -> None:
    result = CliRunner().invoke(cli, ["import", "--from", "pipedrive", "--strict", "x.json"])
    assert result.exit_code == 2, result.output
    assert "--strict checks amoCRM's and Bitrix24's answers" in result.output
