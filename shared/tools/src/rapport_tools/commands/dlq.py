"""``rapport dlq``: inspect, replay and purge the dead-letter stream."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import (
    JsonOpt,
    fail,
    new_typer,
    redis_settings,
    run_redis,
    usage,
)

dlq_app = new_typer("Inspect and replay the dead-letter stream.")


_ENTRY_ID = re.compile(r"^\d+(-\d+)?$")


_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def _age_s(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    found = _AGE.match(value.strip())
    if not found:
        raise usage(f"{option} {value!r} is not an age; write it like 30m, 6h or 7d")
    return float(found.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[found.group(2)]


StreamOpt = Annotated[
    str | None, typer.Option("--stream", help="Only entries from this stream (e.g. escalations).")
]
SiteOpt = Annotated[str | None, typer.Option("--site", help="Only entries of this site.")]
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Only entries whose reason contains this text.")
]
OlderOpt = Annotated[
    str | None, typer.Option("--older-than", help="Only entries parked longer ago (e.g. 7d).")
]
NewerOpt = Annotated[
    str | None, typer.Option("--newer-than", help="Only entries parked more recently (e.g. 1h).")
]


def _letter_filter(
    stream: str | None,
    site: str | None,
    reason: str | None,
    older_than: str | None,
    newer_than: str | None,
) -> Any:
    from rapport_runtime.dlq import LetterFilter

    return LetterFilter(
        stream=stream,
        site=site,
        reason=reason,
        older_than_s=_age_s(older_than, "--older-than"),
        newer_than_s=_age_s(newer_than, "--newer-than"),
    )


@dlq_app.command("list")
def dlq_list(
    count: Annotated[int, typer.Option(help="How many to show, newest first.", min=1)] = 20,
    show_all: Annotated[bool, typer.Option("--all", help="Show every matching entry.")] = False,
    stream: StreamOpt = None,
    site: SiteOpt = None,
    reason: ReasonOpt = None,
    older_than: OlderOpt = None,
    newer_than: NewerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show parked entries: where from, how often tried, and why; says how many match."""
    from rapport_runtime.dlq import list_dead_letters

    where = _letter_filter(stream, site, reason, older_than, newer_than)
    settings = redis_settings(quiet=as_json)

    async def work(redis: Any) -> Any:
        return await list_dead_letters(redis, settings.streams, None if show_all else count, where)

    letters, total = run_redis(settings, work)
    if as_json:
        rows = [{"id": i, **d.model_dump(mode="json")} for i, d in letters]
        typer.echo(json.dumps({"total": total, "entries": rows}, indent=2))
        return
    if not total:
        typer.echo(f"no dead letters match in {settings.streams.dlq}")
        return
    for entry_id, letter in letters:
        typer.echo(
            f"{entry_id}  from {letter.stream} ({letter.group}) after {letter.deliveries} "
            f"deliveries: {letter.reason[:300]}"
        )
    more = "" if len(letters) == total else " (--all shows every one; --count N more)"
    typer.echo(f"{len(letters)} of {total} matching dead letters shown{more}")


@dlq_app.command("show")
def dlq_show(
    entry_id: Annotated[str, typer.Argument(help="A dead-letter entry id (from `list`).")],
) -> None:
    """Print one dead letter whole, payload included, as JSON."""
    from rapport_runtime.dlq import show

    if not _ENTRY_ID.match(entry_id):
        raise usage(
            f"{entry_id!r} is not a dead-letter entry id; they look like 1764151200000-0 "
            "(`rapport dlq list` shows them)"
        )
    settings = redis_settings(quiet=True)

    async def work(redis: Any) -> Any:
        return await show(redis, settings.streams, entry_id)

    letter = run_redis(settings, work)
    if letter is None:
        raise fail(f"{entry_id} is not in {settings.streams.dlq} (`rapport dlq list`)")
    typer.echo(json.dumps({"id": entry_id, **letter.model_dump(mode="json")}, indent=2))


@dlq_app.command("purge")
def dlq_purge(
    stream: StreamOpt = None,
    site: SiteOpt = None,
    reason: ReasonOpt = None,
    older_than: OlderOpt = None,
    newer_than: NewerOpt = None,
    everything: Annotated[
        bool, typer.Option("--everything", help="Purge with no filter at all.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do it; without it, only count.")] = False,
) -> None:
    """Delete matching dead letters for good (they will never be replayed)."""
    from rapport_runtime.dlq import list_dead_letters, purge

    given = (stream, site, reason, older_than, newer_than)
    if all(v is None for v in given) and not everything:
        raise usage(
            "say which dead letters to purge (--stream, --site, --reason, --older-than, "
            "--newer-than), or --everything"
        )
    where = _letter_filter(stream, site, reason, older_than, newer_than)
    settings = redis_settings()

    async def count(redis: Any) -> Any:
        return (await list_dead_letters(redis, settings.streams, 0, where))[1]

    async def work(redis: Any) -> Any:
        return await purge(redis, settings.streams, where)

    if not yes:
        matching = run_redis(settings, count)
        typer.echo(f"{matching} dead letters match; add --yes to delete them")
        return
    typer.echo(f"purged {run_redis(settings, work)} dead letters")


@dlq_app.command("replay")
def dlq_replay(
    entry_ids: Annotated[list[str], typer.Argument(help="Dead-letter entry ids (from `list`).")],
) -> None:
    """Put entries back on the stream they came from (after fixing the cause)."""
    from rapport_runtime.dlq import replay

    bad = [e for e in entry_ids if not _ENTRY_ID.match(e)]
    if bad:
        raise usage(
            f"{bad[0]!r} is not a dead-letter entry id; they look like 1764151200000-0 "
            "(`rapport dlq list` shows them)"
        )
    settings = redis_settings()

    async def work(redis: Any) -> list[str]:
        return await replay(redis, settings.streams, entry_ids, settings.stream_maxlen)

    done: list[str] = run_redis(settings, work)
    for entry_id in entry_ids:
        typer.echo(f"{entry_id}: {'replayed' if entry_id in done else 'not found in the DLQ'}")
    if len(done) != len(entry_ids):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq")
