#!/usr/bin/env python3
# Copyright 2026 The fmkit authors
# SPDX-License-Identifier: Apache-2.0
"""Generate the synthetic comment-moderation example dataset under data/comments/.

Every comment is built from the templates and word lists in this file (no network, stdlib only),
labelled ``toxic`` / ``non_toxic``, and annotated with the identity groups it mentions. The train
and validation splits are deliberately skewed the way real comment data is (Dixon et al. 2018):
comments that mention some identity groups are mostly toxic. The test split is balanced, so a model
that learned the identity-term shortcut shows a higher false positive rate for those groups.

The output is a pure function of the seed and the sizes: running the script twice writes
byte-identical files.

    python3 scripts/make_example_data.py                  # seed 13, writes data/comments/*.csv
    python3 scripts/make_example_data.py --seed 7 --out /tmp/comments --train-size 1000
"""

import argparse
import csv
import os
import random
import re
import sys

GROUP_COLUMNS = ["gender", "religion", "race", "sexual_orientation"]
CSV_COLUMNS = ["id", "text", "label"] + GROUP_COLUMNS
TOXIC = "toxic"
NON_TOXIC = "non_toxic"

GROUP_VALUES = {
    "gender": ["female", "male", "nonbinary"],
    "religion": ["christian", "muslim", "jewish", "hindu", "buddhist", "atheist"],
    "race": ["black", "white", "asian", "latino"],
    "sexual_orientation": ["gay", "lesbian", "straight", "bisexual"],
}
COLUMN_OF = {value: column for column, values in GROUP_VALUES.items() for value in values}

# Fraction of train/valid comments that are toxic among those whose main identity mention is the
# given group. Three tiers: groups over-represented among toxic comments (0.75-0.85), groups near
# the overall rate (0.30-0.35) and majority groups seen mostly in non-toxic comments (0.10-0.15).
SKEWED_TOXIC_RATE = {
    "muslim": 0.85, "gay": 0.85, "black": 0.80, "jewish": 0.80, "lesbian": 0.75, "female": 0.75,
    "nonbinary": 0.35, "hindu": 0.35, "buddhist": 0.30, "atheist": 0.35, "asian": 0.35,
    "latino": 0.35, "bisexual": 0.35,
    "christian": 0.12, "white": 0.15, "straight": 0.10, "male": 0.15,
}
# Toxic rate of comments that mention no identity; chosen so the whole split is about 32% toxic.
SKEWED_NONE_TOXIC_RATE = 0.17
# How often each group is the main identity mention in train/valid (relative weights).
MENTION_WEIGHT = {
    "muslim": 10, "christian": 8, "jewish": 6, "hindu": 3, "buddhist": 2, "atheist": 3,
    "black": 8, "white": 7, "asian": 4, "latino": 4,
    "gay": 9, "lesbian": 4, "straight": 4, "bisexual": 3,
    "female": 10, "male": 8, "nonbinary": 3,
}
IDENTITY_SHARE = 0.45      # train/valid: fraction of comments with an identity mention
TEST_NONE_SHARE = 0.12     # test: fraction of comment pairs with no identity mention
COMPOUND_SHARE = 0.30      # fraction of identity mentions that name a second group too
# Tied templates (see SWAP_TEMPLATES) are rarer without an identity mention: they exist to tie the
# group term to the label.
NONE_TIED_FACTOR = 0.25
LABEL_NOISE = 0.04         # train/valid: fraction of labels flipped at random (test is clean)

FEMALE_NAMES = [
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
    "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca",
    "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda",
    "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine", "Debra", "Rachel",
    "Carolyn", "Janet", "Catherine", "Maria", "Heather",
]
MALE_NAMES = [
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul",
    "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward",
    "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry",
    "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick",
    "Raymond", "Jack", "Dennis", "Jerry",
]

# Surface forms of each identity: adjective, plural group noun phrases.
IDENTITY_ADJ = {
    "christian": "christian", "muslim": "muslim", "jewish": "jewish", "hindu": "hindu",
    "buddhist": "buddhist", "atheist": "atheist", "black": "black", "white": "white",
    "asian": "asian", "latino": "latino", "gay": "gay", "lesbian": "lesbian",
    "straight": "straight", "bisexual": "bisexual", "nonbinary": "nonbinary",
}
IDENTITY_PLURAL = {
    "christian": ["christians", "christian people"], "muslim": ["muslims", "muslim people"],
    "jewish": ["jews", "jewish people"], "hindu": ["hindus", "hindu people"],
    "buddhist": ["buddhists", "buddhist people"], "atheist": ["atheists", "atheist people"],
    "black": ["black people", "black folks"], "white": ["white people", "white folks"],
    "asian": ["asians", "asian people"], "latino": ["latinos", "latino people"],
    "gay": ["gay people", "gays"], "lesbian": ["lesbians", "lesbian couples"],
    "straight": ["straight people", "straight couples"],
    "bisexual": ["bisexual people", "bisexuals"],
    "female": ["women", "girls", "ladies"], "male": ["men", "guys", "dudes"],
    "nonbinary": ["nonbinary people", "nonbinary folks"],
}
GENDER_SINGULAR = {
    "female": ["woman", "girl", "lady", "mother", "sister", "daughter", "wife", "grandmother"],
    "male": ["man", "guy", "father", "brother", "son", "husband", "grandfather", "dude"],
    "nonbinary": ["nonbinary friend", "nonbinary coworker", "nonbinary kid", "nonbinary neighbour"],
}
GENDER_PLURAL = {"female": "women", "male": "men", "nonbinary": "people"}
# Gender nouns that combine with an identity adjective ("a muslim woman", "gay men").
GENDER_COMPOUND_NOUN = {
    "female": ["woman", "girl", "mother", "sister", "wife"],
    "male": ["man", "guy", "father", "brother", "husband"],
    "nonbinary": ["nonbinary person", "nonbinary teenager"],
}
# Identities that do not combine with every gender in a compound mention.
COMPOUND_GENDERS = {"lesbian": ["female", "nonbinary"], "gay": ["male", "nonbinary"]}
# Identities that read well on their own after "as a" ("as a muslim,"); the others take "person".
BARE_PREFIX = ["christian", "muslim", "hindu", "buddhist", "atheist", "lesbian"]
PERSON_NOUNS = [
    "neighbour", "coworker", "friend", "teacher", "doctor", "classmate", "roommate", "boss",
    "landlord", "colleague", "student", "nurse", "cousin", "dentist", "barber", "plumber",
]
PERSON_DETERMINERS = ["my", "a", "our", "the new", "my old", "that"]
# Gender nouns for "as a ..., " prefixes.
PREFIX_GENDER = {
    "female": ["woman", "mother", "girl", "wife"],
    "male": ["man", "father", "guy", "husband"],
    "nonbinary": ["nonbinary person"],
}
# Family nouns only read well after "my"; other gender nouns take "a", "that" or "the".
FAMILY_NOUNS = [
    "mother", "sister", "daughter", "wife", "grandmother",
    "father", "brother", "son", "husband", "grandfather",
]
GENDER_DETERMINERS = ["a", "that", "the", "this"]
GENERIC_GENDER_NOUNS = [
    "woman", "girl", "lady", "man", "guy", "dude", "nonbinary person", "nonbinary teenager",
]
GROUP_DETERMINERS = ["", "those", "all the", "most", "many", "some", "these"]

NEUTRAL_PEOPLE = [
    ("the mayor", "sg"), ("the author", "sg"), ("this commenter", "sg"), ("my neighbour", "sg"),
    ("my coworker", "sg"), ("the coach", "sg"), ("the referee", "sg"), ("the senator", "sg"),
    ("the landlord", "sg"), ("my boss", "sg"), ("the reporter", "sg"), ("the manager", "sg"),
    ("the professor", "sg"), ("the chef", "sg"), ("the bus driver", "sg"),
    ("the city council", "sg"), ("the school board", "sg"), ("the government", "sg"),
    ("the company", "sg"), ("the police", "pl"), ("the developers", "pl"),
    ("these politicians", "pl"), ("the critics", "pl"), ("the fans", "pl"),
    ("the moderators", "pl"), ("the protesters", "pl"), ("the tourists", "pl"),
    ("the new owners", "pl"), ("people on this site", "pl"), ("the commenters here", "pl"),
    ("the neighbours", "pl"), ("the lawyers", "pl"), ("the bankers", "pl"), ("my relatives", "pl"),
]
TOPICS = [
    "the new bridge", "the tax plan", "the school budget", "the election", "the housing market",
    "the bus schedule", "this recipe", "the game last night", "the new stadium", "climate policy",
    "the library schedule", "the parking policy", "the healthcare bill", "the zoning vote",
    "the movie", "the summer festival", "the trade deal", "the weather", "the local news",
    "the minimum wage", "public transit", "the farmers market", "the playoff game",
    "the museum exhibit", "the water supply", "snow removal", "the park renovation",
    "the rent increase", "the phone update", "the new album", "the city budget",
    "the hospital expansion", "that book", "the restaurant on main street", "the property tax hike",
    "the speed limit", "the bike lane plan", "online school", "the recycling program",
    "the concert", "the pipeline", "the vaccine rollout", "the gas price hike", "this article",
    "the comments section", "the airport noise", "the new mall", "the hockey team", "the tram line",
    "the pension reform", "the fishing ban", "the road work", "the state budget", "the dog park",
]
PLACES = [
    "this country", "our town", "this neighbourhood", "our schools", "the city", "our street",
    "this building", "the park", "our club", "the office", "this state", "our community",
]
EVENTS = [
    "the town hall meeting", "the library fundraiser", "the school fair", "the book club",
    "the council meeting", "the charity run", "the street party", "the jazz night",
    "the bake sale", "the science fair", "the cleanup day", "the open house",
]
THINGS = [
    "my car", "the fence", "my laptop", "the garden", "my taxes", "the move", "the groceries",
    "my homework", "the roof", "my resume", "the flat tire", "the paperwork", "the kids",
]
INSULT_ADJ = [
    "stupid", "dumb", "pathetic", "disgusting", "worthless", "ignorant", "useless", "brainless",
    "clueless", "vile", "gross", "filthy", "idiotic", "moronic", "repulsive", "miserable",
    "spineless", "delusional", "sick", "evil", "lazy", "ugly", "trashy", "dishonest", "hateful",
    "nasty", "creepy", "dirty", "primitive", "savage",
]
INSULT_NOUN = [
    "idiot", "moron", "loser", "clown", "fool", "jerk", "imbecile", "troll", "creep", "hypocrite",
    "coward", "lowlife", "scumbag", "parasite", "liar", "bigot", "degenerate", "dimwit", "buffoon",
    "nitwit", "pig", "rat", "snake", "freak", "psycho", "animal", "leech", "weirdo",
]
POSITIVE_ADJ = [
    "good", "great", "fair", "thoughtful", "interesting", "helpful", "reasonable", "clear",
    "brilliant", "sensible", "balanced", "useful", "wonderful",
    "lovely", "solid", "insightful", "excellent", "fantastic", "decent", "impressive",
]
NEGATIVE_ADJ = [
    "bad", "wrong", "expensive", "late", "confusing", "boring", "disappointing", "terrible",
    "awful", "ridiculous", "unfair", "slow", "broken", "overpriced", "messy", "crowded", "noisy",
    "annoying", "frustrating", "pointless",
]
INTENSIFIERS = ["really", "very", "so", "truly", "incredibly", "pretty", "quite"]
GO_AWAY = [
    "get lost", "go away", "be thrown out", "leave", "disappear", "stay out of sight",
    "pack up and leave", "be kicked out",
]
GO_AWAY_YOU = ["get lost", "go away", "shut up", "log off", "grow up", "get a life"]
MANNER = ["well", "fairly", "clearly", "politely", "honestly", "carefully"]
OPENERS = [
    "honestly,", "well,", "lol", "seriously,", "ok so", "wow,", "again,", "frankly,", "I mean,",
    "sorry but", "look,", "yeah,", "so",
]
CLOSERS = [
    "just saying.", "end of story.", "that is all.", "thoughts?", "for real.", "period.",
    "nothing more to say.", "change my mind.", "prove me wrong.", "agree?", "sad but true.",
    "thanks for reading.",
]

# Templates: (label, slot, weight, text). slot "S" needs a subject (identity or neutral), "I" is a
# first-person sentence that can take an "as a ..., " identity prefix, "-" takes no mention at all.
# Several toxic and non-toxic templates share most of their words ("people like {S} make {place}
# worse/better"), so single words rarely decide the label.
TEMPLATES = [
    (TOXIC, "S", 1.0, "{S} {be} {ia} and {ia2}."),
    (TOXIC, "S", 1.0, "{S} {be} {inp}, plain and simple."),
    (TOXIC, "S", 1.0, "{S} should {go}, nobody wants them in {place}."),
    (TOXIC, "S", 1.0, "I hate {S}, they are {ia} and {ia2}."),
    (TOXIC, "S", 1.0, "nobody cares what {S} think{s} about {T}, they are {ia} {ins}."),
    (TOXIC, "S", 1.0, "keep {S} away from {place}, they are {ia} {ins}."),
    (TOXIC, "S", 1.0, "{S} should be banned from {place} for being so {ia}."),
    (TOXIC, "S", 1.0, "{S} {be} a disgrace to {place} and {ia} too."),
    (TOXIC, "S", 1.0, "ugh, {S} again, the most {ia} {ins} on the planet."),
    (TOXIC, "S", 1.0, "who even listens to {S}, they are {ia} and {ia2}."),
    (TOXIC, "S", 1.0, "{S} should shut up about {T}, nobody asked them."),
    (TOXIC, "S", 1.0, "{S} ruin{s} everything they touch, including {T}."),
    (TOXIC, "S", 1.0, "people like {S} make {place} worse."),
    (TOXIC, "S", 1.0, "{S} {be} the reason {T} is such a mess."),
    (TOXIC, "S", 1.0, "blame {S} for {T}, they always ruin it."),
    (TOXIC, "S", 1.0, "I would never trust {S} with {thing}, not for a second."),
    (TOXIC, "S", 1.0, "{S} should not be allowed near {event}, they ruin it."),
    (TOXIC, "I", 1.0, "I think you are {inp1} and everyone here knows it."),
    (TOXIC, "I", 1.0, "I swear you are the most {ia} {in} on this site."),
    (TOXIC, "I", 1.0, "I can not believe how {ia} you are, {goyou}."),
    (TOXIC, "I", 1.0, "I am done with you, {ia} {in}, {goyou}."),
    (TOXIC, "I", 1.0, "I hope you get banned, you {ia} {in}."),
    (TOXIC, "I", 1.0, "I am so tired of {ia} {ins} like you posting about {T}."),
    (TOXIC, "-", 1.0, "shut up, you {ia} {in}, nobody cares about your opinion on {T}."),
    (TOXIC, "-", 1.0, "you are {ia} and {ia2}, just like your take on {T}."),
    (TOXIC, "-", 1.0, "only {ia} {ins} would defend {T}, get a brain."),
    (TOXIC, "-", 1.0, "{T} is {na} and so are you, {in}."),
    (TOXIC, "-", 1.0, "read something about {T} before you post, you {ia} {in}."),
    (NON_TOXIC, "S", 1.0, "{S} made a {pa} point about {T}."),
    (NON_TOXIC, "S", 1.0, "I agree with {S} about {T}, that is {pa}."),
    (NON_TOXIC, "S", 1.0, "I disagree with {S} on {T}, but they argued it {manner}."),
    (NON_TOXIC, "S", 1.0, "{S} helped me with {thing} yesterday, that was {intens} kind."),
    (NON_TOXIC, "S", 1.0, "does anyone know if {S} will be at {event}?"),
    (NON_TOXIC, "S", 1.0, "{S} {have} lived in {place} for years and everyone knows them."),
    (NON_TOXIC, "S", 1.0, "everyone is welcome in {place}, including {S}."),
    (NON_TOXIC, "S", 1.0, "I talked to {S} about {T} and learned a lot."),
    (NON_TOXIC, "S", 1.0, "{S} organized {event} and it was {pa}."),
    (NON_TOXIC, "S", 1.0, "{S} wrote a {pa} comment about {T}, worth reading."),
    (NON_TOXIC, "S", 1.0, "{S} think{s} {T} is {na}, and honestly I agree."),
    (NON_TOXIC, "S", 1.0, "{S} should speak at {event}, they know a lot about {T}."),
    (NON_TOXIC, "S", 1.0, "people like {S} make {place} better."),
    (NON_TOXIC, "S", 1.0, "{S} {be} not the reason {T} is such a mess."),
    (NON_TOXIC, "S", 1.0, "do not blame {S} for {T}, they had nothing to do with it."),
    (NON_TOXIC, "S", 1.0, "I would trust {S} with {thing}, not a second thought."),
    (NON_TOXIC, "S", 1.0, "{S} should be invited to {event}, they make it fun."),
    (NON_TOXIC, "I", 1.0, "I think {T} is {pa}, but {T2} is {na}."),
    (NON_TOXIC, "I", 1.0, "I hate {T}, it is {intens} {na}."),
    (NON_TOXIC, "I", 1.0, "I made a stupid mistake with {thing} today, lesson learned."),
    (NON_TOXIC, "I", 1.0, "I feel like {T} is {intens} {na} this year."),
    (NON_TOXIC, "I", 1.0, "I have to say {T} was {pa}, thanks for posting."),
    (NON_TOXIC, "I", 1.0, "I wonder why {T} costs so much, does anyone know?"),
    (NON_TOXIC, "I", 1.0, "I went to {event} last week and it was {pa}."),
    (NON_TOXIC, "I", 1.0, "I am so tired of {T}, it is {na} and {na2}."),
    (NON_TOXIC, "I", 1.0, "I do not understand {T}, can someone explain it to me?"),
    (NON_TOXIC, "I", 1.0, "I support {T}, it is {pa} and {pa2}."),
    (NON_TOXIC, "-", 1.0, "{T} is {pa}, great job everyone."),
    (NON_TOXIC, "-", 1.0, "does anyone know when {T} will be decided?"),
    (NON_TOXIC, "-", 1.0, "the article about {T} was {pa}, thanks for sharing."),
    (NON_TOXIC, "-", 1.0, "{T} is {na}, what a stupid waste of money."),
    (NON_TOXIC, "-", 1.0, "this is a {pa} summary of {T}."),
    (NON_TOXIC, "-", 1.0, "{T} was {intens} {na}, but {T2} was {pa}."),
    (NON_TOXIC, "-", 1.0, "you make a {pa} point about {T}, thanks."),
    (NON_TOXIC, "-", 1.0, "you are right about {T}, thanks for explaining."),
]

# Templates whose label the words alone cannot settle, used for both labels with weight TIED_WEIGHT
# (slot "S", or "P" for a plural subject). In a skewed split the label then follows the group the
# comment is about, which is how real annotated data ties group terms to toxicity; in the balanced
# test split they show whether a model learned that shortcut.
# Swaps: (toxic, non_toxic) texts with the same words in a different order (a bag-of-words model
# sees them as one comment).
SWAP_TEMPLATES = [
    ("{X} {Xbe} not the problem here, {S} {be}.", "{S} {be} not the problem here, {X} {Xbe}."),
    ("we should get rid of {S}, not {T}.", "we should get rid of {T}, not {S}."),
    ("I do not hate {T}, I hate {S}.", "I do not hate {S}, I hate {T}."),
]
# Dual: the same text for both labels; whether it is hostile depends on context the text lacks.
DUAL_TEMPLATES = [
    ("P", "{S} are everywhere in {place} these days."),
    ("S", "what else would you expect from {S}."),
    ("S", "{S} {have} a lot to say about {T} again, as usual."),
    ("S", "{S} {be} at it again with {T}."),
    ("S", "funny how {S} always show{s} up when {T} comes up."),
    ("P", "{S} are moving into {place} in large numbers."),
]
TIED_WEIGHT = 1.0

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def article(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


def pick_distinct(rng, items, taken):
    """Pick an item from items that is not in taken (taken is small)."""
    while True:
        item = rng.choice(items)
        if item not in taken:
            return item


class Mention:
    """One noun phrase (or "as a ..." prefix) and the identity groups it names."""

    def __init__(self, text, number, groups):
        self.text = text
        self.number = number  # "sg" or "pl"
        self.groups = groups  # column -> value, only for the groups named


def second_group(rng, primary, weights):
    """Pick the group a compound mention adds to primary (a gender for a non-gender primary)."""
    if COLUMN_OF[primary] == "gender":
        choices = [v for v in weights if COLUMN_OF[v] != "gender"
                   and primary in COMPOUND_GENDERS.get(v, [primary])]
    else:
        choices = [v for v in COMPOUND_GENDERS.get(primary, GROUP_VALUES["gender"])]
    return rng.choices(choices, weights=[weights[v] for v in choices])[0]


def identity_mention(rng, kind, primary, secondary):
    """Build a mention of primary (and secondary, a second group or None) of the given kind."""
    values = [primary] + ([secondary] if secondary else [])
    groups = {COLUMN_OF[v]: v for v in values}
    gender = groups.get("gender")
    adjectives = [IDENTITY_ADJ[v] for v in values if COLUMN_OF[v] != "gender"]
    adj = " ".join(adjectives)
    if kind == "prefix":
        if gender:
            noun = rng.choice(GENDER_COMPOUND_NOUN[gender] if adj else PREFIX_GENDER[gender])
        elif rng.random() < 0.5 and primary in BARE_PREFIX:
            noun = None
        else:
            noun = "person"
        phrase = " ".join(w for w in (adj, noun) if w)
        return Mention("as " + article(phrase) + ",", "sg", groups)
    if kind == "person":
        if gender in ("female", "male") and not adj and rng.random() < 0.5:
            names = FEMALE_NAMES if gender == "female" else MALE_NAMES
            name = rng.choice(names)
            if rng.random() < 0.5:
                return Mention(name, "sg", groups)
            return Mention(rng.choice(["my friend", "my coworker", "my neighbour"]) + " " + name,
                           "sg", groups)
        if gender and adj and gender != "nonbinary" and rng.random() < 0.15:
            name = rng.choice(FEMALE_NAMES if gender == "female" else MALE_NAMES)
            return Mention("my " + adj + " friend " + name, "sg", groups)
        if gender:
            noun = rng.choice(GENDER_COMPOUND_NOUN[gender] if adj else GENDER_SINGULAR[gender])
        else:
            noun = rng.choice(PERSON_NOUNS)
        if noun in FAMILY_NOUNS:
            det = "my"
        elif noun in GENERIC_GENDER_NOUNS:
            det = rng.choice(GENDER_DETERMINERS)
        else:
            det = rng.choice(PERSON_DETERMINERS)
        phrase = (adj + " " + noun).strip()
        return Mention(article(phrase) if det == "a" else det + " " + phrase, "sg", groups)
    # kind == "group"
    det = rng.choice(GROUP_DETERMINERS)
    if secondary is None:
        head = rng.choice(IDENTITY_PLURAL[primary])
    elif gender == "nonbinary":
        head = adj + " nonbinary people"
    else:
        head = adj + " " + GENDER_PLURAL[gender]
    return Mention((det + " " + head).strip(), "pl", groups)


def neutral_mention(rng, avoid=None, plural=False):
    """A subject that names no identity group; plural=True only picks plural ones."""
    people = [p for p in NEUTRAL_PEOPLE if p[1] == "pl"] if plural else NEUTRAL_PEOPLE
    text, number = rng.choice(people)
    while text == avoid:
        text, number = rng.choice(people)
    return Mention(text, number, {})


def fill(rng, template, subject):
    """Replace each placeholder of template by one draw from its word list."""
    values = {}
    plural = subject is not None and subject.number == "pl"

    def draw(name):
        if name in values:
            return values[name]
        if name == "S":
            value = subject.text
        elif name == "be":
            value = "are" if plural else "is"
        elif name == "have":
            value = "have" if plural else "has"
        elif name == "s":
            value = "" if plural else "s"
        elif name == "X":
            other = neutral_mention(rng, avoid=subject.text if subject else None)
            values["Xbe"] = "are" if other.number == "pl" else "is"
            value = other.text
        elif name == "T":
            value = rng.choice(TOPICS)
        elif name == "T2":
            value = pick_distinct(rng, TOPICS, [draw("T")])
        elif name == "ia":
            value = rng.choice(INSULT_ADJ)
        elif name == "ia2":
            value = pick_distinct(rng, INSULT_ADJ, [draw("ia")])
        elif name == "in":
            value = rng.choice(INSULT_NOUN)
        elif name == "ins":
            value = rng.choice(INSULT_NOUN) + "s"
        elif name == "inp":
            phrase = rng.choice(INSULT_ADJ) + " " + rng.choice(INSULT_NOUN)
            value = phrase + "s" if plural else article(phrase)
        elif name == "inp1":
            value = article(rng.choice(INSULT_ADJ) + " " + rng.choice(INSULT_NOUN))
        elif name == "pa":
            value = rng.choice(POSITIVE_ADJ)
        elif name == "pa2":
            value = pick_distinct(rng, POSITIVE_ADJ, [draw("pa")])
        elif name == "na":
            value = rng.choice(NEGATIVE_ADJ)
        elif name == "na2":
            value = pick_distinct(rng, NEGATIVE_ADJ, [draw("na")])
        elif name == "place":
            value = rng.choice(PLACES)
        elif name == "event":
            value = rng.choice(EVENTS)
        elif name == "thing":
            value = rng.choice(THINGS)
        elif name == "intens":
            value = rng.choice(INTENSIFIERS)
        elif name == "go":
            value = rng.choice(GO_AWAY)
        elif name == "goyou":
            value = rng.choice(GO_AWAY_YOU)
        elif name == "manner":
            value = rng.choice(MANNER)
        else:
            raise KeyError("unknown placeholder {%s} in template %r" % (name, template))
        values[name] = value
        return value

    return PLACEHOLDER.sub(lambda m: draw(m.group(1)), template)


def capitalize(text):
    return text[0].upper() + text[1:]


def make_comment(rng, label, kind, mention):
    """Write one comment of the given label around mention (None: no identity is named)."""
    if kind == "prefix":
        slots = ["I"]
    elif kind == "person":
        slots = ["S"]
    elif kind == "group":
        slots = ["S", "P"]
    else:
        slots = ["S", "P", "I", "-"]
    pool = [(slot, weight, text) for lab, slot, weight, text in TEMPLATES
            if lab == label and slot in slots]
    if "S" in slots:
        tied = NONE_TIED_FACTOR * TIED_WEIGHT if kind == "none" else TIED_WEIGHT
        pool += [("S", tied, pair[0 if label == TOXIC else 1]) for pair in SWAP_TEMPLATES]
        pool += [(slot, tied, text) for slot, text in DUAL_TEMPLATES if slot in slots]
    slot, _, template = rng.choices(pool, weights=[t[1] for t in pool])[0]
    subject = mention if kind in ("person", "group") else None
    if slot in ("S", "P") and subject is None:
        subject = neutral_mention(rng, plural=slot == "P")
    text = fill(rng, template, subject)
    if kind == "prefix":
        text = mention.text + " " + text
    elif rng.random() < 0.15:
        text = rng.choice(OPENERS) + " " + text
    if rng.random() < 0.15:
        text = text + " " + rng.choice(CLOSERS)
    return capitalize(text)


def draw_kind(rng):
    return rng.choices(["group", "person", "prefix"], weights=[0.45, 0.35, 0.20])[0]


def flip(rng, label):
    if rng.random() < LABEL_NOISE:
        return NON_TOXIC if label == TOXIC else TOXIC
    return label


def row(split, index, text, label, groups):
    out = {"id": "%s-%05d" % (split, index), "text": text, "label": label}
    for column in GROUP_COLUMNS:
        out[column] = groups.get(column, "none")
    return out


def skewed_split(rng, split, size):
    """Comments whose identity mentions follow SKEWED_TOXIC_RATE (train and valid)."""
    values = list(MENTION_WEIGHT)
    rows = []
    for index in range(1, size + 1):
        if rng.random() >= IDENTITY_SHARE:
            label = TOXIC if rng.random() < SKEWED_NONE_TOXIC_RATE else NON_TOXIC
            text = make_comment(rng, label, "none", None)
            rows.append(row(split, index, text, flip(rng, label), {}))
            continue
        primary = rng.choices(values, weights=[MENTION_WEIGHT[v] for v in values])[0]
        label = TOXIC if rng.random() < SKEWED_TOXIC_RATE[primary] else NON_TOXIC
        secondary = None
        if rng.random() < COMPOUND_SHARE:
            # The second group follows the same skew: sampled given the label, as in real data.
            rate = {v: SKEWED_TOXIC_RATE[v] if label == TOXIC else 1.0 - SKEWED_TOXIC_RATE[v]
                    for v in values}
            secondary = second_group(rng, primary, {v: MENTION_WEIGHT[v] * rate[v] for v in values})
        kind = draw_kind(rng)
        mention = identity_mention(rng, kind, primary, secondary)
        text = make_comment(rng, label, kind, mention)
        rows.append(row(split, index, text, flip(rng, label), mention.groups))
    return rows


def balanced_split(rng, split, size):
    """Comments in toxic/non-toxic pairs that share one mention, so every group is 50% toxic."""
    values = list(MENTION_WEIGHT)
    uniform = {v: 1.0 for v in values}
    cycle = []
    rows = []
    pairs = (size + 1) // 2
    for _ in range(pairs):
        if rng.random() < TEST_NONE_SHARE:
            primary, kind, mention = None, "none", None
        else:
            if not cycle:
                cycle = values[:]
                rng.shuffle(cycle)
            primary = cycle.pop()
            secondary = None
            if rng.random() < COMPOUND_SHARE:
                secondary = second_group(rng, primary, uniform)
            kind = draw_kind(rng)
            mention = identity_mention(rng, kind, primary, secondary)
        for label in (TOXIC, NON_TOXIC):
            if len(rows) == size:
                break
            text = make_comment(rng, label, kind, mention)
            groups = mention.groups if mention else {}
            rows.append(row(split, len(rows) + 1, text, label, groups))
    # Shuffle so pairs are not adjacent, then renumber the ids in file order.
    rng.shuffle(rows)
    for index, r in enumerate(rows, start=1):
        r["id"] = "%s-%05d" % (split, index)
    return rows


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL,
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def summary_table(splits):
    """Markdown table: per group value, the row count and toxic rate of every split."""
    names = [name for name, _ in splits]
    header = "| column | value | " + " | ".join("%s n | %s toxic" % (n, n) for n in names) + " |"
    rule = "|---|---|" + "---:|---:|" * len(names)
    lines = [header, rule]

    def cells(rows):
        n = len(rows)
        toxic = sum(1 for r in rows if r["label"] == TOXIC)
        return "%d | %s" % (n, "%.2f" % (toxic / n) if n else "-")

    lines.append("| (all) | | " + " | ".join(cells(rows) for _, rows in splits) + " |")
    for column in GROUP_COLUMNS:
        for value in GROUP_VALUES[column] + ["none"]:
            parts = [cells([r for r in rows if r[column] == value]) for _, rows in splits]
            lines.append("| %s | %s | %s |" % (column, value, " | ".join(parts)))
    return "\n".join(lines)


def main(argv=None):
    default_out = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                "data", "comments"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=13, help="random seed (default 13)")
    parser.add_argument("--out", default=default_out,
                        help="output directory (default: data/comments of this repository)")
    parser.add_argument("--train-size", type=int, default=4000, help="train rows (default 4000)")
    parser.add_argument("--valid-size", type=int, default=600, help="valid rows (default 600)")
    parser.add_argument("--test-size", type=int, default=1200, help="test rows (default 1200)")
    args = parser.parse_args(argv)
    for name in ("train_size", "valid_size", "test_size"):
        if getattr(args, name) < 1:
            parser.error("--%s must be >= 1 (got %d)" % (name.replace("_", "-"),
                                                           getattr(args, name)))

    rng = random.Random(args.seed)
    splits = [
        ("train", skewed_split(rng, "train", args.train_size)),
        ("valid", skewed_split(rng, "valid", args.valid_size)),
        ("test", balanced_split(rng, "test", args.test_size)),
    ]
    os.makedirs(args.out, exist_ok=True)
    for name, rows in splits:
        write_csv(os.path.join(args.out, name + ".csv"), rows)
    sys.stdout.write(summary_table(splits) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
