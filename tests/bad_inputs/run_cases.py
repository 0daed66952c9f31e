#!/usr/bin/python3
"""The one driver of tests/bad_inputs: runs every case of cases.txt and checks how it failed.

    run_cases.py --train BIN --eval BIN --audit BIN --privacy BIN --work DIR
                 [--cases FILE] [--filter REGEX] [--jobs N] [--timeout S] [--verbose]

Before the cases it trains the fixture run {RUN} once (tests/data/cli/tiny.json, 2 epochs) in
WORK/fixture. Each case gets an empty scratch directory {W} = WORK/cases/NAME holding copies of
tests/data/cli/{train.csv,test.csv,tiny.json} and files/preds_good.csv as preds.csv, and runs
there. For each case the driver

  1. prepares its guards: absent:P is removed, copyrun:P and keeprun:P receive a copy of {RUN};
  2. runs its setup (bash, in {W}), then snapshots every keep:P / keeprun:P (a keep:P that does
     not exist yet is created first, with known sentinel content);
  3. runs the command (bash, in {W}, --timeout seconds) and checks
     (a) the exit code;
     (b) the last stderr line matches the case's regex (Python re.search, ~ grep -E);
     (c) when the expected exit code is 2 or more: exactly one stderr line contains "error:" and
         the last line starts with "PROGRAM: error: " (warnings are allowed); never any crash
         text (terminate called, Exception raised from, frame #, Segmentation, Aborted,
         [json.exception, [enforce fail, c10::, and the reports of ASan/UBSan: Sanitizer,
         runtime error:);
     (d) every guard holds: absent:P does not exist, keep:P / keeprun:P are byte for byte (file)
         or tree for tree (directory) what they were before the command;
     (e) no partial output remains: no *.tmp.* / .*.tmp.* file, *.partial or *.lock anywhere
         under {W}, and the fixture run and the files/ folder are unchanged.

It prints one line per case, the details of each failure, and a summary; the exit status is 1
when any case failed. A case marked "# KNOWN: ..." in cases.txt is a documented bug: it still
fails (its expectation is the correct behaviour), but its line says so.
"""
import argparse
import concurrent.futures
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent
DATA_CLI = SOURCE / "tests" / "data" / "cli"
FILES = HERE / "files"
SENTINEL = b"fmkit bad_inputs: a good output that must survive the failing command\n"
CRASH = re.compile(r"terminate called|Exception raised from|frame #[0-9]|Segmentation|Aborted|"
                   r"\[json\.exception|\[enforce fail|c10::|Sanitizer|runtime error: ")
LEFTOVER = re.compile(r"(^|/)\.?[^/]*\.tmp\.[^/]*$|\.partial(/|$)|\.lock$")
PROGRAMS = {"TRAIN": "fm-train", "EVAL": "fm-eval", "AUDIT": "fm-audit", "PRIVACY": "fm-privacy"}


class Case:
    def __init__(self, line_no, name, rc, regex, guards, setup, command, known):
        self.line_no, self.name, self.rc, self.regex = line_no, name, rc, regex
        self.guards, self.setup, self.command, self.known = guards, setup, command, known


def parse_cases(path):
    cases, names = [], set()
    for line_no, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        known = None
        marker = line.find(" # KNOWN:")
        if marker >= 0:
            known = line[marker + len(" # KNOWN:"):].strip()
            line = line[:marker].rstrip()
        fields = [f.strip() for f in line.split(" | ", 5)]
        if len(fields) != 6:
            sys.exit(f"{path}:{line_no}: expected 6 fields separated by ' | ', found {len(fields)}")
        name, rc, regex, guards, setup, command = fields
        if not re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", name) or name in names:
            sys.exit(f"{path}:{line_no}: bad or repeated case name {name!r}")
        names.add(name)
        try:
            re.compile(regex)
        except re.error as e:
            sys.exit(f"{path}:{line_no}: bad regex: {e}")
        guard_list = [] if guards == "-" else guards.split()
        for g in guard_list:
            if not re.fullmatch(r"(absent|keep|copyrun|keeprun):\S+", g):
                sys.exit(f"{path}:{line_no}: bad guard {g!r}")
        cases.append(Case(line_no, name, int(rc), regex, guard_list,
                          "" if setup == "-" else setup, command, known))
    return cases


def tree_digest(path):
    """Bytes of a file, or every (relative name, kind, bytes) of a directory tree."""
    p = Path(path)
    if p.is_symlink():
        return ("link", os.readlink(p))
    if p.is_file():
        return ("file", hashlib.sha256(p.read_bytes()).hexdigest())
    if p.is_dir():
        entries = []
        for root, dirs, files in os.walk(p):
            dirs.sort()
            rel = os.path.relpath(root, p)
            entries.append((rel, "dir"))
            for f in sorted(files):
                fp = Path(root) / f
                entries.append((os.path.join(rel, f),
                                hashlib.sha256(fp.read_bytes()).hexdigest() if fp.is_file() else "?"))
        return ("dir", tuple(entries))
    return ("missing",) if not p.exists() else ("other",)


def leftovers(root):
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if LEFTOVER.search(rel):
                found.append(rel)
    return found


def remove(path):
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    elif p.exists() or p.is_symlink():
        p.unlink()


class Driver:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve()
        self.bins = {"TRAIN": args.train, "EVAL": args.eval, "AUDIT": args.audit,
                     "PRIVACY": args.privacy}
        self.run_dir = self.work / "fixture" / "tiny"
        self.damage = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'damage.py'))}"

    def env(self):
        env = dict(os.environ)
        for k in ("FMKIT_TEST_KILL_AT", "SPDLOG_LEVEL"):
            env.pop(k, None)
        env["LC_ALL"] = "C"
        env.setdefault("OMP_NUM_THREADS", "1")
        return env

    def train_fixture(self):
        fixture = self.work / "fixture"
        remove(fixture)
        fixture.mkdir(parents=True)
        for f in ("train.csv", "test.csv", "tiny.json"):
            shutil.copy(DATA_CLI / f, fixture / f)
        proc = subprocess.run([self.bins["TRAIN"], "--config", "tiny.json", "--output", "tiny"],
                              cwd=fixture, env=self.env(), capture_output=True, text=True,
                              timeout=300)
        if proc.returncode != 0 or not (self.run_dir / "manifest.json").is_file():
            sys.exit("run_cases.py: training the fixture run failed:\n" + proc.stderr)

    def substitute(self, text, scratch):
        values = {"W": str(scratch), "RUN": str(self.run_dir), "IN": str(FILES),
                  "D": str(DATA_CLI)}
        values.update(self.bins)

        def one(m):
            key = m.group(1)
            if key == "DAMAGE":
                return self.damage
            if key not in values:
                raise KeyError(f"unknown placeholder {{{key}}}")
            return shlex.quote(values[key])
        return re.sub(r"\{([A-Z]+)\}", one, text)

    def guard_path(self, guard, scratch):
        kind, path = guard.split(":", 1)
        return kind, Path(re.sub(r"\{([A-Z]+)\}", lambda m: {"W": str(scratch), "RUN": str(
            self.run_dir), "IN": str(FILES), "D": str(DATA_CLI)}[m.group(1)], path))

    def run_case(self, case):
        scratch = self.work / "cases" / case.name
        remove(scratch)
        scratch.mkdir(parents=True)
        for f in ("train.csv", "test.csv", "tiny.json"):
            shutil.copy(DATA_CLI / f, scratch / f)
        shutil.copy(FILES / "preds_good.csv", scratch / "preds.csv")
        problems = []
        guards = [self.guard_path(g, scratch) for g in case.guards]
        for kind, path in guards:
            if kind == "absent":
                remove(path)
            elif kind in ("copyrun", "keeprun"):
                remove(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(self.run_dir, path)
        env = self.env()
        if case.setup:
            setup = subprocess.run(["bash", "-c", self.substitute(case.setup, scratch)],
                                   cwd=scratch, env=env, capture_output=True, text=True,
                                   timeout=self.args.timeout)
            if setup.returncode != 0:
                return case, ["setup failed (exit %d): %s" % (setup.returncode,
                                                              setup.stderr.strip()[-2000:])], None
        snapshots = {}
        for kind, path in guards:
            if kind in ("keep", "keeprun"):
                if not path.exists() and not path.is_symlink():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(SENTINEL)
                snapshots[path] = tree_digest(path)

        command = self.substitute(case.command, scratch)
        start = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", command], cwd=scratch, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=self.args.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            rc = None
            problems.append(f"timed out after {self.args.timeout} s")
        seconds = time.monotonic() - start
        stderr = err.decode("utf-8", "replace")
        lines = stderr.splitlines()
        last = lines[-1] if lines else ""

        if rc is not None and rc != case.rc:
            problems.append(f"exit {rc}, expected {case.rc}")
        if case.regex != "-" and not re.search(case.regex, last):
            problems.append(f"last stderr line does not match /{case.regex}/")
        if CRASH.search(stderr):
            problems.append("crash text or library message on stderr: " +
                            CRASH.search(stderr).group(0))
        if case.rc >= 2:
            errors = sum(1 for l in lines if "error:" in l)
            if errors != 1:
                problems.append(f"{errors} stderr lines contain 'error:', expected exactly 1")
            program = next((PROGRAMS[k] for k in PROGRAMS if "{%s}" % k in case.command), None)
            if program and not last.startswith(program + ": error: "):
                problems.append(f"last stderr line does not start with '{program}: error: '")
        for kind, path in guards:
            if kind == "absent" and (path.exists() or path.is_symlink()):
                problems.append(f"{path} exists (partial output)")
            if path in snapshots and tree_digest(path) != snapshots[path]:
                problems.append(f"{path} changed (an existing output or input was touched)")
        left = leftovers(scratch)
        if left:
            problems.append("left behind: " + ", ".join(sorted(left)[:8]))
        if tree_digest(self.run_dir) != self.fixture_digest:
            problems.append("the fixture run {RUN} changed")
            remove(self.run_dir)
            shutil.copytree(self.work / "fixture" / "pristine", self.run_dir)
        if tree_digest(FILES) != self.files_digest:
            problems.append("tests/bad_inputs/files changed")
        detail = (command, rc, out.decode("utf-8", "replace"), stderr, seconds)
        if not problems and not self.args.keep_scratch:
            remove(scratch)
        return case, problems, detail

    def main(self):
        cases = parse_cases(self.args.cases)
        if self.args.filter:
            cases = [c for c in cases if re.search(self.args.filter, c.name)]
        started = time.monotonic()
        self.train_fixture()
        remove(self.work / "fixture" / "pristine")
        shutil.copytree(self.run_dir, self.work / "fixture" / "pristine")
        self.fixture_digest = tree_digest(self.run_dir)
        self.files_digest = tree_digest(FILES)
        remove(self.work / "cases")
        failed, known_failed, known_passed = [], [], []
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.args.jobs) as pool:
            for case, problems, detail in pool.map(self.run_case, cases):
                seconds = f"{detail[4]:.1f}s" if detail else "-"
                if not problems:
                    tag = "ok  "
                    if case.known:
                        tag = "ok  (marked KNOWN: remove the marker)"
                        known_passed.append(case)
                    print(f"{tag} {case.name} ({seconds})", flush=True)
                    continue
                failed.append(case)
                if case.known:
                    known_failed.append(case)
                print(f"FAIL {case.name} ({seconds})" + (" [KNOWN: %s]" % case.known
                                                          if case.known else ""), flush=True)
                for p in problems:
                    print(f"     - {p}")
                if detail and (self.args.verbose or not case.known):
                    command, rc, out, err, _ = detail
                    print(f"     cases.txt:{case.line_no}: {command}")
                    print(f"     exit {rc}; stderr:")
                    for l in err.splitlines()[-6:]:
                        print(f"       | {l[:400]}")
                    if out.strip() and self.args.verbose:
                        print(f"     stdout (head): {out[:300]!r}")
        total = time.monotonic() - started
        per = {}
        for c in cases:
            front = c.name.split(".")[0]
            per[front] = per.get(front, 0) + 1
        print(f"\n{len(cases)} cases (" + ", ".join(f"{k} {v}" for k, v in sorted(per.items())) +
              f"), {len(cases) - len(failed)} passed, {len(failed)} failed "
              f"({len(known_failed)} of them marked KNOWN), {total:.1f} s")
        if known_passed:
            print("marked KNOWN but passing: " + ", ".join(c.name for c in known_passed))
        return 1 if failed else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("train", "eval", "audit", "privacy"):
        p.add_argument("--" + name, required=True, help=f"the fm-{name} binary")
    p.add_argument("--work", required=True, help="scratch directory (recreated)")
    p.add_argument("--cases", default=str(HERE / "cases.txt"))
    p.add_argument("--filter", help="only the cases whose name matches this regex")
    p.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    p.add_argument("--timeout", type=int, default=60, help="seconds per command (default 60)")
    p.add_argument("--keep-scratch", action="store_true", help="keep passing cases' scratch dirs")
    p.add_argument("--verbose", "-v", action="store_true", help="details of KNOWN failures too")
    args = p.parse_args()
    for name in ("train", "eval", "audit", "privacy"):
        setattr(args, name, str(Path(getattr(args, name)).resolve()))
    sys.exit(Driver(args).main())


if __name__ == "__main__":
    main()
