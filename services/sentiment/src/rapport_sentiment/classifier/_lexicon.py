# ruff: noqa: E501  (regex and word tables read better unwrapped)
"""Hand-written word valences for customer-support text (-3 very negative .. +3 very positive).

Written for this project from domain knowledge, not copied from any published lexicon. Words
that are neutral in general English but negative in a support conversation ("delayed",
"stuck", "hold", "missing") carry a valence here; general vocabulary is covered by the learned
weights (``weights.tsv``).
"""

from __future__ import annotations


def _table(spec: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in spec.strip().splitlines():
        value, words = line.split(":", 1)
        for word in words.split():
            out[word] = float(value)
    return out


VALENCE: dict[str, float] = _table(
    """
    -3.0: worst horrible horrendous atrocious disgusting disgraceful pathetic appalling scam scammed scammers fraud fraudulent thieves thief stealing unacceptable furious livid nightmare hate hated hateful fucking fuck fucked shitty shit bullshit incompetent clowns
    -2.5: terrible awful useless ridiculous disgusted disgrace outrageous robbed lied liars lying rude ruined garbage trash joke sucks sucked suck crap crappy angry pissed screwed hell wtf disappointed disappointing disappointment shameful shame fml ugh smh inexcusable insulting unprofessional unhelpful clueless
    -2.0: bad poor worse failed fail fails failure failing broken stranded frustrated frustrating frustration annoyed annoying irritated upset unhappy sad miserable mess chaos horrid stupid dumb idiots idiot waste wasted wasting sick tired lost losing misplaced damaged destroyed overcharged overbooked stuck cancelled canceled cancellation cancellations nope never missed sorry apologize apologies regret worried concerned confusing confused
    -1.5: delayed delay delays delaying late problem problems issue issues error errors wrong missing unable trouble complaint complain complaining bummer unfortunately rebooked diverted misconnect stupidly hold holding waiting wait waited hours forever ages doesnt declined refused denied blocked locked locking excuse excuses expensive overpriced slow slowest dirty broke crashes crash crashed glitch bug buggy freezes frozen
    -1.0: again still cancel refund charged charge fee fees hassle difficult hard nobody noone nothing tried trying apparently supposedly seriously confusing empty lacking
    1.0: ok okay fine decent fair alright resolved fixed sorted works worked helped answered
    1.5: good nice cool glad happy pleased quick fast easy smooth helpful friendly comfortable enjoy enjoyed appreciate appreciated appreciative kind welcome safe ready hope hopefully pls please yay congrats congratulations
    2.0: thanks thank thx ty tysm thankyou great love loved loving lovely awesome excellent fantastic wonderful amazing impressed impressive perfect perfectly best brilliant beautiful superb stellar outstanding kudos grateful gratitude wow
    2.5: rock rocks legend legendary heroes hero exceptional incredible phenomenal
    """
)

# Emoji and emoticons: where they carry the meaning of a short message.
VALENCE.update(
    _table(
        """
        -2.5: 😡 🤬 😠 👎 💔 😤 🖕
        -2.0: 😞 😢 😭 😩 😫 😒 🙄 🤦 😑 😔 😟 😕 ☹ :( :-( :(( :'( ):
        -1.0: :/ :-/ :\\ :| :-| 😐 😬
        1.0: 🙏 😅 😉 ;) ;-) 😂 🤣 :p :-p
        2.0: 🙂 😊 😀 😃 😄 😁 👍 👏 🎉 ✨ 💯 🙌 ✈ :) :-) :)) :d :-d =) (:
        2.5: 😍 🥰 ❤ 💕 💖 💙 ❤️ 😘 <3 <33 <333
        """
    )
)

# General English, for messages that are not about a support problem at all.
VALENCE.update(
    _table(
        """
        -3.0: murdered murder killed killing kill dead death died dying deadly fatal tragic tragedy catastrophe catastrophic devastated devastating horrific terrified evil abuse abused racist rape raped torture
        -2.5: bitch whore bastard damn damned freaking fricking friggin cursed curse hopeless helpless depressed depressing depression miserable misery cruel violent violence war crash crashed attack attacked disaster toxic vile nasty gross ugly hurt hurts hurting pain painful ache agony suffer suffering grief grieving mourn cry crying cried tears heartbroken lonely alone afraid scared fear fearful panic anxious anxiety nervous dread
        -2.0: sore ill sickness disease cancer virus injury injured wound bleeding fever flu cough headache exhausted exhausting tired sleepy bored boring dull lame meh blah sigh argh grr hmph whine whining moan moaning complain grumpy cranky mad rage raging hostile jealous envy guilty guilt ashamed embarrassed embarrassing awkward lonely loser losers lose loses failing flop fiasco weak wrongly mistake mistakes unfair unjust wrongful stolen steal cheat cheated cheating liar fake phony shady sketchy dodgy creepy weird strange odd ugh ew eww yuck bad badly sadly regret regrets sorrow unlucky doomed ruin ruins wreck wrecked smash smashed shank shoot shot stab sting stung bite bitten
        -1.5: poorly difficult tough harsh hardly cold cheap messy noisy loud crowded cramped uncomfortable inconvenient inconvenience expensive pricey costly overrated underwhelming mediocre average unclear vague doubt doubtful skeptical suspicious risky danger dangerous unsafe warning alarm threat threatening
        1.0: interesting curious sure yes yeah yep yup true right correct fair useful handy reasonable clean quiet calm relax relaxed relaxing rest free bonus
        1.5: like likes liked fun funny laugh laughing laughed lol lmao haha hahaha hehe smile smiling smiles smiled cute sweet pretty fresh tasty yummy delicious tasty cozy warm bright sunny hope hoping hopeful excited exciting excite eager proud pride success successful win wins winning won victory celebrate celebrating celebration party cheers enjoying enjoys favorite favourite fave better improve improved improvement recommend recommended worth valuable support supportive care caring gentle generous honest fairly blessed bless lucky fortune fortunate peace peaceful healthy strong confident inspire inspired inspiring inspiration motivated creative clever smart intelligent talented skilled genius
        2.0: joy joyful glad delighted delight thrilled ecstatic elated cheerful grateful thankful gorgeous stunning adorable charming magnificent marvelous marvellous splendid terrific fabulous awsome awesomeness epic sweetest dear darling hug hugs kiss kisses xoxo congrat congrats invigorate invigorating refreshing yay yaay woo woohoo hooray hurray bravo
        2.5: paradise heaven heavenly blissful bliss triumph masterpiece spectacular breathtaking
        """
    )
)

# More everyday words, slang and laughter.
VALENCE.update(
    _table(
        """
        -2.5: horror horrifying hellish fuckers cunt wanker twat prick shitting pissing
        -2.0: annoy annoys irritate irritates frighten frightens frightening freezing scary spooky creep hating loathe despise dislike dislikes sucky burn burns burned burnt blast explosion obsolete dumbfounded misspell misspells misspelled outrage lousy rubbish shoddy flawed defective faulty unreliable ignored ignoring ignore neglected abandoned trapped hopeless pointless meaningless worthless unhappily terribly awfully horribly sadness sorrowful weep wept mourning
        -1.5: confuse confuses bother bothers bothered bothering worry worries worrying stress stressed stressful hassled overwhelmed nervous tense uneasy unsure doubtful disturbing disturbed upsetting shocking shocked bizarre weirdly nah
        1.0: yes yess yesss okey aight solid
        1.5: lolol lmfao rofl haha hahah hahaha hahahaha ahaha ahahaha ahahahaha hehehe xd ftw tgif woot w00t yippee amuse amused amuses amusing entertaining enjoyable cheer cheered cheering smiley giggle giggles giggled laughs welcoming comfy snug
        2.0: fab fabulous amazes amazed amazingly honored honoured honour honor hilarious excitement thrill thrilling awesomely beautifully wonderfully greatly loveliest nicest coolest
        """
    )
)

# Inflections of the words above ("annoys", "hating", "loved") count like the word itself.
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "est")
for _word, _value in list(VALENCE.items()):
    if not _word.isalpha() or len(_word) < 3:
        continue
    _stems = {_word, _word[:-1]} if _word.endswith("e") else {_word}
    for _stem in _stems:
        for _suffix in _SUFFIXES:
            VALENCE.setdefault(_stem + _suffix, _value)

# Words that intensify (or soften) the next valenced word.
BOOSTERS: dict[str, float] = {
    **dict.fromkeys(
        [
            "so",
            "very",
            "really",
            "extremely",
            "absolutely",
            "totally",
            "super",
            "incredibly",
            "completely",
            "utterly",
            "truly",
            "seriously",
            "such",
            "most",
            "highly",
            "deeply",
            "beyond",
        ],
        1.3,
    ),
    **dict.fromkeys(
        ["kinda", "kind", "sorta", "slightly", "somewhat", "bit", "little", "barely", "hardly"], 0.7
    ),
}

# After a negator these verbs mean that something the customer expected did not happen
# ("doesn't work", "never arrived", "can't log in"): negative even though neutral alone.
EXPECTATION_VERBS = frozenset(
    [
        "work",
        "works",
        "working",
        "worked",
        "receive",
        "received",
        "receiving",
        "arrive",
        "arrived",
        "arriving",
        "get",
        "got",
        "getting",
        "gotten",
        "load",
        "loads",
        "loading",
        "open",
        "opens",
        "opening",
        "respond",
        "responded",
        "responding",
        "response",
        "answer",
        "answered",
        "answering",
        "answers",
        "help",
        "helped",
        "helping",
        "reply",
        "replied",
        "replies",
        "show",
        "shows",
        "showing",
        "showed",
        "come",
        "came",
        "coming",
        "fix",
        "fixed",
        "fixing",
        "resolve",
        "resolved",
        "solve",
        "solved",
        "refund",
        "refunded",
        "accept",
        "accepted",
        "accepting",
        "let",
        "letting",
        "allow",
        "allowed",
        "access",
        "connect",
        "connecting",
        "log",
        "login",
        "sign",
        "signing",
        "update",
        "updated",
        "hear",
        "heard",
        "go",
        "went",
        "going",
        "return",
        "returned",
        "returning",
        "call",
        "called",
        "calling",
        "contact",
        "contacted",
        "process",
        "processed",
        "charge",
        "deliver",
        "delivered",
        "delivering",
        "ship",
        "shipped",
        "send",
        "sent",
        "sending",
        "pay",
        "paid",
        "book",
        "booked",
        "booking",
        "transfer",
        "transferred",
        "move",
        "moved",
        "one",
        "reply",
        "word",
        "way",
        "explanation",
        "apology",
        "notice",
        "update",
        "info",
        "information",
        "communication",
        "compensation",
        "refund",
        "help",
        "service",
        "signal",
        "wifi",
        "power",
        "luck",
        "idea",
        "clue",
    ]
)
EXPECTATION_VALENCE = -1.6

NEGATED_POSITIVE_FACTOR = -0.8  # "not good" is negative
NEGATED_NEGATIVE_FACTOR = -0.3  # "not bad" is mildly positive

# Words that name the problem or the task ("cancel", "refund", "issue", "waiting") rather than
# judge the company: a calm request is full of them. Together with swear words (which many
# calm requests carry too), they do not count as the customer's judgement, which is what tells
# a complaint from a request (see ``_core``).
_TASK = """
    cancel cancellation cancellations cancelled canceled refund charge charged fee fees problem
    problems issue issues error errors trouble wrong waiting wait waited hold holding delayed delay
    delays late missing unable declined blocked locked lost stuck complaint complain still again
    tried trying hours doesnt nothing nobody noone never sorry hard difficult fucking fuck fucked
    shit shitty damn damned bloody goddamn hell crap crappy freaking fricking friggin
    canceling cancelling cancels refunds refunded refunding charges charging troubles waits
    delaying declining blocking missed mistake mistakes errored
    fail fails failed failing crash crashes crashed crashing blank
"""
TASK_WORDS = frozenset(_TASK.split())
