"""The language detector's speed edits (2026-12-03 afternoon): the model reads a bounded prefix
of whole words, through the binding's own call. Phrases are the team's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport_sentiment.classifier import _language, classify

PHRASES = Path(__file__).parent / "data" / "language_phrases.tsv"


def _phrases() -> list[str]:
    lines = PHRASES.read_text("utf-8").splitlines()
    return [ln.split("\t")[1] for ln in lines if "\t" in ln and not ln.startswith("#")]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("hola que tal", 20, "hola que tal"),  # no longer than the bound: unchanged
        ("hola que tal", 12, "hola que tal"),
        ("hola que tal", 11, "hola que"),  # cut back to the last space within the bound
        ("hola que tal", 8, "hola que"),  # a space right after the bound still counts
        ("hola que tal", 7, "hola"),
        ("abcdefghijkl mn", 5, "abcde"),  # no space within the bound: cut at the bound
    ],
)
def test_bounded_keeps_whole_words(text: str, limit: int, expected: str) -> None:
    assert _language.bounded(text, limit) == expected


def test_bounded_defaults_to_the_prefix_constant() -> None:
    text = "palabra " * 100
    cut = _language.bounded(text)
    assert len(cut) <= _language.PREFIX
    assert len(cut) > _language.PREFIX - len("palabra ")
    assert cut.endswith("palabra")


def test_the_binding_call_gives_what_the_wrapper_gives() -> None:
    model = _language._load()
    texts = [*_phrases(), "ok thx", "hola", "merci", "jajaja", "WHY IS THIS NOT WORKING"]
    assert len(texts) > 50
    for text in texts:
        for k in (1, 3):
            labels, probs = model.predict(text, k=k)
            got = _language._predict(model, text, k)
            assert [label for _, label in got] == list(labels)
            assert [p for p, _ in got] == [pytest.approx(float(p), abs=0.0) for p in probs]


def test_short_messages_are_detected_as_before_the_bound() -> None:
    # texts within the bound reach the model whole: the same answer as an unbounded read
    texts = [t for t in _phrases() if len(" ".join(t.split())) <= _language.PREFIX]
    assert len(texts) > 40
    bound = _language.PREFIX
    try:
        _language.PREFIX = 10**9
        unbounded = [_language._detect(t) for t in texts]
    finally:
        _language.PREFIX = bound
    assert [_language._detect(t) for t in texts] == unbounded


def test_a_long_message_is_read_from_its_start() -> None:
    # the model reads only the start: a long English tail after the bound is not read
    spanish = (
        "Me cobraron dos veces el pedido del mes pasado, escribí al soporte cinco veces y "
        "todavía nadie contesta mis correos."
    )
    opening = spanish
    while len(opening) + len(spanish) + 1 <= _language.PREFIX:
        opening += " " + spanish
    tail = " ok ok ok, order 4471 invoice refund card account password login" * 30
    text = opening + tail
    found = _language._detect(text)
    assert found.language == "es"
    assert found == _language._detect(_language.bounded(text))
    bound = _language.PREFIX
    try:
        _language.PREFIX = 10**9
        whole = _language._detect(text)
    finally:
        _language.PREFIX = bound
    assert whole.confidence is not None and found.confidence is not None
    assert whole.confidence < found.confidence  # the tail, read, would weaken it


def test_a_long_message_in_each_language_is_still_detected() -> None:
    # long messages of the team's own wording, with no function-word vote deciding them
    texts = {
        "es": "Llevo tres semanas esperando el reembolso del pedido, escribí cinco veces "
        "al servicio técnico y todavía nadie me dio una respuesta clara sobre la devolución.",
        "de": "Seit drei Wochen warte ich auf die Erstattung der Bestellung, fünfmal habe ich "
        "dem Kundendienst geschrieben und bis heute keine klare Antwort bekommen.",
        "fr": "J'attends le remboursement de la commande depuis trois semaines, j'ai écrit "
        "cinq fois au service client et toujours pas de réponse claire.",
        "pt": "Estou esperando o reembolso do pedido faz três semanas, escrevi cinco vezes "
        "para o suporte e até agora ninguém respondeu direito.",
        "it": "Aspetto il rimborso dell'ordine da tre settimane, ho scritto cinque volte "
        "all'assistenza clienti e finora nessuna risposta chiara.",
    }
    for code, sentence in texts.items():
        text = " ".join([sentence] * 5)
        assert len(text) > _language.PREFIX
        assert _language._detect(text).language == code
        assert classify(text).language == code


# The cheap test before the English token list (2026-12-03 evening) must never say no where
# the token list holds two English function words; cases built at its proof's edges.
_MARKER_EDGES = [
    "it's it",  # two markers of one head
    "i'm i've",
    "don't can't",  # heads that are no markers
    "rock'n'roll the and",
    "4the and",
    ":dthe and",
    "the\u2014and",  # a non-ASCII non-letter between runs
    "the\u2019s it\u2019s",  # curly apostrophes
    "@the and",  # a handle removed
    "#the #and",
    "the&amp;and",
    "thehttp://example.com/x and",  # noise beginning inside a run makes a new one
    "theurl_removed and",
    "url_removedthe and",
    "thewww.example.com and",
    "ab\ud800the and",  # a lone surrogate
    "THE AND",
    "the the",  # one marker twice: not two
    "is",
    "",
]


def _two_markers(text: str) -> bool:
    from rapport_sentiment.classifier import _core
    from rapport_sentiment.classifier._text import TOKEN, normalise

    toks = TOKEN.findall(normalise(_core._fold(text)))
    return len(_language.EN_MARKERS.intersection(toks)) >= 2


@pytest.mark.parametrize("text", [*_MARKER_EDGES, *_phrases()])
def test_the_marker_pretest_is_a_necessary_condition(text: str) -> None:
    from rapport_sentiment.classifier import _core

    if _two_markers(text):
        assert _language.may_hold_two_markers(_core._fold(text)), text


def test_the_marker_pretest_turns_other_languages_away() -> None:
    from rapport_sentiment.classifier import _core

    turned_away = [
        "Quiero hablar con una persona, no con un robot.",
        "Danke, das hat sofort geholfen!",
        "the the",
        "don't",
    ]
    for text in turned_away:
        assert not _language.may_hold_two_markers(_core._fold(text)), text
    assert _language.may_hold_two_markers("i'm sorry, it is late")
