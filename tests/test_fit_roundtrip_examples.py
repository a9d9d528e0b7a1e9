"""Round trip on every example (issue 13, point 3): simulate `pipelines/*.funnel` with its
own teams (busy: deals wait for a member, and for the team's working hours overnight and
over weekends), fit the records, and recover every `after` mean within 15 % and every
share within its 95 % interval.

The records say when a member picked each deal up (`picked_hours`), so the fit takes
the direct path (`history.picked`): wait = picked − entered, the delay net of it.

What a finite history cannot say is not skipped silently: a delay whose fit is farther
than 15 % from the truth passes only when the fit's own 95 % interval is wider than
±15 % of its estimate (the data cannot pin it that closely) and holds the truth; a
route with fewer than 30 deals is one the fit itself keeps at the funnel's value (it
says so), and the test checks that it did. Cadence stages have no `after` (their
shares are shown, not written).

Sizes: `DAYS` of one replication, fewer under CI=true; the assertions are the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

import funnelc
from conftest import IN_CI, PIPELINES
from funnelc import model as m
from funnelc.cli import cli
from funnelc.history.fit import MIN_DEALS, FitResult, StageFit, fit_funnel
from funnelc.history.run import prepare

DAYS = 240 if IN_CI else 365
TOLERANCE = 0.15
EXAMPLES = sorted(p.name for p in PIPELINES.glob("*.funnel"))


@dataclass
class Check:
    where: str
    ok: bool
    """Within 15 % (a delay) or inside the fit's own 95 % interval."""
    ratio: float
    """|truth − estimate| over the interval's half on the truth's side: above 1 the
    interval misses the truth; `_judge` bounds it for all of an example's figures."""
    why: str


def _ratio(truth: float, est: float, low: float, high: float) -> float:
    side = (high - est) if truth >= est else (est - low)
    if abs(truth - est) <= 1e-9:
        return 0.0
    return abs(truth - est) / side if side > 0 else math.inf


@pytest.fixture(scope="module", params=EXAMPLES)
def fitted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[m.FunnelFile, FitResult]:
    root = tmp_path_factory.mktemp("rt")
    funnel = PIPELINES / request.param
    records = root / "deals.csv"
    res = CliRunner().invoke(cli, ["simulate", str(funnel), "--days", str(DAYS), "--warmup",
                                   "0", "--reps", "1", "--seed", "5", "--jobs", "1",
                                   "--records", str(records)])
    assert res.exit_code == 0, res.output
    model = funnelc.load(str(funnel)).model
    assert model is not None
    return model, fit_funnel(prepare([str(records)], "UTC", model), model, "UTC")


def _stage(model: m.FunnelFile, sf: StageFit) -> m.Stage:
    pipe = model.pipeline(sf.pipeline)
    assert pipe is not None
    return next(s for s in pipe.stages if s.name.value == sf.stage)


def _after_checks(model: m.FunnelFile, fit: FitResult) -> list[Check]:
    out = []
    for sf in fit.stages:
        st = _stage(model, sf)
        if st.cadence is not None:
            continue
        for r in sf.routes:
            if r.outcome is None:
                continue
            o = st.outcomes[r.outcome]
            where = f"{sf.pipeline}.{sf.stage} {r.label}"
            truth = o.after.mean if o.after is not None else 0.0
            a = r.after
            if a is None or a.n < MIN_DEALS or sf.mature < MIN_DEALS:
                # The fit keeps the funnel's delay and says so (`fit_report`, `apply_fit`).
                out.append(Check(where, True, 0.0, f"kept: {a.n if a else 0} deals"))
                continue
            got = 0.0 if a.kind == "none" else a.mean
            if truth == 0.0:
                # No delay in the funnel: none found, or one below a minute.
                ok = a.kind == "none" or got < 1 / 60 or a.ci_low <= 1 / 60
                out.append(Check(where, ok, 0.0 if ok else math.inf,
                                 f"truth none, got {a.kind} {got:.3g}h [{a.ci_low:.3g}, "
                                 f"{a.ci_high:.3g}]"))
                continue
            close = abs(got - truth) <= TOLERANCE * truth
            wide = (a.ci_high - a.ci_low) > 2 * TOLERANCE * max(got, 1e-9)
            held = a.ci_low <= truth <= a.ci_high
            out.append(Check(where, close or (wide and held),
                             0.0 if close else _ratio(truth, got, a.ci_low, a.ci_high),
                             f"truth {truth:.3g}h, got {a.kind} {got:.3g}h [{a.ci_low:.3g}, "
                             f"{a.ci_high:.3g}] n={a.n}" + ("" if close else
                                                          " (interval wider than ±15 %)"
                                                          if wide and held else "")))
    return out


def _share_checks(model: m.FunnelFile, fit: FitResult) -> list[Check]:
    out = []
    for sf in fit.stages:
        st = _stage(model, sf)
        if st.cadence is not None or sf.mature < MIN_DEALS:
            continue
        if any(o.when is not None for o in st.outcomes):
            # A route open only to some deals (`when`): its share of all deals is not
            # the one written, so nothing to compare with.
            continue
        for r in sf.routes:
            if r.outcome is not None:
                share = st.outcomes[r.outcome].share
                truth = share.value if share is not None else 1.0
            elif r.key == ("stay",) and st.stay is not None:
                truth = st.stay.value
            else:
                continue
            out.append(Check(f"{sf.pipeline}.{sf.stage} {r.label}",
                             r.low - 1e-9 <= truth <= r.high + 1e-9,
                             _ratio(truth, r.share, r.low, r.high),
                             f"truth {truth:.3f}, got {r.share:.3f} [{r.low:.3f}, {r.high:.3f}]"))
    return out


def _report(checks: list[Check]) -> str:
    return "\n".join(f"{'ok ' if c.ok else 'BAD'} {c.where}: {c.why} (ratio {c.ratio:.2f})"
                     for c in checks)


def _judge(checks: list[Check]) -> None:
    """A 95 % interval misses the truth one time in twenty by design: over the dozens of
    figures of an example a few misses are chance, and a bias is not. So: no figure
    outside the interval that all of an example's figures together hold 99.9 % of the
    time (Bonferroni: each at 1 − 0.001 / n), and no more misses of the 95 % one than
    chance makes in 99 % of such examples (binomial).

    The first rule was each figure's own 99.9 % interval: with ~40 figures an example
    breaks that by chance about one time in 25, and qualification.funnel's seed-5 history
    did (204 of 605 losses «Не удалось выяснить потребность» for the funnel's 40 %, a
    3.2-sd draw of the simulation itself, which no fit can recover)."""
    from scipy import stats

    assert checks
    misses = [c for c in checks if not c.ok]
    allowed = int(stats.binom.ppf(0.99, len(checks), 0.05))
    z_all = float(stats.norm.ppf(1 - 0.001 / (2 * len(checks)))) / 1.96
    assert all(c.ratio <= z_all for c in checks), _report(checks)
    assert len(misses) <= allowed, f"{len(misses)} misses, {allowed} allowed\n" + _report(checks)


def test_every_after_mean_within_15_percent(fitted: tuple[m.FunnelFile, FitResult]) -> None:
    model, fit = fitted
    checks = _after_checks(model, fit)
    _judge(checks)
    # Most delays are pinned, not excused by a wide interval or kept for want of deals.
    strict = [c for c in checks if "kept" not in c.why and "wider" not in c.why]
    assert len(strict) >= len(checks) / 3, _report(checks)


def test_every_share_within_its_interval(fitted: tuple[m.FunnelFile, FitResult]) -> None:
    model, fit = fitted
    _judge(_share_checks(model, fit))


def test_fitted_from_pick_up_times(fitted: tuple[m.FunnelFile, FitResult]) -> None:
    """Every stage with work or an SLA was fitted from the records' pick-up times, or,
    where deals wait for nobody, from its times in stage: nothing had to be simulated."""
    _, fit = fitted
    cal = fit.calibration
    assert cal is not None  # every example has a stage with work or an SLA
    assert cal.runs == 0 and cal.method == "picked up", cal
    timed = {(sf.pipeline, sf.stage) for sf in fit.stages if sf.timed and not sf.cadence
             and any(r.samples is not None and len(r.samples) >= MIN_DEALS
                     and r.key[0] not in ("stay", "sla") for r in sf.routes)}
    done = set(cal.picked) | set(cal.unqueued)
    assert timed <= done, timed - done
