"""`staff`, `whatif` and `sweep` speak the account's language (issue 16, section 1): the
search's reasons, the breach explanation, the levers, the metric labels, the units, the
money and the plots of a `language ru` or `language uk` account read Russian or
Ukrainian; `--lang en` gives the English the outputs always had, and JSON keeps English
sentences beside the data.

The oracle for "no English left" is the English words of this area's own messages (the
msgids extracted from `funnelc/whatif/*`): what is left once the user's own text is
taken out (targets as typed, scenario lines and levers' changes, which are funnel code,
in backticks or after a scenario's name) must contain none of them. Each command runs
through the public CLI, as a user runs it."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from funnelc.cli import cli
from funnelc.i18n import translator
from funnelc.i18n.catalogs import extract
from funnelc.whatif.labels import duration, money, money_estimate

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
COTTAGES = str(PIPELINES / "cottages.funnel")  # language ru
COURSES = str(PIPELINES / "courses.funnel")  # language ru
DEVELOPER = str(PIPELINES / "developer.funnel")  # language uk
QUICK = ["--days", "40", "--warmup", "10", "--reps", "2", "--jobs", "1"]

# Words of the messages that also name the user's own input or a technical term the
# outputs keep as written (flags, models, the funnel language's keywords).
KEPT = {"respond", "utilization", "abandon", "graveyard", "queue", "fifo", "team", "hours",
        "size", "stay", "work", "cost", "month", "json", "days", "reps", "max", "top",
        "file", "command", "erlang", "path", "plot", "svg", "png", "funnelc", "whatif",
        "first", "key", "dask", "sla", "local"}


@functools.cache
def english_words() -> frozenset[str]:
    """The English words of the what-if, sweep and staffing messages (the oracle)."""
    words: set[str] = set()
    for message in extract():
        if not message.id or not any("whatif/" in path for path, _ in message.locations):
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for text in ids:
            text = re.sub(r"\{[^{}]*\}|`[^`]*`|--[a-z-]+", " ", text)
            words.update(w.lower() for w in re.findall(r"[A-Za-z]{4,}", text))
    return frozenset(words - KEPT)


def run(*args: str) -> str:
    """The command's product (stdout: diagnostics stay English and go to stderr), its
    lines joined where the terminal wrapped them."""
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code in (0, 1), r.output
    return re.sub(r"[ \n]+", " ", r.stdout)


def users_text_removed(out: str, *typed: str) -> str:
    """The output without what the user wrote: backticked code, scenario lines (a
    scenario's name, then funnel lines), the targets as typed, paths."""
    out = re.sub(r"`[^`]*`", " ", out)
    out = re.sub(r"(?m)^.*: (team|stage|source|account|queue) .*$", " ", out)
    out = re.sub(r"\S*/\S*\.(funnel|png|svg)", " ", out)
    out = re.sub(r"--[a-z-]+|M/M/c\S*|Erlang [AC]", " ", out)
    for t in typed:
        out = out.replace(t, " ")
    return out


def english_left(out: str, *typed: str) -> list[str]:
    text = users_text_removed(out, *typed)
    return sorted({w for w in re.findall(r"[A-Za-z]{4,}", text)
                   if w.lower() in english_words()})


def svg_words(path: Path) -> str:
    """The text a plot shows (matplotlib writes each text as a comment beside its path)."""
    return " ".join(re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8")))


def test_the_oracle_knows_the_words_of_this_area() -> None:
    words = english_words()
    for w in ("breaches", "baseline", "scenario", "replications", "confidence", "closed",
              "arrived", "outside", "conversion", "revenue", "timeouts", "points"):
        assert w in words, w
    assert english_left("3 replications; breaches of the baseline") == [
        "baseline", "breaches", "replications"]


def test_staff_in_russian(tmp_path: Path) -> None:
    target = "respond 15m 90%"
    out = run("staff", COTTAGES, "--team", "Менеджеры", "--target", target, "--max-size", "6",
              "--plot", str(tmp_path / "staff"), *QUICK)
    assert english_left(out, target) == []
    for phrase in ("подбор размера `Менеджеры`, 2 прогона × 40 дней (разогрев 10 дней)",
                   "начало: примерно", "сделок приходят, пока она работает",
                   "подходящего размера до 6 нет — далеко от размера 3 в файле",
                   "из всех нарушений «реакция за 15 мин у 90% сделок»",
                   "поступившие в нерабочее время (пн-пт 09:00-18:00, сб 10:00-15:00)",
                   "уверенность: низкая — ни один размер до 6 не выполняет все цели",
                   "нарушения «реакция за 15 мин у 90% сделок» при размере 6 (2 прогона)",
                   "рычаг: если команда начнёт работу на час раньше", "│ вс ",
                   "доля нарушений", "в нерабочее время"):
        assert phrase in out, phrase
    search = re.search(r"поиск: (\d+) (прогон|прогона|прогонов) при размер(?:е|ах) ", out)
    assert search is not None, out
    n = int(search[1])  # CLDR's form for the count: 1, 21 прогон; 2-4 прогона; 5-20 прогонов
    form = ("прогон" if n % 10 == 1 and n % 100 != 11 else
            "прогона" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "прогонов")
    assert search[2] == form, search[0]
    plot = svg_words(tmp_path / "staff.svg")
    assert english_left(plot, target) == [], plot
    assert "размер команды Менеджеры" in plot and "взяты в работу за 15 минут" in plot


def test_staff_in_ukrainian() -> None:
    target = "respond 15m 80%"
    out = run("staff", DEVELOPER, "--team", "Кол-центр", "--target", target, *QUICK)
    assert english_left(out, target) == []
    for phrase in ("підбір розміру `Кол-центр`, 2 прогони × 40 днів (розігрів 10 днів)",
                   "виконано на локальній машині",
                   "найменший розмір `Кол-центр`, що виконує всі цілі",
                   "з усіх порушень «реакція за 15 хв у 80% угод»", "частка порушень", "│ нд ",
                   "(пн-нд 09:00-20:00)"):
        assert phrase in out, phrase


def test_staff_json_keeps_english_sentences_beside_the_data() -> None:
    doc = json.loads(run("staff", DEVELOPER, "--team", "Кол-центр", "--target",
                         "utilization <= 70%", "--format", "json", *QUICK))
    assert doc["exact"]["why"].startswith("offered load ")
    assert doc["exact"]["reasons"][0]["kind"] == "load"
    assert doc["confidence_text"].startswith("1 meets every target with 95% confidence")
    assert doc["confidence_why"] == {**doc["confidence_why"], "kind": "sure", "size": 1}
    schema = json.loads(CliRunner().invoke(cli, ["schema", "staff"]).stdout)
    jsonschema.validate(doc, schema)
    bad = {**doc, "confidence_why": {**doc["confidence_why"], "kind": "certain"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_staff_profit_in_russian(tmp_path: Path) -> None:
    path = tmp_path / "profit.funnel"
    path.write_text(
        'account "Заявки" {\n  currency RUB\n  language ru\n}\n'
        'team "Менеджеры" size 2 cost 2M/month\n'
        'source "Сайт" 2/hour -> "Продажи"."Заявка" value 10k\n'
        'pipeline "Продажи" main {\n  stage "Заявка" {\n    owner "Менеджеры"\n'
        '    work exp(1h)\n    patience exp(15m) -> lost "Ушел к конкурентам"\n'
        '    -> won\n  }\n}\n', encoding="utf-8")
    out = run("staff", str(path), "--team", "Менеджеры", "--objective", "profit", *QUICK)
    assert english_left(out) == []
    assert ("точный расчёт: Erlang A (M/M/c+M) (λ=2/ч, μ=1/ч, θ=4/ч) с ценностью и "
            "затратами из файла → 3") in out
    assert "уверенность: высокая — у 3 наибольшая прибыль" in out
    # Money with a decimal comma, its scale and sign once: `6,4 ±0,322 млн ₽`.
    assert re.search(r"самый прибыльный размер `Менеджеры`: 3 \([\d,]+\s±[\d,]+\sмлн\s₽ в "
                     r"месяц\)", out), out


def test_whatif_in_russian(tmp_path: Path) -> None:
    out = run("whatif", COURSES, "--scenario", "Продажи без выходных до 21:00", "--plot",
              str(tmp_path / "wi"), *QUICK)
    assert english_left(out) == []
    for phrase in ("базовый вариант и 1 сценарий, 2 прогона × 40 дней (разогрев 10 дней)",
                   "деньги и число сделок — за 30 наблюдаемых дней",
                   "что если: сценарий − базовый вариант (парный 95% ДИ)",
                   "занятость: Продажники", "цикл до успеха (Продажи курсов)",
                   "нарушения реакции по времени поступления сделки:",
                   "базовый вариант: Продажи курсов.Заявка:", "\u00a0п.\u00a0п."):
        assert phrase in out, phrase
    assert re.search(r"выручка +│ +[\d,]+\s±[\d,]+\s(тыс\.|млн)\s₽", out), out
    assert re.search(r"\d+,?\d* (дн\.|ч) ±", out), out
    # The change of a duration is in its baseline's unit: «18,4 дн. ±6,48 дн.» stood
    # beside «-12,2 ч ±94 ч», 94 hours being 3,9 days.
    cycle = re.search(r"цикл до успеха \(Продажи курсов\) │ ([^│]+)│ ([^│]+)│", out)
    assert cycle is not None, out
    assert re.fullmatch(r"[\d,]+ дн\. ±[\d,]+ дн\. ", cycle.group(1)), cycle.group(1)
    assert re.fullmatch(r"[-+][\d,]+ дн\. ±[\d,]+ дн\. ", cycle.group(2)), cycle.group(2)
    plot = svg_words(tmp_path / "wi.svg")
    assert english_left(plot) == [], plot
    assert "Δ занятость: Продажники" in plot and "сценарий − базовый вариант" in plot


def test_whatif_in_ukrainian() -> None:
    out = run("whatif", DEVELOPER, *QUICK)
    assert english_left(out) == []
    for phrase in ("базовий варіант і 2 сценарії, 2 прогони × 40 днів (розігрів 10 днів)",
                   "гроші й кількість угод — за 30 спостережуваних днів", "зайнятість: Менеджери з продажу",
                   "що як: сценарій − базовий варіант", "в.\u00a0п.", "млн\u00a0₴",
                   "порушення реакції за часом надходження угоди:"):
        assert phrase in out, phrase


def test_whatif_in_english_on_request() -> None:
    out = run("whatif", COURSES, "--scenario", "Продажи без выходных до 21:00",
              "--lang", "en", *QUICK)
    for phrase in ("baseline and 1 scenario, 2 replications × 40 days (10 warm-up)",
                   "what-if: scenario − baseline (paired 95% CI)",
                   "utilization Продажники", "respond breaches by when the deal arrived:"):
        assert phrase in out, phrase
    assert "занятость" not in out and "п.\u00a0п." not in out


def test_sweep_in_russian(tmp_path: Path) -> None:
    out = run("sweep", COURSES, "--vary", 'team "Продажники" size 2..3', "--vary",
              'source "Сайт" rate 10..20/day step 10', "--metric", "revenue", "--plot",
              str(tmp_path / "sw"), *QUICK)
    assert english_left(out) == []
    for phrase in ("4 точки × 2 прогона × 40 дней (разогрев 10 дней)", "перебор",
                   "Продажники:", "размер", "Сайт: поток", "(/день)", "20/день", "кладбища",
                   "цифры — среднее ±95% ДИ"):
        assert phrase in out, phrase
    plot = svg_words(tmp_path / "sw.svg")
    assert english_left(plot) == [], plot
    assert "Продажники: размер" in plot and "выручка" in plot


def test_sweep_in_ukrainian() -> None:
    out = run("sweep", DEVELOPER, "--vary", 'team "Менеджери з продажу" size 2..3', *QUICK)
    assert english_left(out) == []
    for phrase in ("2 точки × 2 прогони × 40 днів (розігрів 10 днів)", "перебір",
                   "Менеджери з", "продажу:", "розмір", "спрацювання SLA", "(угоди)",
                   "кладовища"):  # the axis's header wraps: the figures' columns never do
        assert phrase in out, phrase


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_every_message_of_this_area_is_translated(lang: str) -> None:
    from funnelc.i18n.catalogs import read_catalog

    catalog = read_catalog(lang)
    for message in extract():
        if message.id and any("whatif/" in path for path, _ in message.locations):
            found = catalog.get(message.id, context=message.context)
            assert found is not None and found.string and all(found.string), message.id


def test_the_reports_what_if_section_in_russian(tmp_path: Path) -> None:
    out = tmp_path / "report"
    r = CliRunner().invoke(cli, ["report", COURSES, "--whatif", "-o", str(out), *QUICK])
    assert r.exit_code == 0, r.output
    page = (out / "report.html").read_text(encoding="utf-8")
    start = page.index('<section id="whatif">')
    section = page[start:page.index("</section>", start)]
    text = re.sub(r"<svg.*?</svg>|<code>.*?</code>", " ", section, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    assert english_left(text) == [], text
    for phrase in ("Что если: сценарии против этого расчёта", "этот расчёт",
                   "занятость: Продажники", "базовый вариант : Продажи курсов.Заявка:",
                   "Сценарий − этот расчёт, парные 95% интервалы"):
        assert phrase in text, phrase


@given(st.floats(-1e13, 1e13), st.floats(0, 1e13), st.sampled_from(["ru", "uk"]))
def test_money_and_durations_use_the_languages_decimal_comma(mean: float, half: float,
                                                             lang: str) -> None:
    """Money reads `18,9 ±4,95 млн ₽` (scale and sign once), never `18.9` or `1e+07`;
    a duration `26,6 дн.`."""
    tr = translator(lang)
    for text in (money_estimate(tr, mean, half, "RUB"), money(tr, mean, "RUB")):
        assert not re.search(r"\d\.\d|\de[+-]?\d", text), text
        assert text.count("₽") == 1, text
    text = duration(tr, abs(mean) / 1e9)
    assert not re.search(r"\d\.\d|\de[+-]?\d", text), text
    assert text.rsplit(" ", 1)[-1] in {"мин", "ч", "дн.", "хв", "год"}, text


def test_breach_lines_count_the_deals_of_one_run() -> None:
    """Regression: «99,7% из 98 852 сделок с нарушением» summed ten replications of
    9 885 deals and read as a year of the account; the line now counts one run's deals."""
    one = run("whatif", COURSES, "--scenario", "Продажи без выходных до 21:00", *QUICK)
    found = re.findall(r"нарушение у [\d,]+% из ([\d\s]+) сдел\w+ за прогон", one)
    assert found, one
    four = run("whatif", COURSES, "--scenario", "Продажи без выходных до 21:00",
               *QUICK[:4], "--reps", "4", "--jobs", "1")
    again = re.findall(r"нарушение у [\d,]+% из ([\d\s]+) сдел\w+ за прогон", four)
    per_run = [int(x.replace(" ", "").replace("\xa0", "")) for x in found + again]
    # Twice the replications, about the same deals a run (not twice as many).
    assert max(per_run) < 1.5 * min(per_run), per_run


def test_counts_are_written_in_the_languages_digit_groups() -> None:
    """Regression: staff wrote «41041 из 409936 сделок» and a weekday table of «58136»
    beside «1 053» elsewhere."""
    out = run("staff", COTTAGES, "--team", "Менеджеры", "--target", "respond 15m 90%",
              "--max-size", "6", *QUICK)
    assert re.search(r"\d[\d\xa0 ]* из \d", out), out
    assert not re.search(r"(?<![\d,.])\d{4,}(?![\d,.])", users_text_removed(out)), out
