"""A consultant's pass over `funnelc fit --backtest` and `funnelc forecast` on the online
school's amoCRM export (tests/data/amocrm_school, seed 3, ru, --tz Europe/Moscow) found
text a client reads awkwardly:

* months written ISO inside Russian sentences and headers: «в 2026-10», «подобрано по
  данным за 2026-07», «контроль 2026-09 – 2026-10», «месяц после этого, 2026-11»;
* the forecast's money as «147,16 тыс.» (two decimals on a compact figure) under
  «выручка (RUB)», while its heading wrote ₽;
* the back-test plot's legend over the first panel's dots.

Months now read as the language says them (the JSON keeps ISO months), money as the
rest of funnelc writes it (`Translator.money`, at most three significant digits, one
sign), and the legend sits in the figure's margin above the panels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli_once import planted, school_backtest, school_forecast
from conftest import headless_chrome, needs_chromium
from funnelc.cli import cli

pytestmark = pytest.mark.slow  # seconds a test: handed out first (conftest)

DATA = Path(__file__).resolve().parent / "data" / "amocrm_school"
FUNNEL = DATA / "school.funnel"
TZ = ("--tz", "Europe/Moscow")
NBSP = "\u00a0"
# A month written ISO (2026-10), not a day (2026-10-31).
ISO_MONTH = re.compile(r"\b20\d\d-\d\d\b(?!-)")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", "COLUMNS": "200"})


def flat(text: str) -> str:
    """The text as one line with plain spaces: the terminal's wrapping and the no-break
    spaces that bind a month to its year are not what these tests are about."""
    return " ".join(text.replace(NBSP, " ").split())


@pytest.fixture(scope="module")
def export() -> Path:
    """The school's export, shared read-only (`planted`)."""
    return planted("amocrm_school")


@pytest.fixture(scope="module")
def backtest() -> tuple[str, dict[str, Any], Path]:
    """Fitted on July–August, compared on September–October: the Russian text, the JSON
    and the fitted funnel (bt.html beside it). The session's one run of this back-test
    (`school_backtest`, which tests/test_backtest_amocrm_school.py reads too): its report
    on stderr is the text `fit --backtest` prints when the JSON goes to a file, and its
    JSON on stdout what `--json` writes, but for the seconds it took and the paths."""
    ran = school_backtest()
    return ran.stderr, json.loads(ran.stdout), ran.path("fitted.funnel")


def test_the_backtest_names_its_months(backtest: tuple[str, dict[str, Any], Path]) -> None:
    report, data, _f = backtest
    text = flat(report)
    for phrase in (
            "подобрано по данным за июль–август 2026 (2 месяца, 431 сделка, 1 092 события; "
            "срез 31 августа 2026 21:00 UTC), сравнение за сентябрь–октябрь 2026 (2 месяца; "
            "месяцы в Europe/Moscow)",
            # The days of the header in words too (they read «с 2026-07-01», «2026-11-27
            # 11:56 UTC»).
            "месяцы подгонки — с 1 июля 2026, с пустой воронки; срез по последнему событию "
            "истории 27 ноября 2026 11:56 UTC",
            "поэтому месяц после этого, ноябрь 2026, не сравнивается",
            "дальше всего: Продажи: проигранные сделки за весь контрольный период "
            "сентябрь–октябрь 2026 (выше)",
            "(подобрано по данным за июль–август 2026)"):
        assert phrase in text, phrase
    cells = {c.strip() for line in report.splitlines() for c in line.split("│")[1:2]}
    assert {f"сентябрь{NBSP}2026", f"октябрь{NBSP}2026",
            f"контроль: сентябрь–октябрь{NBSP}2026"} <= cells, cells
    # Days and times stay as the data writes them; no month is ISO any more.
    assert not ISO_MONTH.search(text), ISO_MONTH.findall(text)
    # The JSON is data: ISO months.
    assert data["fit_months"] == ["2026-07", "2026-08"]
    assert {f["month"] for f in data["figures"]} == {"2026-09", "2026-10", "holdout"}
    assert "over the holdout 2026-09 – 2026-10" in data["verdict"]["text"]
    assert any("2026-11" in n for n in data["notes"])


def test_a_one_month_fit_in_ukrainian_names_its_months(export: Path) -> None:
    res = invoke("fit", str(export), "--funnel", str(FUNNEL), *TZ, "--backtest", "1",
                 "--reps", "4", "--lang", "uk")
    assert res.exit_code == 0, res.output
    text = flat(res.output)
    # It read «підібрано за даними 2026-07», «порівняння за 2026-08 – 2026-10».
    assert "підібрано за липень 2026 (1 місяць, 202 угоди, 474 події;" in text, text
    assert "порівняння за серпень–жовтень 2026 (3 місяці;" in text, text
    assert "тому місяць після цього, листопад 2026, не порівнюється" in text, text
    assert "контроль: серпень–жовтень 2026" in text, text
    assert not ISO_MONTH.search(text), ISO_MONTH.findall(text)


def test_the_backtest_says_when_new_deals_stopped_in_words(
        export: Path, backtest: tuple[str, dict[str, Any], Path]) -> None:
    # The school's last lead came on 31 October 14:55 (Moscow): the back-test's own note
    # read «после 2026-10-31 14:55 (Europe/Moscow) в воронку не пришло ни одной сделки»
    # while the forecast says the same moment «после 31 октября 2026 14:55».
    report, data, _f = backtest
    text = flat(report)
    assert ("после 31 октября 2026 14:55 (Europe/Moscow) в воронку не пришло ни одной "
            "сделки") in text, text
    assert "2026-10-31" not in text
    # English and the JSON keep the ISO moment.
    assert any(n.startswith("no deal entered the funnel after 2026-10-31 14:55 "
                            "(Europe/Moscow)") for n in data["notes"]), data["notes"]
    # One run for Ukrainian and English: with --format json the Ukrainian report goes
    # to stderr, and the JSON's notes are the English ones `--lang en` prints.
    uk = invoke("fit", str(export), "--funnel", str(FUNNEL), *TZ, "--backtest", "2",
                "--reps", "4", "--lang", "uk", "--format", "json")
    assert uk.exit_code == 0, uk.output
    said = flat(uk.stderr)
    assert ("після 31 жовтня 2026 14:55 (Europe/Moscow) у воронку не прийшло жодної "
            "угоди") in said, said
    en = " ".join(json.loads(uk.stdout)["notes"])
    assert "no deal entered the funnel after 2026-10-31 14:55 (Europe/Moscow)" in flat(en), en


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", "дальше всего: Продажи: проигранные сделки в октябре 2026 (выше)"),
    ("uk", "найдалі: Продажи: програні угоди у жовтні 2026 (вище)"),
])
def test_a_verdicts_month_follows_its_preposition(lang: str, words: str) -> None:
    # The school's October (fitted on July–August): the sales pipeline lost 213 deals
    # against a band of 108–172; the verdict read «… в 2026-10 (выше)».
    from types import SimpleNamespace

    from funnelc.history.backtest import Figure
    from funnelc.history.backtest_report import _Words, verdict

    lost = Figure("lost", "Продажи", "", "2026-10", 213.0, 140.0, 14.0, 108.0, 172.0, 12)
    won = Figure("won", "Продажи", "", "2026-10", 24.0, 24.0, 7.0, 10.0, 39.0, 12)
    bt = SimpleNamespace(figures=[lost, won], inside=1, pipelines=["Продажи", "Прогрев"],
                         holdout_months=["2026-09", "2026-10"])
    assert verdict(bt, _Words(lang)).endswith(words)  # type: ignore[arg-type]


def _money_parts(cell: str) -> list[str]:
    return [p.strip() for p in cell.replace(NBSP, " ").split("–")]


def test_the_forecast_writes_money_and_months_as_the_client_reads_them() -> None:
    # `forecast <export> --funnel <the back-test's fitted funnel> --as-of 2026-08-31
    # --until 2026-10-31 --reps 60`: its tables, from the session's one run with -o
    # (`school_forecast`, stdout the same bytes).
    out = school_forecast().stdout
    assert "(RUB)" not in out and "RUB" not in out
    assert "66 открытых сделок на сумму 2,99 млн ₽" in flat(out)
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()
            if line.startswith("│")]
    months = [r[0] for r in rows if r and re.fullmatch(rf"\w+{NBSP}2026", r[0])]
    assert months == [f"сентябрь{NBSP}2026", f"октябрь{NBSP}2026"], months
    # A week by its first day in words (it read «2026-09-07»).
    weeks = [r[0] for r in rows if r and re.fullmatch(r"\d+ \w+ 2026", r[0])]
    assert weeks[:2] == ["1 сентября 2026", "7 сентября 2026"], weeks
    money = [c for r in rows for c in r if "₽" in c]
    # Expected, 80 % and 95 % of revenue in every row of the three tables.
    assert len(money) == 3 * sum(1 for r in rows if len(r) >= 8), rows
    for cell in money:
        assert cell.count("₽") == 1 and cell.endswith("₽"), cell  # one sign a figure
        for part in _money_parts(cell):
            figure = part.removesuffix("₽").strip()
            assert re.fullmatch(r"\d+(,\d+)?( (тыс\.|млн))?", figure), cell
            # At most three significant digits: «147 тыс.», «1,13 млн», not «146,78 тыс.».
            assert len(re.sub(r"\D", "", figure).lstrip("0")) <= 3, cell


def _axes_tops(svg: str) -> list[float]:
    """The top edge of every panel's frame (the first path of each axes group)."""
    tops = []
    for m in re.finditer(r'<g id="[\w-]*axes_\d+">\s*<g id="[\w-]*patch_\d+">\s*'
                         r'<path d="([^"]+)"', svg):
        ys = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", m.group(1))[1::2]]
        tops.append(min(ys))
    return tops


def test_the_plot_legend_sits_above_the_panels(backtest: tuple[str, dict[str, Any], Path]
                                               ) -> None:
    page = backtest[2].with_name("bt.html").read_text("utf-8")
    svg = page[page.index("<svg"):page.index("</svg>")]
    tops = _axes_tops(svg)
    assert len(tops) == 12, tops
    legend = svg[svg.index("legend_1"):]
    ys = [float(y) for y in re.findall(r'<path d="M -?[\d.]+ (-?[\d.]+)', legend)[:6]]
    ys += [float(y) for y in re.findall(r'translate\(-?[\d.]+ (-?[\d.]+)\)', legend)[:3]]
    # Inside the first panel it lay on its dots; now every mark of it is above every panel.
    assert ys and max(ys) < min(tops), (ys, tops)
    labels = re.findall(r"<!-- (.*?) -->", legend)[:3]
    assert labels == ["95% интервал", "предсказано", "наблюдалось"], labels


@needs_chromium
@pytest.mark.parametrize("width", [1400, 390])
def test_the_legend_shows_on_a_wide_screen_and_a_phone(
        backtest: tuple[str, dict[str, Any], Path], width: int) -> None:
    page = backtest[2].with_name("bt.html")
    with headless_chrome() as driver:
        driver.set_window_size(width, 1200)  # type: ignore[attr-defined]
        driver.get(page.resolve().as_uri())  # type: ignore[attr-defined]
        box, legend, first = driver.execute_script(  # type: ignore[attr-defined]
            "const f = document.querySelector('figure');"
            "const r = e => { const b = e.getBoundingClientRect();"
            " return [b.left, b.top, b.right, b.bottom]; };"
            "return [r(f), r(f.querySelector('g[id$=\"legend_1\"]')),"
            " r(f.querySelector('g[id$=\"axes_1\"] path'))];")
    # Above the first panel's frame, and on a phone inside the visible part of the
    # plot's scrolling box (centred under the panels, a phone showed its first third).
    assert legend[3] <= first[1], (legend, first)
    assert box[0] <= legend[0] and legend[2] <= box[2], (legend, box)
