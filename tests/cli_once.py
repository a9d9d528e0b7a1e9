"""A `funnelc` command run once per test session, whichever tests and files ask for it.

Many tests run the very same command on the very same input: `audit` of the furniture
maker's export in Ukrainian six times in one file, `simulate` of a shipped example with
the same seed in several files. `cli_once(args, env)` runs it the first time
(through click's CliRunner, as the tests do) and hands every later caller the same
result: its exit code, stdout, stderr and output, and the folder where it wrote what its
`out(...)` arguments name.

The cache is a folder of the session's temporary base (`getbasetemp().parent`, which the
pytest-xdist workers share), one entry per key: the funnelc source's hash, the
environment given, and each argument, an existing path by its content's hash as well as
its name (a test that edits an input gets a run of its own; the text quotes the path it
was given). A `filelock` per key makes a second worker wait for the first, and a result
is written aside and renamed, so nobody reads half of it. The outputs are made read-only:
a test that changes one copies it first.

Only for commands whose result depends on nothing but their arguments, the environment
given and the files they name: never under a monkeypatch.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

SRC = Path(__file__).resolve().parent.parent / "src" / "funnelc"

_FACTORY: list[pytest.TempPathFactory] = []
"""The session's tmp_path_factory, set by tests/conftest.py's session fixture."""


def _root() -> Path:
    assert _FACTORY, "tests/conftest.py sets the session's tmp_path_factory"
    root = _FACTORY[0].getbasetemp().parent / "cli-once"
    root.mkdir(exist_ok=True)
    return root


@dataclass(frozen=True)
class Out:
    """An output path of the command, relative to its cache folder (`out("report")`)."""

    name: str


def out(name: str) -> Out:
    return Out(name)


@dataclass(frozen=True)
class Ran:
    """What the command did: CliRunner's result, and the folder its `out(...)` are in."""

    exit_code: int
    stdout: str
    stderr: str
    output: str
    folder: Path

    def path(self, name: str) -> Path:
        """Where `out(name)` was written (read-only)."""
        return self.folder / name


def _tree_hash(paths: Iterable[Path], digest: hashlib._Hash, base: Path) -> None:
    for p in sorted(paths):
        if p.is_file():
            digest.update(str(p.relative_to(base)).encode() + b"\0")
            digest.update(p.read_bytes() + b"\0")


def content_hash(path: Path) -> str:
    """The content of a file, or of every file under a folder with their names."""
    digest = hashlib.sha256()
    if path.is_dir():
        _tree_hash(path.rglob("*"), digest, path)
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


_SOURCE: list[str] = []


def source_hash() -> str:
    """funnelc's own files (code, catalogs, templates), computed once a process."""
    if not _SOURCE:
        digest = hashlib.sha256()
        _tree_hash((p for p in SRC.rglob("*") if "__pycache__" not in p.parts), digest, SRC)
        _SOURCE.append(digest.hexdigest())
    return _SOURCE[0]


def _describe(arg: object) -> list[str]:
    if isinstance(arg, Out):
        return ["out", arg.name]
    text = str(arg)
    path = Path(text)
    if isinstance(arg, Path) or (os.sep in text and path.exists()):
        return ["path", text, content_hash(path) if path.exists() else "absent"]
    return ["arg", text]


def _read_only(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def planted(folder: str) -> Path:
    """The planted-story export of `tests/data/<folder>` (`conftest.planted_export`: the
    writer and seed its tests count from), written once in the session into the shared
    cache, read-only, at one path for every file: the commands run on it are then the
    same commands for `cli_once`. A test that writes beside it uses `planted_export`."""
    from conftest import DATA, PLANTED, data_generator

    root = _root()
    writer, seed = PLANTED[folder]
    # No underscore in the folder's name: a page names its input, and
    # tests/test_history_quality_labels.py looks for raw keys (`deals_no_history`) there.
    name = folder.replace("_", "-")
    key = f"planted-{name}-{seed}-{content_hash(DATA / folder / 'generate.py')[:12]}"
    export = root / key
    done = root / f"{key}.done"
    with FileLock(str(root / f"{key}.lock")):
        if not done.exists():
            if export.exists():  # a writer that failed half-way
                import shutil
                shutil.rmtree(export)
            export.mkdir()
            getattr(data_generator(folder), writer)(export, seed)
            _read_only(export)
            done.touch()
    return export


def shared_text(name: str, text: str) -> Path:
    """`text` written once in the session as a file `name` (read-only), at one path for
    every test file that asks with the same name and text (the account of
    tests/hostile_names.py, say): commands run on it are then the same commands for
    `cli_once`. A test that writes an output beside an input writes into its tmp_path or
    an `out(...)` instead."""
    root = _root()
    key = "text-" + hashlib.sha256(json.dumps([name, text], ensure_ascii=False)
                                   .encode()).hexdigest()[:24]
    path = root / key / name
    with FileLock(str(root / f"{key}.lock")):
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            part = path.parent / f".{name}.part"
            part.write_text(text, encoding="utf-8")
            part.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            part.replace(path)
    return path


def cli_once(args: Sequence[object],
             env: Mapping[str, str] | None = None) -> Ran:
    """`funnelc <args>` with `env`, run once in the session: its result."""
    from click.testing import CliRunner

    from funnelc.cli import cli

    env = dict(env or {})
    key = hashlib.sha256(json.dumps(
        [source_hash(), sorted(env.items()), [_describe(a) for a in args]],
        ensure_ascii=False).encode()).hexdigest()[:24]
    root = _root()
    entry = root / key
    folder = entry / "out"
    done = entry / "result.json"
    with FileLock(str(root / f"{key}.lock")):
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            argv = [str(folder / a.name) if isinstance(a, Out) else str(a) for a in args]
            result = CliRunner().invoke(cli, argv, env=env)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            _read_only(folder)
            part = entry / "result.part"
            part.write_text(json.dumps({"exit_code": result.exit_code,
                                        "stdout": result.stdout, "stderr": result.stderr,
                                        "output": result.output}, ensure_ascii=False),
                            encoding="utf-8")
            part.replace(done)
        got = json.loads(done.read_text(encoding="utf-8"))
    return Ran(got["exit_code"], got["stdout"], got["stderr"], got["output"], folder)


def cli_ok(args: Sequence[object], env: Mapping[str, str] | None = None) -> Ran:
    """`cli_once`, asserting that the command succeeded (exit 0)."""
    ran = cli_once(args, env)
    assert ran.exit_code == 0, ran.output
    return ran


@dataclass(frozen=True)
class HistoryRun:
    """What `history <args> -o DIR` gives, and so what `history <args>` and `history <args>
    --format json` print: one run stands for all three."""

    text: str
    """The terminal text of `history <args>`: the run's stdout without its last line,
    «wrote DIR/history.html, …», which `-o` prints after the very same tables."""
    json: str
    """history.json, the bytes `--format json` prints."""
    folder: Path
    """DIR (read-only): history.html, history.json and plots/."""
    ran: Ran
    """The `-o` run itself (its stdout ends with the «wrote …» line; stderr as
    `history <args>` writes it)."""


def history_once(args: Sequence[object], env: Mapping[str, str] | None = None) -> HistoryRun:
    """`funnelc history <args> -o DIR` run once in the session (`cli_ok`), for the files
    that read its terminal text, its JSON and its page or plots: the text and the JSON are
    what the runs without `-o` print (tests/test_history_audit.py checks it), so a test
    reading them asks for no run of its own."""
    ran = cli_ok(["history", *args, "-o", out("history")], env)
    folder = ran.path("history")
    head, _, wrote = ran.stdout.rstrip("\n").rpartition("\n")
    assert str(folder) in wrote, wrote  # the «wrote …» line, the last
    return HistoryRun(head + "\n", (folder / "history.json").read_text(encoding="utf-8"),
                      folder, ran)


FURNITURE_ENV = {"NO_COLOR": "1", "COLUMNS": "160"}


def furniture_fit() -> Ran:
    """`funnelc fit --funnel dubok.funnel <furniture_uk>/bitrix24 --format json -o
    fitted.funnel` (`planted`, seed 7; `FURNITURE_ENV`) run once in the session: the JSON
    `fit --format json` prints on stdout, the report `fit` prints (in Ukrainian, the
    funnel's language) on stderr, the fitted funnel at `path("fitted.funnel")`. The
    report is `fit -o`'s stdout but for its path in «записано …» (fit sends it to stderr
    when stdout carries the JSON), so the files reading the fit's text, its JSON or the
    fitted file share this one fit, which calibrates its delays through 24 simulations."""
    from conftest import DATA

    return cli_ok(["fit", "--funnel", DATA / "furniture_uk" / "dubok.funnel",
                   planted("furniture_uk") / "bitrix24", "--format", "json", "-o",
                   out("fitted.funnel")], FURNITURE_ENV)


SCHOOL_ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def school_backtest() -> Ran:
    """`funnelc fit <amocrm_school> --funnel school.funnel --tz Europe/Moscow --backtest 2
    --reps 12 --format json -o fitted.funnel --html bt.html` (`planted`, seed 3;
    `SCHOOL_ENV`) run once in the session: the back-test's JSON on stdout (what `--json`
    writes), its Russian report on stderr, the funnel fitted on July–August at
    `path("fitted.funnel")` and the page at `path("bt.html")`. The files reading the
    school's two-month back-test (its text, figures, page or fitted funnel) share it."""
    from conftest import DATA

    return cli_ok(["fit", planted("amocrm_school"), "--funnel",
                   DATA / "amocrm_school" / "school.funnel", "--tz", "Europe/Moscow",
                   "--backtest", "2", "--reps", "12", "--format", "json", "-o",
                   out("fitted.funnel"), "--html", out("bt.html")], SCHOOL_ENV)


def school_forecast() -> Ran:
    """`funnelc forecast <amocrm_school> --funnel <school_backtest's fitted funnel> --tz
    Europe/Moscow --as-of 2026-08-31 --until 2026-10-31 --reps 60 -o forecast` run once in
    the session: the Russian tables on stdout (the bytes the run without -o prints) and
    `path("forecast")/forecast.json`, what `--format json` prints but for the seconds it
    took; one run where the school's two back-test files each ran one."""
    return cli_ok(["forecast", planted("amocrm_school"), "--funnel",
                   school_backtest().path("fitted.funnel"), "--tz", "Europe/Moscow",
                   "--as-of", "2026-08-31", "--until", "2026-10-31", "--reps", "60", "-o",
                   out("forecast")], SCHOOL_ENV)
