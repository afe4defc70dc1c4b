"""The router stage: the I/O around the pure decision step.

For each batch of classified messages: ``WATCH`` every conversation's state, read it and the
per-message dedupe keys, let :mod:`rapport_router.decision` decide, read the transcript for any
escalation's packet, then write states, decisions, packets, instructions, timers and the acks
in one ``MULTI``. A concurrent change to a watched state aborts the whole batch, which is then
decided again on fresh state. Handoff results are batched the same way
(:class:`HandoffOutcomeStage`); due timers go through the same path, one at a time.

The three writers of a partition's states in one process (the message batches, the handoff
results, the due timers) take turns (:attr:`RouterStage.turns`, :class:`StateTurns`): ``WATCH``
is left to catch other processes. A waiting message batch goes first (a customer waits for its
decision; a result or a timer waits for nobody), and the results are read at most every
``router_results_pause_ms`` so they come in fewer, larger batches.

Without the turns, handoff results kept aborting the batches of their own conversations: a
batch watches up to 100 states for tens of milliseconds (reads, the decisions, the
transcripts' round trips), the results stage wrote those states meanwhile, and under sustained
load a batch failed all 10 attempts, was then decided one message at a time
(with its round trips each), and the results kept pace with it (docs/performance.md,
2026-12-03: 9 of 48 batches so in a 5-second stream-ingest run).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from prometheus_client import Counter, Histogram
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from rapport_contracts import ClassifiedMessage, HandoffResult
from rapport_contracts.streams import ROUTER_GROUP
from rapport_router.decision import Tuning, route_message
from rapport_router.followup import apply_timer, handoff_outcome
from rapport_router.packet import build_packet
from rapport_router.plan import Plan
from rapport_router.state import (
    RouterState,
    last_turns,
    parse_state,
    read_transcript,
    state_keys,
)
from rapport_router.timers import TIMER_LEASE_S, Timer, TimerKeys, claim_due, finish
from rapport_runtime.config import Sites
from rapport_runtime.consumer import Entry, Stage
from rapport_runtime.logs import Id, bind, bind_event
from rapport_runtime.redis import (
    ConversationKeys,
    Writes,
    dedupe_key,
    record_ref,
    resolve_record_maps,
    stored_value,
    transaction_client,
    watch_and_mget,
    watch_and_read,
)
from rapport_runtime.service import Runtime, stop_if_cancelled
from rapport_runtime.settings import RapportSettings
from rapport_runtime.tracing import current_traceparent, stage_span

log = logging.getLogger("rapport.router")

# Languages get a label of their own when the classifier reads them (the sentiment service's
# lexicons, tests/router/test_decision_log.py keeps the two lists equal); every other language,
# and decisions no customer message made (a timer, a helpdesk's answer), count as "other", so
# the label's values stay bounded whatever language tags the helpdesks send.
METRIC_LANGUAGES = frozenset(("en", "es", "de", "fr", "pt", "it"))
OTHER_LANGUAGE = "other"

DECISIONS = Counter(
    "rapport_decisions_total", "Routing decisions", ["site", "route", "rule", "language"]
)
ESCALATIONS = Counter(
    "rapport_escalations_total", "Escalations handed off", ["site", "queue", "language"]
)
DECISION_LATENCY = Histogram(
    "rapport_decision_latency_seconds",
    "From the edge accepting a customer message to the router's decision on it",
    ["site"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

WATCH_RETRIES = 10
# Classified entries the router keeps parsed, the newest first (~7.5 KB each in memory): an
# escalation's transcript is read from them, and only the rest from Redis (see
# ClassifiedCache).
CLASSIFIED_CACHE_ENTRIES = 2048


class ClassifiedCache:
    """The classified messages this router has parsed, by stream entry (``(stream, id)``),
    the last ``size`` used kept.

    A conversation's messages hash refers to classified entries (``<id>@<stream>``, see
    :func:`rapport_runtime.redis.record_ref`), and the router has just read and parsed most
    of those entries itself: an escalation's transcript used to read every one again
    (``XRANGE id id`` each, one more round trip per batch) and parse it again. An entry never
    changes once written, so a cached one is the entry; the hash still says which entries a
    transcript has (read each time, so an erased conversation's hash, gone whole, lists
    none). One difference: an entry ``MAXLEN`` already trimmed from the stream but still in
    the cache stays in the transcript (it was left out before)."""

    def __init__(self, size: int = CLASSIFIED_CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], ClassifiedMessage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, stream: str, entry_id: str, event: ClassifiedMessage) -> None:
        key = (stream, entry_id)
        self._items[key] = event
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, stream: str, entry_id: str) -> ClassifiedMessage | None:
        event = self._items.get((stream, entry_id))
        if event is not None:
            self._items.move_to_end((stream, entry_id))
        return event


class StateTurns:
    """One writer of the partition's states at a time in this process, like an
    :class:`asyncio.Lock`, but a waiting message batch is let in before every waiting results
    batch or timer, whatever their order of arrival (an ``asyncio.Lock`` is first come, first
    served: a message batch read just after a results batch waited for all of it).

    Nothing starves: the router reads one message batch at a time per partition, so a result or
    a timer waits at most for the one message batch that came in while it waited."""

    def __init__(self) -> None:
        self._busy = False
        self._messages: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def turn(self, *, messages: bool) -> AsyncIterator[None]:
        """Hold the turn; ``messages``: a batch of customer messages (first in line)."""
        if self._busy:
            waiter = asyncio.get_running_loop().create_future()
            (self._messages if messages else self._others).append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # handed the turn just as it was cancelled: pass it on
                raise
            # Handed over by _release: the turn stayed busy, nobody else came in between.
        else:
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for line in (self._messages, self._others):
            while line:
                waiter = line.popleft()
                if not waiter.done():  # a cancelled waiter left its place
                    waiter.set_result(None)
                    return
        self._busy = False


class RouterStage(Stage[ClassifiedMessage]):
    event_type = ClassifiedMessage
    group = ROUTER_GROUP

    def __init__(self, settings: RapportSettings, runtime: Runtime, sites: Sites) -> None:
        super().__init__(settings, runtime.redis)
        self.stream = self.streams.classified
        self.sites = sites
        self.timer_keys = TimerKeys(settings.prefix)
        self.tuning = Tuning(settings.cooldown_s, settings.handoff_confirm_s)
        # Held by each read-decide-write of this partition's states in this process (see the
        # module docstring): in-process writers never abort each other's WATCH.
        self.turns = StateTurns()
        self.classified = ClassifiedCache()

    async def process(self, entries: Sequence[Entry[ClassifiedMessage]]) -> None:
        for _ in range(WATCH_RETRIES):
            try:
                async with self.turns.turn(messages=True):
                    await self._process_once(entries)
                return
            except WatchError:
                # Another replica changed one of these conversations; decide again on fresh state.
                continue
        raise RuntimeError(f"conversation state kept changing during {WATCH_RETRIES} attempts")

    async def _process_once(self, entries: Sequence[Entry[ClassifiedMessage]]) -> None:
        prefix = self.settings.prefix
        keys = [
            ConversationKeys(prefix, e.event.message.site, e.event.message.conversation_id)
            for e in entries
        ]
        seen_keys = [
            dedupe_key(prefix, "router", m.site, m.conversation_id, m.message_id)
            for m in (e.event.message for e in entries)
        ]
        watched = state_keys(keys)
        for entry in entries:  # the transcripts of this batch's escalations read them here
            self.classified.put(self.stream, entry.id, entry.event)
        # The messages hashes, for the transcripts of the batch's escalations, are read with
        # the states, before anyone knows which conversations escalate: one round trip less
        # per batch that escalates (most, under load), for reading the hash of each
        # conversation that does not (references only, at most conversation_max_records).
        transcripts = list(dict.fromkeys(k.messages for k in keys))
        # Every key of the batch is in the partition's slot (one master on a cluster).
        client = await transaction_client(self.redis, watched[0])
        async with client.pipeline(transaction=True) as pipe:
            # WATCH and the reads in one round trip.
            values, records = await watch_and_read(
                pipe, watched, [*watched, *seen_keys], transcripts
            )
            states = {
                key: parse_state(raw)
                for key, raw in zip(watched, values[: len(watched)], strict=True)
            }
            already_seen = values[len(watched) :]

            now = time.time()
            plans: list[tuple[str, Plan]] = []
            # Escalations' packets wait for the batch's transcripts, read in one round trip
            # (one HGETALL each used to be a round trip of its own, per escalation).
            packets: list[tuple[Plan, ConversationKeys, str | None]] = []
            languages: dict[int, str] = {}
            for entry, k, seen, seen_key in zip(
                entries, keys, already_seen, seen_keys, strict=True
            ):
                if seen:
                    continue
                message = entry.event.message
                site = self.sites.get(message.site)
                with (
                    bind_event(entry.event, entry.id),
                    stage_span("router decide", message.traceparent, site=message.site),
                ):
                    plan = route_message(entry.event, states[k.state], site, self.tuning, now)
                    if plan.packet_request is not None:
                        # The handoff hangs below this message's decision in the trace.
                        packets.append((plan, k, current_traceparent()))
                plans.append((seen_key, plan))
                languages[id(plan)] = metric_language(entry.event)
            await self.build_packets(packets, dict(zip(transcripts, records, strict=True)))

            writes = Writes()
            for key, state in states.items():
                writes.set(key, stored_value(state.dump()), ex=self.settings.conversation_ttl_s)
            for seen_key, plan in plans:
                writes.set(seen_key, "1", ex=self.settings.dedupe_ttl_s)
                self.write_plan(writes, plan)
            writes.xack(self.stream, self.group, *(e.id for e in entries))
            # Inside MULTI, so a concurrent change to a watched state aborts all of it.
            pipe.multi()  # type: ignore[no-untyped-call]
            writes.apply(pipe)
            await pipe.execute()

        for _, plan in plans:
            self.report(plan, languages[id(plan)])

    async def fire(self, timer: Timer, now: float) -> None:
        """Apply a due timer to its conversation (in one transaction with the lease's release)."""
        site = self.sites.get(timer.site)
        keys = ConversationKeys(self.settings.prefix, timer.site, timer.conversation_id)
        for _ in range(WATCH_RETRIES):
            try:
                client = await transaction_client(self.redis, keys.state)
                async with (
                    self.turns.turn(messages=False),
                    client.pipeline(transaction=True) as pipe,
                ):
                    (raw,) = await watch_and_mget(pipe, [keys.state], [keys.state])
                    state = parse_state(raw)
                    plan = Plan()
                    if site is not None:
                        plan = apply_timer(timer, site.policy, state, self.tuning, now)
                        await self.build_packet_for(plan, keys, pipe)
                    writes = Writes()
                    if raw:
                        self.write_state(writes, keys, state)
                    self.write_plan(writes, plan)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    writes.apply(pipe)
                    finish(pipe, self.timer_keys, timer)
                    await pipe.execute()
                self.report(plan)
                return
            except WatchError:
                continue
        raise RuntimeError(f"conversation state kept changing while firing {timer.member()}")

    async def build_packet_for(self, plan: Plan, keys: ConversationKeys, pipe: Pipeline) -> None:
        if plan.packet_request is None:
            return
        transcript = await read_transcript(pipe, self.redis, keys, self.settings.transcript_turns)
        # The handoff (and its helpdesk call) hangs below this decision in the trace.
        self._attach_packet(plan, transcript, current_traceparent())

    async def build_packets(
        self,
        wanted: Sequence[tuple[Plan, ConversationKeys, str | None]],
        read_already: Mapping[str, dict[Any, Any]] | None = None,
    ) -> None:
        """The packets of a batch's escalations, each conversation's transcript read once:
        the messages hashes ``read_already`` holds (by key, read with the states), the others
        in one pipelined round trip. The messages hash is the sentiment stage's (the router
        never writes it), so reading it outside the WATCHed connection sees what the watched
        one would. The entries it refers to come from :attr:`classified` when they are
        there, else from their stream (one more round trip, for all of them)."""
        if not wanted:
            return
        conversations = list(dict.fromkeys(k.messages for _, k, _ in wanted))
        raws = {
            key: read_already[key] for key in conversations if read_already and key in read_already
        }
        if unread := [key for key in conversations if key not in raws]:
            async with self.redis.pipeline(transaction=False) as read:
                for key in unread:
                    read.hgetall(key)
                raws |= dict(zip(unread, await read.execute(), strict=True))
        found = await self.transcript_messages([raws[key] for key in conversations])
        turns = self.settings.transcript_turns
        transcripts = {
            key: last_turns(messages, turns)
            for key, messages in zip(conversations, found, strict=True)
        }
        for plan, k, traceparent in wanted:
            self._attach_packet(plan, transcripts[k.messages], traceparent)

    async def transcript_messages(
        self, records: list[dict[Any, Any]]
    ) -> list[list[ClassifiedMessage]]:
        """The messages of each messages hash (``HGETALL`` replies), unordered: references
        found in :attr:`classified`, the others read from their streams in one round trip
        (and kept), JSON values parsed; an entry its stream no longer holds is left out."""
        out: list[list[ClassifiedMessage]] = [[] for _ in records]
        missing: dict[int, Any] = {}
        owners: list[tuple[int, tuple[str, str] | None]] = []
        for n, record in enumerate(records):
            for value in record.values():
                ref = record_ref(value)
                cached = self.classified.get(ref[0], ref[1]) if ref is not None else None
                if cached is not None:
                    out[n].append(cached)
                else:
                    missing[len(owners)] = value
                    owners.append((n, ref))
        if missing:
            (resolved,) = await resolve_record_maps(self.redis, [missing])
            for i, raw in resolved.items():
                n, ref = owners[i]
                event = ClassifiedMessage.read(raw)
                if ref is not None:
                    self.classified.put(ref[0], ref[1], event)
                out[n].append(event)
        return out

    def _attach_packet(
        self, plan: Plan, transcript: list[ClassifiedMessage], traceparent: str | None
    ) -> None:
        request = plan.packet_request
        if request is None:
            return
        current = request.current or (transcript[-1] if transcript else None)
        if current is not None:
            packet = build_packet(request.handoff_id, request.decision, current, transcript)
            plan.packet = packet.model_copy(update={"traceparent": traceparent})

    def write_state(self, writes: Writes, keys: ConversationKeys, state: RouterState) -> None:
        writes.set(keys.state, stored_value(state.dump()), ex=self.settings.conversation_ttl_s)

    def write_plan(self, writes: Writes, plan: Plan) -> None:
        ttl, maxlen = self.settings.conversation_ttl_s, self.settings.stream_maxlen
        for decision in plan.decisions:
            k = ConversationKeys(self.settings.prefix, decision.site, decision.conversation_id)
            # Stored once, in the decisions stream; the record refers to the entry.
            writes.xadd_ref(
                self.streams.decisions, decision, maxlen, k.decisions, decision.decision_id
            )
            writes.expire(k.decisions, ttl)
            # The conversation's record keeps its last N messages and decisions (issue 14).
            writes.hcap(k.decisions, self.settings.conversation_max_records, "decided_at")
            writes.hcap(k.messages, self.settings.conversation_max_records, "received_at")
        if plan.packet is not None:
            # A pipe (read by the handoff stage within seconds, trimmed minutes later): kept
            # JSON, as deflating the largest event would cost the most CPU (~8-18 us) for bytes
            # Redis does not retain (docs/performance.md, 2026-12-03 evening).
            writes.xadd(self.streams.escalations, plan.packet, maxlen, pipe=True)
        for instruction in plan.instructions:
            writes.xadd(self.streams.automation, instruction, maxlen)
        for timer, at in plan.timers:
            writes.zadd(self.timer_keys.due, at, timer.member())
        for notification in plan.notifications:
            writes.xadd(self.streams.notifications, notification, maxlen)

    def report(self, plan: Plan, language: str = OTHER_LANGUAGE) -> None:
        """Counts the plan's decisions and logs one line per decision, with its site,
        conversation, rule, route, queue, priority and latency as JSON fields."""
        handoff_id = plan.packet.handoff_id if plan.packet is not None else None
        # The line's context and fields cost more than the metrics: built only when it is kept.
        logged = log.isEnabledFor(logging.INFO)
        for decision in plan.decisions:
            if decision.shadow:
                continue
            rule = decision.reasons[0].rule
            DECISIONS.labels(decision.site, decision.route, rule, language).inc()
            latency: float | None = None
            if plan.accepted_at is not None:
                latency = max((decision.decided_at - plan.accepted_at).total_seconds(), 0.0)
                DECISION_LATENCY.labels(decision.site).observe(latency)
            if not logged:
                continue
            with bind(
                site=decision.site,
                conversation_id=decision.conversation_id,
                message_id=decision.message_id,
                handoff_id=handoff_id,
            ):
                log.info(
                    "decision %s/%s %s: route=%s queue=%s priority=%s %s%s",
                    Id(decision.site),
                    Id(decision.conversation_id),
                    Id(decision.message_id),
                    decision.route,
                    decision.queue,
                    decision.priority,
                    decision.reasons[0].detail or rule,
                    Id(f" -> handoff {handoff_id}" if handoff_id else ""),
                    extra={
                        "event": "decision",
                        "decision_id": Id(decision.decision_id),
                        "rule": Id(rule),
                        "route": decision.route,
                        "queue": Id(decision.queue) if decision.queue else None,
                        "priority": decision.priority,
                        "language": language,
                        "latency_s": None if latency is None else round(latency, 6),
                    },
                )
        if plan.packet is not None:
            queue = plan.packet.decision.queue or ""
            ESCALATIONS.labels(plan.packet.site, queue, language).inc()


def metric_language(event: ClassifiedMessage) -> str:
    """The language label of a decision on ``event``: a language the classifier reads, or
    ``other``."""
    classification = event.classification
    language = event.message.language or (classification.language if classification else None)
    code = (language or "").split("-")[0].lower()
    return code if code in METRIC_LANGUAGES else OTHER_LANGUAGE


class HandoffOutcomeStage(Stage[HandoffResult]):
    """Follows every handoff to its end: a delivery confirms the escalation, a failure is
    acted on (see :func:`rapport_router.decision.handoff_outcome`). Shares the router's
    conversation state, under the same WATCH discipline."""

    event_type = HandoffResult
    group = ROUTER_GROUP

    def __init__(self, router: RouterStage) -> None:
        super().__init__(router.settings, router.redis)
        self.stream = self.streams.handoffs
        self.router = router
        self.batch_pause_s = router.settings.router_results_pause_ms / 1000

    async def process(self, entries: Sequence[Entry[HandoffResult]]) -> None:
        for _ in range(WATCH_RETRIES):
            try:
                async with self.router.turns.turn(messages=False):
                    await self._apply(entries)
                return
            except WatchError:
                continue
        raise RuntimeError(f"conversation state kept changing for {len(entries)} result(s)")

    async def _apply(self, entries: Sequence[Entry[HandoffResult]]) -> None:
        """A batch of results like a batch of messages: every conversation's state watched and
        read at once, the results applied in order (several of one conversation in turn), the
        fallbacks' packets read in one round trip, and one transaction (one WATCH transaction
        per result before: ~1 CPU-ms each on stream ingest)."""
        router, prefix = self.router, self.settings.prefix
        keys = [ConversationKeys(prefix, e.event.site, e.event.conversation_id) for e in entries]
        watched = state_keys(keys)
        client = await transaction_client(self.redis, watched[0])
        async with client.pipeline(transaction=True) as pipe:
            raws = dict(zip(watched, await watch_and_mget(pipe, watched, watched), strict=True))
            states = {key: parse_state(raw) for key, raw in raws.items()}
            now = time.time()
            plans: list[tuple[Entry[HandoffResult], Plan]] = []
            packets: list[tuple[Plan, ConversationKeys, str | None]] = []
            for entry, k in zip(entries, keys, strict=True):
                result = entry.event
                site = router.sites.get(result.site)
                policy = site.policy if site is not None else None
                with bind_event(result, entry.id):
                    plan = handoff_outcome(result, policy, states[k.state], router.tuning, now)
                    if plan.packet_request is not None:
                        packets.append((plan, k, current_traceparent()))
                plans.append((entry, plan))
            await router.build_packets(packets)
            writes = Writes()
            for key, state in states.items():
                if raws[key]:
                    writes.set(key, stored_value(state.dump()), ex=self.settings.conversation_ttl_s)
            for _, plan in plans:
                router.write_plan(writes, plan)
            writes.xack(self.stream, self.group, *(e.id for e in entries))
            pipe.multi()  # type: ignore[no-untyped-call]
            writes.apply(pipe)
            await pipe.execute()
        for entry, plan in plans:
            router.report(plan)
            result = entry.event
            if result.status == "failed":
                with bind_event(result, entry.id):
                    log.warning(
                        "handoff %s of %s/%s failed: %s",
                        Id(result.handoff_id),
                        Id(result.site),
                        Id(result.conversation_id),
                        "acted on" if plan.decisions else "nothing open to act on",
                    )


async def run_timers(stage: RouterStage, poll_s: float) -> None:
    """Fire due timers until cancelled. A timer that fails stays leased and comes back when
    its lease expires."""
    while True:
        stop_if_cancelled()
        try:
            for timer in await claim_due(stage.redis, stage.timer_keys, time.time(), TIMER_LEASE_S):
                try:
                    with bind(site=timer.site, conversation_id=timer.conversation_id):
                        await stage.fire(timer, time.time())
                except Exception:
                    log.exception("timer %s failed; retried after its lease", timer.member())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not read the timers; retrying")
        await asyncio.sleep(poll_s)
