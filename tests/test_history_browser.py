"""history.html in a real browser (Debian's chromium, headless, through chromedriver, as
tests/test_report_browser.py): at a desktop and a phone width nothing runs past the
page. The furniture maker's export (tests/data/furniture_uk) has the widest table the
audit writes, managers against the rest of the team (20 columns)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import data_generator, headless_chrome, needs_chromium
from funnelc.cli import cli

DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"

pytestmark = needs_chromium

OVERFLOW_JS = """
const W = document.documentElement.clientWidth;
const out = {page: [], width: W, scrollWidth: document.documentElement.scrollWidth};
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  const box = el.closest('.scroll');
  if (box && box !== el) continue;           // inside a box that scrolls on its own
  if (r.right > W + 0.5 || r.left < -0.5)
    out.page.push(el.tagName.toLowerCase() + ' «' + (el.textContent || '').trim().slice(0, 40) + '»');
}
return out;
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gen = data_generator("furniture_uk")
    root = tmp_path_factory.mktemp("history-browser")
    gen.main(root / "data", 7)
    result = CliRunner().invoke(cli, ["history", str(root / "data" / "bitrix24"), "--funnel",
                                      str(DATA / "dubok.funnel"), "-o", str(root / "out"),
                                      "-q"])
    assert result.exit_code == 0, result.output
    return root / "out" / "history.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chrome() as driver:
        yield driver


@pytest.mark.parametrize("width", [1400, 390])
def test_wide_tables_scroll_in_their_own_box(browser: object, page: Path, width: int,
                                             tmp_path: Path) -> None:
    # The managers' table was 1,778 px wide in a 1,400 px window: the page itself
    # scrolled sideways, headings, notes and plots with it.
    driver = browser  # selenium's WebDriver; typed loosely to keep selenium off import
    driver.set_window_size(width, 1000)  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    found: dict[str, object] = driver.execute_script(OVERFLOW_JS)  # type: ignore[attr-defined]
    driver.save_screenshot(str(tmp_path / f"history-{width}.png"))  # type: ignore[attr-defined]
    assert found["page"] == [], found
    assert found["scrollWidth"] == found["width"], found
