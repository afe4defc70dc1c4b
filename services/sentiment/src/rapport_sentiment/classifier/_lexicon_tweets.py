"""Post and chat spellings of es/de/fr/pt/it (lexicon-3.4, 2026-12-02). Written for this project
from knowledge of the languages as people type them in posts and chats (no published lexicon
or data set copied, no dev message read while writing them); accent-folded, stems end in ``*``.
No constant here was fitted: an abbreviation weighs as the words it stands for ("jtm" = "je
t'aime", "tvb" = "ti voglio bene", 3; "dsl" = "désolé", -1), a spelling variant of a booster
as the booster ("tro" = "trop").

The classes:

* **Negators as typed**: fr "pa" (pas), it/fr "nn" (non), it "manco" and "mica" (not even /
  not at all: "mica bello", "manco funziona"), pt "n" (the usual short form of "não": "n
  gostei", "n sei"; an "ñ" folds to "n" too), de "nich" and "nix" (nicht, nichts).
* **Boosters as typed**: fr "tro"/"trp" (trop), "tlm" (tellement), "vrmt" (vraiment), "grv"
  (grave); it "mlt" (molto), "tnt" (tanto); pt "mtt"; es "mui" (muy), "mazo" (Spain: very);
  de "völlig" (completely: the table had only "voll"), "krass", "übelst" (very, in posts).
* **Abbreviations and slang of posts** (``MORE_TWEETS``): love and thanks ("jtm", "tvb", "tqm",
  "hdl", "obg", "tmj"), reassurance ("tkt", "ntp"), "cool" words ("chido", "chingón"), the
  exasperated swearing of posts ("ptain", "pqp", "krl", "ptm", "alv"), mockery of a person
  ("bouffon", "guignol", "pagliaccio", "buffone", "boloss"), and Italian "grande!" (praise; as an
  adjective beside a problem word it is outweighed: +1 against the problem's -2).
* **German ß** (``sharp_s_variants``): the German table is written in ASCII ("scheiss*",
  "hass*", "spass"), but posts write "scheiß", "Scheiße", "Hass", "Spaß": folding keeps ß (it
  has no accent to drop, and the fold keeps the text's length), so "scheiße" read as nothing.
  Every German entry with "ss" also gets its "ß" spelling (both spellings exist in German:
  after a long vowel or a diphthong the standard spelling is ß).
* Two emoji for French and Italian (with ``COMMON_FR_IT``): 🙃 (the upside-down face of irony
  and resignation, -1) and 😅 (a nervous laugh, +1).
"""

from __future__ import annotations

from ._langs import _lex

NEGATORS_MORE: dict[str, frozenset[str]] = {
    "fr": frozenset(("pa", "nn")),
    "it": frozenset(("nn", "manco", "mica")),
    "pt": frozenset(("n",)),
    "de": frozenset(("nich", "nix")),
}

BOOSTERS_MORE: dict[str, dict[str, float]] = {
    "fr": {"tro": 1.3, "trp": 1.3, "tlm": 1.4, "vrmt": 1.3, "grv": 1.3},
    "it": {"mlt": 1.4, "tnt": 1.3},
    "pt": {"mtt": 1.4},
    "es": {"mui": 1.4, "mazo": 1.3},
    "de": {"vollig": 1.3, "voellig": 1.3, "krass": 1.3, "ubelst": 1.4, "uebelst": 1.4},
}

MORE_TWEETS: dict[str, dict[str, float]] = {
    "fr": _lex(
        p3="jtm jtaime jvousaime jtadore",
        p2="cimer tkt youhou xptdr",
        p1="oklm",
        n2="ptain boloss* bouffon* guignol*",
        n1="dsl pff",
    ),
    "it": _lex(
        p3="tvb tvtb tat",
        p1="grande grandi speriamo spero",
        n2="buffon* pagliacc* bufal* dimettiti dimettetevi",
    ),
    "es": _lex(
        p3="tqm tkm",
        p2="chido chida chidos chidas chingon* cool nice",
        p1="ntp",
        n3="ctm",
        n2="ptm alv pinche* chingad*",
    ),
    "pt": _lex(
        p2="obg obgd tmj cool nice",
        p1="blz",
        n2="pqp krl",
    ),
    "de": _lex(
        p3="hdl hdgdl",
        p2="nice süß* suess*",
    ),
}

# French and Italian readers only, as ``COMMON_FR_IT``.
EMOJI_FR_IT = _lex(p1="😅", n1="🙃")


def sharp_s_variants(lexicon: dict[str, float]) -> dict[str, float]:
    """The "ß" spelling of every entry written with "ss" ("scheiss*" -> "scheiß*")."""
    return {w.replace("ss", "ß"): v for w, v in lexicon.items() if "ss" in w}
