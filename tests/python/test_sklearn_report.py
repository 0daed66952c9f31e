"""Compares fmkit's classification report with scikit-learn's, byte for byte.

Runs $FM_BIN_DIR/driver_sklearn_report on many seeded random cases (plus the sklearn docs example)
and checks, per case:
  * the text report is byte-identical to sklearn.metrics.classification_report(..., digits=d)
    (with labels= when the case fixes the labels);
  * every per-class and average number in the JSON equals sklearn's output_dict exactly, undefined
    values are null exactly where sklearn divides by zero, and the confusion matrix equals
    sklearn.metrics.confusion_matrix;
  * macro_f1 / weighted_f1 / accuracy agree with f1_score / accuracy_score to 1e-12;
  * the Markdown table shows the same rounded numbers.
Exits non-zero on any mismatch, printing a diff.
"""

import difflib
import json
import math
import random
import sys
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

from _harness import Mismatches, binary, run_binary

warnings.simplefilter("ignore", UndefinedMetricWarning)

DRIVER = binary("driver_sklearn_report")
LABEL_POOL = [
    "toxic", "non_toxic", "ä-label", "a-rather-long-label-name-for-width", "0", "1", "2", "Z",
    "a", "é", "日本語ラベル", "😀x", "e\u0301", "", "with space", "x" * 20, "ñandú", "B",
]
MISMATCHES = Mismatches(prefix="MISMATCH ")


def fail(case_id, what):
    MISMATCHES.fail(f"case {case_id}: {what}")


def run_driver(payload, expect_rc=0):
    return run_binary([DRIVER], payload, expect_rc=expect_rc)


def random_case(rng):
    k = rng.randint(2, 6) if rng.random() < 0.95 else rng.randint(9, len(LABEL_POOL))
    labels = rng.sample(LABEL_POOL, k)
    n = rng.choice([1, 2, 3, 5, 8, 13, 40, 100, 257, 1000, 5000])
    true_labels = list(labels)
    pred_labels = list(labels)
    if k > 2 and rng.random() < 0.4:
        pred_labels.remove(rng.choice(labels))  # a class never predicted
    if k > 2 and rng.random() < 0.4:
        only_pred = rng.choice(pred_labels)
        if len(true_labels) > 1:
            true_labels.remove(only_pred)  # a class only in predictions
    accuracy_bias = rng.random()
    y_true = [rng.choice(true_labels) for _ in range(n)]
    y_pred = [t if (t in pred_labels and rng.random() < accuracy_bias) else rng.choice(pred_labels)
              for t in y_true]
    case = {"y_true": y_true, "y_pred": y_pred, "digits": rng.randint(0, 6)}
    if rng.random() < 0.05:
        case["digits"] = rng.randint(7, 20)
    if rng.random() < 0.15:
        # Fixed labels in a shuffled order, sometimes with labels that never occur (sklearn then
        # prints "micro avg" instead of "accuracy").
        fixed = sorted(set(y_true) | set(y_pred))
        extra = [l for l in LABEL_POOL if l not in fixed]
        fixed += rng.sample(extra, rng.randint(0, 2))
        rng.shuffle(fixed)
        case["labels"] = fixed
    return case


def fixed_cases():
    docs = {"y_true": ["0", "1", "2", "2", "2"], "y_pred": ["0", "0", "2", "2", "1"], "digits": 2}
    return [
        docs,
        dict(docs, digits=0),
        dict(docs, digits=4),
        {"y_true": ["toxic", "non_toxic", "toxic", "toxic"],
         "y_pred": ["toxic", "toxic", "non_toxic", "toxic"], "digits": 2},
        {"y_true": ["a", "a"], "y_pred": ["a", "a"], "digits": 2},  # single class
        {"y_true": ["a", "b"], "y_pred": ["c", "c"], "digits": 3},  # nothing right
        # Ties at the rounding boundary: 0.125, 0.375, 0.625 with digits=2; 0.5 with digits=0.
        {"y_true": ["a", "b", "c", "d", "d", "d", "d", "d"],
         "y_pred": ["a", "a", "a", "d", "d", "b", "c", "a"], "digits": 2},
        {"y_true": ["a", "b", "b", "b"], "y_pred": ["a", "a", "b", "a"], "digits": 0},
        {"y_true": ["x"] * 7 + ["y"], "y_pred": ["x"] * 8, "digits": 1},
        {"y_true": ["1", "1", "1"], "y_pred": ["1", "1", "0"], "digits": 2,
         "labels": ["1", "2", "3", "0"]},
    ]


def sklearn_expectations(case):
    labels = case.get("labels")
    y_true, y_pred, digits = case["y_true"], case["y_pred"], case["digits"]
    text = classification_report(y_true, y_pred, labels=labels, digits=digits)
    as_dict = classification_report(y_true, y_pred, labels=labels, output_dict=True)
    used_labels = labels if labels is not None else sorted(set(y_true) | set(y_pred))
    cm = confusion_matrix(y_true, y_pred, labels=used_labels)
    return text, as_dict, used_labels, cm


def check_case(case_id, case, result):
    text, as_dict, used_labels, cm = sklearn_expectations(case)
    digits = case["digits"]
    if result["text"] != text:
        diff = "\n".join(difflib.unified_diff(text.splitlines(), result["text"].splitlines(),
                                              "sklearn", "fmkit", lineterm=""))
        fail(case_id, f"text report differs (digits={digits}):\n{diff}\n"
                      f"sklearn: {text!r}\nfmkit:   {result['text']!r}")

    report = result["report"]
    if report["confusion_matrix"]["labels"] != list(used_labels):
        fail(case_id, f"labels {report['confusion_matrix']['labels']} != {used_labels}")
    if report["confusion_matrix"]["counts"] != cm.tolist():
        fail(case_id, f"confusion matrix {report['confusion_matrix']['counts']} != {cm.tolist()}")
    pred_sum = cm.sum(axis=0)
    true_sum = cm.sum(axis=1)
    for i, label in enumerate(used_labels):
        mine = report["classes"].get(label)
        ref = as_dict[label]
        if mine is None:
            fail(case_id, f"class {label!r} missing from JSON")
            continue
        undefined = {"precision": pred_sum[i] == 0, "recall": true_sum[i] == 0}
        undefined["f1"] = undefined["precision"] or undefined["recall"]
        for key, ref_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            if undefined[key]:
                if mine[key] is not None or key not in mine.get("undefined", {}):
                    fail(case_id, f"{label!r} {key} should be null with a reason: {mine}")
                elif ref[ref_key] != 0.0:
                    fail(case_id, f"sklearn prints {ref[ref_key]} for undefined {key} of {label!r}")
            elif mine[key] != ref[ref_key]:
                fail(case_id, f"{label!r} {key}: {mine[key]!r} != sklearn {ref[ref_key]!r}")
        if mine["support"] != ref["support"]:
            fail(case_id, f"{label!r} support {mine['support']} != {ref['support']}")
    for mine_key, ref_key in (("macro_avg", "macro avg"), ("weighted_avg", "weighted avg")):
        for key, sk_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score")):
            if report[mine_key][key] != as_dict[ref_key][sk_key]:
                fail(case_id, f"{mine_key} {key}: {report[mine_key][key]!r} != "
                              f"sklearn {as_dict[ref_key][sk_key]!r}")

    y_true, y_pred = case["y_true"], case["y_pred"]
    f1_labels = case.get("labels")
    references = {
        "macro_f1": f1_score(y_true, y_pred, labels=f1_labels, average="macro"),
        "weighted_f1": f1_score(y_true, y_pred, labels=f1_labels, average="weighted"),
        "accuracy": accuracy_score(y_true, y_pred),
    }
    for key, ref in references.items():
        if not math.isclose(result[key], ref, rel_tol=0.0, abs_tol=1e-12):
            fail(case_id, f"{key}: {result[key]!r} != sklearn {ref!r}")
    if report["accuracy"] != references["accuracy"]:
        fail(case_id, f"JSON accuracy {report['accuracy']!r} != {references['accuracy']!r}")

    md_rows = {}
    for line in result["markdown"].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and line.startswith("| ") and not line.startswith("| :"):
            md_rows.setdefault(cells[0], cells[1:])
    for row_name in ("macro avg", "weighted avg"):
        ref = as_dict[row_name]
        expected = [f"{ref[k]:.{digits}f}" for k in ("precision", "recall", "f1-score")]
        expected.append(str(int(ref["support"])))
        if md_rows.get(row_name) != expected:
            fail(case_id, f"markdown {row_name} row {md_rows.get(row_name)} != {expected}")


def check_errors():
    proc = run_driver({"y_true": ["a", "b"], "y_pred": ["a"], "digits": 2}, expect_rc=3)
    message = proc.stderr.decode()
    if message.count("\n") != 1 or "y_true has 2 labels but y_pred has 1" not in message:
        fail("errors", f"length mismatch message: {message!r}")
    run_driver({"y_true": [], "y_pred": [], "digits": 2}, expect_rc=3)
    run_driver({"y_true": ["a"], "y_pred": ["a"], "digits": -1}, expect_rc=2)
    run_driver({"y_true": ["a"], "y_pred": ["a"], "digits": 2, "labels": ["b"]}, expect_rc=3)


def main():
    rng = random.Random(20240613)
    cases = fixed_cases() + [random_case(rng) for _ in range(600)]
    results = json.loads(run_driver({"cases": cases}).stdout)["results"]
    if len(results) != len(cases):
        raise SystemExit(f"driver returned {len(results)} results for {len(cases)} cases")
    for case_id, (case, result) in enumerate(zip(cases, results)):
        check_case(case_id, case, result)

    # The plain-text output mode, byte for byte on stdout.
    docs = dict(fixed_cases()[0], output="text")
    stdout = run_driver(docs).stdout
    expected = classification_report(docs["y_true"], docs["y_pred"]).encode()
    if stdout != expected:
        fail("docs-text", f"stdout {stdout!r} != {expected!r}")

    check_errors()
    import sklearn
    return MISMATCHES.finish(
        f"OK: {len(cases)} cases byte-identical to scikit-learn {sklearn.__version__} "
        f"(numpy {np.__version__})",
        f"{len(MISMATCHES.failures)} mismatch(es) in {len(cases)} cases")


if __name__ == "__main__":
    sys.exit(main())
