"""A message of a word or two that the language model reads unsure is read in the language of
the one function word it holds (``lexicon-3.8``, issue 11 item 2): "Merci infiniment" was read
as Italian at 0.23, so its "merci" was lost and it came out neutral. English chat ("see ya",
"yo") and a link's fragments stay English. Phrases are our own; each was read as another
language by ``lexicon-3.7``."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import _language as lang_id
from rapport_sentiment.classifier import classify

SHORT = [
    ("fr", "Merci infiniment"),
    ("de", "Hallo?"),
    ("es", "Nadie contesta"),
    ("pt", "Olá?"),
    ("it", "Cosi no"),
]

STAY_ENGLISH = [
    "see ya!",
    "Treat yo self!",
    "Sweet Home Chicago http://t.co/J6icLV8DTs",
]


@pytest.mark.parametrize(("language", "text"), SHORT)
def test_a_short_message_is_read_in_the_language_of_its_one_function_word(
    language: str, text: str
) -> None:
    c = classify(text)
    assert c.language == language, (text, c.language, c.language_confidence)
    assert c.language_source == "detected"
    assert c.language_supported


def test_the_word_read_is_the_one_that_was_lost() -> None:
    c = classify("Merci infiniment")
    assert c.sentiment == "positive", c


def test_nobody_answering_is_negative_in_spanish_too() -> None:
    assert classify("Nadie contesta").sentiment == "negative"


@pytest.mark.parametrize("text", STAY_ENGLISH)
def test_english_chat_and_link_fragments_stay_english(text: str) -> None:
    assert classify(text).language == "en", text


def test_one_word_needs_three_letters_and_no_word_of_another_language() -> None:
    assert lang_id.vote("merci infiniment", need=1, min_letters=3) == "fr"
    # "ya" is Spanish in the table and English chat: too short to decide alone.
    assert lang_id.vote("see ya", need=1, min_letters=3) is None
    # A short word still vetoes: "merci" beside an Italian "di" is no vote.
    assert lang_id.vote("merci di", need=1, min_letters=3) is None
    # The default (two words, any length) is unchanged.
    assert lang_id.vote("merci infiniment") is None
    assert lang_id.vote("merci pour tout") == "fr"


def test_a_sure_detection_keeps_its_reading() -> None:
    # The model is sure of Spanish (about 0.9): one German word does not overrule it.
    c = classify("Feliz navidad danke")
    assert c.language == "es", (c.language, c.language_confidence)
    assert (c.language_confidence or 0.0) >= lang_id.UNSURE


def test_a_longer_message_keeps_the_models_reading() -> None:
    # Seven German words and a French "merci", read unsure as German: the one-word rule is for
    # messages of at most UNSURE_VOTE_WORDS words, so it stays German.
    text = "Wunderbar fantastisch herrlich prima klasse super merci"
    assert len(text.split()) > lang_id.UNSURE_VOTE_WORDS
    c = classify(text)
    assert (c.language_confidence or 0.0) < lang_id.UNSURE
    assert c.language == "de", c.language
