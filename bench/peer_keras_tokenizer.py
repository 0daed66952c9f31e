#!/usr/bin/python3
"""Times the Keras text pipeline on a CSV: Tokenizer.fit_on_texts + texts_to_sequences +
pad_sequences (keras_preprocessing, the package fmkit's tokenizer follows).

Throughput is the UTF-8 size of the text column in MB (10^6 bytes) divided by the time of the
three calls (reading the CSV is excluded). Best of --repeat runs; the process CPU time of the same
calls is reported too (the steadier figure on a loaded machine). The SHA-256 of the padded matrix
(int64 little-endian, row-major) is the one bench/tokenizer_bench.cpp prints for fmkit's.
"""

import argparse
import csv
import hashlib
import json
import sys
import time

import keras_preprocessing
import numpy as np
from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer

csv.field_size_limit(1 << 30)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="CSV file")
    p.add_argument("--text-column", default="text")
    p.add_argument("--num-words", type=int, default=20000)
    p.add_argument("--oov-token", default="<OOV>")
    p.add_argument("--maxlen", type=int, default=256)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()

    with open(args.data, encoding="utf-8", newline="") as f:
        texts = [row[args.text_column] for row in csv.DictReader(f)]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6

    best = best_cpu = None
    for _ in range(max(1, args.repeat)):
        cpu_start = time.process_time()
        start = time.perf_counter()
        tokenizer = Tokenizer(num_words=args.num_words, oov_token=args.oov_token, lower=True)
        tokenizer.fit_on_texts(texts)
        seqs = tokenizer.texts_to_sequences(texts)
        padded = pad_sequences(seqs, maxlen=args.maxlen, padding="post", truncating="post")
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        best = seconds if best is None else min(best, seconds)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)

    result = {
        "tool": "keras_preprocessing",
        "version": keras_preprocessing.__version__,
        "rows": len(texts),
        "megabytes": megabytes,
        "seconds": best,
        "megabytes_per_second": megabytes / best,
        "cpu_seconds": best_cpu,
        "megabytes_per_cpu_second": megabytes / best_cpu,
        "vocabulary": len(tokenizer.word_index),
        "shape": list(padded.shape),
        "sha256": hashlib.sha256(padded.astype("<i8").tobytes()).hexdigest(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print("%s: %s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
