"""Finding a command's child processes through Linux's /proc, for the tests that stop a
command the way a user does (Ctrl+C, `kill`) and check that no worker is left behind."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["children", "descendants", "spawned_workers"]


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
