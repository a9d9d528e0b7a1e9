"""Lint a big file in two processes, the first half while the semantic checks run.

On a 20 000-stage pipeline `check` spent about 0.5 s in the semantic checks and 1.4 s in
lint, one after the other, while the second core of the machine sat idle. Checks and
rules only read the model. So, after the build, a worker forked from `check` runs the
rules of `WORKER_RULES` on the same model (copy on write: nothing is parsed or copied up
front) while the parent runs the checks and then the other rules; the worker's findings
come back through a pipe and `runner.finish` puts them all together in `RULES` order, so
the report is the one `lint_report` gives.

`WORKER_RULES` only balances the two halves: the rules that build the routing flows and
the Markov chain (they share that build) and a few other slow ones, none of which finds
something on every stage (findings are pickled). Any split gives the same report.

* The worker's findings are used only when the checks found no error, as `lint_report`
  requires (rules read a model the checks have vouched for); otherwise they are
  discarded and the worker killed.
* A worker that fails in any way (an exception, a signal, findings that do not
  unpickle) sends nothing, and the parent runs the worker's rules itself, so no finding
  is lost and a bug in a rule still surfaces where it always did, with its traceback.

It runs only where it pays and is safe: on Linux (where `fork` of a process without
threads is well defined), with two or more CPUs available to the process, no other
thread running, and a file of at least `MIN_STAGES` stages (below that the fork and the
copy of the report cost more than they save). `FUNNELC_LINT_WORKER=0` turns it off.
"""

from __future__ import annotations

import contextlib
import copyreg
import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..diagnostics import Diagnostic
from ..model import FunnelFile, trusted_span
from ..span import Span
from .base import LintContext
from .config import LintConfig
from .rules import RULES
from .runner import LintReport, finish, run_rules

__all__ = ["MIN_STAGES", "WORKER_RULES", "Pending", "start", "worthwhile"]

WORKER_RULES = frozenset({
    "FN103", "FN108", "FN111", "FN116", "FN117",  # the routing flows and the Markov chain
    "FN109", "FN113", "FN114",                    # stage-name classes (FN116 reads them too)
    "FN104", "FN115", "FN119", "FN120", "FN122",
})
"""The rules the worker runs (see the module docstring). CPU seconds on a 20 000-stage
pipeline: these ~1.25 s with the fork and the pickling (the flows 0.2, the chain 0.27,
the name classes 0.11, FN120 0.17, FN115 0.12), against the parent's ~1.25 s: the
checks (~1.0 s), the rules that find something on every stage (FN101, FN102, FN106)
and the rest."""

MIN_STAGES = 2_000
"""Stages in the file from which linting in a worker is worth a fork."""

_OK = b"funnelc-lint-report\n"
"""What a worker writes before its pickled report: anything else is a failed worker."""


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worthwhile(model: FunnelFile) -> bool:
    """Whether `start` would fork for this model (see the module docstring)."""
    if os.environ.get("FUNNELC_LINT_WORKER", "1") == "0":
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    if threading.active_count() > 1 or _cpus() < 2:
        return False
    return sum(len(p.stages) for p in model.pipelines) >= MIN_STAGES


def _reduce_span(span: Span) -> tuple[Callable[..., Span], tuple[int, int, int, int, int, int]]:
    # A span as its six numbers: pydantic's own pickling (four state fields per object)
    # cost more than the lint it carried on 58 000 findings.
    return trusted_span, (span.line, span.column, span.end_line, span.end_column,
                          span.start, span.end)


Found = dict[str, list[Diagnostic]]


def _dump(found: Found) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Span: _reduce_span}
    pickler.dump(found)
    return buffer.getvalue()


@dataclass
class Pending:
    """A worker running its half of the rules: `report()` runs the other half here and
    puts both together, `cancel()` drops the worker."""

    pid: int
    fd: int
    done: bool = False

    def report(self, model: FunnelFile, comments: Iterable[object], config: LintConfig,
               path: str) -> LintReport:
        """The lint report of the model, as `lint_report` makes it. When the worker
        failed, its rules run here too (so a crashing rule raises here, as it would
        without a worker)."""
        from ..gcpause import gc_paused

        with gc_paused():
            ctx = LintContext(model)
            mine = run_rules(ctx, config, path,
                             [r for r in RULES if r.code not in WORKER_RULES])
            theirs = self.result()
            if theirs is None:
                theirs = run_rules(ctx, config, path,
                                   [r for r in RULES if r.code in WORKER_RULES])
            return finish(model, comments, config, path, {**mine, **theirs})

    def result(self) -> Found | None:
        """The worker's findings by rule, or None when it failed."""
        chunks: list[bytes] = []
        try:
            while True:
                chunk = os.read(self.fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            self._reap()
        data = b"".join(chunks)
        if not data.startswith(_OK):
            return None
        try:
            found = pickle.loads(memoryview(data)[len(_OK):])
        except Exception:  # noqa: BLE001 - torn findings are a failed worker: lint here
            return None
        return found if isinstance(found, dict) else None

    def cancel(self) -> None:
        """Stop the worker: the checks found errors, so its report is not wanted."""
        if not self.done:
            with contextlib.suppress(ProcessLookupError):  # it may have just finished
                os.kill(self.pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> None:
        if self.done:
            return
        self.done = True
        os.close(self.fd)
        with contextlib.suppress(ChildProcessError):  # reaped by someone else
            os.waitpid(self.pid, 0)


def start(model: FunnelFile, config: LintConfig, path: str) -> Pending | None:
    """Fork a worker that runs its rules on `model` now; None when `worthwhile` says no
    or the fork fails (the caller then lints in its own process)."""
    if not worthwhile(model):
        return None
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return None
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # pragma: no cover - runs in the worker; its report is what the tests see
        _work(read_fd, write_fd, model, config, path)
    os.close(write_fd)
    return Pending(pid, read_fd)


def _work(read_fd: int, write_fd: int, model: FunnelFile, config: LintConfig,
          path: str) -> None:  # pragma: no cover - in the worker
    """The worker's whole life: run its rules, write their findings, leave without running any of the
    parent's exit handlers or flushing its buffers (`os._exit`)."""
    status = 1
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        import gc

        gc.disable()  # a collection would walk (and so copy) every page of the model
        data = _dump(run_rules(LintContext(model), config, path,
                               [r for r in RULES if r.code in WORKER_RULES]))
        for piece in (_OK, data):
            view = memoryview(piece)
            while view:
                view = view[os.write(write_fd, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - the parent runs these rules again, shows any error
        status = 1
    finally:
        os._exit(status)
