"""The policy file's schema: ordered rules, first match wins.

The models live in the shared package because a site's configuration embeds its policy and is
validated at start-up by every service; the router's engine (``rapport_router.engine``)
applies them.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rapport.contracts import Priority, Route


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
    bot_failures_at_least: int | None = Field(default=None, ge=1)


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$")]
    description: str = ""
    when: Conditions = Conditions()
    route: Route
    queue: str | None = None
    priority: Priority = "normal"

    @model_validator(mode="after")
    def _human_needs_queue(self) -> Rule:
        if self.route == "human" and not self.queue:
            raise ValueError(f"rule {self.name!r} routes to a human but names no queue")
        return self


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


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    rules: tuple[Rule, ...]
    default_priority: Priority = "low"
    queues: dict[str, Queue] = Field(
        default_factory=dict, description="Per-queue settings, such as the escalation ladder."
    )
    resolve_after_minutes: float = Field(
        default=24 * 60,
        gt=0,
        description="An escalated or human-owned conversation quiet this long is resolved.",
    )

    @model_validator(mode="after")
    def _unique_rule_names(self) -> Policy:
        if not self.rules:
            raise ValueError("a policy needs at least one rule")
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(duplicates)}")
        return self


def load_policy_text(text: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(text))


def default_policy() -> Policy:
    """The policy shipped with Rapport (``default_policy.yaml`` beside this module)."""
    text = resources.files("rapport").joinpath("default_policy.yaml").read_text("utf-8")
    return load_policy_text(text)
