# ruff: noqa: E501 (word tables read better unwrapped)
"""French and Italian, read as classes of error (lexicon-3.3, 2026-12-02). Written for this
project from knowledge of the languages (no published lexicon or data set copied, no dev
message read while writing them), like ``_lexicon_more``; accent-folded, stems end in ``*``.

The classes, each with the reasoning that fixes it (no constant here was fitted; a set
phrase's valence is that of the plain word it means: "pas mal"/"niente male" = "bien"/"bene",
2 on the -3..+3 scale):

* **Litotes and set phrases** whose words read the wrong way one by one: "pas mal" (good),
  "pas terrible"/"pas top" (poor), "pas de souci"/"sans problème" (reassurance, and their
  negator must not reach the next word), "n'importe quoi", "non vedo l'ora" (can't wait),
  "niente male", "meno male" (thank goodness), "che palle", "de rien"/"di niente" (you're
  welcome: "rien"/"niente" are negators and would flip the thanks after them). ``IDIOMS``:
  each becomes one token with its own valence that no negation reaches and that ends a
  negation's scope.
* **Negation scope**: punctuation (``, ; : .``) ends it (French and Italian, ``PUNCTUATED``) ("aucun problème,
  merci" is thanks, not "not thanks"); French restrictive "ne ... que" ("ce n'est que du
  bonheur") is no negation, so ``que``/``qu`` ends a scope opened by ``ne``/``n'`` alone;
  Italian "ne" is almost always the pronoun ("me ne vado", "ne ho tanti"), not "né", so it is
  no negator.
* **Intensifiers** (``BOOSTERS``) and Italian's "stra-" prefix ("strafigo" = very cool).
* **Tweet vocabulary and verb forms** (``MORE_FR_IT``): participles and conjugations the stems
  missed ("adorato", "aimée"), slang and abbreviations of posts ("ptdr", "gg", "ptn", "figata",
  "daje", "sfiga"), and a few emoji (``COMMON_FR_IT``, French and Italian readers).
"""

from __future__ import annotations

from ._langs import _lex

# (regex on the folded text, token, valence). A token is letters only (the tokeniser reads it
# as one word) and starts with "qq", which no word of these languages does.
IDIOMS: dict[str, tuple[tuple[str, str, float], ...]] = {
    "fr": (
        (
            r"\bpas\s+(?:si\s+|trop\s+)?mal\b(?!\s+d\b|\s+de\b|\s+des\b)",
            "qqpasmal",
            2.0,
        ),  # not "pas mal de" (a lot of)
        (
            r"\bpas\s+(?:tres\s+|trop\s+|si\s+)?(?:terrible|top|ouf|fou|folichon)s?\b",
            "qqpasterrible",
            -1.5,
        ),
        (
            r"\b(?:pas\s+de|aucun|sans)\s+(?:souci|soucis|probleme|problemes|pb|pbs)\b",
            "qqpasdesouci",
            1.0,
        ),
        (r"\bn\s*'?\s*importe\s+quoi\b", "qqnimporte", -2.0),
        (r"\b(?:de\s+rien|rien\s+de\s+grave)\b", "qqderien", 0.5),
        (r"\bmorte?s?\s+de\s+rire\b", "qqmortderire", 2.0),
        (r"\btant\s+mieux\b", "qqtantmieux", 1.5),
        (r"\btant\s+pis\b", "qqtantpis", -1.0),
        (r"\bca\s+craint\b", "qqcacraint", -2.0),
        (r"\bta\s+gueule\b|\bferme\s+ta\s+gueule\b", "qqtagueule", -2.5),
        (r"\bras\s+le\s+bol\b", "qqraslebol", -2.0),
        (r"\bj\s*'?\s*en\s+peux\s+plus\b", "qqjenpeuxplus", -2.0),
        (r"\bbon\s+courage\b", "qqboncourage", 1.0),
    ),
    "it": (
        (r"\bnon\s+vedo\s+l\s*'?\s*ora\b", "qqnonvedolora", 2.0),
        (
            r"\b(?:(?:niente|mica)\s+|non\s+(?:e\s+)?(?:poi\s+)?(?:cosi\s+)?)male\b",
            "qqnientemale",
            2.0,
        ),
        (r"\bmeno\s+male\b", "qqmenomale", 1.5),
        (
            r"\b(?:nessun|senza|zero)\s+problem[ai]\b|\bnon\s+c\s*'?\s*e\s+problema\b",
            "qqnessunproblema",
            1.0,
        ),
        (r"\b(?:di\s+niente|di\s+nulla|figurati|figuratevi|si\s+figuri)\b", "qqdiniente", 0.5),
        (r"\bche\s+palle\b|\bpalle\s+rotte\b|\brompe\s+(?:le\s+)?palle\b", "qqchepalle", -2.0),
        (r"\bche\s+(?:forte|figata|figo|fico|spettacolo)\b", "qqcheforte", 2.0),
        (r"\bin\s+bocca\s+al\s+lupo\b", "qqinboccaallupo", 1.5),
        (r"\bnon\s+ne\s+posso\s+piu\b", "qqnonnepossopiu", -2.0),
        (r"\bporca\s+(?:miseria|puttana|vacca|troia)\b", "qqporcamiseria", -2.0),
        (r"\bmi\s+(?:fa|fai|fanno|fate)\s+(?:schifo|cagare|pena)\b", "qqmifaschifo", -3.0),
    ),
}

# French restrictive "ne ... que": a scope opened by one of these alone ends at one of those.
RESTRICTIVE: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "fr": (frozenset(("ne", "n")), frozenset(("que", "qu"))),
}
# Italian "ne" (pronoun, far more common than "né") is no negator.
NOT_NEGATORS: dict[str, frozenset[str]] = {"it": frozenset(("ne",))}

BOOSTERS: dict[str, dict[str, float]] = {
    "fr": {
        "ultra": 1.4,
        "mega": 1.3,
        "absolument": 1.3,
        "particulierement": 1.2,
        "sacrement": 1.3,
        "terriblement": 1.4,
        "incroyablement": 1.4,
    },
    "it": {
        "estremamente": 1.4,
        "decisamente": 1.3,
        "particolarmente": 1.2,
        "assai": 1.3,
        "tantissimo": 1.4,
        "enormemente": 1.3,
        "mega": 1.3,
        "ultra": 1.3,
        "incredibilmente": 1.4,
        "terribilmente": 1.4,
        "davvero": 1.3,
    },
}
# Italian "stra-" + a word with a valence ("strafigo", "strapieno" stays unknown): x1.3.
STRA = 1.3

MORE_FR_IT: dict[str, dict[str, float]] = {
    "fr": _lex(
        p3="youpi gg mignonne* mignon mignons trognon* bg magnifiquement merveilleusement",
        p2="aimes aimez aimee aimees aimais aimait aimions ador* kiffant* kiffe kiffes ptdrr mdrr lol jpp felicitations remercie remerciements rassurant* gentiment fiere fier fiers chanceuse* encourag* motiv* genialissime ravie* yes ouais hate bravooo classe* ouaah waouh wow whaou",
        p1="enfin sympathique* okay dac oki impec pratique",
        n3="fdp ntm tg enfoire* enfoiree* pourriture* degueulasse* minable* honteuse*",
        n2="ptn rage rageant* rager enrage* saoule* gave gavee chelou zut flemme loose mediocre* deception nulos nullite* abuse* grrr ras-le-bol deteste* degoute* degoutee* pleure pleurer larmes horrible* galere* emmerd* chiotte* crise* insupportable*",
        n1="osef bof mouais bizarre louche ennuyant* claque* creve* hmm",
    ),
    "it": _lex(
        p3="ador* adorat* spettacolar* geniale geniali strepitos* stupendamente meravigliosamente bravissim* perfettamente",
        p2="figata figo fico fichi fighi daje dajee evvai wow fortunat* fortuna emozion* emozionant* orgoglio* orgogliosa orgoglioso fiero fiera fieri grandissim* simpaticissim* bellina bellino carino carina carini carine gentilissim* graziee grazieee ahah ahahah ahahahah ahahha bacioni bravooo bellooo auguroni stupenda",
        p1="finalmente okk",
        n3="schifezz* indegn* puttan* incompetent* vergognatevi vergognati ridicolo ridicoli cesso* merdos* fogna",
        n2="sfiga sfigat* imbarazzant* assurd* lacrime piangere piango miseria incapac* incapaci scandalos* disgraziat* porcheria* disgust* deludente* pessimamente furios* odiosa odiosi",
        n1="dispiac* mah bah boh pesante pesanti cavolo accidenti uffi stress* preoccupante*",
    ),
}

# Languages whose reader ends a negation at punctuation and reads ``COMMON_FR_IT``.
PUNCTUATED = frozenset(("fr", "it"))

# Emoji and emoticons missing from the common list (French and Italian readers).
COMMON_FR_IT = _lex(
    p2="🔥 😜 😝 😛 🤪 🙈 😏 💞 ❣ ❣️ 🫶 🥹",
    n2="🤡 😐 😶 🥺",
    n1="🤷",
)
