"""Repeat buyers are not premature losses (issue 14 point 1, seed 001): a Yekaterinburg
packaging wholesaler's Bitrix24 deals (tests/data/supplies_b24_ru, seed 1). Ольга
Сорокина, the key-account manager, serves 22 regular clients who order every 30–60
days; 22 % of her quotes are lost on price or timing and the client orders again all
the same. Денис Жуков closes lukewarm new prospects as lost at «Расчёт КП», and 60 %
of them come back as a new deal of the same contact within weeks.

A later deal of the same client within 180 days counted as a comeback whoever the client
was, so every regular's next order made Сорокина's lost quote «premature»: the audit's
first finding accused her of closing 73 of 73 losses too early (6.8 M ₽ «at stake")
against the new-business team's 12 %, and her false comparisons in Holm's family hid
nothing only by luck. A new deal of a client who had bought in the pipeline before the
loss is its next order, not a comeback (`transitions.first_new_deal`).

Every figure is counted by hand from the generator's own records (`Deal.path`,
`Deal.contact`, `Deal.won_at`), with scipy for the p-value, not from funnelc's tables."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from scipy.stats import chi2_contingency

from cli_once import HistoryRun, history_once
from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "supplies_b24_ru"
FUNNEL = DATA / "supplies.funnel"
TZ = "Asia/Yekaterinburg"
ENV = {"NO_COLOR": "1", "COLUMNS": "400"}
WINDOW = timedelta(days=180)
STAGES = {"NEW": "Новая заявка", "PREPARATION": "Расчёт КП", "EXECUTING": "КП отправлено",
          "FINAL_INVOICE": "Счёт выставлен"}
PAIRS = [("NEW", "PREPARATION"), ("PREPARATION", "EXECUTING"),
         ("EXECUTING", "FINAL_INVOICE"), ("FINAL_INVOICE", "WON")]


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return data_generator("supplies_b24_ru")


@pytest.fixture(scope="module")
def export(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, list]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("supplies")
    deals = gen.write(out, 1)
    return out / "bitrix24", deals


def _history(export: Path) -> HistoryRun:
    """`history -o -q` of the export, once a session: its history.json is what `--format
    json` prints (`cli_once.history_once`), for the three tests reading it and the one
    reading the page."""
    return history_once([export, "--tz", TZ, "--funnel", FUNNEL, "-q"], ENV)


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def _name(gen: ModuleType, uid: str) -> str:
    first, last, _ = gen.MANAGERS[uid]
    return f"{first} {last}"


def _nearest_q90(xs: list[float]) -> float:
    """polars' quantile(0.9) with its default 'nearest' interpolation."""
    xs = sorted(xs)
    return xs[int((len(xs) - 1) * 0.9 + 0.5)]


def _losses(gen: ModuleType, deals: list, buyers_count: bool) -> list[dict]:  # type: ignore[type-arg]
    """Every loss right after a pair's first stage (no deal here is reopened), per
    manager: whether the client came back (a later deal of the same contact within 180
    days; with `buyers_count` False, only when the client had won no deal before the
    loss), whether it was a buyer's next order, and whether it is old enough to tell
    (as old as 90 % of the pair's comebacks took, or came back)."""
    end = max(t for d in deals for t, _, _ in d.path)
    rows: list[dict] = []  # type: ignore[type-arg]
    for a, b in PAIRS:
        pair: list[dict] = []  # type: ignore[type-arg]
        for d in deals:
            stages = [s for _, s, _ in d.path]
            if a not in stages:
                continue
            after = d.path[stages.index(a) + 1:]
            if not after or after[0][1] != "LOSE":
                continue
            tl: datetime = after[0][0]
            new = sorted((e for e in deals if e.contact == d.contact and e is not d
                          and tl < e.created <= tl + WINDOW), key=lambda e: e.created)
            buyer = any(e.won_at is not None and e.won_at < tl
                        for e in deals if e.contact == d.contact)
            back = bool(new) and (buyers_count or not buyer)
            pair.append({"pair": (a, b), "who": _name(gen, d.manager), "tl": tl,
                         "back": back, "repeat": bool(new) and buyer and not buyers_count,
                         "other": back and new[0].manager != d.manager,
                         "won": back and new[0].won_at is not None,
                         "hours": (new[0].created - tl).total_seconds() / 3600
                         if back else None})
        q = _nearest_q90([r["hours"] for r in pair if r["hours"] is not None] or [0.0])
        for r in pair:
            r["settled"] = r["back"] or (end - r["tl"]).total_seconds() / 3600 >= q
        rows += pair
    return rows


def _count(rows: list[dict], pair: tuple[str, str], keep) -> tuple[int, int, int]:  # type: ignore[no-untyped-def, type-arg]
    mine = [r for r in rows if r["pair"] == pair and keep(r["who"])]
    return (sum(r["settled"] for r in mine), sum(r["back"] for r in mine),
            sum(r["repeat"] for r in mine))


KAM, CULPRIT = "Ольга Сорокина", "Денис Жуков"
QUOTE = ("EXECUTING", "FINAL_INVOICE")
CALC = ("PREPARATION", "EXECUTING")


def test_the_story_is_in_the_records(gen: ModuleType, export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # Counted as before (any later deal of the client is a comeback), every one of the
    # key-account manager's settled lost quotes came back; as the rule reads now, only
    # those of clients with no purchase in the export before the loss (a regular whose
    # first quote in the account was lost) do. The culprit's prospects had never bought.
    deals = export[1]
    old, new = _losses(gen, deals, True), _losses(gen, deals, False)
    assert _count(old, QUOTE, lambda w: w == KAM)[:2] == (73, 73)
    assert _count(old, QUOTE, lambda w: w != KAM)[:2] == (100, 12)
    assert _count(new, QUOTE, lambda w: w == KAM) == (65, 7, 66)
    assert _count(new, QUOTE, lambda w: w != KAM)[:2] == (71, 5)
    assert _count(new, CALC, lambda w: w == CULPRIT) == (31, 15, 0)
    assert _count(new, CALC, lambda w: w != CULPRIT) == (31, 1, 0)
    assert _count(old, CALC, lambda w: True) == _count(new, CALC, lambda w: True)


def test_the_key_account_manager_is_not_accused(export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    audit = json.loads(_run("audit", str(FUNNEL), str(export[0]), "--tz", TZ,
                            "--format", "json"))
    accused = {f["subject"] for f in audit["findings"] if f["kind"] == "premature_losses"}
    assert accused == {CULPRIT}


def test_the_culprit_stays_flagged_with_his_figures(
        gen: ModuleType, export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    deals = export[1]
    audit = json.loads(_run("audit", str(FUNNEL), str(export[0]), "--tz", TZ,
                            "--format", "json"))
    (f,) = [f for f in audit["findings"] if f["kind"] == "premature_losses"]
    rows = _losses(gen, deals, False)
    n, back, _ = _count(rows, CALC, lambda w: w == CULPRIT)
    rn, rback, _ = _count(rows, CALC, lambda w: w != CULPRIT)
    assert (f["subject"], f["stage"], f["n"]) == (CULPRIT, "Расчёт КП", n)
    assert f["observed"] == pytest.approx(back / n)
    assert f["expected"] == pytest.approx(rback / rn)
    p = chi2_contingency([[back, n - back], [rback, rn - rback]], correction=False)[1]
    assert f["p_value"] == pytest.approx(p, rel=1e-6)
    assert p < 0.05 / 20  # clear against all 20 (manager, pair) comparisons
    mine = [r for r in rows if r["pair"] == CALC and r["who"] == CULPRIT]
    assert f["came_back"] == {"reopened": 0, "new_deal": back, "window_days": 180,
                              "other_manager": sum(r["other"] for r in mine),
                              "won": sum(r["won"] for r in mine)}
    # The stage's worth: the won value per deal that entered «Расчёт КП».
    entered = [d for d in deals if "PREPARATION" in [s for _, s, _ in d.path]]
    worth = sum(d.value for d in entered if d.won_at is not None) / len(entered)
    extra = (back / n - rback / rn) * n
    assert f["deals"] == pytest.approx(extra)
    assert f["money"] == pytest.approx(extra * worth, rel=1e-9)


def test_the_managers_table_counts_repeat_orders_apart(
        gen: ModuleType, export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # history.json's managers table: each manager's comebacks and the buyers' next
    # orders set aside, at every pair, as counted by hand.
    hist = json.loads(_history(export[0]).json)
    rows = _losses(gen, export[1], False)
    table = hist["tables"]["managers"]
    assert len(table) == 20
    for r in table:
        pair = next(p for p in PAIRS if STAGES[p[0]] == r["from_stage"])
        n, back, repeat = _count(rows, pair, lambda w, who=r["manager"]: w == who)
        assert (r["lost_settled"], r["came_back"], r["came_back_new"], r["repeat_orders"]) \
            == (n, back, back, repeat), r
    kam = next(r for r in table if r["manager"] == KAM and r["from_stage"] == "КП отправлено")
    assert not kam["premature_flagged"] and kam["repeat_orders"] == 66


def test_the_history_counts_no_repeat_order_as_a_comeback(
        gen: ModuleType, export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # «Проигранные сделки, которые вернулись»: every loss whose client came back as a
    # new deal within 180 days, not a buyer's next order.
    deals = export[1]
    back = repeat = 0
    for d in deals:
        tl = d.path[-1][0]
        if d.path[-1][1] != "LOSE":
            continue
        new = [e for e in deals if e.contact == d.contact and e is not d
               and tl < e.created <= tl + WINDOW]
        buyer = any(e.won_at is not None and e.won_at < tl for e in deals
                    if e.contact == d.contact)
        back += bool(new) and not buyer
        repeat += bool(new) and buyer
    hist = json.loads(_history(export[0]).json)
    rows = hist["tables"]["comebacks"]
    assert (back, repeat) == (28, 79)
    assert sum(r["came_back"] for r in rows) == sum(r["new_deal"] for r in rows) == back


def test_the_table_says_a_buyer_s_next_order_is_no_comeback(
        export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    page = " ".join((_history(export[0]).folder / "history.html").read_text(
        encoding="utf-8").split())
    assert "или в течение 180 дней новая сделка клиента, который до отказа ничего не " \
           "покупал в воронке: следующий заказ покупателя — повторная покупка, а не " \
           "возвращение)" in page
    assert "кроме клиента, который уже покупал в воронке до отказа: его следующий заказ " \
           "— повторная покупка" in page
    assert '<th scope="col" class="n">повторные заказы</th>' in page
    assert "против сделок остальных источников, без заказов клиентов, которые уже покупали " \
           "в воронке (это не заявки)" in page


def test_a_buyer_s_order_is_no_lead_of_its_source(
        export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # «Какой источник приносит некачественные заявки»: the 454 orders of existing
    # clients («Существующий клиент»), none of them junk, stood in the other sources'
    # share, and the site's 13 «Нецелевой запрос» of 213 read 6.1% against 1.93%
    # (p = 0.0016), a finding; its fellow sources of new clients had 13 of 221. A deal of
    # a client who had bought in the pipeline before it entered is left out, on both sides.
    deals = export[1]
    leads = [d for d in deals if not any(e.won_at is not None and e.won_at < d.created
                                         for e in deals if e.contact == d.contact)]
    assert len(leads) == 463 and len(deals) == 888
    names = {"PARTNER": "Существующий клиент", "WEB": "Веб-сайт", "CALL": "Звонок",
             "TRADE_SHOW": "Выставка"}
    junk = {s: sum(d.source == s and d.path[-1][2] == "Нецелевой запрос" for d in leads)
            for s in names}
    n = {s: sum(d.source == s for d in leads) for s in names}
    hist = json.loads(_history(export[0]).json)
    rows = {r["source"]: r for r in hist["tables"]["source_junk"]}
    assert set(rows) == set(names.values())
    for s, name in names.items():
        r = rows[name]
        rk, rn = sum(junk.values()) - junk[s], len(leads) - n[s]
        assert (r["deals"], r["junk"], r["rest_deals"], r["rest_junk"]) == \
            (n[s], junk[s], rn, rk), name
        p = chi2_contingency([[junk[s], n[s] - junk[s]], [rk, rn - rk]], correction=False)[1]
        assert r["p_value"] == pytest.approx(p, rel=1e-6) and not r["flagged"]
    assert (n["WEB"], junk["WEB"]) == (213, 13)
    audit = json.loads(_run("audit", str(FUNNEL), str(export[0]), "--tz", TZ,
                            "--format", "json"))
    assert not [f for f in audit["findings"] if f["kind"] == "source_junk"]


def test_a_manager_with_one_source_is_read_without_a_missing_figure(
        export: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # The key-account manager works only «Существующий клиент» (her regulars' orders):
    # read within the sources (`managers.within_sources`), her 100% at «Расчёт КП» is
    # the source's, and the sentence gave her conversion «по другим источникам» as a
    # dash: «по другим источникам у менеджера Ольга Сорокина конверсия — против 81,59% у
    # остальных». She has no deal of another source there, and it now says so.
    text = " ".join(_run("audit", str(FUNNEL), str(export[0]), "--tz", TZ).split())
    assert "конверсия — против" not in text and "источникам — против" not in text
    deals = export[1]
    kam = [d for d in deals if d.manager == "41"
           and "PREPARATION" in [s for _, s, _ in d.path]]
    assert {d.source for d in kam} == {"PARTNER"}

    def judged(ds: list) -> int:  # type: ignore[type-arg]
        # Moved on or lost from «Расчёт КП» (the few still there are recent here).
        return sum(1 for d in ds if [s for _, s, _ in d.path][-1] != "PREPARATION")

    others = [d for d in deals if d.manager != "41" and d.source == "PARTNER"
              and "PREPARATION" in [s for _, s, _ in d.path]]
    share = judged(kam) / (judged(kam) + judged(others))
    assert (judged(kam), judged(others)) == (362, 90)
    assert f"Ольга Сорокина: конверсия 100% на переходе «Расчёт КП» → «КП отправлено» в " \
           f"воронке «Продажи» против 91,2% у остальной команды (362 сделки), но у этого " \
           f"менеджера {100 * share:.2f}% сделок источника «Существующий клиент» на этом " \
           f"переходе и ни одной сделки других источников".replace(".", ",") in text
    assert "в пределах этого источника разница не подтверждается" in text
