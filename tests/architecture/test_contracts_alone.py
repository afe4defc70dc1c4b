"""A third party reads Rapport's streams with the contracts package alone: it installs into an
empty virtual environment with nothing but Pydantic, and parses what is really on a stream."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
import redis as redis_sync

from rapport_contracts import DATA_FIELD, Decision, Reason, Streams

ROOT = Path(__file__).resolve().parents[2]
READER = """
import sys
from rapport_contracts import Decision
for line in sys.stdin.buffer.read().split(b"\\n"):
    if line:
        d = Decision.read(line)
        print(d.decision_id, d.route, d.queue)
for heavy in ("redis", "faststream", "starlette", "uvicorn", "typer", "yaml"):
    try:
        __import__(heavy)
    except ImportError:
        continue
    raise SystemExit(f"{heavy} came with the contracts package")
"""


@pytest.mark.integration
def test_contracts_install_alone_and_read_a_real_stream(
    tmp_path: Path, redis_client: redis_sync.Redis, prefix: str
) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to build the contracts wheel (the README's set-up installs it)"
    streams = Streams(prefix)
    decision = Decision(
        decision_id="d-1",
        site="demo",
        conversation_id="c1",
        message_id="m1",
        route="human",
        queue="billing",
        priority="high",
        reasons=(Reason(rule="explicit-human-request"),),
        policy_id="default",
        policy_version="4",
        classifier_version="test",
    )
    # A newer writer's extra field must not break this older-or-equal reader either.
    raw = decision.model_dump_json()[:-1] + ',"added_by_a_newer_writer": 1}'
    redis_client.xadd(streams.decisions, {DATA_FIELD: raw})
    entries = redis_client.xrange(streams.decisions)
    payload = b"\n".join(cast("bytes", fields[DATA_FIELD.encode()]) for _, fields in entries)

    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    dist = tmp_path / "dist"
    subprocess.run(
        [uv, "build", "--package", "rapport-contracts", "--wheel", "--out-dir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    venv = tmp_path / "venv"
    subprocess.run(
        [uv, "venv", "--python", sys.executable, str(venv)],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    python = venv / "bin" / "python"
    wheel = next(dist.glob("rapport_contracts-*.whl"))
    subprocess.run(
        [uv, "pip", "install", "--python", str(python), str(wheel)],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    result = subprocess.run(
        [str(python), "-c", READER], input=payload, capture_output=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["d-1", "human", "billing"]
