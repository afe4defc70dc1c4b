"""The analytics page (issue 16 item 7) over real HTTP, reading what the real archive service
wrote from the seeded streams, on SQLite and on the real PostgreSQL; and the page a console
without an archive shows."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
import redis as redis_sync

from rapport_runtime.settings import RapportSettings
from tests.archive.conftest import store_url  # noqa: F401  (the fixture, both backends)
from tests.console.conftest import Console, MakeConsole, archived, archiving
from tests.console.test_http import signed_in_client

pytestmark = pytest.mark.integration


def field(html: str, name: str) -> str:
    found = re.search(rf'data-field="{name}">([^<]*)<', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def test_the_analytics_page_draws_the_archived_decisions(
    make_console: MakeConsole,
    make_settings: Callable[..., RapportSettings],
    redis_client: redis_sync.Redis,
    prefix: str,
    store_url: str,  # noqa: F811
) -> None:
    with archiving(make_settings(archive_url=store_url)):
        archived(store_url, redis_client, prefix)
        console: Console = make_console(archive_url=store_url)
        with signed_in_client(console) as client:
            page = client.get("/analytics?days=7")
            assert page.status_code == 200, page.text
            html = page.text
            # The seed: c-escalated (two automated turns, one escalation) and c-calm.
            decisions = int(field(html, "decisions"))
            assert decisions >= 4
            assert field(html, "escalation-rate") != "-"
            assert field(html, "containment-rate") != "-"
            assert field(html, "latency-p50") != "-"
            for chart in (
                "escalation-all",
                "escalation-site",
                "escalation-rule",
                "containment-all",
            ):
                drawn = re.search(rf'id="{chart}" data-lines="(\d+)" data-empty="(\w+)"', html)
                assert drawn and int(drawn.group(1)) >= 1 and drawn.group(2) == "false", chart
            assert html.count("<polyline") >= 5
            assert 'data-series="explicit-human-request"' in html or 'data-bars="1"' in html
            assert re.search(r'id="reasons-chart" data-bars="[1-9]', html)
            assert "<script" not in html.split("<main>")[1]  # charts without a script
            # One site, and a range the seed is not in (a day ago is still in: today only).
            one = client.get("/analytics?site=demo&days=1")
            assert int(field(one.text, "decisions")) == decisions
            other = client.get("/analytics?site=elsewhere")
            assert field(other.text, "decisions") == "0"
            assert 'data-empty="true"' in other.text


def test_without_an_archive_the_page_says_how_to_configure_one(console: Console) -> None:
    with signed_in_client(console) as client:
        page = client.get("/analytics")
    assert page.status_code == 200
    assert 'id="no-archive"' in page.text and "RAPPORT_ARCHIVE_URL" in page.text


def test_an_archive_without_tables_is_a_clear_503(
    make_console: MakeConsole, tmp_path: object
) -> None:
    console = make_console(archive_url=f"sqlite:///{tmp_path}/empty.db")
    with signed_in_client(console) as client:
        page = client.get("/analytics")
    assert page.status_code == 503
    assert "rapport-archive migrate" in page.text and 'id="archive-problem"' in page.text


def test_the_analytics_page_needs_signing_in(console: Console) -> None:
    answer = httpx.get(console.url + "/analytics", timeout=10)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
