"""FN114's help names the field the state belongs in, for the entity the stage is about
and in the account's language: a cancelled payment goes into the payment's field, not
into seed 001's "Стан юніта" (which the help used to suggest for every stage)."""

from __future__ import annotations

import itertools
import json

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

STAGES = ["Платіж скасовано", "На складе", "Отказ банка", "Бронь", "Частково підписано",
          "Refunded"]


def _funnel(language: str | None) -> str:
    account = f'account "A" {{ currency UAH\n  language {language} }}\n' if language else ""
    body = "".join(f'  stage "{a}" {{ -> "{b}" }}\n' for a, b in itertools.pairwise(STAGES))
    return (account + f'source "Сайт" 5/day -> "Продажи"."{STAGES[0]}"\n'
            f'pipeline "Продажи" sales {{\n{body}  stage "{STAGES[-1]}" {{ -> won }}\n}}\n')


def _helps(tmp_path: object, language: str | None) -> dict[str, str]:
    path = tmp_path / "f.funnel"  # type: ignore[operator]
    path.write_text(_funnel(language), encoding="utf-8")
    out = CliRunner().invoke(cli, ["check", "--select", "FN114", "--format", "json", str(path)])
    assert out.exit_code == 0, out.output
    found = json.loads(out.stdout)["diagnostics"]
    return {d["message"].split("`")[1]: d["help"] for d in found if d["code"] == "FN114"}


@pytest.mark.parametrize(("language", "fields"), [
    (None, ["Стан оплати", "Статус товара", "Статус у контрагента", "Статус объекта",
            "Стан документа", "Payment status"]),
    ("uk", ["Стан оплати", "Стан товару", "Стан у контрагента", "Стан юніта",
            "Стан документа", "Стан оплати"]),
    ("ru", ["Статус оплаты", "Статус товара", "Статус у контрагента", "Статус объекта",
            "Статус документа", "Статус оплаты"]),
])
def test_the_help_names_the_entity_s_field(tmp_path: object, language: str | None,
                                           fields: list[str]) -> None:
    helps = _helps(tmp_path, language)
    assert sorted(helps) == sorted(STAGES)
    for stage, field in zip(STAGES, fields):
        assert f'`field "{field}" enum("{stage}", …)`' in helps[stage], helps[stage]
