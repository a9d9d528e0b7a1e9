"""Finding a command's child processes through Linux's /proc, for the tests that stop a
command the way a user does (Ctrl+C, `kill`) and check that no worker is left behind."""

from __future__ import annotations

import contextlib
import os
import select
import time
from pathlib import Path

__all__ = ["children", "descendants", "spawned_workers", "Watched", "ctrl_c_reaches_it"]


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.add(int(entry.name))
    return found


def descendants(pid: int, timeout: float = 30) -> set[int]:
    """The processes below `pid` (workers, a fork server and its workers), once there is
    at least one; empty when none starts within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found, frontier = set(), {pid}
        while frontier:
            frontier = set().union(*(children(p) for p in frontier)) - found
            found |= frontier
        if found:
            return found
        time.sleep(0.1)
    return set()


def spawned_workers(pid: int, count: int, timeout: float = 30) -> set[int]:
    """`count` multiprocessing workers (spawned, as funnelc's pools are) of `pid`, once
    they have started; fewer when they do not start within `timeout` seconds."""
    workers: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(workers) < count and time.monotonic() < deadline:
        workers = set()
        for p in children(pid):
            try:
                if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text(errors="replace"):
                    workers.add(p)
            except OSError:
                continue
        time.sleep(0.1)
    return workers


class Watched:
    """Processes followed by their pidfds (Linux 5.3+), opened while they run: a pidfd
    names that process, not its number, so a worker that exits and whose number the
    system gives to a new process counts as gone, and `running` waits on each one's own
    exit instead of polling /proc for a fixed time (5 s was too short at a load of 20)."""

    def __init__(self, pids: set[int]) -> None:
        self.fds: dict[int, int] = {}
        for pid in pids:
            try:
                self.fds[pid] = os.pidfd_open(pid)
            except ProcessLookupError:  # already gone
                continue

    def running(self, timeout: float) -> list[int]:
        """The processes still running after waiting up to `timeout` seconds for each to
        exit (a pidfd turns readable when its process exits, even a non-child's)."""
        deadline = time.monotonic() + timeout
        alive = []
        for pid, fd in self.fds.items():
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                alive.append(pid)
        return alive

    def kill(self) -> None:
        """SIGKILL what still runs (through its pidfd: never a stranger that took its
        number) and close the pidfds."""
        import signal

        for fd in self.fds.values():
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            os.close(fd)
        self.fds = {}


def ctrl_c_reaches_it() -> None:
    """`preexec_fn` of a command a test stops with Ctrl+C: SIGINT at its default in the
    child, as in a terminal's foreground job. A suite started in the background by a
    shell without job control (`pytest &`, a CI script run with `&`) has SIGINT ignored,
    every child inherits that, and Python (funnelc too) then never sees the press: the
    Ctrl+C tests timed out or ran to the end there, and only there."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
