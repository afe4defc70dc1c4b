"""``rapport forget``: erase a person's data (a data-protection request)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import fail, redis_settings, run_redis, usage


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
    request), and from the archive when one is configured (RAPPORT_ARCHIVE_URL, or the running
    `rapport dev`'s), and say what was removed. The helpdesk's ticket is the helpdesk's to
    erase."""
    from rapport_runtime.erasure import conversations_of_customer, forget

    if (conversation is None) == (customer is None):
        raise usage("give exactly one of --conversation C or --customer ID")
    settings = redis_settings()
    archive = _open_archive(settings.archive_url)
    in_archive: set[tuple[str, str]] = set()
    if archive is not None and customer is not None:
        from rapport_archive.store import conversations_of_customer as archived_conversations

        in_archive = _archive_call(archive, archived_conversations, archive[1], site, customer)

    async def work(redis: Any) -> Any:
        from rapport_runtime.erasure import Erased
        from rapport_runtime.partitions import all_partitions, conversation_settings

        # With RAPPORT_PARTITIONS > 1 (or a cluster) each conversation lives in one partition's
        # keys and streams: the customer's conversations are looked for in every partition and
        # each is erased in its own.
        parts = all_partitions(settings)
        targets: set[tuple[str, str]] = set(in_archive)
        if conversation is not None:
            targets.add((site, conversation))
        else:
            for part in parts:
                found = await conversations_of_customer(redis, part.streams, site, customer or "")
                targets |= found
        total = Erased(conversations=set(targets))
        for part in parts:
            mine = {t for t in targets if conversation_settings(settings, *t).prefix == part.prefix}
            if mine:
                erased = await forget(redis, part.prefix, mine, dry_run=dry_run)
                total.keys += erased.keys
                total.entries.update(erased.entries)
                total.timers += erased.timers
        return total

    erased = run_redis(settings, work)
    if not erased.conversations:
        typer.echo(f"no conversation of customer {customer!r} on site {site!r}; nothing removed")
        return
    typer.echo(("would remove " if dry_run else "removed ") + erased.summary())
    if archive is None:
        typer.echo("archive: none configured (RAPPORT_ARCHIVE_URL is unset); nothing there")
        return
    from rapport_archive.store import forget as forget_archived
    from rapport_archive.store import forget_summary

    counts = _archive_call(archive, forget_archived, archive[1], erased.conversations, dry_run)
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"archive {archive[0]}: {verb} {forget_summary(counts)} row(s)")


def _open_archive(url: str | None) -> tuple[str, Any] | None:
    """(redacted URL, engine) of the archive to erase in, or None when there is none: the
    setting, else the running `rapport dev`'s SQLite file when it exists."""
    if not url:
        from rapport_tools.dev import dev_archive_url
        from rapport_tools.devstate import read_state

        dev_url = dev_archive_url() if read_state() is not None else ""
        if not dev_url.startswith("sqlite:///") or not Path(dev_url[10:]).exists():
            return None
        url = dev_url
    from rapport_archive.store import make_engine, redact_url

    shown = redact_url(url)
    try:
        engine = make_engine(url)
        with engine.connect():
            pass
    except Exception as exc:  # one line, before anything is erased anywhere
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        raise fail(f"cannot reach the archive at {shown}: {first}; nothing was erased") from None
    return shown, engine


def _archive_call(archive: tuple[str, Any], fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        raise fail(f"the archive at {archive[0]} failed: {first}") from None


def register(app: typer.Typer) -> None:
    app.command("forget")(forget_command)
