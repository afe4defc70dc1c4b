"""``rapport schemas`` and ``rapport asyncapi``: the contracts of Rapport's streams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rapport_tools.commands._common import load_settings


def schemas(
    write: Annotated[
        Path | None, typer.Option(help="Write one <Event>.json per event here.")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of every event on Rapport's streams."""
    from rapport_contracts import json_schemas

    all_schemas = json_schemas()
    if write is None:
        typer.echo(json.dumps(all_schemas, indent=2, sort_keys=True))
        return
    write.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas.items():
        (write / f"{name}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {len(all_schemas)} schemas to {write}")


def asyncapi() -> None:
    """Print the AsyncAPI 3.0 document of Rapport's streams (for consumers in any language)."""
    from rapport_contracts.asyncapi import asyncapi_document

    typer.echo(json.dumps(asyncapi_document(load_settings().streams), indent=2, sort_keys=True))


def register(app: typer.Typer) -> None:
    app.command()(schemas)
    app.command()(asyncapi)
