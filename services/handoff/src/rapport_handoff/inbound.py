"""Vendor webhooks in: ``POST /v1/sites/{site}/webhooks/{provider}``.

The order never changes: find the site; the provider must be the site's adapter; read the
raw body (bounded); verify the vendor's signature on those exact bytes (401 otherwise);
only then parse. A delivery already seen (the vendor's delivery id) is answered 200 without
a second event; each message is accepted once (the same Lua check-and-append as Rapport's
own webhook, keyed on the vendor's message id). Events that are not new messages (pings,
updates, our own internal notes) get a 204 and write nothing. Agent replies become Messages
with author ``agent``; tickets solved or closed become Messages with author ``system``,
text ``ticket solved`` and ``provider_ids.status``.

Every refusal is ``{"error", "message"}`` with a 4xx status; a saturated edge answers 429 with
``Retry-After`` (see :mod:`rapport_handoff.responses`); only a Redis that cannot take the
message gives a 503 (so the vendor retries).

Every delivery is counted once in ``rapport_inbound_deliveries_total{site, provider, outcome}``
with outcome ``accepted``, ``duplicate``, ``ignored:<reason>`` (the adapter's reason: an
internal note, an event that is not a message, Zendesk's test button...) or
``refused:<error>`` (the error code of the answer). Ignored deliveries are also logged at INFO
with the vendor's event type, so a webhook wired to the wrong events is visible. A site or
provider that is not configured is counted as ``(unknown)``: the URL cannot grow the label set.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from prometheus_client import Counter
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rapport_handoff.adapters import ADAPTERS, load_adapter
from rapport_handoff.adapters._feedback import record_feedback
from rapport_handoff.adapters.base import (
    AdapterContext,
    InboundAdapter,
    InboundBatch,
    InboundPayloadError,
    InboundSignatureError,
)
from rapport_handoff.responses import (
    admit,
    not_durable,
    problem_response,
    rate_limited,
    read_body,
    storage_problem,
    storage_refusal,
)
from rapport_runtime.acceptance import AcceptanceWatch
from rapport_runtime.config import ConfigError, Site, Sites
from rapport_runtime.logs import Id
from rapport_runtime.partitions import conversation_settings
from rapport_runtime.redis import accept_once, dedupe_key
from rapport_runtime.service import Runtime

log = logging.getLogger("rapport.inbound")

REQUESTS = Counter(
    "rapport_inbound_requests_total", "Vendor webhook requests by outcome", ["outcome"]
)
DELIVERIES = Counter(
    "rapport_inbound_deliveries_total",
    "Vendor webhook deliveries by site, provider and outcome (accepted, duplicate, "
    "ignored:<reason>, refused:<error>)",
    ["site", "provider", "outcome"],
)
UNKNOWN = "(unknown)"


class _Outcome:
    """Counts one delivery's outcome (once) under the labels known so far."""

    def __init__(self) -> None:
        self.site = UNKNOWN
        self.provider = UNKNOWN
        self.counted = False

    def count(self, outcome: str) -> None:
        if not self.counted:
            self.counted = True
            DELIVERIES.labels(self.site, self.provider, outcome).inc()

    def problem(self, status: int, error: str, message: str, **extra: Any) -> JSONResponse:
        REQUESTS.labels(error).inc()
        self.count(f"refused:{error}")
        return problem_response(status, error, message, **extra)


_CACHE = "inbound_adapters"


def _adapter(runtime: Runtime, site: Site) -> InboundAdapter | None:
    """The site's adapter instance for inbound use (built once per site and process)."""
    cache: dict[str, Any] = runtime.extras.setdefault(_CACHE, {})
    if site.name not in cache:
        context = AdapterContext(runtime.settings, runtime.redis, runtime.extras["http"])
        adapter = load_adapter(site, context)
        cache[site.name] = adapter if isinstance(adapter, InboundAdapter) else None
    found: InboundAdapter | None = cache[site.name]
    return found


async def post_vendor_webhook(request: Request) -> Response:
    outcome = _Outcome()
    problem = outcome.problem
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        return problem(503, "starting", "Rapport is starting; retry in a moment.")
    sites: Sites = runtime.extras["sites"]
    site_name, provider = request.path_params["site"], request.path_params["provider"]
    site = sites.get(site_name)
    if provider in ADAPTERS:
        outcome.provider = provider
    if site is None:
        return problem(
            404, "unknown_site", f"No site named {site_name!r} is configured on this Rapport."
        )
    outcome.site = site.name
    if provider not in ADAPTERS:
        return problem(
            404,
            "unknown_provider",
            f"No helpdesk adapter named {provider!r}; registered: {', '.join(sorted(ADAPTERS))}.",
        )
    if provider != site.adapter.type:
        return problem(
            409,
            "provider_mismatch",
            f"Site {site_name!r} uses the {site.adapter.type!r} adapter, not {provider!r}; "
            f"point the webhook at /v1/sites/{site_name}/webhooks/{site.adapter.type}.",
        )
    try:
        adapter = _adapter(runtime, site)
    except ConfigError as exc:
        log.error("site %s: cannot build the %s adapter: %s", Id(site_name), Id(provider), exc)
        return problem(
            503, "misconfigured", f"The {provider} adapter of this site is misconfigured."
        )
    if adapter is None:
        return problem(
            404,
            "no_inbound",
            f"The {provider!r} adapter has no inbound webhook; "
            f"send messages to /v1/sites/{site_name}/messages instead.",
        )
    held = admit(runtime)
    if isinstance(held, JSONResponse):
        REQUESTS.labels("saturated").inc()
        outcome.count("refused:saturated")
        return held
    try:
        return await _delivery(request, runtime, outcome, site, provider, adapter)
    finally:
        held.give_back()


async def _delivery(
    request: Request,
    runtime: Runtime,
    outcome: _Outcome,
    site: Site,
    provider: str,
    adapter: InboundAdapter,
) -> Response:
    problem, site_name = outcome.problem, site.name
    body = await read_body(request, runtime.settings.max_body_bytes, problem)
    if isinstance(body, JSONResponse):
        return body
    headers = dict(request.headers)
    try:
        adapter.verify(headers, body)
    except InboundSignatureError as exc:
        return problem(401, "bad_signature", f"{provider}: {exc}")
    # The same per-site budget as the message endpoint, counted only for verified deliveries so
    # unsigned floods cannot use it up.
    refusal = rate_limited(runtime, site.name)
    if refusal is not None:
        REQUESTS.labels("rate_limited").inc()
        outcome.count("refused:rate_limited")
        return refusal
    try:
        batch = adapter.parse(body, headers)
    except InboundPayloadError as exc:
        return problem(422, "invalid_payload", f"{provider}: {exc}")
    except Exception as exc:  # a signed but oddly shaped payload is still the sender's problem
        log.warning("site %s: %s payload not understood: %r", Id(site_name), Id(provider), exc)
        return problem(422, "invalid_payload", f"{provider}: the payload was not understood.")
    if batch.reply is not None:
        REQUESTS.labels("handshake").inc()
        outcome.count("ignored:handshake")
        log.info("site %s: %s subscription handshake answered", Id(site_name), Id(provider))
        return JSONResponse(batch.reply, status_code=200)
    if batch.feedback:  # helpdesk feedback tags -> Feedback events (adapters/_feedback.py)
        try:
            await record_feedback(
                runtime.redis, runtime.settings, site_name, provider, batch.feedback
            )
        except RedisError as exc:
            outcome.count(f"refused:{storage_problem(exc)[0]}")
            return storage_refusal(exc)
    if not batch.events:
        reason = batch.ignored or "no-event"
        REQUESTS.labels("ignored").inc()
        outcome.count(f"ignored:{reason}")
        log.info(
            "site %s: %s delivery %s ignored (%s): event type %s",
            Id(site_name),
            Id(provider),
            Id(batch.delivery_id or "-"),
            Id(reason),
            Id(batch.event_type or "-"),
        )
        return Response(status_code=204)
    watch = runtime.extras.get("acceptances")
    if isinstance(watch, AcceptanceWatch) and watch.refusal is not None:
        outcome.count("refused:not_durable")
        return not_durable(watch.refusal)
    try:
        response, result = await _accept(runtime, site, provider, body, batch)
    except RedisError as exc:
        error = storage_problem(exc)[0]
        if error == "saturated":
            log.warning("edge saturated, %s webhook refused with 429: %s", Id(provider), exc)
        else:
            log.error("could not accept a %s webhook for %s: %r", Id(provider), Id(site_name), exc)
        REQUESTS.labels("saturated" if error == "saturated" else "unavailable").inc()
        outcome.count(f"refused:{error}")
        return storage_refusal(exc)
    outcome.count(result)
    return response


async def _accept(
    runtime: Runtime, site: Site, provider: str, body: bytes, batch: InboundBatch
) -> tuple[Response, str]:
    settings, redis = runtime.settings, runtime.redis
    watch = runtime.extras.get("acceptances")
    # Vendors without a delivery id (Freshdesk, Help Scout) are deduped on the body itself.
    delivery = batch.delivery_id or "sha256-" + hashlib.sha256(body).hexdigest()
    delivery_key = dedupe_key(settings.prefix, "delivery", site.name, provider, delivery[:200])
    if await redis.exists(delivery_key):
        REQUESTS.labels("duplicate").inc()
        return JSONResponse(
            {"status": "duplicate", "accepted": 0, "duplicates": 0}, 200
        ), "duplicate"
    accepted, duplicates, ids = 0, 0, []
    for event in batch.events:
        message = event.message
        part = conversation_settings(settings, site.name, message.conversation_id)
        entry = await accept_once(
            redis,
            dedupe_key(part.prefix, "edge", site.name, message.conversation_id, message.message_id),
            part.streams.messages,
            message,
            ttl_s=settings.dedupe_ttl_s,
            maxlen=settings.stream_maxlen,
            watch=watch if isinstance(watch, AcceptanceWatch) else None,
        )
        accepted += entry is not None
        duplicates += entry is None
        ids.append(message.message_id)
    # Marked only after every event is on the stream: a crash before this line means the
    # vendor's retry comes in again, and the per-message keys above drop the repeats.
    await redis.set(delivery_key, "1", ex=settings.dedupe_ttl_s)
    result = "accepted" if accepted else "duplicate"
    REQUESTS.labels(result).inc()
    return JSONResponse(
        {"status": "accepted", "accepted": accepted, "duplicates": duplicates, "message_ids": ids},
        status_code=202,
    ), result
