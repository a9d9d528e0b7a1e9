"""The example funnels and the README's funnel snippets are documentation a consultant
copies from: each must read without a syntax error, and each whole file (every
`pipelines/*.funnel`, every README block with an `account`) must pass `funnelc check`
without a single error. Lint warnings are allowed: some examples (the "before" cottage
funnel) exist to show them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES, ROOT
from funnelc import load_text
from funnelc import model as m
from funnelc.cli import cli

EXAMPLES = sorted(PIPELINES.glob("*.funnel"))
FENCE = re.compile(r"^```funnel[^\n]*\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[tuple[str, str]]:
    """(file:line, text) of every ```funnel block in README.md and of every whole-file
    one in docs/ (fragments, ```funnel fragment, are checked in a wrapper by
    tests/test_docs_snippets.py)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT).as_posix()
        for match in FENCE.finditer(text):
            if rel != "README.md" and "fragment" in match.group(0).split("\n", 1)[0]:
                continue
            found.append((f"{rel}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1)))
    return found


BLOCKS = readme_blocks()
WHOLE_FILES = [b for b in BLOCKS if re.search(r"^account ", b[1], re.M)]


def errors_of(result_output: str) -> list[dict]:
    data = json.loads(result_output)
    return [d for d in data["diagnostics"] if d["severity"] == "error"]


def test_every_seed_has_an_example() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"cottages.funnel", "cottages-before.funnel", "developer.funnel",
            "saleschef.funnel", "qualification.funnel", "courses.funnel"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_without_errors(path: Path) -> None:
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(path)])
    assert result.exit_code in (0, 1), result.output
    errors = errors_of(result.stdout)
    assert errors == [], "\n".join(f"{e['code']} {e.get('message')} at line "
                                   f"{e.get('span', {}).get('line')}" for e in errors)


def seed_sections() -> dict[str, str]:
    """docs/seeds.md's `## Seed NNN` sections (name → text), funnel blocks left out."""
    text = (ROOT / "docs" / "seeds.md").read_text(encoding="utf-8")
    return {m.group(1): re.sub(r"```funnel.*?```", "", m.group(2), flags=re.S)
            for m in re.finditer(r"^## (Seed \d+)[^\n]*\n(.*?)(?=^## |\Z)", text, re.S | re.M)}


SEED_LINT_CLAIMS = [(name, code) for name, body in seed_sections().items()
                    if "funnelc check pipelines/" in body
                    for code in sorted(set(re.findall(r"\bFN1\d\d\b", body)))]


@pytest.mark.parametrize(("section", "code"), SEED_LINT_CLAIMS,
                         ids=[f"{s}-{c}" for s, c in SEED_LINT_CLAIMS])
def test_a_seed_page_names_only_findings_its_check_shows(section: str, code: str) -> None:
    """docs/seeds.md tells the reader to run `funnelc check` on an example and names what
    lint points out there: each lint code a section names is reported by that check, or is
    suppressed in the file by a `noqa` that the section says is there. (Seed 004's section
    said lint points out FN109 on courses.funnel long after the file suppressed it.)"""
    body = seed_sections()[section]
    checked = re.findall(r"funnelc check (pipelines/\S+\.funnel)", body)
    reported: set[str] = set()
    suppressed = False
    for rel in checked:
        result = CliRunner().invoke(cli, ["check", "--format", "json", str(ROOT / rel)])
        assert result.exit_code in (0, 1), result.output
        reported |= {d["code"] for d in json.loads(result.stdout)["diagnostics"]}
        source = (ROOT / rel).read_text(encoding="utf-8")
        suppressed |= re.search(r"#\s*funnelc:\s*noqa\b[^\n]*\b" + code + r"\b",
                                source) is not None
    said = suppressed and re.search(r"noqa[ `]*" + code, body) is not None
    assert code in reported or said, (
        f"docs/seeds.md, {section}: names {code} beside `funnelc check {' '.join(checked)}`,"
        f" which reports {sorted(reported)}"
        + (" (the file suppresses it with noqa; the section does not say so)"
           if suppressed else ""))


def funnelc_executable() -> str:
    """The `funnelc` console script the install created (beside this Python first)."""
    beside = Path(sys.executable).with_name("funnelc")
    found = str(beside) if beside.exists() else shutil.which("funnelc")
    assert found, "the funnelc console script is not installed: run `pip install -e .`"
    return found


def test_saleschef_checks_in_a_real_process() -> None:
    """The benchmark account through the installed console script, exactly as a user
    types it: no error, no traceback (lint warnings may set exit code 1)."""
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([funnelc_executable(), "check", "pipelines/saleschef.funnel"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert "error[" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_readme_has_funnel_blocks() -> None:
    """The extraction works: the language reference (docs/, and README until it moved
    there) has a block per construct group and at least the tour and the account block
    are whole files."""
    assert len(BLOCKS) >= 10
    assert len(WHOLE_FILES) >= 2


@pytest.mark.parametrize("where,text", BLOCKS, ids=[where for where, _ in BLOCKS])
def test_readme_block_parses(where: str, text: str) -> None:
    loaded = load_text(text, where)
    syntax = [d for d in loaded.diagnostics if d.code.startswith("FN0")]
    assert loaded.model is not None and syntax == [], \
        f"block at {where}: " + "; ".join(f"{d.code} {d.message}" for d in syntax)


@pytest.mark.parametrize("where,text", WHOLE_FILES, ids=[where for where, _ in WHOLE_FILES])
def test_readme_whole_files_check_without_errors(where: str, text: str) -> None:
    loaded = load_text(text, where)
    assert loaded.errors == [], f"block at {where}: " + "; ".join(
        f"{d.code} {d.message}" for d in loaded.errors)


def _constructs(funnel: m.FunnelFile) -> set[str]:
    """Names of the language constructs one file uses, read from its model."""
    seen: set[str] = set()
    add = seen.add
    dists: list[m.Dist] = []
    for acct in funnel.accounts:
        add("account")
        for attr in ("currency", "hours", "language"):
            if getattr(acct, attr) is not None:
                add(f"account {attr}")
        if acct.queue is not None:
            add(f"queue {acct.queue.value}")
    for team in funnel.teams:
        add("team")
        if team.hours is not None:
            add("team hours")
    for fld in funnel.fields:
        kind = fld.type.kind
        add(f"field {kind} range" if kind == "int" and fld.type.low is not None else f"field {kind}")
        add(f"on {fld.entity.value}")
    for src in funnel.sources:
        add(f"rate /{src.rate.unit}")
        if src.value is not None:
            add("source value")
            dists.append(src.value)
        if src.profile:
            add("source profile")

    def target(prefix: str, t: m.Target, copy: m.Copy | None) -> None:
        add(f"{prefix} -> {t.kind}")
        if copy is not None:
            add(f"{prefix} copy")

    for pipe in funnel.pipelines:
        add("pipeline")
        if pipe.main:
            add("main")
        if pipe.style is not None:
            add(pipe.style.value)
        if pipe.purpose is not None:
            add(f"purpose {pipe.purpose.value}")
        for ro in pipe.reopens:
            add("reopen")
            if ro.after is not None:
                add("reopen after")
                dists.append(ro.after)
        for st in pipe.stages:
            if st.key:
                add("key")
            for attr in ("owner", "respond", "hint", "stay"):
                if getattr(st, attr) is not None:
                    add(attr)
            if st.work is not None:
                add("work")
                dists.append(st.work)
            if st.requires:
                add("requires")
            if st.color is not None:
                add("color")
            if st.sla is not None:
                target("sla", st.sla.target, st.sla.copy_to)
            for act in st.on_enter:
                add(f"on enter {act.kind}")
                if isinstance(act, m.TaskAction):
                    if act.due is not None:
                        add("task due")
                    if act.team is not None:
                        add("task to")
                else:
                    if isinstance(act, m.MessageAction):
                        add(f"channel {act.channel.value}")
            for out in st.outcomes:
                target("outcome", out.target, out.copy_to)
                if out.share is not None:
                    add("outcome share")
                if out.after is not None:
                    add("after")
                    dists.append(out.after)
                if out.when is not None:
                    add("when")
                    if len(out.when.terms) > 1:
                        add("when and")
                    for term in out.when.terms:
                        add(f"when {term.op}")
            if st.cadence is not None:
                add("cadence")
                for touch in st.cadence.touches:
                    add(f"channel {touch.channel.value}")
                    add("touch now" if touch.offset is None else "touch offset")
                    if touch.work is not None:
                        add("touch work")
                        dists.append(touch.work)
                for route, name in ((st.cadence.on_reply, "on reply"),
                                    (st.cadence.on_exhausted, "on exhausted")):
                    if route is not None:
                        target(name, route.target, route.copy_to)
    for scen in funnel.scenarios:
        add("scenario")
        for ovr in scen.overrides:
            add(f"scenario {ovr.kind}")
            if ovr.rate is not None:
                add(f"rate /{ovr.rate.unit}")
    for dist in dists:
        add("dist bare" if dist.bare else f"dist {dist.kind}")
    return seen


def test_examples_use_every_construct() -> None:
    """Across the examples, every construct of the language appears at least once, so a
    reader finds a real use of each, and the simulation and exports meet all of them."""
    used: set[str] = set()
    for path in EXAMPLES:
        loaded = load_text(path.read_text(encoding="utf-8"), str(path))
        assert loaded.model is not None, path
        used |= _constructs(loaded.model)
    expected = {
        "account", "account currency", "account hours", "account language", "queue fifo",
        "queue key-first", "team", "team hours", "source value", "source profile",
        "pipeline", "main", "process", "conversion", "key", "owner", "work", "respond",
        "hint", "stay", "requires", "color", "sla -> stage", "sla -> lost",
        "sla -> won", "sla copy", "on enter task", "task due", "task to",
        "on enter message", "on enter assign", "outcome -> stage", "outcome -> won",
        "outcome -> lost", "outcome copy", "outcome share", "after", "when", "when and",
        "cadence", "touch now", "touch offset", "touch work", "on reply -> stage",
        "on reply -> won", "on exhausted -> stage", "on exhausted -> lost",
        "on exhausted -> won", "on reply copy", "on exhausted copy", "reopen",
        "reopen after", "scenario",
    }
    expected |= {f"when {op}" for op in ("=", "!=", "<", "<=", ">", ">=", "filled")}
    expected |= {f"dist {k}" for k in ("fixed", "exp", "uniform", "triangular", "lognormal",
                                       "gamma", "empirical", "bare")}
    expected |= {f"field {t}" for t in ("text", "number", "money", "date", "phone", "email",
                                        "url", "bool", "int", "int range", "enum", "multi")}
    expected |= {f"on {e}" for e in ("deal", "contact", "company")}
    expected |= {f"purpose {p.value}" for p in m.Purpose}
    expected |= {f"rate /{u}" for u in ("hour", "day", "week", "month")}
    expected |= {f"channel {c}" for c in ("call", "whatsapp", "telegram", "email", "sms", "chat")}
    expected |= {f"scenario {k}" for k in ("team_size", "team_hours", "source_rate",
                                          "source_profile", "stage_work", "stage_sla",
                                          "stage_respond", "stage_owner", "stage_share",
                                          "stage_stay")}
    missing = sorted(expected - used)
    assert missing == [], missing
