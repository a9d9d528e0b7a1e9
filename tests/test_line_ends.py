"""Line ends: `\\n`, `\\r\\n` and a lone `\\r` all end a line (issue 11, section 3).

A file written with lone CRs used to be read as one line: after a leading `#`, one
comment, so `check` passed it clean, `export` wrote an empty model and `simulate` ran an
empty account. Every test here goes through the CLI, as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import CASES
from funnelc.cli import cli

CLEAN = CASES / "cli" / "clean.funnel"
ISSUE_BYTES = b"# header\rteam B size 0\rpipeline P { stage S { -> nowhere } }\r"
"""The exact input of issue 11."""


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _findings(path: Path) -> list[dict]:
    code, out, _ = _run(["check", "--no-lint", "--format", "json", str(path)])
    assert code in (0, 1)
    return json.loads(out)["diagnostics"]


@pytest.fixture
def issue_file(tmp_path: Path) -> Path:
    path = tmp_path / "x.funnel"
    path.write_bytes(ISSUE_BYTES)
    return path


def test_issue_file_is_checked_line_by_line(issue_file: Path) -> None:
    found = {(d["code"], d["span"]["line"], d["span"]["column"]) for d in _findings(issue_file)}
    assert ("FN217", 2, 13) in found, found  # team size 0 on line 2
    assert ("FN201", 3, 27) in found, found  # unknown stage `nowhere` on line 3
    code, _, err = _run(["check", "--color", "never", str(issue_file)])
    assert code == 1
    assert f"{issue_file}:3:27" in err and "unknown stage `nowhere`" in err
    assert "\r" not in err, "a source line is shown without its CR"
    assert "3 | pipeline P { stage S { -> nowhere } }" in err


def test_issue_file_is_not_exported(issue_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    code, _stdout, err = _run(["export", "--to", "json", "-o", str(out), str(issue_file)])
    assert code == 1, err
    assert not out.exists(), "nothing is written for a file with errors"
    assert "FN201" in err and "FN217" in err


def test_issue_file_is_not_simulated(issue_file: Path) -> None:
    code, stdout, err = _run(["simulate", "--days", "5", "--warmup", "0", "--reps", "1",
                              "--jobs", "1", str(issue_file)])
    assert code == 1, (stdout, err)
    assert "FN201" in err


@pytest.mark.parametrize("end", ["\r", "\r\n"])
def test_a_clean_file_means_the_same_with_any_line_end(end: str, tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    lf, other = tmp_path / "lf.funnel", tmp_path / "other.funnel"
    lf.write_bytes(text.encode("utf-8"))
    other.write_bytes(text.replace("\n", end).encode("utf-8"))
    models = []
    for path in (lf, other):
        code, _, err = _run(["export", "--to", "json", str(path)])
        assert code == 0, err
        models.append(json.loads(_run(["export", "--to", "json", str(path)])[1]))
    assert models[0]["pipelines"], "the model is not empty"
    assert _strip_positions(models[0]) == _strip_positions(models[1])
    # Lint findings point at the same lines and columns.
    lint = [_run(["check", "--format", "json", str(p)])[1] for p in (lf, other)]
    spans = [[(d["code"], d["span"]["line"], d["span"]["column"])
              for d in json.loads(s)["diagnostics"]] for s in lint]
    assert spans[0] == spans[1]


def _strip_positions(value: object) -> object:
    """The model without spans or paths (offsets differ by the CRs of CRLF)."""
    if isinstance(value, dict):
        return {k: _strip_positions(v) for k, v in value.items()
                if k not in ("span", "size_span", "path", "source", "file")}
    if isinstance(value, list):
        return [_strip_positions(v) for v in value]
    return value


def test_mixed_line_ends_count_every_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.funnel"
    path.write_bytes(b"# one\r\n# two\r# three\n\r\nteam B size 0\r")
    found = _findings(path)
    assert [(d["code"], d["span"]["line"]) for d in found] == [("FN217", 5)]


def test_lone_cr_ends_a_quoted_name(tmp_path: Path) -> None:
    """A CR inside quotes is a line end, as the editor shows it: the text is unterminated
    on line 1, not a name with a CR in it."""
    path = tmp_path / "quote.funnel"
    path.write_bytes(b'team "A\rB" size 1\r')
    found = _findings(path)
    assert found and found[0]["code"] == "FN003"
    assert (found[0]["span"]["line"], found[0]["span"]["column"]) == (1, 6)


def test_fmt_reads_lone_cr_and_writes_lf(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    lf, cr = tmp_path / "lf.funnel", tmp_path / "cr.funnel"
    lf.write_bytes(text.encode("utf-8"))
    cr.write_bytes(text.replace("\n", "\r").encode("utf-8"))
    code_lf, out_lf, _ = _run(["fmt", str(lf)])
    code_cr, out_cr, _ = _run(["fmt", str(cr)])
    assert code_lf == code_cr == 0
    assert out_cr == out_lf and "\r" not in out_cr
    assert "Заявка получена" in out_cr
    code, _, err = _run(["fmt", "--check", str(cr)])
    assert code == 1 and "would reformat" in err
    code, _, err = _run(["fmt", "--write", str(cr)])
    assert code == 0, err
    assert cr.read_bytes() == out_lf.encode("utf-8")
    assert _run(["fmt", "--check", str(cr)])[0] == 0


def test_fmt_diff_of_a_file_differing_only_in_lone_crs(tmp_path: Path) -> None:
    canonical = _run(["fmt", str(CLEAN)])[1]
    cr = tmp_path / "cr.funnel"
    cr.write_bytes(canonical.replace("\n", "\r").encode("utf-8"))
    code, _out, err = _run(["fmt", "--diff", str(cr)])
    assert code == 1
    assert "CR line ends into LF" in err


def test_comment_ended_by_lone_cr_keeps_the_code_after_it(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    path = tmp_path / "c.funnel"
    path.write_bytes(("# header\r" + text).encode("utf-8"))
    code, out, err = _run(["fmt", str(path)])
    assert code == 0, err
    assert out.startswith("# header\n") and 'team "Менеджеры" size 2' in out
