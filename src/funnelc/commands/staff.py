"""`funnelc staff FILE --team NAME --target SPEC…`: the smallest team size meeting every
target, started from the exact (Erlang) answer and confirmed by simulation, with the
staffing curve as a table, CSV, JSON and plot."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING

import click

from ..limits import MAX_TEAM_SIZE
from .common import EXIT_CLEAN, EXIT_PROBLEMS
from .convention import deliver, deprecated_path_option, output_options, present, to_json
from .output import Output, guard
from .sim_options import stack
from .whatif_options import (
    compile_model_or_exit,
    exit_on_override_error,
    make_config,
    model_with_sets,
    plot_outputs,
    run_options,
    run_or_exit,
    run_size,
    save_plot,
    set_option,
)

if TYPE_CHECKING:
    from ..model import FunnelFile
    from ..sim import Network
    from ..sim.config import SimConfig
    from ..whatif.targets import Target
    from .sim_options import Prepared


@click.command("staff")
@click.argument("file", type=click.Path(dir_okay=True, allow_dash=True))
@stack(output_options("csv", what=" (json: schema staff.schema.json; csv: the staffing "
                             "curve, one row per size and target)"))
@click.option("--team", required=True, metavar="NAME", help="The team to size.")
@click.option("--target", "targets", multiple=True, metavar="SPEC",
              help="'respond 15m 90%' (optionally 'at \"P\".\"S\"'), 'utilization <= 85%', "
                   "'abandon <= 5%' (at most 5% of deals give up waiting: their `patience` "
                   "runs out; optionally 'at \"P\".\"S\"'), "
                   "'no graveyard' (repeatable: every target must hold; with --objective "
                   "profit, constraints on the most profitable size).")
@click.option("--objective", type=click.Choice(["targets", "profit"]), default="targets",
              show_default=True,
              help="targets: the smallest size meeting every --target; profit: the size with "
                   "the highest expected profit (revenue less the file's costs) that meets "
                   "them, with the sizes within the noise of it.")
@click.option("--max-size", type=click.IntRange(min=1, max=MAX_TEAM_SIZE), default=50,
              show_default=True,
              help="Largest size to try (at most 10,000: no CRM account has more users).")
@click.option("--max-reps", type=click.IntRange(min=2), default=None,
              help="Replications a size may grow to while its 95% interval straddles a "
                   "target [default: 40, or 4 times the first replications if more].")
@click.option("--from-size", type=click.IntRange(min=1, max=MAX_TEAM_SIZE), default=None,
              help="Start the search at this size instead of the exact answer.")
@click.option("--curve-beyond", type=click.IntRange(min=0), default=1, show_default=True,
              help="Sizes above the answer also simulated for the curve.")
@click.option("--levers/--no-levers", default=True, show_default=True,
              help="When the answer is far from the file's size, simulate what an earlier "
                   "opening or a FIFO queue would need (where the breaches point there).")
@click.option("--scenario", default=None, metavar="NAME",
              help="Apply this scenario of the file first.")
@set_option
@run_options(reps=3)
@deprecated_path_option("--json", "json_path", "--format json -o PATH")
@deprecated_path_option("--csv", "csv_path", "--format csv -o PATH")
@click.option("--plot", "plot_path", metavar="PATH", default=None,
              help="Plot the staffing curve as PATH.png and PATH.svg.")
def staff_command(file: str, fmt: str, output_path: str | None, team: str, targets: tuple[str, ...],
                  objective: str, max_size: int,
                  max_reps: int | None, from_size: int | None, curve_beyond: int,
                  levers: bool, scenario: str | None, sets: tuple[str, ...], days: int, warmup: int,
                  reps: int, seed: int, start: date | None, jobs: int | None,
                  executor: str | None, scheduler: str | None, color: str,
                  json_path: str | None, plot_path: str | None, csv_path: str | None,
                  max_deals: int) -> None:
    """Find the smallest size of --team meeting every --target.

    The search starts from the exact answer where one applies (Erlang C / M/M/c+D for a
    team serving one stage with exponential work around the clock, Erlang A for an abandon
    target with exponential patience; the offered load for utilization), steps down, or
    brackets upwards by extrapolating the missed targets and closes in by interpolation.
    Each size gets a few replications first, then more until its 95% interval clears the
    targets (or --max-reps). Every size runs the same replication indices (common random
    numbers). The answer comes with why: where the breaches of a respond target (or the
    abandonments of an abandon target) come from (deals arriving outside working hours,
    by weekday, by queue priority), which stages load the team, and what a lever
    (earlier hours, a FIFO queue) would need, simulated.

    Exit code 0 when a size meets every target, 1 when none up to --max-size does (the
    best size found is printed) or the file has errors, 2 on a usage error.
    """
    if objective == "targets" and not targets:
        raise click.UsageError("give at least one --target, or --objective profit")
    config = make_config(days, warmup, reps, seed, start, jobs, max_deals)
    products, text_path, show_text = _products(fmt, output_path, json_path, csv_path)
    guard([*(Output(option, path) for path, _, option in products), Output("-o", text_path),
           *plot_outputs(plot_path)], [file])

    from ..whatif.service import size_team, staffing_budget
    from ..whatif.staff_render import save_staff_plot, staff_csv, staff_json, staff_text
    from ..whatif.staffing import with_respond_limits
    from .sim_options import guard_work, load_for_simulation

    prepared = load_for_simulation(file, scenario, color, "sizing a team of",
                                   run_size(config))
    model = model_with_sets(prepared.model, sets, prepared.colored)
    guard_work([model], run_size(config))  # a --set may have changed the sources' rates
    net = compile_model_or_exit(model, prepared)
    parsed = _targets(net, team, targets, prepared)
    _refuse_unfed(model, net, parsed)
    model = with_respond_limits(model, net, parsed)
    _refuse_unreachable(model, team, parsed, config)
    if objective == "profit":
        _profit(model, team, parsed, config, executor, scheduler, prepared, max_size, max_reps,
                from_size, products, text_path, show_text, color)
        return
    result = run_or_exit(
        lambda run: size_team(model, team, parsed, config, run, prepared.path, max_size,
                              max_reps, from_size, curve_beyond, levers),
        config, executor, scheduler, "staffing", prepared,
        staffing_budget(model, config, run_size(config).max_deals))
    if plot_path is not None:
        save_plot(plot_path, lambda png, svg: save_staff_plot(result, png, svg),
                  result.language)
    lang = model.account.language if model.account else None
    for path, kind, _ in products:
        deliver(path, to_json(staff_json(result)) if kind == "json" else staff_csv(result),
                lang)
    if show_text:
        present("text", text_path, partial(staff_text, outcome=result, lang=lang), color=color,
                language=lang)
    raise SystemExit(EXIT_CLEAN if result.staffing.answer is not None else EXIT_PROBLEMS)


def _profit(model: FunnelFile, team: str, parsed: list[Target], config: SimConfig,
            executor: str | None, scheduler: str | None, prepared: Prepared, max_size: int,
            max_reps: int | None, from_size: int | None,
            products: list[tuple[str, str, str]], text_path: str | None, show_text: bool,
            color: str) -> None:
    """`--objective profit`: the most profitable size meeting the targets, delivered like
    the targets' answer (JSON with `profit`, the CSV of the targets' curve, the table)."""
    from ..analysis.money import prices_cost
    from ..whatif.profit_render import profit_json, profit_text
    from ..whatif.service import staffing_budget
    from ..whatif.staff_render import staff_csv
    from ..whatif.staffing_profit import size_team_for_profit

    if not prices_cost(model):  # profit would be the revenue, and every member free
        raise click.BadParameter(
            f"{prepared.path} prices no cost (no team `cost`, no source `cost` or `budget`): "
            f"profit would only be the revenue and every size of `{team}` look free; price "
            f"the team, e.g. `team \"{team}\" size 3 cost 90k/month`, or size it with "
            f"--target", param_hint="'--objective'")
    result = run_or_exit(
        lambda run: size_team_for_profit(model, team, parsed, config, run, prepared.path,
                                         max_size, max_reps, from_size),
        config, executor, scheduler, "staffing", prepared,
        staffing_budget(model, config, run_size(config).max_deals))
    for path, kind, _ in products:
        deliver(path, to_json(profit_json(result)) if kind == "json"
                else staff_csv(result.outcome), result.outcome.language)
    if show_text:
        present("text", text_path, lambda console: profit_text(console, result), color=color,
                language=result.outcome.language)
    raise SystemExit(EXIT_CLEAN if result.profit.best is not None else EXIT_PROBLEMS)


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


def _refuse_unfed(model: FunnelFile, net: Network, parsed: list[Target]) -> None:
    """A respond or abandon target over stages no deal ever reaches (the exact flows send
    them none: no source feeds them, or a --set put the sources at 0) has nothing to
    measure at any size: the search used to run up to --max-size on empty figures (280
    replications) and print «no size up to 50 is far from the 3 in the file: the targets
    are met as simulated». A usage error instead."""
    from ..analysis.exact import analyze_account

    acct = analyze_account(model)
    for t in parsed:
        if t.kind not in ("respond", "abandon"):
            continue
        rates = [acct.stage(net.stages[i].pipeline_name, net.stages[i].name).arrivals_per_hour
                 for i in t.stages]
        if rates and all(r == 0.0 for r in rates):
            names = ", ".join(f"`{net.stages[i].pipeline_name}.{net.stages[i].name}`"
                              for i in t.stages)
            raise click.BadParameter(
                f"no deal ever reaches {names}: `{t.text.strip()}` has nothing to measure "
                "at any size; give the sources that feed these stages a rate (or route deals "
                "to them), or target stages that deals reach", param_hint="'--target'")


def _refuse_unreachable(model: FunnelFile, team: str, parsed: list[Target],
                        config: SimConfig) -> None:
    """A respond target no size can meet (`whatif.staffing_bound`: deals arriving while
    the team is closed, longer than the limit before it opens, or in a cadence whose first
    worked touch is due after the limit, breach at every size) is
    a usage error, as a target no deal reaches is: the search used to simulate sizes up
    to --max-size and then say that none meets. The message, in the output's language,
    gives the bound, the share behind it and what to change."""
    from ..i18n import choose, translator
    from ..sim.compile import compile_network
    from ..whatif.staff_why import unreachable_text
    from ..whatif.staffing_bound import unreachable

    net = compile_network(model)  # with the targets' limits as the stages' `respond`
    for t in parsed:
        u = unreachable(net, team, t, config)
        if u is not None:
            lang = model.account.language if model.account else None
            raise click.BadParameter(unreachable_text(translator(choose(lang)), u, parsed),
                                     param_hint="'--target'")


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
