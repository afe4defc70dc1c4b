"""Dedupe, through the real inbound route and a real Redis: a vendor's retry of a delivery is
stored once, the same message in another delivery is stored once, and every delivery is
counted by outcome (``accepted``, ``duplicate``, ``ignored:<reason>``), ignored ones logged at
INFO with the vendor's event type."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_sync
from prometheus_client import REGISTRY
from starlette.testclient import TestClient

from rapport_contracts import Message
from rapport_handoff.app import create_app
from rapport_runtime.settings import RapportSettings
from tests.handoff.adapters.contract._base import SITE_SECRET, WEBHOOK_SECRET, ContractConfig
from tests.handoff.adapters.fake import FakeVendor


def counted(site: str, provider: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "rapport_inbound_deliveries_total",
        {"site": site, "provider": provider, "outcome": outcome},
    )
    return value or 0.0


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class DedupeContract(ContractConfig):
    @pytest.fixture
    def route(
        self,
        fake: tuple[FakeVendor, str],
        make_settings: Callable[..., RapportSettings],
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> Iterator[TestClient]:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("TEST_SITE_SECRET", SITE_SECRET)
        adapter = {"type": self.adapter_cls.name, **self.site_options(fake[1])}
        sites = {"sites": {"acme": {"secret": {"env": "TEST_SITE_SECRET"}, "adapter": adapter}}}
        config = tmp_path / "sites.yaml"
        config.write_text(json.dumps(sites))  # JSON is YAML
        with TestClient(create_app(make_settings(config=str(config)))) as client:
            yield client

    def url(self) -> str:
        return f"/v1/sites/acme/webhooks/{self.adapter_cls.name}"

    def test_a_retried_delivery_is_stored_once_and_counted(
        self, route: TestClient, redis_client: redis_sync.Redis, prefix: str
    ) -> None:
        name = self.adapter_cls.name
        accepted, duplicate = counted("acme", name, "accepted"), counted("acme", name, "duplicate")
        body, headers = self.signed("customer")
        first = route.post(self.url(), content=body, headers=headers)
        assert first.status_code == 202, first.text
        assert first.json()["accepted"] == 1
        again = route.post(self.url(), content=body, headers=headers)  # the vendor's retry
        assert again.status_code in (200, 202), again.text
        assert again.json().get("accepted", 0) == 0
        stored = [
            Message.read(f[b"__data__"]) for _, f in redis_client.xrange(f"{prefix}:messages")
        ]
        assert [(m.author, m.text) for m in stored] == [("customer", self.customer_text)]
        assert counted("acme", name, "accepted") == accepted + 1
        assert counted("acme", name, "duplicate") == duplicate + 1

    def test_an_ignored_delivery_is_counted_and_logged_with_its_event_type(
        self, route: TestClient, redis_client: redis_sync.Redis, prefix: str
    ) -> None:
        body, headers = self.signed("ignored")
        lines = _Lines()
        logger = logging.getLogger("rapport.inbound")
        logger.addHandler(lines)
        previous = logger.level
        logger.setLevel(logging.INFO)
        try:
            response = route.post(self.url(), content=body, headers=headers)
        finally:
            logger.removeHandler(lines)
            logger.setLevel(previous)
        assert response.status_code == 204, response.text
        assert redis_client.xlen(f"{prefix}:messages") == 0
        [line] = [x for x in lines.lines if "ignored" in x]
        reason = line.split("ignored (", 1)[1].split(")", 1)[0]
        assert counted("acme", self.adapter_cls.name, f"ignored:{reason}") >= 1
        assert "event type" in line

    def test_a_refused_delivery_is_counted_with_its_error(self, route: TestClient) -> None:
        name = self.adapter_cls.name
        before = counted("acme", name, "refused:bad_signature")
        body, headers = self.signed("customer", secret="not-the-secret")
        assert route.post(self.url(), content=body, headers=headers).status_code == 401
        assert counted("acme", name, "refused:bad_signature") == before + 1

    async def test_the_same_message_parses_to_the_same_ids(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        one, two = adapter.parse(body, headers), adapter.parse(body, headers)
        assert one.delivery_id == two.delivery_id
        assert [e.message.message_id for e in one.events] == [
            e.message.message_id for e in two.events
        ]
