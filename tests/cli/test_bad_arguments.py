"""Every command, given bad arguments, answers with one line on standard error saying what is
wrong (and what to type), exit code 2, and no traceback: run as a user types them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rapport_tools.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = str(ROOT / "shared/runtime/src/rapport_runtime/default_policy.yaml")

BAD: list[tuple[list[str], str]] = [
    (["nosuchcommand"], "No such command"),
    (["dev", "--port", "abc"], "--port"),
    (["dev", "--port", "0"], "not a port"),
    (["dev", "--redis-port", "70000"], "not a port"),
    (["dev", "--bogus"], "No such option"),
    (["send"], "Missing argument"),
    (["send", "--author", "robot", "hi"], "robot"),
    (["send", "--attribute", "plan", "hi"], "KEY=VALUE"),
    (["send", "   "], "empty"),
    (["send", "--wait", "soon", "hi"], "--wait"),
    (["resolve"], "--conversation"),
    (["resolve", "--conversation", "c1", "--status", "done"], "solved, closed"),
    (["resolve", "--conversation", "../x"], "--conversation"),
    (["resolve", "--conversation", "c1", "--site", "Not A Site"], "--site"),
    (["resolve", "--conversation", "c1", "--wait", "soon"], "--wait"),
    (["schemas", "--bogus"], "No such option"),
    (["asyncapi", "extra"], "unexpected extra argument"),
    (["adapters", "extra"], "unexpected extra argument"),
    (["config"], "Usage"),
    (["config", "check"], "give the sites file"),
    (["config", "check", "/nonexistent/sites.yaml"], "no such file"),
    (["policy"], "Usage"),
    (["policy", "nosuch"], "No such command"),
    (["policy", "check"], "Missing argument"),
    (["policy", "schema", "extra"], "unexpected extra argument"),
    (["policy", "signals", "--bogus"], "No such option"),
    (["policy", "replay", DEFAULT_POLICY], "--input FILE.jsonl or --from-stream"),
    (["policy", "replay", DEFAULT_POLICY, "--from-stream", "--since", "yesterday"], "--since"),
    (["policy", "diff"], "--site"),
    (["policy", "diff", "--site", "demo", "--since", "soon"], "--since"),
    (["dlq"], "Usage"),
    (["dlq", "list", "--count", "0"], "--count"),
    (["dlq", "list", "--older-than", "a while"], "--older-than"),
    (["dlq", "show"], "Missing argument"),
    (["dlq", "show", "latest"], "not a dead-letter entry id"),
    (["dlq", "purge"], "say which dead letters to purge"),
    (["dlq", "purge", "--newer-than", "soon"], "--newer-than"),
    (["dlq", "replay"], "Missing argument"),
    (["dlq", "replay", "garbage"], "not a dead-letter entry id"),
    (["dlq", "replay", "1-0", "1764151200000-0", "x-y"], "'x-y'"),
    (["status", "--watch", "0.1"], "--watch"),
    (["status", "--sample", "soon"], "--sample"),
    (["forget"], "--site"),
    (["forget", "--site", "demo"], "exactly one of --conversation C or --customer ID"),
    (["forget", "--site", "demo", "--conversation", "c1", "--customer", "u1"], "exactly one"),
    (["eval"], "Usage"),
    (["eval", "/nonexistent/file.jsonl"], "/nonexistent/file.jsonl"),
    (["eval", "predict"], "Missing argument"),
    (["eval", "score"], "Missing argument"),
    (["eval", "run"], "Missing argument"),
    (["eval", "run", "--boot", "-1", "x.jsonl"], "--boot"),
    (["bench", "--duration", "0"], "--duration"),
    (["bench", "--adapter", "carrier-pigeon"], "--adapter"),
]


def _command_paths() -> set[tuple[str, ...]]:
    """Every command and group `rapport --help` offers, e.g. ("dlq", "replay")."""
    import typer.main

    found: set[tuple[str, ...]] = set()

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.add(path)
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found - {()}


def test_every_command_is_tried_with_bad_arguments() -> None:
    """A command added later without a bad-argument case here fails this test."""
    tried = {tuple(argv[: len(path)]) for argv, _ in BAD for path in _command_paths()}
    missing = sorted(" ".join(path) for path in _command_paths() if path not in tried)
    assert not missing, f"add a bad-argument case for: {', '.join(missing)}"
    assert len(_command_paths()) >= 24, sorted(_command_paths())


@pytest.fixture(autouse=True)
def _no_redis_around(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("REDIS_URL", "RAPPORT_REDIS_URL", "RAPPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAPPORT_DEV_STATE", str(tmp_path / "no-dev.json"))


@pytest.mark.parametrize(("argv", "says"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_arguments_give_one_line_and_exit_code_2(argv: list[str], says: str) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    if says == "Usage":  # a bare group shows its help (click's rule for no_args_is_help)
        assert "Usage:" in result.output
        return
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and says in lines[0], lines[0]
    assert result.stdout == ""


def _uv() -> str:
    uv = shutil.which("uv")
    assert uv, "uv is needed (the README's set-up installs it)"
    return uv


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["dlq", "replay", "garbage"], "not a dead-letter entry id"),
        (["policy", "check"], "Missing argument"),
        (["send", "--author", "robot", "hi"], "robot"),
        (["policy", "replay", DEFAULT_POLICY], "--input FILE.jsonl or --from-stream"),
    ],
)
def test_as_typed_in_a_shell(argv: list[str], says: str, tmp_path: Path) -> None:
    # `uv run` exactly as the README writes it (--no-sync: never touch the venv under test).
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "RAPPORT_DEV_STATE": str(tmp_path / "no-dev.json"),
    }
    done = subprocess.run(
        [_uv(), "run", "--no-sync", "rapport", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_redis_that_does_not_answer_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rapport_tools.dev import free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    result = CliRunner().invoke(app, ["dlq", "list"])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot reach Redis" in errors[0], result.stderr
    assert "Traceback" not in result.output


def test_the_cli_mirror_of_the_demo_secret_variable_is_right() -> None:
    from rapport_runtime.config import DEMO_SECRET_ENV
    from rapport_tools import cli

    assert cli.DEMO_SECRET_ENV == DEMO_SECRET_ENV
