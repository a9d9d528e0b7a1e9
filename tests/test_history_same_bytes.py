"""`funnelc history` writes the same bytes for the same input, whichever process runs it.

Polars' group-bys return their groups in no fixed order (it changes with the hash seed
and the threads), and a sort on columns that tie keeps no order either: the comebacks
table's tied rows (the one-million-event benchmark's history), the loss reasons of equal
counts, the reasons whose share changed (in the order the pipelines' losses came) and
the inflow plot's bars of seven branches of 300 deals each (`test_bigteam_ru`) changed
places from run to run. And polars adds a group's floats in parts, one per thread: a
SaaS's sums of money moved in their last digits with the threads (`exact_sum`). Each
history is run in separate processes, with other hash seeds and threads, and every file
written (terminal text, exit code, JSON, HTML, SVG, PNG) must be the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import DATA, ROOT, data_generator
from history_formats import write_branches

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_history import generate  # the benchmark's own history

RUNS = (("0", "2"), ("1", "1"))
"""(hash seed, polars threads) of the runs compared: before the fix, eight runs of either
history with hash seeds 0 to 7 wrote eight different JSON files (and the branches eight
different inflow plots)."""


def _branches(path: Path) -> list[str]:
    """`test_bigteam_ru`'s seven branches (`history_formats.write_branches`): six of 300
    requests, one of 90, no source (the inflow plot stacks them by the stage they
    started in, 300 deals each)."""
    write_branches(path)
    return []


def _benchmark(path: Path) -> list[str]:
    """The benchmark's history at 3,000 deals, with managers and sources: its comebacks
    tie by the dozen (a month's reasons brought back as often)."""
    generate(path, 3000, audit=True)
    return []


def _saas(path: Path) -> list[str]:
    """`test_saas_en`'s 1,408 deals with amounts: its lost value, its managers' money and
    its sources' changed in the last digits between one thread and two."""
    data_generator("saas_en").write(path.parent)
    return ["--funnel", str(DATA / "saas_en" / "cloudly.funnel")]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("write", [_branches, _benchmark, _saas],
                         ids=["branches", "benchmark", "saas"])
def test_every_file_is_the_same_in_every_run(tmp_path: Path,
                                           write: Callable[[Path], list[str]]) -> None:
    history = tmp_path / "history.csv"
    args = write(history)
    runs = []
    for seed, threads in RUNS:
        out = tmp_path / f"seed{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed, POLARS_MAX_THREADS=threads, NO_COLOR="1",
                   COLUMNS="160")
        # The runs at once: each its own process, as two consultants' would be.
        runs.append((out, subprocess.Popen(
            [sys.executable, "-m", "funnelc", "history", str(history), *args, "-o", str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
    outputs = []
    for out, proc in runs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode in (0, 1), stderr.decode()  # 1: the history has findings
        files = _files(out)
        files["terminal"] = stdout.replace(str(out).encode(), b"OUT")
        files["exit code"] = str(proc.returncode).encode()
        outputs.append(files)
    first = outputs[0]
    assert {"history.json", "history.html", "plots/inflow.svg", "plots/inflow.png"} <= set(first)
    for (seed, threads), files in zip(RUNS[1:], outputs[1:], strict=True):
        assert set(files) == set(first)
        differ = sorted(name for name in first if files[name] != first[name])
        assert not differ, f"seed {seed}, {threads} threads, against the first run: {differ}"


def test_a_sum_of_money_is_the_sum_of_its_cents(tmp_path: Path) -> None:
    # Two losses without a reason, of 1,415.47 and 83,762.32: added as floats their
    # value was 85,177.79000000001, and with more of them the last digits depended on the
    # order of the sum, which changes with the threads (the test above, `_saas`).
    lines = ["deal_id,date,pipeline,stage,loss_reason,amount"]
    for n, amount in enumerate(("1415.47", "83762.32"), start=1):
        lines += [f"D{n},2026-01-{n:02d} 10:00,Продажи,Заявка,,{amount}",
                  f"D{n},2026-01-{n:02d} 12:00,Продажи,lost,,{amount}"]
    path = tmp_path / "losses.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "funnelc", "history", str(path), "--format",
                           "json"], capture_output=True, check=False)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    rows = json.loads(proc.stdout)["tables"]["loss_reasons_missing"]
    assert [(r["no_reason"], r["value"]) for r in rows] == [(2, 85177.79)]
