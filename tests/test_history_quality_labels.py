"""The data-quality table of `history` names every counter in the account's language (a
Russian consultant's pass): on the online school's amoCRM export its Russian table said
`deals_no_history` where the client expects a word, and a note ended «(mixed_time_units)».

The oracle: no snake_case key is left in the Russian or Ukrainian terminal output or in
the text of history.html (styles, scripts and plots aside; the JSON keeps the codes), on
both consultants' exports and on a CSV that drops rows for several reasons."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_once import cli_once, out, planted
from funnelc.cli import cli
from funnelc.history.quality_render import DROP_LABEL, DROP_TEXT, KIND_LABEL, KIND_TEXT, LABEL
from funnelc.i18n import translator

DATA = Path(__file__).resolve().parent / "data"
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
"""tests/history_family.py's terminal: the school's and the furniture maker's `history -o`
in ru and uk are the very runs the language sweeps read, made once a session."""
SNAKE = re.compile(r"(?<![\w./#-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")
"""A key such as `deals_no_history`; not a file name (`leads.jsonl`, `h_1.csv`)."""
ALLOWED = {"utm_source"}
"""The CRM field a deal without a source is sourced by: the client's own word for it."""


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The arguments of `history` for each export (folders named without underscores:
    the page names its input). The school's (seed 3) and the furniture maker's (seed 7)
    are the shared exports (`cli_once.planted`), with the options tests/history_family.py
    gives them."""
    school = planted("amocrm_school")
    furniture = planted("furniture_uk")
    messy = tmp_path_factory.mktemp("messy") / "h.csv"
    messy.write_text(
        "deal_id,timestamp,pipeline,stage,source,loss_reason,value\n"
        "D1,2026-03-02T09:00:00+00:00,Продажи,Заявка,Сайт,,1000\n"
        "D1,2026-03-02T09:00:00+00:00,Продажи,Заявка,Сайт,,1000\n"
        "D1,2026-03-03T09:00:00+00:00,Продажи,lost,Сайт,Дорого,1000\n"
        "D2,not a time,Продажи,Заявка,Сайт,,1000\n"
        ",2026-03-04T09:00:00+00:00,Продажи,Заявка,Сайт,,1000\n"
        "D3,2026-03-04T09:00:00+00:00,Продажи,,Сайт,,1000\n"
        "D4,2026-03-05T09:00:00+00:00,Продажи,Заявка,Сайт,,1000\n",
        encoding="utf-8")
    return {"school": [str(school), "--funnel", str(DATA / "amocrm_school" / "school.funnel"),
                       "--tz", "Europe/Moscow"],
            "furniture": [str(furniture / "bitrix24"),
                          "--funnel", str(DATA / "furniture_uk" / "dubok.funnel")],
            "messy": [str(messy)]}


def _page_text(out: Path) -> str:
    page = (out / "history.html").read_text(encoding="utf-8")
    page = re.sub(r"<style>.*?</style>|<script.*?</script>|<svg.*?</svg>", " ", page,
                  flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _cell(text: str, table: str) -> bool:
    """`text` is a whole cell of a terminal table (its first column: the kind)."""
    return re.search(r"│ " + re.escape(text) + r" +│", table) is not None


def _keys(text: str) -> list[str]:
    return sorted(set(SNAKE.findall(text)) - ALLOWED)


@pytest.mark.parametrize("lang", ["ru", "uk"])
@pytest.mark.parametrize("export", ["school", "furniture", "messy"])
def test_no_raw_key_in_the_translated_history(exports: dict[str, list[str]], export: str,
                                              lang: str) -> None:
    result = cli_once(["history", *exports[export], "--lang", lang, "-o", out("history")], ENV)
    assert result.exit_code in (0, 1), result.output  # 1: the messy CSV drops rows
    out_ = result.path("history")
    assert _keys(result.stdout) == [], result.stdout
    assert _keys(_page_text(out_)) == []
    quality = json.loads((out_ / "history.json").read_text(encoding="utf-8"))["quality"]
    if export == "school":
        # The row the consultant saw, in words; the JSON keeps the code.
        assert quality["counts"]["deals_no_history"] == 7
        word = {"ru": "сделки без смены этапа", "uk": "угоди без зміни етапу"}[lang]
        assert _cell(word, result.stdout), word
    if export == "messy":
        assert quality["dropped"] == {"bad_timestamp": 1, "duplicate": 1, "no_deal_id": 1,
                                      "no_stage": 1}
        for word in {"ru": ["повторы событий", "отброшено: неверное время",
                            "отброшено: повтор", "отброшено: нет id сделки"],
                     "uk": ["повтори подій", "відкинуто: хибний час", "відкинуто: повтор",
                            "відкинуто: немає id угоди"]}[lang]:
            assert _cell(word, result.stdout), word


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_every_counter_has_a_translated_label(lang: str) -> None:
    """A counter added without a label (or a label without its translation) would show
    its code again."""
    assert set(KIND_LABEL) == set(KIND_TEXT) and set(DROP_LABEL) == set(DROP_TEXT)
    tr = translator(lang)
    for label in [*KIND_LABEL.values(), *DROP_LABEL.values()]:
        said = tr.pgettext(LABEL, label)
        assert said != label and not re.search(r"[A-Za-z]{3,}", said), (label, said)


@pytest.mark.parametrize(("lang", "first"), [("ru", "впервые в"), ("uk", "вперше в")])
def test_the_first_place_of_a_problem_is_said_alike_on_every_line(
        tmp_path: Path, lang: str, first: str) -> None:
    """Review s20 F10: a dropped row's line said «(уперше: olist_bad.csv:8844)» and the
    amount's line under it «(вперше в olist_bad.csv:8845)» — two spellings of one word
    side by side (ru: «(впервые: …)» against «(впервые в …)»). Every data-quality line
    says its first place the same way."""
    path = tmp_path / "q.csv"
    path.write_text("deal_id,timestamp,stage,value\n1,2026-02-01 10:00,A,100\n"
                    "2,2026-02-02 10:00,A,abc\n3,31.02.2026 10:00,A,100\n"
                    + "".join(f"{i},2026-02-03 1{i}:00,A,100\n" for i in range(4, 8)),
                    encoding="utf-8")
    res = CliRunner().invoke(cli, ["history", str(path), "--lang", lang], env=ENV)
    lines = [line for line in res.output.splitlines() if f"{path}:" in line
             and not line.startswith(("│", "┃"))]
    assert len(lines) == 2, res.output
    assert all(f"({first} {path}:" in line for line in lines), lines
    assert "уперше" not in res.output and "впервые:" not in res.output
