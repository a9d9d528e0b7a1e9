"""Loss reasons and sources from where real CRM accounts keep them: a Bitrix24 deal
userfield «Причина отказа» (the standard pipeline has one failure stage, so its name told
every loss alike), and the UTM source of a deal that has no source of its own.

Shapes, as the vendors publish them:
- Bitrix24 `crm.deal.userfield.list` — bitrix24/b24restdocs,
  api-reference/crm/deals/user-defined-fields/crm-deal-userfield-list.md: `result[]` of
  `ID`, `ENTITY_ID` "CRM_DEAL", `FIELD_NAME`, `USER_TYPE_ID` ("enumeration" for a list),
  `MULTIPLE` "Y"/"N", `SETTINGS`, the labels `EDIT_FORM_LABEL`, `LIST_COLUMN_LABEL`,
  `LIST_FILTER_LABEL` (returned when filtered by `LANG`), `LIST[]` of `{ID, SORT, VALUE,
  DEF, XML_ID}`.
- Bitrix24 `crm.deal.fields` — api-reference/crm/deals/crm-deal-fields.md (`result` an
  object: field code → `type`, `isRequired`, `isReadOnly`, `isImmutable`, `isMultiple`,
  `isDynamic`, `title`; the standard `UTM_SOURCE` «Advertising System»); for a userfield
  `title` is its code and the labels are `listLabel`, `formLabel`, `filterLabel`
  (https://idea.1c-bitrix.ru/status/processing/ quotes such an answer), a list field's
  values `items[]` of `{ID, VALUE}` (dev.1c-bitrix.ru/rest_help/crm/cases/edit/
  how_to_generate_edit_form_for_deal.php reads them so).
- Bitrix24 `crm.deal.list` with `select: ["*", "UF_*"]` — crm-deal-list.md: a list
  userfield's value is its enum ID as a string, a multiple one an array of them, an empty
  one "" or false.
- amoCRM `GET /api/v4/leads` — https://www.amocrm.ru/developers/content/crm_platform/
  leads-api and custom-fields: `custom_fields_values[]` of `{field_id, field_name,
  field_code, field_type, values: [{value}]}`; the tracking fields are `field_type`
  "tracking_data" with codes `UTM_SOURCE`, `UTM_MEDIUM`...; `_embedded.source` only when
  an integration set one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from history_formats import amocrm_sales_pipeline

REASON = "UF_CRM_1712345678"
RIVALS = "UF_CRM_1712999999"
NOTE = "UF_CRM_1700000000"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def _status(i: int, entity: str, code: str, name: str, sort: int,
            sem: str | None = None) -> dict[str, Any]:
    extra = {"S": "success", "F": "failure"}.get(sem or "", "process")
    return {"ID": str(100 + i), "ENTITY_ID": entity, "STATUS_ID": code, "NAME": name,
            "NAME_INIT": "", "SORT": str(sort), "SYSTEM": "N", "CATEGORY_ID": None,
            "COLOR": "#39A8EF", "SEMANTICS": sem, "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"}}


def _userfield(uid: str, code: str, kind: str, label: str, multiple: bool = False,
               items: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    uf: dict[str, Any] = {
        "ID": uid, "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": code, "USER_TYPE_ID": kind,
        "XML_ID": None, "SORT": "100", "MULTIPLE": "Y" if multiple else "N", "MANDATORY": "N",
        "SHOW_FILTER": "E", "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N",
        "SETTINGS": {"DISPLAY": "LIST", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "",
                     "SHOW_NO_VALUE": "Y"} if kind == "enumeration" else {"SIZE": 20},
        "EDIT_FORM_LABEL": label, "LIST_COLUMN_LABEL": label, "LIST_FILTER_LABEL": label,
        "ERROR_MESSAGE": None, "HELP_MESSAGE": None}
    if items is not None:
        uf["LIST"] = [{"ID": i, "SORT": str(10 * (k + 1)), "VALUE": v, "DEF": "N",
                       "XML_ID": f"x{i}"} for k, (i, v) in enumerate(items)]
    return uf


USERFIELDS = [
    _userfield("6799", REASON, "enumeration", "Причина отказа",
               items=[("45", "Дорого"), ("47", "Не дозвонились"), ("49", "Выбрали конкурента")]),
    _userfield("6801", RIVALS, "enumeration", "Конкуренты", multiple=True,
               items=[("51", "Конкурент А"), ("53", "Конкурент Б")]),
    _userfield("6803", NOTE, "string", "Комментарий"),
]
PATHS = {1: ["NEW", "PREPARATION", "WON"], 2: ["NEW", "LOSE"], 3: ["NEW", "PREPARATION", "LOSE"],
         4: ["NEW", "LOSE"], 5: ["NEW", "LOSE"], 6: ["NEW", "PREPARATION"]}
"""Six deals on 1–6 March 2024; 2, 4 and 5 lost from «Новая», 3 from «Встреча»."""
REASONS: dict[int, Any] = {1: "", 2: "45", 3: "47", 4: False, 5: "99", 6: ""}
"""«Причина отказа» of each deal: Дорого, Не дозвонились, empty (false), an enum ID the
field's list does not have (an item deleted since)."""
SOURCES = {1: ("WEB", None), 2: (None, "yandex"), 3: (None, "yandex"), 4: (None, "google"),
           5: (None, None), 6: ("CALL", "vk")}
"""(SOURCE_ID, UTM_SOURCE) of each deal."""


def _bitrix24(folder: Path, fields: Any = None, apology: bool = False) -> Path:
    """The export: statuses, stage history, the deal list with its userfields, and the
    userfield answer (`crm.deal.userfield.list` unless `fields` gives another). The
    standard pipeline has one failure stage, «Сделка провалена»; `apology` adds a second
    («Анализ причины провала», Bitrix24's `APOLOGY`), which no deal here entered."""
    folder.mkdir()
    statuses = [_status(i, *row) for i, row in enumerate([  # type: ignore[arg-type]
        ("DEAL_STAGE", "NEW", "Новая", 10), ("DEAL_STAGE", "PREPARATION", "Встреча", 20),
        ("DEAL_STAGE", "WON", "Сделка успешна", 60, "S"),
        ("DEAL_STAGE", "LOSE", "Сделка провалена", 70, "F"),
        *([("DEAL_STAGE", "APOLOGY", "Анализ причины провала", 80, "F")] if apology else []),
        ("SOURCE", "CALL", "Звонок", 10), ("SOURCE", "WEB", "Веб-сайт", 20)])]
    items, deals = [], []
    for d, path in PATHS.items():
        for k, stage in enumerate(path):
            items.append({"ID": str(len(items) + 1),
                          "TYPE_ID": "1" if k == 0 else "3" if stage in ("WON", "LOSE") else "2",
                          "OWNER_ID": str(d), "CREATED_TIME": f"2024-03-0{d}T1{k}:00:00+03:00",
                          "CATEGORY_ID": "0", "STAGE_ID": stage,
                          "STAGE_SEMANTIC_ID": {"WON": "S", "LOSE": "F"}.get(stage, "P")})
        deals.append({"ID": str(d), "TITLE": f"Сделка #{d}", "TYPE_ID": "SALE",
                      "CATEGORY_ID": "0", "STAGE_ID": path[-1],
                      "STAGE_SEMANTIC_ID": {"WON": "S", "LOSE": "F"}.get(path[-1], "P"),
                      "OPPORTUNITY": "10000.00", "CURRENCY_ID": "RUB", "ASSIGNED_BY_ID": "1",
                      "SOURCE_ID": SOURCES[d][0], "SOURCE_DESCRIPTION": None,
                      "UTM_SOURCE": SOURCES[d][1], "UTM_MEDIUM": None, "UTM_CAMPAIGN": None,
                      "UTM_CONTENT": None, "UTM_TERM": None,
                      "DATE_CREATE": f"2024-03-0{d}T10:00:00+03:00",
                      "DATE_MODIFY": f"2024-03-0{d}T12:00:00+03:00",
                      REASON: REASONS[d], RIVALS: ["51", "53"] if d == 3 else [],
                      NOTE: "перезвонить" if d == 2 else ""})
    answers = {"crm.status.list.json": {"result": statuses, "total": len(statuses)},
               "crm.stagehistory.list.json": {"result": {"items": items}, "total": len(items)},
               "crm.deal.list.json": {"result": deals, "total": len(deals)}}
    if fields is None:
        answers["crm.deal.userfield.list.json"] = {"result": USERFIELDS, "total": 3}
    elif fields is not False:
        answers["crm.deal.fields.json"] = fields
    for name, doc in answers.items():
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def _history(*args: str) -> dict[str, Any]:
    code, out, err = _run("history", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def _reasons(data: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(r["stage"], r["reason"]): r["deals"] for r in data["tables"]["losses"]}


def test_bitrix24_loss_reasons_come_from_the_loss_reason_userfield(tmp_path: Path) -> None:
    """Every loss was «Сделка провалена», the one failure stage's name. With the
    userfields answer saved, a loss takes the name of its «Причина отказа» item; the deal
    with the field empty has no reason (the pipeline's only failure stage names none),
    the item since deleted is `#99`; the data-quality notes say which field was read."""
    data = _history(str(_bitrix24(tmp_path / "b24")))
    assert _reasons(data) == {("Новая", "Дорого"): 1, ("Новая", "(no reason)"): 1,
                              ("Новая", "#99"): 1, ("Встреча", "Не дозвонились"): 1}
    by_month = {r["reason"] for r in data["tables"]["loss_reasons_by"]
                if r["dimension"] == "month"}
    assert by_month == {"Дорого", "Не дозвонились", "(no reason)", "#99"}
    assert (f"Bitrix24 history: loss reasons read from the deal field {REASON} “Причина "
            "отказа”, filled on 3 of 4 losses; a loss with the field empty has no reason in "
            "“Общая”, whose only failure stage names none") in data["quality"]["notes"]


def test_with_two_failure_stages_a_loss_with_the_field_empty_keeps_its_stage(
        tmp_path: Path) -> None:
    """A pipeline with two failure stages names reasons by stage: the deal with the
    field empty keeps «Сделка провалена», as before."""
    data = _history(str(_bitrix24(tmp_path / "b24", apology=True)))
    assert _reasons(data) == {("Новая", "Дорого"): 1, ("Новая", "Сделка провалена"): 1,
                              ("Новая", "#99"): 1, ("Встреча", "Не дозвонились"): 1}
    assert (f"Bitrix24 history: loss reasons read from the deal field {REASON} “Причина "
            "отказа”, filled on 3 of 4 losses; a loss with the field empty keeps its failure "
            "stage's name") in data["quality"]["notes"]


def test_without_a_userfield_answer_the_lone_failure_stage_is_no_reason(
        tmp_path: Path) -> None:
    """The deal list alone names no field: its values are enum IDs of a field nobody
    labelled. The pipeline's one failure stage, «Сделка провалена», which every loss goes
    to, is no reason: the four losses have none, and the note says why and what to save.
    Read as the reason (before), the losses without a reason were 0 of 4."""
    data = _history(str(_bitrix24(tmp_path / "b24", fields=False)))
    assert _reasons(data) == {("Новая", "(no reason)"): 3, ("Встреча", "(no reason)"): 1}
    missing = data["tables"]["loss_reasons_missing"]
    assert [(r["losses"], r["no_reason"], r["share"], r["value"]) for r in missing] == [
        (4, 4, 1.0, 40000.0)]
    assert not any("deal field" in n for n in data["quality"]["notes"])
    assert ("Bitrix24 history: 4 losses have no reason: “Сделка провалена” of “Общая” is their "
            "pipeline's only failure stage, so it tells no loss from another, and no deal "
            "userfield names a loss reason (save crm.deal.userfield.list and crm.deal.list "
            'with select ["*", "UF_*"], or name the field with --loss-field)'
            ) in data["quality"]["notes"]


def test_without_a_userfield_answer_two_failure_stages_are_the_reasons(
        tmp_path: Path) -> None:
    """With a second failure stage the account names reasons by stage: the stage's name
    stays every loss's reason."""
    data = _history(str(_bitrix24(tmp_path / "b24", fields=False, apology=True)))
    assert _reasons(data) == {("Новая", "Сделка провалена"): 3,
                              ("Встреча", "Сделка провалена"): 1}
    assert ("Bitrix24 history: no deal userfield names a loss reason, so each loss is named "
            "by its failure stage (save crm.deal.userfield.list, or name the field with "
            "--loss-field)") in data["quality"]["notes"]


def _deal_fields() -> dict[str, Any]:
    """`crm.deal.fields` with two standard fields and the three userfields."""
    def desc(kind: str, title: str, **more: Any) -> dict[str, Any]:
        return {"type": kind, "isRequired": False, "isReadOnly": False, "isImmutable": False,
                "isMultiple": False, "isDynamic": False, "title": title, **more}

    def uf(kind: str, code: str, label: str, multiple: bool = False,
           items: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        d = desc(kind, code, listLabel=label, formLabel=label, filterLabel=label,
                 settings={"DISPLAY": "LIST"})
        d.update(isDynamic=True, isMultiple=multiple)
        if items is not None:
            d["items"] = [{"ID": i, "VALUE": v} for i, v in items]
        return d

    return {"result": {
        "ID": desc("integer", "ID", isReadOnly=True),
        "UTM_SOURCE": desc("string", "Advertising System"),
        REASON: uf("enumeration", REASON, "Причина провала",
                   items=[("45", "Дорого"), ("47", "Не дозвонились")]),
        RIVALS: uf("enumeration", RIVALS, "Конкуренты", True,
                   [("51", "Конкурент А"), ("53", "Конкурент Б")]),
        NOTE: uf("string", NOTE, "Комментарий"),
    }, "time": {"start": 1724857659.82, "finish": 1724857660.79, "duration": 0.97}}


def test_the_userfield_read_from_crm_deal_fields(tmp_path: Path) -> None:
    """`crm.deal.fields` names the field «Причина провала» (`listLabel`) and its items."""
    data = _history(str(_bitrix24(tmp_path / "b24", fields=_deal_fields())))
    assert _reasons(data) == {("Новая", "Дорого"): 1, ("Новая", "(no reason)"): 1,
                              ("Новая", "#99"): 1, ("Встреча", "Не дозвонились"): 1}
    assert any(f"{REASON} “Причина провала”" in n for n in data["quality"]["notes"])


@pytest.mark.parametrize("label", ["Причина отказа", "ПРИЧИНА ПРОВАЛА", "Причина проигрыша",
                                   "Причина поражения", "Причина відмови", "Loss reason",
                                   "Lost reason"])
def test_the_labels_that_name_a_loss_reason(tmp_path: Path, label: str) -> None:
    fields = [dict(USERFIELDS[0], EDIT_FORM_LABEL=label, LIST_COLUMN_LABEL=label,
                   LIST_FILTER_LABEL=label), *USERFIELDS[1:]]
    folder = _bitrix24(tmp_path / "b24", fields={"result": fields, "total": 3})
    data = _history(str(folder))
    assert ("Новая", "Дорого") in _reasons(data)


def test_loss_field_names_the_field_and_a_multiple_one_gives_its_first_value(
        tmp_path: Path) -> None:
    """`--loss-field` reads «Конкуренты» instead (a multiple list: deal 3 chose both,
    the first is its reason); deals with it empty have none (the only failure stage names
    none)."""
    folder = _bitrix24(tmp_path / "b24")
    data = _history(str(folder), "--loss-field", RIVALS)
    assert _reasons(data) == {("Новая", "(no reason)"): 3, ("Встреча", "Конкурент А"): 1}
    assert any(f"{RIVALS} “Конкуренты”, filled on 1 of 4 losses" in n
               for n in data["quality"]["notes"])
    funnel = tmp_path / "sales.funnel"
    funnel.write_text('account "A" { language en }\nsource "Сайт" 3/day -> "Продажи"."Новая"\n'
                      'pipeline "Продажи" sales {\n  stage "Новая" { -> "Встреча" 50%\n'
                      '    -> lost "Дорого" 50% }\n  stage "Встреча" { -> won }\n}\n',
                      encoding="utf-8")
    code, out, err = _run("audit", str(funnel), str(folder), "--loss-field", RIVALS,
                          "--format", "json")
    assert code == 0, err
    assert json.loads(out)["deals"] == 6
    assert f"note: Bitrix24 history: loss reasons read from the deal field {RIVALS}" in err
    code, out, err = _run("audit", str(funnel), str(folder), "-q", "--format", "json")
    assert code == 0 and "note:" not in err


def test_a_loss_field_no_deal_has_is_refused_with_the_fields_there_are(tmp_path: Path) -> None:
    folder = _bitrix24(tmp_path / "b24")
    code, out, err = _run("history", str(folder), "--loss-field", "UF_CRM_17")
    assert code == 2 and "Traceback" not in out + err
    assert "error: --loss-field UF_CRM_17: no deal userfield of the Bitrix24 export has this code" \
        in err
    assert (f"help: its deals have {NOTE} «Комментарий», {REASON} «Причина отказа», "
            f"{RIVALS} «Конкуренты»") in err


def test_a_loss_field_without_a_bitrix24_deal_list_is_refused(tmp_path: Path) -> None:
    folder = _bitrix24(tmp_path / "b24")
    (folder / "crm.deal.list.json").unlink()
    code, out, err = _run("history", str(folder), "--loss-field", REASON)
    assert code == 2 and "Traceback" not in out + err
    assert f"--loss-field {REASON}: the inputs hold no Bitrix24 deal list" in err


def test_a_deal_list_saved_without_its_userfields(tmp_path: Path) -> None:
    """The field is described but the deals were listed without `UF_*` in `select`
    (crm.deal.list's default): the losses have no reason (the pipeline's only failure
    stage names none), and the notes say so and how to list them; named with
    `--loss-field`, it is an input problem (exit 1)."""
    folder = _bitrix24(tmp_path / "b24")
    path = folder / "crm.deal.list.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["result"] = [{k: v for k, v in d.items() if not k.startswith("UF_")}
                     for d in doc["result"]]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    data = _history(str(folder))
    assert _reasons(data) == {("Новая", "(no reason)"): 3, ("Встреча", "(no reason)"): 1}
    assert ("Bitrix24 history: 4 losses have no reason: “Сделка провалена” of “Общая” is their "
            "pipeline's only failure stage, so it tells no loss from another, and the deal "
            f"list was saved without the deal field {REASON} “Причина отказа” that names the "
            'reason (save crm.deal.list with select ["*", "UF_*"])') in data["quality"]["notes"]
    # With a second failure stage the losses keep the stage's name, as the note says.
    folder2 = tmp_path / "b24-apology"
    shutil.copytree(folder, folder2)
    path2 = folder2 / "crm.status.list.json"
    statuses = json.loads(path2.read_text(encoding="utf-8"))
    statuses["result"].append(_status(99, "DEAL_STAGE", "APOLOGY", "Анализ причины провала",
                                      80, "F"))
    path2.write_text(json.dumps(statuses, ensure_ascii=False), encoding="utf-8")
    data = _history(str(folder2))
    assert _reasons(data) == {("Новая", "Сделка провалена"): 3,
                              ("Встреча", "Сделка провалена"): 1}
    assert (f"Bitrix24 history: the deal field {REASON} “Причина отказа” names the loss "
            "reason, but the deal list was saved without its userfields, so each loss is "
            'named by its failure stage (save crm.deal.list with select ["*", "UF_*"])'
            ) in data["quality"]["notes"]
    code, out, err = _run("history", str(folder), "--loss-field", REASON)
    assert code == 1 and "Traceback" not in out + err
    assert f"--loss-field {REASON}: the field is described, but no deal" in err
    assert 'select ["*", "UF_*"]' in err


@pytest.mark.parametrize(("answer", "place", "key"), [
    ("crm.deal.userfield.list.json", f"page 1 item 1 ({REASON})", "LIST"),
    ("crm.deal.fields.json", f"page 1 field {REASON}", "items"),
])
def test_a_list_fields_values_of_another_shape_are_refused_with_their_place(
        tmp_path: Path, answer: str, place: str, key: str) -> None:
    """A list field's values saved as an object keyed by ID (as PHP prints them), not
    the array Bitrix24 sends."""
    if answer == "crm.deal.fields.json":
        fields = _deal_fields()
        fields["result"][REASON]["items"] = {"45": "Дорого"}
    else:
        fields = {"result": [dict(USERFIELDS[0], LIST={"45": {"VALUE": "Дорого"}}),
                             *USERFIELDS[1:]], "total": 3}
    folder = _bitrix24(tmp_path / "b24", fields=fields)
    (folder / "crm.deal.userfield.list.json").unlink(missing_ok=True)
    if answer == "crm.deal.userfield.list.json":
        (folder / "crm.deal.fields.json").rename(folder / answer)
    code, out, err = _run("history", str(folder))
    assert code == 1 and "Traceback" not in out + err
    assert (f"{folder / answer} {place}: `{key}` is not an array of {{ID, VALUE}} items"
            in err), err
    assert "help: save the API answer as it came" in err


@pytest.mark.parametrize("label", ["Причина обращения", "Reason for contact", "Отказ от рассылки"])
def test_labels_that_name_no_loss_reason(tmp_path: Path, label: str) -> None:
    """A field «Причина обращения» (why the client came) is no loss reason: the losses
    of the pipeline with one failure stage have none."""
    fields = [dict(USERFIELDS[0], EDIT_FORM_LABEL=label, LIST_COLUMN_LABEL=label,
                   LIST_FILTER_LABEL=label), *USERFIELDS[1:]]
    data = _history(str(_bitrix24(tmp_path / "b24", fields={"result": fields, "total": 3})))
    assert _reasons(data) == {("Новая", "(no reason)"): 3, ("Встреча", "(no reason)"): 1}


def _sources(data: dict[str, Any]) -> dict[str, int]:
    """Deals entering «Новая» by source (the source-by-month table of the first step)."""
    out: dict[str, int] = {}
    for r in data["tables"]["source_months"]:
        if r["from_stage"] == "Новая":
            out[r["source"]] = out.get(r["source"], 0) + r["entered"]
    return out


def test_bitrix24_deals_without_a_source_are_sourced_by_their_utm_source(
        tmp_path: Path) -> None:
    """`SOURCE_ID` first (deal 6's «Звонок» stays, whatever its UTM_SOURCE says), then
    `UTM_SOURCE`; deal 5 has neither. The notes say how many deals the UTM sourced."""
    data = _history(str(_bitrix24(tmp_path / "b24")))
    assert _sources(data) == {"Веб-сайт": 1, "yandex": 2, "google": 1, "(no source)": 1,
                              "Звонок": 1}
    assert ("Bitrix24 history: 3 deals without a source of their own are sourced by their "
            "utm_source") in data["quality"]["notes"]


T0 = 1704103200  # 2024-01-01 10:00 UTC


def _tracking(code: str, name: str, value: Any) -> dict[str, Any]:
    return {"field_id": {"UTM_SOURCE": 1042501, "UTM_MEDIUM": 1042503}.get(code, 1042599),
            "field_name": name, "field_code": code, "field_type": "tracking_data",
            "values": [{"value": value}]}


def _amocrm(folder: Path, fields: dict[int, Any]) -> Path:
    """Five leads of January 2024 in «Новая», lead 2 moved to «Встреча». Lead 1 has an
    integration's `_embedded.source` «Сайт» and a utm_source; lead 2 only utm_source
    «yandex» (with utm_medium «cpc»); lead 3 a utm_source «vk» in a field its
    integration named `utm_source` without a code; leads 4 and 5 get `fields[i]` as their
    `custom_fields_values`."""
    folder.mkdir()
    pipelines = amocrm_sales_pipeline()
    cfv: dict[int, Any] = {
        1: [_tracking("UTM_SOURCE", "utm_source", "google")],
        2: [{"field_id": 512, "field_name": "Бюджет клиента", "field_code": None,
             "field_type": "numeric", "values": [{"value": "50000"}]},
            _tracking("UTM_MEDIUM", "utm_medium", "cpc"),
            _tracking("UTM_SOURCE", "utm_source", "yandex")],
        3: [{"field_id": 777, "field_name": "utm_source", "field_code": None,
             "field_type": "text", "values": [{"value": " vk "}]}],
        **fields}
    leads = []
    for i in range(1, 6):
        emb: dict[str, Any] = {"tags": []}
        if i == 1:
            emb["source"] = {"id": 31, "name": "Сайт", "external_id": "site-form",
                             "type": "form"}
        leads.append({"id": i, "name": f"Сделка {i}", "price": 0, "responsible_user_id": 504141,
                      "group_id": 0, "status_id": 702 if i == 2 else 701, "pipeline_id": 77,
                      "loss_reason_id": None, "created_by": 504141, "updated_by": 504141,
                      "created_at": T0 + 3600 * i, "updated_at": T0 + 3600 * i + 60,
                      "closed_at": None, "closest_task_at": None, "is_deleted": False,
                      "custom_fields_values": cfv.get(i), "score": None, "account_id": 1,
                      "labor_cost": None, "_embedded": emb})
    events = [{"id": "01ev0001", "type": "lead_status_changed", "entity_id": 2,
               "entity_type": "lead", "created_by": 504141, "created_at": T0 + 9000,
               "account_id": 1,
               "value_before": [{"lead_status": {"id": 701, "pipeline_id": 77}}],
               "value_after": [{"lead_status": {"id": 702, "pipeline_id": 77}}]}]
    for name, doc in (("pipelines.json", pipelines),
                      ("leads.json", {"_page": 1, "_links": {"self": {"href": "x"}},
                                      "_embedded": {"leads": leads}}),
                      ("events.json", {"_page": 1, "_embedded": {"events": events}})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def test_amocrm_leads_without_a_source_are_sourced_by_their_utm_source(tmp_path: Path) -> None:
    """`_embedded.source` first (lead 1 stays «Сайт»), then the tracking field
    `UTM_SOURCE` among `custom_fields_values`, or a field named utm_source; lead 4 has
    no fields at all (`null`), lead 5 an empty utm_source."""
    folder = _amocrm(tmp_path / "amo", {4: None, 5: [_tracking("UTM_SOURCE", "utm_source", "")]})
    data = _history(str(folder))
    assert _sources(data) == {"Сайт": 1, "yandex": 1, "vk": 1, "(no source)": 2}
    assert ("amoCRM events and leads: 2 deals without a source of their own are sourced by "
            "their utm_source") in data["quality"]["notes"]


@pytest.mark.parametrize(("value", "what", "where"), [
    ({"1042501": "google"}, "`custom_fields_values` is an object", "lead 4"),
    ([{"field_id": 1042501, "field_name": "utm_source", "field_code": "UTM_SOURCE",
       "field_type": "tracking_data", "values": "google"}],
     "the utm_source field's `values` is a string", "lead 4"),
])
def test_amocrm_custom_fields_of_another_shape_are_refused_with_their_place(
        tmp_path: Path, value: Any, what: str, where: str) -> None:
    folder = _amocrm(tmp_path / "amo", {4: value})
    code, out, err = _run("history", str(folder))
    assert code == 1 and "Traceback" not in out + err
    assert f"{folder / 'leads.json'} page 1 {where}: {what}" in err, err
    assert "help: save the API answer as it came" in err


@pytest.mark.parametrize("command", ["history", "audit", "fit", "forecast"])
def test_every_command_that_reads_a_history_takes_loss_field(tmp_path: Path,
                                                              command: str) -> None:
    """The option reaches the reader in each: a code no deal has is refused alike."""
    folder = _bitrix24(tmp_path / "b24")
    funnel = tmp_path / "sales.funnel"
    funnel.write_text('account "A" { language en }\nsource "Сайт" 3/day -> "Продажи"."Новая"\n'
                      'pipeline "Продажи" sales {\n  stage "Новая" { -> "Встреча" 50%\n'
                      '    -> lost "Дорого" 50% }\n  stage "Встреча" { -> won }\n}\n',
                      encoding="utf-8")
    args = {"history": [str(folder)], "audit": [str(funnel), str(folder)],
            "fit": [str(folder), "--funnel", str(funnel)],
            "forecast": [str(folder), "--funnel", str(funnel), "--reps", "2"]}[command]
    code, out, err = _run(command, *args, "--loss-field", "UF_CRM_1")
    assert code == 2 and "Traceback" not in out + err
    assert "error: --loss-field UF_CRM_1: no deal userfield of the Bitrix24 export" in err
