"""The router's stored state (issue 14, bounded memory): defaults are left out of the JSON, so a
bot-owned conversation's is under half the full dump's size, reads back equal, and always names
its owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from rapport_router.state import RouterState, parse_state

STATES = [
    RouterState(),
    RouterState(customer_turns=2, frustration_history=[0.1, 0.25], last_activity=12.5),
    RouterState(
        owner="escalated",
        episode=3,
        queue="billing",
        priority="high",
        escalated_at=datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        handoff_id="hof_1",
        escalated_ts=1.5,
        frustration_history=[0.9],
        first_customer_at=datetime(2026, 12, 2, 17, 59, tzinfo=UTC),
        handoff_confirmed=True,
    ),
    RouterState(owner="resolved", resolved_at=datetime(2026, 12, 2, 19, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize("state", STATES)
def test_the_compact_dump_reads_back_equal_and_names_the_owner(state: RouterState) -> None:
    stored = state.dump()
    assert parse_state(stored) == state
    assert json.loads(stored)["owner"] == state.owner
    full = state.model_dump_json()
    # A bot-owned conversation (most of them) sets few fields: under half the bytes.
    assert len(stored) < (len(full) / 2 if state.owner == "bot" else len(full))
