"""How the other ``rapport`` commands find a running ``rapport dev``: a small JSON file with its
Redis URL, key prefix and ports, written when dev is ready and removed when it stops. It also
says how to sign for it: the sites file its services read (``sites_file``), or, for the
built-in demo site only, that site's development secret (``demo_secret``); a configured
site's secret is never written. The file is readable by its owner only.

The file lives in ``$RAPPORT_DEV_STATE`` when set, else ``$XDG_RUNTIME_DIR/rapport/dev.json``,
else ``~/.cache/rapport/dev.json``. A file whose process is gone is ignored. Standard library
only: every command reads it, ``rapport --help`` included, so it must cost nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

STATE_ENV = "RAPPORT_DEV_STATE"


@dataclass(frozen=True)
class DevState:
    pid: int
    redis_url: str
    prefix: str
    edge_port: int
    sentiment_port: int
    router_port: int
    redis_embedded: bool
    redis_pid: int | None = None
    sites_file: str | None = None  # the RAPPORT_CONFIG the services read; None: the demo site
    demo_secret: str | None = None  # the built-in demo site's development secret

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.edge_port}"


def state_path() -> Path:
    if given := os.environ.get(STATE_ENV):
        return Path(given)
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        return Path(runtime) / "rapport" / "dev.json"
    return Path.home() / ".cache" / "rapport" / "dev.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def write_state(state: DevState) -> Path:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{state.pid}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(json.dumps(asdict(state), indent=2) + "\n")
    tmp.replace(path)
    return path


def read_state() -> DevState | None:
    """The running ``rapport dev``'s state, or None (no file, unreadable, or its process
    has exited)."""
    try:
        data = json.loads(state_path().read_text("utf-8"))
        state = DevState(**data)
    except (OSError, ValueError, TypeError):
        return None
    return state if _alive(state.pid) else None


def remove_state(pid: int) -> None:
    """Remove the file if it still describes process ``pid`` (another dev may own it now)."""
    path = state_path()
    with contextlib.suppress(OSError, ValueError, TypeError):
        if json.loads(path.read_text("utf-8")).get("pid") == pid:
            path.unlink()
