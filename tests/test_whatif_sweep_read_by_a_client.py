"""What-if and sweep texts as a consultant reads them to a client (Russian, Ukrainian).

* `sweep`'s header did not say over how long its money was earned: «выручка (млн ₽)»
  beside «120 дней (разогрев 30 дней)» left the client to guess a month, a year or the
  run; whatif's header says «деньги за 90 наблюдаемых дней», and sweep now does too.
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


@pytest.mark.parametrize(("lang", "words"), [("ru", "деньги за 10 наблюдаемых дней"),
                                             ("uk", "гроші за 10 спостережуваних днів")])
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
