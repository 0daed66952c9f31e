#!/usr/bin/env bash
# One command for the "performance on real data" benchmarks: fetches the SpamAssassin CSVs, builds
# what it runs if needed, then runs fmkit and its peers in the same run with the same settings and
# threads, and writes a markdown table of every figure with its ratio to the peer.
#
#   bench/run.sh [--quick] [--threads N] [--epochs N] [--build-dir DIR] [--out FILE]
#
# --quick: 1 epoch on a 256/128-row subset with maxlen 64, a 100k-row audit with 200 resamples,
# to check that the script works; it writes runs/bench-quick/results.md unless --out is given.
# Otherwise the output is bench/results.md and the work files go to runs/bench/.
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
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

py=/usr/bin/python3
config=configs/spamassassin.json
maxlen=$($py -c "import json; print(json.load(open('$config'))['padding']['maxlen'])")
audit_rows=1000000
audit_groups=20
audit_resamples=1000
tok_rounds=5
tok_runs=10  # fmkit runs per round
if [[ $quick -eq 1 ]]; then
  work=runs/bench-quick
  epochs=1
  maxlen=64
  audit_rows=100000
  audit_resamples=200
  tok_rounds=1
  out=${out:-$work/results.md}
else
  work=runs/bench
  out=${out:-bench/results.md}
fi
rm -rf "$work"
mkdir -p "$work"
# Every tool gets the same thread count (OpenMP/BLAS pools included).
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads

# Build (or bring up to date: the binaries must be the checkout's, and they name its commit) only
# what the benchmark runs.
targets=(fm-train fm-eval fm-audit tokenizer_bench sgemm_bench)
[[ -f "$build_dir/CMakeCache.txt" ]] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" --target "${targets[@]}"
bin=$build_dir/bin
# Wall seconds and peak RSS (KiB) of a whole command: timed CMD... writes "%M %e" to FILE.
timed() { local file=$1; shift; /usr/bin/time -f '%M %e' -o "$file" "$@"; }

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

read -r emb hid layers bidir batch lr num_words dropout < <($py -c "
import json; c = json.load(open('$config'))
m, t = c['model'], c['training']
print(m['embedding_dim'], m['hidden_size'], m['num_layers'], int(m.get('bidirectional', False)),
      t['batch_size'], t['learning_rate'], c['tokenizer']['num_words'], m['dropout'])")
echo "bench: threads=$threads epochs=$epochs maxlen=$maxlen E=$emb H=$hid layers=$layers" \
  "bidirectional=$bidir batch=$batch" >&2

# 1. fm-train (and its peak RSS).
echo "bench: fm-train" >&2
timed "$work/fm-train.time" \
  "$bin/fm-train" --config "$config" --output "$work/fmkit" --log-level warn \
  --set "data.train=$train" --set "data.test=$test" --set "training.threads=$threads" \
  --set "training.epochs=$epochs" --set "padding.maxlen=$maxlen" >"$work/fm-train.log"

# 1b. DP-SGD: one private epoch against the plain epochs above (same data, model, threads).
echo "bench: fm-train with DP-SGD (1 epoch)" >&2
"$bin/fm-train" --config "$config" --output "$work/fmkit-dp" --log-level warn \
  --set "data.train=$train" --set 'data.test=""' --set "training.threads=$threads" \
  --set training.epochs=1 --set "padding.maxlen=$maxlen" --set training.privacy.enabled=true \
  >"$work/fm-train-dp.log"

# 2. sgemm rate at the LSTM's recurrent shape [batch x (E + H)] x [(E + H) x 4H], same threads.
echo "bench: sgemm at the LSTM shape" >&2
"$bin/sgemm_bench" --batch "$batch" --input "$emb" --hidden "$hid" --threads "$threads" \
  --repeat "$([[ $quick -eq 1 ]] && echo 2 || echo 7)" --json >"$work/sgemm.json"

# 3. fm-eval on the test split: whole command (start-up, reading, tokenizing, inference); then
# 10 checkpoints in one call vs 10 calls.
echo "bench: fm-eval" >&2
timed "$work/fm-eval.time" \
  "$bin/fm-eval" --run "$work/fmkit" --data "$test" --format json --threads "$threads" \
  --log-level warn >"$work/fm-eval.json"
runs=()
for k in 0 1 2 3 4 5 6 7 8 9; do
  mkdir -p "$work/checkpoints/run-$k"
  cp "$work"/fmkit/{manifest.json,config.json,tokenizer.json,labels.json,model.pt} \
    "$work/checkpoints/run-$k/"
  runs+=(--run "$work/checkpoints/run-$k")
done
echo "bench: fm-eval, 10 checkpoints in one call" >&2
timed "$work/fm-eval-10-one.time" \
  "$bin/fm-eval" "${runs[@]}" --data "$test" --format json --threads "$threads" \
  --log-level warn >"$work/fm-eval-10.json"
echo "bench: fm-eval, 10 checkpoints in 10 calls" >&2
start=$(date +%s.%N)
for k in 0 1 2 3 4 5 6 7 8 9; do
  "$bin/fm-eval" --run "$work/checkpoints/run-$k" --data "$test" --format json \
    --threads "$threads" --log-level warn >/dev/null
done
end=$(date +%s.%N)
$py -c "print(0, float('$end') - float('$start'))" >"$work/fm-eval-10-separate.time"
rm -rf "$work/checkpoints"

# 4. PyTorch peer, both length-aware variants.
peer_args=(--train "$train" --test "$test" --epochs "$epochs" --maxlen "$maxlen"
           --embedding-dim "$emb" --hidden-size "$hid" --num-layers "$layers" --batch-size "$batch"
           --learning-rate "$lr" --num-words "$num_words" --dropout "$dropout"
           --threads "$threads" --json)
echo "bench: PyTorch peer (gather)" >&2
$py bench/peer_pytorch.py "${peer_args[@]}" >"$work/pytorch-gather.json"
echo "bench: PyTorch peer (packed)" >&2
$py bench/peer_pytorch.py "${peer_args[@]}" --packed >"$work/pytorch-packed.json"

# 5. Tokenizer + padding on the training CSV: Keras (one thread) vs fmkit (fit_transform on the
# bench's threads, and Keras' three calls on one thread); the same matrix. In rounds, each one Keras
# run then tok_runs fmkit runs (a Keras run takes about a second, an fmkit one tens of milliseconds), so
# both sides sample the same moments of a shared machine; the summary takes each side's best run
# and shows the spread over the rounds.
for round in $(seq "$tok_rounds"); do
  echo "bench: tokenizers, round $round of $tok_rounds (Keras, then fmkit)" >&2
  $py bench/peer_keras_tokenizer.py --data "$train" --num-words "$num_words" --maxlen "$maxlen" \
    --repeat 1 --json >"$work/keras-tokenizer-$round.json"
  "$bin/tokenizer_bench" --data "$train" --num-words "$num_words" --maxlen "$maxlen" \
    --threads "$threads" --repeat "$tok_runs" --json >"$work/fmkit-tokenizer-$round.json"
done

# 6. fm-audit on a generated predictions CSV vs a vectorised numpy bootstrap of the same rates.
echo "bench: fm-audit ($audit_rows rows x $audit_groups groups x $audit_resamples resamples)" >&2
$py bench/peer_numpy_bootstrap.py --generate "$work/audit-predictions.csv" --rows "$audit_rows" \
  --groups "$audit_groups"
timed "$work/fm-audit.time" \
  "$bin/fm-audit" --predictions "$work/audit-predictions.csv" --group-column group \
  --positive spam --bootstrap "$audit_resamples" --set "threads=$threads" --format json \
  --output "$work/fm-audit.json" --log-level warn
echo "bench: numpy bootstrap peer" >&2
$py bench/peer_numpy_bootstrap.py --predictions "$work/audit-predictions.csv" \
  --group-column group --positive spam --bootstrap "$audit_resamples" --json \
  >"$work/numpy-bootstrap.json"

# 7. fastText (apt-get install fasttext), same threads, -wordNgrams 2.
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
  rm -f "$work/fasttext.bin" "$work/fasttext.vec"  # ≈ 0.8 GB of bigram buckets
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

$py bench/summarize.py --work "$work" --out "$out" --threads "$threads" --epochs "$epochs" \
  --maxlen "$maxlen" --quick "$quick" --bin "$bin" --embedding-dim "$emb" --hidden-size "$hid" \
  --num-layers "$layers" --bidirectional "$bidir" --batch-size "$batch" --train "$train" \
  --test "$test" --audit-rows "$audit_rows" --audit-groups "$audit_groups" \
  --audit-resamples "$audit_resamples" --tok-rounds "$tok_rounds" --tok-runs "$tok_runs"
echo "bench: wrote $out" >&2
