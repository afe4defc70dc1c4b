"""The policy lab: a candidate policy (an uploaded file or pasted YAML) replayed over a site's
recorded conversations, beside the site's live policy and its shadow policy.

The candidate is checked exactly as ``rapport policy check`` checks a file
(``rapport_runtime.config.parse_yaml`` and ``policy_warnings``: every error and warning with
its line). The history is what Redis still holds: each conversation's classified messages
(``ConversationKeys.messages``), the newest ``cap`` conversations with a customer turn in the
chosen range. Each conversation is replayed from its first turn (the state the router held is
rebuilt, as ``rapport policy replay --from-stream`` does) with the router's own engine; only
turns inside the range are compared. Sites and their policies come from ``RAPPORT_CONFIG``
(policy files resolved beside it; no secret is read), or the built-in demo site.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from rapport_console import data
from rapport_contracts import Decision
from rapport_contracts.policy import Policy
from rapport_router.engine import decide
from rapport_router.replay import Change, Comparison, compare, items_from_history
from rapport_runtime.config import (
    ConfigError,
    SitesFile,
    demo_sites,
    load_policy_file,
    parse_yaml,
    policy_warnings,
)
from rapport_runtime.policies import default_policy
from rapport_runtime.settings import RapportSettings

MAX_POLICY_BYTES = 128 * 1024
MAX_BODY_BYTES = MAX_POLICY_BYTES * 2 + 16 * 1024
DEFAULT_RANGE = timedelta(days=7)
PASTED = "pasted policy"


@dataclass(frozen=True)
class SitePolicies:
    site: str
    live: Policy
    shadow: Policy | None = None


def _resolve(value: str | Policy, base: Path) -> Policy:
    if isinstance(value, Policy):
        return value
    if value == "default":
        return default_policy()
    path = Path(value) if Path(value).is_absolute() else base / value
    return load_policy_file(path)


def site_policies(settings: RapportSettings) -> dict[str, SitePolicies]:
    """Each configured site's live and shadow policy (without resolving any secret); the
    built-in demo site when no sites file is configured. Raises ConfigError (one message)."""
    if not settings.config:
        return {
            name: SitePolicies(name, site.policy, site.shadow_policy)
            for name, site in demo_sites().sites.items()
        }
    path = Path(settings.config)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read RAPPORT_CONFIG={path}: {exc.strerror}") from None
    parsed, _ = parse_yaml(str(path), text, SitesFile)
    assert isinstance(parsed, SitesFile)
    out = {}
    for name, cfg in parsed.sites.items():
        shadow = None if cfg.shadow_policy is None else _resolve(cfg.shadow_policy, path.parent)
        out[name] = SitePolicies(name, _resolve(cfg.policy, path.parent), shadow)
    return out


@dataclass(frozen=True)
class Checked:
    """A candidate policy as ``rapport policy check`` sees it."""

    policy: Policy | None
    errors: list[str]
    warnings: list[str]


def check_candidate(text: str, name: str = PASTED) -> Checked:
    """Errors and warnings name ``name`` and the line, as ``rapport policy check`` prints."""
    if not text.strip():
        return Checked(None, ["paste a policy (YAML) or choose a policy file"], [])
    try:
        policy, locate = parse_yaml(name, text, Policy)
    except ConfigError as exc:
        lines = str(exc).removeprefix("invalid configuration:\n").splitlines()
        return Checked(None, [line for line in lines if line.strip()], [])
    assert isinstance(policy, Policy)
    return Checked(policy, [], policy_warnings(policy, locate))


class FormError(ValueError):
    """The lab's form cannot be read; the message is one line for the page."""


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The fields of a ``multipart/form-data`` (or urlencoded) body, and the uploaded policy
    file (name, bytes) when one was chosen. Read with the standard library's MIME parser."""
    if len(body) > MAX_BODY_BYTES:
        raise FormError(f"the form is larger than {MAX_BODY_BYTES // 1024} KB")
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in fields.items()}, None
    if not content_type.startswith("multipart/form-data"):
        raise FormError("the form must be sent as multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise FormError("the form could not be read (no parts)")
    values: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if raw:
                upload = (Path(filename).name or "policy.yaml", raw)
            continue
        values.setdefault(name, raw.decode("utf-8", "replace"))
    return values, upload


def parse_time(value: str, field_name: str) -> datetime | None:
    """A ``datetime-local`` value (UTC) or an ISO time; None when empty."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FormError(f"{field_name}: {value!r} is not a time like 2026-11-26T10:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Conversation:
    """One conversation's changed decisions: candidate against the live policy."""

    conversation_id: str
    changes: list[Change]
    recorded: dict[str, Decision] = field(default_factory=dict)  # message_id -> live decision


@dataclass
class LabResult:
    site: str
    since: datetime
    until: datetime
    history: data.History
    live: Comparison
    shadow: Comparison | None
    conversations: list[Conversation]
    turns: int
    rule_changes: int  # turns whose route stayed but whose deciding rule changed


def replay(
    policies: SitePolicies,
    candidate: Policy,
    history: data.History,
    since: datetime,
    until: datetime,
) -> LabResult:
    """The candidate against the live (and shadow) policy over the turns in the range."""
    items = [
        item
        for item in items_from_history(history.classified(), history.site)
        if since <= item[5].at <= until
    ]
    live = compare(items, candidate, policies.live)
    shadow = None if policies.shadow is None else compare(items, candidate, policies.shadow)
    rule_changes = 0
    for _, _, _, c, state, context in items:
        new, old = decide(candidate, c, state, context), decide(policies.live, c, state, context)
        rule_changes += new.route == old.route and new.rule != old.rule
    recorded: dict[tuple[str, str], Decision] = {
        (d.conversation_id, d.message_id): d for d in history.decisions if not d.shadow
    }
    grouped: dict[str, Conversation] = {}
    for change in live.changes:
        group = grouped.setdefault(change.conversation_id, Conversation(change.conversation_id, []))
        group.changes.append(change)
        found = recorded.get((change.conversation_id, change.message_id))
        if found is not None:
            group.recorded[change.message_id] = found
    return LabResult(
        site=history.site,
        since=since,
        until=until,
        history=history,
        live=live,
        shadow=shadow,
        conversations=list(grouped.values()),
        turns=len(items),
        rule_changes=rule_changes,
    )


def time_range(form: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    since = parse_time(form.get("since", ""), "from") or now - DEFAULT_RANGE
    until = parse_time(form.get("until", ""), "until") or now
    if since >= until:
        raise FormError("the range is empty: `from` must be before `until`")
    return since, until
