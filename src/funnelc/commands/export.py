"""`funnelc export FILE --to TARGET [-o PATH]`."""

from __future__ import annotations

import click

from .common import EXIT_PROBLEMS, EXIT_USAGE, print_diagnostics, use_color
from .convention import deliver, info, lang_option, to_json, verbosity_options
from .sim_options import stack


@click.command("export")
@click.argument("file", type=click.Path(allow_dash=True))
@click.option("--to", "target", required=True, metavar="TARGET",
              help="amocrm, bitrix24, pipedrive, hubspot, salesforce, salesforce-sfdx, mermaid, "
                   "dot, playbook-md, playbook-html, json")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="What to print: text (the target's own file as it is) or json (every "
                   "file of the target by name, folder targets too; schema "
                   "export.schema.json). Goes to stdout, or to -o/--output PATH.")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Output file (or folder for folder targets with --format text); "
                   "default: stdout.")
@stack(verbosity_options())
@lang_option()
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the diagnostics.")
def export_command(file: str, target: str, fmt: str, output: str | None, color: str) -> None:
    """Export FILE for a CRM, as a diagram, a manager playbook or JSON.

    Nothing is written when the file has errors or the target cannot hold the account
    (the reasons are printed as diagnostics pointing at the funnel source).
    """
    from ..api import load_file
    from ..diagnostics import Severity, did_you_mean
    from ..export.registry import TARGETS, available, get_exporter
    from ..export.render import export_files, export_json, export_single
    from .output import Output, guard, guard_folder, write_folder

    if target not in TARGETS or target not in available():
        guess = did_you_mean(target, available())
        hint = f" (did you mean `{guess}`?)" if guess else ""
        raise click.BadParameter(f"unknown target `{target}`{hint}; available: "
                                 + ", ".join(available()), param_hint="--to")
    exporter = get_exporter(target)
    if output is not None and exporter.folder and fmt == "text":
        guard_folder("-o", output, [file])
    elif output is not None:
        guard([Output("-o", output)], [file])
    loaded = load_file(file)
    sources = {loaded.source.path: loaded.source} if loaded.source else {}
    if loaded.usage_error:
        print_diagnostics(loaded.diagnostics, sources, "text", use_color(color))
        raise SystemExit(EXIT_USAGE)
    if not loaded.ok or loaded.model is None:
        print_diagnostics(loaded.errors or loaded.diagnostics, sources, "text", use_color(color))
        raise SystemExit(EXIT_PROBLEMS)
    result = exporter.export(loaded.model)
    if result.diagnostics:
        print_diagnostics(result.diagnostics, sources, "text", use_color(color))
    if any(d.severity is Severity.error for d in result.diagnostics):
        raise SystemExit(EXIT_PROBLEMS)
    # The `wrote …` note in the account's language (`--lang` over it), as every client
    # command says it: a Ukrainian clinic's playbook export said «wrote playbook.html».
    account = loaded.model.account
    language = account.language if account is not None else None
    if fmt == "json":
        deliver(output, to_json(export_json(target, result)), language)
        return
    if exporter.folder or not result.single:
        if output is None or output == "-":
            raise click.UsageError(f"`{target}` writes a folder of files: give -o DIR")
        if not exporter.folder:
            guard_folder("-o", output, [file])
        written = write_folder("-o", output, export_files(result), [file])
        info(_wrote_files(len(written), output, language))
        return
    deliver(output, export_single(result), language)


def _wrote_files(n: int, folder: str, language: str | None) -> str:
    """`wrote N files to DIR` in the client's language (see `convention.wrote_line`: with
    no language and no --lang, English as written, the catalogs not loaded)."""
    from ..i18n import choose, current_override, translator

    if language is None and current_override() is None:
        return f"wrote {n} file{'s' if n != 1 else ''} to {folder}"
    return translator(choose(language)).ngettext(
        "wrote {n} file to {folder}", "wrote {n} files to {folder}", n).format(n=n,
                                                                             folder=folder)
