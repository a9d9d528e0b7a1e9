"""The line that says how a simulation ran reads plain Russian and Ukrainian, the same
words in every command (a native speaker's review of the cottages account):

* the local processes a run used are «процесса/процессов» in Russian, as Ukrainian says
  «процеси»: `whatif` read «выполнено на локальной машине, 2 воркера» (jargon);
* the warm-up is «разогрев»/«розігрів» everywhere: `report`'s progress on stderr, `whatif`,
  `staff` and `sweep` said «разгон»/«розгін» while the report's HTML and `simulate` said
  «разогрев»/«розігрів».

Each command runs through the CLI as a user runs it, on the Russian account and with
`--lang uk`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from funnelc.cli import cli
from funnelc.i18n import catalog_path

ROOT = Path(__file__).resolve().parent.parent
COTTAGES = str(ROOT / "pipelines" / "cottages.funnel")  # language ru
QUICK = ["--days", "60", "--warmup", "30", "--reps", "3", "--jobs", "2"]
WORDS = {"ru": ("разогрев", "разгон"), "uk": ("розігрів", "розгін")}


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # rich wraps lines


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_whatif_says_processes_and_one_warmup_word(lang: str) -> None:
    """`whatif` on two local processes: «2 процесса» / «2 процеси», and the warm-up in the
    word the report and `simulate` use."""
    out = _run(["whatif", COTTAGES, *QUICK, "--lang", lang])
    assert ("локальной машине, 2 процесса" if lang == "ru"
            else "локальній машині, 2 процеси") in out
    assert "воркер" not in out
    right, wrong = WORDS[lang]
    assert f"({right} 30 " in out and wrong not in out


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_report_progress_says_the_warmup_as_the_report_does(lang: str, tmp_path: Path
                                                           ) -> None:
    """`report`'s progress line on stderr and its HTML name the warm-up alike."""
    out = _run(["report", COTTAGES, "-o", str(tmp_path / "rep"), *QUICK, "--lang", lang])
    right, wrong = WORDS[lang]
    assert f"({right} 30 " in out and wrong not in out
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert right in html and wrong not in html


def test_no_russian_message_says_worker() -> None:
    """No Russian message calls a process «воркер», whichever command shows it."""
    text = catalog_path("ru").read_text(encoding="utf-8")
    assert "воркер" not in "".join(line for line in text.splitlines()
                                   if not line.startswith("msgid"))
