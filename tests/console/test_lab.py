"""The policy lab over real HTTP on a real Redis: the candidate checked as `rapport policy
check` does, the replayed changes conversation by conversation, the shadow policy's diff, the
cap per run, and the refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis as redis_sync

from rapport_console.app import ConsoleSettings
from rapport_contracts import Streams
from tests.console.conftest import Console, MakeConsole
from tests.console.seed import CALM, ESCALATED
from tests.console.test_http import csrf_of, signed_in_client

pytestmark = pytest.mark.integration

# Escalates on frustration 0.5: the seeded turn m3 (frustration 0.55, sentiment -0.5), which
# the default policy keeps with automation (rule `negative`), would go to a person.
CANDIDATE = """\
id: candidate
version: "1"
rules:
  - name: asked-for-a-person
    when: {any_signal: [human_request]}
    route: human
    queue: support
  - name: frustrated
    when: {frustration_at_least: 0.5}
    route: human
    queue: support
"""
MISSPELLED = CANDIDATE.replace("[human_request]", "[human_reqest]")


def lab_post(client: httpx.Client, policy: str = CANDIDATE, **fields: str) -> httpx.Response:
    csrf = csrf_of(client.get("/lab").text)
    data = {"csrf": csrf, "site": "demo", "policy": policy, **fields}
    # multipart/form-data, as the page's form sends it (the file field empty)
    files = {"policy_file": ("", b"", "application/octet-stream")}
    return client.post("/lab", data=data, files=files)


def test_a_candidate_policy_shows_the_decisions_that_would_change(console: Console) -> None:
    with signed_in_client(console) as client:
        answer = lab_post(client)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'id="lab-result" data-changed="1"' in html
    block = html[html.index(f'data-conversation-id="{ESCALATED}"') :]
    row = block[block.index('data-message-id="m3"') :]
    row = row[: row.index("</tr>")]
    assert "automation/negative" in row and "human/frustrated" in row
    assert "It is late again and nobody answers" in row
    assert f'data-conversation-id="{CALM}"' not in html  # unchanged: not listed
    assert "2 conversation(s) replayed, 4 customer turn(s)" in html
    assert "has no shadow policy" in html


def test_a_misspelled_signal_is_shown_with_its_line_and_nothing_is_replayed(
    console: Console,
) -> None:
    with signed_in_client(console) as client:
        answer = lab_post(client, MISSPELLED)
    assert answer.status_code == 422
    errors = re.search(r'<div id="lab-errors".*?</div>', answer.text, re.S)
    assert errors, answer.text
    # Line 5 holds `when: {any_signal: [human_reqest]}`, as `rapport policy check` says.
    assert "pasted policy:5: rules.0.when.any_signal.0: unknown signal" in errors.group(0)
    assert "human_reqest" in errors.group(0) and "human_request" in errors.group(0)
    assert 'id="lab-result"' not in answer.text
    # The pasted text is kept (escaped) for fixing.
    assert "[human_reqest]" in answer.text


def test_an_uploaded_file_is_checked_under_its_own_name(console: Console) -> None:
    with signed_in_client(console) as client:
        csrf = csrf_of(client.get("/lab").text)
        files = {"policy_file": ("candidate.yaml", MISSPELLED.encode(), "text/yaml")}
        answer = client.post("/lab", data={"csrf": csrf, "site": "demo", "policy": ""}, files=files)
        assert answer.status_code == 422
        assert "candidate.yaml:5: rules.0.when.any_signal.0: unknown signal" in answer.text
        files = {"policy_file": ("candidate.yaml", CANDIDATE.encode(), "text/yaml")}
        good = client.post("/lab", data={"csrf": csrf, "site": "demo"}, files=files)
        assert good.status_code == 200 and 'data-changed="1"' in good.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"since": "yesterday"}, "from: &#39;yesterday&#39; is not a time"),
        ({"site": "nowhere"}, "no site named &#39;nowhere&#39; is configured"),
        ({"policy": "   "}, "paste a policy (YAML) or choose a policy file"),
        ({"policy": "rules: [\n  - name: x\n  bad"}, "pasted policy:2: not valid YAML"),
        ({"since": "2026-12-01T10:00", "until": "2026-11-01T10:00"}, "the range is empty"),
    ],
)
def test_bad_input_gets_one_clear_line(
    console: Console, fields: dict[str, str], message: str
) -> None:
    with signed_in_client(console) as client:
        answer = lab_post(client, **fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert "Traceback" not in answer.text


def test_the_time_range_limits_the_compared_turns(console: Console) -> None:
    now = datetime.now(UTC)
    # The calm conversation's turn is a minute old, the escalated one's are 5-7 minutes old.
    since = (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    with signed_in_client(console) as client:
        answer = lab_post(client, since=since)
    assert answer.status_code == 200
    assert "1 conversation(s) replayed, 1 customer turn(s)" in answer.text
    assert 'data-changed="0"' in answer.text and 'id="lab-no-changes"' in answer.text


def test_the_cap_per_run_is_applied_and_said(make_console: MakeConsole) -> None:
    console = make_console(ConsoleSettings(lab_max_conversations=1))
    with signed_in_client(console) as client:
        page = client.get("/lab").text
        assert "At most 1 conversations" in page
        answer = lab_post(client)
    assert answer.status_code == 200
    assert "2 had a turn in the range: only the 1 most recent were replayed" in answer.text
    assert f'data-conversation-id="{ESCALATED}"' not in answer.text  # the calm one is newer


def test_the_shadow_policy_of_the_site_is_compared_too(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    (tmp_path / "shadow.yaml").write_text(
        CANDIDATE.replace("0.5}", "0.9}").replace("id: candidate", "id: shadow")
    )
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        "sites:\n  demo:\n    secret: {env: LAB_TEST_UNSET_SECRET}\n"
        "    policy: default\n    shadow_policy: shadow.yaml\n"
    )
    console = make_console(config=str(sites))
    with signed_in_client(console) as client:
        assert "(has a shadow policy)" in client.get("/lab").text
        answer = lab_post(client)
    assert answer.status_code == 200, answer.text
    shadow = re.search(r'<table id="lab-shadow">.*?</table>', answer.text, re.S)
    assert shadow, answer.text
    # The shadow (frustration 0.9) keeps m3 with automation (default); the candidate does not.
    assert ">m3<" in shadow.group(0) and "automation/default" in shadow.group(0)
    assert 'data-policy="shadow"' in answer.text


def test_a_broken_sites_file_is_one_line_on_the_page(
    make_console: MakeConsole, tmp_path: Path
) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  demo:\n    secret: {env: X}\n    policy: missing.yaml\n")
    console = make_console(config=str(sites))
    with signed_in_client(console) as client:
        page = client.get("/lab")
    assert page.status_code == 200
    assert "cannot read policy file" in page.text and "Traceback" not in page.text


def test_the_lab_refuses_a_post_without_csrf_or_signed_out(
    console: Console, redis_client: redis_sync.Redis
) -> None:
    files = {"policy_file": ("", b"", "application/octet-stream")}
    signed_out = httpx.post(
        console.url + "/lab", data={"site": "demo", "policy": CANDIDATE}, files=files, timeout=10
    )
    assert signed_out.status_code == 403
    assert httpx.get(console.url + "/lab", timeout=10).status_code == 303
    with signed_in_client(console) as client:
        answer = client.post(
            "/lab", data={"csrf": "wrong", "site": "demo", "policy": CANDIDATE}, files=files
        )
    assert answer.status_code == 403 and 'id="lab-result"' not in answer.text
    # The lab writes nothing: no feedback, no decision.
    assert redis_client.xlen(Streams(console.prefix).feedback) == 0
