"""Post and chat spellings of es/de/fr/pt/it (lexicon-3.4, ``_lexicon_tweets``): negators,
boosters and words as people type them, German ß, two emoji for French and Italian. Every
phrase is our own; the language is given so that only the reading is tested."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import _multi, classify
from rapport_sentiment.classifier._langs import LANGUAGES


def label(text: str, language: str) -> str:
    return classify(text, language=language).sentiment


def score(text: str, language: str) -> float:
    return classify(text, language=language).sentiment_score


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # negators as typed: the praise after them is no praise
        ("fr", "c'est pa génial ton truc", "negative"),
        ("fr", "nn vraiment je suis pas contente", "negative"),
        ("it", "nn mi piace per niente questa app", "negative"),
        ("it", "manco bello è il nuovo menu", "negative"),
        ("pt", "n gostei nada do atendimento", "negative"),
        ("de", "das ist nich gut so", "negative"),
        # abbreviations and slang of posts
        ("fr", "jtm ma soeur", "positive"),
        ("fr", "cimer pour le coup de main", "positive"),
        ("fr", "quel bouffon celui-là", "negative"),
        ("it", "tvb amica mia", "positive"),
        ("it", "che pagliaccio questo qui", "negative"),
        ("es", "tqm hermana", "positive"),
        ("es", "qué pinche servicio", "negative"),
        ("pt", "obg pela ajuda de hoje", "positive"),
        ("pt", "pqp que demora", "negative"),
        ("de", "hdl meine süße", "positive"),
        # German ß: the lexicon's "ss" words in their ß spelling
        ("de", "so eine Scheiße", "negative"),
        ("de", "das macht richtig Spaß", "positive"),
        ("de", "einfach großartig", "positive"),
    ],
)
def test_post_spellings(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


@pytest.mark.parametrize(
    "text", ["Ich bin schon zu Hause", "wir sind schon fast da", "Hast du schon gegessen"]
)
def test_german_schon_is_already_not_beautiful(text: str) -> None:
    # folded, "schön" is "schon": German keeps its umlauts for the lexicon
    assert label(text, "de") == "neutral"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Das ist schön", "positive"),
        ("Das ist so schoen", "positive"),
        ("das ist nicht schön", "negative"),
        ("Ich bin total glücklich", "positive"),
        ("Ärgerlich, echt", "negative"),
        ("So süß", "positive"),
    ],
)
def test_german_umlaut_words_still_read(text: str, expected: str) -> None:
    assert label(text, "de") == expected


def test_german_umlaut_booster_and_ascii_entries() -> None:
    # "völlig" boosts as "voll"; "blöd" is read through the ASCII entry of the table
    assert score("völlig blöd", "de") < score("blöd", "de") < 0


def test_booster_spellings_scale_like_the_booster() -> None:
    # "tro" is typed "trop": it boosts the word after it as "trop" does
    assert score("tro bien", "fr") == pytest.approx(score("trop bien", "fr"))
    assert score("tro bien", "fr") > score("bien", "fr")
    assert score("mlt bello", "it") == pytest.approx(score("molto bello", "it"))
    assert score("mui bueno", "es") == pytest.approx(score("muy bueno", "es"))


def test_italian_grande_is_mild_praise() -> None:
    # valence 1: on its own it leans positive without crossing the positive cut
    assert 0 < score("grande! ce l'hai fatta", "it") < _multi.POSITIVE_AT
    assert label("grande problema con la consegna", "it") == "negative"


def test_sharp_s_reaches_the_german_signals() -> None:
    # the profanity pattern is written "scheiss...": its ß spelling fires the same signal
    names = {s.name for s in classify("So eine Scheiße!", language="de").signals}
    assert "profanity" in names
    assert _multi._SHARP_S.sub("(?:ss|ß)", r"\bschliessen\s+sie\b") == (
        r"\bschlie(?:ss|ß)en\s+sie\b"
    )


def test_emoji_of_irony_is_french_and_italian_only() -> None:
    assert LANGUAGES["fr"].lexicon["🙃"] < 0 and LANGUAGES["it"].lexicon["🙃"] < 0
    assert "🙃" not in LANGUAGES["de"].lexicon


def test_a_known_word_keeps_its_valence() -> None:
    # an entry the tables already read is not overwritten by the post list ("cool" in French)
    assert _multi.valence(LANGUAGES["fr"], "cool") == 2.0


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # a stem written for one word family no longer reads unrelated common words
        ("it", "ho parlato con una persona al telefono"),
        ("it", "personalmente preferisco il treno"),
        ("it", "il consiglio comunale si riunisce domani"),
        ("it", "cosa è successo ieri sera"),
        ("pt", "vou dormir agora"),
        ("pt", "vem depressa"),
        ("de", "mein Freund kommt morgen"),
        ("de", "wann kriegen wir das Paket"),
        ("de", "die Sitzung ist öffentlich"),
        ("fr", "nous pourrions venir demain"),
        ("fr", "le panneau est à droite"),
        ("es", "mi hija está en casa"),
        ("es", "la enfermera llega a las diez"),
        ("pt", "que haja tempo para tudo"),
    ],
)
def test_words_a_stem_caught_by_accident_are_neutral(language: str, text: str) -> None:
    assert label(text, language) == "neutral"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("it", "ho perso il treno", "negative"),
        ("it", "un grande successo", "positive"),
        ("pt", "estou com muita dor", "negative"),
        ("es", "jajaja qué risa", "positive"),
        ("it", "ahahah che ridere", "positive"),
        ("de", "der Krieg ist schrecklich", "negative"),
        ("de", "ich freue mich so", "positive"),
    ],
)
def test_the_words_the_stems_were_for_still_read(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # a booster that is also a word: alone it is that word, before a word it boosts
        ("de", "Super!", "positive"),
        ("fr", "c'est super", "positive"),
        ("fr", "c'est pas super", "negative"),
        ("fr", "c'est grave", "negative"),
        ("es", "¡súper!", "positive"),
        ("it", "super, grazie", "positive"),
        ("pt", "bem vindo ao grupo", "positive"),
    ],
)
def test_a_booster_alone_is_a_word(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


def test_a_booster_before_a_word_only_boosts_it() -> None:
    # "super content" is "very glad": the booster is not counted a second time
    assert score("super content", "fr") == pytest.approx(score("très content", "fr"), abs=0.05)
    assert score("super content", "fr") > score("content", "fr")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", "#BonneJournée à tous", "positive"),
        ("it", "#ChePalle stamattina", "negative"),
        ("de", "#SchöneGrüße aus Köln", "positive"),
        ("es", "#QueVerguenza de servicio", "negative"),
    ],
)
def test_camel_case_hashtags_are_read_as_words(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


def test_hashtag_split_keeps_the_signal_spans() -> None:
    # the signals read the message as written: a span still indexes the original text
    text = "#ServiceNul vous m'avez débité deux fois"
    c = classify(text, language="fr")
    assert c.signals
    for s in c.signals:
        if s.start is not None and s.end is not None:
            assert text[s.start : s.end] == s.evidence


@pytest.mark.parametrize(("language", "text"), [("fr", "merci ^^"), ("de", "bis morgen ^_^")])
def test_caret_smile(language: str, text: str) -> None:
    assert label(text, language) == "positive"


def test_model_first_answer_is_the_same_with_one_or_three() -> None:
    # detection asks the model for one answer first (speed): it must be the first of three
    from pathlib import Path

    from rapport_sentiment.classifier import _language

    model = _language._load()
    path = Path(__file__).parent / "data" / "language_phrases.tsv"
    lines = [ln.split("\t")[1] for ln in path.read_text("utf-8").splitlines() if "\t" in ln]
    assert len(lines) > 50
    for text in [*lines, "ok thx", "hola", "merci", "jajaja"]:
        one = model.predict(text, k=1)
        three = model.predict(text, k=3)
        assert one[0][0] == three[0][0]
        assert float(one[1][0]) == pytest.approx(float(three[1][0]), abs=1e-6)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my order is late and nobody answers", "en"),  # the English fast path still fires
        ("Me han cobrado dos veces el pedido", "es"),  # ASCII, no English word: the model
        ("ok thx", "en"),
    ],
)
def test_ascii_text_without_english_function_words_skips_the_english_scan(
    text: str, language: str
) -> None:
    assert classify(text).language == language
