"""Archived history for a replay (the console's policy lab, for ranges older than Redis keeps):
one site's conversations with a classified customer turn in a time range, each with every
archived customer and bot turn (the router's state is rebuilt from all of them) and its
recorded decisions.

A turn comes back as a ``ClassifiedMessage`` whose text is empty and whose signals have no
evidence: the archive keeps neither. Rows archived before revision 0002 carry no
classification and are not replayable; ``skipped`` counts them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rapport_archive.rows import epoch_ms
from rapport_archive.store import DecisionRow, MessageRow
from rapport_contracts import Classification, ClassifiedMessage, Customer, Decision, Message


@dataclass(frozen=True)
class ArchivedHistory:
    site: str
    conversations: dict[str, list[ClassifiedMessage]]  # newest first, at most the cap
    decisions: list[Decision]
    found: int  # conversations with a classified customer turn in the range
    skipped: int  # customer turns in the range archived without a classification


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _turn(row: MessageRow) -> ClassifiedMessage | None:
    classification = None
    if row.classification is not None:
        try:
            classification = Classification.model_validate_json(row.classification)
        except ValidationError:
            return None
    extra = json.loads(row.customer) if row.customer else {}
    customer = None
    if row.customer_id or extra:
        customer = Customer(
            id=row.customer_id, tier=extra.get("tier"), attributes=extra.get("attributes") or {}
        )
    message = Message(
        site=row.site,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        author="bot" if row.author == "bot" else "customer",
        text="",
        sent_at=_at(row.sent_ms if row.sent_ms is not None else row.received_ms),
        received_at=_at(row.received_ms),
        channel=row.channel,
        language=row.language,
        customer=customer,
    )
    return ClassifiedMessage(
        message=message, classification=classification, bot_fallback=bool(row.bot_fallback)
    )


def archived_history(
    engine: Engine, site: str, since: datetime, until: datetime, cap: int
) -> ArchivedHistory:
    """The ``cap`` conversations of ``site`` whose latest classified customer turn in
    ``[since, until]`` is the most recent, with their turns and decisions."""
    lo, hi = epoch_ms(since), epoch_ms(until)
    m = MessageRow
    in_range = (
        m.site == site,
        m.author == "customer",
        m.sent_ms >= lo,
        m.sent_ms <= hi,
    )
    with Session(engine) as conn:
        latest = conn.execute(
            select(m.conversation_id, func.max(m.sent_ms).label("last"))
            .where(*in_range, m.classification.is_not(None))
            .group_by(m.conversation_id)
            .order_by(func.max(m.sent_ms).desc(), m.conversation_id)
        ).all()
        skipped = conn.execute(
            select(func.count())
            .select_from(m)
            .where(
                m.site == site,
                m.author == "customer",
                m.received_ms >= lo,
                m.received_ms <= hi,
                m.classification.is_(None),
            )
        ).scalar_one()
        kept = [str(row.conversation_id) for row in latest[:cap]]
        turns: dict[str, list[ClassifiedMessage]] = {c: [] for c in kept}
        decisions: list[Decision] = []
        for start in range(0, len(kept), 500):  # bounded IN lists
            chunk = kept[start : start + 500]
            for row in conn.scalars(select(m).where(m.site == site, m.conversation_id.in_(chunk))):
                turn = _turn(row)
                if turn is not None:
                    turns[row.conversation_id].append(turn)
            for event in conn.execute(
                select(DecisionRow.event).where(
                    DecisionRow.site == site, DecisionRow.conversation_id.in_(chunk)
                )
            ).scalars():
                try:
                    decisions.append(Decision.model_validate_json(event))
                except ValidationError:
                    continue
    for conversation in turns.values():
        conversation.sort(key=lambda c: (c.message.sent_at, c.message.received_at))
    return ArchivedHistory(site, turns, decisions, len(latest), int(skipped))
