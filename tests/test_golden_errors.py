"""Golden tests for every error code of the compiler core (FN0xx input/syntax, FN2xx
semantic): `funnelc check` on each `tests/cases/errors/<name>.funnel` must print exactly
`<name>.err` (text, no colour) and `<name>.json` (`--format json`).

Inputs that cannot live in git as text (binary, not UTF-8, a BOM with CRLF line ends,
lone-CR line ends, over 10 MB, a missing file, a directory) are written by `GENERATED` below into a
temporary directory under the same relative path, so their golden output is as stable
as the others'.

Regenerate after an intended change with `FUNNELC_UPDATE_GOLDEN=1 pytest
tests/test_golden_errors.py`, then read the diff: carets under the right characters,
labels that help.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CASES, ROOT
from funnelc.checks.registry import error_codes
from funnelc.cli import cli

ERRORS = CASES / "errors"
REL = ERRORS.relative_to(ROOT)
UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"


def _clean_text() -> str:
    return (ERRORS / "clean.funnel").read_text(encoding="utf-8")


def _write(data: bytes) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data)
    return make


def _bom_crlf(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + _clean_text().replace("\n", "\r\n").encode("utf-8"))


def _too_large(path: Path) -> None:
    line = b'# padding: a whole account is a few hundred kB, this is not one\n'
    with path.open("wb") as fh:
        fh.write(line * (11 * 1024 * 1024 // len(line)))


def _not_utf8(path: Path) -> None:
    text = ('# saved by an old Windows tool\nteam "Менеджеры" size 2\n'
            'pipeline "Продажи" main { stage "Заявка" { -> won } }\n')
    path.write_bytes(text.encode("cp1251"))


def _binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


GENERATED: dict[str, Callable[[Path], None] | None] = {
    "bom_crlf_clean": _bom_crlf,
    # Issue 11: lines ended by a lone CR are lines, not one long comment.
    "lone_cr": _write(b"# header\rteam B size 0\rpipeline P { stage S { -> nowhere } }\r"),
    # Issue 11: invisible characters in names (FN235, FN234) and names a reader cannot
    # tell apart (FN207), written with escapes so that this file shows what is in them.
    "invisible_names": _write((
        "# FN235: invisible characters in names and a direction control in a hint\n"
        'team "Менеджеры\u200b" size 2\n'
        'team "\u200b\ufeff" size 1\n'
        'pipeline "Продажи\u202e" main {\n'
        '  stage "Заявка" {\n'
        '    owner "Менеджеры"\n'
        '    hint "Позвонить \u2067клиенту\u2069 сразу"\n'
        "    -> won\n"
        "  }\n"
        "}\n").encode("utf-8")),
    "lookalike_names": _write((
        "# FN207: names that differ only in look-alike letters or invisible characters\n"
        'team "Aгенты" size 1\n'
        'team "Агенты" size 1\n'
        'field "Ціна" money\n'
        'field "Цiна" money\n'
        'source "Сайт" 1/day -> "Заявка"\n'
        'pipeline "Продажи" main {\n'
        '  stage "Заявка" { -> "Заявка\u00a02" 50%\n    -> won 50% }\n'
        '  stage "Заявка 2" { -> won }\n'
        '  stage "Заявка\u00a02" { -> won }\n'
        "}\n").encode("utf-8")),
    "not_utf8": _not_utf8,
    "binary": _binary,
    "too_large": _too_large,
    "no_such_file": None,
    "directory": lambda p: p.mkdir(),
}
"""Cases whose input is made at test time; None = the file must not exist."""


def _cases() -> list[str]:
    written = sorted(p.stem for p in ERRORS.glob("*.funnel"))
    clash = set(written) & set(GENERATED)
    assert not clash, f"generated cases also exist as files: {clash}"
    return written + sorted(GENERATED)


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _check_both(name: str) -> tuple[int, str, int, str, str]:
    rel = f"{REL.as_posix()}/{name}.funnel"
    # Compiler errors only: lint findings have their own golden cases (tests/cases/lint).
    code_text, out_text, err_text = _run(["check", "--no-lint", "--color", "never", rel])
    code_json, out_json, _ = _run(["check", "--no-lint", "--format", "json", rel])
    assert out_text == "", "text findings go to stderr, nothing to stdout"
    return code_text, err_text, code_json, out_json, rel


def _compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path.name}: run with FUNNELC_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.name} differs from the CLI output"


@pytest.mark.parametrize("name", _cases())
def test_golden(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if name in GENERATED:
        make = GENERATED[name]
        (tmp_path / REL).mkdir(parents=True)
        if make is not None:
            make(tmp_path / REL / f"{name}.funnel")
        monkeypatch.chdir(tmp_path)
    else:
        monkeypatch.chdir(ROOT)
    code_text, err_text, code_json, out_json, rel = _check_both(name)
    _compare(ERRORS / f"{name}.err", err_text)
    _compare(ERRORS / f"{name}.json", out_json)

    found = json.loads(out_json)["diagnostics"]
    codes = {d["code"] for d in found}
    expected_exit = 0 if not found else 2 if "FN013" in codes else 1
    assert code_text == code_json == expected_exit
    assert all(d["path"] == rel for d in found), "paths are printed as given"
    if found:
        assert err_text.splitlines()[-1].endswith(("error", "errors")), "summary line last"


def test_every_code_has_a_golden_case() -> None:
    covered: set[str] = set()
    for path in ERRORS.glob("*.json"):
        covered |= {d["code"] for d in json.loads(path.read_text(encoding="utf-8"))["diagnostics"]}
    missing = sorted(set(error_codes()) - covered)
    assert not missing, f"codes without a golden case: {missing}"
    unknown = sorted(c for c in covered if c not in error_codes())
    assert not unknown, f"golden cases show codes missing from the registry table: {unknown}"


def test_every_code_the_core_raises_is_in_the_table() -> None:
    """A new FN0xx/FN2xx code in the sources must be added to the table (and so get a
    golden case, by the test above)."""
    src = ROOT / "src" / "funnelc"
    files = [*src.glob("*.py"), *(src / "checks").glob("*.py")]
    files = [f for f in files if f.name != "codes.py"]  # the definitions, not raise sites
    pattern = r'(?:"|codes\.)(FN[02](?!9)\d\d)\b'
    raised = {c for f in files for c in re.findall(pattern, f.read_text("utf-8"))}
    assert raised, "the scan found no codes: the pattern or the layout changed"
    assert raised <= set(error_codes()), sorted(raised - set(error_codes()))


def test_golden_cases_have_no_leftovers() -> None:
    """Every .err/.json belongs to a case, so a renamed case leaves no stale golden."""
    names = set(_cases())
    stale = sorted(p.name for p in ERRORS.iterdir()
                   if p.suffix in (".err", ".json") and p.stem not in names)
    assert not stale, stale
