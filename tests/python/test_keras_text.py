#!/usr/bin/env python3
"""Compares fm::Tokenizer / fm::pad_sequences / fm::utf8_lower (through driver_keras_text) with the
real keras_preprocessing Tokenizer, pad_sequences and Python's str.lower().

Exits 1 with one line per mismatch (first few shown) when anything differs.
"""
import json
import random
import sys
import unicodedata

from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer, text_to_word_sequence, tokenizer_from_json

from _harness import Mismatches, binary, run_json

DRIVER = binary("driver_keras_text")
# Collected silently and listed (the first 60) at the end.
MISMATCHES = Mismatches(prefix=None)


def fail(context, message):
    MISMATCHES.fail(f"{context}: {message}")


def check_equal(context, what, ours, theirs):
    if ours != theirs:
        fail(context, f"{what} differs: fmkit={short(ours)} keras={short(theirs)}")
        return False
    return True


def short(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def run_driver(requests):
    return run_json(DRIVER, {"requests": requests}, timeout=600)["responses"]


# ---------------------------------------------------------------------------------------------
# Corpora
# ---------------------------------------------------------------------------------------------

WORDS = [
    "the", "The", "THE", "cat", "sat", "on", "mat", "dog", "ate", "my", "homework", "don't",
    "it's", "naïve", "Café", "café", "CAFÉ", "straße", "STRASSE", "ΟΔΟΣ", "Σοφία", "ΣΊΣΥΦΟΣ",
    "İstanbul", "ıi", "Ǆemal", "ǅ", "Ⅻ", "Ⓐbc", "ªb", "東京", "日本語", "😀", "emoji😀x",
    "e\u0301", "ﬁne", "K", "Å", "µ", "résumé", "o'clock", "well-known", "e-mail", "x@y.z",
    "#tag", "50%", "3.14", "$5", "a_b", "[x]", "{y}", "~z", "«quote»", "—dash—", "a·b", "tab\tin",
    "Ωmega", "ΣΑΣ", "Σ", "ς", "MIXEDcase", "unk", "<OOV>", "oov",
    # Longer than the 16 bytes a hash slot holds inline, and than one 64-byte scanner step.
    "Supercalifragilisticexpialidocious", "ABCDEFGHIJKLMNOPQ", "abcdefghijklmnopq",
    "Pneumonoultramicroscopicsilicovolcanoconiosis-and-ANTIDISESTABLISHMENTARIANISM-again" * 2,
    "x" * 63 + "É" + "y" * 70,
]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", ", ", ". ", "! ", " - ", "|", " ab ", "\u3000",
              "\r\n"]

HAND_WRITTEN = [
    "",
    " ",
    "\t\n",
    "!!!",
    "The cat sat on the mat.",
    "The dog ate my homework!",
    "Hello, World! Hello again; world?",
    "ΟΔΟΣ ΟΔΟΣ. ΟΔΟΣ's ΑΣ'Α Σ Σa aΣ",
    "İstanbul İSTANBUL istanbul",
    "tabs\tand\nnewlines\r\nmixed   spaces",
    "repeat repeat repeat repeat",
    "a b c d e f g h i j k l m n o p",
    "ab|cd|ef ab ab abab",
    "x!b y!!b z-a-b",
    "  leading and trailing  ",
    "emoji 😀😀 and CJK 東京 日本語",
    "unk oov <OOV> UNK",
]


def generate(seed, count, most=14):
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        n = rng.randint(0, most)
        parts = []
        for _ in range(n):
            parts.append(rng.choice(WORDS))
            parts.append(rng.choice(SEPARATORS))
        texts.append("".join(parts))
    return texts


TRAIN = HAND_WRITTEN + generate(1, 300) + generate(4, 40, most=80)
TRAIN_MORE = generate(2, 80) + ["brand new words only here", ""]
HELD_OUT = (HAND_WRITTEN + generate(3, 120) + generate(5, 30, most=80)
            + ["completely unseen vocabulary zzz", "Σ"])

OPTION_SETS = [
    {},
    {"num_words": 10},
    {"num_words": 10, "oov_token": "<OOV>"},
    {"num_words": 1},
    {"num_words": 2, "oov_token": "<OOV>"},
    {"num_words": 0},
    {"oov_token": "<OOV>"},
    {"oov_token": "unk"},                # the OOV token is also a fitted word
    {"oov_token": "unk", "num_words": 5},
    {"lower": False},
    {"lower": False, "num_words": 7, "oov_token": "oov"},
    {"char_level": True},
    {"char_level": True, "lower": False, "num_words": 20, "oov_token": "?"},
    {"filters": "", "split": "\t"},
    {"filters": "!?.,«»—·", "split": "|"},
    {"filters": "!-", "split": "ab"},    # multi-character separator
    {"filters": "xΣς", "split": "\u3000"},
    {"filters": '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\nAE', "lower": True},
    {"split": " - ", "num_words": 15, "oov_token": "<OOV>"},
]

PAD_SETS = [
    {"maxlen": maxlen, "padding": padding, "truncating": truncating, "value": value}
    for maxlen in (None, 1, 4, 12, 60)
    for padding in ("pre", "post")
    for truncating in ("pre", "post")
    for value in (0, -1)
    if not (value == -1 and maxlen not in (None, 4))
]


def keras_tokenizer(options):
    return Tokenizer(**options)


def expected_vocab_size(tok):
    if not tok.word_index:
        return 1
    size = max(tok.word_index.values()) + 1
    if tok.num_words:
        size = min(size, tok.num_words)
    oov = tok.word_index.get(tok.oov_token) if tok.oov_token is not None else None
    if oov is not None:
        size = max(size, oov + 1)
    return size


def keras_tokens(tok, text):
    if tok.char_level:
        return list(text.lower() if tok.lower else text)
    return text_to_word_sequence(text, tok.filters, tok.lower, tok.split)


def compare_tokenizer(context, options, ours, tok, texts):
    check_equal(context, "word_index", ours["word_index"], tok.word_index)
    index_word = {str(k): v for k, v in tok.index_word.items()}
    check_equal(context, "index_word", ours["index_word"], index_word)
    check_equal(context, "document_count", ours["document_count"], tok.document_count)
    check_equal(context, "word_docs", ours["word_docs"], dict(tok.word_docs))
    check_equal(context, "vocab_size", ours["vocab_size"], expected_vocab_size(tok))
    # Before any fit, Keras has no index for the OOV token and emits None for unknown words; fmkit
    # drops them (documented in tokenizer.h).
    theirs_seq = [[x for x in s if x is not None] for s in tok.texts_to_sequences(texts)]
    if check_equal(context, "number of sequences", len(ours["sequences"]), len(theirs_seq)):
        for i, (a, b) in enumerate(zip(ours["sequences"], theirs_seq)):
            if not check_equal(context, f"sequence of text {i} {texts[i]!r}", a, b):
                break
        for i, text in enumerate(texts):
            if not check_equal(context, f"tokens of text {i} {text!r}", ours["tokens"][i],
                               keras_tokens(tok, text)):
                break
        produced = [x for s in theirs_seq for x in s]
        if produced and max(produced) >= ours["vocab_size"]:
            fail(context, f"vocab_size {ours['vocab_size']} <= max index {max(produced)}")
    return theirs_seq


def compare_padding(context, ours_pads, theirs_seq):
    for pad, ours in zip(PAD_SETS, ours_pads):
        ctx = f"{context} pad={pad}"
        if not theirs_seq and pad["maxlen"] is None:
            check_equal(ctx, "shape", (ours["rows"], ours["cols"]), (0, 0))
            continue
        expected = pad_sequences(theirs_seq, maxlen=pad["maxlen"], dtype="int64",
                                 padding=pad["padding"], truncating=pad["truncating"],
                                 value=pad["value"])
        check_equal(ctx, "shape", (ours["rows"], ours["cols"]), expected.shape)
        check_equal(ctx, "padded matrix", ours["values"], expected.tolist())
        maxlen = pad["maxlen"] if pad["maxlen"] is not None else expected.shape[1]
        lengths = [min(len(s), maxlen) for s in theirs_seq]
        check_equal(ctx, "lengths", ours["lengths"], lengths)


def compare_json(context, ours_json, tok, texts):
    """Keras must load our to_json and behave identically; the layout must be Keras'."""
    try:
        loaded = tokenizer_from_json(ours_json)
    except Exception as e:  # noqa: BLE001 - any failure to load is a mismatch
        fail(context, f"keras tokenizer_from_json(our to_json) raised {e!r}")
        return
    check_equal(context, "from_json word_index", loaded.word_index, tok.word_index)
    check_equal(context, "from_json index_word", loaded.index_word, tok.index_word)
    check_equal(context, "from_json word_counts (ordered)", list(loaded.word_counts.items()),
                list(tok.word_counts.items()))
    check_equal(context, "from_json word_docs", dict(loaded.word_docs), dict(tok.word_docs))
    check_equal(context, "from_json index_docs", dict(loaded.index_docs), dict(tok.index_docs))
    check_equal(context, "from_json texts_to_sequences", loaded.texts_to_sequences(texts),
                tok.texts_to_sequences(texts))
    ours = json.loads(ours_json)
    theirs = json.loads(tok.to_json())
    check_equal(context, "to_json top-level keys", list(ours), list(theirs))
    check_equal(context, "to_json config keys", list(ours["config"]), list(theirs["config"]))
    for key in ("num_words", "filters", "lower", "split", "char_level", "oov_token",
                "document_count"):
        check_equal(context, f"to_json config.{key}", ours["config"][key], theirs["config"][key])
    for key in ("word_counts", "word_docs", "index_docs", "index_word", "word_index"):
        if not isinstance(ours["config"][key], str):
            fail(context, f"to_json config.{key} is not a JSON string")
            continue
        check_equal(context, f"to_json config.{key}", json.loads(ours["config"][key]),
                    json.loads(theirs["config"][key]))


def test_tokenizers():
    requests = []
    cases = []
    for options in OPTION_SETS:
        requests.append({"options": options, "fit": [TRAIN], "texts": HELD_OUT, "pad": PAD_SETS})
        cases.append((options, [TRAIN], HELD_OUT))
        requests.append({"options": options, "fit": [TRAIN, TRAIN_MORE], "texts": TRAIN_MORE})
        cases.append((options, [TRAIN, TRAIN_MORE], TRAIN_MORE))
        # fit_transform (each text tokenized once) on several threads, a fresh fit and then a
        # refit: 2 threads fit the texts from both ends until they meet (one region), 3 threads
        # as two such regions.
        for threads in (2, 3):
            requests.append({"options": options, "fit": [TRAIN, TRAIN_MORE], "texts": TRAIN_MORE,
                             "fit_transform_threads": threads})
            cases.append((options, [TRAIN, TRAIN_MORE], TRAIN_MORE))
    # Not fitted at all, and fitted on nothing but empty strings.
    for options in ({}, {"oov_token": "<OOV>"}):
        requests.append({"options": options, "texts": ["a b"], "pad": PAD_SETS})
        cases.append((options, [], ["a b"]))
        requests.append({"options": options, "fit": [["", "!!"]], "texts": ["", "a"],
                         "pad": PAD_SETS})
        cases.append((options, [["", "!!"]], ["", "a"]))
    requests.append({"options": {}, "fit": [TRAIN], "texts": [], "pad": PAD_SETS})
    cases.append(({}, [TRAIN], []))

    responses = run_driver(requests)
    for (options, fits, texts), request, ours in zip(cases, requests, responses):
        context = f"options={options} fits={len(fits)} texts={len(texts)}"
        if "error" in ours:
            fail(context, f"driver error {ours['error']}")
            continue
        tok = keras_tokenizer(options)
        for batch in fits:
            tok.fit_on_texts(batch)
        theirs_seq = compare_tokenizer(context, options, ours, tok, texts)
        if "fit_transform_threads" in request:
            # fit_transform returns the sequences of the batch it fitted (the last one).
            check_equal(context + " fit_transform", "sequences", ours["fit_transform"],
                        [[x for x in seq if x is not None]
                         for seq in tok.texts_to_sequences(fits[-1])])
        if "pad" in request:
            compare_padding(context, ours["pads"], theirs_seq)
        compare_json(context, ours["to_json"], tok, texts)


def test_from_keras_json():
    """Our from_json reads Keras' to_json; a further fit continues from the stored counts."""
    requests = []
    expected = []
    for options in OPTION_SETS:
        tok = keras_tokenizer(options)
        tok.fit_on_texts(TRAIN)
        requests.append({"from_json": tok.to_json(), "texts": HELD_OUT})
        expected.append((options, tok, HELD_OUT, False))
        requests.append({"from_json": tok.to_json(indent=2, ensure_ascii=False),
                         "fit": [TRAIN_MORE], "texts": HELD_OUT})
        tok2 = keras_tokenizer(options)
        tok2.fit_on_texts(TRAIN)
        tok2.fit_on_texts(TRAIN_MORE)
        expected.append((options, tok2, HELD_OUT, True))
    responses = run_driver(requests)
    for (options, tok, texts, refit), ours in zip(expected, responses):
        context = f"from_json options={options} refit={refit}"
        if "error" in ours:
            fail(context, f"driver error {ours['error']}")
            continue
        compare_tokenizer(context, options, ours, tok, texts)
        check_equal(context, "to_json word_counts after reload",
                    list(json.loads(json.loads(ours["to_json"])["config"]["word_counts"]).items()),
                    list(tok.word_counts.items()))


def test_from_json_errors():
    tok = Tokenizer(oov_token="<OOV>")
    tok.fit_on_texts(["a b b", "c"])
    good = json.loads(tok.to_json())

    def variant(mutate):
        doc = json.loads(json.dumps(good))
        mutate(doc)
        return json.dumps(doc)

    bad = {
        "not json": "{",
        "array": "[]",
        "no config": json.dumps({"class_name": "Tokenizer"}),
        "wrong class": variant(lambda d: d.update(class_name="Other")),
        "word_index not a string": variant(lambda d: d["config"].update(word_index={"a": 1})),
        "word_index bad embedded": variant(lambda d: d["config"].update(word_index="{")),
        "word_index index 0": variant(
            lambda d: d["config"].update(word_index=json.dumps({"<OOV>": 1, "a": 0}))),
        "word_index duplicate": variant(
            lambda d: d["config"].update(word_index=json.dumps({"<OOV>": 1, "a": 1}))),
        "word_index huge": variant(
            lambda d: d["config"].update(word_index=json.dumps({"<OOV>": 1, "a": 10**12}))),
        "oov without index": variant(
            lambda d: d["config"].update(word_index=json.dumps({"a": 1}))),
        "missing word_counts": variant(lambda d: d["config"].pop("word_counts")),
        "unknown key": variant(lambda d: d["config"].update(colour="red")),
        "num_words negative": variant(lambda d: d["config"].update(num_words=-3)),
        "num_words string": variant(lambda d: d["config"].update(num_words="10")),
        "empty split": variant(lambda d: d["config"].update(split="")),
        "lower not bool": variant(lambda d: d["config"].update(lower=1)),
        "word_docs unknown word": variant(
            lambda d: d["config"].update(word_docs=json.dumps({"zzz": 1}))),
    }
    responses = run_driver([{"from_json": text} for text in bad.values()])
    for (name, text), ours in zip(bad.items(), responses):
        if ours.get("error_type") != "DataError":
            fail(f"from_json error case '{name}'", f"expected DataError, got {short(ours)}")
        elif "\n" in ours["error"]:
            fail(f"from_json error case '{name}'", "error message is not one line")


def assigned_code_points():
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        if unicodedata.category(chr(cp)) in ("Cn", "Co"):
            continue
        yield cp


def test_unicode():
    cps = list(assigned_code_points())
    texts = [chr(cp) for cp in cps]
    rng = random.Random(7)
    pool = ["Σ", "Σ", "σ", "a", "A", "'", ".", ":", "\u0301", "ʰ", "ª", " ", "1", "İ", "Ⅻ", "ǅ",
            "-", "\u00ad", "Ω"]
    sigma_texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
                   for _ in range(20000)]
    sigma_texts += ["ΟΔΟΣ", "ΟΔΟΣ.", "ΟΔΟΣ's", "ΟΔΟΣa", "Σ", "aΣ", "aΣ'", "aΣ'b", "a\u0301Σ",
                    "1Σ", "ªΣ", "ⅫΣ"]
    (ours,) = run_driver([{"lower": texts + sigma_texts, "code_points": cps}])
    mismatches = []
    for text, lowered in zip(texts + sigma_texts, ours["lower"]):
        if lowered != text.lower():
            mismatches.append(f"{text!r} ({' '.join('U+%04X' % ord(c) for c in text)}): "
                              f"fmkit {lowered!r} python {text.lower()!r}")
    for m in mismatches[:20]:
        fail("utf8_lower", m)
    lengths = [len(t) for t in texts + sigma_texts]
    check_equal("utf8_length", "code point counts", ours["lengths"], lengths)
    for cp, cased, ignorable in zip(cps, ours["cased"], ours["case_ignorable"]):
        c = chr(cp)
        py_cased = c.islower() or c.isupper() or unicodedata.category(c) == "Lt"
        # Python exposes Case_Ignorable only through final sigma: "AΣ<c>a" keeps σ when <c> is
        # skipped (or is cased itself); "<c>Σ" gives σ unless <c> is cased and not ignorable.
        py_ignorable = ("AΣ" + c + "a").lower()[1] == "σ" and (c + "Σ").lower()[-1] == "σ"
        if cased != py_cased:
            fail("is_cased", f"U+{cp:04X}: fmkit {cased} python {py_cased}")
        if ignorable != py_ignorable:
            fail("is_case_ignorable", f"U+{cp:04X}: fmkit {ignorable} python {py_ignorable}")


def main():
    test_tokenizers()
    test_from_keras_json()
    test_from_json_errors()
    test_unicode()
    return MISMATCHES.finish(
        f"OK: {len(OPTION_SETS)} option sets, {len(PAD_SETS)} padding settings, "
        f"{len(TRAIN)} + {len(TRAIN_MORE)} training texts match keras_preprocessing",
        f"FAILED: {len(MISMATCHES.failures)} mismatch(es) between fmkit and "
        "keras_preprocessing/Python", listed=60)


if __name__ == "__main__":
    sys.exit(main())
