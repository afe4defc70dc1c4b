"""Languages (issue 11): detection, the helpdesk's language respected, five more lexicons and
their signals, phrase lists for unsupported languages, and the misses of the issue as classes."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport_sentiment.classifier import classify

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[tuple[str, str]]:
    out = []
    for line in (DATA / name).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            out.append((lang, text))
    return out


def names(text: str, language: str | None = None) -> set[str]:
    return {s.name for s in classify(text, language=language).signals}


@pytest.mark.parametrize(("lang", "text"), _rows("language_phrases.tsv"))
def test_short_support_messages_are_detected(lang: str, text: str) -> None:
    c = classify(text)
    assert c.language == lang
    assert c.language_source == "detected"
    assert c.language_supported
    assert c.language_confidence is not None and 0.0 < c.language_confidence <= 1.0


def test_a_given_language_is_respected_and_normalised() -> None:
    c = classify("my parcel never arrived", language="es-ES")
    assert (c.language, c.language_source, c.language_confidence) == ("es", "given", None)
    assert classify("hola", language="pt_BR").language == "pt"


def test_text_without_letters_is_read_as_the_default() -> None:
    c = classify("12345 ???")
    assert (c.language, c.language_source) == ("en", "default")


def test_issue_example_in_spanish_goes_to_a_person() -> None:
    c = classify("Quiero hablar con una persona, estoy harto, es una vergüenza")
    assert c.language == "es"
    assert c.sentiment == "negative"
    assert {"human_request", "complaint"} <= {s.name for s in c.signals}


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("quiero hablar con un agente", "human_request"),
        ("no quiero hablar con un bot", "human_request"),
        ("me han cobrado dos veces este mes", "billing_dispute"),
        ("alguien ha usado mi tarjeta sin mi permiso", "security_fraud"),
        ("voy a llamar a mi abogado", "legal_threat"),
        ("me cambio a la competencia", "churn_threat"),
        ("es la tercera vez que escribo", "repeated_contact"),
        ("llevo tres semanas esperando", "waiting_time"),
        ("joder, qué servicio", "profanity"),
        ("ich möchte mit einem Menschen sprechen", "human_request"),
        ("ich will nicht mit einem Bot reden", "human_request"),
        ("mir wurde doppelt abgebucht", "billing_dispute"),
        ("meine Karte wurde gestohlen", "security_fraud"),
        ("ich schalte meinen Anwalt ein", "legal_threat"),
        ("ich wechsle zur Konkurrenz", "churn_threat"),
        ("ich schreibe schon zum dritten Mal", "repeated_contact"),
        ("ich warte seit zwei Wochen", "waiting_time"),
        ("je veux parler à un conseiller", "human_request"),
        ("je ne veux pas parler à un robot", "human_request"),
        ("on m'a débité deux fois", "billing_dispute"),
        ("ma carte a été volée", "security_fraud"),
        ("je vais contacter un avocat", "legal_threat"),
        ("je vais passer chez la concurrence", "churn_threat"),
        ("c'est la troisième fois que j'écris", "repeated_contact"),
        ("j'attends depuis trois semaines", "waiting_time"),
        ("quero falar com um atendente", "human_request"),
        ("não quero falar com robô", "human_request"),
        ("fui cobrado duas vezes", "billing_dispute"),
        ("meu cartão foi clonado", "security_fraud"),
        ("vou procurar o Procon", "legal_threat"),
        ("vou mudar de operadora", "churn_threat"),
        ("é a terceira vez que escrevo", "repeated_contact"),
        ("estou esperando há duas semanas", "waiting_time"),
        ("voglio parlare con un operatore", "human_request"),
        ("non voglio parlare con un bot", "human_request"),
        ("mi hanno addebitato due volte", "billing_dispute"),
        ("mi hanno rubato la carta", "security_fraud"),
        ("chiamo il mio avvocato", "legal_threat"),
        ("passo alla concorrenza", "churn_threat"),
        ("è la terza volta che scrivo", "repeated_contact"),
        ("aspetto da tre settimane", "waiting_time"),
    ],
)
def test_signals_in_each_language(text: str, signal: str) -> None:
    assert signal in names(text), (text, names(text))


@pytest.mark.parametrize(
    "text",
    [
        "no quiero cancelar mi suscripción",
        "ich möchte mein Abo nicht kündigen",
        "je ne veux pas résilier mon abonnement",
        "não quero cancelar minha assinatura",
        "non voglio disdire il mio abbonamento",
    ],
)
def test_negation_cancels_a_negatable_signal(text: str) -> None:
    assert "churn_threat" not in names(text), names(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("muy buen servicio, gracias", "positive"),
        ("el servicio es pésimo, qué asco", "negative"),
        ("no estoy contento con el pedido", "negative"),
        ("toller Service, vielen Dank!", "positive"),
        ("der Service ist furchtbar, ich bin sauer", "negative"),
        ("super service, merci beaucoup !", "positive"),
        ("service nul, je suis très déçu", "negative"),
        ("ótimo atendimento, obrigada!", "positive"),
        ("atendimento horrível, estou muito irritado", "negative"),
        ("ottimo servizio, grazie mille!", "positive"),
        ("servizio pessimo, sono molto arrabbiato", "negative"),
    ],
)
def test_sentiment_in_each_language(text: str, label: str) -> None:
    c = classify(text)
    assert c.sentiment == label, (text, c.sentiment_score)


def test_an_unsupported_language_is_reported_and_phrase_lists_still_work() -> None:
    c = classify("ik wil graag mijn adres wijzigen, dank je wel")
    assert c.language == "nl"
    assert not c.language_supported
    assert c.sentiment == "neutral"
    mixed = classify("ik wil nu meteen een agent please, ik wil met een mens praten")
    assert "human_request" in {s.name for s in mixed.signals}
    safety = classify("kill myself", language="nl")
    assert "safety" in {s.name for s in safety.signals}


@pytest.mark.parametrize(("lang", "text"), _rows("hopelessness.tsv"))
def test_hopelessness_raises_safety(lang: str, text: str) -> None:
    c = classify(text)
    assert c.language == lang
    assert "safety" in {s.name for s in c.signals}, text


@pytest.mark.parametrize(
    "text",
    [
        "I don't want to talk to a bot",
        "I don't want to chat with a bot",
        "I do not want to speak to a machine",
        "no more bots please",
        "stop the bot",
        "I refuse to deal with a robot",
        "enough with the chatbot",
    ],
)
def test_refusing_the_bot_in_any_wording(text: str) -> None:
    assert "human_request" in names(text, "en")


@pytest.mark.parametrize(
    "text",
    ["great, thanks a lot bot, really helpful", "update broke everything again. Love it."],
)
def test_sarcasm_after_a_failure_is_negative(text: str) -> None:
    c = classify(text, language="en")
    assert c.sentiment == "negative"
    assert "sarcasm" in {s.name for s in c.signals}


@pytest.mark.parametrize(
    "text",
    [
        "I'm cancelling my account and moving to your competitor",
        "cancelling and going with Vodafone instead",
        "switching to a rival provider next month",
    ],
)
def test_churn_with_a_competitor_is_strong(text: str) -> None:
    c = classify(text, language="en")
    churn = c.signal("churn_threat")
    assert churn is not None and churn.score >= 0.8


@pytest.mark.parametrize(
    "text",
    [
        "My invoice PDF download fails with a blank page",
        "SSO login fails with error AADSTS50011 on first try",
    ],
)
def test_a_calm_first_technical_report_is_not_strongly_negative(text: str) -> None:
    c = classify(text, language="en")
    assert c.sentiment_score > -0.6
    assert "complaint" not in {s.name for s in c.signals}


def test_an_angry_technical_report_is_still_strongly_negative() -> None:
    c = classify("the app crashes AGAIN, third time this week, this is ridiculous!!!")
    assert c.sentiment_score <= -0.6


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("franchement c'est relou, ça me gonfle", "negative"),
        ("beurk, c'est dégueulasse", "negative"),
        ("quelle galère, je suis vénère", "negative"),
        ("j'ai kiffé, c'était ouf", "positive"),
        ("c'est sublime, merci beaucoup", "positive"),
        ("vivement demain, trop hâte", "positive"),
    ],
)
def test_the_broader_french_lexicon(text: str, label: str) -> None:
    """lexicon-3.1: colloquial French praise and anger (own phrases)."""
    assert classify(text, language="fr").sentiment == label


def test_the_xed_weights_are_not_used() -> None:
    """lexicon-3.1: measured on dev, they did not transfer (docs/classifier.md)."""
    from rapport_sentiment.classifier import _multi

    assert not _multi.USE_XED
    assert all(not weights for weights in _multi.WEIGHTS.values())


def test_function_word_vote_names_one_language_or_none() -> None:
    """lexicon-3.2: the vote decides only with two function words of one language and none of
    another's; a word written under two languages belongs to neither."""
    from rapport_sentiment.classifier import _language, _multi

    assert "nada" not in _language.VOTE  # es and pt
    assert "non" not in _language.VOTE  # it and fr
    assert _language.VOTE["muy"] == "es" and _language.VOTE["nicht"] == "de"
    vote = _language.vote
    assert vote(_multi.fold("Quiero hablar con alguien, no funciona nada")) == "es"
    assert vote(_multi.fold("Ich warte seit Tagen und niemand hilft")) == "de"
    assert vote(_multi.fold("Je suis toujours sans réponse")) == "fr"
    assert vote(_multi.fold("Não consigo entrar, você pode ajudar?")) == "pt"
    assert vote(_multi.fold("Sono ancora senza rimborso")) == "it"
    assert vote(_multi.fold("grazie")) is None  # one word: the model decides
    assert vote(_multi.fold("je suis muy contento")) is None  # two languages: the model decides
    assert vote(_multi.fold("the parcel is late and my card was charged")) is None  # English


def test_english_with_emoji_or_curly_quotes_takes_the_fast_path() -> None:
    r = classify("Great, my flight is delayed again 🙄")
    assert (r.language, r.language_confidence) == ("en", 0.9)
    curly = "That\u2019s what I\u2019m afraid of, it\u2019s still broken"
    assert classify(curly).language == "en"


# --- lexicon-3.2: the issue's misses in every language, and the new word classes -------------
# (own phrases, written for these tests)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "basta de bots, quiero una persona"),
        ("es", "no quiero chatear con una máquina"),
        ("de", "keine Bots mehr bitte"),
        ("de", "ich will nicht mit einer Maschine chatten"),
        ("fr", "assez de robots, je veux un humain"),
        ("fr", "je refuse de parler à une machine"),
        ("pt", "chega de robô, quero uma pessoa"),
        ("pt", "não quero conversar com uma máquina"),
        ("it", "basta con i bot, voglio una persona"),
        ("it", "non voglio chattare con una macchina"),
    ],
)
def test_refusing_the_bot_in_other_wordings(lang: str, text: str) -> None:
    assert "human_request" in names(text, lang), (text, names(text, lang))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "genial, la actualización lo ha roto todo otra vez. Me encanta."),
        ("de", "super, das Update hat wieder alles kaputt gemacht. Danke auch."),
        ("fr", "génial, la mise à jour a encore tout cassé. Merci beaucoup."),
        ("pt", "ótimo, a atualização quebrou tudo de novo. Adorei."),
        ("it", "fantastico, l'aggiornamento ha rotto tutto di nuovo. Grazie tante."),
    ],
)
def test_sarcasm_after_a_failure_in_each_language(lang: str, text: str) -> None:
    c = classify(text, language=lang)
    assert c.sentiment == "negative", (text, c.sentiment_score, names(text, lang))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("es", "la descarga de la factura en PDF falla y sale una página en blanco"),
        ("de", "der Download der Rechnung als PDF schlägt fehl, die Seite bleibt leer"),
        ("fr", "le téléchargement de la facture PDF échoue avec une page blanche"),
        ("pt", "o download da fatura em PDF falha com uma página em branco"),
        ("it", "il download della fattura PDF non funziona, esce una pagina bianca"),
    ],
)
def test_a_calm_first_technical_report_in_each_language(lang: str, text: str) -> None:
    c = classify(text, language=lang)
    assert c.sentiment_score > -0.6, (text, c.sentiment_score)
    assert "complaint" not in {s.name for s in c.signals}, names(text, lang)


@pytest.mark.parametrize(
    ("lang", "text", "label"),
    [
        # contrast: the clause after "but" decides
        ("es", "el producto es bonito pero llegó roto y estoy harto", "negative"),
        ("de", "anfangs war es ärgerlich, aber jetzt bin ich wirklich zufrieden", "positive"),
        ("fr", "c'était long mais franchement génial, merci", "positive"),
        ("pt", "é bonito mas é uma porcaria, estou decepcionado", "negative"),
        ("it", "all'inizio un disastro, ma ora funziona benissimo, grazie", "positive"),
        # elongation, laughter, emoji
        ("es", "graciassss, me encantaaaa", "positive"),
        ("pt", "kkkkkk amei demais", "positive"),
        ("it", "ahahahah che bello 😍", "positive"),
        ("fr", "trop nuuuul 😡", "negative"),
        ("de", "so ein Mist 🤬", "negative"),
    ],
)
def test_contrast_elongation_laughter_and_emoji(lang: str, text: str, label: str) -> None:
    c = classify(text, language=lang)
    assert c.sentiment == label, (text, c.sentiment_score)


@pytest.mark.parametrize(
    "text",
    [
        "Hello World",
        "WHY IS THIS STILL NOT WORKING?!!",
        "ok",
        "",
        "Ça VA, Ⓐ ß",
        "x1_Y2",
        "ABcd",  # as many capitals as small letters: not mostly capitals
        "ABCde",
        "AB cd 12 !!",
        "ⒶⒷ ab",  # capitals that are no letters (non-ASCII text keeps the plain counts)
    ],
)
def test_capital_counts_are_those_of_str_methods(text: str) -> None:
    """The detector's capitals test (ASCII text counted in C) is the plain one."""
    from rapport_sentiment.classifier import _language

    plain = sum(map(str.isupper, text)) > 0.5 * sum(map(str.isalpha, text))
    assert _language._mostly_capitals(text) == plain
