#!/usr/bin/python3
"""Writes bench/run.sh's results table from the work files of one run (see bench/README.md)."""

import argparse
import json
import os
import platform
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    for name in ("work", "out", "bin", "train", "test"):
        ap.add_argument("--" + name, required=True)
    for name in ("threads", "epochs", "maxlen", "quick", "embedding-dim", "hidden-size",
                 "num-layers", "bidirectional", "batch-size", "audit-rows", "audit-groups",
                 "audit-resamples", "tok-rounds", "tok-runs"):
        ap.add_argument("--" + name, type=int, required=True)
    a = ap.parse_args()
    work = a.work

    def path(name):
        return os.path.join(work, name)

    def load(name):
        return json.load(open(path(name))) if os.path.exists(path(name)) else None

    def timing(name):
        rss_kb, wall = open(path(name)).read().split()
        return int(rss_kb), float(wall)

    def ratio(ours, theirs):
        return "%.2f×" % (ours / theirs) if ours and theirs else "–"

    def version_of(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    # FLOPs per non-pad token of one training step (forward + backward ≈ 3 × forward), LSTM
    # matmuls only: layer l, direction d reads in_l + H values into 4H gates.
    E, H, L, D = a.embedding_dim, a.hidden_size, a.num_layers, 2 if a.bidirectional else 1
    flops_per_token = sum(3 * 2 * ((E if l == 0 else H * D) + H) * 4 * H * D for l in range(L))

    epochs_log = [json.loads(x) for x in open(path("fmkit/metrics.jsonl")) if x.strip()]
    manifest = json.load(open(path("fmkit/manifest.json")))
    fm_tps = sum(e["tokens_per_second"] for e in epochs_log) / len(epochs_log)
    fm_f1 = manifest["test"]["macro_f1"]
    train_rss, train_wall = timing("fm-train.time")
    eval_rss, eval_wall = timing("fm-eval.time")
    eval_json = load("fm-eval.json")
    n_test = eval_json["results"][0]["examples"]
    eval_inproc = eval_json["results"][0]["seconds"]
    _, ten_one = timing("fm-eval-10-one.time")
    _, ten_separate = timing("fm-eval-10-separate.time")
    gather, packed = load("pytorch-gather.json"), load("pytorch-packed.json")
    # Tokenizers: rounds of one Keras run then tok_runs fmkit runs; each side's best round, and
    # the spread of the rounds' MB/s.
    rounds = a.tok_rounds
    keras_rounds = [load("keras-tokenizer-%d.json" % r) for r in range(1, rounds + 1)]
    fm_rounds = [load("fmkit-tokenizer-%d.json" % r) for r in range(1, rounds + 1)]
    keras = max(keras_rounds, key=lambda r: r["megabytes_per_second"])
    fmtok = {"sha256": fm_rounds[0]["sha256"],
             "calls": max((r["calls"] for r in fm_rounds), key=lambda w: w["megabytes_per_second"]),
             "pipeline": max((r["pipeline"] for r in fm_rounds),
                             key=lambda w: w["megabytes_per_second"])}
    same_matrix = all(r["sha256"] == keras["sha256"] for r in keras_rounds + fm_rounds)

    def spread(values):
        return "%.1f–%.1f" % (min(values), max(values)) if len(values) > 1 else "%.1f" % values[0]
    sgemm = load("sgemm.json")
    audit_rss, audit_wall = timing("fm-audit.time")
    boot = load("numpy-bootstrap.json")
    fasttext = load("fasttext.json")

    best_peer = max((gather, packed), key=lambda r: r["tokens_per_second"])
    fm_gflops = fm_tps * flops_per_token / 1e9
    peer_gflops = {r["variant"]: r["tokens_per_second"] * flops_per_token / 1e9
                   for r in (gather, packed)}
    peak = sgemm["best_gflops"]

    rows = []
    add = rows.append
    add(("1. Training, non-pad tokens/s (fm-train: mean over epochs)", "%.0f" % fm_tps,
         "PyTorch gather %.0f" % gather["tokens_per_second"],
         ratio(fm_tps, gather["tokens_per_second"])))
    add(("", "", "PyTorch packed %.0f" % packed["tokens_per_second"],
         ratio(fm_tps, packed["tokens_per_second"])))
    dp_path = path("fmkit-dp/metrics.jsonl")
    if os.path.exists(dp_path):
        dp_tps = [json.loads(x) for x in open(dp_path) if x.strip()][0]["tokens_per_second"]
        add(("   DP-SGD (vectorised per-example clipping + noise), tokens/s", "%.0f" % dp_tps,
             "fm-train without DP: %.0f" % fm_tps,
             "%.2f× slower (target ≤ 3×)" % (fm_tps / dp_tps)))
    add(("2. Compute efficiency: useful GFLOP/s ÷ sgemm GFLOP/s at [%d × %d] × [%d × %d]"
         % (a.batch_size, E + H, E + H, 4 * H),
         "%.1f GFLOP/s = %.0f %% of %.1f" % (fm_gflops, 100 * fm_gflops / peak, peak),
         "PyTorch %s %.1f GFLOP/s = %.0f %%" % (best_peer["variant"],
                                                 peer_gflops[best_peer["variant"]],
                                                 100 * peer_gflops[best_peer["variant"]] / peak),
         ratio(fm_gflops, peer_gflops[best_peer["variant"]])))
    tok_same = "same matrix" if same_matrix else "**matrices differ**"
    calls, pipe = fmtok["calls"], fmtok["pipeline"]
    add(("3. Tokenizer + padding, MB/s (wall; per CPU-second): fm-train's path, "
         "fit_transform + pad, %d thread(s)" % pipe["threads"],
         "%.1f; %.1f" % (pipe["megabytes_per_second"], pipe["megabytes_per_cpu_second"]),
         "Keras %.2f; %.2f (%s)" % (keras["megabytes_per_second"],
                                    keras["megabytes_per_cpu_second"], tok_same),
         "%s; %s (target ≥ 50×, ≥ 100 MB/s per thread)"
         % (ratio(pipe["megabytes_per_second"], keras["megabytes_per_second"]),
            ratio(pipe["megabytes_per_cpu_second"], keras["megabytes_per_cpu_second"]))))
    add(("   best of %d round(s), each one Keras run then %d fmkit runs; MB/s over the rounds"
         % (rounds, a.tok_runs), spread([r["pipeline"]["megabytes_per_second"] for r in fm_rounds]),
         "Keras %s" % spread([r["megabytes_per_second"] for r in keras_rounds]),
         "per round: %s" % ", ".join(
             "%.0f×" % (f["pipeline"]["megabytes_per_second"] / k["megabytes_per_second"])
             for f, k in zip(fm_rounds, keras_rounds))))
    add(("   the Keras-shaped three calls (fit_on_texts, texts_to_sequences, pad_sequences), "
         "1 thread", "%.1f; %.1f" % (calls["megabytes_per_second"],
                                     calls["megabytes_per_cpu_second"]), "",
         "%s; %s" % (ratio(calls["megabytes_per_second"], keras["megabytes_per_second"]),
                     ratio(calls["megabytes_per_cpu_second"],
                           keras["megabytes_per_cpu_second"]))))
    add(("4. Evaluation, test examples/s: whole fm-eval command", "%.0f (%.2f s)"
         % (n_test / eval_wall, eval_wall),
         "PyTorch gather %.0f (inference loop only)" % gather["eval_examples_per_second"],
         ratio(n_test / eval_wall, gather["eval_examples_per_second"])))
    add(("   in-process (read data → report, no start-up)", "%.0f (%.2f s)"
         % (n_test / eval_inproc, eval_inproc), "",
         ratio(n_test / eval_inproc, gather["eval_examples_per_second"])))
    add(("   10 checkpoints: one fm-eval call vs 10 calls", "%.2f s" % ten_one,
         "10 calls: %.2f s" % ten_separate, "%.2f× faster" % (ten_separate / ten_one)))
    add(("5. fm-audit, %d rows × %d groups × %d resamples (whole command)"
         % (a.audit_rows, a.audit_groups, a.audit_resamples),
         "%.2f s (peak RSS %.0f MiB)" % (audit_wall, audit_rss / 1024),
         "numpy %.2f s (read %.2f s + bootstrap %.2f s)" % (boot["seconds"], boot["read_seconds"],
                                                           boot["bootstrap_seconds"]),
         "%.1f× faster (%.1f× vs bootstrap only)" % (boot["seconds"] / audit_wall,
                                                     boot["bootstrap_seconds"] / audit_wall)))
    add(("6. Test macro-F1", "%.4f" % fm_f1, "PyTorch gather %.4f" % gather["test_macro_f1"],
         ratio(fm_f1, gather["test_macro_f1"])))
    add(("", "", "PyTorch packed %.4f" % packed["test_macro_f1"],
         ratio(fm_f1, packed["test_macro_f1"])))
    if fasttext:
        add(("", "", "fastText -wordNgrams 2: %.4f (%.1f s)" % (fasttext["test_macro_f1"],
                                                                fasttext["seconds"]),
             ratio(fm_f1, fasttext["test_macro_f1"])))
    else:
        add(("", "", "fastText: not installed", "–"))
    add(("7. fm-train peak RSS", "%.0f MiB (%.0f s wall)" % (train_rss / 1024, train_wall),
         "", ""))

    fm_version = "; ".join(" ".join(x.split())
                           for x in version_of([os.path.join(a.bin, "fm-train"),
                                                "--version"]).splitlines())
    fasttext_version = version_of(["dpkg-query", "-W", "-f", "${Version}", "fasttext"]) or "–"
    cpu = next((x.split(":", 1)[1].strip() for x in open("/proc/cpuinfo")
                if x.startswith("model name")), platform.processor() or "unknown")
    title = "# Benchmark results" + (" (--quick: 1 epoch, subsets; not a measurement)"
                                     if a.quick else "")
    lines = [title, "",
             "Written by `bench/run.sh%s`." % (" --quick" if a.quick else ""), "",
             "| | |", "|---|---|",
             "| machine | %s CPU(s), %s |" % (os.cpu_count(), cpu),
             "| load average at the end | %s |" % " ".join(open("/proc/loadavg").read().split()[:3]),
             "| threads (every tool) | %d |" % a.threads,
             "| fmkit | %s |" % fm_version,
             "| PyTorch (peer) | %s |" % gather["torch_version"],
             "| keras_preprocessing | %s |" % keras["version"],
             "| numpy | %s |" % boot["numpy_version"],
             "| fastText | %s |" % fasttext_version,
             "| data | `%s` (%d rows), `%s` (%d rows) |" % (a.train, gather["train_rows"], a.test,
                                                        n_test),
             "| model | maxlen %d, E = %d, H = %d, %d layer(s), %s, batch %d, %d epoch(s) |"
             % (a.maxlen, E, H, L, "bidirectional" if D == 2 else "unidirectional",
                a.batch_size, a.epochs),
             "| FLOPs per non-pad training token | %.3g = Σ over layers l and directions of "
             "3 × 2·(in_l + H)·4H, in_0 = E, in_l = %sH (LSTM matmuls; forward + backward ≈ 3 × "
             "forward; embedding, element-wise gate math and the output layer not counted) |"
             % (flops_per_token, "2" if D == 2 else ""),
             "| sgemm | torch::mm at [%d × %d] × [%d × %d], best of %d × ≥ 0.5 s: %.1f GFLOP/s "
             "(median %.1f) |" % (sgemm["m"], sgemm["k"], sgemm["k"], sgemm["n"], sgemm["repeat"],
                                   peak, sgemm["median_gflops"]),
             "",
             "| figure | fmkit | peer (same run) | fmkit / peer |", "|---|---:|---|---:|"]
    lines += ["| %s | %s | %s | %s |" % r for r in rows]
    lines += ["",
              "Notes. fm-train holds out 10 % of the training rows for validation (early stopping) "
              "and tests the best epoch; the PyTorch peer trains on all training rows for the "
              "given epochs. fm-eval's whole-command figure includes process start-up and "
              "LibTorch initialisation; the peer's counts its inference loop only. The tokenizer "
              "figures time, on the training split (CSV reading excluded), Keras' "
              "Tokenizer.fit_on_texts + texts_to_sequences + pad_sequences against fmkit's "
              "fit_transform (each text tokenized once, texts shared out between threads) + pad, and "
              "fmkit's same three calls on one thread; the bench checks that all produce the "
              "same padded matrix (SHA-256). fm-audit computes every group metric, aggregate and bias AUC, "
              "with intervals; the numpy peer bootstraps 8 per-group rates and their differences.",
              ""]
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    open(a.out, "w").write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
