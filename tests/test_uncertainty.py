"""The back-test's parameter draws (history/uncertainty.py) centre on the fitted shares,
which the fit corrected for what an SLA cut off, not on the raw counts."""

from __future__ import annotations

import numpy as np

from funnelc.history.fit import RouteFit
from funnelc.history.uncertainty import _drawn_routes


def test_shares_are_drawn_around_the_fitted_shares_not_the_raw_counts() -> None:
    # Counts 50/50, but the fit (SLA-corrected) says 60/40.
    routes = [RouteFit(("stage", "P", "A"), "-> A", 50, share=0.6, outcome=0),
              RouteFit(("won",), "won", 50, share=0.4, outcome=1)]
    rng = np.random.default_rng(7)
    first = [_drawn_routes(routes, rng)[0].share for _ in range(4000)]
    assert abs(float(np.mean(first)) - 0.6) < 0.005
    # The spread is that of 100 observed deals: sd = sqrt(0.6 * 0.4 / 100) ≈ 0.049.
    assert 0.04 < float(np.std(first)) < 0.06


def test_sla_timeouts_keep_their_counts() -> None:
    routes = [RouteFit(("stage", "P", "A"), "-> A", 30, share=0.75, outcome=0),
              RouteFit(("won",), "won", 10, share=0.25, outcome=1),
              RouteFit(("sla",), "sla", 5, share=0.0)]
    drawn = _drawn_routes(routes, np.random.default_rng(1))
    assert drawn[2].count == 5 and drawn[2].share == 0.0
    assert sum(r.count for r in drawn[:2]) == 40
    assert abs(drawn[0].share + drawn[1].share - 1.0) < 1e-12
