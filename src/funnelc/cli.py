"""The `funnelc` command line: thin. Each subcommand lives in `funnelc/commands/<name>.py`
and is imported only when it runs, so `funnelc --help`, `check` and `fmt` never pay for
simpy, numpy or matplotlib. Exit codes: 0 clean, 1 problems found in the input,
2 usage error or internal failure.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from . import __version__

# name -> (module, one-line help shown by `funnelc --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("funnelc.commands.check", "Check funnel files: syntax, semantic errors and lint."),
    "fmt": ("funnelc.commands.fmt", "Format funnel files in the canonical layout."),
    "schema": ("funnelc.commands.schema", "Print the JSON Schema of the typed model."),
    "analyze": ("funnelc.commands.analyze", "Exact funnel maths: win probabilities, loads, Erlang."),
    "simulate": ("funnelc.commands.simulate", "Simulate the account and print per-stage results."),
    "report": ("funnelc.commands.report", "Write an HTML report with analysis, simulation and plots."),
    "export": ("funnelc.commands.export", "Export the account for a CRM or as a diagram/playbook."),
    "apply": ("funnelc.commands.apply", "Plan and apply the account to a live CRM (amoCRM)."),
    "import": ("funnelc.commands.import_", "Turn a CRM's pipelines JSON back into funnel text."),
    "rules": ("funnelc.commands.rules", "List the lint rules."),
    "rule": ("funnelc.commands.rules", "Show the documentation of one lint rule."),
    "whatif": ("funnelc.commands.whatif", "Compare scenarios against the baseline."),
    "sweep": ("funnelc.commands.sweep", "Run a grid of variations and tabulate a metric."),
    "staff": ("funnelc.commands.staff", "Find the smallest team meeting service targets."),
    "history": ("funnelc.commands.history", "Analyse a CRM's stage history export."),
    "fit": ("funnelc.commands.fit", "Fit the funnel's parameters to a CRM history export."),
    "forecast": ("funnelc.commands.forecast",
                 "Forecast won deals and revenue from today's open deals and new arrivals."),
    "audit": ("funnelc.commands.audit",
              "Audit a history: managers, sources, loss reasons, graveyards, by money."),
    "serve": ("funnelc.commands.serve",
              "Workshop mode: edit the funnel in a local web page and watch it live."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (mod, _) in COMMANDS.items() if _module_exists(mod)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _module_exists(COMMANDS[name][0]):
            return None
        module = importlib.import_module(COMMANDS[name][0])
        command: click.Command = getattr(module, name.replace("-", "_") + "_command")
        from .commands.convention import help_order

        return help_order(command)

    def invoke(self, ctx: click.Context) -> Any:
        """An `OSError` out of a command (a full disk, a closed pipe on stdout) is an I/O
        error with exit 2; click would call a broken pipe exit 1, and the last-resort
        handler in `main` a bug. Ctrl+C is `Interrupted` (exit 2), not click's «Aborted!»."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None
        except OSError as exc:
            from .commands.output import os_failure

            raise os_failure(exc) from None
        except SystemExit as exc:
            if exc.code == 1 and _raised_in(exc, "on_broken_pipe"):
                # rich's Console ends a closed pipe with exit 1, our "problems in the input"
                import errno

                from .commands.output import stdout_error

                raise stdout_error(BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
                                   ) from None
            raise

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        """A mistyped command gets the nearest name (`chek` -> `check`), exit 2. The
        command's `--lang` is noted before click answers its `--help` (eagerly, before
        the option's own callback runs), so that help speaks it (commands.help_i18n)."""
        name = click.utils.make_str(args[0])
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing \
                and not name.startswith("-"):
            raise UnknownCommand(name, self.list_commands(ctx))
        resolved = super().resolve_command(ctx, args)
        if "--lang" in args or any(a.startswith("--lang=") for a in args):
            # Only then: a plain run imports nothing of this (check's start-up).
            from .commands.convention import LANG_META
            from .commands.help_i18n import LocalizedContext, peek_lang

            lang = peek_lang(args[1:])
            command = resolved[1]
            if lang is not None and command is not None:
                ctx.meta[LANG_META] = lang
                if command.context_class is click.Context:
                    command.context_class = LocalizedContext
        return resolved

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class Interrupted(click.ClickException):
    """Ctrl+C during a command: click would print «Aborted!» and exit 1, our "problems
    in the input"; the run did not finish, so it is exit 2, said in our error format.
    Every output goes through `funnelc.atomic`, which removes what it had staged, so
    nothing half-written is left behind."""

    exit_code = 2

    def __init__(self) -> None:
        super().__init__("interrupted before the command finished")

    def show(self, file: Any = None) -> None:
        click.echo(err=True)  # off the line where the terminal echoed ^C
        click.echo(f"error: {self.message}", err=True)
        click.echo("  = help: an output is written whole or not at all, so none is left "
                   "half-written; run the command again for its results", err=True)


class UnknownCommand(click.UsageError):
    """`funnelc chek`: `error: no command `chek`` and a suggestion (exit 2)."""

    def __init__(self, name: str, known: list[str]) -> None:
        import difflib

        super().__init__(f"no command `{name}`")
        guesses = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        self.hint = (f"did you mean `{guesses[0]}`?" if guesses else
                     "the commands are " + ", ".join(f"`{k}`" for k in known))

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)
        click.echo(f"  = help: {self.hint}", err=True)


def _raised_in(exc: BaseException, function: str) -> bool:
    """True when `exc` was raised by a function of this name (the innermost frame)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == function


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="funnelc")
def cli() -> None:
    """funnelc: compile, lint and simulate CRM sales funnels written as text.

    Write a whole CRM account (pipelines, stages, SLAs, teams, sources) in one
    .funnel file; check it, export it to amoCRM and other CRMs, and simulate it
    to see backlogs, SLA breaches and conversions before rollout.
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point: turns any unexpected exception into a one-line message and exit 2."""
    from . import interrupt

    interrupt.install()
    try:
        return cli.main(args=argv, prog_name="funnelc", standalone_mode=True)
    except SystemExit:
        _flush_stdout()
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(2)
    except OSError as exc:
        from .commands.output import os_failure

        os_failure(exc).show()
        sys.exit(2)
    except Exception as exc:  # the last line of defence against tracebacks
        if os.environ.get("FUNNELC_DEBUG"):
            raise
        click.echo(f"error: internal failure: {type(exc).__name__}: {exc}\n"
                   "  = help: this is a bug in funnelc; rerun with FUNNELC_DEBUG=1 for the "
                   "traceback and report it", err=True)
        sys.exit(2)


def _flush_stdout() -> None:
    """What is still buffered for stdout goes out now, while a failure (a closed pipe,
    `> /dev/full`) can still be reported with exit 2 instead of a warning at shutdown."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        from .commands.output import stdout_error

        stdout_error(exc).show()
        sys.exit(2)
    except ValueError:  # stdout already closed
        pass


if __name__ == "__main__":
    main()
