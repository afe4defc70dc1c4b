"""Redaction in the logs: every format of personal data and credentials the issues found, in
message text, arguments, exception text and tracebacks, through the handler every process
installs; ids marked with ``Id`` (and stream entry ids) kept whole."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest

from rapport_runtime.logs import Id, RedactingFilter, configure_logging, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+x@mail.example.co.uk now", "write to [email] now"),
        ("dotted phone 202.555.0176.", "dotted phone [phone]."),
        ("dashed 202-555-0176 and (202) 555-0176", "dashed [phone] and [phone]"),
        ("french 01.23.45.67.89", "french [phone]"),
        ("intl +49 30 1234567", "intl [phone]"),
        ("card 4111.1111.1111.1111 ok", "card [card] ok"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("card 4111111111111111", "card [card]"),
        ("amex 3782 822463 10005", "amex [card]"),
        ("iban DE89 3704 0044 0532 0130 00 thanks", "iban [iban] thanks"),
        ("iban GB82WEST12345698765432", "iban [iban]"),
        ("iban fr1420041010050500013m02606", "iban [iban]"),
        (
            "POST https://acme.zendesk.com/api/v2/tickets?token=s3cr3t&x=1 failed",
            "POST https://acme.zendesk.com/api/v2/tickets?[query] failed",
        ),
        ("redis://:hunter2@redis:6379/0", "redis://[credentials]@redis:6379/0"),
        ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer [token]"),
        ('{"api_key": "sk-live-123456"}', '{"api_key": "[secret]"}'),
    ],
)
def test_each_format_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not a card 4111.1111.1111.1112",  # fails Luhn
        "not an iban DE00 3704 0044 0532 0130 00",  # fails mod 97
        "redis at 127.0.0.1:6379 and 10.20.30.40",
        "since 2026-11-26 10:00, or 26.11.2026",
        "version 3.11.7, pi 3.14159265358",
        "order 12345 is late, 3 items",
        "entry 1700000000000-0 parked",
    ],
)
def test_what_is_not_personal_data_is_kept(text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The handler every process installs, writing to a buffer; the root logger restored."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    configure_logging("test")
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    handler.setStream(buffer)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def test_ids_are_kept_and_free_text_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("rapport.router")
    log.info(
        "decision %s/%s: %s",
        Id("intercom"),
        Id("4111111111111111"),
        "customer wrote 4111 1111 1111 1111, call 202.555.0176",
    )
    log.info("handoff %s %s/%s", Id("h-1"), Id("helpscout"), Id("2025550176"))
    log.info("entry %s dead-lettered: %s", "1700000000000-0", "reason mentions jo@example.com")
    lines = output.getvalue()
    assert "decision intercom/4111111111111111: customer wrote [card], call [phone]" in lines
    assert "handoff h-1 helpscout/2025550176" in lines
    assert "entry 1700000000000-0 dead-lettered: reason mentions [email]" in lines


def test_unmarked_ids_that_look_like_phone_numbers_are_redacted(output: io.StringIO) -> None:
    # Why call sites must mark ids: by shape, a numeric ticket id is a phone number.
    logging.getLogger("x").info("ticket %s", "2025550176")
    assert "ticket [phone]" in output.getvalue()


def test_exception_text_and_tracebacks_are_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("rapport.handoff")

    def deliver() -> None:
        customer_words = "my card is 4111.1111.1111.1111 and mail jo@example.com"
        raise RuntimeError(f"helpdesk refused: {customer_words}")

    try:
        deliver()
    except RuntimeError as exc:
        log.error("handoff %s failed: %s", Id("h-42"), exc)
        log.exception("handoff %s crashed", Id("h-42"))
    text = output.getvalue()
    assert "Traceback (most recent call last)" in text
    assert "handoff h-42 failed: helpdesk refused: my card is [card] and mail [email]" in text
    assert "RuntimeError: helpdesk refused: my card is [card] and mail [email]" in text
    assert "4111" not in text and "jo@example.com" not in text


def test_repr_arguments_and_mappings_are_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("x")
    log.warning("payload %r", {"email": "jo@example.com", "iban": "GB82WEST12345698765432"})
    log.warning("%(who)s wrote %(what)s", {"who": Id("u@1"), "what": "to jo@example.com"})
    log.warning("%d entries, %.1f s", 4111111111111111, 2.5)
    text = output.getvalue()
    assert "{'email': '[email]', 'iban': '[iban]'}" in text
    assert "u@1 wrote to [email]" in text
    assert "4111111111111111 entries, 2.5 s" in text  # numbers passed as numbers are kept


def test_httpx_urls_with_tokens_do_not_reach_the_logs(output: io.StringIO) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(transport=transport) as client:
        client.get("https://hooks.example/rapport?token=s3cr3t-token")
    logging.getLogger("httpx").warning("GET https://hooks.example/x?token=s3cr3t-token failed")
    text = output.getvalue()
    assert "s3cr3t-token" not in text
    assert "HTTP Request" not in text  # httpx's INFO line is off
    assert "https://hooks.example/x?[query] failed" in text  # its warnings, redacted


def test_a_record_through_two_handlers_is_redacted_once() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%s %s", ("a@b.example", Id("c")), None
    )
    flt = RedactingFilter()
    assert flt.filter(record) and flt.filter(record)
    assert record.getMessage() == "[email] c"


def test_the_routers_decision_line_keeps_numeric_vendor_ids(output: io.StringIO) -> None:
    """The issue's `decision intercom/[card]`: the real log line of a real decision."""
    from redis.asyncio import Redis

    from rapport_contracts import Decision, Reason
    from rapport_router.plan import Plan
    from rapport_router.stage import RouterStage
    from rapport_runtime.config import Sites
    from rapport_runtime.service import Runtime
    from rapport_runtime.settings import RapportSettings

    settings = RapportSettings(config=None)
    stage = RouterStage(
        settings, Runtime(settings, Redis.from_url("redis://unused")), Sites({}, "-")
    )
    decision = Decision(
        decision_id="d1",
        site="intercom",
        conversation_id="4111111111111111",
        message_id="2025550176",
        route="human",
        queue="support",
        priority="high",
        reasons=(Reason(rule="explicit-human-request", detail="call me at 202.555.0176"),),
        policy_id="p",
        policy_version="1",
        classifier_version="t",
    )
    stage.report(Plan(decisions=[decision]))
    line = output.getvalue()
    assert "decision intercom/4111111111111111 2025550176:" in line
    assert "202.555.0176" not in line and "[phone]" in line
