"""`fit` and `history` with `--tz` other than UTC (the defect: `funnelc fit <courses
records> --funnel pipelines/courses.funnel --tz Europe/Moscow` ended in "internal
failure: SchemaError … datetime[μs, UTC] and datetime[μs, Europe/Moscow]").

The history's columns are UTC whatever `--tz` is; the zone only says where months and
working days begin. So a history written in local wall-clock time without a zone must
fit to the very same funnel whether that zone is UTC or Moscow: every instant moves by
the same offset, and so do the month boundaries and the account's hours.

Sizes: 90 days of `pipelines/courses.funnel` (one replication, ~2 700 deals), the
smallest that reached both failures; a few seconds in all.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import PIPELINES
from desk_funnel import desk_funnel
from funnelc.cli import cli
from funnelc.history.dists import fit_truncated

COURSES = PIPELINES / "courses.funnel"


@pytest.fixture(scope="module")
def courses_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tz") / "courses.csv"
    res = CliRunner().invoke(cli, ["simulate", str(COURSES), "--days", "90", "--reps", "1",
                                   "--jobs", "1", "--records", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def test_fit_in_moscow_time_fits(courses_records: Path, tmp_path: Path) -> None:
    """The reported command; in Russian, whose number formatting met the second
    failure (a candidate delay's AIC of 2e300 that babel cannot print)."""
    out = tmp_path / "fitted.funnel"
    res = CliRunner().invoke(cli, ["fit", str(courses_records), "--funnel", str(COURSES),
                                   "--tz", "Europe/Moscow", "--lang", "ru", "-o", str(out)])
    assert "internal failure" not in res.output, res.output
    assert res.exit_code == 0, res.output
    assert "2e+300" not in res.output and "1e+300" not in res.output, res.output
    assert 'pipeline "Продажи курсов"' in out.read_text(encoding="utf-8")


def test_history_in_moscow_time_reads(courses_records: Path) -> None:
    res = CliRunner().invoke(cli, ["history", str(courses_records), "--funnel", str(COURSES),
                                   "--tz", "Europe/Moscow", "--format", "json"])
    assert "internal failure" not in res.output, res.output
    assert res.exit_code == 0, res.output
    assert '"tz": "Europe/Moscow"' in res.output


DESK = desk_funnel("""\
  stage "New" {
    owner "Sales"
    work 20m
    sla 12h -> lost "Slow"
    -> won 60% after exp(1h)
    -> lost "Spam" 40%
  }
""")


def _local_history(n: int) -> str:
    """Deals entering over ~3 months of wall-clock time without a zone, picked up
    0–10 h later, then won 2 h after the work or lost at once."""
    t0 = datetime(2021, 1, 4, 9)
    fmt = "%Y-%m-%d %H:%M:%S"
    rows = ["deal_id,timestamp,stage,picked_at,loss_reason"]
    for i in range(n):
        entered = t0 + timedelta(hours=7.3 * i)
        picked = entered + timedelta(hours=(i * 37 % 10) + 0.25)
        done = picked + timedelta(minutes=20)
        rows.append(f"{i},{entered:{fmt}},New,{picked:{fmt}},")
        if i % 5 < 3:
            rows.append(f"{i},{done + timedelta(hours=2):{fmt}},won,,")
        else:
            rows.append(f"{i},{done:{fmt}},lost,,Spam")
    return "\n".join(rows) + "\n"


def test_local_time_history_fits_the_same_in_any_zone(tmp_path: Path) -> None:
    funnel, hist = tmp_path / "desk.funnel", tmp_path / "h.csv"
    funnel.write_text(DESK, encoding="utf-8")
    hist.write_text(_local_history(300), encoding="utf-8")
    fitted = {}
    for tz in ("UTC", "Europe/Moscow"):
        out = tmp_path / f"fit-{tz.replace('/', '-')}.funnel"
        res = CliRunner().invoke(cli, ["fit", str(hist), "--funnel", str(funnel), "--tz", tz,
                                       "-o", str(out)])
        assert "internal failure" not in res.output, (tz, res.output)
        assert res.exit_code == 0, (tz, res.output)
        fitted[tz] = out.read_text(encoding="utf-8")
    assert "from the pick-up times" in res.output, res.output
    assert fitted["Europe/Moscow"] == fitted["UTC"]


def test_truncated_fit_of_values_bunched_inside_their_cuts() -> None:
    """The Moscow fit's second failure in isolation: delays all near 50 h with cuts at
    65–68 h look flat to exp, whose mean ran to the search's bound (100 × the sample's),
    and gamma started there with no density at the data, kept the sentinel -1e300 as
    its log-likelihood and reached the report with an AIC of 2e300."""
    rng = np.random.default_rng(5)
    fit = fit_truncated(50.5 + rng.normal(0.0, 0.9, 60), np.linspace(65.0, 68.0, 60))
    assert fit is not None
    assert {c.kind for c in fit.candidates} == {"exp", "gamma", "lognormal"}
    assert all(abs(c.aic) < 1e6 for c in fit.candidates), fit.candidates
    gamma = next(c for c in fit.candidates if c.kind == "gamma")
    assert abs(gamma.mean - 50.5) < 1.0, gamma
