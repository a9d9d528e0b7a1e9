"""The fit's fast paths give the numbers of the plain ones to the last bit: the gamma grid
worked out only where the uniforms fall (`calibrate._gamma_grid(a, at)`), the
interpolation that reads only those points, `numpy_exact.mean_of` against `x.mean()`, and
a distance called with its parameters (`dists._Fixed`) against the frozen distribution.
A fit must not change because it got faster."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from funnelc.history.calibrate import GRID, _gamma_grid
from funnelc.history.dists import _Fixed
from funnelc.history.numpy_exact import FixedPointsInterp, mean_of

SHAPES = st.floats(min_value=1 / 7.39**2, max_value=1 / 0.0183**2)
"""The search's whole range of gamma shapes (cv from e^-4 to e^2)."""


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), SHAPES, st.integers(20, 5000))
def test_the_grid_points_the_uniforms_need_give_numpys_interpolation(
        seed: int, shape: float, n: int) -> None:
    """Of a fresh shape only the points `needed` are worked out (the rest NaN), yet the
    interpolation is numpy's on the whole grid; and each point is the value
    `gammaincinv` gives it on the whole grid."""
    u = np.random.default_rng(seed).random(n)
    at = FixedPointsInterp(u, GRID)
    part = _gamma_grid(shape * (1 + 1e-12), at.needed).copy()  # a shape no call asked for
    whole = np.asarray(special.gammaincinv(shape * (1 + 1e-12), GRID))
    assert np.array_equal(part[at.needed], whole[at.needed])
    assert np.array_equal(at(part), np.interp(u, GRID, whole))


def test_few_uniforms_leave_most_of_the_grid_unworked() -> None:
    """What makes the partial grid worth having: 5 000 uniforms reach no point of the
    grid's tails (the search used to evaluate all 243 for each shape)."""
    at = FixedPointsInterp(np.random.default_rng(3).random(5000), GRID)
    assert len(at.needed) < 0.8 * len(GRID)
    assert np.isnan(_gamma_grid(2.345678, at.needed)).any()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, width=64),
                min_size=1, max_size=3000))
def test_mean_of_is_numpys_mean(values: list[float]) -> None:
    x = np.asarray(values)
    assert mean_of(x) == float(x.mean())


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["expon", "gamma", "lognorm"]),
       st.floats(min_value=0.02, max_value=50.0), st.floats(min_value=1e-3, max_value=1e4))
def test_a_distribution_called_with_its_parameters_is_the_frozen_one(
        seed: int, name: str, shape: float, scale: float) -> None:
    family = getattr(stats, name)
    args = () if name == "expon" else (shape,)
    frozen = family(*args, scale=scale)
    fixed = _Fixed(family, args, scale)
    x = np.random.default_rng(seed).gamma(0.7, scale, 400)
    for method in ("logpdf", "logcdf", "sf"):
        assert np.array_equal(getattr(fixed, method)(x), getattr(frozen, method)(x),
                              equal_nan=True), method
