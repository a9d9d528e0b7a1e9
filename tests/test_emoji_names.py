"""An emoji built with a zero-width joiner (👨‍💻, 👩‍⚕️, 🏳️‍🌈) or with tags (the flag of
Scotland) is one visible symbol: its joiner is not an «invisible character» (FN235),
and following the old help («delete the character») split it into two emoji (👨💻).
A joiner or a tag outside an emoji sequence is still an error (findings h4, section 4)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

ZWJ = "\u200d"
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


def _funnel(team: str, stage: str) -> str:
    return (f'team "{team}" size 1\n'
            f'source "Сайт" 1/day -> "Продажи"."{stage}"\n'
            'pipeline "Продажи" main {\n'
            f'  stage "{stage}" {{\n'
            f'    owner "{team}"\n'
            '    -> won\n'
            '  }\n'
            '}\n')


def _errors(tmp_path: Path, text: str) -> list[dict[str, object]]:
    path = tmp_path / "emoji.funnel"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--no-lint", "--format", "json", str(path)])
    return [d for d in json.loads(result.stdout)["diagnostics"] if d["severity"] == "error"]


def test_zwj_and_tag_emoji_are_visible_names(tmp_path: Path) -> None:
    for team, stage in ((f"Отдел 👨{ZWJ}💻", f"Врач 👩{ZWJ}⚕\ufe0f"),
                        (f"Гордость 🏳\ufe0f{ZWJ}🌈", f"Шотландия {SCOTLAND}"),
                        (f"Семья 👨{ZWJ}👩{ZWJ}👧", f"Пишет ✍🏽{ZWJ}✍")):
        assert _errors(tmp_path, _funnel(team, stage)) == [], (team, stage)


def test_a_joiner_outside_an_emoji_is_still_invisible(tmp_path: Path) -> None:
    errors = _errors(tmp_path, _funnel(f"Отдел{ZWJ}продаж", f"Заявка 👨{ZWJ}"))
    assert errors and {d["code"] for d in errors} == {"FN235"}
    assert all("U+200D ZERO WIDTH JOINER" in str(d["message"]) for d in errors)
    messages = " ".join(str(d["message"]) for d in errors)
    assert f"Отдел{ZWJ}продаж" in messages and f"Заявка 👨{ZWJ}`" in messages
