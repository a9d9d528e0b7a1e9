"""Where the engine meets SimPy, and the one SimPy detail below its documented API it uses.

The engine (`engine.py`) drives SimPy through its public API: `Environment.schedule`
puts an event on the clock (with a delay, as SimPy's own timeouts do), `Environment.run
(until=...)` runs the clock, `Environment.now` reads it. Measured on the M/M/5 benchmark
row (benchmarks/bench_sim.py), these cost about 7 % against pushing tuples into the
environment's private `_queue` and reading its `_now`, which the engine did before.

What stays below the documented surface, kept here and nowhere else, is **what an event
is**. `Environment.step` pops an object from its heap, swaps its `callbacks` for None,
calls each callback with the object and then reads its `_ok` (False would crash the run
with `_value`). It never checks the type. So a `Happening` is a plain slotted object with
those two attributes rather than a `simpy.events.Event`:

* an `Event` subclass carries a `__dict__` and a weak-reference slot, and its attribute
  lookups go through a longer MRO; subclassing it cost a further 5 % of the benchmark row
  (13 % in all, over the 10 % the engine may spend on SimPy's API);
* `Event.succeed()`, the public way to mark an event as succeeded, schedules with zero
  delay, and a `Timeout` per happening costs an `__init__` frame, a list of callbacks and
  a `__dict__` per event, for a million deals.

A deal and a source are their own, reused, events (end of work, next arrival), a timer is
a two-slot object, and `callbacks` is a tuple built once per engine: scheduling allocates
nothing else. `check_simpy()` verifies the protocol on the installed SimPy in about
15 microseconds, once per process at the first environment, so a SimPy that broke it stops
a run with a message instead of producing figures; `tests/test_simpy_adapter.py` fails
with a clear message when a release changes it, and `pyproject.toml` pins the releases it
was verified with (`VERIFIED_SIMPY`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import simpy
from simpy.events import NORMAL

__all__ = ["NORMAL", "VERIFIED_SIMPY", "Callbacks", "Happening", "Schedule", "check_simpy",
           "new_environment", "scheduler"]

VERIFIED_SIMPY = ("4.1.0", "4.1.1", "4.1.2")
"""SimPy releases this module was checked against (keep `pyproject.toml`'s pin in step)."""

Callbacks = tuple[Callable[[Any], None], ...]
Schedule = Callable[["Happening", int, float], None]
"""`Environment.schedule(event, priority, delay)` typed for a `Happening`."""


class Happening:
    """What SimPy's `step` needs of an event: callbacks, and success (see the module
    docstring for why this is not a `simpy.events.Event`).

    Subclasses add their own `__slots__`; `callbacks` is set by whoever schedules it
    (`step` sets it to None once the event is processed)."""

    __slots__ = ("callbacks",)
    _ok = True  # read by `Environment.step` after the callbacks: the event succeeded

    callbacks: Callbacks | None


_checked = False


def new_environment() -> simpy.Environment:
    """A fresh SimPy environment, its clock at 0. The first call in a process runs
    `check_simpy()`, so an unverified SimPy that broke the protocol stops the run with a
    message instead of producing figures."""
    global _checked
    if not _checked:
        check_simpy()
        _checked = True
    return simpy.Environment()


def scheduler(env: simpy.Environment) -> Schedule:
    """`env.schedule`, bound once (the engine calls it twice per deal), for happenings."""
    return cast(Schedule, env.schedule)


def check_simpy() -> None:
    """Raise RuntimeError (naming the SimPy version) unless a `Happening` scheduled with
    `Environment.schedule` fires at its time, in order with SimPy's own timeouts, with
    its callbacks called once with the event and marked processed afterwards."""
    env = simpy.Environment()
    seen: list[tuple[str, float]] = []

    class _Probe(Happening):
        __slots__ = ("name",)
        name: str

    def fired(ev: Any) -> None:
        seen.append((ev.name if isinstance(ev, _Probe) else str(ev.value), env.now))

    a, b = object.__new__(_Probe), object.__new__(_Probe)
    a.name, b.name = "a", "b"
    a.callbacks = b.callbacks = (fired,)
    schedule = scheduler(env)
    schedule(b, NORMAL, 2.0)
    env.timeout(1.0, "t1").callbacks.append(fired)
    schedule(a, NORMAL, 1.0)
    env.timeout(2.0, "t2").callbacks.append(fired)
    want = [("t1", 1.0), ("a", 1.0), ("b", 2.0), ("t2", 2.0)]
    problem = ""
    try:
        env.run(until=3.0)
    except Exception as exc:  # noqa: BLE001 - any failure of the probe means the same
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if seen != want or a.callbacks is not None or b.callbacks is not None:
            problem = f"fired {seen}, expected {want}"
    if problem:
        raise RuntimeError(
            f"SimPy {simpy.__version__} no longer processes funnelc's events as "
            f"{VERIFIED_SIMPY[0]}-{VERIFIED_SIMPY[-1]} did ({problem}); install "
            f"simpy {VERIFIED_SIMPY[-1]} or see funnelc/sim/simpy_adapter.py")
