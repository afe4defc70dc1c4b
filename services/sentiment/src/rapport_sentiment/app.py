"""The sentiment service: reads accepted messages, classifies customer turns, records each
message in its conversation and passes it on to the router."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter
from starlette.applications import Starlette

from rapport.consumer import Entry, Stage
from rapport.contracts import ClassifiedMessage, Message, Turn
from rapport.redis import ConversationKeys, xadd_event
from rapport.service import Runtime, build_app
from rapport.settings import RapportSettings
from rapport.streams import SENTIMENT_GROUP
from rapport_sentiment.classifier import classify, is_bot_fallback

log = logging.getLogger("rapport.sentiment")

CLASSIFIED = Counter("rapport_classified_total", "Messages classified", ["sentiment"])

# Earlier turns given to the classifier for trends and repetition.
CONTEXT_TURNS = 20


class SentimentStage(Stage[Message]):
    event_type = Message
    group = SENTIMENT_GROUP

    def __init__(self, settings: RapportSettings, runtime: Runtime) -> None:
        super().__init__(settings, runtime.redis)
        self.stream = self.streams.messages

    async def process(self, entries: Sequence[Entry[Message]]) -> None:
        keys = [
            ConversationKeys(self.settings.prefix, e.event.site, e.event.conversation_id)
            for e in entries
        ]
        async with self.redis.pipeline(transaction=False) as read:
            for entry, k in zip(entries, keys, strict=True):
                read.hexists(k.messages, entry.event.message_id)
                read.lrange(k.turns, -CONTEXT_TURNS, -1)
            replies = await read.execute()

        turns_by_conversation: dict[str, list[Turn]] = {}
        recorded_now: set[tuple[str, str]] = set()
        ttl = self.settings.conversation_ttl_s
        async with self.redis.pipeline(transaction=True) as tx:
            for i, (entry, k) in enumerate(zip(entries, keys, strict=True)):
                message = entry.event
                first_time = (k.messages, message.message_id)
                if replies[2 * i] or first_time in recorded_now:
                    continue  # already recorded and passed on (earlier delivery or this batch)
                recorded_now.add(first_time)
                turns = turns_by_conversation.setdefault(
                    k.turns, [Turn.model_validate_json(t) for t in replies[2 * i + 1]]
                )
                classification = None
                if message.author == "customer":
                    classification = classify(
                        message.text, turns[-CONTEXT_TURNS:], message.language or "en"
                    )
                    CLASSIFIED.labels(classification.sentiment).inc()
                classified = ClassifiedMessage(
                    message=message,
                    classification=classification,
                    bot_fallback=message.author == "bot" and is_bot_fallback(message.text),
                )
                turn = Turn(author=message.author, text=message.text)
                turns.append(turn)
                tx.hset(k.messages, message.message_id, classified.model_dump_json())
                tx.rpush(k.turns, turn.model_dump_json())
                tx.ltrim(k.turns, -self.settings.transcript_turns, -1)
                tx.expire(k.messages, ttl)
                tx.expire(k.turns, ttl)
                xadd_event(tx, self.streams.classified, classified, self.settings.stream_maxlen)
            self.ack(tx, [e.id for e in entries])
            await tx.execute()


async def _stages(runtime: Runtime) -> list[Stage[Any]]:
    return [SentimentStage(runtime.settings, runtime)]


def create_app(settings: RapportSettings | None = None) -> Starlette:
    return build_app("sentiment", settings or RapportSettings(), _stages)
