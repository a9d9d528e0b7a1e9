"""A Kyiv consultant's pass over `history` and `audit` on a furniture maker's Bitrix24
export with a planted story (tests/data/furniture_uk/generate.py, seed 7): Тарас Мельник
loses twice as many deals at «Замір» and closes lukewarm ones that come back, Instagram
qualifies half as often from March, «Інше» on 30 % of losses, «Думає» hoards deals.
Every figure asserted here was counted by hand from the generator's own truth, not
from funnelc's tables."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from cli_once import Ran, cli_once, out, planted
from funnelc.cli import cli
from history_family import ENV as FAMILY_ENV
from judged_count import judged_entries

DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"
FUNNEL = DATA / "dubok.funnel"
STAGES = ["Нова заявка", "Кваліфіковано", "Замір", "Розрахунок", "Думає", "Договір",
          "Виробництво"]


ENV = {"NO_COLOR": "1", "COLUMNS": "160"}


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 7, shared read-only by the files that read it."""
    return planted("furniture_uk")


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout


def _once(*args: object) -> Ran:
    """`_run` of a command that several tests run alike on the shared export: run once
    in the session (`cli_once`), its outputs read-only."""
    ran = cli_once(args, ENV)
    assert ran.exit_code == 0, ran.output
    return ran


def _say(*args: object) -> str:
    return _once(*args).stdout


def _page(*args: object) -> str:
    """history.html of `history <args> -o …`, run once. The page (and history.json and
    the plots) are the same bytes whatever the terminal's width, so it is run at the width
    tests/history_family.py gives: the Ukrainian page is then that family's run, which
    tests/test_no_iso_dates_in_client_text.py and others read too."""
    ran = cli_once(args + ("-o", out("history")), FAMILY_ENV)
    assert ran.exit_code == 0, ran.output
    return ran.path("history/history.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def history(export: Path) -> dict:
    return json.loads(_say("history", export / "bitrix24", "--funnel", FUNNEL,
                           "--format", "json"))


def _rank(row: dict) -> tuple[int, int]:
    # The closing stage's step to the win (`won`) comes after the pipeline's pairs.
    if row["to_stage"] == "won":
        return len(STAGES), len(STAGES)
    return STAGES.index(row["from_stage"]), STAGES.index(row["to_stage"])


@pytest.mark.parametrize("table", ["managers", "source_changes", "decomposition"])
def test_audit_tables_list_stage_pairs_in_the_funnels_order(history: dict, table: str) -> None:
    # They were sorted by name: «Договір», «Думає», «Замір», «Кваліфіковано», «Нова заявка».
    ranks = [_rank(r) for r in history["tables"][table]]
    assert ranks and ranks == sorted(ranks)


@pytest.fixture(scope="module")
def audit(export: Path) -> dict:
    return json.loads(_say("audit", FUNNEL, export / "bitrix24", "--format", "json"))


def test_audit_findings_are_the_planted_story_with_hand_counted_figures(audit: dict,
                                                                        export: Path) -> None:
    found = {(f["kind"], f["subject"] or f["stage"]): f for f in audit["findings"]}
    grave = found["graveyard", "Думає"]
    # 135 deals still in «Думає» at the end, 128 of them older than 14.2 days (the time
    # by which 95% of the deals that moved on to «Договір» had: 13.7 days over the
    # finished visits of truth.json; with every exit counted, the late losses made it
    # 21.8 days and 123 deals); worth 160 won deals' value over the 267 that entered:
    # 23,572.66 a deal.
    assert grave["deals"] == 128 and grave["money"] == pytest.approx(3_017_300.37, abs=0.01)
    weak = found["manager_conversion", "Тарас Мельник"]
    # First visits to «Замір»: 59 of 113 moved on directly, the rest 330 of 437 judged.
    # Nine more of the rest's (Ірина's six, one each of the others') entered in the last
    # days and are still there, younger than the 90th percentile of the time the movers
    # took: not judged, where they were counted as not converted (330 of 446).
    assert _judged_at_measure(export) == {"Тарас Мельник": (113, 59, 0),
                                          "rest": (437, 330, 9)}
    assert (weak["n"], weak["observed"], weak["expected"]) == (
        113, pytest.approx(59 / 113), pytest.approx(330 / 437))
    assert weak["deals"] == pytest.approx(113 * (330 / 437 - 59 / 113))
    # Each deal short at his deals' size: 26.1 deals × the team's worth of a deal reaching
    # «Розрахунок» (766,731.40 for all 26.1) × his judged deals' mean value at «Замір»,
    # 70,432.74, over all 550 judged deals' 74,709.09 (truth.json): 722,843.70.
    assert weak["money"] == pytest.approx(722_843.71, abs=0.01)
    insta = found["source_quality", "Instagram"]
    # Five months old enough (June's deals are too young), a third of them is one:
    # January against May, as the comparison was before blocks of months. Instagram's
    # January deals 70 of 107 qualified, May's 42 of 129 (months in UTC).
    assert (insta["expected"], insta["observed"], insta["n"]) == (
        pytest.approx(70 / 107), pytest.approx(42 / 129), 129)
    assert insta["periods"] == ["2026-01", "2026-05"]
    assert insta["deals"] == pytest.approx((70 / 107 - 42 / 129) * 129)
    # Each deal fewer at Instagram's deal size, as a manager's at his: 42.4 deals × the
    # team's worth of a deal reaching «Кваліфіковано» (15,397.51: the won value over the
    # 764 deals that entered it) × Instagram's May deals' mean value, 61,881.40, over all
    # 252 May deals' 71,063.10 (truth.json): 568,402.30 (652,739.43 at the team's size).
    assert insta["money"] == pytest.approx(568_402.30, abs=0.01)
    catch_all = found["loss_reasons_missing", "Інше"]
    # «Інше» on 280 of the 1,002 losses whose reason the export kept; the 20 it did not
    # keep (deals reopened after them) are neither a reason nor a loss without one.
    assert (catch_all["deals"], catch_all["n"]) == (280, 1002)
    assert [f["kind"] for f in audit["findings"]][:3] == [
        "graveyard", "manager_conversion", "source_quality"]


def _judged_at_measure(export: Path, premature: bool = False
                       ) -> dict[str, tuple[int, int, int]]:
    """(judged, converted, recent) at «Замір» → «Розрахунок» for Тарас and the rest,
    from the generator's truth (`judged_count`); `premature`: (lost, settled, came back)."""
    truth = json.loads((export / "truth.json").read_text(encoding="utf-8"))
    deals = [(d["manager"], [(datetime.fromisoformat(t), s) for t, s, _ in d["events"]])
             for d in truth]
    end = max(t for _, ev in deals for t, _ in ev)
    rows = judged_entries(deals, "UC_MEASURE", "UC_CALC", lambda s: s == "LOSE", end)
    out = {}
    for who in ("Тарас Мельник", "rest"):
        mine = [r for r in rows if (r.key == "Тарас Мельник") == (who != "rest")]
        out[who] = ((sum(r.lost for r in mine), sum(r.settled for r in mine),
                     sum(r.came_back for r in mine if r.settled)) if premature else
                    (sum(r.judged for r in mine), sum(r.converted for r in mine if r.judged),
                     sum(not r.judged for r in mine)))
    return out


def test_funnel_plot_counts_deals_on_whole_ticks(export: Path) -> None:
    # «Думає → Договір» spans 42-62 deals: its ticks fell on halves and were printed
    # rounded, «42, 45, 48, 50, 52, 55, 58, 60, 62».
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from funnelc.history.analytics import analyse
    from funnelc.history.audit import run_audit
    from funnelc.history.load import load_history
    from funnelc.history.plots import funnel_plot
    from funnelc.i18n import translator

    audit = run_audit(analyse(load_history([str(export / "bitrix24")])))
    fig = funnel_plot(audit, translator("uk"))
    FigureCanvasAgg(fig).draw()
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert any(ax.get_title() == "Думає → Договір" for ax in panels)
    for ax in panels:
        lo, hi = ax.get_xlim()
        shown = [(t.get_position()[0], t.get_text()) for t in ax.get_xticklabels()
                 if lo <= t.get_position()[0] <= hi]
        assert shown and all(x == int(x) and text == f"{int(x)}" for x, text in shown), shown


def test_premature_losses_are_judged_among_the_pairs_where_deals_came_back(
        audit: dict, export: Path) -> None:
    # Тарас's losses at «Замір» whose deal was reopened (back to «Замір», the generator's
    # comeback) and not lost again within the hour: 13 of 54, the rest's 5 of 107. Holm
    # over every manager and pair (35 tests, 30 of them in pairs where no loss came back,
    # p = 1) asked for 0.05 / 35: the story went unsaid. Only the losses as old as 90 %
    # of the comebacks took (from the loss to the reopening) can tell whether they were
    # premature: 43 of Тарас's 54 and 89 of the rest's 107; every loss that came back is
    # among them. Until a reopened deal counted only once it reached «Розрахунок», the
    # generator's three comebacks lost again at «Замір» were left out: 10 of 42 against
    # 5 of 87, while his clients came back 13 times (docs/audit.md).
    assert _judged_at_measure(export, premature=True) == {"Тарас Мельник": (54, 43, 13),
                                                          "rest": (107, 89, 5)}
    premature = [f for f in audit["findings"] if f["kind"] == "premature_losses"]
    assert [(f["subject"], f["stage"]) for f in premature] == [("Тарас Мельник", "Замір")]
    f = premature[0]
    assert (f["n"], f["observed"], f["expected"]) == (
        43, pytest.approx(13 / 43), pytest.approx(5 / 89))
    pooled = 18 / 132  # the two-sided pooled z-test, by hand
    z = (13 / 43 - 5 / 89) / math.sqrt(pooled * (1 - pooled) * (1 / 43 + 1 / 89))
    assert f["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    # Closed too early against the rest's share, each worth what a deal entering «Замір»
    # wins: the won deals' value over the 559 that entered, 21,044.19.
    assert f["deals"] == pytest.approx((13 / 43 - 5 / 89) * 43)
    assert f["money"] == pytest.approx((13 / 43 - 5 / 89) * 43 * 21_044.19, abs=1.0)


def test_catch_all_finding_names_the_clients_own_catch_all(export: Path, audit: dict) -> None:
    # It read «(«Інше», «Other»)» whatever the account had: an English word in the
    # Ukrainian sentence, and a catch-all the client never used.
    text = _say("audit", FUNNEL, export / "bitrix24", "--lang", "uk")
    line = next(s for s in text.split("\n  ") if "кошик" in s)
    assert "з причиною-кошиком («Інше»): 280 відмов" in " ".join(line.split())
    assert "Other" not in text
    missing = next(f for f in audit["findings"] if f["kind"] == "loss_reasons_missing")
    assert missing["subject"] == "Інше"


def test_losses_with_no_reason_at_all_are_not_called_catch_alls(tmp_path: Path) -> None:
    rows = ["deal_id,time,stage,loss_reason"]
    for i in range(12):
        rows += [f"{i},2026-03-{i + 1:02d}T10:00:00+02:00,Нова заявка,",
                 f"{i},2026-03-{i + 2:02d}T10:00:00+02:00,lost,"]
    csv = tmp_path / "history.csv"
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = " ".join(_run("audit", str(FUNNEL), str(csv), "--lang", "uk").split())
    assert "100% відмов у воронці «Продажі» (усього 12) без причини: 12 відмов" in text
    assert "кошик" not in text


def test_money_at_stake_is_written_in_the_accounts_currency(export: Path) -> None:
    # «на кону 722 844» left the client to guess hryvnias from a bare number; the
    # funnel says `currency UAH`.
    for args in (["audit", FUNNEL, export / "bitrix24"],
                 ["history", export / "bitrix24", "--funnel", FUNNEL]):
        text = " ".join(_say(*args, "--lang", "uk").split())
        assert "на кону 722 844 ₴." in text.replace("\u00a0", " ")
    english = json.loads(_say("audit", FUNNEL, export / "bitrix24", "--format", "json"))
    (weak,) = [f for f in english["findings"] if f["kind"] == "manager_conversion"]
    assert "722,844 at stake" in weak["text"]  # the JSON's data, as before


def test_terminal_managers_table_keeps_words_whole(export: Path) -> None:
    # 20 columns in 160 were folded every few letters: «Прода / жі», «Кваліфік / овано»,
    # «Бондарен / ко». The interval's bounds and other details stay in the HTML and JSON.
    text = _say("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "uk")
    table = text[text.index("Менеджери порівняно"):]
    table = table[:table.index("\n  … ")]
    lines = table.splitlines()[1:]
    assert max(len(s) for s in lines) <= 160
    cells = [c.strip().replace("\u00a0", " ") for s in lines
             for c in s.replace("┃", "│").split("│")]
    # The money gap in hryvnias since the realty pass («−722 844 ₴»; it had no unit).
    for word in ("Кваліфіковано", "конверсія", "передчасно", "Нецільовий", "−722 844 ₴"):
        assert word in cells, word
    for surname in ("Коваленко", "Шевченко", "Бондаренко", "Мельник", "Ткаченко"):
        # Whole, on the name's line or the next: one row per stage pair (seven, and
        # «Виробництво» → «Успішно реалізовано»).
        assert sum(c.split(" ")[-1] == surname for c in cells) == 8, surname
    # Each left-out column's title in quotes: the titles with commas of their own
    # («відмінність через заявки джерела, а не менеджера, на») ran into one another.
    assert ("також у HTML і JSON: «нещодавні», «від», «до», «стиснута», «помітно від», "
            "«до успіху», «перший рух»") in " ".join(text.split())


def test_graveyard_finding_names_the_stage_not_a_move(export: Path, audit: dict) -> None:
    # ««Продажі» «Думає» → «Договір» — кладовище»: the move read as the graveyard.
    text = " ".join(_say("audit", FUNNEL, export / "bitrix24", "--lang", "uk").split())
    assert "1. Етап «Думає» у воронці «Продажі» — кладовище: там накопичилося 128 угод. " \
           "Угоди, що пролежали там 7 днів і довше, йдуть далі більш ніж удвічі рідше: з " \
           "кожних 100 угод на етапі в перші 7 днів на етап «Договір» переходило" in text
    assert "Зрештою з 166 угод, що пролежали там 7 днів і довше, далі перейшло 11,17%" in text
    grave = audit["findings"][0]
    assert (grave["stage"], grave["to_stage"]) == ("Думає", "Договір")
    assert grave["text"].startswith("“Продажі” “Думає” is a graveyard: 128 deals")


def test_premature_losses_read_as_lost_deals_in_ukrainian(export: Path) -> None:
    # «закриває … як неуспішні угоди»: a CRM in Ukrainian says a deal is lost (програна).
    # The clients come back (the same deal reopened here; elsewhere a new deal of the
    # same client), so «угоди, клієнти яких потім повертаються».
    text = " ".join(_say("audit", FUNNEL, export / "bitrix24", "--lang", "uk").split())
    assert "Тарас Мельник закриває на етапі «Замір» у воронці «Продажі» як програні " \
           "угоди, клієнти яких потім " \
           "повертаються: 30,23% із 43 відмов, які вже встигли б повернутися, проти 5,62% " \
           "у решти (p < 0,001)" in text
    # What came back, said as counted: reopened and worked again, not closed again at once.
    assert "Як вони повернулися: 13 угод відкрито знову й не програно протягом години." \
        in text


def test_history_json_keeps_findings_and_verdicts_in_english(history: dict,
                                                             export: Path) -> None:
    # A Ukrainian account's history.json had «… — кладовище: …» and «конверсія впала …»
    # where `funnelc audit --format json` and the docs give English sentences as data.
    assert history["tables"]["findings"][0]["finding"].startswith(
        "“Продажі” “Думає” is a graveyard: 128 deals pile up there.")
    verdicts = {(r["from_stage"], r["to_stage"]): r["verdict"]
                for r in history["tables"]["decomposition"]}
    assert verdicts["Нова заявка", "Кваліфіковано"].startswith(
        "“Нова заявка” → “Кваліфіковано” fell from 64.25% in 2026-01 to 49.21% in 2026-05")
    page = _page("history", export / "bitrix24", "--funnel", FUNNEL).replace("\u00a0", " ")
    assert "Етап «Думає» у воронці «Продажі» — кладовище: там накопичилося 128 угод." \
        in page
    # January's 133 of 207 deals qualified directly, May's 124 of 252 (from truth.json).
    assert "«Нова заявка» → «Кваліфіковано»: конверсія впала з 64,25% у січні 2026 до " \
           "49,21% у травні 2026" in page


def test_months_in_sentences_are_named(export: Path, audit: dict) -> None:
    # «у 32,56% у 2026-05 проти 65,42% у 2026-01»: an ISO month in a client's sentence.
    text = " ".join(_say("audit", FUNNEL, export / "bitrix24", "--lang", "uk").split())
    insta = next(f for f in audit["findings"] if f["kind"] == "source_quality")
    # Each rate with its base (the finding's own counts: `n` deals of May, 32.56% of them).
    k = round(insta["observed"] * insta["n"])
    assert f"у 32,56% у травні 2026 ({k} з {insta['n']}) проти 65,42% у січні 2026 (" in text
    # «Нецільовий» was said to grow from 54 of the 152 kept losses of January's deals to
    # 95 of 193 of May's: Instagram's worse leads lost at «Нова заявка». Among the losses
    # there it is 54 of 74 and 95 of 128 (p = 0.85), as the generator draws it (70 %, the
    # rest «Інше»), and no loss reason is a finding. «Неактуально»'s fall among all the
    # losses, 28 of 152 → 15 of 193, is said to be «Нова заявка»'s, where Instagram's
    # worse leads are lost (74 of January's 207 deals, 128 of May's 252), while at
    # «Замір», where it is given, 28 of 33 → 15 of 22 (p = 0.15;
    # tests/test_loss_reason_upstream.py).
    assert not [f for f in audit["findings"] if f["kind"] == "loss_reason_shift"]
    assert [(f["subject"], f["stage"], f["upstream"]["stage"]) for f in audit["findings"]
            if f["kind"] == "loss_reason_upstream"] == [("Неактуально", "Замір", "Нова заявка")]
    assert ("Причина відмови «Неактуально» у воронці «Продажі»: 18,42% усіх відмов серед угод, "
            "що надійшли в січні 2026 (28 з 152), 7,77% серед тих, що надійшли в травні 2026 "
            "(15 з 193; p = 0,0029)") in text
    assert ("більш ранній етап «Нова заявка» став втрачати більше угод, що дійшли до нього: "
            "35,75% тих, що надійшли в січні 2026 (74 з 207), і 50,79% тих, що надійшли в "
            "травні 2026 (128 з 252; p = 0,0012); найбільше там зросла причина «Нецільовий»"
            ) in text
    assert text.count("Причина відмови") == 1
    assert insta["periods"] == ["2026-01", "2026-05"]
    assert f"in 2026-05 ({k} of {insta['n']}) against" in insta["text"]


def test_sources_table_gives_the_first_periods_rate_its_base(export: Path) -> None:
    """«then 65.42%» stood beside «entered 129», May's deals: January's 107 were only in
    history.json (review L3). Instagram's January: 70 of 107 qualified (truth.json)."""
    text = _say("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "en")
    table = text[text.index("Sources: first against last period"):]
    lines = table.splitlines()
    at = next(i for i, line in enumerate(lines) if "Instagram" in line)
    # The cell may wrap in a terminal of 160 columns: its lines under the row, joined.
    then = [line.split("│")[6] for line in lines[at:at + 3] if line.count("│") > 6]
    assert "65.42% (70 of 107)" in " ".join(" ".join(then).split())
    page = _page("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "en")
    changes = page[page.index('id="source_changes"'):]
    assert "65.42% (70 of 107)" in changes[:changes.index("</table>")]


def test_counts_are_said_with_their_noun_and_p_values_as_a_client_reads_them(
        export: Path) -> None:
    # «там накопичилося угод: 123», «(угод: 113, p = 8,6e-59)», «Аудит за воронкою …
    # (угод: 1 348, подій: 4 922)»: counts written around the plural, p in e-notation.
    text = " ".join(_say("audit", FUNNEL, export / "bitrix24", "--lang", "uk").split())
    text = text.replace("\u00a0", " ")
    assert text.startswith("Аудит 1 348 угод і 4 922 подій за воронкою ")
    assert "там накопичилося 128 угод. Угоди, що пролежали" in text
    assert "Зрештою з 166 угод, що пролежали" in text
    assert "(p < 0,001, поправка Голма, 5%)" in text
    assert "проти 75,51% у решти команди (113 угод, p < 0,001): недобір — 26 угод" in text
    # Its p ≥ 0.001 were the loss-reason shifts' («p = 0,0029»), no findings now (above).
    assert "угод:" not in text and "e-" not in text
    ru = " ".join(_say("audit", FUNNEL, export / "bitrix24", "--lang", "ru").split())
    assert "там скопилось 128 сделок. Сделки, пролежавшие" in ru.replace("\u00a0", " ")
    assert "В итоге из 166 сделок, пролежавших" in ru.replace("\u00a0", " ")
    assert "сделок:" not in ru


def test_history_page_marks_code_and_writes_p_columns_as_a_client_reads_them(
        export: Path) -> None:
    # The findings' note read «the same list as `funnelc audit`» with its backticks; the
    # command is now named in «», as the client's text quotes a name (no markup at all).
    page = _page("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "uk")
    assert "той самий список, що видає «funnelc audit»" in page
    notes = [s.split("</p>")[0] for s in page.split('<p class="note">')[1:]]
    assert notes and not [s for s in notes if "`" in s]
    managers = page[page.index('id="managers"'):]
    managers = managers[:managers.index("</table>")]
    # The tables' p read «8,6e-59», «1,2e-06» beside findings saying «p < 0,001» (review
    # F13): below a thousandth a cell is «< 0,001», as the findings say it; above, two
    # significant figures with the Ukrainian decimal comma (0,0027).
    cells = [c.split("<")[0] for c in page.split('<td class="n">')[1:]]
    assert "<\u00a00,001" in [c.replace("&lt;", "<") for c in cells]
    assert not [c for c in cells if re.search(r"\de-?\d", c)], [
        c for c in cells if re.search(r"\de-?\d", c)]
    assert "< 0,001" in managers.replace("&lt;", "<").replace("\u00a0", " ")


def test_options_and_keywords_are_named_only_in_hints_for_the_consultant(
        export: Path) -> None:
    """Page review F14: the method notes read «…; --periods задає періоди)» and the split
    proposal «частки — ті, що показують дані, «stay» — угоди, які ще там»: the command
    line's and the funnel text's words inside sentences the client reads. The sentence
    says it in words; the option or keyword follows apart, «Консультантові: «--periods»»,
    as the report's hints do (quoted as the history quotes a name, no backticks)."""
    page = _page("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "uk")
    notes = [s.split("</p>")[0] for s in page.split('<p class="note">')[1:]]
    named = [(n, m) for n in notes for m in re.finditer(r"--periods|«stay»", n)]
    assert {m.group(0) for _, m in named} == {"--periods", "«stay»"}, notes
    for note, m in named:
        before = note[max(0, m.start() - 60):m.start()]
        assert "Консультантові: " in before and not re.search(r"[.;)]\s", before.split(
            "Консультантові: ")[-1]), note


def test_time_in_stage_gives_the_age_of_the_deals_still_there(
        export: Path, history: dict) -> None:
    """Page review F11: «Час на етапі» drew «Продажі · Думає» at a median of 3,8 days and a
    p90 of 14,2 while its 135 open deals, more than half of the stage, had been there 87,7
    days (median): the figures count finished visits only, and a graveyard's finished
    visits are its short ones. The table now gives the open deals' median age and the
    chart marks it where it is past the stage's median."""
    rows = {r["stage"]: r for r in history["tables"]["time_in_stage"]
            if r["pipeline"] == "Продажі"}
    thinks = rows["Думає"]
    assert thinks["open"] == 135
    assert 80 * 24 < thinks["open_age_median_h"] < 95 * 24, thinks
    assert thinks["open_age_median_h"] > 10 * thinks["median_h"]

    from matplotlib.figure import Figure

    from funnelc.api import load_file
    from funnelc.history.plots import time_plot
    from funnelc.history.run import prepare
    from funnelc.i18n import translator

    tables = prepare([str(export / "bitrix24")], "Europe/Kyiv", load_file(FUNNEL).model).tables
    fig = time_plot(tables, translator("en"))
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (marks,) = [line for line in ax.get_lines()
                if line.get_label() == "deals still there: median age"]
    shown = [r["stage"] for r in tables.time_in_stage.filter(pl.col("n") > 0).to_dicts()]
    hours = 24.0 if ax.get_xlabel() == "days in stage" else 1.0  # else hours, or log hours
    marked = {shown[round(y)]: x * hours / 24 for x, y in marks.get_xydata()}
    assert "Думає" in marked and 80 < marked["Думає"] < 95, marked
    assert ax.get_xlim()[1] > marked["Думає"] * 24 / hours  # on the axis

    page = _page("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", "en")
    times = page[page.index('id="time_in_stage"'):]
    assert "open: median age" in times[:times.index("</table>")]


def test_the_graveyard_table_counts_entries_and_says_so(export: Path,
                                                        history: dict) -> None:
    """Page review F12: «Замір → Розрахунок, усього: увійшло 559» in the conversion table,
    «Замір: увійшло 579» in the graveyard table, same header word: the 20 are deals
    brought back into the stage, counted once per entry. The graveyard table now says
    «entries» and why they differ from the deals."""
    tables = history["tables"]
    grave = next(r for r in tables["graveyards"] if r["stage"] == "Замір")
    deals = next(r for r in tables["shape"] if r["stage"] == "Замір")["deals"]
    assert grave["entered"] > deals  # the re-entries
    for lang, entries, note in (("en", "entries", "counts a deal brought back"),
                                ("uk", "входжень", "")):
        page = _page("history", export / "bitrix24", "--funnel", FUNNEL, "--lang", lang)
        section = page[page.index('id="graveyards"'):]
        section = section[:section.index("</table>")]
        heads = re.findall(r"<th[^>]*>(.*?)</th>", section)
        assert heads[2] == entries, heads
        assert note in section
