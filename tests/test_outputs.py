"""No output destroys an input or a special file (issue 11, section 2).

Every command refuses an output path that is one of its inputs (exit 2, the input
byte-identical); a symlink is followed and kept; a FIFO or device is written directly
and stays what it was; a folder where a file is expected is exit 2; `-` is stdout; a full
disk or a closed pipe is an I/O error naming the path, exit 2, never "a bug in funnelc";
a multi-file output that cannot be written whole writes nothing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import CASES, PIPELINES
from funnelc.cli import cli

CLEAN = CASES / "cli" / "clean.funnel"
QUICK = ["--days", "5", "--warmup", "1", "--reps", "2", "--jobs", "1"]
PIPELINES_JSON = """{"_embedded": {"pipelines": [{"id": 1, "name": "Продажи", "sort": 1,
 "is_main": true, "is_unsorted_on": false, "is_archive": false, "account_id": 5,
 "_embedded": {"statuses": [
  {"id": 10, "name": "Заявка", "sort": 10, "is_editable": true, "pipeline_id": 1,
   "color": "#ffdc7f", "type": 0, "account_id": 5},
  {"id": 142, "name": "Успешно реализовано", "sort": 10000, "is_editable": false,
   "pipeline_id": 1, "color": "#CCFF66", "type": 0, "account_id": 5},
  {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000, "is_editable": false,
   "pipeline_id": 1, "color": "#D5D8DB", "type": 0, "account_id": 5}]}}]}}
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1"})


def run(*args: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
    """A real process: real file descriptors, the entry point's own handlers."""
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "funnelc", *args], stderr=subprocess.PIPE,
                          timeout=120, **kw)  # type: ignore[call-overload]


@pytest.fixture
def funnel(tmp_path: Path) -> Path:
    path = tmp_path / "c.funnel"
    shutil.copy(CLEAN, path)
    return path


@pytest.fixture
def history(tmp_path: Path, funnel: Path) -> Path:
    """Per-deal records of the funnel's own simulation: a history `fit` can read."""
    rec = tmp_path / "rec.csv"
    result = invoke("simulate", str(funnel), "--days", "60", "--warmup", "0", "--reps", "1",
                    "--jobs", "1", "--start", "2025-01-01", "--records", str(rec))
    assert result.exit_code == 0, result.output
    return rec


@pytest.fixture
def full(tmp_path: Path) -> str:
    """A device that answers every write with ENOSPC. As root, a private twin of
    /dev/full (a regression that replaces the node then breaks only this copy; an
    unprivileged process cannot replace /dev/full itself)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    twin = tmp_path / "full"
    try:
        os.mknod(twin, stat.S_IFCHR | 0o666, os.stat("/dev/full").st_rdev)
        return str(twin)
    except (OSError, AttributeError):
        return "/dev/full"


def _refused(result: Result, option: str) -> None:
    assert result.exit_code == 2, result.output
    assert option in result.output and "destroy" in result.output, result.output
    assert "Traceback" not in result.output and "bug" not in result.output


# ------------------------------------------------------------ outputs onto inputs


ONTO_INPUT = {
    "export -o": (["export", "{f}", "--to", "json", "-o", "{f}"], "'-o'"),
    "simulate --json": (["simulate", "--json", "{f}", "{f}", *QUICK], "'--json'"),
    "simulate --records": (["simulate", "--records", "{f}", "{f}", *QUICK], "'--records'"),
    "analyze --json": (["analyze", "--json", "{f}", "{f}"], "'--json'"),
    "whatif --json": (["whatif", "{f}", "--set", 'team "Менеджеры" size 3', "--json", "{f}"],
                      "'--json'"),
    "sweep --csv": (["sweep", "{f}", "--vary", 'team "Менеджеры" size 1..2', "--csv", "{f}"],
                    "'--csv'"),
    "staff --json": (["staff", "{f}", "--team", "Менеджеры", "--target", "utilization <= 85%",
                      "--json", "{f}"], "'--json'"),
    "staff --csv": (["staff", "{f}", "--team", "Менеджеры", "--target", "utilization <= 85%",
                     "--csv", "{f}"], "'--csv'"),
}


@pytest.mark.parametrize("name", list(ONTO_INPUT))
def test_output_onto_the_input_is_refused(name: str, funnel: Path) -> None:
    args, option = ONTO_INPUT[name]
    before = funnel.read_bytes()
    result = invoke(*(a.replace("{f}", str(funnel)) for a in args))
    _refused(result, option)
    assert funnel.read_bytes() == before


def test_plot_onto_the_input_is_refused(tmp_path: Path) -> None:
    """`--plot PATH` writes PATH.png and PATH.svg: an input of that name is refused."""
    funnel = tmp_path / "c.svg"
    shutil.copy(CLEAN, funnel)
    before = funnel.read_bytes()
    result = invoke("whatif", str(funnel), "--set", 'team "Менеджеры" size 3', "--plot",
                    str(tmp_path / "c"))
    _refused(result, "'--plot'")
    assert funnel.read_bytes() == before


def test_output_through_a_link_onto_the_input_is_refused(funnel: Path, tmp_path: Path
                                                         ) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(funnel)
    before = funnel.read_bytes()
    _refused(invoke("export", str(funnel), "--to", "json", "-o", str(link)), "'-o'")
    assert link.is_symlink() and funnel.read_bytes() == before


def test_import_onto_its_pipelines_json_is_refused(tmp_path: Path) -> None:
    pipelines = tmp_path / "p.json"
    pipelines.write_text(PIPELINES_JSON, encoding="utf-8")
    _refused(invoke("import", "amocrm", str(pipelines), "-o", str(pipelines)), "'-o'")
    assert pipelines.read_text(encoding="utf-8") == PIPELINES_JSON


def test_import_to_stdout(tmp_path: Path) -> None:
    pipelines = tmp_path / "p.json"
    pipelines.write_text(PIPELINES_JSON, encoding="utf-8")
    result = invoke("import", "amocrm", str(pipelines), "-o", "-")
    assert result.exit_code == 0, result.output
    assert 'pipeline "Продажи" main' in result.stdout and not (tmp_path / "-").exists()


def test_report_refuses_a_folder_holding_an_input_of_a_report_name(tmp_path: Path) -> None:
    """The report would write DIR/stages.csv: here that is the funnel being reported on."""
    folder = tmp_path / "r"
    folder.mkdir()
    funnel = folder / "stages.csv"
    shutil.copy(CLEAN, funnel)
    before = funnel.read_bytes()
    result = invoke("report", str(funnel), "-o", str(folder), *QUICK)
    _refused(result, "'-o'")
    assert funnel.read_bytes() == before and sorted(os.listdir(folder)) == ["stages.csv"]


def test_history_refuses_to_write_into_its_input_folder(tmp_path: Path, history: Path
                                                        ) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(history, folder / "rec.csv")
    result = invoke("history", str(folder), "-o", str(folder))
    assert result.exit_code == 2 and "input folder" in result.output, result.output
    assert os.listdir(folder) == ["rec.csv"]


def test_fit_onto_its_funnel_needs_in_place(funnel: Path, history: Path) -> None:
    before = funnel.read_bytes()
    result = invoke("fit", str(history), "--funnel", str(funnel), "-o", str(funnel))
    _refused(result, "'-o'")
    assert "--in-place" in result.output and funnel.read_bytes() == before
    _refused(invoke("fit", str(history), "--funnel", str(funnel), "-o", str(history)), "'-o'")

    result = invoke("fit", str(history), "--funnel", str(funnel), "--in-place")
    assert result.exit_code == 0, result.output
    # The account is `language ru`: fit says «записан PATH».
    assert funnel.read_bytes() != before and f"записан {funnel}" in result.output
    assert invoke("check", str(funnel), "--no-lint").exit_code == 0


def test_fit_in_place_with_another_output_is_a_usage_error(funnel: Path, history: Path,
                                                           tmp_path: Path) -> None:
    other = tmp_path / "other.funnel"
    result = invoke("fit", str(history), "--funnel", str(funnel), "--in-place",
                    "-o", str(other))
    assert result.exit_code == 2 and "--in-place" in result.output
    assert not other.exists()


def test_fit_to_stdout_keeps_the_report_on_stderr(funnel: Path, history: Path) -> None:
    result = invoke("fit", str(history), "--funnel", str(funnel), "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# A small account") and "pipeline" in result.stdout
    assert "wrote" not in result.output


# ------------------------------------------------------------ links, FIFOs, devices


def test_a_symlink_is_followed_and_kept(funnel: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    result = invoke("export", str(funnel), "--to", "json", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").startswith("{")


def test_fmt_write_through_a_symlink_formats_the_target(tmp_path: Path) -> None:
    target = tmp_path / "real.funnel"
    target.write_text("team   A   size 3\n", encoding="utf-8")
    link = tmp_path / "link.funnel"
    link.symlink_to(target)
    result = invoke("fmt", "--write", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "team A size 3\n"


def test_a_dangling_symlink_creates_its_target(funnel: Path, tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "new.json")
    assert invoke("export", str(funnel), "--to", "json", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "new.json").read_text("utf-8").startswith("{")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_written_directly_and_stays_a_fifo(funnel: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = invoke("export", str(funnel), "--to", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert got and got[0].startswith(b"{")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".funnelc-")] == []


@pytest.mark.parametrize("args", [
    ["export", "{f}", "--to", "json", "-o", "{full}"],
    ["analyze", "{f}", "--json", "{full}"],
    ["simulate", "{f}", *QUICK, "--records", "{full}"],
], ids=["export", "analyze", "simulate-records"])
def test_a_full_disk_is_an_io_error_naming_the_path(args: list[str], funnel: Path,
                                                    full: str) -> None:
    proc = run(*(a.replace("{f}", str(funnel)).replace("{full}", full) for a in args))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert f"error: cannot write {full}: No space left on device" in err
    assert "bug" not in err and "Traceback" not in err
    assert stat.S_ISCHR(os.lstat(full).st_mode)  # the device node is still one


def test_stdout_on_a_full_disk_is_an_io_error(funnel: Path, full: str) -> None:
    with open(full, "wb") as device:
        proc = run("export", str(funnel), "--to", "json", stdout=device)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "cannot write <stdout>" in err and "bug" not in err and "Traceback" not in err


@pytest.mark.parametrize("args", [
    ["export", str(PIPELINES / "saleschef.funnel"), "--to", "json"],
    ["analyze", str(CLEAN)],  # tables through rich, which would exit 1 on its own
    ["fmt", str(CLEAN)],
], ids=["export", "analyze", "fmt"])
def test_a_closed_pipe_is_exit_2_without_a_bug_report(args: list[str]) -> None:
    """The reader is gone before funnelc writes (the end of `| head -c1`)."""
    proc = subprocess.Popen([sys.executable, "-m", "funnelc", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2, err
    assert "cannot write <stdout>" in err
    assert "bug" not in err and "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.skipif(shutil.which("head") is None or shutil.which("bash") is None,
                    reason="needs bash and head")
def test_piping_into_head_is_never_an_internal_failure() -> None:
    cmd = (f"{sys.executable} -m funnelc export {PIPELINES / 'saleschef.funnel'} --to json "
           "| head -c1; exit ${PIPESTATUS[0]}")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.stdout == b"{"
    assert proc.returncode in (0, 2), err
    assert "bug" not in err and "Traceback" not in err and "internal failure" not in err


# ------------------------------------------------------------ folders, `-`


@pytest.mark.parametrize("args", [
    ["export", "{f}", "--to", "json", "-o", "{d}"],
    ["simulate", "{f}", *QUICK, "--json", "{d}"],
    ["simulate", "{f}", *QUICK, "--records", "{d}"],
    ["analyze", "{f}", "--json", "{d}"],
], ids=["export", "simulate-json", "simulate-records", "analyze"])
def test_a_folder_where_a_file_is_written_is_exit_2(args: list[str], funnel: Path,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = invoke(*(a.replace("{f}", str(funnel)).replace("{d}", str(folder))
                      for a in args))
    assert result.exit_code == 2, result.output
    assert "is a folder" in result.output and "bug" not in result.output
    assert os.listdir(folder) == []


def test_dash_is_stdout_for_records_and_json(funnel: Path, tmp_path: Path) -> None:
    result = invoke("simulate", str(funnel), *QUICK, "--records", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("rep,deal_id,pipeline,stage")
    assert not (tmp_path / "-").exists() and not Path("-").exists()
    result = invoke("analyze", str(funnel), "--json", "-")
    assert result.exit_code == 0 and result.stdout.lstrip().startswith("{")


def test_two_outputs_cannot_both_be_stdout(funnel: Path) -> None:
    result = invoke("simulate", str(funnel), *QUICK, "--json", "-", "--records", "-")
    assert result.exit_code == 2 and "stdout" in result.output


def test_two_outputs_cannot_share_a_path(funnel: Path, tmp_path: Path) -> None:
    out = tmp_path / "same"
    result = invoke("simulate", str(funnel), *QUICK, "--json", str(out), "--records", str(out))
    assert result.exit_code == 2 and "both write" in result.output
    assert not out.exists()


def test_dash_cannot_stand_for_a_folder_or_a_plot(funnel: Path) -> None:
    for args in (["report", str(funnel), "-o", "-"],
                 ["whatif", str(funnel), "--set", 'team "Менеджеры" size 3', "--plot", "-"]):
        result = invoke(*args)
        assert result.exit_code == 2 and "`-`" in result.output, result.output


# ------------------------------------------------------------ all or nothing


def test_a_folder_export_that_cannot_be_written_whole_writes_nothing(funnel: Path,
                                                                     tmp_path: Path) -> None:
    """One of salesforce's three files is blocked by a folder of its name: none is written."""
    out = tmp_path / "sf"
    (out / "package.xml").mkdir(parents=True)
    result = invoke("export", str(funnel), "--to", "salesforce", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "bug" not in result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == ["package.xml"]


def test_a_full_disk_halfway_through_a_folder_export_leaves_nothing(
        funnel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second file's temporary cannot be made: the first is not renamed into place,
    and the folders created for them are removed again."""
    import funnelc.atomic as atomic

    real = atomic.tempfile.mkstemp
    calls: list[int] = []

    def second_fails(*args: object, **kw: object) -> tuple[int, str]:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(atomic.tempfile, "mkstemp", second_fails)
    out = tmp_path / "new" / "sf"
    result = invoke("export", str(funnel), "--to", "salesforce", "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output and "bug" not in result.output
    assert sorted(os.listdir(tmp_path)) == ["c.funnel"]


def test_bad_input_creates_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.funnel"
    bad.write_text("pipeline P { stage S { -> nope } }\n", encoding="utf-8")
    for args in (["export", str(bad), "--to", "json", "-o", str(tmp_path / "o.json")],
                 ["simulate", str(bad), *QUICK, "--json", str(tmp_path / "o.json"),
                  "--records", str(tmp_path / "o.csv")],
                 ["report", str(bad), "-o", str(tmp_path / "r"), *QUICK]):
        assert invoke(*args).exit_code == 1
    assert sorted(os.listdir(tmp_path)) == ["bad.funnel"]
