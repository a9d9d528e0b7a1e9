"""Variants are model transformations, not funnel text printed and parsed again (issue
12, part 4): the funnel is loaded once and each string the user typed (`--set`,
`--vary`) is parsed once, however many sweep points, staffing sizes or back-test draws
follow; `fit -o` writes the fitted model without reading its output back. The literal
functions that turn computed values into model nodes build exactly what the parser
builds, which is what keeps every result identical to the old text round trip.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import funnelc.api
import funnelc.syntax
from funnelc.build import parse_and_build
from funnelc.cli import cli
from funnelc.scenarios import duration_of, quantity_of, rate_of, share_of

FUNNEL = """\
# A line and its back office.
team Ops size 2
team Back size 1
team Night size 1
source Calls 6/hour -> Line.In
pipeline Line main {
  stage In {  # first contact
    owner Ops
    work exp(15m)
    respond 10m
    sla 2h -> lost "no answer"
    -> Done 40%
    -> lost "no" 60%
  }
  stage Done {
    owner Back
    work 5m
    -> won
  }
}
scenario "More Ops" {
  team Ops size 3
}
"""
FAST = ["--days", "3", "--warmup", "0", "--reps", "2", "--jobs", "1"]


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "a.funnel"
    path.write_text(FUNNEL, encoding="utf-8")
    return path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts what reads funnel text: whole files (`api.parse_and_build`) and the
    override parser (`syntax.parse_text`, which override lines go through)."""
    seen: Counter[str] = Counter()
    load, parse = funnelc.api.parse_and_build, funnelc.syntax.parse_text

    def counted_load(*args: Any, **kw: Any) -> Any:
        seen["file"] += 1
        return load(*args, **kw)

    def counted_parse(*args: Any, **kw: Any) -> Any:
        seen["override"] += 1
        return parse(*args, **kw)

    monkeypatch.setattr(funnelc.api, "parse_and_build", counted_load)
    monkeypatch.setattr(funnelc.syntax, "parse_text", counted_parse)
    return seen


def run(*args: str) -> Any:
    res = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in res.output, res.output
    return res


def test_sweep_parses_each_vary_once_not_per_point(funnel: Path, tmp_path: Path,
                                                    parses: Counter[str]) -> None:
    res = run("sweep", str(funnel), "--vary", "team Ops size 1..4",
              "--vary", "stage Line.In respond 5m..20m step 5m", "--csv",
              str(tmp_path / "s.csv"), *FAST)
    assert res.exit_code == 0, res.output
    # 16 points: one file load, one parse per --vary.
    assert parses == {"file": 1, "override": 2}
    rows = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert {r.split(",")[0] for r in rows[1:]} == {str(i) for i in range(16)}


def test_whatif_parses_the_set_lines_once(funnel: Path, tmp_path: Path,
                                          parses: Counter[str]) -> None:
    res = run("whatif", str(funnel), "--scenario", "More Ops", "--set", "team Back size 2",
              "--set", "stage Line.In work exp(10m)", "--json", str(tmp_path / "w.json"),
              *FAST)
    assert res.exit_code == 0, res.output
    assert parses == {"file": 1, "override": 1}


def test_staff_sizes_and_respond_limits_parse_nothing(funnel: Path, tmp_path: Path,
                                                      parses: Counter[str]) -> None:
    res = run("staff", str(funnel), "--team", "Ops", "--target", "respond 15m 80%",
              "--target", "utilization <= 90%", "--set", "team Back size 2", "--max-size",
              "6", "--json", str(tmp_path / "s.json"), *FAST)
    assert res.exit_code in (0, 1), res.output
    assert parses == {"file": 1, "override": 1}


def test_fit_and_backtest_write_without_reading_back(funnel: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    rec = tmp_path / "rec.csv"
    res = run("simulate", str(funnel), "--days", "70", "--warmup", "0", "--reps", "1",
              "--seed", "3", "--jobs", "1", "--start", "2025-01-01", "--records", str(rec))
    assert res.exit_code == 0, res.output

    seen: Counter[str] = Counter()
    load = funnelc.api.parse_and_build

    def counted(*args: Any, **kw: Any) -> Any:
        seen["file"] += 1
        return load(*args, **kw)

    monkeypatch.setattr(funnelc.api, "parse_and_build", counted)
    out = tmp_path / "fitted.funnel"
    res = run("fit", str(rec), "--funnel", str(funnel), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert seen == {"file": 1}
    text = out.read_text(encoding="utf-8")
    assert "# A line and its back office." in text and "# first contact" in text

    seen.clear()
    out2 = tmp_path / "bt.funnel"
    res = run("fit", str(rec), "--funnel", str(funnel), "--backtest", "1", "--reps", "2",
              "--jobs", "1", "-o", str(out2))
    assert res.exit_code == 0, res.output
    assert seen == {"file": 1}
    monkeypatch.undo()
    # What was written is what was checked: the written file loads without errors.
    assert funnelc.api.load_file(out).ok and funnelc.api.load_file(out2).ok


def test_a_point_failing_only_jointly_points_at_its_own_vary(funnel: Path) -> None:
    """Spans of axes parsed apart are moved to their place in the joint scenario, so a
    finding about the second axis is shown in the second string."""
    from funnelc.api import load_file
    from funnelc.whatif.grid import parse_vary
    from funnelc.whatif.variants import OverrideError, Overrides, combine

    model = load_file(funnel).model
    assert model is not None
    ov = Overrides(model)
    specs = [parse_vary("team Ops size 1..2", "--vary #1"),
             parse_vary("team   Night size 1..2", "--vary #2")]
    parts = [ov.parse([spec.line(spec.values[0])], "--vary") for spec in specs]
    joint = combine(parts, "--vary")
    shifted = joint.scenario.overrides
    zero = shifted[1].model_copy(update={"size": 0})
    with pytest.raises(OverrideError) as err:
        ov.variant(joint, [shifted[0], zero])
    [d] = err.value.diagnostics
    assert d.code == "FN217" and d.path == "--vary #2"
    assert d.span is not None and d.span.start == 0
    assert d.span.end == len("team   Night size 1..2")  # the whole spec, as before


def test_a_fractional_size_in_a_range_is_refused_with_a_caret(funnel: Path) -> None:
    res = run("sweep", str(funnel), "--vary", "team Ops size 1..2 step 0.5", "--csv", "-",
              *FAST)
    assert res.exit_code == 2
    assert "`1.5` cannot stand here: a team size is a whole number" in res.output
    assert "--> --vary:1:15" in res.output


# ---------------------------------------------------------------------------- literals
NUMBER = st.one_of(st.integers(0, 100_000).map(str),
                   st.tuples(st.integers(0, 9999), st.integers(0, 999_999)).map(
                       lambda t: f"{t[0]}.{t[1]}"))


def _plain(node: Any) -> Any:
    return node.model_dump(exclude={"span"})


@settings(max_examples=60, deadline=None)
@given(NUMBER, st.sampled_from(["min", "s", "m", "h", "d", "w"]), NUMBER,
       st.sampled_from(["", "k", "K", "M"]), NUMBER, st.sampled_from(["hour", "day", "week",
                                                                      "month"]), NUMBER)
def test_literals_build_what_the_parser_builds(d: str, unit: str, a: str, scale: str,
                                               r: str, per: str, p: str) -> None:
    dur, amount, rate, share = d + unit, a + scale, f"{r}/{per}", p + "%"
    text = (f"source S {rate} -> P.A value exp({amount})\n"
            f"scenario X {{\n  stage P.A respond {dur}\n  stage P.A stay {share}\n"
            f"  stage P.A work {dur}\n}}\n")
    built = parse_and_build(text, "<t>").model
    assert built is not None
    src, (respond, stay, work) = built.sources[0], built.scenarios[0].overrides
    assert _plain(rate_of(rate)) == _plain(src.rate)
    assert src.value is not None
    assert _plain(quantity_of(amount, "amount")) == _plain(src.value.args[0])
    assert _plain(duration_of(dur)) == _plain(respond.respond)
    assert _plain(share_of(share)) == _plain(stay.share)
    assert work.work is not None
    assert _plain(quantity_of(dur, "duration")) == _plain(work.work.args[0])
