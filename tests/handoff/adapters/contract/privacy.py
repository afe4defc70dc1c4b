"""Privacy: the handoff note (scores, signals, reasons, the summary) is delivered, and none of
it lands in a field the customer can read, on the update path and, for adapters that open a
ticket when there is none, on the create path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rapport_handoff.adapters.base import supports
from tests.handoff.adapters.contract._base import INTERNAL_MARKERS, ContractConfig, make_packet
from tests.handoff.adapters.fake import FakeVendor


class PrivacyContract(ContractConfig):
    def create_answers(self) -> dict[tuple[str, str], Any]:
        """What the fake answers to a ticket creation (its id), for adapters that create."""
        return {}

    def _check(self, vendor: FakeVendor) -> None:
        assert vendor.requests, "the handoff made no call"
        sent = " ".join(r.body.decode() for r in vendor.requests)
        assert any(m in sent for m in INTERNAL_MARKERS), "the handoff note was not delivered"
        for request in vendor.requests:
            for text in self.customer_visible(request):
                leaked = [m for m in INTERNAL_MARKERS if m in text]
                assert not leaked, (
                    f"{request.method} {request.path}: internal text {leaked} in a "
                    f"customer-visible field: {text[:200]!r}"
                )

    async def test_the_note_never_reaches_a_customer_visible_field(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        vendor, _ = fake
        adapter = make()
        await adapter.deliver(self.packet(adapter))
        self._check(vendor)

    async def test_a_created_ticket_shows_the_customer_nothing_internal(
        self, fake: tuple[FakeVendor, str], make: Callable[..., Any]
    ) -> None:
        assert "create" in supports(self.adapter_cls), "deselected by not_applicable()"
        vendor, _ = fake
        vendor.answers.update(self.create_answers())
        adapter = make()
        body, headers = self.signed("customer")
        [event] = adapter.parse(body, headers).events
        packet = make_packet(event.message.model_copy(update={"provider_ids": {}}))
        await adapter.deliver(packet)
        self._check(vendor)
