"""The stage-name classifications kept on disk between runs: a second process answers
from the file without loading pymorphy3, and a corrupt file is ignored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from funnelc.lint.naming import classify_stage_name
c = classify_stage_name("Ждем оплату")
print(c.klass.value, "pymorphy3" in sys.modules)
"""


def _run(cache: Path) -> str:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), FUNNELC_NAME_CACHE="on")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_second_run_answers_from_disk_without_loading_dictionaries(tmp_path: Path) -> None:
    """First run classifies with pymorphy3 and saves; the second reads the answer."""
    assert _run(tmp_path) == "process True"
    files = list((tmp_path / "funnelc").glob("stage-names-*.json"))
    assert len(files) == 1
    assert json.loads(files[0].read_text(encoding="utf-8"))["Ждем оплату"][0] == "process"
    assert _run(tmp_path) == "process False"


def test_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    """A damaged cache file costs only the speed-up, never the answer."""
    _run(tmp_path)
    (cache_file,) = (tmp_path / "funnelc").glob("stage-names-*.json")
    cache_file.write_text("{not json", encoding="utf-8")
    assert _run(tmp_path) == "process True"
