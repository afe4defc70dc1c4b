"""The handoff service: the helpdesk edge (webhooks in) and the handoff consumer (packets out
through each site's adapter), in one ASGI app, or either alone (``RAPPORT_HANDOFF_ROLE`` edge or
stage) so that the edge's HTTP work and the stage's helpdesk calls get a process, an event loop
and a Redis pool each."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from redis.asyncio.client import Pipeline
from starlette.applications import Starlette
from starlette.routing import Route

from rapport_contracts import DeadLetter, HandoffPacket, HandoffResult
from rapport_contracts.streams import HANDOFF_GROUP
from rapport_handoff import retries
from rapport_handoff.adapters import adapter_class, load_adapter
from rapport_handoff.adapters.base import (
    AdapterContext,
    HelpdeskAdapter,
    PermanentError,
    TransientError,
)
from rapport_handoff.breaker import SharedBreakers
from rapport_handoff.edge import ROUTES, watch_backlog
from rapport_handoff.http import helpdesk_client
from rapport_handoff.responses import ANY_METHOD, no_route
from rapport_runtime.acceptance import AcceptanceWatch
from rapport_runtime.config import load_sites
from rapport_runtime.consumer import Entry, Stage
from rapport_runtime.logs import Id, bind_event, redact
from rapport_runtime.partitions import all_partitions
from rapport_runtime.redis import (
    ConversationKeys,
    Writes,
    record_ref,
    record_tag,
    run_trimmer,
    transaction_client,
    xadd_event,
)
from rapport_runtime.service import Runtime, build_app, stop_if_cancelled
from rapport_runtime.settings import RapportSettings
from rapport_runtime.tracing import stage_span

log = logging.getLogger("rapport.handoff")

RETRIES = Counter(
    "rapport_handoff_retries_total",
    "Handoff attempts the helpdesk failed transiently, scheduled again",
    ["site", "adapter"],
)
HANDOFFS = Counter("rapport_handoffs_total", "Handoffs by outcome", ["site", "adapter", "status"])
# The helpdesk call alone (deadline and breaker included), whatever its outcome.
DELIVERY_SECONDS = Histogram(
    "rapport_handoff_duration_seconds",
    "Helpdesk delivery calls",
    ["adapter"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

# Deliveries in flight at once per batch: helpdesk APIs are slow, but also rate limited.
CONCURRENT_DELIVERIES = 8
DEFAULT_DEADLINE_S = 60.0
# The create-once lock is a lease its owner renews while its helpdesk call runs (the call is cut
# at the adapter's deadline, so renewal ends with it). A process that dies mid-call, even right
# after the helpdesk's 200, frees the lock within one lease, so the handoff is re-posted (same
# Idempotency-Key) seconds later instead of after the whole deadline, and no reclaim has to
# burn a delivery waiting for it.
LOCK_LEASE_S = 15.0


def lock_lease_ms() -> int:
    return int(LOCK_LEASE_S * 1000)  # read at each use: a test shortens the lease


# Delete the lock only if it is still ours: an expired lock may already be someone else's.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


@dataclass(slots=True)
class _Claim:
    """A handoff's create-once lock: whether it was taken (``took``), and the site's circuit
    state read in the same round trip. ``owned`` until released or handed to the outcome's
    transaction."""

    lock: str
    token: str
    took: bool = False
    circuit: Any = None
    owned: bool = True


def delivery_deadline_s(adapter: HelpdeskAdapter) -> float:
    options = getattr(adapter, "options", None)
    deadline = getattr(options, "deadline_s", None)
    return float(deadline) if isinstance(deadline, int | float) else DEFAULT_DEADLINE_S


class HandoffStage(Stage[HandoffPacket]):
    event_type = HandoffPacket
    group = HANDOFF_GROUP

    def __init__(
        self, settings: RapportSettings, runtime: Runtime, adapters: dict[str, HelpdeskAdapter]
    ) -> None:
        super().__init__(settings, runtime.redis)
        self.stream = self.streams.escalations
        self.adapters = adapters
        self.limit = asyncio.Semaphore(CONCURRENT_DELIVERIES)
        # One per site, shared by every replica through Redis: a broken helpdesk fails fast,
        # alone, on every replica at once.
        self.breakers = SharedBreakers(
            runtime.redis, settings.prefix, settings.breaker_failures, settings.breaker_cooldown_s
        )
        self.retry_keys = retries.RetryKeys.for_prefix(settings.prefix)
        self.rng = random.Random()
        # The create-once locks this stage holds (lock key -> token), renewed together by one
        # task (see _renew_held) instead of a task per delivery (issue 14: CPU per handoff).
        self._held: dict[str, str] = {}
        self._renewer: asyncio.Task[None] | None = None
        # Outcome transactions of deliveries that finished while another was being committed:
        # they go out together in the next one (see _commit).
        self._queued: list[tuple[Callable[[Pipeline], None], asyncio.Future[None]]] = []
        self._committing = False
        self._committer: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly

    async def process(self, entries: Sequence[Entry[HandoffPacket]]) -> None:
        # One round trip for the whole batch (issue 14: fewer round trips per handoff): whether
        # each handoff was delivered already, its create-once lock, and its site's circuit.
        async with self.redis.pipeline(transaction=False) as read:
            claims: list[_Claim | None] = []
            for e in entries:
                packet = e.event
                read.hget(self._keys(packet).handoffs, packet.handoff_id)
                if packet.site in self.adapters:
                    taking = self._new_claim(packet)
                    read.set(taking.lock, taking.token, nx=True, px=lock_lease_ms())
                    self.breakers.get(packet.site).read(read)
                    claims.append(taking)
                else:  # no lock for a site this service cannot deliver to: deliver() says so
                    claims.append(None)
            answers = iter(await read.execute())
        recorded: list[Any] = []
        for claim in claims:
            recorded.append(next(answers))
            if claim is not None:
                claim.took, claim.circuit = bool(next(answers)), next(answers)
        results = await asyncio.gather(
            *(
                self._deliver_one(e, r, c)
                for e, r, c in zip(entries, recorded, claims, strict=True)
            ),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]

    def _keys(self, packet: HandoffPacket) -> ConversationKeys:
        return ConversationKeys(self.settings.prefix, packet.site, packet.conversation_id)

    def _new_claim(self, packet: HandoffPacket) -> _Claim:
        return _Claim(
            lock=f"{self.settings.prefix}:lock:handoff:{packet.handoff_id}",
            token=f"{self.settings.consumer_name}:{uuid.uuid4().hex}",
        )

    async def _deliver_one(
        self, entry: Entry[HandoffPacket], recorded: bytes | str | None, claim: _Claim | None
    ) -> None:
        packet = entry.event
        with (
            bind_event(packet, entry.id),
            stage_span("handoff deliver", packet.traceparent, site=packet.site),
        ):
            await self.deliver(packet, entry.id, recorded=recorded, looked_up=True, claim=claim)

    async def _deliver_scheduled(self, packet: HandoffPacket) -> None:
        """A retry from the schedule: logged and traced with the same ids as its first try."""
        with (
            bind_event(packet),
            stage_span("handoff retry", packet.traceparent, site=packet.site),
        ):
            await self.deliver(packet, None)

    async def deliver(
        self,
        packet: HandoffPacket,
        entry_id: str | None,
        *,
        recorded: bytes | str | None = None,
        looked_up: bool = False,
        claim: _Claim | None = None,
    ) -> None:
        """One attempt at a handoff, from its stream entry (``entry_id``) or from the retry
        schedule (None). Ends delivered, failed, or scheduled for another attempt.
        ``recorded`` is the handoff's recorded result when the caller ``looked_up`` already,
        and ``claim`` its create-once lock when the caller tried to take it (a batch does
        both for all its entries in one round trip)."""
        keys = self._keys(packet)
        if not looked_up:
            recorded = await self.redis.hget(keys.handoffs, packet.handoff_id)
        if _delivered(recorded):
            tx_client = await transaction_client(self.redis, self.stream)  # the partition's slot
            async with tx_client.pipeline(transaction=True) as tx:
                if entry_id is not None:
                    self.ack(tx, [entry_id])
                retries.forget(tx, self.retry_keys, packet.handoff_id)
                if claim is not None and claim.took:
                    tx.eval(_RELEASE, 1, claim.lock, claim.token)
                await tx.execute()
            return
        adapter = self.adapters.get(packet.site)
        if adapter is None:
            raise LookupError(f"site {packet.site!r} is not configured on this handoff service")
        if claim is None:
            # The slot first, then the lock: waiting for a slot must not eat the lock's
            # lifetime. The circuit's state comes in the lock's round trip, read after the
            # slot, so a circuit that opened while this delivery waited for it is seen.
            async with self.limit:
                claim = self._new_claim(packet)
                async with self.redis.pipeline(transaction=False) as first:
                    first.set(claim.lock, claim.token, nx=True, px=lock_lease_ms())
                    self.breakers.get(packet.site).read(first)
                    took, claim.circuit = await first.execute()
                claim.took = bool(took)
                if not claim.took:
                    await self._after_the_owner(packet, entry_id, claim.lock)
                    return
                await self._while_claimed(packet, entry_id, keys, adapter, claim, slot_held=True)
            return
        if not claim.took:
            await self._after_the_owner(packet, entry_id, claim.lock)
            return
        await self._while_claimed(packet, entry_id, keys, adapter, claim, slot_held=False)

    async def _while_claimed(
        self,
        packet: HandoffPacket,
        entry_id: str | None,
        keys: ConversationKeys,
        adapter: HelpdeskAdapter,
        claim: _Claim,
        *,
        slot_held: bool,
    ) -> None:
        """Renew the lock from now until the outcome is recorded (or the attempt ends another
        way, which releases it); take a delivery slot first unless the caller holds one."""
        self._hold(claim)
        try:
            if slot_held:
                await self._call_helpdesk(packet, entry_id, keys, adapter, claim)
                return
            if self.limit.locked():
                # The circuit was read in the batch's round trip; after a wait for a slot it
                # may have opened meanwhile, so it is read again.
                claim.circuit = None
            async with self.limit:
                await self._call_helpdesk(packet, entry_id, keys, adapter, claim)
        finally:
            # Renewing a lock its outcome's transaction released already is a no-op (the
            # token no longer matches), so the order of the two does not matter.
            self._held.pop(claim.lock, None)
            if claim.owned:
                await self.redis.eval(_RELEASE, 1, claim.lock, claim.token)

    async def _call_helpdesk(
        self,
        packet: HandoffPacket,
        entry_id: str | None,
        keys: ConversationKeys,
        adapter: HelpdeskAdapter,
        claim: _Claim,
    ) -> None:
        deadline = delivery_deadline_s(adapter)
        breaker = self.breakers.get(packet.site)
        # The lock goes in the same transaction as the outcome when there is one (a round trip
        # less per handoff): `claim.owned` turns False once that transaction ran.
        lock = (claim.lock, claim.token)
        try:
            with DELIVERY_SECONDS.labels(adapter.name).time():
                async with asyncio.timeout(deadline):
                    delivered = await breaker.call(lambda: adapter.deliver(packet), claim.circuit)
        except TimeoutError:
            error = TransientError(f"no answer within the {deadline:.0f} s deadline")
            await self._retry_later(packet, entry_id, keys, adapter, error)
            return
        except TransientError as exc:
            await self._retry_later(packet, entry_id, keys, adapter, exc)
            return
        except PermanentError as exc:
            await self._finish(packet, entry_id, keys, adapter, "failed", str(exc), None, lock)
            claim.owned = False
            return
        # Recorded before anything else can fail: the helpdesk has it.
        await self._finish(
            packet,
            entry_id,
            keys,
            adapter,
            "delivered",
            delivered.detail,
            delivered.external_id,
            lock,
        )
        claim.owned = False

    async def _commit(self, outcome: Callable[[Pipeline], None]) -> None:
        """Run ``outcome``'s commands in a MULTI/EXEC on the partition's slot; returns once it
        ran, and raises what it raised. Outcomes that arrive while a transaction is out wait
        for it and go out together in the next one (a group commit: issue 14, a round trip
        per handoff was most of the stage's Redis cost at small batches). Each outcome is
        still all or nothing (a transaction of several is one), and none waits for more than
        the one transaction in flight before its own: no added latency on a quiet stage, and
        no task or future either (the first outcome commits itself)."""
        if self._committing:
            done = asyncio.get_running_loop().create_future()
            self._queued.append((outcome, done))
            await done
            return
        self._committing = True
        try:
            await self._transaction([outcome])
        finally:
            if self._queued:  # arrived meanwhile: committed together, by a task of their own
                self._committer = asyncio.create_task(
                    self._commit_queued(), name="handoff outcomes"
                )
            else:
                self._committing = False

    async def _transaction(self, outcomes: Sequence[Callable[[Pipeline], None]]) -> None:
        tx_client = await transaction_client(self.redis, self.stream)  # the partition's slot
        async with tx_client.pipeline(transaction=True) as tx:
            for outcome in outcomes:
                outcome(tx)
            await tx.execute()

    async def _commit_queued(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    await self._transaction([outcome for outcome, _ in batch])
                except asyncio.CancelledError:
                    for _, done in (*batch, *self._queued):
                        done.cancel()
                    raise
                except Exception as exc:
                    # Each delivery of the batch fails as its own transaction's failure did:
                    # its entry stays pending, and its retry finds the outcome recorded or not.
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._committing = False

    def _hold(self, claim: _Claim) -> None:
        """Renew ``claim``'s lock from now until it is dropped from ``_held``: every lock held
        is renewed within a third of a lease of being taken, and every third of a lease after,
        as a renewer task of its own did."""
        self._held[claim.lock] = claim.token
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_held(), name="handoff lock renewer")

    async def _renew_held(self) -> None:
        """Renew every lock held, in one round trip each third of a lease; ends when none is
        held (the next lock taken starts it again). A lock found no longer ours (it expired,
        and another consumer may hold it) is dropped, as its own renewer used to end. Never
        cancelled: a delivery ending only removes its lock from ``_held``, so a cancellation
        redis-py loses (see rapport_runtime.consumer._kept_claimed) cannot leave it running."""
        while self._held:
            lease_ms = lock_lease_ms()
            await asyncio.sleep(lease_ms / 3000)
            held = list(self._held.items())
            if not held:
                return
            try:
                async with self.redis.pipeline(transaction=False) as renew:
                    for lock, token in held:
                        renew.eval(_RENEW, 1, lock, token, lease_ms)
                    renewed = await renew.execute(raise_on_error=False)
            except Exception as exc:  # tried again a third of a lease later, as before
                log.warning("could not renew %d handoff lock(s): %r", len(held), exc)
                continue
            for (lock, token), ok in zip(held, renewed, strict=True):
                # 0: not ours any more. An error is tried again with the others next time.
                if ok == 0 and self._held.get(lock) == token:
                    del self._held[lock]

    async def _after_the_owner(
        self, packet: HandoffPacket, entry_id: str | None, lock: str
    ) -> None:
        """Another consumer holds the handoff's lock (alive, or dead with its lease running).
        Not a failure, and not worth a delivery attempt: look again when the lease can have
        ended. A live owner finishing first forgets this schedule; a dead one's handoff is
        then attempted here, with the same Idempotency-Key."""
        remaining_ms = max(int(await self.redis.pttl(lock)), 0)
        at = time.time() + remaining_ms / 1000 + self.rng.uniform(0.2, 1.0)
        tx_client = await transaction_client(self.redis, self.stream)  # the partition's slot
        async with tx_client.pipeline(transaction=True) as tx:
            # From the stream: never move a schedule the owner set. From the schedule: this
            # attempt holds the claim, so it sets the next look itself.
            tx.zadd(self.retry_keys.due, {packet.handoff_id: at}, nx=entry_id is not None)
            tx.hset(self.retry_keys.packets, packet.handoff_id, packet.compact_json())
            if entry_id is not None:
                self.ack(tx, [entry_id])
            await tx.execute()
        log.info(
            "handoff %s is being delivered by another consumer; looking again in %.1f s",
            Id(packet.handoff_id),
            at - time.time(),
        )

    async def _retry_later(
        self,
        packet: HandoffPacket,
        entry_id: str | None,
        keys: ConversationKeys,
        adapter: HelpdeskAdapter,
        error: TransientError,
    ) -> None:
        attempts = int(await self.redis.hincrby(self.retry_keys.attempts, packet.handoff_id, 1))
        if attempts > self.settings.handoff_retries:
            detail = f"gave up after {attempts} attempts: {error}"
            await self._finish(packet, entry_id, keys, adapter, "failed", detail, None)
            return
        delay = retries.backoff_s(
            attempts,
            self.settings.handoff_retry_base_s,
            self.settings.handoff_retry_max_s,
            error.retry_after,
            self.rng,
        )
        tx_client = await transaction_client(self.redis, self.stream)  # the partition's slot
        async with tx_client.pipeline(transaction=True) as tx:
            retries.schedule(
                tx,
                self.retry_keys,
                packet.handoff_id,
                packet.compact_json(),
                time.time() + delay,
            )
            tx.expire(self.retry_keys.attempts, self.settings.conversation_ttl_s)
            if entry_id is not None:
                self.ack(tx, [entry_id])
            await tx.execute()
        RETRIES.labels(packet.site, adapter.name).inc()
        log.warning(
            "handoff %s via %s: attempt %d failed (%s); next in %.1f s",
            Id(packet.handoff_id),
            adapter.name,
            attempts,
            error,
            delay,
        )

    async def run_retries(self, poll_s: float = 0.5) -> None:
        """Attempt scheduled handoffs when due, until cancelled."""
        while True:
            stop_if_cancelled()
            try:
                due = await retries.claim_due(self.redis, self.retry_keys, time.time())
                packets = await self.redis.hmget(self.retry_keys.packets, due) if due else []
                attempts = []
                for handoff_id, raw in zip(due, packets, strict=True):
                    if raw is None:  # finished meanwhile
                        await self.redis.zrem(self.retry_keys.due, handoff_id)
                        continue
                    attempts.append(self._deliver_scheduled(HandoffPacket.read(raw)))
                for outcome in await asyncio.gather(*attempts, return_exceptions=True):
                    if isinstance(outcome, Exception):
                        log.error("a scheduled handoff attempt failed: %s", outcome)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not read the handoff retry schedule; trying again")
            await asyncio.sleep(poll_s)

    def dead_letter_effects(self, pipe: Pipeline, payload: bytes, reason: str) -> None:
        """A handoff that is parked has failed: say so on ``rapport:handoffs``, so the router
        acts (fallback, or the bot takes the customer back honestly) instead of holding."""
        try:
            packet = HandoffPacket.read(payload)
        except ValidationError:
            return  # not a packet: there is no conversation to tell anyone about
        adapter = self.adapters.get(packet.site)
        result = HandoffResult(
            handoff_id=packet.handoff_id,
            site=packet.site,
            conversation_id=packet.conversation_id,
            decision_id=packet.decision.decision_id,
            adapter=adapter.name if adapter is not None else "unknown",
            status="failed",
            attempts=self.settings.max_deliveries,
            detail=f"dead-lettered: {reason}"[:2000],
        )
        keys = ConversationKeys(self.settings.prefix, packet.site, packet.conversation_id)
        pipe.hset(keys.handoffs, packet.handoff_id, result.compact_json())
        pipe.expire(keys.handoffs, self.settings.conversation_ttl_s)
        xadd_event(pipe, self.streams.handoffs, result, self.settings.stream_maxlen)
        HANDOFFS.labels(packet.site, result.adapter, "failed").inc()

    async def _finish(
        self,
        packet: HandoffPacket,
        entry_id: str | None,
        keys: ConversationKeys,
        adapter: HelpdeskAdapter,
        status: Any,
        detail: str,
        external_id: str | None,
        lock: tuple[str, str] | None = None,
    ) -> None:
        """Record the outcome, ack the entry, forget any retry and release ``lock`` (key,
        token; only if still ours) in one transaction."""
        result = HandoffResult(
            handoff_id=packet.handoff_id,
            site=packet.site,
            conversation_id=packet.conversation_id,
            decision_id=packet.decision.decision_id,
            adapter=adapter.name,
            status=status,
            attempts=1,
            detail=redact(detail)[:2000],
            external_id=external_id,
        )
        maxlen = self.settings.stream_maxlen
        # The result goes to the stream once; the record refers to its entry, tagged with the
        # status that the "delivered already?" check reads (issue 14: the record held a
        # second copy of the result's JSON, ~230 bytes per handoff).
        record = Writes()
        record.xadd_ref(
            self.streams.handoffs, result, maxlen, keys.handoffs, packet.handoff_id, tag=str(status)
        )
        record.expire(keys.handoffs, self.settings.conversation_ttl_s)
        record.hcap(keys.handoffs, self.settings.conversation_max_records, "at")
        letter = None
        if status == "failed":
            letter = DeadLetter(
                stream=self.stream,
                group=self.group,
                entry_id=entry_id or f"retry:{packet.handoff_id}",
                deliveries=1,
                # A helpdesk's error text can quote the ticket: stored redacted.
                reason=redact(f"{adapter.name} refused the handoff: {detail}")[:2000],
                payload=packet.compact_json(),
            )

        def outcome(tx: Pipeline) -> None:
            record.apply(tx)
            if letter is not None:
                xadd_event(tx, self.streams.dlq, letter, maxlen)
            if entry_id is not None:
                self.ack(tx, [entry_id])
            retries.forget(tx, self.retry_keys, packet.handoff_id)
            if lock is not None:
                tx.eval(_RELEASE, 1, *lock)

        await self._commit(outcome)
        HANDOFFS.labels(packet.site, adapter.name, status).inc()
        log.log(
            logging.INFO if status == "delivered" else logging.ERROR,
            "handoff %s %s/%s via %s: %s %s",
            Id(packet.handoff_id),
            Id(packet.site),
            Id(packet.conversation_id),
            adapter.name,
            status,
            detail,
        )


def create_app(settings: RapportSettings | None = None) -> Starlette:
    settings = settings or RapportSettings()
    sites = load_sites(settings)  # configuration errors surface before anything starts
    for site in sites.sites.values():
        # Unknown adapters, bad options and missing secrets fail here, before anything starts.
        adapter_class(site.adapter.type).check(site)

    async def on_start(runtime: Runtime) -> None:
        runtime.extras["sites"] = sites
        runtime.extras["http"] = helpdesk_client(settings.handoff_http_transport)
        runtime.extras["acceptances"] = AcceptanceWatch(
            settings.accept_window_s, require_always=settings.durability == "always"
        )

    async def on_stop(runtime: Runtime) -> None:
        http = runtime.extras.get("http")
        if isinstance(http, httpx.AsyncClient):
            await http.aclose()

    role = settings.handoff_role
    edge, stage_too = role in ("both", "edge"), role in ("both", "stage")

    async def stages(runtime: Runtime) -> list[Stage[Any]]:
        if not stage_too:
            return []
        # The partition's settings: the adapters' own keys (inbox, steps) share its slot.
        context = AdapterContext(runtime.settings, runtime.redis, runtime.extras["http"])
        adapters = {name: load_adapter(site, context) for name, site in sites.sites.items()}
        stage = HandoffStage(runtime.settings, runtime, adapters)
        runtime.extras["handoff"] = stage
        return [stage]

    async def background(runtime: Runtime) -> None:
        watch: AcceptanceWatch = runtime.extras["acceptances"]
        async with asyncio.TaskGroup() as group:
            for part in all_partitions(settings):
                group.create_task(
                    run_trimmer(
                        runtime.redis,
                        part.streams,
                        settings.pipe_retention_s,
                        settings.stream_retention_s,
                    ),
                    name=f"stream-trimmer {part.prefix}",
                )
            if stage_too:
                for stage_part in runtime.parts():
                    group.create_task(
                        stage_part.extras["handoff"].run_retries(),
                        name=f"handoff-retries {stage_part.settings.prefix}",
                    )
            if edge:
                group.create_task(
                    watch.run(runtime.redis, settings.accept_check_s), name="acceptance-watch"
                )
                if settings.edge_max_backlog:
                    group.create_task(watch_backlog(runtime), name="backlog-watch")

    # A stage-only process serves /healthz and /readyz; anything else gets the JSON 404.
    routes = ROUTES if edge else [Route("/{path:path}", no_route, methods=ANY_METHOD)]
    return build_app(
        "handoff" if role == "both" else f"handoff-{role}",
        settings,
        stages,
        routes=routes,
        on_start=on_start,
        on_stop=on_stop,
        background=background,
    )


def _delivered(recorded: bytes | str | None) -> bool:
    """Only a delivery finishes a handoff: a recorded failure is retried when its entry comes
    back (``rapport dlq replay`` re-drives it)."""
    if recorded is None:
        return False
    if record_ref(recorded) is not None:  # a reference tagged with the status
        return record_tag(recorded) == "delivered"
    try:  # the result's JSON (recorded before references, or dead-lettered)
        return HandoffResult.read(recorded).status == "delivered"
    except ValidationError:
        return False
