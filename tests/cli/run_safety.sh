#!/usr/bin/env bash
# A run directory is never lost or used damaged: one scenario per call.
#   run_safety.sh CASE WORKDIR TRAIN EVAL AUDIT
# Runs in tests/data/cli (tiny.json, train.csv, test.csv). Each case prints what failed and exits 1.
set -u
case_name=$1 W=$2 TRAIN=$3 EVAL=$4 AUDIT=$5
EXPECT=$(dirname "$0")/expect.sh
R=$W/safety/$case_name
rm -rf "$R" "$R.partial" "$R.lock" "$W/safety/$case_name-"*
mkdir -p "$W/safety"

fail() { echo "FAIL: $*"; exit 1; }
train() { "$TRAIN" --config tiny.json --output "$R" "$@" >/dev/null 2>"$W/safety/$case_name-train.err"; }
digest() { (cd "$1" && find . -type f ! -name '*.err' | LC_ALL=C sort | xargs sha256sum); }
# Flips one bit in the middle of a file.
flip_bit() {
  python3 - "$1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x10
open(p, "wb").write(bytes(b))
PY
}
# The run is exactly as it was (same files, same bytes), usable, with no staging or lock left.
assert_intact() {
  [[ $(digest "$R") == "$1" ]] || fail "the run changed"
  [[ ! -e $R.partial && ! -e $R.lock ]] || fail "staging directory or lock file left behind"
  "$EVAL" --run "$R" --data test.csv >/dev/null 2>&1 || fail "fm-eval refuses the kept run"
}

case $case_name in
  retrain_bad_validation_keeps_run)
    train || fail "first training failed"
    before=$(digest "$R")
    printf 'id,text,label,gender\nx,"unterminated,toxic,male\n' >"$W/safety/$case_name-bad.csv"
    "$EXPECT" 3 "unterminated quoted field" -- "$TRAIN" --config tiny.json --output "$R" \
      --set data.validation="$W/safety/$case_name-bad.csv" || exit 1
    assert_intact "$before"
    ;;
  retrain_bad_test_keeps_run)
    # A bad test file is found before the first epoch, and the existing run stays.
    train || fail "first training failed"
    before=$(digest "$R")
    "$EXPECT" 3 "ragged\\.csv:3: expected 4 fields" -- "$TRAIN" --config tiny.json --output "$R" \
      --set data.test=ragged.csv || exit 1
    "$TRAIN" --config tiny.json --output "$R" --set data.test=ragged.csv 2>&1 | grep -q "epoch 1" &&
      fail "training started before the test file was read"
    assert_intact "$before"
    ;;
  test_unseen_label_before_training)
    "$EXPECT" 3 "unseen_label\\.csv:3: label \"spam\" was not seen in training" --absent "$R" -- \
      "$TRAIN" --config tiny.json --output "$R" --set data.test=unseen_label.csv || exit 1
    [[ ! -e $R.partial && ! -e $R.lock ]] || fail "staging directory or lock file left behind"
    ;;
  second_writer_locked_out)
    "$TRAIN" --config tiny.json --output "$R" --set training.epochs=100000 \
      --set training.early_stopping.patience=0 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do [[ -s $R.lock ]] && break; sleep 0.1; done
    [[ -s $R.lock ]] || { kill -9 $pid; fail "no lock file"; }
    "$EXPECT" 5 "in use by another process \\(pid $pid, lock file .*$case_name\\.lock\\)" -- \
      "$TRAIN" --config tiny.json --output "$R" || { kill -9 $pid; exit 1; }
    "$EXPECT" 5 "in use by another process \\(pid $pid" -- \
      "$TRAIN" --resume --output "$R" || { kill -9 $pid; exit 1; }
    kill -INT $pid
    wait $pid
    [[ $? -eq 130 ]] || fail "the first writer did not stop cleanly"
    [[ ! -e $R.lock ]] || fail "lock file left behind"
    # Its checkpoint is intact: the run can be finished.
    "$TRAIN" --resume --output "$R" --set training.epochs=3 >/dev/null 2>&1 || fail "resume failed"
    [[ -s $R/manifest.json && ! -e $R.partial ]] || fail "resumed run not swapped in"
    ;;
  killed_writer_releases_lock)
    "$TRAIN" --config tiny.json --output "$R" --set training.epochs=100000 \
      --set training.early_stopping.patience=0 >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do [[ -s $R.partial/checkpoint/state.json ]] && break; sleep 0.1; done
    kill -9 $pid
    wait $pid 2>/dev/null
    "$TRAIN" --resume --output "$R" --set training.epochs=3 >/dev/null 2>&1 ||
      fail "resume after kill -9 failed"
    [[ -s $R/manifest.json && ! -e $R.partial && ! -e $R.lock ]] || fail "run not finished cleanly"
    ;;
  resume_other_data_refused)
    cp train.csv "$W/safety/$case_name-train.csv"
    train --set data.train="$W/safety/$case_name-train.csv" --set training.epochs=1 ||
      fail "first training failed"
    before=$(digest "$R")
    # A new path is a config change; the same path with other contents is caught by its SHA-256.
    "$EXPECT" 2 "^fm-train: error: data\\.train: differs from the run being resumed" -- \
      "$TRAIN" --resume --output "$R" --set data.train=train.csv --set training.epochs=2 || exit 1
    echo 'extra-1,an extra row changes the file,toxic,male' >>"$W/safety/$case_name-train.csv"
    "$EXPECT" 2 "data\\.train: .*$case_name-train\\.csv is not the file the run being resumed was trained on" -- \
      "$TRAIN" --resume --output "$R" --set training.epochs=2 || exit 1
    assert_intact "$before"
    ;;
  resume_other_settings_refused)
    train --set training.epochs=1 || fail "first training failed"
    before=$(digest "$R")
    "$EXPECT" 2 "^fm-train: error: training\\.learning_rate: differs from the run being resumed" -- \
      "$TRAIN" --resume --output "$R" --set training.learning_rate=0.5 || exit 1
    "$EXPECT" 2 "^fm-train: error: model\\.hidden_size: differs" -- \
      "$TRAIN" --resume --output "$R" --set model.hidden_size=4 || exit 1
    assert_intact "$before"
    # What may change: epochs, threads, patience.
    "$TRAIN" --resume --output "$R" --set training.epochs=2 --set training.threads=2 \
      --set training.early_stopping.patience=5 >/dev/null 2>&1 || fail "allowed change refused"
    [[ $(wc -l <"$R/metrics.jsonl") -eq 2 ]] || fail "resumed run has no second epoch"
    ;;
  damaged_run_refused)
    train || fail "training failed"
    for f in model.pt tokenizer.json labels.json config.json; do
      rm -rf "$R-copy" && cp -r "$R" "$R-copy"
      flip_bit "$R-copy/$f"
      "$EXPECT" 4 "$f: SHA-256 differs from .*manifest\\.json" -- \
        "$EVAL" --run "$R-copy" --data test.csv || fail "fm-eval used a damaged $f"
      "$EXPECT" 4 "$f: SHA-256 differs" -- "$AUDIT" --run "$R-copy" --data test.csv \
        --group-column gender || fail "fm-audit --run used a damaged $f"
    done
    # A post-processing file the run never had is not used either.
    rm -rf "$R-copy" && cp -r "$R" "$R-copy"
    echo '{"format": 1, "temperature": 2.0}' >"$R-copy/postprocess.json"
    "$EXPECT" 4 "postprocess\\.json: not listed in .*manifest\\.json" -- \
      "$EVAL" --run "$R-copy" --data test.csv || exit 1
    ;;
  damaged_checkpoint_refused)
    train --set training.epochs=1 || fail "training failed"
    flip_bit "$R/checkpoint/optimizer.pt"
    before=$(digest "$R")
    "$EXPECT" 4 "checkpoint/optimizer\\.pt: SHA-256 differs" -- \
      "$TRAIN" --resume --output "$R" --set training.epochs=2 || exit 1
    [[ $(digest "$R") == "$before" && ! -e $R.partial ]] || fail "the run changed"
    ;;
  user_files_kept_on_retrain)
    train || fail "first training failed"
    echo "my notes" >"$R/audit.md"
    "$EVAL" --run "$R" --data test.csv --predictions "$R/test_predictions.csv" >/dev/null 2>&1
    train --set training.seed=7 || fail "retraining failed"
    [[ $(cat "$R/audit.md") == "my notes" ]] || fail "a file the user saved in the run was lost"
    "$EVAL" --run "$R" --data test.csv >/dev/null 2>&1 || fail "fm-eval refuses the new run"
    ;;
  not_a_run_refused)
    mkdir -p "$R" && echo "precious" >"$R/thesis.txt"
    "$EXPECT" 2 "exists and is not an fmkit run directory" -- \
      "$TRAIN" --config tiny.json --output "$R" || exit 1
    [[ $(cat "$R/thesis.txt") == "precious" ]] || fail "the directory was changed"
    ;;
  output_overwrites_input_refused)
    train || fail "training failed"
    cp test.csv "$W/safety/$case_name-data.csv"
    before=$(sha256sum "$W/safety/$case_name-data.csv")
    "$EXPECT" 2 "^fm-eval: error: --predictions .*: is the input file" -- "$EVAL" --run "$R" \
      --data "$W/safety/$case_name-data.csv" --predictions "$W/safety/$case_name-data.csv" || exit 1
    "$EXPECT" 2 "^fm-eval: error: --output .*: is the input file" -- "$EVAL" --run "$R" \
      --data "$W/safety/$case_name-data.csv" --output "$R/model.pt" || exit 1
    "$EVAL" --run "$R" --data test.csv --predictions "$W/safety/$case_name-pred.csv" >/dev/null 2>&1
    pred_before=$(sha256sum "$W/safety/$case_name-pred.csv")
    "$EXPECT" 2 "^fm-audit: error: --output .*: is the input file" -- "$AUDIT" \
      --predictions "$W/safety/$case_name-pred.csv" --group-column gender \
      --output "$W/safety/$case_name-pred.csv" || exit 1
    "$EXPECT" 2 "^fm-audit: error: --junit .*: is the input file" -- "$AUDIT" \
      --predictions "$W/safety/$case_name-pred.csv" --group-column gender \
      --junit "$W/safety/$case_name-pred.csv" || exit 1
    [[ $(sha256sum "$W/safety/$case_name-data.csv") == "$before" ]] || fail "data changed"
    [[ $(sha256sum "$W/safety/$case_name-pred.csv") == "$pred_before" ]] || fail "predictions changed"
    ;;
  crash_resume_same_weights)
    # SIGKILL at a fixed step of epoch 2 (a test hook, not a timer), then --resume: the same final
    # weights, byte for byte, as a run that was never interrupted (1 thread, dropout on).
    opts=(--set training.epochs=3 --set training.threads=1 --set training.early_stopping.patience=0
          --set model.num_layers=2 --set model.dropout=0.3)
    "$TRAIN" --config tiny.json --output "$R-whole" "${opts[@]}" >/dev/null 2>&1 ||
      fail "uninterrupted training failed"
    FMKIT_TEST_KILL_AT=2:2 "$TRAIN" --config tiny.json --output "$R" "${opts[@]}" >/dev/null 2>&1
    rc=$?
    [[ $rc -eq 137 ]] || fail "expected the kill hook to end training with 137, got $rc"
    [[ ! -e $R && -s $R.partial/checkpoint/state.json ]] || fail "no checkpoint after the kill"
    "$TRAIN" --resume --output "$R" >/dev/null 2>&1 || fail "resume failed"
    cmp -s "$R/model.pt" "$R-whole/model.pt" || fail "resumed weights differ from uninterrupted ones"
    # (optimizer.pt is not compared as bytes: LibTorch names its entries by memory address.)
    cmp -s "$R/checkpoint/model.pt" "$R-whole/checkpoint/model.pt" ||
      fail "resumed last-epoch weights differ"
    ;;
  *)
    fail "unknown case $case_name"
    ;;
esac
echo "ok: $case_name"
