"""Plumbing shared by the Python comparison tests: tests/python/test_*.py and
tests/cli/check_thresholds.py (which also imports _threshold_rule).

Each test runs an fmkit binary from $FM_BIN_DIR (a tests/drivers program reading JSON on stdin, or a
front-end), compares what it prints with an independent reference, and exits 1 if anything differed.
The references, tolerances and report wording stay in the tests; only the parts that were copied
from test to test live here. The leading underscore keeps this file out of ctest's test_*.py glob.
"""

import json
import os
import signal
import subprocess
import sys

# Without FM_BIN_DIR (ctest always sets it): the repository's build/bin, whatever the working
# directory.
_DEFAULT_BIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                                "bin")


def binary(name):
    """Path of `name` in $FM_BIN_DIR. Exits 1 with one line when it is not there, instead of a
    FileNotFoundError traceback at the first call."""
    path = os.path.join(os.environ.get("FM_BIN_DIR", _DEFAULT_BIN_DIR), name)
    if not os.path.exists(path):
        raise SystemExit(f"{name} not found: {path} (set FM_BIN_DIR)")
    return path


def run_binary(argv, payload=None, expect_rc=0, timeout=None):
    """Runs argv, with `payload` as JSON on stdin when given, and returns the CompletedProcess
    (stdout and stderr as bytes). An exit status other than `expect_rc` (a crash included) stops
    the test with exit 1 and the binary's stderr: it is a broken run, not a mismatch to count."""
    stdin = None if payload is None else json.dumps(payload).encode()
    proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)
    rc = proc.returncode
    if rc != expect_rc:
        command = " ".join([os.path.basename(argv[0]), *argv[1:]])
        how = (f"exited {rc}" if rc >= 0 else
               f"was killed by signal {-rc} ({signal.strsignal(-rc)})")
        stderr = proc.stderr.decode(errors="replace").strip() or "(nothing on stderr)"
        raise SystemExit(f"{command} {how} (expected {expect_rc}): {stderr}")
    return proc


def run_json(path, payload, timeout=None):
    """Runs the driver at `path` on `payload` (JSON on stdin; it must exit 0) and returns its
    stdout, parsed."""
    return json.loads(run_binary([path], payload, timeout=timeout).stdout)


class Mismatches:
    """Counts checks and records what did not match.

    prefix: each mismatch is printed to stderr as it is recorded, after this prefix, so the ones
    found before a later crash are not lost; None only collects them, for finish(listed=...).
    """

    def __init__(self, prefix="MISMATCH: "):
        self.prefix = prefix
        self.checks = 0
        self.failures = []

    def check(self, ok, what):
        """Counts one check; records `what` when `ok` is false. Returns `ok`."""
        self.checks += 1
        if not ok:
            self.fail(what)
        return ok

    def fail(self, what):
        """Records a mismatch (without counting a check)."""
        self.failures.append(what)
        if self.prefix is not None:
            print(f"{self.prefix}{what}", file=sys.stderr)

    def finish(self, ok_line, failed_line=None, listed=0):
        """The exit status: 0 after printing `ok_line` when nothing mismatched; otherwise 1 after
        printing `failed_line` (default "N mismatches") and the first `listed` mismatches, both
        to stderr."""
        if not self.failures:
            print(ok_line)
            return 0
        print(failed_line or f"{len(self.failures)} mismatches", file=sys.stderr)
        for what in self.failures[:listed]:
            print("  " + what, file=sys.stderr)
        if len(self.failures) > listed > 0:
            print(f"  ... and {len(self.failures) - listed} more", file=sys.stderr)
        return 1
