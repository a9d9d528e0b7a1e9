"""A backslash in quoted text escapes only `"` and `\\`; any other `\\x` is an error
(FN005, as in TOML and JSON), never a character silently dropped. It used to mean `x`:
`hint "C:\\Users\\new"` was read as `C:Usersnew`, exported so, and `fmt --write`
rewrote the file so (findings h4, section 2)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = '''source "Сайт" 1/day -> "Продажи"."Заявка"
pipeline "Продажи" main {
  stage "Заявка" {
    hint "Путь: C:\\Users\\new\\файл; кавычка \\" и слэш \\\\"
    -> won
  }
}
'''


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_unknown_escape_is_an_error_with_its_place_and_the_fix(tmp_path: Path) -> None:
    """`check` names each unknown escape with file:line:col and a caret, and says how to
    keep the backslash; `\\"` and `\\\\` are fine."""
    path = tmp_path / "paths.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    code, _, err = _run("check", "--no-lint", "--color", "never", str(path))
    assert code == 1
    assert err.count("error[FN005]") == 3, err
    assert "unknown escape `\\U` in quoted text" in err
    assert f"{path}:4:19" in err
    assert "write `\\\\U` to keep the backslash" in err


def test_fmt_never_rewrites_a_text_with_an_unknown_escape(tmp_path: Path) -> None:
    """`fmt --write` leaves the file as written (it has errors) and exits 1."""
    path = tmp_path / "paths.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    code, _, err = _run("fmt", "--write", str(path))
    assert code == 1, err
    assert path.read_text(encoding="utf-8") == FUNNEL


def test_a_backslash_written_twice_is_kept_by_export_and_fmt(tmp_path: Path) -> None:
    """The fix the help gives: `\\\\` is one backslash in the model and stays `\\\\` in fmt."""
    fixed = FUNNEL.replace("\\U", "\\\\U").replace("\\n", "\\\\n").replace("\\ф", "\\\\ф")
    path = tmp_path / "paths.funnel"
    path.write_text(fixed, encoding="utf-8")
    code, out, err = _run("export", str(path), "--to", "json", "-q")
    assert code == 0, err
    assert 'C:\\\\Users\\\\new\\\\файл; кавычка \\" и слэш \\\\' in out  # JSON-escaped
    code, out, err = _run("fmt", str(path))
    assert code == 0, err
    assert 'hint "Путь: C:\\\\Users\\\\new\\\\файл; кавычка \\" и слэш \\\\"' in out
