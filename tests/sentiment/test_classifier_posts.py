"""lexicon-3.5 (es/de/fr/pt/it): the positive cut fitted per language on XED train
(``lang_constants.tsv``), and the wishes, greetings and interjections of ``_lexicon_posts``.
Every phrase is our own; the language is given so that only the reading is tested."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import _multi, classify
from rapport_sentiment.classifier._langs import LANGUAGES

CODES = ("es", "de", "fr", "pt", "it")


def label(text: str, language: str) -> str:
    return classify(text, language=language).sentiment


def test_positive_cut_is_read_from_the_fitted_file_and_bounded() -> None:
    for code in CODES:
        cut = _multi.POSITIVE_CUT[code]
        # never below the mirror of the negative cut, never above the English cut
        assert -_multi.NEGATIVE_AT <= cut <= _multi.POSITIVE_AT
    assert _multi.POSITIVE_CUT["fr"] == 0.05  # the fit's choice (docs/classifier.md, 3.5)


def test_one_mild_positive_word_weighs_as_one_mild_negative_word() -> None:
    # a valence-1 word on either side reaches its pole (before 3.5 only the negative one did)
    for code in CODES:
        lang = LANGUAGES[code]
        pos = _multi.read(code, "x", "x").score
        assert pos == 0.0  # nothing read: neutral
        assert _multi.valence(lang, "ok") == 1.0
        score = _multi.read(code, "ok", "ok").score
        assert _multi.NEGATIVE_AT < 0.0 < _multi.POSITIVE_CUT[code] <= score < _multi.POSITIVE_AT


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "ok, lo miro mañana"),
        ("de", "ok, ich schaue es mir morgen an"),
        ("fr", "ok, je regarde ça demain"),
        ("pt", "ok, vejo isso amanhã"),
        ("it", "ok, lo guardo domani"),
    ],
)
def test_a_mild_positive_word_now_reads_positive(language: str, text: str) -> None:
    assert label(text, language) == "positive"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "el pedido sale el martes desde Valencia"),
        ("de", "die Lieferung kommt am Dienstag aus Köln"),
        ("fr", "la livraison part mardi de Lyon"),
        ("pt", "a entrega sai na terça de Lisboa"),
        ("it", "la consegna parte martedì da Torino"),
    ],
)
def test_a_message_without_any_judgement_stays_neutral(language: str, text: str) -> None:
    assert label(text, language) == "neutral"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "no está bien esto"),
        ("de", "das ist nicht gut"),
        ("fr", "c'est pas bien du tout"),
        ("pt", "não está bom isso"),
        ("it", "non va bene così"),
    ],
)
def test_negated_praise_is_still_negative(language: str, text: str) -> None:
    assert label(text, language) == "negative"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # interjections shared by posts in every language
        ("es", "wow, qué foto", "positive"),
        ("pt", "yay, chegou o pacote", "positive"),
        ("it", "lmao questa scena", "positive"),
        ("de", "argh, schon wieder dieser Stau", "negative"),
        ("fr", "grrrr ce bus en retard", "negative"),
        ("es", "meh, la película", "negative"),
        ("pt", "♡ minha família", "positive"),
        # German wishes and thanks, with and without umlauts
        ("de", "Herzlichen Glückwunsch zum Geburtstag", "positive"),
        ("de", "herzlichen glueckwunsch zur Hochzeit", "positive"),
        ("de", "Frohe Weihnachten euch allen", "positive"),
        ("de", "Herzlich willkommen im Team", "positive"),
        ("de", "bin so stolz auf meine Tochter", "positive"),
        ("de", "Dankeschön für die Blumen", "positive"),
        ("de", "Küsse an alle", "positive"),
        ("de", "das Wetter heute ist echt ätzend", "negative"),
        ("de", "mieser Service, mies gelaufen", "negative"),
        # Italian, Spanish, Portuguese
        ("it", "buon compleanno fratello", "positive"),
        ("it", "benvenuti a tutti i nuovi iscritti", "positive"),
        ("es", "ánimos para mañana", "positive"),
        ("pt", "arrasou no show de ontem", "positive"),
        ("pt", "que decepção esse final", "negative"),
    ],
)
def test_wishes_and_interjections(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


def test_a_word_the_tables_already_read_keeps_its_valence() -> None:
    # _lexicon_posts adds only what no entry read: French and Italian "wow" stay as written
    assert _multi.valence(LANGUAGES["fr"], "wow") == 2.0
    assert _multi.valence(LANGUAGES["de"], "yay") == 2.0
    assert _multi.valence(LANGUAGES["de"], "dank") == 2.0


@pytest.mark.parametrize("text", ["ok", "alright then", "the parcel is fine I guess"])
def test_english_keeps_its_own_cut(text: str) -> None:
    # the English reader is not touched: a mild word alone (score 0.05-0.2) stays neutral there
    c = classify(text, language="en")
    assert 0.05 <= c.sentiment_score < 0.2
    assert c.sentiment == "neutral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("il y a pas mal de monde ce soir", "neutral"),
        ("pas mal d'erreurs dans ce formulaire", "negative"),
        ("franchement pas mal ce resto", "positive"),
    ],
)
def test_pas_mal_de_is_a_quantity(text: str, expected: str) -> None:
    assert label(text, "fr") == expected
