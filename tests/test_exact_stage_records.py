"""`analyze_account` builds each `StageExact` without the dataclass's `__init__` (one per
stage of every pipeline, a measurable part of the 50 × 40 benchmark), by filling its
`__dict__` in the fields' declaration order. Nothing then checks the names: a field added
to the dataclass and not to that dict, or a typo, would make an object that lacks an
attribute or carries a stray one. This holds the two together on every shipped funnel."""

from __future__ import annotations

import dataclasses

import pytest

import funnelc
from conftest import PIPELINES
from funnelc.analysis.exact import StageExact, analyze_account

FIELDS = [f.name for f in dataclasses.fields(StageExact)]


@pytest.mark.parametrize("path", sorted(PIPELINES.glob("*.funnel")), ids=lambda p: p.stem)
def test_every_stage_record_has_exactly_the_dataclass_fields(path: object) -> None:
    model = funnelc.load(str(path)).model
    assert model is not None
    stages = [s for p in analyze_account(model).pipelines for s in p.stages]
    assert stages
    for s in stages:
        assert list(vars(s)) == FIELDS, s
        assert StageExact(**vars(s)) == s
