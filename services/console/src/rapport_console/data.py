"""What the console reads from Redis. Nothing here writes except :func:`record_feedback`.

The console keeps no state of its own: who waits for a person is the router's conversation
state (found with ``SCAN`` over the state keys, which is fine at a support team's scale), the
feed is ``rapport:decisions``, a conversation is its record (the keys of
:class:`~rapport_runtime.redis.ConversationKeys`), and feedback is ``rapport:feedback``.

Longer than most modules: every read the pages make, in one place, so the Redis layout the
console depends on is visible at once.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from redis.asyncio import Redis

from rapport_archive.analytics import VerdictRates
from rapport_contracts import (
    DATA_FIELD,
    ClassifiedMessage,
    Decision,
    HandoffPacket,
    HandoffResult,
    Priority,
    Streams,
)
from rapport_contracts.events import Feedback, FeedbackVerdict
from rapport_contracts.stored import StoredFormError, expand
from rapport_runtime.partitions import (
    EntryIdError,
    all_partitions,
    parse_entry_id,
    partition_client,
    partition_of,
)
from rapport_runtime.redis import ConversationKeys, resolve_records, xadd_event
from rapport_runtime.settings import RapportSettings

PRIORITY_RANK: dict[str, int] = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
SCAN_COUNT = 1000
FAILURES_WINDOW_S = 24 * 3600
STREAM_CHUNK = 1000
BANNER_SCAN = 5000  # handoff results the banner looks at, newest first


@dataclass(frozen=True)
class Part:
    """One partition as the console reads it (RAPPORT_PARTITIONS, docs/scaling.md): its index,
    its key prefix and streams, and a client that reaches its slot (on a cluster the master
    owning it, so SCAN, MGET and pipelines over the partition's keys work as on one Redis)."""

    index: int
    redis: Redis
    prefix: str
    streams: Streams


async def parts(redis: Redis, settings: RapportSettings) -> list[Part]:
    """Every partition; with one untagged partition, one ``Part`` on ``redis`` itself."""
    return [
        Part(p, await partition_client(redis, s), s.prefix, s.streams)
        for p, s in enumerate(all_partitions(settings))
    ]


async def part_of(redis: Redis, settings: RapportSettings, site: str, conversation_id: str) -> Part:
    """The partition holding this conversation's record and events."""
    p = partition_of(site, conversation_id, settings.partitions)
    s = all_partitions(settings)[p]
    return Part(p, await partition_client(redis, s), s.prefix, s.streams)


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class OwnerState(BaseModel):
    """The part of the router's stored conversation state the console shows. Read tolerantly
    (the router owns the document; unknown fields are ignored, missing ones defaulted)."""

    model_config = ConfigDict(extra="ignore")

    owner: Literal["bot", "escalated", "human", "resolved"] = "bot"
    episode: int = 0
    queue: str | None = None
    priority: Priority | None = None
    escalated_at: datetime | None = None
    human_since: datetime | None = None
    resolved_at: datetime | None = None
    ladder_step: int = 0
    origin_queue: str | None = None
    handoff_confirmed: bool = False


@dataclass(frozen=True)
class Waiting:
    site: str
    conversation_id: str
    queue: str
    priority: str
    escalated_at: datetime | None
    waiting_s: float
    ladder_step: int
    origin_queue: str | None
    handoff_confirmed: bool


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def split_state_key(prefix: str, key: str) -> tuple[str, str] | None:
    """``<prefix>:conv:{<site>:<conversation>}:state`` -> (site, conversation)."""
    head, tail = f"{prefix}:conv:{{", "}:state"
    if not (key.startswith(head) and key.endswith(tail)):
        return None
    site, sep, conversation = key[len(head) : -len(tail)].partition(":")
    return (site, conversation) if sep and site and conversation else None


async def waiting(partitions: list[Part], now: datetime | None = None) -> list[Waiting]:
    """Conversations escalated and not yet picked up by a person, in every partition, most
    urgent and longest waiting first."""
    now = now or datetime.now(UTC)
    found: list[Waiting] = []
    for part in partitions:
        found += await _waiting(part.redis, part.prefix, now)
    found.sort(key=lambda w: (PRIORITY_RANK.get(w.priority, 9), -w.waiting_s, w.site))
    return found


async def _waiting(redis: Redis, prefix: str, now: datetime) -> list[Waiting]:
    keys = [
        _text(k)
        async for k in redis.scan_iter(match=f"{_glob(prefix)}:conv:*:state", count=SCAN_COUNT)
    ]
    found: list[Waiting] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for key, raw in zip(chunk, await redis.mget(chunk), strict=True):
            where = split_state_key(prefix, key)
            if raw is None or where is None:
                continue
            try:
                state = OwnerState.model_validate_json(expand(raw))  # JSON or deflated
            except (ValidationError, StoredFormError):
                continue
            if state.owner != "escalated":
                continue
            since = state.escalated_at
            found.append(
                Waiting(
                    site=where[0],
                    conversation_id=where[1],
                    queue=state.queue or "-",
                    priority=state.priority or "normal",
                    escalated_at=since,
                    waiting_s=max(0.0, (now - since).total_seconds()) if since else 0.0,
                    ladder_step=state.ladder_step,
                    origin_queue=state.origin_queue,
                    handoff_confirmed=state.handoff_confirmed,
                )
            )
    return found


def waiting_groups(items: list[Waiting]) -> list[dict[str, Any]]:
    """How many wait per site, queue and priority, with the longest wait of each group."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for w in items:
        group = groups.setdefault(
            (w.site, w.queue, w.priority),
            {"site": w.site, "queue": w.queue, "priority": w.priority, "count": 0, "oldest_s": 0.0},
        )
        group["count"] += 1
        group["oldest_s"] = max(group["oldest_s"], w.waiting_s)
    return sorted(
        groups.values(), key=lambda g: (g["site"], g["queue"], PRIORITY_RANK.get(g["priority"], 9))
    )


def decision_row(entry_id: str, decision: Decision) -> dict[str, Any]:
    return {
        "id": entry_id,
        "decision_id": decision.decision_id,
        "decided_at": decision.decided_at.isoformat(),
        "site": decision.site,
        "conversation_id": decision.conversation_id,
        "route": decision.route,
        "queue": decision.queue,
        "priority": decision.priority,
        "rule": rule_of(decision),
        "shadow": decision.shadow,
    }


def rule_of(decision: Decision) -> str:
    return decision.reasons[0].rule if decision.reasons else "default"


def _read_entries(entries: Any) -> list[tuple[str, bytes | str]]:
    """(entry id, ``__data__``) of a redis-py stream reply."""
    out = []
    for entry_id, fields in entries or []:
        raw = fields.get(DATA_FIELD.encode()) or fields.get(DATA_FIELD)
        if raw is not None:
            out.append((_text(entry_id), raw))
    return out


async def _recent(
    redis: Redis, streams: Streams, after: str | None, count: int
) -> list[dict[str, Any]]:
    """One partition's newest decisions, newest first; with ``after`` (a stream entry id), the
    oldest ``count`` written after it."""
    raw: Any
    if after:
        newer = await redis.xrange(streams.decisions, min=f"({after}", max="+", count=count)
        raw = list(reversed(newer or []))
    else:
        raw = await redis.xrevrange(streams.decisions, max="+", min="-", count=count)
    rows = []
    for entry_id, data in _read_entries(raw):
        try:
            rows.append(decision_row(entry_id, Decision.read(data)))
        except ValidationError:
            continue
    return rows


class CursorError(ValueError):
    """An ``after`` the live feed cannot read; the message says what it should look like."""


def _cursor_positions(partitions: list[Part], after: str | None) -> list[str | None]:
    """Each partition's position in the feed. With one partition ``after`` is an entry id;
    with several, the cursor the feed was given (``p0:<id>,p1:<id>,...``, one per partition),
    or a bare entry id, taken as the same position in each."""
    if not after:
        return [None] * len(partitions)
    bare = _is_bare_id(after)
    if len(partitions) == 1 or bare:
        if not bare:
            raise CursorError("`after` is a stream entry id like 1-0.")
        return [after] * len(partitions)
    positions: list[str | None] = [None] * len(partitions)
    for item in after.split(","):
        try:
            p, entry_id = parse_entry_id(len(partitions), item)
        except EntryIdError:
            raise CursorError(
                "`after` is the feed's cursor, one entry id per partition like "
                "p0:1-0,p1:1-0 (or one entry id for them all)."
            ) from None
        positions[p] = entry_id
    if any(position is None for position in positions):
        raise CursorError(
            f"`after` must give a position for each of the {len(partitions)} partitions."
        )
    return positions


def _is_bare_id(value: str) -> bool:
    ms, sep, seq = value.partition("-")
    return ms.isdigit() and (not sep or seq.isdigit())


async def recent_decisions(
    partitions: list[Part], after: str | None = None, count: int = 50
) -> tuple[list[dict[str, Any]], str]:
    """The newest decisions of every partition, newest first, and the feed's cursor; with
    ``after`` (a cursor this returned), only the ones written after it (what the live feed
    polls for). With one partition rows and cursor are plain entry ids, as they always were;
    with several each row's id is qualified (``p3:<id>``) and the cursor holds each
    partition's position, so no partition's decisions are skipped, whatever ids the others
    (or another master's clock) gave theirs. Raises CursorError for an ``after`` it cannot
    read."""
    positions = _cursor_positions(partitions, after)
    found: list[tuple[tuple[int, int], int, dict[str, Any]]] = []
    for part, position in zip(partitions, positions, strict=True):
        for row in await _recent(part.redis, part.streams, position, count):
            found.append((_order(row["id"]), part.index, row))
    newest: list[str] = [position or "0-0" for position in positions]
    if after:
        found.sort(key=lambda f: (f[0], f[1]))  # the oldest new ones: the next poll gets the rest
        found = list(reversed(found[:count]))
        shown = found
    else:
        # Each partition's newest counts, shown or not: one not shown is older than every row
        # shown, so not for the live feed to bring later.
        shown = sorted(found, key=lambda f: (f[0], f[1]), reverse=True)
        found = shown[:count]
    for _, p, row in reversed(shown):
        newest[p] = row["id"]
    if len(partitions) == 1:
        rows = [row for *_, row in found]
        return rows, rows[0]["id"] if rows else (after or "0-0")
    rows = []
    for _, p, row in found:
        rows.append(row | {"id": f"p{p}:{row['id']}"})
    cursor = ",".join(f"p{p}:{entry_id}" for p, entry_id in enumerate(newest))
    return rows, cursor


@dataclass(frozen=True)
class Banner:
    dlq_depth: int
    helpdesk_failures: int
    window_h: int = FAILURES_WINDOW_S // 3600

    @property
    def any(self) -> bool:
        return bool(self.dlq_depth or self.helpdesk_failures)


async def _window(
    redis: Redis, stream: str, since_s: float, limit: int
) -> list[tuple[str, bytes | str]]:
    """Entries of ``stream`` written in the last ``since_s`` seconds, oldest first, at most
    ``limit`` of them (the newest ones when there are more)."""
    start = f"{int((time.time() - since_s) * 1000)}-0"
    out: list[tuple[str, bytes | str]] = []
    while True:
        chunk = _read_entries(await redis.xrange(stream, min=start, max="+", count=STREAM_CHUNK))
        out += chunk
        if len(chunk) < STREAM_CHUNK:
            break
        start = f"({chunk[-1][0]}"
        if len(out) > limit:
            out = out[-limit:]
    return out


async def _windows(
    partitions: list[Part], since_s: float, limit: int
) -> list[tuple[str, bytes | str]]:
    """:func:`_window` of the decisions stream of every partition, concatenated (each at most
    ``limit``)."""
    out: list[tuple[str, bytes | str]] = []
    for part in partitions:
        out += await _window(part.redis, part.streams.decisions, since_s, limit)
    return out


async def banner(partitions: list[Part]) -> Banner:
    failures = depth = 0
    since = f"{int((time.time() - FAILURES_WINDOW_S) * 1000)}-0"
    for part in partitions:
        # The newest results of the window, bounded: the page polls this every few seconds.
        newest = await part.redis.xrevrange(
            part.streams.handoffs, max="+", min=since, count=BANNER_SCAN
        )
        for _, raw in _read_entries(newest):
            try:
                if HandoffResult.read(raw).status == "failed":
                    failures += 1
            except ValidationError:
                continue
        depth += int(await part.redis.xlen(part.streams.dlq))
    return Banner(dlq_depth=depth, helpdesk_failures=failures)


@dataclass
class ConversationRecord:
    site: str
    conversation_id: str
    state: OwnerState | None
    messages: list[ClassifiedMessage]
    decisions: list[Decision]
    handoffs: list[HandoffResult]
    packets: dict[str, HandoffPacket]
    feedback: dict[str, Feedback] = field(default_factory=dict)


def inbox_key(prefix: str, site: str, conversation_id: str) -> str:
    """Where the ``inbox`` adapter keeps a conversation's packets (beside its record)."""
    return ConversationKeys(prefix, site, conversation_id).messages.replace(":messages", ":inbox")


async def conversation(
    part: Part, site: str, conversation_id: str, packets_scan: int = 2000
) -> ConversationRecord | None:
    """The record of one conversation, read in its partition (:func:`part_of`)."""
    redis, prefix = part.redis, part.prefix
    keys = ConversationKeys(prefix, site, conversation_id)
    async with redis.pipeline(transaction=False) as read:
        read.hvals(keys.messages)
        read.hvals(keys.decisions)
        read.hvals(keys.handoffs)
        read.hgetall(inbox_key(prefix, site, conversation_id))
        read.get(keys.state)
        messages_raw, decisions_raw, handoffs_raw, inbox_raw, state_raw = await read.execute()
    if not (messages_raw or decisions_raw or handoffs_raw):
        return None
    # The records refer to the streams' entries (one round trip for all of them).
    messages_raw, decisions_raw, handoffs_raw = await resolve_records(
        redis, messages_raw, decisions_raw, handoffs_raw
    )
    messages = sorted(
        (ClassifiedMessage.read(v) for v in messages_raw),
        key=lambda c: (c.message.sent_at, c.message.received_at),
    )
    decisions = sorted((Decision.read(v) for v in decisions_raw), key=lambda d: d.decided_at)
    handoffs = sorted((HandoffResult.read(v) for v in handoffs_raw), key=lambda h: h.at)
    packets = {_text(k): HandoffPacket.read(v) for k, v in inbox_raw.items()}
    missing = {h.handoff_id for h in handoffs} - set(packets)
    if missing or (not packets and any(d.route == "human" for d in decisions)):
        # Other adapters keep no copy: the packet is on the escalations stream (while kept).
        streams = Streams(prefix)
        raw = await redis.xrevrange(streams.escalations, count=packets_scan)
        for _, data in _read_entries(raw):
            try:
                packet = HandoffPacket.read(data)
            except ValidationError:
                continue
            if packet.site == site and packet.conversation_id == conversation_id:
                packets.setdefault(packet.handoff_id, packet)
    state = None
    if state_raw:
        try:
            state = OwnerState.model_validate_json(expand(state_raw))  # JSON or deflated
        except (ValidationError, StoredFormError):
            state = None
    record = ConversationRecord(
        site, conversation_id, state, messages, decisions, handoffs, packets
    )
    wanted = {d.decision_id for d in decisions}
    record.feedback = {
        decision_id: item
        for decision_id, item in (await latest_feedback([part])).items()
        if decision_id in wanted
    }
    return record


async def all_feedback(partitions: list[Part], limit: int = 200_000) -> list[Feedback]:
    """Every feedback event of every partition's stream, each partition's oldest first (one
    decision's feedback is all in its conversation's partition, in order)."""
    out: list[Feedback] = []
    for part in partitions:
        out += await _feedback(part.redis, part.streams, limit - len(out))
        if len(out) >= limit:
            break
    return out


async def _feedback(redis: Redis, streams: Streams, limit: int) -> list[Feedback]:
    out: list[Feedback] = []
    start = "-"
    while True:
        chunk = _read_entries(
            await redis.xrange(streams.feedback, min=start, max="+", count=STREAM_CHUNK)
        )
        for _, raw in chunk:
            try:
                out.append(Feedback.read(raw))
            except ValidationError:
                continue
        if len(chunk) < STREAM_CHUNK or len(out) >= limit:
            return out
        start = f"({chunk[-1][0]}"


async def latest_feedback(partitions: list[Part]) -> dict[str, Feedback]:
    """The latest verdict per decision (a lead may change their mind)."""
    return {f.decision_id: f for f in await all_feedback(partitions)}


async def record_feedback(
    redis: Redis,
    streams: Streams,
    *,
    decision: Decision,
    verdict: FeedbackVerdict,
    language: str | None,
    author: str,
    note: str,
    maxlen: int,
) -> Feedback:
    event = Feedback(
        feedback_id=f"f-{uuid.uuid4().hex[:16]}",
        site=decision.site,
        conversation_id=decision.conversation_id,
        decision_id=decision.decision_id,
        verdict=verdict,
        route=decision.route,
        rule=rule_of(decision),
        language=language,
        source="console",
        author=author,
        note=note,
    )
    await xadd_event(redis, streams.feedback, event, maxlen)
    return event


@dataclass
class RateRow(VerdictRates):
    """One site and rule's counts; the rates are the archive's definitions (VerdictRates)."""

    site: str
    rule: str
    escalations: int = 0
    unneeded: int = 0
    automated: int = 0
    missed: int = 0
    correct: int = 0


@dataclass
class Rates:
    rows: list[RateRow]
    window_days: float
    decisions_read: int
    by_language: list[tuple[str, str, int]]  # (language, verdict, count)


async def rates(partitions: list[Part], window_days: float = 30.0, limit: int = 500_000) -> Rates:
    """Unneeded-escalation rate (escalations marked unneeded / escalations) and
    missed-escalation rate (automation decisions marked missed / automation decisions), per
    site and deciding rule, over the live (not shadow) decisions still on the stream in the
    window. The latest verdict per decision counts."""
    table: dict[tuple[str, str], RateRow] = {}
    decided: dict[str, tuple[str, str]] = {}
    entries = await _windows(partitions, window_days * 86400, limit)
    for _, raw in entries:
        try:
            decision = Decision.read(raw)
        except ValidationError:
            continue
        if decision.shadow:
            continue
        key = (decision.site, rule_of(decision))
        row = table.setdefault(key, RateRow(*key))
        if decision.route == "human":
            row.escalations += 1
        else:
            row.automated += 1
        decided[decision.decision_id] = key
    languages: Counter[tuple[str, str]] = Counter()
    for decision_id, item in (await latest_feedback(partitions)).items():
        key = decided.get(decision_id) or (item.site, item.rule or "default")
        if key not in table:
            continue  # the decision left the window (or the stream): no denominator for it
        row = table[key]
        if item.verdict == "unneeded-escalation":
            row.unneeded += 1
        elif item.verdict == "missed-escalation":
            row.missed += 1
        else:
            row.correct += 1
        languages[(item.language or "?", item.verdict)] += 1
    return Rates(
        rows=sorted(table.values(), key=lambda r: (r.site, r.rule)),
        window_days=window_days,
        decisions_read=len(entries),
        by_language=sorted((lang, verdict, n) for (lang, verdict), n in languages.items()),
    )


def _glob(value: str) -> str:
    """``value`` as a literal inside a ``SCAN MATCH`` pattern."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in value)


async def _records(
    redis: Redis, prefix: str, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[list[ClassifiedMessage], list[Decision]]]:
    """The classified messages and decisions of each (site, conversation), read in chunks;
    unreadable entries are skipped."""
    out: dict[tuple[str, str], tuple[list[ClassifiedMessage], list[Decision]]] = {}
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        async with redis.pipeline(transaction=False) as read:
            for site, conversation_id in chunk:
                record = ConversationKeys(prefix, site, conversation_id)
                read.hvals(record.messages)
                read.hvals(record.decisions)
            replies = await read.execute()
        replies = await resolve_records(redis, *replies)  # references to the streams' entries
        for i, key in enumerate(chunk):
            messages, decisions = [], []
            for raw in replies[2 * i]:
                try:
                    messages.append(ClassifiedMessage.read(raw))
                except ValidationError:
                    continue
            for raw in replies[2 * i + 1]:
                try:
                    decisions.append(Decision.read(raw))
                except ValidationError:
                    continue
            messages.sort(key=lambda c: (c.message.sent_at, c.message.received_at))
            out[key] = (messages, decisions)
    return out


@dataclass
class History:
    """Recorded conversations of one site (what Redis still holds), for a replay."""

    site: str
    conversations: dict[str, list[ClassifiedMessage]]  # newest first, at most the cap
    decisions: list[Decision]
    found: int  # conversations with a customer turn in the range, before the cap
    scanned: int  # conversation records looked at
    scan_capped: bool  # the scan stopped at its own bound

    @property
    def capped(self) -> bool:
        return self.found > len(self.conversations)

    def classified(self) -> list[ClassifiedMessage]:
        """Every message of the kept conversations, oldest first (the replay's input)."""
        flat = [c for messages in self.conversations.values() for c in messages]
        return sorted(flat, key=lambda c: (c.message.sent_at, c.message.received_at))


async def site_history(
    partitions: list[Part],
    site: str,
    since: datetime,
    until: datetime,
    cap: int,
    scan_limit: int = 20_000,
) -> History:
    """The conversations of ``site`` with a customer turn between ``since`` and ``until``,
    the ``cap`` most recent ones (by their last customer turn), with their decisions, from
    every partition (``scan_limit`` records in all)."""
    ids: list[str] = []
    capped = False
    records: dict[tuple[str, str], tuple[list[ClassifiedMessage], list[Decision]]] = {}
    for part in partitions:
        pattern = f"{_glob(part.prefix)}:conv:{{{_glob(site)}:*}}:messages"
        head, tail = f"{part.prefix}:conv:{{{site}:", "}:messages"
        mine: list[str] = []
        async for key in part.redis.scan_iter(match=pattern, count=SCAN_COUNT):
            text = _text(key)
            if text.startswith(head) and text.endswith(tail):
                mine.append(text[len(head) : -len(tail)])
            if len(ids) + len(mine) >= scan_limit:
                capped = True
                break
        ids += mine
        records |= await _records(part.redis, part.prefix, [(site, i) for i in mine])
        if capped:
            break
    inside: list[tuple[datetime, str]] = []
    for (_, conversation_id), (messages, _) in records.items():
        times = [
            c.message.sent_at
            for c in messages
            if c.message.author == "customer" and since <= c.message.sent_at <= until
        ]
        if times:
            inside.append((max(times), conversation_id))
    inside.sort(reverse=True)
    kept = [conversation_id for _, conversation_id in inside[:cap]]
    return History(
        site=site,
        conversations={i: records[(site, i)][0] for i in kept},
        decisions=[d for i in kept for d in records[(site, i)][1]],
        found=len(inside),
        scanned=len(ids),
        scan_capped=capped,
    )


@dataclass
class Judged:
    """What the threshold suggestions replay: the judged conversations' turns and decisions."""

    classified: list[ClassifiedMessage]
    decisions: list[Decision]
    feedback: list[Feedback]
    conversations: int
    capped: bool


async def judged_history(
    partitions: list[Part],
    window_days: float,
    max_conversations: int = 1000,
    limit: int = 500_000,
) -> Judged:
    """The conversations with feedback (newest first), then those with a live escalation in
    the window (the needed escalations a change must keep), up to ``max_conversations``."""
    feedback = sorted((await latest_feedback(partitions)).values(), key=lambda f: f.at)
    wanted: dict[tuple[str, str], None] = {}
    for item in reversed(feedback):
        wanted.setdefault((item.site, item.conversation_id))
    entries = await _windows(partitions, window_days * 86400, limit)
    entries.sort(key=lambda e: _order(e[0]))  # one window per partition: newest last again
    for _, raw in reversed(entries):
        try:
            decision = Decision.read(raw)
        except ValidationError:
            continue
        if decision.route == "human" and not decision.shadow:
            wanted.setdefault((decision.site, decision.conversation_id))
    keys = list(wanted)[:max_conversations]
    records: dict[tuple[str, str], tuple[list[ClassifiedMessage], list[Decision]]] = {}
    for part in partitions:
        # Each conversation is read in its own partition.
        mine = [k for k in keys if partition_of(*k, len(partitions)) == part.index]
        records |= await _records(part.redis, part.prefix, mine)
    classified = sorted(
        (c for messages, _ in records.values() for c in messages),
        key=lambda c: (c.message.sent_at, c.message.received_at),
    )
    return Judged(
        classified=classified,
        decisions=[d for _, decisions in records.values() for d in decisions],
        feedback=feedback,
        conversations=len(keys),
        capped=len(wanted) > len(keys),
    )
