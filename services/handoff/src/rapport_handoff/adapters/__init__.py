"""Helpdesk adapters, one module per helpdesk, looked up by name and imported only when a
site uses them. The key, the module name and the class's ``name`` are the same string."""

from __future__ import annotations

import importlib
from typing import Final

from rapport_handoff.adapters.base import AdapterContext, HelpdeskAdapter
from rapport_runtime.config import ConfigError, Site

ADAPTERS: Final[dict[str, str]] = {
    "chatwoot": "rapport_handoff.adapters.chatwoot:ChatwootAdapter",
    "freshdesk": "rapport_handoff.adapters.freshdesk:FreshdeskAdapter",
    "front": "rapport_handoff.adapters.front:FrontAdapter",
    "helpscout": "rapport_handoff.adapters.helpscout:HelpscoutAdapter",
    "inbox": "rapport_handoff.adapters.inbox:InboxAdapter",
    "intercom": "rapport_handoff.adapters.intercom:IntercomAdapter",
    "jira": "rapport_handoff.adapters.jira:JiraAdapter",
    "webhook": "rapport_handoff.adapters.webhook:WebhookAdapter",
    "zammad": "rapport_handoff.adapters.zammad:ZammadAdapter",
    "zendesk": "rapport_handoff.adapters.zendesk:ZendeskAdapter",
    "zendesk-messaging": "rapport_handoff.adapters.zendesk_messaging:ZendeskMessagingAdapter",
}


def adapter_class(name: str) -> type[HelpdeskAdapter]:
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown adapter {name!r}; registered adapters: {', '.join(sorted(ADAPTERS))}"
        ) from None
    module, _, attr = target.partition(":")
    cls: type[HelpdeskAdapter] = getattr(importlib.import_module(module), attr)
    return cls


def load_adapter(site: Site, context: AdapterContext) -> HelpdeskAdapter:
    return adapter_class(site.adapter.type)(site, context)
