"""The handoffs record's value (issue 14): a reference tagged with the status, or the
HandoffResult JSON recorded before references (and by the dead-letter path); the handoff
stage's "delivered already?" check reads both without the stream entry."""

from __future__ import annotations

from rapport_contracts import HandoffResult
from rapport_handoff.app import _delivered


def _result(status: str) -> str:
    return HandoffResult(
        handoff_id="hof_1",
        site="demo",
        conversation_id="c1",
        adapter="webhook",
        status=status,  # type: ignore[arg-type]
        attempts=1,
    ).compact_json()


def test_delivered_already_reads_the_tag_of_a_reference_and_the_json_of_before() -> None:
    assert _delivered(b"delivered:1796277656505-18@rapport:{p3}:handoffs")
    assert not _delivered(b"failed:1796277656505-18@rapport:handoffs")
    assert not _delivered("1796277656505-18@rapport:handoffs")  # untagged: not a handoff's
    assert _delivered(_result("delivered").encode())
    assert _delivered(HandoffResult.read(_result("delivered")).model_dump_json())
    assert not _delivered(_result("failed"))
    assert not _delivered(None)
    assert not _delivered(b"{not json")
