"""``rapport resolve``: what a helpdesk's "ticket solved" webhook tells Rapport, posted to the
running Rapport's edge and signed with the site's secret, like any other message.

It is a ``system`` message with a ``status`` (``POST /v1/sites/{site}/messages`` with
``"author": "system", "status": "solved"``), the documented way for a site whose helpdesk
has no Rapport adapter (the demo's inbox, the generic webhook) to say that a person's work
is done; helpdesk adapters turn their own solved webhooks into the same message.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any

import typer

from rapport_tools.commands._common import (
    edge_down,
    edge_url,
    fail,
    load_settings,
    post_signed,
    read_conversation,
    site_secret,
    usage,
)
from rapport_tools.commands.send import SecretOpt, UrlOpt

RESOLVED = ("solved", "closed", "resolved")


def resolve(
    conversation: Annotated[str, typer.Option(help="Conversation id.")],
    site: Annotated[str, typer.Option(help="Site name.")] = "demo",
    status: Annotated[
        str, typer.Option(help="The helpdesk's status: solved, closed or resolved.")
    ] = "solved",
    url: UrlOpt = None,
    secret: SecretOpt = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the bot's `resume`; 0 to not wait.")
    ] = 5.0,
) -> None:
    """Mark a conversation solved, as a helpdesk's "ticket solved" webhook would: the person's
    episode ends and the bot is told to resume."""
    if status not in RESOLVED:
        raise usage(f"--status {status!r}: use one of {', '.join(RESOLVED)}")
    import httpx

    from rapport_contracts import IDENTIFIER_RULE, SITE_NAME_RULE, is_identifier, is_site_name

    if not is_site_name(site):
        raise usage(f"--site {site!r} is not a site name: {SITE_NAME_RULE}")
    if not is_identifier(conversation):
        raise usage(f"--conversation {conversation!r} is not an id: {IDENTIFIER_RULE}")
    key = site_secret(site, secret, url)
    base = edge_url(url)
    token = load_settings().admin_token_value()
    where = f"{base}/v1/sites/{site}/conversations/{conversation}"
    try:
        with httpx.Client(timeout=10) as http:
            view = read_conversation(http, where, token)
            if view is None:
                raise fail(
                    f"Rapport has no record of conversation {conversation!r} on site {site!r} "
                    "(never seen, expired, or another Rapport)"
                )
            owner = _owner(view)
            if owner not in ("escalated", "human"):
                where_now = "already resolved" if owner == "resolved" else f"with the {owner}"
                typer.echo(f"nothing to resolve: conversation {conversation} is {where_now}")
                return
            payload = {
                "conversation_id": conversation,
                "message_id": f"resolve-{uuid.uuid4().hex[:12]}",
                "author": "system",
                "text": f"ticket {status}",
                "status": status,
            }
            post_signed(http, base, site, key, payload)
            typer.echo(f"posted `ticket {status}` for conversation {conversation}")
            if wait <= 0:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                view = read_conversation(http, where, token)
                if view is not None and _owner(view) == "resolved":
                    typer.echo(
                        "automation: resume (the bot carries on; the person's episode is over)"
                    )
                    return
                time.sleep(0.1)
            typer.echo(f"no `resume` within {wait} s; is the pipeline running?")
    except httpx.HTTPError as exc:
        raise edge_down(base, exc) from None


def _owner(view: dict[str, Any]) -> str:
    state = view.get("state") or {}
    return str(state.get("owner", "bot"))


def register(app: typer.Typer) -> None:
    app.command()(resolve)
