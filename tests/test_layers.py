"""The architecture contracts of pyproject.toml ([tool.importlinter]), run by pytest so a
violation fails the suite even where `lint-imports` is not run by hand; `.ci/run` runs
`lint-imports` itself too.

The contracts are checked on the real tree, and shown to bite: a copy of the package
with one upward import (lazy, inside a function) or one `import click` in a library
module must break them, naming the offending import."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "funnelc"
# Above the commands or the commands themselves: the only modules allowed to import click
# (docs_gen reads the click definitions to write the command pages of the docs).
CLI_SIDE = {"__main__", "cli", "commands", "docs_gen"}


def _lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`lint-imports` as CI runs it, through this interpreter (no reliance on PATH), with
    no cache written into the checkout."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c",
         "from importlinter.cli import lint_imports_command; lint_imports_command()",
         "--no-cache"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _contracts() -> list[dict[str, object]]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["tool"]["importlinter"]["contracts"])


def _names(value: object) -> list[str]:
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), value
    return value


def _top_level_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    return names


def test_contracts_are_kept() -> None:
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"Contracts: 2 kept, 0 broken\.", run.stdout), run.stdout


def test_every_library_module_is_forbidden_click() -> None:
    """The layers contract is exhaustive by itself; the click contract lists its source
    modules by hand, so a new top-level module must be added there too."""
    (contract,) = [c for c in _contracts() if c["type"] == "forbidden"]
    assert _names(contract["forbidden_modules"]) == ["click"]
    sources = {m.removeprefix("funnelc.") for m in _names(contract["source_modules"])}
    missing = _top_level_modules() - CLI_SIDE - sources
    assert not missing, (f"add {sorted('funnelc.' + m for m in missing)} to the source_modules "
                         "of the click contract in pyproject.toml")
    assert not sources & CLI_SIDE


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "funnelc",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return src


@pytest.mark.parametrize(("module", "code", "contract", "offence"), [
    # A core module reaching up to the commands lazily, inside a function: the pattern
    # of report/whatif once importing write_atomic from funnelc.commands.common.
    ("numfmt.py", "\n\ndef _upward() -> None:\n    from .commands import common  # noqa: F401\n",
     "Layers: core -> engines -> features -> commands -> cli BROKEN",
     "funnelc.numfmt -> funnelc.commands.common"),
    # A library module speaking click: the pattern of the old funnelc.lint.session.
    ("lint/runner.py", "\nimport click  # noqa: E402,F401\n",
     "Only funnelc.commands and funnelc.cli import click BROKEN",
     "funnelc.lint.runner -> click"),
])
def test_a_violation_breaks_the_contract(tmp_path: Path, module: str, code: str,
                                         contract: str, offence: str) -> None:
    src = _copy_package(tmp_path)
    with open(src / "funnelc" / module, "a", encoding="utf-8") as f:
        f.write(code)
    run = _lint_imports(tmp_path, pythonpath=src)
    assert run.returncode == 1, run.stdout + run.stderr
    assert contract in run.stdout
    assert offence in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
