"""The archive's analytics (issue 16 item 7) on SQLite and on the real PostgreSQL: rates over
time by site, rule, language and channel, top reasons, decision latency, feedback rates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from rapport_archive.analytics import Analytics, Series, percentile, read_analytics
from rapport_archive.rows import rows_of
from rapport_archive.store import DAY_MS, Rows, write
from rapport_contracts.events import Event
from tests.archive.events import T0, decision, feedback, message

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)
SINCE, UNTIL = T0 - timedelta(hours=9), T0 + timedelta(hours=39)  # two UTC days


def archive(engine: Engine, *events: Event) -> None:
    rows = Rows()
    for event in events:
        rows.extend(rows_of(event))
    write(engine, rows)


def history(engine: Engine) -> None:
    archive(
        engine,
        # c1: automated, then escalated on a human request, then the router's own record of
        # the person owning it (not an escalation).
        message("c1", "m1", T0),
        decision("c1", "m1", T0, latency_s=0.05),
        message("c1", "m2", T0 + timedelta(minutes=1)),
        decision(
            "c1",
            "m2",
            T0 + timedelta(minutes=1),
            route="human",
            rule="explicit-human-request",
            signal="human_request",
            latency_s=0.2,
        ),
        message("c1", "m3", T0 + timedelta(minutes=2)),
        decision(
            "c1", "m3", T0 + timedelta(minutes=2), route="human", rule="human-owns-conversation"
        ),
        # c2: email in Spanish, contained; a shadow verdict that would have escalated.
        message("c2", "m1", T0, channel="email", language="es"),
        decision("c2", "m1", T0),
        decision("c2", "m1", T0, route="human", rule="frustrated", shadow=True),
        message("c2", "m2", T0 + timedelta(minutes=3), channel="email", language="es"),
        decision("c2", "m2", T0 + timedelta(minutes=3)),
        # c3 on another site: escalated for frustration, slowly.
        message("c3", "m1", T0, site="shop"),
        decision(
            "c3",
            "m1",
            T0,
            site="shop",
            route="human",
            rule="frustrated",
            signal="frustration",
            latency_s=1.0,
        ),
        # a ladder step is not a decision on a customer turn.
        decision("c1", "ladder-1", T0 + timedelta(minutes=30), route="human", rule="ladder"),
        # c4 the next day: contained.
        message("c4", "m1", T0 + DAY),
        decision("c4", "m1", T0 + DAY),
        # Feedback: c1's escalation first judged right, then unneeded (the latest counts);
        # c2's last automated turn a missed escalation.
        feedback("c1", "d-c1-m2", "correct", T0 + timedelta(hours=1), n=1),
        feedback("c1", "d-c1-m2", "unneeded-escalation", T0 + timedelta(hours=2), n=2),
        feedback("c2", "d-c2-m2", "missed-escalation", T0 + timedelta(hours=1), n=3),
    )


def named(series: list[Series]) -> dict[str, Series]:
    return {s.name: s for s in series}


def rates(s: Series) -> list[float | None]:
    return [p.rate for p in s.points]


def test_rates_over_time_by_site_rule_language_and_channel(engine: Engine) -> None:
    history(engine)
    a = read_analytics(engine, SINCE, UNTIL)
    day0 = T0.timestamp() * 1000 // DAY_MS
    assert a.buckets == [day0, day0 + 1] and a.bucket_days == 1
    # Live decisions: c1 m1, m2; c2 m1, m2; c3 m1; c4 m1 (no shadow, ladder or ownership).
    assert (a.decisions, a.escalations) == (6, 2)
    assert a.escalation_rate == pytest.approx(2 / 6)
    [everything] = a.escalation["all"]
    assert rates(everything) == [pytest.approx(2 / 5), 0.0]
    by_site = named(a.escalation["site"])
    assert (by_site["demo"].numerator, by_site["demo"].denominator) == (1, 5)
    assert by_site["shop"].rate == 1.0
    by_language = named(a.escalation["language"])
    assert (by_language["en"].rate, by_language["es"].rate) == (0.5, 0.0)
    assert named(a.escalation["channel"])["email"].rate == 0.0
    by_rule = named(a.escalation["rule"])
    assert set(by_rule) == {"explicit-human-request", "frustrated"}
    assert by_rule["frustrated"].numerator == 1 and by_rule["frustrated"].denominator == 6
    assert rates(by_rule["frustrated"]) == [pytest.approx(1 / 5), 0.0]
    # Containment: c2 and c4 of four conversations; by day, c1 c2 c3 then c4.
    assert (a.conversations, a.contained) == (4, 2)
    assert rates(a.containment["all"][0]) == [pytest.approx(1 / 3), 1.0]
    assert named(a.containment["site"])["shop"].rate == 0.0
    assert a.sites == ["demo", "shop"]


def test_top_reasons_latency_and_feedback(engine: Engine) -> None:
    history(engine)
    a = read_analytics(engine, SINCE, UNTIL)
    assert [(r.rule, r.signal, r.count) for r in a.reasons] == [
        ("explicit-human-request", "human_request", 1),
        ("frustrated", "frustration", 1),
    ]
    assert sum(r.share for r in a.reasons) == pytest.approx(1.0)
    # Waits 50, 200, 50, 50, 1000, 50 ms.
    assert a.latency_overall["count"] == 6
    assert a.latency_overall["p50_ms"] == pytest.approx(50)
    assert a.latency_overall["max_ms"] == pytest.approx(1000)
    assert [lat.count for lat in a.latency] == [5, 1]
    demo = next(f for f in a.feedback if f.site == "demo")
    assert (demo.unneeded, demo.escalations, demo.missed, demo.automated) == (1, 1, 1, 4)
    assert demo.unneeded_rate == 1.0 and demo.missed_rate == 0.25
    shop = next(f for f in a.feedback if f.site == "shop")
    assert shop.unneeded_rate == 0.0


def test_one_site_an_empty_range_weeks_and_the_row_bound(engine: Engine) -> None:
    history(engine)
    shop = read_analytics(engine, SINCE, UNTIL, site="shop")
    assert (shop.decisions, shop.escalations, shop.sites) == (1, 1, ["shop"])
    empty = read_analytics(engine, T0 - 30 * DAY, T0 - 29 * DAY)
    assert isinstance(empty, Analytics)
    assert (empty.decisions, empty.escalation_rate, empty.containment_rate) == (0, None, None)
    assert empty.reasons == [] and empty.latency == [] and empty.feedback == []
    quarter = read_analytics(engine, T0 - 80 * DAY, T0 + 10 * DAY)
    assert quarter.bucket_days == 7 and quarter.decisions == 6
    assert sum(p.denominator for p in quarter.escalation["all"][0].points) == 6
    bounded = read_analytics(engine, SINCE, UNTIL, max_rows=3)
    assert bounded.truncated and bounded.decisions <= 3
    assert not read_analytics(engine, SINCE, UNTIL).truncated


def test_percentile_interpolates() -> None:
    assert percentile([], 0.5) == 0.0
    assert percentile([10], 0.9) == 10
    assert percentile([0, 10, 20, 30], 0.5) == pytest.approx(15)
    assert percentile([30, 0, 20, 10], 1.0) == 30
