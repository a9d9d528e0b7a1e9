"""Shared test settings. Under CI (CI=true) heavy statistical tests run fewer
replications through `reps()`; their assertions never get weaker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
CASES = Path(__file__).resolve().parent / "cases"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests see the classifier itself, never answers a previous run left on disk
# (tests/test_stage_name_disk_cache.py turns the cache on where it is the subject).
os.environ.setdefault("FUNNELC_NAME_CACHE", "off")


def reps(local: int, ci: int) -> int:
    """Replication count for statistical tests: fewer under CI, same assertions."""
    return ci if IN_CI else local


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def pipelines_dir() -> Path:
    return PIPELINES
