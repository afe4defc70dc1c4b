"""The HTTP edge: Rapport's own signed webhook in, and the conversation as Rapport sees it out.

Every refusal is a JSON object ``{"error": <code>, "message": <what is wrong and what to do>}``
with a 4xx status; nothing is written until a request has passed every check.

Longer than most modules because every refusal the edge can give is spelled out here,
next to the route that gives it.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import datetime
from typing import Any, Literal

from annotated_types import MaxLen
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from redis.exceptions import RedisClusterException, RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rapport_contracts import (
    IDENTIFIER_PATTERN,
    IDENTIFIER_RULE,
    SITE_NAME_RULE,
    AttributeValue,
    ClassifiedMessage,
    Customer,
    Decision,
    HandoffPacket,
    HandoffResult,
    Identifier,
    Message,
    is_identifier,
    is_site_name,
    utc_now,
)
from rapport_contracts.stored import expand
from rapport_handoff.adapters.inbox import inbox_key
from rapport_handoff.inbound import post_vendor_webhook
from rapport_handoff.responses import (
    ANY_METHOD,
    BACKLOG,
    admit,
    no_route,
    not_durable,
    problem_response,
    rate_limited,
    read_body,
    storage_refusal,
)
from rapport_runtime.acceptance import AcceptanceWatch
from rapport_runtime.config import Sites
from rapport_runtime.limits import JSONLimitError, loads_bounded
from rapport_runtime.logs import Id, bind
from rapport_runtime.partitions import all_partitions, conversation_settings
from rapport_runtime.redis import ConversationKeys, accept_once, dedupe_key, resolve_records
from rapport_runtime.service import Runtime
from rapport_runtime.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

log = logging.getLogger("rapport.edge")

REQUESTS = Counter("rapport_edge_requests_total", "Webhook requests by outcome", ["outcome"])

# The contract's own limit on a message's text (Message.text), so the edge never drifts from it.
MAX_TEXT_CHARS = next(
    m.max_length for m in Message.model_fields["text"].metadata if isinstance(m, MaxLen)
)
_MAX_FIELD_ERRORS = 20


class InboundCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    tier: str | None = Field(default=None, max_length=64)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


class InboundMessage(BaseModel):
    """The body of ``POST /v1/sites/{site}/messages``."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: Identifier
    message_id: Identifier
    author: Literal["customer", "bot", "agent", "system"]
    text: str
    sent_at: datetime | None = None
    channel: str = Field(default="chat", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    customer: InboundCustomer | None = None
    # Author "system" only: the helpdesk's ticket status (solved or closed ends the episode).
    status: Literal["solved", "closed", "resolved"] | None = Field(
        default=None, validate_default=True
    )

    @field_validator("status")
    @classmethod
    def _status_of_system(cls, status: str | None, info: ValidationInfo) -> str | None:
        author = info.data.get("author")
        if author == "system" and status is None:
            raise PydanticCustomError(
                "status_missing",
                "a `system` message reports a ticket's status: give it (solved, closed or "
                "resolved)",
            )
        if status is not None and author not in (None, "system"):
            raise PydanticCustomError(
                "status_not_system",
                "only a `system` message carries a status (author {a})",
                {"a": author},
            )
        return status

    @field_validator("text")
    @classmethod
    def _text_has_words(cls, text: str) -> str:
        if len(text) > MAX_TEXT_CHARS:
            raise PydanticCustomError(
                "text_too_long",
                "at most {limit} characters (got {length}); split longer text into several "
                "messages",
                {"limit": MAX_TEXT_CHARS, "length": len(text)},
            )
        if not text.strip():
            raise PydanticCustomError(
                "text_blank",
                "must contain something besides whitespace (got {length} whitespace characters)"
                if text
                else "must not be empty",
                {"length": len(text)},
            )
        return text


def problem(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    REQUESTS.labels(error).inc()
    return problem_response(status, error, message, **extra)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _runtime(request: Request) -> Runtime | None:
    runtime: Runtime | None = request.app.state.runtime
    return runtime


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def _field_problem(error: Any) -> str:
    """Pydantic's message, without internal class names, and with the id rule spelled out."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"must be a JSON object (got {_json_kind(error.get('input'))})"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == IDENTIFIER_PATTERN:
        return f"must be an id: {IDENTIFIER_RULE}"
    loc = error["loc"]
    if kind in {"string_too_long", "string_too_short"} and loc and loc[-1] in _ID_FIELDS:
        return f"must be an id: {IDENTIFIER_RULE}"
    return str(error["msg"])


_ID_FIELDS = {"conversation_id", "message_id"}


def invalid_fields(errors: list[Any]) -> JSONResponse:
    fields = [
        {
            "field": (".".join(str(p) for p in e["loc"]) or "(body)")[:200],
            "problem": _field_problem(e),
        }
        for e in errors[:_MAX_FIELD_ERRORS]
    ]
    return problem(
        422, "invalid_fields", "Some fields are missing or invalid; see `fields`.", fields=fields
    )


def invalid_id(what: str, rule: str) -> JSONResponse:
    return problem(
        422,
        "invalid_fields",
        f"The {what} in the path is not valid; see `fields`.",
        fields=[{"field": what, "problem": f"must be {rule}"}],
    )


async def post_message(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime is None:
        return problem(503, "starting", "Rapport is starting; retry in a moment.")
    held = admit(runtime)
    if isinstance(held, JSONResponse):
        REQUESTS.labels("saturated").inc()
        return held
    try:
        return await _post_message(request, runtime)
    finally:
        held.give_back()


async def _post_message(request: Request, runtime: Runtime) -> Response:
    sites: Sites = runtime.extras["sites"]
    site_name = request.path_params["site"]
    if not is_site_name(site_name):
        return invalid_id("site", SITE_NAME_RULE)
    site = sites.get(site_name)
    if site is None:
        return problem(
            404, "unknown_site", f"No site named {site_name!r} is configured on this Rapport."
        )
    body = await read_body(request, runtime.settings.max_body_bytes, problem)
    if isinstance(body, JSONResponse):
        return body
    try:
        verify(
            site.secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            tolerance_s=runtime.settings.signature_tolerance_s,
        )
    except SignatureError as exc:
        return problem(401, "bad_signature", str(exc))
    # Counted only once the request is the site's own: unsigned floods cannot use up its budget.
    refusal = rate_limited(runtime, site.name)
    if refusal is not None:
        return refusal
    if not _is_json(request.headers.get("content-type", "")):
        return problem(
            415,
            "unsupported_media_type",
            "Send the message as JSON (Content-Type: application/json).",
        )
    try:
        data = loads_bounded(body)
    except JSONLimitError as exc:
        return problem(422, "invalid_json", f"The body breaks a limit: {exc}.")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return problem(422, "invalid_json", f"The body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        return problem(
            422,
            "invalid_json",
            f"The body must be a JSON object with the message's fields (got {_json_kind(data)}); "
            "send one message per request.",
        )
    try:
        inbound = InboundMessage.model_validate(data)
    except ValidationError as exc:
        return invalid_fields(exc.errors(include_url=False))

    customer = Customer(**inbound.customer.model_dump()) if inbound.customer else None
    message = Message(
        site=site.name,
        conversation_id=inbound.conversation_id,
        message_id=inbound.message_id,
        author=inbound.author,
        text=inbound.text,
        sent_at=inbound.sent_at or utc_now(),
        channel=inbound.channel,
        language=inbound.language,
        customer=customer,
        provider_ids={"status": inbound.status} if inbound.status else {},
    )
    # The body names the conversation: what is logged from here on carries it.
    with bind(conversation_id=inbound.conversation_id, message_id=inbound.message_id):
        return await _accept(runtime, site.name, message)


async def _accept(runtime: Runtime, site_name: str, message: Message) -> Response:
    # The conversation's partition: its stream and dedupe key share one slot.
    settings = conversation_settings(runtime.settings, site_name, message.conversation_id)
    watch = runtime.extras.get("acceptances")
    if isinstance(watch, AcceptanceWatch) and watch.refusal is not None:
        REQUESTS.labels("not_durable").inc()
        return not_durable(watch.refusal)

    try:
        entry_id = await accept_once(
            runtime.redis,
            dedupe_key(
                settings.prefix, "edge", site_name, message.conversation_id, message.message_id
            ),
            settings.streams.messages,
            message,
            ttl_s=settings.dedupe_ttl_s,
            maxlen=settings.stream_maxlen,
            watch=watch if isinstance(watch, AcceptanceWatch) else None,
        )
    except (RedisError, RedisClusterException) as exc:
        refusal = storage_refusal(exc)
        if refusal.status_code == 429:
            log.warning("edge saturated, message for %s refused with 429: %s", Id(site_name), exc)
            REQUESTS.labels("saturated").inc()
        else:
            log.error("could not accept a message for %s: %r", Id(site_name), exc)
            REQUESTS.labels("unavailable").inc()
        return refusal
    REQUESTS.labels("duplicate" if entry_id is None else "accepted").inc()
    return JSONResponse(
        {
            "status": "accepted",
            "message_id": message.message_id,
            "duplicate": entry_id is None,
        },
        status_code=202,
    )


async def watch_backlog(runtime: Runtime, poll_s: float = 0.5) -> None:
    """Keep ``runtime.extras[BACKLOG]``: how many accepted messages the sentiment group has not
    read yet (XINFO GROUPS ``lag``, Redis >= 7), for the edge's saturation check. One command
    per ``poll_s`` whatever the request rate; an error leaves the last figure and is retried."""
    from rapport_contracts.streams import SENTIMENT_GROUP

    streams = [part.streams.messages for part in all_partitions(runtime.settings)]
    while True:
        try:
            # Summed over the partitions: the edge is saturated when the stage as a whole is.
            total: int | None = 0
            for stream in streams:
                groups: Any = await runtime.redis.xinfo_groups(stream)
                for group in groups:
                    name = group.get("name")
                    if (name.decode() if isinstance(name, bytes) else name) == SENTIMENT_GROUP:
                        lag = group.get("lag")
                        total = None if lag is None or total is None else total + int(lag)
            runtime.extras[BACKLOG] = total
        except RedisError as exc:
            log.debug("could not read the sentiment backlog: %r", exc)
        await asyncio.sleep(poll_s)


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


async def get_conversation(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime is None:
        return problem(503, "starting", "Rapport is starting; retry in a moment.")
    if not _authorised(request, runtime.settings.admin_token_value()):
        return problem(401, "unauthorised", "Send `Authorization: Bearer <RAPPORT_ADMIN_TOKEN>`.")
    site, conversation_id = request.path_params["site"], request.path_params["conversation_id"]
    if not is_site_name(site):
        return invalid_id("site", SITE_NAME_RULE)
    if not is_identifier(conversation_id):
        return invalid_id("conversation_id", f"an id: {IDENTIFIER_RULE}")
    if runtime.extras["sites"].get(site) is None:
        return problem(404, "unknown_site", f"No site named {site!r} is configured.")
    view = await conversation_view(runtime, site, conversation_id)
    if view is None:
        return problem(
            404,
            "unknown_conversation",
            f"Rapport has no record of conversation {conversation_id!r} on site {site!r} "
            "(never seen, not processed yet, or expired).",
        )
    return JSONResponse(view)


async def conversation_view(
    runtime: Runtime, site: str, conversation_id: str
) -> dict[str, Any] | None:
    prefix = conversation_settings(runtime.settings, site, conversation_id).prefix
    keys = ConversationKeys(prefix, site, conversation_id)
    async with runtime.redis.pipeline(transaction=False) as read:
        read.hvals(keys.messages)
        read.hvals(keys.decisions)
        read.hvals(keys.handoffs)
        read.hgetall(inbox_key(prefix, site, conversation_id))
        read.get(keys.state)
        messages_raw, decisions_raw, handoffs_raw, inbox_raw, state_raw = await read.execute()
    if not (messages_raw or decisions_raw or handoffs_raw):
        return None
    # The records refer to the streams' entries (one round trip for all of them).
    messages_raw, decisions_raw, handoffs_raw = await resolve_records(
        runtime.redis, messages_raw, decisions_raw, handoffs_raw
    )
    messages = sorted(
        (ClassifiedMessage.read(v) for v in messages_raw),
        key=lambda c: (c.message.sent_at, c.message.received_at),
    )
    decisions = sorted((Decision.read(v) for v in decisions_raw), key=lambda d: d.decided_at)
    inbox = {
        k.decode(): HandoffPacket.read(v).model_dump(mode="json") for k, v in inbox_raw.items()
    }
    handoffs = []
    for raw in handoffs_raw:
        result = HandoffResult.read(raw).model_dump(mode="json")
        if result["handoff_id"] in inbox:
            result["packet"] = inbox[result["handoff_id"]]
        handoffs.append(result)
    handoffs.sort(key=lambda h: h["at"])
    return {
        "site": site,
        "conversation_id": conversation_id,
        "state": json.loads(expand(state_raw)) if state_raw else None,
        "messages": [
            {
                **c.message.model_dump(mode="json", exclude={"schema_version"}),
                "classification": c.classification.model_dump(mode="json")
                if c.classification
                else None,
            }
            for c in messages
        ],
        "decisions": [d.model_dump(mode="json") for d in decisions],
        "handoffs": handoffs,
    }


ROUTES = [
    Route("/v1/sites/{site}/messages", post_message, methods=["POST"]),
    Route("/v1/sites/{site}/conversations/{conversation_id}", get_conversation, methods=["GET"]),
    Route("/v1/sites/{site}/webhooks/{provider}", post_vendor_webhook, methods=["POST"]),
    # Last: anything else gets the documented JSON refusal (404, or 405 with Allow).
    Route("/{path:path}", no_route, methods=ANY_METHOD),
]
