"""The sentiment service: reads accepted messages, classifies customer turns, records each
message in its conversation and passes it on to the router."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from prometheus_client import Counter
from starlette.applications import Starlette

from rapport_contracts import ClassifiedMessage, Message, Turn
from rapport_contracts.streams import SENTIMENT_GROUP
from rapport_runtime.consumer import Entry, Stage
from rapport_runtime.logs import Id, bind_event
from rapport_runtime.redis import ConversationKeys, Writes
from rapport_runtime.service import Runtime, build_app
from rapport_runtime.settings import RapportSettings
from rapport_runtime.tracing import stage_span
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
        # One script call reads, per message, whether it was recorded already and the
        # conversation's recent turns.
        args: list[str] = []
        for entry, k in zip(entries, keys, strict=True):
            args += [k.messages, entry.event.message_id, k.turns]
        replies = await cast(
            "Any", self.redis.eval(_READ_CONTEXT, 1, args[0], str(CONTEXT_TURNS), *args)
        )

        turns_by_conversation: dict[str, list[Turn]] = {}
        recorded_now: set[tuple[str, str]] = set()
        ttl = self.settings.conversation_ttl_s
        writes = Writes()
        touched: set[str] = set()
        debug = log.isEnabledFor(logging.DEBUG)  # the line's fields are built only if kept
        for (seen, recent), entry, k in zip(replies, entries, keys, strict=True):
            message = entry.event
            first_time = (k.messages, message.message_id)
            if seen or first_time in recorded_now:
                continue  # already recorded and passed on (earlier delivery or this batch)
            recorded_now.add(first_time)
            turns = turns_by_conversation.setdefault(k.turns, [Turn.read(t) for t in recent])
            classification = None
            if message.author == "customer":
                with (
                    bind_event(message, entry.id),
                    stage_span("sentiment classify", message.traceparent, site=message.site),
                ):
                    classification = classify(
                        message.text, turns[-CONTEXT_TURNS:], message.language or None
                    )
                    if debug:
                        log.debug(
                            "classified %s/%s: %s",
                            Id(message.site),
                            Id(message.message_id),
                            classification.sentiment,
                            extra={
                                "sentiment": classification.sentiment,
                                "frustration": classification.frustration,
                                "language": classification.language,
                                "signals": [Id(s.name) for s in classification.signals],
                            },
                        )
                CLASSIFIED.labels(classification.sentiment).inc()
            classified = ClassifiedMessage(
                message=message,
                classification=classification,
                bot_fallback=message.author == "bot" and is_bot_fallback(message.text),
            )
            turn = Turn(author=message.author, text=message.text)
            turns.append(turn)
            # Stored once, in the classified stream; the record refers to the entry.
            writes.xadd_ref(
                self.streams.classified,
                classified,
                self.settings.stream_maxlen,
                k.messages,
                message.message_id,
            )
            writes.rpush(k.turns, turn.pack())
            touched.add(k.messages)
        for key in touched:
            turns_key = key.removesuffix(":messages") + ":turns"
            writes.ltrim(turns_key, -self.settings.transcript_turns, -1)
            writes.expire(key, ttl)
            writes.expire(turns_key, ttl)
        writes.xack(self.stream, self.group, *(e.id for e in entries))
        # A script runs atomically: the records, the next stage's entries and the ack land
        # together or not at all.
        await writes.apply(self.redis)


# Per message (hash, message id, turns list): {recorded already?, the last N turns}.
_READ_CONTEXT = """
local out = {}
for i = 2, #ARGV, 3 do
  out[#out + 1] = {
    redis.call('HEXISTS', ARGV[i], ARGV[i + 1]),
    redis.call('LRANGE', ARGV[i + 2], -tonumber(ARGV[1]), -1),
  }
end
return out
"""


async def _stages(runtime: Runtime) -> list[Stage[Any]]:
    return [SentimentStage(runtime.settings, runtime)]


def create_app(settings: RapportSettings | None = None) -> Starlette:
    return build_app("sentiment", settings or RapportSettings(), _stages)
