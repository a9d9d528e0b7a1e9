"""`--to hubspot`: pipeline bodies (schema from the documented PipelineInput), stage
probabilities in HubSpot's 0.1 steps with open stages kept off 0.0/1.0, one closed won and
one closed lost stage, and FN340-FN343."""

from __future__ import annotations

from typing import Any

import pytest

from export_helpers import chain, codes, load, load_unchecked, one_pipeline, pipelines, validate
from funnelc.export.hubspot import build_requests, probability_text


def export(text: str) -> dict[str, Any]:
    bundle, diags = build_requests(load(text))
    assert diags == []
    validate("hubspot", bundle)
    return bundle


@pytest.mark.parametrize(("p", "text"), [
    (0.0, "0.1"), (0.04, "0.1"), (0.149, "0.1"), (0.15, "0.2"), (0.25, "0.3"), (0.5, "0.5"),
    (0.849, "0.8"), (0.85, "0.9"), (0.96, "0.9"), (1.0, "0.9")])
def test_open_stage_probability_rounds_to_tenths_inside_0_1_and_0_9(p: float, text: str) -> None:
    assert probability_text(p) == text


def test_pipeline_body_with_closed_stages() -> None:
    text = one_pipeline('  stage "Заявка" { -> "КП" 50%\n -> lost "Нецелевой" 50% }\n'
                        '  stage "КП" key { -> won 40%\n -> lost "Дорого" 60% }')
    bundle = export(text)
    (request,) = bundle["requests"]
    assert (request["method"], request["path"]) == ("POST", "/crm/v3/pipelines/deals")
    assert request["body"] == {"label": "Продажи", "displayOrder": 0, "stages": [
        {"label": "Заявка", "displayOrder": 0, "metadata": {"probability": "0.2"}},
        {"label": "КП", "displayOrder": 1, "metadata": {"probability": "0.4"}},
        {"label": "Closed won", "displayOrder": 2, "metadata": {"probability": "1.0"}},
        {"label": "Closed lost", "displayOrder": 3, "metadata": {"probability": "0.0"}}]}
    assert any("«Нецелевой», «Дорого»" in s and "Closed lost reason" in s
               for s in bundle["manual_steps"])


@pytest.mark.parametrize(("language", "won", "lost"), [
    ("en", "Closed won", "Closed lost"), ("ru", "Успешно реализовано", "Закрыто и не реализовано"),
    ("uk", "Успішно реалізовано", "Закрито і не реалізовано")])
def test_closed_labels_follow_the_language(language: str, won: str, lost: str) -> None:
    stages = export(one_pipeline(chain(["Заявка"]), language=language))["requests"][0]["body"]["stages"]
    assert [s["label"] for s in stages[-2:]] == [won, lost]


def test_one_request_per_pipeline_in_file_order() -> None:
    text = pipelines([("Продажи", chain(["Заявка"]), "Заявка"), ("Сервис", chain(["Новый"]), "Новый")])
    bundle = export(text)
    assert [(r["body"]["label"], r["body"]["displayOrder"]) for r in bundle["requests"]] == [
        ("Продажи", 0), ("Сервис", 1)]


def test_pipeline_label_over_36_is_fn340() -> None:
    ok = one_pipeline(chain(["Заявка"]), name="П" * 36)
    assert build_requests(load(ok))[1] == []
    long = one_pipeline(chain(["Заявка"]), name="П" * 37)
    diags = build_requests(load(long))[1]
    assert codes(diags) == ["FN340"] and "36" in diags[0].message


def test_a_stage_named_like_a_closed_stage_is_fn341() -> None:
    text = one_pipeline(chain(["Заявка", "closed WON"]), language="en")
    diags = build_requests(load(text))[1]
    assert codes(diags) == ["FN341"]
    assert diags[0].label == "same label as the closed won stage"


def test_more_than_100_stages_with_the_closed_ones_is_fn342() -> None:
    names = [f"Этап {i}" for i in range(1, 100)]
    diags = build_requests(load(one_pipeline(chain(names), first="Этап 1")))[1]
    assert codes(diags) == ["FN342"] and "101" in diags[0].message
    assert diags[0].secondary[0].span == load(one_pipeline(chain(names), first="Этап 1")) \
        .pipelines[0].stages[98].name.span
    fits = build_requests(load(one_pipeline(chain(names[:98]), first="Этап 1")))
    assert fits[1] == []
    validate("hubspot", fits[0])


def test_blank_names_are_fn343() -> None:
    diags = build_requests(load_unchecked(one_pipeline(chain([" "]), first=" ", name="  ")))[1]
    assert codes(diags) == ["FN343", "FN343"]
