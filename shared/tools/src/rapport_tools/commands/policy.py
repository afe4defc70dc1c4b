"""``rapport policy``: check, replay and compare escalation policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rapport_tools.commands._common import (
    JsonOpt,
    fail,
    new_typer,
    redis_settings,
    run_redis,
    usage,
)

if TYPE_CHECKING:
    from rapport_runtime.settings import RapportSettings

policy_app = new_typer("Check, replay and compare escalation policies.")


def _router_tools() -> Any:
    try:
        from rapport_router import replay
    except ImportError:
        raise fail("the router is not installed (package rapport-router)") from None
    return replay


@policy_app.command("check")
def policy_check(
    files: Annotated[list[Path], typer.Argument(help="Policy files (YAML).", exists=False)],
    strict: Annotated[
        bool, typer.Option(help="Fail (exit 1) on warnings too, e.g. in CI.")
    ] = False,
) -> None:
    """Validate policy files; errors name the file, line and field. Rules that can never fire
    (an earlier rule takes every message they would) are warnings with their line."""
    from rapport_runtime.config import ConfigError, check_policy_file

    failed = warned = False
    for path in files:
        try:
            policy, warnings = check_policy_file(path)
        except ConfigError as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            failed = True
            continue
        for line in warnings:
            typer.secho(line, err=True, fg=typer.colors.YELLOW)
        warned = warned or bool(warnings)
        queues = ", ".join(sorted(policy.queues)) or "none"
        hours = policy.business_hours.timezone if policy.business_hours else "none"
        note = f", {len(warnings)} warning(s)" if warnings else ""
        typer.echo(
            f"{path}: ok: policy {policy.id} version {policy.version}, {len(policy.rules)} rules, "
            f"ladders for: {queues}, business hours: {hours}{note}"
        )
    if failed or (strict and warned):
        raise typer.Exit(1)


@policy_app.command("schema")
def policy_schema() -> None:
    """Print the policy file's JSON Schema (for editors and CI checks)."""
    from rapport_contracts.policy import Policy

    typer.echo(json.dumps(Policy.model_json_schema(), indent=2, sort_keys=True))


@policy_app.command("signals")
def policy_signals() -> None:
    """List the signal names a policy's `any_signal` may use, with what each means."""
    from rapport_contracts.signals import SIGNALS

    for name, meaning in SIGNALS.items():
        typer.echo(f"{name:<18} {meaning}")


def _load_policy_or_default(path: Path | None) -> Any:
    from rapport_runtime.config import ConfigError, load_policy_file
    from rapport_runtime.policies import default_policy

    if path is None:
        return default_policy()
    try:
        return load_policy_file(path)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _since(tools: Any, since: str) -> str:
    from datetime import UTC, datetime

    try:
        start: str = tools.since_to_stream_id(since, datetime.now(UTC))
    except ValueError:
        raise usage(
            f"--since {since!r}: give a duration (90m, 24h, 7d) or an ISO time "
            "(2026-11-26T10:00:00Z)"
        ) from None
    return start


def _read_stream(settings: RapportSettings, stream: str, start: str) -> list[bytes]:
    """Every entry's data of the logical stream ``stream`` (``classified``, ``decisions``)
    from ``start`` on, in every partition, oldest first (merged by entry id: one
    conversation's entries are on one partition, in order)."""
    from rapport_contracts.streams import DATA_FIELD
    from rapport_runtime.partitions import all_partitions, partition_client

    async def read(redis: Any, name: str, partition: int) -> list[tuple[int, int, int, bytes]]:
        out: list[tuple[int, int, int, bytes]] = []
        position = start
        while True:
            batch: Any = await redis.xrange(name, min=position, count=5000)
            if not batch:
                return out
            for entry_id, fields in batch:
                ms, seq = entry_id.decode().split("-")
                out.append((int(ms), int(seq), partition, fields.get(DATA_FIELD.encode(), b"")))
            ms, seq = batch[-1][0].decode().split("-")
            position = f"{ms}-{int(seq) + 1}"

    async def work(redis: Any) -> list[bytes]:
        merged: list[tuple[int, int, int, bytes]] = []
        for partition, part in enumerate(all_partitions(settings)):
            client = await partition_client(redis, part)
            merged += await read(client, getattr(part.streams, stream), partition)
        merged.sort(key=lambda e: e[:3])
        return [data for *_, data in merged]

    entries: list[bytes] = run_redis(settings, work)
    return entries


def _stream_label(settings: RapportSettings, stream: str) -> str:
    """The stream as messages name it: its key, or every partition's with several."""
    name: str = getattr(settings.streams, stream)
    return name if settings.partitions == 1 else f"{name} ({settings.partitions} partitions)"


def _readable(raw: list[bytes], model: Any, what: str) -> list[Any]:
    """Entries that parse; the others are skipped, counted and reported in one line."""
    out, bad = [], 0
    for entry in raw:
        try:
            out.append(model.read(entry))
        except ValueError:
            bad += 1
    if bad:
        typer.echo(f"skipped {bad} unreadable {what} entr{'y' if bad == 1 else 'ies'}", err=True)
    return out


@policy_app.command("replay")
def policy_replay(
    policy: Annotated[Path, typer.Argument(help="The policy to try.")],
    input_file: Annotated[
        Path | None, typer.Option("--input", help="Messages in the eval data format (JSONL).")
    ] = None,
    from_stream: Annotated[
        bool, typer.Option("--from-stream", help="Replay recorded history from Redis.")
    ] = False,
    site: Annotated[str | None, typer.Option(help="Only this site (with --from-stream).")] = None,
    since: Annotated[
        str, typer.Option(help="How far back (with --from-stream): 24h, 7d, ...")
    ] = "7d",
    against: Annotated[
        Path | None, typer.Option(help="The policy to compare with (default: Rapport's default).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a policy offline and show what would change against another policy."""
    if (input_file is None) == (not from_stream):
        raise usage("give either --input FILE.jsonl or --from-stream")
    tools = _router_tools()
    candidate, baseline = _load_policy_or_default(policy), _load_policy_or_default(against)
    if input_file is not None:
        from rapport_tools.evaluation import EvalError, parse_context, read_jsonl

        try:
            from rapport_sentiment.classifier import classify, is_bot_fallback
        except ImportError:
            raise fail("replaying text needs the classifier (package rapport-sentiment)") from None
        rows = []
        try:
            for n, obj in read_jsonl(input_file):
                where = f"{input_file}:{n}"
                if not isinstance(obj.get("text"), str):
                    raise fail(f"{where}: needs a `text` string (the eval data format)")
                context = parse_context(obj.get("context", []), where)
                rows.append((str(obj.get("id", n)), obj["text"], context))
        except EvalError as exc:
            raise fail(str(exc)) from None
        items = tools.items_from_eval_file(rows, classify, is_bot_fallback)
    else:
        from rapport_contracts import ClassifiedMessage

        start = _since(tools, since)
        settings = redis_settings(quiet=as_json)
        raw = _read_stream(settings, "classified", start)
        history = _readable(raw, ClassifiedMessage, _stream_label(settings, "classified"))
        items = tools.items_from_history(history, site)
    report = tools.compare(items, candidate, baseline).as_dict()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(tools.format_comparison(report, "candidate", "baseline"))


@policy_app.command("diff")
def policy_diff(
    site: Annotated[str, typer.Option(help="The site whose live and shadow decisions to compare.")],
    since: Annotated[str, typer.Option(help="How far back: 24h, 7d, 90m or an ISO time.")] = "24h",
    as_json: JsonOpt = False,
) -> None:
    """Summarise live versus shadow decisions recorded for a site."""
    from rapport_contracts import Decision

    tools = _router_tools()
    start = _since(tools, since)
    settings = redis_settings(quiet=as_json)
    raw = _read_stream(settings, "decisions", start)
    decisions = _readable(raw, Decision, _stream_label(settings, "decisions"))
    report = tools.live_versus_shadow(decisions, site)
    if report["shadow"]["messages"] == 0:
        typer.echo(f"no shadow decisions for site {site!r} since {since}; set `shadow_policy`")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"site {site}: {report['compared']} message(s) decided by both")
        typer.echo(tools.format_comparison(report, "live", "shadow"))


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
