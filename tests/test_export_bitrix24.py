"""`--to bitrix24`: the call list run against a small fake portal that enforces the
documented rules (STATUS_ID length and charset, unique codes, system stages that cannot
be created, "cannot create an intermediate stage after success", only NAME/SORT/COLOR
updatable), the placeholder convention, and FN320-FN322."""

from __future__ import annotations

import re
from typing import Any

import pytest

from export_helpers import (
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
from funnelc.export.bitrix24 import (
    CATEGORY_STATUS_ID,
    DEFAULT_STAGE_CODES,
    MAX_STATUS_ID,
    build_calls,
    status_code,
)

DEFAULTS = [("NEW", 10, "", "Y"), ("PREPARATION", 20, "", "N"), ("PREPAYMENT_INVOICE", 30, "", "N"),
            ("EXECUTING", 40, "", "N"), ("FINAL_INVOICE", 50, "", "N"), ("WON", 60, "S", "Y"),
            ("LOSE", 70, "F", "Y"), ("APOLOGY", 80, "F", "N")]
CODE = re.compile(r"^[A-Za-z0-9_-]+$")


class FakePortal:
    """Deal stage lists as the documented `crm.status.*` / `crm.category.add` keep them."""

    def __init__(self, category_id: int = 999) -> None:
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 100
        self.category_id = category_id
        self._new_list("DEAL_STAGE", "")

    def _new_list(self, entity: str, prefix: str) -> None:
        self.lists[entity] = []
        for code, sort, sem, system in DEFAULTS:
            self.next_id += 1
            self.lists[entity].append({"ID": str(self.next_id), "STATUS_ID": prefix + code,
                                       "NAME": code.title(), "SORT": sort, "SEMANTICS": sem,
                                       "SYSTEM": system})

    def call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "crm.category.add":
            assert params["entityTypeId"] == 2 and params["fields"]["name"].strip()
            cid = self.category_id
            self.category_id += 1
            self._new_list(f"DEAL_STAGE_{cid}", f"C{cid}:")
            return {"result": {"category": {"id": cid}}}
        if method == "crm.status.list":
            flt = params["filter"]
            found = [dict(s) for s in self.lists[flt["ENTITY_ID"]]
                     if s["STATUS_ID"] == flt["STATUS_ID"]]
            return {"result": found}
        if method == "crm.status.update":
            assert set(params["fields"]) <= {"NAME", "SORT", "COLOR"}, "only NAME, SORT, COLOR"
            stage = next(s for lst in self.lists.values() for s in lst if s["ID"] == str(params["id"]))
            stage.update(params["fields"])
            return {"result": True}
        assert method == "crm.status.add", method
        f = params["fields"]
        entity = f["ENTITY_ID"]
        lst = self.lists[entity]
        prefix = "" if entity == "DEAL_STAGE" else f"C{entity.rsplit('_', 1)[1]}:"
        code = f["STATUS_ID"]
        assert CODE.match(code), f"bad STATUS_ID {code!r}"
        assert len(prefix + code) <= MAX_STATUS_ID, f"STATUS_ID {prefix + code!r} too long"
        assert f["SEMANTICS"] in ("", "F"), "success stages are system stages"
        assert all(s["STATUS_ID"] != prefix + code for s in lst), f"duplicate {code}"
        success = next(s for s in lst if s["SEMANTICS"] == "S")
        if f["SEMANTICS"] == "":
            assert f["SORT"] < success["SORT"], "cannot create an intermediate stage after success"
        else:
            assert f["SORT"] > success["SORT"]
        self.next_id += 1
        lst.append({"ID": str(self.next_id), "STATUS_ID": prefix + code, "NAME": f["NAME"],
                    "SORT": f["SORT"], "SEMANTICS": f["SEMANTICS"], "SYSTEM": "N"})
        return {"result": self.next_id}

    def run(self, bundle: dict[str, Any]) -> None:
        known: dict[str, Any] = {}
        allowed = set(bundle["placeholder_fields"])
        for call in bundle["calls"]:
            for path, ref in placeholders_in(call):
                assert path in allowed, f"placeholder {ref} in {path}"
                assert ref in known, f"{call['id']} uses {ref} before it exists"
            answer = self.call(call["method"], substitute(call["params"], known))
            if "returns" in call:
                value: Any = answer
                for part in call["returns"].split("."):
                    value = value[int(part)] if part.isdigit() else value[part]
                known[call["id"]] = value

    def stages(self, entity: str) -> list[dict[str, Any]]:
        """A list after the manual step: the non-system defaults deleted, by SORT."""
        removable = {c for c, *_rest in DEFAULTS if c not in ("NEW", "WON", "LOSE")}
        keep = [s for s in self.lists[entity] if s["STATUS_ID"].split(":")[-1] not in removable]
        return sorted(keep, key=lambda s: s["SORT"])


def export(text: str) -> tuple[dict[str, Any], list]:
    bundle, diags = build_calls(load(text))
    validate("bitrix24", bundle)
    return bundle, diags


def adds(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["params"]["fields"] for c in bundle["calls"] if c["method"] == "crm.status.add"]


TWO_PIPELINES = one_pipeline(
    '  stage "Заявка" { -> "Встреча назначена" 60%\n -> lost "Нецелевой" 40% }\n'
    '  stage "Встреча назначена" key { -> won 50%\n -> lost "Дорого" 50% then copy "Дожим"."Ждём" }') + \
    'pipeline "Дожим" {\n  stage "Ждём" { -> "Думает" }\n  stage "Думает" { -> won 10%\n -> lost "Дорого" 90% }\n}\n'


def test_calls_build_both_pipelines_on_a_portal_that_enforces_the_rules() -> None:
    bundle, diags = export(TWO_PIPELINES)
    assert diags == []
    portal = FakePortal()
    portal.run(bundle)
    main = portal.stages("DEAL_STAGE")
    assert [(s["STATUS_ID"], s["NAME"], s["SEMANTICS"]) for s in main] == [
        ("NEW", "Заявка", ""), ("VSTRECHA_NAZNACHENA", "Встреча назначена", ""),
        ("WON", "Won", "S"), ("LOSE", "Lose", "F"),
        ("LOST_NETSELEVOJ", "Нецелевой", "F"), ("LOST_DOROGO", "Дорого", "F")]
    category = portal.stages("DEAL_STAGE_999")
    assert [(s["STATUS_ID"], s["SEMANTICS"]) for s in category] == [
        ("C999:NEW", ""), ("C999:DUMAET", ""), ("C999:WON", "S"), ("C999:LOSE", "F"),
        ("C999:LOST_DOROGO", "F")]


@pytest.mark.parametrize("lst", ["DEAL_STAGE", "DEAL_STAGE_999"])
def test_sort_order_is_in_progress_then_success_then_failure(lst: str) -> None:
    bundle, _ = export(TWO_PIPELINES)
    portal = FakePortal()
    portal.run(bundle)
    semantics = [s["SEMANTICS"] for s in portal.stages(lst)]
    assert semantics == sorted(semantics, key=["", "S", "F"].index)
    assert semantics.count("S") == 1


def test_no_success_stage_is_created_and_failures_are_one_per_reason() -> None:
    bundle, _ = export(TWO_PIPELINES)
    fields = adds(bundle)
    assert {f["SEMANTICS"] for f in fields} == {"", "F"}
    failures = [(f["ENTITY_ID"], f["NAME"]) for f in fields if f["SEMANTICS"] == "F"]
    assert failures == [("DEAL_STAGE", "Нецелевой"), ("DEAL_STAGE", "Дорого"),
                        ("DEAL_STAGE_{category_1}", "Дорого")]


def test_the_first_stage_is_the_system_new_stage_renamed() -> None:
    bundle, _ = export(TWO_PIPELINES)
    updates = {c["id"]: c["params"]["fields"] for c in bundle["calls"]
               if c["method"] == "crm.status.update"}
    assert updates["default_new_update"] == {"NAME": "Заявка", "SORT": 10, "COLOR": "#39A8EF"}
    assert all(f["NAME"] != "Заявка" for f in adds(bundle))
    # LOSE moves before WON, and both before any stage is added
    order = [c["id"] for c in bundle["calls"]]
    assert order.index("default_lose_update") < order.index("default_won_update") < \
        order.index("default_stage_1")


def test_status_ids_keep_to_22_characters_and_17_inside_a_category() -> None:
    long = "Очень длинное название этапа про договор"
    text = pipelines([("Продажи", chain(["Заявка", long]), "Заявка"),
                      ("Второй", chain(["Старт", long]), "Старт")])
    bundle, diags = export(text)
    assert diags == []
    by_entity = {f["ENTITY_ID"]: f["STATUS_ID"] for f in adds(bundle)}
    assert by_entity["DEAL_STAGE"] == "OCHEN_DLINNOE_NAZVANIE"  # cut at 22, no trailing _
    assert len(by_entity["DEAL_STAGE"]) <= MAX_STATUS_ID
    assert by_entity["DEAL_STAGE_{category_1}"] == "OCHEN_DLINNOE_NAZV"[:CATEGORY_STATUS_ID].rstrip("_")
    assert len(by_entity["DEAL_STAGE_{category_1}"]) <= CATEGORY_STATUS_ID == 17
    FakePortal().run(bundle)


def test_names_that_transliterate_to_one_code_get_suffixes() -> None:
    names = ["Заявка", "Этап-1", "Этап 1", "Этап_1", "Café", "Cafe", "New", "Won"]
    bundle, diags = export(one_pipeline(chain(names)))
    assert diags == []
    ids = [f["STATUS_ID"] for f in adds(bundle)]
    assert ids == ["ETAP_1", "ETAP_1_2", "ETAP_1_3", "CAFE", "CAFE_2", "NEW_2", "WON_2"]
    assert all(CODE.match(i) for i in ids)
    FakePortal().run(bundle)


def test_suffix_keeps_the_length_limit() -> None:
    names = ["Заявка"] + [f"Согласование условий договора {c}" for c in "АБВ"]
    bundle, _ = export(one_pipeline(chain(names)))
    ids = [f["STATUS_ID"] for f in adds(bundle)]
    assert len(set(ids)) == 3 and all(len(i) <= MAX_STATUS_ID for i in ids)
    assert ids[1].endswith("_2") and ids[2].endswith("_3")


def test_ukrainian_names_use_ukrainian_rules() -> None:
    assert status_code("Інтерес підтверджено", "uk") == "INTERES_PIDTVERDZHENO"
    assert status_code("Їжак", None) == "YIZHAK"  # Ukrainian-only letter picks uk rules
    assert status_code("Съёмка объекта", "ru") == "SEMKA_OBEKTA"
    assert status_code("★★★", "ru") == "" and status_code("—", "ru") == ""


@pytest.mark.parametrize("name", ["★★★", "—"])
def test_a_name_with_nothing_left_after_transliteration_is_fn321(name: str) -> None:
    text = one_pipeline(chain(["Заявка", name]))
    _bundle, diags = build_calls(load(text))
    assert codes(diags) == ["FN321"]
    d = diags[0]
    assert d.span is not None and text.splitlines()[d.span.line - 1][d.span.column - 1:].startswith(f'"{name}"')
    assert "[A-Za-z0-9_-]" in (d.help or "")


def test_the_first_stage_needs_no_code() -> None:
    bundle, diags = export(one_pipeline(chain(["★★★", "Договор"]), first="★★★"))
    assert diags == []
    assert adds(bundle)[0]["STATUS_ID"] == "DOGOVOR"


def test_lost_reasons_with_no_latin_left_still_get_codes() -> None:
    text = one_pipeline('  stage "Заявка" { -> won 50%\n -> lost "—" 25%\n -> lost "★" 25% }')
    bundle, diags = export(text)
    assert diags == []
    assert [f["STATUS_ID"] for f in adds(bundle)] == ["LOST", "LOST_2"]


def test_pipeline_name_over_255_is_fn320_and_blank_names_fn322() -> None:
    long = "П" * 256
    text = pipelines([("Продажи", chain(["Заявка"]), "Заявка"),
                      (long, chain(["Старт"]), "Старт"), ("Норм", chain([" "]), " ")])
    _, diags = build_calls(load_unchecked(text))
    assert codes(diags) == ["FN320", "FN322"]
    ok = text.replace(long, "П" * 255)
    assert codes(build_calls(load_unchecked(ok))[1]) == ["FN322"]


def test_manual_steps_cover_what_rest_cannot_do() -> None:
    text = one_pipeline(
        '  stage "Заявка" {\n    requires "Бюджет"\n    on enter task "Позвонить"\n'
        '    sla 2h -> lost "Не успели"\n    -> won\n  }', 'field "Бюджет" money')
    bundle, _ = export(text)
    steps = "\n".join(bundle["manual_steps"])
    assert "«Бюджет» required for this stage" in steps
    assert "robots for 1 on-enter action" in steps
    assert "2h delay for the SLA" in steps
    assert "PREPARATION" in steps and "APOLOGY" in steps
    assert "create the fields «Бюджет»" in steps


def test_default_stage_codes_are_reserved() -> None:
    assert {"NEW", "WON", "LOSE", "APOLOGY", "PREPARATION"} <= set(DEFAULT_STAGE_CODES)
