"""The compose file, checked without a Docker engine: valid against the Compose Specification
and wired the way the deployment promises (AOF, health gates, restart on any exit). The
observability profile is checked in test_dashboard.py, Kubernetes in test_kubernetes.py and the
alert rules in test_prometheus_rules.py."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.tools import require_binary
from tests.helpers import reference_dir

ROOT = Path(__file__).resolve().parents[2]
SPEC = reference_dir() / "specs" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    if not SPEC.exists():
        pytest.skip(f"the Compose Specification schema is not at {SPEC} (team reference folder)")
    schema = json.loads(SPEC.read_text())
    # The spec names a draft-07 metaschema by an id jsonschema does not know; validate as 7.
    jsonschema.Draft7Validator(schema).validate(compose)


def test_redis_keeps_an_append_only_file_and_has_a_healthcheck(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    assert "--appendonly" in redis["command"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert redis["healthcheck"]["test"][-1] == "ping"
    assert any(v.endswith(":/data") for v in redis["volumes"])


@pytest.mark.parametrize("service", ["sentiment", "router", "handoff", "archive"])
def test_services_wait_for_healthy_redis_and_always_restart(
    compose: dict[str, Any], service: str
) -> None:
    svc = compose["services"][service]
    assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
    assert svc["restart"] == "always"
    assert svc["command"] == [f"rapport-{service}"]
    assert "/readyz" in " ".join(svc["healthcheck"]["test"])
    assert svc["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_dockerfile_runs_as_non_root_and_copies_only_the_venv() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "USER rapport" in runtime
    copies = [line for line in runtime.splitlines() if line.startswith("COPY")]
    assert copies == ["COPY --from=builder --chown=rapport:rapport /app/.venv /app/.venv"]


def test_the_archive_writes_to_a_healthy_postgres_and_the_console_reads_it(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    postgres, archive, console = services["postgres"], services["archive"], services["console"]
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "ports" not in postgres  # the compose network only
    assert archive["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = archive["environment"]["RAPPORT_ARCHIVE_URL"]
    assert url.startswith("postgresql://") and "@postgres:5432/" in url
    # The console's analytics read the same store, once the archive (its migrations) is up.
    assert console["environment"]["RAPPORT_ARCHIVE_URL"] == url
    assert console["depends_on"]["archive"]["condition"] == "service_healthy"
    assert console["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "postgres-data" in compose["volumes"]


@pytest.mark.parametrize("service", ["sentiment", "router"])
def test_a_stage_runs_as_many_replicas_as_its_variable_says(
    compose: dict[str, Any], service: str
) -> None:
    svc = compose["services"][service]
    assert svc["deploy"]["replicas"] == f"${{RAPPORT_{service.upper()}_REPLICAS:-1}}"
    env = svc["environment"]
    # Identical replicas (compose gives a container no index): every one reads every
    # partition, and none is given a consumer name, so each keeps its own <host>-<pid>.
    assert env["RAPPORT_CONSUMER_PARTITIONS"] == "all"
    assert "RAPPORT_CONSUMER_NAME" not in env


def test_every_service_has_the_one_partition_count(compose: dict[str, Any]) -> None:
    for name in ("sentiment", "router", "edge", "handoff", "console", "archive"):
        env = compose["services"][name]["environment"]
        assert env["RAPPORT_PARTITIONS"] == "${RAPPORT_PARTITIONS:-1}", name


def test_the_edge_stays_one_container_on_its_published_port(compose: dict[str, Any]) -> None:
    """Replicas of the edge would fight over the one host port it publishes."""
    edge = compose["services"]["edge"]
    assert edge["ports"] and "deploy" not in edge
    assert edge["ports"] == ["${RAPPORT_BIND:-127.0.0.1}:${RAPPORT_EDGE_PORT:-8080}:8080"]


def test_the_edge_and_the_handoff_stage_are_two_processes_of_one_program(
    compose: dict[str, Any],
) -> None:
    """Issue 14: a burst of webhooks must not wait behind the handoffs' HTTP calls in one
    event loop. The stage publishes nothing and scales like the other stages."""
    edge, stage = compose["services"]["edge"], compose["services"]["handoff"]
    assert edge["command"] == stage["command"] == ["rapport-handoff"]
    assert edge["environment"]["RAPPORT_HANDOFF_ROLE"] == "edge"
    assert stage["environment"]["RAPPORT_HANDOFF_ROLE"] == "stage"
    assert "ports" not in stage
    assert stage["deploy"]["replicas"] == "${RAPPORT_HANDOFF_REPLICAS:-1}"
    assert edge["depends_on"]["redis"]["condition"] == "service_healthy"
    assert edge["restart"] == "always" and "/readyz" in " ".join(edge["healthcheck"]["test"])
    assert (
        edge["environment"]["RAPPORT_METRICS_PORT"] != stage["environment"]["RAPPORT_METRICS_PORT"]
    )


def test_docker_compose_renders_the_replica_count_from_the_environment() -> None:
    binary = require_binary("docker-compose", "docker-compose")
    result = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
        env={
            **os.environ,
            "RAPPORT_ROUTER_REPLICAS": "3",
            "RAPPORT_HANDOFF_REPLICAS": "2",
            "RAPPORT_PARTITIONS": "4",
        },
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["router"]["deploy"]["replicas"] == 3
    assert services["sentiment"]["deploy"]["replicas"] == 1
    assert services["handoff"]["deploy"]["replicas"] == 2
    counts = {
        name: str(s["environment"]["RAPPORT_PARTITIONS"])
        for name, s in services.items()
        if name.startswith(("sentiment", "router", "edge", "handoff", "console", "archive"))
    }
    assert set(counts.values()) == {"4"}, counts
