"""``rapport forget``: erase a person's data (a data-protection request)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rapport_tools.commands._common import redis_settings, run_redis, usage


def forget_command(
    site: Annotated[str, typer.Option("--site", help="The site.")],
    conversation: Annotated[
        str | None, typer.Option("--conversation", help="Erase this conversation.")
    ] = None,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help="Erase every conversation this customer id wrote in."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
) -> None:
    """Erase a person's data from every Redis key, stream, timer and retry (a data-protection
    request), and say what was removed. The helpdesk's ticket is the helpdesk's to erase."""
    from rapport_runtime.erasure import conversations_of_customer, forget

    if (conversation is None) == (customer is None):
        raise usage("give exactly one of --conversation C or --customer ID")
    settings = redis_settings()

    async def work(redis: Any) -> Any:
        targets = (
            {(site, conversation)}
            if conversation is not None
            else await conversations_of_customer(redis, settings.streams, site, customer or "")
        )
        return await forget(redis, settings.prefix, targets, dry_run=dry_run)

    erased = run_redis(settings, work)
    if not erased.conversations:
        typer.echo(f"no conversation of customer {customer!r} on site {site!r}; nothing removed")
        return
    typer.echo(("would remove " if dry_run else "removed ") + erased.summary())


def register(app: typer.Typer) -> None:
    app.command("forget")(forget_command)
