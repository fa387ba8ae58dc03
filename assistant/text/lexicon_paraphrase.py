"""Word lists and tuning constants of the paraphrase judge (assistant/text/paraphrase.py).

Data, not logic: filler that is never praised, stance words that weigh little, a short
list of everyday near-paraphrases WordNet does not link, and the phrasings of mockery,
rebuttal, "you always / you never" and problem-solving.  Tuned on
tests/data/paraphrase_tuning.yaml only; the held-out part is only measured.
"""

from __future__ import annotations

import re

from .words import FILLER

SIM_SYNONYM = 0.9
SIM_RELATED = 0.7
SIM_SIBLING = 0.35
FREQ_DAMPING = 0.15
BETA = 2.0
SCALE = 1.25
"""F-beta of weighted recall and precision, times this, is the score (capped at 1)."""

ACKNOWLEDGE = frozenset(
    """hear heard hearing saying sounds sound seems seem guess mean understand see sure right okay ok
    yep yup mm mmm mhm hmm huh uh um totally noted gotcha alright cool fine true exactly absolutely
    definitely course""".split()
)
ENDEARMENTS = frozenset("baby babe honey darling sweetheart dear love sweetie hun".split())
ABSOLUTES = frozenset("always never ever every constantly forever".split())
EXTRA_STOP = frozenset(
    """since really just also even still anymore any again now one someone something anything everything
    nothing much many more most less lots lot thing things whole only way yet already ago us let
    would could should will can do does did done not no nobody none nor being been gets getting
    go goes went gone because cause cos until till while though although unless whether""".split()
)
STOP = FILLER | ACKNOWLEDGE | ENDEARMENTS | ABSOLUTES | EXTRA_STOP
"""Words that never count as content."""

NEVER_PRAISE = STOP | frozenset(
    "want need wish like love time make keep take put come came feel like without after before same "
    "up down out off over away back around through".split()
)
"""Words never named in praise even when they carried meaning."""

LIGHT = {w: 0.3 for w in "want need wish like would love make keep take put come use try know lot time day".split()}
LIGHT.update({w: 0.4 for w in "after before without during".split()})
"""Stance and everyday words that weigh little in the score."""

PHRASE_EDGE_STOP = frozenset(
    """a an the and or but so to of in on at for with about from by as into than my your our their his her
    its me you him them us we they i he she it this that these those is am are was were be""".split()
)
"""A WordNet phrase may not begin or end with these ("the bed" is not a phrase)."""

CONTRACTIONS = (
    ("n't", "not"),
    ("'re", "are"),
    ("'m", "am"),
    ("'ve", "have"),
    ("'ll", "will"),
    ("'d", "would"),
    ("'s", ""),
)
CONTRACTION_BASES = {"can't": "can", "won't": "will", "shan't": "shall", "ain't": "am"}

IRREGULAR = {
    "children": "child",
    "men": "man",
    "women": "woman",
    "people": "person",
    "feet": "foot",
    "teeth": "tooth",
    "went": "go",
    "gone": "go",
    "felt": "feel",
    "slept": "sleep",
    "kept": "keep",
    "made": "make",
    "paid": "pay",
    "said": "say",
    "told": "tell",
    "thought": "think",
    "bought": "buy",
    "brought": "bring",
    "caught": "catch",
    "spent": "spend",
    "sent": "send",
    "lost": "lose",
    "met": "meet",
    "ran": "run",
    "came": "come",
    "gave": "give",
    "took": "take",
    "ate": "eat",
    "drove": "drive",
    "forgot": "forget",
    "forgotten": "forget",
    "began": "begin",
    "wrote": "write",
    "spoke": "speak",
    "woke": "wake",
    "sat": "sit",
    "stood": "stand",
    "understood": "understand",
    "knew": "know",
    "grew": "grow",
    "threw": "throw",
    "fell": "fall",
    "found": "find",
    "held": "hold",
    "meant": "mean",
    "left": "leave",
    "slid": "slide",
    "hid": "hide",
    "broke": "break",
    "broken": "break",
    "chose": "choose",
}

NEAR_PARAPHRASES = (
    (
        "time to myself",
        "time to yourself",
        "time for myself",
        "time for yourself",
        "time alone",
        "alone time",
        "time on my own",
        "time on your own",
        "me time",
        "my own time",
        "your own time",
        "space to myself",
        "space to yourself",
    ),
    ("on my own", "on your own", "by myself", "by yourself", "alone"),
    ("phone", "phones", "mobile", "mobiles", "cellphone", "smartphone", "scrolling", "screen", "screens"),
    ("tv", "telly", "television"),
    ("parents", "mum and dad", "mom and dad", "mother and father", "folks", "in laws"),
    ("mum", "mom", "mother", "mummy", "mommy"),
    ("dad", "father", "daddy"),
    ("kids", "kid", "children", "child", "little ones"),
    ("evening", "evenings", "night", "nights", "nighttime", "at night"),
    ("chores", "housework", "house work"),
    ("laundry", "washing the clothes", "washing clothes", "the washing"),
    ("dinner", "supper", "meal", "meals", "evening meal"),
    ("tired", "exhausted", "worn out", "drained", "knackered", "shattered", "wiped out", "worn down", "run down"),
    ("stressed", "stressful", "stress", "tense", "under pressure", "pressured", "strained"),
    ("worried", "worry", "worries", "anxious", "nervous", "concerned", "uneasy"),
    ("scared", "afraid", "frightened", "fearful"),
    ("angry", "mad", "furious", "cross"),
    ("sad", "unhappy", "miserable"),
    ("hurt", "wounded", "stung"),
    ("forget", "forgot", "forgotten", "slipped my mind", "slipped your mind"),
    ("help", "support", "pitch in", "chip in", "lend a hand", "a hand"),
    ("sleep", "asleep", "fall asleep", "drop off", "nod off"),
    ("together", "the two of us", "just the two of us", "just us", "us two"),
    ("talk", "talking", "speak", "speaking", "chat", "chatting"),
)
GROUP_OF = {phrase: group[0] for group in NEAR_PARAPHRASES for phrase in group}
"""Everyday phrase -> its group's name (a token key shared by the whole group)."""

PERSON_SWAP = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "you": "i",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "am": "are",
    "are": "am",
}

ABSOLUTE = re.compile(r" (?:always|never|constantly|forever|every (?:single )?(?:time|day|night)|all the time) ")

MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "mocking",
        (
            r" boo ?hoo",
            r" boohoo",
            r" boo\b",
            r" bu+ ?hu+\b",
            r" wa+wa+h?\b",
            r" poor (?:you|thing|baby|little|me|darling)\b",
            r" you poor\b",
            r" cry me a river",
            r" wa+h(?: wa+h)*\b",
            r" here we go again",
            r" (?:big|such a) drama\b",
            r" drama queen",
            r" how terrible",
            r" whatever\b",
            r" yeah yeah",
            r" oh please",
            r" give me a break",
            r" aw+\b",
            r" so dramatic",
            r" little baby",
            r" diddums",
            r" get over it",
        ),
    ),
    (
        "rebuttal",
        (
            r" you are (?:exaggerating|overreacting|being dramatic|too sensitive|wrong|paranoid|imagining)",
            r"exaggerat\w*",
            r"overreact\w*",
            r" too sensitive",
            r" that (?:is )?not (?:true|fair)\b",
            r" not my fault",
            r" not what happened",
            r"^ but ",
            r" what about you",
            r" you do (?:it|that) too",
            r" you too\b",
            r" only trying to help",
            r" i do (?:so|too|loads|plenty|a lot|my share)\b",
            r" i did (?:it|them|that|my share)\b",
            r" you started",
            r" i am not the (?:one|only)\b",
            r" that is not (?:right|how)",
        ),
    ),
    (
        "always_never",
        (
            r" you (?:are |were )?(?:always|never|constantly|forever)\b",
            r" every (?:single )?time you\b",
            r" every single (?:night|day|time)\b",
        ),
    ),
    (
        "fixing",
        (
            r" you should\b",
            r" why (?:do not|not) (?:you|we)\b",
            r" have you tried",
            r" did you try",
            r" (?:you|we) could (?:just |always )?\w+",
            r"^ just \w+",
            r" let (?:us )?just\b",
            r" (?:you|we) need to (?:make|buy|get|cut|start|stop|tell|sort|fix|try)\b",
            r"^ (?:maybe )?try\b",
            r" maybe try\b",
            r" (?:will|would) fix (?:it|that|this)\b",
            r" the (?:answer|solution|trick) is\b",
            r" how about\b",
            r" what if you\b",
            r" i will (?:sort|fix|handle) (?:it|that|this)\b",
        ),
    ),
)
"""(category, regular expressions over " normalised words ") in the order they are checked."""
