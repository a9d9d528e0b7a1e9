"""Issue 14, point 1: the readers take the manager of each deal from what the CRMs
document, and `funnelc history` shows the managers by name.

Fixtures follow the vendors' documented answers:
- amoCRM `GET /api/v4/leads`: `responsible_user_id` on each lead (amocrm/amocrm-api-php,
  src/AmoCRM/Models/LeadModel.php); `GET /api/v4/events`: `created_by` on each event
  (shared/research/crm-formats.md §6.1); `GET /api/v4/users`: `_embedded.users[]` with
  `id`, `name`, `email`, `lang`, `rights` (amocrm-api-php @0a2c240,
  src/AmoCRM/Models/UserModel.php `fromArray`, src/AmoCRM/EntitiesServices/Users.php).
- Bitrix24 `crm.deal.list`: `ASSIGNED_BY_ID` as a string id; `user.get`: `result[]` with
  `ID`, `ACTIVE`, `NAME`, `LAST_NAME`, `EMAIL`, `USER_TYPE`, plus `total` and `time`
  (bitrix-tools/b24-rest-docs @04db3f1, api-reference/user/user-get.md, «Обработка
  ответа»).
- CSV: a `manager` column (or `менеджер`, `ответственный`).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

T0 = 1704096000  # 2024-01-01T08:00:00Z


def _history(*paths: Path) -> dict:
    result = CliRunner().invoke(cli, ["history", *map(str, paths), "--format", "json"],
                                env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _managers(data: dict) -> dict[tuple[str, str], int]:
    return {(r["manager"], r["from_stage"]): r["entered"] for r in data["tables"]["managers"]}


def _amocrm(folder: Path, with_users: bool = True) -> list[Path]:
    folder.mkdir()
    pipelines = {"_embedded": {"pipelines": [{
        "id": 77, "name": "Продажи", "sort": 1, "is_main": True, "_embedded": {"statuses": [
            {"id": 701, "name": "Новая", "sort": 10, "pipeline_id": 77},
            {"id": 702, "name": "Встреча", "sort": 20, "pipeline_id": 77},
            {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 77},
            {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000,
             "pipeline_id": 77}]}}]}}
    leads = {"_page": 1, "_embedded": {"leads": [
        {"id": 1 + i, "name": f"Сделка {i}", "price": 50000, "responsible_user_id": 504141,
         "group_id": 0, "status_id": 702, "pipeline_id": 77, "loss_reason_id": None,
         "created_by": 504141, "updated_by": 504141, "created_at": T0 + 3600 * i,
         "updated_at": T0 + 3600 * i + 90000, "closed_at": None, "account_id": 28805383}
        for i in range(4)]}}
    # Lead 1's move is made by another user (created_by 3944275), lead 2's by a robot (0):
    # then the lead's responsible user stands.
    events = {"_page": 1, "_embedded": {"events": [
        {"id": f"01ev{i}", "type": "lead_status_changed", "entity_id": 1 + i,
         "entity_type": "lead", "created_by": (504141, 3944275, 0, 504141)[i],
         "created_at": T0 + 3600 * i + 7200, "account_id": 28805383,
         "value_after": [{"lead_status": {"id": 702, "pipeline_id": 77}}],
         "value_before": [{"lead_status": {"id": 701, "pipeline_id": 77}}]}
        for i in range(4)]}}
    users = {"_total_items": 2, "_page": 1, "_page_count": 1,
             "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/users/?page=1"}},
             "_embedded": {"users": [
                 {"id": 504141, "name": "Ольга Петрова", "email": "olga@example.com",
                  "lang": "ru", "rights": {"leads": {"view": "A", "edit": "A"}},
                  "_links": {"self": {"href": "https://example.amocrm.ru/api/v4/users/504141"}}},
                 {"id": 3944275, "name": "Иван Сидоров", "email": "ivan@example.com",
                  "lang": "ru", "rights": {"leads": {"view": "A", "edit": "A"}},
                  "_links": {"self": {"href":
                                      "https://example.amocrm.ru/api/v4/users/3944275"}}}]}}
    docs = {"pipelines.json": pipelines, "leads.json": leads, "events.json": events}
    if with_users:
        docs["users.json"] = users
    for name, doc in docs.items():
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return [folder]


def test_amocrm_managers_by_name_from_users_answer(tmp_path: Path) -> None:
    m = _managers(_history(*_amocrm(tmp_path / "amo")))
    # «Новая»: who moved the deal out of it (created_by), the robot's move by the lead's
    # responsible user.
    assert m[("Ольга Петрова", "Новая")] == 3
    assert m[("Иван Сидоров", "Новая")] == 1


def test_amocrm_managers_without_users_answer_are_ids(tmp_path: Path) -> None:
    m = _managers(_history(*_amocrm(tmp_path / "amo", with_users=False)))
    assert m[("user #504141", "Новая")] == 3 and m[("user #3944275", "Новая")] == 1


def test_amocrm_batch_close_by_the_head_counts_for_each_leads_manager(tmp_path: Path
                                                                     ) -> None:
    """The head of sales closes twelve stale «Встреча» leads of Ольга's as lost in one
    mass action (a move every 5 seconds): she did not work them, so they count for Ольга
    at «Встреча», as a robot's move does. Counted for the head, she read «0% against …»
    with the team's money at stake, the audit's first finding (a car dealer's 69 leads
    cleaned up at quarters' ends: «0% against 53.37% … 67 541 402 ₽»)."""
    folder = tmp_path / "amo"
    _amocrm(folder)
    olga, head = 504141, 3944275
    leads = [{"id": 100 + i, "name": f"Сделка {i}", "price": 50000, "responsible_user_id": olga,
              "group_id": 0, "status_id": 143 if i < 12 else 142, "pipeline_id": 77,
              "loss_reason_id": None, "created_by": olga, "updated_by": olga,
              "created_at": T0 + 3600 * i, "updated_at": T0 + 3600 * i,
              "closed_at": None, "account_id": 28805383} for i in range(16)]
    batch = T0 + 40 * 86400
    events = [
        {"id": f"02ev{i}{k}", "type": "lead_status_changed", "entity_id": 100 + i,
         "entity_type": "lead", "created_by": who, "created_at": when,
         "account_id": 28805383,
         "value_after": [{"lead_status": {"id": after, "pipeline_id": 77}}],
         "value_before": [{"lead_status": {"id": before, "pipeline_id": 77}}]}
        for i in range(16) for k, (who, when, before, after) in enumerate((
            (olga, T0 + 3600 * i + 7200, 701, 702),
            (head, batch + 5 * i, 702, 143) if i < 12
            else (olga, T0 + 3600 * i + 86400, 702, 142)))]
    (folder / "leads2.json").write_text(json.dumps(
        {"_page": 2, "_embedded": {"leads": leads}}, ensure_ascii=False), encoding="utf-8")
    (folder / "events2.json").write_text(json.dumps(
        {"_page": 2, "_embedded": {"events": events}}, ensure_ascii=False), encoding="utf-8")
    m = _managers(_history(folder))
    # Ольга: the 3 leads of `_amocrm` she moved into «Встреча», the one Иван moved there
    # that is still open and hers (a deal still in a stage counts for who has it now,
    # tests/test_mgr2_open_deal_holder.py), and these 16. Иван, the head: none of the 12
    # he closed in one mass action; his own move out of «Новая», made one at a time,
    # counts for him.
    assert m[("Ольга Петрова", "Встреча")] == 20
    assert m.get(("Иван Сидоров", "Встреча"), 0) == 0 and m[("Иван Сидоров", "Новая")] == 1


def test_bitrix24_managers_from_assigned_by_and_user_get(tmp_path: Path) -> None:
    statuses = {"result": [
        {"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": "Новая", "SORT": "10",
         "SEMANTICS": None, "CATEGORY_ID": "0"},
        {"ID": "2", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "PREPARATION", "NAME": "Встреча",
         "SORT": "20", "SEMANTICS": None, "CATEGORY_ID": "0"},
        {"ID": "3", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "WON", "NAME": "Сделка успешна",
         "SORT": "60", "SEMANTICS": "S", "CATEGORY_ID": "0"}], "total": 3}
    history = {"result": {"items": [
        item for i in range(4) for item in (
            {"ID": str(10 * i + 1), "TYPE_ID": "1", "OWNER_ID": str(100 + i),
             "CREATED_TIME": f"2024-01-0{1 + i}T10:00:00+03:00", "CATEGORY_ID": "0",
             "STAGE_SEMANTIC_ID": "P", "STAGE_ID": "NEW"},
            {"ID": str(10 * i + 2), "TYPE_ID": "2", "OWNER_ID": str(100 + i),
             "CREATED_TIME": f"2024-01-0{2 + i}T10:00:00+03:00", "CATEGORY_ID": "0",
             "STAGE_SEMANTIC_ID": "P", "STAGE_ID": "PREPARATION"})]}, "total": 8}
    deals = {"result": [
        {"ID": str(100 + i), "TITLE": f"Сделка {i}", "CATEGORY_ID": "0", "STAGE_ID": "PREPARATION",
         "OPPORTUNITY": "50000.00", "ASSIGNED_BY_ID": ("1", "1", "3", "1")[i],
         "DATE_CREATE": f"2024-01-0{1 + i}T10:00:00+03:00",
         "DATE_MODIFY": f"2024-01-0{2 + i}T10:00:00+03:00"} for i in range(4)], "total": 4}
    users = {"result": [
        {"ID": "1", "ACTIVE": True, "NAME": "Вадим", "LAST_NAME": "Валеев", "SECOND_NAME": "",
         "EMAIL": "v.r.valeev@example.com", "UF_DEPARTMENT": [1], "USER_TYPE": "employee"},
        {"ID": "3", "ACTIVE": True, "NAME": "Иван", "LAST_NAME": "Иванов",
         "EMAIL": "test@example.com", "UF_DEPARTMENT": [1], "USER_TYPE": "employee"}],
        "total": 2, "time": {"start": 1721913235.39, "finish": 1721913235.45}}
    folder = tmp_path / "b24"
    folder.mkdir()
    for name, doc in (("statuses.json", statuses), ("history.json", history),
                      ("deals.json", deals), ("users.json", users)):
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    m = _managers(_history(folder))
    assert m[("Вадим Валеев", "Новая")] == 3 and m[("Иван Иванов", "Новая")] == 1


def test_csv_manager_column_russian_header(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    rows = ["deal_id;timestamp;воронка;stage;менеджер"]
    for i in range(6):
        who = "Оля" if i % 3 else "Петя"
        rows += [f"{i};2024-01-0{1 + i}T10:00:00;Продажи;Новая;{who}",
                 f"{i};2024-01-0{2 + i}T10:00:00;Продажи;Встреча;{who}"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    m = _managers(_history(path))
    assert m == {("Оля", "Новая"): 4, ("Петя", "Новая"): 2}


def test_csv_batch_close_by_the_head_counts_for_each_deals_manager(tmp_path: Path) -> None:
    """A CSV's per-row manager names who made the move: the head of sales who closes
    twelve stale «Встреча» deals of three managers as lost in one go (a row every 5
    seconds, in a file of her own) did not work them, so they count for the managers
    whose earlier rows name them, as amoCRM's mass action does. Counted for her, she read
    0 of 12 against the team's 24 of 48, a finding, and the managers were spared the
    losses: 8 of 16 at «Встреча» each, not 8 of 20."""
    rows, closes = ["deal_id;timestamp;воронка;stage;менеджер"], ["deal_id;timestamp;воронка;stage;менеджер"]
    for m, who in enumerate(("Оля", "Петя", "Вася")):
        for k in range(20):
            deal, day = 100 * m + k, 1 + k
            rows += [f"{deal};2024-01-{day:02d} 10:{m:02d}:00;Продажи;Новая;{who}",
                     f"{deal};2024-01-{day + 1:02d} 11:{m:02d}:00;Продажи;Встреча;{who}"]
            if k < 8:
                rows += [f"{deal};2024-02-{day:02d} 12:{m:02d}:00;Продажи;Договор;{who}",
                         f"{deal};2024-02-{day + 2:02d} 12:{m:02d}:00;Продажи;won;{who}"]
            elif k < 12:
                rows.append(f"{deal};2024-02-{day:02d} 12:{m:02d}:00;Продажи;lost;{who}")
            elif k < 16:
                s = 5 * (4 * m + k - 12)
                closes.append(f"{deal};2024-03-29 17:{s // 60:02d}:{s % 60:02d};Продажи;lost;"
                              "Волкова Анна")
    history = tmp_path / "history.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    quarter = tmp_path / "closes_q1.csv"
    quarter.write_text("\n".join(closes) + "\n", encoding="utf-8")
    data = _history(history, quarter)
    meeting = {r["manager"]: (r["reached"], r["entered"], r["lost"])
               for r in data["tables"]["managers"] if r["from_stage"] == "Встреча"}
    assert meeting == {who: (8, 20, 8) for who in ("Оля", "Петя", "Вася")}
    assert not any("Волкова" in json.dumps(f, ensure_ascii=False)
                   for f in data["tables"]["findings"])


def test_csv_fast_moves_of_own_deals_and_days_without_a_clock_stay_as_written(
        tmp_path: Path) -> None:
    """What the mass-action rule leaves alone: Оля moving twelve of her own deals into
    «Встреча» within a minute is her work, and Петя closing twelve of Вася's deals on a
    day written without a clock (every row of that day at midnight) cannot be told from
    a day's work one at a time: both stay as written."""
    rows = ["deal_id;timestamp;stage;менеджер"]
    for k in range(12):
        rows += [f"O{k};2024-01-{1 + k:02d} 10:00:00;Новая;Оля",
                 f"O{k};2024-02-01 12:00:{5 * k:02d};Встреча;Оля",
                 f"O{k};2024-02-20 12:00:00;won;Оля",
                 f"V{k};2024-01-{1 + k:02d} 11:00:00;Новая;Вася",
                 f"V{k};2024-01-{2 + k:02d} 11:00:00;Встреча;Вася",
                 f"V{k};2024-03-29;lost;Петя"]
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    m = _managers(_history(path))
    assert m[("Оля", "Новая")] == 12 and m[("Петя", "Встреча")] == 12
    assert ("Вася", "Встреча") not in m
