"""A CSV history whose amounts are in several currencies is read in one
(`read_csv.in_one_csv_currency`, `deal_currency.in_one_currency`): «$1,000.00» beside
«€2,000.00» were summed as 3 000 of one currency, with no word. The currency comes from
the amount cell's sign or code, else the file's currency column (Pipedrive «Deal -
Currency», Salesforce `CurrencyIsoCode`, «Валюта»), else the amount column's unit
(«Сумма, руб.»). A CSV has no rates: the amounts are read in the account's currency when
the funnel declares one, else in the one most priced deals have; the others keep no
value and a note says how many."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.history.deal_currency import Converted
from funnelc.history.load import load_history
from funnelc.history.read_csv import parse_amounts
from test_history_bitrix24_currencies import _export

MIXED = """deal_id,timestamp,stage,value
1,2026-01-05 10:00,New,"$1,000.00"
1,2026-01-06 10:00,Won,"$1,000.00"
2,2026-01-05 11:00,New,"€2,000.00"
2,2026-01-07 11:00,Lost,"€2,000.00"
3,2026-01-05 12:00,New,"$3,000.00"
3,2026-01-08 12:00,Won,"$3,000.00"
"""


def _read(tmp_path: Path, files: dict[str, str], currency: str | None = None
          ) -> tuple[dict[str, float | None], list[Converted | None]]:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    h = load_history(paths, currency=currency) if currency else load_history(paths)
    v = h.events.group_by("deal_id").agg(pl.col("value").first()).sort("deal_id")
    return dict(v.iter_rows()), [n.currencies for n in h.quality.notes
                                 if n.kind == "currencies"]


def test_dollars_and_euros_are_not_summed_as_one_currency(tmp_path: Path) -> None:
    values, [note] = _read(tmp_path, {"mixed.csv": MIXED})
    assert values == {"1": 1000.0, "2": None, "3": 3000.0}
    assert note is not None and note.currency == "USD" and not note.account
    assert (note.converted, note.left, note.source) == ((), (("EUR", 1),), "csv")


def test_the_currency_column_and_the_headers_unit(tmp_path: Path) -> None:
    """Pipedrive's «Deal - Currency» names each deal's; «Сумма, руб.» is the unit of an
    unmarked cell, and a cell's own sign («$300») comes before it."""
    pipedrive = ("Deal - ID,Deal - Stage,Time,Deal - Value,Deal - Currency\n"
                 "1,Lead In,2026-02-01 10:00,500,EUR\n2,Lead In,2026-02-01 11:00,700,usd\n"
                 "3,Lead In,2026-02-01 12:00,900,EUR\n"
                 "1,Won,2026-02-03 10:00,500,EUR\n2,Won,2026-02-03 11:00,700,usd\n"
                 "3,Lost,2026-02-03 12:00,900,EUR\n")
    values, [note] = _read(tmp_path, {"pd.csv": pipedrive})
    assert values == {"1": 500.0, "2": None, "3": 900.0}
    assert note is not None and (note.currency, note.left) == ("EUR", (("USD", 1),))
    rub = ("ID сделки;Дата;Этап;Сумма, руб.\n1;01.03.2026 10:00;Новая;12 500\n"
           "2;01.03.2026 11:00;Новая;$300\n3;01.03.2026 12:00;Новая;4 000 р.\n"
           "1;02.03.2026 10:00;Успешно реализовано;12 500\n"
           "2;02.03.2026 11:00;Успешно реализовано;$300\n"
           "3;02.03.2026 12:00;Закрыто и не реализовано;4 000 р.\n")
    values, [note] = _read(tmp_path, {"rub.csv": rub})
    assert values == {"1": 12500.0, "2": None, "3": 4000.0}
    assert note is not None and (note.currency, note.left) == ("RUB", (("USD", 1),))


def test_a_currency_column_that_writes_names(tmp_path: Path) -> None:
    """A «Валюта» column of full names: «Российский рубль» is the rouble account's own
    RUB (else every amount of the account would be left without a value), «Доллар США»
    is USD; a name not known is a currency of its own, never guessed."""
    rows = "".join(f"{i};01.03.2026 10:00;Новая;{v};{c}\n{i};02.03.2026 10:00;Отказ;{v};{c}\n"
                   for i, (v, c) in enumerate([("100", "Российский рубль"), ("200", "RUB"),
                                               ("300", "Доллар США"), ("400", "Юань")], 1))
    values, [note] = _read(tmp_path, {"b24.csv": "ID;Дата;Стадия;Сумма;Валюта\n" + rows},
                           currency="RUB")
    assert values == {"1": 100.0, "2": 200.0, "3": None, "4": None}
    assert note is not None and note.left == (("USD", 1), ("Юань", 1))


def test_two_files_each_in_a_currency_of_their_own(tmp_path: Path) -> None:
    """Two pipelines exported apart, one in hryvnias, one in dollars: neither file alone
    has two currencies, but their sum would."""
    uah = ("deal_id,timestamp,stage,value\n1,2026-01-05 10:00,New,12 500 грн\n"
           "1,2026-01-06 10:00,Won,12 500 грн\n2,2026-01-05 10:00,New,8 000 грн\n"
           "2,2026-01-06 10:00,Lost,8 000 грн\n")
    usd = ("deal_id,timestamp,stage,value\n3,2026-01-05 10:00,New,$300\n"
           "3,2026-01-06 10:00,Won,$300\n")
    values, [note] = _read(tmp_path, {"a.csv": uah, "b.csv": usd})
    assert values == {"1": 12500.0, "2": 8000.0, "3": None}
    assert note is not None and (note.currency, note.left) == ("UAH", (("USD", 1),))


def test_the_accounts_currency_is_the_one_read(tmp_path: Path) -> None:
    """Dollars in most deals but roubles in the account: the money is printed in roubles,
    so the dollars keep no value; all of them when every amount is in dollars."""
    values, [note] = _read(tmp_path, {"mixed.csv": MIXED}, currency="EUR")
    assert values == {"1": None, "2": 2000.0, "3": None}
    assert note is not None and note.account and note.left == (("USD", 2),)
    only = "\n".join(line for line in MIXED.splitlines() if "€" not in line) + "\n"
    values, [note] = _read(tmp_path, {"usd.csv": only}, currency="RUB")
    assert values == {"1": None, "3": None}
    assert note is not None and (note.currency, note.left) == ("RUB", (("USD", 2),))
    values, notes = _read(tmp_path, {"usd.csv": only}, currency="USD")
    assert notes == [] and values == {"1": 1000.0, "3": 3000.0}


def test_every_sign_still_parses() -> None:
    """`test_amounts_as_spreadsheets_write_them` wrote «12 345 ₽» among hryvnias, which now
    keeps no value there (two currencies): its sign is read here, alone, with the others."""
    cells = ["12 345 ₽", "1 234 руб.", "£1,500.00", "2 000 GBP", "RUB 700", "$1,000.00",
             "€2.000,50", "12 500 грн"]
    values = parse_amounts(pl.Series(cells)).to_list()
    assert values == [12345.0, 1234.0, 1500.0, 2000.0, 700.0, 1000.0, 2000.5, 12500.0]


def test_a_code_written_against_the_number(tmp_path: Path) -> None:
    """«12500руб», «5000грн.», `300USD`, «12500р.»: a spreadsheet typed by hand writes the
    currency against the number; each was no number (`bad_values`), its amount lost."""
    cells = ["12500руб", "12500руб.", "5000грн", "5000грн.", "12500р.", "12500р", "300USD",
             "USD300"]
    assert parse_amounts(pl.Series(cells)).to_list() == [
        12500.0, 12500.0, 5000.0, 5000.0, 12500.0, 12500.0, 300.0, 300.0]
    assert parse_amounts(pl.Series(["договорная", "1,5 млн руб"])).is_nan().to_list() == [
        True, True]
    rows = "".join(f"{i},2026-01-05 10:00,New,{v}\n{i},2026-01-06 10:00,Won,{v}\n"
                   for i, v in enumerate(["12500руб", "5000грн.", "300USD"], 1))
    values, [note] = _read(tmp_path, {"typed.csv": "deal_id,timestamp,stage,value\n" + rows},
                           currency="RUB")
    assert values == {"1": 12500.0, "2": None, "3": None}
    assert note is not None and note.left == (("UAH", 1), ("USD", 1))


def test_a_deal_lists_currency_goes_with_its_amount(tmp_path: Path) -> None:
    """Salesforce's Opportunity table (`Amount`, `CurrencyIsoCode`) beside its
    OpportunityHistory (no amount): the amounts come from the table, each in its own
    currency; the history's own amount of a deal is in the history's."""
    opp = ("Id,Name,StageName,Amount,CurrencyIsoCode,CreatedDate,LastStageChangeDate\n"
           "O1,A,Closed Won,1000,USD,2026-01-01T09:00:00.000Z,2026-01-05T09:00:00.000Z\n"
           "O2,B,Closed Won,900,EUR,2026-01-02T09:00:00.000Z,2026-01-06T09:00:00.000Z\n"
           "O3,C,Closed Lost,3000,USD,2026-01-03T09:00:00.000Z,2026-01-07T09:00:00.000Z\n")
    hist = ("Id,OpportunityId,CreatedDate,StageName\n"
            "H1,O1,2026-01-01,Prospecting\nH2,O1,2026-01-05,Closed Won\n"
            "H3,O2,2026-01-02,Prospecting\nH4,O2,2026-01-06,Closed Won\n"
            "H5,O3,2026-01-03,Prospecting\nH6,O3,2026-01-07,Closed Lost\n")
    values, [note] = _read(tmp_path, {"Opportunity.csv": opp, "OpportunityHistory.csv": hist})
    assert values == {"O1": 1000.0, "O2": None, "O3": 3000.0}
    assert note is not None and (note.currency, note.left) == ("USD", (("EUR", 1),))


def test_one_currency_or_none_named_is_read_as_it_is(tmp_path: Path) -> None:
    plain = MIXED.replace("$", "").replace("€", "")
    values, notes = _read(tmp_path, {"plain.csv": plain}, currency="RUB")
    assert notes == [] and values == {"1": 1000.0, "2": 2000.0, "3": 3000.0}
    values, notes = _read(tmp_path, {"usd.csv": MIXED.replace("€", "$")})
    assert notes == [] and values == {"1": 1000.0, "2": 2000.0, "3": 3000.0}


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "the deals' amounts are in several currencies and are read in USD: 1 deal in EUR "
           "keeps no value: a CSV gives no rate for EUR (write its amount in USD to count it)"),
    ("ru", "суммы сделок в нескольких валютах и читаются в USD: 1 сделка в EUR остаётся без "
           "суммы: в CSV нет курса EUR (запишите её сумму в USD, чтобы она считалась)"),
    ("uk", "суми угод у кількох валютах і читаються в USD: 1 угода в EUR лишається без суми: "
           "у CSV немає курсу EUR (запишіть її суму в USD, щоб вона рахувалася)"),
])
def test_the_note_in_each_language_and_in_the_json(tmp_path: Path, lang: str,
                                                   said: str) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(MIXED, encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path), "--lang", lang],
                             env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert said in " ".join(res.output.split())
    res = CliRunner().invoke(cli, ["history", str(path), "--format", "json"],
                             env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    notes = json.loads(res.stdout)["quality"]["notes"]
    assert any("read in USD: 1 deal in EUR keeps no value" in n for n in notes)


def test_bitrix24_amounts_are_read_in_the_accounts_currency(tmp_path: Path) -> None:
    """Bitrix24's base currency (UAH) or most deals' is not always the funnel's: with
    `account { currency USD }` the amounts are read in dollars at the account's own rates
    (400 000 ₴ at 41.5 is $9 638.55), and without the rates only the dollar deals keep
    theirs. Without an account currency, as before (`test_history_bitrix24_currencies`)."""
    paths = _export(tmp_path / "rates", rates=True)
    h = load_history(paths, tz="Europe/Kyiv", currency="USD")
    values = dict(h.events.group_by("deal_id").agg(pl.col("value").first()).iter_rows())
    assert values["1"] == pytest.approx(400_000 / 41.5)
    assert values["2"] == pytest.approx(10_000.0)
    assert values["5"] == pytest.approx(2_000 * 45.2 / 41.5)
    [note] = [n.currencies for n in h.quality.notes if n.kind == "currencies"]
    assert note is not None and note.account and note.currency == "USD" and note.left == ()
    paths = _export(tmp_path / "bare", rates=False)
    h = load_history(paths, tz="Europe/Kyiv", currency="USD")
    values = dict(h.events.group_by("deal_id").agg(pl.col("value").first()).iter_rows())
    assert values == {"1": None, "2": 10_000.0, "3": None, "4": 5_000.0, "5": None,
                      "6": None, "7": None}


def test_a_deal_list_without_close_dates_is_refused_in_english(tmp_path: Path) -> None:
    """«3 of the 3 won or lost deals have no a close date»: the refusal of a list whose
    closes carry no date read «no a»."""
    path = tmp_path / "deals.csv"
    path.write_text("Deal - ID,Deal - Value,Deal - Currency,Deal - Stage,Deal - Status,"
                    "Deal - Deal created\n1,1000,USD,Negotiations,won,2026-01-05 10:00:00\n"
                    "2,2000,USD,Negotiations,lost,2026-01-06 10:00:00\n"
                    "3,3000,USD,Qualified,open,2026-01-07 10:00:00\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path)], env={"NO_COLOR": "1"})
    said = " ".join(res.output.split())
    assert res.exit_code == 1, said
    assert "2 of the 2 won or lost deals have no close date: each would be left out" in said


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "the deals' amounts are read in the account's currency, RUB: 2 deals in USD keep "
           "no value: a CSV gives no rate for USD (write their amounts in RUB to count them)"),
    ("ru", "суммы сделок читаются в валюте аккаунта, RUB: 2 сделки в USD остаются без суммы: "
           "в CSV нет курса USD (запишите их суммы в RUB, чтобы они считались)"),
    ("uk", "суми угод читаються у валюті акаунта, UAH: 2 угоди в USD лишаються без суми: у "
           "CSV немає курсу USD (запишіть їхні суми в UAH, щоб вони рахувалися)"),
])
def test_the_accounts_currency_note_in_each_language(tmp_path: Path, lang: str,
                                                     said: str) -> None:
    """Every amount in dollars, the account in roubles (hryvnias): the note says the
    amounts are read in the account's currency, not «in several currencies»."""
    from funnelc.history.quality_render import note_text
    from funnelc.i18n import translator

    only = "\n".join(line for line in MIXED.splitlines() if "€" not in line) + "\n"
    (tmp_path / "usd.csv").write_text(only, encoding="utf-8")
    h = load_history([str(tmp_path / "usd.csv")], currency="UAH" if lang == "uk" else "RUB")
    [note] = [n for n in h.quality.notes if n.kind == "currencies"]
    assert note_text(note, translator(lang)) == f"{tmp_path / 'usd.csv'}: {said}"


def test_hubspots_amount_in_company_currency_is_the_amount(tmp_path: Path) -> None:
    """HubSpot exports each deal's «Amount» in its own «Currency» and «Amount in company
    currency» converted at the account's rates: the converted one is read, and no deal
    is left without a value for want of a rate."""
    text = ("Record ID,Deal Stage,Timestamp,Amount,Currency,Amount in company currency\n"
            "1,Appointment scheduled,2026-01-05 10:00,1000,USD,1000\n"
            "2,Appointment scheduled,2026-01-05 11:00,2000,EUR,2170\n"
            "1,Closed won,2026-01-09 10:00,1000,USD,1000\n"
            "2,Closed lost,2026-01-09 11:00,2000,EUR,2170\n")
    values, notes = _read(tmp_path, {"hubspot.csv": text})
    assert notes == [] and values == {"1": 1000.0, "2": 2170.0}
