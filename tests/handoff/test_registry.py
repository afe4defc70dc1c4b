"""Every registered adapter: key == the class's ``name`` == its module (dashes to
underscores); imported only on demand; listed by ``rapport adapters`` with what it supports."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from rapport_handoff.adapters import ADAPTERS, adapter_class
from rapport_handoff.adapters.base import InboundAdapter, supports
from rapport_runtime.config import ConfigError

HELPDESKS = {
    "zendesk",
    "zendesk-messaging",
    "freshdesk",
    "intercom",
    "zammad",
    "chatwoot",
    "front",
    "helpscout",
    "jira",
}


def test_every_helpdesk_of_the_issue_is_registered() -> None:
    assert set(ADAPTERS) == HELPDESKS | {"webhook", "inbox"}


@pytest.mark.parametrize("key", sorted(ADAPTERS))
def test_registry_entry_is_consistent(key: str) -> None:
    module, _, attr = ADAPTERS[key].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    assert cls.name == key
    assert module.rsplit(".", 1)[-1] == key.replace("-", "_")
    assert cls.description
    assert adapter_class(key) is cls
    if key in HELPDESKS:
        assert "inbound" in supports(cls)
        assert isinstance(cls.__new__(cls), InboundAdapter)


def test_unknown_adapter_names_the_registered_ones() -> None:
    with pytest.raises(ConfigError, match="registered adapters: chatwoot, freshdesk"):
        adapter_class("zendeks")


def test_adapters_are_imported_only_when_used() -> None:
    code = (
        "import sys, rapport_handoff.adapters as a; "
        "print(sorted(m for m in sys.modules if m.startswith('rapport_handoff.adapters.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "zendesk" not in out.stdout and "intercom" not in out.stdout


def test_rapport_adapters_lists_them_with_what_they_support() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rapport_tools.cli", "adapters"],
        capture_output=True,
        text=True,
        check=True,
    )
    for key in ADAPTERS:
        assert f"\n{key} " in "\n" + out.stdout
    assert "inbound: POST /v1/sites/<site>/webhooks/zendesk" in out.stdout
