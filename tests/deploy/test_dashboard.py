"""The Grafana dashboard, without Grafana (no image can be pulled here): every panel's PromQL
names metrics and labels the services really export, the dashboard covers what an ops engineer
needs, and the compose profile ``observability`` provisions it with its datasource. The live
check of the same queries against a real Prometheus is in test_prometheus_scrape.py."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import (
    DASHBOARD,
    DEPLOY,
    METRIC_MODULES,
    ROOT,
    TARGET_LABELS,
    VARIABLES,
    exported_metrics,
    grouping_labels,
    require_binary,
    selectors,
)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, expr, legend) of every query."""
    return [
        (p["title"], t["expr"], t.get("legendFormat", ""))
        for p in panels(dashboard)
        for t in p["targets"]
    ]


def test_every_metric_defining_module_is_read() -> None:
    """The registry only knows the metrics of imported modules: a new module with metrics
    must be added to METRIC_MODULES, or these checks would miss its metrics."""
    defining = set()
    for path in [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("shared/*/src/**/*.py")]:
        text = path.read_text()
        if "prometheus_client" in text and re.search(
            r"\b(Counter|Gauge|Histogram|Summary)\(", text
        ):
            src = next(p for p in path.parents if p.name == "src")
            defining.add(".".join(path.relative_to(src).with_suffix("").parts))
    assert defining, "no module defines a metric?"
    assert defining <= set(METRIC_MODULES), defining - set(METRIC_MODULES)


def test_every_panel_queries_metrics_and_labels_the_services_export(
    dashboard: dict[str, Any],
) -> None:
    exported = exported_metrics()
    assert queries(dashboard)
    for title, expr, legend in queries(dashboard):
        used = selectors(expr)
        assert used, f"{title}: no metric in {expr}"
        available: set[str] = set(TARGET_LABELS)
        for name, labels in used:
            assert name in exported, f"{title}: {name} is not exported by any service"
            unknown = labels - exported[name] - TARGET_LABELS
            assert not unknown, f"{title}: {name} has no label {sorted(unknown)}"
            available |= exported[name]
        groups = grouping_labels(expr)
        for group in groups:
            assert group <= available, f"{title}: grouping by unknown {sorted(group - available)}"
        # The legend can only name labels the result keeps.
        kept = set.intersection(*(set(g) for g in groups)) if groups else available
        shown = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", legend))
        assert shown <= kept, f"{title}: legend names {sorted(shown - kept)}, not in the result"


def test_the_queries_use_only_known_variables(dashboard: dict[str, Any]) -> None:
    defined = {f"${v['name']}" for v in dashboard["templating"]["list"]}
    builtin = {name for name in VARIABLES if name.startswith("$__")}
    for title, expr, _ in queries(dashboard):
        used = set(re.findall(r"\$\w+", expr))
        assert used <= defined | builtin, f"{title}: unknown variables {used - defined - builtin}"


STAGE_METRICS = (
    "rapport_edge_requests_total",
    "rapport_classified_total",
    "rapport_decisions_total",
    "rapport_handoffs_total",
)
# What the dashboard must show (issue 15), as (what, a check on the panels' queries).
REQUIRED: dict[str, Any] = {
    "messages/s by stage": lambda qs: all(any(m in e for e in qs) for m in STAGE_METRICS),
    "escalations by site": lambda qs: any(
        "rapport_escalations_total" in e and "by (site)" in e for e in qs
    ),
    "escalations by language": lambda qs: any(
        'route="human"' in e and re.search(r"by \([^)]*\blanguage\b", e) for e in qs
    ),
    "consumers alive": lambda qs: any(
        re.search(r"by \(stream, group\) \(rapport_group_consumers_alive\)", e) for e in qs
    ),
    "escalations by rule": lambda qs: any(
        'route="human"' in e and re.search(r"by \([^)]*\brule\b", e) for e in qs
    ),
    "containment rate": lambda qs: any('route="automation"' in e and "/" in e for e in qs),
    "decision latency p50 and p99": lambda qs: all(
        any(
            f"histogram_quantile({q}" in e and "rapport_decision_latency_seconds_bucket" in e
            for e in qs
        )
        for q in ("0.5", "0.99")
    ),
    "stream lag": lambda qs: any("rapport_group_lag" in e for e in qs),
    "pending": lambda qs: any("rapport_group_pending" in e for e in qs),
    "DLQ depth": lambda qs: any(
        re.search(r"rapport_stream_length\{stream=~\"[^\"]*dlq", e) for e in qs
    ),
    "handoff latency by adapter": lambda qs: any(
        "histogram_quantile(0.99" in e
        and "rapport_handoff_duration_seconds_bucket" in e
        and "adapter" in e
        for e in qs
    ),
    "handoff failures by helpdesk": lambda qs: any(
        'status="failed"' in e and re.search(r"by \([^)]*\badapter\b", e) for e in qs
    ),
}


@pytest.mark.parametrize("what", list(REQUIRED))
def test_the_dashboard_shows(dashboard: dict[str, Any], what: str) -> None:
    exprs = [expr for _, expr, _ in queries(dashboard)]
    assert REQUIRED[what](exprs), f"no panel shows {what}"


def test_panels_are_laid_out_and_use_the_provisioned_datasource(
    dashboard: dict[str, Any],
) -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yaml").read_text()
    )
    [source] = provisioned["datasources"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}, panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"]), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"], panel["title"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert dashboard["uid"] and dashboard["title"]


# --- the compose profile `observability` ---


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts (relative to the root)."""
    found = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def test_the_observability_profile_adds_prometheus_and_grafana_only(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    profiled = {name for name, s in services.items() if "observability" in s.get("profiles", [])}
    assert profiled == {"prometheus", "grafana"}
    names = ("redis", "postgres", "sentiment", "router", "edge", "handoff", "console", "archive")
    for name in names:
        assert "profiles" not in services[name], f"{name} must start without a profile"
        # The internal metrics port is never published: only the edge's and the console's
        # HTTP ports are.
        metrics_port = services[name].get("environment", {}).get("RAPPORT_METRICS_PORT")
        for port in services[name].get("ports", []):
            assert metrics_port is None or not port.endswith(f":{metrics_port}"), port
    for name in profiled:
        for port in services[name]["ports"]:
            assert port.startswith("${RAPPORT_BIND:-127.0.0.1}:"), f"{name} publishes {port}"


def test_prometheus_in_compose_scrapes_every_service_and_loads_the_rules(
    compose: dict[str, Any],
) -> None:
    prometheus = compose["services"]["prometheus"]
    config_dir = mounts(prometheus)["/etc/prometheus"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    config = yaml.safe_load((config_dir / "prometheus.yml").read_text())
    assert all((config_dir / f).exists() for f in config["rule_files"])
    targets = {
        job["job_name"]: [t for s in job["static_configs"] for t in s["targets"]]
        for job in config["scrape_configs"]
    }
    for service in ("sentiment", "router", "edge", "handoff", "console", "archive"):
        environment = compose["services"][service]["environment"]
        # The internal metrics port, never the HTTP one.
        port = environment["RAPPORT_METRICS_PORT"]
        assert port != environment["RAPPORT_PORT"]
        assert targets[f"rapport-{service}"] == [f"{service}:{port}"]


def test_the_prometheus_config_passes_promtool() -> None:
    promtool = require_binary("promtool", "prometheus")
    config = DEPLOY / "prometheus" / "prometheus.yml"
    result = subprocess.run(
        [promtool, "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


def test_grafana_in_compose_provisions_the_datasource_and_the_dashboard(
    compose: dict[str, Any],
) -> None:
    grafana = compose["services"]["grafana"]
    mounted = mounts(grafana)
    provisioning = mounted["/etc/grafana/provisioning"]
    assert (provisioning / "datasources" / "prometheus.yaml").exists()
    [provider] = yaml.safe_load((provisioning / "dashboards" / "rapport.yaml").read_text())[
        "providers"
    ]
    dashboards = mounted[provider["options"]["path"]]
    assert DASHBOARD.parent == dashboards.resolve()
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD.name}"
    assert grafana["depends_on"] == ["prometheus"]


def test_docker_compose_accepts_the_file_with_the_profile() -> None:
    """Compose's own validation (interpolation, profiles, the merge keys), no engine needed."""
    binary = require_binary("docker-compose", "docker-compose")
    compose_file = str(ROOT / "docker-compose.yml")
    result = subprocess.run(
        [binary, "--profile", "observability", "-f", compose_file, "config", "--services"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert {"prometheus", "grafana", "edge", "handoff"} <= set(result.stdout.split()), result.stdout
