"""The policy file's schema: ordered rules, first match wins.

The models live in the contracts package because a site's configuration embeds its policy and
is validated at start-up by every service, and a third party may want to write or check one;
the router's decision step (``rapport_router.decision``) applies them. Reading YAML is the
runtime's job (``rapport_runtime.policies``): this package depends on Pydantic only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rapport_contracts import Priority, Route


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

    any_signal: tuple[str, ...] = Field(
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
