"""Random streams: one seed reproduces a whole run, and each random purpose has its own
stream so that changing one stage does not shift another stage's draws.

A stream is `SeedSequence(seed, spawn_key=(rep, purpose, name…))`. For the replication
alone that is exactly `SeedSequence(seed).spawn(n)[rep]`; below it, the purpose and the
names of the stage/source/outcome are hashed into the spawn key instead of being counted,
so streams are keyed by *what* they serve, not by the order things were compiled. Two
scenarios run with the same seed therefore reuse the same numbers wherever their model
is the same (common random numbers), and a replication's numbers never depend on how
many replications or worker processes there are.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import numpy as np

__all__ = ["Purpose", "stream", "name_key"]

Purpose = Literal["arrivals", "values", "work", "outcomes", "delays", "replies", "reopens",
                  "warm"]

_PURPOSE_CODE: dict[str, int] = {
    "arrivals": 1, "values": 2, "work": 3, "outcomes": 4, "delays": 5, "replies": 6,
    "reopens": 7, "warm": 8,
}


def name_key(name: str) -> int:
    """A stable 64-bit key of a name (Python's own hash is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, rep: int, purpose: Purpose, *names: str) -> np.random.Generator:
    """The generator for one purpose of one thing (e.g. work of stage P/S) in replication rep."""
    key = (rep, _PURPOSE_CODE[purpose], *(name_key(n) for n in names))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
