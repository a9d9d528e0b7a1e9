"""Shared test settings. Under CI (CI=true) heavy statistical tests run fewer
replications through `reps()`; their assertions never get weaker."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

try:
    import fcntl
except ImportError:  # Windows: `run_once` runs in each process
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
CASES = Path(__file__).resolve().parent / "cases"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATA = Path(__file__).resolve().parent / "data"
# Browser tests drive Debian's chromium through its chromedriver (.ci/run installs both).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no chromium/chromedriver: install Debian's chromium and chromium-driver "
           "(.ci/run does) to run the browser tests")

# Tests see the classifier itself, never answers a previous run left on disk
# (tests/test_stage_name_disk_cache.py turns the cache on where it is the subject).
os.environ.setdefault("FUNNELC_NAME_CACHE", "off")


DURATIONS = Path(__file__).resolve().parent / "durations.json"
"""Seconds each test file took in a full run (setup, call and teardown of its tests
summed), by path: `CI=true python -m pytest -q --store-durations` writes it (a run of some
files updates theirs). It only orders the files; a stale or missing entry costs time,
never a result."""
UNMEASURED_SLOW = 10.0
"""The weight of a file marked `slow` that durations.json does not list yet."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store-durations", action="store_true",
                     help="write each test file's seconds to tests/durations.json, which "
                          "hands the longest files to the workers first")


def _file_seconds() -> dict[str, float]:
    try:
        table = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in table.items()} if isinstance(table, dict) else {}


ALL_CORES: frozenset[int] = frozenset(
    os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1))
"""The cores the suite was given, before `pytest_configure` keeps each worker to one."""


@pytest.fixture
def all_cores() -> Iterator[None]:
    """The test (and the processes it starts) may use every core the suite was given: for
    the tests of what funnelc does with more than one."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, ALL_CORES)
    try:
        yield
    finally:
        os.sched_setaffinity(0, mine)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist, each worker keeps to a core of its own, when there are enough.

    The suite already runs one worker per core. funnelc, asked for no `--jobs`, starts a
    pool of processes as wide as the cores the process may use (`sim.config.usable_cores`,
    from the CPU affinity): inside a test worker that pool only takes the other worker's
    core, and pays for it in forks of a large process, spawned interpreters importing
    numpy and SimPy, and pickling. On sim-heavy files (test_sim_validation,
    test_client_sentences_ru_uk, test_graveyard_censoring) that was 115 s of CPU against
    85 s on one core. Pinned, each worker's runs take the serial path a one-core machine
    takes; the tests of the pools ask for `--jobs` or widen the affinity themselves
    (`all_cores`). A worker's children (the CLI in a subprocess, chromium) inherit it."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None or not hasattr(os, "sched_setaffinity"):
        return
    cores = sorted(os.sched_getaffinity(0))
    count = int(workerinput.get("workercount", 0))
    index = int(str(workerinput.get("workerid", "gw0")).removeprefix("gw") or 0)
    if count >= 2 and len(cores) >= count:
        os.sched_setaffinity(0, {cores[index % len(cores)]})
    if count >= 2:
        _share_assert_rewrites(config, index, count)


def _share_assert_rewrites(config: pytest.Config, index: int, count: int) -> None:
    """Under pytest-xdist, the workers rewrite the test files' asserts once between them,
    not once each.

    Every worker imports every test file at collection, and pytest rewrites each one's
    asserts first (parse, rewrite, compile): 14 of the 23 s of CPU a worker's collection
    took, each worker doing every test file, since neither finds a rewritten file cached
    (under PYTHONDONTWRITEBYTECODE pytest writes none; in a fresh clone both workers rewrite
    the same files at the same time). Here worker k of n rewrites every n-th file, from the
    k-th, into a folder of the session's temporary base that all of them read, before
    collection; a file the other worker has not reached yet is rewritten as pytest always
    does. The code is pytest's own rewrite of the file (`_rewrite_test`), read back by its
    own importer, so the tests and their assertions are the same. It uses pytest's
    internals: where they are not as expected, nothing is shared and pytest goes its usual
    way."""
    try:
        from _pytest.assertion import rewrite

        own_cache_dir, rewrite_test = rewrite.get_cache_dir, rewrite._rewrite_test
        write_pyc, read_pyc = rewrite._write_pyc, rewrite._read_pyc
        state = config.stash[rewrite.assertstate_key]
        tail = rewrite.PYC_TAIL
    except (ImportError, AttributeError, KeyError):
        return
    basetemp = config.option.basetemp  # the worker's, in the session's base (xdist)
    if config.getoption("assertmode") != "rewrite" or not basetemp:
        return
    shared = Path(basetemp).parent / "rewritten-tests"
    shared.mkdir(exist_ok=True)
    tests = Path(__file__).resolve().parent

    def cache_dir(path: Path) -> Path:
        return shared if path.resolve().parent == tests else own_cache_dir(path)

    rewrite.get_cache_dir = cache_dir
    # Only the files this run collects: the paths it was given (`tests` by default).
    given = [(Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
             for arg in config.args]
    collected = [fn for fn in sorted(tests.glob("test_*.py"))
                 if any(fn == path or fn.is_relative_to(path) for path in given)]
    for fn in collected[index::count]:
        pyc = shared / (fn.name[:-3] + tail)
        # pytest's internals are unpinned (`pytest>=8`): a changed signature, or a test
        # file that does not compile (pytest reports it at collection, as it always
        # does), leaves that file to pytest's own importer rather than failing the run.
        try:
            if read_pyc(fn, pyc) is None:
                source_stat, code = rewrite_test(fn, config)
                write_pyc(state, code, source_stat, pyc)
        except Exception:  # noqa: BLE001 - a cache, never a reason to fail the run
            continue


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (tests/durations.json; a file it does not list counts 0 s,
    or `UNMEASURED_SLOW` if it holds a test marked `slow`), each file's tests in their
    order. pytest-xdist hands whole files to its workers in this order
    (`--no-loadscope-reorder` in pyproject.toml), so the long files start while the short
    ones are still there to fill the end. Ordered by their number of tests, as xdist does
    by default, the files of a few long tests came last (the back-test coverage, ~110 s,
    was 167th of 206) and one core could run one of them while the other had nothing left;
    ordered by the `slow` marker alone, the unmarked files of 20-40 s (the language sweeps,
    test_windows_b24_ru_junk) still came in alphabetical order, one of them among the last."""
    seconds = _file_seconds()
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    weight: dict[Path, float] = {}
    for item in items:
        if item.path not in weight:
            rel = item.path.relative_to(ROOT).as_posix() if item.path.is_relative_to(ROOT) \
                else str(item.path)
            weight[item.path] = seconds.get(rel, UNMEASURED_SLOW if item.path in slow else 0.0)
    items.sort(key=lambda item: -weight[item.path])  # stable: a file's tests stay together


_SPENT: dict[str, float] = {}
"""Seconds per test file in this run, summed where the reports arrive (the controller
under pytest-xdist), for --store-durations."""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _SPENT[report.nodeid.split("::")[0]] = (_SPENT.get(report.nodeid.split("::")[0], 0.0)
                                            + report.duration)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not session.config.getoption("store_durations") or hasattr(session.config,
                                                                  "workerinput"):
        return
    table = _file_seconds()
    table.update({path: round(spent, 1) for path, spent in _SPENT.items()})
    DURATIONS.write_text(json.dumps(dict(sorted(table.items())), indent=0) + "\n",
                         encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _cli_once_base(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`cli_once` keeps its runs in the session's temporary base (tests/cli_once.py)."""
    import cli_once

    cli_once._FACTORY[:] = [tmp_path_factory]


def reps(local: int, ci: int) -> int:
    """Replication count for statistical tests: fewer under CI, same assertions."""
    return ci if IN_CI else local


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def pipelines_dir() -> Path:
    return PIPELINES


def data_generator(folder: str) -> ModuleType:
    """`tests/data/<folder>/generate.py`, the writer of a planted-story export, as a module:
    the tests build the export in their own temporary directory instead of keeping it."""
    spec = importlib.util.spec_from_file_location(f"{folder}_generate",
                                                  DATA / folder / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # a generator's dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PLANTED = {"furniture_uk": ("main", 7), "amocrm_school": ("write", 3),
           "clinic_b24_ru": ("main", 2), "grave_b24_ru": ("main", 0)}
"""The writer and the seed of each planted-story export whose figures the tests counted
by hand from the generator's own records."""


def planted_export(factory: pytest.TempPathFactory, folder: str) -> Path:
    """The planted-story export of `tests/data/<folder>` at the seed its tests count from,
    written into a fresh temporary directory (its `truth.json` beside it)."""
    out = factory.mktemp(folder)
    writer, seed = PLANTED[folder]
    getattr(data_generator(folder), writer)(out, seed)
    return out


def run_once(factory: pytest.TempPathFactory, key: str,
             compute: Callable[[Path], dict[str, str]]) -> tuple[dict[str, str], Path]:
    """`compute(folder)` run once in the test session, whichever files ask: its result
    (kept as JSON) and the folder it wrote its files in. Under pytest-xdist the workers
    share the session's temporary folder, a lock making a second worker wait for the first
    (the pattern pytest-xdist documents for a session fixture run once); one process, or
    a platform without `fcntl`, runs it once in its own folder."""
    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None and fcntl is not None
    # Under xdist each worker's temporary folder is in the session's folder.
    root = factory.getbasetemp().parent if shared else factory.getbasetemp()
    out = root / key
    done = out / "result.json"
    with open(root / f"{key}.lock", "w") as lock:
        if shared:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():
            out.mkdir(exist_ok=True)
            got = compute(out)
            part = done.with_suffix(".part")
            part.write_text(json.dumps(got, ensure_ascii=False), encoding="utf-8")
            part.replace(done)
        result: dict[str, str] = json.loads(done.read_text(encoding="utf-8"))
    return result, out


@contextmanager
def headless_chrome() -> Iterator[object]:
    """A headless chromium with the flags a closed network needs (no first run, no
    background or component traffic), no sandbox as root."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
