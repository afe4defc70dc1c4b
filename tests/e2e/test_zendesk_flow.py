"""A whole episode with a real helpdesk adapter, through the three service processes: Zendesk's
signed webhooks in, the handoff to a fake Zendesk API out, then the agent's reply and the
ticket's resolution handing the conversation back to the bot.

On a single Redis and on a local 3-master cluster with four partitions (``backend``,
``tests/redis_backends.py``): the webhooks, the dedupe of the vendor's retries, the feedback
tag and the return to the bot all land in the conversation's partition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport_contracts.events import Feedback
from tests.e2e.conftest import SERVICES, Pipeline
from tests.handoff.adapters._sign import b64, basic, hmac_raw, now_iso
from tests.handoff.adapters.fake import FakeVendor
from tests.handoff.adapters.test_zendesk import comment_added
from tests.handoff.test_feedback_tags import zendesk_tags_changed
from tests.helpers import http_server, wait_until
from tests.redis_backends import Backend

pytestmark = pytest.mark.e2e

SECRET = "zendesk-webhook-secret"
TOKEN = {"Authorization": "Bearer e2e-admin-token"}


@pytest.fixture
def zendesk() -> Iterator[tuple[FakeVendor, str]]:
    fake = FakeVendor(
        authorised=lambda headers, path, body: (
            headers.get("authorization") == basic("agent@acme.test/token", "zd-api-token")
        )
    )
    with http_server(fake.app()) as base:
        yield fake, base


@pytest.fixture
def acme(any_pipeline: Pipeline, zendesk: tuple[FakeVendor, str], tmp_path: Path) -> Pipeline:
    """The running pipeline, restarted with a sites file whose `acme` site uses Zendesk."""
    _, base = zendesk
    pipeline = any_pipeline
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        f"""
sites:
  acme:
    secret: {{env: ACME_ZENDESK_SECRET}}
    adapter:
      type: zendesk
      base_url: {base}
      email: agent@acme.test
      api_token: {{env: ACME_ZENDESK_TOKEN}}
      queues: {{support: "360001"}}
      bot_ids: ["777"]
"""
    )
    pipeline.stop_all()
    pipeline.env |= {
        "RAPPORT_CONFIG": str(sites),
        "ACME_ZENDESK_SECRET": SECRET,
        "ACME_ZENDESK_TOKEN": "zd-api-token",
    }
    for service in SERVICES:
        pipeline.start(service)
    for service in SERVICES:
        pipeline.wait_ready(service)
    return pipeline


def post(p: Pipeline, payload: dict[str, Any], invocation: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    timestamp = now_iso()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": b64(hmac_raw(SECRET, timestamp.encode() + body, "sha256")),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": invocation,
    }
    return httpx.post(
        f"{p.edge}/v1/sites/acme/webhooks/zendesk", content=body, headers=headers, timeout=10
    )


def view(p: Pipeline) -> dict[str, Any] | None:
    reply = httpx.get(f"{p.edge}/v1/sites/acme/conversations/5158", headers=TOKEN, timeout=5)
    return reply.json() if reply.status_code == 200 else None


def test_zendesk_episode_escalates_hands_off_and_returns_to_the_bot(
    acme: Pipeline, zendesk: tuple[FakeVendor, str], backend: Backend
) -> None:
    fake, _ = zendesk
    customer = comment_added({"id": "8447388090494", "is_staff": False, "name": "Jo"})
    assert post(acme, customer, "inv-1").status_code == 202
    assert post(acme, customer, "inv-1").json()["status"] == "duplicate"  # a vendor retry

    delivered = wait_until(lambda: (v := view(acme)) and v["handoffs"] and v, timeout=20)
    assert delivered["decisions"][0]["route"] == "human"
    assert delivered["handoffs"][0]["status"] == "delivered"
    assert delivered["handoffs"][0]["adapter"] == "zendesk"
    [put] = [r for r in fake.requests if r.method == "PUT"]
    assert put.path == "/api/v2/tickets/5158.json"
    ticket = put.json()["ticket"]
    assert ticket["comment"]["public"] is False
    assert ticket["group_id"] == 360001
    assert "tags" not in ticket and ticket["additional_tags"]

    # The same comment in a new delivery is deduped on the comment's id.
    again = post(acme, customer, "inv-x")
    assert (again.status_code, again.json()["duplicates"]) == (202, 1), again.text
    forged = httpx.post(
        f"{acme.edge}/v1/sites/acme/webhooks/zendesk",
        content=b"{}",
        headers={
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Signature": "x",
            "X-Zendesk-Webhook-Signature-Timestamp": now_iso(),
        },
        timeout=5,
    )
    assert forged.status_code == 401

    # The agent judges the escalation unneeded with a ticket tag: one Feedback event about
    # the router's real decision, however often Zendesk repeats the tag.
    tag = "rapport-unneeded-escalation"
    tagged = zendesk_tags_changed([tag], ["mobile", tag])
    assert post(acme, tagged, "inv-tag").status_code == 204
    assert post(acme, tagged, "inv-tag").status_code == 204
    [written] = backend.events(acme.prefix, "feedback")
    feedback = Feedback.read(json.dumps(written))
    assert (feedback.decision_id, feedback.verdict, feedback.source) == (
        delivered["decisions"][0]["decision_id"],
        "unneeded-escalation",
        "helpdesk",
    )
    assert feedback.language == "en"

    agent = comment_added({"id": "900", "is_staff": True, "name": "Sam"}, comment_id="9876543211")
    assert post(acme, agent, "inv-2").status_code == 202
    wait_until(
        lambda: (v := view(acme)) and v["state"] and v["state"]["owner"] == "human", timeout=20
    )

    solved = {
        "type": "zen:event-type:ticket.status_changed",
        "id": "e0b4a3b2-0000-4000-8000-000000000001",
        "time": now_iso(),
        "subject": "zen:ticket:5158",
        "detail": {"id": "5158", "requester_id": "8447388090494", "status": "SOLVED"},
        "event": {"current": "SOLVED", "previous": "OPEN"},
    }
    assert post(acme, solved, "inv-3").status_code == 202
    wait_until(lambda: (v := view(acme)) and v["state"]["owner"] == "resolved", timeout=20)
    actions = [a["action"] for a in backend.events(acme.prefix, "automation")]
    assert actions == ["hold", "resume"]
    assert len([r for r in fake.requests if r.method == "PUT"]) == 1  # exactly one handoff
    assert backend.xlen(acme.prefix, "feedback") == 1
