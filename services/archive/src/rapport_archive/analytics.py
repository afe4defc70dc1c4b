"""Analytics read from the archive (issue 16 item 7): escalation and containment rates over time
by site, rule, language and channel, the top reasons, decision latency and the feedback rates.

Definitions (the console's analytics page states them too):

- A *live* decision is one the router acted on by a policy rule: not a shadow verdict, not a
  ladder step, not the router's own ``human-owns-conversation`` / ``cooldown`` / ``superseded``
  bookkeeping while a person owns the conversation.
- *Escalation rate*: live decisions routed to a person / live decisions (message level).
- *Containment rate*: conversations whose live decisions in the range never routed to a person
  / conversations with a live decision (conversation level, bucketed by the conversation's first
  decision in the range).
- *Decision latency*: a decision's time minus its customer message's arrival at the edge.
- *Unneeded / missed escalation rate*: escalations judged unneeded / escalations, and
  automated decisions judged missed escalations / automated decisions (the latest verdict per
  decision counts, as on the console's feedback page).

The rows of the range are read once (decisions joined to their message's channel and language)
and counted here, the same on SQLite and PostgreSQL; ``max_rows`` bounds one read and the result
says when it was reached.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, and_, select

from rapport_archive.store import DAY_MS, DecisionRow, FeedbackRow, MessageRow

NOT_POLICY_RULES = frozenset({"human-owns-conversation", "cooldown", "superseded"})
DIMENSIONS = ("site", "rule", "language", "channel")
MAX_SERIES = 6  # values drawn per dimension; the rest are summed as "other"
OTHER = "other"
UNKNOWN = "unknown"
UNNEEDED, MISSED = "unneeded-escalation", "missed-escalation"


@dataclass(frozen=True)
class Point:
    bucket: int  # the bucket's first day (days since 1970-01-01, UTC)
    rate: float | None  # None: nothing to count in this bucket
    numerator: int
    denominator: int


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]
    numerator: int  # over the whole range
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Reason:
    rule: str
    signal: str | None
    count: int
    share: float  # of the range's escalations


@dataclass(frozen=True)
class Latency:
    bucket: int
    count: int
    p50_ms: float
    p90_ms: float


class VerdictRates:
    """The unneeded- and missed-escalation rates of a row of counts: escalations judged
    unneeded / escalations, automated decisions judged missed / automated decisions (None with
    nothing to divide by). One definition for the archive's analytics and the console's
    feedback page (``rapport_console.data.RateRow``), which count the same things."""

    escalations: int
    unneeded: int
    automated: int
    missed: int

    @property
    def unneeded_rate(self) -> float | None:
        return self.unneeded / self.escalations if self.escalations else None

    @property
    def missed_rate(self) -> float | None:
        return self.missed / self.automated if self.automated else None


@dataclass(frozen=True)
class FeedbackRate(VerdictRates):
    site: str
    escalations: int
    unneeded: int
    automated: int
    missed: int


@dataclass
class Analytics:
    since_ms: int
    until_ms: int
    bucket_days: int
    buckets: list[int]
    decisions: int = 0
    escalations: int = 0
    conversations: int = 0
    contained: int = 0
    # dimension -> series (the whole range first, named "all")
    escalation: dict[str, list[Series]] = field(default_factory=dict)
    containment: dict[str, list[Series]] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)
    latency: list[Latency] = field(default_factory=list)
    latency_overall: dict[str, float] = field(default_factory=dict)
    feedback: list[FeedbackRate] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    truncated: bool = False

    @property
    def escalation_rate(self) -> float | None:
        return self.escalations / self.decisions if self.decisions else None

    @property
    def containment_rate(self) -> float | None:
        return self.contained / self.conversations if self.conversations else None


@dataclass(frozen=True)
class _Row:
    site: str
    conversation_id: str
    decision_id: str
    route: str
    rule: str
    signal: str | None
    decided_ms: int
    channel: str
    language: str
    received_ms: int | None


def is_live(rule: str, message_id: str, *, shadow: bool) -> bool:
    return not shadow and not message_id.startswith("ladder-") and rule not in NOT_POLICY_RULES


def percentile(values: list[int], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def _read(
    engine: Engine, since_ms: int, until_ms: int, site: str | None, max_rows: int
) -> tuple[list[_Row], bool]:
    d, m = DecisionRow, MessageRow
    query = (
        select(
            d.site,
            d.conversation_id,
            d.decision_id,
            d.message_id,
            d.route,
            d.rule,
            d.signal,
            d.decided_ms,
            m.channel,
            m.language,
            m.received_ms,
        )
        .outerjoin(
            m,
            and_(
                m.site == d.site,
                m.conversation_id == d.conversation_id,
                m.message_id == d.message_id,
            ),
        )
        .where(d.decided_ms >= since_ms, d.decided_ms < until_ms, d.shadow.is_(False))
        .order_by(d.decided_ms, d.site, d.decision_id)
        .limit(max_rows + 1)
    )
    if site is not None:
        query = query.where(d.site == site)
    with engine.connect() as conn:
        raw = conn.execute(query).all()
    rows = [
        _Row(
            site=r.site,
            conversation_id=r.conversation_id,
            decision_id=r.decision_id,
            route=r.route,
            rule=r.rule or "default",
            signal=r.signal,
            decided_ms=int(r.decided_ms),
            channel=r.channel or UNKNOWN,
            language=r.language or UNKNOWN,
            received_ms=int(r.received_ms) if r.received_ms is not None else None,
        )
        for r in raw[:max_rows]
        if is_live(r.rule or "default", r.message_id, shadow=False)
    ]
    return rows, len(raw) > max_rows


def _series(
    name: str, counts: dict[int, list[int]], buckets: list[int], totals: tuple[int, int]
) -> Series:
    points = []
    for b in buckets:
        num, den = counts.get(b, [0, 0])
        points.append(Point(b, num / den if den else None, num, den))
    return Series(name, tuple(points), totals[0], totals[1])


def _by(
    items: list[tuple[int, str, bool]], buckets: list[int], keep: list[str] | None = None
) -> list[Series]:
    """``items`` are (bucket, value, hit): one series per value (the most frequent
    ``MAX_SERIES``, the rest as ``other``), the rate being hits / items."""
    volume = Counter(value for _, value, _ in items)
    kept = keep if keep is not None else [v for v, _ in volume.most_common(MAX_SERIES)]
    counts: dict[str, dict[int, list[int]]] = defaultdict(dict)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for bucket, value, hit in items:
        name = value if value in kept else OTHER
        cell = counts[name].setdefault(bucket, [0, 0])
        cell[0] += hit
        cell[1] += 1
        totals[name][0] += hit
        totals[name][1] += 1
    names = [v for v in kept if v in counts] + ([OTHER] if OTHER in counts else [])
    return [_series(n, counts[n], buckets, (totals[n][0], totals[n][1])) for n in names]


def read_analytics(
    engine: Engine,
    since: datetime,
    until: datetime,
    *,
    site: str | None = None,
    max_rows: int = 200_000,
) -> Analytics:
    """The analytics of ``[since, until)`` (UTC), of one site or all."""
    since_ms = int(since.astimezone(UTC).timestamp() * 1000)
    until_ms = int(until.astimezone(UTC).timestamp() * 1000)
    span_days = max(1, -(-(until_ms - since_ms) // DAY_MS))
    bucket_days = 1 if span_days <= 62 else 7
    first_day = since_ms // DAY_MS
    last_day = (until_ms - 1) // DAY_MS
    buckets = list(range(first_day, last_day + 1, bucket_days))
    result = Analytics(since_ms, until_ms, bucket_days, buckets)

    def bucket_of(ms: int) -> int:
        return first_day + ((ms // DAY_MS - first_day) // bucket_days) * bucket_days

    rows, result.truncated = _read(engine, since_ms, until_ms, site, max_rows)
    result.decisions = len(rows)
    result.escalations = sum(r.route == "human" for r in rows)

    # Escalation rate, message level.
    escalation_items = {
        "site": [(bucket_of(r.decided_ms), r.site, r.route == "human") for r in rows],
        "language": [(bucket_of(r.decided_ms), r.language, r.route == "human") for r in rows],
        "channel": [(bucket_of(r.decided_ms), r.channel, r.route == "human") for r in rows],
    }
    everything = [(bucket_of(r.decided_ms), "all", r.route == "human") for r in rows]
    result.escalation["all"] = _by(everything, buckets)
    for dimension, items in escalation_items.items():
        result.escalation[dimension] = _by(items, buckets)
    # By rule: each escalating rule's share of all live decisions (automation is rule
    # `default` or an automation rule, so its rate is not an escalation rate: left out).
    rules = Counter(r.rule for r in rows if r.route == "human")
    top_rules = [rule for rule, _ in rules.most_common(MAX_SERIES)]
    result.escalation["rule"] = [
        _by(
            [(bucket_of(r.decided_ms), rule, r.route == "human" and r.rule == rule) for r in rows],
            buckets,
            keep=[rule],
        )[0]
        for rule in top_rules
    ]

    # Containment, conversation level: the conversation's first live decision places it.
    conversations: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for r in rows:
        conversations[(r.site, r.conversation_id)].append(r)
    per_conversation = []
    for turns in conversations.values():
        first = turns[0]
        contained = not any(t.route == "human" for t in turns)
        per_conversation.append((first, contained))
    result.conversations = len(per_conversation)
    result.contained = sum(c for _, c in per_conversation)
    result.containment["all"] = _by(
        [(bucket_of(f.decided_ms), "all", c) for f, c in per_conversation], buckets
    )
    for dimension in ("site", "language", "channel"):
        result.containment[dimension] = _by(
            [(bucket_of(f.decided_ms), getattr(f, dimension), c) for f, c in per_conversation],
            buckets,
        )

    # Top reasons: the first reason's rule and signal of each escalation.
    reasons = Counter((r.rule, r.signal) for r in rows if r.route == "human")
    result.reasons = [
        Reason(rule, signal, n, n / result.escalations)
        for (rule, signal), n in sorted(
            reasons.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1] or "")
        )[:10]
    ]

    # Decision latency.
    waits: dict[int, list[int]] = defaultdict(list)
    every: list[int] = []
    for r in rows:
        if r.received_ms is not None:
            wait = max(0, r.decided_ms - r.received_ms)
            waits[bucket_of(r.decided_ms)].append(wait)
            every.append(wait)
    result.latency = [
        Latency(b, len(waits[b]), percentile(waits[b], 0.5), percentile(waits[b], 0.9))
        for b in buckets
        if waits.get(b)
    ]
    if every:
        result.latency_overall = {
            "count": float(len(every)),
            "p50_ms": percentile(every, 0.5),
            "p90_ms": percentile(every, 0.9),
            "p99_ms": percentile(every, 0.99),
            "max_ms": float(max(every)),
        }

    result.feedback = _feedback(engine, rows, since_ms, until_ms)
    result.sites = sorted({r.site for r in rows})
    return result


def _feedback(engine: Engine, rows: list[_Row], since_ms: int, until_ms: int) -> list[FeedbackRate]:
    """Per site: of the range's escalations, how many were judged unneeded; of its automated
    decisions, how many were judged missed escalations (the latest verdict per decision)."""
    by_id = {(r.site, r.decision_id): r for r in rows}
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    f = FeedbackRow
    sites = sorted({r.site for r in rows})
    if not sites:
        return []
    with engine.connect() as conn:
        found = conn.execute(
            select(f.site, f.decision_id, f.verdict, f.at_ms).where(
                f.site.in_(sites), f.at_ms >= since_ms
            )
        ).all()
    for site, decision_id, verdict, at_ms in found:
        key = (site, decision_id)
        if key in by_id and (key not in latest or at_ms >= latest[key][0]):
            latest[key] = (int(at_ms), verdict)
    out = []
    for site in sites:
        verdicts = [(by_id[key].route, v) for key, (_, v) in latest.items() if key[0] == site]
        out.append(
            FeedbackRate(
                site=site,
                escalations=sum(1 for r in rows if r.site == site and r.route == "human"),
                unneeded=sum(1 for route, v in verdicts if route == "human" and v == UNNEEDED),
                automated=sum(1 for r in rows if r.site == site and r.route != "human"),
                missed=sum(1 for route, v in verdicts if route != "human" and v == MISSED),
            )
        )
    return out


def archived_sites(engine: Engine) -> list[str]:
    """The sites the archive holds decisions of."""
    with engine.connect() as conn:
        return sorted(str(s) for (s,) in conn.execute(select(DecisionRow.site).distinct()))
