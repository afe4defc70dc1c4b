"""French and Italian read as classes of error (lexicon-3.3): set phrases, negation scope,
restrictive "ne ... que", Italian "ne", intensifiers, tweet vocabulary and verb forms, emoji.
Every phrase is our own; the language is given so that only the reading is tested."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import _multi, classify
from rapport_sentiment.classifier._langs import LANGUAGES


def score(text: str, language: str) -> float:
    return classify(text, language=language).sentiment_score


def label(text: str, language: str) -> str:
    return classify(text, language=language).sentiment


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # litotes and set phrases whose words, one by one, read the other way
        ("fr", "franchement c'est pas mal du tout", "positive"),
        ("fr", "la nouvelle version est pas terrible", "negative"),
        ("fr", "votre appli c'est vraiment n'importe quoi", "negative"),
        ("fr", "de rien, bonne soirée à vous", "positive"),
        ("fr", "je suis morte de rire devant cette pub", "positive"),
        ("it", "non vedo l'ora di provarlo", "positive"),
        ("it", "niente male questo aggiornamento", "positive"),
        ("it", "che palle, ancora questa schermata", "negative"),
        ("it", "di niente, buona serata", "positive"),
        ("it", "mi fa schifo questo servizio", "negative"),
        # the negation stops at punctuation: the thanks after it are thanks
        ("fr", "aucun problème, merci beaucoup", "positive"),
        ("fr", "pas de souci, merci pour la réponse", "positive"),
        ("it", "senza problemi, grazie davvero", "positive"),
        # restrictive "ne ... que" is no negation
        ("fr", "ce n'est que du bonheur", "positive"),
        # verb forms, slang and tweet vocabulary
        ("it", "l'ho adorato", "positive"),
        ("it", "che figata la nuova app", "positive"),
        ("it", "strafigo il nuovo design", "positive"),
        ("fr", "youpi, le colis est arrivé", "positive"),
        ("fr", "ptn encore la même galère", "negative"),
        ("it", "che sfiga, di nuovo", "negative"),
    ],
)
def test_french_and_italian_phrases_read_as_meant(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


def test_a_negated_word_is_still_negated_in_french_and_italian() -> None:
    assert label("je n'aime pas du tout ce service", "fr") == "negative"
    assert label("non mi piace per niente", "it") == "negative"
    assert label("ce n'est pas bon", "fr") == "negative"


def test_pas_mal_de_is_a_quantity_not_praise() -> None:
    # "pas mal de bugs" = "quite a few bugs": the litotes must not fire
    assert "qqpasmal" not in _multi.features(LANGUAGES["fr"], _multi.fold("pas mal de bugs"))
    assert label("il y a pas mal de bugs", "fr") != "positive"


def test_italian_pronoun_ne_does_not_negate() -> None:
    feats = _multi.features(LANGUAGES["it"], _multi.fold("me ne vado contento"))
    assert "contento" in feats and "not_contento" not in feats


def test_an_emoticon_is_not_read_as_punctuation() -> None:
    feats = _multi.features(LANGUAGES["fr"], _multi.fold("merci :) ok"))
    assert ":)" in feats


def test_intensifiers_make_the_reading_stronger() -> None:
    assert score("ultra content du service", "fr") > score("content du service", "fr")
    assert score("estremamente contento", "it") > score("contento", "it")


def test_new_emoji_read_in_french_and_italian() -> None:
    assert score("la nouvelle app 🔥", "fr") > 0.0
    assert score("il nuovo servizio 🤡", "it") < 0.0


def test_new_entries_do_not_shadow_existing_stems() -> None:
    # "creve*" was added for French but "crev*" (-2) was there first: it keeps its valence
    fr = LANGUAGES["fr"]
    assert _multi.valence(fr, "crevee") == -2.0


def test_idioms_do_not_change_german_spanish_or_portuguese_readings() -> None:
    for code, text in (
        ("de", "das ist nicht gut, danke"),
        ("es", "no está mal, gracias"),
        ("pt", "não é ruim, obrigado"),
    ):
        feats = _multi.features(LANGUAGES[code], _multi.fold(text))
        assert not any(f.startswith("qq") for f in feats)
