"""What the deploy tests need from the machine (promtool, prometheus, kubectl, docker-compose)
and the checks they share.

In CI (``RAPPORT_REQUIRE_DEPLOY_TOOLS=1``, exported by ``.ci/run`` after it installs the Debian
packages) a missing binary fails the test that needs it; elsewhere the test skips and says
which package to install. Never a silent pass."""

from __future__ import annotations

import importlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "rapport.json"
REQUIRE_ENV = "RAPPORT_REQUIRE_DEPLOY_TOOLS"
# Every module that defines a Prometheus metric (grep `Counter(`, `Gauge(`, `Histogram(`).
METRIC_MODULES = (
    "rapport_runtime.acceptance",
    "rapport_runtime.consumer",
    "rapport_runtime.service",
    "rapport_sentiment.app",
    "rapport_router.stage",
    "rapport_handoff.app",
    "rapport_handoff.edge",
    "rapport_handoff.inbound",
    "rapport_handoff.responses",
    "rapport_archive.stage",
)


def require_binary(name: str, package: str) -> str:
    """The path of ``name``, or fail (in CI) / skip (elsewhere) saying how to get it."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = (
        f"`{name}` is not on PATH: apt-get install -y --no-install-recommends {package} "
        "(.ci/run installs it)"
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(message)
    pytest.skip(f"{message}; set {REQUIRE_ENV}=1 to make this a failure")


def exported_metrics() -> dict[str, frozenset[str]]:
    """Every sample name Rapport's services export, with its label names: read from
    prometheus_client's registry after importing every module that defines a metric."""
    from prometheus_client import REGISTRY

    for module in METRIC_MODULES:
        importlib.import_module(module)
    suffixes = {
        "counter": ("_total", "_created"),
        "gauge": ("",),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
    }
    names: dict[str, frozenset[str]] = {}
    collectors: list[Any] = list(set(REGISTRY._names_to_collectors.values()))
    for collector in collectors:
        base = getattr(collector, "_name", "")
        if not base.startswith("rapport_"):
            continue
        labels = frozenset(getattr(collector, "_labelnames", ()))
        for suffix in suffixes[collector._type]:
            names[base + suffix] = labels | {"le"} if suffix == "_bucket" else labels
    # Prometheus adds these to every target.
    names["up"] = frozenset()
    return names


TARGET_LABELS = frozenset({"job", "instance"})
KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless"}
    | {"offset", "bool", "inf", "nan"}
)
# Grafana's variables, replaced by what they would be on a one-hour dashboard.
VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$site": ".*"}


def substitute(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def selectors(expr: str) -> list[tuple[str, frozenset[str]]]:
    """(metric name, label names in its matchers) for every selector in ``expr``."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings cannot hide a name
    bare = re.sub(r"\[[^\]]*\]", "", bare)  # range and subquery durations
    bare = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    found = []
    # A name starts where no name or number goes on (the m of 15m is not one).
    pattern = r"(?<![A-Za-z0-9_:.])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?"
    for match in re.finditer(pattern, bare):
        name, matchers, call = match.groups()
        if call or name.lower() in KEYWORDS:
            continue
        labels = frozenset(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers or ""))
        found.append((name, labels))
    return found


def grouping_labels(expr: str) -> list[frozenset[str]]:
    return [
        frozenset(label.strip() for label in group.split(",") if label.strip())
        for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
    ]
