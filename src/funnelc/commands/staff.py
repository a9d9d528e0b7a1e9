"""`funnelc staff FILE --team NAME --target SPEC…`: the smallest team size meeting every
target, started from the exact (Erlang) answer and confirmed by simulation, with the
staffing curve as a table, CSV, JSON and plot."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_CLEAN, EXIT_PROBLEMS, print_diagnostics
from .convention import deliver, deprecated_path_option, info, output_options, text_output, to_json
from .output import Output, guard, writing
from .sim_options import stack

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim import Network, SimConfig
    from ..whatif.staffing import StaffingResult
    from ..whatif.targets import Target
    from .sim_options import Prepared
from .whatif_options import (
    compile_model_or_exit,
    exit_on_override_error,
    make_config,
    model_with_sets,
    plot_outputs,
    plot_paths,
    run_options,
    run_size,
    runner,
    set_option,
)


@click.command("staff")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options("csv", what=" (json: schema staff.schema.json; csv: the staffing "
                             "curve, one row per size and target)"))
@click.option("--team", required=True, metavar="NAME", help="The team to size.")
@click.option("--target", "targets", multiple=True, required=True, metavar="SPEC",
              help="'respond 15m 90%' (optionally 'at \"P\".\"S\"'), 'utilization <= 85%', "
                   "'no graveyard' (repeatable: every target must hold).")
@click.option("--max-size", type=click.IntRange(min=1), default=50, show_default=True,
              help="Largest size to try.")
@click.option("--max-reps", type=click.IntRange(min=2), default=None,
              help="Replications a borderline size may grow to [default: 4 × --reps].")
@click.option("--from-size", type=click.IntRange(min=1), default=None,
              help="Start the search at this size instead of the exact answer.")
@click.option("--curve-beyond", type=click.IntRange(min=0), default=1, show_default=True,
              help="Sizes above the answer also simulated for the curve.")
@click.option("--scenario", default=None, metavar="NAME",
              help="Apply this scenario of the file first.")
@set_option
@run_options(reps=10)
@deprecated_path_option("--json", "json_path", "--format json -o PATH")
@deprecated_path_option("--csv", "csv_path", "--format csv -o PATH")
@click.option("--plot", "plot_path", metavar="PATH", default=None,
              help="Plot the staffing curve as PATH.png and PATH.svg.")
def staff_command(file: str, fmt: str, output_path: str | None, team: str, targets: tuple[str, ...], max_size: int,
                  max_reps: int | None, from_size: int | None, curve_beyond: int,
                  scenario: str | None, sets: tuple[str, ...], days: int, warmup: int,
                  reps: int, seed: int, start: date | None, jobs: int | None,
                  executor: str | None, scheduler: str | None, color: str,
                  json_path: str | None, plot_path: str | None, csv_path: str | None,
                  max_deals: int) -> None:
    """Find the smallest size of --team meeting every --target.

    The search starts from the exact answer where one applies (Erlang C / M/M/c+D for a
    team serving one stage with exponential work around the clock; the offered load for
    utilization), simulates it, steps down or gallops up and bisects, and gives
    borderline sizes more replications. Every size runs the same replication indices
    (common random numbers).

    Exit code 0 when a size meets every target, 1 when none up to --max-size does (the
    best size found is printed) or the file has errors, 2 on a usage error.
    """
    config = make_config(days, warmup, reps, seed, start, jobs, max_deals)
    products, text_path, show_text = _products(fmt, output_path, json_path, csv_path)
    guard([*(Output(option, path) for path, _, option in products), Output("-o", text_path),
           *plot_outputs(plot_path)], [file])

    from .sim_options import load_for_simulation

    prepared = load_for_simulation(file, scenario, color, "sizing a team of",
                                   run_size(config))
    model = model_with_sets(prepared.model, sets, prepared.colored)
    from .sim_options import guard_work

    guard_work([model], run_size(config))  # a --set may have changed the sources' rates

    net = compile_model_or_exit(model, prepared)
    parsed = _targets(net, team, targets, prepared)

    from ..whatif.staffing import with_respond_limits

    model = with_respond_limits(model, net, parsed)
    result, where = _search(model, team, parsed, config, executor, scheduler, prepared,
                            max_size, max_reps, from_size, curve_beyond)
    data = _as_json(result, prepared.path, config)
    code = EXIT_CLEAN if result.answer is not None else EXIT_PROBLEMS
    if plot_path is not None:
        from ..report.figures import save_figure
        from ..whatif.plots import staffing_figure
        from .convention import drawing_warnings

        png, svg = plot_paths(plot_path)
        with writing(png):
            drawing_warnings(save_figure(staffing_figure(result), png, svg))
        info(f"plot: {png}, {svg}")
    for path, kind, _ in products:
        deliver(path, to_json(data) if kind == "json" else _csv(data))
    if show_text:
        with text_output(text_path) as console:
            _print(console, result, prepared.path, config, where)
        if text_path not in (None, "-"):
            info(f"wrote {text_path}")
    raise SystemExit(code)


def _targets(net: Network, team: str, targets: tuple[str, ...], prepared: Prepared
             ) -> list[Target]:
    """--team checked against the file and every --target parsed; mistakes are usage
    errors naming the option."""
    from ..diagnostics import did_you_mean
    from ..whatif.staffing import parse_target, team_stages
    from ..whatif.variants import OverrideError

    names = [t.name for t in net.teams]
    if team not in names:
        guess = did_you_mean(team, names)
        hint = (f"did you mean `{guess}`?" if guess else
                "teams: " + ", ".join(f"`{n}`" for n in names) if names else
                "the file has no team")
        raise click.BadParameter(f"no team `{team}` in {prepared.path}; {hint}",
                                 param_hint="'--team'")
    if not team_stages(net, team):
        raise click.UsageError(f"team `{team}` works no stage with `work` or a cadence: its "
                               "size changes nothing in the simulation")
    many = len(targets) > 1
    try:
        parsed = [parse_target(t, f"--target #{i}" if many else "--target", net, team)
                  for i, t in enumerate(targets, 1)]
    except OverrideError as exc:
        exit_on_override_error(exc, prepared.colored)
        raise  # unreachable: exit_on_override_error exits
    covered: set[int] = set()
    for t in parsed:
        if t.kind == "respond":
            if covered & set(t.stages):
                raise click.BadParameter("two respond targets cover the same stage; give one "
                                         "limit per stage (use `at \"P\".\"S\"`)",
                                         param_hint="'--target'")
            covered |= set(t.stages)
    return parsed


def _search(model: FunnelFile, team: str, parsed: list[Target], config: SimConfig,
            executor: str | None, scheduler: str | None, prepared: Prepared, max_size: int,
            max_reps: int | None, from_size: int | None, curve_beyond: int
            ) -> tuple[StaffingResult, str]:
    """The staffing search on the chosen executor, and where it ran."""
    from ..sim import CompileError
    from ..sim.budget import WorkBudget, estimate_work
    from ..whatif.staffing import search_staff

    # The search decides its work as it goes (sizes tried, replications of borderline
    # sizes): each batch is charged before it runs. Team sizes change queues, not how many
    # deals the sources and copies create, so one replication costs the same at any size.
    size = run_size(config)
    budget = WorkBudget(estimate_work([model], config.days, 1, config.start), size.max_deals,
                        "lower --max-size, --max-reps or --reps, shorten --days")
    with runner(config, executor, scheduler, "staffing", budget) as run:
        try:
            result = search_staff(model, team, parsed, config, run, limit=max_size,
                                  max_reps=max_reps, start_size=from_size,
                                  curve_extra=curve_beyond)
        except CompileError as exc:
            print_diagnostics(exc.diagnostics, prepared.sources, "text", prepared.colored)
            raise SystemExit(EXIT_PROBLEMS) from None
        where = run.describe()
    return result, where


def _products(fmt: str, output_path: str | None, json_path: str | None,
              csv_path: str | None) -> tuple[list[tuple[str, str, str]], str | None, bool]:
    """(path, format, option) of every data output, where the text goes (None: stdout)
    and whether it is printed. The deprecated `--json`/`--csv PATH` keep their old
    meaning for one release: data files beside the tables, `-` instead of them."""
    legacy = [(p, kind, f"--{kind}") for p, kind in ((json_path, "json"), (csv_path, "csv"))
              if p is not None]
    if legacy:
        if fmt != "text" or output_path is not None:
            raise click.UsageError("--json/--csv (deprecated) cannot be combined with "
                                   "--format or -o; use --format json|csv -o PATH alone")
        return legacy, None, all(p != "-" for p, _, _ in legacy)
    if fmt == "text":
        return [], output_path, True
    option = "-o" if output_path is not None else f"--format {fmt}"
    return [(output_path or "-", fmt, option)], None, False


def _csv(data: dict[str, Any]) -> str:
    """The staffing curve as CSV: one row per size and target."""
    import io

    from .. import csvsafe

    buf = io.StringIO()
    w = csvsafe.writer(buf, lineterminator="\n")
    w.writerow(["size", "target", "value", "ci95", "n", "meets", "sure", "exact"])
    for row in data["curve"]:
        for t in row["targets"]:
            w.writerow([row["size"], t["target"], _s(t["value"]), _s(t["ci95"]), t["n"],
                        int(t["meets"]), int(t["sure"]), _s(t["exact"])])
    return buf.getvalue()


def _s(x: float | None) -> str:
    """A number cell of the CSV (a `csvsafe.Figure`: never prefixed, negative or not)."""
    from ..csvsafe import Figure

    return Figure("" if x is None else repr(x))


def _shown(t: Any, x: float | None) -> float | None:
    return None if x is None else x * t.scale


def _as_json(result: Any, path: str, config: Any) -> dict[str, Any]:
    reps = config.reps
    return {
        "file": path, "team": result.team,
        "targets": [t.text.strip() for t in result.targets],
        "answer": result.answer, "best": result.best, "max_size": result.limit,
        "confidence": result.confidence, "confidence_text": result.confidence_text,
        "exact": {"model": result.exact_model, "start": result.start.start,
                  "search_started_at": result.started_at,
                  "why": result.start.why, "answers": list(result.start.answers)},
        "search": {"sizes": result.search_sizes, "replications": result.search_replications,
                   "scan_to_answer_replications": (result.answer or result.limit) * reps,
                   "scan_to_limit_replications": result.limit * reps},
        "run": {"reps": reps, "days": config.days, "warmup_days": config.warmup_days,
                "seed": config.seed, "start_date": config.start.isoformat()},
        "structural_graveyards": result.structural,
        "curve": [{
            "size": ev.size, "replications": len(ev.reps), "meets_all": ev.meets_all,
            "notes": ev.notes,
            "targets": [{"target": t.text.strip(), "value": _shown(t, e.mean),
                         "ci95": _shown(t, e.ci95), "n": e.n, "meets": ok, "sure": sure,
                         "exact": _shown(t, x)}
                        for t, e, ok, sure, x in zip(result.targets, ev.estimates, ev.meets,
                                                     ev.sure, ev.exact)]}
            for ev in result.curve],
    }


def _print(console: Any, result: Any, path: str, config: Any, where: str) -> None:

    from ..termtext import plain

    console.print(plain(f"{path}: sizing `{result.team}`, {config.reps} replications × "
                        f"{config.days} days ({config.warmup_days} warm-up) per size, seed "
                        f"{config.seed}, common random numbers; ran on {where}", style="dim"))
    console.print(plain(f"start: {result.start.why}" + (
        f"; the search started at {result.started_at} ({result.started_because})"
        if result.started_because else ""), style="dim"))
    console.print(_curve_table(result))
    console.print(plain("✓ meets, ✗ misses (by the mean); ? the 95% interval reaches the "
                        "target", style="dim"))
    for name in result.structural:
        console.print(plain(f"note: {name} is a graveyard by design (stay without sla); no team "
                            "size changes that, so it is not counted", style="yellow"))
    sims = result.search_replications
    reps = config.reps
    if result.answer is not None:
        exact = [a for a in result.start.answers if a is not None]
        agree = ""
        if exact:
            e = max(exact)
            agree = f"; {result.exact_model} says {e}, " + (
                "simulation agrees" if e == result.answer else
                "simulation finds otherwise (the other targets or the simulated details "
                "decide)")
        console.print(plain(f"smallest size of `{result.team}` meeting every target: "
                            f"{result.answer}{agree}", style="bold green"))
    else:
        best = result.evals[result.best] if result.best is not None else None
        missed = ""
        if best is not None:
            missed = ", ".join(t.text.strip() for t, ok in zip(result.targets, best.meets)
                               if not ok)
        console.print(plain(f"no size up to {result.limit} meets every target; best size found: "
                            f"{result.best}" + (f" (still misses {missed})" if missed else ""),
                            style="bold red"))
    console.print(plain(f"confidence: {result.confidence} — {result.confidence_text}"))
    console.print(f"search: {sims} replications at sizes "
                  f"{', '.join(str(c) for c in result.search_sizes)}; a scan from 1 to "
                  f"{result.answer or result.limit} would take "
                  f"{(result.answer or result.limit) * reps}, of 1…{result.limit} "
                  f"{result.limit * reps}")


def _curve_table(result: Any) -> Any:
    """The staffing curve: per size each target's value ± CI with ✓/✗ (and `?` where the
    interval reaches the target), the exact value beside it where one applies."""
    from rich.table import Table

    from ..termtext import plain

    table = Table(title=plain(f"staffing curve of {result.team}"), title_justify="left")
    table.add_column("size", justify="right")
    has_exact = [any(ev.exact[i] is not None for ev in result.curve)
                 for i in range(len(result.targets))]
    for i, t in enumerate(result.targets):
        table.add_column(plain(t.text.strip()), justify="right")
        if has_exact[i]:
            table.add_column("exact" if t.kind != "utilization" else "offered load",
                             justify="right", style="dim")
    table.add_column("reps", justify="right")
    for ev in result.curve:
        row: list[Any] = [str(ev.size)]
        for i, t in enumerate(result.targets):
            e = ev.estimates[i]
            if t.kind == "graveyard":
                cell = f"{int(e.mean or 0)} stage{'s' if (e.mean or 0) != 1 else ''}"
            elif e.mean is None:
                cell = "—"
            else:
                cell = f"{e.mean * 100:.3g}%" + (f" ±{e.ci95 * 100:.2g}" if e.ci95 else "")
            mark = "✓" if ev.meets[i] else "✗"
            if not ev.sure[i]:
                mark += "?"
            row.append(plain(f"{cell} {mark}", style="green" if ev.meets[i] else "red"))
            if has_exact[i]:
                x = ev.exact[i]
                row.append("—" if x is None else f"{x * 100:.3g}%")
        row.append(str(len(ev.reps)))
        table.add_row(*row)
    return table
