"""Parse: a delivery in the vendor's published shape becomes a Rapport message with the
customer's text and identity and the ids the outbound side needs; agents are agents;
resolutions are ``system`` messages; other events are nothing, with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.handoff.adapters.contract._base import ContractConfig

RESOLVED = {"solved", "closed", "resolved"}  # what the router acts on


class ParseContract(ContractConfig):
    async def test_the_customers_message_comes_out_with_their_text_and_identity(
        self, make: Callable[..., Any]
    ) -> None:
        adapter = make()
        body, headers = self.signed("customer")
        batch = adapter.parse(body, headers)
        [event] = batch.events
        message = event.message
        assert event.kind == "message"
        assert message.author == "customer"
        assert message.provider == self.adapter_cls.name
        assert message.site == "acme"
        assert message.text == self.customer_text
        assert message.customer is not None
        for field, value in self.customer_identity.items():
            assert getattr(message.customer, field) == value, field
        for key in self.expected_ids:
            assert message.provider_ids.get(key), key

    async def test_an_agent_reply_is_an_agent_message(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("agent")
        [event] = adapter.parse(body, headers).events
        assert event.message.author == "agent"
        assert event.message.customer is None

    async def test_a_resolution_becomes_a_system_message(self, make: Callable[..., Any]) -> None:
        if not self.has_status_events:
            pytest.skip(f"{self.adapter_cls.name} reports no ticket status")
        adapter = make()
        body, headers = self.signed("status")
        [event] = adapter.parse(body, headers).events
        assert event.kind == "status"
        assert event.message.author == "system"
        assert event.message.provider_ids["status"] in RESOLVED
        assert event.message.text.endswith(event.message.provider_ids["status"])

    async def test_other_events_make_no_message_and_say_why(self, make: Callable[..., Any]) -> None:
        adapter = make()
        body, headers = self.signed("ignored")
        batch = adapter.parse(body, headers)
        assert batch.events == []
        assert batch.ignored, "an ignored delivery names its reason"
