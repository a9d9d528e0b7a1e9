"""A pipeline whose wins take longer than the warm-up is warned of: a run starts empty,
and the first weeks it counts lack the wins of the deals that would have started before
it, so its conversion (won / started) reads low. Regression (found by a numbers review):
a 20-day run with 5 days of warm-up printed 20.6% ±0.74 for the exact 22.3% without a
word, and the report shows the two side by side."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from funnelc.cli import cli

FUNNEL = """\
account "Test" {
  currency USD
  language LANG
}

source "Web" 40/day -> "Sales"."New" value 1000

pipeline "Sales" main sales {
  stage "New" {
    -> "Qualified" 60% after exp(4h)
    -> lost "Junk" 40% after exp(4h)
  }
  stage "Qualified" {
    -> "Proposal" 70% after exp(1d)
    -> lost "No budget" 30% after exp(2d)
  }
  stage "Proposal" {
    -> won 50% after exp(3d)
    -> lost "Price" 50% after exp(3d)
  }
}
"""
EXACT = 0.6 * 0.7 * 0.5  # 21 %


def _run(tmp_path: Path, lang: str, warmup: int, fmt: str = "json") -> str:
    path = tmp_path / "f.funnel"
    path.write_text(FUNNEL.replace("LANG", lang), encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", str(path), "--days", "40", "--warmup",
                                      str(warmup), "--reps", "10", "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_warm_up_shorter_than_the_wins_is_warned_of(tmp_path: Path) -> None:
    data = json.loads(_run(tmp_path, "en", 2))
    (warning,) = [w for w in data["warnings"] if w["code"] == "short-window"]
    assert warning["subject"] == "Sales" and warning["warmup_hours"] == 48
    assert warning["cycle_p90_hours"] > 48
    conversion = data["pipelines"][0]["conversion"]
    assert conversion["mean"] + conversion["ci95"] < EXACT  # it does read low
    text = " ".join(_run(tmp_path, "ru", 2, "text").split())
    # The option is named apart, for the consultant (edf917d).
    assert ("конверсия (успешные / начатые) занижена; разогрев не короче цикла до успеха "
            "учтёт их все. Консультанту: `--warmup`") in text


def test_a_warm_up_as_long_as_the_wins_is_not(tmp_path: Path) -> None:
    data = json.loads(_run(tmp_path, "en", 15))
    assert not [w for w in data["warnings"] if w["code"] == "short-window"]
    conversion = data["pipelines"][0]["conversion"]
    assert abs(conversion["mean"] - EXACT) <= conversion["ci95"]


CLAIMS = """\
account "T" {
  currency USD
  language LANG
}

source "Service" 10/day -> "Claims"."New" profile jan 300%, feb 50%, mar 50%

pipeline "Claims" main {
  stage "New" {
    -> won 100% after 10d
  }
}
"""


def test_a_conversion_never_reads_above_100_percent(tmp_path: Path) -> None:
    """Page review F17: saleschef's «Рекламации» read «конверсия (симуляция) 101% ±1,6»
    (93,6 won of 93,2 started): the window's wins include deals started before it. Here
    every deal is won 10 days after it starts and three times as many start in the
    January warm-up as later: 562 won of 317 started read «177% [171%–100%]»."""
    path = tmp_path / "claims.funnel"
    path.write_text(CLAIMS.replace("LANG", "en"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["simulate", str(path), "--days", "90", "--warmup",
                                      "30", "--reps", "3", "--format", "json"])
    assert result.exit_code == 0, result.output
    (pipeline,) = json.loads(result.output)["pipelines"]
    assert pipeline["won"]["mean"] > 1.5 * pipeline["started"]["mean"]  # the set-up holds
    assert pipeline["conversion"]["mean"] == 1.0 and not pipeline["conversion"]["ci95"]
    path.write_text(CLAIMS.replace("LANG", "ru"), encoding="utf-8")
    text = CliRunner().invoke(cli, ["simulate", str(path), "--days", "90", "--warmup", "30",
                                    "--reps", "3"]).output
    row = next(line for line in text.splitlines() if "Claims" in line and "│" in line)
    assert "100%" in row and not re.search(r"1\d\d%|[2-9]\d\d%", row.replace("100%", "")), row
