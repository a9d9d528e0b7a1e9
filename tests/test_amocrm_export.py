"""`funnelc export --to amocrm`: the bundle's shape (validated against the JSON Schema
written from the documented contract), golden bundles for every example, and amoCRM's
limits reported as FN301-FN305 diagnostics pointing at the source.

Regenerate the goldens after an intended change with
`FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_amocrm_export.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import CASES, PIPELINES, ROOT
from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.diagnostics import Diagnostic, SourceText, render_text
from funnelc.export.amocrm import build_bundle
from funnelc.export.amocrm_palette import GRADIENT, KEY_STAGE_COLOR, PALETTE, nearest

GOLDEN = CASES / "export" / "amocrm"
UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"
SCHEMA = json.loads((ROOT / "src" / "funnelc" / "export" / "schemas" / "amocrm.schema.json")
                    .read_text(encoding="utf-8"))
EXAMPLES = sorted(PIPELINES.glob("*.funnel"))


def validate(bundle: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(bundle)


def export(text: str, path: str = "t.funnel") -> tuple[dict, list[Diagnostic]]:
    loaded = load_text(text, path)
    assert loaded.model is not None
    assert loaded.ok, render_text(loaded.errors, {path: SourceText(path, text)})
    bundle, diags = build_bundle(loaded.model)
    validate(bundle)
    return bundle, diags


def codes(diags: list[Diagnostic]) -> list[str]:
    return [d.code for d in diags]


def stages(names: list[str], last: str = "-> won") -> str:
    """Stages chained one after another so the file passes `check`."""
    out = []
    for i, name in enumerate(names):
        target = f'-> "{names[i + 1]}"' if i + 1 < len(names) else last
        out.append(f'  stage "{name}" {{ {target} }}')
    return "\n".join(out)


def account(pipelines: str, head: str = "") -> str:
    return f'account "A" {{ currency RUB }}\n{head}\n{pipelines}\n'


def one_pipeline(body: str, head: str = "", first: str = "Заявка") -> str:
    return account(f'pipeline "Продажи" main {{\n{body}\n}}',
                   head + f'\nsource "Сайт" 1/day -> "Продажи"."{first}"')


# ---------------------------------------------------------------- goldens for the examples

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_bundles_match_golden(path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", str(path.relative_to(ROOT)), "--to", "amocrm"],
                                env={"NO_COLOR": "1"})
    if result.exit_code == 0:
        actual, golden = result.stdout, GOLDEN / f"{path.stem}.json"
        validate(json.loads(actual))
    else:
        # An example amoCRM cannot hold: the golden is the diagnostics, and nothing is printed.
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        actual, golden = result.stderr, GOLDEN / f"{path.stem}.err"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        for stale in GOLDEN.glob(f"{path.stem}.*"):
            stale.unlink()
        golden.write_text(actual, encoding="utf-8")
    assert golden.exists(), f"no golden {golden.name}: run with FUNNELC_UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8")


def test_every_golden_belongs_to_an_example() -> None:
    stems = {p.stem for p in EXAMPLES}
    assert {p.stem for p in GOLDEN.glob("*.*")} <= stems


def test_export_writes_the_file_atomically_and_nothing_on_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.funnel"
    good.write_text(one_pipeline(stages(["Заявка", "КП"])), encoding="utf-8")
    out = tmp_path / "amocrm.json"
    result = CliRunner().invoke(cli, ["export", str(good), "--to", "amocrm", "-o", str(out)])
    assert result.exit_code == 0, result.output
    validate(json.loads(out.read_text(encoding="utf-8")))
    bad = tmp_path / "bad.funnel"
    bad.write_text(one_pipeline('  stage "Заявка" { color "#123456"\n -> won }'), encoding="utf-8")
    out2 = tmp_path / "bad.json"
    result = CliRunner().invoke(cli, ["export", str(bad), "--to", "amocrm", "-o", str(out2)],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert "error[FN303]" in result.output
    assert not out2.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".funnelc-")] == []


# ---------------------------------------------------------------- bundle contents

def test_pipeline_body_follows_the_contract() -> None:
    text = one_pipeline(
        '  stage "Заявка" {\n    hint "Позвонить за 15 минут"\n    color "#FFFEB2"\n'
        '    -> "КП" 50%\n    -> lost "Нецелевой" 50%\n  }\n'
        '  stage "КП" key { -> won 30%\n -> lost "Дорого" 70% }')
    text += 'pipeline "Дожим" { stage "Ждём" { -> won } }\n'
    text += 'source "Звонок" 1/day -> "Дожим"."Ждём"\n'
    bundle, diags = export(text)
    assert diags == []
    main, other = bundle["pipelines"]
    assert (main["name"], main["sort"], main["is_main"], main["is_unsorted_on"]) == ("Продажи", 10, True, True)
    assert (other["sort"], other["is_main"]) == (20, False)
    first, second = main["_embedded"]["statuses"]
    assert first == {"name": "Заявка", "sort": 10, "color": "#fffeb2",
                     "descriptions": [{"level": "newbie", "description": "Позвонить за 15 минут"}]}
    assert second["color"] == KEY_STAGE_COLOR and second["sort"] == 20
    assert bundle["auto_colors"] == [{"pipeline": "Продажи", "status": "КП"},
                                     {"pipeline": "Дожим", "status": "Ждём"}]
    assert bundle["loss_reasons"] == ["Нецелевой", "Дорого"]


def test_unsorted_inbox_only_where_a_source_enters() -> None:
    text = one_pipeline(stages(["Заявка"], last='-> won then copy "Сервис"."Новый"'))
    text += 'pipeline "Сервис" { stage "Новый" { -> won } }\n'
    bundle, _ = export(text)
    assert [p["is_unsorted_on"] for p in bundle["pipelines"]] == [True, False]


def test_auto_colours_span_the_gradient_and_are_deterministic() -> None:
    names = [f"Этап {i}" for i in range(1, 6)]
    bundle, _ = export(one_pipeline(stages(names), first="Этап 1"))
    colours = [s["color"] for s in bundle["pipelines"][0]["_embedded"]["statuses"]]
    assert colours[0] == GRADIENT[0] and colours[-1] == GRADIENT[-1]
    assert len(set(colours)) == 5
    assert all(c in PALETTE for c in colours)
    assert export(one_pipeline(stages(names), first="Этап 1"))[0] == bundle


def test_system_statuses_are_named_only_through_the_account_language() -> None:
    body = stages(["Заявка"])
    plain, _ = export(one_pipeline(body))
    assert all("id" not in s for s in plain["pipelines"][0]["_embedded"]["statuses"])
    english, _ = export(one_pipeline(body).replace("currency RUB", "currency USD\n language en"))
    assert english["pipelines"][0]["_embedded"]["statuses"][:2] == [
        {"id": 142, "name": "Closed - won"}, {"id": 143, "name": "Closed - lost"}]


def test_fields_are_mapped_to_amocrm_types() -> None:
    head = "\n".join([
        'field "Комментарий" text', 'field "Площадь" number', 'field "Оценка" int(1..10)',
        'field "Бюджет" money', 'field "Дата" date', 'field "Тел. сделки" phone',
        'field "Почта" email on contact', 'field "Телефон" phone on contact',
        'field "Второй телефон" phone on contact', 'field "Сайт" url on company',
        'field "НДС" bool', 'field "Тип" enum("B2B", "B2C")', 'field "Каналы" multi("a", "b")',
    ])
    bundle, _ = export(one_pipeline(stages(["Заявка"]), head))
    leads = {f["name"]: f for f in bundle["custom_fields"]["leads"]}
    assert {n: f["type"] for n, f in leads.items()} == {
        "Комментарий": "text", "Площадь": "numeric", "Оценка": "numeric", "Бюджет": "numeric",
        "Дата": "date", "Тел. сделки": "text", "НДС": "checkbox", "Тип": "select",
        "Каналы": "multiselect"}
    assert leads["Тип"]["enums"] == [{"value": "B2B", "sort": 1}, {"value": "B2C", "sort": 2}]
    assert bundle["custom_fields"]["contacts"] == [{"name": "Второй телефон", "type": "text"}]
    assert bundle["custom_fields"]["companies"] == [{"name": "Сайт", "type": "url"}]
    assert bundle["builtin_fields"] == [
        {"entity": "contacts", "code": "EMAIL", "field": "Почта"},
        {"entity": "contacts", "code": "PHONE", "field": "Телефон"}]
    notes = "\n".join(bundle["notes"])
    assert "Super-fields" in notes and "1..10" in notes and "built-in PHONE" in notes


def test_required_statuses_by_name_across_pipelines() -> None:
    head = 'field "Бюджет" money\nfield "Телефон" phone on contact'
    text = one_pipeline('  stage "Заявка" { requires "Телефон"\n -> "КП" }\n'
                        '  stage "КП" { requires "Бюджет", "Телефон"\n -> won then copy "Сервис"."Новый" }', head)
    text += 'pipeline "Сервис" { stage "Новый" { requires "Бюджет"\n -> won } }\n'
    bundle, _ = export(text)
    assert bundle["required_statuses"] == [
        {"entity": "leads", "field": "Бюджет", "statuses": [
            {"pipeline": "Продажи", "status": "КП"}, {"pipeline": "Сервис", "status": "Новый"}]},
        {"entity": "contacts", "field": "Телефон", "code": "PHONE", "statuses": [
            {"pipeline": "Продажи", "status": "Заявка"}, {"pipeline": "Продажи", "status": "КП"}]},
    ]


# ---------------------------------------------------------------- limits

def test_51_pipelines_is_fn301_on_the_51st() -> None:
    pipes = [f'pipeline "В{i}" {{ stage "Э" {{ -> won }} }}' for i in range(1, 52)]
    sources = [f'source "И{i}" 1/day -> "В{i}"."Э"' for i in range(1, 52)]
    text = account("\n".join(pipes), "\n".join(sources))
    diags, _ = export_unchecked(text)
    assert codes(diags) == ["FN301"]
    assert diags[0].span is not None and diags[0].span.line == text.splitlines().index(pipes[50]) + 1
    assert list(diags[0].notes) == ["1 pipeline too many"]  # it said «1 pipeline(s) too many»
    fifty, _ = export_unchecked(account("\n".join(pipes[:50]), "\n".join(sources[:50])))
    assert fifty == []


def export_unchecked(text: str) -> tuple[list[Diagnostic], dict]:
    loaded = load_text(text, "t.funnel")
    assert loaded.ok and loaded.model is not None
    bundle, diags = build_bundle(loaded.model)
    return diags, bundle


def test_98_stages_is_fn302_97_fit() -> None:
    names = [f"Этап {i}" for i in range(1, 99)]
    diags, _ = export_unchecked(one_pipeline(stages(names), first="Этап 1"))
    assert codes(diags) == ["FN302"]
    assert "97" in diags[0].message and diags[0].secondary[0].message.startswith("stage 98")
    diags, bundle = export_unchecked(one_pipeline(stages(names[:97]), first="Этап 1"))
    assert diags == []
    validate(bundle)


def test_colour_outside_the_palette_is_fn303_with_the_nearest_colour() -> None:
    text = one_pipeline('  stage "Заявка" {\n    color "#fff3b0"\n    -> won\n  }')
    diags, _ = export_unchecked(text)
    assert codes(diags) == ["FN303"]
    d = diags[0]
    color_line = text.splitlines().index('    color "#fff3b0"') + 1
    assert d.span is not None and (d.span.line, d.span.column) == (color_line, 11)
    assert d.help is not None and '"#ffeab2"' in d.help
    assert nearest("#fff3b0") == "#ffeab2" and nearest("#77dd77") == "#87f2c0"
    assert nearest("#FFFEB1") == "#fffeb2"


def test_hint_over_1000_characters_is_fn304_not_truncated() -> None:
    ok = "а" * 1000
    diags, bundle = export_unchecked(one_pipeline(f'  stage "Заявка" {{ hint "{ok}"\n -> won }}'))
    assert diags == []
    assert bundle["pipelines"][0]["_embedded"]["statuses"][0]["descriptions"][0]["description"] == ok
    diags, _ = export_unchecked(one_pipeline(f'  stage "Заявка" {{ hint "{ok}б"\n -> won }}'))
    assert codes(diags) == ["FN304"]
    assert "1001" in diags[0].message


def test_blank_names_are_fn305() -> None:
    text = one_pipeline(stages(["Заявка"]), 'field " " text')
    loaded = load_text(text, "t.funnel", checks=False)  # `check` itself says FN234
    assert loaded.model is not None
    _, diags = build_bundle(loaded.model)
    assert codes(diags) == ["FN305"]
    assert diags[0].span is not None and diags[0].span.line == 2
