"""The fit's and the back-test's client text in Russian and Ukrainian has no English
number grouping, no file keyword and names a stage or source once, in «»: on Olist the
back-test said «начинается со среза с 5,010 сделками» under «5 010 открытых сделок»,
«предупреждение: Заявки с сайта: источник «Заявки с сайта»: …», «сделок на этапе
Заявка», and fit's table headed a column «`after` (подобрано)» with a value cell
«fixed, среднее 1 000 ₽»."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """\
account "Слова" {{
  currency RUB
  language {lang}
}}

source "Заявки с сайта" 8/day -> "Продажи"."Заявка" value 1000

pipeline "Продажи" main {{
  stage "Заявка" {{
    -> won 33% after exp(3d)
    stay 67%
  }}
}}
"""


def _history(path: Path) -> None:
    """8 deals a day in January–March 2025, 24 a day in April–June, 1 000 on every row;
    a third won 3 days after they came."""
    rows = ["deal_id,time,stage,source,value"]
    day, n = datetime(2025, 1, 1, 8), 0
    while day < datetime(2025, 7, 1):
        for k in range(8 if day.month <= 3 else 24):
            at = day + timedelta(minutes=25 * k)
            rows.append(f"D{n},{at:%Y-%m-%d %H:%M},Заявка,Заявки с сайта,1000")
            if n % 3 == 0:
                rows.append(f"D{n},{at + timedelta(days=3):%Y-%m-%d %H:%M},won,"
                            "Заявки с сайта,1000")
            n += 1
        day += timedelta(days=1)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("words") / "h.csv"
    _history(path)
    return path


WORDS = {
    "ru": ("с {n} сделками", "сделок на этапе «Заявка»", "задержка (подобрано)",
           "постоянное, среднее 1 000 ₽"),
    "uk": ("з {n} угодами", "угод на етапі «Заявка»", "затримка (підібрано)",
           "постійне, середнє 1 000 ₴"),
}


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_fit_and_backtest_say_it_in_the_language(history: Path, tmp_path: Path,
                                                   lang: str) -> None:
    funnel = tmp_path / "f.funnel"
    funnel.write_text(FUNNEL.format(lang=lang).replace(
        "currency RUB", "currency RUB" if lang == "ru" else "currency UAH"), encoding="utf-8")
    opened, stage, header, value = WORDS[lang]
    res = CliRunner().invoke(cli, ["fit", str(history), "--funnel", str(funnel), "-o",
                                   str(tmp_path / "fitted.funnel")],
                             env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert res.exit_code in (0, 1), res.output
    text = " ".join(res.output.split())
    assert header in text and "`after`" not in text, text
    assert value in text and "fixed" not in text, text
    res = CliRunner().invoke(cli, ["fit", str(history), "--funnel", str(funnel),
                                   "--backtest", "5", "--reps", "3", "--jobs", "1"],
                             env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert res.exit_code in (0, 1), res.output
    text = " ".join(res.output.split())
    counts = re.findall(opened.format(n=r"([\d\s,.\u00a0\u202f]+?)"), text)
    assert counts and all("," not in c and c.replace(" ", "").replace("\u00a0", "")
                          .replace("\u202f", "").isdigit() for c in counts), counts
    assert int(re.sub(r"\D", "", counts[0])) >= 1000
    assert stage in text and " Заявка " not in text, text
    assert "Заявки с сайта: " not in text and "«Заявки с сайта»" in text, text


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_forecast_footnotes_say_it_in_the_language(tmp_path: Path, lang: str) -> None:
    """A reader's note under dropped rows kept the warning's prefix too («предупреждение:
    примечание: … даты через косую черту …»); the intervals' footnote named a command-line
    flag in the client's sentence («её добавляет --fit-uncertainty») and was printed with
    one run, whose every interval is «—»."""
    rows = ["deal_id,time,stage,source,value"]
    for i in range(40):
        rows.append(f"D{i},{13 + i % 15:02d}/03/2025 10:00,Заявка,Заявки с сайта,1000")
        if i % 4 == 0:
            rows.append(f"D{i},{14 + i % 15:02d}/03/2025 10:00,Заявка,Заявки с сайта,1000")
    path, funnel = tmp_path / "h.csv", tmp_path / "f.funnel"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    funnel.write_text(FUNNEL.format(lang=lang), encoding="utf-8")
    args = ["forecast", str(path), "--funnel", str(funnel), "--jobs", "1"]
    res = CliRunner().invoke(cli, [*args, "--reps", "2"], env={"COLUMNS": "400"})
    assert res.exit_code == 1, res.output  # the repeated-stage rows are dropped
    err = res.stderr
    note, warning = ("примечание:", "предупреждение:") if lang == "ru" else ("примітка:",
                                                                           "попередження:")
    assert f"\n{note} " in f"\n{err}" and f"{warning} {note}" not in err, err
    assert "fit-uncertainty" not in res.stdout, res.stdout
    one = CliRunner().invoke(cli, [*args, "--reps", "1"], env={"COLUMNS": "400"})
    intervals = "Интервалы:" if lang == "ru" else "Інтервали:"
    assert intervals in res.stdout and intervals not in one.stdout, one.stdout
