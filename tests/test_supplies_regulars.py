"""Regular clients' orders in the manager comparisons (issue 14 point 1; seeds 001/002):
the packaging wholesaler of tests/data/supplies_b24_ru with its buyers' orders under an
ordinary source («Звонок», `write(..., orders_source="CALL")`), so that nothing but the
client tells a regular's order from a new client's request.

Ольга Сорокина, the key-account manager, converts her 22 regulars' orders as every
manager converts a buyer's order; against the new-business team she was the audit's
first finding, «научите этому команду», 362 of 362 at «Расчёт КП» against 91.2 %,
3 504 329 ₽ at stake. And the rest's regular orders, taken quickly, made Марина Гусева
read «late» at «Новая заявка» (88 of 144 against 356 of 744). A deal is a regular's
order (`transitions.regular_orders`) when its client had bought before it entered, or
has two or more won deals and its first deal came sooner after the export began than
its second after it; a flagged manager finding is read within the two kinds of client.

Every figure is counted by hand from the generator's own records (`Deal.path`,
`Deal.contact`, `Deal.won_at`), with scipy for the p-values, not from funnelc's tables."""

from __future__ import annotations

import functools
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from scipy.stats import binom, chi2, chi2_contingency

from conftest import data_generator
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "supplies_b24_ru"
FUNNEL = DATA / "supplies.funnel"
TZ = "Asia/Yekaterinburg"
ENV = {"NO_COLOR": "1", "COLUMNS": "400"}
KAM, CULPRIT, HUNTER = "Ольга Сорокина", "Денис Жуков", "Марина Гусева"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return data_generator("supplies_b24_ru")


def _write(gen: ModuleType, out: Path, seed: int, source: str) -> tuple[Path, list]:  # type: ignore[type-arg]
    deals = gen.write(out, seed, source)
    return out / "bitrix24", deals


@pytest.fixture(scope="module")
def called(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Path, list]:  # type: ignore[type-arg]
    return _write(gen, tmp_path_factory.mktemp("called"), 1, "CALL")


@functools.cache
def _said(*args: str) -> str:
    """`funnelc <args>`'s stdout, run once a command: several tests read the same audit
    of the same export."""
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def _audit(path: Path, lang: str = "ru") -> dict:  # type: ignore[type-arg]
    return json.loads(_said("audit", str(FUNNEL), str(path), "--tz", TZ, "--format", "json",
                            "--lang", lang))  # type: ignore[no-any-return]


def _text(path: Path, lang: str = "ru") -> list[str]:
    """The terminal's findings, one string each (the JSON's text is English)."""
    body = _said("audit", str(FUNNEL), str(path), "--tz", TZ, "--lang", lang).split("\n\n")[0]
    return [" ".join(x.split()) for x in body.split("\n  ")[1:]]


def _cmh(strata: list[tuple[int, int, int, int]]) -> float:
    """Cochran–Mantel–Haenszel without continuity correction, from its textbook
    formula: Σ(a − E a)² / Σ Var a on chi-square with one degree of freedom."""
    excess = var = 0.0
    for a, n1, c, n2 in strata:
        n, m1 = n1 + n2, a + c
        if n1 and n2:
            excess += a - n1 * m1 / n
            var += n1 * n2 * m1 * (n - m1) / (n * n * (n - 1))
    return float(chi2.sf(excess ** 2 / var, 1)) if var else 1.0


def _name(gen: ModuleType, uid: str) -> str:
    first, last, _ = gen.MANAGERS[uid]
    return f"{first} {last}"


def _regular(deals: list) -> dict[str, bool]:  # type: ignore[type-arg]
    """The rule by hand: a client with a win before the deal's creation, or with two or
    more wins whose first deal came sooner after the export's first event than its
    second deal after the first."""
    start = min(t for d in deals for t, _, _ in d.path)
    by: dict[str, list] = {}  # type: ignore[type-arg]
    for d in deals:
        by.setdefault(d.contact, []).append(d)
    out = {}
    for d in deals:
        mine = sorted(by[d.contact], key=lambda e: e.created)
        wins = [e.won_at for e in mine if e.won_at is not None]
        early = len(mine) > 1 and (mine[0].created - start) <= (mine[1].created - mine[0].created)
        out[d.id] = any(w < d.created for w in wins) or (len(wins) >= 2 and early)
    return out


def _at_calc(gen: ModuleType, deals: list, regular: dict[str, bool]  # type: ignore[type-arg]
             ) -> dict[tuple[str, bool], tuple[int, int]]:
    """(manager, regular) → (reached «КП отправлено», entered «Расчёт КП» and reached it or
    lost there): the export ends long after the last such deal had time to move on."""
    out: dict[tuple[str, bool], tuple[int, int]] = {}
    for d in deals:
        stages = [s for _, s, _ in d.path]
        if "PREPARATION" not in stages:
            continue
        nxt = d.path[stages.index("PREPARATION") + 1][1] if stages[-1] != "PREPARATION" \
            else None
        if nxt is None:
            continue
        key = (_name(gen, d.manager), regular[d.id])
        k, n = out.get(key, (0, 0))
        out[key] = (k + (nxt == "EXECUTING"), n + 1)
    return out


def test_the_key_account_manager_is_no_method_to_teach(
        gen: ModuleType, called: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    audit = _audit(called[0])
    first = audit["findings"][0]
    assert (first["kind"], first["subject"]) == ("manager_conversion", CULPRIT)
    cells = _at_calc(gen, called[1], _regular(called[1]))
    (f,) = [f for f in audit["findings"] if f["kind"] == "manager_practice"
            and f["stage"] == "Расчёт КП"]
    r = f["regulars"]
    assert f["subject"] == KAM and f["money"] is None and r["explained"] and not r["holds"]
    assert r["orders"] == list(cells[(KAM, True)])
    assert r["new"] == list(cells.get((KAM, False), (0, 0)))
    assert r["orders"] == [360, 360] and r["new"] == [2, 2]
    # The rest: the team without Денис, flagged on the same step.
    team = sorted({w for w, _ in cells})
    rest = [m for m in team if m not in (KAM, CULPRIT)]
    for kind, key in ((True, "rest_orders"), (False, "rest_new")):
        k = sum(cells.get((m, kind), (0, 0))[0] for m in rest)
        n = sum(cells.get((m, kind), (0, 0))[1] for m in rest)
        assert r[key] == [k, n]
    # Orders against new business within each manager; she against the rest within
    # each kind of client.
    mix = _cmh([(*cells[(m, True)], *cells[(m, False)]) for m in [KAM, *rest]
                if (m, True) in cells and (m, False) in cells])
    assert r["mix_p"] == pytest.approx(mix, rel=1e-9) and mix < 0.05
    within = _cmh([(*r["orders"], *r["rest_orders"]), (*r["new"], *r["rest_new"])])
    assert r["within_p"] == pytest.approx(within, rel=1e-9) and within > 0.05
    (said,) = [t for t in _text(called[0]) if KAM in t and "«Расчёт КП» →" in t]
    assert "научите" not in said and "на кону" not in said
    k, n = r["rest_new"]
    assert (k, n) == (268, 301)  # 89,04%
    # Her name stands alone, in the nominative («у менеджера Ольга Сорокина» put it in
    # the genitive); her new clients' deals, counted in the JSON, with their noun.
    assert r["new"][1] not in (1, 21, 31)  # «сделках», not «сделке»
    assert said.endswith(f"Ольга Сорокина: на {r['new'][1]} сделках новых клиентов конверсия "
                         "100%, у остальных — 89,04%. "
                         "Дело в составе клиентов, а не в менеджере."), said
    assert "99,45% этих сделок — заказы постоянных клиентов" in said


def test_the_culprit_keeps_his_figures(called: tuple[Path, list], gen: ModuleType,
                                       tmp_path: Path) -> None:  # type: ignore[type-arg]
    # Денис Жуков's conversion and premature losses at «Расчёт КП» are the same finding
    # whether the buyers' orders are «Существующий клиент» or «Звонок».
    plain = _audit(_write(gen, tmp_path, 1, "PARTNER")[0])
    audit = _audit(called[0])

    def his(a: dict) -> list:  # type: ignore[type-arg]
        return [(f["kind"], f["stage"], f["n"], f["observed"], f["expected"], f["money"])
                for f in a["findings"] if f["subject"] == CULPRIT]

    assert his(audit) == his(plain)
    assert {k for k, *_ in his(audit)} == {"manager_conversion", "premature_losses"}
    (f,) = [f for f in audit["findings"] if f["kind"] == "manager_conversion"]
    assert f["regulars"]["holds"] and f["regulars"]["within_p"] < 1e-6
    cells = _at_calc(gen, called[1], _regular(called[1]))
    assert f["n"] == sum(cells.get((CULPRIT, kind), (0, 0))[1] for kind in (True, False))


def _working_minutes(a: datetime, b: datetime) -> float:
    """Minutes of Mon–Fri 09:00–18:00 (the funnel's hours) between a and b, local time."""
    a, b = a.astimezone(ZoneInfo(TZ)), b.astimezone(ZoneInfo(TZ))
    total = 0.0
    day = a.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= b:
        if day.weekday() < 5:
            lo, hi = max(a, day.replace(hour=9)), min(b, day.replace(hour=18))
            total += max((hi - lo).total_seconds() / 60, 0.0)
        day += timedelta(days=1)
    return total


def test_the_hunter_is_not_late_on_like_deals(gen: ModuleType,
                                               called: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # Waits at «Новая заявка» to the first move, in working minutes; late: over the
    # team's median. Among new clients' requests she is not clearly later than the
    # rest; her regulars' orders wait as the rest's; the rest's deals are mostly
    # regulars' orders, taken sooner.
    deals, regular = called[1], _regular(called[1])
    waits = [(_name(gen, d.manager), regular[d.id],
              _working_minutes(d.path[0][0], d.path[1][0])) for d in deals if len(d.path) > 1]
    xs = sorted(w for *_, w in waits)
    median = (xs[len(xs) // 2] + xs[(len(xs) - 1) // 2]) / 2
    cells: dict[tuple[bool, bool], list[int]] = {}
    for who, reg, w in waits:
        c = cells.setdefault((who == HUNTER, reg), [0, 0])
        c[0] += w > median
        c[1] += 1
    (mk, mn), (rk, rn) = cells[(True, False)], cells[(False, False)]
    p_new = chi2_contingency([[mk, mn - mk], [rk, rn - rk]], correction=False)[1]
    assert p_new > 0.05
    audit = _audit(called[0])
    mine = [f for f in audit["findings"] if f["kind"] == "manager_speed"
            and f["subject"] == HUNTER]
    assert len(mine) == 1  # flagged by the table, read within the kinds
    for f in mine:
        r = f["regulars"]
        assert not r["holds"] and r["explained"] and f["money"] is None
        assert r["new"] == [mk, mn] and r["rest_new"] == [rk, rn]
    (said,) = [t for t in _text(called[0]) if HUNTER in t and "поздно" in t]
    assert said.endswith("Дело в составе клиентов, а не в менеджере."), said
    # A p under 5 % read «not clear» beside nothing that named the bar Holm held the
    # finding to: the sentence names it.
    (f,) = mine
    bar = f["regulars"]["level"]
    assert f["regulars"]["within_p"] < 0.05 and bar < f["regulars"]["within_p"]
    shown = f"{bar:.2g}".replace(".", ",")
    assert f"при пороге этой находки {shown} с поправкой Холма" in " ".join(said.split()), said
    assert "на кону" not in said


def test_ukrainian_text(called: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    texts = [t for t in _text(called[0], "uk") if "Справа у складі клієнтів" in t]
    assert len(texts) == 3  # the practice at two steps, the late pick-ups
    assert all(t.endswith("Справа у складі клієнтів, а не в менеджері.") for t in texts)
    assert all("mix" not in t and "clients" not in t and "на кону" not in t for t in texts)
    # The account's own spelling of the test («Гензеля», as the routed sources' texts).
    assert all("Гензеля" in t and "Хензеля" not in t for t in texts)


SEEDS = [2, 3] if os.environ.get("CI") == "true" else [2, 3, 4, 5, 6, 7]


def test_other_draws(gen: ModuleType, tmp_path: Path) -> None:
    # Other draws of the same account: the key-account manager's better rates never
    # hold within the kinds of client, the culprit's planted conversion always does;
    # a hunter's finding that holds is a chance flag, of the manager and speed families
    # at 5% each: at most the binomial 99th percentile of the seeds at 10%.
    fired = 0
    for seed in SEEDS:
        audit = _audit(_write(gen, tmp_path / str(seed), seed, "CALL")[0])
        ours = [f for f in audit["findings"] if f["kind"] in
                ("manager_practice", "manager_conversion", "manager_speed")]
        for f in ours:
            e, r = f.get("entangled") or {}, f["regulars"]
            if f["subject"] == KAM and not e.get("explained"):
                assert not r["holds"] and f["money"] is None, f["text"]
            if f["subject"] == CULPRIT and f["kind"] == "manager_conversion":
                assert r["holds"] and f["money"] is not None
        fired += any(f["subject"] not in (KAM, CULPRIT) and (f["regulars"] or {}).get("holds")
                     for f in ours)
    assert fired <= binom.ppf(0.99, len(SEEDS), 0.10)


def test_the_tables_flag_says_it_too(called: tuple[Path, list], tmp_path: Path) -> None:  # type: ignore[type-arg]
    # history.html's «значимо» beside the key-account manager's two better rates and the
    # hunter's late share: not a bare «★ да» / «⚠ да» against the finding's sentence.
    result = CliRunner().invoke(cli, ["history", str(called[0]), "--tz", TZ, "--funnel",
                                      str(FUNNEL), "-o", str(tmp_path / "out"), "-q",
                                      "--lang", "ru"], env=ENV)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "history.html").read_text(encoding="utf-8")
    assert page.count("★ да (дело в составе клиентов, а не в менеджере)") == 2
    assert page.count("⚠ да (дело в составе клиентов, а не в менеджере)") == 1
    # The findings table counts no deals for them (they read «33», «26», «19» beside «—»
    # money, to be added up with the culprit's); the JSON keeps the figures.
    table = page.split('<h2 id="findings">')[1].split("<h2")[0]
    rows = table.split("<tr>")[2:]
    explained = [r for r in rows if "Сорокина" in r or "Гусева" in r]
    assert len(explained) == 3
    for r in explained:
        assert r.count('<td class="n">—</td>') == 2, r
    culprit = next(r for r in rows if "Жуков" in r and "конверсия" in r)
    assert '<td class="n">31</td>' in culprit, culprit


def test_the_summary_counts_no_mix_as_a_merit(called: tuple[Path, list]) -> None:  # type: ignore[type-arg]
    # «Каждый менеджер по всем этапам» had her «заметно лучше на» two steps for her
    # regulars' orders; the culprit keeps his shortfall.
    result = CliRunner().invoke(cli, ["history", str(called[0]), "--tz", TZ, "--funnel",
                                      str(FUNNEL), "-q", "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["tables"]["manager_summary"]
    kam = next(r for r in rows if r["manager"] == KAM)
    assert kam["better_at"] == [] and kam["pairs"] == 4
    assert kam["clients_at"] == [{"from_stage": "Новая заявка", "to_stage": "Расчёт КП"},
                                 {"from_stage": "Расчёт КП", "to_stage": "КП отправлено"}]
    culprit = next(r for r in rows if r["manager"] == CULPRIT)
    assert culprit["worse_at"] == [{"from_stage": "Расчёт КП", "to_stage": "КП отправлено"}]
    assert culprit["clients_at"] == [] and culprit["money_short"] > 0


def test_no_column_of_dashes_without_regular_orders(tmp_path: Path) -> None:
    # A window maker's CSV without clients: the terminal's «Каждый менеджер по всем
    # этапам» has no column for a case it cannot have (it stays in the HTML and JSON).
    from test_manager_closing import FUNNEL as OKNA
    from test_manager_closing import generate
    csv = generate(3, tmp_path / "h.csv")
    funnel = tmp_path / "okna.funnel"
    funnel.write_text(OKNA, encoding="utf-8")
    result = CliRunner().invoke(cli, ["history", str(csv), "--funnel", str(funnel)], env=ENV)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Каждый менеджер по всем этапам" in text
    # Not in the header (its words wrapped between «┃»), only in the note of the columns
    # left to the HTML and JSON.
    assert "одного вида ┃" not in text
    assert "клиентов одного вида отличие не подтверждается на" in text
