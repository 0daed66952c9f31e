#!/usr/bin/python3
"""PyTorch-Python peer of fm-train: the same LSTM classifier, trained the same way.

Keras Tokenizer (fit on the training texts) -> texts_to_sequences -> post truncation and padding
to maxlen -> nn.Embedding(padding_idx=0) -> nn.LSTM(batch_first) -> dropout -> nn.Linear on the
last true step of each sequence. Two length-aware variants:

* default: run the LSTM over the padded batch and gather the output at step length-1;
* --packed: pack_padded_sequence, so the LSTM stops at each sequence's length.

--trim additionally cuts each batch to its longest sequence before the LSTM (either variant).
Reports the training throughput in non-padding tokens per second (tokenization excluded; the
clock runs over the batch loop only) and the test macro-F1 (scikit-learn).
"""

import argparse
import csv
import json
import sys
import time

import numpy as np
import torch
from keras_preprocessing.sequence import pad_sequences
from keras_preprocessing.text import Tokenizer
from sklearn.metrics import f1_score
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

csv.field_size_limit(1 << 30)


def read_csv(path, text_column, label_column):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r[text_column] for r in rows], [r[label_column] for r in rows]


class Classifier(nn.Module):
    def __init__(self, vocab, embedding_dim, hidden_size, num_layers, dropout, num_classes,
                 packed):
        super().__init__()
        self.packed = packed
        self.embedding = nn.Embedding(vocab, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x, lengths):
        emb = self.embedding(x)
        if self.packed:
            packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)
            last = h_n[-1]
        else:
            out, _ = self.lstm(emb)
            index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, out.size(2))
            last = out.gather(1, index).squeeze(1)
        return self.fc(self.dropout(last))


def encode(tokenizer, texts, maxlen):
    seqs = tokenizer.texts_to_sequences(texts)
    x = pad_sequences(seqs, maxlen=maxlen, padding="post", truncating="post", value=0)
    lengths = np.minimum([len(s) for s in seqs], maxlen)
    # An empty text still needs one step to read the output from (it reads padding).
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(np.maximum(lengths, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--maxlen", type=int, default=256)
    p.add_argument("--num-words", type=int, default=20000)
    p.add_argument("--oov-token", default="<OOV>")
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--hidden-size", type=int, default=128)
    p.add_argument("--num-layers", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=0.003)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--packed", action="store_true", help="pack_padded_sequence variant")
    p.add_argument("--trim", action="store_true", help="cut each batch to its longest sequence")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train_texts, train_labels = read_csv(args.train, args.text_column, args.label_column)
    test_texts, test_labels = read_csv(args.test, args.text_column, args.label_column)
    classes = sorted(set(train_labels))
    class_index = {c: i for i, c in enumerate(classes)}

    tokenizer = Tokenizer(num_words=args.num_words, oov_token=args.oov_token, lower=True)
    tokenizer.fit_on_texts(train_texts)
    vocab = min(args.num_words, len(tokenizer.word_index) + 1)
    x_train, len_train = encode(tokenizer, train_texts, args.maxlen)
    x_test, len_test = encode(tokenizer, test_texts, args.maxlen)
    y_train = torch.tensor([class_index[c] for c in train_labels], dtype=torch.int64)

    model = Classifier(vocab, args.embedding_dim, args.hidden_size, args.num_layers,
                       args.dropout, len(classes), args.packed)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)

    n = x_train.size(0)
    train_seconds = 0.0
    train_tokens = 0
    epochs = []
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        total_loss = 0.0
        start = time.perf_counter()
        for b in range(0, n, args.batch_size):
            idx = order[b:b + args.batch_size]
            x, lengths, y = x_train[idx], len_train[idx], y_train[idx]
            if args.trim:
                x = x[:, :int(lengths.max())]
            optimizer.zero_grad()
            loss = loss_fn(model(x, lengths), y)
            loss.backward()
            optimizer.step()
            total_loss += float(loss) * idx.numel()
        seconds = time.perf_counter() - start
        tokens = int(len_train.sum())
        train_seconds += seconds
        train_tokens += tokens
        epochs.append({"epoch": epoch + 1, "loss": total_loss / n, "seconds": seconds,
                       "tokens_per_second": tokens / seconds})
        if not args.json:
            print("epoch %d: loss %.4f, %.1f s, %.0f tok/s" % (epoch + 1, total_loss / n, seconds,
                                                                tokens / seconds), file=sys.stderr)

    model.eval()
    predictions = []
    start = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, x_test.size(0), 256):
            x, lengths = x_test[b:b + 256], len_test[b:b + 256]
            if args.trim:
                x = x[:, :int(lengths.max())]
            predictions.extend(model(x, lengths).argmax(1).tolist())
    eval_seconds = time.perf_counter() - start
    y_pred = [classes[i] for i in predictions]
    result = {
        "tool": "pytorch",
        "variant": ("packed" if args.packed else "gather") + ("+trim" if args.trim else ""),
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_rows": n,
        "epochs": args.epochs,
        "train_tokens": train_tokens,
        "train_seconds": train_seconds,
        "tokens_per_second": train_tokens / train_seconds if train_seconds > 0 else 0.0,
        "eval_examples_per_second": len(y_pred) / eval_seconds if eval_seconds > 0 else 0.0,
        "test_macro_f1": f1_score(test_labels, y_pred, average="macro"),
        "test_accuracy": sum(a == b for a, b in zip(test_labels, y_pred)) / len(y_pred),
        "per_epoch": epochs,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if key != "per_epoch":
                print("%s: %s" % (key, value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
