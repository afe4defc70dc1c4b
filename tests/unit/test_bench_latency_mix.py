"""The bench's latency phase keeps the HTTP phases' messages per conversation (so the same
share escalates): ``rapport_tools.bench.latency_conversations``."""

from __future__ import annotations

from rapport_tools.bench import Phase, latency_conversations


def http_phase(messages: int) -> Phase:
    return Phase("http", messages, 5.0, {}, 0.0, {}, 0, 0.0)


def test_the_latency_phase_gets_as_many_messages_per_conversation_as_the_http_phases() -> None:
    # Two HTTP phases of 7,000 and 9,000 messages over 2,000 conversations: 4 each.
    phases = [http_phase(7_000), http_phase(9_000)]
    assert latency_conversations(phases, 2_000, 2_250) == 562  # 2,250 messages / 4
    # The conversations a phase of N messages gets are N / 4, whatever N.
    assert latency_conversations(phases, 2_000, 400) == 100


def test_never_fewer_than_one_message_per_conversation_nor_no_conversation() -> None:
    few = [http_phase(500)]  # fewer messages than conversations: one each at most
    assert latency_conversations(few, 2_000, 1_000) == 1_000
    assert latency_conversations(few, 2_000, 0.2) == 1
    assert latency_conversations([], 2_000, 300) == 300  # no HTTP phase: one message each
