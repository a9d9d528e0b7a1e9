"""`funnelc export` as a user runs it, for every target but amoCRM (its own tests):
stdout or `-o FILE` (same bytes, written atomically), folder targets needing `-o DIR`,
an unknown target (exit 2 with a did-you-mean), a file with errors (exit 1, nothing
written) and outputs that cannot be written (exit 2, no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from export_helpers import chain, one_pipeline
from funnelc.cli import cli

FILE_TARGETS = ["bitrix24", "pipedrive", "hubspot", "mermaid", "dot", "playbook-md",
                "playbook-html", "json"]
GOOD = one_pipeline('  stage "Заявка" { -> "КП" 50%\n -> lost "Нецелевой" 50% }\n'
                    '  stage "КП" key { requires "Бюджет"\n -> won }', 'field "Бюджет" money')
BAD = one_pipeline('  stage "Заявка" { -> "Нет такого" }')


def invoke(args: list[str]):
    return CliRunner().invoke(cli, args, env={"NO_COLOR": "1"})


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "account.funnel"
    path.write_text(GOOD, encoding="utf-8")
    return path


@pytest.mark.parametrize("target", FILE_TARGETS)
def test_stdout_and_o_give_the_same_bytes(target: str, good: Path, tmp_path: Path) -> None:
    printed = invoke(["export", str(good), "--to", target])
    assert printed.exit_code == 0, printed.output
    assert printed.stdout and printed.stderr == ""
    out = tmp_path / "out" / f"result.{target}"
    written = invoke(["export", str(good), "--to", target, "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert written.stdout == "" and f"wrote {out}" in written.stderr
    assert out.read_text(encoding="utf-8") == printed.stdout
    dash = invoke(["export", str(good), "--to", target, "-o", "-"])
    assert dash.stdout == printed.stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left


@pytest.mark.parametrize("target", FILE_TARGETS)
def test_o_replaces_an_existing_file_whole(target: str, good: Path, tmp_path: Path) -> None:
    out = tmp_path / "result"
    out.write_text("old content that is longer than nothing\n" * 1000, encoding="utf-8")
    assert invoke(["export", str(good), "--to", target, "-o", str(out)]).exit_code == 0
    assert "old content" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("target", [*FILE_TARGETS, "salesforce"])
def test_a_file_with_errors_exits_1_and_writes_nothing(target: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.funnel"
    bad.write_text(BAD, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(["export", str(bad), "--to", target, "-o", str(out)])
    assert result.exit_code == 1
    assert "error[FN201]" in result.stderr and result.stdout == ""
    assert not out.exists()


def test_export_limits_exit_1_and_write_nothing(tmp_path: Path) -> None:
    src = tmp_path / "a.funnel"
    src.write_text(one_pipeline(chain(["Заявка", "★★★"])), encoding="utf-8")
    out = tmp_path / "bitrix24.json"
    result = invoke(["export", str(src), "--to", "bitrix24", "-o", str(out)])
    assert result.exit_code == 1 and "error[FN321]" in result.stderr
    assert not out.exists()
    ok = invoke(["export", str(src), "--to", "pipedrive", "-o", str(tmp_path / "p.json")])
    assert ok.exit_code == 0  # the same file is fine for a CRM without codes


@pytest.mark.parametrize(("typo", "guess"), [("hubspt", "hubspot"), ("bitrix", "bitrix24"),
                                             ("pipedrve", "pipedrive"), ("salesfroce", "salesforce"),
                                             ("mermiad", "mermaid")])
def test_unknown_target_exits_2_with_did_you_mean(typo: str, guess: str, good: Path) -> None:
    result = invoke(["export", str(good), "--to", typo])
    assert result.exit_code == 2
    assert f"unknown target `{typo}` (did you mean `{guess}`?)" in result.output
    assert "Traceback" not in result.output


def test_folder_target_needs_o_and_refuses_a_file(good: Path, tmp_path: Path) -> None:
    for args in ([], ["-o", "-"]):
        result = invoke(["export", str(good), "--to", "salesforce", *args])
        assert result.exit_code == 2 and "give -o DIR" in result.output
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    result = invoke(["export", str(good), "--to", "salesforce", "-o", str(afile)])
    assert result.exit_code == 2 and "is a file" in result.output
    assert afile.read_text(encoding="utf-8") == "x"


def test_unwritable_output_exits_2_without_a_traceback(good: Path, tmp_path: Path) -> None:
    result = invoke(["export", str(good), "--to", "mermaid", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: cannot write" in result.stderr and "internal failure" not in result.output


def test_help_lists_every_target() -> None:
    result = invoke(["export", "--help"])
    for target in [*FILE_TARGETS, "salesforce", "amocrm"]:
        assert target in result.output
