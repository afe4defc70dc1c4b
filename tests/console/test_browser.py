"""The console in a real browser: Debian's chromium driven by Playwright (never a downloaded
browser), against a running console on a real Redis holding a seeded conversation.

Skipped only when chromium is absent AND ``RAPPORT_REQUIRE_BROWSER`` is unset; CI sets it, so
a missing browser fails there instead of passing silently."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_sync

from rapport_runtime.settings import RapportSettings
from tests.console.conftest import TOKEN, Console, MakeConsole, archived, archiving
from tests.console.seed import CALM, ESCALATED, add_decision
from tests.console.test_lab import CANDIDATE

CHROMIUM = Path(os.environ.get("RAPPORT_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.integration

if not CHROMIUM.exists() and not os.environ.get("RAPPORT_REQUIRE_BROWSER"):
    pytest.skip(
        f"no chromium at {CHROMIUM} (`apt-get install -y chromium`); set "
        "RAPPORT_REQUIRE_BROWSER=1 to make this a failure",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"RAPPORT_REQUIRE_BROWSER is set but {CHROMIUM} is missing"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", on_dialog)
    yield opened
    context.close()
    assert dialogs == [], f"a page opened a dialog: {dialogs}"


def sign_in(page: Page, console: Console, target: str = "/") -> None:
    page.goto(console.url + target)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.fill("#token", TOKEN)
    page.click("#login button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(console.url + target) + "$"))


def test_sign_in_open_the_escalated_conversation_and_see_its_chart_and_reasons(
    page: Page, console: Console
) -> None:
    sign_in(page, console)
    waiting = page.locator("#waiting tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting.first).to_contain_text("support")
    expect(waiting.first).to_contain_text("high")
    page.click(f"#waiting a:text('{ESCALATED}')")
    expect(page).to_have_url(re.compile(f"/conversations/{ESCALATED}$"))
    chart = page.locator("#sentiment-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-turns", "3")
    sentiment = chart.locator("circle.dot.sentiment")
    expect(sentiment).to_have_count(3)
    assert [sentiment.nth(i).get_attribute("data-value") for i in range(3)] == [
        "0.00",
        "-0.50",
        "-0.80",
    ]
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # The line falls as the mood does: y grows downwards in SVG.
    ys = [float(sentiment.nth(i).get_attribute("cy") or 0) for i in range(3)]
    assert ys[0] < ys[1] < ys[2]
    decision = page.locator("#decision-d-esc-4")
    expect(decision).to_contain_text("explicit-human-request")
    expect(decision.locator("table.reasons")).to_contain_text("human_request")
    expect(decision.locator("table.reasons")).to_contain_text("0.95")
    expect(decision.locator("table.reasons")).to_contain_text("0.50")
    mark = page.locator("mark.evidence[data-signal=human_request]")
    expect(mark).to_have_text("talk to a real person")
    expect(page.locator("#handoffs")).to_contain_text("delivered")
    expect(page.locator("#timeline a:text('ticket')")).to_have_attribute(
        "href", "https://helpdesk.example/tickets/42"
    )


def test_the_xss_message_renders_as_typed_and_runs_nothing(page: Page, console: Console) -> None:
    sign_in(page, console, f"/sites/demo/conversations/{ESCALATED}")
    turn = page.locator("li.turn[data-message-id=m4] p.text")
    expect(turn).to_contain_text('<script>window.__xss = "script"</script>')
    expect(turn).to_contain_text("onerror=\"window.__xss='img'\"")
    assert turn.locator("script, img").count() == 0
    page.wait_for_timeout(300)  # an image error handler would have fired by now
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_a_signed_out_browser_is_refused(page: Page, console: Console) -> None:
    page.goto(console.url + f"/sites/demo/conversations/{ESCALATED}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("body")).not_to_contain_text("talk to a real person")
    status = page.evaluate("fetch('/api/now').then(r => r.status)")
    assert status == 401


def test_mark_feedback_and_see_the_rate_change(page: Page, console: Console) -> None:
    sign_in(page, console, "/feedback")
    row = page.locator("#rates tr[data-site=demo][data-rule=explicit-human-request]")
    expect(row.locator("[data-field=unneeded-rate]")).to_have_text("0%")
    page.goto(console.url + f"/sites/demo/conversations/{ESCALATED}")
    decision = page.locator("#decision-d-esc-4")
    decision.get_by_role("button", name="Unneeded escalation").click()
    expect(page.locator("#decision-d-esc-4 .verdict")).to_contain_text("unneeded escalation")
    page.goto(console.url + "/feedback")
    expect(row.locator("[data-field=unneeded-rate]")).to_have_text("100%")
    missed = page.locator("#rates tr[data-site=demo][data-rule=default]")
    expect(missed.locator("[data-field=missed-rate]")).to_have_text("0%")


def test_the_feed_shows_a_new_decision_without_a_reload(
    page: Page, console: Console, redis_client: redis_sync.Redis
) -> None:
    sign_in(page, console)
    expect(page.locator("#banner")).to_contain_text("dead-letter")
    expect(page.locator("#banner")).to_contain_text("helpdesk handoff failures")
    add_decision(redis_client, console.prefix, CALM, "d-live-1", "m1")
    started = time.monotonic()
    expect(page.locator("#feed tbody tr.fresh").first).to_contain_text(CALM, timeout=10_000)
    assert time.monotonic() - started < 10


def test_pages_fit_a_phone_width_window(browser: Browser, console: Console) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, console, f"/sites/demo/conversations/{ESCALATED}")
        expect(page.locator("#sentiment-chart")).to_be_visible()
        for path in (f"/sites/demo/conversations/{ESCALATED}", "/", "/feedback", "/lab"):
            page.goto(console.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at phone width"
    finally:
        context.close()


@pytest.fixture
def archived_console(
    make_console: MakeConsole,
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    tmp_path: Path,
) -> Iterator[tuple[Console, str]]:
    """The seeded console with the real archive service writing the seeded streams to a SQLite
    file the console's analytics read (PostgreSQL: tests/console/test_analytics.py)."""
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    with archiving(make_settings(archive_url=url)):
        archived(url, redis_client, prefix)
        yield make_console(archive_url=url), url


def test_the_analytics_page_draws_the_archived_decisions(
    page: Page, archived_console: tuple[Console, str]
) -> None:
    console, _ = archived_console
    sign_in(page, console, "/analytics")
    decisions = page.locator("#figures [data-field=decisions]")
    assert int(decisions.inner_text()) >= 4
    expect(page.locator("#figures [data-field=escalation-rate]")).not_to_have_text("-")
    for chart in ("#escalation-all", "#escalation-rule", "#containment-all", "#latency-chart"):
        svg = page.locator(f"{chart} svg.chart")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80, chart
        assert page.locator(f"{chart} polyline").count() >= 1, chart
    expect(
        page.locator("#escalation-rule g.series[data-series=explicit-human-request]")
    ).to_have_count(1)
    expect(page.locator("#reasons-chart rect.bar")).not_to_have_count(0)
    expect(page.locator("#reasons-chart")).to_contain_text("explicit-human-request")
    # A point names its bucket and counts on hover (its SVG title).
    title = page.locator("#escalation-all circle.point title").first.text_content() or ""
    assert re.search(r"all \w{3} \d{2}: [\d.]+% \(\d+ of \d+ decisions\)", title), title


def test_marking_feedback_changes_the_archived_rate(
    page: Page,
    archived_console: tuple[Console, str],
    redis_client: redis_sync.Redis,
) -> None:
    console, url = archived_console
    sign_in(page, console, "/analytics")
    rate = page.locator("#feedback-rates tr[data-site=demo] [data-field=unneeded-rate]")
    expect(rate).to_have_text("0.0%")
    page.goto(console.url + f"/sites/demo/conversations/{ESCALATED}")
    page.locator("#decision-d-esc-4").get_by_role("button", name="Unneeded escalation").click()
    expect(page.locator("#decision-d-esc-4 .verdict")).to_contain_text("unneeded escalation")
    archived(url, redis_client, console.prefix)  # the archive wrote the feedback event
    page.goto(console.url + "/analytics")
    expect(rate).to_have_text("100.0%")


def test_a_policy_lab_replay_shows_the_changed_decisions(page: Page, console: Console) -> None:
    sign_in(page, console, "/lab")
    page.select_option("#lab-site", "demo")
    page.fill("#lab-policy", CANDIDATE)
    page.click("#lab button[type=submit]")
    result = page.locator("#lab-result")
    expect(result).to_have_attribute("data-changed", "1")
    row = result.locator(f"[data-conversation-id={ESCALATED}] tr[data-message-id=m3]")
    expect(row).to_contain_text("automation/negative")
    expect(row).to_contain_text("human/frustrated")
    expect(result.locator(f"[data-conversation-id={CALM}]")).to_have_count(0)


def test_the_analytics_page_fits_a_phone_width_window(
    browser: Browser, archived_console: tuple[Console, str]
) -> None:
    console, _ = archived_console
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, console, "/analytics")
        expect(page.locator("#escalation-all svg.chart")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"/analytics scrolls sideways by {overflow}px at phone width"
    finally:
        context.close()
