"""`funnelc schema`: the JSON Schema of the typed model (what `export --to json` emits)."""

from __future__ import annotations

import click


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema (draft 2020-12) of the funnel model."""
    import json

    from ..model import FunnelFile

    schema = FunnelFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "funnelc FunnelFile"
    click.echo(json.dumps(schema, ensure_ascii=False, indent=2))
