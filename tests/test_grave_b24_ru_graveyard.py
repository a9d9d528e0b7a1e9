"""Issue 14, point 4 (seed 000) on a Moscow training company's Bitrix24 export
(tests/data/grave_b24_ru/generate.py, seed 0): deals hoard in «Думают» for months and
the managers clear them out as lost («Не отвечает») after months more, while the deals
that move on do so within weeks. The stage must be called a graveyard, with its hoarded
deals counted by hand from the generator's own draw."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli_once import cli_ok, history_once, out, planted
from conftest import DATA, data_generator
from funnelc.cli import cli

THINK = "Думают"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 0, shared read-only by the files that read it."""
    return planted("grave_b24_ru")


def _truth(export: Path) -> tuple[list[float], list[float], datetime]:
    """From the generator's own draw: the days each visit to «Думают» that moved on
    took (followed to its end, past the export), and the age of each visit still there
    at the export's end."""
    gen = data_generator("grave_b24_ru")
    moved: list[float] = []
    open_age: list[float] = []
    for deal in json.loads((export / "truth.json").read_text(encoding="utf-8")):
        visit = deal["think"]
        if visit is None:
            continue
        entered = datetime.fromisoformat(visit["entered"])
        if entered >= gen.END:
            continue
        if visit["moved"]:
            moved.append(visit["days"])
        if entered + timedelta(days=visit["days"]) >= gen.END:
            open_age.append((gen.END - entered).total_seconds() / 86400)
    return moved, open_age, gen.END


def test_think_is_a_graveyard_by_the_deals_that_moved_on(export: Path) -> None:
    result = cli_ok(["history", export / "bitrix24", "--tz", "Europe/Moscow", "--format",
                     "json", "-q"], ENV)
    (row,) = [r for r in json.loads(result.stdout)["tables"]["graveyards"]
              if r["stage"] == THINK]
    moved, open_age, _ = _truth(export)
    truth_p95 = float(np.percentile(moved, 95))  # 38.6 days at seed 0
    # The yardstick is the time by which 95 % of the deals that moved on had moved on:
    # the losses months later (the graveyard being cleared) used to stretch it to 171
    # days, calling 4 of the 62 open deals hoarded.
    p95_days = row["p95_h"] / 24
    assert 0.8 * truth_p95 < p95_days < 1.5 * truth_p95
    assert row["open"] == len(open_age) == 62
    assert row["hoarded"] == sum(a > p95_days for a in open_age)  # 42
    assert row["hoarded"] > len(open_age) / 2
    assert row["graveyard"]


def _pasted(funnel: str, proposal: str) -> str:
    """The account's funnel with «Думают»'s ways out replaced by the proposal's and the
    cold stage pasted after it, as docs/audit.md tells the consultant to."""
    head, rest = funnel.split('  stage "Думают" {\n', 1)
    body, tail = rest.split("  }\n", 1)
    keep = [line for line in body.splitlines(keepends=True)
            if line.strip().startswith(("owner", "work"))]
    stages = proposal.split("{\n", 1)[1].rsplit("}", 1)[0]
    think, cold = stages.split('\n\n  stage "Холодные"', 1)
    ways = think.split("{\n", 1)[1]
    return (head + '  stage "Думают" {\n' + "".join(keep) + ways + "\n"
            + '  stage "Холодные"' + cold + tail)


def test_audit_finds_the_graveyard_with_the_generators_figures(export: Path) -> None:
    funnel = Path(__file__).parent / "data" / "grave_b24_ru" / "training.funnel"
    result = cli_ok(["audit", funnel, export / "bitrix24", "--tz", "Europe/Moscow", "-q",
                     "--format", "json"], ENV)
    audit = json.loads(result.stdout)
    grave = audit["findings"][0]
    _, open_age, _ = _truth(export)
    assert (grave["kind"], grave["stage"], grave["to_stage"]) == ("graveyard", THINK,
                                                                 "Договор и счёт")
    assert grave["deals"] > len(open_age) / 2
    # Of the deals that stayed a week, the share that moved on later: 38 of 166 in the
    # generator's draw followed to the end (22.9 %), of all that came in 120 of 253.
    visits = [d["think"] for d in json.loads((export / "truth.json").read_text("utf-8"))
              if d["think"]]
    week = [v for v in visits if v["days"] >= 7]
    assert abs(grave["observed"] - sum(v["moved"] for v in week) / len(week)) < 0.05
    assert abs(grave["expected"] - sum(v["moved"] for v in visits) / len(visits)) < 0.05
    proposal = audit["proposals"][0]["funnel_text"]
    pasted = _pasted(funnel.read_text(encoding="utf-8"), proposal)
    def errors(text: str) -> list[str]:
        out = CliRunner().invoke(cli, ["check", "--format", "json", "-"], input=text, env=ENV)
        assert out.exit_code in (0, 1), out.output
        return [d["code"] for d in json.loads(out.stdout)["diagnostics"]
                if d["severity"] == "error"]

    assert errors(pasted) == errors(funnel.read_text(encoding="utf-8")) == [], pasted
    # The account's SLAs count working hours (mon–fri 09:00–19:00): a week is 50 of them,
    # where `sla 7d` would have been 168, over three weeks.
    assert 'stage "Холодные"' in pasted and 'sla 50h -> "Холодные"  # 7 календарных дней' in pasted


def test_the_yardstick_is_said_as_the_deals_that_moved_on(export: Path) -> None:
    # «дольше, чем длятся 95 % уходящих с него пребываний», «95 % уходят за»: the
    # losses no longer set the yardstick, so the page must not say every exit does.
    result = cli_ok(["history", export / "bitrix24", "--tz", "Europe/Moscow", "--lang", "ru",
                     "-q", "-o", out("h")], ENV)
    page = result.path("h/history.html").read_text(encoding="utf-8").replace("\u00a0", " ")
    assert "дольше, чем понадобилось 95% ушедших с него дальше сделок" in page
    assert "95% уходят дальше за" in page and "уходящих с него" not in page


def test_segments_money_is_in_the_accounts_currency(export: Path) -> None:
    # «их сумма 753 000» beside findings that say «на кону 4 137 920 ₽».
    # The page of the run tests/test_i18n_history.py reads too (once a session; -q, which
    # only quiets the notes on stderr, left out so that it is the same command).
    funnel = DATA / "grave_b24_ru" / "training.funnel"
    folder = history_once([export / "bitrix24", "--funnel", funnel, "--tz", "Europe/Moscow"],
                          ENV).folder
    page = (folder / "history.html").read_text(encoding="utf-8")
    section = page.split('<h2 id="graveyard_segments">', 1)[1].split("<h2 ", 1)[0]
    assert section.count("₽") == 7  # each of the 7 segments' value


def test_the_finding_points_to_the_proposal_where_it_is(export: Path) -> None:
    # «Разделите этап (предложение — в таблице кладбищ)»: the proposal is not in the
    # graveyards' table but printed after the findings («Предлагаемое разделение …»).
    funnel = Path(__file__).parent / "data" / "grave_b24_ru" / "training.funnel"
    result = cli_ok(["audit", funnel, export / "bitrix24", "--tz", "Europe/Moscow", "-q"], ENV)
    text = " ".join(result.stdout.split())
    said = text.index("разделите этап, чтобы с ними работали отдельно от свежих (предлагаемые "
                      "этапы — ниже); на кону")
    assert said < text.index("Предлагаемое разделение этапа «Думают»:")


def test_the_money_at_stake_says_what_it_prices(export: Path) -> None:
    """«на кону 4 137 920 ₽» for 42 deals that move on a few per cent of the time could
    not be explained to the client: it is each hoarded deal at what a deal coming into
    «Думают» is worth (the won value over the deals that came in: 95 of 251 won, 24 729 000
    ₽), and the sentence says so."""
    funnel = Path(__file__).parent / "data" / "grave_b24_ru" / "training.funnel"
    runs = [cli_ok(["audit", funnel, export / "bitrix24", "--tz", "Europe/Moscow", "-q", *fmt],
                   ENV) for fmt in ((), ("--format", "json"))]
    grave = json.loads(runs[1].stdout)["findings"][0]
    end = data_generator("grave_b24_ru").END
    came = [d for d in json.loads((export / "truth.json").read_text("utf-8"))
            if d["think"] and datetime.fromisoformat(d["think"]["entered"]) < end]
    won = [d["value"] for d in came
           if any(s == "WON" and datetime.fromisoformat(t) < end for t, s, _ in d["events"])]
    assert (len(came), len(won), sum(won)) == (251, 95, 24_729_000)
    assert grave["kind"] == "graveyard"
    assert grave["money"] / grave["deals"] == pytest.approx(sum(won) / len(came))
    text = " ".join(runs[0].stdout.replace("\u00a0", " ").split())
    assert ("на кону 4 137 920 ₽: столько они принесли бы, если бы выигрывались так же "
            "часто, как сделки, приходящие на этап (98 522 ₽ за сделку)") in text
    assert "what they would bring if won as often" in grave["text"]


def _daily_and_shares(export: Path, cut: float) -> tuple[float, float, float, float, int]:
    """From the generator's draw, cut at the export's end: moves forward a day per 100
    deals in «Думают» before `cut` days there and after; the share of all visits that
    moved forward, and of those there at `cut` (Aalen–Johansen: a visit still open at the
    end counts for as long as it was watched); the visits there at `cut`."""
    end = data_generator("grave_b24_ru").END
    visits: list[tuple[float, str]] = []
    for deal in json.loads((export / "truth.json").read_text(encoding="utf-8")):
        v = deal["think"]
        if v is None or datetime.fromisoformat(v["entered"]) >= end:
            continue
        entered = datetime.fromisoformat(v["entered"])
        left = entered + timedelta(days=v["days"])
        if left >= end:
            visits.append(((end - entered).total_seconds() / 86400, "open"))
        else:
            visits.append((v["days"], "moved" if v["moved"] else "lost"))

    def share(since: float) -> tuple[float, int]:
        there = sorted((age - since, how) for age, how in visits if age >= since)
        alive, total, at_risk = 1.0, 0.0, len(there)
        for _, how in there:  # sorted by age; no ties in continuous times
            if how == "moved":
                total += alive / at_risk
            if how != "open":
                alive *= 1 - 1 / at_risk
            at_risk -= 1
        return total, len([a for a, _ in visits if a >= since])

    before = sum(how == "moved" and age < cut for age, how in visits) / sum(
        min(age, cut) for age, _ in visits)
    after = sum(how == "moved" and age >= cut for age, how in visits) / sum(
        max(age - cut, 0) for age, _ in visits)
    fresh, _ = share(0.0)
    cold, stayed = share(cut)
    return 100 * before, 100 * after, fresh, cold, stayed


def test_the_graveyard_says_what_its_shares_and_its_daily_rates_are(export: Path) -> None:
    # «Of the 161 deals still there after 7 days, 20.96% moved on to "Договор и счёт"
    # later, against 46.05% of all that came in: old deals move on under half as often
    # per day» set two shares against a per-day comparison it never gave (a consultant
    # could not explain «71.32% against 72.57%: … under half as often» to a client). The
    # finding now says the daily rates the test compares, and what the shares are of.
    before, after, fresh, cold, stayed = _daily_and_shares(export, 7.0)
    assert (f"{before:.2g}", f"{after:.2g}", f"{100 * cold:.2f}", f"{100 * fresh:.2f}",
            stayed) == ("5.7", "0.33", "20.96", "46.05", 161)
    assert after / before < 0.5
    funnel = Path(__file__).parent / "data" / "grave_b24_ru" / "training.funnel"
    said = {lang: " ".join(CliRunner().invoke(cli, [
        "audit", str(funnel), str(export / "bitrix24"), "--tz", "Europe/Moscow", "-q",
        "--lang", lang], env=ENV).stdout.replace("\u00a0", " ").split())
        for lang in ("ru", "uk", "en")}
    assert ("Сделки, пролежавшие там 7 дней и дольше, идут дальше более чем вдвое реже: из "
            "каждых 100 сделок на этапе в первые 7 дней на этап «Договор и счёт» переходило "
            "5,7 в день, а после — 0,33 в день (p < 0,001, поправка Холма, 5%). В итоге из 161 "
            "сделки, пролежавшей там 7 дней и дольше, дальше перешло 20,96%, а из всех "
            "пришедших — 46,05%. Скапливаются именно старые, медленные сделки") in said["ru"]
    assert ("Угоди, що пролежали там 7 днів і довше, йдуть далі більш ніж удвічі рідше: з "
            "кожних 100 угод на етапі в перші 7 днів на етап «Договор и счёт» переходило 5,7 "
            "на день, а після — 0,33 на день (p < 0,001, поправка Голма, 5%). Зрештою з 161 "
            "угоди, що пролежала там 7 днів і довше, далі перейшло 20,96%, а з усіх, що "
            "надійшли, — 46,05%.") in said["uk"]
    assert ("Deals that have been there 7 days or longer move on less than half as often: of "
            "every 100 deals in the stage, 5.7 a day moved on to “Договор и счёт” in their "
            "first 7 days, and 0.33 a day after that (p < 0.001, Holm at 5%). In the end, "
            "20.96% of the 161 deals still there after 7 days moved on, against 46.05% of all "
            "that came in. It is the old, slow deals that pile up") in said["en"]


@pytest.mark.parametrize("lang", ["ru", "uk", "en"])
def test_the_proposals_table_shows_the_daily_rates_it_compares(
        export: Path, lang: str) -> None:
    # The table's introduction said «move on under half as often per day as before» over
    # two shares (32.28% before, 20.96% after) that are no such comparison; the daily
    # rates the finding gives («5.7 a day … 0.33 a day after that») were only in the JSON.
    # Now the table shows them, per 100 deals a day as the finding says them, and the
    # introduction says what each column is.
    from funnelc.i18n import translator

    before, after, *_ = _daily_and_shares(export, 7.0)
    point = "." if lang == "en" else ","
    rates = (f"{before:.2g}".replace(".", point), f"{after:.2g}".replace(".", point))
    assert rates == {"en": ("5.7", "0.33")}.get(lang, ("5,7", "0,33"))
    result = cli_ok(["history", export / "bitrix24", "--tz", "Europe/Moscow", "--lang", lang,
                     "-q", "-o", out("h")], ENV)
    tr = translator(lang)
    titles = [tr.gettext(t) for t in ("per 100 a day, before", "per 100 a day, after")]
    # The terminal's row: pipeline, stage, the cut's days, then the two rates.
    table = result.stdout.split(tr.gettext("Proposed segmentation stages"), 1)[1]
    row = next(line for line in table.splitlines() if THINK in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert (cells[2], cells[3], cells[4]) == ("7", *rates), row
    page = result.path("h/history.html").read_text(encoding="utf-8")
    section = page.split('<h2 id="graveyard_proposals">', 1)[1].split("<h2 ", 1)[0]
    words = " ".join(re.sub(r"<[^>]+>", " ", section).replace("\u00a0", " ").split())
    quote = "“{}”" if lang == "en" else "«{}»"
    assert all(quote.format(t) in words for t in titles), words
    assert all(f"<th>{t}</th>" in section or f">{t}</th>" in section for t in titles), section
    assert f" {rates[0]} {rates[1]} " in words, words
    if lang == "en":
        assert titles == ["per 100 a day, before", "per 100 a day, after"]
        assert ("Of every 100 deals in the stage, “per 100 a day, before” is how many moved "
                "on a day in their first days there, “per 100 a day, after” how many a day "
                "after that") in words
        assert "under half as often per day as before (exact test" not in words
