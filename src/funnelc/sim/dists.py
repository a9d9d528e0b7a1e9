"""Block samplers for the language's distributions.

The engine takes one number at a time, but numpy is fast only in bulk, so every sampler
draws a block from its own stream and hands the numbers out one by one (`take()` is a
`list.pop()` in the common case). Parameters are the ones a consultant writes: means
and standard deviations, converted here to numpy's parameterisation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import model as m

__all__ = ["Sampler", "block_fn", "BLOCK"]

BLOCK = 1024
"""Numbers drawn per refill: large enough to amortise numpy's call overhead, small enough
that short runs waste nothing noticeable."""

BlockFn = Callable[[np.random.Generator, int], np.ndarray]


def block_fn(dist: m.Dist) -> tuple[BlockFn | None, float]:
    fn, const = _block_fn(dist)
    if fn is None:
        return None, max(const, 0.0)
    raw = fn
    # Durations and amounts are never negative, whatever a uniform's bounds say.
    return (lambda g, n: np.maximum(raw(g, n), 0.0)), const


def _block_fn(dist: m.Dist) -> tuple[BlockFn | None, float]:
    """(function drawing n values, constant) for a distribution; the function is None when
    the distribution is a constant, which then needs no random numbers at all."""
    a = [q.value for q in dist.args]
    kind = dist.kind
    if kind == "fixed":
        return None, max(a[0], 0.0)
    if kind == "exp":
        mean = a[0]
        if mean <= 0:
            return None, 0.0
        return (lambda g, n: g.exponential(mean, n)), mean
    if kind == "uniform":
        lo, hi = a[0], a[1]
        if hi <= lo:
            return None, lo
        return (lambda g, n: g.uniform(lo, hi, n)), (lo + hi) / 2
    if kind == "triangular":
        lo, mode, hi = a[0], a[1], a[2]
        if hi <= lo:
            return None, lo
        mode = min(max(mode, lo), hi)
        return (lambda g, n: g.triangular(lo, mode, hi, n)), (lo + mode + hi) / 3
    if kind == "lognormal":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return None, max(mean, 0.0)
        s2 = math.log1p((sd / mean) ** 2)
        mu, sigma = math.log(mean) - s2 / 2, math.sqrt(s2)
        return (lambda g, n: g.lognormal(mu, sigma, n)), mean
    if kind == "gamma":
        mean, sd = a[0], a[1]
        if mean <= 0 or sd <= 0:
            return None, max(mean, 0.0)
        shape, scale = (mean / sd) ** 2, sd * sd / mean
        return (lambda g, n: g.gamma(shape, scale, n)), mean
    if kind == "empirical":
        values = np.asarray(a, dtype=float)
        if len(values) == 1:
            return None, float(values[0])
        return (lambda g, n: g.choice(values, n)), float(values.mean())
    raise ValueError(f"unknown distribution kind {kind!r}")


class Sampler:
    """Hands out draws of one distribution from one stream, refilling in blocks."""

    __slots__ = ("buf", "_fn", "_gen", "const", "_block")

    def __init__(self, dist: m.Dist, gen: np.random.Generator | None, block: int = BLOCK) -> None:
        fn, const = block_fn(dist)
        self._init(fn, const, gen, block)

    @classmethod
    def of(cls, fn: BlockFn, gen: np.random.Generator, block: int = BLOCK) -> Sampler:
        """A sampler of any block function, e.g. uniforms or route indices."""
        self = cls.__new__(cls)
        self._init(fn, 0.0, gen, block)
        return self

    def _init(self, fn: BlockFn | None, const: float, gen: np.random.Generator | None,
              block: int) -> None:
        self._fn = fn
        self._gen = gen
        self.const = const if fn is None else None
        """The value every draw returns when the distribution is a constant, else None."""
        self._block = block
        self.buf: list[float] = []

    def take(self) -> float:
        try:
            return self.buf.pop()
        except IndexError:
            self.buf = self._refill()
            return self.buf.pop()

    def _refill(self) -> list[float]:
        if self._fn is None:
            return [max(0.0, float(self.const or 0.0))] * self._block
        assert self._gen is not None
        values: list[float] = self._fn(self._gen, self._block).tolist()
        return values
