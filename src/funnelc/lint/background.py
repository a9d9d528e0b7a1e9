"""Lint a big file in a forked worker while the parent runs the semantic checks.

On a 20 000-stage pipeline `check` spent about 0.9 s in the semantic checks and 1.2 s in
lint, one after the other, while the second core of the machine sat idle. Both only read
the model. So, after the build, a child process forked from `check` lints the same model
(copy on write: nothing is parsed or copied up front) while the parent checks it, and
sends its `LintReport` back through a pipe.

The result is the one `lint_report` gives, or nothing:

* the worker's report is used only when the checks found no error, as `lint_report`
  requires (rules read a model the checks have vouched for); otherwise it is discarded
  and the worker killed;
* a worker that fails in any way (an exception, a signal, a report that does not
  unpickle) sends nothing, and the caller lints in its own process, so a bug in a rule
  still surfaces where it always did, with its traceback.

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import FunnelFile, trusted_span
from ..span import Span
from .config import LintConfig
from .runner import LintReport, lint_model

__all__ = ["MIN_STAGES", "Pending", "start", "worthwhile"]

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


def _reduce_span(span: Span) -> tuple[Any, tuple[int, int, int, int, int, int]]:
    # A span as its six numbers: pydantic's own pickling (four state fields per object)
    # cost more than the lint it carried on 58 000 findings.
    return trusted_span, (span.line, span.column, span.end_line, span.end_column,
                          span.start, span.end)


def _dump(report: LintReport) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, Span: _reduce_span}
    pickler.dump(report)
    return buffer.getvalue()


@dataclass
class Pending:
    """A worker linting the model: `result()` collects its report, `cancel()` drops it."""

    pid: int
    fd: int
    done: bool = False

    def result(self) -> LintReport | None:
        """The worker's report, or None when it failed (then lint in this process)."""
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
            report = pickle.loads(memoryview(data)[len(_OK):])
        except Exception:  # noqa: BLE001 - a torn report is a failed worker: lint here
            return None
        return report if isinstance(report, LintReport) else None

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


def start(model: FunnelFile, comments: Iterable[Any], config: LintConfig,
          path: str) -> Pending | None:
    """Fork a worker that lints `model` now; None when `worthwhile` says no or the fork
    fails (the caller then lints in its own process)."""
    if not worthwhile(model):
        return None
    comments = list(comments)
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
        _work(read_fd, write_fd, model, comments, config, path)
    os.close(write_fd)
    return Pending(pid, read_fd)


def _work(read_fd: int, write_fd: int, model: FunnelFile, comments: list[Any],
          config: LintConfig, path: str) -> None:  # pragma: no cover - in the worker
    """The worker's whole life: lint, write the report, leave without running any of the
    parent's exit handlers or flushing its buffers (`os._exit`)."""
    status = 1
    try:
        os.close(read_fd)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        import gc

        gc.disable()  # a collection would walk (and so copy) every page of the model
        data = _dump(lint_model(model, comments, config, path))
        for piece in (_OK, data):
            view = memoryview(piece)
            while view:
                view = view[os.write(write_fd, view):]
        status = 0
    except BaseException:  # noqa: BLE001 - the parent lints again and shows any error
        status = 1
    finally:
        os._exit(status)
