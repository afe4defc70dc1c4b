"""The conversation as the router remembers it, and how it is kept in Redis.

One JSON document per conversation (``<prefix>:conv:<site>:<id>:state``), read under ``WATCH``
and written back in the same ``MULTI`` as the decision it led to, so two replicas racing on
one conversation never both act on the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rapport_contracts import ClassifiedMessage, Priority
from rapport_contracts.stored import expand
from rapport_router.engine import ConversationState
from rapport_router.ownership import Ownership
from rapport_runtime.redis import ConversationKeys, resolve_record_maps

FRUSTRATION_HISTORY = 20  # customer turns remembered for the trajectory conditions


class RouterState(BaseModel):
    """Stored flat as JSON; unknown fields are ignored so a newer router's state reads."""

    model_config = ConfigDict(extra="ignore")

    owner: Literal["bot", "escalated", "human", "resolved"] = "bot"
    episode: int = 0
    queue: str | None = None
    priority: Priority | None = None
    escalated_at: datetime | None = None
    human_since: datetime | None = None
    resolved_at: datetime | None = None
    ladder_step: int = 0
    handoff_id: str | None = None
    origin_queue: str | None = None  # the queue whose ladder this escalation climbs
    escalated_ts: float = 0.0  # wall clock of the escalation, for the ladder's timers
    last_activity: float = 0.0  # wall clock of the last customer or agent message
    customer_turns: int = 0
    negative_turns: int = 0
    bot_failures_in_row: int = 0
    frustration_history: list[float] = []  # the last customer turns, oldest first
    first_customer_at: datetime | None = None
    handoff_confirmed: bool = False  # the helpdesk accepted the open escalation's handoff
    fallback_tried: bool = False  # the open escalation already went to the fallback queue
    # The newest customer message applied (its acceptance time at the edge): an older one
    # that arrives later (a reclaimed entry) is recorded but never answered as if current.
    latest_received_at: datetime | None = None

    def dump(self) -> str:
        """The stored JSON: fields at their default are left out (they read back as the
        default), except ``owner``, which readers of the record (the edge's and console's
        views) look at. Under half the bytes of the full dump (issue 14: ~650 -> ~250 bytes
        per conversation)."""
        body = self.model_dump_json(exclude_defaults=True)
        if body.startswith('{"owner"'):  # owner is the first field: present unless "bot"
            return body
        return '{"owner":"bot"' + ("}" if body == "{}" else "," + body[1:])

    # The ownership fields are stored here, flat, and handed to the pure state machine.
    def ownership(self) -> Ownership:
        return Ownership(**{name: getattr(self, name) for name in Ownership.__dataclass_fields__})

    def take(self, ownership: Ownership) -> None:
        for name in Ownership.__dataclass_fields__:
            setattr(self, name, getattr(ownership, name))

    def engine_view(self) -> ConversationState:
        return ConversationState(
            owner="bot" if self.owner == "resolved" else self.owner,
            customer_turns=self.customer_turns,
            negative_turns=self.negative_turns,
            bot_failures_in_row=self.bot_failures_in_row,
            frustration_history=tuple(self.frustration_history),
            first_customer_at=self.first_customer_at,
        )


def parse_state(raw: bytes | str | None) -> RouterState:
    """The stored state, JSON or deflated (``RAPPORT_STORED_FORM``; ``stored_value``)."""
    return RouterState.model_validate_json(expand(raw)) if raw else RouterState()


async def read_transcript(
    pipe: Pipeline, redis: Redis, keys: ConversationKeys, turns: int
) -> list[ClassifiedMessage]:
    """The conversation's last ``turns`` messages, oldest first (the sentiment stage records
    them; the router only reads). The record refers to classified entries, read with
    ``redis`` (the stream is not WATCHed, and the references never change once written)."""
    (record,) = await resolve_record_maps(redis, [await pipe.hgetall(keys.messages)])
    return transcript_of(record, turns)


def transcript_of(raw_messages: Mapping[Any, bytes | str], turns: int) -> list[ClassifiedMessage]:
    """The last ``turns`` of a conversation's messages hash (``HGETALL``), oldest first."""
    return last_turns((ClassifiedMessage.read(v) for v in raw_messages.values()), turns)


def last_turns(messages: Iterable[ClassifiedMessage], turns: int) -> list[ClassifiedMessage]:
    """The last ``turns`` of a conversation's messages, oldest first (by sent, then received)."""
    ordered = sorted(messages, key=lambda c: (c.message.sent_at, c.message.received_at))
    return ordered[-turns:]


def state_keys(keys: Sequence[ConversationKeys]) -> list[str]:
    """Each conversation's state key once, in first-seen order (the keys to WATCH)."""
    return list(dict.fromkeys(k.state for k in keys))
