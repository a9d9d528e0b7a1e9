"""Lint through the command line, as a consultant uses it: `funnelc check` with rule
selection, severities and config files found upward, suppressions, JSON and SARIF
output; `funnelc rules` / `funnelc rule`; the generated docs; the pre-commit hook."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import CASES, ROOT
from funnelc.cli import cli
from funnelc.lint.docs import rules_markdown
from funnelc.lint.rules import RULES

# One stage with stay and no SLA (FN103, warning) and no hint (FN106, note) among others.
GRAVEYARD = """\
source "Сайт" 5/day -> "Продажи"."Отправлен расчет"
pipeline "Продажи" sales {
  stage "Отправлен расчет" {
    -> won 5% after exp(10d)
    stay 95%
  }
}
"""

# Clean except a missing hint (a note): exit code 0.
NOTE_ONLY = """\
field "Бюджет" money
source "Сайт" 5/day -> "Продажи"."Заявка"
pipeline "Продажи" main conversion sales {
  stage "Заявка" key {
    requires "Бюджет"
    on enter task "Позвонить" due 15m
    on enter message email "Спасибо за заявку"
    sla 1d -> lost "Не ответил" then copy "Прогрев"."Новая"
    -> won 50%
    -> lost "Нецелевой" 50%
  }
}
pipeline "Прогрев" nurture {
  stage "Новая" {
    on enter message email "Подборка"
    hint "Рассылка идет сама"
    sla 30d -> lost "Не прогрелся"
    -> won 5% then copy "Продажи"."Заявка"
    stay 95%
  }
}
"""


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    if cwd is not None:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        if cwd is not None:
            os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes_of(stdout: str) -> list[str]:
    return sorted(d["code"] for d in json.loads(stdout)["diagnostics"])


# ----------------------------------------------------------------------- check + lint


def test_check_runs_lint_after_the_errors(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, _, err = run("check", str(f))
    assert code == 1
    assert "warning[FN103]: deals that reach `Отправлен расчет` can stay there forever" in err
    assert "note[FN106]" in err
    assert "= note: of every 100 leads entering `Продажи`, 95 end up here for good" in err


def test_notes_alone_exit_0(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", NOTE_ONLY)
    code, out, _ = run("check", "--format", "json", str(f))
    assert codes_of(out) == ["FN106"]
    assert code == 0


def test_no_lint_on_a_file_with_errors(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD.replace('-> won 5%', '-> "Нет такого" 5%'))
    code, out, _ = run("check", "--format", "json", str(f))
    assert code == 1
    assert all(not c.startswith("FN1") for c in codes_of(out))


def test_no_lint_flag(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, out, err = run("check", "--no-lint", str(f))
    assert (code, out, err) == (0, "", "1 file checked, no problems\n")


def test_select_ignore_and_severity(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, out, _ = run("check", "--format", "json", "--select", "FN103,stage-without-hint", str(f))
    assert codes_of(out) == ["FN103", "FN106"] and code == 1
    code, out, _ = run("check", "--format", "json", "--select", "FN10", "--ignore", "FN101",
                       "--ignore", "graveyard-stage", str(f))
    assert codes_of(out) == ["FN104", "FN106"]
    code, out, _ = run("check", "--format", "json", "--select", "FN103",
                       "--severity", "graveyard-stage=note", str(f))
    assert [d["severity"] for d in json.loads(out)["diagnostics"]] == ["note"] and code == 0
    code, out, _ = run("check", "--format", "json", "--select", "FN106",
                       "--severity", "FN106=error", str(f))
    assert [d["severity"] for d in json.loads(out)["diagnostics"]] == ["error"] and code == 1


@pytest.mark.parametrize("args, words", [
    (["--select", "FN999"], "`FN999` is not a lint rule code"),
    (["--ignore", "stage-without-hnt"], "did you mean `stage-without-hint`"),
    (["--severity", "FN106"], "expected RULE=SEVERITY"),
    (["--severity", "FN106=loud"], "severity must be one of error, warning, note"),
])
def test_bad_cli_selectors_are_usage_errors(tmp_path: Path, args: list[str], words: str) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, _, err = run("check", *args, str(f))
    assert code == 2
    assert words in err
    assert "Traceback" not in err


def test_json_output_names_the_rule(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", "--select", "FN103", str(f))
    (d,) = json.loads(out)["diagnostics"]
    assert d["name"] == "graveyard-stage" and d["span"]["line"] == 5


# ----------------------------------------------------------------------- configuration


def test_pyproject_found_upward_from_the_file(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.funnelc.lint]\nselect = ["FN103", "FN106"]\n'
          'severity = { stage-without-hint = "warning" }\n')
    f = write(tmp_path / "clients" / "acme" / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", str(f))
    diags = json.loads(out)["diagnostics"]
    assert sorted((d["code"], d["severity"]) for d in diags) == [
        ("FN103", "warning"), ("FN106", "warning")]


def test_funnelc_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.funnelc.lint]\nselect = ["FN103"]\n')
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN106"]\n')
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", str(f))
    assert codes_of(out) == ["FN106"]


def test_pyproject_without_our_table_is_passed_over(tmp_path: Path) -> None:
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN103"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[tool.black]\nline-length = 100\n')
    f = write(tmp_path / "sub" / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", str(f))
    assert codes_of(out) == ["FN103"]


def test_cli_select_replaces_config_select_and_ignore_adds(tmp_path: Path) -> None:
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN103"]\nignore = ["FN106"]\n')
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", "--select", "FN106,FN101", str(f))
    assert codes_of(out) == ["FN101"]


def test_rule_options_from_config(tmp_path: Path) -> None:
    text = GRAVEYARD.replace("pipeline", 'field "Бюджет" money\nfield "Цвет" text\npipeline', 1)
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN107"]\n'
          '[lint.card-overload]\nexempt-types = ["text", "money"]\n')
    f = write(tmp_path / "a.funnel", text)
    _, out, _ = run("check", "--format", "json", str(f))
    assert codes_of(out) == []
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN107"]\n'
          '[lint.FN107]\nmax-fields = 1\nexempt-types = ["text", "money"]\n')
    g = write(tmp_path / "b" / "a.funnel", text)
    write(tmp_path / "b" / "funnelc.toml", (tmp_path / "funnelc.toml").read_text())
    _, out, _ = run("check", "--format", "json", str(g))
    assert codes_of(out) == ["FN107"]


def test_explicit_config(tmp_path: Path) -> None:
    cfg = write(tmp_path / "conf" / "lint.toml", '[lint]\nselect = ["FN106"]\n')
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN103"]\n')
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "json", "--config", str(cfg), str(f))
    assert codes_of(out) == ["FN106"]


@pytest.mark.parametrize("toml, words", [
    ('[lint]\nselct = ["FN103"]\n', "`lint.selct`: unknown key (did you mean `select`?)"),
    ('[lint]\nselect = "FN103"\n', "`lint.select`: expected a list"),
    ('[lint]\nselect = ["FN1O3"]\n', "`lint.select`: unknown rule `FN1O3`"),
    ('[lint]\nseverity = { FN103 = "fatal" }\n', "`lint.severity.FN103`: severity must be"),
    ('[lint]\nseverity = { FN777 = "note" }\n', "`lint.severity.FN777`: unknown rule"),
    ('[lint.card-overload]\nmax-feilds = 3\n',
     "`lint.card-overload.max-feilds`: `card-overload` has no option `max-feilds` "
     "(did you mean `max-fields`?)"),
    ('[lint.card-overload]\nmax-fields = "many"\n',
     "`lint.card-overload.max-fields`: expected a whole number"),
    ('[lint.long-cadence]\nmax-touches = -1\n', "expected a whole number ≥ 0"),
    ('[lint.funnel-shape]\ntolerance = true\n', "expected a number ≥ 0"),
    ('[lint.task-named-stage]\nallow = "Бронь"\n', "expected a list of strings"),
    ('[lint]\nselect = [\n', "not valid TOML"),
])
def test_invalid_config_is_a_usage_error_naming_the_key(tmp_path: Path, toml: str,
                                                        words: str) -> None:
    write(tmp_path / "funnelc.toml", toml)
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, _out, err = run("check", str(f))
    assert code == 2
    assert words in err, err
    assert str(tmp_path / "funnelc.toml") in err
    assert err.startswith("error: ") and "Traceback" not in err


def test_invalid_pyproject_table_names_the_full_key(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.funnelc.lint.graveyard-stage]\nx = 1\n")
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, _, err = run("check", str(f))
    assert code == 2
    assert "`tool.funnelc.lint.graveyard-stage.x`: `graveyard-stage` has no option `x`" in err


def test_missing_explicit_config(tmp_path: Path) -> None:
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    code, _, err = run("check", "--config", str(tmp_path / "nope.toml"), str(f))
    assert code == 2 and "no such config file" in err


def test_stdin_uses_the_config_of_the_working_folder(tmp_path: Path) -> None:
    write(tmp_path / "funnelc.toml", '[lint]\nselect = ["FN106"]\n')
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(cli, ["check", "--format", "json", "-"], input=GRAVEYARD)
    finally:
        os.chdir(old)
    assert codes_of(result.stdout) == ["FN106"]


# ----------------------------------------------------------------------- suppressions


def test_noqa_on_the_stage_header_covers_the_stage(tmp_path: Path) -> None:
    text = GRAVEYARD.replace('stage "Отправлен расчет" {',
                             'stage "Отправлен расчет" {  # funnelc: noqa FN103, '
                             'stage-without-hint — demo of the graveyard')
    f = write(tmp_path / "a.funnel", text)
    _, out, _ = run("check", "--format", "json", "--select", "FN100,FN103,FN106", str(f))
    assert codes_of(out) == []


def test_noqa_on_a_line_covers_findings_starting_there(tmp_path: Path) -> None:
    text = GRAVEYARD.replace("stay 95%", "stay 95%  # funnelc: noqa FN103 — parked on purpose")
    f = write(tmp_path / "a.funnel", text)
    _, out, _ = run("check", "--format", "json", "--select", "FN100,FN103,FN106", str(f))
    assert codes_of(out) == ["FN106"]  # the hint finding starts on the header line


def test_unused_and_unknown_suppressions_are_reported(tmp_path: Path) -> None:
    text = GRAVEYARD.replace("-> won 5% after exp(10d)",
                             "-> won 5% after exp(10d)  # funnelc: noqa FN115 FN1O1 — x")
    f = write(tmp_path / "a.funnel", text)
    code, _, err = run("check", "--select", "FN100,FN115", str(f))
    assert "warning[FN100]: unused suppression of `FN115`" in err
    assert "warning[FN100]: `FN1O1` is not a lint rule" not in err  # prose, not a code
    assert code == 1


def test_a_hash_inside_a_name_is_not_a_suppression(tmp_path: Path) -> None:
    text = GRAVEYARD.replace("Отправлен расчет", "Расчет # funnelc: noqa FN103")
    f = write(tmp_path / "a.funnel", text)
    _, out, _ = run("check", "--format", "json", "--select", "FN103", str(f))
    assert codes_of(out) == ["FN103"]


# ----------------------------------------------------------------------- SARIF


def _sarif_schema() -> dict:
    return json.loads((CASES / "lint" / "sarif-2.1.0-subset.schema.json").read_text())


def test_sarif_output_is_valid_and_complete(tmp_path: Path) -> None:
    text = GRAVEYARD.replace('stage "Отправлен расчет" {',
                             'stage "Отправлен расчет" {  # funnelc: noqa FN106 — demo only')
    f = write(tmp_path / "Воронка продаж.funnel", text)
    bad = write(tmp_path / "bad.funnel", GRAVEYARD.replace("-> won 5%", '-> "Нет" 5%'))
    code, out, err = run("check", "--format", "sarif", str(f), str(bad))
    assert code == 1 and err == ""
    log = json.loads(out)
    jsonschema.validate(log, _sarif_schema())
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run0 = log["runs"][0]
    driver = run0["tool"]["driver"]
    assert driver["name"] == "funnelc"
    ids = [r["id"] for r in driver["rules"]]
    assert ids[: len(RULES)] == [r.code for r in RULES]
    assert "FN201" in ids  # error codes that occur get a descriptor too
    graveyard = driver["rules"][ids.index("FN103")]
    assert graveyard["name"] == "graveyard-stage"
    assert graveyard["defaultConfiguration"]["level"] == "warning"
    assert "кладбище" in graveyard["help"]["markdown"]
    results = run0["results"]
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
    fn103 = next(r for r in results if r["ruleId"] == "FN103")
    loc = fn103["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith(
        "%D0%92%D0%BE%D1%80%D0%BE%D0%BD%D0%BA%D0%B0%20%D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6.funnel")
    assert loc["region"]["startLine"] == 5 and loc["region"]["startColumn"] == 10
    suppressed = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["FN106"]
    assert suppressed[0]["suppressions"][0] == {"kind": "inSource", "justification": "demo only"}
    assert any(r["ruleId"] == "FN201" and r["level"] == "error" for r in results)


def test_sarif_relative_paths_stay_relative(tmp_path: Path) -> None:
    write(tmp_path / "f" / "a.funnel", GRAVEYARD)
    _, out, _ = run("check", "--format", "sarif", "--select", "FN103", "f/a.funnel", cwd=tmp_path)
    (res,) = json.loads(out)["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "f/a.funnel"


# ----------------------------------------------------------------------- rules, rule, docs


def test_rules_lists_every_rule() -> None:
    code, out, _ = run("rules")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(RULES)
    for rule, line in zip(RULES, lines):
        assert line.split()[:2] == [rule.code, rule.name]
        assert rule.default_severity.value in line
    code, out, _ = run("rules", "--format", "json")
    data = json.loads(out)
    assert [d["code"] for d in data] == [r.code for r in RULES]
    assert data[7]["options"]["max-fields"] == 25


def test_rules_and_their_docs_are_listed_in_code_order() -> None:
    """FN126-FN132, added in a different order, were listed FN116, FN129, FN117 … FN125,
    FN130, FN131, FN126, FN127, FN128, FN132 by `funnelc rules` and docs/rules.md: a
    consultant looking for FN129 after FN128 did not find it."""
    _, out, _ = run("rules")
    codes = [line.split()[0] for line in out.splitlines()]
    assert codes == sorted(codes)
    headings = re.findall(r"^## (FN\d+) ", rules_markdown(), re.M)
    assert headings == sorted(headings) and len(headings) == len(RULES)


@pytest.mark.parametrize("key", ["FN103", "fn103", "graveyard-stage"])
def test_rule_prints_the_docs(key: str) -> None:
    code, out, _ = run("rule", key)
    assert code == 0
    assert out.startswith("FN103 graveyard-stage (problem, default warning)")
    for section in ("What", "Why", "Bad", "Good", "Seed"):
        assert f"\n{section}\n" in out
    assert "кладбище" in out


def test_rule_prints_options() -> None:
    _, out, _ = run("rule", "long-cadence")
    assert "max-touches = 5" in out


def test_unknown_rule_is_a_usage_error() -> None:
    code, _, err = run("rule", "graveyard")
    assert code == 2 and "did you mean `graveyard-stage`" in err


def test_docs_rules_md_is_up_to_date() -> None:
    path = ROOT / "docs" / "rules.md"
    if os.environ.get("FUNNELC_UPDATE_GOLDEN"):
        path.write_text(rules_markdown(), encoding="utf-8")
    assert path.exists(), "no docs/rules.md: run `python -m funnelc.lint.docs`"
    assert path.read_text(encoding="utf-8") == rules_markdown(), (
        "docs/rules.md is stale: run `python -m funnelc.lint.docs`")
    _, out, _ = run("rules", "--format", "markdown")
    assert out == rules_markdown()


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "funnelc-check"
    assert hook["entry"] == "funnelc check" and hook["language"] == "python"
    import re

    assert re.search(hook["files"], "clients/acme/sales.funnel")
    assert not re.search(hook["files"], "README.md")


# ----------------------------------------------------------------------- cost


_PROBE = """
import json, os, sys
from funnelc.cli import main
try:
    main(sys.argv[1:])
except SystemExit as e:
    code = e.code
mods = {m.split('.')[0] for m in sys.modules}
json.dump({"code": code, "heavy": sorted(mods & {"numpy", "scipy", "simpy", "matplotlib"}),
           "pymorphy3": "pymorphy3" in mods}, open(os.environ["PROBE_OUT"], "w"))
"""


@pytest.mark.parametrize("select, morph", [(None, True), ("FN101,FN103,FN116", False)])
def test_lint_stays_light(tmp_path: Path, select: str | None, morph: bool) -> None:
    """No numeric stack on the check path; pymorphy3 only when a naming rule runs."""
    f = write(tmp_path / "a.funnel", GRAVEYARD)
    out = tmp_path / "probe.json"
    args = ["check", str(f)] + (["--select", select] if select else [])
    subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=tmp_path, timeout=60,
                   env=dict(os.environ, PROBE_OUT=str(out)), capture_output=True, text=True)
    probe = json.loads(out.read_text())
    assert probe["code"] == 1
    assert probe["heavy"] == []
    assert probe["pymorphy3"] is morph
