"""SimPy, used safely (issue 12, part 5): the engine drives SimPy through its public API,
and the one detail below it (what `Environment.step` needs of an event) lives in
`funnelc.sim.simpy_adapter`. These tests fail with a message naming the SimPy release
when that detail changes, and keep private SimPy attributes out of every other module."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import simpy
from simpy.events import NORMAL, URGENT

from funnelc.sim.simpy_adapter import VERIFIED_SIMPY, Happening, check_simpy, scheduler

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "funnelc"
WHERE = "see src/funnelc/sim/simpy_adapter.py"


class _Probe(Happening):
    __slots__ = ("name",)
    name: str


def _probe(name: str, callbacks: tuple[Any, ...]) -> _Probe:
    p = object.__new__(_Probe)
    p.name = name
    p.callbacks = callbacks
    return p


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _simpy_pin() -> tuple[str, str]:
    """The `simpy>=LOW,<HIGH` bounds in pyproject.toml."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"simpy\b", d, re.IGNORECASE)]
    assert len(pins) == 1, f"pyproject.toml should name simpy once, found {pins}"
    bounds = re.fullmatch(r"simpy\s*>=\s*([\d.]+)\s*,\s*<\s*([\d.]+)", pins[0])
    assert bounds, f"pin SimPy to the verified releases as simpy>=LOW,<HIGH, not {pins[0]!r}"
    return bounds[1], bounds[2]


def test_installed_simpy_is_a_release_the_adapter_was_verified_with() -> None:
    low, high = _simpy_pin()
    assert simpy.__version__ in VERIFIED_SIMPY, (
        f"SimPy {simpy.__version__} is installed, but the engine was verified with "
        f"{', '.join(VERIFIED_SIMPY)} only: run this file against it, then add it to "
        f"VERIFIED_SIMPY and to the simpy pin in pyproject.toml ({WHERE})")
    outside = [v for v in VERIFIED_SIMPY if not _release(low) <= _release(v) < _release(high)]
    assert not outside, f"VERIFIED_SIMPY {outside} lie outside pyproject's simpy>={low},<{high}"
    newest = max(_release(v) for v in VERIFIED_SIMPY)
    assert _release(high) <= (newest[0], newest[1] + 1), (
        f"simpy<{high} admits minor releases nobody verified (newest verified: "
        f"{'.'.join(map(str, newest))})")


def test_the_adapters_own_check_passes_on_the_installed_simpy() -> None:
    check_simpy()


def test_step_calls_a_happenings_callbacks_once_with_it_and_marks_it_processed() -> None:
    env = simpy.Environment()
    calls: list[tuple[Any, float]] = []
    ev = _probe("a", (lambda e: calls.append((e, env.now)), lambda e: calls.append((e, -1.0))))
    scheduler(env)(ev, NORMAL, 1.5)
    assert env.peek() == 1.5, f"SimPy {simpy.__version__}: peek() does not see a happening"
    env.step()
    assert calls == [(ev, 1.5), (ev, -1.0)], (
        f"SimPy {simpy.__version__} no longer calls each callback of a non-Event with it "
        f"at its time ({WHERE})")
    assert ev.callbacks is None, (
        f"SimPy {simpy.__version__} no longer sets a processed event's callbacks to None, "
        f"which the engine relies on to reuse deals and sources as events ({WHERE})")


def test_step_still_reads_ok_so_happenings_must_declare_success() -> None:
    """If `_ok` stopped mattering this would not raise, and `Happening._ok` would be
    dead weight; if SimPy renamed it, step would raise AttributeError on every event."""

    class _Failed(Happening):
        __slots__ = ("_value",)
        _ok = False
        _value: BaseException

    env = simpy.Environment()
    bad = object.__new__(_Failed)
    bad.callbacks = ()
    bad._value = ValueError("boom")
    scheduler(env)(bad, NORMAL, 0.0)
    with pytest.raises(ValueError, match="boom"):
        env.step()


def test_happenings_interleave_with_simpy_events_by_time_priority_and_insertion() -> None:
    env = simpy.Environment()
    schedule = scheduler(env)
    seen: list[tuple[str, float]] = []

    def log(ev: Any) -> None:
        seen.append((ev.name if isinstance(ev, _Probe) else str(ev.value), env.now))

    cb = (log,)
    schedule(_probe("h2", cb), NORMAL, 2.0)
    env.timeout(1.0, "t1").callbacks.append(log)
    schedule(_probe("h1", cb), NORMAL, 1.0)
    env.timeout(2.0, "t2").callbacks.append(log)
    schedule(_probe("urgent", cb), URGENT, 2.0)
    done = env.event()
    done.callbacks.append(log)
    done.succeed("now")
    schedule(_probe("h0", cb), NORMAL, 0.0)

    env.run(until=2.5)
    assert seen == [("now", 0.0), ("h0", 0.0), ("t1", 1.0), ("h1", 1.0), ("urgent", 2.0),
                    ("h2", 2.0), ("t2", 2.0)], (
        f"SimPy {simpy.__version__} orders happenings differently from its own events: "
        f"{seen} ({WHERE})")
    assert env.now == 2.5


def test_the_check_names_the_release_when_simpy_changes_the_protocol(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A future SimPy that accepts only its own `Event` class: the check must say so."""
    original = simpy.Environment.step

    def strict_step(self: simpy.Environment) -> None:
        queue = self._queue  # this test plays a future SimPy: it may look inside
        if queue and not isinstance(queue[0][3], simpy.Event):
            raise TypeError("events must be simpy.Event instances")
        original(self)

    monkeypatch.setattr(simpy.Environment, "step", strict_step)
    with pytest.raises(RuntimeError, match=rf"SimPy {re.escape(simpy.__version__)} .*"
                                           r"simpy_adapter\.py"):
        check_simpy()



FUTURE_SIMPY = """
import sys, simpy
original = simpy.Environment.step
def strict_step(self):
    queue = self._queue
    if queue and not isinstance(queue[0][3], simpy.Event):
        raise TypeError("events must be simpy.Event instances")
    original(self)
simpy.Environment.step = strict_step
from funnelc.cli import main
main(sys.argv[1:])
"""


def test_a_simulation_under_a_changed_simpy_stops_with_the_adapters_message(
        tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-c", FUTURE_SIMPY, "simulate",
         str(ROOT / "pipelines" / "saleschef.funnel"), "--days", "60", "--reps", "1",
         "--jobs", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "no longer processes funnelc's events" in proc.stderr
    assert "simpy_adapter.py" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_no_module_but_the_adapter_touches_simpy_internals() -> None:
    private = re.compile(r"\benv\._\w+|\._(queue|eid|now|active_proc)\b|\b_ok\s*=")
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "simpy_adapter.py":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if private.search(line):
                found.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert not found, "SimPy internals outside simpy_adapter.py:\n" + "\n".join(found)
