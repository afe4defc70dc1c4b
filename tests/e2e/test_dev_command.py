"""The README's first command, as a new user runs it: `rapport dev`, then the other commands
in another terminal, finding it through its state file; and dev surviving its Redis's death."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis as redis_sync

from rapport_runtime.signing import sign
from rapport_tools.dev import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RAPPORT = [sys.executable, "-m", "rapport_tools.cli"]
# The entry point `uv run rapport` runs (without uv's sync step, which must not touch the venv
# while tests run).
RAPPORT_BIN = str(Path(sys.executable).parent / "rapport")


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "RAPPORT_REDIS_URL", "RAPPORT_CONFIG", "RAPPORT_PREFIX"}
    }
    env["RAPPORT_DEV_STATE"] = str(tmp_path / "dev.json")  # never the user's own
    return env


class Dev:
    def __init__(self, tmp_path: Path, argv: list[str], env: dict[str, str]) -> None:
        self.log_path = tmp_path / "dev.log"
        self.log = self.log_path.open("w+")
        self.process = subprocess.Popen(
            [*RAPPORT, "dev", *argv], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output()[after:]:
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output()}"
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self.log.close()
        return code


@pytest.fixture
def dev_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[Dev] = []

    def start(argv: list[str], env: dict[str, str]) -> Dev:
        dev = Dev(tmp_path, argv, env)
        started.append(dev)
        dev.wait_for("Rapport is running")
        return dev

    yield start
    for dev in started:
        if dev.process.poll() is None:
            dev.stop()


def test_rapport_dev_runs_the_pipeline_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
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


def test_rapport_dev_refuses_a_busy_port_clearly(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*RAPPORT, "dev", "--port", str(free_port()), "--router-port", str(port)],
            env=_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} is already in use; choose another with --router-port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dev.json").exists()


def _readme_walk_through() -> list[tuple[str, list[str]]]:
    """The commands of the README's "Try it" block, each with the output it shows."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Try it", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    steps: list[tuple[str, list[str]]] = []
    for line in section.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    return steps


def _normalise(line: str) -> str:
    line = re.sub(r"\bm-[0-9a-f]{12}\b", "m-ID", line)
    line = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", line)
    return re.sub(r"pid \d+", "pid N", line)


def _shape_holds(shown: Any, real: Any, where: str = "answer") -> None:
    """Every key the README shows is in the real answer, recursively (values may differ)."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), f"{where} is not an object"
        for key, value in shown.items():
            assert key in real, f"{where}.{key} is shown in the README but not in the answer"
            _shape_holds(value, real[key], f"{where}.{key}")
    elif isinstance(shown, list) and shown:
        assert isinstance(real, list) and real, f"{where} is empty"
        for item in shown:
            problems = []
            for candidate in real:
                try:
                    _shape_holds(item, candidate, f"{where}[]")
                    break
                except AssertionError as exc:
                    problems.append(str(exc))
            else:
                raise AssertionError(problems[0])


def _uv() -> str:
    uv = shutil.which("uv")
    assert uv, "uv is needed (the README's set-up installs it)"
    return uv


def _as_typed(command: str) -> list[str]:
    """A README line as the user types it; `--no-sync` only, so that uv never re-syncs the
    virtual environment under test."""
    argv = shlex.split(command)
    assert argv[:3] == ["uv", "run", "rapport"], command
    return [_uv(), "run", "--no-sync", *argv[2:]]


def test_the_readme_walk_through_as_typed(tmp_path: Path, dev_factory: Any) -> None:
    """Send with a customer, an agent answers, resolve it, see the bot resume, read the
    conversation: the README's commands, typed one after the other in another terminal
    (`uv run rapport ...` against a real `rapport dev`), printing what the README shows."""
    env = _env(tmp_path, 0)
    dev = dev_factory(["--port", "8080"] if _free(8080) else ["--port", str(free_port())], env)
    state = json.loads((tmp_path / "dev.json").read_text())
    assert f"export REDIS_URL={state['redis_url']}" in dev.output()
    steps = _readme_walk_through()
    assert [cmd.split()[3] for cmd, _ in steps[:3]] == ["send", "send", "resolve"]
    assert "--customer u42 --tier gold" in steps[0][0]
    for command, shown in steps:
        done = subprocess.run(
            _as_typed(command),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        out = [_normalise(line) for line in done.stdout.splitlines() if line.strip()]
        expected_out = [_normalise(line) for line in shown if not line.startswith("redis: ")]
        assert out == expected_out, f"{command}\n--- README:\n{shown}\n--- got:\n{out}"
        for line in shown:
            if line.startswith("redis: "):
                assert _normalise(line) in map(_normalise, done.stderr.splitlines()), done.stderr
    # The bot was told to resume c1: the router's instruction on the public stream.
    redis = redis_sync.Redis.from_url(state["redis_url"])
    try:
        instructions = [
            json.loads(fields[b"__data__"])
            for _, fields in redis.xrange(f"{state['prefix']}:automation")
        ]
    finally:
        redis.close()
    assert [i["action"] for i in instructions if i["conversation_id"] == "c1"][-1] == "resume"
    # `resolve` went through the edge like any helpdesk webhook: a system message, recorded.
    view = httpx.get(
        f"http://127.0.0.1:{state['edge_port']}/v1/sites/demo/conversations/c1",
        headers={"Authorization": "Bearer dev-admin-token"},
        timeout=5,
    ).json()
    [solved] = [m for m in view["messages"] if m["author"] == "system"]
    assert (solved["text"], solved["provider_ids"]) == ("ticket solved", {"status": "solved"})
    # The conversation, with the README's own curl command.
    text = (ROOT / "README.md").read_text()
    curl = text.split("sees it (every message", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    curl = curl.replace("127.0.0.1:8080", f"127.0.0.1:{state['edge_port']}")
    shown_curl = subprocess.run(
        ["bash", "-c", curl], env=env, capture_output=True, text=True, timeout=30, check=True
    )
    view = json.loads(shown_curl.stdout)
    example = text.split("answers (abridged", 1)[1]
    shown_json = json.loads(example.split("```json\n", 1)[1].split("```", 1)[0])
    _shape_holds(shown_json, view)
    assert view["state"]["owner"] == shown_json["state"]["owner"] == "resolved"
    [handoff] = view["handoffs"]
    assert handoff["packet"]["customer"] == {
        "id": "u42",
        "email": None,
        "name": None,
        "tier": "gold",
        "attributes": {},
    }
    assert [d["policy_version"] for d in view["decisions"]] == ["5"]
    # The README's redis-cli line, after the `export REDIS_URL=...` the banner prints.
    xread = text.split("redis-cli -u", 1)[0].rsplit("```bash\n", 1)[1] + "redis-cli -u"
    xread += text.split("redis-cli -u", 1)[1].split("\n", 1)[0]
    read = subprocess.run(
        ["bash", "-c", xread],
        env={**env, "REDIS_URL": state["redis_url"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "explicit-human-request" in read.stdout, read.stdout + read.stderr
    # Other commands find dev's Redis through its state file, and say so.
    listed = subprocess.run(
        _as_typed("uv run rapport dlq list"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"redis: {state['redis_url']} (the running `rapport dev`, pid {state['pid']})" in (
        listed.stderr
    )
    assert dev.stop() == 0
    assert not (tmp_path / "dev.json").exists(), "the state file outlived rapport dev"


def test_the_other_commands_use_the_running_dev_and_sign_with_its_secret(
    tmp_path: Path, dev_factory: Any
) -> None:
    """`rapport dev` started with its own demo secret: the other terminal does not have it,
    and `send` and `resolve` still sign right (the state file says how); the Redis commands
    (policy replay --from-stream, policy diff, dlq, status) use dev's Redis and say so; once
    dev is gone, `resolve` says in one line that nothing answers."""
    port = free_port()
    env = _env(tmp_path, port)
    dev = dev_factory(["--port", str(port)], {**env, "RAPPORT_DEMO_SECRET": "only-dev-knows"})
    assert (tmp_path / "dev.json").stat().st_mode & 0o077 == 0, "the state file is private"
    for command in (
        'uv run rapport send --conversation s1 "I want to talk to a real person"',
        "uv run rapport send --conversation s1 --author agent 'Hello, Sam here'",
        "uv run rapport resolve --conversation s1",
        "uv run rapport resolve --conversation s1",
    ):
        done = subprocess.run(
            _as_typed(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "nothing to resolve: conversation s1 is already resolved" in done.stdout
    # The customer fields `send` takes reach the conversation as the edge recorded them.
    sent = subprocess.run(
        _as_typed(
            "uv run rapport send --conversation s4 --channel email --language de "
            "--customer u7 --tier silver --email jo@example.com --attribute plan=pro "
            "--attribute seats=12 'Wo ist meine Bestellung?'"
        ),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    state = json.loads((tmp_path / "dev.json").read_text())
    view = httpx.get(
        f"http://127.0.0.1:{port}/v1/sites/demo/conversations/s4",
        headers={"Authorization": "Bearer dev-admin-token"},
        timeout=5,
    ).json()
    [message] = view["messages"]
    assert (message["channel"], message["language"]) == ("email", "de")
    assert message["customer"] == {
        "id": "u7",
        "email": "jo@example.com",
        "name": None,
        "tier": "silver",
        "attributes": {"plan": "pro", "seats": 12},
    }
    # Every Redis command uses dev's Redis (its state file) and says so on standard error.
    here = f"redis: {state['redis_url']} (the running `rapport dev`, pid {state['pid']})"
    policy = "shared/runtime/src/rapport_runtime/default_policy.yaml"
    for command, says in (
        (f"uv run rapport policy replay {policy} --from-stream", "escalated"),
        ("uv run rapport policy diff --site demo", "no shadow decisions for site 'demo'"),
        ("uv run rapport dlq list", "no dead letters match"),
        ("uv run rapport status", "rapport:messages"),
    ):
        done = subprocess.run(
            _as_typed(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert here in done.stderr, f"{command}\n{done.stderr}"
        assert says in done.stdout, f"{command}\n{done.stdout}"
    replayed = subprocess.run(
        _as_typed(f"uv run rapport policy replay {policy} --from-stream"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert re.search(r"candidate +default@5: [1-9]\d*/[1-9]\d* escalated", replayed.stdout), (
        replayed.stdout
    )
    for command in (
        'uv run rapport send --conversation s2 "I want to talk to a real person"',
        "uv run rapport resolve --conversation s2 --secret wrong",
    ):
        wrong = subprocess.run(
            _as_typed(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    assert wrong.returncode == 1
    assert wrong.stderr.count("\n") == 1 and "HTTP 401" in wrong.stderr, wrong.stderr
    assert "bad_signature" in wrong.stderr
    # The edge's side of it: a status only with author `system`, and `system` only with one.
    for body in (
        {"author": "system", "text": "ticket solved"},
        {"author": "customer", "text": "hello", "status": "solved"},
        {"author": "system", "text": "ticket solved", "status": "done"},
    ):
        raw = json.dumps({"conversation_id": "s3", "message_id": "x1", **body}).encode()
        reply = httpx.post(
            f"http://127.0.0.1:{port}/v1/sites/demo/messages",
            content=raw,
            headers={"Content-Type": "application/json", **sign("only-dev-knows", raw)},
            timeout=5,
        )
        assert reply.status_code == 422, reply.text
        assert [f["field"] for f in reply.json()["fields"]] == ["status"], reply.text
    never = subprocess.run(
        _as_typed("uv run rapport resolve --conversation never-seen"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert never.returncode == 1
    assert "Rapport has no record of conversation 'never-seen'" in never.stderr
    assert dev.stop() == 0
    down = subprocess.run(
        _as_typed(f"uv run rapport resolve --conversation s1 --url http://127.0.0.1:{port}"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1
    errors = [line for line in down.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, down.stderr
    assert errors[0].startswith(f"error: cannot reach http://127.0.0.1:{port}: ")
    assert "Is `uv run rapport dev` running?" in errors[0]
    assert "Traceback" not in down.stderr


def _free(port: int) -> bool:
    from rapport_tools.dev import port_is_free

    return port_is_free(port)


def test_with_a_sites_file_send_and_resolve_read_the_secret_dev_reads(
    tmp_path: Path, dev_factory: Any
) -> None:
    """`rapport dev` on a sites file: the state file names the file (never a secret), and
    `send`/`resolve` in another shell resolve that site's secret from it; a secret only dev's
    shell can see is one line saying what to do."""
    secret_file = tmp_path / "acme.secret"
    secret_file.write_text("acme-secret-from-a-file")
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n"
        f"  acme:\n    secret: {{file: {secret_file}}}\n    adapter: {{type: inbox}}\n"
        "    policy: default\n"
        "  beta:\n    secret: {env: BETA_ONLY_IN_DEV}\n    adapter: {type: inbox}\n"
        "    policy: default\n"
    )
    port = free_port()
    env = _env(tmp_path, port)
    dev_env = {**env, "RAPPORT_CONFIG": str(sites), "BETA_ONLY_IN_DEV": "beta-secret-1234"}
    dev_factory(["--port", str(port)], dev_env)
    state_text = (tmp_path / "dev.json").read_text()
    assert json.loads(state_text)["sites_file"] == str(sites)
    assert "acme-secret" not in state_text and "beta-secret" not in state_text
    for command, says in (
        (
            'uv run rapport send --site acme --conversation a1 "I want to talk to a real person"',
            "rule=explicit-human-request",
        ),
        ("uv run rapport resolve --site acme --conversation a1", "automation: resume"),
    ):
        done = subprocess.run(
            _as_typed(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and says in done.stdout, done.stdout + done.stderr
    for command, code, says in (
        (
            "uv run rapport send --site beta hello",
            1,
            f"cannot read the secret of site 'beta' from {sites}: environment variable "
            "BETA_ONLY_IN_DEV is not set or empty; set it in this shell too, or give --secret",
        ),
        ("uv run rapport resolve --site nosuch --conversation a1", 2, "no such site"),
    ):
        done = subprocess.run(
            _as_typed(command), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == code, done.stderr
        assert len(lines) == 1 and says in lines[0], done.stderr


def test_rapport_dev_restarts_its_redis_after_kill_9(tmp_path: Path, dev_factory: Any) -> None:
    ports = {name: free_port() for name in ("edge", "redis", "sentiment", "router")}
    env = _env(tmp_path, ports["edge"])
    dev = dev_factory(
        [
            "--port",
            str(ports["edge"]),
            "--redis-port",
            str(ports["redis"]),
            "--sentiment-port",
            str(ports["sentiment"]),
            "--router-port",
            str(ports["router"]),
        ],
        env,
    )
    state = json.loads((tmp_path / "dev.json").read_text())
    assert state["redis_url"] == f"redis://127.0.0.1:{ports['redis']}/0"
    for service in ("sentiment", "router"):
        assert httpx.get(f"http://127.0.0.1:{ports[service]}/readyz", timeout=5).status_code == 200
    mark = len(dev.output())
    os.kill(state["redis_pid"], signal.SIGKILL)
    dev.wait_for("Redis and the services are back", timeout=90, after=mark)
    after = dev.output()[mark:]
    assert "the embedded redis-server was killed by signal 9; restarting it" in after
    assert "Traceback" not in after, after
    assert len(after.splitlines()) < 20, after  # a few lines, not a flood
    sent = subprocess.run(
        [RAPPORT_BIN, "send", "--conversation", "after", "I want to talk to a real person"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "rule=explicit-human-request" in sent.stdout, sent.stdout + sent.stderr
    restarted = json.loads((tmp_path / "dev.json").read_text())
    assert restarted["redis_pid"] != state["redis_pid"]
    assert dev.stop() == 0
