"""A consultant's acceptance pass on `funnelc audit` and `history` from amoCRM and Bitrix24
API exports: small answers shaped as the vendors document them, every number worked out
by hand, each the exact input of a defect the pass found.

Shapes: Bitrix24 `crm.status.list` (bitrix24/b24restdocs, api-reference/crm/status/
crm-status-list.md: `ID`, `ENTITY_ID`, `STATUS_ID`, `NAME`, `SORT` as strings, `SEMANTICS`,
`EXTRA.SEMANTICS`; called without a filter it answers with every directory of
crm-status-entity-types.md: `STATUS`, `SOURCE`, `DEAL_STAGE`, `DEAL_TYPE`, ...),
`crm.stagehistory.list` (`result.items[]`, `next`, `total`), `crm.deal.list` (string ids,
`SOURCE_ID`, `ASSIGNED_BY_ID`); amoCRM v4 (biradrags/amo-docs, crm_platform/leads-api.md
and events-and-notes.md: `_embedded.leads[]`, `price`, `responsible_user_id`,
`_links.next`; events `lead_status_changed` and `entity_responsible_changed`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from history_formats import amocrm_sales_pipeline


def _history(folder: Path) -> dict:
    result = CliRunner().invoke(cli, ["history", str(folder), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _status(i: int, entity: str, code: str, name: str, sort: int,
            sem: str | None = None) -> dict:
    extra = {"S": "success", "F": "failure"}.get(sem or "", "process")
    return {"ID": str(100 + i), "ENTITY_ID": entity, "STATUS_ID": code, "NAME": name,
            "NAME_INIT": "", "SORT": str(sort), "SYSTEM": "N", "CATEGORY_ID": None,
            "COLOR": "#39A8EF", "SEMANTICS": sem, "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"}}


def _bitrix24_unfiltered_statuses(folder: Path) -> Path:
    """Four deals, two per source, all in «Новая» on 1–4 March 2024; deals 1 and 3 reach
    «Встреча», deal 2 is lost, deal 4 stays. The status list is `crm.status.list` without
    a filter: the deal stages, then lead statuses (whose `NEW` is «Не обработан»),
    sources and deal types."""
    folder.mkdir()
    statuses = [_status(i, *row) for i, row in enumerate([  # type: ignore[arg-type]
        ("DEAL_STAGE", "NEW", "Новая", 10), ("DEAL_STAGE", "PREPARATION", "Встреча", 20),
        ("DEAL_STAGE", "WON", "Сделка успешна", 60, "S"),
        ("DEAL_STAGE", "LOSE", "Сделка провалена", 70, "F"),
        ("STATUS", "NEW", "Не обработан", 10), ("STATUS", "IN_PROCESS", "В работе", 20),
        ("STATUS", "CONVERTED", "Качественный лид", 40, "S"),
        ("STATUS", "JUNK", "Некачественный лид", 50, "F"),
        ("SOURCE", "CALL", "Звонок", 10), ("SOURCE", "WEB", "Веб-сайт", 20),
        ("SOURCE", "ADVERTISING", "Реклама", 30),
        ("DEAL_TYPE", "SALE", "Продажа", 10), ("DEAL_TYPE", "COMPLEX", "Комплексная продажа", 20),
    ])]
    items = []
    for d, path in enumerate((["NEW", "PREPARATION"], ["NEW", "LOSE"], ["NEW", "PREPARATION"],
                              ["NEW"]), start=1):
        for k, stage in enumerate(path):
            items.append({"ID": str(len(items) + 1), "TYPE_ID": "1" if k == 0 else "2",
                          "OWNER_ID": str(d), "CREATED_TIME": f"2024-03-0{d}T1{k}:00:00+03:00",
                          "CATEGORY_ID": "0", "STAGE_ID": stage,
                          "STAGE_SEMANTIC_ID": "F" if stage == "LOSE" else "P"})
    deals = [{"ID": str(d), "TITLE": f"Сделка {d}", "CATEGORY_ID": "0", "STAGE_ID": "NEW",
              "OPPORTUNITY": "10000.00", "ASSIGNED_BY_ID": "1",
              "SOURCE_ID": "WEB" if d <= 2 else "ADVERTISING",
              "DATE_CREATE": f"2024-03-0{d}T10:00:00+03:00",
              "DATE_MODIFY": f"2024-03-0{d}T11:00:00+03:00"} for d in range(1, 5)]
    for name, doc in (("crm.status.list.json", {"result": statuses, "total": len(statuses)}),
                      ("crm.stagehistory.list.json", {"result": {"items": items},
                                                      "total": len(items)}),
                      ("crm.deal.list.json", {"result": deals, "total": 4})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def test_bitrix24_unfiltered_status_list_reads_deal_stages_and_names_sources(
        tmp_path: Path) -> None:
    """Every entry of the status list was a stage: «Звонок», «Продажа», «В работе» came
    between «Новая» and «Встреча» in the pipeline's order, so no pair of the history's
    stages was adjacent and `history` had no conversion, no managers and no sources at
    all; the lead status `NEW` named the deals' «Новая» «Не обработан»; and the sources
    were the codes `WEB` and `ADVERTISING`. By hand: «Новая» → «Встреча» 2 of 4, «Веб-
    сайт» 1 of 2, «Реклама» 1 of 2."""
    data = _history(_bitrix24_unfiltered_statuses(tmp_path / "b24"))
    assert data["order"]["stages"] == {"Общая": ["Новая", "Встреча"]}
    (row,) = [r for r in data["tables"]["conversion"] if r["month"] == "all"]
    assert (row["from_stage"], row["to_stage"], row["entered"], row["direct"]) == (
        "Новая", "Встреча", 4, 2)
    inflow = {(r["source"], r["deals"]) for r in data["tables"]["inflow"]}
    assert inflow == {("Веб-сайт", 2), ("Реклама", 2)}
    months = {(r["source"], r["entered"], r["reached"])
              for r in data["tables"]["source_months"]}
    assert months == {("Веб-сайт", 2, 1), ("Реклама", 2, 1)}


T0 = 1704099600  # 2024-01-01T09:00:00Z
PRICED = 100_000


def _amocrm_priced(folder: Path) -> Path:
    """Forty leads of January 2024. Anna (504141) moves 18 of her 20 from «Новая» to
    «Встреча», Boris (3944275) 4 of his 20; the others are lost. Every lead at «Встреча»
    is won. Even leads have a budget of 100,000, odd ones none, which amoCRM writes as
    `"price": 0`."""
    folder.mkdir()
    pipelines = amocrm_sales_pipeline()
    leads, events = [], []

    def move(lead: int, at: int, before: int, after: int, who: int) -> None:
        events.append({"id": f"01ev{len(events):04d}", "type": "lead_status_changed",
                       "entity_id": lead, "entity_type": "lead", "created_by": who,
                       "created_at": at, "account_id": 1,
                       "value_before": [{"lead_status": {"id": before, "pipeline_id": 77}}],
                       "value_after": [{"lead_status": {"id": after, "pipeline_id": 77}}]})

    for i in range(40):
        who = 504141 if i < 20 else 3944275
        met = i < 18 or 20 <= i < 24
        t = T0 + 3600 * i
        leads.append({"id": 1 + i, "name": f"Сделка {i}", "price": PRICED if i % 2 == 0 else 0,
                      "responsible_user_id": who, "group_id": 0,
                      "status_id": 142 if met else 143, "pipeline_id": 77,
                      "loss_reason_id": None, "source_id": None, "created_by": who,
                      "updated_by": who, "created_at": t, "updated_at": t + 7200,
                      "closed_at": t + 7200, "account_id": 1, "_embedded": {"tags": []}})
        if met:
            move(1 + i, t + 3600, 701, 702, who)
            move(1 + i, t + 7200, 702, 142, who)
        else:
            move(1 + i, t + 3600, 701, 143, who)
    users = {"_total_items": 2, "_embedded": {"users": [
        {"id": 504141, "name": "Анна", "email": "a@example.com", "lang": "ru"},
        {"id": 3944275, "name": "Борис", "email": "b@example.com", "lang": "ru"}]}}
    for name, doc in (("pipelines.json", pipelines), ("users.json", users),
                      ("leads.json", {"_page": 1, "_embedded": {"leads": leads}}),
                      ("events.json", {"_page": 1, "_embedded": {"events": events}})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def _bitrix24_priced(folder: Path) -> Path:
    """The same forty deals from Bitrix24: OPPORTUNITY "0.00" for the odd ones."""
    folder.mkdir()
    statuses = [_status(0, "DEAL_STAGE", "NEW", "Новая", 10),
                _status(1, "DEAL_STAGE", "PREPARATION", "Встреча", 20),
                _status(2, "DEAL_STAGE", "WON", "Сделка успешна", 60, "S"),
                _status(3, "DEAL_STAGE", "LOSE", "Сделка провалена", 70, "F")]
    items, deals = [], []
    for i in range(40):
        met = i < 18 or 20 <= i < 24
        path = ["NEW", "PREPARATION", "WON"] if met else ["NEW", "LOSE"]
        for k, stage in enumerate(path):
            items.append({"ID": str(len(items) + 1), "TYPE_ID": "1" if k == 0 else "2",
                          "OWNER_ID": str(100 + i),
                          "CREATED_TIME": f"2024-01-{1 + i // 10:02d}T{10 + i % 10}:{k}0:00+03:00",
                          "CATEGORY_ID": "0", "STAGE_ID": stage,
                          "STAGE_SEMANTIC_ID": {"WON": "S", "LOSE": "F"}.get(stage, "P")})
        deals.append({"ID": str(100 + i), "TITLE": f"Сделка {i}", "CATEGORY_ID": "0",
                      "STAGE_ID": path[-1], "OPPORTUNITY": f"{PRICED if i % 2 == 0 else 0:.2f}",
                      "CURRENCY_ID": "RUB", "ASSIGNED_BY_ID": "1" if i < 20 else "3",
                      "DATE_CREATE": f"2024-01-{1 + i // 10:02d}T{10 + i % 10}:00:00+03:00"})
    users = [{"ID": "1", "ACTIVE": True, "NAME": "Анна", "LAST_NAME": "", "USER_TYPE": "employee"},
             {"ID": "3", "ACTIVE": True, "NAME": "Борис", "LAST_NAME": "", "USER_TYPE": "employee"}]
    for name, doc in (("crm.status.list.json", {"result": statuses, "total": 4}),
                      ("crm.stagehistory.list.json", {"result": {"items": items},
                                                      "total": len(items)}),
                      ("crm.deal.list.json", {"result": deals, "total": 40}),
                      ("user.get.json", {"result": users, "total": 2})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def test_a_zero_budget_is_no_value(tmp_path: Path) -> None:
    """amoCRM writes `"price": 0` and Bitrix24 `"OPPORTUNITY": "0.00"` for a deal nobody
    priced; both were read as deals worth 0, so the audit's fix for missing values
    (4bcfff1: worth per deal with a value) never reached a CRM export. By hand: 22 deals
    reached «Встреча», all won, 11 with a budget of 100,000: a deal there is worth
    100,000 (not 1,100,000 / 22 = 50,000). Boris converts 4 of 20 against Anna's 18 of
    20: (0.9 − 0.2) × 20 = 14 deals short, 1,400,000 at stake (not 700,000)."""
    for folder in (_amocrm_priced(tmp_path / "amo"), _bitrix24_priced(tmp_path / "b24")):
        data = _history(folder)
        (finding,) = [f for f in data["tables"]["findings"] if f["kind"] == "manager_conversion"]
        assert finding["subject"] == "Борис"
        assert finding["deals"] == pytest.approx(14)
        assert finding["money"] == pytest.approx(14 * PRICED), folder.name


def test_amocrm_robot_move_goes_to_who_was_responsible_then(tmp_path: Path) -> None:
    """Lead 1 is Дарья's (5) when a robot (`created_by` 0) moves it from «Новая» to
    «Встреча» at 10:00; at 11:00 it is handed to Анна (1), the lead's
    `responsible_user_id` from then on, who wins it at 12:00. «Новая» was worked by Дарья:
    the robot's move went to Анна, who had not had the lead yet — on a 700-deal export,
    2 of the 43 deals Дарья had in «Новая» before she left were counted as Анна's."""
    folder = tmp_path / "amo"
    folder.mkdir()
    statuses = [{"id": 701, "name": "Новая", "sort": 10, "pipeline_id": 77},
                {"id": 702, "name": "Встреча", "sort": 20, "pipeline_id": 77},
                {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 77}]
    lead = {"id": 1, "name": "Сделка", "price": 1000, "responsible_user_id": 1,
            "status_id": 142, "pipeline_id": 77, "created_by": 5, "updated_by": 1,
            "created_at": T0, "updated_at": T0 + 10800, "closed_at": T0 + 10800,
            "account_id": 1}

    def event(n: int, kind: str, at: int, who: int, before: dict, after: dict) -> dict:
        return {"id": f"01ev{n}", "type": kind, "entity_id": 1, "entity_type": "lead",
                "created_by": who, "created_at": at, "account_id": 1,
                "value_before": [before], "value_after": [after]}

    events = [  # newest first, as amoCRM pages them
        event(3, "lead_status_changed", T0 + 10800, 1,
              {"lead_status": {"id": 702, "pipeline_id": 77}},
              {"lead_status": {"id": 142, "pipeline_id": 77}}),
        event(2, "entity_responsible_changed", T0 + 7200, 1, {"responsible_user": {"id": 5}},
              {"responsible_user": {"id": 1}}),
        event(1, "lead_status_changed", T0 + 3600, 0,
              {"lead_status": {"id": 701, "pipeline_id": 77}},
              {"lead_status": {"id": 702, "pipeline_id": 77}})]
    users = {"_embedded": {"users": [{"id": 1, "name": "Анна"}, {"id": 5, "name": "Дарья"}]}}
    for name, doc in (("pipelines.json", {"_embedded": {"pipelines": [
            {"id": 77, "name": "Продажи", "sort": 1, "is_main": True,
             "_embedded": {"statuses": statuses}}]}}), ("users.json", users),
            ("leads.json", {"_embedded": {"leads": [lead]}}),
            ("events.json", {"_page": 1, "_embedded": {"events": events}})):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    data = _history(folder)
    rows = {(r["manager"], r["from_stage"]): r["entered"] for r in data["tables"]["managers"]}
    # Анна closed it won from «Встреча»: the closing stage's step to the win is hers.
    assert rows == {("Дарья", "Новая"): 1, ("Анна", "Встреча"): 1}
    assert "ignored_event_types" not in data["quality"]["counts"]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_a_cut_amocrm_users_answer_keeps_the_users_before_the_cut(tmp_path: Path) -> None:
    """`GET /api/v4/users` cut off inside Борис's record: Анна's whole record before the
    cut was thrown away with it (no page of users was recognised in a cut file), so
    every manager was `user #ID`, with only «1 file cut mid-way» to say why."""
    folder = _amocrm_priced(tmp_path / "amo")
    users = folder / "users.json"
    text = users.read_text(encoding="utf-8")
    users.write_text(text[:text.index("Борис") + 2], encoding="utf-8")
    code, out, _ = _run("history", str(folder), "--format", "json")
    assert code == 1  # a record was cut off
    data = json.loads(out)
    assert {r["manager"] for r in data["tables"]["managers"]} == {"Анна", "user #3944275"}
    assert data["quality"]["dropped"] == {"truncated": 1}


def test_a_bitrix24_users_answer_keyed_by_id_is_refused_with_its_place(tmp_path: Path) -> None:
    """`user.get` saved with `result` an object keyed by the users' IDs (not the array
    the method answers with) was counted as one record «that fits no known shape» and the
    history went on, exit 0, naming every manager `user #1`, `user #3`."""
    folder = _bitrix24_priced(tmp_path / "b24")
    users = folder / "user.get.json"
    doc = json.loads(users.read_text(encoding="utf-8"))
    doc["result"] = {u["ID"]: u for u in doc["result"]}
    users.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    code, out, err = _run("history", str(folder))
    assert code == 1 and "Traceback" not in out + err
    assert f"{users} page 1: `result` is an object of records keyed by their ID" in err
    assert "help: save the API answer as it came" in err


FUNNEL = ('account "A" { language en }\n'
          'source "Сайт" 3/day -> "Продажи"."Новая"\n'
          'pipeline "Продажи" sales {\n  stage "Новая" { -> "Встреча" 50%\n'
          '    -> lost "Дорого" 50% }\n  stage "Встреча" { -> won }\n}\n')


def test_audit_of_a_bitrix24_export_that_names_no_pipeline(tmp_path: Path) -> None:
    """Without the optional `crm.category.list` answer the deals' pipeline is Bitrix24's
    default, «Общая» (it was `#0`), and the audit refused the funnel of the very account (exit 1, «no stage name of the
    history matches … did you mean "Продажи"."Новая"?») though every stage was spelled
    alike. One unnamed pipeline is matched as a CSV without a pipeline column is: the
    audit finds Борис 14 deals short at «Новая» → «Встреча», as by hand above."""
    folder = _bitrix24_priced(tmp_path / "b24")
    funnel = tmp_path / "sales.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    code, out, err = _run("audit", str(funnel), str(folder), "--format", "json")
    assert code == 0, err
    (finding,) = [f for f in json.loads(out)["findings"] if f["kind"] == "manager_conversion"]
    assert (finding["pipeline"], finding["stage"], finding["subject"]) == (
        "Продажи", "Новая", "Борис")
    assert finding["deals"] == pytest.approx(14)


@pytest.mark.parametrize(("stages", "name"), [
    (("Новая", "Сделка провалена"), "Общая"), (("Підготовка документів", "Угода провалена"), "Загальна"),
    (("New", "Deal failed"), "General")])
def test_the_default_pipeline_is_named_as_bitrix24_names_it(
        tmp_path: Path, stages: tuple[str, str], name: str) -> None:
    """auditreview L9: without `crm.category.list` every table read «воронка #0»; Bitrix24
    calls category 0 «Общая» / «Загальна» / "General", in the language the account named
    its stages in."""
    statuses = [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": stages[0],
                 "SORT": "10", "CATEGORY_ID": "0"},
                {"ID": "2", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "LOSE", "NAME": stages[1],
                 "SORT": "20", "SEMANTICS": "F", "CATEGORY_ID": "0"}]
    items = [{"ID": str(i + 1), "OWNER_ID": str(d), "CREATED_TIME": f"2026-03-0{d}T1{k}:00:00+03:00",
              "CATEGORY_ID": "0", "STAGE_ID": s, "STAGE_SEMANTIC_ID": "F" if s == "LOSE" else "P"}
             for i, (d, k, s) in enumerate([(1, 0, "NEW"), (1, 1, "LOSE"), (2, 0, "NEW")])]
    folder = tmp_path / "b24"
    folder.mkdir()
    for file, doc in (("statuses.json", {"result": statuses}),
                      ("history.json", {"result": {"items": items}})):
        (folder / file).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    data = _history(folder)
    assert {r["pipeline"] for r in data["tables"]["inflow"]} == {name}
    assert data["order"]["stages"] == {name: [stages[0]]}


def test_a_saved_error_answer_is_refused_with_its_place(tmp_path: Path) -> None:
    """A users answer saved when the token had expired — amoCRM's problem+json, Bitrix24's
    `error`/`error_description` — was one record «that fits no known shape»: exit 0, and
    every manager `user #ID`, with nothing to say the names were never there."""
    amo = _amocrm_priced(tmp_path / "amo")
    (amo / "users.json").write_text(json.dumps(
        {"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401,
         "detail": "Unauthorized"}), encoding="utf-8")
    code, out, err = _run("history", str(amo))
    assert code == 1 and "Traceback" not in out + err
    assert (f"{amo / 'users.json'} page 1: an amoCRM error answer (HTTP 401 Unauthorized), "
            "not data") in err
    assert "help: request it again and save the answer that has `_embedded`" in err
    b24 = _bitrix24_priced(tmp_path / "b24")
    (b24 / "user.get.json").write_text(json.dumps(
        {"error": "expired_token", "error_description": "The access token provided has expired."}),
        encoding="utf-8")
    code, out, err = _run("history", str(b24))
    assert code == 1 and "Traceback" not in out + err
    assert (f"{b24 / 'user.get.json'} page 1: a Bitrix24 error answer (expired_token: The "
            "access token provided has expired.), not data") in err
    assert "help: call the method again and save the answer that has `result`" in err


def test_an_unknown_user_is_named_in_the_account_language(tmp_path: Path) -> None:
    """A user missing from the users answer (a deleted employee) is `user #ID` in the
    JSON, and was the same English words in a Russian report and audit."""
    folder = _amocrm_priced(tmp_path / "amo")
    users = folder / "users.json"
    text = users.read_text(encoding="utf-8")
    users.write_text(text[:text.index("Борис") + 2], encoding="utf-8")
    funnel = tmp_path / "ru.funnel"
    funnel.write_text(FUNNEL.replace("language en", "language ru"), encoding="utf-8")
    code, out, _ = _run("audit", str(funnel), str(folder))
    flat = " ".join(out.split())
    assert code == 1, out  # the users answer is cut: a problem in the input
    assert "пользователь #3944275" in flat and "user #" not in flat, flat
    code, out, _ = _run("history", str(folder), "--funnel", str(funnel))
    assert code == 1, out
    assert "пользователь #3944275" in out and "user #3944275" not in out
