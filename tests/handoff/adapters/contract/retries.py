"""Retries: 429 and 5xx are retried per call (each call made once), refusals are permanent and
carry the vendor's text, wrong credentials are permanent, a hanging vendor is transient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rapport_handoff.adapters.base import PermanentError, TransientError
from tests.handoff.adapters.contract._base import ContractConfig
from tests.handoff.adapters.fake import FakeVendor, Scripted


class RetriesContract(ContractConfig):
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
        with pytest.raises(PermanentError, match=r"422.*vendor says no") as refused:
            await adapter.deliver(packet)
        assert len(vendor.requests) == 1
        # The call is named in fields of its own, so logs can print it without redaction.
        assert refused.value.ids == {
            "vendor": self.adapter_cls.name,
            "method": method,
            "path": path,
            "status": "422",
        }

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
