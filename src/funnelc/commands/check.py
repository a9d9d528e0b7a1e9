"""`funnelc check FILE...`: syntax errors, semantic errors, then lint findings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .common import EXIT_USAGE, exit_code_for, print_diagnostics, use_color
from .convention import chosen_lang, detail, info, lang_option, output_option, verbosity_options
from .sim_options import stack

if TYPE_CHECKING:
    from ..diagnostics import Diagnostic, SourceText


LANG_HELP = ("Language of the text report and of --help: ru, uk or en (the default); json "
             "and sarif stay English.")


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True,
              help="What to print: text (the problems, for people, on stderr), json (on "
                   "stdout; schema: diagnostics.schema.json) or sarif (SARIF 2.1.0, on "
                   "stdout); -o/--output PATH writes it to a file instead.")
@output_option()
@stack(verbosity_options())
@lang_option(help=LANG_HELP)
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text output.")
@click.option("--select", "select", multiple=True, metavar="RULES",
              help="Run only these lint rules: codes, prefixes (FN1), names, or ALL; "
                   "comma-separated, repeatable. Replaces the config's `select`.")
@click.option("--ignore", "ignore", multiple=True, metavar="RULES",
              help="Skip these lint rules (added to the config's `ignore`).")
@click.option("--severity", "severity", multiple=True, metavar="RULE=LEVEL",
              help="Set a lint rule's severity: error, warning or note (FN106=warning).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Lint config file (funnelc.toml or pyproject.toml) instead of the one "
                   "found upward from each file.")
@click.option("--no-lint", is_flag=True, help="Report only syntax and semantic errors.")
def check_command(files: tuple[str, ...], fmt: str, color: str, output_path: str | None = None,
                  select: tuple[str, ...] = (),
                  ignore: tuple[str, ...] = (), severity: tuple[str, ...] = (),
                  config_path: str | None = None, no_lint: bool = False) -> None:
    """Check FILES (use - for stdin) and report every problem found.

    Exit code 0 when clean, 1 when any file has problems, 2 on a usage error
    (a missing file) or an internal failure.
    """
    from ..api import finish_checks, load_file
    from .lint_setup import LintSetup
    from .output import Output, guard

    guard([Output("-o", output_path)], files)
    lang = chosen_lang()

    lint_setup = None if no_lint else LintSetup.from_cli(select, ignore, severity, config_path)
    all_diags = []
    sources = {}
    suppressed = []
    usage = False
    for path in files:
        detail(f"checking {path}")
        loaded = load_file(path, checks=False)
        # A big file is linted in a worker while this process checks it.
        pending = lint_setup.start(loaded) if lint_setup is not None else None
        finish_checks(loaded)
        all_diags.extend(loaded.diagnostics)
        if lint_setup is not None:
            report = lint_setup.run(loaded, pending)
            all_diags.extend(report.diagnostics)
            suppressed.extend(report.suppressed)
        if loaded.source is not None:
            sources[loaded.source.path] = loaded.source
        usage = usage or loaded.usage_error
    if output_path is not None and output_path != "-":
        _write_report(output_path, fmt, all_diags, suppressed, sources, lang)
        info(f"wrote {output_path}")
    elif fmt == "sarif":
        from ..lint.sarif import render_sarif

        click.echo(render_sarif(all_diags, suppressed))
    else:
        print_diagnostics(all_diags, sources, fmt, use_color(color), lang)
    if not all_diags and fmt == "text":  # json and sarif say "clean" as data
        n = len(files)
        if lang is not None and lang != "en":
            from ..i18n.diagnostics import localizer

            info(localizer(lang).files_clean(n))
        else:
            info(f"{n} file{'s' if n != 1 else ''} checked, no problems")
    code = exit_code_for(all_diags, usage)
    if usage:
        code = EXIT_USAGE
    raise SystemExit(code)


def _write_report(path: str, fmt: str, diags: list[Diagnostic], suppressed: list[Any],
                  sources: dict[str, SourceText], lang: str | None = None) -> None:
    """The report in `fmt` to the file `path` (text without colour)."""
    from ..diagnostics import render_json, render_text, summary_line
    from .output import emit

    if fmt == "sarif":
        from ..lint.sarif import render_sarif

        emit(path, render_sarif(diags, suppressed) + "\n")
    elif fmt == "json":
        emit(path, render_json(diags) + "\n")
    else:
        summary = summary_line(diags, lang)
        emit(path, render_text(diags, sources, color=False, lang=lang)
             + (summary + "\n" if summary else ""))
