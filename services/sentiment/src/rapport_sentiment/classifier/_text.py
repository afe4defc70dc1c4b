"""Tokenising shared by the classifier and the script that trains its word weights, so that
both see exactly the same features."""

from __future__ import annotations

import re

# Words (with an inner apostrophe), numbers, runs of ! or ?, emoticons and emoji.
_EMOTICON = r"[:;=][-o^']?[()\[\]dp/\\|*@3<>]{1,3}(?![a-z])|<3+|\^_*\^"
_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764\ufe0f]"
TOKEN = re.compile(rf"{_EMOTICON}|[a-z]+(?:['\u2019][a-z]+)?|\d+(?:[.:,]\d+)*|[!?]+|{_EMOJI}")

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
