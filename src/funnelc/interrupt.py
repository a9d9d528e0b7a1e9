"""Ctrl+C that a library cannot lose.

Python turns SIGINT into a `KeyboardInterrupt` raised wherever the main thread happens to
be. When that is inside C code that clears errors it did not expect, the exception is
dropped and the command runs on to its end: a run of `funnelc simulate --reps 200` stopped
with Ctrl+C while a lazy import ran `numpy.random`'s compiled module set-up (its call to
`abc.register`) went on for minutes and wrote its outputs: 2 runs in 175 with SIGINT
sent at a random moment of the first 1.5 s, on a loaded machine.

`install()` (the CLI's entry point calls it) keeps Python's behaviour, the exception where
the main thread is, and also notes that Ctrl+C was pressed. The loops that run for long
(the simulation's replications, the back-test's runs, whatif's tasks) call `check()`
between steps, which raises the interrupt again if it was lost: the command then stops
after the step it was in, with the usual exit 2 and nothing written.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

_pressed = False

WAIT_S = 0.5
"""How long a process waiting on its workers waits at a time before it calls `check()`
(its own work is done: nothing else would look)."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


def _unraisable(info: sys.UnraisableHookArgs) -> None:
    """Python's report of an exception it had to drop, without the interrupts: one raised
    in a finalizer or in a forked worker's at-fork hook printed «Exception ignored in …»
    and a traceback under our «interrupted» message. The press is noted, `check()` acts
    on it."""
    if isinstance(info.exc_value, KeyboardInterrupt):
        return
    sys.__unraisablehook__(info)


def install() -> None:
    """Take over SIGINT in this process, unless someone chose another handling for it
    (ignored, as for a job started in the background with `nohup`, or a host program's
    own handler): only Python's default `KeyboardInterrupt` is replaced, and only
    Python's default report of dropped exceptions."""
    global _pressed
    _pressed = False
    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _on_sigint)
            if sys.unraisablehook is sys.__unraisablehook__:
                sys.unraisablehook = _unraisable
    except ValueError:  # not the main thread: signals are the main thread's to handle
        pass


def check() -> None:
    """Raise `KeyboardInterrupt` if Ctrl+C was pressed since `install()`, whether or not
    its exception reached anyone."""
    if _pressed:
        raise KeyboardInterrupt
