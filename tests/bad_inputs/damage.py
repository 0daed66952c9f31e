"""Damages a copy of a run directory (or writes a hostile file) for tests/bad_inputs/cases.txt.

    damage.py set FILE KEY.PATH JSON     set a JSON value (object keys and [i]/numeric indices)
    damage.py del FILE KEY.PATH          remove a key
    damage.py replace FILE OLD NEW       replace the first OLD in the file's text (must occur)
    damage.py flip FILE                  flip one bit of the middle byte
    damage.py truncate FILE N            keep the first N bytes (N < 0: drop the last -N bytes)
    damage.py write FILE TEXT            write TEXT (\\n in TEXT is a newline)
    damage.py deep FILE DEPTH TEMPLATE   write TEMPLATE with its '@' replaced by DEPTH nested []
    damage.py rehash RUN                 recompute the SHA-256s the run records for its files
                                         (checkpoint/state.json's, then manifest.json's), so that
                                         the damage is reached by the parsers behind the digests
    damage.py strip RUN                  drop manifest.json's digests (a run as fmkit 0.1 wrote it)
"""
import hashlib
import json
import re
import sys
from pathlib import Path


def load(path):
    return json.loads(Path(path).read_text())


def save(path, value):
    Path(path).write_text(json.dumps(value, indent=2) + "\n")


def walk(root, dotted):
    parts = [p for p in re.split(r"\.|\[(\d+)\]", dotted) if p]
    node = root
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    return node, (int(last) if isinstance(node, list) else last)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rehash_record(run, record_path):
    record = load(record_path)
    files = record.get("files")
    if isinstance(files, dict):
        for name in files:
            if (run / name).is_file():
                files[name] = sha256(run / name)
        save(record_path, record)


def main(argv):
    op, target, *args = argv
    path = Path(target)
    if op == "set":
        doc = load(path)
        node, key = walk(doc, args[0])
        node[key] = json.loads(args[1])
        save(path, doc)
    elif op == "del":
        doc = load(path)
        node, key = walk(doc, args[0])
        del node[key]
        save(path, doc)
    elif op == "replace":
        text = path.read_text()
        if args[0] not in text:
            sys.exit(f"damage.py: {args[0]!r} not in {path}")
        path.write_text(text.replace(args[0], args[1], 1))
    elif op == "flip":
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x10
        path.write_bytes(bytes(data))
    elif op == "truncate":
        data = path.read_bytes()
        n = int(args[0])
        path.write_bytes(data[:n] if n >= 0 else data[:len(data) + n])
    elif op == "write":
        path.write_text(args[0].replace("\\n", "\n"))
    elif op == "deep":
        depth = int(args[0])
        path.write_text(args[1].replace("@", "[" * depth + "]" * depth, 1))
    elif op == "rehash":
        state = path / "checkpoint" / "state.json"
        if state.is_file():
            rehash_record(path, state)
        rehash_record(path, path / "manifest.json")
    elif op == "strip":
        manifest = load(path / "manifest.json")
        manifest.pop("files", None)
        save(path / "manifest.json", manifest)
    else:
        sys.exit(f"damage.py: unknown operation {op}")


if __name__ == "__main__":
    main(sys.argv[1:])
