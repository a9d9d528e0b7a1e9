"""Six months of a Yekaterinburg kitchen maker's requests, as its office saves them from
a spreadsheet: UTF-8, `;`, dates `31.03.2026 23:40` in Yekaterinburg time, columns in
Russian, a manager column and a source column (issue 14, points 1-2: marketing or sales
when sources and managers are entangled).

Leads are routed: 80 % of «Авито»'s requests go to one manager (`ROUTED`), who gets few
of the other sources' (`ROUTED_OTHER`); the other four managers share the rest evenly.
Two planted accounts (`story`):

- ``"sales"``: the routed manager, the junior, qualifies half as well as the team
  (`QUALIFY` × `JUNIOR_FACTOR`) on EVERY source and closes the rest as «Нецелевой
  запрос» or «Неверный номер» (the sales team's «bad leads»). Авито's requests are as
  good as the other sources' when another manager works them. Авито then looks like a
  source of junk because of who works it: a sales matter.
- ``"marketing"``: Авито's requests are junk (qualified at `AVITO_JUNK`, lost at
  «Новая заявка» with a junk reason) whoever works them; the routed manager is as good
  as the team on the other sources. She then looks weak at qualification because of
  what she is given: a marketing matter.
- ``"null"``: routed the same way, nobody and no source different (the false-flag runs).
- ``"handover"``: seed 003's quarrel over time. The junior of ``"sales"`` gets 80 % of
  Авито's requests only from `HANDOVER` (July) on, before that as few as of the others:
  Авито's qualification falls between the first and the last months though its leads
  stay as good as ever.
- ``"growth"``: the junior of ``"sales"`` (half as good on every source, 80 % of Авито's
  requests all along), and from `HANDOVER` (July) on marketing buys six times as many
  Авито requests (`GROWTH`). Qualification falls as the mix moves to Авито, whose
  requests look worse only because the junior works most of them: the mix of sources
  is not marketing's doing but who works the growing source (sales).
- ``"growth_marketing"``: the same growth of Авито from July, its requests junk whoever
  works them (``"marketing"``): the mix of sources is marketing's doing.
- ``"give_up"``: no routing; the whole team gives up on Авито's requests as
  «Не дозвонились» within two hours (`GIVE_UP_HOURS`), where it tries the other sources'
  for one to three days (`TRIED_HOURS`): Авито looks like a source of unreachable junk
  because of how long its requests are called (sales).
- ``"unreachable"``: the same share of Авито's requests lost as «Не дозвонились», tried
  as long as the other sources': their numbers do not answer (marketing).

Later stages convert alike for everyone. `deals(seed, story)` draws the deals;
`write(folder, seed, story)` writes `requests.csv`. The tests count the truth from
`deals()` with plain Python, not with funnelc.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

TZ = "Asia/Yekaterinburg"
PIPELINE = "Продажи"
NEW, QUAL, MEASURE, CONTRACT = "Новая заявка", "Квалифицирован", "Замер", "Договор"
WON, LOST = "Успешно реализовано", "Закрыто и не реализовано"
SEED = 3
MONTHS = [(2026, m) for m in range(4, 10)]
"""April … September 2026."""
END = datetime(2026, 10, 15)
SOURCES = ("Яндекс Директ", "Сайт", "Авито", "Рекомендации")
LEADS = {"Яндекс Директ": 70, "Сайт": 50, "Авито": 50, "Рекомендации": 30}
"""Requests a month (200)."""
MANAGERS = ("Петров Илья", "Смирнова Анна", "Кузнецов Олег", "Васильева Мария",
            "Морозов Денис")
ROUTED = {"sales": "Петров Илья", "marketing": "Смирнова Анна", "null": "Петров Илья",
          "handover": "Петров Илья", "growth": "Петров Илья",
          "growth_marketing": "Смирнова Анна", "give_up": "Петров Илья",
          "unreachable": "Петров Илья"}
HANDOVER = (2026, 7)
"""Story «handover»: the month from which Авито's requests go to the junior; story
«growth»: the month from which Авито brings `GROWTH` times as many."""
GROWTH = 6
"""Who gets most of Авито's requests in each story."""
AVITO_SHARE = 0.8
"""Авито's requests the routed manager gets."""
ROUTED_OTHER = 0.05
"""The other sources' requests the routed manager gets."""
QUALIFY = 0.6
JUNIOR_FACTOR = 0.5
AVITO_JUNK = 0.25
"""Story «marketing»: Авито's requests qualified (against `QUALIFY`)."""
MEASURED = 0.7
SIGNED = 0.6
WON_RATE = 0.9
JUNK = ("Нецелевой запрос", "Неверный номер", "Спам")
JUNK_WEIGHTS = (0.45, 0.35, 0.2)
UNREACHED = "Не дозвонились"
"""Stories «give_up» and «unreachable»: a request lost at «Новая заявка» unreached."""
AVITO_UNREACHED, OTHER_UNREACHED = 0.9, 0.4
"""… the share of those losses (Авито's, the other sources'); the rest are `JUNK`."""
GIVE_UP_HOURS, TRIED_HOURS = (0.3, 2.0), (20.0, 72.0)
"""… how long a request is called before it is lost so: Авито's in «give_up», else."""
CALLED = ("give_up", "unreachable")
LATER = {QUAL: "Не вышли на связь", MEASURE: "Дорого", CONTRACT: "Выбрали другую фабрику"}
KITCHENS = (180000.0, 260000.0, 340000.0)


@dataclass
class Deal:
    id: int
    source: str
    manager: str
    amount: float
    moves: list[tuple[datetime, str, str | None]] = field(default_factory=list)
    """(Yekaterinburg local time, stage, loss reason)."""

    @property
    def created(self) -> datetime:
        return self.moves[0][0]


def _when(rng: random.Random, year: int, month: int) -> datetime:
    first = datetime(year, month, 1)
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    t = first + timedelta(seconds=rng.uniform(0, (nxt - first).total_seconds() - 3600))
    return t.replace(second=0, microsecond=0)


def _manager(rng: random.Random, source: str, routed: str, handed: bool = True) -> str:
    others = [m for m in MANAGERS if m != routed]
    if source == "Авито" and handed:
        return routed if rng.random() < AVITO_SHARE else rng.choice(others)
    return routed if rng.random() < ROUTED_OTHER else rng.choice(others)


def qualify_rate(story: str, source: str, manager: str) -> float:
    """The true chance a request is qualified, by story, source and manager."""
    if story in ("sales", "handover", "growth") and manager == ROUTED[story]:
        return QUALIFY * JUNIOR_FACTOR
    if story in ("marketing", "growth_marketing") and source == "Авито":
        return AVITO_JUNK
    if story in CALLED and source == "Авито":
        return AVITO_JUNK
    return QUALIFY


def deals(seed: int = SEED, story: str = "sales") -> list[Deal]:
    if story not in ROUTED:
        raise ValueError(f"story: {story!r}")
    rng = random.Random(f"{story}:{seed}")
    out: list[Deal] = []
    for year, month in MONTHS:
        grown = story in ("growth", "growth_marketing") and (year, month) >= HANDOVER
        plan = [s for s in SOURCES
                for _ in range(LEADS[s] * (GROWTH if grown and s == "Авито" else 1))]
        rng.shuffle(plan)
        for src in plan:
            t = _when(rng, year, month)
            handed = story not in CALLED and (story != "handover" or (year, month) >= HANDOVER)
            d = Deal(len(out) + 5001, src, _manager(rng, src, ROUTED[story], handed),
                     rng.choice(KITCHENS))
            d.moves.append((t, NEW, None))
            t += timedelta(minutes=rng.uniform(20, 48 * 60))
            if rng.random() >= qualify_rate(story, src, d.manager):
                if story in CALLED:
                    avito = src == "Авито"
                    unreached = rng.random() < (AVITO_UNREACHED if avito else OTHER_UNREACHED)
                    lo, hi = GIVE_UP_HOURS if avito and story == "give_up" else TRIED_HOURS
                    t = d.moves[0][0] + timedelta(hours=rng.uniform(lo, hi))
                    d.moves.append((t, LOST, UNREACHED if unreached
                                    else rng.choices(JUNK, JUNK_WEIGHTS)[0]))
                else:
                    d.moves.append((t, LOST, rng.choices(JUNK, JUNK_WEIGHTS)[0]))
                out.append(d)
                continue
            d.moves.append((t, QUAL, None))
            for stage, nxt, rate, days in ((QUAL, MEASURE, MEASURED, 5),
                                           (MEASURE, CONTRACT, SIGNED, 7),
                                           (CONTRACT, WON, WON_RATE, 10)):
                t += timedelta(hours=rng.uniform(12, days * 24))
                if rng.random() >= rate:
                    d.moves.append((t, LOST, LATER[stage]))
                    break
                d.moves.append((t, nxt, None))
            out.append(d)
    for d in out:
        d.moves = [m for m in d.moves if m[0] < END]
    return out


HEADER = ("ID сделки", "Дата изменения", "Этап", "Воронка", "Сумма", "Причина отказа",
          "Источник", "Ответственный")


def rows(ds: list[Deal]) -> list[list[str]]:
    out = []
    for d in ds:
        for t, stage, reason in d.moves:
            out.append([str(d.id), t.strftime("%d.%m.%Y %H:%M"), stage, PIPELINE,
                        f"{d.amount:.0f}", reason or "", d.source, d.manager])
    out.sort(key=lambda r: (datetime.strptime(r[1], "%d.%m.%Y %H:%M"), r[0]))
    return out


def write(folder: Path, seed: int = SEED, story: str = "sales") -> Path:
    path = folder / "requests.csv"
    lines = [";".join(HEADER)] + [";".join(r) for r in rows(deals(seed, story))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    import sys

    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "."),
                story=sys.argv[2] if len(sys.argv) > 2 else "sales"))
