"""``inbox``: keeps handoff packets in Redis, beside the conversation. For local runs, demos
and tests; a person reads them through the conversation endpoint (or ``rapport inbox``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from rapport_contracts import HandoffPacket
from rapport_handoff.adapters.base import AdapterContext, Delivered, adapter_options
from rapport_runtime.config import Site
from rapport_runtime.redis import ConversationKeys, transaction_client, xadd_event


class InboxOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


def inbox_key(prefix: str, site: str, conversation_id: str) -> str:
    return ConversationKeys(prefix, site, conversation_id).messages.replace(":messages", ":inbox")


class InboxAdapter:
    name: ClassVar[str] = "inbox"
    description: ClassVar[str] = "Keeps packets in Redis; read them through the conversation API."

    @classmethod
    def check(cls, site: Site) -> None:
        adapter_options(InboxOptions, site)

    def __init__(self, site: Site, context: AdapterContext) -> None:
        self.check(site)
        self.context = context

    async def deliver(self, packet: HandoffPacket) -> Delivered:
        settings = self.context.settings
        key = inbox_key(settings.prefix, packet.site, packet.conversation_id)
        client = await transaction_client(self.context.redis, key)
        async with client.pipeline(transaction=True) as tx:
            tx.hset(key, packet.handoff_id, packet.compact_json())
            tx.expire(key, settings.conversation_ttl_s)
            xadd_event(tx, f"{settings.prefix}:inbox:{packet.site}", packet, settings.stream_maxlen)
            await tx.execute()
        return Delivered(external_id=packet.handoff_id, detail="kept in the Rapport inbox")
