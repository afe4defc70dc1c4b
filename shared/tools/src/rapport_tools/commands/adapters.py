"""``rapport adapters``: the registered helpdesk adapters."""

from __future__ import annotations

import typer

from rapport_tools.commands._common import fail


def adapters() -> None:
    """List the registered helpdesk adapters."""
    try:
        from rapport_handoff.adapters import ADAPTERS, adapter_class
    except ImportError:
        raise fail("the handoff service is not installed (package rapport-handoff)") from None
    from rapport_handoff.adapters.base import supports

    for name in sorted(ADAPTERS):
        cls = adapter_class(name)
        inbound = f"POST /v1/sites/<site>/webhooks/{name}" if "inbound" in supports(cls) else "-"
        typer.echo(f"{name:<18} {cls.description}")
        typer.echo(f"{'':<18} supports: {', '.join(supports(cls))}; inbound: {inbound}")


def register(app: typer.Typer) -> None:
    app.command()(adapters)
