"""The issue's "done when", as a test: the three services and the console as real processes
on a real Redis; the README's two example messages go in through the signed webhook, and a
browser signs in and sees the escalated conversation with its chart and reasons."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from rapport_tools.dev import free_port
from tests.console.test_browser import ARGS, CHROMIUM
from tests.e2e.conftest import Pipeline, pipeline  # noqa: F401 - the fixture
from tests.helpers import message, signed, wait_until

pytestmark = pytest.mark.e2e

ESCALATE = "This is the third time I'm writing, I want to talk to a real person"
ROUTINE = "How do I reset my password?"


def post(p: Pipeline, body: dict[str, Any]) -> None:
    raw, headers = signed(body)
    answer = httpx.post(f"{p.edge}/v1/sites/demo/messages", content=raw, headers=headers, timeout=5)
    assert answer.status_code == 202, answer.text


@pytest.fixture
def console_url(pipeline: Pipeline) -> Iterator[str]:  # noqa: F811 - the imported fixture
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rapport_console"],
        env={**pipeline.env, "RAPPORT_PORT": str(port)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the console exited with {process.returncode}"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the console did not become ready"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_readme_walkthrough_in_the_console(
    pipeline: Pipeline,  # noqa: F811 - the imported fixture
    console_url: str,
) -> None:
    post(pipeline, message("c1", "m1", ESCALATE))
    post(pipeline, message("c2", "m1", ROUTINE))

    def handed_off() -> bool:
        reply = httpx.get(
            f"{pipeline.edge}/v1/sites/demo/conversations/c1",
            headers={"Authorization": "Bearer e2e-admin-token"},
            timeout=5,
        )
        return reply.status_code == 200 and bool(reply.json()["handoffs"])

    wait_until(handed_off, timeout=10)
    assert CHROMIUM.exists(), f"no chromium at {CHROMIUM} (`apt-get install -y chromium`)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(console_url + "/")
            page.fill("#token", "e2e-admin-token")
            page.click("#login button[type=submit]")
            expect(page.locator("#waiting tbody tr")).to_have_count(1)
            expect(page.locator("#waiting")).to_contain_text("c1")
            expect(page.locator("#feed")).to_contain_text("c2")
            page.click("#waiting a:text('c1')")
            expect(page).to_have_url(re.compile(r"/conversations/c1$"))
            expect(page.locator("#sentiment-chart circle.dot.sentiment")).to_have_count(1)
            expect(page.locator("table.reasons")).to_contain_text("human_request")
            expect(page.locator(".decision.route-human")).to_contain_text("explicit-human-request")
            expect(page.locator("mark.evidence[data-signal=human_request]")).to_contain_text(
                "real person"
            )
            expect(page.locator("#handoffs")).to_contain_text("delivered")
        finally:
            browser.close()
