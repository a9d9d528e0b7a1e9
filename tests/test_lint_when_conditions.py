"""FN126-FN128 (review rv3 F7, F17): a stage's `when` outcomes that a deal can meet two of,
values of a field no outcome routes, and seed 002's claims decisions. The case files
(tests/cases/lint/FN126-128.cases) and the seed golden (002-decisions-bad.err) hold the
exact findings; here: the rules agree with evaluating the conditions value by value, and
`funnelc check` says so to the consultant of a ru and a uk account."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PIPELINES
from funnelc.api import load_text
from funnelc.cli import cli
from funnelc.lint.config import config_from_table
from funnelc.lint.runner import lint

OPS = ("=", "!=", "<", "<=", ">", ">=")
Term = tuple[str, int]


def _holds(term: Term, v: float) -> bool:
    op, x = term
    return {"=": v == x, "!=": v != x, "<": v < x, "<=": v <= x, ">": v > x,
            ">=": v >= x}[op]


def _funnel(ftype: str, conditions: list[list[Term]]) -> str:
    targets = ['won', 'lost "Дорого"', '"Решение принято"']
    share = [34, 33, 33][:len(conditions)]
    share[0] += 100 - sum(share)
    outs = "\n".join(
        f'    -> {targets[i]} {share[i]}% when '
        + " and ".join(f'"Интерес" {op} {x}' for op, x in cond)
        for i, cond in enumerate(conditions))
    return (f'field "Интерес" {ftype}\n'
            'source "База" 5/day -> "Продажи"."Интерес выяснен"\n'
            'source "Сайт" 1/day -> "Продажи"."Решение принято"\n'
            'pipeline "Продажи" sales {\n  stage "Интерес выяснен" {\n'
            f"{outs}\n  }}\n  stage \"Решение принято\" {{ -> won }}\n}}\n")


def _codes(text: str) -> list[str]:
    loaded = load_text(text, "prop.funnel")
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    config = config_from_table({"select": ["FN126", "FN127"]}, "test", None)
    return [d.code for d in lint(loaded, config)]


terms = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 12)), min_size=1, max_size=2)


@settings(deadline=None, max_examples=120, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(low=st.integers(1, 5), span=st.integers(0, 9),
       conditions=st.lists(terms, min_size=2, max_size=3))
def test_overlap_and_gaps_agree_with_evaluating_every_value(
        low: int, span: int, conditions: list[list[Term]]) -> None:
    """On an `int(low..high)` field, FN126 flags a stage exactly when one whole number of
    the range meets two outcomes' conditions, and FN127 exactly when one meets none."""
    _agree(f"int({low}..{low + span})", range(low, low + span + 1), conditions)


@settings(deadline=None, max_examples=80, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(conditions=st.lists(terms, min_size=2, max_size=3))
def test_amount_ranges_agree_with_evaluating_every_value(conditions: list[list[Term]]) -> None:
    """On a `money` field (amounts from 0, not only whole ones), the same: every region the
    integer constants cut out holds a whole or a half number from 0 to 13.5."""
    _agree("money", [i / 2 for i in range(28)], conditions)


def _agree(ftype: str, values: Iterable[float], conditions: list[list[Term]]) -> None:
    meets = [[all(_holds(t, v) for t in cond) for cond in conditions] for v in values]
    overlap = any(sum(m) >= 2 for m in meets)
    gap = any(not any(m) for m in meets)
    codes = _codes(_funnel(ftype, conditions))
    assert ("FN126" in codes) == overlap
    assert ("FN127" in codes) == gap


def test_check_tells_the_interest_scale_overlap_and_the_claims_decisions(
        tmp_path: Path) -> None:
    """Review rv3 F7/F17: a 9 on seed 002's interest scale met «>= 9» and «>= 7», the
    claims decision «Возврат средств» had no route, the refusal was closed as lost and
    the replacement copied nowhere; `funnelc check` passed all of it (exit 0)."""
    path = tmp_path / "claims.funnel"
    path.write_text((Path(__file__).parent / "cases" / "lint" / "seeds"
                     / "002-decisions-bad.funnel").read_text(encoding="utf-8"),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert ("warning[FN126]: outcomes of `Получили обратную связь` overlap: a deal with "
            "`Интерес (1-10)` 9–10 meets both") in out
    assert ('`-> won 12% when "Интерес (1-10)" >= 7 and "Интерес (1-10)" <= 8 then copy '
            '"Продажи"."Лид передан в продажи"`') in out
    assert ("no outcome of `Решение по рекламации вынесено` routes a deal with "
            "`Решение по рекламации` = `Возврат средств`") in out
    assert "closes a decided claim as lost: `В рекламации отказано`" in out
    assert 'then copy "Производство"."Новый заказ на производство"`' in out
    fixed = path.with_name("fixed.funnel")
    fixed.write_text((Path(__file__).parent / "cases" / "lint" / "seeds"
                      / "002-decisions-fixed.funnel").read_text(encoding="utf-8"),
                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(fixed), "--select", "FN126,FN127,FN128"])
    assert result.exit_code == 0, result.output


def test_ukrainian_claims_help_names_ukrainian_stage_task_and_field(tmp_path: Path) -> None:
    """The help of a uk account suggests Ukrainian names (a Russian one reads as a
    translation error), and they pass the naming rules as conversion-style stages."""
    from funnelc.lint.naming import classify_stage_name
    from funnelc.lint.rules import claims_decisions

    path = tmp_path / "uk.funnel"
    path.write_text(
        'account "Меблі «Дуб»" {\n  language uk\n}\n'
        'source "Звернення" 1/day -> "Рекламації"."Рішення щодо рекламації ухвалено"\n'
        'pipeline "Рекламації" claims {\n'
        '  stage "Рішення щодо рекламації ухвалено" {\n'
        '    -> lost "Відмовлено в рекламації" 40%\n'
        '    -> "Гроші повернуто" 60%\n  }\n'
        '  stage "Гроші повернуто" { -> won }\n}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(path), "--select", "FN128"])
    assert result.exit_code == 1, result.output
    assert ('`-> won 40% when "Рішення щодо рекламації" = "Відмовлено в рекламації"`'
            in result.output)
    assert 'on enter task "Зателефонувати клієнту й пояснити рішення щодо рекламації"' \
        in result.output
    for lang, name in claims_decisions._EXPLAINED.items():
        c = classify_stage_name(name)
        assert (str(c.klass), c.language) == ("conversion", lang), name


def test_saleschef_interest_scale_routes_each_answer_once() -> None:
    """The shipped example gave a 9 two routes (`>= 9`, `>= 7`); now 9–10, 7–8 and 1–6
    (seed 002) and its hint of «Договорились созвониться позднее» says 1–6."""
    text = (PIPELINES / "saleschef.funnel").read_text(encoding="utf-8")
    assert 'when "Интерес (1-10)" >= 7 and "Интерес (1-10)" <= 8 then copy' in text
    assert "Интерес 1–6 — это не отказ" in text
    loaded = load_text(text, "saleschef.funnel")
    config = config_from_table({"select": ["FN126", "FN127", "FN128"]}, "test", None)
    assert [d.message for d in lint(loaded, config)] == []


def test_an_exception_on_a_second_field_is_said_and_fixed_on_the_general_rule(
        tmp_path: Path) -> None:
    """`"Рассрочка" = yes` to won beside `"Рассрочка" = yes and "Бюджет" < 100k` to lost:
    the deals that meet both are those with the instalment *and* a budget under 100k.
    `check` said «a deal with `Рассрочка` = `yes` meets both» (not every such deal does)
    and helped with no line; the general rule takes the exception's opposite."""
    path = tmp_path / "terms.funnel"
    path.write_text(
        'field "Рассрочка" bool\nfield "Бюджет" money\n'
        'source "Сайт" 5/day -> "Продажи"."Условия согласованы"\n'
        'pipeline "Продажи" sales {\n  stage "Условия согласованы" {\n'
        '    -> won 50% after 2d when "Рассрочка" = yes\n'
        '    -> lost "Дорого" 30% after 2d when "Рассрочка" = yes and "Бюджет" < 100k\n'
        '    -> lost "Нет рассрочки" 20% when "Рассрочка" = no\n  }\n}\n', encoding="utf-8")
    out = CliRunner().invoke(cli, ["check", str(path), "--select", "FN126"]).output
    assert ("a deal with `Рассрочка` = `yes` and `Бюджет` [0, 100k) meets both "
            '`"Рассрочка" = yes` and `"Рассрочка" = yes and "Бюджет" < 100k`') in out
    assert ('`-> won 50% after 2d when "Рассрочка" = yes and "Бюджет" >= 100k`') in out
