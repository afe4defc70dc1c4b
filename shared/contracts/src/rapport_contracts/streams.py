"""Stream and consumer-group names: the contract between Rapport's services and anyone else
who reads its streams.

Every stream entry has one field, ``__data__``, holding the event's JSON (the models in
:mod:`rapport_contracts`), so any Redis client can read them without FastStream's envelope;
with ``RAPPORT_STORED_FORM=deflate`` the history streams' entries hold that JSON deflated
(:mod:`rapport_contracts.stored`: ``Model.read`` inflates it; the recipe for zlib alone is
there). The pipes (``messages``, ``escalations``) are always JSON.
All names share a prefix (``RAPPORT_PREFIX``, default ``rapport``) so that several
deployments, or several tests, can share one Redis without colliding.
"""

from __future__ import annotations

from dataclasses import dataclass

DATA_FIELD = "__data__"

# Consumer groups, one per stage. Other consumers should create their own group.
SENTIMENT_GROUP = "sentiment"
ROUTER_GROUP = "router"
HANDOFF_GROUP = "handoff"
# The archive (services/archive) reads the history streams in a group of its own. Not in
# ``Streams.groups()``: the archive creates it when it starts (``Streams.archive_groups()``),
# so a deployment without an archive never holds back the age trimming of those streams for a
# reader that does not exist; once the archive runs, nothing is trimmed before it has read it.
ARCHIVE_GROUP = "archive"


@dataclass(frozen=True, slots=True)
class Streams:
    prefix: str = "rapport"

    @property
    def messages(self) -> str:
        """Accepted messages from the edge (``Message``)."""
        return f"{self.prefix}:messages"

    @property
    def classified(self) -> str:
        """Messages with their classification (``ClassifiedMessage``)."""
        return f"{self.prefix}:classified"

    @property
    def decisions(self) -> str:
        """Every routing decision, both routes: the audit trail (``Decision``)."""
        return f"{self.prefix}:decisions"

    @property
    def automation(self) -> str:
        """Decisions that leave the conversation with the site's bot (``Decision``)."""
        return f"{self.prefix}:automation"

    @property
    def escalations(self) -> str:
        """Handoff packets for the helpdesk adapter (``HandoffPacket``)."""
        return f"{self.prefix}:escalations"

    @property
    def handoffs(self) -> str:
        """What happened to each handoff (``HandoffResult``)."""
        return f"{self.prefix}:handoffs"

    @property
    def notifications(self) -> str:
        """People to alert besides the queue, e.g. a supervisor on a safety signal."""
        return f"{self.prefix}:notifications"

    @property
    def dlq(self) -> str:
        """Entries that could not be processed, with the reason (``DeadLetter``)."""
        return f"{self.prefix}:dlq"

    def groups(self) -> dict[str, tuple[str, ...]]:
        """The consumer groups Rapport's own services read, per stream."""
        return {
            self.messages: (SENTIMENT_GROUP,),
            self.classified: (ROUTER_GROUP,),
            self.escalations: (HANDOFF_GROUP,),
            # The router follows every handoff to its end (delivered, or failed and acted on).
            self.handoffs: (ROUTER_GROUP,),
        }

    def archive_groups(self) -> dict[str, tuple[str, ...]]:
        """The archive's consumer group, per stream it reads (the classified stream for each
        customer message's metadata: channel, language, arrival time; never its text)."""
        return {
            stream: (ARCHIVE_GROUP,)
            for stream in (
                self.classified,
                self.decisions,
                self.handoffs,
                self.automation,
                self.feedback,
            )
        }

    def all(self) -> tuple[str, ...]:
        return (
            self.messages,
            self.classified,
            self.decisions,
            self.automation,
            self.escalations,
            self.handoffs,
            self.notifications,
            self.dlq,
            self.feedback,
        )

    @property
    def feedback(self) -> str:
        """People's verdicts on decisions: unneeded or missed escalations (``Feedback``)."""
        return f"{self.prefix}:feedback"
