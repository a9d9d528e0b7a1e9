"""history.html in a real browser (Debian's chromium, headless, through chromedriver, as
tests/test_report_browser.py): at a desktop and a phone width nothing runs past the
page. The furniture maker's export (tests/data/furniture_uk) has the widest table the
audit writes, managers against the rest of the team (20 columns)."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
DATA = Path(__file__).resolve().parent / "data" / "furniture_uk"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no chromium/chromedriver: install Debian's chromium and chromium-driver "
           "(.ci/run does) to run the browser tests")

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
    spec = importlib.util.spec_from_file_location("furniture_uk_generate", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    root = tmp_path_factory.mktemp("history-browser")
    gen.main(root / "data", 7)
    result = CliRunner().invoke(cli, ["history", str(root / "data" / "bitrix24"), "--funnel",
                                      str(DATA / "dubok.funnel"), "-o", str(root / "out"),
                                      "-q"])
    assert result.exit_code == 0, result.output
    return root / "out" / "history.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


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
