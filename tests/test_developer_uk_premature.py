"""Premature losses that come back as a NEW deal of the same client (issue 14 point 1,
seed 001): a Kyiv developer's amoCRM account (tests/data/developer_amocrm_uk, seed 1)
where Коваленко Олена closes 40 % of her deals at «Зустріч відбулася» as lost and a third
of those clients come back 1–3 months later as a new lead of the same contact, mostly
taken by another manager. funnelc counted a loss as come back only when the same deal
was reopened: she looked as clean as the rest, and the audit said nothing.

Every figure asserted here is counted by hand from the generator's own records
(`Deal.path`, `Deal.contact`), with scipy for the p-value, not from funnelc's tables. The
same leads written as a Bitrix24 export (CONTACT_ID) and a CSV («Клієнт») give the same
finding."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from scipy.stats import chi2_contingency

from cli_once import HistoryRun, history_once
from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "developer_amocrm_uk"
FUNNEL = DATA / "developer.funnel"
TZ = "Europe/Kyiv"
ENV = {"NO_COLOR": "1", "COLUMNS": "400"}
WINDOW = timedelta(days=180)


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return data_generator("developer_amocrm_uk")


@pytest.fixture(scope="module")
def exports(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[dict[str, Path], object]:
    out = tmp_path_factory.mktemp("developer")
    acc = gen.write(out / "amocrm", 1)
    gen.write_bitrix24(out / "bitrix24", acc)
    gen.write_csv(out / "csv" / "history.csv", acc)
    return {"amocrm": out / "amocrm", "bitrix24": out / "bitrix24",
            "csv": out / "csv" / "history.csv"}, acc


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def _history(export: Path) -> HistoryRun:
    """`history -o -q` of the amoCRM export, once a session: its history.json is what
    `--format json` prints (`cli_once.history_once`), for the two tests reading it and
    the one reading the page."""
    return history_once([export, "--tz", TZ, "--funnel", FUNNEL, "-q"], ENV)


def _audit(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(_run("audit", str(FUNNEL), str(path), "--tz", TZ, "--format", "json"))


def _premature(audit: dict, who: str) -> dict:  # type: ignore[type-arg]
    hits = [f for f in audit["findings"] if f["kind"] == "premature_losses"
            and f["subject"] == who]
    assert len(hits) == 1, [f["text"] for f in audit["findings"]]
    return hits[0]


def _nearest_q90(xs: list[float]) -> float:
    """polars' quantile(0.9) with its default 'nearest' interpolation."""
    xs = sorted(xs)
    return xs[int((len(xs) - 1) * 0.9 + 0.5)]


@pytest.fixture(scope="module")
def truth(gen: ModuleType, exports: tuple[dict[str, Path], object]) -> dict:  # type: ignore[type-arg]
    """The losses at «Зустріч відбулася» before «Бронь», per manager: how many, how many
    came back (the same lead reopened to «Бронь», else a later lead of the same contact
    created within 180 days), and how many are old enough to tell (as old as 90 % of the
    comebacks took, or came back); the stage's worth per deal that entered it."""
    _, acc = exports
    deals = acc.deals  # type: ignore[attr-defined]
    end = max(max([d.created] + [t for t, _, _ in d.path]) for d in deals)
    rows = []
    entered = won_value = 0.0
    for d in deals:
        stages = [to for _, _, to in d.path]
        if gen.MEETING not in stages:
            continue
        i = stages.index(gen.MEETING)
        entered += 1
        won_value += d.price if "won" in stages else 0
        after = d.path[i + 1:]
        tl = next((t for t, _, to in after if to == "lost"), None)
        tb = next((t for t, _, to in after if to == "Бронь"), None)
        if tl is None or (tb is not None and tb < tl):
            continue
        new = sorted((e for e in deals if e.contact == d.contact and e.lid != d.lid
                      and tl < e.created <= tl + WINDOW), key=lambda e: e.created)
        late = [e.created for e in deals if e.contact == d.contact and e.lid != d.lid
                and e.created > tl + WINDOW]
        back = tb - tl if tb is not None else (new[0].created - tl if new else None)
        rows.append({"who": gen.USERS[d.owner], "tl": tl, "reopened": tb is not None,
                     "new": tb is None and bool(new), "late": bool(late),
                     "other": tb is None and bool(new) and new[0].owner != d.owner,
                     "won": tb is None and bool(new) and bool(new[0].path)
                     and new[0].path[-1][2] == "won",
                     "hours": back.total_seconds() / 3600 if back is not None else None})
    q = _nearest_q90([r["hours"] for r in rows if r["hours"] is not None])
    for r in rows:
        r["settled"] = r["hours"] is not None or \
            (end - r["tl"]).total_seconds() / 3600 >= q
    return {"rows": rows, "worth": won_value / entered}


def _count(rows: list[dict], keep) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def, type-arg]
    mine = [r for r in rows if keep(r["who"])]
    return (sum(r["settled"] for r in mine),
            sum(r["reopened"] or r["new"] for r in mine),
            sum(r["reopened"] for r in mine), sum(r["new"] for r in mine))


def test_the_story_is_in_the_records(truth: dict) -> None:  # type: ignore[type-arg]
    # What the generator planted, counted from its records: Коваленко's clients come
    # back as new leads, the others' rarely; some of the others' leads are reopened,
    # and some clients return only after the window (a new purchase).
    rows = truth["rows"]
    n, back, reopened, new = _count(rows, lambda w: w == "Коваленко Олена")
    rn, rback, rreopened, rnew = _count(rows, lambda w: w != "Коваленко Олена")
    assert (n, back, reopened, new) == (51, 14, 0, 14)
    assert (rn, rback, rreopened, rnew) == (115, 10, 6, 4)
    assert any(r["late"] and not r["new"] for r in rows)


def test_a_new_lead_of_the_same_contact_is_a_premature_loss(
        truth: dict, exports: tuple[dict[str, Path], object]) -> None:  # type: ignore[type-arg]
    f = _premature(_audit(exports[0]["amocrm"]), "Коваленко Олена")
    rows = truth["rows"]
    n, back, reopened, new = _count(rows, lambda w: w == "Коваленко Олена")
    rn, rback, _, _ = _count(rows, lambda w: w != "Коваленко Олена")
    assert (f["stage"], f["n"]) == ("Зустріч відбулася", n)
    assert f["observed"] == pytest.approx(back / n)
    assert f["expected"] == pytest.approx(rback / rn)
    p = chi2_contingency([[back, n - back], [rback, rn - rback]], correction=False)[1]
    assert f["p_value"] == pytest.approx(p, rel=1e-6)
    # Clear even against all 30 (manager, pair) comparisons' strictest Holm step.
    assert p < 0.05 / 30
    # Who the returning clients went to: another manager, and whether they bought.
    mine = [r for r in rows if r["who"] == "Коваленко Олена"]
    other, won = sum(r["other"] for r in mine), sum(r["won"] for r in mine)
    assert (other, won) == (11, 2)
    assert f["came_back"] == {"reopened": reopened, "new_deal": new, "window_days": 180,
                              "other_manager": other, "won": won}
    extra = (back / n - rback / rn) * n
    assert f["deals"] == pytest.approx(extra)
    assert f["money"] == pytest.approx(extra * truth["worth"], rel=1e-9)


def test_the_finding_says_in_ukrainian_how_they_came_back(
        exports: tuple[dict[str, Path], object]) -> None:
    text = " ".join(_run("audit", str(FUNNEL), str(exports[0]["amocrm"]), "--tz",
                         TZ).split())
    line = next(x for x in text.split(" 1. ")[1].split(" 2. ")[1:]
                if "закриває на етапі «Зустріч відбулася»" in x)
    assert "Як вони повернулися: 14 нових угод того самого клієнта протягом 180 днів після " \
           "відмови. З нових угод: 11 дісталися іншим менеджерам; 2 виграно." in line
    assert "27,45% із 51 відмови, яка вже встигла б повернутися" in line
    assert not any(w in line for w in ("deal", "client", "came", "within"))


@pytest.mark.parametrize("fmt", ["bitrix24", "csv"])
def test_bitrix24_and_csv_read_the_client_the_same_way(
        fmt: str, exports: tuple[dict[str, Path], object]) -> None:
    # The same leads: Bitrix24's CONTACT_ID, the CSV's «Клієнт» column.
    amo = _premature(_audit(exports[0]["amocrm"]), "Коваленко Олена")
    who = "Олена Коваленко" if fmt == "bitrix24" else "Коваленко Олена"
    other = _premature(_audit(exports[0][fmt]), who)
    for k in ("stage", "n", "observed", "expected", "p_value", "came_back", "deals"):
        assert other[k] == pytest.approx(amo[k]) if isinstance(amo[k], float) \
            else other[k] == amo[k], k


def test_the_managers_table_counts_both_ways(
        truth: dict, exports: tuple[dict[str, Path], object]) -> None:  # type: ignore[type-arg]
    # The managers' table of history.json: each manager's comebacks at the pair, and how
    # many of them were a new lead (the rest: the same lead reopened).
    hist = json.loads(_history(exports[0]["amocrm"]).json)
    table = {r["manager"]: r for r in hist["tables"]["managers"]
             if r["from_stage"] == "Зустріч відбулася"}
    for who, r in table.items():
        n, back, _, new = _count(truth["rows"], lambda w, who=who: w == who)
        assert (r["lost_settled"], r["came_back"], r["came_back_new"]) == (n, back, new), who


def test_the_history_counts_the_clients_who_came_back(
        gen: ModuleType, exports: tuple[dict[str, Path], object]) -> None:
    # «Програні угоди, які повернулися» listed the 6 leads reopened and none of the
    # clients who came back as a new lead: the audit said 14 of Коваленко's came back,
    # the history's own table 6 in all. Every loss counted by hand: reopened when the
    # lead moved on after it, else come back when a lead of the same contact was created
    # within 180 days after it (not later: a new purchase).
    _, acc = exports
    reopened = new = late = 0
    deals = acc.deals  # type: ignore[attr-defined]
    for d in deals:
        for k, (tl, _, to) in enumerate(d.path):
            if to != "lost":
                continue
            if k + 1 < len(d.path):
                reopened += 1
                continue
            after = [e.created for e in deals if e.contact == d.contact and e.lid != d.lid
                     and e.created > tl]
            new += any(t <= tl + WINDOW for t in after)
            late += bool(after) and not any(t <= tl + WINDOW for t in after)
    hist = json.loads(_history(exports[0]["amocrm"]).json)
    rows = hist["tables"]["comebacks"]
    assert (reopened, new) == (6, 29) and late > 0
    assert sum(r["came_back"] for r in rows) == reopened + new
    assert sum(r["new_deal"] for r in rows) == new
    assert {r["back_to"] for r in rows if r["new_deal"] == r["came_back"]} == {"Нова заявка"}
    # auditreview L4: came_back_pct is a percent (as every `_pct` of the history's tables),
    # the audit's shares fractions: a script reading both was 100x off. came_back_share is
    # came_back of lost as a fraction.
    kept = [r for r in rows if r["reason"] != "(reason not kept)"]
    assert kept and all(r["came_back_share"] == pytest.approx(r["came_back"] / r["lost"])
                        and r["came_back_pct"] == pytest.approx(100 * r["came_back_share"])
                        and 0 < r["came_back_share"] <= 1 for r in kept)


def test_the_managers_table_says_what_came_back_means(
        exports: tuple[dict[str, Path], object]) -> None:
    # The table's intro said «частка відмов менеджера, які потім повернулися», and the
    # client came back as a new lead: the deals themselves did not. A buyer's next order
    # is no comeback (tests/test_supplies_repeat_buyers.py).
    folder = _history(exports[0]["amocrm"]).folder
    page = " ".join((folder / "history.html").read_text(encoding="utf-8").split())
    assert "Передчасні відмови: частка відмов менеджера, клієнт яких потім повернувся (та " \
           "сама угода відкрита знову у воронці й не програна знову протягом години, або " \
           "протягом 180 днів нова угода клієнта, який до " \
           "відмови нічого не купував у воронці: наступне замовлення покупця — повторна " \
           "покупка, а не повернення)" in page
    assert "Холма" not in page
