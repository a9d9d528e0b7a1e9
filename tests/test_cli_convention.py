"""One command-line convention for every command (issue 12, part 3): `--format`
chooses what goes to stdout and its JSON validates against the schema `funnelc schema
COMMAND` publishes; `-q` leaves stderr empty on a clean run; the shared options are
listed in one order; every option has help; `--reps` has one bound everywhere; the old
spellings (`--json PATH`, `--csv PATH`) still work and warn; a mistyped command gets a
suggestion. Every command runs on a shipped example with tiny --days/--reps."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conftest import PIPELINES
from funnelc.cli import COMMANDS, LazyGroup, cli
from funnelc.commands.convention import SHARED_ORDER
from funnelc.limits import MAX_REPS

jsonschema = pytest.importorskip("jsonschema")

FUNNEL = str(PIPELINES / "courses.funnel")
TEAM = "Продажники"
QUICK = ["--days", "6", "--warmup", "1", "--reps", "2", "--jobs", "1"]
TOKEN = "tok-Convention-Test-0001"


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"NO_COLOR": "1", **(env or {})},
                              prog_name="funnelc")


def commands() -> Iterator[tuple[str, click.Command]]:
    group = cli
    assert isinstance(group, LazyGroup)
    ctx = click.Context(group)
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield name, command


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small stage history of the example's first stages, in the CSV format."""
    rows = ["deal_id,timestamp,pipeline,stage"]
    for i in range(40):
        day = 1 + i % 27
        month = 1 + i % 3
        rows.append(f"{i},2024-{month:02d}-{day:02d}T09:00:00,Продажи курсов,Заинтересованный")
        if i % 2:
            rows.append(f"{i},2024-{month:02d}-{day:02d}T15:00:00,Продажи курсов,Лид")
        rows.append(f"{i},2024-{month:02d}-{day:02d}T20:00:00,Продажи курсов,"
                    f"{'won' if i % 3 else 'lost'}")
    path = tmp_path_factory.mktemp("history") / "history.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def amocrm_answer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GET /api/v4/leads/pipelines of a one-pipeline account."""
    answer = {"_embedded": {"pipelines": [{
        "id": 1, "name": "Продажи", "sort": 1, "is_main": True, "is_archive": False,
        "_embedded": {"statuses": [
            {"id": 11, "name": "Заявка", "sort": 10, "is_editable": True, "color": "#fffeb2",
             "type": 0, "pipeline_id": 1},
            {"id": 142, "name": "Успешно реализовано", "sort": 10000, "is_editable": False,
             "color": "#CCFF66", "type": 0, "pipeline_id": 1},
            {"id": 143, "name": "Закрыто и не реализовано", "sort": 11000,
             "is_editable": False, "color": "#D5D8DB", "type": 0, "pipeline_id": 1}]}}]}}
    path = tmp_path_factory.mktemp("amo") / "pipelines.json"
    path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    return path


def argv_for(name: str, history: Path, amocrm: Path, tmp: Path) -> list[str]:
    """The command on a shipped example, as small as it runs."""
    return {
        "check": ["check", FUNNEL],
        "fmt": ["fmt", "--check", FUNNEL],
        "schema": ["schema"],
        "analyze": ["analyze", FUNNEL],
        "simulate": ["simulate", FUNNEL, *QUICK],
        "report": ["report", FUNNEL, "-o", str(tmp / "report"), *QUICK],
        "export": ["export", FUNNEL, "--to", "mermaid"],
        "apply": ["apply", "amocrm", FUNNEL],  # --base-url added by the test
        "import": ["import", "amocrm", str(amocrm)],
        "rules": ["rules"],
        "rule": ["rule", "FN103"],
        "whatif": ["whatif", FUNNEL, *QUICK],
        "sweep": ["sweep", FUNNEL, "--vary", f'team "{TEAM}" size 1..2', *QUICK],
        "staff": ["staff", FUNNEL, "--team", TEAM, "--target", "utilization <= 85%", *QUICK],
        "history": ["history", str(history)],
        "fit": ["fit", str(history), "--funnel", FUNNEL],
        "forecast": ["forecast", str(history), "--funnel", FUNNEL, "--until", "2024-04-07",
                     "--reps", "2", "--jobs", "1"],
        "audit": ["audit", FUNNEL, str(history)],
        "serve": ["serve", FUNNEL, "--no-browser", "--port", "0", "--jobs", "1",
                  "--exit-after", "0.3"],
    }[name]


# ------------------------------------------------------------ --format json and -q


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_prints_json_that_follows_its_schema_and_is_quiet(
        name: str, history_csv: Path, amocrm_answer: Path, tmp_path: Path) -> None:
    argv = argv_for(name, history_csv, amocrm_answer, tmp_path)
    if name == "apply":
        try:
            from tests.fakes.amocrm_server import running_fake_amocrm
        except ImportError:
            from fakes.amocrm_server import running_fake_amocrm  # type: ignore[no-redef]
        with running_fake_amocrm(token=TOKEN) as fake:
            result = invoke(*argv, "--base-url", fake.base_url, "--format", "json", "-q",
                            env={"AMOCRM_TOKEN": TOKEN})
    else:
        result = invoke(*argv, "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr == "", f"-q left notes on stderr: {result.stderr!r}"
    data = json.loads(result.stdout)
    if name == "schema":  # its output is a schema: the metaschema is its schema
        jsonschema.Draft202012Validator.check_schema(data)
        return
    schema_run = invoke("schema", name)
    assert schema_run.exit_code == 0, schema_run.output
    schema = json.loads(schema_run.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)


def test_a_schema_catches_output_of_the_wrong_shape() -> None:
    """The published schemas are not vacuous: a mangled output fails them."""
    schema = json.loads(invoke("schema", "check").stdout)
    data = json.loads(invoke("check", FUNNEL, "--format", "json").stdout)
    jsonschema.validate(data, schema)
    data["diagnostics"] = [{"code": "not a code", "severity": "fatal"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_output_option_writes_the_format_to_a_file_and_nothing_to_stdout(
        tmp_path: Path) -> None:
    out = tmp_path / "analysis.json"
    result = invoke("analyze", FUNNEL, "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    # The note is in the account's language (the courses' account is Russian), English
    # under --lang en.
    assert result.stderr == f"записан {out}\n"
    assert json.loads(out.read_text(encoding="utf-8"))["path"] == FUNNEL
    english = invoke("analyze", FUNNEL, "--format", "json", "-o", str(out), "--lang", "en")
    assert english.stderr == f"wrote {out}\n"


def test_output_option_refuses_the_input(tmp_path: Path) -> None:
    src = tmp_path / "a.funnel"
    src.write_bytes(Path(FUNNEL).read_bytes())
    result = invoke("simulate", str(src), *QUICK, "--format", "json", "-o", str(src))
    assert result.exit_code == 2
    assert "is the input file" in result.output
    assert src.read_bytes() == Path(FUNNEL).read_bytes()


def test_csv_where_tables_are_the_product(tmp_path: Path) -> None:
    sweep = invoke("sweep", FUNNEL, "--vary", f'team "{TEAM}" size 1..2', *QUICK,
                   "--format", "csv")
    assert sweep.exit_code == 0, sweep.output
    assert sweep.stdout.startswith(f"point,{TEAM} size,metric,subject,unit,mean,ci95,sd,n,"
                                   "first_day,last_day\n")
    staff = invoke("staff", FUNNEL, "--team", TEAM, "--target", "utilization <= 85%", *QUICK,
                   "--format", "csv")
    assert staff.exit_code == 0, staff.output
    assert staff.stdout.startswith("size,target,value,ci95,n,meets,sure,exact\n")


# ------------------------------------------------------------ a clean check, -q and -v


def test_a_clean_check_says_so_in_one_line_unless_quiet(tmp_path: Path) -> None:
    clean = invoke("check", str(PIPELINES / "courses.funnel"))
    assert clean.exit_code == 0
    assert clean.stderr == "1 file checked, no problems\n"
    copy = tmp_path / "b.funnel"
    copy.write_bytes(Path(FUNNEL).read_bytes())
    two = invoke("check", FUNNEL, str(copy))
    assert two.stderr == "2 files checked, no problems\n"
    quiet = invoke("check", "-q", FUNNEL)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    verbose = invoke("check", "-v", FUNNEL)
    assert verbose.stderr == f"checking {FUNNEL}\n1 file checked, no problems\n"
    data = invoke("check", "--format", "json", FUNNEL)
    assert (data.exit_code, data.stderr) == (0, ""), "the JSON itself says clean"


def test_quiet_keeps_the_problems_of_a_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.funnel"
    bad.write_text('team "Менеджеры" size три\n', encoding="utf-8")
    result = invoke("check", "-q", str(bad))
    assert result.exit_code == 1
    assert "error[FN001]" in result.stderr


# ------------------------------------------------------------ options alike everywhere


def test_every_option_has_help() -> None:
    missing = [f"{name} {param.opts[0]}" for name, command in commands()
               for param in command.params
               if isinstance(param, click.Option) and not (param.help or "").strip()]
    assert missing == []


def test_every_command_has_format_output_quiet_and_verbose() -> None:
    for name, command in commands():
        longs = {opt for p in command.params for opt in p.opts}
        for opt in ("--format", "--output", "-o", "--quiet", "-q", "--verbose", "-v"):
            assert opt in longs, f"{name} has no {opt}"


def _help_order(name: str) -> list[str]:
    text = invoke(name, "--help").stdout
    found = []
    for opt in SHARED_ORDER:
        match = re.search(rf"^\s+(?:-\w, )?{re.escape(opt)}\b", text, re.M)
        if match:
            found.append((match.start(), opt))
    return [opt for _, opt in sorted(found)]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_lists_the_shared_options_in_one_order(name: str) -> None:
    listed = _help_order(name)
    assert listed[:4] == ["--format", "--output", "--quiet", "--verbose"], listed
    assert listed == sorted(listed, key=SHARED_ORDER.index)


RUN_OPTIONS = SHARED_ORDER[4:SHARED_ORDER.index("--lang")]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_lists_every_option_in_the_documented_order(name: str) -> None:
    """docs/cli.md: `--format`, `-o`, `-q`, `-v`, the command's own options, then the
    run's (`--days` … `--max-deals`), and `--lang`, `--color` last. check listed its own
    options after `--color`, whatif `--plot --top` after it, export `--to`, import
    `--from …` and fit `--funnel` before `--format`, simulate `--records --schema`
    after `--max-deals`."""
    text = invoke(name, "--help").stdout
    options = text[text.index("\nOptions:"):]
    listed = [m for m in re.findall(r"^  (?:-\w, )?(--[\w-]+)", options, re.M) if m != "--help"]

    def place(opt: str) -> int:
        if opt in SHARED_ORDER[:4]:
            return 0
        if opt in RUN_OPTIONS:
            return 2
        return 3 if opt in ("--lang", "--color") else 1

    places = [place(o) for o in listed]
    assert places == sorted(places), (name, listed)
    assert [o for o in listed if place(o) != 1] == sorted(
        [o for o in listed if place(o) != 1], key=SHARED_ORDER.index), (name, listed)
    assert listed[:4] == ["--format", "--output", "--quiet", "--verbose"], listed


def test_reps_has_one_bound_and_one_help() -> None:
    seen = {}
    for name, command in commands():
        for param in command.params:
            if "--reps" in param.opts:
                assert isinstance(param.type, click.IntRange)
                assert (param.type.min, param.type.max) == (1, MAX_REPS), name
                seen[name] = param.help or ""
    assert set(seen) >= {"simulate", "report", "whatif", "sweep", "staff", "fit", "forecast"}
    rule = "A 95% confidence interval needs at least 2: with 1, figures are shown without one."
    assert all(rule in text for text in seen.values()), seen


def test_one_replication_runs_in_a_comparison() -> None:
    result = invoke("whatif", FUNNEL, "--days", "6", "--warmup", "1", "--reps", "1",
                    "--jobs", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["run"]["reps"] == 1
    assert all(m["baseline"]["ci95"] is None for m in data["metrics"])


# ------------------------------------------------------------ the old spellings


@pytest.mark.parametrize("argv, old, new", [
    (["analyze", FUNNEL], "--json", "--format json"),
    (["simulate", FUNNEL, *QUICK], "--json", "--format json"),
    (["whatif", FUNNEL, *QUICK], "--json", "--format json"),
    (["staff", FUNNEL, "--team", TEAM, "--target", "utilization <= 85%", *QUICK], "--json",
     "--format json"),
    (["staff", FUNNEL, "--team", TEAM, "--target", "utilization <= 85%", *QUICK], "--csv",
     "--format csv"),
    (["sweep", FUNNEL, "--vary", f'team "{TEAM}" size 1..2', *QUICK], "--csv",
     "--format csv"),
], ids=["analyze-json", "simulate-json", "whatif-json", "staff-json", "staff-csv",
        "sweep-csv"])
def test_old_spellings_still_work_and_warn(argv: list[str], old: str, new: str,
                                           tmp_path: Path) -> None:
    to_stdout = invoke(*argv, old, "-")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert to_stdout.stderr.startswith(f"warning: `{old} -` is deprecated")
    assert f"use `{new}`" in to_stdout.stderr
    assert to_stdout.stdout == invoke(*argv, *new.split()).stdout
    target = tmp_path / "out"
    to_file = invoke(*argv, old, str(target))
    assert to_file.exit_code == 0, to_file.output
    assert f"use `{new} -o {target}`" in to_file.stderr
    assert target.read_text(encoding="utf-8").strip()
    assert to_file.stdout.strip(), "the old file spelling kept the tables on stdout"


def test_old_spellings_are_hidden_from_help() -> None:
    for name in ("analyze", "simulate", "whatif", "sweep", "staff"):
        text = invoke(name, "--help").stdout
        assert "--json" not in text and "--csv" not in text, name


def test_old_and_new_spellings_do_not_mix(tmp_path: Path) -> None:
    result = invoke("analyze", FUNNEL, "--json", str(tmp_path / "a"), "--format", "json")
    assert result.exit_code == 2
    assert "cannot be combined" in result.output


# ------------------------------------------------------------ a mistyped command


@pytest.mark.parametrize("typed, meant", [("chek", "check"), ("simulat", "simulate"),
                                           ("stuff", "staff")])
def test_a_mistyped_command_gets_a_suggestion(typed: str, meant: str) -> None:
    result = invoke(typed, FUNNEL)
    assert result.exit_code == 2
    assert result.stderr == f"error: no command `{typed}`\n  = help: did you mean `{meant}`?\n"


def test_an_unknown_command_far_from_any_lists_them() -> None:
    result = invoke("xyzzy")
    assert result.exit_code == 2
    assert "error: no command `xyzzy`" in result.stderr
    assert "`check`" in result.stderr and "`simulate`" in result.stderr


# ------------------------------------------------------------ --color reaches the tables

TABLE_COMMANDS = ("analyze", "simulate", "whatif", "sweep", "staff", "history", "fit",
                  "forecast")
"""The commands whose text product is a table on stdout."""


WARNED = """\
account "T" {
  currency USD
}

team "Sales" size 1

source "Web" 5/day -> "Sales"."New"

pipeline "Sales" main sales {
  stage "New" {
    owner "Sales"
    work 10m
    -> won 50%
    -> lost "No" 50%
  }
}
"""


def test_color_always_and_force_color_reach_the_diagnostics_in_a_pipe(tmp_path: Path) -> None:
    """docs/cli.md: `--color always` colours a pipe too, FORCE_COLOR is honoured. The
    diagnostics on stderr were rendered with colour and then stripped by click.echo,
    which drops escape codes on a stream that is not a terminal unless told
    (`check --color always f.funnel 2>&1 | grep -c $'\\x1b'` gave 0)."""
    path = tmp_path / "warned.funnel"
    path.write_text(WARNED, encoding="utf-8")
    runs = {
        "always": CliRunner().invoke(cli, ["check", "--color", "always", str(path)],
                                     env={"NO_COLOR": None, "FORCE_COLOR": None}),
        "FORCE_COLOR": CliRunner().invoke(cli, ["check", str(path)],
                                          env={"NO_COLOR": None, "FORCE_COLOR": "1"}),
        "never": CliRunner().invoke(cli, ["check", "--color", "never", str(path)],
                                    env={"NO_COLOR": None, "FORCE_COLOR": "1"}),
        "auto": CliRunner().invoke(cli, ["check", str(path)],
                                   env={"NO_COLOR": None, "FORCE_COLOR": None}),
    }
    for how, r in runs.items():
        assert r.exit_code == 1 and "warning[FN104]" in r.stderr, (how, r.output)
    assert "\x1b[" in runs["always"].stderr, runs["always"].stderr[:300]
    assert "\x1b[" in runs["FORCE_COLOR"].stderr, runs["FORCE_COLOR"].stderr[:300]
    assert "\x1b[" not in runs["never"].stderr, runs["never"].stderr[:300]
    assert "\x1b[" not in runs["auto"].stderr, runs["auto"].stderr[:300]


@pytest.mark.parametrize("name", TABLE_COMMANDS)
def test_color_option_reaches_the_tables(name: str, history_csv: Path, amocrm_answer: Path,
                                         tmp_path: Path) -> None:
    """`--color never` prints no escape sequence even where the environment asks for
    colour (FORCE_COLOR), `--color always` colours the tables even into a pipe. Until
    issue 12 the tables' console ignored --color (it coloured the diagnostics only)."""
    argv = argv_for(name, history_csv, amocrm_answer, tmp_path)
    never = CliRunner().invoke(cli, [*argv, "--color", "never"],
                               env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    always = CliRunner().invoke(cli, [*argv, "--color", "always"],
                                env={"NO_COLOR": None, "FORCE_COLOR": None})
    for r in (never, always):
        assert r.exit_code in (0, 1), r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), r.output
        assert r.stdout.strip(), r.output
    assert "\x1b[" not in never.stdout, never.stdout[:400]
    assert "\x1b[" in always.stdout, always.stdout[:400]
