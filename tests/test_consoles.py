"""Every rich console comes from `funnelc.termtext` (markup off, `WIDE` columns into a
pipe, `--color`/`NO_COLOR` decided in one place): no other module constructs one."""

from __future__ import annotations

import ast
from pathlib import Path

from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli

SRC = Path(__file__).resolve().parent.parent / "src" / "funnelc"


def test_only_termtext_constructs_a_console() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "termtext.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr \
                    if isinstance(f, ast.Attribute) else ""
                if name == "Console":
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, "build consoles with funnelc.termtext: " + ", ".join(found)


def test_text_written_to_a_file_is_plain_and_wide(tmp_path: Path) -> None:
    out = tmp_path / "whatif.txt"
    r = CliRunner().invoke(cli, ["whatif", str(PIPELINES / "saleschef.funnel"), "--days", "30",
                                 "--warmup", "5", "--reps", "2", "--jobs", "1",
                                 "-o", str(out)], color=True)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) > 80
