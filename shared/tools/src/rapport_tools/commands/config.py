"""``rapport config check``: validate a sites file without starting anything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import fail, new_typer, usage

config_app = new_typer("Check a sites file (RAPPORT_CONFIG) without starting anything.")


@config_app.command("check")
def config_check(
    file: Annotated[
        Path | None, typer.Argument(help="The sites file (default: $RAPPORT_CONFIG).")
    ] = None,
) -> None:
    """Validate a sites file: every error at once with file:line:field, environment variables
    and secret files that must exist, policies, and each adapter's required options."""
    from rapport_runtime.config import check_sites_file

    path = str(file) if file is not None else os.environ.get("RAPPORT_CONFIG")
    if not path:
        raise usage("give the sites file: rapport config check sites.yaml (or set RAPPORT_CONFIG)")
    if not Path(path).is_file():
        raise usage(f"{path}: no such file")

    def check_adapter(site: Any) -> None:
        from rapport_handoff.adapters import adapter_class

        adapter_class(site.adapter.type).check(site)

    result = check_sites_file(path, check_adapter)
    for line in result.warnings:
        typer.secho(line, err=True, fg=typer.colors.YELLOW)
    for line in result.errors:
        typer.secho(line, err=True, fg=typer.colors.RED)
    if result.errors:
        raise fail(f"{path}: {len(result.errors)} problem(s) found", 1)
    typer.echo(f"{path}: ok: {len(result.sites)} site(s): {', '.join(result.sites)}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
