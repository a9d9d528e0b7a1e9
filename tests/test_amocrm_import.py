"""`funnelc import amocrm`: amoCRM's GET answers back into funnel text.

The round trip is the real test: export a funnel, apply it to the loopback fake, save
the fake's answers to GET pipelines / statuses?with=descriptions / custom_fields as a
consultant would, import them, and compare pipelines, stages, colours, hints and
required fields with what the file said. Bad input (not amoCRM's shape, truncated, over
50 MB, unknown keys) must name the place inside the JSON, exit 1 and write nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from conftest import PIPELINES
from funnelc.api import load_file, load_text
from funnelc.cli import cli
from funnelc.export import amocrm_client
from funnelc.export.amocrm import build_bundle
from funnelc.fmt import format_text
from funnelc.model import FunnelFile
from test_amocrm_export import validate

try:  # works whether or not tests/ ever becomes a package
    from tests.fakes.amocrm_server import FakeAmo, running_fake_amocrm
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest set sys.path
    from fakes.amocrm_server import FakeAmo, running_fake_amocrm  # type: ignore[no-redef]

TOKEN = "tok-import-tests"

FUNNEL = """\
account "Тест" {
  currency RUB
}
field "Бюджет" money
field "Тип" enum("B2B", "B2C", "Госзаказ")
field "Каналы" multi("Сайт", "Звонок")
field "Телефон" phone on contact
field "ИНН" text on company
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main {
  stage "Заявка" {
    hint "Позвонить за 15 минут, уточнить \\"габариты\\""
    color "#ffdc7f"
    -> "КП" 50%
    -> lost "Нецелевой" 50%
  }
  stage "КП" key {
    requires "Бюджет", "Телефон", "Тип"
    -> "Договор" 40%
    -> lost "Дорого" 60%
  }
  stage "Договор" {
    requires "ИНН", "Каналы"
    hint "Проверить реквизиты"
    -> won then copy "Сервис"."Новый клиент"
  }
}
pipeline "Сервис" {
  stage "Новый клиент" {
    requires "Тип"
    -> won
  }
}
"""


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(amocrm_client, "BACKOFF_BASE_S", 0.01)
    # The fake here has no rate limit and reading is what is tested, not pacing
    # (tests/test_amocrm_apply.py holds the limiter to amoCRM's 7 per second).
    monkeypatch.setattr(amocrm_client, "MAX_REQUESTS_PER_S", 10_000)


@pytest.fixture
def amo() -> Iterator[FakeAmo]:
    with running_fake_amocrm(token=TOKEN, rate_limit_per_s=None) as fake:
        yield fake


def save_answers(amo: FakeAmo, folder: Path) -> list[str]:
    """What a consultant saves with curl: the CLI arguments for `funnelc import amocrm`."""
    folder.mkdir(parents=True, exist_ok=True)
    args = [str(folder / "pipelines.json")]
    with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers) as http:
        pipelines = http.get("/api/v4/leads/pipelines").json()
        (folder / "pipelines.json").write_text(json.dumps(pipelines, ensure_ascii=False), encoding="utf-8")
        for entity in ("leads", "contacts", "companies"):
            path = folder / f"{entity}.json"
            path.write_text(http.get(f"/api/v4/{entity}/custom_fields").text, encoding="utf-8")
            args += ["--fields", str(path)]
        for p in pipelines["_embedded"]["pipelines"]:
            path = folder / f"statuses-{p['id']}.json"
            answer = http.get(f"/api/v4/leads/pipelines/{p['id']}/statuses", params={"with": "descriptions"})
            path.write_text(answer.text, encoding="utf-8")
            args += ["--statuses", str(path)]
    return args


def run_import(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", "amocrm", *args], env={"NO_COLOR": "1"})


def apply_text(amo: FakeAmo, text: str, tmp_path: Path) -> None:
    path = tmp_path / "source.funnel"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["apply", "amocrm", str(path), "--base-url", amo.base_url, "--yes"],
                                env={"AMOCRM_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output


def shape(funnel: FunnelFile, colours: dict[tuple[str, str], str]) -> dict[str, Any]:
    """What must survive the round trip, per pipeline and stage."""
    out: dict[str, Any] = {}
    for pipe in funnel.pipelines:
        out[pipe.name.value] = {
            "main": pipe.main,
            "stages": [(s.name.value, colours.get((pipe.name.value, s.name.value))
                        or (s.color.value if s.color else None),
                        s.hint.value if s.hint else None,
                        sorted(r.value for r in s.requires)) for s in pipe.stages],
        }
    return out


def fields_of(funnel: FunnelFile) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {f.name.value: (f.entity.value, tuple(v.value for v in f.type.values)) for f in funnel.fields}


def round_trip(amo: FakeAmo, text: str, tmp_path: Path) -> tuple[FunnelFile, FunnelFile, str]:
    original = load_text(text, "source.funnel")
    assert original.ok and original.model is not None
    apply_text(amo, text, tmp_path)
    out = tmp_path / "imported.funnel"
    result = run_import(*save_answers(amo, tmp_path / "answers"), "-o", str(out))
    assert result.exit_code == 0, result.output
    imported = load_file(out)
    assert imported.model is not None
    return original.model, imported.model, out.read_text(encoding="utf-8")


def bundle_colours(funnel: FunnelFile) -> dict[tuple[str, str], str]:
    bundle, _ = build_bundle(funnel)
    validate(bundle)
    return {(p["name"], s["name"]): s["color"] for p in bundle["pipelines"]
            for s in p["_embedded"]["statuses"] if "color" in s}


# ---------------------------------------------------------------- round trip

def test_round_trip_keeps_pipelines_stages_colours_hints_and_required_fields(amo: FakeAmo, tmp_path: Path) -> None:
    original, imported, text = round_trip(amo, FUNNEL, tmp_path)
    colours = bundle_colours(original)
    want = shape(original, colours)
    got = shape(imported, {})
    assert {k: got[k] for k in want} == want
    assert list(got) == ["Воронка", "Продажи", "Сервис"]  # the fake account's own pipeline too
    assert not got["Воронка"]["main"]
    assert fields_of(imported) == fields_of(original)
    assert [f.type.kind for f in imported.fields] == ["number", "enum", "multi", "phone", "text"]
    assert "# Imported from amoCRM" in text


def test_imported_file_has_only_the_honest_findings(amo: FakeAmo, tmp_path: Path) -> None:
    _, _, text = round_trip(amo, FUNNEL, tmp_path)
    loaded = load_text(text, "imported.funnel")
    assert loaded.model is not None
    assert {d.code for d in loaded.errors} <= {"FN215", "FN216"}
    assert {d.code for d in loaded.errors} == {"FN215", "FN216"}
    assert all(not s.outcomes and s.stay is None for p in loaded.model.pipelines for s in p.stages)


def test_imported_text_is_already_canonical(amo: FakeAmo, tmp_path: Path) -> None:
    _, _, text = round_trip(amo, FUNNEL, tmp_path)
    assert format_text(text, "imported.funnel") == text


@pytest.mark.parametrize("path", sorted(PIPELINES.glob("*.funnel")), ids=lambda p: p.stem)
def test_round_trip_of_every_example_amocrm_can_hold(path: Path, amo: FakeAmo, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    loaded = load_text(text, str(path))
    if not loaded.ok or build_bundle(loaded.model)[1]:
        pytest.skip("amoCRM cannot hold this example (see its golden .err)")
    original, imported, _ = round_trip(amo, text, tmp_path)
    want = shape(original, bundle_colours(original))
    got = shape(imported, {})
    assert {k: got[k] for k in want} == want
    bundle, _ = build_bundle(original)
    made = {b["name"] for e in ("leads", "contacts", "companies") for b in bundle["custom_fields"][e]}
    required = {r["field"] for r in bundle["required_statuses"]}
    assert made | required <= set(fields_of(imported))


# ---------------------------------------------------------------- mapping details

def answer(pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"_total_items": len(pipelines), "_links": {"self": {"href": "https://x.amocrm.ru/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": pipelines}}


def status(sid: int, name: str, sort: int, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "name": name, "sort": sort, "is_editable": True, "pipeline_id": 1,
            "color": "#99ccff", "type": 0, "account_id": 9, **extra}


def pipeline(pid: int, name: str, statuses: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    system = [{"id": 10 + pid, "name": "Неразобранное", "sort": 10, "type": 1, "color": "#c1c1c1"},
              {"id": 142, "name": "Успешно реализовано", "sort": 10000, "type": 0, "color": "#CCFF66"},
              {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000, "type": 0, "color": "#D5D8DB"}]
    return {"id": pid, "name": name, "sort": pid, "is_main": pid == 1, "is_unsorted_on": True,
            "is_archive": False, "account_id": 9, "_embedded": {"statuses": system + statuses}, **extra}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_order_duplicates_line_breaks_and_archived_pipelines(tmp_path: Path) -> None:
    data = answer([
        pipeline(2, "Вторая", [status(21, "Б", 30), status(22, "А", 20), status(23, "А", 40)]),
        pipeline(1, "Первая", [status(11, "Новый\nзапрос", 20,
                                      descriptions=[
                                          {"id": 1, "level": "master", "description": "для мастеров"},
                                          {"id": 2, "level": "newbie",
                                           "description": "строка 1\nстрока 2"}])]),
        pipeline(3, "Архив", [status(31, "X", 20)], is_archive=True),
    ])
    result = run_import(write(tmp_path, "p.json", data))
    assert result.exit_code == 0, result.output
    loaded = load_text(result.stdout, "i.funnel")
    assert loaded.model is not None
    assert [p.name.value for p in loaded.model.pipelines] == ["Первая", "Вторая"]
    assert loaded.model.pipelines[0].main
    assert [s.name.value for s in loaded.model.pipelines[1].stages] == ["А", "Б", "А (2)"]
    first = loaded.model.pipelines[0].stages[0]
    assert first.name.value == "Новый запрос" and first.hint is not None
    assert first.hint.value == "строка 1 строка 2"
    assert "archived pipelines left out: «Архив»" in result.stdout
    assert "descriptions for master left out" in result.stdout


def test_invisible_characters_are_those_check_refuses(tmp_path: Path) -> None:
    """The importer strips exactly what `check` calls invisible (funnelc.names): the
    Hangul filler and the combining grapheme joiner are letters to `unicodedata` but
    draw nothing, and were kept (FN234 blank, FN235 invisible); a name of a variation
    selector alone is blank too; a lone surrogate (JSON `\\ud800`) cannot be written."""
    names = {21: "Заявка\u200b", 22: "\u3164", 23: "Сч\u034fет", 24: "X\x1b[31mY",
             25: "Q\u202eR", 26: "Tab\tName", 27: "\ufe0f", 28: "Лид\ud800",
             29: "\U0001f525 Горячий\ufe0f"}
    data = answer([pipeline(1, "Воронка\u2028продаж", [status(k, v, 10 * k)
                                                      for k, v in names.items()])])
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # ASCII escapes: \ud800 survives
    out = tmp_path / "out.funnel"
    result = run_import(str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    loaded = load_file(str(out))
    assert loaded.model is not None
    errors = [f"{d.code} {d.message}" for d in loaded.diagnostics
              if d.severity.value == "error" and d.code not in ("FN215", "FN216")]
    assert errors == []
    pipe = loaded.model.pipelines[0]
    assert pipe.name.value == "Воронка продаж"
    assert [st.name.value for st in pipe.stages] == [
        "Заявка", "Без названия", "Счет", "X[31mY", "QR", "Tab Name", "Без названия (2)",
        "Лид", "\U0001f525 Горячий\ufe0f"]


def fields_answer(entity: str | None, fields: list[dict[str, Any]], href_entity: str | None = None) -> dict[str, Any]:
    items = []
    for f in fields:
        item = {"account_id": 9, "sort": 500, "is_api_only": False, "group_id": None,
                "required_statuses": [], "is_deletable": True, "is_predefined": False, **f}
        if entity is not None:
            item["entity_type"] = entity
        items.append(item)
    links = {"self": {"href": f"https://x.amocrm.ru/api/v4/{href_entity}/custom_fields?page=1"}} if href_entity else {}
    return {"_total_items": len(items), "_page": 1, "_links": links, "_embedded": {"custom_fields": items}}


def test_field_types_entities_and_builtin_fields(tmp_path: Path) -> None:
    pipes = write(tmp_path, "p.json", answer([pipeline(1, "П", [status(11, "Этап", 20)])]))
    leads = write(tmp_path, "l.json", fields_answer("leads", [
        {"id": 1, "name": "Сумма", "type": "monetary", "currency": "RUB"},
        {"id": 2, "name": "Когда", "type": "date_time"},
        {"id": 3, "name": "Адрес", "type": "smart_address"},
        {"id": 4, "name": "Выбор", "type": "radiobutton", "enums": [{"id": 1, "value": "да", "sort": 2},
                                                                    {"id": 2, "value": "нет", "sort": 1}]},
        {"id": 5, "name": "Пусто", "type": "select", "enums": []},
        {"id": 6, "name": "Дубль", "type": "text", "required_statuses": [{"pipeline_id": 1, "status_id": 142}]},
    ]))
    contacts = write(tmp_path, "c.json", fields_answer(None, [
        {"id": 7, "name": "Телефон", "type": "multitext", "code": "PHONE", "is_predefined": True,
         "is_deletable": False, "enums": [{"id": 3, "value": "WORK", "sort": 2}],
         "required_statuses": [{"pipeline_id": 1, "status_id": 11}]},
        {"id": 8, "name": "Email", "type": "multitext", "code": "EMAIL", "is_predefined": True,
         "is_deletable": False, "enums": [{"id": 4, "value": "WORK", "sort": 2}]},
        {"id": 9, "name": "Дубль", "type": "text"},
    ], href_entity="contacts"))
    result = run_import(pipes, "--fields", leads, "--fields", contacts)
    assert result.exit_code == 0, result.output
    loaded = load_text(result.stdout, "i.funnel")
    assert loaded.model is not None
    got = {f.name.value: (f.type.kind, f.entity.value, tuple(v.value for v in f.type.values))
           for f in loaded.model.fields}
    assert got == {
        "Сумма": ("money", "deal", ()), "Когда": ("date", "deal", ()), "Адрес": ("text", "deal", ()),
        "Выбор": ("enum", "deal", ("нет", "да")), "Пусто": ("text", "deal", ()),
        "Дубль": ("text", "deal", ()), "Телефон": ("phone", "contact", ()),
        "Дубль (contact)": ("text", "contact", ()),
    }  # Email is built in and required nowhere: left out
    assert [r.value for r in loaded.model.pipelines[0].stages[0].requires] == ["Телефон"]
    assert "field «Дубль» is required to close as won" in result.stdout


# ---------------------------------------------------------------- bad input

def test_not_amocrm_shape_names_the_place(tmp_path: Path) -> None:
    cases = {
        "array.json": ([1, 2], "the top level: expected an object (amoCRM's answer to "
                               "GET /api/v4/leads/pipelines), found an array"),
        "no_embedded.json": ({"pipelines": []}, "_embedded: missing: amoCRM's answer keeps its "
                                                 "pipelines under `_embedded.pipelines`"),
        "no_list.json": ({"_embedded": {}}, "_embedded.pipelines: missing"),
        "colour.json": (answer([pipeline(1, "A", [status(11, "a", 20)]), pipeline(2, "B", [status(21, "b", 20)]),
                                pipeline(3, "C", [status(31, "c", 20, color=7)])]),
                        "_embedded.pipelines[2]._embedded.statuses[3].color: expected a string, found an integer"),
        "name.json": (answer([pipeline(1, "A", [status(11, None, 20)])]),
                      "_embedded.pipelines[0]._embedded.statuses[3].name: expected a string, found null"),
    }
    for name, (data, message) in cases.items():
        out = tmp_path / f"{name}.funnel"
        result = run_import(write(tmp_path, name, data), "-o", str(out))
        assert result.exit_code == 1, (name, result.output)
        assert message in result.stderr, (name, result.stderr)
        assert not out.exists()


def test_unknown_keys_warn_by_default_refuse_with_strict_and_hide_on_request(tmp_path: Path) -> None:
    """Issue 13: a key amoCRM adds must not stop an import; `--strict` restores the refusal."""
    path = write(tmp_path, "p.json", answer([pipeline(1, "A", [status(11, "a", 20, probability=50)])]))
    place = "_embedded.pipelines[0]._embedded.statuses[3].probability: unknown key"
    warned = run_import(path)
    assert warned.exit_code == 0, warned.output
    assert f"warning: {path}: {place}" in warned.stderr
    out = tmp_path / "strict.funnel"
    refused = run_import(path, "--strict", "-o", str(out))
    assert refused.exit_code == 1
    assert f"error: {path}: {place}" in refused.stderr
    assert not out.exists()
    silenced = run_import(path, "--ignore-unknown-keys")
    assert silenced.exit_code == 0, silenced.output
    assert place not in silenced.stderr and "deprecated" in silenced.stderr


def test_truncated_json(tmp_path: Path) -> None:
    full = json.dumps(answer([pipeline(1, "A", [status(11, "a", 20)])]))
    path = tmp_path / "cut.json"
    path.write_text(full[: len(full) // 2], encoding="utf-8")
    result = run_import(str(path))
    assert result.exit_code == 1
    assert "not valid JSON" in result.stderr and "cut off" in result.stderr


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:
        fh.truncate(51 * 1024 * 1024)  # sparse: costs no disk
    result = run_import(str(path))
    assert result.exit_code == 1
    assert "over the 50 MB limit" in result.stderr


def test_not_utf8_and_empty_and_missing(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"name": "Воронка"}'.encode("cp1251"))
    empty = tmp_path / "empty.json"
    empty.write_text("  \n", encoding="utf-8")
    for path, message, code in ((bad, "is not UTF-8", 1), (empty, "is empty", 1),
                                (tmp_path / "nope.json", "no such file", 2),
                                (tmp_path, "is a directory", 2)):
        # A file that cannot be read at all is an I/O failure (2), as `check` and
        # `history` say it; a file read but wrong is a problem in the input (1).
        result = run_import(str(path))
        assert result.exit_code == code, (path, result.output)
        assert message in result.stderr


def test_fields_without_an_entity_are_refused(tmp_path: Path) -> None:
    pipes = write(tmp_path, "p.json", answer([pipeline(1, "П", [status(11, "Этап", 20)])]))
    fields = write(tmp_path, "f.json", fields_answer(None, [{"id": 1, "name": "X", "type": "text"}]))
    result = run_import(pipes, "--fields", fields)
    assert result.exit_code == 1
    assert "_embedded.custom_fields[0].entity_type: missing" in result.stderr


def test_an_existing_output_is_untouched_on_error(tmp_path: Path) -> None:
    out = tmp_path / "kept.funnel"
    out.write_text("# mine\n", encoding="utf-8")
    result = run_import(write(tmp_path, "bad.json", {"_embedded": {"pipelines": [{"id": "x"}]}}), "-o", str(out))
    assert result.exit_code == 1
    assert "_embedded.pipelines[0]" in result.stderr
    assert out.read_text(encoding="utf-8") == "# mine\n"


def test_an_empty_list_answer_saved_by_curl_is_an_empty_list(amo: FakeAmo, tmp_path: Path) -> None:
    """amoCRM answers a list with nothing in it (no loss reasons, no company fields) with
    204 No Content, and `curl -o` saves that as an empty file: it is an empty list for
    --fields, --statuses and --loss-reasons, not "is empty", exit 1. PIPELINES.json is
    never empty (every account has a pipeline), so an empty one is still refused."""
    saved = tmp_path / "loss_reasons.json"
    with httpx.Client(base_url=amo.base_url, headers=amo.auth_headers) as http:
        answer = http.get("/api/v4/leads/loss_reasons")
        assert answer.status_code == 204 and answer.content == b""
        saved.write_bytes(answer.content)
    args = save_answers(amo, tmp_path / "answers")
    empty_fields = tmp_path / "companies.json"
    empty_fields.write_bytes(b"")
    result = run_import(*args, "--fields", str(empty_fields), "--loss-reasons", str(saved))
    assert result.exit_code == 0, result.output
    assert 'pipeline "Воронка" main' in result.stdout
    assert "0 loss reasons" in result.stderr
    result = run_import(str(saved))
    assert result.exit_code == 1 and "is empty" in result.stderr
