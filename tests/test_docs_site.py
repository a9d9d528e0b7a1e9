"""The documentation site (issue 16, section 4): the generated pages are current, the
site builds with `mkdocs build --strict` offline, and every page is in reach."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from funnelc import codes
from funnelc.docs_gen import GENERATED_DIRS, generated_pages

DOCS = ROOT / "docs"


def test_generated_pages_are_current() -> None:
    """docs/commands/ and docs/codes/ are what `python -m funnelc.docs_gen` writes: a
    changed option help, a new command or a new code makes them stale."""
    pages = generated_pages()
    stale = [rel for rel, text in pages.items()
             if not (DOCS / rel).exists() or (DOCS / rel).read_text(encoding="utf-8") != text]
    extra = [f"{sub}/{p.name}" for sub in GENERATED_DIRS for p in sorted((DOCS / sub).glob("*"))
             if f"{sub}/{p.name}" not in pages]
    assert stale == [] and extra == [], (
        f"stale: {stale}, not generated: {extra}; run `python -m funnelc.docs_gen`")


def test_a_page_per_command_and_per_code() -> None:
    pages = generated_pages()
    from funnelc.cli import COMMANDS

    assert {f"commands/{n}.md" for n in COMMANDS} <= set(pages)
    assert {f"codes/{c}.md" for c in codes.REGISTRY} <= set(pages)
    check = pages["commands/check.md"]
    assert "funnelc check [OPTIONS] FILES..." in check and "`--no-lint`" in check
    fn215 = pages["codes/FN215.md"]
    assert codes.REGISTRY["FN215"].meaning in fn215
    assert "tests/cases/errors/unreachable_stage.funnel" in fn215


def _nav_pages() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return set(re.findall(r":\s*([\w/.-]+\.md)\s*$", text, re.M))


def test_every_hand_written_page_is_in_the_nav() -> None:
    """A page outside the nav is found by nobody; the generated pages are reached
    through their index pages instead."""
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    hand = {p for p in pages if p.split("/")[0] not in GENERATED_DIRS}
    missing = sorted(hand - _nav_pages())
    assert missing == [], f"pages missing from mkdocs.yml's nav: {missing}"
    assert _nav_pages() <= pages, sorted(_nav_pages() - pages)


def test_site_builds_strict(tmp_path: Path) -> None:
    """`mkdocs build --strict`, as .ci/run does: a broken link, a missing anchor or an
    included example that does not exist fails it."""
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    pytest.importorskip("material", reason="mkdocs-material is not installed")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-d", str(tmp_path / "site")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    site = tmp_path / "site"
    assert (site / "index.html").exists() and (site / "codes" / "FN290.html").exists()
    assert "Коттеджи: как было" in (site / "seeds.html").read_text(encoding="utf-8"), \
        "the seeds page includes the shipped examples"
    assert not re.search(r"fonts\.googleapis|fonts\.gstatic",
                         (site / "index.html").read_text(encoding="utf-8")), \
        "the site loads no web fonts: it must work offline"


# The H2/H3 section headings of README.md before it became the pitch and its reference
# moved to docs/ (issue 16): each has a home in the docs, so nothing was lost on the way.
README_SECTIONS_BEFORE_THE_SITE = [
    'Quick start',
    'The language',
    'Names, comments, lines',
    'Numbers and units',
    'Distributions',
    'account',
    'team',
    'field',
    'source',
    'pipeline',
    'stage',
    'reopen',
    'scenario',
    'What the checker enforces',
    'Example funnels',
    'Command line',
    'funnelc check',
    'funnelc fmt',
    'funnelc schema',
    'Exact funnel maths (`funnelc analyze`)',
    'Simulation',
    'Exports',
    'Lint',
    'Learning from history (`funnelc history`, `funnelc fit`)',
    'Audit (`funnelc audit`)',
    'Forecast (`funnelc forecast`)',
    'Workshop mode (`funnelc serve`)',
    'Development',
    'Benchmarks',
    'Error codes',
]


def _doc_headings() -> set[str]:
    found: set[str] = set()
    for page in DOCS.rglob("*.md"):
        fence = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("```"):
                fence = not fence
            match = None if fence else re.match(r"^#{1,6} (.*)$", line)
            if match:
                found.add(match.group(1).strip())
    return found


def test_every_former_readme_section_has_a_home_in_docs() -> None:
    missing = [h for h in README_SECTIONS_BEFORE_THE_SITE if h not in _doc_headings()]
    assert missing == [], f"README sections with no heading in docs/: {missing}"


def test_readme_is_the_pitch_and_links_into_the_docs() -> None:
    """README: at most 15 KB, the Quick start's two commands as they were (.ci/run and
    new users run them), a whole example, and links that lead somewhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= 15 * 1024, len(readme.encode("utf-8"))
    assert "```sh\npip install . && funnelc report pipelines/cottages.funnel -o report\n```" \
        in readme
    assert "```sh\npip install -e '.[test]' && python -m pytest -q\n```" in readme
    assert re.search(r"^```funnel\n", readme, re.M), "the README shows a funnel"
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    assert len(links) >= 15, links
    broken = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert broken == [], f"README links to missing files: {broken}"


def test_the_report_files_the_docs_open_are_the_ones_report_writes() -> None:
    """A page that runs `funnelc report … -o DIR` and then names a file in DIR names one
    the report writes: the language guide told the reader to «open report/index.html»,
    a file the report has never written (it writes report.html)."""
    from funnelc.report.build import report_file_names

    written = set(report_file_names())
    named: list[str] = []
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for folder in set(re.findall(r"funnelc report \S+ -o (\S+)", text)):
            folder = folder.rstrip("/")
            for name in re.findall(r"(?<![\w/.-])" + re.escape(folder) + r"/([\w.-]+\.\w+)",
                                   text):
                if name not in written:
                    named.append(f"{page.relative_to(ROOT)}: {folder}/{name}")
    assert named == [], f"files report does not write ({sorted(written)}): {named}"
