# ruff: noqa: E501  (regex and word tables read better unwrapped)
"""Escalation and complexity signals: compiled patterns, each hit giving a score and the span of
text that triggered it. Patterns run, case-sensitively, on the message folded to lower case
with its length kept (see ``_core._fold``), so that spans index the message the agent sees.

Speed: every gated pattern names trigger words of which each of its matches holds at least one
(as a substring of a token). ``gate_mask`` turns the message's tokens into a bit mask of the
patterns that can match, through a memo of token -> mask, and only those regexes run.

Long because it is mostly data: one compiled pattern list per signal, each with its
prefilter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_I = re.IGNORECASE

# A negator shortly before a hit cancels it ("I don't want to cancel", "no need for an agent").
_NEGATED_BEFORE = re.compile(
    r"(?:\b(?:not|never|no|don'?t|do\s+not|doesn'?t|didn'?t|won'?t|will\s+not|wouldn'?t|isn'?t|"
    r"aren'?t|no\s+need\s+to|no\s+need\s+for|without)\b)(?:\s+\w+){0,3}\s*$",
    _I,
)
# "I don't know how to contact a person" is not a refusal: inability is not negation.
_INABILITY = re.compile(r"\b(?:know|knowing|understand|find|figure|able|sure|seem)\b", _I)
_NEGATION_LOOKBACK = 30

_PERSON = (
    r"(?:(?:a|an|some|your|the|one\s+of\s+your|any)\s+)?(?:real\s+|live\s+|actual\s+|human\s+|"
    r"bloody\s+|damn\s+|goddamn\s+|fucking\s+)?"
    r"(?:(?:cs|customer\s+service|customer\s+care|support)\s+)?(?:human(?:\s+being)?s?|person|people|agent|representative|rep|operator|supervisor|manager|"
    r"someone|somebody|anyone|anybody|assistant|advisor|adviser|staff(?:\s+member)?|employee)\b"
)


# A pattern written as ``\b(?:...)`` whose every alternative starts with a letter or digit
# (checked in the tests) may be given a lookahead for that first character.
_WORD_START = "\\b(?:"
_STEMS: list[tuple[str, int]] = []  # (substring of a token, pattern bit)
_RAW: list[tuple[str, int]] = []  # (substring of the folded text, pattern bit)
_WORDLIKE = re.compile(r"[a-z0-9']+")
_TOKEN_MASK: dict[str, int] = {}
_MEMO_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Pattern:
    """A pattern behind a trigger gate (see the module docstring)."""

    name: str
    regex: re.Pattern[str]
    score: float
    bit: int
    negatable: bool = True
    plain: str = ""  # the pattern as written, before the speed lookahead (for the tests)

    def search(self, low: str, mask: int) -> re.Match[str] | None:
        return self.regex.search(low) if (mask >> self.bit) & 1 else None


def _register(triggers: str) -> int:
    bit = len({b for _, b in _STEMS} | {b for _, b in _RAW})
    for trigger in triggers.split("|"):
        if _WORDLIKE.fullmatch(trigger):
            _STEMS.append((trigger, bit))
        elif all(_WORDLIKE.fullmatch(w) for w in trigger.split()) and trigger.strip():
            _STEMS.append((max(trigger.split(), key=len), bit))  # a token holds its longest word
        else:
            _RAW.append((trigger, bit))
    return bit


def _p(name: str, score: float, triggers: str, regex: str, *, negatable: bool = True) -> Pattern:
    if regex.startswith(_WORD_START) and not _top_level_or(regex):
        # Every alternative starts with a letter or digit: saying so lets the engine skip the
        # other positions quickly (about 30% faster on the long patterns). Since lexicon-3.2
        # the lookahead names the characters a match can start with, when the parser can tell
        # (a further 10-40 % on most gated patterns; the same matches, checked in the tests).
        first = _first_chars(regex)
        fast = f"(?=[{first}])" + regex if first else "(?=[a-z0-9])" + regex
        return Pattern(name, re.compile(fast), score, _register(triggers), negatable, regex)
    return Pattern(name, re.compile(regex), score, _register(triggers), negatable, regex)


def _first_chars(regex: str) -> str | None:
    """The characters a match of ``regex`` can start with, as a character-class body, or None
    when that cannot be told simply (a class such as ``\\w``, a nullable pattern)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - the parser is private; without it, no lookahead
        return None

    def first(items: Any) -> tuple[set[str] | None, bool]:
        out: set[str] = set()
        for op, av in items:
            if op is c.AT or op is c.ASSERT or op is c.ASSERT_NOT:
                continue  # zero width: what follows decides
            if op is c.LITERAL:
                out.add(chr(av))
                return out, False
            if op is c.IN:
                for o, a in av:
                    if o is c.LITERAL:
                        out.add(chr(a))
                    elif o is c.RANGE:
                        out.update(map(chr, range(a[0], a[1] + 1)))
                    elif o is c.CATEGORY and a is c.CATEGORY_DIGIT:
                        out.update("0123456789")
                    else:
                        return None, False
                return out, False
            if op is c.SUBPATTERN:
                branches, nullable_all = [av[3]], True
            elif op is c.BRANCH:
                branches, nullable_all = av[1], True
            elif op is c.MAX_REPEAT or op is c.MIN_REPEAT:
                branches, nullable_all = [av[2]], av[0] == 0
            else:
                return None, False
            nullable = False
            for branch in branches:
                f, n = first(branch)
                if f is None:
                    return None, False
                out |= f
                nullable = nullable or n
            if op is c.MAX_REPEAT or op is c.MIN_REPEAT:
                nullable = nullable or nullable_all
            if not nullable:
                return out, False
        return out, True

    chars, nullable = first(_parser.parse(regex))
    if chars is None or nullable or not chars:
        return None
    return "".join(sorted(re.escape(ch) for ch in chars))


def _structure(regex: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, group depth after it) of every ``(``, ``)`` and ``|`` of ``regex``
    from ``start`` that is neither escaped nor inside a character class."""
    depth = 0
    escaped = in_class = False
    for i in range(start, len(regex)):
        ch = regex[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "()|":
            depth += (ch == "(") - (ch == ")")
            yield i, ch, depth


def _split_or(regex: str) -> list[str]:
    """``regex`` cut at its top-level ``|``."""
    parts: list[str] = []
    start = 0
    for i, ch, depth in _structure(regex):
        if ch == "|" and depth == 0:
            parts.append(regex[start:i])
            start = i + 1
    parts.append(regex[start:])
    return parts


def _top_level_or(regex: str) -> bool:
    """Whether ``regex`` has a ``|`` outside every group (the lookahead would then cover only
    the first alternative, and it makes such patterns slower, not faster)."""
    return len(_split_or(regex)) > 1


def _g(triggers: str, regex: str) -> Pattern:
    """A gated pattern that is not a signal by itself."""
    return _p("", 0.0, triggers, regex)


def _token_mask(tok: str) -> int:
    """Bits of every stem inside ``tok``: at each position the longest stem starting there,
    whose mask already holds the bits of every stem inside it."""
    m = 0
    for hit in _STEM_FINDER.finditer(tok):
        m |= _STEM_MASK[hit.group(1)]
    return m


def token_mask(tok: str) -> int:
    """The gate bits of one token (memoised)."""
    m = _TOKEN_MASK.get(tok)
    if m is None:
        m = _token_mask(tok)
        if len(_TOKEN_MASK) >= _MEMO_LIMIT:
            _TOKEN_MASK.clear()
        _TOKEN_MASK[tok] = m
    return m


def raw_mask(low: str) -> int:
    """The gate bits of the triggers that are looked for in the text itself."""
    mask = 0
    for raw, bit in _RAW:
        if raw in low:
            mask |= 1 << bit
    return mask


def gate_mask(tokens: set[str], low: str) -> int:
    """The bit mask of the patterns that can match, from the message's tokens."""
    mask = 0
    memo = _TOKEN_MASK
    for tok in tokens:
        m = memo.get(tok)
        if m is None:
            m = _token_mask(tok)
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[tok] = m
        mask |= m
    for raw, bit in _RAW:
        if raw in low:
            mask |= 1 << bit
    return mask


PATTERNS: tuple[Pattern, ...] = (
    # --- safety: self-harm, danger to someone -------------------------------------------------
    _p(
        "safety",
        1.0,
        "myself|life|it all|suicid|die|harm|overdos",
        r"\b(?:kill(?:ing)?\s+myself|end(?:ing)?\s+(?:my\s+life|it\s+all)|suicidal|"
        r"(?:commit|thinking\s+(?:about|of))\s+suicide|want\s+to\s+die|hurt(?:ing)?\s+myself|"
        r"self[-\s]?harm|take\s+my\s+(?:own\s+)?life|overdos(?:e|ed|ing))\b",
    ),
    # hopelessness, said without the words of self-harm (lexicon-3.0): always a person
    _p(
        "safety",
        1.0,
        "point|anymore|any more|end|over|live|alive|here|dead|without me|life|longer|tomorrow|wake",
        r"\b(?:(?:don'?t|do\s+not|can'?t|cannot)\s+see\s+(?:the|any)\s+point\s+(?:of|in)\s+(?:going\s+on|living|carrying\s+on|"
        r"being\s+alive|being\s+here|anything|life|it\s+all)|(?:there'?s\s+|there\s+is\s+)?no\s+point\s+(?:in\s+)?(?:going\s+on|"
        r"living|carrying\s+on|being\s+alive|being\s+here)|(?:can'?t|cannot)\s+(?:do|take|handle|bear)\s+(?:this|it|life)\s+any\s*more|"
        r"want\s+(?:it\s+all|everything|this|my\s+life|the\s+pain)\s+to\s+(?:end|stop|be\s+over)|"
        r"(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive|wake\s+up|exist)|better\s+off\s+(?:dead|without\s+me)|"
        r"(?:give|giving)\s+up\s+on\s+(?:life|living)|nothing\s+(?:left\s+)?to\s+live\s+for|no\s+reason\s+to\s+(?:live|go\s+on)|"
        r"won'?t\s+be\s+(?:here|around)\s+(?:much\s+longer|tomorrow))",
        negatable=False,
    ),
    _p(
        "safety",
        0.9,
        "fire|coming|came|explod|shock|leak|monoxide|danger|safe|threaten|injur|assault|attack|emergency|chest|breathe|hit me",
        r"\b(?:caught\s+(?:on\s+)?fire|(?:smoke|sparks|flames)\s+(?:coming|came)|exploded|"
        r"electric(?:al)?\s+shock|gas\s+leak|carbon\s+monoxide|(?:i\s+am|i'm|we\s+are|we're)\s+"
        r"(?:in\s+danger|not\s+safe|unsafe)|threaten(?:ed|ing)\s+(?:me|my|to\s+(?:hurt|kill))|"
        r"(?:was|got|been)\s+(?:injured|assaulted|attacked)|medical\s+emergency|chest\s+pain|"
        r"can'?t\s+breathe|(?:he|she|they)\s+(?:hit|assaulted|attacked)\s+me)\b",
    ),
    # --- explicit request for a person ----------------------------------------------------------
    _p(
        "human_request",
        0.95,
        "human|person|people|agent|rep|operator|supervisor|manager|someone|somebody|anyone|anybody|assistant|advis|staff|employee",
        r"\b(?:speak|talk|chat|connect|transfer|put|get|reach|contact|call|communicate|message|help)"
        r"(?:ing|ed|s)?\s+(?:me\s+)?(?:to|with|through\s+to|in\s+touch\s+with|from)?\s*" + _PERSON,
    ),
    _p(
        "human_request",
        0.95,
        "human|person|people|agent|rep|operator|supervisor|manager",
        r"\b(?:real|live|actual)\s+(?:human|person|people|agent|representative|operator)s?\b|"
        r"\bhuman\s+(?:agent|assistance|support|operator|help|representative)\b|"
        r"\b(?:want|need|get|give\s+me|request(?:ing)?|require|demand)\s+(?:a|an|to\s+\w+\s+(?:to|with)\s+(?:a|an))?\s*"
        r"(?:human|person|agent|representative|operator|supervisor|manager)\b|"
        r"\b(?:representative|operator|agent|human)\s*(?:please|pls|now)\b|^\s*(?:agent|human|operator|representative)\s*[.!]*\s*$",
    ),
    _p(
        "human_request",
        0.9,
        "bot|machine|automated|ai",
        r"\b(?:don'?t|do\s+not|no\s+more|stop|tired\s+of|sick\s+of|enough\s+of|done\s+with|"
        r"not\s+(?:talking|speaking|chatting)\s+to)\s+(?:want\s+)?(?:a|the|this|your|talking\s+to\s+(?:a|the)|"
        r"with\s+(?:a|the))?\s*(?:stupid\s+|useless\s+|automated\s+)?(?:bot|robot|chat\s*bot|machine|automated\s+\w+|ai)\b",
        negatable=False,
    ),
    _p("human_request", 0.8, "escalat", r"\bescalat(?:e|ed|ing)\s+(?:this|my|the|it)\b"),
    # refusing the bot in any wording (lexicon-3.0): "don't want to talk/chat/speak to a bot",
    # "won't deal with a machine", "no more bots", "stop the bot", "enough with the robot"
    _p(
        "human_request",
        0.9,
        "bot|robot|machine|automat|ai|computer",
        r"\b(?:(?:(?:don'?t|do\s+not|won'?t|will\s+not|refuse\s+to|not\s+going\s+to)\s+(?:want\s+to\s+|wanna\s+|wish\s+to\s+)?|"
        r"(?:hate|tired\s+of|sick\s+of)\s+)(?:talk|chat|speak|deal|text|type|writ|messag|argu)(?:e|ing|s)?\s+(?:to|with)\s+"
        r"(?:a|an|the|this|your|some|another)?\s*(?:stupid\s+|useless\s+|automated\s+|virtual\s+)?"
        r"(?:bots?|robots?|chat\s*bots?|machines?|ai|automated\s+\w+|computers?|assistant)|"
        r"no\s+more\s+(?:bots?|robots?|chat\s*bots?|machines?|automated\s+\w+)|"
        r"(?:stop|enough\s+(?:with|of))\s+(?:the|this|your)?\s*(?:bots?|robots?|chat\s*bots?|machine|automated\s+\w+))\b",
        negatable=False,
    ),
    # --- a formal complaint ---------------------------------------------------------------------
    _p(
        "complaint",
        0.85,
        "complain|claim|reclamation|grievance",
        r"\b(?:file|filing|make|making|lodge|lodging|submit|submitting|raise|raising|register|"
        r"open|opening|put\s+in|write|writing|place|send)\s+(?:a|an|my|the|some)?\s*(?:formal\s+|official\s+)?"
        r"(?:\w+\s+)?(?:complaint|claim|reclamation|grievance)s?\b|"
        r"\b(?:complaint|claim|reclamation)s?\s+against\b|\breclamation\b|"
        r"\bi\s+(?:want|would\s+like|wish|need|have)\s+to\s+complain\b|\bformal\s+complaint\b",
    ),
    # --- legal threat -------------------------------------------------------------------------
    _p(
        "legal_threat",
        0.9,
        "lawyer|attorney|solicitor|lawsuit|action|court|claims|sue|suing|report|bbb|ftc|cfpb|ombudsman",
        r"\b(?:lawyers?|attorneys?|solicitors?|lawsuit|class\s+action|legal\s+action|"
        r"(?:take|taking)\s+(?:you|this|them|it)\s+to\s+court|small\s+claims|sue|suing|"
        r"report(?:ing)?\s+(?:you|this|them)\s+to\s+(?:the\s+)?(?:bbb|ftc|fca|cfpb|ombudsman|"
        r"authorities|police|regulator|attorney\s+general|trading\s+standards|consumer\s+protection)|"
        r"(?:bbb|ftc|cfpb|ombudsman)\s+complaint)\b",
    ),
    # --- churn threat -------------------------------------------------------------------------
    _p(
        "churn_threat",
        0.85,
        "switch|elsewhere|never|last time|done with|finished with|lost|another|a new|different|unless|leave|cancel|tell|warn|spread|compet|rival|instead|clos|terminat",
        r"\b(?:(?:mov|go|switch|chang|leav|head|jump|port)\w*\s+(?:over\s+|my\s+\w+\s+)?(?:to|with)\s+(?:your\s+|a\s+|the\s+)?(?:competitors?|competition|rivals?)|"
        r"(?:go(?:ing)?|switch\w*|mov\w*|sign\w*\s+up|port\w*)\s+(?:over\s+)?(?:to|with)\s+\w+(?:\s+\w+)?\s+instead|"
        r"(?:cancel\w*|clos\w*|leav\w*|terminat\w*)\b[^.?!]{0,40}\band\s+(?:go(?:ing)?|switch\w*|mov\w*|tak\w+\s+my\s+\w+)\s+(?:over\s+)?(?:to|with)\s+\w+|"
        r"switch(?:ing)?\s+(?:over\s+)?to\s+(?:another|a\s+different|a\s+competitor|your\s+competitor|the\s+competition)|switching\s+(?:banks|providers|carriers|airlines|companies)|(?:take|taking)\s+my\s+"
        r"(?:business|money|custom)\s+elsewhere|never\s+(?:again\s+)?(?:fly(?:ing)?|us(?:e|ing)|"
        r"buy(?:ing)?|shop(?:ping)?|order(?:ing)?|book(?:ing)?|recommend(?:ing)?)\b[^.!?]{0,30}\bagain|"
        r"never\s+again|last\s+time\s+i\s+(?:fly|use|order|buy|book|shop)|(?:i'?m|i\s+am|we'?re)\s+"
        r"(?:done|finished)\s+with\s+(?:you|your)|lost\s+(?:a|another|my)\s+(?:customer|business)|"
        r"(?:find|look(?:ing)?\s+for)\s+(?:another|a\s+new|a\s+different)\s+(?:bank|provider|"
        r"airline|company|carrier|service)|(?:cancel|close|terminate)\s+(?:my|our)\s+\w+\s+unless|"
        r"going\s+to\s+(?:leave|cancel|switch)|will\s+(?:leave|cancel|switch)\b|"
        r"(?:tell|telling|warn|warning|spread(?:ing)?\s+(?:the|this)\s+word)\s+(?:\w+\s+){0,8}?(?:not\s+to|never\s+to|to\s+not|"
        r"to\s+never|to\s+avoid|to\s+stay\s+away))",
    ),
    _p(
        "churn_threat",
        0.45,
        "cancel|clos|terminat|delet|end ",
        r"\b(?:cancel(?:l?ing)?|close|closing|terminate|terminating|delete|deleting|end)\s+(?:my|our|the)\s+"
        r"(?:account|subscription|membership|contract|plan|service)\b",
    ),
    # --- refund and billing disputes ---------------------------------------------------------
    _p(
        "billing_dispute",
        0.85,
        "charg|wrong|unauthori|unknown|strange|duplicate|mystery|recogni|didn|did not|never|still|haven|have not|not yet|refund|where is my|dispute|money|payment|transfer|deposit|fund|balance|cash|account|amount|missing|took my|hasn|isn|doesn|recipient|receiver|payee|transaction|withdraw|debit|know where",
        r"\b(?:charged\s+(?:me\s+)?(?:twice|two\s+times|2\s+times|double|again|for\s+something)|"
        r"double[-\s]?charged|overcharg\w*|charged\s+more|wrong(?:ly)?\s+(?:charge|charged|amount)|"
        r"(?:unauthori[sz]ed|unknown|strange|duplicate|mystery)\s+(?:charge|transaction|payment|debit|withdrawal)s?|"
        r"(?:don'?t|do\s+not|didn'?t)\s+recogni[sz]e\s+(?:this|a|the|an|that|some)?\s*\w*\s*"
        r"(?:charge|transaction|payment|debit|withdrawal|purchase)|not\s+recogni[sz]ed?|"
        r"(?:didn'?t|did\s+not|never)\s+(?:make|authori[sz]e|order|buy)\s+(?:this|that|the|a|an|these)?\s*"
        r"(?:charge|transaction|payment|purchase|withdrawal|order)s?|"
        r"(?:still|never|haven'?t|have\s+not|not\s+yet)\s+(?:got|gotten|received|seen|see)\s+(?:my|the|a|any)?\s*"
        r"(?:refund|money|reimbursement|credit)|refund\s+(?:is\s+|has\s+)?(?:still\s+)?(?:not|missing|"
        r"hasn'?t|has\s+not|never|isn'?t)|where\s+is\s+my\s+(?:refund|money)|chargeback|"
        r"dispute\s+(?:a|the|this|that)?\s*(?:charge|transaction|payment|bill)|"
        r"(?:money|payment|transfer|deposit|funds|balance|cash)\s+(?:\w+\s+){0,3}(?:hasn'?t|has\s+not|"
        r"didn'?t|did\s+not|isn'?t|is\s+not|not|never|still\s+not)\s+(?:\w+\s+)?(?:arrived|show(?:n|ing)?|"
        r"appear(?:ed|ing)?|gone\s+through|been\s+(?:received|credited|updated)|received|credited|"
        r"updated|reflect(?:ed|ing)?)|(?:balance|account)\s+(?:\w+\s+){0,2}(?:not|hasn'?t|has\s+not|"
        r"didn'?t)\s+(?:been\s+)?updat\w*|(?:wrong|incorrect)\s+amount|(?:money|funds)\s+(?:is\s+|are\s+)?"
        r"missing|missing\s+(?:money|funds|payment)|took\s+my\s+money|(?:didn'?t|hasn'?t|isn'?t|doesn'?t)\s+"
        r"my\s+(?:balance|account|transfer|payment|deposit)\s+(?:\w+\s+)?(?:updat|show|arriv|go)\w*|"
        r"(?:recipient|receiver|payee)\s+(?:\w+\s+){0,3}(?:doesn'?t|didn'?t|hasn'?t|has\s+not|not|never)\s+"
        r"(?:\w+\s+)?(?:see|seen|get|got|received|receive)|(?:didn'?t|did\s+not|not)\s+(?:i\s+)?"
        r"(?:get|getting|got|receive)\s+(?:all\s+)?(?:the|my)\s+(?:cash|money)|"
        r"(?:transaction|charge|payment|withdrawal|debit)s?\s+[^.?!]{0,40}(?:don'?t|do\s+not|didn'?t|can'?t)\s+"
        r"recogni[sz]e|(?:don'?t|do\s+not)\s+know\s+where\s+(?:this|that|the)\s+(?:transaction|charge|payment)"
        r"\s+came\s+from)",
    ),
    _p(
        "billing_dispute",
        0.4,
        "refund|reimburs|money back|compensation|rebate|charg|bill|invoice|fee",
        r"\b(?:refunds?|refunded|reimburs\w+|money\s+back|compensation|rebate|charged|charges?|"
        r"billing|billed|invoice|fees?)\b",
        negatable=False,
    ),
    # --- security, fraud, account takeover ---------------------------------------------------
    _p(
        "security_fraud",
        0.9,
        "fraud|scam|hack|phishing|theft|stolen|taken|someone|somebody|compromised|suspicious|takeover|lost|lose|misplaced|find",
        r"\b(?:fraud\w*|scam(?:med|mer|mers)?|hack(?:ed|er|ers)|phishing|identity\s+theft|"
        r"stolen|(?:someone|somebody)\s+(?:else\s+)?(?:has\s+)?(?:used|using|accessed|logged|took|"
        r"stole|got\s+into|has\s+my)|compromised|suspicious\s+(?:activity|transaction|charge|login|"
        r"email|message|call)s?|account\s+takeover|(?:lost|lose|misplaced|can'?t\s+find)\s+(?:my|the)\s+"
        r"(?:card|phone|wallet|credit\s+card|debit\s+card)|(?:card|phone|wallet)\s+(?:was|has\s+been|got)\s+"
        r"(?:lost|stolen|taken))\b",
        negatable=False,
    ),
    _p(
        "security_fraud",
        0.75,
        "lock|block|frozen|suspended|atm|machine|card|verif|password|without|someone|somebody|freeze|pin|mine",
        r"\b(?:locked\s+out|(?:account|card|pin)\s+(?:\w+\s+)?(?:is\s+|was\s+|has\s+been\s+|got\s+)?"
        r"(?:blocked|locked|frozen|suspended)|(?:atm|machine)\s+(?:\w+\s+){0,2}(?:ate|swallowed|kept|"
        r"took|eaten|retained)|(?:ate|swallowed|kept|retained)\s+my\s+card|"
        r"(?:unable|can'?t|cannot|couldn'?t|failed|fails|won'?t\s+let\s+me)\s+(?:to\s+)?verify|"
        r"verification\s+(?:failed|keeps\s+failing|is\s+not\s+working|doesn'?t\s+work)|"
        r"password\s+(?:was\s+|has\s+been\s+)?changed\s+without|without\s+my\s+(?:permission|consent|"
        r"authori[sz]ation|knowledge)|(?:someone|somebody)\s+(?:else\s+)?(?:may\s+be\s+|might\s+be\s+|is\s+|"
        r"has\s+)?(?:using|removed|withdrew|taken|took|spent|made)|freeze\s+(?:my|the)\s+(?:account|card)|"
        r"pin\s+(?:\w+\s+)?(?:un)?(?:blocked|locked)|(?:un)?block(?:ed)?\s+my\s+(?:card|pin|account)|"
        r"(?:won'?t|will\s+not|didn'?t|did\s+not)\s+(?:give|return)\s+(?:me\s+)?my\s+card|"
        r"(?:get|pull|take)\s+my\s+card\s+(?:back\s+)?out|(?:isn'?t|is\s+not|wasn'?t|not)\s+mine\b|"
        r"(?:doesn'?t|won'?t|will\s+not|didn'?t)\s+let\s+me\s+verify|(?:issues?|problems?|trouble)\s+"
        r"with\s+(?:my\s+)?(?:identity\s+)?verification)",
        negatable=False,
    ),
    # lost or stolen things, cards kept by a machine, payments the customer did not make
    _p(
        "security_fraud",
        0.9,
        "card|phone|wallet|mobile|stole|took|nicked|snatched|left my",
        r"\b(?:(?:card|phone|wallet|mobile|smartphone)\s+(?:is|was|has\s+been|got|went|are)\s+(?:lost|stolen|missing)|"
        r"(?:stole|took|nicked|snatched)\s+my\s+(?:\w+\s+)?(?:card|phone|wallet|purse|bag)|"
        r"(?:lost|left|misplaced)\s+(?:my\s+)?(?:smart)?phone|lost\s+(?:my\s+)?(?:card|wallet))\b",
        negatable=False,
    ),
    _p(
        "security_fraud",
        0.75,
        "stuck|trapped|atm|machine|retrieve|blocked|unlock|many",
        r"\b(?:card\s+(?:is\s+|got\s+)?(?:stuck|trapped)\s+in|(?:atm|machine)\s+(?:still\s+)?has\s+my\s+card|"
        r"trapped\s+card|retrieve\s+(?:my\s+|a\s+|the\s+)?(?:\w+\s+)?card|(?:get|got|been|am|was|i'?m)\s+blocked|"
        r"unlock\s+my\s+pin|too\s+many\s+(?:tries|attempts|wrong))\b",
        negatable=False,
    ),
    _p(
        "billing_dispute",
        0.85,
        "payment|charge|transaction|withdraw|debit|recall|same|deposit|transfer|money|cash|where is|awaiting|right amount|receiver|recipient",
        r"\b(?:(?:payment|charge|transaction|withdrawa?l|withdraw|debit)s?\s+(?:\w+\s+){0,4}?(?:that\s+)?i\s+(?:did\s+not|didn'?t|never|don'?t)\s+"
        r"(?:make|made|do|did|authori[sz]e|recogni[sz]e|recall)|(?:don'?t|do\s+not)\s+recall\s+(?:making|doing|authori[sz]ing)|"
        r"(?:multiple|two|duplicate|double)\s+(?:charges|payments|transactions)\s+(?:on|for)\s+the\s+same|"
        r"more\s+than\s+one\s+of\s+the\s+same\s+(?:transaction|charge|payment)|"
        r"(?:deposit|transfer|money|payment|cash)\s+(?:\w+\s+){0,5}?(?:hasn'?t|has\s+not|doesn'?t|does\s+not|didn'?t|did\s+not|isn'?t|is\s+not|not)\s+"
        r"(?:yet\s+)?(?:show|shown|showing|appear\w*|log\w*|arrive\w*)|where\s+is\s+(?:the|my)\s+(?:deposit|transfer|money|cash)|"
        r"awaiting\s+(?:my\s+|the\s+)?refund|(?:not|didn'?t|did\s+not)\s+get\s+the\s+right\s+amount|"
        r"(?:receiver|recipient)\s+(?:can'?t|cannot|doesn'?t|does\s+not|hasn'?t|has\s+not|didn'?t|did\s+not)\s+(?:\w+\s+)?(?:see|seen|get|got|pick|received?))",
    ),
)

# Repeated contact: a strong form, and the weak words that only hint at it.
REPEATED_STRONG = _g(
    "time|twice|already|multiple|several|numerous|many|repeated|again|over and over|keep|every|still|as i",
    r"\b(?:(?:second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|\d+(?:st|nd|rd|th)|nth|umpteenth)\s+time|"
    r"(?:called|emailed|contacted|messaged|written|wrote|asked|told|tweeted|dm'?d|chatted|"
    r"reached\s+out|complained|reported)\s+(?:to\s+)?(?:you\s+|you\s+guys\s+|them\s+|your\s+\w+\s+)?"
    r"(?:\w+\s+)?(?:times|twice|already|multiple|several|numerous|many|repeatedly|\d+\s+times)|"
    r"yet\s+again|once\s+again|again\s+and\s+again|over\s+and\s+over|keep\s+(?:getting|having|"
    r"asking|telling|calling|trying|sending|being)|every\s+(?:single\s+)?time|already\s+(?:called|"
    r"contacted|asked|told|sent|emailed|tried|explained|reported|complained)|multiple\s+times|"
    r"several\s+times|(?:many|numerous|countless)\s+times|repeatedly|still\s+(?:no|not|haven'?t|"
    r"waiting|nothing|broken|doesn'?t|hasn'?t|can'?t|have\s+not|unable|hasn't|isn'?t|won'?t|"
    r"don'?t|didn'?t|the\s+same|having)|as\s+i\s+(?:said|told|mentioned|explained))\b",
)
REPEATED_WEAK = _g("again|still|another", r"\b(?:again|still|another)\b")

# Waiting time: a duration, a date it has been since, or a wait described.
WAITING = _g(
    "min|hour|hr|day|week|wk|month|yr|year|since|hold|wait|no |arriv|come|came|receiv|heard|got|ship|deliver|respond|answer|repl|call|ages|forever",
    r"\b(?:(?:\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
    r"twenty|thirty|forty|several|many|few|couple(?:\s+of)?|multiple)\s*\+?\s*(?:more\s+)?"
    r"(?P<unit>min(?:ute)?s?|h(?:ou)?rs?|hours?|days?|weeks?|wks?|months?|yrs?|years?)\b|"
    r"since\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|last\s+\w+|"
    r"\d{1,2}(?:st|nd|rd|th)?|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|this\s+morning|early|the\s+\w+)|on\s+hold|"
    r"(?:been|still|keep|kept)\s+waiting|no\s+(?:reply|response|answer|"
    r"callback|call\s+back|update|word)|(?:hasn'?t|has\s+not|haven'?t|have\s+not|never|still\s+not|"
    r"not\s+yet|didn'?t|did\s+not)\s+(?:\w+\s+)?(?:arrived|come|came|received|heard|got|gotten|"
    r"shipped|delivered|responded|answered|replied|called\s+back)|for\s+(?:ages|forever|weeks|days|hours|months))",
)
WAITING_WEAK = _g("waiting", r"\bwaiting\s+(?:for|on|since)\b")
_UNIT_SCORE = {"m": 0.45, "h": 0.65, "d": 0.75, "w": 0.85, "y": 0.9}

# A service that failed the customer badly: lost, broken or cancelled by the company, the
# customer cut off or refused.
SERVICE_FAILURE_STRONG = _g(
    "cancel|lost|broke|damaged|destroyed|misplaced|left my|find|locat|track|hung|hang|disconnect|missed|refus|won|will not|would|get through|overbooked|stranded|service|support|care|staff|agent|employee|crew|rep|hold|response|reply|answer|callback|call back|communication|apology|explanation|ignor|heard|booted|reach|ahold|down|turn|power|switch|apart|came|helpful|getting|water|electric|internet|wifi|wi-fi|signal|coverage|heat|gas|fleeced|ripped|broken|anyone|anybody|someone",
    r"\b(?:cancel\w*\s+(?:\w+\s+){0,2}(?:my|our)\s+(?:\w+\s+)?(?:flight|order|booking|reservation|"
    r"appointment|trip|delivery|ticket)s?|(?:lost|broke|damaged|destroyed|misplaced)\s+(?:my|our)\s+"
    r"(?:\w+\s+)?(?:bag|bags|baggage|luggage|suitcase|package|parcel|stroller|car\s*seat|item|order)s?|"
    r"(?<=[\w] )lost\s+(?:it|them|my|our)|left\s+my\s+\w+\s+(?:on|in)\s+(?:the\s+)?"
    r"(?:flight|plane|aircraft|train|bus|car)|(?:find|finding|locate|locating|track\s+down)\s+my\s+"
    r"(?:bag|bags|baggage|luggage|suitcase|package|parcel)|(?:hung|hang|hanging|hangs)\s+up\s+on|"
    r"(?:call|line)s?\s+(?:\w+\s+)?disconnect\w*|missed\s+(?:my\s+|the\s+|a\s+)?(?:connecting\s+)?"
    r"(?:connection|flight)|(?:refuse[sd]?|refusing)\s+to|(?:won'?t|will\s+not|wouldn'?t)\s+"
    r"(?:even\s+)?(?:help|refund|answer|respond|rebook|fix|replace|honou?r|give)|(?:can'?t|cannot|"
    r"couldn'?t|unable\s+to)\s+(?:ever\s+)?get\s+through|overbooked|stranded|"
    # poor customer service: the people or the channel failed
    r"(?:terrible|horrible|awful|worst|poor|bad|lousy|rude|unhelpful|pathetic|useless|incompetent|"
    r"non-?existent|disgraceful|appalling)\s+(?:customer\s+)?(?:service|support|care|staff|agents?|"
    r"employees?|crew|reps?|representatives?)|on\s+hold|(?:no|zero|not\s+(?:even\s+)?(?:a|any))\s+"
    r"(?:response|reply|answer|callback|call\s+back|communication|apology|explanation)|"
    r"ignor(?:ed|ing|es)\s+(?:me|my|us|our)|(?:never|haven'?t|didn'?t|not)\s+(?:heard|got|gotten)\s+"
    r"back|(?:can'?t|cannot|couldn'?t|unable\s+to)\s+(?:get\s+(?:a\s+hold|ahold|anyone|anybody|someone)|"
    r"reach\s+(?:anyone|anybody|someone|you|your|a))|booted\s+(?:me\s+)?(?:from|off)|"
    # the product or the service does not do the basic thing
    r"let(?:ting|s)?\s+(?:me|us)\s+down|(?:not|no\s+longer|won'?t|will\s+not|doesn'?t|does\s+not|"
    r"didn'?t|wont)\s+(?:even\s+)?(?:turn(?:ing)?|power(?:ing)?|switch(?:ing)?)\s+on|falling\s+apart|"
    r"came\s+(?:\w+\s+)?(?:missing|broken|damaged|without)|(?:wasn'?t|was\s+not|isn'?t|not)\s+"
    r"(?:very\s+|at\s+all\s+)?helpful|not\s+getting\s+any\s+(?:response|reply|answer|help)|"
    r"(?:no|without)\s+(?:power|water|electricity|internet|wifi|wi-fi|signal|coverage|heating|heat|"
    r"hot\s+water|gas)\b|fleeced|ripped\s+(?:me\s+)?off|(?:it'?s|was|is|arrived)\s+broken)\b",
)

# A service that failed the customer: cancelled or lost by the company, never arrived, broken.
SERVICE_FAILURE = _g(
    "cancel|lost|missing|damaged|broke|delayed|mishandled|arriv|deliver|came|here|can't|cant|cannot|couldn|unable|won't|wont|will not|not able|hung|hang|no one|nobody|refuse|wrong|down|crash|fail|error|work",
    r"\b(?:cancel(?:l)?ed\s+(?:my|our|the)?\s*(?:\w+\s+)?(?:flight|order|booking|reservation|"
    r"appointment|trip|delivery|ticket)|(?:flight|order|booking|reservation|trip)s?\s+(?:\w+\s+)?"
    r"(?:was|were|got|has\s+been|been)?\s*cancel(?:l)?ed|cancel(?:l)?ed\s+flight\w*|"
    r"(?:lost|missing|damaged|broken|delayed|mishandled)\s+(?:my|our|the)?\s*(?:\w+\s+)?"
    r"(?:bag|bags|baggage|luggage|suitcase|package|parcel|item|order|delivery|shipment)|"
    r"(?:bag|bags|baggage|luggage|suitcase|package|parcel|order|delivery|shipment)s?\s+(?:\w+\s+){0,3}"
    r"(?:lost|missing|damaged|broken|never\s+(?:arrived|came|showed)|hasn'?t\s+(?:arrived|come|shown)|"
    r"not\s+(?:arrived|delivered|here))|(?:can'?t|cannot|couldn'?t|unable\s+to|won'?t\s+let\s+me|"
    r"not\s+able\s+to)\s+(?:\w+\s+)?(?:book|rebook|change|log\s*in|login|sign\s+in|access|check\s+in|"
    r"pay|checkout|complete|cancel|get\s+through|reach|find\s+my|use\s+my|make\s+a)|"
    r"(?:hung|hang)\s+up|no\s+one\s+(?:\w+\s+)?(?:answers?|answered|picks?\s+up|responds?|helps?|"
    r"is\s+(?:answering|helping|responding|there))|nobody\s+(?:\w+\s+)?(?:answers?|answered|"
    r"picks?\s+up|responds?|helps?|cares?|knows?)|(?:won'?t|will\s+not|refuse[sd]?\s+to)\s+"
    r"(?:help|refund|answer|respond|rebook|fix|replace|honou?r)|(?:sent|shipped|gave|given|received|got|delivered)\s+(?:me\s+)?(?:the\s+|a\s+)?wrong\s+"
    r"(?:item|order|size|product|flight|seat)|(?:website|site|app|system|page|link|payment|checkout)\s+(?:\w+\s+)?"
    r"(?:is\s+|was\s+|keeps\s+)?(?:down|broken|crash\w*|not\s+working|doesn'?t\s+work|won'?t\s+"
    r"(?:load|work|let)|fail\w*|error\w*)|(?:doesn'?t|does\s+not|didn'?t|not|isn'?t|won'?t|stopped)"
    r"\s+work(?:ing|s)?|(?:arrived|came|delivered)\s+(?:\w+\s+)?(?:broken|damaged|defective|"
    r"dead|cracked|late))",
)

# Something went wrong (a milder cue: failed, declined, pending, not received).
PROBLEM = _g(
    "declin|reject|fail|pending|stuck|error|issue|problem|glitch|bug|not|won|didn|hasn|revert|bounc|delay|late|wrong",
    r"\b(?:declined|rejected|failed|failing|pending|stuck|error|issue|problem|glitch|bug|"
    r"not\s+(?:working|received|arrived|showing|going\s+through)|won'?t\s+(?:work|go\s+through)|"
    r"didn'?t\s+(?:work|go\s+through|arrive)|hasn'?t\s+(?:arrived|gone\s+through|been)|"
    r"reverted|bounced|delay(?:ed|s)?|late|wrong)\b",
)

PROFANITY = _g(
    "fu|ff|f*|sh|bull|wtf|stfu|bitch|bastard|ass|dick|crap|piss|screw|damn|bloody|hell",
    r"(?<!@)\b(?:f+u+c+k+\w*|f\*+k\w*|sh[i1]t+\w*|bullshit|wtf|stfu|bitch\w*|bastards?|asshole\w*|"
    r"dick(?:head)?s?|crap(?:py)?|piss(?:ed)?|screw\s+(?:you|this|them)|goddamn|damn(?:ed|it)?|"
    r"bloody|hell)\b",
)
_PROFANITY_STRONG = re.compile(r"^(?:f|sh|bull|wtf|stfu|bitch|bastard|asshole|dick|screw)", _I)

# Bot failure: the bot's fallback replies, and the customer saying the bot is not helping.
BOT_FALLBACK = re.compile(
    r"\b(?:(?:i\s+)?(?:didn'?t|did\s+not|don'?t|do\s+not)\s+(?:quite\s+)?(?:understand|get\s+(?:that|it))|"
    r"(?:could|can|would)\s+you\s+(?:please\s+)?(?:rephrase|reword|try\s+again|say\s+that\s+again)|"
    r"(?:i'?m|i\s+am)\s+(?:not\s+sure\s+(?:i\s+understand|what\s+you\s+mean)|still\s+learning|"
    r"sorry,?\s+(?:i|but))|(?:i\s+)?(?:can'?t|cannot|am\s+unable\s+to)\s+help\s+with\s+that|"
    r"sorry,?\s+i\s+(?:didn'?t|don'?t|can'?t)|please\s+(?:rephrase|choose\s+(?:one|an\s+option))|"
    r"not\s+sure\s+how\s+to\s+help)",
    _I,
)
BOT_COMPLAINT = _g(
    "help|useless|stupid|pointless|not what i|understand|get it|listen|dumb|question|already|"
    "circles|same|keep|just|repeating|answer",
    r"\b(?:(?:you'?re|you\s+are|this\s+(?:bot\s+)?is|that'?s|that\s+is|bot\s+is)\s+(?:\w+\s+)?"
    r"(?:not\s+helpful|no\s+help|useless|unhelpful|not\s+helping|stupid|pointless)|not\s+what\s+i\s+"
    r"(?:asked|said|meant)|you\s+(?:don'?t|do\s+not|didn'?t)\s+(?:understand|get\s+it|listen)|"
    r"(?:stupid|useless|dumb)\s+(?:bot|robot|machine|chatbot|ai)|(?:answer|read)\s+my\s+question|"
    r"already\s+(?:told|said)\s+(?:you|that)|going\s+(?:round\s+|around\s+)?in\s+circles|"
    r"(?:the\s+)?same\s+(?:answer|reply|response|message)\s+(?:again|over\s+and\s+over)|"
    r"you\s+keep\s+(?:saying|asking|sending|repeating|giving\s+me)\s+(?:me\s+)?(?:the\s+same|that)|"
    r"(?:i\s+)?just\s+(?:said|told\s+you)\s+(?:that|this)|stop\s+repeating\s+(?:yourself|that)|"
    r"(?:that|this|it)\s+(?:doesn'?t|does\s+not|didn'?t|did\s+not)\s+answer\s+my\s+question)\b",
)

# A complaint in the customer's own words (not a request to file one): a product or a service
# that failed them, told calmly or not. The cue alone is evidence; see ``_core`` for how it
# combines with the sentiment and with a calm request for help.
COMPLAINT_CUE = _g(
    "stock|sold|discontinu|longer|bring|stopped|there no|available|ran out|run out|hole|leak|crack|faulty|defective|expired|stale|mould|mold|ripped|torn|won|doesn|does not|didn|did not|isn|is not|not|weren|wasn|keep|out|down|off|outage|destruct|malfunction|haven|have not|hasn|never|nothing|spoon|fork|refund|confirmation|receipt|still|yet|overpriced|rip|price|unable|can't|cant|cannot|couldn|could not|letting|wrong|cut off|disappear|recall|act together|site|app|page|system|server|portal|unusable|have|solution|one|exist|bounc|lied|lying|inept|incompeten|care|respond|reply|hear|get|apology|denied|able|way|nobody|no one|no-one|working|signal|coverage|reception|heard|receive|broke|call|callback|update|contacted|reached|trying",
    r"\b(?:out\s+of\s+stock|back\s+in\s+stock|sold\s+out|discontinu\w+|no\s+longer\s+(?:available|sell\w*|carr\w+|stock\w*|offer\w*|make|making|work\w*|charg\w*|turn\w*|function\w*)|"
    r"bring\s+back|stopped\s+(?:selling|carrying|making|stocking|working|charging)|why\s+(?:is|are)\s+there\s+no|"
    r"not\s+(?:in\s+stock|available)|r[au]n\s+out\s+of|"
    # defects
    r"holes?\s+in|leak(?:s|ed|ing)|cracked|faulty|defective|expired|stale|mouldy|moldy|ripped|torn|"
    r"won'?t\s+(?:charge|turn\s+on|start|load|open|connect|work|accept|let\s+me|send|print|scan|sync|update)|"
    r"(?:doesn'?t|does\s+not|didn'?t|did\s+not|isn'?t|is\s+not|not|weren'?t|wasn'?t)\s+(?:even\s+)?(?:work\w*|charg\w*|load\w*|"
    r"connect\w*|display\w*|accept\w*|scan\w*|print\w*|sync\w*|respond\w*|repl(?:y|ied|ies)|answer\w*|letting\s+me|full|included|in\s+the\s+(?:box|bag|order))|"
    r"keeps?\s+(?:crash\w*|freez\w*|dropp\w*|disconnect\w*|break\w*|fail\w*|being\s+(?:delayed|cancel\w*))|"
    r"(?:power|internet|wifi|wi-fi|service|signal|site|website|app)\s+(?:is|was|went|has\s+been|keeps\s+going)\s+(?:out|down|off)|"
    r"outages?|self-destruct\w*|malfunction\w*|"
    # something the customer should have had
    r"(?:haven'?t|have\s+not|hasn'?t|has\s+not|didn'?t|did\s+not|never|not)\s+(?:yet\s+|even\s+)?(?:got|gotten|received|had|"
    r"arrived|been\s+(?:delivered|dispatched|shipped|sent|refunded|shown|credited))|got\s+nothing|"
    r"no\s+(?:confirmation|spoon|fork|receipt|refund)|(?:still|yet)\s+to\s+(?:receive|arrive|hear)|"
    r"not\s+(?:been\s+)?(?:dispatched|delivered|shipped)|"
    r"(?:sent|gave|given|got|received|delivered)\s+(?:me\s+|us\s+)?(?:the\s+|a\s+)?wrong|cut\s+off|disappeared|recall(?:s|ed)|"
    r"get(?:ting)?\s+(?:their|your|its)\s+(?:\w+\s+)?(?:act|shit|stuff|house)\s+(?:together|in\s+order)|"
    r"(?:haven'?t|have\s+not|hasn'?t|not|never)\s+(?:yet\s+)?heard\s+(?:anything|back|a\s+thing|from)|"
    r"(?:didn'?t|did\s+not|never)\s+receive|(?:not|never|won'?t|isn'?t|aren'?t)\s+(?:\w+\s+)?(?:returning|refunding)\s+my|"
    r"broke\s+(?:everything|down|again)|nothing\s+(?:seems\s+to\s+)?(?:works?|helps?|worked|helped)|"
    r"no\s+(?:call|callback|reply|response|answer|update)s?\s+(?:yet|till|until|so\s+far)|"
    r"could\s+not\s+be\s+(?:contacted|reached)|still\s+trying\s+to\s+get|"
    r"(?:site|website|app|page|system|server|portal)s?\s+(?:\w+\s+){0,2}(?:down|broken|unusable|tripping)|unusable|"
    r"never\s+(?:arrives?|arrived|came|comes|showed|shows|works?|worked|gets?|answer\w*|respond\w*|called\s+back)|"
    r"(?:do\s+not|don'?t|didn'?t|did\s+not)\s+(?:yet\s+)?have\s+(?:my|our|the|any)|"
    r"no\s+(?:solution|one\s+(?:answered|helped|has|picked))|doesn'?t\s+exist|bounc(?:e|ed|es|ing)\s+back|"
    r"(?:lied|lying)\s+to|inept|incompeten\w+|(?:don'?t|do\s+not|doesn'?t|does\s+not)\s+(?:even\s+)?care|"
    r"yet\s+to\s+(?:respond|reply|hear|get)|not\s+an\s+apology|"
    r"(?:nobody|no\s+one|no-one)\s+(?:has\s+|have\s+|ever\s+)?(?:gotten|got|get|come|came|called|written|wrote)\s+back|"
    r"(?:was|were)\s+(?:\w+\s+)?working\s+(?:fine\s+|perfectly\s+|ok\s+)?(?:last|yesterday|before|until|a\s+(?:week|day|month))|"
    r"(?:no|any|zero)\s+(?:phone\s+|mobile\s+)?(?:signal|coverage|reception)|"
    r"denied\s+(?:me\s+)?(?:boarding|an?\s+upgrade|entry|my\s+claim|the\s+claim|compensation)|"
    # paying for it
    r"overpriced|rip(?:ped)?[\s-]?off|price\s+(?:hike|increase|gouging)|"
    # cannot do the thing
    r"(?:unable\s+to|can'?t|cannot|couldn'?t|could\s+not|won'?t\s+let\s+(?:me|us)|not\s+able\s+to|no\s+way\s+(?:to|of))\s+(?:\w+\s+)?(?:use|send|dm|buy|order|"
    r"print|scan|download|update|install|access|log\s*in|login|sign\s+in|pay|return|exchange|connect|reach|contact|"
    r"redeem|select|register|activate|renew))\b",
)
# Unhappy about the service in words a person would use to complain ("slow", "rude", "fix it").
DISSATISFIED = _g(
    "slow|rude|treated|time|wait|lack|inadequate|unacceptable|ridiculous|happy|shocking|disappoint|disgust|terrible|awful|worst|nasty|dirty|filthy|useless|pathetic|#|fix|sort|explain|gives|long",
    r"#\w*(?:fail|worst|sucks)|\b(?:(?:so|too|is|very|really|extremely)\s+slow|rude|treated\s+(?:me\s+|us\s+)?like|"
    r"(?:wait|waiting|hold)\s+times?|make\s+(?:people|us|me|customers)\s+wait|lack(?:s|ing)?|inadequate|unacceptable|"
    r"ridiculous|not\s+(?:very\s+)?happy|shocking|disappoint\w*|disgust\w*|terrible|awful|worst|nasty|dirty|filthy|"
    r"useless|pathetic|fix\s+(?:it|this|your)|sort\s+(?:it|this)\s+out|please\s+explain|explain\s+(?:this|why)|"
    r"what\s+gives|takes?\s+(?:so|too)\s+long)\b",
)
# A late or delayed trip: unwelcome, but a status update (automation) is what helps.
DELAY_TALK = _g(
    "delay|late|tarmac|runway|sitting|sat|stuck|gate|board|layover|plane|schedule",
    r"\b(?:delay\w*|late|tarmac|runway|sitting\s+(?:on|at|in)|sat\s+(?:on|at|in)|stuck\s+(?:on|at|in)|gate|board\w*|layover|"
    r"on\s+the\s+plane|behind\s+schedule)\b",
)

# Complexity cues.
# A technical fault told as a report ("download fails", "SSO error", "blank page", "crashes on
# login"): see ``_core``, calm reports (lexicon-3.0).
TECH_FAULT = _g(
    "fail|error|crash|blank|bug|glitch|timeout|times out|sso|login|log in|sign in|download|upload|sync|load|freez|hang",
    r"\b(?:fails?|failing|failed|errors?|crash(?:es|ed|ing)?|blank\s+(?:page|screen)|bug|glitch|time(?:s|d)?\s*out|timeout|"
    r"(?:sso|login|log\s*in|sign\s*in|download|upload|sync\w*)\s+(?:\w+\s+)?(?:fails?|failing|failed|errors?|broken|doesn'?t\s+work|isn'?t\s+working)|"
    r"won'?t\s+(?:load|sync|download|upload)|freez(?:es|ing)|hangs?\s+(?:on|at|when))\b",
)
ERROR_CODE = _g(
    "0|1|2|3|4|5|6|7|8|9|error|exception|crash|stack|version",
    r"\b(?:error|err|code|exception|status)\s*(?:code\s*)?[:#]?\s*[a-z]*[-_]?\d{2,}\b|\b0x[0-9a-f]{3,}\b|"
    r"\b[a-z]{1,5}[-_]\d{3,}\b|\bv?\d+\.\d+\.\d+\b|\bversion\s+\d+(?:\.\d+)*\b|\b(?:404|500|502|503)\b|"
    r"\b\w+(?:exception|error)\b|\bstack\s*trace\b|\bcrash(?:es|ed|ing)?\b",
)
ACCOUNT_ACTION = _g(
    "account|plan|subscription|address|mail|password|order|booking|reservation|payment|card|pin|name|number|details|profile|flight|seat|ticket|membership|debit",
    r"\b(?:change|changing|update|updating|cancel\w*|close|closing|delete|deleting|transfer\w*|"
    r"merge|reset|resetting|upgrade|downgrade|edit|modify|remove|add|switch|reactivate|unlock|"
    r"refund|reverse|move)\s+(?:\w+\s+){0,3}?(?:account|plan|subscription|address|e-?mail|password|"
    r"order|booking|reservation|payment\s+method|card|pin|name|number|details|profile|flight|seat|"
    r"ticket|membership|direct\s+debit)s?\b",
)

# Sarcasm: strong cues alone; weak cues only beside evidence that something went wrong.
SARCASM_STRONG = _g(
    "/s|yeah right|thanks|gee|joke|so much for|🙄|not!",
    r"(?:\s/s\b|\byeah\s+right\b|\bthanks\s+for\s+nothing\b|\bthanks\s+a\s+lot\b(?=[^!?.]*"
    r"(?:\.\.\.|!)|\s*$)|\bgee\s+thanks\b|\bwhat\s+a\s+joke\b|\bso\s+much\s+for\b|🙄|\bnot!)",
)
# Praise that closes a message about a failure ("update broke everything again. Love it.") or
# thanks heaped on the bot ("thanks a lot bot, really helpful") (lexicon-3.0).
SARCASM_AFTER_FAILURE = _g(
    "love|great|perfect|wonderful|fantastic|brilliant|awesome|amazing|nice|thanks|helpful",
    r"\b(?:(?:broke|broken|breaks|crash\w*|fail\w*|lost|deleted|wiped|ruined|stopped\s+working|down|stuck|gone|missing)\b"
    r"[^?]{0,80}?\b(?:love\s+(?:it|that|this)|just\s+great|great|perfect|wonderful|fantastic|brilliant|awesome|amazing|nice\s+one|"
    r"thanks\s+a\s+lot|thanks\s+so\s+much|cheers)\b[\s.!]*$|thanks\s+a\s+lot\s+(?:bot|robot|machine)\b|"
    r"(?:bot|robot|machine)\b[^.?!]{0,20}\b(?:really|very|so|super)\s+helpful\b)",
)
SARCASM_WEAK = _g(
    "love|enjoy|appreciate|great|perfect|wonderful|fantastic|lovely|awesome|nice|brilliant|thanks|what a",
    r"\b(?:(?:love|loving|enjoy|enjoying|appreciate)\s+(?:how|when|that|it\s+when|being|waiting|"
    r"sitting|the\s+fact)|(?:oh|just|how|real|really)\s+(?:great|perfect|wonderful|fantastic|"
    r"lovely|awesome|nice|brilliant)|great\s+(?:job|work|service)|thanks\s+for\s+(?:the|making|"
    r"ruining|leaving|wasting|losing|cancel\w*|delay\w*|nothing|keeping)|what\s+(?:a|great)\s+"
    r"(?:great|wonderful|fantastic|service|way)|nice\s+(?:job|work|one)|awesome\s+job|"
    r"thanks\s+again)\b",
)

# A message that opens as a request for help ("I need help to...", "how do I...", "I have a
# problem with...") is less negative than the problem words in it suggest.
REQUEST_OPENING = re.compile(
    r"^(?:\s*@\w+\b)*[\s,.:-]*(?:hi|hello|hey)?[\s,.!]*(?:how|where|what|when|which|can|could|would|will|"
    r"is\s+(?:it|there)|are\s+there|do|does|help|please|pls|need|want|wanna|i\s+(?:need|want|would\s+like|"
    r"'?d\s+like|wish|have\s+(?:a|an|got\s+(?:a|an|to))|had\s+a|have\s+to|am\s+trying|'?m\s+trying|"
    r"try|tried|don'?t\s+know|do\s+not\s+know|can'?t|cannot|got\s+to)|i'd\s+like|tell\s+me|show\s+me|"
    r"assistance|i\s+submitted|i\s+made|i\s+entered|i\s+chose|i\s+have\s+chosen)\b",
    _I,
)

# A message framed as a task ("cancel order 123", "problem with my payment", "I'm trying to
# track my parcel"): however negative its words, it asks automation to do something; it is not
# a complaint in the customer's own words.
TASK_OPENING = re.compile(
    r"^(?:\s*@\w+\b)*[\s,.:-]*(?:hi|hello|hey)?[\s,.!]*(?:cancel\w*|check\w*|track\w*|report\w*|inform\w*|"
    r"notify\w*|problems?|issues?|troubles?|errors?|help|assistance|using|status|refund\w*|"
    r"(?:i|we)\s+(?:have|had|'?m\s+having|am\s+having|are\s+having|got)\s+(?:a\s+|an\s+|some\s+)?(?:\w+\s+)?"
    r"(?:problems?|issues?|troubles?|errors?|question)|there\s+(?:is|are)\s+(?:an?\s+|some\s+)?(?:problems?|"
    r"issues?|troubles?|errors?)|(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:trying|waiting\s+for)|i\s+expect|"
    r"(?:i|we)\s+(?:can'?t|cannot|am\s+unable\s+to|couldn'?t|could\s+not)|(?:i'?m|we'?re)\s+unable\s+to|(?:i|we)\s+(?:have|had)\s+to|(?:i|we)\s+(?:don'?t|do\s+not)\s+(?:want|need)\b|(?:i\s+)?have\s+a\s+question)\b",
    _I,
)

# A calm request for help, narrower than ``REQUEST_OPENING``: "how do I...", "can you...",
# "I need...". A complaint cue in a message that opens like this is part of the request ("How do
# I cancel? It won't arrive in time"); "what gives, cold food again" or "how come your store won't
# take the voucher?" are complaints.
CALM_REQUEST = re.compile(
    r"^(?:\s*@\w+\b)*[\s,.:-]*(?:hi|hello|hey)?[\s,.!]*(?:how\s+(?:do|can|could|would|should|to)\s+(?:i|we|you)|"
    r"(?:can|could|would|will)\s+(?:you|i|we|someone)|where\s+(?:do|can|could|should|to)|"
    r"i\s+(?:need|want|would\s+like|'?d\s+like)|help|please|pls|tell\s+me|show\s+me|"
    r"is\s+(?:it|there)\s+(?:possible|a\s+way)|do\s+you|does\s+(?:your|the))\b",
    _I,
)
# A question asking why something went wrong, or is not as expected ("why is my card not
# working?", "how come the store won't take the voucher?").
WHY_QUESTION = _g(
    "why|how come",
    r"\b(?:why|how\s+come)\b[^.?!]*?(?:n'?t\b|\b(?:not|no|never|nothing|none|nobody|cannot|still|again|wrong|"
    r"declined?|rejected|failed|pending|gone|missing|lost|cancell?ed|late|slow|broken|stopped|keeps?|only|even|"
    r"so|such|always|anymore|any\s+more|instead)\b)",
)

QUESTION_WORDS = re.compile(
    r"(?:^|[.!?]\s+)(?:how|what|when|where|why|who|which|can|could|is|are|do|does|did|will|"
    r"would|should|may|any)\b",
    _I,
)


def negated_before(text: str, start: int) -> bool:
    """Whether a negator closely precedes ``start`` (within the same clause)."""
    window = text[max(0, start - _NEGATION_LOOKBACK) : start]
    m = _NEGATED_BEFORE.search(window)
    return m is not None and not _INABILITY.search(m.group(0))


def profanity_score(word: str) -> float:
    return 0.85 if _PROFANITY_STRONG.match(word) else 0.55


def wait_score(unit: str | None) -> float:
    if not unit:
        return 0.6
    unit = unit.lower()
    return 0.9 if unit.startswith("mo") else _UNIT_SCORE.get(unit[0], 0.6)


def _trie(literals: list[str]) -> str:
    """An alternation of ``literals`` written as a prefix tree, so that the engine tries one
    branch per next character instead of every literal at every position (speed: a token or
    chunk new to its memo costs several times less). At each node the longer continuations are tried
    before stopping there (a greedy optional group), and the next character selects at most
    one branch, so the match at a position is the longest literal starting there, as the
    alternation sorted longest first gives."""
    tree: dict[str, Any] = {}
    for lit in literals:
        node = tree
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = {}  # a literal ends here

    def write(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + write(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        inner = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # this node ends a literal: the continuation is optional
            return inner + "?" if len(branches) == 1 and len(inner) == 1 else f"(?:{inner})?"
        return inner

    return write(tree)


def _build_stem_finder() -> tuple[re.Pattern[str], dict[str, int]]:
    stems = sorted({stem for stem, _ in _STEMS}, key=len, reverse=True)
    masks = {stem: sum({1 << bit for other, bit in _STEMS if other in stem}) for stem in stems}
    return re.compile("(?=(" + _trie(stems) + "))"), masks


# Built once every gated pattern above has registered its triggers.
_STEM_FINDER, _STEM_MASK = _build_stem_finder()


# --- alternatives behind their own literal gates (speed, lexicon-3.4 code, issue 11 item 7) ---
# A long gated pattern is mostly tried alternative by alternative at every word of a message,
# although one or two of its alternatives can match it. So each such pattern is also kept as
# its alternatives, in order, each compiled alone and gated by literal strings of which every
# one of its matches holds at least one. The leftmost match of the whole pattern is the
# leftmost of its alternatives' (a tie going to the earliest alternative, as the engine tries
# them in order at each position), so the search finds the same match; tests check it.
#
# The literals are looked for in the message's whitespace-separated chunks (``low.split()``):
# a literal holds no whitespace, so any occurrence of it lies inside one chunk. Unlike the
# token gate above this reads the very text the regex runs on, so a closed alternative cannot
# match. Chunks are memoised like tokens.

_QUANTIFIER_START = frozenset("?*+{")


def _group_end(regex: str, open_at: int) -> int:
    """The index of the ``)`` closing the group that opens at ``open_at``."""
    for i, ch, depth in _structure(regex, open_at):
        if ch == ")" and depth == 0:
            return i
    raise ValueError(f"unbalanced group in {regex!r}")


def _zero_width_prefix(regex: str) -> int:
    """Length of the zero-width assertions (``\\b``, ``^``, lookarounds) opening ``regex``."""
    i = 0
    while True:
        if regex.startswith("\\b", i) or regex.startswith("^", i):
            i += 1 if regex[i] == "^" else 2
        elif regex.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
            i = _group_end(regex, i) + 1
        else:
            return i


def _flatten(regex: str) -> list[str]:
    """Alternatives of ``regex``, in the order the engine tries them at one position: its
    top-level ones, and those of a group that is all of an alternative but zero-width
    assertions around it (``\\b(?:a|b)\\b`` -> ``\\ba\\b``, ``\\bb\\b``: assertions cannot
    backtrack, so at each position the same alternatives are tried in the same order). A group
    followed by more of the pattern is left whole (its alternatives would share one gate)."""
    parts = _split_or(regex)
    if len(parts) > 1:
        return [alt for part in parts for alt in _flatten(part)]
    at = _zero_width_prefix(regex)
    if not regex.startswith("(?:", at):
        return [regex]
    end = _group_end(regex, at)
    prefix, inner, rest = regex[:at], regex[at + 3 : end], regex[end + 1 :]
    if _zero_width_prefix(rest) != len(rest):  # a quantifier or more pattern follows
        return [regex]
    return [alt for part in _split_or(inner) for alt in _flatten(prefix + part + rest)]


def _candidates(items: Any) -> list[frozenset[str]]:
    """Sets of literal strings of which every match of the parsed ``items`` holds one of each,
    rarest first (see ``_rarity``)."""
    from re import _constants as c  # type: ignore[attr-defined]

    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            candidates.append(frozenset(("".join(run),)))
            run.clear()

    for op, av in items:
        if op is c.LITERAL and not chr(av).isspace():
            run.append(chr(av))
            continue
        if op is c.BRANCH and run:
            # the parser takes a common first letter out of the alternatives ("d(?:o|id)"):
            # the run and each alternative's leading letters are one literal again
            leads = ["".join(run) + _leading_literal(branch) for branch in av[1]]
            candidates.append(frozenset(leads))
        close_run()
        if op is c.SUBPATTERN:
            found = _required(av[3])
        elif op is c.BRANCH:
            sets = [_required(branch) for branch in av[1]]
            found = frozenset().union(*sets) if all(sets) else None  # type: ignore[arg-type]
        elif (op is c.MAX_REPEAT or op is c.MIN_REPEAT) and av[0] >= 1:
            found = _required(av[2])
        elif op is c.IN and len(av) <= 4 and all(o is c.LITERAL for o, _ in av):
            found = frozenset(chr(a) for _, a in av)  # "[-_]": one of these characters
            if any(ch.isspace() for ch in found):
                found = None
        else:
            found = None  # zero width, a wide class, an optional part: no literal required
        if found:
            candidates.append(found)
    close_run()
    # a part that matches few strings ("h(?:ou)?rs?": hr, hrs, hour, hours) is its own best
    # literals, rarer than its letters taken one run at a time
    for op, av in items:
        if op is c.SUBPATTERN or op is c.BRANCH:
            strings = _expand([(op, av)])
            if strings and "" not in strings:
                candidates.append(frozenset(max(s.split(), key=len, default="") for s in strings))
    whole = _expand(items)
    if whole and "" not in whole:
        candidates.append(frozenset(max(s.split(), key=len, default="") for s in whole))
    candidates = [found for found in candidates if "" not in found]
    return sorted(candidates, key=_rarity, reverse=True)


_EXPAND_LIMIT = 32


def _expand(items: Any) -> set[str] | None:
    """Every string the parsed ``items`` can match, when they are few (at most
    _EXPAND_LIMIT); else None."""
    from re import _constants as c  # type: ignore[attr-defined]

    out = {""}
    for op, av in items:
        if op is c.LITERAL:
            part: set[str] | None = {chr(av)}
        elif op is c.AT:
            part = {""}
        elif op is c.SUBPATTERN:
            part = _expand(av[3])
        elif op is c.BRANCH:
            part = set()
            for branch in av[1]:
                strings = _expand(branch)
                if strings is None:
                    return None
                part |= strings
        elif (op is c.MAX_REPEAT or op is c.MIN_REPEAT) and av[1] <= 1:
            body = _expand(av[2])
            part = None if body is None else (body | {""} if av[0] == 0 else body)
        elif op is c.IN and len(av) <= 4 and all(o is c.LITERAL for o, _ in av):
            part = {chr(a) for _, a in av}
        else:
            return None
        if part is None or len(out) * len(part) > _EXPAND_LIMIT:
            return None
        out = {a + b for a in out for b in part}
    return out


def _leading_literal(items: Any) -> str:
    from re import _constants as c  # type: ignore[attr-defined]

    out = []
    for op, av in items:
        if op is not c.LITERAL or chr(av).isspace():
            break
        out.append(chr(av))
    return "".join(out)


def _required(items: Any) -> frozenset[str] | None:
    """The rarest set of ``_candidates``; None when no literal is required."""
    found = _candidates(items)
    return found[0] if found else None


# Words nearly every English message holds: as a gate they would open their alternative almost
# always (fixed by reasoning, not measured: function words, negators and the commonest verbs).
_COMMON_WORDS = (
    "a an the and or but no not nor is are was were be been am i you he she it we they me my "
    "your our their this that to of in on at for with from by as so if up out off one can get "
    "got has have had do does did don doesn didn isn won can't don't time still yet way all "
    "any now again"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def _rarity(literals: frozenset[str]) -> tuple[float, int]:
    """How seldom a set of literals is expected in a message: its commonest member's length
    (a common word counting as 1.5, between one letter and two), fewer members breaking ties."""
    return min(1.5 if lit in _COMMON else len(lit) for lit in literals), -len(literals)


@dataclass(frozen=True, slots=True)
class _Alternatives:
    """A pattern's alternatives (see above): ``search`` returns what ``regex.search`` would."""

    at_bit: dict[int, re.Pattern[str]]  # alternative's gate bit -> its compiled regex
    bits: int  # all of them

    def search(self, low: str, open_bits: int, pos: int = 0) -> re.Match[str] | None:
        todo = open_bits & self.bits
        best: re.Match[str] | None = None
        while todo:
            bit = todo & -todo  # lowest bit first: the alternatives in their order
            todo ^= bit
            m = self.at_bit[bit].search(low, pos)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best


_ALT_LITERALS: dict[str, int] = {}  # literal -> the gate bits it sets (see ``_split``)
_ALT_COUNT = 0
_ALTERNATIVES: dict[int, _Alternatives] = {}  # pattern bit -> its alternatives
# Patterns with fewer alternatives, or with one that no literal gates (it would be searched
# for every message), are searched whole, behind the literals of the whole pattern: one search
# of them costs about what their alternatives' searches would (fixed by reasoning).
_SPLIT_FROM = 4


def _compile_alternative(regex: str) -> re.Pattern[str]:
    first = _first_chars(regex)
    return re.compile(f"(?=[{first}])" + regex if first else regex)


def _split(pattern: Pattern) -> None:
    global _ALT_COUNT
    from re import _parser  # type: ignore[attr-defined]

    if pattern.regex.flags & _I:
        return
    alternatives = [
        _compile_alternative(alt) for alt in _flatten(pattern.plain or pattern.regex.pattern)
    ]
    gates = [_candidates(_parser.parse(alt.pattern))[:2] for alt in alternatives]
    if len(alternatives) < _SPLIT_FROM or not all(gates):
        # searched whole, behind the literals of the whole pattern when it has some
        alternatives = [pattern.regex]
        gates = [_candidates(_parser.parse(pattern.regex.pattern))[:2]]
        if not gates[0]:
            return
    at_bit: dict[int, re.Pattern[str]] = {}
    for alt, literals in zip(alternatives, gates, strict=True):
        # two gate bits per alternative, one per literal set; both must be set (a set that
        # is alone serves as both)
        bit = 1 << (2 * _ALT_COUNT)
        _ALT_COUNT += 1
        at_bit[bit] = alt
        for half, one_set in ((bit, literals[0]), (bit << 1, literals[-1])):
            for literal in one_set:
                _ALT_LITERALS[literal] = _ALT_LITERALS.get(literal, 0) | half
    _ALTERNATIVES[pattern.bit] = _Alternatives(at_bit, sum(at_bit))


for _pattern in (*PATTERNS, *(v for v in tuple(globals().values()) if isinstance(v, Pattern))):
    if _pattern.bit not in _ALTERNATIVES:
        _split(_pattern)


def _build_literal_finder() -> tuple[re.Pattern[str], dict[str, int]]:
    """A finder of the longest literal at each position of a chunk, and each literal's bits
    with those of every literal inside it (as ``_build_stem_finder``)."""
    literals = sorted(_ALT_LITERALS, key=len, reverse=True)
    masks: dict[str, int] = {}
    for lit in literals:
        m = 0
        for other, bits in _ALT_LITERALS.items():
            if other in lit:
                m |= bits
        masks[lit] = m
    return re.compile("(?=(" + _trie(literals) + "))"), masks


_LITERAL_FINDER, _LITERAL_MASK = _build_literal_finder()
_ALT_FIRST_HALVES = sum(1 << (2 * k) for k in range(_ALT_COUNT))
_CHUNK_MASK: dict[str, int] = {}


def alternatives_open(low: str) -> int:
    """The gate bits of the alternatives (above) whose literals the folded text holds."""
    mask = 0
    memo = _CHUNK_MASK
    for chunk in low.split():
        m = memo.get(chunk)
        if m is None:
            m = 0
            for hit in _LITERAL_FINDER.finditer(chunk):
                m |= _LITERAL_MASK[hit.group(1)]
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[chunk] = m
        mask |= m
    return mask & (mask >> 1) & _ALT_FIRST_HALVES  # alternatives with both halves set


def alternative_bits(pattern: Pattern) -> int:
    """The gate bits of a gated pattern's alternatives (-1 when it has none): with none of
    them in ``alternatives_open``, its search cannot match and need not be called."""
    alternatives = _ALTERNATIVES.get(pattern.bit)
    return -1 if alternatives is None else alternatives.bits


def finder(pattern: Pattern) -> Any:
    """``search(low, open_bits, pos=0)`` for a gated pattern: its alternatives' search when it
    was split, else its regex's (``open_bits`` from ``alternatives_open``)."""
    alternatives = _ALTERNATIVES.get(pattern.bit)
    if alternatives is not None:
        return alternatives.search
    search = pattern.regex.search

    def whole(low: str, open_bits: int, pos: int = 0) -> re.Match[str] | None:
        return search(low, pos)

    return whole
