"""A Kyiv consultant's pass, in English, over a B2B SaaS company's generic CSV export
(tests/data/saas_en/generate.py, seed 1): wins and losses are the stages «Closed won» and
«Closed lost», headers are spelt with spaces («Loss reason», «Deal owner»), amounts
`€1,250.50`, dates `MM/DD/YYYY`; the CRM renamed «Demo» to «Demo held» on 2026-05-01;
Ryan Cole closes trials as lost early and reopens some; a bulk import put 300 deals into
«Inbound lead» on 2026-06-16. Every figure asserted here was counted from the
generator's own truth (`truth.json`), not from funnelc's tables."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_ok
from cli_once import out as out_arg
from conftest import data_generator, headless_chrome, needs_chromium
from funnelc.cli import cli
from judged_count import judged_entries

DATA = Path(__file__).resolve().parent / "data" / "saas_en"
FUNNEL = DATA / "cloudly.funnel"
RENAMED = datetime(2026, 5, 1)
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saas_en")
    data_generator("saas_en").write(out, 1)
    return out


@pytest.fixture(scope="module")
def truth(export: Path) -> list[dict]:
    return json.loads((export / "truth.json").read_text(encoding="utf-8"))


def _exported(t: str, stage: str) -> str:
    return "Demo held" if stage == "Demo" and datetime.fromisoformat(t) >= RENAMED else stage


def _run(*args: str, code: int = 0) -> tuple[str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    assert result.exit_code == code, result.output
    return result.stdout, result.stderr


def _history_json(export: Path) -> tuple[str, str]:
    """`history --funnel … --format json` of the export, which two tests read: run once
    (`cli_once`)."""
    ran = cli_ok(["history", export / "history.csv", "--funnel", FUNNEL, "--format", "json"],
                 ENV)
    return ran.stdout, ran.stderr


@pytest.fixture(scope="module")
def history(export: Path) -> dict:
    out, _ = _history_json(export)
    return json.loads(out)


def test_closed_won_and_closed_lost_close_the_deal(history: dict, truth: list[dict]) -> None:
    # HubSpot's and Salesforce's names for the closing stages were read as two more open
    # stages: no deal was ever lost or won, the loss reasons table said «(none)».
    won = sum(1 for d in truth for e in d["events"] if e[1] == "Closed won")
    lost = sum(1 for d in truth for e in d["events"] if e[1] == "Closed lost")
    assert (won, lost) == (258, 846)
    stages = {r["stage"] for r in history["tables"]["time_in_stage"]}
    assert not stages & {"Closed won", "Closed lost"}
    assert sum(r["deals"] for r in history["tables"]["losses"]) == lost


def test_loss_reasons_by_stage_are_the_generators(history: dict, truth: list[dict]) -> None:
    # «Loss reason» (a header with a space) was not the loss_reason column: every loss
    # had «(no reason)». Counted per loss, by the stage the deal was lost from; the
    # funnel's «Demo» reads the export's «Demo held» too (the CRM renamed it).
    expected: Counter[tuple[str, str, str]] = Counter()
    for d in truth:
        prev = None
        for _t, stage, why in d["events"]:
            if stage == "Closed lost":
                expected[d["pipeline"], prev, why] += 1
            else:
                prev = stage
    got = {(r["pipeline"], r["stage"], r["reason"]): r["deals"]
           for r in history["tables"]["losses"]}
    assert got == dict(expected)
    assert got["New business", "Trial", "No response"] == 91


def test_deal_owner_is_the_manager_column(history: dict, truth: list[dict]) -> None:
    managers = {r["manager"] for r in history["tables"]["managers"]}
    assert managers == {d["manager"] for d in truth}


def test_a_renamed_stage_is_read_as_the_funnels_stage_and_said(export: Path) -> None:
    # Read as two stages, «Demo» converted 0 % from May on: five sources «got worse» at
    # once in the audit (€493k at stake, all of it the rename). The days prove the
    # rename, so the funnel's «Demo» reads both names, and the warning says so.
    out, err = _history_json(export)
    text = " ".join(err.split())
    assert ('warning: "New business"."Demo held" (289 events) is read as "New business".'
            f'"Demo" ({FUNNEL}:44:9): "Demo" was last entered on 2026-04-29, "Demo held" '
            "first on 2026-05-01: the CRM renamed the stage") in text
    assert "history.csv:1514: the first \"Demo held\"" in text
    assert f"if they are two stages, declare both in {FUNNEL}" in text
    doc = json.loads(out)
    assert {r["stage"] for r in doc["tables"]["losses"]} >= {"Demo"}
    assert not [r for r in doc["tables"]["losses"] if r["stage"] == "Demo held"]
    notes = [n for n in doc["quality"]["notes"] if "renamed" in n]
    assert len(notes) == 1 and "both names are read as the funnel's one stage" in notes[0]


def test_a_renamed_stage_is_told_when_the_funnel_has_the_new_name(export: Path,
                                                                  tmp_path: Path) -> None:
    held = tmp_path / "held.funnel"
    held.write_text(FUNNEL.read_text(encoding="utf-8").replace('"Demo"', '"Demo held"'),
                    encoding="utf-8")
    _, err = _run("history", str(export / "history.csv"), "--funnel", str(held), "-q")
    text = " ".join(err.split())
    assert '"New business"."Demo" (169 events) is read as "New business"."Demo held"' in text
    assert '"Demo" was last entered on 2026-04-29, "Demo held" first on 2026-05-01' in text


def test_a_funnel_with_both_names_keeps_them_two_stages(export: Path, tmp_path: Path) -> None:
    both = tmp_path / "both.funnel"
    text = FUNNEL.read_text(encoding="utf-8").replace(
        '-> "Trial" 80% after exp(4d)', '-> "Demo held" 80% after exp(4d)', 1)
    at = text.index('  stage "Trial"')
    both.write_text(text[:at] + '  stage "Demo held" {\n    -> "Trial" 100%\n  }\n\n'
                    + text[at:], encoding="utf-8")
    out, err = _run("history", str(export / "history.csv"), "--funnel", str(both),
                    "--format", "json")
    assert "is read as" not in err
    stages = {r["stage"] for r in json.loads(out)["tables"]["losses"]}
    assert {"Demo", "Demo held"} <= stages


def test_the_bulk_import_is_a_data_quality_count_with_its_place(history: dict,
                                                                 truth: list[dict],
                                                                 export: Path) -> None:
    # 300 webinar attendees imported on 2026-06-16 read as June's leads (June's «Inbound
    # lead» → «Discovery call» fell to 15.54 %) and a graveyard, and nothing said why.
    day = [d["id"] for d in truth
           if d["pipeline"] == "New business" and d["events"][0][0].startswith("2026-06-16")]
    assert len(day) == 301  # the import and one lead of that day
    lines = (export / "history.csv").read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, 1) if line.split(",", 1)[0] in day)
    q = history["quality"]
    assert q["counts"]["bulk_created"] == 301
    assert q["examples"]["bulk_created"] == [f"{export / 'history.csv'}:{first}"]


def test_no_bulk_import_in_an_account_without_one(tmp_path: Path) -> None:
    rows = ["deal_id,timestamp,stage"] + [
        f"{i},2026-03-{1 + i % 28:02d} 10:00,New" for i in range(400)]
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out, _ = _run("history", str(tmp_path / "h.csv"), "--format", "json")
    assert "bulk_created" not in json.loads(out)["quality"]["counts"]


@pytest.fixture(scope="module")
def audit_text(export: Path) -> str:
    out, _ = _run("audit", str(FUNNEL), str(export / "history.csv"))
    return " ".join(out.split())


def test_english_money_has_its_sign_first(audit_text: str) -> None:
    # «434,667 € at stake»: English writes €434,667 (the figure itself is the audit's
    # stake, €326,987 since 230facc priced a stage's deals by its won ones' mean).
    assert re.search(r"€\d{1,3}(,\d{3})+ at stake", audit_text)
    assert not re.search(r"\d\s?€", audit_text)


@pytest.fixture(scope="module")
def fixed(export: Path) -> Path:
    """The export as the consultant fixes it after the rename warning: one name."""
    path = export / "fixed.csv"
    path.write_text((export / "history.csv").read_text(encoding="utf-8")
                    .replace(",Demo held,", ",Demo,"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fitted(fixed: Path) -> tuple[str, str]:
    """(the fitted funnel's text, fit's report on stdout as one line)."""
    out = fixed.parent / "fitted.funnel"
    text, _ = _run("fit", "--funnel", str(FUNNEL), str(fixed), "-o", str(out))
    return out.read_text(encoding="utf-8"), " ".join(text.split())


def test_the_bulk_import_is_no_seasonal_wave_of_its_source(fitted: tuple[str, str],
                                                            truth: list[dict]) -> None:
    # The 300 imported attendees fitted `profile jun 2974%` on «Webinar»: a wave of
    # leads every June in every forecast.
    funnel, report = fitted
    webinar = next(line for line in funnel.splitlines() if line.startswith('source "Webinar"'))
    assert "profile" not in webinar
    assert ("301 deals created in pipeline “New business” on 2026-06-16, a day of bulk "
            "creation (an import), are not counted as leads of their sources, nor in the "
            "outcome shares and delays of their stages") in report
    # Its rate is the other 101 Webinar leads over the history's span, to the month.
    leads = [d for d in truth if d["source"] == "Webinar" and d["pipeline"] == "New business"
             and not d["events"][0][0].startswith("2026-06-16")]
    assert len(leads) == 101


def test_after_the_rename_is_fixed_the_conversion_counts_both_names(
        fitted: tuple[str, str], truth: list[dict]) -> None:
    # With «Demo held» left apart, «Discovery call» → «Demo» fitted 51.9 % (169 of 326
    # exits, the 271 moves to «Demo held» dropped and the rest scaled up).
    funnel, _ = fitted
    moves = Counter()
    for d in truth:
        path = [e[1] for e in d["events"]]
        for a, b in pairwise(path):
            if a == "Discovery call":
                moves[b] += 1
    share = moves["Demo"] / sum(moves.values())  # 458 of 622 exits
    assert (moves["Demo"], sum(moves.values())) == (458, 622)
    # fit reads the mature visits only (those old enough to have left): 440 of 597.
    fitted_share = float(re.search(
        r'stage "Discovery call".*?-> "Demo" ([\d.]+)% after', funnel, re.S)[1]) / 100
    assert fitted_share == pytest.approx(share, abs=0.01)


@pytest.fixture(scope="module")
def history_page(fixed: Path) -> str:
    out = fixed.parent / "history_out"
    _run("history", str(fixed), "--funnel", str(FUNNEL), "-o", str(out))
    return (out / "history.html").read_text(encoding="utf-8")


def test_the_english_history_page_has_no_russian_words_and_no_research_seeds(
        history_page: str) -> None:
    # «(seed 003's «было» / «стало»)», «(seed 003: leads «слиты» …)», «seed 002 calls both
    # a broken funnel», «a catch-all one («Прочее», «Другое», «Інше», «Other»)».
    text = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", history_page,
                  flags=re.S)
    assert not re.search(r"[\u0400-\u04ff]", text), re.search(r".{60}[\u0400-\u04ff].{60}",
                                                              text)
    assert "seed 00" not in text
    assert "Stages where deals pile up" in text


def test_graveyard_sentence_is_english(audit_text: str, truth: list[dict]) -> None:
    # «282 deals hoard there»: the imported deals nobody touched, all still in «Inbound
    # lead» at the end of the export (no other deal sits there over two weeks).
    still = [d for d in truth if d["events"][-1][1] == "Inbound lead"
             and d["events"][-1][0] < "2026-10-17"]
    assert len(still) == sum(d["imported"] for d in still) == 282
    assert "“New business” “Inbound lead” is a graveyard: 282 deals pile up there." in audit_text


@pytest.fixture(scope="module")
def report_page() -> str:
    """The English account's report, run once a session (`cli_once`): tests/
    test_english_quotes.py reads the same one."""
    ran = cli_ok(["report", FUNNEL, "-o", out_arg("report"), "--reps", "2", "--days", "60",
                  "--warmup", "0"], ENV)
    return ran.path("report").joinpath("report.html").read_text(encoding="utf-8")


def test_the_report_writes_english_money_one_way(report_page: str) -> None:
    # The summary card read «1.57M ±178k EUR» and the pipelines table «1.17M ±193k» under
    # «revenue won EUR», beside «€152k» and a Money table of «€143k ±€16.2k».
    page = report_page
    # Two replications: an interval that would pass 0 is written by its ends (fcb0a41).
    assert re.search(r"<b>€[\d.]+[kM]? (±€[\d.]+[kM]?|\[0–€[\d.]+[kM]?\])</b>", page)
    assert "revenue won EUR" not in page and not re.search(r"\d[kM]? EUR", page)


@needs_chromium
def test_months_stay_on_one_line_on_a_phone(history_page: str, fixed: Path) -> None:
    # At 390 px every month cell read «2026-» above «01».
    page = fixed.parent / "history_out" / "history.html"
    with headless_chrome() as driver:
        driver.set_window_size(390, 900)
        driver.get(page.as_uri())
        lines = driver.execute_script("""
            const out = [];
            for (const td of document.querySelectorAll('td')) {
              if (!/^\\d{4}-\\d{2}( \\*)?$/.test(td.textContent)) continue;
              const r = document.createRange(); r.selectNodeContents(td);
              const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
              out.push([td.textContent, tops.size]);
            }
            return out;""")
    assert len(lines) > 100
    assert [t for t, n in lines if n != 1] == []


def test_a_renamed_stage_is_noted_without_a_funnel_file(export: Path) -> None:
    # Without --funnel, «Demo» and «Demo held» were two stages and nothing said why:
    # «Discovery call» → «Demo» read 0 % from May on, a fall of every source.
    out, _ = _run("history", str(export / "history.csv"), "--format", "json")
    notes = [n for n in json.loads(out)["quality"]["notes"] if "slash dates" not in n]
    lines = (export / "history.csv").read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, 1) if ",Demo held," in line)
    assert first == 1514
    assert notes == [
        f"{export / 'history.csv'}:{first}: “Demo held” of “New business” was first entered on "
        "2026-05-01, after the last “Demo” on 2026-04-29: the CRM renamed the stage, and the "
        "two names are read as two stages (the old one's conversion falls to 0% from then "
        "on); write one name in the export's stage column"]
    out, _ = _run("history", str(export / "history.csv"), "--lang", "uk", "-q")
    assert "CRM перейменувала етап" in " ".join(out.split())


def test_no_rename_is_noted_once_the_export_has_one_name(fixed: Path) -> None:
    out, _ = _run("history", str(fixed), "--format", "json")
    assert not [n for n in json.loads(out)["quality"]["notes"] if "renamed" in n]


def test_euro_amounts_with_cents_are_read_to_the_cent(history: dict, truth: list[dict]) -> None:
    # `€1,250.50`: the sign, the thousands comma and the cents, summed over the deals
    # lost with the catch-all reason, as the loss-reason table weighs them.
    for row in history["tables"]["loss_reasons_missing"]:
        expected = sum(d["value"] for d in truth if d["pipeline"] == row["pipeline"]
                       for e in d["events"] if e[1] == "Closed lost" and e[2] == "Other")
        assert row["value"] == pytest.approx(expected, abs=0.005)
    assert {r["pipeline"]: round(r["value"], 2)
            for r in history["tables"]["loss_reasons_missing"]} == {
        "Expansion": 108_966.86, "New business": 848_061.33}


def test_us_dates_are_read_month_first(history: dict, truth: list[dict]) -> None:
    # `01/13/2026`: the file's own dates settle month/day/year; never guessed.
    months = Counter(d["events"][0][0][:7] for d in truth)
    got = Counter()
    for r in history["tables"]["inflow"]:
        got[r["month"]] += r["deals"]
    assert dict(got) == dict(months)


def test_the_date_order_read_is_told_with_the_date_that_settles_it(history: dict,
                                                                   export: Path) -> None:
    lines = (export / "history.csv").read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines[1:], 2)
                 if int(line.split(",")[1].split("/")[1]) > 12)
    value = lines[first - 1].split(",")[1]
    assert value.startswith("01/13/2026")
    assert history["quality"]["notes"][0] == (
        f"{export / 'history.csv'}:{first}: slash dates read as month/day/year: “{value}” "
        "has a day above 12 in second place")


@pytest.mark.parametrize(("rows", "said", "months"), [
    (["1,03/04/2026,Demo", "2,03/14/2026,Demo"], "month/day/year: “03/14/2026”",
     {"2026-03"}),  # 4 and 14 March
    (["1,03/04/2026,Demo", "2,14/03/2026,Demo"], "day/month/year: “14/03/2026”",
     {"2026-03", "2026-04"})])  # 3 April, 14 March
def test_03_04_2026_is_read_as_the_file_settles_and_said(tmp_path: Path, rows: list[str],
                                                         said: str, months: set[str]) -> None:
    path = tmp_path / "h.csv"
    path.write_text("deal_id,date,stage\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out, _ = _run("history", str(path), "--format", "json")
    doc = json.loads(out)
    assert doc["quality"]["notes"] == [f"{path}:3: slash dates read as {said} has a day above "
                                       f"12 in {'second' if 'month/day' in said else 'first'} "
                                       "place"]
    assert {r["month"] for r in doc["tables"]["inflow"]} == months


def test_03_04_2026_alone_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("deal_id,date,stage\n1,03/04/2026,Demo\n", encoding="utf-8")
    _, err = _run("history", str(path), code=1)
    assert f"{path}:2: `03/04/2026`: no date of the file tells whether it is day/month/year" in err


def test_key_stage_help_names_a_field_in_the_accounts_words(tmp_path: Path) -> None:
    # FN105 told an English account `requires "Бюджет", "…"`.
    text = FUNNEL.read_text(encoding="utf-8")
    bare = tmp_path / "bare.funnel"
    bare.write_text(re.sub(r'(?m)^field .*\n|^    requires .*\n', "", text), encoding="utf-8")
    _, err = _run("check", str(bare), code=1)
    assert 'list what this stage needs: `requires "Budget", "…"`' in err
    own = tmp_path / "own.funnel"
    own.write_text(text.replace('    requires "Team size", "Budget"\n', ""), encoding="utf-8")
    _, err = _run("check", str(own), code=1)
    assert 'list what this stage needs: `requires "Team size", "Budget", "…"`' in err


@pytest.fixture(scope="module")
def audit_fixed(fixed: Path) -> dict:
    out, _ = _run("audit", str(FUNNEL), str(fixed), "--format", "json")
    return json.loads(out)


def _trial(truth: list[dict], rep: str, mine: bool = True) -> list[list[str]]:
    """The stage paths of the «New business» deals of `rep` (`mine=False`: of everyone
    else) that entered «Trial»."""
    paths = [[e[1] for e in d["events"]] for d in truth
             if d["pipeline"] == "New business" and (d["manager"] == rep) == mine]
    return [p for p in paths if "Trial" in p]


def test_once_the_rename_is_fixed_the_audit_is_the_planted_story(audit_fixed: dict,
                                                                  history_fixed: dict,
                                                                  truth: list[dict]) -> None:
    # With «Demo held» apart, five sources «converted 0 %» on «Discovery call» → «Demo»
    # from July: findings of the rename, not of the sources.
    found = {(f["kind"], f["subject"] or f["stage"]): f for f in audit_fixed["findings"]}
    assert set(found) == {("graveyard", "Inbound lead"), ("premature_losses", "Ryan Cole"),
                          ("loss_reasons_missing", "Other")}
    # Ryan's early losses make him weaker at «Trial» (29 of 56 judged moved on directly,
    # the rest 218 of 306), but not clearly so over the 30 comparisons: p = 0.004. It
    # was flagged while his 4 open trials of the last weeks (and 5 of the rest's),
    # younger than the time 90 % of the trials that moved on took, counted as failures.
    end = max(datetime.fromisoformat(e[0]) for d in truth for e in d["events"])
    entries = judged_entries(
        [(d["manager"], [(datetime.fromisoformat(e[0]), e[1]) for e in d["events"]])
         for d in truth if d["pipeline"] == "New business"],
        "Trial", "Proposal", lambda s: s == "Closed lost", end)

    def count(mine: bool) -> tuple[int, int, int]:
        rows = [r for r in entries if (r.key == "Ryan Cole") == mine]
        return (sum(r.judged for r in rows), sum(r.converted for r in rows if r.judged),
                sum(not r.judged for r in rows))

    assert (count(True), count(False)) == ((56, 29, 4), (306, 218, 5))
    (ryan,) = [r for r in history_fixed["tables"]["managers"]
               if r["from_stage"] == "Trial" and r["manager"] == "Ryan Cole"]
    assert (ryan["entered"], ryan["reached"], ryan["recent"]) == (56, 29, 4)
    assert ryan["rest_rate"] == pytest.approx(218 / 306)
    assert ryan["p_value"] == pytest.approx(0.004, abs=0.0005) and not ryan["flagged"]
    ryan_paths = _trial(truth, "Ryan Cole")
    # Lost on the first visit to «Trial», and reopened into «Trial» (the story: 40 % of
    # them, two to six weeks later): 12 of 27, of which 7 reached «Proposal» after all.
    # Counted only once they reached «Proposal», as until docs/audit.md said otherwise,
    # his clients came back 7 times, not the 12 the generator reopened.
    lost = [p for p in ryan_paths if p[p.index("Trial") + 1:][:1] == ["Closed lost"]]
    reopened = [p for p in lost if p[p.index("Trial") + 2:][:1] == ["Trial"]]
    back = [p for p in lost if "Proposal" in p[p.index("Trial") + 2:]]
    assert (len(lost), len(reopened), len(back)) == (27, 12, 7)
    # One of the 27 losses is younger than 90 % of the comebacks took (from the loss to
    # the reopening, two to six weeks): it cannot tell yet whether it was premature.
    mine = [r for r in entries if r.key == "Ryan Cole"]
    assert (sum(r.lost for r in mine), sum(r.settled for r in mine),
            sum(r.came_back for r in mine)) == (27, 26, 12)
    early = found["premature_losses", "Ryan Cole"]
    assert (early["n"], early["observed"]) == (26, pytest.approx(12 / 26))


@pytest.fixture(scope="module")
def history_fixed(fixed: Path) -> dict:
    out, _ = _run("history", str(fixed), "--funnel", str(FUNNEL), "--format", "json")
    return json.loads(out)


def test_audit_says_the_import_beside_its_graveyard(fixed: Path) -> None:
    # The graveyard finding was the import, and nothing in the audit said so; a note
    # also came twice («warning: note: …» and «note: …») when a count made the summary loud.
    _, err = _run("audit", str(FUNNEL), str(fixed))
    text = " ".join(err.split())
    assert ("warning: 301 deals were created in bulk, 100 or more in one pipeline on one day "
            f"(first at {fixed}:2144): an import, not that day's leads") in text
    assert text.count("slash dates read as month/day/year") == 1


def test_a_tiny_lower_bound_reads_as_more_than_zero(report_page: str) -> None:
    # The SLA cut column read «≥<0.1%»: at least less than a tenth.
    out, _ = _run("analyze", str(FUNNEL))
    assert "≥<" not in out and ">0%" in out
    assert "≥&lt;" not in report_page and "&gt;0%" in report_page


def test_a_bulk_import_is_one_day_of_the_accounts_zone(tmp_path: Path) -> None:
    # 150 deals imported 02:30–03:29 Kyiv time on 16 June are 75 on each side of UTC's
    # midnight: one day of bulk creation in Kyiv, none in UTC.
    rows = ["deal_id,timestamp,stage"]
    rows += [f"a{i},2026-06-{1 + i % 30:02d} 12:00,New" for i in range(60)]
    rows += [f"b{i},2026-06-15T23:{30 + i % 30:02d}:{i // 30:02d}Z,New" for i in range(75)]
    rows += [f"c{i},2026-06-16T00:{i % 30:02d}:{i // 30:02d}Z,New" for i in range(75)]
    path = tmp_path / "h.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    counts = {}
    for zone in ("UTC", "Europe/Kyiv"):
        out, _ = _run("history", str(path), "--tz", zone, "--format", "json")
        counts[zone] = json.loads(out)["quality"]["counts"].get("bulk_created", 0)
    assert counts == {"UTC": 0, "Europe/Kyiv": 152}  # with the two leads of 16 June


def test_the_imported_deals_are_no_outcome_of_the_first_stage(fitted: tuple[str, str],
                                                               truth: list[dict]) -> None:
    # The 282 untouched attendees fitted «Inbound lead» `stay 25.3%` and «→ Discovery
    # call» 51.5 %; the back-test then predicted 44.8 % where 67.7 % happened.
    funnel, _ = fitted
    first = re.search(r'stage "Inbound lead" \{.*?\n  \}', funnel, re.S)
    assert first is not None and "stay" not in first[0]
    exits = Counter(d["events"][1][1] for d in truth if d["pipeline"] == "New business"
                    and not d["imported"] and len(d["events"]) > 1)
    assert (exits["Discovery call"], sum(exits.values())) == (627, 905)
    share = float(re.search(r'-> "Discovery call" ([\d.]+)%', first[0])[1]) / 100
    assert share == pytest.approx(627 / 905, abs=0.01)



def test_first_stage_conversion_by_month_is_the_generators(history: dict,
                                                           truth: list[dict]) -> None:
    # June's 386 entries and 15.54 % are the import's: the month the data-quality count
    # names.
    entered: Counter[str] = Counter()
    reached: Counter[str] = Counter()
    for d in truth:
        if d["pipeline"] == "New business":
            month = d["events"][0][0][:7]
            entered[month] += 1
            reached[month] += d["events"][1:2] != [] and d["events"][1][1] == "Discovery call"
    got = {r["month"].rstrip(" *"): (r["entered"], r["direct"])
           for r in history["tables"]["conversion"]
           if r["from_stage"] == "Inbound lead" and r["month"] != "all"}
    assert got == {m: (entered[m], reached[m]) for m in entered}
    assert got["2026-06"] == (386, 60)


def test_forecast_reads_the_open_deals_of_a_renamed_stage(export: Path) -> None:
    # It refused the 4 deals open in «Demo held» (a stage the funnel lacks) and said
    # «did you mean "Demo"?»; the funnel's «Demo» reads them, and the warning says so.
    _, err = _run("forecast", str(export / "history.csv"), "--funnel", str(FUNNEL),
                  "--reps", "2")
    text = " ".join(err.split())
    assert '"Demo held" (289 events) is read as "New business"."Demo"' in text
    assert "the CRM renamed the stage" in text and "sit in 1 stage" not in text


def test_the_findings_table_says_its_money_as_the_findings_do(history_page: str) -> None:
    # The sentence said «€434,667 at stake», its money cell «434,667».
    stakes = re.findall(r"(€\d{1,3}(?:,\d{3})+) at stake", history_page)
    assert stakes
    assert f'<td class="n">{stakes[0]}</td>' in history_page
