"""`funnelc import amocrm` on amoCRM's answers exactly as its documentation shows them.

Issue 13, part 6: the documented `GET /api/v4/leads/pipelines/{id}/statuses?with=descriptions`
answer was refused, because each description carries `created_at`, `updated_at`,
`created_by`, `updated_by` and `pipeline_id`. The fixtures in tests/data/amocrm/ are the
documentation's own example answers, one per endpoint (tests/data/amocrm/SOURCES.md names
the page and lines of each, and says which two are assembled and from what). Every one must
import under `--strict`, which refuses any key outside the documented answers; unknown keys
are otherwise warnings located by JSON path, and the import goes on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from funnelc.api import load_file
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "amocrm"
PIPELINES = str(DATA / "pipelines.json")
STATUSES = str(DATA / "statuses_with_descriptions.json")
PARKING = {"FN215", "FN216"}
"""What `check` says of every imported file by design: amoCRM keeps no routing."""

NEWBIE = 'Описание статуса "Первичный контакт" для новичка'


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})


def run_import(*args: str) -> Result:
    return run("import", "amocrm", *args)


def error_codes(path: Path) -> set[str]:
    """The codes of `funnelc check`'s errors on `path`, through the CLI."""
    res = run("check", str(path), "--format", "json")
    assert res.exit_code in (0, 1), res.output
    return {d["code"] for d in json.loads(res.stdout)["diagnostics"] if d["severity"] == "error"}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- the regression

def test_documented_statuses_answer_with_descriptions_imports(tmp_path: Path) -> None:
    """The exact input of the issue: the documented pipelines and statuses answers."""
    out = tmp_path / "account.funnel"
    result = run_import(PIPELINES, "--statuses", STATUSES, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "unknown key" not in result.stderr
    loaded = load_file(str(out))
    assert loaded.model is not None
    stages = {s.name.value: s for s in loaded.model.pipelines[0].stages}
    assert list(stages) == ["Первичный контакт", "Принимают решение"]
    hint = stages["Первичный контакт"].hint
    assert hint is not None and hint.value == NEWBIE
    assert stages["Принимают решение"].hint is None
    assert error_codes(out) == PARKING


# ---------------------------------------------------------------- every endpoint, --strict

ENDPOINTS = [
    ("pipelines.json", ()),
    ("pipeline_by_id.json", ()),
    ("statuses_with_descriptions.json", ("--statuses",)),
    ("status_by_id_with_descriptions.json", ("--statuses",)),
    ("leads_custom_fields.json", ("--fields",)),
    ("contacts_custom_field_by_id.json", ("--fields",)),
    ("catalog_custom_fields_edited.json", ("--fields",)),
    ("leads_custom_fields_every_type.json", ("--fields",)),
    ("loss_reasons.json", ("--loss-reasons",)),
    ("loss_reason_by_id.json", ("--loss-reasons",)),
]


@pytest.mark.parametrize(("name", "option"), ENDPOINTS, ids=[n for n, _ in ENDPOINTS])
def test_each_documented_answer_has_only_known_keys(name: str, option: tuple[str, ...],
                                                     tmp_path: Path) -> None:
    args = [str(DATA / name)] if not option else [PIPELINES, *option, str(DATA / name)]
    out = tmp_path / "out.funnel"
    result = run_import(*args, "--strict", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "unknown key" not in result.stderr
    assert "Traceback" not in result.output
    assert error_codes(out) <= PARKING


def test_pipeline_by_id_imports_as_the_list_does(tmp_path: Path) -> None:
    one = run_import(str(DATA / "pipeline_by_id.json"))
    many = run_import(PIPELINES)
    assert one.exit_code == many.exit_code == 0, one.output + many.output
    assert one.stdout == many.stdout


def test_whole_documented_account(tmp_path: Path) -> None:
    """Every documented answer together: stages, the hint, each field type, required
    fields on the stages they name, catalogs left out, loss reasons in the header."""
    out = tmp_path / "account.funnel"
    result = run_import(
        PIPELINES, "--statuses", STATUSES,
        "--fields", str(DATA / "leads_custom_fields_every_type.json"),
        "--fields", str(DATA / "leads_custom_fields.json"),
        "--fields", str(DATA / "contacts_custom_field_by_id.json"),
        "--fields", str(DATA / "catalog_custom_fields_edited.json"),
        "--loss-reasons", str(DATA / "loss_reasons.json"),
        "--strict", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "2 loss reasons" in result.stderr
    text = out.read_text(encoding="utf-8")
    loaded = load_file(str(out))
    assert loaded.model is not None
    kinds = {f.name.value: f.type.kind for f in loaded.model.fields}
    assert kinds == {
        "Комментарий": "text", "Количество": "number", "Согласовано": "bool",
        "Тип клиента": "enum", "Каналы": "multi", "Дата встречи": "date",
        "Сайт клиента": "url", "Созвон": "date", "Заметки": "text", "Срочность": "enum",
        "Короткий адрес": "text", "Адрес доставки": "text", "День рождения ЛПР": "date",
        "Реквизиты": "text", "utm_source": "text", "Товар": "text",
        "Бюджет клиента": "money", "Договор": "text", "Маржа": "number",
        "Пример текстового поля": "text", "Пример поля с типом 'data'": "date",
    }  # the predefined contact PHONE is required nowhere: left out, as every built-in
    values = {f.name.value: [v.value for v in f.type.values] for f in loaded.model.fields}
    assert values["Каналы"] == ["Сайт", "Звонок", "Почта"]
    assert values["Срочность"] == ["Срочно", "Не срочно"]
    requires = {s.name.value: [r.value for r in s.requires] for s in loaded.model.pipelines[0].stages}
    assert requires == {"Первичный контакт": ["Комментарий"],
                        "Принимают решение": ["Согласовано", "Тип клиента"]}
    assert "field «Новое имя для поля Категория» of catalogs left out" in text
    comment = text.split('\nfield "', 1)[0]
    assert comment.endswith("# - Пропала потребность\n# - Дорого\n")
    assert error_codes(out) == PARKING


def test_loss_reasons_in_json_output_follow_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = run_import(PIPELINES, "--loss-reasons", str(DATA / "loss_reasons.json"),
                        "--loss-reasons", str(DATA / "loss_reason_by_id.json"),
                        "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data["loss_reasons"] == ["Пропала потребность", "Дорого"]  # the same id once
    assert data["unknown_keys"] == []
    schema = json.loads(run("schema", "import").stdout)
    jsonschema.validate(data, schema)


def test_loss_reason_names_are_one_line_and_bad_ones_are_located(tmp_path: Path) -> None:
    answer = load("loss_reasons.json")
    answer["_embedded"]["loss_reasons"][1]["name"] = "Дорого\nдля клиента"
    good = run_import(PIPELINES, "--loss-reasons", write(tmp_path, "lr.json", answer))
    assert good.exit_code == 0, good.output
    assert "# - Дорого для клиента\n" in good.stdout
    answer["_embedded"]["loss_reasons"][1]["name"] = None
    out = tmp_path / "out.funnel"
    bad = run_import(PIPELINES, "--loss-reasons", write(tmp_path, "bad.json", answer),
                     "-o", str(out))
    assert bad.exit_code == 1
    assert "bad.json: _embedded.loss_reasons[1].name: expected a string, found null" in bad.stderr
    assert not out.exists()


# ---------------------------------------------------------------- unknown keys

def with_unknown_keys(tmp_path: Path) -> str:
    """The documented statuses answer plus a key amoCRM might add to every status and
    one inside a description."""
    answer = load("statuses_with_descriptions.json")
    for status in answer["_embedded"]["statuses"]:
        status["probability"] = 50
    answer["_embedded"]["statuses"][1]["descriptions"][2]["emoji"] = "🔥"
    return write(tmp_path, "statuses.json", answer)


def test_unknown_keys_are_located_warnings_by_default(tmp_path: Path) -> None:
    path = with_unknown_keys(tmp_path)
    out = tmp_path / "out.funnel"
    result = run_import(PIPELINES, "--statuses", path, "-o", str(out))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "unknown key" in line]
    assert warnings == [
        f"warning: {path}: _embedded.statuses[0].probability: unknown key, not in amoCRM's "
        "documented answer (and 4 more like it: _embedded.statuses[*].probability)",
        f"warning: {path}: _embedded.statuses[1].descriptions[2].emoji: unknown key, not in "
        "amoCRM's documented answer",
    ]
    assert "--strict refuses" in result.stderr
    loaded = load_file(str(out))
    assert loaded.model is not None
    hint = loaded.model.pipelines[0].stages[0].hint
    assert hint is not None and hint.value == NEWBIE


def test_unknown_keys_in_json_output(tmp_path: Path) -> None:
    path = with_unknown_keys(tmp_path)
    result = run_import(PIPELINES, "--statuses", path, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unknown_keys"] == [
        {"file": path, "path": "_embedded.statuses[0].probability",
         "pattern": "_embedded.statuses[*].probability", "count": 5},
        {"file": path, "path": "_embedded.statuses[1].descriptions[2].emoji",
         "pattern": "_embedded.statuses[*].descriptions[*].emoji", "count": 1},
    ]
    assert any("probability: unknown key" in w for w in data["warnings"])


def test_strict_refuses_unknown_keys_and_writes_nothing(tmp_path: Path) -> None:
    path = with_unknown_keys(tmp_path)
    out = tmp_path / "kept.funnel"
    out.write_text("# mine\n", encoding="utf-8")
    result = run_import(PIPELINES, "--statuses", path, "--strict", "-o", str(out))
    assert result.exit_code == 1, result.output
    assert (f"error: {path}: _embedded.statuses[0].probability: unknown key, not in "
            "amoCRM's documented answer (and 4 more like it") in result.stderr
    assert f"error: {path}: _embedded.statuses[1].descriptions[2].emoji" in result.stderr
    assert "without --strict they are warnings" in result.stderr
    assert "Traceback" not in result.output
    assert out.read_text(encoding="utf-8") == "# mine\n"


def test_ignore_unknown_keys_still_works_silences_and_is_deprecated(tmp_path: Path) -> None:
    path = with_unknown_keys(tmp_path)
    result = run_import(PIPELINES, "--statuses", path, "--ignore-unknown-keys", "-q")
    assert result.exit_code == 0, result.output
    assert "unknown key," not in result.stderr
    assert "`--ignore-unknown-keys` is deprecated" in result.stderr
    assert "--ignore-unknown-keys" not in run("import", "--help").stdout  # hidden, as deprecated options are


def test_strict_and_ignore_unknown_keys_together_is_a_usage_error(tmp_path: Path) -> None:
    result = run_import(PIPELINES, "--strict", "--ignore-unknown-keys")
    assert result.exit_code == 2
    assert "--strict refuses unknown keys and --ignore-unknown-keys silences them" in result.output


def test_counts_agree_with_their_nouns() -> None:
    """The status lines said `1 pipeline(s), 2 stage(s)`; `numfmt.counted` agrees."""
    from funnelc.numfmt import counted

    assert [counted(1, "pipeline"), counted(2, "stage"), counted(1250, "field"),
            counted(0, "loss reason")] == ["1 pipeline", "2 stages", "1,250 fields",
                                           "0 loss reasons"]
