"""One small stage history of «Вікна «Світло»» (Kyiv), written as the client's spreadsheet
programs save it: Excel in a Ukrainian or Russian locale (`;`, UTF-8 with BOM or
Windows-1251, CR LF, «48 500,50», a totals row), LibreOffice (`,`, every cell quoted,
`02.11.26 10:00`), Google Sheets (tab, `48 500,50 ₴` with narrow NBSPs), Excel's
«Unicode text» (UTF-16, tab, dates as serial day numbers) and a day-first slash export.

`TRUTH` is what every variant must read as: the deals' moves in local time (Kyiv), their
amounts, reasons, sources and managers. `expected_events` turns it into UTC by itself
(zoneinfo), not by funnelc's parser, so the tests compare the reader with an independent
count. `write(folder)` writes every variant and returns their paths by name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

TZ = "Europe/Kyiv"
PIPELINE = "Продажі"


class Move(NamedTuple):
    deal: int
    at: datetime
    """Local time in Kyiv."""
    stage: str
    value: float | None
    reason: str | None
    source: str
    manager: str
    note: str = ""
    """A free-text column the reader ignores: quotes, separators, line breaks."""


def _m(deal: int, when: str, stage: str, value: float | None, source: str, manager: str,
       reason: str | None = None, note: str = "") -> Move:
    return Move(deal, datetime.strptime(when, "%d.%m.%Y %H:%M"), stage, value, reason,
                source, manager, note)


TRUTH: tuple[Move, ...] = (
    _m(101, "02.11.2026 10:00", "Нова заявка", 48500.5, "Сайт", "Іваненко"),
    _m(101, "03.11.2026 09:05", "Замір", 48500.5, "Сайт", "Іваненко"),
    _m(101, "05.11.2026 14:30", "Договір", 48500.5, "Сайт", "Іваненко",
       note='Клієнт сказав: "ставимо до зими";\nмонтаж у грудні, 3 вікна'),
    _m(101, "09.11.2026 12:00", "won", 48500.5, "Сайт", "Іваненко"),
    _m(102, "02.11.2026 11:00", "Нова заявка", 12345.0, "Instagram", "Петренко"),
    _m(102, "04.11.2026 11:00", "lost", 12345.0, "Instagram", "Петренко", "Дорого"),
    _m(103, "03.11.2026 12:00", "Нова заявка", 27000.0, "Сайт", "Петренко"),
    _m(103, "04.11.2026 16:45", "Замір", 27000.0, "Сайт", "Петренко"),
    _m(103, "06.11.2026 10:15", "lost", 27000.0, "Сайт", "Петренко", "Дорого",
       note='Порівнював з «Вікна+», там на 10 % дешевше, "але гірший профіль"'),
    _m(104, "05.11.2026 09:30", "Нова заявка", 30000.0, "Рекомендації", "Іваненко"),
    _m(104, "06.11.2026 13:00", "Замір", 30000.0, "Рекомендації", "Іваненко"),
    _m(104, "10.11.2026 15:20", "Договір", 30000.0, "Рекомендації", "Іваненко"),
    _m(104, "12.11.2026 17:00", "lost", 30000.0, "Рекомендації", "Іваненко", "Неактуально"),
    _m(105, "09.11.2026 10:10", "Нова заявка", 55000.0, "Instagram", "Іваненко"),
    _m(105, "10.11.2026 11:00", "Замір", 55000.0, "Instagram", "Іваненко"),
    _m(105, "13.11.2026 16:00", "Договір", 55000.0, "Instagram", "Іваненко"),
    _m(106, "16.11.2026 08:40", "Нова заявка", None, "Сайт", "Петренко"),
)


def expected_events() -> list[tuple[str, datetime, str, float | None, str | None, str, str]]:
    """(deal, UTC time, stage, value, loss reason, source, manager) per move, in time order
    within each deal, the way the reader's events should hold them."""
    kyiv = ZoneInfo(TZ)
    utc = ZoneInfo("UTC")
    return sorted((str(m.deal), m.at.replace(tzinfo=kyiv).astimezone(utc), m.stage, m.value,
                   m.reason, m.source, m.manager) for m in TRUTH)


UK = ("Угода", "Етап", "Дата", "Воронка", "Сума", "Причина відмови", "Відповідальний",
      "Джерело", "Коментар")
RU = ("Сделка", "Этап", "Дата", "Воронка", "Сумма", "Причина отказа", "Ответственный",
      "Источник", "Комментарий")


def _grouped(value: float, space: str, decimals: bool = True) -> str:
    whole, frac = f"{value:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = space.join(groups)
    return f"{text},{frac}" if decimals and frac != "00" else text


def _excel_serial(at: datetime) -> str:
    days = (at - datetime(1899, 12, 30)).total_seconds() / 86400
    return f"{days:.5f}".replace(".", ",")


def _cells(m: Move, when: str, value: str) -> list[str]:
    return [str(m.deal), m.stage, when, PIPELINE, value, m.reason or "", m.manager, m.source,
            m.note]


def _quote(cell: str, sep: str, always: bool = False) -> str:
    if always or any(c in cell for c in (sep, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _table(header: tuple[str, ...], rows: list[list[str]], sep: str, newline: str,
           always_quote: bool = False, order: list[int] | None = None) -> str:
    order = order or list(range(len(header)))
    lines = [sep.join(_quote(header[i], sep, always_quote) for i in order)]
    lines += [sep.join(_quote(r[i], sep, always_quote) for i in order) for r in rows]
    return newline.join(lines) + newline


def variants() -> dict[str, bytes]:
    """Every variant's bytes, by file name."""
    out: dict[str, bytes] = {}
    nbsp, nnbsp = "\u00a0", "\u202f"
    # Excel, Ukrainian locale, «CSV UTF-8»: BOM, `;`, CR LF, formatted amounts, a dash
    # for no amount, Excel's own d.mm.yyyy h:mm.
    rows = [_cells(m, f"{m.at.day:02d}.{m.at.month:02d}.{m.at.year} {m.at.hour}:{m.at.minute:02d}",
                   "—" if m.value is None else _grouped(m.value, nbsp)) for m in TRUTH]
    out["excel_uk_utf8.csv"] = _table(UK, rows, ";", "\r\n").encode("utf-8-sig")
    # Excel, Russian locale, «CSV (разделители — запятые)» on Windows: cp1251, `;`, plain
    # amounts with a decimal comma and «грн», empty rows Excel leaves below, a totals row.
    rows = [_cells(m, m.at.strftime("%d.%m.%Y %H:%M"),
                   "" if m.value is None else _grouped(m.value, " ") + " грн") for m in TRUTH]
    total = sum(m.value or 0 for m in TRUTH)
    text = _table(RU, rows, ";", "\r\n") + ";" * 8 + "\r\n" + ";" * 8 + "\r\n"
    text += f"Итого;;;;{_grouped(total, ' ')};;;;\r\n"
    out["excel_ru_cp1251.csv"] = text.encode("cp1251")
    # LibreOffice Calc, uk: `,`, every cell quoted, two-digit years, columns in another
    # order, amounts with a dot.
    rows = [_cells(m, m.at.strftime("%d.%m.%y %H:%M"),
                   "" if m.value is None else f"{m.value:.2f}") for m in TRUTH]
    out["libreoffice_uk.csv"] = _table(UK, rows, ",", "\n", always_quote=True,
                                       order=[2, 0, 8, 1, 3, 4, 7, 6, 5]).encode("utf-8")
    # Google Sheets, uk: tab-separated, ISO times with seconds, amounts as the uk currency
    # format writes them (narrow NBSP groups, `₴` after).
    rows = [_cells(m, m.at.strftime("%Y-%m-%d %H:%M:%S"),
                   "" if m.value is None else _grouped(m.value, nnbsp) + nnbsp + "₴")
            for m in TRUTH]
    out["sheets_uk.tsv"] = _table(UK, rows, "\t", "\n").encode("utf-8")
    # Excel «Unicode text»: UTF-16 with BOM, tab, CR LF; the date column formatted as a
    # number, so it holds serial day numbers; amounts as `₴ 48 500,50`.
    rows = [_cells(m, _excel_serial(m.at),
                   "" if m.value is None else "₴ " + _grouped(m.value, " ")) for m in TRUTH]
    out["excel_unicode.txt"] = _table(UK, rows, "\t", "\r\n").encode("utf-16")
    # A day-first slash export (en-GB), `,`, amounts written `48,500.50`.
    rows = [_cells(m, f"{m.at.day}/{m.at.month}/{m.at.year} {m.at.hour:02d}:{m.at.minute:02d}",
                   "" if m.value is None else f"{m.value:,.2f}") for m in TRUTH]
    out["slash_day_first.csv"] = _table(UK, rows, ",", "\n").encode("utf-8")
    return out


def write(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in variants().items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


if __name__ == "__main__":
    import sys

    for p in write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")).values():
        print(p)
