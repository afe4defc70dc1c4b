"""``rapport dlq``: inspect, replay and purge the dead-letter stream."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import (
    JsonOpt,
    fail,
    load_settings,
    new_typer,
    redis_settings,
    run_redis,
    usage,
)

dlq_app = new_typer("Inspect and replay the dead-letter stream.")


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
    """Show parked entries: where from, how often tried, and why; says how many match.
    With RAPPORT_PARTITIONS > 1 every partition's DLQ, ids qualified (p3:1764151200000-0)."""
    from rapport_runtime.dlq import list_everywhere

    where = _letter_filter(stream, site, reason, older_than, newer_than)
    settings = redis_settings(quiet=as_json)

    async def work(redis: Any) -> Any:
        return await list_everywhere(redis, settings, None if show_all else count, where)

    letters, total = run_redis(settings, work)
    partitioned = settings.partitions > 1
    if as_json:
        rows = [
            {"id": i, **({"partition": p} if partitioned else {}), **d.model_dump(mode="json")}
            for i, p, d in letters
        ]
        typer.echo(json.dumps({"total": total, "entries": rows}, indent=2))
        return
    if not total:
        where_text = (
            f"the DLQs of {settings.partitions} partitions" if partitioned else settings.streams.dlq
        )
        typer.echo(f"no dead letters match in {where_text}")
        return
    for entry_id, _, letter in letters:
        typer.echo(
            f"{entry_id}  from {letter.stream} ({letter.group}) after {letter.deliveries} "
            f"deliveries: {letter.reason[:300]}"
        )
    more = "" if len(letters) == total else " (--all shows every one; --count N more)"
    typer.echo(f"{len(letters)} of {total} matching dead letters shown{more}")


def _entry_ids(given: list[str]) -> tuple[Any, list[tuple[str, int, str]]]:
    """The settings and (as typed, partition, bare id) of each id; a malformed id, or a bare
    one while there are several partitions, is a usage error (before Redis is asked)."""
    from rapport_runtime.partitions import EntryIdError, parse_entry_id

    found = load_settings()
    parsed = []
    for text in given:
        try:
            parsed.append((text, *parse_entry_id(found.partitions, text, "dead-letter entry")))
        except EntryIdError as exc:
            raise usage(f"{exc} (`rapport dlq list` shows them)") from None
    return found, parsed


def _elsewhere(text: str, others: list[str]) -> str:
    return f"; it is in another partition: {', '.join(others)}" if others else ""


@dlq_app.command("show")
def dlq_show(
    entry_id: Annotated[str, typer.Argument(help="A dead-letter entry id (from `list`).")],
) -> None:
    """Print one dead letter whole, payload included, as JSON."""
    from rapport_runtime.dlq import locate

    _, [(text, partition, bare)] = _entry_ids([entry_id])
    settings = redis_settings(quiet=True)

    async def work(redis: Any) -> Any:
        return await locate(redis, settings, partition, bare)

    letter, others = run_redis(settings, work)
    if letter is None:
        dlq = all_dlqs(settings)[partition]
        raise fail(f"{text} is not in {dlq}{_elsewhere(text, others)} (`rapport dlq list`)")
    typer.echo(json.dumps({"id": text, **letter.model_dump(mode="json")}, indent=2))


def all_dlqs(settings: Any) -> list[str]:
    from rapport_runtime.partitions import all_partitions

    return [part.streams.dlq for part in all_partitions(settings)]


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
    from rapport_runtime.dlq import list_everywhere, purge_everywhere

    given = (stream, site, reason, older_than, newer_than)
    if all(v is None for v in given) and not everything:
        raise usage(
            "say which dead letters to purge (--stream, --site, --reason, --older-than, "
            "--newer-than), or --everything"
        )
    where = _letter_filter(stream, site, reason, older_than, newer_than)
    settings = redis_settings()

    async def count(redis: Any) -> Any:
        return (await list_everywhere(redis, settings, 0, where))[1]

    async def work(redis: Any) -> Any:
        return await purge_everywhere(redis, settings, where)

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
    from rapport_runtime.dlq import locate, replay_one

    _, parsed = _entry_ids(entry_ids)
    settings = redis_settings()

    async def work(redis: Any) -> list[tuple[str, bool, list[str]]]:
        out = []
        for text, partition, bare in parsed:
            done = await replay_one(redis, settings, partition, bare)
            others = [] if done else (await locate(redis, settings, partition, bare))[1]
            out.append((text, done, others))
        return out

    results: list[tuple[str, bool, list[str]]] = run_redis(settings, work)
    for text, done, others in results:
        typer.echo(
            f"{text}: {'replayed' if done else 'not found in the DLQ'}{_elsewhere(text, others)}"
        )
    if not all(done for _, done, _ in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(dlq_app, name="dlq")
