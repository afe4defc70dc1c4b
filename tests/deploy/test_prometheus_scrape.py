"""A real Prometheus (Debian's `prometheus`) scraping the three services as real processes: it
answers a query for the escalation counter after a customer asked for a person, loads and
evaluates the alert rules with none firing on a healthy system, and accepts every query of
the Grafana dashboard (the panels that must have data after an escalation do)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from rapport_tools.dev import free_port
from tests.deploy.tools import DASHBOARD, DEPLOY, require_binary, substitute
from tests.e2e.conftest import Pipeline
from tests.helpers import message, signed, wait_until

pytestmark = pytest.mark.e2e

TOKEN = {"Authorization": "Bearer e2e-admin-token"}
# After the episode below these panels must show data; the others (failures, dead letters)
# rightly have none on a healthy system, but Prometheus must still accept their queries.
PANELS_WITH_DATA = {
    "Messages per second by stage",
    "Edge requests by outcome",
    "Escalations per minute by site",
    "Escalations per minute by rule",
    "Escalations per minute by queue",
    "Escalations per minute by language",
    "Containment rate",
    "Containment rate over time",
    "Decision latency (p50, p99)",
    "Decision latency p99 by site",
    "Consumer lag by group",
    "Pending (read, not acked) by group",
    "Dead-letter queue depth",
    "Stream length",
    "Consumers alive by group",
    "Handoff latency by helpdesk adapter (p50, p99)",
    "Handoffs per minute by helpdesk and outcome",
    "Services up",
}


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, expr: str) -> list[dict[str, Any]]:
        reply = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5)
        body = reply.json()
        assert body["status"] == "success", f"{expr}: {body}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def prometheus(pipeline: Pipeline, tmp_path: Path) -> Iterator[Prometheus]:
    binary = require_binary("prometheus", "prometheus")
    # Each service's internal metrics port (RAPPORT_METRICS_PORT), not its HTTP one.
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(DEPLOY / "prometheus" / "alerts.yaml")],
        "scrape_configs": [
            {
                "job_name": f"rapport-{service}",
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
            for service, port in pipeline.metrics_ports.items()
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    argv = [
        binary,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    process = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()}")
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, timeout=30, interval=0.1)
        yield Prometheus(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def post(p: Pipeline, conversation: str, text: str) -> None:
    raw, headers = signed(message(conversation, "m1", text))
    reply = httpx.post(f"{p.edge}/v1/sites/demo/messages", content=raw, headers=headers, timeout=5)
    assert reply.status_code == 202, reply.text


def delivered(p: Pipeline, conversation: str) -> bool:
    reply = httpx.get(
        f"{p.edge}/v1/sites/demo/conversations/{conversation}", headers=TOKEN, timeout=5
    )
    return reply.status_code == 200 and any(
        h["status"] == "delivered" for h in reply.json()["handoffs"]
    )


def test_a_real_prometheus_scrapes_the_services(pipeline: Pipeline, prometheus: Prometheus) -> None:
    """One episode (starting the services and Prometheus costs about 20 s), three checks: the
    escalation counter, the rules, the dashboard's queries."""
    wait_until(lambda: len(prometheus.query('up{job=~"rapport-.*"} == 1')) == 3, timeout=20)

    # 1. The escalation counter: absent, then exactly one per customer asking for a person.
    escalations = 'sum(rapport_escalations_total{job="rapport-router", site="demo"})'
    assert prometheus.value(escalations) is None
    post(pipeline, "c-prom-1", "I want to talk to a real person, now")
    post(pipeline, "c-prom-1-bot", "How do I reset my password?")
    wait_until(lambda: delivered(pipeline, "c-prom-1"), timeout=10)
    wait_until(lambda: prometheus.value(escalations) == 1, timeout=15, interval=0.2)
    by_queue = prometheus.query('rapport_escalations_total{site="demo"}')
    assert [r["metric"]["queue"] for r in by_queue] == ["support"]
    # A second one after the first was scraped, so that rates see an increase.
    post(pipeline, "c-prom-2", "Can I speak to a human agent please")
    post(pipeline, "c-prom-2-bot", "How do I reset my password?")
    wait_until(lambda: delivered(pipeline, "c-prom-2"), timeout=10)
    wait_until(lambda: prometheus.value(escalations) == 2, timeout=15, interval=0.2)
    increase = prometheus.value('sum(increase(rapport_escalations_total{site="demo"}[1m]))')
    assert increase is not None and increase > 0
    rules = prometheus.query('sum by (rule) (rapport_decisions_total{route="human"})')
    assert {r["metric"]["rule"] for r in rules} == {"explicit-human-request"}
    languages = prometheus.query('sum by (language) (rapport_escalations_total{site="demo"})')
    assert {r["metric"]["language"]: float(r["value"][1]) for r in languages} == {"en": 2.0}
    # The stages that just handled those messages read their groups: alive.
    alive = prometheus.query("max by (group) (rapport_group_consumers_alive)")
    assert {r["metric"]["group"] for r in alive if float(r["value"][1]) >= 1} >= {
        "sentiment",
        "router",
        "handoff",
    }
    # The public ports serve no /metrics.
    for port in pipeline.ports.values():
        assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).status_code == 404

    # 2. The alert rules: all loaded, evaluated without error, none firing on this healthy
    # system.
    def evaluated() -> list[dict[str, Any]] | None:
        reply = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=5).json()
        loaded = [r for g in reply["data"]["groups"] for r in g["rules"]]
        return loaded if loaded and all(r["health"] == "ok" for r in loaded) else None

    loaded = wait_until(evaluated, timeout=20, interval=0.2)
    assert {r["name"] for r in loaded} == {
        rule["alert"]
        for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())["groups"]
        for rule in group["rules"]
    }
    alerts = httpx.get(f"{prometheus.url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    assert alerts == [], alerts

    # 3. The dashboard: Prometheus accepts every query, and the panels that must show this
    # episode do.
    dashboard = json.loads(DASHBOARD.read_text())
    titles = {p["title"] for p in dashboard["panels"] if p["type"] != "row"}
    assert titles >= PANELS_WITH_DATA, PANELS_WITH_DATA - titles

    def panels_without_data() -> list[str]:
        empty = []
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            results = [prometheus.query(substitute(t["expr"])) for t in panel["targets"]]
            if panel["title"] in PANELS_WITH_DATA and not any(results):
                empty.append(panel["title"])
        return empty

    deadline = time.monotonic() + 10
    while (empty := panels_without_data()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not empty, f"panels without data after two escalations: {empty}"
