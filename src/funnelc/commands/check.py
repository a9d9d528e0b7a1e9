"""`funnelc check FILE...`: syntax errors, semantic errors, then lint findings."""

from __future__ import annotations

import click

from .common import EXIT_USAGE, exit_code_for, print_diagnostics, use_color


@click.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Human text on stderr, or JSON on stdout.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text output.")
def check_command(files: tuple[str, ...], fmt: str, color: str) -> None:
    """Check FILES (use - for stdin) and report every problem found.

    Exit code 0 when clean, 1 when any file has problems, 2 on a usage error
    (a missing file) or an internal failure.
    """
    from ..api import load_file

    all_diags = []
    sources = {}
    usage = False
    for path in files:
        loaded = load_file(path)
        all_diags.extend(loaded.diagnostics)
        if loaded.source is not None:
            sources[loaded.source.path] = loaded.source
        usage = usage or loaded.usage_error
    print_diagnostics(all_diags, sources, fmt, use_color(color))
    code = exit_code_for(all_diags, usage)
    if usage:
        code = EXIT_USAGE
    raise SystemExit(code)
