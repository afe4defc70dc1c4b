"""Table-driven tests of the default classifier: each signal with positive and negative cases
(negation included), evidence spans, score ranges and the trend over earlier turns."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport_contracts import Classification, Turn
from rapport_sentiment.classifier import CLASSIFIER_VERSION, classify, is_bot_fallback


def _names(c: Classification, at_least: float = 0.5) -> set[str]:
    return {s.name for s in c.signals if s.score >= at_least}


SIGNAL_CASES: list[tuple[str, str, bool]] = [
    # (signal, text, expected present at >= 0.5)
    ("human_request", "I want to speak to a real person please", True),
    ("human_request", "Can I talk with an agent?", True),
    ("human_request", "I don't want a bot, get me someone", True),
    ("human_request", "no more talking to a robot", True),
    ("human_request", "I don't know how to contact a person", True),
    ("human_request", "no need to speak to an agent, the answer was enough", False),
    ("human_request", "How do I contact customer service?", False),
    ("human_request", "the agent at the desk was lovely", False),
    ("complaint", "I want to file a formal complaint against your company", True),
    ("complaint", "how do I lodge a complaint?", True),
    ("complaint", "Thanks, no complaints here", False),
    # a complaint in the customer's own words: a product or service that failed them ...
    ("complaint", "why is the blue jacket always out of stock online?", True),
    ("complaint", "my new speaker is no longer charging after a week", True),
    ("complaint", "the boots I got in March have a hole in the sole", True),
    ("complaint", "the tracking says delivered but I have not received the parcel", True),
    ("complaint", "your app won't let me log in since the update", True),
    # ... or that they judge, in a message that is no calm request
    ("complaint", "the staff in your Leeds branch were so rude to me today", True),
    ("complaint", "40 minute wait time on your phone line again, unacceptable", True),
    ("complaint", "this pizza tasted disgusting and the delivery driver was clueless", True),
    # not: a calm request, a task, a happy message, a late trip alone
    ("complaint", "How do I cancel my order? It won't arrive in time for the party", False),
    ("complaint", "problem with cancelling purchase 1234", False),
    ("complaint", "I'm trying to track my parcel 1234", False),
    (
        "complaint",
        "I don't want to cancel, I just want to pause my subscription for a month.",
        False,
    ),
    ("complaint", "Love the new jacket, it arrived early!", False),
    ("complaint", "flight delayed 2 hours, such a terrible start to the holiday", False),
    ("complaint", "Do you have this dress in a medium?", False),
    ("legal_threat", "I will be contacting my lawyer about this", True),
    ("legal_threat", "I'm going to sue you", True),
    ("legal_threat", "my flight to the law conference was fine", False),
    ("churn_threat", "If this isn't fixed I'm switching to another provider", True),
    ("churn_threat", "never flying with you again", True),
    ("churn_threat", "I don't want to cancel, just pause my plan", False),
    ("churn_threat", "I switched on the router", False),
    ("billing_dispute", "I was charged twice for the same order", True),
    ("billing_dispute", "There's a transaction I don't recognise on my statement", True),
    ("billing_dispute", "I still haven't received my refund", True),
    ("billing_dispute", "What payment methods do you accept?", False),
    ("security_fraud", "My card was stolen yesterday", True),
    ("security_fraud", "I think my account was hacked", True),
    ("security_fraud", "Someone used my card without my permission", True),
    ("security_fraud", "How do I order a second card?", False),
    ("security_fraud", "my card is lost, please help", True),
    ("security_fraud", "I left my phone in a taxi last night", True),
    ("security_fraud", "my debit card got stuck in the cash machine", True),
    ("security_fraud", "How long does a new card take to arrive?", False),
    ("billing_dispute", "a withdrawal I did not make shows on my account", True),
    ("billing_dispute", "the cash I deposited yesterday still does not show", True),
    ("billing_dispute", "I see more than one of the same payment today", True),
    ("billing_dispute", "How do I make a payment to a new payee?", False),
    ("safety", "I just want to end my life", True),
    ("safety", "the charger caught fire in my kitchen", True),
    ("safety", "this delay is killing my schedule", False),
    ("repeated_contact", "This is the third time I'm writing about this", True),
    ("repeated_contact", "I've called you three times already", True),
    ("repeated_contact", "Still no reply from anyone", True),
    ("repeated_contact", "First time ordering, how does delivery work?", False),
    ("waiting_time", "I've been waiting 3 weeks for this", True),
    ("waiting_time", "on hold for 2 hours now", True),
    ("waiting_time", "nothing since Monday", True),
    ("waiting_time", "Can I change my delivery address?", False),
    ("service_failure", "you lost my luggage", True),
    ("service_failure", "they cancelled my flight without notice", True),
    ("service_failure", "your agent hung up on me", True),
    ("service_failure", "Everything arrived on time, thanks", False),
    ("profanity", "this is fucking ridiculous", True),
    ("profanity", "I'd like to update my address", False),
    ("profanity", "@dickssportinggoods where is my order?", False),  # a handle, not a word
    ("shouting", "WHY IS THIS STILL NOT WORKING", True),
    ("shouting", "seriously!!!", True),
    ("shouting", "I use the NHS app", False),
    ("bot_failure", "you're not helpful at all", True),
    ("bot_failure", "that's not what I asked", True),
    ("bot_failure", "you were very helpful", False),
    ("several_questions", "Where is my order? And why was I charged a fee?", True),
    ("several_questions", "Where is my order?", False),
    ("error_code", "the app shows error E-2043 on version 4.2.1", True),
    ("error_code", "the app is slow today", False),
    ("account_action", "I need to change the email address on my account", True),
    ("account_action", "what are your opening hours", False),
    ("sarcasm", "Great, another delay. Love waiting on hold for an hour", True),
    ("sarcasm", "Great service, thank you!", False),
]


@pytest.mark.parametrize(("name", "text", "present"), SIGNAL_CASES)
def test_signal(name: str, text: str, present: bool) -> None:
    c = classify(text)
    assert (name in _names(c)) is present, (text, c.signals)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("flight delayed 3 hours, still no bag, nobody answers", "negative"),
        ("Thanks so much, that fixed it!", "positive"),
        ("This is the worst service I have ever had", "negative"),
        ("I'm not happy with this at all", "negative"),
        ("What time does the store open on Sunday?", "neutral"),
        ("my package never arrived", "negative"),
        ("love it 😍", "positive"),
        ("this app 😡", "negative"),
        ("thanks for nothing", "negative"),
    ],
)
def test_sentiment(text: str, label: str) -> None:
    c = classify(text)
    assert c.sentiment == label, (text, c.sentiment_score)


@pytest.mark.parametrize(
    "text", ["not bad at all", "no problem, it works now", "never had a problem"]
)
def test_negated_negative_is_not_negative(text: str) -> None:
    assert classify(text).sentiment != "negative"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "?!?!",
        "ok",
        "A" * 20_000,
        "😀😀😀",
        "@united http://t.co/x #fail",
        "Ünïcödé İstanbul straße",
        "I was charged twice!!! WHY?? This is the THIRD time, I want a human NOW",
    ],
)
def test_scores_in_range(text: str) -> None:
    c = classify(text, (Turn(author="customer", text=text), Turn(author="bot", text="ok")))
    assert -1.0 <= c.sentiment_score <= 1.0
    assert 0.0 <= c.frustration <= 1.0
    assert 0.0 <= c.complexity <= 1.0
    assert c.classifier_version == CLASSIFIER_VERSION
    for s in c.signals:
        assert 0.0 <= s.score <= 1.0


@pytest.mark.parametrize(
    ("text", "name", "evidence"),
    [
        ("Hello. I want to speak to a human agent now", "human_request", "speak to a human agent"),
        ("Honestly I was charged twice last week", "billing_dispute", "charged twice"),
        ("Hi, my card was stolen", "security_fraud", "card was stolen"),
        ("waiting 3 weeks so far", "waiting_time", "3 weeks"),
    ],
)
def test_evidence_span(text: str, name: str, evidence: str) -> None:
    c = classify(text)
    s = c.signal(name)
    assert s is not None
    assert s.evidence == evidence
    assert s.start is not None
    assert s.end is not None
    assert text[s.start : s.end] == evidence


def test_frustration_orders_messages() -> None:
    calm = classify("Could you tell me where my parcel is?")
    angry = classify("WHERE IS MY PARCEL?! Third time asking, this is absolutely ridiculous")
    assert angry.frustration > calm.frustration + 0.3
    assert angry.frustration >= 0.5


def test_frustration_trend_over_customer_turns() -> None:
    context = (
        Turn(author="customer", text="Hi, where is my order?"),
        Turn(author="bot", text="It is on its way."),
        Turn(author="customer", text="It was due yesterday, still nothing."),
        Turn(author="bot", text="Sorry, I didn't understand that."),
    )
    c = classify("This is ridiculous, third time asking. Where is my order?!", context)
    trend = c.signal("frustration_trend")
    assert trend is not None
    assert trend.score >= 0.5
    assert "->" in trend.evidence
    flat = classify("Thanks, that's all.", context)
    assert flat.signal("frustration_trend") is None


def test_bot_failure_from_context() -> None:
    fallback = Turn(author="bot", text="Sorry, I didn't understand. Could you rephrase?")
    one = classify("my order", (Turn(author="customer", text="where is my order"), fallback))
    two = classify(
        "my order!!",
        (fallback, Turn(author="customer", text="my order"), fallback),
    )
    s1, s2 = one.signal("bot_failure"), two.signal("bot_failure")
    assert s1 is not None
    assert s2 is not None
    assert s2.score > s1.score
    assert (
        classify("my order", (Turn(author="bot", text="Here it is."),)).signal("bot_failure")
        is None
    )


def test_customer_repeating_themselves_is_bot_failure() -> None:
    context = (
        Turn(author="customer", text="I need to change my delivery address"),
        Turn(author="bot", text="Here are our delivery options."),
    )
    c = classify("I need to change my delivery address", context)
    assert "bot_failure" in _names(c)


def test_is_bot_fallback() -> None:
    assert is_bot_fallback("Sorry, I didn't quite understand that.")
    assert is_bot_fallback("Could you please rephrase?")
    assert not is_bot_fallback("Your parcel arrives on Tuesday.")


def test_complexity_levels() -> None:
    simple = classify("thanks")
    hard = classify(
        "I changed my plan last week but I'm still billed the old price, and the app shows "
        "error E-1022 on version 3.1.4 when I open billing. Can you refund the difference? "
        "And why did my card get charged twice? Also how do I update my address?"
    )
    assert simple.complexity_level == "low"
    assert hard.complexity_level == "high"
    assert hard.complexity > simple.complexity


def test_late_trip_alone_is_no_service_failure_wait() -> None:
    """A duration that is a delay ("delayed 3 hours") is not, alone, a wait on the company."""
    late = classify("my flight is delayed 3 hours, sitting at the gate")
    waited = classify("I have been on hold for 3 hours")
    assert max((s.score for s in late.signals if s.name == "waiting_time"), default=0) < 0.6
    assert max(s.score for s in waited.signals if s.name == "waiting_time") >= 0.6


def test_complaint_is_skipped_beside_a_stronger_signal() -> None:
    c = classify("you lost my luggage and the staff were rude")
    assert "service_failure" in _names(c, 0.75)
    assert "complaint" not in _names(c)


def test_language_is_carried() -> None:
    assert classify("hola", language="es").language == "es"


def test_pure_and_deterministic() -> None:
    text = "I've been waiting 3 weeks for my refund, I want to talk to a manager"
    assert classify(text) == classify(text)


GATE_TEXTS = [text for _, text, _ in SIGNAL_CASES] + [
    "@united my flight was Cancelled Flightled, and you lost my bag. #fail http://t.co/x",
    "Overcharged AGAIN!!! third time this month, I'm done with you, switching to a competitor",
    "I can't log in, error 0x80070005 after the v2.3.1 update; how do I reset my password?",
    "The ATM kept my card and someone withdrew money I don't recognise",
    "yeah right, thanks a lot... great job losing my parcel /s",
    "Où est ma commande? J'attends depuis lundi",
    "why is there no bakery counter in the Bristol store any more? the app keeps crashing #fail",
    "The yoghurt I bought today had expired. Please explain, I paid $5 for this",
    "my card is stuck in the ATM and there is a payment I did not make",
    "@shop cant get anyone at your call centre and nobody wrote back to me",
]


@pytest.mark.parametrize("text", GATE_TEXTS)
def test_pattern_gates_change_nothing(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The trigger prefilter is only for speed: with every gate open the result is the same."""
    from rapport_sentiment.classifier import _signals

    gated = classify(text)
    monkeypatch.setattr(_signals, "gate_mask", lambda tokens, low: -1)
    assert classify(text) == gated


@pytest.mark.parametrize("text", GATE_TEXTS)
def test_first_character_lookahead_changes_nothing(text: str) -> None:
    """Long patterns get a lookahead for their first character, for speed only."""
    import re

    from rapport_sentiment.classifier import _core, _signals

    low = _core._fold(text)
    patterns = list(_signals.PATTERNS) + [
        v for v in vars(_signals).values() if isinstance(v, _signals.Pattern)
    ]
    fast = [p for p in patterns if p.regex.pattern != p.plain]
    assert len(fast) > 10
    for p in fast:
        assert p.regex.pattern.startswith("(?=[")
        plain = re.compile(p.plain)
        assert [m.span() for m in p.regex.finditer(low)] == [m.span() for m in plain.finditer(low)]


def _hopeless_texts() -> list[str]:
    path = Path(__file__).parent / "data" / "hopelessness.tsv"
    lines = path.read_text("utf-8").splitlines()
    return [line.split("\t")[1] for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("text", GATE_TEXTS + _hopeless_texts())
def test_alternatives_search_finds_the_same_match(text: str) -> None:
    """A long pattern searched through its gated alternatives finds what its regex finds,
    from every start position (the negation loop searches on from a hit's end)."""
    from rapport_sentiment.classifier import _core, _signals

    low = _core._fold(text)
    open_bits = _signals.alternatives_open(low)
    patterns = list(_signals.PATTERNS) + [
        v for v in vars(_signals).values() if isinstance(v, _signals.Pattern)
    ]
    split = [p for p in patterns if p.bit in _signals._ALTERNATIVES]
    assert len(split) > 10
    for p in split:
        find = _signals.finder(p)
        for pos in range(len(low) + 1):
            want = p.regex.search(low, pos)
            for bits in (open_bits, -1):  # the gates, and every alternative open
                got = find(low, bits, pos)
                assert (got and got.span()) == (want and want.span()), (p.plain[:60], pos)


@pytest.mark.parametrize("text", GATE_TEXTS)
def test_alternative_gates_read_the_text_itself(text: str) -> None:
    """The chunk memo gives the bits of every literal the folded text holds, no more."""
    from rapport_sentiment.classifier import _core, _signals

    low = _core._fold(text)
    bits = 0
    for literal, literal_bits in _signals._ALT_LITERALS.items():
        if literal in low and not any(ch.isspace() for ch in literal):
            bits |= literal_bits
    want = bits & (bits >> 1) & _signals._ALT_FIRST_HALVES
    assert _signals.alternatives_open(low) == want


@pytest.mark.parametrize("text", GATE_TEXTS)
def test_prefix_tree_finders_find_the_longest_literal_as_before(text: str) -> None:
    """The stem and literal finders, written as prefix trees, find at every position the
    longest literal the plain alternation (longest first) finds."""
    import re

    from rapport_sentiment.classifier import _core, _signals

    low = _core._fold(text)
    for finder, literals in (
        (_signals._STEM_FINDER, {stem for stem, _ in _signals._STEMS}),
        (_signals._LITERAL_FINDER, set(_signals._ALT_LITERALS)),
    ):
        ordered = sorted(literals, key=len, reverse=True)
        plain = re.compile("(?=(" + "|".join(map(re.escape, ordered)) + "))")
        for piece in [*low.split(), low]:
            want = [(m.start(), m.group(1)) for m in plain.finditer(piece)]
            assert [(m.start(), m.group(1)) for m in finder.finditer(piece)] == want


def test_stem_keys_of_the_frustration_head() -> None:
    from rapport_sentiment.classifier._text import frustration_features, stem_key

    assert stem_key("annoying") == ">anno"
    assert stem_key("not_helpful") == ">not_help"
    assert stem_key("bad") is None
    assert stem_key("not_bad") is None
    assert stem_key("!") is None
    # distinct keys first, then one stem per key (a shared stem counts twice)
    assert frustration_features(["annoyed", "annoying", "annoyed", "so"]) == [
        "annoyed",
        "annoying",
        "so",
        ">anno",
        ">anno",
    ]


def test_frustration_logit_is_what_the_training_script_fits() -> None:
    """Run time sums exactly the features the training script builds (``train_weights.py``)."""
    from rapport_sentiment.classifier import _core
    from rapport_sentiment.classifier._text import frustration_features, normalise

    for text in ("This is so annoying, nobody helps!!", "Not helpful at all :(", "thanks"):
        scan = _core._scan(normalise(_core._fold(text)))
        expected = _core._BIAS.frus + sum(
            _core._LEARNED.get(f, _core._ZERO).frus for f in frustration_features(scan.keys)
        )
        assert scan.frus_logit == pytest.approx(expected)


def test_unseen_word_form_shares_its_stems_frustration_weight() -> None:
    from rapport_sentiment.classifier import _core
    from rapport_sentiment.classifier._text import normalise

    stem = _core._LEARNED[">stup"].frus
    assert stem > 0
    unseen = _core._scan(normalise("stupidnesses")).frus_logit
    assert unseen == pytest.approx(_core._BIAS.frus + stem)
