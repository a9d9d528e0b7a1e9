"""`alias salesforce "…"` in a stage (issue 17): parsed on both paths into the model,
formatted back canonically, and checked like other labels — blank is FN234, a second
one FN208, a CRM the language does not know is a syntax error naming the one it does."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from funnelc.cli import cli

BASE = """\
source "Сайт" 1/day -> "Продажи"."Заявка"
pipeline "Продажи" {{
  stage "Заявка" {{
{body}
    -> won
  }}
}}
"""


def run(tmp_path: Path, body: str, *args: str) -> Result:
    path = tmp_path / "a.funnel"
    path.write_text(BASE.format(body=body), encoding="utf-8")
    return CliRunner().invoke(cli, [*args, str(path)], env={"NO_COLOR": "1"})


def codes(result: Result) -> list[str]:
    return [d["code"] for d in json.loads(result.stdout)["diagnostics"]
            if d["severity"] == "error"]


def test_alias_is_read_into_the_model(tmp_path: Path) -> None:
    result = run(tmp_path, '    alias salesforce "Заявка с сайта"', "export", "--to", "json")
    assert result.exit_code == 0, result.output
    stage = json.loads(result.stdout)["pipelines"][0]["stages"][0]
    assert stage["alias"]["crm"] == "salesforce"
    assert stage["alias"]["name"]["value"] == "Заявка с сайта"


def test_fmt_writes_it_canonically(tmp_path: Path) -> None:
    result = run(tmp_path, '    alias    salesforce\t"Коротко"', "fmt")
    assert result.exit_code == 0, result.output
    assert '    alias salesforce "Коротко"\n' in result.stdout


def test_blank_alias_is_fn234_and_a_second_one_fn208(tmp_path: Path) -> None:
    blank = run(tmp_path, '    alias salesforce " "', "check", "--format", "json")
    assert blank.exit_code == 1 and codes(blank) == ["FN234"]
    twice = run(tmp_path, '    alias salesforce "А"\n    alias salesforce "Б"', "check",
                "--format", "json")
    assert twice.exit_code == 1 and codes(twice) == ["FN208"]


def test_an_unknown_crm_is_a_located_syntax_error(tmp_path: Path) -> None:
    result = run(tmp_path, '    alias hubspot "Коротко"', "check")
    assert result.exit_code == 1
    assert "a.funnel:4:11" in result.stderr and "expected `salesforce`" in result.stderr
    assert "Traceback" not in result.output


def _long_stage(tmp_path: Path, alias: str) -> Result:
    """The stage name is 49 characters (over FN119's 40); the alias is what Salesforce shows."""
    long_name = "Клиент получил коммерческое предложение и думает"
    assert len(long_name) > 40
    path = tmp_path / "long.funnel"
    path.write_text(BASE.format(body=alias).replace("Заявка", long_name), encoding="utf-8")
    return CliRunner().invoke(cli, ["check", "--format", "json", "--select", "FN119",
                                    str(path)])


def test_fn119_reads_the_alias_when_there_is_one(tmp_path: Path) -> None:
    plain = json.loads(_long_stage(tmp_path, "").stdout)["diagnostics"]
    assert [d["code"] for d in plain] == ["FN119"]
    short = json.loads(_long_stage(tmp_path, '    alias salesforce "КП у клиента"').stdout)
    assert short["diagnostics"] == []
    too_long = json.loads(_long_stage(
        tmp_path, '    alias salesforce "Коммерческое предложение у клиента на рассмотрении"'
    ).stdout)["diagnostics"]
    assert [d["code"] for d in too_long] == ["FN119"]
    assert too_long[0]["message"].startswith("salesforce alias `")
