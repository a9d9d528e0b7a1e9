"""`funnelc fmt`: golden layouts, comment placement, the CLI modes, and the safety nets
(a formatter bug must end in exit 2 with the file untouched, never in a changed file).

Golden cases: `tests/cases/fmt/<name>.funnel` (messy input) → `<name>.expected.funnel`
(canonical output). Regenerate with `FUNNELC_UPDATE_GOLDEN=1 pytest tests/test_fmt.py`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

import funnelc.fmt as fmt
from conftest import CASES
from funnelc import load_text
from funnelc.cli import cli
from funnelc.fmt import (
    FormatInternalError,
    FormatSyntaxError,
    comment_texts,
    format_model,
    format_text,
    model_equal_ignoring_spans,
    strip_spans,
)

FMT_CASES = CASES / "fmt"
UPDATE = os.environ.get("FUNNELC_UPDATE_GOLDEN") == "1"
INPUTS = sorted(p for p in FMT_CASES.glob("*.funnel") if not p.name.endswith(".expected.funnel"))


def read(path: Path) -> str:
    """Text exactly as stored: no newline translation, BOM kept."""
    return path.read_bytes().decode("utf-8")


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


# ---------------------------------------------------------------------------- golden cases
@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_golden_layout(case: Path) -> None:
    out = format_text(read(case), case.name)
    expected = case.with_name(case.stem + ".expected.funnel")
    if UPDATE:
        expected.write_bytes(out.encode("utf-8"))
    assert expected.exists(), f"no golden file; run with FUNNELC_UPDATE_GOLDEN=1 to create {expected}"
    assert out == read(expected)
    assert format_text(out, case.name) == out, "the canonical layout must be a fixed point"


def test_golden_cases_cover_every_statement_kind() -> None:
    """The golden inputs exercise the whole grammar, so a layout change shows up here."""
    text = "\n".join(read(p) for p in INPUTS)
    for word in ("account", "currency", "hours", "language", "queue", "team", "field", "enum(",
                 "multi(", "int(", "source", "value", "profile", "cost", "budget", "pipeline", "stage", "key",
                 "owner", "work", "sla", "patience", "respond", "on enter task", "on enter message",
                 "on enter assign", "requires", "hint", "colour", "color", "->", "after", "when",
                 "filled", "then copy", "stay", "cadence", "on reply", "on exhausted", "reopen",
                 "scenario", "\\\n", "\r\n", "\ufeff"):
        assert word in text, word


# ---------------------------------------------------------------------------- layout rules
def test_canonical_layout_rules() -> None:
    messy = ("team  T   size 2\t\t\n\n\n\nfield F text\nsource S 1/day -> P.A\n"
             "pipeline P { stage A { owner T\n -> B 100% }\nstage B {}\n}\nteam U size 1\n")
    out = format_text(messy)
    assert out == (
        "team T size 2\n"
        "\n"
        "field F text\n"
        "\n"
        "source S 1/day -> P.A\n"
        "\n"
        "pipeline P {\n"
        "  stage A {\n"
        "    owner T\n"
        "    -> B 100%\n"
        "  }\n"
        "\n"
        "  stage B {\n"
        "  }\n"
        "}\n"
        "\n"
        "team U size 1\n")


def test_literals_are_kept_as_written() -> None:
    out = format_text("pipeline P { stage A { work 90m\nsla 1.5h -> lost \"x\"\n"
                      "-> won 33.30% after exp(15min) } }\nsource S 12.0/day -> P.A value 1500\n")
    for literal in ("work 90m", "sla 1.5h", "33.30%", "exp(15min)", "12.0/day", "value 1500"):
        assert literal in out


def test_names_keep_the_authors_quoting_and_escape_quotes() -> None:
    out = format_text('team Менеджеры size 1\nteam "Менеджеры2" size 1\n'
                      'team "a \\"b\\" \\\\ c" size 1\n')
    assert out.splitlines() == ["team Менеджеры size 1", 'team "Менеджеры2" size 1',
                                'team "a \\"b\\" \\\\ c" size 1']


def test_name_text_quotes_what_cannot_be_bare() -> None:
    from funnelc.model import Name
    from funnelc.span import NOWHERE

    assert fmt.name_text(Name(span=NOWHERE, value="Продажи", quoted=False)) == "Продажи"
    assert fmt.name_text(Name(span=NOWHERE, value="Два слова", quoted=False)) == '"Два слова"'
    assert fmt.name_text(Name(span=NOWHERE, value="1st", quoted=False)) == '"1st"'


def test_a_text_of_only_line_continuations_formats_to_nothing() -> None:
    assert format_text("\n \\\n ") == ""


def test_line_ends_bom_and_trailing_blanks_are_normalised() -> None:
    out = format_text("\ufeffteam A size 1   \r\n\r\n\r\nteam B size 2\t\r\n\n\n")
    assert out == "team A size 1\nteam B size 2\n"


# ---------------------------------------------------------------------------- comments
def test_comments_stay_in_place() -> None:
    text = ("# head\n"
            "pipeline P {  # on the header\n"
            "  # before A\n"
            "  stage A {\n"
            "    owner T    # trailing\n"
            "    # before the brace\n"
            "  }\n"
            "}\n"
            "# tail\n")
    out = format_text(text)
    assert out == ("# head\n"
                   "pipeline P {  # on the header\n"
                   "  # before A\n"
                   "  stage A {\n"
                   "    owner T  # trailing\n"
                   "    # before the brace\n"
                   "  }\n"
                   "}\n"
                   "# tail\n")


def test_comment_after_a_one_line_block_stays_on_its_closing_line() -> None:
    out = format_text('pipeline P { stage A { stay 100% } }  # done\n')
    assert out.splitlines()[-1] == "}  # done"


def test_a_blank_line_next_to_a_comment_is_kept_once() -> None:
    out = format_text("team A size 1\n\n\n# about B\n\n\nteam B size 1\n")
    assert out == "team A size 1\n\n# about B\n\nteam B size 1\n"


def test_comment_order_and_texts_survive() -> None:
    text = read(FMT_CASES / "comments.funnel")
    loaded = load_text(text, "c", checks=False)
    again = load_text(format_text(text), "c", checks=False)
    assert [fmt._comment_text(c) for c in again.comments] == \
        [fmt._comment_text(c) for c in loaded.comments]


# ---------------------------------------------------------------------------- repeats
def test_repeated_statements_keep_both_values() -> None:
    out = format_text("account A {\ncurrency RUB\ncurrency USD\n}\n"
                      "source S 1/day -> P.A value 1h value 2h\n"
                      "pipeline P { stage A {\nwork 10m\nwork 20m\n-> won after 1h after 3h\n} }\n")
    for piece in ("currency RUB", "currency USD", "value 1h value 2h", "work 10m", "work 20m",
                  "after 1h after 3h"):
        assert piece in out


def test_requires_lines_stay_separate() -> None:
    out = format_text('pipeline P { stage A {\nrequires "a", b\nrequires c\n} }\n')
    assert 'requires "a", b\n    requires c\n' in out


# ---------------------------------------------------------------------------- API
def test_format_text_refuses_text_that_does_not_parse() -> None:
    with pytest.raises(FormatSyntaxError) as info:
        format_text("team A size\n", "bad.funnel")
    assert info.value.diagnostics and info.value.diagnostics[0].code == "FN001"
    assert "bad.funnel" in str(info.value)


def test_strip_spans_compares_meaning_not_position() -> None:
    a = load_text("team A size 1\n", checks=False).model
    b = load_text("\n\n   team   A size 01\n", checks=False).model
    c = load_text("team A size 2\n", checks=False).model
    assert a is not None and b is not None and c is not None
    assert model_equal_ignoring_spans(a, b)
    assert not model_equal_ignoring_spans(a, c)
    assert "span" not in str(strip_spans(a))


def test_format_model_renders_a_hand_built_model_without_written_order() -> None:
    """Importers build models without the written-order tuples: fmt still renders them,
    in a fixed order, to text that parses back to the same content."""
    loaded = load_text(read(FMT_CASES / "statements.funnel"), checks=False)
    assert loaded.model is not None

    def forget_order(node):
        if isinstance(node, tuple):
            return tuple(forget_order(x) for x in node)
        if not isinstance(node, BaseModel):
            return node
        update = {k: forget_order(getattr(node, k)) for k in type(node).model_fields}
        for key in ("order", "statements", "options", "flags"):
            if key in update and isinstance(update[key], tuple):
                update[key] = ()
        return node.model_copy(update=update)

    bare = forget_order(loaded.model)
    out = format_model(bare)
    again = load_text(out, checks=False)
    assert again.model is not None, again.diagnostics
    assert strip_spans(forget_order(again.model)) == strip_spans(bare)


# ---------------------------------------------------------------------------- safety nets
@pytest.mark.parametrize("patch, reason", [
    ("_dist", "means something else"),
    ("quote", "does not parse"),
    ("_weave", "comments were not preserved"),
    ("stage_repeat", "written twice"),
    ("unstable", "unstable"),
])
def test_safety_checks_catch_formatter_bugs(monkeypatch, patch: str, reason: str) -> None:
    text = ("# keep me\nsource S 1/day -> P.A value exp(2h)\n"
            "pipeline P { stage A {\nwork 1m\nwork 2m\nhint \"x\"\n} }\n")
    if patch == "_dist":
        monkeypatch.setattr(fmt, "_dist", lambda d: "1h")
    elif patch == "quote":
        monkeypatch.setattr(fmt, "quote", lambda v: '"' + v)
    elif patch == "_weave":
        real = fmt._weave
        monkeypatch.setattr(fmt, "_weave", lambda lines, comments, src: real(lines, [], src))
    elif patch == "stage_repeat":
        monkeypatch.setattr(fmt._Layout, "stage_repeat", lambda self, kind, span: "work 1m")
    else:
        real_model = fmt.format_model
        calls = iter(range(100))
        # The first rendering is fine; every later one (the stability pass) differs.
        monkeypatch.setattr(fmt, "format_model",
                            lambda *a: real_model(*a) + ("" if next(calls) == 0 else "\n"))
    with pytest.raises(FormatInternalError, match=reason):
        format_text(text, "x.funnel")


def test_cli_internal_failure_exits_2_and_writes_nothing(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    original = "team  A size 1\n"
    path.write_text(original, encoding="utf-8")
    monkeypatch.setattr(fmt, "_team", lambda t: "team A size 99")
    result = run("fmt", "--write", str(path))
    assert result.exit_code == 2
    assert "internal failure" in result.stderr and "nothing was written" in result.stderr
    assert path.read_text(encoding="utf-8") == original


# ---------------------------------------------------------------------------- CLI
MESSY = "team   A size 1 # c\npipeline P { stage S { stay 100% } }\n"
CANON = "team A size 1  # c\n\npipeline P {\n  stage S {\n    stay 100%\n  }\n}\n"


def test_cli_prints_one_file(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(MESSY, encoding="utf-8")
    result = run("fmt", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == CANON
    assert path.read_text(encoding="utf-8") == MESSY


def test_cli_stdin_to_stdout() -> None:
    result = run("fmt", "-", input=MESSY)
    assert result.exit_code == 0
    assert result.stdout == CANON


def test_cli_check_lists_files_that_would_change(tmp_path: Path) -> None:
    messy, done = tmp_path / "messy.funnel", tmp_path / "done.funnel"
    messy.write_text(MESSY, encoding="utf-8")
    done.write_text(CANON, encoding="utf-8")
    result = run("fmt", "--check", str(messy), str(done))
    assert result.exit_code == 1
    assert f"would reformat {messy}" in result.stderr
    assert str(done) not in result.stderr.replace(f"would reformat {messy}", "")
    assert "1 file would be reformatted, 1 file already formatted" in result.stderr
    assert messy.read_text(encoding="utf-8") == MESSY
    assert run("fmt", "--check", str(done)).exit_code == 0


def test_cli_check_sees_a_bom_as_a_change(tmp_path: Path) -> None:
    path = tmp_path / "bom.funnel"
    path.write_bytes(b"\xef\xbb\xbf" + CANON.encode())
    assert run("fmt", "--check", str(path)).exit_code == 1
    assert run("fmt", "--write", str(path)).exit_code == 0
    assert path.read_bytes() == CANON.encode()


def test_cli_diff(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(MESSY, encoding="utf-8")
    result = run("fmt", "--diff", str(path))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"--- {path}\n+++ {path} (formatted)\n")
    assert "\n-team   A size 1 # c\n" in result.stdout
    assert "\n+team A size 1  # c\n" in result.stdout
    assert path.read_text(encoding="utf-8") == MESSY
    path.write_text(CANON, encoding="utf-8")
    clean = run("fmt", "--diff", str(path))
    assert clean.exit_code == 0 and clean.stdout == ""


def test_cli_diff_marks_a_missing_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text("team A size 1", encoding="utf-8")
    result = run("fmt", "--diff", str(path))
    assert "-team A size 1\n\\ No newline at end of file\n+team A size 1\n" in result.stdout


def test_cli_write_rewrites_only_changed_files(tmp_path: Path) -> None:
    messy, done = tmp_path / "messy.funnel", tmp_path / "done.funnel"
    messy.write_text(MESSY, encoding="utf-8")
    done.write_text(CANON, encoding="utf-8")
    os.utime(done, (1_000_000, 1_000_000))
    result = run("fmt", "--write", str(messy), str(done))
    assert result.exit_code == 0, result.output
    assert messy.read_text(encoding="utf-8") == CANON
    assert done.stat().st_mtime == 1_000_000, "an unchanged file must not be rewritten"
    assert f"reformatted {messy}" in result.stderr
    assert "1 file reformatted, 1 file already formatted" in result.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".funnelc-")]


def test_cli_write_failure_is_reported_not_a_traceback(monkeypatch, tmp_path: Path) -> None:
    import funnelc.commands.common as common

    def refuse(path: str, data: str | bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(common, "write_atomic", refuse)
    path = tmp_path / "a.funnel"
    path.write_text(MESSY, encoding="utf-8")
    result = run("fmt", "--write", str(path))
    assert result.exit_code == 2
    assert f"error: cannot write {path}: Permission denied" in result.stderr
    assert path.read_text(encoding="utf-8") == MESSY


def test_cli_syntax_errors_are_reported_and_the_file_is_left_alone(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad.funnel", tmp_path / "good.funnel"
    bad.write_text("team A size\n", encoding="utf-8")
    good.write_text(MESSY, encoding="utf-8")
    result = run("fmt", "--write", str(bad), str(good))
    assert result.exit_code == 1
    assert "error[FN001]" in result.stderr and f"{bad}:1:12" in result.stderr
    assert bad.read_text(encoding="utf-8") == "team A size\n"
    assert good.read_text(encoding="utf-8") == CANON, "other files are still formatted"


@pytest.mark.parametrize("args, message", [
    (["--write", "-"], "--write cannot rewrite stdin"),
    (["--check", "--diff", "x.funnel"], "--check and --diff cannot be combined"),
    (["a.funnel", "b.funnel"], "several files need --write, --check or --diff"),
    ([], "Missing argument"),
])
def test_cli_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run("fmt", *args, input="")
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("fmt", "--check", str(tmp_path / "nope.funnel"))
    assert result.exit_code == 2
    assert "FN013" in result.stderr


def test_cli_binary_input_is_a_problem_not_a_crash() -> None:
    result = run("fmt", "-", input=b"\x00\x01\x02")
    assert result.exit_code == 1
    assert "FN011" in result.stderr


def test_fmt_does_not_import_the_heavy_libraries(tmp_path: Path) -> None:
    path = tmp_path / "a.funnel"
    path.write_text(MESSY, encoding="utf-8")
    code = ("import sys\nfrom funnelc.cli import main\n"
            "try:\n    main(['fmt', '--check', sys.argv[1]])\nexcept SystemExit as e:\n"
            "    code = e.code\n"
            "heavy = [m for m in ('numpy', 'simpy', 'matplotlib', 'scipy') if m in sys.modules]\n"
            "print(code, heavy)\n")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1 []"


def test_comment_texts_is_a_sorted_multiset() -> None:
    loaded = load_text("# b  \n# a\nteam A size 1 # b\n", checks=False)
    assert comment_texts(loaded.comments) == ["# a", "# b", "# b"]


def test_viber_round_trips_as_a_channel_of_its_own() -> None:
    """`viber` as a cadence touch and as an on-enter message parses to `Channel.viber` and
    formats back as `viber` (it was a syntax error blaming the braces); the grammar, the
    model and the parser's list of channels name the same channels."""
    from funnelc.model import Channel
    from funnelc.syntax import CHANNELS, _terminal_pattern

    text = ('pipeline "Продаж" main {\n  stage "Нова заявка" {\n'
            '    on enter message viber "Дякуємо за заявку"\n    cadence {\n'
            '      call now 50%\n      viber 30m 20% work 1m\n'
            '      on reply -> won\n      on exhausted -> lost "Не відповів"\n    }\n  }\n}\n')
    loaded = load_text(text, "v.funnel", checks=False)
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    assert loaded.model is not None
    stage = loaded.model.pipelines[0].stages[0]
    assert stage.on_enter[0].channel is Channel.viber  # type: ignore[union-attr]
    assert stage.cadence is not None and stage.cadence.touches[1].channel is Channel.viber
    out = format_text(text, "v.funnel")
    assert out == text
    assert format_text(out, "v.funnel") == out
    found = _terminal_pattern("CHANNEL")
    assert found is not None
    assert set(found[1].strip("(?:)").split("|")) == set(CHANNELS) == {c.value for c in Channel}
