"""A run trained by fm-train, re-implemented independently in Python, predicts what fm-eval predicts.

Pipeline on the Python side: Keras' tokenizer_from_json(tokenizer.json) -> texts_to_sequences ->
truncation as configured -> torch.load(model.pt) into nn.Embedding / nn.LSTM / nn.Linear -> packed
sequences (PyTorch's own length handling) -> softmax. The probabilities must match fm-eval's
predictions CSV. This checks the weight format (PyTorch names), the tokenizer file and the
length-aware forward pass (both directions, stacked layers) at once.
"""
import csv
import json
import os
import sys
import tempfile

import torch
from keras_preprocessing.text import tokenizer_from_json

from _harness import binary, run_binary

TRAIN, EVAL = binary("fm-train"), binary("fm-eval")
SRC = os.environ["FM_SOURCE_DIR"]
DATA = os.path.join(SRC, "tests", "data", "cli")


def python_probabilities(run_dir, texts):
    cfg = json.load(open(os.path.join(run_dir, "config.json")))
    with open(os.path.join(run_dir, "tokenizer.json")) as f:
        tok = tokenizer_from_json(f.read())
    maxlen = cfg["padding"]["maxlen"]
    seqs = []
    for s in tok.texts_to_sequences(texts):
        if maxlen is not None and len(s) > maxlen:
            s = s[:maxlen] if cfg["padding"]["truncating"] == "post" else s[-maxlen:]
        seqs.append(s if s else [0])
    state = torch.load(os.path.join(run_dir, "model.pt"))
    m = cfg["model"]
    vocab, emb_dim = state["embedding.weight"].shape
    emb = torch.nn.Embedding(vocab, emb_dim, padding_idx=0)
    lstm = torch.nn.LSTM(emb_dim, m["hidden_size"], num_layers=m["num_layers"],
                         bidirectional=m["bidirectional"], batch_first=True)
    fc = torch.nn.Linear(state["fc.weight"].shape[1], state["fc.weight"].shape[0])
    emb.load_state_dict({"weight": state["embedding.weight"]})
    lstm.load_state_dict({k[len("lstm."):]: v for k, v in state.items() if k.startswith("lstm.")})
    fc.load_state_dict({"weight": state["fc.weight"], "bias": state["fc.bias"]})
    for mod in (emb, lstm, fc):
        mod.eval()
    lengths = torch.tensor([len(s) for s in seqs])
    ids = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
    with torch.no_grad():
        packed = torch.nn.utils.rnn.pack_padded_sequence(emb(ids), lengths, batch_first=True,
                                                         enforce_sorted=False)
        _, (h_n, _) = lstm(packed)
        if m["bidirectional"]:
            feat = torch.cat([h_n[-2], h_n[-1]], dim=1)
        else:
            feat = h_n[-1]
        return torch.softmax(fc(feat), dim=1)


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for bidirectional, layers, truncating in [(False, 2, "post"), (True, 2, "pre"), (True, 1, "post")]:
            run_dir = os.path.join(tmp, f"run-{bidirectional}-{layers}")
            run_binary([TRAIN, "--config", os.path.join(DATA, "tiny.json"),
                        "--set", f"data.train={os.path.join(DATA, 'train.csv')}",
                        "--set", f"model.bidirectional={'true' if bidirectional else 'false'}",
                        "--set", f"model.num_layers={layers}", "--set", "padding.maxlen=4",
                        "--set", f"padding.truncating={truncating}", "--output", run_dir])
            preds = os.path.join(tmp, "preds.csv")
            run_binary([EVAL, "--run", run_dir, "--data", os.path.join(DATA, "test.csv"),
                        "--predictions", preds])
            rows = list(csv.DictReader(open(preds)))
            texts = [r["text"] for r in csv.DictReader(open(os.path.join(DATA, "test.csv")))]
            labels = json.load(open(os.path.join(run_dir, "labels.json")))["labels"]
            ours = torch.tensor([[float(r["p_" + l]) for l in labels] for r in rows])
            ref = python_probabilities(run_dir, texts)
            diff = (ours - ref).abs().max().item()
            ok = diff < 2e-5
            print(f"bidirectional={bidirectional} layers={layers} truncating={truncating}: "
                  f"max |p_fmkit - p_pytorch| = {diff:.2e} {'ok' if ok else 'MISMATCH'}")
            failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
