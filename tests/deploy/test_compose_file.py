"""The compose file, checked without a Docker engine: valid against the Compose Specification
and wired the way the deployment promises (AOF, health gates, restart on any exit). The
observability profile is checked in test_dashboard.py, Kubernetes in test_kubernetes.py and the
alert rules in test_prometheus_rules.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

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
