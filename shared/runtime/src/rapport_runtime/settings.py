"""Process settings, read from the environment (``RAPPORT_*`` and ``REDIS_URL``).

Per-site settings (secrets, adapters, policies) live in the site configuration file instead;
see :mod:`rapport_runtime.config`. Unsafe development defaults are refused when
``RAPPORT_ENV=production``.
"""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from rapport_contracts.streams import Streams

# REDIS_URL schemes naming a Redis Cluster: seed nodes, comma-separated, e.g.
# redis+cluster://10.0.0.1:6379,10.0.0.2:6379 (docs/scaling.md).
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")

DEV_ADMIN_TOKEN = "dev-admin-token"  # noqa: S105 - a documented development default, refused in production


def default_consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class RapportSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAPPORT_", extra="ignore", frozen=True, populate_by_name=True
    )

    env: Literal["development", "production"] = "development"
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "RAPPORT_REDIS_URL"),
        description="REDIS_URL (or RAPPORT_REDIS_URL).",
    )
    prefix: str = Field(default="rapport", pattern=r"^[A-Za-z0-9_.:-]+$")
    partitions: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="RAPPORT_PARTITIONS: each stream is split into this many partitions, one "
        "conversation always on the same one (docs/scaling.md). 1 with a standalone Redis is "
        "the unpartitioned layout. Every process of a deployment must use the same value.",
    )
    consumer_partitions: str = Field(
        default="all",
        description="RAPPORT_CONSUMER_PARTITIONS: the partitions this process's stages read: "
        "all, a list such as 0,2,4-6, or spread (p % RAPPORT_REPLICAS == "
        "RAPPORT_REPLICA_INDEX).",
    )
    replicas: int | None = Field(
        default=None, ge=1, description="RAPPORT_REPLICAS: replicas of this stage (for spread)."
    )
    replica_index: int | None = Field(
        default=None,
        ge=0,
        description="RAPPORT_REPLICA_INDEX: this replica's index, 0-based (for spread); unset, "
        "the number ending the host name (a StatefulSet pod's ordinal).",
    )
    config: str | None = Field(default=None, description="Path of the sites YAML file.")
    admin_token: SecretStr | None = None

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, description="HTTP port; each service has a default.")

    consumer_name: str = Field(default_factory=default_consumer_name)
    max_records: int = Field(default=100, ge=1, le=1000)
    poll_ms: int = Field(default=100, ge=1, le=10_000)
    max_deliveries: int = Field(default=5, ge=1)
    reclaim_idle_ms: int = Field(default=30_000, ge=10)
    reclaim_poll_ms: int = Field(default=1_000, ge=10)
    stream_maxlen: int = Field(default=1_000_000, ge=1_000)
    conversation_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    conversation_max_records: int = Field(
        default=100,
        ge=1,
        description="Messages, decisions and handoffs kept per conversation (each); older ones "
        "are dropped (the handoff transcript uses the last RAPPORT_TRANSCRIPT_TURNS of them).",
    )
    stream_retention_s: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        description="Entries of Rapport's history streams (classified, decisions, handoffs, "
        "automation, notifications, feedback) older than this are trimmed, once every "
        "consumer group has read and acked them; 7 days, what `rapport policy replay "
        "--from-stream` reads by default. The DLQ is never trimmed by age.",
    )
    pipe_retention_s: int = Field(
        default=600,
        ge=60,
        description="The same for the internal hops (messages, escalations), whose content "
        "lives on in the classified stream and the conversation record: kept this long after "
        "every group has read them (the edge's acceptance watch needs 10 s).",
    )
    stored_form: Literal["json", "deflate"] = Field(
        default="json",
        description="RAPPORT_STORED_FORM: how Rapport's writers store events in stream entries "
        "and the conversation state: json, the compact JSON any reader (and any earlier "
        "Rapport) reads; deflate, that JSON deflated with the contracts' preset dictionary "
        "(rapport_contracts.stored), ~4x fewer bytes per history entry, read by rapport-contracts "
        ">= 0.3 only. json by default so a rolling upgrade never writes what a running older "
        "reader cannot read; turn deflate on once every reader is upgraded "
        "(docs/architecture.md, The stored form).",
    )
    dedupe_ttl_s: int = Field(
        default=24 * 3600, ge=60, description="How long a message id is remembered for dedupe."
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    signature_tolerance_s: int = Field(default=300, ge=1)
    body_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A webhook body must arrive within this long; slower senders get a 408.",
    )
    max_body_reads: int = Field(
        default=256,
        ge=1,
        description="Webhook bodies read at once per edge process; beyond it a 503 with "
        "Retry-After, so slow senders cannot hold every connection.",
    )
    http_max_connections: int = Field(
        default=1000,
        ge=1,
        description="uvicorn's limit_concurrency: open connections plus in-flight requests "
        "beyond which the process answers 429 with Retry-After at once (it is saturated).",
    )
    http_keepalive_s: int = Field(
        default=5, ge=1, description="Idle keep-alive connections are closed after this long."
    )
    rate_limit_per_site: float = Field(
        default=0.0,
        ge=0,
        description="Signed webhook requests per second per site and edge process (a token "
        "bucket); beyond it a 429 with Retry-After. 0 turns the limit off.",
    )
    rate_limit_burst: int = Field(
        default=100, ge=1, description="Requests a site may send at once above its rate."
    )
    graceful_timeout_s: float = Field(default=15.0, ge=0)
    startup_timeout_s: float = Field(default=60.0, ge=0, description="How long to wait for Redis.")
    cooldown_s: float = Field(
        default=600.0, ge=0, description="After a resolution, only high/urgent re-escalates."
    )
    timer_poll_s: float = Field(default=1.0, gt=0, description="How often due timers are read.")
    router_results_pause_ms: int = Field(
        default=50,
        ge=0,
        le=5_000,
        description="The router reads handoff results at most this often while they come in "
        "fewer than max_records at a time, so that they are applied in fewer, larger batches "
        "between its message batches (docs/performance.md, 2026-12-03 evening). A result waits "
        "up to this much longer; 0 reads them as they come.",
    )
    breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Consecutive transient handoff failures that open a site's circuit.",
    )
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, description="How long an open circuit fails handoffs fast."
    )
    transcript_turns: int = Field(default=50, ge=1, description="Turns kept for handoff packets.")
    durability: Literal["everysec", "always"] = Field(
        default="everysec",
        description="What a 202 promises. everysec: Redis's AOF fsyncs every second, so a host "
        "crash can lose the last second of accepted messages. always: the services refuse to "
        "start unless Redis runs with appendonly yes and appendfsync always, so nothing "
        "answered 202 is lost.",
    )
    accept_window_s: float = Field(
        default=10.0,
        ge=0,
        description="How long the edge remembers each message it answered 202 for, so that "
        "after a Redis restart it can put back what Redis lost (a host crash with everysec "
        "loses up to its last second or two). 0 turns the memory off.",
    )
    accept_check_s: float = Field(
        default=0.5,
        gt=0,
        description="How often the edge asks Redis whether it restarted (INFO run_id).",
    )
    gc_tuned: bool = Field(
        default=True,
        description="Once a service is ready, freeze what it loaded out of Python's cycle "
        "collector and collect young objects less often (rapport_runtime.gc_tuning): without "
        "it a full collection stopped a service for 130-400 ms under load. false keeps "
        "Python's defaults.",
    )
    redis_pool_size: int = Field(
        default=64,
        ge=2,
        description="Redis connections per process; a burst beyond it waits for one (up to "
        "5 s) instead of failing.",
    )
    edge_max_inflight: int = Field(
        default=128,
        ge=1,
        description="Webhook requests one edge process works on at once (body read, checks, "
        "the write to Redis); beyond it a 429 with Retry-After at once, before the body is "
        "read. Bounds how long an accepted request can queue in the process (128 at ~400 "
        "requests/s per process: about 0.3 s; docs/performance.md).",
    )
    edge_max_backlog: int = Field(
        default=50_000,
        ge=0,
        description="Accepted messages not yet read by the sentiment stage beyond which the "
        "edge answers 429 with Retry-After (Rapport is saturated: accepting more only makes "
        "every answer later). 0 turns the check off.",
    )
    handoff_role: Literal["both", "edge", "stage"] = Field(
        default="both",
        description="RAPPORT_HANDOFF_ROLE: what a handoff process runs. both: the HTTP edge "
        "and the handoff stage; edge: only the edge (webhooks in); stage: only the handoff "
        "stage (packets out to the helpdesks), whose HTTP port serves /healthz and /readyz.",
    )
    handoff_http_transport: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp",
        description="RAPPORT_HANDOFF_HTTP_TRANSPORT: what carries the adapters' httpx calls "
        "to the helpdesks. aiohttp: httpx-aiohttp's transport (about a third of httpx's own "
        "CPU per request, docs/performance.md); httpx: httpx's own transport (httpcore).",
    )
    handoff_retries: int = Field(
        default=6,
        ge=0,
        description="Attempts of a handoff the helpdesk answered with 429/5xx or a timeout, on "
        "a durable back-off schedule, before it counts as failed.",
    )
    handoff_retry_base_s: float = Field(
        default=2.0, gt=0, description="First back-off between handoff attempts; doubles."
    )
    handoff_retry_max_s: float = Field(
        default=120.0, gt=0, description="Longest back-off between handoff attempts."
    )
    handoff_confirm_s: float = Field(
        default=300.0,
        gt=0,
        description="An escalation whose handoff is not confirmed (delivered) this long after "
        "it opened counts as failed: the router acts on it as on a refusal.",
    )

    # Logs and metrics (docs/operations.md).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="RAPPORT_LOG_LEVEL: DEBUG, INFO, WARNING, ERROR, CRITICAL."
    )
    log_format: Literal["json", "text"] | None = Field(
        default=None,
        description="RAPPORT_LOG_FORMAT: json (one object per line) or text; unset, text in "
        "development and json otherwise.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="RAPPORT_METRICS_PORT: the internal port serving /metrics, never the public "
        "one; unset, the service's HTTP port + 1000 (9080 handoff, 9081 sentiment, 9082 "
        "router, 9083 console).",
    )
    metrics_host: str | None = Field(
        default=None, description="RAPPORT_METRICS_HOST: where /metrics listens; unset, HOST."
    )

    # The archive (services/archive, docs/archive.md): history that outlives Redis.
    archive_url: str | None = Field(
        default=None,
        description="RAPPORT_ARCHIVE_URL: the archive's store, sqlite:///path/archive.db or "
        "postgresql://user:password@host/db; unset, nothing is archived, the console's "
        "/analytics says how to set it and `rapport forget` erases Redis only.",
    )
    archive_retention_days: int = Field(
        default=400,
        ge=1,
        le=36_500,
        description="RAPPORT_ARCHIVE_RETENTION_DAYS: archived rows older than this are deleted "
        "(checked every RAPPORT_ARCHIVE_RETENTION_EVERY_S).",
    )
    archive_retention_every_s: float = Field(
        default=3600.0, ge=1, description="How often the archive deletes expired rows."
    )

    @field_validator("archive_url", mode="before")
    @classmethod
    def _archive_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        if not value.startswith(
            ("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")
        ):
            raise ValueError(
                "set it to sqlite:///<path> or postgresql://user:password@host/database"
            )
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        """``info``, `` JSON `` and the empty string (the default) are accepted."""
        if not isinstance(value, str):
            return value
        value = value.strip()
        if info.field_name == "log_level":
            return value.upper() or "INFO"
        return value.lower() or None

    @model_validator(mode="after")
    def _refuse_unsafe_defaults_in_production(self) -> RapportSettings:
        if self.env != "production":
            return self
        problems = []
        if not self.config:
            problems.append(
                "RAPPORT_CONFIG is not set (the built-in demo site is development-only)"
            )
        token = self.admin_token.get_secret_value() if self.admin_token else ""
        if not token or token == DEV_ADMIN_TOKEN or len(token) < 16:
            problems.append("RAPPORT_ADMIN_TOKEN must be set to a random value of 16+ characters")
        if problems:
            raise ValueError("unsafe settings for RAPPORT_ENV=production: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_partitions(self) -> RapportSettings:
        self.owned_partitions  # noqa: B018 - raises with what to fix
        return self

    @property
    def redis_cluster(self) -> bool:
        """``REDIS_URL`` names a Redis Cluster (``redis+cluster://`` or ``rediss+cluster://``)."""
        return self.redis_url.startswith(CLUSTER_SCHEMES)

    @property
    def owned_partitions(self) -> tuple[int, ...]:
        """The partitions this process's stages read (see ``consumer_partitions``)."""
        spec = self.consumer_partitions.strip().lower()
        count = self.partitions
        if spec in ("", "all"):
            return tuple(range(count))
        if spec == "spread":
            index = self.replica_index
            if index is None:
                tail = socket.gethostname().rsplit("-", 1)[-1]
                index = int(tail) if tail.isdigit() else None
            if self.replicas is None or index is None:
                raise ValueError(
                    "RAPPORT_CONSUMER_PARTITIONS=spread needs RAPPORT_REPLICAS and "
                    "RAPPORT_REPLICA_INDEX (or a host name ending in -<index>)"
                )
            if index >= self.replicas:
                raise ValueError(
                    f"RAPPORT_REPLICA_INDEX={index} must be below RAPPORT_REPLICAS={self.replicas}"
                )
            return tuple(p for p in range(count) if p % self.replicas == index)
        owned: set[int] = set()
        for part in spec.split(","):
            low, _, high = part.strip().partition("-")
            if not low.isdigit() or (high and not high.isdigit()):
                raise ValueError(
                    f"RAPPORT_CONSUMER_PARTITIONS={self.consumer_partitions!r}: use all, spread "
                    "or a list of partition numbers and ranges such as 0,2,4-6"
                )
            first, last = int(low), int(high or low)
            if last >= count or first > last:
                raise ValueError(
                    f"RAPPORT_CONSUMER_PARTITIONS={self.consumer_partitions!r} names partitions "
                    f"outside 0..{count - 1} (RAPPORT_PARTITIONS={count})"
                )
            owned.update(range(first, last + 1))
        return tuple(sorted(owned))

    @property
    def streams(self) -> Streams:
        return Streams(self.prefix)

    @property
    def resolved_log_format(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "text" if self.env == "development" else "json"

    def resolved_metrics_port(self, default_http_port: int) -> int | None:
        """The /metrics port: the setting, or the HTTP port + 1000 (None beyond 65535)."""
        if self.metrics_port is not None:
            return self.metrics_port
        port = (self.port or default_http_port) + 1000
        return port if port <= 65535 else None

    def admin_token_value(self) -> str:
        return self.admin_token.get_secret_value() if self.admin_token else DEV_ADMIN_TOKEN
