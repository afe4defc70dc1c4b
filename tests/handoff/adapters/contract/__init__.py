"""The contract every helpdesk adapter keeps: one abstract class per behaviour, mixed into each
adapter's config class as FastStream's own suite does per broker::

    class TestZendesk(ZendeskConfig, *BEHAVIOURS): ...

``tests/handoff/test_contract_coverage.py`` fails when a registered adapter has no test class
that runs every behaviour.
"""

from tests.handoff.adapters.contract._base import (
    INTERNAL_MARKERS,
    SITE_SECRET,
    WEBHOOK_SECRET,
    ContractConfig,
    FakeClock,
    Sample,
    make_packet,
    request_schema,
)
from tests.handoff.adapters.contract.dedupe import DedupeContract
from tests.handoff.adapters.contract.deliver import DeliverContract
from tests.handoff.adapters.contract.loops import LoopPreventionContract
from tests.handoff.adapters.contract.parse import ParseContract
from tests.handoff.adapters.contract.privacy import PrivacyContract
from tests.handoff.adapters.contract.retries import RetriesContract
from tests.handoff.adapters.contract.signature import SignatureContract

BEHAVIOURS = (
    SignatureContract,
    ParseContract,
    LoopPreventionContract,
    DedupeContract,
    DeliverContract,
    RetriesContract,
    PrivacyContract,
)

__all__ = [
    "BEHAVIOURS",
    "INTERNAL_MARKERS",
    "SITE_SECRET",
    "WEBHOOK_SECRET",
    "ContractConfig",
    "DedupeContract",
    "DeliverContract",
    "FakeClock",
    "LoopPreventionContract",
    "ParseContract",
    "PrivacyContract",
    "RetriesContract",
    "Sample",
    "SignatureContract",
    "make_packet",
    "request_schema",
]
