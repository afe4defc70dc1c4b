"""Wishes, greetings and interjections of posts in es/de/fr/pt/it (lexicon-3.5, 2026-12-03).
Written for this project from knowledge of the languages (no published lexicon or data set
copied, no dev message read while writing them); accent-folded except German, which keeps its
umlauts (``_multi.fold_keep_umlauts``; each German entry is written with "ae/oe/ue" and gets
its umlaut spelling from ``_multi``). Stems end in ``*``. No constant was fitted: each entry
weighs as the plain word it means (valence 2 for a wish or thanks, as "gracias"/"danke"; 1 for
a mild word; 3 where the table's strongest praise word of the same meaning has 3).

How the gaps were found: per language, the reader was asked for the valence of the wishes,
thanks and interjections we would expect in posts (our own list, written first), and the words
it did not read are the entries below; an entry is added only if no entry already reads it
(``_multi._add_uncovered``), so nothing here changes a word the tables already read.

* **Interjections shared by posts in every language** (``COMMON_POSTS``): "wow" and "yay" (the
  French and Italian tables had "wow", the German "yay"), the laughter abbreviation "lmao", the
  outline heart "♡" (the table had "♥" and "❤" only), the growls "argh" and "grr" (elongated
  "grrrr" is cut back to "grr" by the reader) and the shrug "meh" (-1).
* **German wishes and thanks**: "Glückwunsch" (congratulations; the table had "gratulier*"
  only), "herzlich" (warm, heartfelt: "herzlich willkommen", "herzlichen Dank"), "willkommen",
  "froh"/"frohe" (glad; "frohe Weihnachten"), "fröhlich", "stolz" (proud), "Dankeschön",
  "Dank" ("vielen Dank"), hugs and kisses ("umarm*", "Kuss", "Küsse"); and two common
  post words of blame: "ätzend" (awful), "mies" (lousy).
* **Italian**: "buon" (the elided "buono": "buon compleanno", "buon lavoro"; the table had
  "buona"), "benvenut*" (welcome).
* **Spanish**: "ánimos" (the plural of "ánimo", cheer up).
* **French "pas mal de"** (quite a lot of: "pas mal de bugs") is a quantity, one token of
  valence 0 (``IDIOMS_POSTS``): "mal" negated by "pas" weighs +0.6, which the English positive
  cut (0.2) left neutral and the fitted cut of lexicon-3.5 (0.05) reads as praise; "pas mal"
  alone stays the litotes of lexicon-3.3 (good).
* **Portuguese**: "arrasou"/"arrasa"/"arrasando" (nailed it), "decepção" (the table had the
  "decepcion*" forms only).
"""

from __future__ import annotations

from ._langs import _lex

COMMON_POSTS: dict[str, float] = _lex(
    p2="wow yay lmao lmfao ♡",
    n2="argh grr",
    n1="meh",
)

MORE_POSTS: dict[str, dict[str, float]] = {
    "de": _lex(
        p3="glueckwunsch*",
        p2="herzlich* willkommen froh frohe froehlich* stolz dankeschoen dank umarm* kuss kuesse"
        " kuesschen",
        n2="aetzend mies",
    ),
    "it": _lex(p2="buon benvenut*"),
    "es": _lex(p2="animos"),
    "pt": _lex(p2="arrasou arrasa arrasando", n2="decepcao"),
}


# Set phrases read as one token (``_multi.IDIOMS``: regex on the folded text, token, valence).
IDIOMS_POSTS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "fr": ((r"\bpas\s+mal\s+d(?:e\b|es\b|')", "qqpasmalde", 0.0),),
}
