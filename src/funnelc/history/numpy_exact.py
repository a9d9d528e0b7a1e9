"""`np.quantile` and `np.interp`, bit for bit, for the calibration's inner loop.

The delay search (`calibrate.fit_route`) evaluates its distance about 15 000 times a fit,
each time on 5 000 simulated times: nine quantiles of them, and for a gamma candidate the
interpolation of the same 5 000 uniforms on a new grid of gamma quantiles. numpy's
general functions spent most of a fit's time there: `np.quantile` in its handling of
axes, NaN and methods and a partition at 18 points, `np.interp` in a binary search
repeated for points that never change. These do numpy's own arithmetic, step for step,
so a fit's numbers are the same to the last bit (tests/test_numpy_exact.py checks it
against numpy on random samples); they only skip the work that does not change.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mean_of", "quantiles", "FixedPointsInterp"]


def mean_of(x: np.ndarray) -> float:
    """`float(x.mean())` of a non-empty 1-D float array: numpy's own sum (`np.add.reduce`,
    pairwise) over the count, without `np.mean`'s handling of axes, dtypes and empty
    arrays, a few microseconds a call that the searches pay some 40 000 times a fit."""
    return float(np.add.reduce(x)) / len(x)


def quantiles(x: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """`np.quantile(x, qs)` (its default, linear method) for a 1-D sample of at least 2
    values without NaN and `qs` strictly inside (0, 1): the index (n - 1)·q, and numpy's
    interpolation from whichever neighbour is nearer (`numpy.lib._function_base_impl.
    _lerp`), on one sort."""
    virtual = (x.size - 1) * qs
    below = np.floor(virtual)
    gamma = virtual - below
    lo = below.astype(np.intp)
    ordered = np.sort(x)
    a, b = ordered[lo], ordered[lo + 1]
    step = b - a
    out = a + step * gamma
    np.subtract(b, step * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


class FixedPointsInterp:
    """`np.interp(x, xp, fp)` for fixed `x` and `xp` and any `fp`: where each point of
    `x` falls in `xp` is found once. numpy's formula per point is kept (the slope of
    its interval times the distance from the interval's left end, plus that end's
    value; the end values outside `xp`; the value itself on a point of `xp`). What
    numpy treats apart is left to numpy: NaN in `x`, repeated points of `xp`, and a
    non-finite `fp`, where numpy retries from the other end of the interval."""

    def __init__(self, x: np.ndarray, xp: np.ndarray) -> None:
        self.x = x
        self.xp = xp
        j = np.searchsorted(xp, x, side="right") - 1
        self._left = j < 0
        self._right = j >= len(xp) - 1
        self._j = np.clip(j, 0, len(xp) - 2)
        self._dx = x - xp[self._j]
        self._on_point = xp[self._j] == x
        self._edges = bool((self._left | self._right | self._on_point).any())
        self._widths = xp[1:] - xp[:-1]
        self._numpy = bool(np.isnan(x).any() or not (self._widths > 0).all())
        # The intervals some point falls in: only their slopes are worked out, and only
        # their ends (and the end values outside `xp`) are read of `fp`.
        self._used = np.flatnonzero(np.bincount(self._j, minlength=len(xp) - 1))
        ends = np.zeros(len(xp), dtype=bool)
        ends[self._used] = ends[self._used + 1] = True
        ends[0] |= bool(self._left.any())
        ends[-1] |= bool(self._right.any())
        self.needed: np.ndarray = np.flatnonzero(ends)
        """The indices of `fp` a call reads; the others may hold anything (NaN)."""

    def __call__(self, fp: np.ndarray) -> np.ndarray:
        """`np.interp(x, xp, fp)`; of `fp` only the points `needed` are read (numpy, too,
        reads no other: it takes each point's value from the ends of its interval)."""
        if self._numpy or not np.isfinite(fp[self.needed]).all():
            return np.interp(self.x, self.xp, fp)
        used = self._used
        slopes = np.empty(len(self._widths))
        slopes[used] = (fp[used + 1] - fp[used]) / self._widths[used]
        out: np.ndarray = slopes[self._j] * self._dx + fp[self._j]
        if self._edges:
            out[self._on_point] = fp[self._j][self._on_point]
            out[self._left] = fp[0]
            out[self._right] = fp[-1]
        return out
