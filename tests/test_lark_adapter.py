"""The fast path of loading (`syntax.parse_reduced`) rests on Lark's private internals,
all read in `funnelc.lark_adapter` (issue 12). These tests say so clearly when a Lark
release changes them, hold that the fast path builds exactly the model the tree path
(`parse_text` + `build_model`) builds, and that a Lark without those internals still
loads files, through the tree path."""

from __future__ import annotations

from pathlib import Path

import lark
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CASES, PIPELINES
from funnelc import lark_adapter, syntax
from funnelc.build import UnknownEscapes, build_model, parse_and_build
from funnelc.cli import cli
from funnelc.source import normalize_line_ends

SHIPPED = sorted([*PIPELINES.rglob("*.funnel"), *CASES.rglob("*.funnel")])


def _tree_path(text: str, path: str) -> tuple[object, list[tuple[object, ...]]] | None:
    """The tree path's model and comments; None for a file with errors (syntax errors,
    or unknown escapes in quoted text, which `_tree_errors` gives)."""
    parsed = syntax.parse_text(text, path)
    if parsed.tree is None:
        return None
    try:
        return build_model(parsed.tree, path, text), _token_facts(parsed.comments)
    except UnknownEscapes:
        return None


def _tree_errors(text: str, path: str) -> list[object]:
    parsed = syntax.parse_text(text, path)
    if parsed.tree is None:
        return list(parsed.diagnostics)
    try:
        build_model(parsed.tree, path, text)
    except UnknownEscapes as e:
        return list(e.diagnostics)
    return []


def _token_facts(tokens: list[lark.Token]) -> list[tuple[object, ...]]:
    return [(t.type, str(t), t.start_pos, t.line, t.column, t.end_line, t.end_column,
             t.end_pos) for t in tokens]


def test_lark_internals_are_the_ones_the_adapter_reads() -> None:
    try:
        tables = lark_adapter.tables(syntax.parser())
    except lark_adapter.Unavailable as e:  # pragma: no cover - only on a new Lark
        pytest.fail(f"Lark {lark.__version__} changed the internals funnelc.lark_adapter "
                    f"reads ({e}); loading falls back to the slow tree path. Update the "
                    f"adapter or pin Lark to {lark_adapter.VERIFIED_LARK}.")
    assert tables.actions and tables.lexers and tables.shapes
    assert tables.start in tables.actions and tables.end in tables.actions
    assert syntax.fast_path_available()


def test_the_lark_in_use_is_a_verified_release() -> None:
    assert lark.__version__ in lark_adapter.VERIFIED_LARK, (
        f"Lark {lark.__version__} is not among the releases the fast path was verified "
        f"with ({', '.join(lark_adapter.VERIFIED_LARK)}): run this file under it, then "
        "add it to VERIFIED_LARK and to the pin in pyproject.toml")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_fast_path_builds_the_tree_paths_model(path: Path) -> None:
    text = normalize_line_ends(path.read_text(encoding="utf-8"))
    expected = _tree_path(text, str(path))
    built = parse_and_build(text, str(path))
    if expected is None:
        assert built.model is None and built.diagnostics
        assert built.diagnostics == _tree_errors(text, str(path))
        return
    model, comments = expected
    assert built.model == model
    assert _token_facts(built.comments) == comments


_PIECES = ["\n", " ", "{", "}", "->", '"', '"Этап"', "90%", "after", "exp(1h)", "won",
           "lost", "stage", "# note\n", "\t", "..", "7d", "sla", ",", "x"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(SHIPPED[:12] or SHIPPED), data=st.data())
def test_fast_path_matches_tree_path_on_mutated_text(source: Path, data: st.DataObject) -> None:
    text = normalize_line_ends(source.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(st.sampled_from(_PIECES)) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(1, 8)):]
    expected = _tree_path(text, "m.funnel")
    built = parse_and_build(text, "m.funnel")
    if expected is None:
        assert built.model is None
        assert built.diagnostics == _tree_errors(text, "m.funnel")
        return
    model, comments = expected
    assert built.model == model
    assert _token_facts(built.comments) == comments


def _unavailable(lark_parser: lark.Lark) -> lark_adapter.Tables:
    raise lark_adapter.Unavailable("simulated: a Lark without the internals")


@pytest.mark.parametrize("name", ["saleschef.funnel", "courses.funnel"])
def test_without_lark_internals_check_falls_back_to_the_tree_path(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(PIPELINES / name)
    runner = CliRunner()
    fast = runner.invoke(cli, ["check", "--format", "json", path])
    monkeypatch.setattr(lark_adapter, "tables", _unavailable)
    assert not syntax.fast_path_available()
    slow = runner.invoke(cli, ["check", "--format", "json", path])
    assert slow.exception is None or isinstance(slow.exception, SystemExit)
    assert (slow.exit_code, slow.stdout) == (fast.exit_code, fast.stdout)


def test_without_lark_internals_a_syntax_error_is_still_reported(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(lark_adapter, "tables", _unavailable)
    bad = tmp_path / "bad.funnel"
    bad.write_text('account "A" {\n  currency RUB\n}\npipeline "P" {\n  stage "S" {\n',
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 1
    assert "bad.funnel:" in result.output and "Traceback" not in result.output
