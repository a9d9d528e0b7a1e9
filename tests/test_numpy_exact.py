"""The calibration's fast quantiles and interpolation give numpy's numbers to the last bit
(src/funnelc/history/numpy_exact.py): a fit must not change because it got faster."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelc.history.calibrate import GRID, QS, _gamma_grid
from funnelc.history.numpy_exact import FixedPointsInterp, quantiles

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, width=64)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite, min_size=2, max_size=400), st.integers(0, 3))
def test_quantiles_equal_numpys(values: list[float], ties: int) -> None:
    x = np.asarray(values + values[:ties])  # repeated values: ties in the order
    assert np.array_equal(quantiles(x, QS), np.quantile(x, QS))
    qs = np.array([0.01, 0.25, 0.5, 0.75, 0.99])
    assert np.array_equal(quantiles(x, qs), np.quantile(x, qs))


def test_quantiles_equal_numpys_on_the_searchs_samples() -> None:
    rng = np.random.default_rng(11)
    for n in (2, 3, 20, 999, 5000):
        for shape in (0.3, 1.0, 4.0):
            x = rng.gamma(shape, 7.0, n)
            assert np.array_equal(quantiles(x, QS), np.quantile(x, QS)), (n, shape)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1),
       st.floats(min_value=1 / 7.39**2, max_value=1 / 0.0183**2))
def test_the_gamma_grid_interpolation_equals_numpys(seed: int, shape: float) -> None:
    """The uniforms the search draws, and its whole range of shapes (cv from e^-4 to
    e^2), plus the points numpy treats apart: on and beyond the grid's ends, on a grid
    point, NaN."""
    u = np.random.default_rng(seed).random(300)
    u[:6] = [0.0, GRID[0] / 2, GRID[0], GRID[17], GRID[-1], 1.0]
    fp = _gamma_grid(shape)
    assert np.array_equal(FixedPointsInterp(u, GRID)(fp), np.interp(u, GRID, fp))
    with_nan = u.copy()
    with_nan[7] = np.nan
    assert np.array_equal(FixedPointsInterp(with_nan, GRID)(fp), np.interp(with_nan, GRID, fp),
                          equal_nan=True)


def test_a_non_finite_value_is_interpolated_as_numpy_does() -> None:
    xp = np.array([0.0, 1.0, 2.0, 3.0])
    x = np.array([0.5, 1.5, 2.5, 3.0])
    for fp in (np.array([0.0, np.inf, 1.0, 2.0]), np.array([np.nan, 1.0, 1.0, 2.0])):
        assert np.array_equal(FixedPointsInterp(x, xp)(fp), np.interp(x, xp, fp),
                              equal_nan=True)
