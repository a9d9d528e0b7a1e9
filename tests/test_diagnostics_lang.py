"""Diagnostics and `--help` in the language of `--lang` (issue 16): English unless
`--lang` is given; then the text report of `check` and `fmt` (messages, labels, notes,
helps, the layout's words, the summary) and their `--help` speak Russian or Ukrainian,
while JSON and SARIF stay English data. The catalog must hold a template for every text
the golden cases produce, and a translated report must have no English left besides
names, codes and quoted source."""

from __future__ import annotations

import functools
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from conftest import CASES, ROOT
from funnelc.cli import COMMANDS, cli
from funnelc.diagnostics import Diagnostic, Severity
from funnelc.i18n import translator
from funnelc.i18n.diagnostics import NUMBERS, Localizer, compile_template
from funnelc.i18n.help_texts import HELP_TEXTS

ERRORS = CASES / "errors"
GOLDEN = sorted(ERRORS.glob("*.json"))
LANGS = ("ru", "uk")


def _texts(d: dict[str, object]) -> list[str]:
    """Every human text of one diagnostic of a golden JSON file."""
    out = [d["message"], d["label"], d["help"] or "", *d["notes"]]  # type: ignore[list-item]
    out += [s["message"] for s in d["secondary"]]  # type: ignore[attr-defined, union-attr]
    return [t for t in out if t]  # type: ignore[misc]


def _golden_texts() -> list[str]:
    found: dict[str, None] = {}
    for path in GOLDEN:
        for d in json.loads(path.read_text(encoding="utf-8"))["diagnostics"]:
            found.update(dict.fromkeys(_texts(d)))
    return list(found)


_SOURCE_BITS = re.compile(r"`[^`]*`|\"[^\"]*\"|«[^»]*»|U\+[0-9A-F]{4,6}(?: [A-Z][A-Z0-9-]*)*"
                          r"|\bFN\d{3}\b|\S+\.funnel\S*|README\.md|\b0x[0-9a-f]+\b")
"""What a translated text may keep in English: names and source in backticks or
quotes, Unicode names, codes, paths."""

_ALLOWED = {
    # the funnel language's own words, written as source in notes (`won 30% + stay 10%`)
    "won", "lost", "stay", "size", "lint",
    # pipeline purposes, as the source writes them (`pipeline "Обзвон" telemarketing`)
    "sales", "telemarketing", "qualification", "nurture", "production",
    # names of formats, encodings, units and tools
    "UTF", "ASCII", "cp1251", "CRM", "SLA", "stdin", "funnel", "low", "mode", "high",
    "day", "hour", "month", "iconv", "Windows",
    # the CRMs' own names (FN119 says whose limit a name is over)
    "Salesforce", "amoCRM", "Bitrix",
}


def _english_left(text: str) -> list[str]:
    rest = _SOURCE_BITS.sub(" ", text)
    return [w for w in re.findall(r"[A-Za-z]{3,}", rest) if w not in _ALLOWED]


@functools.cache
def _lint_texts() -> tuple[str, ...]:
    """Every text the lint rules produce on their case files (tests/cases/lint): with
    the case's rules and options, and with all rules on."""
    from funnelc.api import load_text
    from funnelc.diagnostics import diagnostics_to_dicts
    from funnelc.lint.config import LintConfig, config_from_table
    from funnelc.lint.runner import lint
    from test_lint_rules import ALL_CASES

    found: dict[str, None] = {}
    for case in ALL_CASES:
        loaded = load_text(case.text, f"{case.file.stem}.funnel")
        table: dict[str, object] = {"select": case.select}
        if case.options:
            table[case.file.stem] = case.options
        diags = [*lint(loaded, config_from_table(table, "case", None)),
                 *lint(loaded, LintConfig())]
        for d in diagnostics_to_dicts(diags):
            found.update(dict.fromkeys(_texts(d)))
    return tuple(found)


@pytest.mark.parametrize("lang", LANGS)
def test_every_lint_text_is_translated(lang: str) -> None:
    """The lint findings of every rule's cases, in the language with no English left."""
    loc = Localizer(translator(lang))
    texts = _lint_texts()
    assert len(texts) > 300, "the lint cases were not read"
    leftovers = {t: _english_left(loc.text(t)) for t in texts}
    assert not {t: w for t, w in leftovers.items() if w}


def test_every_golden_text_has_a_template() -> None:
    """The catalog is complete for the compiler's diagnostics: each message, label, note
    and help of every golden error case is made by a template (a new message without one
    would be printed in English under `--lang ru`)."""
    loc = Localizer(translator("ru"))
    texts = _golden_texts()
    assert len(texts) > 200, "the golden cases were not read"
    missing = [t for t in texts if loc.template_of(t) is None
               and _english_left(t)]  # a text of names and source only needs none
    assert not missing, missing


@pytest.mark.parametrize("lang", LANGS)
def test_translated_golden_texts_have_no_english_left(lang: str) -> None:
    loc = Localizer(translator(lang))
    leftovers = {t: _english_left(loc.text(t)) for t in _golden_texts()}
    assert not {t: w for t, w in leftovers.items() if w}


def test_templates_are_unambiguous_where_it_matters() -> None:
    """A template's placeholders all appear in each translation, and the regex of a
    template matches the template's own text (placeholders standing for themselves)."""
    for lang in LANGS:
        loc = Localizer(translator(lang))
        templates = loc.templates()
        assert len(templates) > 400
        for template in templates:
            # numbers' placeholders match digits: stand a 7 in for each
            text = re.sub(r"\{(" + "|".join(NUMBERS) + r")\}", "7", template)
            assert compile_template(template).fullmatch(text), template
            assert loc.template_of(text) is not None, template


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_lang_ru_exact_report() -> None:
    """The regression case of the issue: a mistyped keyword, in Russian, exactly."""
    code, out, err = _run(["check", "--no-lint", "--color", "never", "--lang", "ru",
                           "tests/cases/errors/keyword_typo.funnel"])
    assert code == 1 and out == ""
    assert err == (
        "ошибка[FN001]: неизвестная инструкция `ownr`; может быть, `owner`?\n"
        " --> tests/cases/errors/keyword_typo.funnel:9:5\n"
        "  |\n"
        '9 |     ownr "Менеджеры"\n'
        "  |     ^^^^ ожидается одно из: `->`, `alias`, `cadence`, `color`, `hint`, `on`, "
        "`owner`, `patience`, …\n"
        "  |\n"
        "  = подсказка: замените `ownr` на `owner`\n"
        "1 ошибка\n")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", ["dist_values", "duplicate_names", "shares_not_100", "unknown_stage"])
def test_check_report_layout_in_language(lang: str, case: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Same places, carets and codes as the English report; the words translated."""
    path = ERRORS / f"{case}.funnel"
    monkeypatch.chdir(ROOT)
    rel = path.relative_to(ROOT).as_posix()
    _, _, english = _run(["check", "--no-lint", "--color", "never", rel])
    code, _, local = _run(["check", "--no-lint", "--color", "never", "--lang", lang, rel])
    assert code == 1
    e_lines, l_lines = english.splitlines(), local.splitlines()
    assert len(e_lines) == len(l_lines)
    for e, loc_line in zip(e_lines, l_lines):
        if "-->" in e or re.match(r"^\s*\d+ \|", e):
            assert e == loc_line, "places and source lines are not translated"
    assert "error[" not in local and "help:" not in local
    assert re.search(r"\d+ (ошиб|помил)", l_lines[-1])


def test_summary_plural_forms() -> None:
    loc = Localizer(translator("ru"))
    assert loc.summary({"error": 1, "warning": 3, "note": 5}) == \
        "1 ошибка, 3 предупреждения, 5 примечаний"
    assert Localizer(translator("uk")).summary({"error": 2}) == "2 помилки"


def test_clean_check_note_in_language() -> None:
    code, _, err = _run(["check", "--no-lint", "--lang", "uk", "tests/cases/cli/clean.funnel"])
    assert code == 0 and err == "перевірено 1 файл, проблем немає\n"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_data_formats_stay_english(fmt: str) -> None:
    rel = "tests/cases/errors/keyword_typo.funnel"
    _, plain, _ = _run(["check", "--format", fmt, rel])
    _, ru, _ = _run(["check", "--format", fmt, "--lang", "ru", rel])
    assert plain == ru and "unknown statement" in ru


def test_lang_en_is_the_default_report() -> None:
    rel = "tests/cases/errors/dist_values.funnel"
    assert _run(["check", rel]) == _run(["check", "--lang", "en", rel])


def test_fmt_prints_syntax_errors_in_language() -> None:
    code, _, err = _run(["fmt", "--lang", "ru", "tests/cases/errors/keyword_typo.funnel"])
    assert code == 1
    assert "ошибка[FN001]: неизвестная инструкция `ownr`" in err and err.endswith("1 ошибка\n")


def test_without_lang_check_loads_no_translation() -> None:
    """The check path pays nothing for the feature: no catalog, no Babel."""
    probe = ("import sys\nfrom funnelc.cli import main\n"
             "try:\n    main(['check', '--no-lint', 'tests/cases/errors/dist_values.funnel'])\n"
             "except SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('funnelc.i18n', 'babel'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("order", ["before", "after"])
def test_help_in_language(lang: str, order: str) -> None:
    args = ["--lang", lang, "--help"] if order == "before" else ["--help", "--lang", lang]
    code, out, _ = _run(["check", *args])
    assert code == 0
    assert out.startswith(("Использование: ", "Використання: ")) and " check [OPTIONS]" in out
    assert "Show this message" not in out and "[default:" not in out
    assert "--no-lint" in out and "--format [text|json|sarif]" in out


def test_help_without_lang_is_english() -> None:
    _, out, _ = _run(["check", "--help"])
    assert out.startswith("Usage: ") and "Report only syntax" in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_help_text_is_in_the_catalog(name: str) -> None:
    """Every command's description and option helps have a translation: changing one
    without its translation fails here, not silently (add the new text to
    funnelc/i18n/help_texts.py, run `python -m funnelc.i18n extract`, translate it)."""
    root = click.Context(cli, **cli.context_settings)
    command = cli.get_command(root, name)
    assert command is not None
    # Under the group, as a run sees it: click caches a command's help option with the
    # context's help option names, and a bare Context would cache `--help` without `-h`
    # for every later test (docs_gen's pages then lose `-h`).
    ctx = click.Context(command, parent=root)
    texts = [inspect.cleandoc(command.help or "").partition("\f")[0]]
    texts += [p.help for p in command.get_params(ctx)
              if isinstance(p, click.Option) and not p.hidden and p.help]
    missing = [t for t in texts if t not in HELP_TEXTS]
    assert not missing, missing
    for lang in LANGS:
        tr = translator(lang)
        # a list of names (`amocrm, bitrix24, …`) reads the same in every language
        same = [t for t in texts if tr.pgettext("help", t) == t and " " in t.replace(", ", "")]
        assert not same, (lang, same)


def test_diagnostic_objects_are_not_changed() -> None:
    """Translation makes new diagnostics; the findings (and their JSON) stay English."""
    d = Diagnostic("FN201", Severity.error,
                   "unknown stage `X`", "a.funnel", None, help="did you mean `Y`?")
    t = Localizer(translator("ru")).diagnostic(d)
    assert d.message == "unknown stage `X`" and t.message == "неизвестный этап `X`"
    assert t.help == "может быть, `Y`?"


@pytest.mark.parametrize("command", ["simulate", "export", "history"])
def test_every_command_help_speaks_lang(command: str) -> None:
    """Through the `funnelc` group every command's `--help` takes `--lang` (before or
    after `--help`): click's headings and the shared options at least."""
    for args in (["--lang", "ru", "--help"], ["--help", "--lang", "ru"]):
        code, out, _ = _run([command, *args])
        assert code == 0
        assert out.startswith("Использование: ") and "Параметры:" in out
        assert "Показать эту справку и выйти." in out
        assert "Выводить только результат," in out
    _, english, _ = _run([command, "--help"])
    assert english.startswith("Usage: ") and "Show this message and exit." in english


@pytest.mark.parametrize("command", [["simulate"], ["export", "--to", "json"], ["whatif"]])
def test_other_commands_print_the_input_errors_in_lang(command: list[str],
                                                      tmp_path: Path) -> None:
    """A command that refuses a funnel with errors prints them in its `--lang` too (the
    same renderer); without it, in English."""
    bad = tmp_path / "bad.funnel"
    bad.write_text('pipeline "P" {\n  stage "S" { -> nowhere }\n}\n', encoding="utf-8")
    code, _, err = _run([*command, "--lang", "uk", str(bad)])
    assert code == 1
    assert "помилка[FN201]: невідомий етап `nowhere`" in err and "3 помилки" in err
    _, _, english = _run([*command, str(bad)])
    assert "error[FN201]: unknown stage `nowhere`" in english


def test_source_in_backticks_is_never_translated() -> None:
    """A value the template shows in backticks is source: `stage "P"."S" owner "Team"`
    keeps its keyword even though `stage {n}` (FN121's label) is a template, and a
    number's placeholder takes digits only."""
    loc = Localizer(translator("ru"))
    help_ = ('give it a size of 1 or more; to do without the team, give its stages another '
             'owner: `stage "P"."S" owner "Team"`')
    assert loc.text(help_).endswith('`stage "P"."S" owner "Team"`')
    assert loc.text("stage 4") == "этап 4"
    assert loc.template_of("stage four") is None
