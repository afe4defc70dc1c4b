"""Regenerates the console's screenshots (docs/console.md and the README show them) from the
seeded test conversation, in Debian's chromium at laptop and phone width: Now, a conversation,
Was it right?, the analytics (the real archive service writes the seeded streams to a SQLite
file in a temporary folder first) and a policy-lab replay of the lab tests' candidate:

    uv run python -m tests.console.screenshots [services/console/screenshots]

Uses ``REDIS_URL`` when set, else a private redis-server (as ``rapport dev`` does)."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import redis as redis_sync
from playwright.sync_api import sync_playwright
from pydantic import SecretStr

from rapport_archive.app import create_app as create_archive
from rapport_console.app import ConsoleSettings, create_app
from rapport_runtime.settings import RapportSettings
from rapport_tools.dev import embedded_redis, find_redis_server
from tests.console.conftest import archived, serving
from tests.console.seed import ESCALATED, seed
from tests.console.test_browser import ARGS, CHROMIUM
from tests.console.test_lab import CANDIDATE

TOKEN = "screenshot-token-0123456789"
PAGES = {
    "now": "/",
    "conversation": f"/sites/demo/conversations/{ESCALATED}",
    "feedback": "/feedback",
    "analytics": "/analytics",
}


def shoot(redis_url: str, out: Path) -> None:
    prefix = f"shots{uuid.uuid4().hex[:6]}"
    client = redis_sync.Redis.from_url(redis_url)
    seed(client, prefix)
    folder = tempfile.TemporaryDirectory()
    archive_url = f"sqlite:///{folder.name}/archive.db"
    settings = RapportSettings(
        redis_url=redis_url,
        prefix=prefix,
        admin_token=SecretStr(TOKEN),
        config=None,
        archive_url=archive_url,
    )
    try:
        with (
            serving(create_archive(settings)),
            serving(create_app(settings, ConsoleSettings())) as url,
        ):
            archived(archive_url, client, prefix)
            out.mkdir(parents=True, exist_ok=True)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                for tag, viewport in (("", (1280, 900)), ("-phone", (390, 844))):
                    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
                    page.goto(url + "/login")
                    page.fill("#token", TOKEN)
                    page.click("#login button[type=submit]")
                    page.wait_for_url(url + "/")
                    for name, path in PAGES.items():
                        page.goto(url + path)
                        page.screenshot(path=str(out / f"{name}{tag}.png"), full_page=True)
                        print(out / f"{name}{tag}.png")
                    page.goto(url + "/lab")
                    page.select_option("#lab-site", "demo")
                    page.fill("#lab-policy", CANDIDATE)
                    page.click("#lab button[type=submit]")
                    page.wait_for_selector("#lab-result")
                    page.screenshot(path=str(out / f"lab{tag}.png"), full_page=True)
                    print(out / f"lab{tag}.png")
                browser.close()
    finally:
        folder.cleanup()
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "services/console/screenshots")
    if url := os.environ.get("REDIS_URL"):
        shoot(url, out)
        return
    binary = find_redis_server()
    if binary is None:
        raise SystemExit("no Redis: set REDIS_URL or install redis-server")
    with embedded_redis(binary) as url:
        shoot(url, out)


if __name__ == "__main__":
    main()
