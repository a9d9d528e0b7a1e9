"""The graveyard's proposal pasted into the account's funnel does not trip FN116 (the
funnel's shape). On tests/data/furniture_uk the audit splits «Думає» into the fresh
deals and «Холодні», which deals enter only by «Думає»'s `sla`; pasted, FN116 said «most
deals of `Договір` come straight from `Розрахунок`, past `Холодні`» and advised making
the cold stage a task. A stage entered only by an `sla` is a branch by design, and the stage
after it is compared with the one before it; a cold stage entered by an ordinary
outcome is still read as a step."""

from __future__ import annotations

import json

from click.testing import CliRunner

from funnelc.cli import cli

ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
HEAD = """\
account "Меблі «Дубок»" {
  currency UAH
  hours mon-fri 09:00-18:00, sat 10:00-15:00
  language uk
}

team "Менеджери" size 3

source "Сайт" 10/week -> "Продажі"."Розрахунок" value lognormal(80k, 30k)

pipeline "Продажі" main process {
  stage "Розрахунок" {
    owner "Менеджери"
    work 30m
    -> "Думає" 60% after exp(2d)
    -> "Договір" 25% after exp(2d)
    -> lost "Дорого" 15% after exp(2d)
  }
"""
# What the audit printed for «Думає» (its owner and work kept, as docs/audit.md says).
PROPOSAL = """\
  stage "Думає" {
    owner "Менеджери"
    work 15m
    # частки — від 267 угод, що прийшли на етап, за їхні перші 7 дн. тут
    sla 50h -> "Холодні"  # 7 календарних днів
    -> "Договір" 30.4%
    -> lost "Обрали конкурента" 3.8%
    -> lost "Інше" 3%
    stay 62.8%
  }

  stage "Холодні" {
    # частки — від 166 угод, що пробули на етапі «Думає» 7 дн. і довше
    sla 57h -> lost "Обрали конкурента"  # 8 календарних днів
    on enter task "Зателефонувати клієнту: угода охолола"
    -> "Договір" 11.2%
    -> lost "Обрали конкурента" 6.3%
    -> lost "Інше" 3.1%
    stay 79.4%
  }
"""
TAIL = """\
  stage "Договір" key {
    owner "Менеджери"
    work 30m
    -> won 90% after exp(3d)
    -> lost "Інше" 10% after exp(3d)
  }
}
"""


def _fn116(text: str) -> list[str]:
    out = CliRunner().invoke(cli, ["check", "--format", "json", "-"], input=text, env=ENV)
    assert out.exit_code in (0, 1), out.output
    return [d["message"] for d in json.loads(out.stdout)["diagnostics"]
            if d["code"] == "FN116"]


def test_the_cold_segment_the_audit_proposes_keeps_the_shape() -> None:
    assert _fn116(HEAD + PROPOSAL + TAIL) == []


def test_a_cold_stage_deals_enter_by_an_outcome_is_still_a_step() -> None:
    """«Думає» sending its deals to «Холодні» by an outcome: «Холодні» is then a stage
    some deals skip, and «Договір» after it counts more."""
    by_hand = PROPOSAL.replace('    sla 50h -> "Холодні"  # 7 календарних днів\n', "").replace(
        "    stay 62.8%\n", '    -> "Холодні" 62.8%\n', 1)
    assert _fn116(HEAD + by_hand + TAIL) == [
        "most deals of `Договір` come straight from `Розрахунок`, past `Холодні`, so it "
        "counts more than `Холодні` before it"]
