"""``rapport send``: sign and post one message to the edge, then print what Rapport decided."""

from __future__ import annotations

import json
import time
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from rapport_tools.commands._common import (
    DEMO_SECRET_ENV,
    edge_down,
    edge_url,
    load_settings,
    post_signed,
    read_conversation,
    site_secret,
    usage,
)

if TYPE_CHECKING:
    import httpx


def _show_decision(
    http: httpx.Client, url: str, message_id: str, token: str, timeout: float
) -> None:
    """Wait for the decision on ``message_id`` (and its handoff) and print them."""
    deadline = time.monotonic() + timeout
    decision: dict[str, Any] | None = None
    while decision is None:
        view = read_conversation(http, url, token)
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
        view = read_conversation(http, url, token) or {"handoffs": []}
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
            raise usage(f"--attribute {pair!r} must look like KEY=VALUE, e.g. plan=pro")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        out[key] = parsed if isinstance(parsed, str | int | float | bool) else value
    return out


UrlOpt = Annotated[
    str | None,
    typer.Option(help="Base URL of the edge (default: the running `rapport dev`'s, or :8080)."),
]
SecretOpt = Annotated[
    str | None,
    typer.Option(
        help="The site's webhook secret (default: the running `rapport dev`'s for the site, "
        f"else from $RAPPORT_CONFIG, else ${DEMO_SECRET_ENV} or the demo one)."
    ),
]


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
    url: UrlOpt = None,
    secret: SecretOpt = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the decision; 0 to not wait.")
    ] = 5.0,
) -> None:
    """Sign and post one message to Rapport's webhook, then print what Rapport decided."""
    import httpx

    if not text.strip():
        raise usage("the message text is empty")
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
    key = site_secret(site, secret, url)
    base = edge_url(url)
    try:
        with httpx.Client(timeout=10) as http:
            payload = post_signed(http, base, site, key, payload_in)
            note = " (duplicate: already accepted earlier)" if payload.get("duplicate") else ""
            typer.echo(f"accepted {message_id} in conversation {conversation}{note}")
            if wait > 0:
                token = load_settings().admin_token_value()
                conversation_url = f"{base}/v1/sites/{site}/conversations/{conversation}"
                _show_decision(http, conversation_url, message_id, token, wait)
    except httpx.HTTPError as exc:
        raise edge_down(base, exc) from None


def register(app: typer.Typer) -> None:
    app.command()(send)
