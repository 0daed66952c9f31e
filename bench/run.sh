#!/usr/bin/env bash
# One command for the "performance on real data" benchmarks: fetches the SpamAssassin CSVs,
# builds fm-train/fm-eval if needed, then runs fmkit and its peers in the same run with the same
# settings and threads, and writes a markdown table of every figure with its ratio to the peer.
#
#   bench/run.sh [--quick] [--threads N] [--epochs N] [--build-dir DIR] [--out FILE]
#
# --quick: 1 epoch on a 256/128-row subset with maxlen 64, to check that the script works; it
# writes runs/bench-quick/results.md unless --out is given. Otherwise the output is
# bench/results.md and the work files go to runs/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
threads=$(nproc)
epochs=5
build_dir=build
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --threads) threads="$2"; shift ;;
    --epochs) epochs="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

py=/usr/bin/python3
config=configs/spamassassin.json
maxlen=$($py -c "import json; print(json.load(open('$config'))['padding']['maxlen'])")
if [[ $quick -eq 1 ]]; then
  work=runs/bench-quick
  epochs=1
  maxlen=64
  out=${out:-$work/results.md}
else
  work=runs/bench
  out=${out:-bench/results.md}
fi
rm -rf "$work"
mkdir -p "$work"

# Build only what the benchmark runs.
if [[ ! -x "$build_dir/bin/fm-train" || ! -x "$build_dir/bin/fm-eval" ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  ninja -C "$build_dir" fm-train fm-eval
fi
bin=$build_dir/bin

scripts/fetch-spamassassin.sh
train=data/spamassassin/train.csv
test=data/spamassassin/test.csv
if [[ $quick -eq 1 ]]; then
  # The CSVs hold one mail per line (whitespace is collapsed) and are already shuffled.
  head -n 257 "$train" >"$work/train.csv"
  head -n 129 "$test" >"$work/test.csv"
  train=$work/train.csv
  test=$work/test.csv
fi

read -r emb hid layers batch lr num_words dropout < <($py -c "
import json; c = json.load(open('$config'))
m, t = c['model'], c['training']
print(m['embedding_dim'], m['hidden_size'], m['num_layers'], t['batch_size'], t['learning_rate'],
      c['tokenizer']['num_words'], m['dropout'])")
echo "bench: threads=$threads epochs=$epochs maxlen=$maxlen E=$emb H=$hid layers=$layers batch=$batch" >&2

# 1. fm-train (and its peak RSS).
echo "bench: fm-train" >&2
/usr/bin/time -f '%M %e' -o "$work/fm-train.time" \
  "$bin/fm-train" --config "$config" --output "$work/fmkit" --log-level warn \
  --set "data.train=$train" --set "data.test=$test" --set "training.threads=$threads" \
  --set "training.epochs=$epochs" --set "padding.maxlen=$maxlen" >"$work/fm-train.log"

# 2. fm-eval on the test split: whole command (start-up, reading, tokenizing, inference).
echo "bench: fm-eval" >&2
/usr/bin/time -f '%M %e' -o "$work/fm-eval.time" \
  "$bin/fm-eval" --run "$work/fmkit" --data "$test" --format json --threads "$threads" \
  >"$work/fm-eval.json"

# 3. PyTorch peer, both length-aware variants.
peer_args=(--train "$train" --test "$test" --epochs "$epochs" --maxlen "$maxlen"
           --embedding-dim "$emb" --hidden-size "$hid" --num-layers "$layers" --batch-size "$batch"
           --learning-rate "$lr" --num-words "$num_words" --dropout "$dropout"
           --threads "$threads" --json)
echo "bench: PyTorch peer (gather)" >&2
$py bench/peer_pytorch.py "${peer_args[@]}" >"$work/pytorch-gather.json"
echo "bench: PyTorch peer (packed)" >&2
$py bench/peer_pytorch.py "${peer_args[@]}" --packed >"$work/pytorch-packed.json"

# 4. Keras tokenizer + padding on the training CSV.
echo "bench: Keras tokenizer" >&2
$py bench/peer_keras_tokenizer.py --data "$train" --num-words "$num_words" --maxlen "$maxlen" \
  --json >"$work/keras-tokenizer.json"

# 5. fastText, when installed (apt-get install fasttext).
if command -v fasttext >/dev/null; then
  echo "bench: fastText" >&2
  for split in train test; do
    src=$train; [[ $split == test ]] && src=$test
    $py -c "
import csv, sys
csv.field_size_limit(1 << 30)
for r in csv.DictReader(open(sys.argv[1], encoding='utf-8', newline='')):
    print('__label__' + r['label'], r['text'].lower())" "$src" >"$work/fasttext-$split.txt"
  done
  start=$(date +%s.%N)
  fasttext supervised -input "$work/fasttext-train.txt" -output "$work/fasttext" \
    -wordNgrams 2 -thread "$threads" -epoch "$([[ $quick -eq 1 ]] && echo 1 || echo 5)" \
    -verbose 0
  fasttext predict "$work/fasttext.bin" "$work/fasttext-test.txt" >"$work/fasttext-pred.txt"
  end=$(date +%s.%N)
  $py -c "
import json, sys
from sklearn.metrics import f1_score
y = [l.split(' ', 1)[0] for l in open(sys.argv[1], encoding='utf-8')]
p = [l.strip() for l in open(sys.argv[2], encoding='utf-8')]
print(json.dumps({'test_macro_f1': f1_score(y, p, average='macro'),
                  'seconds': float(sys.argv[3]) - float(sys.argv[4])}))" \
    "$work/fasttext-test.txt" "$work/fasttext-pred.txt" "$end" "$start" >"$work/fasttext.json"
else
  echo "bench: fasttext not installed (apt-get install fasttext): skipped" >&2
fi

$py - "$work" "$out" "$threads" "$epochs" "$maxlen" "$quick" "$bin" \
  "$emb" "$hid" "$layers" "$batch" "$train" "$test" <<'PY'
import json, os, platform, subprocess, sys
work, out, threads, epochs, maxlen, quick, bin_dir, emb, hid, layers, batch, train, test = sys.argv[1:]

def load(name):
    path = os.path.join(work, name)
    return json.load(open(path)) if os.path.exists(path) else None

def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"

def ratio(a, b):
    return "%.2f×" % (a / b) if a and b else "–"

epochs_log = [json.loads(l) for l in open(os.path.join(work, "fmkit", "metrics.jsonl")) if l.strip()]
manifest = json.load(open(os.path.join(work, "fmkit", "manifest.json")))
fm_tps = sum(e["tokens_per_second"] for e in epochs_log) / len(epochs_log)
fm_f1 = manifest["test"]["macro_f1"]
rss_kb, train_wall = open(os.path.join(work, "fm-train.time")).read().split()
eval_rss_kb, eval_wall = open(os.path.join(work, "fm-eval.time")).read().split()
n_test = sum(1 for _ in open(test, encoding="utf-8")) - 1
fm_eval_eps = n_test / float(eval_wall)
gather, packed = load("pytorch-gather.json"), load("pytorch-packed.json")
keras, fasttext = load("keras-tokenizer.json"), load("fasttext.json")
version = subprocess.run([os.path.join(bin_dir, "fm-train"), "--version"], capture_output=True,
                         text=True).stdout.strip()
version = "; ".join(" ".join(line.split()) for line in version.splitlines())
best_peer = max(gather["tokens_per_second"], packed["tokens_per_second"])

rows = [
    ("Training, non-pad tokens/s (mean over epochs)", "%.0f" % fm_tps,
     "PyTorch gather %.0f" % gather["tokens_per_second"], ratio(fm_tps, gather["tokens_per_second"])),
    ("", "", "PyTorch packed %.0f" % packed["tokens_per_second"],
     ratio(fm_tps, packed["tokens_per_second"])),
    ("Test macro-F1", "%.4f" % fm_f1, "PyTorch gather %.4f" % gather["test_macro_f1"],
     ratio(fm_f1, gather["test_macro_f1"])),
    ("", "", "PyTorch packed %.4f" % packed["test_macro_f1"], ratio(fm_f1, packed["test_macro_f1"])),
]
if fasttext:
    rows.append(("", "", "fastText -wordNgrams 2: %.4f (%.1f s)" % (fasttext["test_macro_f1"],
                 fasttext["seconds"]), ratio(fm_f1, fasttext["test_macro_f1"])))
else:
    rows.append(("", "", "fastText: not installed", "–"))
rows += [
    ("Evaluation, test examples/s", "%.0f (whole fm-eval command)" % fm_eval_eps,
     "PyTorch gather %.0f (inference loop only)" % gather["eval_examples_per_second"],
     ratio(fm_eval_eps, gather["eval_examples_per_second"])),
    ("Tokenizer + padding, MB/s (train split)", "not measured yet",
     "Keras %.2f (%.2f MB in %.2f s)" % (keras["megabytes_per_second"], keras["megabytes"],
                                        keras["seconds"]), "–"),
    ("fm-train peak RSS", "%.0f MiB (%.0f s wall)" % (int(rss_kb) / 1024, float(train_wall)),
     "", ""),
]

lines = ["# Benchmark results" + (" (--quick: 1 epoch, subset; not a measurement)" if quick == "1" else ""),
         "",
         "Written by `bench/run.sh%s`." % (" --quick" if quick == "1" else ""),
         "",
         "| | |", "|---|---|",
         "| machine | %s CPU(s), %s |" % (os.cpu_count(), cpu_model()),
         "| load average at the end | %s |" % " ".join(open("/proc/loadavg").read().split()[:3]),
         "| threads (every tool) | %s |" % threads,
         "| fmkit | %s |" % version,
         "| PyTorch (peer) | %s |" % gather["torch_version"],
         "| keras_preprocessing | %s |" % keras["version"],
         "| data | `%s` (%d rows), `%s` (%d rows) |" % (train, gather["train_rows"], test, n_test),
         "| model | maxlen %s, E = %s, H = %s, %s layer(s), batch %s, %s epoch(s) |"
         % (maxlen, emb, hid, layers, batch, epochs),
         "",
         "| figure | fmkit | peer (same run) | fmkit / peer |", "|---|---:|---|---:|"]
lines += ["| %s | %s | %s | %s |" % r for r in rows]
lines += ["",
          "fm-train holds out 10 %% of the training rows for validation (early stopping) and tests "
          "the best epoch; the PyTorch peer trains on all training rows for the given epochs. "
          "Best PyTorch variant: %.0f tokens/s." % best_peer, ""]
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
echo "bench: wrote $out" >&2
