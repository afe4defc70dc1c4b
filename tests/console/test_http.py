"""The console over real HTTP (no browser): sign-in, refusals, CSRF, escaping, feedback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import redis as redis_sync

from rapport_contracts import DATA_FIELD, Streams
from rapport_contracts.events import Feedback
from tests.console.conftest import TOKEN, Console
from tests.console.seed import CALM, ESCALATED, HUMAN_REQUEST, add_decision

pytestmark = pytest.mark.integration

CONVERSATION = f"/sites/demo/conversations/{ESCALATED}"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@contextmanager
def signed_in_client(console: Console) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        page = client.get("/login")
        answer = client.post(
            "/login", data={"csrf": csrf_of(page.text), "token": TOKEN, "next": "/"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        yield client


@pytest.mark.parametrize(
    "path", ["/", CONVERSATION, "/feedback", "/open?site=demo&conversation_id=c1"]
)
def test_a_signed_out_page_redirects_to_sign_in(console: Console, path: str) -> None:
    answer = httpx.get(console.url + path, timeout=10)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    assert "c-escalated" not in answer.text and HUMAN_REQUEST not in answer.text


@pytest.mark.parametrize("path", ["/api/now", "/api/decisions"])
def test_a_signed_out_api_call_is_refused(console: Console, path: str) -> None:
    answer = httpx.get(console.url + path, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorised"


def test_a_signed_out_post_is_refused_and_writes_nothing(
    console: Console, redis_client: redis_sync.Redis
) -> None:
    answer = httpx.post(
        console.url + "/feedback",
        data={
            "site": "demo",
            "conversation_id": ESCALATED,
            "decision_id": console.seeded.escalation_id,
            "verdict": "unneeded-escalation",
        },
        timeout=10,
    )
    assert answer.status_code == 403
    assert redis_client.xlen(Streams(console.prefix).feedback) == 0


def test_the_session_cookie_is_httponly_and_strict(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        page = client.get("/login")
        answer = client.post("/login", data={"csrf": csrf_of(page.text), "token": TOKEN})
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "content-security-policy" in answer.headers


def test_a_wrong_token_or_a_missing_csrf_token_does_not_sign_in(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        page = client.get("/login")
        wrong = client.post("/login", data={"csrf": csrf_of(page.text), "token": "nope"})
        assert wrong.status_code == 401
        no_csrf = client.post("/login", data={"token": TOKEN})
        assert no_csrf.status_code == 403
        assert client.get("/").status_code == 303


def test_sign_in_does_not_redirect_off_site(console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=10) as client:
        page = client.get("/login")
        answer = client.post(
            "/login", data={"csrf": csrf_of(page.text), "token": TOKEN, "next": "//evil.example/"}
        )
    assert answer.headers["location"] == "/"


def test_now_lists_who_waits_and_the_banner(console: Console) -> None:
    with signed_in_client(console) as client:
        page = client.get("/")
        assert page.status_code == 200
        waiting = page.text.split('id="waiting"')[1].split("</table>")[0]
        assert ESCALATED in waiting and CALM not in waiting
        assert "support" in waiting and "high" in waiting
        now = client.get("/api/now").json()
        assert [w["conversation_id"] for w in now["waiting"]] == [ESCALATED]
        row = now["waiting"][0]
        assert row["ladder_step"] == 1 and row["priority"] == "high"
        assert 100 < row["waiting_s"] < 600  # escalated about five minutes ago
        assert now["banner"] == {"dlq_depth": 1, "helpdesk_failures": 1, "window_h": 24}


def test_the_feed_returns_only_newer_decisions(
    console: Console, redis_client: redis_sync.Redis
) -> None:
    with signed_in_client(console) as client:
        first = client.get("/api/decisions").json()["decisions"]
        assert first[0]["decision_id"] == console.seeded.calm_id  # newest first
        assert client.get("/api/decisions", params={"after": first[0]["id"]}).json() == {
            "decisions": []
        }
        add_decision(redis_client, console.prefix, CALM, "d-calm-2", "m1")
        newer = client.get("/api/decisions", params={"after": first[0]["id"]}).json()
        assert [d["decision_id"] for d in newer["decisions"]] == ["d-calm-2"]
        assert client.get("/api/decisions", params={"after": "x"}).status_code == 422


def test_customer_text_is_escaped_and_evidence_marked(console: Console) -> None:
    with signed_in_client(console) as client:
        page = client.get(CONVERSATION).text
    assert "<script>window" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss" in page
    assert "onerror=&#34;window.__xss" in page or "onerror=&quot;window.__xss" in page
    assert re.search(
        r'<mark class="evidence" data-signal="human_request"[^>]*>talk to a real '
        r"person</mark>",
        page,
    )
    assert "explicit-human-request" in page and "0.95" in page and "0.50" in page
    assert 'href="https://helpdesk.example/tickets/42"' in page


def test_feedback_goes_on_the_stream_and_moves_the_rate(
    console: Console, redis_client: redis_sync.Redis
) -> None:
    with signed_in_client(console) as client:

        def unneeded_rate() -> str:
            page = client.get("/feedback").text
            row = re.search(
                r'<tr data-site="demo" data-rule="explicit-human-request">(.*?)</tr>', page, re.S
            )
            assert row, "no rate row for the rule"
            return re.search(r'data-field="unneeded-rate">([^<]*)<', row.group(1)).group(1)

        assert unneeded_rate() == "0%"
        page = client.get(CONVERSATION).text
        refused = client.post(
            "/feedback",
            data={
                "site": "demo",
                "conversation_id": ESCALATED,
                "decision_id": console.seeded.escalation_id,
                "verdict": "unneeded-escalation",
            },
        )
        assert refused.status_code == 403  # no CSRF token
        answer = client.post(
            "/feedback",
            data={
                "csrf": csrf_of(page),
                "site": "demo",
                "conversation_id": ESCALATED,
                "decision_id": console.seeded.escalation_id,
                "verdict": "unneeded-escalation",
            },
        )
        assert answer.status_code == 303
        assert unneeded_rate() == "100%"
        unknown = client.post(
            "/feedback",
            data={
                "csrf": csrf_of(page),
                "site": "demo",
                "conversation_id": ESCALATED,
                "decision_id": "d-nope",
                "verdict": "unneeded-escalation",
            },
        )
        assert unknown.status_code == 404
    entries = redis_client.xrange(Streams(console.prefix).feedback) or []
    assert len(entries) == 1
    event = Feedback.read(entries[0][1][DATA_FIELD.encode()])
    assert event.decision_id == console.seeded.escalation_id
    assert event.verdict == "unneeded-escalation"
    assert (event.rule, event.route, event.language) == ("explicit-human-request", "human", "en")


def test_sign_out_needs_csrf_and_ends_the_session(console: Console) -> None:
    with signed_in_client(console) as client:
        page = client.get("/").text
        assert client.post("/logout", data={}).status_code == 403
        assert client.post("/logout", data={"csrf": csrf_of(page)}).status_code == 303
        assert client.get("/").status_code == 303


def test_an_unknown_conversation_is_a_404(console: Console) -> None:
    with signed_in_client(console) as client:
        assert client.get("/sites/demo/conversations/nope").status_code == 404


def test_health_endpoints_need_no_session(console: Console) -> None:
    assert httpx.get(console.url + "/healthz", timeout=5).status_code == 200
