"""The semantic checks (FN2xx) through the public API: what each one catches, what it
must let through, where it points, and that one mistake is reported once (a misspelt
stage is an unknown stage, not also an unreachable one and a pipeline without `won`)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CASES, PIPELINES, ROOT
from funnelc import load_text
from funnelc.checks import CHECKS, run_checks
from funnelc.checks.registry import error_codes
from funnelc.diagnostics import Diagnostic

BASE = '''\
team "Менеджеры" size 2
field "Бюджет" money
source "Сайт" 10/day -> "Продажи"."Заявка"
pipeline "Продажи" main sales {
  stage "Заявка" {
    owner "Менеджеры"
    work 10m
    -> "Замер" 60%
    -> lost "Отказ" 40%
  }
  stage "Замер" {
    -> won 30%
    -> lost "Дорого" 70%
  }
}
'''


def diags(text: str) -> list[Diagnostic]:
    loaded = load_text(text, "t.funnel")
    assert loaded.model is not None, [d.message for d in loaded.diagnostics]
    return [d for d in loaded.diagnostics if d.code.startswith("FN2")]


def codes(text: str) -> list[str]:
    return [d.code for d in diags(text)]


def under(text: str, d: Diagnostic) -> str:
    """The source text the primary caret underlines."""
    assert d.span is not None
    return text[d.span.start:d.span.end]


def edit(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ------------------------------------------------------------------ clean input passes
def test_base_is_clean() -> None:
    assert diags(BASE) == []


def test_clean_golden_case_and_shipped_pipelines_have_no_errors() -> None:
    files = [CASES / "errors" / "clean.funnel", *sorted(PIPELINES.glob("*.funnel"))]
    for path in files:
        found = diags(path.read_text(encoding="utf-8"))
        assert found == [], (path.name, [(d.code, d.message) for d in found])


def test_every_check_module_is_registered() -> None:
    import funnelc.checks as pkg

    defined = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        module = importlib.import_module(f"funnelc.checks.{info.name}")
        defined |= {obj for name, obj in vars(module).items()
                    if name.startswith("check_") and callable(obj)
                    and obj.__module__ == module.__name__}
    assert defined == set(CHECKS)


def test_checks_are_pure_and_sorted() -> None:
    text = edit('-> won 30%', '-> won 20%', edit('owner "Менеджеры"', 'owner "Менеджер"'))
    model = load_text(text, "t.funnel").model
    assert model is not None
    first, second = run_checks(model), run_checks(model)
    assert first == second
    assert [d.sort_key() for d in first] == sorted(d.sort_key() for d in first)


# ------------------------------------------------------------------ unknown names
def test_unknown_stage_points_at_the_name_and_suggests() -> None:
    text = edit('-> "Замер" 60%', '-> "Замр" 60%')
    (d,) = diags(text)  # not also "Замер is never reached"
    assert d.code == "FN201" and under(text, d) == '"Замр"'
    assert d.help == "did you mean `Замер`?"
    assert "`Продажи`" in d.label


def test_stage_suggestions_come_from_the_pipeline_the_reference_is_read_in() -> None:
    text = BASE + 'pipeline "Сервис" { stage "Замеры" { -> won } }\n'
    text = edit('-> lost "Дорого" 70%', '-> lost "Дорого" 70% then copy "Сервис"."Замер"', text)
    (d,) = diags(text)
    assert d.code == "FN201" and d.help == "did you mean `Замеры`?"


def test_unknown_pipeline_and_team_and_field_and_source() -> None:
    text = edit('-> lost "Дорого" 70%', '-> lost "Дорого" 70% then copy "Прдажи"."Заявка"')
    assert [(d.code, d.help) for d in diags(text)] == [("FN202", "did you mean `Продажи`?")]
    assert codes(edit('owner "Менеджеры"', 'owner "Менеджер"')) == ["FN204"]
    text = edit('work 10m', 'work 10m\n    requires "Бюджт"\n    on enter assign "Юристы"')
    assert codes(text) == ["FN205", "FN204"]
    text = BASE + 'scenario "S" {\n  source "Сйт" 20/day\n  team "Менеджер" size 3\n}\n'
    assert codes(text) == ["FN206", "FN204"]


def test_when_conditions_name_fields() -> None:
    text = edit('-> won 30%', '-> won 30% when "Бюджт" >= 1M and "Бюджет" filled')
    (d,) = diags(text)
    assert d.code == "FN205" and under(text, d) == '"Бюджт"'


def test_bare_stage_outside_pipelines_reads_in_main_or_needs_the_pipeline() -> None:
    text = edit('-> "Продажи"."Заявка"', '-> "Заявка"')
    assert diags(text) == []  # read in the main pipeline
    text = edit(' main sales', ' sales', text) + 'pipeline "Сервис" { stage "Запрос" { -> won } }\n'
    found = diags(text)
    assert [d.code for d in found].count("FN203") == 1
    fn203 = next(d for d in found if d.code == "FN203")
    assert fn203.help == 'write `"Продажи"."Заявка"`'
    assert "FN215" not in [d.code for d in found if "Заявка" in d.message]


def test_scenario_references() -> None:
    text = BASE + ('scenario "S" {\n  stage "Продажи"."Замр" work 5m\n'
                   '  stage "Продажи"."Заявка" owner "Менеджры"\n}\n')
    found = diags(text)
    assert [(d.code, d.help) for d in found] == [
        ("FN201", "did you mean `Замер`?"), ("FN204", "did you mean `Менеджеры`?")]


# ------------------------------------------------------------------ duplicates
def test_duplicate_definitions_point_back_at_the_first() -> None:
    text = edit('field "Бюджет" money', 'field "Бюджет" money\nfield "бюджет" number')
    (d,) = diags(text)
    assert d.code == "FN207" and under(text, d) == '"бюджет"'
    assert d.secondary[0].message == "first defined here"
    assert under(text, Diagnostic("", d.severity, "", "", d.secondary[0].span)) == '"Бюджет"'
    assert "case or spaces" in d.notes[0]


def test_repeated_statements_and_outcomes() -> None:
    assert codes(edit('work 10m', 'work 10m\n    work 20m')) == ["FN208"]
    assert codes(edit('-> won 30%', '-> won 30% after 1d after 2d')) == ["FN208"]
    text = edit('-> won 30%', '-> won 20%\n    -> won 10%')
    (d,) = diags(text)
    assert d.code == "FN209" and "`-> won 30%`" in (d.help or "")
    assert codes('account "A" { language ru\n language en }\n' + BASE) == ["FN208"]
    assert codes(edit(' main sales', ' main process conversion')) == ["FN208"]
    assert codes(edit(' main sales', ' main main')) == ["FN208"]


def test_one_account_and_one_main() -> None:
    assert codes('account "A" { currency RUB }\naccount "B" { currency RUB }\n' + BASE) == [
        "FN210"]
    text = edit('-> won 30%', '-> won 30% then copy "Сервис"."Запрос"') + \
        'pipeline "Сервис" main { stage "Запрос" { -> won } }\n'
    assert codes(text) == ["FN211"]


# ------------------------------------------------------------------ shares
@pytest.mark.parametrize("shares", [
    ("33.3%", "33.3%", "33.4%"),
    ("33.333333333333%", "33.333333333333%", "33.333333333334%"),
    ("0.5%", "99.5%", None),
])
def test_shares_that_close_pass(shares: tuple[str, str, str | None]) -> None:
    a, b, c = shares
    body = f'-> won {a}\n    -> lost "Дорого" {b}' + (f'\n    stay {c}' if c else "")
    assert diags(edit('-> won 30%\n    -> lost "Дорого" 70%', body)) == []


@pytest.mark.parametrize("body,total", [
    ('-> won 30%\n    -> lost "Дорого" 60%', "90%"),
    ('-> won 30%\n    -> lost "Дорого" 60%\n    stay 10.0001%', "100.0001%"),
    ('-> won 30%\n    stay 80%', "110%"),
])
def test_shares_that_do_not_close(body: str, total: str) -> None:
    text = edit('-> won 30%\n    -> lost "Дорого" 70%', body)
    (d,) = diags(text)
    assert d.code == "FN212" and total in d.message and under(text, d) == '"Замер"'
    assert len(d.secondary) == body.count("%")  # every share is shown
    assert d.notes[0].endswith(f"= {total}")


def test_missing_share_and_lone_outcome() -> None:
    assert diags(edit('-> won 30%\n    -> lost "Дорого" 70%', '-> won')) == []
    text = edit('-> lost "Дорого" 70%', '-> lost "Дорого"')
    (d,) = diags(text)
    assert d.code == "FN213" and '`-> lost "Дорого" 70%`' in (d.help or "")
    text = edit('-> won 30%\n    -> lost "Дорого" 70%', '-> won\n    stay 50%')
    assert codes(text) == ["FN213"]


def test_terminal_stage_has_no_shares_to_check() -> None:
    text = edit('-> won 30%\n    -> lost "Дорого" 70%', 'hint "парковка"')
    assert "FN212" not in codes(text) and "FN213" not in codes(text)


# ------------------------------------------------------------------ graph
def test_direct_move_into_another_pipeline_is_one_error_with_a_rewrite() -> None:
    text = edit('-> won 30%', '-> "Производство"."Заказ" 30%') + \
        'pipeline "Производство" { stage "Заказ" { -> won } }\n'
    (d,) = diags(text)
    assert d.code == "FN214" and under(text, d) == '"Производство"."Заказ"'
    assert d.help is not None and '`-> won 30% then copy "Производство"."Заказ"`' in d.help
    fixed = edit('-> "Производство"."Заказ" 30%', '-> won 30% then copy "Производство"."Заказ"',
                 text)
    assert diags(fixed) == []


@pytest.mark.parametrize("line", [
    'sla 3d -> "Производство"."Заказ"',
    'reopen "Дорого" 10% -> "Производство"."Заказ"',
])
def test_sla_and_reopen_cannot_leave_the_pipeline_either(line: str) -> None:
    text = BASE + 'pipeline "Производство" { stage "Заказ" { -> won } }\n'
    if line.startswith("sla"):
        text = edit('work 10m', f'work 10m\n    {line}', text)
        text = edit('-> lost "Отказ" 40%', '-> lost "Отказ" 30%\n    stay 10%', text)
    else:
        text = edit('  stage "Замер" {', f'  {line}\n  stage "Замер" {{', text)
    assert "FN214" in codes(text)


def test_unreachable_stage_and_first_stage_is_not_an_entry() -> None:
    text = edit('source "Сайт" 10/day -> "Продажи"."Заявка"\n', '')
    (d,) = diags(text)
    assert d.code == "FN215" and under(text, d) == '"Заявка"'
    assert d.notes and "first stage" in d.notes[0]
    # a self-loop does not make a stage reachable
    text = edit('  stage "Замер" {', '  stage "Остаток" { sla 1d -> "Остаток"\n  }\n'
                '  stage "Замер" {')
    assert codes(text) == ["FN215"]


def test_reached_only_by_copy_or_scenario_sla() -> None:
    text = BASE + 'pipeline "Сервис" { stage "Запрос" { -> won } }\n'
    assert codes(text) == ["FN215"]
    assert codes(edit('-> won 30%', '-> won 30% then copy "Сервис"."Запрос"', text)) == []


def test_no_way_to_won_follows_paths_and_nurture_needs_one_too() -> None:
    text = edit('-> won 30%', '-> lost "Думает" 30%')
    (d,) = diags(text)
    assert d.code == "FN216" and under(text, d) == '"Продажи"'
    assert "`Думает`" in d.notes[0]
    nurture = edit('-> won 30%', '-> won 20%\n    -> lost "Думает" 10% then copy "Прогрев"."Рассылка"') \
        + 'pipeline "Прогрев" nurture {\n  stage "Рассылка" { stay 100% }\n}\n'
    found = diags(nurture)
    assert [x.code for x in found] == ["FN216"] and "nurture" in found[0].notes[1]
    # won through a later stage and a cadence counts
    cad = ('pipeline "Прогрев" nurture {\n  stage "Рассылка" {\n    cadence {\n'
           '      email now 5%\n      on reply -> "Готов"\n      on exhausted -> lost "Нет"\n'
           '    }\n  }\n  stage "Готов" { -> won then copy "Продажи"."Заявка" }\n}\n')
    nurture2 = edit('-> won 30%', '-> won 20%\n    -> lost "Думает" 10% then copy "Прогрев"."Рассылка"') + cad
    assert diags(nurture2) == []


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize("old,new,code", [
    ('size 2', 'size 0', "FN217"),
    ('10/day', '0/day', "FN217"),
    ('work 10m', 'work 10m\n    respond 0s', "FN217"),
    ('work 10m', 'work 10m\n    on enter task "x" due 0m', "FN217"),
    ('-> won 30%\n    -> lost "Дорого" 70%', '-> won 0%\n    -> lost "Дорого" 100%', "FN218"),
    ('-> won 30%\n    -> lost "Дорого" 70%', '-> won 130%', "FN218"),
    ('field "Бюджет" money', 'field "Бюджет" money\nfield "О" int(5..3)', "FN219"),
    ('field "Бюджет" money', 'field "Бюджет" money\nfield "Т" enum("a", "A")', "FN220"),
    ('field "Бюджет" money', 'field "Бюджет" money\nfield "Т" multi(" ")', "FN220"),
    ('work 10m', 'work gamma(10m)', "FN221"),
    ('work 10m', 'work fixed(1m, 2m)', "FN221"),
    ('work 10m', 'work uniform(2h, 1h)', "FN222"),
    ('work 10m', 'work triangular(1h, 3h, 2h)', "FN222"),
    ('work 10m', 'work gamma(1h, 0m)', "FN222"),
    ('work 10m', 'work lognormal(0m, 1m)', "FN222"),
    ('work 10m', 'work exp(0h)', "FN222"),
    ('work 10m', 'work 10', "FN223"),
    ('-> won 30%', '-> won 30% after exp(2M)', "FN223"),
    ('-> "Продажи"."Заявка"', '-> "Продажи"."Заявка" value exp(1d)', "FN223"),
    ('size 2', 'size 2 hours mon-fri 09:00-09:00', "FN224"),
    ('size 2', 'size 2 hours mon-fri 09:60-18:00', "FN224"),
    ('size 2', 'size 2 hours mon-fri 09:00-24:01', "FN224"),
    ('work 10m', 'work 10m\n    color "#FFEEB2"', "none"),
    ('work 10m', 'work 10m\n    color "#ffeb2"', "FN225"),
    ('-> "Продажи"."Заявка"', '-> "Продажи"."Заявка" profile jan 0%, jan 50%', "FN230"),
])
def test_ranges(old: str, new: str, code: str) -> None:
    found = codes(edit(old, new))
    assert found == ([] if code == "none" else [code])


def test_round_the_clock_and_24_00_are_valid_hours() -> None:
    text = 'account "A" { hours mon-sun 00:00-24:00 }\n' + BASE
    assert diags(text) == []


def test_hours_caret_sits_under_the_clock() -> None:
    text = edit('size 2', 'size 2 hours mon-fri 18:00-09:00')
    (d,) = diags(text)
    assert under(text, d) == "18:00-09:00"


def test_scenario_zero_rate_is_a_fair_question_but_zero_team_is_not() -> None:
    assert diags(BASE + 'scenario "S" { source "Сайт" 0/day }\n') == []
    assert codes(BASE + 'scenario "S" { team "Менеджеры" size 0 }\n') == ["FN217"]


# ------------------------------------------------------------------ cadences
CAD = '''  stage "Дозвон" {
    cadence {
      call now 30%
      whatsapp 1h 20%
      on reply -> "Замер"
      on exhausted -> lost "Не дозвонились"
    }
  }
'''


def with_cadence(cadence: str = CAD) -> str:
    text = edit('-> "Замер" 60%', '-> "Дозвон" 60%')
    return edit('  stage "Замер" {', cadence + '  stage "Замер" {', text)


def test_cadence_clean() -> None:
    assert diags(with_cadence()) == []


@pytest.mark.parametrize("old,new,code", [
    ('    }\n  }\n', '    }\n    -> won 10%\n  }\n', "FN226"),
    ('    }\n  }\n', '    }\n    stay 10%\n  }\n', "FN226"),
    ('      call now 30%\n      whatsapp 1h 20%\n', '', "FN227"),
    ('whatsapp 1h 20%', 'whatsapp 1h 20%\n      call 30m 5%', "FN228"),
    ('      on exhausted -> lost "Не дозвонились"\n', '', "FN229"),
    ('whatsapp 1h 20%', 'whatsapp 1h 0%', "FN218"),
    ('call now 30%', 'call now 30% work 10', "FN223"),
])
def test_cadence_errors(old: str, new: str, code: str) -> None:
    assert codes(with_cadence(edit(old, new, CAD))) == [code]


def test_missing_reply_route_reports_what_it_cuts_off() -> None:
    """Without `on reply` the stage behind it is truly unreachable and nothing wins:
    those are real consequences, and the FN229 help says how to fix all three."""
    found = codes(with_cadence(edit('      on reply -> "Замер"\n', '', CAD)))
    assert sorted(found) == ["FN215", "FN216", "FN229"]


# ------------------------------------------------------------------ reopens
def test_reopen_reason_must_be_a_lost_reason_of_its_pipeline() -> None:
    ok = edit('  stage "Замер" {', '  reopen "Дорого" 10% after exp(14d) -> "Замер"\n'
              '  stage "Замер" {')
    assert diags(ok) == []
    text = edit('reopen "Дорого"', 'reopen "Дорга"', ok)
    (d,) = diags(text)
    assert d.code == "FN231" and d.help == "did you mean `Дорого`?"
    assert codes(edit('10% after', '101% after', ok)) == ["FN218"]


# ------------------------------------------------------------------ scenarios
def test_scenario_share_changes() -> None:
    ok = BASE + ('scenario "S" {\n  stage "Продажи"."Замер" -> won 40%\n'
                 '  stage "Продажи"."Замер" -> lost "Дорого" 60%\n}\n')
    assert diags(ok) == []
    text = edit('-> lost "Дорого" 60%', '-> lost "Дорог" 60%', ok)
    (d,) = diags(text)
    assert d.code == "FN232" and d.help == 'did you mean `-> lost "Дорого"`?'
    text = edit('  stage "Продажи"."Замер" -> lost "Дорого" 60%\n', '', ok)
    (d,) = diags(text)
    assert d.code == "FN233" and "110%" in d.message and under(text, d) == "40%"
    assert d.help is not None and '-> lost "Дорого" 60%' in d.help


def test_scenario_stay_override_is_checked_with_the_stage() -> None:
    text = BASE + 'scenario "S" { stage "Продажи"."Замер" stay 10% }\n'
    assert codes(text) == ["FN233"]
    text = BASE + ('scenario "S" {\n  stage "Продажи"."Замер" stay 10%\n'
                   '  stage "Продажи"."Замер" -> won 20%\n}\n')
    assert diags(text) == []


def test_scenario_sla_target_is_resolved_in_the_stage_pipeline() -> None:
    base = edit('-> lost "Отказ" 40%', '-> lost "Отказ" 30%\n    stay 10%')
    ok = base + 'scenario "S" { stage "Продажи"."Заявка" sla 1d -> "Замер" }\n'
    assert diags(ok) == []
    bad = base + 'scenario "S" { stage "Продажи"."Заявка" sla 1d -> "Замр" }\n'
    assert codes(bad) == ["FN201"]


# ------------------------------------------------------------------ the table
def test_table_lists_every_code_with_a_meaning() -> None:
    table = error_codes()
    assert [c for c in table if c.startswith("FN2")] == [f"FN{n}" for n in range(201, 240)]
    assert all((meaning and meaning[0].islower()) or meaning[0] in "`" for meaning in table.values())


def test_docs_error_code_table_matches_the_registry() -> None:
    """The error-code index of the docs (generated by funnelc.docs_gen) lists the core's
    codes with the registry's meanings."""
    page = (ROOT / "docs" / "codes" / "index.md").read_text(encoding="utf-8")
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        code = re.match(r"\[(FN[02]\d\d)\]", cells[0])
        if len(cells) == 2 and code and not code.group(1).startswith("FN29"):
            rows[code.group(1)] = cells[1]
    assert rows == error_codes()


def test_no_crash_on_any_one_line_removed() -> None:
    """Every fixture with any single line deleted still loads without an exception:
    checks must cope with half-written files (missing routes, dangling references)."""
    runs = 0
    for path in sorted((CASES / "errors").glob("*.funnel")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for i in range(len(lines)):
            load_text("".join(lines[:i] + lines[i + 1:]), "t.funnel")
            runs += 1
    assert runs > 300, runs


CLEAN = (CASES / "errors" / "clean.funnel").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(CLEAN)), st.integers(1, 40), st.sampled_from(["", "0", '"', "x", "%"]))
def test_no_crash_on_mangled_text(at: int, length: int, insert: str) -> None:
    """Cut a piece out of a full account (and maybe drop in a stray character): the
    loader reports, it never raises."""
    loaded = load_text(CLEAN[:at] + insert + CLEAN[at + length:], "t.funnel")
    assert loaded.model is not None or loaded.diagnostics
