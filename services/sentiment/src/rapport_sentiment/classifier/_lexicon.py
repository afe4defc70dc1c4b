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

# Words that intensify (or soften) the next valenced word.
BOOSTERS: dict[str, float] = {
    **dict.fromkeys(
        ["so", "very", "really", "extremely", "absolutely", "totally", "super", "incredibly", "completely", "utterly", "truly", "seriously", "such", "most", "highly", "deeply", "beyond"],
        1.3,
    ),
    **dict.fromkeys(["kinda", "kind", "sorta", "slightly", "somewhat", "bit", "little", "barely", "hardly"], 0.7),
}

# After a negator these verbs mean that something the customer expected did not happen
# ("doesn't work", "never arrived", "can't log in"): negative even though neutral alone.
EXPECTATION_VERBS = frozenset(
    ["work", "works", "working", "worked", "receive", "received", "receiving", "arrive", "arrived", "arriving", "get", "got", "getting", "gotten", "load", "loads", "loading", "open", "opens", "opening", "respond", "responded", "responding", "response", "answer", "answered", "answering", "answers", "help", "helped", "helping", "reply", "replied", "replies", "show", "shows", "showing", "showed", "come", "came", "coming", "fix", "fixed", "fixing", "resolve", "resolved", "solve", "solved", "refund", "refunded", "accept", "accepted", "accepting", "let", "letting", "allow", "allowed", "access", "connect", "connecting", "log", "login", "sign", "signing", "update", "updated", "hear", "heard", "go", "went", "going", "return", "returned", "returning", "call", "called", "calling", "contact", "contacted", "process", "processed", "charge", "deliver", "delivered", "delivering", "ship", "shipped", "send", "sent", "sending", "pay", "paid", "book", "booked", "booking", "transfer", "transferred", "move", "moved", "one", "reply", "word", "way", "explanation", "apology", "notice", "update", "info", "information", "communication", "compensation", "refund", "help", "service", "signal", "wifi", "power", "luck", "idea", "clue"]
)
EXPECTATION_VALENCE = -1.6

NEGATED_POSITIVE_FACTOR = -0.8  # "not good" is negative
NEGATED_NEGATIVE_FACTOR = -0.3  # "not bad" is mildly positive
