"""lexicon-3.6 (es/de/fr/pt/it): everyday judgement words the tables missed (``_lexicon_gaps``).
Every phrase is our own; the language is given so that only the reading is tested."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import _multi, classify
from rapport_sentiment.classifier._langs import LANGUAGES
from rapport_sentiment.classifier._lexicon_gaps import GAPS


def label(text: str, language: str) -> str:
    return classify(text, language=language).sentiment


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # praise and warmth of posts
        ("es", "qué flipante el concierto de anoche"),
        ("es", "te mando todo mi amor"),
        ("es", "un finde cojonudo con la familia"),
        ("de", "was für ein wunderschöner Morgen am See"),
        ("de", "die Jacke ist echt hübsch"),
        ("de", "endlich Wochenende"),
        ("fr", "grosse bise à toute l'équipe"),
        ("fr", "ce match, une vraie masterclass"),
        ("fr", "le lieu idéal pour un pique-nique"),
        ("it", "una serata straordinaria con gli amici"),
        ("it", "che tenero il cucciolo"),
        ("pt", "um jantar óptimo com os meus pais"),
        ("pt", "estou amando essa série"),
        ("pt", "felizmente chegou tudo bem"),
    ],
)
def test_everyday_praise_reads_positive(language: str, text: str) -> None:
    assert label(text, language) == "positive"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # blame, insults and growls of posts
        ("es", "el vecino es un capullo"),
        ("es", "pfff otra vez lunes"),
        ("de", "oje, der Zug fährt heute nicht"),
        ("de", "ich bin seit Montag krank"),
        ("fr", "j'ai le seum pour ce match"),
        ("fr", "ce film est cringe du début à la fin"),
        ("fr", "la réunion était gênante"),
        ("it", "una scelta sbagliata del comune"),
        ("it", "siete dei traditori"),
        ("it", "che disgrazia questa partita"),
        ("pt", "o resultado veio errado de novo"),
        ("pt", "fiquei zangado com a loja"),
        ("pt", "que cobarde esse árbitro"),
    ],
)
def test_everyday_blame_reads_negative(language: str, text: str) -> None:
    assert label(text, language) == "negative"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # greetings and apologies were left out on purpose: they carry no judgement
        ("es", "hola, el pedido sale el martes desde Valencia"),
        ("de", "hallo, die Lieferung kommt am Dienstag"),
        ("fr", "salut, la livraison part mardi"),
        ("it", "ciao, la consegna parte martedì"),
        ("pt", "oi, a entrega sai na terça"),
        # words with an everyday neutral sense stay unread
        ("es", "vamos a la tienda el martes"),
        ("de", "er verdient sein Geld in Köln"),
        ("pt", "coloquei o saco na mala"),
    ],
)
def test_greetings_and_neutral_senses_stay_neutral(language: str, text: str) -> None:
    assert label(text, language) == "neutral"


def test_negated_new_praise_is_not_praise() -> None:
    assert label("no fue nada flipante", "es") != "positive"
    assert label("la serata non è stata straordinaria", "it") != "positive"


def test_german_entries_read_with_and_without_umlauts() -> None:
    de = LANGUAGES["de"]
    for word in ("hübsch", "huebsch", "hölle", "hoelle", "wunderschön", "verrückt"):
        v = _multi.valence(de, _multi.fold_keep_umlauts(word))
        assert v is not None and v != 0.0, word


def test_an_entry_already_read_keeps_its_valence() -> None:
    # every gap word is read, and with the sign written in _lexicon_gaps unless an older
    # entry (exact or by stem) already read it
    for code, words in GAPS.items():
        lang = LANGUAGES[code]
        for word, v in words.items():
            got = _multi.valence(lang, word.rstrip("*"))
            assert got is not None, (code, word)
            if lang.lexicon.get(word) == v:
                continue
            assert got != 0.0, (code, word)


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        # news, politics and sport of posts (``NEWS``)
        ("es", "otro caso de corrupción en el ayuntamiento", "negative"),
        ("de", "wieder ein Anschlag in der Innenstadt", "negative"),
        ("fr", "la corruption partout dans ce club", "negative"),
        ("it", "un altro attentato in centro", "negative"),
        ("pt", "mais um caso de corrupção na câmara", "negative"),
        ("es", "qué tierna la foto del perrito", "positive"),
        ("de", "ein spannendes Spiel bis zum Schluss", "positive"),
        ("fr", "trop impatient de vous revoir", "positive"),
        ("it", "un film commovente", "positive"),
        ("pt", "que jogo emocionante", "positive"),
    ],
)
def test_news_and_sport_words_read_their_judgement(language: str, text: str, expected: str) -> None:
    assert label(text, language) == expected


def test_new_boosters_boost_the_next_word_and_still_count_alone() -> None:
    # "unglaublich" (+3 alone) boosts a following word instead of mixing with it
    assert label("das Essen war unglaublich schlecht", "de") == "negative"
    assert label("unglaublich!", "de") == "positive"
    plain = _multi.read("es", "triste", "triste").score
    boosted = _multi.read("es", "sumamente triste", "sumamente triste").score
    assert boosted < plain < 0.0
    assert label("o concerto foi bué fixe", "pt") == "positive"
