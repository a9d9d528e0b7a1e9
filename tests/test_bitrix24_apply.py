"""`funnelc apply FILE --to bitrix24` and `funnelc import --from bitrix24` end to end
against the loopback fake built from Bitrix24's REST docs (tests/fakes/bitrix24_server.py):
every example applies, a second apply plans nothing, a changed file plans exactly the
change, import of what was applied gives the funnel back, a failure injected at any
request leaves a state the next run completes, the rate limit is backed off, answers of
the wrong shape are located, limits are refused before any request, and the webhook's
secret is never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import PIPELINES
from funnelc import model as m
from funnelc.api import load_file, load_text
from funnelc.cli import cli
from funnelc.export import deploy
from funnelc.export.bitrix24 import builtin_multifields

try:
    from tests.fakes.bitrix24_server import FakeBitrix24, running_fake_bitrix24
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.bitrix24_server import FakeBitrix24, running_fake_bitrix24  # type: ignore[no-redef]

EXAMPLES = sorted(PIPELINES.glob("*.funnel"))

FUNNEL = """\
account "Тест" {
  currency RUB
  language ru
}
team "Менеджеры" size 2
field "Бюджет" money
field "Тип" enum("B2B", "B2C")
field "Телефон" phone on contact
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main sales {
  stage "Заявка" {
    owner "Менеджеры"
    color "#fffeb2"
    -> "КП" 50%
    -> lost "Нецелевой" 50%
  }
  stage "КП" {
    requires "Бюджет", "Тип"
    -> "Договор" 40%
    -> lost "Дорого" 60%
  }
  stage "Договор" {
    -> won then copy "Сервис"."Новый клиент"
  }
}
pipeline "Сервис" {
  stage "Новый клиент" {
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real back-off waits seconds; the logic under test is the same with 10 ms."""
    monkeypatch.setattr(deploy, "BACKOFF_BASE_S", 0.01)


@pytest.fixture
def b24() -> Iterator[FakeBitrix24]:
    with running_fake_bitrix24() as fake:
        yield fake


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "account.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return path


def apply(fake: FakeBitrix24, path: Path, *extra: str, webhook: str | None = None) -> Result:
    fake.reset_rate_window()
    env = {"NO_COLOR": "1", "FUNNELC_DEBUG": None,
           "BITRIX24_WEBHOOK": webhook if webhook is not None else fake.webhook}
    return CliRunner().invoke(cli, ["apply", str(path), "--to", "bitrix24", *extra], env=env)


def changes(result: Result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines()
            if line.startswith(("  +", "  ~", "  -", "    -"))]


def portal(fake: FakeBitrix24) -> dict[str, object]:
    """What the portal holds, by name (ids differ between runs)."""
    st = fake.state
    return {
        "categories": sorted(
            (c.name, tuple((s.name, s.semantics, s.color) for s in st.stages_of(c.entity_id)))
            for c in st.categories),
        "fields": sorted((f.entity, f.label, f.user_type, f.multiple, f.mandatory,
                          tuple(i["VALUE"] for i in f.items)) for f in st.fields)}


# ---------------------------------------------------------------- the main path

def test_plan_only_reads_and_lists_the_changes(b24: FakeBitrix24, funnel: Path) -> None:
    result = apply(b24, funnel)
    assert result.exit_code == 0, result.output
    lines = changes(result)
    assert "~ rename the default pipeline `General` → `Продажи`" in lines
    assert "~ update first stage of `Продажи`: rename `New` → `Заявка`, colour #39A8EF → #FFFEB2" in lines
    assert "+ add stage `КП` to pipeline `Продажи`" in lines
    assert "+ add lost stage `Нецелевой` to pipeline `Продажи`" in lines
    assert "+ create pipeline `Сервис` with 1 stage" in lines
    assert "+ create deal field `Тип` (enumeration)" in lines
    assert not any("field `Телефон`" in line for line in lines)  # the built-in PHONE
    assert not any(line.startswith("-") for line in lines)
    assert "run again with --yes" in result.stdout
    assert "= by hand: «Продажи» → «КП»: make «Бюджет», «Тип» required" in result.stdout
    # the list, a batch of crm.category.get for the ids it skipped, the stages and fields
    assert [r.api_method for r in b24.requests] == ["crm.category.list", "batch", "batch"]


def test_apply_builds_the_portal_and_a_second_apply_plans_nothing(b24: FakeBitrix24, funnel: Path) -> None:
    result = apply(b24, funnel, "--yes")
    assert result.exit_code == 0, result.output
    sales = b24.state.category(0)
    assert sales.name == "Продажи"
    stages = b24.state.stages_of("DEAL_STAGE")
    progress = [s.name for s in stages if s.semantics == ""]
    ours = ["Заявка", "КП", "Договор"]
    assert [name for name in progress if name in ours] == ours  # the defaults stay: no --allow-delete
    assert [s.status_id for s in stages if s.name == "Заявка"] == ["NEW"]
    won = next(s.sort for s in stages if s.semantics == "S")
    assert all(s.sort < won for s in stages if s.semantics == "")
    assert all(s.sort > won for s in stages if s.semantics == "F")
    assert {s.name for s in stages if s.semantics == "F"} >= {"Нецелевой", "Дорого"}
    service = next(c for c in b24.state.categories if c.name == "Сервис")
    assert next(s.status_id for s in b24.state.stages_of(service.entity_id)) == f"C{service.id}:NEW"
    deal_type = next(f for f in b24.state.fields if f.label == "Тип")
    assert deal_type.user_type == "enumeration" and [i["VALUE"] for i in deal_type.items] == ["B2B", "B2C"]
    writes = [r for r in b24.requests if r.api_method not in ("crm.category.list", "crm.status.list")]
    assert len(writes) <= 6, [r.api_method for r in writes]  # batched, not one request a call
    again = apply(b24, funnel, "--yes")
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.stdout
    assert changes(again) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_applies_and_a_second_apply_plans_nothing(path: Path, b24: FakeBitrix24) -> None:
    first = apply(b24, path, "--yes")
    assert first.exit_code == 0, first.output
    assert "applied" in first.stdout
    second = apply(b24, path)
    assert second.exit_code == 0, second.output
    assert changes(second) == [] and "nothing to do" in second.stdout


def test_a_changed_file_plans_exactly_the_change(b24: FakeBitrix24, funnel: Path, tmp_path: Path) -> None:
    assert apply(b24, funnel, "--yes").exit_code == 0
    changed = tmp_path / "changed.funnel"
    changed.write_text(FUNNEL.replace('stage "КП" {', 'stage "КП отправлено" {')
                       .replace('-> "КП" 50%', '-> "КП отправлено" 50%')
                       .replace('field "Тип" enum("B2B", "B2C")', 'field "Тип" enum("B2B", "B2C", "B2G")'),
                       encoding="utf-8")
    result = apply(b24, changed)
    assert result.exit_code == 0, result.output
    assert changes(result) == [
        "+ add stage `КП отправлено` to pipeline `Продажи`",
        "~ deal field `Тип`: add values `B2G`"]
    kept = [line for line in result.stdout.splitlines()
            if line.startswith("  = leave alone: stages of `Продажи` not in the file:")]
    assert len(kept) == 1 and ", `КП`, " in kept[0]
    pruned = apply(b24, changed, "--allow-delete")
    assert "deletions (--allow-delete):" in pruned.stdout
    assert "- delete stage `КП` of pipeline `Продажи` (Bitrix24 refuses while deals are in it)" in changes(pruned)
    assert apply(b24, changed, "--yes", "--allow-delete").exit_code == 0
    assert changes(apply(b24, changed, "--allow-delete")) == []
    kp = [s for s in b24.state.stages_of("DEAL_STAGE") if s.name == "КП"]
    assert kp == []


# ---------------------------------------------------------------- import (round trip)

def _shape(funnel: m.FunnelFile) -> dict[str, object]:
    """Pipelines and user fields: the built-in PHONE/EMAIL a file's first contact or
    company phone and email stand for are no user fields, so they do not come back."""
    kinds = {"phone": "text", "email": "text"}
    builtin = builtin_multifields(funnel)
    return {
        "pipelines": [(p.name.value, p.main, [s.name.value for s in p.stages]) for p in funnel.pipelines],
        "fields": sorted((f.name.value, f.entity.value, kinds.get(f.type.kind, f.type.kind),
                          tuple(v.value for v in f.type.values)) for f in funnel.fields
                         if (f.entity, f.name.value) not in builtin)}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_import_of_what_was_applied_gives_the_funnel_back(path: Path, b24: FakeBitrix24,
                                                        tmp_path: Path) -> None:
    assert apply(b24, path, "--yes", "--allow-delete").exit_code == 0
    out = tmp_path / "imported.funnel"
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", "-o", str(out)],
                                env={"BITRIX24_WEBHOOK": b24.webhook, "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    original = load_file(str(path)).model
    imported = load_text(out.read_text(encoding="utf-8"), str(out), checks=False).model
    assert original is not None and imported is not None
    main_first = sorted(original.pipelines, key=lambda p: not p.main)
    want = _shape(original)
    want["pipelines"] = [(p.name.value, p.main, [s.name.value for s in p.stages]) for p in main_first]
    assert _shape(imported) == want
    check = CliRunner().invoke(cli, ["check", str(out)])
    assert "error[FN2" not in check.output or "FN215" in check.output or "FN216" in check.output


def test_import_from_saved_answers_names_the_place_of_a_bad_one(tmp_path: Path) -> None:
    bad = tmp_path / "statuses.json"
    bad.write_text(json.dumps({"result": [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW",
                                           "NAME": 5, "SORT": "10"}]}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: result[0].NAME: expected a string" in result.stderr


@pytest.mark.parametrize(("answer", "words"), [
    ({"result": {"categories": [{"name": "Ремонт"}]}}, "result.categories[0].id: missing"),
    ({"result": {"categories": [{"id": 1.5, "name": "Ремонт"}]}},
     "result.categories[0].id: expected an integer, found a number"),
    ({"result": {"categories": [{"id": None, "name": "Ремонт"}]}},
     "result.categories[0].id: expected an integer, found null"),
    ({"result": [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW"}]},
     "result[0].NAME: missing"),
    ({"result": [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": ["x"]}]},
     "result[0].NAME: expected a string, found an array"),
    ({"result": {"categories": {"0": {"id": 0}}}}, "result.categories: expected an array, found an object"),
    ({"pipelines": {"data": []}, "stages": {"data": []}},
     "the top level: expected a Bitrix24 answer: an object with `result`, found an object with "
     "`pipelines`, `stages`"),
])
def test_import_of_a_malformed_answer_says_the_place_and_what_was_found(
        tmp_path: Path, answer: object, words: str) -> None:
    """In JSON's words (an integer, a number, null, missing), as the other importers say
    it: Bitrix24's said `found NoneType` for a missing id, `found float`, `(top)`."""
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}: {words}" in result.stderr
    assert "Traceback" not in result.output


def test_stages_of_a_pipeline_missing_from_the_categories_are_kept_and_noted(tmp_path: Path) -> None:
    """Stages of DEAL_STAGE_5 with no crm.category.list answer naming category 5 (one
    file not saved) were dropped without a word: «imported 0 pipelines», exit 0."""
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"result": [
        {"ID": "7", "ENTITY_ID": "DEAL_STAGE_5", "STATUS_ID": "C5:NEW", "NAME": "Замір", "SORT": "10"},
        {"ID": "8", "ENTITY_ID": "DEAL_STAGE_5", "STATUS_ID": "C5:WON", "NAME": "Готово", "SORT": "60",
         "SEMANTICS": "S"}]}, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", str(path)])
    assert result.exit_code == 0, result.output
    assert 'pipeline "Воронка 5" {' in result.stdout and 'stage "Замір"' in result.stdout
    assert "the name of pipeline 5 (DEAL_STAGE_5) was not in the answers" in result.stdout


def test_pipelines_whose_stage_list_was_not_given_are_noted(tmp_path: Path) -> None:
    """Every Bitrix24 pipeline has stages (NEW, WON, LOSE at least): a category without
    any in the answers means crm.status.list for it was not given. The import wrote the
    pipelines empty and said nothing; now a note names the stage list to give."""
    path = tmp_path / "categories.json"
    path.write_text(json.dumps({"result": {"categories": [
        {"id": 0, "name": "Продажи", "sort": 10, "isDefault": "Y"},
        {"id": 3, "name": "Сервис", "sort": 20}]}}, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", str(path)])
    assert result.exit_code == 0, result.output
    assert ("pipeline «Продажи» has no stages in the answers: give crm.status.list for "
            "ENTITY_ID DEAL_STAGE") in result.stdout
    assert "pipeline «Сервис» has no stages in the answers: give crm.status.list for " \
        "ENTITY_ID DEAL_STAGE_3" in result.stdout


def test_import_says_every_name_and_colour_it_changes_or_cannot_hold(tmp_path: Path) -> None:
    """A stage name with spaces around it, a blank one, a second pipeline of the same
    name, a user field named like another, a COLOR that is no #rrggbb, and the names of
    each pipeline's WON and LOSE (the language has `won` and `lost`, no names): Bitrix24's
    import changed or dropped each without a word, where amoCRM's notes every one."""
    def stage(sid: str, entity: str, name: str, sort: int, sem: str | None = None,
              color: str = "#39A8EF") -> dict[str, object]:
        return {"ID": sid, "ENTITY_ID": entity, "STATUS_ID": sid, "NAME": name,
                "SORT": str(sort), "COLOR": color, "SEMANTICS": sem}
    files = {
        "categories": {"result": {"categories": [
            {"id": 0, "name": "Продажі «опт»", "sort": 100, "isDefault": "Y"},
            {"id": 5, "name": "Продажі «опт»", "sort": 150, "isDefault": "N"}]}},
        "stages": {"result": [
            stage("NEW", "DEAL_STAGE", "Нова", 10),
            stage("PREPARATION", "DEAL_STAGE", "  Підготовка  ", 20, color="#2fc6f6"),
            stage("X1", "DEAL_STAGE", "Замір", 30, color="blue"),
            stage("X2", "DEAL_STAGE", "", 40),
            stage("WON", "DEAL_STAGE", "Угоду виграно 🎉", 60, "S"),
            stage("LOSE", "DEAL_STAGE", "Угоду програно", 70, "F"),
            stage("C5:NEW", "DEAL_STAGE_5", "Старт", 10),
            stage("C5:WON", "DEAL_STAGE_5", "Угоду виграно 🎉", 60, "S"),
            stage("C5:LOSE", "DEAL_STAGE_5", "Ні", 70, "F")]},
        "fields": {"result": [
            {"ID": "1", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_1", "USER_TYPE_ID": "string",
             "EDIT_FORM_LABEL": "Джерело"},
            {"ID": "2", "ENTITY_ID": "CRM_CONTACT", "FIELD_NAME": "UF_CRM_2",
             "USER_TYPE_ID": "string", "EDIT_FORM_LABEL": "Джерело"}]}}
    for name, answer in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(answer, ensure_ascii=False),
                                               encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24",
                                      *(str(tmp_path / f"{name}.json") for name in files)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    model = load_text(text, "<back>", checks=False).model
    assert model is not None
    assert [(p.name.value, [s.name.value for s in p.stages]) for p in model.pipelines] == [
        ("Продажі «опт»", ["Нова", "Підготовка", "Замір", "Без названия"]),
        ("Продажі «опт» (2)", ["Старт"])]
    for note in ["pipeline «Продажі «опт»» is called «Продажі «опт» (2)» here",
                 "«Продажі «опт»»: stage «  Підготовка  » is called «Підготовка» here",
                 "«Продажі «опт»»: stage «» is called «Без названия» here",
                 "«Продажі «опт»»: stage «Замір»: colour 'blue' is no #rrggbb colour: left out",
                 "contact field «Джерело» is called «Джерело (contact)» here",
                 "won stage WON is «Угоду виграно 🎉» in every pipeline",
                 "lost stage LOSE is «Угоду програно» in «Продажі «опт»»",
                 "lost stage LOSE is «Ні» in «Продажі «опт» (2)»"]:
        assert f"# - {note}" in text, note

def test_import_from_the_documented_answers(tmp_path: Path) -> None:
    """The answers' examples of crm-category-list.md and crm-status-list.md."""
    cats = tmp_path / "categories.json"
    cats.write_text(json.dumps({"result": {"categories": [
        {"id": 9, "name": "Funnel with Original Name", "sort": 200, "entityTypeId": 2,
         "isDefault": "N", "originId": "", "originatorId": ""},
        {"id": 0, "name": "General", "sort": 300, "entityTypeId": 2, "isDefault": "Y"}]}}),
        encoding="utf-8")
    stages = tmp_path / "stages.json"
    stages.write_text(json.dumps({"result": [
        {"ID": "101", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": "New", "NAME_INIT": "New",
         "SORT": "10", "SYSTEM": "Y", "CATEGORY_ID": None, "COLOR": "#39A8EF", "SEMANTICS": None,
         "EXTRA": {"SEMANTICS": "process", "COLOR": "#39A8EF"}},
        {"ID": "111", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "WON", "NAME": "Deal won", "SORT": "60",
         "SYSTEM": "Y", "COLOR": "#7BD500", "SEMANTICS": "S", "EXTRA": {"SEMANTICS": "success"}},
        {"ID": "115", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "APOLOGY", "NAME": "Analyze failure",
         "SORT": "80", "SYSTEM": "N", "COLOR": "#FF5752", "SEMANTICS": "F",
         "EXTRA": {"SEMANTICS": "apology"}}]}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24", str(cats), str(stages)])
    assert result.exit_code == 0, result.output
    assert 'pipeline "General" main' in result.stdout
    assert 'stage "New"' in result.stdout
    assert "- Analyze failure" in result.stdout


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("kind", ["500-after", "500-before", "html", "cut", "503"])
def test_a_failure_at_any_request_leaves_a_state_the_next_run_completes(kind: str, funnel: Path) -> None:
    with running_fake_bitrix24() as clean:
        assert apply(clean, funnel, "--yes").exit_code == 0
        reference = portal(clean)
        total = len(clean.requests)
    for n in range(1, total + 1):
        with running_fake_bitrix24(fail_plan={n: kind}) as fake:
            first = apply(fake, funnel, "--yes")
            assert "Traceback" not in first.output
            assert fake.webhook not in first.output and fake.code not in first.output
            if first.exit_code != 0:
                assert first.exit_code in (1, 2), first.output
                assert "error:" in first.stderr
            second = apply(fake, funnel, "--yes")
            assert second.exit_code == 0, (n, kind, first.output, second.output)
            assert portal(fake) == reference, (n, kind)


def test_a_stopped_apply_says_what_was_and_was_not_applied(funnel: Path) -> None:
    with running_fake_bitrix24() as fake:
        fake.state.fields.clear()
        # Request 4 is the first write batch (after the three reads).
        fake.fail_plan = {4: "500-before"}
        result = apply(fake, funnel, "--yes")
        assert result.exit_code == 1, result.output
        assert "error: Bitrix24 `batch`" in result.stderr and "answered 500" in result.stderr
        assert "= note: not applied: ~ rename the default pipeline" in result.stderr
        assert "run apply again: it plans only what is still missing" in result.stderr


def test_rate_limit_is_backed_off_and_retried(funnel: Path) -> None:
    with running_fake_bitrix24(burst=2, drain_per_s=40) as fake:
        result = apply(fake, funnel, "--yes")
        assert result.exit_code == 0, result.output
        assert any(r.status == 503 for r in fake.requests)
        assert "retried)" in result.stdout and ", 0 retried" not in result.stdout


def test_an_html_page_in_place_of_the_answer_is_retried_then_located(funnel: Path) -> None:
    with running_fake_bitrix24(fail_plan={n: "html" for n in range(1, 6)}) as fake:
        result = apply(fake, funnel, "--yes")
        assert result.exit_code == 2, result.output
        assert "Bitrix24 `crm.category.list`" in result.stderr
        assert "an HTML page (text/html" in result.stderr and "gave up after 5 attempts" in result.stderr
        assert "nothing was changed" in result.stderr


def test_a_cut_off_answer_is_located(funnel: Path) -> None:
    with running_fake_bitrix24(fail_plan={1: "cut"}) as fake:
        result = apply(fake, funnel, "--yes")
        assert result.exit_code == 1, result.output
        assert "Bitrix24 `crm.category.list`" in result.stderr and "JSON cut off" in result.stderr
        assert "nothing was changed" in result.stderr


def test_wrong_types_in_an_answer_name_the_request_and_the_place(funnel: Path) -> None:
    with running_fake_bitrix24() as fake:
        fake.state.categories[0].name = 42  # type: ignore[assignment]
        result = apply(fake, funnel)
        assert result.exit_code == 1, result.output
        assert "Bitrix24 `crm.category.list`" in result.stderr
        assert "`result.categories[0].name` is a number, expected a string" in result.stderr


def test_a_name_bitrix24_cannot_hold_is_refused_before_any_request(b24: FakeBitrix24, tmp_path: Path) -> None:
    path = tmp_path / "long.funnel"
    path.write_text(FUNNEL.replace('pipeline "Сервис"', f'pipeline "{"С" * 300}"')
                    .replace('"Сервис"."Новый клиент"', f'"{"С" * 300}"."Новый клиент"'),
                    encoding="utf-8")
    result = apply(b24, path, "--yes")
    assert result.exit_code == 1, result.output
    assert "FN320" in result.output
    assert b24.requests == []


# ---------------------------------------------------------------- credentials

def test_the_webhook_secret_never_appears_in_any_output(b24: FakeBitrix24, funnel: Path, tmp_path: Path) -> None:
    outputs = [apply(b24, funnel), apply(b24, funnel, "--format", "json"),
               apply(b24, funnel, "--yes", "-v")]
    out = tmp_path / "plan.json"
    outputs.append(apply(b24, funnel, "--format", "json", "-o", str(out)))
    outputs.append(apply(b24, funnel, webhook=b24.webhook.replace(b24.code, b24.code[:-1] + "X")))
    for r in outputs:
        assert b24.code not in r.output
        assert b24.code[:-1] not in r.output
    assert b24.code not in out.read_text(encoding="utf-8")
    denied = outputs[-1]
    assert denied.exit_code == 2 and "BITRIX24_WEBHOOK" in denied.stderr


def test_credentials_from_a_file(b24: FakeBitrix24, funnel: Path, tmp_path: Path) -> None:
    secret = tmp_path / "webhook.txt"
    secret.write_text(b24.webhook + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["apply", str(funnel), "--to", "bitrix24", "--credentials-file",
                                      str(secret)], env={"BITRIX24_WEBHOOK": None})
    assert result.exit_code == 0, result.output
    assert b24.code not in result.output


def test_oauth_token_with_base_url(b24: FakeBitrix24, funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", str(funnel), "--to", "bitrix24", "--base-url",
                                      b24.base_url + "/rest"],
                                env={"BITRIX24_WEBHOOK": b24.oauth_token})
    assert result.exit_code == 0, result.output
    assert b24.oauth_token not in result.output


@pytest.mark.parametrize("webhook", ["http://example.com/rest/1/abcdefgh123/",
                                     "https://example.com/not-a-webhook"])
def test_plain_http_and_non_webhooks_are_refused(webhook: str, funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", str(funnel), "--to", "bitrix24"],
                                env={"BITRIX24_WEBHOOK": webhook})
    assert result.exit_code == 2, result.output
    assert "abcdefgh123" not in result.output


def test_missing_credential_is_a_usage_error(funnel: Path) -> None:
    result = CliRunner().invoke(cli, ["apply", str(funnel), "--to", "bitrix24"],
                                env={"BITRIX24_WEBHOOK": None})
    assert result.exit_code == 2
    assert "BITRIX24_WEBHOOK" in result.output


def test_the_export_bundle_sends_no_isdefault_for_deal_categories(tmp_path: Path) -> None:
    """crm-category-add.md: `isDefault` is not available for deals."""
    result = CliRunner().invoke(cli, ["export", str(PIPELINES / "saleschef.funnel"), "--to", "bitrix24"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    adds = [c for c in bundle["calls"] if c["method"] == "crm.category.add"]
    assert adds and all("isDefault" not in c["params"]["fields"] for c in adds)


def test_json_outputs_follow_the_published_schemas(b24: FakeBitrix24, funnel: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    env = {"BITRIX24_WEBHOOK": b24.webhook, "NO_COLOR": "1"}
    for argv, name in ((["apply", str(funnel), "--to", "bitrix24", "--format", "json"], "apply"),
                       (["apply", str(funnel), "--to", "bitrix24", "--yes", "--format", "json", "-q"],
                        "apply"),
                       (["import", "--from", "bitrix24", "--format", "json", "-q"], "import")):
        b24.reset_rate_window()
        result = CliRunner().invoke(cli, argv, env=env)
        assert result.exit_code == 0, result.output
        schema = json.loads(CliRunner().invoke(cli, ["schema", name]).stdout)
        data = json.loads(result.stdout)
        jsonschema.validate(data, schema)
    assert data["crm"] == "bitrix24" and data["pipelines"] == 2


def _label_per_language(**texts: str) -> dict[str, str]:
    """A label as crm.deal.userfield.get answers it (bitrix24/b24restdocs,
    api-reference/crm/deals/user-defined-fields/crm-deal-userfield-get.md): an object of
    every portal language, blank where none is written; Ukrainian is `ua`."""
    return {lang: texts.get(lang, "") for lang in (
        "ar", "br", "de", "en", "fr", "hi", "id", "in", "it", "ja", "kz", "la", "ms", "pl",
        "ru", "sc", "tc", "th", "tr", "ua", "vn")}


@pytest.mark.parametrize(("stages", "source", "note"), [
    (["Нова", "Замір"], "Джерело", "UF_CRM_2: «Budget» (en)"),
    (["Новая", "Замер"], "Источник", "UF_CRM_2: «Budget» (en)"),
    (["New", "Survey"], "Source", None),
], ids=["ua", "ru", "en"])
def test_field_labels_are_read_in_the_account_s_language(
        tmp_path: Path, stages: list[str], source: str, note: str | None) -> None:
    """A user field whose labels come per language (`{"en": "Source", "ru": "Источник",
    "ua": "Джерело", …}`) was named by its English label whatever the account's language
    («Source» in a Ukrainian account). The account's language is that of its stage names
    (crm.status.list answers in it); a field without a label in it is named in another and
    noted."""
    files = {
        "stages": {"result": [
            {"ID": str(k), "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": f"S{k}", "NAME": name,
             "SORT": str(10 * k + 10), "COLOR": "#39A8EF", "SEMANTICS": None}
            for k, name in enumerate(stages)]},
        "fields": {"result": [
            {"ID": "1", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_1",
             "USER_TYPE_ID": "string",
             "EDIT_FORM_LABEL": _label_per_language(en="Source", ru="Источник", ua="Джерело")},
            {"ID": "2", "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": "UF_CRM_2",
             "USER_TYPE_ID": "money", "EDIT_FORM_LABEL": _label_per_language(en="Budget")}]}}
    for name, answer in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(answer, ensure_ascii=False),
                                               encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", "--from", "bitrix24",
                                      *(str(tmp_path / f"{name}.json") for name in files)])
    assert result.exit_code == 0, result.output
    model = load_text(result.stdout, "<back>", checks=False).model
    assert model is not None
    assert [f.name.value for f in model.fields] == [source, "Budget"]
    text = " ".join(result.stdout.split("\n# "))
    if note is None:
        assert "fields without a label in the account's language" not in text
    else:
        assert ("fields without a label in the account's language") in text and note in text
