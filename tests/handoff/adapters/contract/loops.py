"""Loop prevention: the bot's own messages never count as the customer's, and the internal
note Rapport posts, when the vendor echoes it back, becomes no message at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.handoff.adapters.contract._base import INTERNAL_MARKERS, ContractConfig


class LoopPreventionContract(ContractConfig):
    async def test_the_bots_own_messages_are_never_the_customers(
        self, make: Callable[..., Any]
    ) -> None:
        adapter = make()
        body, headers = self.signed("bot")
        events = adapter.parse(body, headers).events
        assert events, "the bot's message is kept (as the bot's) for the transcript"
        assert all(e.message.author == "bot" for e in events)
        assert all(e.message.customer is None for e in events)

    async def test_no_author_but_the_customer_carries_a_customer(
        self, make: Callable[..., Any]
    ) -> None:
        adapter = make()
        for name in ("agent", "bot"):
            body, headers = self.signed(name)
            for event in adapter.parse(body, headers).events:
                assert event.message.author != "customer", name
                assert not any(m in event.message.text for m in INTERNAL_MARKERS)
