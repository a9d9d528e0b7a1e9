"""`funnelc export FILE --to TARGET [-o PATH]`."""

from __future__ import annotations

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color, write_atomic


@click.command("export")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option("--to", "target", required=True, metavar="TARGET",
              help="amocrm, bitrix24, pipedrive, hubspot, salesforce, mermaid, dot, "
                   "playbook-md, playbook-html, json")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Output file (or folder for folder targets); default: stdout.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto")
def export_command(file: str, target: str, output: str | None, color: str) -> None:
    """Export FILE for a CRM, as a diagram, a manager playbook or JSON.

    Nothing is written when the file has errors or the target cannot hold the account
    (the reasons are printed as diagnostics pointing at the funnel source).
    """
    import os

    from ..api import load_file
    from ..diagnostics import Severity, did_you_mean
    from ..export.registry import TARGETS, available, get_exporter

    if target not in TARGETS or target not in available():
        guess = did_you_mean(target, available())
        hint = f" (did you mean `{guess}`?)" if guess else ""
        raise click.BadParameter(f"unknown target `{target}`{hint}; available: "
                                 + ", ".join(available()), param_hint="--to")
    loaded = load_file(file)
    sources = {loaded.source.path: loaded.source} if loaded.source else {}
    if loaded.usage_error:
        print_diagnostics(loaded.diagnostics, sources, "text", use_color(color))
        raise SystemExit(EXIT_USAGE)
    if not loaded.ok or loaded.model is None:
        print_diagnostics(loaded.errors or loaded.diagnostics, sources, "text", use_color(color))
        raise SystemExit(EXIT_PROBLEMS)
    exporter = get_exporter(target)
    result = exporter.export(loaded.model)
    if result.diagnostics:
        print_diagnostics(result.diagnostics, sources, "text", use_color(color))
    if any(d.severity is Severity.error for d in result.diagnostics):
        raise SystemExit(EXIT_PROBLEMS)
    if exporter.folder or not result.single:
        if output is None or output == "-":
            raise click.UsageError(f"`{target}` writes a folder of files: give -o DIR")
        if os.path.exists(output) and not os.path.isdir(output):
            raise click.UsageError(f"`{target}` writes a folder of files, and {output} is a file")
        try:
            for rel, content in sorted(result.files.items()):
                write_atomic(os.path.join(output, rel), content)
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            raise SystemExit(EXIT_USAGE)
        click.echo(f"wrote {len(result.files)} files to {output}", err=True)
        return
    (name, content), = result.files.items()
    if output is None or output == "-":
        click.echo(content if isinstance(content, str) else content.decode("utf-8"), nl=False)
        return
    try:
        write_atomic(output, content)
    except OSError as exc:
        click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
        raise SystemExit(EXIT_USAGE)
    click.echo(f"wrote {output}", err=True)
