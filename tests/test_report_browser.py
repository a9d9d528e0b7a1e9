"""report.html in a real browser (issue 16, "What a person sees"): Debian's chromium,
headless, driven by Selenium through Debian's chromedriver, at a desktop width (1400 px)
and a phone width (390 px). Overflow is measured from the element boxes the browser laid
out, not judged by eye: nothing runs past the page sideways (wide tables scroll inside
their own box), no summary card's text spills out of it, and no two cards overlap.

The report is made from a copy of cottages.funnel under a long folder path, the case
that used to overlap the "scenario" card, once as it is and once with `--whatif` (the
scenarios' table, one column per scenario, and the comparison plot). `.ci/run` installs chromium and chromedriver
from Debian's packages; where neither can be found the tests skip and say so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PIPELINES, headless_chrome, needs_chromium
from funnelc.cli import cli

WIDTHS = (1400, 390)

pytestmark = needs_chromium

OVERFLOW_JS = """
const W = document.documentElement.clientWidth;
const out = {page: [], cards: [], overlaps: [], width: W,
             scrollWidth: document.documentElement.scrollWidth};
const describe = el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
  + ' «' + (el.textContent || '').trim().slice(0, 50) + '»';
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  const box = el.closest('.scroll');
  if (box && box !== el) continue;           // inside a box that scrolls on its own
  if (r.right > W + 0.5 || r.left < -0.5) out.page.push(describe(el));
}
const cards = Array.from(document.querySelectorAll('.facts > div'));
for (const c of cards) {
  if (c.scrollWidth > c.clientWidth + 1) out.cards.push(describe(c));
}
for (let i = 0; i < cards.length; i++) {
  for (let j = i + 1; j < cards.length; j++) {
    const a = cards[i].getBoundingClientRect(), b = cards[j].getBoundingClientRect();
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
        && b.top < a.bottom - 1) out.overlaps.push(describe(cards[i]) + ' / ' + describe(cards[j]));
  }
}
return out;
"""


@pytest.fixture(scope="module", params=[(), ("--whatif",)], ids=["report", "whatif"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Path:
    extra: tuple[str, ...] = request.param
    root = tmp_path_factory.mktemp("browser")
    folder = root / "a-very-long-folder-name-for-the-client" / "repository-of-the-consultant"
    folder.mkdir(parents=True)
    source = folder / "cottages.funnel"
    shutil.copy(PIPELINES / "cottages.funnel", source)
    out = root / "report"
    result = CliRunner().invoke(cli, ["report", str(source), "-o", str(out), "--days", "90",
                                      "--reps", "2", "--jobs", "1", "-q", *extra])
    assert result.exit_code == 0, result.output
    page = out / "report.html"
    if extra:
        assert '<section id="whatif">' in page.read_text(encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chrome() as driver:
        yield driver


def _layout(browser: object, page: Path, width: int, shot: Path | None = None
            ) -> dict[str, object]:
    driver = browser  # selenium's WebDriver; typed loosely to keep selenium off import
    driver.set_window_size(width, 1000)  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    found: dict[str, object] = driver.execute_script(OVERFLOW_JS)  # type: ignore[attr-defined]
    if shot is not None:
        driver.save_screenshot(str(shot))  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_runs_past_the_page(browser: object, report: Path, width: int,
                                    tmp_path: Path) -> None:
    found = _layout(browser, report, width, tmp_path / f"report-{width}.png")
    assert found["page"] == [], found
    assert found["scrollWidth"] == found["width"], found
    assert (tmp_path / f"report-{width}.png").stat().st_size > 10_000


@pytest.mark.parametrize("width", WIDTHS)
def test_summary_cards_hold_their_text(browser: object, report: Path, width: int) -> None:
    found = _layout(browser, report, width)
    assert found["cards"] == [], found
    assert found["overlaps"] == [], found


def test_the_check_catches_an_overflowing_page(browser: object, report: Path,
                                               tmp_path: Path) -> None:
    """The measurement is not blind: the same report with the stylesheet that let long
    paths and wide tables spill (no wrapping, no scroll boxes) fails it."""
    html = report.read_text(encoding="utf-8")
    broken = html.replace("overflow-wrap: anywhere;", "").replace("overflow-x: auto;", "")
    broken = broken.replace(".scroll {", ".scroll-off {")
    page = tmp_path / "broken.html"
    page.write_text(broken, encoding="utf-8")
    found = _layout(browser, page, 390)
    assert found["page"] or found["cards"] or found["overlaps"], found


WORDS_JS = r"""
const broken = [];
for (const span of document.querySelectorAll('td > .bad, td > .ok')) {
  const node = span.firstChild;
  if (!node || node.nodeType !== Node.TEXT_NODE) continue;
  const text = node.textContent;
  const re = /\S+/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    if (lines.size > 1) broken.push(m[0]);
  }
}
return broken;
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_verdict_words_are_never_cut(browser: object, report: Path, width: int) -> None:
    """Regression: the narrow verdict columns cut «кладбище» into «кладб/ище» and «не
    справляется» into «не/справ/ляетс/я» (every table cell may break anywhere, so that
    long paths never spill; a one-word verdict must not)."""
    driver = browser
    driver.set_window_size(width, 1000)  # type: ignore[attr-defined]
    driver.get(report.as_uri())  # type: ignore[attr-defined]
    assert driver.execute_script(WORDS_JS) == []  # type: ignore[attr-defined]


LEGENDS_JS = r"""
const out = [];
for (const legend of document.querySelectorAll('svg g[id*="legend"]')) {
  const svg = legend.ownerSVGElement;
  const box = legend.getBBox();
  const view = svg.viewBox.baseVal;
  if (box.x < view.x - 0.5 || box.x + box.width > view.x + view.width + 0.5) {
    out.push(legend.id + ' ' + Math.round(box.x) + '..' + Math.round(box.x + box.width)
             + ' of ' + Math.round(view.width));
  }
}
return out;
"""


def test_plot_legends_stay_inside_their_figures(browser: object, report: Path) -> None:
    """Regression: the time-in-stage legend ran past the figure's right edge in Russian
    and was cut at «ожидание в очереди неизвестн»."""
    driver = browser
    driver.set_window_size(1400, 1000)  # type: ignore[attr-defined]
    driver.get(report.as_uri())  # type: ignore[attr-defined]
    assert driver.execute_script(LEGENDS_JS) == []  # type: ignore[attr-defined]
