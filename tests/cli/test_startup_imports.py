"""`rapport --help` stays fast because no command module imports anything heavy at the top
(the time itself is measured by benchmarks/cli_startup.py, not here): checked in a fresh
interpreter, for the top-level help and every command's."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY: tuple[str, ...] = ("pydantic", "httpx", "redis", "yaml", "rich", "rapport_contracts")
HEAVY += ("rapport_runtime", "rapport_sentiment", "rapport_router", "rapport_handoff")
HEAVY += ("rapport_console",)

PROBE = """
import sys
from rapport_tools.cli import app
import typer.main
try:
    typer.main.get_command(app).main({argv!r}, prog_name="rapport")
except SystemExit:
    pass
heavy = {heavy!r}
print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))), file=sys.stderr)
"""


HELPS = ("", "send", "resolve", "policy", "dlq replay", "eval", "bench", "dev", "status")


@pytest.mark.parametrize("argv", [[*c.split(), "--help"] for c in HELPS], ids=" ".join)
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    # A command's own help makes typer load its parameter adapters, which import pydantic
    # (typer's cost, not ours); `rapport --help` alone must not even do that.
    heavy = HEAVY if argv == ["--help"] else tuple(m for m in HEAVY if m != "pydantic")
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=heavy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.strip() == "", f"`rapport {' '.join(argv)}` imported {done.stderr}"
