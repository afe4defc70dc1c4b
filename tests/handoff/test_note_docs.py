"""Each helpdesk page's "What the agent sees" block is the note Rapport really renders for an
example handoff, in the format that adapter posts (issue 13, item 8: the pages showed a signal
that does not exist and a trend word the renderer never used). The packet is built by the
router's own packet code from a fixed transcript, so a change to the note or the summary shows
up here. To rewrite the pages after such a change:

    uv run python tests/handoff/test_note_docs.py --write
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rapport_contracts import (
    Classification,
    ClassifiedMessage,
    Customer,
    Decision,
    HandoffPacket,
    Message,
    Reason,
    Signal,
)
from rapport_contracts.signals import SIGNALS
from rapport_handoff.adapters import ADAPTERS
from rapport_handoff.adapters._note import Format, render_note
from rapport_router.packet import build_packet

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "helpdesks"
HANDOFF_SRC = ROOT / "services/handoff/src/rapport_handoff/adapters"
HELPDESKS = sorted(set(ADAPTERS) - {"webhook", "inbox"})
BLOCK = re.compile(
    r"(## 5\. What the agent sees\n\nThe internal note \((\w+); rendered from an example "
    r"handoff\):\n\n```(\w+)\n)(.*?)(```)",
    re.S,
)
T0 = datetime(2026, 11, 26, 9, 58, tzinfo=UTC)
JO = Customer(
    id="8447388090494",
    email="jo@example.com",
    name="Jo Doe",
    tier="gold",
    attributes={"plan": "pro"},
)


def _turn(
    minute: int,
    author: str,
    text: str,
    score: float | None = None,
    frustration: float = 0.0,
    signals: tuple[Signal, ...] = (),
    fallback: bool = False,
) -> ClassifiedMessage:
    message = Message(
        site="acme",
        conversation_id="5158",
        message_id=f"m{minute}",
        author=author,  # type: ignore[arg-type]
        text=text,
        sent_at=T0 + timedelta(minutes=minute),
        channel="web_service",
        customer=JO if author == "customer" else None,
    )
    classification = None
    if score is not None:
        classification = Classification(
            sentiment="negative",
            sentiment_score=score,
            frustration=frustration,
            complexity=0.4,
            complexity_level="medium",
            classifier_version="lexicon-example",
            signals=signals,
        )
    return ClassifiedMessage(message=message, classification=classification, bot_fallback=fallback)


def example_packet() -> HandoffPacket:
    """A customer charged twice, a bot that did not help, a request for a person."""
    history = [
        _turn(0, "customer", "Hi, I was charged twice for order 1182", -0.30, 0.35),
        _turn(0, "bot", "Sorry to hear that! Here is how refunds work: ...", fallback=False),
        _turn(2, "customer", "I read that already, the second charge is still there", -0.45, 0.5),
        _turn(2, "bot", "Sorry, I didn't understand that. Could you rephrase?", fallback=True),
    ]
    current = _turn(
        3,
        "customer",
        "That doesn't help. This is the third time I'm writing, I want to talk to a real person",
        -0.80,
        0.81,
        (
            Signal(name="human_request", score=0.95, evidence="talk to a real person"),
            Signal(name="repeated_contact", score=0.8, evidence="third time I'm writing"),
            Signal(name="frustration_trend", score=0.86, evidence="frustration 0.3 -> 0.4 -> 0.8"),
        ),
    )
    decision = Decision(
        decision_id="dec-7f3a",
        site="acme",
        conversation_id="5158",
        message_id="m3",
        route="human",
        queue="billing",
        priority="high",
        reasons=(
            Reason(
                rule="explicit-human-request",
                signal="human_request",
                value=0.95,
                threshold=0.5,
                detail="evidence: 'talk to a real person'",
            ),
        ),
        policy_id="acme",
        policy_version="3",
        classifier_version="lexicon-example",
    )
    return build_packet("hof-2b91c0", decision, current, history)


def _format_of(name: str) -> str:
    """The format the adapter posts, read from its own call to render_note."""
    source = (HANDOFF_SRC / f"{name.replace('-', '_')}.py").read_text("utf-8")
    found: set[str] = set(re.findall(r"render_note\(packet, \"(\w+)\"", source))
    [fmt] = found
    return fmt


def _page(name: str) -> Path:
    return DOCS / f"{name}.md"


def test_the_example_uses_only_real_signals() -> None:
    assert {s.name for s in example_packet().signals} <= set(SIGNALS)


@pytest.mark.parametrize("name", HELPDESKS)
def test_the_page_shows_the_note_as_rendered(name: str) -> None:
    text = _page(name).read_text("utf-8")
    found = BLOCK.search(text)
    assert found, f"{name}.md: no 'What the agent sees' block"
    fmt = _format_of(name)
    assert found.group(2) == found.group(3) == fmt, f"{name}.md shows {found.group(2)}, not {fmt}"
    expected = render_note(example_packet(), fmt_of(fmt)) + "\n"
    assert found.group(4) == expected, (
        f"{name}.md's example note is not what Rapport renders; "
        "run `uv run python tests/handoff/test_note_docs.py --write`"
    )


def fmt_of(value: str) -> Format:
    assert value in ("text", "markdown", "html")
    return value  # type: ignore[return-value]


def write() -> None:
    packet = example_packet()
    for name in HELPDESKS:
        path = _page(name)
        fmt = _format_of(name)
        note = render_note(packet, fmt_of(fmt)) + "\n"

        def replace(m: re.Match[str], fmt: str = fmt, note: str = note) -> str:
            head = m.group(1).replace(f"({m.group(2)};", f"({fmt};")
            return head.replace(f"```{m.group(3)}", f"```{fmt}") + note + m.group(5)

        text, count = BLOCK.subn(replace, path.read_text("utf-8"))
        assert count == 1, path
        path.write_text(text, "utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({fmt})")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: uv run python tests/handoff/test_note_docs.py --write")
    write()
