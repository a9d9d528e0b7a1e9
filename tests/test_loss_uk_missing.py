"""The data-quality finding on loss reasons names the manager who leaves them out (a
Ukrainian consultant's pass over a Kharkiv supplier's amoCRM export,
tests/data/loss_uk/generate.py, seed 11: Коваленко Олена writes 70 % of her losses as
«Інше» and leaves 10 % without a reason, the other four managers 4 % and 1 %).

The finding said «16,49% відмов у воронці «Продажі» … без причини або з причиною-кошиком»
and stopped there: who to talk to was left to the per-manager table, 130 rows of it in
the HTML. Every count here is the generator's own, counted by hand."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from scipy import stats

from conftest import data_generator
from funnelc.cli import cli
from funnelc.history.audit_render import finding_text
from funnelc.i18n import translator

DATA = Path(__file__).resolve().parent / "data" / "loss_uk"
FUNNEL = DATA / "promtech.funnel"
SEED = 11
USELESS = {None, "Інше"}


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return data_generator("loss_uk")


@pytest.fixture(scope="module")
def export(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("loss_uk")
    gen.write(out, SEED)
    return out


@pytest.fixture(scope="module")
def counts(gen: ModuleType) -> dict[str, tuple[int, int]]:
    """Manager → (losses without a usable reason, losses), from the generator."""
    lost = [d for d in gen.build(SEED) if d.lost]
    bad = Counter(d.manager_name for d in lost if d.reason in USELESS)
    all_ = Counter(d.manager_name for d in lost)
    return {m: (bad[m], n) for m, n in all_.items()}


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def _pooled_p(k1: int, n1: int, k2: int, n2: int) -> float:
    p = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def test_the_finding_names_the_manager_with_her_counts(
        export: Path, counts: dict[str, tuple[int, int]]) -> None:
    audit = json.loads(_run("audit", str(FUNNEL), str(export), "--tz", "Europe/Kyiv",
                            "--format", "json", "-q"))
    (f,) = [f for f in audit["findings"] if f["kind"] == "loss_reasons_missing"]
    k, n = counts["Коваленко Олена"]
    rest_k = sum(b for m, (b, _) in counts.items() if m != "Коваленко Олена")
    rest_n = sum(t for m, (_, t) in counts.items() if m != "Коваленко Олена")
    assert k / n > 0.6 and rest_k / rest_n < 0.1  # the planted story, as drawn
    (who,) = f["managers"]
    assert (who["manager"], who["missing"], who["losses"], who["rest_missing"],
            who["rest_losses"]) == ("Коваленко Олена", k, n, rest_k, rest_n)
    assert who["p_value"] == pytest.approx(_pooled_p(k, n, rest_k, rest_n), rel=1e-6)
    # The pipeline's own counts are the sum over the managers.
    assert (f["deals"], f["n"]) == (k + rest_k, n + rest_n)
    assert f"Коваленко Олена leaves {k} of {n} losses without a usable reason" in f["text"]


def test_the_ukrainian_sentence_names_her_in_ukrainian(
        export: Path, counts: dict[str, tuple[int, int]]) -> None:
    text = _run("audit", str(FUNNEL), str(export), "--tz", "Europe/Kyiv", "-q")
    k, n = counts["Коваленко Олена"]
    said = " ".join(text.split())
    assert f"Коваленко Олена: без корисної причини {k} з {n} відмов менеджера" in said
    assert "leaves" not in said and "Holm" not in said
    assert "поправка Голма, 5%" in said


def test_the_table_by_manager_flags_only_her(
        export: Path, counts: dict[str, tuple[int, int]]) -> None:
    # history.json as `--format json` prints it: the bytes `-o` writes, without the plots.
    history = json.loads(_run("history", str(export), "--funnel", str(FUNNEL), "--tz",
                              "Europe/Kyiv", "--format", "json", "-q"))
    rows = history["tables"]["loss_reasons_missing_by_manager"]
    assert {r["manager"]: (r["missing"], r["losses"]) for r in rows} == counts
    assert [r["manager"] for r in rows if r["flagged"]] == ["Коваленко Олена"]
    assert [r["missing"] for r in rows] == sorted((r["missing"] for r in rows), reverse=True)


def test_the_table_by_manager_says_why_a_few_losses_are_no_finding(
        export: Path, counts: dict[str, tuple[int, int]], tmp_path: Path) -> None:
    """A manager with 3 losses, all «Інше», read «100% against 14.95%, p < 0.001» and an
    empty «finding» with no word why (review L5): the rule wants 10 such losses of their
    own. The count is marked and the mark said, in the terminal and the HTML."""
    from funnelc.history.loss_reasons import MISSING_MIN

    few = sorted(m for m, (k, _) in counts.items() if k < MISSING_MIN)
    assert few  # the other managers leave 4 % and 1 % out: under 10 losses
    text = _run("history", str(export), "--funnel", str(FUNNEL), "--tz", "Europe/Kyiv",
                "--lang", "en", "-o", str(tmp_path))
    table = text[text.index("Losses without a usable reason by manager"):]
    said = f"† fewer than {MISSING_MIN} losses without a usable reason: too few for a finding"
    assert said in " ".join(table.split())
    for m in few:
        row = next(line for line in table.splitlines() if m in line)
        assert f"{counts[m][0]} †" in row
    row = next(line for line in table.splitlines() if "Коваленко Олена" in line)
    assert "†" not in row
    page = (tmp_path / "history.html").read_text(encoding="utf-8")
    assert said in " ".join(page.split())


def test_their_value_is_money_in_the_accounts_currency(
        export: Path, gen: ModuleType) -> None:
    """«їх сума» of the losses without a usable reason read «17 386 300» beside findings
    in ₴."""
    total = sum(d.value for d in gen.build(SEED) if d.lost and d.reason in USELESS)
    text = _run("history", str(export), "--funnel", str(FUNNEL), "--tz", "Europe/Kyiv", "-q")
    money = translator("uk").money(total, "UAH")
    assert "₴" in money
    lines = text[text.index("Відмови без корисної причини"):].splitlines()
    row = next(line for line in lines if "Продажі" in line)
    assert money in row


@pytest.mark.parametrize(("lang", "of", "said"), [
    ("uk", 21, "без корисної причини 15 з 21 відмови менеджера"),
    ("uk", 22, "без корисної причини 15 з 22 відмов менеджера"),
    ("uk", 25, "без корисної причини 15 з 25 відмов менеджера"),
    ("ru", 21, "без полезной причины 15 из 21 отказа менеджера"),
    ("ru", 22, "без полезной причины 15 из 22 отказов менеджера")])
def test_the_count_of_the_managers_losses_takes_its_plural(lang: str, of: int,
                                                          said: str) -> None:
    from funnelc.history.findings import Finding, Named

    f = Finding("loss_reasons_missing", "Продажі", None, None, "Інше", 30.0, None, None,
                None, 0.2, None, 150, None,
                named=(Named("Ткаченко Марина", 15, of, 15, 129, 1e-5),))
    assert f"Ткаченко Марина: {said}" in finding_text(f, translator(lang))


def test_one_manager_hiding_reasons_is_a_finding_under_the_pipelines_ten_percent(
        tmp_path: Path) -> None:
    """Ten managers, 40 losses each: «Менеджер 0» writes «Інше» for 20 of hers, five of
    the others leave one loss each without a reason. The pipeline's 25 of 400 (6.25 %)
    is under the 10 % that flags it, and the finding was not raised at all."""
    reasons = ["Дорого", "Не відповідає", "Купили в конкурента", "Відклали закупівлю"]
    lines = ["deal_id,timestamp,pipeline,stage,loss_reason,manager,value"]
    t0 = 1_772_442_000  # 2026-03-02 09:00 UTC
    i = 0
    for j in range(40):
        for m in range(10):
            if m == 0:
                reason = "Інше" if j % 2 == 0 else reasons[j % 4]
            else:
                reason = "" if j == 7 and m < 6 else reasons[(j + m) % 4]
            at = t0 + 5 * 3600 * i
            lines.append(f"D{i},{at},Продажі,Заявка,,Менеджер {m},1000")
            lines.append(f"D{i},{at + 7200},Продажі,lost,{reason},Менеджер {m},1000")
            i += 1
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # history.json as `--format json` prints it: the bytes `-o` writes, without the plots.
    tables = json.loads(_run("history", str(path), "--format", "json", "-q"))["tables"]
    (row,) = tables["loss_reasons_missing"]
    assert (row["losses"], row["no_reason"], row["catch_all"], row["flagged"]) == (
        400, 5, 20, True)
    (f,) = [f for f in tables["findings"] if f["kind"] == "loss_reasons_missing"]
    assert f["deals"] == 25
    assert ("Менеджер 0 leaves 20 of 40 losses without a usable reason (50%), the rest "
            "of the team 5 of 360 (1.39%;") in f["finding"]
