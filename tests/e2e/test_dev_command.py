"""The README's first command, as a new user runs it: `rapport dev`, then `rapport send`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rapport_tools.dev import free_port

pytestmark = pytest.mark.e2e

RAPPORT = [sys.executable, "-m", "rapport_tools.cli"]


def test_rapport_dev_runs_the_pipeline_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "RAPPORT_CONFIG"}}
    env["RAPPORT_PREFIX"] = f"devtest{port}"  # the embedded Redis is private anyway
    log = (tmp_path / "dev.log").open("w+")
    dev = subprocess.Popen(
        [*RAPPORT, "dev", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while "Rapport is running" not in (tmp_path / "dev.log").read_text():
            assert dev.poll() is None, (tmp_path / "dev.log").read_text()
            assert time.monotonic() < deadline, "rapport dev did not start"
            time.sleep(0.2)
        send = subprocess.run(
            [
                *RAPPORT,
                "send",
                "--url",
                f"http://127.0.0.1:{port}",
                "--site",
                "demo",
                "--conversation",
                "c1",
                "This is the third time I'm writing, I want to talk to a real person",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert send.returncode == 0, send.stderr
        assert (
            "decision: human queue=support priority=high rule=explicit-human-request" in send.stdout
        )
        assert "handoff: inbox delivered" in send.stdout
        routine = subprocess.run(
            [
                *RAPPORT,
                "send",
                "--url",
                f"http://127.0.0.1:{port}",
                "--conversation",
                "c2",
                "How do I reset my password?",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "decision: automation" in routine.stdout
        bad = subprocess.run(
            [*RAPPORT, "send", "--url", f"http://127.0.0.1:{port}", "--secret", "wrong", "hello"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert bad.returncode == 1
        assert "HTTP 401" in bad.stderr and "bad_signature" in bad.stderr
        deadline = time.monotonic() + 5
        while "rule=default" not in (tmp_path / "dev.log").read_text():
            assert time.monotonic() < deadline, "rapport dev printed no decision lines"
            time.sleep(0.1)
    finally:
        dev.send_signal(signal.SIGINT)
        code = dev.wait(timeout=60)
        log.close()
    output = (tmp_path / "dev.log").read_text()
    assert code == 0, output
    assert "decision demo/c1" in output and "HUMAN queue=support" in output
    assert "rapport dev: stopped" in output
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_rapport_dev_refuses_a_busy_port_clearly() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*RAPPORT, "dev", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stderr
    assert "Traceback" not in result.stderr
