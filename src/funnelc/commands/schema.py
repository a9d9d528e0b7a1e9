"""`funnelc schema`: the JSON Schema of the typed model (what `export --to json` emits)."""

from __future__ import annotations

import click

from .convention import deliver, output_option, to_json, verbosity_options
from .sim_options import stack


@click.command("schema")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True,
              help="What to print: json (the schema is JSON itself; the option is here so "
                   "that every command takes it). Goes to stdout, or to -o/--output PATH.")
@output_option()
@stack(verbosity_options())
def schema_command(fmt: str, output_path: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of the funnel model."""
    from ..model import FunnelFile

    schema = FunnelFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "funnelc FunnelFile"
    deliver(output_path, to_json(schema))
