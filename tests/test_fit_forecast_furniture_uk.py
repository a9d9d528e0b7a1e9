"""A Ukrainian consultant reads `funnelc fit` and `funnelc forecast` on the furniture
maker's Bitrix24 export (tests/data/furniture_uk/generate.py, seed 7): every line of the
terminal is Ukrainian, with the decimal comma, and the figures are the hand-counted ones."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import furniture_fit
from conftest import planted_export
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"
FUNNEL = DATA / "dubok.funnel"
ENV = {"NO_COLOR": "1", "COLUMNS": "160"}


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted_export(tmp_path_factory, "furniture_uk")


@pytest.fixture(scope="module")
def fitted() -> tuple[Path, str]:
    """The fitted funnel and the fit's report as one line of words: the one fit of the
    export that tests/test_bitrix24_reopened_losses.py reads too (`furniture_fit`)."""
    ran = furniture_fit()
    return ran.path("fitted.funnel"), " ".join(ran.stderr.replace("\u00a0", " ").split())


def test_fit_notes_write_added_shares_with_the_decimal_comma(fitted: tuple[Path, str]) -> None:
    # «додано: відмова «Інше» 2.6%» beside «залишено 0,1%»: the funnel file's number in a
    # Ukrainian sentence. (2.8 % since the shares count the deals still open, 2.6 % from
    # the mature visits only; 2.6 % since «Замір»'s SLA, which nobody applies, is read as
    # not kept; 2.7 % before, with the comebacks credited to the funnel's reopen, 18.4 %
    # instead of the funnel's 10 %: the SLA-corrected share is calibrated with it.)
    _, text = fitted
    assert "Продажі.Розрахунок: додано: відмова «Інше» 2,8% (є в даних" in text
    assert "2.8%" not in text
    # A way out fit found in the data is marked «(немає у воронці)», not «(новий)», which
    # a feminine «відмова» read as a wrong ending.
    flat = " ".join(text.replace("│", " ").split())
    assert "відмова «Інше» (немає у воронці)" in flat and "(новий)" not in flat
    # The fitted file itself keeps the funnel language's numbers.
    assert 'lost "Інше" 2.8% after' in fitted[0].read_text(encoding="utf-8")
    # «Замір»'s 20 losses whose reason Bitrix24 did not keep are no `lost "Угода
    # провалена" 3.7%` route (tests/test_bitrix24_reopened_losses.py).
    assert "Угода провалена" not in text


def test_fit_data_quality_lines_are_ukrainian(fitted: tuple[Path, str]) -> None:
    # «data quality: 4,922 input records read, …» and «note: Bitrix24 history: loss
    # reasons read …» ended the Ukrainian report in English.
    _, text = fitted
    assert ("якість даних: прочитано 4 922 вхідні записи, збережено 4 922 події, нічого не "
            "відкинуто") in text
    assert "примітка: історія Bitrix24: причини програшу взято з поля угоди" in text
    # 1,013 deals end lost; 11 of them came back (won or open) with the field empty:
    # their reason is not kept, and they are said apart.
    assert "заповнено в 1 002 з 1 002 програних угод" in text
    assert "історія Bitrix24: у 20 відмов у вивантаженні немає причини" in text
    for english in ("data quality", "input records", "loss reasons", "note:"):
        assert english not in text


def test_fit_reopen_warning_quotes_the_reason(export: Path, tmp_path: Path) -> None:
    # «повернення Угода провалена: замало угод…»: the reason ran into the sentence. The
    # Bitrix24 export no longer fits a reopen share at all (its comebacks' reasons are not
    # kept): the deals of January in the CSV of the same history have 28 «Неактуально»
    # losses old enough to have come back.
    lines = (export / "history.csv").read_text(encoding="utf-8").splitlines()
    first: dict[str, str] = {}
    for line in lines[1:]:
        deal, time = line.split(",")[:2]
        first[deal] = min(first.get(deal, time), time)
    early = tmp_path / "january.csv"
    early.write_text("\n".join([lines[0], *(x for x in lines[1:]
                                            if first[x.split(",")[0]] < "2026-02-01")]),
                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["fit", "--funnel", str(FUNNEL), str(early)], env=ENV)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("\u00a0", " ").split())
    assert ("попередження: повернення «Неактуально»: замало угод, щоб довіряти: лише 28 "
            "відмов") in text


def _wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    centre = (k / n + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(100 * (centre - half), 1), round(100 * (centre + half), 1)


@pytest.mark.parametrize(("sla", "late", "exits", "taken", "row"), [
    ("80 роб. год", 10, 535, 1, "→ «Розрахунок» │ 385 │ 71,1% │ 67,2%–74,6%"),
    ("40 роб. год", 32, 730, 0, "відмова «Дорого» │ 146 │ 19,8% │ 17,2%–22,8%"),
], ids=["Замір", "Кваліфіковано"])
def test_an_sla_nobody_applied_leaves_the_counted_shares(
        fitted: tuple[Path, str], sla: str, late: int, exits: int, taken: int, row: str
) -> None:
    """The generator applies no SLA. Regression: «Кваліфіковано» (`sla 40h -> lost
    "Не вдалося зв'язатися"`) had 32 of 730 deals (4.4 %) leave another way after 40
    working hours and none taken by it; under the 5 % that alone called an SLA not kept,
    it was read as kept, and its shares were "corrected" for cuts that never happened:
    «Дорого» 25.2 % [21.7–29.0] for the 146 of 731 (20.0 %) counted, the delays 2.9 and
    5.8 days for the generator's 2, and the fitted funnel, simulated, converted 7.5 % of
    the leads for the history's 15 %. «Замір» (80 h: 10 late, one loss at its time) was
    read as kept too. More deals outliving an SLA than it took is an SLA not kept, and
    the shares are the counted ones, with their Wilson intervals: 385 of 535 (72 %
    [68–75.6]) and 146 of 731 (20 % [17.2–23.0]) among the visits old enough to have left;
    since the deals still open are counted too, the cumulative incidences over all the
    stage's visits, 71.1 % and 19.8 %, nothing reweighted for the SLA. The note says each
    SLA in the working hours it counts on the account's calendar: it said `sla 80h` as
    «3,3 дня» and `sla 40h` as «40 годин», clock time they are not."""
    _, text = fitted
    flat = " ".join(text.replace("│", " ").split())
    assert (f"SLA ({sla}) у даних не дотримується: {late} з {exits} угод пішли інакше вже "
            f"після його спливу, а сам він забрав {taken}") in flat
    assert row in text
    assert _wilson(385, 535) == (68.0, 75.6) and _wilson(146, 731) == (17.2, 23.0)


def test_an_sla_the_account_does_not_keep_does_not_cut_the_fitted_delays(
        fitted: tuple[Path, str]) -> None:
    # «Договір» has `sla 40h -> lost "Інше"`, which the generator (as many accounts) never
    # applies: 23 of the 186 deals that left did so after 40 working hours, one was lost by
    # it. Read as an SLA that cuts, that one timeout made «→ Виробництво» a gamma of 31.8
    # days, reweighted to 98.6 %, that the simulated SLA then cut for 82 % of the deals.
    path, text = fitted
    flat = " ".join(text.replace("│", " ").split())
    assert ("SLA (40 роб. год) у даних не дотримується: 23 з 186 угод пішли інакше вже після "
            "його спливу, а сам він забрав 1") in flat
    # Not reweighted: the share is the counted one, 173 of 186 (93 % [88.4–95.9], Wilson)
    # of the visits old enough to have left; with the deals still open counted, its
    # cumulative incidence over all the stage's visits, 92.8 % [88.2–95.8].
    low, high = _wilson(173, 186)
    assert (low, high) == (88.4, 95.9)
    assert "→ «Виробництво» │ 173 │ 92,8% │ 88,2%–95,8%" in text
    # The delay is the deals' own (2.83 days in stage on average, less the wait and 1 h of
    # work), not 31.8 days.
    line = next(x for x in path.read_text(encoding="utf-8").splitlines()
                if x.strip().startswith('-> "Виробництво"'))
    mean = re.search(r"after \w+\(([\d.]+)d", line)
    assert mean is not None and 1.5 < float(mean[1]) < 3.5, line


def test_forecast_data_quality_is_ukrainian_and_not_a_warning(
        export: Path, fitted: tuple[Path, str]) -> None:
    # «warning: data quality: 4,922 input records read …» and «warning: note: …» on the
    # Ukrainian forecast's stderr: English, and a warning where nothing was dropped.
    result = CliRunner().invoke(cli, ["forecast", "--funnel", str(fitted[0]),
                                      str(export / "bitrix24"), "--reps", "20"], env=ENV)
    assert result.exit_code == 0, result.output
    err = result.stderr.replace("\u00a0", " ")
    assert ("якість даних: прочитано 4 922 вхідні записи, збережено 4 922 події, нічого не "
            "відкинуто") in err
    assert "примітка: історія Bitrix24: причини програшу взято" in err
    assert "\\u00a0" not in err
    for english in ("warning", "data quality", "note:", "попередження"):
        assert english not in err
