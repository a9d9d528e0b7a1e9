"""Bitrix24 deal amounts in one currency (`history.deal_currency`). A deal's
`OPPORTUNITY` is in its own `CURRENCY_ID`: an equipment seller's $10 000 machine was read
as 10 000 ₴, a fortieth of itself, beside its hryvnia deals, and every sum the audit
printed mixed the two. With `crm.currency.list` (b24restdocs
`api-reference/crm/currency/crm-currency-list.md`: `AMOUNT` of the base currency for
`AMOUNT_CNT` units) every amount is read in the base currency; without it, the deals in
a minority currency keep no value and a note says so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.load import load_history

# deal: (path, OPPORTUNITY, CURRENCY_ID)
DEALS: dict[int, tuple[list[str], str, str]] = {
    1: (["NEW", "PREPARATION", "WON"], "400000.00", "UAH"),
    2: (["NEW", "PREPARATION", "WON"], "10000.00", "USD"),
    3: (["NEW", "LOSE"], "200000.00", "UAH"),
    4: (["NEW", "PREPARATION", "LOSE"], "5000.00", "USD"),
    5: (["NEW", "WON"], "2000.00", "EUR"),
    6: (["NEW"], "100000.00", "UAH"),
    7: (["NEW", "LOSE"], "0.00", "USD"),
}
CURRENCIES = [
    {"CURRENCY": "UAH", "AMOUNT_CNT": "1", "AMOUNT": "1.0000", "SORT": "100", "BASE": "Y",
     "FULL_NAME": "Гривня", "LID": "ua", "FORMAT_STRING": "# ₴", "DEC_POINT": ",",
     "THOUSANDS_SEP": "&nbsp;", "DECIMALS": "2", "DATE_UPDATE": "2026-10-01T09:00:00+03:00"},
    {"CURRENCY": "USD", "AMOUNT_CNT": "1", "AMOUNT": "41.5000", "SORT": "200", "BASE": "N",
     "FULL_NAME": "Долар США", "LID": "ua", "FORMAT_STRING": "$#", "DEC_POINT": ".",
     "THOUSANDS_SEP": None, "DECIMALS": "2", "DATE_UPDATE": "2026-10-01T09:00:00+03:00"},
    {"CURRENCY": "EUR", "AMOUNT_CNT": "10", "AMOUNT": "452.0000", "SORT": "300", "BASE": "N",
     "FULL_NAME": "Євро", "LID": "ua", "FORMAT_STRING": "# €", "DEC_POINT": ",",
     "THOUSANDS_SEP": "&nbsp;", "DECIMALS": "2", "DATE_UPDATE": "2026-10-01T09:00:00+03:00"},
]


def _status(i: int, entity: str, sid: str, name: str, sort: int, sem: str = "") -> dict[str, Any]:
    return {"ID": str(i + 1), "ENTITY_ID": entity, "STATUS_ID": sid, "NAME": name,
            "NAME_INIT": "", "SORT": str(sort), "SYSTEM": "Y", "CATEGORY_ID": None,
            "COLOR": "#39A8EF", "SEMANTICS": sem or None, "EXTRA": {"SEMANTICS": sem or "process"}}


def _export(folder: Path, rates: bool) -> list[str]:
    folder.mkdir()
    statuses = [_status(i, "DEAL_STAGE", *row) for i, row in enumerate([
        ("NEW", "Нова", 10), ("PREPARATION", "Зустріч", 20), ("WON", "Угода успішна", 60, "S"),
        ("LOSE", "Угода провалена", 70, "F")])]
    items, deals = [], []
    for d, (path, amount, cur) in DEALS.items():
        for k, stage in enumerate(path):
            items.append({"ID": str(len(items) + 1), "TYPE_ID": "1" if k == 0 else "2",
                          "OWNER_ID": str(d), "CREATED_TIME": f"2026-10-0{d}T1{k}:00:00+03:00",
                          "CATEGORY_ID": "0", "STAGE_ID": stage,
                          "STAGE_SEMANTIC_ID": {"WON": "S", "LOSE": "F"}.get(stage, "P")})
        deals.append({"ID": str(d), "TITLE": f"Угода #{d}", "CATEGORY_ID": "0",
                      "STAGE_ID": path[-1], "OPPORTUNITY": amount, "CURRENCY_ID": cur,
                      "ASSIGNED_BY_ID": "1", "DATE_CREATE": f"2026-10-0{d}T10:00:00+03:00"})
    answers: dict[str, Any] = {
        "crm.status.list.json": {"result": statuses, "total": len(statuses)},
        "crm.stagehistory.list.json": {"result": {"items": items}, "total": len(items)},
        "crm.deal.list.json": {"result": deals, "total": len(deals)}}
    if rates:
        answers["crm.currency.list.json"] = {"result": CURRENCIES, "total": 0}
    for name, doc in answers.items():
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return [str(folder)]


def _values(paths: list[str]) -> tuple[dict[str, float | None], list[object]]:
    h = load_history(paths, tz="Europe/Kyiv")
    v = h.events.group_by("deal_id").agg(pl.col("value").first()).sort("deal_id")
    return dict(v.iter_rows()), [n.currencies for n in h.quality.notes if n.kind == "currencies"]


def test_with_the_rates_every_amount_is_in_the_base_currency(tmp_path: Path) -> None:
    values, [note] = _values(_export(tmp_path / "b24", rates=True))
    assert values == {"1": 400_000.0, "2": pytest.approx(415_000.0), "3": 200_000.0,
                      "4": pytest.approx(207_500.0), "5": pytest.approx(90_400.0),
                      "6": 100_000.0, "7": None}
    assert note is not None
    assert note.currency == "UAH"
    assert [(c, n, round(r, 4)) for c, n, r in note.converted] == [("USD", 2, 41.5),
                                                                  ("EUR", 1, 45.2)]
    assert note.left == ()


def test_without_them_the_minority_currencies_keep_no_value(tmp_path: Path) -> None:
    """Three priced deals in UAH, two in USD (the «0.00» one is unpriced), one in EUR."""
    paths = _export(tmp_path / "b24", rates=False)
    values, [note] = _values(paths)
    assert values == {"1": 400_000.0, "2": None, "3": 200_000.0, "4": None, "5": None,
                      "6": 100_000.0, "7": None}
    assert note is not None and note.currency == "UAH"
    assert (note.converted, note.left) == ((), (("USD", 2), ("EUR", 1)))
    res = CliRunner().invoke(cli, ["history", *paths, "--tz", "Europe/Kyiv", "--lang", "uk",
                                   "-o", str(tmp_path / "out")],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("суми угод у кількох валютах і читаються в UAH: 2 угоди в USD лишаються без "
            "суми: у вивантаженні немає курсу USD") in text


def test_one_currency_is_read_as_it_is(tmp_path: Path) -> None:
    """An account with one currency, as the shipped exports, has no note and no change."""
    folder = tmp_path / "b24"
    paths = _export(folder, rates=True)
    deals = json.loads((folder / "crm.deal.list.json").read_text(encoding="utf-8"))
    for d in deals["result"]:
        d["CURRENCY_ID"] = "UAH"
    (folder / "crm.deal.list.json").write_text(json.dumps(deals), encoding="utf-8")
    values, notes = _values(paths)
    assert notes == [] and values["2"] == 10_000.0
