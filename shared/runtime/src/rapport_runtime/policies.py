"""Policy files as YAML: the shipped default policy and text loading. The schema itself lives in
:mod:`rapport_contracts.policy` (Pydantic only); YAML belongs to the runtime."""

from __future__ import annotations

from importlib import resources

import yaml

from rapport_contracts.policy import Policy


def load_policy_text(text: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(text))


def default_policy() -> Policy:
    """The policy shipped with Rapport (``default_policy.yaml`` beside this module)."""
    text = resources.files("rapport_runtime").joinpath("default_policy.yaml").read_text("utf-8")
    return load_policy_text(text)
