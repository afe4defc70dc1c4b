"""Signature: a delivery signed the vendor's documented way is accepted; a wrong secret, other
bytes, no signature or (where the vendor signs one) a stale timestamp are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rapport_handoff.adapters.base import InboundSignatureError
from tests.handoff.adapters.contract._base import ContractConfig, FakeClock


class SignatureContract(ContractConfig):
    async def test_a_correctly_signed_delivery_is_accepted(self, make: Callable[..., Any]) -> None:
        adapter = make()
        for name in ("customer", "agent", "bot", "ignored"):
            body, headers = self.signed(name)
            adapter.verify(headers, body)

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

    async def test_a_stale_signature_is_refused(
        self, make: Callable[..., Any], clock: FakeClock
    ) -> None:
        assert self.timestamped, "deselected by not_applicable()"
        adapter = make(signature_tolerance_s=1)
        body, headers = self.signed("customer")
        adapter.verify(headers, body)
        clock.advance(2.1)  # the adapters read the injected clock: no sleeping
        with pytest.raises(InboundSignatureError, match="away from now"):
            adapter.verify(headers, body)
        clock.advance(-4.2)  # a timestamp from the future is as suspect
        with pytest.raises(InboundSignatureError, match="away from now"):
            adapter.verify(headers, body)
