"""The builder makes model nodes without pydantic validation (`model.trusted_constructor`,
`trusted_span`: half of the build time on a 20 000-stage pipeline). That is sound only
while the objects it makes are the ones validation would make: this test re-validates
every shipped example's model from its dump and requires the same model, so a grammar or
model change that lets the builder produce an invalid value (a wrong type, a missing
field, an out-of-range literal) fails here instead of reaching the engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CASES, PIPELINES
from funnelc.api import load_file
from funnelc.model import FunnelFile

FILES = sorted(PIPELINES.glob("*.funnel")) + sorted(
    p for p in CASES.rglob("*.funnel") if load_file(p).ok)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_trusted_model_is_what_validation_makes(path: Path) -> None:
    model = load_file(path).model
    assert model is not None
    again = FunnelFile.model_validate(model.model_dump())
    assert again == model
    assert again.model_dump() == model.model_dump()
