"""The contract every helpdesk adapter keeps, written once and run for each adapter through a
small config class (FastStream's ``BaseTestcaseConfig`` pattern):

    class TestZendesk(ZendeskConfig, AdapterContract): ...

Outbound: an escalation produces exactly the documented API calls against a fake vendor
(real HTTP), once, even when the fake answers 429 then 500 first; refusals are permanent and
carry the vendor's text; timeouts are transient; a redelivered handoff repeats nothing; bodies
match the vendor's OpenAPI spec where one is published. Inbound: a sample webhook signed the
documented way becomes a Rapport message with the ids the outbound side needs; a wrongly
signed one is refused; agents are agents, bots are never customers, resolutions become
``system`` messages, other events become nothing.

Signatures are computed here, independently of the adapters' code, from each vendor's
documentation.
"""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from rapport_contracts import Customer, Decision, HandoffPacket, Message, Reason, TranscriptEntry
from rapport_handoff.adapters.base import (
    AdapterContext,
    InboundSignatureError,
    PermanentError,
    TransientError,
)
from rapport_runtime.config import AdapterConfig, Site
from rapport_runtime.policies import default_policy
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters.fake import FakeVendor, Scripted
from tests.helpers import http_server, reference_dir

WEBHOOK_SECRET = "whsec-test-0123456789"
Sample = tuple[bytes, dict[str, str]]


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
        customer=Customer(id="cust-1", email="jo@example.com", name="Jo", tier="gold"),
        channel=message.channel,
        provider=message.provider,
        provider_ids=message.provider_ids,
    )


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


# -- the contract ---------------------------------------------------------------------------


class AdapterContract:
    """Set these in a config class; the tests below use nothing else."""

    adapter_cls: ClassVar[type[Any]]
    env: ClassVar[dict[str, str]] = {}  # secret env vars the options refer to
    spec_file: ClassVar[str | None] = None  # in reference_dir()/specs, when published
    timestamped: ClassVar[bool] = False  # whether the signature covers a timestamp
    signs_body: ClassVar[bool] = True  # False: a shared token in a header (no HMAC)
    has_status_events: ClassVar[bool] = True

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

    # Inbound samples: bodies shaped like the vendor's documented examples, and headers
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
        raise NotImplementedError

    def sample_headers(self, name: str) -> dict[str, str]:
        """Extra unsigned headers of a sample (event names, delivery ids)."""
        return {}

    expected_ids: ClassVar[tuple[str, ...]] = ()  # provider_ids the outbound side needs

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
    async def make(
        self,
        fake: tuple[FakeVendor, str],
        redis: Redis,
        monkeypatch: pytest.MonkeyPatch,
        prefix: str,
    ) -> AsyncIterator[Callable[..., Any]]:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
        clients: list[httpx.AsyncClient] = []
        _, base = fake

        def build(**overrides: Any) -> Any:
            http = httpx.AsyncClient()
            clients.append(http)
            options = {
                "base_url": base,
                "max_wait_s": 0.05,
                "webhook_secret": {"env": "TEST_WEBHOOK_SECRET"},
                **self.options(),
                **overrides,
            }
            config = AdapterConfig.model_validate({"type": self.adapter_cls.name, **options})
            site = Site("acme", "site-secret", config, default_policy(), lambda loc: "sites.yaml:3")
            settings = RapportSettings(prefix=prefix)
            return self.adapter_cls(site, AdapterContext(settings, redis, http))

        yield build
        for http in clients:
            await http.aclose()
        keys = [k async for k in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)

    def packet(self, adapter: Any) -> HandoffPacket:
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        return make_packet(event.message)

    # -- outbound ------------------------------------------------------------------------

    async def test_an_escalation_makes_exactly_the_documented_calls(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make()
        packet = self.packet(adapter)
        delivered = await adapter.deliver(packet)
        assert [(r.method, r.path) for r in vendor.requests] == self.expected_calls(packet)
        assert vendor.succeeded == self.expected_calls(packet)
        assert delivered.detail
        self.check_bodies(vendor, packet)

    async def test_429_then_500_first_still_makes_each_call_once(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make()
        packet = self.packet(adapter)
        expected = self.expected_calls(packet)
        failing = {expected[0], expected[-1]}
        for method, path in failing:
            vendor.fail(method, path, Scripted(429, {"Retry-After": "0"}), Scripted(500))
        await adapter.deliver(packet)
        assert vendor.succeeded == expected
        assert len(vendor.requests) == len(expected) + 2 * len(failing)

    async def test_a_refusal_is_permanent_with_the_vendors_text(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make()
        packet = self.packet(adapter)
        method, path = self.expected_calls(packet)[0]
        vendor.fail(method, path, Scripted(422, body={"error": "RecordInvalid: vendor says no"}))
        with pytest.raises(PermanentError, match=r"422.*vendor says no"):
            await adapter.deliver(packet)
        assert len(vendor.requests) == 1

    async def test_wrong_credentials_are_refused_and_permanent(
        self,
        fake: tuple[FakeVendor, str],
        make: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        vendor, _ = fake
        adapter = make()
        packet = self.packet(adapter)
        for name in self.env:
            monkeypatch.setenv(name, "wrong-credential")
        with pytest.raises(PermanentError, match="401"):
            await make().deliver(packet)
        assert not vendor.succeeded

    async def test_a_hanging_vendor_is_transient(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make(timeout_s=0.2, attempts=2)
        packet = self.packet(adapter)
        method, path = self.expected_calls(packet)[0]
        # Enough hangs for nested retries too (a token fetch inside an attempt).
        vendor.fail(method, path, *[Scripted(200, delay_s=1.0)] * 4)
        with pytest.raises(TransientError, match="timed out"):
            await adapter.deliver(packet)

    async def test_a_redelivered_handoff_repeats_nothing(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make(attempts=2)
        packet = self.packet(adapter)
        expected = self.expected_calls(packet)
        # The last call keeps failing: the handoff fails transiently after some calls went
        # through; the stage redelivers it later and only the missing calls are made.
        vendor.fail(*expected[-1], Scripted(503), Scripted(503))
        with pytest.raises(TransientError):
            await adapter.deliver(packet)
        await adapter.deliver(packet)
        await adapter.deliver(packet)  # a third delivery (e.g. after a crash) does nothing

        def writes(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
            return [c for c in calls if c[0] != "GET"]  # re-reading before a merge is fine

        assert writes(vendor.succeeded) == writes(expected)

    async def test_bodies_match_the_vendors_openapi_spec(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        if self.spec_file is None:
            pytest.skip(f"{self.adapter_cls.name} publishes no OpenAPI spec")
        spec = reference_dir() / "specs" / self.spec_file
        if not spec.exists():
            pytest.skip(f"{spec} is absent (set RAPPORT_REFERENCE_DIR to the reference folder)")
        import jsonschema

        vendor, _ = fake
        adapter = make()
        await adapter.deliver(self.packet(adapter))
        checked = 0
        for request in vendor.requests:
            if not request.body:
                continue
            schema = request_schema(self.spec_file, request.method, request.path)
            jsonschema.Draft7Validator(schema).validate(request.json())
            checked += 1
        assert checked

    # -- inbound -------------------------------------------------------------------------

    async def test_a_signed_customer_message_becomes_a_rapport_message(
        self, make: Callable[..., Any]
    ) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        adapter.verify(headers, body)
        batch = adapter.parse(body, headers)
        [event] = batch.events
        message = event.message
        assert event.kind == "message"
        assert message.author == "customer"
        assert message.provider == self.adapter_cls.name
        assert message.site == "acme"
        assert message.text.strip()
        assert message.customer is not None
        for key in self.expected_ids:
            assert message.provider_ids.get(key), key

    async def test_a_wrongly_signed_webhook_is_refused(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("customer", secret="not-the-secret")
        with pytest.raises(InboundSignatureError):
            adapter.verify(headers, body)
        body, headers = self.signed("customer")
        if self.signs_body:
            with pytest.raises(InboundSignatureError):
                adapter.verify(headers, body.replace(b"}", b" }", 1))  # same JSON, other bytes
        unsigned = {k: v for k, v in headers.items() if k.lower() == "content-type"}
        with pytest.raises(InboundSignatureError):
            adapter.verify(unsigned, body)

    async def test_a_stale_signature_is_refused(self, make: Callable[..., Any]) -> None:
        if not self.timestamped:
            pytest.skip(f"{self.adapter_cls.name} signs no timestamp")
        adapter = make(signature_tolerance_s=1)
        body, headers = self.signed("customer")
        adapter.verify(headers, body)
        stale = make(signature_tolerance_s=1)
        await asyncio.sleep(2.1)
        with pytest.raises(InboundSignatureError, match="away from now"):
            stale.verify(headers, body)

    async def test_an_agent_reply_is_an_agent_message(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("agent")
        adapter.verify(headers, body)
        [event] = adapter.parse(body, headers).events
        assert event.message.author == "agent"
        assert event.message.customer is None

    async def test_the_bots_own_messages_are_never_the_customers(
        self, make: Callable[..., Any]
    ) -> None:
        adapter = make()
        body, headers = self.signed("bot")
        adapter.verify(headers, body)
        events = adapter.parse(body, headers).events
        assert all(e.message.author == "bot" for e in events)

    async def test_a_resolution_becomes_a_system_message(self, make: Callable[..., Any]) -> None:
        if not self.has_status_events:
            pytest.skip(f"{self.adapter_cls.name} reports no ticket status")
        adapter = make()
        body, headers = self.signed("status")
        adapter.verify(headers, body)
        [event] = adapter.parse(body, headers).events
        assert event.kind == "status"
        assert event.message.author == "system"
        assert event.message.provider_ids["status"] in {"solved", "closed"}
        assert event.message.text.endswith(event.message.provider_ids["status"])

    async def test_other_events_make_no_message(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("ignored")
        adapter.verify(headers, body)
        assert adapter.parse(body, headers).events == []
