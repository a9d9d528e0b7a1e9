"""Marketing or sales when leads are routed (issue 14, points 1-2; seed 003): a kitchen
maker's requests (tests/data/routing_csv_ru/generate.py), 80 % of Авито's going to one
manager. Story «sales»: that manager, the junior, qualifies half as well on every
source, and Авито was blamed for his junk. Story «marketing»: Авито's requests are junk
whoever works them, and the manager who gets them was accused. Every figure asserted
here is counted from the generator's own records with plain Python."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from statistics import median

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, chi2_contingency

from cli_once import HistoryRun, cli_ok, history_once
from conftest import data_generator
from funnelc.history.stats import mantel_haenszel, mantel_haenszel_p, routed

DATA = Path(__file__).resolve().parent / "data" / "routing_csv_ru"
FUNNEL = DATA / "kitchens.funnel"
gen = data_generator("routing_csv_ru")


ENV = {"NO_COLOR": "1", "COLUMNS": "4000"}
_FOLDER: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _stories(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where `_story` writes each story's requests, once for the file."""
    _FOLDER[:] = [tmp_path_factory.mktemp("stories")]


def _story(story: str, seed: int = gen.SEED) -> Path:
    """The generator's requests of `story` at `seed`, written once: several tests read
    the same story, and the same command on it is then run once (`cli_once`)."""
    folder = _FOLDER[0] / f"{story}{seed}"
    if not folder.exists():
        folder.mkdir()
        gen.write(folder, seed, story)
    return folder / "requests.csv"


def _run(*args: object) -> str:
    """`funnelc <args>`'s stdout, run once a session (`cli_once`)."""
    return cli_ok(args, ENV).stdout


def _history(story: str) -> HistoryRun:
    """`history -q -o` of a story, once a session: its history.json is what `--format
    json` prints (`cli_once.history_once`)."""
    return history_once([_story(story), "--funnel", FUNNEL, "--tz", gen.TZ, "-q"], ENV)


def _audit(story: str, seed: int = gen.SEED, fmt: str = "json") -> str:
    return _run("audit", FUNNEL, _story(story, seed), "--tz", gen.TZ, "--format", fmt)


def _found(story: str) -> dict[tuple[str, str], dict]:
    """The audit's findings of `story`, by kind and subject."""
    return {(f["kind"], f["subject"]): f for f in json.loads(_audit(story))["findings"]}


def _qualified(d: object) -> bool:
    return len(d.moves) > 1 and d.moves[1][1] == gen.QUAL  # type: ignore[attr-defined]


def _junk(d: object) -> bool:
    return len(d.moves) > 1 and d.moves[1][2] in gen.JUNK  # type: ignore[attr-defined]


def _count(ds: list, test: object) -> list[int]:
    return [sum(1 for d in ds if test(d)), len(ds)]  # type: ignore[operator]


def test_mantel_haenszel_on_one_stratum_is_the_chi_square_with_n_minus_one() -> None:
    # One stratum: the CMH statistic is Pearson's chi-square times (N − 1)/N.
    k1, n1, k2, n2 = 30, 100, 50, 110
    pearson = chi2_contingency([[k1, n1 - k1], [k2, n2 - k2]], correction=False)[0]
    assert mantel_haenszel_p([(k1, n1, k2, n2)]) == pytest.approx(
        chi2.sf(pearson * (n1 + n2 - 1) / (n1 + n2), 1), rel=1e-9)
    # Simpson: 20 % and 60 % strata, the group mostly in the first; no difference within.
    assert mantel_haenszel_p([(20, 100, 2, 10), (6, 10, 60, 100)]) == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 400), st.integers(0, 400),
                          st.integers(1, 400)), min_size=2, max_size=12), st.randoms())
def test_mantel_haenszel_does_not_depend_on_the_strata_order(
        counts: list[tuple[int, int, int, int]], rnd: random.Random) -> None:
    """Regression: audit's `within_p` changed in its last digits from one run of the same
    export to the next: the strata come from polars' `group_by`, whose order varies, and
    the test's sums were running sums. Now the same strata in any order give the same
    bits."""
    strata = [(float(min(k1, n1)), float(n1), float(min(k2, n2)), float(n2))
              for k1, n1, k2, n2 in counts]
    shuffled = strata[:]
    rnd.shuffle(shuffled)
    assert mantel_haenszel(shuffled) == mantel_haenszel(strata)


def test_sales_story_names_the_manager_and_does_not_blame_the_source() -> None:
    ds = gen.deals(gen.SEED, "sales")
    junior = gen.ROUTED["sales"]
    found = _found("sales")
    weak = found["manager_conversion", junior]
    mine = [d for d in ds if d.manager == junior]
    rest = [d for d in ds if d.manager != junior]
    k, n = _count(mine, _qualified)
    rk, rn = _count(rest, _qualified)
    assert (weak["n"], weak["observed"], weak["expected"]) == (n, k / n, pytest.approx(rk / rn))
    avito = [d for d in ds if d.source == "Авито"]
    e = weak["entangled"]
    assert e["other"] == "Авито" and e["share"] == pytest.approx(
        sum(d.manager == junior for d in avito) / len(avito))
    assert e["outside"] == _count([d for d in mine if d.source != "Авито"], _qualified)
    assert e["rest"] == _count([d for d in rest if d.source != "Авито"], _qualified)
    assert e["within_p"] < 0.05 and not e["explained"] and weak["money"] is not None
    # Авито's junk: planted 80 % to the junior; with the others it is as good as the rest.
    junk = found["source_junk", "Авито"]
    assert [junk["deals"], junk["n"]] == _count(avito, _junk)
    e = junk["entangled"]
    assert e["other"] == junior and e["explained"] and junk["money"] is None
    assert e["outside"] == _count([d for d in avito if d.manager != junior], _junk)
    assert e["rest"] == _count([d for d in rest if d.source != "Авито"], _junk)
    assert e["other_outside"] == _count([d for d in mine if d.source != "Авито"], _junk)
    assert e["within_p"] >= 0.05 and e["other_p"] < 0.05


def test_marketing_story_names_the_source_and_does_not_accuse_its_manager() -> None:
    ds = gen.deals(gen.SEED, "marketing")
    routed = gen.ROUTED["marketing"]
    found = _found("marketing")
    avito = [d for d in ds if d.source == "Авито"]
    junk = found["source_junk", "Авито"]
    k, n = _count(avito, _junk)
    assert (junk["deals"], junk["n"]) == (k, n)
    assert junk["money"] == pytest.approx(k * 500)  # `cost 500` a lead
    assert not junk["entangled"]["explained"] and junk["entangled"]["within_p"] < 0.05
    accused = found["manager_conversion", routed]
    e = accused["entangled"]
    assert e["explained"] and accused["money"] is None
    mine = [d for d in ds if d.manager == routed]
    rest = [d for d in ds if d.manager != routed]
    assert e["share"] == pytest.approx(sum(d.manager == routed for d in avito) / len(avito))
    assert e["outside"] == _count([d for d in mine if d.source != "Авито"], _qualified)
    assert e["rest"] == _count([d for d in rest if d.source != "Авито"], _qualified)
    assert e["other_outside"] == _count([d for d in rest if d.source == "Авито"], _qualified)
    assert e["within_p"] >= 0.05 and e["other_p"] < 0.05


@pytest.mark.parametrize("story, said, unsaid", [
    ("sales", "Дело в обработке заявок, а не в источнике.",
     "Источник «Авито» приносит некачественные заявки"),
    ("marketing", "Дело в заявках источника, а не в менеджере.", "недобор — "),
])
def test_the_client_reads_whose_matter_it_is_in_russian(story: str, said: str,
                                                        unsaid: str) -> None:
    text = _audit(story, fmt="text")
    assert said in text
    if story == "sales":
        assert unsaid not in text
    else:
        # The routed manager's sentence has no shortfall and no money at stake.
        line = next(x for x in text.splitlines() if gen.ROUTED["marketing"] + ":" in x)
        assert unsaid not in line and "на кону" not in line


def test_routed_leads_with_no_difference_flag_nobody() -> None:
    # 80 % of Авито to one manager, everyone and every source alike: a manager's or a
    # source's finding is a false flag; Holm keeps them at 5 % of the runs.
    seeds = range(6 if os.environ.get("CI") == "true" else 20)
    fired = 0
    for seed in seeds:
        found = json.loads(_audit("null", seed))["findings"]
        fired += any(f["kind"] in ("manager_conversion", "manager_practice", "source_junk")
                     for f in found)
    assert fired <= max(1, round(0.05 * len(seeds)))


@pytest.mark.parametrize("story, said, unsaid", [
    ("sales", "(дело в менеджере: Петров Илья, а не в источнике)", "(дело в источнике"),
    ("marketing", "(дело в источнике «Авито», а не в менеджере)", "(дело в менеджере"),
    ("give_up", "(дело в том, что от них раньше отказываются, а не в источнике)",
     "(дело в менеджере"),
])
def test_history_tables_mark_the_flag_the_other_side_explains(story: str, said: str,
                                                              unsaid: str) -> None:
    # The managers' and the junk tables flagged the routed manager or Авито with a bare
    # «⚠ да» beside a finding saying it was the other side's.
    page = (_history(story).folder / "history.html").read_text(encoding="utf-8")
    assert said in page and unsaid not in page


def test_routed_is_a_third_and_twice_the_share_elsewhere() -> None:
    assert routed(0.84, 0.05) and routed(0.42, 0.05)  # the junior, all or half the time
    assert not routed(0.6, 0.6)  # a manager with 60 % of every source is not routed one
    assert not routed(0.3, 0.05)


def _assert_explained(e: dict, junior: str, deals: list) -> None:
    """An Авито finding the routed junior explains, its counts from the generator's
    `deals` of the periods read: his share of Авито's, Авито's with the other managers,
    the other sources' with them, and his on the other sources."""
    avito = [d for d in deals if d.source == "Авито"]
    assert e["other"] == junior and e["explained"]
    assert e["share"] == pytest.approx(sum(d.manager == junior for d in avito) / len(avito))
    assert e["outside"] == _count([d for d in avito if d.manager != junior], _qualified)
    assert e["rest"] == _count([d for d in deals if d.source != "Авито"
                                and d.manager != junior], _qualified)
    assert e["other_outside"] == _count([d for d in deals if d.source != "Авито"
                                         and d.manager == junior], _qualified)
    assert e["within_p"] >= 0.05 and e["other_p"] < 0.05


def test_handover_story_blames_who_works_the_leads_not_the_source() -> None:
    # Seed 003's quarrel: Авито's qualification fell from April–May to August–September
    # because its requests went to the junior from July; with the other managers they
    # qualify as before. Over the six months he works 42 % of Авито's requests (more than
    # half only from July), the other sources' 5 %.
    ds = gen.deals(gen.SEED, "handover")
    junior = gen.ROUTED["handover"]
    found = _found("handover")
    fall = found["source_quality", "Авито"]
    assert fall["periods"] == ["2026-04..2026-05", "2026-08..2026-09"]

    def months(d: object, ms: tuple[int, ...]) -> bool:
        return d.created.month in ms  # type: ignore[attr-defined]

    last = [d for d in ds if months(d, (8, 9))]
    first = [d for d in ds if months(d, (4, 5))]
    avito_last = [d for d in last if d.source == "Авито"]
    k, n = _count(avito_last, _qualified)
    k1, n1 = _count([d for d in first if d.source == "Авито"], _qualified)
    assert (fall["observed"], fall["expected"], fall["n"]) == (
        pytest.approx(k / n), pytest.approx(k1 / n1), n)
    assert fall["money"] is None
    _assert_explained(fall["entangled"], junior, last)
    junk = found["source_junk", "Авито"]
    avito = [d for d in ds if d.source == "Авито"]
    assert junk["entangled"]["explained"] and junk["money"] is None
    assert junk["entangled"]["share"] == pytest.approx(
        sum(d.manager == junior for d in avito) / len(avito))
    assert found["manager_conversion", junior]["money"] is not None


def test_handover_fall_is_marked_in_the_sources_table() -> None:
    # Авито's fall in «Источники: первый период против последнего» was a bare «⚠ да»
    # beside a finding saying it was who works the leads; its junk row says so too.
    page = (_history("handover").folder / "history.html").read_text(encoding="utf-8")
    assert page.count("(дело в менеджере: Петров Илья, а не в источнике)") == 2


def test_manager_summary_does_not_count_the_sources_leads_against_the_manager() -> None:
    # «Каждый менеджер по всем этапам» had Смирнова Анна «заметно хуже на» qualification,
    # 99 deals and 9 039 123 ₽ short, for Авито's junk requests routed to her.
    # `history -q --format json`: the JSON of the -o run the marking test reads.
    tables = json.loads(_history("marketing").json)["tables"]
    row = next(r for r in tables["manager_summary"] if r["manager"] == gen.ROUTED["marketing"])
    assert row["worse_at"] == [] and row["deals_short"] == 0 and row["money_short"] is None
    assert row["source_at"] == [{"from_stage": gen.NEW, "to_stage": gen.QUAL,
                                 "source": "Авито"}]
    assert row["pairs"] == 4


def _at_pair(ds: list, months: tuple[int, ...]) -> list:
    """The requests that entered «Новая заявка» in `months` (every request does, at its
    creation)."""
    return [d for d in ds if d.created.month in months]


def test_growth_story_names_the_junior_alone() -> None:
    # The junior works 42 % of the requests at half the team's rate. The first round
    # flagged all five managers (each of the other four «clearly better» than a rest
    # that held him), leaving all five out of the rest left nobody to compare with, and
    # the audit told the client to learn from four of them.
    found = json.loads(_audit("growth"))["findings"]
    managers = {f["subject"] for f in found
                if f["kind"] in ("manager_conversion", "manager_practice")}
    assert managers == {gen.ROUTED["growth"]}


def test_growth_story_mix_is_who_works_the_growing_source() -> None:
    # Marketing bought six times as many Авито requests from July; 80 % of them go to the
    # junior. The mix of sources lowered qualification, and Авито looked like the worse
    # source: with the other managers its requests qualify as well as the others'.
    ds = gen.deals(gen.SEED, "growth")
    junior = gen.ROUTED["growth"]
    found = _found("growth")
    mix = found["source_mix", "Авито"]
    assert mix["periods"] == ["2026-04..2026-05", "2026-08..2026-09"]
    both = _at_pair(ds, (4, 5, 8, 9))
    assert mix["money"] is None
    _assert_explained(mix["entangled"], junior, both)
    k1, n1 = _count(_at_pair(ds, (4, 5)), _qualified)
    k2, n2 = _count(_at_pair(ds, (8, 9)), _qualified)
    assert (mix["expected"], mix["observed"]) == (pytest.approx(k1 / n1), pytest.approx(k2 / n2))
    said = " ".join(_audit("growth", fmt="text").split())
    assert "Дело в том, кто обрабатывает растущий источник, а не в составе источников." in said
    assert "больше заявок из худших источников" not in said


def test_growth_marketing_mix_stays_marketings() -> None:
    # The same growth, Авито's requests junk whoever works them: the mix is marketing's,
    # with its money, and the routed manager does not explain it.
    found = _found("growth_marketing")
    mix = found["source_mix", "Авито"]
    assert mix["money"] is not None and mix["money"] > 0
    e = mix["entangled"]
    assert e["other"] == gen.ROUTED["growth_marketing"] and not e["explained"]
    assert e["within_p"] < 0.05
    # Its count of deals says what it is: «больше всего из «Авито»; 139 сделок; на кону
    # 13 616 143 ₽» left a client to guess what the 139 were.
    said = " ".join(_audit("growth_marketing", fmt="text").split())
    assert re.search(r"больше всего из «Авито»; недобор — " + str(round(mix["deals"]))
                     + r" сдел\w*; на кону", said.replace("\u00a0", " ")), said
    # English said it so too: «…“Авито” most; 139 deals; …».
    said = " ".join(_run("audit", FUNNEL, _story("growth_marketing"), "--tz", gen.TZ,
                         "--lang", "en").split())
    assert re.search(r"“Авито” most; a shortfall of " + str(round(mix["deals"]))
                     + r" deals[^;]*; ", said.replace("\u00a0", " ")), said


def test_history_table_verdict_says_the_growing_source_is_salesmans() -> None:
    # «Маркетинг или продажи?» said «это вопрос маркетинга: сначала посмотрите, откуда
    # приходят заявки» beside the finding saying it was the junior's.
    out = _history("growth").folder
    data = json.loads((out / "history.json").read_text(encoding="utf-8"))
    row = next(r for r in data["tables"]["decomposition"]
               if r["from_stage"] == gen.NEW)
    assert row["entangled"]["explained"] and row["entangled"]["manager"] == gen.ROUTED["growth"]
    page = " ".join((out / "history.html").read_text(encoding="utf-8").split())
    # The name in the nominative: «только у менеджера Петров Илья (у него 79,29% из них)»
    # put it where Russian declines it.
    assert ("но сделки «Авито» конвертируются хуже только там, где их обрабатывает "
            f"{gen.ROUTED['growth']} (" in page)
    assert "это вопрос маркетинга: сначала посмотрите, откуда приходят заявки" not in page


def _unreached(d: object) -> bool:
    return len(d.moves) > 1 and d.moves[1][2] == gen.UNREACHED  # type: ignore[attr-defined]


@pytest.mark.parametrize("story, sooner", [("give_up", True), ("unreachable", False)])
def test_requests_given_up_on_sooner_are_no_junk_of_the_source(story: str,
                                                               sooner: bool) -> None:
    # Авито's requests are lost as «Не дозвонились» three times as often as the other
    # sources' in both stories. In «give_up» the team calls them for under two hours and
    # the others' for days: «Авито brings junk, they cost 112 500 ₽» blamed marketing
    # for how long sales calls. In «unreachable» they are called as long: the leads'.
    ds = gen.deals(gen.SEED, story)
    (junk,) = [f for f in json.loads(_audit(story))["findings"]
               if f["kind"] == "source_junk"]
    assert junk["subject"] == "Авито"
    c = junk["junk"]["contact"]
    mine = [d for d in ds if d.source == "Авито" and _unreached(d)]
    rest = [d for d in ds if d.source != "Авито" and _unreached(d)]

    def hours(d: object) -> float:
        moves = d.moves  # type: ignore[attr-defined]
        return (moves[1][0] - moves[0][0]).total_seconds() / 3600

    assert c["reasons"] == [gen.UNREACHED]
    assert (c["deals"], c["rest_deals"]) == (len(mine), len(rest))
    assert c["median_hours"] == pytest.approx(median(hours(d) for d in mine), abs=0.02)
    assert c["rest_median_hours"] == pytest.approx(median(hours(d) for d in rest), abs=0.02)
    assert c["sooner"] is sooner
    assert (junk["money"] is None) is sooner
    said = " ".join(_audit(story, fmt="text").split())
    # In sentences a client can follow: it read «…: им звонили меньше, так что сколько
    # из них удалось бы застать — вопрос того, как долго им звонят, то есть вопрос
    # продаж, и денег на кону здесь нет», and a median «в среднем (медиана)».
    assert ("тест Манна — Уитни). Им звонили меньше: сколько из них удалось бы застать, "
            "зависит от того, как долго им звонят. Это вопрос продаж, и денег на кону здесь "
            "нет." in said) is sooner, said
    assert "в среднем (медиана)" not in said
    assert ("сами лиды не отвечают" in said) is not sooner


def _english_audit(story: str) -> str:
    """The English audit of a planted story, as one line of words."""
    return " ".join(_run("audit", FUNNEL, _story(story), "--tz", gen.TZ,
                         "--lang", "en").split())


def test_given_up_requests_read_as_english_sentences() -> None:
    # The English «give_up» finding was one run-on sentence: «…with a reason given mostly
    # there more often than the other sources': … 205 of these requests are “Не
    # дозвонились”, and “Авито”'s requests were given up … (p < 0.001, Mann–Whitney
    # test): they were called for less time, so how many could be reached is how long the
    # team calls them, a sales matter, and no money is put on them.» It now says what ru
    # and uk say, in as many sentences.
    said = _english_audit("give_up")
    assert ("Source “Авито”'s requests are lost at “Новая заявка” more often than the other "
            "sources', with reasons given mostly at that stage: 225 of 300 deals" in said), said
    assert ("205 of these requests were closed as “Не дозвонились”. “Авито”'s requests were "
            "given up as unreachable after 72 minutes (the median), the other sources' after "
            "46.2 hours (p < 0.001, Mann–Whitney test). They were called for less time: how "
            "many of them could have been reached depends on how long the team calls them. "
            "This is a sales matter, and no money is at stake here." in said), said
    # Its sibling, requests called as long as the others', in the same sentences.
    said = _english_audit("unreachable")
    assert ("206 of these requests were closed as “Не дозвонились”. “Авито”'s requests were "
            "not given up sooner than the other sources' (a median of 44.6 hours against "
            "45.9 hours; p = 0.87, Mann–Whitney test): the leads themselves do not answer."
            in said), said
