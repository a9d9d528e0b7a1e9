"""A Moscow car dealer group's deal history (account in Russian, money in RUB) with a
planted story, written independently of funnelc: the generic CSV export
`deal_id,date,pipeline,stage,manager,source,loss_reason,amount` of a CRM whose wins and
losses are the stages «Успешно реализовано» and «Закрыто и не реализовано». Twelve
months, three pipelines («Новые автомобили», «Автомобили с пробегом», «Корпоративные
продажи»), 32 managers named as the CRM lists its users («Фамилия И. О.»: some share a
surname, «Иванов А. С.» and «Иванов А. П.» share the first name and surname too), five
sources; about 15,000 deals (`write(out, seed, team=32, scale=1.0)`: a smaller team or
fewer deals for a fast test).

Every manager works one pipeline. Each stage of a pipeline moves a deal on with the same
true rate for every manager, except:
- Соколов Д. В. (new cars, the most deals: three times a colleague's share) qualifies
  too few to a test drive: «Квалификация» → «Тест-драйв» 35 % against 55 %;
- Лебедева О. Н. (used cars, few deals: 0.4 of a colleague's share) brings too few
  test drives to a contract: «Тест-драйв» → «Договор» 15 % against 50 % (at 20 %, her
  44 judged test drives, 25 % against 49 %, p = 0.0018, were not clear among ~100
  comparisons: Holm's bar there is about 0.0005);
- Иванов А. П. (new cars) is clearly better after a test drive: «Тест-драйв» →
  «Договор» 75 % against 50 % (his namesake Иванов А. С. is like everyone else). The
  audit compares managers on stage-to-stage moves only, not on «Договор» → won: a
  better closer would be invisible to it.

Two used-car managers share a double surname and the first initial, «Голенищев-Кутузов
М. И.» and «Голенищев-Кутузов М. А.» (longer than a plot's label).

`write(out, seed)` writes `history.csv` and `truth.json` (each deal's pipeline, source,
manager, amount and events as (ISO time, stage, loss reason))."""
from __future__ import annotations

import csv
import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2025, 11, 1)
END = datetime(2026, 11, 1)
NEW, USED, CORP = "Новые автомобили", "Автомобили с пробегом", "Корпоративные продажи"
WON, LOST = "Успешно реализовано", "Закрыто и не реализовано"
STAGES = ("Новая заявка", "Квалификация", "Тест-драйв", "Договор")
RATES = {"Новая заявка": 0.70, "Квалификация": 0.55, "Тест-драйв": 0.50, "Договор": 0.60}
"""The true rate of moving on from each stage (the last one's is to won)."""
DAYS = {"Новая заявка": 1.0, "Квалификация": 4.0, "Тест-драйв": 6.0, "Договор": 10.0}
"""Mean days in each stage before the move or the loss."""
REASONS = {"Новая заявка": ("Не дозвонились", "Спам", "Не актуально"),
           "Квалификация": ("Дорого", "Не актуально", "Купил у конкурента"),
           "Тест-драйв": ("Дорого", "Купил у конкурента", "Не устроил автомобиль"),
           "Договор": ("Отказ банка в кредите", "Дорого", "Купил у конкурента")}

WEAK_BIG = "Соколов Д. В."
WEAK_SMALL = "Лебедева О. Н."
STRONG = "Иванов А. П."
NAMESAKE = "Иванов А. С."
PLANTED = {WEAK_BIG: ("Квалификация", 0.35), WEAK_SMALL: ("Тест-драйв", 0.15),
           STRONG: ("Тест-драйв", 0.75)}
"""Manager → (the stage they are different at, their true rate there)."""

TEAMS: dict[str, tuple[str, ...]] = {
    NEW: (WEAK_BIG, STRONG, NAMESAKE, "Иванова Е. А.", "Смирнов К. Ю.", "Смирнова Т. И.",
          "Кузнецов П. А.", "Попова М. С.", "Васильев Р. Г.", "Петров И. Л.",
          "Петрова А. В.", "Новиков С. М.", "Морозова Ю. Д.", "Волков Е. Б."),
    USED: (WEAK_SMALL, "Козлов В. А.", "Козлова Н. П.", "Егоров А. И.", "Голенищев-Кутузов М. И.",
           "Семенов Л. О.", "Голубева И. Р.", "Виноградов М. Ф.", "Богданов Д. Е.",
           "Воробьёва С. А.", "Фёдоров Н. К.", "Голенищев-Кутузов М. А."),
    CORP: ("Беляев Ю. М.", "Тарасова В. Л.", "Белов О. Г.", "Комаров С. С.",
           "Орлова Д. Н.", "Киселёв А. А."),
}
WEIGHT = {WEAK_BIG: 3.0, WEAK_SMALL: 0.4}
"""A manager's share of their pipeline's inflow against a colleague's 1."""
PER_DAY = {NEW: 23.5, USED: 16.0, CORP: 4.2}
MEAN_AMOUNT = {NEW: 3_200_000.0, USED: 1_400_000.0, CORP: 9_000_000.0}
SOURCES = {"Сайт": 5, "Авито": 3, "Входящий звонок": 3, "Рекомендация": 1, "Автосалон": 2}


def team(size: int = 32) -> dict[str, tuple[str, ...]]:
    """The pipelines' teams, the first `size` managers in the order above (the planted
    three and the namesake always among them)."""
    left = size
    out: dict[str, tuple[str, ...]] = {}
    for pipe, names in TEAMS.items():
        share = max(2, round(len(names) * size / 32))
        out[pipe] = names[:min(share, left, len(names))]
        left -= len(out[pipe])
    return out


def deal_events(rng: random.Random, manager: str, t0: datetime
                ) -> list[tuple[datetime, str, str | None]]:
    """One deal's stage entries from «Новая заявка» to won or a loss."""
    ev: list[tuple[datetime, str, str | None]] = [(t0, STAGES[0], None)]
    t = t0
    for i, stage in enumerate(STAGES):
        rate = RATES[stage]
        planted = PLANTED.get(manager)
        if planted is not None and planted[0] == stage:
            rate = planted[1]
        t = t + timedelta(days=rng.expovariate(1 / DAYS[stage]))
        if rng.random() >= rate:
            ev.append((t, LOST, rng.choice(REASONS[stage])))
            return ev
        ev.append((t, STAGES[i + 1] if i + 1 < len(STAGES) else WON, None))
    return ev


def write(out: Path, seed: int = 1, size: int = 32, scale: float = 1.0) -> None:
    rng = random.Random(seed)
    sources = list(SOURCES)
    source_weights = list(SOURCES.values())
    truth = []
    rows = []
    n = 0
    days = (END - START).days
    for pipe, names in team(size).items():
        weights = [WEIGHT.get(m, 1.0) for m in names]
        for day in range(days):
            # Fewer leads in the summer holidays and the New Year week, as a dealer has.
            when = START + timedelta(days=day)
            season = 0.75 if when.month in (7, 8) or (when.month == 1 and when.day < 9) \
                else 1.0
            count = _poisson(rng, PER_DAY[pipe] * scale * season * len(names)
                             / len(TEAMS[pipe]))
            for _ in range(count):
                n += 1
                manager = rng.choices(names, weights)[0]
                t0 = when.replace(hour=rng.randint(9, 20), minute=rng.randint(0, 59))
                sigma = 0.4
                amount = round(rng.lognormvariate(math.log(MEAN_AMOUNT[pipe]) - sigma ** 2 / 2,
                                                  sigma), -3)
                source = rng.choices(sources, source_weights)[0]
                ev = [e for e in deal_events(rng, manager, t0) if e[0] < END]
                did = f"{700000 + n}"
                truth.append({"id": did, "pipeline": pipe, "source": source,
                              "manager": manager, "amount": amount,
                              "events": [(e[0].isoformat(), e[1], e[2]) for e in ev]})
                for at, stage, why in ev:
                    rows.append({"deal_id": did, "date": at.strftime("%d.%m.%Y %H:%M"),
                                 "pipeline": pipe, "stage": stage, "manager": manager,
                                 "source": source, "loss_reason": why or "",
                                 "amount": f"{amount:.0f}"})
    rows.sort(key=lambda r: (datetime.strptime(r["date"], "%d.%m.%Y %H:%M"), r["deal_id"]))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "history.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's product of uniforms; the means here are below 30)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


if __name__ == "__main__":
    write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1)
