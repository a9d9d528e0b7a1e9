"""The graveyard's proposal, pasted into the account's funnel, does not trip our own
lint. `funnelc audit` on the grave_b24_ru export (tests/data/grave_b24_ru) splits
«Думают» into the fresh deals and «Холодные», which every deal enters by «Думают»'s
`sla` and which loses most of them by design; FN117 then flagged «Холодные» («79% of the
deals in `Холодные` are lost or left there») and told the consultant to segment it
with decision stages, the first of them «Холодные». A stage every deal enters by
another stage's `sla` is a segment already; one deals enter otherwise is still
flagged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from funnelc.cli import cli

ENV = {"NO_COLOR": "1", "COLUMNS": "160"}
HEAD = """\
account "Учебный центр «Развитие»" {
  currency RUB
  hours mon-fri 09:00-19:00
  language ru
}

team "Менеджеры" size 4

source "Сайт" 6/week -> "Продажи обучения"."КП отправлено" value lognormal(250k, 130k)

pipeline "Продажи обучения" main process {
  stage "КП отправлено" {
    owner "Менеджеры"
    work 1h
    -> "Думают" 90% after exp(3d)
    -> lost "Дорого" 10% after exp(3d)
  }
"""
# What the audit printed for «Думают» (its owner and work kept, as docs/audit.md says).
PROPOSAL = """\
  stage "Думают" {
    owner "Менеджеры"
    work 15m
    # доли — от 251 пришедшей на этап сделки, за её первые 7 дн. здесь
    sla 50h -> "Холодные"  # 7 календарных дней
    -> "Договор и счёт" 32.3%
    -> lost "Дорого" 1.6%
    -> lost "Выбрали другого" 0.4%
    stay 65.7%
  }

  stage "Холодные" {
    # доли — от 161 сделки, пробывшей на этапе «Думают» 7 дн. и дольше
    sla 250h -> lost "Не отвечает"  # 35 календарных дней
    on enter task "Позвонить клиенту: сделка остыла"
    hint "Звоните хотя бы раз в 14 дн.: из сделок, оставленных на столько без касания, \
дальше ушло 5,95%, из всех — 46,05%."
    -> lost "Не отвечает" 37.9%
    -> "Договор и счёт" 21%
    -> lost "Дорого" 19.9%
    -> lost "Выбрали другого" 10%
    stay 11.2%
  }
"""
TAIL = """\
  stage "Договор и счёт" key {
    owner "Менеджеры"
    work 30m
    -> won 85% after uniform(2d, 10d)
    -> lost "Передумали" 15% after uniform(2d, 10d)
  }
}
"""


def _fn117(text: str) -> list[str]:
    out = CliRunner().invoke(cli, ["check", "--format", "json", "-"], input=text, env=ENV)
    assert out.exit_code in (0, 1), out.output
    return [d["message"] for d in json.loads(out.stdout)["diagnostics"]
            if d["code"] == "FN117"]


def test_the_cold_segment_the_audit_proposes_is_not_flagged() -> None:
    assert _fn117(HEAD + PROPOSAL + TAIL) == []


def test_a_cold_stage_deals_enter_by_an_outcome_is_still_flagged() -> None:
    """The same stages, «Думают» sending its deals on by an outcome instead of its
    `sla`: «Холодные» is then an ordinary stage that loses most of what it gets."""
    by_hand = PROPOSAL.replace('    sla 50h -> "Холодные"  # 7 календарных дней\n', "").replace(
        "    stay 65.7%\n", '    -> "Холодные" 65.7%\n', 1)
    assert _fn117(HEAD + by_hand + TAIL) == [
        "79% of the deals in `Холодные` are lost or left there, right before `Договор и счёт`"]
