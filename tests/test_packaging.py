"""The package as users install it. The grammar lives in `dsl/` outside the package and
ships as `funnelc.dsl` through a setuptools mapping (research §1.10): this is the
test that notices when a wheel loses the grammar, or a new subpackage is missing from
`pyproject.toml`'s explicit package list, before a user does.

The wheel is built offline from a copy of the checkout (an in-tree setuptools build
keeps a `build/` directory whose stale modules leak into later wheels) and installed
into a fresh venv that borrows the dependencies of the environment running the tests,
so no network is needed. The borrowing is a `.pth` file naming that environment's
site-packages, not `--system-site-packages`: when the tests run inside a virtualenv
(README's set-up), `sys.executable`'s base interpreter has none of the dependencies."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from conftest import CASES, ROOT

pytestmark = pytest.mark.slow

CLEAN = CASES / "cli" / "clean.funnel"
PACKAGE_DATA_SUFFIXES = {".py", ".json", ".html", ".css", ".md", ".typed", ".po"}


def _clean_env() -> dict[str, str]:
    """The environment without anything that would point Python back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=_clean_env(),
                          **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(argv)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _running_site_packages() -> list[str]:
    """Where the interpreter running the tests finds its dependencies: the venv's own
    site-packages, the base ones it may include, and the user site if it is on."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def _venv_borrowing_dependencies(venv: Path) -> Path:
    """A fresh venv that sees the running environment's packages, and its python.

    The `.pth` lists plain directories, so `.pth` files inside them (the checkout's
    editable-install finder among them) are not run: `funnelc` can come only from the
    wheel installed into the venv's own site-packages, which is earlier on `sys.path`."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    own = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
               ).stdout.strip()
    (Path(own) / "_funnelc_test_borrowed.pth").write_text(
        "".join(d + "\n" for d in _running_site_packages()), encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("wheel", reason="building a wheel offline needs the `wheel` package "
                                        "(it is in the `test` extra)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for item in ("pyproject.toml", "README.md", "LICENSE", "src", "dsl"):
        path = ROOT / item
        if path.is_dir():
            shutil.copytree(path, src / item, ignore=ignore)
        elif path.exists():
            shutil.copy2(path, src / item)
    if not (src / "README.md").exists():  # pyproject names it as the long description
        (src / "README.md").write_text("funnelc\n", encoding="utf-8")
    out = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", str(out), str(src)])
    [built] = out.glob("funnelc-*.whl")
    return built


def test_wheel_contains_the_grammar(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "funnelc/dsl/grammar.lark" in names
    assert "funnelc/dsl/__init__.py" in names
    assert "funnelc/py.typed" in names


def test_wheel_contains_every_module_of_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "src" / "funnelc"
    expected = {
        "funnelc/" + p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix in PACKAGE_DATA_SUFFIXES and "__pycache__" not in p.parts
    }
    missing = sorted(expected - names)
    assert not missing, ("not in the wheel (add the subpackage to [tool.setuptools] packages "
                         f"in pyproject.toml): {missing}")


def test_wheel_installs_and_checks_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = _venv_borrowing_dependencies(venv)
    # The running environment's pip (borrowed) installs into the venv; --ignore-installed
    # because the metadata of the checkout's editable funnelc is visible too.
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
          "-q", str(wheel)])

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    account = outside / "account.funnel"
    account.write_bytes(CLEAN.read_bytes())

    where = _run([str(python), "-c",
                  "import funnelc, importlib.resources as r; print(funnelc.__file__); "
                  "print(r.files('funnelc.dsl').joinpath('grammar.lark'))"],
                 cwd=outside).stdout.split()
    site = venv.resolve()
    assert all(Path(p).resolve().is_relative_to(site) for p in where), where

    proc = subprocess.run([str(venv / "bin" / "funnelc"), "check", str(account)], cwd=outside,
                          capture_output=True, text=True, timeout=120, env=_clean_env())
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr

    bad = outside / "bad.funnel"
    bad.write_text("team A size x\n", encoding="utf-8")
    proc = subprocess.run([str(venv / "bin" / "funnelc"), "check", str(bad)], cwd=outside,
                          capture_output=True, text=True, timeout=120, env=_clean_env())
    assert proc.returncode == 1
    assert "error[FN001]" in proc.stderr, "the installed grammar must parse and report"


def test_editable_install_finds_the_grammar_in_dsl() -> None:
    import funnelc
    from funnelc.syntax import parser

    if not Path(funnelc.__file__).resolve().is_relative_to(ROOT / "src"):
        pytest.skip("funnelc is not installed editable from this checkout")
    grammar = resources.files("funnelc.dsl").joinpath("grammar.lark")
    assert Path(str(grammar)).resolve() == (ROOT / "dsl" / "grammar.lark").resolve()
    assert "start:" in grammar.read_text(encoding="utf-8")
    assert parser().parse("team A size 3\n") is not None
