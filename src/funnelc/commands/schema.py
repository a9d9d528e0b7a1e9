"""`funnelc schema [NAME]`: the JSON Schema of the typed model (what `export --to json`
emits), or of one command's `--format json` output."""

from __future__ import annotations

from pathlib import Path

import click

from .convention import deliver, output_option, to_json, verbosity_options
from .sim_options import stack

_PACKAGE = Path(__file__).resolve().parent.parent
OUTPUT_SCHEMAS: dict[str, Path] = {
    "check": _PACKAGE / "schemas" / "diagnostics.schema.json",
    **{name: _PACKAGE / "schemas" / f"{name}.schema.json"
       for name in ("fmt", "rules", "rule", "export", "import", "apply", "analyze", "whatif",
                    "sweep", "staff", "history", "fit", "forecast", "audit", "serve")},
    "simulate": _PACKAGE / "sim" / "results_schema.json",
    "report": _PACKAGE / "report" / "summary_schema.json",
}
"""Command → the published schema of its `--format json` output (files in the package,
read without importing the engines that write them)."""


@click.command("schema")
@click.argument("name", required=False, default="model", metavar="[COMMAND]",
                type=click.Choice(["model", *OUTPUT_SCHEMAS]))
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True,
              help="What to print: json (the schema is JSON itself; the option is here so "
                   "that every command takes it). Goes to stdout, or to -o/--output PATH.")
@output_option()
@stack(verbosity_options())
def schema_command(name: str, fmt: str, output_path: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of the funnel model, or with COMMAND of
    that command's `--format json` output (check, fmt, rules, rule, export, import,
    apply, analyze, simulate, report, whatif, sweep, staff, history, fit, forecast,
    audit, serve)."""
    if name != "model":
        deliver(output_path, OUTPUT_SCHEMAS[name].read_text(encoding="utf-8"))
        return
    from ..model import FunnelFile

    schema = FunnelFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "funnelc FunnelFile"
    deliver(output_path, to_json(schema))
