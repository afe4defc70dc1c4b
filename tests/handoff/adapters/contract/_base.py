"""What every behaviour of the adapter contract builds on: the config an adapter's test class
sets, the fixtures (a fake vendor over real HTTP, a real Redis, an injected clock) and the
packet the router would build.

Signatures are computed by the config classes, independently of the adapters' code, from each
vendor's documentation; inbound samples are written from each vendor's published payloads.
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from rapport_contracts import (
    Customer,
    Decision,
    HandoffPacket,
    Message,
    Reason,
    Signal,
    TranscriptEntry,
)
from rapport_handoff.adapters.base import AdapterContext
from rapport_handoff.http import TRANSPORTS, Transport, helpdesk_client
from rapport_runtime.config import AdapterConfig, Site
from rapport_runtime.policies import default_policy
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters.fake import FakeVendor, Recorded
from tests.helpers import http_server, reference_dir

WEBHOOK_SECRET = "whsec-test-0123456789"
SITE_SECRET = "site-secret-9876543210"
Sample = tuple[bytes, dict[str, str]]

# What the handoff note says about Rapport's reasoning: none of it may reach the customer.
INTERNAL_MARKERS = (
    "explicit-human-request",  # the policy rule
    "human_request",  # the signal name
    "0.95",  # its score
    "threshold",
    "Customer disputes an invoice",  # the summary
    "frustration 0.82",  # a signal line
)


def make_packet(
    message: Message, *, queue: str = "billing", priority: Any = "high"
) -> HandoffPacket:
    """The packet the router would build from ``message`` (it copies provider and ids)."""
    decision = Decision(
        decision_id="dec-1",
        site=message.site,
        conversation_id=message.conversation_id,
        message_id=message.message_id,
        route="human",
        queue=queue,
        priority=priority,
        reasons=(
            Reason(
                rule="explicit-human-request",
                signal="human_request",
                value=0.95,
                threshold=0.5,
                detail="asked for a person",
            ),
        ),
        policy_id="default",
        policy_version="1",
        classifier_version="test",
    )
    when = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    transcript = (
        TranscriptEntry(
            message_id=message.message_id,
            author="customer",
            text="My invoice is wrong <b>again</b> & I want a person",
            sent_at=when,
            sentiment="negative",
            sentiment_score=-0.7,
        ),
    )
    return HandoffPacket(
        handoff_id=f"hof-{uuid.uuid4().hex[:8]}",
        site=message.site,
        conversation_id=message.conversation_id,
        decision=decision,
        summary="Customer disputes an invoice and asked for a person.",
        transcript=transcript,
        sentiment_trend=(-0.2, -0.7),
        signals=(Signal(name="frustration", score=0.82, evidence="wrong again"),),
        customer=Customer(id="cust-1", email="jo@example.com", name="Jo", tier="gold"),
        channel=message.channel,
        provider=message.provider,
        provider_ids=message.provider_ids,
    )


class FakeClock:
    """The adapters' clock in tests: real time at the start, moved on by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- OpenAPI validation -------------------------------------------------------------------


@functools.cache
def _spec(name: str) -> dict[str, Any]:
    path = reference_dir() / "specs" / name
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = path.read_text("utf-8")
    data: dict[str, Any] = json.loads(text) if name.endswith(".json") else yaml.load(text, loader)  # noqa: S506
    return data


def request_schema(spec_name: str, method: str, path: str) -> dict[str, Any]:
    """The JSON request-body schema of the spec operation matching ``method path``."""
    spec = _spec(spec_name)
    parts = path.split("/")
    for template, operations in spec["paths"].items():
        segments = template.split("/")
        if len(segments) != len(parts) or method.lower() not in operations:
            continue
        if all(
            s == p or (s.startswith("{") and s.endswith("}"))
            for s, p in zip(segments, parts, strict=True)
        ):
            body = operations[method.lower()].get("requestBody", {})
            if "$ref" in body:
                body = _resolve(spec, body["$ref"])
            schema = body["content"]["application/json"]["schema"]
            return {**schema, "components": spec["components"]}
    raise AssertionError(f"{spec_name} has no operation {method} {path}")


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


# -- the config -----------------------------------------------------------------------------


class ContractConfig:
    """What an adapter's config class sets; every behaviour uses nothing else."""

    adapter_cls: ClassVar[type[Any]]
    env: ClassVar[dict[str, str]] = {}  # secret env vars the options refer to
    spec_file: ClassVar[str | None] = None  # in reference_dir()/specs, when published
    timestamped: ClassVar[bool] = False  # whether the signature covers a timestamp
    signs_body: ClassVar[bool] = True  # False: a shared token in a header (no HMAC)
    has_status_events: ClassVar[bool] = True
    expected_ids: ClassVar[tuple[str, ...]] = ()  # provider_ids the outbound side needs
    # What the customer sample must come out as.
    customer_text: ClassVar[str]
    customer_identity: ClassVar[dict[str, str]] = {}  # Customer fields and values

    @classmethod
    def not_applicable(cls) -> dict[str, str]:
        """Behaviours that cannot apply to this helpdesk, with why: they are not collected
        (tests/handoff/adapters/conftest.py), so a run shows no skip standing in for a pass."""
        from rapport_handoff.adapters.base import supports

        reasons: dict[str, str] = {}
        if "create" not in supports(cls.adapter_cls):
            reasons["test_a_created_ticket_shows_the_customer_nothing_internal"] = (
                "never creates a ticket: only the update path"
            )
        if cls.spec_file is None:
            reasons["test_bodies_match_the_vendors_openapi_spec"] = "publishes no OpenAPI spec"
        if not cls.timestamped:
            reasons["test_a_stale_signature_is_refused"] = "signs no timestamp"
        return reasons

    def options(self) -> dict[str, Any]:
        raise NotImplementedError

    def authorised(self, headers: dict[str, str], path: str, body: bytes) -> bool:
        raise NotImplementedError

    def expected_calls(self, packet: HandoffPacket) -> list[tuple[str, str]]:
        raise NotImplementedError

    def check_bodies(self, fake: FakeVendor, packet: HandoffPacket) -> None:
        """Vendor-specific assertions on the bodies sent (priority, group, tags...)."""

    def answers(self) -> dict[tuple[str, str], Any]:
        return {}

    def customer_visible(self, request: Recorded) -> list[str]:
        """The texts of ``request`` that the customer can read (subjects, public comments,
        ticket descriptions, assignment messages): the privacy behaviour checks them."""
        raise NotImplementedError

    # Inbound samples: bodies written from the vendor's published payloads, and headers
    # signed the documented way with `secret`.
    def sign(self, body: bytes, secret: str) -> dict[str, str]:
        raise NotImplementedError

    def customer_sample(self) -> dict[str, Any]:
        raise NotImplementedError

    def agent_sample(self) -> dict[str, Any]:
        raise NotImplementedError

    def bot_sample(self) -> dict[str, Any]:
        raise NotImplementedError

    def status_sample(self) -> dict[str, Any]:
        raise NotImplementedError

    def ignored_sample(self) -> dict[str, Any]:
        """An event that is not a new message (our own internal note, where the vendor
        echoes it)."""
        raise NotImplementedError

    def sample_headers(self, name: str) -> dict[str, str]:
        """Extra unsigned headers of a sample (event names, delivery ids)."""
        return {}

    # -- plumbing ------------------------------------------------------------------------

    def signed(self, name: str, secret: str = WEBHOOK_SECRET) -> Sample:
        body = json.dumps(getattr(self, f"{name}_sample")()).encode()
        return body, {
            "Content-Type": "application/json",
            **self.sample_headers(name),
            **self.sign(body, secret),
        }

    @pytest.fixture
    def fake(self) -> Iterator[tuple[FakeVendor, str]]:
        vendor = FakeVendor(authorised=self.authorised, answers=self.answers())
        with http_server(vendor.app()) as base:
            yield vendor, base

    @pytest.fixture
    async def redis(self, redis_url: str) -> AsyncIterator[Redis]:
        client = Redis.from_url(redis_url)
        yield client
        await client.aclose()

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture(params=TRANSPORTS)
    def transport(self, request: pytest.FixtureRequest) -> Transport:
        """Every contract holds on each transport the service's client can run on."""
        value: Transport = request.param
        return value

    @pytest.fixture
    async def make(
        self,
        fake: tuple[FakeVendor, str],
        redis: Redis,
        monkeypatch: pytest.MonkeyPatch,
        prefix: str,
        clock: FakeClock,
        transport: Transport,
    ) -> AsyncIterator[Callable[..., Any]]:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
        clients: list[httpx.AsyncClient] = []
        _, base = fake

        def build(**overrides: Any) -> Any:
            http = helpdesk_client(transport)
            clients.append(http)
            options = {**self.site_options(base), **overrides}
            config = AdapterConfig.model_validate({"type": self.adapter_cls.name, **options})
            site = Site("acme", SITE_SECRET, config, default_policy(), lambda loc: "sites.yaml:3")
            settings = RapportSettings(prefix=prefix)
            return self.adapter_cls(site, AdapterContext(settings, redis, http, clock))

        yield build
        for http in clients:
            await http.aclose()

    def site_options(self, base: str) -> dict[str, Any]:
        return {
            "base_url": base,
            "max_wait_s": 0.05,
            "webhook_secret": {"env": "TEST_WEBHOOK_SECRET"},
            **self.options(),
        }

    def packet(self, adapter: Any) -> HandoffPacket:
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        return make_packet(event.message)
