"""Rapport's event contracts: every message that crosses a stream is one of these models.

Writers are strict, readers are tolerant, so that a rolling deploy never dead-letters events:

- constructing a model (what a writer does) refuses unknown fields and stamps the current
  ``SCHEMA_VERSION``;
- ``Model.read(raw)`` (what every reader does) ignores fields it does not know and accepts every
  version in ``READABLE_SCHEMA_VERSIONS``, so an older consumer reads a newer writer's events
  and a newer consumer reads what an older writer left on the stream.

Stored form: writers store ``event.compact_json()``, the fields at their default left out
(``read`` restores them; the schema never required them), so **a default never changes**;
with ``RAPPORT_STORED_FORM=deflate`` that JSON deflated with the preset dictionary of
:mod:`rapport_contracts.stored`, which ``read`` inflates.

Changing a contract: add optional fields only (with a default), never change a default, bump
``SCHEMA_VERSION``, keep the previous version readable, and check in the new schema snapshot
(``uv run rapport schemas --write``); a test replays the previous version's snapshots through
today's readers. The full rule is in ``docs/architecture.md``.

Longer than most modules on purpose: every event a third party reads, in one module, so
the contract can be read (and reviewed) in one sitting.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
    field_validator,
)

from rapport_contracts.stored import StoredFormError, expand

# 2: Classification gained language_confidence, language_source and language_supported.
# 3: Message and HandoffPacket gained traceparent (W3C trace context across the stream hops).
# (Not a version: since 2026-12-03 writers store the compact form, Event.compact_json(), which
# is an instance of the same v3 schema; docs/architecture.md, "The stored form".)
SCHEMA_VERSION = 3
READABLE_SCHEMA_VERSIONS = frozenset({1, 2, 3})
# W3C trace context (https://www.w3.org/TR/trace-context/#traceparent-header), version 00.
TRACEPARENT_PATTERN = r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

Author = Literal["customer", "bot", "agent", "system"]
SentimentLabel = Literal["negative", "neutral", "positive"]
ComplexityLevel = Literal["low", "medium", "high"]
Route = Literal["automation", "human"]
Priority = Literal["low", "normal", "high", "urgent"]
HandoffStatus = Literal["delivered", "failed"]

# The one rule for every id (conversation, message, decision, handoff, ...). Ids travel in Redis
# keys, stream entries and URL path segments (``/conversations/{id}``), so they stay short,
# printable and path-safe: no ``/``, no ``%``, no spaces, and never ``.`` or ``..`` (nothing
# starts with a dot). Everything that checks or explains an id uses these three constants.
IDENTIFIER_MAX_LENGTH = 200
IDENTIFIER_PATTERN = r"^[A-Za-z0-9_:@+=-][A-Za-z0-9._:@+=-]*$"
IDENTIFIER_RULE = (
    f"1 to {IDENTIFIER_MAX_LENGTH} characters among A-Z, a-z, 0-9 and . _ : @ + = -, "
    "not starting with a dot"
)
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=IDENTIFIER_PATTERN),
]
SITE_NAME_MAX_LENGTH = 64
SITE_NAME_PATTERN = r"^[a-z0-9-]+$"
SITE_NAME_RULE = f"1 to {SITE_NAME_MAX_LENGTH} characters among a-z, 0-9 and -"
SiteName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SITE_NAME_MAX_LENGTH, pattern=SITE_NAME_PATTERN),
]
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_SITE_NAME = re.compile(SITE_NAME_PATTERN)


def is_identifier(value: object) -> bool:
    """Whether ``value`` is an id by :data:`IDENTIFIER_RULE`."""
    return (
        isinstance(value, str)
        and len(value) <= IDENTIFIER_MAX_LENGTH
        and _IDENTIFIER.fullmatch(value) is not None
    )


def is_site_name(value: object) -> bool:
    """Whether ``value`` is a site name by :data:`SITE_NAME_RULE`."""
    return (
        isinstance(value, str)
        and len(value) <= SITE_NAME_MAX_LENGTH
        and _SITE_NAME.fullmatch(value) is not None
    )


AttributeValue = str | int | float | bool | None


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(_data: dict[str, Any]) -> datetime:
    """The default of an event's time fields: :func:`utc_now`, through a factory that takes the
    validated data so that pydantic never calls it when serialising with ``exclude_defaults``
    (it calls a no-argument factory and compares): a time is always written, even one equal
    to the clock at the moment of writing (a frozen clock in a test)."""
    return utc_now()


class Contract(BaseModel):
    """Base of every model that crosses a process boundary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def read(cls, raw: str | bytes) -> Self:
        """Parse JSON written by any compatible writer: unknown fields (from a newer writer)
        are ignored, here and in every nested model. A value in the deflated stored form
        (:mod:`rapport_contracts.stored`) is inflated first; a damaged one is invalid JSON
        (a ``ValidationError`` saying why, what every reader already handles)."""
        try:
            data = expand(raw)
        except StoredFormError as exc:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [{"type": "json_invalid", "loc": (), "input": raw, "ctx": {"error": str(exc)}}],
            ) from exc
        return cls.model_validate_json(data, extra="ignore")

    def compact_json(self) -> str:
        """The stored form (every Redis writer's, issue 14): the JSON of the model without the
        fields that are at their default, which :meth:`read` (today's and every earlier
        version's) restores to the same values, so ``read(m.compact_json()) == m``. The
        JSON Schema is unchanged (a field with a default is never required); see
        ``docs/architecture.md``, "Changing a contract", on what it asks of a reader."""
        return self.model_dump_json(exclude_defaults=True)


class Event(Contract):
    schema_version: int = Field(
        default=SCHEMA_VERSION,
        description=f"The contract version the writer used; readers accept "
        f"{sorted(READABLE_SCHEMA_VERSIONS)}.",
        json_schema_extra={"enum": list[JsonValue](sorted(READABLE_SCHEMA_VERSIONS))},
    )

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, version: int) -> int:
        if version not in READABLE_SCHEMA_VERSIONS:
            raise ValueError(
                f"schema_version {version} is not one this reader knows "
                f"({', '.join(map(str, sorted(READABLE_SCHEMA_VERSIONS)))}); "
                "upgrade rapport-contracts to read it"
            )
        return version

    def compact_json(self) -> str:
        """As :meth:`Contract.compact_json`, with ``schema_version`` always written at the top
        level (a reader must not have to guess the writer's version); a nested event's
        version, when it is the current one, is left out like any other default."""
        body = self.model_dump_json(exclude_defaults=True)
        if self.schema_version != SCHEMA_VERSION:
            return body  # not the default: written already
        return f'{{"schema_version":{SCHEMA_VERSION}{"," if body != "{}" else ""}{body[1:]}'


class Customer(Contract):
    """What the site tells Rapport about the person writing; every field is optional."""

    id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    tier: str | None = Field(default=None, max_length=64)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


class Message(Event):
    """One turn of a conversation, as accepted at the edge (stream ``rapport:messages``)."""

    site: SiteName
    conversation_id: Identifier
    message_id: Identifier
    author: Author
    text: str = Field(max_length=100_000)
    sent_at: datetime
    received_at: datetime = Field(default_factory=_stamp)
    channel: str = Field(default="chat", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    customer: Customer | None = None
    provider: str = Field(default="rapport", max_length=64)
    provider_ids: dict[str, str] = Field(default_factory=dict)
    traceparent: str | None = Field(
        default=None,
        pattern=TRACEPARENT_PATTERN,
        description="W3C traceparent of the request that brought this in: stream entries have "
        "no headers, so the trace context travels in the event.",
    )


_AUTHOR_INITIAL: dict[str, str] = {"customer": "c", "bot": "b", "agent": "a", "system": "s"}
_INITIAL_AUTHOR: dict[str, Author] = {"c": "customer", "b": "bot", "a": "agent", "s": "system"}


class Turn(Contract):
    """An earlier turn of the conversation, as the classifier sees it."""

    author: Author
    text: str

    def pack(self) -> str:
        """The form the conversation's ``turns`` list stores (issue 14): the author's initial
        and the text, ``c`` + text for a customer's turn, 30 bytes fewer than the JSON
        ``{"author":"customer","text":...}``. :meth:`read` reads both."""
        return _AUTHOR_INITIAL[self.author] + self.text

    @classmethod
    def read(cls, raw: str | bytes) -> Self:
        """A turn packed by :meth:`pack`, or its JSON (turns stored before the packed form):
        a packed turn never starts with ``{``, JSON always does."""
        text = raw.decode() if isinstance(raw, bytes) else raw
        author = _INITIAL_AUTHOR.get(text[:1])
        if author is None:
            return super().read(text)
        return cls(author=author, text=text[1:])


class Signal(Contract):
    """One reason to pay attention, with the span of text that triggered it."""

    name: str
    score: float = Field(ge=0.0, le=1.0)
    evidence: str = ""
    start: int | None = None
    end: int | None = None


class Classification(Contract):
    sentiment: SentimentLabel
    sentiment_score: float = Field(ge=-1.0, le=1.0)
    frustration: float = Field(ge=0.0, le=1.0)
    complexity: float = Field(ge=0.0, le=1.0)
    complexity_level: ComplexityLevel
    signals: tuple[Signal, ...] = ()
    language: str = Field(default="en", description="ISO 639-1 code the text was read as.")
    language_confidence: float | None = Field(
        default=None, ge=0.0, le=1.0, description="How sure the language detector was."
    )
    language_source: Literal["given", "detected", "default"] = Field(
        default="default",
        description="given: the helpdesk said so; detected: from the text; default: neither.",
    )
    language_supported: bool = Field(
        default=True,
        description="False: the classifier has no lexicon for this language; only phrase-list "
        "signals (safety, explicit human requests) were looked for.",
    )
    classifier_version: str

    def signal(self, name: str) -> Signal | None:
        return next((s for s in self.signals if s.name == name), None)


class ClassifiedMessage(Event):
    """A message with its classification (stream ``rapport:classified``)."""

    message: Message
    classification: Classification | None = Field(
        default=None, description="None for bot and agent turns, which are not classified."
    )
    bot_fallback: bool = Field(
        default=False,
        description="A bot turn that is a fallback reply (the bot did not understand).",
    )


class Reason(Contract):
    """Why a rule fired: which signal or attribute, the value observed, the threshold."""

    rule: str
    signal: str | None = None
    value: float | str | bool | None = None
    threshold: float | str | None = None
    detail: str = ""


class Decision(Event):
    """What the router decided for one customer message (stream ``rapport:decisions``)."""

    decision_id: Identifier
    site: SiteName
    conversation_id: Identifier
    message_id: Identifier
    route: Route
    queue: str | None = None
    priority: Priority
    reasons: tuple[Reason, ...]
    policy_id: str
    policy_version: str
    classifier_version: str
    tags: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    customer_message: str | None = Field(
        default=None, description="What the customer should be told (e.g. after hours)."
    )
    shadow: bool = Field(
        default=False, description="True for a candidate policy's verdict; never acted on."
    )
    decided_at: datetime = Field(default_factory=_stamp)


class AutomationInstruction(Event):
    """What the site's bot should do (stream ``rapport:automation``): ``respond`` to a message
    it keeps, ``hold`` while a person owns the conversation, ``resume`` when they are done."""

    instruction_id: Identifier
    site: SiteName
    conversation_id: Identifier
    action: Literal["respond", "hold", "resume"]
    message_id: Identifier | None = None
    decision_id: Identifier | None = None
    reason: str = ""
    customer_message: str | None = Field(
        default=None, description="Say this to the customer (e.g. a promise of a call back)."
    )
    at: datetime = Field(default_factory=_stamp)


class Notification(Event):
    """Someone besides the assigned queue should know (stream ``rapport:notifications``)."""

    notification_id: Identifier
    site: SiteName
    conversation_id: Identifier
    decision_id: Identifier
    targets: tuple[str, ...]
    priority: Priority
    reason: str
    at: datetime = Field(default_factory=_stamp)


class TranscriptEntry(Contract):
    message_id: str
    author: Author
    text: str
    sent_at: datetime
    sentiment: SentimentLabel | None = None
    sentiment_score: float | None = None


class HandoffPacket(Event):
    """Everything a person needs to take over without asking the customer to repeat themselves
    (stream ``rapport:escalations``)."""

    handoff_id: Identifier
    site: SiteName
    conversation_id: Identifier
    decision: Decision
    summary: str
    transcript: tuple[TranscriptEntry, ...]
    sentiment_trend: tuple[float, ...]
    signals: tuple[Signal, ...] = ()
    customer: Customer | None = None
    channel: str = "chat"
    provider: str = "rapport"
    provider_ids: dict[str, str] = Field(default_factory=dict)
    traceparent: str | None = Field(
        default=None,
        pattern=TRACEPARENT_PATTERN,
        description="W3C traceparent of the request that brought this in: stream entries have "
        "no headers, so the trace context travels in the event.",
    )


class HandoffResult(Event):
    """What happened to one handoff (stream ``rapport:handoffs``)."""

    handoff_id: Identifier
    site: SiteName
    conversation_id: Identifier
    decision_id: Identifier | None = Field(default=None, description="The decision handed off.")
    adapter: str
    status: HandoffStatus
    attempts: int = Field(ge=1)
    detail: str = ""
    external_id: str | None = None
    at: datetime = Field(default_factory=_stamp)


class DeadLetter(Event):
    """An entry that could not be processed, parked with its reason (stream ``rapport:dlq``)."""

    stream: str
    group: str
    entry_id: str
    deliveries: int
    reason: str
    payload: str
    at: datetime = Field(default_factory=_stamp)


EVENTS: dict[str, type[Event]] = {
    "Message": Message,
    "ClassifiedMessage": ClassifiedMessage,
    "Decision": Decision,
    "AutomationInstruction": AutomationInstruction,
    "Notification": Notification,
    "HandoffPacket": HandoffPacket,
    "HandoffResult": HandoffResult,
    "DeadLetter": DeadLetter,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every event, keyed by event name (the contract snapshot)."""
    return {name: model.model_json_schema() for name, model in sorted(EVENTS.items())}


FeedbackVerdict = Literal["unneeded-escalation", "missed-escalation", "correct"]


class Feedback(Event):
    """A person's verdict on one decision (stream ``rapport:feedback``): the escalation was not
    needed, an escalation was missed, or the decision was right. The latest verdict per
    ``decision_id`` counts; the decision's route, rule and language travel with it so a reader
    needs no join."""

    feedback_id: Identifier
    site: SiteName
    conversation_id: Identifier
    decision_id: Identifier
    verdict: FeedbackVerdict
    route: Route | None = Field(default=None, description="The judged decision's route.")
    rule: str | None = Field(default=None, description="The rule that decided (first reason).")
    language: str | None = Field(default=None, max_length=16)
    source: Literal["console", "helpdesk"] = "console"
    author: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)
    at: datetime = Field(default_factory=_stamp)


EVENTS["Feedback"] = Feedback
