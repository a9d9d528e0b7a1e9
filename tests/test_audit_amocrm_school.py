"""A Moscow consultant's pass over `history` and `audit` on an online school's amoCRM
export with a planted story (tests/data/amocrm_school/generate.py, seed 3): Петров
Сергей takes half as many qualified deals to the trial lesson; vk's volume triples while
every source qualifies at the same rate each month (a pure mix effect); Кузнецов leaves
in September and his leads are handed to Соколова; Новиков has 10 deals; 15 % of losses
have no reason; «Пробный урок» buries deals; lost deals are copied into «Прогрев»;
leads are created in the first hours of a month in Moscow. Every figure asserted here
was counted by hand from the generator's own records, not from funnelc's tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from cli_once import cli_ok, planted
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "amocrm_school"
FUNNEL = DATA / "school.funnel"


@pytest.fixture(scope="module")
def export() -> Path:
    """The generator's export at seed 3, shared read-only by the files that read it."""
    return planted("amocrm_school")


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    return result.stdout


def _once(*args: object) -> str:
    """`_run` of a command that two tests run alike: once a session (`cli_once`)."""
    return cli_ok(args, {"NO_COLOR": "1", "COLUMNS": "160"}).stdout


def _history_json(export: Path) -> dict:  # type: ignore[type-arg]
    """history.json of `history --funnel … --tz Europe/Moscow`, run once a session: as
    `--format json` prints it (the same bytes `-o` writes, without drawing the plots no
    test here reads)."""
    return json.loads(_once("history", export, "--funnel", FUNNEL, "--tz", "Europe/Moscow",
                            "--format", "json"))


@pytest.fixture(scope="module")
def audit(export: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(_run("audit", str(FUNNEL), str(export), "--tz", "Europe/Moscow",
                           "--format", "json"))


def test_the_audit_finds_the_story_and_nothing_else(
        audit: dict, export: Path) -> None:  # type: ignore[type-arg]
    found = [(f["kind"], f["stage"], f["subject"], round(f["deals"])) for f in audit["findings"]]
    # Петров: 23 of 80 against 133 of 210 for the rest, 27.67 deals short (by hand).
    # Empty reasons: 66 + 21 + 9 + 3 of 690. Four mature months, a third of them is
    # one: July against October by default, the planted story, 240 deals × 10 pp = 24.
    # Before the verdict's gate a fifth finding said the mix moved «Квалификация» →
    # «Пробный урок», 54.55 % → 53.54 % (p = 0.89).
    assert found == [
        ("manager_conversion", "Квалификация", "Петров Сергей", 28),
        ("graveyard", "Пробный урок", None, 18),
        ("source_mix", "Заявка", "vk", 24),
        # vk qualifies 20 % (Сайт 70 %, yandex 50 %): its leads lost at «Заявка» as
        # «Нецелевой» or «Не отвечает» (given there only), 216 of 310, against 158 of
        # the other sources' 480, counted from the generator's leads (history.junk).
        ("source_junk", "Заявка", "vk", 216),
        ("loss_reasons_missing", None, None, 99),
    ]
    # vk's growth is gradual (40, 60, 90, 120 a month): adjacent halves, July–August
    # (164 of 340 qualified) against September–October (186 of 450), dilute it to
    # −6.9 pp, p = 0.053 by hand, within chance and no finding. Why the default leaves
    # the middle out.
    halves = json.loads(_run("audit", str(FUNNEL), str(export), "--tz", "Europe/Moscow",
                             "--format", "json", "--periods",
                             "2026-07..2026-08,2026-09..2026-10"))
    assert "source_mix" not in [f["kind"] for f in halves["findings"]]
    k1, n1, k2, n2 = 164, 340, 186, 450
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    row = {r["from_stage"]: r for r in halves["decomposition"]}["Заявка"]
    assert row["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)))
    assert round(row["p_value"], 3) == 0.053 and "within chance" in row["verdict"]


def test_the_split_is_pure_mix_by_moscow_months(export: Path) -> None:
    tables = _history_json(export)["tables"]
    first = [(r["month"], r["entered"], r["direct"]) for r in tables["conversion"]
             if r["from_stage"] == "Заявка" and r["month"] != "all"]
    # Сайт 60 at 70 %, yandex 60 at 50 %, vk 40/60/90/120 at 20 %, months in Moscow (two
    # leads a source a month are created before 03:00 on the 1st, still last month in UTC).
    assert [(m, n, k) for m, n, k in first][:4] == [
        ("2026-07", 160, 80), ("2026-08", 180, 84), ("2026-09", 210, 90), ("2026-10", 240, 96)]
    d = {r["from_stage"]: r for r in tables["decomposition"]}["Заявка"]
    assert (d["first"], d["last"]) == ("2026-07", "2026-10")
    assert d["rate_effect"] == pytest.approx(0.0, abs=1e-12)
    # 80 of 160 against 96 of 240, all of it mix.
    assert d["mix_effect"] == pytest.approx(96 / 240 - 80 / 160)
    # vk's share 40/160 → 120/240 (25 % → 50 %) at 20 % against the 45 % mean rate.
    assert (d["top_source"], d["top_source_mix_effect"]) == (
        "vk", pytest.approx((120 / 240 - 40 / 160) * (0.2 - (80 / 160 + 96 / 240) / 2)))
    managers = {(r["from_stage"], r["manager"]): r for r in tables["managers"]}
    # Кузнецов's 89 leads: 3 of them left «Заявка» after he left, moved by Соколова.
    assert managers[("Заявка", "Кузнецов Дмитрий")]["entered"] == 86
    assert managers[("Заявка", "Соколова Мария")]["entered"] == 178
    assert not managers[("Заявка", "Новиков Павел")]["flagged"]
    # 8 of Кузнецов's 30 moves into «Пробный урок» were the robot's (created_by 0), all
    # before he left: they are his, by the handover events, not Соколова's, who has the
    # leads now (`responsible_user_id`).
    kuz = managers[("Квалификация", "Кузнецов Дмитрий")]
    assert (kuz["entered"], kuz["reached"]) == (48, 30)
    sok = managers[("Квалификация", "Соколова Мария")]
    assert (sok["entered"], sok["reached"]) == (70, 42)


def test_the_mix_sentence_names_the_months_in_russian(export: Path) -> None:
    text = _run("audit", str(FUNNEL), str(export), "--tz", "Europe/Moscow", "--lang", "ru")
    # It read «конверсию между июле 2026 и октябре 2026»: the months come in the case
    # that follows «в».
    assert ("конверсию в октябре 2026 по сравнению с конверсией в июле 2026 сдвинул состав "
            "источников") in " ".join(text.split())
    assert "между июле" not in text


def test_the_span_is_dated_in_the_zone_of_the_months(export: Path) -> None:
    # The first lead came on 1 July 00:05 in Moscow (30 June 21:05 UTC): the span said
    # «2026-06-30» beside «(месяцы по Europe/Moscow)», and no table has a June.
    first = " ".join(_once("history", export, "--funnel", FUNNEL, "--tz",
                           "Europe/Moscow").splitlines()[0].split())
    # The days in words, as the forecast's header says them (it read «2026-07-01 –
    # 2026-11-27»).
    assert first == ("986 сделок, 2 593 события, 1 июля 2026 – 27 ноября 2026 (месяцы по "
                     "Europe/Moscow)")
    utc = _run("history", str(export), "--funnel", str(FUNNEL)).splitlines()[0]
    assert utc.endswith("30 июня 2026 – 27 ноября 2026 (месяцы по UTC)")


def test_copies_into_the_nurture_pipeline_are_no_sources_new_leads(export: Path) -> None:
    inflow = _history_json(export)["tables"]["inflow"]
    got = {(r["month"], r["source"]): r["deals"] for r in inflow}
    # The generator's volumes; each lost «Дорого» / «Не подошло время» deal of
    # «Квалификация» and «Пробный урок» is copied by the robot (a new amoCRM lead with the
    # same utm_source), 196 copies by the month of the loss in Moscow. They were counted as
    # the sources' new leads: vk 46 in July, and 7 new leads in a November that had none.
    expected = {}
    for month, vk in zip(("2026-07", "2026-08", "2026-09", "2026-10"), (40, 60, 90, 120)):
        expected |= {(month, "vk"): vk, (month, "yandex"): 60, (month, "Сайт"): 60}
    copies = {"2026-07": 42, "2026-08": 49, "2026-09": 44, "2026-10": 54, "2026-11": 7}
    expected |= {(m, "→ Прогрев.Рассылка"): n for m, n in copies.items()}
    assert got == expected


def test_the_graveyard_table_shows_the_sla_that_set_its_threshold(export: Path) -> None:
    text = _once("history", export, "--funnel", FUNNEL, "--tz", "Europe/Moscow")
    rows = [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]
    # All 20 deals still at «Пробный урок» are older than the 95th percentile (11.7 days;
    # by hand 26.9 to 135.3 days), 18 older than the funnel's `sla 193h` (30 calendar
    # days of the school's 45-hour week, as FN124 writes them): «залежались 18» could not
    # be read from the table without the SLA beside it, which counts working hours and
    # says so.
    assert "Продажи Пробный урок 194 20 71 день 11,7 дня 193 раб. ч 18 9,28% ⚠ да" in rows


def _working_ages(export: Path) -> list[float]:
    """The working hours (Monday to Friday, 10:00-19:00 in Moscow, the school's `hours`)
    each deal still at «Пробный урок» has spent there by the export's last event, counted
    day by day from the export's own pages."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    def pages(name: str, key: str) -> list[dict]:  # type: ignore[type-arg]
        return [item for line in (export / name).read_text(encoding="utf-8").splitlines()
                for item in json.loads(line)["_embedded"][key]]

    pipes = json.loads((export / "pipelines.json").read_text(encoding="utf-8"))
    trial = {s["id"] for p in pipes["_embedded"]["pipelines"]
             for s in p["_embedded"]["statuses"] if s["name"] == "Пробный урок"}
    still = {lead["id"] for lead in pages("leads.jsonl", "leads") if lead["status_id"] in trial}
    events = pages("events.jsonl", "events")
    entered = {e["entity_id"]: e["created_at"] for e in sorted(events, key=lambda e: e["created_at"])
               if e["type"] == "lead_status_changed" and e["entity_id"] in still
               and e["value_after"][0]["lead_status"]["id"] in trial}
    msk = ZoneInfo("Europe/Moscow")
    end = datetime.fromtimestamp(max(e["created_at"] for e in events), UTC).astimezone(msk)

    def working(t: datetime) -> float:
        h = 0.0
        while t < end:
            day = datetime(t.year, t.month, t.day, tzinfo=msk)
            if day.weekday() < 5:
                h += max(0.0, (min(end, day + timedelta(hours=19))
                               - max(t, day + timedelta(hours=10))).total_seconds() / 3600)
            t = day + timedelta(days=1)
        return h

    assert len(entered) == len(still) == 20
    return [working(datetime.fromtimestamp(x, UTC).astimezone(msk)) for x in entered.values()]


def test_the_graveyard_sets_a_deals_working_hours_against_the_sla(export: Path,
                                                                    tmp_path: Path) -> None:
    """The school's `hours` make its SLA count working hours, as the simulator runs it:
    `sla 193h` is 30 calendar days of its 45-hour week, `sla 720h` 16 weeks. The
    graveyard set a deal's age on the clock against the SLA's hours, so `sla 193h` read as
    8 days (all 20 deals at «Пробный урок» hoarded, test above: 18) and `sla 720h` as 30
    days (18 hoarded, where only the 5 deals there longer than 16 weeks are past it)."""
    long = tmp_path / "school_720h.funnel"
    long.write_text(FUNNEL.read_text(encoding="utf-8").replace(
        'sla 193h -> lost "Не подошло время"', 'sla 720h -> lost "Не подошло время"'),
        encoding="utf-8")
    text = _run("history", str(export), "--funnel", str(long), "--tz", "Europe/Moscow")
    rows = [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]
    assert "Продажи Пробный урок 194 20 71 день 11,7 дня 720 раб. ч 5 2,58%" in rows, \
        [r for r in rows if "Пробный урок 194" in r]
    # By hand from the generator's records: the buried deals' working hours in the stage.
    ages = _working_ages(export)
    assert sum(a > 193 for a in ages) == 18 and sum(a > 720 for a in ages) == 5


def test_a_one_deal_month_still_moving_is_on_no_line(export: Path) -> None:
    from funnelc.history.analytics import analyse
    from funnelc.history.load import load_history
    from funnelc.history.plots import conversion_plot
    from funnelc.i18n import translator

    t = analyse(load_history([str(export)], tz="Europe/Moscow"))
    # The sales pipeline's lines alone: «Прогрев» («Рассылка» → won, its own step since a
    # pipeline of one stage has one) has a November of its own, not complete, dotted.
    t.conversion = t.conversion.filter(pl.col("pipeline") == "Продажи")
    fig = conversion_plot(t, translator("ru"))
    # «Квалификация» → «Пробный урок»: 53.54 % in October, 0 % of one deal in November,
    # a month not complete; the solid line ran down to it, a collapse to the eye. It was
    # then joined by a dotted line; a month of one deal is too few to read at all
    # (`stats.MIN_MONTH_DEALS`), so no line reaches it now: it stands apart, a cross with
    # its 95 % interval (tests/test_history_few_deal_months.py).
    joined, crosses = [], []
    for line in fig.axes[0].get_lines():
        ys = [y for y in line.get_ydata() if y == y]  # NaN breaks the solid line
        if 0.0 in ys and len(ys) > 1:
            joined.append(list(line.get_xdata()))
        if line.get_marker() == "x" and ys == [0.0]:
            crosses.append(list(line.get_xdata()))
    assert not joined and crosses == [["2026-11"]]


def test_fit_waits_for_a_working_hour_sla_on_the_clock(export: Path) -> None:
    """fit reads a visit's route and delay once the visit is old enough to have left:
    past the 99th percentile of the visits that did, and past the SLA (1.05 ×). The SLA
    counts the school's working hours, so on the clock `sla 193h` lasts 30 days (193 ×
    168 / 45 hours), not 193 hours: the horizon was 398 hours (the 99th percentile, over
    the SLA read as 203 clock hours) and all 194 visits to «Пробный урок» were mature,
    those of the last 16 to 31 days whose SLA had not run out among them. Now the
    horizon is 757 hours and the visits old enough are the 184 counted here from the
    export's pages."""
    fit = json.loads(_run("fit", str(export), "--funnel", str(FUNNEL), "--tz", "Europe/Moscow",
                          "--format", "json"))
    stage = {s["stage"]: s for s in fit["stages"]}["Пробный урок"]
    assert stage["horizon_hours"] == pytest.approx(193 * 1.05 * 168 / 45)
    events = [e for line in (export / "events.jsonl").read_text(encoding="utf-8").splitlines()
              for e in json.loads(line)["_embedded"]["events"]]
    pipes = json.loads((export / "pipelines.json").read_text(encoding="utf-8"))
    trial = {s["id"] for p in pipes["_embedded"]["pipelines"]
             for s in p["_embedded"]["statuses"] if s["name"] == "Пробный урок"}
    entries = [e["created_at"] for e in events if e["type"] == "lead_status_changed"
               and e["value_after"][0]["lead_status"]["id"] in trial]
    end = max(e["created_at"] for e in events)
    assert len(entries) == 194
    assert stage["mature"] == sum(t <= end - stage["horizon_hours"] * 3600 for t in entries) == 184
