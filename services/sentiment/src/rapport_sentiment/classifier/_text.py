"""Tokenising shared by the classifier and the script that trains its word weights, so that
both see exactly the same features."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words (with an inner apostrophe), numbers, runs of ! or ?, emoticons and emoji.
_EMOTICON = r"[:;=][-o^']?[()\[\]dp/\\|*@3<>]{1,3}(?![a-z])|<3+|\^_*\^"
_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764\ufe0f]"
# Words first and a lookahead for the characters a token can start with (speed, lexicon-3.2:
# about 45 % less time; the alternatives start with disjoint characters, so the order does not
# change the tokens).
_START_CHARS = "[a-z0-9!?:;=<^\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764\ufe0f]"
TOKEN = re.compile(
    rf"(?={_START_CHARS})(?:[a-z]+(?:['\u2019][a-z]+)?|{_EMOTICON}|\d+(?:[.:,]\d+)*|[!?]+|{_EMOJI})"
)

# Negators: a following word (within NEGATION_WINDOW, up to the next clause boundary) is negated.
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "neither",
        "nothing",
        "nobody",
        "none",
        "nowhere",
        "without",
        "cannot",
        "cant",
        "dont",
        "doesnt",
        "didnt",
        "isnt",
        "wasnt",
        "werent",
        "arent",
        "wont",
        "wouldnt",
        "couldnt",
        "shouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "weren't",
        "aren't",
        "won't",
        "wouldn't",
        "couldn't",
        "shouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "ain't",
        "n't",
    ]
)
NEGATION_WINDOW = 3
CLAUSE_BREAK = re.compile(r"[.;!?,\n]|\bbut\b")


_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+|&amp;|&lt;|&gt;|#(?=\w)|url_removed")


def normalise(text: str) -> str:
    """Lowercase, straight apostrophes; links, @handles and HTML entities dropped, hashtags
    kept as words."""
    return _NOISE.sub(" ", text.lower().replace("\u2019", "'"))


def tokens(lowered: str) -> list[str]:
    """Tokens of already-lowercased text (see :func:`normalise`)."""
    return TOKEN.findall(lowered)


def features(lowered: str) -> list[str]:
    """Tokens with negation marked: a word in a negator's scope becomes ``not_<word>``.
    Punctuation tokens end the scope."""
    out: list[str] = []
    scope = 0
    for tok in TOKEN.findall(lowered):
        if tok in NEGATORS:
            scope = NEGATION_WINDOW
            out.append(tok)
            continue
        if tok[0] in "!?" or tok == "but":
            scope = 0
            out.append(tok)
            continue
        if scope:
            scope -= 1
            out.append("not_" + tok)
        else:
            out.append(tok)
    return out


STEM_LENGTH = 4


def stem_key(key: str) -> str | None:
    """The stem feature of a token key for the frustration head: ``>`` and the first
    STEM_LENGTH letters of a longer word, negation kept (``annoying`` -> ``>anno``,
    ``not_helpful`` -> ``>not_help``), so that unseen forms of a word share its weight.
    None for short words and for ``!``/``?``."""
    if key[0] in "!?":
        return None
    if key.startswith("not_"):
        base = key[4:]
        return ">not_" + base[:STEM_LENGTH] if len(base) > STEM_LENGTH else None
    return ">" + key[:STEM_LENGTH] if len(key) > STEM_LENGTH else None


def frustration_features(keys: Iterable[str]) -> list[str]:
    """Features of the frustration head: the distinct token keys, then each one's stem key
    (a stem shared by two keys counts twice, as in the classifier's per-key sum)."""
    distinct = sorted(set(keys))
    stems = [s for s in map(stem_key, distinct) if s is not None]
    return distinct + stems
