"""The answer to «marketing or sales?» on a phone: history.html of the Kyiv school
(tests/data/school_csv_uk) at 390 px. The sources' verdict column was squeezed to 131
px, a word a line, each row about 400 px high; a cell that is a sentence keeps 20em
now (`report.SENTENCE`), and the table scrolls sideways in its box as before."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from conftest import DATA, headless_chrome, needs_chromium
from funnelc.cli import cli

VERDICTS_JS = """
const h = document.getElementById(arguments[0]);
let el = h.nextElementSibling;
while (el && !el.querySelector('table')) el = el.nextElementSibling;
const rows = [...el.querySelectorAll('tbody tr')];
return rows.map(r => { const b = r.lastElementChild.getBoundingClientRect();
                       return [b.width, b.height]; });
"""


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("school_csv_uk",
                                                  DATA / "school_csv_uk" / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass looks its module up there
    spec.loader.exec_module(mod)
    return mod


@needs_chromium
def test_the_verdicts_keep_a_readable_width_on_a_phone(tmp_path: Path) -> None:
    g = _generator()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, [
        "history", str(g.write(tmp_path)), "--funnel",
        str(DATA / "school_csv_uk" / "school.funnel"), "--tz", g.TZ, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with headless_chrome() as driver:
        driver.set_window_size(390, 1000)  # type: ignore[attr-defined]
        driver.get((out / "history.html").as_uri())  # type: ignore[attr-defined]
        cells = driver.execute_script(VERDICTS_JS, "decomposition")  # type: ignore[attr-defined]
        assert len(cells) == 3
        # 20em of the tables' 12.5 px is 250 px; the longest verdict then needs about a
        # dozen lines, not 25.
        assert all(w >= 250 for w, _ in cells), cells
        assert max(h for _, h in cells) < 250, cells
        # The findings' sentences likewise (the last column: the money comes first).
        found = driver.execute_script(VERDICTS_JS, "findings")  # type: ignore[attr-defined]
        assert all(w >= 250 for w, _ in found), found
