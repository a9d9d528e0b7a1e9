"""What-if and sweep texts as a consultant reads them to a client (Russian, Ukrainian).

* `sweep`'s header did not say over how long its money was earned: «выручка (млн ₽)»
  beside «120 дней (разогрев 30 дней)» left the client to guess a month, a year or the
  run; whatif's header said «деньги за 90 наблюдаемых дней», and sweep now does too;
  both say the deal counts (SLA timeouts, deals won) are summed over the same days.
* whatif's line of respond breaches by arrival time read «0% порушень припало на угоди,
  що надійшли в неробочий час (пн-нд 08:00-21:00); пн: 25,8% з них» (developer.funnel,
  «Кол-центр без вихідних до 21:00»): «з них» points at the out-of-hours breaches just
  named, of which there were none, while the figure is Monday's share of all the
  breaches. It now says so, as staff's why does: «на пн припадає 25,8% усіх порушень»."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.i18n import translator
from funnelc.whatif.staff_explain import BreachSplit, WeekdayBreaches
from funnelc.whatif.staff_why import breach_line

FUNNEL = """account "Тест" {{
  language {lang}
  currency RUB
}}
team "Менеджеры" size 3
source "Сайт" 60/day -> "Продажи"."Заявка" value 10k
pipeline "Продажи" main {{
  stage "Заявка" {{
    owner "Менеджеры"
    work exp(1h)
    -> won 30%
    -> lost "Отказ" 70%
  }}
}}
"""


@pytest.mark.parametrize(("lang", "words"), [
    ("ru", "деньги и число сделок — за 10 наблюдаемых дней"),
    ("uk", "гроші й кількість угод — за 10 спостережуваних днів")])
def test_a_sweep_says_over_how_many_days_its_money_was_earned(tmp_path: Path, lang: str,
                                                              words: str) -> None:
    path = tmp_path / "m.funnel"
    path.write_text(FUNNEL.format(lang=lang), "utf-8")
    r = CliRunner().invoke(cli, ["sweep", str(path), "--vary", 'team "Менеджеры" size 3..4',
                                 "--reps", "2", "--days", "40", "--warmup", "30",
                                 "--jobs", "1"], env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert words in text, text
    # the revenue column is the money it speaks of
    assert "млн ₽" in text or "тыс. ₽" in text or "тис. ₽" in text, text


def test_a_sweep_without_money_says_nothing_of_money(tmp_path: Path) -> None:
    path = tmp_path / "m.funnel"
    path.write_text(FUNNEL.format(lang="ru"), "utf-8")
    r = CliRunner().invoke(cli, ["sweep", str(path), "--vary", 'team "Менеджеры" size 3..4',
                                 "--metric", "conversion", "--reps", "2", "--days", "40",
                                 "--warmup", "30", "--jobs", "1"], env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    assert "деньги" not in r.output
    # deals won are summed over the observed days too
    won = CliRunner().invoke(cli, ["sweep", str(path), "--vary", 'team "Менеджеры" size 3..4',
                                   "--metric", "won", "--reps", "2", "--days", "40",
                                   "--warmup", "30", "--jobs", "1"], env={"COLUMNS": "1000"})
    assert "деньги и число сделок — за 10 наблюдаемых дней" in " ".join(won.output.split())


def _split() -> BreachSplit:
    """100 breaches, none of a deal that came outside working hours, 26 of Monday's
    arrivals (the rest spread under a quarter a day)."""
    per_day = {"mon": 26, "tue": 14, "wed": 12, "thu": 12, "fri": 12, "sat": 12, "sun": 12}
    return BreachSplit(
        target="respond at Продажи.Заявка", size=2, replications=2, checked=1000,
        breached=100, hours="mon-sun 08:00-21:00", clocks_in_hours=True,
        inside_checked=800, inside_breached=100, outside_checked=200, outside_breached=0,
        by_weekday=tuple(WeekdayBreaches(day, 140, n, 0) for day, n in per_day.items()),
        by_priority=(), queue="fifo")


@pytest.mark.parametrize(("lang", "said"), [
    ("ru", "0% нарушений пришлось на сделки, поступившие в нерабочее время (пн-вс "
           "08:00-21:00); на пн приходится 26% всех нарушений"),
    ("uk", "0% порушень припало на угоди, що надійшли в неробочий час (пн-нд 08:00-21:00); "
           "на пн припадає 26% усіх порушень"),
    ("en", "0% of the breaches arrived outside working hours (mon-sun 08:00-21:00); mon "
           "brings 26% of all the breaches"),
])
def test_the_days_of_the_breaches_are_a_share_of_all_of_them(lang: str, said: str) -> None:
    text = breach_line(translator(lang), _split())
    assert text.endswith(said), text
    assert "из них" not in text and "з них" not in text and "of them" not in text


def test_a_time_that_grows_from_minutes_to_days_changes_by_days() -> None:
    """whatif's other changes read «цикл до успіху: Дозрівання: 32 хв → 7,01 дн., Δ +10 059
    хв ±191 хв» (developer.funnel, 2 replications of 40 days): the difference took the unit
    of the baseline, minutes, for a change of a week. It takes the unit of the larger of
    the baseline and the changed figure; a time that shrinks keeps the baseline's."""
    from funnelc.sim.results import Estimate
    from funnelc.whatif.metrics import MetricDef
    from funnelc.whatif.render import fmt_delta

    d = MetricDef("cycle_time_hours:Дозрівання", "cycle_time_hours", "Дозрівання",
                  "time to won Дозрівання", "h", 1.0, "lower")
    grew = Estimate(mean=167.6, ci95=3.18, sd=0.35, n=2)
    assert fmt_delta(d, grew, translator("uk"), 0.533) == "+6,98 дн. ±0,133 дн."
    assert fmt_delta(d, grew, translator("ru"), 0.533) == "+6,98 дн. ±0,133 дн."
    assert fmt_delta(d, grew, translator("en"), 0.533) == "+6.98d ±0.133d"
    # shrinking: «1,45 ч → 13,6 мин, Δ -1,22 ч», as before
    shrank = Estimate(mean=-1.22, ci95=0.2, sd=0.28, n=10)
    assert fmt_delta(d, shrank, translator("ru"), 1.45) == "-1,22 ч ±0,2 ч"
    # and a baseline in days keeps a change of hours in days
    assert fmt_delta(d, Estimate(mean=-12.2, ci95=94.0, sd=40.0, n=10),
                     translator("ru"), 18.4 * 24).startswith("-0,508 дн. ±3,92 дн.")


def test_english_shares_are_never_in_scientific_notation() -> None:
    """English kept Python's `.2g`/`.3g`: a change of a share by 1e-05 points read
    «+1e-05pp» and a change of 100 points «+1e+02pp» (`1e+02` as its ± too), where Russian
    and Ukrainian read «+0 п. п.» and «+100 п. п.» (`labels.figure`)."""
    from funnelc.sim.results import Estimate
    from funnelc.whatif.metrics import MetricDef
    from funnelc.whatif.render import fmt_delta, fmt_estimate, fmt_value

    d = MetricDef("conversion:Продажи", "conversion", "Продажи", "conversion", "%", 100.0,
                  "higher")
    en, ru = translator("en"), translator("ru")
    assert fmt_delta(d, Estimate(mean=1e-7, ci95=0.0, sd=0.0, n=2), en) == "+0pp"
    assert fmt_delta(d, Estimate(mean=1e-7, ci95=0.0, sd=0.0, n=2), ru) == "+0\u00a0п.\u00a0п."
    assert fmt_delta(d, Estimate(mean=-0.00004, ci95=0.0, sd=0.0, n=2), en) == "-0.004pp"
    assert fmt_delta(d, Estimate(mean=1.0, ci95=1.0, sd=0.4, n=2), en) == "+100pp ±100"
    assert fmt_value(d, 0.0000001, en) == "0%"
    assert fmt_value(d, 1.0, en) == "100%"
    assert fmt_estimate(d, Estimate(mean=0.5, ci95=0.0000004, sd=0.0, n=2), en) \
        == "50% ±0"
    for text in (fmt_delta(d, Estimate(mean=m, ci95=c, sd=0.0, n=2), en)
                 for m in (1e-9, 3e-6, 0.2, 0.999) for c in (0.0, 1e-6, 0.5)):
        assert "e-" not in text and "e+" not in text, text


LONG = """account "Тест" {
  language ru
  currency RUB
}
team "Менеджеры отдела продаж" size 3
source "Сайт" 60/day -> "Продажи квартир"."Заявка получена с сайта застройщика" value 10k
pipeline "Продажи квартир" main {
  stage "Заявка получена с сайта застройщика" {
    owner "Менеджеры отдела продаж"
    respond 15m
    work exp(1h)
    -> won 30%
    -> lost "Отказ" 70%
  }
}
"""


def test_a_wide_sweep_wraps_its_headers_and_cuts_no_word(tmp_path: Path) -> None:
    """A sweep of four stage metrics and revenue is wider than a pipe's 160 columns: its
    figures' columns kept their headers whole on one line and rich narrowed the only
    columns it could, the axis («Прода… расче… SLA (ч)») and the graveyards («кладби…»).
    Now the longest headers wrap, and no header or cell is cut."""
    path = tmp_path / "long.funnel"
    path.write_text(LONG, "utf-8")
    stage = "Продажи квартир.Заявка получена с сайта застройщика"
    r = CliRunner().invoke(cli, [
        "sweep", str(path), "--vary",
        'stage "Продажи квартир"."Заявка получена с сайта застройщика" respond 15m..30m '
        "step 15m", "--reps", "2", "--days", "35", "--jobs", "1",
        "--metric", "conversion", "--metric", f"wait_hours:{stage}",
        "--metric", f"wip_final:{stage}", "--metric", f"respond_breach_pct:{stage}",
        "--metric", "revenue"])
    assert r.exit_code == 0, r.output
    table = [line for line in r.output.splitlines() if line[:1] in "┏┃┡│└"]
    assert "…" not in "\n".join(table), r.output
    assert all(len(line) <= 160 for line in table), r.output
    head = " ".join(" ".join(line.split("┃")) for line in table if line.startswith("┃"))
    for word in ("застройщика:", "реакции", "(мин)", "кладбища", "выручка"):
        assert word in head.split(), head
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in table
            if line.startswith("│")]
    assert [row[0] for row in rows] == ["15 мин", "30 мин"], r.output  # one line each


AUTUMN = FUNNEL + """scenario "Осенняя реклама" {{ source "Сайт" profile sep 150%, oct 150% }}
scenario "Четвёртый" {{ team "Менеджеры" size 4 }}
scenario "Те же трое" {{ team "Менеджеры" size 3 }}
"""


@pytest.mark.parametrize(("lang", "said"), [
    ("ru", "Те же трое: все цифры — как в базовом варианте, в каждом прогоне: ничто из "
           "того, что меняет сценарий, не действует в прогоне (1 января 2018 – 9 февраля "
           "2018)"),
    ("uk", "Те же трое: усі цифри — як у базовому варіанті, у кожному прогоні: ніщо з "
           "того, що змінює сценарій, не діє в прогоні (1 січня 2018 – 9 лютого 2018)"),
])
def test_a_scenario_that_changes_nothing_in_the_run_says_so(tmp_path: Path, lang: str,
                                                            said: str) -> None:
    """qualification.funnel's «Реклама настроена правильно» (its sources' profiles for
    August to October) over 120 days from January printed a column of «0» and nothing
    else: read as «fixing the ads changes nothing», when the run never reached those
    months. A scenario whose every figure is the baseline's in every replication now
    says so, with the run's dates (here a team set to the size it has); one that changes
    something does not."""
    path = tmp_path / "m.funnel"
    path.write_text(AUTUMN.format(lang=lang), "utf-8")
    r = CliRunner().invoke(cli, ["whatif", str(path), "--reps", "2", "--days", "40",
                                 "--warmup", "30", "--jobs", "1"], env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert said in text, text
    assert "Четвёртый: все цифры" not in text and "Четвёртый: усі цифри" not in text
    # the autumn profile gets its own, more precise line instead
    assert "Осенняя реклама: все цифры" not in text and "Осенняя реклама: усі цифри" not in text


@pytest.mark.parametrize(("lang", "said"), [
    ("ru", "Осенняя реклама: сценарий меняет лиды источника «Сайт» только в эти месяцы: "
           "сентябрь, октябрь; прогон (1 января 2018 – 9 февраля 2018) до них не доходит, "
           "и этого изменения в цифрах нет (--start, --days)"),
    ("uk", "Осенняя реклама: сценарій змінює ліди джерела «Сайт» лише в ці місяці: "
           "вересень, жовтень; прогін (1 січня 2018 – 9 лютого 2018) до них не доходить, і "
           "цієї зміни в цифрах немає (--start, --days)"),
])
def test_a_profile_of_months_the_run_does_not_reach_is_named(tmp_path: Path, lang: str,
                                                             said: str) -> None:
    """qualification's «Реклама настроена правильно» sets its sources' profiles for August
    to October: over 100 days from January nothing said the months it changes were never
    simulated. Now each source and its months are named; a run that reaches September
    does not get the line. (A profile override replaces the whole profile, so saleschef's
    «Осенний пик», whose «Сайт и квиз» had 70% in January, changes January too and gets
    no line: that change is in the figures.)"""
    path = tmp_path / "m.funnel"
    path.write_text(AUTUMN.format(lang=lang), "utf-8")
    quick = ["--scenario", "Осенняя реклама", "--reps", "2", "--days", "40", "--warmup", "30",
             "--jobs", "1"]
    r = CliRunner().invoke(cli, ["whatif", str(path), *quick], env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    assert said in " ".join(r.output.split()), r.output
    autumn = CliRunner().invoke(cli, ["whatif", str(path), *quick, "--start", "2018-09-01"],
                                env={"COLUMNS": "1000"})
    assert autumn.exit_code == 0, autumn.output
    assert "(--start, --days)" not in autumn.output, autumn.output


def test_a_figure_the_same_up_to_rounding_noise_is_identical() -> None:
    """qualification.funnel's «Реклама настроена правильно» over 100 days from January:
    every figure was the baseline's but its waits, whose means differed in the 14th digit
    (9.1548… + 3e-14, summed in another order), so the scenario was not seen as changing
    nothing. A difference of rounding noise is no difference."""
    from funnelc.whatif.compare import _delta
    from funnelc.whatif.metrics import MetricDef

    class Run:
        def __init__(self, values: list[float]) -> None:
            self.values = values

        def series(self, key: str) -> list[float]:
            return self.values

    d = MetricDef("wait_hours", "wait_hours", None, "wait for a member", "h", 1.0, "lower")
    base = [9.154819938393477, 8.5, float("nan")]
    noisy = [9.154819938393477 + 3.3e-14, 8.5 - 1.8e-15, float("nan")]
    assert _delta(d, Run(base), Run(noisy)).verdict == "identical"  # type: ignore[arg-type]
    moved = [9.154819938393477 + 1e-6, 8.5, float("nan")]
    assert _delta(d, Run(base), Run(moved)).verdict != "identical"  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "whatif", "sweep"), [
    ("ru", "один прогон: 95% интервала нет, поэтому ни одно изменение не названо лучше или "
           "хуже (--reps 2 или больше)",
     "один прогон: цифры без 95% интервала (--reps 2 или больше)"),
    ("uk", "один прогін: 95% інтервалу немає, тому жодну зміну не названо кращою чи гіршою "
           "(--reps 2 або більше)",
     "один прогін: цифри без 95% інтервалу (--reps 2 або більше)"),
])
def test_one_replication_says_it_has_no_interval(tmp_path: Path, lang: str, whatif: str,
                                                 sweep: str) -> None:
    """`--reps 1`: whatif's title said «paired 95% CI» and its legend «grey: no significant
    change» over «-21 п. п.» of a fourth member's utilization, with no interval anywhere;
    sweep's header said «figures are mean ±95% CI». Both now say there is none."""
    path = tmp_path / "m.funnel"
    path.write_text(AUTUMN.format(lang=lang), "utf-8")
    quick = ["--days", "40", "--warmup", "30", "--jobs", "1"]
    one = CliRunner().invoke(cli, ["whatif", str(path), "--scenario", "Четвёртый",
                                   "--reps", "1", *quick], env={"COLUMNS": "1000"})
    two = CliRunner().invoke(cli, ["whatif", str(path), "--scenario", "Четвёртый",
                                   "--reps", "2", *quick], env={"COLUMNS": "1000"})
    swept = CliRunner().invoke(cli, ["sweep", str(path), "--vary", 'team "Менеджеры" size 3..4',
                                     "--reps", "1", *quick], env={"COLUMNS": "1000"})
    assert one.exit_code == two.exit_code == swept.exit_code == 0, one.output + swept.output
    assert whatif in " ".join(one.output.split()), one.output
    assert whatif not in " ".join(two.output.split()), two.output
    assert sweep in " ".join(swept.output.split()), swept.output


@pytest.mark.parametrize(("lang", "args", "said"), [
    ("ru", (-396_000.0, 1_999_000.0, "RUB", None), "-0,396 ±2 млн ₽"),
    ("ru", (5.0, 2e6, "RUB", None), "0 ±2 млн ₽"),
    ("uk", (500.0, 6_350.0, "UAH"), "0,5 [0–6,85] тис. ₴"),
    ("ru", (202e6, 126e6, "RUB"), "202 ±126 млн ₽"),
    ("uk", (1.91e9, 4.6e6, "UAH"), "1,91 ±0,0046 млрд ₴"),
])
def test_money_takes_the_scale_of_its_largest_figure(lang: str, args: tuple[object, ...],
                                                     said: str) -> None:
    """courses.funnel's «Продажи без выходных до 21:00» (4 replications × 150 days) read
    «выручка: -396 ±1999 тыс. ₽»: the scale came from the mean alone, so a wide interval
    around a small difference was written past its scale word with its digits ungrouped
    (and «5 ±2000000 ₽»). The largest figure written picks the scale."""
    from funnelc.whatif.labels import money_estimate

    text = money_estimate(translator(lang), *args)  # type: ignore[arg-type]
    assert text.replace("\u00a0", " ") == said


def test_whatif_json_says_the_unit_of_its_differences(tmp_path: Path) -> None:
    """whatif's JSON gave a metric one unit, «%» for conversion, and its scenarios' `diff`
    in percentage points under it: 0.95 of «%» could be read as a relative change (which
    `relative_pct` is). Each metric now says its difference's unit, `diff_unit`."""
    import json

    import jsonschema

    path = tmp_path / "m.funnel"
    path.write_text(AUTUMN.format(lang="uk"), "utf-8")
    r = CliRunner().invoke(cli, ["whatif", str(path), "--scenario", "Четвёртый", "--reps", "2",
                                 "--days", "40", "--warmup", "30", "--jobs", "1",
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    schema = json.loads((Path(__file__).resolve().parents[1] / "src" / "funnelc" / "schemas"
                         / "whatif.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    units = {m["key"]: (m["unit"], m["diff_unit"]) for m in data["metrics"]}
    assert units["conversion"] == ("%", "pp")
    assert units["utilization:Менеджеры"] == ("%", "pp")
    assert units["revenue"] == ("RUB", "RUB")
    assert units["cycle_time_hours"] == ("h", "h")
    assert "diff_unit" in schema["properties"]["metrics"]["items"]["properties"]


@pytest.mark.parametrize(("lang", "said"), [
    ("ru", "Весенний сайт: строка `profile` заменяет весь профиль источника «Сайт»: месяцы, "
           "которых в ней нет, возвращаются к 100% (было: январь 120%, июль 60%)"),
    ("uk", "Весенний сайт: рядок `profile` замінює весь профіль джерела «Сайт»: місяці, "
           "яких у ньому немає, повертаються до 100% (було: січень 120%, липень 60%)"),
])
def test_a_profile_override_says_which_months_it_resets(tmp_path: Path, lang: str,
                                                        said: str) -> None:
    """courses' «Третий продажник и реклама в Reels» writes `source "Сайт" profile sep
    200%`: a profile line replaces the whole profile, so «Сайт»'s January 120% and its
    July and August dips went back to 100% too, and nothing in whatif said so. The months
    reset are named, with what they were; a source whose profile keeps them is not."""
    funnel = FUNNEL.replace('value 10k\n', 'value 10k profile jan 120%, jul 60%, sep 90%\n')
    funnel += ('scenario "Весенний сайт" {{ source "Сайт" profile sep 200% }}\n'
               'scenario "Весь профиль" {{ source "Сайт" profile jan 120%, jul 60%, sep 200% }}\n')
    path = tmp_path / "m.funnel"
    path.write_text(funnel.format(lang=lang), "utf-8")
    r = CliRunner().invoke(cli, ["whatif", str(path), "--reps", "2", "--days", "35",
                                 "--warmup", "30", "--jobs", "1"], env={"COLUMNS": "1000"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert said in text, text
    assert "Весь профиль: строка" not in text and "Весь профиль: рядок" not in text
