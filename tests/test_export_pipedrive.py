"""`--to pipedrive`: API v2 request bodies (schema from the SDK's request models), deal
probabilities from the exact absorbing chain, SLA → rotting days, field types, stage
requirements through placeholders, and FN330."""

from __future__ import annotations

from typing import Any

import pytest

from export_helpers import (
    answer_with,
    chain,
    codes,
    load,
    load_unchecked,
    one_pipeline,
    pipelines,
    placeholders_in,
    substitute,
    validate,
)
from funnelc.analysis.markov import win_probabilities
from funnelc.export.pipedrive import build_requests


def export(text: str) -> dict[str, Any]:
    bundle, diags = build_requests(load(text))
    assert diags == []
    validate("pipedrive", bundle)
    return bundle


def bodies(bundle: dict[str, Any], path: str) -> list[dict[str, Any]]:
    return [r["body"] for r in bundle["requests"] if r["path"] == path]


def run(bundle: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Send the requests to a fake that answers ids, substituting placeholders as the
    bundle documents; returns what the API would receive."""
    known: dict[str, Any] = {}
    sent = []
    allowed = set(bundle["placeholder_fields"])
    for n, req in enumerate(bundle["requests"], start=101):
        for path, ref in placeholders_in(req):
            assert path in allowed, (path, ref)
            assert ref in known, f"{req['id']} uses {ref} before it exists"
        sent.append((req["path"], substitute(req["body"], known)))
        if "returns" in req:
            answer = answer_with(req["returns"], n)
            value: Any = answer
            for part in req["returns"].split("."):
                value = value[int(part)] if part.isdigit() else value[part]
            known[req["id"]] = value
    return sent


FUNNEL = one_pipeline(
    '  stage "Заявка" { -> "КП" 50%\n -> lost "Нецелевой" 50% }\n'
    '  stage "КП" key { -> won 40%\n -> lost "Дорого" 60% }')


def test_pipelines_and_stages_follow_the_v2_contract() -> None:
    bundle = export(FUNNEL)
    assert bodies(bundle, "/api/v2/pipelines") == [
        {"name": "Продажи", "is_deal_probability_enabled": True}]
    assert bodies(bundle, "/api/v2/stages") == [
        {"name": "Заявка", "pipeline_id": "{pipeline_0}", "deal_probability": 20,
         "is_deal_rot_enabled": False},
        {"name": "КП", "pipeline_id": "{pipeline_0}", "deal_probability": 40,
         "is_deal_rot_enabled": False}]
    sent = run(bundle)
    assert [b["pipeline_id"] for p, b in sent if p == "/api/v2/stages"] == [101, 101]


def test_probability_is_the_exact_win_probability_with_reopens() -> None:
    text = one_pipeline(
        '  stage "Заявка" { -> "КП" 60%\n -> lost "Не дозвонились" 40% }\n'
        '  stage "КП" { -> won 30%\n -> lost "Дорого" 70% }\n'
        '  reopen "Не дозвонились" 50% -> "Заявка"')
    bundle = export(text)
    # p = 0.6·0.3 + 0.4·0.5·p  →  p = 0.18 / 0.8 = 0.225
    got = [b["deal_probability"] for b in bodies(bundle, "/api/v2/stages")]
    assert got == [round(100 * 0.225), 30]
    exact = win_probabilities(load(text))
    assert got[0] == round(100 * exact[("Продажи", "Заявка")])


@pytest.mark.parametrize(("hours", "sla", "days"), [
    (None, "30h", 2), (None, "48h", 2), (None, "49h", 3), (None, "15m", 1),
    # mon-fri 09:00-18:00: 27 working hours entered on Friday evening run out on Wednesday
    ("mon-fri 09:00-18:00", "27h", 5),
    ("mon-fri 09:00-18:00", "9h", 3),  # Friday 18:00 → Monday 18:00
])
def test_sla_becomes_rotting_in_whole_calendar_days(hours: str | None, sla: str, days: int) -> None:
    text = one_pipeline(f'  stage "Заявка" {{ sla {sla} -> lost "Долго"\n -> won 50%\n stay 50% }}')
    if hours:
        text = text.replace("currency RUB", f"currency RUB\n  hours {hours}")
    stage = bodies(export(text), "/api/v2/stages")[0]
    assert stage["is_deal_rot_enabled"] is True
    assert stage["days_to_rotten"] == days


def test_field_types_and_options() -> None:
    head = "\n".join([
        'field "Комментарий" text', 'field "Площадь" number', 'field "Оценка" int(1..10)',
        'field "Бюджет" money', 'field "Дата" date', 'field "Тел. сделки" phone',
        'field "Почта сделки" email', 'field "Сайт" url', 'field "НДС" bool',
        'field "Тип" enum("B2B", "B2C")', 'field "Каналы" multi("a", "b")',
        'field "Почта" email on contact', 'field "Телефон" phone on contact',
        'field "Второй телефон" phone on contact', 'field "ИНН" text on company',
    ])
    bundle = export(one_pipeline(chain(["Заявка"]), head, language="ru"))
    deal = {b["field_name"]: b for b in bodies(bundle, "/api/v2/dealFields")}
    assert {n: b["field_type"] for n, b in deal.items()} == {
        "Комментарий": "varchar", "Площадь": "double", "Оценка": "double", "Бюджет": "monetary",
        "Дата": "date", "Тел. сделки": "phone", "Почта сделки": "varchar", "Сайт": "varchar",
        "НДС": "enum", "Тип": "enum", "Каналы": "set"}
    assert deal["НДС"]["options"] == [{"label": "Да"}, {"label": "Нет"}]
    assert deal["Тип"]["options"] == [{"label": "B2B"}, {"label": "B2C"}]
    assert bodies(bundle, "/api/v2/personFields") == [
        {"field_name": "Второй телефон", "field_type": "phone"}]
    assert bodies(bundle, "/api/v2/organizationFields") == [
        {"field_name": "ИНН", "field_type": "varchar"}]
    assert any("1..10" in s for s in bundle["manual_steps"])


@pytest.mark.parametrize(("language", "labels"), [
    (None, ["Yes", "No"]), ("en", ["Yes", "No"]), ("uk", ["Так", "Ні"])])
def test_bool_options_follow_the_account_language(language: str | None, labels: list[str]) -> None:
    bundle = export(one_pipeline(chain(["Заявка"]), 'field "НДС" bool', language=language))
    assert [o["label"] for o in bodies(bundle, "/api/v2/dealFields")[0]["options"]] == labels


def test_required_fields_name_the_stages_through_placeholders() -> None:
    head = 'field "Бюджет" money\nfield "Телефон" phone on contact\nfield "ИНН" text on company'
    text = pipelines([
        ("Продажи", '  stage "Заявка" { requires "Телефон"\n -> "КП" }\n'
                    '  stage "КП" { requires "Бюджет", "ИНН"\n -> won }', "Заявка"),
        ("Сервис", '  stage "Новый" { requires "Бюджет"\n -> won }', "Новый")], head)
    bundle = export(text)
    budget = bodies(bundle, "/api/v2/dealFields")[0]
    assert budget["required_fields"] == {
        "enabled": True, "stage_ids": ["{pipeline_0_stage_1}", "{pipeline_1_stage_0}"]}
    sent = dict((b.get("field_name"), b) for p, b in run(bundle) if p.endswith("Fields"))
    assert sent["Бюджет"]["required_fields"]["stage_ids"] == [103, 105]
    steps = "\n".join(bundle["manual_steps"])
    assert "«Телефон» is the person's built-in phone field" in steps
    assert "«ИНН» is a person/organization field" in steps and "«Продажи» → «КП»" in steps
    # fields come after every stage they name
    order = [r["id"] for r in bundle["requests"]]
    assert order.index("pipeline_1_stage_0") < order.index("field_0")


def test_main_pipeline_first_and_won_lost_are_statuses() -> None:
    text = original = pipelines([("Продажи", chain(["Заявка"]), "Заявка"),
                                     ("Сервис", chain(["Новый"]), "Новый")])
    text = text.replace('pipeline "Продажи" main', 'pipeline "Продажи"').replace(
        'pipeline "Сервис"', 'pipeline "Сервис" main')
    assert original != text
    bundle = export(text)
    assert [b["name"] for b in bodies(bundle, "/api/v2/pipelines")] == ["Сервис", "Продажи"]
    names = [b["name"] for b in bodies(bundle, "/api/v2/stages")]
    assert names == ["Новый", "Заявка"]  # no won/lost stages
    assert any("default pipeline" in s for s in bundle["manual_steps"])


def test_lost_reasons_are_a_manual_step() -> None:
    bundle = export(FUNNEL)
    assert any("«Нецелевой», «Дорого»" in s for s in bundle["manual_steps"])


def test_blank_names_are_fn330() -> None:
    text = one_pipeline(chain([" "]), 'field "  " text', first=" ")
    _, diags = build_requests(load_unchecked(text))
    assert codes(diags) == ["FN330", "FN330"]
