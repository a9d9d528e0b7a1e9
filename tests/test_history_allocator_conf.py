"""`history` (and every command that reads a history) asks polars' allocator to return
freed pages at once (`commands.history.JEMALLOC_CONF`), which only works when it is set
before polars is first imported. The `--tz` check came to import polars first, and the
1M-event benchmark's peak grew from 577 MB to 793 MB (target 600 MB) with no test failing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from funnelc.commands.history import JEMALLOC_CONF

SCRIPT = """
import os, sys
from click.testing import CliRunner
from funnelc.cli import cli
assert "polars" not in sys.modules
result = CliRunner().invoke(cli, sys.argv[1:])
print(result.exit_code, os.environ.get("_RJEM_MALLOC_CONF", ""))
"""


@pytest.mark.parametrize("command", ["history", "audit", "fit", "forecast"])
def test_the_allocator_is_told_before_polars_is_imported(tmp_path: Path, command: str) -> None:
    csv = tmp_path / "h.csv"
    csv.write_text("deal_id,timestamp,stage\n1,2026-11-02T10:00:00Z,Заявка\n"
                   "1,2026-11-03T10:00:00Z,won\n", encoding="utf-8")
    funnel = tmp_path / "f.funnel"
    funnel.write_text('pipeline "Продажи" main {\n  stage "Заявка" {\n    -> won 50%\n'
                      '    -> lost "Дорого" 50%\n  }\n}\n', encoding="utf-8")
    args = {"history": ["history", str(csv)], "audit": ["audit", str(funnel), str(csv)],
            "fit": ["fit", "--funnel", str(funnel), str(csv), "-o", str(tmp_path / "o.funnel")],
            "forecast": ["forecast", "--funnel", str(funnel), str(csv), "--reps", "2"]}[command]
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    out = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True,
                         text=True, env=env, check=True).stdout.split()
    assert out[-1].endswith(JEMALLOC_CONF), out
