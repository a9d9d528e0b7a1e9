"""`funnelc fit` as a user runs it: stage names of the history that match no stage of
the funnel are warned about exactly as `history` warns (issue 13: the list of unmatched
names with the closest match for each), and a history none of whose names match is
refused before anything is fitted or written."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import PIPELINES

FUNNEL = """\
source "Web" 10/day -> "Продажи"."Новая"

pipeline "Продажи" main {
  stage "Новая" {
    -> "Квалификация" 70% after exp(2h)
    -> lost "Спам" 30%
  }
  stage "Квалификация" {
    -> won 40% after exp(1d)
    -> lost "Дорого" 60% after exp(2d)
  }
}
"""


def _run(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "funnelc", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def _history(path: Path, second: str) -> Path:
    t0 = datetime(2022, 2, 1, 9, tzinfo=UTC)
    rows = ["deal_id,timestamp,stage"]
    for i in range(60):
        t = t0 + timedelta(hours=11 * i)
        rows.append(f"{i},{t.isoformat()},Новая")
        rows.append(f"{i},{(t + timedelta(hours=2)).isoformat()},{second}")
        rows.append(f"{i},{(t + timedelta(hours=30)).isoformat()},{'won' if i % 2 else 'lost'}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_fit_warns_about_unmatched_names_with_the_closest_stage(tmp_path: Path) -> None:
    funnel = tmp_path / "f.funnel"
    funnel.write_text(FUNNEL, encoding="utf-8")
    hist = _history(tmp_path / "h.csv", "Квалификацыя")
    out = tmp_path / "fitted.funnel"
    code, _, err = _run("fit", str(hist), "--funnel", str(funnel), "-o", str(out))
    assert code == 0, err
    flat = " ".join(err.split())
    line = next(i for i, t in enumerate(FUNNEL.splitlines(), 1) if 'stage "Квалификация"' in t)
    col = FUNNEL.splitlines()[line - 1].index('"Квалификация"') + 1
    assert "warning: 1 of 2 stage names of the history matches no stage of" in flat, err
    assert (f'--> {hist}:3: "Квалификацыя" (60 events): did you mean '
            f'"Продажи"."Квалификация" ({funnel}:{line}:{col})?') in flat, err
    assert "= help:" in flat
    assert out.exists()


def test_fit_refuses_a_funnel_of_another_account(tmp_path: Path) -> None:
    hist = _history(tmp_path / "h.csv", "Call")
    hist.write_text(hist.read_text(encoding="utf-8").replace("Новая", "Lead"),
                    encoding="utf-8")
    out = tmp_path / "fitted.funnel"
    code, stdout, err = _run("fit", str(hist), "--funnel", str(PIPELINES / "courses.funnel"),
                             "-o", str(out))
    assert code == 1, err
    flat = " ".join(err.split())
    assert "error: no stage name of the history matches a stage of" in flat, err
    assert "Traceback" not in err and not out.exists() and stdout == ""
