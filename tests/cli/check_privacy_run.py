"""check_privacy_run.py FM_TRAIN FM_PRIVACY CONFIG RUN_DIR [fm-train flags...]

Trains a DP-SGD run (fm-train --config CONFIG --output RUN_DIR plus the flags given; RUN_DIR is
removed first), then asks fm-privacy about the same run: the sample rate, noise multiplier, steps
and delta that RUN_DIR/manifest.json records. fm-train's accountant adds RDP epoch by epoch,
fm-privacy multiplies the per-step RDP by the steps, so the two only agree if they account the
same mechanism. Checks, each epsilon to 1e-9 (relative):
  * the manifest's privacy.epsilon equals fm-privacy's, and so does the last epoch's epsilon in
    metrics.jsonl;
  * every epoch's epsilon in metrics.jsonl equals fm-privacy's for steps_per_epoch * epoch steps;
  * the manifest's steps are steps_per_epoch times the epochs trained, and its sample rate is
    1 / steps_per_epoch;
  * with training.privacy.target_epsilon, fm-privacy --target-epsilon for the configured epochs
    solves the same noise multiplier, and the run spends at most the target.
Exits 1 on any mismatch.
"""

import json
import os
import shutil
import subprocess
import sys

train, privacy, config, run_dir, *flags = sys.argv[1:]
failures = []


def fail(message):
    failures.append(message)
    print("MISMATCH " + message, file=sys.stderr)


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def fm_privacy(*args):
    argv = [privacy, *map(str, args), "--format", "json"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


shutil.rmtree(run_dir, ignore_errors=True)
proc = subprocess.run([train, "--config", config, "--output", run_dir, *flags],
                      capture_output=True, text=True, timeout=600)
if proc.returncode != 0:
    sys.exit(f"fm-train exited {proc.returncode}: {proc.stderr.strip()}")

p = json.load(open(os.path.join(run_dir, "manifest.json")))["privacy"]
epochs = [json.loads(line) for line in open(os.path.join(run_dir, "metrics.jsonl")) if line.strip()]
cfg = json.load(open(os.path.join(run_dir, "config.json")))["training"]
if not isinstance(p, dict) or not epochs:
    sys.exit(f"{run_dir}: no privacy section in manifest.json or no epochs in metrics.jsonl")
q, sigma, steps, delta = p["sample_rate"], p["noise_multiplier"], p["steps"], p["delta"]
spe = p["steps_per_epoch"]
print(f"run: q={q!r} sigma={sigma!r} steps={steps} delta={delta!r} epsilon={p['epsilon']!r}, "
      f"{len(epochs)} epochs")

if steps != spe * len(epochs):
    fail(f"manifest steps {steps}, expected {spe} per epoch x {len(epochs)} epochs")
if q != 1 / spe:
    fail(f"manifest sample rate {q!r}, expected 1/{spe}")

j = fm_privacy("--sample-rate", repr(q), "--noise-multiplier", repr(sigma), "--steps", steps,
               "--delta", repr(delta))
print(f"fm-privacy: epsilon={j['epsilon']!r} (order {j['optimal_order']})")
if j["sample_rate"] != q or j["noise_multiplier"] != sigma or j["steps"] != steps:
    fail(f"fm-privacy read the run as q={j['sample_rate']} sigma={j['noise_multiplier']} "
         f"steps={j['steps']}")
if not close(p["epsilon"], j["epsilon"]):
    fail(f"manifest epsilon {p['epsilon']!r}, fm-privacy {j['epsilon']!r}")
if not close(epochs[-1]["epsilon"], j["epsilon"]):
    fail(f"last epoch's epsilon {epochs[-1]['epsilon']!r}, fm-privacy {j['epsilon']!r}")
for e in epochs[:-1]:
    k = fm_privacy("--sample-rate", repr(q), "--noise-multiplier", repr(sigma), "--steps",
                   spe * e["epoch"], "--delta", repr(delta))
    if not close(e["epsilon"], k["epsilon"]):
        fail(f"epoch {e['epoch']}: epsilon {e['epsilon']!r}, fm-privacy for "
             f"{spe * e['epoch']} steps {k['epsilon']!r}")

target = cfg["privacy"]["target_epsilon"]
if target is not None:
    s = fm_privacy("--sample-rate", repr(q), "--target-epsilon", repr(target), "--steps",
                   spe * cfg["epochs"], "--delta", repr(delta))
    print(f"fm-privacy --target-epsilon {target}: sigma={s['noise_multiplier']!r}")
    if s["noise_multiplier"] != sigma:
        fail(f"fm-train solved sigma {sigma!r}, fm-privacy {s['noise_multiplier']!r}")
    if len(epochs) == cfg["epochs"] and not j["epsilon"] <= target:
        fail(f"the run spent epsilon {j['epsilon']!r}, above its target {target}")

print(f"{len(failures)} mismatches")
sys.exit(1 if failures else 0)
