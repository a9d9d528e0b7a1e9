"""Two years of a Kyiv online school's leads, as its office saves them from a spreadsheet:
Excel on a Ukrainian Windows, «CSV (роздільники — коми)» — Windows-1251, `;`, CR LF,
dates `31.03.2026 23:40` in Kyiv time, amounts «12 500,00 грн» with a no-break space,
columns in Ukrainian, a manager column, sources typed by hand («Instagram», «instagram»,
«Інстаграм»).

The planted story (issue 14, point 2: marketing or sales?), from December 2024 to
November 2026:

- every source qualifies its leads at the same rate for all 24 months (`QUALIFY`), but in
  the last six months (June–November 2026) the cheap TikTok's share of the leads triples
  (10 % → 30 %): the qualification rate «Нова заявка» → «Кваліфіковано» falls by the mix
  alone — marketing;
- «Пробний урок» → paid falls for every source from June 2026 (`PAY`, ×0.6): the rate
  alone — sales. «Кваліфіковано» → «Пробний урок» stays the same for all (`TRIAL`).

A few deals enter at 23:40 on a month's last day or at 00:20 on its first (Kyiv): their
month is Kyiv's, two or three hours from UTC's.

`deals(seed)` draws the deals (every move in Kyiv local time); `write(folder, seed)`
writes `school.csv` and returns its path. The tests count the true figures from
`deals()` with plain Python, not with funnelc.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

TZ = "Europe/Kyiv"
PIPELINE = "Продажі"
NEW, QUAL, TRIAL_STAGE = "Нова заявка", "Кваліфіковано", "Пробний урок"
WON, LOST = "Угода успішна", "Угода провалена"
SEED = 14
MONTHS = [(2024 + (11 + i) // 12, (11 + i) % 12 + 1) for i in range(24)]
"""December 2024 … November 2026."""
LATE = MONTHS[-6:]
"""June … November 2026: TikTok's share triples, the sales team pays fewer trials."""

SOURCES = ("Сайт", "Instagram", "Google Ads", "TikTok")
LEADS = {"Сайт": 40, "Instagram": 35, "Google Ads": 25, "TikTok": 11}
"""Leads a month; TikTok gets `LATE_TIKTOK` in the last six months (11 of 111 is 9.9 %,
43 of 143 is 30.1 %)."""
LATE_TIKTOK = 43
QUALIFY = {"Сайт": 0.60, "Instagram": 0.50, "Google Ads": 0.55, "TikTok": 0.15}
TRIAL = 0.70
PAY = {"Сайт": 0.45, "Instagram": 0.40, "Google Ads": 0.42, "TikTok": 0.35}
PAY_LATE_FACTOR = 0.6
INSTAGRAM_SPELLINGS = (("Instagram", 0.80), ("instagram", 0.12), ("Інстаграм", 0.08))
"""How the managers type one source: a case slip, and the name in Ukrainian letters."""
MANAGERS = ("Олена Коваленко", "Андрій Шевченко", "Ірина Бондаренко")
COURSES = (12500.0, 18900.0)
NOT_QUALIFIED = ("Нецільовий", "Неправильний номер", "Не відповідає")
NOT_PAID = ("Дорого", "Обрав іншу школу", "Немає часу")


@dataclass
class Deal:
    id: int
    source: str
    """The true source (one of `SOURCES`)."""
    written: str
    """The source as typed in the file."""
    manager: str
    amount: float
    moves: list[tuple[datetime, str, str | None]] = field(default_factory=list)
    """(Kyiv local time, stage, loss reason)."""

    @property
    def created(self) -> datetime:
        return self.moves[0][0]


def _when(rng: random.Random, year: int, month: int) -> datetime:
    first = datetime(year, month, 1)
    nxt = datetime(year + month // 12, month % 12 + 1, 1)
    t = first + timedelta(seconds=rng.uniform(0, (nxt - first).total_seconds() - 3600))
    return t.replace(second=0, microsecond=0)


def _edge(year: int, month: int, last: bool) -> datetime:
    """23:40 on the month's last day, or 00:20 on its first (Kyiv)."""
    if last:
        nxt = datetime(year + month // 12, month % 12 + 1, 1)
        return nxt - timedelta(minutes=20)
    return datetime(year, month, 1, 0, 20)


def deals(seed: int = SEED) -> list[Deal]:
    rng = random.Random(seed)
    out: list[Deal] = []
    for year, month in MONTHS:
        late = (year, month) in LATE
        plan = [s for s in SOURCES
                for _ in range(LATE_TIKTOK if late and s == "TikTok" else LEADS[s])]
        rng.shuffle(plan)
        for i, src in enumerate(plan):
            if i < 2:
                t0 = _edge(year, month, last=i == 0)
            else:
                t0 = _when(rng, year, month)
            written = src
            if src == "Instagram":
                written = rng.choices([s for s, _ in INSTAGRAM_SPELLINGS],
                                      [w for _, w in INSTAGRAM_SPELLINGS])[0]
            d = Deal(len(out) + 1001, src, written, rng.choice(MANAGERS), rng.choice(COURSES))
            d.moves.append((t0, NEW, None))
            t = t0 + timedelta(minutes=rng.uniform(10, 36 * 60))
            if rng.random() >= QUALIFY[src]:
                d.moves.append((t, LOST, rng.choice(NOT_QUALIFIED)))
            else:
                d.moves.append((t, QUAL, None))
                t += timedelta(hours=rng.uniform(12, 5 * 24))
                if rng.random() >= TRIAL:
                    d.moves.append((t, LOST, "Не прийшов на урок"))
                else:
                    d.moves.append((t, TRIAL_STAGE, None))
                    t += timedelta(hours=rng.uniform(24, 10 * 24))
                    pay = PAY[src] * (PAY_LATE_FACTOR if late else 1.0)
                    if rng.random() < pay:
                        d.moves.append((t, WON, None))
                    else:
                        d.moves.append((t, LOST, rng.choice(NOT_PAID)))
            out.append(d)
    end = datetime(2026, 12, 1)
    for d in out:
        d.moves = [m for m in d.moves if m[0] < end]
    return out


HEADER = ("ID угоди", "Дата зміни", "Етап", "Воронка", "Сума", "Причина відмови", "Джерело",
          "Відповідальний", "Телефон")


def _amount(v: float) -> str:
    whole, frac = f"{v:.2f}".split(".")
    return f"{int(whole):,}".replace(",", "\u00a0") + f",{frac}\u00a0грн"


def rows(ds: list[Deal]) -> list[list[str]]:
    out = []
    for d in ds:
        phone = f"+380 67 {d.id % 1000:03d} {d.id % 97:02d} {d.id % 89:02d}"
        for t, stage, reason in d.moves:
            out.append([str(d.id), t.strftime("%d.%m.%Y %H:%M"), stage, PIPELINE,
                        _amount(d.amount), reason or "", d.written, d.manager, phone])
    out.sort(key=lambda r: (datetime.strptime(r[1], "%d.%m.%Y %H:%M"), r[0]))
    return out


def write(folder: Path, seed: int = SEED) -> Path:
    path = folder / "school.csv"
    lines = [";".join(HEADER)] + [";".join(r) for r in rows(deals(seed))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


if __name__ == "__main__":
    import sys

    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
