"""The policy file's schema: ordered rules, first match wins.

The models live in the contracts package because a site's configuration embeds its policy and
is validated at start-up by every service, and a third party may want to write or check one;
the router's decision step (``rapport_router.decision``) applies them. Reading YAML is the
runtime's job (``rapport_runtime.policies``): this package depends on Pydantic only.

Longer than most modules on purpose: the whole policy schema in one place, the way a
site's engineer reads it, with the validators beside the fields they check.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from rapport_contracts import Priority, Route
from rapport_contracts.signals import SIGNAL_NAMES, SIGNALS, unknown_signal_message


def _known_signal(name: str) -> str:
    if name not in SIGNAL_NAMES:
        raise ValueError(unknown_signal_message(name))
    return name


# A signal name from the closed set (``rapport_contracts.signals``); a typo is refused with the
# closest known name.
SignalName = Annotated[
    str,
    AfterValidator(_known_signal),
    Field(json_schema_extra={"enum": list(SIGNALS)}),
]


class Rising(BaseModel):
    """Frustration rose by at least ``by`` over the last ``turns`` customer turns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    turns: int = Field(default=3, ge=2, le=20)
    by: float = Field(default=0.2, gt=0.0, le=1.0)


class CustomerMatch(BaseModel):
    """Customer fields to match: each value, or any value of a list, must equal what the
    webhook sent (``attributes`` are any keys the site sends)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: tuple[str, ...] = ()
    attributes: dict[str, tuple[str | int | float | bool, ...]] = Field(default_factory=dict)


class Conditions(BaseModel):
    """All given conditions must hold for a rule to fire (an empty set always holds)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    any_signal: tuple[SignalName, ...] = Field(
        default=(), description="Fires when any of these signals is present at min_signal_score."
    )
    min_signal_score: float = Field(default=0.5, ge=0.0, le=1.0)
    sentiment_score_at_most: float | None = Field(default=None, ge=-1.0, le=1.0)
    frustration_at_least: float | None = Field(default=None, ge=0.0, le=1.0)
    complexity_at_least: float | None = Field(default=None, ge=0.0, le=1.0)
    negative_turns_at_least: int | None = Field(
        default=None, ge=1, description="Negative customer turns so far, this one included."
    )
    bot_failures_at_least: int | None = Field(
        default=None, ge=1, description="The bot's fallback replies in a row, just before."
    )
    bot_failures_at_most: int | None = Field(
        default=None,
        ge=0,
        description="At most this many fallback replies in a row just before (0: none).",
    )
    frustration_rising: Rising | None = None
    waiting_minutes_at_least: float | None = Field(
        default=None, ge=0, description="Minutes since the customer's first message."
    )
    customer: CustomerMatch | None = None
    channel: tuple[str, ...] = Field(default=(), description="Any of these channels.")
    language: tuple[str, ...] = Field(default=(), description="Any of these languages.")
    business_hours: bool | None = Field(
        default=None,
        description="true: only inside the policy's business hours; false: only outside.",
    )

    @model_validator(mode="before")
    @classmethod
    def _known_conditions(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = list(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
                    head = str(key).split("_", 1)[0]
                    close = close or [k for k in known if k.split("_", 1)[0] == head][:1]
                    hint = f"did you mean {close[0]!r}? " if close else ""
                    raise ValueError(
                        f"unknown condition {key!r}; {hint}conditions: {', '.join(known)}"
                    )
        return data

    @model_validator(mode="after")
    def _satisfiable(self) -> Conditions:
        low, high = self.bot_failures_at_least, self.bot_failures_at_most
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"bot_failures_at_least {low} and bot_failures_at_most {high} can never both hold"
            )
        return self


class AfterHours(BaseModel):
    """What a human outcome becomes outside business hours: a human queue with an honest
    expectation, or automation with a promise of a call back."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    route: Route
    queue: str | None = None
    message: str = Field(min_length=1, description="What the customer is told.")


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")]
    description: str = ""
    when: Conditions = Conditions()
    route: Route
    queue: str | None = None
    priority: Priority = "normal"
    tags: tuple[str, ...] = Field(default=(), description="Added to the helpdesk ticket.")
    notify: tuple[str, ...] = Field(
        default=(), description="Who else to tell, e.g. `supervisor` (on rapport:notifications)."
    )
    after_hours: AfterHours | None = None

    @model_validator(mode="after")
    def _human_needs_queue(self) -> Rule:
        if self.route == "human" and not self.queue:
            raise ValueError(f"rule {self.name!r} routes to a human but names no queue")
        return self


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(description="An IANA time zone, e.g. Europe/Berlin.")
    hours: dict[str, tuple[str, ...]] = Field(
        description="Per weekday (mon..sun), opening spans like `09:00-17:30`; missing = closed."
    )
    holidays: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> BusinessHours:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        for day, spans in self.hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            for span in spans:
                if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d", span):
                    raise ValueError(f"opening span {span!r} must look like 09:00-17:30")
                start, end = span.split("-")
                if start >= end:
                    raise ValueError(f"opening span {span!r} ends before it starts")
        return self

    def is_open(self, when: datetime) -> bool:
        local = when.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        now = local.strftime("%H:%M")
        return any(
            start <= now < end
            for start, end in (
                span.split("-") for span in self.hours.get(WEEKDAYS[local.weekday()], ())
            )
        )


class LadderStep(BaseModel):
    """Where an escalation goes when no agent has replied ``after_minutes`` after it opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_minutes: float = Field(gt=0)
    priority: Priority | None = None
    queue: str | None = None

    @model_validator(mode="after")
    def _does_something(self) -> LadderStep:
        if self.priority is None and self.queue is None:
            raise ValueError("a ladder step must raise the priority, move the queue, or both")
        return self


class Queue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ladder: tuple[LadderStep, ...] = ()

    @model_validator(mode="after")
    def _increasing(self) -> Queue:
        times = [step.after_minutes for step in self.ladder]
        if times != sorted(set(times)):
            raise ValueError("ladder steps must have strictly increasing after_minutes")
        return self


class HandoffFailure(BaseModel):
    """What happens when a handoff fails (the helpdesk refused it, it was dead-lettered, or it
    was not confirmed in time): a customer is never left on hold with nobody coming."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fallback_queue: str | None = Field(
        default=None,
        description="Try once more on this queue before giving up (e.g. an on-call queue).",
    )
    notify: tuple[str, ...] = Field(
        default=("on-call",), min_length=1, description="Who is told, at urgent priority."
    )
    message: str = Field(
        default=(
            "Sorry, we could not connect you with a person just now. Your conversation has "
            "been passed to our on-call team, who will contact you as soon as possible."
        ),
        min_length=1,
        description="What the bot tells the customer when it takes the conversation back.",
    )


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    rules: tuple[Rule, ...]
    default_priority: Priority = "low"
    queues: dict[str, Queue] = Field(
        default_factory=dict, description="Per-queue settings, such as the escalation ladder."
    )
    business_hours: BusinessHours | None = None
    resolve_after_minutes: float = Field(
        default=24 * 60,
        gt=0,
        description="An escalated or human-owned conversation quiet this long is resolved.",
    )
    handoff_failure: HandoffFailure = Field(
        default_factory=HandoffFailure,
        description="What happens when a handoff fails: fallback queue, who is told, and what "
        "the customer hears.",
    )

    @model_validator(mode="after")
    def _unique_rule_names(self) -> Policy:
        if not self.rules:
            raise ValueError("a policy needs at least one rule")
        for rule in self.rules:
            needs_hours = rule.after_hours is not None or rule.when.business_hours is not None
            if needs_hours and self.business_hours is None:
                raise ValueError(
                    f"rule {rule.name!r} depends on business hours but the policy has no "
                    "`business_hours` section"
                )
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True, slots=True)
class RuleWarning:
    """A rule that can never decide: every message it would fire on is taken by an earlier
    rule (``rule`` and ``by`` are indices into the policy's rules)."""

    rule: int
    by: int
    message: str


def _subset(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    """A non-empty ``outer`` list condition holds whenever ``inner`` (non-empty) holds."""
    return not outer or (bool(inner) and set(inner) <= set(outer))


def _at_least(later: float | None, earlier: float | None) -> bool:
    return earlier is None or (later is not None and later >= earlier)


def _at_most(later: float | None, earlier: float | None) -> bool:
    return earlier is None or (later is not None and later <= earlier)


def implies(later: Conditions, earlier: Conditions) -> bool:
    """Whether ``earlier`` holds for every message ``later`` holds for (a conservative test:
    True only when it follows from the thresholds alone, whatever the message)."""
    if earlier.any_signal and not (
        later.any_signal
        and set(later.any_signal) <= set(earlier.any_signal)
        and later.min_signal_score >= earlier.min_signal_score
    ):
        return False
    bounds = (
        _at_most(later.sentiment_score_at_most, earlier.sentiment_score_at_most),
        _at_least(later.frustration_at_least, earlier.frustration_at_least),
        _at_least(later.complexity_at_least, earlier.complexity_at_least),
        _at_least(later.negative_turns_at_least, earlier.negative_turns_at_least),
        _at_least(later.bot_failures_at_least, earlier.bot_failures_at_least),
        _at_most(later.bot_failures_at_most, earlier.bot_failures_at_most),
        _at_least(later.waiting_minutes_at_least, earlier.waiting_minutes_at_least),
        _subset(later.channel, earlier.channel),
        _subset(later.language, earlier.language),
        earlier.business_hours is None or later.business_hours == earlier.business_hours,
    )
    if not all(bounds):
        return False
    if earlier.frustration_rising is not None:
        rising, mine = earlier.frustration_rising, later.frustration_rising
        if mine is None or mine.turns != rising.turns or mine.by < rising.by:
            return False
    if earlier.customer is not None:
        want, have = earlier.customer, later.customer or CustomerMatch()
        if not _subset(have.tier, want.tier):
            return False
        for key, allowed in want.attributes.items():
            given = have.attributes.get(key, ())
            if not given or not set(given) <= set(allowed):
                return False
    return True


def rule_warnings(policy: Policy) -> list[RuleWarning]:
    """Rules that can never decide because an earlier rule fires on every message they
    would: a catch-all placed early, or a broader rule before a narrower one."""
    out: list[RuleWarning] = []
    for j, rule in enumerate(policy.rules):
        for i, earlier in enumerate(policy.rules[:j]):
            if not implies(rule.when, earlier.when):
                continue
            if earlier.when == Conditions():
                why = f"rule {earlier.name!r} has no conditions, so it fires first on every message"
            else:
                why = f"rule {earlier.name!r} fires first on every message this one would"
            out.append(RuleWarning(j, i, f"rule {rule.name!r} can never fire: {why}"))
            break
    return out
