"""The policy lab replaying from the archive (a range older than Redis keeps), over real HTTP:
the real archive service writes the seeded streams, Redis then forgets the conversations, and
the replay finds the same changed decision, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis as redis_sync

from rapport_runtime.settings import RapportSettings
from tests.archive.conftest import store_url  # noqa: F401  (the fixture, both backends)
from tests.console.conftest import MakeConsole, archived, archiving
from tests.console.seed import CALM, ESCALATED
from tests.console.test_http import signed_in_client
from tests.console.test_lab import lab_post

pytestmark = pytest.mark.integration


def test_an_old_range_is_replayed_from_the_archive(
    make_console: MakeConsole,
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    store_url: str,  # noqa: F811
) -> None:
    with archiving(make_settings(archive_url=store_url)):
        archived(store_url, redis_client, prefix)
    # Redis has forgotten the conversations (their TTL passed); only the archive remembers.
    forgotten = list(redis_client.scan_iter(match=f"{prefix}:conv:*"))
    assert forgotten
    redis_client.delete(*forgotten)
    # Redis keeps a conversation 60 s here, so the lab's default range (7 days) is older.
    console = make_console(archive_url=store_url, conversation_ttl_s=60)
    with signed_in_client(console) as client:
        answer = lab_post(client)
        from_redis = lab_post(client, source="redis")
        unknown = lab_post(client, source="elsewhere")
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert 'data-source="archive"' in html
    assert 'id="lab-result" data-changed="1"' in html
    block = html[html.index(f'data-conversation-id="{ESCALATED}"') :]
    row = block[block.index('data-message-id="m3"') :]
    row = row[: row.index("</tr>")]
    # The same change as replayed from Redis (tests/console/test_lab.py), without the text.
    assert "automation/negative" in row and "human/frustrated" in row
    assert "(not archived)" in row
    assert "It is late again" not in html
    assert f'data-conversation-id="{CALM}"' not in html
    scope = html[html.index("lab-scope") :][:200]
    assert "2 conversation(s) replayed, 4 customer turn(s)" in html, scope
    # Asked for Redis explicitly: nothing is left there.
    assert 'data-source="redis"' in from_redis.text
    assert "0 conversation(s) replayed" in from_redis.text
    assert unknown.status_code == 422 and "unknown source" in unknown.text


def test_asking_for_the_archive_without_one_is_a_clear_error(make_console: MakeConsole) -> None:
    console = make_console()
    with signed_in_client(console) as client:
        answer = lab_post(client, source="archive")
    assert answer.status_code == 422
    assert "no archive is configured (RAPPORT_ARCHIVE_URL)" in answer.text
