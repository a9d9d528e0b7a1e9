"""Lint on whole accounts built from real public pipelines, read as a consultant reads
`funnelc check` in front of a client (issue 14's acceptance pass). Two of them are kept
as teaching examples under `tests/data/lint_accounts/`:

* `renewal-parts-maker.funnel`: a B2B parts maker's Bitrix24 pipelines (sales, and
  service contracts with a renewal stage «30 дней до завершения»): a sound account that
  must stay clean, so no false alarm creeps back in;
* `seed002-furniture-before.funnel`: a furniture salon as an integrator finds it, with
  seed 002's mistakes and its own stage names: every mistake is reported where it is,
  and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

ACCOUNTS = Path(__file__).resolve().parent / "data" / "lint_accounts"

# code → lines: seed 002's mistakes in the «before» account (mistake 12, «думать что
# воронка настроена идеально», is not a property of a file).
SEED002_BEFORE: dict[str, list[int]] = {
    # 1 no tasks on entry, 2 no lifetime, 5 no hints
    "FN101": [26, 32, 37, 42, 48, 53, 58, 68, 73, 80, 84, 91],
    "FN102": [26, 32, 42, 48, 58, 68, 73, 80, 84],
    "FN106": [26, 32, 37, 42, 48, 53, 58, 68, 73, 80, 84, 91],
    # 14 deals piled up and never lost
    "FN103": [40, 56, 94],
    # 6 a card of fields nobody fills
    "FN107": [14, 15, 16, 17],
    # 7 the accountant's stage with the manager still responsible (and two copies
    # arriving with another team)
    "FN108": [27, 59, 92],
    # 8 process names among conversion ones
    "FN109": [53, 58],
    # 9 a deal moved to production through `lost`
    "FN110": [61],
    # 11 no key stage
    "FN112": [25],
    # 13 tasks as stages; the call-back side stage makes the bars rise
    "FN113": [32, 37],
    "FN116": [37],
    # «КП отправлено» → «Клиент запросил КП»: the article's wrong funnel
    "FN115": [45],
    # 4 a route on «Бюджет» nobody must fill
    "FN122": [42],
    # «Не мешайте холодные и теплые сделки»
    "FN123": [71],
}


def _check(path: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(path)])
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def test_renewal_account_is_clean() -> None:
    """«30 дней до завершения» is not 'lowercase' (FN120), «Не наши детали» qualifies
    leads (FN111), the renewal loop hands the deal back to service (FN108)."""
    result = CliRunner().invoke(cli, ["check", str(ACCOUNTS / "renewal-parts-maker.funnel")])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_seed002_before_account_reports_each_mistake_where_it_is() -> None:
    code, found = _check(ACCOUNTS / "seed002-furniture-before.funnel")
    assert code == 1
    by_code: dict[str, list[int]] = {}
    for d in found:
        span = d["span"]
        assert isinstance(span, dict)
        by_code.setdefault(str(d["code"]), []).append(int(span["line"]))
    assert {k: sorted(v) for k, v in by_code.items()} == SEED002_BEFORE


def test_seed002_before_account_names_the_accountant_stage() -> None:
    """Mistake 7 was missed while a stage before it was flagged (FN108)."""
    result = CliRunner().invoke(cli, ["check", "--select", "FN108",
                                      str(ACCOUNTS / "seed002-furniture-before.funnel")])
    assert "stage `Ждем оплату` is worked by `Бухгалтерия`, but nothing hands the deal " \
           "over" in result.output
    assert "the deal's responsible team is still `Менеджеры`" in result.output
    assert "seed002-furniture-before.funnel:59:11" in result.output


def test_long_real_stage_name_says_whose_limit(tmp_path: Path) -> None:
    """A Bitrix24 client reads «more than 40» and asks: whose 40? (FN119)"""
    path = tmp_path / "b24.funnel"
    path.write_text('source "Сайт" 5/day -> "Продажи"."Составление коммерческого '
                    'предложения (КП)"\npipeline "Продажи" sales {\n  stage "Составление '
                    'коммерческого предложения (КП)" { -> won }\n}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--select", "FN119", str(path)])
    assert "is 42 characters long, more than 40" in result.output
    assert "40 characters is the most a Salesforce opportunity stage holds; amoCRM and " \
           "Bitrix24 take longer names" in result.output
    assert 'alias salesforce "…"' in result.output
    assert "b24.funnel:3:9" in result.output


def test_entity_state_help_names_the_option_without_the_kanban_number(tmp_path: Path) -> None:
    """An amoCRM realty pipeline numbers its stages («8. Бронь объекта»): the field's
    option the help proposes is «Бронь объекта», not «8. Бронь объекта» (FN114)."""
    path = tmp_path / "realty.funnel"
    path.write_text('source "Циан" 40/week -> "Покупатели"."7. Показ проведен"\n'
                    'pipeline "Покупатели" sales {\n'
                    '  stage "7. Показ проведен" { -> "8. Бронь объекта" }\n'
                    '  stage "8. Бронь объекта" { -> "9. Подписание ДДУ" }\n'
                    '  stage "9. Подписание ДДУ" { -> won }\n'
                    '}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--select", "FN114", str(path)])
    assert "stage `8. Бронь объекта` is the state of another entity" in result.output
    assert 'field "Статус объекта" enum("Бронь объекта", …)' in result.output
    assert "realty.funnel:4:9" in result.output


# A Ukrainian children's school, AlfaCRM lead statuses in their order (corpus source
# "github-index file 34520214451"); shares, SLAs and the nurture pipeline invented.
SCHOOL_UK = """\
# Дитяча школа (Україна), AlfaCRM: статуси лідів ALL_STATUSES (github-index file
# 34520214451), назви й порядок як є. «Зник після контакту» і «Старі клієнти» — тут причина
# lost і окрема воронка; частки, SLA і команди вигадані.
account "Школа «Абетка»" {
  currency UAH
  language uk
}
team "Адміністратори" size 2 hours mon-sat 09:00-19:00
field "Вік дитини" int(3..16)
field "Дата пробного" date
source "Instagram" 30/week -> "Ліди"."Недодзвон" value lognormal(9k, 3k)

pipeline "Ліди" main sales {
  stage "Недодзвон" {
    owner "Адміністратори"
    on enter task "Подзвонити" due 1h
    hint "Три спроби за день."
    sla 3d -> lost "Зник після контакту" then copy "Старі клієнти"."Старі клієнти"
    -> "Розмовляли, чекаємо відповідь" 60%
    -> lost "Зник після контакту" 40% then copy "Старі клієнти"."Старі клієнти"
  }
  stage "Розмовляли, чекаємо відповідь" {
    owner "Адміністратори"
    on enter message telegram "Розклад і ціни"
    hint "Запропонуйте пробне."
    sla 7d -> "Передзвонити через 2 тижні"
    -> "Чекає пробного" 50%
    -> "Передзвонити через 2 тижні" 50%
  }
  stage "Чекає пробного" {
    owner "Адміністратори"
    requires "Вік дитини"
    on enter task "Призначити пробне" due 1d
    hint "Оберіть групу за віком."
    sla 7d -> lost "Не прийшли на пробне"
    -> "Призначено пробне" 90%
    -> lost "Не прийшли на пробне" 10%
  }
  stage "Призначено пробне" {
    owner "Адміністратори"
    requires "Дата пробного"
    on enter message telegram "Нагадування про пробне"
    hint "Нагадайте напередодні."
    sla 14d -> "Не відвідав пробне"
    -> "Проведено пробне" 80%
    -> "Не відвідав пробне" 20%
  }
  stage "Проведено пробне" key {
    owner "Адміністратори"
    on enter task "Запропонувати абонемент" due 1d
    hint "Відгук педагога — батькам."
    sla 7d -> "Чекаємо оплату"
    -> "Чекаємо оплату" 70%
    -> lost "Не підійшло" 30%
  }
  stage "Не відвідав пробне" {
    owner "Адміністратори"
    on enter task "Перенести пробне" due 1d
    hint "Запропонуйте інший день."
    sla 7d -> lost "Не прийшли на пробне" then copy "Старі клієнти"."Старі клієнти"
    -> "Призначено пробне" 40%
    -> lost "Не прийшли на пробне" 60% then copy "Старі клієнти"."Старі клієнти"
  }
  stage "Чекаємо оплату" {
    owner "Адміністратори"
    on enter message telegram "Реквізити для оплати"
    hint "Нагадайте про оплату через 2 дні."
    sla 7d -> lost "Не оплатили" then copy "Старі клієнти"."Старі клієнти"
    -> "Отримана оплата" 85%
    -> lost "Не оплатили" 15% then copy "Старі клієнти"."Старі клієнти"
  }
  stage "Отримана оплата" {
    owner "Адміністратори"
    on enter task "Додати в групу" due 1d
    hint "Додайте в групу і чат батьків."
    sla 2d -> won
    -> won 100%
  }
  stage "Передзвонити через 2 тижні" {
    owner "Адміністратори"
    on enter task "Передзвонити" due 14d
    hint "Нагадайте про набір."
    sla 21d -> lost "Зник після контакту" then copy "Старі клієнти"."Старі клієнти"
    -> "Чекає пробного" 30%
    -> lost "Зник після контакту" 70% then copy "Старі клієнти"."Старі клієнти"
  }
}

pipeline "Старі клієнти" nurture {
  stage "Старі клієнти" {
    owner "Адміністратори"
    on enter message telegram "Новий набір у вересні"
    hint "Розсилка перед набором."
    sla 180d -> lost "Не повернулися"
    -> won 5% then copy "Ліди"."Чекає пробного"
    stay 95%
  }
}
"""


def test_ukrainian_account_gets_ukrainian_examples_and_a_clear_side_stage(
        tmp_path: Path) -> None:
    """FN113 and FN109 gave Russian stage names to rename to in a Ukrainian account; FN116
    said «`Передзвонити через 2 тижні` … so `Передзвонити через 2 тижні` counts more than
    `Отримана оплата`» about the side stage written last."""
    path = tmp_path / "school.funnel"
    path.write_text(SCHOOL_UK, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--select", "FN109,FN113,FN116", str(path)])
    out = result.output
    assert "`Інтерес підтверджено`, `Потребу виявлено`" in out
    assert "`Интерес подтвержден`" not in out
    assert "like `Чекаємо оплату`, `Узгодження договору`" in out
    assert ("`Передзвонити через 2 тижні` is a task-like side stage written after "
            "`Отримана оплата`: deals come to it from earlier stages, so it counts more "
            "than `Отримана оплата`") in out
    assert "school.funnel:79:9" in out
    assert ("`Не відвідав пробне` is a task-like side stage: only some deals pass through "
            "it, so `Чекаємо оплату` counts more than `Не відвідав пробне` before it") in out


def test_no_qualification_note_lists_the_reasons_read(tmp_path: Path) -> None:
    """A restaurants' SaaS loses «Не ресторан» at its first stage: a disqualification only
    this business knows. FN111 said only 'add a qualification pipeline'; it now shows the
    reasons it read and where to list the business's own."""
    path = tmp_path / "saas.funnel"
    path.write_text('source "Сайт" 15/week -> "Продажи"."Новый лид"\n'
                    'pipeline "Продажи" main sales {\n'
                    '  stage "Новый лид" {\n'
                    '    -> "Демо назначено" 60%\n'
                    '    -> lost "Не ресторан" 25%\n'
                    '    -> lost "Не вышел на связь" 15%\n'
                    '  }\n'
                    '  stage "Демо назначено" { -> won 50%\n'
                    '    -> lost "Дорого" 50% }\n'
                    '}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--select", "FN111", str(path)])
    assert ("lost reasons read: `Не ресторан`, `Не вышел на связь`, `Дорого`; if one of "
            "them disqualifies leads, list its stem in the rule's `reason-words` option"
            ) in result.output
    ru = CliRunner().invoke(cli, ["check", "--lang", "ru", "--select", "FN111", str(path)])
    assert "reason-words" in ru.output and "lost reasons read" not in ru.output
