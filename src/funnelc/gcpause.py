"""Pausing Python's cyclic garbage collector while building large object graphs.

Loading a 27 000-line account creates ~200 000 small objects; each time allocation
crosses a threshold the collector walks every live object, and those walks cost as much
as the parse itself (measured: 7 900 → 15 500 lines/s on the 50 × 40 benchmark
account). The model holds no reference cycles worth collecting mid-load, so the
collector is paused for the duration and restored (never force-enabled) afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the collector for the block; on the way out, file what the block made with
    the old objects. Left young, the first collection after the pause walked all of them
    (and the next generation's walked them again): a second on a 20 000-stage pipeline.
    `gc.freeze()` + `gc.unfreeze()` moves every tracked object into the oldest generation
    without walking any, so they are looked at only by full collections, which still
    free any cycle among them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
