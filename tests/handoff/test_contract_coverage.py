"""Every registered adapter runs the whole contract: for each name in the registry there is a
test class in ``tests/handoff/adapters/test_<module>.py`` whose adapter is that adapter and
which mixes in every behaviour of ``BEHAVIOURS`` (or the adapter is listed here with the test
that covers it instead)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from rapport_handoff.adapters import ADAPTERS, adapter_class
from tests.handoff.adapters.contract import BEHAVIOURS

# Adapters that are not helpdesks: no inbound webhook, no vendor API; tested on their own.
OWN_TESTS = {
    "webhook": "tests/handoff/test_webhook_adapter.py",
    "inbox": "tests/handoff/test_inbound_route.py and tests/integration",
}


def contract_classes(name: str) -> list[type]:
    module_name = f"tests.handoff.adapters.test_{name.replace('-', '_')}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return []
    cls = adapter_class(name)
    return [
        obj
        for label, obj in inspect.getmembers(module, inspect.isclass)
        if label.startswith("Test") and getattr(obj, "adapter_cls", None) is cls
    ]


@pytest.mark.parametrize("name", sorted(set(ADAPTERS) - set(OWN_TESTS)))
def test_every_registered_adapter_runs_every_behaviour(name: str) -> None:
    classes = contract_classes(name)
    assert classes, f"{name}: no Test* class with adapter_cls = {adapter_class(name).__name__}"
    for cls in classes:
        missing = [b.__name__ for b in BEHAVIOURS if not issubclass(cls, b)]
        assert not missing, f"{cls.__name__} does not run {', '.join(missing)}"


def test_the_exemptions_are_registered_adapters() -> None:
    assert set(OWN_TESTS) <= set(ADAPTERS)


def test_a_config_without_a_test_class_is_caught() -> None:
    # The check itself can fail: a module that defines only a config has no test class.
    module = importlib.import_module("tests.handoff.adapters.test_jira")
    config = module.JiraConfig
    assert not any(issubclass(config, b) for b in BEHAVIOURS)
