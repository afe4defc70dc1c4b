"""The deflated stored form (issue 14, 2026-12-03 evening): an event's compact JSON, deflated
with a preset dictionary shipped here, so that Redis retains ~4x fewer bytes per entry.

A deflated value is the bytes ``MARKER`` + the raw deflate (RFC 1951, ``wbits=-WINDOW_BITS``)
of the compact JSON, primed with :data:`DICTIONARY_V1`. ``MARKER`` starts with ``0xFE``, a
byte that never occurs in UTF-8, so a deflated value is never mistaken for JSON (``{``), a
packed turn (``c`` + text) or a record's reference (``[tag:]<id>@<stream>``), and every value
that is not deflated passes through :func:`expand` unchanged: entries stored before this form
(and by writers with the setting off) still read. The value is binary: a client that decodes
every reply as UTF-8 (``decode_responses=True``) cannot read it; Redis and redis-py's default
carry it as bytes. (Base64 would keep it text at a third more bytes: measured, 2026-12-03
evening, docs/performance.md.) ``Model.read`` expands what it is given, so a reader using this
package needs no change; a reader of the raw stream entries without it inflates with any
zlib, e.g. in Python::

    zlib.decompressobj(-12, zdict=DICTIONARY_V1).decompress(value[2:])

**The dictionary never changes**: every value deflated with it needs it byte for byte to be
read again. A better dictionary is a new one (marker ``0xFE 0x02``) beside this one,
readers first; ``tests/contracts/test_stored.py`` pins this one's SHA-256.

The dictionary is the compact JSON of synthetic events written for it (our own wording, no
data file), the strings that recur in every entry (field names, enum values, the shape of a
timestamp, id prefixes), the most frequent last: deflate codes a near match in fewer bits.
"""

from __future__ import annotations

import zlib

# 0xFE never occurs in UTF-8 text; the second byte names the dictionary (1: DICTIONARY_V1).
MARKER = b"\xfe\x01"
# A 4 KB window: the dictionary (~2.4 KB) plus the start of the entry fit in it, and priming
# a deflate state of this size is cheap (the state is copied, never primed per value).
WINDOW_BITS = 12
# Level 6 (zlib's default) with memLevel 4: within 10 % of level 9's size on our entries,
# and a copied state compresses a 600-byte entry in ~3-5 us (timeit, docs/performance.md).
LEVEL = 6
MEM_LEVEL = 4

DICTIONARY_V1 = (
    b'{"schema_version":3,"notification_id":"ntf_0a1b2c3d4e5f60718293a4b5","site":"acme",'
    b'"conversation_id":"c-1001","decision_id":"dec_0a1b2c3d4e5f60718293a4b5","targets":'
    b'["supervisor"],"priority":"urgent","reason":"safety signal","at":"2026-12-03T09:00:00.0Z"}'
    b'{"schema_version":3,"handoff_id":"hof_5f60718293a4b50a1b2c3d4e","site":"acme",'
    b'"conversation_id":"c-1001","decision_id":"dec_5f60718293a4b50a1b2c3d4e","adapter":'
    b'"webhook","status":"delivered","attempts":1,"detail":"HTTP 200","external_id":"hd-1001",'
    b'"at":"2026-12-03T09:00:01.000000Z"}'
    b'{"owner":"escalated","episode":1,"queue":"support","priority":"high","escalated_at":'
    b'"2026-12-03T09:00:01.000000Z","handoff_id":"hof_5f60718293a4b50a1b2c3d4e","origin_queue":'
    b'"support","escalated_ts":1796288401.0,"last_activity":1796288401.0,"customer_turns":2,'
    b'"negative_turns":1,"frustration_history":[0.2,0.45],"first_customer_at":'
    b'"2026-12-03T09:00:00.000000Z","handoff_confirmed":true,"latest_received_at":'
    b'"2026-12-03T09:00:01.000000Z"}'
    b'{"schema_version":3,"instruction_id":"ins_93a4b50a1b2c3d4e5f607182","site":"acme",'
    b'"conversation_id":"c-1002","action":"respond","message_id":"m-2002","decision_id":'
    b'"dec_93a4b50a1b2c3d4e5f607182","reason":"no rule fired; automation keeps the conversation",'
    b'"at":"2026-12-03T09:00:02.000000Z"}'
    b'{"schema_version":3,"message":{"site":"acme","conversation_id":"c-1003","message_id":'
    b'"m-3003","author":"bot","text":"Sorry, I did not understand that.","sent_at":'
    b'"2026-12-03T09:00:03.000000Z","received_at":"2026-12-03T09:00:03.000000Z"},'
    b'"bot_fallback":true}'
    b'{"schema_version":3,"decision_id":"dec_b50a1b2c3d4e5f60718293a4","site":"acme",'
    b'"conversation_id":"c-1001","message_id":"m-1001","route":"human","queue":"support",'
    b'"priority":"high","reasons":[{"rule":"service-failure-negative","signal":"waiting_time",'
    b'"value":0.6,"threshold":0.6,"detail":"evidence: \'since last week\'"},{"rule":'
    b'"service-failure-negative","signal":"sentiment_score","value":-0.42,"threshold":-0.05,'
    b'"detail":"sentiment_score <= -0.05"}],"policy_id":"default","policy_version":"5",'
    b'"classifier_version":"lexicon-3.5","tags":["billing"],"decided_at":'
    b'"2026-12-03T09:00:00.000000Z"}'
    b'{"schema_version":3,"message":{"site":"acme","conversation_id":"c-1001","message_id":'
    b'"m-1001","author":"customer","text":"My order has not arrived yet and I am really '
    b'annoyed, can a person help me with the refund?","sent_at":"2026-12-03T09:00:00.000000Z",'
    b'"received_at":"2026-12-03T09:00:00.000000Z","channel":"email","language":"en",'
    b'"customer":{"id":"u-1","tier":"gold"}},"classification":{"sentiment":"negative",'
    b'"sentiment_score":-0.4213,"frustration":0.4511,"complexity":0.2367,"complexity_level":'
    b'"low","signals":[{"name":"complaint","score":0.6,"evidence":"annoyed","start":40,'
    b'"end":47},{"name":"human_request","score":0.8,"evidence":"a person","start":53,"end":61},'
    b'{"name":"billing_dispute","score":0.4,"evidence":"refund","start":85,"end":91}],'
    b'"language_confidence":0.9,"language_source":"detected","classifier_version":"lexicon-3.5"}}'
    b'{"schema_version":3,"decision_id":"dec_c3d4e5f60718293a4b50a1b2","site":"acme",'
    b'"conversation_id":"c-1002","message_id":"m-2002","route":"automation","priority":"low",'
    b'"reasons":[{"rule":"default","detail":"no rule fired; automation keeps the conversation"}],'
    b'"policy_id":"default","policy_version":"5","classifier_version":"lexicon-3.5",'
    b'"decided_at":"2026-12-03T09:00:02.000000Z"}'
    b'{"schema_version":3,"message":{"site":"acme","conversation_id":"c-1002","message_id":'
    b'"m-2002","author":"customer","text":"Can I change the email address on my account?",'
    b'"sent_at":"2026-12-03T09:00:02.000000Z","received_at":"2026-12-03T09:00:02.000000Z"},'
    b'"classification":{"sentiment":"neutral","sentiment_score":0.0312,"frustration":0.1141,'
    b'"complexity":0.3767,"complexity_level":"medium","signals":[{"name":"account_action",'
    b'"score":0.6,"evidence":"change the email","start":6,"end":22}],"language_confidence":0.9,'
    b'"language_source":"detected","classifier_version":"lexicon-3.5"}}'
)

# Primed once; each value is deflated by a copy (priming per value costs ~10x more).
_DEFLATE = zlib.compressobj(
    LEVEL, zlib.DEFLATED, -WINDOW_BITS, MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_V1
)
_INFLATE = zlib.decompressobj(-WINDOW_BITS, DICTIONARY_V1)


class StoredFormError(ValueError):
    """A value that carries the deflated form's marker but does not inflate (it is damaged).
    A ``ValueError``, like JSON that does not parse, so every reader's handling applies."""


def deflate(json_text: str | bytes) -> bytes:
    """The deflated stored form of ``json_text`` (an event's compact JSON)."""
    data = json_text.encode() if isinstance(json_text, str) else json_text
    deflater = _DEFLATE.copy()
    return MARKER + deflater.compress(data) + deflater.flush()


def is_deflated(value: str | bytes) -> bool:
    """Whether ``value`` is in the deflated form (text never is: it is bytes, not UTF-8)."""
    return isinstance(value, bytes) and value[:2] == MARKER


def expand(value: str | bytes) -> str | bytes:
    """``value`` as JSON: a deflated value inflated (to bytes), anything else (JSON, entries
    stored before this form) returned as it is."""
    if not is_deflated(value):
        return value
    assert isinstance(value, bytes)  # is_deflated says so
    inflater = _INFLATE.copy()
    try:
        data = inflater.decompress(value[len(MARKER) :]) + inflater.flush()
    except zlib.error as exc:
        raise StoredFormError(f"a deflated stored value that does not inflate: {exc}") from exc
    if not inflater.eof:
        raise StoredFormError("a deflated stored value that is cut short")
    return data
