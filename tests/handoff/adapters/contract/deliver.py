"""Deliver: an escalation makes exactly the vendor's documented calls against a fake vendor
over real HTTP, with bodies valid against the vendor's OpenAPI spec where one is published, and
a redelivered handoff repeats nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rapport_handoff.adapters.base import TransientError
from tests.handoff.adapters.contract._base import ContractConfig, request_schema
from tests.handoff.adapters.fake import FakeVendor, Scripted
from tests.helpers import reference_dir


class DeliverContract(ContractConfig):
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
        assert self.spec_file is not None, "deselected by not_applicable()"
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
