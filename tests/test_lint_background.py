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

from funnelc.api import finish_checks, load_file
from funnelc.commands.lint_setup import LintSetup
from funnelc.lint import background
from funnelc.lint.runner import lint_report

needs_fork = pytest.mark.skipif(
    not sys.platform.startswith("linux") or background._cpus() < 2,
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


@needs_fork
def test_the_worker_is_used_for_a_big_file_and_the_report_is_lints(big: Path) -> None:
    setup = LintSetup.from_cli((), (), (), None)
    loaded = load_file(big, checks=False)
    pending = setup.start(loaded)
    assert pending is not None
    finish_checks(loaded)
    assert loaded.ok
    config = setup.config_for(loaded.path)
    from_both = pending.report(loaded.model, loaded.comments, config, loaded.path)
    assert pending.done
    assert from_both is not None
    here = lint_report(loaded, config)
    assert from_both.diagnostics == here.diagnostics
    assert [(d, s.span) for d, s in from_both.suppressed] == \
        [(d, s.span) for d, s in here.suppressed]
    assert len(here.suppressed) == 1
    # Both processes found something: the split is real.
    codes = {d.code for d in here.diagnostics}
    assert codes & background.WORKER_RULES and codes - background.WORKER_RULES


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


@needs_fork
def test_a_failing_worker_loses_nothing(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    real = background.run_rules

    def crashes_in_the_worker(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("a rule crashed")
        return real(*args, **kwargs)

    setup = LintSetup.from_cli((), (), (), None)
    loaded = load_file(big, checks=False)
    # The worker is a fork of this process: the patched function is what it runs.
    monkeypatch.setattr(background, "run_rules", crashes_in_the_worker)
    pending = setup.start(loaded)
    assert pending is not None
    finish_checks(loaded)
    # The worker sent nothing: `run` lints everything here.
    report = setup.run(loaded, pending)
    assert pending.done
    assert len(report.diagnostics) > background.MIN_STAGES
    assert report.diagnostics == lint_report(loaded, setup.config_for(loaded.path)).diagnostics
