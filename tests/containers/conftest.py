"""Container tests need a Docker engine and the images `.ci/run` builds. In CI
(``RAPPORT_REQUIRE_DOCKER=1``) their absence is a failure; on a laptop without Docker they skip
and say why."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import docker_answers

APP_IMAGE = os.environ.get("RAPPORT_TEST_APP_IMAGE", "rapport:local")
REDIS_IMAGE = os.environ.get("RAPPORT_TEST_REDIS_IMAGE", "redis:7-alpine")


def docker(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=check
    )


def _unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    if not docker_answers():
        return f"no Docker engine answers at {os.environ.get('DOCKER_HOST', 'the default socket')}"
    for image in (APP_IMAGE, REDIS_IMAGE):
        if docker("image", "inspect", image, check=False).returncode != 0:
            return f"image {image} is not built (bash .ci/run builds it)"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> None:
    problem = _unavailable()
    if problem is None:
        return
    why = os.environ.get("RAPPORT_DOCKER_PROBLEM", "")
    message = f"container tests need Docker: {problem}. {why}".strip()
    if os.environ.get("RAPPORT_REQUIRE_DOCKER") == "1":
        pytest.fail(message)
    pytest.skip(message + " (set RAPPORT_REQUIRE_DOCKER=1 to make this a failure)")


@pytest.fixture
def network(docker_ready: None) -> Iterator[str]:
    name = f"rapport-test-{uuid.uuid4().hex[:8]}"
    docker("network", "create", name)
    yield name
    docker("network", "rm", name, check=False)
