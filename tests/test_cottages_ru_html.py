"""history.html of the cottage builder (tests/data/cottages_amocrm_ru, seed 0) in a real
browser: the graveyard's proposal, funnel text a consultant copies from the page, is
read whole on a desktop. Its cell kept every line on one line (`white-space: pre`), so
the cold stage's hint and comments ran past the table's edge at 1400 px, to be found by
scrolling the table sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, data_generator, headless_chrome, needs_chromium
from funnelc.cli import cli

pytestmark = needs_chromium

PRE_JS = """
const pre = document.querySelector('#graveyard_proposals ~ div.scroll td pre');
const box = pre.closest('.scroll');
return {pre: pre.scrollWidth, cell: pre.clientWidth, box: box.clientWidth,
        table: box.scrollWidth, text: pre.textContent};
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cottages-html")
    data_generator("cottages_amocrm_ru").write(root / "export", 0)
    result = CliRunner().invoke(cli, ["history", str(root / "export"), "--funnel",
                                      str(DATA / "cottages_amocrm_ru" / "cottages.funnel"),
                                      "--tz", "Europe/Moscow", "-o", str(root / "out"), "-q"])
    assert result.exit_code == 0, result.output
    return root / "out" / "history.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chrome() as driver:
        yield driver


def test_the_proposal_is_read_whole_on_a_desktop(browser: object, page: Path,
                                                 tmp_path: Path) -> None:
    driver = browser  # selenium's WebDriver; typed loosely to keep selenium off import
    driver.set_window_size(1400, 1000)  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    found: dict[str, object] = driver.execute_script(PRE_JS)  # type: ignore[attr-defined]
    driver.save_screenshot(str(tmp_path / "cottages-1400.png"))  # type: ignore[attr-defined]
    assert "stage \"Холодные\"" in str(found["text"]) and "hint" in str(found["text"])
    # Nothing of the text is hidden sideways: not in its cell, not past the table's box.
    assert found["pre"] <= found["cell"], found  # type: ignore[operator]
    assert found["table"] <= found["box"], found  # type: ignore[operator]


TOC_JS = """
const heads = [...document.querySelectorAll('main > h2')];
const links = [...document.querySelectorAll('nav.toc a')];
return {heads: heads.map(h => [h.id, h.textContent, h.getBoundingClientRect().top]),
        links: links.map(a => [a.getAttribute('href'), a.textContent]),
        label: document.querySelector('nav.toc').getAttribute('aria-label')};
"""


def test_the_page_opens_with_the_findings_and_lists_its_sections(browser: object,
                                                                 page: Path) -> None:
    """The audit's findings are what the consultant shows the client: they were the
    eleventh heading, under the plots and ten tables; now they come first, and a linked
    list of every heading stands under the title."""
    driver = browser
    driver.set_window_size(1400, 1000)  # type: ignore[attr-defined]
    driver.get(page.as_uri())  # type: ignore[attr-defined]
    found: dict[str, list[list[object]]] = driver.execute_script(TOC_JS)  # type: ignore[attr-defined]
    heads, links = found["heads"], found["links"]
    assert found["label"] == "Содержание"
    assert heads[0][:2] == ["findings", "Находки аудита: сначала то, где на кону больше денег"]
    assert heads[1][:2] == ["detectable", "Что сравнения могли заметить"]
    assert heads[2][:2] == ["plots", "Графики"]
    # Every heading is listed, in the page's order, and every link leads to its heading.
    assert [[f"#{h[0]}", h[1]] for h in heads] == links
    assert len(heads) > 15 and len({h[0] for h in heads}) == len(heads)
    tops = [float(h[2]) for h in heads]  # type: ignore[arg-type]
    assert tops == sorted(tops)
    driver.find_element("css selector", 'nav.toc a[href="#graveyard_proposals"]').click()  # type: ignore[attr-defined]
    top = driver.execute_script(  # type: ignore[attr-defined]
        "return document.getElementById('graveyard_proposals').getBoundingClientRect().top")
    assert abs(top) < 5, top
