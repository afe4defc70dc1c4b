"""Contract behaviours that cannot apply to a helpdesk (it never creates a ticket, publishes no
spec, signs no timestamp) are left out at collection (counted as deselected in the summary),
instead of being collected and skipped: a skip never stands in for a pass."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        cls = getattr(item, "cls", None)
        reasons = cls.not_applicable() if cls is not None and hasattr(cls, "not_applicable") else {}
        name = getattr(item, "originalname", item.name)
        (left_out if name in reasons else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> list[str]:
    return ["helpdesk contract behaviours that cannot apply are not collected (not_applicable)"]
