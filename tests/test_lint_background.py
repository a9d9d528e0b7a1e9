"""`check` lints a big file in a forked worker while it runs the semantic checks
(`funnelc.lint.background`): the output must be exactly what linting in one process
gives, a file with errors must show no lint, and a worker that fails must not lose a
single finding (the parent lints again)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ALL_CORES
from funnelc.api import load_file
from funnelc.commands.lint_setup import LintSetup
from funnelc.lint import background

# Seconds a test: handed out first. The worker needs a second core, which the suite's
# workers keep to themselves otherwise (conftest).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("all_cores")]

needs_fork = pytest.mark.skipif(
    not sys.platform.startswith("linux") or len(ALL_CORES) < 2,
    reason="the worker runs only on Linux with two or more CPUs")


def chain(n: int, *, broken: bool = False) -> str:
    """One pipeline of `n` chained stages with a `noqa` on one of them, so suppressions
    travel back from the worker too; `broken` adds an unknown stage (an error)."""
    out = ['account "Цепочка" {', "  currency RUB", "}", "",
           'source "Сайт" 20/day -> "Продажи"."Этап 00001"', "",
           'pipeline "Продажи" main sales {']
    for s in range(1, n + 1):
        nxt = f'"Этап {s + 1:05d}" 90% after exp(1h)' if s < n else "won 90%"
        if broken and s == n // 2:
            nxt = '"Нет такого" 90%'
        noqa = "  # funnelc: noqa FN101 — a test of suppressions" if s == 7 else ""
        sla = '    sla 7d -> lost "Не обработана"\n' if s % 10 == 0 else ""
        out += [f'  stage "Этап {s:05d}" {{{noqa}\n{sla}    -> {nxt}',
                '    -> lost "Дорого" 10% }']
    out += ['  reopen "Не обработана" 10% after exp(14d) -> "Этап 00002"', "}", ""]
    return "\n".join(out)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bg") / "big.funnel"
    path.write_text(chain(background.MIN_STAGES), encoding="utf-8")
    return path


def _check(path: Path, fmt: str, worker: bool) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUNNELC_LINT_WORKER": "1" if worker else "0"}
    return subprocess.run([sys.executable, "-m", "funnelc", "check", "--color", "never",
                           "--format", fmt, str(path)],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=300)


@needs_fork
@pytest.mark.parametrize("fmt", ["text", "sarif"])
def test_worker_output_is_the_single_process_output(big: Path, fmt: str) -> None:
    alone, forked = _check(big, fmt, worker=False), _check(big, fmt, worker=True)
    assert alone.returncode == forked.returncode == 1  # lint warnings only
    assert forked.stdout == alone.stdout
    assert forked.stderr == alone.stderr
    assert "FN101" in (alone.stderr + alone.stdout)
    if fmt == "sarif":
        assert '"suppressions"' in alone.stdout  # the noqa came back from the worker


# The worker forks only from a process with no other thread (fork copies one thread
# and whatever locks the others hold). A test run has threads of its own (test servers,
# executors), so these checks run in a fresh interpreter, as `funnelc check` does.
_IN_FRESH_PROCESS = """
import json, os, sys
from funnelc.api import finish_checks, load_file
from funnelc.commands.lint_setup import LintSetup
from funnelc.lint import background
from funnelc.lint.runner import lint_report

path, crash = sys.argv[1], sys.argv[2] == "crash"
if crash:  # the worker is a fork of this process: the patched function is what it runs
    parent, real = os.getpid(), background.run_rules

    def crashes_in_the_worker(*args, **kwargs):
        if os.getpid() != parent:
            raise RuntimeError("a rule crashed")
        return real(*args, **kwargs)

    background.run_rules = crashes_in_the_worker
setup = LintSetup.from_cli((), (), (), None)
loaded = load_file(path, checks=False)
pending = setup.start(loaded)
finish_checks(loaded)
config = setup.config_for(loaded.path)
out = {"started": pending is not None, "ok": loaded.ok}
if pending is not None:
    sent = []
    result = background.Pending.result

    def recorded(self):
        found = result(self)
        sent.append(found is not None)
        return found

    background.Pending.result = recorded
    both = setup.run(loaded, pending)  # the command's own path: the worker's, or here
    here = lint_report(loaded, config)
    out.update(worker_sent=sent == [True], same=both.diagnostics == here.diagnostics,
               same_suppressed=[(d, s.span) for d, s in both.suppressed]
               == [(d, s.span) for d, s in here.suppressed],
               suppressed=len(here.suppressed), findings=len(both.diagnostics),
               codes=sorted({d.code for d in here.diagnostics}))
print(json.dumps(out))
"""


def _fresh(path: Path, mode: str) -> dict[str, Any]:
    import json

    done = subprocess.run([sys.executable, "-c", _IN_FRESH_PROCESS, str(path), mode],
                          capture_output=True, text=True, timeout=300, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@needs_fork
def test_the_worker_is_used_for_a_big_file_and_the_report_is_lints(big: Path) -> None:
    got = _fresh(big, "plain")
    assert got["started"] and got["ok"] and got["worker_sent"]
    assert got["same"] and got["same_suppressed"] and got["suppressed"] == 1
    # Both processes found something: the split is real.
    codes = set(got["codes"])
    assert codes & background.WORKER_RULES and codes - background.WORKER_RULES


@needs_fork
def test_a_failing_worker_loses_nothing(big: Path) -> None:
    got = _fresh(big, "crash")
    assert got["started"] and not got["worker_sent"]
    assert got["same"] and got["findings"] > background.MIN_STAGES


def test_another_thread_keeps_lint_in_process(big: Path) -> None:
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert LintSetup.from_cli((), (), (), None).start(load_file(big, checks=False)) is None
    finally:
        stop.set()
        thread.join()


def test_small_files_and_the_switch_keep_lint_in_process(big: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    small = tmp_path / "small.funnel"
    small.write_text(chain(20), encoding="utf-8")
    setup = LintSetup.from_cli((), (), (), None)
    assert setup.start(load_file(small, checks=False)) is None
    monkeypatch.setenv("FUNNELC_LINT_WORKER", "0")
    assert setup.start(load_file(big, checks=False)) is None


@needs_fork
def test_a_file_with_errors_drops_the_workers_report(tmp_path: Path) -> None:
    path = tmp_path / "broken.funnel"
    path.write_text(chain(background.MIN_STAGES, broken=True), encoding="utf-8")
    alone, forked = _check(path, "text", worker=False), _check(path, "text", worker=True)
    assert forked.returncode == alone.returncode == 1
    assert forked.stderr == alone.stderr
    assert "error[FN201]" in forked.stderr
    assert "FN101" not in forked.stderr  # no lint on a file with errors
