"""`funnelc import --from hubspot`: what apply wrote to the fake comes back as an
equivalent funnel (the same pipelines and open stages in order, the fields as custom
properties, the lost reasons as the options of closed_lost_reason, listed in the
header), read live or from saved answers; answers not shaped as HubSpot documents them
are located messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.diagnostics import Severity
from funnelc.export import deploy, hubspot_client
from funnelc.export.crm_common import lost_reasons

try:
    from tests.fakes.hubspot_server import FakeHubSpot, running_fake_hubspot
except ModuleNotFoundError:  # pragma: no cover
    from fakes.hubspot_server import FakeHubSpot, running_fake_hubspot  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "hs-tok-IMPORT-77d0"
EXAMPLES = sorted((ROOT / "pipelines").glob("*.funnel"))


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hubspot_client, "PER_S", 10_000)
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.001)
    monkeypatch.setenv(hubspot_client.TOKEN_ENV, TOKEN)


@pytest.fixture
def hs() -> Iterator[FakeHubSpot]:
    with running_fake_hubspot(TOKEN, burst=None) as fake:
        yield fake


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_what_apply_wrote_imports_back_as_an_equivalent_funnel(example: Path, hs: FakeHubSpot,
                                                               tmp_path: Path) -> None:
    applied = run("apply", str(example), "--to", "hubspot", "--base-url", hs.base_url,
                  "--allow-delete", "--yes")
    assert applied.exit_code == 0, applied.output
    out = tmp_path / "back.funnel"
    result = run("import", "--from", "hubspot", "--base-url", hs.base_url, "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    back = load_text(text, str(out))
    original = load_text(example.read_text(encoding="utf-8"), "<o>", checks=False).model
    assert back.model is not None and original is not None
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in back.model.pipelines] == \
        [(p.name.value, [s.name.value for s in p.stages]) for p in original.pipelines]
    builtin = {f.name.value for f in original.fields if f.entity.value == "contact"
               and f.type.kind in ("phone", "email")}
    assert {(f.name.value, f.entity) for f in back.model.fields} == {
        (f.name.value, f.entity) for f in original.fields if f.name.value not in builtin}
    kinds = {f.name.value: f.type for f in back.model.fields}
    for f in original.fields:
        if f.type.kind in ("enum", "multi", "bool", "date"):
            assert kinds[f.name.value].kind == f.type.kind
            assert [v.value for v in kinds[f.name.value].values] == [v.value for v in f.type.values]
    reasons = list(dict.fromkeys(r for p in original.pipelines for r, _ in lost_reasons(p)))
    for reason in reasons:
        assert f"# - {reason}" in text
    assert {d.code for d in back.diagnostics if d.severity is Severity.error} <= {
        "FN215", "FN216"}


def test_saved_answers_import_like_a_live_read(hs: FakeHubSpot, tmp_path: Path) -> None:
    example = ROOT / "pipelines" / "saleschef.funnel"
    assert run("apply", str(example), "--to", "hubspot", "--base-url", hs.base_url,
               "--yes").exit_code == 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answers = {key: httpx.get(f"{hs.base_url}/crm/v3/{key}", headers=headers).json()
               for key in ("pipelines/deals", "properties/deals", "properties/contacts",
                           "properties/companies")}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    live = run("import", "--from", "hubspot", "--base-url", hs.base_url)
    saved = run("import", "--from", "hubspot", str(path))
    assert saved.exit_code == 0, saved.output
    assert saved.stdout == live.stdout


@pytest.mark.parametrize(("answers", "words"), [
    ({"properties/deals": {"results": []}}, "pipelines/deals: missing"),
    ({"pipelines/deals": {"results": [{"id": "1", "label": "P"}]}},
     "pipelines/deals.results[0].stages: missing"),
    ({"pipelines/deals": {"results": [{"id": "1", "label": "P", "stages": [
        {"id": "2", "label": 5}]}]}}, "pipelines/deals.results[0].stages[0].label: expected a "
                                      "string"),
    ({"pipelines/deals": {"results": []}, "properties/deals": {"results": [
        {"name": "x", "label": "X", "type": "enumeration", "fieldType": "select",
         "options": "a,b"}]}}, "properties/deals.results[0].options: expected an array"),
])
def test_answers_not_shaped_as_documented_are_located(tmp_path: Path, answers: object,
                                                      words: str) -> None:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = run("import", "--from", "hubspot", str(path))
    assert result.exit_code == 1, result.output
    assert str(path) in result.stderr and words in result.stderr
    assert "Traceback" not in result.output


def _stage(label: str, order: int, **metadata: object) -> dict[str, object]:
    return {"id": f"s{order}-{label}", "label": label, "displayOrder": order,
            "metadata": metadata, "archived": False}


def test_closed_stages_and_probabilities_are_read_in_either_form(tmp_path: Path) -> None:
    """A stage's metadata as HubSpot's docs show it (`{"probability": 1.0}`, numbers) marks
    the closed stages as the answer's strings do; `isClosed`, where given, says which are
    closed (an open stage may be set to 0% or 100%); the open stages' probabilities are
    noted, not dropped without a word."""
    answers = {"pipelines/deals": {"results": [
        {"id": "default", "label": "Продажі", "displayOrder": 0, "archived": False, "stages": [
            _stage("Кваліфікація", 0, probability=0.2), _stage("Переговори", 1, probability=0.6),
            _stage("Виграно", 2, probability=1.0), _stage("Програно", 3, probability=0)]},
        {"id": "7", "label": "Сервіс", "displayOrder": 1, "archived": False, "stages": [
            _stage("Відмовився", 0, probability="0.0", isClosed="false"),
            _stage("Оплачено, чекає", 1, probability="1.0", isClosed="false"),
            _stage("Won", 2, probability="1.0", isClosed="true"),
            _stage("Lost", 3, probability="0.0", isClosed="true")]}]}}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = run("import", "--from", "hubspot", str(path))
    assert result.exit_code == 0, result.output
    model = load_text(result.stdout, "<back>", checks=False).model
    assert model is not None
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in model.pipelines] == [
        ("Продажі", ["Кваліфікація", "Переговори"]),
        ("Сервіс", ["Відмовився", "Оплачено, чекає"])]
    text = " ".join(result.stdout.split("\n# "))
    assert "closed won «Виграно» in «Продажі»" in text
    assert "closed lost «Програно» in «Продажі»" in text
    assert ("deal probabilities (not imported: funnelc's export computes them from the "
            "routing): «Продажі»: «Кваліфікація» 20%, «Продажі»: «Переговори» 60%, "
            "«Сервіс»: «Відмовився» 0%, «Сервіс»: «Оплачено, чекає» 100%") in text


@pytest.mark.parametrize(("probability", "words"), [
    ("high", "expected a number from 0.0 to 1.0, found \"high\""),
    (1.5, "expected a number from 0.0 to 1.0, found 1.5"),
    (True, "expected a number, found a boolean")])
def test_a_probability_that_is_no_probability_is_located(tmp_path: Path, probability: object,
                                                         words: str) -> None:
    answers = {"pipelines/deals": {"results": [{"id": "1", "label": "P", "stages": [
        _stage("S", 0, probability=probability)]}]}}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = run("import", "--from", "hubspot", str(path))
    assert result.exit_code == 1, result.output
    assert f"pipelines/deals.results[0].stages[0].metadata.probability: {words}" in \
        result.stderr
    assert "Traceback" not in result.output


def test_hidden_options_are_noted_not_dropped_without_a_word(tmp_path: Path) -> None:
    """An option hidden in HubSpot (`"hidden": true`: deals may hold it, forms do not
    offer it) was left out of the field and of the loss reasons without a word."""
    answers = {"pipelines/deals": {"results": [{"id": "1", "label": "P", "stages": [
        _stage("S", 0, probability="0.5")]}]},
        "properties/deals": {"results": [
            {"name": "dzherelo", "label": "Джерело", "type": "enumeration", "fieldType": "select",
             "options": [{"label": "Сайт", "value": "a"},
                         {"label": "Виставка 2019", "value": "b", "hidden": True}]},
            {"name": "closed_lost_reason", "label": "Closed lost reason", "type": "enumeration",
             "fieldType": "select", "hubspotDefined": True,
             "options": [{"label": "Дорого", "value": "d"},
                         {"label": "Пішов до конкурента", "value": "k", "hidden": True}]}]}}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = run("import", "--from", "hubspot", str(path))
    assert result.exit_code == 0, result.output
    assert 'field "Джерело" enum("Сайт")' in result.stdout
    text = " ".join(result.stdout.split("\n# "))
    assert ("property «Джерело»: hidden options left out (HubSpot keeps them on deals, forms "
            "do not offer them): «Виставка 2019»") in text
    assert ("property «Closed lost reason»: hidden options left out (HubSpot keeps them on "
            "deals, forms do not offer them): «Пішов до конкурента»") in text


def test_archived_pipelines_and_stages_are_noted_not_dropped_without_a_word(
        tmp_path: Path) -> None:
    """An archived pipeline or stage (`"archived": true`: HubSpot keeps its deals, nobody
    adds new ones) was left out without a word, where amoCRM's importer names its archived
    pipelines («archived pipelines left out: …»)."""
    answers = {"pipelines/deals": {"results": [
        {"id": "default", "label": "Продажі", "displayOrder": 0, "archived": False, "stages": [
            _stage("Кваліфікація", 0, probability="0.2"),
            {**_stage("Замір", 1, probability="0.4"), "archived": True},
            _stage("Виграно", 2, probability="1.0", isClosed="true")]},
        {"id": "9", "label": "Опт 2023", "displayOrder": 1, "archived": True, "stages": [
            _stage("Дзвінок", 0, probability="0.1")]}]}}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = run("import", "--from", "hubspot", str(path))
    assert result.exit_code == 0, result.output
    model = load_text(result.stdout, "<back>", checks=False).model
    assert model is not None
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in model.pipelines] == [
        ("Продажі", ["Кваліфікація"])]
    text = " ".join(result.stdout.split("\n# "))
    assert "archived pipelines left out: «Опт 2023»" in text
    assert "archived stages left out: «Продажі»: «Замір»" in text


def test_an_answer_whose_every_pipeline_is_archived_is_refused_not_an_empty_funnel(
        tmp_path: Path) -> None:
    """An answer listing only archived pipelines was imported as an empty funnel (exit 0,
    a note «archived pipelines left out: …») that `check` then passed, as an answer with
    no pipeline was before 570ff80. Every account keeps a pipeline in use: it is refused
    with its place, the archived pipelines named and a help, exit 1, nothing written."""
    answers = {"pipelines/deals": {"results": [
        {"id": "9", "label": "Опт 2023", "displayOrder": 0, "archived": True, "stages": [
            _stage("Дзвінок", 0, probability="0.1")]},
        {"id": "10", "label": "Опт 2024", "displayOrder": 1, "archived": True, "stages": [
            _stage("Дзвінок", 0, probability="0.1")]}]}}
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.funnel"
    result = run("import", "--from", "hubspot", str(path), "-o", str(out))
    assert result.exit_code == 1, result.output
    assert (f"{path}: pipelines/deals.results: every deal pipeline is archived "
            "(«Опт 2023», «Опт 2024»)") in result.stderr
    assert "= help: " in result.stderr and '"archived": false' in result.stderr
    assert not out.exists()
    assert "Traceback" not in result.output
