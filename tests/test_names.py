"""Names that mean something other than they look (issue 11, section 3): invisible and
direction-control characters (FN235), blank names (FN234), look-alike duplicates (FN207),
NFC, the exports' blank-name guards, and diagnostics that never echo such characters
raw to a terminal."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from conftest import CASES, PIPELINES
from export_helpers import codes, load_unchecked, one_pipeline
from funnelc.api import load_text
from funnelc.checks.name_characters import names_in
from funnelc.cli import cli
from funnelc.export.amocrm import build_bundle
from funnelc.export.bitrix24 import build_calls
from funnelc.export.hubspot import build_requests as hubspot_requests
from funnelc.export.pipedrive import build_requests as pipedrive_requests
from funnelc.export.salesforce import build_metadata
from funnelc.model import Name
from funnelc.names import (
    _INVISIBLE,
    _LOOKALIKES,
    _PRINTABLE_INVISIBLE,
    escape_invisible,
    is_blank,
    skeleton,
)

ZWSP, RLO, BOM = "\u200b", "\u202e", "\ufeff"
SOURCE = 'source "Сайт" 1/day -> "Заявка"\n'


def _check(tmp_path: Path, text: str, *extra: str) -> tuple[int, str, str, Path]:
    path = tmp_path / "n.funnel"
    path.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(cli, ["check", "--no-lint", *extra, str(path)],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr, path


def _found(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    code, out, _, _ = _check(tmp_path, text, "--format", "json")
    assert code in (0, 1)
    return json.loads(out)["diagnostics"]


def _pipeline(*stages: str, name: str = "Продажи") -> str:
    return f'pipeline "{name}" main {{\n' + "".join(f"  {s}\n" for s in stages) + "}\n"


# ------------------------------------------------------------------ FN235
@pytest.mark.parametrize("ch", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a",
                                "\u202e", "\u2066", "\u2069", "\ufeff", "\u2060", "\u00ad",
                                "\t", "\x07", "\u2028"])
def test_invisible_character_in_a_name_is_fn235_at_its_column(ch: str, tmp_path: Path) -> None:
    text = f'team "Ме{ch}неджеры" size 2\n'
    found = _found(tmp_path, text)
    assert [d["code"] for d in found] == ["FN235"]
    span = found[0]["span"]
    assert (span["line"], span["column"], span["end_column"]) == (1, 9, 10), "under the character"
    assert f"U+{ord(ch):04X}" in found[0]["message"]


def test_invisible_character_in_a_reference_is_reported_too(tmp_path: Path) -> None:
    text = 'team "Менеджеры" size 2\n' + SOURCE + _pipeline(
        f'stage "Заявка" {{ owner "Менеджеры{ZWSP}"\n    -> won }}')
    found = {(d["code"], d["span"]["line"]) for d in _found(tmp_path, text)}
    assert ("FN235", 4) in found and ("FN204", 4) in found


def test_direction_control_in_a_hint_is_fn235_but_a_zero_width_joiner_is_not(
        tmp_path: Path) -> None:
    emoji = "\U0001f468\u200d\U0001f4bb"  # a ZWJ sequence: legitimate in free text
    text = SOURCE + _pipeline(f'stage "Заявка" {{ hint "Позвонить {emoji} {RLO}сразу"\n'
                              '    -> won }')
    found = _found(tmp_path, text)
    assert [d["code"] for d in found] == ["FN235"]
    assert "U+202E" in found[0]["message"] and "U+200D" not in found[0]["message"]


def test_a_clean_file_with_emoji_and_variation_selectors_stays_clean(tmp_path: Path) -> None:
    text = (SOURCE.replace('"Заявка"', '"Заявка ❤️"')
            + _pipeline('stage "Заявка ❤️" { hint "Срочно 🔥"\n    -> won }'))
    assert _found(tmp_path, text) == []


# ------------------------------------------------------------------ FN234
@pytest.mark.parametrize("blank", ["", "   ", ZWSP, f" {ZWSP}{BOM} ", "\u00a0", "\u3000"])
def test_blank_definitions_are_fn234(blank: str, tmp_path: Path) -> None:
    text = f'team "{blank}" size 2\n'
    found = _found(tmp_path, text)
    assert [d["code"] for d in found] == ["FN234"], found


def test_a_blank_loss_reason_is_fn234(tmp_path: Path) -> None:
    text = SOURCE + _pipeline(f'stage "Заявка" {{ -> won 50%\n    -> lost "{ZWSP}" 50% }}')
    found = _found(tmp_path, text)
    assert [d["code"] for d in found] == ["FN234"]
    assert found[0]["message"] == "loss reason is blank"


# ------------------------------------------------------------------ FN207 and NFC
@pytest.mark.parametrize("first, second", [
    ("Агенты", "Aгенты"),            # Cyrillic А, Latin A
    ("Ціна", "Цiна"),                # Ukrainian і, Latin i
    ("Вход", "Bход"),                # Cyrillic В, Latin B
    ("Омар", "Ομαρ"),                # Cyrillic, Greek
    ("Sales", "Ｓａｌｅｓ"),          # fullwidth forms (NFKC)
    ("Менеджеры", f"Менеджеры{ZWSP}"),
    ("Заявка 2", "Заявка\u00a02"),
])
def test_names_a_reader_cannot_tell_apart_are_duplicates(first: str, second: str,
                                                         tmp_path: Path) -> None:
    found = _found(tmp_path, f'team "{first}" size 1\nteam "{second}" size 1\n')
    dups = [d for d in found if d["code"] != "FN235"]
    assert [d["code"] for d in dups] == ["FN207"], found
    assert dups[0]["secondary"][0]["span"]["line"] == 1


@pytest.mark.parametrize("first, second", [("Елка", "Ёлка"), ("Звонок", "3вонок"),
                                           ("Этап 1", "Этап 2"), ("Иван", "Йван")])
def test_names_that_look_different_are_not_duplicates(first: str, second: str,
                                                      tmp_path: Path) -> None:
    found = _found(tmp_path, f'team "{first}" size 1\nteam "{second}" size 1\n')
    assert found == []


def test_no_two_letters_of_one_alphabet_share_a_skeleton() -> None:
    """The look-alike table only ever joins letters of different scripts."""
    for alphabet in ("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
                     "abcdefghijklmnopqrstuvwxyz", "αβγδεζηθικλμνξοπρστυφχψω"):
        skeletons = [skeleton(ch) for ch in alphabet]
        assert len(set(skeletons)) == len(alphabet), alphabet
    assert all(v.isascii() and unicodedata.name(k).split()[0] in ("CYRILLIC", "GREEK")
               for k, v in ((chr(k), v) for k, v in _LOOKALIKES.items()))


def test_nfc_composed_and_decomposed_names_are_one_name(tmp_path: Path) -> None:
    composed, decomposed = "Йога", "И\u0306ога"
    assert composed != decomposed and unicodedata.normalize("NFC", decomposed) == composed
    text = (f'team "{composed}" size 1\n' + SOURCE
            + _pipeline(f'stage "Заявка" {{ owner "{decomposed}"\n    -> won }}'))
    assert _found(tmp_path, text) == [], "the decomposed reference resolves"
    found = _found(tmp_path, f'team "{composed}" size 1\nteam "{decomposed}" size 1\n')
    assert [d["code"] for d in found] == ["FN207"]


# ------------------------------------------------------------------ exports share the predicate
EXPORTERS: dict[str, tuple[Callable[[Any], tuple[Any, list]], str]] = {
    "amocrm": (build_bundle, "FN305"),
    "bitrix24": (build_calls, "FN322"),
    "pipedrive": (pipedrive_requests, "FN330"),
    "hubspot": (hubspot_requests, "FN343"),
    "salesforce": (build_metadata, "FN355"),
}


@pytest.mark.parametrize("target", sorted(EXPORTERS))
def test_exports_call_a_zero_width_name_blank(target: str) -> None:
    """Each export's own blank-name guard (for models built without `check`) uses the
    predicate of FN234: a name of only U+200B is blank, not a name."""
    build, code = EXPORTERS[target]
    model = load_unchecked(one_pipeline(f'  stage "{ZWSP}" {{ -> won }}', first=ZWSP))
    assert code in codes(build(model)[1]), target


def test_export_command_refuses_a_zero_width_name(tmp_path: Path) -> None:
    path = tmp_path / "z.funnel"
    path.write_text(one_pipeline(f'  stage "{ZWSP}" {{ -> won }}', first=ZWSP), encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["export", "--to", "amocrm", "-o", str(out), str(path)])
    assert result.exit_code == 1 and not out.exists()
    assert "FN234" in result.stderr


# ------------------------------------------------------------------ rendering
def test_diagnostics_never_echo_raw_invisible_characters(tmp_path: Path) -> None:
    text = (f'team "Мене{RLO}джеры\x1b[31m" size 2\n'
            f'team "{ZWSP}" size 1\n')
    code, _, err, _path = _check(tmp_path, text, "--color", "never")
    assert code == 1
    assert RLO not in err and ZWSP not in err and "\x1b" not in err
    assert "\\u202e" in err and "\\u200b" in err and "\\u001b[31m" in err
    caret_source = next(ln for ln in err.splitlines() if ln.startswith("1 | "))
    caret = next(ln for ln in err.splitlines() if "^" in ln)
    assert caret_source.index("\\u202e") == caret.index("^"), "caret under the escape"
    code, out, _, _ = _check(tmp_path, text, "--format", "json")
    assert RLO not in out and ZWSP not in out and "\x1b" not in out
    messages = [d["message"] for d in json.loads(out)["diagnostics"]]
    assert any(RLO in m for m in messages), "the JSON data still holds the real name"


def test_escape_keeps_printable_text() -> None:
    assert escape_invisible("Заявка ❤️ 中文\t") == "Заявка ❤️ 中文\t"
    assert escape_invisible("a\u200bb\U000e0041") == "a\\u200bb\\U000e0041"
    assert is_blank(" \u200b\ufe0f ") and not is_blank("❤️")


def test_invisible_class_matches_unicode_categories() -> None:
    """The hard-coded ranges are the Cc, Cf, Zl and Zp characters of this Python's
    Unicode data (plus the letters that draw nothing)."""
    extra = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0}
    for cp in range(0x110000):
        ch = chr(cp)
        expected = unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or cp in extra
        assert bool(_INVISIBLE.match(ch)) == expected, hex(cp)
        # escape_invisible's fast test: the printable ones are exactly this set.
        if ch.isprintable():
            assert (ch in _PRINTABLE_INVISIBLE) == expected, hex(cp)


# ------------------------------------------------------------------ the explicit walk is complete
def _every_name(node: Any, out: list[int]) -> None:
    for key in type(node).model_fields:
        value = getattr(node, key)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Name):
                out.append(id(item))
            elif isinstance(item, BaseModel):
                _every_name(item, out)


@pytest.mark.parametrize("path", sorted(PIPELINES.glob("*.funnel"))
                         + [CASES / "errors" / "clean.funnel"], ids=lambda p: p.name)
def test_names_in_finds_every_name(path: Path) -> None:
    model = load_text(path.read_text(encoding="utf-8"), str(path), checks=False).model
    assert model is not None
    generic: list[int] = []
    _every_name(model, generic)
    found = [id(n) for n, _, _ in names_in(model)]
    assert generic and set(generic) <= set(found)


def test_fmt_writes_names_in_nfc(tmp_path: Path) -> None:
    path = tmp_path / "nfc.funnel"
    path.write_text('team "И\u0306ога" size 1\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["fmt", str(path)], catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout == 'team "Йога" size 1\n'
    check = CliRunner().invoke(cli, ["fmt", "--check", str(path)], catch_exceptions=False)
    assert check.exit_code == 1
