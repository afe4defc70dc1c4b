"""Affirmations and congratulations are sarcastic only around a failure (issue 11 item 4:
"positive words around a failure"). "Sí, claro", "ja klar", "sì certo", "mais bien sûr" and
"bravo à/pour" were read as sarcasm on their own, so a customer agreeing ("Sí claro, mañana te
lo mando") or a post congratulating a team read negative. They now need the same failure
evidence as every other weak sarcasm cue; with a failure beside them they still fire.
Phrases are our own."""

from __future__ import annotations

import pytest

from rapport_sentiment.classifier import classify

SINCERE = [
    ("es", "Sí claro, mañana te lo mando"),
    ("es", "si claro, te espero a las cinco"),
    ("de", "Ja klar, ich komme morgen vorbei"),
    ("de", "ja, klar, das machen wir so"),
    ("it", "Sì certo, ci vediamo domani"),
    ("it", "si certo, passo io a prenderti"),
    ("fr", "Mais bien sûr, avec plaisir"),
    ("fr", "bravo à toute l'équipe"),
    ("fr", "Bravo pour ce magnifique but"),
]

AROUND_A_FAILURE = [
    ("es", "Sí claro, otra vez sin servicio tres días"),
    ("de", "Ja klar, schon wieder kaputt"),
    ("it", "Sì certo, il pacco non è mai arrivato"),
    ("fr", "Mais bien sûr, encore en panne"),
    ("fr", "bravo à la SNCF pour ce retard de deux heures"),
]


@pytest.mark.parametrize(("language", "text"), SINCERE)
def test_an_affirmation_or_congratulation_alone_is_not_sarcasm(language: str, text: str) -> None:
    for given in (language, None):  # given by the helpdesk, and detected
        c = classify(text, language=given)
        assert c.language == language
        assert "sarcasm" not in {s.name for s in c.signals}, (text, c.signals)
        assert c.sentiment != "negative", (text, c.sentiment_score)


@pytest.mark.parametrize(("language", "text"), AROUND_A_FAILURE)
def test_the_same_words_around_a_failure_are_still_sarcasm(language: str, text: str) -> None:
    c = classify(text, language=language)
    assert "sarcasm" in {s.name for s in c.signals}, (text, c.signals)
    assert c.sentiment == "negative", (text, c.sentiment_score)
