"""Archived history for the policy lab's replay, on SQLite and the real PostgreSQL: the turns
come back classified (signals without evidence), with the customer's tier and attributes and
the bot's fallbacks, never with customer text; the cap keeps the most recent conversations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, text

from rapport_archive.history import archived_history
from rapport_archive.migrate import alembic_config, current, upgrade
from rapport_archive.rows import rows_of
from rapport_archive.store import Rows, make_engine, write
from rapport_contracts import Classification, ClassifiedMessage, Customer, Message, Signal
from rapport_contracts.events import Event
from tests.archive.events import T0, decision

pytestmark = pytest.mark.integration

WORDS = "I want to talk to a real person right now"


def turn(
    conversation: str,
    message_id: str,
    minutes: float,
    *,
    author: str = "customer",
    classified: bool = True,
    fallback: bool = False,
) -> ClassifiedMessage:
    at = T0 + timedelta(minutes=minutes)
    classification = None
    if author == "customer" and classified:
        start = WORDS.index("talk to a real person")
        classification = Classification(
            sentiment="negative",
            sentiment_score=-0.4,
            frustration=0.7,
            complexity=0.2,
            complexity_level="low",
            signals=(
                Signal(
                    name="human_request",
                    score=0.95,
                    evidence="talk to a real person",
                    start=start,
                    end=start + 21,
                ),
            ),
            language="en",
            classifier_version="lexicon-3.2",
        )
    return ClassifiedMessage(
        message=Message(
            site="demo",
            conversation_id=conversation,
            message_id=message_id,
            author=author,  # type: ignore[arg-type]
            text=WORDS if author == "customer" else "Sorry, I did not get that.",
            sent_at=at,
            received_at=at + timedelta(seconds=1),
            channel="email",
            customer=Customer(
                id="u42", email="jo@example.com", tier="gold", attributes={"vip": True}
            )
            if author == "customer"
            else None,
        ),
        classification=classification,
        bot_fallback=fallback,
    )


def archive(engine: Engine, *events: Event) -> None:
    rows = Rows()
    for event in events:
        rows.extend(rows_of(event))
    write(engine, rows)


def test_archived_turns_replay_without_customer_text(engine: Engine) -> None:
    archive(
        engine,
        turn("c1", "m1", 0),
        turn("c1", "b1", 1, author="bot", fallback=True),
        turn("c1", "a1", 2, author="agent"),  # not archived: agents move no replayed state
        turn("c1", "m2", 3),
        decision("c1", "m1", T0, route="automation"),
        decision("c1", "m2", T0 + timedelta(minutes=3), route="human", rule="explicit"),
        turn("c2", "m1", 60),
        turn("c3", "m1", 30, classified=False),  # as a row archived before revision 0002
    )
    found = archived_history(engine, "demo", T0 - timedelta(hours=1), T0 + timedelta(hours=2), 10)
    assert list(found.conversations) == ["c2", "c1"]  # the most recent first
    assert (found.found, found.skipped) == (2, 1)
    c1 = found.conversations["c1"]
    assert [(c.message.message_id, c.message.author) for c in c1] == [
        ("m1", "customer"),
        ("b1", "bot"),
        ("m2", "customer"),
    ]
    first = c1[0]
    assert first.message.text == ""
    assert first.message.sent_at == T0
    assert first.classification is not None
    assert first.classification.frustration == 0.7
    [signal] = first.classification.signals
    assert (signal.name, signal.score, signal.evidence) == ("human_request", 0.95, "")
    customer = first.message.customer
    assert customer is not None
    assert (customer.id, customer.tier, customer.attributes, customer.email) == (
        "u42",
        "gold",
        {"vip": True},
        None,
    )
    assert c1[1].bot_fallback is True
    assert sorted(d.decision_id for d in found.decisions) == ["d-c1-m1", "d-c1-m2"]
    # Nowhere in the store: the customer's words, the evidence, the email.
    with engine.connect() as conn:
        for table in ("messages", "decisions"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                dumped = " ".join(str(v) for v in row)
                assert "real person" not in dumped and "jo@example.com" not in dumped


def test_the_cap_and_the_range(engine: Engine) -> None:
    archive(engine, *(turn(f"c{i}", "m1", i) for i in range(5)))
    capped = archived_history(engine, "demo", T0, T0 + timedelta(hours=1), 2)
    assert list(capped.conversations) == ["c4", "c3"] and capped.found == 5
    none = archived_history(engine, "demo", T0 - timedelta(days=2), T0 - timedelta(days=1), 10)
    assert none.conversations == {} and none.found == 0
    other = archived_history(engine, "shop", T0, T0 + timedelta(hours=1), 10)
    assert other.found == 0


def test_a_store_archived_before_revision_0002_upgrades_and_its_turns_are_counted_out(
    store_url: str,
) -> None:
    """A store with rows from revision 0001 (metadata only) is upgraded in place; those rows
    keep their data, read as customer turns without a classification."""
    engine = make_engine(store_url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO messages (site, conversation_id, message_id, customer_id, "
                    "channel, language, received_at, received_ms) VALUES ('demo', 'old', 'm1', "
                    "'u1', 'chat', 'en', :at, :ms)"
                ),
                {"at": T0, "ms": int(T0.timestamp() * 1000)},
            )
        assert upgrade(engine) == ("0001", "0002")
        assert current(engine) == "0002"
        with engine.connect() as conn:
            row = conn.execute(text("SELECT author, customer_id, sent_ms FROM messages")).one()
        assert tuple(row) == ("customer", "u1", None)
        found = archived_history(
            engine, "demo", T0 - timedelta(hours=1), T0 + timedelta(hours=1), 5
        )
        assert (found.found, found.skipped) == (0, 1)
        archive(engine, turn("new", "m1", 5))  # and new rows are written whole
        again = archived_history(
            engine, "demo", T0 - timedelta(hours=1), T0 + timedelta(hours=1), 5
        )
        assert list(again.conversations) == ["new"]
    finally:
        engine.dispose()
